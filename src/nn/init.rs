//! Parameter initialisers with `jax.nn.initializers`' exact definitions: same key, shape and
//! dtype give the same values as JAX wherever `ferrax::random`'s sampler is bit-exact (the
//! scalar factors are rounded in the target dtype in JAX's order, so f32 results match too).

use std::fmt;
use std::sync::Arc;

use crate::random;
use crate::tensor::{DType, Tensor};

/// An initialiser: `init.init(&key, &shape, dtype)` (JAX's `init(key, shape, dtype)`).
/// Cheap to clone; build one with the functions of this module.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::{nn, random};
/// let w = nn::init::he_normal().init(&random::key(0), &[3, 3, 8, 16], DType::F32);
/// assert_eq!(w.shape(), &[3, 3, 8, 16]);
/// ```
#[derive(Clone)]
pub struct Initializer {
    name: &'static str,
    f: Arc<InitFn>,
}

/// The function behind an [`Initializer`]: `(key, shape, dtype) -> tensor`.
type InitFn = dyn Fn(&Tensor, &[usize], DType) -> Tensor + Send + Sync;

impl Initializer {
    /// Wraps a function `(key, shape, dtype) -> tensor` as an initialiser.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let halves = ferrax::nn::init::Initializer::new("halves", |_, s, d| Tensor::full(s, 0.5, d));
    /// assert_eq!(halves.init(&ferrax::random::key(0), &[2], DType::F32).to_vec::<f32>(), vec![0.5; 2]);
    /// ```
    pub fn new(
        name: &'static str,
        f: impl Fn(&Tensor, &[usize], DType) -> Tensor + Send + Sync + 'static,
    ) -> Self {
        Initializer {
            name,
            f: Arc::new(f),
        }
    }

    /// Draws a tensor of `shape` and `dtype` from `key`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let z = ferrax::nn::init::zeros().init(&ferrax::random::key(0), &[2, 2], DType::F64);
    /// assert_eq!(z.to_vec::<f64>(), vec![0.0; 4]);
    /// ```
    #[track_caller]
    pub fn init(&self, key: &Tensor, shape: &[usize], dtype: DType) -> Tensor {
        (self.f)(key, shape, dtype)
    }
}

impl fmt::Debug for Initializer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Initializer({})", self.name)
    }
}

/// Which fan divides the variance in [`variance_scaling`].
///
/// ```
/// use ferrax::nn::init::FanMode;
/// assert_ne!(FanMode::FanIn, FanMode::FanAvg);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FanMode {
    FanIn,
    FanOut,
    /// `(fan_in + fan_out) / 2`.
    FanAvg,
    /// `√(fan_in · fan_out)` (JAX's `"fan_geo_avg"`).
    FanGeoAvg,
}

/// The distribution [`variance_scaling`] samples.
///
/// ```
/// use ferrax::nn::init::Distribution;
/// assert_ne!(Distribution::Normal, Distribution::Uniform);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Distribution {
    /// A normal truncated to ±2 standard deviations, rescaled to the target variance.
    TruncatedNormal,
    Normal,
    /// Uniform on `[-√(3 var), √(3 var))`.
    Uniform,
}

/// `(fan_in, fan_out)` of a weight `shape` as JAX's `_compute_fans`: the sizes of `in_axis` and
/// `out_axis` times the receptive field (the product of all other dims but `batch_axes`), so
/// an HWIO conv kernel `[kh, kw, in, out]` has `fan_in = kh·kw·in`.
///
/// ```
/// use ferrax::nn::init::compute_fans;
/// assert_eq!(compute_fans(&[3, 3, 8, 16], -2, -1, &[]), (72.0, 144.0));
/// assert_eq!(compute_fans(&[10, 4], -2, 0, &[]), (4.0, 4.0)); // flax's Embed
/// ```
#[track_caller]
pub fn compute_fans(
    shape: &[usize],
    in_axis: isize,
    out_axis: isize,
    batch_axes: &[isize],
) -> (f64, f64) {
    assert!(
        !(in_axis == -2 && shape.len() <= 1),
        "nn::init: can't compute input and output sizes of a {}-dimensional weight {shape:?} \
         with the default in_axis; it must be at least 2-D",
        shape.len()
    );
    compute_fans_multi(shape, &[in_axis], &[out_axis], batch_axes)
}

/// [`compute_fans`] with several input and output axes (JAX's `in_axis` / `out_axis` given as
/// sequences): the input (output) size is the product of those axes' sizes.
///
/// ```
/// use ferrax::nn::init::compute_fans_multi;
/// // A [heads, head_dim, features] projection: 8·16 inputs.
/// assert_eq!(compute_fans_multi(&[8, 16, 64], &[0, 1], &[2], &[]), (128.0, 64.0));
/// ```
#[track_caller]
pub fn compute_fans_multi(
    shape: &[usize],
    in_axes: &[isize],
    out_axes: &[isize],
    batch_axes: &[isize],
) -> (f64, f64) {
    let size = |axes: &[isize]| -> f64 {
        axes.iter()
            .map(|&a| shape[crate::numpy::normalize_axis(a, shape.len())] as f64)
            .product()
    };
    let (in_size, out_size) = (size(in_axes), size(out_axes));
    let total: f64 = shape.iter().map(|&d| d as f64).product();
    let receptive = total / in_size / out_size / size(batch_axes);
    (in_size * receptive, out_size * receptive)
}

/// `jax.nn.initializers.variance_scaling(scale, mode, distribution)` with the default axes
/// (`in_axis=-2, out_axis=-1`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::init::{variance_scaling, FanMode, Distribution};
/// let w = variance_scaling(2.0, FanMode::FanIn, Distribution::Normal)
///     .init(&ferrax::random::key(1), &[400, 100], DType::F64);
/// let var = w.var().item::<f64>();
/// assert!((var - 2.0 / 400.0).abs() < 0.05 * 2.0 / 400.0);
/// ```
pub fn variance_scaling(scale: f64, mode: FanMode, distribution: Distribution) -> Initializer {
    variance_scaling_axes(scale, mode, distribution, -2, -1, &[])
}

/// [`variance_scaling`] with explicit `in_axis`, `out_axis` and `batch_axes` (JAX's arguments).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::init::{variance_scaling_axes, FanMode, Distribution};
/// // flax's Embed initialiser: variance 1 / features.
/// let e = variance_scaling_axes(1.0, FanMode::FanIn, Distribution::Normal, -2, 0, &[]);
/// assert_eq!(e.init(&ferrax::random::key(0), &[10, 4], DType::F32).shape(), &[10, 4]);
/// ```
pub fn variance_scaling_axes(
    scale: f64,
    mode: FanMode,
    distribution: Distribution,
    in_axis: isize,
    out_axis: isize,
    batch_axes: &[isize],
) -> Initializer {
    let batch_axes = batch_axes.to_vec();
    let inner = variance_scaling_multi_axes(
        scale,
        mode,
        distribution,
        &[in_axis],
        &[out_axis],
        &batch_axes,
    );
    Initializer::new("variance_scaling", move |key, shape, dtype| {
        compute_fans(shape, in_axis, out_axis, &batch_axes); // the default-axis check
        inner.init(key, shape, dtype)
    })
}

/// [`variance_scaling_axes`] with several input and output axes (JAX's `in_axis` /
/// `out_axis` as sequences; fans by [`compute_fans_multi`]).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::init::{variance_scaling_multi_axes, FanMode, Distribution};
/// let init = variance_scaling_multi_axes(1.0, FanMode::FanIn, Distribution::Normal, &[0, 1], &[2], &[]);
/// let w = init.init(&ferrax::random::key(0), &[20, 20, 50], DType::F64);
/// assert!((w.var().item::<f64>() - 1.0 / 400.0).abs() < 0.1 / 400.0);
/// ```
pub fn variance_scaling_multi_axes(
    scale: f64,
    mode: FanMode,
    distribution: Distribution,
    in_axes: &[isize],
    out_axes: &[isize],
    batch_axes: &[isize],
) -> Initializer {
    let (in_axes, out_axes, batch_axes) =
        (in_axes.to_vec(), out_axes.to_vec(), batch_axes.to_vec());
    Initializer::new("variance_scaling", move |key, shape, dtype| {
        assert!(
            dtype.is_float(),
            "nn::init::variance_scaling: dtype must be f32 or f64, got {dtype}"
        );
        let (fan_in, fan_out) = compute_fans_multi(shape, &in_axes, &out_axes, &batch_axes);
        let denominator = match mode {
            FanMode::FanIn => fan_in,
            FanMode::FanOut => fan_out,
            FanMode::FanAvg => (fan_in + fan_out) / 2.0,
            FanMode::FanGeoAvg => (fan_in * fan_out).sqrt(),
        };
        // `jnp.array(scale / denominator, dtype)`: the quotient in f64, then rounded.
        let variance = Tensor::full(&[], scale / denominator, dtype);
        match distribution {
            Distribution::TruncatedNormal => {
                let stddev = variance.sqrt() / Tensor::full(&[], 0.879_625_661_034_239_8, dtype);
                random::truncated_normal(key, -2.0, 2.0, shape, dtype) * stddev
            }
            Distribution::Normal => random::normal_with(key, shape, dtype) * variance.sqrt(),
            Distribution::Uniform => {
                random::uniform_with(key, shape, dtype, -1.0, 1.0) * (variance * 3.0).sqrt()
            }
        }
    })
}

/// The named presets of [`variance_scaling`] (flax's `lecun_normal`, `he_uniform`, ...): each
/// entry `name => (scale, FanMode, Distribution)` is a public function returning that
/// initializer.
macro_rules! variance_scaling_presets {
    ($($(#[$doc:meta])+ $name:ident => ($scale:expr, $mode:ident, $dist:ident);)*) => {$(
        $(#[$doc])+
        pub fn $name() -> Initializer {
            variance_scaling($scale, FanMode::$mode, Distribution::$dist)
        }
    )*};
}
variance_scaling_presets! {
    /// LeCun normal: truncated normal with variance `1 / fan_in` (flax's default kernel init).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let w = ferrax::nn::init::lecun_normal().init(&ferrax::random::key(0), &[4, 3], DType::F32);
    /// assert!(w.to_vec::<f32>().iter().all(|v| v.abs() < 2.0 / 0.8796 * 0.5 + 1e-6));
    /// ```
    lecun_normal => (1.0, FanIn, TruncatedNormal);

    /// LeCun uniform: uniform with variance `1 / fan_in`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let w = ferrax::nn::init::lecun_uniform().init(&ferrax::random::key(0), &[3, 2], DType::F32);
    /// assert!(w.to_vec::<f32>().iter().all(|v| v.abs() <= 1.0));
    /// ```
    lecun_uniform => (1.0, FanIn, Uniform);

    /// He (Kaiming) normal: truncated normal with variance `2 / fan_in` (for ReLU nets).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let w = ferrax::nn::init::he_normal().init(&ferrax::random::key(0), &[2, 2], DType::F64);
    /// assert_eq!(w.dtype(), DType::F64);
    /// ```
    he_normal => (2.0, FanIn, TruncatedNormal);

    /// He uniform: uniform with variance `2 / fan_in`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let w = ferrax::nn::init::he_uniform().init(&ferrax::random::key(0), &[6, 2], DType::F32);
    /// assert!(w.to_vec::<f32>().iter().all(|v| v.abs() <= 1.0)); // √(3·2/6)
    /// ```
    he_uniform => (2.0, FanIn, Uniform);

    /// Glorot (Xavier) uniform: uniform with variance `2 / (fan_in + fan_out)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let w = ferrax::nn::init::glorot_uniform().init(&ferrax::random::key(0), &[3, 3], DType::F32);
    /// assert!(w.to_vec::<f32>().iter().all(|v| v.abs() <= 1.0));
    /// ```
    glorot_uniform => (1.0, FanAvg, Uniform);

    /// Glorot (Xavier) normal: truncated normal with variance `2 / (fan_in + fan_out)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let w = ferrax::nn::init::glorot_normal().init(&ferrax::random::key(0), &[3, 3], DType::F32);
    /// assert_eq!(w.shape(), &[3, 3]);
    /// ```
    glorot_normal => (1.0, FanAvg, TruncatedNormal);

    /// The same initializer as [`he_normal`] (`jax.nn.initializers.kaiming_normal`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::init;
    /// let k = ferrax::random::key(3);
    /// let (a, b) = (init::kaiming_normal().init(&k, &[4, 3], DType::F32), init::he_normal().init(&k, &[4, 3], DType::F32));
    /// assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>());
    /// ```
    kaiming_normal => (2.0, FanIn, TruncatedNormal);

    /// The same initializer as [`he_uniform`] (`jax.nn.initializers.kaiming_uniform`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::init;
    /// let k = ferrax::random::key(3);
    /// let (a, b) = (init::kaiming_uniform().init(&k, &[4, 3], DType::F32), init::he_uniform().init(&k, &[4, 3], DType::F32));
    /// assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>());
    /// ```
    kaiming_uniform => (2.0, FanIn, Uniform);

    /// The same initializer as [`glorot_normal`] (`jax.nn.initializers.xavier_normal`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::init;
    /// let k = ferrax::random::key(3);
    /// let (a, b) = (init::xavier_normal().init(&k, &[4, 3], DType::F32), init::glorot_normal().init(&k, &[4, 3], DType::F32));
    /// assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>());
    /// ```
    xavier_normal => (1.0, FanAvg, TruncatedNormal);

    /// The same initializer as [`glorot_uniform`] (`jax.nn.initializers.xavier_uniform`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::init;
    /// let k = ferrax::random::key(3);
    /// let (a, b) = (init::xavier_uniform().init(&k, &[4, 3], DType::F32), init::glorot_uniform().init(&k, &[4, 3], DType::F32));
    /// assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>());
    /// ```
    xavier_uniform => (1.0, FanAvg, Uniform);
}

/// All zeros (flax's default bias init).
///
/// ```
/// use ferrax::prelude::*;
/// let z = ferrax::nn::init::zeros().init(&ferrax::random::key(0), &[3], DType::F32);
/// assert_eq!(z.to_vec::<f32>(), vec![0.0; 3]);
/// ```
pub fn zeros() -> Initializer {
    Initializer::new("zeros", |_, shape, dtype| Tensor::zeros(shape, dtype))
}

/// All ones (the default scale of the normalisation layers).
///
/// ```
/// use ferrax::prelude::*;
/// let o = ferrax::nn::init::ones().init(&ferrax::random::key(0), &[2], DType::F32);
/// assert_eq!(o.to_vec::<f32>(), vec![1.0; 2]);
/// ```
pub fn ones() -> Initializer {
    Initializer::new("ones", |_, shape, dtype| Tensor::ones(shape, dtype))
}

/// A constant.
///
/// ```
/// use ferrax::prelude::*;
/// let c = ferrax::nn::init::constant(0.1).init(&ferrax::random::key(0), &[2], DType::F64);
/// assert_eq!(c.to_vec::<f64>(), vec![0.1; 2]);
/// ```
pub fn constant(value: f64) -> Initializer {
    Initializer::new("constant", move |_, shape, dtype| {
        Tensor::full(shape, value, dtype)
    })
}

/// `normal(key, shape) * stddev` (JAX's default `stddev` is `1e-2`).
///
/// ```
/// use ferrax::prelude::*;
/// let w = ferrax::nn::init::normal(1e-2).init(&ferrax::random::key(0), &[100], DType::F32);
/// assert!(w.to_vec::<f32>().iter().all(|v| v.abs() < 0.06));
/// ```
pub fn normal(stddev: f64) -> Initializer {
    Initializer::new("normal", move |key, shape, dtype| {
        random::normal_with(key, shape, dtype) * Tensor::full(&[], stddev, dtype)
    })
}

/// `uniform(key, shape) * scale`, in `[0, scale)` (JAX's default `scale` is `1e-2`).
///
/// ```
/// use ferrax::prelude::*;
/// let w = ferrax::nn::init::uniform(2.0).init(&ferrax::random::key(0), &[100], DType::F32);
/// assert!(w.to_vec::<f32>().iter().all(|&v| (0.0..2.0).contains(&v)));
/// ```
pub fn uniform(scale: f64) -> Initializer {
    Initializer::new("uniform", move |key, shape, dtype| {
        random::uniform_with(key, shape, dtype, 0.0, 1.0) * Tensor::full(&[], scale, dtype)
    })
}

/// The keyword arguments of [`orthogonal_with`] and [`delta_orthogonal_with`].
///
/// ```
/// use ferrax::nn::init::OrthogonalOptions;
/// assert_eq!(OrthogonalOptions::default().column_axis, -1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrthogonalOptions {
    /// The factor the orthogonal matrix is multiplied by (JAX's default 1).
    pub scale: f64,
    /// The axis holding the columns that are orthonormal (JAX's default -1).
    pub column_axis: isize,
}

impl Default for OrthogonalOptions {
    fn default() -> Self {
        OrthogonalOptions {
            scale: 1.0,
            column_axis: -1,
        }
    }
}

/// A (semi-)orthogonal matrix scaled by `scale`, the last axis as columns
/// (`jax.nn.initializers.orthogonal()`): for `[..., n]` the flattened `[rows, n]` matrix has
/// orthonormal columns (or rows, if wider than tall). flax's default recurrent kernel init.
///
/// ```
/// use ferrax::prelude::*;
/// let q = ferrax::nn::init::orthogonal(1.0).init(&ferrax::random::key(0), &[4, 4], DType::F64);
/// let qtq = q.t().matmul(&q).to_vec::<f64>();
/// assert!((qtq[0] - 1.0).abs() < 1e-12 && qtq[1].abs() < 1e-12);
/// ```
pub fn orthogonal(scale: f64) -> Initializer {
    orthogonal_with(OrthogonalOptions {
        scale,
        column_axis: -1,
    })
}

/// [`orthogonal`] with the columns on `column_axis` (JAX's `orthogonal(scale, column_axis)`):
/// the matrix is drawn as `[rows, n]` with the other axes flattened, then the column axis is
/// moved into place.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::init::{orthogonal_with, OrthogonalOptions};
/// let init = orthogonal_with(OrthogonalOptions { scale: 1.0, column_axis: 0 });
/// let q = init.init(&ferrax::random::key(0), &[3, 5], DType::F64);
/// let qqt = q.matmul(&q.t()).to_vec::<f64>(); // the 3 rows (along axis 0: columns) are orthonormal
/// assert!((qqt[0] - 1.0).abs() < 1e-12 && qqt[1].abs() < 1e-12);
/// ```
pub fn orthogonal_with(opts: OrthogonalOptions) -> Initializer {
    Initializer::new("orthogonal", move |key, shape, dtype| {
        assert!(
            shape.len() >= 2,
            "nn::init::orthogonal: needs at least a 2-D shape, got {shape:?}"
        );
        if shape.contains(&0) {
            return Tensor::zeros(shape, dtype);
        }
        let col = crate::numpy::normalize_axis(opts.column_axis, shape.len());
        let n_cols = shape[col];
        let n_rows = shape.iter().product::<usize>() / n_cols;
        let q = random::orthogonal_nm(key, n_rows, n_cols, &[], dtype);
        let mut drawn: Vec<isize> = (0..shape.len())
            .filter(|&d| d != col)
            .map(|d| shape[d] as isize)
            .collect();
        drawn.push(n_cols as isize);
        let q = crate::numpy::moveaxis(&q.reshape(&drawn), -1, col as isize);
        Tensor::full(&[], opts.scale, dtype) * q
    })
}

/// The delta-orthogonal convolution kernel of Xiao et al. (scale 1): an `[.., in, out]`
/// kernel of 3 to 5 dims that is zero except at the spatial centre, which holds an
/// orthogonal `[in, out]` matrix (`jax.nn.initializers.delta_orthogonal()`; needs
/// `in <= out`).
///
/// ```
/// use ferrax::prelude::*;
/// let w = ferrax::nn::init::delta_orthogonal(1.0).init(&ferrax::random::key(0), &[3, 2, 2], DType::F64);
/// let w = w.to_vec::<f64>();
/// assert!(w[..4].iter().chain(&w[8..]).all(|&v| v == 0.0));
/// assert!((w[4] * w[4] + w[6] * w[6] - 1.0).abs() < 1e-12); // the centre's first column
/// ```
pub fn delta_orthogonal(scale: f64) -> Initializer {
    delta_orthogonal_with(OrthogonalOptions {
        scale,
        column_axis: -1,
    })
}

/// [`delta_orthogonal`] with the centre matrix drawn by `orthogonal_with(opts)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::init::{delta_orthogonal_with, OrthogonalOptions};
/// let init = delta_orthogonal_with(OrthogonalOptions { scale: 2.0, column_axis: -1 });
/// let w = init.init(&ferrax::random::key(1), &[3, 3, 4, 4], DType::F32);
/// let centre = w.reshape(&[9, 4, 4]).index(ferrax::idx![4]);
/// let g = centre.t().matmul(&centre).to_vec::<f32>();
/// assert!((g[0] - 4.0).abs() < 1e-5 && g[1].abs() < 1e-5);
/// ```
pub fn delta_orthogonal_with(opts: OrthogonalOptions) -> Initializer {
    let ortho = orthogonal_with(opts);
    Initializer::new("delta_orthogonal", move |key, shape, dtype| {
        let n = shape.len();
        assert!(
            (3..=5).contains(&n),
            "nn::init::delta_orthogonal: needs a 3-D, 4-D or 5-D shape, got {shape:?}"
        );
        assert!(
            shape[n - 1] >= shape[n - 2],
            "nn::init::delta_orthogonal: `fan_in` must be less or equal than `fan_out`, got {shape:?}"
        );
        let m = ortho.init(key, &shape[n - 2..], dtype);
        let mut lifted = vec![1; n - 2];
        lifted.extend_from_slice(&shape[n - 2..]);
        let mut config: Vec<(i64, i64, i64)> = shape[..n - 2]
            .iter()
            .map(|&k| {
                let centre = (k as i64 - 1) / 2;
                (centre, k as i64 - 1 - centre, 0)
            })
            .collect();
        config.extend([(0, 0, 0), (0, 0, 0)]);
        crate::lax::pad(
            &crate::lax::reshape(&m, &lifted),
            &Tensor::zeros(&[], dtype),
            &config,
        )
    })
}

/// The keyword arguments of [`truncated_normal_with`].
///
/// ```
/// use ferrax::nn::init::TruncatedNormalOptions;
/// let o = TruncatedNormalOptions::default();
/// assert_eq!((o.stddev, o.lower, o.upper), (1e-2, -2.0, 2.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TruncatedNormalOptions {
    /// The standard deviation of the normal before truncation (JAX's default `1e-2`).
    pub stddev: f64,
    /// The lower bound, in standard deviations (default -2).
    pub lower: f64,
    /// The upper bound, in standard deviations (default 2).
    pub upper: f64,
}

impl Default for TruncatedNormalOptions {
    fn default() -> Self {
        TruncatedNormalOptions {
            stddev: 1e-2,
            lower: -2.0,
            upper: 2.0,
        }
    }
}

/// `truncated_normal(key, -2, 2, shape) * stddev`: a normal cut at two standard deviations
/// (not rescaled to variance `stddev²`, as JAX's).
///
/// ```
/// use ferrax::prelude::*;
/// let w = ferrax::nn::init::truncated_normal(0.1).init(&ferrax::random::key(0), &[100], DType::F32);
/// assert!(w.to_vec::<f32>().iter().all(|v| v.abs() < 0.2));
/// ```
pub fn truncated_normal(stddev: f64) -> Initializer {
    truncated_normal_with(TruncatedNormalOptions {
        stddev,
        ..Default::default()
    })
}

/// [`truncated_normal`] with its bounds (in standard deviations).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::init::{truncated_normal_with, TruncatedNormalOptions};
/// let opts = TruncatedNormalOptions { stddev: 1.0, lower: 0.0, upper: 1.0 };
/// let w = truncated_normal_with(opts).init(&ferrax::random::key(0), &[50], DType::F64);
/// assert!(w.to_vec::<f64>().iter().all(|&v| (0.0..1.0).contains(&v)));
/// ```
pub fn truncated_normal_with(opts: TruncatedNormalOptions) -> Initializer {
    Initializer::new("truncated_normal", move |key, shape, dtype| {
        random::truncated_normal(key, opts.lower, opts.upper, shape, dtype)
            * Tensor::full(&[], opts.stddev, dtype)
    })
}
