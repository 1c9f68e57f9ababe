//! `ferrax::optim` against optax's own numbers (tests/golden/optim.txt, made by
//! tests/golden/make_optim.py with optax 0.2.8), against hand-written f64 references of optax's
//! update rules, a jitted training step traced once, small problems each optimizer solves, and
//! the typed states (their fields, and the panic when a state meets other parameters).

use crate::common::panics::panic_message;
use crate::optim_golden;
use ferrax::optim::{self, AdamOptions, GradientTransformation, Mask, RmsPropOptions, StateOf};
use ferrax::prelude::*;
use ferrax::transforms::{JitOptions, Jitted};

use optim_golden::reference::{
    const_lr, ref_adagrad, ref_adam, ref_rmsprop, ref_sgd, warmup_cosine, Reference,
};
use optim_golden::{g, tensor};

pub(crate) type Params = (Tensor, Tensor);
const STEPS: usize = 5;

pub(crate) fn params0(dtype: DType) -> Params {
    (tensor("params_w", dtype), tensor("params_b", dtype))
}

pub(crate) fn grads(t: usize, dtype: DType) -> Params {
    (
        tensor(&format!("grad{t}_w"), dtype),
        tensor(&format!("grad{t}_b"), dtype),
    )
}

pub(crate) fn flat(p: &Params) -> Vec<f64> {
    let mut v = p.0.cast(DType::F64).to_vec::<f64>();
    v.extend(p.1.cast(DType::F64).to_vec::<f64>());
    v
}

use crate::common;
use common::close::assert_allclose as assert_close;

/// Calls `$f(name, optimizer)` for each optimizer of the golden file, built with ferrax's API
/// (a macro: each optimizer has its own type).
macro_rules! golden_optimizers {
    ($f:path) => {{
        $f("sgd", optim::sgd(0.1, None, false));
        $f("sgd_momentum", optim::sgd(0.1, 0.9, false));
        $f("sgd_nesterov", optim::sgd(0.1, 0.9, true));
        $f("adam", optim::adam(0.01));
        $f(
            "adam_eps_root",
            optim::adam_with(
                0.01,
                AdamOptions {
                    b1: 0.8,
                    b2: 0.99,
                    eps: 1e-6,
                    eps_root: 1e-8,
                    nesterov: false,
                },
            ),
        );
        $f("nadam", optim::nadam(0.01));
        $f("adamw", optim::adamw(0.01));
        $f(
            "adamw_masked",
            optim::adamw_with(
                0.01,
                AdamOptions::default(),
                0.1,
                Some(Mask::from_leaves(vec![true, false])),
            ),
        );
        $f("rmsprop", optim::rmsprop(0.01));
        $f(
            "rmsprop_centered_momentum",
            optim::rmsprop_with(
                0.01,
                RmsPropOptions {
                    centered: true,
                    momentum: Some(0.9),
                    ..Default::default()
                },
            ),
        );
        $f(
            "rmsprop_options",
            optim::rmsprop_with(
                0.01,
                RmsPropOptions {
                    decay: 0.95,
                    eps: 1e-4,
                    initial_scale: 0.1,
                    eps_in_sqrt: false,
                    bias_correction: true,
                    momentum: Some(0.5),
                    nesterov: true,
                    centered: false,
                },
            ),
        );
        $f("adagrad", optim::adagrad(0.1));
        $f(
            "clip_adam",
            optim::chain((optim::clip_by_global_norm(2.0), optim::adam(0.01))),
        );
        $f(
            "adam_warmup_cosine",
            optim::adam(optim::warmup_cosine_decay_schedule(
                0.0, 0.01, 2, 5, 0.001, 1.0,
            )),
        );
        $f(
            "sgd_exp_decay",
            optim::sgd(
                optim::exponential_decay(0.1, 2, 0.5, 0, true, None),
                0.9,
                false,
            ),
        );
    }};
}

/// Runs `opt` for the golden steps; returns each step's flat updates and the final params.
pub(crate) fn run<T: GradientTransformation>(opt: &T, dtype: DType) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut params = params0(dtype);
    let mut state = opt.init(&params);
    let mut ups = vec![];
    for t in 0..STEPS {
        let (u, s) = opt.update(&grads(t, dtype), &state, &params);
        assert_eq!(u.0.dtype(), dtype);
        params = optim::apply_updates(&params, &u);
        state = s;
        ups.push(flat(&u));
    }
    (ups, flat(&params))
}

pub(crate) fn golden_flat(prefix: &str) -> Vec<f64> {
    let mut v = g(&format!("{prefix}_w")).vals.clone();
    v.extend(&g(&format!("{prefix}_b")).vals);
    v
}

#[test]
fn every_optimizer_matches_optax_for_five_steps() {
    golden_optimizers!(check_golden);
}

fn check_golden<T: GradientTransformation>(name: &str, opt: T) {
    {
        let (ups, fin) = run(&opt, DType::F32);
        for (t, u) in ups.iter().enumerate() {
            let want = golden_flat(&format!("{name}_u{t}"));
            // f32 arithmetic with XLA's op order but other kernels (pow, rsqrt): within a few ulps,
            // up to ~1e-6 where centered RMSProp's ν - μ² cancels.
            let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            assert_close(u, &want, 1e-6, 1e-7 * scale, &format!("{name} step {t}"));
        }
        assert_close(
            &fin,
            &golden_flat(&format!("{name}_final")),
            1e-6,
            1e-7,
            &format!("{name} final params"),
        );
    }
}

// ------------------------------------------------------------------ f64 references

#[test]
fn every_optimizer_matches_an_f64_reference_with_f64_moments() {
    let n = 9;
    let wd_mask = vec![true; 6]
        .into_iter()
        .chain(vec![false; 3])
        .collect::<Vec<_>>();
    check_reference(
        0,
        optim::sgd(0.1, None, false),
        ref_sgd(const_lr::<100>, None, false, n),
    );
    check_reference(
        1,
        optim::sgd(0.1, 0.9, false),
        ref_sgd(const_lr::<100>, Some(0.9), false, n),
    );
    check_reference(
        2,
        optim::sgd(0.1, 0.9, true),
        ref_sgd(const_lr::<100>, Some(0.9), true, n),
    );
    check_reference(
        3,
        optim::adam(0.01),
        ref_adam(const_lr::<10>, 0.9, 0.999, 1e-8, 0.0, false, None, None),
    );
    check_reference(
        4,
        optim::adam_with(
            0.01,
            AdamOptions {
                b1: 0.8,
                b2: 0.99,
                eps: 1e-6,
                eps_root: 1e-8,
                nesterov: true,
            },
        ),
        ref_adam(const_lr::<10>, 0.8, 0.99, 1e-6, 1e-8, true, None, None),
    );
    check_reference(
        5,
        optim::adamw(0.01),
        ref_adam(
            const_lr::<10>,
            0.9,
            0.999,
            1e-8,
            0.0,
            false,
            Some((1e-4, vec![true; n])),
            None,
        ),
    );
    check_reference(
        6,
        optim::adamw_with(
            0.01,
            AdamOptions::default(),
            0.1,
            Some(Mask::new(|_path, p| p.ndim() == 2)),
        ),
        ref_adam(
            const_lr::<10>,
            0.9,
            0.999,
            1e-8,
            0.0,
            false,
            Some((0.1, wd_mask)),
            None,
        ),
    );
    check_reference(
        7,
        optim::chain((optim::clip_by_global_norm(2.0), optim::adam(0.01))),
        ref_adam(
            const_lr::<10>,
            0.9,
            0.999,
            1e-8,
            0.0,
            false,
            None,
            Some(2.0),
        ),
    );
    check_reference(
        8,
        optim::adam(optim::warmup_cosine_decay_schedule(
            0.0, 0.01, 2, 5, 0.001, 1.0,
        )),
        ref_adam(warmup_cosine, 0.9, 0.999, 1e-8, 0.0, false, None, None),
    );
    check_reference(
        9,
        optim::rmsprop(0.01),
        ref_rmsprop(0.01, 0.9, 1e-8, false, None),
    );
    check_reference(
        10,
        optim::rmsprop_with(
            0.01,
            RmsPropOptions {
                centered: true,
                momentum: Some(0.9),
                ..Default::default()
            },
        ),
        ref_rmsprop(0.01, 0.9, 1e-8, true, Some(0.9)),
    );
    check_reference(11, optim::adagrad(0.1), ref_adagrad(0.1, 0.1, 1e-7));
}

/// Runs `opt` and the reference `r` (case `k`) side by side in f64.
fn check_reference<T: GradientTransformation>(k: usize, opt: T, mut r: Reference) {
    let mut params = params0(DType::F64);
    let mut state = opt.init(&params);
    let mut p_ref = flat(&params);
    for t in 0..STEPS {
        let gr = grads(t, DType::F64);
        let (u, s) = opt.update(&gr, &state, &params);
        let want = (r.step)(t, &flat(&gr), &p_ref);
        // The schedule's f32 value may differ from the rounded f64 one by an ulp.
        let rtol = if k == 8 { 2e-7 } else { 1e-12 };
        assert_close(&flat(&u), &want, rtol, 1e-15, &format!("case {k} step {t}"));
        // The moments are kept in the parameters' dtype.
        for leaf in s.leaves() {
            if leaf.dtype() != DType::I32 {
                assert_eq!(leaf.dtype(), DType::F64, "case {k}");
            }
        }
        params = optim::apply_updates(&params, &u);
        p_ref.iter_mut().zip(&want).for_each(|(p, u)| *p += u);
        state = s;
    }
    assert_close(
        &flat(&params),
        &p_ref,
        if k == 8 { 1e-8 } else { 1e-13 },
        1e-15,
        &format!("case {k} params"),
    );
}

// ------------------------------------------------------------------ schedules

#[test]
fn schedules_match_optax() {
    let steps: Vec<i32> = g("schedule_steps").vals.iter().map(|&v| v as i32).collect();
    let scheds = [
        ("constant", optim::constant_schedule(0.3)),
        (
            "exp",
            optim::exponential_decay(0.1, 10, 0.5, 0, false, None),
        ),
        (
            "exp_stair_begin_end",
            optim::exponential_decay(0.1, 10, 0.5, 5, true, Some(0.02)),
        ),
        (
            "exp_grow",
            optim::exponential_decay(0.01, 7, 1.5, 0, false, Some(0.05)),
        ),
        ("linear", optim::linear_schedule(0.0, 0.1, 20, 5)),
        ("poly", optim::polynomial_schedule(1.0, 0.01, 2.0, 50, 0)),
        ("cosine", optim::cosine_decay_schedule(0.1, 50, 0.1, 1.0)),
        (
            "cosine_exp",
            optim::cosine_decay_schedule(0.1, 50, 0.0, 2.0),
        ),
        (
            "warmup_cosine",
            optim::warmup_cosine_decay_schedule(0.0, 0.1, 10, 100, 0.001, 1.0),
        ),
    ];
    for (name, s) in scheds {
        let got: Vec<f64> = steps.iter().map(|&t| s.at(t) as f64).collect();
        assert_close(
            &got,
            &g(&format!("schedule_{name}")).vals,
            1e-6,
            1e-12,
            &format!("schedule {name}"),
        );
        // Evaluated on a traced count (inside jit) it gives the same values.
        let f = jit(|c: &Tensor| s.call(c));
        for (&t, want) in steps.iter().zip(&got) {
            assert_eq!(
                f(&Tensor::scalar(t)).item::<f32>() as f64,
                *want,
                "{name} at {t}"
            );
        }
    }
}

// ------------------------------------------------------------------ jit

#[derive(PyTree, Clone, Debug)]
struct Linear {
    w: Tensor,
    b: Tensor,
}

fn regression_data() -> (Tensor, Tensor) {
    let n = 32;
    let x: Vec<f32> = (0..n * 3).map(|i| ((i as f32) * 0.37).sin()).collect();
    let w_true = [1.5f32, -2.0, 0.5];
    let y: Vec<f32> = (0..n)
        .map(|r| (0..3).map(|c| x[r * 3 + c] * w_true[c]).sum::<f32>() + 0.3)
        .collect();
    (Tensor::from_vec(x, &[n, 3]), Tensor::from_vec(y, &[n, 1]))
}

fn mse_loss(p: &Linear, x: &Tensor, y: &Tensor) -> Tensor {
    let pred = x.matmul(&p.w) + &p.b;
    ferrax::losses::mse(&pred, y).mean()
}

fn init_linear() -> Linear {
    Linear {
        w: Tensor::zeros(&[3, 1], DType::F32),
        b: Tensor::zeros(&[1], DType::F32),
    }
}

#[test]
fn a_jitted_adam_step_is_traced_once_and_matches_eager() {
    let (x, y) = regression_data();
    // A schedule makes the learning rate depend on the traced count.
    let opt = optim::adam(optim::warmup_cosine_decay_schedule(
        0.0, 0.05, 5, 50, 0.0, 1.0,
    ));
    let step = |(p, s, x, y): &(Linear, optim::AdamState<Linear>, Tensor, Tensor)| {
        let (loss, gr) = value_and_grad(|p: &Linear| mse_loss(p, x, y))(p);
        let (u, s) = opt.update(&gr, s, p);
        (optim::apply_updates(p, &u), s, loss)
    };
    let jitted = Jitted::new(step, JitOptions::default());
    let mut pj = init_linear();
    let mut sj = opt.init(&pj);
    let mut pe = pj.clone();
    let mut se = sj.clone();
    let mut losses = vec![];
    for _ in 0..20 {
        let (p, s, l) = jitted.call(&(pj, sj, x.clone(), y.clone()));
        (pj, sj) = (p, s);
        losses.push(l.item::<f32>());
        let (p, s, _) = step(&(pe, se, x.clone(), y.clone()));
        (pe, se) = (p, s);
    }
    assert_eq!(jitted.trace_count(), 1, "traced more than once");
    assert_eq!(sj.0.count.item::<i32>(), 20);
    assert_eq!(sj.1.as_ref().unwrap().count.item::<i32>(), 20);
    for (a, b) in pj.leaves().iter().zip(pe.leaves()) {
        for (u, v) in a.to_vec::<f32>().iter().zip(b.to_vec::<f32>()) {
            assert!(
                (u - v).abs() <= 1e-5 * v.abs().max(1.0),
                "jit {u} vs eager {v}"
            );
        }
    }
    assert!(losses[19] < 0.5 * losses[0], "{losses:?}");
}

// ------------------------------------------------------------------ they minimize

#[test]
fn each_optimizer_fits_a_linear_regression() {
    fits("sgd", optim::sgd(0.2, None, false), 300);
    fits("sgd_momentum", optim::sgd(0.05, 0.9, false), 200);
    fits("sgd_nesterov", optim::sgd(0.05, 0.9, true), 200);
    fits("adam", optim::adam(0.05), 300);
    fits("nadam", optim::nadam(0.05), 300);
    fits("adamw", optim::adamw(0.05), 300);
    fits("rmsprop", optim::rmsprop(0.01), 400);
    fits("adagrad", optim::adagrad(0.5), 300);
    fits(
        "clip_sgd_schedule",
        optim::chain((
            optim::clip_by_global_norm(1.0),
            optim::sgd(
                optim::exponential_decay(0.2, 100, 0.5, 0, false, None),
                0.5,
                false,
            ),
        )),
        300,
    );
}

/// `steps` jitted steps of `opt` bring the regression loss down 100-fold.
fn fits<T: GradientTransformation>(name: &str, opt: T, steps: usize) {
    let (x, y) = regression_data();
    let step = jit(|(p, s): &(Linear, StateOf<T, Linear>)| {
        let gr = grad(|p: &Linear| mse_loss(p, &x, &y))(p);
        let (u, s) = opt.update(&gr, s, p);
        (optim::apply_updates(p, &u), s)
    });
    let mut p = init_linear();
    let mut s = opt.init(&p);
    let l0 = mse_loss(&p, &x, &y).item::<f32>();
    for _ in 0..steps {
        (p, s) = step(&(p, s));
    }
    let l = mse_loss(&p, &x, &y).item::<f32>();
    assert!(l < 1e-2 * l0, "{name}: loss {l0} -> {l}");
}

// ------------------------------------------------------------------ state and misuse

#[test]
fn state_is_a_pytree_with_a_stable_structure() {
    let p = init_linear();
    let opt = optim::adamw_with(
        1e-3,
        AdamOptions::default(),
        0.1,
        Some(Mask::new(|k, _| k.to_string() == ".w")),
    );
    let s0 = opt.init(&p);
    let (_, s1) = opt.update(&p, &s0, &p);
    assert_eq!(s0.treedef(), s1.treedef());
    // count + mu, nu for both leaves; the mask is static structure, not leaves.
    assert_eq!(s0.leaves().len(), 5);
    assert_eq!(s0.1.mask, Some(vec![true, false]));
    let mu: &Linear = &s1.0.mu;
    assert_eq!(mu.w.shape(), &[3, 1]);
}

#[test]
fn adams_mu_has_the_params_structure_and_is_the_first_gradient_average() {
    let p = init_linear();
    let (x, y) = regression_data();
    let g = grad(|p: &Linear| mse_loss(p, &x, &y))(&p);
    let opt = optim::adam(1e-2);
    let s0: StateOf<optim::Adam, Linear> = opt.init(&p);
    assert_eq!(s0.0.mu.treedef(), p.treedef());
    assert_eq!(s0.0.nu.b.shape(), p.b.shape());
    let (_, s1) = opt.update(&g, &s0, &p);
    assert_eq!(s1.0.count.item::<i32>(), 1);
    assert!(s1.1.is_none(), "a constant learning rate keeps no count");
    // mu = (1 - b1) * g + b1 * 0 and nu = (1 - b2) * g², by hand in f32 (the factor is
    // computed in f64 and rounded, as a Rust scalar operand is).
    let by_hand = |g: &Tensor, pow: i32, decay: f64| -> Vec<f32> {
        g.to_vec::<f32>()
            .iter()
            .map(|g| g.powi(pow) * (1.0 - decay) as f32)
            .collect()
    };
    assert_eq!(s1.0.mu.w.to_vec::<f32>(), by_hand(&g.w, 1, 0.9));
    assert_eq!(s1.0.mu.b.to_vec::<f32>(), by_hand(&g.b, 1, 0.9));
    let nu = s1.0.nu.w.to_vec::<f32>();
    for (a, b) in nu.iter().zip(by_hand(&g.w, 2, 0.999)) {
        assert!((a - b).abs() <= 1e-6 * b.abs(), "{a} vs {b}");
    }
}

#[test]
fn a_jitted_step_naming_the_state_type_equals_the_eager_step_bitwise() {
    type P = Linear;
    let (x, y) = regression_data();
    let opt: optim::Adam = optim::adam(0.05);
    let eager = |(p, s): &(P, StateOf<optim::Adam, P>)| {
        let gr = grad(|p: &P| mse_loss(p, &x, &y))(p);
        let (u, s) = opt.update(&gr, s, p);
        (optim::apply_updates(p, &u), s)
    };
    let jitted = jit(eager);
    let (mut pj, mut pe) = (init_linear(), init_linear());
    let (mut sj, mut se) = (opt.init(&pj), opt.init(&pe));
    for _ in 0..5 {
        (pj, sj) = jitted(&(pj, sj));
        (pe, se) = eager(&(pe, se));
    }
    let bits = |t: &[Tensor]| -> Vec<Vec<u32>> {
        t.iter()
            .map(|x| x.to_vec::<f32>().iter().map(|v| v.to_bits()).collect())
            .collect()
    };
    assert_eq!(bits(&pj.leaves()), bits(&pe.leaves()));
    let float_state = |s: &StateOf<optim::Adam, P>| (s.0.mu.leaves(), s.0.nu.leaves());
    assert_eq!(bits(&float_state(&sj).0), bits(&float_state(&se).0));
    assert_eq!(bits(&float_state(&sj).1), bits(&float_state(&se).1));
    assert_eq!(sj.0.count.item::<i32>(), se.0.count.item::<i32>());
}

#[test]
fn chain_of_a_three_tuple_applies_each_part_in_order() {
    let opt = optim::chain((
        optim::clip_by_global_norm(1.0),
        optim::trace(0.5, false),
        optim::scale(-2.0),
    ));
    let p = (Tensor::scalar(0.0f32), Tensor::scalar(0.0f32));
    let g = (Tensor::scalar(3.0f32), Tensor::scalar(4.0f32));
    let s = opt.init(&p);
    let (u, s) = opt.update(&g, &s, &p);
    // clipped to (0.6, 0.8), trace = that, times -2.
    assert!((u.0.item::<f32>() + 1.2).abs() < 1e-6 && (u.1.item::<f32>() + 1.6).abs() < 1e-6);
    let (u, s) = opt.update(&g, &s, &p);
    // trace = 0.6 + 0.5 * 0.6 = 0.9.
    assert!((u.0.item::<f32>() + 1.8).abs() < 1e-6);
    assert!((s.1.trace.0.item::<f32>() - 0.9).abs() < 1e-6);
    let _: (
        optim::EmptyState,
        optim::TraceState<(Tensor, Tensor)>,
        optim::EmptyState,
    ) = s;
}

#[test]
fn an_optional_trace_is_the_identity_when_none() {
    let p = vec![Tensor::scalar(1.0f32)];
    let g = vec![Tensor::scalar(2.0f32)];
    let none: Option<optim::Trace> = None;
    let some = Some(optim::trace(0.5, false));
    let (sn, ss) = (none.init(&p), some.init(&p));
    assert!(sn.is_none());
    assert_eq!(ss.as_ref().unwrap().trace[0].item::<f32>(), 0.0);
    let (un, sn) = none.update(&g, &sn, &p);
    let (un, _) = none.update(&un, &sn, &p);
    assert_eq!(un[0].item::<f32>(), 2.0);
    let (_, ss) = some.update(&g, &ss, &p);
    let (us, _) = some.update(&g, &ss, &p);
    assert_eq!(us[0].item::<f32>(), 3.0);
    // sgd keeps one type with or without momentum.
    let plain: optim::Sgd = optim::sgd(0.1, None, false);
    let heavy: optim::Sgd = optim::sgd(0.1, 0.9, false);
    assert!(plain.init(&p).0.is_none() && heavy.init(&p).0.is_some());
}

#[test]
fn global_norm_and_apply_updates() {
    let t = (
        Tensor::from_vec(vec![1.0f32, 2.0], &[2]),
        Tensor::scalar(2.0f64),
    );
    assert_eq!(optim::global_norm(&t).item::<f64>(), 3.0);
    // apply_updates keeps each parameter's dtype.
    let p = vec![Tensor::scalar(1.0f32)];
    let u = vec![Tensor::scalar(0.5f32)];
    let q = optim::apply_updates(&p, &u);
    assert_eq!((q[0].dtype(), q[0].item::<f32>()), (DType::F32, 1.5));
}

#[test]
fn clip_by_global_norm_leaves_small_updates_alone() {
    let t = optim::clip_by_global_norm(10.0);
    let g = (Tensor::scalar(3.0f32), Tensor::scalar(4.0f32));
    let (u, _) = t.update(&g, &t.init(&g), &g);
    assert_eq!((u.0.item::<f32>(), u.1.item::<f32>()), (3.0, 4.0));
}

#[test]
fn a_state_made_for_other_shapes_panics_naming_both_structures() {
    use ferrax::nn;
    let key = ferrax::random::key(0);
    let small = nn::Linear::new(&key, 3, 2);
    let big = nn::Linear::new(&key, 4, 2);
    let opt = optim::adam(1e-3);
    let s = opt.init(&small);
    let msg = panic_message(|| {
        let _ = opt.update(&big, &s, &big);
    });
    let def = "PyTreeDef(Linear { kernel: *, bias: Some(*) })";
    assert!(
        msg.contains(&format!(
            "optim::scale_by_adam: the state was made for params {def} with shapes [[3, 2], [2]], \
             but update got params {def} with shapes [[4, 2], [2]]"
        )),
        "{msg}"
    );
}

#[test]
#[should_panic(
    expected = "optim::trace: the state was made for params PyTreeDef([*, *]) \
                           with shapes [[], []], but update got params PyTreeDef([*, *, *])"
)]
fn a_state_made_for_fewer_leaves_panics() {
    let opt = optim::sgd(0.1, 0.9, false);
    let two = vec![Tensor::scalar(1.0f32); 2];
    let three = vec![Tensor::scalar(1.0f32); 3];
    let s = opt.init(&two);
    let _ = opt.update(&three, &s, &three);
}

#[test]
fn a_masked_state_for_other_params_panics() {
    let opt = optim::adamw_with(
        1e-3,
        AdamOptions::default(),
        0.1,
        Some(Mask::new(|_, p| p.ndim() >= 1)),
    );
    let s = opt.init(&vec![Tensor::ones(&[2], DType::F32)]);
    let p = vec![Tensor::ones(&[2], DType::F32); 2];
    // Adam's own check comes first; the masked part checks its leaf count too.
    let msg = panic_message(|| {
        let _ = opt.update(&p, &s, &p);
    });
    assert!(
        msg.contains("PyTreeDef([*])") && msg.contains("PyTreeDef([*, *])"),
        "{msg}"
    );
    let masked = optim::masked(optim::scale(2.0), Mask::new(|_, _| true));
    let s = masked.init(&vec![Tensor::ones(&[2], DType::F32)]);
    let msg = panic_message(|| {
        let _ = masked.update(&p, &s, &p);
    });
    assert!(
        msg.contains("optim::masked: the state was made for params with 1 leaves")
            && msg.contains("PyTreeDef([*, *]) with 2 leaves"),
        "{msg}"
    );
}

#[test]
#[should_panic(expected = "Trace is set, but its state is None")]
fn an_sgd_state_without_momentum_given_to_sgd_with_momentum_panics() {
    let p = Tensor::scalar(1.0f32);
    let s = optim::sgd(0.1, None, false).init(&p);
    let _ = optim::sgd(0.1, 0.9, false).update(&p, &s, &p);
}

#[test]
#[should_panic(expected = "optim::identity: the updates are PyTreeDef([*])")]
fn mismatched_grads_panic() {
    let p = (Tensor::scalar(1.0f32), Tensor::scalar(1.0f32));
    let opt = optim::sgd(0.1, None, false);
    let s = opt.init(&vec![p.0.clone(), p.1.clone()]);
    let _ = opt.update(&vec![p.0.clone()], &s, &vec![p.0.clone(), p.1]);
}
