//! Dead-code elimination.

use super::Rewriter;
use crate::core::{Atom, Jaxpr};

/// Drops every equation none of whose outputs is used (by a later kept equation or an
/// output) and that has no side effects ([`Prim::has_effects`](crate::core::Prim::has_effects):
/// a `debug_print` stays), so this never changes results or what is printed. Constvars and
/// invars are kept (the interface does not change); sub-jaxprs are left as they are.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[3], DType::F32);
/// let j = make_jaxpr(|x: &Tensor| { let _unused = x.cos(); x.sin() })(&x);
/// assert_eq!(j.jaxpr.eqns.len(), 2);
/// let d = ferrax::internals::passes::dce(&j.jaxpr);
/// assert_eq!(d.to_string(), "{ lambda ; a:f32[3]. let b:f32[3] = sin a in (b,) }");
/// ```
pub fn dce(jaxpr: &Jaxpr) -> Jaxpr {
    let (_, keep) = liveness(jaxpr, &jaxpr.outvars);
    let mut r = Rewriter::new(jaxpr);
    for (i, e) in jaxpr.eqns.iter().enumerate() {
        if keep[i] {
            let ins = e.inputs.iter().map(|a| r.get(a)).collect();
            r.copy_eqn(i, ins);
        }
    }
    r.finish()
}

/// `jaxpr` with outputs `outvars` and only the equations they need (JAX's `pe.dce_jaxpr`).
/// Unlike [`dce`], variables keep their numbering (the caller may still name them by the
/// original jaxpr's variables). Also returns which variables are live (read by a kept
/// equation or an output): for the invars, which inputs are used.
pub(crate) fn dce_for_outputs(jaxpr: &Jaxpr, outvars: Vec<Atom>) -> (Jaxpr, Vec<bool>) {
    let (live, keep) = liveness(jaxpr, &outvars);
    let eqns = jaxpr
        .eqns
        .iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(e, _)| e.clone())
        .collect();
    let out = Jaxpr {
        var_avals: jaxpr.var_avals.clone(),
        constvars: jaxpr.constvars.clone(),
        invars: jaxpr.invars.clone(),
        eqns,
        outvars,
    };
    (out, live)
}

/// Backward liveness from `outvars`: which variables are live, and which equations are kept
/// (those with a live output or side effects; their inputs are live).
fn liveness(jaxpr: &Jaxpr, outvars: &[Atom]) -> (Vec<bool>, Vec<bool>) {
    let mut live = vec![false; jaxpr.var_avals.len()];
    let mark = |live: &mut Vec<bool>, a: &Atom| {
        if let Atom::Var(v) = a {
            live[v.0 as usize] = true;
        }
    };
    for a in outvars {
        mark(&mut live, a);
    }
    let mut keep = vec![false; jaxpr.eqns.len()];
    for (i, e) in jaxpr.eqns.iter().enumerate().rev() {
        if e.outputs.iter().any(|v| live[v.0 as usize]) || e.prim.has_effects() {
            keep[i] = true;
            for a in &e.inputs {
                mark(&mut live, a);
            }
        }
    }
    (live, keep)
}
