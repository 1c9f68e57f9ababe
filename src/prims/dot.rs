//! `dot_general`: contraction with batch dimensions (XLA's DotGeneral).

use super::{ArrayOutputs, PrimRules};
use crate::core::{Aval, Avals, Shape};
use crate::tensor::{ArrayData, DType};

/// `dot_general[dimension_numbers=((lhs_contracting, rhs_contracting), (lhs_batch,
/// rhs_batch))]`. Output dims: batch, then lhs free, then rhs free (in order).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DotGeneral {
    pub lhs_contracting: Shape,
    pub rhs_contracting: Shape,
    pub lhs_batch: Shape,
    pub rhs_batch: Shape,
    pub preferred_element_type: Option<DType>,
}

impl PrimRules for DotGeneral {
    fn name(&self) -> &'static str {
        "dot_general"
    }
    fn abstract_eval(&self, _inputs: &[Aval]) -> Result<Avals, String> {
        Err("not implemented yet".into())
    }
    fn eval(&self, _inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        unreachable!("abstract_eval rejects")
    }
}
