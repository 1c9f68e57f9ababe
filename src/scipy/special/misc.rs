//! The rest of `jax.scipy.special` that composes from lax ops: the Hurwitz `zeta` (the
//! Euler-Maclaurin series JAX differentiates), `i0e`/`i0` (Cephes' Chebyshev expansions, as
//! JAX lowers `lax.bessel_i0e`), `spence` (Cephes' rational approximation) and `bernoulli`.

use super::{float1, float2, polyval};
use crate::lax;
use crate::numpy::{self as jnp, IntoOperand};
use crate::tensor::{DType, Tensor};
use std::f64::consts::PI;

/// The first Bernoulli-number ratios of the Euler-Maclaurin tail (`_BERNOULLI_COEFS`).
const BERNOULLI_COEFS: [f64; 16] = [
    12.0,
    -720.0,
    30240.0,
    -1209600.0,
    47900160.0,
    -1307674368000.0 / 691.0,
    74724249600.0,
    -10670622842880000.0 / 3617.0,
    5109094217170944000.0 / 43867.0,
    -802857662698291200000.0 / 174611.0,
    14101100039391805440000.0 / 77683.0,
    -1693824136731743669452800000.0 / 236364091.0,
    186134520519971831808000000.0 / 657931.0,
    -37893265687455865519472640000000.0 / 3392780147.0,
    759790291646040068357842010112000000.0 / 1723168255201.0,
    -134196726836183700385281186201600000000.0 / 7709321041217.0,
];

/// The Hurwitz zeta function ζ(x, q) = Σₖ (k + q)^(-x) (`jax.scipy.special.zeta` with `q`;
/// JAX has no Riemann zeta without `q`, use `q = 1`). Computed by the Euler-Maclaurin series
/// JAX uses for `zeta`'s derivative (8 terms and 8 corrections in f32, 16 in f64), so values
/// and derivatives both follow it; NaN for `x < 1`, ∞ at `x = 1`.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::zeta(&Tensor::scalar(2.0f64), 1.0).item::<f64>();
/// assert!((y - std::f64::consts::PI.powi(2) / 6.0).abs() < 1e-14);
/// ```
#[track_caller]
pub fn zeta(x: impl IntoOperand, q: impl IntoOperand) -> Tensor {
    let (s, a) = float2("zeta", x, q);
    let shape = jnp::broadcast_shapes(s.shape(), a.shape());
    let (s, a) = (jnp::broadcast_to(&s, &shape), jnp::broadcast_to(&a, &shape));
    let n = if a.dtype() == DType::F64 { 16 } else { 8 };
    let max = if a.dtype() == DType::F64 {
        f64::MAX
    } else {
        f32::MAX as f64
    };
    let mut sum = jnp::zeros_like(&a);
    for k in 0..n {
        sum = sum + jnp::power(&(&a + k as f64), &(-&s));
    }
    let an = &a + n as f64;
    let integral = jnp::power(&an, &(1.0 - &s)) / (&s - 1.0);
    let t0 = jnp::power(&an, &(-&s));
    let mut prod = jnp::ones_like(&a);
    let mut t1 = jnp::zeros_like(&a);
    for m in 0..2 * n {
        prod = prod * ((&s + m as f64) / &an);
        if m % 2 == 0 {
            t1 = t1 + jnp::minimum(&prod, max) / BERNOULLI_COEFS[m / 2];
        }
    }
    let y = sum + integral + t0 * (0.5 + t1);
    let y = jnp::where_(&s.eq(1.0), f64::INFINITY, y);
    jnp::where_(&s.lt(1.0), f64::NAN, y)
}

/// Clenshaw's recurrence for a Chebyshev series (`evaluate_chebyshev_polynomial`).
fn chebyshev(x: &Tensor, coeffs: &[f64]) -> Tensor {
    let mut b0 = jnp::zeros_like(x);
    let mut b1 = jnp::zeros_like(x);
    let mut b2 = jnp::zeros_like(x);
    for &c in coeffs {
        b2 = b1;
        b1 = b0;
        b0 = x * &b1 - &b2 + c;
    }
    0.5 * (b0 - b2)
}

const I0E_A32: [f64; 18] = [
    -1.300_025_009_986_248E-8,
    6.046_995_022_541_919E-8,
    -2.670_793_853_940_612E-7,
    1.117_387_539_120_103_7E-6,
    -4.416_738_358_458_750_5E-6,
    1.644_844_807_072_889_6E-5,
    -5.754_195_010_082_104E-5,
    1.885_028_850_958_416_5E-4,
    -5.763_755_745_385_824E-4,
    1.639_475_616_941_335_7E-3,
    -4.324_309_995_050_576E-3,
    1.054_646_039_459_499_8E-2,
    -2.373_741_480_589_947E-2,
    4.930_528_423_967_071E-2,
    -9.490_109_704_804_764E-2,
    1.716_209_015_222_087_7E-1,
    -3.046_826_723_431_984E-1,
    6.767_952_744_094_761E-1,
];
const I0E_B32: [f64; 7] = [
    3.396_232_025_708_386_5E-9,
    2.266_668_990_498_178E-8,
    2.048_918_589_469_063_8E-7,
    2.891_370_520_834_756_7E-6,
    6.889_758_346_916_825E-5,
    3.369_116_478_255_694_3E-3,
    8.044_904_110_141_088E-1,
];
const I0E_A64_HEAD: [f64; 12] = [
    -4.415_341_646_479_339_5E-18,
    3.330_794_518_822_238_4E-17,
    -2.431_279_846_547_955E-16,
    1.715_391_285_555_133E-15,
    -1.168_533_287_799_345_1E-14,
    7.676_185_498_604_936E-14,
    -4.856_446_783_111_929E-13,
    2.955_052_663_129_64E-12,
    -1.726_826_291_441_556E-11,
    9.675_809_035_373_237E-11,
    -5.189_795_601_635_263E-10,
    2.659_823_724_682_386_6E-9,
];
const I0E_B64_HEAD: [f64; 18] = [
    -7.233_180_487_874_754E-18,
    -4.830_504_485_944_182E-18,
    4.465_621_420_296_76E-17,
    3.461_222_867_697_461E-17,
    -2.827_623_980_516_583_6E-16,
    -3.425_485_619_677_219E-16,
    1.772_560_133_056_526_3E-15,
    3.811_680_669_352_622_4E-15,
    -9.554_846_698_828_307E-15,
    -4.150_569_347_287_222E-14,
    1.540_086_217_521_41E-14,
    3.852_778_382_742_142_6E-13,
    7.180_124_451_383_666E-13,
    -1.794_178_531_506_806_2E-12,
    -1.321_581_184_044_771_3E-11,
    -3.149_916_527_963_241_6E-11,
    1.188_914_710_784_643_9E-11,
    4.940_602_388_224_97E-10,
];

/// The exponentially scaled modified Bessel function of order 0, `exp(-|x|) I₀(x)`
/// (`jax.scipy.special.i0e`): Cephes' Chebyshev expansions on `[0, 8]` and `(8, ∞)` (30 and
/// 25 terms in f64, 18 and 7 in f32), as JAX lowers `lax.bessel_i0e`.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::i0e(&Tensor::from_vec(vec![0.0f64, 1.0], &[2])).to_vec::<f64>();
/// assert!((y[0] - 1.0).abs() < 1e-15);
/// assert!((y[1] - 0.46575960759364043).abs() < 1e-15);
/// ```
#[track_caller]
pub fn i0e(x: &Tensor) -> Tensor {
    let x = lax::abs(&float1(x));
    let (a, b): (Vec<f64>, Vec<f64>) = if x.dtype() == DType::F64 {
        (
            I0E_A64_HEAD.iter().chain(&I0E_A32).copied().collect(),
            I0E_B64_HEAD.iter().chain(&I0E_B32).copied().collect(),
        )
    } else {
        (I0E_A32.to_vec(), I0E_B32.to_vec())
    };
    let le8 = chebyshev(&(0.5 * &x - 2.0), &a);
    let gt8 = chebyshev(&(32.0 / &x - 2.0), &b) / lax::sqrt(&x);
    jnp::where_(&x.le(8.0), le8, gt8)
}

/// The modified Bessel function of order 0, `exp(|x|) i0e(x)` (`jax.scipy.special.i0`).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::i0(&Tensor::scalar(1.0f64)).item::<f64>();
/// assert!((y - 1.2660658777520082).abs() < 1e-15);
/// ```
#[track_caller]
pub fn i0(x: &Tensor) -> Tensor {
    let x = float1(x);
    lax::exp(&lax::abs(&x)) * i0e(&x)
}

const SPENCE_A: [f64; 8] = [
    4.6512858607399003e-05,
    0.007315890452380947,
    0.13384763957830903,
    0.8796913117545303,
    2.7114985119655346,
    4.256971560081218,
    3.297713409852251,
    1.0,
];
const SPENCE_B: [f64; 8] = [
    0.0006909904889125533,
    0.02540437639325444,
    0.2829748606025681,
    1.4117259775183106,
    3.6380053334513707,
    5.03278880143317,
    3.547713409852251,
    1.0,
];

/// Spence's function (the dilogarithm) `∫₁ˣ log t / (1 - t) dt` for `x >= 0`, NaN below
/// (`jax.scipy.special.spence`): Cephes' rational approximation with its reflections.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::spence(&Tensor::from_vec(vec![0.0f64, 1.0, 2.0], &[3]));
/// let y = y.to_vec::<f64>();
/// assert!((y[0] - std::f64::consts::PI.powi(2) / 6.0).abs() < 1e-15 && y[1] == 0.0);
/// assert!((y[2] + std::f64::consts::PI.powi(2) / 12.0).abs() < 1e-14);
/// ```
#[track_caller]
pub fn spence(x: &Tensor) -> Tensor {
    let x = float1(x);
    let calc = spence_calc(&x);
    let y = jnp::where_(&x.eq(0.0), PI * PI / 6.0, calc);
    let y = jnp::where_(&x.eq(1.0), 0.0, y);
    jnp::where_(&x.lt(0.0), f64::NAN, y)
}

fn spence_calc(x: &Tensor) -> Tensor {
    let gt2 = x.gt(2.0);
    let x = jnp::where_(&gt2, 1.0 / x, x);
    let gt1_5 = x.gt(1.5);
    let lt0_5 = x.lt(0.5);
    let flip = jnp::logical_or(&gt2, &gt1_5);
    let w = jnp::where_(&lt0_5, -&x, jnp::where_(&gt1_5, 1.0 / &x - 1.0, &x - 1.0));
    let y = -&w * polyval(&SPENCE_A, &w) / polyval(&SPENCE_B, &w);
    // Only read where x < 0.5: elsewhere log(1 - x) is NaN, which reverse mode would turn
    // into a NaN gradient through the `where` (JAX's vectorized spence has that NaN).
    let xs = jnp::where_(&lt0_5, &x, 0.25);
    let y_one = PI * PI / 6.0 - lax::log(&xs) * lax::log(&(1.0 - &xs)) - &y;
    let y = jnp::where_(&lt0_5, y_one, y);
    let y_two = -0.5 * lax::square(&lax::log(&x)) - &y;
    jnp::where_(&flip, y_two, y)
}

/// The Bernoulli numbers B₀ … Bₙ as an f32 vector of length `n + 1`
/// (`jax.scipy.special.bernoulli`): B₀, B₁ = -1/2, B₂ exactly, the higher even ones from
/// `B₂ₘ = (-1)^(m+1) 2 (2m)! ζ(2m) / (2π)^(2m)` (ζ summed to k = 49), the odd ones 0.
///
/// ```
/// use ferrax::prelude::*;
/// let b = ferrax::scipy::special::bernoulli(6).to_vec::<f32>();
/// assert_eq!(&b[..4], &[1.0, -0.5, 1.0 / 6.0, 0.0]);
/// assert!((b[4] + 1.0 / 30.0).abs() < 1e-7 && (b[6] - 1.0 / 42.0).abs() < 1e-7);
/// ```
pub fn bernoulli(n: usize) -> Tensor {
    let mut bn = vec![0.0f64; n + 1];
    for (i, v) in [1.0, -0.5, 1.0 / 6.0].iter().enumerate().take(n + 1) {
        bn[i] = *v;
    }
    let mut q1 = 1.0 / (PI * PI);
    for m in (4..=n).step_by(2) {
        let m_ = m as f64;
        q1 *= -(m_ - 1.0) * m_ / 4.0 / (PI * PI);
        let q2: f64 = (2..50).map(|k| (k as f64).powf(-m_)).sum();
        bn[m] = q1 * (1.0 + q2);
    }
    Tensor::from_f64_values(&bn, &[n + 1], DType::F32)
}
