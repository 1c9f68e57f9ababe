//! `lax::cond` and `lax::switch`: values against plain Rust `if`/`match`, pytrees, forward
//! and reverse mode (to order 2), batching with batched and unbatched predicates, branches
//! closing over outer tracers, error messages, and the printed jaxpr against JAX's.

use ferrax::internals::interp::eval_closed;
use ferrax::lax;
use ferrax::prelude::*;
use ferrax::test_util::check_grads;
use ferrax::transforms::{vmap, vmap_with, AxisSpec, VmapSpec};

fn t64(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}

fn s64(v: f64) -> Tensor {
    Tensor::scalar(v)
}

use crate::common;
use common::close::assert_close as close;

// ---- Printing --------------------------------------------------------------------------

#[test]
fn golden_cond_matches_jax() {
    let f = |(p, x): &(Tensor, Tensor)| lax::cond(p, |x: &Tensor| x.sin(), |x: &Tensor| x.cos(), x);
    let j = make_jaxpr(f)(&(Tensor::scalar(true), Tensor::scalar(0.0f32)));
    let expected = "\
{ lambda ; a:bool[] b:f32[]. let
    c:i32[] = convert_element_type[new_dtype=int32 weak_type=False] a
    d:f32[] = cond[
      branches=(
        { lambda ; e:f32[]. let f:f32[] = cos e in (f,) }
        { lambda ; g:f32[]. let h:f32[] = sin g in (h,) }
      )
    ] c b
  in (d,) }";
    assert_eq!(j.to_string(), expected);
}

#[test]
fn switch_prints_convert_and_clamp_then_one_cond() {
    let f = |(i, x): &(Tensor, Tensor)| {
        lax::switch(
            i,
            &[
                &|x: &Tensor| x.sin(),
                &|x: &Tensor| x.cos(),
                &|x: &Tensor| x.exp(),
            ],
            x,
        )
    };
    let j = make_jaxpr(f)(&(Tensor::scalar(0i32), Tensor::scalar(0.0f32)));
    let text = j.to_string();
    assert!(text.contains("clamp 0:i32[] a 2:i32[]"), "{text}");
    assert_eq!(text.matches("cond[").count(), 1, "{text}");
    assert_eq!(text.matches("{ lambda").count(), 4, "{text}");
}

#[test]
fn captured_values_are_hoisted_to_leading_operands() {
    let w = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    let v = Tensor::from_vec(vec![3.0f32, 4.0], &[2]);
    let f =
        |(p, x): &(Tensor, Tensor)| lax::cond(p, |x: &Tensor| x * &w, |x: &Tensor| x + &v + &w, x);
    let j = make_jaxpr(f)(&(Tensor::scalar(true), Tensor::zeros(&[2], DType::F32)));
    // Captured: w (true branch, traced first is false_fn: v and w) -> two consts, shared.
    let eqn = j.jaxpr.eqns.last().unwrap();
    assert_eq!(eqn.inputs.len(), 1 + 2 + 1, "{j}");
    let Some(op) = eqn
        .prim
        .downcast::<ferrax::internals::control_flow::cond::CondOp>()
    else {
        panic!("not a cond: {j}")
    };
    for b in &op.branches {
        assert_eq!(b.0.invars.len(), 3);
    }
    // The traced cond evaluates like the eager one, for both predicates.
    for p in [true, false] {
        let x = Tensor::from_vec(vec![0.5f32, -1.0], &[2]);
        let got = eval_closed(&j, &[Tensor::scalar(p), x.clone()]);
        let want = f(&(Tensor::scalar(p), x));
        assert_eq!(got[0].to_vec::<f32>(), want.to_vec::<f32>());
    }
}

// ---- Values ----------------------------------------------------------------------------

fn plain(p: bool, x: f64) -> f64 {
    if p {
        x.sin() * x
    } else {
        x.exp() - 1.0
    }
}

#[test]
fn values_match_plain_if_else_eager_and_traced() {
    let f = |(p, x): &(Tensor, Tensor)| {
        lax::cond(p, |x: &Tensor| x.sin() * x, |x: &Tensor| x.exp() - 1.0, x)
    };
    let j = make_jaxpr(f)(&(Tensor::scalar(true), s64(0.0)));
    for p in [true, false] {
        for x in [-1.5, 0.0, 0.3, 2.0] {
            let eager = f(&(Tensor::scalar(p), s64(x))).item::<f64>();
            let traced = eval_closed(&j, &[Tensor::scalar(p), s64(x)])[0].item::<f64>();
            assert_eq!(eager, plain(p, x));
            assert_eq!(traced, plain(p, x));
        }
    }
}

#[test]
fn integer_predicates_mean_nonzero() {
    let f = |(p, x): &(Tensor, Tensor)| lax::cond(p, |x: &Tensor| x * 2.0, |x: &Tensor| x * 3.0, x);
    let j = make_jaxpr(f)(&(Tensor::scalar(0i32), s64(0.0)));
    assert!(j.to_string().contains("ne a 0:i32[]"), "{j}");
    for p in [-2i32, 0, 1, 5] {
        let want = if p != 0 { 2.0 } else { 3.0 };
        assert_eq!(f(&(Tensor::scalar(p), s64(1.0))).item::<f64>(), want);
        assert_eq!(
            eval_closed(&j, &[Tensor::scalar(p), s64(1.0)])[0].item::<f64>(),
            want
        );
    }
    let u = Tensor::scalar(7u32);
    assert_eq!(f(&(u, s64(1.0))).item::<f64>(), 2.0);
}

#[test]
fn switch_clamps_the_index_eager_and_traced() {
    let b0 = |x: &Tensor| x + 1.0;
    let b1 = |x: &Tensor| x * 10.0;
    let b2 = |x: &Tensor| -x;
    let branches: [&dyn Fn(&Tensor) -> Tensor; 3] = [&b0, &b1, &b2];
    let f = |(i, x): &(Tensor, Tensor)| lax::switch(i, &branches, x);
    let j = make_jaxpr(f)(&(Tensor::scalar(0i32), s64(0.0)));
    let plain = |i: i32, x: f64| match i.clamp(0, 2) {
        0 => x + 1.0,
        1 => x * 10.0,
        _ => -x,
    };
    for i in [-100, -1, 0, 1, 2, 3, 1000] {
        let x = 1.5;
        assert_eq!(f(&(Tensor::scalar(i), s64(x))).item::<f64>(), plain(i, x));
        let traced = eval_closed(&j, &[Tensor::scalar(i), s64(x)])[0].item::<f64>();
        assert_eq!(traced, plain(i, x), "index {i}");
    }
    // Unsigned indices clamp at the top without wrapping.
    let ju = make_jaxpr(f)(&(Tensor::scalar(0u32), s64(0.0)));
    for i in [0u32, 1, 2, 3, u32::MAX] {
        let want = plain(i.min(2) as i32, 2.0);
        assert_eq!(f(&(Tensor::scalar(i), s64(2.0))).item::<f64>(), want);
        assert_eq!(
            eval_closed(&ju, &[Tensor::scalar(i), s64(2.0)])[0].item::<f64>(),
            want
        );
    }
    // One branch: just the branch, no cond.
    let one: [&dyn Fn(&Tensor) -> Tensor; 1] = [&b1];
    let j1 = make_jaxpr(|(i, x): &(Tensor, Tensor)| lax::switch(i, &one, x))(&(
        Tensor::scalar(0i32),
        s64(0.0),
    ));
    assert!(!j1.to_string().contains("cond"), "{j1}");
}

#[test]
fn pytree_operands_and_outputs() {
    type Ops = (Tensor, Vec<Tensor>);
    type Out = (Tensor, (Tensor, Tensor));
    let tf = |(a, v): &Ops| -> Out { (a * &v[0], (v[1].sin(), a + &v[1])) };
    let ff = |(a, v): &Ops| -> Out { (a - &v[0], (v[1].cos(), a * &v[1])) };
    let ops: Ops = (
        t64(&[1.0, 2.0], &[2]),
        vec![t64(&[3.0, 4.0], &[2]), s64(0.5)],
    );
    let f = |(p, ops): &(Tensor, Ops)| lax::cond(p, tf, ff, ops);
    let j = make_jaxpr(f)(&(Tensor::scalar(true), ops.clone()));
    for p in [true, false] {
        let want = if p { tf(&ops) } else { ff(&ops) };
        let got = f(&(Tensor::scalar(p), ops.clone()));
        let mut args = vec![Tensor::scalar(p)];
        args.extend(ops.leaves());
        let traced = eval_closed(&j, &args);
        for ((w, g), t) in want.leaves().iter().zip(got.leaves()).zip(traced) {
            assert_eq!(w.to_vec::<f64>(), g.to_vec::<f64>());
            assert_eq!(w.to_vec::<f64>(), t.to_vec::<f64>());
        }
    }
}

// ---- Derivatives -----------------------------------------------------------------------

fn piecewise(x: &Tensor) -> Tensor {
    // pred depends on x, so the chosen branch changes with the input.
    lax::cond(
        &x.sum().gt(0.0),
        |x: &Tensor| (x.sin() * x).sum(),
        |x: &Tensor| (x * x * x).sum() + x.exp().sum(),
        x,
    )
}

#[test]
fn jvp_and_grad_through_cond() {
    for xs in [[0.3, 1.2, -0.4], [-0.3, -1.2, 0.4]] {
        let x = t64(&xs, &[3]);
        let pos: bool = xs.iter().sum::<f64>() > 0.0;
        let dfdx: Vec<f64> = xs
            .iter()
            .map(|&v| {
                if pos {
                    v.cos() * v + v.sin()
                } else {
                    3.0 * v * v + v.exp()
                }
            })
            .collect();
        let g = grad(piecewise)(&x);
        close(&g.to_vec::<f64>(), &dfdx, 1e-12);
        let t = t64(&[1.0, -2.0, 0.5], &[3]);
        let (y, dy) = jvp(piecewise, &x, &t);
        let want_y: f64 = xs
            .iter()
            .map(|&v| {
                if pos {
                    v.sin() * v
                } else {
                    v * v * v + v.exp()
                }
            })
            .sum();
        close(&[y.item::<f64>()], &[want_y], 1e-12);
        let want_dy: f64 = dfdx.iter().zip([1.0, -2.0, 0.5]).map(|(a, b)| a * b).sum();
        close(&[dy.item::<f64>()], &[want_dy], 1e-12);
    }
}

#[test]
fn check_grads_order_two_through_cond() {
    check_grads(piecewise, &t64(&[0.3, 1.2, -0.4], &[3]), 2);
    check_grads(piecewise, &t64(&[-0.3, -1.2, 0.4], &[3]), 2);
    // Non-scalar, several outputs, pytree operands.
    let f = |(a, b): &(Tensor, Tensor)| {
        lax::cond(
            &a.sum().lt(b.sum()),
            |(a, b): &(Tensor, Tensor)| (a * b, a.tanh()),
            |(a, b): &(Tensor, Tensor)| (a.sin() + b, b * b),
            &(a.clone(), b.clone()),
        )
    };
    let a = t64(&[0.2, -0.7], &[2]);
    let b = t64(&[1.1, 0.4], &[2]);
    check_grads(f, &(a.clone(), b.clone()), 2);
    check_grads(f, &(b, a), 2);
}

#[test]
fn check_grads_order_two_through_switch() {
    for k in [-1i32, 0, 1, 2, 5] {
        let f = move |x: &Tensor| {
            let b0 = |x: &Tensor| x.sin() * x;
            let b1 = |x: &Tensor| x.exp();
            let b2 = |x: &Tensor| x * x * x;
            let bs: [&dyn Fn(&Tensor) -> Tensor; 3] = [&b0, &b1, &b2];
            lax::switch(&Tensor::scalar(k), &bs, x)
        };
        check_grads(f, &t64(&[0.3, -0.8], &[2]), 2);
    }
}

#[test]
fn branches_closing_over_differentiated_parameters() {
    // w is differentiated; the branches capture it (an outer tracer), not as an operand.
    let loss = |(w, x): &(Tensor, Tensor)| {
        let p = x.sum().gt(0.0);
        lax::cond(
            &p,
            |x: &Tensor| (x * w).sum(),
            |x: &Tensor| (x.sin() * w * w).sum(),
            x,
        )
    };
    let w = t64(&[0.5, -1.5], &[2]);
    for xs in [[1.0, 2.0], [-1.0, -2.0]] {
        let x = t64(&xs, &[2]);
        let (gw, gx) = grad(loss)(&(w.clone(), x.clone()));
        let wv = [0.5, -1.5];
        let (want_gw, want_gx): (Vec<f64>, Vec<f64>) = if xs[0] > 0.0 {
            (xs.to_vec(), wv.to_vec())
        } else {
            (
                xs.iter().zip(wv).map(|(x, w)| 2.0 * x.sin() * w).collect(),
                xs.iter().zip(wv).map(|(x, w)| x.cos() * w * w).collect(),
            )
        };
        close(&gw.to_vec::<f64>(), &want_gw, 1e-12);
        close(&gx.to_vec::<f64>(), &want_gx, 1e-12);
        check_grads(loss, &(w.clone(), x), 2);
    }
    // Only the captured parameter is differentiated (the operand is a constant).
    let x = t64(&[-1.0, -2.0], &[2]);
    let gw = grad(|w: &Tensor| loss(&(w.clone(), x.clone())))(&w);
    let want: Vec<f64> = [-1.0f64, -2.0]
        .iter()
        .zip([0.5, -1.5])
        .map(|(x, w)| 2.0 * x.sin() * w)
        .collect();
    close(&gw.to_vec::<f64>(), &want, 1e-12);
}

#[test]
fn hessian_and_nested_conds() {
    let f = |x: &Tensor| {
        lax::cond(
            &x.sum().gt(0.0),
            |x: &Tensor| {
                lax::cond(
                    &x.sum().gt(1.0),
                    |x: &Tensor| (x * x * x).sum(),
                    |x: &Tensor| (x.sin() * x).sum(),
                    x,
                )
            },
            |x: &Tensor| (x.exp() * x).sum(),
            x,
        )
    };
    for xs in [[1.0, 0.5], [0.2, 0.3], [-0.2, -0.1]] {
        let x = t64(&xs, &[2]);
        check_grads(f, &x, 2);
        let h = hessian(f)(&x).to_vec::<f64>();
        let s: f64 = xs.iter().sum();
        let d2 = |v: f64| {
            if s > 1.0 {
                6.0 * v
            } else if s > 0.0 {
                2.0 * v.cos() - v * v.sin()
            } else {
                v.exp() * (v + 2.0)
            }
        };
        close(&h, &[d2(xs[0]), 0.0, 0.0, d2(xs[1])], 1e-10);
    }
}

#[test]
fn integer_outputs_pass_through_differentiation() {
    let f = |x: &Tensor| {
        let (y, n) = lax::cond(
            &x.gt(0.0),
            |x: &Tensor| (x * x, Tensor::scalar(1i32)),
            |x: &Tensor| (x.sin(), Tensor::scalar(2i32)),
            x,
        );
        y * lax::convert_element_type(&n, DType::F64)
    };
    close(&[grad(f)(&s64(3.0)).item::<f64>()], &[6.0], 1e-12);
    close(
        &[grad(f)(&s64(-3.0)).item::<f64>()],
        &[2.0 * (-3.0f64).cos()],
        1e-12,
    );
    check_grads(f, &s64(0.7), 2);
}

#[test]
fn grad_records_only_the_tangent_cond_as_linear() {
    // Under linearize, the primal cond (outputs + residuals) runs now; the jaxpr of the
    // gradient contains the primal cond and one transposed cond.
    let j = make_jaxpr(grad(piecewise))(&t64(&[0.3, 1.2, -0.4], &[3]));
    let text = j.to_string();
    assert_eq!(text.matches("cond[").count(), 2, "{text}");
}

// ---- Batching ----------------------------------------------------------------------------

fn stack(rows: Vec<Tensor>) -> Vec<f64> {
    rows.iter().flat_map(|r| r.to_vec::<f64>()).collect()
}

#[test]
fn vmap_with_a_batched_predicate_equals_a_loop() {
    let f = |(p, x): &(Tensor, Tensor)| {
        lax::cond(p, |x: &Tensor| x.sin() * 2.0, |x: &Tensor| x.cos() + x, x)
    };
    let ps = Tensor::from_vec(vec![true, false, false, true], &[4]);
    let xs = t64(&[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], &[4, 2]);
    let got = vmap(f)(&(ps.clone(), xs.clone()));
    assert_eq!(got.shape(), &[4, 2]);
    let pv = ps.to_vec::<bool>();
    let want: Vec<Tensor> = (0..4)
        .map(|i| {
            let x = t64(&xs.to_vec::<f64>()[2 * i..2 * i + 2], &[2]);
            f(&(Tensor::scalar(pv[i]), x))
        })
        .collect();
    assert_eq!(got.to_vec::<f64>(), stack(want));
    // The batched predicate becomes select_n over both branches' results.
    let text = make_jaxpr(vmap(f))(&(ps, xs)).to_string();
    assert!(text.contains("select_n"), "{text}");
    assert!(!text.contains("cond["), "{text}");
}

#[test]
fn vmap_of_switch_with_batched_index_and_batch_dim_in_the_middle() {
    let b0 = |x: &Tensor| x * 2.0;
    let b1 = |x: &Tensor| x.exp();
    let b2 = |x: &Tensor| -x;
    let bs: [&dyn Fn(&Tensor) -> Tensor; 3] = [&b0, &b1, &b2];
    let f = |(i, x): &(Tensor, Tensor)| lax::switch(i, &bs, x);
    let idx = Tensor::from_vec(vec![-1i32, 1, 2, 9], &[4]);
    // x: [2, 4], mapped along axis 1.
    let data: Vec<f64> = (0..8).map(|v| v as f64 * 0.25).collect();
    let xs = t64(&data, &[2, 4]);
    let spec = VmapSpec::new().in_axes((0, 1));
    let got = vmap_with(f, spec)(&(idx.clone(), xs));
    let iv = idx.to_vec::<i32>();
    let want: Vec<Tensor> = (0..4)
        .map(|k| {
            let x = t64(&[data[k], data[4 + k]], &[2]);
            f(&(Tensor::scalar(iv[k]), x))
        })
        .collect();
    assert_eq!(got.to_vec::<f64>(), stack(want));
}

#[test]
fn vmap_with_an_unbatched_predicate_and_batched_operands() {
    let f = |(p, x, y): &(Tensor, Tensor, Tensor)| {
        lax::cond(
            p,
            |(x, y): &(Tensor, Tensor)| (x * y, x.sum()),
            |(x, y): &(Tensor, Tensor)| (x - y, y.sum()),
            &(x.clone(), y.clone()),
        )
    };
    let xs = t64(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    let y = t64(&[10.0, 20.0], &[2]); // unbatched operand
    for p in [true, false] {
        let spec = VmapSpec::new().in_axes((AxisSpec::NotMapped, 0, AxisSpec::NotMapped));
        let vf = vmap_with(f, spec);
        let (a, b) = vf(&(Tensor::scalar(p), xs.clone(), y.clone()));
        assert_eq!(a.shape(), &[3, 2]);
        assert_eq!(b.shape(), &[3]);
        let rows: Vec<(Tensor, Tensor)> = (0..3)
            .map(|i| {
                let x = t64(&xs.to_vec::<f64>()[2 * i..2 * i + 2], &[2]);
                f(&(Tensor::scalar(p), x, y.clone()))
            })
            .collect();
        assert_eq!(
            a.to_vec::<f64>(),
            stack(rows.iter().map(|r| r.0.clone()).collect())
        );
        assert_eq!(
            b.to_vec::<f64>(),
            stack(rows.iter().map(|r| r.1.clone()).collect())
        );
        // Under a trace the unbatched predicate keeps one cond.
        let text = make_jaxpr(vmap_with(
            f,
            VmapSpec::new().in_axes((AxisSpec::NotMapped, 0, AxisSpec::NotMapped)),
        ))(&(Tensor::scalar(p), xs.clone(), y.clone()))
        .to_string();
        assert_eq!(text.matches("cond[").count(), 1, "{text}");
    }
}

#[test]
fn cond_inside_grad_inside_vmap() {
    // Per-example gradients of a piecewise function: the predicate depends on the example.
    let xs = t64(&[0.3, 1.2, -0.4, -0.3, -1.2, 0.4, 2.0, -0.5, 0.1], &[3, 3]);
    let got = vmap(grad(piecewise))(&xs);
    let want: Vec<Tensor> = (0..3)
        .map(|i| grad(piecewise)(&t64(&xs.to_vec::<f64>()[3 * i..3 * i + 3], &[3])))
        .collect();
    close(&got.to_vec::<f64>(), &stack(want), 1e-12);
    // And the other way round: the gradient of a batched cond.
    let total = |xs: &Tensor| vmap(piecewise)(xs).sum();
    let g = grad(total)(&xs);
    close(&g.to_vec::<f64>(), &got.to_vec::<f64>(), 1e-12);
    check_grads(total, &xs, 2);
}

#[test]
fn grad_of_vmap_with_batched_predicate_ignores_branches_not_taken() {
    // Example 0 takes `-x`; the sqrt branch still runs on it (sqrt(-1) = NaN, with a NaN
    // derivative), but no gradient flows back through a branch an example did not take.
    let f = |x: &Tensor| lax::cond(&x.gt(0.0), |x: &Tensor| x.sqrt(), |x: &Tensor| -x, x);
    let xs = t64(&[-1.0, 4.0, 0.0], &[3]);
    let g = grad(|xs: &Tensor| vmap(f)(xs).sum())(&xs);
    assert_eq!(g.to_vec::<f64>(), vec![-1.0, 0.25, -1.0]);
    let ys = vmap(f)(&xs);
    assert_eq!(ys.to_vec::<f64>(), vec![1.0, 2.0, 0.0]);
    // Per-example gradients agree.
    assert_eq!(vmap(grad(f))(&xs).to_vec::<f64>(), vec![-1.0, 0.25, -1.0]);
}

#[test]
fn vmap_over_parameters_captured_by_the_branches() {
    // The branches close over a batched value (a tracer of the vmap trace).
    let x = t64(&[1.0, -2.0], &[2]);
    let ws = t64(&[1.0, 2.0, 3.0], &[3]);
    let f = |w: &Tensor| lax::cond(&w.gt(1.5), |x: &Tensor| x * w, |x: &Tensor| x - w, &x);
    let got = vmap(f)(&ws);
    let want: Vec<Tensor> = [1.0, 2.0, 3.0].iter().map(|&w| f(&s64(w))).collect();
    assert_eq!(got.to_vec::<f64>(), stack(want));
}

// ---- Errors ------------------------------------------------------------------------------

#[test]
#[should_panic(
    expected = "cond: the branches must return the same types, but at output[1], \
                           false_fn returns f64[] and true_fn returns f64[2]"
)]
fn mismatched_leaf_types_name_the_path() {
    let f = |(p, x): &(Tensor, Tensor)| {
        lax::cond(
            p,
            |x: &Tensor| (x.clone(), x * 2.0),
            |x: &Tensor| (x.clone(), x.sum()),
            x,
        )
    };
    let _ = make_jaxpr(f)(&(Tensor::scalar(true), t64(&[1.0, 2.0], &[2])));
}

#[test]
#[should_panic(expected = "cond: the branches must return the same structure")]
fn mismatched_structures_panic() {
    let f = |(p, x): &(Tensor, Tensor)| {
        lax::cond(
            p,
            |x: &Tensor| vec![x.clone()],
            |x: &Tensor| vec![x.clone(), x.clone()],
            x,
        )
    };
    let _ = make_jaxpr(f)(&(Tensor::scalar(true), s64(1.0)));
}

#[test]
#[should_panic(
    expected = "switch: the branches must return the same types, but at the output, \
                           branch 0 returns f64[] and branch 2 returns f32[]"
)]
fn switch_mismatched_dtypes_panic() {
    let b0 = |x: &Tensor| x * 2.0;
    let b2 = |x: &Tensor| lax::convert_element_type(x, DType::F32);
    let bs: [&dyn Fn(&Tensor) -> Tensor; 3] = [&b0, &b0, &b2];
    let _ = grad(|x: &Tensor| lax::switch(&Tensor::scalar(1i32), &bs, x))(&s64(1.0));
}

#[test]
#[should_panic(expected = "cond: the predicate must be a scalar")]
fn non_scalar_predicate_panics() {
    let p = Tensor::from_vec(vec![true, false], &[2]);
    let _ = lax::cond(
        &p,
        |x: &Tensor| x.clone(),
        |x: &Tensor| x.clone(),
        &s64(1.0),
    );
}

#[test]
#[should_panic(expected = "cond: the predicate must be a bool or integer scalar, got f32[]")]
fn float_predicate_panics() {
    let _ = lax::cond(
        &Tensor::scalar(1.0f32),
        |x: &Tensor| x.clone(),
        |x: &Tensor| x.clone(),
        &s64(1.0),
    );
}

#[test]
fn integer_operands_and_captured_constants_under_differentiation() {
    let c = t64(&[2.0, -1.0], &[2]); // a concrete array captured by a branch
    let f = |(x, n): &(Tensor, Tensor)| {
        lax::cond(
            &n.gt(0i32),
            |(x, n): &(Tensor, Tensor)| x * lax::convert_element_type(n, DType::F64) * &c,
            |(x, _): &(Tensor, Tensor)| x.sin() + &c,
            &(x.clone(), n.clone()),
        )
        .sum()
    };
    let x = t64(&[0.4, -0.9], &[2]);
    for n in [3i32, 0] {
        let g = grad(|x: &Tensor| f(&(x.clone(), Tensor::scalar(n))))(&x);
        let want: Vec<f64> = if n > 0 {
            vec![6.0, -3.0]
        } else {
            vec![0.4f64.cos(), (-0.9f64).cos()]
        };
        close(&g.to_vec::<f64>(), &want, 1e-12);
        check_grads(|x: &Tensor| f(&(x.clone(), Tensor::scalar(n))), &x, 2);
    }
}

#[test]
fn constant_branch_outputs_have_zero_derivatives() {
    let f = |x: &Tensor| {
        lax::cond(
            &x.sum().gt(0.0),
            |x: &Tensor| x * x,
            |_: &Tensor| Tensor::from_vec(vec![7.0f64, 8.0], &[2]),
            x,
        )
        .sum()
    };
    assert_eq!(
        grad(f)(&t64(&[-1.0, -2.0], &[2])).to_vec::<f64>(),
        vec![0.0, 0.0]
    );
    assert_eq!(
        grad(f)(&t64(&[1.0, 2.0], &[2])).to_vec::<f64>(),
        vec![2.0, 4.0]
    );
    check_grads(f, &t64(&[-1.0, -2.0], &[2]), 2);
}

#[test]
fn linearize_reuses_the_recorded_tangent_cond_and_jacobians_agree() {
    let f = |x: &Tensor| {
        lax::cond(
            &x.sum().gt(0.0),
            |x: &Tensor| x.sin() * x.sum(),
            |x: &Tensor| x.exp() * 2.0,
            x,
        )
    };
    for xs in [[0.5, 0.25, -0.1], [-0.5, 0.25, -0.1]] {
        let x = t64(&xs, &[3]);
        let (y, f_lin) = linearize(f, &x);
        assert_eq!(y.to_vec::<f64>(), f(&x).to_vec::<f64>());
        let jf = jacfwd(f)(&x);
        let jr = jacrev(f)(&x);
        close(&jf.to_vec::<f64>(), &jr.to_vec::<f64>(), 1e-12);
        // Each column of the Jacobian from the same linear function.
        for k in 0..3 {
            let mut e = vec![0.0; 3];
            e[k] = 1.0;
            let col = f_lin(&t64(&e, &[3])).to_vec::<f64>();
            let want: Vec<f64> = (0..3).map(|r| jf.to_vec::<f64>()[r * 3 + k]).collect();
            close(&col, &want, 1e-12);
        }
        // vjp pulls back like the transposed Jacobian.
        let (_, pullback) = vjp(f, &x);
        let u = t64(&[1.0, -2.0, 0.5], &[3]);
        let got = pullback(&u).to_vec::<f64>();
        let j = jf.to_vec::<f64>();
        let want: Vec<f64> = (0..3)
            .map(|c| (0..3).map(|r| j[r * 3 + c] * u.to_vec::<f64>()[r]).sum())
            .collect();
        close(&got, &want, 1e-12);
    }
}

#[test]
fn check_grads_through_vmap_of_switch_with_batched_index() {
    let f = |xs: &Tensor| {
        let per = |x: &Tensor| {
            let idx = lax::convert_element_type(&(x.sum() * 2.0).floor(), DType::I32);
            let b0 = |x: &Tensor| x.sin() * x;
            let b1 = |x: &Tensor| x.exp();
            let b2 = |x: &Tensor| (x * x).tanh();
            let bs: [&dyn Fn(&Tensor) -> Tensor; 3] = [&b0, &b1, &b2];
            lax::switch(&idx, &bs, x).sum()
        };
        (vmap(per)(xs) * t64(&[1.0, 2.0, 3.0, 4.0], &[4])).sum()
    };
    // Row sums 0.15, 0.6, 1.2, -0.7 -> indices 0, 1, 2, clamped 0.
    let xs = t64(&[0.1, 0.05, 0.4, 0.2, 0.7, 0.5, -0.3, -0.4], &[4, 2]);
    check_grads(f, &xs, 2);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn switch_matches_match_eager_traced_and_batched(
            idx in proptest::collection::vec(-3i32..6, 1..5),
            xs in proptest::collection::vec(-2.0f64..2.0, 8),
        ) {
            let b0 = |x: &Tensor| x * 3.0;
            let b1 = |x: &Tensor| x.cos();
            let b2 = |x: &Tensor| x - 1.0;
            let bs: [&dyn Fn(&Tensor) -> Tensor; 3] = [&b0, &b1, &b2];
            let f = |(i, x): &(Tensor, Tensor)| lax::switch(i, &bs, x);
            let plain = |i: i32, x: f64| match i.clamp(0, 2) {
                0 => x * 3.0,
                1 => x.cos(),
                _ => x - 1.0,
            };
            let n = idx.len();
            let x = t64(&xs[..2 * n], &[n, 2]);
            let want: Vec<f64> = (0..n)
                .flat_map(|r| (0..2).map(move |c| (r, c)))
                .map(|(r, c)| plain(idx[r], xs[2 * r + c]))
                .collect();
            let batched = vmap(f)(&(Tensor::from_vec(idx.clone(), &[n]), x.clone()));
            prop_assert_eq!(batched.to_vec::<f64>(), want.clone());
            let j = make_jaxpr(f)(&(Tensor::scalar(0i32), t64(&[0.0, 0.0], &[2])));
            for r in 0..n {
                let row = t64(&xs[2 * r..2 * r + 2], &[2]);
                let eager = f(&(Tensor::scalar(idx[r]), row.clone())).to_vec::<f64>();
                let traced = eval_closed(&j, &[Tensor::scalar(idx[r]), row])[0].to_vec::<f64>();
                prop_assert_eq!(&eager, &want[2 * r..2 * r + 2].to_vec());
                prop_assert_eq!(&traced, &eager);
            }
        }
    }
}

// ---- With loops --------------------------------------------------------------------------

#[test]
fn cond_inside_scan_and_scan_inside_cond() {
    // A carry that switches update rule on its sign, over 6 steps.
    let step = |c: &Tensor, x: &Tensor| {
        let c2 = lax::cond(
            &c.gt(0.0),
            |(c, x): &(Tensor, Tensor)| c * x.sin() - 0.3,
            |(c, x): &(Tensor, Tensor)| c.tanh() + x,
            &(c.clone(), x.clone()),
        );
        (c2.clone(), c2 * 2.0)
    };
    let f = |(c0, xs): &(Tensor, Tensor)| {
        let (c, ys) = lax::scan(step, c0, xs);
        c + ys.sum()
    };
    let unrolled = |c0: f64, xs: &[f64]| {
        let (mut c, mut total) = (c0, 0.0);
        for &x in xs {
            c = if c > 0.0 {
                c * x.sin() - 0.3
            } else {
                c.tanh() + x
            };
            total += 2.0 * c;
        }
        c + total
    };
    let xs_v = [0.9, -0.2, 0.5, 1.3, -0.8, 0.1];
    let xs = t64(&xs_v, &[6]);
    for c0 in [0.7, -0.4] {
        let got = f(&(s64(c0), xs.clone())).item::<f64>();
        close(&[got], &[unrolled(c0, &xs_v)], 1e-12);
        check_grads(f, &(s64(c0), xs.clone()), 2);
    }
    // A scan in each branch.
    let g = |(p, xs): &(Tensor, Tensor)| {
        lax::cond(
            p,
            |xs: &Tensor| lax::scan(|c: &Tensor, x: &Tensor| (c * x, c.clone()), &s64(1.0), xs).0,
            |xs: &Tensor| {
                lax::scan(
                    |c: &Tensor, x: &Tensor| (c + x.sin(), c.clone()),
                    &s64(0.0),
                    xs,
                )
                .0
            },
            xs,
        )
    };
    let prod: f64 = xs_v.iter().product();
    let sum_sin: f64 = xs_v.iter().map(|x| x.sin()).sum();
    close(
        &[g(&(Tensor::scalar(true), xs.clone())).item::<f64>()],
        &[prod],
        1e-12,
    );
    close(
        &[g(&(Tensor::scalar(false), xs.clone())).item::<f64>()],
        &[sum_sin],
        1e-12,
    );
    for p in [true, false] {
        check_grads(|xs: &Tensor| g(&(Tensor::scalar(p), xs.clone())), &xs, 2);
        // And batched predicates over a batch of sequences.
        let ps = Tensor::from_vec(vec![p, !p], &[2]);
        let xss = t64(&[xs_v, xs_v].concat(), &[2, 6]);
        let got = vmap(g)(&(ps, xss)).to_vec::<f64>();
        let want = if p {
            vec![prod, sum_sin]
        } else {
            vec![sum_sin, prod]
        };
        close(&got, &want, 1e-12);
    }
}
