//! Per-example gradients of the MLP 64-128(tanh)-10 over 128 examples with
//! `vmap(grad(loss))` (eager; no jit yet). JAX 0.10.2 on this machine kind:
//! `jit(vmap(grad))` 0.74 ms.

mod common;

use common::values;
use criterion::{criterion_group, criterion_main, Criterion};
use ferrax::prelude::*;
use ferrax::{nn, numpy as jnp};
use std::hint::black_box;

type Params = (Tensor, Tensor, Tensor, Tensor);

/// Softmax cross-entropy of one example.
fn example_loss(p: &Params, x: &Tensor, onehot: &Tensor) -> Tensor {
    let (w1, b1, w2, b2) = p;
    let h = (x.matmul(w1) + b1).tanh();
    let logits = h.matmul(w2) + b2;
    -(nn::log_softmax(&logits, -1) * onehot).sum()
}

fn bench_per_example_grads(c: &mut Criterion) {
    let (batch, d_in, d_h, d_out) = (128, 64, 128, 10);
    let params: Params = (
        Tensor::from_vec(values(d_in * d_h, 1, 0.125), &[d_in, d_h]),
        Tensor::zeros(&[d_h], DType::F32),
        Tensor::from_vec(values(d_h * d_out, 2, 0.09), &[d_h, d_out]),
        Tensor::zeros(&[d_out], DType::F32),
    );
    let xs = Tensor::from_vec(values(batch * d_in, 3, 1.0), &[batch, d_in]);
    let labels = Tensor::from_vec(
        (0..batch as i32).map(|i| i % 10).collect::<Vec<_>>(),
        &[batch],
    );
    let onehots = jnp::one_hot(&labels, d_out);
    let per_example = vmap_with(
        |(p, x, y): &(Params, Tensor, Tensor)| grad(|p: &Params| example_loss(p, x, y))(p),
        VmapSpec::new().in_axes((AxisSpec::NotMapped, 0, 0)),
    );
    let args = (params, xs, onehots);
    c.bench_function("eager vmap(grad) per-example mlp 64-128-10 x128", |b| {
        b.iter(|| per_example(black_box(&args)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench_per_example_grads
}
criterion_main!(benches);
