//! The elementwise and reduction kernels: per unary op on f32[10^6], the dispatched slice
//! kernel (`unary_f32`, AVX-512 or AVX2+FMA when present), the same kernel forced to its
//! AVX2+FMA copy (on AVX-512 machines) and to its portable copy, and a plain per-element std/libm loop (`x.tanh()`); then eager reductions
//! (`lax::reduce_sum/max/min`) of f32[128, 512] over axis 0 (a bias gradient's column sum)
//! and axis 1, and of f32[10^6] over everything. Throughput in elements/s (criterion prints
//! GElem/s). Numbers are in the module notes of `src/kernels/unary_simd.rs` and
//! `src/kernels/reduce.rs`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrax::internals::kernels::elementwise::{unary_f32, unary_f32_at};
use ferrax::internals::kernels::simd::SimdLevel;
use ferrax::internals::prims::UnaryOp;
use ferrax::{lax, Tensor};
use std::hint::black_box;

const N: usize = 1_000_000;

fn inputs(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 7919) % 20_000) as f32 / 2_000.0 - 5.0)
        .collect()
}

/// A plain loop applying `f` per element (monomorphized, so simple ops vectorize and libm
/// functions are direct calls).
fn bench_loop(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    src: &[f32],
    out: &mut [f32],
    f: impl Fn(f32) -> f32,
) {
    g.bench_function(format!("{name}/libm_loop"), |b| {
        b.iter(|| {
            for (d, &s) in out.iter_mut().zip(black_box(src)) {
                *d = f(s);
            }
        })
    });
}

fn unary(c: &mut Criterion) {
    let x = inputs(N);
    let xpos: Vec<f32> = x.iter().map(|v| v.abs()).collect();
    let mut out = vec![0f32; N];
    let mut g = c.benchmark_group("unary_f32_1e6");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20);
    g.warm_up_time(std::time::Duration::from_millis(500));
    g.measurement_time(std::time::Duration::from_secs(2));
    let ops = [
        UnaryOp::Exp,
        UnaryOp::Expm1,
        UnaryOp::Log,
        UnaryOp::Log1p,
        UnaryOp::Tanh,
        UnaryOp::Logistic,
        UnaryOp::Erf,
        UnaryOp::Sqrt,
        UnaryOp::Neg,
    ];
    for op in ops {
        let src = if matches!(op, UnaryOp::Log | UnaryOp::Log1p | UnaryOp::Sqrt) {
            &xpos
        } else {
            &x
        };
        let name = format!("{op:?}").to_lowercase();
        g.bench_function(format!("{name}/dispatched"), |b| {
            b.iter(|| unary_f32(op, black_box(src), &mut out))
        });
        if SimdLevel::detect() == SimdLevel::Avx512 {
            g.bench_function(format!("{name}/avx2_fma"), |b| {
                b.iter(|| unary_f32_at(SimdLevel::Avx2Fma, op, black_box(src), &mut out))
            });
        }
        g.bench_function(format!("{name}/portable"), |b| {
            b.iter(|| unary_f32_at(SimdLevel::Portable, op, black_box(src), &mut out))
        });
        let o = &mut out;
        match op {
            UnaryOp::Exp => bench_loop(&mut g, &name, src, o, f32::exp),
            UnaryOp::Expm1 => bench_loop(&mut g, &name, src, o, f32::exp_m1),
            UnaryOp::Log => bench_loop(&mut g, &name, src, o, f32::ln),
            UnaryOp::Log1p => bench_loop(&mut g, &name, src, o, f32::ln_1p),
            UnaryOp::Tanh => bench_loop(&mut g, &name, src, o, f32::tanh),
            UnaryOp::Logistic => bench_loop(&mut g, &name, src, o, |v| 1.0 / (1.0 + (-v).exp())),
            UnaryOp::Erf => bench_loop(&mut g, &name, src, o, libm::erff),
            UnaryOp::Sqrt => bench_loop(&mut g, &name, src, o, f32::sqrt),
            _ => bench_loop(&mut g, &name, src, o, |v| -v),
        }
    }
    g.finish();
}

fn reductions(c: &mut Criterion) {
    let mut g = c.benchmark_group("reduce_f32");
    g.sample_size(30);
    g.warm_up_time(std::time::Duration::from_millis(500));
    g.measurement_time(std::time::Duration::from_secs(2));
    let m = Tensor::from_vec(inputs(128 * 512), &[128, 512]);
    g.throughput(Throughput::Elements(128 * 512));
    for (name, axes) in [("128x512_axis0", [0usize]), ("128x512_axis1", [1])] {
        g.bench_function(format!("sum_{name}"), |b| {
            b.iter(|| lax::reduce_sum(black_box(&m), &axes))
        });
        g.bench_function(format!("max_{name}"), |b| {
            b.iter(|| lax::reduce_max(black_box(&m), &axes))
        });
    }
    let v = Tensor::from_vec(inputs(N), &[N]);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("sum_1e6_all", |b| {
        b.iter(|| lax::reduce_sum(black_box(&v), &[0]))
    });
    g.bench_function("max_1e6_all", |b| {
        b.iter(|| lax::reduce_max(black_box(&v), &[0]))
    });
    g.bench_function("min_1e6_all", |b| {
        b.iter(|| lax::reduce_min(black_box(&v), &[0]))
    });
    g.finish();
}

criterion_group!(benches, unary, reductions);
criterion_main!(benches);
