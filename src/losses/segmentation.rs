//! Segmentation losses with optax's definitions: the (Tversky-generalized) Dice loss, its
//! binary form and the generalized multiclass Dice loss.

use super::{check_float, check_same_shape, Reduction};
use crate::numpy as jnp;
use crate::tensor::Tensor;

/// [`dice_loss_with`]'s keyword arguments (optax's defaults: no class weights, `smooth = 1`,
/// `alpha = beta = 0.5` (Dice), softmax (sigmoid for one class) applied, mean over classes,
/// background kept, spatial axes `1..ndim-1`).
///
/// ```
/// let o = ferrax::losses::DiceOptions::default();
/// assert_eq!((o.alpha, o.beta, o.smooth), (0.5, 0.5, 1.0));
/// ```
#[derive(Clone, Debug)]
pub struct DiceOptions {
    /// Per-class weights `[C]`.
    pub class_weights: Option<Tensor>,
    /// Added to numerator and denominator.
    pub smooth: f64,
    /// Weight of false positives (Tversky).
    pub alpha: f64,
    /// Weight of false negatives (Tversky).
    pub beta: f64,
    /// Turn logits into probabilities first (softmax, or sigmoid for one class).
    pub apply_softmax: bool,
    /// How the per-class losses combine (over the class axis).
    pub reduction: Reduction,
    /// Drop class 0.
    pub ignore_background: bool,
    /// The axes summed (`None`: all but the first and the last).
    pub axis: Option<Vec<isize>>,
}

impl Default for DiceOptions {
    fn default() -> Self {
        DiceOptions {
            class_weights: None,
            smooth: 1.0,
            alpha: 0.5,
            beta: 0.5,
            apply_softmax: true,
            reduction: Reduction::Mean,
            ignore_background: false,
            axis: None,
        }
    }
}

/// The Dice loss `1 - (I + s) / (I + α FP + β FN + s)` per example and class, reduced over
/// classes (optax's `dice_loss` with its defaults): predictions (logits) and targets
/// `[B, ..., C]`.
///
/// ```
/// use ferrax::prelude::*;
/// let logits = Tensor::from_vec(vec![10.0f32, -10.0, -10.0, 10.0], &[1, 2, 2]);
/// let targets = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0], &[1, 2, 2]);
/// assert!(ferrax::losses::dice_loss(&logits, &targets).to_vec::<f32>()[0] < 1e-4);
/// ```
#[track_caller]
pub fn dice_loss(predictions: &Tensor, targets: &Tensor) -> Tensor {
    dice_loss_with(predictions, targets, DiceOptions::default())
}

/// The Dice loss with explicit options (see [`DiceOptions`]); a prediction or target with one
/// dim fewer gets a class axis of size 1, as in optax.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::losses::{dice_loss_with, DiceOptions, Reduction};
/// let p = Tensor::from_vec(vec![0.5f32, 0.5, 1.0, 0.0], &[1, 2, 2]);
/// let o = DiceOptions { apply_softmax: false, reduction: Reduction::None, ..Default::default() };
/// assert_eq!(dice_loss_with(&p, &p, o).shape(), &[1, 2]);
/// ```
#[track_caller]
pub fn dice_loss_with(predictions: &Tensor, targets: &Tensor, o: DiceOptions) -> Tensor {
    let op = "dice_loss";
    check_float(op, predictions);
    let mut p = predictions.clone();
    let mut t = targets.cast(predictions.dtype());
    if p.ndim() + 1 == t.ndim() {
        p = jnp::expand_dims(&p, -1);
    }
    if t.ndim() + 1 == p.ndim() {
        t = jnp::expand_dims(&t, -1);
    }
    check_same_shape(op, &p, &t);
    let c = p.shape()[p.ndim() - 1];
    let probs = if !o.apply_softmax {
        p
    } else if c == 1 {
        crate::nn::sigmoid(&p)
    } else {
        crate::nn::softmax(&p, -1)
    };
    let axes: Vec<isize> = o
        .axis
        .clone()
        .unwrap_or_else(|| (1..probs.ndim() as isize - 1).collect());
    let inter = jnp::sum(&(&probs * &t), Some(&axes));
    let pred_sum = jnp::sum(&probs, Some(&axes));
    let target_sum = jnp::sum(&t, Some(&axes));
    let num = &inter + o.smooth;
    let den = &inter + (pred_sum - &inter) * o.alpha + (target_sum - &inter) * o.beta + o.smooth;
    let mut l = -(num / den) + 1.0;
    if let Some(w) = &o.class_weights {
        l = l * w;
    }
    if o.ignore_background && c > 1 {
        l = l.slice_axis(-1, 1, c as isize);
    }
    match o.reduction {
        Reduction::Mean => jnp::mean(&l, Some(&[-1])),
        Reduction::Sum => jnp::sum(&l, Some(&[-1])),
        Reduction::None => l,
    }
}

/// The binary Dice loss (optax's `binary_dice_loss`, `smooth = 1`, sigmoid applied): logits and
/// targets of the same shape `[B, ...]` (a class axis of size 1 is added unless present).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![10.0f32, -10.0], &[1, 2]);
/// let t = Tensor::from_vec(vec![1.0f32, 0.0], &[1, 2]);
/// assert!(ferrax::losses::binary_dice_loss(&x, &t, 1.0, true).to_vec::<f32>()[0] < 1e-4);
/// ```
#[track_caller]
pub fn binary_dice_loss(
    predictions: &Tensor,
    targets: &Tensor,
    smooth: f64,
    apply_sigmoid: bool,
) -> Tensor {
    let (mut p, mut t) = (predictions.clone(), targets.clone());
    if p.ndim() == t.ndim() && p.shape().last() != Some(&1) {
        p = jnp::expand_dims(&p, -1);
        t = jnp::expand_dims(&t, -1);
    }
    let o = DiceOptions {
        smooth,
        apply_softmax: apply_sigmoid,
        ..Default::default()
    };
    dice_loss_with(&p, &t, o)
}

/// The generalized Dice loss (optax's `multiclass_generalized_dice_loss`): classes weighted by
/// their inverse squared frequency in `targets`, the per-class losses averaged; a scalar.
///
/// ```
/// use ferrax::prelude::*;
/// let logits = Tensor::from_vec(vec![10.0f32, -10.0, -10.0, 10.0], &[1, 2, 2]);
/// let targets = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0], &[1, 2, 2]);
/// let l = ferrax::losses::multiclass_generalized_dice_loss(&logits, &targets, 1.0, true, false);
/// assert!(l.item::<f32>() < 1e-4);
/// ```
#[track_caller]
pub fn multiclass_generalized_dice_loss(
    predictions: &Tensor,
    targets: &Tensor,
    smooth: f64,
    apply_softmax: bool,
    ignore_background: bool,
) -> Tensor {
    check_same_shape("multiclass_generalized_dice_loss", predictions, targets);
    let t = targets.cast(predictions.dtype());
    let axes: Vec<isize> = (0..t.ndim() as isize - 1).collect();
    let freq = jnp::sum(&t, Some(&axes));
    let w = Tensor::full(&[], 1.0, freq.dtype()) / (freq.square() + 1e-7);
    let c = w.shape()[0] as f64;
    let w = &w / w.sum() * c;
    let o = DiceOptions {
        class_weights: Some(w),
        smooth,
        apply_softmax,
        reduction: Reduction::None,
        ignore_background,
        ..Default::default()
    };
    dice_loss_with(predictions, &t, o).mean()
}
