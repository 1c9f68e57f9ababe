//! `optim::fused` (one-pass Adam/AdamW, the `adam_update` primitive) against optax's chain in
//! ferrax (`optim::adam`/`adamw`, bit for bit, f32 and f64, over many steps), against optax's
//! own numbers (tests/golden/optim.txt), under `jit` (with and without donation), `vmap` and
//! `grad` (finite differences), and the training helper `train::adam_step`.

use crate::common::close::assert_allclose;
use crate::common::panics::panic_message;
use crate::optim::{flat, golden_flat, grads, params0, Params};
use ferrax::optim::{self, fused, AdamOptions, GradientTransformation};
use ferrax::prelude::*;
use ferrax::random;
use ferrax::test_util::check_grads;
use ferrax::transforms::{JitOptions, Jitted};

/// Parameters of several shapes (a matrix, a vector, a scalar) and `steps` random gradients.
fn problem(dtype: DType, steps: usize, seed: i64) -> (Vec<Tensor>, Vec<Vec<Tensor>>) {
    let shapes: [&[usize]; 3] = [&[7, 5], &[5], &[]];
    let keys = random::split(&random::key(seed), 1 + steps);
    let draw = |k: usize, scale: f64| -> Vec<Tensor> {
        let ks = random::split(&random::key_at(&keys, k), shapes.len());
        shapes
            .iter()
            .enumerate()
            .map(|(i, s)| (random::normal(&random::key_at(&ks, i), s) * scale).cast(dtype))
            .collect()
    };
    let params = draw(0, 1.0);
    // Gradients of very different sizes, some tiny (nu near zero: eps matters).
    let gs = (0..steps)
        .map(|t| draw(1 + t, [1.5, 1e-3, 0.1, 30.0][t % 4]))
        .collect();
    (params, gs)
}

fn bits(ts: &[Tensor]) -> Vec<u64> {
    ts.iter()
        .flat_map(|t| match t.dtype() {
            DType::F32 => t
                .to_vec::<f32>()
                .iter()
                .map(|v| v.to_bits() as u64)
                .collect::<Vec<_>>(),
            _ => t.to_vec::<f64>().iter().map(|v| v.to_bits()).collect(),
        })
        .collect()
}

/// Runs the chain `chain` and the fused `f` side by side for every gradient, asserting after
/// each step that parameters and both moments are bitwise equal.
fn assert_same_as_chain<T: GradientTransformation>(
    what: &str,
    chain: &T,
    f: &fused::FusedAdam,
    dtype: DType,
) {
    let (p0, gs) = problem(dtype, 12, 1);
    let (mut pc, mut sc) = (p0.clone(), chain.init(&p0));
    let (mut pf, mut sf) = (p0.clone(), f.init(&p0));
    for (t, g) in gs.iter().enumerate() {
        let (u, s) = chain.update(g, &sc, &pc);
        pc = optim::apply_updates(&pc, &u);
        sc = s;
        (pf, sf) = f.step(&pf, g, &sf);
        assert_eq!(
            bits(&pf),
            bits(&pc),
            "{what} {dtype:?}: params after step {t}"
        );
        let (mu, nu) = chain_moments(&sc);
        assert_eq!(
            bits(&sf.mu),
            bits(&mu),
            "{what} {dtype:?}: mu after step {t}"
        );
        assert_eq!(
            bits(&sf.nu),
            bits(&nu),
            "{what} {dtype:?}: nu after step {t}"
        );
        assert_eq!(sf.count.item::<i32>(), t as i32 + 1);
    }
}

/// The chain's moments: the first leaves of its state that are `ScaleByAdamState`'s `mu`
/// and `nu` (the state flattens to count, mu leaves, nu leaves, then the rest).
fn chain_moments<S: PyTree>(s: &S) -> (Vec<Tensor>, Vec<Tensor>) {
    let leaves = s.leaves();
    let n = 3;
    (leaves[1..1 + n].to_vec(), leaves[1 + n..1 + 2 * n].to_vec())
}

#[test]
fn fused_adam_equals_the_chain_bit_for_bit() {
    for dtype in [DType::F32, DType::F64] {
        assert_same_as_chain("adam", &optim::adam(0.01), &fused::adam(0.01), dtype);
        let o = AdamOptions {
            b1: 0.8,
            b2: 0.99,
            eps: 1e-6,
            eps_root: 1e-8,
            nesterov: false,
        };
        assert_same_as_chain(
            "adam options",
            &optim::adam_with(0.003, o),
            &fused::adam_with(0.003, o),
            dtype,
        );
        assert_same_as_chain("adamw", &optim::adamw(0.01), &fused::adamw(0.01), dtype);
        assert_same_as_chain(
            "adamw wd 0.1",
            &optim::adamw_with(0.02, o, 0.1, None),
            &fused::adamw_with(0.02, o, 0.1),
            dtype,
        );
        let sched = || optim::warmup_cosine_decay_schedule(0.0, 0.01, 2, 10, 0.001, 1.0);
        assert_same_as_chain(
            "adam schedule",
            &optim::adam(sched()),
            &fused::adam(sched()),
            dtype,
        );
    }
}

#[test]
fn fused_adam_matches_optax_goldens() {
    // The golden problem of tests/nn/optim.rs (optax 0.2.8, f32): final parameters after five
    // steps, with that file's tolerances (XLA's kernels for pow and sqrt differ by ulps).
    let cases: [(&str, fused::FusedAdam); 4] = [
        ("adam", fused::adam(0.01)),
        (
            "adam_eps_root",
            fused::adam_with(
                0.01,
                AdamOptions {
                    b1: 0.8,
                    b2: 0.99,
                    eps: 1e-6,
                    eps_root: 1e-8,
                    nesterov: false,
                },
            ),
        ),
        ("adamw", fused::adamw(0.01)),
        (
            "adam_warmup_cosine",
            fused::adam(optim::warmup_cosine_decay_schedule(
                0.0, 0.01, 2, 5, 0.001, 1.0,
            )),
        ),
    ];
    for (name, f) in cases {
        let mut p: Params = params0(DType::F32);
        let mut s = f.init(&p);
        for t in 0..5 {
            let prev = flat(&p);
            (p, s) = f.step(&p, &grads(t, DType::F32), &s);
            // The update optax returned is the step taken (up to the rounding of p + u - p).
            let u: Vec<f64> = flat(&p).iter().zip(&prev).map(|(a, b)| a - b).collect();
            let want = golden_flat(&format!("{name}_u{t}"));
            assert_allclose(&u, &want, 1e-3, 2e-7, &format!("{name} step {t}"));
        }
        assert_allclose(
            &flat(&p),
            &golden_flat(&format!("{name}_final")),
            1e-6,
            1e-7,
            &format!("{name} final params"),
        );
    }
}

#[test]
fn jitted_fused_steps_equal_eager_with_and_without_donation() {
    let (p0, gs) = problem(DType::F32, 6, 2);
    let f = fused::adamw(0.01);
    type State = (Vec<Tensor>, fused::FusedAdamState<Vec<Tensor>>);
    let body = |(st, g): &(State, Vec<Tensor>)| f.step(&st.0, g, &st.1);
    let plain = jit(body);
    let donated = Jitted::new(
        body,
        JitOptions {
            donate: true,
            ..Default::default()
        },
    );
    let (mut pe, mut se) = (p0.clone(), f.init(&p0));
    let mut sj: State = (p0.clone(), f.init(&p0));
    let mut sd: State = (p0.clone(), f.init(&p0));
    for g in &gs {
        (pe, se) = f.step(&pe, g, &se);
        sj = plain(&(sj, g.clone()));
        // A copy of the parameters the caller keeps must survive the donated step unchanged.
        let kept = sd.0[0].clone();
        let kept_bits = bits(std::slice::from_ref(&kept));
        sd = donated.call_owned((sd, g.clone()));
        assert_eq!(bits(std::slice::from_ref(&kept)), kept_bits);
        assert_eq!(bits(&sj.0), bits(&pe), "jit params");
        assert_eq!(bits(&sd.0), bits(&pe), "donated params");
        assert_eq!(bits(&sj.1.mu), bits(&se.mu), "jit mu");
        assert_eq!(bits(&sd.1.nu), bits(&se.nu), "donated nu");
    }
    assert_eq!(sd.1.count.item::<i32>(), 6);
}

#[test]
fn a_jitted_fused_step_is_one_adam_update_per_dtype() {
    let f = fused::adam(0.01);
    let p = vec![
        Tensor::zeros(&[3, 2], DType::F32),
        Tensor::zeros(&[2], DType::F32),
        Tensor::zeros(&[4], DType::F64),
    ];
    let s = f.init(&p);
    let j = make_jaxpr(
        |(p, g, s): &(Vec<Tensor>, Vec<Tensor>, fused::FusedAdamState<Vec<Tensor>>)| {
            f.step(p, g, s)
        },
    )(&(p.clone(), p.clone(), s));
    let text = j.to_string();
    assert_eq!(text.matches("adam_update[").count(), 2, "{text}");
}

#[test]
fn mixed_dtype_trees_update_each_group_as_the_chain_does() {
    let (p32, gs) = problem(DType::F32, 3, 3);
    let mut p: Vec<Tensor> = p32.clone();
    p[1] = p[1].cast(DType::F64);
    p[2] = p[2].cast(DType::BF16);
    let conv = |g: &Vec<Tensor>| vec![g[0].clone(), g[1].cast(DType::F64), g[2].cast(DType::BF16)];
    let (chain, f) = (optim::adamw(0.05), fused::adamw(0.05));
    let (mut pc, mut sc) = (p.clone(), chain.init(&p));
    let (mut pf, mut sf) = (p.clone(), f.init(&p));
    for g in &gs {
        let g = conv(g);
        let (u, s) = chain.update(&g, &sc, &pc);
        (pc, sc) = (optim::apply_updates(&pc, &u), s);
        (pf, sf) = f.step(&pf, &g, &sf);
    }
    for (a, b) in pf.iter().zip(&pc) {
        assert_eq!(a.dtype(), b.dtype());
        assert_eq!(
            a.cast(DType::F64).to_vec::<f64>(),
            b.cast(DType::F64).to_vec::<f64>()
        );
    }
}

#[test]
fn vmap_over_a_batch_of_problems_equals_each_step() {
    let f = fused::adam(0.02);
    let batch = 3;
    let (p0, gs) = problem(DType::F32, 1, 4);
    // Stack three different parameter sets and gradients along a new leading axis.
    let stack = |ts: Vec<Vec<Tensor>>| -> Vec<Tensor> {
        (0..ts[0].len())
            .map(|i| {
                let parts: Vec<Tensor> = ts.iter().map(|t| t[i].clone()).collect();
                ferrax::numpy::stack(&parts, 0)
            })
            .collect()
    };
    let ps: Vec<Vec<Tensor>> = (0..batch)
        .map(|b| p0.iter().map(|t| t * (1.0 + b as f64)).collect())
        .collect();
    let grads: Vec<Vec<Tensor>> = (0..batch)
        .map(|b| gs[0].iter().map(|t| t * (0.5 - b as f64)).collect())
        .collect();
    let states: Vec<_> = ps
        .iter()
        .map(|p| f.step(p, &grads[0], &f.init(p)).1)
        .collect();
    let want: Vec<(Vec<Tensor>, _)> = (0..batch)
        .map(|b| f.step(&ps[b], &grads[b], &states[b]))
        .collect();
    let bp = stack(ps.clone());
    let bg = stack(grads.clone());
    let bs = fused::FusedAdamState {
        count: states[0].count.clone(),
        mu: stack(states.iter().map(|s| s.mu.clone()).collect()),
        nu: stack(states.iter().map(|s| s.nu.clone()).collect()),
    };
    // The count is shared (unbatched): vmap only the leaves.
    let count = bs.count.clone();
    let (np, ns) = vmap(
        |(p, g, mu, nu): &(Vec<Tensor>, Vec<Tensor>, Vec<Tensor>, Vec<Tensor>)| {
            let s = fused::FusedAdamState {
                count: count.clone(),
                mu: mu.clone(),
                nu: nu.clone(),
            };
            let (p, s) = f.step(p, g, &s);
            (p, (s.mu, s.nu))
        },
    )(&(bp, bg, bs.mu, bs.nu));
    for (b, (wp, ws)) in want.iter().enumerate().take(batch) {
        let bi = b as i64;
        let member = |t: &Tensor| t.index(ferrax::idx![bi]);
        for (i, npi) in np.iter().enumerate() {
            assert_eq!(bits(&[member(npi)]), bits(std::slice::from_ref(&wp[i])));
            assert_eq!(
                bits(&[member(&ns.0[i])]),
                bits(std::slice::from_ref(&ws.mu[i]))
            );
            assert_eq!(
                bits(&[member(&ns.1[i])]),
                bits(std::slice::from_ref(&ws.nu[i]))
            );
        }
    }
}

#[test]
fn vmap_over_learning_rates_takes_the_ops_path_with_the_same_bits() {
    let (p0, gs) = problem(DType::F32, 1, 5);
    let lrs = Tensor::from_vec(vec![0.1f32, 0.01, 0.001], &[3]);
    let s0 = fused::adam(0.1).init(&p0);
    let out = vmap(|lr: &Tensor| {
        let f = fused::adam(optim::LearningRate::Tensor(lr.clone()));
        f.step(&p0, &gs[0], &s0).0
    })(&lrs);
    for (b, lr) in [0.1f32, 0.01, 0.001].into_iter().enumerate() {
        let bi = b as i64;
        let f = fused::adam(optim::LearningRate::Tensor(Tensor::scalar(lr)));
        let want = f.step(&p0, &gs[0], &s0).0;
        for (o, w) in out.iter().zip(&want) {
            assert_eq!(
                bits(&[o.index(ferrax::idx![bi])]),
                bits(std::slice::from_ref(w))
            );
        }
    }
}

#[test]
fn gradients_through_a_fused_step_match_finite_differences() {
    let (p0, gs) = problem(DType::F64, 2, 6);
    let f = fused::adamw_with(0.1, AdamOptions::default(), 0.05);
    // A state with nonzero moments, from one step.
    let (p1, s1) = f.step(&p0, &gs[0], &f.init(&p0));
    // Through params, grads and moments at once.
    check_grads(
        |(p, g, mu, nu): &(Vec<Tensor>, Vec<Tensor>, Vec<Tensor>, Vec<Tensor>)| {
            let s = fused::FusedAdamState {
                count: s1.count.clone(),
                mu: mu.clone(),
                nu: nu.clone(),
            };
            let (p, s) = f.step(p, g, &s);
            (p, s.mu, s.nu)
        },
        // nu away from zero, so the finite differences' perturbations keep it positive.
        &(
            p1.clone(),
            gs[1].clone(),
            s1.mu.clone(),
            s1.nu.iter().map(|t| t + 0.5).collect::<Vec<_>>(),
        ),
        1,
    );
    // Through the learning rate (a meta-gradient), and equal to the chain's.
    let loss_f = |lr: &Tensor| {
        let f = fused::adam(optim::LearningRate::Tensor(lr.clone()));
        let (p, _) = f.step(&p1, &gs[1], &s1);
        p.iter()
            .map(|t| (t * t).sum())
            .fold(Tensor::scalar(0.0f64), |a, b| a + b)
    };
    check_grads(loss_f, &Tensor::scalar(0.1f64), 1);
    let chain_loss = |lr: &Tensor| {
        let chain = optim::adam(optim::LearningRate::Tensor(lr.clone()));
        let mut st = chain.init(&p1);
        st.0 = s1.clone();
        let (u, _) = chain.update(&gs[1], &st, &p1);
        let p = optim::apply_updates(&p1, &u);
        p.iter()
            .map(|t| (t * t).sum())
            .fold(Tensor::scalar(0.0f64), |a, b| a + b)
    };
    let lr = Tensor::scalar(0.1f64);
    assert_allclose(
        &[grad(loss_f)(&lr).item::<f64>()],
        &[grad(chain_loss)(&lr).item::<f64>()],
        1e-12,
        0.0,
        "d loss / d lr, fused vs chain",
    );
}

#[test]
fn train_adam_step_fits_and_equals_the_eager_chain() {
    use ferrax::data::Batches;
    use ferrax::train::{adam_step, Trainer};
    let x = Tensor::linspace(-1.0, 1.0, 32, DType::F32).reshape(&[32, 1]);
    let y = &x * -2.0 + 0.5;
    let batches = Batches::new(&(x.clone(), y.clone()), 8);
    let loss =
        |(w, b): &(Tensor, Tensor), (x, y): &(Tensor, Tensor)| (x.matmul(w) + b - y).powi(2).mean();
    let p0 = (
        Tensor::zeros(&[1, 1], DType::F32),
        Tensor::zeros(&[1], DType::F32),
    );
    let opt = fused::adamw(0.05);
    let ((p, s), h) = Trainer::new(3).progress(false).fit(
        (p0.clone(), opt.init(&p0)),
        &batches,
        adam_step(&opt, loss),
        |_, _| vec![],
    );
    assert_eq!(s.count.item::<i32>(), 12);
    assert!(h.epochs[2].loss < h.epochs[0].loss);
    // The same twelve steps eagerly with optax's chain.
    let chain = optim::adamw(0.05);
    let (mut pc, mut sc) = (p0.clone(), chain.init(&p0));
    for e in 0..3 {
        for b in batches.epoch(e) {
            let g = grad(|p: &(Tensor, Tensor)| loss(p, &b))(&pc);
            let (u, s) = chain.update(&g, &sc, &pc);
            (pc, sc) = (optim::apply_updates(&pc, &u), s);
        }
    }
    assert_eq!(p.0.to_vec::<f32>(), pc.0.to_vec::<f32>());
    assert_eq!(p.1.to_vec::<f32>(), pc.1.to_vec::<f32>());
}

#[test]
fn mismatched_gradients_and_nesterov_panic_naming_the_op() {
    let f = fused::adam(0.1);
    let p = vec![Tensor::zeros(&[2], DType::F32)];
    let s = f.init(&p);
    let msg = panic_message(|| f.step(&p, &vec![Tensor::zeros(&[3], DType::F32)], &s));
    assert!(msg.contains("fused::adam"), "{msg}");
    let msg = panic_message(|| {
        fused::adam_with(
            0.1,
            AdamOptions {
                nesterov: true,
                ..Default::default()
            },
        )
    });
    assert!(msg.contains("Nesterov"), "{msg}");
}
