//! The numpy-style methods of [`Tensor`] and its operators (`+ - * / %`), attached here
//! as JAX attaches array methods from `jax.numpy`: the tensor layer defines the handle, the
//! layer that defines an op defines its method. A Rust scalar on the right can be any
//! [`Scalar`] (one generic impl, so unsuffixed literals infer); on the left, Rust's orphan
//! rules allow only concrete impls, so there is one for `f64` and one for `i32`: `1.0 - &x`
//! and `2 * &x` work for every dtype (the scalar takes the tensor's dtype). All of them are
//! thin calls into `crate::numpy`, so they trace like any other op. (Unary `-` and the
//! elementwise methods are in `lax`, the activations in `nn`.)

use crate::numpy::{self as jnp, IntoOperand};
use crate::prims::BinaryOp;
use crate::tensor::{Scalar, Tensor};
use std::ops::{Add, Div, Mul, Rem, Sub};

/// The ten impls of one operator trait, all calling `$f`: a tensor or a reference on either
/// side, any [`Scalar`] on the right, an `f64` or `i32` on the left.
macro_rules! binary_operator {
    ($Trait:ident, $method:ident, $f:path) => {
        binary_operator!(@impl $Trait, $method, $f, [] Tensor, Tensor | &Tensor);
        binary_operator!(@impl $Trait, $method, $f, [] &Tensor, Tensor | &Tensor);
        binary_operator!(@impl $Trait, $method, $f, [S: Scalar] Tensor, S);
        binary_operator!(@impl $Trait, $method, $f, [S: Scalar] &Tensor, S);
        binary_operator!(@impl $Trait, $method, $f, [] f64, Tensor | &Tensor);
        binary_operator!(@impl $Trait, $method, $f, [] i32, Tensor | &Tensor);
    };
    (@impl $Trait:ident, $method:ident, $f:path, $g:tt $Lhs:ty, $($Rhs:ty)|+) => {$(
        binary_operator!(@one $Trait, $method, $f, $g $Lhs, $Rhs);
    )+};
    (@one $Trait:ident, $method:ident, $f:path, [$($g:tt)*] $Lhs:ty, $Rhs:ty) => {
        impl<$($g)*> $Trait<$Rhs> for $Lhs {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: $Rhs) -> Tensor {
                $f(self, rhs)
            }
        }
    };
}

// The operators name themselves in shape errors (`add: shapes f32[2] and f32[3] cannot be
// broadcast together (called from src/main.rs:7:13)`), reporting the line that wrote them.
#[track_caller]
fn add_op(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    jnp::binary("add", BinaryOp::Add, a, b)
}
#[track_caller]
fn sub_op(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    jnp::binary("sub", BinaryOp::Sub, a, b)
}
#[track_caller]
fn mul_op(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    jnp::binary("mul", BinaryOp::Mul, a, b)
}
#[track_caller]
fn div_op(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    jnp::divide_named("div", a, b)
}
#[track_caller]
fn rem_op(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    jnp::binary("rem", BinaryOp::Rem, a, b)
}

binary_operator!(Add, add, add_op);
binary_operator!(Sub, sub, sub_op);
binary_operator!(Mul, mul, mul_op);
binary_operator!(Div, div, div_op);
binary_operator!(Rem, rem, rem_op);

macro_rules! compare_methods {
    ($($name:ident => $f:ident),* $(,)?) => {
        impl Tensor {$(
            #[doc = concat!("Elementwise `", stringify!($name), "` comparison with a tensor or a scalar (bool result).")]
            #[track_caller]
            pub fn $name(&self, other: impl IntoOperand) -> Tensor {
                jnp::binary(stringify!($name), BinaryOp::$f, self, other)
            }
        )*}
    };
}
compare_methods!(eq => Eq, ne => Ne, lt => Lt, le => Le, gt => Gt, ge => Ge);

impl Tensor {
    /// `self ** exponent` (float power).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::scalar(2.0f32).pow(3.0).item::<f32>(), 8.0);
    /// ```
    #[track_caller]
    pub fn pow(&self, exponent: impl IntoOperand) -> Tensor {
        jnp::binary("pow", BinaryOp::Pow, self, exponent)
    }
}

/// Methods that are `jax.numpy` functions with `self` as the first argument: each entry
/// `fn m(args) => jnp::f(self, rest)` defines `Tensor::m(&self, args)` as that call (the
/// `self` in the entry stands for the receiver).
macro_rules! numpy_methods {
    ($($(#[$doc:meta])+ fn $name:ident($($arg:ident: $ty:ty),*) => jnp::$f:ident(self $(, $rest:expr)*);)*) => {
        impl Tensor {$(
            $(#[$doc])+
            #[track_caller]
            pub fn $name(&self, $($arg: $ty),*) -> Tensor {
                jnp::$f(self $(, $rest)*)
            }
        )*}
    };
}
numpy_methods! {
    /// Elementwise maximum with a tensor or scalar (NaN propagates).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![-1.0f32, 2.0], &[2]);
    /// assert_eq!(x.maximum(0.0).to_vec::<f32>(), vec![0.0, 2.0]);
    /// ```
    fn maximum(other: impl IntoOperand) => jnp::maximum(self, other);

    /// Elementwise minimum with a tensor or scalar (NaN propagates).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![-1.0f32, 2.0], &[2]);
    /// assert_eq!(x.minimum(0.0).to_vec::<f32>(), vec![-1.0, 0.0]);
    /// ```
    fn minimum(other: impl IntoOperand) => jnp::minimum(self, other);

    /// Sum of all elements.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::ones(&[2, 3], DType::F32).sum().item::<f32>(), 6.0);
    /// ```
    fn sum() => jnp::sum(self, None);

    /// Sum over `axes` (negative allowed).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::ones(&[2, 3], DType::F32).sum_axes(&[-1]).to_vec::<f32>(), vec![3.0, 3.0]);
    /// ```
    fn sum_axes(axes: &[isize]) => jnp::sum(self, Some(axes));

    /// Mean of all elements.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32, 3.0], &[2]).mean().item::<f32>(), 2.0);
    /// ```
    fn mean() => jnp::mean(self, None);

    /// Mean over `axes` (negative allowed).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::ones(&[2, 3], DType::F32).mean_axes(&[0]).shape(), &[3]);
    /// ```
    fn mean_axes(axes: &[isize]) => jnp::mean(self, Some(axes));

    /// Population variance of all elements.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32, 3.0], &[2]).var().item::<f32>(), 1.0);
    /// ```
    fn var() => jnp::var(self, None);

    /// Maximum of all elements.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32, 3.0], &[2]).max().item::<f32>(), 3.0);
    /// ```
    fn max() => jnp::max(self, None);

    /// Maximum over `axes`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 0.0], &[2, 2]);
    /// assert_eq!(x.max_axes(&[1]).to_vec::<f32>(), vec![3.0, 2.0]);
    /// ```
    fn max_axes(axes: &[isize]) => jnp::max(self, Some(axes));

    /// Minimum of all elements.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32, 3.0], &[2]).min().item::<f32>(), 1.0);
    /// ```
    fn min() => jnp::min(self, None);

    /// Index of the maximum along `axis` (i32).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 0.0], &[2, 2]);
    /// assert_eq!(x.argmax(-1).to_vec::<i32>(), vec![1, 0]);
    /// ```
    fn argmax(axis: isize) => jnp::argmax(self, Some(axis));

    /// Index of the minimum along `axis` (i32).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 0.0], &[2, 2]);
    /// assert_eq!(x.argmin(0).to_vec::<i32>(), vec![0, 1]);
    /// ```
    fn argmin(axis: isize) => jnp::argmin(self, Some(axis));

    /// Reshape; one `-1` is inferred.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::zeros(&[6], DType::F32).reshape(&[2, -1]).shape(), &[2, 3]);
    /// ```
    fn reshape(shape: &[isize]) => jnp::reshape(self, shape);

    /// Permutes dims (reverses them when `axes` is empty).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::zeros(&[2, 3], DType::F32).transpose(&[1, 0]).shape(), &[3, 2]);
    /// ```
    fn transpose(axes: &[isize]) => jnp::transpose(self, axes);

    /// The transpose of a matrix (reversed dims in general), like numpy's `.T`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::zeros(&[2, 3], DType::F32).t().shape(), &[3, 2]);
    /// ```
    fn t() => jnp::transpose(self, &[]);

    /// numpy `matmul`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let a = Tensor::eye(2, DType::F32);
    /// let b = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(a.matmul(&b).to_vec::<f32>(), b.to_vec::<f32>());
    /// ```
    fn matmul(other: &Tensor) => jnp::matmul(self, other);

    /// Broadcasts to `shape` (numpy rules).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::scalar(1.0f32).broadcast_to(&[2, 2]).shape(), &[2, 2]);
    /// ```
    fn broadcast_to(shape: &[usize]) => jnp::broadcast_to(self, shape);

    /// `self[.., start:stop, ..]` along `axis`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::arange(0, 4, 1, DType::I32);
    /// assert_eq!(x.slice_axis(0, 1, 3).to_vec::<i32>(), vec![1, 2]);
    /// ```
    fn slice_axis(axis: isize, start: isize, stop: isize) => jnp::slice_axis(self, axis, start, stop);

    /// `self[.., i, ..]` along `axis` (the axis is removed).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
    /// assert_eq!(x.index_axis(1, 0).to_vec::<i32>(), vec![1, 3]);
    /// ```
    fn index_axis(axis: isize, i: isize) => jnp::index_axis(self, axis, i);

    /// Gathers entries along `axis` at `indices` (`jnp.take`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![5, 6, 7], &[3]);
    /// assert_eq!(x.take(&Tensor::from_vec(vec![2, 0], &[2]), 0).to_vec::<i32>(), vec![7, 5]);
    /// ```
    fn take(indices: &Tensor, axis: isize) => jnp::take(self, indices, axis);

    /// Inserts a size-1 axis.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::zeros(&[3], DType::F32).expand_dims(0).shape(), &[1, 3]);
    /// ```
    fn expand_dims(axis: isize) => jnp::expand_dims(self, axis);

    /// Removes size-1 axes (all when `axes` is empty).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::zeros(&[1, 3], DType::F32).squeeze(&[]).shape(), &[3]);
    /// ```
    fn squeeze(axes: &[isize]) => jnp::squeeze(self, axes);

    /// Whether every element is non-zero (`x.all()`, a bool scalar).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert!(Tensor::from_vec(vec![1, 2], &[2]).all().item::<bool>());
    /// ```
    fn all() => jnp::all(self, None);

    /// Whether some element is non-zero (`x.any()`, a bool scalar).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert!(!Tensor::from_vec(vec![0, 0], &[2]).any().item::<bool>());
    /// ```
    fn any() => jnp::any(self, None);

    /// Standard deviation of all elements (`x.std()`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32, 3.0], &[2]).std().item::<f32>(), 1.0);
    /// ```
    fn std() => jnp::std(self, None);

    /// Running sum along `axis` (`x.cumsum(axis)`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1, 2, 3], &[3]);
    /// assert_eq!(x.cumsum(0).to_vec::<i32>(), vec![1, 3, 6]);
    /// ```
    fn cumsum(axis: isize) => jnp::cumsum(self, Some(axis));

    /// Running product along `axis` (`x.cumprod(axis)`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1, 2, 3], &[3]);
    /// assert_eq!(x.cumprod(-1).to_vec::<i32>(), vec![1, 2, 6]);
    /// ```
    fn cumprod(axis: isize) => jnp::cumprod(self, Some(axis));

    /// The elements as a 1-D tensor (`x.ravel()`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::zeros(&[2, 3], DType::F32).ravel().shape(), &[6]);
    /// ```
    fn ravel() => jnp::ravel(self);

    /// Clips to `[min, max]` (`x.clip(min, max)`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![-1.0f32, 5.0], &[2]);
    /// assert_eq!(x.clip(0.0, 1.0).to_vec::<f32>(), vec![0.0, 1.0]);
    /// ```
    fn clip(min: impl IntoOperand, max: impl IntoOperand) => jnp::clip(self, min, max);

    /// Exchanges two axes (`x.swapaxes(a, b)`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::zeros(&[2, 3], DType::F32).swapaxes(0, 1).shape(), &[3, 2]);
    /// ```
    fn swapaxes(axis1: isize, axis2: isize) => jnp::swapaxes(self, axis1, axis2);
}
