//! Pooling of any spatial rank over channels-last inputs (flax's `max_pool`/`avg_pool`): the
//! functional [`max_pool`] and [`avg_pool`], the layers [`MaxPool1d`], [`MaxPool3d`],
//! [`AvgPool1d`], [`AvgPool3d`] beside the 2-d ones in `layers.rs`, and the global
//! [`GlobalAvgPool`] / [`GlobalMaxPool`].

use super::functional::Padding;
use super::module::{Ctx, Module};
use crate::lax::{self, WindowKind};
use crate::numpy as jnp;
use crate::tensor::Tensor;
use crate::PyTree;

/// `reduce_window` of `x` (`[N, *spatial, C]` or one unbatched example) over the spatial dims.
#[track_caller]
fn pool_nd(
    x: &Tensor,
    kind: WindowKind,
    window: &[usize],
    strides: &[usize],
    padding: &Padding,
    op: &str,
) -> Tensor {
    let sp = window.len();
    assert!(
        sp >= 1 && window.iter().all(|&k| k >= 1),
        "nn::{op}: the window must be positive sizes, got {window:?}"
    );
    let strides = if strides.is_empty() {
        vec![1; sp]
    } else {
        strides.to_vec()
    };
    assert!(
        strides.len() == sp && strides.iter().all(|&s| s >= 1),
        "nn::{op}: strides {strides:?} must be {sp} positive sizes, as the window {window:?}"
    );
    let was = match x.ndim() {
        n if n == sp + 2 => false,
        n if n == sp + 1 => true,
        _ => panic!(
            "nn::{op}: a {sp}-d window needs an input [N, {sp} spatial, C] or one unbatched \
             example, got {} (called from {})",
            x.aval(),
            std::panic::Location::caller()
        ),
    };
    let xb = if was {
        lax::expand_dims(x, &[0])
    } else {
        x.clone()
    };
    let pads = padding.pads(&xb.shape()[1..=sp], window, &strides, &vec![1; sp]);
    let mut p = vec![(0i64, 0i64)];
    p.extend(pads.iter().map(|&(l, h)| (l as i64, h as i64)));
    p.push((0, 0));
    let mut dims = vec![1];
    dims.extend(window);
    dims.push(1);
    let mut st = vec![1];
    st.extend(&strides);
    st.push(1);
    let ones = vec![1; sp + 2];
    let y = lax::reduce_window(&xb, kind, &dims, &st, &p, &ones, &ones);
    if was {
        lax::squeeze(&y, &[0])
    } else {
        y
    }
}

/// Max pooling of any spatial rank (`flax.linen.max_pool`): `x` is `[N, *spatial, C]` (or one
/// unbatched example) and `window` has one size per spatial dim; padded positions are `-inf`
/// so they never win. Empty `strides` mean 1.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Padding};
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 2.0, 4.0, 3.0], &[1, 5, 1]);
/// let y = nn::max_pool(&x, &[2], &[2], Padding::Same);
/// assert_eq!(y.to_vec::<f32>(), vec![5.0, 4.0, 3.0]);
/// ```
#[track_caller]
pub fn max_pool(x: &Tensor, window: &[usize], strides: &[usize], padding: Padding) -> Tensor {
    pool_nd(x, WindowKind::Max, window, strides, &padding, "max_pool")
}

/// Average pooling of any spatial rank (`flax.linen.avg_pool`); `count_include_pad` divides
/// by the full window (flax's default) rather than by the real inputs in each window.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Padding};
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0], &[1, 3, 1]);
/// assert_eq!(nn::avg_pool(&x, &[2], &[2], Padding::Same, true).to_vec::<f32>(), vec![3.0, 1.5]);
/// assert_eq!(nn::avg_pool(&x, &[2], &[2], Padding::Same, false).to_vec::<f32>(), vec![3.0, 3.0]);
/// ```
#[track_caller]
pub fn avg_pool(
    x: &Tensor,
    window: &[usize],
    strides: &[usize],
    padding: Padding,
    count_include_pad: bool,
) -> Tensor {
    let sums = pool_nd(x, WindowKind::Sum, window, strides, &padding, "avg_pool");
    if count_include_pad || padding == Padding::Valid {
        return sums / window.iter().product::<usize>() as f64;
    }
    // Count the real inputs per window by pooling ones of one example's spatial shape.
    let sp = window.len();
    let mut shape = x.shape()[x.ndim() - sp - 1..x.ndim() - 1].to_vec();
    shape.push(1);
    let ones = Tensor::ones(&shape, x.dtype());
    sums / pool_nd(
        &ones,
        WindowKind::Sum,
        window,
        strides,
        &padding,
        "avg_pool",
    )
}

macro_rules! pool_layer {
    ($(#[$doc:meta])* $name:ident, $d:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(PyTree, Clone, Debug)]
        pub struct $name {
            #[pytree(static)]
            pub window: [usize; $d],
            #[pytree(static)]
            pub strides: [usize; $d],
            #[pytree(static)]
            pub padding: Padding,
            /// Average pools only: divide by the whole window, padding included (flax's
            /// default `true`).
            #[pytree(static)]
            pub count_include_pad: bool,
        }

        impl $name {
            /// A VALID pool with this window and strides (change `padding` and
            /// `count_include_pad` on the value).
            pub fn new(window: [usize; $d], strides: [usize; $d]) -> Self {
                $name { window, strides, padding: Padding::Valid, count_include_pad: true }
            }
        }

        impl Module for $name {
            /// Pools `x` (`[N, *spatial, C]` or one unbatched example).
            #[track_caller]
            fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
                if $max {
                    max_pool(x, &self.window, &self.strides, self.padding.clone())
                } else {
                    avg_pool(x, &self.window, &self.strides, self.padding.clone(), self.count_include_pad)
                }
            }
        }
    };
}

pool_layer!(
    /// 1-d max pooling over NWC inputs as a layer (VALID unless `padding` says otherwise).
    ///
    /// ```
    /// use ferrax::nn::{Ctx, MaxPool1d, Module};
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0, 2.0, 4.0], &[1, 4, 1]);
    /// assert_eq!(MaxPool1d::new([2], [2]).forward(&x, &mut Ctx::eval()).to_vec::<f32>(), vec![5.0, 4.0]);
    /// ```
    MaxPool1d, 1, true
);
pool_layer!(
    /// 3-d max pooling over NDHWC inputs as a layer (VALID unless `padding` says otherwise).
    ///
    /// ```
    /// use ferrax::nn::{Ctx, MaxPool3d, Module};
    /// use ferrax::prelude::*;
    /// let y = MaxPool3d::new([2, 2, 2], [2, 2, 2]).forward(&Tensor::ones(&[1, 4, 4, 4, 3], DType::F32), &mut Ctx::eval());
    /// assert_eq!(y.shape(), &[1, 2, 2, 2, 3]);
    /// ```
    MaxPool3d, 3, true
);
pool_layer!(
    /// 1-d average pooling over NWC inputs as a layer (VALID unless `padding` says
    /// otherwise; `count_include_pad` as flax, default true).
    ///
    /// ```
    /// use ferrax::nn::{AvgPool1d, Ctx, Module, Padding};
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0], &[3, 1]);
    /// let p = AvgPool1d { padding: Padding::Same, count_include_pad: false, ..AvgPool1d::new([2], [2]) };
    /// assert_eq!(p.forward(&x, &mut Ctx::eval()).to_vec::<f32>(), vec![3.0, 3.0]);
    /// ```
    AvgPool1d, 1, false
);
pool_layer!(
    /// 3-d average pooling over NDHWC inputs as a layer (VALID unless `padding` says
    /// otherwise; `count_include_pad` as flax, default true).
    ///
    /// ```
    /// use ferrax::nn::{AvgPool3d, Ctx, Module};
    /// use ferrax::prelude::*;
    /// let y = AvgPool3d::new([2, 2, 2], [2, 2, 2]).forward(&Tensor::ones(&[2, 2, 2, 1], DType::F32), &mut Ctx::eval());
    /// assert_eq!(y.to_vec::<f32>(), vec![1.0]);
    /// ```
    AvgPool3d, 3, false
);

/// The spatial axes of a channels-last input (every axis but the first and the last).
#[track_caller]
fn spatial_axes(x: &Tensor, op: &str) -> Vec<isize> {
    assert!(
        x.ndim() >= 3,
        "nn::{op}: expected [N, *spatial, C] with at least one spatial dim, got {} (called from {})",
        x.aval(),
            std::panic::Location::caller()
        );
    (1..x.ndim() as isize - 1).collect()
}

/// Global average pooling: the mean over every spatial axis of `[N, *spatial, C]`, giving
/// `[N, C]` (the usual classifier head, `x.mean(axis=spatial)` in flax code).
///
/// ```
/// use ferrax::nn::{Ctx, GlobalAvgPool, Module};
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0.0, 8.0, 1.0, DType::F32).reshape(&[1, 2, 2, 2]);
/// assert_eq!(GlobalAvgPool.forward(&x, &mut Ctx::eval()).to_vec::<f32>(), vec![3.0, 4.0]);
/// ```
#[derive(PyTree, Clone, Debug, Default)]
pub struct GlobalAvgPool;

impl Module for GlobalAvgPool {
    /// `[N, *spatial, C] -> [N, C]` by the mean.
    #[track_caller]
    fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
        jnp::mean(x, Some(&spatial_axes(x, "GlobalAvgPool")))
    }
}

/// Global max pooling: the maximum over every spatial axis of `[N, *spatial, C]`, giving
/// `[N, C]`.
///
/// ```
/// use ferrax::nn::{Ctx, GlobalMaxPool, Module};
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0.0, 8.0, 1.0, DType::F32).reshape(&[1, 2, 2, 2]);
/// assert_eq!(GlobalMaxPool.forward(&x, &mut Ctx::eval()).to_vec::<f32>(), vec![6.0, 7.0]);
/// ```
#[derive(PyTree, Clone, Debug, Default)]
pub struct GlobalMaxPool;

impl Module for GlobalMaxPool {
    /// `[N, *spatial, C] -> [N, C]` by the maximum.
    #[track_caller]
    fn forward(&self, x: &Tensor, _cx: &mut Ctx) -> Tensor {
        jnp::max(x, Some(&spatial_axes(x, "GlobalMaxPool")))
    }
}
