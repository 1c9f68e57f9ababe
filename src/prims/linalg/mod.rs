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
use crate::kernels::linalg::LinalgFloat;
use crate::prims::lax;
use crate::tensor::{ArrayData, ArrayElement, DType, Tensor};
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

/// The elements of an f32/f64 operand in its own type, row-major (a copy of the buffer when
/// it is already row-major, else in logical order): what the native f32/f64 kernels take.
pub(crate) fn owned<T: LinalgFloat>(x: &ArrayData) -> Vec<T> {
    let a = T::view(x).expect("linalg operand: dtype checked by abstract_eval");
    match a.as_slice() {
        Some(s) => s.to_vec(),
        None => a.iter().copied().collect(),
    }
}

/// `x`'s row-major elements, borrowed when they already lie contiguously (a kernel that only
/// reads its operand needs no copy of it), else gathered.
pub(crate) fn borrowed<T: LinalgFloat>(x: &ArrayData) -> std::borrow::Cow<'_, [T]> {
    let a = T::view(x).expect("linalg operand: dtype checked by abstract_eval");
    match a.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(a.iter().copied().collect()),
    }
}

/// A kernel's row-major result as an array of `shape`.
pub(crate) fn wrap<T: LinalgFloat>(v: Vec<T>, shape: &[usize]) -> ArrayData {
    T::wrap(ArrayD::from_shape_vec(IxDyn(shape), v).expect("shape"))
}

/// Runs the generic `$body` with `$t` bound to the operand's element type (f32 or f64).
macro_rules! with_linalg_float {
    ($dtype:expr, $t:ident => $body:expr) => {
        match $dtype {
            crate::tensor::DType::F32 => {
                type $t = f32;
                $body
            }
            crate::tensor::DType::F64 => {
                type $t = f64;
                $body
            }
            other => unreachable!("linalg of {other}: checked by abstract_eval"),
        }
    };
}
pub(crate) use with_linalg_float;

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
    if band_already_zero(x, k, true) {
        return x.clone();
    }
    let keep = band_mask(x.shape(), k, true);
    let z = super::util::zeros_like(x);
    lax::select_n(&keep, &[z, x.clone()])
}

/// `x` with zeros below its `k`-th diagonal (JAX's `_triu`).
pub(crate) fn triu(x: &Tensor, k: i64) -> Tensor {
    if band_already_zero(x, k, false) {
        return x.clone();
    }
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
    let eager = match eager_value(x) {
        Some(ArrayData::F32(a)) => symmetrized(a).map(f32::wrap),
        Some(ArrayData::F64(a)) => symmetrized(a).map(f64::wrap),
        _ => None,
    };
    if let Some(out) = eager {
        return Tensor::from_array(out);
    }
    lax::div(&lax::add(x, &mt(x)), &scalar_like(2.0, x))
}

// Eager fast paths of the wrappers' masks and symmetrization. Run eagerly (no trace active
// on this thread), `tril`/`triu` and `symmetrize` are several passes each (iotas, compare,
// select; transpose, add, divide), a visible part of a factorization at n = 256. On concrete
// values they are done here in one pass, with bit-identical results (`(a + aᵀ) / 2` in the
// same operations; a mask whose masked-out entries are already +0.0 returns its input, which
// is what the kernels' factors hold), so eager stays equal to jit, where the ops are staged
// as JAX's and fused.

/// `x`'s data when it is evaluated eagerly (a concrete value, no trace active).
fn eager_value(x: &Tensor) -> Option<&ArrayData> {
    if crate::core::current_trace().is_some() {
        return None;
    }
    x.try_array()
}

/// Whether eagerly evaluated `x` already holds +0.0 everywhere `tril(x, k)` (`lower`) or
/// `triu(x, k)` would write zeros, so the mask would return its input unchanged.
fn band_already_zero(x: &Tensor, k: i64, lower: bool) -> bool {
    match eager_value(x) {
        Some(ArrayData::F32(a)) => band_is_zero(a, k, lower),
        Some(ArrayData::F64(a)) => band_is_zero(a, k, lower),
        _ => false,
    }
}

fn band_is_zero<T: LinalgFloat>(a: &ArrayD<T>, k: i64, lower: bool) -> bool {
    let (Some(s), r) = (a.as_slice(), a.ndim()) else {
        return false;
    };
    if r < 2 {
        return false;
    }
    let (m, n) = (a.shape()[r - 2], a.shape()[r - 1]);
    if m * n == 0 {
        return true;
    }
    let positive_zero = |v: &T| *v == T::zero() && !num_traits::Float::is_sign_negative(*v);
    s.chunks(m * n).all(|mat| {
        (0..m).all(|i| {
            let row = &mat[i * n..(i + 1) * n];
            // tril keeps columns j <= i + k, triu keeps j >= i + k.
            let masked = if lower {
                &row[(i as i64 + k + 1).clamp(0, n as i64) as usize..]
            } else {
                &row[..(i as i64 + k).clamp(0, n as i64) as usize]
            };
            masked.iter().all(positive_zero)
        })
    })
}

/// `(a + aᵀ) / 2` over the trailing square matrices of the row-major `a`, in tiles (None
/// when `a` is not a contiguous stack of square matrices).
fn symmetrized<T: LinalgFloat>(a: &ArrayD<T>) -> Option<ArrayD<T>> {
    const TILE: usize = 32;
    let (s, r) = (a.as_slice()?, a.ndim());
    if r < 2 || a.shape()[r - 1] != a.shape()[r - 2] {
        return None;
    }
    let n = a.shape()[r - 1];
    let two = T::one() + T::one();
    let mut out = vec![T::zero(); s.len()];
    for (src, dst) in s.chunks(n * n).zip(out.chunks_mut(n * n)) {
        for ib in (0..n).step_by(TILE) {
            for jb in (0..n).step_by(TILE) {
                for i in ib..(ib + TILE).min(n) {
                    for j in jb..(jb + TILE).min(n) {
                        dst[i * n + j] = (src[i * n + j] + src[j * n + i]) / two;
                    }
                }
            }
        }
    }
    ArrayD::from_shape_vec(IxDyn(a.shape()), out).ok()
}
