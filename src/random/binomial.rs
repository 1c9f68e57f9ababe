//! `binomial` (inversion by geometric waiting times where `n·q ≤ 10`, BTRS rejection
//! elsewhere, as `jax.random.binomial`, itself TensorFlow's) and `multinomial` (a scan of
//! conditional binomials).

use super::keys::{split, split_n};
use super::params::{check_float, k, out_shape, param, sel};
use super::samplers::uniform_with;
use crate::lax;
use crate::numpy;
use crate::tensor::{DType, Tensor};

fn all_axes(shape: &[usize]) -> Vec<usize> {
    (0..shape.len()).collect()
}

/// JAX's `_stirling_approx_tail`: the tail of Stirling's series for `log k!`, tabulated for
/// `k ≤ 9`.
fn stirling_tail(kk: &Tensor) -> Tensor {
    let dt = kk.dtype();
    let table = [
        0.0810614667953272,
        0.0413406959554092,
        0.0276779256849983,
        0.02079067210376509,
        0.0166446911898211,
        0.0138761288230707,
        0.0118967099458917,
        0.0104112652619720,
        0.00925546218271273,
        0.00833056343336287,
    ];
    let table = lax::convert_element_type(&Tensor::from_vec(table.to_vec(), &[10]), dt);
    let use_tail = lax::le(kk, &k(9.0, dt));
    let kc = lax::clamp(&k(0.0, dt), kk, &k(9.0, dt));
    let k1 = lax::add(&kc, &k(1.0, dt));
    let kp1sq = lax::mul(&k1, &k1);
    let inner = lax::div(
        &lax::sub(&k(1.0 / 360.0, dt), &lax::div(&k(1.0 / 1260.0, dt), &kp1sq)),
        &kp1sq,
    );
    let approx = lax::div(&lax::sub(&k(1.0 / 12.0, dt), &inner), &k1);
    let idx = lax::convert_element_type(&lax::floor(&kc), DType::I32);
    let tab = numpy::take(&table, &idx, 0);
    sel(&use_tail, &tab, &approx)
}

/// JAX's `_binomial_inversion`: count geometric waiting times until they pass `count`.
fn inversion(key: &Tensor, count: &Tensor, prob: &Tensor, shape: &[usize]) -> Tensor {
    let dt = prob.dtype();
    let l1mp = lax::log1p(&lax::neg(prob));
    let init = (
        Tensor::scalar(0i32),
        Tensor::zeros(shape, dt),
        Tensor::zeros(shape, dt),
        key.clone(),
    );
    let out = lax::while_loop(
        |s: &(Tensor, Tensor, Tensor, Tensor)| {
            // `i < finfo(dtype).max` always holds for an i32 counter.
            lax::reduce_or(&lax::le(&s.2, count), &all_axes(shape))
        },
        |s: &(Tensor, Tensor, Tensor, Tensor)| {
            let (i, num_geom, geom_sum, key) = s;
            let [subkey, key] = split_n::<2>(key);
            let num_geom = sel(
                &lax::le(geom_sum, count),
                &lax::add(num_geom, &k(1.0, dt)),
                num_geom,
            );
            let u = uniform_with(&subkey, shape, dt, 0.0, 1.0);
            let geom = lax::ceil(&lax::div(&lax::log(&u), &l1mp));
            let i = lax::add(i, &Tensor::scalar(1i32));
            (i, num_geom, lax::add(geom_sum, &geom), key)
        },
        &init,
    );
    lax::sub(&out.1, &k(1.0, dt))
}

/// JAX's `_btrs`: Hörmann's transformed rejection with squeeze.
fn btrs(key: &Tensor, count: &Tensor, prob: &Tensor, shape: &[usize]) -> Tensor {
    let dt = prob.dtype();
    let c_ = |v: f64| k(v, dt);
    let one_m_p = lax::sub(&c_(1.0), prob);
    let stddev = lax::sqrt(&lax::mul(&lax::mul(count, prob), &one_m_p));
    let b = lax::add(&c_(1.15), &lax::mul(&c_(2.53), &stddev));
    let a = lax::add(
        &lax::add(&c_(-0.0873), &lax::mul(&c_(0.0248), &b)),
        &lax::mul(&c_(0.01), prob),
    );
    let c = lax::add(&lax::mul(count, prob), &c_(0.5));
    let v_r = lax::sub(&c_(0.92), &lax::div(&c_(4.2), &b));
    let r = lax::div(prob, &one_m_p);
    let alpha = lax::mul(&lax::add(&c_(2.83), &lax::div(&c_(5.1), &b)), &stddev);
    let m = lax::floor(&lax::mul(&lax::add(count, &c_(1.0)), prob));
    let init = (
        Tensor::scalar(0i32),
        Tensor::full(shape, -1.0, dt),
        Tensor::full(shape, 0.0, DType::Bool),
        key.clone(),
    );
    let out = lax::while_loop(
        |s: &(Tensor, Tensor, Tensor, Tensor)| lax::reduce_or(&lax::not(&s.2), &all_axes(shape)),
        |s: &(Tensor, Tensor, Tensor, Tensor)| {
            let (i, k_out, accepted, key) = s;
            let [key, k0, k1] = split_n::<3>(key);
            let u = uniform_with(&k0, shape, dt, 0.0, 1.0);
            let v = uniform_with(&k1, shape, dt, 0.0, 1.0);
            let u = lax::sub(&u, &c_(0.5));
            let us = lax::sub(&c_(0.5), &lax::abs(&u));
            let accept1 = lax::and(&lax::ge(&us, &c_(0.07)), &lax::le(&v, &v_r));
            let kk = lax::floor(&lax::add(
                &lax::mul(&lax::add(&lax::div(&lax::mul(&c_(2.0), &a), &us), &b), &u),
                &c,
            ));
            let reject = lax::or(&lax::lt(&kk, &c_(0.0)), &lax::gt(&kk, count));
            let v = lax::log(&lax::div(
                &lax::mul(&v, &alpha),
                &lax::add(&lax::div(&a, &lax::mul(&us, &us)), &b),
            ));
            let n_m1 = lax::add(&lax::sub(count, &m), &c_(1.0));
            let n_k1 = lax::add(&lax::sub(count, &kk), &c_(1.0));
            let t1 = lax::mul(
                &lax::add(&m, &c_(0.5)),
                &lax::log(&lax::div(&lax::add(&m, &c_(1.0)), &lax::mul(&r, &n_m1))),
            );
            let t2 = lax::mul(
                &lax::add(count, &c_(1.0)),
                &lax::log(&lax::div(&n_m1, &n_k1)),
            );
            let t3 = lax::mul(
                &lax::add(&kk, &c_(0.5)),
                &lax::log(&lax::div(&lax::mul(&r, &n_k1), &lax::add(&kk, &c_(1.0)))),
            );
            let ub = lax::add(&lax::add(&t1, &t2), &t3);
            let ub = lax::add(&ub, &stirling_tail(&m));
            let ub = lax::add(&ub, &stirling_tail(&lax::sub(count, &m)));
            let ub = lax::sub(&ub, &stirling_tail(&kk));
            let ub = lax::sub(&ub, &stirling_tail(&lax::sub(count, &kk)));
            let accept2 = lax::le(&v, &ub);
            let accept = lax::or(&accept1, &lax::and(&lax::not(&reject), &accept2));
            let k_out = sel(&accept, &kk, k_out);
            let accepted = lax::or(accepted, &accept);
            (lax::add(i, &Tensor::scalar(1i32)), k_out, accepted, key)
        },
        &init,
    );
    out.1
}

/// Binomial(`n`, `p`) counts as floats (`jax.random.binomial(key, n, p, shape, dtype)`):
/// inversion where `n·min(p, 1-p) ≤ 10`, BTRS rejection elsewhere, computed in the float
/// dtype of `p` (f32 unless `p` is f64) and cast to `dtype`; NaN for invalid `n`/`p`, `inf`
/// for infinite `n`. `shape` defaults to the broadcast of `n` and `p`.
///
/// ```
/// use ferrax::prelude::*;
/// let (n, p) = (Tensor::scalar(20.0f32), Tensor::scalar(0.3f32));
/// let x = ferrax::random::binomial(&ferrax::random::key(0), &n, &p, Some(&[10]), DType::F32);
/// assert!(x.to_vec::<f32>().iter().all(|&v| (0.0..=20.0).contains(&v) && v.fract() == 0.0));
/// ```
#[track_caller]
pub fn binomial(
    key: &Tensor,
    n: &Tensor,
    p: &Tensor,
    shape: Option<&[usize]>,
    dtype: DType,
) -> Tensor {
    check_float(dtype, "binomial");
    let shape = out_shape("binomial", shape, &[n, p]);
    let ft = if p.dtype() == DType::F64 {
        DType::F64
    } else {
        DType::F32
    };
    let c_ = |v: f64| k(v, ft);
    let count = param(n, &shape, ft);
    let prob = param(p, &shape, ft);
    let p_lt_half = lax::lt(&prob, &c_(0.5));
    let q = sel(&p_lt_half, &prob, &lax::sub(&c_(1.0), &prob));
    let count_nan_or_neg = lax::or(&lax::ne(&count, &count), &lax::lt(&count, &c_(0.0)));
    let count_inf = lax::eq(&lax::abs(&count), &c_(f64::INFINITY));
    let q_is_nan = lax::ne(&q, &q);
    let q_l_0 = lax::lt(&q, &c_(0.0));
    let q = sel(
        &lax::or(&q_is_nan, &q_l_0),
        &Tensor::full(&shape, 0.01, ft),
        &q,
    );
    let use_inv = lax::or(
        &count_nan_or_neg,
        &lax::le(&lax::mul(&count, &q), &c_(10.0)),
    );
    let count = lax::floor(&count);
    let count_inv = sel(&use_inv, &count, &Tensor::zeros(&shape, ft));
    let count_btrs = sel(&use_inv, &Tensor::full(&shape, 1e4, ft), &count);
    let q_btrs = sel(&use_inv, &Tensor::full(&shape, 0.5, ft), &q);
    let samples = sel(
        &use_inv,
        &inversion(key, &count_inv, &q, &shape),
        &btrs(key, &count_btrs, &q_btrs, &shape),
    );
    let samples = lax::convert_element_type(&samples, dtype);
    let invalid = lax::or(&lax::or(&q_l_0, &q_is_nan), &count_nan_or_neg);
    let samples = sel(&invalid, &Tensor::full(&shape, f64::NAN, dtype), &samples);
    let samples = sel(
        &lax::and(&count_inf, &lax::not(&invalid)),
        &Tensor::full(&shape, f64::INFINITY, dtype),
        &samples,
    );
    let keep = lax::or(
        &lax::or(&p_lt_half, &count_nan_or_neg),
        &lax::or(&q_is_nan, &count_inf),
    );
    let flipped = lax::sub(&lax::convert_element_type(&count, dtype), &samples);
    sel(&keep, &samples, &flipped)
}

/// Multinomial counts (`jax.random.multinomial(key, n, p, shape=None, dtype)`): `n` trials
/// over the outcomes on `p`'s last axis, drawn as a scan of binomials of the remaining
/// trials with the conditional probabilities. `shape` (default `p.shape`) is the full result
/// shape, ending with the number of outcomes.
///
/// ```
/// use ferrax::prelude::*;
/// let p = Tensor::from_vec(vec![0.2f32, 0.3, 0.5], &[3]);
/// let x = ferrax::random::multinomial(&ferrax::random::key(0), &Tensor::scalar(10.0f32), &p, None, DType::F32);
/// assert_eq!(x.to_vec::<f32>().iter().sum::<f32>(), 10.0);
/// ```
#[track_caller]
pub fn multinomial(
    key: &Tensor,
    n: &Tensor,
    p: &Tensor,
    shape: Option<&[usize]>,
    dtype: DType,
) -> Tensor {
    check_float(dtype, "multinomial");
    assert!(
        p.ndim() >= 1,
        "random::multinomial: p must have rank >= 1, got shape {:?}",
        p.shape()
    );
    let ft = if p.dtype() == DType::F64 || n.dtype() == DType::F64 {
        DType::F64
    } else {
        DType::F32
    };
    let shape = shape
        .map(|s| s.to_vec())
        .unwrap_or_else(|| p.shape().to_vec());
    let nd = shape.len();
    assert!(nd >= 1, "random::multinomial: shape must have rank >= 1");
    let kdim = shape[nd - 1];
    let n = param(n, &shape[..nd - 1], ft);
    let p = param(p, &shape, ft);
    // outcomes to the front: [k, ...batch]
    let mut perm = vec![nd - 1];
    perm.extend(0..nd - 1);
    let p = lax::transpose(&p, &perm);
    let remaining = lax::cumsum(&p, 0, true);
    let safe = sel(
        &lax::eq(&remaining, &k(0.0, ft)),
        &Tensor::full(remaining.shape(), 1.0, ft),
        &remaining,
    );
    let ratios = lax::div(&p, &safe);
    let keys = split(key, kdim);
    let (_, counts) = lax::scan(
        |rem: &Tensor, (ratio, key): &(Tensor, Tensor)| {
            let r = lax::clamp(&k(0.0, ft), ratio, &k(1.0, ft));
            let count = binomial(key, rem, &r, None, ft);
            (lax::sub(rem, &count), count)
        },
        &n,
        &(ratios, keys),
    );
    let mut back: Vec<usize> = (1..nd).collect();
    back.push(0);
    lax::convert_element_type(&lax::transpose(&counts, &back), dtype)
}
