//! Autoregressive decoding with [`MultiHeadAttention`]: a fixed-size key/value cache
//! ([`KvCache`], a pytree) and [`MultiHeadAttention::decode_step`], which attends one new
//! token to every cached one. Fixed shapes and a traced index (written with
//! `dynamic_update_slice`) make a step jittable once for the whole decode, as flax's `decode`
//! mode does with its `cache` collection.

use super::attention::MultiHeadAttention;
use super::module::{Ctx, Module};
use crate::lax;
use crate::tensor::{DType, Tensor};
use crate::PyTree;

/// The keys and values a [`MultiHeadAttention`] has seen so far, in fixed-size buffers
/// `[.., max_len, kv_heads, head_dim]` (keys after RoPE, if the layer uses it), and the i32
/// scalar `index` of the next position to write.
///
/// ```
/// use ferrax::prelude::*;
/// let mha = ferrax::nn::MultiHeadAttention::grouped(&ferrax::random::key(0), 8, 4, 2);
/// let cache = mha.init_cache(&[3], 10, DType::F32);
/// assert_eq!(cache.keys.shape(), &[3, 10, 2, 2]);
/// assert_eq!(cache.index.item::<i32>(), 0);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct KvCache {
    pub keys: Tensor,
    pub values: Tensor,
    pub index: Tensor,
}

impl MultiHeadAttention {
    /// An empty cache for inputs with leading (batch) axes `batch_shape`, room for `max_len`
    /// tokens, in `dtype` (the dtype the projections produce, usually the parameters').
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let mha = ferrax::nn::MultiHeadAttention::new(&ferrax::random::key(0), 8, 2);
    /// assert_eq!(mha.init_cache(&[], 5, DType::F32).values.shape(), &[5, 2, 4]);
    /// ```
    pub fn init_cache(&self, batch_shape: &[usize], max_len: usize, dtype: DType) -> KvCache {
        let head_dim = self.query.kernel.shape()[1] / self.num_heads;
        let mut shape = batch_shape.to_vec();
        shape.extend([max_len, self.num_kv_heads, head_dim]);
        KvCache {
            keys: Tensor::zeros(&shape, dtype),
            values: Tensor::zeros(&shape, dtype),
            index: Tensor::scalar(0i32),
        }
    }

    /// One step of causal self-attention for the token `x_t[.., 1, dim]` at position
    /// `cache.index`: its key and value are written into the cache at the index, its query
    /// attends to the cached positions `0..=index`, and the cache comes back with the index
    /// advanced. Running it over a sequence token by token gives the outputs of the causal
    /// [`forward`](crate::nn::Module::forward) on the whole sequence (RoPE positions
    /// included). No dropout (decoding is inference). Writing past `max_len` is clamped by
    /// `dynamic_update_slice`, so the caller keeps `index < max_len`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, Module, MultiHeadAttention};
    /// let mha = MultiHeadAttention::new(&ferrax::random::key(0), 4, 2).causal();
    /// let x = ferrax::random::normal(&ferrax::random::key(1), &[3, 4]);
    /// let full = mha.forward(&x, &mut Ctx::eval()).to_vec::<f32>();
    /// let mut cache = mha.init_cache(&[], 3, DType::F32);
    /// for t in 0..3 {
    ///     let (y, c) = mha.decode_step(&ferrax::numpy::slice_axis(&x, 0, t as isize, t as isize + 1), &cache);
    ///     cache = c;
    ///     for (a, b) in y.to_vec::<f32>().iter().zip(&full[4 * t..4 * t + 4]) {
    ///         assert!((a - b).abs() < 1e-5);
    ///     }
    /// }
    /// ```
    #[track_caller]
    pub fn decode_step(&self, x_t: &Tensor, cache: &KvCache) -> (Tensor, KvCache) {
        let nd = x_t.ndim();
        assert!(
            nd >= 2 && x_t.shape()[nd - 2] == 1 && cache.keys.ndim() == nd + 1,
            "nn::MultiHeadAttention::decode_step: expected one token x_t[.., 1, dim] with the \
             cache's leading axes, got {} for a cache of keys {} (called from {})",
            x_t.aval(),
            cache.keys.aval(),
            std::panic::Location::caller()
        );
        let cx = &mut Ctx::eval();
        let pos = lax::reshape(&cache.index, &[1]);
        let q = self.project(&self.query, x_t, self.num_heads, &pos, true, cx);
        let k = self.project(&self.key, x_t, self.num_kv_heads, &pos, true, cx);
        let v = self.project(&self.value, x_t, self.num_kv_heads, &pos, false, cx);
        let zero = Tensor::scalar(0i32);
        let mut start = vec![zero.clone(); nd - 2];
        start.extend([cache.index.clone(), zero.clone(), zero]);
        let keys = lax::dynamic_update_slice(&cache.keys, &k.cast(cache.keys.dtype()), &start);
        let values =
            lax::dynamic_update_slice(&cache.values, &v.cast(cache.values.dtype()), &start);
        let max_len = cache.keys.shape()[nd - 2];
        // bool[1, max_len]: the positions written so far, this one included.
        let mask = lax::iota(DType::I32, &[1, max_len], 1).le(&cache.index);
        let o = self.attention(&q, &keys, &values, Some(&mask), cx);
        let y = self.out.forward(&o, cx);
        let index = &cache.index + 1;
        (
            y,
            KvCache {
                keys,
                values,
                index,
            },
        )
    }
}
