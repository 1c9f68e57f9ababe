//! The transformations with per-parameter state: Adam's moments, RMSProp's and Adagrad's
//! accumulators, momentum; with optax's definitions and state names.

use super::tree_utils::check_state_like;
use super::{flatten_updates, safe_increment, zero_count, GradientTransformation};
use crate::numpy as jnp;
use crate::tensor::Tensor;
use crate::tree::PyTree;

/// Zeros shaped and typed like each leaf.
pub(crate) fn zeros_like<P: PyTree>(p: &P) -> P {
    super::tree_utils::tree_zeros_like(p)
}

/// `value` shaped and typed like each leaf.
pub(crate) fn full_like<P: PyTree>(p: &P, value: f64) -> P {
    crate::tree::tree_map(p, |x| {
        jnp::broadcast_to(&Tensor::full(&[], value, x.dtype()), x.shape())
    })
}

/// `(1 - decay) * g^order + decay * t`: an exponential moving average of `g^order`.
pub(crate) fn update_moment(g: &[Tensor], t: &[Tensor], decay: f64, order: i32) -> Vec<Tensor> {
    g.iter()
        .zip(t)
        .map(|(g, t)| {
            let gp = if order == 1 { g.clone() } else { g.powi(order) };
            gp * (1.0 - decay) + t * decay
        })
        .collect()
}

/// `t / (1 - decay^count)`, the power computed in each leaf's dtype.
pub(crate) fn bias_correction(t: &[Tensor], decay: f64, count: &Tensor) -> Vec<Tensor> {
    t.iter()
        .map(|t| {
            let d = t.dtype();
            let bc = 1.0 - Tensor::full(&[], decay, d).pow(count.cast(d));
            t / bc
        })
        .collect()
}

/// The state of [`scale_by_adam`] (optax's `ScaleByAdamState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation, ScaleByAdamState};
/// let p = (Tensor::zeros(&[3], DType::F32), Tensor::scalar(0.0f32));
/// let s: ScaleByAdamState<(Tensor, Tensor)> = optim::scale_by_adam(0.9, 0.999, 1e-8, 0.0).init(&p);
/// assert_eq!((s.count.item::<i32>(), s.mu.0.shape()), (0, &[3usize][..]));
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct ScaleByAdamState<P> {
    /// The number of updates so far (an `i32` scalar).
    pub count: Tensor,
    /// The moving average of the gradients, shaped like the parameters.
    pub mu: P,
    /// The moving average of the squared gradients, shaped like the parameters.
    pub nu: P,
}

/// Adam's scaling; made by [`scale_by_adam`] (and, with Nesterov momentum, by
/// [`nadam`](super::nadam)).
///
/// ```
/// let t: ferrax::optim::ScaleByAdam = ferrax::optim::scale_by_adam(0.9, 0.999, 1e-8, 0.0);
/// assert_eq!((t.b1, t.nesterov), (0.9, false));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByAdam {
    /// Decay of the first-moment average.
    pub b1: f64,
    /// Decay of the second-moment average.
    pub b2: f64,
    /// Added to the denominator outside the square root.
    pub eps: f64,
    /// Added inside the square root.
    pub eps_root: f64,
    /// NAdam: Nesterov momentum on the first moment.
    pub nesterov: bool,
}

/// Rescales by Adam's bias-corrected moments: `m̂ / (sqrt(v̂ + eps_root) + eps)` with
/// `m̂ = m / (1 - b1^t)`, `v̂ = v / (1 - b2^t)` (optax's `scale_by_adam`). Moments are kept in
/// the parameters' dtype.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::GradientTransformation;
/// let t = ferrax::optim::scale_by_adam(0.9, 0.999, 1e-8, 0.0);
/// let g = Tensor::from_vec(vec![0.5f32, -3.0], &[2]);
/// // The first bias-corrected step is sign(g), up to f32 rounding of 1 - 0.999 (as optax).
/// let u = t.update(&g, &t.init(&g), &g).0.to_vec::<f32>();
/// assert!((u[0] - 1.0).abs() < 1e-4 && (u[1] + 1.0).abs() < 1e-4);
/// ```
pub fn scale_by_adam(b1: f64, b2: f64, eps: f64, eps_root: f64) -> ScaleByAdam {
    ScaleByAdam {
        b1,
        b2,
        eps,
        eps_root,
        nesterov: false,
    }
}

impl GradientTransformation for ScaleByAdam {
    type State<P: PyTree + Clone> = ScaleByAdamState<P>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> ScaleByAdamState<P> {
        ScaleByAdamState {
            count: zero_count(),
            mu: zeros_like(params),
            nu: zeros_like(params),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &ScaleByAdamState<P>,
        params: &P,
    ) -> (P, ScaleByAdamState<P>) {
        const OP: &str = "scale_by_adam";
        let ScaleByAdam {
            b1,
            b2,
            eps,
            eps_root,
            nesterov,
        } = *self;
        let (g, def) = flatten_updates(OP, updates, params);
        let mu_leaves = check_state_like(OP, &state.mu, params);
        let nu_leaves = check_state_like(OP, &state.nu, params);
        let g = &g[..];
        let mu = update_moment(g, &mu_leaves, b1, 1);
        let nu = update_moment(g, &nu_leaves, b2, 2);
        let count_inc = safe_increment(&state.count);
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
        let state = ScaleByAdamState {
            count: count_inc,
            mu: P::unflatten(&def, mu),
            nu: P::unflatten(&def, nu),
        };
        (P::unflatten(&def, u), state)
    }
}

/// The state of [`scale_by_rms`] (optax's `ScaleByRmsState`, or `ScaleByRmsWithCountState`
/// with bias correction).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let s = optim::scale_by_rms(0.9, 1e-8, 0.5).init(&vec![Tensor::zeros(&[2], DType::F32)]);
/// assert_eq!((s.nu[0].to_vec::<f32>(), s.count.is_none()), (vec![0.5, 0.5], true));
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct ScaleByRmsState<P> {
    /// The number of updates so far, kept only with bias correction.
    pub count: Option<Tensor>,
    /// The moving average of the squared gradients, shaped like the parameters.
    pub nu: P,
}

/// RMSProp's scaling; made by [`scale_by_rms`] (and [`rmsprop_with`](super::rmsprop_with)
/// for the other options).
///
/// ```
/// let t: ferrax::optim::ScaleByRms = ferrax::optim::scale_by_rms(0.9, 1e-8, 0.0);
/// assert!(t.eps_in_sqrt && !t.bias_correction);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByRms {
    /// Decay of the squared-gradient average.
    pub decay: f64,
    /// Added to the average (inside or outside the square root, see `eps_in_sqrt`).
    pub eps: f64,
    /// Initial value of the average.
    pub initial_scale: f64,
    /// Whether `eps` goes inside the square root.
    pub eps_in_sqrt: bool,
    /// Bias-correct the average (keeps a step count).
    pub bias_correction: bool,
}

/// Divides by the root of an exponential moving average of squared gradients,
/// `g / sqrt(ν + eps)` (optax's `scale_by_rms`; `ν` starts at `initial_scale`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::GradientTransformation;
/// let t = ferrax::optim::scale_by_rms(0.9, 0.0, 0.0);
/// let g = Tensor::scalar(2.0f32);
/// // ν = 0.1 * 4 after one step, so the update is 2 / sqrt(0.4).
/// let u = t.update(&g, &t.init(&g), &g).0.item::<f32>();
/// assert!((u - 2.0 / 0.4f32.sqrt()).abs() < 1e-5);
/// ```
pub fn scale_by_rms(decay: f64, eps: f64, initial_scale: f64) -> ScaleByRms {
    ScaleByRms {
        decay,
        eps,
        initial_scale,
        eps_in_sqrt: true,
        bias_correction: false,
    }
}

impl GradientTransformation for ScaleByRms {
    type State<P: PyTree + Clone> = ScaleByRmsState<P>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> ScaleByRmsState<P> {
        ScaleByRmsState {
            count: self.bias_correction.then(zero_count),
            nu: full_like(params, self.initial_scale),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &ScaleByRmsState<P>,
        params: &P,
    ) -> (P, ScaleByRmsState<P>) {
        const OP: &str = "scale_by_rms";
        let (g, def) = flatten_updates(OP, updates, params);
        let nu_leaves = check_state_like(OP, &state.nu, params);
        let nu = update_moment(&g, &nu_leaves, self.decay, 2);
        let (nu_hat, count) = if self.bias_correction {
            let count = state.count.as_ref().unwrap_or_else(|| {
                panic!("optim::{OP}: bias correction needs a count; the state has none")
            });
            let c = safe_increment(count);
            (bias_correction(&nu, self.decay, &c), Some(c))
        } else {
            (nu.clone(), None)
        };
        let eps = self.eps;
        let u = g
            .iter()
            .zip(&nu_hat)
            .map(|(g, n)| {
                let scaling = if self.eps_in_sqrt {
                    (n + eps).rsqrt()
                } else {
                    1.0 / (n.sqrt() + eps)
                };
                scaling * g
            })
            .collect();
        let state = ScaleByRmsState {
            count,
            nu: P::unflatten(&def, nu),
        };
        (P::unflatten(&def, u), state)
    }
}

/// The state of [`scale_by_stddev`] (optax's `ScaleByRStdDevState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let s = optim::scale_by_stddev(0.9, 1e-8, 0.0).init(&Tensor::scalar(1.0f32));
/// assert_eq!((s.mu.item::<f32>(), s.nu.item::<f32>()), (0.0, 0.0));
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct ScaleByRStdDevState<P> {
    /// The moving average of the gradients.
    pub mu: P,
    /// The moving average of the squared gradients.
    pub nu: P,
}

/// Centered RMSProp's scaling; made by [`scale_by_stddev`].
///
/// ```
/// let t: ferrax::optim::ScaleByStddev = ferrax::optim::scale_by_stddev(0.9, 1e-8, 0.0);
/// assert_eq!(t.decay, 0.9);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByStddev {
    /// Decay of the averages.
    pub decay: f64,
    /// Added to the variance before the square root.
    pub eps: f64,
    /// Initial value of the squared-gradient average.
    pub initial_scale: f64,
}

/// Centered RMSProp's scaling: `g / sqrt(ν - μ² + eps)` with moving averages `μ` of `g` and
/// `ν` of `g²` (optax's `scale_by_stddev`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::GradientTransformation;
/// let t = ferrax::optim::scale_by_stddev(0.9, 1e-8, 0.0);
/// let g = Tensor::scalar(1.0f32);
/// let u = t.update(&g, &t.init(&g), &g).0.item::<f32>();
/// assert!((u - 1.0 / (0.1f32 - 0.01).sqrt()).abs() < 1e-4);
/// ```
pub fn scale_by_stddev(decay: f64, eps: f64, initial_scale: f64) -> ScaleByStddev {
    ScaleByStddev {
        decay,
        eps,
        initial_scale,
    }
}

impl GradientTransformation for ScaleByStddev {
    type State<P: PyTree + Clone> = ScaleByRStdDevState<P>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> ScaleByRStdDevState<P> {
        ScaleByRStdDevState {
            mu: zeros_like(params),
            nu: full_like(params, self.initial_scale),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &ScaleByRStdDevState<P>,
        params: &P,
    ) -> (P, ScaleByRStdDevState<P>) {
        const OP: &str = "scale_by_stddev";
        let (g, def) = flatten_updates(OP, updates, params);
        let mu_leaves = check_state_like(OP, &state.mu, params);
        let nu_leaves = check_state_like(OP, &state.nu, params);
        let mu = update_moment(&g, &mu_leaves, self.decay, 1);
        let nu = update_moment(&g, &nu_leaves, self.decay, 2);
        let eps = self.eps;
        let u = g
            .iter()
            .zip(mu.iter().zip(&nu))
            .map(|(g, (m, n))| (n - m.square() + eps).rsqrt() * g)
            .collect();
        let state = ScaleByRStdDevState {
            mu: P::unflatten(&def, mu),
            nu: P::unflatten(&def, nu),
        };
        (P::unflatten(&def, u), state)
    }
}

/// The state of [`scale_by_rss`] (optax's `ScaleByRssState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let p = (Tensor::zeros(&[2], DType::F32), Tensor::scalar(1.0f32));
/// let s = optim::scale_by_rss(0.1, 1e-7).init(&p);
/// assert_eq!(s.sum_of_squares.1.item::<f32>(), 0.1);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct ScaleByRssState<P> {
    /// The running sum of squared gradients.
    pub sum_of_squares: P,
}

/// Adagrad's scaling; made by [`scale_by_rss`].
///
/// ```
/// let t: ferrax::optim::ScaleByRss = ferrax::optim::scale_by_rss(0.1, 1e-7);
/// assert_eq!(t.initial_accumulator_value, 0.1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByRss {
    /// Initial value of the sum.
    pub initial_accumulator_value: f64,
    /// Added to the sum before the square root.
    pub eps: f64,
}

/// Adagrad's scaling: divides by the root of the running sum of squared gradients,
/// `g / sqrt(Σg² + eps)` (0 where the sum is 0), the sum starting at
/// `initial_accumulator_value` (optax's `scale_by_rss`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::GradientTransformation;
/// let t = ferrax::optim::scale_by_rss(0.0, 0.0);
/// let g = Tensor::from_vec(vec![3.0f32, 0.0], &[2]);
/// assert_eq!(t.update(&g, &t.init(&g), &g).0.to_vec::<f32>(), vec![1.0, 0.0]);
/// ```
pub fn scale_by_rss(initial_accumulator_value: f64, eps: f64) -> ScaleByRss {
    ScaleByRss {
        initial_accumulator_value,
        eps,
    }
}

impl GradientTransformation for ScaleByRss {
    type State<P: PyTree + Clone> = ScaleByRssState<P>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> ScaleByRssState<P> {
        ScaleByRssState {
            sum_of_squares: full_like(params, self.initial_accumulator_value),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &ScaleByRssState<P>,
        params: &P,
    ) -> (P, ScaleByRssState<P>) {
        const OP: &str = "scale_by_rss";
        let (g, def) = flatten_updates(OP, updates, params);
        let sum_of_squares_leaves = check_state_like(OP, &state.sum_of_squares, params);
        let sos: Vec<Tensor> = g
            .iter()
            .zip(sum_of_squares_leaves)
            .map(|(g, t)| g.square() + t)
            .collect();
        let eps = self.eps;
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
        let state = ScaleByRssState {
            sum_of_squares: P::unflatten(&def, sos),
        };
        (P::unflatten(&def, u), state)
    }
}

/// The state of [`trace`] (optax's `TraceState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let s = optim::trace(0.9, false).init(&Tensor::ones(&[2], DType::F32));
/// assert_eq!(s.trace.to_vec::<f32>(), vec![0.0, 0.0]);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct TraceState<P> {
    /// The momentum, shaped like the parameters.
    pub trace: P,
}

/// Momentum; made by [`trace`].
///
/// ```
/// let t: ferrax::optim::Trace = ferrax::optim::trace(0.9, true);
/// assert_eq!((t.decay, t.nesterov), (0.9, true));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trace {
    /// The momentum decay.
    pub decay: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
}

/// Momentum: `trace = g + decay * trace`, and the update is the trace, or
/// `g + decay * trace` with `nesterov` (optax's `trace`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::GradientTransformation;
/// let t = ferrax::optim::trace(0.5, false);
/// let g = Tensor::scalar(1.0f32);
/// let (u0, s) = t.update(&g, &t.init(&g), &g);
/// let (u1, _) = t.update(&g, &s, &g);
/// assert_eq!((u0.item::<f32>(), u1.item::<f32>()), (1.0, 1.5));
/// ```
pub fn trace(decay: f64, nesterov: bool) -> Trace {
    Trace { decay, nesterov }
}

impl GradientTransformation for Trace {
    type State<P: PyTree + Clone> = TraceState<P>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> TraceState<P> {
        TraceState {
            trace: zeros_like(params),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &TraceState<P>,
        params: &P,
    ) -> (P, TraceState<P>) {
        const OP: &str = "trace";
        let (g, def) = flatten_updates(OP, updates, params);
        let trace_leaves = check_state_like(OP, &state.trace, params);
        let decay = self.decay;
        let new_trace: Vec<Tensor> = g
            .iter()
            .zip(trace_leaves)
            .map(|(g, t)| g + t * decay)
            .collect();
        let u = if self.nesterov {
            g.iter()
                .zip(&new_trace)
                .map(|(g, t)| g + t * decay)
                .collect()
        } else {
            new_trace.clone()
        };
        let state = TraceState {
            trace: P::unflatten(&def, new_trace),
        };
        (P::unflatten(&def, u), state)
    }
}
