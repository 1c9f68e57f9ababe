//! [`Dropout`], [`BatchNorm`] (with its running statistics as a separate state pytree) and
//! [`LayerNorm`], with flax.linen's definitions and defaults.

use super::Hyper;
use crate::lax;
use crate::numpy as jnp;
use crate::random;
use crate::tensor::{DType, Tensor};
use crate::PyTree;

/// Inverted dropout (`flax.linen.Dropout`): in training each element is kept with
/// probability `1 - rate` and scaled by `1 / (1 - rate)`; in evaluation (or with rate 0) it
/// is the identity. The mask is `random::bernoulli(key, 1 - rate, x.shape)`, as flax draws it.
///
/// ```
/// use ferrax::prelude::*;
/// let d = ferrax::nn::Dropout::new(0.5);
/// let x = Tensor::ones(&[1000], DType::F32);
/// let y = d.forward(&x, true, Some(&ferrax::random::key(0))).to_vec::<f32>();
/// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0));
/// assert_eq!(d.forward(&x, false, None).to_vec::<f32>(), vec![1.0; 1000]);
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

    /// Applies dropout when `train` (then `key` is required unless the rate is 0).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let d = ferrax::nn::Dropout::new(1.0);
    /// let y = d.forward(&Tensor::ones(&[3], DType::F32), true, Some(&ferrax::random::key(1)));
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0; 3]);
    /// ```
    #[track_caller]
    pub fn forward(&self, x: &Tensor, train: bool, key: Option<&Tensor>) -> Tensor {
        let rate = self.rate.0;
        if !train || rate == 0.0 {
            return x.clone();
        }
        if rate == 1.0 {
            return Tensor::zeros(x.shape(), x.dtype());
        }
        let key = key.unwrap_or_else(|| {
            panic!(
                "nn::Dropout::forward: training with rate {rate} needs a PRNG key (pass \
                 Some(&key), or train = false)"
            )
        });
        let keep = 1.0 - rate;
        let mask = random::bernoulli(key, keep, x.shape());
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
/// epsilon 1e-5). The learned `scale`/`bias` are this pytree; the running statistics are a
/// separate [`BatchNormState`] passed in and returned, so `grad` over the layer never touches
/// them.
///
/// ```
/// use ferrax::prelude::*;
/// let bn = ferrax::nn::BatchNorm::new(3);
/// let state = bn.init_state();
/// let x = Tensor::from_vec((0..12).map(|v| v as f32).collect(), &[4, 3]);
/// let (y, state) = bn.forward(&x, &state, true);
/// assert!(y.mean_axes(&[0]).to_vec::<f32>().iter().all(|m| m.abs() < 1e-5));
/// assert!((state.mean.to_vec::<f32>()[0] - 0.01 * 4.5).abs() < 1e-6);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct BatchNorm {
    pub scale: Tensor,
    pub bias: Tensor,
    #[pytree(static)]
    pub momentum: Hyper,
    #[pytree(static)]
    pub epsilon: Hyper,
}

/// The running statistics of a [`BatchNorm`] (flax's `batch_stats` collection).
///
/// ```
/// let s = ferrax::nn::BatchNorm::new(2).init_state();
/// assert_eq!(s.var.to_vec::<f32>(), vec![1.0, 1.0]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct BatchNormState {
    pub mean: Tensor,
    pub var: Tensor,
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
        }
    }

    /// Running mean zeros and variance ones, in the parameters' dtype.
    ///
    /// ```
    /// let s = ferrax::nn::BatchNorm::new(2).init_state();
    /// assert_eq!(s.mean.to_vec::<f32>(), vec![0.0, 0.0]);
    /// ```
    pub fn init_state(&self) -> BatchNormState {
        let (shape, dtype) = (self.scale.shape(), self.scale.dtype());
        BatchNormState {
            mean: Tensor::zeros(shape, dtype),
            var: Tensor::ones(shape, dtype),
        }
    }

    /// Normalises `x[.., features]`. Training uses the batch statistics (over every axis but
    /// the last) and returns the updated running statistics `m·old + (1-m)·batch`; evaluation
    /// uses `state` and returns it unchanged.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let bn = ferrax::nn::BatchNorm::new(1);
    /// let x = Tensor::from_vec(vec![3.0f32], &[1, 1]);
    /// let (y, _) = bn.forward(&x, &bn.init_state(), false); // (3 - 0) / sqrt(1 + 1e-5)
    /// assert!((y.to_vec::<f32>()[0] - 3.0 / (1.0f32 + 1e-5).sqrt()).abs() < 1e-6);
    /// ```
    #[track_caller]
    pub fn forward(
        &self,
        x: &Tensor,
        state: &BatchNormState,
        train: bool,
    ) -> (Tensor, BatchNormState) {
        check_features(x, self.scale.shape()[0], "BatchNorm");
        let (mean, var, new_state) = if train {
            let axes: Vec<isize> = (0..x.ndim() as isize - 1).collect();
            let (mean, var) = stats(x, &axes);
            let m = self.momentum.0;
            let new_state = BatchNormState {
                mean: &state.mean * m + &mean * (1.0 - m),
                var: &state.var * m + &var * (1.0 - m),
            };
            (mean, var, new_state)
        } else {
            (state.mean.clone(), state.var.clone(), state.clone())
        };
        let mul = lax::rsqrt(&(var + self.epsilon.0)) * &self.scale;
        ((x - mean) * mul + &self.bias, new_state)
    }
}

/// Layer normalisation over the last axis (`flax.linen.LayerNorm`, epsilon 1e-6): scale ones,
/// bias zeros.
///
/// ```
/// use ferrax::prelude::*;
/// let ln = ferrax::nn::LayerNorm::new(4);
/// let y = ln.forward(&Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]));
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

    /// `(x - mean) / sqrt(var + eps) · scale + bias` over the last axis of `x`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let ln = ferrax::nn::LayerNorm::new(2);
    /// let y = ln.forward(&Tensor::from_vec(vec![0.0f32, 2.0, 5.0, 5.0], &[2, 2])).to_vec::<f32>();
    /// assert!((y[0] + 1.0).abs() < 1e-5 && (y[1] - 1.0).abs() < 1e-5 && y[2] == 0.0);
    /// ```
    #[track_caller]
    pub fn forward(&self, x: &Tensor) -> Tensor {
        check_features(x, self.scale.shape()[0], "LayerNorm");
        let (mean, var) = stats(x, &[-1]);
        let mean = jnp::expand_dims(&mean, -1);
        let var = jnp::expand_dims(&var, -1);
        let mul = lax::rsqrt(&(var + self.epsilon.0)) * &self.scale;
        (x - mean) * mul + &self.bias
    }
}
