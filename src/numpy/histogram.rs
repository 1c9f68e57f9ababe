//! Histograms and static-size selections, `jax.numpy` style: `histogram_bin_edges`,
//! `histogram` (a static number of equal bins), `compress` and `extract` (JAX's `size=`).

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// Options of [`histogram_bin_edges_with`] and [`histogram_with`]: the `range` (the data's
/// min and max when `None`), `weights` (same shape as the data) and `density`.
#[derive(Clone, Debug, Default)]
pub struct Histogram {
    /// The lower and upper edge.
    pub range: Option<(f64, f64)>,
    /// Each element's weight (histogram only).
    pub weights: Option<Tensor>,
    /// Normalize to a probability density (histogram only).
    pub density: bool,
}

/// `jnp.histogram_bin_edges(a, bins)`: `bins + 1` equally spaced edges over the data's
/// range (widened by 0.5 each way if it is a single value).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 3.0, 2.0], &[3]);
/// let e = ferrax::numpy::histogram_bin_edges(&a, 2);
/// assert_eq!(e.to_vec::<f32>(), vec![1.0, 2.0, 3.0]);
/// ```
#[track_caller]
pub fn histogram_bin_edges(a: &Tensor, bins: usize) -> Tensor {
    histogram_bin_edges_with(a, bins, Histogram::default())
}

/// [`histogram_bin_edges`] with a `range`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{histogram_bin_edges_with, Histogram};
/// let a = Tensor::from_vec(vec![1.0f32], &[1]);
/// let o = Histogram { range: Some((0.0, 4.0)), ..Default::default() };
/// assert_eq!(histogram_bin_edges_with(&a, 4, o).to_vec::<f32>(), vec![0.0, 1.0, 2.0, 3.0, 4.0]);
/// ```
#[track_caller]
pub fn histogram_bin_edges_with(a: &Tensor, bins: usize, opts: Histogram) -> Tensor {
    assert!(
        bins >= 1,
        "histogram_bin_edges: needs at least one bin, got {bins} for shape {:?} (called from {})",
        a.shape(),
        std::panic::Location::caller()
    );
    let a = ufuncs::to_float(a);
    let dt = a.dtype();
    let (lo, hi) = match opts.range {
        Some((l, h)) => (Tensor::full(&[], l, dt), Tensor::full(&[], h, dt)),
        None => (min(&a, None), max(&a, None)),
    };
    let flat = lax::eq(&lax::sub(&hi, &lo), &Tensor::full(&[], 0.0, dt));
    let lo = where_(&flat, subtract(&lo, 0.5), &lo);
    let hi = where_(&flat, add(&hi, 0.5), &hi);
    // JAX's linspace with traced endpoints: start * (1 - t) + stop * t, t = i * (1 / div).
    let recip = lax::div(
        &Tensor::full(&[], 1.0, dt),
        &Tensor::full(&[], bins as f64, dt),
    );
    let t = lax::mul(&lax::iota(dt, &[bins], 0), &recip);
    let one_minus = lax::sub(&Tensor::full(&[], 1.0, dt), &t);
    let out = add(multiply(&lo, &one_minus), multiply(&hi, &t));
    lax::concatenate(&[out, lax::reshape(&hi, &[1])], 0)
}

/// `jnp.histogram(a, bins)`: `(counts, edges)` over `bins` equal bins of the flattened data
/// (the last bin includes its right edge); counts are f32 (the weights' dtype).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 2.5, 3.0], &[4]);
/// let (c, e) = ferrax::numpy::histogram(&a, 2);
/// assert_eq!(c.to_vec::<f32>(), vec![1.0, 3.0]);
/// assert_eq!(e.to_vec::<f32>(), vec![1.0, 2.0, 3.0]);
/// ```
#[track_caller]
pub fn histogram(a: &Tensor, bins: usize) -> (Tensor, Tensor) {
    histogram_with(a, bins, Histogram::default())
}

/// [`histogram`] with `range`, `weights` and `density`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{histogram_with, Histogram};
/// let a = Tensor::from_vec(vec![0.5f32, 1.5, 1.6], &[3]);
/// let o = Histogram { range: Some((0.0, 2.0)), density: true, ..Default::default() };
/// let (c, _) = histogram_with(&a, 2, o);
/// assert_eq!(c.to_vec::<f32>(), vec![1.0 / 3.0, 2.0 / 3.0]);
/// ```
#[track_caller]
pub fn histogram_with(a: &Tensor, bins: usize, opts: Histogram) -> (Tensor, Tensor) {
    let a = ufuncs::to_float(a);
    let weights = match &opts.weights {
        Some(w) => {
            assert!(
                w.shape() == a.shape(),
                "histogram: weights of shape {:?} for data of shape {:?} (called from {})",
                w.shape(),
                a.shape(),
                std::panic::Location::caller()
            );
            w.clone()
        }
        None => ones_like(&a),
    };
    let edges = histogram_bin_edges_with(&a, bins, opts.clone());
    let n_edges = bins + 1;
    let flat = ravel(&a);
    let idx = searchsorted_with(&edges, &flat, SearchSorted { side: Side::Right });
    let last = index_axis(&edges, 0, -1);
    let idx = where_(&flat.eq(&last), n_edges as i32 - 1, &idx);
    // counts[k] = sum of the weights with bin index k, for k = 1..n_edges.
    let hits = equal(
        lax::reshape(&idx, &[idx.shape()[0], 1]),
        add(lax::iota(DType::I32, &[1, bins], 1), 1),
    );
    let w = lax::reshape(&ravel(&weights), &[idx.shape()[0], 1]);
    let hits = lax::convert_element_type(&hits, w.dtype());
    let counts = sum(
        &lax::mul(&hits, &broadcast_to(&w, hits.shape())),
        Some(&[0]),
    );
    let counts = if opts.density {
        let widths = diff(&edges, 1, 0);
        let widths = lax::convert_element_type(&widths, counts.dtype());
        divide(divide(&counts, &widths), sum(&counts, None))
    } else {
        counts
    };
    (counts, edges)
}

/// Options of [`compress_with`] and [`extract_with`]: the `fill_value` past the selected
/// elements (0 by default, as JAX).
#[derive(Clone, Copy, Debug, Default)]
pub struct Compress {
    /// The value written past the last selected element.
    pub fill_value: f64,
}

/// `jnp.compress(condition, a, axis, size=size)`: the first `size` slices of `a` along
/// `axis` (of the flattened `a` for `None`) where the 1-D `condition` is true, padded with
/// 0 (`size` at most the axis length, as JAX).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2, 3, 4, 5, 6], &[3, 2]);
/// let c = Tensor::from_vec(vec![true, false, true], &[3]);
/// let out = ferrax::numpy::compress(&c, &a, Some(0), 3);
/// assert_eq!(out.to_vec::<i32>(), vec![1, 2, 5, 6, 0, 0]);
/// ```
#[track_caller]
pub fn compress(condition: &Tensor, a: &Tensor, axis: Option<isize>, size: usize) -> Tensor {
    compress_with(condition, a, axis, size, Compress::default())
}

/// [`compress`] with a `fill_value`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{compress_with, Compress};
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// let c = Tensor::from_vec(vec![false, true, false], &[3]);
/// let out = compress_with(&c, &a, None, 2, Compress { fill_value: -1.0 });
/// assert_eq!(out.to_vec::<f32>(), vec![2.0, -1.0]);
/// ```
#[track_caller]
pub fn compress_with(
    condition: &Tensor,
    a: &Tensor,
    axis: Option<isize>,
    size: usize,
    opts: Compress,
) -> Tensor {
    assert!(
        condition.ndim() == 1,
        "compress: condition must be 1-D, got {} for {} (called from {})",
        condition.aval(),
        a.aval(),
        std::panic::Location::caller()
    );
    let (arr, axis) = match axis {
        None => (ravel(a), 0),
        Some(ax) => (moveaxis(a, ax, 0), normalize_axis(ax, a.ndim())),
    };
    assert!(
        size > 0 && size <= arr.shape()[0],
        "compress: size={size} must be positive and at most the axis length of {} \
         (called from {})",
        a.aval(),
        std::panic::Location::caller()
    );
    let cond = lax::convert_element_type(condition, DType::Bool);
    let n = arr.shape()[0].min(cond.shape()[0]);
    let cond = cond.index(crate::idx![..n]);
    let arr = arr.index(crate::idx![..n]);
    let mut ms = vec![1; arr.ndim()];
    ms[0] = n;
    let mask = broadcast_to(&lax::reshape(&cond, &ms), arr.shape());
    let arr = where_(&mask, &arr, Tensor::full(&[], opts.fill_value, arr.dtype()));
    let order = argsort(&logical_not(&cond), Some(0));
    let picked = take(&arr, &order, 0);
    let picked = picked.index(crate::idx![..size]);
    moveaxis(&picked, 0, axis as isize)
}

/// `jnp.extract(condition, arr, size=size)`: the first `size` elements of the flattened
/// `arr` where the flattened `condition` is true (non-zero), padded with 0.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// let out = ferrax::numpy::extract(&a.gt(1), &a, 4);
/// assert_eq!(out.to_vec::<i32>(), vec![2, 3, 4, 0]);
/// ```
#[track_caller]
pub fn extract(condition: &Tensor, arr: &Tensor, size: usize) -> Tensor {
    extract_with(condition, arr, size, Compress::default())
}

/// [`extract`] with a `fill_value`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{extract_with, Compress};
/// let a = Tensor::from_vec(vec![1, 2], &[2]);
/// let out = extract_with(&a.gt(1), &a, 2, Compress { fill_value: 7.0 });
/// assert_eq!(out.to_vec::<i32>(), vec![2, 7]);
/// ```
#[track_caller]
pub fn extract_with(condition: &Tensor, arr: &Tensor, size: usize, opts: Compress) -> Tensor {
    let c = ravel(condition);
    let c = if c.dtype() == DType::Bool { c } else { c.ne(0) };
    compress_with(&c, &ravel(arr), None, size, opts)
}
