//! Direct linearization: run the function under a Jvp trace whose rules bind under a
//! partial-evaluation staging trace. Primal ops run now (at the caller's trace); tangent ops
//! are recorded into a linear jaxpr whose constvars are the residuals the tangent computation
//! reads. The linear jaxpr can be evaluated (forward mode, reusable) or transposed (reverse).

use super::jvp::{zeros_like, JvpTrace};
use crate::core::eval_jaxpr;
use crate::core::{with_trace, Aval, ClosedJaxpr, StagingTrace, Trace};
use crate::tensor::Tensor;
use crate::tree::{PyTree, TreeDef};
use std::rc::Rc;

/// The linear part of a function at a point: a jaxpr from input tangents (flattened leaves)
/// to output tangents, closed over its residuals.
#[derive(Clone, Debug)]
pub struct LinearJaxpr {
    /// Tangent inputs → tangent outputs; constvars are residuals.
    pub jaxpr: ClosedJaxpr,
    /// Types of the input leaves (tangents of non-float leaves are not inputs).
    pub in_avals: Vec<Aval>,
    /// For each input leaf, whether it is differentiable (float) and so a jaxpr input.
    pub in_is_float: Vec<bool>,
    /// Types of the output leaves.
    pub out_avals: Vec<Aval>,
}

impl LinearJaxpr {
    /// Evaluates the linear map on flattened input tangents (one per input leaf; tangents of
    /// non-float leaves are ignored).
    #[track_caller]
    pub fn apply(&self, tangents: &[Tensor]) -> Vec<Tensor> {
        assert_eq!(
            tangents.len(),
            self.in_avals.len(),
            "linear function: expected {} tangents, got {}",
            self.in_avals.len(),
            tangents.len()
        );
        let args: Vec<Tensor> = tangents
            .iter()
            .zip(&self.in_is_float)
            .filter(|(_, f)| **f)
            .map(|(t, _)| t.clone())
            .collect();
        eval_jaxpr(&self.jaxpr.jaxpr, &self.jaxpr.consts, &args)
    }
}

/// Linearizes `f` at the flattened inputs `xs`: returns the primal outputs (flattened) and
/// the linear jaxpr.
pub(crate) fn linearize_flat(
    xs: &[Tensor],
    f: impl FnOnce(&[Tensor]) -> Vec<Tensor>,
) -> (Vec<Tensor>, LinearJaxpr) {
    let tangent_trace = StagingTrace::new_partial();
    let in_is_float: Vec<bool> = xs.iter().map(|x| x.dtype().is_inexact()).collect();
    let tangent_args: Vec<Option<Tensor>> = xs
        .iter()
        .map(|x| {
            if x.dtype().is_inexact() {
                Some(tangent_trace.new_arg(x.aval()))
            } else {
                None
            }
        })
        .collect();
    let dyn_tangent: Rc<dyn Trace> = tangent_trace.clone();
    let jvp_trace = with_trace(Some(dyn_tangent.clone()), JvpTrace::new);
    let inputs: Vec<Tensor> = xs
        .iter()
        .zip(tangent_args)
        .map(|(x, t)| jvp_trace.pack(x.clone(), t))
        .collect();
    let dyn_jvp: Rc<dyn Trace> = jvp_trace.clone();
    let outs = with_trace(Some(dyn_jvp), || f(&inputs));
    let (primals, tangents): (Vec<Tensor>, Vec<Tensor>) = outs
        .iter()
        .map(|y| {
            let (p, t) = jvp_trace.unpack(y);
            // A zero tangent becomes explicit zeros; built under the partial trace it is a
            // known value (computed now) returned as a constant of the linear jaxpr.
            let t = t.unwrap_or_else(|| with_trace(Some(dyn_tangent.clone()), || zeros_like(&p)));
            (p, t)
        })
        .unzip();
    let jaxpr = tangent_trace.finish(&tangents);
    let lin = LinearJaxpr {
        jaxpr,
        in_avals: xs.iter().map(|x| x.aval()).collect(),
        in_is_float,
        out_avals: primals.iter().map(|p| p.aval()).collect(),
    };
    (primals, lin)
}

/// Linearizes a pytree function: its output, the linear jaxpr, and the input and output
/// structures.
pub(crate) fn linearize_tree<P: PyTree, O: PyTree>(
    f: impl FnOnce(&P) -> O,
    x: &P,
) -> (O, LinearJaxpr, TreeDef, TreeDef) {
    let def = x.treedef();
    let mut out_def: Option<TreeDef> = None;
    let (ys, lin) = linearize_flat(&x.leaves(), |leaves| {
        let out = f(&P::unflatten(&def, leaves.to_vec()));
        out_def = Some(out.treedef());
        out.leaves()
    });
    let out_def = out_def.expect("function was called");
    (O::unflatten(&out_def, ys), lin, def, out_def)
}

/// The leaves of `t`, a (co)tangent handed to a linear function, after checking it has the
/// structure `def` of the value it pairs with; the panic reads "`{what}` structure ... differs
/// from `{whose}` ...".
#[track_caller]
pub(crate) fn leaves_shaped_like<T: PyTree>(
    t: &T,
    def: &TreeDef,
    what: &str,
    whose: &str,
) -> Vec<Tensor> {
    let got = t.treedef();
    assert!(
        got == *def,
        "{what} structure {got} differs from {whose} {def}"
    );
    t.leaves()
}

/// Evaluates `f` at `x` and returns its output with a reusable linear function: the
/// Jacobian-vector product at `x` (`jax.linearize`). The primal computation runs once; the
/// linear function replays only the tangent operations, reading the saved residuals.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32, 1.0], &[2]);
/// let (y, f_lin) = linearize(|x: &Tensor| x.sin() * 3.0, &x);
/// let dy = f_lin(&Tensor::ones(&[2], DType::F32));
/// assert_eq!(dy.to_vec::<f32>(), vec![3.0, 3.0 * 1.0f32.cos()]);
/// assert_eq!(y.shape(), &[2]);
/// ```
#[track_caller]
pub fn linearize<P: PyTree, O: PyTree, F: FnOnce(&P) -> O>(
    f: F,
    x: &P,
) -> (O, impl Fn(&P) -> O + use<P, O, F>) {
    let (y, lin, def, out_def) = linearize_tree(f, x);
    let apply = move |t: &P| {
        let ts = leaves_shaped_like(t, &def, "linearized function: tangent", "the primal's");
        O::unflatten(&out_def, lin.apply(&ts))
    };
    (y, apply)
}
