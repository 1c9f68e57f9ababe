//! The core: abstract values, the trace mechanism, the jaxpr IR, its printer and type
//! checker, and the staging trace behind `make_jaxpr`.

mod aval;
mod check;
mod eval;
mod jaxpr;
pub(crate) mod nan_check;
mod primitive;
mod printer;
pub(crate) mod staging;
pub(crate) mod trace;

pub use aval::{Aval, Shape};
pub use check::check_jaxpr;
pub use eval::{eval_closed, eval_jaxpr};
pub use jaxpr::{Atom, ClosedJaxpr, Eqn, Jaxpr, Var};
pub(crate) use primitive::eval_with_tensors;
pub use primitive::{
    ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules, Primitive,
    SubJaxpr,
};
pub use printer::{jaxpr_html, literal_text, pp_jaxpr};
pub(crate) use staging::FlatFn;
pub use staging::{eval_shape, make_jaxpr, trace_to_jaxpr, OutputShapes};
// The trace machinery is crate-internal; `ferrax::internals::trace` re-exports it, unstable.
pub(crate) use staging::StagingTrace;
pub(crate) use trace::{
    bind, bind1, concrete_value_error, current_trace, new_trace_id, with_trace, Avals, Outputs,
    Trace, TraceId, Tracer,
};
