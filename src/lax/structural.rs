//! lax's structural functions: shapes, reductions, indexing, sorting, contractions,
//! convolutions and windows. Each builds its primitive's params and binds it.

use crate::core::{bind, bind1, Shape};
use crate::prims::conv::ConvDimensionNumbers;
use crate::prims::cumulative::CumulativeKind;
use crate::prims::index::{GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers};
use crate::prims::window::WindowKind;
use crate::prims::{
    ConvGeneralDilated, CumulativeOp, DotGeneral, IndexOp, Prim, ReduceOp, ReduceWindow, ShapeOp,
    Sort,
};
use crate::tensor::{DType, Tensor};

fn sh(xs: &[usize]) -> Shape {
    Shape::from_slice(xs)
}

#[track_caller]
fn shape1(x: &Tensor, op: ShapeOp) -> Tensor {
    bind1(&Prim::new(op), std::slice::from_ref(x))
}

/// Broadcasts `x` to `shape`: operand dim `i` becomes output dim `broadcast_dimensions[i]`.
///
/// ```
/// use ferrax::prelude::*;
/// let b = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// let y = ferrax::lax::broadcast_in_dim(&b, &[2, 3], &[1]);
/// assert_eq!(y.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
/// ```
#[track_caller]
pub fn broadcast_in_dim(x: &Tensor, shape: &[usize], broadcast_dimensions: &[usize]) -> Tensor {
    shape1(
        x,
        ShapeOp::BroadcastInDim {
            shape: sh(shape),
            broadcast_dimensions: sh(broadcast_dimensions),
        },
    )
}

/// Row-major reshape.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0, 6, 1, DType::I32);
/// assert_eq!(ferrax::lax::reshape(&x, &[2, 3]).shape(), &[2, 3]);
/// ```
#[track_caller]
pub fn reshape(x: &Tensor, new_sizes: &[usize]) -> Tensor {
    shape1(
        x,
        ShapeOp::Reshape {
            new_sizes: sh(new_sizes),
        },
    )
}

/// Permutes dims: output dim `i` is operand dim `permutation[i]`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4, 5, 6], &[2, 3]);
/// assert_eq!(ferrax::lax::transpose(&x, &[1, 0]).to_vec::<i32>(), vec![1, 4, 2, 5, 3, 6]);
/// ```
#[track_caller]
pub fn transpose(x: &Tensor, permutation: &[usize]) -> Tensor {
    shape1(
        x,
        ShapeOp::Transpose {
            permutation: sh(permutation),
        },
    )
}

/// Removes the listed size-1 dims.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[1, 3, 1], DType::F32);
/// assert_eq!(ferrax::lax::squeeze(&x, &[0, 2]).shape(), &[3]);
/// ```
#[track_caller]
pub fn squeeze(x: &Tensor, dimensions: &[usize]) -> Tensor {
    shape1(
        x,
        ShapeOp::Squeeze {
            dimensions: sh(dimensions),
        },
    )
}

/// Inserts size-1 dims at the listed output positions (a `broadcast_in_dim`, as in JAX).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[3], DType::F32);
/// assert_eq!(ferrax::lax::expand_dims(&x, &[0, 2]).shape(), &[1, 3, 1]);
/// ```
#[track_caller]
pub fn expand_dims(x: &Tensor, dimensions: &[usize]) -> Tensor {
    let ndim = x.ndim() + dimensions.len();
    let mut out = vec![0usize; ndim];
    let mut is_new = vec![false; ndim];
    for &d in dimensions {
        assert!(
            d < ndim && !is_new[d],
            "expand_dims: bad dimensions {dimensions:?} for rank {}",
            x.ndim()
        );
        is_new[d] = true;
        out[d] = 1;
    }
    let kept: Vec<usize> = (0..ndim).filter(|&i| !is_new[i]).collect();
    for (src, &dst) in kept.iter().enumerate() {
        out[dst] = x.shape()[src];
    }
    broadcast_in_dim(x, &out, &kept)
}

/// Reverses the listed dims.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3], &[3]);
/// assert_eq!(ferrax::lax::rev(&x, &[0]).to_vec::<i32>(), vec![3, 2, 1]);
/// ```
#[track_caller]
pub fn rev(x: &Tensor, dimensions: &[usize]) -> Tensor {
    shape1(
        x,
        ShapeOp::Rev {
            dimensions: sh(dimensions),
        },
    )
}

/// Pads with `padding_value` (a scalar of `x`'s dtype): per dim `(low, high, interior)`;
/// negative low/high crop.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2], &[2]);
/// let y = ferrax::lax::pad(&x, &Tensor::scalar(0i32), &[(1, 2, 1)]);
/// assert_eq!(y.to_vec::<i32>(), vec![0, 1, 0, 2, 0, 0]);
/// ```
#[track_caller]
pub fn pad(x: &Tensor, padding_value: &Tensor, padding_config: &[(i64, i64, i64)]) -> Tensor {
    bind1(
        &Prim::new(ShapeOp::Pad {
            padding_config: padding_config.to_vec(),
        }),
        &[x.clone(), padding_value.clone()],
    )
}

/// Joins tensors along `dimension`.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::lax::concatenate(&[a.clone(), a], 0).to_vec::<i32>(), vec![1, 2, 1, 2]);
/// ```
#[track_caller]
pub fn concatenate(xs: &[Tensor], dimension: usize) -> Tensor {
    bind1(&Prim::new(ShapeOp::Concatenate { dimension }), xs)
}

/// Static slice `[start, limit)` with optional strides.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0, 6, 1, DType::I32);
/// assert_eq!(ferrax::lax::slice(&x, &[1], &[6], Some(&[2])).to_vec::<i32>(), vec![1, 3, 5]);
/// ```
#[track_caller]
pub fn slice(
    x: &Tensor,
    start_indices: &[usize],
    limit_indices: &[usize],
    strides: Option<&[usize]>,
) -> Tensor {
    shape1(
        x,
        ShapeOp::Slice {
            start_indices: sh(start_indices),
            limit_indices: sh(limit_indices),
            strides: strides.map(sh),
        },
    )
}

/// `0, 1, 2, ...` along `dimension` of an array of `shape`.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::lax::iota(DType::I32, &[3], 0).to_vec::<i32>(), vec![0, 1, 2]);
/// ```
#[track_caller]
pub fn iota(dtype: DType, shape: &[usize], dimension: usize) -> Tensor {
    bind1(
        &Prim::new(ShapeOp::Iota {
            dtype,
            shape: sh(shape),
            dimension,
        }),
        &[],
    )
}

macro_rules! reduce_fns {
    ($($name:ident => $variant:ident),*) => {$(
        #[doc = concat!("`", stringify!($name), "` over `axes` (which disappear).\n\n```\nuse ferrax::prelude::*;\nlet x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);\nassert_eq!(ferrax::lax::", stringify!($name), "(&x, &[1]).shape(), &[2]);\n```")]
        #[track_caller]
        pub fn $name(x: &Tensor, axes: &[usize]) -> Tensor {
            bind1(&Prim::new(ReduceOp::$variant { axes: sh(axes) }), std::slice::from_ref(x))
        }
    )*};
}
reduce_fns!(reduce_sum => Sum, reduce_max => Max, reduce_min => Min, reduce_prod => Prod);

/// Index of the first maximum along `axis`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 2.0], &[3]);
/// assert_eq!(ferrax::lax::argmax(&x, 0, DType::I32).item::<i32>(), 1);
/// ```
#[track_caller]
pub fn argmax(x: &Tensor, axis: usize, index_dtype: DType) -> Tensor {
    bind1(
        &Prim::new(ReduceOp::Argmax {
            axes: sh(&[axis]),
            index_dtype,
        }),
        std::slice::from_ref(x),
    )
}

/// Index of the first minimum along `axis`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, -5.0, 2.0], &[3]);
/// assert_eq!(ferrax::lax::argmin(&x, 0, DType::I32).item::<i32>(), 1);
/// ```
#[track_caller]
pub fn argmin(x: &Tensor, axis: usize, index_dtype: DType) -> Tensor {
    bind1(
        &Prim::new(ReduceOp::Argmin {
            axes: sh(&[axis]),
            index_dtype,
        }),
        std::slice::from_ref(x),
    )
}

macro_rules! cumulative_fns {
    ($($name:ident => $kind:ident),*) => {$(
        #[doc = concat!("`", stringify!($name), "` along `axis` (from the end if `reverse`).\n\n```\nuse ferrax::prelude::*;\nlet x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);\nassert_eq!(ferrax::lax::", stringify!($name), "(&x, 0, false).shape(), &[3]);\n```")]
        #[track_caller]
        pub fn $name(x: &Tensor, axis: usize, reverse: bool) -> Tensor {
            bind1(&Prim::new(CumulativeOp { kind: CumulativeKind::$kind, axis, reverse }), std::slice::from_ref(x))
        }
    )*};
}
cumulative_fns!(cumsum => Sum, cumprod => Prod, cummax => Max, cummin => Min);

/// Sorts `operands` (same shape) along `dimension`, ordered by the first `num_keys`.
///
/// ```
/// use ferrax::prelude::*;
/// let k = Tensor::from_vec(vec![3.0f32, 1.0, 2.0], &[3]);
/// let v = Tensor::from_vec(vec![0, 1, 2], &[3]);
/// let out = ferrax::lax::sort(&[k, v], 0, true, 1);
/// assert_eq!(out[1].to_vec::<i32>(), vec![1, 2, 0]);
/// ```
#[track_caller]
pub fn sort(
    operands: &[Tensor],
    dimension: usize,
    is_stable: bool,
    num_keys: usize,
) -> Vec<Tensor> {
    bind(
        &Prim::new(Sort {
            dimension,
            is_stable,
            num_keys,
        }),
        operands,
    )
    .into_vec()
}

/// `dynamic_slice(x, starts)`: starts are integer scalars, clamped so the slice fits.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0, 5, 1, DType::I32);
/// let y = ferrax::lax::dynamic_slice(&x, &[Tensor::scalar(4i32)], &[2]);
/// assert_eq!(y.to_vec::<i32>(), vec![3, 4]);
/// ```
#[track_caller]
pub fn dynamic_slice(x: &Tensor, start_indices: &[Tensor], slice_sizes: &[usize]) -> Tensor {
    let mut inputs = vec![x.clone()];
    inputs.extend_from_slice(start_indices);
    bind1(
        &Prim::new(IndexOp::DynamicSlice {
            slice_sizes: sh(slice_sizes),
        }),
        &inputs,
    )
}

/// Writes `update` into `x` at `starts` (clamped so it fits).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[4], DType::I32);
/// let y = ferrax::lax::dynamic_update_slice(&x, &Tensor::from_vec(vec![7, 8], &[2]), &[Tensor::scalar(1i32)]);
/// assert_eq!(y.to_vec::<i32>(), vec![0, 7, 8, 0]);
/// ```
#[track_caller]
pub fn dynamic_update_slice(x: &Tensor, update: &Tensor, start_indices: &[Tensor]) -> Tensor {
    let mut inputs = vec![x.clone(), update.clone()];
    inputs.extend_from_slice(start_indices);
    bind1(&Prim::new(IndexOp::DynamicUpdateSlice), &inputs)
}

/// XLA gather.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::{gather, GatherDimensionNumbers, GatherScatterMode};
/// use ferrax::core::Shape;
/// let x = Tensor::from_vec(vec![10.0f32, 11.0, 12.0], &[3]);
/// let idx = Tensor::from_vec(vec![2, 0], &[2, 1]);
/// let dn = GatherDimensionNumbers { collapsed_slice_dims: Shape::from_slice(&[0]), start_index_map: Shape::from_slice(&[0]), ..Default::default() };
/// assert_eq!(gather(&x, &idx, dn, &[1], GatherScatterMode::Clip).to_vec::<f32>(), vec![12.0, 10.0]);
/// ```
#[track_caller]
pub fn gather(
    operand: &Tensor,
    start_indices: &Tensor,
    dimension_numbers: GatherDimensionNumbers,
    slice_sizes: &[usize],
    mode: GatherScatterMode,
) -> Tensor {
    let prim = Prim::new(IndexOp::Gather {
        dimension_numbers,
        slice_sizes: sh(slice_sizes),
        mode,
    });
    bind1(&prim, &[operand.clone(), start_indices.clone()])
}

/// XLA scatter with addition (duplicates accumulate; out-of-bounds updates are dropped in
/// `FillOrDrop` mode).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::{scatter_add, ScatterDimensionNumbers, GatherScatterMode};
/// use ferrax::core::Shape;
/// let x = Tensor::zeros(&[3], DType::F32);
/// let idx = Tensor::from_vec(vec![2, 2, 0], &[3, 1]);
/// let upd = Tensor::from_vec(vec![1.0f32, 2.0, 5.0], &[3]);
/// let dn = ScatterDimensionNumbers { inserted_window_dims: Shape::from_slice(&[0]), scatter_dims_to_operand_dims: Shape::from_slice(&[0]), ..Default::default() };
/// assert_eq!(scatter_add(&x, &idx, &upd, dn, GatherScatterMode::FillOrDrop).to_vec::<f32>(), vec![5.0, 0.0, 3.0]);
/// ```
#[track_caller]
pub fn scatter_add(
    operand: &Tensor,
    scatter_indices: &Tensor,
    updates: &Tensor,
    dimension_numbers: ScatterDimensionNumbers,
    mode: GatherScatterMode,
) -> Tensor {
    let prim = Prim::new(IndexOp::ScatterAdd {
        dimension_numbers,
        mode,
    });
    bind1(
        &prim,
        &[operand.clone(), scatter_indices.clone(), updates.clone()],
    )
}

/// Dimension numbers of `dot_general`: `((lhs_contracting, rhs_contracting), (lhs_batch,
/// rhs_batch))`, as in JAX.
pub type DotDimensionNumbers<'a> = ((&'a [usize], &'a [usize]), (&'a [usize], &'a [usize]));

/// General contraction; output dims are batch, lhs free, rhs free.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// let v = Tensor::from_vec(vec![1.0f32, 1.0], &[2]);
/// let y = ferrax::lax::dot_general(&a, &v, ((&[1], &[0]), (&[], &[])), None);
/// assert_eq!(y.to_vec::<f32>(), vec![3.0, 7.0]);
/// ```
#[track_caller]
pub fn dot_general(
    lhs: &Tensor,
    rhs: &Tensor,
    dimension_numbers: DotDimensionNumbers<'_>,
    preferred_element_type: Option<DType>,
) -> Tensor {
    let ((lc, rc), (lb, rb)) = dimension_numbers;
    let prim = Prim::new(DotGeneral {
        lhs_contracting: sh(lc),
        rhs_contracting: sh(rc),
        lhs_batch: sh(lb),
        rhs_batch: sh(rb),
        preferred_element_type,
    });
    bind1(&prim, &[lhs.clone(), rhs.clone()])
}

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

/// A windowed reduction (pooling); all params are per operand dim.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::{reduce_window, WindowKind};
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 2.0, 4.0], &[4]);
/// let y = reduce_window(&x, WindowKind::Max, &[2], &[2], &[(0, 0)], &[1], &[1]);
/// assert_eq!(y.to_vec::<f32>(), vec![5.0, 4.0]);
/// ```
#[track_caller]
pub fn reduce_window(
    x: &Tensor,
    kind: WindowKind,
    window_dimensions: &[usize],
    window_strides: &[usize],
    padding: &[(i64, i64)],
    base_dilation: &[usize],
    window_dilation: &[usize],
) -> Tensor {
    let prim = Prim::new(ReduceWindow {
        kind,
        window_dimensions: sh(window_dimensions),
        window_strides: sh(window_strides),
        padding: padding.to_vec(),
        base_dilation: sh(base_dilation),
        window_dilation: sh(window_dilation),
    });
    bind1(&prim, std::slice::from_ref(x))
}
