//! The convolution's params as plain data: what `conv_general_dilated` computes, read by the
//! conv kernels and by the primitive's rules (`prims::conv`), which implement the primitive
//! for [`ConvGeneralDilated`].

use crate::tensor::DType;
use smallvec::SmallVec;

/// Which dims of lhs/rhs/out are batch/feature/spatial: `lhs_spec = (batch, feature,
/// spatial...)`, `rhs_spec = (out feature, in feature, spatial...)`, `out_spec = (batch,
/// feature, spatial...)` (JAX's ConvDimensionNumbers).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConvDimensionNumbers {
    /// lhs dims: batch, feature, then spatial.
    pub lhs_spec: SmallVec<[usize; 4]>,
    /// rhs dims: output feature, input feature, then spatial.
    pub rhs_spec: SmallVec<[usize; 4]>,
    /// Output dims: batch, feature, then spatial.
    pub out_spec: SmallVec<[usize; 4]>,
}

/// The convolution primitive with all of XLA's params.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConvGeneralDilated {
    /// Window step per spatial dim.
    pub window_strides: SmallVec<[usize; 4]>,
    /// `(low, high)` padding per spatial dim, applied after lhs dilation; negative crops.
    pub padding: Vec<(i64, i64)>,
    /// Input dilation per spatial dim (transposed convolution).
    pub lhs_dilation: SmallVec<[usize; 4]>,
    /// Kernel dilation per spatial dim (atrous convolution).
    pub rhs_dilation: SmallVec<[usize; 4]>,
    /// Which dims are batch, feature and spatial.
    pub dimension_numbers: ConvDimensionNumbers,
    /// Number of groups the lhs features (and rhs output features) split into.
    pub feature_group_count: usize,
    /// Number of groups the lhs batch (and rhs output features) split into.
    pub batch_group_count: usize,
    /// Output dtype, if not the operands'.
    pub preferred_element_type: Option<DType>,
}
