//! Constant folding.

use super::{eval_now, prune_consts, Rewriter};
use crate::core::{Atom, Aval, ClosedJaxpr, Jaxpr, Var};
use crate::prims::{family, Family, Prim, ShapeOp};
use crate::tensor::ArrayData;
use crate::Tensor;
use std::collections::HashMap;
use std::sync::Arc;

/// Largest output (in elements) [`constant_fold`] computes at compile time and stores as a
/// new constant.
///
/// ```
/// use ferrax::prelude::*;
/// assert!(2000 > ferrax::internals::passes::FOLD_MAX_ELEMENTS);
/// let ramp = Tensor::arange(0.0, 2000.0, 1.0, DType::F32);
/// let j = make_jaxpr(|x: &Tensor| x + ramp.sin())(&Tensor::zeros(&[2000], DType::F32));
/// let (f, _) = ferrax::internals::passes::constant_fold(&j.jaxpr, &j.consts);
/// assert_eq!(f.eqns.len(), 2); // sin of 2000 elements is too big to fold
/// ```
pub const FOLD_MAX_ELEMENTS: usize = 1024;

/// Evaluates at compile time what does not depend on the inputs:
///
/// - an elementwise equation (unary, binary, `select_n`, `clamp`, `convert_element_type`)
///   whose operands are all literals or *splats* (`broadcast_in_dim` of a literal) becomes a
///   literal (rank 0) or a splat of its result, whatever its size;
/// - a constant whose elements are all equal becomes a literal or splat;
/// - any other equation (not a call, control-flow or collective one) whose operands are all
///   literals, constants or splats and whose outputs have at most [`FOLD_MAX_ELEMENTS`]
///   elements is evaluated; each result becomes a literal (rank 0), a splat (all elements
///   equal) or a new constvar.
///
/// `consts` are the values of `jaxpr`'s constvars; the returned constants belong to the
/// returned jaxpr's constvars (unused ones are dropped, folded results appended).
///
/// ```
/// use ferrax::prelude::*;
/// let c = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let j = make_jaxpr(|x: &Tensor| x * c.exp())(&c);
/// let (f, consts) = ferrax::internals::passes::constant_fold(&j.jaxpr, &j.consts);
/// assert_eq!(f.eqns.len(), 1); // only the mul is left; exp(c) is a constant
/// assert_eq!(consts[0].to_vec::<f32>(), vec![1f32.exp(), 2f32.exp()]);
/// ```
pub fn constant_fold(jaxpr: &Jaxpr, consts: &[Tensor]) -> (Jaxpr, Vec<Tensor>) {
    fold(jaxpr, consts, true)
}

/// [`constant_fold`]; with `new_consts` false, only results that are literals or splats are
/// folded (for sub-jaxprs, whose interface has no room for new constants).
pub(crate) fn fold(jaxpr: &Jaxpr, consts: &[Tensor], new_consts_ok: bool) -> (Jaxpr, Vec<Tensor>) {
    assert_eq!(
        jaxpr.constvars.len(),
        consts.len(),
        "constant_fold: {} constvars but {} constants",
        jaxpr.constvars.len(),
        consts.len()
    );
    let mut r = Rewriter::new(jaxpr);
    let mut known: HashMap<Var, Tensor> = HashMap::new();
    let mut new_consts: Vec<Tensor> = consts.to_vec();
    for (v, c) in r.out.constvars.clone().into_iter().zip(consts) {
        known.insert(v, c.clone());
    }
    // Constants whose elements are all equal become literals or splats.
    for (old, c) in jaxpr.constvars.iter().zip(consts) {
        if let Some(s) = splat_value(c) {
            let at = r.splat_atom(s, &c.aval());
            r.set(*old, at);
        }
    }
    for (i, e) in jaxpr.eqns.iter().enumerate() {
        let ins: smallvec::SmallVec<[Atom; 3]> = e.inputs.iter().map(|a| r.get(a)).collect();
        let out_avals: Vec<Aval> = e.outputs.iter().map(|v| jaxpr.aval(*v).clone()).collect();
        let is_splat_def = matches!(
            (e.prim.downcast::<ShapeOp>(), ins.first()),
            (Some(ShapeOp::BroadcastInDim { broadcast_dimensions, .. }), Some(Atom::Lit(_)))
                if broadcast_dimensions.is_empty()
        );
        let foldable = e.prim.constant_foldable() && !is_splat_def;
        if !foldable {
            r.copy_eqn(i, ins);
            continue;
        }
        let elementwise = matches!(
            family(&e.prim),
            Family::Unary(_) | Family::Binary(_) | Family::Elementwise(_)
        ) && out_avals.len() == 1;
        if elementwise {
            let splats: Option<Vec<Tensor>> = ins.iter().map(|a| splat(&r, a)).collect();
            if let Some(scalars) = splats {
                let res = eval_now(&e.prim, &scalars);
                let at = r.splat_atom(res[0].clone(), &out_avals[0]);
                r.set(e.outputs[0], at);
                continue;
            }
        }
        if out_avals.iter().any(|a| a.size() > FOLD_MAX_ELEMENTS) {
            r.copy_eqn(i, ins);
            continue;
        }
        let values: Option<Vec<Tensor>> = ins
            .iter()
            .map(|a| match a {
                Atom::Lit(t) => Some(t.clone()),
                Atom::Var(v) => known.get(v).cloned().or_else(|| {
                    let s = splat(&r, a)?;
                    let aval = r.aval(a);
                    (aval.size() <= FOLD_MAX_ELEMENTS).then(|| {
                        let b = Prim::new(ShapeOp::BroadcastInDim {
                            shape: aval.shape.clone(),
                            broadcast_dimensions: Default::default(),
                        });
                        eval_now(&b, &[s])[0].clone()
                    })
                }),
            })
            .collect();
        let Some(values) = values else {
            r.copy_eqn(i, ins);
            continue;
        };
        let outs = eval_now(&e.prim, &values);
        if !new_consts_ok && outs.iter().any(|t| splat_value(t).is_none()) {
            r.copy_eqn(i, ins);
            continue;
        }
        for ((o, t), aval) in e.outputs.iter().zip(outs).zip(&out_avals) {
            let at = if let Some(s) = splat_value(&t) {
                r.splat_atom(s, aval)
            } else {
                let v = r.out.new_var(aval.clone());
                r.out.constvars.push(v);
                new_consts.push(t.clone());
                known.insert(v, t);
                Atom::Var(v)
            };
            r.set(*o, at);
        }
    }
    let pruned = prune_consts(&ClosedJaxpr {
        jaxpr: Arc::new(r.finish()),
        consts: new_consts,
    });
    let j = Arc::try_unwrap(pruned.jaxpr).unwrap_or_else(|a| (*a).clone());
    (j, pruned.consts)
}

/// [`Rewriter::splat`], but `None` for a variable bound by an operand-less equation (`iota`,
/// `axis_index`): `Rewriter::splat` reads its defining equation's first operand, which
/// panics for those (found by `tests/jit/equals_eager_families.rs`: `iota + x` under `jit`).
pub(super) fn splat(r: &Rewriter, a: &Atom) -> Option<Tensor> {
    if r.def(a).is_some_and(|e| e.inputs.is_empty()) {
        return None;
    }
    r.splat(a)
}

/// The scalar all elements of `t` equal, if they all do (bitwise) and there is one.
fn splat_value(t: &Tensor) -> Option<Tensor> {
    let a = t.array();
    if a.is_empty() {
        return None;
    }
    let first = a.get_f64(0).to_bits();
    let all_equal = crate::dispatch_array!(a, arr, T => {
        let s = arr.as_slice().expect("standard layout");
        s.iter().all(|x| ferrax::tensor::Element::to_f64(*x).to_bits() == first)
    });
    if !all_equal {
        return None;
    }
    let one = crate::dispatch_array!(a, arr, T => {
        ArrayData::from_vec(vec![arr.as_slice().expect("standard layout")[0]], &[])
    });
    Some(Tensor::from_array(one))
}
