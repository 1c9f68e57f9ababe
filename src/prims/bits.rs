//! Bit-level primitives: shifts, `bitcast_convert_type`, and `threefry2x32` (the counter-based
//! hash behind `ferrax::random`).

use super::{ArrayOutputs, PrimRules};
use crate::core::{Aval, Avals};
use crate::tensor::ArrayData;

/// A bit-level primitive.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BitsOp {
    /// Placeholder until the random issue fills this family in.
    Threefry2x32,
}

impl PrimRules for BitsOp {
    fn name(&self) -> &'static str {
        "threefry2x32"
    }
    fn abstract_eval(&self, _inputs: &[Aval]) -> Result<Avals, String> {
        Err("not implemented yet".into())
    }
    fn eval(&self, _inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        unreachable!("abstract_eval rejects")
    }
}
