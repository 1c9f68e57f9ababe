//! `jax.numpy`'s aliases and small conveniences: the array-API spellings (`acos`, `concat`,
//! `permute_dims`, `pow`, ...), shape queries, splitting helpers, `broadcast_arrays`,
//! `divmod`, `modf`, `ldexp`, `fmax`/`fmin`.

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// Unary aliases of existing functions (the array-API names JAX also exports).
macro_rules! unary_alias {
    ($($name:ident => $target:ident),* $(,)?) => {$(
        #[doc = concat!("`jnp.", stringify!($name), "`: the same as [`", stringify!($target), "`].\n\n```\nuse ferrax::prelude::*;\nuse ferrax::numpy as jnp;\nlet x = Tensor::from_vec(vec![1.0f32], &[1]);\nassert_eq!(jnp::", stringify!($name), "(&x).to_vec::<f32>(), jnp::", stringify!($target), "(&x).to_vec::<f32>());\n```")]
        #[track_caller]
        pub fn $name(x: &Tensor) -> Tensor {
            $target(x)
        }
    )*};
}
unary_alias!(
    acos => arccos, acosh => arccosh, asin => arcsin, asinh => arcsinh, atan => arctan,
    atanh => arctanh, around => round,
);

/// `jnp.atan2`: the same as [`arctan2`].
///
/// ```
/// use ferrax::prelude::*;
/// let y = Tensor::from_vec(vec![1.0f32], &[1]);
/// assert_eq!(ferrax::numpy::atan2(&y, 0.0).shape(), &[1]);
/// ```
#[track_caller]
pub fn atan2(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    binary("atan2", BinaryOp::Atan2, a, b)
}

/// `jnp.pow`: the same as [`power`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![4.0f32, 9.0], &[2]);
/// assert_eq!(ferrax::numpy::pow(&x, 0.5).to_vec::<f32>(), vec![2.0, 3.0]);
/// ```
#[track_caller]
pub fn pow(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    binary("pow", BinaryOp::Pow, a, b)
}

/// `jnp.amax`: the same as [`max`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 4.0, 3.0, 2.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::amax(&x, Some(&[-1])).to_vec::<f32>(), vec![4.0, 3.0]);
/// ```
#[track_caller]
pub fn amax(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    max(x, axes)
}

/// `jnp.amin`: the same as [`min`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 4.0, 3.0, 2.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::amin(&x, Some(&[0])).to_vec::<f32>(), vec![1.0, 2.0]);
/// ```
#[track_caller]
pub fn amin(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    min(x, axes)
}

/// `jnp.concat`: the same as [`concatenate`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::concat(&[x.clone(), x], 0).to_vec::<i32>(), vec![1, 2, 1, 2]);
/// ```
#[track_caller]
pub fn concat(xs: &[Tensor], axis: isize) -> Tensor {
    concatenate(xs, axis)
}

/// `jnp.permute_dims`: the same as [`transpose`] with explicit axes.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4, 5, 6], &[2, 3]);
/// assert_eq!(ferrax::numpy::permute_dims(&x, &[1, 0]).shape(), &[3, 2]);
/// ```
#[track_caller]
pub fn permute_dims(x: &Tensor, axes: &[isize]) -> Tensor {
    transpose(x, axes)
}

/// `jnp.matrix_transpose`: swaps the last two axes (rank at least 2).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4, 5, 6], &[1, 2, 3]);
/// assert_eq!(ferrax::numpy::matrix_transpose(&x).shape(), &[1, 3, 2]);
/// ```
#[track_caller]
pub fn matrix_transpose(x: &Tensor) -> Tensor {
    let n = x.ndim();
    assert!(
        n >= 2,
        "matrix_transpose: needs rank >= 2, got shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    let mut perm: Vec<usize> = (0..n).collect();
    perm.swap(n - 2, n - 1);
    lax::transpose(x, &perm)
}

/// `jnp.fabs`: absolute value as a float (integers become f32).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2, 3], &[2]);
/// assert_eq!(ferrax::numpy::fabs(&x).to_vec::<f32>(), vec![2.0, 3.0]);
/// ```
#[track_caller]
pub fn fabs(x: &Tensor) -> Tensor {
    lax::abs(&ufuncs::to_float(x))
}

/// `jnp.fmax`: elementwise maximum that ignores NaNs (NaN only where both are NaN).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![f32::NAN, 1.0], &[2]);
/// assert_eq!(ferrax::numpy::fmax(&x, 0.5).to_vec::<f32>(), vec![0.5, 1.0]);
/// ```
#[track_caller]
pub fn fmax(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = promote_named("fmax", a, b);
    let m = maximum(&a, &b);
    where_(&isnan(&a), &b, where_(&isnan(&b), &a, &m))
}

/// `jnp.fmin`: elementwise minimum that ignores NaNs (NaN only where both are NaN).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![f32::NAN, 1.0], &[2]);
/// assert_eq!(ferrax::numpy::fmin(&x, 0.5).to_vec::<f32>(), vec![0.5, 0.5]);
/// ```
#[track_caller]
pub fn fmin(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = promote_named("fmin", a, b);
    let m = minimum(&a, &b);
    where_(&isnan(&a), &b, where_(&isnan(&b), &a, &m))
}

/// `jnp.ndim`: the rank.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::numpy::ndim(&Tensor::from_vec(vec![1, 2], &[1, 2])), 2);
/// ```
pub fn ndim(x: &Tensor) -> usize {
    x.ndim()
}

/// `jnp.shape`: the shape.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::numpy::shape(&Tensor::from_vec(vec![1, 2], &[1, 2])), vec![1, 2]);
/// ```
pub fn shape(x: &Tensor) -> Vec<usize> {
    x.shape().to_vec()
}

/// `jnp.size`: the number of elements.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::numpy::size(&Tensor::from_vec(vec![1, 2], &[1, 2])), 2);
/// ```
pub fn size(x: &Tensor) -> usize {
    x.shape().iter().product()
}

/// `jnp.copy`: a copy (`lax.copy`; the derivative passes through).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::copy(&x).to_vec::<i32>(), vec![1, 2]);
/// ```
#[track_caller]
pub fn copy(x: &Tensor) -> Tensor {
    lax::copy(x)
}

/// `jnp.asarray` of a tensor: the tensor itself (no copy, as JAX returns its input).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::asarray(&x).to_vec::<i32>(), vec![1, 2]);
/// ```
pub fn asarray(x: &Tensor) -> Tensor {
    x.clone()
}

/// `jnp.empty`: as JAX, zeros of the default dtype f32 ([`empty_with`] for another dtype).
///
/// ```
/// assert_eq!(ferrax::numpy::empty(&[2]).to_vec::<f32>(), vec![0.0, 0.0]);
/// ```
#[track_caller]
pub fn empty(shape: &[usize]) -> Tensor {
    zeros(shape)
}

/// [`empty`] with a dtype.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{empty_with, WithDType};
/// let e = empty_with(&[2], WithDType { dtype: Some(DType::I32) });
/// assert_eq!(e.dtype(), DType::I32);
/// ```
#[track_caller]
pub fn empty_with(shape: &[usize], opts: WithDType) -> Tensor {
    zeros_with(shape, opts)
}

/// `jnp.rollaxis(x, axis, start)`: moves `axis` so it lies before position `start`
/// (numpy's legacy form of [`moveaxis`]; JAX's default `start` is 0).
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::numpy::zeros(&[2, 3, 4]);
/// assert_eq!(ferrax::numpy::rollaxis(&x, 2, 0).shape(), &[4, 2, 3]);
/// assert_eq!(ferrax::numpy::rollaxis(&x, 0, 3).shape(), &[3, 4, 2]);
/// ```
#[track_caller]
pub fn rollaxis(x: &Tensor, axis: isize, start: isize) -> Tensor {
    let n = x.ndim() as isize;
    let axis = normalize_axis(axis, x.ndim()) as isize;
    assert!(
        -n <= start && start <= n,
        "rollaxis: start {start} out of bounds for shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    let mut start = if start < 0 { start + n } else { start };
    if start > axis {
        start -= 1;
    }
    moveaxis(x, axis, start)
}

/// `jnp.unstack(x, axis)`: the slices of `x` along `axis`, that axis removed (JAX's default
/// axis is 0).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// let parts = ferrax::numpy::unstack(&x, -1);
/// assert_eq!(parts[1].to_vec::<i32>(), vec![2, 4]);
/// ```
#[track_caller]
pub fn unstack(x: &Tensor, axis: isize) -> Vec<Tensor> {
    assert!(
        x.ndim() > 0,
        "unstack: needs rank >= 1, got shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    let a = normalize_axis(axis, x.ndim());
    (0..x.shape()[a])
        .map(|i| index_axis(x, a as isize, i as isize))
        .collect()
}

/// `jnp.hsplit(x, sections)`: equal [`split`] along axis 1 (axis 0 for 1-D).
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::numpy::zeros(&[2, 4]);
/// assert_eq!(ferrax::numpy::hsplit(&x, 2)[0].shape(), &[2, 2]);
/// ```
#[track_caller]
pub fn hsplit(x: &Tensor, sections: usize) -> Vec<Tensor> {
    assert!(
        x.ndim() >= 1,
        "hsplit: needs rank >= 1, got shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    split(x, sections, if x.ndim() == 1 { 0 } else { 1 })
}

/// `jnp.vsplit(x, sections)`: equal [`split`] along axis 0 (rank at least 2).
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::numpy::zeros(&[4, 2]);
/// assert_eq!(ferrax::numpy::vsplit(&x, 2)[1].shape(), &[2, 2]);
/// ```
#[track_caller]
pub fn vsplit(x: &Tensor, sections: usize) -> Vec<Tensor> {
    assert!(
        x.ndim() >= 2,
        "vsplit: needs rank >= 2, got shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    split(x, sections, 0)
}

/// `jnp.dsplit(x, sections)`: equal [`split`] along axis 2 (rank at least 3).
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::numpy::zeros(&[1, 2, 4]);
/// assert_eq!(ferrax::numpy::dsplit(&x, 4)[0].shape(), &[1, 2, 1]);
/// ```
#[track_caller]
pub fn dsplit(x: &Tensor, sections: usize) -> Vec<Tensor> {
    assert!(
        x.ndim() >= 3,
        "dsplit: needs rank >= 3, got shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    split(x, sections, 2)
}

/// `jnp.broadcast_arrays`: every tensor broadcast to their common shape (dtypes kept).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[2]);
/// let b = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]);
/// let out = ferrax::numpy::broadcast_arrays(&[a, b]);
/// assert_eq!((out[0].shape(), out[1].shape()), (&[2usize, 2][..], &[2usize, 2][..]));
/// ```
#[track_caller]
pub fn broadcast_arrays(xs: &[Tensor]) -> Vec<Tensor> {
    let ops: Vec<Operand> = xs.iter().map(|x| Operand::Tensor(x.clone())).collect();
    let refs: Vec<&Operand> = ops.iter().collect();
    check_broadcast("broadcast_arrays", &refs);
    let shape = xs
        .iter()
        .fold(Vec::new(), |s, x| broadcast_shapes(&s, x.shape()));
    xs.iter().map(|x| broadcast_to(x, &shape)).collect()
}

/// `jnp.divmod`: `(floor_divide(a, b), remainder(a, b))`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-7, 7], &[2]);
/// let (q, r) = ferrax::numpy::divmod(&x, 3);
/// assert_eq!((q.to_vec::<i32>(), r.to_vec::<i32>()), (vec![-3, 2], vec![2, 1]));
/// ```
#[track_caller]
pub fn divmod(a: impl IntoOperand, b: impl IntoOperand) -> (Tensor, Tensor) {
    let (a, b) = promote_named("divmod", a, b);
    (floor_divide(&a, &b), remainder(&a, &b))
}

/// `jnp.modf`: `(fractional part, integral part)`, both with the sign of `x`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2.5f32, 1.25], &[2]);
/// let (f, i) = ferrax::numpy::modf(&x);
/// assert_eq!((f.to_vec::<f32>(), i.to_vec::<f32>()), (vec![-0.5, 0.25], vec![-2.0, 1.0]));
/// ```
#[track_caller]
pub fn modf(x: &Tensor) -> (Tensor, Tensor) {
    let x = ufuncs::to_float(x);
    let whole = trunc(&x);
    (lax::sub(&x, &whole), whole)
}

/// `jnp.ldexp(x, n)`: `x * 2**n` for an integer `n`, exact while `|n| <= 252` (the power of
/// two is built from its bits, in two halves so that `2**n` itself may overflow).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.5f32, 3.0], &[2]);
/// let n = Tensor::from_vec(vec![2, -1], &[2]);
/// assert_eq!(ferrax::numpy::ldexp(&x, &n).to_vec::<f32>(), vec![6.0, 1.5]);
/// ```
#[track_caller]
pub fn ldexp(x: impl IntoOperand, n: &Tensor) -> Tensor {
    assert!(
        matches!(n.dtype(), DType::I32 | DType::U32 | DType::Bool),
        "ldexp: the exponent must be an integer tensor, got {} (called from {})",
        n.aval(),
        std::panic::Location::caller()
    );
    let x = match x.into_operand() {
        Operand::Tensor(t) => ufuncs::to_float(&t),
        Operand::Scalar(v, _) => Tensor::full(&[], v, DType::F32),
    };
    let (x, n) = promote_named("ldexp", &x, lax::convert_element_type(n, DType::I32));
    let x = ufuncs::to_float(&x);
    let n = lax::convert_element_type(&n, DType::I32);
    // 2**k for -126 <= k <= 127, from f32 exponent bits (exactly converted to f64 if needed).
    let pow2 = |k: &Tensor| {
        let k = clip(k, -126, 127);
        let bits = lax::shift_left(&add(&k, 127), &Tensor::full(k.shape(), 23, DType::I32));
        lax::convert_element_type(&lax::bitcast_convert_type(&bits, DType::F32), x.dtype())
    };
    let half = floor_divide(&n, 2);
    let rest = lax::sub(&n, &half);
    multiply(multiply(&x, pow2(&half)), pow2(&rest))
}
