//! `jnp.einsum` against `matmul` on the same contractions: `ij,jk->ik` on f32 256x256x256
//! and 128x784x512, eager and jitted, and a batched `bij,bjk->bik` (8x128x128x128). einsum
//! stages one `dot_general` per pairwise step (here exactly one, as `matmul` does), so the
//! two columns should agree up to the cost of parsing the subscripts and choosing the path
//! (eager only: jit traces that once). `benches/reference/jax_rows.py` times JAX's jitted
//! `jnp.einsum` on the same rows.
//!
//! Measured 2026-12-07 on the 2-core dev machine, quiet (criterion medians, µs; JAX 0.10.2
//! jitted from jax_rows.py in the same minutes):
//!
//! | row | einsum eager | matmul eager | einsum jit | matmul jit | JAX einsum | JAX matmul |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | `ij,jk->ik` 256³ | 179 | 177 | 171 | 182 | 224 | 224 |
//! | `ij,jk->ik` 128x784x512 | 660 | 646 | 671 | 664 | 570 | 565 |
//! | `bij,bjk->bik` 8x128³ | 242 | 225 | 204 | 182 | 330 | 327 |

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use std::hint::black_box;

#[path = "common/mod.rs"]
mod common;

fn pair(
    c: &mut Criterion,
    name: &str,
    sub: &'static str,
    a_shape: &[usize],
    b_shape: &[usize],
    flops: u64,
) {
    let a = common::tensor(a_shape, 1, 1.0);
    let b = common::tensor(b_shape, 2, 1.0);
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(flops));
    g.sample_size(20);
    g.warm_up_time(std::time::Duration::from_millis(500));
    g.measurement_time(std::time::Duration::from_secs(2));
    g.bench_function("einsum/eager", |bch| {
        bch.iter(|| jnp::einsum(sub, &[black_box(a.clone()), black_box(b.clone())]))
    });
    g.bench_function("matmul/eager", |bch| {
        bch.iter(|| black_box(&a).matmul(black_box(&b)))
    });
    let je = jit(move |(a, b): &(Tensor, Tensor)| jnp::einsum(sub, &[a.clone(), b.clone()]));
    let jm = jit(|(a, b): &(Tensor, Tensor)| a.matmul(b));
    let args = (a.clone(), b.clone());
    g.bench_function("einsum/jit", |bch| bch.iter(|| je(black_box(&args))));
    g.bench_function("matmul/jit", |bch| bch.iter(|| jm(black_box(&args))));
    g.finish();
}

fn einsum_vs_matmul(c: &mut Criterion) {
    let f = |m: u64, k: u64, n: u64| 2 * m * k * n;
    pair(
        c,
        "einsum_ij_jk_256",
        "ij,jk->ik",
        &[256, 256],
        &[256, 256],
        f(256, 256, 256),
    );
    pair(
        c,
        "einsum_ij_jk_128x784x512",
        "ij,jk->ik",
        &[128, 784],
        &[784, 512],
        f(128, 784, 512),
    );
    pair(
        c,
        "einsum_bij_bjk_8x128",
        "bij,bjk->bik",
        &[8, 128, 128],
        &[8, 128, 128],
        8 * f(128, 128, 128),
    );
}

criterion_group!(benches, einsum_vs_matmul);
criterion_main!(benches);
