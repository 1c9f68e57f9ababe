//! LU with partial pivoting and the triangular solve on row-major buffers (re-exported by
//! `kernels::linalg`), generic over [`LinalgFloat`] so f32 systems are solved in f32. LU runs
//! on faer's blocked kernel from `min(m, n) = 24` on (in parallel from
//! `linalg::PAR_MIN_N`) and on a short loop below it, with pivots exactly LAPACK's (`getrf`:
//! first entry of largest magnitude, zero columns skipped); the triangular solve is
//! substitution written here below n = 32 and faer's blocked kernel above, reading only the
//! named triangle as `trsm` does. Both take the whole batch: a batch of small systems (a
//! vmapped `solve` of 8x8s) is cut into one chunk of members per thread, with no per-member
//! dispatch or allocation.

use super::linalg::{par_for, parallel_batch, LinalgFloat};
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
    let chunk = |(lu, (piv, perm)): (&mut [T], (&mut [i32], &mut [i32]))| {
        for (l, (pv, pm)) in lu
            .chunks_mut(m * n)
            .zip(piv.chunks_mut(k).zip(perm.chunks_mut(m)))
        {
            member(l, pv, pm);
        }
    };
    if parallel_batch(batch, k, m * n * k / 3) {
        use rayon::prelude::*;
        let per = super::parallel::chunk_len(batch, 1);
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
    if m.min(n) >= FAER_LU_MIN && lu_faer(lu, m, n, pivots, perm) {
        return;
    }
    lu_unblocked(lu, m, n, pivots, perm);
}

/// faer's partial-pivoting LU in place on the row-major buffer (the same pivot choice as
/// `getrf`: first entry of largest magnitude). Returns false, leaving `lu` to be refilled,
/// when a pivot is zero or NaN: faer then divides by it where `getrf` skips the column.
fn lu_faer<T: LinalgFloat>(
    lu: &mut [T],
    m: usize,
    n: usize,
    pivots: &mut [i32],
    perm: &mut [i32],
) -> bool {
    let original = lu.to_vec();
    let k = m.min(n);
    let par = par_for(k);
    let mut fwd = vec![0usize; m];
    let mut inv = vec![0usize; m];
    let mut mem = MemBuffer::new(lu_in_place_scratch::<usize, T>(
        m,
        n,
        par,
        Default::default(),
    ));
    lu_in_place(
        MatMut::from_row_major_slice_mut(lu, m, n),
        &mut fwd,
        &mut inv,
        par,
        MemStack::new(&mut mem),
        Default::default(),
    );
    if (0..k).any(|i| {
        let d = lu[i * n + i];
        d == T::zero() || num_traits::Float::is_nan(d)
    }) {
        lu.copy_from_slice(&original);
        return false;
    }
    // The swaps that make `fwd`: at step j, row fwd[j] is wherever earlier swaps left it.
    let mut at: Vec<usize> = (0..m).collect(); // at[position] = original row
    let mut pos: Vec<usize> = (0..m).collect(); // pos[original row] = position
    for j in 0..k {
        let p = pos[fwd[j]];
        pivots[j] = p as i32;
        let (rj, rp) = (at[j], at[p]);
        at.swap(j, p);
        pos[rj] = p;
        pos[rp] = j;
    }
    for (q, &f) in perm.iter_mut().zip(&fwd) {
        *q = f as i32;
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
    if parallel_batch(batch, n, n * n * (m * k / n).max(1) / 2) {
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
            par_for(n)
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
