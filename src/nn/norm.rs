//! [`Dropout`], [`BatchNorm`] (its running statistics live in the [`Ctx`]'s state) and
//! [`LayerNorm`], with flax.linen's definitions and defaults.

use super::module::{Ctx, Module, StateIndex};
use super::Hyper;
use crate::lax;
use crate::numpy as jnp;
use crate::random;
use crate::tensor::{DType, Tensor};
use crate::PyTree;

/// Inverted dropout (`flax.linen.Dropout`): in training each element is kept with
/// probability `1 - rate` and scaled by `1 / (1 - rate)`; in evaluation it is the identity.
/// The mask is `random::bernoulli(key, 1 - rate, x.shape)` with `key` the next key of the
/// [`Ctx`]'s stream (drawn in every training pass, whatever the rate, so the keys later layers
/// get do not depend on this one's rate).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{Ctx, Dropout, Module};
/// let d = Dropout::new(0.5);
/// let x = Tensor::ones(&[1000], DType::F32);
/// let y = d.forward(&x, &mut Ctx::train(&ferrax::random::key(0))).to_vec::<f32>();
/// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
/// assert_eq!(d.forward(&x, &mut Ctx::eval()).to_vec::<f32>(), vec![1.0; 1000]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct Dropout {
    #[pytree(static)]
    pub rate: Hyper,
}

impl Dropout {
    /// Dropout with drop probability `rate` in `[0, 1]`.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::Dropout::new(0.1).rate.0, 0.1);
    /// ```
    #[track_caller]
    pub fn new(rate: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&rate),
            "nn::Dropout::new: rate must be in [0, 1], got {rate}"
        );
        Dropout { rate: Hyper(rate) }
    }
}

impl Module for Dropout {
    /// Drops in training (drawing one key from `cx`), the identity in evaluation.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, Dropout, Module};
    /// let d = Dropout::new(1.0);
    /// let y = d.forward(&Tensor::ones(&[3], DType::F32), &mut Ctx::train(&ferrax::random::key(1)));
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0; 3]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        if !cx.is_training() {
            return x.clone();
        }
        let key = cx.next_key();
        let rate = self.rate.0;
        if rate == 0.0 {
            return x.clone();
        }
        if rate == 1.0 {
            return Tensor::zeros(x.shape(), x.dtype());
        }
        let keep = 1.0 - rate;
        let mask = random::bernoulli(&key, keep, x.shape());
        jnp::where_(&mask, x / keep, 0.0)
    }
}

/// Mean and biased variance over all axes but the last (`_compute_stats` with
/// `use_fast_variance`: `E[x²] - E[x]²`, clipped at 0).
fn stats(x: &Tensor, axes: &[isize]) -> (Tensor, Tensor) {
    let mean = jnp::mean(x, Some(axes));
    let mean2 = jnp::mean(&x.square(), Some(axes));
    let var = jnp::maximum(0.0, mean2 - mean.square());
    (mean, var)
}

#[track_caller]
fn check_features(x: &Tensor, n: usize, op: &str) {
    assert!(
        x.ndim() >= 1 && x.shape()[x.ndim() - 1] == n,
        "nn::{op}: input {} must end in the layer's {n} features",
        x.aval()
    );
}

/// Batch normalisation over the last (feature) axis (`flax.linen.BatchNorm`, momentum 0.99,
/// epsilon 1e-5). The learned `scale`/`bias` are this pytree; the running mean and variance
/// are this layer's entry in the [`Ctx`]'s state (under its [`StateIndex`], flax's
/// `batch_stats` collection), so `grad` over the layer never touches them and a jitted step
/// takes the state in and returns it.
///
/// Training normalises with the batch statistics (over every axis but the last) and stores
/// `m·old + (1-m)·batch`; evaluation normalises with the stored statistics (zeros and ones for
/// a fresh state) and stores them unchanged, so every pass leaves the layer's entry in the
/// state.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{BatchNorm, Ctx, Module};
/// let bn = BatchNorm::new(3);
/// let x = Tensor::from_vec((0..12).map(|v| v as f32).collect(), &[4, 3]);
/// let mut cx = Ctx::train(&ferrax::random::key(0));
/// let y = bn.forward(&x, &mut cx);
/// assert!(y.mean_axes(&[0]).to_vec::<f32>().iter().all(|m| m.abs() < 1e-5));
/// let (mean, _var) = bn.running_stats(cx.state());
/// assert!((mean.to_vec::<f32>()[0] - 0.01 * 4.5).abs() < 1e-6);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct BatchNorm {
    pub scale: Tensor,
    pub bias: Tensor,
    #[pytree(static)]
    pub momentum: Hyper,
    #[pytree(static)]
    pub epsilon: Hyper,
    /// Where this layer's running statistics live in a [`State`](super::State).
    #[pytree(static)]
    pub index: StateIndex,
}

impl BatchNorm {
    /// Scale ones, bias zeros, momentum 0.99, epsilon 1e-5.
    ///
    /// ```
    /// let bn = ferrax::nn::BatchNorm::new(4);
    /// assert_eq!((bn.momentum.0, bn.epsilon.0), (0.99, 1e-5));
    /// ```
    pub fn new(features: usize) -> Self {
        Self::with_options(features, 0.99, 1e-5)
    }

    /// Explicit `momentum` (weight of the old running statistic) and `epsilon`.
    ///
    /// ```
    /// let bn = ferrax::nn::BatchNorm::with_options(4, 0.9, 1e-3);
    /// assert_eq!(bn.momentum.0, 0.9);
    /// ```
    pub fn with_options(features: usize, momentum: f64, epsilon: f64) -> Self {
        BatchNorm {
            scale: Tensor::ones(&[features], DType::F32),
            bias: Tensor::zeros(&[features], DType::F32),
            momentum: Hyper(momentum),
            epsilon: Hyper(epsilon),
            index: StateIndex::new("batch_norm"),
        }
    }

    /// The running `(mean, var)` this layer keeps in `state`: zeros and ones, in the
    /// parameters' dtype, while `state` has no entry for it yet.
    ///
    /// ```
    /// let bn = ferrax::nn::BatchNorm::new(2);
    /// let (mean, var) = bn.running_stats(&Default::default());
    /// assert_eq!((mean.to_vec::<f32>(), var.to_vec::<f32>()), (vec![0.0; 2], vec![1.0; 2]));
    /// ```
    #[track_caller]
    pub fn running_stats(&self, state: &super::State) -> (Tensor, Tensor) {
        match state.get(self.index.key()).map(Vec::as_slice) {
            Some([mean, var]) => (mean.clone(), var.clone()),
            Some(other) => panic!(
                "nn::BatchNorm: state entry {:?} holds {} tensors, expected [mean, var]",
                self.index.key(),
                other.len()
            ),
            None => {
                let (shape, dtype) = (self.scale.shape(), self.scale.dtype());
                (Tensor::zeros(shape, dtype), Tensor::ones(shape, dtype))
            }
        }
    }
}

impl Module for BatchNorm {
    /// Normalises `x[.., features]` (see the type's documentation for the two modes).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{BatchNorm, Ctx, Module};
    /// let bn = BatchNorm::new(1);
    /// let x = Tensor::from_vec(vec![3.0f32], &[1, 1]);
    /// let y = bn.forward(&x, &mut Ctx::eval()); // (3 - 0) / sqrt(1 + 1e-5)
    /// assert!((y.to_vec::<f32>()[0] - 3.0 / (1.0f32 + 1e-5).sqrt()).abs() < 1e-6);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        check_features(x, self.scale.shape()[0], "BatchNorm");
        let (running_mean, running_var) = self.running_stats(cx.state());
        let (mean, var) = if cx.is_training() {
            let axes: Vec<isize> = (0..x.ndim() as isize - 1).collect();
            let (mean, var) = stats(x, &axes);
            let m = self.momentum.0;
            cx.set_state(
                &self.index,
                vec![
                    running_mean * m + &mean * (1.0 - m),
                    running_var * m + &var * (1.0 - m),
                ],
            );
            (mean, var)
        } else {
            cx.set_state(&self.index, vec![running_mean.clone(), running_var.clone()]);
            (running_mean, running_var)
        };
        let mul = lax::rsqrt(&(var + self.epsilon.0)) * &self.scale;
        (x - mean) * mul + &self.bias
    }
}

/// Layer normalisation over the last axis (`flax.linen.LayerNorm`, epsilon 1e-6): scale ones,
/// bias zeros.
///
/// ```
/// use ferrax::nn::{Ctx, Module};
/// use ferrax::prelude::*;
/// let ln = ferrax::nn::LayerNorm::new(4);
/// let y = ln.forward(&Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]), &mut Ctx::eval());
/// assert!(y.mean().item::<f32>().abs() < 1e-6);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct LayerNorm {
    pub scale: Tensor,
    pub bias: Tensor,
    #[pytree(static)]
    pub epsilon: Hyper,
}

impl LayerNorm {
    /// Normalises `features` values with epsilon 1e-6.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::LayerNorm::new(8).scale.shape(), &[8]);
    /// ```
    pub fn new(features: usize) -> Self {
        Self::with_epsilon(features, 1e-6)
    }

    /// Normalises `features` values with a chosen epsilon.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::LayerNorm::with_epsilon(8, 1e-5).epsilon.0, 1e-5);
    /// ```
    pub fn with_epsilon(features: usize, epsilon: f64) -> Self {
        LayerNorm {
            scale: Tensor::ones(&[features], DType::F32),
            bias: Tensor::zeros(&[features], DType::F32),
            epsilon: Hyper(epsilon),
        }
    }
}

impl Module for LayerNorm {
    /// `(x - mean) / sqrt(var + eps) · scale + bias` over the last axis of `x`.
    ///
    /// ```
    /// use ferrax::nn::{Ctx, Module};
    /// use ferrax::prelude::*;
    /// let ln = ferrax::nn::LayerNorm::new(2);
    /// let y = ln.forward(&Tensor::from_vec(vec![0.0f32, 2.0, 5.0, 5.0], &[2, 2]), &mut Ctx::eval()).to_vec::<f32>();
    /// assert!((y[0] + 1.0).abs() < 1e-5 && (y[1] - 1.0).abs() < 1e-5 && y[2] == 0.0);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
        check_features(x, self.scale.shape()[0], "LayerNorm");
        let (mean, var) = stats(x, &[-1]);
        let mean = jnp::expand_dims(&mean, -1);
        let var = jnp::expand_dims(&var, -1);
        let mul = lax::rsqrt(&(var + self.epsilon.0)) * &self.scale;
        (x - mean) * mul + &self.bias
    }
}
