//! Function transformations. Each works by running the user's function under a trace:
//! `jvp` (forward mode), `linearize` (forward mode with the primal computed once),
//! `vjp`/`grad` (linearize, then transpose the linear jaxpr), and the Jacobian helpers.

mod custom;
mod grad;
mod jvp;
mod linearize;
mod transpose;
mod vmap;

pub use custom::{checkpoint, custom_jvp, custom_vjp, linear_transpose, remat, stop_gradient};
pub use grad::{
    grad, grad_with_aux, hessian, jacfwd, jacrev, value_and_grad, value_and_grad_with_aux, vjp,
};
pub use jvp::jvp;
pub(crate) use jvp::{jvp_flat, zeros_like, zeros_of};
pub(crate) use linearize::linearize_flat;
pub use linearize::{linearize, LinearJaxpr};
pub use transpose::backward_pass;
pub use vmap::{vmap, vmap_with, AxisSpec, VmapSpec};
