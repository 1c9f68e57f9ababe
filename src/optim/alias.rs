//! The usual optimizers as chains of transformations, with optax's defaults.

use super::{
    add_decayed_weights, chain, scale_by_learning_rate, scale_by_rss, scale_by_stddev, trace,
    AddDecayedWeights, Chain, LearningRate, Mask, ScaleByAdam, ScaleByLearningRate, ScaleByRms,
    ScaleByRss, ScaleByStddev, StateOf, Trace,
};

/// The type of [`sgd`]: optional momentum, then the learning rate.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let opt: optim::Sgd = optim::sgd(0.1, 0.9, false);
/// let s: optim::SgdState<Tensor> = opt.init(&Tensor::scalar(1.0f32));
/// assert_eq!(s.0.unwrap().trace.item::<f32>(), 0.0);
/// ```
pub type Sgd = Chain<(Option<Trace>, ScaleByLearningRate)>;
/// The state of [`Sgd`] for parameters `P`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let s: optim::SgdState<Tensor> = optim::sgd(0.1, None, false).init(&Tensor::scalar(1.0f32));
/// assert!(s.0.is_none() && s.1.is_none());
/// ```
pub type SgdState<P> = StateOf<Sgd, P>;

/// The type of [`adam`] and [`adam_with`]: Adam's scaling, then the learning rate.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let opt: optim::Adam = optim::adam(1e-3);
/// let s: optim::AdamState<Tensor> = opt.init(&Tensor::scalar(1.0f32));
/// assert_eq!(s.0.mu.item::<f32>(), 0.0);
/// ```
pub type Adam = Chain<(ScaleByAdam, ScaleByLearningRate)>;
/// The state of [`Adam`] for parameters `P`: `(ScaleByAdamState<P>, Option<ScaleByScheduleState>)`
/// (the second is `Some` with a learning-rate schedule).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let s: optim::AdamState<Vec<Tensor>> = optim::adam(1e-3).init(&vec![Tensor::scalar(1.0f32)]);
/// assert_eq!(s.0.count.item::<i32>(), 0);
/// ```
pub type AdamState<P> = StateOf<Adam, P>;

/// The type of [`nadam`]: [`Adam`]'s (Nesterov momentum is a flag of [`ScaleByAdam`]).
///
/// ```
/// let opt: ferrax::optim::Nadam = ferrax::optim::nadam(1e-3);
/// assert!(opt.0 .0.nesterov);
/// ```
pub type Nadam = Adam;
/// The state of [`Nadam`] for parameters `P`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let s: optim::NadamState<Tensor> = optim::nadam(1e-3).init(&Tensor::scalar(1.0f32));
/// assert_eq!(s.0.nu.item::<f32>(), 0.0);
/// ```
pub type NadamState<P> = StateOf<Nadam, P>;

/// The type of [`adamw`] and [`adamw_with`]: Adam's scaling, weight decay, the learning rate.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let opt: optim::AdamW = optim::adamw(1e-3);
/// let s: optim::AdamWState<Tensor> = opt.init(&Tensor::scalar(1.0f32));
/// assert!(s.1.mask.is_none());
/// ```
pub type AdamW = Chain<(ScaleByAdam, AddDecayedWeights, ScaleByLearningRate)>;
/// The state of [`AdamW`] for parameters `P`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let s: optim::AdamWState<Tensor> = optim::adamw(1e-3).init(&Tensor::scalar(1.0f32));
/// assert_eq!(s.0.count.item::<i32>(), 0);
/// ```
pub type AdamWState<P> = StateOf<AdamW, P>;

/// The type of [`rmsprop`] and [`rmsprop_with`]: one of the plain (`.0`) or centered (`.1`)
/// scalings, the learning rate, optional momentum.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let opt: optim::RmsProp = optim::rmsprop(1e-3);
/// let s: optim::RmsPropState<Tensor> = opt.init(&Tensor::scalar(1.0f32));
/// assert!(s.0.is_some() && s.1.is_none() && s.3.is_none());
/// ```
pub type RmsProp = Chain<(
    Option<ScaleByRms>,
    Option<ScaleByStddev>,
    ScaleByLearningRate,
    Option<Trace>,
)>;
/// The state of [`RmsProp`] for parameters `P`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let s: optim::RmsPropState<Tensor> = optim::rmsprop(1e-3).init(&Tensor::scalar(1.0f32));
/// assert_eq!(s.0.unwrap().nu.item::<f32>(), 0.0);
/// ```
pub type RmsPropState<P> = StateOf<RmsProp, P>;

/// The type of [`adagrad`] and [`adagrad_with`]: Adagrad's scaling, then the learning rate.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let opt: optim::Adagrad = optim::adagrad(0.1);
/// let s: optim::AdagradState<Tensor> = opt.init(&Tensor::scalar(1.0f32));
/// assert_eq!(s.0.sum_of_squares.item::<f32>(), 0.1);
/// ```
pub type Adagrad = Chain<(ScaleByRss, ScaleByLearningRate)>;
/// The state of [`Adagrad`] for parameters `P`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let s: optim::AdagradState<Tensor> = optim::adagrad(0.1).init(&Tensor::scalar(1.0f32));
/// assert!(s.1.is_none());
/// ```
pub type AdagradState<P> = StateOf<Adagrad, P>;

/// Stochastic gradient descent, optionally with (Nesterov) momentum (optax's `sgd`):
/// `chain(trace(momentum, nesterov), scale(-lr))`. `momentum` is `None` or a decay such as
/// `0.9` (a bare `f64` converts).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
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
) -> Sgd {
    let first = momentum.into().map(|m| trace(m, nesterov));
    chain((first, scale_by_learning_rate(learning_rate)))
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

/// The scaling of `o`.
fn adam_scaling(o: AdamOptions) -> ScaleByAdam {
    ScaleByAdam {
        b1: o.b1,
        b2: o.b2,
        eps: o.eps,
        eps_root: o.eps_root,
        nesterov: o.nesterov,
    }
}

/// Adam with optax's defaults: `chain(scale_by_adam(0.9, 0.999, 1e-8, 0), scale(-lr))`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::GradientTransformation;
/// let opt = ferrax::optim::adam(1e-3);
/// let p = Tensor::from_vec(vec![1.0f32, -1.0], &[2]);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// let u = u.to_vec::<f32>();
/// assert!((u[0] + 1e-3).abs() < 1e-8 && (u[1] - 1e-3).abs() < 1e-8);
/// ```
pub fn adam(learning_rate: impl Into<LearningRate>) -> Adam {
    adam_with(learning_rate, AdamOptions::default())
}

/// Adam with explicit hyperparameters.
///
/// ```
/// use ferrax::optim::{self, AdamOptions};
/// let opt = optim::adam_with(3e-4, AdamOptions { eps: 1e-6, ..Default::default() });
/// # let _ = opt;
/// ```
pub fn adam_with(learning_rate: impl Into<LearningRate>, o: AdamOptions) -> Adam {
    chain((adam_scaling(o), scale_by_learning_rate(learning_rate)))
}

/// NAdam: Adam with Nesterov momentum (optax's `nadam`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::GradientTransformation;
/// let opt = ferrax::optim::nadam(1e-3);
/// let p = Tensor::scalar(1.0f32);
/// assert_eq!(opt.init(&p).0.count.item::<i32>(), 0);
/// ```
pub fn nadam(learning_rate: impl Into<LearningRate>) -> Nadam {
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
/// use ferrax::optim::GradientTransformation;
/// let opt = ferrax::optim::adamw(1e-3);
/// let p = Tensor::scalar(1.0f32);
/// let (u, _) = opt.update(&Tensor::scalar(0.0f32), &opt.init(&p), &p);
/// // Zero gradient: only the decay acts, -lr * wd * p.
/// assert!((u.item::<f32>() + 1e-7).abs() < 1e-12);
/// ```
pub fn adamw(learning_rate: impl Into<LearningRate>) -> AdamW {
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
) -> AdamW {
    chain((
        adam_scaling(o),
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    ))
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
/// use ferrax::optim::GradientTransformation;
/// let opt = ferrax::optim::rmsprop(0.01);
/// let p = Tensor::scalar(1.0f32);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert!((u.item::<f32>() + 0.01 / 0.1f32.sqrt()).abs() < 1e-6);
/// ```
pub fn rmsprop(learning_rate: impl Into<LearningRate>) -> RmsProp {
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
pub fn rmsprop_with(learning_rate: impl Into<LearningRate>, o: RmsPropOptions) -> RmsProp {
    let (plain, centered) = if o.centered {
        assert!(
            o.eps_in_sqrt && !o.bias_correction,
            "optim::rmsprop_with: centered RMSProp supports only eps_in_sqrt = true and \
             bias_correction = false"
        );
        (None, Some(scale_by_stddev(o.decay, o.eps, o.initial_scale)))
    } else {
        let rms = ScaleByRms {
            decay: o.decay,
            eps: o.eps,
            initial_scale: o.initial_scale,
            eps_in_sqrt: o.eps_in_sqrt,
            bias_correction: o.bias_correction,
        };
        (Some(rms), None)
    };
    let momentum = o.momentum.map(|m| trace(m, o.nesterov));
    chain((
        plain,
        centered,
        scale_by_learning_rate(learning_rate),
        momentum,
    ))
}

/// Adagrad with optax's defaults (`initial_accumulator_value = 0.1`, `eps = 1e-7`):
/// `chain(scale_by_rss(0.1, 1e-7), scale(-lr))`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::GradientTransformation;
/// let opt = ferrax::optim::adagrad(0.1);
/// let p = Tensor::scalar(1.0f32);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert!((u.item::<f32>() + 0.1 / 1.1f32.sqrt()).abs() < 1e-6);
/// ```
pub fn adagrad(learning_rate: impl Into<LearningRate>) -> Adagrad {
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
) -> Adagrad {
    chain((
        scale_by_rss(initial_accumulator_value, eps),
        scale_by_learning_rate(learning_rate),
    ))
}
