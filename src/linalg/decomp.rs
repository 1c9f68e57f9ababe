//! The general eigendecomposition (`jnp.linalg.eig`, `jnp.linalg.eigvals`) on the `eig`
//! primitive: complex results (`c64` for f32 input, `c128` for f64) in LAPACK's order; and
//! `tridiagonal_solve` (`jax.lax.linalg.tridiagonal_solve`), re-exported here.

use super::square;
use crate::lax;
use crate::tensor::Tensor;

pub use crate::lax::linalg::tridiagonal_solve;

/// Eigenvalues `w` (`[.., n]`) and right eigenvectors `v` (`[.., n, n]`, in columns, unit
/// 2-norm with the largest component real) of the real square matrices `a`
/// (`jnp.linalg.eig`): `a v = v diag(w)`, complex. The order is LAPACK's (`geev`: a conjugate
/// pair adjacent, positive imaginary part first), not sorted. As in JAX, this function is not
/// differentiable (the eigenvectors' derivative needs assumptions JAX cannot check); use
/// [`eigvals`] under `grad`.
///
/// ```
/// use ferrax::prelude::*;
/// use num_complex::Complex64;
/// let a = Tensor::from_vec(vec![2.0f64, 0.0, 0.0, 3.0], &[2, 2]);
/// let (w, v) = ferrax::linalg::eig(&a);
/// assert_eq!(w.to_vec::<Complex64>(), vec![Complex64::new(2.0, 0.0), Complex64::new(3.0, 0.0)]);
/// assert_eq!(v.shape(), &[2, 2]);
/// ```
#[track_caller]
pub fn eig(a: &Tensor) -> (Tensor, Tensor) {
    square("eig", a);
    let out = lax::linalg::eig(a, false, true);
    (out[0].clone(), out[1].clone())
}

/// The eigenvalues (`[.., n]`, complex, LAPACK's order) of the real square matrices `a`
/// (`jnp.linalg.eigvals`). Differentiable: the JVP is JAX's `ẇ = diag(V⁻¹ ȧ V)`, valid for
/// distinct eigenvalues.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![0.0f64, -1.0, 1.0, 0.0], &[2, 2]);
/// let w = ferrax::linalg::eigvals(&a).to_vec::<num_complex::Complex64>();
/// assert!((w[0].im - 1.0).abs() < 1e-12 && (w[1].im + 1.0).abs() < 1e-12);
/// // d/da of the sum of the real parts is the trace's derivative, the identity:
/// let g = grad(|a: &Tensor| ferrax::lax::real(&ferrax::linalg::eigvals(a)).sum())(&a);
/// let g = g.to_vec::<f64>();
/// assert!((g[0] - 1.0).abs() < 1e-12 && g[1].abs() < 1e-12 && (g[3] - 1.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn eigvals(a: &Tensor) -> Tensor {
    square("eigvals", a);
    lax::linalg::eig(a, false, false)[0].clone()
}
