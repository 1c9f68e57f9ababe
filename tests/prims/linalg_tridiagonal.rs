//! `lax.linalg.tridiagonal_solve` (and `linalg::tridiagonal_solve`) against JAX 0.10.2
//! (tests/golden/linalg_eig.txt, written by tests/golden/make_linalg_eig.py), f32 and batched
//! f64, values and the gradient in all four operands; against a dense `linalg::solve` of the
//! assembled matrix (including a system that needs `gtsv`'s row interchanges); `check_grads`
//! (orders 1 and 2); vmap (batched or shared diagonals, several axes) against a loop; jit
//! against eager; and the errors.

use super::linalg_eig::{golden, inputs};
use crate::common::close::assert_close;
use crate::common::panics::panic_message;
use ferrax::idx;
use ferrax::lax::linalg::tridiagonal_solve;
use ferrax::linalg;
use ferrax::prelude::*;
use ferrax::test_util::check_grads;
use std::collections::HashMap;

fn vals(t: &Tensor) -> Vec<f64> {
    t.cast(DType::F64).to_vec::<f64>()
}

/// The dense `[m, m]` matrix of one system's diagonals.
fn dense(dl: &[f64], d: &[f64], du: &[f64]) -> Tensor {
    let m = d.len();
    let mut a = vec![0.0; m * m];
    for i in 0..m {
        a[i * m + i] = d[i];
        if i > 0 {
            a[i * m + i - 1] = dl[i];
        }
        if i + 1 < m {
            a[i * m + i + 1] = du[i];
        }
    }
    Tensor::from_vec(a, &[m, m])
}

/// The four operands of a golden case.
fn case(ins: &HashMap<String, Tensor>, k: &str) -> [Tensor; 4] {
    let s = if k == "5" {
        "5".to_string()
    } else {
        format!("{k}_f64")
    };
    ["dl", "d", "du", "b"].map(|p| ins[&format!("{p}{s}")].clone())
}

#[test]
fn tridiagonal_solve_matches_jax_and_a_dense_solve() {
    let (g, ins) = (golden(), inputs());
    for (k, name) in [("5", "5"), ("b", "b_f64")] {
        let [dl, d, du, b] = case(&ins, k);
        let x = tridiagonal_solve(&dl, &d, &du, &b);
        let want = g[&format!("tridiagonal_solve.{name}")].tensor();
        assert_eq!((x.dtype(), x.shape()), (want.dtype(), want.shape()));
        let tol = if x.dtype() == DType::F32 { 1e-5 } else { 1e-13 };
        assert_close(&vals(&x), &vals(&want), tol);
        assert_eq!(vals(&linalg::tridiagonal_solve(&dl, &d, &du, &b)), vals(&x));
    }
    // A system whose elimination swaps rows (|sub-diagonal| > |diagonal|), against a dense LU.
    let dl = Tensor::from_vec(vec![0.0f64, 3.0, -2.0, 5.0, 1.5], &[5]);
    let d = Tensor::from_vec(vec![0.1f64, 0.2, 4.0, -0.3, 2.0], &[5]);
    let du = Tensor::from_vec(vec![1.0f64, -1.0, 0.5, 2.0, 0.0], &[5]);
    let b = Tensor::from_vec((0..10).map(|i| i as f64 - 3.0).collect(), &[5, 2]);
    let x = tridiagonal_solve(&dl, &d, &du, &b);
    let a = dense(&vals(&dl), &vals(&d), &vals(&du));
    assert_close(&vals(&x), &vals(&linalg::solve(&a, &b)), 1e-12);
    // A singular system gives NaNs, as JAX.
    let zero = Tensor::zeros(&[2], DType::F64);
    let x = tridiagonal_solve(&zero, &zero, &zero, &Tensor::ones(&[2, 1], DType::F64));
    assert!(vals(&x).iter().all(|v| v.is_nan()));
}

/// The scalar JAX's golden gradient is of.
fn loss(args: &(Tensor, Tensor, Tensor, Tensor)) -> Tensor {
    let (dl, d, du, b) = args;
    let x = tridiagonal_solve(dl, d, du, b);
    let w = ferrax::numpy::arange(0.0, x.size() as f64, 1.0).cast(x.dtype());
    let w = ferrax::lax::reshape(&w, x.shape());
    (x * w).sum()
}

#[test]
fn tridiagonal_solve_gradients_match_jax_and_finite_differences() {
    let (g, ins) = (golden(), inputs());
    let [dl, d, du, b] = case(&ins, "b");
    let args = (dl, d, du, b);
    let (gdl, gd, gdu, gb) = grad(loss)(&args);
    for (i, got) in [gdl, gd, gdu, gb].iter().enumerate() {
        let want = g[&format!("tridiagonal_grad.b_f64.{i}")].tensor();
        assert_close(&vals(got), &vals(&want), 1e-12);
    }
    check_grads(
        |(dl, d, du, b): &(Tensor, Tensor, Tensor, Tensor)| tridiagonal_solve(dl, d, du, b),
        &args,
        2,
    );
}

#[test]
fn tridiagonal_solve_vmap_equals_loop_and_jit_equals_eager() {
    let ins = inputs();
    let [dl, d, du, b] = case(&ins, "b");
    let f = |(dl, d, du, b): &(Tensor, Tensor, Tensor, Tensor)| tridiagonal_solve(dl, d, du, b);
    let batched = vmap(f)(&(dl.clone(), d.clone(), du.clone(), b.clone()));
    for i in 0..2 {
        let one = f(&(
            dl.index(idx![i]),
            d.index(idx![i]),
            du.index(idx![i]),
            b.index(idx![i]),
        ));
        assert_close(&vals(&batched.index(idx![i])), &vals(&one), 1e-14);
    }
    // Shared diagonals, right-hand sides batched along their last axis.
    let (dl0, d0, du0) = (dl.index(idx![0]), d.index(idx![0]), du.index(idx![0]));
    let spec = VmapSpec::new().in_axes((
        AxisSpec::NotMapped,
        AxisSpec::NotMapped,
        AxisSpec::NotMapped,
        AxisSpec::Axis(2),
    ));
    let bs = b
        .index(idx![0])
        .reshape(&[4, 3, 1])
        .broadcast_to(&[4, 3, 2]);
    let out = vmap_with(f, spec)(&(dl0.clone(), d0.clone(), du0.clone(), bs.clone()));
    for j in 0..2 {
        let bj = bs.index(idx![.., .., j]);
        let one = tridiagonal_solve(&dl0, &d0, &du0, &bj);
        assert_close(&vals(&out.index(idx![j])), &vals(&one), 1e-14);
    }
    let args = (dl, d, du, b);
    assert_close(&vals(&jit(f)(&args)), &vals(&f(&args)), 1e-14);
    let gl = jit(grad(loss))(&args);
    let ge = grad(loss)(&args);
    assert_close(&vals(&gl.0), &vals(&ge.0), 1e-12);
    assert_close(&vals(&gl.3), &vals(&ge.3), 1e-12);
}

#[test]
fn tridiagonal_solve_errors_name_function_shapes_and_caller() {
    let v3 = Tensor::zeros(&[3], DType::F32);
    let v4 = Tensor::zeros(&[4], DType::F32);
    let b3 = Tensor::zeros(&[3, 2], DType::F32);
    let b4 = Tensor::zeros(&[4, 2], DType::F32);
    let cases = [
        (
            "tridiagonal_solve",
            panic_message(|| tridiagonal_solve(&v3, &v4, &v3, &b3)),
        ),
        (
            "tridiagonal_solve",
            panic_message(|| tridiagonal_solve(&v3, &v3, &v3, &b4)),
        ),
        (
            "tridiagonal_solve",
            panic_message(|| linalg::tridiagonal_solve(&v3, &v3, &v3, &b3.cast(DType::F64))),
        ),
    ];
    for (name, msg) in &cases {
        assert!(msg.contains(name), "{name}: {msg}");
        assert!(msg.contains("f32[3]"), "{name} names the shapes: {msg}");
        assert!(
            msg.contains("linalg_tridiagonal.rs"),
            "{name} names the caller: {msg}"
        );
    }
}

#[test]
fn tridiagonal_solve_jaxpr_prints_like_jax() {
    // jax.make_jaxpr(jax.lax.linalg.tridiagonal_solve)(
    //     jnp.ones(3), jnp.ones(3), jnp.ones(3), jnp.ones((3, 2)))
    let v = Tensor::zeros(&[3], DType::F32);
    let b = Tensor::zeros(&[3, 2], DType::F32);
    let j = make_jaxpr(|(dl, d, du, b): &(Tensor, Tensor, Tensor, Tensor)| {
        tridiagonal_solve(dl, d, du, b)
    })(&(v.clone(), v.clone(), v, b));
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[3] b:f32[3] c:f32[3] d:f32[3,2]. let
    e:f32[3,2] = tridiagonal_solve[perturb_singular=False] a b c d
  in (e,) }"
    );
}
