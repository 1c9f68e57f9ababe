//! Differences and integration, `jax.numpy` style: `diff`, `ediff1d`, `gradient` (uniform
//! spacing, JAX's `edge_order=1`), `trapezoid`, `interp` (1-D, linear).

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// `x[start..stop]` along axis `a` (already normalized; `stop` may be negative).
fn sl(x: &Tensor, a: usize, start: isize, stop: isize) -> Tensor {
    slice_axis(x, a as isize, start, stop)
}

/// `jnp.diff(x, n, axis)`: the `n`-th forward difference along `axis` (JAX's defaults are
/// `n=1`, `axis=-1`); bools give `not_equal` of neighbours.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 4, 9, 16], &[4]);
/// assert_eq!(ferrax::numpy::diff(&x, 1, -1).to_vec::<i32>(), vec![3, 5, 7]);
/// assert_eq!(ferrax::numpy::diff(&x, 2, -1).to_vec::<i32>(), vec![2, 2]);
/// ```
#[track_caller]
pub fn diff(x: &Tensor, n: usize, axis: isize) -> Tensor {
    assert!(
        x.ndim() >= 1,
        "diff: needs rank >= 1, got shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    let a = normalize_axis(axis, x.ndim());
    let mut out = x.clone();
    for _ in 0..n {
        if out.shape()[a] == 0 {
            break;
        }
        let len = out.shape()[a] as isize;
        let (hi, lo) = (sl(&out, a, 1, len), sl(&out, a, 0, len - 1));
        out = if out.dtype() == DType::Bool {
            not_equal(&hi, &lo)
        } else {
            lax::sub(&hi, &lo)
        };
    }
    out
}

/// `jnp.ediff1d(x)`: differences of consecutive elements of the flattened `x`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 4.0, 7.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::ediff1d(&x).to_vec::<f32>(), vec![1.0, 2.0, 3.0]);
/// ```
#[track_caller]
pub fn ediff1d(x: &Tensor) -> Tensor {
    diff(&ravel(x), 1, 0)
}

/// Options of [`gradient_with`]: the uniform sample `spacing` (1 by default, as JAX).
#[derive(Clone, Copy, Debug)]
pub struct Gradient {
    /// The distance between samples, on every axis.
    pub spacing: f64,
}

impl Default for Gradient {
    fn default() -> Self {
        Gradient { spacing: 1.0 }
    }
}

/// `jnp.gradient(f, axis=axis)`: central differences inside, one-sided at the edges, one
/// tensor per axis (every axis for `None`; JAX returns a bare array when there is one).
///
/// ```
/// use ferrax::prelude::*;
/// let f = Tensor::from_vec(vec![1.0f32, 2.0, 4.0, 7.0], &[4]);
/// let g = ferrax::numpy::gradient(&f, None);
/// assert_eq!(g[0].to_vec::<f32>(), vec![1.0, 1.5, 2.5, 3.0]);
/// ```
#[track_caller]
pub fn gradient(f: &Tensor, axis: Option<isize>) -> Vec<Tensor> {
    gradient_with(f, axis, Gradient::default())
}

/// [`gradient`] with a sample spacing.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{gradient_with, Gradient};
/// let f = Tensor::from_vec(vec![1.0f32, 2.0, 4.0, 7.0], &[4]);
/// let g = gradient_with(&f, Some(0), Gradient { spacing: 0.5 });
/// assert_eq!(g[0].to_vec::<f32>(), vec![2.0, 3.0, 5.0, 6.0]);
/// ```
#[track_caller]
pub fn gradient_with(f: &Tensor, axis: Option<isize>, opts: Gradient) -> Vec<Tensor> {
    let f = ufuncs::to_float(f);
    let axes: Vec<usize> = match axis {
        Some(a) => vec![normalize_axis(a, f.ndim())],
        None => (0..f.ndim()).collect(),
    };
    let h = Tensor::full(&[], opts.spacing, f.dtype());
    axes.into_iter()
        .map(|a| {
            let n = f.shape()[a] as isize;
            assert!(
                n >= 2,
                "gradient: axis {a} of shape {:?} needs at least 2 samples (called from {})",
                f.shape(),
                std::panic::Location::caller()
            );
            let upper = lax::div(&lax::sub(&sl(&f, a, 1, 2), &sl(&f, a, 0, 1)), &h);
            let lower = lax::div(
                &lax::sub(&sl(&f, a, n - 1, n), &sl(&f, a, n - 2, n - 1)),
                &h,
            );
            let inner = lax::sub(&sl(&f, a, 2, n), &sl(&f, a, 0, n - 2));
            let inner = lax::div(&multiply(&inner, 0.5), &h);
            lax::concatenate(&[upper, inner, lower], a)
        })
        .collect()
}

/// Options of [`trapezoid_with`]: sample points `x` (1-D along the axis, or `y`'s shape), or
/// else the uniform spacing `dx` (1 by default, as JAX).
#[derive(Clone, Debug)]
pub struct Trapezoid {
    /// The sample points.
    pub x: Option<Tensor>,
    /// The spacing when `x` is `None`.
    pub dx: f64,
}

impl Default for Trapezoid {
    fn default() -> Self {
        Trapezoid { x: None, dx: 1.0 }
    }
}

/// `jnp.trapezoid(y, axis=axis)`: the trapezoidal rule along `axis` (JAX's default -1)
/// with unit spacing.
///
/// ```
/// use ferrax::prelude::*;
/// let y = Tensor::from_vec(vec![1.0f32, 2.0, 4.0], &[3]);
/// assert_eq!(ferrax::numpy::trapezoid(&y, -1).item::<f32>(), 4.5);
/// ```
#[track_caller]
pub fn trapezoid(y: &Tensor, axis: isize) -> Tensor {
    trapezoid_with(y, axis, Trapezoid::default())
}

/// [`trapezoid`] with sample points or a spacing.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{trapezoid_with, Trapezoid};
/// let y = Tensor::from_vec(vec![1.0f32, 2.0, 4.0], &[3]);
/// let x = Tensor::from_vec(vec![0.0f32, 1.0, 3.0], &[3]);
/// let t = trapezoid_with(&y, -1, Trapezoid { x: Some(x), ..Default::default() });
/// assert_eq!(t.item::<f32>(), 7.5);
/// ```
#[track_caller]
pub fn trapezoid_with(y: &Tensor, axis: isize, opts: Trapezoid) -> Tensor {
    let y = ufuncs::to_float(y);
    let a = normalize_axis(axis, y.ndim());
    let dx = match &opts.x {
        None => Tensor::full(&[], opts.dx, y.dtype()),
        Some(x) if x.ndim() == 1 => diff(x, 1, 0),
        Some(x) => moveaxis(&diff(x, 1, axis), a as isize, -1),
    };
    let y = moveaxis(&y, a as isize, -1);
    let n = y.shape()[y.ndim() - 1] as isize;
    let last = y.ndim() as isize - 1;
    let pairs = add(slice_axis(&y, last, 1, n), slice_axis(&y, last, 0, n - 1));
    multiply(0.5, sum(&multiply(&dx, &pairs), Some(&[-1])))
}

/// Options of [`interp_with`]: the values `left` of `xp[0]` and `right` of `xp[-1]` (JAX's
/// defaults: `fp[0]` and `fp[-1]`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Interp {
    /// The value for `x < xp[0]`.
    pub left: Option<f64>,
    /// The value for `x > xp[-1]`.
    pub right: Option<f64>,
}

/// `jnp.interp(x, xp, fp)`: piecewise-linear interpolation of the points `(xp, fp)` (`xp`
/// increasing, 1-D) at `x`.
///
/// ```
/// use ferrax::prelude::*;
/// let xp = Tensor::from_vec(vec![0.0f32, 1.0, 3.0], &[3]);
/// let fp = Tensor::from_vec(vec![0.0f32, 10.0, 30.0], &[3]);
/// let x = Tensor::from_vec(vec![-1.0f32, 0.5, 2.0, 4.0], &[4]);
/// assert_eq!(ferrax::numpy::interp(&x, &xp, &fp).to_vec::<f32>(), vec![0.0, 5.0, 20.0, 30.0]);
/// ```
#[track_caller]
pub fn interp(x: &Tensor, xp: &Tensor, fp: &Tensor) -> Tensor {
    interp_with(x, xp, fp, Interp::default())
}

/// [`interp`] with `left`/`right` values.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{interp_with, Interp};
/// let xp = Tensor::from_vec(vec![0.0f32, 1.0], &[2]);
/// let x = Tensor::from_vec(vec![-1.0f32, 2.0], &[2]);
/// let y = interp_with(&x, &xp, &xp, Interp { left: Some(-9.0), right: None });
/// assert_eq!(y.to_vec::<f32>(), vec![-9.0, 1.0]);
/// ```
#[track_caller]
pub fn interp_with(x: &Tensor, xp: &Tensor, fp: &Tensor, opts: Interp) -> Tensor {
    assert!(
        xp.ndim() == 1 && fp.ndim() == 1 && xp.shape() == fp.shape() && xp.shape()[0] >= 1,
        "interp: xp and fp must be 1-D of equal non-zero length, got {:?} and {:?} \
         (called from {})",
        xp.shape(),
        fp.shape(),
        std::panic::Location::caller()
    );
    let dt = DType::promote(
        DType::promote(x.dtype(), xp.dtype()),
        DType::promote(fp.dtype(), DType::F32),
    );
    let (x, xp, fp) = (
        lax::convert_element_type(x, dt),
        lax::convert_element_type(xp, dt),
        lax::convert_element_type(fp, dt),
    );
    let n = xp.shape()[0] as i32;
    let i = clip(
        &searchsorted_with(&xp, &x, SearchSorted { side: Side::Right }),
        1,
        (n - 1).max(1),
    );
    let im1 = subtract(&i, 1);
    let (fp_i, fp_im1) = (take(&fp, &i, 0), take(&fp, &im1, 0));
    let (xp_i, xp_im1) = (take(&xp, &i, 0), take(&xp, &im1, 0));
    let df = lax::sub(&fp_i, &fp_im1);
    let dx = lax::sub(&xp_i, &xp_im1);
    let delta = lax::sub(&x, &xp_im1);
    // numpy's spacing(finfo.eps): the gap above eps.
    let eps = match dt {
        DType::F64 => f64::EPSILON * f64::EPSILON,
        _ => (f32::EPSILON as f64) * (f32::EPSILON as f64),
    };
    let dx0 = lax::abs(&dx).le(eps);
    let step = multiply(divide(&delta, where_(&dx0, 1.0, &dx)), &df);
    let f = where_(&dx0, &fp_im1, add(&fp_im1, &step));
    let first = |t: &Tensor| index_axis(t, 0, 0);
    let last = |t: &Tensor| index_axis(t, 0, -1);
    let lv = opts
        .left
        .map_or_else(|| first(&fp), |v| Tensor::full(&[], v, dt));
    let rv = opts
        .right
        .map_or_else(|| last(&fp), |v| Tensor::full(&[], v, dt));
    let f = where_(&x.lt(first(&xp)), &lv, &f);
    where_(&x.gt(last(&xp)), &rv, &f)
}
