//! `eig` (JAX's `lax.linalg.eig_p`): eigenvalues and left/right eigenvectors of a general
//! real square matrix, complex (`c64` for f32, `c128` for f64) as LAPACK's `geev` returns
//! them: eigenvalues in `geev`'s order (a conjugate pair adjacent, positive imaginary part
//! first), eigenvectors in columns with unit 2-norm and largest component real.
//!
//! The JVP is JAX's `eig_jvp_rule` for eigenvalues: `ẇ = diag(V⁻¹ Ȧ V)` (first-order
//! perturbation theory, valid for distinct eigenvalues). As in JAX (without its opt-in
//! `enable_eigvec_derivs`), differentiating a call that also returns eigenvectors is an
//! error: bind `eig` with both `compute_*_eigenvectors` false (as `linalg::eigvals` does).
//! The complex solve `V⁻¹ Ȧ` is done on the real `2n x 2n` block form `[[Re V, -Im V],
//! [Im V, Re V]]` with the `lu` and `triangular_solve` primitives, so the rule is itself
//! linear in `Ȧ`, transposable and batchable.

use super::lu::{lu, permutation_matrix};
use super::triangular_solve::{triangular_solve, TriangularSolve};
use super::{all_at_front, batch_count, matrix_dims, mm, mt, to_f64};
use crate::core::{bind, Aval, Avals};
use crate::kernels::linalg_eig as k;
use crate::prims::lax;
use crate::prims::util::{expect_arity, py_bool, text};
use crate::prims::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, Param, Prim, PrimRules};
use crate::tensor::{ArrayData, DType, Tensor};
use ndarray::{ArrayD, IxDyn};
use num_complex::{Complex32, Complex64};
use smallvec::smallvec;

/// The primitive: which eigenvectors are returned (after the eigenvalues: left, then right).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Eig {
    /// Also return the left eigenvectors `u_j` (`u_jᴴ A = w_j u_jᴴ`).
    pub compute_left_eigenvectors: bool,
    /// Also return the right eigenvectors `v_j` (`A v_j = w_j v_j`).
    pub compute_right_eigenvectors: bool,
}

/// The eigendecomposition of the real square matrices `x` (`[.., n, n]`, f32 or f64), as
/// `lax.linalg.eig(x, compute_left_eigenvectors=.., compute_right_eigenvectors=..)`: a list of
/// the eigenvalues `[.., n]`, then the left eigenvectors if asked, then the right ones (each
/// `[.., n, n]`, in columns), all complex. Only the eigenvalues are differentiable (JAX's
/// default), and only when no eigenvectors are computed.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![0.0f64, -1.0, 1.0, 0.0], &[2, 2]); // a rotation: w = ±i
/// let out = ferrax::lax::linalg::eig(&a, false, true);
/// let w = out[0].to_vec::<num_complex::Complex64>();
/// assert!((w[0].im - 1.0).abs() < 1e-12 && (w[1].im + 1.0).abs() < 1e-12);
/// assert_eq!(out[1].shape(), &[2, 2]);
/// ```
#[track_caller]
pub fn eig(
    x: &Tensor,
    compute_left_eigenvectors: bool,
    compute_right_eigenvectors: bool,
) -> Vec<Tensor> {
    let p = Eig {
        compute_left_eigenvectors,
        compute_right_eigenvectors,
    };
    let r = x.ndim();
    let (m, n) = if r >= 2 {
        (x.shape()[r - 2], x.shape()[r - 1])
    } else {
        (0, 1)
    };
    if m != n {
        panic!(
            "eig: needs square matrices [.., n, n], got {} (called from {})",
            x.aval(),
            std::panic::Location::caller()
        );
    }
    bind(&Prim::new(p), std::slice::from_ref(x)).to_vec()
}

/// The complex dtype of a real one (`dtypes.to_complex_dtype`).
fn complex_of(d: DType) -> DType {
    if d == DType::F32 {
        DType::C64
    } else {
        DType::C128
    }
}

/// Row-major complex values as an array of `dtype` (`c64` rounded once).
fn from_c128(v: Vec<Complex64>, shape: &[usize], dtype: DType) -> ArrayData {
    if dtype == DType::C64 {
        let v = v
            .into_iter()
            .map(|z| Complex32::new(z.re as f32, z.im as f32))
            .collect();
        ArrayData::C64(ArrayD::from_shape_vec(IxDyn(shape), v).expect("shape"))
    } else {
        ArrayData::C128(ArrayD::from_shape_vec(IxDyn(shape), v).expect("shape"))
    }
}

/// `a⁻¹ b` for real `[.., n, n]` `a` and `[.., n, k]` `b` (same batch dims) by LU with partial
/// pivoting, written with the `lu` and `triangular_solve` primitives (linear in `b`).
pub(crate) fn lu_solve(a: &Tensor, b: &Tensor) -> Tensor {
    let (lu_, _, perm) = lu(a);
    let pb = mm(&permutation_matrix(&perm, b.dtype()), b);
    let lower = TriangularSolve {
        left_side: true,
        lower: true,
        unit_diagonal: true,
        ..Default::default()
    };
    let upper = TriangularSolve {
        left_side: true,
        ..Default::default()
    };
    triangular_solve(&lu_, &triangular_solve(&lu_, &pb, lower), upper)
}

impl PrimRules for Eig {
    fn name(&self) -> &'static str {
        "eig"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![
            (
                "compute_left_eigenvectors",
                text(py_bool(self.compute_left_eigenvectors)),
            ),
            (
                "compute_right_eigenvectors",
                text(py_bool(self.compute_right_eigenvectors)),
            ),
            ("enable_eigvec_derivs", text("False")),
            ("implementation", text("None")),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let x = &inputs[0];
        let (m, n) = matrix_dims("eig", x)?;
        if m != n {
            return Err(format!("eig: needs a square matrix, got {x}"));
        }
        let c = complex_of(x.dtype);
        let mut out = smallvec![Aval::new(&x.shape[..x.ndim() - 1], c)];
        let count = usize::from(self.compute_left_eigenvectors)
            + usize::from(self.compute_right_eigenvectors);
        for _ in 0..count {
            out.push(Aval::new(&x.shape, c));
        }
        Ok(out)
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let shape = inputs[0].shape().to_vec();
        let n = shape[shape.len() - 1];
        let a = to_f64(inputs[0]);
        let (left, right) = (
            self.compute_left_eigenvectors,
            self.compute_right_eigenvectors,
        );
        let (mut ws, mut vls, mut vrs) = (Vec::new(), Vec::new(), Vec::new());
        for b in 0..batch_count(&shape) {
            let e = k::eig(&a[b * n * n..(b + 1) * n * n], n, left, right);
            ws.extend(e.w);
            vls.extend(e.vl);
            vrs.extend(e.vr);
        }
        let mut res: ArrayOutputs = smallvec![from_c128(ws, &out[0].shape, out[0].dtype)];
        for v in [left.then_some(vls), right.then_some(vrs)]
            .into_iter()
            .flatten()
        {
            let o = &out[res.len()];
            res.push(from_c128(v, &o.shape, o.dtype));
        }
        res
    }

    #[track_caller]
    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let a = &primals[0];
        let Some(da) = &tangents[0] else {
            let out = bind(&Prim::new(*self), primals);
            let n = out.len();
            return (out, vec![None; n]);
        };
        if self.compute_left_eigenvectors || self.compute_right_eigenvectors {
            panic!(
                "eig: derivatives of nonsymmetric eigenvectors are not implemented (as JAX \
                 without enable_eigvec_derivs); differentiate eig with \
                 compute_left_eigenvectors=false and compute_right_eigenvectors=false \
                 (linalg::eigvals), operand {}",
                a.aval()
            );
        }
        let full = Eig {
            compute_left_eigenvectors: false,
            compute_right_eigenvectors: true,
        };
        let out = bind(&Prim::new(full), primals);
        let (w, v) = (out[0].clone(), &out[1]);
        let (vr, vi) = (lax::real(v), lax::imag(v));
        let r = a.ndim();
        // [[Re V, -Im V], [Im V, Re V]] [Xr; Xi] = [Ȧ; 0]: X = V⁻¹ Ȧ.
        let top = lax::concatenate(&[vr.clone(), lax::neg(&vi)], r - 1);
        let bottom = lax::concatenate(&[vi.clone(), vr.clone()], r - 1);
        let block = lax::concatenate(&[top, bottom], r - 2);
        let rhs = lax::concatenate(&[da.clone(), super::super::util::zeros_like(da)], r - 2);
        let x = lu_solve(&block, &rhs);
        let n = a.shape()[r - 1];
        let half = |lo: usize| {
            let mut start = vec![0; r];
            start[r - 2] = lo;
            let mut limit = x.shape().to_vec();
            limit[r - 2] = lo + n;
            lax::slice(&x, &start, &limit, None)
        };
        let (xr, xi) = (half(0), half(n));
        // ẇ_i = Σ_j X[i, j] V[j, i].
        let (vrt, vit) = (mt(&vr), mt(&vi));
        let sum = |t: Tensor| lax::reduce_sum(&t, &[r - 1]);
        let dw_re = sum(lax::sub(&lax::mul(&xr, &vrt), &lax::mul(&xi, &vit)));
        let dw_im = sum(lax::add(&lax::mul(&xr, &vit), &lax::mul(&xi, &vrt)));
        let dw = lax::complex(&dw_re, &dw_im);
        (smallvec![w], vec![Some(dw)])
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let args = all_at_front(args, dims, axis.size);
        let out = bind(&Prim::new(*self), &args);
        let n = out.len();
        (out, vec![Some(0); n])
    }
}
