//! User-defined derivatives and rematerialization: `custom_jvp`, `custom_vjp`, `checkpoint`
//! (alias `remat`), plus `stop_gradient` on pytrees and `linear_transpose`.
//!
//! Outside any transformation these call the function directly. Under a trace the function
//! is traced once into a call equation that carries the rule, so the rule survives staging
//! (`make_jaxpr`, and later `jit`) and composes with every transformation.

use super::call::{CallKind, CallOp, FlatBwd, FlatFwd, FlatJvpRule, Rule, SubJaxpr};
use crate::core::{bind, current_trace, with_trace, Aval, StagingTrace, Trace};
use crate::interpreters::backward_pass;
use crate::interpreters::closure_convert;
use crate::interpreters::zeros_of;
use crate::prims::Prim;
use crate::tensor::Tensor;
use crate::tree::{PyTree, TreeDef};
use std::rc::Rc;
use std::sync::Arc;

/// Flattens the arguments, traces `f` into a closure-converted jaxpr, binds `kind` on it and
/// rebuilds the outputs.
fn bind_call<P: PyTree, O: PyTree>(
    name: &str,
    x: &P,
    f: impl FnOnce(&P) -> O,
    kind: impl FnOnce(usize) -> CallKind,
) -> O {
    let def = x.treedef();
    let mut out_def: Option<TreeDef> = None;
    let outs = bind_call_flat(
        name,
        x.leaves(),
        Box::new(|args: &[Tensor]| {
            let out = f(&P::unflatten(&def, args.to_vec()));
            out_def = Some(out.treedef());
            out.leaves()
        }),
        Box::new(kind),
    );
    O::unflatten(&out_def.expect("function was traced"), outs)
}

/// [`bind_call`] on flat leaves, compiled once rather than per caller (the crate's compile
/// time): traces `f`, closure-converts it and binds the call.
fn bind_call_flat<'a>(
    name: &str,
    leaves: Vec<Tensor>,
    f: crate::core::FlatFn<'a>,
    kind: Box<dyn FnOnce(usize) -> CallKind + 'a>,
) -> Vec<Tensor> {
    let avals: Vec<Aval> = leaves.iter().map(|t| t.aval()).collect();
    let (jaxpr, consts) = closure_convert(&avals, f);
    let prim = Prim::new(CallOp {
        kind: kind(consts.len()),
        name: name.to_string(),
        jaxpr: SubJaxpr(jaxpr),
    });
    let mut operands = consts;
    operands.extend(leaves);
    bind(&prim, &operands).into_vec()
}

/// Checks that a user rule returned trees of the expected structure.
#[track_caller]
fn check_structure(what: &str, got: &TreeDef, want: &TreeDef) {
    assert!(
        got == want,
        "{what}: returned structure {got} where {want} was expected"
    );
}

/// A function with a custom forward-mode rule (`jax.custom_jvp`). `rule(&primals,
/// &tangents)` returns `(outputs, output tangents)`, and must be linear in the tangents:
/// reverse mode transposes it. Values the function closes over are treated as constants;
/// pass anything you differentiate with respect to as an argument.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::custom_jvp;
/// // log(1 + e^x) with a numerically stable derivative sigmoid(x).
/// let softplus = custom_jvp(
///     "softplus",
///     |x: &Tensor| (x.exp() + 1.0).log(),
///     |x: &Tensor, t: &Tensor| ((x.exp() + 1.0).log(), t * x.sigmoid()),
/// );
/// let g = grad(|x: &Tensor| softplus(x).sum())(&Tensor::from_vec(vec![0.0f32, 100.0], &[2]));
/// assert_eq!(g.to_vec::<f32>(), vec![0.5, 1.0]);
/// ```
pub fn custom_jvp<P, O, F, J>(name: &str, f: F, rule: J) -> impl Fn(&P) -> O + use<P, O, F, J>
where
    P: PyTree + 'static,
    O: PyTree + 'static,
    F: Fn(&P) -> O,
    J: Fn(&P, &P) -> (O, O) + Send + Sync + 'static,
{
    let rule = Arc::new(rule);
    let name = name.to_string();
    move |x: &P| {
        if current_trace().is_none() {
            return f(x);
        }
        let in_def = x.treedef();
        let rule = rule.clone();
        let rule_name = name.clone();
        let flat: Arc<FlatJvpRule> = Arc::new(move |xs: &[Tensor], ts: &[Tensor]| {
            let (y, ty) = rule(
                &P::unflatten(&in_def, xs.to_vec()),
                &P::unflatten(&in_def, ts.to_vec()),
            );
            check_structure(
                &format!("custom_jvp `{rule_name}` rule tangents"),
                &ty.treedef(),
                &y.treedef(),
            );
            (y.leaves(), ty.leaves())
        });
        bind_call(&name, x, &f, |num_consts| CallKind::CustomJvp {
            jvp: Rule(flat),
            num_consts,
        })
    }
}

/// A function with custom reverse-mode passes (`jax.custom_vjp`): `fwd(&x)` returns the
/// output and residuals, `bwd(&residuals, &output_cotangent)` returns the input cotangent.
/// Forward mode through it is an error (as in JAX). Values the function closes over are
/// constants; pass what you differentiate as arguments.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::custom_vjp;
/// // Gradient clipping in the backward pass: identity forward, clip(ct, -1, 1) backward.
/// let clip_grad = custom_vjp(
///     "clip_grad",
///     |x: &Tensor| x.clone(),
///     |x: &Tensor| (x.clone(), ()),
///     |_res: &(), ct: &Tensor| ct.maximum(-1.0).minimum(1.0),
/// );
/// let g = grad(|x: &Tensor| (clip_grad(x) * 10.0).sum())(&Tensor::from_vec(vec![1.0f32], &[1]));
/// assert_eq!(g.to_vec::<f32>(), vec![1.0]);
/// ```
pub fn custom_vjp<P, O, R, F, Fw, Bw>(
    name: &str,
    f: F,
    fwd: Fw,
    bwd: Bw,
) -> impl Fn(&P) -> O + use<P, O, R, F, Fw, Bw>
where
    P: PyTree + 'static,
    O: PyTree + 'static,
    R: PyTree + 'static,
    F: Fn(&P) -> O,
    Fw: Fn(&P) -> (O, R) + Send + Sync + 'static,
    Bw: Fn(&R, &O) -> P + Send + Sync + 'static,
{
    let fwd = Arc::new(fwd);
    let bwd = Arc::new(bwd);
    let name = name.to_string();
    move |x: &P| {
        if current_trace().is_none() {
            return f(x);
        }
        let in_def = x.treedef();
        let fwd = fwd.clone();
        let fwd_def = in_def.clone();
        let res_def: Arc<std::sync::Mutex<Option<(TreeDef, TreeDef)>>> = Arc::default();
        let res_def_w = res_def.clone();
        let flat_fwd: Arc<FlatFwd> = Arc::new(move |xs: &[Tensor]| {
            let (y, r) = fwd(&P::unflatten(&fwd_def, xs.to_vec()));
            *res_def_w.lock().expect("not poisoned") = Some((r.treedef(), y.treedef()));
            (y.leaves(), r.leaves())
        });
        let bwd = bwd.clone();
        let bwd_name = name.clone();
        let flat_bwd: Arc<FlatBwd> = Arc::new(move |res: &[Tensor], cts: &[Tensor]| {
            let (rdef, ydef) = res_def
                .lock()
                .expect("not poisoned")
                .clone()
                .expect("fwd runs before bwd");
            let g = bwd(
                &R::unflatten(&rdef, res.to_vec()),
                &O::unflatten(&ydef, cts.to_vec()),
            );
            check_structure(
                &format!("custom_vjp `{bwd_name}` bwd"),
                &g.treedef(),
                &in_def,
            );
            g.leaves()
        });
        bind_call(&name, x, &f, |num_consts| CallKind::CustomVjp {
            fwd: Rule(flat_fwd),
            bwd: Rule(flat_bwd),
            num_consts,
        })
    }
}

/// Rematerialization (`jax.checkpoint`): under reverse mode the block's intermediates are
/// not saved as residuals but recomputed in the backward pass, trading compute for memory.
/// Values are unchanged.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::checkpoint;
/// let block = checkpoint(|x: &Tensor| x.sin().sin());
/// let g = grad(|x: &Tensor| block(x).sum())(&Tensor::from_vec(vec![0.5f64], &[1]));
/// let expect = 0.5f64.sin().cos() * 0.5f64.cos();
/// assert!((g.to_vec::<f64>()[0] - expect).abs() < 1e-15);
/// ```
pub fn checkpoint<P: PyTree, O: PyTree>(f: impl Fn(&P) -> O) -> impl Fn(&P) -> O {
    move |x: &P| {
        if current_trace().is_none() {
            return f(x);
        }
        bind_call("checkpoint", x, &f, |_| CallKind::Checkpoint {
            differentiated: false,
        })
    }
}

/// Another name for [`checkpoint`] (`jax.remat`).
///
/// ```
/// use ferrax::prelude::*;
/// let f = ferrax::transforms::remat(|x: &Tensor| x.exp());
/// assert_eq!(f(&Tensor::scalar(0.0f32)).item::<f32>(), 1.0);
/// ```
pub fn remat<P: PyTree, O: PyTree>(f: impl Fn(&P) -> O) -> impl Fn(&P) -> O {
    checkpoint(f)
}

/// Stops gradients through every leaf of a pytree (`jax.lax.stop_gradient`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::stop_gradient;
/// let g = grad(|x: &Tensor| (x * stop_gradient(x)).sum())(&Tensor::from_vec(vec![3.0f32], &[1]));
/// assert_eq!(g.to_vec::<f32>(), vec![3.0]);
/// ```
pub fn stop_gradient<P: PyTree>(x: &P) -> P {
    let def = x.treedef();
    let leaves = x
        .leaves()
        .iter()
        .map(|t| {
            if t.dtype().is_inexact() {
                crate::prims::lax::stop_gradient(t)
            } else {
                t.clone()
            }
        })
        .collect();
    P::unflatten(&def, leaves)
}

/// The transpose of a linear function (`jax.linear_transpose`): `example` fixes the input
/// structure and types. Panics if `f` is not linear in its input.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::linear_transpose;
/// let x = Tensor::zeros(&[2], DType::F32);
/// let ft = linear_transpose(|x: &Tensor| x.broadcast_to(&[3, 2]) * 2.0, &x);
/// assert_eq!(ft(&Tensor::ones(&[3, 2], DType::F32)).to_vec::<f32>(), vec![6.0, 6.0]);
/// ```
pub fn linear_transpose<P: PyTree, O: PyTree, F: FnOnce(&P) -> O>(
    f: F,
    example: &P,
) -> impl Fn(&O) -> P + use<P, O, F> {
    let def = example.treedef();
    let avals: Vec<Aval> = example.leaves().iter().map(|t| t.aval()).collect();
    let trace = StagingTrace::new_partial();
    let args: Vec<Tensor> = avals.iter().map(|a| trace.new_arg(a.clone())).collect();
    let dyn_trace: Rc<dyn Trace> = trace.clone();
    let out = with_trace(Some(dyn_trace), || f(&P::unflatten(&def, args)));
    let out_def = out.treedef();
    let jaxpr = trace.finish(&out.leaves());
    move |ct: &O| {
        let ct_def = ct.treedef();
        check_structure("linear_transpose cotangent", &ct_def, &out_def);
        let cts: Vec<Option<Tensor>> = ct.leaves().into_iter().map(Some).collect();
        let in_cts = backward_pass(&jaxpr.jaxpr, &jaxpr.consts, &cts);
        let leaves = in_cts
            .into_iter()
            .zip(&avals)
            .map(|(c, a)| c.unwrap_or_else(|| zeros_of(a)))
            .collect();
        P::unflatten(&def, leaves)
    }
}
