//! Structured loops: `scan` and `while`, whose bodies are closed sub-jaxprs traced once.

use super::{ArrayOutputs, PrimRules};
use crate::core::{Aval, Avals};
use crate::prims::call::SubJaxpr;
use crate::tensor::ArrayData;

/// A loop primitive.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LoopOp {
    /// `scan[jaxpr length num_carry num_consts reverse unroll] *consts *init *xs`: the body maps
    /// `(consts, carry, x) -> (carry, y)`; ys are stacked along a new leading axis.
    Scan { jaxpr: SubJaxpr, length: usize, num_consts: usize, num_carry: usize, reverse: bool, unroll: usize },
    /// `while[cond_jaxpr body_jaxpr cond_nconsts body_nconsts] *cond_consts *body_consts *init`.
    While { cond_jaxpr: SubJaxpr, body_jaxpr: SubJaxpr, cond_nconsts: usize, body_nconsts: usize },
}

impl PrimRules for LoopOp {
    fn name(&self) -> &'static str {
        match self {
            LoopOp::Scan { .. } => "scan",
            LoopOp::While { .. } => "while",
        }
    }
    fn abstract_eval(&self, _inputs: &[Aval]) -> Result<Avals, String> {
        Err("not implemented yet".into())
    }
    fn eval(&self, _inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        unreachable!("loops evaluate through eval_eager")
    }
}
