//! Windowed reductions: `reduce_window_sum reduce_window_max` (pooling).

use super::{ArrayOutputs, PrimRules};
use crate::core::{Aval, Avals, Shape};
use crate::tensor::ArrayData;

/// Which reduction runs over each window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WindowKind {
    Sum,
    Max,
    Min,
}

/// A windowed reduction with XLA's params (per operand dim).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReduceWindow {
    pub kind: WindowKind,
    pub window_dimensions: Shape,
    pub window_strides: Shape,
    pub padding: Vec<(i64, i64)>,
    pub base_dilation: Shape,
    pub window_dilation: Shape,
}

impl PrimRules for ReduceWindow {
    fn name(&self) -> &'static str {
        match self.kind {
            WindowKind::Sum => "reduce_window_sum",
            WindowKind::Max => "reduce_window_max",
            WindowKind::Min => "reduce_window_min",
        }
    }
    fn abstract_eval(&self, _inputs: &[Aval]) -> Result<Avals, String> {
        Err("not implemented yet".into())
    }
    fn eval(&self, _inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        unreachable!("abstract_eval rejects")
    }
}
