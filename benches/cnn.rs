//! The CNN of issue 9 / DESIGN.md: b64 28x28x1, conv3x3 1->32 VALID + bias, relu, max-pool
//! 2x2/2, conv3x3 32->64 VALID + bias, relu, flatten, dense 7744->10, softmax cross-entropy
//! with integer labels. NHWC activations, HWIO kernels (as `jax.lax.conv_general_dilated`
//! with `('NHWC', 'HWIO', 'NHWC')`). JAX 0.10.2 CPU on this machine kind: forward 1.7 ms,
//! forward + backward 34.9 ms; targets <= 1.5 / <= 10 ms. Also the single kernels the
//! backward pass runs (the two conv transposes and max-pool's select_and_scatter_add).

use criterion::{criterion_group, criterion_main, Criterion};
use ferrax::core::Shape;
use ferrax::lax::{self, ConvDimensionNumbers, ConvParams, SelectPrim, WindowKind};
use ferrax::prelude::*;
use ferrax::{nn, numpy as jnp};
use std::hint::black_box;

/// Deterministic pseudo-random values in [-scale, scale).
fn values(n: usize, seed: u64, scale: f64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (((s >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0) as f32 * scale as f32
        })
        .collect()
}

/// (conv1 kernel, conv1 bias, conv2 kernel, conv2 bias, dense weight, dense bias).
type Params = (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor);

/// A stride-1 VALID 2-d convolution, NHWC x HWIO -> NHWC.
fn conv(x: &Tensor, w: &Tensor) -> Tensor {
    let nhwc = Shape::from_slice(&[0, 3, 1, 2]);
    let p = ConvParams {
        window_strides: vec![1, 1],
        padding: vec![(0, 0), (0, 0)],
        lhs_dilation: vec![1, 1],
        rhs_dilation: vec![1, 1],
        dimension_numbers: ConvDimensionNumbers {
            lhs_spec: nhwc.clone(),
            rhs_spec: Shape::from_slice(&[3, 2, 0, 1]),
            out_spec: nhwc,
        },
        feature_group_count: 1,
        batch_group_count: 1,
    };
    lax::conv_general_dilated(x, w, &p)
}

/// 2x2 max-pool with stride 2 over the spatial dims of an NHWC tensor.
fn max_pool(x: &Tensor) -> Tensor {
    lax::reduce_window(
        x,
        WindowKind::Max,
        &[1, 2, 2, 1],
        &[1, 2, 2, 1],
        &[(0, 0); 4],
        &[1; 4],
        &[1; 4],
    )
}

fn logits(p: &Params, x: &Tensor) -> Tensor {
    let (w1, b1, w2, b2, w3, b3) = p;
    let h = nn::relu(&(conv(x, w1) + b1));
    let h = max_pool(&h);
    let h = nn::relu(&(conv(&h, w2) + b2));
    h.reshape(&[-1, 11 * 11 * 64]).matmul(w3) + b3
}

/// Mean softmax cross-entropy against integer labels.
fn loss(p: &Params, x: &Tensor, labels: &Tensor) -> Tensor {
    let logp = nn::log_softmax(&logits(p, x), -1);
    // One-hot by comparing with a constant class row (`jnp::one_hot` emits an `iota`, which
    // `passes::simplify` currently panics on under `jit`).
    let classes = Tensor::from_vec((0..10).collect::<Vec<i32>>(), &[1, 10]);
    let onehot = jnp::equal(labels.reshape(&[-1, 1]), &classes).cast(DType::F32);
    -(logp * onehot).sum() / x.shape()[0] as f64
}

fn setup() -> (Params, Tensor, Tensor) {
    let params: Params = (
        Tensor::from_vec(values(3 * 3 * 32, 1, 0.33), &[3, 3, 1, 32]),
        Tensor::from_vec(values(32, 2, 0.1), &[32]),
        Tensor::from_vec(values(3 * 3 * 32 * 64, 3, 0.06), &[3, 3, 32, 64]),
        Tensor::from_vec(values(64, 4, 0.1), &[64]),
        Tensor::from_vec(values(7744 * 10, 5, 0.011), &[7744, 10]),
        Tensor::from_vec(values(10, 6, 0.1), &[10]),
    );
    let x = Tensor::from_vec(values(64 * 28 * 28, 7, 1.0), &[64, 28, 28, 1]);
    let labels = Tensor::from_vec((0..64).map(|i| (i * 7) % 10).collect::<Vec<i32>>(), &[64]);
    (params, x, labels)
}

fn bench_cnn(c: &mut Criterion) {
    let (params, x, labels) = setup();
    let f = |p: &Params| loss(p, &x, &labels);
    let vg = value_and_grad(f);
    let jf = jit(f);
    let jvg = jit(value_and_grad(f));
    c.bench_function("cnn b64 eager forward", |b| {
        b.iter(|| f(black_box(&params)))
    });
    c.bench_function("cnn b64 jit forward", |b| b.iter(|| jf(black_box(&params))));
    c.bench_function("cnn b64 eager value_and_grad", |b| {
        b.iter(|| vg(black_box(&params)))
    });
    c.bench_function("cnn b64 jit value_and_grad", |b| {
        b.iter(|| jvg(black_box(&params)))
    });
}

/// The backward pass's kernels one at a time, on the CNN's shapes.
fn bench_kernels(c: &mut Criterion) {
    let (params, x, _) = setup();
    let (w1, _, w2, ..) = &params;
    let h1 = conv(&x, w1); // [64, 26, 26, 32]
    let p1 = max_pool(&h1); // [64, 13, 13, 32]
    let g2 = conv(&p1, w2); // [64, 11, 11, 64], stands in for a cotangent
    c.bench_function("kernel conv1 forward", |b| {
        b.iter(|| conv(black_box(&x), w1))
    });
    c.bench_function("kernel conv2 forward", |b| {
        b.iter(|| conv(black_box(&p1), w2))
    });
    let (_, pull2) = vjp(
        |(h, w): &(Tensor, Tensor)| conv(h, w),
        &(p1.clone(), w2.clone()),
    );
    c.bench_function("kernel conv2 vjp (input + weight grads)", |b| {
        b.iter(|| pull2(black_box(&g2)))
    });
    let (_, pull1) = vjp(|w: &Tensor| conv(&x, w), w1);
    c.bench_function("kernel conv1 weight grad", |b| {
        b.iter(|| pull1(black_box(&h1)))
    });
    c.bench_function("kernel max_pool forward", |b| {
        b.iter(|| max_pool(black_box(&h1)))
    });
    c.bench_function("kernel max_pool backward", |b| {
        b.iter(|| {
            lax::select_and_scatter_add(
                black_box(&p1),
                &h1,
                SelectPrim::Ge,
                &[1, 2, 2, 1],
                &[1, 2, 2, 1],
                &[(0, 0); 4],
            )
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench_cnn, bench_kernels
}
criterion_main!(benches);
