//! Wrappers around other transformations, with optax's semantics: `zero_nans`,
//! `apply_if_finite`, `MultiSteps` (gradient accumulation) and
//! `multi_transform` (a transformation per group of parameters, by label).

use super::tree_utils::check_state_like;
use super::{
    flatten_updates, safe_increment, zero_count, GradientTransformation, Mask, Masked, MaskedState,
    Schedule,
};
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};
use crate::tree::{KeyPath, PyTree};
use std::sync::Arc;

/// `where(c, a, b)` on every leaf of two states of the same structure (the static parts come
/// from `a`).
fn select_tree<S: PyTree>(c: &Tensor, a: &S, b: &S) -> S {
    let (la, def) = a.flatten();
    let lb = b.leaves();
    let out = la
        .iter()
        .zip(&lb)
        .map(|(x, y)| jnp::where_(c, x, y).cast(y.dtype()))
        .collect();
    S::unflatten(&def, out)
}

/// The state of [`zero_nans`] (optax's `ZeroNansState`): per update leaf, whether it had a NaN.
///
/// ```
/// use ferrax::prelude::*;
/// let s = ferrax::optim::zero_nans().init(&(Tensor::scalar(1.0f32), Tensor::scalar(2.0f32)));
/// assert!(!s.found_nan.0.item::<bool>());
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct ZeroNansState<P> {
    /// Per leaf, a `bool` scalar: the last update had a NaN there.
    pub found_nan: P,
}

/// Replaces NaNs by zeros; made by [`zero_nans`].
///
/// ```
/// let t: ferrax::optim::ZeroNans = ferrax::optim::zero_nans();
/// # let _ = t;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ZeroNans;

/// Replaces NaN updates by 0 and records, per leaf, whether there was one (optax's
/// `zero_nans`).
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::optim::zero_nans();
/// let g = Tensor::from_vec(vec![1.0f32, f32::NAN], &[2]);
/// let (u, s) = t.update(&g, &t.init(&g), &g);
/// assert_eq!(u.to_vec::<f32>(), vec![1.0, 0.0]);
/// assert!(s.found_nan.item::<bool>());
/// ```
pub fn zero_nans() -> ZeroNans {
    ZeroNans
}

impl GradientTransformation for ZeroNans {
    type State<P: PyTree + Clone> = ZeroNansState<P>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> ZeroNansState<P> {
        ZeroNansState {
            found_nan: crate::tree::tree_map(params, |_| Tensor::scalar(false)),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        _state: &ZeroNansState<P>,
        params: &P,
    ) -> (P, ZeroNansState<P>) {
        let (g, def) = flatten_updates("zero_nans", updates, params);
        let found = g.iter().map(|g| jnp::isnan(g).any()).collect();
        let u = g
            .iter()
            .map(|g| jnp::where_(&jnp::isnan(g), jnp::zeros_like(g), g))
            .collect();
        (
            P::unflatten(&def, u),
            ZeroNansState {
                found_nan: P::unflatten(&def, found),
            },
        )
    }
}

/// The state of [`apply_if_finite`] (optax's `ApplyIfFiniteState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim;
/// let s = optim::apply_if_finite(optim::sgd(0.1, None, false), 3).init(&Tensor::scalar(1.0f32));
/// assert_eq!(s.total_notfinite.item::<i32>(), 0);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct ApplyIfFiniteState<S> {
    /// Consecutive steps with a non-finite update so far (`i32`).
    pub notfinite_count: Tensor,
    /// Whether the last update was finite (`bool`).
    pub last_finite: Tensor,
    /// All steps with a non-finite update so far (`i32`).
    pub total_notfinite: Tensor,
    /// The inner transformation's state (unchanged by rejected steps).
    pub inner_state: S,
}

/// `inner` applied only to finite updates; made by [`apply_if_finite`].
///
/// ```
/// use ferrax::optim::{self, ApplyIfFinite, Sgd};
/// let t: ApplyIfFinite<Sgd> = optim::apply_if_finite(optim::sgd(0.1, None, false), 3);
/// # let _ = t;
/// ```
#[derive(Clone, Debug)]
pub struct ApplyIfFinite<T> {
    inner: T,
    max_consecutive_errors: i32,
}

/// Skips steps whose updates hold a NaN or infinity (zero updates, inner state kept), unless
/// more than `max_consecutive_errors` happened in a row, then applies them anyway (optax's
/// `apply_if_finite`; the loss-scaling companion of mixed precision).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::apply_if_finite(ferrax::optim::sgd(0.1, None, false), 2);
/// let p = Tensor::scalar(1.0f32);
/// let (u, s) = opt.update(&Tensor::scalar(f32::INFINITY), &opt.init(&p), &p);
/// assert_eq!((u.item::<f32>(), s.notfinite_count.item::<i32>()), (0.0, 1));
/// let (u, s) = opt.update(&Tensor::scalar(1.0f32), &s, &p);
/// assert!((u.item::<f32>() + 0.1).abs() < 1e-7 && s.last_finite.item::<bool>());
/// ```
pub fn apply_if_finite<T: GradientTransformation>(
    inner: T,
    max_consecutive_errors: i32,
) -> ApplyIfFinite<T> {
    ApplyIfFinite {
        inner,
        max_consecutive_errors,
    }
}

impl<T: GradientTransformation> GradientTransformation for ApplyIfFinite<T> {
    type State<P: PyTree + Clone> = ApplyIfFiniteState<T::State<P>>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> Self::State<P> {
        ApplyIfFiniteState {
            notfinite_count: zero_count(),
            last_finite: Tensor::scalar(true),
            total_notfinite: zero_count(),
            inner_state: self.inner.init(params),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &Self::State<P>,
        params: &P,
    ) -> (P, Self::State<P>) {
        let (g, def) = flatten_updates("apply_if_finite", updates, params);
        let finite = g
            .iter()
            .map(|g| jnp::isfinite(g).all())
            .reduce(|a, b| jnp::logical_and(a, b))
            .unwrap_or_else(|| Tensor::scalar(true));
        let notfinite_count = jnp::where_(&finite, 0, safe_increment(&state.notfinite_count));
        let apply = jnp::logical_or(&finite, notfinite_count.gt(self.max_consecutive_errors));
        let (u, inner) = self.inner.update(updates, &state.inner_state, params);
        let u = u
            .leaves()
            .iter()
            .zip(&g)
            .map(|(u, g)| jnp::where_(&apply, u, jnp::zeros_like(g)))
            .collect();
        let state = ApplyIfFiniteState {
            total_notfinite: jnp::where_(
                &finite,
                &state.total_notfinite,
                safe_increment(&state.total_notfinite),
            ),
            notfinite_count,
            last_finite: finite,
            inner_state: select_tree(&apply, &inner, &state.inner_state),
        };
        (P::unflatten(&def, u), state)
    }
}

/// The state of [`MultiSteps`] (optax's `MultiStepsState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, MultiSteps};
/// let s = MultiSteps::new(optim::sgd(0.1, None, false), 4).init(&Tensor::scalar(1.0f32));
/// assert_eq!((s.mini_step.item::<i32>(), s.gradient_step.item::<i32>()), (0, 0));
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct MultiStepsState<P, S> {
    /// The mini-step within the current accumulation (`i32`).
    pub mini_step: Tensor,
    /// The number of inner updates made (`i32`).
    pub gradient_step: Tensor,
    /// The inner optimizer's state.
    pub inner_opt_state: S,
    /// The accumulated gradients (their mean with `use_grad_mean`).
    pub acc_grads: P,
}

/// Gradient accumulation (optax's `MultiSteps`): the inner optimizer updates once every `k`
/// calls, with the mean (or sum) of the `k` gradients; the other calls return zero updates.
/// `k` may follow a schedule of the number of inner updates (`every_k_schedule`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, MultiSteps};
/// let opt = MultiSteps::new(optim::sgd(1.0, None, false), 2);
/// let p = Tensor::scalar(0.0f32);
/// let s = opt.init(&p);
/// let (u0, s) = opt.update(&Tensor::scalar(1.0f32), &s, &p);
/// let (u1, s) = opt.update(&Tensor::scalar(3.0f32), &s, &p);
/// assert_eq!((u0.item::<f32>(), u1.item::<f32>()), (0.0, -2.0));
/// assert!(MultiSteps::<optim::Sgd>::has_updated(&s).item::<bool>());
/// ```
#[derive(Clone, Debug)]
pub struct MultiSteps<T> {
    inner: T,
    every_k: Schedule,
    use_grad_mean: bool,
}

impl<T: GradientTransformation> MultiSteps<T> {
    /// Accumulates `every_k` gradients (their mean) per inner update.
    ///
    /// ```
    /// let opt = ferrax::optim::MultiSteps::new(ferrax::optim::adam(1e-3), 8);
    /// # let _ = opt;
    /// ```
    pub fn new(inner: T, every_k: i32) -> MultiSteps<T> {
        MultiSteps {
            inner,
            every_k: super::constant_schedule(every_k as f64),
            use_grad_mean: true,
        }
    }

    /// Accumulates `every_k_schedule(gradient_step)` gradients per inner update (the schedule's
    /// value is truncated to an integer), summing them instead of averaging if
    /// `use_grad_mean` is false.
    ///
    /// ```
    /// use ferrax::optim::{self, MultiSteps};
    /// let k = optim::piecewise_constant_schedule(1.0, vec![(2, 4.0)]);
    /// let opt = MultiSteps::with_schedule(optim::adam(1e-3), k, false);
    /// # let _ = opt;
    /// ```
    pub fn with_schedule(inner: T, every_k_schedule: Schedule, use_grad_mean: bool) -> Self {
        MultiSteps {
            inner,
            every_k: every_k_schedule,
            use_grad_mean,
        }
    }

    /// Whether the last call made an inner update (optax's `MultiSteps.has_updated`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::optim::{self, MultiSteps};
    /// let opt = MultiSteps::new(optim::sgd(1.0, None, false), 2);
    /// let s = opt.init(&Tensor::scalar(0.0f32));
    /// assert!(!MultiSteps::<optim::Sgd>::has_updated(&s).item::<bool>());
    /// ```
    pub fn has_updated<P, S>(state: &MultiStepsState<P, S>) -> Tensor {
        jnp::logical_and(state.mini_step.eq(0), state.gradient_step.gt(0))
    }
}

impl<T: GradientTransformation> GradientTransformation for MultiSteps<T> {
    type State<P: PyTree + Clone> = MultiStepsState<P, T::State<P>>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> Self::State<P> {
        MultiStepsState {
            mini_step: zero_count(),
            gradient_step: zero_count(),
            inner_opt_state: self.inner.init(params),
            acc_grads: super::tree_utils::tree_zeros_like(params),
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &Self::State<P>,
        params: &P,
    ) -> (P, Self::State<P>) {
        const OP: &str = "MultiSteps";
        let (g, def) = flatten_updates(OP, updates, params);
        let acc = check_state_like(OP, &state.acc_grads, params);
        let k = self.every_k.call(&state.gradient_step).cast(DType::I32);
        let n = &state.mini_step;
        let acc: Vec<Tensor> = g
            .iter()
            .zip(&acc)
            .map(|(g, a)| {
                if self.use_grad_mean {
                    a + (g - a) / (n + 1).cast(g.dtype())
                } else {
                    g + a
                }
            })
            .collect();
        let (u, inner) = self.inner.update(
            &P::unflatten(&def, acc.clone()),
            &state.inner_opt_state,
            params,
        );
        let emit = n.eq(&k - 1);
        let keep = emit.not();
        let u = u
            .leaves()
            .iter()
            .map(|u| u * emit.cast(u.dtype()))
            .collect();
        let state = MultiStepsState {
            mini_step: safe_increment(n) % &k,
            gradient_step: jnp::where_(
                &emit,
                safe_increment(&state.gradient_step),
                &state.gradient_step,
            ),
            inner_opt_state: select_tree(&emit, &inner, &state.inner_opt_state),
            acc_grads: P::unflatten(&def, acc.iter().map(|a| a * keep.cast(a.dtype())).collect()),
        };
        (P::unflatten(&def, u), state)
    }
}

/// Which group each parameter leaf belongs to in [`multi_transform`]: a function of its key
/// path and value, or an explicit list in leaf order (optax's `param_labels`).
///
/// ```
/// use ferrax::optim::Labels;
/// let by_rank = Labels::new(|_path, p| if p.ndim() >= 2 { "matrices" } else { "vectors" });
/// let listed = Labels::from_leaves(vec!["adam", "sgd"]);
/// # let _ = (by_rank, listed);
/// ```
#[derive(Clone)]
pub struct Labels(LabelKind);

type LabelFn = dyn Fn(&KeyPath, &Tensor) -> &'static str + Send + Sync;

#[derive(Clone)]
enum LabelKind {
    Pred(Arc<LabelFn>),
    Leaves(Arc<[&'static str]>),
}

impl std::fmt::Debug for Labels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            LabelKind::Pred(_) => f.write_str("Labels(<fn>)"),
            LabelKind::Leaves(l) => write!(f, "Labels({l:?})"),
        }
    }
}

impl Labels {
    /// Labels from a function of each leaf's key path and value.
    ///
    /// ```
    /// let l = ferrax::optim::Labels::new(|path, _| if path.to_string().ends_with(".b") { "bias" } else { "weight" });
    /// # let _ = l;
    /// ```
    pub fn new(f: impl Fn(&KeyPath, &Tensor) -> &'static str + Send + Sync + 'static) -> Labels {
        Labels(LabelKind::Pred(Arc::new(f)))
    }

    /// Labels given leaf by leaf, in the parameters' leaf order.
    ///
    /// ```
    /// let l = ferrax::optim::Labels::from_leaves(vec!["a", "b"]);
    /// # let _ = l;
    /// ```
    pub fn from_leaves(labels: Vec<&'static str>) -> Labels {
        Labels(LabelKind::Leaves(labels.into()))
    }

    #[track_caller]
    fn evaluate<P: PyTree>(&self, params: &P) -> Vec<&'static str> {
        let leaves = params.flatten_with_path();
        match &self.0 {
            LabelKind::Pred(f) => leaves.iter().map(|(k, p)| f(k, p)).collect(),
            LabelKind::Leaves(l) => {
                assert!(
                    l.len() == leaves.len(),
                    "optim::multi_transform: {} labels for params with {} leaves",
                    l.len(),
                    leaves.len()
                );
                l.to_vec()
            }
        }
    }
}

/// A transformation per group of parameters; made by [`multi_transform`]. `T` is a tuple of
/// `(label, transformation)` pairs (up to 4).
///
/// ```
/// use ferrax::optim::{self, Labels, MultiTransform};
/// let t: MultiTransform<((&str, optim::Adam), (&str, optim::Sgd))> = optim::multi_transform(
///     (("adam", optim::adam(1e-3)), ("sgd", optim::sgd(0.1, None, false))),
///     Labels::from_leaves(vec!["adam", "sgd"]),
/// );
/// # let _ = t;
/// ```
#[derive(Clone, Debug)]
pub struct MultiTransform<T> {
    parts: T,
    labels: Labels,
}

/// Applies each transformation of `parts` to the parameters labelled with its name (optax's
/// `multi_transform` / `partition`): each leaf is transformed by exactly one of them. Panics at
/// `init` if a label names no transformation.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, Labels};
/// let opt = optim::multi_transform(
///     (("fast", optim::sgd(1.0, None, false)), ("frozen", optim::scale(0.0))),
///     Labels::new(|_, p| if p.ndim() == 0 { "frozen" } else { "fast" }),
/// );
/// let p = (Tensor::ones(&[2], DType::F32), Tensor::scalar(1.0f32));
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert_eq!((u.0.to_vec::<f32>(), u.1.item::<f32>()), (vec![-1.0, -1.0], 0.0));
/// ```
pub fn multi_transform<T>(parts: T, labels: Labels) -> MultiTransform<T>
where
    MultiTransform<T>: GradientTransformation,
{
    MultiTransform { parts, labels }
}

macro_rules! multi_tuple {
    ($($t:ident $i:tt),+) => {
        impl<$($t: GradientTransformation),+> GradientTransformation
            for MultiTransform<($((&'static str, $t),)+)>
        {
            type State<P: PyTree + Clone> = ($(MaskedState<$t::State<Vec<Tensor>>>,)+);
            #[track_caller]
            fn init<P: PyTree + Clone>(&self, params: &P) -> Self::State<P> {
                let labels = self.labels.evaluate(params);
                let names = [$(self.parts.$i.0),+];
                if let Some(l) = labels.iter().find(|l| !names.contains(l)) {
                    panic!(
                        "optim::multi_transform: the label {l:?} names no transformation \
                         (the transformations are {names:?})"
                    );
                }
                ($({
                    let m = labels.iter().map(|l| *l == self.parts.$i.0).collect();
                    crate::optim::masked(self.parts.$i.1.clone(), Mask::from_leaves(m)).init(params)
                },)+)
            }
            #[track_caller]
            fn update<P: PyTree + Clone>(
                &self,
                updates: &P,
                state: &Self::State<P>,
                params: &P,
            ) -> (P, Self::State<P>) {
                let u = updates.clone();
                $(
                    let part: Masked<$t> = crate::optim::masked(
                        self.parts.$i.1.clone(),
                        Mask::from_leaves(state.$i.mask.clone()),
                    );
                    let (u, $t) = part.update(&u, &state.$i, params);
                )+
                (u, ($($t,)+))
            }
        }
    };
}

#[allow(non_snake_case)]
mod multi_impls {
    use super::*;
    multi_tuple!(A 0);
    multi_tuple!(A 0, B 1);
    multi_tuple!(A 0, B 1, C 2);
    multi_tuple!(A 0, B 1, C 2, D 3);
}
