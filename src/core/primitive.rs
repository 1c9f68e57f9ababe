//! The primitive interface. A primitive is a value of any type implementing [`PrimRules`]
//! (its name, printed params, shape rule, evaluation, JVP, transpose and batching rules), held
//! in an equation as a [`Prim`]: a shared, comparable, hashable handle to it, as JAX's
//! `Primitive` objects are. The IR, the traces and the passes work through this interface
//! only, so the primitive families (in `prims`, `control_flow`, ...) sit above the core and
//! a new family needs no change here. Code that treats one family specially asks for it with
//! [`Prim::downcast`].

use super::{Aval, Avals, Jaxpr, Outputs};
use crate::tensor::{ArrayData, Tensor};
use smallvec::SmallVec;
use std::any::Any;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Concrete outputs of a primitive's kernel.
pub type ArrayOutputs = SmallVec<[ArrayData; 1]>;

/// What a forward-mode rule returns ([`PrimRules::jvp`]): the primal outputs and their
/// tangents (`None` is a symbolic zero).
pub type JvpResult = (Outputs, Vec<Option<Tensor>>);

/// What a batching rule returns ([`PrimRules::batch`]): the outputs and where each one's
/// batch dimension ended up (`None`: not batched).
pub type BatchResult = (Outputs, Vec<Option<usize>>);

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
pub trait PrimRules: Send + Sync + std::fmt::Debug + 'static {
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
    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult;

    /// Batching rule (vmap): applies the primitive to operands that carry an extra batch
    /// dimension `dims[i]` (or none: the operand is the same for every batch member), with
    /// ops, and returns the outputs with where their batch dims ended up (anywhere: no forced
    /// transposes). `axis` is the vmapped axis (size, optional name for collectives). At
    /// least one operand is batched.
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult;

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
    ///
    /// Only higher-order primitives implement this; [`Prim::replace_sub_jaxprs`] handles the
    /// primitives without sub-jaxprs (and checks the count) before calling it.
    fn replace_sub_jaxprs(&self, new: Vec<Arc<Jaxpr>>) -> Prim {
        panic!(
            "{}: has no sub-jaxprs, {} given to replace them",
            self.name(),
            new.len()
        )
    }

    /// For a call that evaluates exactly as its one sub-jaxpr applied to its operands (so
    /// inlining it, or running the body in its place, keeps the meaning): that body.
    /// Default: none.
    fn inlinable_body(&self) -> Option<&Arc<Jaxpr>> {
        None
    }

    /// Whether evaluating this primitive on constant operands at compile time is plain
    /// arithmetic, so constant folding may do it and a compiled program may call its `eval`
    /// directly. False for primitives that run sub-jaxprs or user code, or that read the
    /// axis environment (collectives); those are evaluated by binding them. Default: true
    /// unless the primitive has sub-jaxprs or side effects.
    fn constant_foldable(&self) -> bool {
        self.sub_jaxprs().is_empty() && !self.has_side_effects()
    }

    /// Whether evaluating this primitive does something besides computing its outputs (JAX's
    /// effects: `debug_print`, `debug_callback`). Such an equation is never dropped (even
    /// with no used outputs), merged with an equal one, folded at compile time or run out of
    /// program order relative to other effects. Higher-order primitives inherit the effects
    /// of their sub-jaxprs through [`Prim::has_effects`]. Default: false (pure).
    fn has_side_effects(&self) -> bool {
        false
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
    let outs = super::with_trace(None, || run(&ts));
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

/// A jaxpr inside a primitive, compared and hashed by identity.
#[derive(Clone, Debug)]
pub struct SubJaxpr(pub Arc<Jaxpr>);

impl PartialEq for SubJaxpr {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
impl Eq for SubJaxpr {}
impl Hash for SubJaxpr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.0) as usize).hash(state);
    }
}

/// What [`Prim`] needs of a primitive beyond its rules: downcasting, equality and hashing
/// through a trait object. Implemented for every `PrimRules + Eq + Hash` type; never by hand.
pub trait Primitive: PrimRules {
    /// The primitive as `Any`, for [`Prim::downcast`].
    fn as_any(&self) -> &dyn Any;
    /// Equality with another primitive of any type (false across types).
    fn dyn_eq(&self, other: &dyn Primitive) -> bool;
    /// Hashes the primitive's type and params.
    fn dyn_hash(&self, state: &mut dyn Hasher);
}

impl<T: PrimRules + PartialEq + Eq + Hash> Primitive for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn dyn_eq(&self, other: &dyn Primitive) -> bool {
        crate::tree::eq_as_type(self, other.as_any())
    }
    fn dyn_hash(&self, state: &mut dyn Hasher) {
        crate::tree::hash_with_type(self, state)
    }
}

/// A primitive with its params, as an equation holds it: cheap to clone (shared), comparable
/// and hashable (jit cache keys and common-subexpression elimination use this). Its rules are
/// reached through `Deref` (`prim.name()`, `prim.jvp(..)`, with [`PrimRules`] in scope).
///
/// ```
/// use ferrax::core::{Prim, PrimRules};
/// use ferrax::prelude::*;
/// let j = make_jaxpr(|x: &Tensor| x.sin())(&Tensor::scalar(1.0f32));
/// let p: &Prim = &j.jaxpr.eqns[0].prim;
/// assert_eq!(p.name(), "sin");
/// assert_eq!(p, &p.clone());
/// ```
#[derive(Clone)]
pub struct Prim(Handle);

/// Where a [`Prim`]'s primitive lives: shared on the heap ([`Prim::new`]), or in a `static`
/// ([`Prim::from_static`]), which eager binding uses so that naming an op allocates nothing.
#[derive(Clone)]
enum Handle {
    Shared(Arc<dyn Primitive>),
    Static(&'static dyn Primitive),
}

impl Prim {
    /// Wraps a primitive.
    pub fn new(p: impl Primitive) -> Prim {
        Prim(Handle::Shared(Arc::new(p)))
    }

    /// A primitive that lives in a `static` (or a promoted constant such as
    /// `&BinaryOp::Add`): building, cloning and dropping the handle allocate nothing and
    /// touch no reference count, which is what the eager fast paths of the most common ops
    /// need (an op called in a loop would otherwise allocate its `Prim` on every call). It
    /// compares and hashes like the same primitive made with [`Prim::new`].
    ///
    /// ```
    /// use ferrax::core::Prim;
    /// use ferrax::internals::prims::BinaryOp;
    /// static ADD: Prim = Prim::from_static(&BinaryOp::Add);
    /// assert_eq!(ADD, Prim::new(BinaryOp::Add));
    /// ```
    pub const fn from_static(p: &'static dyn Primitive) -> Prim {
        Prim(Handle::Static(p))
    }

    /// The primitive's rules, wherever it lives.
    #[inline]
    fn rules(&self) -> &dyn Primitive {
        match &self.0 {
            Handle::Shared(p) => &**p,
            Handle::Static(p) => *p,
        }
    }

    /// Whether binding this primitive has side effects: its own
    /// ([`PrimRules::has_side_effects`]) or those of an equation in one of its sub-jaxprs.
    pub fn has_effects(&self) -> bool {
        self.rules().has_side_effects() || self.rules().sub_jaxprs().iter().any(|j| j.has_effects())
    }

    /// The primitive as its own family type, if it is one (`prim.downcast::<UnaryOp>()`).
    pub fn downcast<T: 'static>(&self) -> Option<&T> {
        self.rules().as_any().downcast_ref::<T>()
    }

    /// True if this is exactly the primitive `p` (same family, same params).
    pub fn is<T: PartialEq + 'static>(&self, p: &T) -> bool {
        self.downcast::<T>() == Some(p)
    }

    /// This primitive with its sub-jaxprs replaced by `new`, in the order of
    /// [`PrimRules::sub_jaxprs`] and with the same interfaces; every other param is kept.
    /// Replacing with the same jaxprs gives an equal primitive. Panics if `new` has the
    /// wrong length.
    #[track_caller]
    pub fn replace_sub_jaxprs(&self, new: Vec<Arc<Jaxpr>>) -> Prim {
        let have = self.rules().sub_jaxprs().len();
        assert_eq!(
            have,
            new.len(),
            "{}: expected {have} sub-jaxprs to replace its own, got {}",
            self.rules().name(),
            new.len()
        );
        if have == 0 {
            return self.clone();
        }
        self.rules().replace_sub_jaxprs(new)
    }
}

impl<T: Primitive> From<T> for Prim {
    fn from(p: T) -> Prim {
        Prim::new(p)
    }
}

impl std::ops::Deref for Prim {
    type Target = dyn Primitive;
    fn deref(&self) -> &dyn Primitive {
        self.rules()
    }
}

impl PartialEq for Prim {
    fn eq(&self, other: &Prim) -> bool {
        let same_handle = match (&self.0, &other.0) {
            (Handle::Shared(a), Handle::Shared(b)) => Arc::ptr_eq(a, b),
            // (Statics are compared by value: two zero-sized statics may share an address.)
            _ => false,
        };
        same_handle || self.rules().dyn_eq(other.rules())
    }
}

impl Eq for Prim {}

impl Hash for Prim {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.rules().dyn_hash(state)
    }
}

impl fmt::Debug for Prim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.rules(), f)
    }
}

impl fmt::Display for Prim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rules().name())
    }
}
