//! Vectorized float reductions (`reduce_sum/prod/max/min` over any axes of a row-major f32 or
//! f64 array). Adjacent kept/reduced dims are merged into blocks, then reduced one block at a
//! time with two loop shapes:
//!
//! - *rows*: the reduced block is innermost, so each output folds a contiguous run. Sums and
//!   products use 32 independent accumulators (one vector register chain per 8 or 16 lanes)
//!   over blocks of 1024 elements, combined pairwise: the error grows like
//!   `(32 + log2 n) ε` instead of `n ε`.
//! - *columns*: kept elements are innermost (`f32[128, 512] -> f32[512]`, a bias gradient),
//!   so whole rows combine elementwise into the output, column chunks of 1024 at a time (they
//!   stay in L1); sums add rows pairwise (groups of 8 rows sequentially), products in order.
//!
//! Max/min propagate NaN (XLA's semantics, as `prims::reduce`); on ties they keep the later
//! element. The arithmetic has no FMA and a fixed order, so every SIMD level (the loops are
//! compiled for AVX2 and AVX-512 and chosen at run time) gives bit-identical results.
//!
//! Throughput is measured by `cargo bench --bench kernels` (the reduction rows).

use super::simd::SimdLevel;
use crate::ops::FloatElement;

/// Which monoid a reduction folds with.
///
/// ```
/// use ferrax::internals::kernels::reduce::{reduce_f32, ReduceKind};
/// assert_eq!(reduce_f32(ReduceKind::Prod, &[2.0, 3.0], &[2], &[0]), vec![6.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceKind {
    /// Sum (identity 0).
    Sum,
    /// Product (identity 1).
    Prod,
    /// NaN-propagating maximum (identity -inf).
    Max,
    /// NaN-propagating minimum (identity +inf).
    Min,
}

/// Accumulators of a contiguous fold.
const ACC: usize = 32;
/// Elements summed with the accumulators before pairwise combination.
const FOLD_BLOCK: usize = 1024;
/// Columns processed together by a column reduction.
const COL_CHUNK: usize = 1024;
/// Rows added in sequence before pairwise combination in a column sum.
const ROW_GROUP: usize = 8;

impl ReduceKind {
    #[inline(always)]
    fn identity<T: FloatElement>(self) -> T {
        match self {
            ReduceKind::Sum => T::ZERO,
            ReduceKind::Prod => T::ONE,
            ReduceKind::Max => T::LOWEST,
            ReduceKind::Min => T::HIGHEST,
        }
    }
}

#[inline(always)]
fn add<T: FloatElement>(a: T, b: T) -> T {
    a + b
}

#[inline(always)]
fn mul<T: FloatElement>(a: T, b: T) -> T {
    a * b
}

/// NaN-propagating max as selects (`a` the accumulator; the later `b` wins ties).
#[inline(always)]
fn max<T: FloatElement>(a: T, b: T) -> T {
    // `|` (not `||`): both compares as lane masks, one select.
    if (a > b) | a.is_nan() {
        a
    } else {
        b
    }
}

#[inline(always)]
fn min<T: FloatElement>(a: T, b: T) -> T {
    if (a < b) | a.is_nan() {
        a
    } else {
        b
    }
}

/// `f`-fold of `xs` (any length) in `ACC` lanes, lanes combined pairwise.
#[inline(always)]
pub(crate) fn fold_lanes<T: Copy>(xs: &[T], init: T, f: impl Fn(T, T) -> T + Copy) -> T {
    if xs.len() < 2 * ACC {
        return xs.iter().fold(init, |a, &v| f(a, v));
    }
    let mut acc = [init; ACC];
    let chunks = xs.chunks_exact(ACC);
    let rest = chunks.remainder();
    for c in chunks {
        combine_into(&mut acc, c, f);
    }
    for (a, &v) in acc.iter_mut().zip(rest) {
        *a = f(*a, v);
    }
    let mut width = ACC;
    while width > 1 {
        width /= 2;
        for j in 0..width {
            acc[j] = f(acc[j], acc[j + width]);
        }
    }
    acc[0]
}

/// Max or min (`better(v, m)`: `v` replaces `m`) of a contiguous run: lanes of plain compare
/// and select (which the compiler vectorizes, unlike the NaN-aware select) plus a lane sum
/// of `v · 0` that turns NaN on any NaN or infinity; then, and only then, the exact
/// NaN-propagating fold `exact` runs again over the run.
#[inline(always)]
fn fold_extreme<T: FloatElement>(
    xs: &[T],
    init: T,
    better: impl Fn(T, T) -> bool + Copy,
    exact: impl Fn(T, T) -> T + Copy,
) -> T {
    if xs.len() < 2 * ACC {
        return xs.iter().fold(init, |a, &v| exact(a, v));
    }
    let mut m = [init; ACC];
    let mut check = [T::zero(); ACC];
    let chunks = xs.chunks_exact(ACC);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..ACC {
            m[j] = if better(c[j], m[j]) { c[j] } else { m[j] };
            check[j] = check[j] + c[j] * T::zero();
        }
    }
    if check.iter().any(|c| c.is_nan()) {
        return xs.iter().fold(init, |a, &v| exact(a, v));
    }
    let r = m.iter().fold(init, |a, &v| exact(a, v));
    rest.iter().fold(r, |a, &v| exact(a, v))
}

/// Pairwise over blocks of `FOLD_BLOCK`: block results merge like a binary counter (two
/// partial results of equal weight combine), so the error grows with log2 of the number of
/// blocks. Iterative, so it inlines into the feature-enabled loops (a recursive function
/// would be compiled once, without AVX).
#[inline(always)]
fn fold_pairwise<T: FloatElement>(xs: &[T], init: T, f: impl Fn(T, T) -> T + Copy) -> T {
    if xs.len() <= FOLD_BLOCK {
        return fold_lanes(xs, init, f);
    }
    let mut stack = [(init, 0u32); 64];
    let mut depth = 0;
    for block in xs.chunks(FOLD_BLOCK) {
        let (mut s, mut level) = (fold_lanes(block, init, f), 0);
        while depth > 0 && stack[depth - 1].1 == level {
            s = f(stack[depth - 1].0, s);
            depth -= 1;
            level += 1;
        }
        stack[depth] = (s, level);
        depth += 1;
    }
    let mut acc = stack[depth - 1].0;
    for &(v, _) in stack[..depth - 1].iter().rev() {
        acc = f(v, acc);
    }
    acc
}

/// `dst[o] = fold(src[o*inner..(o+1)*inner])`.
#[inline(always)]
fn rows<T: FloatElement>(kind: ReduceKind, src: &[T], inner: usize, dst: &mut [T]) {
    let id = kind.identity::<T>();
    for (d, row) in dst.iter_mut().zip(src.chunks_exact(inner)) {
        *d = match kind {
            ReduceKind::Sum => fold_pairwise(row, id, add),
            ReduceKind::Prod => fold_pairwise(row, id, mul),
            ReduceKind::Max => fold_extreme(row, id, |v, m| v > m, max),
            ReduceKind::Min => fold_extreme(row, id, |v, m| v < m, min),
        };
    }
}

#[inline(always)]
fn combine_into<T: Copy>(acc: &mut [T], row: &[T], f: impl Fn(T, T) -> T) {
    for (a, &v) in acc.iter_mut().zip(row) {
        *a = f(*a, v);
    }
}

/// Column sum of `n_rows` rows (columns `c0..c0 + dst.len()` of rows `width` long) into
/// `dst`: groups of `ROW_GROUP` rows added in sequence, group sums merged like a binary
/// counter (pairwise) in `scratch`, which holds `sum_levels(n_rows)` buffers of `dst.len()`.
/// Iterative so it inlines into the feature-enabled loops.
#[inline(always)]
fn col_sum<T: FloatElement>(
    src: &[T],
    width: usize,
    c0: usize,
    n_rows: usize,
    dst: &mut [T],
    scratch: &mut [T],
) {
    let w = dst.len();
    let row = |r: usize| &src[r * width + c0..r * width + c0 + w];
    let mut levels = [0u32; 64];
    let mut depth = 0;
    let mut r = 0;
    while r < n_rows {
        let hi = (r + ROW_GROUP).min(n_rows);
        let buf = &mut scratch[depth * w..(depth + 1) * w];
        buf.copy_from_slice(row(r));
        for rr in r + 1..hi {
            combine_into(buf, row(rr), add);
        }
        levels[depth] = 0;
        depth += 1;
        while depth >= 2 && levels[depth - 1] == levels[depth - 2] {
            let (lo, top) = scratch.split_at_mut((depth - 1) * w);
            combine_into(&mut lo[(depth - 2) * w..], &top[..w], add);
            levels[depth - 2] += 1;
            depth -= 1;
        }
        r = hi;
    }
    while depth >= 2 {
        let (lo, top) = scratch.split_at_mut((depth - 1) * w);
        combine_into(&mut lo[(depth - 2) * w..], &top[..w], add);
        depth -= 1;
    }
    dst.copy_from_slice(&scratch[..w]);
}

/// Partial-sum buffers [`col_sum`] needs for `n_rows` rows (an upper bound).
fn sum_levels(n_rows: usize) -> usize {
    (usize::BITS - n_rows.leading_zeros()) as usize + 1
}

/// `dst[k] = fold_r src[r * width + k]` for `r < n_rows` (`width = dst.len()`); `scratch`
/// holds `COL_CHUNK.min(width) * sum_levels(n_rows)` elements.
#[inline(always)]
fn columns<T: FloatElement>(
    kind: ReduceKind,
    src: &[T],
    n_rows: usize,
    dst: &mut [T],
    scratch: &mut [T],
) {
    let width = dst.len();
    let levels = sum_levels(n_rows);
    for (ci, d) in dst.chunks_mut(COL_CHUNK).enumerate() {
        let c0 = ci * COL_CHUNK;
        let w = d.len();
        if kind == ReduceKind::Sum {
            col_sum(src, width, c0, n_rows, d, &mut scratch[..w * levels]);
            continue;
        }
        d.copy_from_slice(&src[c0..c0 + w]);
        for r in 1..n_rows {
            let row = &src[r * width + c0..r * width + c0 + w];
            match kind {
                ReduceKind::Prod => combine_into(d, row, mul),
                ReduceKind::Max => combine_into(d, row, max),
                _ => combine_into(d, row, min),
            }
        }
    }
}

/// One pass over `[outer, mid, inner]` reducing `mid` (`inner == 1` is a row reduction;
/// `mid >= 1`).
#[inline(always)]
fn pass<T: FloatElement>(kind: ReduceKind, src: &[T], (mid, inner): (usize, usize), dst: &mut [T]) {
    if inner == 1 {
        rows(kind, src, mid, dst);
    } else {
        let len = if kind == ReduceKind::Sum {
            COL_CHUNK.min(inner) * sum_levels(mid)
        } else {
            0
        };
        let mut scratch = vec![T::zero(); len];
        for (d, s) in dst
            .chunks_exact_mut(inner)
            .zip(src.chunks_exact(mid * inner))
        {
            columns(kind, s, mid, d, &mut scratch);
        }
    }
}

macro_rules! leveled {
    ($name:ident, $avx2:ident, $avx512:ident, $t:ty) => {
        /// # Safety
        /// The CPU must support AVX2 and FMA (`SimdLevel::supported` checked it).
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $avx2(kind: ReduceKind, src: &[$t], dims: (usize, usize), dst: &mut [$t]) {
            pass(kind, src, dims, dst)
        }

        /// # Safety
        /// The CPU must support AVX-512F, AVX2 and FMA (`SimdLevel::supported` checked it).
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx2,fma")]
        unsafe fn $avx512(kind: ReduceKind, src: &[$t], dims: (usize, usize), dst: &mut [$t]) {
            pass(kind, src, dims, dst)
        }

        #[allow(clippy::match_single_binding)] // a single arm off x86-64
        fn $name(
            level: SimdLevel,
            kind: ReduceKind,
            src: &[$t],
            dims: (usize, usize),
            dst: &mut [$t],
        ) {
            match level.supported() {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: `supported` lowers any requested level to the detected one
                // (`SimdLevel::detect`, `is_x86_feature_detected!`), so this arm runs only on
                // a CPU with AVX-512F, AVX2 and FMA; the body is safe slice code.
                SimdLevel::Avx512 => unsafe { $avx512(kind, src, dims, dst) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above, with AVX2 and FMA.
                SimdLevel::Avx2Fma => unsafe { $avx2(kind, src, dims, dst) },
                _ => pass(kind, src, dims, dst),
            }
        }
    };
}
leveled!(pass_f32, pass_f32_avx2, pass_f32_avx512, f32);
leveled!(pass_f64, pass_f64_avx2, pass_f64_avx512, f64);

/// Merged `(size, reduced)` blocks of `shape` without size-1 dims: adjacent dims that are
/// both reduced or both kept are one block.
pub(crate) fn blocks(shape: &[usize], axes: &[usize]) -> Vec<(usize, bool)> {
    let mut b: Vec<(usize, bool)> = Vec::new();
    for (i, &d) in shape.iter().enumerate() {
        if d == 1 {
            continue;
        }
        let red = axes.contains(&i);
        match b.last_mut() {
            Some((s, r)) if *r == red => *s *= d,
            _ => b.push((d, red)),
        }
    }
    b
}

/// Reduces one block at a time, innermost reduced block first, until none is left.
#[track_caller]
fn reduce_generic<T: FloatElement>(
    kind: ReduceKind,
    src: &[T],
    shape: &[usize],
    axes: &[usize],
    dst: &mut [T],
    pass: impl Fn(ReduceKind, &[T], (usize, usize), &mut [T]),
) {
    let n: usize = shape.iter().product();
    let n_out: usize = shape
        .iter()
        .enumerate()
        .filter(|(i, _)| !axes.contains(i))
        .map(|(_, &d)| d)
        .product();
    assert!(
        src.len() == n && dst.len() == n_out && axes.iter().all(|&a| a < shape.len()),
        "reduce ({kind:?}): source of {} elements, shape {shape:?}, axes {axes:?} and \
         destination of {} elements do not agree (called from {})",
        src.len(),
        dst.len(),
        std::panic::Location::caller()
    );
    if n_out == 0 {
        return;
    }
    if n == 0 {
        dst.fill(kind.identity());
        return;
    }
    let mut b = blocks(shape, axes);
    let mut cur: Option<Vec<T>> = None;
    loop {
        let Some(j) = b.iter().rposition(|&(_, r)| r) else {
            match cur {
                Some(v) => dst.copy_from_slice(&v),
                None => dst.copy_from_slice(src),
            }
            return;
        };
        let inner: usize = b[j + 1..].iter().map(|&(s, _)| s).product();
        let mid = b[j].0;
        let last = b[..j].iter().all(|&(_, r)| !r);
        let input = cur.as_deref().unwrap_or(src);
        if last {
            pass(kind, input, (mid, inner), dst);
            return;
        }
        let mut out = vec![T::zero(); input.len() / mid];
        pass(kind, input, (mid, inner), &mut out);
        cur = Some(out);
        b.remove(j);
        if j > 0 && j < b.len() && !b[j - 1].1 && !b[j].1 {
            b[j - 1].0 *= b[j].0;
            b.remove(j);
        }
    }
}

/// `src` (row-major, `shape`) reduced over `axes` into `dst` (the kept dims, row-major), with
/// the vectorized loops of the detected [`SimdLevel`].
///
/// Panics if the lengths do not match `shape` and `axes`, or an axis is out of range.
///
/// ```
/// use ferrax::internals::kernels::reduce::{reduce_f32_into, ReduceKind};
/// let x = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]; // [2, 3]
/// let mut cols = [0.0f32; 3];
/// reduce_f32_into(ReduceKind::Sum, &x, &[2, 3], &[0], &mut cols);
/// assert_eq!(cols, [5.0, 7.0, 9.0]);
/// ```
#[track_caller]
pub fn reduce_f32_into(
    kind: ReduceKind,
    src: &[f32],
    shape: &[usize],
    axes: &[usize],
    dst: &mut [f32],
) {
    reduce_f32_at(SimdLevel::detect(), kind, src, shape, axes, dst)
}

/// [`reduce_f32_into`] for f64.
///
/// ```
/// use ferrax::internals::kernels::reduce::{reduce_f64_into, ReduceKind};
/// let mut m = [0.0f64; 2];
/// reduce_f64_into(ReduceKind::Max, &[1.0, 5.0, 3.0, 2.0], &[2, 2], &[1], &mut m);
/// assert_eq!(m, [5.0, 3.0]);
/// ```
#[track_caller]
pub fn reduce_f64_into(
    kind: ReduceKind,
    src: &[f64],
    shape: &[usize],
    axes: &[usize],
    dst: &mut [f64],
) {
    reduce_f64_at(SimdLevel::detect(), kind, src, shape, axes, dst)
}

/// [`reduce_f32_into`] into a new `Vec`.
///
/// ```
/// use ferrax::internals::kernels::reduce::{reduce_f32, ReduceKind};
/// assert_eq!(reduce_f32(ReduceKind::Min, &[3.0, -1.0, 2.0], &[3], &[0]), vec![-1.0]);
/// ```
#[track_caller]
pub fn reduce_f32(kind: ReduceKind, src: &[f32], shape: &[usize], axes: &[usize]) -> Vec<f32> {
    let mut dst = super::pool::take_zeroed(out_len(shape, axes));
    reduce_f32_into(kind, src, shape, axes, &mut dst);
    dst
}

/// [`reduce_f64_into`] into a new `Vec`.
///
/// ```
/// use ferrax::internals::kernels::reduce::{reduce_f64, ReduceKind};
/// assert_eq!(reduce_f64(ReduceKind::Sum, &[0.5; 10], &[2, 5], &[0, 1]), vec![5.0]);
/// ```
#[track_caller]
pub fn reduce_f64(kind: ReduceKind, src: &[f64], shape: &[usize], axes: &[usize]) -> Vec<f64> {
    let mut dst = super::pool::take_zeroed(out_len(shape, axes));
    reduce_f64_into(kind, src, shape, axes, &mut dst);
    dst
}

fn out_len(shape: &[usize], axes: &[usize]) -> usize {
    shape
        .iter()
        .enumerate()
        .filter(|(i, _)| !axes.contains(i))
        .map(|(_, &d)| d)
        .product()
}

/// [`reduce_f32_into`] at a forced [`SimdLevel`] (lowered to what the CPU supports), for
/// tests of each compiled copy.
///
/// ```
/// use ferrax::internals::kernels::{reduce::{reduce_f32_at, ReduceKind}, simd::SimdLevel};
/// let mut s = [0.0f32];
/// reduce_f32_at(SimdLevel::Portable, ReduceKind::Sum, &[1.0; 100], &[100], &[0], &mut s);
/// assert_eq!(s, [100.0]);
/// ```
#[doc(hidden)]
#[track_caller]
pub fn reduce_f32_at(
    level: SimdLevel,
    kind: ReduceKind,
    src: &[f32],
    shape: &[usize],
    axes: &[usize],
    dst: &mut [f32],
) {
    reduce_generic(kind, src, shape, axes, dst, |k, s, dims, d| {
        pass_f32(level, k, s, dims, d)
    })
}

/// [`reduce_f64_into`] at a forced [`SimdLevel`].
///
/// ```
/// use ferrax::internals::kernels::{reduce::{reduce_f64_at, ReduceKind}, simd::SimdLevel};
/// let mut s = [0.0f64];
/// reduce_f64_at(SimdLevel::Portable, ReduceKind::Max, &[1.0, f64::NAN], &[2], &[0], &mut s);
/// assert!(s[0].is_nan());
/// ```
#[doc(hidden)]
#[track_caller]
pub fn reduce_f64_at(
    level: SimdLevel,
    kind: ReduceKind,
    src: &[f64],
    shape: &[usize],
    axes: &[usize],
    dst: &mut [f64],
) {
    reduce_generic(kind, src, shape, axes, dst, |k, s, dims, d| {
        pass_f64(level, k, s, dims, d)
    })
}
