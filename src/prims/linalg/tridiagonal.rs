//! `tridiagonal_solve` (JAX's `lax.linalg.tridiagonal_solve_p`): `A X = B` with `A` given by
//! its three diagonals `dl` (`dl[i] = A[i, i-1]`, `dl[0]` unread), `d` and `du`
//! (`du[i] = A[i, i+1]`, `du[m-1]` unread), by LAPACK's `gtsv` algorithm. The rules are
//! JAX's: the JVP solves again against `Ḃ - Ȧ X` (`Ȧ X` as `_tridiagonal_product`, which reads
//! neither `dl[0]` nor `du[m-1]`, so their gradients are zero), the transpose in `B` solves
//! with `Aᵀ` (diagonals shifted), and the leading dims are batch dims.

use super::{all_at_front, to_f64};
use crate::core::{bind1, Aval, Avals};
use crate::kernels::linalg_eig as k;
use crate::prims::lax;
use crate::prims::util::{expect_arity, jvp_out, text, zeros_like};
use crate::prims::{
    ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules,
};
use crate::tensor::{ArrayData, DType, Tensor};
use smallvec::smallvec;
use std::panic::Location;

/// The primitive (JAX's `perturb_singular=False`: a singular system gives NaNs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TridiagonalSolve;

/// The shape rule's message, if the operands do not fit.
fn check(dl: &Aval, d: &Aval, du: &Aval, b: &Aval) -> Option<String> {
    let float = |a: &Aval| matches!(a.dtype, DType::F32 | DType::F64);
    if ![dl, d, du, b]
        .iter()
        .all(|a| float(a) && a.dtype == b.dtype)
    {
        return Some(format!(
            "tridiagonal_solve: needs f32 or f64 operands of one dtype, got {dl}, {d}, {du} and {b}"
        ));
    }
    if dl.ndim() < 1 || dl.shape != d.shape || du.shape != d.shape {
        return Some(format!(
            "tridiagonal_solve: the three diagonals must have one shape [.., m], got {dl}, {d} \
             and {du}"
        ));
    }
    if b.ndim() != d.ndim() + 1 || b.shape[..b.ndim() - 1] != d.shape[..] {
        return Some(format!(
            "tridiagonal_solve: b must be [.., m, n] with the diagonals' [.., m], got diagonals \
             {d} and b {b}"
        ));
    }
    None
}

/// The solution `x` of `A x = b` for the tridiagonal `A` given by its diagonals `dl`, `d`,
/// `du` (`[.., m]`) and `b` `[.., m, n]` (`jax.lax.linalg.tridiagonal_solve`). `dl[.., 0]`
/// and `du[.., m-1]` are not read. Singular systems give NaNs, as JAX.
///
/// ```
/// use ferrax::prelude::*;
/// // [[2, 1, 0], [1, 2, 1], [0, 1, 2]] x = [3, 4, 3]: x = [1, 1, 1].
/// let dl = Tensor::from_vec(vec![0.0f64, 1.0, 1.0], &[3]);
/// let d = Tensor::from_vec(vec![2.0f64, 2.0, 2.0], &[3]);
/// let du = Tensor::from_vec(vec![1.0f64, 1.0, 0.0], &[3]);
/// let b = Tensor::from_vec(vec![3.0f64, 4.0, 3.0], &[3, 1]);
/// let x = ferrax::lax::linalg::tridiagonal_solve(&dl, &d, &du, &b).to_vec::<f64>();
/// assert!(x.iter().all(|v| (v - 1.0).abs() < 1e-15));
/// ```
#[track_caller]
pub fn tridiagonal_solve(dl: &Tensor, d: &Tensor, du: &Tensor, b: &Tensor) -> Tensor {
    if let Some(msg) = check(&dl.aval(), &d.aval(), &du.aval(), &b.aval()) {
        panic!("{msg} (called from {})", Location::caller());
    }
    bind1(
        &Prim::new(TridiagonalSolve),
        &[dl.clone(), d.clone(), du.clone(), b.clone()],
    )
}

/// `x[.., lo..hi]` on the last axis.
fn last(x: &Tensor, lo: usize, hi: usize) -> Tensor {
    let r = x.ndim();
    let mut start = vec![0; r];
    start[r - 1] = lo;
    let mut limit = x.shape().to_vec();
    limit[r - 1] = hi;
    lax::slice(x, &start, &limit, None)
}

/// `x[.., lo..hi, :]` on the second-to-last axis.
fn rows(x: &Tensor, lo: usize, hi: usize) -> Tensor {
    let r = x.ndim();
    let mut start = vec![0; r];
    start[r - 2] = lo;
    let mut limit = x.shape().to_vec();
    limit[r - 2] = hi;
    lax::slice(x, &start, &limit, None)
}

/// `v[.., i]` broadcast over the columns of `[.., m', n]` (`v[.., :, None] * ..`).
fn times_rows(v: &Tensor, x: &Tensor) -> Tensor {
    let dims: Vec<usize> = (0..v.ndim()).collect();
    lax::mul(&lax::broadcast_in_dim(v, x.shape(), &dims), x)
}

/// `A x` for the tridiagonal `A` (JAX's `_tridiagonal_product`).
fn tridiagonal_product(dl: &Tensor, d: &Tensor, du: &Tensor, x: &Tensor) -> Tensor {
    let r = x.ndim();
    let m = x.shape()[r - 2];
    let y = times_rows(d, x);
    if m < 2 {
        return y;
    }
    let zero = Tensor::zeros(&[], x.dtype());
    let pad_rows = |t: &Tensor, lo: i64, hi: i64| {
        let mut cfg = vec![(0i64, 0i64, 0i64); r];
        cfg[r - 2] = (lo, hi, 0);
        lax::pad(t, &zero, &cfg)
    };
    let below = pad_rows(&times_rows(&last(dl, 1, m), &rows(x, 0, m - 1)), 1, 0);
    let above = pad_rows(&times_rows(&last(du, 0, m - 1), &rows(x, 1, m)), 0, 1);
    lax::add(&lax::add(&y, &below), &above)
}

impl PrimRules for TridiagonalSolve {
    fn name(&self) -> &'static str {
        "tridiagonal_solve"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![("perturb_singular", text("False"))]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 4)?;
        match check(&inputs[0], &inputs[1], &inputs[2], &inputs[3]) {
            Some(msg) => Err(msg),
            None => Ok(smallvec![inputs[3].clone()]),
        }
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let shape = &out[0].shape;
        let (m, n) = (shape[shape.len() - 2], shape[shape.len() - 1]);
        let [dl, d, du, b] = [0, 1, 2, 3].map(|i| to_f64(inputs[i]));
        let count = d.len().checked_div(m).unwrap_or(0);
        let mut x = Vec::with_capacity(b.len());
        for i in 0..count {
            let diag = |v: &[f64]| v[i * m..(i + 1) * m].to_vec();
            x.extend(k::tridiagonal_solve(
                &diag(&dl),
                &diag(&d),
                &diag(&du),
                &b[i * m * n..(i + 1) * m * n],
                n,
            ));
        }
        smallvec![super::from_f64(x, shape, out[0].dtype)]
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let [dl, d, du] = [0, 1, 2].map(|i| &primals[i]);
        let ans = bind1(&Prim::new(*self), primals);
        let rhs = if tangents[..3].iter().all(Option::is_none) {
            tangents[3].clone()
        } else {
            let t = |i: usize| {
                tangents[i]
                    .clone()
                    .unwrap_or_else(|| zeros_like(&primals[i]))
            };
            let matvec_dot = tridiagonal_product(&t(0), &t(1), &t(2), &ans);
            Some(match &tangents[3] {
                Some(b_dot) => lax::sub(b_dot, &matvec_dot),
                None => lax::neg(&matvec_dot),
            })
        };
        let dot = rhs.map(|r| bind1(&Prim::new(*self), &[dl.clone(), d.clone(), du.clone(), r]));
        jvp_out(ans, dot)
    }

    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        assert!(
            args[..3].iter().all(|a| !a.is_linear()) && args[3].is_linear(),
            "tridiagonal_solve: linear in its right-hand side only"
        );
        let ct_b = cts[0].as_ref().map(|ct| {
            let (dl, d, du) = (args[0].known(), args[1].known(), args[2].known());
            let r = d.ndim();
            let m = d.shape()[r - 1];
            let zero = |x: &Tensor| zeros_like(&last(x, 0, 1));
            // Aᵀ's sub-diagonal is A's super-diagonal shifted down, and the reverse.
            let dl_t = lax::concatenate(&[zero(du), last(du, 0, m - 1)], r - 1);
            let du_t = lax::concatenate(&[last(dl, 1, m), zero(dl)], r - 1);
            bind1(&Prim::new(*self), &[dl_t, d.clone(), du_t, ct.clone()])
        });
        vec![None, None, None, ct_b]
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let args = all_at_front(args, dims, axis.size);
        (smallvec![bind1(&Prim::new(*self), &args)], vec![Some(0)])
    }
}
