//! Jaxpr evaluation. [`Program`] is the compiled form `jit` runs (liveness, buffer reuse,
//! fused elementwise groups, two cores for large independent work); `eval_jaxpr` (from the core) binds every equation through the current trace.

pub mod fused;
mod inplace;
mod program;

pub use program::Program;

pub use crate::core::{eval_closed, eval_jaxpr};
