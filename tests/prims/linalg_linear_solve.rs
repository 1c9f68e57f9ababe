//! `lax::custom_linear_solve` with JAX's semantics: the value is the solver's; derivatives
//! (forward and reverse, through `b` and through what `matvec` closes over) are those of
//! `x = A⁻¹ b`, compared with differentiating a direct `linalg::solve` and with finite
//! differences (`check_grads`, orders 1 and 2), including a solver (Jacobi iterations in a
//! `while_loop`) that has no derivative of its own; pytree right-hand sides; the symmetric
//! shortcut; vmap against a loop; jit against eager; and the errors.

use crate::common::close::assert_close;
use crate::common::panics::panic_message;
use ferrax::idx;
use ferrax::lax::{self, custom_linear_solve};
use ferrax::linalg;
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use ferrax::test_util::check_grads;

fn vals(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>()
}

/// A nonsymmetric, diagonally dominant 3 x 3 matrix and a right-hand side.
fn problem() -> (Tensor, Tensor) {
    let a = Tensor::from_vec(
        vec![5.0f64, 1.0, -0.5, 0.3, 4.0, 1.2, -1.0, 0.7, 6.0],
        &[3, 3],
    );
    let b = Tensor::from_vec(vec![1.0f64, -2.0, 0.5], &[3]);
    (a, b)
}

/// `a x = b` through `custom_linear_solve` with a dense solver and its transpose.
fn solve_custom(a: &Tensor, b: &Tensor) -> Tensor {
    let matvec = |x: &Tensor| a.matmul(x);
    let solve = |_: &dyn Fn(&Tensor) -> Tensor, r: &Tensor| linalg::solve(a, r);
    let tsolve =
        |_: &dyn Fn(&Tensor) -> Tensor, r: &Tensor| linalg::solve(&jnp::matrix_transpose(a), r);
    custom_linear_solve(matvec, b, &solve, Some(&tsolve), false)
}

/// Jacobi iterations in a `while_loop` (not differentiable in reverse mode by itself).
fn jacobi(a: &Tensor, r: &Tensor) -> Tensor {
    let d = jnp::diagonal(a);
    let off = a - jnp::diag(&d, 0);
    let init = (Tensor::scalar(0i32), jnp::zeros_like(r));
    let (_, x) = lax::while_loop(
        |(i, _): &(Tensor, Tensor)| i.lt(200),
        |(i, x): &(Tensor, Tensor)| (i + 1, (r - off.matmul(x)) / &d),
        &init,
    );
    x
}

fn solve_jacobi(a: &Tensor, b: &Tensor) -> Tensor {
    let matvec = |x: &Tensor| a.matmul(x);
    let solve = |_: &dyn Fn(&Tensor) -> Tensor, r: &Tensor| jacobi(a, r);
    let at = jnp::matrix_transpose(a);
    let tsolve = |_: &dyn Fn(&Tensor) -> Tensor, r: &Tensor| jacobi(&at, r);
    custom_linear_solve(matvec, b, &solve, Some(&tsolve), false)
}

fn loss(f: fn(&Tensor, &Tensor) -> Tensor) -> impl Fn(&(Tensor, Tensor)) -> Tensor {
    move |(a, b): &(Tensor, Tensor)| {
        let x = f(a, b);
        (&x * &x).sum() + x.sin().sum()
    }
}

#[test]
fn value_and_gradients_equal_a_direct_solve() {
    let (a, b) = problem();
    let direct = |a: &Tensor, b: &Tensor| linalg::solve(a, b);
    assert_close(&vals(&solve_custom(&a, &b)), &vals(&direct(&a, &b)), 1e-13);
    assert_close(&vals(&solve_jacobi(&a, &b)), &vals(&direct(&a, &b)), 1e-12);
    let args = (a.clone(), b.clone());
    let (ga, gb) = grad(loss(direct))(&args);
    for f in [solve_custom as fn(&Tensor, &Tensor) -> Tensor, solve_jacobi] {
        let (ca, cb) = grad(loss(f))(&args);
        assert_close(&vals(&ca), &vals(&ga), 1e-11);
        assert_close(&vals(&cb), &vals(&gb), 1e-11);
    }
    // Forward mode: jvp through a and b.
    let ta = Tensor::from_vec((0..9).map(|i| (i as f64 * 0.37).sin()).collect(), &[3, 3]);
    let tb = Tensor::from_vec(vec![0.2f64, -0.1, 0.4], &[3]);
    let (_, want) = jvp(loss(direct), &args, &(ta.clone(), tb.clone()));
    for f in [solve_custom as fn(&Tensor, &Tensor) -> Tensor, solve_jacobi] {
        let (_, got) = jvp(loss(f), &args, &(ta.clone(), tb.clone()));
        assert_close(&vals(&got), &vals(&want), 1e-11);
    }
}

#[test]
fn check_grads_orders_1_and_2() {
    let (a, b) = problem();
    let f = |(a, b): &(Tensor, Tensor)| solve_custom(a, b);
    check_grads(f, &(a.clone(), b.clone()), 2);
    check_grads(loss(solve_jacobi), &(a, b), 1);
}

/// A pair of vectors.
type Pair = (Tensor, Tensor);

#[test]
fn pytree_right_hand_side_and_symmetric_shortcut() {
    // Block-diagonal SPD system on a pair: (p x, q y) = (u, v).
    let p = Tensor::from_vec(vec![4.0f64, 1.0, 1.0, 3.0], &[2, 2]);
    let q = Tensor::from_vec(vec![2.0f64, 0.5, 0.5, 5.0], &[2, 2]);
    let u = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
    let v = Tensor::from_vec(vec![-1.0f64, 0.5], &[2]);
    let f = |(p, q, u, v): &(Tensor, Tensor, Tensor, Tensor)| {
        let matvec = |(x, y): &(Tensor, Tensor)| (p.matmul(x), q.matmul(y));
        let solve =
            |_: &dyn Fn(&Pair) -> Pair, (r, s): &Pair| (linalg::solve(p, r), linalg::solve(q, s));
        let (x, y) = custom_linear_solve(matvec, &(u.clone(), v.clone()), &solve, None, true);
        (&x * &x).sum() + (&y * &x).sum() + y.sum()
    };
    let direct = |(p, q, u, v): &(Tensor, Tensor, Tensor, Tensor)| {
        let (x, y) = (linalg::solve(p, u), linalg::solve(q, v));
        (&x * &x).sum() + (&y * &x).sum() + y.sum()
    };
    let args = (p, q, u, v);
    assert_close(&vals(&f(&args)), &vals(&direct(&args)), 1e-13);
    let (g1, g2) = (grad(f)(&args), grad(direct)(&args));
    assert_close(&vals(&g1.0), &vals(&g2.0), 1e-12);
    assert_close(&vals(&g1.1), &vals(&g2.1), 1e-12);
    assert_close(&vals(&g1.2), &vals(&g2.2), 1e-12);
    assert_close(&vals(&g1.3), &vals(&g2.3), 1e-12);
    check_grads(f, &args, 1);
}

#[test]
fn vmap_equals_loop_and_jit_equals_eager() {
    let (a, b) = problem();
    let bs = jnp::stack(&[b.clone(), &b * 2.0 - 1.0, b.sin()], 0);
    let f = |b: &Tensor| solve_custom(&a, b);
    let batched = vmap(f)(&bs);
    for i in 0..3 {
        assert_close(
            &vals(&batched.index(idx![i])),
            &vals(&f(&bs.index(idx![i]))),
            1e-13,
        );
    }
    // Batched matrices too, and gradients under vmap.
    let as_ = jnp::stack(
        &[
            a.clone(),
            &a * 1.5,
            a.cos() + jnp::eye(3).cast(DType::F64) * 5.0,
        ],
        0,
    );
    let g = |(a, b): &(Tensor, Tensor)| grad(loss(solve_custom))(&(a.clone(), b.clone())).0;
    let gv = vmap(g)(&(as_.clone(), bs.clone()));
    for i in 0..3 {
        let one = g(&(as_.index(idx![i]), bs.index(idx![i])));
        assert_close(&vals(&gv.index(idx![i])), &vals(&one), 1e-12);
    }
    let args = (a.clone(), b.clone());
    assert_close(
        &vals(&jit(|(a, b): &(Tensor, Tensor)| solve_custom(a, b))(&args)),
        &vals(&solve_custom(&a, &b)),
        1e-13,
    );
    let gj = jit(grad(loss(solve_jacobi)))(&args);
    let ge = grad(loss(solve_jacobi))(&args);
    assert_close(&vals(&gj.0), &vals(&ge.0), 1e-12);
}

#[test]
fn errors_name_function_shapes_and_caller() {
    let (a, b) = problem();
    let msg = panic_message(|| {
        let bad = |x: &Tensor| jnp::concatenate(&[a.matmul(x), x.clone()], 0);
        let solve = |_: &dyn Fn(&Tensor) -> Tensor, r: &Tensor| r.clone();
        custom_linear_solve(bad, &b, &solve, None, false)
    });
    assert!(msg.contains("custom_linear_solve: matvec"), "{msg}");
    assert!(msg.contains("f64[3]") && msg.contains("f64[6]"), "{msg}");
    assert!(msg.contains("linalg_linear_solve.rs"), "{msg}");
    // Reverse mode needs transpose_solve (or symmetric).
    let msg = panic_message(|| {
        grad(|b: &Tensor| {
            let matvec = |x: &Tensor| a.matmul(x);
            let solve = |_: &dyn Fn(&Tensor) -> Tensor, r: &Tensor| linalg::solve(&a, r);
            custom_linear_solve(matvec, b, &solve, None, false).sum()
        })(&b)
    });
    assert!(msg.contains("transpose_solve required"), "{msg}");
}
