//! Inlining of call equations for evaluation: a `custom_jvp_call`, `custom_vjp_call`,
//! `checkpoint` or nested `jit` evaluates exactly like its body, so the program `jit` runs
//! splices the bodies in, where fusion and the other passes can see through them (relu, a
//! `custom_jvp` of `max(x, 0)`, then fuses with the bias add before it).

use super::Rewriter;
use crate::core::{Atom, Aval, Jaxpr};
use crate::prims::Prim;
use smallvec::SmallVec;

/// `j` with every evaluation-transparent call equation replaced by its body (recursively).
/// Only for jaxprs that will be evaluated: the custom derivative rules are gone.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[3], DType::F32);
/// let j = make_jaxpr(|x: &Tensor| ferrax::nn::relu(x) * 2.0)(&x);
/// assert!(j.to_string().contains("custom_jvp_call"));
/// let flat = ferrax::internals::passes::inline_calls(&j.jaxpr);
/// assert!(!flat.to_string().contains("custom_jvp_call"), "{flat}");
/// assert!(ferrax::core::check_jaxpr(&flat).is_ok());
/// ```
pub fn inline_calls(j: &Jaxpr) -> Jaxpr {
    let mut r = Rewriter::new(j);
    for (i, e) in j.eqns.iter().enumerate() {
        let inputs: SmallVec<[Atom; 3]> = e.inputs.iter().map(|a| r.get(a)).collect();
        match inlinable(&e.prim) {
            Some(body) => {
                let outs = splice(&mut r, body, &inputs, e.source);
                for (v, a) in e.outputs.iter().zip(outs) {
                    r.set(*v, a);
                }
            }
            None => r.copy_eqn(i, inputs),
        }
    }
    r.finish()
}

/// The user's line an equation was applied at (`Eqn::source`).
type Source = Option<&'static std::panic::Location<'static>>;

/// The body of a call that evaluates exactly like it.
fn inlinable(prim: &Prim) -> Option<&Jaxpr> {
    prim.inlinable_body().map(|j| &**j)
}

/// Emits `body` (closed: captured values are its leading invars) applied to `inputs` (atoms
/// of the new jaxpr) and returns its outputs as new atoms. Its equations keep their user's
/// line, or take the call's (`source`) when they have none.
fn splice(r: &mut Rewriter, body: &Jaxpr, inputs: &[Atom], source: Source) -> Vec<Atom> {
    let mut env: Vec<Option<Atom>> = vec![None; body.var_avals.len()];
    for (v, a) in body.invars.iter().zip(inputs) {
        env[v.0 as usize] = Some(a.clone());
    }
    let read = |env: &[Option<Atom>], a: &Atom| match a {
        Atom::Var(v) => env[v.0 as usize].clone().expect("body is in order"),
        Atom::Lit(_) => a.clone(),
    };
    for e in &body.eqns {
        let ins: SmallVec<[Atom; 3]> = e.inputs.iter().map(|a| read(&env, a)).collect();
        let outs: Vec<Atom> = match inlinable(&e.prim) {
            Some(inner) => splice(r, inner, &ins, e.source.or(source)),
            None => {
                let avals: Vec<Aval> = e.outputs.iter().map(|v| body.aval(*v).clone()).collect();
                r.emit_at(e.prim.clone(), ins, &avals, e.source.or(source))
                    .into_iter()
                    .map(Atom::Var)
                    .collect()
            }
        };
        for (v, a) in e.outputs.iter().zip(outs) {
            env[v.0 as usize] = Some(a);
        }
    }
    body.outvars.iter().map(|a| read(&env, a)).collect()
}
