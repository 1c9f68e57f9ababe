//! `triangular_solve` (JAX's `lax.linalg.triangular_solve_p`): `op(A) X = B` or
//! `X op(A) = B` with `A` triangular (only the named triangle is read), `op` a transpose
//! and/or conjugate. Linear in `B`: its transpose rule is the solve with `op` transposed; the
//! JVP in `A` is JAX's `_triangular_solve_jvp_rule_a` (`-A⁻¹ Ȧ X`, ordered by cost).

use super::{all_at_front, batch_count, borrowed, matrix_dims, mm, mt, owned, tril, triu};
use super::{with_linalg_float, wrap};
use crate::core::{bind1, Aval, Avals};
use crate::kernels::linalg as k;
use crate::prims::lax;
use crate::prims::util::{expect_arity, jvp_out, py_bool, text};
use crate::prims::{
    ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules,
};
use crate::tensor::{ArrayData, Tensor};
use smallvec::smallvec;

/// The primitive and its params (JAX's names; `conjugate_a` is a no-op on real dtypes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TriangularSolve {
    /// Solve `op(A) X = B` (true) or `X op(A) = B` (false).
    pub left_side: bool,
    /// Read `A`'s lower triangle (true) or its upper one.
    pub lower: bool,
    /// `op(A)` transposes `A`.
    pub transpose_a: bool,
    /// `op(A)` conjugates `A` (no effect on real matrices).
    pub conjugate_a: bool,
    /// Take `A`'s diagonal as ones without reading it.
    pub unit_diagonal: bool,
}

impl Default for TriangularSolve {
    /// JAX's defaults: `left_side=False, lower=False, transpose_a=False, conjugate_a=False,
    /// unit_diagonal=False`.
    fn default() -> Self {
        TriangularSolve {
            left_side: false,
            lower: false,
            transpose_a: false,
            conjugate_a: false,
            unit_diagonal: false,
        }
    }
}

/// Solves `op(a) x = b` (`left_side`) or `x op(a) = b` for `x`, with `a` `[.., n, n]`
/// triangular and `b` `[.., m, k]` of the same batch dims (`lax.linalg.triangular_solve`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::linalg::{triangular_solve, TriangularSolve};
/// let l = Tensor::from_vec(vec![2.0f64, 0.0, 1.0, 4.0], &[2, 2]);
/// let b = Tensor::from_vec(vec![2.0f64, 9.0], &[2, 1]);
/// let p = TriangularSolve { left_side: true, lower: true, ..Default::default() };
/// assert_eq!(triangular_solve(&l, &b, p).to_vec::<f64>(), vec![1.0, 2.0]);
/// ```
#[track_caller]
pub fn triangular_solve(a: &Tensor, b: &Tensor, params: TriangularSolve) -> Tensor {
    bind1(&Prim::new(params), &[a.clone(), b.clone()])
}

impl PrimRules for TriangularSolve {
    fn name(&self) -> &'static str {
        "triangular_solve"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![
            ("conjugate_a", text(py_bool(self.conjugate_a))),
            ("left_side", text(py_bool(self.left_side))),
            ("lower", text(py_bool(self.lower))),
            ("transpose_a", text(py_bool(self.transpose_a))),
            ("unit_diagonal", text(py_bool(self.unit_diagonal))),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 2)?;
        let (a, b) = (&inputs[0], &inputs[1]);
        let (m, n) = matrix_dims("triangular_solve", a)?;
        let (bm, bn) = matrix_dims("triangular_solve", b)?;
        if m != n {
            return Err(format!(
                "triangular_solve: the first input must be a square matrix, got {a}"
            ));
        }
        let common = if self.left_side { bm } else { bn };
        if a.dtype != b.dtype
            || a.ndim() != b.ndim()
            || a.shape[..a.ndim() - 2] != b.shape[..b.ndim() - 2]
            || common != n
        {
            return Err(format!(
                "triangular_solve: incompatible shapes {a} and {b} (left_side={})",
                py_bool(self.left_side)
            ));
        }
        Ok(smallvec![b.clone()])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let shape = &out[0].shape;
        let (m, kk) = (shape[shape.len() - 2], shape[shape.len() - 1]);
        let n = if self.left_side { m } else { kk };
        let p = k::TriSolve {
            left_side: self.left_side,
            lower: self.lower,
            transpose_a: self.transpose_a,
            unit_diagonal: self.unit_diagonal,
        };
        let b = batch_count(shape);
        let x = with_linalg_float!(out[0].dtype, T => {
            let a = borrowed::<T>(inputs[0]);
            wrap(k::triangular_solve_batch(&a, owned::<T>(inputs[1]), b, (n, m, kk), p), shape)
        });
        smallvec![x]
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let (a, b) = (&primals[0], &primals[1]);
        let ans = triangular_solve(a, b, *self);
        let from_b = tangents[1]
            .as_ref()
            .map(|db| triangular_solve(a, db, *self));
        let from_a = tangents[0].as_ref().map(|ga| self.jvp_a(ga, &ans, a));
        let t = match (from_a, from_b) {
            (Some(x), Some(y)) => Some(lax::add(&x, &y)),
            (x, y) => x.or(y),
        };
        jvp_out(ans, t)
    }

    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        assert!(
            !args[0].is_linear() && args[1].is_linear(),
            "triangular_solve: linear in its right-hand side only"
        );
        let ct_b = cts[0].as_ref().map(|ct| {
            let p = TriangularSolve {
                transpose_a: !self.transpose_a,
                ..*self
            };
            triangular_solve(args[0].known(), ct, p)
        });
        vec![None, ct_b]
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let args = all_at_front(args, dims, axis.size);
        (smallvec![bind1(&Prim::new(*self), &args)], vec![Some(0)])
    }
}

impl TriangularSolve {
    /// The tangent of the solution for a tangent `g_a` of the matrix (JAX's
    /// `_triangular_solve_jvp_rule_a`).
    fn jvp_a(&self, g_a: &Tensor, ans: &Tensor, a: &Tensor) -> Tensor {
        let r = ans.ndim();
        let (m, n) = (ans.shape()[r - 2], ans.shape()[r - 1]);
        let kd = i64::from(self.unit_diagonal);
        let g = if self.lower {
            tril(g_a, -kd)
        } else {
            triu(g_a, kd)
        };
        let g = lax::neg(&g);
        let g = if self.transpose_a { mt(&g) } else { g };
        let inv = |rhs: &Tensor| triangular_solve(a, rhs, *self);
        if self.left_side {
            if m > n {
                inv(&mm(&g, ans))
            } else {
                mm(&inv(&g), ans)
            }
        } else if m < n {
            inv(&mm(ans, &g))
        } else {
            mm(ans, &inv(&g))
        }
    }
}
