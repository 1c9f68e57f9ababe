//! The jit rows of issue [7/8], beside JAX 0.10.2 on this machine kind (benches/reference/jax_rows.py):
//! jitted MLP 64-128(tanh)-10 b128 value_and_grad (0.097 ms), MLP 784-512-512-10 (relu)
//! (1.87 ms), jit(vmap(grad)) per-example grads of the small MLP (0.74 ms), matmul f32 512 /
//! 1024 (266 / 323 GFLOP/s), trace + optimize of the small MLP's loss+grad (XLA compile
//! 150 ms), and the jitted call overhead of an f32[4] add (4.1 µs), also with two threads
//! calling one shared jitted function.

mod common;

use common::{batch, mlp_loss, mlp_params, relu, tanh, tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrax::prelude::*;
use ferrax::transforms::{JitOptions, Jitted};
use std::hint::black_box;

type Params = Vec<(Tensor, Tensor)>;
type Args = (Params, Tensor, Tensor);

/// The small MLP's loss and its gradient with respect to the parameters.
fn small_step((p, x, y): &Args) -> (Tensor, Params) {
    value_and_grad(|p: &Params| mlp_loss(p, x, y, tanh))(p)
}

fn bench_mlps(c: &mut Criterion) {
    let (x, y) = batch(128, 64, 10);
    let small: Args = (mlp_params(&[64, 128, 10]), x, y);
    let vg = jit(small_step);
    c.bench_function("jit value_and_grad mlp 64-128-10 b128", |b| {
        b.iter(|| vg(black_box(&small)))
    });

    let (x, y) = batch(128, 784, 10);
    let large: Args = (mlp_params(&[784, 512, 512, 10]), x, y);
    let vg_large = jit(|(p, x, y): &Args| value_and_grad(|p: &Params| mlp_loss(p, x, y, relu))(p));
    c.bench_function("jit value_and_grad mlp 784-512-512-10 b128", |b| {
        b.iter(|| vg_large(black_box(&large)))
    });

    // Per-example gradients: vmap over the examples of grad of a one-example loss.
    let per_example = jit(|(p, x, y): &Args| {
        vmap(|(x, y): &(Tensor, Tensor)| {
            grad(|p: &Params| mlp_loss(p, &x.reshape(&[1, 64]), &y.reshape(&[1, 10]), tanh))(p)
        })(&(x.clone(), y.clone()))
    });
    c.bench_function("jit(vmap(grad)) per-example mlp 64-128-10 x128", |b| {
        b.iter(|| per_example(black_box(&small)))
    });

    c.bench_function("trace+optimize jit value_and_grad mlp 64-128-10", |b| {
        b.iter(|| {
            let j = Jitted::new(small_step, JitOptions::default());
            j.jaxpr(black_box(&small))
        })
    });
}

fn bench_overhead(c: &mut Criterion) {
    let a = tensor(&[4], 1, 1.0);
    let b4 = tensor(&[4], 2, 1.0);
    let add = jit(|(a, b): &(Tensor, Tensor)| a + b);
    let args = (a, b4);
    c.bench_function("jit call f32[4] add", |b| b.iter(|| add(black_box(&args))));

    // The same call from two threads at once through one shared jitted function (its cache
    // sits behind a lock): wall time per call while both threads call.
    let add = &add;
    let args = &args;
    c.bench_function("jit call f32[4] add, 2 threads sharing it", |b| {
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            std::thread::scope(|s| {
                for _ in 0..2 {
                    s.spawn(move || {
                        for _ in 0..iters {
                            black_box(add(black_box(args)));
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
}

fn bench_matmul(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul f32");
    for n in [512usize, 1024] {
        let a = tensor(&[n, n], 1, 1.0);
        let bm = tensor(&[n, n], 2, 1.0);
        g.throughput(Throughput::Elements(2 * (n * n * n) as u64));
        g.bench_function(format!("{n}"), |b| b.iter(|| black_box(&a).matmul(&bm)));
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench_overhead, bench_mlps, bench_matmul
}
criterion_main!(benches);
