//! The Gaussian process of the example, shared with its test (tests/prims/linalg_gp.rs) and
//! the benchmark (benches/linalg.rs): an RBF kernel, the negative log marginal likelihood
//! through a Cholesky factor, and the synthetic data set drawn from fixed keys.
#![allow(dead_code)] // each includer uses a subset

use ferrax::prelude::*;
use ferrax::{linalg, numpy as jnp, random};

/// The hyperparameters in log space: (log length-scale, log signal variance, log noise
/// variance), each an f64 scalar, so gradient steps keep them positive.
pub type Hyper = (Tensor, Tensor, Tensor);

/// Hyperparameters from plain numbers (log length-scale, log signal variance, log noise
/// variance).
pub fn hyper(log_ell: f64, log_sf2: f64, log_sn2: f64) -> Hyper {
    (
        Tensor::scalar(log_ell),
        Tensor::scalar(log_sf2),
        Tensor::scalar(log_sn2),
    )
}

/// The data set: `n` inputs uniform on [-3, 3) (key 0) and targets `sin(2x) + 0.5x` plus
/// noise of standard deviation 0.2 (key 1), drawn in f32 as `jax.random` draws them (so the
/// JAX script draws the same numbers) and widened to f64.
pub fn data(n: usize) -> (Tensor, Tensor) {
    let x = random::uniform(&random::key(0), &[n]).cast(DType::F64) * 6.0 - 3.0;
    let noise = random::normal(&random::key(1), &[n]).cast(DType::F64);
    let y = (&x * 2.0).sin() + &x * 0.5 + noise * 0.2;
    (x, y)
}

/// The RBF covariance plus the noise on the diagonal:
/// `K[i, j] = sf2 exp(-(x_i - x_j)^2 / (2 ell^2)) + sn2 [i = j]`.
pub fn covariance((log_ell, log_sf2, log_sn2): &Hyper, x: &Tensor) -> Tensor {
    let n = x.shape()[0];
    let d = jnp::reshape(x, &[-1, 1]) - jnp::reshape(x, &[1, -1]);
    let scaled = d.square() * (-0.5 * (log_ell * -2.0).exp());
    let eye = jnp::astype(&jnp::eye(n), DType::F64);
    log_sf2.exp() * scaled.exp() + log_sn2.exp() * eye
}

/// The negative log marginal likelihood of `y` under the GP:
/// `0.5 yᵀ K⁻¹ y + sum(log diag L) + n/2 log 2π` with `K = L Lᵀ` (cholesky, then cho_solve's
/// two triangular solves).
pub fn nll(h: &Hyper, x: &Tensor, y: &Tensor) -> Tensor {
    let n = x.shape()[0] as f64;
    let l = linalg::cholesky(&covariance(h, x));
    let alpha = linalg::cho_solve(&l, y);
    (y * &alpha).sum() * 0.5
        + jnp::diagonal(&l).log().sum()
        + 0.5 * n * (2.0 * std::f64::consts::PI).ln()
}
