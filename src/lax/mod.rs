//! `ferrax::lax`: one function per primitive, with JAX's lax semantics: exact dtypes, explicit
//! shapes, no implicit broadcasting beyond what the primitive itself allows. The numpy-style
//! layer (`crate::numpy`, tensor methods and operators) is built on these.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::lax;
//! let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
//! let y = lax::transpose(&lax::exp(&x), &[1, 0]);
//! assert_eq!(y.shape(), &[2, 2]);
//! ```

// The first-order functions live beside their primitives' rules in `prims/<family>`
// (listed once in `prims::lax`); control flow and the `Tensor` methods live here.
mod methods;

pub use crate::control_flow::cond::{cond, switch};
pub use crate::control_flow::linear_solve::{custom_linear_solve, Solver};
pub use crate::control_flow::loops::functions::*;
pub use crate::prims::lax::*;
