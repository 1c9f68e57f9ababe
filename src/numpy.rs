//! `ferrax::numpy`: the user-facing op layer, `jax.numpy` style. numpy broadcasting and dtype
//! promotion happen here and nowhere else: what reaches the jaxpr is explicit
//! `broadcast_in_dim`/`convert_element_type` and exact-dtype lax primitives. Negative axes
//! count from the end.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::numpy as jnp;
//! let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
//! let b = Tensor::from_vec(vec![10.0f32, 20.0, 30.0], &[3]);
//! assert_eq!(jnp::add(&a, &b).to_vec::<f32>(), vec![11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
//! ```

mod methods;

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
}
impl IntoOperand for Tensor {
    fn into_operand(self) -> Operand {
        Operand::Tensor(self)
    }
}
impl IntoOperand for &Tensor {
    fn into_operand(self) -> Operand {
        Operand::Tensor(self.clone())
    }
}
impl IntoOperand for Operand {
    fn into_operand(self) -> Operand {
        self
    }
}
impl<S: Scalar> IntoOperand for S {
    fn into_operand(self) -> Operand {
        Operand::Scalar(self.as_f64(), self.kind())
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
    let (a, b) = promote_named(name, a, b);
    // numpy's bool arithmetic is logic (as `jnp.add` maps to `or` for bools).
    let op = match (a.dtype(), op) {
        (DType::Bool, BinaryOp::Add | BinaryOp::Max) => BinaryOp::Or,
        (DType::Bool, BinaryOp::Mul | BinaryOp::Min) => BinaryOp::And,
        _ => op,
    };
    crate::core::bind1(&crate::prims::Prim::new(op), &[a, b])
}

macro_rules! binary_fns {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[doc = concat!("`jnp.", stringify!($name), "`: elementwise with numpy broadcasting and promotion.\n\n```\nuse ferrax::prelude::*;\nlet x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);\nassert_eq!(ferrax::numpy::", stringify!($name), "(&x, 2.0).shape(), &[2]);\n```")]
        #[track_caller]
        pub fn $name(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
            binary(stringify!($name), BinaryOp::$op, a, b)
        }
    )*};
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

/// `jnp.power` for float operands (`lax.pow`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![4.0f32, 9.0], &[2]);
/// assert_eq!(ferrax::numpy::power(&x, 0.5).to_vec::<f32>(), vec![2.0, 3.0]);
/// ```
#[track_caller]
pub fn power(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    binary("power", BinaryOp::Pow, a, b)
}

/// `jnp.fmod`-style remainder (sign of the dividend), as `lax.rem`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-7, 7], &[2]);
/// assert_eq!(ferrax::numpy::fmod(&x, 3).to_vec::<i32>(), vec![-1, 1]);
/// ```
#[track_caller]
pub fn fmod(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    binary("fmod", BinaryOp::Rem, a, b)
}

/// Logical and of bool tensors (bitwise for integers).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![true, false], &[2]);
/// assert_eq!(ferrax::numpy::logical_and(&a, true).to_vec::<bool>(), vec![true, false]);
/// ```
#[track_caller]
pub fn logical_and(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    binary("logical_and", BinaryOp::And, a, b)
}

/// Logical or of bool tensors (bitwise for integers).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![true, false], &[2]);
/// assert_eq!(ferrax::numpy::logical_or(&a, false).to_vec::<bool>(), vec![true, false]);
/// ```
#[track_caller]
pub fn logical_or(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    binary("logical_or", BinaryOp::Or, a, b)
}

/// Logical xor of bool tensors (bitwise for integers).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![true, false], &[2]);
/// assert_eq!(ferrax::numpy::logical_xor(&a, true).to_vec::<bool>(), vec![false, true]);
/// ```
#[track_caller]
pub fn logical_xor(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    binary("logical_xor", BinaryOp::Xor, a, b)
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

/// The given axes normalized and sorted, or all axes for `None`.
#[track_caller]
fn resolve_axes(x: &Tensor, axes: Option<&[isize]>) -> Vec<usize> {
    match axes {
        Some(a) => normalize_axes(a, x.ndim()),
        None => (0..x.ndim()).collect(),
    }
}

/// Sum over `axes` (all when `None`), numpy-style: bool and int sums count in i32.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::sum(&x, Some(&[-1])).to_vec::<f32>(), vec![3.0, 7.0]);
/// assert_eq!(ferrax::numpy::sum(&x, None).item::<f32>(), 10.0);
/// ```
#[track_caller]
pub fn sum(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let axes = resolve_axes(x, axes);
    let x = if x.dtype() == DType::Bool {
        lax::convert_element_type(x, DType::I32)
    } else {
        x.clone()
    };
    lax::reduce_sum(&x, &axes)
}

/// Mean over `axes` (all when `None`); integers average in f32.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::mean(&x, Some(&[0])).to_vec::<f32>(), vec![2.0, 3.0]);
/// ```
#[track_caller]
pub fn mean(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let axes_n = resolve_axes(x, axes);
    let count: usize = axes_n.iter().map(|&a| x.shape()[a]).product();
    let x = if x.dtype().is_float() {
        x.clone()
    } else {
        lax::convert_element_type(x, DType::F32)
    };
    let s = lax::reduce_sum(&x, &axes_n);
    divide(&s, count as f64)
}

/// Variance over `axes` (population variance, `ddof = 0`, as `jnp.var`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 3.0], &[2]);
/// assert_eq!(ferrax::numpy::var(&x, None).item::<f32>(), 1.0);
/// ```
#[track_caller]
pub fn var(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let axes_n = resolve_axes(x, axes);
    let axes_i: Vec<isize> = axes_n.iter().map(|&a| a as isize).collect();
    let m = keepdims(&mean(x, Some(&axes_i)), x.shape(), &axes_n);
    let d = subtract(x, &m);
    mean(&multiply(&d, &d), Some(&axes_i))
}

/// Re-inserts reduced axes as size-1 dims (numpy's `keepdims=True`).
#[track_caller]
fn keepdims(reduced: &Tensor, orig_shape: &[usize], axes: &[usize]) -> Tensor {
    let shape: Vec<usize> = orig_shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
        .collect();
    let dims: Vec<usize> = (0..orig_shape.len())
        .filter(|i| !axes.contains(i))
        .collect();
    lax::broadcast_in_dim(reduced, &shape, &dims)
}

/// Maximum over `axes` (all when `None`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::max(&x, Some(&[1])).to_vec::<f32>(), vec![5.0, 4.0]);
/// ```
#[track_caller]
pub fn max(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let axes = resolve_axes(x, axes);
    lax::reduce_max(x, &axes)
}

/// Minimum over `axes` (all when `None`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::min(&x, None).item::<f32>(), 1.0);
/// ```
#[track_caller]
pub fn min(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let axes = resolve_axes(x, axes);
    lax::reduce_min(x, &axes)
}

/// Product over `axes` (all when `None`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::prod(&x, None).item::<f32>(), 24.0);
/// ```
#[track_caller]
pub fn prod(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let axes = resolve_axes(x, axes);
    lax::reduce_prod(x, &axes)
}

/// Index of the maximum along `axis` (of the flattened tensor when `None`), as i32.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::argmax(&x, Some(-1)).to_vec::<i32>(), vec![1, 1]);
/// assert_eq!(ferrax::numpy::argmax(&x, None).item::<i32>(), 1);
/// ```
#[track_caller]
pub fn argmax(x: &Tensor, axis: Option<isize>) -> Tensor {
    match axis {
        Some(a) => lax::argmax(x, normalize_axis(a, x.ndim()), DType::I32),
        None => lax::argmax(&reshape(x, &[-1]), 0, DType::I32),
    }
}

/// Index of the minimum along `axis` (of the flattened tensor when `None`), as i32.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 0.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::argmin(&x, Some(0)).to_vec::<i32>(), vec![0, 1]);
/// ```
#[track_caller]
pub fn argmin(x: &Tensor, axis: Option<isize>) -> Tensor {
    match axis {
        Some(a) => lax::argmin(x, normalize_axis(a, x.ndim()), DType::I32),
        None => lax::argmin(&reshape(x, &[-1]), 0, DType::I32),
    }
}

/// Reshape with numpy's `-1` (one dim inferred).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0, 6, 1, DType::I32);
/// assert_eq!(ferrax::numpy::reshape(&x, &[-1, 2]).shape(), &[3, 2]);
/// ```
#[track_caller]
pub fn reshape(x: &Tensor, shape: &[isize]) -> Tensor {
    let known: usize = shape
        .iter()
        .filter(|&&d| d >= 0)
        .map(|&d| d as usize)
        .product();
    let n_infer = shape.iter().filter(|&&d| d < 0).count();
    assert!(n_infer <= 1, "reshape: at most one -1 in {shape:?}");
    let new: Vec<usize> = shape
        .iter()
        .map(|&d| {
            if d >= 0 {
                d as usize
            } else {
                assert!(
                    known > 0 && x.size() % known == 0,
                    "reshape: cannot infer -1 for {} elements into {shape:?}",
                    x.size()
                );
                x.size() / known
            }
        })
        .collect();
    assert!(
        new.iter().product::<usize>() == x.size(),
        "reshape: cannot reshape {:?} ({} elements) to {:?}",
        x.shape(),
        x.size(),
        shape
    );
    if new.as_slice() == x.shape() {
        return x.clone();
    }
    lax::reshape(x, &new)
}

/// Transposes by `axes` (reverses dims when empty), negative axes allowed.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[2, 3, 4], DType::F32);
/// assert_eq!(ferrax::numpy::transpose(&x, &[]).shape(), &[4, 3, 2]);
/// assert_eq!(ferrax::numpy::transpose(&x, &[0, -1, 1]).shape(), &[2, 4, 3]);
/// ```
#[track_caller]
pub fn transpose(x: &Tensor, axes: &[isize]) -> Tensor {
    let perm: Vec<usize> = if axes.is_empty() {
        (0..x.ndim()).rev().collect()
    } else {
        axes.iter().map(|&a| normalize_axis(a, x.ndim())).collect()
    };
    lax::transpose(x, &perm)
}

/// numpy `matmul`: 1-D operands are vectors, leading dims broadcast as a batch.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// let v = Tensor::from_vec(vec![1.0f32, 0.0], &[2]);
/// assert_eq!(ferrax::numpy::matmul(&a, &v).to_vec::<f32>(), vec![1.0, 3.0]);
/// assert_eq!(ferrax::numpy::matmul(&a, &a).to_vec::<f32>(), vec![7.0, 10.0, 15.0, 22.0]);
/// ```
#[track_caller]
pub fn matmul(a: &Tensor, b: &Tensor) -> Tensor {
    let dtype = DType::promote(a.dtype(), b.dtype());
    let (a, b) = (
        lax::convert_element_type(a, dtype),
        lax::convert_element_type(b, dtype),
    );
    assert!(
        a.ndim() >= 1 && b.ndim() >= 1,
        "matmul: operands must have rank >= 1, got {:?} and {:?}",
        a.shape(),
        b.shape()
    );
    let (an, bn) = (a.ndim(), b.ndim());
    let k_a = a.shape()[an - 1];
    let k_b = if bn == 1 {
        b.shape()[0]
    } else {
        b.shape()[bn - 2]
    };
    assert!(
        k_a == k_b,
        "matmul: contraction sizes differ: {:?} @ {:?}",
        a.shape(),
        b.shape()
    );
    if an <= 2 && bn <= 2 {
        return lax::dot_general(&a, &b, ((&[an - 1], &[0]), (&[], &[])), Some(dtype));
    }
    // Batched: vectors become matrices, leading dims broadcast to a common batch shape,
    // one dot_general with batch dims, then the vector dims are dropped again.
    let a2 = if an == 1 {
        lax::expand_dims(&a, &[0])
    } else {
        a
    };
    let b2 = if bn == 1 {
        lax::expand_dims(&b, &[1])
    } else {
        b
    };
    let (a_nd, b_nd) = (a2.ndim(), b2.ndim());
    let batch = broadcast_shapes(&a2.shape()[..a_nd - 2], &b2.shape()[..b_nd - 2]);
    let nb = batch.len();
    let with_batch = |t: &Tensor| {
        let mut s = batch.clone();
        s.extend_from_slice(&t.shape()[t.ndim() - 2..]);
        broadcast_to(t, &s)
    };
    let (a3, b3) = (with_batch(&a2), with_batch(&b2));
    let bdims: Vec<usize> = (0..nb).collect();
    let out = lax::dot_general(
        &a3,
        &b3,
        ((&[nb + 1], &[nb]), (&bdims, &bdims)),
        Some(dtype),
    );
    match (an == 1, bn == 1) {
        (true, _) => lax::squeeze(&out, &[nb]),
        (false, true) => lax::squeeze(&out, &[nb + 1]),
        _ => out,
    }
}

/// Joins tensors along `axis` (negative allowed), promoting dtypes.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[1, 2]);
/// assert_eq!(ferrax::numpy::concatenate(&[a.clone(), a], 0).shape(), &[2, 2]);
/// ```
#[track_caller]
pub fn concatenate(xs: &[Tensor], axis: isize) -> Tensor {
    assert!(!xs.is_empty(), "concatenate: need at least one tensor");
    let dtype = xs
        .iter()
        .map(|x| x.dtype())
        .reduce(DType::promote)
        .expect("non-empty");
    let xs: Vec<Tensor> = xs
        .iter()
        .map(|x| lax::convert_element_type(x, dtype))
        .collect();
    lax::concatenate(&xs, normalize_axis(axis, xs[0].ndim()))
}

/// Stacks same-shaped tensors along a new `axis`.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[2]);
/// let s = ferrax::numpy::stack(&[a.clone(), a], 1);
/// assert_eq!(s.shape(), &[2, 2]);
/// assert_eq!(s.to_vec::<i32>(), vec![1, 1, 2, 2]);
/// ```
#[track_caller]
pub fn stack(xs: &[Tensor], axis: isize) -> Tensor {
    assert!(!xs.is_empty(), "stack: need at least one tensor");
    let axis = normalize_axis(axis, xs[0].ndim() + 1);
    let expanded: Vec<Tensor> = xs.iter().map(|x| lax::expand_dims(x, &[axis])).collect();
    concatenate(&expanded, axis as isize)
}

/// Splits into `sections` equal parts along `axis`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0, 6, 1, DType::I32);
/// let parts = ferrax::numpy::split(&x, 3, 0);
/// assert_eq!(parts[2].to_vec::<i32>(), vec![4, 5]);
/// ```
#[track_caller]
pub fn split(x: &Tensor, sections: usize, axis: isize) -> Vec<Tensor> {
    let axis = normalize_axis(axis, x.ndim());
    let n = x.shape()[axis];
    assert!(
        sections > 0 && n % sections == 0,
        "split: axis of size {n} does not divide into {sections} sections"
    );
    let step = n / sections;
    (0..sections)
        .map(|i| {
            slice_axis(
                x,
                axis as isize,
                (i * step) as isize,
                ((i + 1) * step) as isize,
            )
        })
        .collect()
}

/// `x[..., start:stop, ...]` along `axis` (negative bounds count from the end, clamped like
/// Python slices).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0, 5, 1, DType::I32);
/// assert_eq!(ferrax::numpy::slice_axis(&x, 0, 1, -1).to_vec::<i32>(), vec![1, 2, 3]);
/// ```
#[track_caller]
pub fn slice_axis(x: &Tensor, axis: isize, start: isize, stop: isize) -> Tensor {
    let axis = normalize_axis(axis, x.ndim());
    let n = x.shape()[axis] as isize;
    let fix = |i: isize| (if i < 0 { i + n } else { i }).clamp(0, n) as usize;
    let (s, e) = (fix(start), fix(stop).max(fix(start)));
    let mut starts = vec![0; x.ndim()];
    let mut limits = x.shape().to_vec();
    starts[axis] = s;
    limits[axis] = e;
    lax::slice(x, &starts, &limits, None)
}

/// `x[i]` along `axis` (the axis disappears); negative `i` counts from the end.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// assert_eq!(ferrax::numpy::index_axis(&x, 0, -1).to_vec::<i32>(), vec![3, 4]);
/// ```
#[track_caller]
pub fn index_axis(x: &Tensor, axis: isize, i: isize) -> Tensor {
    let ax = normalize_axis(axis, x.ndim());
    let n = x.shape()[ax] as isize;
    let j = if i < 0 { i + n } else { i };
    assert!(
        j >= 0 && j < n,
        "index {i} is out of bounds for axis {ax} of size {n}"
    );
    let s = slice_axis(x, ax as isize, j, j + 1);
    lax::squeeze(&s, &[ax])
}

/// `jnp.take(x, indices, axis)`: gathers along `axis`; negative indices wrap once, and
/// out-of-range indices are clamped (JAX's default for `take` is fill; ferrax clamps, as
/// lax.gather's CLIP mode).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![10.0f32, 11.0, 12.0], &[3]);
/// let i = Tensor::from_vec(vec![2, -1, 0], &[3]);
/// assert_eq!(ferrax::numpy::take(&x, &i, 0).to_vec::<f32>(), vec![12.0, 12.0, 10.0]);
/// ```
#[track_caller]
pub fn take(x: &Tensor, indices: &Tensor, axis: isize) -> Tensor {
    use crate::prims::index::{GatherDimensionNumbers, GatherScatterMode};
    let axis = normalize_axis(axis, x.ndim());
    let idx = lax::convert_element_type(indices, DType::I32);
    let n = x.shape()[axis] as i32;
    let wrapped = where_(&idx.lt(0), add(&idx, n), &idx);
    let mut idx_shape = wrapped.shape().to_vec();
    idx_shape.push(1);
    let nd = wrapped.ndim();
    let dims: Vec<usize> = (0..nd).collect();
    let idx = lax::broadcast_in_dim(&wrapped, &idx_shape, &dims);
    // Output: x's dims before `axis`, then the index dims, then x's dims after `axis`.
    let offset_dims: Vec<usize> = (0..x.ndim())
        .filter(|&d| d != axis)
        .map(|d| if d < axis { d } else { d - 1 + nd })
        .collect();
    let mut slice_sizes = x.shape().to_vec();
    slice_sizes[axis] = 1;
    let dn = GatherDimensionNumbers {
        offset_dims: offset_dims.as_slice().into(),
        collapsed_slice_dims: [axis].as_slice().into(),
        start_index_map: [axis].as_slice().into(),
        ..Default::default()
    };
    // Batch (index) dims fill the output positions the offset dims leave free, so the result
    // is laid out as x[:axis] + indices + x[axis+1:].
    lax::gather(x, &idx, dn, &slice_sizes, GatherScatterMode::Clip)
}

/// One-hot encoding of integer `labels` into `num_classes` (f32), as `jax.nn.one_hot`;
/// out-of-range labels give all-zero rows.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::numpy::one_hot(&Tensor::from_vec(vec![1, 0], &[2]), 3);
/// assert_eq!(y.to_vec::<f32>(), vec![0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
/// ```
#[track_caller]
pub fn one_hot(labels: &Tensor, num_classes: usize) -> Tensor {
    let labels = lax::convert_element_type(labels, DType::I32);
    let nd = labels.ndim();
    let mut shape = labels.shape().to_vec();
    shape.push(1);
    let dims: Vec<usize> = (0..nd).collect();
    let col = lax::broadcast_in_dim(&labels, &shape, &dims);
    let classes = lax::iota(DType::I32, &[num_classes], 0);
    lax::convert_element_type(&equal(&col, &classes), DType::F32)
}

/// Moves an axis to a new position.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[2, 3, 4], DType::F32);
/// assert_eq!(ferrax::numpy::moveaxis(&x, 0, -1).shape(), &[3, 4, 2]);
/// ```
#[track_caller]
pub fn moveaxis(x: &Tensor, source: isize, destination: isize) -> Tensor {
    let (s, d) = (
        normalize_axis(source, x.ndim()),
        normalize_axis(destination, x.ndim()),
    );
    let mut perm: Vec<usize> = (0..x.ndim()).filter(|&i| i != s).collect();
    perm.insert(d, s);
    lax::transpose(x, &perm)
}

/// Adds a size-1 axis at `axis` (negative counts in the result's rank).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[3], DType::F32);
/// assert_eq!(ferrax::numpy::expand_dims(&x, -1).shape(), &[3, 1]);
/// ```
#[track_caller]
pub fn expand_dims(x: &Tensor, axis: isize) -> Tensor {
    lax::expand_dims(x, &[normalize_axis(axis, x.ndim() + 1)])
}

/// Removes size-1 axes (all of them when `axes` is empty).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[1, 3, 1], DType::F32);
/// assert_eq!(ferrax::numpy::squeeze(&x, &[]).shape(), &[3]);
/// ```
#[track_caller]
pub fn squeeze(x: &Tensor, axes: &[isize]) -> Tensor {
    let dims: Vec<usize> = if axes.is_empty() {
        (0..x.ndim()).filter(|&i| x.shape()[i] == 1).collect()
    } else {
        normalize_axes(axes, x.ndim())
    };
    lax::squeeze(x, &dims)
}
