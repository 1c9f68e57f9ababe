//! `qr` (JAX's `lax.linalg.qr_p`, without pivoting): Householder QR, `q` orthonormal and `r`
//! upper triangular (signs as the Householder reflections leave them, which may differ from
//! LAPACK's by the sign of a column of `q` and the matching row of `r`). The JVP is JAX's
//! `qr_jvp_rule`: `_thin_qr_jvp` for `m >= n`, and for wide matrices the square block's rule
//! plus `dR₂ = dQᵀ X₂ + Qᵀ dX₂`. The full-matrices JVP of a tall matrix (JAX's arXiv:2409.13374
//! branch) is not implemented and panics saying so.

use super::triangular_solve::{triangular_solve, TriangularSolve};
use super::{all_at_front, batch_count, matrix_dims, mm, mt, tril, with_linalg_float, wrap};
use crate::core::{bind, Aval, Avals};
use crate::kernels::linalg as k;
use crate::prims::lax;
use crate::prims::util::{expect_arity, py_bool, text};
use crate::prims::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, Param, Prim, PrimRules};
use crate::tensor::{ArrayData, Tensor};
use smallvec::smallvec;

/// The primitive: `full_matrices` gives `q` of `m x m` (else `m x min(m, n)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Qr {
    /// `q` square (`m x m`, `r` of `m x n`) or reduced (`m x k`, `r` of `k x n`).
    pub full_matrices: bool,
}

/// The QR decomposition of `[.., m, n]` `x` (`lax.linalg.qr(x, full_matrices=..)`):
/// `(q, r)` with `x = q r`.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![3.0f64, 1.0, 4.0, 2.0], &[2, 2]);
/// let (q, r) = ferrax::lax::linalg::qr(&a, false);
/// let r = r.to_vec::<f64>();
/// assert!((r[0].abs() - 5.0).abs() < 1e-12 && r[2] == 0.0);
/// assert_eq!(q.shape(), &[2, 2]);
/// ```
#[track_caller]
pub fn qr(x: &Tensor, full_matrices: bool) -> (Tensor, Tensor) {
    let out = bind(&Prim::new(Qr { full_matrices }), std::slice::from_ref(x));
    (out[0].clone(), out[1].clone())
}

/// Rows `r0..r1` and columns `c0..c1` of the last two axes.
fn block(x: &Tensor, rows: (usize, usize), cols: (usize, usize)) -> Tensor {
    let r = x.ndim();
    let mut start = vec![0; r];
    let mut limit = x.shape().to_vec();
    (start[r - 2], limit[r - 2]) = rows;
    (start[r - 1], limit[r - 1]) = cols;
    lax::slice(x, &start, &limit, None)
}

/// JAX's `_thin_qr_jvp` (`m >= n`): `(dq, dr)` for the tangent `dx`.
fn thin_qr_jvp(q: &Tensor, r: &Tensor, dx: &Tensor) -> (Tensor, Tensor) {
    let dx_rinv = triangular_solve(r, dx, TriangularSolve::default());
    let qt_dx_rinv = mm(&mt(q), &dx_rinv);
    let lower = tril(&qt_dx_rinv, -1);
    let d_omega = lax::sub(&lower, &mt(&lower));
    let dq = lax::add(&mm(q, &lax::sub(&d_omega, &qt_dx_rinv)), &dx_rinv);
    let dr = mm(&lax::sub(&qt_dx_rinv, &d_omega), r);
    (dq, dr)
}

impl PrimRules for Qr {
    fn name(&self) -> &'static str {
        "qr"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![
            ("full_matrices", text(py_bool(self.full_matrices))),
            ("pivoting", text("False")),
            ("use_magma", text("None")),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let x = &inputs[0];
        let (m, n) = matrix_dims("qr", x)?;
        let kk = if self.full_matrices { m } else { m.min(n) };
        let batch = &x.shape[..x.ndim() - 2];
        let with = |a: usize, b: usize| {
            let mut s = batch.to_vec();
            s.extend([a, b]);
            Aval::new(&s, x.dtype)
        };
        Ok(smallvec![with(m, kk), with(kk, n)])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let shape = inputs[0].shape();
        let (m, n) = (shape[shape.len() - 2], shape[shape.len() - 1]);
        let b = batch_count(shape);
        with_linalg_float!(out[0].dtype, T => {
            let (q, r) = k::qr_batch(&super::borrowed::<T>(inputs[0]), b, m, n, self.full_matrices);
            smallvec![wrap(q, &out[0].shape), wrap(r, &out[1].shape)]
        })
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let x = &primals[0];
        let out = bind(&Prim::new(*self), primals);
        let Some(dx) = &tangents[0] else {
            return (out, vec![None, None]);
        };
        let (q, r) = (&out[0], &out[1]);
        let rank = x.ndim();
        let (m, n) = (x.shape()[rank - 2], x.shape()[rank - 1]);
        let (dq, dr) = if m < n {
            let x2 = block(x, (0, m), (m, n));
            let dx1 = block(dx, (0, m), (0, m));
            let dx2 = block(dx, (0, m), (m, n));
            let r1 = block(r, (0, m), (0, m));
            let (dq, dr1) = thin_qr_jvp(q, &r1, &dx1);
            let dr2 = lax::add(&mm(&mt(&dq), &x2), &mm(&mt(q), &dx2));
            (dq, lax::concatenate(&[dr1, dr2], rank - 1))
        } else if !self.full_matrices || m == n {
            thin_qr_jvp(q, r, dx)
        } else {
            panic!(
                "qr: the JVP of full_matrices=True for a tall matrix is not implemented in \
                 ferrax yet, got {}",
                x.aval()
            )
        };
        (out, vec![Some(dq), Some(dr)])
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let args = all_at_front(args, dims, axis.size);
        (bind(&Prim::new(*self), &args), vec![Some(0), Some(0)])
    }
}
