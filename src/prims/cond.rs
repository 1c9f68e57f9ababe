//! `cond` (and `switch`): run one of several branches, chosen by an integer index.

use super::{ArrayOutputs, PrimRules};
use crate::core::{Aval, Avals};
use crate::prims::call::SubJaxpr;
use crate::tensor::ArrayData;

/// `cond[branches=(...)] index *operands`: every branch is a closed jaxpr taking all the
/// operands (captured values of every branch first, then the user's operands).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CondOp {
    pub branches: Vec<SubJaxpr>,
}

impl PrimRules for CondOp {
    fn name(&self) -> &'static str {
        "cond"
    }
    fn abstract_eval(&self, _inputs: &[Aval]) -> Result<Avals, String> {
        Err("not implemented yet".into())
    }
    fn eval(&self, _inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        unreachable!("cond evaluates through eval_eager")
    }
}
