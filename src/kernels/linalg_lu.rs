//! LU with partial pivoting and the triangular solve on row-major buffers (re-exported by
//! `kernels::linalg`), generic over [`LinalgFloat`] so f32 systems are solved in f32. LU runs
//! on faer's blocked kernel from `min(m, n) = 24` on (one thread per matrix: see
//! `linalg::Split`) and on a short loop below it, with pivots exactly LAPACK's (`getrf`:
//! first entry of largest magnitude, zero columns skipped); the triangular solve is
//! substitution written here below n = 32 and faer's blocked kernel above, reading only the
//! named triangle as `trsm` does. Both take the whole batch: a batch of small systems (a
//! vmapped `solve` of 8x8s) is cut into one chunk of members per thread, with no per-member
//! dispatch or allocation.

use super::linalg::{par_for, parallel_batch, LinalgFloat, Split};
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::factor::{lu_in_place, lu_in_place_scratch};
use faer::{MatMut, MatRef};

/// A row-major `m x n` buffer seen as a faer matrix (a strided view, no copy).
fn view<T: LinalgFloat>(a: &[T], m: usize, n: usize) -> MatRef<'_, T> {
    MatRef::from_row_major_slice(a, m, n)
}

/// From this `min(m, n)` on, LU runs on faer's blocked recursive kernel (its Schur
/// complements are gemm calls); below it, the unblocked loop is faster (no scratch, no
/// recursion) and is what a batch of small systems runs.
const FAER_LU_MIN: usize = 24;

/// LU with partial pivoting of `batch` row-major `m x n` matrices stored one after the other
/// in `lu` (factored in place), as LAPACK's `getrf` on each: the packed factors (`L` unit lower below the
/// diagonal, `U` on and above it), the row swapped with row `i` at step `i` (`min(m, n)`
/// pivots per matrix, 0-based) and the permutation those swaps make (`a[perm] = L U`). The
/// pivot is the first entry of largest magnitude in the column; a zero column is skipped (no
/// division), as `getrf` does. Many small matrices run in parallel over the batch.
pub fn lu_batch<T: LinalgFloat>(
    mut lu: Vec<T>,
    batch: usize,
    m: usize,
    n: usize,
) -> (Vec<T>, Vec<i32>, Vec<i32>) {
    let k = m.min(n);
    let mut pivots = vec![0i32; batch * k];
    let mut perm = vec![0i32; batch * m];
    if m * n == 0 {
        return (lu, pivots, perm);
    }
    let member =
        |lu: &mut [T], piv: &mut [i32], perm: &mut [i32]| lu_in_place_into(lu, m, n, piv, perm);
    // A chunk of members per task: each member's factors, pivots and permutation.
    let small = m == n && n <= SMALL_LU_MAX_N && batch >= LANES;
    let chunk = |(lu, (piv, perm)): (&mut [T], (&mut [i32], &mut [i32]))| {
        if small {
            lu_small_batch(lu, n, piv, perm);
            return;
        }
        for (l, (pv, pm)) in lu
            .chunks_mut(m * n)
            .zip(piv.chunks_mut(k).zip(perm.chunks_mut(m)))
        {
            member(l, pv, pm);
        }
    };
    if parallel_batch(batch, k, Split::Blocked, m * n * k / 3) {
        use rayon::prelude::*;
        // Whole groups of interleaved lanes per task on the small path.
        let per =
            super::parallel::chunk_len(batch, 1).next_multiple_of(if small { LANES } else { 1 });
        lu.par_chunks_mut(per * m * n)
            .zip(
                pivots
                    .par_chunks_mut(per * k)
                    .zip(perm.par_chunks_mut(per * m)),
            )
            .for_each(chunk);
    } else {
        chunk((&mut lu, (&mut pivots, &mut perm)));
    }
    (lu, pivots, perm)
}

/// [`lu_batch`] of one matrix.
pub fn lu<T: LinalgFloat>(a: &[T], m: usize, n: usize) -> (Vec<T>, Vec<i32>, Vec<i32>) {
    lu_batch(a.to_vec(), 1, m, n)
}

/// LU of the row-major `m x n` matrix in `lu`, in place; pivots and permutation written to
/// `pivots` (`min(m, n)`) and `perm` (`m`).
fn lu_in_place_into<T: LinalgFloat>(
    lu: &mut [T],
    m: usize,
    n: usize,
    pivots: &mut [i32],
    perm: &mut [i32],
) {
    if m.min(n) >= BLOCKED_LU_MIN && lu_blocked(lu, m, n, pivots, perm) {
        return;
    }
    if m.min(n) >= FAER_LU_MIN && lu_faer(lu, m, n, pivots, perm) {
        return;
    }
    lu_unblocked(lu, m, n, pivots, perm);
}

/// faer's partial-pivoting LU of the row-major buffer (the same pivot choice as `getrf`:
/// first entry of largest magnitude), factored in a column-major copy (faer's pivot search,
/// row swaps and panel updates run down columns; on the row-major view each of them strides
/// by `n`) and written back only when it succeeds. Returns false, leaving `lu` as it was,
/// when a pivot is zero or NaN: faer then divides by it where `getrf` skips the column.
fn lu_faer<T: LinalgFloat>(
    lu: &mut [T],
    m: usize,
    n: usize,
    pivots: &mut [i32],
    perm: &mut [i32],
) -> bool {
    let k = m.min(n);
    let mut f = view(lu, m, n).to_owned();
    let Some(fwd) = faer_lu_in_place(f.as_mut(), par_for(k, Split::Blocked)) else {
        return false;
    };
    super::linalg::mat_to_row_major(&f, lu);
    swaps_of(&fwd, &mut pivots[..k]);
    for (q, &f) in perm.iter_mut().zip(&fwd) {
        *q = f as i32;
    }
    true
}

/// faer's partial-pivoting LU of `f` in place: the row order it chose (`fwd[i]` = the
/// original row now at position `i`), or `None` when one of the first `min(m, n)` pivots is
/// zero or NaN (faer has then divided by it, where `getrf` skips the column).
fn faer_lu_in_place<T: LinalgFloat>(mut f: MatMut<'_, T>, par: faer::Par) -> Option<Vec<usize>> {
    let (m, n) = (f.nrows(), f.ncols());
    let (mut fwd, mut inv) = (vec![0usize; m], vec![0usize; m]);
    let mut mem = MemBuffer::new(lu_in_place_scratch::<usize, T>(
        m,
        n,
        par,
        Default::default(),
    ));
    lu_in_place(
        f.as_mut(),
        &mut fwd,
        &mut inv,
        par,
        MemStack::new(&mut mem),
        Default::default(),
    );
    let fine = (0..m.min(n)).all(|i| {
        let d = f.as_ref()[(i, i)];
        d != T::zero() && !num_traits::Float::is_nan(d)
    });
    fine.then_some(fwd)
}

/// The row swaps (`getrf`'s pivots, 0-based) that build the row order `fwd` (`fwd[i]` = the
/// original row at position `i`): at step `j`, row `fwd[j]` is wherever the earlier swaps
/// left it. Writes one swap per entry of `pivots`.
fn swaps_of(fwd: &[usize], pivots: &mut [i32]) {
    let mut at: Vec<usize> = (0..fwd.len()).collect(); // at[position] = original row
    let mut pos: Vec<usize> = (0..fwd.len()).collect(); // pos[original row] = position
    for (j, piv) in pivots.iter_mut().enumerate() {
        let p = pos[fwd[j]];
        *piv = p as i32;
        let (rj, rp) = (at[j], at[p]);
        at.swap(j, p);
        pos[rj] = p;
        pos[rp] = j;
    }
}

/// From this `min(m, n)` on, LU runs blocked here ([`lu_blocked`]): its trailing updates are
/// ferrax's own gemm calls, which use both cores, where faer's parallel LU lost time on this
/// machine kind (see `linalg::Split`).
const BLOCKED_LU_MIN: usize = 384;

/// The panel width of [`lu_blocked`]: each trailing update is a `(m - j) x 128 x (n - j)` gemm.
const LU_PANEL: usize = 128;

/// Right-looking blocked LU (LAPACK's `getrf` structure) of the row-major `m x n` buffer: for
/// each panel of [`LU_PANEL`] columns, faer's one-thread LU of the panel (a column-major copy),
/// its row swaps applied to the columns on both sides (contiguous row swaps in row-major),
/// `U₁₂ = L₁₁⁻¹ A₁₂` (a unit lower triangular solve) and the trailing update
/// `A₂₂ -= L₂₁ U₁₂` as one gemm on all threads. Returns false, with `lu` as it was, when a
/// pivot is zero or NaN (the caller then runs the unblocked loop, which skips such columns
/// as `getrf` does).
fn lu_blocked<T: LinalgFloat>(
    lu: &mut [T],
    m: usize,
    n: usize,
    pivots: &mut [i32],
    perm: &mut [i32],
) -> bool {
    use faer::linalg::triangular_solve::solve_unit_lower_triangular_in_place;
    let k = m.min(n);
    let original = lu.to_vec();
    let mut order: Vec<usize> = (0..m).collect();
    let mut neg_l21: Vec<T> = Vec::new();
    for j0 in (0..k).step_by(LU_PANEL) {
        let jb = LU_PANEL.min(k - j0);
        let rows = m - j0;
        // The panel, rows j0.., columns j0..j0+jb, factored on a column-major copy.
        let mut panel = faer::Mat::<T>::from_fn(rows, jb, |i, j| lu[(j0 + i) * n + j0 + j]);
        let Some(fwd) = faer_lu_in_place(panel.as_mut(), faer::Par::Seq) else {
            lu.copy_from_slice(&original);
            return false;
        };
        // The panel's swaps, applied to whole rows j0.. outside the panel's columns, and to
        // the row order; then the factored panel written back.
        let piv = &mut pivots[j0..j0 + jb];
        swaps_of(&fwd, piv);
        for (i, &p) in piv.iter().enumerate() {
            let p = p as usize;
            if p != i {
                let (a, b) = ((j0 + i) * n, (j0 + p) * n);
                let (top, bottom) = lu.split_at_mut(b);
                top[a..a + j0].swap_with_slice(&mut bottom[..j0]);
                top[a + j0 + jb..a + n].swap_with_slice(&mut bottom[j0 + jb..n]);
                order.swap(j0 + i, j0 + p);
            }
        }
        for p in piv.iter_mut() {
            *p += j0 as i32;
        }
        for i in 0..rows {
            for j in 0..jb {
                lu[(j0 + i) * n + j0 + j] = panel[(i, j)];
            }
        }
        let rest = n - j0 - jb;
        if rest == 0 {
            continue;
        }
        // U₁₂ = L₁₁⁻¹ A₁₂, in place on rows j0..j0+jb, columns j0+jb...
        let (top, bottom) = lu.split_at_mut((j0 + jb) * n);
        let l11 = panel.as_ref().get(..jb, ..jb);
        // (faer 0.24's `from_row_major_slice_with_stride_mut` builds a column-major view, so
        // the row-major block is taken as the transpose of a column-major one.)
        let a12 = MatMut::from_column_major_slice_with_stride_mut(
            &mut top[j0 * n + j0 + jb..],
            rest,
            jb,
            n,
        )
        .transpose_mut();
        solve_unit_lower_triangular_in_place(l11, a12, faer::Par::Seq);
        // A₂₂ += (-L₂₁) U₁₂: gemm accumulates, so L₂₁ is negated into a row-major copy.
        let below = rows - jb;
        if below == 0 {
            continue;
        }
        neg_l21.clear();
        neg_l21.extend(
            (0..below)
                .flat_map(|i| (0..jb).map(move |j| (i, j)))
                .map(|(i, j)| -panel[(jb + i, j)]),
        );
        let macs = below * rest * jb;
        crate::kernels::matmul::gemm_block(
            "lu",
            (below, rest, jb),
            &mut bottom[j0 + jb..],
            n,
            (&neg_l21, jb, 1),
            (&top[j0 * n + j0 + jb..], n, 1),
            true,
            super::parallel::should_parallelize(super::parallel::gemm_ns(macs)),
        );
    }
    for (q, &o) in perm.iter_mut().zip(&order) {
        *q = o as i32;
    }
    true
}

/// The unblocked right-looking LU (`getf2`) in place, rows contiguous.
fn lu_unblocked<T: LinalgFloat>(
    lu: &mut [T],
    m: usize,
    n: usize,
    pivots: &mut [i32],
    perm: &mut [i32],
) {
    for (i, p) in perm.iter_mut().enumerate() {
        *p = i as i32;
    }
    for j in 0..m.min(n) {
        let mut p = j;
        let mut best = num_traits::Float::abs(lu[j * n + j]);
        for i in j + 1..m {
            let v = num_traits::Float::abs(lu[i * n + j]);
            if v > best {
                best = v;
                p = i;
            }
        }
        pivots[j] = p as i32;
        if p != j {
            let (top, bottom) = lu.split_at_mut(p * n);
            top[j * n..(j + 1) * n].swap_with_slice(&mut bottom[..n]);
            perm.swap(j, p);
        }
        let (head, tail) = lu.split_at_mut((j + 1) * n);
        let pivot_row = &head[j * n..];
        let d = pivot_row[j];
        for row in tail.chunks_exact_mut(n) {
            if d != T::zero() {
                row[j] /= d;
            }
            let l = row[j];
            if l != T::zero() {
                for (x, &u) in row[j + 1..].iter_mut().zip(&pivot_row[j + 1..]) {
                    *x -= l * u;
                }
            }
        }
    }
}

/// How `triangular_solve` reads its matrix (JAX's params).
#[derive(Clone, Copy, Debug)]
pub struct TriSolve {
    /// Solve `op(A) X = B` (true) or `X op(A) = B` (false).
    pub left_side: bool,
    /// Read `A`'s lower triangle (true) or upper.
    pub lower: bool,
    /// `op(A) = Aᵀ` (true) or `A`.
    pub transpose_a: bool,
    /// Take the diagonal as ones without reading it.
    pub unit_diagonal: bool,
}

/// Solves with `batch` triangular `n x n` matrices `a` (only the triangle named by
/// `p.lower` is read) against as many `m x k` right-hand sides `x` (solved in place), by substitution, as
/// `trsm`; many small systems run in parallel over the batch.
pub fn triangular_solve_batch<T: LinalgFloat>(
    a: &[T],
    mut x: Vec<T>,
    batch: usize,
    (n, m, k): (usize, usize, usize),
    p: TriSolve,
) -> Vec<T> {
    if m * k == 0 || n == 0 {
        return x;
    }
    let chunk = |(a, x): (&[T], &mut [T])| {
        for (ai, xi) in a.chunks(n * n).zip(x.chunks_mut(m * k)) {
            solve_in_place(ai, xi, n, m, k, p);
        }
    };
    if parallel_batch(batch, n, Split::Blocked, n * n * (m * k / n).max(1) / 2) {
        use rayon::prelude::*;
        let per = super::parallel::chunk_len(batch, 1);
        a.par_chunks(per * n * n)
            .zip(x.par_chunks_mut(per * m * k))
            .for_each(chunk);
    } else {
        chunk((a, &mut x));
    }
    x
}

/// [`triangular_solve_batch`] of one system.
pub fn triangular_solve<T: LinalgFloat>(
    a: &[T],
    b: &[T],
    n: usize,
    m: usize,
    k: usize,
    p: TriSolve,
) -> Vec<T> {
    triangular_solve_batch(a, b.to_vec(), 1, (n, m, k), p)
}

/// From this `n` on, the triangular solve runs on faer's blocked recursive kernel (its
/// off-diagonal blocks are gemm calls, which a matrix right-hand side such as the Cholesky
/// JVP's needs); below it, the substitution loops here.
const FAER_TRSM_MIN: usize = 32;

/// One triangular solve in place on the row-major `m x k` `x`.
fn solve_in_place<T: LinalgFloat>(a: &[T], x: &mut [T], n: usize, m: usize, k: usize, p: TriSolve) {
    if n >= FAER_TRSM_MIN {
        // X op(A) = B is op(A)ᵀ Xᵀ = Bᵀ, and the row-major X is the column-major Xᵀ.
        let transpose = p.transpose_a == p.left_side;
        let av = view(a, n, n);
        let op = if transpose { av.transpose() } else { av };
        let rhs = if p.left_side {
            MatMut::from_row_major_slice_mut(x, n, k)
        } else {
            MatMut::from_column_major_slice_mut(x, n, m)
        };
        use faer::linalg::triangular_solve as ts;
        // Many right-hand sides split over the threads; a few stay on one.
        let par = if (if p.left_side { k } else { m }) >= 32 {
            par_for(n, Split::RightHandSides)
        } else {
            faer::Par::Seq
        };
        match (p.lower != transpose, p.unit_diagonal) {
            (true, false) => ts::solve_lower_triangular_in_place(op, rhs, par),
            (true, true) => ts::solve_unit_lower_triangular_in_place(op, rhs, par),
            (false, false) => ts::solve_upper_triangular_in_place(op, rhs, par),
            (false, true) => ts::solve_unit_upper_triangular_in_place(op, rhs, par),
        }
        return;
    }
    if p.left_side {
        solve_left(
            a,
            x,
            n,
            k,
            p.lower != p.transpose_a,
            p.transpose_a,
            p.unit_diagonal,
        );
    } else {
        // X op(A) = B is op(A)ᵀ Xᵀ = Bᵀ: solve on the transpose, with op flipped.
        let mut xt = vec![T::zero(); m * n];
        for r in 0..m {
            for c in 0..n {
                xt[c * m + r] = x[r * n + c];
            }
        }
        let transpose = !p.transpose_a;
        solve_left(
            a,
            &mut xt,
            n,
            m,
            p.lower != transpose,
            transpose,
            p.unit_diagonal,
        );
        for r in 0..m {
            for c in 0..n {
                x[r * n + c] = xt[c * m + r];
            }
        }
    }
}

/// `op(A) X = B` in place on the row-major `n x k` `x`, where `op(A)` is lower
/// (`op_lower`) or upper triangular and `op(A)[i][j]` is `a[j][i]` when `transpose` (else
/// `a[i][j]`). Rows of `x` are updated as whole vectors (`k` contiguous values), and `a` is
/// read along its rows in both cases: the dot form when `op(A)` is `A`, the axpy form (each
/// solved row pushed into the rows after it) when it is `Aᵀ`.
fn solve_left<T: LinalgFloat>(
    a: &[T],
    x: &mut [T],
    n: usize,
    k: usize,
    op_lower: bool,
    transpose: bool,
    unit: bool,
) {
    if k == 1 {
        solve_left_vector(a, x, n, op_lower, transpose, unit);
        return;
    }
    let order: &mut dyn Iterator<Item = usize> = if op_lower {
        &mut (0..n)
    } else {
        &mut (0..n).rev()
    };
    for i in order {
        let diag = a[i * n + i];
        if !transpose {
            // x_i -= sum_j A[i][j] x_j over the solved rows j (before i in the order).
            let solved = if op_lower { 0..i } else { i + 1..n };
            let (row_i, rest) = take_row(x, i, k);
            for j in solved {
                let aij = a[i * n + j];
                if aij != T::zero() {
                    for (xi, &xj) in row_i.iter_mut().zip(row_of(&rest, i, j, k)) {
                        *xi -= aij * xj;
                    }
                }
            }
            if !unit {
                row_i.iter_mut().for_each(|v| *v /= diag);
            }
        } else {
            // x_i is final once the rows before it have pushed into it: scale, then push
            // x_i into the rows after it (op(A)[j][i] = A[i][j]).
            let (row_i, mut rest) = take_row(x, i, k);
            if !unit {
                row_i.iter_mut().for_each(|v| *v /= diag);
            }
            let later = if op_lower { i + 1..n } else { 0..i };
            for j in later {
                let aij = a[i * n + j];
                if aij != T::zero() {
                    for (xj, &xi) in row_of_mut(&mut rest, i, j, k).iter_mut().zip(row_i.iter()) {
                        *xj -= aij * xi;
                    }
                }
            }
        }
    }
}

/// [`solve_left`] for one right-hand side (`k = 1`, the common `solve(a, b)` of a vector):
/// the same operations in the same order on plain indices, without the row slices (each one
/// element long) that cost more than the arithmetic at small `n`.
fn solve_left_vector<T: LinalgFloat>(
    a: &[T],
    x: &mut [T],
    n: usize,
    op_lower: bool,
    transpose: bool,
    unit: bool,
) {
    let x = &mut x[..n];
    let a = &a[..n * n];
    for step in 0..n {
        let i = if op_lower { step } else { n - 1 - step };
        let row = &a[i * n..(i + 1) * n];
        if !transpose {
            let solved = if op_lower { 0..i } else { i + 1..n };
            let mut xi = x[i];
            for j in solved {
                let aij = row[j];
                if aij != T::zero() {
                    xi -= aij * x[j];
                }
            }
            x[i] = if unit { xi } else { xi / row[i] };
        } else {
            if !unit {
                x[i] /= row[i];
            }
            let xi = x[i];
            let later = if op_lower { i + 1..n } else { 0..i };
            for j in later {
                let aij = row[j];
                if aij != T::zero() {
                    x[j] -= aij * xi;
                }
            }
        }
    }
}

/// Row `i` of the row-major `x` (rows of `k`) and the other rows, with `i`'s place left out.
fn take_row<T>(x: &mut [T], i: usize, k: usize) -> (&mut [T], RowsExcept<'_, T>) {
    let (before, from) = x.split_at_mut(i * k);
    let (row, after) = from.split_at_mut(k);
    (row, RowsExcept { before, after })
}

/// The rows of a matrix other than one (see [`take_row`]).
struct RowsExcept<'a, T> {
    before: &'a mut [T],
    after: &'a mut [T],
}

/// Row `j` (not `i`) of the rows around row `i`.
fn row_of<'a, T>(r: &'a RowsExcept<'_, T>, i: usize, j: usize, k: usize) -> &'a [T] {
    if j < i {
        &r.before[j * k..(j + 1) * k]
    } else {
        &r.after[(j - i - 1) * k..(j - i) * k]
    }
}

/// Row `j` (not `i`) of the rows around row `i`, mutably.
fn row_of_mut<'a, T>(r: &'a mut RowsExcept<'_, T>, i: usize, j: usize, k: usize) -> &'a mut [T] {
    if j < i {
        &mut r.before[j * k..(j + 1) * k]
    } else {
        &mut r.after[(j - i - 1) * k..(j - i) * k]
    }
}

/// Systems factored together by the interleaved small-matrix LU: lane `l` of every vector
/// operation belongs to system `l` of the group (8 f64 fill two AVX2 registers, 8 f32 one).
const LANES: usize = 8;

/// Up to this `n`, a batch of square matrices is factored by [`lu_small_batch`] (interleaved
/// across systems); from it on, one matrix at a time.
pub const SMALL_LU_MAX_N: usize = 16;

/// LU with partial pivoting of the row-major `n x n` matrices in `lu` (a whole number of
/// them), `LANES` at a time with the systems interleaved (each value of a matrix is one lane
/// of a vector), so every step of `getf2` (the pivot search, the row swap, the scaling and
/// the rank-1 update) is one vector operation for eight systems; the members left over at
/// the end run [`lu_unblocked`]. The arithmetic is `lu_unblocked`'s, operation for
/// operation (no fused multiply-adds, the same skips of zero pivots and multipliers), so
/// the factors, pivots and permutations are the same bits.
fn lu_small_batch<T: LinalgFloat>(lu: &mut [T], n: usize, pivots: &mut [i32], perm: &mut [i32]) {
    #[cfg(target_arch = "x86_64")]
    if super::simd::SimdLevel::detect() >= super::simd::SimdLevel::Avx2Fma {
        // SAFETY: `detect` found AVX2 on this CPU.
        unsafe { lu_small_batch_avx2(lu, n, pivots, perm) };
        return;
    }
    lu_small_batch_impl(lu, n, pivots, perm);
}

/// [`lu_small_batch_impl`] compiled for AVX2 (comparisons, blends and the 8-lane updates
/// in 256-bit registers); no FMA, so the results are the portable copy's.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn lu_small_batch_avx2<T: LinalgFloat>(
    lu: &mut [T],
    n: usize,
    pivots: &mut [i32],
    perm: &mut [i32],
) {
    lu_small_batch_impl(lu, n, pivots, perm);
}

/// The body of [`lu_small_batch`]: whole groups of `LANES` interleaved, factored and
/// written back, the rest one at a time. (Lane loops index several arrays at once by lane,
/// clearer than zipped iterators.)
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn lu_small_batch_impl<T: LinalgFloat>(
    lu: &mut [T],
    n: usize,
    pivots: &mut [i32],
    perm: &mut [i32],
) {
    let nn = n * n;
    let groups = lu.len() / nn / LANES;
    let mut w = vec![T::zero(); nn * LANES];
    let mut piv = vec![[0i32; LANES]; n];
    for g in 0..groups {
        let mats = &mut lu[g * LANES * nn..(g + 1) * LANES * nn];
        // Interleave: w[(r n + c) LANES + l] = member l's (r, c).
        for (l, m) in mats.chunks_exact(nn).enumerate() {
            for (e, &v) in m.iter().enumerate() {
                w[e * LANES + l] = v;
            }
        }
        lu_lanes(&mut w, n, &mut piv);
        for (l, m) in mats.chunks_exact_mut(nn).enumerate() {
            for (e, v) in m.iter_mut().enumerate() {
                *v = w[e * LANES + l];
            }
        }
        for l in 0..LANES {
            let s = g * LANES + l;
            let pv = &mut pivots[s * n..(s + 1) * n];
            let pm = &mut perm[s * n..(s + 1) * n];
            for (i, q) in pm.iter_mut().enumerate() {
                *q = i as i32;
            }
            for j in 0..n {
                pv[j] = piv[j][l];
                pm.swap(j, piv[j][l] as usize);
            }
        }
    }
    let done = groups * LANES;
    for (s, m) in lu.chunks_exact_mut(nn).enumerate().skip(done) {
        lu_unblocked(
            m,
            n,
            n,
            &mut pivots[s * n..(s + 1) * n],
            &mut perm[s * n..(s + 1) * n],
        );
    }
}

/// `getf2` on `LANES` interleaved `n x n` matrices in `w` (see [`lu_small_batch`]); `piv[j]`
/// gets step `j`'s pivot row of every lane.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn lu_lanes<T: LinalgFloat>(w: &mut [T], n: usize, piv: &mut [[i32; LANES]]) {
    let at = |r: usize, c: usize| (r * n + c) * LANES;
    let load = |w: &[T], e: usize| -> [T; LANES] { w[e..e + LANES].try_into().unwrap() };
    let zero = T::zero();
    for j in 0..n {
        // The pivot: the first entry of largest magnitude in column j, from row j down.
        let mut best = load(w, at(j, j)).map(num_traits::Float::abs);
        let mut p = [j as i32; LANES];
        for i in j + 1..n {
            let v = load(w, at(i, j));
            for l in 0..LANES {
                let a = num_traits::Float::abs(v[l]);
                let gt = a > best[l];
                best[l] = if gt { a } else { best[l] };
                p[l] = if gt { i as i32 } else { p[l] };
            }
        }
        piv[j] = p;
        // Swap row j with each lane's pivot row (a blend per row that some lane chose).
        for i in j + 1..n {
            let ii = i as i32;
            if !p.contains(&ii) {
                continue;
            }
            for c in 0..n {
                let (rj, ri) = (load(w, at(j, c)), load(w, at(i, c)));
                let (mut nj, mut ni) = (rj, ri);
                for l in 0..LANES {
                    let s = p[l] == ii;
                    nj[l] = if s { ri[l] } else { rj[l] };
                    ni[l] = if s { rj[l] } else { ri[l] };
                }
                w[at(j, c)..at(j, c) + LANES].copy_from_slice(&nj);
                w[at(i, c)..at(i, c) + LANES].copy_from_slice(&ni);
            }
        }
        // Scale the column below the pivot and update the trailing rows (skipping a zero
        // pivot's division and a zero multiplier's update, as `lu_unblocked` does).
        let d = load(w, at(j, j));
        for i in j + 1..n {
            let x = load(w, at(i, j));
            let mut f = x;
            for l in 0..LANES {
                f[l] = if d[l] != zero { x[l] / d[l] } else { x[l] };
            }
            w[at(i, j)..at(i, j) + LANES].copy_from_slice(&f);
            for c in j + 1..n {
                let u = load(w, at(j, c));
                let mut y = load(w, at(i, c));
                for l in 0..LANES {
                    y[l] = if f[l] != zero {
                        y[l] - f[l] * u[l]
                    } else {
                        y[l]
                    };
                }
                w[at(i, c)..at(i, c) + LANES].copy_from_slice(&y);
            }
        }
    }
}
