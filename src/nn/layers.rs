//! Feed-forward layers: [`Linear`], [`Conv2d`], [`MaxPool2d`], [`AvgPool2d`], [`Flatten`] and
//! [`Embedding`]. Each is a pytree of its parameters (hyperparameters are static fields).

use super::functional::{avg_pool2d_with, conv2d_with, max_pool2d_with, Padding};
use super::init;
use super::module::{Ctx, Module};
use crate::lax;
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};
use crate::PyTree;

/// `x[.., in] · kernel[in, out]` over the last axis of `x`.
#[track_caller]
pub(crate) fn dense(x: &Tensor, kernel: &Tensor, op: &str) -> Tensor {
    assert!(
        x.ndim() >= 1 && x.shape()[x.ndim() - 1] == kernel.shape()[0],
        "nn::{op}: input {} does not end in the kernel's {} input features (kernel {})",
        x.aval(),
        kernel.shape()[0],
        kernel.aval()
    );
    let nd = x.ndim();
    lax::dot_general(x, kernel, ((&[nd - 1], &[0]), (&[], &[])), None)
}

/// A dense layer `y = x · kernel + bias` (`flax.linen.Dense`): kernel `[in, out]` from
/// [`init::lecun_normal`] drawn with `key` itself (so it equals
/// `jax.nn.initializers.lecun_normal()(key, (in, out))`), bias zeros. Applies to the last
/// axis of inputs of any rank.
///
/// ```
/// use ferrax::nn::{Ctx, Module};
/// use ferrax::prelude::*;
/// let l = ferrax::nn::Linear::new(&ferrax::random::key(0), 3, 2);
/// let y = l.forward(&Tensor::ones(&[4, 5, 3], DType::F32), &mut Ctx::eval());
/// assert_eq!(y.shape(), &[4, 5, 2]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct Linear {
    pub kernel: Tensor,
    pub bias: Option<Tensor>,
}

impl Linear {
    /// A `in -> out` layer with a bias.
    ///
    /// ```
    /// let l = ferrax::nn::Linear::new(&ferrax::random::key(0), 3, 2);
    /// assert_eq!((l.kernel.shape(), l.bias.unwrap().shape()), (&[3usize, 2][..], &[2usize][..]));
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, in_features: usize, out_features: usize) -> Self {
        Self::with_init(key, in_features, out_features, true, &init::lecun_normal())
    }

    /// A layer with a chosen kernel initialiser, with or without a (zero) bias.
    ///
    /// ```
    /// use ferrax::nn::{init, Linear};
    /// let l = Linear::with_init(&ferrax::random::key(0), 3, 2, false, &init::glorot_uniform());
    /// assert!(l.bias.is_none());
    /// ```
    #[track_caller]
    pub fn with_init(
        key: &Tensor,
        in_features: usize,
        out_features: usize,
        use_bias: bool,
        kernel_init: &init::Initializer,
    ) -> Self {
        Linear {
            kernel: kernel_init.init(key, &[in_features, out_features], DType::F32),
            bias: use_bias.then(|| Tensor::zeros(&[out_features], DType::F32)),
        }
    }
}

impl Module for Linear {
    /// `x · kernel + bias` over the last axis.
    ///
    /// ```
    /// use ferrax::nn::{Ctx, Module};
    /// use ferrax::prelude::*;
    /// let l = ferrax::nn::Linear {
    ///     kernel: Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]),
    ///     bias: Some(Tensor::from_vec(vec![0.5f32], &[1])),
    /// };
    /// assert_eq!(l.forward(&Tensor::from_vec(vec![1.0f32, 1.0], &[2]), &mut Ctx::eval()).to_vec::<f32>(), vec![3.5]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
        let y = dense(x, &self.kernel, "Linear");
        match &self.bias {
            Some(b) => y + b,
            None => y,
        }
    }
}

/// Hyperparameters of [`Conv2d`] besides the sizes (flax's defaults: stride 1, SAME, no
/// dilation, one group, with bias).
///
/// ```
/// use ferrax::nn::{Conv2dOptions, Padding};
/// let o = Conv2dOptions { strides: [2, 2], padding: Padding::Valid, ..Default::default() };
/// assert_eq!(o.groups, 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Conv2dOptions {
    pub strides: [usize; 2],
    pub padding: Padding,
    pub dilation: [usize; 2],
    /// Feature groups: the kernel is `[kh, kw, in / groups, out]`.
    pub groups: usize,
    pub use_bias: bool,
}

impl Default for Conv2dOptions {
    fn default() -> Self {
        Conv2dOptions {
            strides: [1, 1],
            padding: Padding::Same,
            dilation: [1, 1],
            groups: 1,
            use_bias: true,
        }
    }
}

/// A 2-D convolution over NHWC inputs (`flax.linen.Conv`): HWIO kernel from
/// [`init::lecun_normal`] (fan-in `kh·kw·in/groups`), zero bias.
///
/// ```
/// use ferrax::nn::{Ctx, Module};
/// use ferrax::prelude::*;
/// let c = ferrax::nn::Conv2d::new(&ferrax::random::key(0), 3, 8, [3, 3]);
/// assert_eq!(c.forward(&Tensor::ones(&[2, 5, 5, 3], DType::F32), &mut Ctx::eval()).shape(), &[2, 5, 5, 8]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct Conv2d {
    pub kernel: Tensor,
    pub bias: Option<Tensor>,
    #[pytree(static)]
    pub options: Conv2dOptions,
}

impl Conv2d {
    /// A stride-1, SAME-padded `in -> out` convolution with a `[kh, kw]` window.
    ///
    /// ```
    /// let c = ferrax::nn::Conv2d::new(&ferrax::random::key(0), 3, 8, [5, 3]);
    /// assert_eq!(c.kernel.shape(), &[5, 3, 3, 8]);
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, in_features: usize, out_features: usize, window: [usize; 2]) -> Self {
        Self::with_options(
            key,
            in_features,
            out_features,
            window,
            Conv2dOptions::default(),
        )
    }

    /// A convolution with explicit strides, padding, dilation, groups and bias choice.
    ///
    /// ```
    /// use ferrax::nn::{Ctx, Module};
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Conv2d, Conv2dOptions, Padding};
    /// let o = Conv2dOptions { strides: [2, 2], padding: Padding::Valid, groups: 2, ..Default::default() };
    /// let c = Conv2d::with_options(&ferrax::random::key(0), 4, 6, [3, 3], o);
    /// assert_eq!(c.kernel.shape(), &[3, 3, 2, 6]);
    /// assert_eq!(c.forward(&Tensor::ones(&[1, 7, 7, 4], DType::F32), &mut Ctx::eval()).shape(), &[1, 3, 3, 6]);
    /// ```
    #[track_caller]
    pub fn with_options(
        key: &Tensor,
        in_features: usize,
        out_features: usize,
        window: [usize; 2],
        options: Conv2dOptions,
    ) -> Self {
        let g = options.groups;
        assert!(
            g >= 1 && in_features.is_multiple_of(g) && out_features.is_multiple_of(g),
            "nn::Conv2d::new: {in_features} input and {out_features} output features must be \
             divisible by groups={g}"
        );
        let shape = [window[0], window[1], in_features / g, out_features];
        Conv2d {
            kernel: init::lecun_normal().init(key, &shape, DType::F32),
            bias: options
                .use_bias
                .then(|| Tensor::zeros(&[out_features], DType::F32)),
            options,
        }
    }
}

impl Module for Conv2d {
    /// Convolves `x` (`[N, H, W, in]` or one `[H, W, in]` image) and adds the bias.
    ///
    /// ```
    /// use ferrax::nn::{Ctx, Module};
    /// use ferrax::prelude::*;
    /// let c = ferrax::nn::Conv2d::new(&ferrax::random::key(0), 1, 2, [3, 3]);
    /// assert_eq!(c.forward(&Tensor::ones(&[4, 4, 1], DType::F32), &mut Ctx::eval()).shape(), &[4, 4, 2]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
        let o = &self.options;
        let y = conv2d_with(
            x,
            &self.kernel,
            &o.strides,
            o.padding.clone(),
            &o.dilation,
            o.groups,
        );
        match &self.bias {
            Some(b) => y + b,
            None => y,
        }
    }
}

/// Max pooling as a layer (VALID unless `padding` says otherwise); no parameters.
///
/// ```
/// use ferrax::nn::{Ctx, Module};
/// use ferrax::prelude::*;
/// let p = ferrax::nn::MaxPool2d::new([2, 2], [2, 2]);
/// assert_eq!(p.forward(&Tensor::ones(&[1, 6, 6, 3], DType::F32), &mut Ctx::eval()).shape(), &[1, 3, 3, 3]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct MaxPool2d {
    #[pytree(static)]
    pub window: [usize; 2],
    #[pytree(static)]
    pub strides: [usize; 2],
    #[pytree(static)]
    pub padding: Padding,
}

impl MaxPool2d {
    /// A VALID max pool.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::MaxPool2d::new([3, 3], [1, 1]).window, [3, 3]);
    /// ```
    pub fn new(window: [usize; 2], strides: [usize; 2]) -> Self {
        MaxPool2d {
            window,
            strides,
            padding: Padding::Valid,
        }
    }
}

impl Module for MaxPool2d {
    /// Pools NHWC `x` (or one HWC image).
    ///
    /// ```
    /// use ferrax::nn::{Ctx, Module};
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1.0f32, 4.0, 3.0, 2.0], &[2, 2, 1]);
    /// assert_eq!(ferrax::nn::MaxPool2d::new([2, 2], [2, 2]).forward(&x, &mut Ctx::eval()).to_vec::<f32>(), vec![4.0]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
        max_pool2d_with(x, &self.window, &self.strides, self.padding.clone())
    }
}

/// Average pooling as a layer (VALID unless `padding` says otherwise; padded zeros count, as
/// flax's `count_include_pad=True`).
///
/// ```
/// use ferrax::nn::{Ctx, Module};
/// use ferrax::prelude::*;
/// let p = ferrax::nn::AvgPool2d::new([2, 2], [2, 2]);
/// assert_eq!(p.forward(&Tensor::ones(&[1, 4, 4, 1], DType::F32), &mut Ctx::eval()).to_vec::<f32>(), vec![1.0; 4]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct AvgPool2d {
    #[pytree(static)]
    pub window: [usize; 2],
    #[pytree(static)]
    pub strides: [usize; 2],
    #[pytree(static)]
    pub padding: Padding,
}

impl AvgPool2d {
    /// A VALID average pool.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::AvgPool2d::new([2, 2], [1, 1]).strides, [1, 1]);
    /// ```
    pub fn new(window: [usize; 2], strides: [usize; 2]) -> Self {
        AvgPool2d {
            window,
            strides,
            padding: Padding::Valid,
        }
    }
}

impl Module for AvgPool2d {
    /// Pools NHWC `x` (or one HWC image).
    ///
    /// ```
    /// use ferrax::nn::{Ctx, Module};
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1.0f32, 4.0, 3.0, 2.0], &[2, 2, 1]);
    /// assert_eq!(ferrax::nn::AvgPool2d::new([2, 2], [2, 2]).forward(&x, &mut Ctx::eval()).to_vec::<f32>(), vec![2.5]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
        avg_pool2d_with(x, &self.window, &self.strides, self.padding.clone(), true)
    }
}

/// Flattens all axes from `start_axis` on into one (`x.reshape(x.shape[:start] + (-1,))`):
/// `Flatten::new()` keeps the batch axis, `Flatten { start_axis: 0 }` flattens one example.
///
/// ```
/// use ferrax::nn::{Ctx, Module};
/// use ferrax::prelude::*;
/// let y = ferrax::nn::Flatten::new().forward(&Tensor::ones(&[2, 3, 4, 5], DType::F32), &mut Ctx::eval());
/// assert_eq!(y.shape(), &[2, 60]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct Flatten {
    #[pytree(static)]
    pub start_axis: usize,
}

impl Default for Flatten {
    fn default() -> Self {
        Flatten { start_axis: 1 }
    }
}

impl Flatten {
    /// Flattens everything but the leading (batch) axis.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::Flatten::new().start_axis, 1);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
}

impl Module for Flatten {
    /// The flattened view of `x`.
    ///
    /// ```
    /// use ferrax::nn::{Ctx, Module};
    /// use ferrax::prelude::*;
    /// let y = ferrax::nn::Flatten { start_axis: 0 }.forward(&Tensor::ones(&[3, 4], DType::F32), &mut Ctx::eval());
    /// assert_eq!(y.shape(), &[12]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
        assert!(
            self.start_axis <= x.ndim(),
            "nn::Flatten: start_axis {} is beyond the rank of {}",
            self.start_axis,
            x.aval()
        );
        let mut shape = x.shape()[..self.start_axis].to_vec();
        shape.push(x.shape()[self.start_axis..].iter().product());
        lax::reshape(x, &shape)
    }
}

/// A lookup table `[num_embeddings, features]` (`flax.linen.Embed`): rows are drawn from a
/// normal with variance `1 / features` (flax's `variance_scaling(1, fan_in, normal,
/// out_axis=0)`).
///
/// ```
/// use ferrax::nn::{Ctx, Module};
/// use ferrax::prelude::*;
/// let e = ferrax::nn::Embedding::new(&ferrax::random::key(0), 10, 4);
/// let ids = Tensor::from_vec(vec![1i32, 7, 7], &[3]);
/// assert_eq!(e.forward(&ids, &mut Ctx::eval()).shape(), &[3, 4]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct Embedding {
    pub embedding: Tensor,
}

impl Embedding {
    /// A table of `num_embeddings` vectors of `features` values.
    ///
    /// ```
    /// let e = ferrax::nn::Embedding::new(&ferrax::random::key(0), 10, 4);
    /// assert_eq!(e.embedding.shape(), &[10, 4]);
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, num_embeddings: usize, features: usize) -> Self {
        let init = init::variance_scaling_axes(
            1.0,
            init::FanMode::FanIn,
            init::Distribution::Normal,
            -2,
            0,
            &[],
        );
        Embedding {
            embedding: init.init(key, &[num_embeddings, features], DType::F32),
        }
    }

    /// `query · tableᵀ`: similarity to every embedding (flax's `Embed.attend`, for tied output
    /// projections).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let e = ferrax::nn::Embedding { embedding: Tensor::eye(3, DType::F32) };
    /// let q = Tensor::from_vec(vec![0.0f32, 2.0, 0.0], &[3]);
    /// assert_eq!(e.attend(&q).to_vec::<f32>(), vec![0.0, 2.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn attend(&self, query: &Tensor) -> Tensor {
        dense(
            query,
            &lax::transpose(&self.embedding, &[1, 0]),
            "Embedding::attend",
        )
    }
}

impl Module for Embedding {
    /// The rows of the table at integer `ids` of any shape: `[..ids.shape, features]`
    /// (out-of-range ids are clamped).
    ///
    /// ```
    /// use ferrax::nn::{Ctx, Module};
    /// use ferrax::prelude::*;
    /// let e = ferrax::nn::Embedding { embedding: Tensor::from_vec(vec![0.0f32, 1.0, 2.0, 3.0], &[2, 2]) };
    /// let ids = Tensor::from_vec(vec![1i32, 0], &[2, 1]);
    /// assert_eq!(e.forward(&ids, &mut Ctx::eval()).to_vec::<f32>(), vec![2.0, 3.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    fn forward(&self, ids: &Tensor, _cx: &mut Ctx) -> Tensor {
        assert!(
            ids.dtype().is_int(),
            "nn::Embedding: ids must be integers, got {}",
            ids.aval()
        );
        jnp::take(&self.embedding, ids, 0)
    }
}
