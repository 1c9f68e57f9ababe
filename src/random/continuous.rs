//! Continuous samplers that are transformations of uniform, normal, exponential and gamma
//! draws (`jax._src.random.core`'s `_cauchy`, `_lognormal`, `_pareto`, ... op for op).

use super::gamma::{gamma, loggamma};
use super::keys::split_n;
use super::params::{check_float, k, out_shape, param, sel};
use super::samplers::{exponential, normal_times_scalar, normal_with, rademacher, uniform_with};
use crate::lax;
use crate::prims::fma::fma;
use crate::tensor::{DType, Tensor};

fn eps(dtype: DType) -> f64 {
    if dtype == DType::F32 {
        f32::EPSILON as f64
    } else {
        f64::EPSILON
    }
}

/// Standard Cauchy samples (`jax.random.cauchy`): `tan(π (u - ½))`, `u` in `[eps, 1)`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::random::cauchy(&ferrax::random::key(0), &[10], DType::F32);
/// assert!(x.to_vec::<f32>().iter().all(|v| v.is_finite()));
/// ```
#[track_caller]
pub fn cauchy(key: &Tensor, shape: &[usize], dtype: DType) -> Tensor {
    check_float(dtype, "cauchy");
    let u = uniform_with(key, shape, dtype, eps(dtype), 1.0);
    let pi = k(std::f64::consts::PI, dtype);
    lax::tan(&lax::mul(&pi, &lax::sub(&u, &k(0.5, dtype))))
}

/// Log-normal samples `exp(σ · N(0, 1))` (`jax.random.lognormal(key, sigma, shape)`);
/// `shape` defaults to `sigma`'s shape.
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::random::lognormal(&ferrax::random::key(0), &Tensor::scalar(0.5f32), Some(&[10]), DType::F32);
/// assert!(x.to_vec::<f32>().iter().all(|&v| v > 0.0));
/// ```
#[track_caller]
pub fn lognormal(key: &Tensor, sigma: &Tensor, shape: Option<&[usize]>, dtype: DType) -> Tensor {
    check_float(dtype, "lognormal");
    let shape = out_shape("lognormal", shape, &[sigma]);
    if sigma.shape().is_empty() {
        // A scalar sigma: XLA folds it into normal's √2 (see `normal_times_scalar`).
        let sigma = param(sigma, &[], dtype);
        return lax::exp(&normal_times_scalar(key, &shape, dtype, &sigma));
    }
    let sigma = param(sigma, &shape, dtype);
    lax::exp(&lax::mul(&normal_with(key, &shape, dtype), &sigma))
}

/// Pareto(`b`) samples on `[1, ∞)` (`jax.random.pareto`): `exp(e / b)`, `e` exponential.
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::random::pareto(&ferrax::random::key(0), &Tensor::scalar(3.0f32), Some(&[10]), DType::F32);
/// assert!(x.to_vec::<f32>().iter().all(|&v| v >= 1.0));
/// ```
#[track_caller]
pub fn pareto(key: &Tensor, b: &Tensor, shape: Option<&[usize]>, dtype: DType) -> Tensor {
    check_float(dtype, "pareto");
    let shape = out_shape("pareto", shape, &[b]);
    if b.shape().is_empty() {
        // XLA rewrites `x / broadcast(b)` as `x * broadcast(1 / b)` for a scalar `b`.
        let inv = lax::div(&k(1.0, dtype), &param(b, &[], dtype));
        let inv = lax::broadcast_in_dim(&inv, &shape, &[]);
        return lax::exp(&lax::mul(&exponential(key, &shape, dtype), &inv));
    }
    let b = param(b, &shape, dtype);
    lax::exp(&lax::div(&exponential(key, &shape, dtype), &b))
}

/// Weibull samples (`jax.random.weibull_min(key, scale, concentration, shape)`): the
/// inverse CDF `(-log1p(-u))^(1/concentration) · scale`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::random::weibull_min(&ferrax::random::key(0), 2.0, 1.5, &[10], DType::F32);
/// assert!(x.to_vec::<f32>().iter().all(|&v| v >= 0.0));
/// ```
#[track_caller]
pub fn weibull_min(
    key: &Tensor,
    scale: f64,
    concentration: f64,
    shape: &[usize],
    dtype: DType,
) -> Tensor {
    check_float(dtype, "weibull_min");
    let u = uniform_with(key, shape, dtype, 0.0, 1.0);
    let e = lax::neg(&lax::log1p(&lax::neg(&u)));
    let p = lax::pow(&e, &Tensor::full(shape, 1.0 / concentration, dtype));
    lax::mul(&p, &k(scale, dtype))
}

/// Rayleigh(`scale`) samples (`jax.random.rayleigh`): `scale · sqrt(-2 log u)`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::random::rayleigh(&ferrax::random::key(0), &Tensor::scalar(1.0f32), Some(&[10]), DType::F32);
/// assert!(x.to_vec::<f32>().iter().all(|&v| v >= 0.0));
/// ```
#[track_caller]
pub fn rayleigh(key: &Tensor, scale: &Tensor, shape: Option<&[usize]>, dtype: DType) -> Tensor {
    check_float(dtype, "rayleigh");
    let shape = out_shape("rayleigh", shape, &[scale]);
    let u = uniform_with(key, &shape, dtype, 0.0, 1.0);
    let scale = param(scale, &shape, dtype);
    let s = lax::sqrt(&lax::mul(&lax::log(&u), &k(-2.0, dtype)));
    lax::mul(&scale, &s)
}

/// Maxwell samples (`jax.random.maxwell`): the norm of three standard normals, its sum of
/// squares in the order XLA's CPU backend uses for an array of this many squares (so f32
/// values equal JAX's bit for bit; under `vmap` JAX sees the batched, larger array, whose
/// order may differ from 4096 squares on).
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::random::maxwell(&ferrax::random::key(0), &[10], DType::F32);
/// assert!(x.to_vec::<f32>().iter().all(|&v| v >= 0.0));
/// ```
#[track_caller]
pub fn maxwell(key: &Tensor, shape: &[usize], dtype: DType) -> Tensor {
    check_float(dtype, "maxwell");
    let mut s3 = shape.to_vec();
    s3.push(3);
    let n = normal_with(key, &s3, dtype);
    let x: Vec<Tensor> = lax::split(&n, &[1, 1, 1], shape.len())
        .iter()
        .map(|t| lax::reshape(t, shape))
        .collect();
    let sq = |t: &Tensor| lax::mul(t, t);
    // The sum of squares as XLA's CPU backend computes it: from 4096 squares on it hands the
    // reduction to YNNPACK, which adds (x0² + x2²) + x1²; below, its own loop contracts two
    // of the adds into FMAs around x1².
    let sum = if 3 * shape.iter().product::<usize>() >= 4096 {
        lax::add(&lax::add(&sq(&x[0]), &sq(&x[2])), &sq(&x[1]))
    } else {
        fma(&x[2], &x[2], &fma(&x[0], &x[0], &sq(&x[1])))
    };
    lax::sqrt(&sum)
}

/// Double-sided Maxwell samples `sign · maxwell · scale + loc`
/// (`jax.random.double_sided_maxwell`). As in JAX the result shape is `shape +
/// broadcast(loc, scale)` (with `shape` replaced by the parameters' shape when empty).
///
/// ```
/// use ferrax::prelude::*;
/// let (loc, scale) = (Tensor::scalar(1.0f32), Tensor::scalar(2.0f32));
/// let x = ferrax::random::double_sided_maxwell(&ferrax::random::key(0), &loc, &scale, &[10], DType::F32);
/// assert_eq!(x.shape(), &[10]);
/// ```
#[track_caller]
pub fn double_sided_maxwell(
    key: &Tensor,
    loc: &Tensor,
    scale: &Tensor,
    shape: &[usize],
    dtype: DType,
) -> Tensor {
    check_float(dtype, "double_sided_maxwell");
    let params = out_shape("double_sided_maxwell", None, &[loc, scale]);
    let mut full = if shape.is_empty() {
        params.clone()
    } else {
        shape.to_vec()
    };
    full.extend_from_slice(&params);
    let [mk, rk] = split_n::<2>(key);
    let m = maxwell(&mk, &full, dtype);
    let r = rademacher(&rk, &full, dtype);
    // `sign m scale + loc`: the last multiply-add is one FMA in XLA's code.
    let x = lax::mul(&r, &m);
    fma(&x, &param(scale, &full, dtype), &param(loc, &full, dtype))
}

/// Wald (inverse Gaussian) samples with mean `mean` and shape 1 (`jax.random.wald`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::random::wald(&ferrax::random::key(0), &Tensor::scalar(1.0f32), Some(&[10]), DType::F32);
/// assert!(x.to_vec::<f32>().iter().all(|&v| v > 0.0));
/// ```
#[track_caller]
pub fn wald(key: &Tensor, mean: &Tensor, shape: Option<&[usize]>, dtype: DType) -> Tensor {
    check_float(dtype, "wald");
    let shape = out_shape("wald", shape, &[mean]);
    let [k1, k2] = split_n::<2>(key);
    let mean = param(mean, &shape, dtype);
    let v = normal_with(&k1, &shape, dtype);
    let z = uniform_with(&k2, &shape, dtype, 0.0, 1.0);
    let y = lax::integer_pow(&v, 2);
    let y_sq = lax::integer_pow(&y, 2);
    let mean_sq = lax::integer_pow(&mean, 2);
    // XLA fuses `4 mean y + mean² y²` and `(...) - mean/2 sqrt_term` into FMAs (the other
    // multiply-add, `mean + mean² y / 2`, scales by an exact ½).
    let four_mean = lax::mul(&k(4.0, dtype), &mean);
    let sqrt_term = lax::sqrt(&fma(&four_mean, &y, &lax::mul(&mean_sq, &y_sq)));
    let two = k(2.0, dtype);
    let x = fma(
        &lax::neg(&lax::div(&mean, &two)),
        &sqrt_term,
        &lax::add(&mean, &lax::div(&lax::mul(&mean_sq, &y), &two)),
    );
    let accept = lax::le(&z, &lax::div(&mean, &lax::add(&mean, &x)));
    sel(&accept, &x, &lax::div(&mean_sq, &x))
}

/// Triangular samples on `[left, right]` with mode `mode` (`jax.random.triangular`), by
/// the inverse CDF.
///
/// ```
/// use ferrax::prelude::*;
/// let (l, m, r) = (Tensor::scalar(0.0f32), Tensor::scalar(1.0f32), Tensor::scalar(3.0f32));
/// let x = ferrax::random::triangular(&ferrax::random::key(0), &l, &m, &r, Some(&[10]), DType::F32);
/// assert!(x.to_vec::<f32>().iter().all(|&v| (0.0..=3.0).contains(&v)));
/// ```
#[track_caller]
pub fn triangular(
    key: &Tensor,
    left: &Tensor,
    mode: &Tensor,
    right: &Tensor,
    shape: Option<&[usize]>,
    dtype: DType,
) -> Tensor {
    check_float(dtype, "triangular");
    let shape = out_shape("triangular", shape, &[left, mode, right]);
    let (l, m, r) = (
        param(left, &shape, dtype),
        param(mode, &shape, dtype),
        param(right, &shape, dtype),
    );
    let rl = lax::sub(&r, &l);
    let fc = lax::div(&lax::sub(&m, &l), &rl);
    let u = uniform_with(key, &shape, dtype, 0.0, 1.0);
    let out1 = lax::add(
        &l,
        &lax::sqrt(&lax::mul(&lax::mul(&u, &rl), &lax::sub(&m, &l))),
    );
    let one_u = lax::sub(&k(1.0, dtype), &u);
    let out2 = lax::sub(
        &r,
        &lax::sqrt(&lax::mul(&lax::mul(&one_u, &rl), &lax::sub(&r, &m))),
    );
    sel(&lax::lt(&u, &fc), &out1, &out2)
}

/// Student's t samples with `df` degrees of freedom (`jax.random.t`):
/// `n · sqrt((df/2) / gamma(df/2))`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::random::t(&ferrax::random::key(0), &Tensor::scalar(3.0f32), Some(&[10]), DType::F32);
/// assert!(x.to_vec::<f32>().iter().all(|v| v.is_finite()));
/// ```
#[track_caller]
pub fn t(key: &Tensor, df: &Tensor, shape: Option<&[usize]>, dtype: DType) -> Tensor {
    check_float(dtype, "t");
    let shape = out_shape("t", shape, &[df]);
    let df = param(df, &shape, dtype);
    let [key_n, key_g] = split_n::<2>(key);
    let n = normal_with(&key_n, &shape, dtype);
    let half_df = lax::div(&df, &k(2.0, dtype));
    let g = gamma(&key_g, &half_df, Some(&shape), dtype);
    lax::mul(&n, &lax::sqrt(&lax::div(&half_df, &g)))
}

/// Chi-square samples with `df` degrees of freedom (`jax.random.chisquare`):
/// `2 · exp(loggamma(df/2))`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::random::chisquare(&ferrax::random::key(0), &Tensor::scalar(2.0f32), Some(&[10]), DType::F32);
/// assert!(x.to_vec::<f32>().iter().all(|&v| v >= 0.0));
/// ```
#[track_caller]
pub fn chisquare(key: &Tensor, df: &Tensor, shape: Option<&[usize]>, dtype: DType) -> Tensor {
    check_float(dtype, "chisquare");
    let shape = out_shape("chisquare", shape, &[df]);
    let half_df = lax::div(&param(df, &shape, dtype), &k(2.0, dtype));
    let lg = loggamma(key, &half_df, Some(&shape), dtype);
    lax::mul(&lax::exp(&lg), &k(2.0, dtype))
}

/// F-distribution samples (`jax.random.f(key, dfnum, dfden)`): the ratio of two chi-square
/// draws, each divided by its degrees of freedom.
///
/// ```
/// use ferrax::prelude::*;
/// let (n, d) = (Tensor::scalar(5.0f32), Tensor::scalar(7.0f32));
/// let x = ferrax::random::f(&ferrax::random::key(0), &n, &d, Some(&[10]), DType::F32);
/// assert!(x.to_vec::<f32>().iter().all(|&v| v >= 0.0));
/// ```
#[track_caller]
pub fn f(
    key: &Tensor,
    dfnum: &Tensor,
    dfden: &Tensor,
    shape: Option<&[usize]>,
    dtype: DType,
) -> Tensor {
    check_float(dtype, "f");
    let shape = out_shape("f", shape, &[dfden, dfnum]);
    let (dfnum, dfden) = (param(dfnum, &shape, dtype), param(dfden, &shape, dtype));
    let [key_dfd, key_dfn] = split_n::<2>(key);
    // `(chi_n / dfnum) / (chi_d / dfden)` with `chi = 2 exp(loggamma(df / 2))`, in the order
    // XLA's simplifier leaves it: `exp(lg_n) (2 dfden) / (exp(lg_d) (2 dfnum))`.
    let half = k(0.5, dtype);
    let lg_n = loggamma(&key_dfn, &lax::mul(&dfnum, &half), Some(&shape), dtype);
    let lg_d = loggamma(&key_dfd, &lax::mul(&dfden, &half), Some(&shape), dtype);
    let two = k(2.0, dtype);
    lax::div(
        &lax::mul(&lax::exp(&lg_n), &lax::mul(&dfden, &two)),
        &lax::mul(&lax::exp(&lg_d), &lax::mul(&dfnum, &two)),
    )
}

/// Generalized normal samples with shape `p` (density ∝ `exp(-|x|^p)`,
/// `jax.random.generalized_normal`): `sign · gamma(1/p)^(1/p)`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::random::generalized_normal(&ferrax::random::key(0), 1.5, &[10], DType::F32);
/// assert_eq!(x.shape(), &[10]);
/// ```
#[track_caller]
pub fn generalized_normal(key: &Tensor, p: f64, shape: &[usize], dtype: DType) -> Tensor {
    check_float(dtype, "generalized_normal");
    let [k0, k1] = split_n::<2>(key);
    let g = gamma(&k0, &k(1.0 / p, dtype), Some(shape), dtype);
    let r = rademacher(&k1, shape, dtype);
    lax::mul(&r, &lax::pow(&g, &Tensor::full(shape, 1.0 / p, dtype)))
}

/// Points uniform in the unit `p`-norm ball of dimension `d` (`jax.random.ball(key, d, p,
/// shape)`), of shape `shape + [d]`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::random::ball(&ferrax::random::key(0), 3, 2.0, &[20], DType::F32);
/// for v in x.to_vec::<f32>().chunks(3) { assert!(v.iter().map(|a| a * a).sum::<f32>() <= 1.0); }
/// ```
#[track_caller]
pub fn ball(key: &Tensor, d: usize, p: f64, shape: &[usize], dtype: DType) -> Tensor {
    check_float(dtype, "ball");
    let [k1, k2] = split_n::<2>(key);
    let mut full = shape.to_vec();
    full.push(d);
    let g = generalized_normal(&k1, p, &full, dtype);
    let e = exponential(&k2, shape, dtype);
    let gp = lax::pow(&lax::abs(&g), &Tensor::full(&full, p, dtype));
    let s = lax::add(&lax::reduce_sum(&gp, &[shape.len()]), &e);
    let r = lax::pow(&s, &Tensor::full(shape, 1.0 / p, dtype));
    let dims: Vec<usize> = (0..shape.len()).collect();
    lax::div(&g, &lax::broadcast_in_dim(&r, &full, &dims))
}
