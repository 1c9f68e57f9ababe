//! Optimizing the sub-jaxprs of scan, while, cond and jit equations.

use super::{cse, dce, fold::fold, same_structure, simplify, MAX_ROUNDS};
use crate::core::Jaxpr;
use std::sync::Arc;

/// Optimizes, in every equation with sub-jaxprs ([`PrimRules::sub_jaxprs`]: scan, while, cond
/// and jit) of `jaxpr` (recursively), the sub-jaxprs with [`simplify`], constant folding
/// (into literals and splats only), [`cse`] and [`dce`], keeping each sub-jaxpr's inputs and
/// outputs. Primitives whose sub-jaxprs are not to be rewritten
/// ([`PrimRules::optimizable_sub_jaxprs`]: custom-derivative, checkpoint and fused calls) are
/// left as they are. The outer equations are otherwise unchanged.
///
/// ```
/// use ferrax::prelude::*;
/// let xs = Tensor::zeros(&[4, 2], DType::F32);
/// let f = |xs: &Tensor| ferrax::lax::scan(
///     |c: &Tensor, x: &Tensor| (c + x.sin() * 1.0, x.sin()), &Tensor::zeros(&[2], DType::F32), xs);
/// let j = make_jaxpr(f)(&xs);
/// let o = ferrax::internals::passes::optimize_sub_jaxprs(&j.jaxpr);
/// assert!(ferrax::core::check_jaxpr(&o).is_ok());
/// use ferrax::internals::prims::PrimRules;
/// let body_len = |j: &Jaxpr| j.eqns[0].prim.sub_jaxprs()[0].eqns.len();
/// assert_eq!(body_len(&j.jaxpr), 4); // sin, mul 1.0, add, sin
/// assert_eq!(body_len(&o), 2); // sin, add
/// ```
pub fn optimize_sub_jaxprs(jaxpr: &Jaxpr) -> Jaxpr {
    let mut out = jaxpr.clone();
    for e in &mut out.eqns {
        let subs = e.prim.sub_jaxprs();
        if subs.is_empty() || !e.prim.optimizable_sub_jaxprs() {
            continue;
        }
        let new = subs
            .into_iter()
            .map(|j| Arc::new(optimize_body(j)))
            .collect();
        e.prim = e.prim.replace_sub_jaxprs(new);
    }
    out
}

/// Rounds of the passes on a jaxpr without constants, keeping its interface.
fn optimize_body(j: &Jaxpr) -> Jaxpr {
    if !j.constvars.is_empty() {
        return j.clone();
    }
    let mut cur = optimize_sub_jaxprs(j);
    for _ in 0..MAX_ROUNDS {
        let s = simplify(&dce(&cur));
        let (f, _) = fold(&s, &[], false);
        let next = dce(&cse(&f));
        let done = same_structure(&next, &cur);
        cur = next;
        if done {
            break;
        }
    }
    cur
}
