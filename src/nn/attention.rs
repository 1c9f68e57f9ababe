//! [`MultiHeadAttention`] (flax.linen's `MultiHeadDotProductAttention`), boolean attention
//! masks, and a pre-norm [`TransformerBlock`].

use super::layers::Linear;
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
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn;
/// let mha = nn::MultiHeadAttention::new(&ferrax::random::key(0), 8, 2);
/// let x = Tensor::ones(&[3, 5, 8], DType::F32);
/// let y = mha.self_attention(&x, Some(&nn::causal_mask(5)));
/// assert_eq!(y.shape(), &[3, 5, 8]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct MultiHeadAttention {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    pub out: Linear,
    #[pytree(static)]
    pub num_heads: usize,
}

impl MultiHeadAttention {
    /// `num_heads` heads over `dim` features (`dim` divisible by `num_heads`).
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
        }
    }

    /// Attends from `inputs_q[.., Lq, dim]` to `inputs_kv[.., Lk, dim]`; `mask` is a bool
    /// tensor broadcastable to `[.., heads, Lq, Lk]` (true = may attend).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let mha = ferrax::nn::MultiHeadAttention::new(&ferrax::random::key(0), 4, 1);
    /// let q = Tensor::ones(&[2, 4], DType::F32);
    /// let kv = Tensor::ones(&[6, 4], DType::F32);
    /// assert_eq!(mha.forward(&q, &kv, None).shape(), &[2, 4]);
    /// ```
    #[track_caller]
    pub fn forward(&self, inputs_q: &Tensor, inputs_kv: &Tensor, mask: Option<&Tensor>) -> Tensor {
        assert!(
            inputs_q.ndim() >= 2 && inputs_kv.ndim() == inputs_q.ndim(),
            "nn::MultiHeadAttention: expected inputs [.., L, dim] of equal rank, got {} and {}",
            inputs_q.aval(),
            inputs_kv.aval()
        );
        let h = self.num_heads;
        let q = split_heads(&self.query.forward(inputs_q), h);
        let k = split_heads(&self.key.forward(inputs_kv), h);
        let v = split_heads(&self.value.forward(inputs_kv), h);
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
        self.out.forward(&lax::reshape(&o, &shape))
    }

    /// Self-attention: `forward(x, x, mask)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let mha = ferrax::nn::MultiHeadAttention::new(&ferrax::random::key(0), 4, 2);
    /// assert_eq!(mha.self_attention(&Tensor::ones(&[3, 4], DType::F32), None).shape(), &[3, 4]);
    /// ```
    #[track_caller]
    pub fn self_attention(&self, x: &Tensor, mask: Option<&Tensor>) -> Tensor {
        self.forward(x, x, mask)
    }
}

/// A pre-norm Transformer encoder block: `x + MHA(LN(x))`, then `x + MLP(LN(x))` with
/// `MLP = Linear(dim, mlp_dim) → gelu → Linear(mlp_dim, dim)`; optional dropout (rate 0 by
/// default) on both residual branches.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn;
/// let block = nn::TransformerBlock::new(&ferrax::random::key(0), 16, 4, 32);
/// let x = Tensor::ones(&[2, 7, 16], DType::F32);
/// assert_eq!(block.forward(&x, Some(&nn::causal_mask(7))).shape(), &[2, 7, 16]);
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

    /// The same block with residual dropout `rate` (active in [`Self::forward_train`]).
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

    /// The block in evaluation mode on `x[.., L, dim]`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let b = ferrax::nn::TransformerBlock::new(&ferrax::random::key(0), 4, 1, 8);
    /// assert_eq!(b.forward(&Tensor::ones(&[3, 4], DType::F32), None).shape(), &[3, 4]);
    /// ```
    #[track_caller]
    pub fn forward(&self, x: &Tensor, mask: Option<&Tensor>) -> Tensor {
        self.run(x, mask, false, None)
    }

    /// The block in training mode: dropout draws from `key` (split per branch).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let b = ferrax::nn::TransformerBlock::new(&ferrax::random::key(0), 4, 1, 8).with_dropout(0.5);
    /// let x = Tensor::ones(&[3, 4], DType::F32);
    /// let y = b.forward_train(&x, None, &ferrax::random::key(1));
    /// assert_eq!(y.shape(), &[3, 4]);
    /// ```
    #[track_caller]
    pub fn forward_train(&self, x: &Tensor, mask: Option<&Tensor>, key: &Tensor) -> Tensor {
        self.run(x, mask, true, Some(key))
    }

    #[track_caller]
    fn run(&self, x: &Tensor, mask: Option<&Tensor>, train: bool, key: Option<&Tensor>) -> Tensor {
        let keys = key.map(|k| random::split_n::<2>(k));
        let k = |i: usize| keys.as_ref().map(|ks| &ks[i]);
        let a = self.attn.self_attention(&self.ln1.forward(x), mask);
        let x = x + self.dropout.forward(&a, train, k(0));
        let m = self
            .mlp_out
            .forward(&gelu(&self.mlp_in.forward(&self.ln2.forward(&x))));
        &x + self.dropout.forward(&m, train, k(1))
    }
}
