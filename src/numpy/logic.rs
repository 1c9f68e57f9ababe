//! Logic and comparison, `jax.numpy` style: `logical_not`, `isclose`, `allclose`,
//! `array_equal`, `array_equiv` (the elementwise comparisons `equal` … `greater_equal` and
//! `logical_and/or/xor` live in `mod.rs`).

use super::ufuncs::to_float;
use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// `jnp.logical_not`: true where `x` is zero (false for bools that are true).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32, 2.0], &[2]);
/// assert_eq!(ferrax::numpy::logical_not(&x).to_vec::<bool>(), vec![true, false]);
/// ```
#[track_caller]
pub fn logical_not(x: &Tensor) -> Tensor {
    if x.dtype() == DType::Bool {
        lax::not(x)
    } else {
        x.eq(0)
    }
}

/// Options of [`isclose_with`] and [`allclose_with`] (`rtol=1e-5, atol=1e-8,
/// equal_nan=False`, as JAX).
#[derive(Clone, Copy, Debug)]
pub struct IsClose {
    /// Relative tolerance, applied to `|b|`.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Whether two NaNs compare equal.
    pub equal_nan: bool,
}

impl Default for IsClose {
    fn default() -> Self {
        IsClose {
            rtol: 1e-5,
            atol: 1e-8,
            equal_nan: false,
        }
    }
}

/// `jnp.isclose(a, b)`: `|a - b| <= atol + rtol * |b|` elementwise; equal infinities are
/// close, NaN is never close (see [`isclose_with`]).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 1.0, f32::INFINITY], &[3]);
/// let b = Tensor::from_vec(vec![1.0f32 + 1e-7, 1.1, f32::INFINITY], &[3]);
/// assert_eq!(ferrax::numpy::isclose(&a, &b).to_vec::<bool>(), vec![true, false, true]);
/// ```
#[track_caller]
pub fn isclose(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    isclose_with(a, b, IsClose::default())
}

/// [`isclose`] with explicit tolerances and `equal_nan`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, IsClose};
/// let a = Tensor::from_vec(vec![f32::NAN, 1.0], &[2]);
/// let o = IsClose { equal_nan: true, atol: 0.5, ..Default::default() };
/// assert_eq!(jnp::isclose_with(&a, &(&a + 0.25), o).to_vec::<bool>(), vec![true, true]);
/// ```
#[track_caller]
pub fn isclose_with(a: impl IntoOperand, b: impl IntoOperand, opts: IsClose) -> Tensor {
    let (a, b) = promote_named("isclose", a, b);
    if !a.dtype().is_float() {
        return lax::eq(&a, &b);
    }
    let (a, b) = (to_float(&a), to_float(&b));
    let dt = a.dtype();
    let tol = lax::add(
        &Tensor::full(&[], opts.atol, dt),
        &lax::mul(&Tensor::full(&[], opts.rtol, dt), &lax::abs(&b)),
    );
    let out = lax::le(&lax::abs(&lax::sub(&a, &b)), &tol);
    let (ai, bi) = (isinf(&a), isinf(&b));
    let out = lax::and(&out, &lax::not(&lax::or(&ai, &bi)));
    let same_inf = lax::and(&lax::and(&ai, &bi), &lax::eq(&a, &b));
    let out = lax::or(&out, &same_inf);
    let (an, bn) = (isnan(&a), isnan(&b));
    let out = lax::and(&out, &lax::not(&lax::or(&an, &bn)));
    if opts.equal_nan {
        lax::or(&out, &lax::and(&an, &bn))
    } else {
        out
    }
}

/// `jnp.allclose(a, b)`: whether every element [`isclose`] (a bool scalar tensor).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// assert!(ferrax::numpy::allclose(&a, &(&a + 1e-6)).item::<bool>());
/// ```
#[track_caller]
pub fn allclose(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    allclose_with(a, b, IsClose::default())
}

/// [`allclose`] with explicit tolerances and `equal_nan`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, IsClose};
/// let a = Tensor::from_vec(vec![1.0f32], &[1]);
/// assert!(jnp::allclose_with(&a, 1.1, IsClose { atol: 0.2, ..Default::default() }).item::<bool>());
/// ```
#[track_caller]
pub fn allclose_with(a: impl IntoOperand, b: impl IntoOperand, opts: IsClose) -> Tensor {
    all(&isclose_with(a, b, opts), None)
}

/// `jnp.array_equal(a, b)`: same shape and equal elements (a bool scalar; NaN unequal).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[2]);
/// assert!(ferrax::numpy::array_equal(&a, &a).item::<bool>());
/// assert!(!ferrax::numpy::array_equal(&a, &a.reshape(&[2, 1])).item::<bool>());
/// ```
#[track_caller]
pub fn array_equal(a: &Tensor, b: &Tensor) -> Tensor {
    array_equal_with(a, b, false)
}

/// [`array_equal`] with `equal_nan` (whether NaNs in the same places count as equal).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![f32::NAN], &[1]);
/// assert!(ferrax::numpy::array_equal_with(&a, &a, true).item::<bool>());
/// ```
#[track_caller]
pub fn array_equal_with(a: &Tensor, b: &Tensor, equal_nan: bool) -> Tensor {
    if a.shape() != b.shape() {
        return Tensor::scalar(false);
    }
    let (a, b) = promote_named("array_equal", a, b);
    let mut eq = lax::eq(&a, &b);
    if equal_nan {
        eq = lax::or(&eq, &lax::and(&isnan(&a), &isnan(&b)));
    }
    all(&eq, None)
}

/// `jnp.array_equiv(a, b)`: shapes broadcast together and all elements are equal.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2, 1, 2], &[2, 2]);
/// let b = Tensor::from_vec(vec![1, 2], &[2]);
/// assert!(ferrax::numpy::array_equiv(&a, &b).item::<bool>());
/// ```
#[track_caller]
pub fn array_equiv(a: &Tensor, b: &Tensor) -> Tensor {
    if !broadcastable(a.shape(), b.shape()) {
        return Tensor::scalar(false);
    }
    all(&equal(a, b), None)
}
