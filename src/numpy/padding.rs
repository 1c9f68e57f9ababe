//! Padding and structured creation, `jax.numpy` style: `pad` (constant, edge, reflect,
//! symmetric, wrap), `diagflat`, `tril_indices`/`triu_indices`/`diag_indices` and their
//! `_from` forms, `vander`, `resize`, `delete` (static indices).

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// The mode of [`pad_with`] (JAX's `mode=`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PadMode {
    /// A constant value (JAX's default, 0).
    Constant(f64),
    /// Repeat the edge element.
    Edge,
    /// Mirror without repeating the edge (`[1, 2, 3]` -> `3 2 | 1 2 3 | 2 1`).
    Reflect,
    /// Mirror repeating the edge (`[1, 2, 3]` -> `2 1 | 1 2 3 | 3 2`).
    Symmetric,
    /// Wrap around (`[1, 2, 3]` -> `2 3 | 1 2 3 | 1 2`).
    Wrap,
}

/// Options of [`pad_with`]: the `mode` (constant 0 by default, as JAX).
#[derive(Clone, Copy, Debug)]
pub struct Pad {
    /// How the new elements are filled.
    pub mode: PadMode,
}

impl Default for Pad {
    fn default() -> Self {
        Pad {
            mode: PadMode::Constant(0.0),
        }
    }
}

/// `jnp.pad(x, pad_width)` with zeros: `pad_width` is one `(before, after)` per axis, or a
/// single pair for every axis.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::pad(&x, &[(1, 2)]).to_vec::<i32>(), vec![0, 1, 2, 0, 0]);
/// ```
#[track_caller]
pub fn pad(x: &Tensor, pad_width: &[(usize, usize)]) -> Tensor {
    pad_with(x, pad_width, Pad::default())
}

/// `jnp.pad(x, pad_width, mode=...)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{pad_with, Pad, PadMode};
/// let x = Tensor::from_vec(vec![1, 2, 3], &[3]);
/// let p = |mode| pad_with(&x, &[(2, 2)], Pad { mode }).to_vec::<i32>();
/// assert_eq!(p(PadMode::Edge), vec![1, 1, 1, 2, 3, 3, 3]);
/// assert_eq!(p(PadMode::Reflect), vec![3, 2, 1, 2, 3, 2, 1]);
/// assert_eq!(p(PadMode::Symmetric), vec![2, 1, 1, 2, 3, 3, 2]);
/// assert_eq!(p(PadMode::Wrap), vec![2, 3, 1, 2, 3, 1, 2]);
/// ```
#[track_caller]
pub fn pad_with(x: &Tensor, pad_width: &[(usize, usize)], opts: Pad) -> Tensor {
    let nd = x.ndim();
    assert!(
        pad_width.len() == nd || pad_width.len() == 1,
        "pad: pad_width has {} pairs for shape {:?} (called from {})",
        pad_width.len(),
        x.shape(),
        std::panic::Location::caller()
    );
    let width = |d: usize| pad_width[if pad_width.len() == 1 { 0 } else { d }];
    if let PadMode::Constant(v) = opts.mode {
        let config: Vec<(i64, i64, i64)> = (0..nd)
            .map(|d| (width(d).0 as i64, width(d).1 as i64, 0))
            .collect();
        return lax::pad(x, &Tensor::full(&[], v, x.dtype()), &config);
    }
    let mut out = x.clone();
    for d in 0..nd {
        let (b, a) = width(d);
        if b == 0 && a == 0 {
            continue;
        }
        let n = x.shape()[d] as i64;
        assert!(
            n > 0,
            "pad: cannot pad axis {d} of shape {:?} with mode {:?} (called from {})",
            x.shape(),
            opts.mode,
            std::panic::Location::caller()
        );
        let idx: Vec<i32> = (-(b as i64)..n + a as i64)
            .map(|i| {
                let m = match opts.mode {
                    PadMode::Edge => i.clamp(0, n - 1),
                    PadMode::Wrap => i.rem_euclid(n),
                    PadMode::Reflect if n == 1 => 0,
                    PadMode::Reflect => {
                        let m = i.rem_euclid(2 * n - 2);
                        if m >= n {
                            2 * n - 2 - m
                        } else {
                            m
                        }
                    }
                    PadMode::Symmetric => {
                        let m = i.rem_euclid(2 * n);
                        if m >= n {
                            2 * n - 1 - m
                        } else {
                            m
                        }
                    }
                    PadMode::Constant(_) => unreachable!(),
                };
                m as i32
            })
            .collect();
        let len = idx.len();
        out = take(&out, &Tensor::from_vec(idx, &[len]), d as isize);
    }
    out
}

/// `jnp.diagflat(v, k)`: a square matrix with the flattened `v` on diagonal `k`.
///
/// ```
/// use ferrax::prelude::*;
/// let v = Tensor::from_vec(vec![1, 2], &[1, 2]);
/// assert_eq!(ferrax::numpy::diagflat(&v, 0).to_vec::<i32>(), vec![1, 0, 0, 2]);
/// ```
#[track_caller]
pub fn diagflat(v: &Tensor, k: isize) -> Tensor {
    diag(&ravel(v), k)
}

/// Row and column indices (i32) of the `n x m` positions where `keep(row, col)`.
fn mask_indices(n: usize, m: usize, keep: impl Fn(isize, isize) -> bool) -> (Tensor, Tensor) {
    let (mut r, mut c) = (Vec::new(), Vec::new());
    for i in 0..n {
        for j in 0..m {
            if keep(i as isize, j as isize) {
                r.push(i as i32);
                c.push(j as i32);
            }
        }
    }
    let len = r.len();
    (Tensor::from_vec(r, &[len]), Tensor::from_vec(c, &[len]))
}

/// `jnp.tril_indices(n, k, m)`: the (row, column) indices of the lower triangle of an
/// `n x m` matrix (`m = n` when `None`) on and below diagonal `k`.
///
/// ```
/// let (r, c) = ferrax::numpy::tril_indices(2, 0, None);
/// assert_eq!((r.to_vec::<i32>(), c.to_vec::<i32>()), (vec![0, 1, 1], vec![0, 0, 1]));
/// ```
pub fn tril_indices(n: usize, k: isize, m: Option<usize>) -> (Tensor, Tensor) {
    mask_indices(n, m.unwrap_or(n), |i, j| j - i <= k)
}

/// `jnp.triu_indices(n, k, m)`: the (row, column) indices of the upper triangle of an
/// `n x m` matrix (`m = n` when `None`) on and above diagonal `k`.
///
/// ```
/// let (r, c) = ferrax::numpy::triu_indices(2, 1, None);
/// assert_eq!((r.to_vec::<i32>(), c.to_vec::<i32>()), (vec![0], vec![1]));
/// ```
pub fn triu_indices(n: usize, k: isize, m: Option<usize>) -> (Tensor, Tensor) {
    mask_indices(n, m.unwrap_or(n), |i, j| j - i >= k)
}

#[track_caller]
fn matrix_dims(name: &str, x: &Tensor) -> (usize, usize) {
    assert!(
        x.ndim() == 2,
        "{name}: needs a 2-D input, got shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    (x.shape()[0], x.shape()[1])
}

/// `jnp.tril_indices_from(x, k)`: [`tril_indices`] for the shape of the 2-D `x`.
///
/// ```
/// let x = ferrax::numpy::zeros(&[2, 3]);
/// assert_eq!(ferrax::numpy::tril_indices_from(&x, 0).1.to_vec::<i32>(), vec![0, 0, 1]);
/// ```
#[track_caller]
pub fn tril_indices_from(x: &Tensor, k: isize) -> (Tensor, Tensor) {
    let (n, m) = matrix_dims("tril_indices_from", x);
    tril_indices(n, k, Some(m))
}

/// `jnp.triu_indices_from(x, k)`: [`triu_indices`] for the shape of the 2-D `x`.
///
/// ```
/// let x = ferrax::numpy::zeros(&[2, 3]);
/// assert_eq!(ferrax::numpy::triu_indices_from(&x, 2).1.to_vec::<i32>(), vec![2]);
/// ```
#[track_caller]
pub fn triu_indices_from(x: &Tensor, k: isize) -> (Tensor, Tensor) {
    let (n, m) = matrix_dims("triu_indices_from", x);
    triu_indices(n, k, Some(m))
}

/// `jnp.diag_indices(n, ndim)`: `ndim` copies of `arange(n)` (i32), indexing the main
/// diagonal of an `n x ... x n` array (JAX's default `ndim` is 2).
///
/// ```
/// let idx = ferrax::numpy::diag_indices(3, 2);
/// assert_eq!(idx.len(), 2);
/// assert_eq!(idx[1].to_vec::<i32>(), vec![0, 1, 2]);
/// ```
pub fn diag_indices(n: usize, ndim: usize) -> Vec<Tensor> {
    (0..ndim).map(|_| lax::iota(DType::I32, &[n], 0)).collect()
}

/// `jnp.diag_indices_from(x)`: [`diag_indices`] of an array whose axes all have one length.
///
/// ```
/// let x = ferrax::numpy::zeros(&[2, 2]);
/// assert_eq!(ferrax::numpy::diag_indices_from(&x)[0].to_vec::<i32>(), vec![0, 1]);
/// ```
#[track_caller]
pub fn diag_indices_from(x: &Tensor) -> Vec<Tensor> {
    assert!(
        x.ndim() >= 2 && x.shape().iter().all(|&d| d == x.shape()[0]),
        "diag_indices_from: needs rank >= 2 with equal axes, got shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    diag_indices(x.shape()[0], x.ndim())
}

/// `jnp.vander(x, n)`: the Vandermonde matrix of the 1-D `x`, columns `x**(n-1), ...,
/// x**0` (`n = len(x)` when `None`; JAX's `increasing=False`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![2.0f32, 3.0], &[2]);
/// assert_eq!(ferrax::numpy::vander(&x, None).to_vec::<f32>(), vec![2.0, 1.0, 3.0, 1.0]);
/// ```
#[track_caller]
pub fn vander(x: &Tensor, n: Option<usize>) -> Tensor {
    assert!(
        x.ndim() == 1,
        "vander: x must be 1-D, got shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    let n = n.unwrap_or(x.shape()[0]);
    let iota = lax::rev(&lax::iota(x.dtype(), &[n], 0), &[0]);
    let col = lax::reshape(x, &[x.shape()[0], 1]);
    if x.dtype().is_float() {
        power(&col, lax::reshape(&iota, &[1, n]))
    } else {
        // Integer powers by repeated multiplication (numpy's integer `power`).
        let cols: Vec<Tensor> = (0..n)
            .rev()
            .map(|p| {
                (0..p).fold(Tensor::full(&[x.shape()[0], 1], 1, x.dtype()), |acc, _| {
                    lax::mul(&acc, &col)
                })
            })
            .collect();
        lax::concatenate(&cols, 1)
    }
}

/// `jnp.resize(x, new_shape)`: the flattened `x` repeated cyclically to fill `new_shape`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3], &[3]);
/// assert_eq!(ferrax::numpy::resize(&x, &[2, 2]).to_vec::<i32>(), vec![1, 2, 3, 1]);
/// ```
#[track_caller]
pub fn resize(x: &Tensor, new_shape: &[usize]) -> Tensor {
    let new_size: usize = new_shape.iter().product();
    let size = x.size();
    if size == 0 || new_size == 0 {
        return Tensor::zeros(new_shape, x.dtype());
    }
    let reps = new_size.div_ceil(size);
    let flat = tile(&ravel(x), &[reps]);
    lax::reshape(&slice_axis(&flat, 0, 0, new_size as isize), new_shape)
}

/// `jnp.delete(x, indices, axis)`: `x` without the given (static) positions along `axis`
/// (of the flattened `x` for `None`); negative indices count from the end.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[4]);
/// assert_eq!(ferrax::numpy::delete(&x, &[0, -1], None).to_vec::<i32>(), vec![2, 3]);
/// ```
#[track_caller]
pub fn delete(x: &Tensor, indices: &[isize], axis: Option<isize>) -> Tensor {
    let (x, a) = match axis {
        None => (ravel(x), 0),
        Some(a) => (x.clone(), normalize_axis(a, x.ndim())),
    };
    let n = x.shape()[a] as isize;
    let drop: Vec<isize> = indices
        .iter()
        .map(|&i| {
            assert!(
                -n <= i && i < n,
                "delete: index {i} out of bounds for axis {a} of shape {:?} (called from {})",
                x.shape(),
                std::panic::Location::caller()
            );
            i.rem_euclid(n)
        })
        .collect();
    let keep: Vec<i32> = (0..n)
        .filter(|i| !drop.contains(i))
        .map(|i| i as i32)
        .collect();
    let len = keep.len();
    take(&x, &Tensor::from_vec(keep, &[len]), a as isize)
}
