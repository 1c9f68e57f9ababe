//! Combinators: `identity`, `chain` over tuples, `Option` (a transformation or nothing) and
//! `masked`.

use super::{flatten_updates, GradientTransformation, Mask};
use crate::tensor::Tensor;
use crate::tree::PyTree;

/// The state of a stateless transformation (optax's `EmptyState`): no leaves.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, EmptyState, GradientTransformation};
/// let s: EmptyState = optim::identity().init(&Tensor::scalar(1.0f32));
/// assert!(s.leaves().is_empty());
/// ```
#[derive(crate::PyTree, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmptyState;

/// The transformation that changes nothing (optax's `identity`); made by [`identity`].
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{GradientTransformation, Identity};
/// let g = Tensor::scalar(4.0f32);
/// assert_eq!(Identity.update(&g, &Identity.init(&g), &g).0.item::<f32>(), 4.0);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Identity;

/// The transformation that changes nothing (optax's `identity`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::GradientTransformation;
/// let id = ferrax::optim::identity();
/// let g = Tensor::scalar(4.0f32);
/// assert_eq!(id.update(&g, &id.init(&g), &g).0.item::<f32>(), 4.0);
/// ```
pub fn identity() -> Identity {
    Identity
}

impl GradientTransformation for Identity {
    type State<P: PyTree + Clone> = EmptyState;
    fn init<P: PyTree + Clone>(&self, _params: &P) -> EmptyState {
        EmptyState
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        _: &EmptyState,
        params: &P,
    ) -> (P, EmptyState) {
        flatten_updates("identity", updates, params);
        (updates.clone(), EmptyState)
    }
}

/// A transformation or nothing: `None` is the identity (state `None`), `Some(t)` is `t`. It
/// keeps an optimizer's type fixed when a part is optional (the momentum of [`sgd`](super::sgd)).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let g = Tensor::scalar(1.0f32);
/// let none: Option<optim::Trace> = None;
/// let (u, s) = none.update(&g, &none.init(&g), &g);
/// assert_eq!((u.item::<f32>(), s.is_none()), (1.0, true));
/// let some = Some(optim::trace(0.5, false));
/// let s = some.init(&g);
/// assert_eq!(s.unwrap().trace.item::<f32>(), 0.0);
/// ```
impl<T: GradientTransformation> GradientTransformation for Option<T> {
    type State<P: PyTree + Clone> = Option<T::State<P>>;
    fn init<P: PyTree + Clone>(&self, params: &P) -> Self::State<P> {
        self.as_ref().map(|t| t.init(params))
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &Self::State<P>,
        params: &P,
    ) -> (P, Self::State<P>) {
        match (self, state) {
            (Some(t), Some(s)) => {
                let (u, s) = t.update(updates, s, params);
                (u, Some(s))
            }
            (None, None) => {
                flatten_updates("identity", updates, params);
                (updates.clone(), None)
            }
            (Some(_), None) => panic!(
                "optim: the optional {} is set, but its state is None (the state was made by an \
                 optimizer without this part)",
                std::any::type_name::<T>()
            ),
            (None, Some(_)) => panic!(
                "optim: the optional {} is None, but its state is Some (the state was made by an \
                 optimizer with this part)",
                std::any::type_name::<T>()
            ),
        }
    }
}

/// Transformations applied in sequence (optax's `chain`): `T` is a tuple of transformations
/// (up to 8), and the state is the tuple of their states, so `state.0` is the first part's.
/// Made by [`chain`].
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, Chain, GradientTransformation};
/// let opt: Chain<(optim::Trace, optim::Scale)> = optim::chain((optim::trace(0.9, false), optim::scale(-0.1)));
/// let s = opt.init(&Tensor::scalar(1.0f32));
/// assert_eq!(s.0.trace.item::<f32>(), 0.0);
/// ```
#[derive(Clone, Debug)]
pub struct Chain<T>(pub T);

/// Applies the transformations of a tuple in sequence, each to the previous one's updates
/// (optax's `chain`); the state is the tuple of their states.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation};
/// let opt = optim::chain((optim::clip_by_global_norm(1.0), optim::trace(0.0, false), optim::scale(-0.1)));
/// let g = Tensor::from_vec(vec![3.0f32, 4.0], &[2]);
/// let (u, s) = opt.update(&g, &opt.init(&g), &g);
/// let u = u.to_vec::<f32>();
/// assert!((u[0] + 0.06).abs() < 1e-7 && (u[1] + 0.08).abs() < 1e-7);
/// assert!((s.1.trace.to_vec::<f32>()[0] - 0.6).abs() < 1e-7);
/// ```
pub fn chain<T>(parts: T) -> Chain<T>
where
    Chain<T>: GradientTransformation,
{
    Chain(parts)
}

macro_rules! chain_tuple {
    ($($t:ident $i:tt),+) => {
        impl<$($t: GradientTransformation),+> GradientTransformation for Chain<($($t,)+)> {
            type State<P: PyTree + Clone> = ($($t::State<P>,)+);
            fn init<P: PyTree + Clone>(&self, params: &P) -> Self::State<P> {
                ($(self.0.$i.init(params),)+)
            }
            #[track_caller]
            fn update<P: PyTree + Clone>(
                &self,
                updates: &P,
                state: &Self::State<P>,
                params: &P,
            ) -> (P, Self::State<P>) {
                let updates = updates.clone();
                $(let (updates, $t) = self.0.$i.update(&updates, &state.$i, params);)+
                (updates, ($($t,)+))
            }
        }
    };
}

#[allow(non_snake_case)]
mod chain_impls {
    use super::*;
    chain_tuple!(A 0);
    chain_tuple!(A 0, B 1);
    chain_tuple!(A 0, B 1, C 2);
    chain_tuple!(A 0, B 1, C 2, D 3);
    chain_tuple!(A 0, B 1, C 2, D 3, E 4);
    chain_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
    chain_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
    chain_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
}

/// The state of [`masked`]: which leaves the inner transformation applies to (static: part of
/// the structure), and the inner state, made for the selected leaves as a `Vec<Tensor>`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation, Mask};
/// let p = (Tensor::ones(&[2, 2], DType::F32), Tensor::ones(&[2], DType::F32));
/// let opt = optim::masked(optim::trace(0.9, false), Mask::new(|_, p| p.ndim() >= 2));
/// let s = opt.init(&p);
/// assert_eq!(s.mask, vec![true, false]);
/// assert_eq!(s.inner.trace.len(), 1);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct MaskedState<S> {
    /// Per parameter leaf, in leaf order: whether the inner transformation applies.
    #[pytree(static)]
    pub mask: Vec<bool>,
    /// The inner transformation's state for the selected leaves.
    pub inner: S,
}

/// `inner` applied only to the leaves a [`Mask`] selects; made by [`masked`].
///
/// ```
/// use ferrax::optim::{self, Mask, Masked, Scale};
/// let m: Masked<Scale> = optim::masked(optim::scale(2.0), Mask::from_leaves(vec![true]));
/// # let _ = m;
/// ```
#[derive(Clone, Debug)]
pub struct Masked<T> {
    inner: T,
    mask: Mask,
}

/// Applies `inner` only to the leaves `mask` selects; the others pass through unchanged
/// (optax's `masked`). The mask is evaluated once, by `init`, on each parameter's key path and
/// value, and kept in the state.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::{self, GradientTransformation, Mask};
/// // Scale only the matrices.
/// let opt = optim::masked(optim::scale(10.0), Mask::new(|_path, p| p.ndim() >= 2));
/// let p = (Tensor::ones(&[2, 2], DType::F32), Tensor::ones(&[2], DType::F32));
/// let (u, _) = opt.update(&p, &opt.init(&p), &p);
/// assert_eq!((u.0.to_vec::<f32>()[0], u.1.to_vec::<f32>()[0]), (10.0, 1.0));
/// ```
pub fn masked<T: GradientTransformation>(inner: T, mask: Mask) -> Masked<T> {
    Masked { inner, mask }
}

/// The leaves of `xs` that `m` selects.
fn pick(xs: &[Tensor], m: &[bool]) -> Vec<Tensor> {
    xs.iter()
        .zip(m)
        .filter(|&(_, &k)| k)
        .map(|(x, _)| x.clone())
        .collect()
}

impl<T: GradientTransformation> GradientTransformation for Masked<T> {
    type State<P: PyTree + Clone> = MaskedState<T::State<Vec<Tensor>>>;
    #[track_caller]
    fn init<P: PyTree + Clone>(&self, params: &P) -> Self::State<P> {
        let mask = self.mask.evaluate(params);
        let inner = self.inner.init(&pick(&params.leaves(), &mask));
        MaskedState { mask, inner }
    }
    #[track_caller]
    fn update<P: PyTree + Clone>(
        &self,
        updates: &P,
        state: &Self::State<P>,
        params: &P,
    ) -> (P, Self::State<P>) {
        let (g, def) = flatten_updates("masked", updates, params);
        let m = &state.mask;
        super::transforms::check_mask_len("masked", m, &def, g.len());
        let p = params.leaves();
        let (u, s) = self.inner.update(&pick(&g, m), &state.inner, &pick(&p, m));
        let mut u = u.into_iter();
        let out = g
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
        (
            P::unflatten(&def, out),
            MaskedState {
                mask: m.clone(),
                inner: s,
            },
        )
    }
}
