//! f32 `exp`, `expm1`, `log`, `log1p`, `tanh`, `erf`, `erf_inv` and `rsqrt` computed exactly
//! as XLA's CPU backend computes them for `jax.jit` code (JAX 0.10.2), so that values built
//! from them (the `jax.random` samplers above all) match JAX bit for bit.
//!
//! Transcribed from the optimized LLVM IR and the object code XLA emits (dumped with
//! `XLA_FLAGS=--xla_dump_to=...`): `log` is Eigen's `plog_float` (Cephes' polynomial, split
//! in three Estrin-like chains), `exp` Eigen's `pexp_float` with XLA's clamps, `tanh` Eigen's
//! rational approximation, `log1p` and `expm1` XLA's `EmitLog1p`/`EmitExpm1` around those, and
//! `erf_inv` the HLO of `xla::ErfInv` (Giles' polynomials), `erf` XLA's rational
//! approximation (odd degree 9 over even degree 12, the argument clamped to ±3.744, its
//! multiply-adds explicit `llvm.fma` calls) and `rsqrt` the CPU's `rsqrtss` estimate refined
//! by one Newton step (Eigen's `generic_rsqrt_newton_step`). XLA's backend contracts every
//! multiply whose only use is an add into an FMA when the CPU has one; each such pair here is
//! an [`Mad::mad`], so the FMA-compiled copy (`Fused`) equals XLA on an FMA machine and the
//! portable copy (`Split`) equals XLA on one without. Every `if` is a per-lane select: the
//! loops over these vectorize. `tests/prims/kernels_accuracy.rs` compares them with values
//! from `jax.jit` (`tests/golden/xla_math.txt`).

use super::simd::Mad;

/// `f32` from its bit pattern (the constants below are written as XLA's IR prints them).
#[inline(always)]
const fn k(bits: u32) -> f32 {
    f32::from_bits(bits)
}

/// XLA's CPU code runs with denormals-are-zero: a subnormal input reads as zero of its sign.
#[inline(always)]
fn daz(x: f32) -> f32 {
    if x.abs() < f32::MIN_POSITIVE {
        0f32.copysign(x)
    } else {
        x
    }
}

/// ... and flush-to-zero: a subnormal result is written as zero of its sign.
#[inline(always)]
fn ftz(x: f32) -> f32 {
    daz(x)
}

/// ln 2 in two parts: `C1` has 9 significant bits (exact products with the exponent).
const LN2_C1: f32 = k(0x3F31_8000);
const LN2_C2: f32 = k(0xB95E_8083);
/// 1.5 · 2^23: adding and subtracting it rounds a float of magnitude < 2^22 to an integer.
const SHIFT: f32 = 12_582_912.0;

/// `floor(t)` for |t| < 2^22 without a libm call (baseline x86-64 has no `roundps`):
/// round to nearest, then step down where that rounded up. NaN stays NaN.
#[inline(always)]
fn floor_small(t: f32) -> f32 {
    let r = (t + SHIFT) - SHIFT;
    if r > t {
        r - 1.0
    } else {
        r
    }
}

/// Eigen's `pexp_float` on an already clamped `x`: `n = floor(x log2 e + ½)` clamped to
/// [-127, 127], `r = x - n ln 2` (two FMAs), `e^r = 1 + r + r² P(r)`, times `2^n` built from
/// its bits (`2^-127` builds as 0, so `e^x` is 0 below about -87.3).
#[inline(always)]
fn exp_core<M: Mad>(x: f32) -> f32 {
    const P: [u32; 6] = [
        0x3950_6967,
        0x3AB7_43CE,
        0x3C08_8908,
        0x3D2A_A9C1,
        0x3E2A_AAAA,
        0x3F00_0000,
    ];
    let t = M::mad(x, k(0x3FB8_AA3B), 0.5);
    let n = floor_small(t);
    let n = if n < -127.0 { -127.0 } else { n };
    let n = if n > 127.0 { 127.0 } else { n };
    let r = M::mad(-n, LN2_C1, x);
    let r = M::mad(-n, LN2_C2, r);
    let mut p = M::mad(r, k(P[0]), k(P[1]));
    for &c in &P[2..] {
        p = M::mad(p, r, k(c));
    }
    let r2 = r * r;
    let y = M::mad(p, r2, r) + 1.0;
    // `n` is an integer in [-127, 127]: adding SHIFT puts it in the low mantissa bits (a
    // saturating `as i32` would not vectorize as well).
    let ni = ((n + SHIFT).to_bits() as i32).wrapping_sub(SHIFT.to_bits() as i32);
    let scale = f32::from_bits((ni.wrapping_add(127) as u32) << 23);
    y * scale
}

/// XLA's f32 `exp`: the input clamped to [-87.8, 88.8] (NaN passes), then [`exp_core`].
/// Overflows to `inf` above ~88.72; 0 below ~-87.34 (subnormal results flush to 0).
#[inline(always)]
pub(crate) fn exp<M: Mad>(x: f32) -> f32 {
    let x = if x < -87.8 { -87.8 } else { x };
    let x = if x > 88.8 { 88.8 } else { x };
    ftz(exp_core::<M>(x))
}

/// Eigen's `plog_float` without its special cases: `x = m 2^e`, `m` in `[√½, √2)`, and
/// Cephes' degree-9 polynomial in `m - 1` evaluated as three chains joined by `x³`.
/// `x` at or below the smallest normal (or NaN) is read as the smallest normal.
#[inline(always)]
fn log_core<M: Mad>(x: f32) -> f32 {
    let x = if x > f32::MIN_POSITIVE {
        x
    } else {
        f32::MIN_POSITIVE
    };
    let bits = x.to_bits();
    let e = ((bits >> 23) as i32 - 127) as f32 + 1.0;
    let m = f32::from_bits((bits & 0x807F_FFFF) | 0x3F00_0000);
    let below = m < k(0x3F35_04F3);
    let tmp = if below { m } else { 0.0 };
    let e = e - if below { 1.0 } else { 0.0 };
    let x = (m - 1.0) + tmp;
    let x2 = x * x;
    let x3 = x2 * x;
    let y1 = M::mad(x, k(0x3D90_21BB), k(0xBDEB_D1B8));
    let y2 = M::mad(x, k(0xBDFE_5D4F), k(0x3E11_E9BF));
    let y3 = M::mad(x, k(0x3E4C_CEAC), k(0xBE7F_FFFC));
    let y1 = M::mad(y1, x, k(0x3DEF_251A));
    let y2 = M::mad(y2, x, k(0xBE2A_AE50));
    let y3 = M::mad(y3, x, k(0x3EAA_AAAA));
    let y = M::mad(y1, x3, y2);
    let y = M::mad(y, x3, y3);
    let y = M::mad(y, x3, e * LN2_C2);
    let x = M::mad(x2, -0.5, x);
    M::mad(e, LN2_C1, x + y)
}

/// XLA's f32 `log`: [`log_core`], then 0 → -inf, inf → inf, negative or NaN → NaN.
/// Subnormal inputs read as 0 (so -inf), as in XLA.
#[inline(always)]
pub(crate) fn log<M: Mad>(x: f32) -> f32 {
    let x = daz(x);
    let r = log_core::<M>(x);
    if x == 0.0 {
        f32::NEG_INFINITY
    } else if x == f32::INFINITY {
        x
    } else if x > 0.0 {
        r
    } else {
        f32::NAN
    }
}

/// XLA's f32 `log1p`: below |x| = √2 - 1 the rational `x - x²/2 + x³ P(x)/Q(x)`, above
/// `log(1 + x)` as [`log`].
#[inline(always)]
pub(crate) fn log1p<M: Mad>(x: f32) -> f32 {
    let x = daz(x);
    const NUM: [u32; 6] = [
        0x3EFF_40C5,
        0x40D2_84FA,
        0x41EF_4B9C,
        0x4273_CC76,
        0x4264_73AD,
        0x41A0_5101,
    ];
    const DEN: [u32; 6] = [
        0x4171_01AD,
        0x42A6_185B,
        0x435D_C32D,
        0x439A_8CA3,
        0x4358_6D8A,
        0x4270_7982,
    ];
    let big = log::<M>(x + 1.0);
    let x2 = x * x;
    let mut num = 4.527e-5;
    let mut den = 1.0;
    for i in 0..6 {
        num = M::mad(num, x, k(NUM[i]));
        den = M::mad(den, x, k(DEN[i]));
    }
    let t = (x * x2) * (num / den);
    let small = x + M::mad(x2, -0.5, t);
    if x.abs() < k(0x3ED4_13CD) {
        small
    } else {
        big
    }
}

/// Eigen's rational `tanh` (odd degree 13 over even degree 6) without the saturation and
/// small-argument selects: the argument clamped to ±7.998 (NaN passes).
#[inline(always)]
fn tanh_rational<M: Mad>(x: f32) -> f32 {
    const A: [u32; 7] = [
        0xA59F_25C0,
        0x2A61_337E,
        0xAEBD_37FF,
        0x335C_0041,
        0x3779_434A,
        0x3A27_0DED,
        0x3BA0_59DC,
    ];
    const B: [u32; 4] = [0x35A0_D3D8, 0x38F8_95D6, 0x3B14_AA05, 0x3BA0_59DD];
    let c = k(0x40FF_F644);
    let x = if x < -c { -c } else { x };
    let x = if x > c { c } else { x };
    let x2 = x * x;
    let mut p = M::mad(x2, k(A[0]), k(A[1]));
    for &a in &A[2..] {
        p = M::mad(x2, p, k(a));
    }
    let mut q = M::mad(x2, k(B[0]), k(B[1]));
    for &b in &B[2..] {
        q = M::mad(x2, q, k(b));
    }
    (x * p) / q
}

/// XLA's f32 `tanh` (Eigen's): `x` itself below |x| = 4·10⁻⁴, ±1 from |x| = 20, the
/// rational in between.
#[inline(always)]
pub(crate) fn tanh<M: Mad>(x: f32) -> f32 {
    let r = tanh_rational::<M>(x);
    if x.abs() < 4e-4 {
        x
    } else if x.abs() >= 20.0 {
        1f32.copysign(x)
    } else {
        r
    }
}

/// XLA's f32 `expm1`: above |x| = ½ `exp(x) - 1`; below, `tanh(x/2) (exp(x) + 1)`;
/// `x` itself where `x/2` is ±0.
#[inline(always)]
pub(crate) fn expm1<M: Mad>(x: f32) -> f32 {
    let e = exp::<M>(x);
    let big = e - 1.0;
    let h = ftz(x * 0.5);
    let t = if h.abs() < 4e-4 {
        h
    } else {
        tanh_rational::<M>(h)
    };
    let small = t * (e + 1.0);
    if h == 0.0 {
        x
    } else if x.abs() > 0.5 {
        big
    } else {
        small
    }
}

/// XLA's single-precision `erf_inv` (`xla::ErfInv`, Giles' polynomials on
/// `w = -log1p(-x²)`, both branches evaluated and one selected), with the FMA contractions of
/// its compiled form; ±inf at ±1.
#[inline(always)]
#[allow(clippy::excessive_precision)] // XLA's coefficients, written as in its source
pub(crate) fn erf_inv<M: Mad>(x: f32) -> f32 {
    const LT5: [f32; 9] = [
        2.810_226_36e-08,
        3.432_739_39e-07,
        -3.523_387_7e-06,
        -4.391_506_54e-06,
        0.000_218_580_87,
        -0.001_253_725_03,
        -0.004_177_681_64,
        0.246_640_727,
        1.501_409_41,
    ];
    const GE5: [f32; 9] = [
        -0.000_200_214_257,
        0.000_100_950_558,
        0.001_349_343_22,
        -0.003_673_428_44,
        0.005_739_507_73,
        -0.007_622_461_3,
        0.009_438_870_47,
        1.001_674_06,
        2.832_976_82,
    ];
    let x = daz(x);
    let w = -log1p::<M>(x * -x);
    let lt = w < 5.0;
    let wr = if lt { w - 2.5 } else { w.sqrt() - 3.0 };
    let mut p = if lt { LT5[0] } else { GE5[0] };
    for i in 1..9 {
        p = M::mad(p, wr, if lt { LT5[i] } else { GE5[i] });
    }
    let r = ftz(p * x);
    if x.abs() == 1.0 {
        x * f32::INFINITY
    } else {
        r
    }
}

/// XLA's f32 `erf` over arrays (its vectorized form): `x P(x²) / Q(x²)`, ±1 from |x| =
/// 3.8325 on. XLA emits these multiply-adds as `llvm.fma`, so they are fused even where the
/// rest of the code is not; `M` still picks the form here, so the portable copy stays
/// vectorizable. (XLA's scalar form clamps at 3.7439 instead and saturates from there; see
/// [`ERF_SCALAR_SATURATION`].)
#[inline(always)]
pub(crate) fn erf<M: Mad>(x: f32) -> f32 {
    const P: [u32; 3] = [0x3D50_B6EB, 0x3E3D_A740, 0x3F90_6EBA];
    const Q: [u32; 5] = [
        0x3A85_6D28,
        0x3C66_87D4,
        0x3DE3_4C21,
        0x3EFE_B44A,
        0x3F80_0000,
    ];
    let x = daz(x);
    let x2 = x * x;
    let mut p = M::mad(x2, k(0x3970_2D51), k(0x3B5F_5DA2));
    for &a in &P {
        p = M::mad(x2, p, k(a));
    }
    let num = x * p;
    let mut q = M::mad(x2, k(0xB3FD_3906), k(0x37C5_88DF));
    for &b in &Q {
        q = M::mad(x2, q, k(b));
    }
    let r = ftz(num / q);
    if x.abs() >= k(0x4075_47CB) {
        1f32.copysign(x)
    } else {
        r
    }
}

/// Where XLA's scalar `erf` (a rank-0 operand) saturates to ±1: from |x| = 3.7439 on, where
/// the vectorized form ([`erf`]) still evaluates its rational function up to 3.8325.
pub(crate) const ERF_SCALAR_SATURATION: f32 = k(0x406F_9C68);

/// The CPU's reciprocal square root estimate (`rsqrtss`, about 12 bits; what XLA's `rsqrt`
/// starts from). Elsewhere than x86-64: `1 / sqrt(x)`.
#[inline(always)]
fn rsqrt_estimate(x: f32) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_cvtss_f32, _mm_rsqrt_ss, _mm_set_ss};
        // SAFETY: SSE is part of the x86-64 baseline every build of this crate targets; the
        // intrinsics only move and compute on registers.
        unsafe { _mm_cvtss_f32(_mm_rsqrt_ss(_mm_set_ss(x))) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        1.0 / x.sqrt()
    }
}

/// XLA's f32 `rsqrt` (what `a / sqrt(b)` also becomes: XLA rewrites it to `a * rsqrt(b)`):
/// the `rsqrtss` estimate `y`, then `y + (-y/2)(x y y - 1)` (two FMAs) for positive normal
/// `x`; zeros, subnormals, infinities and negative inputs keep the estimate. Within 2 ulp of `1/√x`; the
/// estimate is the CPU's, so the last bits are those of XLA on the same CPU.
#[inline(always)]
pub(crate) fn rsqrt<M: Mad>(x: f32) -> f32 {
    let y = rsqrt_estimate(x);
    let r2 = x * y;
    let half = y * -0.5;
    let h = M::mad(r2, y, -1.0);
    let refined = M::mad(half, h, y);
    // llvm.is.fpclass(x, 764): all but positive normal inputs (and NaN) keep the estimate.
    let keep = !(x.is_normal() && x > 0.0);
    if keep {
        y
    } else {
        refined
    }
}
