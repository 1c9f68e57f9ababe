//! Matrices and grids, `jax.numpy` style: `eye`, `identity`, `tri`, `tril`, `triu`,
//! `diagonal`, `diag`, `trace`, `indices`, `meshgrid`.

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// Options of [`eye_with`] and [`tri_with`]: the column count `m` (`None`: square), the
/// diagonal offset `k` (positive above the main diagonal) and the `dtype` (`None`: f32).
#[derive(Clone, Copy, Debug, Default)]
pub struct Eye {
    /// Number of columns (`None`: as many as rows).
    pub m: Option<usize>,
    /// Diagonal offset.
    pub k: isize,
    /// Result dtype (`None`: f32).
    pub dtype: Option<DType>,
}

/// The `n × m` bool mask `col - row == k` (`op` `Eq`) or `col - row <= k` (`Le`).
fn offset_mask(n: usize, m: usize, k: isize, op: crate::prims::BinaryOp) -> Tensor {
    let rows = lax::iota(DType::I32, &[n, m], 0);
    let cols = lax::iota(DType::I32, &[n, m], 1);
    let d = lax::sub(&cols, &rows);
    binary("tri", op, &d, k as i32)
}

/// `jnp.eye(n)`: the `n × n` f32 identity.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::numpy::eye(2).to_vec::<f32>(), vec![1.0, 0.0, 0.0, 1.0]);
/// ```
pub fn eye(n: usize) -> Tensor {
    eye_with(n, Eye::default())
}

/// `jnp.eye(n, m, k, dtype)`: ones on the `k`-th diagonal of an `n × m` matrix.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, Eye};
/// let x = jnp::eye_with(2, Eye { m: Some(3), k: 1, ..Default::default() });
/// assert_eq!(x.to_vec::<f32>(), vec![0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
/// ```
pub fn eye_with(n: usize, opts: Eye) -> Tensor {
    let m = opts.m.unwrap_or(n);
    let mask = offset_mask(n, m, opts.k, crate::prims::BinaryOp::Eq);
    lax::convert_element_type(&mask, opts.dtype.unwrap_or(DType::F32))
}

/// `jnp.identity(n)`: the `n × n` f32 identity.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::numpy::identity(1).to_vec::<f32>(), vec![1.0]);
/// ```
pub fn identity(n: usize) -> Tensor {
    eye(n)
}

/// `jnp.tri(n)`: ones at and below the main diagonal (f32).
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::numpy::tri(2).to_vec::<f32>(), vec![1.0, 0.0, 1.0, 1.0]);
/// ```
pub fn tri(n: usize) -> Tensor {
    tri_with(n, Eye::default())
}

/// `jnp.tri(n, m, k, dtype)`: ones at and below the `k`-th diagonal.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, Eye};
/// let x = jnp::tri_with(2, Eye { k: -1, ..Default::default() });
/// assert_eq!(x.to_vec::<f32>(), vec![0.0, 0.0, 1.0, 0.0]);
/// ```
pub fn tri_with(n: usize, opts: Eye) -> Tensor {
    let m = opts.m.unwrap_or(n);
    let mask = offset_mask(n, m, opts.k, crate::prims::BinaryOp::Le);
    lax::convert_element_type(&mask, opts.dtype.unwrap_or(DType::F32))
}

/// The last two dims of `x` (panicking, naming `name`, below rank 2).
#[track_caller]
fn matrix_dims(name: &str, x: &Tensor) -> (usize, usize) {
    assert!(
        x.ndim() >= 2,
        "{name}: input must have rank >= 2, got shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    (x.shape()[x.ndim() - 2], x.shape()[x.ndim() - 1])
}

/// `jnp.tril(x, k)`: `x` with the elements above the `k`-th diagonal of its last two dims
/// zeroed (`k = 0`: the main diagonal).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// assert_eq!(ferrax::numpy::tril(&x, 0).to_vec::<i32>(), vec![1, 0, 3, 4]);
/// ```
#[track_caller]
pub fn tril(x: &Tensor, k: isize) -> Tensor {
    let (n, m) = matrix_dims("tril", x);
    let mask = offset_mask(n, m, k, crate::prims::BinaryOp::Le);
    where_(&broadcast_to(&mask, x.shape()), x, zeros_like(x))
}

/// `jnp.triu(x, k)`: `x` with the elements below the `k`-th diagonal of its last two dims
/// zeroed.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// assert_eq!(ferrax::numpy::triu(&x, 1).to_vec::<i32>(), vec![0, 2, 0, 0]);
/// ```
#[track_caller]
pub fn triu(x: &Tensor, k: isize) -> Tensor {
    let (n, m) = matrix_dims("triu", x);
    let mask = offset_mask(n, m, k - 1, crate::prims::BinaryOp::Le);
    where_(&broadcast_to(&mask, x.shape()), zeros_like(x), x)
}

/// Options of [`diagonal_with`] and [`trace_with`] (JAX's `offset=0, axis1=0, axis2=1`).
#[derive(Clone, Copy, Debug)]
pub struct Diagonal {
    /// Diagonal offset (positive above the main diagonal).
    pub offset: isize,
    /// The row axis.
    pub axis1: isize,
    /// The column axis.
    pub axis2: isize,
}

impl Default for Diagonal {
    fn default() -> Self {
        Diagonal {
            offset: 0,
            axis1: 0,
            axis2: 1,
        }
    }
}

/// `jnp.diagonal(x)`: the main diagonal over axes 0 and 1 (appended as the last axis).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// assert_eq!(ferrax::numpy::diagonal(&x).to_vec::<i32>(), vec![1, 4]);
/// ```
#[track_caller]
pub fn diagonal(x: &Tensor) -> Tensor {
    diagonal_with(x, Diagonal::default())
}

/// `jnp.diagonal(x, offset, axis1, axis2)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, Diagonal};
/// let x = Tensor::from_vec(vec![1, 2, 3, 4, 5, 6], &[2, 3]);
/// let d = jnp::diagonal_with(&x, Diagonal { offset: 1, ..Default::default() });
/// assert_eq!(d.to_vec::<i32>(), vec![2, 6]);
/// ```
#[track_caller]
pub fn diagonal_with(x: &Tensor, opts: Diagonal) -> Tensor {
    assert!(
        x.ndim() >= 2,
        "diagonal: input must have rank >= 2, got shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    let (a1, a2) = (
        normalize_axis(opts.axis1, x.ndim()),
        normalize_axis(opts.axis2, x.ndim()),
    );
    assert!(
        a1 != a2,
        "diagonal: axis1 and axis2 are the same axis {a1} of shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    let mut perm: Vec<usize> = (0..x.ndim()).filter(|&d| d != a1 && d != a2).collect();
    perm.extend([a1, a2]);
    let t = lax::transpose(x, &perm);
    let (n, m) = (x.shape()[a1] as isize, x.shape()[a2] as isize);
    let k = opts.offset;
    let len = (n + k.min(0)).min(m - k.max(0)).max(0) as usize;
    let row0 = (-k).max(0) as usize;
    let mask = offset_mask(n as usize, m as usize, k, crate::prims::BinaryOp::Eq);
    let picked = where_(&broadcast_to(&mask, t.shape()), &t, 0);
    let picked = if picked.dtype() == DType::Bool {
        lax::convert_element_type(&picked, DType::I32)
    } else {
        picked
    };
    let rows = lax::reduce_sum(&picked, &[t.ndim() - 1]);
    let rows = lax::convert_element_type(&rows, x.dtype());
    slice_axis(&rows, -1, row0 as isize, (row0 + len) as isize)
}

/// `jnp.diag(v, k)`: for a 1-D `v`, the square matrix with `v` on its `k`-th diagonal; for
/// a 2-D `v`, its `k`-th diagonal.
///
/// ```
/// use ferrax::prelude::*;
/// let v = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::diag(&v, 0).to_vec::<i32>(), vec![1, 0, 0, 2]);
/// assert_eq!(ferrax::numpy::diag(&v, 1).shape(), &[3, 3]);
/// ```
#[track_caller]
pub fn diag(v: &Tensor, k: isize) -> Tensor {
    match v.ndim() {
        1 => {
            let n = v.shape()[0] + k.unsigned_abs();
            let padded = lax::pad(
                v,
                &Tensor::full(&[], 0, v.dtype()),
                &[(0, k.unsigned_abs() as i64, 0)],
            );
            // k >= 0: out[i, i + k] = v[i] (v along the rows); k < 0: out[j - k, j] = v[j].
            let dim = if k >= 0 { 0 } else { 1 };
            let b = lax::broadcast_in_dim(&padded, &[n, n], &[dim]);
            let mask = offset_mask(n, n, k, crate::prims::BinaryOp::Eq);
            where_(&mask, &b, zeros_like(&b))
        }
        2 => diagonal_with(
            v,
            Diagonal {
                offset: k,
                ..Default::default()
            },
        ),
        _ => panic!(
            "diag: input must be 1-D or 2-D, got shape {:?} (called from {})",
            v.shape(),
            std::panic::Location::caller()
        ),
    }
}

/// `jnp.trace(x)`: the sum of the main diagonal over axes 0 and 1.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::trace(&x).item::<f32>(), 5.0);
/// ```
#[track_caller]
pub fn trace(x: &Tensor) -> Tensor {
    trace_with(x, Diagonal::default())
}

/// `jnp.trace(x, offset, axis1, axis2)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, Diagonal};
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// assert_eq!(jnp::trace_with(&x, Diagonal { offset: -1, ..Default::default() }).item::<i32>(), 3);
/// ```
#[track_caller]
pub fn trace_with(x: &Tensor, opts: Diagonal) -> Tensor {
    sum(&diagonal_with(x, opts), Some(&[-1]))
}

/// `jnp.indices(dimensions)`: an i32 tensor of shape `[ndim, *dimensions]` whose `i`-th slice
/// holds each element's index along dim `i`.
///
/// ```
/// use ferrax::prelude::*;
/// let ix = ferrax::numpy::indices(&[2, 2]);
/// assert_eq!(ix.to_vec::<i32>(), vec![0, 0, 1, 1, 0, 1, 0, 1]);
/// ```
pub fn indices(dimensions: &[usize]) -> Tensor {
    let mut shape = vec![1];
    shape.extend_from_slice(dimensions);
    let parts: Vec<Tensor> = (0..dimensions.len())
        .map(|i| lax::iota(DType::I32, &shape, i + 1))
        .collect();
    if parts.is_empty() {
        return Tensor::zeros(&[0], DType::I32);
    }
    lax::concatenate(&parts, 0)
}

/// Options of [`meshgrid_with`]: `indexing` is `"xy"` (Cartesian, the default) or `"ij"`
/// (matrix).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Indexing {
    /// Cartesian: the first two output dims are swapped.
    #[default]
    Xy,
    /// Matrix: output dim `i` follows input `i`.
    Ij,
}

/// `jnp.meshgrid(*xs)`: coordinate grids from 1-D tensors (Cartesian `xy` indexing).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3], &[3]);
/// let y = Tensor::from_vec(vec![7, 8], &[2]);
/// let g = ferrax::numpy::meshgrid(&[x, y]);
/// assert_eq!(g[0].shape(), &[2, 3]);
/// assert_eq!(g[1].to_vec::<i32>(), vec![7, 7, 7, 8, 8, 8]);
/// ```
#[track_caller]
pub fn meshgrid(xs: &[Tensor]) -> Vec<Tensor> {
    meshgrid_with(xs, Indexing::Xy)
}

/// `jnp.meshgrid(*xs, indexing=...)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, Indexing};
/// let x = Tensor::from_vec(vec![1, 2, 3], &[3]);
/// let y = Tensor::from_vec(vec![7, 8], &[2]);
/// assert_eq!(jnp::meshgrid_with(&[x, y], Indexing::Ij)[0].shape(), &[3, 2]);
/// ```
#[track_caller]
pub fn meshgrid_with(xs: &[Tensor], indexing: Indexing) -> Vec<Tensor> {
    for x in xs {
        assert!(
            x.ndim() == 1,
            "meshgrid: inputs must be 1-D, got shape {:?} (called from {})",
            x.shape(),
            std::panic::Location::caller()
        );
    }
    let mut shape: Vec<usize> = xs.iter().map(|x| x.shape()[0]).collect();
    let swap = indexing == Indexing::Xy && xs.len() >= 2;
    if swap {
        shape.swap(0, 1);
    }
    xs.iter()
        .enumerate()
        .map(|(i, x)| {
            let dim = match (swap, i) {
                (true, 0) => 1,
                (true, 1) => 0,
                _ => i,
            };
            lax::broadcast_in_dim(x, &shape, &[dim])
        })
        .collect()
}
