//! `jit` equals eager, bitwise, on the test models (an MLP's loss and gradient, a small CNN,
//! an RNN via `scan`, per-example gradients via `vmap(grad)`), and the divergences the
//! passes once had (`stop_gradient` under `grad(jit)`, `inf * 0`).

use crate::random_program;

use ferrax::lax::{self, WindowKind};
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use random_program::{check, conv_params, rand, same};

// ---- models --------------------------------------------------------------------------------

#[derive(PyTree, Clone, Debug)]
struct Mlp {
    w1: Tensor,
    b1: Tensor,
    w2: Tensor,
    b2: Tensor,
}

fn mlp_loss(p: &Mlp, x: &Tensor, y: &Tensor) -> Tensor {
    let h = (x.matmul(&p.w1) + &p.b1).tanh();
    let logits = h.matmul(&p.w2) + &p.b2;
    -(ferrax::nn::log_softmax(&logits, -1) * y).sum() / x.shape()[0] as f64
}

fn mlp(n_in: usize, n_h: usize, n_out: usize, seed: u64) -> Mlp {
    Mlp {
        w1: rand(&[n_in, n_h], DType::F32, seed) * 0.3,
        b1: rand(&[n_h], DType::F32, seed + 1) * 0.1,
        w2: rand(&[n_h, n_out], DType::F32, seed + 2) * 0.3,
        b2: rand(&[n_out], DType::F32, seed + 3) * 0.1,
    }
}

fn labels(n: usize, classes: usize) -> Tensor {
    jnp::one_hot(
        &Tensor::from_vec(
            (0..n as i32)
                .map(|i| (i * 7 + 3) % classes as i32)
                .collect(),
            &[n],
        ),
        classes,
    )
}

#[test]
fn mlp_loss_and_grad() {
    let p = mlp(64, 128, 10, 50);
    let x = rand(&[128, 64], DType::F32, 51);
    let y = labels(128, 10);
    let vg = |p: &Mlp| value_and_grad(|p: &Mlp| mlp_loss(p, &x, &y))(p);
    check("mlp value_and_grad", vg, &p);
}

#[test]
fn small_cnn() {
    #[derive(PyTree, Clone, Debug)]
    struct Cnn {
        k1: Tensor,
        b1: Tensor,
        k2: Tensor,
        w: Tensor,
    }
    let p = Cnn {
        k1: rand(&[3, 3, 1, 4], DType::F32, 52) * 0.3,
        b1: rand(&[4], DType::F32, 53) * 0.1,
        k2: rand(&[3, 3, 4, 6], DType::F32, 54) * 0.2,
        w: rand(&[3 * 3 * 6, 5], DType::F32, 55) * 0.1,
    };
    let x = rand(&[4, 12, 12, 1], DType::F32, 56);
    let y = labels(4, 5);
    let valid = conv_params([1, 1], [(0, 0); 2], [1, 1], [1, 1], 1, 1);
    let forward = |p: &Cnn| {
        let h = (lax::conv_general_dilated(&x, &p.k1, &valid) + &p.b1).relu();
        let h = lax::reduce_window(
            &h,
            WindowKind::Max,
            &[1, 2, 2, 1],
            &[1, 2, 2, 1],
            &[(0, 0); 4],
            &[1; 4],
            &[1; 4],
        );
        let h = lax::conv_general_dilated(&h, &p.k2, &valid).relu();
        let n = h.shape()[0] as isize;
        h.reshape(&[n, -1]).matmul(&p.w)
    };
    check("cnn forward", forward, &p);
    let loss = |p: &Cnn| -(ferrax::nn::log_softmax(&forward(p), -1) * &y).sum();
    check("cnn value_and_grad", |p: &Cnn| value_and_grad(loss)(p), &p);
}

#[test]
fn rnn_via_scan() {
    let wx = rand(&[3, 5], DType::F32, 57) * 0.5;
    let wh = rand(&[5, 5], DType::F32, 58) * 0.5;
    let xs = rand(&[7, 2, 3], DType::F32, 59);
    let loss = |(wx, wh): &(Tensor, Tensor)| {
        let (h, hs) = lax::scan(
            |h: &Tensor, x: &Tensor| {
                let n = (x.matmul(wx) + h.matmul(wh)).tanh();
                (n.clone(), n)
            },
            &Tensor::zeros(&[2, 5], DType::F32),
            &xs,
        );
        h.sum() + (hs * 0.1).sin().sum()
    };
    check("rnn loss", loss, &(wx.clone(), wh.clone()));
    check(
        "rnn value_and_grad",
        |p: &(Tensor, Tensor)| value_and_grad(loss)(p),
        &(wx, wh),
    );
}

#[test]
fn per_example_grads() {
    let p = mlp(6, 8, 3, 60);
    let xs = rand(&[16, 6], DType::F32, 61);
    let ys = labels(16, 3);
    let per_example = vmap_with(
        |(p, x, y): &(Mlp, Tensor, Tensor)| {
            grad(|p: &Mlp| mlp_loss(p, &x.reshape(&[1, 6]), &y.reshape(&[1, 3])))(p)
        },
        VmapSpec::new().in_axes((AxisSpec::NotMapped, 0, 0)),
    );
    check("vmap(grad)", &per_example, &(p, xs, ys));
}

// ---- known divergences ---------------------------------------------------------------------

#[test]
fn grad_of_jit_respects_stop_gradient() {
    // The jit equation's jaxpr is the optimized one, and `passes::simplify` drops
    // `stop_gradient` (the passes assume the jaxpr is only evaluated): differentiating the
    // jit equation must still see it.
    let x = Tensor::from_vec(vec![0.5f32, -1.0, 2.0], &[3]);
    let f = |x: &Tensor| (stop_gradient(x) * x).sum();
    same("grad(jit(f))", &grad(jit(f))(&x), &grad(f)(&x));
    same("jvp(jit(f))", &jvp(jit(f), &x, &x).1, &jvp(f, &x, &x).1);
}

#[test]
fn non_finite_times_zero() {
    // IEEE: inf * 0 = NaN. `passes::simplify` rewrites `x * 0` to zeros.
    let x = Tensor::from_vec(vec![f32::INFINITY, f32::NAN, 1.0, -2.0], &[4]);
    check("x * 0", |x: &Tensor| x * 0.0, &x);
    check(
        "x + 0",
        |x: &Tensor| x + 0.0,
        &Tensor::from_vec(vec![-0.0f32, 1.0], &[2]),
    );
    check(
        "0 - x",
        |x: &Tensor| lax::sub(&Tensor::scalar(0.0f32), x),
        &Tensor::from_vec(vec![0.0f32, 1.0], &[2]),
    );
}

// ---- the jit interpreter's edge cases ------------------------------------------------------

#[test]
fn outputs_that_alias_inputs_constants_and_literals() {
    let x = rand(&[3], DType::F32, 70);
    let c = rand(&[3], DType::F32, 71);
    check("identity", |x: &Tensor| x.clone(), &x);
    check(
        "one value twice",
        |x: &Tensor| (x.sin(), x.sin(), x.clone(), x.clone()),
        &x,
    );
    check(
        "captured constant out",
        |x: &Tensor| (c.clone(), x + &c),
        &x,
    );
    check("constant only", |_: &Tensor| Tensor::scalar(2.5f32), &x);
    // After folding, the output is a literal (i32: `x * 0` folds).
    let i = Tensor::from_vec(vec![3i32, -4], &[2]);
    #[allow(clippy::erasing_op)]
    let folds = |x: &Tensor| ((x * 0).sum() + 7, x * 0 + 1);
    check("literal outputs", folds, &i);
    check(
        "no inputs",
        |_: &()| {
            (
                Tensor::arange(0.0, 5.0, 1.0, DType::F32).exp(),
                Tensor::scalar(1i32),
            )
        },
        &(),
    );
    check(
        "empty tensors",
        |x: &Tensor| (x.sin(), x.sum(), x.reshape(&[0, 4]).sum_axes(&[1])),
        &Tensor::zeros(&[0], DType::F32),
    );
}

#[test]
fn inputs_read_after_an_in_place_candidate() {
    // `x` dies at a use that could run in place, while it is also an output or read later.
    let x = rand(&[1000], DType::F32, 72);
    check("x + x, then x", |x: &Tensor| (x + x, x.clone()), &x);
    check(
        "sin x, then x * 2",
        |x: &Tensor| {
            let s = x.sin();
            (s.exp(), x * 2.0, s)
        },
        &x,
    );
    check(
        "chain",
        |x: &Tensor| {
            let a = x * 2.0;
            let b = &a + 1.0;
            let c = &b * &a;
            (c.tanh(), b)
        },
        &x,
    );
    let f = |(a, b): &(Tensor, Tensor)| (a + b, b - a, a.clone());
    check("two inputs", f, &(x.clone(), x.cos()));
    check("same tensor twice", f, &(x.clone(), x.clone()));
}

#[test]
fn large_independent_work_and_many_calls() {
    // Big enough for the interpreter to run equations on two threads.
    let a = rand(&[256, 256], DType::F32, 73);
    let b = rand(&[256, 256], DType::F32, 74);
    let f = |(a, b): &(Tensor, Tensor)| {
        let p = a.matmul(b).tanh();
        let q = b.matmul(a).sin();
        let r = (a * b + a.exp()).sum_axes(&[1]);
        ((&p + &q).sum_axes(&[0]), r, p.max())
    };
    check("independent matmuls", f, &(a.clone(), b.clone()));
    let fast = jit(f);
    let want = f(&(a.clone(), b.clone()));
    for _ in 0..20 {
        same("repeated call", &fast(&(a.clone(), b.clone())), &want);
    }
    let big = rand(&[3, 100_000], DType::F32, 75);
    check(
        "elementwise chain 3e5",
        |x: &Tensor| ((x * 1.5).tanh() + x.exp() * 0.5).logistic() - x,
        &big,
    );
    check(
        "elementwise into reduction",
        |x: &Tensor| ((x * 1.5).tanh() + x.exp()).sum_axes(&[1]),
        &big,
    );
}

#[test]
fn fusion_keeps_readers_after_their_producers() {
    // Elementwise chains of two shapes ([4,3] and [4,1], which binary ops stretch) that
    // read each other: fusion groups them by shape and must keep every reader after its
    // producer (`jit_equals_eager_on_elementwise_dense_programs` explores such graphs).
    let x = rand(&[4, 3], DType::F32, 76);
    let y = rand(&[4, 1], DType::F32, 77);
    let f = |(x, y): &(Tensor, Tensor)| {
        let s = x.sin();
        let a = &s / (y * y + 1.0);
        let b = jnp::power(s.sin().abs() + 0.5, y.tanh());
        (a, b)
    };
    check("two crossing chains", f, &(x, y));
}
