//! The reductions of `jax.nn`: `logsumexp` (with `b`, `return_sign`, `where`), `logmeanexp`,
//! `softmax` and `log_softmax` (with `where`), `standardize`, `glu` and `one_hot`, written
//! as JAX writes them (the same shift by a `stop_gradient` max, the same masking), so values,
//! NaN behaviour and derivatives agree.

use crate::lax;
use crate::numpy::{self as jnp, normalize_axes, normalize_axis};
use crate::tensor::{DType, Tensor};

/// The axes `axis` names (all of them for `None`), normalised and sorted.
#[track_caller]
fn resolve(x: &Tensor, axis: Option<&[isize]>) -> Vec<usize> {
    match axis {
        Some(a) => normalize_axes(a, x.ndim()),
        None => (0..x.ndim()).collect(),
    }
}

/// Re-inserts the reduced `axes` as size-1 dims, so the result broadcasts against `x`.
#[track_caller]
fn keep(reduced: &Tensor, x: &Tensor, axes: &[usize]) -> Tensor {
    let mut shape = x.shape().to_vec();
    for &a in axes {
        shape[a] = 1;
    }
    let dims: Vec<usize> = (0..x.ndim()).filter(|d| !axes.contains(d)).collect();
    lax::broadcast_in_dim(reduced, &shape, &dims)
}

/// The `where` mask broadcast to `x`'s shape (JAX accepts any broadcastable mask).
#[track_caller]
fn mask_like(op: &str, w: Option<&Tensor>, x: &Tensor) -> Option<Tensor> {
    let w = w?;
    let fits = w.ndim() <= x.ndim()
        && w.shape()
            .iter()
            .rev()
            .zip(x.shape().iter().rev())
            .all(|(&a, &b)| a == b || a == 1);
    assert!(
        w.dtype() == DType::Bool && fits,
        "nn::{op}: `where_` must be a bool mask broadcastable to the input {}, got {} (called from {})",
        x.aval(),
        w.aval(),
        std::panic::Location::caller()
    );
    Some(jnp::broadcast_to(w, x.shape()))
}

/// `max` over `axes` with `initial=-inf`, counting only the `where` entries; axes kept.
#[track_caller]
fn masked_max(x: &Tensor, axes: &[usize], w: Option<&Tensor>) -> Tensor {
    let x_in = match w {
        Some(w) => jnp::where_(w, x, f64::NEG_INFINITY),
        None => x.clone(),
    };
    let m = lax::reduce_max(&x_in, axes);
    keep(&jnp::maximum(f64::NEG_INFINITY, &m), x, axes)
}

/// `sum` over `axes` counting only the `where` entries; axes kept.
#[track_caller]
fn masked_sum(x: &Tensor, axes: &[usize], w: Option<&Tensor>) -> Tensor {
    let x_in = match w {
        Some(w) => jnp::where_(w, x, 0.0),
        None => x.clone(),
    };
    keep(&lax::reduce_sum(&x_in, axes), x, axes)
}

/// The number of entries each reduction counts (`where` entries only), in `dtype`; axes kept.
#[track_caller]
fn masked_count(x: &Tensor, axes: &[usize], w: Option<&Tensor>, dtype: DType) -> Tensor {
    match w {
        Some(w) => masked_sum(&w.cast(dtype), axes, None),
        None => {
            let n: usize = axes.iter().map(|&a| x.shape()[a]).product();
            Tensor::full(&[], n as f64, dtype)
        }
    }
}

/// Drops the kept size-1 `axes` unless `keepdims`.
#[track_caller]
fn finish(y: Tensor, axes: &[usize], keepdims: bool) -> Tensor {
    if keepdims {
        y
    } else {
        lax::squeeze(&y, axes)
    }
}

/// Casts integers and bools to f32 (`promote_args_inexact`).
fn inexact(x: &Tensor) -> Tensor {
    if x.dtype().is_float() {
        x.clone()
    } else {
        x.cast(DType::F32)
    }
}

/// The keyword arguments of [`logsumexp_with`] and [`logsumexp_with_sign`].
///
/// ```
/// use ferrax::nn::LogSumExpOptions;
/// let o = LogSumExpOptions::default();
/// assert!(o.b.is_none() && o.where_.is_none() && !o.keepdims);
/// ```
#[derive(Clone, Debug, Default)]
pub struct LogSumExpOptions {
    /// Scale factors `b` of the exponentials (broadcast to the input): `log Σ b e^a`.
    pub b: Option<Tensor>,
    /// Keep the reduced axes as size-1 dims.
    pub keepdims: bool,
    /// A bool mask of the entries to include.
    pub where_: Option<Tensor>,
}

/// `log Σ exp(x)` along `axis`, stably.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1000.0f32, 1000.0], &[2]);
/// let y = ferrax::nn::logsumexp(&x, -1).item::<f32>();
/// assert!((y - (1000.0 + std::f32::consts::LN_2)).abs() < 1e-3);
/// ```
#[track_caller]
pub fn logsumexp(x: &Tensor, axis: isize) -> Tensor {
    logsumexp_with(x, Some(&[axis]), LogSumExpOptions::default())
}

/// `jax.nn.logsumexp(a, axis, b, keepdims, where=...)`: `log Σ b e^a` over `axis` (every
/// axis for `None`). The max is subtracted under `stop_gradient` (JAX's derivative); a
/// negative sum gives NaN (use [`logsumexp_with_sign`] for signed sums).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{logsumexp_with, LogSumExpOptions};
/// let a = Tensor::from_vec(vec![0.0f64, 0.0, 1.0, 1.0], &[2, 2]);
/// let b = Tensor::from_vec(vec![1.0f64, 3.0, 0.0, 2.0], &[2, 2]);
/// let y = logsumexp_with(&a, Some(&[1]), LogSumExpOptions { b: Some(b), ..Default::default() });
/// let y = y.to_vec::<f64>();
/// assert!((y[0] - 4.0f64.ln()).abs() < 1e-15 && (y[1] - (1.0 + 2.0f64.ln())).abs() < 1e-15);
/// ```
#[track_caller]
pub fn logsumexp_with(x: &Tensor, axis: Option<&[isize]>, opts: LogSumExpOptions) -> Tensor {
    let has_b = opts.b.is_some();
    let (out, sign) = logsumexp_impl(x, axis, opts);
    if has_b {
        jnp::where_(&sign.lt(0.0), f64::NAN, &out)
    } else {
        out
    }
}

/// [`logsumexp_with`] with `return_sign=True`: `(log |Σ b e^a|, sign(Σ b e^a))`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{logsumexp_with_sign, LogSumExpOptions};
/// let a = Tensor::from_vec(vec![0.0f64, 0.0], &[2]);
/// let b = Tensor::from_vec(vec![1.0f64, -3.0], &[2]);
/// let (y, s) = logsumexp_with_sign(&a, None, LogSumExpOptions { b: Some(b), ..Default::default() });
/// assert!((y.item::<f64>() - 2.0f64.ln()).abs() < 1e-15);
/// assert_eq!(s.item::<f64>(), -1.0);
/// ```
#[track_caller]
pub fn logsumexp_with_sign(
    x: &Tensor,
    axis: Option<&[isize]>,
    opts: LogSumExpOptions,
) -> (Tensor, Tensor) {
    logsumexp_impl(x, axis, opts)
}

#[track_caller]
fn logsumexp_impl(x: &Tensor, axis: Option<&[isize]>, opts: LogSumExpOptions) -> (Tensor, Tensor) {
    let w = mask_like("logsumexp", opts.where_.as_ref(), x);
    let mut a = match &w {
        Some(w) => jnp::where_(w, x, 0.0),
        None => x.clone(),
    };
    let b = opts.b.as_ref().map(|b| {
        let dtype = jnp::result_type(&[inexact(&a).dtype(), inexact(b).dtype()]);
        a = a.cast(dtype);
        jnp::broadcast_to(&b.cast(dtype), a.shape())
    });
    a = inexact(&a);
    if let Some(b) = &b {
        a = jnp::where_(&b.ne(0.0), &a, f64::NEG_INFINITY);
    }
    let axes = resolve(&a, axis);
    let amax = masked_max(&a, &axes, w.as_ref());
    let amax = lax::stop_gradient(&jnp::where_(&amax.is_finite(), &amax, 0.0));
    let mut exp_a = (&a - &amax).exp();
    if let Some(b) = &b {
        exp_a = exp_a * b;
    }
    let sumexp = masked_sum(&exp_a, &axes, w.as_ref());
    let sign = sumexp.sign();
    let out = sumexp.abs().log() + amax;
    (
        finish(out, &axes, opts.keepdims),
        finish(sign, &axes, opts.keepdims),
    )
}

/// The keyword arguments of [`logmeanexp_with`].
///
/// ```
/// use ferrax::nn::LogMeanExpOptions;
/// assert!(!LogMeanExpOptions::default().keepdims);
/// ```
#[derive(Clone, Debug, Default)]
pub struct LogMeanExpOptions {
    /// A bool mask of the entries to include (the mean divides by their count).
    pub where_: Option<Tensor>,
    /// Keep the reduced axes as size-1 dims.
    pub keepdims: bool,
}

/// `log(mean(exp(x)))` over `axis` (all for `None`): `logsumexp(x) - log n`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![3.0f64, 3.0, 3.0], &[3]);
/// assert!((ferrax::nn::logmeanexp(&x, None).item::<f64>() - 3.0).abs() < 1e-15);
/// ```
#[track_caller]
pub fn logmeanexp(x: &Tensor, axis: Option<&[isize]>) -> Tensor {
    logmeanexp_with(x, axis, LogMeanExpOptions::default())
}

/// [`logmeanexp`] with `where_` and `keepdims`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{logmeanexp_with, LogMeanExpOptions};
/// let x = Tensor::from_vec(vec![1.0f64, 1.0, 100.0], &[3]);
/// let w = Tensor::from_vec(vec![true, true, false], &[3]);
/// let y = logmeanexp_with(&x, None, LogMeanExpOptions { where_: Some(w), keepdims: true });
/// assert_eq!(y.shape(), &[1]);
/// assert!((y.to_vec::<f64>()[0] - 1.0).abs() < 1e-15);
/// ```
#[track_caller]
pub fn logmeanexp_with(x: &Tensor, axis: Option<&[isize]>, opts: LogMeanExpOptions) -> Tensor {
    let lse = logsumexp_with(
        x,
        axis,
        LogSumExpOptions {
            b: None,
            keepdims: true,
            where_: opts.where_.clone(),
        },
    );
    let axes = resolve(x, axis);
    let w = mask_like("logmeanexp", opts.where_.as_ref(), x);
    let count = masked_count(x, &axes, w.as_ref(), lse.dtype());
    finish(lse - count.log(), &axes, opts.keepdims)
}

/// The keyword arguments of [`softmax_with`] and [`log_softmax_with`].
///
/// ```
/// use ferrax::nn::SoftmaxOptions;
/// assert!(SoftmaxOptions::default().where_.is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct SoftmaxOptions {
    /// A bool mask of the entries to include; the others get probability 0 (`-inf` for
    /// `log_softmax`).
    pub where_: Option<Tensor>,
}

/// `x - logsumexp(x)` along `axis` (the jaxpr matches `jax.nn.log_softmax`'s body).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// let p = ferrax::nn::log_softmax(&x, -1).exp().sum().item::<f32>();
/// assert!((p - 1.0).abs() < 1e-6);
/// ```
#[track_caller]
pub fn log_softmax(x: &Tensor, axis: isize) -> Tensor {
    log_softmax_with(x, Some(&[axis]), SoftmaxOptions::default())
}

/// `jax.nn.log_softmax(x, axis, where)`: over several axes (all for `None`), masked entries
/// `-inf`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{log_softmax_with, SoftmaxOptions};
/// let x = Tensor::from_vec(vec![0.0f32, 0.0, 5.0], &[3]);
/// let w = Tensor::from_vec(vec![true, true, false], &[3]);
/// let y = log_softmax_with(&x, None, SoftmaxOptions { where_: Some(w) }).to_vec::<f32>();
/// assert_eq!(y[2], f32::NEG_INFINITY);
/// assert!((y[0] + std::f32::consts::LN_2).abs() < 1e-6);
/// ```
#[track_caller]
pub fn log_softmax_with(x: &Tensor, axis: Option<&[isize]>, opts: SoftmaxOptions) -> Tensor {
    let x = &inexact(x);
    let axes = resolve(x, axis);
    let w = mask_like("log_softmax", opts.where_.as_ref(), x);
    let x_max = lax::stop_gradient(&masked_max(x, &axes, w.as_ref()));
    let x_safe = match &w {
        Some(w) => jnp::where_(w, x, f64::NEG_INFINITY),
        None => x.clone(),
    };
    let shifted = x_safe - x_max;
    let lse = masked_sum(&shifted.exp(), &axes, w.as_ref()).log();
    let result = shifted - lse;
    match &w {
        Some(w) => jnp::where_(w, &result, f64::NEG_INFINITY),
        None => result,
    }
}

/// `exp(x) / Σ exp(x)` along `axis`, stably.
///
/// ```
/// use ferrax::prelude::*;
/// let p = ferrax::nn::softmax(&Tensor::from_vec(vec![0.0f32, 1000.0], &[2]), 0);
/// assert_eq!(p.to_vec::<f32>(), vec![0.0, 1.0]);
/// ```
#[track_caller]
pub fn softmax(x: &Tensor, axis: isize) -> Tensor {
    softmax_with(x, Some(&[axis]), SoftmaxOptions::default())
}

/// `jax.nn.softmax(x, axis, where)`: over several axes (all for `None`), masked entries 0.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{softmax_with, SoftmaxOptions};
/// let x = Tensor::from_vec(vec![1.0f32, 1.0, 9.0, 1.0], &[2, 2]);
/// let w = Tensor::from_vec(vec![true, true, false, true], &[2, 2]);
/// let p = softmax_with(&x, None, SoftmaxOptions { where_: Some(w) });
/// assert_eq!(p.to_vec::<f32>(), vec![1.0 / 3.0, 1.0 / 3.0, 0.0, 1.0 / 3.0]);
/// ```
#[track_caller]
pub fn softmax_with(x: &Tensor, axis: Option<&[isize]>, opts: SoftmaxOptions) -> Tensor {
    let x = &inexact(x);
    let axes = resolve(x, axis);
    let w = mask_like("softmax", opts.where_.as_ref(), x);
    let x_max = lax::stop_gradient(&masked_max(x, &axes, w.as_ref()));
    let x_safe = match &w {
        Some(w) => jnp::where_(w, x, f64::NEG_INFINITY),
        None => x.clone(),
    };
    let unnormalized = (x_safe - x_max).exp();
    let result = &unnormalized / masked_sum(&unnormalized, &axes, w.as_ref());
    match &w {
        Some(w) => jnp::where_(w, &result, 0.0),
        None => result,
    }
}

/// The keyword arguments of [`standardize_with`].
///
/// ```
/// use ferrax::nn::StandardizeOptions;
/// assert_eq!(StandardizeOptions::default().epsilon, 1e-5);
/// ```
#[derive(Clone, Debug)]
pub struct StandardizeOptions {
    /// The mean to subtract (default: the mean over the axes, kept as size-1 dims).
    pub mean: Option<Tensor>,
    /// The variance to divide by (default: computed over the axes).
    pub variance: Option<Tensor>,
    /// Added to the variance before the square root (JAX's default `1e-5`).
    pub epsilon: f64,
    /// A bool mask of the entries the mean and variance count.
    pub where_: Option<Tensor>,
    /// JAX's `algorithm="stable"`: the two-pass `mean((x - mean)²)` rather than the default
    /// `"fast"` `mean(x²) - mean²` (clipped at 0).
    pub stable: bool,
}

impl Default for StandardizeOptions {
    fn default() -> Self {
        StandardizeOptions {
            mean: None,
            variance: None,
            epsilon: 1e-5,
            where_: None,
            stable: false,
        }
    }
}

/// `(x - mean) / √(variance + 1e-5)` over `axis` (layer normalisation without scale).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f64, 3.0], &[2]);
/// let y = ferrax::nn::standardize(&x, -1).to_vec::<f64>();
/// assert!((y[0] + 1.0).abs() < 1e-4 && (y[1] - 1.0).abs() < 1e-4);
/// ```
#[track_caller]
pub fn standardize(x: &Tensor, axis: isize) -> Tensor {
    standardize_with(x, Some(&[axis]), StandardizeOptions::default())
}

/// `jax.nn.standardize(x, axis, mean, variance, epsilon, where, algorithm)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{standardize_with, StandardizeOptions};
/// let x = Tensor::from_vec(vec![1.0f64, 3.0, 100.0], &[3]);
/// let w = Tensor::from_vec(vec![true, true, false], &[3]);
/// let opts = StandardizeOptions { where_: Some(w), epsilon: 0.0, ..Default::default() };
/// assert_eq!(standardize_with(&x, None, opts).to_vec::<f64>(), vec![-1.0, 1.0, 98.0]);
/// ```
#[track_caller]
pub fn standardize_with(x: &Tensor, axis: Option<&[isize]>, opts: StandardizeOptions) -> Tensor {
    let x = &inexact(x);
    let axes = resolve(x, axis);
    let w = mask_like("standardize", opts.where_.as_ref(), x);
    let mean_of = |t: &Tensor| {
        masked_sum(t, &axes, w.as_ref()) / masked_count(x, &axes, w.as_ref(), t.dtype())
    };
    let mean = opts.mean.clone().unwrap_or_else(|| mean_of(x));
    let variance = match opts.variance.clone() {
        Some(v) => v,
        None if opts.stable => mean_of(&(x - &mean).square()),
        None => jnp::maximum(mean_of(&x.square()) - mean.square(), 0.0),
    };
    (x - &mean) * (variance + opts.epsilon).rsqrt()
}

/// The gated linear unit: `x` split in two halves `a, b` along `axis`, `a * sigmoid(b)`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![2.0f32, 0.0], &[2]);
/// assert_eq!(ferrax::nn::glu(&x, -1).to_vec::<f32>(), vec![1.0]);
/// ```
#[track_caller]
pub fn glu(x: &Tensor, axis: isize) -> Tensor {
    let ax = normalize_axis(axis, x.ndim());
    assert!(
        x.shape()[ax].is_multiple_of(2),
        "nn::glu: the size of axis {axis} of {} must be even (called from {})",
        x.aval(),
        std::panic::Location::caller()
    );
    let halves = jnp::split(x, 2, axis);
    &halves[0] * super::sigmoid(&halves[1])
}

/// The keyword arguments of [`one_hot_with`].
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::OneHotOptions;
/// assert_eq!(OneHotOptions::default().dtype, DType::F32);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OneHotOptions {
    /// The result's dtype (JAX's default float dtype, f32).
    pub dtype: DType,
    /// Where the new class axis goes in the result (default: last).
    pub axis: isize,
}

impl Default for OneHotOptions {
    fn default() -> Self {
        OneHotOptions {
            dtype: DType::F32,
            axis: -1,
        }
    }
}

/// One-hot encodes integer indices: a new last axis of `num_classes`; out-of-range indices
/// (negative included) encode as all zeros.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::nn::one_hot(&Tensor::from_vec(vec![0i32, 2, -1], &[3]), 3);
/// assert_eq!(y.to_vec::<f32>(), vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
/// ```
#[track_caller]
pub fn one_hot(x: &Tensor, num_classes: usize) -> Tensor {
    one_hot_with(x, num_classes, OneHotOptions::default())
}

/// [`one_hot`] with the result `dtype` and the class `axis`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{one_hot_with, OneHotOptions};
/// let x = Tensor::from_vec(vec![1i32, 0], &[2]);
/// let y = one_hot_with(&x, 2, OneHotOptions { dtype: DType::I32, axis: 0 });
/// assert_eq!(y.to_vec::<i32>(), vec![0, 1, 1, 0]);
/// ```
#[track_caller]
pub fn one_hot_with(x: &Tensor, num_classes: usize, opts: OneHotOptions) -> Tensor {
    let out_axis = normalize_axis(opts.axis, x.ndim() + 1);
    let lhs = lax::expand_dims(x, &[out_axis]);
    let mut rhs_shape = vec![1; x.ndim()];
    rhs_shape.insert(out_axis, num_classes);
    let rhs = lax::iota(x.dtype(), &rhs_shape, out_axis);
    lhs.eq(&rhs).cast(opts.dtype)
}
