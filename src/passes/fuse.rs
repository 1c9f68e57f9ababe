//! Elementwise fusion: chains of elementwise equations of one shape become one `fused`
//! call equation, which the jit interpreter runs in a single pass over cache-sized chunks
//! instead of writing every intermediate array to memory.

use super::FusedOp;
use crate::core::{Atom, Aval, Eqn, Jaxpr, Prim, SubJaxpr, Var};
use crate::prims::{family, BinaryOp, ElementwiseOp, Family, ReduceOp};
use crate::tensor::DType;
use smallvec::SmallVec;
use std::collections::HashMap;
use std::sync::Arc;

/// Merges elementwise chains into `fused` equations (groups of at least two equations of
/// the same output shape; see [`fusible`] for which equations qualify), with
/// trailing-axes reductions of their values (`reduce_sum`/`max`/`min`/`prod` over rows of at
/// most 4096 elements, as softmax and layer norm do) computed in the same pass. The
/// result evaluates to the same values. Fused jaxprs are for evaluation: `jit` fuses the
/// program it runs, not the jaxpr other transformations see.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[8], DType::F32);
/// let j = make_jaxpr(|x: &Tensor| ((x * 2.0).sin() + 1.0).exp())(&x);
/// let f = ferrax::internals::passes::fuse(&j.jaxpr);
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
    // Open groups by shape; `group_of[v]` = the key of the open group that defines v, and
    // whether v is one of its reductions (which only readers outside the group may use).
    let mut open: HashMap<Vec<usize>, Group> = HashMap::new();
    let mut group_of: HashMap<u32, (Vec<usize>, bool)> = HashMap::new();
    let close = |g: Group, out: &mut Jaxpr, group_of: &mut HashMap<u32, (Vec<usize>, bool)>| {
        for &m in &g.members {
            for v in &src.eqns[m].outputs {
                group_of.remove(&v.0);
            }
        }
        emit_group(src, &g.members, &readers, &is_outvar, out);
    };
    for (i, e) in src.eqns.iter().enumerate() {
        let ins: Vec<Aval> = e.inputs.iter().map(aval_of).collect();
        let outs: Vec<Aval> = e.outputs.iter().map(|v| src.aval(*v).clone()).collect();
        let elementwise = fusible(&e.prim, &ins, &outs);
        // A trailing-axes reduction of a group value becomes that group's epilogue (all
        // reductions of a group must share a row length: chunks hold whole rows).
        let reduction = if elementwise {
            None
        } else {
            fusible_reduction(&e.prim, &ins).and_then(|row| match &e.inputs[0] {
                Atom::Var(v) => match group_of.get(&v.0) {
                    Some((key, false))
                        if open
                            .get(key)
                            .is_some_and(|g| g.row.is_none_or(|r| r == row)) =>
                    {
                        Some((key.clone(), row))
                    }
                    _ => None,
                },
                Atom::Lit(_) => None,
            })
        };
        let own_key = if elementwise {
            Some(outs[0].shape.to_vec())
        } else {
            reduction.as_ref().map(|(key, _)| key.clone())
        };
        // Reading a value of another open group (a non-fusible reader, a fusible one of a
        // different shape through broadcasting, or any reader of a group's reduction) emits
        // that group first.
        let mut to_close: Vec<Group> = Vec::new();
        for a in &e.inputs {
            if let Atom::Var(v) = a
                && let Some((key, reduced)) = group_of.get(&v.0).cloned()
                && (reduced || own_key.as_ref() != Some(&key))
                && let Some(g) = open.remove(&key)
            {
                to_close.push(g);
            }
        }
        to_close.sort_by_key(|g| g.members[0]);
        for g in to_close {
            close(g, &mut out, &mut group_of);
        }
        if let Some(key) = own_key {
            let g = open.entry(key.clone()).or_default();
            g.members.push(i);
            if let Some((_, row)) = reduction {
                g.row = Some(row);
            }
            group_of.insert(e.outputs[0].0, (key, reduction.is_some()));
            continue;
        }
        out.eqns.push(e.clone());
    }
    // Remaining groups, in order of their first equation.
    let mut rest: Vec<Group> = open.into_values().collect();
    rest.sort_by_key(|g| g.members[0]);
    for g in rest {
        close(g, &mut out, &mut group_of);
    }
    out
}

/// An open fusion group: its equations (in order) and the row length of its reductions.
#[derive(Default)]
struct Group {
    members: Vec<usize>,
    row: Option<usize>,
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
            source: e.source,
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
        prim: Prim::new(FusedOp {
            jaxpr: SubJaxpr(Arc::new(body)),
        }),
        inputs: external.into_iter().collect(),
        outputs: results.into_iter().collect(),
        source: members.iter().find_map(|&m| src.eqns[m].source),
    });
}

/// Whether an equation can join a fused group: a float elementwise op (or a comparison /
/// `select_n` around floats) whose operands have the output's shape or are scalars.
pub fn fusible(prim: &Prim, ins: &[Aval], outs: &[Aval]) -> bool {
    let [out] = outs else { return false };
    let float = |a: &Aval| matches!(a.dtype, DType::F32 | DType::F64);
    let shaped = |a: &Aval| a.shape.is_empty() || broadcasts_to(&a.shape, &out.shape);
    if out.shape.is_empty() || !ins.iter().all(shaped) {
        return false;
    }
    match family(prim) {
        Family::Unary(op) => op.is_float_math() && float(&ins[0]),
        Family::Binary(op) => {
            !matches!(
                op,
                BinaryOp::And | BinaryOp::Or | BinaryOp::Xor | BinaryOp::Polygamma
            ) && ins.iter().all(float)
                && ins[0].dtype == ins[1].dtype
        }
        Family::Elementwise(ElementwiseOp::SelectN) => {
            ins.len() == 3
                && ins[0].dtype == DType::Bool
                && float(&ins[1])
                && ins[1].dtype == ins[2].dtype
        }
        _ => false,
    }
}

/// Longest row (elements) a reduction fused into a group may reduce: a chunk holds whole rows.
const MAX_FUSED_ROW: usize = 4096;

/// If `prim` is a float `reduce_sum`/`max`/`min`/`prod` over trailing axes whose rows fit in
/// a chunk, the row length: such a reduction can run as the epilogue of the fused group that
/// computes its operand, row by row with the same kernel (so the same result) as unfused.
pub fn fusible_reduction(prim: &Prim, ins: &[Aval]) -> Option<usize> {
    let r = prim.downcast::<ReduceOp>()?;
    if !matches!(
        r,
        ReduceOp::Sum { .. } | ReduceOp::Max { .. } | ReduceOp::Min { .. } | ReduceOp::Prod { .. }
    ) {
        return None;
    }
    let [x] = ins else { return None };
    let nd = x.shape.len();
    let axes = r.axes();
    let trailing = !axes.is_empty()
        && axes
            .iter()
            .enumerate()
            .all(|(i, &a)| a == nd - axes.len() + i);
    let row: usize = x.shape[nd - axes.len().min(nd)..].iter().product();
    (matches!(x.dtype, DType::F32 | DType::F64)
        && nd > 0
        && trailing
        && (1..=MAX_FUSED_ROW).contains(&row))
    .then_some(row)
}

/// Whether `from` broadcasts to `to` numpy-style (right-aligned, dims equal or 1).
fn broadcasts_to(from: &[usize], to: &[usize]) -> bool {
    from.len() <= to.len()
        && from
            .iter()
            .rev()
            .zip(to.iter().rev())
            .all(|(&f, &t)| f == t || f == 1)
}
