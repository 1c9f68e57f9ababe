//! Adam's relatives: the scalings of adamax, amsgrad, adabelief, yogi, radam, lion, adadelta
//! and adan, with optax's definitions, defaults and state names (each `Default` is optax's).

use super::moments::{bias_correction, full_like, update_moment, zeros_like};
use super::tree_utils::check_state_like;
use super::{
    flatten_updates, safe_increment, zero_count, GradientTransformation, ScaleByAdamState,
};
use crate::numpy as jnp;
use crate::tensor::Tensor;
use crate::tree::PyTree;

/// Nesterov's bias-corrected first moment, `b1 * m̂(t+1) + (1 - b1) * ĝ(t)` (optax's `nesterov`
/// branch of scale_by_adam/belief/radam), or the plain `m̂(t)`.
fn mu_hat(mu: &[Tensor], g: &[Tensor], b1: f64, count_inc: &Tensor, nesterov: bool) -> Vec<Tensor> {
    if !nesterov {
        return bias_correction(mu, b1, count_inc);
    }
    let m = bias_correction(mu, b1, &safe_increment(count_inc));
    let gh = bias_correction(g, b1, count_inc);
    m.iter()
        .zip(&gh)
        .map(|(m, g)| m * b1 + g * (1.0 - b1))
        .collect()
}

/// `m / (sqrt(v + eps_root) + eps)` leafwise.
fn adam_ratio(m: &[Tensor], v: &[Tensor], eps: f64, eps_root: f64) -> Vec<Tensor> {
    m.iter()
        .zip(v)
        .map(|(m, v)| m / ((v + eps_root).sqrt() + eps))
        .collect()
}

/// Implements `GradientTransformation` for a transformation whose state is
/// [`ScaleByAdamState`] (count, mu, nu), from its init values and a step function
/// `(self, g, mu, nu, count_inc) -> (updates, mu, nu)` on leaves.
macro_rules! adam_like {
    ($t:ty, $op:expr, init = |$si:ident| ($mu0:expr, $nu0:expr),
     |$s:ident, $g:ident, $mu:ident, $nu:ident, $c:ident| $body:expr) => {
        impl GradientTransformation for $t {
            type State<P: PyTree + Clone> = ScaleByAdamState<P>;
            fn init<P: PyTree + Clone>(&self, params: &P) -> ScaleByAdamState<P> {
                let $si = self;
                let _ = $si;
                ScaleByAdamState {
                    count: zero_count(),
                    mu: $mu0(params),
                    nu: $nu0(params),
                }
            }
            #[track_caller]
            fn update<P: PyTree + Clone>(
                &self,
                updates: &P,
                state: &ScaleByAdamState<P>,
                params: &P,
            ) -> (P, ScaleByAdamState<P>) {
                let (g, def) = flatten_updates($op, updates, params);
                let $mu = check_state_like($op, &state.mu, params);
                let $nu = check_state_like($op, &state.nu, params);
                let $c = safe_increment(&state.count);
                let ($s, $g) = (self, &g[..]);
                let (u, mu, nu): (Vec<Tensor>, Vec<Tensor>, Vec<Tensor>) = $body;
                let state = ScaleByAdamState {
                    count: $c,
                    mu: P::unflatten(&def, mu),
                    nu: P::unflatten(&def, nu),
                };
                (P::unflatten(&def, u), state)
            }
        }
    };
}

/// AdaMax's scaling (optax's `scale_by_adamax`): Adam with the infinity norm,
/// `m̂ / max(|g| + eps, b2 * ν)`. Defaults `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-8`; its state is a
/// [`ScaleByAdamState`] whose `nu` holds the infinity moment.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByAdamax};
/// let t = ScaleByAdamax::default();
/// let g = Tensor::from_vec(vec![2.0f32, -4.0], &[2]);
/// let (u, s) = t.update(&g, &t.init(&g), &g);
/// assert_eq!(s.nu.to_vec::<f32>(), vec![2.0, 4.0]);
/// let u = u.to_vec::<f32>();
/// assert!((u[0] - 1.0).abs() < 1e-5 && (u[1] + 1.0).abs() < 1e-5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByAdamax {
    /// Decay of the first moment.
    pub b1: f64,
    /// Decay of the infinity moment.
    pub b2: f64,
    /// Added to `|g|` in the infinity moment.
    pub eps: f64,
}

impl Default for ScaleByAdamax {
    fn default() -> Self {
        ScaleByAdamax {
            b1: 0.9,
            b2: 0.999,
            eps: 1e-8,
        }
    }
}

adam_like!(
    ScaleByAdamax,
    "scale_by_adamax",
    init = |_s| (zeros_like, zeros_like),
    |s, g, mu, nu, c| {
        let mu = update_moment(g, &mu, s.b1, 1);
        let nu: Vec<Tensor> = g
            .iter()
            .zip(&nu)
            .map(|(g, t)| jnp::maximum(g.abs() + s.eps, t * s.b2))
            .collect();
        let m = bias_correction(&mu, s.b1, &c);
        let u = m.iter().zip(&nu).map(|(m, v)| m / v).collect();
        (u, mu, nu)
    }
);

/// Yogi's scaling (optax's `scale_by_yogi`): Adam whose second moment moves additively,
/// `ν ← ν - (1 - b2) sign(ν - g²) g²`, both moments starting at `initial_accumulator_value`.
/// Defaults `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-3`, `eps_root = 0`, initial value `1e-6`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByYogi};
/// let t = ScaleByYogi::default();
/// let s = t.init(&Tensor::scalar(1.0f32));
/// assert!((s.nu.item::<f32>() - 1e-6).abs() < 1e-12);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByYogi {
    /// Decay of the first moment.
    pub b1: f64,
    /// Rate of the second moment.
    pub b2: f64,
    /// Added to the denominator outside the square root.
    pub eps: f64,
    /// Added inside the square root.
    pub eps_root: f64,
    /// Initial value of both moments.
    pub initial_accumulator_value: f64,
}

impl Default for ScaleByYogi {
    fn default() -> Self {
        ScaleByYogi {
            b1: 0.9,
            b2: 0.999,
            eps: 1e-3,
            eps_root: 0.0,
            initial_accumulator_value: 1e-6,
        }
    }
}

adam_like!(
    ScaleByYogi,
    "scale_by_yogi",
    init = |s| (
        |p| full_like(p, s.initial_accumulator_value),
        |p| full_like(p, s.initial_accumulator_value)
    ),
    |s, g, mu, nu, c| {
        let mu = update_moment(g, &mu, s.b1, 1);
        let nu: Vec<Tensor> = g
            .iter()
            .zip(&nu)
            .map(|(g, v)| {
                let g2 = g.square();
                v - (v - &g2).sign() * (1.0 - s.b2) * &g2
            })
            .collect();
        let m = bias_correction(&mu, s.b1, &c);
        let v = bias_correction(&nu, s.b2, &c);
        (adam_ratio(&m, &v, s.eps, s.eps_root), mu, nu)
    }
);

/// Rectified Adam's scaling (optax's `scale_by_radam`): Adam's step times the variance
/// rectification `r(ρ)` once the approximated SMA length `ρ` reaches `threshold`, plain
/// momentum `m̂` before. Defaults `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-8`, `eps_root = 0`,
/// `threshold = 5`, no Nesterov momentum.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByRadam};
/// let t = ScaleByRadam::default();
/// let g = Tensor::scalar(3.0f32);
/// // Early steps are not rectified: the update is the bias-corrected momentum, g itself.
/// let (u, _) = t.update(&g, &t.init(&g), &g);
/// assert!((u.item::<f32>() - 3.0).abs() < 1e-5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByRadam {
    /// Decay of the first moment.
    pub b1: f64,
    /// Decay of the second moment.
    pub b2: f64,
    /// Added to the denominator outside the square root.
    pub eps: f64,
    /// Added inside the square root.
    pub eps_root: f64,
    /// The SMA length from which the adaptive step is used.
    pub threshold: f64,
    /// Nesterov momentum on the first moment.
    pub nesterov: bool,
}

impl Default for ScaleByRadam {
    fn default() -> Self {
        ScaleByRadam {
            b1: 0.9,
            b2: 0.999,
            eps: 1e-8,
            eps_root: 0.0,
            threshold: 5.0,
            nesterov: false,
        }
    }
}

adam_like!(
    ScaleByRadam,
    "scale_by_radam",
    init = |_s| (zeros_like, zeros_like),
    |s, g, mu, nu, c| {
        let ro_inf = 2.0 / (1.0 - s.b2) - 1.0;
        let mu = update_moment(g, &mu, s.b1, 1);
        let nu = update_moment(g, &nu, s.b2, 2);
        let dt = g
            .first()
            .map(|g| g.dtype())
            .unwrap_or(crate::tensor::DType::F32);
        let b2t = Tensor::full(&[], s.b2, dt).pow(c.cast(dt));
        let ro = -((&c * 2).cast(dt) * &b2t / (1.0 - &b2t)) + ro_inf;
        let r =
            ((&ro - 4.0) * (&ro - 2.0) * ro_inf / (&ro * ((ro_inf - 4.0) * (ro_inf - 2.0)))).sqrt();
        let m = mu_hat(&mu, g, s.b1, &c, s.nesterov);
        let v = bias_correction(&nu, s.b2, &c);
        let use_adaptive = ro.ge(s.threshold);
        let u = m
            .iter()
            .zip(&v)
            .map(|(m, v)| {
                let adaptive = r.cast(m.dtype()) * m / ((v + s.eps_root).sqrt() + s.eps);
                jnp::where_(&use_adaptive, adaptive, m)
            })
            .collect();
        (u, mu, nu)
    }
);

/// AdaBelief's scaling (optax's `scale_by_belief`): Adam whose second moment tracks the
/// squared prediction error `(g - m)²` (plus `eps_root`), the belief in the gradient. Defaults
/// `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-16`, `eps_root = 1e-16`, no Nesterov momentum.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByBelief};
/// let t = ScaleByBelief::default();
/// let g = Tensor::scalar(1.0f32);
/// let (_, s) = t.update(&g, &t.init(&g), &g);
/// // m = 0.1, so ν = 0.001 * 0.9² (+ 1e-16).
/// assert!((s.nu.item::<f32>() - 0.00081).abs() < 1e-9);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByBelief {
    /// Decay of the first moment.
    pub b1: f64,
    /// Decay of the prediction-error moment.
    pub b2: f64,
    /// Added to the denominator outside the square root.
    pub eps: f64,
    /// Added to the second moment every step.
    pub eps_root: f64,
    /// Nesterov momentum on the first moment.
    pub nesterov: bool,
}

impl Default for ScaleByBelief {
    fn default() -> Self {
        ScaleByBelief {
            b1: 0.9,
            b2: 0.999,
            eps: 1e-16,
            eps_root: 1e-16,
            nesterov: false,
        }
    }
}

adam_like!(
    ScaleByBelief,
    "scale_by_belief",
    init = |_s| (zeros_like, zeros_like),
    |s, g, mu, nu, c| {
        let mu = update_moment(g, &mu, s.b1, 1);
        let err: Vec<Tensor> = g.iter().zip(&mu).map(|(g, m)| g - m).collect();
        let nu: Vec<Tensor> = update_moment(&err, &nu, s.b2, 2)
            .into_iter()
            .map(|v| v + s.eps_root)
            .collect();
        let m = mu_hat(&mu, g, s.b1, &c, s.nesterov);
        let v = bias_correction(&nu, s.b2, &c);
        (adam_ratio(&m, &v, s.eps, 0.0), mu, nu)
    }
);

/// The state of [`ScaleByAmsgrad`] (optax's `ScaleByAmsgradState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByAmsgrad};
/// let s = ScaleByAmsgrad::default().init(&Tensor::scalar(1.0f32));
/// assert_eq!(s.nu_max.item::<f32>(), 0.0);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct ScaleByAmsgradState<P> {
    /// The number of updates so far (an `i32` scalar).
    pub count: Tensor,
    /// The moving average of the gradients.
    pub mu: P,
    /// The moving average of the squared gradients.
    pub nu: P,
    /// The largest bias-corrected second moment so far.
    pub nu_max: P,
}

/// AMSGrad's scaling (optax's `scale_by_amsgrad`): Adam dividing by the running maximum of the
/// (bias-corrected) second moment, so the step size never grows. Defaults as Adam's.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByAmsgrad};
/// let t = ScaleByAmsgrad::default();
/// let g = Tensor::scalar(2.0f32);
/// let (u, s) = t.update(&g, &t.init(&g), &g);
/// assert!((u.item::<f32>() - 1.0).abs() < 1e-4 && s.nu_max.item::<f32>() > 3.9);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByAmsgrad {
    /// Decay of the first moment.
    pub b1: f64,
    /// Decay of the second moment.
    pub b2: f64,
    /// Added to the denominator outside the square root.
    pub eps: f64,
    /// Added inside the square root.
    pub eps_root: f64,
}

impl Default for ScaleByAmsgrad {
    fn default() -> Self {
        ScaleByAmsgrad {
            b1: 0.9,
            b2: 0.999,
            eps: 1e-8,
            eps_root: 0.0,
        }
    }
}

impl GradientTransformation for ScaleByAmsgrad {
    type State<P: PyTree + Clone> = ScaleByAmsgradState<P>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> ScaleByAmsgradState<P> {
        ScaleByAmsgradState {
            count: zero_count(),
            mu: zeros_like(params),
            nu: zeros_like(params),
            nu_max: zeros_like(params),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &ScaleByAmsgradState<P>,
        params: &P,
    ) -> (P, ScaleByAmsgradState<P>) {
        const OP: &str = "scale_by_amsgrad";
        let (g, def) = flatten_updates(OP, updates, params);
        let mu = update_moment(&g, &check_state_like(OP, &state.mu, params), self.b1, 1);
        let nu = update_moment(&g, &check_state_like(OP, &state.nu, params), self.b2, 2);
        let old_max = check_state_like(OP, &state.nu_max, params);
        let c = safe_increment(&state.count);
        let m = bias_correction(&mu, self.b1, &c);
        let v = bias_correction(&nu, self.b2, &c);
        let nu_max: Vec<Tensor> = old_max
            .iter()
            .zip(&v)
            .map(|(a, b)| jnp::maximum(a, b))
            .collect();
        let u = adam_ratio(&m, &nu_max, self.eps, self.eps_root);
        let state = ScaleByAmsgradState {
            count: c,
            mu: P::unflatten(&def, mu),
            nu: P::unflatten(&def, nu),
            nu_max: P::unflatten(&def, nu_max),
        };
        (P::unflatten(&def, u), state)
    }
}

/// The state of [`ScaleByLion`] (optax's `ScaleByLionState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByLion};
/// let s = ScaleByLion::default().init(&Tensor::scalar(1.0f32));
/// assert_eq!((s.count.item::<i32>(), s.mu.item::<f32>()), (0, 0.0));
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct ScaleByLionState<P> {
    /// The number of updates so far (an `i32` scalar).
    pub count: Tensor,
    /// The momentum.
    pub mu: P,
}

/// Lion's scaling (optax's `scale_by_lion`, mode `hard`): the update is
/// `sign((1 - b1) g + b1 m)`, and the momentum moves with `b2`. Defaults `b1 = 0.9`,
/// `b2 = 0.99`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByLion};
/// let t = ScaleByLion::default();
/// let g = Tensor::from_vec(vec![0.3f32, -2.0, 0.0], &[3]);
/// let (u, s) = t.update(&g, &t.init(&g), &g);
/// assert_eq!(u.to_vec::<f32>(), vec![1.0, -1.0, 0.0]);
/// assert!((s.mu.to_vec::<f32>()[1] + 0.02).abs() < 1e-7);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByLion {
    /// Interpolation between gradient and momentum for the update.
    pub b1: f64,
    /// Decay of the momentum.
    pub b2: f64,
}

impl Default for ScaleByLion {
    fn default() -> Self {
        ScaleByLion { b1: 0.9, b2: 0.99 }
    }
}

impl GradientTransformation for ScaleByLion {
    type State<P: PyTree + Clone> = ScaleByLionState<P>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> ScaleByLionState<P> {
        ScaleByLionState {
            count: zero_count(),
            mu: zeros_like(params),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &ScaleByLionState<P>,
        params: &P,
    ) -> (P, ScaleByLionState<P>) {
        const OP: &str = "scale_by_lion";
        let (g, def) = flatten_updates(OP, updates, params);
        let mu = check_state_like(OP, &state.mu, params);
        let u = g
            .iter()
            .zip(&mu)
            .map(|(g, m)| (g * (1.0 - self.b1) + m * self.b1).sign())
            .collect();
        let mu = update_moment(&g, &mu, self.b2, 1);
        let state = ScaleByLionState {
            count: safe_increment(&state.count),
            mu: P::unflatten(&def, mu),
        };
        (P::unflatten(&def, u), state)
    }
}

/// The state of [`ScaleByAdadelta`] (optax's `ScaleByAdaDeltaState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByAdadelta};
/// let s = ScaleByAdadelta::default().init(&Tensor::scalar(1.0f32));
/// assert_eq!((s.e_g.item::<f32>(), s.e_x.item::<f32>()), (0.0, 0.0));
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct ScaleByAdaDeltaState<P> {
    /// The moving average of squared gradients.
    pub e_g: P,
    /// The moving average of squared updates.
    pub e_x: P,
}

/// Adadelta's scaling (optax's `scale_by_adadelta`): `g * sqrt(E[Δx²] + eps) / sqrt(E[g²] + eps)`.
/// Defaults `rho = 0.9`, `eps = 1e-6`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByAdadelta};
/// let t = ScaleByAdadelta::default();
/// let g = Tensor::scalar(1.0f32);
/// let (u, _) = t.update(&g, &t.init(&g), &g);
/// assert!((u.item::<f32>() - (1e-6f32 / (0.1 + 1e-6)).sqrt()).abs() < 1e-6);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByAdadelta {
    /// Decay of both averages.
    pub rho: f64,
    /// Added inside both square roots.
    pub eps: f64,
}

impl Default for ScaleByAdadelta {
    fn default() -> Self {
        ScaleByAdadelta {
            rho: 0.9,
            eps: 1e-6,
        }
    }
}

impl GradientTransformation for ScaleByAdadelta {
    type State<P: PyTree + Clone> = ScaleByAdaDeltaState<P>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> ScaleByAdaDeltaState<P> {
        ScaleByAdaDeltaState {
            e_g: zeros_like(params),
            e_x: zeros_like(params),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &ScaleByAdaDeltaState<P>,
        params: &P,
    ) -> (P, ScaleByAdaDeltaState<P>) {
        const OP: &str = "scale_by_adadelta";
        let (g, def) = flatten_updates(OP, updates, params);
        let e_g = update_moment(&g, &check_state_like(OP, &state.e_g, params), self.rho, 2);
        let e_x = check_state_like(OP, &state.e_x, params);
        let eps = self.eps;
        let u: Vec<Tensor> = g
            .iter()
            .zip(e_g.iter().zip(&e_x))
            .map(|(g, (eg, ex))| (ex + eps).sqrt() / (eg + eps).sqrt() * g)
            .collect();
        let e_x = update_moment(&u, &e_x, self.rho, 2);
        let state = ScaleByAdaDeltaState {
            e_g: P::unflatten(&def, e_g),
            e_x: P::unflatten(&def, e_x),
        };
        (P::unflatten(&def, u), state)
    }
}

/// The state of [`ScaleByAdan`] (optax's `ScaleByAdanState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByAdan};
/// let s = ScaleByAdan::default().init(&Tensor::scalar(1.0f32));
/// assert_eq!(s.t.item::<i32>(), 0);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct ScaleByAdanState<P> {
    /// The moving average of the gradients.
    pub m: P,
    /// The moving average of the gradient differences.
    pub v: P,
    /// The moving average of the squared corrected gradients.
    pub n: P,
    /// The previous gradient.
    pub g: P,
    /// The number of updates so far (an `i32` scalar).
    pub t: Tensor,
}

/// Adan's scaling (optax's `scale_by_adan`): Nesterov-style momentum from moving averages of
/// the gradient, of its difference to the previous one, and of the squared corrected gradient.
/// Defaults `b1 = 0.98`, `b2 = 0.92`, `b3 = 0.99`, `eps = 1e-8`, `eps_root = 0`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByAdan};
/// let t = ScaleByAdan::default();
/// let g = Tensor::scalar(2.0f32);
/// let (u, s) = t.update(&g, &t.init(&g), &g);
/// assert!((u.item::<f32>() - 1.0).abs() < 1e-5);
/// assert_eq!(s.g.item::<f32>(), 2.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByAdan {
    /// Decay of the gradient average.
    pub b1: f64,
    /// Decay of the gradient-difference average.
    pub b2: f64,
    /// Decay of the squared average.
    pub b3: f64,
    /// Added to the denominator outside the square root.
    pub eps: f64,
    /// Added inside the square root.
    pub eps_root: f64,
}

impl Default for ScaleByAdan {
    fn default() -> Self {
        ScaleByAdan {
            b1: 0.98,
            b2: 0.92,
            b3: 0.99,
            eps: 1e-8,
            eps_root: 0.0,
        }
    }
}

impl GradientTransformation for ScaleByAdan {
    type State<P: PyTree + Clone> = ScaleByAdanState<P>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> ScaleByAdanState<P> {
        ScaleByAdanState {
            m: zeros_like(params),
            v: zeros_like(params),
            n: zeros_like(params),
            g: zeros_like(params),
            t: zero_count(),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &ScaleByAdanState<P>,
        params: &P,
    ) -> (P, ScaleByAdanState<P>) {
        const OP: &str = "scale_by_adan";
        let ScaleByAdan {
            b1,
            b2,
            b3,
            eps,
            eps_root,
        } = *self;
        let (g, def) = flatten_updates(OP, updates, params);
        let prev = check_state_like(OP, &state.g, params);
        let first = state.t.eq(0);
        let diff: Vec<Tensor> = g
            .iter()
            .zip(&prev)
            .map(|(g, p)| jnp::where_(&first, jnp::zeros_like(g), g - p))
            .collect();
        let m = update_moment(&g, &check_state_like(OP, &state.m, params), b1, 1);
        let v = update_moment(&diff, &check_state_like(OP, &state.v, params), b2, 1);
        let sq: Vec<Tensor> = g
            .iter()
            .zip(&diff)
            .map(|(g, d)| g + d * (1.0 - b2))
            .collect();
        let n = update_moment(&sq, &check_state_like(OP, &state.n, params), b3, 2);
        let t = safe_increment(&state.t);
        let m_hat = bias_correction(&m, b1, &t);
        let v_hat = bias_correction(&v, b2, &t);
        let n_hat = bias_correction(&n, b3, &t);
        let u = m_hat
            .iter()
            .zip(v_hat.iter().zip(&n_hat))
            .map(|(m, (v, n))| (m + v * (1.0 - b2)) / ((n + eps_root).sqrt() + eps))
            .collect();
        let state = ScaleByAdanState {
            m: P::unflatten(&def, m),
            v: P::unflatten(&def, v),
            n: P::unflatten(&def, n),
            g: P::unflatten(&def, g),
            t,
        };
        (P::unflatten(&def, u), state)
    }
}
