//! The `lax.linalg` primitives (JAX's `jax/_src/lax/linalg.py`): `cholesky`,
//! `triangular_solve`, `lu`, `qr`, `eigh` and `svd`, one file per family, each with its params
//! printed as JAX prints them, its shape rule, its eval on `kernels::linalg` (faer for the
//! iterative decompositions), JAX's JVP formula written with lax ops (so it is itself
//! differentiable and batchable), and batching. As in JAX, the leading dims of every operand
//! are batch dims: a vmapped axis is moved to the front and the primitive bound again.
//!
//! f32 and f64 only; both are computed in f64 (one instantiation of the kernels) and f32
//! results are rounded once.

pub mod cholesky;
pub mod eig;
pub mod eigh;
pub mod lu;
pub mod qr;
pub mod svd;
pub mod triangular_solve;
pub mod tridiagonal;

use super::util::batch_at;
use crate::core::Aval;
use crate::prims::lax;
use crate::tensor::{ArrayData, DType, Tensor};
use ndarray::{ArrayD, IxDyn};

/// `(m, n)` of a matrix operand `[.., m, n]` of f32 or f64, or an error naming the op.
pub(crate) fn matrix_dims(op: &str, x: &Aval) -> Result<(usize, usize), String> {
    if x.ndim() < 2 {
        return Err(format!("{op}: needs a matrix [.., m, n], got {x}"));
    }
    if !matches!(x.dtype, DType::F32 | DType::F64) {
        return Err(format!("{op}: supports f32 and f64, got {x}"));
    }
    Ok((x.shape[x.ndim() - 2], x.shape[x.ndim() - 1]))
}

/// The elements of an f32/f64 operand as f64, row-major: a copy of the buffer when it is
/// already row-major (the usual case; ndarray's element iterator over dynamic dims costs
/// more than a small factorization), else in logical order.
pub(crate) fn to_f64(x: &ArrayData) -> Vec<f64> {
    match x {
        ArrayData::F32(a) => match a.as_slice() {
            Some(s) => s.iter().map(|&v| f64::from(v)).collect(),
            None => a.iter().map(|&v| f64::from(v)).collect(),
        },
        ArrayData::F64(a) => match a.as_slice() {
            Some(s) => s.to_vec(),
            None => a.iter().copied().collect(),
        },
        other => unreachable!("linalg of {}: checked by abstract_eval", other.dtype()),
    }
}

/// Row-major f64 values as an array of `dtype` (f32 rounded once).
pub(crate) fn from_f64(v: Vec<f64>, shape: &[usize], dtype: DType) -> ArrayData {
    match dtype {
        DType::F32 => ArrayData::F32(
            ArrayD::from_shape_vec(IxDyn(shape), v.into_iter().map(|x| x as f32).collect())
                .expect("shape"),
        ),
        DType::F64 => ArrayData::F64(ArrayD::from_shape_vec(IxDyn(shape), v).expect("shape")),
        other => unreachable!("linalg to {other}: checked by abstract_eval"),
    }
}

/// Row-major i32 values as an array.
pub(crate) fn from_i32(v: Vec<i32>, shape: &[usize]) -> ArrayData {
    ArrayData::I32(ArrayD::from_shape_vec(IxDyn(shape), v).expect("shape"))
}

/// The number of matrices in a `[.., m, n]` shape (the product of the batch dims).
pub(crate) fn batch_count(shape: &[usize]) -> usize {
    shape[..shape.len() - 2].iter().product()
}

/// Every operand with its batch dim moved to the front (broadcast there if unbatched): the
/// linalg primitives' batching, since their leading dims are batch dims.
pub(crate) fn all_at_front(args: &[Tensor], dims: &[Option<usize>], size: usize) -> Vec<Tensor> {
    args.iter()
        .zip(dims)
        .map(|(a, d)| batch_at(a, *d, size, 0))
        .collect()
}

/// `x` with its last two axes swapped (JAX's `_T`).
pub(crate) fn mt(x: &Tensor) -> Tensor {
    let r = x.ndim();
    let mut perm: Vec<usize> = (0..r).collect();
    perm.swap(r - 2, r - 1);
    lax::transpose(x, &perm)
}

/// Batched matrix product `[.., m, k] @ [.., k, n]` (equal batch dims).
pub(crate) fn mm(a: &Tensor, b: &Tensor) -> Tensor {
    let r = a.ndim();
    let batch: Vec<usize> = (0..r - 2).collect();
    lax::dot_general(a, b, ((&[r - 1], &[r - 2]), (&batch, &batch)), None)
}

/// Where `col - row <= k` (`lower`) or `col - row >= k` (upper) on a `[.., m, n]` shape.
fn band_mask(shape: &[usize], k: i64, lower: bool) -> Tensor {
    let r = shape.len();
    let rows = lax::iota(DType::I32, shape, r - 2);
    let shifted = lax::add(&rows, &Tensor::scalar(k as i32));
    let cols = lax::iota(DType::I32, shape, r - 1);
    if lower {
        lax::ge(&shifted, &cols)
    } else {
        lax::le(&shifted, &cols)
    }
}

/// `x` with zeros above its `k`-th diagonal (JAX's `_tril`).
pub(crate) fn tril(x: &Tensor, k: i64) -> Tensor {
    let keep = band_mask(x.shape(), k, true);
    let z = super::util::zeros_like(x);
    lax::select_n(&keep, &[z, x.clone()])
}

/// `x` with zeros below its `k`-th diagonal (JAX's `_triu`).
pub(crate) fn triu(x: &Tensor, k: i64) -> Tensor {
    let keep = band_mask(x.shape(), k, false);
    let z = super::util::zeros_like(x);
    lax::select_n(&keep, &[z, x.clone()])
}

/// The identity of `n x n` and `dtype`, broadcast to `[batch.., n, n]`.
pub(crate) fn eye(n: usize, dtype: DType, batch: &[usize]) -> Tensor {
    let mut shape = batch.to_vec();
    shape.extend([n, n]);
    let r = shape.len();
    let rows = lax::iota(DType::I32, &shape, r - 2);
    let cols = lax::iota(DType::I32, &shape, r - 1);
    lax::convert_element_type(&lax::eq(&rows, &cols), dtype)
}

/// The diagonal `[.., n]` of a `[.., n, n]` tensor.
pub(crate) fn diagonal(x: &Tensor) -> Tensor {
    let n = x.shape()[x.ndim() - 1];
    let masked = lax::mul(x, &eye(n, x.dtype(), &x.shape()[..x.ndim() - 2]));
    lax::reduce_sum(&masked, &[x.ndim() - 1])
}

/// `[.., n]` placed on the diagonal of `[.., n, n]` zeros.
pub(crate) fn diag_matrix(d: &Tensor) -> Tensor {
    let n = d.shape()[d.ndim() - 1];
    let batch = &d.shape()[..d.ndim() - 1];
    let mut shape = batch.to_vec();
    shape.extend([n, n]);
    let dims: Vec<usize> = (0..batch.len()).chain([batch.len() + 1]).collect();
    let row = lax::broadcast_in_dim(d, &shape, &dims);
    lax::mul(&row, &eye(n, d.dtype(), batch))
}

/// `[.., n]` as a row `[.., 1, n]`.
pub(crate) fn as_row(v: &Tensor) -> Tensor {
    let mut shape = v.shape().to_vec();
    shape.insert(shape.len() - 1, 1);
    lax::reshape(v, &shape)
}

/// A scalar of `x`'s dtype.
pub(crate) fn scalar_like(v: f64, x: &Tensor) -> Tensor {
    Tensor::full(&[], v, x.dtype())
}

/// JAX's `symmetrize`: `(x + xᵀ) / 2`.
pub(crate) fn symmetrize(x: &Tensor) -> Tensor {
    lax::div(&lax::add(x, &mt(x)), &scalar_like(2.0, x))
}
