//! The error-function family of `jax.scipy.special`: `erf`, `erfc`, `erfinv`, `erfcx`
//! (JAX's `exp(x²) erfc(x)` with its asymptotic series past overflow), `dawsn` (Cephes'
//! rational approximations), and the normal distribution's `ndtr`, `ndtri` (Cephes'
//! piecewise rational approximations) and `log_ndtr` (JAX's three segments, the lower one an
//! asymptotic series, and its custom JVP).

use super::{float1, polyval};
use crate::lax;
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};

/// The error function (`jax.scipy.special.erf`).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::erf(&Tensor::scalar(1.0f64)).item::<f64>();
/// assert!((y - 0.8427007929497149).abs() < 1e-15);
/// ```
#[track_caller]
pub fn erf(x: &Tensor) -> Tensor {
    lax::erf(&float1(x))
}

/// The complementary error function `1 - erf(x)`, accurate in the right tail
/// (`jax.scipy.special.erfc`).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::erfc(&Tensor::scalar(5.0f64)).item::<f64>();
/// assert!((y / 1.5374597944280349e-12 - 1.0).abs() < 1e-13);
/// ```
#[track_caller]
pub fn erfc(x: &Tensor) -> Tensor {
    lax::erfc(&float1(x))
}

/// The inverse error function (`jax.scipy.special.erfinv`, the `erf_inv` primitive).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::erfinv(&Tensor::scalar(0.8427007929497149f64)).item::<f64>();
/// assert!((y - 1.0).abs() < 1e-13);
/// ```
#[track_caller]
pub fn erfinv(x: &Tensor) -> Tensor {
    lax::erf_inv(&float1(x))
}

/// The scaled complementary error function `exp(x²) erfc(x)` (`jax.scipy.special.erfcx`,
/// real inputs): direct below `sqrt(log(max float))`, JAX's asymptotic series above, and
/// JAX's custom JVP `2x erfcx(x) - 2/√π`.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::erfcx(&Tensor::scalar(100.0f64)).item::<f64>();
/// assert!((y - 0.005641613782989433).abs() < 1e-16);
/// ```
#[track_caller]
pub fn erfcx(x: &Tensor) -> Tensor {
    let x = float1(x);
    let f = crate::transforms::custom_jvp("erfcx", erfcx_impl, |x: &Tensor, t: &Tensor| {
        let y = erfcx_impl(x);
        let d = 2.0 * x * &y - 2.0 / std::f64::consts::PI.sqrt();
        (y, t * d)
    });
    f(&x)
}

fn erfcx_impl(x: &Tensor) -> Tensor {
    let (nterms, max) = if x.dtype() == DType::F64 {
        (9, f64::MAX)
    } else {
        (5, f32::MAX as f64)
    };
    let large = x.gt(max.ln().sqrt());
    let safe_x = jnp::where_(&large, 1.0, x);
    let direct = lax::exp(&lax::square(&safe_x)) * lax::erfc(&safe_x);
    const C: [f64; 9] = [
        7918.06640625,
        -1055.7421875,
        162.421875,
        -29.53125,
        6.5625,
        -1.875,
        0.75,
        -0.5,
        1.0,
    ];
    let t = 1.0 / lax::square(x);
    let asymp = polyval(&C[9 - nterms..], &t) / (x * std::f64::consts::PI.sqrt());
    jnp::where_(&large, asymp, direct)
}

/// Dawson's integral `F(x) = exp(-x²) ∫₀ˣ exp(t²) dt` (`jax.scipy.special.dawsn`): Cephes'
/// three rational approximations, with JAX's custom JVP `1 - 2x F(x)`.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::dawsn(&Tensor::scalar(1.0f64)).item::<f64>();
/// assert!((y - 0.5380795069127684).abs() < 1e-14);
/// ```
#[track_caller]
pub fn dawsn(x: &Tensor) -> Tensor {
    let x = float1(x);
    let f = crate::transforms::custom_jvp("dawsn", dawsn_impl, |x: &Tensor, t: &Tensor| {
        let y = dawsn_impl(x);
        let d = 1.0 - 2.0 * x * &y;
        (y, t * d)
    });
    f(&x)
}

const DAWSN_AN: [f64; 10] = [
    1.1368149897175597e-11,
    8.492622676674738e-10,
    1.9443420417555306e-08,
    9.531517412544844e-07,
    3.078283098749132e-06,
    0.00035251336852028877,
    -0.0008501498467244109,
    0.04226182230055466,
    -0.09174803717734524,
    1.0,
];
const DAWSN_AD: [f64; 11] = [
    2.403720730667626e-11,
    1.488646813684934e-09,
    5.212652810105416e-08,
    1.2725847827318697e-06,
    2.324902498207895e-05,
    0.00032552474182605793,
    0.003488058146571626,
    0.027944853119882897,
    0.15887424196012057,
    0.5749186294893204,
    1.0,
];
const DAWSN_BN: [f64; 11] = [
    0.5089551564179009,
    -0.24475441814269785,
    0.09415123353035344,
    -0.021871125514203903,
    0.003662076123295692,
    -0.0004232091144603888,
    3.5964130479389666e-05,
    -2.1464035171996896e-06,
    9.100107800763914e-08,
    -2.4027452082825098e-09,
    3.592333854409284e-11,
];
const DAWSN_BD: [f64; 11] = [
    1.0,
    -0.6318398698733682,
    0.2367067882282487,
    -0.053180636700322324,
    0.008480417185862954,
    -0.0009479967684866654,
    7.810255929445524e-05,
    -4.558751532524426e-06,
    1.8910035811142186e-07,
    -4.913246913319206e-09,
    7.184664032357345e-11,
];
const DAWSN_CN: [f64; 5] = [
    -0.5905928605347732,
    0.6292352427243688,
    -0.17285897538038814,
    0.016483704782518965,
    -0.0004868276130204627,
];
const DAWSN_CD: [f64; 6] = [
    1.0,
    -2.698200571975449,
    1.7327079904594784,
    -0.3937085822819395,
    0.03442789240412334,
    -0.0009736552260409412,
];

fn dawsn_impl(x: &Tensor) -> Tensor {
    let sign = lax::sign(x);
    let ax = lax::abs(x);
    let t = 1.0 / lax::square(&ax);
    let r1 = ax.lt(3.25);
    let r2 = jnp::logical_and(ax.ge(3.25), ax.lt(6.25));
    let r3 = ax.ge(6.25);
    let ax1 = jnp::where_(&r1, &ax, 1.0);
    let ax1_2 = lax::square(&ax1);
    let v1 = &ax1 * polyval(&DAWSN_AN, &ax1_2) / polyval(&DAWSN_AD, &ax1_2);
    let tail = |mask: &Tensor, n: &[f64], d: &[f64]| {
        let st = jnp::where_(mask, &t, 1.0);
        let sa = jnp::where_(mask, &ax, 1.0);
        0.5 / sa * (1.0 + &st * polyval(n, &st) / polyval(d, &st))
    };
    let v2 = tail(&r2, &DAWSN_BN, &DAWSN_BD);
    let v3 = tail(&r3, &DAWSN_CN, &DAWSN_CD);
    sign * jnp::where_(&r1, v1, jnp::where_(&ax.lt(6.25), v2, v3))
}

/// The standard normal CDF Φ(x) through `erf`/`erfc` (`jax.scipy.special.ndtr`), accurate in
/// both tails.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::ndtr(&Tensor::from_vec(vec![0.0f64, -10.0], &[2]));
/// let y = y.to_vec::<f64>();
/// assert_eq!(y[0], 0.5);
/// assert!((y[1] / 7.61985302416047e-24 - 1.0).abs() < 1e-13);
/// ```
#[track_caller]
pub fn ndtr(x: &Tensor) -> Tensor {
    let x = float1(x);
    let half_sqrt_2 = 0.5 * std::f64::consts::SQRT_2;
    let w = &x * half_sqrt_2;
    let z = lax::abs(&w);
    let y = jnp::where_(
        &z.lt(half_sqrt_2),
        1.0 + lax::erf(&w),
        jnp::where_(&w.gt(0.0), 2.0 - lax::erfc(&z), lax::erfc(&z)),
    );
    0.5 * y
}

const NDTRI_P0: [f64; 5] = [
    -59.96335010141079,
    98.00107541859997,
    -56.67628574690703,
    13.931260938727968,
    -1.2391658386738125,
];
const NDTRI_Q0: [f64; 9] = [
    1.0,
    1.9544885833814176,
    4.676279128988815,
    86.36024213908905,
    -225.46268785411937,
    200.26021238006066,
    -82.03722561683334,
    15.90562251262117,
    -1.1833162112133,
];
const NDTRI_P1: [f64; 9] = [
    4.0554489230596245,
    31.525109459989388,
    57.16281922464213,
    44.08050738932008,
    14.684956192885803,
    2.1866330685079025,
    -0.1402560791713545,
    -0.03504246268278482,
    -0.0008574567851546854,
];
const NDTRI_Q1: [f64; 9] = [
    1.0,
    15.779988325646675,
    45.39076351288792,
    41.3172038254672,
    15.04253856929075,
    2.504649462083094,
    -0.14218292285478779,
    -0.03808064076915783,
    -0.0009332594808954574,
];
const NDTRI_P2: [f64; 9] = [
    3.2377489177694603,
    6.915228890689842,
    3.9388102529247444,
    1.3330346081580755,
    0.20148538954917908,
    0.012371663481782003,
    0.00030158155350823543,
    2.6580697468673755e-06,
    6.239745391849833e-09,
];
const NDTRI_Q2: [f64; 9] = [
    1.0,
    6.02427039364742,
    3.6798356385616087,
    1.3770209948908132,
    0.21623699359449663,
    0.013420400608854318,
    0.00032801446468212774,
    2.8924786474538068e-06,
    6.790194080099813e-09,
];

/// The inverse of [`ndtr`], the standard normal quantile function
/// (`jax.scipy.special.ndtri`): Cephes' rational approximation in the middle and its two
/// tail expansions in `sqrt(-2 log p)`, ±∞ at 0 and 1. Differentiated through its formula,
/// as JAX does.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::ndtri(&Tensor::from_vec(vec![0.5f64, 0.975, 1e-300], &[3]));
/// let y = y.to_vec::<f64>();
/// assert_eq!(y[0], 0.0);
/// assert!((y[1] - 1.959963984540054).abs() < 1e-13);
/// assert!((y[2] + 37.047096299).abs() < 1e-8);
/// ```
#[track_caller]
pub fn ndtri(p: &Tensor) -> Tensor {
    let p = float1(p);
    let cut = -(-2.0f64).exp_m1();
    let mcp = jnp::where_(&p.gt(cut), 1.0 - &p, &p);
    let mcp = jnp::where_(&mcp.eq(0.0), 0.5, &mcp);
    let w = &mcp - 0.5;
    let ww = lax::square(&w);
    let big_p = (&w + &w * &ww * (polyval(&NDTRI_P0, &ww) / polyval(&NDTRI_Q0, &ww)))
        * -(2.0 * std::f64::consts::PI).sqrt();
    let z = lax::sqrt(&(-2.0 * lax::log(&mcp)));
    let first = &z - lax::log(&z) / &z;
    let rz = 1.0 / &z;
    let small_p = &first - polyval(&NDTRI_P2, &rz) / polyval(&NDTRI_Q2, &rz) / &z;
    let otherwise = &first - polyval(&NDTRI_P1, &rz) / polyval(&NDTRI_Q1, &rz) / &z;
    let x = jnp::where_(
        &mcp.gt((-2.0f64).exp()),
        big_p,
        jnp::where_(&z.ge(8.0), small_p, otherwise),
    );
    let x = jnp::where_(&p.gt(1.0 - (-2.0f64).exp()), &x, -&x);
    jnp::where_(
        &p.eq(0.0),
        f64::NEG_INFINITY,
        jnp::where_(&p.eq(1.0), f64::INFINITY, x),
    )
}

/// `log Φ(x)`, accurate far into both tails (`jax.scipy.special.log_ndtr`, series order 3):
/// `-Φ(-x)` above 8 (5 in f32), `log Φ(x)` in the middle, and below -20 (-10 in f32) the
/// asymptotic series `log φ(x) - log(-x) + log(1 - 1/x² + 3/x⁴ - 15/x⁶)`. JAX's custom
/// JVP `exp(log φ(x) - log_ndtr(x))` keeps the derivative finite in the far left tail.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-40.0f32, 0.0, 10.0], &[3]);
/// let y = ferrax::scipy::special::log_ndtr(&x).to_vec::<f32>();
/// assert!((y[0] + 804.6084).abs() < 1e-3);
/// assert!((y[1] + std::f32::consts::LN_2).abs() < 1e-7);
/// ```
#[track_caller]
pub fn log_ndtr(x: &Tensor) -> Tensor {
    log_ndtr_with(x, 3)
}

/// [`log_ndtr`] with the number of terms of the lower asymptotic series (`series_order`,
/// 0..=30; JAX's default is 3).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::scalar(-30.0f64);
/// let a = ferrax::scipy::special::log_ndtr_with(&x, 5).item::<f64>();
/// let b = ferrax::scipy::special::log_ndtr(&x).item::<f64>();
/// assert!((a - b).abs() < 1e-9); // the series' terms beyond order 3 are below 1e-9 at -30
/// ```
#[track_caller]
pub fn log_ndtr_with(x: &Tensor, series_order: usize) -> Tensor {
    assert!(
        series_order <= 30,
        "log_ndtr: series_order must be <= 30, got {series_order}"
    );
    let x = float1(x);
    let f = crate::transforms::custom_jvp(
        "log_ndtr",
        move |x: &Tensor| log_ndtr_impl(x, series_order),
        move |x: &Tensor, t: &Tensor| {
            let y = log_ndtr_impl(x, series_order);
            let d = lax::exp(&(norm_logpdf(x) - &y));
            (y, t * d)
        },
    );
    f(&x)
}

/// `log φ(x)` of the standard normal density.
pub(crate) fn norm_logpdf(x: &Tensor) -> Tensor {
    -0.5 * lax::square(x) - (2.0 * std::f64::consts::PI).sqrt().ln()
}

fn log_ndtr_impl(x: &Tensor, series_order: usize) -> Tensor {
    let (lower, upper) = if x.dtype() == DType::F64 {
        (-20.0, 8.0)
    } else {
        (-10.0, 5.0)
    };
    let above = x.gt(upper);
    let arg = jnp::where_(&above, -x, jnp::maximum(x, lower));
    let res = ndtr(&arg);
    let lower_part = log_ndtr_lower(&jnp::minimum(x, lower), series_order);
    jnp::where_(
        &above,
        -&res,
        jnp::where_(&x.gt(lower), lax::log(&res), lower_part),
    )
}

fn log_ndtr_lower(x: &Tensor, series_order: usize) -> Tensor {
    let x2 = lax::square(x);
    let log_scale = -0.5 * &x2 - lax::log(&(-x)) - 0.5 * (2.0 * std::f64::consts::PI).ln();
    if series_order == 0 {
        return log_scale;
    }
    let mut even = jnp::zeros_like(x);
    let mut odd = jnp::zeros_like(x);
    let mut x_2n = x2.clone();
    for n in 1..=series_order {
        let double_factorial: f64 = (1..2 * n).step_by(2).map(|k| k as f64).product();
        let y = double_factorial / &x_2n;
        if n % 2 == 1 {
            odd = odd + y;
        } else {
            even = even + y;
        }
        x_2n = x_2n * &x2;
    }
    log_scale + lax::log(&(1.0 + even - odd))
}
