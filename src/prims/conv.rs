//! `conv_general_dilated`: XLA's general convolution.

use super::util::{check_axes, expect_arity, py_tuple, text};
use super::{ArrayOutputs, Param, PrimRules};
use crate::core::{Aval, Avals, Shape};
use crate::kernels::conv;
use crate::tensor::{ArrayData, DType};
use smallvec::smallvec;
use std::borrow::Cow;

/// Which dims of lhs/rhs/out are batch/feature/spatial: `lhs_spec = (batch, feature,
/// spatial...)`, `rhs_spec = (out feature, in feature, spatial...)`, `out_spec = (batch,
/// feature, spatial...)` (JAX's ConvDimensionNumbers).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConvDimensionNumbers {
    /// lhs dims: batch, feature, then spatial.
    pub lhs_spec: Shape,
    /// rhs dims: output feature, input feature, then spatial.
    pub rhs_spec: Shape,
    /// Output dims: batch, feature, then spatial.
    pub out_spec: Shape,
}

/// The convolution primitive with all of XLA's params.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConvGeneralDilated {
    /// Window step per spatial dim.
    pub window_strides: Shape,
    /// `(low, high)` padding per spatial dim, applied after lhs dilation; negative crops.
    pub padding: Vec<(i64, i64)>,
    /// Input dilation per spatial dim (transposed convolution).
    pub lhs_dilation: Shape,
    /// Kernel dilation per spatial dim (atrous convolution).
    pub rhs_dilation: Shape,
    /// Which dims are batch, feature and spatial.
    pub dimension_numbers: ConvDimensionNumbers,
    /// Number of groups the lhs features (and rhs output features) split into.
    pub feature_group_count: usize,
    /// Number of groups the lhs batch (and rhs output features) split into.
    pub batch_group_count: usize,
    /// Output dtype, if not the operands'.
    pub preferred_element_type: Option<DType>,
}

/// `d` after inserting `dilation - 1` holes between elements.
fn dilate(d: usize, dilation: usize) -> usize {
    if d == 0 {
        0
    } else {
        (d - 1) * dilation + 1
    }
}

/// Output size of a strided window over `padded` elements: `max(0, floor((padded - window) /
/// stride) + 1)`.
pub(crate) fn stride_dim(padded: i64, window: usize, stride: usize) -> usize {
    ((padded - window as i64).div_euclid(stride as i64) + 1).max(0) as usize
}

impl ConvGeneralDilated {
    /// The output aval, or what is wrong with the operands and params.
    fn shape_rule(&self, lhs: &Aval, rhs: &Aval) -> Result<Aval, String> {
        if lhs.dtype != rhs.dtype {
            return Err(format!(
                "lhs and rhs must have the same dtype, got {} and {}",
                lhs.dtype, rhs.dtype
            ));
        }
        if lhs.dtype == DType::Bool {
            return Err("operands must be numeric, got bool".into());
        }
        if self.preferred_element_type == Some(DType::Bool) {
            return Err("preferred_element_type must be numeric, got bool".into());
        }
        let nd = lhs.ndim();
        if rhs.ndim() != nd {
            return Err(format!(
                "lhs and rhs must have the same number of dimensions, got {lhs} and {rhs}"
            ));
        }
        if nd < 2 {
            return Err(format!(
                "operands need a batch and a feature dimension, got rank {nd}"
            ));
        }
        let dn = &self.dimension_numbers;
        for (name, spec) in [
            ("lhs_spec", &dn.lhs_spec),
            ("rhs_spec", &dn.rhs_spec),
            ("out_spec", &dn.out_spec),
        ] {
            if spec.len() != nd {
                return Err(format!(
                    "{name} {:?} must have one entry per dimension (rank {nd})",
                    spec.as_slice()
                ));
            }
            check_axes(spec, nd, &format!("{name} dimension"))?;
        }
        let nsp = nd - 2;
        for (name, len) in [
            ("window_strides", self.window_strides.len()),
            ("padding", self.padding.len()),
            ("lhs_dilation", self.lhs_dilation.len()),
            ("rhs_dilation", self.rhs_dilation.len()),
        ] {
            if len != nsp {
                return Err(format!(
                    "{name} has {len} entries but there are {nsp} spatial dimensions"
                ));
            }
        }
        for (name, v) in [
            ("window_strides", &self.window_strides),
            ("lhs_dilation", &self.lhs_dilation),
            ("rhs_dilation", &self.rhs_dilation),
        ] {
            if v.contains(&0) {
                return Err(format!("{name} must be positive, got {:?}", v.as_slice()));
            }
        }
        let (fg, bg) = (self.feature_group_count, self.batch_group_count);
        if fg == 0 {
            return Err("feature_group_count must be a positive integer, got 0".into());
        }
        if bg == 0 {
            return Err("batch_group_count must be a positive integer, got 0".into());
        }
        if fg > 1 && bg > 1 {
            return Err(format!(
                "at most one of batch_group_count and feature_group_count may be > 1, got batch_group_count={bg} \
                 and feature_group_count={fg}"
            ));
        }
        let lhs_batch = lhs.shape[dn.lhs_spec[0]];
        let lhs_features = lhs.shape[dn.lhs_spec[1]];
        let rhs_out = rhs.shape[dn.rhs_spec[0]];
        let rhs_in = rhs.shape[dn.rhs_spec[1]];
        if lhs_features % fg != 0 {
            return Err(format!(
                "feature_group_count must divide the lhs feature dimension size, but {fg} does not divide \
                 {lhs_features} (lhs dimension {})",
                dn.lhs_spec[1]
            ));
        }
        if lhs_features / fg != rhs_in {
            return Err(format!(
                "lhs feature dimension size divided by feature_group_count must equal the rhs input feature \
                 dimension size, but {lhs_features} // {fg} != {rhs_in} (lhs dimension {}, rhs dimension {})",
                dn.lhs_spec[1], dn.rhs_spec[1]
            ));
        }
        if rhs_out % fg != 0 {
            return Err(format!(
                "rhs output feature dimension size must be a multiple of feature_group_count, but {rhs_out} is \
                 not a multiple of {fg} (rhs dimension {})",
                dn.rhs_spec[0]
            ));
        }
        if lhs_batch % bg != 0 {
            return Err(format!(
                "batch_group_count must divide the lhs batch dimension size, but {bg} does not divide \
                 {lhs_batch} (lhs dimension {})",
                dn.lhs_spec[0]
            ));
        }
        if rhs_out % bg != 0 {
            return Err(format!(
                "rhs output feature dimension size must be a multiple of batch_group_count, but {rhs_out} is \
                 not a multiple of {bg} (rhs dimension {})",
                dn.rhs_spec[0]
            ));
        }
        let mut out_canon = vec![lhs_batch / bg, rhs_out];
        for d in 0..nsp {
            let (ld, rd) = (dn.lhs_spec[2 + d], dn.rhs_spec[2 + d]);
            let (lo, hi) = self.padding[d];
            let padded = dilate(lhs.shape[ld], self.lhs_dilation[d]) as i64 + lo + hi;
            if padded < 0 {
                return Err(format!(
                    "negative padding ({lo}, {hi}) is larger than lhs spatial dimension {ld} of size {} (dilated \
                     by {})",
                    lhs.shape[ld], self.lhs_dilation[d]
                ));
            }
            let window = dilate(rhs.shape[rd], self.rhs_dilation[d]);
            out_canon.push(stride_dim(padded, window, self.window_strides[d]));
        }
        let mut shape: Shape = smallvec![0; nd];
        for (i, &d) in dn.out_spec.iter().enumerate() {
            shape[d] = out_canon[i];
        }
        Ok(Aval {
            shape,
            dtype: self.preferred_element_type.unwrap_or(lhs.dtype),
        })
    }
}

impl PrimRules for ConvGeneralDilated {
    fn name(&self) -> &'static str {
        "conv_general_dilated"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        let dn = &self.dimension_numbers;
        let dn_text = format!(
            "ConvDimensionNumbers(lhs_spec={}, rhs_spec={}, out_spec={})",
            py_tuple(&dn.lhs_spec),
            py_tuple(&dn.rhs_spec),
            py_tuple(&dn.out_spec)
        );
        let padding: Vec<String> = self
            .padding
            .iter()
            .map(|(lo, hi)| format!("({lo}, {hi})"))
            .collect();
        vec![
            (
                "batch_group_count",
                text(self.batch_group_count.to_string()),
            ),
            ("dimension_numbers", text(dn_text)),
            (
                "feature_group_count",
                text(self.feature_group_count.to_string()),
            ),
            ("lhs_dilation", text(py_tuple(&self.lhs_dilation))),
            ("padding", text(py_tuple(&padding))),
            ("precision", text("None")),
            (
                "preferred_element_type",
                text(
                    self.preferred_element_type
                        .map_or("None", |d| d.numpy_name()),
                ),
            ),
            ("rhs_dilation", text(py_tuple(&self.rhs_dilation))),
            ("window_strides", text(py_tuple(&self.window_strides))),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 2)?;
        Ok(smallvec![self.shape_rule(&inputs[0], &inputs[1])?])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        // With a preferred element type the convolution runs in the output dtype.
        let dtype = out[0].dtype;
        let (lhs, rhs) = (as_dtype(inputs[0], dtype), as_dtype(inputs[1], dtype));
        let shape = &out[0].shape;
        let result = match (&*lhs, &*rhs) {
            (ArrayData::F32(a), ArrayData::F32(b)) => {
                ArrayData::F32(conv::conv_general_dilated(a, b, self, shape))
            }
            (ArrayData::F64(a), ArrayData::F64(b)) => {
                ArrayData::F64(conv::conv_general_dilated(a, b, self, shape))
            }
            (ArrayData::I32(a), ArrayData::I32(b)) => {
                ArrayData::I32(conv::conv_general_dilated(a, b, self, shape))
            }
            (ArrayData::U32(a), ArrayData::U32(b)) => {
                ArrayData::U32(conv::conv_general_dilated(a, b, self, shape))
            }
            _ => unreachable!("abstract_eval checked the dtypes"),
        };
        smallvec![result]
    }
}

/// `x` in `dtype`, converted only if needed.
pub(crate) fn as_dtype(x: &ArrayData, dtype: DType) -> Cow<'_, ArrayData> {
    if x.dtype() == dtype {
        Cow::Borrowed(x)
    } else {
        Cow::Owned(x.convert(dtype))
    }
}
