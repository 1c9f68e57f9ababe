//! `ferrax::linalg`: the twin of `jax.numpy.linalg` and of `jax.scipy.linalg`'s
//! decompositions and solves (feature `linalg`, on by default). f32 and f64; the leading dims
//! of every operand are batch dims; everything composes `lax.linalg` primitives
//! (`ferrax::lax::linalg`) and numpy ops, so `grad`, `vmap` and `jit` apply.
//!
//! Conventions as JAX's: singular values descending, eigenvalues ascending with eigenvectors
//! in columns; `cholesky` and `eigh` symmetrize their input (`(a + aᵀ)/2`), so gradients
//! are symmetric; `solve_triangular` reads only the named triangle; a matrix that is not
//! positive definite gives a `cholesky` of NaNs (no panic, as JAX); `slogdet`'s sign has the
//! input's dtype. Wrong ranks or shapes panic naming the function, the shapes and the
//! caller's line.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::linalg;
//! let a = Tensor::from_vec(vec![4.0f64, 1.0, 1.0, 3.0], &[2, 2]);
//! let b = Tensor::from_vec(vec![1.0f64, 2.0], &[2, 1]);
//! let x = linalg::solve(&a, &b);
//! let back = ferrax::numpy::matmul(&a, &x).to_vec::<f64>();
//! assert!((back[0] - 1.0).abs() < 1e-12 && (back[1] - 2.0).abs() < 1e-12);
//! ```

mod decomp;
mod expm;
mod more;
mod norms;

pub use decomp::{eig, eigvals, tridiagonal_solve};
pub use expm::{expm, expm_frechet, expm_with, Expm};

pub use norms::{block_diag, cond, cross, multi_dot, norm_with, outer, NormOpts, Ord};

pub use more::{
    cho_factor, cho_solve, eigvalsh, lstsq, lu_factor, lu_solve, matrix_power, matrix_rank, pinv,
    tensorinv, tensorsolve, trace,
};

use crate::lax;
use crate::lax::linalg::{triangular_solve, TriangularSolve};
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};
use std::panic::Location;

/// Panics unless `x` is a `[.., m, n]` f32/f64 tensor; returns `(m, n)`.
#[track_caller]
pub(crate) fn matrix(op: &str, x: &Tensor) -> (usize, usize) {
    if x.ndim() < 2 || !matches!(x.dtype(), DType::F32 | DType::F64) {
        panic!(
            "linalg.{op}: needs an f32 or f64 matrix [.., m, n], got {} (called from {})",
            x.aval(),
            Location::caller()
        );
    }
    (x.shape()[x.ndim() - 2], x.shape()[x.ndim() - 1])
}

/// Panics unless `x` is a batch of square matrices; returns `n`.
#[track_caller]
pub(crate) fn square(op: &str, x: &Tensor) -> usize {
    let (m, n) = matrix(op, x);
    if m != n {
        panic!(
            "linalg.{op}: needs square matrices [.., n, n], got {} (called from {})",
            x.aval(),
            Location::caller()
        );
    }
    n
}

/// The lower Cholesky factor `l` of the symmetric positive definite `a` (`a = l lᵀ`), as
/// `jnp.linalg.cholesky`: `a` is symmetrized first; a matrix that is not positive definite
/// gives NaNs (as JAX, no panic).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![4.0f64, 2.0, 2.0, 5.0], &[2, 2]);
/// assert_eq!(ferrax::linalg::cholesky(&a).to_vec::<f64>(), vec![2.0, 0.0, 1.0, 2.0]);
/// ```
#[track_caller]
pub fn cholesky(a: &Tensor) -> Tensor {
    square("cholesky", a);
    lax::linalg::cholesky(a, true)
}

/// `b` as `[.., n, k]` for a solve against `[.., n, n]` `a` (a vector `b` of `a`'s batch
/// dims plus `n` gains a unit column), and whether it was a vector.
#[track_caller]
fn as_rhs(op: &str, a: &Tensor, b: &Tensor) -> (Tensor, bool) {
    let n = a.shape()[a.ndim() - 1];
    let batch = &a.shape()[..a.ndim() - 2];
    let vector = b.ndim() == 1 || b.ndim() == a.ndim() - 1;
    let ok = if vector {
        b.shape()[..b.ndim() - 1] == *batch && b.shape()[b.ndim() - 1] == n
    } else {
        b.ndim() == a.ndim() && b.shape()[..b.ndim() - 2] == *batch && b.shape()[b.ndim() - 2] == n
    };
    if !ok || b.dtype() != a.dtype() {
        panic!(
            "linalg.{op}: a {} and b {} do not match (b must be [.., n, k] or [.., n] with \
             a's batch dims and dtype) (called from {})",
            a.aval(),
            b.aval(),
            Location::caller()
        );
    }
    if vector {
        let mut s = b.shape().to_vec();
        s.push(1);
        (lax::reshape(b, &s), true)
    } else {
        (b.clone(), false)
    }
}

/// Drops the unit column `as_rhs` added.
fn from_rhs(x: Tensor, vector: bool) -> Tensor {
    if vector {
        let s = x.shape()[..x.ndim() - 1].to_vec();
        lax::reshape(&x, &s)
    } else {
        x
    }
}

/// `x` with `a x = b`, given `lu(a)`'s packed factors and permutation.
fn lu_solve_packed(lu: &Tensor, perm: &Tensor, b: &Tensor) -> Tensor {
    // b's rows in the permutation's order (JAX's `x[..., perm, :]`): a gather, not a product
    // with the permutation matrix.
    let pb = jnp::take_along_axis(b, &jnp::expand_dims(perm, -1), -2);
    let y = triangular_solve(
        lu,
        &pb,
        TriangularSolve {
            left_side: true,
            lower: true,
            unit_diagonal: true,
            ..Default::default()
        },
    );
    triangular_solve(
        lu,
        &y,
        TriangularSolve {
            left_side: true,
            lower: false,
            ..Default::default()
        },
    )
}

/// The solution `x` of `a x = b` (`jnp.linalg.solve`), by LU with partial pivoting: `a` is
/// `[.., n, n]`, `b` is `[.., n, k]` with the same batch dims, or `[.., n]`.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![2.0f64, 0.0, 0.0, 4.0], &[2, 2]);
/// let b = Tensor::from_vec(vec![2.0f64, 2.0], &[2]);
/// assert_eq!(ferrax::linalg::solve(&a, &b).to_vec::<f64>(), vec![1.0, 0.5]);
/// ```
#[track_caller]
pub fn solve(a: &Tensor, b: &Tensor) -> Tensor {
    square("solve", a);
    let (b2, vector) = as_rhs("solve", a, b);
    let (lu, _, perm) = lax::linalg::lu(a);
    from_rhs(lu_solve_packed(&lu, &perm, &b2), vector)
}

/// The solution `x` of `a x = b` for triangular `a`, reading only its lower (`lower`) or
/// upper triangle (`jax.scipy.linalg.solve_triangular(a, b, lower=lower)`); `b` is
/// `[.., n, k]` or `[.., n]`.
///
/// ```
/// use ferrax::prelude::*;
/// let l = Tensor::from_vec(vec![2.0f64, 99.0, 1.0, 4.0], &[2, 2]); // 99 is never read
/// let b = Tensor::from_vec(vec![2.0f64, 9.0], &[2]);
/// assert_eq!(ferrax::linalg::solve_triangular(&l, &b, true).to_vec::<f64>(), vec![1.0, 2.0]);
/// ```
#[track_caller]
pub fn solve_triangular(a: &Tensor, b: &Tensor, lower: bool) -> Tensor {
    square("solve_triangular", a);
    let (b2, vector) = as_rhs("solve_triangular", a, b);
    let p = TriangularSolve {
        left_side: true,
        lower,
        ..Default::default()
    };
    from_rhs(triangular_solve(a, &b2, p), vector)
}

/// The identity broadcast to `a`'s shape.
fn identity_like(a: &Tensor) -> Tensor {
    let n = a.shape()[a.ndim() - 1];
    let e = lax::convert_element_type(&jnp::eye(n), a.dtype());
    let r = a.ndim();
    lax::broadcast_in_dim(&e, a.shape(), &[r - 2, r - 1])
}

/// The inverse of the square matrices `a` (`jnp.linalg.inv`: `solve(a, I)`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![2.0f64, 0.0, 0.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::linalg::inv(&a).to_vec::<f64>(), vec![0.5, 0.0, 0.0, 0.25]);
/// ```
#[track_caller]
pub fn inv(a: &Tensor) -> Tensor {
    square("inv", a);
    solve(a, &identity_like(a))
}

/// The diagonal of the LU factors and the sign of the row permutation, `(diag, parity)`.
fn lu_diag_parity(a: &Tensor) -> (Tensor, Tensor) {
    let (lu, pivots, _) = lax::linalg::lu(a);
    let d = crate::prims::linalg::diagonal(&lu);
    let k = pivots.shape()[pivots.ndim() - 1];
    let r = pivots.ndim();
    let steps = lax::iota(DType::I32, pivots.shape(), r - 1);
    let swaps = lax::convert_element_type(&lax::ne(&pivots, &steps), a.dtype());
    let n_swaps = lax::reduce_sum(&swaps, &[r - 1]);
    // (-1)^swaps = 1 - 2 (swaps mod 2).
    let two = Tensor::full(&[], 2.0, a.dtype());
    let odd = lax::rem(&n_swaps, &two);
    let parity = lax::sub(&Tensor::full(&[], 1.0, a.dtype()), &lax::mul(&two, &odd));
    let _ = k;
    (d, parity)
}

/// The determinants of the square matrices `a` (`jnp.linalg.det`), from the LU factors.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]);
/// assert!((ferrax::linalg::det(&a).to_vec::<f64>()[0] + 2.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn det(a: &Tensor) -> Tensor {
    square("det", a);
    let (d, parity) = lu_diag_parity(a);
    lax::mul(&lax::reduce_prod(&d, &[d.ndim() - 1]), &parity)
}

/// `(sign, logabsdet)` of the square matrices `a` (`jnp.linalg.slogdet`): `det = sign *
/// exp(logabsdet)`, stable where `det` under- or overflows; `sign` has `a`'s dtype (0 and
/// `-inf` for a singular matrix).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![0.0f64, 2.0, 3.0, 0.0], &[2, 2]);
/// let (sign, logdet) = ferrax::linalg::slogdet(&a);
/// assert_eq!(sign.to_vec::<f64>(), vec![-1.0]);
/// assert!((logdet.to_vec::<f64>()[0] - 6f64.ln()).abs() < 1e-12);
/// ```
#[track_caller]
pub fn slogdet(a: &Tensor) -> (Tensor, Tensor) {
    square("slogdet", a);
    let (d, parity) = lu_diag_parity(a);
    let last = d.ndim() - 1;
    let sign = lax::mul(&lax::reduce_prod(&lax::sign(&d), &[last]), &parity);
    let logabs = lax::reduce_sum(&lax::log(&lax::abs(&d)), &[last]);
    (sign, logabs)
}

/// The reduced QR decomposition `(q, r)` of `[.., m, n]` `a` (`jnp.linalg.qr(a,
/// mode="reduced")`): `q` `[.., m, k]` with orthonormal columns, `r` `[.., k, n]` upper
/// triangular, `k = min(m, n)`. Signs as Householder leaves them (they may differ from
/// LAPACK's by the sign of a column of `q` and the matching row of `r`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![3.0f64, 4.0, 0.0, 0.0, 1.0, 0.0], &[3, 2]);
/// let (q, r) = ferrax::linalg::qr(&a);
/// assert_eq!((q.shape(), r.shape()), (&[3, 2][..], &[2, 2][..]));
/// ```
#[track_caller]
pub fn qr(a: &Tensor) -> (Tensor, Tensor) {
    matrix("qr", a);
    lax::linalg::qr(a, false)
}

/// Eigenvalues `w` (ascending, `[.., n]`) and eigenvectors `v` (columns, `[.., n, n]`) of the
/// symmetric `a` (`jnp.linalg.eigh`; `a` is symmetrized first).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![2.0f64, 0.0, 0.0, 1.0], &[2, 2]);
/// let (w, _v) = ferrax::linalg::eigh(&a);
/// assert_eq!(w.to_vec::<f64>(), vec![1.0, 2.0]);
/// ```
#[track_caller]
pub fn eigh(a: &Tensor) -> (Tensor, Tensor) {
    square("eigh", a);
    let (v, w) = lax::linalg::eigh(a, true, true);
    (w, v)
}

/// The reduced SVD `(u, s, vt)` of `[.., m, n]` `a` (`jnp.linalg.svd(a,
/// full_matrices=False)`): `a = u diag(s) vt`, `s` descending.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![0.0f64, 3.0, 2.0, 0.0], &[2, 2]);
/// let (_u, s, _vt) = ferrax::linalg::svd(&a);
/// assert_eq!(s.to_vec::<f64>(), vec![3.0, 2.0]);
/// ```
#[track_caller]
pub fn svd(a: &Tensor) -> (Tensor, Tensor, Tensor) {
    matrix("svd", a);
    lax::linalg::svd(a, false)
}

/// The singular values of `a`, descending (`jnp.linalg.svdvals`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![0.0f32, 3.0, 2.0, 0.0], &[2, 2]);
/// assert_eq!(ferrax::linalg::svdvals(&a).to_vec::<f32>(), vec![3.0, 2.0]);
/// ```
#[track_caller]
pub fn svdvals(a: &Tensor) -> Tensor {
    matrix("svdvals", a);
    lax::linalg::singular_values(a)
}

/// The Frobenius (2-)norm of the whole tensor, as `jnp.linalg.norm(x)` with no `ord` or
/// `axis`: `sqrt(sum(x²))`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![3.0f32, 4.0], &[2]);
/// assert_eq!(ferrax::linalg::norm(&x).to_vec::<f32>(), vec![5.0]);
/// ```
#[track_caller]
pub fn norm(x: &Tensor) -> Tensor {
    let all: Vec<usize> = (0..x.ndim()).collect();
    lax::sqrt(&lax::reduce_sum(&lax::mul(x, x), &all))
}
