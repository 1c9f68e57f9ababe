//! The slice loops behind [`super::elementwise::unary_f32`] and friends: one `match` on the
//! op outside the loop, then a branch-free per-element kernel the compiler vectorizes. Each
//! loop is compiled three times (portable, AVX2+FMA, AVX-512; see [`super::simd`]) and the
//! copy is picked per call from a cached [`SimdLevel`].
//!
//! Measured (`cargo bench --bench kernels`, f32[10^6], one thread, GElem/s; the machine was
//! shared, load average 4-5 on 2 cores, so absolute numbers are low by up to ~2x):
//!
//! | op | AVX-512 (dispatched) | AVX2+FMA | portable (SSE2) | std/libm loop |
//! | --- | --- | --- | --- | --- |
//! | exp (XLA's) | 2.7 | - | 0.53 | 0.26 |
//! | expm1 (XLA's) | 1.2 | - | 0.26 | 0.079 |
//! | log (XLA's) | 1.5 | 0.95 | 0.37 | 0.22 |
//! | log1p (XLA's) | 0.85 | 0.55 | 0.20 | 0.090 |
//! | tanh (XLA's) | 2.4 | 1.5 | 0.50 | 0.046 |
//! | logistic | 1.3-1.8 | 0.92 | 0.39 | 0.26 |
//! | erf | 1.1 | 0.54 | 0.20 | 0.042 |
//! | sqrt | 3.8 | 3.8 | 1.9 | 1.9 |
//!
//! The XLA ports (`xla_math`) were measured on 2026-12-07 (exp/expm1 before them: 3.5/2.5
//! dispatched; log/log1p/tanh got faster). f64 transcendentals still call libm per element
//! (only the arithmetic ops vectorize).

use super::simd::{Fused, Mad, SimdLevel, Split};
use super::{vmath, xla_math};
use crate::ops::unary::{float_op, RoundingMethod, UnaryOp};
use crate::ops::FloatElement;

/// Elements per block of the in-place maps (a stack copy that stays in L1).
const BLOCK: usize = 1024;

#[inline(always)]
fn map<T: Copy>(src: &[T], dst: &mut [T], f: impl Fn(T) -> T) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = f(s);
    }
}

/// `x ** y` over a slice, one vectorized pass per bit of `y` (the same products, in the same
/// order, as the scalar `ops::unary::integer_pow`, so the values are identical).
#[inline(always)]
fn integer_pow_slice<T: num_traits::Float>(y: i32, src: &[T], dst: &mut [T]) {
    let mut base = [T::zero(); 256];
    for (s, d) in src.chunks(256).zip(dst.chunks_mut(256)) {
        let base = &mut base[..s.len()];
        base.copy_from_slice(s);
        d.fill(T::one());
        let mut n = y.unsigned_abs();
        while n > 0 {
            if n & 1 == 1 {
                for (a, &b) in d.iter_mut().zip(base.iter()) {
                    *a = *a * b;
                }
            }
            n >>= 1;
            if n > 0 {
                for b in base.iter_mut() {
                    *b = *b * *b;
                }
            }
        }
        if y < 0 {
            for a in d.iter_mut() {
                *a = T::one() / *a;
            }
        }
    }
}

/// Sign with XLA's semantics (±0 and NaN pass through), as selects.
#[inline(always)]
fn sign<T: num_traits::Float>(v: T) -> T {
    let s = if v > T::zero() { T::one() } else { v };
    if v < T::zero() {
        -T::one()
    } else {
        s
    }
}

/// The lane types of the slice loops, with each op's per-element kernel: the branch-free
/// vectorizable forms for f32 ([`vmath`], `M` deciding whether multiply-adds are fused),
/// the scalar [`float_op`] for f64 (libm per element).
trait Lane: FloatElement {
    fn exp<M: Mad>(v: Self) -> Self;
    fn expm1<M: Mad>(v: Self) -> Self;
    fn log<M: Mad>(v: Self) -> Self;
    fn log1p<M: Mad>(v: Self) -> Self;
    fn tanh<M: Mad>(v: Self) -> Self;
    fn logistic<M: Mad>(v: Self) -> Self;
    fn erf<M: Mad>(v: Self) -> Self;
    fn erf_inv<M: Mad>(v: Self) -> Self;
    fn rsqrt<M: Mad>(v: Self) -> Self;
}

impl Lane for f32 {
    #[inline(always)]
    fn exp<M: Mad>(v: f32) -> f32 {
        xla_math::exp::<M>(v)
    }
    #[inline(always)]
    fn expm1<M: Mad>(v: f32) -> f32 {
        xla_math::expm1::<M>(v)
    }
    #[inline(always)]
    fn log<M: Mad>(v: f32) -> f32 {
        xla_math::log::<M>(v)
    }
    #[inline(always)]
    fn log1p<M: Mad>(v: f32) -> f32 {
        xla_math::log1p::<M>(v)
    }
    #[inline(always)]
    fn tanh<M: Mad>(v: f32) -> f32 {
        xla_math::tanh::<M>(v)
    }
    #[inline(always)]
    fn logistic<M: Mad>(v: f32) -> f32 {
        vmath::logistic::<M>(v)
    }
    #[inline(always)]
    fn erf<M: Mad>(v: f32) -> f32 {
        xla_math::erf::<M>(v)
    }
    #[inline(always)]
    fn erf_inv<M: Mad>(v: f32) -> f32 {
        xla_math::erf_inv::<M>(v)
    }
    #[inline(always)]
    fn rsqrt<M: Mad>(v: f32) -> f32 {
        xla_math::rsqrt::<M>(v)
    }
}

impl Lane for f64 {
    #[inline(always)]
    fn exp<M: Mad>(v: f64) -> f64 {
        float_op(UnaryOp::Exp, v)
    }
    #[inline(always)]
    fn expm1<M: Mad>(v: f64) -> f64 {
        float_op(UnaryOp::Expm1, v)
    }
    #[inline(always)]
    fn log<M: Mad>(v: f64) -> f64 {
        float_op(UnaryOp::Log, v)
    }
    #[inline(always)]
    fn log1p<M: Mad>(v: f64) -> f64 {
        float_op(UnaryOp::Log1p, v)
    }
    #[inline(always)]
    fn tanh<M: Mad>(v: f64) -> f64 {
        float_op(UnaryOp::Tanh, v)
    }
    #[inline(always)]
    fn logistic<M: Mad>(v: f64) -> f64 {
        float_op(UnaryOp::Logistic, v)
    }
    #[inline(always)]
    fn erf<M: Mad>(v: f64) -> f64 {
        float_op(UnaryOp::Erf, v)
    }
    #[inline(always)]
    fn erf_inv<M: Mad>(v: f64) -> f64 {
        float_op(UnaryOp::ErfInv, v)
    }
    #[inline(always)]
    fn rsqrt<M: Mad>(v: f64) -> f64 {
        1.0 / v.sqrt()
    }
}

/// The loop body for every float-to-float op, one `match` outside the loop: the arithmetic
/// ops as their own vectorizable loops, the transcendentals through [`Lane`], the rest
/// through [`float_op`] per element.
#[inline(always)]
fn body<T: Lane, M: Mad>(op: UnaryOp, src: &[T], dst: &mut [T]) {
    use UnaryOp::*;
    match op {
        Neg => map(src, dst, |v| -v),
        Abs => map(src, dst, |v| v.abs()),
        Square => map(src, dst, |v| v * v),
        Sqrt => map(src, dst, |v| v.sqrt()),
        Rsqrt => map(src, dst, <T as Lane>::rsqrt::<M>),
        Sign => map(src, dst, sign),
        Floor => map(src, dst, |v| v.floor()),
        Ceil => map(src, dst, |v| v.ceil()),
        Round(RoundingMethod::AwayFromZero) => map(src, dst, |v| v.round()),
        Round(RoundingMethod::ToNearestEven) => map(src, dst, |v| v.round_ties_even_()),
        StopGradient | Copy => dst.copy_from_slice(src),
        IntegerPow(y) => integer_pow_slice(y, src, dst),
        Exp => map(src, dst, <T as Lane>::exp::<M>),
        Expm1 => map(src, dst, <T as Lane>::expm1::<M>),
        Log => map(src, dst, <T as Lane>::log::<M>),
        Log1p => map(src, dst, <T as Lane>::log1p::<M>),
        Tanh => map(src, dst, <T as Lane>::tanh::<M>),
        Logistic => map(src, dst, <T as Lane>::logistic::<M>),
        Erf => map(src, dst, <T as Lane>::erf::<M>),
        ErfInv => map(src, dst, <T as Lane>::erf_inv::<M>),
        _ => map(src, dst, |v| float_op(op, v)),
    }
}

/// # Safety
/// The CPU must support AVX2 and FMA (`SimdLevel::supported` checked it).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn f32_avx2(op: UnaryOp, src: &[f32], dst: &mut [f32]) {
    body::<f32, Fused>(op, src, dst)
}

/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA (`SimdLevel::supported` checked it).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn f32_avx512(op: UnaryOp, src: &[f32], dst: &mut [f32]) {
    body::<f32, Fused>(op, src, dst)
}

/// # Safety
/// The CPU must support AVX2 and FMA (`SimdLevel::supported` checked it).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn f64_avx2(op: UnaryOp, src: &[f64], dst: &mut [f64]) {
    body::<f64, Fused>(op, src, dst)
}

/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA (`SimdLevel::supported` checked it).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn f64_avx512(op: UnaryOp, src: &[f64], dst: &mut [f64]) {
    body::<f64, Fused>(op, src, dst)
}

/// [`super::elementwise::unary_f32`] at a chosen level (lowered to what the CPU supports);
/// lengths are the caller's to check.
#[allow(clippy::match_single_binding)] // a single arm off x86-64
pub(crate) fn run_f32(level: SimdLevel, op: UnaryOp, src: &[f32], dst: &mut [f32]) {
    match level.supported() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `supported` lowers any requested level to the detected one
        // (`SimdLevel::detect`, `is_x86_feature_detected!`), so this arm runs only on a CPU
        // with AVX-512F, AVX2 and FMA; the body is safe slice code.
        SimdLevel::Avx512 => unsafe { f32_avx512(op, src, dst) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, with AVX2 and FMA.
        SimdLevel::Avx2Fma => unsafe { f32_avx2(op, src, dst) },
        _ => body::<f32, Split>(op, src, dst),
    }
}

/// [`super::elementwise::unary_f64`] at a chosen level (lowered to what the CPU supports).
#[allow(clippy::match_single_binding)] // a single arm off x86-64
pub(crate) fn run_f64(level: SimdLevel, op: UnaryOp, src: &[f64], dst: &mut [f64]) {
    match level.supported() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `supported` lowers any requested level to the detected one
        // (`SimdLevel::detect`, `is_x86_feature_detected!`), so this arm runs only on a CPU
        // with AVX-512F, AVX2 and FMA; the body is safe slice code.
        SimdLevel::Avx512 => unsafe { f64_avx512(op, src, dst) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, with AVX2 and FMA.
        SimdLevel::Avx2Fma => unsafe { f64_avx2(op, src, dst) },
        _ => body::<f64, Split>(op, src, dst),
    }
}

/// In place, through an L1-sized copy of each block (one loop body serves both forms).
pub(crate) fn run_f32_inplace(level: SimdLevel, op: UnaryOp, buf: &mut [f32]) {
    let mut tmp = [0f32; BLOCK];
    for chunk in buf.chunks_mut(BLOCK) {
        let t = &mut tmp[..chunk.len()];
        t.copy_from_slice(chunk);
        run_f32(level, op, t, chunk);
    }
}

/// In place for f64, as [`run_f32_inplace`].
pub(crate) fn run_f64_inplace(level: SimdLevel, op: UnaryOp, buf: &mut [f64]) {
    let mut tmp = [0f64; BLOCK];
    for chunk in buf.chunks_mut(BLOCK) {
        let t = &mut tmp[..chunk.len()];
        t.copy_from_slice(chunk);
        run_f64(level, op, t, chunk);
    }
}
