//! Helpers of the pass tests (`tests/jit/passes.rs`): evaluate a jaxpr before and after each
//! pass on random inputs, check types, and count equations.

use ferrax::internals::interp::eval_closed;
use ferrax::internals::passes::{constant_fold, cse, dce, optimize, simplify};
use ferrax::prelude::*;
use std::sync::Arc;

pub struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }
}

pub fn random_args(j: &ClosedJaxpr, seed: u64) -> Vec<Tensor> {
    let mut rng = Lcg(seed.wrapping_mul(2654435761).wrapping_add(12345));
    j.jaxpr
        .in_avals()
        .iter()
        .map(|a| {
            let vals: Vec<f64> = (0..a.size())
                .map(|_| match a.dtype {
                    DType::Bool => (rng.next() < 0.5) as i32 as f64,
                    DType::I32 => (rng.next() * 11.0).floor() - 5.0,
                    DType::U32 => (rng.next() * 11.0).floor(),
                    _ => rng.next() * 2.0 - 1.0,
                })
                .collect();
            Tensor::from_f64_values(&vals, &a.shape, a.dtype)
        })
        .collect()
}

pub fn assert_close(what: &str, got: &[Tensor], want: &[Tensor]) {
    assert_eq!(got.len(), want.len(), "{what}: output count");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.aval(), w.aval(), "{what}: output type");
        let (gv, wv) = (g.array().to_f64_vec(), w.array().to_f64_vec());
        for (a, b) in gv.iter().zip(&wv) {
            let tol = 1e-5 * (1.0 + b.abs());
            assert!(
                a == b || (a - b).abs() <= tol || (a.is_nan() && b.is_nan()),
                "{what}: {a} vs {b}\n got {gv:?}\nwant {wv:?}"
            );
        }
    }
}

pub fn with_jaxpr(j: &ClosedJaxpr, jaxpr: Jaxpr, consts: Vec<Tensor>) -> ClosedJaxpr {
    let _ = j;
    ClosedJaxpr {
        jaxpr: Arc::new(jaxpr),
        consts,
    }
}

/// Runs every pass and `optimize` on `j`, checking types and values on a few random inputs;
/// returns the equation counts after (dce, cse, simplify+dce, constant_fold, optimize).
pub fn check_passes(j: &ClosedJaxpr) -> [usize; 5] {
    let cj = |jaxpr: Jaxpr| with_jaxpr(j, jaxpr, j.consts.clone());
    let d = cj(dce(&j.jaxpr));
    let c = cj(cse(&j.jaxpr));
    let s = cj(simplify(&j.jaxpr));
    let sd = cj(dce(&s.jaxpr));
    let (f, fc) = constant_fold(&j.jaxpr, &j.consts);
    let f = with_jaxpr(j, f, fc);
    let o = optimize(j);
    for (name, p) in [
        ("dce", &d),
        ("cse", &c),
        ("simplify", &s),
        ("simplify+dce", &sd),
        ("constant_fold", &f),
        ("optimize", &o),
    ] {
        if let Err(e) = super::check_jaxpr_deep(&p.jaxpr) {
            panic!("{name}: {e}\nbefore:\n{}\nafter:\n{}", j.jaxpr, p.jaxpr);
        }
        assert_eq!(p.jaxpr.in_avals(), j.jaxpr.in_avals(), "{name}: inputs");
        assert_eq!(p.jaxpr.out_avals(), j.jaxpr.out_avals(), "{name}: outputs");
        for seed in 0..3 {
            let args = random_args(j, seed);
            let want = eval_closed(j, &args);
            let got = eval_closed(p, &args);
            assert_close(
                &format!("{name}\nbefore:\n{}\nafter:\n{}", j.jaxpr, p.jaxpr),
                &got,
                &want,
            );
        }
    }
    [
        d.jaxpr.eqns.len(),
        c.jaxpr.eqns.len(),
        sd.jaxpr.eqns.len(),
        f.jaxpr.eqns.len(),
        o.jaxpr.eqns.len(),
    ]
}

pub fn f32s(shape: &[usize]) -> Tensor {
    Tensor::zeros(shape, DType::F32)
}

pub fn count(j: &Jaxpr, name: &str) -> usize {
    j.eqns.iter().filter(|e| e.prim.to_string() == name).count()
}
