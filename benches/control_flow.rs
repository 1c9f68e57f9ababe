//! Control flow: a 10^5-step scalar `fori_loop` (`c * 0.999 + 0.001`) against a plain Rust loop
//! doing the same math, eagerly (the body called from a Rust loop) and as a `scan` equation
//! run by the interpreter (the traced jaxpr evaluated: the body jaxpr per iteration); and a
//! `scan` of a tanh RNN cell `h = tanh(h @ W + x_t @ U + b)` (hidden 128, 100 steps, batch 64)
//! forward and forward+backward (`value_and_grad`), eagerly and under `jit`. JAX issue #2491 is the motivation: scans
//! must not be far slower than hand-written loops.

use criterion::{criterion_group, criterion_main, Criterion};
use ferrax::lax;
use ferrax::prelude::*;
use std::hint::black_box;

/// Deterministic pseudo-random values in [-scale, scale).
fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (((s >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0) as f32 * scale
        })
        .collect()
}

const STEPS: i32 = 100_000;

fn bench_fori(c: &mut Criterion) {
    let init = Tensor::scalar(1.0f32);
    let body = |_i: &Tensor, c: &Tensor| c * 0.999 + 0.001;
    c.bench_function("fori_loop 1e5 scalar, eager", |b| {
        b.iter(|| lax::fori_loop(0, STEPS, body, black_box(&init)))
    });
    let j = make_jaxpr(|x: &Tensor| lax::fori_loop(0, STEPS, body, x))(&init);
    c.bench_function("fori_loop 1e5 scalar, scan equation (interpreted)", |b| {
        b.iter(|| ferrax::internals::interp::eval_closed(&j, &[black_box(init.clone())]))
    });
    let jitted = jit(move |x: &Tensor| lax::fori_loop(0, STEPS, body, x));
    c.bench_function("fori_loop 1e5 scalar, jit", |b| {
        b.iter(|| jitted(black_box(&init)))
    });
    c.bench_function("plain Rust loop 1e5 scalar", |b| {
        b.iter(|| {
            let mut c = black_box(1.0f32);
            for _ in 0..STEPS {
                c = c * 0.999 + 0.001;
            }
            c
        })
    });
}

type Params = (Tensor, Tensor, Tensor, Tensor); // W, U, b, h0

fn rnn(p: &Params, xs: &Tensor) -> Tensor {
    let (h, ys) = lax::scan(
        |h: &Tensor, x: &Tensor| {
            let h2 = (h.matmul(&p.0) + x.matmul(&p.1) + &p.2).tanh();
            (h2.clone(), h2)
        },
        &p.3,
        xs,
    );
    h.sum() + ys.mean()
}

fn bench_rnn(c: &mut Criterion) {
    let (hid, steps, batch) = (128, 100, 64);
    let p: Params = (
        Tensor::from_vec(values(hid * hid, 1, 0.09), &[hid, hid]),
        Tensor::from_vec(values(hid * hid, 2, 0.09), &[hid, hid]),
        Tensor::zeros(&[hid], DType::F32),
        Tensor::zeros(&[batch, hid], DType::F32),
    );
    let xs = Tensor::from_vec(values(steps * batch * hid, 3, 1.0), &[steps, batch, hid]);
    c.bench_function("scan tanh RNN h128 T100 b64 forward, eager", |b| {
        b.iter(|| rnn(black_box(&p), &xs))
    });
    let j = make_jaxpr(|(p, xs): &(Params, Tensor)| rnn(p, xs))(&(p.clone(), xs.clone()));
    let mut args = ferrax::tree::tree_leaves(&p);
    args.push(xs.clone());
    c.bench_function("scan tanh RNN h128 T100 b64 forward, scan equation", |b| {
        b.iter(|| ferrax::internals::interp::eval_closed(&j, black_box(&args)))
    });
    let fwd = jit(|(p, xs): &(Params, Tensor)| rnn(p, xs));
    let px = (p.clone(), xs.clone());
    c.bench_function("scan tanh RNN h128 T100 b64 forward, jit", |b| {
        b.iter(|| fwd(black_box(&px)))
    });
    let vg = value_and_grad(|p: &Params| rnn(p, &xs));
    c.bench_function("scan tanh RNN h128 T100 b64 value_and_grad", |b| {
        b.iter(|| vg(black_box(&p)))
    });
    let vg_jit = jit(|(p, xs): &(Params, Tensor)| {
        let xs = xs.clone();
        value_and_grad(move |p: &Params| rnn(p, &xs))(p)
    });
    c.bench_function("scan tanh RNN h128 T100 b64 value_and_grad, jit", |b| {
        b.iter(|| vg_jit(black_box(&px)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench_fori, bench_rnn
}
criterion_main!(benches);
