//! `jax.nn.dot_product_attention` (JAX's XLA path: `[B, T, N, H]` queries, grouped key/value
//! heads, bias, boolean and causal masks, local windows, padding by sequence lengths) and
//! `jax.nn.scaled_matmul` (block-scaled matmul, as its documented composition).

use crate::lax;
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};

/// The keyword arguments of [`dot_product_attention_with`] (JAX's names and defaults).
///
/// ```
/// use ferrax::nn::AttentionOptions;
/// let o = AttentionOptions::default();
/// assert!(o.bias.is_none() && o.scale.is_none() && !o.is_causal);
/// ```
#[derive(Clone, Debug, Default)]
pub struct AttentionOptions {
    /// Added to the logits; 4-D (3-D for unbatched inputs), broadcastable to `[B, N, T, S]`.
    pub bias: Option<Tensor>,
    /// A bool mask, `true` where a query may attend to a key; broadcastable like `bias`.
    pub mask: Option<Tensor>,
    /// The logits' scale (default `1 / √H`).
    pub scale: Option<f64>,
    /// Each query attends only to keys at or before its own position.
    pub is_causal: bool,
    /// i32 `[B]`: the valid query length per example (later rows output zeros).
    pub query_seq_lengths: Option<Tensor>,
    /// i32 `[B]`: the valid key/value length per example.
    pub key_value_seq_lengths: Option<Tensor>,
    /// `(left, right)`: query `t` attends to keys `t - left ..= t + right` only.
    pub local_window_size: Option<(usize, usize)>,
}

/// Scaled dot-product attention `softmax(Q Kᵀ / √H) V` per head, in JAX's layout: `query`
/// `[B, T, N, H]` (or unbatched `[T, N, H]`), `key` and `value` `[B, S, K, H]` with `N` a
/// multiple of `K` (grouped-query attention; multi-query for `K = 1`). Returns the shape of
/// `query`.
///
/// ```
/// use ferrax::prelude::*;
/// let q = Tensor::ones(&[2, 3, 4, 8], DType::F32);
/// let kv = Tensor::ones(&[2, 5, 2, 8], DType::F32); // 4 query heads share 2 key/value heads
/// let y = ferrax::nn::dot_product_attention(&q, &kv, &kv);
/// assert_eq!(y.shape(), &[2, 3, 4, 8]);
/// assert_eq!(y.to_vec::<f32>()[0], 1.0);
/// ```
#[track_caller]
pub fn dot_product_attention(query: &Tensor, key: &Tensor, value: &Tensor) -> Tensor {
    dot_product_attention_with(query, key, value, AttentionOptions::default())
}

/// Adds leading unit dims up to rank 4 (JAX's `_ensure_4d`).
#[track_caller]
fn ensure_4d(t: &Tensor, what: &str, caller: &str) -> Tensor {
    assert!(
        t.ndim() <= 4,
        "nn::{caller}: {what} must have rank 3 or 4, got {} (called from {})",
        t.aval(),
        std::panic::Location::caller()
    );
    let pad = 4 - t.ndim();
    if pad == 0 {
        return t.clone();
    }
    let mut shape = vec![1; pad];
    shape.extend_from_slice(t.shape());
    lax::reshape(t, &shape)
}

/// `[B?, N?, T, S]` bias or mask broadcast to `[B, N, T, S]`, checked.
#[track_caller]
fn to_logits_shape(t: &Tensor, shape: &[usize], what: &str) -> Tensor {
    let t4 = ensure_4d(t, what, "dot_product_attention");
    let ok = t4
        .shape()
        .iter()
        .zip(shape)
        .all(|(&a, &b)| a == b || a == 1);
    assert!(
        ok,
        "nn::dot_product_attention: {what} {} is not broadcastable to the logits [B, N, T, S] = {shape:?} (called from {})",
        t.aval(),
        std::panic::Location::caller()
    );
    jnp::broadcast_to(&t4, shape)
}

/// [`dot_product_attention`] with JAX's keyword arguments: `bias`, boolean `mask`,
/// `is_causal`, `scale`, `query_seq_lengths`, `key_value_seq_lengths`, `local_window_size`.
/// The logits and softmax are computed in f32 at least, masked logits set to a large
/// negative number (so a fully masked row averages the values uniformly, as in JAX).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{dot_product_attention_with, AttentionOptions};
/// let q = Tensor::ones(&[1, 2, 1, 1], DType::F32);
/// let v = Tensor::from_vec(vec![10.0f32, 20.0], &[1, 2, 1, 1]);
/// let opts = AttentionOptions { is_causal: true, ..Default::default() };
/// let y = dot_product_attention_with(&q, &q, &v, opts);
/// assert_eq!(y.to_vec::<f32>(), vec![10.0, 15.0]); // the first query sees only the first key
/// ```
#[track_caller]
pub fn dot_product_attention_with(
    query: &Tensor,
    key: &Tensor,
    value: &Tensor,
    opts: AttentionOptions,
) -> Tensor {
    attention_impl(query, key, value, opts, false).0
}

/// [`dot_product_attention_with`] with `return_residual=True`: also the `logsumexp` of each
/// query's (masked, scaled) logits, `[B, T, N]` (or `[T, N]`) under `stop_gradient`, in the
/// key's dtype (FlashAttention-2's residual, section 3.1.1).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{dot_product_attention_with_residual, AttentionOptions};
/// let q = Tensor::zeros(&[1, 3, 2, 4], DType::F32);
/// let (y, lse) = dot_product_attention_with_residual(&q, &q, &q, AttentionOptions::default());
/// assert_eq!((y.shape(), lse.shape()), (&[1, 3, 2, 4][..], &[1, 3, 2][..]));
/// assert!((lse.to_vec::<f32>()[0] - 3.0f32.ln()).abs() < 1e-6); // zero logits over 3 keys
/// ```
#[track_caller]
pub fn dot_product_attention_with_residual(
    query: &Tensor,
    key: &Tensor,
    value: &Tensor,
    opts: AttentionOptions,
) -> (Tensor, Tensor) {
    let (out, residual) = attention_impl(query, key, value, opts, true);
    (out, residual.expect("the residual was asked for"))
}

#[track_caller]
fn attention_impl(
    query: &Tensor,
    key: &Tensor,
    value: &Tensor,
    opts: AttentionOptions,
    return_residual: bool,
) -> (Tensor, Option<Tensor>) {
    let op = "dot_product_attention";
    let at = std::panic::Location::caller();
    let out_shape = query.shape().to_vec();
    let (q, k, v) = (
        ensure_4d(query, "query", op),
        ensure_4d(key, "key", op),
        ensure_4d(value, "value", op),
    );
    let (b, s, kh, h) = (k.shape()[0], k.shape()[1], k.shape()[2], k.shape()[3]);
    let (t, n) = (q.shape()[1], q.shape()[2]);
    assert!(
        v.shape() == k.shape() && v.dtype() == k.dtype(),
        "nn::{op}: value {} must match key {} (called from {at})",
        value.aval(),
        key.aval()
    );
    assert!(
        q.shape()[0] == b && q.shape()[3] == h && q.dtype() == k.dtype(),
        "nn::{op}: query {} must be [B, T, N, H] with B and H (and the dtype) of key {} (called from {at})",
        query.aval(),
        key.aval()
    );
    assert!(
        n % kh == 0,
        "nn::{op}: the number of query heads must be a multiple of key/value heads, but got {n} vs {kh} (query {}, key {}, called from {at})",
        query.aval(),
        key.aval()
    );
    let g = n / kh;
    let logits_dtype = if q.dtype() == DType::F64 {
        DType::F64
    } else {
        DType::F32
    };
    // Query head n = k·G + g: logits [B, K, G, T, S] are [B, N, T, S] after a reshape.
    let q5 = lax::reshape(&q, &[b, t, kh, g, h]);
    let logits = jnp::einsum(
        "BTKGH,BSKH->BKGTS",
        &[q5.cast(logits_dtype), k.cast(logits_dtype)],
    );
    let mut logits = lax::reshape(&logits, &[b, n, t, s]);
    let scale = opts.scale.unwrap_or(1.0 / (h as f64).sqrt());
    logits = logits * Tensor::full(&[], scale, logits_dtype);
    let logits_shape = [b, n, t, s];
    if let Some(bias) = &opts.bias {
        logits = (logits + to_logits_shape(bias, &logits_shape, "bias")).cast(logits_dtype);
    }
    let mask = combined_mask(&opts, &logits_shape);
    if let Some(mask) = &mask {
        // JAX's `_get_large_negative`: -0.7 × the largest finite value (at most f32's).
        let large_negative = Tensor::full(&[], -0.7 * f32::MAX as f64, logits_dtype);
        logits = jnp::where_(mask, &logits, &large_negative);
    }
    let logits = logits.cast(DType::F32);
    let probs = super::softmax(&logits, -1).cast(k.dtype());
    let probs5 = lax::reshape(&probs, &[b, kh, g, t, s]);
    let encoded = jnp::einsum("BKGTS,BSKH->BTKGH", &[probs5, v]);
    let mut encoded = lax::reshape(&encoded, &[b, t, n, h]);
    if let Some(ql) = &opts.query_seq_lengths {
        let rows = lax::iota(DType::I32, &[b, t, 1, 1], 1);
        let valid = rows.lt(lax::reshape(ql, &[b, 1, 1, 1]));
        encoded = &encoded * valid.cast(encoded.dtype());
    }
    let residual = return_residual.then(|| {
        // [B, N, T] -> [B, T, N], then the query's shape without its head dim.
        let lse = super::logsumexp(&logits, -1).cast(k.dtype());
        let lse = lax::stop_gradient(&lax::transpose(&lse, &[0, 2, 1]));
        lax::reshape(&lse, &out_shape[..out_shape.len() - 1])
    });
    (lax::reshape(&encoded, &out_shape), residual)
}

/// The `and` of the mask, causal, window and padding masks, `[B, N, T, S]` (None: no mask).
#[track_caller]
fn combined_mask(opts: &AttentionOptions, shape: &[usize; 4]) -> Option<Tensor> {
    let [b, n, t, s] = *shape;
    let mut masks: Vec<Tensor> = Vec::new();
    if let Some(m) = &opts.mask {
        assert!(
            m.dtype() == DType::Bool,
            "nn::dot_product_attention: mask must be bool (pass an additive mask as bias), got {} (called from {})",
            m.aval(),
            std::panic::Location::caller()
        );
        masks.push(to_logits_shape(m, shape, "mask"));
    }
    let rows = lax::iota(DType::I32, &[b, n, t, s], 2);
    let cols = lax::iota(DType::I32, &[b, n, t, s], 3);
    if opts.is_causal {
        masks.push(cols.le(&rows));
    }
    if let Some((left, right)) = opts.local_window_size {
        masks.push(jnp::logical_and(
            rows.le(&cols + left as f64),
            rows.ge(&cols - right as f64),
        ));
    }
    if let Some(ql) = &opts.query_seq_lengths {
        masks.push(rows.lt(lengths(ql, shape, "query_seq_lengths")));
    }
    if let Some(kl) = &opts.key_value_seq_lengths {
        masks.push(cols.lt(lengths(kl, shape, "key_value_seq_lengths")));
    }
    masks.into_iter().reduce(jnp::logical_and)
}

/// Sequence lengths `[B]` broadcast along the logits `[B, N, T, S]`, checked.
#[track_caller]
fn lengths(l: &Tensor, shape: &[usize; 4], what: &str) -> Tensor {
    assert!(
        l.shape() == [shape[0]] && l.dtype() == DType::I32,
        "nn::dot_product_attention: {what} must be i32 [B] = [{}], got {} (called from {})",
        shape[0],
        l.aval(),
        std::panic::Location::caller()
    );
    lax::broadcast_in_dim(l, shape, &[0])
}

/// Block-scaled matmul `einsum('BMK,BNK->BMN', a * repeat(a_scales), b * repeat(b_scales))`
/// in f32, each scale covering a block of `K / K_s` consecutive entries of the contracted
/// axis (`jax.nn.scaled_matmul`'s definition, whose fp8 inputs ferrax does not have).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[1, 1, 3]);
/// let b = Tensor::from_vec(vec![4.0f32, 5.0, 6.0], &[1, 1, 3]);
/// let half = Tensor::full(&[1, 1, 1], 0.5f32, DType::F32);
/// assert_eq!(ferrax::nn::scaled_matmul(&a, &b, &half, &half).to_vec::<f32>(), vec![8.0]);
/// ```
#[track_caller]
pub fn scaled_matmul(
    lhs: &Tensor,
    rhs: &Tensor,
    lhs_scales: &Tensor,
    rhs_scales: &Tensor,
) -> Tensor {
    let all3 = [lhs, rhs, lhs_scales, rhs_scales]
        .iter()
        .all(|t| t.ndim() == 3);
    let at = std::panic::Location::caller();
    let shapes = || {
        format!(
            "lhs {}, rhs {}, lhs_scales {}, rhs_scales {} (called from {at})",
            lhs.aval(),
            rhs.aval(),
            lhs_scales.aval(),
            rhs_scales.aval()
        )
    };
    assert!(
        all3,
        "nn::scaled_matmul: every input must be 3-D, got {}",
        shapes()
    );
    let (a, b, sa, sb) = (
        lhs.shape(),
        rhs.shape(),
        lhs_scales.shape(),
        rhs_scales.shape(),
    );
    assert!(
        a[0] == b[0] && a[2] == b[2] && sa[0] == sb[0] && sa[2] == sb[2] && sa[1] == a[1] && sb[1] == b[1]
            && sa[2] > 0 && a[2] % sa[2] == 0,
        "nn::scaled_matmul: need lhs [B, M, K], rhs [B, N, K], scales [B, M, Ks] and [B, N, Ks] with Ks dividing K, got {}",
        shapes()
    );
    let scaled = |x: &Tensor, s: &Tensor| {
        let block = x.shape()[2] / s.shape()[2];
        x.cast(DType::F32) * jnp::repeat(&s.cast(DType::F32), block, Some(-1))
    };
    jnp::einsum(
        "BMK,BNK->BMN",
        &[scaled(lhs, lhs_scales), scaled(rhs, rhs_scales)],
    )
}
