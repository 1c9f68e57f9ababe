//! The wrappers (MultiSteps, apply_if_finite, zero_nans, multi_transform, inject_hyperparams)
//! and the schedules of issue 19 against optax 0.2.8's numbers (tests/golden/optim.txt, made by
//! tests/golden/make_optim.py): updates, observable state fields and final parameters, with
//! NaN and infinite gradients where the wrapper is about them; schedules at many steps, eager
//! and traced.

use crate::common::close::{assert_allclose as assert_close, assert_close_with, Tol};
use crate::optim::{flat, golden_flat, grads, params0, Params};
use crate::optim_golden::{g, tensor};
use ferrax::optim::{
    self, GradientTransformation, Interpolation, Labels, MultiSteps, WarmupCosine,
};
use ferrax::prelude::*;

fn bad_grads(t: usize) -> Params {
    (
        tensor(&format!("bad_grad{t}_w"), DType::F32),
        tensor(&format!("bad_grad{t}_b"), DType::F32),
    )
}

/// Five steps of `opt` on `gs`; after each, the updates against optax's and `fields(state)`
/// against the golden state fields `names`.
fn check_wrapper<T: GradientTransformation>(
    name: &str,
    opt: T,
    gs: fn(usize) -> Params,
    names: &[&str],
    fields: impl Fn(&T::State<Params>) -> Vec<f64>,
) {
    let tol = Tol::allclose(1e-5, 1e-7).or_both_nan().or_equal();
    let mut p = params0(DType::F32);
    let mut s = opt.init(&p);
    for t in 0..5 {
        let (u, s2) = opt.update(&gs(t), &s, &p);
        p = optim::apply_updates(&p, &u);
        s = s2;
        let want = golden_flat(&format!("{name}_u{t}"));
        assert_close_with(&flat(&u), &want, tol, &format!("{name} step {t}"));
        let got = fields(&s);
        for (f, v) in names.iter().zip(got) {
            let want = g(&format!("{name}_s{t}_{f}")).vals[0];
            assert_close(
                &[v],
                &[want],
                1e-6,
                1e-9,
                &format!("{name} step {t} state {f}"),
            );
        }
    }
    let want = golden_flat(&format!("{name}_final"));
    assert_close_with(&flat(&p), &want, tol, &format!("{name} final params"));
}

fn i(t: &Tensor) -> f64 {
    t.cast(DType::F64).item::<f64>()
}

#[test]
fn multi_steps_accumulates_as_optax() {
    let fields = |s: &optim::MultiStepsState<Params, _>| vec![i(&s.mini_step), i(&s.gradient_step)];
    check_wrapper(
        "multi_steps",
        MultiSteps::new(optim::adam(0.01), 2),
        |t| grads(t, DType::F32),
        &["mini_step", "gradient_step"],
        fields,
    );
    let k =
        optim::Schedule::new(|step: &Tensor| ferrax::numpy::where_(&step.lt(1), 1.0f32, 3.0f32));
    check_wrapper(
        "multi_steps_sched_sum",
        MultiSteps::with_schedule(optim::sgd(0.1, 0.9, false), k, false),
        |t| grads(t, DType::F32),
        &["mini_step", "gradient_step"],
        |s| vec![i(&s.mini_step), i(&s.gradient_step)],
    );
}

#[test]
fn apply_if_finite_skips_non_finite_steps_as_optax() {
    let names = ["notfinite_count", "last_finite", "total_notfinite"];
    check_wrapper(
        "apply_if_finite",
        optim::apply_if_finite(optim::adam(0.01), 1),
        bad_grads,
        &names,
        |s| {
            vec![
                i(&s.notfinite_count),
                i(&s.last_finite),
                i(&s.total_notfinite),
            ]
        },
    );
    // With no tolerance for errors the NaN step goes through, as in optax.
    check_wrapper(
        "apply_if_finite_0",
        optim::apply_if_finite(optim::sgd(0.1, None, false), 0),
        bad_grads,
        &names,
        |s| {
            vec![
                i(&s.notfinite_count),
                i(&s.last_finite),
                i(&s.total_notfinite),
            ]
        },
    );
}

#[test]
fn zero_nans_zeroes_nans_as_optax() {
    check_wrapper(
        "zero_nans_sgd",
        optim::chain((optim::zero_nans(), optim::sgd(0.1, 0.5, false))),
        bad_grads,
        &[],
        |_| vec![],
    );
    let opt = optim::zero_nans();
    let p = params0(DType::F32);
    let (_, s) = opt.update(&bad_grads(1), &opt.init(&p), &p);
    assert_eq!(
        (s.found_nan.0.item::<bool>(), s.found_nan.1.item::<bool>()),
        (true, false)
    );
}

#[test]
fn multi_transform_applies_one_optimizer_per_label_as_optax() {
    let opt = optim::multi_transform(
        (("a", optim::adam(0.01)), ("s", optim::sgd(0.1, 0.9, false))),
        Labels::from_leaves(vec!["a", "s"]),
    );
    check_wrapper(
        "multi_transform",
        opt,
        |t| grads(t, DType::F32),
        &[],
        |_| vec![],
    );
    // Labels from a function of the leaves give the same optimizer.
    let by_rank = optim::multi_transform(
        (("a", optim::adam(0.01)), ("s", optim::sgd(0.1, 0.9, false))),
        Labels::new(|_, p| if p.ndim() == 2 { "a" } else { "s" }),
    );
    check_wrapper(
        "multi_transform",
        by_rank,
        |t| grads(t, DType::F32),
        &[],
        |_| vec![],
    );
}

#[test]
fn multi_transform_with_an_unknown_label_panics_naming_it() {
    let opt = optim::multi_transform(
        (("a", optim::adam(0.01)),),
        Labels::from_leaves(vec!["a", "b"]),
    );
    let p = params0(DType::F32);
    let msg = crate::common::panics::panic_message(|| opt.init(&p));
    assert!(
        msg.contains("\"b\"") && msg.contains("multi_transform"),
        "{msg}"
    );
}

#[test]
fn inject_hyperparams_changes_and_schedules_as_optax() {
    let name = "inject_adam";
    let opt = optim::inject_hyperparams(
        |h| optim::adam(h.get("learning_rate")),
        vec![("learning_rate", 0.01.into())],
    );
    let mut p = params0(DType::F32);
    let mut s = opt.init(&p);
    for t in 0..5 {
        if t == 2 {
            s = opt.set(s, "learning_rate", 0.003);
        }
        let (u, s2) = opt.update(&grads(t, DType::F32), &s, &p);
        p = optim::apply_updates(&p, &u);
        s = s2;
        assert_close(
            &flat(&u),
            &golden_flat(&format!("{name}_u{t}")),
            1e-5,
            1e-8,
            name,
        );
        let lr = g(&format!("{name}_s{t}_lr")).vals[0];
        assert_close(&[i(&s.hyperparams[0])], &[lr], 1e-7, 0.0, name);
    }
    assert_close(
        &flat(&p),
        &golden_flat(&format!("{name}_final")),
        1e-6,
        1e-7,
        name,
    );

    let sched = optim::inject_hyperparams(
        |h| optim::adam(h.get("learning_rate")),
        vec![(
            "learning_rate",
            optim::linear_schedule(0.1, 0.01, 4, 0).into(),
        )],
    );
    check_wrapper(
        "inject_sched",
        sched,
        |t| grads(t, DType::F32),
        &["lr"],
        |s| vec![i(&s.hyperparams[0])],
    );
}

#[test]
fn inject_hyperparams_learning_rate_changes_a_jitted_step_without_retracing() {
    let opt = optim::inject_hyperparams(
        |h| optim::adam(h.get("learning_rate")),
        vec![("learning_rate", 0.01.into())],
    );
    let o = opt.clone();
    type S = optim::StateOf<optim::InjectHyperparams<optim::Adam>, Params>;
    let step = jit(move |(g, s, p): &(Params, S, Params)| {
        let (u, s) = o.update(g, s, p);
        (optim::apply_updates(p, &u), s)
    });
    let mut p = params0(DType::F32);
    let mut s = opt.init(&p);
    for t in 0..5 {
        if t == 2 {
            s = opt.set(s, "learning_rate", 0.003);
        }
        (p, s) = step(&(grads(t, DType::F32), s, p));
    }
    let name = "inject_adam_final";
    assert_close(&flat(&p), &golden_flat(name), 1e-6, 1e-7, name);
}

#[test]
fn new_schedules_match_optax() {
    let steps: Vec<i32> = g("schedule_steps").vals.iter().map(|&v| v as i32).collect();
    let c = |init, peak, warm, decay, end, exponent| WarmupCosine {
        init_value: init,
        peak_value: peak,
        warmup_steps: warm,
        decay_steps: decay,
        end_value: end,
        exponent,
    };
    let scheds = [
        (
            "piecewise_constant",
            optim::piecewise_constant_schedule(0.1, vec![(5, 0.5), (10, 0.3), (50, 2.0)]),
        ),
        (
            "piecewise_linear",
            optim::piecewise_interpolate_schedule(
                Interpolation::Linear,
                0.1,
                vec![(5, 0.5), (20, 3.0), (50, 0.1)],
            ),
        ),
        (
            "piecewise_cosine",
            optim::piecewise_interpolate_schedule(
                Interpolation::Cosine,
                0.1,
                vec![(5, 0.5), (20, 3.0), (50, 0.1)],
            ),
        ),
        (
            "cosine_onecycle",
            optim::cosine_onecycle_schedule(50, 0.1, 0.3, 25.0, 1e4),
        ),
        (
            "cosine_onecycle_opts",
            optim::cosine_onecycle_schedule(30, 0.2, 0.2, 10.0, 100.0),
        ),
        (
            "linear_onecycle",
            optim::linear_onecycle_schedule(50, 0.1, 0.3, 0.85, 25.0, 1e4),
        ),
        (
            "sgdr",
            optim::sgdr_schedule(vec![
                c(0.0, 0.1, 3, 10, 0.001, 1.0),
                c(0.01, 0.05, 2, 20, 0.0, 1.0),
                c(0.0, 0.02, 5, 30, 0.001, 2.0),
            ]),
        ),
        (
            "warmup_constant",
            optim::warmup_constant_schedule(0.0, 0.1, 10),
        ),
        (
            "warmup_exp",
            optim::warmup_exponential_decay_schedule(0.0, 0.1, 10, 5, 0.5, 3, true, Some(0.01)),
        ),
    ];
    for (name, s) in scheds {
        let got: Vec<f64> = steps.iter().map(|&t| s.at(t) as f64).collect();
        let want = &g(&format!("schedule_{name}")).vals;
        assert_close(&got, want, 1e-6, 1e-12, &format!("schedule {name}"));
        let f = jit(|c: &Tensor| s.call(c));
        let traced: Vec<f64> = steps
            .iter()
            .map(|&t| f(&Tensor::scalar(t)).item::<f32>() as f64)
            .collect();
        assert_eq!(traced, got, "schedule {name} under jit");
    }
}

#[test]
fn piecewise_schedules_reject_unordered_boundaries() {
    let msg = crate::common::panics::panic_message(|| {
        optim::piecewise_constant_schedule(1.0, vec![(10, 0.5), (5, 0.5)])
    });
    assert!(
        msg.contains("piecewise_constant_schedule") && msg.contains("[10, 5]"),
        "{msg}"
    );
}

fn check_lookahead<T: GradientTransformation>(name: &str, la: optim::Lookahead<T>) {
    let mut p = optim::LookaheadParams::init_synced(params0(DType::F32));
    let mut s = la.init(&p);
    for t in 0..5 {
        let (u, s2) = la.update(&grads(t, DType::F32), &s, &p);
        p = optim::apply_updates(&p, &u);
        s = s2;
        for (part, u) in [("fast", &u.fast), ("slow", &u.slow)] {
            let want = golden_flat(&format!("{name}_{part}_u{t}"));
            assert_close(
                &flat(u),
                &want,
                1e-5,
                1e-7,
                &format!("{name} {part} step {t}"),
            );
        }
    }
    for (part, p) in [("fast", &p.fast), ("slow", &p.slow)] {
        let want = golden_flat(&format!("{name}_{part}_final"));
        assert_close(&flat(p), &want, 1e-6, 1e-7, &format!("{name} {part} final"));
    }
}

#[test]
fn lookahead_matches_optax() {
    check_lookahead(
        "lookahead_adam",
        optim::lookahead(optim::adam(0.01), 2, 0.5, false),
    );
    check_lookahead(
        "lookahead_sgd_reset",
        optim::lookahead(optim::sgd(0.1, 0.9, false), 3, 0.3, true),
    );
}
