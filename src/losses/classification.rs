//! Classification losses beyond cross-entropy, with optax's definitions: cross-entropy over any
//! axis with a mask, the safe variant, KL divergences, hinge and perceptron losses, sigmoid
//! focal loss, PolyLoss and the sparsemax loss.

use super::{check_float, check_same_shape, sigmoid_binary_cross_entropy};
use crate::lax;
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};

/// The reduction axis and mask of an optax loss with `axis`/`where` keyword arguments (JAX's
/// defaults: the last axis, no mask). `where_` (bool, broadcastable to the input) keeps the
/// entries that take part.
///
/// ```
/// use ferrax::losses::AxisWhere;
/// let o = AxisWhere::default();
/// assert_eq!(o.axis, -1);
/// ```
#[derive(Clone, Debug)]
pub struct AxisWhere {
    /// The axis reduced.
    pub axis: isize,
    /// The entries that take part (`None`: all).
    pub where_: Option<Tensor>,
}

impl Default for AxisWhere {
    fn default() -> Self {
        AxisWhere {
            axis: -1,
            where_: None,
        }
    }
}

impl AxisWhere {
    /// The mask, broadcast to `shape` (with a size-1 `axis` inserted when it has one dim fewer,
    /// as optax's `softmax_cross_entropy`).
    #[track_caller]
    fn mask(&self, op: &str, shape: &[usize]) -> Option<Tensor> {
        self.where_.as_ref().map(|w| {
            let w = if w.ndim() + 1 == shape.len() {
                jnp::expand_dims(w, self.axis)
            } else {
                w.clone()
            };
            let fits = w.ndim() <= shape.len()
                && w.shape()
                    .iter()
                    .rev()
                    .zip(shape.iter().rev())
                    .all(|(a, b)| *a == 1 || a == b);
            assert!(
                fits,
                "losses::{op}: where of shape {:?} does not broadcast to the input's shape \
                 {shape:?}",
                self.where_
                    .as_ref()
                    .map(|w| w.shape().to_vec())
                    .unwrap_or_default()
            );
            jnp::broadcast_to(&w.cast(DType::Bool), shape)
        })
    }
}

/// `Σ x` over `axis`, only where `mask` holds (JAX's `sum(where=)`).
pub(crate) fn sum_where(x: &Tensor, axis: isize, mask: Option<&Tensor>) -> Tensor {
    match mask {
        None => jnp::sum(x, Some(&[axis])),
        Some(m) => jnp::sum(&jnp::where_(m, x, 0.0), Some(&[axis])),
    }
}

/// `log_softmax` over `axis` restricted to `mask` (JAX's `log_softmax(where=)`: masked entries
/// are `-inf`).
fn log_softmax_where(x: &Tensor, axis: isize, mask: Option<&Tensor>) -> Tensor {
    let Some(m) = mask else {
        return crate::nn::log_softmax(x, axis);
    };
    let masked = jnp::where_(m, x, f64::NEG_INFINITY);
    let mx = jnp::max(&masked, Some(&[axis]));
    let mx = lax::stop_gradient(&jnp::where_(&mx.is_finite(), &mx, 0.0));
    let shifted = x - jnp::expand_dims(&mx, axis);
    let lse = sum_where(&shifted.exp(), axis, Some(m)).log();
    let out = shifted - jnp::expand_dims(&lse, axis);
    jnp::where_(m, out, f64::NEG_INFINITY)
}

/// Softmax cross-entropy over `o.axis`, only over the classes `o.where_` keeps (optax's
/// `softmax_cross_entropy` with `axis`/`where`; as optax, a zero label on a `-inf` logit gives
/// `NaN`: use [`safe_softmax_cross_entropy`] there).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::losses::{softmax_cross_entropy_with, AxisWhere};
/// let logits = Tensor::from_vec(vec![1.0f32, 2.0, 50.0], &[3]);
/// let labels = Tensor::from_vec(vec![0.0f32, 1.0, 0.0], &[3]);
/// let keep = Tensor::from_vec(vec![true, true, false], &[3]);
/// let l = softmax_cross_entropy_with(&logits, &labels, AxisWhere { axis: -1, where_: Some(keep) });
/// assert!((l.item::<f32>() - (1.0f32 + (-1.0f32).exp()).ln()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn softmax_cross_entropy_with(logits: &Tensor, labels: &Tensor, o: AxisWhere) -> Tensor {
    let op = "softmax_cross_entropy_with";
    check_float(op, logits);
    let m = o.mask(op, logits.shape());
    let logp = log_softmax_where(logits, o.axis, m.as_ref());
    -sum_where(&(labels.cast(logits.dtype()) * logp), o.axis, m.as_ref())
}

/// Softmax cross-entropy where zero labels contribute exactly 0 even at `-inf` logits (optax's
/// `safe_softmax_cross_entropy`), over the last axis.
///
/// ```
/// use ferrax::prelude::*;
/// let logits = Tensor::from_vec(vec![0.0f32, f32::NEG_INFINITY], &[2]);
/// let labels = Tensor::from_vec(vec![1.0f32, 0.0], &[2]);
/// assert_eq!(ferrax::losses::safe_softmax_cross_entropy(&logits, &labels).item::<f32>(), 0.0);
/// ```
#[track_caller]
pub fn safe_softmax_cross_entropy(logits: &Tensor, labels: &Tensor) -> Tensor {
    let op = "safe_softmax_cross_entropy";
    check_float(op, logits);
    check_same_shape(op, logits, labels);
    let labels = labels.cast(logits.dtype());
    let logp = crate::nn::log_softmax(logits, -1);
    let w = jnp::where_(&labels.ne(0.0), &labels * logp, 0.0);
    -jnp::sum(&w, Some(&[-1]))
}

/// `Σ targets (log targets - log_predictions)` over the last axis, `0 log 0 = 0` (optax's
/// `kl_divergence`; predictions as log-probabilities, targets as probabilities).
///
/// ```
/// use ferrax::prelude::*;
/// let logp = Tensor::from_vec(vec![0.5f32.ln(), 0.5f32.ln()], &[2]);
/// let t = Tensor::from_vec(vec![1.0f32, 0.0], &[2]);
/// assert!((ferrax::losses::kl_divergence(&logp, &t).item::<f32>() - 2f32.ln()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn kl_divergence(log_predictions: &Tensor, targets: &Tensor) -> Tensor {
    kl_divergence_with(log_predictions, targets, AxisWhere::default())
}

/// [`kl_divergence`] over `o.axis`, only where `o.where_` holds.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::losses::{kl_divergence_with, AxisWhere};
/// let logp = Tensor::from_vec(vec![0.5f32.ln(); 4], &[2, 2]);
/// let t = Tensor::from_vec(vec![1.0f32, 0.0, 1.0, 0.0], &[2, 2]);
/// assert_eq!(kl_divergence_with(&logp, &t, AxisWhere { axis: 0, where_: None }).shape(), &[2]);
/// ```
#[track_caller]
pub fn kl_divergence_with(log_predictions: &Tensor, targets: &Tensor, o: AxisWhere) -> Tensor {
    let op = "kl_divergence";
    check_float(op, log_predictions);
    check_float(op, targets);
    let m = o.mask(op, log_predictions.shape());
    let zero = targets.eq(0.0);
    let safe = jnp::where_(&zero, 1.0, targets);
    let log_t = jnp::where_(&zero, 0.0, safe.log());
    let loss = targets * (log_t - log_predictions);
    sum_where(&loss, o.axis, m.as_ref())
}

/// KL divergence with both sides as log-probabilities, `Σ exp(log_t) (log_t - log_p)` over the
/// last axis (optax's `kl_divergence_with_log_targets`).
///
/// ```
/// use ferrax::prelude::*;
/// let lp = Tensor::from_vec(vec![0.5f32.ln(), 0.5f32.ln()], &[2]);
/// assert_eq!(ferrax::losses::kl_divergence_with_log_targets(&lp, &lp).item::<f32>(), 0.0);
/// ```
#[track_caller]
pub fn kl_divergence_with_log_targets(log_predictions: &Tensor, log_targets: &Tensor) -> Tensor {
    kl_divergence_with_log_targets_with(log_predictions, log_targets, AxisWhere::default())
}

/// [`kl_divergence_with_log_targets`] over `o.axis`, only where `o.where_` holds.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::losses::{kl_divergence_with_log_targets_with, AxisWhere};
/// let lp = Tensor::from_vec(vec![0.5f32.ln(); 4], &[2, 2]);
/// assert_eq!(kl_divergence_with_log_targets_with(&lp, &lp, AxisWhere::default()).to_vec::<f32>(), vec![0.0, 0.0]);
/// ```
#[track_caller]
pub fn kl_divergence_with_log_targets_with(
    log_predictions: &Tensor,
    log_targets: &Tensor,
    o: AxisWhere,
) -> Tensor {
    let op = "kl_divergence_with_log_targets";
    check_float(op, log_predictions);
    check_float(op, log_targets);
    let m = o.mask(op, log_predictions.shape());
    let loss = log_targets.exp() * (log_targets - log_predictions);
    sum_where(&loss, o.axis, m.as_ref())
}

/// The generalized KL divergence between unnormalized measures,
/// `KL + Σ (exp(log_p) - targets)` (optax's `generalized_kl_divergence`).
///
/// ```
/// use ferrax::prelude::*;
/// let lp = Tensor::from_vec(vec![0.0f32, 0.0], &[2]);
/// let t = Tensor::from_vec(vec![1.0f32, 1.0], &[2]);
/// assert_eq!(ferrax::losses::generalized_kl_divergence(&lp, &t).item::<f32>(), 0.0);
/// ```
#[track_caller]
pub fn generalized_kl_divergence(log_predictions: &Tensor, targets: &Tensor) -> Tensor {
    generalized_kl_divergence_with(log_predictions, targets, AxisWhere::default())
}

/// [`generalized_kl_divergence`] over `o.axis`, only where `o.where_` holds.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::losses::{generalized_kl_divergence_with, AxisWhere};
/// let lp = Tensor::zeros(&[2, 2], DType::F32);
/// let t = Tensor::ones(&[2, 2], DType::F32);
/// assert_eq!(generalized_kl_divergence_with(&lp, &t, AxisWhere::default()).to_vec::<f32>(), vec![0.0, 0.0]);
/// ```
#[track_caller]
pub fn generalized_kl_divergence_with(
    log_predictions: &Tensor,
    targets: &Tensor,
    o: AxisWhere,
) -> Tensor {
    let m = o.mask("generalized_kl_divergence", log_predictions.shape());
    let x = kl_divergence_with(log_predictions, targets, o.clone());
    let y = sum_where(&(log_predictions.exp() - targets), o.axis, m.as_ref());
    x + y
}

/// optax's deprecated name of [`generalized_kl_divergence`].
///
/// ```
/// use ferrax::prelude::*;
/// let lp = Tensor::from_vec(vec![0.0f32], &[1]);
/// assert_eq!(ferrax::losses::convex_kl_divergence(&lp, &Tensor::from_vec(vec![1.0f32], &[1])).item::<f32>(), 0.0);
/// ```
#[track_caller]
pub fn convex_kl_divergence(log_predictions: &Tensor, targets: &Tensor) -> Tensor {
    generalized_kl_divergence(log_predictions, targets)
}

/// The hinge loss `max(0, 1 - y t)` for targets `t` in `{-1, 1}`, elementwise (optax's
/// `hinge_loss`). Square it for the squared hinge loss.
///
/// ```
/// use ferrax::prelude::*;
/// let y = Tensor::from_vec(vec![2.0f32, 0.5, -1.0], &[3]);
/// let t = Tensor::from_vec(vec![1.0f32, 1.0, 1.0], &[3]);
/// assert_eq!(ferrax::losses::hinge_loss(&y, &t).to_vec::<f32>(), vec![0.0, 0.5, 2.0]);
/// ```
#[track_caller]
pub fn hinge_loss(predictor_outputs: &Tensor, targets: &Tensor) -> Tensor {
    check_float("hinge_loss", predictor_outputs);
    jnp::maximum(0.0, -(predictor_outputs * targets) + 1.0)
}

/// The squared hinge loss `max(0, 1 - y t)²` (the square of [`hinge_loss`]; optax spells it
/// `hinge_loss(..) ** 2`).
///
/// ```
/// use ferrax::prelude::*;
/// let y = Tensor::from_vec(vec![0.5f32, -1.0], &[2]);
/// let t = Tensor::from_vec(vec![1.0f32, 1.0], &[2]);
/// assert_eq!(ferrax::losses::squared_hinge_loss(&y, &t).to_vec::<f32>(), vec![0.25, 4.0]);
/// ```
#[track_caller]
pub fn squared_hinge_loss(predictor_outputs: &Tensor, targets: &Tensor) -> Tensor {
    hinge_loss(predictor_outputs, targets).square()
}

/// The perceptron loss `max(0, -y t)`, elementwise (optax's `perceptron_loss`).
///
/// ```
/// use ferrax::prelude::*;
/// let y = Tensor::from_vec(vec![2.0f32, -1.0], &[2]);
/// let t = Tensor::from_vec(vec![1.0f32, 1.0], &[2]);
/// assert_eq!(ferrax::losses::perceptron_loss(&y, &t).to_vec::<f32>(), vec![0.0, 1.0]);
/// ```
#[track_caller]
pub fn perceptron_loss(predictor_outputs: &Tensor, targets: &Tensor) -> Tensor {
    check_same_shape("perceptron_loss", predictor_outputs, targets);
    jnp::maximum(0.0, -(predictor_outputs * targets))
}

/// `Σ scores * onehot` over the last axis.
fn dot_last(scores: &Tensor, onehot: &Tensor) -> Tensor {
    jnp::sum(&(scores * onehot), Some(&[-1]))
}

#[track_caller]
fn onehot_like(op: &str, scores: &Tensor, labels: &Tensor) -> Tensor {
    super::check_label_shape(op, scores, labels);
    jnp::one_hot(labels, scores.shape()[scores.ndim() - 1]).cast(scores.dtype())
}

/// The multiclass hinge loss `max_c(scores + 1 - onehot) - scores[label]` (optax's
/// `multiclass_hinge_loss`): scores `[..., C]`, integer labels `[...]`.
///
/// ```
/// use ferrax::prelude::*;
/// let s = Tensor::from_vec(vec![3.0f32, 1.0, 2.5], &[3]);
/// assert_eq!(ferrax::losses::multiclass_hinge_loss(&s, &Tensor::scalar(0)).item::<f32>(), 0.5);
/// ```
#[track_caller]
pub fn multiclass_hinge_loss(scores: &Tensor, labels: &Tensor) -> Tensor {
    let oh = onehot_like("multiclass_hinge_loss", scores, labels);
    jnp::max(&(scores + 1.0 - &oh), Some(&[-1])) - dot_last(scores, &oh)
}

/// The multiclass perceptron loss `max_c scores - scores[label]` (optax's
/// `multiclass_perceptron_loss`).
///
/// ```
/// use ferrax::prelude::*;
/// let s = Tensor::from_vec(vec![3.0f32, 1.0, 2.5], &[3]);
/// assert_eq!(ferrax::losses::multiclass_perceptron_loss(&s, &Tensor::scalar(2)).item::<f32>(), 0.5);
/// ```
#[track_caller]
pub fn multiclass_perceptron_loss(scores: &Tensor, labels: &Tensor) -> Tensor {
    let oh = onehot_like("multiclass_perceptron_loss", scores, labels);
    jnp::max(scores, Some(&[-1])) - dot_last(scores, &oh)
}

/// `log(sigmoid(x))` as `-softplus(-x)`.
fn log_sigmoid(x: &Tensor) -> Tensor {
    -jnp::logaddexp(-x, 0.0)
}

/// The sigmoid focal loss (optax's `sigmoid_focal_loss`): binary cross-entropy weighted by
/// `(1 - p_t)^gamma`, and by `alpha` for positives and `1 - alpha` for negatives if `alpha` is
/// given (optax's defaults: `alpha = None`, `gamma = 2`). Elementwise.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32], &[1]);
/// let z = Tensor::from_vec(vec![1.0f32], &[1]);
/// let l = ferrax::losses::sigmoid_focal_loss(&x, &z, None, 2.0).to_vec::<f32>()[0];
/// assert!((l - 0.25 * 2f32.ln()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn sigmoid_focal_loss(
    logits: &Tensor,
    labels: &Tensor,
    alpha: Option<f64>,
    gamma: f64,
) -> Tensor {
    let op = "sigmoid_focal_loss";
    check_float(op, logits);
    let labels = labels.cast(logits.dtype());
    let ce = sigmoid_binary_cross_entropy(logits, &labels);
    let log_p = log_sigmoid(logits);
    let log_q = log_sigmoid(&-logits);
    // logsumexp([log_p, log_q], b=[1 - z, z]), with the max held constant as JAX's.
    let mx = jnp::maximum(&log_p, &log_q);
    let mx = lax::stop_gradient(&jnp::where_(&mx.is_finite(), &mx, 0.0));
    let s = (-&labels + 1.0) * (&log_p - &mx).exp() + &labels * (&log_q - &mx).exp();
    let log_one_minus_pt = s.log() + &mx;
    let loss = ce * (log_one_minus_pt * gamma).exp();
    match alpha {
        None => loss,
        Some(a) => (&labels * a + (-&labels + 1.0) * (1.0 - a)) * loss,
    }
}

/// PolyLoss (optax's `poly_loss_cross_entropy`): softmax cross-entropy plus
/// `epsilon * Σ labels (1 - softmax)` (default `epsilon = 2`), over the last axis.
///
/// ```
/// use ferrax::prelude::*;
/// let logits = Tensor::from_vec(vec![0.0f32, 0.0], &[2]);
/// let labels = Tensor::from_vec(vec![1.0f32, 0.0], &[2]);
/// let l = ferrax::losses::poly_loss_cross_entropy(&logits, &labels, 2.0).item::<f32>();
/// assert!((l - (2f32.ln() + 1.0)).abs() < 1e-6);
/// ```
#[track_caller]
pub fn poly_loss_cross_entropy(logits: &Tensor, labels: &Tensor, epsilon: f64) -> Tensor {
    poly_loss_cross_entropy_with(logits, labels, epsilon, AxisWhere::default())
}

/// [`poly_loss_cross_entropy`] over `o.axis`, only over the classes `o.where_` keeps.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::losses::{poly_loss_cross_entropy_with, AxisWhere};
/// let logits = Tensor::zeros(&[2, 2], DType::F32);
/// let labels = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0], &[2, 2]);
/// assert_eq!(poly_loss_cross_entropy_with(&logits, &labels, 1.0, AxisWhere { axis: 0, where_: None }).shape(), &[2]);
/// ```
#[track_caller]
pub fn poly_loss_cross_entropy_with(
    logits: &Tensor,
    labels: &Tensor,
    epsilon: f64,
    o: AxisWhere,
) -> Tensor {
    let op = "poly_loss_cross_entropy";
    check_float(op, logits);
    check_float(op, labels);
    let m = o.mask(op, logits.shape());
    let p = log_softmax_where(logits, o.axis, m.as_ref()).exp();
    let one_minus_pt = sum_where(&(labels * (-p + 1.0)), o.axis, m.as_ref());
    softmax_cross_entropy_with(logits, labels, o) + one_minus_pt * epsilon
}

/// The sparsemax loss of binary labels (optax's `sparsemax_loss`):
/// `sparse_plus(labels ? -logits : logits)`, elementwise, where `sparse_plus` is 0 below -1,
/// `x` above 1 and `(x + 1)² / 4` between.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![3.0f32, 0.0, -3.0], &[3]);
/// let y = Tensor::from_vec(vec![1, 1, 0], &[3]);
/// assert_eq!(ferrax::losses::sparsemax_loss(&x, &y).to_vec::<f32>(), vec![0.0, 0.25, 0.0]);
/// ```
#[track_caller]
pub fn sparsemax_loss(logits: &Tensor, labels: &Tensor) -> Tensor {
    check_float("sparsemax_loss", logits);
    let x = jnp::where_(&labels.ne(0), -logits, logits);
    let mid = (&x + 1.0).square() * 0.25;
    jnp::where_(&x.le(-1.0), 0.0, jnp::where_(&x.ge(1.0), &x, mid))
}

/// Label smoothing (optax's `smooth_labels`): `(1 - alpha) labels + alpha / C`, with `C` the
/// size of the last axis.
///
/// ```
/// use ferrax::prelude::*;
/// let y = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 0.0], &[4]);
/// assert_eq!(ferrax::losses::smooth_labels(&y, 0.2).to_vec::<f32>(), vec![0.85, 0.05, 0.05, 0.05]);
/// ```
#[track_caller]
pub fn smooth_labels(labels: &Tensor, alpha: f64) -> Tensor {
    smooth_labels_with(labels, alpha, AxisWhere::default())
}

/// [`smooth_labels`] over `o.axis`; with `o.where_`, `C` counts only the kept classes.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::losses::{smooth_labels_with, AxisWhere};
/// let y = Tensor::from_vec(vec![1.0f32, 0.0, 0.0], &[3]);
/// let keep = Tensor::from_vec(vec![true, true, false], &[3]);
/// let s = smooth_labels_with(&y, 0.2, AxisWhere { axis: -1, where_: Some(keep) });
/// assert!((s.to_vec::<f32>()[0] - 0.9).abs() < 1e-6);
/// ```
#[track_caller]
pub fn smooth_labels_with(labels: &Tensor, alpha: f64, o: AxisWhere) -> Tensor {
    let op = "smooth_labels";
    check_float(op, labels);
    let n = match o.mask(op, labels.shape()) {
        None => {
            let ax = if o.axis < 0 {
                o.axis + labels.ndim() as isize
            } else {
                o.axis
            };
            Tensor::full(&[], labels.shape()[ax as usize] as f64, labels.dtype())
        }
        Some(m) => jnp::expand_dims(&jnp::sum(&m.cast(labels.dtype()), Some(&[o.axis])), o.axis),
    };
    labels * (1.0 - alpha) + Tensor::full(&[], alpha, labels.dtype()) / n
}

/// [`ranking_softmax_loss_with`]'s keyword arguments (optax's defaults: no mask, no weights,
/// the mean over lists).
///
/// ```
/// let o = ferrax::losses::RankingOptions::default();
/// assert_eq!(o.reduction, ferrax::losses::Reduction::Mean);
/// ```
#[derive(Clone, Debug)]
pub struct RankingOptions {
    /// The items that take part (`bool`, shaped like the logits); `None`: all.
    pub where_: Option<Tensor>,
    /// Per-item weights multiplying the labels.
    pub weights: Option<Tensor>,
    /// How the per-list losses combine (lists without items are left out of the mean).
    pub reduction: super::Reduction,
}

impl Default for RankingOptions {
    fn default() -> Self {
        RankingOptions {
            where_: None,
            weights: None,
            reduction: super::Reduction::Mean,
        }
    }
}

/// The ranking softmax loss (optax's `ranking_softmax_loss`): the softmax cross-entropy of each
/// list's scores `[..., n]` against its relevance labels, averaged over lists.
///
/// ```
/// use ferrax::prelude::*;
/// let scores = Tensor::from_vec(vec![0.0f32, 0.0], &[1, 2]);
/// let labels = Tensor::from_vec(vec![1.0f32, 0.0], &[1, 2]);
/// let l = ferrax::losses::ranking_softmax_loss(&scores, &labels).item::<f32>();
/// assert!((l - 2f32.ln()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn ranking_softmax_loss(logits: &Tensor, labels: &Tensor) -> Tensor {
    ranking_softmax_loss_with(logits, labels, RankingOptions::default())
}

/// [`ranking_softmax_loss`] with a mask of the items, weights and the reduction.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::losses::{ranking_softmax_loss_with, RankingOptions, Reduction};
/// let scores = Tensor::from_vec(vec![0.0f32, 0.0, 9.0], &[1, 3]);
/// let labels = Tensor::from_vec(vec![1.0f32, 0.0, 0.0], &[1, 3]);
/// let keep = Tensor::from_vec(vec![true, true, false], &[1, 3]);
/// let o = RankingOptions { where_: Some(keep), reduction: Reduction::None, ..Default::default() };
/// assert!((ranking_softmax_loss_with(&scores, &labels, o).to_vec::<f32>()[0] - 2f32.ln()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn ranking_softmax_loss_with(logits: &Tensor, labels: &Tensor, o: RankingOptions) -> Tensor {
    let op = "ranking_softmax_loss";
    check_float(op, logits);
    check_same_shape(op, logits, labels);
    let mut labels = labels.cast(logits.dtype());
    let mut logits = logits.clone();
    let m = AxisWhere {
        axis: -1,
        where_: o.where_.clone(),
    }
    .mask(op, logits.shape());
    if let Some(m) = &m {
        labels = jnp::where_(m, &labels, 0.0);
        logits = jnp::where_(m, &logits, f64::NEG_INFINITY);
    }
    if let Some(w) = &o.weights {
        labels = labels * w;
    }
    let ce = labels * crate::nn::log_softmax(&logits, -1);
    let loss = -sum_where(&ce, -1, m.as_ref());
    let rows = m.as_ref().map(|m| jnp::any(m, Some(&[-1])));
    match (o.reduction, rows) {
        (super::Reduction::None, None) => loss,
        (super::Reduction::None, Some(r)) => jnp::where_(&r, &loss, 0.0),
        (super::Reduction::Sum, r) => match r {
            None => loss.sum(),
            Some(r) => jnp::where_(&r, &loss, 0.0).sum(),
        },
        (super::Reduction::Mean, r) => {
            let out = match r {
                None => loss.mean(),
                Some(r) => jnp::where_(&r, &loss, 0.0).sum() / r.cast(loss.dtype()).sum(),
            };
            let valid_input = jnp::isnan(&loss).any().not();
            jnp::where_(&jnp::logical_and(jnp::isnan(&out), valid_input), 0.0, &out)
        }
    }
}
