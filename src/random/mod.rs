//! `ferrax::random`: JAX's functional PRNG, bit for bit.
//!
//! Keys are plain `u32[2]` tensors (equal to `jax.random.PRNGKey(seed)`); they are split and
//! folded, never mutated. Bits come from the `threefry2x32` primitive in JAX's default
//! "partitionable" mode: element `i` (row-major) of an output hashes the counter
//! `(i >> 32, i & 0xffffffff)`, so values do not depend on how a computation is batched.
//! Every sampler is a composition of lax ops, so it works under `make_jaxpr`, `vmap` (a
//! batch of keys) and `grad` (keys get no gradient; e.g. `uniform * scale` is differentiable
//! in `scale`). [`KeyRng`] bridges a key to `rand_core`, so `rand_distr` distributions can
//! sample reproducibly from ferrax keys.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::random;
//! let key = random::key(0);
//! let keys = random::split(&key, 4);                 // u32[4,2]
//! let k7 = random::fold_in(&key, 7);
//! let u = random::uniform(&key, &[5]);               // f32 in [0, 1)
//! let n = random::normal(&key, &[3]);
//! let b = random::bits(&key, &[3]);                  // u32
//! let i = random::randint(&key, &[8], 0, 10);        // i32
//! let m = random::bernoulli(&key, 0.3, &[8]);        // bool
//! assert_eq!(keys.shape(), &[4, 2]);
//! assert_eq!((u.dtype(), n.dtype(), b.dtype(), i.dtype(), m.dtype()),
//!            (DType::F32, DType::F32, DType::U32, DType::I32, DType::Bool));
//! # let _ = k7;
//! ```
//!
//! Not available: u8/u16/u64 bit widths (ferrax has no such dtypes; [`bits64_words`] gives
//! JAX's 64-bit draws as two u32 words), and JAX's non-default "high"/"highest" Gumbel modes.

mod binomial;
mod continuous;
mod discrete;
mod fused;
mod gamma;
mod keys;
mod multivariate;
mod params;
mod rng_bridge;
mod samplers;

pub use binomial::{binomial, multinomial};
pub use continuous::{
    ball, cauchy, chisquare, double_sided_maxwell, f, generalized_normal, lognormal, maxwell,
    pareto, rayleigh, t, triangular, wald, weibull_min,
};
pub use discrete::{categorical_without_replacement, geometric, poisson};
pub use gamma::{beta, dirichlet, gamma, loggamma};
pub use keys::{
    fold_in, fold_in_tensor, key, key_at, key_x64, prng_key, split, split_like, split_n,
    split_shape,
};
pub use multivariate::multivariate_normal;
pub use rng_bridge::KeyRng;
pub use samplers::{
    bernoulli, bernoulli_p, bits, bits64_words, categorical, choice, choice_from, erf_inv_f32,
    exponential, gumbel, laplace, logistic, normal, normal_with, orthogonal, orthogonal_nm,
    permutation, permutation_of, rademacher, randint, shuffle, truncated_normal, uniform,
    uniform_with,
};
