//! More stateful scalings with optax's definitions: NovoGrad's layer-wise moments, Rprop's step
//! sizes, SM3's cover sets, optimistic gradients, `ema` and `add_noise`.

use super::moments::{bias_correction, full_like, update_moment, zeros_like};
use super::tree_utils::check_state_like;
use super::{flatten_updates, safe_increment, zero_count, GradientTransformation};
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};
use crate::tree::PyTree;

/// The state of [`ScaleByNovograd`] (optax's `ScaleByNovogradState`): `nu` holds one scalar
/// per parameter leaf (its layer-wise second moment).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByNovograd};
/// let s = ScaleByNovograd::default().init(&Tensor::zeros(&[3], DType::F32));
/// assert_eq!(s.nu[0].shape(), &[] as &[usize]);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct ScaleByNovogradState<P> {
    /// The number of updates so far (an `i32` scalar).
    pub count: Tensor,
    /// The momentum, shaped like the parameters.
    pub mu: P,
    /// Per leaf (in leaf order): the moving average of its squared norm.
    pub nu: Vec<Tensor>,
}

/// NovoGrad's scaling (optax's `scale_by_novograd`): per layer, the gradient is divided by the
/// root of a moving average of its squared norm, plus weight decay, then accumulated as
/// momentum; the first step initializes both averages. Defaults `b1 = 0.9`, `b2 = 0.25`,
/// `eps = 1e-8`, `eps_root = 0`, `weight_decay = 0`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByNovograd};
/// let t = ScaleByNovograd { eps: 0.0, ..Default::default() };
/// let g = Tensor::from_vec(vec![3.0f32, 4.0], &[2]);
/// let (u, s) = t.update(&g, &t.init(&g), &g);
/// assert_eq!(u.to_vec::<f32>(), vec![0.6, 0.8]);
/// assert_eq!(s.nu[0].item::<f32>(), 25.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByNovograd {
    /// Decay of the momentum.
    pub b1: f64,
    /// Decay of the squared-norm average.
    pub b2: f64,
    /// Added to the denominator outside the square root.
    pub eps: f64,
    /// Added inside the square root.
    pub eps_root: f64,
    /// Weight decay added to the normalized gradient.
    pub weight_decay: f64,
}

impl Default for ScaleByNovograd {
    fn default() -> Self {
        ScaleByNovograd {
            b1: 0.9,
            b2: 0.25,
            eps: 1e-8,
            eps_root: 0.0,
            weight_decay: 0.0,
        }
    }
}

impl GradientTransformation for ScaleByNovograd {
    type State<P: PyTree + Clone> = ScaleByNovogradState<P>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> ScaleByNovogradState<P> {
        ScaleByNovogradState {
            count: zero_count(),
            mu: zeros_like(params),
            nu: params
                .leaves()
                .iter()
                .map(|p| Tensor::zeros(&[], p.dtype()))
                .collect(),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &ScaleByNovogradState<P>,
        params: &P,
    ) -> (P, ScaleByNovogradState<P>) {
        const OP: &str = "scale_by_novograd";
        let (g, def) = flatten_updates(OP, updates, params);
        let mu = check_state_like(OP, &state.mu, params);
        assert!(
            state.nu.len() == g.len(),
            "optim::{OP}: the state has {} layer norms, the params {} leaves",
            state.nu.len(),
            g.len()
        );
        let p = params.leaves();
        let c = safe_increment(&state.count);
        let first = c.eq(1);
        let (b1, b2) = (self.b1, self.b2);
        let mut new_mu = Vec::with_capacity(g.len());
        let mut new_nu = Vec::with_capacity(g.len());
        for i in 0..g.len() {
            let sq = g[i].square().sum().sqrt().square();
            let nu = jnp::where_(&first, &sq, &sq * (1.0 - b2) + &state.nu[i] * b2);
            let add = &g[i] / ((&nu + self.eps_root).sqrt() + self.eps) + &p[i] * self.weight_decay;
            let m = jnp::where_(&first, &add, &mu[i] * b1 + &add);
            new_mu.push(m);
            new_nu.push(nu);
        }
        let state = ScaleByNovogradState {
            count: c,
            mu: P::unflatten(&def, new_mu.clone()),
            nu: new_nu,
        };
        (P::unflatten(&def, new_mu), state)
    }
}

/// The state of [`ScaleByRprop`] (optax's `ScaleByRpropState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByRprop};
/// let s = ScaleByRprop::new(0.1).init(&Tensor::scalar(1.0f32));
/// assert!((s.step_sizes.item::<f32>() - 0.1).abs() < 1e-8);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct ScaleByRpropState<P> {
    /// The current step size of each parameter.
    pub step_sizes: P,
    /// The previous step.
    pub prev_updates: P,
}

/// Rprop's scaling (optax's `scale_by_rprop`): each parameter has its own step size, grown by
/// `eta_plus` while its gradient keeps its sign and shrunk by `eta_minus` when it flips (the
/// step is skipped then); the update is the previous step `step * sign(g)`, as optax returns
/// it (not negated: the alias `rprop`
/// applies `scale(-1)`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByRprop};
/// let t = ScaleByRprop::new(0.1);
/// let g = Tensor::scalar(-2.0f32);
/// let s = t.init(&g);
/// let (u0, s) = t.update(&g, &s, &g);
/// let (u1, s) = t.update(&g, &s, &g);
/// assert_eq!(u0.item::<f32>(), 0.0); // the first step returns the (zero) previous update
/// assert!((u1.item::<f32>() + 0.1).abs() < 1e-7);
/// assert!((s.step_sizes.item::<f32>() - 0.12).abs() < 1e-7);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByRprop {
    /// The initial step size.
    pub learning_rate: f64,
    /// Shrink factor on a sign change.
    pub eta_minus: f64,
    /// Growth factor while the sign holds.
    pub eta_plus: f64,
    /// Smallest step size.
    pub min_step_size: f64,
    /// Largest step size.
    pub max_step_size: f64,
}

impl ScaleByRprop {
    /// Rprop with optax's defaults (`eta_minus = 0.5`, `eta_plus = 1.2`, steps in
    /// `[1e-6, 50]`).
    ///
    /// ```
    /// assert_eq!(ferrax::optim::ScaleByRprop::new(0.1).eta_plus, 1.2);
    /// ```
    pub fn new(learning_rate: f64) -> ScaleByRprop {
        ScaleByRprop {
            learning_rate,
            eta_minus: 0.5,
            eta_plus: 1.2,
            min_step_size: 1e-6,
            max_step_size: 50.0,
        }
    }
}

impl GradientTransformation for ScaleByRprop {
    type State<P: PyTree + Clone> = ScaleByRpropState<P>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> ScaleByRpropState<P> {
        ScaleByRpropState {
            step_sizes: full_like(params, self.learning_rate),
            prev_updates: zeros_like(params),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &ScaleByRpropState<P>,
        params: &P,
    ) -> (P, ScaleByRpropState<P>) {
        const OP: &str = "scale_by_rprop";
        let (g, def) = flatten_updates(OP, updates, params);
        let steps = check_state_like(OP, &state.step_sizes, params);
        let prev = check_state_like(OP, &state.prev_updates, params);
        let mut new_steps = Vec::new();
        let mut new_prev = Vec::new();
        let mut out = Vec::new();
        for ((g, s), pu) in g.iter().zip(&steps).zip(&prev) {
            let sign = g * pu;
            let factor = jnp::where_(&sign.gt(0.0), self.eta_plus, self.eta_minus).cast(s.dtype());
            let grown = jnp::clip(&(s * factor), self.min_step_size, self.max_step_size);
            let step = jnp::where_(&sign.eq(0.0), s, grown);
            let neg = sign.lt(0.0);
            let np = jnp::where_(&neg, jnp::zeros_like(g), &step * g.sign());
            out.push(jnp::where_(&neg, jnp::zeros_like(pu), pu));
            new_steps.push(step);
            new_prev.push(np);
        }
        let state = ScaleByRpropState {
            step_sizes: P::unflatten(&def, new_steps),
            prev_updates: P::unflatten(&def, new_prev),
        };
        (P::unflatten(&def, out), state)
    }
}

/// The state of [`ScaleBySm3`] (optax's `ScaleBySM3State`): `mu` holds, for each parameter
/// leaf in order, one accumulator per axis (a vector as long as that axis); `nu` the momentum.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleBySm3};
/// let s = ScaleBySm3::default().init(&Tensor::zeros(&[2, 3], DType::F32));
/// assert_eq!((s.mu[0].shape(), s.mu[1].shape()), (&[2usize][..], &[3usize][..]));
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct ScaleBySm3State<P> {
    /// The per-axis accumulators of every leaf, flattened in leaf then axis order.
    pub mu: Vec<Tensor>,
    /// The momentum, shaped like the parameters.
    pub nu: P,
}

/// SM3's scaling (optax's `scale_by_sm3`): a memory-efficient Adagrad whose accumulator is the
/// minimum over per-axis covers (one vector per axis of each leaf), then momentum `b1`.
/// Defaults `b1 = 0.9`, `b2 = 1.0`, `eps = 1e-8`. Leaves must have rank ≥ 1.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleBySm3};
/// let t = ScaleBySm3 { b1: 0.0, ..Default::default() };
/// let g = Tensor::from_vec(vec![2.0f32, -4.0], &[2]);
/// let (u, _) = t.update(&g, &t.init(&g), &g);
/// let u = u.to_vec::<f32>();
/// assert!((u[0] - 1.0).abs() < 1e-6 && (u[1] + 1.0).abs() < 1e-6);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleBySm3 {
    /// Momentum decay.
    pub b1: f64,
    /// Decay of the accumulators (1: a plain sum).
    pub b2: f64,
    /// Added before the inverse square root.
    pub eps: f64,
}

impl Default for ScaleBySm3 {
    fn default() -> Self {
        ScaleBySm3 {
            b1: 0.9,
            b2: 1.0,
            eps: 1e-8,
        }
    }
}

impl GradientTransformation for ScaleBySm3 {
    type State<P: PyTree + Clone> = ScaleBySm3State<P>;
    #[track_caller]
    fn init<P: PyTree + Clone>(&self, params: &P) -> ScaleBySm3State<P> {
        let mut mu = Vec::new();
        for p in params.leaves() {
            assert!(
                p.ndim() >= 1,
                "optim::scale_by_sm3: parameters need rank >= 1, got a scalar of type {:?}",
                p.dtype()
            );
            mu.extend(p.shape().iter().map(|&n| Tensor::zeros(&[n], p.dtype())));
        }
        ScaleBySm3State {
            mu,
            nu: zeros_like(params),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &ScaleBySm3State<P>,
        params: &P,
    ) -> (P, ScaleBySm3State<P>) {
        const OP: &str = "scale_by_sm3";
        let (g, def) = flatten_updates(OP, updates, params);
        let nu = check_state_like(OP, &state.nu, params);
        let want: usize = g.iter().map(|g| g.ndim()).sum();
        assert!(
            state.mu.len() == want,
            "optim::{OP}: the state has {} accumulators, the params need {want}",
            state.mu.len()
        );
        let (c0, c1) = (if self.b2 != 1.0 { 1.0 - self.b2 } else { 1.0 }, self.b2);
        let mut mu_iter = state.mu.iter();
        let mut new_mu = Vec::with_capacity(want);
        let mut up = Vec::with_capacity(g.len());
        for g in &g {
            let r = g.ndim();
            let v: Vec<Tensor> = (0..r)
                .map(|i| {
                    let mut shape = vec![1isize; r];
                    shape[i] = g.shape()[i] as isize;
                    jnp::reshape(mu_iter.next().expect("checked count"), &shape)
                })
                .collect();
            let cover = if r < 2 {
                v[0].clone()
            } else {
                v[1..].iter().fold(v[0].clone(), |a, b| jnp::minimum(a, b))
            };
            let accum = g.square() * c0 + cover * c1;
            let pos = accum.gt(0.0);
            let inv = jnp::where_(&pos, (&accum + self.eps).rsqrt(), 0.0);
            up.push(g * inv);
            for i in 0..r {
                if r < 2 {
                    new_mu.push(accum.clone());
                } else {
                    let others: Vec<isize> = (0..r as isize).filter(|&a| a != i as isize).collect();
                    new_mu.push(jnp::max(&accum, Some(&others)));
                }
            }
        }
        let nu = update_moment(&up, &nu, self.b1, 1);
        let state = ScaleBySm3State {
            mu: new_mu,
            nu: P::unflatten(&def, nu.clone()),
        };
        (P::unflatten(&def, nu), state)
    }
}

/// The state of [`ScaleByOptimisticGradient`] (optax's `ScaleByOptimisticGradientState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByOptimisticGradient};
/// let s = ScaleByOptimisticGradient::default().init(&Tensor::scalar(1.0f32));
/// assert!(s.is_initial_step.item::<bool>());
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct ScaleByOptimisticGradientState<P> {
    /// Whether no update was made yet (a `bool` scalar).
    pub is_initial_step: Tensor,
    /// The previous gradient.
    pub previous_gradient: P,
}

/// Optimistic gradient (optax's `scale_by_optimistic_gradient`):
/// `(alpha + beta) g - beta g_prev` (the previous gradient is `g` itself on the first step).
/// Defaults `alpha = beta = 1`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, ScaleByOptimisticGradient};
/// let t = ScaleByOptimisticGradient::default();
/// let s = t.init(&Tensor::scalar(0.0f32));
/// let (u0, s) = t.update(&Tensor::scalar(1.0f32), &s, &Tensor::scalar(0.0f32));
/// let (u1, _) = t.update(&Tensor::scalar(3.0f32), &s, &Tensor::scalar(0.0f32));
/// assert_eq!((u0.item::<f32>(), u1.item::<f32>()), (1.0, 5.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleByOptimisticGradient {
    /// Weight of the current gradient.
    pub alpha: f64,
    /// Weight of the correction by the previous gradient.
    pub beta: f64,
}

impl Default for ScaleByOptimisticGradient {
    fn default() -> Self {
        ScaleByOptimisticGradient {
            alpha: 1.0,
            beta: 1.0,
        }
    }
}

impl GradientTransformation for ScaleByOptimisticGradient {
    type State<P: PyTree + Clone> = ScaleByOptimisticGradientState<P>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> ScaleByOptimisticGradientState<P> {
        ScaleByOptimisticGradientState {
            is_initial_step: Tensor::scalar(true),
            previous_gradient: zeros_like(params),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &ScaleByOptimisticGradientState<P>,
        params: &P,
    ) -> (P, ScaleByOptimisticGradientState<P>) {
        const OP: &str = "scale_by_optimistic_gradient";
        let (g, def) = flatten_updates(OP, updates, params);
        let prev = check_state_like(OP, &state.previous_gradient, params);
        let u = g
            .iter()
            .zip(&prev)
            .map(|(g, p)| {
                let p = jnp::where_(&state.is_initial_step, g, p);
                g * (self.alpha + self.beta) - p * self.beta
            })
            .collect();
        let state = ScaleByOptimisticGradientState {
            is_initial_step: Tensor::scalar(false),
            previous_gradient: updates.clone(),
        };
        (P::unflatten(&def, u), state)
    }
}

/// The state of [`Ema`] (optax's `EmaState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::GradientTransformation;
/// let s = ferrax::optim::ema(0.9, true).init(&Tensor::scalar(1.0f32));
/// assert_eq!(s.ema.item::<f32>(), 0.0);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct EmaState<P> {
    /// The number of updates so far (an `i32` scalar).
    pub count: Tensor,
    /// The moving average.
    pub ema: P,
}

/// An exponential moving average of the updates; made by [`ema`].
///
/// ```
/// let t = ferrax::optim::ema(0.9, false);
/// assert!(!t.debias);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ema {
    /// The decay.
    pub decay: f64,
    /// Divide by `1 - decay^t` (bias correction).
    pub debias: bool,
}

/// Replaces the updates by their exponential moving average, optionally bias-corrected
/// (optax's `ema`; signum's momentum).
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::ema(0.5, false);
/// let g = Tensor::scalar(2.0f32);
/// let (u0, s) = t.update(&g, &t.init(&g), &g);
/// let (u1, _) = t.update(&g, &s, &g);
/// assert_eq!((u0.item::<f32>(), u1.item::<f32>()), (1.0, 1.5));
/// ```
pub fn ema(decay: f64, debias: bool) -> Ema {
    Ema { decay, debias }
}

impl GradientTransformation for Ema {
    type State<P: PyTree + Clone> = EmaState<P>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> EmaState<P> {
        EmaState {
            count: zero_count(),
            ema: zeros_like(params),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &EmaState<P>,
        params: &P,
    ) -> (P, EmaState<P>) {
        const OP: &str = "ema";
        let (g, def) = flatten_updates(OP, updates, params);
        let e = update_moment(&g, &check_state_like(OP, &state.ema, params), self.decay, 1);
        let c = safe_increment(&state.count);
        let u = if self.debias {
            bias_correction(&e, self.decay, &c)
        } else {
            e.clone()
        };
        let state = EmaState {
            count: c,
            ema: P::unflatten(&def, e),
        };
        (P::unflatten(&def, u), state)
    }
}

/// The state of [`AddNoise`] (optax's `AddNoiseState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::GradientTransformation;
/// let s = ferrax::optim::add_noise(0.01, 0.55, 0).init(&Tensor::scalar(1.0f32));
/// assert_eq!(s.rng_key.shape(), &[2]);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct AddNoiseState {
    /// The number of updates so far (an `i32` scalar).
    pub count: Tensor,
    /// The PRNG key of the next step (a `u32[2]` threefry key).
    pub rng_key: Tensor,
}

/// Gaussian gradient noise with annealed variance; made by [`add_noise`].
///
/// ```
/// let t = ferrax::optim::add_noise(0.01, 0.55, 0);
/// assert_eq!(t.gamma, 0.55);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AddNoise {
    /// The initial variance.
    pub eta: f64,
    /// The annealing exponent: the variance at step `t` is `eta / t^gamma`.
    pub gamma: f64,
    /// The PRNG seed.
    pub seed: i64,
}

/// Adds `N(0, eta / t^gamma)` noise to every update, the keys drawn as optax draws them
/// (`split` the state's key, one key per leaf), so values equal optax's for the same seed
/// (optax's `add_noise`).
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::add_noise(0.01, 0.55, 0);
/// let g = Tensor::zeros(&[1000], DType::F32);
/// let (u, _) = t.update(&g, &t.init(&g), &g);
/// let std = u.std().item::<f32>();
/// assert!((std - 0.1).abs() < 0.01, "{std}");
/// ```
pub fn add_noise(eta: f64, gamma: f64, seed: i64) -> AddNoise {
    AddNoise { eta, gamma, seed }
}

impl GradientTransformation for AddNoise {
    type State<P: PyTree + Clone> = AddNoiseState;
    fn init<P: PyTree + Clone>(&self, _params: &P) -> AddNoiseState {
        AddNoiseState {
            count: zero_count(),
            rng_key: crate::random::key(self.seed),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &AddNoiseState,
        params: &P,
    ) -> (P, AddNoiseState) {
        use crate::random;
        let (g, def) = flatten_updates("add_noise", updates, params);
        let c = safe_increment(&state.count);
        let var = Tensor::full(&[], self.eta, DType::F32)
            / c.cast(DType::F32)
                .pow(Tensor::full(&[], self.gamma, DType::F32));
        let std = var.sqrt();
        let keys = random::split(&state.rng_key, 2);
        let (next, sample) = (random::key_at(&keys, 0), random::key_at(&keys, 1));
        let leaf_keys = random::split(&sample, g.len());
        let u = g
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let noise =
                    random::normal_with(&random::key_at(&leaf_keys, i), g.shape(), g.dtype());
                g + std.cast(g.dtype()) * noise
            })
            .collect();
        let state = AddNoiseState {
            count: c,
            rng_key: next,
        };
        (P::unflatten(&def, u), state)
    }
}
