//! `conv_general_dilated`: XLA's general convolution.
//!
//! Derivatives follow JAX (`jax/_src/lax/convolution.py`): the primitive is bilinear, so its
//! JVP is `conv(t_lhs, rhs) + conv(lhs, t_rhs)` (summed with `add_any`). The transpose in the
//! lhs is a convolution of the cotangent with the spatially flipped kernel, with the forward
//! strides as lhs dilation (a "transposed convolution"); the transpose in the rhs is a
//! convolution of the lhs with the cotangent, batch and feature dims swapped. Feature and
//! batch groups trade places between the two (`_conv_general_dilated_transpose_lhs/rhs`).

use super::util::{check_axes, check_numeric_pair, expect_two, py_pairs, py_tuple, sh, text};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind1, Aval, Avals, Outputs, Shape};
use crate::kernels::conv;
use crate::prims::lax;
use crate::tensor::{ArrayData, DType, Tensor};
use smallvec::smallvec;
use std::borrow::Cow;

pub use crate::ops::conv::{ConvDimensionNumbers, ConvGeneralDilated};

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
        check_numeric_pair(
            "lhs and rhs",
            lhs.dtype,
            rhs.dtype,
            self.preferred_element_type,
        )?;
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
        check_window_params(
            &[
                (
                    "window_strides",
                    self.window_strides.len(),
                    Some(&self.window_strides[..]),
                ),
                ("padding", self.padding.len(), None),
                (
                    "lhs_dilation",
                    self.lhs_dilation.len(),
                    Some(&self.lhs_dilation[..]),
                ),
                (
                    "rhs_dilation",
                    self.rhs_dilation.len(),
                    Some(&self.rhs_dilation[..]),
                ),
            ],
            nsp,
            || format!("there are {nsp} spatial dimensions"),
        )?;
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
        if !lhs_features.is_multiple_of(fg) {
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
        if !rhs_out.is_multiple_of(fg) {
            return Err(format!(
                "rhs output feature dimension size must be a multiple of feature_group_count, but {rhs_out} is \
                 not a multiple of {fg} (rhs dimension {})",
                dn.rhs_spec[0]
            ));
        }
        if !lhs_batch.is_multiple_of(bg) {
            return Err(format!(
                "batch_group_count must divide the lhs batch dimension size, but {bg} does not divide \
                 {lhs_batch} (lhs dimension {})",
                dn.lhs_spec[0]
            ));
        }
        if !rhs_out.is_multiple_of(bg) {
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

// ---- lax functions (`ferrax::lax`, re-exported through `prims::lax`) ----

/// Parameters of [`conv_general_dilated`] besides its operands.
#[derive(Clone, Debug)]
pub struct ConvParams {
    pub window_strides: Vec<usize>,
    /// `(low, high)` per spatial dim.
    pub padding: Vec<(i64, i64)>,
    pub lhs_dilation: Vec<usize>,
    pub rhs_dilation: Vec<usize>,
    pub dimension_numbers: ConvDimensionNumbers,
    pub feature_group_count: usize,
    pub batch_group_count: usize,
}

/// XLA's general dilated convolution.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::{conv_general_dilated, ConvParams, ConvDimensionNumbers};
/// use ferrax::core::Shape;
/// // NHWC input, HWIO kernel: a 1x1 kernel scales the single channel by 2.
/// let x = Tensor::ones(&[1, 2, 2, 1], DType::F32);
/// let w = Tensor::full(&[1, 1, 1, 1], 2.0, DType::F32);
/// let p = ConvParams {
///     window_strides: vec![1, 1], padding: vec![(0, 0), (0, 0)],
///     lhs_dilation: vec![1, 1], rhs_dilation: vec![1, 1],
///     dimension_numbers: ConvDimensionNumbers { lhs_spec: Shape::from_slice(&[0, 3, 1, 2]), rhs_spec: Shape::from_slice(&[3, 2, 0, 1]), out_spec: Shape::from_slice(&[0, 3, 1, 2]) },
///     feature_group_count: 1, batch_group_count: 1,
/// };
/// assert_eq!(conv_general_dilated(&x, &w, &p).to_vec::<f32>(), vec![2.0; 4]);
/// ```
#[track_caller]
pub fn conv_general_dilated(lhs: &Tensor, rhs: &Tensor, params: &ConvParams) -> Tensor {
    let prim = Prim::new(ConvGeneralDilated {
        window_strides: sh(&params.window_strides),
        padding: params.padding.clone(),
        lhs_dilation: sh(&params.lhs_dilation),
        rhs_dilation: sh(&params.rhs_dilation),
        dimension_numbers: params.dimension_numbers.clone(),
        feature_group_count: params.feature_group_count,
        batch_group_count: params.batch_group_count,
        preferred_element_type: None,
    });
    bind1(&prim, &[lhs.clone(), rhs.clone()])
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
            ("padding", text(py_pairs(&self.padding))),
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
        let (lhs, rhs) = expect_two(inputs)?;
        Ok(smallvec![self.shape_rule(lhs, rhs)?])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let shape = &out[0].shape;
        let (lhs, rhs) = operands_in_out_dtype(inputs, out);
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

    /// Bilinear: `conv(t_lhs, rhs) + conv(lhs, t_rhs)`, summed with `add_any`.
    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        super::util::bilinear_jvp(&Prim::new(self.clone()), primals, tangents)
    }

    /// JAX's `_conv_general_dilated_batch_rule`: one convolution, the vmapped dim folded
    /// into existing dims and split out of the output again. lhs only: into the lhs batch
    /// dim (out batch dim); rhs only: into the rhs output features (out feature dim); both:
    /// into the lhs features and rhs output features as feature groups (per-example
    /// kernels), or into the batch groups when the convolution already has some.
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _axis: &BatchAxis) -> BatchResult {
        let (out, d) = self.batch_rule(&args[0], &args[1], dims[0], dims[1]);
        (Outputs::from_iter([out]), vec![Some(d)])
    }

    /// Linear in each operand separately.
    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        super::util::bilinear_transpose(
            "conv_general_dilated",
            cts,
            args,
            |g, lhs_aval, rhs| Some(self.transpose_lhs(g, lhs_aval, rhs)),
            |g, lhs, rhs_aval| self.transpose_rhs(g, lhs, rhs_aval),
        )
    }
}

impl ConvGeneralDilated {
    /// This convolution with other group counts.
    fn with_groups(&self, feature_group_count: usize, batch_group_count: usize) -> Prim {
        Prim::new(ConvGeneralDilated {
            feature_group_count,
            batch_group_count,
            ..self.clone()
        })
    }

    /// The batched convolution of `lhs`/`rhs` batched at `lbd`/`rbd` (at least one), and
    /// where the output's batch dim is.
    fn batch_rule(
        &self,
        lhs: &Tensor,
        rhs: &Tensor,
        lbd: Option<usize>,
        rbd: Option<usize>,
    ) -> (Tensor, usize) {
        let (fg, bg) = (self.feature_group_count, self.batch_group_count);
        assert!(fg == 1 || bg == 1);
        let dn = &self.dimension_numbers;
        let (lhs_spec, rhs_spec, out_spec) = (&dn.lhs_spec, &dn.rhs_spec, &dn.out_spec);
        let size = match (lbd, rbd) {
            (Some(l), _) => lhs.shape()[l],
            (None, Some(r)) => rhs.shape()[r],
            (None, None) => unreachable!("batching rule called with no batched operand"),
        };
        if size == 0 {
            // Folding a size-0 dim into another loses that dim's size: build the (empty)
            // result from the unbatched shape rule instead.
            let unbatched = |x: &Tensor, d: Option<usize>| {
                let mut a = x.aval();
                if let Some(d) = d {
                    a.shape.remove(d);
                }
                a
            };
            let mut aval = self
                .shape_rule(&unbatched(lhs, lbd), &unbatched(rhs, rbd))
                .unwrap_or_else(|e| panic!("conv_general_dilated: {e}"));
            aval.shape.insert(0, 0);
            return (super::util::zeros(&aval), 0);
        }
        match (lbd, rbd) {
            (Some(l), Some(r)) => {
                let (new_lhs, fg, bg) = if bg > 1 {
                    (reshape_axis_into(l, lhs_spec[0], lhs), fg, bg * size)
                } else {
                    (reshape_axis_into(l, lhs_spec[1], lhs), fg * size, bg)
                };
                let new_rhs = reshape_axis_into(r, rhs_spec[0], rhs);
                let out = bind1(&self.with_groups(fg, bg), &[new_lhs, new_rhs]);
                (reshape_axis_out_of(out_spec[1], size, &out), out_spec[1])
            }
            (Some(l), None) => {
                let new_lhs = if bg == 1 {
                    reshape_axis_into(l, lhs_spec[0], lhs)
                } else {
                    // Batch groups must stay outermost in the lhs batch dim: split them
                    // out, fold the vmapped dim into the rest, merge the groups back.
                    let b0 = lhs_spec[0];
                    let x = reshape_axis_out_of(b0 + (l <= b0) as usize, bg, lhs);
                    let x = reshape_axis_into(l + (b0 < l) as usize, b0 + 1, &x);
                    reshape_axis_into(b0, b0, &x)
                };
                let out = bind1(&Prim::new(self.clone()), &[new_lhs, rhs.clone()]);
                (reshape_axis_out_of(out_spec[0], size, &out), out_spec[0])
            }
            (None, Some(r)) => {
                if fg == 1 && bg == 1 {
                    let new_rhs = reshape_axis_into(r, rhs_spec[0], rhs);
                    let out = bind1(&Prim::new(self.clone()), &[lhs.clone(), new_rhs]);
                    (reshape_axis_out_of(out_spec[1], size, &out), out_spec[1])
                } else {
                    // Groups must stay outermost in the rhs output features: split them out,
                    // fold the vmapped dim into the rest, merge the groups back; undo the
                    // same on the output features.
                    let groups = fg.max(bg);
                    let o0 = rhs_spec[0];
                    let x = reshape_axis_out_of(o0 + (r <= o0) as usize, groups, rhs);
                    let x = reshape_axis_into(r + (o0 < r) as usize, o0 + 1, &x);
                    let new_rhs = reshape_axis_into(o0, o0, &x);
                    let out = bind1(&Prim::new(self.clone()), &[lhs.clone(), new_rhs]);
                    let out = reshape_axis_out_of(out_spec[1], groups, &out);
                    let out = reshape_axis_out_of(out_spec[1] + 1, size, &out);
                    (
                        reshape_axis_into(out_spec[1], out_spec[1] + 1, &out),
                        out_spec[1],
                    )
                }
            }
            (None, None) => unreachable!("batching rule called with no batched operand"),
        }
    }
}

/// Swaps the first two entries of a spec (batch and feature, or out and in feature).
fn spec_transpose(spec: &[usize]) -> Shape {
    let mut t = Shape::from_slice(spec);
    t.swap(0, 1);
    t
}

/// Merges dim `src` of `x` into dim `dst` (numbered after `src` is removed), `src` becoming
/// the major part (JAX's `_reshape_axis_into`).
fn reshape_axis_into(src: usize, dst: usize, x: &Tensor) -> Tensor {
    let mut perm: Vec<usize> = (0..x.ndim()).filter(|&i| i != src).collect();
    perm.insert(dst, src);
    let mut new_shape: Vec<usize> = x
        .shape()
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != src)
        .map(|(_, &d)| d)
        .collect();
    new_shape[dst] *= x.shape()[src];
    let moved = if perm.iter().enumerate().all(|(i, &p)| i == p) {
        x.clone()
    } else {
        lax::transpose(x, &perm)
    };
    lax::reshape(&moved, &new_shape)
}

/// Splits dim `src` of `x` into `(size1, rest)` (JAX's `_reshape_axis_out_of`).
fn reshape_axis_out_of(src: usize, size1: usize, x: &Tensor) -> Tensor {
    let mut shape = x.shape().to_vec();
    assert_eq!(shape[src] % size1, 0, "reshape_axis_out_of: ragged split");
    let size2 = shape[src] / size1;
    shape.splice(src..=src, [size1, size2]);
    lax::reshape(x, &shape)
}

/// Checks a windowed op's per-dim params `(name, entries, sizes that must be positive)`:
/// each has `expected` entries (`count` says why, for the error), and no size is zero.
pub(crate) fn check_window_params(
    params: &[(&str, usize, Option<&[usize]>)],
    expected: usize,
    count: impl Fn() -> String,
) -> Result<(), String> {
    for &(name, len, _) in params {
        if len != expected {
            return Err(format!("{name} has {len} entries but {}", count()));
        }
    }
    for &(name, _, sizes) in params {
        if let Some(v) = sizes.filter(|v| v.contains(&0)) {
            return Err(format!("{name} must be positive, got {v:?}"));
        }
    }
    Ok(())
}

/// `shape[spec[2..]]`: the spatial sizes.
fn spatial(shape: &[usize], spec: &[usize]) -> Vec<usize> {
    spec[2..].iter().map(|&d| shape[d]).collect()
}

/// Which operand's cotangent a transpose convolution computes.
#[derive(Clone, Copy)]
pub(crate) enum VjpOperand {
    Lhs,
    Rhs,
}

/// Padding of the transpose convolution giving `operand`'s cotangent (JAX's
/// `_conv_general_vjp_lhs_padding` and `_conv_general_vjp_rhs_padding`); the lhs one is also
/// used by `reduce_window_sum`'s transpose.
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv_general_vjp_padding(
    operand: VjpOperand,
    in_shape: &[usize],
    window_dimensions: &[usize],
    window_strides: &[usize],
    out_shape: &[usize],
    padding: &[(i64, i64)],
    lhs_dilation: &[usize],
    rhs_dilation: &[usize],
) -> Vec<(i64, i64)> {
    (0..in_shape.len())
        .map(|d| {
            let lhs_dilated = dilate(in_shape[d], lhs_dilation[d]) as i64;
            let rhs_dilated = dilate(window_dimensions[d], rhs_dilation[d]) as i64;
            let out_dilated = dilate(out_shape[d], window_strides[d]) as i64;
            let lo = padding[d].0;
            match operand {
                VjpOperand::Lhs => {
                    let before = rhs_dilated - lo - 1;
                    let after = lhs_dilated + rhs_dilated - 1 - out_dilated - before;
                    (before, after)
                }
                VjpOperand::Rhs => {
                    let from_lhs = out_dilated - lhs_dilated;
                    let from_rhs = rhs_dilated - lo - 1;
                    (lo, from_lhs + from_rhs)
                }
            }
        })
        .collect()
}

impl ConvGeneralDilated {
    /// JAX's `_conv_general_dilated_transpose_lhs`: the cotangent of the lhs (of type
    /// `lhs_aval`) given the output cotangent `g` and the kernel `rhs`.
    fn transpose_lhs(&self, g: &Tensor, lhs_aval: &Aval, rhs: &Tensor) -> Tensor {
        let (fg, bg) = (self.feature_group_count, self.batch_group_count);
        assert!(fg == 1 || bg == 1);
        let dn = &self.dimension_numbers;
        let (lhs_spec, rhs_spec, out_spec) = (&dn.lhs_spec, &dn.rhs_spec, &dn.out_spec);
        let rhs_shape = rhs.shape().to_vec();
        let t_rhs_spec = spec_transpose(rhs_spec);
        let mut rhs = rhs.clone();
        let mut feature_group_count = fg;
        if fg > 1 {
            // Besides swapping the dims in the spec, the feature group axis moves into the
            // transposed kernel's output feature dim.
            rhs = reshape_axis_out_of(rhs_spec[0], fg, &rhs);
            rhs = reshape_axis_into(rhs_spec[0], rhs_spec[1], &rhs);
        } else if bg > 1 {
            rhs = reshape_axis_out_of(rhs_spec[0], bg, &rhs);
            rhs = reshape_axis_into(rhs_spec[0], rhs_spec[1], &rhs);
            feature_group_count = bg;
        }
        let trans_dn = ConvDimensionNumbers {
            lhs_spec: out_spec.clone(),
            rhs_spec: t_rhs_spec,
            out_spec: lhs_spec.clone(),
        };
        let padding = conv_general_vjp_padding(
            VjpOperand::Lhs,
            &spatial(&lhs_aval.shape, lhs_spec),
            &spatial(&rhs_shape, rhs_spec),
            &self.window_strides,
            &spatial(g.shape(), out_spec),
            &self.padding,
            &self.lhs_dilation,
            &self.rhs_dilation,
        );
        let mut revd_weights = lax::rev(&rhs, &rhs_spec[2..]);
        if g.dtype() != revd_weights.dtype() {
            revd_weights = lax::convert_element_type(&revd_weights, g.dtype());
        }
        let prim = Prim::new(ConvGeneralDilated {
            window_strides: self.lhs_dilation.clone(),
            padding,
            lhs_dilation: self.window_strides.clone(),
            rhs_dilation: self.rhs_dilation.clone(),
            dimension_numbers: trans_dn,
            feature_group_count,
            batch_group_count: 1,
            preferred_element_type: self.preferred_element_type,
        });
        let mut out = bind1(&prim, &[g.clone(), revd_weights]);
        if out.dtype() != lhs_aval.dtype {
            out = lax::convert_element_type(&out, lhs_aval.dtype);
        }
        if bg > 1 {
            out = reshape_axis_out_of(lhs_spec[1], bg, &out);
            out = reshape_axis_into(lhs_spec[1], lhs_spec[0], &out);
        }
        out
    }

    /// JAX's `_conv_general_dilated_transpose_rhs`: the cotangent of the kernel (of type
    /// `rhs_aval`) given the output cotangent `g` and the input `lhs`; `None` (zero) when `g`
    /// is empty.
    fn transpose_rhs(&self, g: &Tensor, lhs: &Tensor, rhs_aval: &Aval) -> Option<Tensor> {
        if g.size() == 0 {
            // Avoids forming degenerate convolutions where the kernel has spatial size 0.
            return None;
        }
        let dn = &self.dimension_numbers;
        let (lhs_spec, rhs_spec, out_spec) = (&dn.lhs_spec, &dn.rhs_spec, &dn.out_spec);
        let (mut fg, mut bg) = (self.feature_group_count, self.batch_group_count);
        assert!(fg == 1 || bg == 1);
        if bg > 1 {
            fg = bg;
            bg = 1;
        } else if fg > 1 {
            bg = fg;
            fg = 1;
        }
        let trans_dn = ConvDimensionNumbers {
            lhs_spec: spec_transpose(lhs_spec),
            rhs_spec: spec_transpose(out_spec),
            out_spec: spec_transpose(rhs_spec),
        };
        let padding = conv_general_vjp_padding(
            VjpOperand::Rhs,
            &spatial(lhs.shape(), lhs_spec),
            &spatial(&rhs_aval.shape, rhs_spec),
            &self.window_strides,
            &spatial(g.shape(), out_spec),
            &self.padding,
            &self.lhs_dilation,
            &self.rhs_dilation,
        );
        let lhs = if g.dtype() != lhs.dtype() {
            lax::convert_element_type(lhs, g.dtype())
        } else {
            lhs.clone()
        };
        let prim = Prim::new(ConvGeneralDilated {
            window_strides: self.rhs_dilation.clone(),
            padding,
            lhs_dilation: self.lhs_dilation.clone(),
            rhs_dilation: self.window_strides.clone(),
            dimension_numbers: trans_dn,
            feature_group_count: fg,
            batch_group_count: bg,
            preferred_element_type: self.preferred_element_type,
        });
        let mut out = bind1(&prim, &[lhs, g.clone()]);
        if out.dtype() != rhs_aval.dtype {
            out = lax::convert_element_type(&out, rhs_aval.dtype);
        }
        Some(out)
    }
}

/// The two operands of a product (`dot_general`, a convolution) as its evaluation takes them:
/// with a preferred element type the product runs in the output dtype, so both are converted
/// to `out[0]`'s.
pub(crate) fn operands_in_out_dtype<'a>(
    inputs: &[&'a ArrayData],
    out: &[Aval],
) -> (Cow<'a, ArrayData>, Cow<'a, ArrayData>) {
    let dtype = out[0].dtype;
    (as_dtype(inputs[0], dtype), as_dtype(inputs[1], dtype))
}

/// `x` in `dtype`, converted only if needed.
fn as_dtype(x: &ArrayData, dtype: DType) -> Cow<'_, ArrayData> {
    if x.dtype() == dtype {
        Cow::Borrowed(x)
    } else {
        Cow::Owned(x.convert(dtype))
    }
}
