//! Function transformations.
//!
//! # NaN-safe gradients: the double-`where` pattern
//!
//! `where(c, f(x), y)` differentiates *both* branches and multiplies the unused one's
//! derivative by zero; if that derivative is infinite (`sqrt` at 0, `log` at 0) the product is
//! NaN (jax #1052, #5798). Make the unused branch's *input* safe with an inner `where`:
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::numpy::where_;
//! let x = Tensor::from_vec(vec![0.0f64, 4.0], &[2]);
//! let naive = |x: &Tensor| where_(&x.gt(0.0), x.sqrt(), 0.0).sum();
//! assert!(grad(naive)(&x).to_vec::<f64>()[0].is_nan());
//! let safe = |x: &Tensor| {
//!     let pos = x.gt(0.0);
//!     let safe_x = where_(&pos, x, 1.0); // the sqrt never sees 0
//!     where_(&pos, safe_x.sqrt(), 0.0).sum()
//! };
//! assert_eq!(grad(safe)(&x).to_vec::<f64>(), vec![0.0, 0.25]);
//! ```
//!
//! The library's own `relu`, `sigmoid`, `softmax`, `log_softmax` and `logsumexp` are written
//! so their gradients stay finite at 0, at ±1e30 logits and with `-inf` masked entries.
//! Each works by running the user's function under a trace:
//! `jvp` (forward mode), `linearize` (forward mode with the primal computed once),
//! `vjp`/`grad` (linearize, then transpose the linear jaxpr), and the Jacobian helpers;
//! `vmap` batches, `jit` traces once per signature and runs a compiled program.
//!
//! This module is the public face: the interpreters live in `interpreters/`, `jit` and the
//! custom-derivative rules with the higher-order primitives in `control_flow/`.

pub use crate::control_flow::{
    checkpoint, compile_log_message, custom_jvp, custom_vjp, jit, jit_jaxpr, jit_with,
    linear_transpose, remat, stop_gradient, JitOptions, Jitted, Signature,
};
pub use crate::interpreters::{
    backward_pass, grad, grad_with_aux, hessian, jacfwd, jacrev, jvp, jvp_jaxpr, linearize,
    linearize_jaxpr, transpose_jaxpr, value_and_grad, value_and_grad_with_aux, vjp, vmap,
    vmap_with, AxisSpec, LinearJaxpr, LinearizedJaxpr, VmapSpec,
};
