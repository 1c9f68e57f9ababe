//! The primitive set. Each family file declares its primitives (an enum whose variants carry
//! their params) and implements [`PrimRules`] for it: name, printed params, shape/dtype rule
//! and concrete evaluation side by side (derivative and batching rules join them later).
//! Adding a primitive touches only its family file.

pub mod binary;
pub mod conv;
pub mod cumulative;
pub mod dot;
pub mod elementwise;
pub mod index;
pub mod reduce;
pub mod shape;
pub mod sort;
pub mod unary;
pub mod window;
pub(crate) mod util;

use crate::core::{Aval, Avals, Jaxpr};
use crate::tensor::ArrayData;
use smallvec::SmallVec;
use std::sync::Arc;

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

/// Concrete outputs of a primitive's kernel.
pub type ArrayOutputs = SmallVec<[ArrayData; 1]>;

/// A param value as the jaxpr printer shows it.
#[derive(Clone, Debug)]
pub enum Param {
    /// Printed verbatim (already in Python's repr style: `(0, 1)`, `None`, `float32`).
    Text(String),
    /// A sub-jaxpr, printed inline.
    Jaxpr(Arc<Jaxpr>),
    /// A tuple of sub-jaxprs (`branches=(...)`).
    Jaxprs(Vec<Arc<Jaxpr>>),
}

/// The rules every primitive provides.
pub trait PrimRules {
    /// JAX's primitive name, as printed in jaxprs.
    fn name(&self) -> &'static str;
    /// Params to print, as `(key, value)`; the printer sorts them by key.
    fn params(&self) -> Vec<(&'static str, Param)> {
        Vec::new()
    }
    /// Output shapes and dtypes, or a message saying what is wrong with the operands.
    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String>;
    /// Evaluates on concrete arrays; `out_avals` is what `abstract_eval` returned.
    fn eval(&self, inputs: &[&ArrayData], out_avals: &[Aval]) -> ArrayOutputs;
}

/// A primitive with its params. Cheap to clone, comparable and hashable (jit cache keys
/// and common-subexpression elimination use this).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Prim {
    Unary(UnaryOp),
    Binary(BinaryOp),
    Elementwise(ElementwiseOp),
    Reduce(ReduceOp),
    Cumulative(CumulativeOp),
    Shape(ShapeOp),
    Index(IndexOp),
    Sort(Sort),
    Dot(DotGeneral),
    Conv(ConvGeneralDilated),
    Window(ReduceWindow),
}

macro_rules! delegate {
    ($self:ident, $p:ident => $e:expr) => {
        match $self {
            Prim::Unary($p) => $e,
            Prim::Binary($p) => $e,
            Prim::Elementwise($p) => $e,
            Prim::Reduce($p) => $e,
            Prim::Cumulative($p) => $e,
            Prim::Shape($p) => $e,
            Prim::Index($p) => $e,
            Prim::Sort($p) => $e,
            Prim::Dot($p) => $e,
            Prim::Conv($p) => $e,
            Prim::Window($p) => $e,
        }
    };
}

impl PrimRules for Prim {
    fn name(&self) -> &'static str {
        delegate!(self, p => p.name())
    }
    fn params(&self) -> Vec<(&'static str, Param)> {
        delegate!(self, p => p.params())
    }
    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        delegate!(self, p => p.abstract_eval(inputs))
    }
    fn eval(&self, inputs: &[&ArrayData], out_avals: &[Aval]) -> ArrayOutputs {
        delegate!(self, p => p.eval(inputs, out_avals))
    }
}

impl std::fmt::Display for Prim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
