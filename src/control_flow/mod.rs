//! Higher-order primitives: equations that run sub-jaxprs (as JAX's `lax/control_flow` and
//! `pjit`). `call` (jit calls, custom-derivative calls, `checkpoint`), `cond`, and the loops
//! (`scan`, `while`), each with every rule beside it; `jit` (tracing, the signature cache,
//! compiling with the passes and running the interpreter) and the custom-derivative API
//! (`custom_jvp`, `custom_vjp`, `checkpoint`, `stop_gradient`) that build those equations.
//!
//! This layer sits above the interpreters (its rules run `jvp`, `vmap`, linearize and
//! transpose on sub-jaxprs), the passes and the compiled interpreter (`jit` uses both); the
//! public entry points are re-exported by `ferrax::transforms` and `ferrax::lax`.

pub mod call;
pub mod cond;
mod custom;
mod jit;
pub mod linear_solve;
pub mod loops;

pub use call::CallOp;
pub use custom::{checkpoint, custom_jvp, custom_vjp, linear_transpose, remat, stop_gradient};
pub use jit::{compile_log_message, jit, jit_jaxpr, jit_with, JitOptions, Jitted, Signature};
