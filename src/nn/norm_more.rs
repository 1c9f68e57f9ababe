//! More normalisation layers with flax.linen's definitions and defaults: [`GroupNorm`],
//! [`RmsNorm`] and [`InstanceNorm`]. Statistics are computed in at least f32 (a bf16/f16
//! input is widened, as flax's `_compute_stats`), the variance as `E[x²] - E[x]²` clipped at
//! 0 (flax's `use_fast_variance`), and the result is cast back to the input's dtype.

use super::module::{Ctx, Module};
use super::Hyper;
use crate::lax;
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};
use crate::PyTree;

/// `x` widened to f32 if it is a half-precision float.
fn widened(x: &Tensor) -> Tensor {
    match x.dtype() {
        DType::BF16 | DType::F16 => x.cast(DType::F32),
        _ => x.clone(),
    }
}

/// Mean (zero unless `use_mean`) and variance of `x` over `axes`, kept as size-1 dims.
fn stats(x: &Tensor, axes: &[isize], use_mean: bool) -> (Tensor, Tensor) {
    let nd = x.ndim() as isize;
    let mut keep = x.shape().to_vec();
    for &a in axes {
        keep[a.rem_euclid(nd) as usize] = 1;
    }
    let mean2 = lax::reshape(&jnp::mean(&x.square(), Some(axes)), &keep);
    if !use_mean {
        return (Tensor::zeros(&keep, x.dtype()), mean2);
    }
    let mean = lax::reshape(&jnp::mean(x, Some(axes)), &keep);
    let var = jnp::maximum(0.0, mean2 - mean.square());
    (mean, var)
}

/// flax's `_normalize`: `(x - mean) · rsqrt(var + eps) · scale + bias`, in the statistics'
/// dtype, cast back to `dtype`.
fn normalize(
    x: &Tensor,
    (mean, var): (Tensor, Tensor),
    eps: f64,
    scale: Option<&Tensor>,
    bias: Option<&Tensor>,
    dtype: DType,
) -> Tensor {
    let mut mul = lax::rsqrt(&(var + eps));
    if let Some(s) = scale {
        mul = mul * s;
    }
    let mut y = (x - mean) * mul;
    if let Some(b) = bias {
        y = y + b;
    }
    if y.dtype() == dtype {
        y
    } else {
        y.cast(dtype)
    }
}

#[track_caller]
fn check_features(x: &Tensor, n: usize, min_rank: usize, op: &str) {
    assert!(
        x.ndim() >= min_rank && x.shape()[x.ndim() - 1] == n,
        "nn::{op}: input {} must have rank >= {min_rank} and end in the layer's {n} features (called from {})",
        x.aval(),
            std::panic::Location::caller()
        );
}

/// Group normalisation (`flax.linen.GroupNorm`, epsilon 1e-6): the `C` features of
/// `x[N, .., C]` are split into groups of consecutive channels and each example is
/// normalised per group over all its non-batch axes; learned `scale` (ones) and `bias`
/// (zeros) per feature.
///
/// ```
/// use ferrax::nn::{Ctx, GroupNorm, Module};
/// use ferrax::prelude::*;
/// let gn = GroupNorm::new(4, 2);
/// let x = Tensor::arange(0.0, 24.0, 1.0, DType::F32).reshape(&[2, 3, 4]);
/// let y = gn.forward(&x, &mut Ctx::eval());
/// assert_eq!(y.shape(), &[2, 3, 4]);
/// assert!(y.sum().item::<f32>().abs() < 1e-4);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct GroupNorm {
    pub scale: Option<Tensor>,
    pub bias: Option<Tensor>,
    #[pytree(static)]
    pub num_groups: usize,
    #[pytree(static)]
    pub epsilon: Hyper,
}

impl GroupNorm {
    /// `features` channels in `num_groups` groups (flax's default is 32 groups), epsilon
    /// 1e-6, with scale and bias.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::GroupNorm::new(8, 4).num_groups, 4);
    /// ```
    #[track_caller]
    pub fn new(features: usize, num_groups: usize) -> Self {
        assert!(
            num_groups >= 1 && features.is_multiple_of(num_groups),
            "nn::GroupNorm::new: {features} features are not divisible into {num_groups} groups"
        );
        GroupNorm {
            scale: Some(Tensor::ones(&[features], DType::F32)),
            bias: Some(Tensor::zeros(&[features], DType::F32)),
            num_groups,
            epsilon: Hyper(1e-6),
        }
    }

    /// Groups of `group_size` channels each (flax's `group_size`, instead of `num_groups`).
    ///
    /// ```
    /// assert_eq!(ferrax::nn::GroupNorm::with_group_size(8, 2).num_groups, 4);
    /// ```
    #[track_caller]
    pub fn with_group_size(features: usize, group_size: usize) -> Self {
        assert!(
            group_size >= 1 && features.is_multiple_of(group_size),
            "nn::GroupNorm::with_group_size: {features} features are not divisible into groups \
             of {group_size}"
        );
        Self::new(features, features / group_size)
    }

    /// The same layer with another epsilon.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::GroupNorm::new(8, 2).with_epsilon(1e-5).epsilon.0, 1e-5);
    /// ```
    pub fn with_epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = Hyper(epsilon);
        self
    }

    /// The same layer without a learned scale and/or bias (flax's `use_scale`/`use_bias`).
    ///
    /// ```
    /// let gn = ferrax::nn::GroupNorm::new(8, 2).with_affine(false, true);
    /// assert!(gn.scale.is_none() && gn.bias.is_some());
    /// ```
    pub fn with_affine(mut self, use_scale: bool, use_bias: bool) -> Self {
        let c = self.features();
        self.scale = use_scale.then(|| Tensor::ones(&[c], DType::F32));
        self.bias = use_bias.then(|| Tensor::zeros(&[c], DType::F32));
        self
    }

    fn features(&self) -> usize {
        self.scale
            .as_ref()
            .or(self.bias.as_ref())
            .map_or(0, |t| t.shape()[0])
    }
}

impl Module for GroupNorm {
    /// Normalises `x[N, .., C]` per example and group.
    #[track_caller]
    fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
        let c = x.shape().last().copied().unwrap_or(0);
        let g = self.num_groups;
        assert!(
            x.ndim() >= 2 && c % g == 0 && (self.features() == 0 || self.features() == c),
            "nn::GroupNorm: input {} must be [N, .., C] with C ({c}) the layer's {} features, \
             divisible into {g} groups (called from {})",
            x.aval(),
            self.features(),
            std::panic::Location::caller()
        );
        let xs = widened(x);
        let mut grouped = x.shape()[..x.ndim() - 1].to_vec();
        grouped.extend([g, c / g]);
        let xg = lax::reshape(&xs, &grouped);
        let axes: Vec<isize> = (1..xg.ndim() as isize - 2).chain([-1]).collect();
        let (mean, var) = stats(&xg, &axes, true);
        let (mean, var) = (
            jnp::broadcast_to(&mean, &grouped),
            jnp::broadcast_to(&var, &grouped),
        );
        let (mean, var) = (
            lax::reshape(&mean, x.shape()),
            lax::reshape(&var, x.shape()),
        );
        normalize(
            &xs,
            (mean, var),
            self.epsilon.0,
            self.scale.as_ref(),
            self.bias.as_ref(),
            x.dtype(),
        )
    }
}

/// Root-mean-square normalisation (`flax.linen.RMSNorm`, epsilon 1e-6): `x / sqrt(mean(x²) +
/// eps) · scale` over `reduction_axes` (default the last), no centring and no bias.
///
/// ```
/// use ferrax::nn::{Ctx, Module, RmsNorm};
/// use ferrax::prelude::*;
/// let y = RmsNorm::new(2).forward(&Tensor::from_vec(vec![3.0f32, 4.0], &[2]), &mut Ctx::eval());
/// let r = (12.5f32 + 1e-6).sqrt();
/// assert!((y.to_vec::<f32>()[1] - 4.0 / r).abs() < 1e-6);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct RmsNorm {
    pub scale: Option<Tensor>,
    #[pytree(static)]
    pub epsilon: Hyper,
    /// The axes the mean square is taken over (negative from the end; `[-1]` by default).
    #[pytree(static)]
    pub reduction_axes: Vec<isize>,
}

impl RmsNorm {
    /// Over the last axis of `features` values, with a learned scale (ones).
    ///
    /// ```
    /// assert_eq!(ferrax::nn::RmsNorm::new(8).scale.unwrap().shape(), &[8]);
    /// ```
    pub fn new(features: usize) -> Self {
        RmsNorm {
            scale: Some(Tensor::ones(&[features], DType::F32)),
            epsilon: Hyper(1e-6),
            reduction_axes: vec![-1],
        }
    }

    /// The same layer with another epsilon.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::RmsNorm::new(8).with_epsilon(1e-5).epsilon.0, 1e-5);
    /// ```
    pub fn with_epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = Hyper(epsilon);
        self
    }

    /// The same layer reducing over `axes` (e.g. `[-2, -1]`); the scale stays per feature.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::RmsNorm::new(8).with_reduction_axes(&[-2, -1]).reduction_axes, vec![-2, -1]);
    /// ```
    pub fn with_reduction_axes(mut self, axes: &[isize]) -> Self {
        self.reduction_axes = axes.to_vec();
        self
    }
}

impl Module for RmsNorm {
    /// Normalises `x[.., features]` by its root mean square over the reduction axes.
    #[track_caller]
    fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
        if let Some(s) = &self.scale {
            check_features(x, s.shape()[0], 1, "RmsNorm");
        }
        let nd = x.ndim() as isize;
        assert!(
            self.reduction_axes.iter().all(|&a| a >= -nd && a < nd),
            "nn::RmsNorm: reduction axes {:?} out of range for input {} (called from {})",
            self.reduction_axes,
            x.aval(),
            std::panic::Location::caller()
        );
        let xs = widened(x);
        let st = stats(&xs, &self.reduction_axes, false);
        normalize(
            &xs,
            st,
            self.epsilon.0,
            self.scale.as_ref(),
            None,
            x.dtype(),
        )
    }
}

/// Instance normalisation (`flax.linen.InstanceNorm`, epsilon 1e-6): each example's each
/// feature of `x[N, *spatial, C]` is normalised over the spatial axes; learned `scale` (ones)
/// and `bias` (zeros) per feature.
///
/// ```
/// use ferrax::nn::{Ctx, InstanceNorm, Module};
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0.0, 12.0, 1.0, DType::F32).reshape(&[2, 3, 2]);
/// let y = InstanceNorm::new(2).forward(&x, &mut Ctx::eval());
/// assert!(y.mean_axes(&[1]).to_vec::<f32>().iter().all(|m| m.abs() < 1e-5));
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct InstanceNorm {
    pub scale: Option<Tensor>,
    pub bias: Option<Tensor>,
    #[pytree(static)]
    pub epsilon: Hyper,
}

impl InstanceNorm {
    /// `features` channels, epsilon 1e-6, with scale and bias.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::InstanceNorm::new(3).bias.unwrap().shape(), &[3]);
    /// ```
    pub fn new(features: usize) -> Self {
        InstanceNorm {
            scale: Some(Tensor::ones(&[features], DType::F32)),
            bias: Some(Tensor::zeros(&[features], DType::F32)),
            epsilon: Hyper(1e-6),
        }
    }

    /// The same layer with another epsilon.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::InstanceNorm::new(3).with_epsilon(1e-3).epsilon.0, 1e-3);
    /// ```
    pub fn with_epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = Hyper(epsilon);
        self
    }
}

impl Module for InstanceNorm {
    /// Normalises `x[N, *spatial, C]` per example and feature over the spatial axes.
    #[track_caller]
    fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
        let c = self
            .scale
            .as_ref()
            .or(self.bias.as_ref())
            .map_or(x.shape().last().copied().unwrap_or(0), |t| t.shape()[0]);
        check_features(x, c, 3, "InstanceNorm");
        let xs = widened(x);
        let axes: Vec<isize> = (1..x.ndim() as isize - 1).collect();
        let st = stats(&xs, &axes, true);
        normalize(
            &xs,
            st,
            self.epsilon.0,
            self.scale.as_ref(),
            self.bias.as_ref(),
            x.dtype(),
        )
    }
}
