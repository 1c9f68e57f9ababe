//! Lowerings the models do not reach, each run in tract against ferrax (with a fixed and a
//! dynamic batch): padding and cropping, reversal, concatenation, cumulative sums, top_k,
//! iota over the batch, the other reductions, window sums, strided SAME convolutions, clamps,
//! integer powers and the composite elementwise ops, einsum patterns.

use super::runtime::check;
use ferrax::lax;
use ferrax::nn;
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use ferrax::random;

fn uniform(seed: i64, shape: &[usize]) -> Tensor {
    random::uniform(&random::key(seed), shape) * 2.0 - 1.0
}

/// Runs `f` with a fixed batch of 3 and with a dynamic batch at batch 5.
fn both(name: &str, f: impl Fn(&Tensor) -> Tensor + Copy, rest: &[usize]) {
    let shape = |b: usize| [&[b][..], rest].concat();
    check(
        name,
        f,
        &uniform(1, &shape(3)),
        false,
        &[uniform(2, &shape(3))],
    );
    let dyn_name = format!("{name}_dyn");
    check(
        &dyn_name,
        f,
        &uniform(1, &shape(3)),
        true,
        &[uniform(3, &shape(5))],
    );
}

#[test]
fn pad_crop_rev_concat() {
    both(
        "pad",
        |x| {
            let zero = Tensor::scalar(0.5f32);
            let p = lax::pad(x, &zero, &[(0, 0, 0), (2, -1, 0), (-1, 3, 0)]);
            let r = lax::rev(&p, &[1, 2]);
            jnp::concatenate(&[r.clone(), r * 2.0], 2)
        },
        &[4, 5],
    );
}

#[test]
fn slices_and_cumsum() {
    both(
        "slices",
        |x| {
            let a = x.index(ferrax::idx![.., 1..3]);
            let b = jnp::cumsum(x, Some(1)).index(ferrax::idx![.., ..2]);
            let c = jnp::flip(&jnp::cumsum(&jnp::flip(x, Some(&[1])), Some(1)), Some(&[1]));
            jnp::concatenate(&[a + b, c.index(ferrax::idx![.., 2..])], 1)
        },
        &[4],
    );
}

#[test]
fn reductions() {
    both(
        "reductions",
        |x| {
            let m = x.max_axes(&[1]) - x.min().reshape(&[1]);
            let a = x.argmax(1).cast(DType::F32);
            let p = jnp::prod(&x.index(ferrax::idx![.., ..3]), Some(&[1]));
            let mean = x.mean_axes(&[0, 1]).reshape(&[1]);
            m + a + p + mean
        },
        &[6],
    );
}

#[test]
fn top_k_and_iota() {
    both(
        "topk",
        |x| {
            let (v, i) = lax::top_k(x, 3);
            let ramp = lax::iota(DType::F32, x.shape(), 0);
            v + i.cast(DType::F32) + ramp.index(ferrax::idx![.., ..3])
        },
        &[7],
    );
}

#[test]
fn pools_and_same_convolution() {
    let w = uniform(5, &[3, 3, 2, 4]);
    both(
        "pools",
        |x| {
            let y = nn::conv2d(x, &w, &[2, 2], nn::Padding::Same);
            let a = nn::avg_pool2d(&y, &[2, 2], &[1, 1]);
            let m = nn::max_pool2d(&y, &[2, 2], &[1, 1]);
            a + m
        },
        &[6, 6, 2],
    );
}

#[test]
fn elementwise_composites() {
    both(
        "composites",
        |x| {
            let c = lax::clamp(&Tensor::scalar(-0.5f32), x, &Tensor::scalar(0.5f32));
            let p = lax::integer_pow(x, 3) + lax::integer_pow(&(x.abs() + 1.0), -2);
            let e = x.expm1() + x.abs().log1p() + (x.abs() + 1.0).rsqrt();
            let r = lax::round(&(x * 3.0), lax::RoundingMethod::AwayFromZero);
            let s = lax::select_n(&x.gt(0.0).cast(DType::I32), &[c.clone(), p.clone()]);
            c + p + e + r + s + x.square() + x.cbrt() + x.erf() + x.exp2()
        },
        &[8],
    );
}

#[test]
fn einsum_patterns() {
    let w = uniform(6, &[4, 5, 3]);
    both(
        "einsum",
        |x| {
            let a = jnp::einsum("bij,jkl->bikl", &[x.clone(), w.clone()]);
            let g = jnp::einsum("bij,bkj->bik", &[x.clone(), x.clone()]);
            a.sum_axes(&[3]).sum_axes(&[2]) + g.sum_axes(&[2])
        },
        &[2, 4],
    );
}
