//! More reductions, `jax.numpy` style: `all`, `any`, `std`, `ptp`, `cumsum`, `cumprod`,
//! `average`, `count_nonzero` (axes as in `reductions.rs`: `None` is every axis, negative
//! axes count from the end).

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// `x != 0` as bool (bools unchanged).
fn truthy(x: &Tensor) -> Tensor {
    if x.dtype() == DType::Bool {
        x.clone()
    } else {
        x.ne(0)
    }
}

/// `jnp.all`: whether every element over `axes` is non-zero (true for empty reductions).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![true, false, true, true], &[2, 2]);
/// assert_eq!(ferrax::numpy::all(&x, Some(&[-1])).to_vec::<bool>(), vec![false, true]);
/// ```
#[track_caller]
pub fn all(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let falses = lax::convert_element_type(&lax::not(&truthy(x)), DType::I32);
    sum(&falses, axes).eq(0)
}

/// `jnp.any`: whether some element over `axes` is non-zero (false for empty reductions).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32, 0.0, 1.0, 0.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::any(&x, Some(&[1])).to_vec::<bool>(), vec![false, true]);
/// ```
#[track_caller]
pub fn any(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let trues = lax::convert_element_type(&truthy(x), DType::I32);
    sum(&trues, axes).gt(0)
}

/// Options of [`var_with`] and [`std_with`]: `ddof`, the delta degrees of freedom (the
/// divisor is `n - ddof`; 0 by default, as JAX).
#[derive(Clone, Copy, Debug, Default)]
pub struct Ddof {
    /// Delta degrees of freedom.
    pub ddof: usize,
}

/// `jnp.var(x, axis, ddof=...)`: [`var`] with a `ddof`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, Ddof};
/// let x = Tensor::from_vec(vec![1.0f32, 3.0], &[2]);
/// assert_eq!(jnp::var_with(&x, None, Ddof { ddof: 1 }).item::<f32>(), 2.0);
/// ```
#[track_caller]
pub fn var_with(x: &Tensor, axes: Option<&[isize]>, opts: Ddof) -> Tensor {
    if opts.ddof == 0 {
        return var(x, axes);
    }
    let axes_n: Vec<usize> = match axes {
        Some(a) => normalize_axes(a, x.ndim()),
        None => (0..x.ndim()).collect(),
    };
    let n: usize = axes_n.iter().map(|&a| x.shape()[a]).product();
    let v = var(x, axes);
    let scale = n as f64 / (n as f64 - opts.ddof as f64);
    multiply(&v, scale)
}

/// `jnp.std`: the square root of [`var`] over `axes`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 3.0], &[2]);
/// assert_eq!(ferrax::numpy::std(&x, None).item::<f32>(), 1.0);
/// ```
#[track_caller]
pub fn std(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    lax::sqrt(&var(x, axes))
}

/// `jnp.std(x, axis, ddof=...)`: [`std`] with a `ddof`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, Ddof};
/// let x = Tensor::from_vec(vec![1.0f32, 3.0], &[2]);
/// assert_eq!(jnp::std_with(&x, None, Ddof { ddof: 1 }).item::<f32>(), 2f32.sqrt());
/// ```
#[track_caller]
pub fn std_with(x: &Tensor, axes: Option<&[isize]>, opts: Ddof) -> Tensor {
    lax::sqrt(&var_with(x, axes, opts))
}

/// `jnp.ptp`: `max - min` over `axes`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::ptp(&x, Some(&[1])).to_vec::<f32>(), vec![4.0, 1.0]);
/// ```
#[track_caller]
pub fn ptp(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    subtract(max(x, axes), min(x, axes))
}

/// The operand of a cumulative op: flattened when `axis` is `None`, bools counted as i32.
#[track_caller]
fn cumulative_operand(x: &Tensor, axis: Option<isize>) -> (Tensor, usize) {
    let x = if x.dtype() == DType::Bool {
        lax::convert_element_type(x, DType::I32)
    } else {
        x.clone()
    };
    match axis {
        None => (reshape(&x, &[-1]), 0),
        Some(a) => {
            let a = normalize_axis(a, x.ndim());
            (x, a)
        }
    }
}

/// `jnp.cumsum`: running sum along `axis` (of the flattened tensor when `None`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// assert_eq!(ferrax::numpy::cumsum(&x, Some(-1)).to_vec::<i32>(), vec![1, 3, 3, 7]);
/// assert_eq!(ferrax::numpy::cumsum(&x, None).to_vec::<i32>(), vec![1, 3, 6, 10]);
/// ```
#[track_caller]
pub fn cumsum(x: &Tensor, axis: Option<isize>) -> Tensor {
    let (x, a) = cumulative_operand(x, axis);
    lax::cumsum(&x, a, false)
}

/// `jnp.cumprod`: running product along `axis` (of the flattened tensor when `None`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::cumprod(&x, Some(0)).to_vec::<f32>(), vec![1.0, 2.0, 3.0, 8.0]);
/// ```
#[track_caller]
pub fn cumprod(x: &Tensor, axis: Option<isize>) -> Tensor {
    let (x, a) = cumulative_operand(x, axis);
    lax::cumprod(&x, a, false)
}

/// Options of [`average_with`]: the `weights` (same shape as `x`, or 1-D along the single
/// reduced axis).
#[derive(Clone, Debug, Default)]
pub struct Average {
    /// Weights; `None` gives the plain [`mean`].
    pub weights: Option<Tensor>,
}

/// `jnp.average(x, axis)`: without weights, the [`mean`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 3.0], &[2]);
/// assert_eq!(ferrax::numpy::average(&x, None).item::<f32>(), 2.0);
/// ```
#[track_caller]
pub fn average(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    mean(x, axes)
}

/// `jnp.average(x, axis, weights)`: `sum(x * w) / sum(w)` over `axes`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, Average};
/// let x = Tensor::from_vec(vec![1.0f32, 3.0], &[2]);
/// let w = Tensor::from_vec(vec![3.0f32, 1.0], &[2]);
/// assert_eq!(jnp::average_with(&x, None, Average { weights: Some(w) }).item::<f32>(), 1.5);
/// ```
#[track_caller]
pub fn average_with(x: &Tensor, axes: Option<&[isize]>, opts: Average) -> Tensor {
    let Some(w) = opts.weights else {
        return mean(x, axes);
    };
    let w = if w.shape() == x.shape() {
        w
    } else {
        let axis = match axes {
            Some([a]) if w.ndim() == 1 => normalize_axis(*a, x.ndim()),
            _ => panic!(
                "average: weights of shape {:?} differ from the input's {:?}; 1-D weights \
                 need exactly one axis (called from {})",
                w.shape(),
                x.shape(),
                std::panic::Location::caller()
            ),
        };
        assert!(
            w.shape()[0] == x.shape()[axis],
            "average: weights of length {} do not match axis {axis} of shape {:?} (called from {})",
            w.shape()[0],
            x.shape(),
            std::panic::Location::caller()
        );
        lax::broadcast_in_dim(&w, x.shape(), &[axis])
    };
    let (x, w) = promote_named("average", x, &w);
    let (x, w) = (super::ufuncs::to_float(&x), super::ufuncs::to_float(&w));
    divide(sum(&multiply(&x, &w), axes), sum(&w, axes))
}

/// `jnp.count_nonzero`: how many elements over `axes` are non-zero (i32).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32, 2.0, 3.0, 0.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::count_nonzero(&x, Some(&[0])).to_vec::<i32>(), vec![1, 1]);
/// ```
#[track_caller]
pub fn count_nonzero(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    sum(&lax::convert_element_type(&truthy(x), DType::I32), axes)
}
