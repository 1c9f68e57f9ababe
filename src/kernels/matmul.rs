//! Matrix products. [`matmul_strided`] multiplies one pair of strided matrices (gemm for
//! f32/f64, a plain loop for i32/u32); [`batched_matmul`] runs it over a batch;
//! [`dot_general`] maps XLA's DotGeneral onto `[batch, m, k] x [batch, k, n]`, passing the
//! operands' own strides to gemm and copying an operand only when its dims cannot be merged
//! into three strided groups.

use ndarray::{ArrayD, ArrayViewD, IxDyn};
use rayon::prelude::*;

/// Multiply-adds above which one matrix product runs on all threads (gemm's rayon mode), and
/// above which a batch of small products is spread over threads. About 50 µs of work on one
/// core: below it, waking the second core (~11 µs from outside the pool, DESIGN.md) and the
/// threads' spin-yield cost more than they save (measured: the small MLP's eager
/// value_and_grad spent ~40% of its time in sched_yield at 2^20).
pub const PARALLEL_THRESHOLD: usize = 1 << 23;

/// Element types with a matrix-product kernel.
pub trait MatmulElement: Copy + Default + Send + Sync + 'static {
    /// `acc + a * b` (wrapping for integers).
    fn mul_add(acc: Self, a: Self, b: Self) -> Self;

    /// `dst[i * dst_rs + j] (+)= Σ_p lhs[i * lhs_rs + p * lhs_cs] * rhs[p * rhs_rs + j * rhs_cs]`
    /// for `i < m, j < n, p < k` (strides in elements), adding to `dst` when `accumulate`
    /// (the blocked convolution sums a long reduction block by block); on all threads when
    /// `parallel`. The caller has checked bounds.
    #[allow(clippy::too_many_arguments)]
    fn matmul_unchecked(
        m: usize,
        n: usize,
        k: usize,
        dst: &mut [Self],
        dst_rs: usize,
        lhs: &[Self],
        lhs_rs: usize,
        lhs_cs: usize,
        rhs: &[Self],
        rhs_rs: usize,
        rhs_cs: usize,
        accumulate: bool,
        parallel: bool,
    );
}

macro_rules! gemm_element {
    ($($t:ty),*) => {$(
        impl MatmulElement for $t {
            fn mul_add(acc: Self, a: Self, b: Self) -> Self {
                acc + a * b
            }

            fn matmul_unchecked(
                m: usize,
                n: usize,
                k: usize,
                dst: &mut [Self],
                dst_rs: usize,
                lhs: &[Self],
                lhs_rs: usize,
                lhs_cs: usize,
                rhs: &[Self],
                rhs_rs: usize,
                rhs_cs: usize,
                accumulate: bool,
                parallel: bool,
            ) {
                let parallelism =
                    if parallel { gemm::Parallelism::Rayon(0) } else { gemm::Parallelism::None };
                // SAFETY: the caller checked that every index touched through these pointers
                // and strides lies inside the slices; `dst` is borrowed mutably and does not
                // alias `lhs`/`rhs`. gemm computes dst := alpha * dst + beta * lhs * rhs,
                // reading dst only when `accumulate`.
                unsafe {
                    gemm::gemm(
                        m,
                        n,
                        k,
                        dst.as_mut_ptr(),
                        1,
                        dst_rs as isize,
                        accumulate,
                        lhs.as_ptr(),
                        lhs_cs as isize,
                        lhs_rs as isize,
                        rhs.as_ptr(),
                        rhs_cs as isize,
                        rhs_rs as isize,
                        1.0,
                        1.0,
                        false,
                        false,
                        false,
                        parallelism,
                    );
                }
            }
        }
    )*};
}
gemm_element!(f32, f64);

macro_rules! loop_element {
    ($($t:ty),*) => {$(
        impl MatmulElement for $t {
            fn mul_add(acc: Self, a: Self, b: Self) -> Self {
                acc.wrapping_add(a.wrapping_mul(b))
            }

            fn matmul_unchecked(
                m: usize,
                n: usize,
                k: usize,
                dst: &mut [Self],
                dst_rs: usize,
                lhs: &[Self],
                lhs_rs: usize,
                lhs_cs: usize,
                rhs: &[Self],
                rhs_rs: usize,
                rhs_cs: usize,
                accumulate: bool,
                _parallel: bool,
            ) {
                // Integer products wrap, as XLA's do (so the order of the sum is irrelevant).
                for i in 0..m {
                    let row = &mut dst[i * dst_rs..i * dst_rs + n];
                    if !accumulate {
                        row.fill(0);
                    }
                    for p in 0..k {
                        let a = lhs[i * lhs_rs + p * lhs_cs];
                        if a == 0 {
                            continue;
                        }
                        let base = p * rhs_rs;
                        if rhs_cs == 1 {
                            for (d, &b) in row.iter_mut().zip(&rhs[base..base + n]) {
                                *d = d.wrapping_add(a.wrapping_mul(b));
                            }
                        } else {
                            for (j, d) in row.iter_mut().enumerate() {
                                *d = d.wrapping_add(a.wrapping_mul(rhs[base + j * rhs_cs]));
                            }
                        }
                    }
                }
            }
        }
    )*};
}
loop_element!(i32, u32);

/// Largest index touched by a `rows x cols` strided matrix, or `None` when it is empty.
fn last_index(rows: usize, cols: usize, rs: usize, cs: usize) -> Option<usize> {
    if rows == 0 || cols == 0 {
        None
    } else {
        Some((rows - 1) * rs + (cols - 1) * cs)
    }
}

/// `dst[i * dst_rs + j] = Σ_p lhs[i * lhs_rs + p * lhs_cs] * rhs[p * rhs_rs + j * rhs_cs]`:
/// an `m x k` by `k x n` product into rows of `dst` (unit column stride). Entries of `dst`
/// outside the `m x n` block are left alone; with `k == 0` the block is zeroed.
///
/// Panics if a stride points outside its slice.
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
pub fn matmul_strided<T: MatmulElement>(
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
    if m == 0 || n == 0 {
        return;
    }
    let dst_last = last_index(m, n, dst_rs, 1).expect("nonempty");
    assert!(
        dst_last < dst.len(),
        "matmul: destination of {} elements too short",
        dst.len()
    );
    if k == 0 {
        for i in 0..m {
            dst[i * dst_rs..i * dst_rs + n].fill(T::default());
        }
        return;
    }
    let lhs_last = last_index(m, k, lhs_rs, lhs_cs).expect("nonempty");
    let rhs_last = last_index(k, n, rhs_rs, rhs_cs).expect("nonempty");
    assert!(
        lhs_last < lhs.len(),
        "matmul: lhs strides reach past its {} elements",
        lhs.len()
    );
    assert!(
        rhs_last < rhs.len(),
        "matmul: rhs strides reach past its {} elements",
        rhs.len()
    );
    let parallel = m.saturating_mul(n).saturating_mul(k) >= PARALLEL_THRESHOLD;
    T::matmul_unchecked(
        m, n, k, dst, dst_rs, lhs, lhs_rs, lhs_cs, rhs, rhs_rs, rhs_cs, false, parallel,
    );
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
    /// The slice starting at batch entry `b`.
    fn batch(&self, b: usize) -> &'a [T] {
        &self.data[(b * self.batch_stride).min(self.data.len())..]
    }
}

/// `out[b] = lhs[b] @ rhs[b]` for `batch` pairs of `m x k` and `k x n` matrices; `out` is a
/// row-major `[batch, m, n]` vector. Large batches of small products run in parallel.
///
/// ```
/// use ferrax::internals::kernels::matmul::{batched_matmul, Strided3};
/// let a = [1.0f32, 2.0, 3.0, 4.0]; // two 1x2 rows
/// let b = [1.0f32, 1.0, 2.0, 2.0]; // two 2x1 columns
/// let s = |d| Strided3 { data: d, batch_stride: 2, row_stride: 2, col_stride: 1 };
/// let out = batched_matmul(2, 1, 1, 2, s(&a[..]), Strided3 { row_stride: 1, ..s(&b[..]) });
/// assert_eq!(out, vec![3.0, 14.0]);
/// ```
pub fn batched_matmul<T: MatmulElement>(
    batch: usize,
    m: usize,
    n: usize,
    k: usize,
    lhs: Strided3<'_, T>,
    rhs: Strided3<'_, T>,
) -> Vec<T> {
    let mut out = vec![T::default(); batch * m * n];
    if out.is_empty() || k == 0 {
        return out;
    }
    let per = m.saturating_mul(n).saturating_mul(k);
    let run = |b: usize, dst: &mut [T]| {
        matmul_strided(
            m,
            n,
            k,
            dst,
            n,
            lhs.batch(b),
            lhs.row_stride,
            lhs.col_stride,
            rhs.batch(b),
            rhs.row_stride,
            rhs.col_stride,
        )
    };
    if batch > 1 && per < PARALLEL_THRESHOLD && per.saturating_mul(batch) >= PARALLEL_THRESHOLD {
        out.par_chunks_mut(m * n)
            .enumerate()
            .for_each(|(b, dst)| run(b, dst));
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
        span = s * shape[a];
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
    if let Some(data) = x.as_slice_memory_order() {
        if x.is_standard_layout() {
            let merged: Option<Vec<_>> = groups
                .iter()
                .map(|g| merge_axes(x.shape(), x.strides(), g))
                .collect();
            if let Some(m) = merged {
                return (data, [m[0], m[1], m[2]]);
            }
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
/// must already be valid (the primitive's shape rule checks them).
///
/// ```
/// use ferrax::internals::kernels::matmul::dot_general;
/// let a = ndarray::arr2(&[[1.0f64, 2.0], [3.0, 4.0]]).into_dyn();
/// let v = ndarray::arr1(&[1.0f64, 1.0]).into_dyn();
/// assert_eq!(dot_general(&a, &v, &[1], &[0], &[], &[]).into_raw_vec_and_offset().0, vec![3.0, 7.0]);
/// ```
pub fn dot_general<T: MatmulElement>(
    lhs: &ArrayD<T>,
    rhs: &ArrayD<T>,
    lhs_contracting: &[usize],
    rhs_contracting: &[usize],
    lhs_batch: &[usize],
    rhs_batch: &[usize],
) -> ArrayD<T> {
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
