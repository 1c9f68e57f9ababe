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

macro_rules! binary_operator {
    ($Trait:ident, $method:ident, $f:path) => {
        impl $Trait<Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                $f(self, rhs)
            }
        }
        impl $Trait<&Tensor> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                $f(self, rhs)
            }
        }
        impl $Trait<Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                $f(self, rhs)
            }
        }
        impl $Trait<&Tensor> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                $f(self, rhs)
            }
        }
        impl<S: Scalar> $Trait<S> for Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: S) -> Tensor {
                $f(self, rhs)
            }
        }
        impl<S: Scalar> $Trait<S> for &Tensor {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: S) -> Tensor {
                $f(self, rhs)
            }
        }
        impl $Trait<Tensor> for f64 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                $f(self, rhs)
            }
        }
        impl $Trait<&Tensor> for f64 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
                $f(self, rhs)
            }
        }
        impl $Trait<Tensor> for i32 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: Tensor) -> Tensor {
                $f(self, rhs)
            }
        }
        impl $Trait<&Tensor> for i32 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: &Tensor) -> Tensor {
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
    /// Elementwise maximum with a tensor or scalar (NaN propagates).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![-1.0f32, 2.0], &[2]);
    /// assert_eq!(x.maximum(0.0).to_vec::<f32>(), vec![0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn maximum(&self, other: impl IntoOperand) -> Tensor {
        jnp::binary("maximum", BinaryOp::Max, self, other)
    }

    /// Elementwise minimum with a tensor or scalar (NaN propagates).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![-1.0f32, 2.0], &[2]);
    /// assert_eq!(x.minimum(0.0).to_vec::<f32>(), vec![-1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn minimum(&self, other: impl IntoOperand) -> Tensor {
        jnp::binary("minimum", BinaryOp::Min, self, other)
    }

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

    /// Sum of all elements.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::ones(&[2, 3], DType::F32).sum().item::<f32>(), 6.0);
    /// ```
    #[track_caller]
    pub fn sum(&self) -> Tensor {
        jnp::sum(self, None)
    }

    /// Sum over `axes` (negative allowed).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::ones(&[2, 3], DType::F32).sum_axes(&[-1]).to_vec::<f32>(), vec![3.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn sum_axes(&self, axes: &[isize]) -> Tensor {
        jnp::sum(self, Some(axes))
    }

    /// Mean of all elements.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32, 3.0], &[2]).mean().item::<f32>(), 2.0);
    /// ```
    #[track_caller]
    pub fn mean(&self) -> Tensor {
        jnp::mean(self, None)
    }

    /// Mean over `axes` (negative allowed).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::ones(&[2, 3], DType::F32).mean_axes(&[0]).shape(), &[3]);
    /// ```
    #[track_caller]
    pub fn mean_axes(&self, axes: &[isize]) -> Tensor {
        jnp::mean(self, Some(axes))
    }

    /// Population variance of all elements.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32, 3.0], &[2]).var().item::<f32>(), 1.0);
    /// ```
    #[track_caller]
    pub fn var(&self) -> Tensor {
        jnp::var(self, None)
    }

    /// Maximum of all elements.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32, 3.0], &[2]).max().item::<f32>(), 3.0);
    /// ```
    #[track_caller]
    pub fn max(&self) -> Tensor {
        jnp::max(self, None)
    }

    /// Maximum over `axes`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 0.0], &[2, 2]);
    /// assert_eq!(x.max_axes(&[1]).to_vec::<f32>(), vec![3.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn max_axes(&self, axes: &[isize]) -> Tensor {
        jnp::max(self, Some(axes))
    }

    /// Minimum of all elements.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32, 3.0], &[2]).min().item::<f32>(), 1.0);
    /// ```
    #[track_caller]
    pub fn min(&self) -> Tensor {
        jnp::min(self, None)
    }

    /// Index of the maximum along `axis` (i32).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 0.0], &[2, 2]);
    /// assert_eq!(x.argmax(-1).to_vec::<i32>(), vec![1, 0]);
    /// ```
    #[track_caller]
    pub fn argmax(&self, axis: isize) -> Tensor {
        jnp::argmax(self, Some(axis))
    }

    /// Index of the minimum along `axis` (i32).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 0.0], &[2, 2]);
    /// assert_eq!(x.argmin(0).to_vec::<i32>(), vec![0, 1]);
    /// ```
    #[track_caller]
    pub fn argmin(&self, axis: isize) -> Tensor {
        jnp::argmin(self, Some(axis))
    }

    /// Reshape; one `-1` is inferred.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::zeros(&[6], DType::F32).reshape(&[2, -1]).shape(), &[2, 3]);
    /// ```
    #[track_caller]
    pub fn reshape(&self, shape: &[isize]) -> Tensor {
        jnp::reshape(self, shape)
    }

    /// Permutes dims (reverses them when `axes` is empty).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::zeros(&[2, 3], DType::F32).transpose(&[1, 0]).shape(), &[3, 2]);
    /// ```
    #[track_caller]
    pub fn transpose(&self, axes: &[isize]) -> Tensor {
        jnp::transpose(self, axes)
    }

    /// The transpose of a matrix (reversed dims in general), like numpy's `.T`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::zeros(&[2, 3], DType::F32).t().shape(), &[3, 2]);
    /// ```
    #[track_caller]
    pub fn t(&self) -> Tensor {
        jnp::transpose(self, &[])
    }

    /// numpy `matmul`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let a = Tensor::eye(2, DType::F32);
    /// let b = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(a.matmul(&b).to_vec::<f32>(), b.to_vec::<f32>());
    /// ```
    #[track_caller]
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        jnp::matmul(self, other)
    }

    /// Broadcasts to `shape` (numpy rules).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::scalar(1.0f32).broadcast_to(&[2, 2]).shape(), &[2, 2]);
    /// ```
    #[track_caller]
    pub fn broadcast_to(&self, shape: &[usize]) -> Tensor {
        jnp::broadcast_to(self, shape)
    }

    /// `self[.., start:stop, ..]` along `axis`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::arange(0, 4, 1, DType::I32);
    /// assert_eq!(x.slice_axis(0, 1, 3).to_vec::<i32>(), vec![1, 2]);
    /// ```
    #[track_caller]
    pub fn slice_axis(&self, axis: isize, start: isize, stop: isize) -> Tensor {
        jnp::slice_axis(self, axis, start, stop)
    }

    /// `self[.., i, ..]` along `axis` (the axis is removed).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
    /// assert_eq!(x.index_axis(1, 0).to_vec::<i32>(), vec![1, 3]);
    /// ```
    #[track_caller]
    pub fn index_axis(&self, axis: isize, i: isize) -> Tensor {
        jnp::index_axis(self, axis, i)
    }

    /// Gathers entries along `axis` at `indices` (`jnp.take`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![5, 6, 7], &[3]);
    /// assert_eq!(x.take(&Tensor::from_vec(vec![2, 0], &[2]), 0).to_vec::<i32>(), vec![7, 5]);
    /// ```
    #[track_caller]
    pub fn take(&self, indices: &Tensor, axis: isize) -> Tensor {
        jnp::take(self, indices, axis)
    }

    /// Inserts a size-1 axis.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::zeros(&[3], DType::F32).expand_dims(0).shape(), &[1, 3]);
    /// ```
    #[track_caller]
    pub fn expand_dims(&self, axis: isize) -> Tensor {
        jnp::expand_dims(self, axis)
    }

    /// Removes size-1 axes (all when `axes` is empty).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::zeros(&[1, 3], DType::F32).squeeze(&[]).shape(), &[3]);
    /// ```
    #[track_caller]
    pub fn squeeze(&self, axes: &[isize]) -> Tensor {
        jnp::squeeze(self, axes)
    }
}
