//! Indexing primitives: `dynamic_slice dynamic_update_slice gather scatter_add`.

use super::{ArrayOutputs, PrimRules};
use crate::core::{Aval, Avals, Shape};
use crate::tensor::ArrayData;

/// How out-of-bounds indices are handled (lax.GatherScatterMode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GatherScatterMode {
    /// Indices are clamped so the whole slice is in bounds.
    Clip,
    /// Out-of-bounds gathers return the fill value; out-of-bounds scatter updates are dropped.
    FillOrDrop,
    /// The caller promises indices are in bounds (ferrax clamps, like Clip).
    PromiseInBounds,
}

/// XLA's gather dimension numbers (see `lax.GatherDimensionNumbers`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct GatherDimensionNumbers {
    pub offset_dims: Shape,
    pub collapsed_slice_dims: Shape,
    pub start_index_map: Shape,
    pub operand_batching_dims: Shape,
    pub start_indices_batching_dims: Shape,
}

/// XLA's scatter dimension numbers (see `lax.ScatterDimensionNumbers`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ScatterDimensionNumbers {
    pub update_window_dims: Shape,
    pub inserted_window_dims: Shape,
    pub scatter_dims_to_operand_dims: Shape,
    pub operand_batching_dims: Shape,
    pub scatter_indices_batching_dims: Shape,
}

/// An indexing primitive.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IndexOp {
    /// `dynamic_slice(operand, *start_indices)`; starts are i32 scalars, clamped into range.
    DynamicSlice { slice_sizes: Shape },
    /// `dynamic_update_slice(operand, update, *start_indices)`; starts clamped.
    DynamicUpdateSlice,
    /// `gather(operand, start_indices)` (the last dim of `start_indices` is the index vector).
    Gather { dimension_numbers: GatherDimensionNumbers, slice_sizes: Shape, mode: GatherScatterMode },
    /// `scatter_add(operand, scatter_indices, updates)`.
    ScatterAdd { dimension_numbers: ScatterDimensionNumbers, mode: GatherScatterMode },
}

impl PrimRules for IndexOp {
    fn name(&self) -> &'static str {
        match self {
            IndexOp::DynamicSlice { .. } => "dynamic_slice",
            IndexOp::DynamicUpdateSlice => "dynamic_update_slice",
            IndexOp::Gather { .. } => "gather",
            IndexOp::ScatterAdd { .. } => "scatter_add",
        }
    }
    fn abstract_eval(&self, _inputs: &[Aval]) -> Result<Avals, String> {
        Err("not implemented yet".into())
    }
    fn eval(&self, _inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        unreachable!("abstract_eval rejects")
    }
}
