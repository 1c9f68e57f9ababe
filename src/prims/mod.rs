//! The primitive set. Each family file declares its primitives (an enum whose variants carry
//! their params) and implements [`PrimRules`] for it: name, printed params, shape/dtype rule
//! and concrete evaluation side by side (derivative and batching rules join them later).
//! Adding a primitive touches only its family file.

pub mod binary;
pub mod bits;
pub mod call;
pub mod collective;
pub mod cond;
pub mod conv;
pub mod cumulative;
pub mod dot;
pub mod elementwise;
pub mod index;
pub mod loops;
pub mod reduce;
pub mod shape;
pub mod sort;
pub mod unary;
pub(crate) mod util;
pub mod window;

use crate::core::{Aval, Avals, Jaxpr, Outputs};
use crate::tensor::{ArrayData, Tensor};
use smallvec::SmallVec;
use std::sync::Arc;

pub use binary::BinaryOp;
pub use call::CallOp;
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

    /// Direct eager evaluation on tensors, tried before the generic path (shape rule, then
    /// `eval`). Primitives that run sub-programs (calls, control flow) always use it, so their
    /// ops evaluate as usual; elementwise ops use it as a fast path when their operands
    /// already agree, where the check is cheaper than the full shape rule. `None` (the
    /// default) means: take the generic path.
    fn eval_eager(&self, inputs: &[Tensor]) -> Option<Outputs> {
        let _ = inputs;
        None
    }

    /// Forward-mode rule: the primal outputs and their tangents, given primal inputs and
    /// tangents (`None` is a symbolic zero; at least one is `Some`). Written with ops, which
    /// bind under whatever trace is current, so rules compose to any order. Tangent outputs
    /// must be linear in the input tangents (the backward pass transposes them).
    fn jvp(
        &self,
        primals: &[Tensor],
        tangents: &[Option<Tensor>],
    ) -> (Outputs, Vec<Option<Tensor>>) {
        let _ = (primals, tangents);
        panic!(
            "{}: differentiation is not supported for this primitive",
            self.name()
        )
    }

    /// Batching rule (vmap): applies the primitive to operands that carry an extra batch
    /// dimension `dims[i]` (or none: the operand is the same for every batch member), with
    /// ops, and returns the outputs with where their batch dims ended up (anywhere: no forced
    /// transposes). `axis` is the vmapped axis (size, optional name for collectives). At
    /// least one operand is batched.
    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        axis: &BatchAxis,
    ) -> (Outputs, Vec<Option<usize>>) {
        let _ = (args, dims, axis);
        panic!(
            "{}: batching (vmap) is not supported for this primitive",
            self.name()
        )
    }

    /// Transpose rule of a primitive that is linear in its `Linear` arguments: given output
    /// cotangents (`None` = zero), returns a cotangent per argument (`None` for known
    /// arguments or zero cotangents). Written with ops, so the backward pass is itself
    /// differentiable.
    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        let _ = (cts, args);
        panic!(
            "{}: this primitive is not linear, so it has no transpose rule",
            self.name()
        )
    }
}

/// The axis a `vmap` adds: its size and, if named, the name collectives refer to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchAxis {
    pub size: usize,
    pub name: Option<String>,
}

/// An argument of an equation being transposed: a known value (a residual or literal), or a
/// linear input whose cotangent is wanted (only its type is known).
#[derive(Clone, Debug)]
pub enum LinearArg {
    Known(Tensor),
    Linear(Aval),
}

impl LinearArg {
    /// The value of a known argument; panics for a linear one (a rule that multiplies two
    /// linear arguments is not linear).
    #[track_caller]
    pub fn known(&self) -> &Tensor {
        match self {
            LinearArg::Known(t) => t,
            LinearArg::Linear(a) => panic!(
                "transpose: expected a known (residual) argument, found a linear one of type {a}"
            ),
        }
    }

    /// True for a linear argument.
    pub fn is_linear(&self) -> bool {
        matches!(self, LinearArg::Linear(_))
    }

    /// The argument's type.
    pub fn aval(&self) -> Aval {
        match self {
            LinearArg::Known(t) => t.aval(),
            LinearArg::Linear(a) => a.clone(),
        }
    }
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
    SelectWindow(window::SelectWindow),
    Call(CallOp),
    Collective(collective::Collective),
    Cond(cond::CondOp),
    Loop(loops::LoopOp),
    Bits(bits::BitsOp),
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
            Prim::SelectWindow($p) => $e,
            Prim::Call($p) => $e,
            Prim::Collective($p) => $e,
            Prim::Cond($p) => $e,
            Prim::Loop($p) => $e,
            Prim::Bits($p) => $e,
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
    fn eval_eager(&self, inputs: &[Tensor]) -> Option<Outputs> {
        delegate!(self, p => p.eval_eager(inputs))
    }
    fn jvp(
        &self,
        primals: &[Tensor],
        tangents: &[Option<Tensor>],
    ) -> (Outputs, Vec<Option<Tensor>>) {
        delegate!(self, p => p.jvp(primals, tangents))
    }
    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        delegate!(self, p => p.transpose(cts, args))
    }
    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        axis: &BatchAxis,
    ) -> (Outputs, Vec<Option<usize>>) {
        delegate!(self, p => p.batch(args, dims, axis))
    }
}

impl std::fmt::Display for Prim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
