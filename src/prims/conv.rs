//! `conv_general_dilated`: XLA's general convolution.

use super::{ArrayOutputs, PrimRules};
use crate::core::{Aval, Avals, Shape};
use crate::tensor::{ArrayData, DType};

/// Which dims of lhs/rhs/out are batch/feature/spatial: `lhs_spec = (batch, feature,
/// spatial...)`, `rhs_spec = (out feature, in feature, spatial...)`, `out_spec = (batch,
/// feature, spatial...)` (JAX's ConvDimensionNumbers).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConvDimensionNumbers {
    pub lhs_spec: Shape,
    pub rhs_spec: Shape,
    pub out_spec: Shape,
}

/// The convolution primitive with all of XLA's params.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConvGeneralDilated {
    pub window_strides: Shape,
    pub padding: Vec<(i64, i64)>,
    pub lhs_dilation: Shape,
    pub rhs_dilation: Shape,
    pub dimension_numbers: ConvDimensionNumbers,
    pub feature_group_count: usize,
    pub batch_group_count: usize,
    pub preferred_element_type: Option<DType>,
}

impl PrimRules for ConvGeneralDilated {
    fn name(&self) -> &'static str {
        "conv_general_dilated"
    }
    fn abstract_eval(&self, _inputs: &[Aval]) -> Result<Avals, String> {
        Err("not implemented yet".into())
    }
    fn eval(&self, _inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        unreachable!("abstract_eval rejects")
    }
}
