//! Regression and embedding losses with optax's definitions: cosine similarity and distance,
//! log-cosh, the triplet margin loss and NT-Xent.

use super::check_float;
use super::classification::sum_where;
use crate::lax;
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};

/// The cosine similarity of `predictions` and `targets` along the last axis, the squared norms
/// clipped below at `epsilon` (optax's `cosine_similarity`, default `epsilon = 0`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 0.0], &[2]);
/// let b = Tensor::from_vec(vec![1.0f32, 1.0], &[2]);
/// let s = ferrax::losses::cosine_similarity(&a, &b, 0.0).item::<f32>();
/// assert!((s - 0.5f32.sqrt()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn cosine_similarity(predictions: &Tensor, targets: &Tensor, epsilon: f64) -> Tensor {
    cosine_similarity_with(predictions, targets, epsilon, super::AxisWhere::default())
}

/// [`cosine_similarity`] along `o.axis`, only over the entries `o.where_` keeps.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::losses::{cosine_similarity_with, AxisWhere};
/// let a = Tensor::from_vec(vec![1.0f32, 0.0, 5.0], &[3]);
/// let b = Tensor::from_vec(vec![1.0f32, 0.0, -5.0], &[3]);
/// let keep = Tensor::from_vec(vec![true, true, false], &[3]);
/// assert_eq!(cosine_similarity_with(&a, &b, 0.0, AxisWhere { axis: -1, where_: Some(keep) }).item::<f32>(), 1.0);
/// ```
#[track_caller]
pub fn cosine_similarity_with(
    predictions: &Tensor,
    targets: &Tensor,
    epsilon: f64,
    o: super::AxisWhere,
) -> Tensor {
    let op = "cosine_similarity";
    check_float(op, predictions);
    check_float(op, targets);
    let shape = jnp::broadcast_shapes(predictions.shape(), targets.shape());
    let m = o
        .where_
        .as_ref()
        .map(|w| jnp::broadcast_to(&w.cast(DType::Bool), &shape));
    let norm = |x: &Tensor| {
        let n2 = jnp::expand_dims(&sum_where(&x.square(), o.axis, m.as_ref()), o.axis);
        jnp::maximum(n2, epsilon).sqrt()
    };
    let a = predictions / norm(predictions);
    let b = targets / norm(targets);
    sum_where(&(a * b), o.axis, m.as_ref())
}

/// `1 - cosine_similarity` (optax's `cosine_distance`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 0.0], &[2]);
/// assert_eq!(ferrax::losses::cosine_distance(&a, &(-&a), 0.0).item::<f32>(), 2.0);
/// ```
#[track_caller]
pub fn cosine_distance(predictions: &Tensor, targets: &Tensor, epsilon: f64) -> Tensor {
    -cosine_similarity(predictions, targets, epsilon) + 1.0
}

/// [`cosine_distance`] along `o.axis`, only over the entries `o.where_` keeps.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::losses::{cosine_distance_with, AxisWhere};
/// let a = Tensor::ones(&[2, 3], DType::F32);
/// assert_eq!(cosine_distance_with(&a, &a, 0.0, AxisWhere { axis: 0, where_: None }).shape(), &[3]);
/// ```
#[track_caller]
pub fn cosine_distance_with(
    predictions: &Tensor,
    targets: &Tensor,
    epsilon: f64,
    o: super::AxisWhere,
) -> Tensor {
    -cosine_similarity_with(predictions, targets, epsilon, o) + 1.0
}

/// `log(cosh(e))` of the error `e = predictions - targets` (or of `predictions` alone),
/// elementwise, computed as `logaddexp(e, -e) - log 2` (optax's `log_cosh`): quadratic near 0,
/// linear far away.
///
/// ```
/// use ferrax::prelude::*;
/// let p = Tensor::from_vec(vec![0.0f32, 100.0], &[2]);
/// let l = ferrax::losses::log_cosh(&p, None).to_vec::<f32>();
/// assert_eq!(l[0], 0.0);
/// assert!((l[1] - (100.0 - 2f32.ln())).abs() < 1e-4);
/// ```
#[track_caller]
pub fn log_cosh(predictions: &Tensor, targets: Option<&Tensor>) -> Tensor {
    check_float("log_cosh", predictions);
    let e = match targets {
        Some(t) => predictions - t,
        None => predictions.clone(),
    };
    let ln2 = Tensor::full(&[], std::f64::consts::LN_2, DType::F32).cast(e.dtype());
    jnp::logaddexp(&e, -&e) - ln2
}

/// The triplet margin loss options (optax's defaults: last axis, `norm_degree = 2`,
/// `margin = 1`, `eps = 1e-6`).
///
/// ```
/// let o = ferrax::losses::TripletMargin::default();
/// assert_eq!((o.norm_degree, o.margin), (2.0, 1.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TripletMargin {
    /// The axis of the embedding.
    pub axis: isize,
    /// The degree `p` of the distance `(Σ |x|^p + eps)^(1/p)`.
    pub norm_degree: f64,
    /// The margin between positive and negative distances.
    pub margin: f64,
    /// Added inside the root.
    pub eps: f64,
}

impl Default for TripletMargin {
    fn default() -> Self {
        TripletMargin {
            axis: -1,
            norm_degree: 2.0,
            margin: 1.0,
            eps: 1e-6,
        }
    }
}

/// The triplet margin loss `max(d(a, p) - d(a, n) + margin, 0)` with
/// `d(x, y) = (Σ (x - y)^p + eps)^(1/p)` (optax's `triplet_margin_loss`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::losses::{triplet_margin_loss, TripletMargin};
/// let a = Tensor::from_vec(vec![0.0f32, 0.0], &[1, 2]);
/// let p = Tensor::from_vec(vec![0.0f32, 1.0], &[1, 2]);
/// let n = Tensor::from_vec(vec![3.0f32, 0.0], &[1, 2]);
/// let l = triplet_margin_loss(&a, &p, &n, TripletMargin::default()).to_vec::<f32>();
/// assert_eq!(l, vec![0.0]);
/// ```
#[track_caller]
pub fn triplet_margin_loss(
    anchors: &Tensor,
    positives: &Tensor,
    negatives: &Tensor,
    o: TripletMargin,
) -> Tensor {
    let op = "triplet_margin_loss";
    check_float(op, anchors);
    check_float(op, positives);
    check_float(op, negatives);
    let dist = |x: &Tensor| {
        let d = anchors - x;
        let p = if o.norm_degree.fract() == 0.0 && o.norm_degree.abs() < 64.0 {
            d.powi(o.norm_degree as i32)
        } else {
            jnp::power(&d, o.norm_degree)
        };
        jnp::power(jnp::sum(&p, Some(&[o.axis])) + o.eps, 1.0 / o.norm_degree)
    };
    jnp::maximum(dist(positives) - dist(negatives) + o.margin, 0.0)
}

/// The normalized temperature-scaled cross-entropy of SimCLR (optax's `ntxent`): embeddings
/// `[N, D]` and integer labels `[N]` (equal labels are positive pairs); a scalar.
///
/// ```
/// use ferrax::prelude::*;
/// let e = Tensor::from_vec(vec![1.0f32, 0.0, 1.0, 0.1, 0.0, 1.0, 0.1, 1.0], &[4, 2]);
/// let y = Tensor::from_vec(vec![0, 0, 1, 1], &[4]);
/// let l = ferrax::losses::ntxent(&e, &y, 0.07).item::<f32>();
/// assert!(l.is_finite() && l < 0.1);
/// ```
#[track_caller]
pub fn ntxent(embeddings: &Tensor, labels: &Tensor, temperature: f64) -> Tensor {
    let op = "ntxent";
    check_float(op, embeddings);
    assert!(
        embeddings.ndim() == 2 && labels.ndim() == 1 && labels.shape()[0] == embeddings.shape()[0],
        "losses::{op}: needs embeddings [N, D] and labels [N], got {:?} and {:?}",
        embeddings.shape(),
        labels.shape()
    );
    let n = embeddings.shape()[0];
    let eps = if embeddings.dtype() == DType::F64 {
        f64::EPSILON
    } else {
        f32::EPSILON as f64
    };
    let xcs = cosine_similarity(
        &jnp::expand_dims(embeddings, 0),
        &jnp::expand_dims(embeddings, 1),
        eps,
    ) / temperature;
    let l = labels.cast(DType::I32);
    let same = jnp::equal(jnp::expand_dims(&l, 1), jnp::expand_dims(&l, 0));
    let diffs = same.not();
    let eye = jnp::eye(n).cast(DType::Bool);
    let matches = jnp::logical_and(&same, eye.not());
    let xd = jnp::where_(&diffs, &xcs, f64::NEG_INFINITY);
    let xm = jnp::where_(&matches, &xcs, f64::NEG_INFINITY);
    let mx = jnp::max(&jnp::concatenate(&[xd.clone(), xm.clone()], -1), Some(&[1]));
    let mx = lax::stop_gradient(&jnp::expand_dims(&mx, 1));
    let sd = &xd - &mx;
    let sm = &xm - &mx;
    let denom = jnp::expand_dims(&jnp::sum(&sd.exp(), Some(&[1])), 1) + sm.exp();
    let log_softm = sm - denom.log();
    -jnp::where_(&matches, log_softm, 0.0).sum() / matches.cast(xcs.dtype()).sum()
}
