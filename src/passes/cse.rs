//! Common-subexpression elimination.

use super::{lit_key, Rewriter};
use crate::core::{Atom, Jaxpr, Var};
use crate::prims::Prim;
use crate::DType;
use smallvec::SmallVec;
use std::collections::HashMap;

#[derive(Clone, PartialEq, Eq, Hash)]
enum AtomKey {
    Var(Var),
    Lit(DType, u64),
}

/// An equation's primitive and (already rewritten) inputs.
type EqnKey = (Prim, SmallVec<[AtomKey; 3]>);

/// Replaces an equation whose primitive (with its params) and inputs equal an earlier
/// equation's by that equation's outputs. Literals are equal when their dtype and value
/// bits are; sub-jaxprs of call, cond and loop primitives compare by identity. Equations
/// with side effects are kept as they are; every other primitive is pure (random numbers
/// come from explicit keys), so this never changes results.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[3], DType::F32);
/// let j = make_jaxpr(|x: &Tensor| x.sin() * x.sin())(&x);
/// let c = ferrax::internals::passes::cse(&j.jaxpr);
/// assert_eq!(c.to_string(),
///     "{ lambda ; a:f32[3]. let b:f32[3] = sin a; c:f32[3] = mul b b in (c,) }");
/// ```
pub fn cse(jaxpr: &Jaxpr) -> Jaxpr {
    let mut r = Rewriter::new(jaxpr);
    let mut seen: HashMap<EqnKey, SmallVec<[Var; 1]>> = HashMap::new();
    for (i, e) in jaxpr.eqns.iter().enumerate() {
        let ins: SmallVec<[Atom; 3]> = e.inputs.iter().map(|a| r.get(a)).collect();
        let key: SmallVec<[AtomKey; 3]> = ins
            .iter()
            .map(|a| match a {
                Atom::Var(v) => AtomKey::Var(*v),
                Atom::Lit(t) => {
                    let (d, b) = lit_key(t);
                    AtomKey::Lit(d, b)
                }
            })
            .collect();
        if e.prim.has_effects() {
            // Two equal prints both print.
            r.copy_eqn(i, ins);
            continue;
        }
        let key = (e.prim.clone(), key);
        if let Some(prev) = seen.get(&key) {
            let prev = prev.clone();
            for (o, p) in e.outputs.iter().zip(prev) {
                r.set(*o, Atom::Var(p));
            }
            continue;
        }
        r.copy_eqn(i, ins);
        let outs = e
            .outputs
            .iter()
            .map(|o| match r.get(&Atom::Var(*o)) {
                Atom::Var(v) => v,
                Atom::Lit(_) => unreachable!("copied outputs are variables"),
            })
            .collect();
        seen.insert(key, outs);
    }
    r.finish()
}
