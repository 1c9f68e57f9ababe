//! `ferrax::optim`: optax-style gradient transformations over pytrees.
//!
//! An optimizer is a [`GradientTransformation`]: `init(&params)` builds its state, and
//! `update(&grads, &state, &params)` returns the updates to add to the parameters with
//! [`apply_updates`], and the new state. Everything is built from public tensor ops, so a whole
//! training step (loss, gradient, update) can be `jit`ted, and the state ([`OptState`]) is a
//! pytree that flows through `jit` like the parameters. Step counts are `i32` tensors inside the
//! state and learning-rate [`Schedule`]s are functions of the (traced) count, so a jitted step
//! is traced once and reused for every step.
//!
//! The numerics follow optax (bias correction, `eps` placement, the sign convention that
//! updates are *added*), and the names too: `scale_by_adam`, `chain`, `adamw`, ...
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::optim;
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
//! ```

mod alias;
mod schedule;
mod transforms;
pub mod tree_utils;

pub use alias::{
    adagrad, adagrad_with, adam, adam_with, adamw, adamw_with, nadam, rmsprop, rmsprop_with, sgd,
    AdamOptions, RmsPropOptions,
};
pub use schedule::{
    constant_schedule, cosine_decay_schedule, exponential_decay, join_schedules, linear_schedule,
    polynomial_schedule, warmup_cosine_decay_schedule, LearningRate, Schedule,
};
pub use transforms::{
    add_decayed_weights, clip_by_global_norm, scale, scale_by_adam, scale_by_learning_rate,
    scale_by_rms, scale_by_rss, scale_by_schedule, scale_by_stddev, trace, Mask,
};

use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};
use crate::tree::{KeyPath, PyTree};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The state of a [`GradientTransformation`]: a pytree (so it goes through `jit`, `vmap`, and
/// can be saved like parameters) made of an optional step count, named per-leaf slots
/// (`"mu"`, `"nu"`, `"trace"`, ...; each holds one tensor per parameter leaf, in leaf order)
/// and inner states (a `chain`'s parts). `kind` names the transformation that made it, so
/// passing one optimizer's state to another is caught.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim;
/// let params = vec![Tensor::zeros(&[3], DType::F32)];
/// let state = optim::adam(1e-3).init(&params);
/// assert_eq!(state.kind(), "chain");
/// let adam = &state.inner()[0];
/// assert_eq!(adam.kind(), "scale_by_adam");
/// assert_eq!(adam.count().unwrap().dtype(), DType::I32);
/// let mu: Vec<Tensor> = adam.slot_as("mu", &params);
/// assert_eq!(mu[0].shape(), &[3]);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct OptState {
    #[pytree(static)]
    kind: &'static str,
    count: Option<Tensor>,
    slots: BTreeMap<String, Vec<Tensor>>,
    #[pytree(static)]
    mask: Option<Vec<bool>>,
    inner: Vec<OptState>,
}

impl OptState {
    /// An empty state of transformation `kind` (add parts with the `with_*` builders).
    ///
    /// ```
    /// let s = ferrax::optim::OptState::new("my_transform");
    /// assert_eq!(s.kind(), "my_transform");
    /// assert!(s.count().is_none());
    /// ```
    pub fn new(kind: &'static str) -> OptState {
        OptState {
            kind,
            count: None,
            slots: BTreeMap::new(),
            mask: None,
            inner: Vec::new(),
        }
    }

    /// Sets the step count (an `i32` scalar, as optax).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let s = ferrax::optim::OptState::new("t").with_count(Tensor::scalar(3i32));
    /// assert_eq!(s.count().unwrap().item::<i32>(), 3);
    /// ```
    pub fn with_count(mut self, count: Tensor) -> OptState {
        self.count = Some(count);
        self
    }

    /// Adds a named per-leaf slot.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let s = ferrax::optim::OptState::new("t").with_slot("m", vec![Tensor::scalar(1.0f32)]);
    /// assert_eq!(s.slot("m")[0].item::<f32>(), 1.0);
    /// ```
    pub fn with_slot(mut self, name: &str, leaves: Vec<Tensor>) -> OptState {
        self.slots.insert(name.to_string(), leaves);
        self
    }

    /// Sets the inner states (one per part of a combinator).
    ///
    /// ```
    /// use ferrax::optim::OptState;
    /// let s = OptState::new("outer").with_inner(vec![OptState::new("a")]);
    /// assert_eq!(s.inner()[0].kind(), "a");
    /// ```
    pub fn with_inner(mut self, inner: Vec<OptState>) -> OptState {
        self.inner = inner;
        self
    }

    /// Records a per-leaf mask (static data: it is part of the state's structure).
    ///
    /// ```
    /// use ferrax::optim::OptState;
    /// let s = OptState::new("masked").with_mask(vec![true, false]);
    /// assert_eq!(s.mask(), Some(&[true, false][..]));
    /// ```
    pub fn with_mask(mut self, mask: Vec<bool>) -> OptState {
        self.mask = Some(mask);
        self
    }

    /// The name of the transformation that made this state.
    ///
    /// ```
    /// assert_eq!(ferrax::optim::OptState::new("x").kind(), "x");
    /// ```
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The step count, if this transformation keeps one.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let s = ferrax::optim::scale_by_adam(0.9, 0.999, 1e-8, 0.0).init(&Tensor::scalar(0.0f32));
    /// assert_eq!(s.count().unwrap().item::<i32>(), 0);
    /// ```
    pub fn count(&self) -> Option<&Tensor> {
        self.count.as_ref()
    }

    /// A named slot's leaves. Panics naming the slot and the state's kind if it is missing.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let s = ferrax::optim::trace(0.9, false).init(&Tensor::ones(&[2], DType::F32));
    /// assert_eq!(s.slot("trace")[0].to_vec::<f32>(), vec![0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn slot(&self, name: &str) -> &[Tensor] {
        self.slots.get(name).map(Vec::as_slice).unwrap_or_else(|| {
            panic!(
                "OptState::slot: state of {} has no slot {name:?} (it has {:?})",
                self.kind,
                self.slots.keys().collect::<Vec<_>>()
            )
        })
    }

    /// A named slot rebuilt in the structure of `like` (usually the parameters).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let p = (Tensor::zeros(&[2], DType::F32), Tensor::scalar(1.0f32));
    /// let s = ferrax::optim::scale_by_rss(0.1, 1e-7).init(&p);
    /// let acc: (Tensor, Tensor) = s.slot_as("sum_of_squares", &p);
    /// assert_eq!(acc.1.item::<f32>(), 0.1);
    /// ```
    #[track_caller]
    pub fn slot_as<P: PyTree>(&self, name: &str, like: &P) -> P {
        P::unflatten(&like.treedef(), self.slot(name).to_vec())
    }

    /// The names of the slots, sorted.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let s = ferrax::optim::scale_by_adam(0.9, 0.999, 1e-8, 0.0).init(&Tensor::scalar(0.0f32));
    /// assert_eq!(s.slot_names(), vec!["mu", "nu"]);
    /// ```
    pub fn slot_names(&self) -> Vec<&str> {
        self.slots.keys().map(String::as_str).collect()
    }

    /// The inner states of a combinator (`chain`, `masked`), in order.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let s = ferrax::optim::sgd(0.1, 0.9, false).init(&Tensor::scalar(0.0f32));
    /// assert_eq!(s.inner()[0].kind(), "trace");
    /// ```
    pub fn inner(&self) -> &[OptState] {
        &self.inner
    }

    /// The per-leaf mask of a `masked` state.
    ///
    /// ```
    /// assert!(ferrax::optim::OptState::new("x").mask().is_none());
    /// ```
    pub fn mask(&self) -> Option<&[bool]> {
        self.mask.as_deref()
    }

    /// Panics unless this state was made by `kind` (an update called with another
    /// transformation's state).
    #[track_caller]
    pub(crate) fn expect_kind(&self, kind: &str) {
        assert!(
            self.kind == kind,
            "optim::{kind}: update got the state of {} (pass the state this transformation's \
             init returned)",
            self.kind
        );
    }

    #[track_caller]
    pub(crate) fn expect_count(&self, kind: &str) -> &Tensor {
        self.count
            .as_ref()
            .unwrap_or_else(|| panic!("optim::{kind}: state has no step count"))
    }
}

/// `init` of a transformation on flattened parameters (with their key paths, for masks).
pub type InitFn = dyn Fn(&[Tensor], &[KeyPath]) -> OptState + Send + Sync;
/// `update` of a transformation on flattened leaves: `(grads, state, params) -> (updates, state)`.
pub type UpdateFn =
    dyn Fn(&[Tensor], &OptState, &[Tensor]) -> (Vec<Tensor>, OptState) + Send + Sync;

/// A pair of pure functions `init`/`update`, as optax's `GradientTransformation`. Cheap to
/// clone (two `Arc`s) and `Send + Sync`; the functions see flattened leaves, so one value works
/// for every pytree type of parameters.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation, OptState};
/// // A custom transformation: the sign of the gradient.
/// let sign = GradientTransformation::new(
///     |_params, _paths| OptState::new("sign"),
///     |grads, state, _params| (grads.iter().map(|g| g.sign()).collect(), state.clone()),
/// );
/// let opt = optim::chain(vec![sign, optim::scale(-0.5)]);
/// let p = Tensor::from_vec(vec![3.0f32, -1.0], &[2]);
/// let s = opt.init(&p);
/// let (u, _) = opt.update(&p, &s, &p);
/// assert_eq!(u.to_vec::<f32>(), vec![-0.5, 0.5]);
/// ```
#[derive(Clone)]
pub struct GradientTransformation {
    init: Arc<InitFn>,
    update: Arc<UpdateFn>,
}

impl std::fmt::Debug for GradientTransformation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GradientTransformation { .. }")
    }
}

impl GradientTransformation {
    /// Wraps an `init` and an `update` function over flattened leaves.
    ///
    /// ```
    /// use ferrax::optim::{GradientTransformation, OptState};
    /// let id = GradientTransformation::new(|_, _| OptState::new("id"), |g, s, _| (g.to_vec(), s.clone()));
    /// let x = ferrax::Tensor::scalar(1.0f32);
    /// assert_eq!(id.update(&x, &id.init(&x), &x).0.item::<f32>(), 1.0);
    /// ```
    pub fn new(
        init: impl Fn(&[Tensor], &[KeyPath]) -> OptState + Send + Sync + 'static,
        update: impl Fn(&[Tensor], &OptState, &[Tensor]) -> (Vec<Tensor>, OptState)
            + Send
            + Sync
            + 'static,
    ) -> GradientTransformation {
        GradientTransformation {
            init: Arc::new(init),
            update: Arc::new(update),
        }
    }

    /// The initial state for `params` (any pytree).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let s = ferrax::optim::sgd(0.1, None, false).init(&Tensor::scalar(0.0f32));
    /// assert_eq!(s.kind(), "chain");
    /// ```
    pub fn init<P: PyTree>(&self, params: &P) -> OptState {
        let (leaves, def) = params.flatten();
        (self.init)(&leaves, &def.leaf_paths())
    }

    /// The updates for `grads` (same structure as `params`) and the new state. Add the updates
    /// to the parameters with [`apply_updates`].
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let opt = ferrax::optim::sgd(0.1, None, false);
    /// let p = Tensor::scalar(1.0f32);
    /// let (u, _) = opt.update(&Tensor::scalar(2.0f32), &opt.init(&p), &p);
    /// assert_eq!(u.item::<f32>(), -0.2);
    /// ```
    #[track_caller]
    pub fn update<P: PyTree>(&self, grads: &P, state: &OptState, params: &P) -> (P, OptState) {
        let (g, gdef) = grads.flatten();
        let (p, pdef) = params.flatten();
        assert!(
            gdef == pdef,
            "optim::update: grads have structure {gdef}, params {pdef}"
        );
        for (i, (g, p)) in g.iter().zip(&p).enumerate() {
            assert!(
                g.shape() == p.shape(),
                "optim::update: leaf {i}: grad shape {:?} differs from param shape {:?}",
                g.shape(),
                p.shape()
            );
        }
        let (u, s) = (self.update)(&g, state, &p);
        (P::unflatten(&gdef, u), s)
    }

    /// [`init`](Self::init) on flattened leaves and their key paths.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let s = ferrax::optim::scale(2.0).init_leaves(&[Tensor::scalar(0.0f32)], &[Default::default()]);
    /// assert_eq!(s.kind(), "scale");
    /// ```
    pub fn init_leaves(&self, params: &[Tensor], paths: &[KeyPath]) -> OptState {
        (self.init)(params, paths)
    }

    /// [`update`](Self::update) on flattened leaves.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let t = ferrax::optim::scale(2.0);
    /// let x = [Tensor::scalar(1.5f32)];
    /// let s = t.init_leaves(&x, &[Default::default()]);
    /// assert_eq!(t.update_leaves(&x, &s, &x).0[0].item::<f32>(), 3.0);
    /// ```
    pub fn update_leaves(
        &self,
        grads: &[Tensor],
        state: &OptState,
        params: &[Tensor],
    ) -> (Vec<Tensor>, OptState) {
        (self.update)(grads, state, params)
    }
}

/// The transformation that changes nothing (optax's `identity`).
///
/// ```
/// use ferrax::prelude::*;
/// let id = ferrax::optim::identity();
/// let g = Tensor::scalar(4.0f32);
/// assert_eq!(id.update(&g, &id.init(&g), &g).0.item::<f32>(), 4.0);
/// ```
pub fn identity() -> GradientTransformation {
    GradientTransformation::new(
        |_, _| OptState::new("identity"),
        |g, s, _| {
            s.expect_kind("identity");
            (g.to_vec(), s.clone())
        },
    )
}

/// Applies transformations in sequence, each to the previous one's updates (optax's `chain`);
/// the state holds one inner state per part.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim;
/// let opt = optim::chain(vec![optim::clip_by_global_norm(1.0), optim::scale(-0.1)]);
/// let g = Tensor::from_vec(vec![3.0f32, 4.0], &[2]);
/// let (u, _) = opt.update(&g, &opt.init(&g), &g);
/// let u = u.to_vec::<f32>();
/// assert!((u[0] + 0.06).abs() < 1e-7 && (u[1] + 0.08).abs() < 1e-7);
/// ```
pub fn chain(parts: Vec<GradientTransformation>) -> GradientTransformation {
    let parts: Arc<[GradientTransformation]> = parts.into();
    let p2 = parts.clone();
    GradientTransformation::new(
        move |params, paths| {
            OptState::new("chain")
                .with_inner(parts.iter().map(|t| t.init_leaves(params, paths)).collect())
        },
        move |grads, state, params| {
            state.expect_kind("chain");
            assert!(
                state.inner.len() == p2.len(),
                "optim::chain: state has {} parts, the chain {}",
                state.inner.len(),
                p2.len()
            );
            let mut updates = grads.to_vec();
            let mut inner = Vec::with_capacity(p2.len());
            for (t, s) in p2.iter().zip(&state.inner) {
                let (u, s) = t.update_leaves(&updates, s, params);
                updates = u;
                inner.push(s);
            }
            (updates, OptState::new("chain").with_inner(inner))
        },
    )
}

/// Applies `inner` only to the leaves `mask` selects; the others pass through unchanged
/// (optax's `masked`). The mask is evaluated once, by `init`, on each parameter's key path and
/// value, and kept in the state.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, Mask};
/// // Scale only the matrices.
/// let opt = optim::masked(optim::scale(10.0), Mask::new(|_path, p| p.ndim() >= 2));
/// let p = (Tensor::ones(&[2, 2], DType::F32), Tensor::ones(&[2], DType::F32));
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert_eq!((u.0.to_vec::<f32>()[0], u.1.to_vec::<f32>()[0]), (10.0, 1.0));
/// ```
pub fn masked(inner: GradientTransformation, mask: Mask) -> GradientTransformation {
    let inner2 = inner.clone();
    GradientTransformation::new(
        move |params, paths| {
            mask.check_len(params.len());
            let m: Vec<bool> = params
                .iter()
                .zip(paths)
                .enumerate()
                .map(|(i, (p, k))| mask.select(i, k, p))
                .collect();
            let (sp, sk): (Vec<Tensor>, Vec<KeyPath>) = params
                .iter()
                .zip(paths)
                .zip(&m)
                .filter(|(_, &keep)| keep)
                .map(|((p, k), _)| (p.clone(), k.clone()))
                .unzip();
            OptState::new("masked")
                .with_mask(m)
                .with_inner(vec![inner.init_leaves(&sp, &sk)])
        },
        move |grads, state, params| {
            state.expect_kind("masked");
            let m = state.mask.as_deref().expect("masked state has a mask");
            assert!(
                m.len() == grads.len(),
                "optim::masked: the mask covers {} leaves, the grads have {}",
                m.len(),
                grads.len()
            );
            let pick = |xs: &[Tensor]| -> Vec<Tensor> {
                xs.iter()
                    .zip(m)
                    .filter(|(_, &k)| k)
                    .map(|(x, _)| x.clone())
                    .collect()
            };
            let (u, s) = inner2.update_leaves(&pick(grads), &state.inner[0], &pick(params));
            let mut u = u.into_iter();
            let out = grads
                .iter()
                .zip(m)
                .map(|(g, &k)| {
                    if k {
                        u.next().expect("inner update returns one leaf per input")
                    } else {
                        g.clone()
                    }
                })
                .collect();
            (out, state.clone().with_inner(vec![s]))
        },
    )
}

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
