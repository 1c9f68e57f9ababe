//! Optimizing the sub-jaxprs of scan, while, cond and jit equations.

use super::{cse, dce, fold::fold, same_structure, simplify, MAX_ROUNDS};
use crate::core::{Eqn, Jaxpr};
use crate::prims::call::{CallKind, SubJaxpr};
use crate::prims::cond::CondOp;
use crate::prims::loops::LoopOp;
use crate::prims::{CallOp, Prim};
use std::sync::Arc;

/// Optimizes, in every scan, while, cond and jit equation of `jaxpr` (recursively), the
/// sub-jaxprs with [`simplify`], constant folding (into literals and splats only), [`cse`]
/// and [`dce`], keeping each sub-jaxpr's inputs and outputs. Custom-derivative and
/// checkpoint calls are left as they are. The outer equations are otherwise unchanged.
///
/// ```
/// use ferrax::prelude::*;
/// let xs = Tensor::zeros(&[4, 2], DType::F32);
/// let f = |xs: &Tensor| ferrax::lax::scan(
///     |c: &Tensor, x: &Tensor| (c + x.sin() * 1.0, x.sin()), &Tensor::zeros(&[2], DType::F32), xs);
/// let j = make_jaxpr(f)(&xs);
/// let o = ferrax::internals::passes::optimize_sub_jaxprs(&j.jaxpr);
/// assert!(ferrax::core::check_jaxpr(&o).is_ok());
/// let body_len = |j: &Jaxpr| match &j.eqns[0].prim {
///     ferrax::internals::prims::Prim::Loop(ferrax::internals::prims::loops::LoopOp::Scan { jaxpr, .. }) => {
///         jaxpr.0.eqns.len()
///     }
///     _ => unreachable!(),
/// };
/// assert_eq!(body_len(&j.jaxpr), 4); // sin, mul 1.0, add, sin
/// assert_eq!(body_len(&o), 2); // sin, add
/// ```
pub fn optimize_sub_jaxprs(jaxpr: &Jaxpr) -> Jaxpr {
    let mut out = jaxpr.clone();
    for e in &mut out.eqns {
        if let Some(p) = map_prim(&e.prim) {
            *e = Eqn {
                prim: p,
                inputs: e.inputs.clone(),
                outputs: e.outputs.clone(),
            };
        }
    }
    out
}

fn opt(j: &SubJaxpr) -> SubJaxpr {
    SubJaxpr(Arc::new(optimize_body(&j.0)))
}

fn map_prim(p: &Prim) -> Option<Prim> {
    Some(match p {
        Prim::Loop(LoopOp::Scan {
            jaxpr,
            length,
            num_consts,
            num_carry,
            reverse,
            unroll,
        }) => Prim::Loop(LoopOp::Scan {
            jaxpr: opt(jaxpr),
            length: *length,
            num_consts: *num_consts,
            num_carry: *num_carry,
            reverse: *reverse,
            unroll: *unroll,
        }),
        Prim::Loop(LoopOp::While {
            cond_jaxpr,
            body_jaxpr,
            cond_nconsts,
            body_nconsts,
        }) => Prim::Loop(LoopOp::While {
            cond_jaxpr: opt(cond_jaxpr),
            body_jaxpr: opt(body_jaxpr),
            cond_nconsts: *cond_nconsts,
            body_nconsts: *body_nconsts,
        }),
        Prim::Cond(c) => Prim::Cond(CondOp {
            branches: c.branches.iter().map(opt).collect(),
        }),
        Prim::Call(c) if c.kind == CallKind::Jit => Prim::Call(CallOp {
            kind: c.kind.clone(),
            name: c.name.clone(),
            jaxpr: opt(&c.jaxpr),
        }),
        _ => return None,
    })
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
