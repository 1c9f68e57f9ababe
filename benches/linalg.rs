//! `ferrax::linalg` on the rows of issue [7/11]: cholesky, solve, eigh, svd and qr at n = 64,
//! 256 and 1024 in f32 and f64 (eager; jitted too at n = 64, where dispatch is a visible part
//! of the time: at larger n a jitted call runs the same one kernel), a batched solve of 1024
//! systems of 8x8 through `vmap` (eager and jitted), and the jitted `value_and_grad` of a
//! Gaussian-process marginal likelihood at n = 512 (examples/gaussian_process/gp.rs).
//! `benches/reference/linalg_rows.py` times JAX 0.10.2 (jitted) and numpy/scipy on the same
//! rows.
//!
//! Run a subset with a filter: `cargo bench --bench linalg -- 'cholesky/f64'`.
//!
//! Measured 2026-12-07 13:08-13:14 UTC on the 2-core dev machine while four other engineers
//! were compiling (load average 7-11, so every number is inflated and noisy; one run of each
//! side, not yet the median of repeated quiet runs). ferrax: criterion medians; JAX 0.10.2
//! jitted and numpy 2.4.6 from linalg_rows.py right after, with `OPENBLAS_NUM_THREADS=1`
//! (single-threaded LAPACK, as faer runs here with `Par::Seq`); last column: the better ferrax
//! column over JAX's.
//!
//! | row | ferrax eager | ferrax jit | JAX jit | numpy | ferrax / JAX |
//! | --- | --- | --- | --- | --- | --- |
//! | cholesky/f32/64 | 230 µs | 129 µs | 127 µs | 52 µs | 1.01x |
//! | cholesky/f32/256 | 2.7 ms | - | 866 µs | 1.4 ms | 3.16x |
//! | cholesky/f32/1024 | 151.1 ms | - | 47.0 ms | 79.2 ms | 3.22x |
//! | cholesky/f64/64 | 195 µs | 193 µs | 33 µs | 52 µs | 5.79x |
//! | cholesky/f64/256 | 3.1 ms | - | 1.1 ms | 1.6 ms | 2.76x |
//! | cholesky/f64/1024 | 77.6 ms | - | 61.7 ms | 60.0 ms | 1.26x |
//! | solve/f32/64 | 244 µs | 217 µs | 476 µs | 82 µs | 0.46x |
//! | solve/f32/256 | 4.7 ms | - | 925 µs | 1.8 ms | 5.13x |
//! | solve/f32/1024 | 150.2 ms | - | 60.0 ms | 79.5 ms | 2.50x |
//! | solve/f64/64 | 217 µs | 218 µs | 67 µs | 75 µs | 3.23x |
//! | solve/f64/256 | 5.9 ms | - | 1.9 ms | 1.9 ms | 3.01x |
//! | solve/f64/1024 | 126.7 ms | - | 65.8 ms | 63.0 ms | 1.93x |
//! | eigh/f32/64 | 604 µs | 580 µs | 673 µs | 759 µs | 0.86x |
//! | eigh/f32/256 | 13.7 ms | - | 4.9 ms | 14.6 ms | 2.80x |
//! | eigh/f32/1024 | 433.0 ms | - | 372.1 ms | 576.3 ms | 1.16x |
//! | eigh/f64/64 | 561 µs | 592 µs | 955 µs | 823 µs | 0.59x |
//! | eigh/f64/256 | 13.2 ms | - | 15.5 ms | 16.6 ms | 0.85x |
//! | eigh/f64/1024 | 422.5 ms | - | 647.4 ms | 539.5 ms | 0.65x |
//! | svd/f32/64 | 994 µs | 1.3 ms | 936 µs | 1.3 ms | 1.06x |
//! | svd/f32/256 | 26.8 ms | - | 15.8 ms | 26.6 ms | 1.69x |
//! | svd/f32/1024 | 1239.4 ms | - | 779.0 ms | 1044.4 ms | 1.59x |
//! | svd/f64/64 | 1.3 ms | 1.3 ms | 970 µs | 946 µs | 1.30x |
//! | svd/f64/256 | 31.2 ms | - | 22.7 ms | 23.8 ms | 1.38x |
//! | svd/f64/1024 | 1218.6 ms | - | 908.0 ms | 1029.0 ms | 1.34x |
//! | qr/f32/64 | 329 µs | 298 µs | 292 µs | 214 µs | 1.02x |
//! | qr/f32/256 | 6.1 ms | - | 1.6 ms | 6.8 ms | 3.85x |
//! | qr/f32/1024 | 253.8 ms | - | 121.9 ms | 272.8 ms | 2.08x |
//! | qr/f64/64 | 270 µs | 354 µs | 294 µs | 221 µs | 0.92x |
//! | qr/f64/256 | 6.3 ms | - | 1.7 ms | 6.7 ms | 3.71x |
//! | qr/f64/1024 | 253.8 ms | - | 128.7 ms | 274.4 ms | 1.97x |
//! | batched_solve_1024x8x8/f32 | 1.6 ms | 3.4 ms | 1.4 ms | 1.0 ms | 1.14x |
//! | batched_solve_1024x8x8/f64 | 4.0 ms | 4.1 ms | 1.7 ms | 931 µs | 2.33x |
//! | gp_nll_value_and_grad_512/f64 | - | 102.8 ms | 44.9 ms | - | 2.29x |
//!
//! After the row-major `to_f64` copy (13:25-13:29 UTC, load average 6-8, two alternating runs
//! of each side, f64): cholesky 64 jit 90/106 µs vs JAX 141/77; cholesky 256 2.05/2.39 ms vs
//! 0.61/0.78; solve 64 jit 126/137 µs vs 277/123; solve 256 3.70/3.50 ms vs 1.42/0.91;
//! batched 8x8 solve (f64, best of vmap and jit) 1.96/1.50 ms vs 1.47/1.12; GP value_and_grad
//! 99/54 ms vs 24.7/28.5.
//!
//! After native f32 kernels, faer's `Par::rayon` from n = 192, the eager one-pass
//! symmetrize/mask and the gathered LU permutation (16:30-16:32 UTC, load average 10-12 on
//! the 2 cores from four other builds: one run, criterion medians, every number inflated and
//! noisy; JAX at its default threading could not be measured meaningfully at that load, its
//! multi-threaded OpenBLAS took 660 ms for a 256 cholesky): cholesky f32 64/256/1024
//! 147 µs / 1.72 ms / 52.2 ms, f64 213 µs / 1.92 ms / 43.7 ms; solve f32 207 µs / 2.60 ms /
//! 111 ms, f64 198 µs / 4.52 ms / 171 ms; eigh f32 1.53 / 22.3 / 516 ms, f64 1.59 / 17.0 /
//! 1031 ms; svd f32 2.72 / 18.8 / 839 ms, f64 3.53 / 65.8 / 1499 ms; qr f32 192 µs / 12.7 /
//! 131 ms, f64 242 µs / 13.0 / 214 ms; batched 1024 x 8x8 solve f32 vmap 1.87 ms, jit 1.54
//! ms, f64 vmap 0.88 ms, jit 1.88 ms; GP value_and_grad (jit) 90 ms. To be re-measured on a
//! quiet machine against `linalg_rows.py` at JAX's default threading.
//!
//! Same build, 16:46-16:48 UTC, load average 5.4-6.3 (one run each side, back to back; JAX
//! at its default threading, whose multi-threaded OpenBLAS is erratic at this load, so the
//! JAX column is only indicative), f64:
//!
//! | row | ferrax | JAX jit | numpy |
//! | --- | --- | --- | --- |
//! | cholesky 64 eager / jit | 47 / 73 µs | 56 µs | 31 µs |
//! | cholesky 256 | 0.87 ms | 7.5 ms | 7.4 ms |
//! | cholesky 1024 | 28.7 ms | 126 ms | 90 ms |
//! | solve 64 eager / jit | 49 / 51 µs | 113 µs | 45 µs |
//! | solve 256 | 2.01 ms | 0.99 ms | 16.1 ms |
//! | solve 1024 | 64.0 ms | 46.2 ms | 91.8 ms |
//! | batched solve 1024 x 8x8 f32 vmap / jit | 0.81 / 1.08 ms | 0.76 ms | 0.80 ms |
//! | batched solve 1024 x 8x8 f64 vmap / jit | 1.06 / 0.97 ms | 1.06 ms | 0.59 ms |
//! | GP value_and_grad 512 (jit) | 60.2 ms | 217 ms | - |
//! | qr 256 | 9.2 ms | 39.2 ms | 75.8 ms |

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
