//! `check_jaxpr`: the jaxpr type checker. Every variable is bound once before use, every
//! equation's output types are what its primitive's shape rule computes from its inputs, and
//! the sub-jaxprs of higher-order equations ([`PrimRules::sub_jaxprs`]) check too.

use super::jaxpr::{Atom, Jaxpr, Var};

/// Checks that `jaxpr` and, recursively, the sub-jaxprs of its equations are well formed and
/// well typed; the error names the equation (and the sub-jaxpr, for an error inside one).
///
/// ```
/// use ferrax::prelude::*;
/// let j = make_jaxpr(|x: &Tensor| x.exp() + 1.0)(&Tensor::zeros(&[2], DType::F32));
/// assert!(ferrax::core::check_jaxpr(&j.jaxpr).is_ok());
/// ```
pub fn check_jaxpr(jaxpr: &Jaxpr) -> Result<(), String> {
    let mut defined = vec![false; jaxpr.var_avals.len()];
    let mut define = |v: Var, what: &str| -> Result<(), String> {
        let slot = defined
            .get_mut(v.0 as usize)
            .ok_or_else(|| format!("{what} variable #{} has no type", v.0))?;
        if *slot {
            return Err(format!("{what} variable #{} is bound twice", v.0));
        }
        *slot = true;
        Ok(())
    };
    for &v in jaxpr.constvars.iter().chain(&jaxpr.invars) {
        define(v, "input")?;
    }
    let mut defined_now = defined;
    let check_atom = |a: &Atom, defined: &[bool], at: &str| -> Result<(), String> {
        if let Atom::Var(v) = a {
            if !defined.get(v.0 as usize).copied().unwrap_or(false) {
                return Err(format!("{at}: variable #{} used before it is bound", v.0));
            }
        } else if let Atom::Lit(t) = a
            && (!t.is_concrete() || t.ndim() != 0)
        {
            return Err(format!("{at}: literal must be a concrete scalar"));
        }
        Ok(())
    };
    for (i, e) in jaxpr.eqns.iter().enumerate() {
        let at = format!("equation {i} ({})", e.prim.name());
        for a in &e.inputs {
            check_atom(a, &defined_now, &at)?;
        }
        let in_avals: Vec<_> = e.inputs.iter().map(|a| jaxpr.atom_aval(a)).collect();
        let expected = e
            .prim
            .abstract_eval(&in_avals)
            .map_err(|m| format!("{at}: {m}"))?;
        if expected.len() != e.outputs.len() {
            return Err(format!(
                "{at}: {} outputs bound, rule gives {}",
                e.outputs.len(),
                expected.len()
            ));
        }
        for (v, want) in e.outputs.iter().zip(&expected) {
            let got = jaxpr.aval(*v);
            if got != want {
                return Err(format!("{at}: output typed {got}, rule gives {want}"));
            }
        }
        for (k, sub) in e.prim.sub_jaxprs().into_iter().enumerate() {
            check_jaxpr(sub).map_err(|m| format!("{at}, sub-jaxpr {k}: {m}"))?;
        }
        for v in &e.outputs {
            let slot = &mut defined_now[v.0 as usize];
            if *slot {
                return Err(format!("{at}: variable #{} is bound twice", v.0));
            }
            *slot = true;
        }
    }
    for a in &jaxpr.outvars {
        check_atom(a, &defined_now, "output")?;
    }
    Ok(())
}
