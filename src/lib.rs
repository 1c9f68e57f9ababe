//! # ferrax: JAX for Rust
//!
//! Pure functions over [`Tensor`]s and pytrees of tensors, transformed by composable
//! combinators. Every transformation traces into a jaxpr that prints like JAX's.
//!
//! ```
//! use ferrax::prelude::*;
//! let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
//! let f = |x: &Tensor| (x.sin() * x).sum();
//! println!("{}", make_jaxpr(f)(&x));
//! assert_eq!(f(&x).shape(), &[] as &[usize]);
//! ```

extern crate self as ferrax;

/// `From` conversions that wrap a value in one variant of an enum, one impl per source type:
/// `from_variant!(Bound::Int, |v| i32 => v as i64, usize => v as i64)`. The argument enums of
/// the public API (loop bounds, learning rates, vmap axes) accept several spellings of the
/// same value this way. Defined before the modules, so every module may use it.
macro_rules! from_variant {
    ($enum:ident :: $variant:ident, |$v:ident| $($from:ty => $wrap:expr),+ $(,)?) => {
        $(impl From<$from> for $enum {
            fn from($v: $from) -> Self {
                $enum::$variant($wrap)
            }
        })+
    };
}

pub mod core;
pub mod data;
pub mod debug;
#[cfg(feature = "mpi")]
pub mod dist;
#[cfg(feature = "export")]
pub mod export;
#[cfg(feature = "fft")]
pub mod fft;
pub mod internals;
pub mod lax;
#[cfg(feature = "linalg")]
pub mod linalg;
pub mod losses;
pub mod models;
pub mod nn;
pub mod numpy;
pub mod optim;
#[cfg(feature = "plot")]
pub mod plot;
pub mod random;
pub mod runtime;
/// `jax.scipy`'s twins: `scipy::special` (special functions) and `scipy::stats` (distributions).
pub mod scipy;
pub mod tensor;
pub mod test_util;
#[cfg(feature = "train")]
pub mod train;
pub mod transforms;
pub mod tree;

// The machinery under the public API: crate-internal, re-exported (unstable) by `internals`.
pub(crate) mod control_flow;
pub(crate) mod interp;
pub(crate) mod interpreters;
pub(crate) mod kernels;
pub(crate) mod ops;
pub(crate) mod passes;
pub(crate) mod prims;
pub(crate) use tensor::{dispatch_array, dispatch_base_array, dispatch_dtype, dispatch_wide_array};

pub use crate::core::{eval_shape, make_jaxpr};
pub use crate::prims::callback::pure_callback;
/// `#[derive(PyTree)]`: see [`tree`].
pub use ferrax_derive::PyTree;
pub use tensor::{DType, Tensor};
pub use transforms::{
    checkpoint, custom_jvp, custom_vjp, grad, grad_with_aux, hessian, jacfwd, jacrev, jit, jvp,
    linear_transpose, linearize, remat, stop_gradient, value_and_grad, value_and_grad_with_aux,
    vjp, vmap, vmap_with, AxisSpec, Function, VmapSpec,
};
pub use tree::PyTree;

/// The names most programs need: `use ferrax::prelude::*;`.
pub mod prelude {
    pub use crate::core::{make_jaxpr, ClosedJaxpr, Jaxpr};
    /// The two traits a training program calls through: a layer's `forward` and an
    /// optimizer's `init`/`update`.
    pub use crate::nn::Module;
    pub use crate::optim::GradientTransformation;
    pub use crate::tensor::{DType, Scalar, Tensor};
    pub use crate::transforms::{
        checkpoint, custom_jvp, custom_vjp, grad, grad_with_aux, hessian, jacfwd, jacrev, jit, jvp,
        linear_transpose, linearize, remat, stop_gradient, value_and_grad, value_and_grad_with_aux,
        vjp, vmap, vmap_with, AxisSpec, Function, VmapSpec,
    };
    pub use crate::tree::PyTree;
    pub use ferrax_derive::PyTree;
}

/// The README's code runs as a doc test, so the tour stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
