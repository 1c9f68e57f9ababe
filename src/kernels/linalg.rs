//! Dense decompositions on row-major `f64` buffers: what the `lax.linalg` primitives
//! (`src/prims/linalg/`) call. Cholesky, QR, the symmetric eigendecomposition and the SVD run
//! on faer (pure Rust, no system LAPACK), one matrix at a time. LU with partial pivoting runs
//! on faer's blocked kernel from `min(m, n) = 24` on and on a short loop below it, with
//! pivots exactly LAPACK's (`getrf`: first entry of largest magnitude, zero columns skipped);
//! the triangular solve is substitution written here, reading only the named triangle as
//! `trsm` does. LU and the triangular solve take the whole batch, so a batch of small systems
//! (a vmapped `solve` of 8x8s) runs on all threads with no per-member allocation.
//!
//! Everything is `f64` and not generic: f32 operands are widened once and rounded once on the
//! way out (more accurate than LAPACK's `spotrf`, never less), and faer's generic code is
//! instantiated for one element type only, which keeps the crate's compile time down.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::lu::partial_pivoting::factor::{lu_in_place, lu_in_place_scratch};
use faer::{MatMut, MatRef, Par, Side};
use rayon::prelude::*;

/// A row-major `m x n` buffer seen as a faer matrix (a strided view, no copy).
fn view(a: &[f64], m: usize, n: usize) -> MatRef<'_, f64> {
    MatRef::from_row_major_slice(a, m, n)
}

/// `m` as a row-major buffer.
fn row_major(m: MatRef<'_, f64>) -> Vec<f64> {
    let (r, c) = (m.nrows(), m.ncols());
    let mut out = Vec::with_capacity(r * c);
    for i in 0..r {
        for j in 0..c {
            out.push(m[(i, j)]);
        }
    }
    out
}

/// The lower Cholesky factor of the `n x n` matrix `a` (read from its lower triangle), zeros
/// above the diagonal; all NaN when `a` is not positive definite, as JAX's `cholesky` (it
/// replaces a failed `potrf` with NaNs).
pub fn cholesky(a: &[f64], n: usize) -> Vec<f64> {
    match view(a, n, n).llt(Side::Lower) {
        Ok(llt) => {
            let mut l = row_major(llt.L());
            for i in 0..n {
                for j in i + 1..n {
                    l[i * n + j] = 0.0;
                }
            }
            l
        }
        Err(_) => vec![f64::NAN; n * n],
    }
}

/// Householder QR of the `m x n` matrix `a`: `(q, r)` with `q` of `m x k` and `r` of `k x n`,
/// `k = m` when `full` else `min(m, n)`.
pub fn qr(a: &[f64], m: usize, n: usize, full: bool) -> (Vec<f64>, Vec<f64>) {
    let qr = view(a, m, n).qr();
    let k = if full { m } else { m.min(n) };
    let q = if full {
        qr.compute_Q()
    } else {
        qr.compute_thin_Q()
    };
    let r_full = qr.R();
    let mut r = vec![0.0; k * n];
    for i in 0..k.min(r_full.nrows()) {
        for j in i..n {
            r[i * n + j] = r_full[(i, j)];
        }
    }
    (row_major(q.as_ref()), r)
}

/// Eigenvalues (ascending) and eigenvectors (in columns, `n x n` row-major) of the symmetric
/// `n x n` matrix `a`, read from its lower triangle; NaNs if the iteration fails.
pub fn eigh(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    match view(a, n, n).self_adjoint_eigen(Side::Lower) {
        Ok(e) => {
            let w = e.S().column_vector().iter().copied().collect();
            (w, row_major(e.U()))
        }
        Err(_) => (vec![f64::NAN; n], vec![f64::NAN; n * n]),
    }
}

/// SVD of the `m x n` matrix `a`: singular values (descending, `min(m, n)`), and when
/// `compute_uv` also `u` (`m x m` if `full` else `m x k`) and `vt` (`n x n` if `full` else
/// `k x n`); NaNs if the iteration fails.
pub fn svd(
    a: &[f64],
    m: usize,
    n: usize,
    full: bool,
    compute_uv: bool,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let k = m.min(n);
    let (ur, vc) = if full { (m, n) } else { (k, k) };
    let a = view(a, m, n);
    if !compute_uv {
        return match a.singular_values() {
            Ok(s) => (s, Vec::new(), Vec::new()),
            Err(_) => (vec![f64::NAN; k], Vec::new(), Vec::new()),
        };
    }
    let res = if full { a.svd() } else { a.thin_svd() };
    match res {
        Ok(svd) => {
            let s = svd.S().column_vector().iter().copied().collect();
            let u = row_major(svd.U());
            let vt = row_major(svd.V().transpose());
            (s, u, vt)
        }
        Err(_) => (
            vec![f64::NAN; k],
            vec![f64::NAN; m * ur],
            vec![f64::NAN; vc * n],
        ),
    }
}

/// From this `min(m, n)` on, LU runs on faer's blocked recursive kernel (its Schur
/// complements are gemm calls); below it, the unblocked loop is faster (no scratch, no
/// recursion) and is what a batch of small systems runs.
const FAER_LU_MIN: usize = 24;

/// Estimated single-thread ns per multiply-add of the unblocked loops here (scalar, cache
/// resident), and per batch member (slicing and bookkeeping): what decides when a batch of
/// small problems is spread over the threads.
const NS_PER_LOOP_MAC: f64 = 0.5;
const NS_PER_MEMBER: f64 = 50.0;

/// Whether `batch` members of `macs` multiply-adds each are worth the thread pool.
fn parallel_batch(batch: usize, macs: usize) -> bool {
    batch > 1
        && super::parallel::should_parallelize(
            batch as f64 * (macs as f64 * NS_PER_LOOP_MAC + NS_PER_MEMBER),
        )
}

/// LU with partial pivoting of `batch` row-major `m x n` matrices stored one after the other
/// in `lu` (factored in place), as LAPACK's `getrf` on each: the packed factors (`L` unit lower below the
/// diagonal, `U` on and above it), the row swapped with row `i` at step `i` (`min(m, n)`
/// pivots per matrix, 0-based) and the permutation those swaps make (`a[perm] = L U`). The
/// pivot is the first entry of largest magnitude in the column; a zero column is skipped (no
/// division), as `getrf` does. Many small matrices run in parallel over the batch.
pub fn lu_batch(
    mut lu: Vec<f64>,
    batch: usize,
    m: usize,
    n: usize,
) -> (Vec<f64>, Vec<i32>, Vec<i32>) {
    let k = m.min(n);
    let mut pivots = vec![0i32; batch * k];
    let mut perm = vec![0i32; batch * m];
    if m * n == 0 {
        return (lu, pivots, perm);
    }
    let one = |(lu, (piv, perm)): (&mut [f64], (&mut [i32], &mut [i32]))| {
        lu_in_place_into(lu, m, n, piv, perm)
    };
    if parallel_batch(batch, m * n * k / 3) {
        lu.par_chunks_mut(m * n)
            .zip(pivots.par_chunks_mut(k.max(1)).zip(perm.par_chunks_mut(m)))
            .for_each(one);
    } else {
        lu.chunks_mut(m * n)
            .zip(pivots.chunks_mut(k.max(1)).zip(perm.chunks_mut(m)))
            .for_each(one);
    }
    (lu, pivots, perm)
}

/// [`lu_batch`] of one matrix.
pub fn lu(a: &[f64], m: usize, n: usize) -> (Vec<f64>, Vec<i32>, Vec<i32>) {
    lu_batch(a.to_vec(), 1, m, n)
}

/// LU of the row-major `m x n` matrix in `lu`, in place; pivots and permutation written to
/// `pivots` (`min(m, n)`) and `perm` (`m`).
fn lu_in_place_into(lu: &mut [f64], m: usize, n: usize, pivots: &mut [i32], perm: &mut [i32]) {
    if m.min(n) >= FAER_LU_MIN && lu_faer(lu, m, n, pivots, perm) {
        return;
    }
    lu_unblocked(lu, m, n, pivots, perm);
}

/// faer's partial-pivoting LU in place on the row-major buffer (the same pivot choice as
/// `getrf`: first entry of largest magnitude). Returns false, leaving `lu` to be refilled,
/// when a pivot is zero or NaN: faer then divides by it where `getrf` skips the column.
fn lu_faer(lu: &mut [f64], m: usize, n: usize, pivots: &mut [i32], perm: &mut [i32]) -> bool {
    let original = lu.to_vec();
    let k = m.min(n);
    let mut fwd = vec![0usize; m];
    let mut inv = vec![0usize; m];
    let mut mem = MemBuffer::new(lu_in_place_scratch::<usize, f64>(
        m,
        n,
        Par::Seq,
        Default::default(),
    ));
    lu_in_place(
        MatMut::from_row_major_slice_mut(lu, m, n),
        &mut fwd,
        &mut inv,
        Par::Seq,
        MemStack::new(&mut mem),
        Default::default(),
    );
    if (0..k).any(|i| {
        let d = lu[i * n + i];
        d == 0.0 || d.is_nan()
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
fn lu_unblocked(lu: &mut [f64], m: usize, n: usize, pivots: &mut [i32], perm: &mut [i32]) {
    for (i, p) in perm.iter_mut().enumerate() {
        *p = i as i32;
    }
    for j in 0..m.min(n) {
        let mut p = j;
        let mut best = lu[j * n + j].abs();
        for i in j + 1..m {
            let v = lu[i * n + j].abs();
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
            if d != 0.0 {
                row[j] /= d;
            }
            let l = row[j];
            if l != 0.0 {
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
pub fn triangular_solve_batch(
    a: &[f64],
    mut x: Vec<f64>,
    batch: usize,
    (n, m, k): (usize, usize, usize),
    p: TriSolve,
) -> Vec<f64> {
    if m * k == 0 || n == 0 {
        return x;
    }
    let one = |(ai, xi): (&[f64], &mut [f64])| solve_in_place(ai, xi, n, m, k, p);
    if parallel_batch(batch, n * n * (m * k / n).max(1) / 2) {
        a.par_chunks(n * n)
            .zip(x.par_chunks_mut(m * k))
            .for_each(one);
    } else {
        a.chunks(n * n).zip(x.chunks_mut(m * k)).for_each(one);
    }
    x
}

/// [`triangular_solve_batch`] of one system.
pub fn triangular_solve(
    a: &[f64],
    b: &[f64],
    n: usize,
    m: usize,
    k: usize,
    p: TriSolve,
) -> Vec<f64> {
    triangular_solve_batch(a, b.to_vec(), 1, (n, m, k), p)
}

/// From this `n` on, the triangular solve runs on faer's blocked recursive kernel (its
/// off-diagonal blocks are gemm calls, which a matrix right-hand side such as the Cholesky
/// JVP's needs); below it, the substitution loops here.
const FAER_TRSM_MIN: usize = 32;

/// One triangular solve in place on the row-major `m x k` `x`.
fn solve_in_place(a: &[f64], x: &mut [f64], n: usize, m: usize, k: usize, p: TriSolve) {
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
        match (p.lower != transpose, p.unit_diagonal) {
            (true, false) => ts::solve_lower_triangular_in_place(op, rhs, Par::Seq),
            (true, true) => ts::solve_unit_lower_triangular_in_place(op, rhs, Par::Seq),
            (false, false) => ts::solve_upper_triangular_in_place(op, rhs, Par::Seq),
            (false, true) => ts::solve_unit_upper_triangular_in_place(op, rhs, Par::Seq),
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
        let mut xt = vec![0.0; m * n];
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
fn solve_left(
    a: &[f64],
    x: &mut [f64],
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
                if aij != 0.0 {
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
                if aij != 0.0 {
                    for (xj, &xi) in row_of_mut(&mut rest, i, j, k).iter_mut().zip(row_i.iter()) {
                        *xj -= aij * xi;
                    }
                }
            }
        }
    }
}

/// Row `i` of the row-major `x` (rows of `k`) and the other rows, with `i`'s place left out.
fn take_row(x: &mut [f64], i: usize, k: usize) -> (&mut [f64], RowsExcept<'_>) {
    let (before, from) = x.split_at_mut(i * k);
    let (row, after) = from.split_at_mut(k);
    (row, RowsExcept { before, after })
}

/// The rows of a matrix other than one (see [`take_row`]).
struct RowsExcept<'a> {
    before: &'a mut [f64],
    after: &'a mut [f64],
}

/// Row `j` (not `i`) of the rows around row `i`.
fn row_of<'a>(r: &'a RowsExcept<'_>, i: usize, j: usize, k: usize) -> &'a [f64] {
    if j < i {
        &r.before[j * k..(j + 1) * k]
    } else {
        &r.after[(j - i - 1) * k..(j - i) * k]
    }
}

/// Row `j` (not `i`) of the rows around row `i`, mutably.
fn row_of_mut<'a>(r: &'a mut RowsExcept<'_>, i: usize, j: usize, k: usize) -> &'a mut [f64] {
    if j < i {
        &mut r.before[j * k..(j + 1) * k]
    } else {
        &mut r.after[(j - i - 1) * k..(j - i) * k]
    }
}
