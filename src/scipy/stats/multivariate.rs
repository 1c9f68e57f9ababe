//! `jax.scipy.stats.multivariate_normal`: the log density with a scalar mean, an isotropic
//! (scalar) covariance, or a full covariance matrix through a Cholesky factorization.
//! With feature `linalg` the factor is `lax::linalg::cholesky` (symmetrized input, as JAX)
//! and the solve `lax::linalg::triangular_solve`, as JAX writes it. Without it (the
//! notebooks' build) the factorization and the triangular solve are written here as `n`
//! vectorized column steps each (left-looking Cholesky, forward substitution, reading the
//! lower triangle): exact for any `n`, meant for the small `n` of densities (the jaxpr grows
//! with `n`).

/// The multivariate normal distribution N(mean, cov) (`jax.scipy.stats.multivariate_normal`).
pub mod multivariate_normal {
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand, Operand};
    use crate::tensor::Tensor;
    use std::f64::consts::PI;

    /// The log density at `x` (`[..., n]`) of N(`mean`, `cov`): `mean` a scalar (the
    /// univariate case) or `[..., n]`; `cov` a scalar (`cov * I`) or `[..., n, n]`
    /// (symmetric positive definite; only its lower triangle is read).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::scipy::stats::multivariate_normal;
    /// let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
    /// let mean = Tensor::from_vec(vec![0.0f64, 0.0], &[2]);
    /// let cov = Tensor::from_vec(vec![2.0f64, 0.0, 0.0, 8.0], &[2, 2]);
    /// let y = multivariate_normal::logpdf(&x, &mean, &cov).item::<f64>();
    /// let want = -0.25 - 0.25 - (2.0 * std::f64::consts::PI).ln() - 0.5 * 16f64.ln();
    /// assert!((y - want).abs() < 1e-14);
    /// ```
    #[track_caller]
    pub fn logpdf(x: impl IntoOperand, mean: impl IntoOperand, cov: impl IntoOperand) -> Tensor {
        let [x, mean, cov] = promote3(x, mean, cov);
        let log2pi = (2.0 * PI).ln();
        if mean.ndim() == 0 {
            return -0.5 * lax::square(&(&x - &mean)) / &cov - 0.5 * (log2pi + lax::log(&cov));
        }
        let n = mean.shape()[mean.ndim() - 1];
        let r = &x - &mean;
        if cov.ndim() == 0 {
            let q = jnp::sum(&(&r * &r), Some(&[-1]));
            return -0.5 * q / &cov - n as f64 / 2.0 * (log2pi + lax::log(&cov));
        }
        let s = cov.shape();
        assert!(
            cov.ndim() >= 2 && s[s.len() - 2..] == [n, n],
            "multivariate_normal.logpdf: incompatible shapes: mean {:?}, cov {:?}",
            mean.shape(),
            cov.shape()
        );
        full_cov(&r, &cov, n, log2pi)
    }

    /// The log density for a full covariance `[.., n, n]` at residuals `r` (`[.., n]`), as
    /// JAX: `L = cholesky(cov)`, `y = L⁻¹ r`, `-½ yᵀy - n/2 log 2π - Σ log diag(L)`.
    #[cfg(feature = "linalg")]
    fn full_cov(r: &Tensor, cov: &Tensor, n: usize, log2pi: f64) -> Tensor {
        use crate::lax::linalg::{cholesky, triangular_solve, TriangularSolve};
        let l = cholesky(cov, true);
        let cb = &cov.shape()[..cov.ndim() - 2];
        let rb = &r.shape()[..r.ndim() - 1];
        let mut batch = jnp::broadcast_shapes(cb, rb);
        let mut ls = batch.clone();
        ls.extend([n, n]);
        let l = jnp::broadcast_to(&l, &ls);
        batch.extend([n, 1]);
        let rr = jnp::broadcast_to(&jnp::expand_dims(r, -1), &batch);
        let p = TriangularSolve {
            left_side: true,
            lower: true,
            ..Default::default()
        };
        let y = triangular_solve(&l, &rr, p);
        let quad = jnp::sum(&lax::square(&y), Some(&[-2, -1]));
        let log_det_half = jnp::sum(
            &lax::log(&jnp::diagonal_with(
                &l,
                jnp::Diagonal {
                    axis1: -2,
                    axis2: -1,
                    ..Default::default()
                },
            )),
            Some(&[-1]),
        );
        -0.5 * quad - n as f64 / 2.0 * log2pi - log_det_half
    }

    /// The log density for a full covariance, composed of `n` column steps (no `linalg`).
    #[cfg(not(feature = "linalg"))]
    fn full_cov(r: &Tensor, cov: &Tensor, n: usize, log2pi: f64) -> Tensor {
        let cov = cov.clone();
        // Left-looking Cholesky by columns: col_j holds L[:, j] (zero above the diagonal).
        let unit = |j: usize| {
            let mut v = vec![0.0; n];
            v[j] = 1.0;
            Tensor::from_f64_values(&v, &[n], cov.dtype())
        };
        let elem = |v: &Tensor, j: usize| jnp::sum(&(v * unit(j)), Some(&[-1]));
        let mut cols: Vec<Tensor> = Vec::with_capacity(n);
        let mut log_det_half = None::<Tensor>;
        let mut diag = Vec::with_capacity(n);
        for j in 0..n {
            let mut v = jnp::matmul(&cov, &unit(j));
            for c in &cols {
                v = v - c * jnp::expand_dims(&elem(c, j), -1);
            }
            let d = lax::sqrt(&elem(&v, j));
            let below: Vec<f64> = (0..n).map(|i| if i >= j { 1.0 } else { 0.0 }).collect();
            let mask = Tensor::from_f64_values(&below, &[n], cov.dtype());
            cols.push(v / jnp::expand_dims(&d, -1) * mask);
            let ld = lax::log(&d);
            log_det_half = Some(match log_det_half {
                None => ld,
                Some(s) => s + ld,
            });
            diag.push(d);
        }
        // Forward substitution L y = r, column by column; accumulate Σ y².
        let mut res = r.clone();
        let mut quad = None::<Tensor>;
        for (k, c) in cols.iter().enumerate() {
            let y = elem(&res, k) / &diag[k];
            res = &res - c * jnp::expand_dims(&y, -1);
            let y2 = lax::square(&y);
            quad = Some(match quad {
                None => y2,
                Some(q) => q + y2,
            });
        }
        let (quad, log_det_half) = (quad.expect("n >= 1"), log_det_half.expect("n >= 1"));
        -0.5 * quad - n as f64 / 2.0 * log2pi - log_det_half
    }

    /// The density, `exp(logpdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::scipy::stats::multivariate_normal;
    /// let x = Tensor::from_vec(vec![0.0f64, 0.0], &[2]);
    /// let y = multivariate_normal::pdf(&x, &x, 1.0).item::<f64>();
    /// assert!((y - 1.0 / (2.0 * std::f64::consts::PI)).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn pdf(x: impl IntoOperand, mean: impl IntoOperand, cov: impl IntoOperand) -> Tensor {
        lax::exp(&logpdf(x, mean, cov))
    }

    /// `promote_dtypes_inexact`: one float dtype, shapes kept (no rank alignment, since
    /// the shapes mean different things here).
    #[track_caller]
    fn promote3(x: impl IntoOperand, m: impl IntoOperand, c: impl IntoOperand) -> [Tensor; 3] {
        let ops: [Operand; 3] = [x.into_operand(), m.into_operand(), c.into_operand()];
        // The dtype from rank-0 stand-ins: the shapes need not broadcast together.
        let reps = ops.clone().map(|o| match o {
            Operand::Tensor(t) => Operand::Tensor(Tensor::full(&[], 0.0, t.dtype())),
            s => s,
        });
        let [px, _, _] = super::super::promote("multivariate_normal.logpdf", reps);
        let dtype = px.dtype();
        ops.map(|o| match o {
            Operand::Tensor(t) => t.cast(dtype),
            Operand::Scalar(v, _) => Tensor::full(&[], v, dtype),
        })
    }
}
