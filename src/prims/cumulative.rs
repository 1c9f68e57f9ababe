//! Cumulative reductions along one axis: `cumsum cumprod cummax cummin`.

use super::{ArrayOutputs, PrimRules};
use crate::core::{Aval, Avals};
use crate::tensor::ArrayData;

/// Which running reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CumulativeKind {
    Sum,
    Prod,
    Max,
    Min,
}

/// A cumulative reduction along `axis`, from the end when `reverse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CumulativeOp {
    pub kind: CumulativeKind,
    pub axis: usize,
    pub reverse: bool,
}

impl PrimRules for CumulativeOp {
    fn name(&self) -> &'static str {
        match self.kind {
            CumulativeKind::Sum => "cumsum",
            CumulativeKind::Prod => "cumprod",
            CumulativeKind::Max => "cummax",
            CumulativeKind::Min => "cummin",
        }
    }
    fn abstract_eval(&self, _inputs: &[Aval]) -> Result<Avals, String> {
        Err("not implemented yet".into())
    }
    fn eval(&self, _inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        unreachable!("abstract_eval rejects")
    }
}
