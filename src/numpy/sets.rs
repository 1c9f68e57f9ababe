//! Set routines on concrete arrays: `unique` and the array-API `unique_values`,
//! `unique_counts`, `unique_inverse`, `unique_all`, and `union1d`, `intersect1d`, `setdiff1d`,
//! `setxor1d`, with JAX's semantics: inputs flattened, results sorted (NaN last; equal values
//! represented by their first occurrence, so `-0.0` and `0.0` give whichever comes first),
//! and JAX's static `size`/`fill_value`: the result cut or padded to `size` entries, padded
//! with `fill_value` or, by default, the smallest result value (indices pad with the first
//! index, counts with 0). The number of unique values depends on the values, so like JAX
//! without `size` these need concrete inputs; ferrax computes them eagerly in every case and
//! panics (naming the function) when given a traced value.

use crate::tensor::{DType, Tensor};
use std::cmp::Ordering;

/// The static output size of a set routine (`size=` and `fill_value=` in JAX).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SetSize {
    /// Cut or pad the result to this many entries (`None`: as many as there are).
    pub size: Option<usize>,
    /// The padding value (`None`: the smallest value of the result).
    pub fill_value: Option<f64>,
}

/// What `unique_all` returns (the array API's `UniqueAllResult`).
#[derive(Clone, Debug)]
pub struct UniqueAll {
    /// The sorted unique values.
    pub values: Tensor,
    /// For each value, the flat index of its first occurrence (int32).
    pub indices: Tensor,
    /// For each input element, the position of its value in `values` (int32, input's shape).
    pub inverse_indices: Tensor,
    /// How many times each value occurs (int32).
    pub counts: Tensor,
}

#[track_caller]
fn concrete(name: &str, x: &Tensor) -> Vec<f64> {
    if x.try_array().is_none() {
        panic!(
            "{name}: needs a concrete array, got the traced value {} (the number of results depends \
             on the values; call it outside jit/vmap/grad) (called from {})",
            x.aval(),
            std::panic::Location::caller()
        );
    }
    x.cast(DType::F64).to_vec::<f64>()
}

/// Ascending with NaN last; `Equal` for equal values (and for two NaNs).
fn order(a: &f64, b: &f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(b).expect("not NaN"),
    }
}

struct Uniq {
    values: Vec<f64>,
    first: Vec<usize>,
    inverse: Vec<usize>,
    counts: Vec<usize>,
}

fn uniq(v: &[f64], equal_nan: bool) -> Uniq {
    let mut perm: Vec<usize> = (0..v.len()).collect();
    perm.sort_by(|&a, &b| order(&v[a], &v[b]));
    let mut u = Uniq {
        values: Vec::new(),
        first: Vec::new(),
        inverse: vec![0; v.len()],
        counts: Vec::new(),
    };
    for (k, &i) in perm.iter().enumerate() {
        let new = k == 0 || {
            let p = v[perm[k - 1]];
            if v[i].is_nan() && p.is_nan() {
                !equal_nan
            } else {
                order(&p, &v[i]) != Ordering::Equal
            }
        };
        if new {
            u.values.push(v[i]);
            u.first.push(i);
            u.counts.push(0);
        }
        *u.counts.last_mut().expect("pushed") += 1;
        u.inverse[i] = u.values.len() - 1;
    }
    u
}

fn fit(vals: &[f64], opts: SetSize, pad_default: Option<f64>) -> Vec<f64> {
    match opts.size {
        None => vals.to_vec(),
        Some(n) => {
            let fill = opts.fill_value.or(pad_default).unwrap_or(0.0);
            (0..n)
                .map(|i| vals.get(i).copied().unwrap_or(fill))
                .collect()
        }
    }
}

fn tensor(vals: &[f64], dtype: DType) -> Tensor {
    Tensor::from_f64_values(vals, &[vals.len()], dtype)
}

fn ints(vals: &[usize]) -> Vec<f64> {
    vals.iter().map(|&v| v as f64).collect()
}

/// The sorted unique values of `x`, flattened (`jnp.unique(x)`; NaNs count as one).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![3, 1, 2, 3, 1], &[5]);
/// assert_eq!(ferrax::numpy::unique(&x).to_vec::<i32>(), vec![1, 2, 3]);
/// ```
#[track_caller]
pub fn unique(x: &Tensor) -> Tensor {
    unique_with(x, SetSize::default())
}

/// [`unique`] with a static `size` and `fill_value` (`jnp.unique(x, size=, fill_value=)`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{unique_with, SetSize};
/// let x = Tensor::from_vec(vec![3, 1, 3], &[3]);
/// let u = unique_with(&x, SetSize { size: Some(4), fill_value: Some(-1.0) });
/// assert_eq!(u.to_vec::<i32>(), vec![1, 3, -1, -1]);
/// ```
#[track_caller]
pub fn unique_with(x: &Tensor, opts: SetSize) -> Tensor {
    let u = uniq(&concrete("unique", x), true);
    tensor(&fit(&u.values, opts, u.values.first().copied()), x.dtype())
}

/// The array API's `unique_values` (`jnp.unique_values`): [`unique`], NaNs kept apart.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![2.0f32, f32::NAN, 2.0, f32::NAN], &[4]);
/// assert_eq!(ferrax::numpy::unique_values(&x).shape(), &[3]);
/// ```
#[track_caller]
pub fn unique_values(x: &Tensor) -> Tensor {
    let u = uniq(&concrete("unique_values", x), false);
    tensor(&u.values, x.dtype())
}

/// The unique values and how often each occurs (`jnp.unique_counts`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![3, 1, 3], &[3]);
/// let (v, c) = ferrax::numpy::unique_counts(&x);
/// assert_eq!((v.to_vec::<i32>(), c.to_vec::<i32>()), (vec![1, 3], vec![1, 2]));
/// ```
#[track_caller]
pub fn unique_counts(x: &Tensor) -> (Tensor, Tensor) {
    let a = unique_all_impl("unique_counts", x, SetSize::default(), false);
    (a.values, a.counts)
}

/// The unique values and, for each input element, its value's position among them
/// (`jnp.unique_inverse`; the inverse has the input's shape).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![2, 1, 2, 5], &[2, 2]);
/// let (v, inv) = ferrax::numpy::unique_inverse(&x);
/// assert_eq!(v.to_vec::<i32>(), vec![1, 2, 5]);
/// assert_eq!((inv.shape(), inv.to_vec::<i32>()), (&[2usize, 2][..], vec![1, 0, 1, 2]));
/// ```
#[track_caller]
pub fn unique_inverse(x: &Tensor) -> (Tensor, Tensor) {
    let a = unique_all_impl("unique_inverse", x, SetSize::default(), false);
    (a.values, a.inverse_indices)
}

/// Unique values, first indices, inverse indices and counts (`jnp.unique_all`; NaNs kept
/// apart, as the array API asks).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![3, 1, 3], &[3]);
/// let a = ferrax::numpy::unique_all(&x);
/// assert_eq!(a.indices.to_vec::<i32>(), vec![1, 0]);
/// assert_eq!(a.counts.to_vec::<i32>(), vec![1, 2]);
/// ```
#[track_caller]
pub fn unique_all(x: &Tensor) -> UniqueAll {
    unique_all_impl("unique_all", x, SetSize::default(), false)
}

/// `jnp.unique(x, return_index=True, return_inverse=True, return_counts=True, size=,
/// fill_value=)`: NaNs count as one; padded indices repeat the first, padded counts are 0.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{unique_all_with, SetSize};
/// let x = Tensor::from_vec(vec![3, 1, 2, 3, 1], &[5]);
/// let a = unique_all_with(&x, SetSize { size: Some(5), fill_value: None });
/// assert_eq!(a.values.to_vec::<i32>(), vec![1, 2, 3, 1, 1]);
/// assert_eq!(a.indices.to_vec::<i32>(), vec![1, 2, 0, 1, 1]);
/// assert_eq!(a.counts.to_vec::<i32>(), vec![2, 1, 2, 0, 0]);
/// ```
#[track_caller]
pub fn unique_all_with(x: &Tensor, opts: SetSize) -> UniqueAll {
    unique_all_impl("unique", x, opts, true)
}

#[track_caller]
fn unique_all_impl(name: &str, x: &Tensor, opts: SetSize, equal_nan: bool) -> UniqueAll {
    let u = uniq(&concrete(name, x), equal_nan);
    let size = SetSize {
        size: opts.size,
        fill_value: None,
    };
    UniqueAll {
        values: tensor(&fit(&u.values, opts, u.values.first().copied()), x.dtype()),
        indices: tensor(
            &fit(&ints(&u.first), size, u.first.first().map(|&i| i as f64)),
            DType::I32,
        ),
        inverse_indices: Tensor::from_f64_values(&ints(&u.inverse), x.shape(), DType::I32),
        counts: tensor(&fit(&ints(&u.counts), size, Some(0.0)), DType::I32),
    }
}

#[track_caller]
fn binary_set(
    name: &str,
    a: &Tensor,
    b: &Tensor,
    opts: SetSize,
    keep: impl Fn(bool, bool) -> bool,
) -> Tensor {
    let (va, vb) = (concrete(name, a), concrete(name, b));
    let dtype = DType::promote(a.dtype(), b.dtype());
    let (ua, ub) = (uniq(&va, true), uniq(&vb, true));
    let mut all = ua.values.clone();
    all.extend(&ub.values);
    let u = uniq(&all, true);
    let contains = |set: &[f64], v: f64| set.iter().any(|&s| order(&s, &v) == Ordering::Equal);
    let vals: Vec<f64> = u
        .values
        .iter()
        .copied()
        .filter(|&v| keep(contains(&ua.values, v), contains(&ub.values, v)))
        .collect();
    tensor(&fit(&vals, opts, vals.first().copied()), dtype)
}

/// The sorted values in either array (`jnp.union1d`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 3, 2], &[3]);
/// let b = Tensor::from_vec(vec![5, 3], &[2]);
/// assert_eq!(ferrax::numpy::union1d(&a, &b).to_vec::<i32>(), vec![1, 2, 3, 5]);
/// ```
#[track_caller]
pub fn union1d(a: &Tensor, b: &Tensor) -> Tensor {
    union1d_with(a, b, SetSize::default())
}

/// [`union1d`] with `size`/`fill_value`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{union1d_with, SetSize};
/// let a = Tensor::from_vec(vec![1, 3], &[2]);
/// let u = union1d_with(&a, &a, SetSize { size: Some(3), fill_value: None });
/// assert_eq!(u.to_vec::<i32>(), vec![1, 3, 1]);
/// ```
#[track_caller]
pub fn union1d_with(a: &Tensor, b: &Tensor, opts: SetSize) -> Tensor {
    binary_set("union1d", a, b, opts, |x, y| x || y)
}

/// The sorted values in both arrays (`jnp.intersect1d`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 3, 2, 3], &[4]);
/// let b = Tensor::from_vec(vec![5, 3, 2], &[3]);
/// assert_eq!(ferrax::numpy::intersect1d(&a, &b).to_vec::<i32>(), vec![2, 3]);
/// ```
#[track_caller]
pub fn intersect1d(a: &Tensor, b: &Tensor) -> Tensor {
    intersect1d_with(a, b, SetSize::default())
}

/// [`intersect1d`] with `size`/`fill_value`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{intersect1d_with, SetSize};
/// let a = Tensor::from_vec(vec![1, 3, 2], &[3]);
/// let u = intersect1d_with(&a, &a, SetSize { size: Some(2), fill_value: None });
/// assert_eq!(u.to_vec::<i32>(), vec![1, 2]);
/// ```
#[track_caller]
pub fn intersect1d_with(a: &Tensor, b: &Tensor, opts: SetSize) -> Tensor {
    binary_set("intersect1d", a, b, opts, |x, y| x && y)
}

/// The sorted values of `a` not in `b` (`jnp.setdiff1d`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 3, 2, 3], &[4]);
/// let b = Tensor::from_vec(vec![5, 3], &[2]);
/// assert_eq!(ferrax::numpy::setdiff1d(&a, &b).to_vec::<i32>(), vec![1, 2]);
/// ```
#[track_caller]
pub fn setdiff1d(a: &Tensor, b: &Tensor) -> Tensor {
    setdiff1d_with(a, b, SetSize::default())
}

/// [`setdiff1d`] with `size`/`fill_value` (padding with 0 by default, as JAX does).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{setdiff1d_with, SetSize};
/// let a = Tensor::from_vec(vec![1, 3, 2, 3], &[4]);
/// let b = Tensor::from_vec(vec![5, 3], &[2]);
/// let d = setdiff1d_with(&a, &b, SetSize { size: Some(4), fill_value: Some(-1.0) });
/// assert_eq!(d.to_vec::<i32>(), vec![1, 2, -1, -1]);
/// ```
#[track_caller]
pub fn setdiff1d_with(a: &Tensor, b: &Tensor, opts: SetSize) -> Tensor {
    // JAX pads setdiff1d with 0, not with the smallest value.
    let opts = SetSize {
        fill_value: opts.fill_value.or(Some(0.0)),
        ..opts
    };
    let d = binary_set("setdiff1d", a, b, opts, |x, y| x && !y);
    if d.dtype() == a.dtype() {
        d
    } else {
        d.cast(a.dtype())
    }
}

/// The sorted values in exactly one of the arrays (`jnp.setxor1d`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 3, 2, 3], &[4]);
/// let b = Tensor::from_vec(vec![5, 3], &[2]);
/// assert_eq!(ferrax::numpy::setxor1d(&a, &b).to_vec::<i32>(), vec![1, 2, 5]);
/// ```
#[track_caller]
pub fn setxor1d(a: &Tensor, b: &Tensor) -> Tensor {
    setxor1d_with(a, b, SetSize::default())
}

/// [`setxor1d`] with `size`/`fill_value`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{setxor1d_with, SetSize};
/// let a = Tensor::from_vec(vec![1, 3], &[2]);
/// let b = Tensor::from_vec(vec![5, 3], &[2]);
/// let d = setxor1d_with(&a, &b, SetSize { size: Some(3), fill_value: None });
/// assert_eq!(d.to_vec::<i32>(), vec![1, 5, 1]);
/// ```
#[track_caller]
pub fn setxor1d_with(a: &Tensor, b: &Tensor, opts: SetSize) -> Tensor {
    binary_set("setxor1d", a, b, opts, |x, y| x != y)
}

/// `filt` without its leading and/or trailing zeros (`jnp.trim_zeros(filt, trim)`; `trim`
/// holds `'f'` for the front and/or `'b'` for the back). Concrete 1-D input only, as in JAX.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0, 0, 1, 0, 2, 0], &[6]);
/// assert_eq!(ferrax::numpy::trim_zeros(&x, "fb").to_vec::<i32>(), vec![1, 0, 2]);
/// assert_eq!(ferrax::numpy::trim_zeros(&x, "f").to_vec::<i32>(), vec![1, 0, 2, 0]);
/// ```
#[track_caller]
pub fn trim_zeros(filt: &Tensor, trim: &str) -> Tensor {
    let v = concrete("trim_zeros", filt);
    if filt.ndim() != 1 {
        panic!(
            "trim_zeros: needs a 1-D array, got {} (called from {})",
            filt.aval(),
            std::panic::Location::caller()
        );
    }
    let t = trim.to_ascii_lowercase();
    let start = if t.contains('f') {
        v.iter().position(|&x| x != 0.0).unwrap_or(v.len())
    } else {
        0
    };
    let end = if t.contains('b') {
        v.iter().rposition(|&x| x != 0.0).map_or(start, |i| i + 1)
    } else {
        v.len()
    };
    let end = end.max(start);
    Tensor::from_f64_values(&v[start..end], &[end - start], filt.dtype())
}
