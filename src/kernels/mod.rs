//! The arithmetic behind the primitives' `eval` rules, where it is more than a one-line map:
//! gemm-backed matrix products and (later) chunked SIMD elementwise loops and reductions.

pub mod adam;
pub mod conv;
pub mod elementwise;
#[cfg(feature = "fft")]
pub mod fft;
#[cfg(feature = "linalg")]
pub mod linalg;
#[cfg(feature = "linalg")]
pub mod linalg_eig;
#[cfg(feature = "linalg")]
pub mod linalg_lu;
pub mod matmul;
pub mod parallel;
pub mod pool;
pub mod reduce;
mod rhs_layout;
pub mod simd;
mod unary_simd;
mod vmath;
pub mod window;
pub(crate) mod xla_math;
