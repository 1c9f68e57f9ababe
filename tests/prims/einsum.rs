//! `jnp.einsum` and `jnp.einsum_path` against JAX 0.10.2 and opt_einsum 3.4
//! (tests/golden/lax.txt, from tests/golden/make_lax.py): values (a few ulp: the
//! contraction order changes the rounding), dtype and shape; the chosen paths and the printed
//! report exactly; `greedy` and `optimal` paths on larger networks; the jaxprs (one
//! `dot_general` for a matmul); gradients against finite differences; vmap against a loop;
//! jit against eager.

use crate::common::panics::panic_message;
use crate::lax_golden::{compare, golden, inputs};
use ferrax::numpy::{self as jnp, Einsum, Optimize};
use ferrax::prelude::*;
use ferrax::test_util::check_grads;

fn parse_path(s: &str) -> Vec<Vec<usize>> {
    s.split(';')
        .map(|p| p.split(',').map(|i| i.parse().unwrap()).collect())
        .collect()
}

#[test]
fn einsum_matches_jax() {
    let inp = inputs();
    let (arrays, texts) = golden();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, want) in arrays.iter().filter(|(n, _)| n.starts_with("einsum.")) {
        let case = &name["einsum.".len()..];
        let spec = &texts[&format!("einsum_case.{case}")];
        let (sub, ops) = spec.split_once('\n').unwrap();
        let ops: Vec<Tensor> = ops.split(' ').map(|o| inp[o].clone()).collect();
        let got = jnp::einsum(sub, &ops);
        checked += 1;
        if let Err(e) = compare(name, &got, want, 8.0) {
            failures.push(e);
        }
        let path = jnp::einsum_path(sub, &ops);
        let want_path = parse_path(&texts[&format!("einsum_path.{case}")]);
        if path.path != want_path {
            failures.push(format!("{case}: path {:?}, JAX {want_path:?}", path.path));
        }
        let want_report = &texts[&format!("einsum_report.{case}")];
        if &path.report != want_report {
            failures.push(format!(
                "{case}: report\n{}\nJAX:\n{want_report}",
                path.report
            ));
        }
    }
    assert!(checked >= 25, "only {checked} einsum cases");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn einsum_greedy_and_optimal_paths_match_opt_einsum() {
    let (_, texts) = golden();
    let mut n = 0;
    for (key, body) in texts.iter().filter(|(k, _)| k.starts_with("einsum_path_")) {
        let opt = match key.split('.').next().unwrap() {
            "einsum_path_greedy" => Optimize::Greedy,
            "einsum_path_optimal" => Optimize::Optimal,
            "einsum_path_branch-all" => Optimize::Branch(None),
            "einsum_path_branch-2" => Optimize::Branch(Some(2)),
            "einsum_path_branch-1" => Optimize::Branch(Some(1)),
            "einsum_path_auto" => Optimize::Auto,
            k => panic!("unknown optimizer {k}"),
        };
        let mut lines = body.lines();
        let sub = lines.next().unwrap();
        let ops: Vec<Tensor> = lines
            .next()
            .unwrap()
            .split(';')
            .map(|s| {
                Tensor::zeros(
                    &s.split('x')
                        .map(|d| d.parse().unwrap())
                        .collect::<Vec<usize>>(),
                    DType::F32,
                )
            })
            .collect();
        let want = parse_path(lines.next().unwrap());
        let got = jnp::einsum_path_with(sub, &ops, opt.clone());
        assert_eq!(got.path, want, "{key}");
        // The path evaluates to the same values as the unoptimized order.
        let ops: Vec<Tensor> = ops
            .iter()
            .enumerate()
            .map(|(k, t)| {
                let n: usize = t.shape().iter().product();
                let v: Vec<f64> = (0..n)
                    .map(|i| ((i * 7 + k * 3) % 11) as f64 * 0.1 - 0.5)
                    .collect();
                Tensor::from_f64_values(&v, t.shape(), DType::F64)
            })
            .collect();
        let a = jnp::einsum_with(
            sub,
            &ops,
            Einsum {
                optimize: Optimize::Path(want),
                ..Default::default()
            },
        );
        let b = jnp::einsum_with(
            sub,
            &ops,
            Einsum {
                optimize: Optimize::Unoptimized,
                ..Default::default()
            },
        );
        let (av, bv) = (a.to_vec::<f64>(), b.to_vec::<f64>());
        for (x, y) in av.iter().zip(&bv) {
            assert!(
                (x - y).abs() <= 1e-12 * y.abs().max(1.0),
                "{key}: {x} vs {y}"
            );
        }
        n += 1;
    }
    assert_eq!(n, 32);
}

fn jaxpr_text(name: &str) -> String {
    golden()
        .1
        .remove(&format!("jaxpr.{name}"))
        .unwrap_or_else(|| panic!("no golden jaxpr {name}"))
}

#[test]
fn einsum_jaxprs_match_jax() {
    let f = |s: &[usize]| Tensor::zeros(s, DType::F32);
    let two = |sub: &'static str| {
        move |(a, b): &(Tensor, Tensor)| jnp::einsum(sub, &[a.clone(), b.clone()])
    };
    assert_eq!(
        make_jaxpr(two("ij,jk->ik"))(&(f(&[2, 3]), f(&[3, 4]))).to_string(),
        jaxpr_text("einsum_mm")
    );
    assert_eq!(
        make_jaxpr(two("bij,bjk->bik"))(&(f(&[2, 3, 4]), f(&[2, 4, 5]))).to_string(),
        jaxpr_text("einsum_bmm")
    );
    assert_eq!(
        make_jaxpr(two("ij,jk->ki"))(&(f(&[2, 3]), f(&[3, 4]))).to_string(),
        jaxpr_text("einsum_transpose_out")
    );
    assert_eq!(
        make_jaxpr(two("ij,jk->k"))(&(f(&[2, 3]), f(&[3, 4]))).to_string(),
        jaxpr_text("einsum_sum_one")
    );
    let three = |(a, b, c): &(Tensor, Tensor, Tensor)| {
        jnp::einsum("ij,jk,kl->il", &[a.clone(), b.clone(), c.clone()])
    };
    assert_eq!(
        make_jaxpr(three)(&(f(&[2, 3]), f(&[3, 4]), f(&[4, 5]))).to_string(),
        jaxpr_text("einsum_chain3")
    );
    assert_eq!(
        make_jaxpr(|a: &Tensor| jnp::einsum("ii", std::slice::from_ref(a)))(&f(&[3, 3]))
            .to_string(),
        jaxpr_text("einsum_trace")
    );
    assert_eq!(
        make_jaxpr(|a: &Tensor| jnp::einsum("ii->i", std::slice::from_ref(a)))(&f(&[3, 3]))
            .to_string(),
        jaxpr_text("einsum_diag")
    );
}

#[test]
fn einsum_grads_vmap_jit() {
    let x = Tensor::from_vec((0..6).map(|i| i as f64 * 0.3 - 0.7).collect(), &[2, 3]);
    let y = Tensor::from_vec((0..12).map(|i| i as f64 * 0.1 - 0.4).collect(), &[3, 4]);
    let q = Tensor::from_vec((0..9).map(|i| i as f64 * 0.2 - 0.5).collect(), &[3, 3]);
    check_grads(
        |(a, b): &(Tensor, Tensor)| jnp::einsum("ij,jk->ki", &[a.clone(), b.clone()]),
        &(x.clone(), y.clone()),
        2,
    );
    check_grads(
        |(q, b): &(Tensor, Tensor)| jnp::einsum("ii,ij->j", &[q.clone(), b.clone()]),
        &(q.clone(), y.clone()),
        2,
    );
    check_grads(
        |q: &Tensor| jnp::einsum("ij,jk,ki->", &[q.clone(), q.sin(), q.cos()]),
        &q,
        2,
    );
    // vmap over a leading axis equals a loop of the unbatched einsum.
    let xs = Tensor::from_vec((0..24).map(|i| i as f64 * 0.05).collect(), &[4, 2, 3]);
    let f = |a: &Tensor| {
        jnp::einsum(
            "ij,jk->ik",
            &[
                a.clone(),
                Tensor::from_vec((0..12).map(|i| i as f64 * 0.1 - 0.4).collect(), &[3, 4]),
            ],
        )
    };
    let b = vmap(f)(&xs);
    for r in 0..4isize {
        assert_eq!(
            b.index_axis(0, r).to_vec::<f64>(),
            f(&xs.index_axis(0, r)).to_vec::<f64>()
        );
    }
    let g = |(a, q): &(Tensor, Tensor)| jnp::einsum("...j,jj->...", &[a.clone(), q.clone()]);
    let e = g(&(xs.clone(), q.clone()));
    let j = jit(g)(&(xs.clone(), q.clone()));
    assert_eq!(j.to_vec::<f64>(), e.to_vec::<f64>());
    assert_eq!(e.shape(), &[4, 2]);
}

#[test]
fn einsum_errors_name_subscripts_shapes_and_caller() {
    let a = Tensor::zeros(&[2, 3], DType::F32);
    let b = Tensor::zeros(&[4, 5], DType::F32);
    let m = panic_message(|| jnp::einsum("ij,jk->ik", &[a.clone(), b.clone()]));
    assert!(
        m.contains("einsum")
            && m.contains("f32[2,3]")
            && m.contains("f32[4,5]")
            && m.contains("einsum.rs"),
        "{m}"
    );
    let m = panic_message(|| jnp::einsum("ijk->i", std::slice::from_ref(&a)));
    assert!(m.contains("einsum") && m.contains("rank 2"), "{m}");
    let m = panic_message(|| jnp::einsum("ij->q", std::slice::from_ref(&a)));
    assert!(m.contains("'q'"), "{m}");
    let m = panic_message(|| jnp::einsum("ij,jk", std::slice::from_ref(&a)));
    assert!(m.contains("2 operands"), "{m}");
}
