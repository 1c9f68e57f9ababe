//! Functional convolution and pooling over NHWC activations and HWIO kernels (`jax.lax` /
//! `flax.linen` layouts), on `lax::conv_general_dilated` and `lax::reduce_window`.

use crate::core::Shape;
use crate::lax::{self, ConvDimensionNumbers, ConvParams, WindowKind};
use crate::tensor::Tensor;

/// Spatial padding of a convolution or pooling window.
///
/// ```
/// use ferrax::nn::Padding;
/// assert_eq!(Padding::Same.pads(&[5], &[3], &[2], &[1]), vec![(1, 1)]);
/// assert_eq!(Padding::Valid.pads(&[5], &[3], &[2], &[1]), vec![(0, 0)]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Padding {
    /// No padding: only full windows (output `floor((in - k) / s) + 1`).
    Valid,
    /// Pad so the output has `ceil(in / stride)` positions, the extra pad going high (as
    /// `lax.padtype_to_pads`).
    Same,
    /// `(low, high)` zeros (or `-inf` for max pooling) per spatial dim.
    Explicit(Vec<(usize, usize)>),
}

impl Padding {
    /// The `(low, high)` pads per spatial dim for inputs of `size`, windows `window` (before
    /// dilation), `strides` and window `dilation`.
    ///
    /// ```
    /// use ferrax::nn::Padding;
    /// // A dilated 3-tap window spans 5 positions.
    /// assert_eq!(Padding::Same.pads(&[8], &[3], &[1], &[2]), vec![(2, 2)]);
    /// ```
    #[track_caller]
    pub fn pads(
        &self,
        size: &[usize],
        window: &[usize],
        strides: &[usize],
        dilation: &[usize],
    ) -> Vec<(usize, usize)> {
        let n = size.len();
        match self {
            Padding::Valid => vec![(0, 0); n],
            Padding::Same => (0..n)
                .map(|i| {
                    let eff = (window[i] - 1) * dilation[i] + 1;
                    let out = size[i].div_ceil(strides[i]);
                    let total = ((out - 1) * strides[i] + eff).saturating_sub(size[i]);
                    (total / 2, total - total / 2)
                })
                .collect(),
            Padding::Explicit(p) => {
                assert!(
                    p.len() == n,
                    "nn::Padding::Explicit: {} (low, high) pairs given for {n} spatial dims",
                    p.len()
                );
                p.clone()
            }
        }
    }
}

/// Adds a leading batch dim to an unbatched `[H, W, C]` input (flax accepts both ranks).
#[track_caller]
fn batched(x: &Tensor, op: &str) -> (Tensor, bool) {
    match x.ndim() {
        4 => (x.clone(), false),
        3 => (lax::expand_dims(x, &[0]), true),
        _ => panic!(
            "nn::{op}: expected an NHWC input [N, H, W, C] or [H, W, C], got {}",
            x.aval()
        ),
    }
}

fn unbatched(y: Tensor, was: bool) -> Tensor {
    if was {
        lax::squeeze(&y, &[0])
    } else {
        y
    }
}

#[track_caller]
fn check_pair(v: &[usize], what: &str, op: &str) {
    assert!(
        v.len() == 2 && v.iter().all(|&s| s >= 1),
        "nn::{op}: {what} must be two positive sizes (H, W), got {v:?}"
    );
}

/// 2-D convolution of NHWC `x` with an HWIO kernel `w` (`[kh, kw, in, out]`), as
/// `jax.lax.conv_general_dilated(x, w, strides, padding, dimension_numbers=('NHWC', 'HWIO',
/// 'NHWC'))`. `x` may also be one unbatched `[H, W, C]` image.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn;
/// let x = Tensor::ones(&[1, 4, 4, 2], DType::F32);
/// let w = Tensor::ones(&[3, 3, 2, 5], DType::F32);
/// assert_eq!(nn::conv2d(&x, &w, &[1, 1], nn::Padding::Valid).shape(), &[1, 2, 2, 5]);
/// let y = nn::conv2d(&x, &w, &[2, 2], nn::Padding::Same);
/// assert_eq!(y.shape(), &[1, 2, 2, 5]);
/// // SAME with stride 2 pads (0, 1): the first window is all inside (3x3 pixels x 2 channels),
/// // the last one overhangs by a row and a column.
/// assert_eq!(y.to_vec::<f32>()[0], 18.0);
/// assert_eq!(y.to_vec::<f32>()[15], 8.0);
/// ```
#[track_caller]
pub fn conv2d(x: &Tensor, w: &Tensor, strides: &[usize], padding: Padding) -> Tensor {
    conv2d_with(x, w, strides, padding, &[1, 1], 1)
}

/// [`conv2d`] with kernel `dilation` (atrous convolution) and `feature_group_count` groups
/// (`w` is `[kh, kw, in / groups, out]`; depthwise when `groups == in`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn;
/// let x = Tensor::ones(&[1, 5, 5, 4], DType::F32);
/// let w = Tensor::ones(&[3, 3, 2, 6], DType::F32); // 2 groups of 2 input channels
/// let y = nn::conv2d_with(&x, &w, &[1, 1], nn::Padding::Valid, &[2, 2], 2);
/// assert_eq!(y.shape(), &[1, 1, 1, 6]);
/// assert_eq!(y.to_vec::<f32>()[0], 18.0);
/// ```
#[track_caller]
pub fn conv2d_with(
    x: &Tensor,
    w: &Tensor,
    strides: &[usize],
    padding: Padding,
    dilation: &[usize],
    feature_group_count: usize,
) -> Tensor {
    let (xb, was) = batched(x, "conv2d");
    check_pair(strides, "strides", "conv2d");
    check_pair(dilation, "dilation", "conv2d");
    assert!(
        w.ndim() == 4,
        "nn::conv2d: the kernel must be HWIO [kh, kw, in, out], got {}",
        w.aval()
    );
    let g = feature_group_count;
    let (cin, kin, kout) = (xb.shape()[3], w.shape()[2], w.shape()[3]);
    assert!(
        g >= 1 && kin * g == cin && kout % g == 0,
        "nn::conv2d: input {} and kernel {} do not match: need in_channels ({cin}) = kernel in \
         ({kin}) x groups ({g}) and out ({kout}) divisible by groups",
        x.aval(),
        w.aval()
    );
    let pads = padding.pads(&xb.shape()[1..3], &w.shape()[0..2], strides, dilation);
    let params = ConvParams {
        window_strides: strides.to_vec(),
        padding: pads.iter().map(|&(l, h)| (l as i64, h as i64)).collect(),
        lhs_dilation: vec![1, 1],
        rhs_dilation: dilation.to_vec(),
        dimension_numbers: ConvDimensionNumbers {
            lhs_spec: Shape::from_slice(&[0, 3, 1, 2]),
            rhs_spec: Shape::from_slice(&[3, 2, 0, 1]),
            out_spec: Shape::from_slice(&[0, 3, 1, 2]),
        },
        feature_group_count: g,
        batch_group_count: 1,
    };
    unbatched(lax::conv_general_dilated(&xb, w, &params), was)
}

#[track_caller]
fn pool(
    x: &Tensor,
    kind: WindowKind,
    window: &[usize],
    strides: &[usize],
    padding: &Padding,
    op: &str,
) -> Tensor {
    let (xb, was) = batched(x, op);
    check_pair(window, "window", op);
    check_pair(strides, "strides", op);
    let pads = padding.pads(&xb.shape()[1..3], window, strides, &[1, 1]);
    let mut p = vec![(0i64, 0i64)];
    p.extend(pads.iter().map(|&(l, h)| (l as i64, h as i64)));
    p.push((0, 0));
    let y = lax::reduce_window(
        &xb,
        kind,
        &[1, window[0], window[1], 1],
        &[1, strides[0], strides[1], 1],
        &p,
        &[1; 4],
        &[1; 4],
    );
    unbatched(y, was)
}

/// Max pooling over `window` with `strides`, VALID padding (`flax.linen.max_pool`'s default).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0.0, 16.0, 1.0, DType::F32).reshape(&[1, 4, 4, 1]);
/// let y = ferrax::nn::max_pool2d(&x, &[2, 2], &[2, 2]);
/// assert_eq!(y.to_vec::<f32>(), vec![5.0, 7.0, 13.0, 15.0]);
/// ```
#[track_caller]
pub fn max_pool2d(x: &Tensor, window: &[usize], strides: &[usize]) -> Tensor {
    max_pool2d_with(x, window, strides, Padding::Valid)
}

/// [`max_pool2d`] with padding (padded positions are `-inf`, so they never win).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn;
/// let x = Tensor::full(&[1, 3, 3, 1], -5.0f32, DType::F32);
/// let y = nn::max_pool2d_with(&x, &[2, 2], &[2, 2], nn::Padding::Same);
/// assert_eq!(y.to_vec::<f32>(), vec![-5.0; 4]);
/// ```
#[track_caller]
pub fn max_pool2d_with(
    x: &Tensor,
    window: &[usize],
    strides: &[usize],
    padding: Padding,
) -> Tensor {
    pool(x, WindowKind::Max, window, strides, &padding, "max_pool2d")
}

/// Average pooling over `window` with `strides`, VALID padding (`flax.linen.avg_pool`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0.0, 16.0, 1.0, DType::F32).reshape(&[1, 4, 4, 1]);
/// let y = ferrax::nn::avg_pool2d(&x, &[2, 2], &[2, 2]);
/// assert_eq!(y.to_vec::<f32>(), vec![2.5, 4.5, 10.5, 12.5]);
/// ```
#[track_caller]
pub fn avg_pool2d(x: &Tensor, window: &[usize], strides: &[usize]) -> Tensor {
    avg_pool2d_with(x, window, strides, Padding::Valid, true)
}

/// [`avg_pool2d`] with padding; `count_include_pad` divides by the full window size (flax's
/// default) rather than by the number of real inputs in each window.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn;
/// let x = Tensor::ones(&[1, 3, 3, 1], DType::F32);
/// let y = nn::avg_pool2d_with(&x, &[2, 2], &[2, 2], nn::Padding::Same, false);
/// assert_eq!(y.to_vec::<f32>(), vec![1.0; 4]);
/// let y = nn::avg_pool2d_with(&x, &[2, 2], &[2, 2], nn::Padding::Same, true);
/// assert_eq!(y.to_vec::<f32>(), vec![1.0, 0.5, 0.5, 0.25]);
/// ```
#[track_caller]
pub fn avg_pool2d_with(
    x: &Tensor,
    window: &[usize],
    strides: &[usize],
    padding: Padding,
    count_include_pad: bool,
) -> Tensor {
    let sums = pool(x, WindowKind::Sum, window, strides, &padding, "avg_pool2d");
    if count_include_pad || padding == Padding::Valid {
        return sums / (window[0] * window[1]) as f64;
    }
    // Count the real inputs per window by pooling ones of one image's spatial shape.
    let (h, w) = (x.shape()[x.ndim() - 3], x.shape()[x.ndim() - 2]);
    let ones = Tensor::ones(&[h, w, 1], x.dtype());
    let counts = pool(
        &ones,
        WindowKind::Sum,
        window,
        strides,
        &padding,
        "avg_pool2d",
    );
    sums / counts
}
