//! Lookahead (optax's `lookahead`): a fast optimizer steps `sync_period` times, then the slow
//! weights move a fraction of the way to the fast ones and the fast weights restart from there.

use super::tree_utils::check_state_like;
use super::GradientTransformation;
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};
use crate::tree::PyTree;

/// The fast and slow copies of the parameters (optax's `LookaheadParams`).
///
/// ```
/// use ferrax::prelude::*;
/// let p = ferrax::optim::LookaheadParams::init_synced(Tensor::scalar(1.0f32));
/// assert_eq!((p.fast.item::<f32>(), p.slow.item::<f32>()), (1.0, 1.0));
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct LookaheadParams<P> {
    /// The weights the fast optimizer updates (use them for the gradient).
    pub fast: P,
    /// The slow weights (use them for evaluation).
    pub slow: P,
}

impl<P: PyTree + Clone> LookaheadParams<P> {
    /// Both copies equal to `params` (optax's `init_synced`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let p = ferrax::optim::LookaheadParams::init_synced(vec![Tensor::scalar(2.0f32)]);
    /// assert_eq!(p.slow[0].item::<f32>(), 2.0);
    /// ```
    pub fn init_synced(params: P) -> LookaheadParams<P> {
        LookaheadParams {
            fast: params.clone(),
            slow: params,
        }
    }
}

/// The state of [`Lookahead`] (optax's `LookaheadState`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, LookaheadParams};
/// let la = optim::lookahead(optim::sgd(0.1, None, false), 5, 0.5, false);
/// let s = la.init(&LookaheadParams::init_synced(Tensor::scalar(1.0f32)));
/// assert_eq!(s.steps_since_sync.item::<i32>(), 0);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct LookaheadState<S> {
    /// The fast optimizer's state.
    pub fast_state: S,
    /// Steps since the last synchronization (`i32`).
    pub steps_since_sync: Tensor,
}

/// Lookahead around a fast optimizer; made by [`lookahead`]. Its `init`/`update` take
/// [`LookaheadParams`] (the gradient is of the fast weights), so it is not itself a
/// [`GradientTransformation`] to chain, as in optax.
///
/// ```
/// use ferrax::optim::{self, Lookahead};
/// let la: Lookahead<optim::Adam> = optim::lookahead(optim::adam(1e-3), 6, 0.5, false);
/// # let _ = la;
/// ```
#[derive(Clone, Debug)]
pub struct Lookahead<T> {
    fast: T,
    sync_period: i32,
    slow_step_size: f64,
    reset_state: bool,
}

/// Lookahead (optax's `lookahead`): every `sync_period` steps the slow weights move
/// `slow_step_size` of the way to the fast ones and the fast weights are set to them (and the
/// fast optimizer's state is reset if `reset_state`). Panics if `sync_period < 1`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, LookaheadParams};
/// let la = optim::lookahead(optim::sgd(1.0, None, false), 2, 0.5, false);
/// let mut p = LookaheadParams::init_synced(Tensor::scalar(0.0f32));
/// let mut s = la.init(&p);
/// for _ in 0..2 {
///     let (u, s2) = la.update(&Tensor::scalar(-1.0f32), &s, &p);
///     p = optim::apply_updates(&p, &u);
///     s = s2;
/// }
/// // Fast went 0 -> 1 -> 2; at the sync both become 0 + 0.5 * 2.
/// assert_eq!((p.fast.item::<f32>(), p.slow.item::<f32>()), (1.0, 1.0));
/// ```
#[track_caller]
pub fn lookahead<T: GradientTransformation>(
    fast_optimizer: T,
    sync_period: i32,
    slow_step_size: f64,
    reset_state: bool,
) -> Lookahead<T> {
    assert!(
        sync_period >= 1,
        "optim::lookahead: synchronization period must be >= 1, got {sync_period}"
    );
    Lookahead {
        fast: fast_optimizer,
        sync_period,
        slow_step_size,
        reset_state,
    }
}

impl<T: GradientTransformation> Lookahead<T> {
    /// The initial state, for the fast weights of `params`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::optim::{self, LookaheadParams};
    /// let la = optim::lookahead(optim::adam(1e-3), 5, 0.5, false);
    /// let s = la.init(&LookaheadParams::init_synced(Tensor::scalar(1.0f32)));
    /// assert_eq!(s.fast_state.0.count.item::<i32>(), 0);
    /// ```
    pub fn init<P: PyTree + Clone>(
        &self,
        params: &LookaheadParams<P>,
    ) -> LookaheadState<T::State<P>> {
        LookaheadState {
            fast_state: self.fast.init(&params.fast),
            steps_since_sync: Tensor::zeros(&[], DType::I32),
        }
    }

    /// The updates of both copies for the gradient `grads` of the fast weights, and the new
    /// state; add them with [`apply_updates`](super::apply_updates).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::optim::{self, LookaheadParams};
    /// let la = optim::lookahead(optim::sgd(0.1, None, false), 5, 0.5, false);
    /// let p = LookaheadParams::init_synced(Tensor::scalar(1.0f32));
    /// let (u, _) = la.update(&Tensor::scalar(1.0f32), &la.init(&p), &p);
    /// assert_eq!((u.fast.item::<f32>(), u.slow.item::<f32>()), (-0.1, 0.0));
    /// ```
    #[track_caller]
    pub fn update<P: PyTree + Clone>(
        &self,
        grads: &P,
        state: &LookaheadState<T::State<P>>,
        params: &LookaheadParams<P>,
    ) -> (LookaheadParams<P>, LookaheadState<T::State<P>>) {
        let slow = check_state_like("lookahead", &params.slow, &params.fast);
        let (u, fast_state) = self.fast.update(grads, &state.fast_state, &params.fast);
        let sync = state.steps_since_sync.eq(self.sync_period - 1);
        let (u, def) = u.flatten();
        let ss = self.slow_step_size;
        let (mut fast_u, mut slow_u) = (vec![], vec![]);
        for ((u, f), s) in u.iter().zip(params.fast.leaves()).zip(&slow) {
            let diff = f + u - s;
            let sy = sync.cast(u.dtype());
            slow_u.push(&sy * ss * &diff);
            fast_u.push(u - &sy * (1.0 - ss) * &diff);
        }
        let fast_state = if self.reset_state {
            let init = self.fast.init(&params.fast);
            let (cur, sdef) = fast_state.flatten();
            let mixed = cur
                .iter()
                .zip(init.leaves())
                .map(|(c, i)| jnp::where_(&sync, &i, c).cast(c.dtype()))
                .collect();
            T::State::<P>::unflatten(&sdef, mixed)
        } else {
            fast_state
        };
        let state = LookaheadState {
            fast_state,
            steps_since_sync: (&state.steps_since_sync + 1) % self.sync_period,
        };
        let updates = LookaheadParams {
            fast: P::unflatten(&def, fast_u),
            slow: P::unflatten(&def, slow_u),
        };
        (updates, state)
    }
}
