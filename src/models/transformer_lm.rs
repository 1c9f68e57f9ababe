//! [`TransformerLm`]: a character-level decoder-only Transformer language model (GPT-2's
//! layout at nanoGPT's "shakespeare-char" size), with key/value-cached generation.

use crate::nn::{self, Ctx, Embedding, KvCache, LayerNorm, Linear, Module, TransformerBlock};
use crate::numpy as jnp;
use crate::random;
use crate::tensor::{DType, Tensor};
use crate::transforms::jit;
use crate::PyTree;

/// The sizes of a [`TransformerLm`].
///
/// ```
/// let c = ferrax::models::TransformerLmConfig::char_level(65);
/// assert_eq!((c.dim, c.num_heads, c.num_layers, c.max_len), (384, 6, 6, 256));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TransformerLmConfig {
    /// Number of distinct tokens (characters).
    pub vocab_size: usize,
    /// Width of the residual stream.
    pub dim: usize,
    /// Attention heads per block (`dim` divisible by it).
    pub num_heads: usize,
    /// Number of Transformer blocks.
    pub num_layers: usize,
    /// Hidden width of each block's MLP (4·dim in GPT-2).
    pub mlp_dim: usize,
    /// The longest sequence (the size of the learned position table and of the cache).
    pub max_len: usize,
    /// Whether the output head reuses the token embedding (`logits = h · embᵀ`, GPT-2's
    /// weight tying) instead of its own `Linear(dim, vocab)`.
    pub tied: bool,
    /// Residual dropout in every block (active in training only).
    pub dropout: f64,
}

impl TransformerLmConfig {
    /// nanoGPT's character-level defaults (6 layers, 6 heads, width 384, MLP 1536, context
    /// 256, dropout 0.2, tied head) for a vocabulary of `vocab_size` characters.
    ///
    /// ```
    /// assert!(ferrax::models::TransformerLmConfig::char_level(65).tied);
    /// ```
    pub fn char_level(vocab_size: usize) -> Self {
        TransformerLmConfig {
            vocab_size,
            dim: 384,
            num_heads: 6,
            num_layers: 6,
            mlp_dim: 1536,
            max_len: 256,
            tied: true,
            dropout: 0.2,
        }
    }
}

/// A decoder-only Transformer language model: token embedding plus a learned position
/// embedding, `num_layers` pre-norm causal [`TransformerBlock`]s (`x + MHA(LN(x))`,
/// `x + MLP(LN(x))` with gelu), a final [`LayerNorm`] and the output head: tied to the token
/// embedding (`head = None`, logits `h · embᵀ`) or a separate [`Linear`].
///
/// As a [`Module`], `forward(ids)` maps token ids `[.., L]` (integers, `L <= max_len`) to
/// logits `[.., L, vocab]`, where position `t` predicts token `t + 1`. [`generate`]
/// (Self::generate) continues a prompt with the key/value cache ([`nn::KvCache`]): each new
/// token costs one [`decode_step`](Self::decode_step), not a pass over the whole sequence.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::models::{TransformerLm, TransformerLmConfig};
/// use ferrax::nn::{Ctx, Module};
/// let cfg = TransformerLmConfig { vocab_size: 11, dim: 8, num_heads: 2, num_layers: 1,
///     mlp_dim: 16, max_len: 6, tied: true, dropout: 0.0 };
/// let lm = TransformerLm::new(&ferrax::random::key(0), &cfg);
/// let ids = Tensor::from_vec(vec![1i32, 2, 3, 4, 5, 6], &[2, 3]);
/// assert_eq!(lm.forward(&ids, &mut Ctx::eval()).shape(), &[2, 3, 11]);
/// let out = lm.generate(&ids, 2, &ferrax::random::key(1), 0.0);
/// assert_eq!(out.shape(), &[2, 5]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct TransformerLm {
    pub token_embed: Embedding,
    /// The learned position table `[max_len, dim]`.
    pub pos_embed: Embedding,
    pub blocks: Vec<TransformerBlock>,
    pub ln_f: LayerNorm,
    /// The untied output projection, or `None` when the head is the token embedding.
    pub head: Option<Linear>,
}

impl TransformerLm {
    /// A fresh model of size `config`, every parameter drawn from `key`.
    ///
    /// ```
    /// use ferrax::models::{TransformerLm, TransformerLmConfig};
    /// let cfg = TransformerLmConfig { vocab_size: 5, dim: 4, num_heads: 1, num_layers: 2,
    ///     mlp_dim: 8, max_len: 3, tied: false, dropout: 0.0 };
    /// let lm = TransformerLm::new(&ferrax::random::key(0), &cfg);
    /// assert_eq!((lm.blocks.len(), lm.head.unwrap().kernel.shape()), (2, &[4usize, 5][..]));
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, config: &TransformerLmConfig) -> Self {
        let c = config;
        assert!(
            c.vocab_size >= 1 && c.max_len >= 1 && c.num_layers >= 1,
            "models::TransformerLm::new: vocab_size, max_len and num_layers must be positive, \
             got {c:?}"
        );
        let [kt, kp, kh, kb] = random::split_n(key);
        TransformerLm {
            token_embed: Embedding::new(&kt, c.vocab_size, c.dim),
            pos_embed: Embedding::new(&kp, c.max_len, c.dim),
            blocks: (0..c.num_layers)
                .map(|i| {
                    TransformerBlock::new(
                        &random::fold_in(&kb, i as u32),
                        c.dim,
                        c.num_heads,
                        c.mlp_dim,
                    )
                    .causal()
                    .with_dropout(c.dropout)
                })
                .collect(),
            ln_f: LayerNorm::new(c.dim),
            head: (!c.tied).then(|| Linear::new(&kh, c.dim, c.vocab_size)),
        }
    }

    /// The longest sequence the model takes (rows of the position table).
    ///
    /// ```
    /// use ferrax::models::{TransformerLm, TransformerLmConfig};
    /// let cfg = TransformerLmConfig { max_len: 7, ..TransformerLmConfig::char_level(3) };
    /// # let cfg = TransformerLmConfig { dim: 4, num_heads: 1, num_layers: 1, mlp_dim: 4, ..cfg };
    /// assert_eq!(TransformerLm::new(&ferrax::random::key(0), &cfg).max_len(), 7);
    /// ```
    pub fn max_len(&self) -> usize {
        self.pos_embed.embedding.shape()[0]
    }

    /// The vocabulary size (rows of the token table).
    ///
    /// ```
    /// use ferrax::models::{TransformerLm, TransformerLmConfig};
    /// let cfg = TransformerLmConfig { vocab_size: 9, dim: 4, num_heads: 1, num_layers: 1,
    ///     mlp_dim: 4, max_len: 2, tied: true, dropout: 0.0 };
    /// assert_eq!(TransformerLm::new(&ferrax::random::key(0), &cfg).vocab_size(), 9);
    /// ```
    pub fn vocab_size(&self) -> usize {
        self.token_embed.embedding.shape()[0]
    }

    /// The logits of hidden states `h[.., dim]` after the final norm: `[.., vocab]`.
    fn logits(&self, h: &Tensor, cx: &mut Ctx) -> Tensor {
        let h = self.ln_f.forward(h, cx);
        match &self.head {
            Some(head) => head.forward(&h, cx),
            None => self.token_embed.attend(&h),
        }
    }

    /// An empty cache for every block, for `batch` sequences (`[]` for one unbatched
    /// sequence), with room for [`max_len`](Self::max_len) tokens.
    ///
    /// ```
    /// use ferrax::models::{TransformerLm, TransformerLmConfig};
    /// let cfg = TransformerLmConfig { vocab_size: 5, dim: 4, num_heads: 2, num_layers: 3,
    ///     mlp_dim: 8, max_len: 6, tied: true, dropout: 0.0 };
    /// let caches = TransformerLm::new(&ferrax::random::key(0), &cfg).init_cache(&[2]);
    /// assert_eq!((caches.len(), caches[0].keys.shape()), (3, &[2usize, 6, 2, 2][..]));
    /// ```
    pub fn init_cache(&self, batch: &[usize]) -> Vec<KvCache> {
        let dtype = self.token_embed.embedding.dtype();
        self.blocks
            .iter()
            .map(|b| b.attn.init_cache(batch, self.max_len(), dtype))
            .collect()
    }

    /// One decoding step: the tokens `tokens[..]` (integers, one per sequence) at position
    /// `caches[0].index` go through every block with its cache; returns the logits of the
    /// next token `[.., vocab]` and the advanced caches. Equal (to rounding) to the last
    /// position of [`forward`](Module::forward) on the whole sequence so far; no dropout.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::models::{TransformerLm, TransformerLmConfig};
    /// let cfg = TransformerLmConfig { vocab_size: 5, dim: 4, num_heads: 2, num_layers: 1,
    ///     mlp_dim: 8, max_len: 4, tied: true, dropout: 0.0 };
    /// let lm = TransformerLm::new(&ferrax::random::key(0), &cfg);
    /// let (logits, caches) = lm.decode_step(&Tensor::from_vec(vec![3i32, 1], &[2]), &lm.init_cache(&[2]));
    /// assert_eq!((logits.shape(), caches[0].index.item::<i32>()), (&[2usize, 5][..], 1));
    /// ```
    #[track_caller]
    pub fn decode_step(&self, tokens: &Tensor, caches: &[KvCache]) -> (Tensor, Vec<KvCache>) {
        assert!(
            tokens.dtype().is_int() && caches.len() == self.blocks.len(),
            "models::TransformerLm::decode_step: expected integer tokens and {} caches, got {} \
             and {} caches (called from {})",
            self.blocks.len(),
            tokens.aval(),
            caches.len(),
            std::panic::Location::caller()
        );
        let cx = &mut Ctx::eval();
        let ids = jnp::expand_dims(tokens, -1); // [.., 1]
        let pos = jnp::take(&self.pos_embed.embedding, &caches[0].index, 0); // [dim]
        let mut x = self.token_embed.forward(&ids, cx) + pos;
        let mut out = Vec::with_capacity(caches.len());
        for (b, cache) in self.blocks.iter().zip(caches) {
            let h = b.ln1.forward(&x, cx);
            let (a, c) = b.attn.decode_step(&h, cache);
            x = &x + a;
            let m = b.ln2.forward(&x, cx);
            let m = b.mlp_out.forward(&nn::gelu(&b.mlp_in.forward(&m, cx)), cx);
            x = &x + m;
            out.push(c);
        }
        let logits = self.logits(&x, cx);
        (jnp::squeeze(&logits, &[-2]), out)
    }

    /// Continues `prompt` (integers `[B, P]` or `[P]`, `P >= 1`) by `steps` tokens; returns
    /// the prompt followed by them (`[B, P + steps]`, i32). The prompt is fed through
    /// [`decode_step`](Self::decode_step) one token at a time (filling the caches), then each
    /// new token `i` (from 0) is chosen from the last logits by [`sample_token`] with key
    /// `random::fold_in(key, i)`: greedy (argmax) when `temperature` is 0, else a draw from
    /// `softmax(logits / temperature)`. The step is jitted once per call. Needs
    /// `P + steps - 1 <= max_len`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::models::{TransformerLm, TransformerLmConfig};
    /// let cfg = TransformerLmConfig { vocab_size: 7, dim: 4, num_heads: 1, num_layers: 1,
    ///     mlp_dim: 8, max_len: 5, tied: false, dropout: 0.0 };
    /// let lm = TransformerLm::new(&ferrax::random::key(0), &cfg);
    /// let out = lm.generate(&Tensor::from_vec(vec![2i32], &[1]), 4, &ferrax::random::key(3), 1.0);
    /// assert_eq!(out.to_vec::<i32>()[0], 2);
    /// assert!(out.to_vec::<i32>().iter().all(|&t| (0..7).contains(&t)));
    /// ```
    #[track_caller]
    pub fn generate(
        &self,
        prompt: &Tensor,
        steps: usize,
        key: &Tensor,
        temperature: f64,
    ) -> Tensor {
        let nd = prompt.ndim();
        assert!(
            prompt.dtype().is_int() && (nd == 1 || nd == 2) && prompt.shape()[nd - 1] >= 1,
            "models::TransformerLm::generate: the prompt must be integers [B, P] or [P] with \
             P >= 1, got {} (called from {})",
            prompt.aval(),
            std::panic::Location::caller()
        );
        let p = prompt.shape()[nd - 1];
        assert!(
            p + steps.max(1) - 1 <= self.max_len(),
            "models::TransformerLm::generate: a prompt of {p} tokens plus {steps} steps needs \
             {} positions, the model has {} (called from {})",
            p + steps.max(1) - 1,
            self.max_len(),
            std::panic::Location::caller()
        );
        assert!(
            temperature >= 0.0,
            "models::TransformerLm::generate: temperature must be >= 0, got {temperature}"
        );
        let prompt = prompt.cast(DType::I32);
        let step = jit(|(m, tok, caches): &(TransformerLm, Tensor, Vec<KvCache>)| {
            m.decode_step(tok, caches)
        });
        let mut caches = self.init_cache(&prompt.shape()[..nd - 1]);
        let mut logits = None;
        for t in 0..p {
            let tok = jnp::squeeze(
                &jnp::slice_axis(&prompt, -1, t as isize, t as isize + 1),
                &[-1],
            );
            let (l, c) = step(&(self.clone(), tok, caches));
            logits = Some(l);
            caches = c;
        }
        let mut logits = logits.expect("p >= 1");
        let mut out = vec![prompt];
        for i in 0..steps {
            let tok = sample_token(&logits, &random::fold_in(key, i as u32), temperature);
            out.push(jnp::expand_dims(&tok, -1));
            if i + 1 < steps {
                let (l, c) = step(&(self.clone(), tok, caches));
                logits = l;
                caches = c;
            }
        }
        jnp::concatenate(&out, -1)
    }
}

/// The next token from `logits[.., vocab]`: the argmax when `temperature` is 0, else
/// `random::categorical(key, logits / temperature)` (i32 `[..]` either way).
///
/// ```
/// use ferrax::prelude::*;
/// let logits = Tensor::from_vec(vec![0.0f32, 3.0, 1.0], &[1, 3]);
/// let key = ferrax::random::key(0);
/// assert_eq!(ferrax::models::sample_token(&logits, &key, 0.0).to_vec::<i32>(), vec![1]);
/// ```
#[track_caller]
pub fn sample_token(logits: &Tensor, key: &Tensor, temperature: f64) -> Tensor {
    if temperature == 0.0 {
        jnp::argmax(logits, Some(-1)).cast(DType::I32)
    } else {
        random::categorical(key, &(logits / temperature), -1, None)
    }
}

impl Module for TransformerLm {
    /// Logits `[.., L, vocab]` for token ids `[.., L]` (`L <= max_len`), causal: position `t`
    /// sees tokens `0..=t`. Dropout (if configured) draws keys from `cx` in training.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::models::{TransformerLm, TransformerLmConfig};
    /// use ferrax::nn::{Ctx, Module};
    /// let cfg = TransformerLmConfig { vocab_size: 4, dim: 4, num_heads: 1, num_layers: 1,
    ///     mlp_dim: 4, max_len: 3, tied: true, dropout: 0.0 };
    /// let lm = TransformerLm::new(&ferrax::random::key(0), &cfg);
    /// let ids = Tensor::from_vec(vec![0i32, 3], &[2]);
    /// assert_eq!(lm.forward(&ids, &mut Ctx::eval()).shape(), &[2, 4]);
    /// ```
    #[track_caller]
    fn forward(&self, ids: &Tensor, cx: &mut Ctx) -> Tensor {
        let nd = ids.ndim();
        assert!(
            ids.dtype().is_int() && nd >= 1 && ids.shape()[nd - 1] <= self.max_len(),
            "models::TransformerLm: expected integer ids [.., L] with L <= max_len = {}, got {} \
             (called from {})",
            self.max_len(),
            ids.aval(),
            std::panic::Location::caller()
        );
        let l = ids.shape()[nd - 1] as isize;
        let pos = jnp::slice_axis(&self.pos_embed.embedding, 0, 0, l); // [L, dim]
        let mut x = self.token_embed.forward(ids, cx) + pos;
        for b in &self.blocks {
            x = b.forward(&x, cx);
        }
        self.logits(&x, cx)
    }
}
