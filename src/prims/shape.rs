//! Shape-changing primitives: `broadcast_in_dim reshape transpose squeeze rev pad concatenate
//! slice iota`.

use super::{ArrayOutputs, PrimRules};
use crate::core::{Aval, Avals, Shape};
use crate::tensor::{ArrayData, DType};

/// A shape primitive with its params (JAX's names and meanings).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ShapeOp {
    /// Operand dim `i` becomes output dim `broadcast_dimensions[i]` (size equal or 1).
    BroadcastInDim { shape: Shape, broadcast_dimensions: Shape },
    /// Row-major reshape to `new_sizes`.
    Reshape { new_sizes: Shape },
    /// Output dim `i` is operand dim `permutation[i]`.
    Transpose { permutation: Shape },
    /// Removes the listed size-1 dims.
    Squeeze { dimensions: Shape },
    /// Reverses the listed dims.
    Rev { dimensions: Shape },
    /// `pad(operand, padding_value)`: per dim (low, high, interior); negative low/high crop.
    Pad { padding_config: Vec<(i64, i64, i64)> },
    /// Joins operands along `dimension`.
    Concatenate { dimension: usize },
    /// Static slice; `strides` None means all ones.
    Slice { start_indices: Shape, limit_indices: Shape, strides: Option<Shape> },
    /// `0, 1, 2, ...` along `dimension` of an array of `shape`.
    Iota { dtype: DType, shape: Shape, dimension: usize },
}

impl PrimRules for ShapeOp {
    fn name(&self) -> &'static str {
        match self {
            ShapeOp::BroadcastInDim { .. } => "broadcast_in_dim",
            ShapeOp::Reshape { .. } => "reshape",
            ShapeOp::Transpose { .. } => "transpose",
            ShapeOp::Squeeze { .. } => "squeeze",
            ShapeOp::Rev { .. } => "rev",
            ShapeOp::Pad { .. } => "pad",
            ShapeOp::Concatenate { .. } => "concatenate",
            ShapeOp::Slice { .. } => "slice",
            ShapeOp::Iota { .. } => "iota",
        }
    }
    fn abstract_eval(&self, _inputs: &[Aval]) -> Result<Avals, String> {
        Err("not implemented yet".into())
    }
    fn eval(&self, _inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        unreachable!("abstract_eval rejects")
    }
}
