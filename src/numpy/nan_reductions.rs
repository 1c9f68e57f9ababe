//! NaN-ignoring reductions (`nansum`, `nanprod`, `nanmax`, `nanmin`, `nanmean`, `nanvar`,
//! `nanstd`, `nanargmax`, `nanargmin`, `nancumsum`, `nancumprod`) and the array-API
//! `cumulative_sum`/`cumulative_prod`, as JAX writes them: NaNs replaced by the reduction's
//! identity, then the plain reduction. Integer and bool inputs have no NaNs and go straight
//! to the plain reduction.

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// `x` with NaNs replaced by `fill` (unchanged for non-float dtypes).
fn replace_nan(x: &Tensor, fill: f64) -> Tensor {
    if x.dtype().is_float() {
        where_(&isnan(x), fill, x)
    } else {
        x.clone()
    }
}

/// The reduced axes, normalized (all for `None`).
#[track_caller]
fn axes_of(x: &Tensor, axes: Option<&[isize]>) -> Vec<usize> {
    match axes {
        Some(a) => normalize_axes(a, x.ndim()),
        None => (0..x.ndim()).collect(),
    }
}

/// A reduced tensor reshaped to keep the reduced axes as size 1 (JAX's `keepdims=True`).
fn keepdims(r: &Tensor, x: &Tensor, axes: &[usize]) -> Tensor {
    let s: Vec<usize> = (0..x.ndim())
        .map(|d| if axes.contains(&d) { 1 } else { x.shape()[d] })
        .collect();
    lax::reshape(r, &s)
}

/// `jnp.nansum`: [`sum`] treating NaNs as 0.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, f32::NAN, 3.0], &[3]);
/// assert_eq!(ferrax::numpy::nansum(&x, None).item::<f32>(), 4.0);
/// ```
#[track_caller]
pub fn nansum(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    sum(&replace_nan(x, 0.0), axes)
}

/// `jnp.nanprod`: [`prod`] treating NaNs as 1.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![2.0f32, f32::NAN, 3.0], &[3]);
/// assert_eq!(ferrax::numpy::nanprod(&x, None).item::<f32>(), 6.0);
/// ```
#[track_caller]
pub fn nanprod(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    prod(&replace_nan(x, 1.0), axes)
}

/// NaN where every reduced element of `x` is NaN, else `out`.
fn nan_if_all_nan(out: &Tensor, x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    if !x.dtype().is_float() {
        return out.clone();
    }
    where_(&all(&isnan(x), axes), f64::NAN, out)
}

/// `jnp.nanmax`: [`max`] ignoring NaNs (NaN where all are NaN).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, f32::NAN, f32::NAN, f32::NAN], &[2, 2]);
/// let m = ferrax::numpy::nanmax(&x, Some(&[1])).to_vec::<f32>();
/// assert_eq!(m[0], 1.0);
/// assert!(m[1].is_nan());
/// ```
#[track_caller]
pub fn nanmax(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let out = max(&replace_nan(x, f64::NEG_INFINITY), axes);
    nan_if_all_nan(&out, x, axes)
}

/// `jnp.nanmin`: [`min`] ignoring NaNs (NaN where all are NaN).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, f32::NAN, 3.0], &[3]);
/// assert_eq!(ferrax::numpy::nanmin(&x, None).item::<f32>(), 1.0);
/// ```
#[track_caller]
pub fn nanmin(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let out = min(&replace_nan(x, f64::INFINITY), axes);
    nan_if_all_nan(&out, x, axes)
}

/// How many elements of `x` are not NaN over `axes`, in `x`'s dtype.
fn count_not_nan(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let m = lax::convert_element_type(&logical_not(&isnan(x)), x.dtype());
    sum(&m, axes)
}

/// `jnp.nanmean`: the mean of the non-NaN elements (NaN where there are none).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, f32::NAN, 3.0], &[3]);
/// assert_eq!(ferrax::numpy::nanmean(&x, None).item::<f32>(), 2.0);
/// ```
#[track_caller]
pub fn nanmean(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    if !x.dtype().is_float() {
        return mean(x, axes);
    }
    lax::div(&nansum(x, axes), &count_not_nan(x, axes))
}

/// `jnp.nanvar`: the variance of the non-NaN elements (`ddof = 0`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, f32::NAN, 3.0], &[3]);
/// assert_eq!(ferrax::numpy::nanvar(&x, None).item::<f32>(), 1.0);
/// ```
#[track_caller]
pub fn nanvar(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    nanvar_with(x, axes, Ddof::default())
}

/// `jnp.nanvar(x, axis, ddof=...)`: NaN where fewer than `ddof + 1` elements are not NaN.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{nanvar_with, Ddof};
/// let x = Tensor::from_vec(vec![1.0f32, f32::NAN, 3.0], &[3]);
/// assert_eq!(nanvar_with(&x, None, Ddof { ddof: 1 }).item::<f32>(), 2.0);
/// ```
#[track_caller]
pub fn nanvar_with(x: &Tensor, axes: Option<&[isize]>, opts: Ddof) -> Tensor {
    let x = ufuncs::to_float(x);
    let ax = axes_of(&x, axes);
    let m = keepdims(&nanmean(&x, axes), &x, &ax);
    let centered = where_(&isnan(&x), 0.0, lax::sub(&x, &broadcast_to(&m, x.shape())));
    let total = sum(&lax::mul(&centered, &centered), axes);
    let n = subtract(count_not_nan(&x, axes), opts.ddof as f64);
    let empty = n.le(0.0);
    let total = where_(&empty, f64::NAN, &total);
    lax::div(&total, &where_(&empty, 1.0, &n))
}

/// `jnp.nanstd`: the square root of [`nanvar`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, f32::NAN, 3.0], &[3]);
/// assert_eq!(ferrax::numpy::nanstd(&x, None).item::<f32>(), 1.0);
/// ```
#[track_caller]
pub fn nanstd(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    lax::sqrt(&nanvar(x, axes))
}

/// `jnp.nanstd(x, axis, ddof=...)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{nanstd_with, Ddof};
/// let x = Tensor::from_vec(vec![1.0f32, 3.0], &[2]);
/// assert_eq!(nanstd_with(&x, None, Ddof { ddof: 1 }).item::<f32>(), 2.0f32.sqrt());
/// ```
#[track_caller]
pub fn nanstd_with(x: &Tensor, axes: Option<&[isize]>, opts: Ddof) -> Tensor {
    lax::sqrt(&nanvar_with(x, axes, opts))
}

/// `jnp.nanargmax`: [`argmax`] ignoring NaNs; -1 where all are NaN.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![f32::NAN, 1.0, f32::NAN, f32::NAN], &[2, 2]);
/// assert_eq!(ferrax::numpy::nanargmax(&x, Some(1)).to_vec::<i32>(), vec![1, -1]);
/// ```
#[track_caller]
pub fn nanargmax(x: &Tensor, axis: Option<isize>) -> Tensor {
    if !x.dtype().is_float() {
        return argmax(x, axis);
    }
    let res = argmax(&replace_nan(x, f64::NEG_INFINITY), axis);
    let a = axis.map(|a| [a]);
    where_(&all(&isnan(x), a.as_ref().map(|a| &a[..])), -1, &res)
}

/// `jnp.nanargmin`: [`argmin`] ignoring NaNs; -1 where all are NaN.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![f32::NAN, 1.0, 0.5], &[3]);
/// assert_eq!(ferrax::numpy::nanargmin(&x, None).item::<i32>(), 2);
/// ```
#[track_caller]
pub fn nanargmin(x: &Tensor, axis: Option<isize>) -> Tensor {
    if !x.dtype().is_float() {
        return argmin(x, axis);
    }
    let res = argmin(&replace_nan(x, f64::INFINITY), axis);
    let a = axis.map(|a| [a]);
    where_(&all(&isnan(x), a.as_ref().map(|a| &a[..])), -1, &res)
}

/// `jnp.nancumsum`: [`cumsum`] treating NaNs as 0.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, f32::NAN, 3.0], &[3]);
/// assert_eq!(ferrax::numpy::nancumsum(&x, None).to_vec::<f32>(), vec![1.0, 1.0, 4.0]);
/// ```
#[track_caller]
pub fn nancumsum(x: &Tensor, axis: Option<isize>) -> Tensor {
    cumsum(&replace_nan(x, 0.0), axis)
}

/// `jnp.nancumprod`: [`cumprod`] treating NaNs as 1.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![2.0f32, f32::NAN, 3.0], &[3]);
/// assert_eq!(ferrax::numpy::nancumprod(&x, None).to_vec::<f32>(), vec![2.0, 2.0, 6.0]);
/// ```
#[track_caller]
pub fn nancumprod(x: &Tensor, axis: Option<isize>) -> Tensor {
    cumprod(&replace_nan(x, 1.0), axis)
}

/// Options of [`cumulative_sum_with`] and [`cumulative_prod_with`]: `include_initial`
/// prepends the identity (0 or 1) along the axis (false by default, as JAX).
#[derive(Clone, Copy, Debug, Default)]
pub struct Cumulative {
    /// Whether the output starts with the identity element.
    pub include_initial: bool,
}

#[track_caller]
fn cumulative(
    name: &str,
    x: &Tensor,
    axis: Option<isize>,
    opts: Cumulative,
    identity: f64,
    f: fn(&Tensor, Option<isize>) -> Tensor,
) -> Tensor {
    let axis = match axis {
        Some(a) => a,
        None if x.ndim() == 1 => 0,
        None => panic!(
            "{name}: axis must be given for rank {} input {:?} (called from {})",
            x.ndim(),
            x.shape(),
            std::panic::Location::caller()
        ),
    };
    let x = if x.dtype() == DType::Bool {
        lax::convert_element_type(x, DType::I32)
    } else {
        x.clone()
    };
    let out = f(&x, Some(axis));
    if !opts.include_initial {
        return out;
    }
    let a = normalize_axis(axis, x.ndim());
    let mut s = x.shape().to_vec();
    s[a] = 1;
    let init = Tensor::full(&s, identity, out.dtype());
    lax::concatenate(&[init, out], a)
}

/// `jnp.cumulative_sum(x, axis)`: [`cumsum`] in the array-API form (`axis` may be `None`
/// only for 1-D input).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3], &[3]);
/// assert_eq!(ferrax::numpy::cumulative_sum(&x, None).to_vec::<i32>(), vec![1, 3, 6]);
/// ```
#[track_caller]
pub fn cumulative_sum(x: &Tensor, axis: Option<isize>) -> Tensor {
    cumulative(
        "cumulative_sum",
        x,
        axis,
        Cumulative::default(),
        0.0,
        cumsum,
    )
}

/// `jnp.cumulative_sum` with `include_initial`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{cumulative_sum_with, Cumulative};
/// let x = Tensor::from_vec(vec![1, 2, 3], &[3]);
/// let y = cumulative_sum_with(&x, None, Cumulative { include_initial: true });
/// assert_eq!(y.to_vec::<i32>(), vec![0, 1, 3, 6]);
/// ```
#[track_caller]
pub fn cumulative_sum_with(x: &Tensor, axis: Option<isize>, opts: Cumulative) -> Tensor {
    cumulative("cumulative_sum", x, axis, opts, 0.0, cumsum)
}

/// `jnp.cumulative_prod(x, axis)`: [`cumprod`] in the array-API form.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3], &[3]);
/// assert_eq!(ferrax::numpy::cumulative_prod(&x, None).to_vec::<i32>(), vec![1, 2, 6]);
/// ```
#[track_caller]
pub fn cumulative_prod(x: &Tensor, axis: Option<isize>) -> Tensor {
    cumulative(
        "cumulative_prod",
        x,
        axis,
        Cumulative::default(),
        1.0,
        cumprod,
    )
}

/// `jnp.cumulative_prod` with `include_initial`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{cumulative_prod_with, Cumulative};
/// let x = Tensor::from_vec(vec![2, 3], &[2]);
/// let y = cumulative_prod_with(&x, Some(0), Cumulative { include_initial: true });
/// assert_eq!(y.to_vec::<i32>(), vec![1, 2, 6]);
/// ```
#[track_caller]
pub fn cumulative_prod_with(x: &Tensor, axis: Option<isize>, opts: Cumulative) -> Tensor {
    cumulative("cumulative_prod", x, axis, opts, 1.0, cumprod)
}
