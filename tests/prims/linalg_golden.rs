//! `ferrax::linalg` against JAX 0.10.2 (tests/golden/linalg.txt, written by
//! tests/golden/make_linalg.py): every golden output of every function, f32 and f64, batched
//! too, with dtype and shape exact and values within a tolerance scaled to the dtype (the
//! kernels are faer's and ours, not LAPACK's, so values agree to rounding, not bit for bit).
//! Decompositions unique only up to signs are compared after fixing the signs the same way
//! on both sides: QR with `r`'s diagonal made non-negative; eigenvectors and singular vectors
//! with the largest-magnitude entry of each column of `v` (eigh) or `u` (svd) made positive,
//! the matching row of `vt` flipped with it.

use crate::common::golden::{dtype_name, parse_line, Golden};
use ferrax::linalg;
use ferrax::prelude::*;
use std::collections::HashMap;

fn golden() -> Vec<(String, Golden)> {
    include_str!("../golden/linalg.txt")
        .lines()
        .map(parse_line)
        .collect()
}

fn inputs() -> HashMap<String, Tensor> {
    golden()
        .into_iter()
        .filter_map(|(n, g)| n.strip_prefix("in.").map(|k| (k.to_string(), g.tensor())))
        .collect()
}

/// `x[.., :, :2]`: the first two columns (cho_solve's right-hand side).
fn first_two_cols(x: &Tensor) -> Tensor {
    let r = x.ndim();
    let mut lim = x.shape().to_vec();
    lim[r - 1] = 2;
    ferrax::lax::slice(x, &vec![0; r], &lim, None)
}

/// ferrax's outputs for golden case `name` (without a `.i` output index).
fn run(name: &str, i: &HashMap<String, Tensor>) -> Vec<Tensor> {
    let parts: Vec<&str> = name.split('.').collect();
    let a = &i[parts[1]];
    match parts[0] {
        "cholesky" => vec![linalg::cholesky(a)],
        "det" => vec![linalg::det(a)],
        "slogdet" => {
            let (s, l) = linalg::slogdet(a);
            vec![s, l]
        }
        "cho_solve" => vec![linalg::cho_solve(
            &linalg::cho_factor(a),
            &first_two_cols(a),
        )],
        "solve" => vec![linalg::solve(a, &i[parts[2]])],
        "solve_triangular" => vec![linalg::solve_triangular(
            a,
            &i[parts[2]],
            parts[3] == "lower",
        )],
        "inv" => vec![linalg::inv(a)],
        "lu" => {
            let (lu, piv, perm) = ferrax::lax::linalg::lu(a);
            vec![lu, piv, perm]
        }
        "trace" => vec![linalg::trace(a)],
        "matrix_power" => {
            let k = match parts[2] {
                "p3" => 3,
                "m2" => -2,
                other => panic!("matrix_power case {other}"),
            };
            vec![linalg::matrix_power(a, k)]
        }
        "eigh" => {
            let (w, v) = linalg::eigh(a);
            let v = fix_columns(&v, None).0;
            vec![w, v]
        }
        "eigvalsh" => vec![linalg::eigvalsh(a)],
        "qr" => {
            let (q, r) = linalg::qr(a);
            let (q, r) = fix_qr(&q, &r);
            vec![q, r]
        }
        "svd" => {
            let (u, s, vt) = linalg::svd(a);
            let (u, vt) = fix_columns(&u, Some(&vt));
            vec![u, s, vt.unwrap()]
        }
        "svdvals" => vec![linalg::svdvals(a)],
        "norm" => vec![linalg::norm(a)],
        "pinv" => vec![linalg::pinv(a)],
        "matrix_rank" => vec![linalg::matrix_rank(a)],
        "normo" => {
            use linalg::{NormOpts, Ord};
            let ord = match parts[2] {
                "none" => Ord::Default,
                "p1" => Ord::P(1.0),
                "p2" => Ord::P(2.0),
                "m1" => Ord::P(-1.0),
                "m2" => Ord::P(-2.0),
                "inf" => Ord::Inf,
                "minf" => Ord::NegInf,
                "fro" => Ord::Fro,
                "nuc" => Ord::Nuc,
                "p3" => Ord::P(3.0),
                "p0" => Ord::P(0.0),
                other => panic!("ord {other}"),
            };
            let axis = (a.ndim() >= 2).then(|| vec![-2, -1]);
            let opts = NormOpts {
                ord,
                axis,
                keepdims: false,
            };
            vec![linalg::norm_with(a, &opts)]
        }
        "cond" => vec![linalg::cond(a)],
        "multi_dot" => {
            let t = ferrax::numpy::matrix_transpose(a);
            vec![linalg::multi_dot(&[t, a.clone(), i["wide_f64"].clone()])]
        }
        "block_diag" => vec![linalg::block_diag(&[
            a.clone(),
            i["tall"].clone(),
            i["rhs3"].clone(),
        ])],
        "cross" => {
            let rows = ferrax::lax::slice(&i["tall"], &[0, 0], &[3, 3], None);
            vec![linalg::cross(a, &rows)]
        }
        "outer" => {
            let head = ferrax::lax::slice(a, &[0], &[2], None);
            vec![linalg::outer(a, &head)]
        }
        "lstsq" => {
            let (x, res, rank, s) = linalg::lstsq(a, &i[&format!("lstsq_b_{}", parts[1])]);
            vec![x, res, rank, s]
        }
        "tensorinv" => vec![linalg::tensorinv(a, 2)],
        "tensorsolve" => {
            let a4 = a.reshape(&[2, 2, 2, 2]);
            let b = ferrax::lax::slice(&i["sq4_f64"], &[0, 0], &[1, 4], None).reshape(&[2, 2]);
            vec![linalg::tensorsolve(&a4, &b)]
        }
        other => panic!("no ferrax call for golden case {other}"),
    }
}

/// Flips each column `j` of every matrix of `u` so that its largest-magnitude entry is
/// positive, and row `j` of the matching `vt` with it.
fn fix_columns(u: &Tensor, vt: Option<&Tensor>) -> (Tensor, Option<Tensor>) {
    let r = u.ndim();
    let (m, k) = (u.shape()[r - 2], u.shape()[r - 1]);
    let mut uv = u.array().to_f64_vec();
    let mut vv = vt.map(|t| t.array().to_f64_vec());
    let n = vt.map(|t| t.shape()[r - 1]).unwrap_or(0);
    let batches = uv.len() / (m * k);
    for b in 0..batches {
        for j in 0..k {
            let col = (0..m).map(|i| uv[b * m * k + i * k + j]);
            let (mut best, mut at) = (-1.0f64, 0);
            for (i, x) in col.enumerate() {
                if x.abs() > best + 1e-6 * best.abs().max(1e-30) {
                    best = x.abs();
                    at = i;
                }
            }
            if uv[b * m * k + at * k + j] < 0.0 {
                for i in 0..m {
                    uv[b * m * k + i * k + j] *= -1.0;
                }
                if let Some(v) = vv.as_mut() {
                    for c in 0..n {
                        v[b * k * n + j * n + c] *= -1.0;
                    }
                }
            }
        }
    }
    let back = |v: Vec<f64>, t: &Tensor| Tensor::from_f64_values(&v, t.shape(), t.dtype());
    (back(uv, u), vv.map(|v| back(v, vt.unwrap())))
}

/// `(q, r)` with every diagonal entry of `r` made non-negative (column of `q`, row of `r`).
fn fix_qr(q: &Tensor, r: &Tensor) -> (Tensor, Tensor) {
    let nd = q.ndim();
    let (m, k) = (q.shape()[nd - 2], q.shape()[nd - 1]);
    let n = r.shape()[nd - 1];
    let (mut qv, mut rv) = (q.array().to_f64_vec(), r.array().to_f64_vec());
    for b in 0..qv.len() / (m * k) {
        for j in 0..k {
            if rv[b * k * n + j * n + j] < 0.0 {
                for i in 0..m {
                    qv[b * m * k + i * k + j] *= -1.0;
                }
                for c in 0..n {
                    rv[b * k * n + j * n + c] *= -1.0;
                }
            }
        }
    }
    (
        Tensor::from_f64_values(&qv, q.shape(), q.dtype()),
        Tensor::from_f64_values(&rv, r.shape(), r.dtype()),
    )
}

#[test]
fn every_golden_case_matches_jax() {
    let ins = inputs();
    let mut cases: Vec<(String, Golden)> = golden()
        .into_iter()
        .filter(|(n, _)| !n.starts_with("in."))
        .collect();
    // JAX's outputs of a case in order: drop the trailing `.i` of multi-output cases.
    let mut checked = 0;
    let mut groups: Vec<(String, Vec<Golden>)> = Vec::new();
    for (name, g) in cases.drain(..) {
        let (base, idx) = match name.rsplit_once('.') {
            Some((b, i)) if i.parse::<usize>().is_ok() => (b.to_string(), true),
            _ => (name.clone(), false),
        };
        match groups.last_mut() {
            Some((b, gs)) if idx && *b == base => gs.push(g),
            _ => groups.push((if idx { base } else { name }, vec![g])),
        }
    }
    for (name, want) in &groups {
        let got = run(name, &ins);
        assert_eq!(got.len(), want.len(), "{name}: number of outputs");
        for (k, (t, g)) in got.iter().zip(want).enumerate() {
            assert_eq!(dtype_name(t.dtype()), g.dtype, "{name}.{k}: dtype");
            assert_eq!(t.shape(), g.shape.as_slice(), "{name}.{k}: shape");
            let g = match name.split('.').next().unwrap() {
                "eigh" if k == 1 => fix_columns(&g.tensor(), None).0.array().to_f64_vec(),
                "qr" if k == 0 => {
                    let r = &want[1].tensor();
                    fix_qr(&g.tensor(), r).0.array().to_f64_vec()
                }
                "qr" if k == 1 => fix_qr(&want[0].tensor(), &g.tensor())
                    .1
                    .array()
                    .to_f64_vec(),
                "svd" if k != 1 => {
                    let (u, vt) = fix_columns(&want[0].tensor(), Some(&want[2].tensor()));
                    if k == 0 { u } else { vt.unwrap() }.array().to_f64_vec()
                }
                _ => g.values.clone(),
            };
            let tol = if t.dtype() == DType::F32 { 2e-4 } else { 1e-10 };
            let scale = g.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            for (j, (x, y)) in t.array().to_f64_vec().iter().zip(&g).enumerate() {
                assert!(
                    (x - y).abs() <= tol * scale || (x.is_nan() && y.is_nan()),
                    "{name}.{k}[{j}]: ferrax {x} vs JAX {y}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} golden arrays checked");
}
