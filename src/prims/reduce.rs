//! Reductions over axes: `reduce_sum reduce_max reduce_min reduce_prod argmax argmin`.

use super::{ArrayOutputs, PrimRules};
use crate::core::{Aval, Avals, Shape};
use crate::tensor::{ArrayData, DType};

/// A reduction primitive. `axes` are sorted, distinct operand axes that disappear.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    Sum { axes: Shape },
    Max { axes: Shape },
    Min { axes: Shape },
    Prod { axes: Shape },
    /// Index of the first maximum along `axes[0]` (NaN counts as the maximum, as in JAX).
    Argmax { axes: Shape, index_dtype: DType },
    /// Index of the first minimum along `axes[0]`.
    Argmin { axes: Shape, index_dtype: DType },
}

impl PrimRules for ReduceOp {
    fn name(&self) -> &'static str {
        match self {
            ReduceOp::Sum { .. } => "reduce_sum",
            ReduceOp::Max { .. } => "reduce_max",
            ReduceOp::Min { .. } => "reduce_min",
            ReduceOp::Prod { .. } => "reduce_prod",
            ReduceOp::Argmax { .. } => "argmax",
            ReduceOp::Argmin { .. } => "argmin",
        }
    }
    fn abstract_eval(&self, _inputs: &[Aval]) -> Result<Avals, String> {
        Err("not implemented yet".into())
    }
    fn eval(&self, _inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        unreachable!("abstract_eval rejects")
    }
}
