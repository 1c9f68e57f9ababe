//! The optimizers and transformations of issue 19 (lion, lamb, lars, ..., clip, centralize)
//! against optax 0.2.8's own numbers (tests/golden/optim.txt, made by
//! tests/golden/make_optim.py): five updates on a two-leaf pytree, the final parameters, and a
//! jitted step of each against the eager one.

use crate::common::close::assert_allclose as assert_close;
use crate::optim::{golden_flat, grads, params0, run, Params};
use ferrax::optim::{self, GradientTransformation, Mask, StateOf};
use ferrax::prelude::*;

/// Calls `$f(name, optimizer)` for each golden case of this file.
macro_rules! more_optimizers {
    ($f:path) => {{
        $f("lion", optim::lion(0.01));
        $f(
            "lion_opts",
            optim::lion_with(
                0.01,
                optim::ScaleByLion { b1: 0.8, b2: 0.9 },
                0.1,
                Some(Mask::from_leaves(vec![true, false])),
            ),
        );
        $f("lamb", optim::lamb(0.01));
        $f(
            "lamb_wd",
            optim::lamb_with(0.01, optim::scale_by_adam(0.9, 0.999, 1e-6, 0.0), 0.1, None),
        );
        $f("lars", optim::lars(0.1));
        $f(
            "lars_opts",
            optim::lars_with(
                0.1,
                optim::LarsOptions {
                    weight_decay: 0.01,
                    trust_coefficient: 0.01,
                    trust_ratio_mask: Some(Mask::from_leaves(vec![true, false])),
                    nesterov: true,
                    ..Default::default()
                },
            ),
        );
        $f("adabelief", optim::adabelief(0.01));
        $f(
            "adabelief_nesterov",
            optim::adabelief_with(
                0.01,
                optim::ScaleByBelief {
                    nesterov: true,
                    ..Default::default()
                },
            ),
        );
        $f("adamax", optim::adamax(0.01));
        $f(
            "adamaxw",
            optim::adamaxw_with(0.01, optim::ScaleByAdamax::default(), 0.1, None),
        );
        $f("nadamw", optim::nadamw(0.01));
        $f("radam", optim::radam(0.01));
        $f(
            "radam_low_threshold",
            optim::radam_with(
                0.01,
                optim::ScaleByRadam {
                    b2: 0.9,
                    threshold: 4.5,
                    ..Default::default()
                },
            ),
        );
        $f("novograd", optim::novograd(0.01));
        $f(
            "novograd_wd",
            optim::novograd_with(
                0.01,
                optim::ScaleByNovograd {
                    eps: 1e-6,
                    weight_decay: 0.1,
                    ..Default::default()
                },
            ),
        );
        $f("sm3", optim::sm3(0.1, 0.9));
        $f("yogi", optim::yogi(0.01));
        $f("noisy_sgd", optim::noisy_sgd(0.1, 0.01, 0.55, 0));
        $f("fromage", optim::fromage(0.01, 1e-6));
        $f("amsgrad", optim::amsgrad(0.01));
        $f("adadelta", optim::adadelta(1.0));
        $f(
            "adadelta_wd",
            optim::adadelta_with(
                1.0,
                optim::ScaleByAdadelta {
                    rho: 0.8,
                    eps: 1e-6,
                },
                0.1,
                None,
            ),
        );
        $f("adan", optim::adan(0.01));
        $f(
            "adan_wd",
            optim::adan_with(
                0.01,
                optim::ScaleByAdan {
                    eps_root: 1e-8,
                    ..Default::default()
                },
                0.1,
                None,
            ),
        );
        $f("rprop", optim::rprop(optim::ScaleByRprop::new(0.01)));
        $f("sign_sgd", optim::sign_sgd(0.01));
        $f("signum", optim::signum(0.01, 0.9));
        $f(
            "optimistic_gd",
            optim::optimistic_gradient_descent(0.01, 1.0, 1.0),
        );
        $f("optimistic_adam", optim::optimistic_adam(0.01, None));
        $f(
            "optimistic_adam_v2",
            optim::optimistic_adam_v2(0.01, 0.5, 0.8),
        );
        $f("adafactor", optim::adafactor(Some(0.01.into())));
        $f(
            "adafactor_factored",
            optim::adafactor_with(
                Some(0.01.into()),
                optim::AdafactorOptions {
                    min_dim_size_to_factor: 2,
                    momentum: Some(0.9),
                    weight_decay_rate: Some(0.01),
                    clipping_threshold: Some(0.5),
                    ..Default::default()
                },
            ),
        );
        $f(
            "adafactor_no_lr",
            optim::adafactor_with(
                None,
                optim::AdafactorOptions {
                    min_dim_size_to_factor: 2,
                    ..Default::default()
                },
            ),
        );
        $f(
            "sgd_clip_value",
            optim::chain((optim::clip(1.0), optim::sgd(0.1, None, false))),
        );
        $f(
            "sgd_clip_block_rms",
            optim::chain((optim::clip_by_block_rms(0.5), optim::sgd(0.1, None, false))),
        );
        $f(
            "sgd_centralize",
            optim::chain((optim::centralize(), optim::sgd(0.1, None, false))),
        );
        $f(
            "sgd_normalize",
            optim::chain((
                optim::normalize_by_update_norm(1.0, 1e-6),
                optim::sgd(0.1, None, false),
            )),
        );
        $f(
            "sgd_param_block_rms",
            optim::chain((
                optim::scale_by_param_block_rms(1e-3),
                optim::sgd(0.1, None, false),
            )),
        );
        $f(
            "sgd_keep_nonneg",
            optim::chain((
                optim::sgd(1.0, None, false),
                optim::keep_params_nonnegative(),
            )),
        );
    }};
}

fn check_golden<T: GradientTransformation>(name: &str, opt: T) {
    let (ups, fin) = run(&opt, DType::F32);
    for (t, u) in ups.iter().enumerate() {
        let want = golden_flat(&format!("{name}_u{t}"));
        // f32 arithmetic in optax's op order, other kernels (pow, rsqrt, sums): a few ulps of
        // the largest update.
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert_close(u, &want, 1e-5, 1e-6 * scale, &format!("{name} step {t}"));
    }
    let want = golden_flat(&format!("{name}_final"));
    assert_close(&fin, &want, 1e-6, 1e-6, &format!("{name} final params"));
}

#[test]
fn every_new_optimizer_matches_optax_for_five_steps() {
    more_optimizers!(check_golden);
}

/// Three updates by a jitted step equal the eager ones (same state after each).
fn check_jit<T: GradientTransformation>(name: &str, opt: T) {
    let eager = opt.clone();
    let step = jit(move |(g, s, p): &(Params, StateOf<T, Params>, Params)| {
        let (u, s) = opt.update(g, s, p);
        (optim::apply_updates(p, &u), s)
    });
    let mut p_eager = params0(DType::F32);
    let mut s_eager = eager.init(&p_eager);
    let mut p_jit = p_eager.clone();
    let mut s_jit = s_eager.clone();
    for t in 0..3 {
        let g = grads(t, DType::F32);
        let (u, s) = eager.update(&g, &s_eager, &p_eager);
        p_eager = optim::apply_updates(&p_eager, &u);
        s_eager = s;
        (p_jit, s_jit) = step(&(g, s_jit, p_jit));
        let flat = |p: &Params| crate::optim::flat(p);
        assert_close(
            &flat(&p_jit),
            &flat(&p_eager),
            1e-6,
            1e-7,
            &format!("{name} jit step {t}"),
        );
        let (a, b) = (s_jit.leaves(), s_eager.leaves());
        assert_eq!(a.len(), b.len(), "{name}: state leaves");
        for (x, y) in a.iter().zip(&b) {
            let (x, y) = (
                x.cast(DType::F64).to_vec::<f64>(),
                y.cast(DType::F64).to_vec::<f64>(),
            );
            assert_close(&x, &y, 1e-6, 1e-7, &format!("{name} jit state step {t}"));
        }
    }
}

#[test]
fn every_new_optimizer_jits_to_the_eager_step() {
    more_optimizers!(check_jit);
}

#[test]
fn states_are_typed_as_optax_names_them() {
    let p = params0(DType::F32);
    let s: optim::StateOf<optim::Lion, Params> = optim::lion(0.1).init(&p);
    assert_eq!(s.0.mu.0.shape(), &[2, 3]);
    let s = optim::adan(0.1).init(&p);
    assert_eq!((s.0.t.item::<i32>(), s.0.g.1.shape()), (0, &[3usize][..]));
    let s = optim::novograd(0.1).init(&p);
    assert_eq!(s.0.nu.len(), 2);
    let s = optim::sm3(0.1, 0.9).init(&p);
    let shapes: Vec<_> = s.0.mu.iter().map(|m| m.shape().to_vec()).collect();
    assert_eq!(shapes, vec![vec![2], vec![3], vec![3]]);
}

#[test]
fn lion_state_from_other_params_panics_naming_the_transformation() {
    let p = params0(DType::F32);
    let opt = optim::lion(0.1);
    let other = (
        Tensor::zeros(&[3, 2], DType::F32),
        Tensor::zeros(&[3], DType::F32),
    );
    let s = opt.init(&other);
    let msg = crate::common::panics::panic_message(|| opt.update(&p, &s, &p));
    assert!(
        msg.contains("scale_by_lion") && msg.contains("[3, 2]"),
        "{msg}"
    );
}

/// Two steps from a fresh state, vmapped over a batch of three parameter sets, equal a loop.
fn check_vmap<T: GradientTransformation>(name: &str, opt: T) {
    let two_steps = |(p, g0, g1): &(Params, Params, Params)| {
        let s = opt.init(p);
        let (u, s) = opt.update(g0, &s, p);
        let p = optim::apply_updates(p, &u);
        let (u, _) = opt.update(g1, &s, &p);
        optim::apply_updates(&p, &u)
    };
    let scale = |p: &Params, k: f64| (&p.0 * k, &p.1 * k);
    let stack = |xs: Vec<Params>| {
        let w: Vec<Tensor> = xs.iter().map(|p| p.0.clone()).collect();
        let b: Vec<Tensor> = xs.iter().map(|p| p.1.clone()).collect();
        (ferrax::numpy::stack(&w, 0), ferrax::numpy::stack(&b, 0))
    };
    let ks = [1.0, -0.5, 2.0];
    let examples: Vec<(Params, Params, Params)> = ks
        .iter()
        .map(|&k| {
            (
                scale(&params0(DType::F32), k),
                scale(&grads(0, DType::F32), k),
                scale(&grads(1, DType::F32), 1.0 / k),
            )
        })
        .collect();
    let batched = vmap(two_steps)(&(
        stack(examples.iter().map(|e| e.0.clone()).collect()),
        stack(examples.iter().map(|e| e.1.clone()).collect()),
        stack(examples.iter().map(|e| e.2.clone()).collect()),
    ));
    for (i, e) in examples.iter().enumerate() {
        let one = two_steps(e);
        let got = (
            batched.0.index_axis(0, i as isize),
            batched.1.index_axis(0, i as isize),
        );
        assert_close(
            &crate::optim::flat(&got),
            &crate::optim::flat(&one),
            1e-6,
            1e-7,
            &format!("{name} vmap example {i}"),
        );
    }
}

#[test]
fn new_optimizers_vmap_as_a_loop() {
    more_optimizers!(check_vmap);
}

#[test]
fn polyak_sgd_matches_optax() {
    let cases = [
        ("polyak_sgd", optim::polyak_sgd(1.0, 1.0, 0.0, 0.0, false)),
        (
            "polyak_sgd_opts",
            optim::polyak_sgd(0.3, 0.5, 1.0, 0.1, true),
        ),
    ];
    for (name, opt) in cases {
        let mut p = params0(DType::F32);
        let mut s = opt.init(&p);
        for t in 0..5 {
            let value = (p.0.square().sum() + p.1.square().sum()) * 0.5;
            let (u, s2) = opt.update(&grads(t, DType::F32), &s, &p, &value);
            p = optim::apply_updates(&p, &u);
            s = s2;
            let want = golden_flat(&format!("{name}_u{t}"));
            assert_close(
                &crate::optim::flat(&u),
                &want,
                1e-5,
                1e-7,
                &format!("{name} step {t}"),
            );
        }
        let want = golden_flat(&format!("{name}_final"));
        assert_close(
            &crate::optim::flat(&p),
            &want,
            1e-6,
            1e-6,
            &format!("{name} final"),
        );
    }
}
