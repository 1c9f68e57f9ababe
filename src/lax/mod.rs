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

mod bits;
mod collective;
mod cond;
mod elementwise;
mod loops;
mod methods;
mod scan_ops;
mod structural;
mod window_ops;

pub use crate::prims::conv::ConvDimensionNumbers;
pub use crate::prims::index::{GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers};
pub use crate::prims::unary::RoundingMethod;
pub use crate::prims::window::WindowKind;
pub use bits::*;
pub use collective::*;
pub use cond::*;
pub use elementwise::*;
pub use loops::*;
pub use scan_ops::*;
pub use structural::*;
pub use window_ops::*;
