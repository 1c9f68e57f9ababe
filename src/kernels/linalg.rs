//! Dense decompositions of one matrix at a time, on row-major `f64` buffers: what the
//! `lax.linalg` primitives (`src/prims/linalg/`) call per batch member. Cholesky, QR, the
//! symmetric eigendecomposition and the SVD run on faer (pure Rust, no system LAPACK); LU with
//! partial pivoting and the triangular solve are short loops written here so that their
//! pivots and their treatment of the unread triangle are exactly LAPACK's (`getrf`, `trsm`).
//!
//! Everything is `f64` and not generic: f32 operands are widened once and rounded once on the
//! way out (more accurate than LAPACK's `spotrf`, never less), and faer's generic code is
//! instantiated for one element type only, which keeps the crate's compile time down.

use faer::{MatRef, Side};

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

/// LU with partial pivoting of the `m x n` matrix `a`, as LAPACK's `getrf`: the packed
/// factors (`L` unit lower below the diagonal, `U` on and above it), the row swapped with
/// row `i` at step `i` (`min(m, n)` pivots, 0-based) and the permutation those swaps make
/// (`a[perm] = L U`). The pivot is the first entry of largest magnitude in the column; a
/// zero column is skipped (no division), as `getrf` does.
pub fn lu(a: &[f64], m: usize, n: usize) -> (Vec<f64>, Vec<i32>, Vec<i32>) {
    let mut lu = a.to_vec();
    let k = m.min(n);
    let mut pivots = Vec::with_capacity(k);
    let mut perm: Vec<i32> = (0..m as i32).collect();
    for j in 0..k {
        let mut p = j;
        let mut best = lu[j * n + j].abs();
        for i in j + 1..m {
            let v = lu[i * n + j].abs();
            if v > best {
                best = v;
                p = i;
            }
        }
        pivots.push(p as i32);
        if p != j {
            for c in 0..n {
                lu.swap(j * n + c, p * n + c);
            }
            perm.swap(j, p);
        }
        let d = lu[j * n + j];
        if d != 0.0 {
            for i in j + 1..m {
                lu[i * n + j] /= d;
            }
        }
        for i in j + 1..m {
            let l = lu[i * n + j];
            if l != 0.0 {
                for c in j + 1..n {
                    lu[i * n + c] -= l * lu[j * n + c];
                }
            }
        }
    }
    (lu, pivots, perm)
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

/// Solves with the triangular `n x n` matrix `a` (only the triangle named by `p.lower` is
/// read) against the `m x k` right-hand side `b`, by substitution, as `trsm`.
pub fn triangular_solve(
    a: &[f64],
    b: &[f64],
    n: usize,
    m: usize,
    k: usize,
    p: TriSolve,
) -> Vec<f64> {
    // op(A)[i][j] read from the stored triangle.
    let at = |i: usize, j: usize| -> f64 {
        if p.transpose_a {
            a[j * n + i]
        } else {
            a[i * n + j]
        }
    };
    // Is op(A) lower triangular?
    let op_lower = p.lower != p.transpose_a;
    let mut x = b.to_vec();
    if p.left_side {
        // op(A) (n x n) X (n x k) = B: column by column, rows in substitution order.
        for c in 0..k {
            let order: Vec<usize> = if op_lower {
                (0..n).collect()
            } else {
                (0..n).rev().collect()
            };
            for (pos, &i) in order.iter().enumerate() {
                let mut s = x[i * k + c];
                for &j in &order[..pos] {
                    s -= at(i, j) * x[j * k + c];
                }
                x[i * k + c] = if p.unit_diagonal { s } else { s / at(i, i) };
            }
        }
    } else {
        // X (m x n) op(A) (n x n) = B: row by row; X op(A) = B is op(A)ᵀ Xᵀ = Bᵀ.
        for r in 0..m {
            // op(A)ᵀ is lower exactly when op(A) is upper.
            let order: Vec<usize> = if !op_lower {
                (0..n).collect()
            } else {
                (0..n).rev().collect()
            };
            for (pos, &i) in order.iter().enumerate() {
                let mut s = x[r * n + i];
                for &j in &order[..pos] {
                    s -= at(j, i) * x[r * n + j];
                }
                x[r * n + i] = if p.unit_diagonal { s } else { s / at(i, i) };
            }
        }
    }
    x
}
