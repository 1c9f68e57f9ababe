//! `PrimRules::sub_jaxprs` / `replace_sub_jaxprs` (JAX's `jaxprs_in_params`): the jaxprs
//! a higher-order primitive reports are the ones the printer shows, in the documented order;
//! replacing them round-trips; passes, the checker and `eval` use them generically.

use ferrax::core::{check_jaxpr, Aval, Jaxpr};
use ferrax::internals::passes::optimize_sub_jaxprs;
use ferrax::internals::prims::{Param, Prim};
use ferrax::lax;
use ferrax::prelude::*;
use std::sync::Arc;

fn f32s(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|i| 0.25 + i as f32 * 0.5).collect(), shape)
}

/// The sub-jaxprs in the printer's params, by key (`branches` gives several).
fn printed(p: &Prim) -> Vec<(&'static str, Arc<Jaxpr>)> {
    let mut out = Vec::new();
    for (k, v) in p.params() {
        match v {
            Param::Jaxpr(j) => out.push((k, j)),
            Param::Jaxprs(js) => out.extend(js.into_iter().map(|j| (k, j))),
            Param::Text(_) => {}
        }
    }
    out
}

/// The only equation of `j` that has sub-jaxprs.
fn higher_order(j: &Jaxpr) -> &Prim {
    let mut it = j.eqns.iter().filter(|e| !e.prim.sub_jaxprs().is_empty());
    let p = &it.next().expect("an equation with sub-jaxprs").prim;
    assert!(
        it.next().is_none(),
        "one higher-order equation expected:\n{j}"
    );
    p
}

/// `sub_jaxprs` is what the printer shows under `keys` (in that order), the same `Arc`s.
fn assert_reports(p: &Prim, keys: &[&str]) {
    let subs = p.sub_jaxprs();
    let shown = printed(p);
    assert_eq!(subs.len(), keys.len(), "{}", p.name());
    assert_eq!(shown.len(), keys.len(), "{}", p.name());
    for (s, key) in subs.iter().zip(keys) {
        let hits: Vec<&Arc<Jaxpr>> = shown
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, j)| j)
            .collect();
        assert!(
            hits.iter().any(|j| Arc::ptr_eq(j, s)),
            "{}: param {key} does not show the reported sub-jaxpr",
            p.name()
        );
    }
}

/// Replacing the sub-jaxprs with themselves gives an equal primitive; with copies (other
/// `Arc`s, same text) a primitive that prints the same.
fn assert_round_trips(p: &Prim) {
    let same: Vec<Arc<Jaxpr>> = p.sub_jaxprs().into_iter().cloned().collect();
    assert_eq!(&p.replace_sub_jaxprs(same), p);
    let copies: Vec<Arc<Jaxpr>> = p
        .sub_jaxprs()
        .into_iter()
        .map(|j| Arc::new((**j).clone()))
        .collect();
    let q = p.replace_sub_jaxprs(copies.clone());
    assert_eq!(q.name(), p.name());
    for (a, b) in q.sub_jaxprs().into_iter().zip(&copies) {
        assert!(Arc::ptr_eq(a, b));
    }
    let text = |p: &Prim| {
        let mut ps: Vec<String> = p
            .params()
            .into_iter()
            .map(|(k, v)| match v {
                Param::Text(t) => format!("{k}={t}"),
                Param::Jaxpr(j) => format!("{k}={j}"),
                Param::Jaxprs(js) => {
                    let s: Vec<String> = js.iter().map(|j| j.to_string()).collect();
                    format!("{k}=({})", s.join(" | "))
                }
            })
            .collect();
        ps.sort();
        ps.join("\n")
    };
    assert_eq!(text(&q), text(p));
}

fn avals(ts: &[Tensor]) -> Vec<Aval> {
    ts.iter().map(|t| t.aval()).collect()
}

/// `eval` on arrays (also while a trace is active) agrees with eager evaluation.
fn assert_eval_agrees(p: &Prim, args: &[Tensor]) {
    let want: Vec<Tensor> = p.eval_eager(args).expect("higher-order fast path").to_vec();
    let out_avals = p.abstract_eval(&avals(args)).unwrap();
    let arrays: Vec<_> = args.iter().map(|t| t.array()).collect();
    let got = p.eval(&arrays, &out_avals);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w.array(), "{}", p.name());
    }
    // Under a trace the sub-jaxprs still evaluate on the concrete arrays.
    let traced = make_jaxpr(|x: &Tensor| {
        let got = p.eval(&arrays, &out_avals);
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w.array(), "{} under make_jaxpr", p.name());
        }
        x.clone()
    })(&f32s(&[1]));
    assert_eq!(traced.jaxpr.eqns.len(), 0);
}

#[test]
fn jit_call_reports_its_body() {
    let x = f32s(&[3]);
    let j = make_jaxpr(jit(|x: &Tensor| x.sin() * 2.0))(&x);
    let p = higher_order(&j.jaxpr);
    assert_eq!(p.name(), "jit");
    assert_reports(p, &["jaxpr"]);
    assert_eq!(p.sub_jaxprs()[0].eqns.len(), 2);
    assert_round_trips(p);
    assert_eval_agrees(p, &[x]);
}

#[test]
fn cond_reports_its_branches_in_index_order() {
    let b0 = |x: &Tensor| x + 1.0;
    let b1 = |x: &Tensor| x.sin() * 10.0;
    let b2 = |x: &Tensor| -x;
    let branches: [&dyn Fn(&Tensor) -> Tensor; 3] = [&b0, &b1, &b2];
    let f = |(i, x): &(Tensor, Tensor)| lax::switch(i, &branches, x);
    let x = f32s(&[2]);
    let j = make_jaxpr(f)(&(Tensor::scalar(0i32), x.clone()));
    let p = higher_order(&j.jaxpr);
    assert_eq!(p.name(), "cond");
    assert_reports(p, &["branches", "branches", "branches"]);
    let Param::Jaxprs(shown) = &printed_param(p, "branches") else {
        panic!("branches is a tuple of jaxprs")
    };
    for (s, b) in p.sub_jaxprs().into_iter().zip(shown) {
        assert!(Arc::ptr_eq(s, b), "branch order");
    }
    let names: Vec<Vec<&str>> = p
        .sub_jaxprs()
        .iter()
        .map(|b| b.eqns.iter().map(|e| e.prim.name()).collect())
        .collect();
    assert_eq!(names, vec![vec!["add"], vec!["sin", "mul"], vec!["neg"]]);
    assert_round_trips(p);
    for i in [-1, 0, 1, 2, 7] {
        assert_eval_agrees(p, &[Tensor::scalar(i), x.clone()]);
    }
}

fn printed_param(p: &Prim, key: &str) -> Param {
    p.params()
        .into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .expect("param")
}

#[test]
fn scan_reports_its_body() {
    let xs = f32s(&[4, 2]);
    let f = |xs: &Tensor| {
        lax::scan(
            |c: &Tensor, x: &Tensor| (c + x.sin(), x.cos()),
            &Tensor::zeros(&[2], DType::F32),
            xs,
        )
    };
    let j = make_jaxpr(f)(&xs);
    let p = higher_order(&j.jaxpr);
    assert_eq!(p.name(), "scan");
    assert_reports(p, &["jaxpr"]);
    assert_round_trips(p);
    let args = vec![Tensor::zeros(&[2], DType::F32), xs];
    assert_eval_agrees(p, &args);
}

#[test]
fn while_reports_cond_then_body() {
    let f = |x: &Tensor| lax::while_loop(|c: &Tensor| c.sum().lt(10.0), |c: &Tensor| c * 2.0, x);
    let x = f32s(&[2]);
    let j = make_jaxpr(f)(&x);
    let p = higher_order(&j.jaxpr);
    assert_eq!(p.name(), "while");
    assert_reports(p, &["cond_jaxpr", "body_jaxpr"]);
    let subs = p.sub_jaxprs();
    assert_eq!(subs[0].outvars.len(), 1, "the predicate comes first");
    assert_eq!(subs[0].out_avals()[0], Aval::new(&[], DType::Bool));
    assert_round_trips(p);
    assert_eval_agrees(p, &[x]);
}

#[test]
fn first_order_primitives_have_none() {
    let j = make_jaxpr(|x: &Tensor| x.sin().sum())(&f32s(&[3]));
    for e in &j.jaxpr.eqns {
        assert!(e.prim.sub_jaxprs().is_empty());
        assert_eq!(e.prim.replace_sub_jaxprs(vec![]), e.prim);
    }
}

#[test]
#[should_panic(expected = "expected 2 sub-jaxprs")]
fn replacing_with_the_wrong_count_panics() {
    let f = |x: &Tensor| lax::while_loop(|c: &Tensor| c.sum().lt(10.0), |c: &Tensor| c * 2.0, x);
    let j = make_jaxpr(f)(&f32s(&[2]));
    let p = higher_order(&j.jaxpr);
    let one = vec![p.sub_jaxprs()[0].clone()];
    p.replace_sub_jaxprs(one);
}

#[test]
fn check_jaxpr_checks_inside_sub_jaxprs() {
    let xs = f32s(&[4, 2]);
    let f = |xs: &Tensor| {
        lax::scan(
            |c: &Tensor, x: &Tensor| (c + x.sin(), x.cos()),
            &Tensor::zeros(&[2], DType::F32),
            xs,
        )
    };
    let j = make_jaxpr(f)(&xs);
    assert!(check_jaxpr(&j.jaxpr).is_ok());
    // Mistype the body's `sin` output: the body's interface is unchanged, so only a check
    // that looks inside finds it.
    let mut outer = (*j.jaxpr).clone();
    let k = outer
        .eqns
        .iter()
        .position(|e| e.prim.name() == "scan")
        .unwrap();
    let p = outer.eqns[k].prim.clone();
    let mut body = (**p.sub_jaxprs()[0]).clone();
    let sin = body
        .eqns
        .iter()
        .position(|e| e.prim.name() == "sin")
        .unwrap();
    let v = body.eqns[sin].outputs[0];
    body.var_avals[v.0 as usize] = Aval::new(&[2], DType::F64);
    outer.eqns[k].prim = p.replace_sub_jaxprs(vec![Arc::new(body)]);
    let err = check_jaxpr(&outer).unwrap_err();
    assert!(err.contains("(scan), sub-jaxpr 0: equation"), "{err}");
    assert!(err.contains("(sin)"), "{err}");
}

#[test]
fn optimize_sub_jaxprs_reaches_every_optimizable_body() {
    let x = f32s(&[2]);
    let f = |x: &Tensor| {
        let (c, _) = lax::scan(
            |c: &Tensor, x: &Tensor| (c + x.sin() * 1.0, x.sin()),
            &Tensor::zeros(&[2], DType::F32),
            &x.reshape(&[1, 2]),
        );
        let w = lax::while_loop(
            |c: &Tensor| c.sum().lt(10.0),
            |c: &Tensor| c * 1.0 + 1.0,
            &c,
        );
        let b = lax::cond(
            &w.sum().gt(0.0),
            |x: &Tensor| x * 1.0,
            |x: &Tensor| -(-x),
            &w,
        );
        let k = jit(|x: &Tensor| x * 1.0 + 0.0)(&b);
        let cp = ferrax::transforms::checkpoint(|x: &Tensor| x * 1.0)(&k);
        ferrax::transforms::custom_jvp(
            "id",
            |x: &Tensor| x * 1.0,
            |x: &Tensor, t: &Tensor| (x.clone(), t.clone()),
        )(&cp)
    };
    let j = make_jaxpr(f)(&x);
    let o = optimize_sub_jaxprs(&j.jaxpr);
    check_jaxpr(&o).unwrap();
    let mut seen = Vec::new();
    for (a, b) in j.jaxpr.eqns.iter().zip(&o.eqns) {
        let (sa, sb) = (a.prim.sub_jaxprs(), b.prim.sub_jaxprs());
        assert_eq!(sa.len(), sb.len());
        if sa.is_empty() {
            assert_eq!(a.prim, b.prim);
            continue;
        }
        seen.push(a.prim.name());
        let before: usize = sa.iter().map(|j| j.eqns.len()).sum();
        let after: usize = sb.iter().map(|j| j.eqns.len()).sum();
        if a.prim.optimizable_sub_jaxprs() {
            assert!(after < before, "{}: {before} -> {after}", a.prim.name());
        } else {
            assert_eq!(a.prim, b.prim, "{} is left as it is", a.prim.name());
        }
    }
    assert_eq!(
        seen,
        vec![
            "scan",
            "while",
            "cond",
            "jit",
            "checkpoint",
            "custom_jvp_call"
        ]
    );
    let args = [x];
    let want = ferrax::internals::interp::eval_jaxpr(&j.jaxpr, &j.consts, &args);
    let got = ferrax::internals::interp::eval_jaxpr(&o, &j.consts, &args);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.to_vec::<f32>(), w.to_vec::<f32>());
    }
}
