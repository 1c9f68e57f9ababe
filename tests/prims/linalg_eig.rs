//! `lax.linalg.eig`, `linalg::eig` and `linalg::eigvals` against JAX 0.10.2
//! (tests/golden/linalg_eig.txt, written by tests/golden/make_linalg_eig.py), f32, f64 and
//! batched. Eigenvalues are compared up to ordering (each of JAX's matched to the nearest of
//! ours) and eigenvectors up to a unit phase (`|v_jaxᴴ v| = 1`), as JAX's own tests compare
//! `eig` with LAPACK; the order itself is also checked against JAX where it is LAPACK's.
//! Then the identities `A V = V diag(w)` and `Uᴴ A = diag(w) Uᴴ`, the gradient of the
//! eigenvalues against JAX's and finite differences (`check_grads`; order 1 only: as in JAX,
//! the JVP rule calls `eig` with eigenvectors, which has no derivative), vmap against a loop,
//! jit against eager, and the errors.

use crate::common::close::assert_close;
use crate::common::golden::{arrays, by_name, inputs_of, Golden};
use crate::common::panics::panic_message;
use ferrax::idx;
use ferrax::lax::linalg as ll;
use ferrax::linalg;
use ferrax::prelude::*;
use ferrax::test_util::check_grads;
use num_complex::Complex64;
use std::collections::HashMap;

const GOLDEN: &str = include_str!("../golden/linalg_eig.txt");

/// The outputs of `tests/golden/linalg_eig.txt` by name (eig, expm and tridiagonal cases).
pub(super) fn golden() -> HashMap<String, Golden> {
    by_name(GOLDEN)
}

/// The inputs (`in:` lines) of `tests/golden/linalg_eig.txt` as tensors.
pub(super) fn inputs() -> HashMap<String, Tensor> {
    inputs_of(arrays(GOLDEN))
}

/// A complex tensor's values as `Complex64`.
fn cvals(t: &Tensor) -> Vec<Complex64> {
    t.cast(DType::C128).to_vec::<Complex64>()
}

/// The tolerance of a dtype's comparisons.
fn tol(t: &Tensor) -> f64 {
    if matches!(t.dtype(), DType::C64 | DType::F32) {
        2e-4
    } else {
        1e-10
    }
}

/// For each of `want`'s eigenvalues (one matrix), the index of the nearest of `got`'s.
fn matching(got: &[Complex64], want: &[Complex64], tol: f64) -> Vec<usize> {
    want.iter()
        .map(|w| {
            let (k, d) = got.iter().map(|g| (g - w).norm()).enumerate().fold(
                (0, f64::INFINITY),
                |b, (k, d)| if d < b.1 { (k, d) } else { b },
            );
            assert!(
                d < tol * (1.0 + w.norm()),
                "eigenvalue {w} not found in {got:?}"
            );
            k
        })
        .collect()
}

#[test]
fn eig_matches_jax_up_to_order_and_phase() {
    let (g, ins) = (golden(), inputs());
    for k in ["g4", "g5_f64", "gb_f64", "rot_f64"] {
        let a = &ins[k];
        let out = ll::eig(a, true, true);
        assert_eq!(out.len(), 3);
        let want_dtype = if a.dtype() == DType::F32 {
            DType::C64
        } else {
            DType::C128
        };
        let n = a.shape()[a.ndim() - 1];
        for (i, o) in out.iter().enumerate() {
            assert_eq!(o.dtype(), want_dtype, "eig.{k}.{i}: dtype");
            assert_eq!(o.shape(), g[&format!("eig.{k}.{i}")].shape.as_slice());
        }
        let t = tol(a);
        let w = cvals(&out[0]);
        let jw = cvals(&g[&format!("eig.{k}.0")].tensor());
        let (jvl, jvr) = (
            cvals(&g[&format!("eig.{k}.1")].tensor()),
            cvals(&g[&format!("eig.{k}.2")].tensor()),
        );
        let (vl, vr) = (cvals(&out[1]), cvals(&out[2]));
        for b in 0..w.len() / n {
            let (wb, jwb) = (&w[b * n..(b + 1) * n], &jw[b * n..(b + 1) * n]);
            let m = matching(wb, jwb, t);
            for (j, &mj) in m.iter().enumerate() {
                for (ours, jax) in [(&vl, &jvl), (&vr, &jvr)] {
                    let base = b * n * n;
                    let dot: Complex64 = (0..n)
                        .map(|i| jax[base + i * n + j].conj() * ours[base + i * n + mj])
                        .sum();
                    assert!(
                        (dot.norm() - 1.0).abs() < 10.0 * t,
                        "eig.{k}: vector {j}: {dot}"
                    );
                }
            }
            // LAPACK's order: the same as JAX's for these inputs.
            assert_eq!(m, (0..n).collect::<Vec<_>>(), "eig.{k}: order {m:?}");
        }
        let jv = cvals(&g[&format!("eigvals.{k}")].tensor());
        let ev = cvals(&linalg::eigvals(a));
        let diff: Vec<f64> = ev.iter().zip(&jv).map(|(x, y)| (x - y).norm()).collect();
        assert_close(&diff, &vec![0.0; diff.len()], t * 10.0);
        let (w2, v2) = linalg::eig(a);
        assert_eq!(cvals(&w2), w);
        assert_eq!(cvals(&v2), vr);
    }
}

/// `A V - V diag(w)` and `Uᴴ A - diag(w) Uᴴ`, largest magnitude, for one matrix.
fn residuals(a: &[f64], w: &[Complex64], vl: &[Complex64], vr: &[Complex64]) -> (f64, f64) {
    let n = w.len();
    let (mut right, mut left) = (0.0f64, 0.0f64);
    for i in 0..n {
        for j in 0..n {
            let av: Complex64 = (0..n).map(|k| vr[k * n + j] * a[i * n + k]).sum();
            right = right.max((av - vr[i * n + j] * w[j]).norm());
            // (Uᴴ A)[j, i] = Σ_k conj(U[k, j]) A[k, i]
            let ua: Complex64 = (0..n).map(|k| vl[k * n + j].conj() * a[k * n + i]).sum();
            left = left.max((ua - w[j] * vl[i * n + j].conj()).norm());
        }
    }
    (right, left)
}

#[test]
fn eig_reconstructs_left_and_right() {
    let ins = inputs();
    for k in ["g4", "g5_f64", "gb_f64", "rot_f64"] {
        let a = &ins[k];
        let n = a.shape()[a.ndim() - 1];
        let out = ll::eig(a, true, true);
        let av = a.cast(DType::F64).to_vec::<f64>();
        let (w, vl, vr) = (cvals(&out[0]), cvals(&out[1]), cvals(&out[2]));
        for b in 0..w.len() / n {
            let (r, l) = residuals(
                &av[b * n * n..(b + 1) * n * n],
                &w[b * n..(b + 1) * n],
                &vl[b * n * n..(b + 1) * n * n],
                &vr[b * n * n..(b + 1) * n * n],
            );
            assert!(
                r < 50.0 * tol(a) && l < 50.0 * tol(a),
                "eig.{k}[{b}]: {r} {l}"
            );
            // Unit columns.
            for j in 0..n {
                let s: f64 = (0..n).map(|i| vr[b * n * n + i * n + j].norm_sqr()).sum();
                assert!((s - 1.0).abs() < 10.0 * tol(a));
            }
        }
        // Fewer outputs when fewer vectors are asked for.
        assert_eq!(ll::eig(a, false, false).len(), 1);
        let only_left = ll::eig(a, true, false);
        assert_eq!(only_left.len(), 2);
        assert_eq!(cvals(&only_left[1]), vl);
    }
}

/// The scalar JAX's golden gradient is of: `Σ re(w) + Σ im(w)²` (invariant to the order).
fn loss(a: &Tensor) -> Tensor {
    let w = linalg::eigvals(a);
    ferrax::lax::real(&w).sum() + ferrax::lax::imag(&w).powi(2).sum()
}

#[test]
fn eigvals_gradient_matches_jax_and_finite_differences() {
    let (g, ins) = (golden(), inputs());
    for k in ["g4", "g5_f64", "gb_f64", "rot_f64"] {
        let a = &ins[k];
        let got = grad(loss)(a);
        let want = g[&format!("eigvals_grad.{k}")].tensor();
        assert_eq!(got.dtype(), a.dtype());
        assert_close(
            &got.cast(DType::F64).to_vec::<f64>(),
            &want.cast(DType::F64).to_vec::<f64>(),
            tol(a) * 10.0,
        );
    }
    // Finite differences, forward and reverse (f64, distinct eigenvalues).
    check_grads(loss, &ins["g5_f64"], 1);
    check_grads(loss, &ins["gb_f64"], 1);
    check_grads(
        |a: &Tensor| ferrax::lax::real(&linalg::eigvals(a)).powi(3).sum(),
        &ins["rot_f64"],
        1,
    );
}

#[test]
fn eig_vmap_equals_loop_and_jit_equals_eager() {
    let ins = inputs();
    let a = &ins["gb_f64"];
    let f = |a: &Tensor| {
        let o = ll::eig(a, true, true);
        (o[0].clone(), o[1].clone(), o[2].clone())
    };
    for axis in [0usize, 1] {
        let x = if axis == 0 {
            a.clone()
        } else {
            a.transpose(&[1, 0, 2])
        };
        let (w, vl, vr) = vmap_with(f, VmapSpec::new().in_axes(axis as isize))(&x);
        for b in 0..2 {
            let ab = a.index(idx![b]);
            let (wb, vlb, vrb) = f(&ab);
            assert_eq!(cvals(&w.index(idx![b])), cvals(&wb));
            assert_eq!(cvals(&vl.index(idx![b])), cvals(&vlb));
            assert_eq!(cvals(&vr.index(idx![b])), cvals(&vrb));
        }
    }
    let (w, _, vr) = jit(f)(a);
    let (we, _, vre) = f(a);
    assert_eq!(cvals(&w), cvals(&we));
    assert_eq!(cvals(&vr), cvals(&vre));
    // Gradients batch and compile too.
    let gv = vmap(grad(loss))(a);
    for b in 0..2 {
        let gb = grad(loss)(&a.index(idx![b]));
        assert_close(
            &gv.index(idx![b]).to_vec::<f64>(),
            &gb.to_vec::<f64>(),
            1e-12,
        );
    }
    assert_close(
        &jit(grad(loss))(a).to_vec::<f64>(),
        &grad(loss)(a).to_vec::<f64>(),
        1e-12,
    );
}

#[test]
fn eig_errors_name_function_shapes_and_caller() {
    let rect = Tensor::zeros(&[2, 3], DType::F32);
    let sq = Tensor::zeros(&[2, 2], DType::F64);
    let cases = [
        ("linalg.eig", panic_message(|| linalg::eig(&rect))),
        ("linalg.eigvals", panic_message(|| linalg::eigvals(&rect))),
        ("eig", panic_message(|| ll::eig(&rect, false, true))),
    ];
    for (name, msg) in &cases {
        assert!(msg.contains(name), "{name}: {msg}");
        assert!(msg.contains("f32[2,3]"), "{name} names the shape: {msg}");
        assert!(
            msg.contains("linalg_eig.rs"),
            "{name} names the caller: {msg}"
        );
    }
    // Eigenvector derivatives are refused, as in JAX.
    let msg = panic_message(|| grad(|a: &Tensor| ferrax::lax::real(&linalg::eig(a).1).sum())(&sq));
    assert!(msg.contains("eig") && msg.contains("eigenvectors"), "{msg}");
}

#[test]
fn eig_jaxpr_prints_like_jax() {
    // jax.make_jaxpr(lambda a: jax.lax.linalg.eig(a, compute_left_eigenvectors=False))(
    //     jnp.ones((3, 3)))
    let a = Tensor::zeros(&[3, 3], DType::F32);
    let j = make_jaxpr(|a: &Tensor| {
        let o = ll::eig(a, false, true);
        (o[0].clone(), o[1].clone())
    })(&a);
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[3,3]. let
    b:c64[3] c:c64[3,3] = eig[
      compute_left_eigenvectors=False
      compute_right_eigenvectors=True
      enable_eigvec_derivs=False
      implementation=None
    ] a
  in (b, c) }"
    );
}
