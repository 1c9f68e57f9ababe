//! Transformations composed with each other (in the spirit of Autodidax's stress tests),
//! custom rules, rematerialization, and the API's error messages.

use ferrax::prelude::*;
use ferrax::test_util::check_grads;
use ferrax::{lax, nn};

fn t64(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}

fn s64(v: f64) -> Tensor {
    Tensor::scalar(v)
}

use crate::common;
use common::close::assert_close as close;

#[test]
fn third_derivative_of_sin_is_minus_cos() {
    let d3 = grad(grad(grad(|x: &Tensor| x.sin())));
    for v in [-1.3, 0.0, 0.7, 2.0] {
        close(&[d3(&s64(v)).item::<f64>()], &[-v.cos()], 1e-14);
    }
}

#[test]
fn derivatives_of_x_to_the_fifth_per_order() {
    let x = s64(1.5);
    let f = |x: &Tensor| x.powi(5);
    let d5 = grad(grad(grad(grad(grad(f)))));
    let d6 = grad(grad(grad(grad(grad(grad(f))))));
    let v = 1.5f64;
    close(&[d5(&x).item::<f64>()], &[120.0], 1e-12);
    close(&[d6(&x).item::<f64>()], &[0.0], 1e-12);
    close(
        &[grad(grad(grad(grad(f))))(&x).item::<f64>()],
        &[120.0 * v],
        1e-12,
    );
    let g1 = grad(f)(&x).item::<f64>();
    let g2 = grad(grad(f))(&x).item::<f64>();
    let g3 = grad(grad(grad(f)))(&x).item::<f64>();
    close(
        &[g1, g2, g3],
        &[5.0 * v.powi(4), 20.0 * v.powi(3), 60.0 * v * v],
        1e-12,
    );
}

#[test]
fn hessian_four_ways_agree() {
    let f = |x: &Tensor| (x.sin() * x.sum()).sum() + (x * x * x).sum();
    let x = t64(&[0.3, -0.7, 1.1], &[3]);
    let h1 = hessian(f)(&x).to_vec::<f64>();
    let h2 = jacrev(jacfwd(f))(&x).to_vec::<f64>();
    let h3 = jacfwd(jacfwd(f))(&x).to_vec::<f64>();
    let h4 = jacrev(jacrev(f))(&x).to_vec::<f64>();
    // Reference by hand: f = sum_i sin(x_i) * S + sum x_i^3, S = sum x.
    let xs = [0.3f64, -0.7, 1.1];
    let s: f64 = xs.iter().sum();
    let mut h = vec![0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            let mut v = xs[i].cos() + xs[j].cos();
            if i == j {
                v += -xs[i].sin() * s + 6.0 * xs[i];
            }
            h[i * 3 + j] = v;
        }
    }
    for got in [&h1, &h2, &h3, &h4] {
        close(got, &h, 1e-12);
    }
    assert_eq!(hessian(f)(&x).shape(), &[3, 3]);
}

#[test]
fn nested_jvp_grad_vjp() {
    let f = |x: &Tensor| (x.tanh() * x.exp()).sum();
    let x = t64(&[0.2, -0.4], &[2]);
    let v = t64(&[1.0, 2.0], &[2]);
    // jvp of grad: Hessian-vector product, against jacfwd(grad).
    let (_, hvp) = jvp(grad(f), &x, &v);
    let h = jacfwd(grad(f))(&x).to_vec::<f64>();
    let expect = [h[0] + 2.0 * h[1], h[2] + 2.0 * h[3]];
    close(&hvp.to_vec::<f64>(), &expect, 1e-12);
    // grad of a function that calls vjp inside.
    let g = grad(|x: &Tensor| {
        let (_, pullback) = vjp(|y: &Tensor| y.sin() * y, x);
        pullback(&Tensor::ones(&[2], DType::F64)).sum()
    })(&x);
    // d/dx sum(cos(x) x + sin(x)) = -sin x * x + cos x + cos x
    let expect: Vec<f64> = [0.2f64, -0.4]
        .iter()
        .map(|&a| -a.sin() * a + 2.0 * a.cos())
        .collect();
    close(&g.to_vec::<f64>(), &expect, 1e-13);
    // jvp of jvp.
    let (_, second) = jvp(
        |x: &Tensor| jvp(|y: &Tensor| y.powi(3), x, &Tensor::ones(&[], DType::F64)).1,
        &s64(2.0),
        &s64(1.0),
    );
    close(&[second.item::<f64>()], &[12.0], 1e-12);
}

#[test]
fn value_and_grad_aux_and_pytrees() {
    let w = t64(&[0.5, -1.0, 2.0, 0.1, 0.3, -0.2], &[3, 2]);
    let b = t64(&[0.1, 0.2], &[2]);
    let x = t64(&[1.0, 2.0, 3.0], &[1, 3]);
    let loss = |(w, b): &(Tensor, Tensor)| (x.matmul(w) + b).tanh().sum();
    let (v, (gw, gb)) = value_and_grad(loss)(&(w.clone(), b.clone()));
    assert_eq!(v.shape(), &[] as &[usize]);
    assert_eq!(gw.shape(), &[3, 2]);
    // Reference: d/dz tanh = 1 - tanh^2.
    let z: Vec<f64> = (0..2)
        .map(|j| {
            (0..3)
                .map(|i| [1.0, 2.0, 3.0][i] * w.to_vec::<f64>()[i * 2 + j])
                .sum::<f64>()
                + [0.1, 0.2][j]
        })
        .collect();
    let dz: Vec<f64> = z.iter().map(|z| 1.0 - z.tanh().powi(2)).collect();
    close(&gb.to_vec::<f64>(), &dz, 1e-13);
    let gw_ref: Vec<f64> = (0..6).map(|k| [1.0, 2.0, 3.0][k / 2] * dz[k % 2]).collect();
    close(&gw.to_vec::<f64>(), &gw_ref, 1e-13);
    let ((v2, aux), _) = value_and_grad_with_aux(|p: &(Tensor, Tensor)| (loss(p), p.0.sum()))(&(
        w.clone(),
        b.clone(),
    ));
    assert_eq!(v2.item::<f64>(), v.item::<f64>());
    close(&[aux.item::<f64>()], &[w.sum().item::<f64>()], 0.0);
    let (g3, aux3) =
        grad_with_aux(|p: &(Tensor, Tensor)| (loss(p), (p.1.clone(), 7.0 * p.1.sum())))(&(w, b));
    close(&g3.1.to_vec::<f64>(), &dz, 1e-13);
    assert_eq!(aux3.0.shape(), &[2]);
    check_grads(
        loss,
        &(
            t64(&[0.5, -1.0, 2.0, 0.1, 0.3, -0.2], &[3, 2]),
            t64(&[0.1, 0.2], &[2]),
        ),
        2,
    );
}

#[test]
fn linearize_is_reusable_and_matches_jvp() {
    let f = |x: &Tensor| (x.sin() * x).exp();
    let x = t64(&[0.1, 0.5, -0.3], &[3]);
    let (y, f_lin) = linearize(f, &x);
    close(&y.to_vec::<f64>(), &f(&x).to_vec::<f64>(), 0.0);
    for v in [t64(&[1.0, 0.0, 0.0], &[3]), t64(&[0.3, -2.0, 1.0], &[3])] {
        let (_, expect) = jvp(f, &x, &v);
        close(&f_lin(&v).to_vec::<f64>(), &expect.to_vec::<f64>(), 1e-14);
    }
}

#[test]
fn vjp_pullback_can_be_called_many_times() {
    let x = t64(&[1.0, 2.0], &[2]);
    let (y, pullback) = vjp(|x: &Tensor| (x * x, x.sum()), &x);
    assert_eq!(y.0.to_vec::<f64>(), vec![1.0, 4.0]);
    let g1 = pullback(&(t64(&[1.0, 0.0], &[2]), s64(0.0)));
    let g2 = pullback(&(t64(&[0.0, 0.0], &[2]), s64(1.0)));
    assert_eq!(g1.to_vec::<f64>(), vec![2.0, 0.0]);
    assert_eq!(g2.to_vec::<f64>(), vec![1.0, 1.0]);
}

#[test]
fn jacobians_of_non_square_functions_agree_with_each_other() {
    let f = |x: &Tensor| {
        let y = x.sin();
        lax::concatenate(&[y.clone(), (x * x).sum().reshape(&[1])], 0) * 2.0
    };
    let x = t64(&[0.1, 0.2], &[2]);
    let jf = jacfwd(f)(&x);
    let jr = jacrev(f)(&x);
    assert_eq!(jf.shape(), &[3, 2]);
    close(&jf.to_vec::<f64>(), &jr.to_vec::<f64>(), 1e-14);
    let expect = [2.0 * 0.1f64.cos(), 0.0, 0.0, 2.0 * 0.2f64.cos(), 0.4, 0.8];
    close(&jf.to_vec::<f64>(), &expect, 1e-14);
}

#[test]
fn custom_jvp_is_used_by_forward_and_reverse_mode() {
    // A deliberately "wrong" rule proves the rule (not the function) is differentiated.
    let f = custom_jvp(
        "f",
        |x: &Tensor| x.sin(),
        |x: &Tensor, t: &Tensor| (x.sin(), t * 3.0),
    );
    let x = t64(&[0.5, 1.0], &[2]);
    let (_, t) = jvp(&f, &x, &Tensor::ones(&[2], DType::F64));
    assert_eq!(t.to_vec::<f64>(), vec![3.0, 3.0]);
    let g = grad(|x: &Tensor| f(x).sum())(&x);
    assert_eq!(g.to_vec::<f64>(), vec![3.0, 3.0]);
    // Eager calls just run the function.
    close(&f(&x).to_vec::<f64>(), &[0.5f64.sin(), 1.0f64.sin()], 0.0);
    // Under make_jaxpr it is one custom_jvp_call equation.
    let j = make_jaxpr(&f)(&x);
    assert!(
        j.to_string().contains("custom_jvp_call[") && j.to_string().contains("name=f"),
        "{j}"
    );
    // grad of grad through the rule: the rule's tangent computation is differentiated.
    let sq = custom_jvp(
        "sq",
        |x: &Tensor| x * x,
        |x: &Tensor, t: &Tensor| (x * x, t * x * 2.0),
    );
    let gg = grad(grad(move |x: &Tensor| sq(x)))(&s64(3.0));
    assert_eq!(gg.item::<f64>(), 2.0);
}

#[test]
fn custom_vjp_is_used_by_reverse_mode() {
    let f = custom_vjp(
        "scaled_bwd",
        |x: &Tensor| x.exp(),
        |x: &Tensor| (x.exp(), x.exp()),
        |ex: &Tensor, ct: &Tensor| ct * ex * 10.0,
    );
    let x = t64(&[0.0, 1.0], &[2]);
    let g = grad(|x: &Tensor| f(x).sum())(&x);
    close(&g.to_vec::<f64>(), &[10.0, 10.0 * 1.0f64.exp()], 1e-14);
    // Residual pytrees and multiple arguments.
    let h = custom_vjp(
        "mulsum",
        |(a, b): &(Tensor, Tensor)| (a * b).sum(),
        |(a, b): &(Tensor, Tensor)| ((a * b).sum(), (a.clone(), b.clone())),
        |(a, b): &(Tensor, Tensor), ct: &Tensor| (b * ct, a * ct),
    );
    let (ga, gb) = grad(&h)(&(t64(&[1.0, 2.0], &[2]), t64(&[3.0, 4.0], &[2])));
    assert_eq!(
        (ga.to_vec::<f64>(), gb.to_vec::<f64>()),
        (vec![3.0, 4.0], vec![1.0, 2.0])
    );
}

#[test]
#[should_panic(expected = "forward-mode")]
fn custom_vjp_rejects_forward_mode() {
    let f = custom_vjp(
        "f",
        |x: &Tensor| x.exp(),
        |x: &Tensor| (x.exp(), ()),
        |_: &(), ct: &Tensor| ct.clone(),
    );
    let _ = jvp(&f, &s64(1.0), &s64(1.0));
}

#[test]
fn checkpoint_gives_the_same_gradients_and_recomputes() {
    let block = checkpoint(|x: &Tensor| x.sin().exp().tanh());
    let f = move |x: &Tensor| block(x).sum();
    let plain = |x: &Tensor| x.sin().exp().tanh().sum();
    let x = t64(&[0.3, -1.2, 0.8], &[3]);
    close(
        &grad(&f)(&x).to_vec::<f64>(),
        &grad(plain)(&x).to_vec::<f64>(),
        1e-15,
    );
    close(
        &grad(grad(&f))(&s64(0.4)).to_vec::<f64>(),
        &grad(grad(plain))(&s64(0.4)).to_vec::<f64>(),
        1e-14,
    );
    // The linearized checkpointed function keeps only the block's input as a residual (one
    // constvar) and one differentiated checkpoint equation; without checkpoint the
    // intermediates (cos, exp, tanh, ...) are residuals.
    let (_, f_lin) = linearize(&f, &x);
    let lin_text = make_jaxpr(|t: &Tensor| f_lin(t))(&x).to_string();
    assert!(
        lin_text.starts_with("{ lambda a:f64[3]; b:f64[3]. let"),
        "{lin_text}"
    );
    assert!(
        lin_text.contains("checkpoint[") && lin_text.contains("differentiated=True"),
        "{lin_text}"
    );
    let (_, plain_lin) = linearize(plain, &x);
    let plain_text = make_jaxpr(|t: &Tensor| plain_lin(t))(&x).to_string();
    assert!(
        plain_text.starts_with("{ lambda a:f64[3] b:f64[3]"),
        "{plain_text}"
    );
    check_grads(&f, &x, 2);
}

#[test]
fn linear_transpose_and_stop_gradient() {
    let ft = linear_transpose(
        |x: &Tensor| lax::transpose(&x.broadcast_to(&[2, 3]), &[1, 0]) * 3.0,
        &t64(&[0.0; 3], &[3]),
    );
    let ct = t64(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    assert_eq!(ft(&ct).to_vec::<f64>(), vec![9.0, 21.0, 33.0]);
    let g = grad(|x: &Tensor| (x * stop_gradient(&x.exp())).sum())(&t64(&[0.0, 1.0], &[2]));
    close(&g.to_vec::<f64>(), &[1.0, 1.0f64.exp()], 1e-15);
}

#[test]
fn jvp_golden_matches_jax() {
    let j = make_jaxpr(|(x, t): &(Tensor, Tensor)| jvp(|x: &Tensor| x.sin(), x, t))(&(
        Tensor::zeros(&[3], DType::F32),
        Tensor::zeros(&[3], DType::F32),
    ));
    let expected = "\
{ lambda ; a:f32[3] b:f32[3]. let
    c:f32[3] = sin a
    d:f32[3] = cos a
    e:f32[3] = mul b d
  in (c, e) }";
    assert_eq!(j.to_string(), expected);
}

#[test]
fn grad_golden_matches_jax() {
    // jax.make_jaxpr(jax.grad(lambda x, y: jnp.sum((jnp.sin(x) * 2 + y) * x)))(f32[3], f32[3])
    let f = |(x, y): &(Tensor, Tensor)| grad(|x: &Tensor| ((x.sin() * 2.0 + y) * x).sum())(x);
    let j = make_jaxpr(f)(&(
        Tensor::zeros(&[3], DType::F32),
        Tensor::zeros(&[3], DType::F32),
    ));
    let expected = "\
{ lambda ; a:f32[3] b:f32[3]. let
    c:f32[3] = sin a
    d:f32[3] = cos a
    e:f32[3] = mul c 2.0:f32[]
    f:f32[3] = add e b
    g:f32[3] = mul f a
    _:f32[] = reduce_sum[axes=(0,)] g
    h:f32[3] = broadcast_in_dim 1.0:f32[]
    i:f32[3] = mul f h
    j:f32[3] = mul h a
    k:f32[3] = mul j 2.0:f32[]
    l:f32[3] = mul k d
    m:f32[3] = add_any i l
  in (m,) }";
    assert_eq!(j.to_string(), expected);
}

#[test]
#[should_panic(expected = "must return a scalar, got f64[2]")]
fn grad_of_non_scalar_is_a_clear_error() {
    let _ = grad(|x: &Tensor| x.sin())(&t64(&[1.0, 2.0], &[2]));
}

#[test]
#[should_panic(expected = "must return a real float scalar")]
fn grad_of_integer_output_is_a_clear_error() {
    let _ = grad(|x: &Tensor| x.argmax(0))(&t64(&[1.0, 2.0], &[2]));
}

#[test]
#[should_panic(expected = "only float and complex inputs can be differentiated")]
fn grad_wrt_integer_input_is_a_clear_error() {
    let _ = grad(|x: &Tensor| x.cast(DType::F32).sum())(&Tensor::from_vec(vec![1i32], &[1]));
}

#[test]
fn nan_safe_activations_have_finite_gradients() {
    let extreme = t64(&[0.0, 1e30, -1e30, f64::NEG_INFINITY, 3.0], &[5]);
    let finite = |g: Tensor| g.to_vec::<f64>().iter().all(|v| v.is_finite());
    let no_inf = t64(&[0.0, 1e30, -1e30, 3.0], &[4]);
    assert!(finite(grad(|x: &Tensor| nn::relu(x).sum())(&no_inf)));
    assert!(finite(grad(|x: &Tensor| nn::sigmoid(x).sum())(&no_inf)));
    let w = t64(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5]);
    assert!(finite(grad(|x: &Tensor| (nn::softmax(x, 0) * &w).sum())(
        &extreme
    )));
    assert!(finite(grad(|x: &Tensor| (nn::log_softmax(x, 0)
        .maximum(-1e3)
        * &w)
        .sum())(&extreme)));
    assert!(finite(grad(|x: &Tensor| nn::logsumexp(x, 0))(&extreme)));
    // The double-where pattern: the inner where keeps sqrt's derivative finite at 0.
    let x = t64(&[0.0, 4.0], &[2]);
    let unsafe_g = grad(|x: &Tensor| ferrax::numpy::where_(&x.gt(0.0), x.sqrt(), 0.0).sum())(&x);
    assert!(
        unsafe_g.to_vec::<f64>()[0].is_nan(),
        "the single where leaks sqrt'(0) = inf * 0"
    );
    let safe = |x: &Tensor| {
        let pos = x.gt(0.0);
        let safe_x = ferrax::numpy::where_(&pos, x, 1.0);
        ferrax::numpy::where_(&pos, safe_x.sqrt(), 0.0).sum()
    };
    assert_eq!(grad(safe)(&x).to_vec::<f64>(), vec![0.0, 0.25]);
}
