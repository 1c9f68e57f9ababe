//! The rest of `ferrax::linalg` beyond the issue's contract: `eigvalsh`, `pinv`,
//! `matrix_rank`, `matrix_power`, `trace` (jnp.linalg) and `cho_factor`/`cho_solve`,
//! `lu_factor`/`lu_solve` (jax.scipy.linalg), as compositions of the primitives.

use super::{as_rhs, from_rhs, identity_like, lu_solve_packed, matrix, square};
use crate::lax;
use crate::lax::linalg::{triangular_solve, TriangularSolve};
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};
use std::panic::Location;

/// The eigenvalues of the symmetric `a`, ascending (`jnp.linalg.eigvalsh`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![2.0f64, 1.0, 1.0, 2.0], &[2, 2]);
/// let w = ferrax::linalg::eigvalsh(&a).to_vec::<f64>();
/// assert!((w[0] - 1.0).abs() < 1e-12 && (w[1] - 3.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn eigvalsh(a: &Tensor) -> Tensor {
    super::eigh(a).0
}

/// Machine epsilon of `a`'s dtype.
fn eps(a: &Tensor) -> f64 {
    if a.dtype() == DType::F32 {
        f64::from(f32::EPSILON)
    } else {
        f64::EPSILON
    }
}

/// The Moore-Penrose pseudo-inverse `[.., n, m]` of `[.., m, n]` `a` (`jnp.linalg.pinv` with
/// its default cutoff: singular values below `10 max(m, n) eps s_max` count as zero).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![2.0f64, 0.0, 0.0, 0.0], &[2, 2]);
/// assert_eq!(ferrax::linalg::pinv(&a).to_vec::<f64>(), vec![0.5, 0.0, 0.0, 0.0]);
/// ```
#[track_caller]
pub fn pinv(a: &Tensor) -> Tensor {
    let (m, n) = matrix("pinv", a);
    let (u, s, vt) = super::svd(a);
    let r = s.ndim();
    let k = s.shape()[r - 1];
    let rtol = 10.0 * m.max(n) as f64 * eps(a);
    let mut lim = s.shape().to_vec();
    lim[r - 1] = k.min(1);
    let smax = lax::slice(&s, &vec![0; r], &lim, None);
    let cutoff = lax::mul(&smax, &Tensor::full(&[], rtol, a.dtype()));
    let cutoff = lax::broadcast_in_dim(&cutoff, s.shape(), &(0..r).collect::<Vec<_>>());
    let keep = lax::gt(&s, &cutoff);
    let zero = jnp::zeros_like(&s);
    let one = lax::broadcast_in_dim(&Tensor::full(&[], 1.0, a.dtype()), s.shape(), &[]);
    let safe = lax::select_n(&keep, &[one, s.clone()]);
    let s_inv = lax::select_n(
        &keep,
        &[zero, lax::div(&Tensor::full(&[], 1.0, a.dtype()), &safe)],
    );
    // (V diag(s_inv)) Uᵀ.
    let v = jnp::matrix_transpose(&vt);
    let mut row = s_inv.shape().to_vec();
    row.insert(r - 1, 1);
    let scaled = lax::mul(&v, &lax::reshape(&s_inv, &row));
    jnp::matmul(&scaled, &jnp::matrix_transpose(&u))
}

/// The rank of `a`: the number of singular values above `max(m, n) eps s_max`
/// (`jnp.linalg.matrix_rank` with its default tolerance), as int32.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f64, 2.0, 2.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::linalg::matrix_rank(&a).to_vec::<i32>(), vec![1]);
/// ```
#[track_caller]
pub fn matrix_rank(a: &Tensor) -> Tensor {
    let (m, n) = matrix("matrix_rank", a);
    let s = super::svdvals(a);
    let r = s.ndim();
    let smax = lax::reduce_max(&s, &[r - 1]);
    let tol = lax::mul(
        &smax,
        &Tensor::full(&[], m.max(n) as f64 * eps(a), a.dtype()),
    );
    let tol = lax::broadcast_in_dim(&tol, s.shape(), &(0..r - 1).collect::<Vec<_>>());
    let above = lax::convert_element_type(&lax::gt(&s, &tol), DType::I32);
    lax::reduce_sum(&above, &[r - 1])
}

/// `a` raised to the integer power `k` by repeated squaring (`jnp.linalg.matrix_power`); a
/// negative `k` inverts first, `k = 0` gives the identity.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f64, 1.0, 0.0, 1.0], &[2, 2]);
/// assert_eq!(ferrax::linalg::matrix_power(&a, 3).to_vec::<f64>(), vec![1.0, 3.0, 0.0, 1.0]);
/// ```
#[track_caller]
pub fn matrix_power(a: &Tensor, k: i32) -> Tensor {
    square("matrix_power", a);
    if k == 0 {
        return identity_like(a);
    }
    let mut base = if k < 0 { super::inv(a) } else { a.clone() };
    let mut e = k.unsigned_abs();
    let mut acc: Option<Tensor> = None;
    while e > 0 {
        if e & 1 == 1 {
            acc = Some(match acc {
                None => base.clone(),
                Some(x) => jnp::matmul(&x, &base),
            });
        }
        e >>= 1;
        if e > 0 {
            base = jnp::matmul(&base, &base);
        }
    }
    acc.expect("k != 0")
}

/// The sums of the diagonals of the last two axes (`jnp.linalg.trace`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::linalg::trace(&a).to_vec::<f32>(), vec![5.0]);
/// ```
#[track_caller]
pub fn trace(x: &Tensor) -> Tensor {
    if x.ndim() < 2 {
        panic!(
            "linalg.trace: needs [.., m, n], got {} (called from {})",
            x.aval(),
            Location::caller()
        );
    }
    let r = x.ndim();
    let (m, n) = (x.shape()[r - 2], x.shape()[r - 1]);
    let rows = lax::iota(DType::I32, x.shape(), r - 2);
    let cols = lax::iota(DType::I32, x.shape(), r - 1);
    let on = lax::eq(&rows, &cols);
    let masked = lax::select_n(&on, &[jnp::zeros_like(x), x.clone()]);
    let _ = (m, n);
    lax::reduce_sum(&masked, &[r - 2, r - 1])
}

/// The lower Cholesky factor for [`cho_solve`] (`jax.scipy.linalg.cho_factor(a,
/// lower=True)[0]`; the factor is always lower here).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![4.0f64, 2.0, 2.0, 5.0], &[2, 2]);
/// assert_eq!(ferrax::linalg::cho_factor(&a).to_vec::<f64>(), vec![2.0, 0.0, 1.0, 2.0]);
/// ```
#[track_caller]
pub fn cho_factor(a: &Tensor) -> Tensor {
    square("cho_factor", a);
    lax::linalg::cholesky(a, false)
}

/// The solution of `a x = b` from `a`'s lower Cholesky factor `c`
/// (`jax.scipy.linalg.cho_solve((c, True), b)`): two triangular solves.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![4.0f64, 2.0, 2.0, 5.0], &[2, 2]);
/// let b = Tensor::from_vec(vec![6.0f64, 7.0], &[2]);
/// let x = ferrax::linalg::cho_solve(&ferrax::linalg::cho_factor(&a), &b).to_vec::<f64>();
/// assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn cho_solve(c: &Tensor, b: &Tensor) -> Tensor {
    square("cho_solve", c);
    let (b2, vector) = as_rhs("cho_solve", c, b);
    let lower = TriangularSolve {
        left_side: true,
        lower: true,
        ..Default::default()
    };
    let y = triangular_solve(c, &b2, lower);
    let x = triangular_solve(
        c,
        &y,
        TriangularSolve {
            transpose_a: true,
            ..lower
        },
    );
    from_rhs(x, vector)
}

/// The packed LU factors of `a` and the row permutation (`a[perm] = L U`), for
/// [`lu_solve`]. Unlike `jax.scipy.linalg.lu_factor`, which returns LAPACK's pivots, the
/// second output is the permutation (`lax.linalg.lu`'s third output), which is what a
/// traced solve applies.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f64, 2.0, 4.0, 6.0], &[2, 2]);
/// let (lu, perm) = ferrax::linalg::lu_factor(&a);
/// assert_eq!(perm.to_vec::<i32>(), vec![1, 0]);
/// assert_eq!(lu.to_vec::<f64>(), vec![4.0, 6.0, 0.25, 0.5]);
/// ```
#[track_caller]
pub fn lu_factor(a: &Tensor) -> (Tensor, Tensor) {
    square("lu_factor", a);
    let (lu, _, perm) = lax::linalg::lu(a);
    (lu, perm)
}

/// The solution of `a x = b` from [`lu_factor`]'s output.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f64, 2.0, 4.0, 6.0], &[2, 2]);
/// let (lu, perm) = ferrax::linalg::lu_factor(&a);
/// let b = Tensor::from_vec(vec![3.0f64, 10.0], &[2]);
/// let x = ferrax::linalg::lu_solve(&lu, &perm, &b).to_vec::<f64>();
/// assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn lu_solve(lu: &Tensor, perm: &Tensor, b: &Tensor) -> Tensor {
    square("lu_solve", lu);
    let (b2, vector) = as_rhs("lu_solve", lu, b);
    from_rhs(lu_solve_packed(lu, perm, &b2), vector)
}

/// The least-squares solution of `a x = b` (`jnp.linalg.lstsq(a, b)` with its default
/// `rcond`, `eps max(m, n)`): `(x, residuals, rank, s)`, through the SVD; residuals are
/// `|b - a x|²` per column, `[1]` for a vector `b` (JAX's default `numpy_resid=False`), rank is int32. `a` is
/// `m x n`, `b` `m x k` or `m`.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f64, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]);
/// let b = Tensor::from_vec(vec![1.0f64, 1.0, 2.0], &[3]);
/// let (x, _res, rank, _s) = ferrax::linalg::lstsq(&a, &b);
/// let x = x.to_vec::<f64>();
/// assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12);
/// assert_eq!(rank.to_vec::<i32>(), vec![2]);
/// ```
#[track_caller]
pub fn lstsq(a: &Tensor, b: &Tensor) -> (Tensor, Tensor, Tensor, Tensor) {
    let (m, n) = matrix("lstsq", a);
    if a.ndim() != 2 || !(b.ndim() == 1 || b.ndim() == 2) || b.shape()[0] != m {
        panic!(
            "linalg.lstsq: needs a [m, n] and b [m] or [m, k], got {} and {} (called from {})",
            a.aval(),
            b.aval(),
            Location::caller()
        );
    }
    let vector = b.ndim() == 1;
    let b2 = if vector {
        lax::reshape(b, &[m, 1])
    } else {
        b.clone()
    };
    let (u, s, vt) = super::svd(a);
    let k = s.shape()[0];
    let rcond = eps(a) * m.max(n) as f64;
    let s0 = lax::slice(&s, &[0], &[k.min(1)], None);
    let cutoff = lax::broadcast_in_dim(
        &lax::mul(&s0, &Tensor::full(&[], rcond, a.dtype())),
        s.shape(),
        &[0],
    );
    let keep = lax::ge(&s, &cutoff);
    let one = lax::broadcast_in_dim(&Tensor::full(&[], 1.0, a.dtype()), s.shape(), &[]);
    let safe = lax::select_n(&keep, &[one.clone(), s.clone()]);
    let s_inv = lax::select_n(&keep, &[jnp::zeros_like(&s), lax::div(&one, &safe)]);
    let ut_b = jnp::matmul(&jnp::matrix_transpose(&u), &b2);
    let scaled = lax::mul(&lax::reshape(&s_inv, &[k, 1]), &ut_b);
    let x = jnp::matmul(&jnp::matrix_transpose(&vt), &scaled);
    let rank = lax::reduce_sum(&lax::convert_element_type(&keep, DType::I32), &[0]);
    let r = lax::sub(&b2, &jnp::matmul(a, &x));
    let resid = lax::reduce_sum(&lax::mul(&r, &r), &[0]);
    let x = if vector { lax::reshape(&x, &[n]) } else { x };
    (x, resid, rank, s)
}

/// The inverse of `a` seen as a matrix of its first `ind` axes by the rest
/// (`jnp.linalg.tensorinv(a, ind)`): shape `a.shape[ind:] + a.shape[:ind]`.
///
/// ```
/// use ferrax::prelude::*;
/// let a = ferrax::numpy::eye(4).cast(DType::F64).reshape(&[4, 2, 2]);
/// assert_eq!(ferrax::linalg::tensorinv(&a, 1).shape(), &[2, 2, 4]);
/// ```
#[track_caller]
pub fn tensorinv(a: &Tensor, ind: usize) -> Tensor {
    let rows: usize = a.shape()[..ind.min(a.ndim())].iter().product();
    let cols: usize = a.shape()[ind.min(a.ndim())..].iter().product();
    if ind == 0 || ind >= a.ndim() || rows != cols {
        panic!(
            "linalg.tensorinv: the first {ind} axes and the rest of {} must have equal sizes \
             (called from {})",
            a.aval(),
            Location::caller()
        );
    }
    let inv = super::inv(&lax::reshape(a, &[rows, cols]));
    let mut shape = a.shape()[ind..].to_vec();
    shape.extend_from_slice(&a.shape()[..ind]);
    lax::reshape(&inv, &shape)
}

/// The `x` with `tensordot(a, x, x.ndim) = b` (`jnp.linalg.tensorsolve(a, b)`): `x` has
/// shape `a.shape[b.ndim:]`.
///
/// ```
/// use ferrax::prelude::*;
/// let a = (ferrax::numpy::eye(4).cast(DType::F64) * 2.0).reshape(&[2, 2, 4]);
/// let b = Tensor::from_vec(vec![2.0f64, 4.0, 6.0, 8.0], &[2, 2]);
/// assert_eq!(ferrax::linalg::tensorsolve(&a, &b).to_vec::<f64>(), vec![1.0, 2.0, 3.0, 4.0]);
/// ```
#[track_caller]
pub fn tensorsolve(a: &Tensor, b: &Tensor) -> Tensor {
    let nb = b.ndim();
    let ok = a.ndim() > nb && a.shape()[..nb] == *b.shape();
    let rows = b.shape().iter().product::<usize>();
    let xshape = if ok { a.shape()[nb..].to_vec() } else { vec![] };
    if !ok || xshape.iter().product::<usize>() != rows {
        panic!(
            "linalg.tensorsolve: a {} must start with b's shape {} and be square after it \
             (called from {})",
            a.aval(),
            b.aval(),
            Location::caller()
        );
    }
    let x = super::solve(&lax::reshape(a, &[rows, rows]), &lax::reshape(b, &[rows]));
    lax::reshape(&x, &xshape)
}
