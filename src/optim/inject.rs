//! `inject_hyperparams`: hyperparameters kept in the optimizer state, so they can be read and
//! changed between steps (also of a jitted step), or follow schedules (optax's
//! `inject_hyperparams`).

use super::{safe_increment, zero_count, GradientTransformation, LearningRate};
use crate::tensor::{DType, Tensor};
use crate::tree::PyTree;
use std::sync::Arc;

/// The hyperparameter values one step uses, by name: what the factory of
/// [`inject_hyperparams`] builds the optimizer from.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let opt = optim::inject_hyperparams(|h| optim::sgd(h.get("learning_rate"), None, false), vec![("learning_rate", 0.5.into())]);
/// let s = opt.init(&Tensor::scalar(0.0f32));
/// assert_eq!(s.hyperparams[0].item::<f32>(), 0.5);
/// ```
#[derive(Clone, Debug)]
pub struct Hyperparams<'a> {
    names: &'a [&'static str],
    values: &'a [Tensor],
}

impl Hyperparams<'_> {
    /// The value of `name` (a scalar tensor, traced inside `jit`). Panics if there is none.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::optim::{self, GradientTransformation};
    /// let opt = optim::inject_hyperparams(|h| optim::scale_by_learning_rate(h.get("lr")), vec![("lr", 2.0.into())]);
    /// let g = Tensor::scalar(1.0f32);
    /// assert_eq!(opt.update(&g, &opt.init(&g), &g).0.item::<f32>(), -2.0);
    /// ```
    #[track_caller]
    pub fn get(&self, name: &str) -> Tensor {
        let i = self
            .names
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| {
                panic!(
                    "optim::inject_hyperparams: no hyperparameter {name:?} (there are {:?})",
                    self.names
                )
            });
        self.values[i].clone()
    }
}

/// The state of [`InjectHyperparams`] (optax's `InjectHyperparamsState`): the values used by
/// the last step, in the order they were given (change them between steps to change the
/// optimizer: see [`InjectHyperparams::set`]).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let opt = optim::inject_hyperparams(|h| optim::adam(h.get("learning_rate")), vec![("learning_rate", 1e-3.into())]);
/// let s = opt.init(&Tensor::scalar(0.0f32));
/// assert_eq!(s.count.item::<i32>(), 0);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct InjectHyperparamsState<S> {
    /// The number of updates so far (an `i32` scalar).
    pub count: Tensor,
    /// The hyperparameters' current values (scalars in the parameters' float dtype).
    pub hyperparams: Vec<Tensor>,
    /// The inner optimizer's state.
    pub inner_state: S,
}

type Factory<T> = dyn Fn(&Hyperparams) -> T + Send + Sync;

/// An optimizer rebuilt every step from hyperparameters kept in its state; made by
/// [`inject_hyperparams`].
///
/// ```
/// use ferrax::optim::{self, InjectHyperparams};
/// let opt: InjectHyperparams<optim::Adam> = optim::inject_hyperparams(|h| optim::adam(h.get("learning_rate")), vec![("learning_rate", 1e-3.into())]);
/// # let _ = opt;
/// ```
#[derive(Clone)]
pub struct InjectHyperparams<T> {
    factory: Arc<Factory<T>>,
    names: Vec<&'static str>,
    values: Vec<LearningRate>,
}

impl<T> std::fmt::Debug for InjectHyperparams<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InjectHyperparams({:?})", self.names)
    }
}

/// Keeps the named hyperparameters in the optimizer state (optax's `inject_hyperparams`):
/// `factory` builds the optimizer from their current values each step. A constant starts in the
/// state and stays until changed ([`InjectHyperparams::set`]); a [`Schedule`](super::Schedule)
/// is evaluated at the step count every step. Values pass to the factory as scalar tensors, so
/// learning rates (which accept tensors) may be changed between the steps of one jitted step
/// function without retracing.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let opt = optim::inject_hyperparams(|h| optim::sgd(h.get("learning_rate"), None, false), vec![("learning_rate", 0.1.into())]);
/// let p = Tensor::scalar(0.0f32);
/// let g = Tensor::scalar(1.0f32);
/// let s = opt.init(&p);
/// let (u0, s) = opt.update(&g, &s, &p);
/// let s = opt.set(s, "learning_rate", 0.01);
/// let (u1, _) = opt.update(&g, &s, &p);
/// assert_eq!((u0.item::<f32>(), u1.item::<f32>()), (-0.1, -0.01));
/// ```
pub fn inject_hyperparams<T: GradientTransformation>(
    factory: impl Fn(&Hyperparams) -> T + Send + Sync + 'static,
    hyperparams: Vec<(&'static str, LearningRate)>,
) -> InjectHyperparams<T> {
    let (names, values) = hyperparams.into_iter().unzip();
    InjectHyperparams {
        factory: Arc::new(factory),
        names,
        values,
    }
}

impl<T: GradientTransformation> InjectHyperparams<T> {
    /// `state` with hyperparameter `name` set to `value` (what optax users do with
    /// `state.hyperparams[name] = value`). A scheduled hyperparameter is recomputed at the next
    /// step regardless. Panics if there is no such hyperparameter.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::optim::{self, GradientTransformation};
    /// let opt = optim::inject_hyperparams(|h| optim::adam(h.get("lr")), vec![("lr", 0.1.into())]);
    /// let s = opt.set(opt.init(&Tensor::scalar(0.0f32)), "lr", 0.2);
    /// assert_eq!(s.hyperparams[0].item::<f32>(), 0.2);
    /// ```
    #[track_caller]
    pub fn set<S>(
        &self,
        mut state: InjectHyperparamsState<S>,
        name: &str,
        value: f64,
    ) -> InjectHyperparamsState<S> {
        let i = self.index(name);
        let dtype = state.hyperparams[i].dtype();
        state.hyperparams[i] = Tensor::full(&[], value, dtype);
        state
    }

    #[track_caller]
    fn index(&self, name: &str) -> usize {
        self.names
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| {
                panic!(
                    "optim::inject_hyperparams: no hyperparameter {name:?} (there are {:?})",
                    self.names
                )
            })
    }

    /// The values at `count`: schedules evaluated, constants from `current`.
    fn values_at(&self, count: &Tensor, current: &[Tensor], dtype: DType) -> Vec<Tensor> {
        self.values
            .iter()
            .zip(current)
            .map(|(v, c)| match v {
                LearningRate::Schedule(s) => s.call(count).cast(dtype),
                _ => c.cast(dtype),
            })
            .collect()
    }
}

/// The widest float dtype among the leaves (optax's `tree.dtype(params, 'highest')`), `f32`
/// without float leaves.
fn highest_float<P: PyTree>(params: &P) -> DType {
    if params.leaves().iter().any(|p| p.dtype() == DType::F64) {
        DType::F64
    } else {
        DType::F32
    }
}

impl<T: GradientTransformation> GradientTransformation for InjectHyperparams<T> {
    type State<P: PyTree + Clone> = InjectHyperparamsState<T::State<P>>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> Self::State<P> {
        let dtype = highest_float(params);
        let count = zero_count();
        let initial: Vec<Tensor> = self
            .values
            .iter()
            .map(|v| match v {
                LearningRate::Constant(c) => Tensor::full(&[], *c, dtype),
                LearningRate::Tensor(t) => t.cast(dtype),
                LearningRate::Schedule(s) => s.call(&count).cast(dtype),
            })
            .collect();
        let inner = (self.factory)(&Hyperparams {
            names: &self.names,
            values: &initial,
        });
        InjectHyperparamsState {
            inner_state: inner.init(params),
            count,
            hyperparams: initial,
        }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &Self::State<P>,
        params: &P,
    ) -> (P, Self::State<P>) {
        assert!(
            state.hyperparams.len() == self.names.len(),
            "optim::inject_hyperparams: the state has {} hyperparameters, this optimizer {:?}",
            state.hyperparams.len(),
            self.names
        );
        let values = self.values_at(&state.count, &state.hyperparams, highest_float(params));
        let inner = (self.factory)(&Hyperparams {
            names: &self.names,
            values: &values,
        });
        let (u, inner_state) = inner.update(updates, &state.inner_state, params);
        let state = InjectHyperparamsState {
            count: safe_increment(&state.count),
            hyperparams: values,
            inner_state,
        };
        (u, state)
    }
}
