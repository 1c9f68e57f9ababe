//! The multilayer perceptron: dense layers with ReLU between them, the first model of every
//! course and the MNIST baseline (784-512-512-10).

use crate::nn::{self, Ctx, Module};
use crate::tensor::Tensor;

/// A multilayer perceptron: `Linear` layers (lecun-normal weights, zero biases, as
/// `flax.linen.Dense`) with ReLU after every layer but the last, which returns logits. An
/// input of rank above 2 is flattened to `[N, features]` first, so MNIST's `[N, 28, 28, 1]`
/// images go in as they are loaded.
///
/// ```
/// use ferrax::models::Mlp;
/// use ferrax::nn::{Ctx, Module};
/// use ferrax::prelude::*;
/// let mlp = Mlp::new(&ferrax::random::key(0), &[4, 8, 3]); // 2x2x1 images: 4 features
/// let logits = mlp.forward(&Tensor::ones(&[2, 2, 2, 1], DType::F32), &mut Ctx::eval());
/// assert_eq!(logits.shape(), &[2, 3]);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct Mlp {
    /// The dense layers in order (`.layers[0].kernel` and so on in a checkpoint).
    pub layers: Vec<nn::Linear>,
}

impl Mlp {
    /// Layers `sizes[0] -> sizes[1] -> ... -> sizes[last]`, each initialised from its own
    /// key split off `key`. Panics if fewer than two sizes are given.
    ///
    /// ```
    /// let mlp = ferrax::models::Mlp::new(&ferrax::random::key(0), &[784, 512, 512, 10]);
    /// assert_eq!(mlp.layers.len(), 3);
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, sizes: &[usize]) -> Mlp {
        assert!(
            sizes.len() >= 2,
            "models::Mlp::new: need at least an input and an output size, got {sizes:?}"
        );
        let keys = split_keys(key, sizes.len() - 1);
        let layers = sizes
            .windows(2)
            .zip(&keys)
            .map(|(w, k)| nn::Linear::new(k, w[0], w[1]))
            .collect();
        Mlp { layers }
    }

    /// The MNIST recipe's model: 784-512-512-10.
    ///
    /// ```
    /// let mlp = ferrax::models::Mlp::mnist(&ferrax::random::key(0));
    /// assert_eq!(mlp.layers[2].kernel.shape(), &[512, 10]);
    /// ```
    pub fn mnist(key: &Tensor) -> Mlp {
        Mlp::new(key, &[784, 512, 512, 10])
    }
}

impl Module for Mlp {
    /// Logits `[N, classes]` for `x` of shape `[N, ...]` (flattened to `[N, features]`).
    ///
    /// ```
    /// use ferrax::nn::{Ctx, Module};
    /// use ferrax::prelude::*;
    /// let mlp = ferrax::models::Mlp::new(&ferrax::random::key(1), &[3, 2]);
    /// assert_eq!(mlp.forward(&Tensor::ones(&[5, 3], DType::F32), &mut Ctx::eval()).shape(), &[5, 2]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let mut h = if x.ndim() > 2 {
            x.reshape(&[x.shape()[0] as isize, -1])
        } else {
            x.clone()
        };
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h, cx);
            if i < last {
                h = h.relu();
            }
        }
        h
    }
}

/// `n` keys split off `key`, each a `u32[2]` tensor.
fn split_keys(key: &Tensor, n: usize) -> Vec<Tensor> {
    let keys = crate::random::split(key, n);
    (0..n)
        .map(|i| crate::lax::reshape(&crate::lax::slice(&keys, &[i, 0], &[i + 1, 2], None), &[2]))
        .collect()
}
