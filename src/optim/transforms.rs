//! The building blocks: gradient transformations with optax's definitions.

use super::{
    leaves_global_norm, safe_increment, zero_count, GradientTransformation, LearningRate, OptState,
    Schedule,
};
use crate::numpy as jnp;
use crate::tensor::Tensor;
use crate::tree::KeyPath;
use std::sync::Arc;

/// Which parameter leaves a masked transformation applies to: a predicate on each leaf's key
/// path and value, or an explicit list in leaf order.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::Mask;
/// // Only weights named `w` (not biases), e.g. for weight decay.
/// let only_w = Mask::new(|path, _p| path.to_string().ends_with(".w"));
/// let first_only = Mask::from_leaves(vec![true, false]);
/// # let _ = (only_w, first_only);
/// ```
#[derive(Clone)]
pub struct Mask(MaskKind);

/// A mask predicate on `(key path, parameter)`.
type MaskFn = dyn Fn(&KeyPath, &Tensor) -> bool + Send + Sync;

#[derive(Clone)]
enum MaskKind {
    Pred(Arc<MaskFn>),
    Leaves(Arc<[bool]>),
}

impl std::fmt::Debug for Mask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            MaskKind::Pred(_) => f.write_str("Mask(<predicate>)"),
            MaskKind::Leaves(m) => write!(f, "Mask({m:?})"),
        }
    }
}

impl Mask {
    /// A mask from a predicate on `(key path, parameter)`.
    ///
    /// ```
    /// use ferrax::optim::Mask;
    /// let matrices = Mask::new(|_path, p| p.ndim() >= 2);
    /// # let _ = matrices;
    /// ```
    pub fn new(f: impl Fn(&KeyPath, &Tensor) -> bool + Send + Sync + 'static) -> Mask {
        Mask(MaskKind::Pred(Arc::new(f)))
    }

    /// A mask given leaf by leaf, in the parameters' leaf order.
    ///
    /// ```
    /// let m = ferrax::optim::Mask::from_leaves(vec![true, false, true]);
    /// # let _ = m;
    /// ```
    pub fn from_leaves(mask: Vec<bool>) -> Mask {
        Mask(MaskKind::Leaves(mask.into()))
    }

    /// Whether leaf `i` (at `path`, value `p`) is selected. Panics if an explicit mask is too
    /// short.
    #[track_caller]
    pub(crate) fn select(&self, i: usize, path: &KeyPath, p: &Tensor) -> bool {
        match &self.0 {
            MaskKind::Pred(f) => f(path, p),
            MaskKind::Leaves(m) => *m.get(i).unwrap_or_else(|| {
                panic!(
                    "optim::Mask: the mask has {} entries, the parameters more leaves",
                    m.len()
                )
            }),
        }
    }

    /// For an explicit mask: its length must equal the number of leaves.
    #[track_caller]
    pub(crate) fn check_len(&self, n: usize) {
        if let MaskKind::Leaves(m) = &self.0 {
            assert!(
                m.len() == n,
                "optim::Mask: the mask has {} entries, the parameters {n} leaves",
                m.len()
            );
        }
    }
}

/// A stateless leafwise map.
fn stateless(
    kind: &'static str,
    f: impl Fn(&[Tensor], &[Tensor]) -> Vec<Tensor> + Send + Sync + 'static,
) -> GradientTransformation {
    GradientTransformation::new(
        move |_, _| OptState::new(kind),
        move |g, s, p| {
            s.expect_kind(kind);
            (f(g, p), s.clone())
        },
    )
}

/// Multiplies the updates by a constant (optax's `scale`); the factor takes each leaf's dtype.
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::scale(-0.5);
/// let g = Tensor::from_vec(vec![2.0f32, 4.0], &[2]);
/// assert_eq!(t.update(&g, &t.init(&g), &g).0.to_vec::<f32>(), vec![-1.0, -2.0]);
/// ```
pub fn scale(step_size: f64) -> GradientTransformation {
    stateless("scale", move |g, _| {
        g.iter().map(|g| g * step_size).collect()
    })
}

/// Multiplies the updates by `schedule(count)` and counts steps (optax's `scale_by_schedule`;
/// the value at step 0 scales the first update).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim;
/// let t = optim::scale_by_schedule(optim::exponential_decay(1.0, 1, 0.5, 0, false, None));
/// let g = Tensor::scalar(1.0f32);
/// let s = t.init(&g);
/// let (u0, s) = t.update(&g, &s, &g);
/// let (u1, _) = t.update(&g, &s, &g);
/// assert_eq!((u0.item::<f32>(), u1.item::<f32>()), (1.0, 0.5));
/// ```
pub fn scale_by_schedule(schedule: Schedule) -> GradientTransformation {
    GradientTransformation::new(
        |_, _| OptState::new("scale_by_schedule").with_count(zero_count()),
        move |g, s, _| {
            s.expect_kind("scale_by_schedule");
            let count = s.expect_count("scale_by_schedule");
            let step = schedule.call(count);
            let u = g.iter().map(|g| g * step.cast(g.dtype())).collect();
            (
                u,
                OptState::new("scale_by_schedule").with_count(safe_increment(count)),
            )
        },
    )
}

/// Scales by `-learning_rate` (a constant or a schedule): the last step of every optimizer
/// alias (optax's `scale_by_learning_rate`).
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::scale_by_learning_rate(0.1);
/// let g = Tensor::scalar(2.0f32);
/// assert_eq!(t.update(&g, &t.init(&g), &g).0.item::<f32>(), -0.2);
/// ```
pub fn scale_by_learning_rate(learning_rate: impl Into<LearningRate>) -> GradientTransformation {
    match learning_rate.into() {
        LearningRate::Constant(lr) => scale(-lr),
        LearningRate::Schedule(s) => scale_by_schedule(Schedule::new(move |c| -s.call(c))),
    }
}

/// Zeros shaped and typed like each leaf.
fn zeros_like(xs: &[Tensor]) -> Vec<Tensor> {
    super::tree_utils::tree_zeros_like(&xs.to_vec())
}

/// `value` shaped and typed like each leaf.
fn full_like(xs: &[Tensor], value: f64) -> Vec<Tensor> {
    xs.iter()
        .map(|x| jnp::broadcast_to(&Tensor::full(&[], value, x.dtype()), x.shape()))
        .collect()
}

/// `(1 - decay) * g^order + decay * t`: an exponential moving average of `g^order`.
fn update_moment(g: &[Tensor], t: &[Tensor], decay: f64, order: i32) -> Vec<Tensor> {
    g.iter()
        .zip(t)
        .map(|(g, t)| {
            let gp = if order == 1 { g.clone() } else { g.powi(order) };
            gp * (1.0 - decay) + t * decay
        })
        .collect()
}

/// `t / (1 - decay^count)`, the power computed in each leaf's dtype.
fn bias_correction(t: &[Tensor], decay: f64, count: &Tensor) -> Vec<Tensor> {
    t.iter()
        .map(|t| {
            let d = t.dtype();
            let bc = 1.0 - Tensor::full(&[], decay, d).pow(count.cast(d));
            t / bc
        })
        .collect()
}

/// Adam's scaling with optax's numerics (`nesterov` gives NAdam).
pub(crate) fn scale_by_adam_impl(
    b1: f64,
    b2: f64,
    eps: f64,
    eps_root: f64,
    nesterov: bool,
) -> GradientTransformation {
    GradientTransformation::new(
        |p, _| {
            OptState::new("scale_by_adam")
                .with_count(zero_count())
                .with_slot("mu", zeros_like(p))
                .with_slot("nu", zeros_like(p))
        },
        move |g, s, _| {
            s.expect_kind("scale_by_adam");
            let count = s.expect_count("scale_by_adam");
            let mu = update_moment(g, s.slot("mu"), b1, 1);
            let nu = update_moment(g, s.slot("nu"), b2, 2);
            let count_inc = safe_increment(count);
            let mu_hat = if nesterov {
                let m = bias_correction(&mu, b1, &safe_increment(&count_inc));
                let gh = bias_correction(g, b1, &count_inc);
                m.iter()
                    .zip(&gh)
                    .map(|(m, g)| m * b1 + g * (1.0 - b1))
                    .collect()
            } else {
                bias_correction(&mu, b1, &count_inc)
            };
            let nu_hat = bias_correction(&nu, b2, &count_inc);
            let u = mu_hat
                .iter()
                .zip(&nu_hat)
                .map(|(m, v)| m / ((v + eps_root).sqrt() + eps))
                .collect();
            let state = OptState::new("scale_by_adam")
                .with_count(count_inc)
                .with_slot("mu", mu)
                .with_slot("nu", nu);
            (u, state)
        },
    )
}

/// Rescales by Adam's bias-corrected moments: `m̂ / (sqrt(v̂ + eps_root) + eps)` with
/// `m̂ = m / (1 - b1^t)`, `v̂ = v / (1 - b2^t)` (optax's `scale_by_adam`). Moments are kept in
/// the parameters' dtype.
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::scale_by_adam(0.9, 0.999, 1e-8, 0.0);
/// let g = Tensor::from_vec(vec![0.5f32, -3.0], &[2]);
/// // The first bias-corrected step is sign(g), up to f32 rounding of 1 - 0.999 (as optax).
/// let u = t.update(&g, &t.init(&g), &g).0.to_vec::<f32>();
/// assert!((u[0] - 1.0).abs() < 1e-4 && (u[1] + 1.0).abs() < 1e-4);
/// ```
pub fn scale_by_adam(b1: f64, b2: f64, eps: f64, eps_root: f64) -> GradientTransformation {
    scale_by_adam_impl(b1, b2, eps, eps_root, false)
}

/// RMSProp's full scaling rule (optax's `scale_by_rms` with every option).
pub(crate) fn scale_by_rms_impl(
    decay: f64,
    eps: f64,
    initial_scale: f64,
    eps_in_sqrt: bool,
    bias_correction_: bool,
) -> GradientTransformation {
    GradientTransformation::new(
        move |p, _| {
            let s = OptState::new("scale_by_rms").with_slot("nu", full_like(p, initial_scale));
            if bias_correction_ {
                s.with_count(zero_count())
            } else {
                s
            }
        },
        move |g, s, _| {
            s.expect_kind("scale_by_rms");
            let nu = update_moment(g, s.slot("nu"), decay, 2);
            let mut state = OptState::new("scale_by_rms");
            let nu_hat = if bias_correction_ {
                let c = safe_increment(s.expect_count("scale_by_rms"));
                let h = bias_correction(&nu, decay, &c);
                state = state.with_count(c);
                h
            } else {
                nu.clone()
            };
            let u = g
                .iter()
                .zip(&nu_hat)
                .map(|(g, n)| {
                    let scaling = if eps_in_sqrt {
                        (n + eps).rsqrt()
                    } else {
                        1.0 / (n.sqrt() + eps)
                    };
                    scaling * g
                })
                .collect();
            (u, state.with_slot("nu", nu))
        },
    )
}

/// Divides by the root of an exponential moving average of squared gradients,
/// `g / sqrt(ν + eps)` (optax's `scale_by_rms`; `ν` starts at `initial_scale`).
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::scale_by_rms(0.9, 0.0, 0.0);
/// let g = Tensor::scalar(2.0f32);
/// // ν = 0.1 * 4 after one step, so the update is 2 / sqrt(0.4).
/// let u = t.update(&g, &t.init(&g), &g).0.item::<f32>();
/// assert!((u - 2.0 / 0.4f32.sqrt()).abs() < 1e-5);
/// ```
pub fn scale_by_rms(decay: f64, eps: f64, initial_scale: f64) -> GradientTransformation {
    scale_by_rms_impl(decay, eps, initial_scale, true, false)
}

/// Centered RMSProp's scaling: `g / sqrt(ν - μ² + eps)` with moving averages `μ` of `g` and
/// `ν` of `g²` (optax's `scale_by_stddev`).
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::scale_by_stddev(0.9, 1e-8, 0.0);
/// let g = Tensor::scalar(1.0f32);
/// let u = t.update(&g, &t.init(&g), &g).0.item::<f32>();
/// assert!((u - 1.0 / (0.1f32 - 0.01).sqrt()).abs() < 1e-4);
/// ```
pub fn scale_by_stddev(decay: f64, eps: f64, initial_scale: f64) -> GradientTransformation {
    GradientTransformation::new(
        move |p, _| {
            OptState::new("scale_by_stddev")
                .with_slot("mu", zeros_like(p))
                .with_slot("nu", full_like(p, initial_scale))
        },
        move |g, s, _| {
            s.expect_kind("scale_by_stddev");
            let mu = update_moment(g, s.slot("mu"), decay, 1);
            let nu = update_moment(g, s.slot("nu"), decay, 2);
            let u = g
                .iter()
                .zip(mu.iter().zip(&nu))
                .map(|(g, (m, n))| (n - m.square() + eps).rsqrt() * g)
                .collect();
            let state = OptState::new("scale_by_stddev")
                .with_slot("mu", mu)
                .with_slot("nu", nu);
            (u, state)
        },
    )
}

/// Adagrad's scaling: divides by the root of the running sum of squared gradients,
/// `g / sqrt(Σg² + eps)` (0 where the sum is 0), the sum starting at
/// `initial_accumulator_value` (optax's `scale_by_rss`).
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::scale_by_rss(0.0, 0.0);
/// let g = Tensor::from_vec(vec![3.0f32, 0.0], &[2]);
/// assert_eq!(t.update(&g, &t.init(&g), &g).0.to_vec::<f32>(), vec![1.0, 0.0]);
/// ```
pub fn scale_by_rss(initial_accumulator_value: f64, eps: f64) -> GradientTransformation {
    GradientTransformation::new(
        move |p, _| {
            OptState::new("scale_by_rss")
                .with_slot("sum_of_squares", full_like(p, initial_accumulator_value))
        },
        move |g, s, _| {
            s.expect_kind("scale_by_rss");
            let sos: Vec<Tensor> = g
                .iter()
                .zip(s.slot("sum_of_squares"))
                .map(|(g, t)| g.square() + t)
                .collect();
            let u = g
                .iter()
                .zip(&sos)
                .map(|(g, t)| {
                    // The double `where`: rsqrt never sees a zero sum, so gradients stay finite.
                    let pos = t.gt(0.0);
                    let safe = jnp::where_(&pos, t, 1.0);
                    jnp::where_(&pos, (safe + eps).rsqrt(), 0.0) * g
                })
                .collect();
            (
                u,
                OptState::new("scale_by_rss").with_slot("sum_of_squares", sos),
            )
        },
    )
}

/// Momentum: `trace = g + decay * trace`, and the update is the trace, or
/// `g + decay * trace` with `nesterov` (optax's `trace`).
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::trace(0.5, false);
/// let g = Tensor::scalar(1.0f32);
/// let (u0, s) = t.update(&g, &t.init(&g), &g);
/// let (u1, _) = t.update(&g, &s, &g);
/// assert_eq!((u0.item::<f32>(), u1.item::<f32>()), (1.0, 1.5));
/// ```
pub fn trace(decay: f64, nesterov: bool) -> GradientTransformation {
    GradientTransformation::new(
        |p, _| OptState::new("trace").with_slot("trace", zeros_like(p)),
        move |g, s, _| {
            s.expect_kind("trace");
            let new_trace: Vec<Tensor> = g
                .iter()
                .zip(s.slot("trace"))
                .map(|(g, t)| g + t * decay)
                .collect();
            let u = if nesterov {
                g.iter()
                    .zip(&new_trace)
                    .map(|(g, t)| g + t * decay)
                    .collect()
            } else {
                new_trace.clone()
            };
            (u, OptState::new("trace").with_slot("trace", new_trace))
        },
    )
}

/// Adds `weight_decay * params` to the updates (decoupled weight decay, optax's
/// `add_decayed_weights`), optionally only on the leaves `mask` selects (commonly: not on
/// biases and normalization scales).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, Mask};
/// let p = (Tensor::ones(&[2, 2], DType::F32), Tensor::ones(&[2], DType::F32));
/// let g = ferrax::optim::tree_utils::tree_zeros_like(&p);
/// let t = optim::add_decayed_weights(0.1, Some(Mask::new(|_, p| p.ndim() >= 2)));
/// let (u, _) = t.update(&g, &t.init(&p), &p);
/// assert_eq!((u.0.to_vec::<f32>()[0], u.1.to_vec::<f32>()[0]), (0.1, 0.0));
/// ```
pub fn add_decayed_weights(weight_decay: f64, mask: Option<Mask>) -> GradientTransformation {
    let t = stateless("add_decayed_weights", move |g, p| {
        assert!(
            p.len() == g.len(),
            "optim::add_decayed_weights: needs the params ({} leaves) with the grads ({})",
            p.len(),
            g.len()
        );
        if weight_decay == 0.0 {
            return g.to_vec();
        }
        g.iter().zip(p).map(|(g, p)| g + p * weight_decay).collect()
    });
    match mask {
        Some(m) => super::masked(t, m),
        None => t,
    }
}

/// Rescales all updates together so their global L2 norm is at most `max_norm`
/// (`u * max_norm / ‖u‖` when `‖u‖ >= max_norm`, unchanged otherwise; optax's
/// `clip_by_global_norm`).
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::clip_by_global_norm(1.0);
/// let g = (Tensor::scalar(3.0f32), Tensor::scalar(4.0f32));
/// let (u, _) = t.update(&g, &t.init(&g), &g);
/// assert!((u.0.item::<f32>() - 0.6).abs() < 1e-6 && (u.1.item::<f32>() - 0.8).abs() < 1e-6);
/// ```
pub fn clip_by_global_norm(max_norm: f64) -> GradientTransformation {
    stateless("clip_by_global_norm", move |g, _| {
        let norm = leaves_global_norm(g);
        let trigger = norm.lt(max_norm);
        g.iter()
            .map(|t| {
                let clipped = t / norm.cast(t.dtype()) * max_norm;
                jnp::where_(&trigger, t, clipped)
            })
            .collect()
    })
}
