//! Reductions over axes, numpy-style: `sum`, `mean`, `var`, `max`, `min`, `prod`, `argmax`,
//! `argmin` (negative axes count from the end; `None` is every axis).

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// The given axes normalized and sorted, or all axes for `None`.
#[track_caller]
fn resolve_axes(x: &Tensor, axes: Option<&[isize]>) -> Vec<usize> {
    match axes {
        Some(a) => normalize_axes(a, x.ndim()),
        None => (0..x.ndim()).collect(),
    }
}

/// Sum over `axes` (all when `None`), numpy-style: bool and int sums count in i32.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::sum(&x, Some(&[-1])).to_vec::<f32>(), vec![3.0, 7.0]);
/// assert_eq!(ferrax::numpy::sum(&x, None).item::<f32>(), 10.0);
/// ```
#[track_caller]
pub fn sum(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let axes = resolve_axes(x, axes);
    let x = if x.dtype() == DType::Bool {
        lax::convert_element_type(x, DType::I32)
    } else {
        x.clone()
    };
    lax::reduce_sum(&x, &axes)
}

/// Mean over `axes` (all when `None`); integers average in f32.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::mean(&x, Some(&[0])).to_vec::<f32>(), vec![2.0, 3.0]);
/// ```
#[track_caller]
pub fn mean(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let axes_n = resolve_axes(x, axes);
    let count: usize = axes_n.iter().map(|&a| x.shape()[a]).product();
    let x = if x.dtype().is_float() {
        x.clone()
    } else {
        lax::convert_element_type(x, DType::F32)
    };
    let s = lax::reduce_sum(&x, &axes_n);
    divide(&s, count as f64)
}

/// Variance over `axes` (population variance, `ddof = 0`, as `jnp.var`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 3.0], &[2]);
/// assert_eq!(ferrax::numpy::var(&x, None).item::<f32>(), 1.0);
/// ```
#[track_caller]
pub fn var(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let axes_n = resolve_axes(x, axes);
    let axes_i: Vec<isize> = axes_n.iter().map(|&a| a as isize).collect();
    let m = keepdims(&mean(x, Some(&axes_i)), x.shape(), &axes_n);
    let d = subtract(x, &m);
    mean(&multiply(&d, &d), Some(&axes_i))
}

/// Re-inserts reduced axes as size-1 dims (numpy's `keepdims=True`).
#[track_caller]
fn keepdims(reduced: &Tensor, orig_shape: &[usize], axes: &[usize]) -> Tensor {
    let shape: Vec<usize> = orig_shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
        .collect();
    let dims: Vec<usize> = (0..orig_shape.len())
        .filter(|i| !axes.contains(i))
        .collect();
    lax::broadcast_in_dim(reduced, &shape, &dims)
}

/// Maximum over `axes` (all when `None`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::max(&x, Some(&[1])).to_vec::<f32>(), vec![5.0, 4.0]);
/// ```
#[track_caller]
pub fn max(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let axes = resolve_axes(x, axes);
    lax::reduce_max(x, &axes)
}

/// Minimum over `axes` (all when `None`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::min(&x, None).item::<f32>(), 1.0);
/// ```
#[track_caller]
pub fn min(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let axes = resolve_axes(x, axes);
    lax::reduce_min(x, &axes)
}

/// Product over `axes` (all when `None`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::prod(&x, None).item::<f32>(), 24.0);
/// ```
#[track_caller]
pub fn prod(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let axes = resolve_axes(x, axes);
    lax::reduce_prod(x, &axes)
}

/// Index of the maximum along `axis` (of the flattened tensor when `None`), as i32.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::argmax(&x, Some(-1)).to_vec::<i32>(), vec![1, 1]);
/// assert_eq!(ferrax::numpy::argmax(&x, None).item::<i32>(), 1);
/// ```
#[track_caller]
pub fn argmax(x: &Tensor, axis: Option<isize>) -> Tensor {
    match axis {
        Some(a) => lax::argmax(x, normalize_axis(a, x.ndim()), DType::I32),
        None => lax::argmax(&reshape(x, &[-1]), 0, DType::I32),
    }
}

/// Index of the minimum along `axis` (of the flattened tensor when `None`), as i32.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 0.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::argmin(&x, Some(0)).to_vec::<i32>(), vec![0, 1]);
/// ```
#[track_caller]
pub fn argmin(x: &Tensor, axis: Option<isize>) -> Tensor {
    match axis {
        Some(a) => lax::argmin(x, normalize_axis(a, x.ndim()), DType::I32),
        None => lax::argmin(&reshape(x, &[-1]), 0, DType::I32),
    }
}
