//! Sorting and searching, `jax.numpy` style, on `lax.sort` (stable; NaNs last): `sort`,
//! `argsort`, `lexsort`, `partition`, `searchsorted`, `digitize`, `select`, and the order
//! statistics `quantile`, `percentile`, `median` with their NaN-ignoring twins.

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// `x` (flattened for `None`) and the normalized axis.
#[track_caller]
fn axis_operand(x: &Tensor, axis: Option<isize>) -> (Tensor, usize) {
    match axis {
        None => (ravel(x), 0),
        Some(a) => (x.clone(), normalize_axis(a, x.ndim())),
    }
}

/// `jnp.sort(x, axis)`: ascending along `axis` (JAX's default -1; flattened for `None`),
/// NaNs last.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![3.0f32, 1.0, f32::NAN, 2.0], &[4]);
/// let s = ferrax::numpy::sort(&x, Some(-1)).to_vec::<f32>();
/// assert_eq!(&s[..3], &[1.0, 2.0, 3.0]);
/// assert!(s[3].is_nan());
/// ```
#[track_caller]
pub fn sort(x: &Tensor, axis: Option<isize>) -> Tensor {
    if x.ndim() == 0 && axis.is_some() {
        panic!(
            "sort: axis {axis:?} given for a rank-0 input (called from {})",
            std::panic::Location::caller()
        );
    }
    let (x, a) = axis_operand(x, axis);
    lax::sort(&[x], a, true, 1).swap_remove(0)
}

/// `jnp.argsort(x, axis)`: the indices (i32) that sort `x` along `axis` (JAX's default -1;
/// of the flattened `x` for `None`), stable: ties keep their order.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![2.0f32, 1.0, 2.0, 0.0], &[4]);
/// assert_eq!(ferrax::numpy::argsort(&x, Some(0)).to_vec::<i32>(), vec![3, 1, 0, 2]);
/// ```
#[track_caller]
pub fn argsort(x: &Tensor, axis: Option<isize>) -> Tensor {
    let (x, a) = axis_operand(x, axis);
    let iota = lax::iota(DType::I32, x.shape(), a);
    lax::sort(&[x, iota], a, true, 1).swap_remove(1)
}

/// `jnp.lexsort(keys, axis)`: indices sorting by the last key first, then the one before,
/// ... (JAX's default axis -1).
///
/// ```
/// use ferrax::prelude::*;
/// let minor = Tensor::from_vec(vec![1, 0, 1, 0], &[4]);
/// let major = Tensor::from_vec(vec![1, 1, 0, 0], &[4]);
/// assert_eq!(ferrax::numpy::lexsort(&[minor, major], -1).to_vec::<i32>(), vec![3, 2, 1, 0]);
/// ```
#[track_caller]
pub fn lexsort(keys: &[Tensor], axis: isize) -> Tensor {
    assert!(
        !keys.is_empty() && keys.iter().all(|k| k.shape() == keys[0].shape()),
        "lexsort: needs one or more keys of one shape, got {:?} (called from {})",
        keys.iter().map(|k| k.shape().to_vec()).collect::<Vec<_>>(),
        std::panic::Location::caller()
    );
    let a = normalize_axis(axis, keys[0].ndim());
    let mut ops: Vec<Tensor> = keys.iter().rev().cloned().collect();
    ops.push(lax::iota(DType::I32, keys[0].shape(), a));
    lax::sort(&ops, a, true, keys.len()).pop().unwrap()
}

/// `jnp.partition(x, kth, axis)`: the `kth + 1` smallest along `axis` first (ascending),
/// then the rest (descending), as JAX's `top_k`-based version lays them out.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![5.0f32, 1.0, 4.0, 2.0, 3.0], &[5]);
/// let p = ferrax::numpy::partition(&x, 1, -1).to_vec::<f32>();
/// assert_eq!(p, vec![1.0, 2.0, 5.0, 4.0, 3.0]);
/// ```
#[track_caller]
pub fn partition(x: &Tensor, kth: usize, axis: isize) -> Tensor {
    let a = normalize_axis(axis, x.ndim());
    let n = x.shape()[a];
    assert!(
        kth < n,
        "partition: kth={kth} out of bounds for axis {a} of shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    let s = lax::sort(std::slice::from_ref(x), a, true, 1).swap_remove(0);
    let bottom = slice_axis(&s, a as isize, 0, kth as isize + 1);
    let top = lax::rev(
        &slice_axis(&s, a as isize, kth as isize + 1, n as isize),
        &[a],
    );
    lax::concatenate(&[bottom, top], a)
}

/// Which insertion point [`searchsorted_with`] returns among equal elements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Side {
    /// The first suitable index (`a[i-1] < v <= a[i]`).
    #[default]
    Left,
    /// The last suitable index (`a[i-1] <= v < a[i]`).
    Right,
}

/// Options of [`searchsorted_with`]: the `side` (JAX's default `Left`).
#[derive(Clone, Copy, Debug, Default)]
pub struct SearchSorted {
    /// Which end of a run of equal elements.
    pub side: Side,
}

/// `jnp.searchsorted(a, v)`: where each `v` would go into the sorted 1-D `a` to keep it
/// sorted (i32, `v`'s shape). NaNs order last, as in [`sort`].
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 2.0, 3.0], &[4]);
/// let v = Tensor::from_vec(vec![2.0f32, 0.0, 5.0], &[3]);
/// assert_eq!(ferrax::numpy::searchsorted(&a, &v).to_vec::<i32>(), vec![1, 0, 4]);
/// ```
#[track_caller]
pub fn searchsorted(a: &Tensor, v: &Tensor) -> Tensor {
    searchsorted_with(a, v, SearchSorted::default())
}

/// `a < b` in sort order (NaN after every number).
fn sort_lt(a: &Tensor, b: &Tensor) -> Tensor {
    if !a.dtype().is_float() {
        return a.lt(b);
    }
    logical_or(a.lt(b), logical_and(isnan(b), logical_not(&isnan(a))))
}

/// [`searchsorted`] with a side.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{searchsorted_with, SearchSorted, Side};
/// let a = Tensor::from_vec(vec![1, 2, 2, 3], &[4]);
/// let v = Tensor::from_vec(vec![2], &[1]);
/// let r = searchsorted_with(&a, &v, SearchSorted { side: Side::Right });
/// assert_eq!(r.to_vec::<i32>(), vec![3]);
/// ```
#[track_caller]
pub fn searchsorted_with(a: &Tensor, v: &Tensor, opts: SearchSorted) -> Tensor {
    assert!(
        a.ndim() == 1,
        "searchsorted: a must be 1-D, got {} (called from {})",
        a.aval(),
        std::panic::Location::caller()
    );
    let dt = DType::promote(a.dtype(), v.dtype());
    let (a, v) = (
        lax::convert_element_type(a, dt),
        lax::convert_element_type(v, dt),
    );
    let mut s = v.shape().to_vec();
    s.push(1);
    let col = lax::reshape(&v, &s);
    let a = lax::reshape(&a, &[a.shape()[0]]);
    // Left: how many a[i] < v; right: how many a[i] <= v, i.e. not v < a[i].
    let before = match opts.side {
        Side::Left => sort_lt(&broadcast_to(&a, &broadcast_shapes(&s, a.shape())), &col),
        Side::Right => logical_not(&sort_lt(
            &col,
            &broadcast_to(&a, &broadcast_shapes(&s, a.shape())),
        )),
    };
    let counts = lax::convert_element_type(&before, DType::I32);
    lax::reduce_sum(&counts, &[s.len() - 1])
}

/// Options of [`digitize_with`]: `right` (false by default, as JAX) makes the bins closed on
/// the right.
#[derive(Clone, Copy, Debug, Default)]
pub struct Digitize {
    /// Whether a bin includes its right edge instead of its left.
    pub right: bool,
}

/// `jnp.digitize(x, bins)`: the index of the bin of each `x` (bins increasing or
/// decreasing, 1-D), i32.
///
/// ```
/// use ferrax::prelude::*;
/// let bins = Tensor::from_vec(vec![0.0f32, 1.0, 2.0], &[3]);
/// let x = Tensor::from_vec(vec![-0.5f32, 1.0, 1.5, 3.0], &[4]);
/// assert_eq!(ferrax::numpy::digitize(&x, &bins).to_vec::<i32>(), vec![0, 2, 2, 3]);
/// ```
#[track_caller]
pub fn digitize(x: &Tensor, bins: &Tensor) -> Tensor {
    digitize_with(x, bins, Digitize::default())
}

/// [`digitize`] with `right`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{digitize_with, Digitize};
/// let bins = Tensor::from_vec(vec![0.0f32, 1.0, 2.0], &[3]);
/// let x = Tensor::from_vec(vec![1.0f32], &[1]);
/// assert_eq!(digitize_with(&x, &bins, Digitize { right: true }).to_vec::<i32>(), vec![1]);
/// ```
#[track_caller]
pub fn digitize_with(x: &Tensor, bins: &Tensor, opts: Digitize) -> Tensor {
    assert!(
        bins.ndim() == 1,
        "digitize: bins must be 1-D, got {} (called from {})",
        bins.aval(),
        std::panic::Location::caller()
    );
    let n = bins.shape()[0];
    if n == 0 {
        return Tensor::zeros(x.shape(), DType::I32);
    }
    let side = if opts.right { Side::Left } else { Side::Right };
    let fwd = searchsorted_with(bins, x, SearchSorted { side });
    let back = subtract(
        n as i32,
        searchsorted_with(&lax::rev(bins, &[0]), x, SearchSorted { side }),
    );
    let increasing = index_axis(bins, 0, -1).ge(index_axis(bins, 0, 0));
    where_(&increasing, &fwd, &back)
}

/// `jnp.select(condlist, choicelist, default)`: per element, the choice of the first true
/// condition, else `default` (all broadcast together).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2.0f32, 0.5, 3.0], &[3]);
/// let y = ferrax::numpy::select(&[x.lt(0.0), x.lt(1.0)], &[ferrax::numpy::negative(&x), x.clone()], 9.0);
/// assert_eq!(y.to_vec::<f32>(), vec![2.0, 0.5, 9.0]);
/// ```
#[track_caller]
pub fn select(condlist: &[Tensor], choicelist: &[Tensor], default: impl IntoOperand) -> Tensor {
    assert!(
        condlist.len() == choicelist.len() && !condlist.is_empty(),
        "select: needs as many conditions as choices (and at least one), got {} and {} \
         (called from {})",
        condlist.len(),
        choicelist.len(),
        std::panic::Location::caller()
    );
    let mut out = where_(
        &condlist[condlist.len() - 1],
        &choicelist[choicelist.len() - 1],
        default,
    );
    for (c, x) in condlist.iter().zip(choicelist).rev().skip(1) {
        out = where_(c, x, &out);
    }
    out
}

/// How [`quantile_with`] picks a value between the two order statistics around a quantile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QuantileMethod {
    /// Linear interpolation (JAX's default).
    #[default]
    Linear,
    /// The lower one.
    Lower,
    /// The higher one.
    Higher,
    /// Their mean.
    Midpoint,
    /// The nearer one (the lower on a tie).
    Nearest,
}

/// Options of [`quantile_with`] and its relatives: the `method`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quantile {
    /// The interpolation method.
    pub method: QuantileMethod,
}

/// JAX's `_quantile` for a scalar `q` (already in `[0, 1]` and of the float dtype).
#[track_caller]
fn quantile_impl(
    name: &str,
    a: &Tensor,
    q: Tensor,
    axes: Option<&[isize]>,
    method: QuantileMethod,
    squash_nans: bool,
) -> Tensor {
    let a = ufuncs::to_float(a);
    let dt = a.dtype();
    let q = lax::convert_element_type(&q, dt);
    // Move the reduced axes to the end and merge them.
    let a = match axes {
        None => ravel(&a),
        Some(ax) => {
            let ax = normalize_axes(ax, a.ndim());
            let mut perm: Vec<usize> = (0..a.ndim()).filter(|d| !ax.contains(d)).collect();
            let mut shape: Vec<usize> = perm.iter().map(|&d| a.shape()[d]).collect();
            shape.push(ax.iter().map(|&d| a.shape()[d]).product());
            perm.extend_from_slice(&ax);
            lax::reshape(&lax::transpose(&a, &perm), &shape)
        }
    };
    let last = a.ndim() - 1;
    let n = a.shape()[last];
    assert!(
        n > 0,
        "{name}: cannot take a quantile of an empty axis, got shape {:?} (called from {})",
        a.shape(),
        std::panic::Location::caller()
    );
    let mut keep = a.shape().to_vec();
    keep[last] = 1;
    let a = if squash_nans {
        a
    } else {
        let any_nan = lax::reshape(&any(&isnan(&a), Some(&[-1])), &keep);
        where_(&any_nan, f64::NAN, &a)
    };
    let sorted = lax::sort(std::slice::from_ref(&a), last, true, 1).swap_remove(0);
    let counts = if squash_nans {
        let m = lax::convert_element_type(&logical_not(&isnan(&a)), dt);
        lax::reduce_sum(&m, &[last])
    } else {
        Tensor::full(&[], n as f64, dt)
    };
    let one = Tensor::full(&[], 1.0, dt);
    let qn = lax::mul(&q, &lax::sub(&counts, &one));
    let (low, high) = (lax::floor(&qn), lax::ceil(&qn));
    let hw = lax::sub(&qn, &low);
    let lw = lax::sub(&one, &hw);
    let cm1 = lax::sub(&counts, &one);
    let clampi = |t: &Tensor| {
        let t = maximum(0.0, minimum(t, &cm1));
        lax::convert_element_type(&t, DType::I32)
    };
    let (low, high) = (clampi(&low), clampi(&high));
    let gather = |i: &Tensor| {
        let idx = broadcast_to(&lax::reshape(i, &with_unit(i.shape())), &keep);
        lax::reshape(&take_along_axis(&sorted, &idx, -1), &keep[..last])
    };
    let (lo, hi) = (gather(&low), gather(&high));
    match method {
        QuantileMethod::Linear => add(lax::mul(&lo, &lw), lax::mul(&hi, &hw)),
        QuantileMethod::Lower => lo,
        QuantileMethod::Higher => hi,
        QuantileMethod::Midpoint => multiply(add(&lo, &hi), 0.5),
        QuantileMethod::Nearest => where_(&hw.le(0.5), &lo, &hi),
    }
}

/// `shape` with a trailing 1.
fn with_unit(shape: &[usize]) -> Vec<usize> {
    let mut s = shape.to_vec();
    s.push(1);
    s
}

/// The quantile as a rank-0 tensor of `a`'s float dtype, checked to lie in `[0, 1]`.
#[track_caller]
fn q_tensor(name: &str, a: &Tensor, q: f64, scale: f64) -> Tensor {
    assert!(
        (0.0..=scale).contains(&q),
        "{name}: q={q} must lie in [0, {scale}] (called from {})",
        std::panic::Location::caller()
    );
    let dt = ufuncs::to_float(&Tensor::zeros(&[], a.dtype())).dtype();
    let q = Tensor::full(&[], q, dt);
    if scale == 1.0 {
        q
    } else {
        lax::div(&q, &Tensor::full(&[], scale, dt))
    }
}

macro_rules! quantile_fns {
    ($($name:ident, $with:ident, $scale:expr, $squash:expr, $ex:literal, $what:literal;)*) => {$(
        #[doc = concat!("`jnp.", stringify!($name), "(a, q, axis)`: the `q`-th ", $what, ". The result is float.\n\n```\nuse ferrax::prelude::*;\nlet x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]);\nassert_eq!(ferrax::numpy::", stringify!($name), "(&x, ", $ex, ", None).item::<f32>(), 1.75);\n```")]
        #[track_caller]
        pub fn $name(a: &Tensor, q: f64, axes: Option<&[isize]>) -> Tensor {
            $with(a, q, axes, Quantile::default())
        }

        #[doc = concat!("[`", stringify!($name), "`] with a `method`.\n\n```\nuse ferrax::prelude::*;\nuse ferrax::numpy::{Quantile, QuantileMethod};\nlet x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]);\nlet o = Quantile { method: QuantileMethod::Higher };\nassert_eq!(ferrax::numpy::", stringify!($with), "(&x, ", $ex, ", None, o).item::<f32>(), 2.0);\n```")]
        #[track_caller]
        pub fn $with(a: &Tensor, q: f64, axes: Option<&[isize]>, opts: Quantile) -> Tensor {
            let q = q_tensor(stringify!($name), a, q, $scale);
            quantile_impl(stringify!($name), a, q, axes, opts.method, $squash)
        }
    )*};
}
quantile_fns! {
    quantile, quantile_with, 1.0, false, "0.25",
        "quantile (`q` in [0, 1]) over `axes` (all when `None`), linear interpolation between \
         order statistics (NaN if any element is NaN)";
    percentile, percentile_with, 100.0, false, "25.0",
        "percentile (`q` in [0, 100]) over `axes` (all when `None`), linear interpolation \
         between order statistics (NaN if any element is NaN)";
    nanquantile, nanquantile_with, 1.0, true, "0.25",
        "quantile (`q` in [0, 1]) over `axes` (all when `None`) of the non-NaN elements, \
         linear interpolation between order statistics";
    nanpercentile, nanpercentile_with, 100.0, true, "25.0",
        "percentile (`q` in [0, 100]) over `axes` (all when `None`) of the non-NaN elements, \
         linear interpolation between order statistics";
}

/// `jnp.median`: the midpoint of the middle order statistics over `axes` (all when
/// `None`); NaN if any element is NaN.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![4.0f32, 1.0, 3.0, 2.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::median(&x, None).item::<f32>(), 2.5);
/// assert_eq!(ferrax::numpy::median(&x, Some(&[1])).to_vec::<f32>(), vec![2.5, 2.5]);
/// ```
#[track_caller]
pub fn median(a: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let q = q_tensor("median", a, 0.5, 1.0);
    quantile_impl("median", a, q, axes, QuantileMethod::Midpoint, false)
}

/// `jnp.nanmedian`: [`median`] ignoring NaNs (NaN where all are NaN).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![4.0f32, f32::NAN, 1.0], &[3]);
/// assert_eq!(ferrax::numpy::nanmedian(&x, None).item::<f32>(), 2.5);
/// ```
#[track_caller]
pub fn nanmedian(a: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let q = q_tensor("nanmedian", a, 0.5, 1.0);
    quantile_impl("nanmedian", a, q, axes, QuantileMethod::Midpoint, true)
}

/// `jnp.sort_complex(a)`: `a` sorted along its last axis (complex values lexicographically, by
/// real then imaginary part), as a complex array (`complex64`, or `complex128` from f64).
///
/// ```
/// use ferrax::prelude::*;
/// use num_complex::Complex32;
/// let x = Tensor::from_vec(vec![3.0f32, -1.0, 2.0], &[3]);
/// let s = ferrax::numpy::sort_complex(&x);
/// assert_eq!(s.dtype(), DType::C64);
/// assert_eq!(s.to_vec::<Complex32>(), vec![Complex32::new(-1.0, 0.0), Complex32::new(2.0, 0.0), Complex32::new(3.0, 0.0)]);
/// ```
#[track_caller]
pub fn sort_complex(a: &Tensor) -> Tensor {
    let sorted = sort(a, Some(-1));
    let complex = a.dtype().complex_dtype();
    if sorted.dtype() == complex {
        sorted
    } else {
        lax::convert_element_type(&sorted, complex)
    }
}
