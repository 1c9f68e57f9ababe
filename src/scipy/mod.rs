//! `ferrax::scipy`, the twin of `jax.scipy`: [`special`] (special functions) and [`stats`]
//! (distributions' densities and distribution functions).
//!
//! Every function is a composition of `ferrax::lax` and `ferrax::numpy` ops, as JAX writes
//! them (same algorithms, same constants, same custom derivatives), so `grad`, `vmap` and
//! `jit` apply and nothing new is compiled per dtype. Inputs are promoted as `jax.numpy`
//! promotes them: integer and bool operands become f32; f32 and f64 are computed in their own
//! precision.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::scipy::{special, stats};
//! let x = Tensor::from_vec(vec![-1.0f64, 0.0, 2.0], &[3]);
//! let p = stats::norm::cdf(&x, 0.0, 1.0).to_vec::<f64>();
//! assert!((p[1] - 0.5).abs() < 1e-15);
//! let q = special::ndtri(&Tensor::from_vec(p, &[3])).to_vec::<f64>();
//! assert!((q[2] - 2.0).abs() < 1e-12);
//! ```

pub mod special;
pub mod stats;
