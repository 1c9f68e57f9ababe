//! The other optax optimizers, each the `chain` optax builds (so its parts are reusable), with
//! optax's defaults and hyperparameter names. Each has a constructor with optax's defaults and,
//! where optax has more knobs, a `_with` constructor taking the scaling's struct (whose
//! `Default` is optax's) and the weight decay.

use super::{
    add_decayed_weights, chain, masked, scale, scale_by_learning_rate, scale_by_sign,
    scale_by_trust_ratio, trace, AddDecayedWeights, AddNoise, Chain, Ema, LearningRate, Mask,
    Masked, Scale, ScaleByAdadelta, ScaleByAdam, ScaleByAdamax, ScaleByAdan, ScaleByAmsgrad,
    ScaleByBelief, ScaleByLearningRate, ScaleByLion, ScaleByNovograd, ScaleByOptimisticGradient,
    ScaleByRadam, ScaleByRprop, ScaleBySign, ScaleBySm3, ScaleByTrustRatio, ScaleByYogi, Trace,
};

/// The type of [`lion`]: Lion's scaling, weight decay, the learning rate.
pub type Lion = Chain<(ScaleByLion, AddDecayedWeights, ScaleByLearningRate)>;

/// Lion (optax's `lion`: `b1 = 0.9`, `b2 = 0.99`, `weight_decay = 1e-3`), the sign of an
/// interpolated momentum. Use a learning rate 3-10x smaller than Adam's.
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::lion(0.1);
/// let p = Tensor::from_vec(vec![1.0f32, -1.0], &[2]);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// let u = u.to_vec::<f32>();
/// assert!((u[0] + 0.1001).abs() < 1e-6 && (u[1] - 0.1001).abs() < 1e-6);
/// ```
pub fn lion(learning_rate: impl Into<LearningRate>) -> Lion {
    lion_with(learning_rate, ScaleByLion::default(), 1e-3, None)
}

/// Lion with explicit `b1`/`b2`, weight decay and decay mask.
///
/// ```
/// use ferrax::optim::{self, ScaleByLion};
/// let opt = optim::lion_with(1e-4, ScaleByLion { b1: 0.95, b2: 0.98 }, 0.0, None);
/// # let _ = opt;
/// ```
pub fn lion_with(
    learning_rate: impl Into<LearningRate>,
    scaling: ScaleByLion,
    weight_decay: f64,
    mask: Option<Mask>,
) -> Lion {
    chain((
        scaling,
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    ))
}

/// The type of [`lamb`]: Adam's scaling, weight decay, the trust ratio, the learning rate.
pub type Lamb = Chain<(
    ScaleByAdam,
    AddDecayedWeights,
    ScaleByTrustRatio,
    ScaleByLearningRate,
)>;

/// LAMB (optax's `lamb`: `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-6`, no weight decay): Adam's
/// step rescaled per layer by the trust ratio `‖p‖ / ‖u‖`.
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::lamb(0.1);
/// let p = Tensor::from_vec(vec![3.0f32, 4.0], &[2]);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// // Adam's first step is sign(g) = (1, 1), rescaled to the norm of p (5) and by -lr.
/// let u = u.to_vec::<f32>();
/// assert!((u[0] + 0.25 * 2f32.sqrt()).abs() < 1e-4);
/// ```
pub fn lamb(learning_rate: impl Into<LearningRate>) -> Lamb {
    lamb_with(
        learning_rate,
        ScaleByAdam {
            eps: 1e-6,
            ..adam_defaults()
        },
        0.0,
        None,
    )
}

/// LAMB with explicit Adam hyperparameters, weight decay and decay mask.
///
/// ```
/// use ferrax::optim;
/// let opt = optim::lamb_with(1e-3, optim::scale_by_adam(0.9, 0.999, 1e-6, 0.0), 0.01, None);
/// # let _ = opt;
/// ```
pub fn lamb_with(
    learning_rate: impl Into<LearningRate>,
    adam: ScaleByAdam,
    weight_decay: f64,
    mask: Option<Mask>,
) -> Lamb {
    chain((
        adam,
        add_decayed_weights(weight_decay, mask),
        scale_by_trust_ratio(0.0, 1.0, 0.0),
        scale_by_learning_rate(learning_rate),
    ))
}

fn adam_defaults() -> ScaleByAdam {
    super::scale_by_adam(0.9, 0.999, 1e-8, 0.0)
}

/// The type of [`lars`]: weight decay, the masked trust ratio, the learning rate, momentum.
pub type Lars = Chain<(
    AddDecayedWeights,
    Masked<ScaleByTrustRatio>,
    ScaleByLearningRate,
    Trace,
)>;

/// LARS's hyperparameters besides the learning rate (optax's defaults: no weight decay,
/// `trust_coefficient = 1e-3`, `eps = 0`, `momentum = 0.9`, no Nesterov, both masks all
/// leaves).
///
/// ```
/// let o = ferrax::optim::LarsOptions::default();
/// assert_eq!(o.trust_coefficient, 1e-3);
/// ```
#[derive(Clone, Debug)]
pub struct LarsOptions {
    /// Weight decay added before the trust ratio.
    pub weight_decay: f64,
    /// The leaves decayed (`None`: all).
    pub weight_decay_mask: Option<Mask>,
    /// Multiplies the trust ratio.
    pub trust_coefficient: f64,
    /// Added to the update norm.
    pub eps: f64,
    /// The leaves the trust ratio scales (`None`: all).
    pub trust_ratio_mask: Option<Mask>,
    /// Momentum decay.
    pub momentum: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
}

impl Default for LarsOptions {
    fn default() -> Self {
        LarsOptions {
            weight_decay: 0.0,
            weight_decay_mask: None,
            trust_coefficient: 1e-3,
            eps: 0.0,
            trust_ratio_mask: None,
            momentum: 0.9,
            nesterov: false,
        }
    }
}

/// LARS with optax's defaults (optax's `lars`): layer-wise trust ratio, then momentum.
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::lars(1.0);
/// let p = Tensor::from_vec(vec![3.0f32, 4.0], &[2]);
/// let (u, s) = opt.update(&p, &opt.init(&p), &p);
/// // Trust ratio 1e-3 * 5 / 5: the step is -1e-3 * g.
/// assert!((u.to_vec::<f32>()[1] + 4e-3).abs() < 1e-7);
/// assert_eq!(s.1.mask, vec![true]);
/// ```
pub fn lars(learning_rate: impl Into<LearningRate>) -> Lars {
    lars_with(learning_rate, LarsOptions::default())
}

/// LARS with explicit options.
///
/// ```
/// use ferrax::optim::{self, LarsOptions, Mask};
/// let o = LarsOptions { weight_decay: 1e-4, trust_ratio_mask: Some(Mask::new(|_, p| p.ndim() > 1)), ..Default::default() };
/// let opt = optim::lars_with(0.1, o);
/// # let _ = opt;
/// ```
pub fn lars_with(learning_rate: impl Into<LearningRate>, o: LarsOptions) -> Lars {
    let all = || Mask::new(|_, _| true);
    chain((
        add_decayed_weights(o.weight_decay, o.weight_decay_mask),
        masked(
            scale_by_trust_ratio(0.0, o.trust_coefficient, o.eps),
            o.trust_ratio_mask.unwrap_or_else(all),
        ),
        scale_by_learning_rate(learning_rate),
        trace(o.momentum, o.nesterov),
    ))
}

/// The type of [`adabelief`].
pub type AdaBelief = Chain<(ScaleByBelief, ScaleByLearningRate)>;

/// AdaBelief (optax's `adabelief`, defaults of [`ScaleByBelief`]).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::adabelief(0.1);
/// let p = Tensor::scalar(2.0f32);
/// assert_eq!(opt.init(&p).0.count.item::<i32>(), 0);
/// ```
pub fn adabelief(learning_rate: impl Into<LearningRate>) -> AdaBelief {
    adabelief_with(learning_rate, ScaleByBelief::default())
}

/// AdaBelief with explicit hyperparameters.
///
/// ```
/// use ferrax::optim::{self, ScaleByBelief};
/// let opt = optim::adabelief_with(1e-3, ScaleByBelief { nesterov: true, ..Default::default() });
/// # let _ = opt;
/// ```
pub fn adabelief_with(learning_rate: impl Into<LearningRate>, s: ScaleByBelief) -> AdaBelief {
    chain((s, scale_by_learning_rate(learning_rate)))
}

/// The type of [`adamax`].
pub type Adamax = Chain<(ScaleByAdamax, ScaleByLearningRate)>;

/// AdaMax (optax's `adamax`, defaults of [`ScaleByAdamax`]).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::adamax(0.1);
/// let p = Tensor::scalar(2.0f32);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert!((u.item::<f32>() + 0.1).abs() < 1e-5);
/// ```
pub fn adamax(learning_rate: impl Into<LearningRate>) -> Adamax {
    adamax_with(learning_rate, ScaleByAdamax::default())
}

/// AdaMax with explicit hyperparameters.
///
/// ```
/// use ferrax::optim::{self, ScaleByAdamax};
/// let opt = optim::adamax_with(1e-3, ScaleByAdamax { b2: 0.99, ..Default::default() });
/// # let _ = opt;
/// ```
pub fn adamax_with(learning_rate: impl Into<LearningRate>, s: ScaleByAdamax) -> Adamax {
    chain((s, scale_by_learning_rate(learning_rate)))
}

/// The type of [`adamaxw`].
pub type AdamaxW = Chain<(ScaleByAdamax, AddDecayedWeights, ScaleByLearningRate)>;

/// AdaMax with decoupled weight decay (optax's `adamaxw`, `weight_decay = 1e-4`).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::adamaxw(0.1);
/// let p = Tensor::scalar(2.0f32);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert!((u.item::<f32>() + 0.1 * (1.0 + 2e-4)).abs() < 1e-5);
/// ```
pub fn adamaxw(learning_rate: impl Into<LearningRate>) -> AdamaxW {
    adamaxw_with(learning_rate, ScaleByAdamax::default(), 1e-4, None)
}

/// AdaMaxW with explicit hyperparameters, weight decay and mask.
///
/// ```
/// use ferrax::optim::{self, ScaleByAdamax};
/// let opt = optim::adamaxw_with(1e-3, ScaleByAdamax::default(), 0.01, None);
/// # let _ = opt;
/// ```
pub fn adamaxw_with(
    learning_rate: impl Into<LearningRate>,
    s: ScaleByAdamax,
    weight_decay: f64,
    mask: Option<Mask>,
) -> AdamaxW {
    chain((
        s,
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    ))
}

/// The type of [`nadamw`]: AdamW's.
pub type NadamW = super::AdamW;

/// NAdamW: AdamW with Nesterov momentum (optax's `nadamw`, `weight_decay = 1e-4`).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::nadamw(1e-3);
/// assert!(opt.0 .0.nesterov);
/// ```
pub fn nadamw(learning_rate: impl Into<LearningRate>) -> NadamW {
    super::adamw_with(
        learning_rate,
        super::AdamOptions {
            nesterov: true,
            ..Default::default()
        },
        1e-4,
        None,
    )
}

/// The type of [`radam`].
pub type RAdam = Chain<(ScaleByRadam, ScaleByLearningRate)>;

/// Rectified Adam (optax's `radam`, defaults of [`ScaleByRadam`]).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::radam(0.1);
/// let p = Tensor::scalar(2.0f32);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert!((u.item::<f32>() + 0.2).abs() < 1e-5);
/// ```
pub fn radam(learning_rate: impl Into<LearningRate>) -> RAdam {
    radam_with(learning_rate, ScaleByRadam::default())
}

/// RAdam with explicit hyperparameters.
///
/// ```
/// use ferrax::optim::{self, ScaleByRadam};
/// let opt = optim::radam_with(1e-3, ScaleByRadam { threshold: 4.0, ..Default::default() });
/// # let _ = opt;
/// ```
pub fn radam_with(learning_rate: impl Into<LearningRate>, s: ScaleByRadam) -> RAdam {
    chain((s, scale_by_learning_rate(learning_rate)))
}

/// The type of [`novograd`].
pub type Novograd = Chain<(ScaleByNovograd, ScaleByLearningRate)>;

/// NovoGrad (optax's `novograd`: `b1 = 0.9`, `b2 = 0.25`, `eps = 1e-6`, no weight decay).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::novograd(0.1);
/// let p = Tensor::from_vec(vec![3.0f32, 4.0], &[2]);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert!((u.to_vec::<f32>()[0] + 0.06).abs() < 1e-6);
/// ```
pub fn novograd(learning_rate: impl Into<LearningRate>) -> Novograd {
    novograd_with(
        learning_rate,
        ScaleByNovograd {
            eps: 1e-6,
            ..Default::default()
        },
    )
}

/// NovoGrad with explicit hyperparameters (weight decay is part of [`ScaleByNovograd`]).
///
/// ```
/// use ferrax::optim::{self, ScaleByNovograd};
/// let opt = optim::novograd_with(1e-3, ScaleByNovograd { weight_decay: 1e-3, ..Default::default() });
/// # let _ = opt;
/// ```
pub fn novograd_with(learning_rate: impl Into<LearningRate>, s: ScaleByNovograd) -> Novograd {
    chain((s, scale_by_learning_rate(learning_rate)))
}

/// The type of [`sm3`].
pub type Sm3 = Chain<(ScaleBySm3, Scale)>;

/// SM3 (optax's `sm3`: `chain(scale_by_sm3(momentum), scale(-lr))`, momentum `0.9` by
/// default). The learning rate is a constant, as in optax.
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::sm3(0.1, 0.9);
/// let p = Tensor::from_vec(vec![3.0f32, 4.0], &[2]);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert!((u.to_vec::<f32>()[0] + 0.01).abs() < 1e-6);
/// ```
pub fn sm3(learning_rate: f64, momentum: f64) -> Sm3 {
    chain((
        ScaleBySm3 {
            b1: momentum,
            ..Default::default()
        },
        scale(-learning_rate),
    ))
}

/// The type of [`yogi`].
pub type Yogi = Chain<(ScaleByYogi, ScaleByLearningRate)>;

/// Yogi (optax's `yogi`, defaults of [`ScaleByYogi`]).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::yogi(0.1);
/// let p = Tensor::scalar(2.0f32);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert!(u.item::<f32>() < 0.0);
/// ```
pub fn yogi(learning_rate: impl Into<LearningRate>) -> Yogi {
    yogi_with(learning_rate, ScaleByYogi::default())
}

/// Yogi with explicit hyperparameters.
///
/// ```
/// use ferrax::optim::{self, ScaleByYogi};
/// let opt = optim::yogi_with(1e-2, ScaleByYogi { eps: 1e-4, ..Default::default() });
/// # let _ = opt;
/// ```
pub fn yogi_with(learning_rate: impl Into<LearningRate>, s: ScaleByYogi) -> Yogi {
    chain((s, scale_by_learning_rate(learning_rate)))
}

/// The type of [`noisy_sgd`].
pub type NoisySgd = Chain<(AddNoise, ScaleByLearningRate)>;

/// SGD with annealed Gaussian gradient noise (optax's `noisy_sgd`: `eta = 0.01`,
/// `gamma = 0.55`); the noise is drawn from `seed` as optax draws it from `key`.
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::noisy_sgd(0.1, 0.01, 0.55, 0);
/// let p = Tensor::zeros(&[4], DType::F32);
/// let (u, s) = opt.update(&p, &opt.init(&p), &p);
/// assert_eq!((u.shape(), s.0.count.item::<i32>()), (&[4usize][..], 1));
/// ```
pub fn noisy_sgd(
    learning_rate: impl Into<LearningRate>,
    eta: f64,
    gamma: f64,
    seed: i64,
) -> NoisySgd {
    chain((
        super::add_noise(eta, gamma, seed),
        scale_by_learning_rate(learning_rate),
    ))
}

/// The type of [`fromage`].
pub type Fromage = Chain<(ScaleByTrustRatio, ScaleByLearningRate, AddDecayedWeights)>;

/// Fromage (optax's `fromage`, `min_norm = 1e-6`): the trust-ratio step, then the parameters
/// shrunk by `1 / sqrt(1 + lr²)`. A constant learning rate (optax's schedule form is not
/// supported).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::fromage(0.1, 1e-6);
/// let p = Tensor::from_vec(vec![3.0f32, 4.0], &[2]);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert_eq!(u.shape(), &[2]);
/// ```
pub fn fromage(learning_rate: f64, min_norm: f64) -> Fromage {
    let mult = 1.0 / (1.0 + learning_rate * learning_rate).sqrt();
    chain((
        scale_by_trust_ratio(min_norm, 1.0, 0.0),
        scale_by_learning_rate(learning_rate * mult),
        add_decayed_weights(mult - 1.0, None),
    ))
}

/// The type of [`amsgrad`].
pub type Amsgrad = Chain<(ScaleByAmsgrad, ScaleByLearningRate)>;

/// AMSGrad (optax's `amsgrad`, defaults of [`ScaleByAmsgrad`]).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::amsgrad(0.1);
/// let p = Tensor::scalar(2.0f32);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert!((u.item::<f32>() + 0.1).abs() < 1e-4);
/// ```
pub fn amsgrad(learning_rate: impl Into<LearningRate>) -> Amsgrad {
    amsgrad_with(learning_rate, ScaleByAmsgrad::default())
}

/// AMSGrad with explicit hyperparameters.
///
/// ```
/// use ferrax::optim::{self, ScaleByAmsgrad};
/// let opt = optim::amsgrad_with(1e-3, ScaleByAmsgrad { b2: 0.99, ..Default::default() });
/// # let _ = opt;
/// ```
pub fn amsgrad_with(learning_rate: impl Into<LearningRate>, s: ScaleByAmsgrad) -> Amsgrad {
    chain((s, scale_by_learning_rate(learning_rate)))
}

/// The type of [`adadelta`]: weight decay, Adadelta's scaling, the learning rate.
pub type Adadelta = Chain<(AddDecayedWeights, ScaleByAdadelta, ScaleByLearningRate)>;

/// Adadelta (optax's `adadelta`: `rho = 0.9`, `eps = 1e-6`, no weight decay). optax's
/// learning rate may be `None` (then the updates are not negated); here it is required.
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::adadelta(1.0);
/// let p = Tensor::scalar(1.0f32);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert!((u.item::<f32>() + (1e-6f32 / (0.1 + 1e-6)).sqrt()).abs() < 1e-6);
/// ```
pub fn adadelta(learning_rate: impl Into<LearningRate>) -> Adadelta {
    adadelta_with(learning_rate, ScaleByAdadelta::default(), 0.0, None)
}

/// Adadelta with explicit `rho`/`eps`, weight decay and decay mask.
///
/// ```
/// use ferrax::optim::{self, ScaleByAdadelta};
/// let opt = optim::adadelta_with(1.0, ScaleByAdadelta { rho: 0.95, eps: 1e-6 }, 1e-4, None);
/// # let _ = opt;
/// ```
pub fn adadelta_with(
    learning_rate: impl Into<LearningRate>,
    s: ScaleByAdadelta,
    weight_decay: f64,
    weight_decay_mask: Option<Mask>,
) -> Adadelta {
    chain((
        add_decayed_weights(weight_decay, weight_decay_mask),
        s,
        scale_by_learning_rate(learning_rate),
    ))
}

/// The type of [`adan`].
pub type Adan = Chain<(ScaleByAdan, AddDecayedWeights, ScaleByLearningRate)>;

/// Adan (optax's `adan`: `b1 = 0.98`, `b2 = 0.92`, `b3 = 0.99`, `eps = 1e-8`,
/// `eps_root = 1e-8`, no weight decay).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::adan(0.1);
/// let p = Tensor::scalar(2.0f32);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert!((u.item::<f32>() + 0.1).abs() < 1e-5);
/// ```
pub fn adan(learning_rate: impl Into<LearningRate>) -> Adan {
    adan_with(
        learning_rate,
        ScaleByAdan {
            eps_root: 1e-8,
            ..Default::default()
        },
        0.0,
        None,
    )
}

/// Adan with explicit hyperparameters, weight decay and mask.
///
/// ```
/// use ferrax::optim::{self, ScaleByAdan};
/// let opt = optim::adan_with(1e-3, ScaleByAdan::default(), 0.02, None);
/// # let _ = opt;
/// ```
pub fn adan_with(
    learning_rate: impl Into<LearningRate>,
    s: ScaleByAdan,
    weight_decay: f64,
    mask: Option<Mask>,
) -> Adan {
    chain((
        s,
        add_decayed_weights(weight_decay, mask),
        scale_by_learning_rate(learning_rate),
    ))
}

/// The type of [`rprop`].
pub type Rprop = Chain<(ScaleByRprop, Scale)>;

/// Rprop (optax's `rprop`: `chain(scale_by_rprop(lr, ...), scale(-1))`; see [`ScaleByRprop`]).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::rprop(ferrax::optim::ScaleByRprop::new(0.1));
/// let p = Tensor::scalar(2.0f32);
/// let s = opt.init(&p);
/// let (_, s) = opt.update(&p, &s, &p);
/// let (u, _) = opt.update(&p, &s, &p);
/// assert!((u.item::<f32>() + 0.1).abs() < 1e-7);
/// ```
pub fn rprop(s: ScaleByRprop) -> Rprop {
    chain((s, scale(-1.0)))
}

/// The type of [`sign_sgd`].
pub type SignSgd = Chain<(ScaleBySign, ScaleByLearningRate)>;

/// signSGD (optax's `sign_sgd`): `-lr * sign(g)`.
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::sign_sgd(0.1);
/// let p = Tensor::from_vec(vec![3.0f32, -0.5], &[2]);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert_eq!(u.to_vec::<f32>(), vec![-0.1, 0.1]);
/// ```
pub fn sign_sgd(learning_rate: impl Into<LearningRate>) -> SignSgd {
    chain((scale_by_sign(), scale_by_learning_rate(learning_rate)))
}

/// The type of [`signum`].
pub type Signum = Chain<(Ema, ScaleBySign, ScaleByLearningRate)>;

/// Signum (optax's `signum`, `beta = 0.9`): the sign of an (un-debiased) momentum.
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::signum(0.1, 0.9);
/// let p = Tensor::from_vec(vec![3.0f32, -0.5], &[2]);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert_eq!(u.to_vec::<f32>(), vec![-0.1, 0.1]);
/// ```
pub fn signum(learning_rate: impl Into<LearningRate>, beta: f64) -> Signum {
    chain((
        super::ema(beta, false),
        scale_by_sign(),
        scale_by_learning_rate(learning_rate),
    ))
}

/// The type of [`optimistic_gradient_descent`].
pub type OptimisticGradientDescent = Chain<(ScaleByOptimisticGradient, ScaleByLearningRate)>;

/// Optimistic gradient descent (optax's `optimistic_gradient_descent`, `alpha = beta = 1`),
/// for min-max games.
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::optimistic_gradient_descent(0.1, 1.0, 1.0);
/// let p = Tensor::scalar(1.0f32);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert!((u.item::<f32>() + 0.1).abs() < 1e-7);
/// ```
pub fn optimistic_gradient_descent(
    learning_rate: impl Into<LearningRate>,
    alpha: f64,
    beta: f64,
) -> OptimisticGradientDescent {
    chain((
        ScaleByOptimisticGradient { alpha, beta },
        scale_by_learning_rate(learning_rate),
    ))
}

/// The type of [`optimistic_adam`].
pub type OptimisticAdam = Chain<(ScaleByAdam, ScaleByOptimisticGradient, ScaleByLearningRate)>;

/// Optimistic Adam (optax's `optimistic_adam`: Adam with Nesterov momentum, then optimistic
/// gradient with `alpha = learning_rate`, `beta = optimism` (default the learning rate)).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::optimistic_adam(0.1, None);
/// let p = Tensor::scalar(1.0f32);
/// assert_eq!(opt.init(&p).0.count.item::<i32>(), 0);
/// ```
pub fn optimistic_adam(learning_rate: f64, optimism: Option<f64>) -> OptimisticAdam {
    chain((
        ScaleByAdam {
            nesterov: true,
            ..adam_defaults()
        },
        ScaleByOptimisticGradient {
            alpha: learning_rate,
            beta: optimism.unwrap_or(learning_rate),
        },
        scale_by_learning_rate(1.0),
    ))
}

/// The type of [`optimistic_adam_v2`]: Adam's scaling, optimistic gradient, the learning rate.
pub type OptimisticAdamV2 = OptimisticAdam;

/// Optimistic Adam, second form (optax's `optimistic_adam_v2`: Adam with Nesterov momentum,
/// then `scale_by_optimistic_gradient(alpha, beta)` (defaults `1, 1`), then `-learning_rate`,
/// which may be a schedule). `alpha` and `beta` are constants here (optax also takes
/// schedules).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::optimistic_adam_v2(0.1, 1.0, 1.0);
/// let p = Tensor::scalar(1.0f32);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert!(u.item::<f32>() < 0.0);
/// ```
pub fn optimistic_adam_v2(
    learning_rate: impl Into<LearningRate>,
    alpha: f64,
    beta: f64,
) -> OptimisticAdamV2 {
    chain((
        ScaleByAdam {
            nesterov: true,
            ..adam_defaults()
        },
        ScaleByOptimisticGradient { alpha, beta },
        scale_by_learning_rate(learning_rate),
    ))
}
