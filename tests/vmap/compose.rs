//! vmap composed with the other transformations: the call primitives (custom_jvp,
//! custom_vjp, custom_lin, checkpoint) under vmap and under differentiation of vmap,
//! per-example gradients of a small MLP, grad(vmap), vmap(vmap), vmap(jvp), and the
//! Jacobians built on vmap (jacfwd, jacrev, hessian) on non-square functions, traced once.

use ferrax::prelude::*;
use ferrax::transforms::{
    checkpoint, custom_jvp, custom_vjp, linear_transpose, vmap, vmap_with, AxisSpec, VmapSpec,
};
use ferrax::{lax, numpy as jnp};

fn t64(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}

fn seq(n: usize, scale: f64, offset: f64) -> Vec<f64> {
    (0..n)
        .map(|i| ((i as f64) * 0.37 + offset).sin() * scale)
        .collect()
}

use crate::common;
use common::close::{assert_tensor_close, Tol};

#[track_caller]
fn close(a: &Tensor, b: &Tensor, tol: f64) {
    assert_tensor_close(a, b, Tol::scaled(tol), "");
}

/// `f` applied to each slice of `xs` along `axis`, stacked along axis 0: the reference.
fn loop_map(f: impl Fn(&Tensor) -> Tensor, xs: &Tensor, axis: isize) -> Tensor {
    let n = xs.shape()[jnp::normalize_axis(axis, xs.ndim())];
    let outs: Vec<Tensor> = (0..n as isize)
        .map(|i| f(&xs.index_axis(axis, i)))
        .collect();
    jnp::stack(&outs, 0)
}

// ---- custom_jvp --------------------------------------------------------------------------

/// sin with a deliberately "wrong" JVP rule (3 t cos x): only the rule can produce it, so
/// derivatives through vmap prove the batched rule is the one used.
fn odd_sin() -> impl Fn(&Tensor) -> Tensor {
    custom_jvp(
        "odd_sin",
        |x: &Tensor| x.sin(),
        |x: &Tensor, t: &Tensor| (x.sin(), t * x.cos() * 3.0),
    )
}

#[test]
fn vmap_of_custom_jvp_equals_a_loop_and_keeps_the_rule() {
    let f = odd_sin();
    let xs = t64(&seq(6, 1.5, 0.2), &[3, 2]);
    close(&vmap(&f)(&xs), &loop_map(&f, &xs, 0), 0.0);
    close(
        &vmap_with(&f, VmapSpec::new().in_axes(1))(&xs),
        &loop_map(&f, &xs, 1),
        0.0,
    );
    // Still one custom_jvp_call equation after batching.
    let text = make_jaxpr(vmap(&f))(&xs).to_string();
    assert_eq!(text.matches("custom_jvp_call[").count(), 1, "{text}");
    // grad of vmap differentiates the batched call: the vmapped rule gives 3 cos x.
    let g = grad(|xs: &Tensor| vmap(&f)(xs).sum())(&xs);
    close(&g, &(xs.cos() * 3.0), 1e-15);
    // jvp of vmap.
    let ts = t64(&seq(6, 1.0, 1.1), &[3, 2]);
    let (y, ty) = jvp(vmap(&f), &xs, &ts);
    close(&y, &xs.sin(), 0.0);
    close(&ty, &(&ts * xs.cos() * 3.0), 1e-15);
    // vmap of grad: the rule runs under the batch trace.
    let per = vmap(grad(|x: &Tensor| f(x).sum()))(&xs);
    close(
        &per,
        &loop_map(grad(|x: &Tensor| f(x).sum()), &xs, 0),
        1e-15,
    );
    close(&per, &(xs.cos() * 3.0), 1e-15);
}

#[test]
fn custom_jvp_with_an_unbatched_argument_and_a_batched_closure() {
    // f(a, b) = a * sin(b) with a rule that scales b's contribution by 2.
    let f = custom_jvp(
        "mix",
        |(a, b): &(Tensor, Tensor)| a * b.sin(),
        |(a, b): &(Tensor, Tensor), (ta, tb): &(Tensor, Tensor)| {
            (a * b.sin(), ta * b.sin() + a * b.cos() * tb * 2.0)
        },
    );
    let a = t64(&seq(8, 1.0, 0.3), &[4, 2]);
    let b = t64(&[0.4, -0.9], &[2]);
    let spec = VmapSpec::new().in_axes((0, AxisSpec::NotMapped));
    let got = vmap_with(&f, spec.clone())(&(a.clone(), b.clone()));
    let want = loop_map(|ai| f(&(ai.clone(), b.clone())), &a, 0);
    close(&got, &want, 0.0);
    // Gradients through the batched call, w.r.t. the batched and the unbatched argument.
    let (ga, gb) = grad(|(a, b): &(Tensor, Tensor)| {
        vmap_with(&f, spec.clone())(&(a.clone(), b.clone())).sum()
    })(&(a.clone(), b.clone()));
    close(&ga, &b.sin().broadcast_to(&[4, 2]), 1e-15);
    close(&gb, &((a.sum_axes(&[0]) * b.cos()) * 2.0), 1e-14);
    // A custom_jvp function closing over a batched value (a captured constant of the call).
    let c = t64(&[1.0, 2.0, 3.0, 4.0], &[4]);
    let got = vmap_with(
        |(ci, x): &(Tensor, Tensor)| {
            let cr = ci.clone();
            let g = custom_jvp(
                "scaled",
                |x: &Tensor| x * ci,
                move |x: &Tensor, t: &Tensor| (x * &cr, t * &cr),
            );
            g(x)
        },
        VmapSpec::new().in_axes((0, AxisSpec::NotMapped)),
    )(&(c.clone(), b.clone()));
    let want = loop_map(|ci| &b * ci, &c, 0);
    close(&got, &want, 0.0);
}

// ---- custom_vjp --------------------------------------------------------------------------

/// exp with a backward pass scaled by 10.
fn loud_exp() -> impl Fn(&Tensor) -> Tensor {
    custom_vjp(
        "loud_exp",
        |x: &Tensor| x.exp(),
        |x: &Tensor| (x.exp(), x.exp()),
        |ex: &Tensor, ct: &Tensor| ct * ex * 10.0,
    )
}

#[test]
fn vmap_of_custom_vjp_equals_a_loop_and_keeps_fwd_and_bwd() {
    let f = loud_exp();
    let xs = t64(&seq(6, 1.0, 0.5), &[2, 3]);
    close(&vmap(&f)(&xs), &loop_map(&f, &xs, 0), 0.0);
    close(
        &vmap_with(&f, VmapSpec::new().in_axes(-1))(&xs),
        &loop_map(&f, &xs, -1),
        0.0,
    );
    let text = make_jaxpr(vmap(&f))(&xs).to_string();
    assert_eq!(text.matches("custom_vjp_call[").count(), 1, "{text}");
    // grad of vmap runs the batched fwd and bwd.
    let g = grad(|xs: &Tensor| (vmap(&f)(xs) * 2.0).sum())(&xs);
    close(&g, &(xs.exp() * 20.0), 1e-14);
    // vmap of grad equals a loop of grad.
    let one = |x: &Tensor| (f(x) * x).sum();
    close(&vmap(grad(one))(&xs), &loop_map(grad(one), &xs, 0), 1e-14);
}

#[test]
fn custom_vjp_cotangents_of_unbatched_inputs_sum_over_the_batch() {
    let h = custom_vjp(
        "mulsum",
        |(a, b): &(Tensor, Tensor)| (a * b).sum(),
        |(a, b): &(Tensor, Tensor)| ((a * b).sum(), (a.clone(), b.clone())),
        |(a, b): &(Tensor, Tensor), ct: &Tensor| (b * ct * 10.0, a * ct),
    );
    let a = t64(&seq(6, 1.0, 0.1), &[3, 2]);
    let b = t64(&[0.5, -2.0], &[2]);
    let spec = VmapSpec::new().in_axes((0, AxisSpec::NotMapped));
    let vals = vmap_with(&h, spec.clone())(&(a.clone(), b.clone()));
    close(
        &vals,
        &loop_map(|ai| h(&(ai.clone(), b.clone())), &a, 0),
        1e-15,
    );
    let (ga, gb) = grad(|(a, b): &(Tensor, Tensor)| {
        vmap_with(&h, spec.clone())(&(a.clone(), b.clone())).sum()
    })(&(a.clone(), b.clone()));
    close(&ga, &(b.broadcast_to(&[3, 2]) * 10.0), 1e-15);
    close(&gb, &a.sum_axes(&[0]), 1e-15);
}

#[test]
fn custom_lin_batches_under_a_transposed_vmap() {
    // vmap of a linearized custom_vjp function, transposed: custom_lin is batched with
    // unbatched residuals and batched tangents, then its batched bwd runs.
    let f = loud_exp();
    let x = t64(&[0.1, 0.7, -0.4], &[3]);
    let (_, f_lin) = linearize(&f, &x);
    let example = Tensor::zeros(&[4, 3], DType::F64);
    let ft = linear_transpose(|ts: &Tensor| vmap(|t: &Tensor| f_lin(t))(ts), &example);
    let cts = t64(&seq(12, 1.0, 0.9), &[4, 3]);
    let (_, pullback) = vjp(&f, &x);
    close(&ft(&cts), &loop_map(&pullback, &cts, 0), 1e-14);
    close(&ft(&cts), &(&cts * x.exp() * 10.0), 1e-14);
}

// ---- checkpoint --------------------------------------------------------------------------

#[test]
fn vmap_of_checkpoint_equals_a_loop_with_derivatives() {
    let block = checkpoint(|x: &Tensor| x.sin().exp().tanh());
    let plain = |x: &Tensor| x.sin().exp().tanh();
    let xs = t64(&seq(8, 1.2, 0.0), &[4, 2]);
    close(&vmap(&block)(&xs), &loop_map(&block, &xs, 0), 0.0);
    close(
        &vmap_with(&block, VmapSpec::new().in_axes(1))(&xs),
        &loop_map(plain, &xs, 1),
        0.0,
    );
    let text = make_jaxpr(vmap(&block))(&xs).to_string();
    assert_eq!(text.matches("checkpoint[").count(), 1, "{text}");
    // grad of vmap, vmap of grad.
    let g = grad(|xs: &Tensor| vmap(&block)(xs).sum())(&xs);
    let want = grad(|xs: &Tensor| plain(xs).sum())(&xs);
    close(&g, &want, 1e-14);
    let one = |x: &Tensor| (block(x) * x).sum();
    close(&vmap(grad(one))(&xs), &loop_map(grad(one), &xs, 0), 1e-14);
    // vmap of jvp batches the differentiated (tangent) block too.
    let ts = t64(&seq(8, 1.0, 2.0), &[4, 2]);
    let pushed = vmap(|(x, t): &(Tensor, Tensor)| jvp(&block, x, t).1)(&(xs.clone(), ts.clone()));
    let (_, want) = jvp(plain, &xs, &ts);
    close(&pushed, &want, 1e-14);
    let text = make_jaxpr(vmap(|(x, t): &(Tensor, Tensor)| jvp(&block, x, t).1))(&(
        xs.clone(),
        ts.clone(),
    ))
    .to_string();
    assert!(text.contains("differentiated=True"), "{text}");
    // Under vmap with the tangents only batched.
    let x0 = xs.index_axis(0, 0);
    let tan_only = vmap_with(
        |(x, t): &(Tensor, Tensor)| jvp(&block, x, t).1,
        VmapSpec::new().in_axes((AxisSpec::NotMapped, 0)),
    )(&(x0.clone(), ts.clone()));
    close(
        &tan_only,
        &loop_map(|t| jvp(plain, &x0, t).1, &ts, 0),
        1e-14,
    );
    // grad of vmap of a checkpoint block with a closed-over unbatched weight.
    let w = t64(&[0.3, -0.8], &[2]);
    let wb = w.clone();
    let inner = checkpoint(move |x: &Tensor| (x * &wb).sin());
    let gw = grad(|w2: &Tensor| vmap(|x: &Tensor| inner(x) * w2)(&xs).sum())(&w);
    let want = grad(|w2: &Tensor| ((&xs * &w).sin() * w2).sum())(&w);
    close(&gw, &want, 1e-14);
}

// ---- vmap with grad, jvp and itself ------------------------------------------------------

#[derive(PyTree, Clone, Debug)]
struct Mlp {
    w1: Tensor,
    b1: Tensor,
    w2: Tensor,
    b2: Tensor,
}

fn mlp_loss(p: &Mlp, x: &Tensor, y: &Tensor) -> Tensor {
    let h = (x.matmul(&p.w1) + &p.b1).tanh();
    let out = h.matmul(&p.w2) + &p.b2;
    let d = out - y;
    (&d * &d).sum()
}

#[test]
fn per_example_gradients_of_an_mlp_equal_a_loop_of_grad() {
    let p = Mlp {
        w1: t64(&seq(12, 0.5, 0.0), &[3, 4]),
        b1: t64(&seq(4, 0.1, 1.0), &[4]),
        w2: t64(&seq(8, 0.5, 2.0), &[4, 2]),
        b2: t64(&seq(2, 0.1, 3.0), &[2]),
    };
    let xs = t64(&seq(15, 1.0, 0.7), &[5, 3]);
    let ys = t64(&seq(10, 1.0, 1.9), &[5, 2]);
    let per_example = vmap_with(
        |(p, x, y): &(Mlp, Tensor, Tensor)| grad(|p: &Mlp| mlp_loss(p, x, y))(p),
        VmapSpec::new().in_axes((AxisSpec::NotMapped, 0, 0)),
    );
    let g = per_example(&(p.clone(), xs.clone(), ys.clone()));
    assert_eq!(g.w1.shape(), &[5, 3, 4]);
    let loops: Vec<Mlp> = (0..5)
        .map(|i| grad(|p: &Mlp| mlp_loss(p, &xs.index_axis(0, i), &ys.index_axis(0, i)))(&p))
        .collect();
    let stack = |f: fn(&Mlp) -> &Tensor| {
        jnp::stack(&loops.iter().map(|m| f(m).clone()).collect::<Vec<_>>(), 0)
    };
    close(&g.w1, &stack(|m| &m.w1), 1e-13);
    close(&g.b1, &stack(|m| &m.b1), 1e-13);
    close(&g.w2, &stack(|m| &m.w2), 1e-13);
    close(&g.b2, &stack(|m| &m.b2), 1e-13);
    // Their mean is the gradient of the mean loss.
    let mean_loss = |p: &Mlp| {
        vmap_with(
            |(p, x, y): &(Mlp, Tensor, Tensor)| mlp_loss(p, x, y),
            VmapSpec::new().in_axes((AxisSpec::NotMapped, 0, 0)),
        )(&(p.clone(), xs.clone(), ys.clone()))
        .sum()
    };
    let full = grad(mean_loss)(&p);
    close(&full.w1, &g.w1.sum_axes(&[0]), 1e-13);
    close(&full.b2, &g.b2.sum_axes(&[0]), 1e-13);
}

#[test]
fn grad_of_vmap_equals_the_gradient_of_the_loop() {
    let f = |x: &Tensor| (x.sin() * x.cos().sum()).sum() * x.exp().sum();
    let xs = t64(&seq(12, 1.0, 0.4), &[4, 3]);
    let g = grad(|xs: &Tensor| (vmap(f)(xs) * t64(&[1.0, 2.0, 3.0, 4.0], &[4])).sum())(&xs);
    let want = loop_map(|x| grad(f)(x), &xs, 0) * t64(&[1.0, 2.0, 3.0, 4.0], &[4, 1]);
    close(&g, &want, 1e-13);
    // With the batch on axis 1.
    let g1 = grad(|xs: &Tensor| vmap_with(f, VmapSpec::new().in_axes(1))(xs).sum())(&xs);
    let want1 = loop_map(|x| grad(f)(x), &xs, 1);
    close(&g1, &lax::transpose(&want1, &[1, 0]), 1e-13);
}

#[test]
fn vmap_of_vmap_equals_a_double_loop() {
    let f = |x: &Tensor| (x.tanh() * x.sum()).exp();
    let xs = t64(&seq(24, 1.0, 0.1), &[2, 3, 4]);
    let got = vmap(vmap(f))(&xs);
    let want = loop_map(|x| loop_map(f, x, 0), &xs, 0);
    close(&got, &want, 1e-14);
    // Outer over axis 2, inner over (what is left of) axis 0.
    let got = vmap_with(vmap(f), VmapSpec::new().in_axes(2))(&xs);
    let want = loop_map(|x| loop_map(f, x, 0), &xs, 2);
    close(&got, &want, 1e-14);
    // Nested with an unbatched argument at each level.
    let c = t64(&[1.0, -1.0, 0.5, 2.0], &[4]);
    let inner = vmap_with(
        |(x, c): &(Tensor, Tensor)| f(x) * c,
        VmapSpec::new().in_axes((0, AxisSpec::NotMapped)),
    );
    let outer = vmap_with(inner, VmapSpec::new().in_axes((0, AxisSpec::NotMapped)));
    let got = outer(&(xs.clone(), c.clone()));
    let want = loop_map(|x| loop_map(|v| f(v) * &c, x, 0), &xs, 0);
    close(&got, &want, 1e-14);
}

#[test]
fn vmap_of_jvp_equals_a_loop() {
    let f = |x: &Tensor| (x.sin() * x).sum() * x.cos();
    let xs = t64(&seq(12, 1.0, 0.4), &[4, 3]);
    let ts = t64(&seq(12, 1.0, 1.4), &[4, 3]);
    let (ys, dys) = vmap(|(x, t): &(Tensor, Tensor)| jvp(f, x, t))(&(xs.clone(), ts.clone()));
    let mut want_y = Vec::new();
    let mut want_t = Vec::new();
    for i in 0..4 {
        let (y, t) = jvp(f, &xs.index_axis(0, i), &ts.index_axis(0, i));
        want_y.push(y);
        want_t.push(t);
    }
    close(&ys, &jnp::stack(&want_y, 0), 1e-14);
    close(&dys, &jnp::stack(&want_t, 0), 1e-14);
    // Tangents batched, primal shared: a batch of directional derivatives.
    let x0 = xs.index_axis(0, 1);
    let dirs = vmap_with(
        |(x, t): &(Tensor, Tensor)| jvp(f, x, t).1,
        VmapSpec::new().in_axes((AxisSpec::NotMapped, 0)),
    )(&(x0.clone(), ts.clone()));
    close(&dirs, &loop_map(|t| jvp(f, &x0, t).1, &ts, 0), 1e-14);
}

// ---- Jacobians ---------------------------------------------------------------------------

/// Central finite differences, shaped `out.shape + in.shape`.
fn fd_jacobian(f: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Tensor {
    let h = 1e-6;
    let xv = x.to_vec::<f64>();
    let y_shape = f(x).shape().to_vec();
    let m: usize = y_shape.iter().product();
    let n = xv.len();
    let mut jac = vec![0.0; m * n];
    for j in 0..n {
        let mut plus = xv.clone();
        let mut minus = xv.clone();
        plus[j] += h;
        minus[j] -= h;
        let yp = f(&t64(&plus, x.shape())).to_vec::<f64>();
        let ym = f(&t64(&minus, x.shape())).to_vec::<f64>();
        for i in 0..m {
            jac[i * n + j] = (yp[i] - ym[i]) / (2.0 * h);
        }
    }
    let mut shape = y_shape;
    shape.extend_from_slice(x.shape());
    t64(&jac, &shape)
}

/// R^3 -> R^2.
fn r3_to_r2(x: &Tensor) -> Tensor {
    let a = (x.sin() * t64(&[1.0, 2.0, 3.0], &[3])).sum();
    let b = (x * x).sum() * x.index_axis(0, 0).exp();
    jnp::stack(&[a, b], 0)
}

/// R^{2x2} -> R^3.
fn r22_to_r3(x: &Tensor) -> Tensor {
    let w = t64(&[1.0, -2.0, 0.5, 0.3, 1.5, -1.0], &[2, 3]);
    (x.tanh().matmul(&w) * x.sum()).sum_axes(&[0])
}

#[test]
fn jacfwd_and_jacrev_agree_on_non_square_jacobians() {
    let x = t64(&[0.3, -0.7, 1.1], &[3]);
    let jf = jacfwd(r3_to_r2)(&x);
    let jr = jacrev(r3_to_r2)(&x);
    assert_eq!(jf.shape(), &[2, 3]);
    close(&jf, &jr, 1e-14);
    close(&jf, &fd_jacobian(r3_to_r2, &x), 1e-7);
    let x = t64(&[0.3, -0.7, 1.1, 0.2], &[2, 2]);
    let jf = jacfwd(r22_to_r3)(&x);
    let jr = jacrev(r22_to_r3)(&x);
    assert_eq!(jf.shape(), &[3, 2, 2]);
    close(&jf, &jr, 1e-14);
    close(&jf, &fd_jacobian(r22_to_r3, &x), 1e-7);
    // Scalar input and scalar output.
    let s = Tensor::scalar(0.4f64);
    let fs = |x: &Tensor| jnp::stack(&[x.sin(), x * x], 0);
    assert_eq!(jacfwd(fs)(&s).shape(), &[2]);
    close(&jacfwd(fs)(&s), &jacrev(fs)(&s), 1e-15);
    close(&jacfwd(fs)(&s), &t64(&[0.4f64.cos(), 0.8], &[2]), 1e-15);
    let sum_sq = |x: &Tensor| (x * x).sum();
    close(&jacrev(sum_sq)(&x), &(&x * 2.0), 1e-15);
    close(&jacfwd(sum_sq)(&x), &(&x * 2.0), 1e-15);
    // f32 keeps its dtype.
    let x32 = Tensor::from_vec(vec![0.5f32, 1.0, 1.5], &[3]);
    let j32 = jacfwd(|x: &Tensor| x.sin().sum_axes(&[0]) * x)(&x32);
    assert_eq!((j32.dtype(), j32.shape()), (DType::F32, &[3usize, 3][..]));
}

#[test]
fn hessian_is_jacfwd_of_jacrev_and_matches_finite_differences() {
    let f = |x: &Tensor| (x.sin() * x.sum()).sum() * x.index_axis(0, 1).exp();
    let x = t64(&[0.3, -0.7, 1.1], &[3]);
    let h = hessian(f)(&x);
    assert_eq!(h.shape(), &[3, 3]);
    close(&h, &jacfwd(jacrev(f))(&x), 0.0);
    close(&h, &jacrev(jacrev(f))(&x), 1e-13);
    close(&h, &jacfwd(jacfwd(f))(&x), 1e-13);
    close(&h, &lax::transpose(&h, &[1, 0]), 1e-13);
    close(&h, &fd_jacobian(grad(f), &x), 1e-7);
    // Matrix input: shape in.shape + in.shape.
    let g = |x: &Tensor| (x.tanh().matmul(x) * x).sum();
    let xm = t64(&[0.3, -0.7, 1.1, 0.2], &[2, 2]);
    let hm = hessian(g)(&xm);
    assert_eq!(hm.shape(), &[2, 2, 2, 2]);
    close(&hm, &fd_jacobian(grad(g), &xm), 1e-7);
}

#[test]
fn jacobians_trace_the_function_once() {
    // Four inputs, three outputs: a loop over basis vectors would repeat f's `sin` 4 (jacfwd)
    // or leave several copies; one vmapped jvp/pullback has exactly one.
    let f = |x: &Tensor| {
        let w = t64(&seq(12, 1.0, 0.0), &[4, 3]);
        x.sin().matmul(&w)
    };
    let x = t64(&[0.1, 0.2, 0.3, 0.4], &[4]);
    let count = |text: &str| text.matches(" sin ").count();
    let fwd = make_jaxpr(jacfwd(f))(&x).to_string();
    assert_eq!(count(&fwd), 1, "{fwd}");
    let rev = make_jaxpr(jacrev(f))(&x).to_string();
    assert_eq!(count(&rev), 1, "{rev}");
    // The Jacobian is one batched dot_general against the basis, not one per vector.
    assert!(fwd.matches("dot_general[").count() <= 2, "{fwd}");
    // The Hessian's jaxpr does not grow with the input size (its two `sin`s are the primal
    // and the derivative of `cos`, as in JAX).
    let h = |x: &Tensor| x.sin().sum();
    let hess4 = make_jaxpr(hessian(h))(&x).to_string();
    let hess9 = make_jaxpr(hessian(h))(&t64(&seq(9, 1.0, 0.0), &[9])).to_string();
    assert_eq!(count(&hess4), 2, "{hess4}");
    assert_eq!(
        hess4.lines().count(),
        hess9.lines().count(),
        "{hess4}\n{hess9}"
    );
    // Values are still right.
    close(&jacfwd(f)(&x), &jacrev(f)(&x), 1e-14);
    close(&jacfwd(f)(&x), &fd_jacobian(f, &x), 1e-7);
}

#[test]
fn collectives_inside_custom_rules_and_checkpoint_under_a_named_vmap() {
    // Centering across the batch (as BatchNorm does) inside a checkpoint block and inside a
    // custom_jvp function and its rule: the batched sub-jaxprs and rules see the axis name.
    let xs = t64(&[0.1, 0.2, 0.3, 0.5, 0.8, 1.3], &[3, 2]);
    let center = |x: &Tensor| x - lax::pmean(x, "b");
    let want = &xs - xs.sum_axes(&[0]) / 3.0;
    let block = checkpoint(center);
    let f = vmap_with(|x: &Tensor| block(x), VmapSpec::new().axis_name("b"));
    close(&f(&xs), &want, 1e-15);
    let g = grad(|xs: &Tensor| (f(xs) * f(xs)).sum())(&xs);
    close(&g, &(&want * 2.0), 1e-14);
    let cj = custom_jvp("center", center, move |x: &Tensor, t: &Tensor| {
        (center(x), center(t))
    });
    let f2 = vmap_with(|x: &Tensor| cj(x), VmapSpec::new().axis_name("b"));
    close(&f2(&xs), &want, 1e-15);
    let g2 = grad(|xs: &Tensor| (f2(xs) * f2(xs)).sum())(&xs);
    close(&g2, &(&want * 2.0), 1e-14);
}
