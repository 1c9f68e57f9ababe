//! `eigh` (JAX's `lax.linalg.eigh_p`): eigenvectors (in columns) and ascending eigenvalues of
//! a symmetric matrix, read from one triangle. The JVP is JAX's `_eigh_jvp_rule`: first-order
//! perturbation theory with `F[i, j] = 1 / (w[j] - w[i])` off the diagonal, built as
//! `(I + w[j] - w[i])⁻¹ - I` so that the diagonal stays finite; as in JAX, a repeated
//! eigenvalue gives infinite entries in `F` (JAX does no more for degenerate eigenvalues).

use super::with_linalg_float;
use super::{all_at_front, batch_count, diagonal, eye, matrix_dims, mm, mt, wrap};
use crate::core::{bind, Aval, Avals};
use crate::kernels::linalg as k;
use crate::prims::lax;
use crate::prims::util::{expect_arity, py_bool, text};
use crate::prims::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, Param, Prim, PrimRules};
use crate::tensor::{ArrayData, Tensor};
use smallvec::smallvec;

/// The primitive: `lower` names the triangle read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Eigh {
    /// Read the lower triangle (true) or the upper.
    pub lower: bool,
}

/// Eigenvectors `v` (columns, `[.., n, n]`) and ascending eigenvalues `w` (`[.., n]`) of the
/// symmetric `x`, as `lax.linalg.eigh(x, lower=lower, symmetrize_input=..)` (JAX's default
/// symmetrizes: `(x + xᵀ)/2`, so that gradients are symmetric).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![2.0f64, 1.0, 1.0, 2.0], &[2, 2]);
/// let (_v, w) = ferrax::lax::linalg::eigh(&a, true, true);
/// let w = w.to_vec::<f64>();
/// assert!((w[0] - 1.0).abs() < 1e-12 && (w[1] - 3.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn eigh(x: &Tensor, lower: bool, symmetrize_input: bool) -> (Tensor, Tensor) {
    let x = if symmetrize_input {
        super::symmetrize(x)
    } else {
        x.clone()
    };
    let out = bind(&Prim::new(Eigh { lower }), &[x]);
    (out[0].clone(), out[1].clone())
}

impl PrimRules for Eigh {
    fn name(&self) -> &'static str {
        "eigh"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![
            ("algorithm", text("None")),
            ("lower", text(py_bool(self.lower))),
            ("sort_eigenvalues", text("True")),
            ("subset_by_index", text("None")),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let x = &inputs[0];
        let (m, n) = matrix_dims("eigh", x)?;
        if m != n {
            return Err(format!("eigh: needs a square matrix, got {x}"));
        }
        let w = Aval::new(&x.shape[..x.ndim() - 1], x.dtype);
        Ok(smallvec![x.clone(), w])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let shape = &out[0].shape;
        let n = shape[shape.len() - 1];
        let lower = self.lower;
        with_linalg_float!(out[0].dtype, T => {
            let mut a = super::borrowed::<T>(inputs[0]);
            if !lower {
                let a = a.to_mut();
                // The upper triangle read as the lower one of the transpose.
                for m in a.chunks_mut(n * n) {
                    for i in 0..n {
                        for j in 0..i {
                            m.swap(i * n + j, j * n + i);
                        }
                    }
                }
            }
            let (w, v) = k::eigh_batch(&a, batch_count(shape), n);
            smallvec![wrap(v, shape), wrap(w, &out[1].shape)]
        })
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let a = &primals[0];
        let out = bind(&Prim::new(*self), &[super::symmetrize(a)]);
        let Some(a_dot) = &tangents[0] else {
            return (out, vec![None, None]);
        };
        let (v, w) = (&out[0], &out[1]);
        let r = a.ndim();
        let n = a.shape()[r - 1];
        let batch = &a.shape()[..r - 2];
        let eye_n = eye(n, a.dtype(), batch);
        let full = a.shape();
        let row_dims: Vec<usize> = (0..r - 2).chain([r - 1]).collect();
        let col_dims: Vec<usize> = (0..r - 1).collect();
        let w_row = lax::broadcast_in_dim(w, full, &row_dims); // w[.., j]
        let w_col = lax::broadcast_in_dim(w, full, &col_dims); // w[.., i]
        let f = lax::sub(
            &lax::integer_pow(&lax::sub(&lax::add(&eye_n, &w_row), &w_col), -1),
            &eye_n,
        );
        let vt_adot_v = mm(&mm(&mt(v), a_dot), v);
        let dv = mm(v, &lax::mul(&f, &vt_adot_v));
        let dw = diagonal(&vt_adot_v);
        (out, vec![Some(dv), Some(dw)])
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let args = all_at_front(args, dims, axis.size);
        (bind(&Prim::new(*self), &args), vec![Some(0), Some(0)])
    }
}
