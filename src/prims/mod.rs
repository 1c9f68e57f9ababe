//! The primitive set. Each family file declares its primitives (an enum whose variants carry
//! their params) and implements [`PrimRules`] for it: name, printed params, shape/dtype rule,
//! concrete evaluation, derivative and batching rules side by side. Higher-order families
//! (calls, `cond`, loops) also report and replace their sub-jaxprs, so passes, the checker
//! and analyses walk them without knowing the families. Adding a primitive touches only its
//! family file (and one line each in [`Prim`] and `delegate!`).

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
///
/// Required: `name`, `abstract_eval`, `eval`, `jvp` and `batch` (every family has a shape
/// rule, a concrete evaluation, forward mode and vmap; a variant that cannot be
/// differentiated or batched panics with its own message there). Optional, with defaults:
/// printed `params` (none), the `eval_eager` fast path (none), `transpose` (only linear
/// primitives have one) and the sub-jaxpr pair `sub_jaxprs` / `replace_sub_jaxprs` (only
/// higher-order primitives have sub-jaxprs).
pub trait PrimRules {
    /// JAX's primitive name, as printed in jaxprs.
    fn name(&self) -> &'static str;
    /// Params to print, as `(key, value)`; the printer sorts them by key. Default: none.
    fn params(&self) -> Vec<(&'static str, Param)> {
        Vec::new()
    }
    /// Output shapes and dtypes, or a message saying what is wrong with the operands.
    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String>;
    /// Evaluates on concrete arrays; `out_avals` is what `abstract_eval` returned. This is
    /// the meaning of the primitive on concrete values, for every primitive: higher-order ones
    /// run their sub-jaxprs here too (eagerly, whatever trace is current; see
    /// `eval_with_tensors`).
    fn eval(&self, inputs: &[&ArrayData], out_avals: &[Aval]) -> ArrayOutputs;

    /// An optional fast path for eager evaluation on tensors, tried before the generic path
    /// (shape rule, then [`eval`](PrimRules::eval)). When it returns `Some`, the outputs must
    /// agree with what `eval` computes. Elementwise ops use it when their operands already
    /// agree, where that check is cheaper than the full shape rule; higher-order primitives
    /// use it to run their sub-jaxprs on the tensors directly (no copies of the operands into
    /// and out of arrays). `None` (the default) means: take the generic path.
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
    ) -> (Outputs, Vec<Option<Tensor>>);

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
    ) -> (Outputs, Vec<Option<usize>>);

    /// Transpose rule of a primitive that is linear in its `Linear` arguments: given output
    /// cotangents (`None` = zero), returns a cotangent per argument (`None` for known
    /// arguments or zero cotangents). Written with ops, so the backward pass is itself
    /// differentiable.
    ///
    /// Not required: only primitives that can appear linearly in a tangent computation have
    /// one (the non-linear families, bit operations and sort, keep this default, which
    /// panics; their JVP rules never stage them on tangents).
    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        let _ = (cts, args);
        panic!(
            "{}: this primitive is not linear, so it has no transpose rule",
            self.name()
        )
    }

    /// The jaxprs this primitive runs (JAX's `jaxprs_in_params`), in a fixed order per
    /// family:
    ///
    /// - calls (`jit`, `custom_jvp_call`, `custom_vjp_call`, `checkpoint`, `fused`): their
    ///   one body; `custom_lin` has none (its jaxpr only carries output types and is not
    ///   printed);
    /// - `cond`: the branches, by index;
    /// - `scan`: the body; `while`: `[cond_jaxpr, body_jaxpr]`.
    ///
    /// These are the jaxprs the printer shows in the params. Default: none.
    fn sub_jaxprs(&self) -> Vec<&Arc<Jaxpr>> {
        Vec::new()
    }

    /// This primitive with its sub-jaxprs replaced by `new`, given in the order of
    /// [`sub_jaxprs`](PrimRules::sub_jaxprs) and with the same interfaces (input and output
    /// types); every other param is kept. Replacing with the same jaxprs gives an equal
    /// primitive. Panics if `new` has the wrong length.
    fn replace_sub_jaxprs(&self, new: Vec<Arc<Jaxpr>>) -> Prim
    where
        Self: Clone + Into<Prim>,
    {
        assert!(
            new.is_empty(),
            "{}: has no sub-jaxprs, {} given to replace them",
            self.name(),
            new.len()
        );
        self.clone().into()
    }

    /// Whether passes may rewrite the sub-jaxprs (keeping their interfaces) to optimize them.
    /// Default: true. Calls other than `jit` say no: custom-derivative calls pair their body
    /// with user rules, a `checkpoint` body is what gets recomputed, and a `fused` body is
    /// already the fusion pass's output.
    fn optimizable_sub_jaxprs(&self) -> bool {
        true
    }
}

/// Evaluation of a higher-order primitive on concrete arrays, for its
/// [`eval`](PrimRules::eval): wraps `inputs` as tensors, runs `run` on them with no trace
/// installed (so the ops of its sub-jaxprs evaluate eagerly even while a transformation is
/// tracing around the caller) and copies the outputs out. `run` is what the primitive's
/// `eval_eager` fast path runs (without these copies), so the two agree by construction.
pub(crate) fn eval_with_tensors(
    inputs: &[&ArrayData],
    run: impl FnOnce(&[Tensor]) -> Outputs,
) -> ArrayOutputs {
    let ts: Vec<Tensor> = inputs
        .iter()
        .map(|a| Tensor::from_array((*a).clone()))
        .collect();
    let outs = crate::core::with_trace(None, || run(&ts));
    outs.iter().map(|t| t.array().clone()).collect()
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

/// Declares [`Prim`] (one variant per family), `From<Family> for Prim`, and `delegate!`
/// (a `match` forwarding a rule to the family), from one list of families. `$d` is a `$`
/// token, so the generated `delegate!` can have metavariables of its own.
macro_rules! prim_families {
    ($d:tt $($V:ident($T:ty)),* $(,)?) => {
        /// A primitive with its params. Cheap to clone, comparable and hashable (jit cache
        /// keys and common-subexpression elimination use this).
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum Prim {
            $($V($T),)*
        }

        $(impl From<$T> for Prim {
            fn from(p: $T) -> Prim {
                Prim::$V(p)
            }
        })*

        macro_rules! delegate {
            ($d self:ident, $d p:ident => $d e:expr) => {
                match $d self {
                    $(Prim::$V($d p) => $d e,)*
                }
            };
        }
    };
}

prim_families!($
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
);

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
    fn sub_jaxprs(&self) -> Vec<&Arc<Jaxpr>> {
        delegate!(self, p => p.sub_jaxprs())
    }
    fn replace_sub_jaxprs(&self, new: Vec<Arc<Jaxpr>>) -> Prim {
        delegate!(self, p => p.replace_sub_jaxprs(new))
    }
    fn optimizable_sub_jaxprs(&self) -> bool {
        delegate!(self, p => p.optimizable_sub_jaxprs())
    }
}

impl std::fmt::Display for Prim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
