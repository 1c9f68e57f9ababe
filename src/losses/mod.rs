//! `ferrax::losses`: loss functions as compositions of public ops, so they differentiate,
//! batch and jit like any other code. Names and semantics follow optax: each function returns
//! the *unreduced* loss (one value per example, or per element for the elementwise losses);
//! [`reduce`] takes the mean or sum, optionally under a per-example mask or weights.
//!
//! All of them are NaN-safe where optax is: finite values and gradients at logits of `±1e30`,
//! and `-inf` logits (masked-out classes) give finite softmax cross-entropies whenever the
//! label's own logit is finite.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::losses::{self, Reduction};
//! let logits = Tensor::from_vec(vec![2.0f32, 0.5, -1.0, 0.1, 0.2, 3.0], &[2, 3]);
//! let labels = Tensor::from_vec(vec![0, 2], &[2]);
//! let per_example = losses::softmax_cross_entropy_with_integer_labels(&logits, &labels);
//! assert_eq!(per_example.shape(), &[2]);
//! let loss = losses::reduce(&per_example, Reduction::Mean, None);
//! assert!(loss.item::<f32>() > 0.0);
//! assert_eq!(losses::accuracy(&logits, &labels).item::<f32>(), 1.0);
//! ```

mod classification;
mod ctc;
mod regression;
mod segmentation;

pub use classification::{
    convex_kl_divergence, generalized_kl_divergence, generalized_kl_divergence_with, hinge_loss,
    kl_divergence, kl_divergence_with, kl_divergence_with_log_targets,
    kl_divergence_with_log_targets_with, multiclass_hinge_loss, multiclass_perceptron_loss,
    perceptron_loss, poly_loss_cross_entropy, poly_loss_cross_entropy_with, ranking_softmax_loss,
    ranking_softmax_loss_with, safe_softmax_cross_entropy, sigmoid_focal_loss, smooth_labels,
    smooth_labels_with, softmax_cross_entropy_with, sparsemax_loss, squared_hinge_loss, AxisWhere,
    RankingOptions,
};
pub use ctc::{ctc_loss, ctc_loss_with_forward_probs};
pub use regression::{
    cosine_distance, cosine_distance_with, cosine_similarity, cosine_similarity_with, log_cosh,
    ntxent, triplet_margin_loss, TripletMargin,
};
pub use segmentation::{
    binary_dice_loss, dice_loss, dice_loss_with, multiclass_generalized_dice_loss, DiceOptions,
};

use crate::lax;
use crate::nn;
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};

/// How [`reduce`] combines per-example losses.
///
/// ```
/// use ferrax::losses::Reduction;
/// assert_ne!(Reduction::Mean, Reduction::Sum);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reduction {
    /// Keep every loss (masked ones become 0, weighted ones are multiplied by their weight).
    None,
    /// The (weighted) mean over the unmasked entries; 0 when every entry is masked.
    Mean,
    /// The (weighted) sum.
    Sum,
}

/// Reduces per-example `losses`. `mask` (same shape as `losses`, or broadcastable to it) is
/// either `bool` (`true` = keep) or float weights; masked entries and zero-weight entries do
/// not contribute even if their loss is `inf` or `NaN` (and their gradients stay finite), and
/// `Mean` divides by the number (total weight) of the kept entries.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::losses::{reduce, Reduction};
/// let l = Tensor::from_vec(vec![1.0f32, 3.0, f32::INFINITY], &[3]);
/// let keep = Tensor::from_vec(vec![true, true, false], &[3]);
/// assert_eq!(reduce(&l, Reduction::Mean, Some(&keep)).item::<f32>(), 2.0);
/// assert_eq!(reduce(&l, Reduction::Sum, Some(&keep)).item::<f32>(), 4.0);
/// let w = Tensor::from_vec(vec![1.0f32, 3.0, 0.0], &[3]);
/// assert_eq!(reduce(&l, Reduction::Mean, Some(&w)).item::<f32>(), 2.5);
/// assert_eq!(reduce(&l, Reduction::None, Some(&keep)).to_vec::<f32>(), vec![1.0, 3.0, 0.0]);
/// ```
#[track_caller]
pub fn reduce(losses: &Tensor, reduction: Reduction, mask: Option<&Tensor>) -> Tensor {
    let Some(mask) = mask else {
        return match reduction {
            Reduction::None => losses.clone(),
            Reduction::Mean => losses.mean(),
            Reduction::Sum => losses.sum(),
        };
    };
    let shape = jnp::broadcast_shapes(losses.shape(), mask.shape());
    assert!(
        shape == losses.shape(),
        "losses::reduce: mask of shape {:?} does not broadcast to the losses' shape {:?}",
        mask.shape(),
        losses.shape()
    );
    let mask = jnp::broadcast_to(mask, losses.shape());
    let (keep, weights) = if mask.dtype() == DType::Bool {
        (mask.clone(), mask.cast(losses.dtype()))
    } else {
        (mask.ne(0.0), mask.cast(losses.dtype()))
    };
    // Zero the dropped entries before weighting, so `inf * 0` never happens.
    let weighted = jnp::where_(&keep, losses, 0.0) * &weights;
    match reduction {
        Reduction::None => weighted,
        Reduction::Sum => weighted.sum(),
        Reduction::Mean => {
            let total = weights.sum();
            let any = total.ne(0.0);
            let safe = jnp::where_(&any, &total, 1.0);
            jnp::where_(&any, weighted.sum() / safe, 0.0)
        }
    }
}

/// Integer `labels` index the last dim of `logits`: their shape is the rest of its shape.
#[track_caller]
fn check_label_shape(op: &str, logits: &Tensor, labels: &Tensor) {
    assert!(
        logits.ndim() >= 1 && labels.shape() == &logits.shape()[..logits.ndim() - 1],
        "losses::{op}: logits of shape {:?} need labels of shape {:?} (got {:?})",
        logits.shape(),
        &logits.shape()[..logits.ndim().saturating_sub(1)],
        labels.shape()
    );
}

#[track_caller]
fn check_float(op: &str, x: &Tensor) {
    assert!(
        x.dtype().is_float(),
        "losses::{op}: logits/predictions must be floating point, got {:?} of shape {:?}",
        x.dtype(),
        x.shape()
    );
}

#[track_caller]
fn check_same_shape(op: &str, a: &Tensor, b: &Tensor) {
    assert!(
        a.shape() == b.shape(),
        "losses::{op}: predictions of shape {:?} and targets of shape {:?} differ",
        a.shape(),
        b.shape()
    );
}

/// Softmax cross-entropy with integer class labels, `logsumexp(logits) - logits[label]` over
/// the last axis (optax's `softmax_cross_entropy_with_integer_labels`): logits `[..., C]`,
/// labels `[...]` (any integer dtype), result `[...]`. Computed with the max logit subtracted
/// first (finite at `±1e30`, exact for the label's own logit). A negative label counts from
/// the end once, and a label out of range gives `NaN` (as `take_along_axis`'s fill).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::losses::softmax_cross_entropy_with_integer_labels as ce;
/// let logits = Tensor::from_vec(vec![1.2f32, -0.8, -0.5, 0.9, -1.2, 1.1], &[2, 3]);
/// let l = ce(&logits, &Tensor::from_vec(vec![0, 1], &[2])).to_vec::<f32>();
/// assert!((l[0] - 0.2761).abs() < 1e-4 && (l[1] - 2.9518).abs() < 1e-4);
/// // A masked-out class (-inf logit) is fine; so are huge logits.
/// let m = Tensor::from_vec(vec![0.0f32, f32::NEG_INFINITY, 1e30], &[3]);
/// assert!(ce(&m, &Tensor::scalar(2)).item::<f32>().is_finite());
/// ```
#[track_caller]
pub fn softmax_cross_entropy_with_integer_labels(logits: &Tensor, labels: &Tensor) -> Tensor {
    let op = "softmax_cross_entropy_with_integer_labels";
    check_float(op, logits);
    check_label_shape(op, logits, labels);
    assert!(
        labels.dtype().is_int(),
        "losses::{op}: labels must be integers, got {:?}",
        labels.dtype()
    );
    let ax = logits.ndim() - 1;
    let c = logits.shape()[ax] as i32;
    let labels = labels.cast(DType::I32);
    let labels = jnp::where_(&labels.lt(0), &labels + c, &labels);
    let m = lax::reduce_max(logits, &[ax]);
    let m = lax::stop_gradient(&jnp::where_(&m.is_finite(), &m, 0.0));
    let shifted = logits - m.expand_dims(-1);
    // A row of only -inf logits (padding) sums to 0: log(1) keeps its gradient finite, and
    // its loss (inf) is dropped by a mask in `reduce`.
    let s = lax::reduce_sum(&shifted.exp(), &[ax]);
    let lse = jnp::where_(&s.gt(0.0), &s, 1.0).log();
    let classes = lax::iota(DType::I32, &[c as usize], 0);
    let is_label = jnp::equal(labels.expand_dims(-1), &classes);
    let label_logit = lax::reduce_sum(&jnp::where_(&is_label, &shifted, 0.0), &[ax]);
    let valid = jnp::logical_and(labels.ge(0), labels.lt(c));
    jnp::where_(&valid, lse - label_logit, f32::NAN)
}

/// Softmax cross-entropy with one-hot or soft labels, `-Σ labels * log_softmax(logits)` over
/// the last axis (optax's `softmax_cross_entropy`): logits and labels `[..., C]`, result
/// `[...]`. Entries with label 0 contribute 0 even where the logit is `-inf` (optax's
/// `safe_softmax_cross_entropy` semantics; plain optax gives `NaN` there).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::losses::softmax_cross_entropy;
/// let logits = Tensor::from_vec(vec![1.2f32, -0.8, -0.5], &[1, 3]);
/// let onehot = Tensor::from_vec(vec![1.0f32, 0.0, 0.0], &[1, 3]);
/// assert!((softmax_cross_entropy(&logits, &onehot).to_vec::<f32>()[0] - 0.2761).abs() < 1e-4);
/// ```
#[track_caller]
pub fn softmax_cross_entropy(logits: &Tensor, labels: &Tensor) -> Tensor {
    let op = "softmax_cross_entropy";
    check_float(op, logits);
    check_same_shape(op, logits, labels);
    assert!(logits.ndim() >= 1, "losses::{op}: logits need a class axis");
    let labels = labels.cast(logits.dtype());
    let logp = nn::log_softmax(logits, -1);
    // The double where: where a zero label meets a -inf log-probability, neither the
    // product's value nor its label-gradient sees `0 * -inf` (elsewhere d/dlabels = logp).
    let guard = jnp::logical_and(labels.eq(0.0), logp.is_finite().not());
    let safe_logp = jnp::where_(&guard, 0.0, &logp);
    -(labels * safe_logp).sum_axes(&[-1])
}

/// Binary cross-entropy of `sigmoid(logits)` against `labels` in `[0, 1]`, elementwise
/// (optax's `sigmoid_binary_cross_entropy`), in the stable form
/// `max(x, 0) - x z + log1p(exp(-|x|))`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::losses::sigmoid_binary_cross_entropy as bce;
/// let x = Tensor::from_vec(vec![0.0f32, 1e30, -1e30], &[3]);
/// let z = Tensor::from_vec(vec![1.0f32, 1.0, 0.0], &[3]);
/// let l = bce(&x, &z).to_vec::<f32>();
/// assert!((l[0] - std::f32::consts::LN_2).abs() < 1e-7 && l[1] == 0.0 && l[2] == 0.0);
/// ```
#[track_caller]
pub fn sigmoid_binary_cross_entropy(logits: &Tensor, labels: &Tensor) -> Tensor {
    let op = "sigmoid_binary_cross_entropy";
    check_float(op, logits);
    check_same_shape(op, logits, labels);
    let z = labels.cast(logits.dtype());
    // max(x, 0) and -|x| switch on the same predicate, so at x = 0 their derivatives add up
    // to the true one (sigmoid(0) - z) instead of depending on tie-breaking.
    let pos = logits.gt(0.0);
    let max0 = jnp::where_(&pos, logits, 0.0);
    let neg_abs = jnp::where_(&pos, -logits, logits);
    max0 - logits * z + neg_abs.exp().log1p()
}

/// `(predictions - targets)²`, elementwise (optax's `squared_error`). Shapes must match.
///
/// ```
/// use ferrax::prelude::*;
/// let p = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let t = Tensor::from_vec(vec![0.0f32, 4.0], &[2]);
/// assert_eq!(ferrax::losses::squared_error(&p, &t).to_vec::<f32>(), vec![1.0, 4.0]);
/// ```
#[track_caller]
pub fn squared_error(predictions: &Tensor, targets: &Tensor) -> Tensor {
    check_float("squared_error", predictions);
    check_same_shape("squared_error", predictions, targets);
    (predictions - targets).square()
}

/// `0.5 (predictions - targets)²`, elementwise (optax's `l2_loss`).
///
/// ```
/// use ferrax::prelude::*;
/// let p = Tensor::from_vec(vec![2.0f32], &[1]);
/// assert_eq!(ferrax::losses::l2_loss(&p, &Tensor::zeros(&[1], DType::F32)).to_vec::<f32>(), vec![2.0]);
/// ```
#[track_caller]
pub fn l2_loss(predictions: &Tensor, targets: &Tensor) -> Tensor {
    check_float("l2_loss", predictions);
    check_same_shape("l2_loss", predictions, targets);
    (predictions - targets).square() * 0.5
}

/// Mean squared error per example: the squared error averaged over every axis but the first
/// (`[B, ...] -> [B]`); rank 0 and 1 inputs give the elementwise squared error. Take
/// `reduce(.., Mean, ..)` of it for the batch MSE.
///
/// ```
/// use ferrax::prelude::*;
/// let p = Tensor::from_vec(vec![1.0f32, 3.0, 0.0, 0.0], &[2, 2]);
/// let t = Tensor::zeros(&[2, 2], DType::F32);
/// assert_eq!(ferrax::losses::mse(&p, &t).to_vec::<f32>(), vec![5.0, 0.0]);
/// ```
#[track_caller]
pub fn mse(predictions: &Tensor, targets: &Tensor) -> Tensor {
    check_float("mse", predictions);
    check_same_shape("mse", predictions, targets);
    let se = (predictions - targets).square();
    if se.ndim() <= 1 {
        return se;
    }
    let axes: Vec<isize> = (1..se.ndim() as isize).collect();
    se.mean_axes(&axes)
}

/// The Huber loss, elementwise: `0.5 e²` for `|e| <= delta`, `0.5 delta² + delta (|e| - delta)`
/// beyond, with `e = predictions - targets` (optax's `huber_loss`).
///
/// ```
/// use ferrax::prelude::*;
/// let p = Tensor::from_vec(vec![0.5f32, 3.0], &[2]);
/// let h = ferrax::losses::huber_loss(&p, &Tensor::zeros(&[2], DType::F32), 1.0);
/// assert_eq!(h.to_vec::<f32>(), vec![0.125, 2.5]);
/// ```
#[track_caller]
pub fn huber_loss(predictions: &Tensor, targets: &Tensor, delta: f64) -> Tensor {
    check_float("huber_loss", predictions);
    check_same_shape("huber_loss", predictions, targets);
    let abs = (predictions - targets).abs();
    let quadratic = abs.minimum(delta);
    // |e| - min(|e|, delta) rather than max(|e| - delta, 0): one gradient path, as optax.
    let linear = &abs - &quadratic;
    quadratic.square() * 0.5 + linear * delta
}

/// The fraction of examples whose largest logit is at the label (an `f32` scalar): logits
/// `[..., C]`, integer labels `[...]`. Ties go to the first maximal class, as `argmax`.
///
/// ```
/// use ferrax::prelude::*;
/// let logits = Tensor::from_vec(vec![0.1f32, 0.9, 0.8, 0.2], &[2, 2]);
/// let labels = Tensor::from_vec(vec![1, 1], &[2]);
/// assert_eq!(ferrax::losses::accuracy(&logits, &labels).item::<f32>(), 0.5);
/// ```
#[track_caller]
pub fn accuracy(logits: &Tensor, labels: &Tensor) -> Tensor {
    check_label_shape("accuracy", logits, labels);
    let pred = jnp::argmax(logits, Some(-1));
    jnp::equal(&pred, labels.cast(DType::I32))
        .cast(DType::F32)
        .mean()
}
