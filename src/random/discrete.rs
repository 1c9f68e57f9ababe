//! Integer-valued samplers: `poisson` (Knuth's product of uniforms for small rates,
//! Hörmann's transformed rejection for large ones, both as `while_loop`s over keys, as
//! JAX) and `geometric` (inverse CDF).

use super::keys::split_n;
use super::params::{k, out_shape, param, sel};
use super::samplers::uniform_with;
use crate::lax;
use crate::tensor::{DType, Tensor};

#[track_caller]
fn check_int(dtype: DType, what: &str) {
    assert!(
        matches!(dtype, DType::I32 | DType::I64),
        "random::{what}: dtype must be an integer type (i32 or i64), got {dtype}"
    );
}

/// Knuth's algorithm (JAX's `_poisson_knuth`): count uniforms until their product drops
/// below `exp(-lam)`; one loop for the whole array.
fn poisson_knuth(key: &Tensor, lam: &Tensor, shape: &[usize], dtype: DType) -> Tensor {
    let neg_lam = lax::neg(lam);
    let max_iters = Tensor::scalar(i32::MAX);
    let init = (
        Tensor::scalar(0i32),
        Tensor::zeros(shape, dtype),
        key.clone(),
        Tensor::zeros(shape, DType::F32),
    );
    let out = lax::while_loop(
        |s: &(Tensor, Tensor, Tensor, Tensor)| {
            let going = lax::reduce_or(&lax::gt(&s.3, &neg_lam), &all_axes(shape));
            lax::and(&going, &lax::lt(&s.0, &max_iters))
        },
        |s: &(Tensor, Tensor, Tensor, Tensor)| {
            let (i, kk, rng, log_prod) = s;
            let [rng, sub] = split_n::<2>(rng);
            let one = Tensor::full(&[], 1.0, dtype);
            let kk = sel(&lax::gt(log_prod, &neg_lam), &lax::add(kk, &one), kk);
            let u = uniform_with(&sub, shape, DType::F32, 0.0, 1.0);
            let i = lax::add(i, &Tensor::scalar(1i32));
            (i, kk, rng, lax::add(log_prod, &lax::log(&u)))
        },
        &init,
    );
    lax::sub(&out.1, &Tensor::full(&[], 1.0, dtype))
}

fn all_axes(shape: &[usize]) -> Vec<usize> {
    (0..shape.len()).collect()
}

/// Hörmann's transformed rejection (JAX's `_poisson_rejection`).
fn poisson_rejection(key: &Tensor, lam: &Tensor, shape: &[usize], dtype: DType) -> Tensor {
    let ft = lam.dtype();
    let c = |v: f64| k(v, ft);
    let log_lam = lax::log(lam);
    let b = lax::add(&c(0.931), &lax::mul(&c(2.53), &lax::sqrt(lam)));
    let a = lax::add(&c(-0.059), &lax::mul(&c(0.02483), &b));
    let inv_alpha = lax::add(&c(1.1239), &lax::div(&c(1.1328), &lax::sub(&b, &c(3.4))));
    let v_r = lax::sub(&c(0.9277), &lax::div(&c(3.6224), &lax::sub(&b, &c(2.0))));
    let max_iters = Tensor::scalar(i32::MAX);
    let init = (
        Tensor::scalar(0i32),
        Tensor::full(shape, -1.0, ft),
        Tensor::full(shape, 0.0, DType::Bool),
        key.clone(),
    );
    let out = lax::while_loop(
        |s: &(Tensor, Tensor, Tensor, Tensor)| {
            let pending = lax::reduce_or(&lax::not(&s.2), &all_axes(shape));
            lax::and(&pending, &lax::lt(&s.0, &max_iters))
        },
        |s: &(Tensor, Tensor, Tensor, Tensor)| {
            let (i, k_out, accepted, key) = s;
            let [key, k0, k1] = split_n::<3>(key);
            let u = lax::sub(&uniform_with(&k0, shape, ft, 0.0, 1.0), &c(0.5));
            let v = uniform_with(&k1, shape, ft, 0.0, 1.0);
            let us = lax::sub(&c(0.5), &lax::abs(&u));
            let kk = lax::floor(&lax::add(
                &lax::add(
                    &lax::mul(&lax::add(&lax::div(&lax::mul(&c(2.0), &a), &us), &b), &u),
                    lam,
                ),
                &c(0.43),
            ));
            let s_ = lax::log(&lax::div(
                &lax::mul(&v, &inv_alpha),
                &lax::add(&lax::div(&a, &lax::mul(&us, &us)), &b),
            ));
            let t_ = lax::sub(
                &lax::add(&lax::neg(lam), &lax::mul(&kk, &log_lam)),
                &lax::lgamma(&lax::add(&kk, &c(1.0))),
            );
            let accept1 = lax::and(&lax::ge(&us, &c(0.07)), &lax::le(&v, &v_r));
            let reject = lax::or(
                &lax::lt(&kk, &c(0.0)),
                &lax::and(&lax::lt(&us, &c(0.013)), &lax::gt(&v, &us)),
            );
            let accept2 = lax::le(&s_, &t_);
            let accept = lax::or(&accept1, &lax::and(&lax::not(&reject), &accept2));
            let k_out = sel(&accept, &kk, k_out);
            let accepted = lax::or(accepted, &accept);
            (lax::add(i, &Tensor::scalar(1i32)), k_out, accepted, key)
        },
        &init,
    );
    lax::convert_element_type(&out.1, dtype)
}

/// Poisson(`lam`) counts (`jax.random.poisson(key, lam, shape, dtype)`): Knuth's method
/// where `lam < 10` (or NaN), transformed rejection elsewhere, 0 where `lam == 0`; `lam` is
/// computed in f32 as in JAX. `shape` defaults to `lam`'s shape.
///
/// ```
/// use ferrax::prelude::*;
/// let lam = Tensor::from_vec(vec![0.5f32, 3.0, 50.0], &[3]);
/// let n = ferrax::random::poisson(&ferrax::random::key(0), &lam, Some(&[100, 3]), DType::I32);
/// assert!(n.to_vec::<i32>().iter().all(|&v| v >= 0));
/// ```
#[track_caller]
pub fn poisson(key: &Tensor, lam: &Tensor, shape: Option<&[usize]>, dtype: DType) -> Tensor {
    check_int(dtype, "poisson");
    let shape = out_shape("poisson", shape, &[lam]);
    let lam = param(lam, &shape, DType::F32);
    let use_knuth = lax::or(&lax::ne(&lam, &lam), &lax::lt(&lam, &k(10.0, DType::F32)));
    let lam_knuth = sel(&use_knuth, &lam, &Tensor::zeros(&shape, DType::F32));
    let lam_rej = sel(&use_knuth, &Tensor::full(&shape, 1e5, DType::F32), &lam);
    let result = sel(
        &use_knuth,
        &poisson_knuth(key, &lam_knuth, &shape, dtype),
        &poisson_rejection(key, &lam_rej, &shape, dtype),
    );
    sel(
        &lax::eq(&lam, &k(0.0, DType::F32)),
        &Tensor::zeros(&shape, dtype),
        &result,
    )
}

/// Geometric(`p`) counts on `{1, 2, ...}` (`jax.random.geometric`): `floor(log u /
/// log1p(-p)) + 1` with `u` in `(0, 1]` (0 mapped to 1), in `p`'s float dtype, then cast.
///
/// ```
/// use ferrax::prelude::*;
/// let g = ferrax::random::geometric(&ferrax::random::key(0), &Tensor::scalar(0.3f32), Some(&[20]), DType::I32);
/// assert!(g.to_vec::<i32>().iter().all(|&v| v >= 1));
/// ```
#[track_caller]
pub fn geometric(key: &Tensor, p: &Tensor, shape: Option<&[usize]>, dtype: DType) -> Tensor {
    check_int(dtype, "geometric");
    let shape = out_shape("geometric", shape, &[p]);
    let ft = if p.dtype().is_float() {
        p.dtype()
    } else {
        DType::F32
    };
    let u = uniform_with(key, &shape, ft, 0.0, 1.0);
    let u = sel(
        &lax::eq(&u, &k(0.0, ft)),
        &Tensor::full(&shape, 1.0, ft),
        &u,
    );
    let l1p = lax::log1p(&lax::neg(&param(p, &shape, ft)));
    let g = lax::add(&lax::floor(&lax::div(&lax::log(&u), &l1p)), &k(1.0, ft));
    lax::convert_element_type(&g, dtype)
}

/// Category indices drawn *without* replacement (`jax.random.categorical(key, logits, axis,
/// shape, replace=False)`): the Gumbel top-k trick, `top_k(logits + gumbel, k)` along
/// `axis` with `k = prod(shape[..-batch])` draws per batch element, each index at most once.
/// `shape` defaults to the batch shape (`logits`' shape without `axis`) and must end with it.
///
/// ```
/// use ferrax::prelude::*;
/// let logits = Tensor::zeros(&[5], DType::F32);
/// let i = ferrax::random::categorical_without_replacement(&ferrax::random::key(0), &logits, -1, Some(&[5]));
/// let mut v = i.to_vec::<i32>();
/// v.sort();
/// assert_eq!(v, vec![0, 1, 2, 3, 4]);
/// ```
#[track_caller]
pub fn categorical_without_replacement(
    key: &Tensor,
    logits: &Tensor,
    axis: isize,
    shape: Option<&[usize]>,
) -> Tensor {
    super::params::check_float(logits.dtype(), "categorical_without_replacement");
    let nd = logits.ndim();
    let axis = crate::numpy::normalize_axis(axis, nd);
    let batch: Vec<usize> = (0..nd)
        .filter(|&d| d != axis)
        .map(|d| logits.shape()[d])
        .collect();
    let shape = shape.map(|s| s.to_vec()).unwrap_or_else(|| batch.clone());
    assert!(
        shape.len() >= batch.len() && shape[shape.len() - batch.len()..] == batch[..],
        "random::categorical_without_replacement: shape {shape:?} must end with the batch \
         shape {batch:?}"
    );
    let kk: usize = shape[..shape.len() - batch.len()].iter().product();
    assert!(
        kk <= logits.shape()[axis],
        "random::categorical_without_replacement: number of samples without replacement \
         ({kk}) cannot exceed number of categories ({})",
        logits.shape()[axis]
    );
    let g = super::samplers::gumbel(key, logits.shape(), logits.dtype());
    let x = lax::add(logits, &g);
    let x = crate::numpy::moveaxis(&x, axis as isize, -1);
    let (_, idx) = lax::top_k(&x, kk); // [batch..., k]
    let r = idx.ndim();
    let mut perm = vec![r - 1];
    perm.extend(0..r - 1);
    lax::reshape(&lax::transpose(&idx, &perm), &shape)
}
