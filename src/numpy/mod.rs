//! `ferrax::numpy`: the user-facing op layer, `jax.numpy` style. numpy broadcasting and dtype
//! promotion happen here and nowhere else: what reaches the jaxpr is explicit
//! `broadcast_in_dim`/`convert_element_type` and exact-dtype lax primitives. Negative axes
//! count from the end.
//!
//! # Arguments: one convention
//!
//! The functions are `jax.numpy`'s, with its names (a trailing underscore where the name is
//! a Rust keyword: `where_`, `mod_`), semantics and defaults. A *required* argument is
//! positional. An axis argument is positional too: `Option<&[isize]>` (reductions, `flip`)
//! or `Option<isize>` (`cumsum`, `roll`, `repeat`), where `None` is JAX's `axis=None`. The
//! *optional keyword arguments* of a function `f` are the fields of an options struct with
//! `Default` (JAX's defaults), passed to a `f_with` variant:
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::numpy::{self as jnp, Linspace};
//! let a = jnp::linspace(0.0, 1.0, 5); // jnp.linspace(0, 1, 5)
//! let b = jnp::linspace_with(0.0, 1.0, 4, Linspace { endpoint: false, ..Default::default() });
//! assert_eq!(a.to_vec::<f32>()[1], b.to_vec::<f32>()[1]);
//! ```
//!
//! Binary functions take `impl IntoOperand`: a tensor, or a Rust scalar that is weakly typed
//! (it takes the other operand's dtype, as a Python scalar does in JAX). Bad shapes or axes
//! panic with a message naming the function, the shapes and the caller's line.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::numpy as jnp;
//! let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
//! let b = Tensor::from_vec(vec![10.0f32, 20.0, 30.0], &[3]);
//! assert_eq!(jnp::add(&a, &b).to_vec::<f32>(), vec![11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
//! ```

mod aliases;
mod arrays;
mod assembly;
mod bits;
mod calculus;
mod creation;
mod dtype_kinds;
mod einsum;
mod extras;
mod float_classes;
mod histogram;
mod indexing;
mod logic;
mod manipulation;
mod matrices;
mod methods;
mod more_reductions;
mod nan_reductions;
mod nonzero;
mod padding;
mod polynomials;
mod products;
mod reductions;
mod sets;
mod sorting;
mod statistics;
mod ufuncs;

pub use aliases::*;
pub use arrays::*;
pub use assembly::*;
pub use bits::*;
pub use calculus::*;
pub use creation::*;
pub use dtype_kinds::*;
pub use einsum::{
    einsum, einsum_path, einsum_path_with, einsum_with, Einsum, EinsumPath, Optimize, Precision,
};
pub use extras::*;
pub use float_classes::*;
pub use histogram::*;
pub use indexing::*;
pub use logic::*;
pub use manipulation::*;
pub use matrices::*;
pub use more_reductions::*;
pub use nan_reductions::*;
pub use nonzero::*;
pub use padding::*;
pub use polynomials::*;
pub use products::*;
pub use reductions::*;
pub use sets::*;
pub use sorting::*;
pub use statistics::*;
pub use ufuncs::*;

use crate::lax;
use crate::prims::BinaryOp;
use crate::tensor::{DType, Scalar, ScalarKind, Tensor};

/// An operand of a binary op: a tensor, or a Rust scalar that takes the other operand's dtype
/// (JAX's weak typing).
///
/// ```
/// use ferrax::numpy::{IntoOperand, Operand};
/// assert!(matches!(2.0f32.into_operand(), Operand::Scalar(v, _) if v == 2.0));
/// ```
#[derive(Clone, Debug)]
pub enum Operand {
    /// A tensor, which keeps its dtype (up to promotion with another tensor).
    Tensor(Tensor),
    /// A Rust scalar's value and kind; it takes the other operand's dtype.
    Scalar(f64, ScalarKind),
}

/// Things usable as an operand: `Tensor`, `&Tensor`, and Rust scalars.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, -1.0], &[2]);
/// assert_eq!(x.gt(0.0).to_vec::<bool>(), vec![true, false]);
/// assert_eq!(x.gt(&x).to_vec::<bool>(), vec![false, false]);
/// ```
pub trait IntoOperand {
    /// Converts into an [`Operand`].
    fn into_operand(self) -> Operand;

    /// The tensor this operand is, borrowed: what the eager fast path of the binary ops
    /// reads before converting anything (no reference-count traffic). Default: none.
    #[doc(hidden)]
    fn peek_tensor(&self) -> Option<&Tensor> {
        None
    }

    /// The Rust scalar this operand is (its value and kind), read by the same fast path.
    /// Default: none.
    #[doc(hidden)]
    fn peek_scalar(&self) -> Option<(f64, ScalarKind)> {
        None
    }
}
impl IntoOperand for Tensor {
    fn into_operand(self) -> Operand {
        Operand::Tensor(self)
    }
    fn peek_tensor(&self) -> Option<&Tensor> {
        Some(self)
    }
}
impl IntoOperand for &Tensor {
    fn into_operand(self) -> Operand {
        Operand::Tensor(self.clone())
    }
    fn peek_tensor(&self) -> Option<&Tensor> {
        Some(*self)
    }
}
impl IntoOperand for Operand {
    fn into_operand(self) -> Operand {
        self
    }
    fn peek_tensor(&self) -> Option<&Tensor> {
        match self {
            Operand::Tensor(t) => Some(t),
            Operand::Scalar(..) => None,
        }
    }
    fn peek_scalar(&self) -> Option<(f64, ScalarKind)> {
        match self {
            Operand::Tensor(_) => None,
            Operand::Scalar(v, k) => Some((*v, *k)),
        }
    }
}
impl<S: Scalar> IntoOperand for S {
    fn into_operand(self) -> Operand {
        Operand::Scalar(self.as_f64(), self.kind())
    }
    fn peek_scalar(&self) -> Option<(f64, ScalarKind)> {
        Some((self.as_f64(), self.kind()))
    }
}

/// numpy's broadcast of two shapes (align trailing dims; size 1 stretches).
///
/// ```
/// assert_eq!(ferrax::numpy::broadcast_shapes(&[2, 1, 3], &[4, 1]), vec![2, 4, 3]);
/// ```
#[track_caller]
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Vec<usize> {
    let n = a.len().max(b.len());
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let x = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let y = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        if x != y && x != 1 && y != 1 {
            panic!(
                "broadcast_shapes: shapes {a:?} and {b:?} cannot be broadcast together \
                 (called from {})",
                std::panic::Location::caller()
            );
        }
        out.push(if x == 1 { y } else { x });
    }
    out
}

/// Broadcasts `x` to `shape` with numpy's rules (one `broadcast_in_dim`, none if equal).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::broadcast_to(&x, &[2, 2]).to_vec::<i32>(), vec![1, 2, 1, 2]);
/// ```
#[track_caller]
pub fn broadcast_to(x: &Tensor, shape: &[usize]) -> Tensor {
    if x.shape() == shape {
        return x.clone();
    }
    let offset = shape.len().checked_sub(x.ndim()).unwrap_or_else(|| {
        panic!(
            "broadcast_to: cannot broadcast shape {:?} to {:?}",
            x.shape(),
            shape
        )
    });
    for (i, &d) in x.shape().iter().enumerate() {
        assert!(
            d == 1 || d == shape[offset + i],
            "broadcast_to: cannot broadcast shape {:?} to {:?}",
            x.shape(),
            shape
        );
    }
    let dims: Vec<usize> = (offset..shape.len()).collect();
    lax::broadcast_in_dim(x, shape, &dims)
}

/// Gives `x` rank `ndim` by prepending size-1 dims (the `broadcast_in_dim` JAX inserts before
/// an elementwise op); rank-0 tensors stay as they are, since lax ops accept them.
#[track_caller]
fn rank_promote(x: &Tensor, ndim: usize) -> Tensor {
    if x.ndim() == ndim || x.ndim() == 0 {
        return x.clone();
    }
    let offset = ndim - x.ndim();
    let mut shape = vec![1usize; offset];
    shape.extend_from_slice(x.shape());
    let dims: Vec<usize> = (offset..ndim).collect();
    lax::broadcast_in_dim(x, &shape, &dims)
}

/// The dtype both operands take, following numpy/JAX promotion with weak scalars.
fn result_dtype(a: &Operand, b: &Operand) -> DType {
    match (a, b) {
        (Operand::Tensor(x), Operand::Tensor(y)) => DType::promote(x.dtype(), y.dtype()),
        (Operand::Tensor(x), Operand::Scalar(_, k))
        | (Operand::Scalar(_, k), Operand::Tensor(x)) => x.dtype().weak_result(*k),
        (Operand::Scalar(_, k1), Operand::Scalar(_, k2)) => match (*k1, *k2) {
            (ScalarKind::Float, _) | (_, ScalarKind::Float) => DType::F32,
            (ScalarKind::Int, _) | (_, ScalarKind::Int) => DType::I32,
            _ => DType::Bool,
        },
    }
}

#[track_caller]
fn materialize(x: Operand, dtype: DType) -> Tensor {
    match x {
        Operand::Tensor(t) => lax::convert_element_type(&t, dtype),
        Operand::Scalar(v, _) => Tensor::full(&[], v, dtype),
    }
}

/// Whether numpy broadcasting accepts two shapes (trailing dims equal or one of them 1).
fn broadcastable(a: &[usize], b: &[usize]) -> bool {
    a.iter()
        .rev()
        .zip(b.iter().rev())
        .all(|(&x, &y)| x == y || x == 1 || y == 1)
}

/// Panics unless the tensors among `operands` broadcast together, naming `op` (the function
/// or operator the user called), each operand's dtype and shape, and the caller's line.
#[track_caller]
fn check_broadcast(op: &str, operands: &[&Operand]) {
    let tensors: Vec<&Tensor> = operands
        .iter()
        .filter_map(|o| match o {
            Operand::Tensor(t) => Some(t),
            Operand::Scalar(..) => None,
        })
        .collect();
    let mut shape: Vec<usize> = Vec::new();
    for t in &tensors {
        if !broadcastable(&shape, t.shape()) {
            let avals: Vec<String> = tensors.iter().map(|t| t.aval().to_string()).collect();
            panic!(
                "{op}: shapes {} cannot be broadcast together (called from {})",
                avals.join(" and "),
                std::panic::Location::caller()
            );
        }
        shape = broadcast_shapes(&shape, t.shape());
    }
}

/// Promotes and broadcasts two operands the way `jnp` binary functions do.
///
/// Panics, naming `promote_pair`, both operands and the caller's line, if their shapes do not
/// broadcast together.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2], &[2]);
/// let (a, b) = ferrax::numpy::promote_pair(&x, 0.5);
/// assert_eq!((a.dtype(), b.dtype()), (DType::F32, DType::F32));
/// ```
#[track_caller]
pub fn promote_pair(a: impl IntoOperand, b: impl IntoOperand) -> (Tensor, Tensor) {
    promote_named("promote_pair", a, b)
}

/// [`promote_pair`] on behalf of the op `name` (which a mismatch message names).
#[track_caller]
fn promote_named(name: &str, a: impl IntoOperand, b: impl IntoOperand) -> (Tensor, Tensor) {
    let (a, b) = match (a.into_operand(), b.into_operand()) {
        // The common case needs no conversion or broadcast: skip the general path's work.
        (Operand::Tensor(x), Operand::Tensor(y))
            if x.dtype() == y.dtype() && x.shape() == y.shape() =>
        {
            return (x, y)
        }
        pair => pair,
    };
    // Check numpy compatibility up front, on the operands as given, for a clear message.
    check_broadcast(name, &[&a, &b]);
    let dtype = result_dtype(&a, &b);
    let (a, b) = (materialize(a, dtype), materialize(b, dtype));
    let ndim = a.ndim().max(b.ndim());
    (rank_promote(&a, ndim), rank_promote(&b, ndim))
}

/// The binary op `op` with numpy broadcasting and promotion, on behalf of the function or
/// operator `name` (`"add"` for `jnp::add` and `+`, `"gt"` for `Tensor::gt`, ...), which a
/// shape mismatch names along with the caller's line.
#[track_caller]
pub(crate) fn binary(name: &str, op: BinaryOp, a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    if let Some(out) = eager_binary(op, Peek::of(&a), Peek::of(&b)) {
        return out;
    }
    let (a, b) = promote_named(name, a, b);
    // numpy's bool arithmetic is logic (as `jnp.add` maps to `or` for bools).
    let op = match (a.dtype(), op) {
        (DType::Bool, BinaryOp::Add | BinaryOp::Max) => BinaryOp::Or,
        (DType::Bool, BinaryOp::Mul | BinaryOp::Min) => BinaryOp::And,
        _ => op,
    };
    crate::core::bind1(&op.prim(), &[a, b])
}

/// An operand as the eager fast path reads it, borrowed: reading it is the only part of the
/// fast path that depends on the operand types, so the path itself is compiled once, not
/// once per pair of operand types `binary` is called with.
#[derive(Clone, Copy)]
enum Peek<'a> {
    Tensor(&'a Tensor),
    Scalar(f64, ScalarKind),
    Other,
}

impl<'a> Peek<'a> {
    #[inline]
    fn of(x: &'a impl IntoOperand) -> Peek<'a> {
        match (x.peek_tensor(), x.peek_scalar()) {
            (Some(t), _) => Peek::Tensor(t),
            (None, Some((v, k))) => Peek::Scalar(v, k),
            (None, None) => Peek::Other,
        }
    }
}

/// The eager fast path of [`binary`]: with no transformation tracing and NaN checking off,
/// concrete operands of one dtype (f32, f64 or i32) that are of one shape, or where one is
/// rank 0, or a float tensor and a Rust scalar that takes its dtype. These need no
/// promotion, no broadcast and no shape rule, so the result is computed here with the
/// kernel `bind` would run (`eval_binary`, or the same per-element function from
/// `with_float_op` for a Rust scalar), bit for bit what the general path gives, with no
/// operand clones and no allocation but the result's. `None`: take the general path (which
/// also reports every error).
fn eager_binary(op: BinaryOp, a: Peek<'_>, b: Peek<'_>) -> Option<Tensor> {
    use crate::tensor::ArrayData as A;
    use BinaryOp::*;
    // Ops every one of the fast dtypes supports (the float-only ones are checked below).
    let common = matches!(
        op,
        Add | Sub | Mul | Div | Rem | Max | Min | Eq | Ne | Lt | Le | Gt | Ge
    );
    let float_only = matches!(op, Pow | Atan2 | Nextafter);
    if !(common || float_only) {
        return None;
    }
    let fast_dtype = |d: DType| match d {
        DType::F32 | DType::F64 => true,
        DType::I32 => common,
        _ => false,
    };
    let ready = || crate::core::trace::is_eager() && !crate::core::nan_check::debug_nans();
    match (a, b) {
        (Peek::Tensor(x), Peek::Tensor(y)) => {
            let (xa, ya) = (x.try_array()?, y.try_array()?);
            let (xs, ys) = (xa.shape(), ya.shape());
            let out_shape = if xs == ys || ys.is_empty() {
                xs
            } else if xs.is_empty() {
                ys
            } else {
                return None;
            };
            if xa.dtype() != ya.dtype() || !fast_dtype(xa.dtype()) || !ready() {
                return None;
            }
            let out = crate::prims::binary::eval_binary(op, xa, ya, out_shape);
            Some(Tensor::from(out))
        }
        (Peek::Tensor(x), Peek::Scalar(v, kind)) | (Peek::Scalar(v, kind), Peek::Tensor(x))
            if !op.is_comparison() =>
        {
            let scalar_first = matches!(b, Peek::Tensor(_));
            let xa = x.try_array()?;
            let d = xa.dtype();
            if !matches!(d, DType::F32 | DType::F64) || d.weak_result(kind) != d || !ready() {
                return None;
            }
            let out = match xa {
                A::F32(x) => A::F32(crate::ops::binary::with_float_op(
                    op,
                    ZipScalar {
                        x,
                        s: crate::tensor::convert_scalar::<f64, f32>(v),
                        scalar_first,
                    },
                )),
                A::F64(x) => A::F64(crate::ops::binary::with_float_op(
                    op,
                    ZipScalar {
                        x,
                        s: v,
                        scalar_first,
                    },
                )),
                _ => return None,
            };
            Some(Tensor::from(out))
        }
        _ => None,
    }
}

/// A float binary op between an array and a scalar (on the left if `scalar_first`): the
/// loop `zip_broadcast` runs for a one-element operand, without building that operand.
struct ZipScalar<'a, F> {
    x: &'a ndarray::ArrayD<F>,
    s: F,
    scalar_first: bool,
}

impl<F: Copy> crate::ops::binary::FloatZip<F> for ZipScalar<'_, F> {
    type Out = ndarray::ArrayD<F>;
    #[inline(always)]
    fn zip(self, f: impl Fn(F, F) -> F) -> ndarray::ArrayD<F> {
        let (xs, s) = (self.x.as_slice().expect("row-major"), self.s);
        let data: Vec<F> = if self.scalar_first {
            xs.iter().map(|&v| f(s, v)).collect()
        } else {
            xs.iter().map(|&v| f(v, s)).collect()
        };
        ndarray::ArrayD::from_shape_vec(self.x.raw_dim(), data).expect("same size")
    }
}

/// The binary ops of `jax.numpy` as functions that name themselves in shape errors: `name =>
/// Op` with a generated doc, or `/// doc` then `name => Op;` with its own.
macro_rules! binary_fns {
    ($($(#[$doc:meta])+ $name:ident => $op:ident;)*) => {$(
        $(#[$doc])+
        #[track_caller]
        pub fn $name(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
            binary(stringify!($name), BinaryOp::$op, a, b)
        }
    )*};
    ($($name:ident => $op:ident),* $(,)?) => {
        binary_fns! {$(
            #[doc = concat!("`jnp.", stringify!($name), "`: elementwise with numpy broadcasting and promotion.\n\n```\nuse ferrax::prelude::*;\nlet x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);\nassert_eq!(ferrax::numpy::", stringify!($name), "(&x, 2.0).shape(), &[2]);\n```")]
            $name => $op;
        )*}
    };
}
binary_fns!(
    add => Add, subtract => Sub, multiply => Mul, maximum => Max, minimum => Min,
    arctan2 => Atan2, equal => Eq, not_equal => Ne, less => Lt, less_equal => Le,
    greater => Gt, greater_equal => Ge,
);

/// `jnp.true_divide`: integer operands are converted to f32 first.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::divide(&x, 2).to_vec::<f32>(), vec![0.5, 1.0]);
/// ```
#[track_caller]
pub fn divide(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    divide_named("divide", a, b)
}

/// [`divide`] on behalf of `name` (the `/` operator says `div`).
#[track_caller]
pub(crate) fn divide_named(name: &str, a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = promote_named(name, a, b);
    let (a, b) = if a.dtype().is_float() {
        (a, b)
    } else {
        (
            lax::convert_element_type(&a, DType::F32),
            lax::convert_element_type(&b, DType::F32),
        )
    };
    lax::div(&a, &b)
}

binary_fns! {
    /// `jnp.fmod`-style remainder (sign of the dividend), as `lax.rem`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![-7, 7], &[2]);
    /// assert_eq!(ferrax::numpy::fmod(&x, 3).to_vec::<i32>(), vec![-1, 1]);
    /// ```
    fmod => Rem;

    /// Logical and of bool tensors (bitwise for integers).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let a = Tensor::from_vec(vec![true, false], &[2]);
    /// assert_eq!(ferrax::numpy::logical_and(&a, true).to_vec::<bool>(), vec![true, false]);
    /// ```
    logical_and => And;

    /// Logical or of bool tensors (bitwise for integers).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let a = Tensor::from_vec(vec![true, false], &[2]);
    /// assert_eq!(ferrax::numpy::logical_or(&a, false).to_vec::<bool>(), vec![true, false]);
    /// ```
    logical_or => Or;

    /// Logical xor of bool tensors (bitwise for integers).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let a = Tensor::from_vec(vec![true, false], &[2]);
    /// assert_eq!(ferrax::numpy::logical_xor(&a, true).to_vec::<bool>(), vec![false, true]);
    /// ```
    logical_xor => Xor;
}

/// `jnp.where(cond, x, y)`: `x` where `cond` is true, else `y`, all broadcast together.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-1.0f32, 2.0], &[2]);
/// assert_eq!(ferrax::numpy::where_(&x.gt(0.0), &x, 0.0).to_vec::<f32>(), vec![0.0, 2.0]);
/// ```
#[track_caller]
pub fn where_(cond: &Tensor, x: impl IntoOperand, y: impl IntoOperand) -> Tensor {
    let (x, y) = (x.into_operand(), y.into_operand());
    check_broadcast("where", &[&Operand::Tensor(cond.clone()), &x, &y]);
    let (x, y) = promote_named("where", x, y);
    let cond = lax::convert_element_type(cond, DType::Bool);
    let shape = broadcast_shapes(&broadcast_shapes(cond.shape(), x.shape()), y.shape());
    let (c, x, y) = (
        broadcast_to(&cond, &shape),
        broadcast_to(&x, &shape),
        broadcast_to(&y, &shape),
    );
    lax::select_n(&c, &[y, x])
}

/// Normalizes a possibly negative axis against `ndim`.
///
/// ```
/// assert_eq!(ferrax::numpy::normalize_axis(-1, 3), 2);
/// ```
#[track_caller]
pub fn normalize_axis(axis: isize, ndim: usize) -> usize {
    let a = if axis < 0 { axis + ndim as isize } else { axis };
    assert!(
        a >= 0 && (a as usize) < ndim.max(1),
        "axis {axis} is out of bounds for rank {ndim}"
    );
    a as usize
}

/// Normalizes and sorts a list of axes.
#[track_caller]
pub fn normalize_axes(axes: &[isize], ndim: usize) -> Vec<usize> {
    let mut v = Vec::with_capacity(axes.len());
    for &a in axes {
        v.push(normalize_axis(a, ndim));
    }
    v.sort_unstable();
    v
}
