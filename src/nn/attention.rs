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
use super::positional::apply_rope;
use super::{gelu, softmax, Hyper};
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

/// `[.., L, heads·dh] -> [.., L, heads, dh]` (flax's attention layout).
#[track_caller]
fn split_heads(x: &Tensor, heads: usize) -> Tensor {
    let nd = x.ndim();
    let mut shape = x.shape().to_vec();
    let d = shape[nd - 1];
    shape[nd - 1] = heads;
    shape.push(d / heads);
    lax::reshape(x, &shape)
}

/// Multi-head dot-product attention (`flax.linen.MultiHeadDotProductAttention`): query, key,
/// value and output projections (LeCun normal kernels, zero biases); per head,
/// `softmax(q·kᵀ / √dh)` over the keys, where masked-out logits are set to the dtype's most
/// negative finite value (so a fully masked row gives uniform weights, never NaN).
///
/// Options beyond flax.linen's layer: `num_kv_heads < num_heads` shares each key/value head
/// between `num_heads / num_kv_heads` consecutive query heads (grouped-query attention; one
/// kv head is multi-query attention) as `jax.nn.dot_product_attention` groups them;
/// `dropout_rate` drops attention weights in training (flax's `dropout_rate`, one key from the
/// [`Ctx`] per pass when the rate is positive); `rope_base` applies rotary position embeddings
/// ([`apply_rope`](super::apply_rope)) to queries and keys at their positions. For
/// autoregressive decoding with a key/value cache see
/// [`decode_step`](Self::decode_step).
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
    /// Key/value heads (`num_heads` unless grouped; divides `num_heads`).
    #[pytree(static)]
    pub num_kv_heads: usize,
    /// Whether [`Module::forward`] applies the causal mask (query `i` sees keys `j <= i`).
    #[pytree(static)]
    pub is_causal: bool,
    /// Dropout on the attention weights in training (0 by default); one mask element per
    /// weight (flax's `broadcast_dropout=False`).
    #[pytree(static)]
    pub dropout_rate: Hyper,
    /// The RoPE base (e.g. 10000) if rotary embeddings are applied to queries and keys.
    #[pytree(static)]
    pub rope_base: Option<Hyper>,
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
        Self::grouped(key, dim, num_heads, num_heads)
    }

    /// `num_heads` query heads sharing `num_kv_heads` key/value heads (grouped-query
    /// attention; `num_kv_heads = 1` is multi-query attention): the key and value projections
    /// are `dim -> num_kv_heads · dim / num_heads`.
    ///
    /// ```
    /// let mha = ferrax::nn::MultiHeadAttention::grouped(&ferrax::random::key(0), 8, 4, 2);
    /// assert_eq!((mha.query.kernel.shape(), mha.key.kernel.shape()), (&[8usize, 8][..], &[8usize, 4][..]));
    /// ```
    #[track_caller]
    pub fn grouped(key: &Tensor, dim: usize, num_heads: usize, num_kv_heads: usize) -> Self {
        assert!(
            num_heads >= 1 && dim.is_multiple_of(num_heads),
            "nn::MultiHeadAttention::new: dim {dim} is not divisible by num_heads {num_heads}"
        );
        assert!(
            num_kv_heads >= 1 && num_heads.is_multiple_of(num_kv_heads),
            "nn::MultiHeadAttention::grouped: num_heads {num_heads} is not a multiple of \
             num_kv_heads {num_kv_heads}"
        );
        let kv_dim = num_kv_heads * (dim / num_heads);
        let [kq, kk, kv, ko] = random::split_n(key);
        MultiHeadAttention {
            query: Linear::new(&kq, dim, dim),
            key: Linear::new(&kk, dim, kv_dim),
            value: Linear::new(&kv, dim, kv_dim),
            out: Linear::new(&ko, dim, dim),
            num_heads,
            num_kv_heads,
            is_causal: false,
            dropout_rate: Hyper(0.0),
            rope_base: None,
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

    /// The same layer with dropout `rate` on the attention weights (active in training).
    ///
    /// ```
    /// let mha = ferrax::nn::MultiHeadAttention::new(&ferrax::random::key(0), 4, 1).with_dropout(0.1);
    /// assert_eq!(mha.dropout_rate.0, 0.1);
    /// ```
    #[track_caller]
    pub fn with_dropout(mut self, rate: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&rate),
            "nn::MultiHeadAttention::with_dropout: rate must be in [0, 1], got {rate}"
        );
        self.dropout_rate = Hyper(rate);
        self
    }

    /// The same layer applying RoPE with `base` (usually 10000) to queries and keys: a query
    /// or key at position `p` of its sequence is rotated by [`apply_rope`](super::apply_rope).
    ///
    /// ```
    /// let mha = ferrax::nn::MultiHeadAttention::new(&ferrax::random::key(0), 8, 2).with_rope(10000.0);
    /// assert_eq!(mha.rope_base.unwrap().0, 10000.0);
    /// ```
    pub fn with_rope(mut self, base: f64) -> Self {
        self.rope_base = Some(Hyper(base));
        self
    }

    /// Projects `x[.., L, dim]` to `[.., L, heads, dh]` with `proj`, rotated (RoPE) at
    /// `positions` if the layer uses it.
    #[track_caller]
    pub(crate) fn project(
        &self,
        proj: &Linear,
        x: &Tensor,
        heads: usize,
        positions: &Tensor,
        rotate: bool,
        cx: &mut Ctx,
    ) -> Tensor {
        let t = split_heads(&proj.forward(x, cx), heads);
        match (&self.rope_base, rotate) {
            (Some(base), true) => apply_rope(&t, positions, base.0),
            _ => t,
        }
    }

    /// Attends from `inputs_q[.., Lq, dim]` to `inputs_kv[.., Lk, dim]`; `mask` is a bool
    /// tensor broadcastable to `[.., heads, Lq, Lk]` (true = may attend). The layer's own
    /// causal flag is not applied here: the mask given is the whole mask. With RoPE, queries
    /// and keys are at positions `0..Lq` and `0..Lk`.
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
            "nn::MultiHeadAttention: expected inputs [.., L, dim] of equal rank, got {} and {} \
             (called from {})",
            inputs_q.aval(),
            inputs_kv.aval(),
            std::panic::Location::caller()
        );
        let nd = inputs_q.ndim();
        let (lq, lk) = (inputs_q.shape()[nd - 2], inputs_kv.shape()[nd - 2]);
        let (pq, pk) = (
            lax::iota(DType::I32, &[lq], 0),
            lax::iota(DType::I32, &[lk], 0),
        );
        let q = self.project(&self.query, inputs_q, self.num_heads, &pq, true, cx);
        let k = self.project(&self.key, inputs_kv, self.num_kv_heads, &pk, true, cx);
        let v = self.project(&self.value, inputs_kv, self.num_kv_heads, &pk, false, cx);
        let o = self.attention(&q, &k, &v, mask, cx);
        self.out.forward(&o, cx)
    }

    /// The attention itself on projected `q[.., Lq, H, dh]`, `k`/`v[.., Lk, KV, dh]`:
    /// `[.., Lq, H·dh]`, ready for the output projection.
    #[track_caller]
    pub(crate) fn attention(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        mask: Option<&Tensor>,
        cx: &mut Ctx,
    ) -> Tensor {
        let group = self.num_heads / self.num_kv_heads;
        let (k, v) = if group > 1 {
            (
                jnp::repeat(k, group, Some(-2)),
                jnp::repeat(v, group, Some(-2)),
            )
        } else {
            (k.clone(), v.clone())
        };
        // [.., heads, L, dh]
        let (q, k, v) = (
            jnp::moveaxis(q, -2, -3),
            jnp::moveaxis(&k, -2, -3),
            jnp::moveaxis(&v, -2, -3),
        );
        let nd = q.ndim();
        let depth = q.shape()[nd - 1] as f64;
        let batch: Vec<usize> = (0..nd - 2).collect();
        let q = q / depth.sqrt();
        let logits = lax::dot_general(&q, &k, ((&[nd - 1], &[nd - 1]), (&batch, &batch)), None);
        let logits = match mask {
            Some(m) => {
                assert!(
                    m.dtype() == DType::Bool,
                    "nn::MultiHeadAttention: the mask must be bool, got {} (called from {})",
                    m.aval(),
                    std::panic::Location::caller()
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
        let mut weights = softmax(&logits, -1);
        let rate = self.dropout_rate.0;
        if cx.is_training() && rate > 0.0 {
            let key = cx.next_key();
            weights = if rate >= 1.0 {
                jnp::zeros_like(&weights)
            } else {
                let keep = random::bernoulli(&key, 1.0 - rate, weights.shape());
                weights * keep.cast(logits.dtype()) / (1.0 - rate)
            };
        }
        let o = lax::dot_general(
            &weights,
            &v,
            ((&[nd - 1], &[nd - 2]), (&batch, &batch)),
            None,
        );
        let o = jnp::moveaxis(&o, -3, -2); // [.., Lq, heads, dh]
        let mut shape = o.shape()[..nd - 2].to_vec();
        shape.push(o.shape()[nd - 2] * o.shape()[nd - 1]);
        lax::reshape(&o, &shape)
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
