//! Adam and AdamW in one pass: [`adam`], [`adamw`] and their `_with` forms build a
//! [`FusedAdam`], whose [`step`](FusedAdam::step) returns the new parameters and state
//! directly (no update tree, no separate `apply_updates`).
//!
//! Why: [`optim::adam`](super::adam) is optax's chain, five elementwise passes over every
//! parameter (moments, bias corrections, scale, learning rate, add), each reading and writing
//! whole trees. The fused step is one primitive per dtype group of leaves (`adam_update`)
//! whose kernel reads the parameter, gradient and both moments once and writes the
//! parameter and both moments once, in parallel; under `jit` with donated state
//! ([`train::jit_step`](crate::train::jit_step), [`train::adam_step`](crate::train::adam_step))
//! it writes in place. The values are the chain's bit for bit (same ops, same order, same
//! rounding), so switching changes no result.
//!
//! The state is [`ScaleByAdamState`] (`count`, `mu`, `nu`), optax's. Differentiating
//! through a step works (the primitive's JVP is the chain's formula written with ops), and so
//! do `jit` and `vmap`. Leaves of other float dtypes than f32/f64 (bf16, f16) take the chain's
//! ops instead of the kernel. Not covered: Nesterov momentum ([`nadam`](super::nadam)) and
//! weight-decay masks; use the chains for those.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::optim::{self, GradientTransformation};
//! let params = vec![Tensor::from_vec(vec![1.0f32, -2.0], &[2])];
//! let grads = vec![Tensor::from_vec(vec![0.5f32, 0.25], &[2])];
//! let fused = optim::fused::adamw(1e-2);
//! let (p1, s1) = fused.step(&params, &grads, &fused.init(&params));
//! // The same numbers as optax's chain.
//! let chain = optim::adamw(1e-2);
//! let (u, s2) = chain.update(&grads, &chain.init(&params), &params);
//! assert_eq!(p1[0].to_vec::<f32>(), optim::apply_updates(&params, &u)[0].to_vec::<f32>());
//! assert_eq!(s1.mu[0].to_vec::<f32>(), s2.0.mu[0].to_vec::<f32>());
//! ```

use super::moments::zeros_like;
use super::tree_utils::check_state_like;
use super::{
    flatten_updates, safe_increment, zero_count, AdamOptions, LearningRate, ScaleByAdamState,
};
use crate::prims::adam::{adam_update, AdamUpdate};
use crate::tensor::{DType, Tensor};
use crate::tree::PyTree;

/// The state of a [`FusedAdam`] for parameters `P` (optax's `ScaleByAdamState`).
///
/// ```
/// use ferrax::prelude::*;
/// let s: ferrax::optim::fused::FusedAdamState<Tensor> =
///     ferrax::optim::fused::adam(1e-3).init(&Tensor::scalar(1.0f32));
/// assert_eq!(s.count.item::<i32>(), 0);
/// ```
pub type FusedAdamState<P> = ScaleByAdamState<P>;

/// Adam or AdamW as one fused update per step (see the [module docs](self)).
///
/// ```
/// let opt = ferrax::optim::fused::adam(1e-3);
/// assert_eq!(opt.options().b1, 0.9);
/// ```
#[derive(Clone, Debug)]
pub struct FusedAdam {
    learning_rate: LearningRate,
    options: AdamOptions,
    weight_decay: f64,
}

/// Adam with optax's defaults (`b1 = 0.9`, `b2 = 0.999`, `eps = 1e-8`), fused: the numbers
/// of [`optim::adam`](super::adam).
///
/// ```
/// use ferrax::prelude::*;
/// let opt = ferrax::optim::fused::adam(0.1);
/// let p = Tensor::scalar(1.0f32);
/// let (p, s) = opt.step(&p, &Tensor::scalar(3.0f32), &opt.init(&p));
/// assert!((p.item::<f32>() - 0.9).abs() < 1e-6);
/// assert_eq!(s.count.item::<i32>(), 1);
/// ```
pub fn adam(learning_rate: impl Into<LearningRate>) -> FusedAdam {
    adam_with(learning_rate, AdamOptions::default())
}

/// Adam with the given options, fused: the numbers of
/// [`optim::adam_with`](super::adam_with). Panics if `options.nesterov` is set (use the
/// chain, [`optim::nadam`](super::nadam)).
///
/// ```
/// use ferrax::optim::{fused, AdamOptions};
/// let opt = fused::adam_with(1e-3, AdamOptions { b2: 0.99, ..Default::default() });
/// assert_eq!(opt.options().b2, 0.99);
/// ```
#[track_caller]
pub fn adam_with(learning_rate: impl Into<LearningRate>, options: AdamOptions) -> FusedAdam {
    adamw_with(learning_rate, options, 0.0)
}

/// AdamW with optax's defaults (weight decay `1e-4`, applied to every leaf), fused: the
/// numbers of [`optim::adamw`](super::adamw).
///
/// ```
/// let opt = ferrax::optim::fused::adamw(1e-3);
/// assert_eq!(opt.weight_decay(), 1e-4);
/// ```
pub fn adamw(learning_rate: impl Into<LearningRate>) -> FusedAdam {
    adamw_with(learning_rate, AdamOptions::default(), 1e-4)
}

/// AdamW with the given options and weight decay (applied to every leaf), fused: the numbers
/// of [`optim::adamw_with`](super::adamw_with) without a mask. Panics if `options.nesterov`
/// is set.
///
/// ```
/// use ferrax::optim::{fused, AdamOptions};
/// let opt = fused::adamw_with(1e-3, AdamOptions::default(), 0.05);
/// assert_eq!(opt.weight_decay(), 0.05);
/// ```
#[track_caller]
pub fn adamw_with(
    learning_rate: impl Into<LearningRate>,
    options: AdamOptions,
    weight_decay: f64,
) -> FusedAdam {
    assert!(
        !options.nesterov,
        "optim::fused::adam: Nesterov momentum is not fused; use optim::nadam (the chain)"
    );
    FusedAdam {
        learning_rate: learning_rate.into(),
        options,
        weight_decay,
    }
}

impl FusedAdam {
    /// The Adam options.
    ///
    /// ```
    /// assert_eq!(ferrax::optim::fused::adam(1e-3).options().eps, 1e-8);
    /// ```
    pub fn options(&self) -> AdamOptions {
        self.options
    }

    /// The weight decay (`0` for Adam).
    ///
    /// ```
    /// assert_eq!(ferrax::optim::fused::adam(1e-3).weight_decay(), 0.0);
    /// ```
    pub fn weight_decay(&self) -> f64 {
        self.weight_decay
    }

    /// The initial state: a zero count and zero moments shaped like `params`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let s = ferrax::optim::fused::adam(1e-3).init(&vec![Tensor::ones(&[2], DType::F32)]);
    /// assert_eq!(s.nu[0].to_vec::<f32>(), vec![0.0, 0.0]);
    /// ```
    pub fn init<P: PyTree + Clone>(&self, params: &P) -> FusedAdamState<P> {
        ScaleByAdamState {
            count: zero_count(),
            mu: zeros_like(params),
            nu: zeros_like(params),
        }
    }

    /// One step: the new parameters and state for `grads` (same structure as `params`).
    /// Panics, naming both structures, if `grads` or `state` belong to other parameters.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let opt = ferrax::optim::fused::adam(0.1);
    /// let loss = |w: &Tensor| (w * w).sum();
    /// let mut w = Tensor::from_vec(vec![1.0f32, -1.0], &[2]);
    /// let mut s = opt.init(&w);
    /// for _ in 0..50 {
    ///     (w, s) = opt.step(&w, &grad(loss)(&w), &s);
    /// }
    /// assert!(loss(&w).item::<f32>() < 0.05);
    /// ```
    #[track_caller]
    pub fn step<P: PyTree + Clone>(
        &self,
        params: &P,
        grads: &P,
        state: &FusedAdamState<P>,
    ) -> (P, FusedAdamState<P>) {
        const OP: &str = "fused::adam";
        let (g, def) = flatten_updates(OP, grads, params);
        let p = params.leaves();
        let mu = check_state_like(OP, &state.mu, params);
        let nu = check_state_like(OP, &state.nu, params);
        let AdamOptions {
            b1,
            b2,
            eps,
            eps_root,
            ..
        } = self.options;
        let count = safe_increment(&state.count);
        let decay = self.weight_decay != 0.0;
        let op = AdamUpdate::new(b1, b2, eps, eps_root, decay);
        // -lr as the chain's scale_by_learning_rate computes it, before the leaf's dtype.
        let neg_lr = |d: DType| match &self.learning_rate {
            LearningRate::Constant(lr) => Tensor::full(&[], -lr, d),
            LearningRate::Tensor(lr) => (-lr).cast(d),
            LearningRate::Schedule(s) => (-s.call(&state.count)).cast(d),
        };
        let scalars = |d: DType| -> [Tensor; 4] {
            // bias_correction's `1 - decay^count`, in the leaf's dtype.
            let bc = |decay: f64| 1.0 - Tensor::full(&[], decay, d).pow(count.cast(d));
            [
                bc(b1),
                bc(b2),
                neg_lr(d),
                Tensor::full(&[], self.weight_decay, d),
            ]
        };
        let n = p.len();
        let (mut p_new, mut mu_new, mut nu_new) = (vec![None; n], vec![None; n], vec![None; n]);
        let mut dtypes: Vec<DType> = Vec::new();
        for t in &p {
            if !dtypes.contains(&t.dtype()) {
                dtypes.push(t.dtype());
            }
        }
        for d in dtypes {
            let idx: Vec<usize> = (0..n).filter(|&i| p[i].dtype() == d).collect();
            let pick =
                |v: &[Tensor]| -> Vec<Tensor> { idx.iter().map(|&i| v[i].clone()).collect() };
            let s = scalars(d);
            let (pk, mk, vk) = if matches!(d, DType::F32 | DType::F64) {
                adam_update(op, &s, &pick(&p), &pick(&g), &pick(&mu), &pick(&nu))
            } else {
                // Narrow floats: the chain's ops (the kernel runs in f32/f64 only).
                let mut r: (Vec<Tensor>, Vec<Tensor>, Vec<Tensor>) = Default::default();
                for &i in &idx {
                    let [a, b, c] = op.reference(&s, &p[i], &g[i], &mu[i], &nu[i]);
                    r.0.push(a);
                    r.1.push(b);
                    r.2.push(c);
                }
                r
            };
            for (j, &i) in idx.iter().enumerate() {
                p_new[i] = Some(pk[j].clone());
                mu_new[i] = Some(mk[j].clone());
                nu_new[i] = Some(vk[j].clone());
            }
        }
        let done = |v: Vec<Option<Tensor>>| -> P {
            P::unflatten(
                &def,
                v.into_iter()
                    .map(|t| t.expect("every leaf updated"))
                    .collect(),
            )
        };
        (
            done(p_new),
            ScaleByAdamState {
                count,
                mu: done(mu_new),
                nu: done(nu_new),
            },
        )
    }
}
