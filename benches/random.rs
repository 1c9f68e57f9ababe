//! `ferrax::random`: 10^6 f32 uniforms and normals, eager (every op a kernel pass), plus the
//! raw threefry bits and the `KeyRng` bridge. Throughput is reported in elements/s
//! (criterion prints it as Gelem/s).
//!
//! JAX 0.10.2 on this machine (eager `jax.random.uniform(key, (10**6,))` with
//! `block_until_ready`, after warm-up, median of 50): uniform 5.16 ms (0.194 GElem/s),
//! normal 8.31 ms (0.120 GElem/s).
//!
//! ferrax (eager, concrete key: the fused paths of `random/fused.rs`, 2 threads), measured
//! alongside: bits 0.61 ms (1.63 GElem/s), uniform 0.67 ms (1.49 GElem/s, 7.7x JAX), normal
//! 10.2 ms (0.098 GElem/s, 0.8x JAX: 60% of it is glibc's scalar `log1pf`, which the fused
//! path must call to stay bit-identical with `lax::log1p` in the op composition).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrax::random;
use std::hint::black_box;

const N: usize = 1_000_000;

fn bench(c: &mut Criterion) {
    let key = random::key(0);
    let mut g = c.benchmark_group("random");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(30);
    g.bench_function("bits_u32_1e6", |b| {
        b.iter(|| black_box(random::bits(black_box(&key), &[N])))
    });
    g.bench_function("uniform_f32_1e6", |b| {
        b.iter(|| black_box(random::uniform(black_box(&key), &[N])))
    });
    g.bench_function("normal_f32_1e6", |b| {
        b.iter(|| black_box(random::normal(black_box(&key), &[N])))
    });
    g.bench_function("key_rng_u32_1e6", |b| {
        use rand_core::Rng;
        b.iter(|| {
            let mut r = random::KeyRng::new(&key);
            let mut acc = 0u32;
            for _ in 0..N {
                acc ^= r.next_u32();
            }
            black_box(acc)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
