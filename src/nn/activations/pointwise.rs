//! The elementwise activations of `jax.nn`, each the same composition of lax ops as JAX's
//! (so values, NaN behaviour and derivatives agree), with JAX's custom JVPs where it has one
//! (`relu`, `relu6`, `log1mexp`).

use crate::lax;
use crate::numpy as jnp;
use crate::tensor::Tensor;

/// `x` unchanged (`jax.nn.identity`, for code that picks an activation by name).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2.0f32, 0.5], &[2]);
/// assert_eq!(ferrax::nn::identity(&x).to_vec::<f32>(), vec![-2.0, 0.5]);
/// ```
#[track_caller]
pub fn identity(x: &Tensor) -> Tensor {
    x.clone()
}

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
            let zeros = jnp::zeros_like(t);
            (
                jnp::maximum(x, 0.0),
                lax::select_n(&x.gt(0.0), &[zeros, t.clone()]),
            )
        },
    );
    f(x)
}

/// `min(max(x, 0), 6)`, with derivative 0 at both kinks (JAX's custom JVP for `relu6`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-1.0f32, 0.0, 3.0, 6.0, 7.0], &[5]);
/// assert_eq!(ferrax::nn::relu6(&x).to_vec::<f32>(), vec![0.0, 0.0, 3.0, 6.0, 6.0]);
/// let g = grad(|x: &Tensor| ferrax::nn::relu6(x).sum())(&x);
/// assert_eq!(g.to_vec::<f32>(), vec![0.0, 0.0, 1.0, 0.0, 0.0]);
/// ```
#[track_caller]
pub fn relu6(x: &Tensor) -> Tensor {
    let value = |x: &Tensor| jnp::minimum(jnp::maximum(x, 0.0), 6.0);
    let f = crate::transforms::custom_jvp("relu6", value, move |x: &Tensor, t: &Tensor| {
        let inside = jnp::logical_and(x.gt(0.0), x.lt(6.0));
        (
            value(x),
            lax::select_n(&inside, &[jnp::zeros_like(t), t.clone()]),
        )
    });
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

/// `tanh(x)`, re-exported as `jax.nn.tanh` is (so activations can be named from one place).
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::nn::tanh(&Tensor::scalar(0.0f32)).item::<f32>(), 0.0);
/// ```
#[track_caller]
pub fn tanh(x: &Tensor) -> Tensor {
    lax::tanh(x)
}

/// `x * sigmoid(x)` (SiLU, also called swish).
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::nn::silu(&Tensor::scalar(0.0f32)).item::<f32>(), 0.0);
/// ```
#[track_caller]
pub fn silu(x: &Tensor) -> Tensor {
    x * sigmoid(x)
}

/// The same function as [`silu`] (`jax.nn.swish` is an alias of `jax.nn.silu`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::scalar(1.5f32);
/// assert_eq!(ferrax::nn::swish(&x).item::<f32>(), ferrax::nn::silu(&x).item::<f32>());
/// ```
#[track_caller]
pub fn swish(x: &Tensor) -> Tensor {
    silu(x)
}

/// `log(1 + e^x)`, as JAX: `logaddexp(x, 0)` (stable for large `|x|`), so with `logaddexp`'s
/// derivative `e^(x - softplus(x)) = sigmoid(x)` (0.5 at 0, where the max inside ties).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32, 100.0, -100.0], &[3]);
/// let y = ferrax::nn::softplus(&x).to_vec::<f32>();
/// // e^-100 is below f32's normal range: flushed to 0 as XLA does, so softplus(-100) is 0 as in JAX.
/// assert!((y[0] - std::f32::consts::LN_2).abs() < 1e-7 && y[1] == 100.0 && y[2] == 0.0);
/// let g = grad(|x: &Tensor| ferrax::nn::softplus(x).sum())(&x).to_vec::<f32>();
/// assert_eq!(g[0], 0.5);
/// ```
#[track_caller]
pub fn softplus(x: &Tensor) -> Tensor {
    jnp::logaddexp(x, 0.0)
}

/// `log(sigmoid(x)) = -softplus(-x)`, without underflow for very negative `x`.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::nn::log_sigmoid(&Tensor::scalar(-100.0f32)).item::<f32>(), -100.0);
/// ```
#[track_caller]
pub fn log_sigmoid(x: &Tensor) -> Tensor {
    -softplus(&-x)
}

/// `x / (|x| + 1)`.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::nn::soft_sign(&Tensor::scalar(-3.0f32)).item::<f32>(), -0.75);
/// ```
#[track_caller]
pub fn soft_sign(x: &Tensor) -> Tensor {
    x / (x.abs() + 1.0)
}

/// `0` below -1, `(x + 1)² / 4` between, `x` above 1: a smooth convex ReLU whose derivative
/// is [`sparse_sigmoid`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2.0f32, 0.0, 2.0], &[3]);
/// assert_eq!(ferrax::nn::sparse_plus(&x).to_vec::<f32>(), vec![0.0, 0.25, 2.0]);
/// ```
#[track_caller]
pub fn sparse_plus(x: &Tensor) -> Tensor {
    let middle = (x + 1.0).powi(2) / 4.0;
    jnp::where_(&x.le(-1.0), 0.0, jnp::where_(&x.ge(1.0), x, middle))
}

/// `clip((x + 1) / 2, 0, 1)`, computed as JAX does (`0.5 * clip(x + 1, 0, 2)`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2.0f32, 0.0, 2.0], &[3]);
/// assert_eq!(ferrax::nn::sparse_sigmoid(&x).to_vec::<f32>(), vec![0.0, 0.5, 1.0]);
/// ```
#[track_caller]
pub fn sparse_sigmoid(x: &Tensor) -> Tensor {
    jnp::clip(&(x + 1.0), 0.0, 2.0) * 0.5
}

/// The options of [`squareplus_with`].
///
/// ```
/// use ferrax::nn::SquareplusOptions;
/// assert_eq!(SquareplusOptions::default().b, 4.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SquareplusOptions {
    /// The smoothness parameter `b` (JAX's default 4).
    pub b: f64,
}

impl Default for SquareplusOptions {
    fn default() -> Self {
        SquareplusOptions { b: 4.0 }
    }
}

/// `(x + √(x² + 4)) / 2`, a smooth ReLU made of algebraic ops only.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::nn::squareplus(&Tensor::scalar(0.0f32)).item::<f32>(), 1.0);
/// ```
#[track_caller]
pub fn squareplus(x: &Tensor) -> Tensor {
    squareplus_with(x, SquareplusOptions::default())
}

/// [`squareplus`] with smoothness `b`: `(x + √(x² + b)) / 2`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{squareplus_with, SquareplusOptions};
/// let y = squareplus_with(&Tensor::scalar(0.0f32), SquareplusOptions { b: 16.0 });
/// assert_eq!(y.item::<f32>(), 2.0);
/// ```
#[track_caller]
pub fn squareplus_with(x: &Tensor, opts: SquareplusOptions) -> Tensor {
    (x + (x.square() + opts.b).sqrt()) / 2.0
}

/// `x * tanh(softplus(x))`.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::nn::mish(&Tensor::scalar(1.0f64)).item::<f64>();
/// assert!((y - 0.8650983882673103).abs() < 1e-12);
/// ```
#[track_caller]
pub fn mish(x: &Tensor) -> Tensor {
    x * softplus(x).tanh()
}

/// The `alpha` option of [`elu_with`] and [`celu_with`].
///
/// ```
/// use ferrax::nn::AlphaOptions;
/// assert_eq!(AlphaOptions::default().alpha, 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlphaOptions {
    /// The scale of the negative part (JAX's default 1).
    pub alpha: f64,
}

impl Default for AlphaOptions {
    fn default() -> Self {
        AlphaOptions { alpha: 1.0 }
    }
}

/// `x` for `x > 0`, else `e^x - 1`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-1.0f64, 2.0], &[2]);
/// let y = ferrax::nn::elu(&x).to_vec::<f64>();
/// assert!((y[0] - (-1.0f64).exp_m1()).abs() < 1e-15 && y[1] == 2.0);
/// ```
#[track_caller]
pub fn elu(x: &Tensor) -> Tensor {
    elu_with(x, AlphaOptions::default())
}

/// [`elu`] with `alpha`: `alpha (e^x - 1)` for `x <= 0` (the exponent sees 0 where `x > 0`,
/// so large positive inputs never make an `inf` that would poison the gradient).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{elu_with, AlphaOptions};
/// let y = elu_with(&Tensor::scalar(-1000.0f32), AlphaOptions { alpha: 2.0 });
/// assert_eq!(y.item::<f32>(), -2.0);
/// ```
#[track_caller]
pub fn elu_with(x: &Tensor, opts: AlphaOptions) -> Tensor {
    let positive = x.gt(0.0);
    let safe = jnp::where_(&positive, 0.0, x);
    jnp::where_(&positive, x, safe.expm1() * opts.alpha)
}

/// `scale * elu(x, alpha)` with the self-normalising constants of Klambauer et al.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::nn::selu(&Tensor::scalar(1.0f64)).item::<f64>();
/// assert!((y - 1.0507009873554805).abs() < 1e-15);
/// ```
#[track_caller]
pub fn selu(x: &Tensor) -> Tensor {
    let alpha = 1.673_263_242_354_377_3;
    let scale = 1.050_700_987_355_480_5;
    elu_with(x, AlphaOptions { alpha }) * scale
}

/// `max(x, 0) + alpha (e^(min(x, 0) / alpha) - 1)`, continuously differentiable at 0.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::nn::celu(&Tensor::scalar(3.0f32)).item::<f32>(), 3.0);
/// ```
#[track_caller]
pub fn celu(x: &Tensor) -> Tensor {
    celu_with(x, AlphaOptions::default())
}

/// [`celu`] with `alpha`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{celu_with, AlphaOptions};
/// let y = celu_with(&Tensor::scalar(-1000.0f32), AlphaOptions { alpha: 0.5 });
/// assert_eq!(y.item::<f32>(), -0.5);
/// ```
#[track_caller]
pub fn celu_with(x: &Tensor, opts: AlphaOptions) -> Tensor {
    jnp::maximum(x, 0.0) + (jnp::minimum(x, 0.0) / opts.alpha).expm1() * opts.alpha
}

/// The options of [`leaky_relu_with`].
///
/// ```
/// use ferrax::nn::LeakyReluOptions;
/// assert_eq!(LeakyReluOptions::default().negative_slope, 0.01);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeakyReluOptions {
    /// The slope for negative inputs (JAX's default `1e-2`).
    pub negative_slope: f64,
}

impl Default for LeakyReluOptions {
    fn default() -> Self {
        LeakyReluOptions {
            negative_slope: 1e-2,
        }
    }
}

/// `x` for `x >= 0`, else `0.01 x`.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::nn::leaky_relu(&Tensor::from_vec(vec![-2.0f64, 3.0], &[2]));
/// assert_eq!(y.to_vec::<f64>(), vec![-0.02, 3.0]);
/// ```
#[track_caller]
pub fn leaky_relu(x: &Tensor) -> Tensor {
    leaky_relu_with(x, LeakyReluOptions::default())
}

/// [`leaky_relu`] with `negative_slope`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{leaky_relu_with, LeakyReluOptions};
/// let y = leaky_relu_with(&Tensor::scalar(-2.0f32), LeakyReluOptions { negative_slope: 0.5 });
/// assert_eq!(y.item::<f32>(), -1.0);
/// ```
#[track_caller]
pub fn leaky_relu_with(x: &Tensor, opts: LeakyReluOptions) -> Tensor {
    jnp::where_(&x.ge(0.0), x, x * opts.negative_slope)
}

/// `x` clipped to `[-1, 1]` (the gradient is 1 on the closed interval, 0 outside).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-3.0f32, 0.5, 3.0], &[3]);
/// assert_eq!(ferrax::nn::hard_tanh(&x).to_vec::<f32>(), vec![-1.0, 0.5, 1.0]);
/// ```
#[track_caller]
pub fn hard_tanh(x: &Tensor) -> Tensor {
    jnp::where_(&x.gt(1.0), 1.0, jnp::where_(&x.lt(-1.0), -1.0, x))
}

/// `relu6(x + 3) / 6`, a piecewise-linear sigmoid.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::nn::hard_sigmoid(&Tensor::scalar(0.0f32)).item::<f32>(), 0.5);
/// ```
#[track_caller]
pub fn hard_sigmoid(x: &Tensor) -> Tensor {
    relu6(&(x + 3.0)) / 6.0
}

/// `x * hard_sigmoid(x)` (MobileNetV3's hard swish).
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::nn::hard_silu(&Tensor::scalar(3.0f32)).item::<f32>(), 3.0);
/// ```
#[track_caller]
pub fn hard_silu(x: &Tensor) -> Tensor {
    x * hard_sigmoid(x)
}

/// The same function as [`hard_silu`] (`jax.nn.hard_swish` is an alias).
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::nn::hard_swish(&Tensor::scalar(-3.0f32)).item::<f32>(), 0.0);
/// ```
#[track_caller]
pub fn hard_swish(x: &Tensor) -> Tensor {
    hard_silu(x)
}

/// The options of [`gelu_with`].
///
/// ```
/// use ferrax::nn::GeluOptions;
/// assert!(GeluOptions::default().approximate);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GeluOptions {
    /// The tanh approximation (JAX's default `True`) rather than the exact `erfc` form.
    pub approximate: bool,
}

impl Default for GeluOptions {
    fn default() -> Self {
        GeluOptions { approximate: true }
    }
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
    gelu_with(x, GeluOptions::default())
}

/// Exact GELU `x Φ(x) = 0.5 x erfc(-x / √2)` (`jax.nn.gelu(approximate=False)`).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::nn::gelu_exact(&Tensor::scalar(1.0f64)).item::<f64>();
/// assert!((y - 0.8413447460685429).abs() < 1e-12);
/// ```
#[track_caller]
pub fn gelu_exact(x: &Tensor) -> Tensor {
    gelu_with(x, GeluOptions { approximate: false })
}

/// [`gelu`] or [`gelu_exact`] by `approximate`, as `jax.nn.gelu(x, approximate)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{gelu_with, GeluOptions};
/// // The exact form keeps its tiny negative tail where 1 + erf would round to 0.
/// let y = gelu_with(&Tensor::scalar(-10.0f64), GeluOptions { approximate: false });
/// assert!(y.item::<f64>() < 0.0 && y.item::<f64>() > -1e-20);
/// ```
#[track_caller]
pub fn gelu_with(x: &Tensor, opts: GeluOptions) -> Tensor {
    if opts.approximate {
        let c = (2.0 / std::f64::consts::PI).sqrt();
        let cdf = ((x + x.powi(3) * 0.044715) * c).tanh() + 1.0;
        x * (cdf * 0.5)
    } else {
        x * 0.5 * lax::erfc(&(-x * std::f64::consts::FRAC_1_SQRT_2))
    }
}

/// `log(1 - e^-x)` for `x >= 0`, stable at both ends (`jax.nn.log1mexp`, with its custom
/// derivative `1 / expm1(x)`).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::nn::log1mexp(&Tensor::scalar(1e-10f64)).item::<f64>();
/// assert!((y - (1e-10f64).ln()).abs() < 1e-9);
/// ```
#[track_caller]
pub fn log1mexp(x: &Tensor) -> Tensor {
    let value = |x: &Tensor| {
        let small = x.lt(std::f64::consts::LN_2);
        let near = (-(-x).expm1()).log();
        let far = (-(-x).exp()).log1p();
        jnp::where_(&small, near, far)
    };
    let f = crate::transforms::custom_jvp("log1mexp", value, move |x: &Tensor, t: &Tensor| {
        (value(x), t / x.expm1())
    });
    f(x)
}
