//! `cholesky` (JAX's `lax.linalg.cholesky_p`): the lower factor `L` of `A = L Lᵀ`, read from
//! the lower triangle; NaNs everywhere when `A` is not positive definite, as JAX on CPU. The
//! JVP is JAX's (Murray 2016, arXiv:1602.07527): `L φ(L⁻¹ Ȧ L⁻ᵀ)`, `φ` taking the lower
//! triangle with the diagonal halved.

use super::triangular_solve::{triangular_solve, TriangularSolve};
use super::with_linalg_float;
use super::{all_at_front, batch_count, eye, matrix_dims, mm, owned, scalar_like, tril, wrap};
use crate::core::{bind, bind1, Aval, Avals};
use crate::kernels::linalg as k;
use crate::prims::lax;
use crate::prims::util::{expect_arity, jvp_out};
use crate::prims::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, Param, Prim, PrimRules};
use crate::tensor::{ArrayData, Tensor};
use smallvec::smallvec;

/// The primitive (no params).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cholesky;

/// The lower Cholesky factor of `[.., n, n]` `x` (`lax.linalg.cholesky`), zeros above the
/// diagonal. With `symmetrize_input` the factor is of `(x + xᵀ)/2` (JAX's default, so that
/// gradients are symmetric); otherwise only the lower triangle is read. A matrix that is not
/// positive definite gives NaNs, as in JAX.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![4.0f64, 2.0, 2.0, 5.0], &[2, 2]);
/// let l = ferrax::lax::linalg::cholesky(&a, true);
/// assert_eq!(l.to_vec::<f64>(), vec![2.0, 0.0, 1.0, 2.0]);
/// ```
#[track_caller]
pub fn cholesky(x: &Tensor, symmetrize_input: bool) -> Tensor {
    let x = if symmetrize_input {
        super::symmetrize(x)
    } else {
        x.clone()
    };
    tril(&bind1(&Prim::new(Cholesky), &[x]), 0)
}

impl PrimRules for Cholesky {
    fn name(&self) -> &'static str {
        "cholesky"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        Vec::new()
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let (m, n) = matrix_dims("cholesky", &inputs[0])?;
        if m != n {
            return Err(format!(
                "cholesky: needs a square matrix, got {}",
                inputs[0]
            ));
        }
        Ok(smallvec![inputs[0].clone()])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let shape = &out[0].shape;
        let n = shape[shape.len() - 1];
        let l = with_linalg_float!(out[0].dtype, T => wrap(
            k::cholesky_batch(owned::<T>(inputs[0]), batch_count(shape), n),
            shape,
        ));
        smallvec![l]
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let x = &primals[0];
        let l = tril(&bind1(&Prim::new(Cholesky), primals), 0);
        let Some(sigma_dot) = &tangents[0] else {
            return jvp_out(l, None);
        };
        let n = x.shape()[x.ndim() - 1];
        // φ(X): the lower triangle with the diagonal halved.
        let phi = |m: &Tensor| {
            let one = lax::add(
                &eye(n, m.dtype(), &m.shape()[..m.ndim() - 2]),
                &scalar_like(1.0, m),
            );
            lax::div(&tril(m, 0), &one)
        };
        let tmp = triangular_solve(
            &l,
            sigma_dot,
            TriangularSolve {
                left_side: false,
                lower: true,
                transpose_a: true,
                conjugate_a: true,
                unit_diagonal: false,
            },
        );
        let inner = triangular_solve(
            &l,
            &tmp,
            TriangularSolve {
                left_side: true,
                lower: true,
                transpose_a: false,
                conjugate_a: false,
                unit_diagonal: false,
            },
        );
        let l_dot = mm(&l, &phi(&inner));
        jvp_out(l, Some(l_dot))
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let args = all_at_front(args, dims, axis.size);
        (bind(&Prim::new(Cholesky), &args), vec![Some(0)])
    }
}
