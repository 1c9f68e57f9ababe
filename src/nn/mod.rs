//! `ferrax::nn`: neural-network building blocks as plain compositions of public ops, so every
//! one of them gets `grad`, `vmap` and `jit` for free (no layer has gradient code of its own).
//!
//! - Activations and softmaxes (`relu`, `gelu`, `log_softmax`, ...), as `jax.nn`.
//! - Functional conv and pooling, NHWC activations and HWIO kernels as `jax.lax`/flax:
//!   [`conv2d`], [`conv2d_with`], [`max_pool2d`], [`avg_pool2d`] and [`Padding`].
//! - Initialisers with `jax.nn.initializers`' definitions in [`init`].
//! - Layers: plain pytrees (`#[derive(PyTree)]`) built by `new(key, ...)` from an
//!   explicit PRNG key, with flax.linen's defaults, and one calling convention, [`Module`]:
//!   `forward(&self, x, &mut Ctx) -> Tensor`. The [`Ctx`] carries the mode, a stream of PRNG
//!   keys (dropout) and the mutable state (batch-norm statistics), explicitly as in equinox:
//!   a layer never mutates itself, and a jitted step takes the state in and returns it.
//!
//! | layer | `forward(&x, cx)` | more inputs or outputs |
//! |---|---|---|
//! | [`Linear`] `::new(key, in, out)` | `[.., in] -> [.., out]` | |
//! | [`Conv2d`] `::new(key, in, out, [kh, kw])` | `[N, H, W, in] -> [N, H', W', out]` (SAME, stride 1 unless [`Conv2dOptions`]) | |
//! | [`Conv1d`], [`Conv3d`] `::new(key, in, out, window)` | `[N, W, in]` / `[N, D, H, W, in]`, as [`Conv2d`] | |
//! | [`ConvTranspose`] `::new(key, in, out, &window)` (any rank) | `lax.conv_transpose` as flax's `ConvTranspose` | |
//! | [`MaxPool2d`], [`AvgPool2d`], [`Flatten`] | pools / flattens | |
//! | [`MaxPool1d`], [`MaxPool3d`], [`AvgPool1d`], [`AvgPool3d`], [`GlobalAvgPool`], [`GlobalMaxPool`] | pools of other ranks, global pools | |
//! | [`Embedding`] `::new(key, vocab, dim)` | `ids i32[..] -> [.., dim]` | `attend(&q)` |
//! | [`Dropout`] `::new(rate)` | drops in training (one key from `cx`) | |
//! | [`BatchNorm`] `::new(features)` | batch statistics in training (stored in `cx`'s state), running ones in eval | `running_stats(&state)` |
//! | [`LayerNorm`] `::new(features)` | normalises the last axis | |
//! | [`GroupNorm`] `::new(features, groups)`, [`RmsNorm`] `::new(features)`, [`InstanceNorm`] `::new(features)` | flax's normalisations (f32 statistics) | |
//! | [`SinusoidalEncoding`] | adds "Attention is all you need" positions | |
//! | [`Rnn`], [`Lstm`], [`Gru`] `::new(key, in, hidden)` | `[.., T, in] -> [.., T, hidden]` (batch-major) | `forward_with_carry(&carry, &xs, cx) -> (carry, ys)` |
//! | [`RnnCell`], [`LstmCell`], [`GruCell`] | (cells: `step(&carry, &x) -> (carry, y)`) | |
//! | [`Bidirectional`] `::new(fwd, bwd)` | both directions, outputs concatenated | `forward_with_carry(&xs, seq_lengths, cx)` |
//! | [`MultiHeadAttention`] `::new(key, dim, heads)` or `::grouped(key, dim, heads, kv_heads)` (`.causal()`, `.with_rope(base)`, `.with_dropout(r)`) | self-attention | `attend(&q, &kv, mask, cx)`, `decode_step(&x_t, &cache)` with a [`KvCache`] |
//! | [`TransformerBlock`] `::new(key, dim, heads, mlp_dim)` (`.causal()`, `.with_dropout(r)`) | `[.., L, dim] -> [.., L, dim]` | `forward_masked(&x, mask, cx)` |
//! | [`Relu`], [`Gelu`], [`Silu`], [`Sigmoid`], [`Tanh`], [`Softmax`], [`LogSoftmax`], [`Lambda`]`(f)` | activations as modules | |
//! | tuples `(a, b, ..)`, [`Sequential`], `Vec<M>` | apply their modules in order | |
//!
//! **Composition is open.** A user's own module (any pytree implementing [`Module`]) sits in
//! a tuple or a [`Sequential`] beside the built-in ones. **More than one input or output**
//! (attention with a mask, cross-attention, a recurrent layer's carry, an encoder-decoder)
//! goes through a typed method taking `cx` beside the inputs, as the table's last column;
//! a model of your own does the same:
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::nn::{self, Ctx, Module};
//! #[derive(PyTree, Clone)]
//! struct EncoderDecoder { encoder: nn::TransformerBlock, cross: nn::MultiHeadAttention, decoder: nn::TransformerBlock }
//! impl EncoderDecoder {
//!     fn forward(&self, src: &Tensor, tgt: &Tensor, cx: &mut Ctx) -> Tensor {
//!         let memory = self.encoder.forward(src, cx);
//!         let y = self.decoder.forward(tgt, cx); // causal self-attention
//!         &y + self.cross.attend(&y, &memory, None, cx)
//!     }
//! }
//! let [k1, k2, k3] = ferrax::random::split_n(&ferrax::random::key(0));
//! let m = EncoderDecoder {
//!     encoder: nn::TransformerBlock::new(&k1, 8, 2, 16),
//!     cross: nn::MultiHeadAttention::new(&k2, 8, 2),
//!     decoder: nn::TransformerBlock::new(&k3, 8, 2, 16).causal(),
//! };
//! let (src, tgt) = (Tensor::ones(&[2, 5, 8], DType::F32), Tensor::ones(&[2, 3, 8], DType::F32));
//! assert_eq!(m.forward(&src, &tgt, &mut Ctx::eval()).shape(), &[2, 3, 8]);
//! ```
//!
//! Parameters default to f32; [`tree_cast`](crate::optim::tree_utils::tree_cast) converts a
//! whole model (e.g. to f64 for gradient checks).
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::{nn, random};
//! use ferrax::nn::{Ctx, Module};
//! #[derive(PyTree, Clone)]
//! struct Block { lin: nn::Linear, drop: nn::Dropout }
//! impl Module for Block {
//!     fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
//!         self.drop.forward(&self.lin.forward(x, cx).relu(), cx)
//!     }
//! }
//! let [k1, k2, k3, key] = random::split_n(&random::key(0));
//! type Model = (nn::Linear, Block, nn::Linear);
//! let model: Model = (
//!     nn::Linear::new(&k1, 4, 16),
//!     Block { lin: nn::Linear::new(&k2, 16, 16), drop: nn::Dropout::new(0.5) },
//!     nn::Linear::new(&k3, 16, 3),
//! );
//! let x = Tensor::ones(&[5, 4], DType::F32);
//! let y = model.forward(&x, &mut Ctx::eval()); // inference: dropout is the identity
//! assert_eq!(y.shape(), &[5, 3]);
//! let g: Model = grad(|m: &Model| m.forward(&x, &mut Ctx::train(&key)).sum())(&model);
//! assert_eq!(g.1.lin.kernel.shape(), &[16, 16]);
//! ```

mod activations;
mod attention;
mod bidirectional;
mod conv;
mod functional;
pub mod init;
mod kv_cache;
mod layers;
mod module;
mod norm;
mod norm_more;
mod pooling;
mod positional;
mod recurrent;
mod sequential;

pub use activations::*;
pub use attention::*;
pub use bidirectional::*;
pub use conv::*;
pub use functional::*;
pub use kv_cache::*;
pub use layers::*;
pub use module::{
    init_state, Ctx, Gelu, Lambda, LogSoftmax, Module, Relu, Sigmoid, Silu, Softmax, State,
    StateIndex, Tanh,
};
pub use norm::*;
pub use norm_more::*;
pub use pooling::*;
pub use positional::*;
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
