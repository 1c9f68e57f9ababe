//! Threads: one jitted training step shared by a thread pool gives every thread the
//! single-thread result bit for bit (and is traced once per signature); `grad`, `vmap`, `jit`
//! and `make_jaxpr` traced on four threads at once agree with one thread; a tracer leaked to
//! another thread (or read after its transformation ended) is reported as escaped, never
//! resolved to an unrelated trace's variable.

use crate::common;
use crate::common::panics::panic_message;
use common::data::t;
use ferrax::nn::{Ctx, Linear, Module};
use ferrax::prelude::*;
use ferrax::transforms::{jit_with, JitOptions, Jitted};
use ferrax::tree::tree_map2;
use std::any::Any;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

const THREADS: usize = 4;

/// The bits of every leaf, so results compare exactly (NaN-safe, -0.0 distinct from 0.0).
fn bits<P: PyTree>(x: &P) -> Vec<Vec<u32>> {
    x.leaves()
        .iter()
        .map(|l| l.to_vec::<f32>().iter().map(|v| v.to_bits()).collect())
        .collect()
}

/// The message of a panic payload (`panic!` with a format gives a `String`).
fn message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "<non-string panic payload>".into()),
    }
}

fn assert_escaped(msg: &str) {
    assert!(
        msg.contains("escaped tracer"),
        "not an escaped-tracer error: {msg}"
    );
}

// ---------------------------------------------------------------- a shared training step

type Mlp = (Linear, Linear);
type Batch = (Tensor, Tensor);
/// A training step: `(params, batch) -> (loss, new params)`.
type Step<'a> = dyn Fn(&(Mlp, Batch)) -> (Tensor, Mlp) + 'a;

fn mlp(seed: i64) -> Mlp {
    let k = ferrax::random::split_n::<2>(&ferrax::random::key(seed));
    (Linear::new(&k[0], 8, 16), Linear::new(&k[1], 16, 3))
}

fn loss(p: &Mlp, x: &Tensor, y: &Tensor) -> Tensor {
    let h = p.0.forward(x, &mut Ctx::eval()).tanh();
    let d = p.1.forward(&h, &mut Ctx::eval()) - y;
    (&d * &d).mean()
}

/// One SGD step: the loss and the updated parameters.
fn sgd_step((p, (x, y)): &(Mlp, Batch)) -> (Tensor, Mlp) {
    let (l, g) = value_and_grad(|p: &Mlp| loss(p, x, y))(p);
    (l, tree_map2(p, &g, |w, g| w - g * 0.1))
}

fn batch(i: u64) -> Batch {
    (t(&[32, 8], 100 + i), t(&[32, 3], 200 + i))
}

/// Trains for `steps` steps through `step`, returning the losses and the final parameters.
fn train(step: &Step<'_>, steps: u64) -> (Vec<Tensor>, Mlp) {
    let mut p = mlp(0);
    let mut losses = Vec::new();
    for i in 0..steps {
        let (l, next) = step(&(p, batch(i % 5)));
        losses.push(l);
        p = next;
    }
    (losses, p)
}

#[test]
fn shared_jitted_step_gives_every_thread_the_single_thread_bits_and_traces_once() {
    let step = Arc::new(Jitted::new(sgd_step, JitOptions::default()));
    let (ref_losses, ref_params) = train(&|a| step.call(a), 30);
    assert_eq!(step.trace_count(), 1);

    // The jitted step computes what the eager one does (an independent reference).
    let (eager_losses, eager_params) = train(&sgd_step, 30);
    for (a, b) in ref_losses.iter().zip(&eager_losses) {
        assert!((a.item::<f32>() - b.item::<f32>()).abs() < 1e-5);
    }
    for (a, b) in ref_params.leaves().iter().zip(eager_params.leaves().iter()) {
        for (x, y) in a.to_vec::<f32>().iter().zip(b.to_vec::<f32>()) {
            assert!((x - y).abs() < 1e-4, "{x} vs {y}");
        }
    }
    // Training made progress, so equal bits below are not equal garbage.
    assert!(ref_losses[29].item::<f32>() < ref_losses[0].item::<f32>());

    let (ref_l, ref_p) = (bits(&ref_losses), bits(&ref_params));
    thread::scope(|s| {
        for _ in 0..THREADS {
            let step = Arc::clone(&step);
            let (ref_l, ref_p) = (&ref_l, &ref_p);
            s.spawn(move || {
                for _ in 0..3 {
                    let (l, p) = train(&|a| step.call(a), 30);
                    assert_eq!(&bits(&l), ref_l);
                    assert_eq!(&bits(&p), ref_p);
                }
            });
        }
    });
    // The shared signature was cached by the first call: no thread traced again.
    assert_eq!(step.trace_count(), 1);
    assert_eq!(step.cache_size(), 1);
}

#[test]
fn threads_racing_a_cold_cache_share_one_entry() {
    // No warm-up: all threads miss at once. Each may trace (no lock is held while tracing);
    // the first entry cached wins, so at most one trace per thread and one cached entry.
    let step = Arc::new(Jitted::new(sgd_step, JitOptions::default()));
    let args = (mlp(1), batch(0));
    let expected = bits(&sgd_step(&args));
    let barrier = Barrier::new(THREADS);
    let results: Vec<_> = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                let (step, args, barrier) = (Arc::clone(&step), &args, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    (0..5).map(|_| bits(&step.call(args))).collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let first = &results[0][0];
    for r in results.iter().flatten() {
        assert_eq!(r, first);
    }
    // Same values as eager, up to the optimizer's reassociation.
    for (a, b) in first.iter().zip(&expected) {
        for (x, y) in a.iter().zip(b) {
            assert!((f32::from_bits(*x) - f32::from_bits(*y)).abs() < 1e-5);
        }
    }
    assert!(
        (1..=THREADS).contains(&step.trace_count()),
        "{}",
        step.trace_count()
    );
    assert_eq!(step.cache_size(), 1);
}

#[test]
fn the_closure_jit_returns_can_be_shared_through_an_arc() {
    let step = Arc::new(jit_with(
        sgd_step,
        JitOptions {
            name: Some("step".into()),
            ..Default::default()
        },
    ));
    let args = (mlp(2), batch(3));
    let expected = bits(&step(&args));
    thread::scope(|s| {
        for _ in 0..THREADS {
            let (step, args, expected) = (Arc::clone(&step), &args, &expected);
            s.spawn(move || {
                for _ in 0..20 {
                    assert_eq!(&bits(&step(args)), expected);
                }
            });
        }
    });
}

// ---------------------------------------------------------------- tracing on many threads

fn f(x: &Tensor) -> Tensor {
    (x.sin() * x + x.exp() * 0.5).sum()
}

/// What one iteration computes: `grad`, `vmap`, a freshly traced `jit`, `grad` of a shared
/// jitted function, and a printed jaxpr.
fn transformations(i: u64, shared: &Jitted<Tensor, Tensor, fn(&Tensor) -> Tensor>) -> Vec<String> {
    let x = t(&[5], i);
    let xs = t(&[3, 5], 1000 + i);
    let g = grad(f)(&x);
    let v = vmap(|r: &Tensor| grad(f)(r) * r)(&xs);
    let j = jit(|x: &Tensor| (x.tanh() * 3.0).exp() - x)(&x);
    let gj = grad(|x: &Tensor| shared.call(x))(&x);
    let jaxpr = make_jaxpr(|x: &Tensor| grad(f)(x).sum() + shared.call(x))(&x).to_string();
    vec![
        format!("{:?}", bits(&g)),
        format!("{:?}", bits(&v)),
        format!("{:?}", bits(&j)),
        format!("{:?}", bits(&gj)),
        jaxpr,
    ]
}

#[test]
fn grad_vmap_jit_and_make_jaxpr_on_four_threads_agree_with_one_thread() {
    let shared = Jitted::new(f as fn(&Tensor) -> Tensor, JitOptions::default());
    let expected: Vec<Vec<String>> = (0..25).map(|i| transformations(i, &shared)).collect();
    // The references are real values (spot-check one against the closed form).
    let x = t(&[5], 0).to_vec::<f32>();
    let g0: Vec<f32> = grad(f)(&t(&[5], 0)).to_vec();
    for (xi, gi) in x.iter().zip(&g0) {
        assert!((gi - (xi.sin() + xi * xi.cos() + 0.5 * xi.exp())).abs() < 1e-5);
    }
    assert!(expected[0][4].contains("jit["), "{}", expected[0][4]);

    thread::scope(|s| {
        for k in 0..THREADS {
            let (shared, expected) = (&shared, &expected);
            s.spawn(move || {
                // Each thread walks the iterations in its own order, to mix the interleavings.
                for n in 0..expected.len() {
                    let i = (n + 7 * k) % expected.len();
                    assert_eq!(
                        transformations(i as u64, shared),
                        expected[i],
                        "iteration {i}"
                    );
                }
            });
        }
    });
    assert_eq!(shared.trace_count(), 1);
}

// ---------------------------------------------------------------- escaped tracers

/// Runs `grad` of a function that stores its traced input in captured state, and returns the
/// leaked tracer.
fn leak_from_grad() -> Tensor {
    let leak: Mutex<Option<Tensor>> = Mutex::new(None);
    let g = grad(|x: &Tensor| {
        *leak.lock().unwrap() = Some(x.clone());
        (x * x).sum()
    })(&Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]));
    assert_eq!(g.to_vec::<f32>(), vec![2.0, 4.0, 6.0]);
    let t = leak.into_inner().unwrap().expect("the function ran");
    assert!(!t.is_concrete());
    t
}

#[test]
fn a_tracer_leaked_to_another_thread_is_escaped_there() {
    let leaked = leak_from_grad();
    let in_op = leaked.clone();
    let err = thread::spawn(move || in_op + 1.0).join().unwrap_err();
    assert_escaped(&message(err));

    let read = leaked.clone();
    let err = thread::spawn(move || read.to_vec::<f32>())
        .join()
        .unwrap_err();
    assert_escaped(&message(err));

    let item = leaked.clone();
    let err = thread::spawn(move || item.sum().item::<f32>())
        .join()
        .unwrap_err();
    assert_escaped(&message(err));

    // Also under a transformation of that thread, which must not treat it as its own.
    let err = thread::spawn(move || {
        grad(|y: &Tensor| (y * &leaked).sum())(&Tensor::ones(&[3], DType::F32))
    })
    .join()
    .unwrap_err();
    assert_escaped(&message(err));
}

#[test]
fn a_tracer_used_or_read_after_its_grad_ended_is_escaped_on_the_same_thread() {
    let leaked = leak_from_grad();
    assert_escaped(&panic_message(|| &leaked + 1.0));
    assert_escaped(&panic_message(|| leaked.to_vec::<f32>()));
    assert_escaped(&panic_message(|| leaked.array().len()));
    assert_escaped(&panic_message(|| {
        grad(|y: &Tensor| (y * &leaked).sum())(&Tensor::ones(&[3], DType::F32))
    }));
    // Reading it under an unrelated transformation is escaped too, not "values not known yet".
    assert_escaped(&panic_message(|| {
        make_jaxpr(|y: &Tensor| y * leaked.to_vec::<f32>()[0])(&Tensor::ones(&[3], DType::F32))
    }));
}

#[test]
fn reading_a_live_tracer_asks_for_a_concrete_value() {
    // The other side of the distinction: inside the transformation that owns it (also from a
    // nested one), a tracer is not escaped, its values are just not known yet.
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    let msg = panic_message(|| grad(|x: &Tensor| x.sum() * x.to_vec::<f32>()[0])(&x));
    assert!(msg.contains("concrete value needed"), "{msg}");
    let msg = panic_message(|| {
        grad(|x: &Tensor| vmap(|r: &Tensor| r * x.sum().item::<f32>())(x).sum())(&x)
    });
    assert!(msg.contains("concrete value needed"), "{msg}");
}

#[test]
fn a_tracer_from_another_threads_grad_never_resolves_to_this_threads_grad() {
    // The regression: thread A leaks a tracer from its first `grad`; thread B, fresh too, is
    // inside its own first `grad` when it uses A's tracer. With per-thread trace ids both
    // traces had the same id and B silently used its own variable in place of A's tracer
    // (a wrong gradient); with process-wide ids it is an escaped tracer.
    let leaked = thread::spawn(leak_from_grad).join().unwrap();
    let err = thread::spawn(move || {
        grad(|y: &Tensor| (y * &leaked).sum())(&Tensor::from_vec(vec![5.0f32, 6.0, 7.0], &[3]))
    })
    .join()
    .unwrap_err();
    assert_escaped(&message(err));
}

// ---------------------------------------------------------------- Send + Sync

fn assert_send_sync<T: Send + Sync>(_: &T) {}

#[test]
fn jitted_functions_and_tensors_are_send_and_sync() {
    const fn static_send_sync<T: Send + Sync>() {}
    const _: () = static_send_sync::<Tensor>();
    const _: () = static_send_sync::<Jitted<Tensor, Tensor, fn(&Tensor) -> Tensor>>();
    const _: () = static_send_sync::<
        Jitted<(Mlp, Batch), (Tensor, Mlp), fn(&(Mlp, Batch)) -> (Tensor, Mlp)>,
    >();

    let captured = Tensor::ones(&[2], DType::F32);
    let f = jit(move |x: &Tensor| x * &captured);
    assert_send_sync(&f);
    assert_send_sync(&jit_with(|x: &Tensor| x + 1.0, JitOptions::default()));
    assert_send_sync(&Jitted::new(|x: &Tensor| x.sin(), JitOptions::default()));
    // And usable after crossing to another thread.
    let y = thread::spawn(move || f(&Tensor::from_vec(vec![2.0f32, 3.0], &[2])).to_vec::<f32>());
    assert_eq!(y.join().unwrap(), vec![2.0, 3.0]);
}
