//! Activation functions and softmax-family reductions, as in `jax.nn`.

use crate::lax;
use crate::numpy::{self as jnp, normalize_axis};
use crate::tensor::Tensor;

/// `max(x, 0)`, with derivative 0 at 0 (a custom JVP rule, as `jax.nn.relu`, rather than
/// `maximum`'s tie-splitting 0.5).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2.0f32, 0.0, 3.0], &[3]);
/// assert_eq!(ferrax::nn::relu(&x).to_vec::<f32>(), vec![0.0, 0.0, 3.0]);
/// assert_eq!(grad(|x: &Tensor| ferrax::nn::relu(x).sum())(&x).to_vec::<f32>(), vec![0.0, 0.0, 1.0]);
/// ```
#[track_caller]
pub fn relu(x: &Tensor) -> Tensor {
    let f = crate::transforms::custom_jvp(
        "relu",
        |x: &Tensor| jnp::maximum(x, 0.0),
        |x: &Tensor, t: &Tensor| {
            let zeros = crate::interpreters::zeros_like(t);
            (
                jnp::maximum(x, 0.0),
                lax::select_n(&x.gt(0.0), &[zeros, t.clone()]),
            )
        },
    );
    f(x)
}

/// The logistic sigmoid `1 / (1 + e^-x)`, computed stably (the `logistic` primitive).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::nn::sigmoid(&Tensor::from_vec(vec![-100.0f32, 0.0, 100.0], &[3]));
/// let y = y.to_vec::<f32>();
/// assert!(y[0] < 1e-40 && y[1] == 0.5 && y[2] == 1.0);
/// ```
#[track_caller]
pub fn sigmoid(x: &Tensor) -> Tensor {
    lax::logistic(x)
}

/// `x * sigmoid(x)` (swish).
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::nn::silu(&Tensor::scalar(0.0f32)).item::<f32>(), 0.0);
/// ```
#[track_caller]
pub fn silu(x: &Tensor) -> Tensor {
    x * sigmoid(x)
}

/// GELU with the tanh approximation (`jax.nn.gelu`'s default, `approximate=True`):
/// `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::nn::gelu(&Tensor::scalar(1.0f32)).item::<f32>();
/// assert!((y - 0.841192).abs() < 1e-5);
/// ```
#[track_caller]
pub fn gelu(x: &Tensor) -> Tensor {
    let c = (2.0 / std::f64::consts::PI).sqrt();
    let inner = (x + x.powi(3) * 0.044715) * c;
    x * 0.5 * (inner.tanh() + 1.0)
}

/// Exact GELU `x Φ(x) = 0.5 x (1 + erf(x / √2))` (`jax.nn.gelu(approximate=False)`).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::nn::gelu_exact(&Tensor::scalar(1.0f64)).item::<f64>();
/// assert!((y - 0.8413447460685429).abs() < 1e-12);
/// ```
#[track_caller]
pub fn gelu_exact(x: &Tensor) -> Tensor {
    x * 0.5 * ((x * std::f64::consts::FRAC_1_SQRT_2).erf() + 1.0)
}

/// Keeps the reduced axis as size 1 so the result broadcasts against `x`.
#[track_caller]
fn keep_axis(reduced: &Tensor, x: &Tensor, axis: usize) -> Tensor {
    let mut shape = x.shape().to_vec();
    shape[axis] = 1;
    let dims: Vec<usize> = (0..x.ndim()).filter(|&d| d != axis).collect();
    lax::broadcast_in_dim(reduced, &shape, &dims)
}

/// The max along `axis`, kept as a size-1 dim, with no gradient (the shift that makes
/// softmax-type functions stable; `-inf` rows stay finite via `max(-inf, m)`).
#[track_caller]
fn stable_shift(x: &Tensor, axis: usize) -> Tensor {
    let m = lax::reduce_max(x, &[axis]);
    let m = jnp::maximum(f32::NEG_INFINITY, &m);
    lax::stop_gradient(&keep_axis(&m, x, axis))
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
    let ax = normalize_axis(axis, x.ndim());
    let m = lax::reduce_max(x, &[ax]);
    let m = lax::stop_gradient(&jnp::where_(&m.is_finite(), &m, 0.0));
    let shifted = x - keep_axis(&m, x, ax);
    lax::reduce_sum(&shifted.exp(), &[ax]).log() + m
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
    let ax = normalize_axis(axis, x.ndim());
    let shifted = x - stable_shift(x, ax);
    let s = lax::reduce_sum(&shifted.exp(), &[ax]);
    &shifted - keep_axis(&s, x, ax).log()
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
    let ax = normalize_axis(axis, x.ndim());
    let e = (x - stable_shift(x, ax)).exp();
    let s = lax::reduce_sum(&e, &[ax]);
    e / keep_axis(&s, x, ax)
}

impl Tensor {
    /// `max(x, 0)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::from_vec(vec![-1.0f32, 2.0], &[2]).relu().to_vec::<f32>(), vec![0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn relu(&self) -> Tensor {
        relu(self)
    }

    /// The logistic sigmoid.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::scalar(0.0f32).sigmoid().item::<f32>(), 0.5);
    /// ```
    #[track_caller]
    pub fn sigmoid(&self) -> Tensor {
        sigmoid(self)
    }

    /// Softmax along `axis`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let p = Tensor::from_vec(vec![1.0f32, 1.0], &[2]).softmax(-1);
    /// assert_eq!(p.to_vec::<f32>(), vec![0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn softmax(&self, axis: isize) -> Tensor {
        softmax(self, axis)
    }

    /// Log-softmax along `axis`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let p = Tensor::from_vec(vec![0.0f32, 0.0], &[2]).log_softmax(-1);
    /// assert!((p.to_vec::<f32>()[0] + std::f32::consts::LN_2).abs() < 1e-6);
    /// ```
    #[track_caller]
    pub fn log_softmax(&self, axis: isize) -> Tensor {
        log_softmax(self, axis)
    }
}
