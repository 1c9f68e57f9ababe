//! The primitive set. Each family file declares its primitives (an enum whose variants carry
//! their params) and implements [`PrimRules`] for it: name, printed params, shape/dtype rule,
//! concrete evaluation, derivative and batching rules side by side, together with the
//! user-facing lax function that binds it (as JAX's `lax.py` declares `sin_p` beside
//! `def sin`). Higher-order families (calls, `cond`, loops) also report and replace their
//! sub-jaxprs, so passes, the checker and analyses walk them without knowing the families.
//! Adding a primitive touches only its family file (and the one line naming its lax function
//! in [`lax`]).

pub mod adam;
pub mod binary;
pub mod bits;
pub mod callback;
pub mod collective;
pub mod complex;
pub mod conv;
pub mod cumulative;
pub mod dot;
pub mod elementwise;
#[cfg(feature = "fft")]
pub mod fft;
pub mod fma;
pub mod index;
#[cfg(feature = "linalg")]
pub mod linalg;
pub mod logical_reduce;
pub mod misc;
pub mod reduce;
pub mod rng;
pub mod shape;
pub mod sort;
pub mod special;
pub mod split;
pub mod topk;
pub mod unary;
pub(crate) mod util;
pub mod window;

/// The first-order lax functions, each defined in the family file of the primitive it binds
/// (beside that primitive's rules), listed here once. `ferrax::lax` re-exports this module,
/// and rules inside `prims` call ops through it (`use crate::prims::lax;`), so `prims` needs
/// nothing from the layer above.
pub mod lax {
    pub use super::binary::{
        add, add_any, and, atan2, div, eq, ge, gt, le, lt, max, min, mul, ne, nextafter, or,
        polygamma, pow, rem, sub, xor,
    };
    pub use super::bits::{
        bitcast_convert_type, clz, population_count, shift_left, shift_right_arithmetic,
        shift_right_logical, threefry2x32,
    };
    pub use super::collective::{axis_index, pmax, pmean, pmin, psum};
    pub use super::complex::{complex, conj, imag, real};
    pub use super::conv::{conv_general_dilated, ConvDimensionNumbers, ConvParams};
    pub use super::cumulative::{associative_scan, cummax, cummin, cumprod, cumsum};
    pub use super::dot::{dot_general, DotDimensionNumbers};
    pub use super::elementwise::{clamp, convert_element_type, select_n};
    #[cfg(feature = "fft")]
    pub use crate::prims::fft::{fft, FftType};
    /// The `lax.linalg` functions (JAX's `jax.lax.linalg`): decompositions and triangular
    /// solves, feature `linalg`.
    #[cfg(feature = "linalg")]
    pub mod linalg {
        pub use crate::prims::linalg::cholesky::cholesky;
        pub use crate::prims::linalg::eig::eig;
        pub use crate::prims::linalg::eigh::eigh;
        pub use crate::prims::linalg::lu::lu;
        pub use crate::prims::linalg::qr::qr;
        pub use crate::prims::linalg::svd::{singular_values, svd};
        pub use crate::prims::linalg::triangular_solve::{triangular_solve, TriangularSolve};
        pub use crate::prims::linalg::tridiagonal::tridiagonal_solve;
    }
    pub use super::index::{
        dynamic_slice, dynamic_update_slice, gather, scatter, scatter_add, scatter_general,
        scatter_max, scatter_min, scatter_mul, scatter_sub, GatherDimensionNumbers,
        GatherScatterMode, ScatterDimensionNumbers, ScatterHints, ScatterKind,
    };
    pub use super::logical_reduce::{reduce_and, reduce_or, reduce_xor};
    pub use super::misc::{optimization_barrier, reduce_precision};
    pub use super::reduce::{argmax, argmin, reduce_max, reduce_min, reduce_prod, reduce_sum};
    pub use super::rng::{rng_bit_generator, RandomAlgorithm};
    pub use super::shape::{
        broadcast_in_dim, concatenate, expand_dims, iota, pad, reshape, rev, slice, squeeze,
        transpose,
    };
    pub use super::sort::sort;
    pub use super::special::{igamma, igamma_grad_a, igammac, random_gamma_grad};
    pub use super::split::split;
    pub use super::topk::{top_k, top_k_axis};
    pub use super::unary::{
        abs, acos, acosh, asin, asinh, atan, atanh, cbrt, ceil, copy, cos, cosh, digamma, erf,
        erf_inv, erfc, exp, exp2, expm1, floor, integer_pow, is_finite, lgamma, log, log1p,
        logistic, neg, not, round, rsqrt, sign, sin, sinh, sqrt, square, stop_gradient, tan, tanh,
        RoundingMethod, RoundingMethod as Rounding,
    };
    pub use super::window::{
        reduce_window, select_and_gather_add, select_and_scatter_add, SelectPrim, WindowKind,
    };
}

pub use binary::BinaryOp;
pub use complex::ComplexOp;
pub use conv::ConvGeneralDilated;
pub use cumulative::CumulativeOp;
pub use dot::DotGeneral;
pub use elementwise::ElementwiseOp;
pub use index::IndexOp;
pub use reduce::ReduceOp;
pub use shape::ShapeOp;
pub use sort::Sort;
pub use unary::UnaryOp;
pub use window::ReduceWindow;

// The primitive interface lives in the core (the IR holds primitives through it); the
// families here implement it.
pub use crate::core::{
    ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules,
};

/// An equation's primitive seen as one of the first-order families that code above `prims`
/// treats specially (the interpreter's fast paths, the rewriting passes); every other
/// primitive is `Other`. A view: match on it instead of downcasting family by family.
///
/// ```
/// use ferrax::internals::prims::{family, Family, UnaryOp};
/// use ferrax::prelude::*;
/// let j = make_jaxpr(|x: &Tensor| x.sin())(&Tensor::scalar(1.0f32));
/// assert!(matches!(family(&j.jaxpr.eqns[0].prim), Family::Unary(UnaryOp::Sin)));
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Family<'a> {
    Unary(&'a UnaryOp),
    Binary(&'a BinaryOp),
    Elementwise(&'a ElementwiseOp),
    Reduce(&'a ReduceOp),
    Shape(&'a ShapeOp),
    Dot(&'a DotGeneral),
    Conv(&'a ConvGeneralDilated),
    Other,
}

/// The [`Family`] view of `prim`.
pub fn family(prim: &Prim) -> Family<'_> {
    if let Some(op) = prim.downcast::<UnaryOp>() {
        Family::Unary(op)
    } else if let Some(op) = prim.downcast::<BinaryOp>() {
        Family::Binary(op)
    } else if let Some(op) = prim.downcast::<ElementwiseOp>() {
        Family::Elementwise(op)
    } else if let Some(op) = prim.downcast::<ReduceOp>() {
        Family::Reduce(op)
    } else if let Some(op) = prim.downcast::<ShapeOp>() {
        Family::Shape(op)
    } else if let Some(op) = prim.downcast::<DotGeneral>() {
        Family::Dot(op)
    } else if let Some(op) = prim.downcast::<ConvGeneralDilated>() {
        Family::Conv(op)
    } else {
        Family::Other
    }
}
