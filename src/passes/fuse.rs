//! Elementwise fusion: chains of elementwise equations of one shape become one `fused`
//! call equation, which the jit interpreter runs in a single pass over cache-sized chunks
//! instead of writing every intermediate array to memory.

use crate::core::{Atom, Aval, Eqn, Jaxpr, Var};
use crate::interp::fused::fusible;
use crate::prims::call::{CallKind, SubJaxpr};
use crate::prims::{CallOp, Prim};
use smallvec::SmallVec;
use std::collections::HashMap;
use std::sync::Arc;

/// Merges elementwise chains into `fused` equations (groups of at least two equations of
/// the same output shape; see [`crate::interp::fused`] for which equations qualify). The
/// result evaluates to the same values. Fused jaxprs are for evaluation: `jit` fuses the
/// program it runs, not the jaxpr other transformations see.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[8], DType::F32);
/// let j = make_jaxpr(|x: &Tensor| ((x * 2.0).sin() + 1.0).exp())(&x);
/// let f = ferrax::passes::fuse(&j.jaxpr);
/// assert_eq!(f.eqns.len(), 1);
/// assert!(f.to_string().contains("fused["), "{f}");
/// assert!(ferrax::core::check_jaxpr(&f).is_ok());
/// ```
pub fn fuse(src: &Jaxpr) -> Jaxpr {
    // Readers of each variable: equation indices, and whether a jaxpr output reads it.
    let mut readers: Vec<SmallVec<[usize; 2]>> = vec![SmallVec::new(); src.var_avals.len()];
    for (i, e) in src.eqns.iter().enumerate() {
        for a in &e.inputs {
            if let Atom::Var(v) = a {
                readers[v.0 as usize].push(i);
            }
        }
    }
    let mut is_outvar = vec![false; src.var_avals.len()];
    for a in &src.outvars {
        if let Atom::Var(v) = a {
            is_outvar[v.0 as usize] = true;
        }
    }
    let aval_of = |a: &Atom| -> Aval {
        match a {
            Atom::Var(v) => src.aval(*v).clone(),
            Atom::Lit(t) => t.aval(),
        }
    };

    let mut out = Jaxpr {
        var_avals: src.var_avals.clone(),
        constvars: src.constvars.clone(),
        invars: src.invars.clone(),
        eqns: Vec::with_capacity(src.eqns.len()),
        outvars: src.outvars.clone(),
    };
    // Open groups by output shape; `group_of[v]` = the open group that defines v.
    let mut open: HashMap<Vec<usize>, Vec<usize>> = HashMap::new();
    let mut group_of: HashMap<u32, Vec<usize>> = HashMap::new();
    let close = |members: Vec<usize>, out: &mut Jaxpr, group_of: &mut HashMap<u32, Vec<usize>>| {
        for &m in &members {
            for v in &src.eqns[m].outputs {
                group_of.remove(&v.0);
            }
        }
        emit_group(src, &members, &readers, &is_outvar, out);
    };
    for (i, e) in src.eqns.iter().enumerate() {
        let ins: Vec<Aval> = e.inputs.iter().map(aval_of).collect();
        let outs: Vec<Aval> = e.outputs.iter().map(|v| src.aval(*v).clone()).collect();
        let joins = fusible(&e.prim, &ins, &outs);
        let own_key = joins.then(|| outs[0].shape.to_vec());
        // Reading a value of another open group (a non-fusible reader, or a fusible one of a
        // different shape through broadcasting) emits that group first.
        let mut to_close: Vec<Vec<usize>> = Vec::new();
        for a in &e.inputs {
            if let Atom::Var(v) = a {
                if group_of.contains_key(&v.0) {
                    let shape = src.aval(*v).shape.to_vec();
                    if own_key.as_ref() != Some(&shape) {
                        if let Some(members) = open.remove(&shape) {
                            to_close.push(members);
                        }
                    }
                }
            }
        }
        to_close.sort_by_key(|m| m[0]);
        for members in to_close {
            close(members, &mut out, &mut group_of);
        }
        if let Some(key) = own_key {
            let members = open.entry(key).or_default();
            members.push(i);
            group_of.insert(e.outputs[0].0, members.clone());
            continue;
        }
        out.eqns.push(e.clone());
    }
    // Remaining groups, in order of their first equation.
    let mut rest: Vec<Vec<usize>> = open.into_values().collect();
    rest.sort_by_key(|m| m[0]);
    for members in rest {
        close(members, &mut out, &mut group_of);
    }
    out
}

/// Appends the equations `members` of `src` to `out`: as they are if there is only one,
/// else as one `fused` equation whose outputs are the members' values read outside it.
fn emit_group(
    src: &Jaxpr,
    members: &[usize],
    readers: &[SmallVec<[usize; 2]>],
    is_outvar: &[bool],
    out: &mut Jaxpr,
) {
    if members.len() == 1 {
        out.eqns.push(src.eqns[members[0]].clone());
        return;
    }
    let inside = |i: usize| members.binary_search(&i).is_ok();
    // The body: its own variable numbering; external vars become invars in first-use order.
    let mut body = Jaxpr::default();
    let mut map: HashMap<u32, Var> = HashMap::new();
    let mut external: Vec<Atom> = Vec::new();
    let mut eqns = Vec::with_capacity(members.len());
    for &m in members {
        let e = &src.eqns[m];
        let inputs = e
            .inputs
            .iter()
            .map(|a| match a {
                Atom::Lit(t) => Atom::Lit(t.clone()),
                Atom::Var(v) => Atom::Var(*map.entry(v.0).or_insert_with(|| {
                    external.push(Atom::Var(*v));
                    let nv = body.new_var(src.aval(*v).clone());
                    body.invars.push(nv);
                    nv
                })),
            })
            .collect();
        let outputs = e
            .outputs
            .iter()
            .map(|v| {
                let nv = body.new_var(src.aval(*v).clone());
                map.insert(v.0, nv);
                nv
            })
            .collect();
        eqns.push(Eqn {
            prim: e.prim.clone(),
            inputs,
            outputs,
        });
    }
    body.eqns = eqns;
    let mut results: Vec<Var> = Vec::new();
    for &m in members {
        for v in &src.eqns[m].outputs {
            let used_outside =
                is_outvar[v.0 as usize] || readers[v.0 as usize].iter().any(|&r| !inside(r));
            if used_outside {
                results.push(*v);
                body.outvars.push(Atom::Var(map[&v.0]));
            }
        }
    }
    if results.is_empty() {
        return; // dead group
    }
    out.eqns.push(Eqn {
        prim: Prim::Call(CallOp {
            kind: CallKind::Fused,
            name: "fused".to_string(),
            jaxpr: SubJaxpr(Arc::new(body)),
        }),
        inputs: external.into_iter().collect(),
        outputs: results.into_iter().collect(),
    });
}
