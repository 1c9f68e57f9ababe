//! Structured loops: `scan` and `while`, whose bodies are closed sub-jaxprs traced once.
//!
//! - Evaluation ([`eval`]) compiles each body once, with `jit`'s pipeline, into an
//!   [`crate::interp::Program`] cached beside the body's identity ([`compiled`]), and runs it
//!   per iteration (fusion, liveness, carries updated in place); a body of numbers runs on
//!   registers. Eagerly and under `jit` alike, the equation's evaluation is this.
//! - Forward mode of `scan` linearizes the body (JAX's `_scan_jvp` plus the partial-evaluation
//!   split): a primal scan also emits the residuals of every iteration as extra stacked
//!   outputs (loop-invariant residuals are computed once, outside the loop), and a tangent scan
//!   reads them, linear in the tangent carry, consts and xs. Under `grad` the primal scan runs
//!   now and the tangent scan is recorded; its transpose is a scan in the other direction.
//! - `while` has forward mode only: its trip count is unbounded, so there is nowhere to stack
//!   residuals; reverse mode panics and points to `fori_loop`/`scan`.
//! - Batching: carries are batched to a fixed point (JAX's `_scan_batching_rule`); a `while`
//!   whose predicate is batched runs until every member is done, masking finished members with
//!   `select_n`.

pub mod compiled;
mod eval;
pub mod functions;
mod scan;
mod while_loop;

use crate::core::SubJaxpr;
use crate::core::{ArrayOutputs, BatchAxis, LinearArg, Param, Prim, PrimRules};
use crate::core::{Atom, Aval, Avals, Jaxpr, Outputs};
use crate::prims::util::{py_bool, text};
use crate::tensor::{ArrayData, DType, Tensor};
use eval::{run_scan, run_while};
use scan::{scan_batch, scan_jvp, scan_transpose};
use std::sync::Arc;
use while_loop::{while_batch, while_jvp};

/// A loop primitive.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LoopOp {
    /// `scan[jaxpr length num_carry num_consts reverse unroll] *consts *init *xs`: the body maps
    /// `(consts, carry, x) -> (carry, y)`; ys are stacked along a new leading axis.
    Scan {
        jaxpr: SubJaxpr,
        length: usize,
        num_consts: usize,
        num_carry: usize,
        reverse: bool,
        unroll: usize,
    },
    /// `while[cond_jaxpr body_jaxpr cond_nconsts body_nconsts] *cond_consts *body_consts *init`.
    While {
        cond_jaxpr: SubJaxpr,
        body_jaxpr: SubJaxpr,
        cond_nconsts: usize,
        body_nconsts: usize,
    },
}

const WHILE_REVERSE_MSG: &str = "while_loop: reverse-mode differentiation (grad, vjp, jacrev) \
    of a while_loop is not supported: its trip count is not known before it runs, so there is \
    no bounded stack in which to save the per-iteration residuals the backward pass needs. \
    Use lax::fori_loop with concrete (integer) bounds, which lowers to a scan, or lax::scan with \
    a fixed length (mask the finished iterations); forward mode (jvp, jacfwd) of while_loop \
    works";

impl PrimRules for LoopOp {
    fn name(&self) -> &'static str {
        match self {
            LoopOp::Scan { .. } => "scan",
            LoopOp::While { .. } => "while",
        }
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        match self {
            LoopOp::Scan { .. } => {
                let (jaxpr, length, num_consts, num_carry, reverse, unroll) = self.scan_params();
                vec![
                    ("jaxpr", Param::Jaxpr(jaxpr.clone())),
                    ("length", text(length.to_string())),
                    ("num_carry", text(num_carry.to_string())),
                    ("num_consts", text(num_consts.to_string())),
                    ("reverse", text(py_bool(reverse))),
                    ("unroll", text(unroll.to_string())),
                ]
            }
            LoopOp::While { .. } => {
                let (cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts) = self.while_params();
                vec![
                    ("body_jaxpr", Param::Jaxpr(body_jaxpr.clone())),
                    ("body_nconsts", text(body_nconsts.to_string())),
                    ("cond_jaxpr", Param::Jaxpr(cond_jaxpr.clone())),
                    ("cond_nconsts", text(cond_nconsts.to_string())),
                ]
            }
        }
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        match self {
            LoopOp::Scan { .. } => {
                let (jaxpr, length, nc, ncar, _, _) = self.scan_params();
                let body_in = jaxpr.in_avals();
                let body_out = jaxpr.out_avals();
                if body_in.len() != inputs.len() {
                    return Err(format!(
                        "the body takes {} operands, got {}",
                        body_in.len(),
                        inputs.len()
                    ));
                }
                if nc + ncar > inputs.len() || body_out.len() < ncar {
                    return Err(format!(
                        "num_consts={nc} num_carry={ncar} do not fit {} operands and {} body outputs",
                        inputs.len(),
                        body_out.len()
                    ));
                }
                for (i, (got, want)) in inputs[..nc + ncar].iter().zip(&body_in).enumerate() {
                    if got != want {
                        let what = if i < nc { "const" } else { "carry" };
                        return Err(format!(
                            "{what} operand {i} has type {got}, the body expects {want}"
                        ));
                    }
                }
                for (i, (got, want)) in body_out[..ncar].iter().zip(&body_in[nc..]).enumerate() {
                    if got != want {
                        return Err(format!(
                            "the body's carry output {i} has type {got} but its carry input has type {want}"
                        ));
                    }
                }
                for (i, (got, want)) in inputs[nc + ncar..]
                    .iter()
                    .zip(&body_in[nc + ncar..])
                    .enumerate()
                {
                    if got.ndim() != want.ndim() + 1
                        || got.shape[0] != length
                        || got.shape[1..] != want.shape[..]
                        || got.dtype != want.dtype
                    {
                        return Err(format!(
                            "xs operand {i} has type {got}, expected {length} stacked {want}"
                        ));
                    }
                }
                let mut out: Avals = body_out[..ncar].iter().cloned().collect();
                out.extend(body_out[ncar..].iter().map(|a| stacked(a, length)));
                Ok(out)
            }
            LoopOp::While { .. } => {
                let (cond_jaxpr, body_jaxpr, cn, bn) = self.while_params();
                if inputs.len() < cn + bn {
                    return Err(format!(
                        "expected at least {} operands, got {}",
                        cn + bn,
                        inputs.len()
                    ));
                }
                let carry = &inputs[cn + bn..];
                let operands = |consts: &[Aval]| [consts, carry].concat();
                cond_jaxpr.expect_inputs("cond_jaxpr", &operands(&inputs[..cn]))?;
                let cond_out = cond_jaxpr.out_avals();
                if cond_out.len() != 1 || cond_out[0] != Aval::new(&[], DType::Bool) {
                    return Err(format!(
                        "cond_jaxpr must return one bool[], it returns ({})",
                        join_avals(&cond_out)
                    ));
                }
                body_jaxpr.expect_inputs("body_jaxpr", &operands(&inputs[cn..cn + bn]))?;
                let body_out = body_jaxpr.out_avals();
                if body_out != carry {
                    return Err(format!(
                        "body_jaxpr returns ({}) but the carry is ({})",
                        join_avals(&body_out),
                        join_avals(carry)
                    ));
                }
                Ok(carry.iter().cloned().collect())
            }
        }
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        crate::core::eval_with_tensors(inputs, |ts| self.run(ts))
    }

    fn eval_eager(&self, inputs: &[Tensor]) -> Option<Outputs> {
        let avals: Vec<Aval> = inputs.iter().map(|t| t.aval()).collect();
        if let Err(e) = self.abstract_eval(&avals) {
            panic!("{}: {e}", self.name());
        }
        Some(self.run(inputs))
    }

    /// `scan`: the body; `while`: `[cond_jaxpr, body_jaxpr]`.
    fn sub_jaxprs(&self) -> Vec<&Arc<Jaxpr>> {
        match self {
            LoopOp::Scan { jaxpr, .. } => vec![&jaxpr.0],
            LoopOp::While {
                cond_jaxpr,
                body_jaxpr,
                ..
            } => vec![&cond_jaxpr.0, &body_jaxpr.0],
        }
    }

    fn replace_sub_jaxprs(&self, new: Vec<Arc<Jaxpr>>) -> Prim {
        let n = self.sub_jaxprs().len();
        assert_eq!(new.len(), n, "{}: expected {n} sub-jaxprs", self.name());
        let mut op = self.clone();
        let mut new = new.into_iter().map(SubJaxpr);
        match &mut op {
            LoopOp::Scan { jaxpr, .. } => *jaxpr = new.next().expect("checked length"),
            LoopOp::While {
                cond_jaxpr,
                body_jaxpr,
                ..
            } => {
                *cond_jaxpr = new.next().expect("checked length");
                *body_jaxpr = new.next().expect("checked length");
            }
        }
        Prim::new(op)
    }

    fn jvp(
        &self,
        primals: &[Tensor],
        tangents: &[Option<Tensor>],
    ) -> (Outputs, Vec<Option<Tensor>>) {
        match self {
            LoopOp::Scan { .. } => scan_jvp(self, primals, tangents),
            LoopOp::While { .. } => while_jvp(self, primals, tangents),
        }
    }

    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        match self {
            LoopOp::Scan { .. } => scan_transpose(self, cts, args),
            LoopOp::While { .. } => panic!("{WHILE_REVERSE_MSG}"),
        }
    }

    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        axis: &BatchAxis,
    ) -> (Outputs, Vec<Option<usize>>) {
        match self {
            LoopOp::Scan { .. } => scan_batch(self, args, dims, axis),
            LoopOp::While { .. } => while_batch(self, args, dims, axis),
        }
    }
}

impl LoopOp {
    /// A scan's `(jaxpr, length, num_consts, num_carry, reverse, unroll)`, for the rules that
    /// need all of them (panics on a while).
    fn scan_params(&self) -> (&Arc<Jaxpr>, usize, usize, usize, bool, usize) {
        match self {
            LoopOp::Scan {
                jaxpr,
                length,
                num_consts,
                num_carry,
                reverse,
                unroll,
            } => (
                &jaxpr.0,
                *length,
                *num_consts,
                *num_carry,
                *reverse,
                *unroll,
            ),
            LoopOp::While { .. } => unreachable!("not a scan"),
        }
    }

    /// A while's `(cond_jaxpr, body_jaxpr, cond_nconsts, body_nconsts)` (panics on a scan).
    fn while_params(&self) -> (&Arc<Jaxpr>, &Arc<Jaxpr>, usize, usize) {
        match self {
            LoopOp::While {
                cond_jaxpr,
                body_jaxpr,
                cond_nconsts,
                body_nconsts,
            } => (&cond_jaxpr.0, &body_jaxpr.0, *cond_nconsts, *body_nconsts),
            LoopOp::Scan { .. } => unreachable!("not a while"),
        }
    }

    /// Evaluation on concrete tensors (both [`PrimRules::eval`] and the `eval_eager` fast
    /// path run this).
    fn run(&self, inputs: &[Tensor]) -> Outputs {
        match self {
            LoopOp::Scan { .. } => run_scan(self, inputs),
            LoopOp::While { .. } => run_while(self, inputs),
        }
    }
}

fn join_avals(a: &[Aval]) -> String {
    a.iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `aval` with a leading axis of `length`.
fn stacked(aval: &Aval, length: usize) -> Aval {
    let mut a = aval.clone();
    a.shape.insert(0, length);
    a
}

// ---- Jaxpr analyses ---------------------------------------------------------------------

/// For each output of `j`: does it depend on an input marked in `marked`? With
/// `collectives_vary`, collectives (and loops/calls containing them) count as varying sources
/// (for batching: `axis_index` is batched without batched inputs).
fn depends(j: &Jaxpr, marked: &[bool], collectives_vary: bool) -> Vec<bool> {
    let mut m = vec![false; j.var_avals.len()];
    for (v, b) in j.invars.iter().zip(marked) {
        m[v.0 as usize] = *b;
    }
    for e in &j.eqns {
        let d = e
            .inputs
            .iter()
            .any(|a| matches!(a, Atom::Var(v) if m[v.0 as usize]))
            || (collectives_vary && has_collective(&e.prim));
        for o in &e.outputs {
            m[o.0 as usize] = d;
        }
    }
    j.outvars
        .iter()
        .map(|a| matches!(a, Atom::Var(v) if m[v.0 as usize]))
        .collect()
}

/// Is `p` a collective, or does one of its sub-jaxprs (recursively) contain one?
fn has_collective(p: &Prim) -> bool {
    p.downcast::<crate::prims::collective::Collective>()
        .is_some()
        || p.sub_jaxprs()
            .iter()
            .any(|j| j.eqns.iter().any(|e| has_collective(&e.prim)))
}

/// One step of the loop rules' fixed points: marks each carry input in `carry` whose body
/// output in `out` is marked (a carry that becomes nonzero, or batched, in the body is so for
/// the whole loop); returns whether any mark was added.
fn mark_carries(carry: &mut [bool], out: &[bool]) -> bool {
    let mut changed = false;
    for (c, &o) in carry.iter_mut().zip(out) {
        if o && !*c {
            *c = true;
            changed = true;
        }
    }
    changed
}

/// `xs` cut into consecutive parts of the given lengths, and what follows them (how a loop
/// rule's body takes apart its flat operand list).
fn split_parts<T, const N: usize>(mut xs: &[T], lens: [usize; N]) -> ([&[T]; N], &[T]) {
    let parts = lens.map(|n| {
        let (part, rest) = xs.split_at(n);
        xs = rest;
        part
    });
    (parts, xs)
}

fn is_float(a: &Aval) -> bool {
    a.dtype.is_inexact()
}
