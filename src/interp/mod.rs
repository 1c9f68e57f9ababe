//! Jaxpr evaluation. [`Program`] is the compiled form `jit` runs (liveness, buffer reuse,
//! fused elementwise groups, two cores for large independent work); `eval_jaxpr` binds every equation through the current trace, so running
//! a jaxpr under any transformation inlines it (and with no trace it evaluates eagerly).

pub mod fused;
mod inplace;
mod program;
mod scalar;

pub use program::{in_pool_if, Program};
pub use scalar::{Regs, Scalar, ScalarCode};

use crate::core::{bind, Atom, ClosedJaxpr, Jaxpr};
use crate::tensor::Tensor;

/// Evaluates `jaxpr` on `consts` and `args` (flattened, in order), returning its outputs.
/// Panics if the argument count or types do not match the jaxpr's inputs.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let j = make_jaxpr(|x: &Tensor| x * 3.0)(&x);
/// let y = ferrax::internals::interp::eval_jaxpr(&j.jaxpr, &j.consts, &[x]);
/// assert_eq!(y[0].to_vec::<f32>(), vec![3.0, 6.0]);
/// ```
#[track_caller]
pub fn eval_jaxpr(jaxpr: &Jaxpr, consts: &[Tensor], args: &[Tensor]) -> Vec<Tensor> {
    assert!(
        consts.len() == jaxpr.constvars.len() && args.len() == jaxpr.invars.len(),
        "eval_jaxpr: jaxpr takes {} consts and {} args, got {} and {}",
        jaxpr.constvars.len(),
        jaxpr.invars.len(),
        consts.len(),
        args.len()
    );
    let mut env: Vec<Option<Tensor>> = vec![None; jaxpr.var_avals.len()];
    for (v, t) in jaxpr
        .constvars
        .iter()
        .chain(&jaxpr.invars)
        .zip(consts.iter().chain(args))
    {
        let want = jaxpr.aval(*v);
        assert!(
            t.shape() == want.shape.as_slice() && t.dtype() == want.dtype,
            "eval_jaxpr: argument of type {} where the jaxpr expects {}",
            t.aval(),
            want
        );
        env[v.0 as usize] = Some(t.clone());
    }
    let read = |env: &[Option<Tensor>], a: &Atom| -> Tensor {
        match a {
            Atom::Var(v) => env[v.0 as usize]
                .clone()
                .expect("checked jaxpr binds before use"),
            Atom::Lit(t) => t.clone(),
        }
    };
    for e in &jaxpr.eqns {
        let inputs: Vec<Tensor> = e.inputs.iter().map(|a| read(&env, a)).collect();
        let outs = bind(&e.prim, &inputs);
        for (v, t) in e.outputs.iter().zip(outs) {
            env[v.0 as usize] = Some(t);
        }
    }
    jaxpr.outvars.iter().map(|a| read(&env, a)).collect()
}

/// Evaluates a closed jaxpr on `args`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32], &[1]);
/// let j = make_jaxpr(|x: &Tensor| x.cos())(&x);
/// assert_eq!(ferrax::internals::interp::eval_closed(&j, &[x])[0].to_vec::<f32>(), vec![1.0]);
/// ```
#[track_caller]
pub fn eval_closed(j: &ClosedJaxpr, args: &[Tensor]) -> Vec<Tensor> {
    eval_jaxpr(&j.jaxpr, &j.consts, args)
}
