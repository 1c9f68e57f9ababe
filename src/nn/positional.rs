//! Positional encodings: the fixed sinusoidal table of "Attention is all you need"
//! ([`sinusoidal_positions`], added by the [`SinusoidalEncoding`] layer) and rotary position
//! embeddings ([`apply_rope`], also available inside
//! [`MultiHeadAttention`](super::MultiHeadAttention)).
//!
//! **Conventions.** The sinusoidal table interleaves: `pe[p, 2i] = sin(p / 10000^(2i/d))` and
//! `pe[p, 2i+1] = cos(p / 10000^(2i/d))`, as the paper writes it. RoPE uses the *half-rotation*
//! layout common in JAX code (Gemma, PaLM, GPT-NeoX): the feature vector is split into halves
//! `(x1, x2)` and rotated as `(x1·cos − x2·sin, x2·cos + x1·sin)` with angle
//! `p / base^(2i/d)` for `i < d/2` (not the interleaved pairs of the RoFormer paper).

use super::module::{Ctx, Module};
use crate::lax;
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};
use crate::PyTree;

/// The sinusoidal position table `[len, dim]` in `dtype` (`dim` even), computed in f32 (f64
/// for an f64 table): row `p` is `sin, cos` of `p / 10000^(2i/dim)` interleaved.
///
/// ```
/// use ferrax::prelude::*;
/// let pe = ferrax::nn::sinusoidal_positions(3, 4, DType::F32);
/// assert_eq!(pe.shape(), &[3, 4]);
/// assert_eq!(pe.to_vec::<f32>()[..4], [0.0, 1.0, 0.0, 1.0]); // position 0
/// assert!((pe.to_vec::<f32>()[4] - 1f32.sin()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn sinusoidal_positions(len: usize, dim: usize, dtype: DType) -> Tensor {
    assert!(
        dim >= 2 && dim.is_multiple_of(2),
        "nn::sinusoidal_positions: dim must be even and positive, got {dim}"
    );
    let ct = if dtype == DType::F64 {
        DType::F64
    } else {
        DType::F32
    };
    let pos = lax::iota(ct, &[len, 1], 0);
    let two_i = lax::iota(ct, &[1, dim / 2], 1) * 2.0;
    let div = (two_i * (-(10000f64.ln()) / dim as f64)).exp();
    let angle = pos * div;
    let pe = jnp::stack(&[angle.sin(), angle.cos()], -1);
    lax::reshape(&pe, &[len, dim]).cast(dtype)
}

/// Adds the sinusoidal table to `x[.., L, dim]` (no parameters): the input embedding of the
/// original Transformer.
///
/// ```
/// use ferrax::nn::{Ctx, Module, SinusoidalEncoding};
/// use ferrax::prelude::*;
/// let y = SinusoidalEncoding.forward(&Tensor::zeros(&[2, 3, 4], DType::F32), &mut Ctx::eval());
/// assert_eq!(y.shape(), &[2, 3, 4]);
/// assert_eq!(y.to_vec::<f32>()[..4], [0.0, 1.0, 0.0, 1.0]);
/// ```
#[derive(PyTree, Clone, Debug, Default)]
pub struct SinusoidalEncoding;

impl Module for SinusoidalEncoding {
    /// `x + sinusoidal_positions(L, dim)`.
    #[track_caller]
    fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
        assert!(
            x.ndim() >= 2 && x.shape()[x.ndim() - 1].is_multiple_of(2),
            "nn::SinusoidalEncoding: expected x[.., L, dim] with an even dim, got {} (called from {})",
            x.aval(),
            std::panic::Location::caller()
        );
        let (l, d) = (x.shape()[x.ndim() - 2], x.shape()[x.ndim() - 1]);
        x + sinusoidal_positions(l, d, x.dtype())
    }
}

/// Rotary position embedding (RoPE, half-rotation layout) of `x[.., L, heads, head_dim]`
/// (flax's attention layout; `head_dim` even) at `positions` (integers or floats, shape
/// `[L]` or `[.., L]` matching `x`'s leading axes): each head's halves `(x1, x2)` become
/// `(x1·cos θ − x2·sin θ, x2·cos θ + x1·sin θ)` with `θ = p / base^(2i/head_dim)`
/// (`base` is usually 10000), computed in f32 and cast back to `x`'s dtype.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 0.0], &[1, 1, 2]); // L = 1, one head, head_dim 2
/// let y = ferrax::nn::apply_rope(&x, &Tensor::from_vec(vec![2i32], &[1]), 10000.0);
/// let v = y.to_vec::<f32>();
/// assert!((v[0] - 2f32.cos()).abs() < 1e-6 && (v[1] - 2f32.sin()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn apply_rope(x: &Tensor, positions: &Tensor, base: f64) -> Tensor {
    let nd = x.ndim();
    assert!(
        nd >= 3 && x.shape()[nd - 1].is_multiple_of(2),
        "nn::apply_rope: expected x[.., L, heads, head_dim] with an even head_dim, got {} (called from {})",
        x.aval(),
            std::panic::Location::caller()
        );
    let l = x.shape()[nd - 3];
    assert!(
        positions.ndim() >= 1 && positions.shape()[positions.ndim() - 1] == l,
        "nn::apply_rope: positions {} must end in x's sequence length {l} (x {}) (called from {})",
        positions.aval(),
        x.aval(),
        std::panic::Location::caller()
    );
    let d = x.shape()[nd - 1];
    let ct = if x.dtype() == DType::F64 {
        DType::F64
    } else {
        DType::F32
    };
    let fraction = lax::iota(ct, &[d / 2], 0) * (2.0 / d as f64);
    let timescale = jnp::power(Tensor::scalar(base).cast(ct), &fraction);
    // [.., L, 1, d/2]: one angle per position and frequency, shared by the heads.
    let angle = jnp::expand_dims(&jnp::expand_dims(&positions.cast(ct), -1), -2) / timescale;
    let (sin, cos) = (angle.sin(), angle.cos());
    let halves = jnp::split(&x.cast(ct), 2, -1);
    let (x1, x2) = (&halves[0], &halves[1]);
    let first = x1 * &cos - x2 * &sin;
    let second = x2 * &cos + x1 * &sin;
    jnp::concatenate(&[first, second], -1).cast(x.dtype())
}
