//! `multivariate_normal`: `mean + L·z` with `L` the Cholesky factor of the covariance
//! (JAX's default `method="cholesky"`). With feature `linalg` the factor is
//! `lax::linalg::cholesky` (symmetrized input, as `jnp.linalg.cholesky`); without it (the
//! notebooks' build) it comes from a small Cholesky–Banachiewicz routine written in lax ops
//! (so it traces, batches and differentiates). JAX's `eigh` and `svd` methods are not
//! available.

use super::params::check_float;
use super::samplers::normal_with;
#[cfg(not(feature = "linalg"))]
use crate::interpreters::vmap;
use crate::lax;
use crate::numpy;
use crate::tensor::{DType, Tensor};

/// The lower Cholesky factor of one symmetric positive-definite `[n, n]` matrix, column by
/// column: `col_j = (a[:, j] - L[:, :j] · L[j, :j]) / sqrt(..)`, zero above the diagonal.
#[cfg(not(feature = "linalg"))]
fn cholesky_2d(a: &Tensor) -> Tensor {
    let n = a.shape()[0];
    let dt = a.dtype();
    let rows = lax::iota(DType::I32, &[n], 0);
    let mut cols: Vec<Tensor> = Vec::with_capacity(n);
    for j in 0..n {
        let mut aj = lax::reshape(&lax::slice(a, &[0, j], &[n, j + 1], None), &[n]);
        if j > 0 {
            let lp = lax::concatenate(&cols, 1); // [n, j]
            let rowj = lax::reshape(&lax::slice(&lp, &[j, 0], &[j + 1, j], None), &[j]);
            let prod = lax::dot_general(&lp, &rowj, ((&[1], &[0]), (&[], &[])), None);
            aj = lax::sub(&aj, &prod);
        }
        let d = lax::sqrt(&lax::reshape(&lax::slice(&aj, &[j], &[j + 1], None), &[]));
        let col = lax::div(&aj, &d);
        let below = lax::ge(&rows, &Tensor::scalar(j as i32));
        let col = lax::select_n(&below, &[Tensor::zeros(&[n], dt), col]);
        cols.push(lax::reshape(&col, &[n, 1]));
    }
    lax::concatenate(&cols, 1)
}

/// Lower Cholesky factors of `[..., n, n]`: the `cholesky` primitive (feature `linalg`).
#[cfg(feature = "linalg")]
fn cholesky(cov: &Tensor) -> Tensor {
    lax::linalg::cholesky(cov, true)
}

/// Lower Cholesky factors of `[..., n, n]` (batches by `vmap` over the flattened batch).
#[cfg(not(feature = "linalg"))]
fn cholesky(cov: &Tensor) -> Tensor {
    let nd = cov.ndim();
    if nd == 2 {
        return cholesky_2d(cov);
    }
    let n = cov.shape()[nd - 1];
    let b: usize = cov.shape()[..nd - 2].iter().product();
    let flat = lax::reshape(cov, &[b, n, n]);
    let l = vmap(cholesky_2d)(&flat);
    lax::reshape(&l, cov.shape())
}

/// Multivariate normal samples (`jax.random.multivariate_normal(key, mean, cov, shape,
/// dtype, method="cholesky")`): `mean + L z`, `z` standard normal of shape `shape + [n]`,
/// `L` the lower Cholesky factor of `cov` (`[..., n, n]`, symmetric positive definite).
/// `shape` defaults to the broadcast of `mean.shape[..-1]` and `cov.shape[..-2]`. Only
/// `method = "cholesky"` exists (ferrax has no `eigh`/`svd`).
///
/// ```
/// use ferrax::prelude::*;
/// let mean = Tensor::from_vec(vec![1.0f32, -1.0], &[2]);
/// let cov = Tensor::from_vec(vec![2.0f32, 0.5, 0.5, 1.0], &[2, 2]);
/// let x = ferrax::random::multivariate_normal(&ferrax::random::key(0), &mean, &cov, Some(&[5]), DType::F32, "cholesky");
/// assert_eq!(x.shape(), &[5, 2]);
/// ```
#[track_caller]
pub fn multivariate_normal(
    key: &Tensor,
    mean: &Tensor,
    cov: &Tensor,
    shape: Option<&[usize]>,
    dtype: DType,
    method: &str,
) -> Tensor {
    check_float(dtype, "multivariate_normal");
    assert!(
        method == "cholesky",
        "random::multivariate_normal: method {method:?} is not available (ferrax has no \
         eigh/svd); use \"cholesky\""
    );
    assert!(
        mean.ndim() >= 1 && cov.ndim() >= 2,
        "random::multivariate_normal: needs mean.ndim >= 1 and cov.ndim >= 2, got mean {:?}, \
         cov {:?}",
        mean.shape(),
        cov.shape()
    );
    let n = mean.shape()[mean.ndim() - 1];
    let cs = cov.shape();
    assert!(
        cs[cs.len() - 2..] == [n, n],
        "random::multivariate_normal: cov.shape must be [..., {n}, {n}] for mean {:?}, got {cs:?}",
        mean.shape()
    );
    let mb = &mean.shape()[..mean.ndim() - 1];
    let cb = &cs[..cs.len() - 2];
    let batch = numpy::broadcast_shapes(mb, cb);
    let shape = match shape {
        None => batch,
        Some(s) => {
            assert!(
                numpy::broadcast_shapes(s, &batch) == s,
                "random::multivariate_normal: shape {s:?} is not compatible with the batch \
                 shapes {mb:?} (mean) and {cb:?} (cov)"
            );
            s.to_vec()
        }
    };
    let cast = |x: &Tensor| {
        if x.dtype() == dtype {
            x.clone()
        } else {
            lax::convert_element_type(x, dtype)
        }
    };
    let factor = cholesky(&cast(cov));
    let mut zs = shape.clone();
    zs.push(n);
    let z = normal_with(key, &zs, dtype);
    let mut fs = shape.clone();
    fs.extend_from_slice(&[n, n]);
    let factor = numpy::broadcast_to(&factor, &fs);
    let nb = shape.len();
    let bd: Vec<usize> = (0..nb).collect();
    let lz = lax::dot_general(&factor, &z, ((&[nb + 1], &[nb]), (&bd, &bd)), None);
    lax::add(&numpy::broadcast_to(&cast(mean), &zs), &lz)
}
