//! The stateless building blocks and the step-size ones, with optax's definitions; and
//! [`Mask`].

use super::{
    flatten_updates, leaves_global_norm, safe_increment, zero_count, GradientTransformation,
    LearningRate, Schedule,
};
use crate::numpy as jnp;
use crate::tensor::Tensor;
use crate::tree::{KeyPath, PyTree, TreeDef};
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

    /// The mask's value on each leaf of `params`, in leaf order.
    #[track_caller]
    pub(crate) fn evaluate<P: PyTree>(&self, params: &P) -> Vec<bool> {
        let leaves = params.flatten_with_path();
        self.check_len(leaves.len());
        leaves
            .iter()
            .enumerate()
            .map(|(i, (k, p))| self.select(i, k, p))
            .collect()
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

/// Panics unless a state's mask covers as many leaves as the parameters have.
#[track_caller]
pub(crate) fn check_mask_len(op: &str, mask: &[bool], def: &TreeDef, n: usize) {
    assert!(
        mask.len() == n,
        "optim::{op}: the state was made for params with {} leaves (mask {mask:?}), but update \
         got params {def} with {n} leaves (pass the state this optimizer's init returned for \
         these params)",
        mask.len()
    );
}

/// The function of a [`Stateless`] transformation: `(updates, params) -> updates` on leaves.
type LeafFn = dyn Fn(&[Tensor], &[Tensor]) -> Vec<Tensor> + Send + Sync;

/// A transformation without state, from a function on leaves; made by [`stateless`].
///
/// ```
/// use ferrax::optim::{self, Stateless};
/// let neg: Stateless = optim::stateless(|g, _| g.iter().map(|g| -g).collect());
/// # let _ = neg;
/// ```
#[derive(Clone)]
pub struct Stateless(Arc<LeafFn>);

impl std::fmt::Debug for Stateless {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stateless(<fn>)")
    }
}

/// A stateless transformation from `f(updates, params) -> updates` on flattened leaves (in leaf
/// order; it must return one tensor per update leaf, of the same shape). Its state is
/// [`EmptyState`](super::EmptyState).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// // The sign of the gradient.
/// let sign = optim::stateless(|g, _params| g.iter().map(|g| g.sign()).collect());
/// let opt = optim::chain((sign, optim::scale(-0.5)));
/// let p = Tensor::from_vec(vec![3.0f32, -1.0], &[2]);
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert_eq!(u.to_vec::<f32>(), vec![-0.5, 0.5]);
/// ```
pub fn stateless(
    f: impl Fn(&[Tensor], &[Tensor]) -> Vec<Tensor> + Send + Sync + 'static,
) -> Stateless {
    Stateless(Arc::new(f))
}

/// Runs a leafwise map `f(updates, params)` for `op`, checking the structures.
#[track_caller]
pub(crate) fn map_leaves<P: PyTree>(
    op: &str,
    updates: &P,
    params: &P,
    f: impl FnOnce(&[Tensor], &[Tensor]) -> Vec<Tensor>,
) -> P {
    let (g, def) = flatten_updates(op, updates, params);
    let u = f(&g, &params.leaves());
    assert!(
        u.len() == g.len(),
        "optim::{op}: returned {} updates for {} leaves",
        u.len(),
        g.len()
    );
    P::unflatten(&def, u)
}

/// Implements a stateless transformation (state [`EmptyState`](super::EmptyState)) from an
/// expression of `self`, the update leaves and the param leaves.
macro_rules! stateless_impl {
    ($t:ty, $op:expr, |$s:ident, $g:ident, $p:ident| $body:expr) => {
        impl GradientTransformation for $t {
            type State<P: PyTree + Clone> = super::EmptyState;
            fn init<P: PyTree + Clone>(&self, _params: &P) -> super::EmptyState {
                super::EmptyState
            }
            #[track_caller]
            fn update<P: PyTree + Clone>(
                &self,
                updates: &P,
                _state: &super::EmptyState,
                params: &P,
            ) -> (P, super::EmptyState) {
                let $s = self;
                let u = map_leaves($op, updates, params, |$g, $p| $body);
                (u, super::EmptyState)
            }
        }
    };
}

pub(crate) use stateless_impl;

stateless_impl!(Stateless, "stateless", |s, g, p| (s.0)(g, p));

/// Multiplies the updates by a constant; made by [`scale`].
///
/// ```
/// let s: ferrax::optim::Scale = ferrax::optim::scale(2.0);
/// assert_eq!(s.step_size, 2.0);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// The factor.
    pub step_size: f64,
}

/// Multiplies the updates by a constant (optax's `scale`); the factor takes each leaf's dtype.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::GradientTransformation;
/// let t = ferrax::optim::scale(-0.5);
/// let g = Tensor::from_vec(vec![2.0f32, 4.0], &[2]);
/// assert_eq!(t.update(&g, &t.init(&g), &g).0.to_vec::<f32>(), vec![-1.0, -2.0]);
/// ```
pub fn scale(step_size: f64) -> Scale {
    Scale { step_size }
}

fn scale_leaves(g: &[Tensor], step_size: f64) -> Vec<Tensor> {
    g.iter().map(|g| g * step_size).collect()
}

stateless_impl!(Scale, "scale", |s, g, _p| scale_leaves(g, s.step_size));

/// The state of [`scale_by_schedule`] (optax's `ScaleByScheduleState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let t = optim::scale_by_schedule(optim::constant_schedule(0.1));
/// assert_eq!(t.init(&Tensor::scalar(0.0f32)).count.item::<i32>(), 0);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct ScaleByScheduleState {
    /// The number of updates so far (an `i32` scalar).
    pub count: Tensor,
}

/// Multiplies the updates by a schedule of the step count; made by [`scale_by_schedule`].
///
/// ```
/// use ferrax::optim::{self, ScaleBySchedule};
/// let t: ScaleBySchedule = optim::scale_by_schedule(optim::constant_schedule(0.1));
/// # let _ = t;
/// ```
#[derive(Clone, Debug)]
pub struct ScaleBySchedule {
    schedule: Schedule,
}

/// Multiplies the updates by `schedule(count)` and counts steps (optax's `scale_by_schedule`;
/// the value at step 0 scales the first update).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let t = optim::scale_by_schedule(optim::exponential_decay(1.0, 1, 0.5, 0, false, None));
/// let g = Tensor::scalar(1.0f32);
/// let s = t.init(&g);
/// let (u0, s) = t.update(&g, &s, &g);
/// let (u1, _) = t.update(&g, &s, &g);
/// assert_eq!((u0.item::<f32>(), u1.item::<f32>()), (1.0, 0.5));
/// ```
pub fn scale_by_schedule(schedule: Schedule) -> ScaleBySchedule {
    ScaleBySchedule { schedule }
}

/// `g * step`, `step` cast to each leaf's dtype.
fn scale_by_tensor(g: &[Tensor], step: &Tensor) -> Vec<Tensor> {
    g.iter().map(|g| g * step.cast(g.dtype())).collect()
}

impl GradientTransformation for ScaleBySchedule {
    type State<P: PyTree + Clone> = ScaleByScheduleState;
    fn init<P: PyTree + Clone>(&self, _params: &P) -> ScaleByScheduleState {
        ScaleByScheduleState {
            count: zero_count(),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &ScaleByScheduleState,
        params: &P,
    ) -> (P, ScaleByScheduleState) {
        let step = self.schedule.call(&state.count);
        let u = map_leaves("scale_by_schedule", updates, params, |g, _| {
            scale_by_tensor(g, &step)
        });
        let count = safe_increment(&state.count);
        (u, ScaleByScheduleState { count })
    }
}

/// Scales by `-learning_rate`; made by [`scale_by_learning_rate`]. Its state is `None` for a
/// constant rate and a step count for a schedule.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let constant = optim::scale_by_learning_rate(0.1);
/// assert!(constant.init(&Tensor::scalar(0.0f32)).is_none());
/// let scheduled = optim::scale_by_learning_rate(optim::constant_schedule(0.1));
/// assert_eq!(scheduled.init(&Tensor::scalar(0.0f32)).unwrap().count.item::<i32>(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct ScaleByLearningRate {
    learning_rate: LearningRate,
}

/// Scales by `-learning_rate` (a constant or a schedule): the last step of every optimizer
/// alias (optax's `scale_by_learning_rate`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::GradientTransformation;
/// let t = ferrax::optim::scale_by_learning_rate(0.1);
/// let g = Tensor::scalar(2.0f32);
/// assert_eq!(t.update(&g, &t.init(&g), &g).0.item::<f32>(), -0.2);
/// ```
pub fn scale_by_learning_rate(learning_rate: impl Into<LearningRate>) -> ScaleByLearningRate {
    ScaleByLearningRate {
        learning_rate: learning_rate.into(),
    }
}

impl GradientTransformation for ScaleByLearningRate {
    type State<P: PyTree + Clone> = Option<ScaleByScheduleState>;
    fn init<P: PyTree + Clone>(&self, _params: &P) -> Option<ScaleByScheduleState> {
        match self.learning_rate {
            LearningRate::Constant(_) | LearningRate::Tensor(_) => None,
            LearningRate::Schedule(_) => Some(ScaleByScheduleState {
                count: zero_count(),
            }),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &Option<ScaleByScheduleState>,
        params: &P,
    ) -> (P, Option<ScaleByScheduleState>) {
        const OP: &str = "scale_by_learning_rate";
        match (&self.learning_rate, state) {
            (LearningRate::Constant(lr), None) => (
                map_leaves(OP, updates, params, |g, _| scale_leaves(g, -lr)),
                None,
            ),
            (LearningRate::Tensor(lr), None) => (
                map_leaves(OP, updates, params, |g, _| scale_by_tensor(g, &-lr)),
                None,
            ),
            (LearningRate::Schedule(s), Some(st)) => {
                let step = -s.call(&st.count);
                let u = map_leaves(OP, updates, params, |g, _| scale_by_tensor(g, &step));
                let count = safe_increment(&st.count);
                (u, Some(ScaleByScheduleState { count }))
            }
            (lr, st) => panic!(
                "optim::{OP}: a {} learning rate got the state {st:?} (pass the state this \
                 optimizer's init returned)",
                match lr {
                    LearningRate::Constant(_) | LearningRate::Tensor(_) => "constant",
                    LearningRate::Schedule(_) => "scheduled",
                }
            ),
        }
    }
}

/// The state of [`add_decayed_weights`]: the mask, if any, evaluated by `init` (static: part of
/// the structure; `None` decays every leaf).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation, Mask};
/// let t = optim::add_decayed_weights(0.1, Some(Mask::from_leaves(vec![true, false])));
/// let s = t.init(&(Tensor::scalar(1.0f32), Tensor::scalar(1.0f32)));
/// assert_eq!(s.mask, Some(vec![true, false]));
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct AddDecayedWeightsState {
    /// Per parameter leaf: whether it is decayed (`None`: all are).
    #[pytree(static)]
    pub mask: Option<Vec<bool>>,
}

/// Adds `weight_decay * params` to the updates; made by [`add_decayed_weights`].
///
/// ```
/// let t: ferrax::optim::AddDecayedWeights = ferrax::optim::add_decayed_weights(1e-4, None);
/// # let _ = t;
/// ```
#[derive(Clone, Debug)]
pub struct AddDecayedWeights {
    weight_decay: f64,
    mask: Option<Mask>,
}

/// Adds `weight_decay * params` to the updates (decoupled weight decay, optax's
/// `add_decayed_weights`), optionally only on the leaves `mask` selects (commonly: not on
/// biases and normalization scales).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation, Mask};
/// let p = (Tensor::ones(&[2, 2], DType::F32), Tensor::ones(&[2], DType::F32));
/// let g = ferrax::optim::tree_utils::tree_zeros_like(&p);
/// let t = optim::add_decayed_weights(0.1, Some(Mask::new(|_, p| p.ndim() >= 2)));
/// let (u, _) = t.update(&g, &t.init(&p), &p);
/// assert_eq!((u.0.to_vec::<f32>()[0], u.1.to_vec::<f32>()[0]), (0.1, 0.0));
/// ```
pub fn add_decayed_weights(weight_decay: f64, mask: Option<Mask>) -> AddDecayedWeights {
    AddDecayedWeights { weight_decay, mask }
}

impl GradientTransformation for AddDecayedWeights {
    type State<P: PyTree + Clone> = AddDecayedWeightsState;
    #[track_caller]
    fn init<P: PyTree + Clone>(&self, params: &P) -> AddDecayedWeightsState {
        AddDecayedWeightsState {
            mask: self.mask.as_ref().map(|m| m.evaluate(params)),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &AddDecayedWeightsState,
        params: &P,
    ) -> (P, AddDecayedWeightsState) {
        const OP: &str = "add_decayed_weights";
        let (g, def) = flatten_updates(OP, updates, params);
        if let Some(m) = &state.mask {
            check_mask_len(OP, m, &def, g.len());
        }
        let wd = self.weight_decay;
        let u = if wd == 0.0 {
            g
        } else {
            let p = params.leaves();
            g.iter()
                .zip(&p)
                .enumerate()
                .map(|(i, (g, p))| match &state.mask {
                    Some(m) if !m[i] => g.clone(),
                    _ => g + p * wd,
                })
                .collect()
        };
        (P::unflatten(&def, u), state.clone())
    }
}

/// Clips the updates' global norm; made by [`clip_by_global_norm`].
///
/// ```
/// let t: ferrax::optim::ClipByGlobalNorm = ferrax::optim::clip_by_global_norm(1.0);
/// assert_eq!(t.max_norm, 1.0);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ClipByGlobalNorm {
    /// The largest global L2 norm let through.
    pub max_norm: f64,
}

/// Rescales all updates together so their global L2 norm is at most `max_norm`
/// (`u * max_norm / ‖u‖` when `‖u‖ >= max_norm`, unchanged otherwise; optax's
/// `clip_by_global_norm`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::GradientTransformation;
/// let t = ferrax::optim::clip_by_global_norm(1.0);
/// let g = (Tensor::scalar(3.0f32), Tensor::scalar(4.0f32));
/// let (u, _) = t.update(&g, &t.init(&g), &g);
/// assert!((u.0.item::<f32>() - 0.6).abs() < 1e-6 && (u.1.item::<f32>() - 0.8).abs() < 1e-6);
/// ```
pub fn clip_by_global_norm(max_norm: f64) -> ClipByGlobalNorm {
    ClipByGlobalNorm { max_norm }
}

fn clip_leaves(g: &[Tensor], max_norm: f64) -> Vec<Tensor> {
    let norm = leaves_global_norm(g);
    let trigger = norm.lt(max_norm);
    g.iter()
        .map(|t| {
            let clipped = t / norm.cast(t.dtype()) * max_norm;
            jnp::where_(&trigger, t, clipped)
        })
        .collect()
}

stateless_impl!(ClipByGlobalNorm, "clip_by_global_norm", |s, g, _p| {
    clip_leaves(g, s.max_norm)
});
