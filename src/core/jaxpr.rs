//! The jaxpr IR: typed SSA equations `outvars = prim[params] invars`, constvars, literals.
//! `Display` (in `printer.rs`) prints JAX's text format.

use super::aval::Aval;
use super::Prim;
use crate::tensor::Tensor;
use smallvec::SmallVec;
use std::sync::Arc;

/// A variable: an index into its jaxpr's `var_avals` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Var(pub u32);

/// An operand of an equation: a variable or a scalar literal (a concrete 0-d tensor).
#[derive(Clone, Debug)]
pub enum Atom {
    Var(Var),
    Lit(Tensor),
}

/// One equation: `outputs = prim[params] inputs`.
#[derive(Clone, Debug)]
pub struct Eqn {
    pub prim: Prim,
    pub inputs: SmallVec<[Atom; 3]>,
    pub outputs: SmallVec<[Var; 1]>,
    /// The user's line that applied the primitive, when it was staged from user code (JAX's
    /// `source_info`), so errors about the equation (an export's unsupported primitive) can
    /// name it. Recorded by the staging trace only; passes that copy an equation keep it.
    pub source: Option<&'static std::panic::Location<'static>>,
}

/// A jaxpr: a closed-over-nothing, typed program. Constants it needs are its `constvars`;
/// their values travel beside it in a [`ClosedJaxpr`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let j = make_jaxpr(|x: &Tensor| x.sin())(&x);
/// assert_eq!(j.to_string(), "{ lambda ; a:f32[2]. let b:f32[2] = sin a in (b,) }");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Jaxpr {
    /// Type of every variable, indexed by `Var.0`.
    pub var_avals: Vec<Aval>,
    pub constvars: Vec<Var>,
    pub invars: Vec<Var>,
    pub eqns: Vec<Eqn>,
    pub outvars: Vec<Atom>,
}

impl Jaxpr {
    /// Whether any equation has side effects (a `debug_print`, at any depth), so that running
    /// the jaxpr does more than compute its outputs.
    pub fn has_effects(&self) -> bool {
        self.eqns.iter().any(|e| e.prim.has_effects())
    }

    /// The aval of a variable.
    pub fn aval(&self, v: Var) -> &Aval {
        &self.var_avals[v.0 as usize]
    }

    /// The aval of an atom.
    pub fn atom_aval(&self, a: &Atom) -> Aval {
        match a {
            Atom::Var(v) => self.aval(*v).clone(),
            Atom::Lit(t) => t.aval(),
        }
    }

    /// `Ok` if this jaxpr takes exactly the types `operands` gives it; otherwise a message
    /// naming it `what` and listing both (for the shape rules of primitives that run it).
    pub fn expect_inputs(&self, what: &str, operands: &[Aval]) -> Result<(), String> {
        let takes = self.in_avals();
        if takes == operands {
            return Ok(());
        }
        let show = |a: &[Aval]| {
            a.iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(format!(
            "{what} takes ({}), operands give ({})",
            show(&takes),
            show(operands)
        ))
    }

    /// Types of the inputs.
    pub fn in_avals(&self) -> Vec<Aval> {
        self.invars.iter().map(|v| self.aval(*v).clone()).collect()
    }

    /// Types of the outputs.
    pub fn out_avals(&self) -> Vec<Aval> {
        self.outvars.iter().map(|a| self.atom_aval(a)).collect()
    }

    /// Adds a fresh variable of type `aval`.
    pub fn new_var(&mut self, aval: Aval) -> Var {
        self.var_avals.push(aval);
        Var(self.var_avals.len() as u32 - 1)
    }
}

/// A jaxpr with the values of its constvars.
///
/// ```
/// use ferrax::prelude::*;
/// let c = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let j = make_jaxpr(|x: &Tensor| x * &c)(&c);
/// assert_eq!(j.consts.len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct ClosedJaxpr {
    pub jaxpr: Arc<Jaxpr>,
    pub consts: Vec<Tensor>,
}
