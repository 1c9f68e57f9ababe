//! Information measures and log-space helpers of `jax.scipy.special`: `xlogy`, `xlog1py`
//! (JAX's custom JVPs, 0 where `x = 0`), `entr`, `rel_entr`, `kl_div`, `logit`, `expit`,
//! `logsumexp` (with weights `b`), `softmax`, `log_softmax`, `boxcox`, `boxcox1p`.

use super::{float1, float2};
use crate::lax;
use crate::numpy::{self as jnp, normalize_axes, IntoOperand};
use crate::tensor::Tensor;

/// `x * log(y)`, 0 where `x = 0` (unless `y` is NaN) (`jax.scipy.special.xlogy`); its
/// custom JVP `(dx log y + dy x / y)` is 0 at `x = 0`, so entropies differentiate cleanly.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32, 2.0], &[2]);
/// let y = Tensor::from_vec(vec![0.0f32, 1.0], &[2]);
/// assert_eq!(ferrax::scipy::special::xlogy(&x, &y).to_vec::<f32>(), vec![0.0, 0.0]);
/// ```
#[track_caller]
pub fn xlogy(x: impl IntoOperand, y: impl IntoOperand) -> Tensor {
    let (x, y) = float2("xlogy", x, y);
    let s = jnp::broadcast_shapes(x.shape(), y.shape());
    let f = crate::transforms::custom_jvp(
        "xlogy",
        |(x, y): &(Tensor, Tensor)| xlogy_value(x, y),
        |(x, y): &(Tensor, Tensor), (tx, ty): &(Tensor, Tensor)| {
            (xlogy_value(x, y), tx * lax::log(y) + ty * x / y)
        },
    );
    f(&(jnp::broadcast_to(&x, &s), jnp::broadcast_to(&y, &s)))
}

fn xlogy_value(x: &Tensor, y: &Tensor) -> Tensor {
    let ok = jnp::logical_or(x.ne(0.0), jnp::isnan(y));
    jnp::where_(&ok, x * lax::log(y), jnp::zeros_like(x))
}

/// `x * log1p(y)`, 0 where `x = 0` (unless `y` is NaN) (`jax.scipy.special.xlog1py`), with
/// JAX's custom JVP `(dx log1p y + dy x / (1 + y))`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32, 2.0], &[2]);
/// let y = Tensor::from_vec(vec![-1.0f32, 0.0], &[2]);
/// assert_eq!(ferrax::scipy::special::xlog1py(&x, &y).to_vec::<f32>(), vec![0.0, 0.0]);
/// ```
#[track_caller]
pub fn xlog1py(x: impl IntoOperand, y: impl IntoOperand) -> Tensor {
    let (x, y) = float2("xlog1py", x, y);
    let s = jnp::broadcast_shapes(x.shape(), y.shape());
    let f = crate::transforms::custom_jvp(
        "xlog1py",
        |(x, y): &(Tensor, Tensor)| xlog1py_value(x, y),
        |(x, y): &(Tensor, Tensor), (tx, ty): &(Tensor, Tensor)| {
            (xlog1py_value(x, y), tx * lax::log1p(y) + ty * x / (1.0 + y))
        },
    );
    f(&(jnp::broadcast_to(&x, &s), jnp::broadcast_to(&y, &s)))
}

fn xlog1py_value(x: &Tensor, y: &Tensor) -> Tensor {
    let ok = jnp::logical_or(x.ne(0.0), jnp::isnan(y));
    jnp::where_(&ok, x * lax::log1p(y), jnp::zeros_like(x))
}

/// `x log x` with JAX's `_xlogx` custom JVP `dx (log x + 1)`.
fn xlogx(x: &Tensor) -> Tensor {
    let f = crate::transforms::custom_jvp(
        "xlogx",
        |x: &Tensor| xlogy_value(x, x),
        |x: &Tensor, t: &Tensor| (xlogy_value(x, x), t * (lax::log(x) + 1.0)),
    );
    f(x)
}

/// The elementwise entropy `-x log x`, 0 at 0 and -∞ for `x < 0`
/// (`jax.scipy.special.entr`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f64, 0.5, -1.0], &[3]);
/// let y = ferrax::scipy::special::entr(&x).to_vec::<f64>();
/// assert_eq!(y[0], 0.0);
/// assert!((y[1] - 0.5 * 2f64.ln()).abs() < 1e-16 && y[2] == f64::NEG_INFINITY);
/// ```
#[track_caller]
pub fn entr(x: &Tensor) -> Tensor {
    let x = float1(x);
    jnp::where_(&x.lt(0.0), f64::NEG_INFINITY, -xlogx(&x))
}

/// The relative entropy term `p log(p / q)`: 0 where `p = 0 <= q`, ∞ where the support
/// does not match (`jax.scipy.special.rel_entr`).
///
/// ```
/// use ferrax::prelude::*;
/// let p = Tensor::from_vec(vec![0.5f64, 0.0, 0.5], &[3]);
/// let q = Tensor::from_vec(vec![0.25f64, 0.5, 0.0], &[3]);
/// let y = ferrax::scipy::special::rel_entr(&p, &q).to_vec::<f64>();
/// assert!((y[0] - 0.5 * 2f64.ln()).abs() < 1e-16 && y[1] == 0.0 && y[2] == f64::INFINITY);
/// ```
#[track_caller]
pub fn rel_entr(p: impl IntoOperand, q: impl IntoOperand) -> Tensor {
    let (p, q) = float2("rel_entr", p, q);
    let both = jnp::logical_and(p.gt(0.0), q.gt(0.0));
    let one_zero = jnp::logical_and(p.eq(0.0), q.ge(0.0));
    let sp = jnp::where_(&both, &p, 1.0);
    let sq = jnp::where_(&both, &q, 1.0);
    let log_val = xlogx(&sp) - xlogy(&sp, &sq);
    jnp::where_(
        &both,
        log_val,
        jnp::where_(&one_zero, jnp::zeros_like(&p), f64::INFINITY),
    )
}

/// The elementwise KL divergence term `p log(p / q) - p + q` (`jax.scipy.special.kl_div`),
/// non-negative everywhere.
///
/// ```
/// use ferrax::prelude::*;
/// let p = Tensor::from_vec(vec![0.5f64, 0.0], &[2]);
/// let q = Tensor::from_vec(vec![0.5f64, 0.5], &[2]);
/// assert_eq!(ferrax::scipy::special::kl_div(&p, &q).to_vec::<f64>(), vec![0.0, 0.5]);
/// ```
#[track_caller]
pub fn kl_div(p: impl IntoOperand, q: impl IntoOperand) -> Tensor {
    let (p, q) = float2("kl_div", p, q);
    rel_entr(&p, &q) - &p + &q
}

/// The log-odds `log(x / (1 - x))` (`jax.scipy.special.logit`), with JAX's custom JVP
/// `dx / (x (1 - x))`.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::logit(&Tensor::from_vec(vec![0.5f32, 0.75], &[2]));
/// assert_eq!(y.to_vec::<f32>(), vec![0.0, 3f32.ln()]);
/// ```
#[track_caller]
pub fn logit(x: &Tensor) -> Tensor {
    let x = float1(x);
    let f = crate::transforms::custom_jvp(
        "logit",
        |x: &Tensor| lax::log(&(x / (1.0 - x))),
        |x: &Tensor, t: &Tensor| (lax::log(&(x / (1.0 - x))), t / (x * (1.0 - x))),
    );
    f(&x)
}

/// The logistic sigmoid `1 / (1 + exp(-x))`, the inverse of [`logit`]
/// (`jax.scipy.special.expit`, the `logistic` primitive).
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::scipy::special::expit(&Tensor::scalar(0.0f32)).item::<f32>(), 0.5);
/// ```
#[track_caller]
pub fn expit(x: &Tensor) -> Tensor {
    lax::logistic(&float1(x))
}

/// The reduced axes: all for `None`.
fn axes_of(x: &Tensor, axes: Option<&[isize]>) -> Vec<usize> {
    match axes {
        Some(a) => normalize_axes(a, x.ndim()),
        None => (0..x.ndim()).collect(),
    }
}

/// `r` (reduced over `axes` of `x`) broadcast back with the reduced axes as size-1 dims.
fn keep(r: &Tensor, x: &Tensor, axes: &[usize]) -> Tensor {
    let shape: Vec<usize> = (0..x.ndim())
        .map(|d| if axes.contains(&d) { 1 } else { x.shape()[d] })
        .collect();
    let dims: Vec<usize> = (0..x.ndim()).filter(|d| !axes.contains(d)).collect();
    lax::broadcast_in_dim(r, &shape, &dims)
}

/// The optional arguments of [`logsumexp_with`] (`jax.scipy.special.logsumexp`'s `b` and
/// `keepdims`).
#[derive(Clone, Debug, Default)]
pub struct LogSumExp {
    /// Weights: `log Σ b exp(a)`; where the weighted sum is negative the result is NaN.
    pub b: Option<Tensor>,
    /// Keep the reduced axes as size-1 dims.
    pub keepdims: bool,
}

/// `log Σ exp(a)` over `axes` (all for `None`) without overflow
/// (`jax.scipy.special.logsumexp`): the max (held constant for the gradient) is subtracted
/// first.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1000.0f32, 1000.0], &[2]);
/// let y = ferrax::scipy::special::logsumexp(&a, None).item::<f32>();
/// assert!((y - (1000.0 + std::f32::consts::LN_2)).abs() < 1e-3);
/// ```
#[track_caller]
pub fn logsumexp(a: &Tensor, axes: Option<&[isize]>) -> Tensor {
    logsumexp_with(a, axes, LogSumExp::default())
}

/// [`logsumexp`] with weights and `keepdims`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::scipy::special::{logsumexp_with, LogSumExp};
/// let a = Tensor::from_vec(vec![0.0f64, 0.0], &[2]);
/// let b = Tensor::from_vec(vec![2.0f64, 1.0], &[2]);
/// let y = logsumexp_with(&a, None, LogSumExp { b: Some(b), keepdims: true });
/// assert_eq!(y.shape(), &[1]);
/// assert!((y.to_vec::<f64>()[0] - 3f64.ln()).abs() < 1e-15);
/// ```
#[track_caller]
pub fn logsumexp_with(a: &Tensor, axes: Option<&[isize]>, opts: LogSumExp) -> Tensor {
    let (a, b) = match &opts.b {
        Some(b) => {
            let (a, b) = float2("logsumexp", a, b);
            let s = jnp::broadcast_shapes(a.shape(), b.shape());
            let (a, b) = (jnp::broadcast_to(&a, &s), jnp::broadcast_to(&b, &s));
            (jnp::where_(&b.ne(0.0), &a, f64::NEG_INFINITY), Some(b))
        }
        None => (float1(a), None),
    };
    let ax = axes_of(&a, axes);
    let amax = jnp::maximum(lax::reduce_max(&a, &ax), f64::NEG_INFINITY);
    let amax = lax::stop_gradient(&jnp::where_(&lax::is_finite(&amax), &amax, 0.0));
    let mut e = lax::exp(&(&a - keep(&amax, &a, &ax)));
    if let Some(b) = &b {
        e = e * b;
    }
    let s = lax::reduce_sum(&e, &ax);
    let sign = lax::sign(&s);
    let mut out = lax::log(&lax::abs(&s)) + amax;
    if b.is_some() {
        out = jnp::where_(&sign.lt(0.0), f64::NAN, out);
    }
    if opts.keepdims {
        keep(&out, &a, &ax)
    } else {
        out
    }
}

/// `exp(x) / Σ exp(x)` over `axes` (`jax.scipy.special.softmax`, which is
/// `jax.nn.softmax`): the max is subtracted first, held constant for the gradient.
///
/// ```
/// use ferrax::prelude::*;
/// let p = ferrax::scipy::special::softmax(&Tensor::from_vec(vec![0.0f32, 1000.0], &[2]), None);
/// assert_eq!(p.to_vec::<f32>(), vec![0.0, 1.0]);
/// ```
#[track_caller]
pub fn softmax(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let x = float1(x);
    let ax = axes_of(&x, axes);
    let e = lax::exp(&(&x - shift(&x, &ax)));
    let s = lax::reduce_sum(&e, &ax);
    &e / keep(&s, &x, &ax)
}

/// `x - log Σ exp(x)` over `axes` (`jax.scipy.special.log_softmax`, which is
/// `jax.nn.log_softmax`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]);
/// let p = ferrax::scipy::special::log_softmax(&x, None).exp().sum().item::<f64>();
/// assert!((p - 1.0).abs() < 1e-15);
/// ```
#[track_caller]
pub fn log_softmax(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let x = float1(x);
    let ax = axes_of(&x, axes);
    let shifted = &x - shift(&x, &ax);
    let s = lax::log(&lax::reduce_sum(&lax::exp(&shifted), &ax));
    &shifted - keep(&s, &x, &ax)
}

/// The max over `axes` (at least -∞), kept as size-1 dims, with no gradient.
fn shift(x: &Tensor, axes: &[usize]) -> Tensor {
    let m = jnp::maximum(lax::reduce_max(x, axes), f64::NEG_INFINITY);
    lax::stop_gradient(&keep(&m, x, axes))
}

/// The Box-Cox transform `(x^λ - 1) / λ`, `log x` at `λ = 0` (`jax.scipy.special.boxcox`).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::boxcox(&Tensor::scalar(4.0f64), 0.5).item::<f64>();
/// assert!((y - 2.0).abs() < 1e-15);
/// ```
#[track_caller]
pub fn boxcox(x: impl IntoOperand, lmbda: impl IntoOperand) -> Tensor {
    let (x, l) = float2("boxcox", x, lmbda);
    box_cox(lax::log(&x), &l)
}

/// The Box-Cox transform of `1 + x`, accurate for small `x`
/// (`jax.scipy.special.boxcox1p`).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::boxcox1p(&Tensor::scalar(3.0f64), 0.5).item::<f64>();
/// assert!((y - 2.0).abs() < 1e-15);
/// ```
#[track_caller]
pub fn boxcox1p(x: impl IntoOperand, lmbda: impl IntoOperand) -> Tensor {
    let (x, l) = float2("boxcox1p", x, lmbda);
    box_cox(lax::log1p(&x), &l)
}

fn box_cox(log_x: Tensor, l: &Tensor) -> Tensor {
    let zero = l.eq(0.0);
    let safe = jnp::where_(&zero, jnp::ones_like(l), l);
    let power = lax::expm1(&(&safe * &log_x)) / safe;
    jnp::where_(&zero, log_x, power)
}
