//! Convolutions of any spatial rank: the functional [`conv_nd`] and [`conv_transpose`]
//! (channels-last activations `[N, *spatial, C]`, kernels `[*window, in, out]`, as flax), and
//! the layers [`Conv1d`] (NWC), [`Conv3d`] (NDHWC) and [`ConvTranspose`] (any rank, flax's
//! `ConvTranspose`). [`Conv2d`](super::Conv2d) stays in `layers.rs`.

use super::functional::Padding;
use super::init;
use super::module::{Ctx, Module};
use crate::core::Shape;
use crate::lax::{self, ConvDimensionNumbers, ConvParams};
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};
use crate::PyTree;

/// Channels-last dimension numbers for `sp` spatial dims: lhs/out `[N, *sp, C]`, rhs
/// `[*sp, I, O]`.
fn channels_last(sp: usize) -> ConvDimensionNumbers {
    let mut act = vec![0, sp + 1];
    act.extend(1..=sp);
    let mut rhs = vec![sp + 1, sp];
    rhs.extend(0..sp);
    ConvDimensionNumbers {
        lhs_spec: Shape::from_slice(&act),
        rhs_spec: Shape::from_slice(&rhs),
        out_spec: Shape::from_slice(&act),
    }
}

/// `x` with a batch axis (and whether one was added) for a kernel of `sp` spatial dims.
#[track_caller]
fn batched(x: &Tensor, sp: usize, op: &str) -> (Tensor, bool) {
    if x.ndim() == sp + 2 {
        (x.clone(), false)
    } else if x.ndim() == sp + 1 {
        (lax::expand_dims(x, &[0]), true)
    } else {
        panic!(
            "nn::{op}: a kernel with {sp} spatial dims needs an input [N, {sp} spatial, C] or \
             one unbatched example, got {} (called from {})",
            x.aval(),
            std::panic::Location::caller()
        )
    }
}

/// `v`, or `sp` ones when `v` is empty; panics unless it has `sp` positive entries.
#[track_caller]
fn per_dim(v: &[usize], sp: usize, what: &str, op: &str) -> Vec<usize> {
    let v = if v.is_empty() {
        vec![1; sp]
    } else {
        v.to_vec()
    };
    assert!(
        v.len() == sp && v.iter().all(|&s| s >= 1),
        "nn::{op}: {what} must be {sp} positive sizes (one per spatial dim), got {v:?}"
    );
    v
}

/// N-d convolution of channels-last `x` (`[N, *spatial, in]`, or one unbatched example) with
/// a kernel `w[*window, in / groups, out]`: `jax.lax.conv_general_dilated` with flax's
/// layouts, for 1-d (NWC), 2-d (NHWC) and 3-d (NDHWC) alike. Empty `strides`/`dilation` mean
/// all ones.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Padding};
/// let x = Tensor::ones(&[2, 6, 3], DType::F32); // NWC
/// let w = Tensor::ones(&[3, 3, 4], DType::F32);
/// let y = nn::conv_nd(&x, &w, &[2], Padding::Same, &[], 1);
/// assert_eq!(y.shape(), &[2, 3, 4]);
/// assert_eq!(y.to_vec::<f32>()[0], 9.0); // the first window is all inside
/// ```
#[track_caller]
pub fn conv_nd(
    x: &Tensor,
    w: &Tensor,
    strides: &[usize],
    padding: Padding,
    dilation: &[usize],
    groups: usize,
) -> Tensor {
    assert!(
        w.ndim() >= 3,
        "nn::conv_nd: the kernel must be [*window, in, out] with at least one spatial dim, got {} (called from {})",
        w.aval(),
            std::panic::Location::caller()
        );
    let sp = w.ndim() - 2;
    let (xb, was) = batched(x, sp, "conv_nd");
    let strides = per_dim(strides, sp, "strides", "conv_nd");
    let dilation = per_dim(dilation, sp, "dilation", "conv_nd");
    let (cin, kin, kout) = (xb.shape()[sp + 1], w.shape()[sp], w.shape()[sp + 1]);
    assert!(
        groups >= 1 && kin * groups == cin && kout % groups == 0,
        "nn::conv_nd: input {} and kernel {} do not match: need in_channels ({cin}) = kernel in \
         ({kin}) x groups ({groups}) and out ({kout}) divisible by groups (called from {})",
        x.aval(),
        w.aval(),
        std::panic::Location::caller()
    );
    let pads = padding.pads(&xb.shape()[1..=sp], &w.shape()[..sp], &strides, &dilation);
    let params = ConvParams {
        window_strides: strides,
        padding: pads.iter().map(|&(l, h)| (l as i64, h as i64)).collect(),
        lhs_dilation: vec![1; sp],
        rhs_dilation: dilation,
        dimension_numbers: channels_last(sp),
        feature_group_count: groups,
        batch_group_count: 1,
    };
    let y = lax::conv_general_dilated(&xb, w, &params);
    if was {
        lax::squeeze(&y, &[0])
    } else {
        y
    }
}

/// `lax._conv_transpose_padding`: the pads of a transposed convolution for an effective
/// (dilated) kernel size `k` and stride `s`.
fn transpose_pads(k: usize, s: usize, same: bool) -> (i64, i64) {
    let (k, s) = (k as i64, s as i64);
    let (len, a) = if same {
        let len = k + s - 2;
        (len, if s > k - 1 { k - 1 } else { (len + 1) / 2 })
    } else {
        (k + s - 2 + (k - s).max(0), k - 1)
    };
    (a, len - a)
}

/// Transposed convolution (`jax.lax.conv_transpose` with channels-last layouts, what flax's
/// `ConvTranspose` calls): the input is dilated by `strides`, padded as JAX pads for
/// `Padding::Same`/`Padding::Valid` (explicit pads are used as given) and convolved with
/// `w[*window, in, out]` at stride 1. With `transpose_kernel` the kernel is the one of the
/// forward convolution being transposed (`[*window, out, in]`): its window is flipped and its
/// two channel axes swapped, so the result is that convolution's gradient w.r.t. its input.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Padding};
/// let x = Tensor::ones(&[1, 3, 1], DType::F32);
/// let w = Tensor::ones(&[2, 1, 1], DType::F32);
/// let y = nn::conv_transpose(&x, &w, &[2], Padding::Same, &[], false);
/// assert_eq!(y.shape(), &[1, 6, 1]);
/// assert_eq!(y.to_vec::<f32>(), vec![1.0; 6]);
/// ```
#[track_caller]
pub fn conv_transpose(
    x: &Tensor,
    w: &Tensor,
    strides: &[usize],
    padding: Padding,
    kernel_dilation: &[usize],
    transpose_kernel: bool,
) -> Tensor {
    assert!(
        w.ndim() >= 3,
        "nn::conv_transpose: the kernel must be [*window, in, out] with at least one spatial \
         dim, got {} (called from {})",
        w.aval(),
        std::panic::Location::caller()
    );
    let sp = w.ndim() - 2;
    let (xb, was) = batched(x, sp, "conv_transpose");
    let strides = per_dim(strides, sp, "strides", "conv_transpose");
    let dilation = per_dim(kernel_dilation, sp, "kernel_dilation", "conv_transpose");
    let w = if transpose_kernel {
        let flip: Vec<isize> = (0..sp as isize).collect();
        jnp::swapaxes(&jnp::flip(w, Some(&flip)), sp as isize, sp as isize + 1)
    } else {
        w.clone()
    };
    assert!(
        xb.shape()[sp + 1] == w.shape()[sp],
        "nn::conv_transpose: input {} has {} channels but the kernel {} expects {}{} (called from {})",
        x.aval(),
        xb.shape()[sp + 1],
        w.aval(),
        w.shape()[sp],
        if transpose_kernel {
            " (after transposing it)"
        } else {
            ""
        },
            std::panic::Location::caller()
        );
    let pads: Vec<(i64, i64)> = match &padding {
        Padding::Same | Padding::Valid => (0..sp)
            .map(|i| {
                let k = (w.shape()[i] - 1) * dilation[i] + 1;
                transpose_pads(k, strides[i], padding == Padding::Same)
            })
            .collect(),
        Padding::Explicit(_) => padding
            .pads(&xb.shape()[1..=sp], &w.shape()[..sp], &strides, &dilation)
            .iter()
            .map(|&(l, h)| (l as i64, h as i64))
            .collect(),
    };
    let params = ConvParams {
        window_strides: vec![1; sp],
        padding: pads,
        lhs_dilation: strides,
        rhs_dilation: dilation,
        dimension_numbers: channels_last(sp),
        feature_group_count: 1,
        batch_group_count: 1,
    };
    let y = lax::conv_general_dilated(&xb, &w, &params);
    if was {
        lax::squeeze(&y, &[0])
    } else {
        y
    }
}

/// Hyperparameters of [`Conv1d`] and [`Conv3d`] besides the sizes, `D` values per spatial dim
/// (flax's defaults: stride 1, SAME, no dilation, one group, with bias).
///
/// ```
/// use ferrax::nn::{Conv3dOptions, Padding};
/// let o = Conv3dOptions { strides: [1, 2, 2], padding: Padding::Valid, ..Default::default() };
/// assert_eq!(o.dilation, [1, 1, 1]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConvOptions<const D: usize> {
    pub strides: [usize; D],
    pub padding: Padding,
    pub dilation: [usize; D],
    /// Feature groups: the kernel is `[*window, in / groups, out]`.
    pub groups: usize,
    pub use_bias: bool,
}

/// [`ConvOptions`] of a [`Conv1d`].
pub type Conv1dOptions = ConvOptions<1>;
/// [`ConvOptions`] of a [`Conv3d`].
pub type Conv3dOptions = ConvOptions<3>;

impl<const D: usize> Default for ConvOptions<D> {
    fn default() -> Self {
        ConvOptions {
            strides: [1; D],
            padding: Padding::Same,
            dilation: [1; D],
            groups: 1,
            use_bias: true,
        }
    }
}

/// The kernel (LeCun normal, fan-in `window · in / groups`) and zero bias of a convolution.
#[track_caller]
fn conv_params(
    key: &Tensor,
    in_features: usize,
    out_features: usize,
    window: &[usize],
    groups: usize,
    use_bias: bool,
    op: &str,
) -> (Tensor, Option<Tensor>) {
    assert!(
        groups >= 1 && in_features.is_multiple_of(groups) && out_features.is_multiple_of(groups),
        "nn::{op}::new: {in_features} input and {out_features} output features must be \
         divisible by groups={groups}"
    );
    let mut shape = window.to_vec();
    shape.extend([in_features / groups, out_features]);
    (
        init::lecun_normal().init(key, &shape, DType::F32),
        use_bias.then(|| Tensor::zeros(&[out_features], DType::F32)),
    )
}

fn add_bias(y: Tensor, bias: &Option<Tensor>) -> Tensor {
    match bias {
        Some(b) => y + b,
        None => y,
    }
}

// A convolution layer of spatial rank `$d` (`flax.linen.Conv`): a kernel `[*window, in /
// groups, out]` from `init::lecun_normal`, a zero bias, `conv_nd` in the forward pass. One
// definition for `Conv1d` and `Conv3d`.
macro_rules! conv_layer {
    (
        $(#[$doc:meta])*
        $name:ident, $options:ident, $d:literal, $window:literal,
        new: $new_ex:literal,
        with_options: $opt_ex:literal,
        forward: $fwd_doc:literal, $fwd_ex:literal $(,)?
    ) => {
        $(#[$doc])*
        #[derive(PyTree, Clone, Debug)]
        pub struct $name {
            pub kernel: Tensor,
            pub bias: Option<Tensor>,
            #[pytree(static)]
            pub options: $options,
        }

        impl $name {
            #[doc = concat!("A stride-1, SAME-padded `in -> out` convolution with a `", $window, "` window.\n\n```\n", $new_ex, "\n```")]
            #[track_caller]
            pub fn new(key: &Tensor, in_features: usize, out_features: usize, window: [usize; $d]) -> Self {
                Self::with_options(key, in_features, out_features, window, Default::default())
            }

            #[doc = concat!("A convolution with explicit strides, padding, dilation, groups and bias choice.\n\n```\n", $opt_ex, "\n```")]
            #[track_caller]
            pub fn with_options(
                key: &Tensor,
                in_features: usize,
                out_features: usize,
                window: [usize; $d],
                options: $options,
            ) -> Self {
                let (kernel, bias) = conv_params(
                    key,
                    in_features,
                    out_features,
                    &window,
                    options.groups,
                    options.use_bias,
                    stringify!($name),
                );
                $name { kernel, bias, options }
            }
        }

        impl Module for $name {
            #[doc = concat!($fwd_doc, "\n\n```\n", $fwd_ex, "\n```")]
            #[track_caller]
            fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
                let o = &self.options;
                let y = conv_nd(x, &self.kernel, &o.strides, o.padding.clone(), &o.dilation, o.groups);
                add_bias(y, &self.bias)
            }
        }
    };
}

conv_layer!(
    /// A 1-d convolution over NWC inputs (`flax.linen.Conv` with a 1-element kernel size): WIO
    /// kernel from [`init::lecun_normal`], zero bias.
    ///
    /// ```
    /// use ferrax::nn::{Conv1d, Ctx, Module};
    /// use ferrax::prelude::*;
    /// let c = Conv1d::new(&ferrax::random::key(0), 3, 8, [5]);
    /// assert_eq!(c.forward(&Tensor::ones(&[2, 10, 3], DType::F32), &mut Ctx::eval()).shape(), &[2, 10, 8]);
    /// ```
    Conv1d, Conv1dOptions, 1, "[k]",
    new: "let c = ferrax::nn::Conv1d::new(&ferrax::random::key(0), 3, 8, [5]);
assert_eq!(c.kernel.shape(), &[5, 3, 8]);",
    with_options: "use ferrax::nn::{Conv1d, Conv1dOptions, Ctx, Module, Padding};
use ferrax::prelude::*;
let o = Conv1dOptions { strides: [2], padding: Padding::Valid, groups: 2, ..Default::default() };
let c = Conv1d::with_options(&ferrax::random::key(0), 4, 6, [3], o);
assert_eq!(c.kernel.shape(), &[3, 2, 6]);
assert_eq!(c.forward(&Tensor::ones(&[1, 7, 4], DType::F32), &mut Ctx::eval()).shape(), &[1, 3, 6]);",
    forward: "Convolves `x` (`[N, W, in]` or one `[W, in]` sequence) and adds the bias.",
    "use ferrax::nn::{Conv1d, Ctx, Module};
use ferrax::prelude::*;
let c = Conv1d::new(&ferrax::random::key(0), 1, 2, [3]);
assert_eq!(c.forward(&Tensor::ones(&[4, 1], DType::F32), &mut Ctx::eval()).shape(), &[4, 2]);",
);

conv_layer!(
    /// A 3-d convolution over NDHWC inputs (`flax.linen.Conv` with a 3-element kernel size):
    /// DHWIO kernel from [`init::lecun_normal`], zero bias.
    ///
    /// ```
    /// use ferrax::nn::{Conv3d, Ctx, Module};
    /// use ferrax::prelude::*;
    /// let c = Conv3d::new(&ferrax::random::key(0), 2, 4, [3, 3, 3]);
    /// assert_eq!(c.forward(&Tensor::ones(&[1, 4, 5, 6, 2], DType::F32), &mut Ctx::eval()).shape(), &[1, 4, 5, 6, 4]);
    /// ```
    Conv3d, Conv3dOptions, 3, "[kd, kh, kw]",
    new: "let c = ferrax::nn::Conv3d::new(&ferrax::random::key(0), 2, 4, [1, 3, 3]);
assert_eq!(c.kernel.shape(), &[1, 3, 3, 2, 4]);",
    with_options: "use ferrax::nn::{Conv3d, Conv3dOptions, Ctx, Module, Padding};
use ferrax::prelude::*;
let o = Conv3dOptions { strides: [2, 2, 2], padding: Padding::Valid, use_bias: false, ..Default::default() };
let c = Conv3d::with_options(&ferrax::random::key(0), 2, 3, [2, 2, 2], o);
assert!(c.bias.is_none());
assert_eq!(c.forward(&Tensor::ones(&[1, 4, 4, 4, 2], DType::F32), &mut Ctx::eval()).shape(), &[1, 2, 2, 2, 3]);",
    forward: "Convolves `x` (`[N, D, H, W, in]` or one `[D, H, W, in]` volume) and adds the bias.",
    "use ferrax::nn::{Conv3d, Ctx, Module};
use ferrax::prelude::*;
let c = Conv3d::new(&ferrax::random::key(0), 1, 2, [3, 3, 3]);
assert_eq!(c.forward(&Tensor::ones(&[3, 3, 3, 1], DType::F32), &mut Ctx::eval()).shape(), &[3, 3, 3, 2]);",
);

/// A transposed convolution of any spatial rank (`flax.linen.ConvTranspose`): kernel
/// `[*window, in, out]` (`[*window, out, in]` with `transpose_kernel`) from
/// [`init::lecun_normal`], zero bias; the forward pass is [`conv_transpose`]. Defaults as
/// flax: stride 1, SAME, no kernel dilation, `transpose_kernel = false`.
///
/// ```
/// use ferrax::nn::{ConvTranspose, Ctx, Module};
/// use ferrax::prelude::*;
/// let up = ConvTranspose::new(&ferrax::random::key(0), 3, 5, &[3, 3]).with_strides(&[2, 2]);
/// let y = up.forward(&Tensor::ones(&[2, 4, 4, 3], DType::F32), &mut Ctx::eval());
/// assert_eq!(y.shape(), &[2, 8, 8, 5]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct ConvTranspose {
    pub kernel: Tensor,
    pub bias: Option<Tensor>,
    #[pytree(static)]
    pub strides: Vec<usize>,
    #[pytree(static)]
    pub padding: Padding,
    #[pytree(static)]
    pub kernel_dilation: Vec<usize>,
    #[pytree(static)]
    pub transpose_kernel: bool,
}

impl ConvTranspose {
    /// A stride-1, SAME `in -> out` transposed convolution with a `window` of 1, 2 or 3
    /// (or more) spatial dims, with bias.
    ///
    /// ```
    /// let t = ferrax::nn::ConvTranspose::new(&ferrax::random::key(0), 3, 5, &[4]);
    /// assert_eq!(t.kernel.shape(), &[4, 3, 5]);
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, in_features: usize, out_features: usize, window: &[usize]) -> Self {
        assert!(
            !window.is_empty() && window.iter().all(|&k| k >= 1),
            "nn::ConvTranspose::new: the window must have positive sizes, got {window:?}"
        );
        let (kernel, bias) = conv_params(
            key,
            in_features,
            out_features,
            window,
            1,
            true,
            "ConvTranspose",
        );
        ConvTranspose {
            kernel,
            bias,
            strides: vec![1; window.len()],
            padding: Padding::Same,
            kernel_dilation: vec![1; window.len()],
            transpose_kernel: false,
        }
    }

    /// The same layer with `strides` (the upsampling factors).
    ///
    /// ```
    /// let t = ferrax::nn::ConvTranspose::new(&ferrax::random::key(0), 3, 5, &[4]).with_strides(&[2]);
    /// assert_eq!(t.strides, vec![2]);
    /// ```
    pub fn with_strides(mut self, strides: &[usize]) -> Self {
        self.strides = strides.to_vec();
        self
    }

    /// The same layer with `padding`.
    ///
    /// ```
    /// use ferrax::nn::{ConvTranspose, Padding};
    /// let t = ConvTranspose::new(&ferrax::random::key(0), 3, 5, &[4]).with_padding(Padding::Valid);
    /// assert_eq!(t.padding, Padding::Valid);
    /// ```
    pub fn with_padding(mut self, padding: Padding) -> Self {
        self.padding = padding;
        self
    }

    /// The same layer with a dilated kernel.
    ///
    /// ```
    /// let t = ferrax::nn::ConvTranspose::new(&ferrax::random::key(0), 3, 5, &[3]).with_kernel_dilation(&[2]);
    /// assert_eq!(t.kernel_dilation, vec![2]);
    /// ```
    pub fn with_kernel_dilation(mut self, dilation: &[usize]) -> Self {
        self.kernel_dilation = dilation.to_vec();
        self
    }

    /// The same layer reading its kernel as the forward convolution's (`[*window, out, in]`,
    /// flipped and swapped when applied; the kernel is reshaped accordingly), flax's
    /// `transpose_kernel=True`.
    ///
    /// ```
    /// let t = ferrax::nn::ConvTranspose::new(&ferrax::random::key(0), 3, 5, &[4]).with_transpose_kernel();
    /// assert_eq!(t.kernel.shape(), &[4, 5, 3]);
    /// ```
    pub fn with_transpose_kernel(mut self) -> Self {
        if !self.transpose_kernel {
            let sp = self.kernel.ndim() as isize - 2;
            self.kernel = jnp::swapaxes(&self.kernel, sp, sp + 1);
            self.transpose_kernel = true;
        }
        self
    }
}

impl Module for ConvTranspose {
    /// The transposed convolution of `x` (`[N, *spatial, in]` or one unbatched example) plus
    /// the bias.
    ///
    /// ```
    /// use ferrax::nn::{ConvTranspose, Ctx, Module, Padding};
    /// use ferrax::prelude::*;
    /// let t = ConvTranspose::new(&ferrax::random::key(0), 1, 2, &[3]).with_strides(&[2]).with_padding(Padding::Valid);
    /// assert_eq!(t.forward(&Tensor::ones(&[4, 1], DType::F32), &mut Ctx::eval()).shape(), &[9, 2]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
        let y = conv_transpose(
            x,
            &self.kernel,
            &self.strides,
            self.padding.clone(),
            &self.kernel_dilation,
            self.transpose_kernel,
        );
        add_bias(y, &self.bias)
    }
}
