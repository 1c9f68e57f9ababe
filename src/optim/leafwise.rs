//! Stateless per-leaf transformations with optax's definitions: sign, trust ratio, block
//! scalings and clippings, centralization, update-norm normalization, non-negative params.

use super::transforms::{map_leaves, stateless_impl};
use super::GradientTransformation;
use crate::numpy as jnp;
use crate::tensor::Tensor;
use crate::tree::PyTree;

/// `max(‖x‖₂, min_norm)` with finite gradients at `x = 0` (optax's `numerics.safe_norm`).
pub(crate) fn safe_norm(x: &Tensor, min_norm: f64) -> Tensor {
    let norm = x.square().sum().sqrt();
    let small = norm.le(min_norm);
    let masked = jnp::where_(&small, jnp::ones_like(x), x);
    jnp::where_(
        &small,
        Tensor::full(&[], min_norm, x.dtype()),
        masked.square().sum().sqrt(),
    )
}

/// `max(rms(x), min_rms)` with finite gradients at `x = 0` (optax's `safe_root_mean_squares`).
fn safe_rms(x: &Tensor, min_rms: f64) -> Tensor {
    let rms = x.square().mean().sqrt();
    let small = rms.le(min_rms);
    let masked = jnp::where_(&small, jnp::ones_like(x), x);
    jnp::where_(
        &small,
        Tensor::full(&[], min_rms, x.dtype()),
        masked.square().mean().sqrt(),
    )
}

/// The sign of each update (optax's `scale_by_sign`); made by [`scale_by_sign`].
///
/// ```
/// let t: ferrax::optim::ScaleBySign = ferrax::optim::scale_by_sign();
/// # let _ = t;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ScaleBySign;

/// Replaces each update by its sign (optax's `scale_by_sign`), the core of signSGD.
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::scale_by_sign();
/// let g = Tensor::from_vec(vec![0.5f32, -3.0, 0.0], &[3]);
/// assert_eq!(t.update(&g, &t.init(&g), &g).0.to_vec::<f32>(), vec![1.0, -1.0, 0.0]);
/// ```
pub fn scale_by_sign() -> ScaleBySign {
    ScaleBySign
}

stateless_impl!(ScaleBySign, "scale_by_sign", |_s, g, _p| g
    .iter()
    .map(|g| g.sign())
    .collect());

/// Scales each update by the trust ratio `coef * ‖p‖ / (‖u‖ + eps)` of its parameter (1 where
/// either norm is 0; norms at least `min_norm`): optax's `scale_by_trust_ratio`, LARS's and
/// LAMB's layer-wise step. Made by [`scale_by_trust_ratio`].
///
/// ```
/// let t = ferrax::optim::scale_by_trust_ratio(0.0, 1.0, 0.0);
/// assert_eq!(t.trust_coefficient, 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByTrustRatio {
    /// Lower bound of both norms.
    pub min_norm: f64,
    /// Multiplies the ratio.
    pub trust_coefficient: f64,
    /// Added to the update norm.
    pub eps: f64,
}

/// Scales each update leaf by `trust_coefficient * ‖param‖ / (‖update‖ + eps)` (optax's
/// `scale_by_trust_ratio`; defaults `0, 1, 0`).
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::scale_by_trust_ratio(0.0, 1.0, 0.0);
/// let p = Tensor::from_vec(vec![3.0f32, 4.0], &[2]);
/// let g = Tensor::from_vec(vec![0.0f32, 10.0], &[2]);
/// assert_eq!(t.update(&g, &t.init(&p), &p).0.to_vec::<f32>(), vec![0.0, 5.0]);
/// ```
pub fn scale_by_trust_ratio(min_norm: f64, trust_coefficient: f64, eps: f64) -> ScaleByTrustRatio {
    ScaleByTrustRatio {
        min_norm,
        trust_coefficient,
        eps,
    }
}

stateless_impl!(ScaleByTrustRatio, "scale_by_trust_ratio", |s, g, p| g
    .iter()
    .zip(p)
    .map(|(u, p)| {
        let pn = safe_norm(p, s.min_norm);
        let un = safe_norm(u, s.min_norm);
        let ratio = &pn * s.trust_coefficient / (&un + s.eps);
        let zero = jnp::logical_or(pn.eq(0.0), un.eq(0.0));
        u * jnp::where_(&zero, Tensor::full(&[], 1.0, p.dtype()), ratio)
    })
    .collect());

/// Scales updates by the RMS (or the L2 norm) of their parameter block, at least `min_scale`
/// (optax's `scale_by_param_block_rms` / `scale_by_param_block_norm`). Made by
/// [`scale_by_param_block_rms`] and [`scale_by_param_block_norm`].
///
/// ```
/// let t = ferrax::optim::scale_by_param_block_rms(1e-3);
/// assert!(!t.norm);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByParamBlock {
    /// The smallest scale.
    pub min_scale: f64,
    /// L2 norm instead of RMS.
    pub norm: bool,
}

/// Scales each update leaf by `max(rms(param), min_scale)` (optax's `scale_by_param_block_rms`,
/// default `1e-3`), Adafactor's relative step.
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::scale_by_param_block_rms(1e-3);
/// let p = Tensor::from_vec(vec![3.0f32, 3.0], &[2]);
/// let g = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// assert_eq!(t.update(&g, &t.init(&p), &p).0.to_vec::<f32>(), vec![3.0, 6.0]);
/// ```
pub fn scale_by_param_block_rms(min_scale: f64) -> ScaleByParamBlock {
    ScaleByParamBlock {
        min_scale,
        norm: false,
    }
}

/// Scales each update leaf by `max(‖param‖₂, min_scale)` (optax's `scale_by_param_block_norm`,
/// default `1e-3`).
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::scale_by_param_block_norm(1e-3);
/// let p = Tensor::from_vec(vec![3.0f32, 4.0], &[2]);
/// let g = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// assert_eq!(t.update(&g, &t.init(&p), &p).0.to_vec::<f32>(), vec![5.0, 10.0]);
/// ```
pub fn scale_by_param_block_norm(min_scale: f64) -> ScaleByParamBlock {
    ScaleByParamBlock {
        min_scale,
        norm: true,
    }
}

stateless_impl!(ScaleByParamBlock, "scale_by_param_block", |s, g, p| g
    .iter()
    .zip(p)
    .map(|(u, p)| if s.norm {
        u * safe_norm(p, s.min_scale)
    } else {
        u * safe_rms(p, s.min_scale)
    })
    .collect());

/// Clips each update elementwise to `[-max_delta, max_delta]` (optax's `clip`); made by
/// [`clip`].
///
/// ```
/// assert_eq!(ferrax::optim::clip(1.0).max_delta, 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clip {
    /// The largest absolute value let through.
    pub max_delta: f64,
}

/// Clips each update elementwise to `[-max_delta, max_delta]` (optax's `clip`, the
/// clip-by-value of other libraries).
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::clip(1.0);
/// let g = Tensor::from_vec(vec![0.5f32, -3.0, 2.0], &[3]);
/// assert_eq!(t.update(&g, &t.init(&g), &g).0.to_vec::<f32>(), vec![0.5, -1.0, 1.0]);
/// ```
pub fn clip(max_delta: f64) -> Clip {
    Clip { max_delta }
}

stateless_impl!(Clip, "clip", |s, g, _p| g
    .iter()
    .map(|g| jnp::clip(g, -s.max_delta, s.max_delta))
    .collect());

/// Divides each update leaf by `max(1, rms(u) / threshold)` (optax's `clip_by_block_rms`); made
/// by [`clip_by_block_rms`].
///
/// ```
/// assert_eq!(ferrax::optim::clip_by_block_rms(1.0).threshold, 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipByBlockRms {
    /// The largest RMS a leaf keeps.
    pub threshold: f64,
}

/// Rescales each update leaf so its root mean square is at most `threshold` (optax's
/// `clip_by_block_rms`).
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::clip_by_block_rms(1.0);
/// let g = Tensor::from_vec(vec![3.0f32, -3.0], &[2]);
/// assert_eq!(t.update(&g, &t.init(&g), &g).0.to_vec::<f32>(), vec![1.0, -1.0]);
/// ```
pub fn clip_by_block_rms(threshold: f64) -> ClipByBlockRms {
    ClipByBlockRms { threshold }
}

stateless_impl!(ClipByBlockRms, "clip_by_block_rms", |s, g, _p| g
    .iter()
    .map(|u| u / jnp::maximum(
        Tensor::full(&[], 1.0, u.dtype()),
        u.square().mean().sqrt() / s.threshold
    ))
    .collect());

/// Subtracts from each update of rank ≥ 2 its mean over all axes but the first (optax's
/// `centralize`, gradient centralization); made by [`centralize`].
///
/// ```
/// let t: ferrax::optim::Centralize = ferrax::optim::centralize();
/// # let _ = t;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Centralize;

/// Gradient centralization (optax's `centralize`): matrices and higher lose their mean over all
/// axes but the first; vectors and scalars pass unchanged.
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::centralize();
/// let g = Tensor::from_vec(vec![1.0f32, 3.0, 0.0, 4.0], &[2, 2]);
/// assert_eq!(t.update(&g, &t.init(&g), &g).0.to_vec::<f32>(), vec![-1.0, 1.0, -2.0, 2.0]);
/// ```
pub fn centralize() -> Centralize {
    Centralize
}

stateless_impl!(Centralize, "centralize", |_s, g, _p| g
    .iter()
    .map(|g| if g.ndim() > 1 {
        let axes: Vec<isize> = (1..g.ndim() as isize).collect();
        let mut kept: Vec<isize> = vec![1; g.ndim()];
        kept[0] = g.shape()[0] as isize;
        g - jnp::reshape(&jnp::mean(g, Some(&axes)), &kept)
    } else {
        g.clone()
    })
    .collect());

/// Divides all updates by `(‖u‖ + eps) / scale_factor`, their global norm (optax's
/// `normalize_by_update_norm`); made by [`normalize_by_update_norm`].
///
/// ```
/// assert_eq!(ferrax::optim::normalize_by_update_norm(1.0, 1e-6).scale_factor, 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NormalizeByUpdateNorm {
    /// The global norm of the result.
    pub scale_factor: f64,
    /// Added to the norm.
    pub eps: f64,
}

/// Scales the updates to global norm `scale_factor` (optax's `normalize_by_update_norm`,
/// defaults `1.0`, `1e-6`).
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::normalize_by_update_norm(1.0, 0.0);
/// let g = (Tensor::scalar(3.0f32), Tensor::scalar(4.0f32));
/// let (u, _) = t.update(&g, &t.init(&g), &g);
/// assert!((u.0.item::<f32>() - 0.6).abs() < 1e-7);
/// ```
pub fn normalize_by_update_norm(scale_factor: f64, eps: f64) -> NormalizeByUpdateNorm {
    NormalizeByUpdateNorm { scale_factor, eps }
}

stateless_impl!(
    NormalizeByUpdateNorm,
    "normalize_by_update_norm",
    |s, g, _p| {
        let n = (super::leaves_global_norm(g) + s.eps) / s.scale_factor;
        g.iter().map(|g| g / n.cast(g.dtype())).collect()
    }
);

/// Keeps parameters non-negative: an update that would make `p + u < 0` becomes `-p` (optax's
/// `keep_params_nonnegative`); made by [`keep_params_nonnegative`].
///
/// ```
/// let t: ferrax::optim::KeepParamsNonnegative = ferrax::optim::keep_params_nonnegative();
/// # let _ = t;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct KeepParamsNonnegative;

/// Clamps updates so the parameters stay `>= 0` (optax's `keep_params_nonnegative`).
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::keep_params_nonnegative();
/// let p = Tensor::from_vec(vec![1.0f32, 1.0], &[2]);
/// let g = Tensor::from_vec(vec![-3.0f32, 0.5], &[2]);
/// assert_eq!(t.update(&g, &t.init(&p), &p).0.to_vec::<f32>(), vec![-1.0, 0.5]);
/// ```
pub fn keep_params_nonnegative() -> KeepParamsNonnegative {
    KeepParamsNonnegative
}

stateless_impl!(
    KeepParamsNonnegative,
    "keep_params_nonnegative",
    |_s, g, p| g
        .iter()
        .zip(p)
        .map(|(u, p)| jnp::where_(&(p + u).lt(0.0), -p, u))
        .collect()
);
