//! The transformation interpreters (JAX's `interpreters/`): forward mode (`jvp`),
//! `linearize` (primal now, tangent staged), transposition (`backward_pass`), reverse mode and
//! the Jacobian helpers (`grad`, `vjp`, `jacfwd`, `jacrev`, `hessian`), batching (`vmap`), and
//! the jaxpr-level transforms the control-flow primitives build on (`closure_convert`,
//! `convert_constvars`, linearize/batch/transpose a closed jaxpr). Each works by running the
//! user's function (or a jaxpr) under a trace, through the primitives' rules; none knows a
//! primitive family. The public names are re-exported by `ferrax::transforms`.

mod grad;
mod jaxpr_transforms;
mod jvp;
mod linearize;
mod transpose;
mod vmap;

pub use grad::{
    grad, grad_with, grad_with_aux, hessian, jacfwd, jacfwd_with, jacrev, jacrev_with,
    value_and_grad, value_and_grad_with_aux, vjp, GradOptions,
};
pub(crate) use jaxpr_transforms::{
    batch_jaxpr, closure_convert, convert_constvars, linearize_jaxpr_nz, vmap_leaves,
};
pub use jaxpr_transforms::{jvp_jaxpr, linearize_jaxpr, transpose_jaxpr, LinearizedJaxpr};
pub use jvp::jvp;
pub(crate) use jvp::{jvp_flat, jvp_inlined, zeros_like, zeros_of};
pub(crate) use linearize::linearize_flat;
pub use linearize::{linearize, LinearJaxpr};
pub use transpose::backward_pass;
pub use vmap::{vmap, vmap_with, AxisSpec, VmapSpec};
