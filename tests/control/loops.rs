//! scan, fori_loop, while_loop and map: values, forward and reverse derivatives and batching
//! against unrolled Rust loops; golden jaxprs; error messages.

use ferrax::lax::{self, ScanOptions};
use ferrax::prelude::*;
use ferrax::test_util::check_grads;
use ferrax::transforms::{vmap, vmap_with, AxisSpec, VmapSpec};

fn data(shape: &[usize], seed: f64) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n)
        .map(|i| ((i as f64 + 1.0) * 0.7 + seed).sin() * 0.5)
        .collect();
    Tensor::from_vec(v, shape)
}

use crate::common;
use common::close::{assert_tensor_close, Tol};

#[track_caller]
fn close(a: &Tensor, b: &Tensor, tol: f64) {
    assert_tensor_close(a, b, Tol::scaled(tol), "");
}

// ---- The RNN cell: h = tanh(h @ W + x_t @ U + b) over 20 steps -----------------------------

type Params = (Tensor, Tensor, Tensor, Tensor); // W, U, b, h0

fn cell(p: &Params, h: &Tensor, x: &Tensor) -> Tensor {
    (h.matmul(&p.0) + x.matmul(&p.1) + &p.2).tanh()
}

fn rnn_scan(p: &Params, xs: &Tensor) -> (Tensor, Tensor) {
    lax::scan(
        |h: &Tensor, x: &Tensor| {
            let h2 = cell(p, h, x);
            (h2.clone(), h2)
        },
        &p.3,
        xs,
    )
}

fn rnn_unrolled(p: &Params, xs: &Tensor) -> (Tensor, Tensor) {
    let mut h = p.3.clone();
    let mut ys = Vec::new();
    for t in 0..xs.shape()[0] {
        h = cell(p, &h, &xs.index_axis(0, t as isize));
        ys.push(h.expand_dims(0));
    }
    (h, lax::concatenate(&ys, 0))
}

fn rnn_params() -> (Params, Tensor) {
    let p = (
        data(&[4, 4], 0.1),
        data(&[3, 4], 0.2),
        data(&[4], 0.3),
        data(&[2, 4], 0.4),
    );
    (p, data(&[20, 2, 3], 0.5))
}

fn rnn_loss(f: fn(&Params, &Tensor) -> (Tensor, Tensor), xs: Tensor) -> impl Fn(&Params) -> Tensor {
    move |p: &Params| {
        let (h, ys) = f(p, &xs);
        (h * 2.0).sum() + (ys.clone() * ys).sum()
    }
}

#[test]
fn rnn_scan_values_match_unrolled() {
    let (p, xs) = rnn_params();
    let (h1, ys1) = rnn_scan(&p, &xs);
    let (h2, ys2) = rnn_unrolled(&p, &xs);
    close(&h1, &h2, 1e-12);
    close(&ys1, &ys2, 1e-12);
    assert_eq!(ys1.shape(), &[20, 2, 4]);
    // The traced primitive (through make_jaxpr + eval) agrees with the eager loop.
    let j = make_jaxpr(|(p, xs): &(Params, Tensor)| rnn_scan(p, xs))(&(p.clone(), xs.clone()));
    let mut args = ferrax::tree::tree_leaves(&p);
    args.push(xs.clone());
    let outs = ferrax::internals::interp::eval_closed(&j, &args);
    close(&outs[0], &h2, 1e-12);
    close(&outs[1], &ys2, 1e-12);
}

#[test]
fn rnn_scan_jvp_matches_unrolled() {
    let (p, xs) = rnn_params();
    let t = (
        data(&[4, 4], 1.1),
        data(&[3, 4], 1.2),
        data(&[4], 1.3),
        data(&[2, 4], 1.4),
    );
    let xs2 = xs.clone();
    let (y1, dy1) = jvp(|p: &Params| rnn_scan(p, &xs), &p, &t);
    let (y2, dy2) = jvp(|p: &Params| rnn_unrolled(p, &xs2), &p, &t);
    close(&y1.0, &y2.0, 1e-12);
    close(&dy1.0, &dy2.0, 1e-10);
    close(&dy1.1, &dy2.1, 1e-10);
}

#[test]
fn rnn_scan_grad_matches_unrolled() {
    let (p, xs) = rnn_params();
    let (v1, g1) = value_and_grad(rnn_loss(rnn_scan, xs.clone()))(&p);
    let (v2, g2) = value_and_grad(rnn_loss(rnn_unrolled, xs))(&p);
    close(&v1, &v2, 1e-12);
    close(&g1.0, &g2.0, 1e-10);
    close(&g1.1, &g2.1, 1e-10);
    close(&g1.2, &g2.2, 1e-10);
    close(&g1.3, &g2.3, 1e-10);
}

#[test]
fn grad_with_respect_to_xs_and_partial_inputs() {
    let (p, xs) = rnn_params();
    // Gradient w.r.t. the sequence only (params are constants of the trace).
    let p2 = p.clone();
    let g1 = grad(|xs: &Tensor| rnn_scan(&p, xs).1.sum())(&xs);
    let g2 = grad(|xs: &Tensor| rnn_unrolled(&p2, xs).1.sum())(&xs);
    close(&g1, &g2, 1e-10);
    // Gradient w.r.t. h0 only.
    let xs2 = xs.clone();
    let (w, u, b) = (p.0.clone(), p.1.clone(), p.2.clone());
    let f = |unrolled: bool| {
        let (w, u, b, xs) = (w.clone(), u.clone(), b.clone(), xs2.clone());
        move |h0: &Tensor| {
            let q = (w.clone(), u.clone(), b.clone(), h0.clone());
            if unrolled {
                rnn_unrolled(&q, &xs).0.sum()
            } else {
                rnn_scan(&q, &xs).0.sum()
            }
        }
    };
    close(&grad(f(false))(&p.3), &grad(f(true))(&p.3), 1e-10);
}

#[test]
fn check_grads_order_two_through_scan() {
    let xs = data(&[5, 3], 0.9);
    let f = |(w, h0): &(Tensor, Tensor)| {
        lax::scan(
            |h: &Tensor, x: &Tensor| {
                let h2 = (h.matmul(w) + x).tanh() * h.sin();
                (h2.clone(), h2.sum())
            },
            h0,
            &xs,
        )
    };
    check_grads(f, &(data(&[3, 3], 0.1), data(&[3], 0.2)), 2);
}

#[test]
fn check_grads_reverse_scan_with_int_carry() {
    let xs = data(&[4, 2], 0.3);
    let f = |c: &Tensor| {
        let opts = ScanOptions {
            reverse: true,
            ..Default::default()
        };
        lax::scan_with(
            |(i, c): &(Tensor, Tensor), x: &Tensor| {
                let c2 = c * x.exp() + i.cast(DType::F64);
                ((i + 1, c2.clone()), c2.cos())
            },
            &(Tensor::scalar(0i32), c.clone()),
            &xs,
            opts,
        )
    };
    check_grads(|c: &Tensor| f(c).1, &data(&[2], 0.7), 2);
    check_grads(|c: &Tensor| f(c).0 .1, &data(&[2], 0.7), 1);
}

// ---- reverse, length, no xs --------------------------------------------------------------

#[test]
fn scan_reverse_matches_reverse_loop() {
    let xs = data(&[6, 3], 0.2);
    let opts = ScanOptions {
        reverse: true,
        ..Default::default()
    };
    let body = |c: &Tensor, x: &Tensor| {
        let c2 = (c * 0.9 + x).sin();
        (c2.clone(), c2 * 2.0)
    };
    let init = data(&[3], 0.0);
    let (c, ys) = lax::scan_with(body, &init, &xs, opts.clone());
    let mut c2 = init.clone();
    let mut ys2 = vec![Tensor::zeros(&[1, 3], DType::F64); 6];
    for t in (0..6).rev() {
        let (cn, y) = body(&c2, &xs.index_axis(0, t as isize));
        c2 = cn;
        ys2[t] = y.expand_dims(0);
    }
    close(&c, &c2, 1e-14);
    close(&ys, &lax::concatenate(&ys2, 0), 1e-14);
    // Through the primitive (traced) and its gradient against the unrolled loop.
    let f_scan = |x: &Tensor| {
        let (c, ys) = lax::scan_with(body, &init, x, opts.clone());
        c.sum() + (ys.clone() * ys.clone()).sum()
    };
    let f_loop = |x: &Tensor| {
        let mut c = init.clone();
        let mut acc = Tensor::scalar(0.0f64);
        for t in (0..6).rev() {
            let (cn, y) = body(&c, &x.index_axis(0, t as isize));
            c = cn;
            acc = acc + (y.clone() * y).sum();
        }
        c.sum() + acc
    };
    close(&grad(f_scan)(&xs), &grad(f_loop)(&xs), 1e-10);
}

#[test]
fn scan_with_length_and_no_xs() {
    let opts = ScanOptions {
        length: Some(5),
        ..Default::default()
    };
    let f = |x: &Tensor| {
        lax::scan_with(
            |c: &Tensor, _: &()| (c * x, c.clone()),
            &Tensor::scalar(1.0f64),
            &(),
            opts.clone(),
        )
    };
    let x = Tensor::scalar(1.5f64);
    let (c, ys) = f(&x);
    assert!((c.item::<f64>() - 1.5f64.powi(5)).abs() < 1e-12);
    close(
        &ys,
        &Tensor::from_vec(vec![1.0, 1.5, 2.25, 3.375, 5.0625], &[5]),
        1e-12,
    );
    let g = grad(|x: &Tensor| f(x).0)(&x);
    assert!((g.item::<f64>() - 5.0 * 1.5f64.powi(4)).abs() < 1e-10);
    let gy = grad(|x: &Tensor| f(x).1.sum())(&x);
    let want: f64 = (1..5).map(|k| k as f64 * 1.5f64.powi(k - 1)).sum();
    assert!((gy.item::<f64>() - want).abs() < 1e-10);
    // Zero length: the carry passes through and ys are empty.
    let opts0 = ScanOptions {
        length: Some(0),
        ..Default::default()
    };
    let (c0, ys0) = lax::scan_with(
        |c: &Tensor, _: &()| (c + 1.0, c.clone()),
        &Tensor::scalar(3.0f32),
        &(),
        opts0,
    );
    assert_eq!(c0.item::<f32>(), 3.0);
    assert_eq!(ys0.shape(), &[0]);
}

#[test]
fn scan_pytree_carry_and_xs() {
    let xs = (data(&[4, 2], 0.1), data(&[4], 0.2));
    let init = (Tensor::zeros(&[2], DType::F64), Tensor::scalar(1.0f64));
    let body = |(a, m): &(Tensor, Tensor), (x, s): &(Tensor, Tensor)| {
        ((a + x * s, m * s), (a.sum(), x.clone()))
    };
    let ((a, m), (sums, xs_back)) = lax::scan(body, &init, &xs);
    let mut a2 = init.0.clone();
    let mut m2 = init.1.clone();
    for t in 0..4 {
        let x = xs.0.index_axis(0, t);
        let s = xs.1.index_axis(0, t);
        a2 = &a2 + &x * &s;
        m2 = &m2 * &s;
    }
    close(&a, &a2, 1e-14);
    close(&m, &m2, 1e-14);
    assert_eq!(sums.shape(), &[4]);
    close(&xs_back, &xs.0, 0.0);
}

// ---- fori_loop ---------------------------------------------------------------------------

#[test]
fn fori_loop_values_and_grad() {
    let body = |i: &Tensor, c: &Tensor| c.sin() * 1.1 + i.cast(DType::F64) * 0.01;
    let x = data(&[3], 0.4);
    let f_loop = |x: &Tensor| lax::fori_loop(2, 9, body, x);
    let f_unrolled = |x: &Tensor| {
        let mut c = x.clone();
        for i in 2..9 {
            c = body(&Tensor::scalar(i), &c);
        }
        c
    };
    close(&f_loop(&x), &f_unrolled(&x), 1e-14);
    let g1 = grad(|x: &Tensor| f_loop(x).sum())(&x);
    let g2 = grad(|x: &Tensor| f_unrolled(x).sum())(&x);
    close(&g1, &g2, 1e-12);
    // Under a trace the values match too (scan lowering).
    let j = make_jaxpr(f_loop)(&x);
    close(
        &ferrax::internals::interp::eval_closed(&j, std::slice::from_ref(&x))[0],
        &f_unrolled(&x),
        1e-14,
    );
    // An empty range returns the init.
    close(&lax::fori_loop(5, 2, body, &x), &x, 0.0);
    check_grads(|x: &Tensor| lax::fori_loop(0, 4, body, x), &x, 2);
}

#[test]
fn fori_loop_with_traced_bound_is_a_while() {
    let f = |n: &Tensor| {
        lax::fori_loop(
            0,
            n,
            |_i: &Tensor, c: &Tensor| c * 2.0,
            &Tensor::scalar(1.0f32),
        )
    };
    let j = make_jaxpr(f)(&Tensor::scalar(3i32));
    assert!(j.to_string().contains("while["), "{j}");
    assert_eq!(
        ferrax::internals::interp::eval_closed(&j, &[Tensor::scalar(5i32)])[0].item::<f32>(),
        32.0
    );
    assert_eq!(f(&Tensor::scalar(4i32)).item::<f32>(), 16.0);
}

#[test]
fn fori_loop_counter_stays_unbatched_under_vmap() {
    let f = |x: &Tensor| {
        lax::fori_loop(
            0,
            3,
            |i: &Tensor, c: &Tensor| c * 2.0 + i.cast(DType::F32),
            x,
        )
    };
    let xs = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    let j = make_jaxpr(vmap(f))(&xs);
    let text = j.to_string();
    // The counter is an i32[] carry, the value an f32[2] carry.
    assert!(text.contains("_:i32[] b:f32[2] = scan["), "{text}");
    assert_eq!(vmap(f)(&xs).to_vec::<f32>(), vec![12.0, 20.0]);
}

#[test]
fn scalar_bodies_run_natively_with_identical_results() {
    // A body of rank-0 add/sub/mul/div/neg runs on native registers inside the scan
    // equation; it must agree bit for bit with the eager (tensor) path.
    let f = |(c, xs): &(Tensor, Tensor)| {
        let opts = ScanOptions {
            reverse: true,
            ..Default::default()
        };
        lax::scan_with(
            |(i, c): &(Tensor, Tensor), x: &Tensor| {
                let c2 = -(c * 0.999 + x / 3.0) - 0.5;
                ((i * 3 - 1, c2.clone()), (c2 * 2.0, i.clone()))
            },
            &(Tensor::scalar(7i32), c.clone()),
            xs,
            opts,
        )
    };
    let args = (
        Tensor::scalar(1.25f32),
        Tensor::from_vec(vec![0.5f32, -1.0, 2.0, 0.1], &[4]),
    );
    let eager = f(&args);
    let j = make_jaxpr(f)(&args);
    let outs = ferrax::internals::interp::eval_closed(&j, &[args.0.clone(), args.1.clone()]);
    assert_eq!(outs[0].item::<i32>(), eager.0 .0.item::<i32>());
    assert_eq!(outs[1].item::<f32>(), eager.0 .1.item::<f32>());
    assert_eq!(outs[2].to_vec::<f32>(), eager.1 .0.to_vec::<f32>());
    assert_eq!(outs[3].to_vec::<i32>(), eager.1 .1.to_vec::<i32>());
    // f64 with grad (the tangent scan is scalar too).
    let g = grad(|x: &Tensor| lax::fori_loop(0, 50, |_i: &Tensor, c: &Tensor| c * 0.9 + 1.0, x))(
        &Tensor::scalar(2.0f64),
    );
    assert!((g.item::<f64>() - 0.9f64.powi(50)).abs() < 1e-15);
}

// ---- while_loop --------------------------------------------------------------------------

#[test]
fn while_loop_values_and_forward_mode() {
    let f = |x: &Tensor| {
        lax::while_loop(
            |(i, _): &(Tensor, Tensor)| i.lt(4),
            |(i, c): &(Tensor, Tensor)| (i + 1, c.sin() * c),
            &(Tensor::scalar(0i32), x.clone()),
        )
        .1
    };
    let unrolled = |x: &Tensor| {
        let mut c = x.clone();
        for _ in 0..4 {
            c = c.sin() * &c;
        }
        c
    };
    let x = data(&[3], 0.6);
    close(&f(&x), &unrolled(&x), 1e-14);
    let t = data(&[3], 1.6);
    let (y1, dy1) = jvp(f, &x, &t);
    let (y2, dy2) = jvp(unrolled, &x, &t);
    close(&y1, &y2, 1e-14);
    close(&dy1, &dy2, 1e-12);
    // jacfwd goes through the batched forward-mode while.
    close(
        &ferrax::transforms::jacfwd(f)(&x),
        &ferrax::transforms::jacfwd(unrolled)(&x),
        1e-12,
    );
    // Traced jvp (tangents staged) also agrees.
    let j = make_jaxpr(|(x, t): &(Tensor, Tensor)| jvp(f, x, t))(&(x.clone(), t.clone()));
    let outs = ferrax::internals::interp::eval_closed(&j, &[x.clone(), t.clone()]);
    close(&outs[1], &dy2, 1e-12);
}

#[test]
fn vmap_while_loop_with_different_trip_counts() {
    // Collatz-like counting: each element needs a different number of iterations.
    let f = |x: &Tensor| {
        lax::while_loop(
            |(c, _): &(Tensor, Tensor)| c.gt(1.0),
            |(c, n): &(Tensor, Tensor)| (c * 0.5, n + 1),
            &(x.clone(), Tensor::scalar(0i32)),
        )
    };
    let xs = Tensor::from_vec(vec![1.0f32, 2.0, 8.0, 100.0, 0.5], &[5]);
    let (c, n) = vmap(f)(&xs);
    assert_eq!(n.to_vec::<i32>(), vec![0, 1, 3, 7, 0]);
    assert_eq!(c.to_vec::<f32>(), vec![1.0, 1.0, 1.0, 100.0 / 128.0, 0.5]);
    for (k, x) in xs.to_vec::<f32>().into_iter().enumerate() {
        let (c1, n1) = f(&Tensor::scalar(x));
        assert_eq!(c1.item::<f32>(), c.to_vec::<f32>()[k]);
        assert_eq!(n1.item::<i32>(), n.to_vec::<i32>()[k]);
    }
    // A batched body with an unbatched predicate: a shared trip count.
    let g = |x: &Tensor| {
        lax::fori_loop(
            0,
            Tensor::scalar(3i32),
            |_i: &Tensor, c: &Tensor| c * x,
            &Tensor::scalar(1.0f32),
        )
    };
    assert_eq!(
        vmap(g)(&xs).to_vec::<f32>(),
        vec![1.0, 8.0, 512.0, 1.0e6, 0.125]
    );
    // Batched while inside a jaxpr: one while equation, select_n masking inside.
    let j = make_jaxpr(vmap(f))(&xs);
    let text = j.to_string();
    assert!(
        text.contains("while[") && text.contains("select_n"),
        "{text}"
    );
}

#[test]
#[should_panic(
    expected = "while_loop: reverse-mode differentiation (grad, vjp, jacrev) of a while_loop is not supported"
)]
fn while_loop_reverse_mode_panics_clearly() {
    let f = |x: &Tensor| lax::while_loop(|c: &Tensor| c.lt(10.0), |c: &Tensor| c * 2.0, x);
    let _ = grad(f)(&Tensor::scalar(1.0f32));
}

#[test]
fn while_reverse_message_points_to_fori_and_scan() {
    let r = std::panic::catch_unwind(|| {
        grad(|x: &Tensor| lax::while_loop(|c: &Tensor| c.lt(10.0), |c: &Tensor| c * 2.0, x))(
            &Tensor::scalar(1.0f32),
        )
    });
    let e = r.expect_err("must panic");
    let msg = e.downcast_ref::<String>().cloned().unwrap_or_else(|| {
        e.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default()
    });
    assert!(
        msg.contains("fori_loop") && msg.contains("scan") && msg.contains("trip count"),
        "{msg}"
    );
}

// ---- vmap and grad of vmap of scan ----------------------------------------------------------

#[test]
fn vmap_of_scan_batches_carry_to_a_fixed_point() {
    // xs batched, init not: the carry becomes batched through the body.
    let xs = data(&[3, 5], 0.1); // batch 3, length 5
    let f = |x: &Tensor| {
        lax::scan(
            |c: &Tensor, x: &Tensor| (c * 0.5 + x, c.clone()),
            &Tensor::scalar(0.0f64),
            x,
        )
    };
    let (c, ys) = vmap(f)(&xs);
    assert_eq!(c.shape(), &[3]);
    assert_eq!(ys.shape(), &[3, 5]);
    for b in 0..3 {
        let (cb, yb) = f(&xs.index_axis(0, b));
        close(&c.index_axis(0, b), &cb, 1e-14);
        close(&ys.index_axis(0, b), &yb, 1e-14);
    }
    // Batched const only (closed-over), xs mapped on axis 1.
    let w = data(&[4], 0.2);
    let g = |(w, xs): &(Tensor, Tensor)| {
        lax::scan(
            |c: &Tensor, x: &Tensor| (c * w + x, (c * x).sum()),
            &Tensor::zeros(&[], DType::F64),
            xs,
        )
    };
    let spec = VmapSpec::new().in_axes((AxisSpec::Axis(0), AxisSpec::Axis(1)));
    let xs2 = data(&[5, 4], 0.3);
    let (c2, ys2) = vmap_with(g, spec)(&(w.clone(), xs2.clone()));
    for b in 0..4 {
        let (cb, yb) = g(&(w.index_axis(0, b), xs2.index_axis(1, b)));
        close(&c2.index_axis(0, b), &cb, 1e-14);
        close(&ys2.index_axis(0, b), &yb, 1e-14);
    }
}

#[test]
fn grad_of_vmap_of_scan() {
    let (p, _) = rnn_params();
    let xs = data(&[3, 20, 2, 3], 0.8); // 3 sequences
    let batched = |f: fn(&Params, &Tensor) -> (Tensor, Tensor), xs: Tensor| {
        move |p: &Params| {
            let p2 = p.clone();
            let per_seq = vmap(move |x: &Tensor| {
                let (h, ys) = f(&p2, x);
                h.sum() + (ys.clone() * ys).sum()
            });
            per_seq(&xs).sum()
        }
    };
    let g1 = grad(batched(rnn_scan, xs.clone()))(&p);
    let g2 = grad(batched(rnn_unrolled, xs))(&p);
    close(&g1.0, &g2.0, 1e-10);
    close(&g1.1, &g2.1, 1e-10);
    close(&g1.2, &g2.2, 1e-10);
    close(&g1.3, &g2.3, 1e-10);
}

#[test]
fn vmap_of_grad_of_scan() {
    let xs = data(&[4, 6], 0.1);
    let f = |c0: &Tensor| {
        lax::scan(|c: &Tensor, x: &Tensor| ((c * x).sin(), c.clone()), c0, &xs)
            .1
            .sum()
    };
    let c0s = data(&[3, 6], 0.9);
    let g = vmap(grad(f))(&c0s);
    for b in 0..3 {
        close(&g.index_axis(0, b), &grad(f)(&c0s.index_axis(0, b)), 1e-12);
    }
}

// ---- map -----------------------------------------------------------------------------------

#[test]
fn map_matches_a_loop_and_differentiates() {
    let xs = data(&[5, 3], 0.4);
    let f = |x: &Tensor| (x.sin() * x).sum();
    let ys = lax::map(f, &xs);
    for t in 0..5 {
        close(&ys.index_axis(0, t), &f(&xs.index_axis(0, t)), 1e-14);
    }
    let g = grad(|xs: &Tensor| lax::map(f, xs).sum())(&xs);
    close(&g, &(xs.sin() + &xs * xs.cos()), 1e-12);
    // pytree in and out
    let (a, b) = lax::map(
        |(x, y): &(Tensor, Tensor)| (x + y, x * y),
        &(xs.clone(), xs.clone()),
    );
    close(&a, &(&xs * 2.0), 1e-14);
    close(&b, &(&xs * &xs), 1e-14);
}

// ---- goldens ---------------------------------------------------------------------------------

// JAX 0.10.2 prints two `convert_element_type[new_dtype=float32 weak_type=False] e` lines in
// the scan body (its weak-typed Python scalar carry); ferrax has no weak types, so the body is
// `add e f; mul e f` directly. Everything else matches the reference character for character.
#[test]
fn golden_scan() {
    let f = |(c, xs): &(Tensor, Tensor)| lax::scan(|c: &Tensor, x: &Tensor| (c + x, c * x), c, xs);
    let j = make_jaxpr(f)(&(
        Tensor::zeros(&[], DType::F32),
        Tensor::zeros(&[5], DType::F32),
    ));
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[] b:f32[5]. let
    c:f32[] d:f32[5] = scan[
      jaxpr={ lambda ; e:f32[] f:f32[]. let
          g:f32[] = add e f
          h:f32[] = mul e f
        in (g, h) }
      length=5
      num_carry=1
      num_consts=0
      reverse=False
      unroll=1
    ] a b
  in (c, d) }"
    );
}

#[test]
fn golden_fori_loop() {
    let f = |x: &Tensor| lax::fori_loop(0, 3, |_i: &Tensor, c: &Tensor| c * 2.0, x);
    let j = make_jaxpr(f)(&Tensor::zeros(&[], DType::F32));
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[]. let
    _:i32[] b:f32[] = scan[
      jaxpr={ lambda ; c:i32[] d:f32[]. let
          e:i32[] = add c 1:i32[]
          f:f32[] = mul d 2.0:f32[]
        in (e, f) }
      length=3
      num_carry=2
      num_consts=0
      reverse=False
      unroll=1
    ] 0:i32[] a
  in (b,) }"
    );
}

#[test]
fn golden_while_loop() {
    let f = |x: &Tensor| lax::while_loop(|c: &Tensor| c.lt(10.0), |c: &Tensor| c + 1.0, x);
    let j = make_jaxpr(f)(&Tensor::zeros(&[], DType::F32));
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[]. let
    b:f32[] = while[
      body_jaxpr={ lambda ; c:f32[]. let d:f32[] = add c 1.0:f32[] in (d,) }
      body_nconsts=0
      cond_jaxpr={ lambda ; e:f32[]. let f:bool[] = lt e 10.0:f32[] in (f,) }
      cond_nconsts=0
    ] a
  in (b,) }"
    );
}

#[test]
fn captured_values_become_consts() {
    let w = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    let f = |xs: &Tensor| {
        lax::scan(
            |c: &Tensor, x: &Tensor| (c * &w + x, c.sum()),
            &Tensor::zeros(&[2], DType::F32),
            xs,
        )
    };
    let j = make_jaxpr(f)(&Tensor::zeros(&[3, 2], DType::F32));
    let text = j.to_string();
    assert!(text.contains("num_consts=1"), "{text}");
    // The outer jaxpr captures w and the (non-scalar) init.
    assert_eq!(j.consts.len(), 2);
    ferrax::core::check_jaxpr(&j.jaxpr).unwrap();
}

#[test]
fn grad_jaxpr_has_forward_and_reverse_scans_and_hoists_invariants() {
    let (p, xs) = rnn_params();
    let j = make_jaxpr(grad(rnn_loss(rnn_scan, xs)))(&p);
    ferrax::core::check_jaxpr(&j.jaxpr).unwrap();
    let text = j.to_string();
    assert!(text.contains("reverse=True"), "{text}");
    // W and U are loop-invariant residuals: the residuals stacked by the primal scan are
    // per-step values (f64[20,2,4]-sized), never a stack of the weights (f64[20,4,4]).
    assert!(
        !text.contains("f64[20,4,4]") && !text.contains("f64[20,3,4]"),
        "{text}"
    );
}

// ---- structure and type mismatches -------------------------------------------------------

#[test]
#[should_panic(
    expected = "scan: the body's output carry must have the input carry's types, but carry leaf `[1]` is f32[2] in the input and f32[] in the body's output"
)]
fn scan_carry_type_mismatch_names_the_leaf() {
    let xs = Tensor::zeros(&[3], DType::F32);
    let init = (Tensor::scalar(0.0f32), Tensor::zeros(&[2], DType::F32));
    let _ = lax::scan(
        |(a, b): &(Tensor, Tensor), x: &Tensor| ((a + x, b.sum()), ()),
        &init,
        &xs,
    );
}

#[test]
#[should_panic(
    expected = "scan: the body's output carry must have the input carry's types, but the carry is f32[] in the input and f64[] in the body's output"
)]
fn scan_carry_dtype_mismatch_under_trace() {
    let f = |xs: &Tensor| {
        lax::scan(
            |c: &Tensor, x: &Tensor| (c.cast(DType::F64) + x.cast(DType::F64), ()),
            &Tensor::scalar(0.0f32),
            xs,
        )
    };
    let _ = make_jaxpr(f)(&Tensor::zeros(&[3], DType::F32));
}

#[test]
#[should_panic(
    expected = "scan: the body must return a carry with the structure of its input carry"
)]
fn scan_carry_structure_mismatch() {
    let xs = Tensor::zeros(&[3], DType::F32);
    let _ = lax::scan(
        |c: &Vec<Tensor>, _x: &Tensor| (vec![c[0].clone()], ()),
        &vec![Tensor::scalar(0.0f32); 2],
        &xs,
    );
}

#[test]
#[should_panic(
    expected = "while_loop: the body's output carry must have the input carry's types, but the carry is i32[] in the input and f32[] in the body's output"
)]
fn while_carry_type_mismatch() {
    let _ = lax::while_loop(
        |c: &Tensor| c.lt(3),
        |c: &Tensor| c.cast(DType::F32),
        &Tensor::scalar(0i32),
    );
}

#[test]
#[should_panic(expected = "fori_loop: the body's output carry must have the input carry's types")]
fn fori_carry_type_mismatch_under_grad() {
    let _ = grad(|x: &Tensor| lax::fori_loop(0, 3, |_i: &Tensor, c: &Tensor| c.sum(), x).sum())(
        &Tensor::zeros(&[2], DType::F32),
    );
}

#[test]
#[should_panic(expected = "while_loop: cond_fn must return a bool[] scalar, got bool[2]")]
fn while_cond_must_be_a_scalar() {
    let _ = lax::while_loop(
        |c: &Tensor| c.lt(3.0),
        |c: &Tensor| c + 1.0,
        &Tensor::zeros(&[2], DType::F32),
    );
}

#[test]
#[should_panic(expected = "scan: xs leaf `[1]` has leading axis 4")]
fn scan_xs_length_mismatch() {
    let xs = (
        Tensor::zeros(&[3], DType::F32),
        Tensor::zeros(&[4], DType::F32),
    );
    let _ = lax::scan(
        |c: &Tensor, _x: &(Tensor, Tensor)| (c.clone(), ()),
        &Tensor::scalar(0.0f32),
        &xs,
    );
}

#[test]
#[should_panic(expected = "ScanOptions::length")]
fn scan_without_xs_needs_length() {
    let _ = lax::scan(
        |c: &Tensor, _x: &()| (c.clone(), ()),
        &Tensor::scalar(0.0f32),
        &(),
    );
}

// ---- Compiled bodies: compiled once, jit equal to eager --------------------------------------

use ferrax::internals::control_flow::loops::compiled::compile_count;
use ferrax::transforms::{JitOptions, Jitted};

/// The sub-jaxprs of the first equation of `j` named `name`.
fn bodies_of(j: &ClosedJaxpr, name: &str) -> Vec<std::sync::Arc<Jaxpr>> {
    let e = j
        .jaxpr
        .eqns
        .iter()
        .find(|e| e.prim.name() == name)
        .unwrap_or_else(|| panic!("no {name} in {}", j.jaxpr));
    e.prim.sub_jaxprs().into_iter().cloned().collect()
}

#[test]
fn scan_body_is_compiled_once_across_evaluations() {
    let (p, xs) = rnn_params();
    let j = make_jaxpr(|(p, xs): &(Params, Tensor)| rnn_scan(p, xs).0)(&(p.clone(), xs.clone()));
    let body = bodies_of(&j, "scan").remove(0);
    assert_eq!(compile_count(&body), 0);
    let mut args = ferrax::tree::tree_leaves(&p);
    args.push(xs.clone());
    let a = ferrax::internals::interp::eval_closed(&j, &args);
    let b = ferrax::internals::interp::eval_closed(&j, &args);
    assert_eq!(compile_count(&body), 1);
    assert_eq!(a[0].to_vec::<f64>(), b[0].to_vec::<f64>());
    close(&a[0], &rnn_unrolled(&p, &xs).0, 1e-12);
}

#[test]
fn jitted_scan_compiles_its_body_once_over_many_calls() {
    let (p, xs) = rnn_params();
    let f = Jitted::new(
        |(p, xs): &(Params, Tensor)| rnn_scan(p, xs).0,
        JitOptions::default(),
    );
    let px = (p.clone(), xs.clone());
    let first = f.call(&px);
    for _ in 0..3 {
        assert_eq!(f.call(&px).to_vec::<f64>(), first.to_vec::<f64>());
    }
    let body = bodies_of(&f.jaxpr(&px), "scan").remove(0);
    assert_eq!(compile_count(&body), 1);
}

#[test]
fn while_cond_and_body_are_compiled_once() {
    let f = |(hi, c): &(Tensor, Tensor)| lax::fori_loop(0, hi, |_i, c: &Tensor| c * 0.5 + 1.0, c);
    let x = (Tensor::scalar(7i32), Tensor::scalar(3.0f32));
    let j = make_jaxpr(f)(&x);
    let subs = bodies_of(&j, "while");
    for _ in 0..3 {
        let y = ferrax::internals::interp::eval_closed(&j, &[x.0.clone(), x.1.clone()]);
        assert_eq!(y[0].to_vec::<f32>(), f(&x).to_vec::<f32>());
    }
    for s in &subs {
        assert_eq!(compile_count(s), 1);
    }
}

#[test]
fn jitted_loops_equal_eager_with_gradients() {
    // Tensor bodies: the RNN scan, value and gradient.
    let (p, xs) = rnn_params();
    let loss = rnn_loss(rnn_scan, xs.clone());
    let (v, g) = value_and_grad(&loss)(&p);
    let (jv, jg) = jit(|p: &Params| value_and_grad(&loss)(p))(&p);
    close(&jv, &v, 1e-12);
    for (a, b) in ferrax::tree::tree_leaves(&jg)
        .iter()
        .zip(ferrax::tree::tree_leaves(&g))
    {
        close(a, &b, 1e-12);
    }
    // Scalar bodies (run on registers): bit-identical to a plain Rust loop, eager and jitted.
    let body = |_i: &Tensor, c: &Tensor| c * 0.999f32 + 0.001f32;
    let f = |c: &Tensor| lax::fori_loop(0, 1000, body, c);
    let mut want = 1.0f32;
    for _ in 0..1000 {
        want = want * 0.999 + 0.001;
    }
    let c0 = Tensor::scalar(1.0f32);
    assert_eq!(f(&c0).item::<f32>(), want);
    assert_eq!(jit(f)(&c0).item::<f32>(), want);
    // The gradient of the scalar loop: d c_n / d c_0 = 0.999^n.
    let g = grad(|c: &Tensor| lax::fori_loop(0, 50, body, c))(&c0);
    let jg = jit(grad(|c: &Tensor| lax::fori_loop(0, 50, body, c)))(&c0);
    assert_eq!(g.item::<f32>(), jg.item::<f32>());
    assert!((g.item::<f32>() as f64 - 0.999f64.powi(50)).abs() < 1e-5);
    // while with traced bounds and a cond inside a scan body, jitted against eager.
    let h = |(n, x): &(Tensor, Tensor)| {
        let w = lax::fori_loop(0, n, |_i, c: &Tensor| c.sin() + 0.5, x);
        let (c, ys) = lax::scan(
            |c: &Tensor, x: &Tensor| {
                let c2 = lax::cond(
                    &x.gt(0.0),
                    |v: &Tensor| v * 2.0,
                    |v: &Tensor| v - 1.0,
                    &(c + x),
                );
                (c2.clone(), c2.exp())
            },
            &w,
            &data(&[6], 0.3).cast(DType::F32),
        );
        c + ys.sum()
    };
    let x = (Tensor::scalar(5i32), Tensor::scalar(0.25f32));
    assert_eq!(h(&x).item::<f32>(), jit(h)(&x).item::<f32>());
}

#[test]
fn scalar_bodies_on_registers_match_plain_rust() {
    // Swapped carries, a y that is a carry input, a y computed after the carries, reverse xs:
    // the register form's feedback must read every carry before writing any.
    let xs = Tensor::from_vec(
        (0..7).map(|k| k as f32 * 0.25 - 0.5).collect::<Vec<f32>>(),
        &[7],
    );
    let f = |(a, b): &(Tensor, Tensor), x: &Tensor| {
        let y = a * x - b;
        ((b.clone(), a + x), (a.clone(), y / 3.0f32))
    };
    let init = (Tensor::scalar(1.5f32), Tensor::scalar(-2.0f32));
    let ((a, b), (ya, yb)) = lax::scan_with(
        f,
        &init,
        &xs,
        ScanOptions {
            reverse: true,
            ..Default::default()
        },
    );
    let xv = xs.to_vec::<f32>();
    let (mut pa, mut pb) = (1.5f32, -2.0f32);
    let (mut wa, mut wb) = (vec![0.0f32; 7], vec![0.0f32; 7]);
    for t in (0..7).rev() {
        let y = pa * xv[t] - pb;
        wa[t] = pa;
        wb[t] = y / 3.0;
        (pa, pb) = (pb, pa + xv[t]);
    }
    assert_eq!((a.item::<f32>(), b.item::<f32>()), (pa, pb));
    assert_eq!(ya.to_vec::<f32>(), wa);
    assert_eq!(yb.to_vec::<f32>(), wb);
    // A scalar while (traced bound), jitted and eager, against Rust.
    let w = |(n, c): &(Tensor, Tensor)| {
        lax::fori_loop(0, n, |i, c: &Tensor| c * 0.5f64 - i.cast(DType::F64), c)
    };
    let x = (Tensor::scalar(9i32), Tensor::scalar(3.0f64));
    let mut want = 3.0f64;
    for i in 0..9 {
        want = want * 0.5 - i as f64;
    }
    assert_eq!(w(&x).item::<f64>(), want);
    assert_eq!(jit(w)(&x).item::<f64>(), want);
}
