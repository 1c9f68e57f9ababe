//! `ferrax::nn`: neural-network building blocks as plain compositions of public ops, so every
//! one of them gets `grad`, `vmap` and `jit` for free (no layer has gradient code of its own).
//!
//! - Activations and softmaxes (`relu`, `gelu`, `log_softmax`, ...), as `jax.nn`.
//! - Functional conv and pooling, NHWC activations and HWIO kernels as `jax.lax`/flax:
//!   [`conv2d`], [`conv2d_with`], [`max_pool2d`], [`avg_pool2d`] and [`Padding`].
//! - Initialisers with `jax.nn.initializers`' definitions in [`init`].
//! - Layers: plain pytrees (`#[derive(PyTree)]`) built by `Layer::new(key, ...)` from an
//!   explicit PRNG key, applied by a pure `forward`; defaults as `flax.linen`.
//!
//! | layer | call |
//! |---|---|
//! | [`Linear`] `::new(key, in, out)` | `forward(&x[.., in]) -> [.., out]` |
//! | [`Conv2d`] `::new(key, in, out, [kh, kw])` | `forward(&x[N, H, W, in])` (SAME, stride 1 unless [`Conv2dOptions`]) |
//! | [`MaxPool2d`], [`AvgPool2d`], [`Flatten`] | `forward(&x)` |
//! | [`Embedding`] `::new(key, vocab, dim)` | `forward(&ids i32[..]) -> [.., dim]`, `attend(&q)` |
//! | [`Dropout`] `::new(rate)` | `forward(&x, train, Some(&key))` |
//! | [`BatchNorm`] `::new(features)` + `init_state()` | `forward(&x, &state, train) -> (y, new_state)` |
//! | [`LayerNorm`] `::new(features)` | `forward(&x)` |
//! | [`RnnCell`], [`LstmCell`], [`GruCell`] `::new(key, in, hidden)` | `step(&carry, &x) -> (carry, y)` |
//! | [`Rnn`], [`Lstm`], [`Gru`] `::new(key, in, hidden)` | `forward(&xs[.., T, in]) -> [.., T, hidden]` (batch-major) |
//! | [`MultiHeadAttention`] `::new(key, dim, heads)` | `forward(&q, &kv, mask)`, `self_attention(&x, mask)` |
//! | [`TransformerBlock`] `::new(key, dim, heads, mlp_dim)` | `forward(&x[.., L, dim], mask)` |
//! | [`Sequential`] `::new(vec![..])` | `forward(&x, &state, &Mode) -> (y, state)`, `predict(&x, &state)` |
//!
//! Randomness (dropout) and state (batch-norm running statistics) are explicit, as in
//! equinox: a layer never mutates itself. Parameters default to f32;
//! [`tree_cast`](crate::optim::tree_utils::tree_cast) converts a whole model (e.g. to f64 for gradient
//! checks).
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::{nn, random};
//! #[derive(PyTree, Clone)]
//! struct Mlp { l1: nn::Linear, l2: nn::Linear }
//! let [k1, k2] = random::split_n(&random::key(0));
//! let mlp = Mlp { l1: nn::Linear::new(&k1, 4, 8), l2: nn::Linear::new(&k2, 8, 2) };
//! let x = Tensor::ones(&[5, 4], DType::F32);
//! let loss = |m: &Mlp| m.l2.forward(&m.l1.forward(&x).tanh()).square().mean();
//! let g: Mlp = grad(loss)(&mlp);
//! assert_eq!(g.l1.kernel.shape(), &[4, 8]);
//! ```

mod activations;
mod attention;
mod functional;
pub mod init;
mod layers;
mod module;
mod norm;
mod recurrent;
mod sequential;

pub use activations::*;
pub use attention::*;
pub use functional::*;
pub use layers::*;
pub use module::{Ctx, Gelu, Lambda, Module, Relu, Sigmoid, Silu, State, StateIndex, Tanh};
pub use norm::*;
pub use recurrent::*;
pub use sequential::*;

use std::hash::{Hash, Hasher};

/// An `f64` hyperparameter usable as a `#[pytree(static)]` field (compared and hashed by its
/// bits), e.g. a dropout rate: part of the structure, so never differentiated or traced.
///
/// ```
/// use ferrax::nn::Hyper;
/// assert_eq!(Hyper(0.5), Hyper(0.5));
/// assert_eq!(Hyper(0.25).0, 0.25);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Hyper(pub f64);

impl PartialEq for Hyper {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Hyper {}

impl Hash for Hyper {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}
