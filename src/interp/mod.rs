//! Jaxpr evaluation. [`Program`] is the compiled form `jit` runs (liveness, buffer reuse,
//! fused elementwise groups, two cores for large independent work); `eval_jaxpr` (from the core) binds every equation through the current trace.

pub mod fused;
mod inplace;
mod program;
mod scalar;

pub use program::{in_pool_if, Program};
pub use scalar::{Regs, Scalar, ScalarCode};

pub use crate::core::{eval_closed, eval_jaxpr};
