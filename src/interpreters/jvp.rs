//! Forward mode: the Jvp trace carries (primal, tangent) pairs, with `None` as a symbolic zero
//! tangent, and applies each primitive's JVP rule under its parent trace.

use crate::core::{
    bind, current_trace, new_trace_id, with_trace, Avals, Outputs, Trace, TraceId, Tracer,
};
use crate::prims::Prim;
use crate::tensor::Tensor;
use crate::tree::PyTree;
use std::cell::RefCell;
use std::rc::Rc;

/// The forward-mode trace. Rules run under `parent`: for `jvp` that is the caller's trace;
/// for `linearize` it is a partial-evaluation staging trace that computes primal ops now and
/// records tangent ops.
pub(crate) struct JvpTrace {
    id: TraceId,
    parent: Option<Rc<dyn Trace>>,
    pairs: RefCell<Vec<(Tensor, Option<Tensor>)>>,
}

impl JvpTrace {
    /// A new Jvp trace whose rules bind under the current trace.
    pub(crate) fn new() -> Rc<JvpTrace> {
        Rc::new(JvpTrace {
            id: new_trace_id(),
            parent: current_trace(),
            pairs: RefCell::default(),
        })
    }

    /// A tracer for `(primal, tangent)`; with a zero tangent the primal itself is returned,
    /// since a constant is what this trace sees a zero-tangent value as.
    pub(crate) fn pack(&self, primal: Tensor, tangent: Option<Tensor>) -> Tensor {
        match tangent {
            None => primal,
            Some(t) => {
                let aval = primal.aval();
                let mut pairs = self.pairs.borrow_mut();
                pairs.push((primal, Some(t)));
                Tensor::from_tracer(Tracer {
                    trace: self.id,
                    id: pairs.len() as u32 - 1,
                    aval,
                })
            }
        }
    }

    /// The (primal, tangent) of `x`: its payload if it is this trace's tracer, else a
    /// constant with a zero tangent.
    pub(crate) fn unpack(&self, x: &Tensor) -> (Tensor, Option<Tensor>) {
        match x.tracer() {
            Some(t) if t.trace == self.id => self.pairs.borrow()[t.id as usize].clone(),
            _ => (x.clone(), None),
        }
    }
}

impl Trace for JvpTrace {
    crate::core::trace::trace_id_and_parent!();

    fn process_primitive(&self, prim: &Prim, inputs: &[Tensor], _out_avals: Avals) -> Outputs {
        let (primals, tangents): (Vec<Tensor>, Vec<Option<Tensor>>) =
            inputs.iter().map(|x| self.unpack(x)).unzip();
        if tangents.iter().all(Option::is_none) {
            return with_trace(self.parent.clone(), || bind(prim, &primals));
        }
        let (outs, out_tangents) =
            with_trace(self.parent.clone(), || prim.jvp(&primals, &tangents));
        debug_assert_eq!(
            outs.len(),
            out_tangents.len(),
            "{}: jvp rule output count",
            prim.name()
        );
        outs.into_iter()
            .zip(out_tangents)
            .map(|(p, t)| self.pack(p, t))
            .collect()
    }

    fn name(&self) -> &'static str {
        "jvp"
    }
}

pub(crate) use crate::prims::util::{zeros as zeros_of, zeros_like};

/// The JVP rule of a primitive that means "run `f` on the operands" (a call evaluated by
/// inlining its body): `f` under forward mode, zero tangents made explicit, every output
/// tangent given.
pub(crate) fn jvp_inlined(
    primals: &[Tensor],
    tangents: &[Option<Tensor>],
    f: impl FnOnce(&[Tensor]) -> Vec<Tensor>,
) -> (crate::core::Outputs, Vec<Option<Tensor>>) {
    let ts = crate::prims::util::instantiate_all(tangents, primals);
    let (outs, touts) = jvp_flat(primals, &ts, f);
    (outs.into(), touts.into_iter().map(Some).collect())
}

/// Forward mode on flattened leaves: outputs and output tangents (explicit zeros where the
/// tangent is symbolically zero). Tangents of non-float inputs are ignored.
pub(crate) fn jvp_flat(
    xs: &[Tensor],
    ts: &[Tensor],
    f: impl FnOnce(&[Tensor]) -> Vec<Tensor>,
) -> (Vec<Tensor>, Vec<Tensor>) {
    let trace = JvpTrace::new();
    let inputs: Vec<Tensor> = xs
        .iter()
        .zip(ts)
        .map(|(x, t)| {
            if x.dtype().is_inexact() {
                trace.pack(x.clone(), Some(t.clone()))
            } else {
                x.clone()
            }
        })
        .collect();
    let dyn_trace: Rc<dyn Trace> = trace.clone();
    let outs = with_trace(Some(dyn_trace), || f(&inputs));
    outs.iter()
        .map(|y| {
            let (p, t) = trace.unpack(y);
            let t = t.unwrap_or_else(|| zeros_like(&p));
            (p, t)
        })
        .unzip()
}

/// Runs `f` on `primals` with forward-mode tangents; returns the outputs and their tangents
/// (the directional derivative along `tangents`), as `jax.jvp`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32, 1.0], &[2]);
/// let t = Tensor::ones(&[2], DType::F32);
/// let (y, dy) = jvp(|x: &Tensor| x.sin(), &x, &t);
/// assert_eq!(dy.to_vec::<f32>(), vec![1.0, 1.0f32.cos()]);
/// assert_eq!(y.to_vec::<f32>(), vec![0.0, 1.0f32.sin()]);
/// ```
#[track_caller]
pub fn jvp<P: PyTree, O: PyTree>(f: impl FnOnce(&P) -> O, primals: &P, tangents: &P) -> (O, O) {
    let def = primals.treedef();
    assert!(
        tangents.treedef() == def,
        "jvp: primals and tangents differ in structure: {} vs {}",
        def,
        tangents.treedef()
    );
    let (xs, ts) = (primals.leaves(), tangents.leaves());
    for (i, (x, t)) in xs.iter().zip(&ts).enumerate() {
        assert!(
            x.shape() == t.shape() && x.dtype() == t.dtype(),
            "jvp: tangent {i} has type {} but its primal has type {}",
            t.aval(),
            x.aval()
        );
    }
    let mut out_def = None;
    let (ys, dys) = jvp_flat(&xs, &ts, |leaves| {
        let out = f(&P::unflatten(&def, leaves.to_vec()));
        out_def = Some(out.treedef());
        out.leaves()
    });
    let out_def = out_def.expect("function was called");
    (O::unflatten(&out_def, ys), O::unflatten(&out_def, dys))
}
