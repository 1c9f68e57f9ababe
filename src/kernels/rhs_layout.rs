//! gemm's one slow operand layout, fixed by a copy. gemm reads the right operand fastest when
//! its rows are contiguous (`rhs_cs == 1`). For `A @ B^T` with `B` row-major (`rhs_rs == 1`:
//! every backward pass of a dense layer, `dy @ W^T`, and a recurrent step's `dz @ Wh^T`) its
//! packing walks `B` across rows, and a long contraction ran at 40% of the normal layout's
//! speed. Copying `B` into row-major `k x n` first costs `k * n` moves against the product's
//! `m * n * k` multiply-adds, and wins once the contraction is long: at `k = 512` the copy
//! plus the product took half the time of the strided product; at `k = 128` the copy lost.

/// Shortest contraction for which the copy pays.
const MIN_K: usize = 256;
/// Fewest rows of `lhs` for which the copy pays (it is amortised over them).
const MIN_M: usize = 8;

/// Whether `rhs` (`k x n`, strides `rhs_rs`, `rhs_cs`) should be copied to row-major before a
/// product with `m` rows whose `lhs` rows are contiguous (`lhs_cs == 1`).
///
/// ```
/// use ferrax::internals::kernels::matmul::copy_rhs_pays;
/// assert!(copy_rhs_pays(64, 128, 512, 1, 1, 512)); // dz @ W^T, W [128, 512]
/// assert!(!copy_rhs_pays(64, 128, 512, 1, 128, 1)); // already row-major
/// ```
pub fn copy_rhs_pays(
    m: usize,
    n: usize,
    k: usize,
    lhs_cs: usize,
    rhs_rs: usize,
    rhs_cs: usize,
) -> bool {
    lhs_cs == 1 && rhs_rs == 1 && rhs_cs != 1 && n > 1 && k >= MIN_K && m >= MIN_M
}

/// The `k x n` matrix `rhs[p * 1 + j * rhs_cs]` as a row-major vector, copied in 8 x 8
/// blocks (reads and writes both stay within a few cache lines per block).
///
/// # Safety
///
/// `(n - 1) * rhs_cs + k - 1 < rhs.len()` without overflow (every element read lies inside
/// `rhs`), with `k, n >= 1`.
pub(super) unsafe fn row_major_copy<T: Copy>(
    rhs: &[T],
    k: usize,
    n: usize,
    rhs_cs: usize,
) -> Vec<T> {
    const BLOCK: usize = 8;
    let mut out: Vec<T> = Vec::with_capacity(k * n);
    let (src, dst) = (rhs.as_ptr(), out.as_mut_ptr());
    for j0 in (0..n).step_by(BLOCK) {
        for p0 in (0..k).step_by(BLOCK) {
            for j in j0..(j0 + BLOCK).min(n) {
                for p in p0..(p0 + BLOCK).min(k) {
                    // SAFETY: `j < n`, `p < k`: the read is inside `rhs` by the contract and
                    // the write `p * n + j < k * n` inside `out`'s capacity.
                    unsafe { dst.add(p * n + j).write(*src.add(j * rhs_cs + p)) };
                }
            }
        }
    }
    // SAFETY: the blocks cover every (p, j) with p < k, j < n exactly once, so all `k * n`
    // elements were written above.
    unsafe { out.set_len(k * n) };
    out
}
