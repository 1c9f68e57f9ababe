//! The reference CNN: b64 28x28x1, conv3x3 1->32 VALID + bias, relu, max-pool
//! 2x2/2, conv3x3 32->64 VALID + bias, relu, flatten, dense 7744->10, softmax cross-entropy
//! with integer labels. NHWC activations, HWIO kernels (as `jax.lax.conv_general_dilated`
//! with `('NHWC', 'HWIO', 'NHWC')`). JAX 0.10.2 CPU on this machine kind: forward 1.7 ms,
//! forward + backward 34.9 ms; targets <= 1.5 / <= 10 ms. Also the single kernels the
//! backward pass runs (the two conv transposes and max-pool's select_and_scatter_add).
//!
//! `CNN_CASE="cnn mnist epoch"` (not run by criterion: an epoch takes seconds) trains this CNN
//! with Adam 1e-3 for `CNN_ITERS` (default 1) epochs of batch 64 (937 donated jitted steps) on
//! a synthetic MNIST-shaped set (60,000 28x28 u8 images, labels 0-9, fixed seed) through the
//! `Batches` pipeline (u8 -> f32 / 255 and one-hot in one pass, one batch ahead), after a
//! warm-up of 20 steps, and prints seconds per epoch; `jax_rows.py mnist` is JAX's twin.

#[path = "common/mod.rs"]
mod common;

use criterion::Criterion;
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
    let onehot = jnp::one_hot(labels, 10);
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

/// One benchmarked call.
type Case = Box<dyn Fn()>;

/// Named cases: the whole CNN (eager and jitted, forward and value_and_grad) and the
/// kernels its backward pass runs, one at a time, on the CNN's shapes.
fn cases() -> Vec<(&'static str, Case)> {
    let (params, x, labels) = setup();
    let (w1, _, w2, ..) = params.clone();
    let h1 = conv(&x, &w1); // [64, 26, 26, 32]
    let p1 = max_pool(&h1); // [64, 13, 13, 32]
    let g2 = conv(&p1, &w2); // [64, 11, 11, 64], stands in for a cotangent
    let f = {
        let (x, labels) = (x.clone(), labels.clone());
        move |p: &Params| loss(p, &x, &labels)
    };
    let vg = value_and_grad(f.clone());
    let jf = jit(f.clone());
    let jvg = jit(value_and_grad(f.clone()));
    let (_, pull2) = vjp(
        |(h, w): &(Tensor, Tensor)| conv(h, w),
        &(p1.clone(), w2.clone()),
    );
    let (_, pull1) = vjp(
        {
            let x = x.clone();
            move |w: &Tensor| conv(&x, w)
        },
        &w1,
    );
    let (pa, pb, pc, pd) = (params.clone(), params.clone(), params.clone(), params);
    let (x1, p1a, p1b, h1a, h1b) = (x, p1.clone(), p1, h1.clone(), h1);
    let (a, b) = (
        Tensor::from_vec(values(7744 * 288, 8, 1.0), &[7744, 288]),
        Tensor::from_vec(values(288 * 64, 9, 1.0), &[288, 64]),
    );
    vec![
        (
            "kernel matmul 7744x288x64 (conv2's product, for reference)",
            Box::new(move || drop(black_box(&a).matmul(&b))),
        ),
        (
            "cnn b64 eager forward",
            Box::new(move || drop(f(black_box(&pa)))),
        ),
        (
            "cnn b64 jit forward",
            Box::new(move || drop(jf(black_box(&pb)))),
        ),
        (
            "cnn b64 eager value_and_grad",
            Box::new(move || drop(vg(black_box(&pc)))),
        ),
        (
            "cnn b64 jit value_and_grad",
            Box::new(move || drop(jvg(black_box(&pd)))),
        ),
        (
            "kernel conv1 forward",
            Box::new(move || drop(conv(black_box(&x1), &w1))),
        ),
        (
            "kernel conv2 forward",
            Box::new(move || drop(conv(black_box(&p1a), &w2))),
        ),
        (
            "kernel conv2 vjp (input + weight grads)",
            Box::new(move || drop(pull2(black_box(&g2)))),
        ),
        (
            "kernel conv1 weight grad",
            Box::new(move || drop(pull1(black_box(&h1a)))),
        ),
        (
            "kernel max_pool forward",
            Box::new({
                let h1 = h1b.clone();
                move || drop(max_pool(black_box(&h1)))
            }),
        ),
        (
            "kernel max_pool backward",
            Box::new(move || {
                drop(lax::select_and_scatter_add(
                    black_box(&p1b),
                    &h1b,
                    SelectPrim::Ge,
                    &[1, 2, 2, 1],
                    &[1, 2, 2, 1],
                    &[(0, 0); 4],
                ))
            }),
        ),
    ]
}

fn bench_all(c: &mut Criterion) {
    for (name, run) in cases() {
        c.bench_function(name, |b| b.iter(&run));
    }
}

/// Minor page faults of this process so far (`/proc/self/stat` field 10; 0 off Linux).
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name's ")": state is field 3, minflt field 10.
    stat.rsplit(')')
        .next()
        .and_then(|rest| rest.split_whitespace().nth(10 - 3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// With `CNN_CASE=<name prefix>` (and `CNN_ITERS`, default 100), runs just those cases that
/// many times without criterion and prints the minimum and median time per call: on a busy
/// machine the minimum is the run that was not preempted. Also the way to `perf record` one
/// case. Also prints the minor page faults per call (large buffers coming back as fresh
/// pages). `FERRAX_BUFFER_POOL=0` turns ferrax's buffer pool off, `FERRAX_TUNE_MALLOC=1`
/// tunes glibc instead, to compare.
/// One epoch of the CNN on synthetic MNIST per `CNN_ITERS` (see the module docs).
fn mnist_epochs(epochs: usize) {
    use ferrax::data::Batches;
    use ferrax::optim::{self, GradientTransformation};
    let data = common::synthetic_mnist(&[28, 28, 1]);
    let batches = Batches::new(&data, 64)
        .drop_last(true)
        .shuffle(&ferrax::random::key(1))
        .scale_u8(1.0 / 255.0)
        .one_hot(10);
    let opt = optim::adam(1e-3);
    type Carry = (Params, optim::AdamState<Params>);
    let mut step = ferrax::train::jit_step(|((p, st), (x, y)): &(Carry, (Tensor, Tensor))| {
        let loss =
            |p: &Params| -(nn::log_softmax(&logits(p, x), -1) * y).sum() / x.shape()[0] as f64;
        let (l, g) = value_and_grad(loss)(p);
        let (u, st) = opt.update(&g, st, p);
        ((optim::apply_updates(p, &u), st), l)
    });
    let (params, ..) = setup();
    let state = opt.init(&params);
    let mut carry = Some((params, state));
    for b in batches.epoch(0).take(20) {
        carry = Some(step(carry.take().expect("carry"), b).0);
    }
    let mut times: Vec<f64> = (1..=epochs)
        .map(|e| {
            let t0 = std::time::Instant::now();
            for b in batches.epoch(e) {
                carry = Some(step(carry.take().expect("carry"), b).0);
            }
            t0.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "cnn mnist epoch b64 adam ({} steps): median {:.3} s over {epochs}",
        batches.num_batches(),
        times[epochs / 2]
    );
}

fn main() {
    if let Ok(prefix) = std::env::var("CNN_CASE") {
        if "cnn mnist epoch".starts_with(&prefix) && prefix.len() > "cnn ".len() {
            let epochs = std::env::var("CNN_ITERS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            mnist_epochs(epochs);
            return;
        }
        let iters: usize = std::env::var("CNN_ITERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100);
        for (name, run) in cases() {
            if name.starts_with(&prefix) {
                run(); // warm-up: jit traces, caches and allocator
                let faults0 = minor_faults();
                let mut times: Vec<f64> = (0..iters)
                    .map(|_| {
                        let start = std::time::Instant::now();
                        run();
                        start.elapsed().as_secs_f64() * 1e3
                    })
                    .collect();
                let faults = (minor_faults() - faults0) as f64 / iters as f64;
                times.sort_by(f64::total_cmp);
                println!(
                    "{name}: min {:.3} ms, median {:.3} ms over {iters}; {faults:.0} page faults \
                     per call; buffer pool holds {:.1} MiB",
                    times[0],
                    times[iters / 2],
                    ferrax::runtime::pooled_bytes() as f64 / (1 << 20) as f64
                );
            }
        }
        return;
    }
    let mut c = Criterion::default().sample_size(20).configure_from_args();
    bench_all(&mut c);
    c.final_summary();
}
