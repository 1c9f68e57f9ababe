//! `ferrax::linalg` on the rows of issue [7/11]: cholesky, solve, eigh, svd and qr at n = 64,
//! 256 and 1024 in f32 and f64 (eager; jitted too at n = 64, where dispatch is a visible part
//! of the time: at larger n a jitted call runs the same one kernel), a batched solve of 1024
//! systems of 8x8 through `vmap` (eager and jitted), and the jitted `value_and_grad` of a
//! Gaussian-process marginal likelihood at n = 512 (examples/gaussian_process/gp.rs).
//! `benches/reference/linalg_rows.py` times JAX 0.10.2 (jitted) and numpy/scipy on the same
//! rows.
//!
//! Run a subset with a filter: `cargo bench --bench linalg -- 'cholesky/f64'`.

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use ferrax::linalg;
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use std::hint::black_box;
use std::time::Duration;

#[path = "common/mod.rs"]
mod common;
#[path = "../examples/gaussian_process/gp.rs"]
mod gp;

/// A well-conditioned symmetric positive definite `n x n` matrix: `m mᵀ / n + I`.
fn spd(n: usize, dtype: DType) -> Tensor {
    let m = common::tensor(&[n, n], 7, 1.0).cast(DType::F64);
    let a = jnp::matmul(&m, &jnp::matrix_transpose(&m)) / n as f64
        + jnp::astype(&jnp::eye(n), DType::F64);
    a.cast(dtype)
}

/// A general `n x n` matrix with a strong diagonal (so `solve` is well conditioned).
fn general(n: usize, dtype: DType) -> Tensor {
    let m = common::tensor(&[n, n], 11, 1.0).cast(DType::F64);
    (m + jnp::astype(&jnp::eye(n), DType::F64) * (n as f64).sqrt()).cast(dtype)
}

type Op = fn(&Tensor, &Tensor) -> Tensor;

fn ops() -> [(&'static str, Op); 5] {
    [
        ("cholesky", |a, _| linalg::cholesky(a)),
        ("solve", linalg::solve),
        ("eigh", |a, _| linalg::eigh(a).1),
        ("svd", |a, _| linalg::svd(a).1),
        ("qr", |a, _| linalg::qr(a).1),
    ]
}

fn configure(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, n: usize) {
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(if n >= 1024 { 200 } else { 300 }));
    g.measurement_time(Duration::from_secs(if n >= 1024 { 3 } else { 1 }));
}

fn decompositions(c: &mut Criterion) {
    for (name, op) in ops() {
        let mut g = c.benchmark_group(name);
        for dtype in [DType::F32, DType::F64] {
            for n in [64, 256, 1024] {
                configure(&mut g, n);
                let a = if name == "solve" {
                    general(n, dtype)
                } else {
                    spd(n, dtype)
                };
                let b = common::tensor(&[n, 1], 3, 1.0).cast(dtype);
                g.bench_function(format!("{dtype}/{n}/eager"), |bch| {
                    bch.iter(|| op(black_box(&a), black_box(&b)))
                });
                if n == 64 {
                    let f = jit(move |(a, b): &(Tensor, Tensor)| op(a, b));
                    let args = (a.clone(), b.clone());
                    g.bench_function(format!("{dtype}/{n}/jit"), |bch| {
                        bch.iter(|| f(black_box(&args)))
                    });
                }
            }
        }
        g.finish();
    }
}

fn batched_solve(c: &mut Criterion) {
    let mut g = c.benchmark_group("batched_solve_1024x8x8");
    configure(&mut g, 8);
    for dtype in [DType::F32, DType::F64] {
        let eye = jnp::astype(&jnp::eye(8), DType::F64) * 4.0;
        let a = (common::tensor(&[1024, 8, 8], 5, 1.0).cast(DType::F64) + eye).cast(dtype);
        let b = common::tensor(&[1024, 8, 1], 6, 1.0).cast(dtype);
        let args = (a, b);
        let eager = vmap(|(a, b): &(Tensor, Tensor)| linalg::solve(a, b));
        g.bench_function(format!("{dtype}/vmap"), |bch| {
            bch.iter(|| eager(black_box(&args)))
        });
        let jitted = jit(vmap(|(a, b): &(Tensor, Tensor)| linalg::solve(a, b)));
        g.bench_function(format!("{dtype}/jit_vmap"), |bch| {
            bch.iter(|| jitted(black_box(&args)))
        });
    }
    g.finish();
}

fn gp_value_and_grad(c: &mut Criterion) {
    let mut g = c.benchmark_group("gp_nll_value_and_grad_512");
    configure(&mut g, 512);
    let (x, y) = gp::data(512);
    let h = gp::hyper(0.0, 0.0, -2.0);
    let f = jit(move |h: &gp::Hyper| value_and_grad(|h: &gp::Hyper| gp::nll(h, &x, &y))(h));
    g.bench_function("f64/jit", |bch| bch.iter(|| f(black_box(&h))));
    g.finish();
}

criterion_group!(benches, decompositions, batched_solve, gp_value_and_grad);
criterion_main!(benches);
