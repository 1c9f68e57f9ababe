//! `linalg::expm`, `expm_with` and `expm_frechet` against JAX 0.10.2
//! (tests/golden/linalg_eig.txt, written by tests/golden/make_linalg_eig.py) for every Padé
//! degree (small norms, moderate ones, large ones that need squarings), f32, f64 and batched;
//! the Fréchet derivative and a gradient against JAX's; `check_grads` (finite differences,
//! orders 1 and 2); vmap against a loop; jit against eager; and the errors.

use super::linalg_eig::{golden, inputs};
use crate::common::close::assert_close;
use crate::common::panics::panic_message;
use ferrax::idx;
use ferrax::linalg;
use ferrax::prelude::*;
use ferrax::test_util::check_grads;

fn vals(t: &Tensor) -> Vec<f64> {
    t.cast(DType::F64).to_vec::<f64>()
}

/// Relative comparison scaled by the largest magnitude (e^A's entries span many scales).
fn assert_rel(got: &Tensor, want: &Tensor, tol: f64, what: &str) {
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    let (g, w) = (vals(got), vals(want));
    let scale = w.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        assert!(
            (a - b).abs() <= tol * scale,
            "{what}[{i}]: {a} vs {b} (scale {scale})"
        );
    }
}

#[test]
fn expm_matches_jax() {
    let (g, ins) = (golden(), inputs());
    for k in [
        "small3", "mid3_f64", "big4_f64", "big4", "expb_f64", "g4", "g5_f64",
    ] {
        let a = &ins[k];
        let tol = if a.dtype() == DType::F32 { 2e-5 } else { 1e-12 };
        assert_rel(&linalg::expm(a), &g[&format!("expm.{k}")].tensor(), tol, k);
    }
}

#[test]
fn expm_frechet_and_gradient_match_jax() {
    let (g, ins) = (golden(), inputs());
    let (a, e) = (&ins["mid3_f64"], &ins["dir3_f64"]);
    let (ea, d) = linalg::expm_frechet(a, e);
    assert_rel(
        &ea,
        &g["expm_frechet.mid3_f64.0"].tensor(),
        1e-12,
        "expm_frechet.0",
    );
    assert_rel(
        &d,
        &g["expm_frechet.mid3_f64.1"].tensor(),
        1e-12,
        "expm_frechet.1",
    );
    let gr = grad(|a: &Tensor| (linalg::expm(a) * e).sum())(a);
    assert_rel(&gr, &g["expm_grad.mid3_f64"].tensor(), 1e-12, "expm_grad");
}

#[test]
fn expm_check_grads_orders_1_and_2() {
    let ins = inputs();
    // A low Padé degree, a high one, and one with squarings (f64).
    for k in ["small3", "mid3_f64", "big4_f64"] {
        let a = ins[k].cast(DType::F64);
        check_grads(|a: &Tensor| linalg::expm(a), &a, 1);
        check_grads(|a: &Tensor| linalg::expm(a).sum(), &a, 2);
    }
    check_grads(|a: &Tensor| linalg::expm(a), &ins["expb_f64"], 1);
}

#[test]
fn expm_vmap_equals_loop_and_jit_equals_eager() {
    let ins = inputs();
    let a = &ins["expb_f64"];
    let batched = vmap(|a: &Tensor| linalg::expm(a))(a);
    let direct = linalg::expm(a);
    for b in 0..2 {
        let one = linalg::expm(&a.index(idx![b]));
        assert_close(&vals(&batched.index(idx![b])), &vals(&one), 1e-12);
        assert_close(&vals(&direct.index(idx![b])), &vals(&one), 1e-12);
    }
    let jitted = jit(|a: &Tensor| linalg::expm(a))(a);
    assert_close(&vals(&jitted), &vals(&direct), 1e-12);
    let g = |a: &Tensor| grad(|a: &Tensor| linalg::expm(a).powi(2).sum())(a);
    assert_close(&vals(&jit(g)(a)), &vals(&g(a)), 1e-10);
}

#[test]
fn expm_errors_name_function_shapes_and_caller() {
    let rect = Tensor::zeros(&[2, 3], DType::F32);
    let sq = Tensor::zeros(&[2, 2], DType::F32);
    let cases = [
        ("linalg.expm", panic_message(|| linalg::expm(&rect))),
        (
            "linalg.expm_frechet",
            panic_message(|| linalg::expm_frechet(&sq, &rect)),
        ),
        (
            "linalg.expm_frechet",
            panic_message(|| linalg::expm_frechet(&sq, &Tensor::zeros(&[3, 3], DType::F32))),
        ),
    ];
    for (name, msg) in &cases {
        assert!(msg.contains(name), "{name}: {msg}");
        assert!(msg.contains("f32["), "{name} names the shapes: {msg}");
        assert!(
            msg.contains("linalg_expm.rs"),
            "{name} names the caller: {msg}"
        );
    }
}
