//! Matrix products. [`matmul_strided`] multiplies one pair of strided matrices (gemm for
//! f32/f64, a plain loop for i32/u32); [`batched_matmul`] runs it over a batch;
//! [`dot_general`] maps XLA's DotGeneral onto `[batch, m, k] x [batch, k, n]`, passing the
//! operands' own strides to gemm and copying an operand only when its dims cannot be merged
//! into three strided groups.

use super::parallel::{gemm_ns, should_parallelize, split_on_pool};
pub use super::rhs_layout::copy_rhs_pays;
use crate::ops::Element;
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use std::any::TypeId;
use std::panic::Location;

/// `dst[i * dst_rs + j] (+)= Σ_p lhs[i * lhs_rs + p * lhs_cs] * rhs[p * rhs_rs + j * rhs_cs]`
/// for `i < m, j < n, p < k` (strides in elements), adding to `dst` when `accumulate`
/// (the blocked convolution sums a long reduction block by block); on all threads when
/// `parallel`. gemm for f32 and f64, plain loops with XLA's wrapping arithmetic for the
/// other element types. Nothing is checked: this is the raw kernel behind
/// [`matmul_strided`], which checks the contract below (through [`GemmLayout::check`]) and
/// then calls it.
///
/// ```
/// use ferrax::internals::kernels::matmul::{matmul_unchecked, GemmLayout};
/// let (a, b) = ([1.0f32, 2.0], [3.0f32, 4.0]);
/// let mut out = [0.0f32; 4];
/// // A 2x1 column times a 1x2 row.
/// let l = GemmLayout { m: 2, n: 2, k: 1, dst_rs: 2, lhs_rs: 1, lhs_cs: 1, rhs_rs: 2, rhs_cs: 1 };
/// let l = l.check("outer", out.len(), a.len(), b.len());
/// // SAFETY: `check` returned, so the layout stays inside the three slices and the
/// // destination rows do not overlap.
/// unsafe { matmul_unchecked(l, &mut out, &a, &b, false, false) };
/// assert_eq!(out, [3.0, 4.0, 6.0, 8.0]);
/// ```
///
/// # Safety
///
/// With `m, n, k >= 1` (the caller handles empty products):
/// - `(m - 1) * dst_rs + n - 1 < dst.len()`, `(m - 1) * lhs_rs + (k - 1) * lhs_cs <
///   lhs.len()` and `(k - 1) * rhs_rs + (n - 1) * rhs_cs < rhs.len()`, computed without
///   overflow: every element the product touches lies inside its slice;
/// - `dst_rs >= n` when `m > 1`: the destination rows do not overlap (gemm writes
///   different rows from different threads when `parallel`);
/// - every stride is at most `isize::MAX` (gemm takes signed strides).
///
/// A layout returned by [`GemmLayout::check`] meets all three.
pub unsafe fn matmul_unchecked<T: Element>(
    l: GemmLayout,
    dst: &mut [T],
    lhs: &[T],
    rhs: &[T],
    accumulate: bool,
    parallel: bool,
) {
    let GemmLayout {
        m,
        n,
        k,
        dst_rs,
        lhs_rs,
        lhs_cs,
        rhs_rs,
        rhs_cs,
    } = l;
    let float =
        TypeId::of::<T>() == TypeId::of::<f32>() || TypeId::of::<T>() == TypeId::of::<f64>();
    if float {
        if copy_rhs_pays(m, n, k, lhs_cs, rhs_rs, rhs_cs) {
            // SAFETY: the contract puts every `rhs[p * rhs_rs + j * rhs_cs]` (here `rhs_rs ==
            // 1`) inside `rhs`, which is the copy's contract; the copy is the same matrix,
            // row-major, so the new layout meets this function's contract again.
            let copy = unsafe { super::rhs_layout::row_major_copy(rhs, k, n, rhs_cs) };
            let l = GemmLayout {
                rhs_rs: n,
                rhs_cs: 1,
                ..l
            };
            // SAFETY: as above.
            unsafe { matmul_unchecked(l, dst, lhs, &copy, accumulate, parallel) };
            return;
        }
        let parallelism = if parallel {
            gemm_common::Parallelism::Rayon(0)
        } else {
            gemm_common::Parallelism::None
        };
        // SAFETY: `T` is f32 or f64 (just tested). By this function's contract every index
        // gemm touches through these pointers and strides lies inside its slice, the strides
        // fit `isize` (so the casts are exact), and distinct (i, j) of `dst` are distinct
        // elements (rows do not overlap), so gemm's threads write disjoint elements. `dst` is
        // a `&mut` borrow, so it aliases neither `lhs` nor `rhs`.
        unsafe {
            gemm_f32_f64(
                [m, n, k],
                (dst.as_mut_ptr(), 1, dst_rs as isize),
                accumulate,
                (lhs.as_ptr(), lhs_cs as isize, lhs_rs as isize),
                (rhs.as_ptr(), rhs_cs as isize, rhs_rs as isize),
                parallelism,
            );
        }
        return;
    }
    // Plain indexed loops: the contract is not even needed for soundness here (every access
    // is bounds-checked), only for the results to be the documented ones. Integer products
    // wrap, as XLA's do (so the order of the sum is irrelevant).
    for i in 0..m {
        let row = &mut dst[i * dst_rs..i * dst_rs + n];
        if !accumulate {
            row.fill(T::ZERO);
        }
        for p in 0..k {
            let a = lhs[i * lhs_rs + p * lhs_cs];
            if a == T::ZERO {
                continue;
            }
            let base = p * rhs_rs;
            if rhs_cs == 1 {
                for (d, &b) in row.iter_mut().zip(&rhs[base..base + n]) {
                    *d = T::xla_add(*d, T::xla_mul(a, b));
                }
            } else {
                for (j, d) in row.iter_mut().enumerate() {
                    *d = T::xla_add(*d, T::xla_mul(a, rhs[base + j * rhs_cs]));
                }
            }
        }
    }
}

/// A strided matrix for [`gemm_f32_f64`]: base pointer, column stride, row stride.
type GemmOperand<P> = (P, isize, isize);

/// `dst (+)= lhs * rhs` on gemm's f32 or f64 kernel (`[m, n, k]`; adds to `dst` when
/// `read_dst`). gemm's kernels prefer a column-major destination, so a row-major one is
/// computed as the transposed product `dstᵀ = rhsᵀ lhsᵀ`, as the `gemm` crate's own entry
/// point does; ferrax calls the per-type crates directly so that gemm's complex kernels,
/// which it never uses, are not built.
///
/// # Safety
///
/// `T` is f32 or f64, and the operands meet [`matmul_unchecked`]'s contract (non-negative
/// strides, every touched element inside its allocation, distinct destination elements).
unsafe fn gemm_f32_f64<T: Element>(
    [m, n, k]: [usize; 3],
    (dst, dst_cs, dst_rs): GemmOperand<*mut T>,
    read_dst: bool,
    lhs: GemmOperand<*const T>,
    rhs: GemmOperand<*const T>,
    parallelism: gemm_common::Parallelism,
) {
    let (m, n, dst_cs, dst_rs, lhs, rhs) = if dst_cs < dst_rs {
        let swap = |(p, cs, rs): GemmOperand<*const T>| (p, rs, cs);
        (n, m, dst_rs, dst_cs, swap(rhs), swap(lhs))
    } else {
        (m, n, dst_cs, dst_rs, lhs, rhs)
    };
    let ((lhs, lhs_cs, lhs_rs), (rhs, rhs_cs, rhs_rs)) = (lhs, rhs);
    macro_rules! call {
        ($t:ty, $kernel:path) => {
            // SAFETY: `T` is `$t` (the caller's TypeId test), so the casts are identities,
            // and the caller's contract is gemm's.
            unsafe {
                $kernel()(
                    m,
                    n,
                    k,
                    dst as *mut $t,
                    dst_cs,
                    dst_rs,
                    read_dst,
                    lhs as *const $t,
                    lhs_cs,
                    lhs_rs,
                    rhs as *const $t,
                    rhs_cs,
                    rhs_rs,
                    1.0,
                    1.0,
                    false,
                    false,
                    false,
                    parallelism,
                )
            }
        };
    }
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        call!(f32, gemm_f32::gemm::f32::get_gemm_fn)
    } else {
        debug_assert_eq!(TypeId::of::<T>(), TypeId::of::<f64>());
        call!(f64, gemm_f64::gemm::f64::get_gemm_fn)
    }
}

/// The sizes and strides (in elements) of one strided product `dst (m x n, unit column
/// stride) = lhs (m x k) @ rhs (k x n)`. [`GemmLayout::check`] is the one place the
/// contract of [`matmul_unchecked`] is checked, for every caller.
///
/// ```
/// use ferrax::internals::kernels::matmul::GemmLayout;
/// let l = GemmLayout { m: 2, n: 3, k: 4, dst_rs: 3, lhs_rs: 4, lhs_cs: 1, rhs_rs: 3, rhs_cs: 1 };
/// assert_eq!(l.check("matmul", 6, 8, 12), l);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GemmLayout {
    /// Rows of `lhs` and `dst`.
    pub m: usize,
    /// Columns of `rhs` and `dst`.
    pub n: usize,
    /// Columns of `lhs`, rows of `rhs` (the contracted length).
    pub k: usize,
    /// Distance between rows of `dst`.
    pub dst_rs: usize,
    /// Distance between rows of `lhs`.
    pub lhs_rs: usize,
    /// Distance between columns of `lhs`.
    pub lhs_cs: usize,
    /// Distance between rows of `rhs`.
    pub rhs_rs: usize,
    /// Distance between columns of `rhs`.
    pub rhs_cs: usize,
}

/// Index of the last element of a `rows x cols` strided matrix (both at least 1), or `None`
/// on overflow.
fn last_index(rows: usize, cols: usize, rs: usize, cs: usize) -> Option<usize> {
    (rows - 1)
        .checked_mul(rs)?
        .checked_add((cols - 1).checked_mul(cs)?)
}

impl GemmLayout {
    /// Checks this layout against slices of `dst_len`, `lhs_len` and `rhs_len` elements and
    /// returns it with the strides of length-1 dims (which address nothing) zeroed, which
    /// then meets the contract of [`matmul_unchecked`] when `m, n, k >= 1`.
    /// Empty products (`m`, `n` or `k` zero) pass whenever the destination rows fit.
    ///
    /// Panics, naming `op` and the caller's line, if an index overflows `usize`, a slice is
    /// too short for its sizes and strides, or destination rows overlap (`dst_rs < n` with
    /// more than one row: different threads would write the same elements).
    ///
    /// ```
    /// use ferrax::internals::kernels::matmul::GemmLayout;
    /// let l = GemmLayout { m: 1, n: 2, k: 1, dst_rs: 99, lhs_rs: 7, lhs_cs: 5, rhs_rs: 3, rhs_cs: 1 };
    /// let c = l.check("matmul", 2, 1, 2);
    /// assert_eq!((c.dst_rs, c.lhs_rs, c.lhs_cs, c.rhs_rs), (0, 0, 0, 0));
    /// ```
    #[track_caller]
    pub fn check(self, op: &str, dst_len: usize, lhs_len: usize, rhs_len: usize) -> GemmLayout {
        let GemmLayout { m, n, k, .. } = self;
        let unused = |size: usize, stride: usize| if size == 1 { 0 } else { stride };
        let l = GemmLayout {
            dst_rs: unused(m, self.dst_rs),
            lhs_rs: unused(m, self.lhs_rs),
            lhs_cs: unused(k, self.lhs_cs),
            rhs_rs: unused(k, self.rhs_rs),
            rhs_cs: unused(n, self.rhs_cs),
            ..self
        };
        let at = Location::caller();
        if m == 0 || n == 0 {
            return l;
        }
        assert!(
            m == 1 || l.dst_rs >= n,
            "{op}: destination rows overlap: row stride {} is less than the row length {n} \
             ({m} rows; called from {at})",
            l.dst_rs
        );
        let fits = |last: Option<usize>, len: usize| last.is_some_and(|i| i < len);
        assert!(
            fits(last_index(m, n, l.dst_rs, 1), dst_len),
            "{op}: a {m}x{n} destination with row stride {} does not fit in {dst_len} \
             elements (called from {at})",
            self.dst_rs
        );
        if k == 0 {
            return l;
        }
        assert!(
            fits(last_index(m, k, l.lhs_rs, l.lhs_cs), lhs_len),
            "{op}: a {m}x{k} lhs with strides ({}, {}) does not fit in {lhs_len} elements \
             (called from {at})",
            self.lhs_rs,
            self.lhs_cs
        );
        assert!(
            fits(last_index(k, n, l.rhs_rs, l.rhs_cs), rhs_len),
            "{op}: a {k}x{n} rhs with strides ({}, {}) does not fit in {rhs_len} elements \
             (called from {at})",
            self.rhs_rs,
            self.rhs_cs
        );
        // Every nonzero stride is now at most a slice length, hence at most `isize::MAX`
        // for any element type with a size; checked anyway (it is free) for the others.
        let strides = [l.dst_rs, l.lhs_rs, l.lhs_cs, l.rhs_rs, l.rhs_cs];
        assert!(
            strides.iter().all(|&s| isize::try_from(s).is_ok()),
            "{op}: strides {strides:?} exceed isize::MAX (called from {at})"
        );
        l
    }

    /// Runs the checked product: zeroes (or, accumulating, keeps) the block when `k == 0`,
    /// otherwise calls [`matmul_unchecked`].
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    pub(crate) fn run<T: Element>(
        self,
        op: &str,
        dst: &mut [T],
        lhs: &[T],
        rhs: &[T],
        accumulate: bool,
        parallel: bool,
    ) {
        let l = self.check(op, dst.len(), lhs.len(), rhs.len());
        if l.m == 0 || l.n == 0 {
            return;
        }
        if l.k == 0 {
            if !accumulate {
                for i in 0..l.m {
                    dst[i * l.dst_rs..i * l.dst_rs + l.n].fill(T::default());
                }
            }
            return;
        }
        // SAFETY: `check` returned, so (with m, n, k >= 1, just tested) every index lies
        // inside its slice without overflow, destination rows do not overlap, and every
        // stride is at most a slice length, hence at most `isize::MAX`.
        unsafe {
            matmul_unchecked(l, dst, lhs, rhs, accumulate, parallel);
        }
    }
}

/// `dst[i * dst_rs + j] = Σ_p lhs[i * lhs_rs + p * lhs_cs] * rhs[p * rhs_rs + j * rhs_cs]`:
/// an `m x k` by `k x n` product into rows of `dst` (unit column stride). Entries of `dst`
/// outside the `m x n` block are left alone; with `k == 0` the block is zeroed.
///
/// Panics, naming `matmul_strided`, the sizes and strides, if an operand's strides reach
/// past its slice (or past `usize::MAX`), or if destination rows overlap (`dst_rs < n` with
/// more than one row).
///
/// ```
/// use ferrax::internals::kernels::matmul::matmul_strided;
/// // [[1, 2], [3, 4]] times its transpose (the same buffer read column-wise).
/// let a = [1.0f64, 2.0, 3.0, 4.0];
/// let mut out = [0.0; 4];
/// matmul_strided(2, 2, 2, &mut out, 2, &a, 2, 1, &a, 1, 2);
/// assert_eq!(out, [5.0, 11.0, 11.0, 25.0]);
/// ```
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub fn matmul_strided<T: Element>(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [T],
    dst_rs: usize,
    lhs: &[T],
    lhs_rs: usize,
    lhs_cs: usize,
    rhs: &[T],
    rhs_rs: usize,
    rhs_cs: usize,
) {
    // One product runs on all threads (gemm's rayon mode) when it is large enough.
    let parallel = should_parallelize(gemm_ns(m.saturating_mul(n).saturating_mul(k)));
    gemm_block(
        "matmul_strided",
        (m, n, k),
        dst,
        dst_rs,
        (lhs, lhs_rs, lhs_cs),
        (rhs, rhs_rs, rhs_cs),
        false,
        parallel,
    );
}

/// A checked strided product ([`GemmLayout::run`]), panicking with `op`'s name: with `k == 0`
/// it zeroes the block (or leaves it, when accumulating).
#[allow(clippy::too_many_arguments)]
#[track_caller]
pub(crate) fn gemm_block<T: Element>(
    op: &str,
    (m, n, k): (usize, usize, usize),
    dst: &mut [T],
    dst_rs: usize,
    (lhs, lhs_rs, lhs_cs): (&[T], usize, usize),
    (rhs, rhs_rs, rhs_cs): (&[T], usize, usize),
    accumulate: bool,
    parallel: bool,
) {
    let layout = GemmLayout {
        m,
        n,
        k,
        dst_rs,
        lhs_rs,
        lhs_cs,
        rhs_rs,
        rhs_cs,
    };
    layout.run(op, dst, lhs, rhs, accumulate, parallel);
}

/// A strided `[batch, rows, cols]` operand over a flat slice (strides in elements).
#[derive(Clone, Copy, Debug)]
pub struct Strided3<'a, T> {
    /// The elements; index `(b, i, j)` is at `b * batch_stride + i * row_stride + j * col_stride`.
    pub data: &'a [T],
    /// Distance between consecutive batch entries.
    pub batch_stride: usize,
    /// Distance between consecutive rows.
    pub row_stride: usize,
    /// Distance between consecutive columns.
    pub col_stride: usize,
}

impl<'a, T> Strided3<'a, T> {
    /// The slice starting at batch entry `b`, or `None` if that offset overflows or lies
    /// past the end.
    fn batch(&self, b: usize) -> Option<&'a [T]> {
        let at = b.checked_mul(self.batch_stride)?;
        self.data.get(at..)
    }
}

/// `out[b] = lhs[b] @ rhs[b]` for `batch` pairs of `m x k` and `k x n` matrices; `out` is a
/// row-major `[batch, m, n]` vector. Large batches of small products run in parallel.
///
/// Panics, naming `batched_matmul` and the caller's line, if `batch * m * n` overflows or an
/// operand's strides reach past its data for some batch entry.
///
/// ```
/// use ferrax::internals::kernels::matmul::{batched_matmul, Strided3};
/// let a = [1.0f32, 2.0, 3.0, 4.0]; // two 1x2 rows
/// let b = [1.0f32, 1.0, 2.0, 2.0]; // two 2x1 columns
/// let s = |d| Strided3 { data: d, batch_stride: 2, row_stride: 2, col_stride: 1 };
/// let out = batched_matmul(2, 1, 1, 2, s(&a[..]), Strided3 { row_stride: 1, ..s(&b[..]) });
/// assert_eq!(out, vec![3.0, 14.0]);
/// ```
#[track_caller]
pub fn batched_matmul<T: Element>(
    batch: usize,
    m: usize,
    n: usize,
    k: usize,
    lhs: Strided3<'_, T>,
    rhs: Strided3<'_, T>,
) -> Vec<T> {
    let at = Location::caller();
    let size = batch.checked_mul(m).and_then(|bm| bm.checked_mul(n));
    let Some(size) = size else {
        panic!("batched_matmul: {batch} x {m} x {n} outputs overflow usize (called from {at})")
    };
    if size == 0 || k == 0 {
        // An empty sum is zero.
        return super::pool::take_zeroed(size);
    }
    // Every product below overwrites its block (`accumulate` is false), so the buffer's old
    // values are never read.
    let mut out = super::pool::take_filled(size);
    let layout = GemmLayout {
        m,
        n,
        k,
        dst_rs: n,
        lhs_rs: lhs.row_stride,
        lhs_cs: lhs.col_stride,
        rhs_rs: rhs.row_stride,
        rhs_cs: rhs.col_stride,
    };
    // Offsets grow with the batch index, so the last entry fitting means every entry fits;
    // checked here, on the caller's thread, to panic with the caller's line.
    fn entry<'a, T>(x: &Strided3<'a, T>, name: &str, b: usize, at: &Location) -> &'a [T] {
        match x.batch(b) {
            Some(d) => d,
            None => panic!(
                "batched_matmul: {name} batch entry {b} starts at {b} x {} elements, past its \
                 {} elements (called from {at})",
                x.batch_stride,
                x.data.len()
            ),
        }
    }
    let last = batch - 1;
    let (l_last, r_last) = (entry(&lhs, "lhs", last, at), entry(&rhs, "rhs", last, at));
    layout.check("batched_matmul", m * n, l_last.len(), r_last.len());
    let per = m.saturating_mul(n).saturating_mul(k);
    let each_parallel = should_parallelize(gemm_ns(per));
    let run = |b: usize, dst: &mut [T]| {
        let (l, r) = (entry(&lhs, "lhs", b, at), entry(&rhs, "rhs", b, at));
        layout.run("batched_matmul", dst, l, r, false, each_parallel)
    };
    // A batch of products each too small to split is spread over threads instead.
    if batch > 1 && !each_parallel && should_parallelize(gemm_ns(per.saturating_mul(batch))) {
        super::parallel::par_chunks_mut(&mut out, m * n, &run);
    } else if batch == 1 && !each_parallel && m >= 16 && split_on_pool(gemm_ns(per)) {
        // One product too small for gemm's own threads, inside the pool (a loop body, a
        // program's step): its two halves of rows on the pool's threads, each a plain gemm.
        let half = m / 2;
        let (l, r) = (entry(&lhs, "lhs", 0, at), entry(&rhs, "rhs", 0, at));
        let (top, bottom) = out.split_at_mut(half * n);
        let (lo, hi) = (
            GemmLayout { m: half, ..layout },
            GemmLayout {
                m: m - half,
                ..layout
            },
        );
        let l_bottom = &l[half * lhs.row_stride..];
        rayon::join(
            || lo.run("batched_matmul", top, l, r, false, false),
            || hi.run("batched_matmul", bottom, l_bottom, r, false, false),
        );
    } else {
        out.chunks_mut(m * n)
            .enumerate()
            .for_each(|(b, dst)| run(b, dst));
    }
    out
}

/// Size and stride of `axes` (in order) flattened into one dim, if their strides allow it
/// without copying. Size-1 axes are ignored; an empty group is `(1, 0)`.
fn merge_axes(shape: &[usize], strides: &[isize], axes: &[usize]) -> Option<(usize, usize)> {
    let size: usize = axes.iter().map(|&a| shape[a]).product();
    if size == 0 {
        return Some((0, 0));
    }
    let mut stride: Option<usize> = None; // stride of the innermost non-trivial axis so far
    let mut span = 1usize; // stride expected of the next axis outwards
    for &a in axes.iter().rev() {
        if shape[a] == 1 {
            continue;
        }
        let s = usize::try_from(strides[a]).ok()?;
        match stride {
            None => stride = Some(s),
            Some(_) if s != span => return None,
            Some(_) => {}
        }
        span = s.checked_mul(shape[a])?;
    }
    Some((size, stride.unwrap_or(0)))
}

/// Three merged groups of an operand: its data plus `(size, stride)` per group.
type Grouped<'a, T> = (&'a [T], [(usize, usize); 3]);

/// Views `x` as `[g0, g1, g2]` (each group of axes flattened), copying into that order when
/// the strides do not allow it. `storage` keeps a copy alive.
fn group3<'a, T: Copy>(
    x: &'a ArrayViewD<'a, T>,
    groups: [&[usize]; 3],
    storage: &'a mut Option<ArrayD<T>>,
) -> Grouped<'a, T> {
    if let Some(data) = x.as_slice_memory_order()
        && x.is_standard_layout()
    {
        let merged: Option<Vec<_>> = groups
            .iter()
            .map(|g| merge_axes(x.shape(), x.strides(), g))
            .collect();
        if let Some(m) = merged {
            return (data, [m[0], m[1], m[2]]);
        }
    }
    let perm: Vec<usize> = groups.iter().flat_map(|g| g.iter().copied()).collect();
    let copy = x
        .view()
        .permuted_axes(IxDyn(&perm))
        .as_standard_layout()
        .into_owned();
    let sizes: Vec<usize> = groups
        .iter()
        .map(|g| g.iter().map(|&a| x.shape()[a]).product())
        .collect();
    let copy: &'a ArrayD<T> = storage.insert(copy);
    let data = copy.as_slice().expect("standard layout");
    (
        data,
        [
            (sizes[0], sizes[1] * sizes[2]),
            (sizes[1], sizes[2]),
            (sizes[2], 1),
        ],
    )
}

/// XLA DotGeneral: contracts `lhs_contracting` with `rhs_contracting` (paired in order)
/// and matches `lhs_batch` with `rhs_batch`. The result's dims are the batch dims (in
/// `lhs_batch` order), then lhs's free dims, then rhs's free dims. The dimension numbers
/// must be valid (the primitive's shape rule checks them; here they are checked again, and a
/// violation panics naming `dot_general`, the shapes and the dimension numbers).
///
/// ```
/// use ferrax::internals::kernels::matmul::dot_general;
/// let a = ndarray::arr2(&[[1.0f64, 2.0], [3.0, 4.0]]).into_dyn();
/// let v = ndarray::arr1(&[1.0f64, 1.0]).into_dyn();
/// assert_eq!(dot_general(&a, &v, &[1], &[0], &[], &[]).into_raw_vec_and_offset().0, vec![3.0, 7.0]);
/// ```
#[track_caller]
pub fn dot_general<T: Element>(
    lhs: &ArrayD<T>,
    rhs: &ArrayD<T>,
    lhs_contracting: &[usize],
    rhs_contracting: &[usize],
    lhs_batch: &[usize],
    rhs_batch: &[usize],
) -> ArrayD<T> {
    check_dimension_numbers(
        lhs.shape(),
        rhs.shape(),
        [lhs_contracting, rhs_contracting],
        [lhs_batch, rhs_batch],
    );
    let free = |nd: usize, c: &[usize], b: &[usize]| -> Vec<usize> {
        (0..nd)
            .filter(|a| !c.contains(a) && !b.contains(a))
            .collect()
    };
    let lhs_free = free(lhs.ndim(), lhs_contracting, lhs_batch);
    let rhs_free = free(rhs.ndim(), rhs_contracting, rhs_batch);
    let mut out_shape: Vec<usize> = lhs_batch.iter().map(|&a| lhs.shape()[a]).collect();
    out_shape.extend(lhs_free.iter().map(|&a| lhs.shape()[a]));
    out_shape.extend(rhs_free.iter().map(|&a| rhs.shape()[a]));

    let lview = lhs.view();
    let rview = rhs.view();
    let (mut lstore, mut rstore) = (None, None);
    let (ldata, [(batch, lbs), (m, lrs), (k, lcs)]) =
        group3(&lview, [lhs_batch, &lhs_free, lhs_contracting], &mut lstore);
    let (rdata, [(_, rbs), (_, rrs), (n, rcs)]) =
        group3(&rview, [rhs_batch, rhs_contracting, &rhs_free], &mut rstore);
    let out = batched_matmul(
        batch,
        m,
        n,
        k,
        Strided3 {
            data: ldata,
            batch_stride: lbs,
            row_stride: lrs,
            col_stride: lcs,
        },
        Strided3 {
            data: rdata,
            batch_stride: rbs,
            row_stride: rrs,
            col_stride: rcs,
        },
    );
    ArrayD::from_shape_vec(IxDyn(&out_shape), out).expect("output size is batch * m * n")
}

/// Panics unless the dimension numbers pair dims of equal size, name each dim at most once
/// and stay within each operand's rank.
#[track_caller]
fn check_dimension_numbers(
    lhs: &[usize],
    rhs: &[usize],
    contracting: [&[usize]; 2],
    batch: [&[usize]; 2],
) {
    let valid = |shape: &[usize], dims: [&[usize]; 2]| {
        let mut seen = vec![false; shape.len()];
        dims.iter()
            .flat_map(|d| d.iter())
            .all(|&a| a < shape.len() && !std::mem::replace(&mut seen[a], true))
    };
    let pairs = |l: &[usize], r: &[usize]| {
        l.len() == r.len() && l.iter().zip(r).all(|(&a, &b)| lhs[a] == rhs[b])
    };
    let ok = valid(lhs, [contracting[0], batch[0]])
        && valid(rhs, [contracting[1], batch[1]])
        && pairs(contracting[0], contracting[1])
        && pairs(batch[0], batch[1]);
    assert!(
        ok,
        "dot_general: shapes {lhs:?} and {rhs:?} with contracting dims {:?} / {:?} and batch \
         dims {:?} / {:?} do not agree (called from {})",
        contracting[0],
        contracting[1],
        batch[0],
        batch[1],
        std::panic::Location::caller()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_rules() {
        // [2, 3, 4] row-major: strides 12, 4, 1.
        let (sh, st) = ([2usize, 3, 4], [12isize, 4, 1]);
        assert_eq!(merge_axes(&sh, &st, &[1, 2]), Some((12, 1)));
        assert_eq!(merge_axes(&sh, &st, &[0, 1]), Some((6, 4)));
        assert_eq!(merge_axes(&sh, &st, &[2, 1]), None);
        assert_eq!(merge_axes(&sh, &st, &[0, 2]), None);
        assert_eq!(merge_axes(&sh, &st, &[]), Some((1, 0)));
        assert_eq!(merge_axes(&[1, 5], &[99, 1], &[0, 1]), Some((5, 1)));
    }
}
