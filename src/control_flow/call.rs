//! Call primitives: equations that run a sub-jaxpr. They carry user-defined derivative rules
//! (`custom_jvp_call`, `custom_vjp_call` and its linear half `custom_lin`) and rematerialized
//! blocks (`checkpoint`). Sub-jaxprs are closure-converted: captured values are leading
//! operands, so the equations are closed and print like JAX's.

use crate::core::eval_jaxpr;
pub use crate::core::SubJaxpr;
use crate::core::{bind, Aval, Avals, Jaxpr, Outputs};
use crate::core::{
    ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules,
};
use crate::interpreters::{batch_jaxpr, closure_convert, vmap_leaves, LinearizedJaxpr};
use crate::prims::util::{instantiate, instantiate_all, move_batch_dim, py_bool, text};
use crate::tensor::{ArrayData, Tensor};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;
use std::sync::{Arc, Weak};

/// A flat JVP rule: `(primals, tangents) -> (outputs, output tangents)` on leaves.
pub type FlatJvpRule = dyn Fn(&[Tensor], &[Tensor]) -> (Vec<Tensor>, Vec<Tensor>) + Send + Sync;
/// A flat forward pass with residuals: `primals -> (outputs, residuals)`.
pub type FlatFwd = dyn Fn(&[Tensor]) -> (Vec<Tensor>, Vec<Tensor>) + Send + Sync;
/// A flat backward pass: `(residuals, output cotangents) -> input cotangents`.
pub type FlatBwd = dyn Fn(&[Tensor], &[Tensor]) -> Vec<Tensor> + Send + Sync;

/// A shared user function inside a primitive, compared and hashed by identity.
pub struct Rule<F: ?Sized>(pub Arc<F>);

impl<F: ?Sized> Clone for Rule<F> {
    fn clone(&self) -> Self {
        Rule(self.0.clone())
    }
}

impl<F: ?Sized> PartialEq for Rule<F> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
impl<F: ?Sized> Eq for Rule<F> {}
impl<F: ?Sized> Hash for Rule<F> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.0) as *const u8 as usize).hash(state);
    }
}
impl<F: ?Sized> fmt::Debug for Rule<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rule@{:p}", Arc::as_ptr(&self.0) as *const u8)
    }
}

/// What a call equation does besides running its jaxpr. `num_consts` counts the leading
/// operands that are captured values (closure conversion), not function inputs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// A function with a user JVP rule (`custom_jvp_call`); reverse mode transposes the
    /// rule's tangent computation.
    CustomJvp {
        jvp: Rule<FlatJvpRule>,
        num_consts: usize,
    },
    /// A function with user forward/backward passes (`custom_vjp_call`).
    CustomVjp {
        fwd: Rule<FlatFwd>,
        bwd: Rule<FlatBwd>,
        num_consts: usize,
    },
    /// The linear half of a `custom_vjp` under differentiation: operands are `num_res`
    /// residuals, then the function inputs' tangents; only its transpose (the user's backward
    /// pass) is defined.
    CustomLin { bwd: Rule<FlatBwd>, num_res: usize },
    /// A block recomputed in the backward pass instead of saving its intermediates
    /// (`checkpoint`). `differentiated` marks the tangent block (operands: primals, then
    /// tangents, to which it is linear).
    Checkpoint { differentiated: bool },
    /// A jitted function (`jit`): runs its closed jaxpr. Forward mode splits it into a `jit`
    /// of the primal part (outputs and residuals) and a `jit` of the linear tangent part;
    /// transposing a `jit` whose body is linear in its linear operands is a `jit` of the
    /// body's backward pass; vmap is a `jit` of the vectorized body.
    Jit,
}

/// A call equation: `kind` plus the sub-jaxpr it runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CallOp {
    pub kind: CallKind,
    pub name: String,
    /// Closed (no constvars): captured values are its leading invars.
    pub jaxpr: SubJaxpr,
}

impl CallOp {
    /// Evaluation on concrete tensors (both [`PrimRules::eval`] and the `eval_eager` fast
    /// path run this): the body's equations, bound one by one.
    fn run(&self, inputs: &[Tensor]) -> Outputs {
        if let CallKind::CustomLin { .. } = self.kind {
            panic!(
                "custom_vjp: forward-mode differentiation (jvp, linearize, jacfwd) of a function \
                 with a custom_vjp rule is not supported; use reverse mode (grad, vjp, jacrev) or \
                 define the function with custom_jvp"
            )
        }
        Outputs::from_vec(eval_jaxpr(&self.jaxpr.0, &[], inputs))
    }
}

impl PrimRules for CallOp {
    fn name(&self) -> &'static str {
        match self.kind {
            CallKind::CustomJvp { .. } => "custom_jvp_call",
            CallKind::CustomVjp { .. } => "custom_vjp_call",
            CallKind::CustomLin { .. } => "custom_lin",
            CallKind::Checkpoint { .. } => "checkpoint",
            CallKind::Jit => "jit",
        }
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        let jaxpr = Param::Jaxpr(self.jaxpr.0.clone());
        match &self.kind {
            CallKind::CustomJvp { .. } => vec![
                ("name", text(self.name.clone())),
                ("call_jaxpr", jaxpr),
                ("jvp", text("jvp")),
                ("symbolic_zeros", text("False")),
            ],
            CallKind::CustomVjp { num_consts, .. } => vec![
                ("name", text(self.name.clone())),
                ("call_jaxpr", jaxpr),
                ("fwd", text("fwd")),
                ("bwd", text("bwd")),
                ("num_consts", text(num_consts.to_string())),
                ("symbolic_zeros", text("False")),
            ],
            CallKind::CustomLin { num_res, .. } => vec![
                ("bwd", text("bwd")),
                ("num_res", text(num_res.to_string())),
                ("symbolic_zeros", text("False")),
            ],
            CallKind::Checkpoint { differentiated } => vec![
                ("jaxpr", jaxpr),
                ("prevent_cse", text("True")),
                ("differentiated", text(py_bool(*differentiated))),
                ("policy", text("None")),
            ],
            CallKind::Jit => vec![("name", text(self.name.clone())), ("jaxpr", jaxpr)],
        }
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        let j = &self.jaxpr.0;
        let expected = j.in_avals();
        if let CallKind::CustomLin { num_res, .. } = self.kind {
            // Residuals, then one tangent per function output of the forward pass's inputs;
            // the types were checked when the custom_vjp_call was bound.
            if inputs.len() < num_res {
                return Err(format!(
                    "expected at least {num_res} residual operands, got {}",
                    inputs.len()
                ));
            }
            return Ok(j.out_avals().into_iter().collect());
        }
        if inputs.len() != expected.len() {
            return Err(format!(
                "expected {} operands, got {}",
                expected.len(),
                inputs.len()
            ));
        }
        for (i, (got, want)) in inputs.iter().zip(&expected).enumerate() {
            if got != want {
                return Err(format!(
                    "operand {i} has type {got}, the sub-jaxpr expects {want}"
                ));
            }
        }
        Ok(j.out_avals().into_iter().collect())
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        crate::core::eval_with_tensors(inputs, |ts| self.run(ts))
    }

    fn eval_eager(&self, inputs: &[Tensor]) -> Option<Outputs> {
        if let Err(e) = self.abstract_eval(&inputs.iter().map(|t| t.aval()).collect::<Vec<_>>()) {
            panic!("{}: {e}", self.name());
        }
        Some(self.run(inputs))
    }

    /// The body; none for `custom_lin` (see [`PrimRules::sub_jaxprs`]).
    fn sub_jaxprs(&self) -> Vec<&Arc<Jaxpr>> {
        match self.kind {
            CallKind::CustomLin { .. } => Vec::new(),
            _ => vec![&self.jaxpr.0],
        }
    }

    fn replace_sub_jaxprs(&self, new: Vec<Arc<Jaxpr>>) -> Prim {
        let mut op = self.clone();
        let n = self.sub_jaxprs().len();
        assert_eq!(new.len(), n, "{}: expected {n} sub-jaxprs", self.name());
        if let Some(j) = new.into_iter().next() {
            op.jaxpr = SubJaxpr(j);
        }
        Prim::new(op)
    }

    /// Every call but `custom_lin` (whose jaxpr only carries types) evaluates as its body.
    fn inlinable_body(&self) -> Option<&Arc<Jaxpr>> {
        match self.kind {
            CallKind::CustomLin { .. } => None,
            _ => Some(&self.jaxpr.0),
        }
    }

    /// Calls run sub-jaxprs or user rules: evaluated by binding, never folded.
    fn constant_foldable(&self) -> bool {
        false
    }

    /// Only `jit` bodies (see [`PrimRules::optimizable_sub_jaxprs`]).
    fn optimizable_sub_jaxprs(&self) -> bool {
        self.kind == CallKind::Jit
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        match &self.kind {
            CallKind::CustomJvp { jvp, num_consts } => {
                let (xs, ts) =
                    function_inputs(self.name(), &self.name, primals, tangents, *num_consts);
                let (outs, touts) = (jvp.0)(&xs, &ts);
                (
                    Outputs::from_vec(outs),
                    touts.into_iter().map(Some).collect(),
                )
            }
            CallKind::CustomVjp {
                fwd,
                bwd,
                num_consts,
            } => {
                let (xs, ts) =
                    function_inputs(self.name(), &self.name, primals, tangents, *num_consts);
                let (outs, res) = (fwd.0)(&xs);
                let lin = Prim::new(CallOp {
                    kind: CallKind::CustomLin {
                        bwd: bwd.clone(),
                        num_res: res.len(),
                    },
                    name: self.name.clone(),
                    jaxpr: self.jaxpr.clone(),
                });
                let mut operands = res;
                operands.extend(ts);
                let touts = bind(&lin, &operands);
                (
                    Outputs::from_vec(outs),
                    touts.into_iter().map(Some).collect(),
                )
            }
            CallKind::CustomLin { .. } => panic!("custom_lin: it is linear and is only transposed"),
            CallKind::Jit => jit_jvp(self, primals, tangents),
            CallKind::Checkpoint {
                differentiated: false,
            } => {
                let ts = instantiate_all(tangents, primals);
                let n = primals.len();
                let outs = bind(&Prim::new(self.clone()), primals);
                // The tangent block recomputes the primal inside it: its only residuals are the
                // block's inputs.
                let body = self.jaxpr.0.clone();
                let avals: Vec<Aval> = primals.iter().chain(&ts).map(|p| p.aval()).collect();
                let (jvp_jaxpr, consts) = closure_convert(&avals, |args| {
                    let (xs, dxs) = args.split_at(n);
                    crate::interpreters::jvp_flat(xs, dxs, |xs| eval_jaxpr(&body, &[], xs)).1
                });
                assert!(
                    consts.is_empty(),
                    "checkpoint: the closed block captured values while differentiating"
                );
                let tangent_block = Prim::new(CallOp {
                    kind: CallKind::Checkpoint {
                        differentiated: true,
                    },
                    name: self.name.clone(),
                    jaxpr: SubJaxpr(jvp_jaxpr),
                });
                let mut operands = primals.to_vec();
                operands.extend(ts);
                let touts = bind(&tangent_block, &operands);
                (outs, touts.into_iter().map(Some).collect())
            }
            CallKind::Checkpoint {
                differentiated: true,
            } => {
                // Differentiating the tangent block again: differentiate what it computes.
                let body = self.jaxpr.0.clone();
                crate::interpreters::jvp_inlined(primals, tangents, |xs| eval_jaxpr(&body, &[], xs))
            }
        }
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        // Every batched operand gets its batch dim first; the batched call's outputs are all
        // batched at 0 (the user rules must agree with the body, so all are instantiated).
        let args: Vec<Tensor> = args
            .iter()
            .zip(dims)
            .map(|(a, d)| d.map_or_else(|| a.clone(), |d| move_batch_dim(a, d, 0)))
            .collect();
        let dims: Vec<Option<usize>> = dims.iter().map(|d| d.map(|_| 0)).collect();
        let call = |kind: CallKind, jaxpr: Arc<Jaxpr>, operands: &[Tensor]| {
            let prim = Prim::new(CallOp {
                kind,
                name: self.name.clone(),
                jaxpr: SubJaxpr(jaxpr),
            });
            let outs = bind(&prim, operands);
            let n = outs.len();
            (outs, vec![Some(0); n])
        };
        match &self.kind {
            CallKind::CustomJvp { jvp, num_consts } => {
                let fn_dims = dims[*num_consts..].to_vec();
                let (jaxpr, mut operands) = batch_jaxpr(&self.jaxpr.0, &dims, None, axis);
                let num_consts = operands.len() + num_consts;
                operands.extend(args);
                let kind = CallKind::CustomJvp {
                    jvp: Rule(batch_jvp_rule(jvp.0.clone(), fn_dims, axis.clone())),
                    num_consts,
                };
                call(kind, jaxpr, &operands)
            }
            CallKind::CustomVjp {
                fwd,
                bwd,
                num_consts,
            } => {
                let fn_dims = dims[*num_consts..].to_vec();
                let (jaxpr, mut operands) = batch_jaxpr(&self.jaxpr.0, &dims, None, axis);
                let num_consts = operands.len() + num_consts;
                operands.extend(args);
                let kind = CallKind::CustomVjp {
                    fwd: Rule(batch_fwd(fwd.0.clone(), fn_dims.clone(), axis.clone())),
                    bwd: Rule(batch_bwd(bwd.0.clone(), None, fn_dims, axis.clone())),
                    num_consts,
                };
                call(kind, jaxpr, &operands)
            }
            CallKind::CustomLin { bwd, num_res } => {
                // Only the output types of custom_lin's jaxpr are used: an identity jaxpr of
                // the batched output types stands for it.
                let out_avals: Vec<Aval> = self
                    .jaxpr
                    .0
                    .out_avals()
                    .into_iter()
                    .map(|mut a| {
                        a.shape.insert(0, axis.size);
                        a
                    })
                    .collect();
                let (jaxpr, _) = closure_convert(&out_avals, |a| a.to_vec());
                let kind = CallKind::CustomLin {
                    bwd: Rule(batch_bwd(
                        bwd.0.clone(),
                        Some(dims[..*num_res].to_vec()),
                        dims[*num_res..].to_vec(),
                        axis.clone(),
                    )),
                    num_res: *num_res,
                };
                call(kind, jaxpr, &args)
            }
            CallKind::Checkpoint {
                differentiated: false,
            }
            | CallKind::Jit => {
                let (jaxpr, mut operands) = batch_jaxpr(&self.jaxpr.0, &dims, None, axis);
                operands.extend(args);
                call(self.kind.clone(), jaxpr, &operands)
            }
            CallKind::Checkpoint {
                differentiated: true,
            } => {
                // Operands are primals then tangents (the transpose splits them in half), so
                // values captured while batching join the primals, with zero tangents.
                let (jaxpr, consts) = batch_jaxpr(&self.jaxpr.0, &dims, None, axis);
                if consts.is_empty() {
                    return call(self.kind.clone(), jaxpr, &args);
                }
                let (k, n) = (consts.len(), args.len() / 2);
                let mut operands = consts.clone();
                operands.extend_from_slice(&args[..n]);
                operands.extend(consts.iter().map(crate::interpreters::zeros_like));
                operands.extend_from_slice(&args[n..]);
                let avals: Vec<Aval> = operands.iter().map(|t| t.aval()).collect();
                let (wrapped, captured) = closure_convert(&avals, |a| {
                    let mut inner = a[..k + n].to_vec();
                    inner.extend_from_slice(&a[2 * k + n..]);
                    eval_jaxpr(&jaxpr, &[], &inner)
                });
                assert!(
                    captured.is_empty(),
                    "checkpoint: the batched tangent block captured values"
                );
                call(self.kind.clone(), wrapped, &operands)
            }
        }
    }

    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        let cts: Vec<Tensor> = cts
            .iter()
            .zip(self.jaxpr.0.out_avals())
            .map(|(c, aval)| {
                c.clone()
                    .unwrap_or_else(|| crate::interpreters::zeros_of(&aval))
            })
            .collect();
        match &self.kind {
            CallKind::CustomLin { bwd, num_res } => {
                let res: Vec<Tensor> = args[..*num_res].iter().map(|a| a.known().clone()).collect();
                let in_cts = (bwd.0)(&res, &cts);
                assert_eq!(
                    in_cts.len(),
                    args.len() - num_res,
                    "custom_vjp: bwd must return one cotangent per input leaf"
                );
                let mut out: Vec<Option<Tensor>> = vec![None; *num_res];
                out.extend(in_cts.into_iter().map(Some));
                out
            }
            CallKind::Checkpoint {
                differentiated: true,
            } => {
                // Linear in the tangents given the primals: pull back through the recomputed
                // block (the forward recomputation happens here, in the backward pass).
                let n = args.len() / 2;
                let xs: Vec<Tensor> = args[..n].iter().map(|a| a.known().clone()).collect();
                let zeros: Vec<Tensor> = args[n..]
                    .iter()
                    .map(|a| crate::interpreters::zeros_of(&a.aval()))
                    .collect();
                let body = self.jaxpr.0.clone();
                let (_, lin) = crate::interpreters::linearize_flat(&zeros, |ts| {
                    let mut all = xs.clone();
                    all.extend_from_slice(ts);
                    eval_jaxpr(&body, &[], &all)
                });
                let cts_opt: Vec<Option<Tensor>> = cts.into_iter().map(Some).collect();
                let mut float_cts = crate::interpreters::backward_pass(
                    &lin.jaxpr.jaxpr,
                    &lin.jaxpr.consts,
                    &cts_opt,
                )
                .into_iter();
                let mut out: Vec<Option<Tensor>> = vec![None; n];
                out.extend(lin.in_is_float.iter().map(|&f| {
                    if f {
                        float_cts.next().flatten()
                    } else {
                        None
                    }
                }));
                out
            }
            CallKind::Jit => jit_transpose(self, cts, args),
            _ => panic!(
                "{}: this primitive is not linear, so it has no transpose rule",
                self.name()
            ),
        }
    }
}

// ---- jit ---------------------------------------------------------------------------------

/// A `jit` call equation running `jaxpr` (closed: no constvars).
pub fn jit_call(name: &str, jaxpr: Arc<Jaxpr>) -> Prim {
    Prim::new(CallOp {
        kind: CallKind::Jit,
        name: name.to_string(),
        jaxpr: SubJaxpr(jaxpr),
    })
}

/// Jaxprs derived from one `jit` body: its linearization and its transposes (per mask of
/// linear operands), with the values the latter captured.
#[derive(Default)]
struct Derived {
    lin: Option<Rc<LinearizedJaxpr>>,
    transposes: HashMap<Vec<bool>, (Arc<Jaxpr>, Vec<Tensor>)>,
}

thread_local! {
    /// Derived jaxprs per `jit` body, so that differentiating a jitted function again (every
    /// eager `grad(jit(f))` call) does not re-trace them. Keyed by the body's address: the
    /// `Weak` keeps that allocation reserved, and entries whose body died are dropped.
    static DERIVED: RefCell<HashMap<usize, (Weak<Jaxpr>, Derived)>> = RefCell::default();
}

/// Reads the derived-jaxpr entry of `body`, if any.
fn derived_get<R>(body: &Arc<Jaxpr>, f: impl FnOnce(&Derived) -> Option<R>) -> Option<R> {
    DERIVED.with(|d| {
        d.borrow()
            .get(&(Arc::as_ptr(body) as usize))
            .and_then(|(_, e)| f(e))
    })
}

/// Updates the derived-jaxpr entry of `body` (creating it, and dropping dead entries).
fn derived_update(body: &Arc<Jaxpr>, f: impl FnOnce(&mut Derived)) {
    DERIVED.with(|d| {
        let mut d = d.borrow_mut();
        let key = Arc::as_ptr(body) as usize;
        if !d.contains_key(&key) {
            d.retain(|_, (w, _)| w.strong_count() > 0);
        }
        let (_, e) = d
            .entry(key)
            .or_insert_with(|| (Arc::downgrade(body), Derived::default()));
        f(e);
    })
}

/// [`crate::interpreters::linearize_jaxpr`] of a `jit` body, cached per body.
fn cached_linearization(body: &Arc<Jaxpr>) -> Rc<LinearizedJaxpr> {
    if let Some(l) = derived_get(body, |e| e.lin.clone()) {
        return l;
    }
    // Computed outside the borrow: linearizing may differentiate nested `jit`s.
    let l = Rc::new(crate::interpreters::linearize_jaxpr(body));
    derived_update(body, |e| e.lin = Some(l.clone()));
    l
}

/// The transpose of a `jit` body for a mask of linear operands, cached per body (only when
/// it captured concrete values, which it always does unless an outer trace leaks in).
fn cached_transpose(
    body: &Arc<Jaxpr>,
    is_linear: &[bool],
    make: impl FnOnce() -> (Arc<Jaxpr>, Vec<Tensor>),
) -> (Arc<Jaxpr>, Vec<Tensor>) {
    if let Some(t) = derived_get(body, |e| e.transposes.get(is_linear).cloned()) {
        return t;
    }
    let t = make();
    if t.1.iter().all(Tensor::is_concrete) {
        derived_update(body, |e| {
            e.transposes.insert(is_linear.to_vec(), t.clone());
        });
    }
    t
}

/// Forward mode of a `jit` equation: the body is linearized once into a primal part
/// (`xs -> ys ++ residuals`) and a tangent part (`residuals ++ float tangents -> output
/// tangents`, linear in the tangents), and each runs as its own `jit` equation. Under
/// `linearize`/`grad` the first computes now and only the second is staged into the linear
/// jaxpr (a single `jit` of the whole JVP would mix primal outputs into the linear jaxpr);
/// under plain `jvp` both run.
fn jit_jvp(op: &CallOp, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
    let body = &op.jaxpr.0;
    let n_out = body.outvars.len();
    let lin = cached_linearization(body);
    let mut ys = bind(&jit_call(&op.name, lin.primal.clone()), primals).into_vec();
    let res = ys.split_off(n_out);
    let mut operands = res;
    operands.extend(
        tangents
            .iter()
            .zip(primals)
            .zip(&lin.in_is_float)
            .filter(|&(_, &f)| f)
            .map(|((t, p), _)| instantiate(t, p)),
    );
    let touts = bind(
        &jit_call(&format!("jvp({})", op.name), lin.tangent.clone()),
        &operands,
    );
    let out_tangents = touts
        .into_iter()
        .zip(&ys)
        .map(|(t, y)| y.dtype().is_inexact().then_some(t))
        .collect();
    (Outputs::from_vec(ys), out_tangents)
}

/// Transpose of a `jit` equation whose body is linear in its `Linear` operands (what
/// [`jit_jvp`] stages): a `jit` of the body's backward pass with the known operands as
/// constants. `cts` are already explicit.
fn jit_transpose(op: &CallOp, cts: Vec<Tensor>, args: &[LinearArg]) -> Vec<Option<Tensor>> {
    let is_linear: Vec<bool> = args.iter().map(LinearArg::is_linear).collect();
    let known: Vec<Tensor> = args
        .iter()
        .filter(|a| !a.is_linear())
        .map(|a| a.known().clone())
        .collect();
    let lin_avals: Vec<Aval> = args
        .iter()
        .filter(|a| a.is_linear())
        .map(LinearArg::aval)
        .collect();
    let (tj, captured) = cached_transpose(&op.jaxpr.0, &is_linear, || {
        let nk = known.len();
        let mut avals: Vec<Aval> = known.iter().map(|t| t.aval()).collect();
        avals.extend(cts.iter().map(|t| t.aval()));
        let body = op.jaxpr.0.clone();
        closure_convert(&avals, |a| {
            let (k, c) = a.split_at(nk);
            let mut j = (*body).clone();
            let (kv, lv): (Vec<_>, Vec<_>) =
                j.invars.iter().zip(&is_linear).partition(|&(_, &l)| !l);
            j.constvars = kv.into_iter().map(|(v, _)| *v).collect();
            j.invars = lv.into_iter().map(|(v, _)| *v).collect();
            let c: Vec<Option<Tensor>> = c.iter().cloned().map(Some).collect();
            crate::interpreters::backward_pass(&j, k, &c)
                .into_iter()
                .zip(&lin_avals)
                .map(|(ct, a)| ct.unwrap_or_else(|| crate::interpreters::zeros_of(a)))
                .collect()
        })
    });
    let mut operands = captured;
    operands.extend(known);
    operands.extend(cts);
    let mut in_cts = bind(&jit_call(&format!("transpose({})", op.name), tj), &operands).into_iter();
    is_linear
        .iter()
        .map(|&l| if l { in_cts.next() } else { None })
        .collect()
}

/// Splits a custom call's operands into the function inputs and their (explicit) tangents,
/// checking that no captured value is being differentiated.
fn function_inputs(
    prim: &str,
    name: &str,
    primals: &[Tensor],
    tangents: &[Option<Tensor>],
    num_consts: usize,
) -> (Vec<Tensor>, Vec<Tensor>) {
    assert!(
        tangents[..num_consts].iter().all(Option::is_none),
        "{prim} `{name}`: the function closes over a value that is being differentiated; \
         pass it as an argument instead so the custom rule sees its tangent"
    );
    let xs = primals[num_consts..].to_vec();
    let ts = instantiate_all(&tangents[num_consts..], &xs);
    (xs, ts)
}

// ---- Batching helpers -------------------------------------------------------------------

/// A custom JVP rule vectorized: inputs batched along `dims` (tangents like their primals),
/// outputs and output tangents batched at 0.
fn batch_jvp_rule(
    rule: Arc<FlatJvpRule>,
    dims: Vec<Option<usize>>,
    axis: BatchAxis,
) -> Arc<FlatJvpRule> {
    Arc::new(move |xs: &[Tensor], ts: &[Tensor]| {
        let n = xs.len();
        vmap_pair(&[xs, ts].concat(), &dims.repeat(2), &axis, |a| {
            rule(&a[..n], &a[n..])
        })
    })
}

/// `f`, which returns two lists (outputs and their tangents, or outputs and residuals),
/// vectorized over `xs` batched along `dims`: both lists come back batched at 0.
fn vmap_pair(
    xs: &[Tensor],
    dims: &[Option<usize>],
    axis: &BatchAxis,
    f: impl Fn(&[Tensor]) -> (Vec<Tensor>, Vec<Tensor>),
) -> (Vec<Tensor>, Vec<Tensor>) {
    let num_first = Cell::new(0);
    let mut first = vmap_leaves(xs, dims, None, axis, |a| {
        let (mut y, z) = f(a);
        num_first.set(y.len());
        y.extend(z);
        y
    });
    let second = first.split_off(num_first.get());
    (first, second)
}

/// A custom forward pass vectorized: inputs batched along `dims`; outputs and residuals
/// batched at 0.
fn batch_fwd(fwd: Arc<FlatFwd>, dims: Vec<Option<usize>>, axis: BatchAxis) -> Arc<FlatFwd> {
    Arc::new(move |xs: &[Tensor]| vmap_pair(xs, &dims, &axis, |a| fwd(a)))
}

/// A custom backward pass vectorized: residuals batched along `res_dims` (all at 0 when
/// `None`: the batched forward pass made them), cotangents at 0. Input cotangents come back
/// batched at 0 for batched inputs and summed over the batch for unbatched ones (an
/// unbatched input is shared by every batch member).
fn batch_bwd(
    bwd: Arc<FlatBwd>,
    res_dims: Option<Vec<Option<usize>>>,
    in_dims: Vec<Option<usize>>,
    axis: BatchAxis,
) -> Arc<FlatBwd> {
    Arc::new(move |res: &[Tensor], cts: &[Tensor]| {
        let n = res.len();
        let all = [res, cts].concat();
        let mut dims = res_dims.clone().unwrap_or_else(|| vec![Some(0); n]);
        dims.extend(std::iter::repeat_n(Some(0), cts.len()));
        let in_cts = vmap_leaves(&all, &dims, None, &axis, |a| bwd(&a[..n], &a[n..]));
        assert_eq!(
            in_cts.len(),
            in_dims.len(),
            "custom_vjp: bwd must return one cotangent per input leaf"
        );
        in_cts
            .into_iter()
            .zip(&in_dims)
            .map(|(c, d)| match d {
                Some(_) => c,
                None => crate::prims::lax::reduce_sum(&c, &[0]),
            })
            .collect()
    })
}
