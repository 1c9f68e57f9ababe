//! `svd` (JAX's `lax.linalg.svd_p`): singular values (descending) and, with `compute_uv`, the
//! singular vectors `U` and `Vᵀ`. The primitive's outputs are `(s, U, Vᵀ)` as JAX's; the lax
//! function returns `(U, s, Vᵀ)` as `lax.linalg.svd`. The JVP is JAX's `_svd_jvp_rule`,
//! with its handling of repeated and zero singular values: `F = 1/(s_j² - s_i²)` off the
//! diagonal (a repeated value gives an infinite entry, as in JAX), `1/s` read as 0 where
//! `s = 0`, and the extra terms of non-square matrices.

use super::{all_at_front, as_row, batch_count, diag_matrix, diagonal, eye};
use super::{matrix_dims, mm, mt, scalar_like, with_linalg_float, wrap};
use crate::core::{bind, Aval, Avals};
use crate::kernels::linalg as k;
use crate::prims::lax;
use crate::prims::util::{expect_arity, py_bool, text};
use crate::prims::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, Param, Prim, PrimRules};
use crate::tensor::{ArrayData, Tensor};
use smallvec::smallvec;

/// The primitive and its params.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Svd {
    /// `U` of `m x m` and `Vᵀ` of `n x n` (true) or `m x k` and `k x n` (`k = min(m, n)`).
    pub full_matrices: bool,
    /// Also compute `U` and `Vᵀ` (else the only output is `s`).
    pub compute_uv: bool,
}

/// The SVD of `[.., m, n]` `x` (`lax.linalg.svd(x, full_matrices, compute_uv=True)`):
/// `(u, s, vt)` with `x = u diag(s) vt` and `s` descending.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![3.0f64, 0.0, 0.0, -2.0], &[2, 2]);
/// let (_u, s, _vt) = ferrax::lax::linalg::svd(&a, false);
/// assert_eq!(s.to_vec::<f64>(), vec![3.0, 2.0]);
/// ```
#[track_caller]
pub fn svd(x: &Tensor, full_matrices: bool) -> (Tensor, Tensor, Tensor) {
    let p = Svd {
        full_matrices,
        compute_uv: true,
    };
    let out = bind(&Prim::new(p), std::slice::from_ref(x));
    (out[1].clone(), out[0].clone(), out[2].clone())
}

/// The singular values of `x`, descending (`lax.linalg.svd(x, compute_uv=False)`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![0.0f32, 2.0, 1.0, 0.0], &[2, 2]);
/// assert_eq!(ferrax::lax::linalg::singular_values(&a).to_vec::<f32>(), vec![2.0, 1.0]);
/// ```
#[track_caller]
pub fn singular_values(x: &Tensor) -> Tensor {
    // JAX's `svd(x, compute_uv=False)` keeps the default `full_matrices=True`.
    let p = Svd {
        full_matrices: true,
        compute_uv: false,
    };
    bind(&Prim::new(p), std::slice::from_ref(x))[0].clone()
}

impl PrimRules for Svd {
    fn name(&self) -> &'static str {
        "svd"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![
            ("algorithm", text("None")),
            ("compute_uv", text(py_bool(self.compute_uv))),
            ("full_matrices", text(py_bool(self.full_matrices))),
            ("subset_by_index", text("None")),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let x = &inputs[0];
        let (m, n) = matrix_dims("svd", x)?;
        let batch = &x.shape[..x.ndim() - 2];
        let kk = m.min(n);
        let with = |a: usize, b: usize| {
            let mut s = batch.to_vec();
            s.extend([a, b]);
            Aval::new(&s, x.dtype)
        };
        let mut s_shape = batch.to_vec();
        s_shape.push(kk);
        let s = Aval::new(&s_shape, x.dtype);
        if !self.compute_uv {
            return Ok(smallvec![s]);
        }
        let (u, vt) = if self.full_matrices {
            (with(m, m), with(n, n))
        } else {
            (with(m, kk), with(kk, n))
        };
        Ok(smallvec![s, u, vt])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let shape = inputs[0].shape();
        let (m, n) = (shape[shape.len() - 2], shape[shape.len() - 1]);
        let b = batch_count(shape);
        let (full, uv) = (self.full_matrices, self.compute_uv);
        with_linalg_float!(out[0].dtype, T => {
            let (s, u, vt) = k::svd_batch(&super::borrowed::<T>(inputs[0]), b, (m, n), full, uv);
            let s = wrap(s, &out[0].shape);
            if uv {
                smallvec![s, wrap(u, &out[1].shape), wrap(vt, &out[2].shape)]
            } else {
                smallvec![s]
            }
        })
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let a = &primals[0];
        let r = a.ndim();
        let (m, n) = (a.shape()[r - 2], a.shape()[r - 1]);
        if self.compute_uv && self.full_matrices && m != n {
            panic!(
                "svd: the JVP is not implemented for full_matrices=True of a non-square \
                 matrix (as in JAX), got {}",
                a.aval()
            );
        }
        let thin = Svd {
            full_matrices: false,
            compute_uv: true,
        };
        let out = bind(&Prim::new(thin), std::slice::from_ref(a));
        let (s, u, vt) = (&out[0], &out[1], &out[2]);
        let primal_out = if self.compute_uv {
            out.clone()
        } else {
            smallvec![s.clone()]
        };
        let Some(da) = &tangents[0] else {
            let none = vec![None; primal_out.len()];
            return (primal_out, none);
        };
        let (ut, v) = (mt(u), mt(vt));
        let ds_mat = mm(&mm(&ut, da), &v);
        let ds = diagonal(&ds_mat);
        if !self.compute_uv {
            return (primal_out, vec![Some(ds)]);
        }
        let kk = m.min(n);
        let batch = &a.shape()[..r - 2];
        let mut sq = batch.to_vec();
        sq.extend([kk, kk]);
        let row_dims: Vec<usize> = (0..r - 2).chain([r - 1]).collect();
        let col_dims: Vec<usize> = (0..r - 1).collect();
        let s_row = lax::broadcast_in_dim(s, &sq, &row_dims); // s[j]
        let s_col = lax::broadcast_in_dim(s, &sq, &col_dims); // s[i]
        let s_diffs = lax::mul(&lax::add(&s_row, &s_col), &lax::sub(&s_row, &s_col));
        let eye_k = eye(kk, a.dtype(), batch);
        let f = lax::sub(
            &lax::div(&scalar_like(1.0, a), &lax::add(&s_diffs, &eye_k)),
            &eye_k,
        );
        let dss = lax::mul(&s_row, &ds_mat);
        let sds = lax::mul(&s_col, &ds_mat);
        let s_zeros = lax::convert_element_type(&lax::eq(s, &scalar_like(0.0, s)), s.dtype());
        let s_inv = lax::sub(
            &lax::div(&scalar_like(1.0, s), &lax::add(s, &s_zeros)),
            &s_zeros,
        );
        let dudv_diag = lax::mul(
            &lax::mul(&scalar_like(0.5, a), &lax::sub(&ds_mat, &mt(&ds_mat))),
            &diag_matrix(&s_inv),
        );
        let mut du = mm(
            u,
            &lax::add(&lax::mul(&f, &lax::add(&dss, &mt(&dss))), &dudv_diag),
        );
        let mut dv = mm(&v, &lax::mul(&f, &lax::add(&sds, &mt(&sds))));
        let s_bc = |x: &Tensor| {
            let srow = as_row(s);
            lax::broadcast_in_dim(&srow, x.shape(), &(0..r).collect::<Vec<_>>())
        };
        if m > n {
            let dav = mm(da, &v);
            let rest = lax::sub(&dav, &mm(u, &mm(&ut, &dav)));
            du = lax::add(&du, &lax::div(&rest, &s_bc(&rest)));
        }
        if n > m {
            let dahu = mm(&mt(da), u);
            let rest = lax::sub(&dahu, &mm(&v, &mm(vt, &dahu)));
            dv = lax::add(&dv, &lax::div(&rest, &s_bc(&rest)));
        }
        (primal_out, vec![Some(ds), Some(du), Some(mt(&dv))])
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let args = all_at_front(args, dims, axis.size);
        let outs = bind(&Prim::new(*self), &args);
        let n = outs.len();
        (outs, vec![Some(0); n])
    }
}
