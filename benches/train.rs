//! Training-step rows of issue [8/8], beside JAX 0.10.2 + optax on this machine kind
//! (the reference rows): a jitted Adam step (loss, gradient, update) of the MLP 64-128(tanh)-10 at
//! batch 128 (JAX 0.106 ms) and of the MLP 784-512-512-10 (relu) at batch 128 (2.29 ms), both
//! with softmax cross-entropy, and one epoch of the digits example (1500 examples, batch 32,
//! shuffled; JAX + optax ~0.6 s for 30 epochs, ~20 ms per epoch).
//!
//! Issue [8/11]'s rows: value_and_grad of the small MLP with respect to the parameters and the
//! inputs, and one epoch of the MNIST MLP (784-512-512-10 relu, Adam 1e-3, batch 128, 468
//! jitted steps) on a synthetic MNIST-shaped set (60,000 x 784 u8 images, labels 0-9, fixed
//! seed): printed as the median seconds per epoch over `MNIST_EPOCHS` (default 2) epochs after
//! a warm-up epoch, for the batch pipeline (u8 gathered and scaled to f32 with the one-hot
//! labels in one pass, built on a background thread one batch ahead, donated step inputs)
//! and for the old way (f32 images, a gather of the whole epoch, sliced batches, no
//! prefetch). `benches/reference/jax_rows.py mnist` is JAX's twin.
//!
//! After the timings, a counting global allocator reports the peak bytes allocated during one
//! step beside the bytes of parameters + optimizer state (the target: those plus the
//! residuals and one working set), and the minor page faults and CPU time (all threads) per
//! step over about a second of steps: the cost of large buffers going back to the OS
//! between steps. `FERRAX_TUNE_MALLOC=1` runs
//! everything with `ferrax::runtime::tune_allocator` (glibc keeps freed memory) to compare,
//! `FERRAX_BUFFER_POOL=0` without ferrax's buffer pool (which keeps ferrax's own freed
//! buffers; what it holds idle is reported beside the peak).

#[path = "common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrax::data::{self, Batches, DigitsLayout};
use ferrax::nn::{Ctx, Module};
use ferrax::optim::{self, GradientTransformation};
use ferrax::prelude::*;
use ferrax::transforms::{JitOptions, Jitted};
use ferrax::{losses, nn, random};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Counts live and peak heap bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Dense layers with `act` between them (none after the last).
#[derive(PyTree, Clone)]
struct Mlp {
    layers: Vec<nn::Linear>,
    #[pytree(static)]
    tanh: bool,
}

impl Mlp {
    fn new(key: &Tensor, widths: &[usize], tanh: bool) -> Mlp {
        let keys = random::split(key, widths.len() - 1);
        let layers = widths
            .windows(2)
            .enumerate()
            .map(|(i, w)| nn::Linear::new(&random::key_at(&keys, i), w[0], w[1]))
            .collect();
        Mlp { layers, tanh }
    }
}

impl Module for Mlp {
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let mut h = x.clone();
        for (i, l) in self.layers.iter().enumerate() {
            h = l.forward(&h, cx);
            if i + 1 < self.layers.len() {
                h = if self.tanh { h.tanh() } else { h.relu() };
            }
        }
        h
    }
}

type Step = (Mlp, optim::AdamState<Mlp>, (Tensor, Tensor));

/// One Adam step on softmax cross-entropy with integer labels: `(params, state, loss)`.
fn adam_step(opt: &optim::Adam) -> impl Fn(&Step) -> (Mlp, optim::AdamState<Mlp>, Tensor) + '_ {
    jit(move |(p, s, (x, y)): &Step| {
        let loss = |p: &Mlp| {
            losses::softmax_cross_entropy_with_integer_labels(&p.forward(x, &mut Ctx::eval()), y)
                .mean()
        };
        let (l, g) = value_and_grad(loss)(p);
        let (u, s) = opt.update(&g, s, p);
        (optim::apply_updates(p, &u), s, l)
    })
}

fn case(widths: &[usize], tanh: bool, batch: usize) -> Step {
    let [kp, kx, ky] = random::split_n(&random::key(0));
    let params = Mlp::new(&kp, widths, tanh);
    let x = random::normal(&kx, &[batch, widths[0]]);
    let y = random::randint(&ky, &[batch], 0, *widths.last().unwrap() as i64);
    let state = optim::adam(1e-3).init(&params);
    (params, state, (x, y))
}

fn bytes<P: PyTree>(p: &P) -> usize {
    p.leaves()
        .iter()
        .map(|t| t.size() * t.dtype().size_of())
        .sum()
}

/// Peak heap bytes above the starting level during `f`.
fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let r = f();
    (r, PEAK.load(Ordering::Relaxed) - base)
}

/// Minor page faults and CPU seconds (user + system, all threads) of this process so far, from
/// `/proc/self/stat` (Linux; zeros elsewhere). Clock ticks are taken as 1/100 s.
fn faults_and_cpu() -> (u64, f64) {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return (0, 0.0);
    };
    // After the command name's ")": field 3 (state) first; minflt is field 10, utime 14, stime 15.
    let f: Vec<&str> = s[s.rfind(')').map_or(0, |i| i + 1)..]
        .split_whitespace()
        .collect();
    let num = |i: usize| {
        f.get(i - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (num(10), (num(14) + num(15)) as f64 / 100.0)
}

/// Page faults and CPU milliseconds per call of `f`, over about a second of calls.
fn faults_per_call(mut f: impl FnMut()) -> (f64, f64) {
    f();
    let (f0, c0) = faults_and_cpu();
    let t0 = std::time::Instant::now();
    let mut n = 0u32;
    while t0.elapsed() < Duration::from_secs(1) || n < 10 {
        f();
        n += 1;
    }
    let (f1, c1) = faults_and_cpu();
    ((f1 - f0) as f64 / n as f64, (c1 - c0) * 1e3 / n as f64)
}

fn bench_steps(c: &mut Criterion) {
    let opt = optim::adam(1e-3);
    let step = adam_step(&opt);
    let mut report = Vec::new();
    for (name, widths, tanh) in [
        (
            "jit adam step mlp 64-128(tanh)-10 b128",
            &[64, 128, 10][..],
            true,
        ),
        (
            "jit adam step mlp 784-512-512-10(relu) b128",
            &[784, 512, 512, 10][..],
            false,
        ),
    ] {
        let args = case(widths, tanh, 128);
        let _ = step(&args); // trace outside the timing
        let mut g = c.benchmark_group("train");
        g.throughput(Throughput::Elements(128));
        if widths[0] == 784 {
            g.sample_size(30).measurement_time(Duration::from_secs(6));
        }
        g.bench_function(name, |b| b.iter(|| step(black_box(&args))));
        // The same loss and gradient without the optimizer, to show what Adam adds.
        let vg = jit(|(p, _, (x, y)): &Step| {
            value_and_grad(|p: &Mlp| {
                losses::softmax_cross_entropy_with_integer_labels(
                    &p.forward(x, &mut Ctx::eval()),
                    y,
                )
                .mean()
            })(p)
        });
        let _ = vg(&args);
        let vg_name = name.replace("adam step", "value_and_grad");
        g.bench_function(vg_name, |b| b.iter(|| vg(black_box(&args))));
        if tanh {
            // Issue [8/11]'s row: gradients of the parameters and of the inputs.
            let vg_both = jit(|(p, _, (x, y)): &Step| {
                value_and_grad(|(p, x): &(Mlp, Tensor)| {
                    losses::softmax_cross_entropy_with_integer_labels(
                        &p.forward(x, &mut Ctx::eval()),
                        y,
                    )
                    .mean()
                })(&(p.clone(), x.clone()))
            });
            let _ = vg_both(&args);
            let both_name = name.replace("adam step", "value_and_grad (params and inputs)");
            g.bench_function(both_name, |b| b.iter(|| vg_both(black_box(&args))));
        }
        g.finish();
        // Buffers the pool holds are allocated but idle: count them with the step's peak.
        let pooled = ferrax::runtime::pooled_bytes();
        let (_, peak) = peak_during(|| step(&args));
        let faults = faults_per_call(|| drop(step(black_box(&args))));
        report.push((name, peak, pooled, bytes(&args.0) + bytes(&args.1), faults));
    }
    let tuned = ferrax::runtime::tune_malloc_requested();
    for (name, peak, pooled, state, (faults, cpu_ms)) in report {
        println!(
            "{name}: peak {:.1} KiB allocated during one step + {:.1} KiB idle in the buffer \
             pool at its start; params + Adam state {:.1} KiB; {faults:.1} page faults and \
             {cpu_ms:.2} ms CPU per step (FERRAX_TUNE_MALLOC {}, buffer pool {})",
            peak as f64 / 1024.0,
            pooled as f64 / 1024.0,
            state as f64 / 1024.0,
            if tuned { "on" } else { "off" },
            if ferrax::runtime::buffer_pool_limit() > 0 {
                "on"
            } else {
                "off"
            }
        );
    }
}

type FusedStep = (Mlp, optim::fused::FusedAdamState<Mlp>, (Tensor, Tensor));

/// Issue [8/11]'s Adam row with the one-pass update (`optim::fused::adam`): jitted as the
/// chain's row (the caller keeps its arguments, so the update writes new buffers, as JAX's
/// row does), and as a training loop runs it (`JitOptions::donate`, the state passed by
/// value: the update runs in place).
fn bench_fused_adam(c: &mut Criterion) {
    let opt = optim::fused::adam(1e-3);
    let body = |(p, s, (x, y)): &FusedStep| {
        let loss = |p: &Mlp| {
            losses::softmax_cross_entropy_with_integer_labels(&p.forward(x, &mut Ctx::eval()), y)
                .mean()
        };
        let (l, g) = value_and_grad(loss)(p);
        let (p, s) = opt.step(p, &g, s);
        (p, s, l)
    };
    let step = jit(body);
    let donated = Jitted::new(
        body,
        JitOptions {
            donate: true,
            ..Default::default()
        },
    );
    for (name, widths, tanh) in [
        ("64-128(tanh)-10", &[64, 128, 10][..], true),
        ("784-512-512-10(relu)", &[784, 512, 512, 10][..], false),
    ] {
        let (p, _, batch) = case(widths, tanh, 128);
        let args: FusedStep = (p.clone(), opt.init(&p), batch.clone());
        let _ = step(&args);
        let mut g = c.benchmark_group("train");
        g.throughput(Throughput::Elements(128));
        if widths[0] == 784 {
            g.sample_size(30).measurement_time(Duration::from_secs(6));
        }
        g.bench_function(format!("jit fused adam step mlp {name} b128"), |b| {
            b.iter(|| step(black_box(&args)))
        });
        let mut carry = Some((p.clone(), opt.init(&p)));
        g.bench_function(
            format!("jit fused adam step mlp {name} b128, donated"),
            |b| {
                b.iter(|| {
                    let (p, s) = carry.take().expect("carry");
                    let (p, s, l) = donated.call_owned((p, s, batch.clone()));
                    carry = Some((p, s));
                    l
                })
            },
        );
        g.finish();
    }
}

fn bench_digits_epoch(c: &mut Criterion) {
    let d = data::load_digits(data::default_digits_dir(), DigitsLayout::Flat)
        .expect("the digits data set (data/digits in the repository, or $FERRAX_DIGITS_DIR)");
    let opt = optim::adam(1e-3);
    let step = adam_step(&opt);
    let params = Mlp::new(&random::key(0), &[64, 128, 10], true);
    let state = opt.init(&params);
    let batches = Batches::new(&(d.train_images, d.train_labels), 32).shuffle(&random::key(1));
    let epoch = |e: usize, p: Mlp, s: optim::AdamState<Mlp>| {
        let (mut p, mut s) = (p, s);
        for b in batches.epoch(e) {
            let (p2, s2, _) = step(&(p, s, b));
            (p, s) = (p2, s2);
        }
        (p, s)
    };
    let _ = epoch(0, params.clone(), state.clone()); // trace both batch sizes (32 and 28)
    let mut g = c.benchmark_group("train");
    g.throughput(Throughput::Elements(1500));
    g.sample_size(20);
    let mut e = 0;
    g.bench_function(
        "digits epoch mlp 64-128-10 b32 (1500 examples, shuffled)",
        |b| {
            b.iter(|| {
                e += 1;
                epoch(e, params.clone(), state.clone())
            })
        },
    );
    g.finish();
}

/// A synthetic MNIST-shaped training set of flat 784-pixel images.
fn synthetic_mnist() -> (Tensor, Tensor) {
    common::synthetic_mnist(&[784])
}

type MnistCarry = (Mlp, optim::AdamState<Mlp>);

/// Median seconds per epoch over `epochs` epochs, after one warm-up epoch.
fn seconds_per_epoch(epochs: usize, mut run: impl FnMut(usize)) -> f64 {
    run(0);
    let mut t: Vec<f64> = (1..=epochs)
        .map(|e| {
            let t0 = std::time::Instant::now();
            run(e);
            t0.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn bench_mnist_epoch(_: &mut Criterion) {
    let epochs: usize = std::env::var("MNIST_EPOCHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    // `cargo test --all-targets` runs benches once as tests, in the debug profile: an epoch of
    // 468 large steps there takes the better part of an hour. Only `cargo bench` (which passes
    // `--bench`) times it.
    if epochs == 0 || !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let (images, labels) = synthetic_mnist();
    let opt = optim::adam(1e-3);
    let init = || {
        let p = Mlp::new(&random::key(0), &[784, 512, 512, 10], false);
        let s = opt.init(&p);
        (p, s)
    };
    let step = Jitted::new(
        |((p, s), (x, y)): &(MnistCarry, (Tensor, Tensor))| {
            let loss =
                |p: &Mlp| losses::softmax_cross_entropy(&p.forward(x, &mut Ctx::eval()), y).mean();
            let g = grad(loss)(p);
            let (u, s) = opt.update(&g, s, p);
            (optim::apply_updates(p, &u), s)
        },
        JitOptions {
            donate: true,
            ..Default::default()
        },
    );
    let key = random::key(1);
    // The batch pipeline: u8 gathered, scaled and one-hot in one pass, one batch ahead.
    let piped = Batches::new(&(images.clone(), labels.clone()), 128)
        .drop_last(true)
        .shuffle(&key)
        .scale_u8(1.0 / 255.0)
        .one_hot(10);
    let mut carry = Some(init());
    let t_pipe = seconds_per_epoch(epochs, |e| {
        for b in piped.epoch(e) {
            carry = Some(step.call_owned((carry.take().expect("carry"), b)));
        }
    });
    // The old way: f32 images in memory, the epoch gathered at once, batches sliced.
    let x32 = images.cast(DType::F32) * (1.0 / 255.0);
    let y1 = ferrax::numpy::one_hot(&labels, 10);
    let plain = Batches::new(&(x32, y1), 128)
        .drop_last(true)
        .shuffle(&key)
        .prefetch(false);
    let t_plain = seconds_per_epoch(epochs, |e| {
        for b in plain.epoch(e) {
            carry = Some(step.call(&(carry.take().expect("carry"), b)));
        }
    });
    // The steps alone on one resident batch: what the epoch costs without any input work.
    let fixed = piped.epoch(0).next().expect("a batch");
    let t_steps = seconds_per_epoch(epochs, |_| {
        for _ in 0..piped.num_batches() {
            carry = Some(step.call_owned((carry.take().expect("carry"), fixed.clone())));
        }
    });
    // The same pipeline with the one-pass Adam (`train::adam_step`: donated, in place).
    let fused = optim::fused::adam(1e-3);
    let mut fused_step = ferrax::train::adam_step(&fused, |p: &Mlp, (x, y): &(Tensor, Tensor)| {
        losses::softmax_cross_entropy(&p.forward(x, &mut Ctx::eval()), y).mean()
    });
    let mut fcarry = Some({
        let p = Mlp::new(&random::key(0), &[784, 512, 512, 10], false);
        let s = fused.init(&p);
        (p, s)
    });
    let t_fused = seconds_per_epoch(epochs, |e| {
        for b in piped.epoch(e) {
            fcarry = Some(fused_step(fcarry.take().expect("carry"), b).0);
        }
    });
    println!(
        "mnist mlp 784-512-512-10 adam b128, one epoch of {} steps (median of {epochs}): \
         pipeline {:.3} s, old batching {:.3} s, steps alone {:.3} s, pipeline with the fused \
         adam (train::adam_step) {:.3} s",
        piped.num_batches(),
        t_pipe,
        t_plain,
        t_steps,
        t_fused
    );
}

criterion_group!(
    benches,
    bench_steps,
    bench_fused_adam,
    bench_digits_epoch,
    bench_mnist_epoch
);
criterion_main!(benches);
