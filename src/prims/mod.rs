//! The primitive set. Each family file declares its primitives (an enum whose variants carry
//! their params) and implements [`PrimRules`] for it: name, printed params, shape/dtype rule,
//! concrete evaluation, derivative and batching rules side by side. Higher-order families
//! (calls, `cond`, loops) also report and replace their sub-jaxprs, so passes, the checker
//! and analyses walk them without knowing the families. Adding a primitive touches only its
//! family file (and one line each in [`Prim`] and `delegate!`).

pub mod binary;
pub mod bits;
pub mod collective;
pub mod conv;
pub mod cumulative;
pub mod dot;
pub mod elementwise;
pub mod index;
pub mod reduce;
pub mod shape;
pub mod sort;
pub mod unary;
pub(crate) mod util;
pub mod window;

pub use binary::BinaryOp;
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
pub use crate::core::{ArrayOutputs, BatchAxis, LinearArg, Param, Prim, PrimRules};

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
