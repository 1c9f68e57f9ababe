//! The gamma family: `gamma` and `loggamma` (Marsaglia–Tsang, JAX's loops and key splitting
//! op for op), and `beta` and `dirichlet` built on `loggamma`. Samples are differentiable in
//! their shape parameters by implicit reparameterisation (`lax::random_gamma_grad`), as
//! `jax.random.gamma`'s JVP.

use super::keys::{split, split_n};
use super::params::{check_float, k, out_shape, param, sel};
use super::samplers::{exponential, normal_with, uniform_with};
use crate::control_flow::custom_jvp;
use crate::interpreters::vmap;
use crate::lax;
use crate::lax::while_loop;
use crate::prims::fma::fma;
use crate::tensor::{DType, Tensor};

/// One Gamma(`alpha`) sample (JAX's `_gamma_one`) from a `u32[2]` key and a scalar `alpha`.
fn gamma_one(key: &Tensor, alpha: &Tensor, log_space: bool) -> Tensor {
    let dt = alpha.dtype();
    let (zero, one) = (k(0.0, dt), k(1.0, dt));
    let third = k(1.0 / 3.0, dt);
    let boost_mask = lax::ge(alpha, &one);
    let alpha_orig = alpha.clone();
    let alpha = sel(&boost_mask, alpha, &lax::add(alpha, &one));
    let d = lax::sub(&alpha, &third);
    // XLA rewrites `third / sqrt(d)` to `third * rsqrt(d)`, and its rsqrt is not `1 / sqrt`.
    let c = lax::mul(&third, &lax::rsqrt(&d));

    let cond = |s: &(Tensor, Tensor, Tensor, Tensor)| {
        let (_, x, v, u) = s;
        // `1 - 0.0331 X²` is one FMA in XLA's code; `X/2 + d (...)` is one too, but `X/2` is
        // exact, so the separate ops round the same.
        let squeeze = k(-0.0331, dt);
        let first = lax::ge(u, &fma(&lax::mul(x, x), &squeeze, &one));
        let rhs = lax::add(
            &lax::mul(x, &k(0.5, dt)),
            &lax::mul(&d, &lax::add(&lax::sub(&one, v), &lax::log(v))),
        );
        lax::and(&first, &lax::ge(&lax::log(u), &rhs))
    };
    let body = |s: &(Tensor, Tensor, Tensor, Tensor)| {
        let [key, x_key, u_key] = split_n::<3>(&s.0);
        let (_, x, v) = while_loop(
            |s: &(Tensor, Tensor, Tensor)| lax::le(&s.2, &zero),
            |s: &(Tensor, Tensor, Tensor)| {
                let [key, sub] = split_n::<2>(&s.0);
                let x = normal_with(&sub, &[], dt);
                // `1 + x c`: one FMA in XLA's code.
                let v = fma(&x, &c, &one);
                (key, x, v)
            },
            &(x_key, zero.clone(), k(-1.0, dt)),
        );
        let xx = lax::mul(&x, &x);
        let vvv = lax::mul(&lax::mul(&v, &v), &v);
        let u = uniform_with(&u_key, &[], dt, 0.0, 1.0);
        (key, xx, vvv, u)
    };
    let [key, subkey] = split_n::<2>(key);
    let (_, _, v, _) = while_loop(cond, body, &(key, zero.clone(), one.clone(), k(2.0, dt)));
    if log_space {
        let log_samples = lax::neg(&exponential(&subkey, &[], dt));
        let no_boost = lax::or(&boost_mask, &lax::eq(&log_samples, &zero));
        let log_boost = sel(
            &no_boost,
            &zero,
            &lax::mul(&log_samples, &lax::div(&one, &alpha_orig)),
        );
        lax::add(&lax::add(&lax::log(&d), &lax::log(&v)), &log_boost)
    } else {
        let samples = lax::sub(&one, &uniform_with(&subkey, &[], dt, 0.0, 1.0));
        let boost = sel(
            &boost_mask,
            &one,
            &flush(&lax::pow(&samples, &lax::div(&one, &alpha_orig))),
        );
        flush(&lax::mul(&lax::mul(&d, &v), &boost))
    }
}

/// Subnormal values read as zero of their sign: XLA's CPU code runs with flush-to-zero, so
/// a tiny `a`'s boost `u^(1/a)` underflows to 0 there rather than to a subnormal.
fn flush(x: &Tensor) -> Tensor {
    let dt = x.dtype();
    let tiny = if dt == DType::F32 {
        f32::MIN_POSITIVE as f64
    } else {
        f64::MIN_POSITIVE
    };
    let zero = lax::mul(x, &k(0.0, dt));
    sel(&lax::lt(&lax::abs(x), &k(tiny, dt)), &zero, x)
}

/// JAX's `_gamma_impl`: one key per element (`split(key, a.size)`), `_gamma_one` mapped.
fn gamma_impl(key: &Tensor, a: &Tensor, log_space: bool) -> Tensor {
    let n = a.size();
    if n == 0 {
        return a.clone();
    }
    let keys = split(key, n);
    let alphas = lax::reshape(a, &[n]);
    let samples =
        vmap(move |(k, al): &(Tensor, Tensor)| gamma_one(k, al, log_space))(&(keys, alphas));
    lax::reshape(&samples, a.shape())
}

/// ∂sample/∂a of Gamma(a) samples (JAX's `_gamma_grad`): `random_gamma_grad(a, x)`, divided
/// by `x` in log space (with `x = exp(log x)` floored at the smallest normal).
fn gamma_grad(sample: &Tensor, a: &Tensor, log_space: bool) -> Tensor {
    if !log_space {
        return lax::random_gamma_grad(a, sample);
    }
    let dt = a.dtype();
    let x = lax::exp(sample);
    let tiny = if dt == DType::F32 {
        f32::MIN_POSITIVE as f64
    } else {
        f64::MIN_POSITIVE
    };
    let x = sel(
        &lax::eq(&x, &k(0.0, dt)),
        &Tensor::full(x.shape(), tiny, dt),
        &x,
    );
    lax::div(&lax::random_gamma_grad(a, &x), &x)
}

/// The `random_gamma` operation with its JVP `ȧ · ∂sample/∂a` (keys get no tangent).
fn random_gamma(key: &Tensor, a: &Tensor, log_space: bool) -> Tensor {
    let f = custom_jvp(
        "random_gamma",
        move |(key, a): &(Tensor, Tensor)| gamma_impl(key, a, log_space),
        move |(key, a): &(Tensor, Tensor), (_, da): &(Tensor, Tensor)| {
            let ans = gamma_impl(key, a, log_space);
            let t = lax::mul(da, &gamma_grad(&ans, a, log_space));
            (ans, t)
        },
    );
    f(&(key.clone(), a.clone()))
}

#[track_caller]
fn gamma_dispatch(
    what: &str,
    key: &Tensor,
    a: &Tensor,
    shape: Option<&[usize]>,
    dtype: DType,
    log_space: bool,
) -> Tensor {
    check_float(dtype, what);
    let shape = out_shape(what, shape, &[a]);
    random_gamma(key, &param(a, &shape, dtype), log_space)
}

/// Gamma(`a`, 1) samples (`jax.random.gamma(key, a, shape, dtype)`): Marsaglia–Tsang with
/// JAX's rejection loops, one key per element, so values equal JAX's bit for bit (f32; f64
/// as JAX with x64). `shape` defaults to `a`'s shape; `a` (any float dtype) broadcasts to it.
/// Differentiable in `a` (implicit reparameterisation).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![0.5f32, 1.0, 3.0], &[3]);
/// let g = ferrax::random::gamma(&ferrax::random::key(0), &a, None, DType::F32);
/// assert!(g.to_vec::<f32>().iter().all(|&x| x > 0.0));
/// let da = grad(|a: &Tensor| ferrax::random::gamma(&ferrax::random::key(0), a, None, DType::F32).sum())(&a);
/// assert!(da.to_vec::<f32>().iter().all(|&x| x > 0.0));
/// ```
#[track_caller]
pub fn gamma(key: &Tensor, a: &Tensor, shape: Option<&[usize]>, dtype: DType) -> Tensor {
    gamma_dispatch("gamma", key, a, shape, dtype, false)
}

/// The logarithm of Gamma(`a`) samples computed in log space (`jax.random.loggamma`):
/// accurate where `gamma` underflows to 0 (small `a`); `exp(loggamma) ≈ gamma` for the same
/// key.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::scalar(1e-3f32);
/// let l = ferrax::random::loggamma(&ferrax::random::key(1), &a, Some(&[4]), DType::F32);
/// assert!(l.to_vec::<f32>().iter().all(|x| x.is_finite()));
/// ```
#[track_caller]
pub fn loggamma(key: &Tensor, a: &Tensor, shape: Option<&[usize]>, dtype: DType) -> Tensor {
    gamma_dispatch("loggamma", key, a, shape, dtype, true)
}

/// Beta(`a`, `b`) samples (`jax.random.beta`): two `loggamma` draws combined as
/// `ga / (ga + gb)` after subtracting their maximum. `shape` defaults to the broadcast of
/// `a` and `b`.
///
/// ```
/// use ferrax::prelude::*;
/// let (a, b) = (Tensor::scalar(2.0f32), Tensor::scalar(5.0f32));
/// let x = ferrax::random::beta(&ferrax::random::key(0), &a, &b, Some(&[100]), DType::F32);
/// assert!(x.to_vec::<f32>().iter().all(|&v| (0.0..=1.0).contains(&v)));
/// ```
#[track_caller]
pub fn beta(key: &Tensor, a: &Tensor, b: &Tensor, shape: Option<&[usize]>, dtype: DType) -> Tensor {
    check_float(dtype, "beta");
    let shape = out_shape("beta", shape, &[a, b]);
    let (a, b) = (param(a, &shape, dtype), param(b, &shape, dtype));
    let [key_a, key_b] = split_n::<2>(key);
    let la = random_gamma(&key_a, &a, true);
    let lb = random_gamma(&key_b, &b, true);
    let m = lax::max(&la, &lb);
    let ga = lax::exp(&lax::sub(&la, &m));
    let gb = lax::exp(&lax::sub(&lb, &m));
    lax::div(&ga, &lax::add(&ga, &gb))
}

/// Dirichlet(`alpha`) samples (`jax.random.dirichlet`): `softmax(loggamma(alpha))` over the
/// last axis. `alpha` is `[..., k]`; `shape` (default `alpha.shape[..-1]`) is the batch
/// shape, and the result has shape `shape + [k]`.
///
/// ```
/// use ferrax::prelude::*;
/// let alpha = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// let x = ferrax::random::dirichlet(&ferrax::random::key(0), &alpha, Some(&[5]), DType::F32);
/// assert_eq!(x.shape(), &[5, 3]);
/// for row in x.to_vec::<f32>().chunks(3) { assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5); }
/// ```
#[track_caller]
pub fn dirichlet(key: &Tensor, alpha: &Tensor, shape: Option<&[usize]>, dtype: DType) -> Tensor {
    check_float(dtype, "dirichlet");
    assert!(
        alpha.ndim() >= 1,
        "random::dirichlet: alpha must have rank >= 1, got shape {:?}",
        alpha.shape()
    );
    let nd = alpha.ndim();
    let kdim = alpha.shape()[nd - 1];
    let batch = alpha.shape()[..nd - 1].to_vec();
    let batch = match shape {
        None => batch,
        Some(s) => {
            let b = Tensor::zeros(&batch, DType::F32);
            out_shape("dirichlet", Some(s), &[&b])
        }
    };
    let mut full = batch.clone();
    full.push(kdim);
    let lg = random_gamma(key, &param(alpha, &full, dtype), true);
    // jax.nn.softmax(lg, -1): exp(x - stop_gradient(max)) / sum.
    let last = full.len() - 1;
    let m = lax::stop_gradient(&lax::reduce_max(&lg, &[last]));
    let m = lax::broadcast_in_dim(&m, &full, &(0..last).collect::<Vec<_>>());
    let u = lax::exp(&lax::sub(&lg, &m));
    // XLA divides once per row: `u * (1 / sum)`.
    let s = lax::reduce_sum(&u, &[last]);
    let r = lax::div(&k(1.0, dtype), &s);
    let r = lax::broadcast_in_dim(&r, &full, &(0..last).collect::<Vec<_>>());
    lax::mul(&u, &r)
}
