//! `cond` (and `switch`): run one of several branches, chosen by an integer index: the
//! primitive, its rules, and the functions `cond` and `switch` that bind it (as
//! `jax.lax.cond` / `jax.lax.switch`). Called eagerly with a concrete predicate, they just run
//! the chosen branch (so the other branches are neither run nor checked); under a
//! transformation every branch is traced once, at the operands' types, into a sub-jaxpr of a
//! single `cond` equation, and the branches' outputs must agree in structure and types.
//!
//! Every branch is a closed jaxpr over the same operands. Values a branch captured (closure
//! conversion) are hoisted to leading operands shared by all branches: each branch jaxpr has
//! invars for every branch's captured values and ignores the others'.
//!
//! Derivatives follow JAX's partial evaluation of `cond`: each branch is linearized into a
//! primal part returning its outputs plus residuals and a linear tangent part reading them.
//! The residuals of all branches are *joined* (one slot list; a branch fills its own slots and
//! zeros the others'), so one `cond` computes outputs and residuals and a second `cond` of the
//! tangent parts, on `(index, residuals, tangents)`, computes output tangents. Under
//! `linearize`/`grad` the first runs now and the second is recorded as a linear equation;
//! its transpose is a `cond` of the transposed tangent parts.
//!
//! Batching with an unbatched index keeps one `cond` of vectorized branches. With a batched
//! index (a per-example predicate) there is no single branch to run: as in JAX, **every
//! branch runs on the whole batch** and `select_n` picks each example's result, so the cost
//! is the sum of all branches, and a branch also runs on the examples that did not choose it
//! (a `sqrt` branch sees negative inputs; the NaNs it makes there are discarded by the
//! select, and a `stop_gradient` on those examples' operands keeps them out of gradients).
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::lax;
//! let f = |x: &Tensor| lax::cond(&x.gt(0.0), |x: &Tensor| x.sqrt(), |x: &Tensor| -x, x);
//! // Reverse mode: one cond for outputs and residuals, one transposed cond.
//! let g = make_jaxpr(grad(f))(&Tensor::scalar(4.0f32)).to_string();
//! assert_eq!(g.matches("cond[").count(), 2);
//! // A batched predicate: both branches run, select_n picks; gradients stay finite.
//! let xs = Tensor::from_vec(vec![-1.0f32, 4.0], &[2]);
//! let gs = ferrax::transforms::vmap(grad(f))(&xs);
//! assert_eq!(gs.to_vec::<f32>(), vec![-1.0, 0.25]);
//! ```

use crate::core::eval_jaxpr;
use crate::core::SubJaxpr;
use crate::core::{bind, current_trace, Atom, Aval, Avals, Jaxpr, Outputs};
use crate::core::{
    ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules,
};
use crate::interpreters::{closure_convert, vmap_leaves};
use crate::prims::util::{batch_at, move_batch_dim, zeros};
use crate::tensor::{ArrayData, DType, Repr, Tensor};
use crate::tree::{PyTree, TreeDef};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// `cond[branches=(...)] index *operands`: every branch is a closed jaxpr taking all the
/// operands (captured values of every branch first, then the user's operands). The index is
/// an `i32` scalar; out-of-range values are clamped to the first or last branch.
///
/// Built by [`crate::prims::lax::cond`] and [`crate::prims::lax::switch`]:
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::internals::control_flow::cond::CondOp;
/// let x = Tensor::scalar(1.0f32);
/// let j = make_jaxpr(|(i, x): &(Tensor, Tensor)| {
///     ferrax::lax::switch(i, &[&|x: &Tensor| x.sin(), &|x: &Tensor| x * 2.0], x)
/// })(&(Tensor::scalar(0i32), x));
/// let eqn = j.jaxpr.eqns.last().unwrap();
/// assert_eq!(eqn.prim.name(), "cond");
/// let op = eqn.prim.downcast::<CondOp>().expect("a cond equation");
/// assert_eq!(op.branches.len(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CondOp {
    pub branches: Vec<SubJaxpr>,
}

/// A branch given as a function of the flat operands, to be closure-converted.
pub(crate) type BranchFn<'a> = Box<dyn FnOnce(&[Tensor]) -> Vec<Tensor> + 'a>;

/// Identity of a tensor handle's payload (the staging trace dedups captured values the same
/// way, so one branch never captures the same handle twice).
fn identity(t: &Tensor) -> usize {
    match &t.repr {
        Repr::Concrete(a) => Arc::as_ptr(a) as *const u8 as usize,
        Repr::Traced(a) => Arc::as_ptr(a) as *const u8 as usize,
    }
}

/// Traces every branch at `avals` into a closed jaxpr and hoists the values the branches
/// captured: returns the branch jaxprs, each taking `consts ++ operands`, and `consts` (the
/// captured values of all branches, deduplicated, in order of first capture).
pub(crate) fn close_branches(
    avals: &[Aval],
    branches: Vec<BranchFn<'_>>,
) -> (Vec<Arc<Jaxpr>>, Vec<Tensor>) {
    let traced: Vec<(Arc<Jaxpr>, Vec<Tensor>)> = branches
        .into_iter()
        .map(|f| closure_convert(avals, f))
        .collect();
    let mut consts: Vec<Tensor> = Vec::new();
    let mut slot_of: HashMap<usize, usize> = HashMap::new();
    let slots: Vec<Vec<usize>> = traced
        .iter()
        .map(|(_, cs)| {
            cs.iter()
                .map(|c| {
                    *slot_of.entry(identity(c)).or_insert_with(|| {
                        consts.push(c.clone());
                        consts.len() - 1
                    })
                })
                .collect()
        })
        .collect();
    let jaxprs = traced
        .into_iter()
        .zip(slots)
        .map(|((j, cs), slots)| {
            if slots.len() == consts.len() && slots.iter().enumerate().all(|(i, &s)| i == s) {
                return j;
            }
            let mut j = (*j).clone();
            let k = cs.len();
            let own: Vec<_> = j.invars.drain(..k).collect();
            let mut invars: Vec<_> = consts.iter().map(|_| None).collect();
            for (v, s) in own.into_iter().zip(slots) {
                invars[s] = Some(v);
            }
            let mut all: Vec<_> = invars
                .into_iter()
                .zip(&consts)
                .map(|(v, c)| v.unwrap_or_else(|| j.new_var(c.aval())))
                .collect();
            all.append(&mut j.invars);
            j.invars = all;
            Arc::new(j)
        })
        .collect();
    (jaxprs, consts)
}

/// Closure-converts `branches` at `avals` and binds a `cond` on `index` and `operands`
/// (captured values hoisted in front). Returns the outputs.
pub(crate) fn bind_cond(
    index: &Tensor,
    avals: &[Aval],
    branches: Vec<BranchFn<'_>>,
    operands: &[Tensor],
) -> Vec<Tensor> {
    let (jaxprs, consts) = close_branches(avals, branches);
    bind_closed_cond(index, jaxprs, consts, operands).into_vec()
}

/// Binds a `cond` over closure-converted branches `jaxprs` on `index`, their hoisted
/// `consts` and `operands`.
fn bind_closed_cond(
    index: &Tensor,
    jaxprs: Vec<Arc<Jaxpr>>,
    consts: Vec<Tensor>,
    operands: &[Tensor],
) -> Outputs {
    let op = Prim::new(CondOp {
        branches: jaxprs.into_iter().map(SubJaxpr).collect(),
    });
    let mut args = Vec::with_capacity(1 + consts.len() + operands.len());
    args.push(index.clone());
    args.extend(consts);
    args.extend_from_slice(operands);
    bind(&op, &args)
}

fn avals_text(avals: &[Aval]) -> String {
    let parts: Vec<String> = avals.iter().map(|a| a.to_string()).collect();
    format!("({})", parts.join(", "))
}

/// Where the tangent part of a branch reads one of its residuals from.
#[derive(Clone, Copy)]
enum ResSrc {
    /// The branch's `k`-th computed residual (an output of the primal part).
    Slot(usize),
    /// The cond's operand `p` itself, forwarded unchanged (no slot, no zeros elsewhere).
    Operand(usize),
}

/// A branch linearized with respect to a subset of its operands.
struct BranchLin {
    /// `captured ++ operands -> outputs ++ computed residuals`.
    primal: Arc<Jaxpr>,
    /// Values the primal part captured (rare: constants made by derivative rules).
    captured: Vec<Tensor>,
    /// `residuals ++ tangents of the differentiated operands -> output tangents`, linear in
    /// the tangents.
    tangent: Arc<Jaxpr>,
    /// For each residual the tangent part reads, where it comes from.
    res_src: Vec<ResSrc>,
    /// Types of the computed residuals (the `Slot`s).
    res_avals: Vec<Aval>,
}

/// Splits `body` into primal and tangent parts, differentiating only the operands marked in
/// `nz` (all floats), then reads residuals that are operands from the operands.
fn linearize_branch(body: &Arc<Jaxpr>, nz: &[bool]) -> BranchLin {
    let (lin, captured) = crate::interpreters::linearize_jaxpr_nz(body, nz);
    let tangent = lin.tangent;
    // Residuals that are operands passed through unchanged are read from the operands.
    let n_out = lin.num_outputs;
    let mut primal = (*lin.primal).clone();
    let res_atoms = primal.outvars.split_off(n_out);
    let (mut res_src, mut res_avals) = (Vec::new(), Vec::new());
    for atom in res_atoms {
        let forwarded = match &atom {
            Atom::Var(v) => primal.invars[captured.len()..].iter().position(|u| u == v),
            Atom::Lit(_) => None,
        };
        match forwarded {
            Some(p) => res_src.push(ResSrc::Operand(p)),
            None => {
                res_src.push(ResSrc::Slot(res_avals.len()));
                res_avals.push(primal.atom_aval(&atom));
                primal.outvars.push(atom);
            }
        }
    }
    BranchLin {
        primal: Arc::new(primal),
        captured,
        tangent,
        res_src,
        res_avals,
    }
}

impl CondOp {
    fn out_avals(&self) -> Vec<Aval> {
        self.branches[0].0.out_avals()
    }

    /// Evaluation on concrete tensors (both [`PrimRules::eval`] and the `eval_eager` fast
    /// path run this): the chosen branch, compiled once like a loop body
    /// ([`super::loops::compiled`]: `jit`'s passes and fusion, cached by the branch's identity).
    fn run(&self, inputs: &[Tensor]) -> Outputs {
        let last = self.branches.len() as i32 - 1;
        let i = inputs[0].item::<i32>().clamp(0, last) as usize;
        let branch = super::loops::compiled::compiled(&self.branches[i].0);
        Outputs::from_vec(branch.run(inputs[1..].iter().cloned()))
    }
}

impl PrimRules for CondOp {
    fn name(&self) -> &'static str {
        "cond"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![(
            "branches",
            Param::Jaxprs(self.branches.iter().map(|b| b.0.clone()).collect()),
        )]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        if self.branches.is_empty() {
            return Err("needs at least one branch".into());
        }
        let Some((index, ops)) = inputs.split_first() else {
            return Err("expected an index operand".into());
        };
        if index.dtype != DType::I32 || index.ndim() != 0 {
            return Err(format!("the index must be an i32 scalar, got {index}"));
        }
        let out = self.out_avals();
        for (i, b) in self.branches.iter().enumerate() {
            let want = b.0.in_avals();
            if want.as_slice() != ops {
                return Err(format!(
                    "branch {i} takes operands {} but is given {}",
                    avals_text(&want),
                    avals_text(ops)
                ));
            }
            let got = b.0.out_avals();
            if got != out {
                return Err(format!(
                    "branch {i} returns {} but branch 0 returns {}",
                    avals_text(&got),
                    avals_text(&out)
                ));
            }
        }
        Ok(out.into_iter().collect())
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        crate::core::eval_with_tensors(inputs, |ts| self.run(ts))
    }

    fn eval_eager(&self, inputs: &[Tensor]) -> Option<Outputs> {
        let avals: Vec<Aval> = inputs.iter().map(|t| t.aval()).collect();
        if let Err(e) = self.abstract_eval(&avals) {
            panic!("cond: {e} (operands: {})", avals_text(&avals));
        }
        Some(self.run(inputs))
    }

    /// The branches, by index.
    fn sub_jaxprs(&self) -> Vec<&Arc<Jaxpr>> {
        self.branches.iter().map(|b| &b.0).collect()
    }

    fn replace_sub_jaxprs(&self, new: Vec<Arc<Jaxpr>>) -> Prim {
        assert_eq!(
            new.len(),
            self.branches.len(),
            "cond: expected {} branch jaxprs",
            self.branches.len()
        );
        Prim::new(CondOp {
            branches: new.into_iter().map(SubJaxpr).collect(),
        })
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let index = &primals[0];
        let ops = &primals[1..];
        let nz: Vec<bool> = tangents[1..]
            .iter()
            .zip(ops)
            .map(|(t, p)| t.is_some() && p.dtype().is_inexact())
            .collect();
        let out_avals = self.out_avals();
        let n_out = out_avals.len();
        let float_out: Vec<bool> = out_avals.iter().map(|a| a.dtype.is_inexact()).collect();
        if !nz.iter().any(|&z| z) || !float_out.iter().any(|&f| f) {
            let outs = bind(&Prim::new(self.clone()), primals);
            return (outs, vec![None; n_out]);
        }
        let diff_tangents: Vec<Tensor> = tangents[1..]
            .iter()
            .zip(&nz)
            .filter(|&(_, &z)| z)
            .map(|(t, _)| t.clone().expect("nonzero tangent"))
            .collect();
        let lins: Vec<BranchLin> = self
            .branches
            .iter()
            .map(|b| linearize_branch(&b.0, &nz))
            .collect();
        // The joined residual slots: branch i's residuals live at offsets[i]..offsets[i+1].
        let mut offsets = vec![0];
        for l in &lins {
            offsets.push(offsets.last().expect("nonempty") + l.res_avals.len());
        }
        let num_res = *offsets.last().expect("nonempty");
        let res_avals: Vec<Aval> = lins.iter().flat_map(|l| l.res_avals.clone()).collect();

        // Primal cond: outputs plus joined residuals.
        let op_avals: Vec<Aval> = ops.iter().map(|t| t.aval()).collect();
        let lins_ref = &lins;
        let primal_fns: Vec<BranchFn<'_>> = (0..lins.len())
            .map(|i| -> BranchFn<'_> {
                Box::new(move |xs: &[Tensor]| {
                    let l = &lins_ref[i];
                    let mut args = l.captured.clone();
                    args.extend_from_slice(xs);
                    let mut outs = eval_jaxpr(&l.primal, &[], &args);
                    let res = outs.split_off(n_out);
                    for (k, other) in lins_ref.iter().enumerate() {
                        if k == i {
                            outs.extend(res.iter().cloned());
                        } else {
                            outs.extend(other.res_avals.iter().map(zeros));
                        }
                    }
                    outs
                })
            })
            .collect();
        let mut ys = bind_cond(index, &op_avals, primal_fns, ops);
        let res = ys.split_off(n_out);
        debug_assert_eq!(res.len(), num_res);

        // Tangent cond on (index, residuals, forwarded operands, tangents): linear in the
        // tangents.
        let mut fwd: Vec<usize> = lins
            .iter()
            .flat_map(|l| l.res_src.iter())
            .filter_map(|r| match r {
                ResSrc::Operand(p) => Some(*p),
                ResSrc::Slot(_) => None,
            })
            .collect();
        fwd.sort_unstable();
        fwd.dedup();
        let mut tan_avals = res_avals;
        tan_avals.extend(fwd.iter().map(|&p| op_avals[p].clone()));
        tan_avals.extend(diff_tangents.iter().map(|t| t.aval()));
        let offsets_ref = &offsets;
        let float_ref = &float_out;
        let fwd_ref = &fwd;
        let tangent_fns: Vec<BranchFn<'_>> = (0..lins.len())
            .map(|i| -> BranchFn<'_> {
                Box::new(move |args: &[Tensor]| {
                    let (res_all, rest) = args.split_at(num_res);
                    let (fwd_vals, ts) = rest.split_at(fwd_ref.len());
                    let mut a: Vec<Tensor> = lins_ref[i]
                        .res_src
                        .iter()
                        .map(|r| match *r {
                            ResSrc::Slot(k) => res_all[offsets_ref[i] + k].clone(),
                            ResSrc::Operand(p) => {
                                let at = fwd_ref.binary_search(&p).expect("forwarded operand");
                                fwd_vals[at].clone()
                            }
                        })
                        .collect();
                    a.extend_from_slice(ts);
                    eval_jaxpr(&lins_ref[i].tangent, &[], &a)
                        .into_iter()
                        .zip(float_ref)
                        .filter(|&(_, &f)| f)
                        .map(|(t, _)| t)
                        .collect()
                })
            })
            .collect();
        let mut tan_operands = res;
        tan_operands.extend(fwd.iter().map(|&p| ops[p].clone()));
        tan_operands.extend(diff_tangents);
        let mut touts = bind_cond(index, &tan_avals, tangent_fns, &tan_operands).into_iter();
        let out_tangents = float_out
            .iter()
            .map(|&f| if f { touts.next() } else { None })
            .collect();
        (Outputs::from_vec(ys), out_tangents)
    }

    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        let index = args[0].known().clone();
        let ops = &args[1..];
        let known: Vec<Tensor> = ops
            .iter()
            .filter(|a| !a.is_linear())
            .map(|a| a.known().clone())
            .collect();
        let is_linear: Vec<bool> = ops.iter().map(LinearArg::is_linear).collect();
        let lin_avals: Vec<Aval> = ops
            .iter()
            .filter(|a| a.is_linear())
            .map(LinearArg::aval)
            .collect();
        let out_avals = self.out_avals();
        let cts: Vec<Tensor> = cts
            .iter()
            .zip(&out_avals)
            .map(|(c, a)| c.clone().unwrap_or_else(|| zeros(a)))
            .collect();
        let nk = known.len();
        let mut avals: Vec<Aval> = known.iter().map(|t| t.aval()).collect();
        avals.extend(out_avals);
        let (is_linear, lin_avals) = (&is_linear, &lin_avals);
        let fns: Vec<BranchFn<'_>> = self
            .branches
            .iter()
            .map(|b| -> BranchFn<'_> {
                Box::new(move |a: &[Tensor]| {
                    let (k, c) = a.split_at(nk);
                    // The branch with its known operands as constvars is linear in the rest.
                    let mut j = (*b.0).clone();
                    let (kv, lv): (Vec<_>, Vec<_>) =
                        j.invars.iter().zip(is_linear).partition(|&(_, &lin)| !lin);
                    j.constvars = kv.into_iter().map(|(v, _)| *v).collect();
                    j.invars = lv.into_iter().map(|(v, _)| *v).collect();
                    let c: Vec<Option<Tensor>> = c.iter().cloned().map(Some).collect();
                    crate::interpreters::backward_pass(&j, k, &c)
                        .into_iter()
                        .zip(lin_avals)
                        .map(|(ct, a)| ct.unwrap_or_else(|| zeros(a)))
                        .collect()
                })
            })
            .collect();
        let mut operands = known;
        operands.extend(cts);
        let mut in_cts = bind_cond(&index, &avals, fns, &operands).into_iter();
        let mut out = vec![None];
        out.extend(
            is_linear
                .iter()
                .map(|&l| if l { in_cts.next() } else { None }),
        );
        out
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let ops = &args[1..];
        let op_dims = &dims[1..];
        let n_out = self.branches[0].0.outvars.len();
        match dims[0] {
            None => {
                // One cond whose branches are vectorized; every output batched at 0.
                let avals: Vec<Aval> = ops.iter().map(|t| t.aval()).collect();
                let fns: Vec<BranchFn<'_>> = self
                    .branches
                    .iter()
                    .map(|b| -> BranchFn<'_> {
                        Box::new(move |xs: &[Tensor]| {
                            vmap_leaves(xs, op_dims, None, axis, |v| eval_jaxpr(&b.0, &[], v))
                        })
                    })
                    .collect();
                let outs = bind_cond(&args[0], &avals, fns, ops);
                (Outputs::from_vec(outs), vec![Some(0); n_out])
            }
            Some(d) => {
                // A per-example index: run every branch on the whole batch and select.
                let n = self.branches.len();
                let idx = move_batch_dim(&args[0], d, 0);
                let idx = crate::prims::lax::clamp(
                    &Tensor::scalar(0i32),
                    &idx,
                    &Tensor::scalar(n as i32 - 1),
                );
                // As JAX: each branch sees, for the examples that did not choose it, its
                // float operands behind a stop_gradient, so that differentiating the selected
                // result does not send `0 * inf = NaN` back through a branch not taken.
                let per_branch: Vec<Vec<Tensor>> = self
                    .branches
                    .iter()
                    .enumerate()
                    .map(|(i, b)| {
                        let chosen = crate::prims::lax::eq(&idx, &Tensor::scalar(i as i32));
                        let (ops_i, dims_i): (Vec<Tensor>, Vec<Option<usize>>) = ops
                            .iter()
                            .zip(op_dims)
                            .map(|(x, d)| {
                                if !x.dtype().is_inexact() {
                                    return (x.clone(), *d);
                                }
                                let xb = batch_at(x, *d, axis.size, 0);
                                let which = if xb.ndim() == 1 {
                                    chosen.clone()
                                } else {
                                    crate::prims::lax::broadcast_in_dim(&chosen, xb.shape(), &[0])
                                };
                                let stopped = crate::prims::lax::stop_gradient(&xb);
                                (crate::prims::lax::select_n(&which, &[stopped, xb]), Some(0))
                            })
                            .unzip();
                        vmap_leaves(&ops_i, &dims_i, None, axis, |v| eval_jaxpr(&b.0, &[], v))
                    })
                    .collect();
                let outs: Outputs = (0..n_out)
                    .map(|k| {
                        let cases: Vec<Tensor> =
                            per_branch.iter().map(|outs| outs[k].clone()).collect();
                        if n == 1 {
                            return cases[0].clone();
                        }
                        let shape = cases[0].shape().to_vec();
                        let which = if shape.len() == 1 {
                            idx.clone()
                        } else {
                            crate::prims::lax::broadcast_in_dim(&idx, &shape, &[0])
                        };
                        crate::prims::lax::select_n(&which, &cases)
                    })
                    .collect();
                (outs, vec![Some(0); n_out])
            }
        }
    }
}

// ---- the lax functions: cond and switch ----

/// Runs `true_fn(operands)` if `pred` is true (nonzero, for an integer predicate), else
/// `false_fn(operands)` (`jax.lax.cond`). `pred` is a bool or integer scalar; operands and
/// outputs are pytrees.
///
/// Under a trace (`grad`, `vmap`, `jit`, `make_jaxpr`) both branches are traced into one
/// `cond` equation, so they must return the same structure with the same leaf types (a
/// mismatch panics naming the leaf path and both types). The predicate becomes an `i32`
/// index and the branches are ordered `(false_fn, true_fn)`, as in JAX.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax;
/// let x = Tensor::scalar(0.5f32);
/// let y = lax::cond(&Tensor::scalar(true), |x: &Tensor| x.sin(), |x: &Tensor| x.cos(), &x);
/// assert_eq!(y.item::<f32>(), 0.5f32.sin());
/// // Differentiable through the chosen branch:
/// let f = |x: &Tensor| lax::cond(&x.gt(0.0), |x: &Tensor| x * x, |x: &Tensor| -x, x);
/// assert_eq!(grad(f)(&Tensor::scalar(3.0f32)).item::<f32>(), 6.0);
/// assert_eq!(grad(f)(&Tensor::scalar(-3.0f32)).item::<f32>(), -1.0);
/// ```
#[track_caller]
pub fn cond<P: PyTree, O: PyTree>(
    pred: &Tensor,
    true_fn: impl Fn(&P) -> O,
    false_fn: impl Fn(&P) -> O,
    operands: &P,
) -> O {
    assert!(
        pred.ndim() == 0,
        "cond: the predicate must be a scalar, got {}",
        pred.aval()
    );
    let dtype = pred.dtype();
    assert!(
        dtype == DType::Bool || dtype.is_int(),
        "cond: the predicate must be a bool or integer scalar, got {}",
        pred.aval()
    );
    if current_trace().is_none() && pred.is_concrete() {
        let taken = match dtype {
            DType::U32 => pred.item::<u32>() != 0,
            _ => pred.item::<i32>() != 0,
        };
        return if taken {
            true_fn(operands)
        } else {
            false_fn(operands)
        };
    }
    let pred = if dtype == DType::Bool {
        pred.clone()
    } else {
        crate::prims::lax::ne(pred, &Tensor::zeros(&[], dtype))
    };
    let index = crate::prims::lax::convert_element_type(&pred, DType::I32);
    bind_branches(
        "cond",
        &["false_fn".to_string(), "true_fn".to_string()],
        &index,
        &[&false_fn, &true_fn],
        operands,
    )
}

/// Runs `branches[index](operands)` (`jax.lax.switch`). `index` is an integer scalar,
/// clamped to `[0, branches.len() - 1]`; operands and outputs are pytrees.
///
/// Under a trace every branch is traced into one `cond` equation (after
/// `convert_element_type` to `i32` and a `clamp`), so all branches must return the same
/// structure with the same leaf types.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax;
/// let x = Tensor::scalar(2.0f32);
/// let branches: [&dyn Fn(&Tensor) -> Tensor; 3] = [&|x| x + 1.0, &|x| x * 10.0, &|x| -x];
/// let at = |i: i32| lax::switch(&Tensor::scalar(i), &branches, &x).item::<f32>();
/// assert_eq!((at(0), at(1), at(2)), (3.0, 20.0, -2.0));
/// assert_eq!((at(-5), at(7)), (3.0, -2.0)); // clamped
/// ```
#[track_caller]
pub fn switch<P: PyTree, O: PyTree>(
    index: &Tensor,
    branches: &[&dyn Fn(&P) -> O],
    operands: &P,
) -> O {
    assert!(!branches.is_empty(), "switch: needs at least one branch");
    assert!(
        index.ndim() == 0 && index.dtype().is_int(),
        "switch: the index must be an integer scalar, got {}",
        index.aval()
    );
    let last = branches.len() - 1;
    if branches.len() == 1 {
        return branches[0](operands);
    }
    if current_trace().is_none() && index.is_concrete() {
        let i = match index.dtype() {
            DType::U32 => (index.item::<u32>() as usize).min(last),
            _ => index.item::<i32>().clamp(0, last as i32) as usize,
        };
        return branches[i](operands);
    }
    let index = if index.dtype() == DType::U32 {
        // Keep large unsigned values large: clamp before the (wrapping) conversion.
        crate::prims::lax::min(index, &Tensor::scalar(last as u32))
    } else {
        index.clone()
    };
    let index = crate::prims::lax::convert_element_type(&index, DType::I32);
    let index =
        crate::prims::lax::clamp(&Tensor::scalar(0i32), &index, &Tensor::scalar(last as i32));
    let names: Vec<String> = (0..branches.len()).map(|i| format!("branch {i}")).collect();
    bind_branches("switch", &names, &index, branches, operands)
}

/// Traces the branches, checks that their outputs agree, and binds the `cond`.
#[track_caller]
fn bind_branches<P: PyTree, O: PyTree>(
    what: &str,
    names: &[String],
    index: &Tensor,
    branches: &[&dyn Fn(&P) -> O],
    operands: &P,
) -> O {
    let (leaves, def) = operands.flatten();
    let avals: Vec<Aval> = leaves.iter().map(|t| t.aval()).collect();
    let out_defs: Vec<RefCell<Option<TreeDef>>> =
        branches.iter().map(|_| RefCell::new(None)).collect();
    let fns: Vec<BranchFn<'_>> = branches
        .iter()
        .zip(&out_defs)
        .map(|(b, slot)| -> BranchFn<'_> {
            let def = &def;
            Box::new(move |xs: &[Tensor]| {
                let out = b(&P::unflatten(def, xs.to_vec()));
                *slot.borrow_mut() = Some(out.treedef());
                out.leaves()
            })
        })
        .collect();
    let (jaxprs, consts) = close_branches(&avals, fns);
    let out_defs: Vec<TreeDef> = out_defs
        .into_iter()
        .map(|d| d.into_inner().expect("branch was traced"))
        .collect();
    check_outputs(what, names, &out_defs, &jaxprs);
    let outs = bind_closed_cond(index, jaxprs, consts, &leaves);
    O::unflatten(&out_defs[0], outs.into_vec())
}

/// Panics, naming the leaf path and both types, unless every branch returns the structure
/// and leaf types of the first.
#[track_caller]
fn check_outputs(
    what: &str,
    names: &[String],
    defs: &[TreeDef],
    jaxprs: &[std::sync::Arc<crate::core::Jaxpr>],
) {
    let want = jaxprs[0].out_avals();
    let paths = defs[0].leaf_paths();
    for i in 1..defs.len() {
        assert!(
            defs[i] == defs[0],
            "{what}: the branches must return the same structure, but {} returns {} and {} \
             returns {}",
            names[0],
            defs[0],
            names[i],
            defs[i]
        );
        let got = jaxprs[i].out_avals();
        for ((w, g), path) in want.iter().zip(&got).zip(&paths) {
            if w != g {
                let path = path.to_string();
                let at = if path.is_empty() {
                    "the output".to_string()
                } else {
                    format!("output{path}")
                };
                panic!(
                    "{what}: the branches must return the same types, but at {at}, {} returns \
                     {w} and {} returns {g}",
                    names[0], names[i]
                );
            }
        }
    }
}
