//! `lu` (JAX's `lax.linalg.lu_p`): LU with partial pivoting as LAPACK's `getrf`. Three
//! outputs: the packed factors (`L` unit lower below the diagonal, `U` on and above), the
//! int32 pivots (row `pivots[i]` swapped with row `i` at step `i`) and the int32 permutation
//! they make (`a[perm] = L U`). The JVP is JAX's `_lu_jvp_rule` (de Hoog, Anderssen and Lukas):
//! `L̇ = L tril(L⁻¹ P Ȧ U⁻¹, -1)`, `U̇ = triu(L⁻¹ P Ȧ U⁻¹) U`, written here for batches at once
//! (JAX vmaps it); pivots and permutation have no tangent.

use super::triangular_solve::{triangular_solve, TriangularSolve};
use super::{all_at_front, batch_count, eye, from_i32, matrix_dims, mm, owned};
use super::{tril, triu};
use super::{with_linalg_float, wrap};
use crate::core::{bind, Aval, Avals};
use crate::kernels::linalg as k;
use crate::prims::lax;
use crate::prims::util::expect_arity;
use crate::prims::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, Param, Prim, PrimRules};
use crate::tensor::{ArrayData, DType, Tensor};
use smallvec::smallvec;

/// The primitive (no params).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Lu;

/// LU with partial pivoting of `[.., m, n]` `x` (`lax.linalg.lu`): `(lu, pivots,
/// permutation)`.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f64, 2.0, 4.0, 6.0], &[2, 2]);
/// let (lu, piv, perm) = ferrax::lax::linalg::lu(&a);
/// assert_eq!(lu.to_vec::<f64>(), vec![4.0, 6.0, 0.25, 0.5]);
/// assert_eq!((piv.to_vec::<i32>(), perm.to_vec::<i32>()), (vec![1, 1], vec![1, 0]));
/// ```
#[track_caller]
pub fn lu(x: &Tensor) -> (Tensor, Tensor, Tensor) {
    let out = bind(&Prim::new(Lu), std::slice::from_ref(x));
    (out[0].clone(), out[1].clone(), out[2].clone())
}

/// The permutation matrix `P` with `(P a)[i] = a[perm[i]]`, `[.., m, m]` of `dtype`.
pub(crate) fn permutation_matrix(perm: &Tensor, dtype: DType) -> Tensor {
    let r = perm.ndim();
    let m = perm.shape()[r - 1];
    let mut shape = perm.shape().to_vec();
    shape.push(m);
    let dims: Vec<usize> = (0..r).collect();
    let rows = lax::broadcast_in_dim(perm, &shape, &dims);
    let cols = lax::iota(DType::I32, &shape, r);
    lax::convert_element_type(&lax::eq(&rows, &cols), dtype)
}

impl PrimRules for Lu {
    fn name(&self) -> &'static str {
        "lu"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        Vec::new()
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let x = &inputs[0];
        let (m, n) = matrix_dims("lu", x)?;
        let batch = &x.shape[..x.ndim() - 2];
        let with = |last: usize| {
            let mut s = batch.to_vec();
            s.push(last);
            Aval::new(&s, DType::I32)
        };
        Ok(smallvec![x.clone(), with(m.min(n)), with(m)])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let shape = inputs[0].shape();
        let (m, n) = (shape[shape.len() - 2], shape[shape.len() - 1]);
        let b = batch_count(shape);
        with_linalg_float!(out[0].dtype, T => {
            let (lus, pivs, perms) = k::lu_batch(owned::<T>(inputs[0]), b, m, n);
            smallvec![
                wrap(lus, &out[0].shape),
                from_i32(pivs, &out[1].shape),
                from_i32(perms, &out[2].shape)
            ]
        })
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let a = &primals[0];
        let out = bind(&Prim::new(Lu), primals);
        let Some(a_dot) = &tangents[0] else {
            return (out, vec![None, None, None]);
        };
        let (lu, perm) = (&out[0], &out[2]);
        let r = a.ndim();
        let (m, n) = (a.shape()[r - 2], a.shape()[r - 1]);
        let kk = m.min(n);
        let batch = &a.shape()[..r - 2];
        let dtype = a.dtype();
        let zero = Tensor::zeros(&[], dtype);
        let no_pad = vec![(0i64, 0i64, 0i64); r - 2];
        // L: m x m, the unit lower factor padded with the identity's columns.
        let mut lim = lu.shape().to_vec();
        lim[r - 1] = kk;
        let l_k = tril(&lax::slice(lu, &vec![0; r], &lim, None), -1);
        let mut l_pad = no_pad.clone();
        l_pad.extend([(0, 0, 0), (0, (m - kk) as i64, 0)]);
        let l = lax::add(&lax::pad(&l_k, &zero, &l_pad), &eye(m, dtype, batch));
        // U: n x n, the upper factor padded with the identity's bottom-right block.
        let mut lim = lu.shape().to_vec();
        lim[r - 2] = kk;
        let u_k = triu(&lax::slice(lu, &vec![0; r], &lim, None), 0);
        let mut u_pad = no_pad.clone();
        u_pad.extend([(0, (n - kk) as i64, 0), (0, 0, 0)]);
        let mut eye_pad = no_pad;
        eye_pad.extend([(kk as i64, 0, 0), (kk as i64, 0, 0)]);
        let u_eye = lax::pad(&eye(n - kk, dtype, batch), &zero, &eye_pad);
        let u = lax::add(&lax::pad(&u_k, &zero, &u_pad), &u_eye);

        let pa_dot = mm(&permutation_matrix(perm, dtype), a_dot);
        let la = triangular_solve(
            &l,
            &pa_dot,
            TriangularSolve {
                left_side: true,
                lower: true,
                unit_diagonal: true,
                ..Default::default()
            },
        );
        let lau = triangular_solve(&u, &la, TriangularSolve::default());
        let lu_dot = lax::add(&mm(&l, &tril(&lau, -1)), &mm(&triu(&lau, 0), &u));
        (out, vec![Some(lu_dot), None, None])
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let args = all_at_front(args, dims, axis.size);
        (bind(&Prim::new(Lu), &args), vec![Some(0); 3])
    }
}
