//! `custom_linear_solve` (JAX's `lax.custom_linear_solve` and its `linear_solve_p`): a
//! matrix-free linear solve whose derivatives come by implicit differentiation at the
//! solution, not by differentiating the solver. The equation holds four closed sub-jaxprs
//! (`matvec`, `vecmat` = its transpose, `solve`, `transpose_solve`), each with its captured
//! values as leading operands, then the right-hand side's leaves; it evaluates as `solve`.
//!
//! The rules are JAX's: the JVP solves again against `ḃ - Ȧx` (`Ȧx` the tangent of `matvec`
//! in its captured values at the solution), so the tangent is the same primitive, linear in
//! its right-hand side; its transpose is the primitive with the roles swapped (`vecmat` and
//! `matvec`, `transpose_solve` and `solve`); batching vectorizes the four jaxprs (every
//! right-hand side leaf batched, a simplification of JAX's fixpoint that gives the same
//! values).

use crate::core::{bind, eval_jaxpr, Aval, Avals, Jaxpr, Outputs, SubJaxpr};
use crate::core::{
    ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules,
};
use crate::interpreters::{batch_jaxpr, closure_convert};
use crate::prims::util::{batch_at, move_batch_dim, text, zeros};
use crate::tensor::{ArrayData, Tensor};
use crate::tree::PyTree;
use std::panic::Location;
use std::sync::Arc;

/// The four roles, in JAX's `_LinearSolveTuple` order.
const ROLES: [&str; 4] = ["matvec", "vecmat", "solve", "transpose_solve"];

/// The primitive: the sub-jaxprs (`None` when `transpose_solve` was not given) and how many
/// captured values each takes, in the order `matvec, vecmat, solve, transpose_solve`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LinearSolve {
    jaxprs: [Option<SubJaxpr>; 4],
    const_lengths: [usize; 4],
}

/// A solver as `custom_linear_solve` takes it: given the linear map and a right-hand side,
/// the solution.
pub type Solver<'a, B> = &'a dyn Fn(&dyn Fn(&B) -> B, &B) -> B;

/// Solves `matvec(x) = b` with `solve(matvec, b)`, differentiating the solution implicitly
/// (`jax.lax.custom_linear_solve(matvec, b, solve, transpose_solve, symmetric)`): the
/// derivative is the one of `x = A⁻¹ b` for the linear map `A = matvec` (through `b` and
/// through whatever `matvec` closes over), whatever `solve` does internally (an iterative
/// method, a while loop, a call to a factorization). Forward mode needs only `solve`;
/// reverse mode needs `transpose_solve(vecmat, c)` (solving with `matvec`'s transpose, which
/// is computed automatically), or `symmetric = true` (then `solve` serves for it). `b` is any
/// pytree; `matvec` and the solvers must map it to the same structure and types.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::custom_linear_solve;
/// let a = Tensor::from_vec(vec![4.0f64, 1.0, 1.0, 3.0], &[2, 2]);
/// let b = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
/// // A solver that is not differentiable by itself (it reads concrete numbers).
/// let f = |(a, b): &(Tensor, Tensor)| {
///     let matvec = |x: &Tensor| a.matmul(x);
///     let solve = |_: &dyn Fn(&Tensor) -> Tensor, r: &Tensor| ferrax::linalg::solve(a, r);
///     custom_linear_solve(matvec, b, &solve, None, true)
/// };
/// let x = f(&(a.clone(), b.clone())).to_vec::<f64>();
/// assert!((4.0 * x[0] + x[1] - 1.0).abs() < 1e-12);
/// // d(sum x)/db = A⁻ᵀ 1, by implicit differentiation.
/// let (_, gb) = grad(|ab: &(Tensor, Tensor)| f(ab).sum())(&(a, b));
/// let gb = gb.to_vec::<f64>();
/// assert!((4.0 * gb[0] + gb[1] - 1.0).abs() < 1e-12 && (gb[0] + 3.0 * gb[1] - 1.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn custom_linear_solve<B: PyTree>(
    matvec: impl Fn(&B) -> B,
    b: &B,
    solve: Solver<'_, B>,
    transpose_solve: Option<Solver<'_, B>>,
    symmetric: bool,
) -> B {
    let def = b.treedef();
    let leaves = b.leaves();
    let wrap = |f: &dyn Fn(&B) -> B, xs: &[Tensor]| f(&B::unflatten(&def, xs.to_vec())).leaves();
    let matvec_flat = |xs: &[Tensor]| wrap(&matvec, xs);
    let solve_flat = |xs: &[Tensor]| wrap(&|x: &B| solve(&matvec, x), xs);
    let tsolve = transpose_solve.or(if symmetric { Some(solve) } else { None });
    let out = match tsolve {
        None => custom_linear_solve_flat(&leaves, &matvec_flat, &solve_flat, None, symmetric),
        Some(ts) => {
            let vecmat = |x: &B| -> B {
                if symmetric {
                    matvec(x)
                } else {
                    super::linear_transpose(&matvec, b)(x)
                }
            };
            let ts_flat = |xs: &[Tensor]| wrap(&|x: &B| ts(&vecmat, x), xs);
            let vecmat_flat = |xs: &[Tensor]| wrap(&vecmat, xs);
            custom_linear_solve_flat(
                &leaves,
                &matvec_flat,
                &solve_flat,
                Some((&vecmat_flat, &ts_flat)),
                symmetric,
            )
        }
    };
    B::unflatten(&def, out)
}

/// A flat function on leaves.
type Flat<'a> = &'a dyn Fn(&[Tensor]) -> Vec<Tensor>;

/// [`custom_linear_solve`] on leaves, compiled once: traces the four functions at `b`'s
/// types, checks their outputs, and binds the primitive.
#[track_caller]
fn custom_linear_solve_flat(
    b: &[Tensor],
    matvec: Flat<'_>,
    solve: Flat<'_>,
    transposed: Option<(Flat<'_>, Flat<'_>)>,
    symmetric: bool,
) -> Vec<Tensor> {
    let caller = Location::caller();
    let avals: Vec<Aval> = b.iter().map(Tensor::aval).collect();
    let trace = |role: &str, f: Flat<'_>| -> (Arc<Jaxpr>, Vec<Tensor>) {
        let (j, consts) = closure_convert(&avals, |xs| f(xs));
        let out = j.out_avals();
        if out != avals {
            let show = |v: &[Aval]| {
                v.iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            panic!(
                "custom_linear_solve: {role} must return b's types [{}], got [{}] (called from {})",
                show(&avals),
                show(&out),
                caller
            );
        }
        (j, consts)
    };
    let (mv, mv_c) = trace("matvec", matvec);
    let (sv, sv_c) = trace("solve", solve);
    let ((vm, vm_c), (ts, ts_c)) = match transposed {
        Some((vecmat, tsolve)) => {
            let vm = if symmetric {
                (mv.clone(), mv_c.clone())
            } else {
                trace("vecmat", vecmat)
            };
            ((Some(vm.0), vm.1), {
                let (j, c) = trace("transpose_solve", tsolve);
                (Some(j), c)
            })
        }
        None => ((None, Vec::new()), (None, Vec::new())),
    };
    let op = LinearSolve {
        jaxprs: [Some(mv), vm, Some(sv), ts].map(|j| j.map(SubJaxpr)),
        const_lengths: [mv_c.len(), vm_c.len(), sv_c.len(), ts_c.len()],
    };
    let mut operands: Vec<Tensor> = [mv_c, vm_c, sv_c, ts_c].concat();
    operands.extend_from_slice(b);
    bind(&Prim::new(op), &operands).into_vec()
}

impl LinearSolve {
    /// Where role `i`'s captured values start among the operands.
    fn start(&self, i: usize) -> usize {
        self.const_lengths[..i].iter().sum()
    }

    /// The number of captured values before the right-hand side.
    fn num_consts(&self) -> usize {
        self.const_lengths.iter().sum()
    }

    /// Role `i`'s captured values among `args`.
    fn consts<'a, T>(&self, args: &'a [T], i: usize) -> &'a [T] {
        &args[self.start(i)..self.start(i) + self.const_lengths[i]]
    }

    /// The jaxpr of role `i`.
    fn jaxpr(&self, i: usize) -> &Arc<Jaxpr> {
        &self.jaxprs[i]
            .as_ref()
            .unwrap_or_else(|| panic!("custom_linear_solve: no {} jaxpr", ROLES[i]))
            .0
    }

    /// Runs `solve` on the operands.
    fn run(&self, inputs: &[Tensor]) -> Outputs {
        let mut args = self.consts(inputs, 2).to_vec();
        args.extend_from_slice(&inputs[self.num_consts()..]);
        Outputs::from_vec(eval_jaxpr(self.jaxpr(2), &[], &args))
    }

    /// The primitive with the roles of a map and its transpose swapped (JAX's
    /// `_LinearSolveTuple.transpose`), and its operands' captured values reordered to match.
    fn transposed(&self, consts: &[Tensor]) -> (LinearSolve, Vec<Tensor>) {
        let order = [1, 0, 3, 2];
        let op = LinearSolve {
            jaxprs: order.map(|i| self.jaxprs[i].clone()),
            const_lengths: order.map(|i| self.const_lengths[i]),
        };
        let operands = order
            .iter()
            .flat_map(|&i| self.consts(consts, i).to_vec())
            .collect();
        (op, operands)
    }
}

impl PrimRules for LinearSolve {
    fn name(&self) -> &'static str {
        "custom_linear_solve"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        let lens = ROLES
            .iter()
            .zip(self.const_lengths)
            .map(|(r, n)| format!("{r}={n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut out = vec![("const_lengths", text(format!("_LinearSolveTuple({lens})")))];
        for (role, j) in ROLES.iter().zip(&self.jaxprs) {
            if let Some(j) = j {
                out.push((role, Param::Jaxpr(j.0.clone())));
            }
        }
        out
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        let b = &inputs[self.num_consts()..];
        let want = self.jaxpr(2).out_avals();
        if b != want.as_slice() {
            return Err(format!(
                "custom_linear_solve: the right-hand side has {} leaves, solve returns {}",
                b.len(),
                want.len()
            ));
        }
        Ok(b.iter().cloned().collect())
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        crate::core::eval_with_tensors(inputs, |ts| self.run(ts))
    }

    fn eval_eager(&self, inputs: &[Tensor]) -> Option<Outputs> {
        Some(self.run(inputs))
    }

    fn sub_jaxprs(&self) -> Vec<&Arc<Jaxpr>> {
        self.jaxprs.iter().flatten().map(|j| &j.0).collect()
    }

    fn replace_sub_jaxprs(&self, new: Vec<Arc<Jaxpr>>) -> Prim {
        let mut op = self.clone();
        let mut new = new.into_iter();
        for j in op.jaxprs.iter_mut().flatten() {
            *j = SubJaxpr(new.next().expect("custom_linear_solve: too few sub-jaxprs"));
        }
        Prim::new(op)
    }

    fn constant_foldable(&self) -> bool {
        false
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let nc = self.num_consts();
        let x = bind(&Prim::new(self.clone()), primals);
        let b_dot = &tangents[nc..];
        let mv_consts = self.consts(primals, 0);
        let mv_dots = self.consts(tangents, 0);
        // ∂A x: the tangent of matvec in its captured values, at the solution.
        let matvec_dot = if mv_dots.iter().all(Option::is_none) {
            None
        } else {
            let mut ps = mv_consts.to_vec();
            ps.extend(x.iter().cloned());
            let mut ts: Vec<Tensor> = mv_dots
                .iter()
                .zip(mv_consts)
                .map(|(t, p)| crate::prims::util::instantiate(t, p))
                .collect();
            ts.extend(x.iter().map(|v| zeros(&v.aval())));
            let j = self.jaxpr(0).clone();
            Some(crate::interpreters::jvp_flat(&ps, &ts, |a| eval_jaxpr(&j, &[], a)).1)
        };
        if matvec_dot.is_none() && b_dot.iter().all(Option::is_none) {
            let n = x.len();
            return (x, vec![None; n]);
        }
        let rhs: Vec<Tensor> = (0..x.len())
            .map(|i| {
                let bd = b_dot[i].clone();
                match (&matvec_dot, bd) {
                    (None, Some(bd)) => bd,
                    (None, None) => zeros(&x[i].aval()),
                    (Some(m), Some(bd)) => crate::prims::lax::sub(&bd, &m[i]),
                    (Some(m), None) => crate::prims::lax::neg(&m[i]),
                }
            })
            .collect();
        let mut operands = primals[..nc].to_vec();
        operands.extend(rhs);
        let x_dot = bind(&Prim::new(self.clone()), &operands);
        (x, x_dot.into_iter().map(Some).collect())
    }

    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        let nc = self.num_consts();
        if self.jaxprs[3].is_none() {
            panic!(
                "custom_linear_solve: transpose_solve required for backwards mode automatic \
                 differentiation (pass one, or symmetric = true)"
            );
        }
        assert!(
            args[..nc].iter().all(|a| !a.is_linear()),
            "custom_linear_solve: linear in its right-hand side only"
        );
        let consts: Vec<Tensor> = args[..nc].iter().map(|a| a.known().clone()).collect();
        let (op, mut operands) = self.transposed(&consts);
        let b_avals = self.jaxpr(2).out_avals();
        operands.extend(
            cts.iter()
                .zip(&b_avals)
                .map(|(c, a)| c.clone().unwrap_or_else(|| zeros(a))),
        );
        let ct_b = bind(&Prim::new(op), &operands);
        let mut out = vec![None; nc];
        out.extend(ct_b.into_iter().map(Some));
        out
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let nc = self.num_consts();
        // Captured values keep their batching (moved to the front); every right-hand side
        // leaf is batched, and so every output of the four jaxprs.
        let args: Vec<Tensor> = args
            .iter()
            .zip(dims)
            .enumerate()
            .map(|(i, (a, d))| match d {
                Some(d) => move_batch_dim(a, *d, 0),
                None if i >= nc => batch_at(a, None, axis.size, 0),
                None => a.clone(),
            })
            .collect();
        let dims: Vec<Option<usize>> = dims
            .iter()
            .enumerate()
            .map(|(i, d)| if i >= nc { Some(0) } else { d.map(|_| 0) })
            .collect();
        let mut jaxprs: [Option<SubJaxpr>; 4] = Default::default();
        let mut const_lengths = [0; 4];
        let mut operands = Vec::new();
        for i in 0..4 {
            let Some(j) = &self.jaxprs[i] else { continue };
            let mut in_dims = self.consts(&dims, i).to_vec();
            in_dims.extend_from_slice(&dims[nc..]);
            let (bj, captured) = batch_jaxpr(&j.0, &in_dims, None, axis);
            const_lengths[i] = captured.len() + self.const_lengths[i];
            operands.extend(captured);
            operands.extend_from_slice(self.consts(&args, i));
            jaxprs[i] = Some(SubJaxpr(bj));
        }
        operands.extend_from_slice(&args[nc..]);
        let op = LinearSolve {
            jaxprs,
            const_lengths,
        };
        let outs = bind(&Prim::new(op), &operands);
        let n = outs.len();
        (outs, vec![Some(0); n])
    }
}
