//! First-order primitives and the kernels under them: values against plain-Rust references,
//! dtypes, error messages, kernel accuracy and soundness, the numpy layer. One binary for the
//! former `prims_*`, `op_errors`, `kernels_*`, `cnn_kernels` and `numpy_layer` test files.

#[path = "../common/mod.rs"]
mod common;

mod bits;
mod cnn_kernels;
mod dot_conv;
mod dtypes;
mod dtypes_ad;
mod dtypes_ops;
mod einsum;
mod elementwise;
#[cfg(feature = "fft")]
mod fft_coverage;
#[cfg(feature = "fft")]
mod fft_golden;
#[cfg(feature = "fft")]
mod fft_transforms;
mod fma;
mod index;
mod indexing;
mod indexing_transforms;
mod kernels_accuracy;
mod kernels_matmul_layouts;
mod kernels_soundness;
mod lax_golden;
mod lax_more;
mod lax_more_numpy;
#[cfg(feature = "linalg")]
mod linalg_coverage;
#[cfg(feature = "linalg")]
mod linalg_eig;
#[cfg(feature = "linalg")]
mod linalg_expm;
#[cfg(feature = "linalg")]
mod linalg_golden;
#[cfg(feature = "linalg")]
mod linalg_gp;
#[cfg(feature = "linalg")]
mod linalg_kernels;
#[cfg(feature = "linalg")]
mod linalg_linear_solve;
#[cfg(feature = "linalg")]
mod linalg_small_lu;
#[cfg(feature = "linalg")]
mod linalg_transforms;
#[cfg(feature = "linalg")]
mod linalg_tridiagonal;
mod numpy_layer;
mod numpy_surface;
mod numpy_surface_2;
mod op_errors;
mod reduce;
mod scipy_coverage;
mod scipy_golden;
mod scipy_transforms;
mod shape;
mod split;
mod xla_math;
