//! The usual optimizers as chains of transformations, with optax's defaults.

use super::transforms::{scale_by_adam_impl, scale_by_rms_impl};
use super::{
    add_decayed_weights, chain, identity, scale_by_learning_rate, scale_by_rss, scale_by_stddev,
    trace, GradientTransformation, LearningRate, Mask,
};

/// Stochastic gradient descent, optionally with (Nesterov) momentum (optax's `sgd`):
/// `chain(trace(momentum, nesterov), scale(-lr))`. `momentum` is `None` or a decay such as
/// `0.9` (a bare `f64` converts).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim;
/// let plain = optim::sgd(0.1, None, false);
/// let heavy_ball = optim::sgd(0.1, 0.9, false);
/// let p = Tensor::scalar(1.0f32);
/// let (u, _) = plain.update(&p, &plain.init(&p), &p);
/// assert_eq!(u.item::<f32>(), -0.1);
/// # let _ = heavy_ball;
/// ```
pub fn sgd(
    learning_rate: impl Into<LearningRate>,
    momentum: impl Into<Option<f64>>,
    nesterov: bool,
) -> GradientTransformation {
    let first = match momentum.into() {
        Some(m) => trace(m, nesterov),
        None => identity(),
    };
    chain(vec![first, scale_by_learning_rate(learning_rate)])
}

/// Adam's hyperparameters (optax's defaults: `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-8`,
/// `eps_root = 0`, no Nesterov momentum).
///
/// ```
/// use ferrax::optim::{self, AdamOptions};
/// let opt = optim::adam_with(1e-3, AdamOptions { b2: 0.99, ..Default::default() });
/// # let _ = opt;
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamOptions {
    /// Decay of the first-moment average.
    pub b1: f64,
    /// Decay of the second-moment average.
    pub b2: f64,
    /// Added to the denominator outside the square root.
    pub eps: f64,
    /// Added inside the square root (nonzero when differentiating through the update).
    pub eps_root: f64,
    /// NAdam: Nesterov momentum on the first moment.
    pub nesterov: bool,
}

impl Default for AdamOptions {
    fn default() -> Self {
        AdamOptions {
            b1: 0.9,
            b2: 0.999,
            eps: 1e-8,
            eps_root: 0.0,
            nesterov: false,
        }
    }
}

/// Adam with optax's defaults: `chain(scale_by_adam(0.9, 0.999, 1e-8, 0), scale(-lr))`.
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::adam(1e-3);
/// let p = Tensor::from_vec(vec![1.0f32, -1.0], &[2]);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// let u = u.to_vec::<f32>();
/// assert!((u[0] + 1e-3).abs() < 1e-8 && (u[1] - 1e-3).abs() < 1e-8);
/// ```
pub fn adam(learning_rate: impl Into<LearningRate>) -> GradientTransformation {
    adam_with(learning_rate, AdamOptions::default())
}

/// Adam with explicit hyperparameters.
///
/// ```
/// use ferrax::optim::{self, AdamOptions};
/// let opt = optim::adam_with(3e-4, AdamOptions { eps: 1e-6, ..Default::default() });
/// # let _ = opt;
/// ```
pub fn adam_with(learning_rate: impl Into<LearningRate>, o: AdamOptions) -> GradientTransformation {
    chain(vec![
        scale_by_adam_impl(o.b1, o.b2, o.eps, o.eps_root, o.nesterov),
        scale_by_learning_rate(learning_rate),
    ])
}

/// NAdam: Adam with Nesterov momentum (optax's `nadam`).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::nadam(1e-3);
/// let p = Tensor::scalar(1.0f32);
/// assert_eq!(opt.init(&p).inner()[0].kind(), "scale_by_adam");
/// ```
pub fn nadam(learning_rate: impl Into<LearningRate>) -> GradientTransformation {
    adam_with(
        learning_rate,
        AdamOptions {
            nesterov: true,
            ..Default::default()
        },
    )
}

/// AdamW with optax's defaults (weight decay `1e-4`, on every leaf):
/// `chain(scale_by_adam, add_decayed_weights(1e-4), scale(-lr))`.
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::adamw(1e-3);
/// let p = Tensor::scalar(1.0f32);
/// let (u, _) = opt.update(&Tensor::scalar(0.0f32), &opt.init(&p), &p);
/// // Zero gradient: only the decay acts, -lr * wd * p.
/// assert!((u.item::<f32>() + 1e-7).abs() < 1e-12);
/// ```
pub fn adamw(learning_rate: impl Into<LearningRate>) -> GradientTransformation {
    adamw_with(learning_rate, AdamOptions::default(), 1e-4, None)
}

/// AdamW with explicit hyperparameters, weight decay and an optional mask of the leaves to
/// decay.
///
/// ```
/// use ferrax::optim::{self, AdamOptions, Mask};
/// let no_bias_decay = Mask::new(|_path, p| p.ndim() >= 2);
/// let opt = optim::adamw_with(1e-3, AdamOptions::default(), 0.05, Some(no_bias_decay));
/// # let _ = opt;
/// ```
pub fn adamw_with(
    learning_rate: impl Into<LearningRate>,
    o: AdamOptions,
    weight_decay: f64,
    mask: Option<Mask>,
) -> GradientTransformation {
    chain(vec![
        scale_by_adam_impl(o.b1, o.b2, o.eps, o.eps_root, o.nesterov),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    ])
}

/// RMSProp's hyperparameters (optax's defaults: `decay = 0.9`, `eps = 1e-8`,
/// `initial_scale = 0`, `eps` inside the square root, not centered, no momentum, no bias
/// correction).
///
/// ```
/// use ferrax::optim::{self, RmsPropOptions};
/// let opt = optim::rmsprop_with(1e-3, RmsPropOptions { centered: true, momentum: Some(0.9), ..Default::default() });
/// # let _ = opt;
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmsPropOptions {
    /// Decay of the squared-gradient average.
    pub decay: f64,
    /// Added to the average before the square root (or to the root, see `eps_in_sqrt`).
    pub eps: f64,
    /// Initial value of the squared-gradient average.
    pub initial_scale: f64,
    /// Whether `eps` goes inside the square root.
    pub eps_in_sqrt: bool,
    /// Centered RMSProp: divide by the standard deviation instead of the RMS.
    pub centered: bool,
    /// Momentum applied after the learning rate, if any.
    pub momentum: Option<f64>,
    /// Nesterov momentum (with `momentum`).
    pub nesterov: bool,
    /// Bias-correct the average (non-centered only).
    pub bias_correction: bool,
}

impl Default for RmsPropOptions {
    fn default() -> Self {
        RmsPropOptions {
            decay: 0.9,
            eps: 1e-8,
            initial_scale: 0.0,
            eps_in_sqrt: true,
            centered: false,
            momentum: None,
            nesterov: false,
            bias_correction: false,
        }
    }
}

/// RMSProp with optax's defaults: `chain(scale_by_rms(0.9, 1e-8, 0), scale(-lr))`.
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::rmsprop(0.01);
/// let p = Tensor::scalar(1.0f32);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert!((u.item::<f32>() + 0.01 / 0.1f32.sqrt()).abs() < 1e-6);
/// ```
pub fn rmsprop(learning_rate: impl Into<LearningRate>) -> GradientTransformation {
    rmsprop_with(learning_rate, RmsPropOptions::default())
}

/// RMSProp with explicit options (optax's argument order: scaling, learning rate, then
/// momentum). Panics if `centered` and `bias_correction` are both set (not supported).
///
/// ```
/// use ferrax::optim::{self, RmsPropOptions};
/// let opt = optim::rmsprop_with(0.01, RmsPropOptions { decay: 0.99, ..Default::default() });
/// # let _ = opt;
/// ```
#[track_caller]
pub fn rmsprop_with(
    learning_rate: impl Into<LearningRate>,
    o: RmsPropOptions,
) -> GradientTransformation {
    let scaling = if o.centered {
        assert!(
            o.eps_in_sqrt && !o.bias_correction,
            "optim::rmsprop_with: centered RMSProp supports only eps_in_sqrt = true and \
             bias_correction = false"
        );
        scale_by_stddev(o.decay, o.eps, o.initial_scale)
    } else {
        scale_by_rms_impl(
            o.decay,
            o.eps,
            o.initial_scale,
            o.eps_in_sqrt,
            o.bias_correction,
        )
    };
    let momentum = match o.momentum {
        Some(m) => trace(m, o.nesterov),
        None => identity(),
    };
    chain(vec![
        scaling,
        scale_by_learning_rate(learning_rate),
        momentum,
    ])
}

/// Adagrad with optax's defaults (`initial_accumulator_value = 0.1`, `eps = 1e-7`):
/// `chain(scale_by_rss(0.1, 1e-7), scale(-lr))`.
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::adagrad(0.1);
/// let p = Tensor::scalar(1.0f32);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert!((u.item::<f32>() + 0.1 / 1.1f32.sqrt()).abs() < 1e-6);
/// ```
pub fn adagrad(learning_rate: impl Into<LearningRate>) -> GradientTransformation {
    adagrad_with(learning_rate, 0.1, 1e-7)
}

/// Adagrad with an explicit initial accumulator and `eps`.
///
/// ```
/// let opt = ferrax::optim::adagrad_with(0.1, 0.0, 1e-10);
/// # let _ = opt;
/// ```
pub fn adagrad_with(
    learning_rate: impl Into<LearningRate>,
    initial_accumulator_value: f64,
    eps: f64,
) -> GradientTransformation {
    chain(vec![
        scale_by_rss(initial_accumulator_value, eps),
        scale_by_learning_rate(learning_rate),
    ])
}
