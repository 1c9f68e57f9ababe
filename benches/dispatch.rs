//! Eager dispatch cost: one `add` on f32[4] and on f32[] scalars, per op.
//! References on this machine kind (benches/reference/): JAX 5.3–5.9 µs, numpy 0.33 µs,
//! candle 0.14 µs, burn 0.23 µs per eager op. Target: ≤ 0.15 µs.

use criterion::{criterion_group, criterion_main, Criterion};
use ferrax::prelude::*;
use std::hint::black_box;

fn eager_add(c: &mut Criterion) {
    let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]);
    let b = Tensor::from_vec(vec![5.0f32, 6.0, 7.0, 8.0], &[4]);
    c.bench_function("eager add f32[4]", |bch| {
        bch.iter(|| black_box(&a) + black_box(&b))
    });
    let s = Tensor::scalar(1.5f32);
    let t = Tensor::scalar(2.5f32);
    c.bench_function("eager add f32[]", |bch| {
        bch.iter(|| black_box(&s) + black_box(&t))
    });
    c.bench_function("eager lax::add f32[4]", |bch| {
        bch.iter(|| ferrax::lax::add(black_box(&a), black_box(&b)))
    });
    // A Rust scalar operand (weakly typed: it takes the tensor's dtype), as `a + 2.0` in numpy.
    c.bench_function("eager add f32[4] + 2.0", |bch| {
        bch.iter(|| black_box(&a) + black_box(2.0))
    });
}

criterion_group!(benches, eager_add);
criterion_main!(benches);
