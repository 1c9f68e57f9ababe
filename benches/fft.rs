//! `ferrax::fft` on the rows of issue [7/11]: rfft and fft of 2^20 points (f32/complex64 and
//! f64/complex128), a 1024 x 1024 fft2 (complex64) and a batch of 1024 rows of 1024 points
//! (complex64, parallel over rows), eager and jitted. `benches/reference/fft_rows.py` times
//! numpy.fft and `jax.jit(jnp.fft...)` on the same rows; the target is <= 1.2x numpy.fft.
//!
//! Measured 2026-12-07 on the 2-core dev machine, shared (load 6-9), the reference script
//! right after criterion (medians, ms):
//!
//! | row | ferrax eager | ferrax jit | numpy.fft | JAX jit |
//! | --- | --- | --- | --- | --- |
//! | rfft 2^20 f32 | 6.0 | 5.3 | 53.0 | 18.0 |
//! | rfft 2^20 f64 | 14.8 | 16.1 | 19.4 | 29.2 |
//! | fft 2^20 c64 | 10.7 | 10.1 | 95.3 | 31.0 |
//! | fft 2^20 c128 | 27.3 | 27.9 | 66.1 | 44.0 |
//! | fft2 1024 x 1024 c64 | 25.3 | 27.1 | 52.8 | 17.9 |
//! | fft of 1024 rows of 1024, c64 | 5.0 | 5.4 | 14.9 | 3.8 |
//!
//! Every row is within the 1.2x-of-numpy target; JAX (ducc) is ahead on the fft2 (ferrax
//! transforms the non-minor axis through a blocked transpose) and on the batched rows.

use criterion::{criterion_group, criterion_main, Criterion};
use ferrax::fft;
use ferrax::prelude::*;
use std::hint::black_box;

#[path = "common/mod.rs"]
mod common;

/// A complex tensor of `shape` and `dtype` (c64 or c128) with deterministic parts.
fn complex(shape: &[usize], dtype: DType) -> Tensor {
    let part = |seed| common::tensor(shape, seed, 1.0).cast(dtype.real_dtype());
    ferrax::lax::complex(&part(1), &part(2))
}

fn row(c: &mut Criterion, name: &str, x: Tensor, f: fn(&Tensor) -> Tensor) {
    let mut g = c.benchmark_group(name);
    g.sample_size(20);
    g.warm_up_time(std::time::Duration::from_millis(500));
    g.measurement_time(std::time::Duration::from_secs(3));
    g.bench_function("eager", |b| b.iter(|| f(black_box(&x))));
    let jf = jit(f);
    g.bench_function("jit", |b| b.iter(|| jf(black_box(&x))));
    g.finish();
}

fn fft_rows(c: &mut Criterion) {
    let n = 1 << 20;
    let r32 = common::tensor(&[n], 3, 1.0);
    row(c, "rfft_2^20_f32", r32.clone(), fft::rfft);
    row(c, "rfft_2^20_f64", r32.cast(DType::F64), fft::rfft);
    row(c, "fft_2^20_c64", complex(&[n], DType::C64), fft::fft);
    row(c, "fft_2^20_c128", complex(&[n], DType::C128), fft::fft);
    row(
        c,
        "fft2_1024x1024_c64",
        complex(&[1024, 1024], DType::C64),
        fft::fft2,
    );
    row(
        c,
        "fft_1024_rows_of_1024_c64",
        complex(&[1024, 1024], DType::C64),
        fft::fft,
    );
}

criterion_group!(benches, fft_rows);
criterion_main!(benches);
