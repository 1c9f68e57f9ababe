//! The compiled program `jit` runs: elementwise fusion, buffer reuse and parallel steps give
//! the same values as evaluating the jaxpr equation by equation, and never clobber a buffer
//! someone else still holds.

use ferrax::core::check_jaxpr;
use ferrax::internals::interp::{eval_jaxpr, Program};
use ferrax::internals::passes::fuse;
use ferrax::prelude::*;
use ferrax::{lax, nn};

fn ramp(shape: &[usize], scale: f64) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n)
        .map(|i| ((i as f64 * 0.37).sin() * scale) as f32)
        .collect();
    Tensor::from_vec(v, shape)
}

/// Runs `j` three ways (equation by equation, fused + compiled, compiled unfused) and checks
/// bitwise equality; returns the fused jaxpr.
fn same_three_ways(j: &ClosedJaxpr, args: &[Tensor]) -> Jaxpr {
    let want = eval_jaxpr(&j.jaxpr, &j.consts, args);
    let inputs: Vec<Tensor> = j.consts.iter().chain(args).cloned().collect();
    let fused = fuse(&j.jaxpr);
    check_jaxpr(&fused).unwrap_or_else(|e| panic!("fused jaxpr does not check: {e}\n{fused}"));
    for (what, jaxpr) in [("fused", &fused), ("unfused", &*j.jaxpr)] {
        let got = Program::new(jaxpr).run(inputs.clone());
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.aval(), w.aval(), "{what}");
            assert_eq!(
                format!("{g:?}"),
                format!("{w:?}"),
                "{what} program differs from eval_jaxpr on\n{jaxpr}"
            );
        }
    }
    fused
}

fn count(j: &Jaxpr, name: &str) -> usize {
    j.to_string().matches(&format!("= {name}[")).count()
}

#[test]
fn chain_fuses_into_one_equation() {
    let x = ramp(&[3, 1000], 2.0);
    let j = make_jaxpr(|x: &Tensor| ((x * 2.0).sin() + 1.0).exp() / (x.abs() + 1.0))(&x);
    let fused = same_three_ways(&j, &[x]);
    assert_eq!(fused.eqns.len(), 1, "{fused}");
    assert_eq!(count(&fused, "fused"), 1);
}

#[test]
fn comparisons_selects_and_scalar_operands_fuse() {
    let x = ramp(&[5000], 3.0);
    let s = Tensor::scalar(0.25f32);
    let f = |(x, s): &(Tensor, Tensor)| {
        let y = x.tanh() * s;
        let pos = x.gt(0.0);
        lax::select_n(&pos, &[x * x - s, y])
    };
    let j = make_jaxpr(f)(&(x.clone(), s.clone()));
    let fused = same_three_ways(&j, &[x, s]);
    assert_eq!(count(&fused, "fused"), 1, "{fused}");
}

#[test]
fn values_read_outside_the_group_become_outputs() {
    let x = ramp(&[64, 32], 1.0);
    // `t` is used by the fused chain and by a reduction and a matmul outside it.
    let f = |x: &Tensor| {
        let t = (x * 3.0).tanh();
        let u = (&t * &t + 1.0).log();
        (t.sum(), u.matmul(&x.transpose(&[1, 0])), u.exp())
    };
    let j = make_jaxpr(f)(&x);
    let fused = same_three_ways(&j, &[x]);
    assert!(count(&fused, "fused") >= 1, "{fused}");
}

#[test]
fn f64_and_mixed_groups_of_different_shapes() {
    let a = Tensor::from_f64_values(
        &(0..300).map(|i| i as f64 * 0.01).collect::<Vec<_>>(),
        &[300],
        DType::F64,
    );
    let b = ramp(&[7, 11], 1.0);
    let f = |(a, b): &(Tensor, Tensor)| {
        (
            (a.sin() * 2.0 + a.cos()).sqrt(),
            (-(b.exp() - b)).maximum(b),
        )
    };
    let j = make_jaxpr(f)(&(a.clone(), b.clone()));
    let fused = same_three_ways(&j, &[a, b]);
    assert_eq!(count(&fused, "fused"), 2, "{fused}");
}

#[test]
fn large_groups_split_across_cores_with_the_same_result() {
    // 2^18 elements: above the parallel threshold.
    let x = ramp(&[512, 512], 4.0);
    let j = make_jaxpr(|x: &Tensor| nn::sigmoid(x) * x.tanh() + (x * 0.5).exp())(&x);
    same_three_ways(&j, &[x]);
}

#[test]
fn gradients_of_a_model_agree() {
    let w1 = ramp(&[16, 32], 0.3);
    let w2 = ramp(&[32, 4], 0.3);
    let x = ramp(&[8, 16], 1.0);
    let loss = |(w1, w2, x): &(Tensor, Tensor, Tensor)| {
        let h = nn::relu(&x.matmul(w1)).tanh();
        nn::log_softmax(&h.matmul(w2), -1).sum()
    };
    let args = (w1, w2, x);
    let j = make_jaxpr(grad(loss))(&args);
    let leaves = args.leaves();
    same_three_ways(&j, &leaves);
    let o = ferrax::internals::passes::optimize(&j);
    same_three_ways(&o, &leaves);
    // And through jit itself.
    let (g1, g2, g3) = jit(grad(loss))(&args);
    let (e1, e2, e3) = grad(loss)(&args);
    for (g, e) in [(g1, e1), (g2, e2), (g3, e3)] {
        let (g, e) = (g.to_vec::<f32>(), e.to_vec::<f32>());
        for (a, b) in g.iter().zip(&e) {
            assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }
}

#[test]
fn buffers_held_by_the_caller_are_never_overwritten() {
    let x = ramp(&[1000], 1.0);
    let before = x.to_vec::<f32>();
    let f = jit(|x: &Tensor| {
        let y = x.exp(); // x is dead after this only inside the program
        (&y + &y).sin()
    });
    let y = f(&x);
    assert_eq!(x.to_vec::<f32>(), before, "the input was modified in place");
    let want = (x.exp() + x.exp()).sin();
    assert_eq!(y.to_vec::<f32>(), want.to_vec::<f32>());
    // Outputs that alias inputs or each other stay independent values.
    let g = jit(|x: &Tensor| (x.clone(), x.clone(), x * 1.0));
    let (a, b, c) = g(&x);
    assert_eq!(a.to_vec::<f32>(), before);
    assert_eq!(b.to_vec::<f32>(), before);
    assert_eq!(c.to_vec::<f32>(), before);
}

#[test]
fn program_reuses_dead_buffers_in_place() {
    // Not observable from outside except by values: a long chain of unfusable-shaped ops
    // (each a separate equation) where every intermediate dies at its reader.
    let x = ramp(&[33, 17], 1.0);
    let f = |x: &Tensor| {
        let mut y = x.clone();
        for i in 0..6 {
            y = (y.transpose(&[1, 0]) * (i as f64 + 1.0))
                .sin()
                .transpose(&[1, 0]);
        }
        y
    };
    let j = make_jaxpr(f)(&x);
    same_three_ways(&j, &[x]);
}

#[test]
fn nested_jit_and_control_flow_run_inside_programs() {
    let x = ramp(&[6], 1.0);
    let inner = jit(|x: &Tensor| x.sin() * 2.0);
    let f = |x: &Tensor| {
        let y = inner(x);
        let (c, ys) = lax::scan(
            |c: &Tensor, x: &Tensor| (c + x, c * x),
            &Tensor::scalar(0.0f32),
            &y,
        );
        lax::cond(&c.gt(0.0), |v: &Tensor| v.exp(), |v: &Tensor| -v, &ys)
    };
    let got = jit(f)(&x);
    let want = f(&x);
    assert_eq!(got.to_vec::<f32>(), want.to_vec::<f32>());
}

#[test]
fn donated_inputs_give_the_same_values_and_spare_what_the_caller_holds() {
    use ferrax::transforms::{JitOptions, Jitted};
    let f = |(w, g): &(Tensor, Tensor)| ((w * 0.9 - g * 0.1).tanh(), g.sum());
    let step = Jitted::new(
        f,
        JitOptions {
            donate: true,
            ..Default::default()
        },
    );
    let g = ramp(&[256, 64], 1.0);
    let g_before = g.to_vec::<f32>();
    let mut w = ramp(&[256, 64], 2.0);
    let mut w_eager = w.clone();
    let kept = w.clone(); // the caller keeps the first w: it must not change
    let kept_before = kept.to_vec::<f32>();
    for _ in 0..3 {
        let (nw, _) = step.call_owned((w, g.clone()));
        w = nw;
        w_eager = f(&(w_eager, g.clone())).0;
        assert_eq!(w.to_vec::<f32>(), w_eager.to_vec::<f32>());
    }
    assert_eq!(g.to_vec::<f32>(), g_before);
    assert_eq!(kept.to_vec::<f32>(), kept_before);
}

#[test]
fn trailing_reductions_fuse_into_their_group() {
    // Softmax-like: max and sum over the last axis of group values, in the same pass.
    let x = ramp(&[300, 37], 3.0);
    let f = |x: &Tensor| {
        let y = (x * 2.0).tanh() + 1.0;
        let m = lax::reduce_max(&y, &[1]);
        let e = (&y * 3.0).exp();
        let s = lax::reduce_sum(&e, &[1]);
        let p = lax::reduce_prod(&(x * 0.01 + 1.0), &[1]);
        (m, s, e, p)
    };
    let j = make_jaxpr(f)(&x);
    let fused = same_three_ways(&j, std::slice::from_ref(&x));
    assert!(!fused.to_string().contains("\n    reduce_"), "{fused}");
    // Rows that do not fit a chunk, leading-axis and full reductions stay separate.
    let wide = ramp(&[3, 5000], 1.0);
    let g = |x: &Tensor| {
        let y = x.sin() * 2.0;
        (
            lax::reduce_sum(&y, &[1]),
            lax::reduce_sum(&y, &[0]),
            y.sum(),
        )
    };
    let j = make_jaxpr(g)(&wide);
    let fused = same_three_ways(&j, &[wide]);
    assert_eq!(
        fused.to_string().matches("reduce_sum").count(),
        3,
        "{fused}"
    );
    // A value read after its group's reduction (here: normalising by the row sum).
    let h = |x: &Tensor| {
        let e = x.exp();
        let s = lax::reduce_sum(&e, &[1]).reshape(&[300, 1]);
        &e / &s
    };
    let j = make_jaxpr(h)(&x);
    same_three_ways(&j, &[x]);
}

#[test]
fn inlining_calls_keeps_values_and_removes_the_calls() {
    use ferrax::internals::passes::inline_calls;
    let x = ramp(&[40], 2.0);
    let inner = jit(|x: &Tensor| x.cos() * 3.0);
    let f = |x: &Tensor| {
        let a = nn::relu(x); // custom_jvp_call
        let b = checkpoint(|x: &Tensor| x.sin().exp())(&a);
        let c = inner(&b);
        let d = ferrax::custom_vjp(
            "square",
            |x: &Tensor| x * x,
            |x: &Tensor| (x * x, x.clone()),
            |x: &Tensor, g: &Tensor| g * x * 2.0,
        )(&c);
        d + 1.0
    };
    let j = make_jaxpr(f)(&x);
    let text = j.to_string();
    for call in ["custom_jvp_call", "checkpoint", "jit[", "custom_vjp_call"] {
        assert!(text.contains(call), "{call} missing in\n{text}");
    }
    let flat = inline_calls(&j.jaxpr);
    check_jaxpr(&flat).unwrap_or_else(|e| panic!("{e}\n{flat}"));
    let flat_text = flat.to_string();
    for call in ["custom_jvp_call", "checkpoint", "jit[", "custom_vjp_call"] {
        assert!(!flat_text.contains(call), "{call} left in\n{flat_text}");
    }
    let want = eval_jaxpr(&j.jaxpr, &j.consts, std::slice::from_ref(&x));
    let got = eval_jaxpr(&flat, &j.consts, &[x]);
    assert_eq!(format!("{:?}", got[0]), format!("{:?}", want[0]));
}
