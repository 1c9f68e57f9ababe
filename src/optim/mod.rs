//! `ferrax::optim`: optax-style gradient transformations over pytrees.
//!
//! An optimizer is a [`GradientTransformation`]: `init(&params)` builds its state, and
//! `update(&grads, &state, &params)` returns the updates to add to the parameters with
//! [`apply_updates`], and the new state. Everything is built from public tensor ops, so a whole
//! training step (loss, gradient, update) can be `jit`ted, and the state is a pytree that flows
//! through `jit` like the parameters. Step counts are `i32` tensors inside the state and
//! learning-rate [`Schedule`]s are functions of the (traced) count, so a jitted step is traced
//! once and reused for every step.
//!
//! States are typed, as optax's NamedTuples: [`adam`]'s state for parameters `P` is
//! `(ScaleByAdamState<P>, Option<ScaleByScheduleState>)`, so `state.0.mu` is a `P`. A step's
//! signature names it with [`StateOf`] and the aliases ([`Adam`], [`AdamState`], ...). Giving a
//! state to parameters of another type is a compile error; of the same type but another
//! structure or shapes, a panic naming both. There is no type-erased optimizer: a `Vec` of
//! different optimizers needs an enum or a generic function.
//!
//! The numerics follow optax (bias correction, `eps` placement, the sign convention that
//! updates are *added*), and the names too: `scale_by_adam`, `chain`, `adamw`, ...
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::optim::{self, GradientTransformation};
//! let params = (Tensor::from_vec(vec![1.0f32, -2.0], &[2]), Tensor::scalar(0.5f32));
//! let loss = |(w, b): &(Tensor, Tensor)| (w * w).sum() + b * b;
//! let opt = optim::adam(1e-1);
//! let mut state = opt.init(&params);
//! let mut params = params;
//! for _ in 0..100 {
//!     let grads = grad(loss)(&params);
//!     let (updates, new_state) = opt.update(&grads, &state, &params);
//!     params = optim::apply_updates(&params, &updates);
//!     state = new_state;
//! }
//! assert!(loss(&params).item::<f32>() < 1e-2);
//! assert_eq!(state.0.count.item::<i32>(), 100);
//! ```
//!
//! A jitted step names the state's type:
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::optim::{self, GradientTransformation};
//! type Params = (Tensor, Tensor);
//! let opt = optim::adam(1e-1);
//! let loss = |(w, b): &Params| (w * w).sum() + b * b;
//! let step = jit(|(p, s): &(Params, optim::StateOf<optim::Adam, Params>)| {
//!     let (u, s) = opt.update(&grad(loss)(p), s, p);
//!     (optim::apply_updates(p, &u), s)
//! });
//! let mut p: Params = (Tensor::from_vec(vec![1.0f32, -2.0], &[2]), Tensor::scalar(0.5f32));
//! let mut s = opt.init(&p);
//! for _ in 0..100 {
//!     (p, s) = step(&(p, s));
//! }
//! assert!(loss(&p).item::<f32>() < 1e-2);
//! ```

mod alias;
mod alias_more;
mod combine;
mod factorized;
pub mod fused;
mod inject;
mod leafwise;
mod lookahead;
mod moments;
mod polyak;
mod scalings;
mod scalings_more;
mod schedule;
mod schedule_more;
mod transforms;
pub mod tree_utils;
mod wrappers;

pub use alias::{
    adagrad, adagrad_with, adam, adam_with, adamw, adamw_with, nadam, rmsprop, rmsprop_with, sgd,
    Adagrad, AdagradState, Adam, AdamOptions, AdamState, AdamW, AdamWState, Nadam, NadamState,
    RmsProp, RmsPropOptions, RmsPropState, Sgd, SgdState,
};
pub use alias_more::{
    adabelief, adabelief_with, adadelta, adadelta_with, adamax, adamax_with, adamaxw, adamaxw_with,
    adan, adan_with, amsgrad, amsgrad_with, fromage, lamb, lamb_with, lars, lars_with, lion,
    lion_with, nadamw, noisy_sgd, novograd, novograd_with, optimistic_adam, optimistic_adam_v2,
    optimistic_gradient_descent, radam, radam_with, rprop, sign_sgd, signum, sm3, yogi, yogi_with,
    AdaBelief, Adadelta, Adamax, AdamaxW, Adan, Amsgrad, Fromage, Lamb, Lars, LarsOptions, Lion,
    NadamW, NoisySgd, Novograd, OptimisticAdam, OptimisticAdamV2, OptimisticGradientDescent, RAdam,
    Rprop, SignSgd, Signum, Sm3, Yogi,
};
pub use combine::{chain, identity, masked, Chain, EmptyState, Identity, Masked, MaskedState};
pub use factorized::{
    adafactor, adafactor_with, Adafactor, AdafactorOptions, FactoredState, ScaleByFactoredRms,
};
pub use inject::{inject_hyperparams, Hyperparams, InjectHyperparams, InjectHyperparamsState};
pub use leafwise::{
    centralize, clip, clip_by_block_rms, keep_params_nonnegative, normalize_by_update_norm,
    scale_by_param_block_norm, scale_by_param_block_rms, scale_by_sign, scale_by_trust_ratio,
    Centralize, Clip, ClipByBlockRms, KeepParamsNonnegative, NormalizeByUpdateNorm,
    ScaleByParamBlock, ScaleBySign, ScaleByTrustRatio,
};
pub use lookahead::{lookahead, Lookahead, LookaheadParams, LookaheadState};
pub use moments::{
    scale_by_adam, scale_by_rms, scale_by_rss, scale_by_stddev, trace, ScaleByAdam,
    ScaleByAdamState, ScaleByRStdDevState, ScaleByRms, ScaleByRmsState, ScaleByRss,
    ScaleByRssState, ScaleByStddev, Trace, TraceState,
};
pub use polyak::{polyak_sgd, PolyakSgd};
pub use scalings::{
    ScaleByAdaDeltaState, ScaleByAdadelta, ScaleByAdamax, ScaleByAdan, ScaleByAdanState,
    ScaleByAmsgrad, ScaleByAmsgradState, ScaleByBelief, ScaleByLion, ScaleByLionState,
    ScaleByRadam, ScaleByYogi,
};
pub use scalings_more::{
    add_noise, ema, AddNoise, AddNoiseState, Ema, EmaState, ScaleByNovograd, ScaleByNovogradState,
    ScaleByOptimisticGradient, ScaleByOptimisticGradientState, ScaleByRprop, ScaleByRpropState,
    ScaleBySm3, ScaleBySm3State,
};
pub use schedule::{
    constant_schedule, cosine_decay_schedule, exponential_decay, join_schedules, linear_schedule,
    polynomial_schedule, warmup_cosine_decay_schedule, LearningRate, Schedule,
};
pub use schedule_more::{
    cosine_onecycle_schedule, linear_onecycle_schedule, piecewise_constant_schedule,
    piecewise_interpolate_schedule, sgdr_schedule, warmup_constant_schedule,
    warmup_exponential_decay_schedule, Interpolation, WarmupCosine,
};
pub use transforms::{
    add_decayed_weights, clip_by_global_norm, scale, scale_by_learning_rate, scale_by_schedule,
    stateless, AddDecayedWeights, AddDecayedWeightsState, ClipByGlobalNorm, Mask, Scale,
    ScaleByLearningRate, ScaleBySchedule, ScaleByScheduleState, Stateless,
};
pub use wrappers::{
    apply_if_finite, multi_transform, zero_nans, ApplyIfFinite, ApplyIfFiniteState, Labels,
    MultiSteps, MultiStepsState, MultiTransform, ZeroNans, ZeroNansState,
};

use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};
use crate::tree::{PyTree, TreeDef};

/// A pair of pure functions `init`/`update`, as optax's `GradientTransformation`, with a typed
/// state: `State<P>` is the state for parameters of type `P`, itself a pytree (so it goes
/// through `jit`, `vmap` and checkpoints like the parameters). Name it in signatures with
/// [`StateOf`].
///
/// Implement it for your own transformations (or use [`stateless`] for a stateless one):
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
///
/// /// Divides each update by how many steps were taken so far (plus one).
/// #[derive(Clone)]
/// struct Harmonic;
///
/// #[derive(PyTree, Clone, Debug)]
/// struct HarmonicState {
///     count: Tensor,
/// }
///
/// impl GradientTransformation for Harmonic {
///     type State<P: PyTree + Clone> = HarmonicState;
///     fn init<P: PyTree + Clone>(&self, _params: &P) -> HarmonicState {
///         HarmonicState { count: Tensor::scalar(0i32) }
///     }
///     fn update<P: PyTree + Clone>(&self, updates: &P, state: &HarmonicState, _params: &P) -> (P, HarmonicState) {
///         let n = state.count.cast(DType::F32) + 1.0;
///         let u = ferrax::tree::tree_map(updates, |g| g / n.cast(g.dtype()));
///         (u, HarmonicState { count: &state.count + 1 })
///     }
/// }
///
/// let opt = optim::chain((Harmonic, optim::scale(-1.0)));
/// let p = Tensor::scalar(1.0f32);
/// let s = opt.init(&p);
/// let (u0, s) = opt.update(&Tensor::scalar(2.0f32), &s, &p);
/// let (u1, s) = opt.update(&Tensor::scalar(2.0f32), &s, &p);
/// assert_eq!((u0.item::<f32>(), u1.item::<f32>()), (-2.0, -1.0));
/// assert_eq!(s.0.count.item::<i32>(), 2);
/// ```
pub trait GradientTransformation: Clone + Send + Sync + 'static {
    /// The state for parameters of type `P` (a pytree, so it goes through `jit` like params).
    type State<P: PyTree + Clone>: PyTree + Clone;

    /// The initial state for `params`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::optim::{self, GradientTransformation};
    /// let s = optim::trace(0.9, false).init(&vec![Tensor::ones(&[2], DType::F32)]);
    /// assert_eq!(s.trace[0].to_vec::<f32>(), vec![0.0, 0.0]);
    /// ```
    fn init<P: PyTree + Clone>(&self, params: &P) -> Self::State<P>;

    /// The updates for `updates` (usually the gradients; same structure as `params`) and the
    /// new state. Add the updates to the parameters with [`apply_updates`]. Panics, naming the
    /// transformation and both structures, if `state` was made for other parameters (or the
    /// updates do not match the parameters).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::optim::{self, GradientTransformation};
    /// let opt = optim::sgd(0.1, None, false);
    /// let p = Tensor::scalar(1.0f32);
    /// let (u, _) = opt.update(&Tensor::scalar(2.0f32), &opt.init(&p), &p);
    /// assert_eq!(u.item::<f32>(), -0.2);
    /// ```
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &Self::State<P>,
        params: &P,
    ) -> (P, Self::State<P>);
}

/// The state of transformation `T` for parameters of type `P`: the type to name in a jitted
/// step's signature.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation, StateOf};
/// let p = vec![Tensor::zeros(&[3], DType::F32)];
/// let s: StateOf<optim::Adam, Vec<Tensor>> = optim::adam(1e-3).init(&p);
/// assert_eq!(s.0.mu[0].shape(), &[3]);
/// ```
pub type StateOf<T, P> = <T as GradientTransformation>::State<P>;

/// `params + updates`, leafwise, keeping each parameter's dtype (optax's `apply_updates`).
///
/// ```
/// use ferrax::prelude::*;
/// let p = vec![Tensor::scalar(1.0f32)];
/// let u = vec![Tensor::scalar(-0.25f32)];
/// assert_eq!(ferrax::optim::apply_updates(&p, &u)[0].item::<f32>(), 0.75);
/// ```
#[track_caller]
pub fn apply_updates<P: PyTree>(params: &P, updates: &P) -> P {
    crate::tree::tree_map2(params, updates, |p, u| {
        let s = jnp::add(p, u);
        if s.dtype() == p.dtype() {
            s
        } else {
            s.cast(p.dtype())
        }
    })
}

/// The L2 norm of all leaves together, `sqrt(Σ x²)` (optax's `global_norm`), a scalar in the
/// leaves' dtype (`f32` for a tree without leaves).
///
/// ```
/// use ferrax::prelude::*;
/// let t = (Tensor::from_vec(vec![3.0f32], &[1]), Tensor::scalar(4.0f32));
/// assert_eq!(ferrax::optim::global_norm(&t).item::<f32>(), 5.0);
/// ```
pub fn global_norm<P: PyTree>(tree: &P) -> Tensor {
    leaves_global_norm(&tree.leaves())
}

pub(crate) fn leaves_global_norm(leaves: &[Tensor]) -> Tensor {
    leaves
        .iter()
        .map(|x| x.square().sum())
        .reduce(|a, b| jnp::add(a, b))
        .unwrap_or_else(|| Tensor::zeros(&[], DType::F32))
        .sqrt()
}

/// `count + 1`, saturating at `i32::MAX` (optax's `safe_increment`).
pub(crate) fn safe_increment(count: &Tensor) -> Tensor {
    jnp::where_(&count.lt(i32::MAX), count + 1, i32::MAX)
}

/// A fresh `i32` zero count.
pub(crate) fn zero_count() -> Tensor {
    Tensor::zeros(&[], DType::I32)
}

/// Flattens `updates`, panicking (naming `op` and both structures) unless they have the
/// structure and leaf shapes of `params`.
#[track_caller]
pub(crate) fn flatten_updates<P: PyTree>(
    op: &str,
    updates: &P,
    params: &P,
) -> (Vec<Tensor>, TreeDef) {
    let (u, udef) = updates.flatten();
    let (p, pdef) = params.flatten();
    if !tree_utils::same_structure(&u, &udef, &p, &pdef) {
        panic!(
            "optim::{op}: the updates are {udef} with shapes {:?}, but the params {pdef} with \
             shapes {:?}",
            tree_utils::shapes(&u),
            tree_utils::shapes(&p)
        );
    }
    (u, udef)
}
