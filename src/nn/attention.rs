//! [`MultiHeadAttention`] (flax.linen's `MultiHeadDotProductAttention`), boolean attention
//! masks, and a pre-norm [`TransformerBlock`].
//!
//! Both are [`Module`]s over one sequence (self-attention; causal when the layer is built
//! with `.causal()`, so a decoder composes in a tuple or a `Sequential`). A mask that changes
//! with every batch (padding) or a second sequence (cross-attention) is an input: the typed
//! methods [`MultiHeadAttention::attend`] and [`TransformerBlock::forward_masked`] take it
//! beside the `Ctx`.

use super::layers::Linear;
use super::module::{Ctx, Module};
use super::norm::{Dropout, LayerNorm};
use super::{gelu, softmax};
use crate::lax;
use crate::numpy as jnp;
use crate::random;
use crate::tensor::{DType, Tensor};
use crate::PyTree;

/// A causal mask `bool[len, len]`: query `i` may attend to keys `j <= i`. Broadcasts against
/// attention logits `[.., heads, len, len]`.
///
/// ```
/// let m = ferrax::nn::causal_mask(3).to_vec::<bool>();
/// assert_eq!(m, vec![true, false, false, true, true, false, true, true, true]);
/// ```
#[track_caller]
pub fn causal_mask(len: usize) -> Tensor {
    let rows = lax::iota(DType::I32, &[len, len], 0);
    let cols = lax::iota(DType::I32, &[len, len], 1);
    rows.ge(&cols)
}

/// A key-padding mask `bool[.., 1, 1, Lk]` from `key_valid: bool[.., Lk]` (true = a real
/// token): every head and query may attend to the valid keys only.
///
/// ```
/// use ferrax::prelude::*;
/// let valid = Tensor::from_vec(vec![true, true, false], &[1, 3]);
/// assert_eq!(ferrax::nn::padding_mask(&valid).shape(), &[1, 1, 1, 3]);
/// ```
#[track_caller]
pub fn padding_mask(key_valid: &Tensor) -> Tensor {
    jnp::expand_dims(&jnp::expand_dims(key_valid, -2), -3)
}

/// `bool[.., 1, Lq, Lk]`: `query_valid[.., q] && key_valid[.., k]` (flax's
/// `make_attention_mask`).
///
/// ```
/// use ferrax::prelude::*;
/// let q = Tensor::from_vec(vec![true, false], &[2]);
/// let k = Tensor::from_vec(vec![true, true, false], &[3]);
/// let m = ferrax::nn::attention_mask(&q, &k);
/// assert_eq!(m.shape(), &[1, 2, 3]);
/// assert_eq!(m.to_vec::<bool>(), vec![true, true, false, false, false, false]);
/// ```
#[track_caller]
pub fn attention_mask(query_valid: &Tensor, key_valid: &Tensor) -> Tensor {
    let m = jnp::logical_and(
        jnp::expand_dims(query_valid, -1),
        jnp::expand_dims(key_valid, -2),
    );
    jnp::expand_dims(&m, -3)
}

/// `[.., L, heads·dh] -> [.., heads, L, dh]`.
fn split_heads(x: &Tensor, heads: usize) -> Tensor {
    let nd = x.ndim();
    let mut shape = x.shape().to_vec();
    let d = shape[nd - 1];
    shape[nd - 1] = heads;
    shape.push(d / heads);
    jnp::moveaxis(&lax::reshape(x, &shape), -2, -3)
}

/// Multi-head dot-product attention (`flax.linen.MultiHeadDotProductAttention`): query, key,
/// value and output projections (`dim -> dim`, LeCun normal kernels, zero biases); per head,
/// `softmax(q·kᵀ / √dh)` over the keys, where masked-out logits are set to the dtype's most
/// negative finite value (so a fully masked row gives uniform weights, never NaN).
///
/// As a [`Module`], `forward(x)` is self-attention over `x[.., L, dim]` (with the causal mask
/// if the layer is [`causal`](Self::causal)); [`attend`](Self::attend) takes a separate
/// key/value sequence and a mask.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Ctx, Module};
/// let mha = nn::MultiHeadAttention::new(&ferrax::random::key(0), 8, 2).causal();
/// let x = Tensor::ones(&[3, 5, 8], DType::F32);
/// let y = mha.forward(&x, &mut Ctx::eval());
/// assert_eq!(y.shape(), &[3, 5, 8]);
/// let same = mha.attend(&x, &x, Some(&nn::causal_mask(5)), &mut Ctx::eval());
/// assert_eq!(y.to_vec::<f32>(), same.to_vec::<f32>());
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct MultiHeadAttention {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    pub out: Linear,
    #[pytree(static)]
    pub num_heads: usize,
    /// Whether [`Module::forward`] applies the causal mask (query `i` sees keys `j <= i`).
    #[pytree(static)]
    pub is_causal: bool,
}

impl MultiHeadAttention {
    /// `num_heads` heads over `dim` features (`dim` divisible by `num_heads`), not causal.
    ///
    /// ```
    /// let mha = ferrax::nn::MultiHeadAttention::new(&ferrax::random::key(0), 8, 2);
    /// assert_eq!(mha.query.kernel.shape(), &[8, 8]);
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, dim: usize, num_heads: usize) -> Self {
        assert!(
            num_heads >= 1 && dim % num_heads == 0,
            "nn::MultiHeadAttention::new: dim {dim} is not divisible by num_heads {num_heads}"
        );
        let [kq, kk, kv, ko] = random::split_n(key);
        MultiHeadAttention {
            query: Linear::new(&kq, dim, dim),
            key: Linear::new(&kk, dim, dim),
            value: Linear::new(&kv, dim, dim),
            out: Linear::new(&ko, dim, dim),
            num_heads,
            is_causal: false,
        }
    }

    /// The same layer, applying the causal mask in [`Module::forward`].
    ///
    /// ```
    /// assert!(ferrax::nn::MultiHeadAttention::new(&ferrax::random::key(0), 4, 1).causal().is_causal);
    /// ```
    pub fn causal(mut self) -> Self {
        self.is_causal = true;
        self
    }

    /// Attends from `inputs_q[.., Lq, dim]` to `inputs_kv[.., Lk, dim]`; `mask` is a bool
    /// tensor broadcastable to `[.., heads, Lq, Lk]` (true = may attend). The layer's own
    /// causal flag is not applied here: the mask given is the whole mask.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::Ctx;
    /// let mha = ferrax::nn::MultiHeadAttention::new(&ferrax::random::key(0), 4, 1);
    /// let q = Tensor::ones(&[2, 4], DType::F32);
    /// let kv = Tensor::ones(&[6, 4], DType::F32);
    /// assert_eq!(mha.attend(&q, &kv, None, &mut Ctx::eval()).shape(), &[2, 4]);
    /// ```
    #[track_caller]
    pub fn attend(
        &self,
        inputs_q: &Tensor,
        inputs_kv: &Tensor,
        mask: Option<&Tensor>,
        cx: &mut Ctx,
    ) -> Tensor {
        assert!(
            inputs_q.ndim() >= 2 && inputs_kv.ndim() == inputs_q.ndim(),
            "nn::MultiHeadAttention: expected inputs [.., L, dim] of equal rank, got {} and {}",
            inputs_q.aval(),
            inputs_kv.aval()
        );
        let h = self.num_heads;
        let q = split_heads(&self.query.forward(inputs_q, cx), h);
        let k = split_heads(&self.key.forward(inputs_kv, cx), h);
        let v = split_heads(&self.value.forward(inputs_kv, cx), h);
        let nd = q.ndim();
        let depth = q.shape()[nd - 1] as f64;
        let batch: Vec<usize> = (0..nd - 2).collect();
        let q = q / depth.sqrt();
        let logits = lax::dot_general(&q, &k, ((&[nd - 1], &[nd - 1]), (&batch, &batch)), None);
        let logits = match mask {
            Some(m) => {
                assert!(
                    m.dtype() == DType::Bool,
                    "nn::MultiHeadAttention: the mask must be bool, got {}",
                    m.aval()
                );
                let big_neg = if logits.dtype() == DType::F64 {
                    f64::MIN
                } else {
                    f32::MIN as f64
                };
                jnp::where_(m, &logits, big_neg)
            }
            None => logits,
        };
        let weights = softmax(&logits, -1);
        let o = lax::dot_general(
            &weights,
            &v,
            ((&[nd - 1], &[nd - 2]), (&batch, &batch)),
            None,
        );
        let o = jnp::moveaxis(&o, -3, -2); // [.., Lq, heads, dh]
        let mut shape = o.shape()[..nd - 2].to_vec();
        shape.push(o.shape()[nd - 2] * o.shape()[nd - 1]);
        self.out.forward(&lax::reshape(&o, &shape), cx)
    }

    /// The causal mask for `x[.., L, dim]` if the layer is causal.
    fn own_mask(&self, x: &Tensor) -> Option<Tensor> {
        self.is_causal
            .then(|| causal_mask(x.shape()[x.ndim().saturating_sub(2)]))
    }
}

impl Module for MultiHeadAttention {
    /// Self-attention over `x[.., L, dim]` (causal if the layer is).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, Module};
    /// let mha = ferrax::nn::MultiHeadAttention::new(&ferrax::random::key(0), 4, 2);
    /// assert_eq!(mha.forward(&Tensor::ones(&[3, 4], DType::F32), &mut Ctx::eval()).shape(), &[3, 4]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        self.attend(x, x, self.own_mask(x).as_ref(), cx)
    }
}

/// A pre-norm Transformer encoder block: `x + MHA(LN(x))`, then `x + MLP(LN(x))` with
/// `MLP = Linear(dim, mlp_dim) → gelu → Linear(mlp_dim, dim)`; optional dropout (rate 0 by
/// default) on both residual branches, drawing its keys from the [`Ctx`] in training. Causal
/// (a decoder block) when built with [`causal`](Self::causal).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Ctx, Module};
/// let block = nn::TransformerBlock::new(&ferrax::random::key(0), 16, 4, 32).causal();
/// let x = Tensor::ones(&[2, 7, 16], DType::F32);
/// assert_eq!(block.forward(&x, &mut Ctx::eval()).shape(), &[2, 7, 16]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct TransformerBlock {
    pub ln1: LayerNorm,
    pub attn: MultiHeadAttention,
    pub ln2: LayerNorm,
    pub mlp_in: Linear,
    pub mlp_out: Linear,
    pub dropout: Dropout,
}

impl TransformerBlock {
    /// A block over `dim` features with `num_heads` heads and an `mlp_dim` hidden MLP.
    ///
    /// ```
    /// let b = ferrax::nn::TransformerBlock::new(&ferrax::random::key(0), 8, 2, 32);
    /// assert_eq!(b.mlp_in.kernel.shape(), &[8, 32]);
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, dim: usize, num_heads: usize, mlp_dim: usize) -> Self {
        let [ka, k1, k2] = random::split_n(key);
        TransformerBlock {
            ln1: LayerNorm::new(dim),
            attn: MultiHeadAttention::new(&ka, dim, num_heads),
            ln2: LayerNorm::new(dim),
            mlp_in: Linear::new(&k1, dim, mlp_dim),
            mlp_out: Linear::new(&k2, mlp_dim, dim),
            dropout: Dropout::new(0.0),
        }
    }

    /// The same block with residual dropout `rate` (active in training).
    ///
    /// ```
    /// let b = ferrax::nn::TransformerBlock::new(&ferrax::random::key(0), 8, 2, 32).with_dropout(0.1);
    /// assert_eq!(b.dropout.rate.0, 0.1);
    /// ```
    #[track_caller]
    pub fn with_dropout(mut self, rate: f64) -> Self {
        self.dropout = Dropout::new(rate);
        self
    }

    /// The same block with causal self-attention.
    ///
    /// ```
    /// assert!(ferrax::nn::TransformerBlock::new(&ferrax::random::key(0), 4, 1, 8).causal().attn.is_causal);
    /// ```
    pub fn causal(mut self) -> Self {
        self.attn = self.attn.causal();
        self
    }

    /// The block on `x[.., L, dim]` with an explicit attention `mask` (e.g. padding combined
    /// with causality; it replaces the layer's own causal mask).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{self, Ctx};
    /// let b = nn::TransformerBlock::new(&ferrax::random::key(0), 4, 1, 8).with_dropout(0.5);
    /// let x = Tensor::ones(&[2, 3, 4], DType::F32);
    /// let valid = Tensor::from_vec(vec![true, true, false, true, true, true], &[2, 3]);
    /// let mask = nn::padding_mask(&valid);
    /// let y = b.forward_masked(&x, Some(&mask), &mut Ctx::train(&ferrax::random::key(1)));
    /// assert_eq!(y.shape(), &[2, 3, 4]);
    /// ```
    #[track_caller]
    pub fn forward_masked(&self, x: &Tensor, mask: Option<&Tensor>, cx: &mut Ctx) -> Tensor {
        let h = self.ln1.forward(x, cx);
        let a = self.attn.attend(&h, &h, mask, cx);
        let x = x + self.dropout.forward(&a, cx);
        let m = self.ln2.forward(&x, cx);
        let m = self
            .mlp_out
            .forward(&gelu(&self.mlp_in.forward(&m, cx)), cx);
        &x + self.dropout.forward(&m, cx)
    }
}

impl Module for TransformerBlock {
    /// The block on `x[.., L, dim]` (causal if the block is).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, Module};
    /// let b = ferrax::nn::TransformerBlock::new(&ferrax::random::key(0), 4, 1, 8);
    /// assert_eq!(b.forward(&Tensor::ones(&[3, 4], DType::F32), &mut Ctx::eval()).shape(), &[3, 4]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        self.forward_masked(x, self.attn.own_mask(x).as_ref(), cx)
    }
}
