//! The current-trace mechanism ("stackless" tracing, as in modern JAX).
//!
//! A thread-local *current trace* decides what an op does. `bind` hands each primitive to it.
//! A trace's rule computes by re-binding ops under its *parent* trace (`with_trace`). With no
//! trace installed, ops evaluate eagerly on concrete data. Tracers are tagged with the id of
//! the trace that made them: a trace treats tracers of its ancestors as constants and reports
//! tracers of any other trace (one that has ended) as escaped.

use super::aval::Aval;
use super::Prim;
use crate::tensor::{ArrayData, Tensor};
use smallvec::SmallVec;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Identifies one trace for its whole life; never reused within a process.
pub type TraceId = u64;

/// The outputs of one primitive application (most primitives have one).
pub type Outputs = SmallVec<[Tensor; 1]>;

/// The avals of a primitive's outputs.
pub type Avals = SmallVec<[Aval; 1]>;

/// A traced value: which trace owns it, its index in that trace's arena, and its aval.
#[derive(Clone, Debug)]
pub struct Tracer {
    /// The owning trace.
    pub trace: TraceId,
    /// Index of the payload in the owning trace's arena.
    pub id: u32,
    /// Shape and dtype.
    pub aval: Aval,
}

/// A transformation's interpretation of primitives.
pub trait Trace {
    /// This trace's id (tracers carry it).
    fn id(&self) -> TraceId;
    /// The trace that was current when this one started; its sub-computations bind there.
    fn parent(&self) -> Option<&Rc<dyn Trace>>;
    /// Applies `prim` to `inputs`, which are this trace's tracers, its ancestors' tracers or
    /// concrete tensors. `out_avals` are the (already checked) output types.
    fn process_primitive(&self, prim: &Prim, inputs: &[Tensor], out_avals: Avals) -> Outputs;
    /// A short name for messages (`"make_jaxpr"`, `"jvp"`, ...).
    fn name(&self) -> &'static str;
}

/// [`Trace::id`] and [`Trace::parent`] for a trace struct with the fields `id: TraceId` and
/// `parent: Option<Rc<dyn Trace>>`, as every trace has: write it first in the `impl Trace`.
macro_rules! trace_id_and_parent {
    () => {
        fn id(&self) -> $crate::core::trace::TraceId {
            self.id
        }

        fn parent(&self) -> Option<&std::rc::Rc<dyn $crate::core::trace::Trace>> {
            self.parent.as_ref()
        }
    };
}
pub(crate) use trace_id_and_parent;

thread_local! {
    static CURRENT: RefCell<Option<Rc<dyn Trace>>> = const { RefCell::new(None) };
}

/// The next trace id, shared by every thread: a tracer that leaks to another thread can never
/// match one of that thread's traces, so it is reported as escaped instead of silently
/// resolving to an unrelated variable.
static NEXT_TRACE_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh trace id, unique in the process.
pub fn new_trace_id() -> TraceId {
    NEXT_TRACE_ID.fetch_add(1, Ordering::Relaxed)
}

/// The current trace (`None` means eager evaluation).
pub fn current_trace() -> Option<Rc<dyn Trace>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// True when no trace is current, so ops evaluate eagerly: [`current_trace`]`().is_none()`
/// without cloning the trace, for the eager fast paths.
#[inline]
pub(crate) fn is_eager() -> bool {
    CURRENT.with(|c| c.borrow().is_none())
}

/// Runs `f` with `trace` installed as the current trace, restoring the previous one after
/// (also when `f` panics).
pub fn with_trace<R>(trace: Option<Rc<dyn Trace>>, f: impl FnOnce() -> R) -> R {
    // The swap and the restore are not generic: only the call of `f` is instantiated per
    // caller (this function has hundreds of callers; the crate's compile time).
    let _restore = install_trace(trace);
    f()
}

/// Puts the previous current trace back when dropped.
struct RestoreTrace(Option<Rc<dyn Trace>>);

impl Drop for RestoreTrace {
    fn drop(&mut self) {
        let prev = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = prev);
    }
}

/// Installs `trace` as the current trace until the returned guard drops.
fn install_trace(trace: Option<Rc<dyn Trace>>) -> RestoreTrace {
    RestoreTrace(CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), trace)))
}

/// True if the trace `id` is `trace` itself or one of its ancestors.
pub fn is_live_in(trace: &dyn Trace, id: TraceId) -> bool {
    if trace.id() == id {
        return true;
    }
    let mut t = trace.parent();
    while let Some(p) = t {
        if p.id() == id {
            return true;
        }
        t = p.parent();
    }
    false
}

/// Applies a primitive through the current trace. The shape/dtype rule runs first, so a
/// mismatch panics here naming the primitive, the operand types and the caller's line.
#[track_caller]
pub fn bind(prim: &Prim, inputs: &[Tensor]) -> Outputs {
    match current_trace() {
        None => {
            // No trace is active on this thread, so any tracer here has escaped its
            // transformation (or was sent from another thread).
            if let Some(t) = inputs.iter().find_map(Tensor::tracer) {
                escaped_tracer_error(t, "eager evaluation");
            }
            // (`match`, not a closure: `#[track_caller]` does not reach into closures.)
            let outs = match prim.eval_eager(inputs) {
                Some(outs) => outs,
                None => {
                    let out_avals = abstract_eval(prim, inputs);
                    Outputs::from_iter(
                        eval_concrete(prim, inputs, &out_avals)
                            .into_iter()
                            .map(Tensor::from_array),
                    )
                }
            };
            super::nan_check::check_eager(prim, inputs, &outs);
            outs
        }
        Some(trace) => {
            let out_avals = abstract_eval(prim, inputs);
            for x in inputs {
                if let Some(t) = x.tracer()
                    && !is_live_in(&*trace, t.trace)
                {
                    escaped_tracer_error(t, trace.name());
                }
            }
            let _user_line = super::nan_check::note_user_line();
            trace.process_primitive(prim, inputs, out_avals)
        }
    }
}

/// Binds a single-output primitive.
#[track_caller]
pub fn bind1(prim: &Prim, inputs: &[Tensor]) -> Tensor {
    let mut outs = bind(prim, inputs);
    debug_assert_eq!(outs.len(), 1, "{} has one output", prim.name());
    outs.swap_remove(0)
}

/// Runs the shape/dtype rule, panicking with a clear message on error.
#[track_caller]
pub fn abstract_eval(prim: &Prim, inputs: &[Tensor]) -> Avals {
    let in_avals: SmallVec<[Aval; 3]> = inputs.iter().map(|t| t.aval()).collect();
    match prim.abstract_eval(&in_avals) {
        Ok(avals) => avals,
        Err(msg) => {
            let types: Vec<String> = in_avals.iter().map(|a| a.to_string()).collect();
            panic!("{}: {} (operands: {})", prim.name(), msg, types.join(", "))
        }
    }
}

/// Evaluates a primitive on concrete inputs with its kernel.
#[track_caller]
pub fn eval_concrete(
    prim: &Prim,
    inputs: &[Tensor],
    out_avals: &[Aval],
) -> SmallVec<[ArrayData; 1]> {
    let arrays: SmallVec<[&ArrayData; 3]> = inputs
        .iter()
        .map(|t| match t.try_array() {
            Some(a) => a,
            None => escaped_tracer_error(t.tracer().expect("not concrete"), "eager evaluation"),
        })
        .collect();
    prim.eval(&arrays, out_avals)
}

/// Panics for a tracer that outlived (or leaked out of) the transformation that made it.
#[track_caller]
pub fn escaped_tracer_error(t: &Tracer, context: &str) -> ! {
    panic!(
        "escaped tracer: a traced value {} (trace #{}) was used in {} after the transformation \
         that created it had finished, or outside it. Return traced values from the transformed \
         function instead of storing them in captured state.",
        t.aval, t.trace, context
    )
}

/// Panics for a tracer used where a concrete value is needed: inside the transformation that
/// owns it, values are not known yet; anywhere else (after it ended, or on another thread) the
/// tracer has escaped, and [`escaped_tracer_error`] says so.
#[track_caller]
pub fn concrete_value_error(t: &Tracer) -> ! {
    if !current_trace().is_some_and(|trace| is_live_in(&*trace, t.trace)) {
        escaped_tracer_error(t, "a read of its values (`to_vec`, `item`, ...)");
    }
    panic!(
        "concrete value needed: this tensor is a tracer ({}) inside a transformation, so its \
         values are not known yet (e.g. `item()`/`to_vec()` inside `make_jaxpr`, `jit` or `grad`). \
         Compute with tensor ops instead, use `lax::cond`/`lax::select` for data-dependent \
         choices, or move the read outside the transformed function.",
        t.aval
    )
}
