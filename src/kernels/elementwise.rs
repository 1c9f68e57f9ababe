//! Elementwise loops that the compiler can vectorize: broadcasting binary maps over flat
//! slices (an inner contiguous loop per output row, no per-element index arithmetic), and
//! branch-free f32 `exp`/`expm1`/`tanh`/`logistic`/`erf`/`log`/`log1p` (libm's scalar versions
//! cost ~12 ns an element; `exp`, `expm1`, `tanh`, `log`, `log1p` and `erf_inv` are XLA's own,
//! see `kernels/xla_math.rs`),
//! and the slice-level unary maps ([`unary_f32`] and friends) that eager evaluation and the
//! jit interpreter's fused loops call, dispatched at run time to AVX-512 or AVX2+FMA copies.

use super::simd::{SimdLevel, Split};
use super::{unary_simd, vmath, xla_math};
use crate::ops::UnaryOp;

/// Panics unless `op` maps floats to floats of the same dtype and the lengths agree.
#[track_caller]
fn check_unary(op: UnaryOp, fname: &str, src: usize, dst: usize) {
    assert!(
        op.is_float_to_float(),
        "{fname}: {op:?} is not a float-to-float op (called from {})",
        std::panic::Location::caller()
    );
    assert_eq!(
        src,
        dst,
        "{fname}: {op:?} with source length {src} but destination length {dst} (called from {})",
        std::panic::Location::caller()
    );
}

/// `dst[i] = op(src[i])` for every float-to-float [`UnaryOp`]
/// ([`UnaryOp::is_float_to_float`]: all but `Not` and `IsFinite`), with the same values as evaluating the primitive on an f32 array. Exp,
/// expm1, log, log1p, tanh, logistic, erf and the arithmetic ops run vectorized (AVX-512 or
/// AVX2+FMA when the CPU has them, chosen once per process); the rest call libm per element.
/// Meant for cache-sized chunks of fused loops.
///
/// Panics if `op` is `Not`/`IsFinite` or the lengths differ.
///
/// ```
/// use ferrax::internals::kernels::elementwise::unary_f32;
/// use ferrax::internals::prims::UnaryOp;
/// let mut out = [0.0f32; 3];
/// unary_f32(UnaryOp::Exp, &[0.0, 1.0, f32::NEG_INFINITY], &mut out);
/// assert_eq!(out[0], 1.0);
/// assert!((out[1] - std::f32::consts::E).abs() < 1e-6);
/// assert_eq!(out[2], 0.0);
/// ```
#[track_caller]
pub fn unary_f32(op: UnaryOp, src: &[f32], dst: &mut [f32]) {
    check_unary(op, "unary_f32", src.len(), dst.len());
    unary_simd::run_f32(SimdLevel::detect(), op, src, dst);
}

/// [`unary_f32`] overwriting its input.
///
/// ```
/// use ferrax::internals::kernels::elementwise::unary_f32_inplace;
/// use ferrax::internals::prims::UnaryOp;
/// let mut buf = [4.0f32, 9.0];
/// unary_f32_inplace(UnaryOp::Sqrt, &mut buf);
/// assert_eq!(buf, [2.0, 3.0]);
/// ```
#[track_caller]
pub fn unary_f32_inplace(op: UnaryOp, buf: &mut [f32]) {
    check_unary(op, "unary_f32_inplace", buf.len(), buf.len());
    unary_simd::run_f32_inplace(SimdLevel::detect(), op, buf);
}

/// [`unary_f32`] for f64: the arithmetic ops vectorize, transcendentals call libm.
///
/// ```
/// use ferrax::internals::kernels::elementwise::unary_f64;
/// use ferrax::internals::prims::UnaryOp;
/// let mut out = [0.0f64; 2];
/// unary_f64(UnaryOp::IntegerPow(3), &[2.0, -1.5], &mut out);
/// assert_eq!(out, [8.0, -3.375]);
/// ```
#[track_caller]
pub fn unary_f64(op: UnaryOp, src: &[f64], dst: &mut [f64]) {
    check_unary(op, "unary_f64", src.len(), dst.len());
    unary_simd::run_f64(SimdLevel::detect(), op, src, dst);
}

/// [`unary_f64`] overwriting its input.
///
/// ```
/// use ferrax::internals::kernels::elementwise::unary_f64_inplace;
/// use ferrax::internals::prims::UnaryOp;
/// let mut buf = [-2.0f64, 0.0];
/// unary_f64_inplace(UnaryOp::Neg, &mut buf);
/// assert_eq!(buf, [2.0, -0.0]);
/// ```
#[track_caller]
pub fn unary_f64_inplace(op: UnaryOp, buf: &mut [f64]) {
    check_unary(op, "unary_f64_inplace", buf.len(), buf.len());
    unary_simd::run_f64_inplace(SimdLevel::detect(), op, buf);
}

/// [`unary_f32`] at a forced [`SimdLevel`] (lowered to what the CPU supports), so tests can
/// check the portable fallback and each dispatched copy.
///
/// ```
/// use ferrax::internals::kernels::{elementwise::unary_f32_at, simd::SimdLevel};
/// use ferrax::internals::prims::UnaryOp;
/// let mut out = [0.0f32; 1];
/// unary_f32_at(SimdLevel::Portable, UnaryOp::Tanh, &[0.5], &mut out);
/// assert!((out[0] - 0.5f32.tanh()).abs() < 1e-7);
/// ```
#[doc(hidden)]
#[track_caller]
pub fn unary_f32_at(level: SimdLevel, op: UnaryOp, src: &[f32], dst: &mut [f32]) {
    check_unary(op, "unary_f32_at", src.len(), dst.len());
    unary_simd::run_f32(level, op, src, dst);
}

/// [`unary_f64`] at a forced [`SimdLevel`] (see [`unary_f32_at`]).
///
/// ```
/// use ferrax::internals::kernels::{elementwise::unary_f64_at, simd::SimdLevel};
/// use ferrax::internals::prims::UnaryOp;
/// let mut out = [0.0f64; 1];
/// unary_f64_at(SimdLevel::Portable, UnaryOp::Abs, &[-0.5], &mut out);
/// assert_eq!(out[0], 0.5);
/// ```
#[doc(hidden)]
#[track_caller]
pub fn unary_f64_at(level: SimdLevel, op: UnaryOp, src: &[f64], dst: &mut [f64]) {
    check_unary(op, "unary_f64_at", src.len(), dst.len());
    unary_simd::run_f64(level, op, src, dst);
}

/// Row-major strides of `in_shape` read as `out_shape` (numpy-style: right-aligned, so a
/// lower-rank or rank-0 `in_shape` works): 0 on stretched (size-1 or missing) dims.
pub(crate) fn stretch_strides(in_shape: &[usize], out_shape: &[usize]) -> Vec<usize> {
    let pad = out_shape.len() - in_shape.len();
    let mut strides = vec![0; out_shape.len()];
    let mut acc = 1;
    for d in (0..in_shape.len()).rev() {
        strides[pad + d] = if in_shape[d] == 1 && out_shape[pad + d] != 1 {
            0
        } else {
            acc
        };
        acc *= in_shape[d];
    }
    strides
}

/// Walks elements `lo..lo + len` of an operand stretched to `out_shape` (with `strides` from
/// [`stretch_strides`]) one output row at a time, without per-element index arithmetic:
/// calls `row(base, col, take)` for each piece, meaning `take` output elements read from
/// operand offset `base + col` on (when the last dim is contiguous) or all equal to the
/// element at `base` (when it is stretched, `strides.last() == 0`).
pub(crate) fn for_each_stretched_row(
    out_shape: &[usize],
    strides: &[usize],
    lo: usize,
    len: usize,
    mut row: impl FnMut(usize, usize, usize),
) {
    let nd = out_shape.len();
    if len == 0 {
        return;
    }
    if nd == 0 {
        return row(0, 0, len);
    }
    let inner = out_shape[nd - 1];
    let (mut pos, end) = (lo, lo + len);
    while pos < end {
        let (mut r, col) = (pos / inner, pos % inner);
        let mut base = 0;
        for d in (0..nd - 1).rev() {
            base += (r % out_shape[d]) * strides[d];
            r /= out_shape[d];
        }
        let take = (inner - col).min(end - pos);
        row(base, col, take);
        pos += take;
    }
}

/// `f` applied elementwise to `a` and `b` stretched to `out_shape` (JAX-style: equal ranks
/// with size-1 dims, or rank-0 operands), in row-major order.
///
/// ```
/// use ferrax::internals::kernels::elementwise::zip_broadcast;
/// let out = zip_broadcast(&[1.0f32, 2.0], &[2, 1], &[10.0f32, 20.0, 30.0], &[1, 3], &[2, 3], |x, y| x + y);
/// assert_eq!(out, vec![11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
/// ```
pub fn zip_broadcast<A: Copy, B: Copy, O>(
    a: &[A],
    a_shape: &[usize],
    b: &[B],
    b_shape: &[usize],
    out_shape: &[usize],
    f: impl Fn(A, B) -> O,
) -> Vec<O> {
    let n: usize = out_shape.iter().product();
    if a.len() == n && b.len() == n {
        return a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect();
    }
    if b.len() == 1 && a.len() == n {
        let y = b[0];
        return a.iter().map(|&x| f(x, y)).collect();
    }
    if a.len() == 1 && b.len() == n {
        let x = a[0];
        return b.iter().map(|&y| f(x, y)).collect();
    }
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let rank = out_shape.len();
    let (sa, sb) = (
        stretch_strides(a_shape, out_shape),
        stretch_strides(b_shape, out_shape),
    );
    let inner = out_shape[rank - 1];
    let (ia, ib) = (sa[rank - 1], sb[rank - 1]);
    let rows = n / inner;
    let mut index = vec![0usize; rank - 1];
    let (mut off_a, mut off_b) = (0usize, 0usize);
    for _ in 0..rows {
        match (ia, ib) {
            (1, 1) => out.extend(
                a[off_a..off_a + inner]
                    .iter()
                    .zip(&b[off_b..off_b + inner])
                    .map(|(&x, &y)| f(x, y)),
            ),
            (1, _) => {
                let y = b[off_b];
                out.extend(a[off_a..off_a + inner].iter().map(|&x| f(x, y)));
            }
            (_, 1) => {
                let x = a[off_a];
                out.extend(b[off_b..off_b + inner].iter().map(|&y| f(x, y)));
            }
            _ => {
                let (x, y) = (a[off_a], b[off_b]);
                out.extend((0..inner).map(|_| f(x, y)));
            }
        }
        // Advance the outer index (odometer), updating both offsets incrementally.
        for d in (0..rank - 1).rev() {
            index[d] += 1;
            off_a += sa[d];
            off_b += sb[d];
            if index[d] < out_shape[d] {
                break;
            }
            off_a -= sa[d] * out_shape[d];
            off_b -= sb[d] * out_shape[d];
            index[d] = 0;
        }
    }
    out
}

/// `e^x` for f32 as XLA's CPU backend computes it under `jax.jit` (Eigen's polynomial on
/// `x - n ln 2`, the input clamped to [-87.8, 88.8]: no subnormal results, 0 below about
/// -87.34), in its portable form (separate multiply and add; [`unary_f32`] uses FMA where the
/// CPU has it, as XLA does). Within 1 ulp of the correctly rounded value in the normal range.
///
/// ```
/// let e = ferrax::internals::kernels::elementwise::exp_f32(1.0);
/// assert!((e - std::f32::consts::E).abs() <= f32::EPSILON * 3.0);
/// ```
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    xla_math::exp::<Split>(x)
}

/// `e^x - 1` for f32 as XLA computes it: `exp(x) - 1` above |x| = ½, `tanh(x/2) (e^x + 1)`
/// below (accurate for tiny `x`). Portable form, as [`exp_f32`].
///
/// ```
/// let e = ferrax::internals::kernels::elementwise::expm1_f32(1e-7);
/// assert!((e - 1e-7).abs() < 1e-13);
/// ```
#[inline(always)]
pub fn expm1_f32(x: f32) -> f32 {
    xla_math::expm1::<Split>(x)
}

/// `tanh(x)` for f32 as XLA computes it (Eigen's rational approximation, within a few ulp;
/// exactly `x` below |x| = 4·10⁻⁴, ±1 from 20). Portable form, as [`exp_f32`].
///
/// ```
/// let t = ferrax::internals::kernels::elementwise::tanh_f32(0.5);
/// assert!((t - 0.5f32.tanh()).abs() < 1e-6);
/// ```
#[inline(always)]
pub fn tanh_f32(x: f32) -> f32 {
    xla_math::tanh::<Split>(x)
}

/// The error function for f32 as XLA computes it (a rational function of `x²` on the
/// argument clamped to ±3.744, ±1 beyond; within 5 ulp of the correctly rounded value).
/// Portable form, as [`exp_f32`] (XLA's own multiply-adds are fused).
///
/// ```
/// let e = ferrax::internals::kernels::elementwise::erf_f32(0.5);
/// assert!((e - 0.520_499_9).abs() < 1e-7);
/// ```
#[inline(always)]
pub fn erf_f32(x: f32) -> f32 {
    xla_math::erf::<Split>(x)
}

/// `ln(x)` for f32 as XLA computes it (Eigen's `plog_float`: `x = m 2^e` with `m` in
/// `[√½, √2)`, Cephes' polynomial in `m - 1`); 0 → -inf, negatives and NaN → NaN, and
/// subnormals read as the smallest normal, as in XLA. Portable form, as [`exp_f32`].
///
/// ```
/// let l = ferrax::internals::kernels::elementwise::log_f32(std::f32::consts::E);
/// assert!((l - 1.0).abs() <= f32::EPSILON);
/// ```
#[inline(always)]
pub fn log_f32(x: f32) -> f32 {
    xla_math::log::<Split>(x)
}

/// `ln(1 + x)` for f32 as XLA computes it: a rational approximation below |x| = √2 - 1
/// (accurate for tiny `x`), `log(1 + x)` above. Portable form, as [`exp_f32`].
///
/// ```
/// let l = ferrax::internals::kernels::elementwise::log1p_f32(1e-7);
/// assert!((l - 1e-7).abs() < 1e-13);
/// ```
#[inline(always)]
pub fn log1p_f32(x: f32) -> f32 {
    xla_math::log1p::<Split>(x)
}

/// The logistic sigmoid for f32 from [`exp_f32`], stable for large |x|.
///
/// ```
/// assert_eq!(ferrax::internals::kernels::elementwise::logistic_f32(0.0), 0.5);
/// ```
#[inline(always)]
pub fn logistic_f32(x: f32) -> f32 {
    vmath::logistic::<Split>(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between two f32s (same sign assumed).
    fn ulps(a: f32, b: f32) -> u32 {
        if a == b {
            return 0;
        }
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    fn sweep(lo: f32, hi: f32, n: usize) -> impl Iterator<Item = f32> {
        (0..=n).map(move |i| lo + (hi - lo) * i as f32 / n as f32)
    }

    #[test]
    fn exp_is_within_one_ulp_of_libm() {
        let mut worst = 0;
        for x in sweep(-87.0, 88.0, 200_000) {
            let want = ((x as f64).exp()) as f32;
            worst = worst.max(ulps(exp_f32(x), want));
        }
        assert!(worst <= 1, "worst error {worst} ulp");
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(exp_f32(100.0), f32::INFINITY);
        // XLA flushes subnormal results to zero.
        assert_eq!(exp_f32(-100.0), 0.0);
        assert_eq!(exp_f32(-87.5), 0.0);
    }

    #[test]
    fn tanh_is_accurate() {
        let mut worst = 0;
        for x in sweep(-10.0, 10.0, 200_000) {
            let want = (x as f64).tanh() as f32;
            worst = worst.max(ulps(tanh_f32(x), want));
        }
        // XLA's (Eigen's) rational approximation: 6 ulp measured.
        assert!(worst <= 7, "worst error {worst} ulp");
        assert_eq!(tanh_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(tanh_f32(f32::INFINITY), 1.0);
        assert!(tanh_f32(f32::NAN).is_nan());
    }

    #[test]
    fn log_and_log1p_are_within_two_ulp() {
        let mut worst = 0;
        // Walk the bit patterns from the smallest normal to the largest finite value
        // (XLA reads subnormal inputs as 0).
        for bits in (0x0080_0000u32..0x7f80_0000).step_by(997) {
            let x = f32::from_bits(bits);
            worst = worst.max(ulps(log_f32(x), (x as f64).ln() as f32));
        }
        assert!(worst <= 1, "log: worst error {worst} ulp");
        let mut worst1 = 0;
        for x in sweep(-0.999, 10.0, 400_000).chain(sweep(-1e-3, 1e-3, 100_000)) {
            worst1 = worst1.max(ulps(log1p_f32(x), (x as f64).ln_1p() as f32));
        }
        assert!(worst1 <= 2, "log1p: worst error {worst1} ulp");
        assert_eq!(log_f32(0.0), f32::NEG_INFINITY);
        assert_eq!(log_f32(1e-40), f32::NEG_INFINITY);
        assert!(log_f32(-1.0).is_nan() && log_f32(f32::NAN).is_nan());
        assert_eq!(log_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(log1p_f32(-1.0), f32::NEG_INFINITY);
        assert!(log1p_f32(-2.0).is_nan());
        assert_eq!(log1p_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(log1p_f32(-0.0).to_bits(), (-0.0f32).to_bits());
    }

    #[test]
    fn logistic_is_accurate_and_saturates() {
        for x in sweep(-30.0, 30.0, 20_000) {
            let want = 1.0 / (1.0 + (-(x as f64)).exp());
            assert!(
                ((logistic_f32(x) as f64) - want).abs()
                    <= 2.0 * f32::EPSILON as f64 * want.max(1e-30),
                "{x}"
            );
        }
        assert_eq!(logistic_f32(-200.0), 0.0);
        assert_eq!(logistic_f32(200.0), 1.0);
    }

    #[test]
    fn broadcasting_matches_a_reference() {
        let a: Vec<i32> = (0..6).collect();
        let b: Vec<i32> = (0..4).map(|v| v * 10).collect();
        // [2,3,1] with [1,1,4] -> [2,3,4]
        let out = zip_broadcast(&a, &[2, 3, 1], &b, &[1, 1, 4], &[2, 3, 4], |x, y| x + y);
        let mut want = Vec::new();
        for i in 0..2 {
            for j in 0..3 {
                for bk in &b {
                    want.push(a[i * 3 + j] + bk);
                }
            }
        }
        assert_eq!(out, want);
        // rank-0 with anything, and empty outputs
        assert_eq!(
            zip_broadcast(&[2], &[], &a, &[2, 3], &[2, 3], |x, y| x * y),
            vec![0, 2, 4, 6, 8, 10]
        );
        assert!(zip_broadcast::<i32, i32, i32>(
            &[],
            &[0, 3],
            &[1, 2, 3],
            &[1, 3],
            &[0, 3],
            |x, y| x + y
        )
        .is_empty());
        // stretched inner dim with stretched outer dims
        let out = zip_broadcast(&[1, 2], &[2, 1], &[5], &[1, 1], &[2, 2], |x, y| x * y);
        assert_eq!(out, vec![5, 5, 10, 10]);
    }
}
