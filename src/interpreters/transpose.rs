//! The transpose pass: walks a linear jaxpr backwards, calling each primitive's transpose
//! rule, accumulating cotangents with `add_any` and skipping symbolic zeros. The rules are
//! written with ops, so the pass is itself traceable and differentiable.

use crate::core::{Atom, Jaxpr};
use crate::prims::lax;
use crate::prims::LinearArg;
use crate::tensor::Tensor;

/// Adds `ct` into a cotangent slot (JAX's `add_any`; a `None` slot is a zero).
fn accumulate(slot: &mut Option<Tensor>, ct: Tensor) {
    *slot = Some(match slot.take() {
        None => ct,
        Some(prev) => lax::add_any(&prev, &ct),
    });
}

/// Transposes `jaxpr`, which is linear in its invars given its constvars (`consts`): maps
/// output cotangents (`None` = zero) to input cotangents (`None` = zero).
pub fn backward_pass(
    jaxpr: &Jaxpr,
    consts: &[Tensor],
    cts_out: &[Option<Tensor>],
) -> Vec<Option<Tensor>> {
    assert_eq!(
        cts_out.len(),
        jaxpr.outvars.len(),
        "backward_pass: one cotangent per output"
    );
    let n = jaxpr.var_avals.len();
    let mut known: Vec<Option<Tensor>> = vec![None; n];
    for (v, c) in jaxpr.constvars.iter().zip(consts) {
        known[v.0 as usize] = Some(c.clone());
    }
    let mut ct: Vec<Option<Tensor>> = vec![None; n];
    for (atom, c) in jaxpr.outvars.iter().zip(cts_out) {
        if let (Atom::Var(v), Some(c)) = (atom, c)
            && known[v.0 as usize].is_none()
        {
            accumulate(&mut ct[v.0 as usize], c.clone());
        }
    }
    for eqn in jaxpr.eqns.iter().rev() {
        let cts: Vec<Option<Tensor>> = eqn
            .outputs
            .iter()
            .map(|v| ct[v.0 as usize].take())
            .collect();
        if cts.iter().all(Option::is_none) {
            continue;
        }
        let args: Vec<LinearArg> = eqn
            .inputs
            .iter()
            .map(|a| match a {
                Atom::Lit(t) => LinearArg::Known(t.clone()),
                Atom::Var(v) => match &known[v.0 as usize] {
                    Some(t) => LinearArg::Known(t.clone()),
                    None => LinearArg::Linear(jaxpr.aval(*v).clone()),
                },
            })
            .collect();
        let in_cts = eqn.prim.transpose(&cts, &args);
        for ((atom, arg), c) in eqn.inputs.iter().zip(&args).zip(in_cts) {
            if let (Atom::Var(v), LinearArg::Linear(aval), Some(c)) = (atom, arg, c) {
                debug_assert!(
                    c.shape() == aval.shape.as_slice() && c.dtype() == aval.dtype,
                    "{}: transpose rule gave a cotangent of type {} for an input of type {}",
                    eqn.prim.name(),
                    c.aval(),
                    aval
                );
                accumulate(&mut ct[v.0 as usize], c);
            }
        }
    }
    jaxpr
        .invars
        .iter()
        .map(|v| ct[v.0 as usize].take())
        .collect()
}
