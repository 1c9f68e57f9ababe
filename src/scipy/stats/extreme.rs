//! Extreme-value and power-law distributions of `jax.scipy.stats`: `gumbel_l`, `gumbel_r`
//! and `pareto`, with JAX's formulas (NaN for a non-positive scale in the Gumbel ones).

/// The left-skewed Gumbel distribution (`jax.scipy.stats.gumbel_l`), the law of minima.
pub mod gumbel_l {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand};
    use crate::scipy::special;
    use crate::tensor::Tensor;

    /// The log density `z - exp(z) - log scale`, `z = (x - loc)/scale`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gumbel_l::logpdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y + 1.0).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logpdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("gumbel_l.logpdf", [op(x), op(loc), op(scale)]);
        let z = (&x - &loc) / &scale;
        let lp = -lax::log(&scale) + (&z - lax::exp(&z));
        jnp::where_(&scale.gt(0.0), lp, f64::NAN)
    }

    /// The density, `exp(logpdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gumbel_l::pdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - (-1.0f64).exp()).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn pdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        lax::exp(&logpdf(x, loc, scale))
    }

    /// The log CDF `log(-expm1(-exp(z)))`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gumbel_l::logcdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - (1.0 - (-1.0f64).exp()).ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logcdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("gumbel_l.logcdf", [op(x), op(loc), op(scale)]);
        let z = (&x - &loc) / &scale;
        let lc = lax::log(&(-lax::expm1(&(-lax::exp(&z)))));
        jnp::where_(&scale.gt(0.0), lc, f64::NAN)
    }

    /// The CDF, `exp(logcdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gumbel_l::cdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - (1.0 - (-1.0f64).exp())).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn cdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        lax::exp(&logcdf(x, loc, scale))
    }

    /// The log survival function `-exp(z)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gumbel_l::logsf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!(y == -1.0);
    /// ```
    #[track_caller]
    pub fn logsf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("gumbel_l.logsf", [op(x), op(loc), op(scale)]);
        let z = (&x - &loc) / &scale;
        jnp::where_(&scale.gt(0.0), -lax::exp(&z), f64::NAN)
    }

    /// The survival function, `exp(logsf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gumbel_l::sf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - (-1.0f64).exp()).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn sf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        lax::exp(&logsf(x, loc, scale))
    }

    /// The quantile function `loc + scale log(-log1p(-p))`, NaN outside (0, 1).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gumbel_l::ppf(&Tensor::scalar(0.5f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - 2f64.ln().ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn ppf(p: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [p, loc, scale] = promote("gumbel_l.ppf", [op(p), op(loc), op(scale)]);
        let ok = jnp::logical_and(p.gt(0.0), p.lt(1.0));
        let t = &scale * lax::log(&special::xlog1py(-1.0, &(-&p)));
        jnp::where_(&ok, &loc + t, f64::NAN)
    }
}

/// The right-skewed Gumbel distribution (`jax.scipy.stats.gumbel_r`), the law of maxima.
pub mod gumbel_r {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand};
    use crate::scipy::special;
    use crate::tensor::Tensor;

    /// The log density `-(z + exp(-z)) - log scale`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gumbel_r::logpdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y + 1.0).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logpdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("gumbel_r.logpdf", [op(x), op(loc), op(scale)]);
        let z = (&x - &loc) / &scale;
        let lp = -lax::log(&scale) - (&z + lax::exp(&(-&z)));
        jnp::where_(&scale.gt(0.0), lp, f64::NAN)
    }

    /// The density, `exp(logpdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gumbel_r::pdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - (-1.0f64).exp()).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn pdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        lax::exp(&logpdf(x, loc, scale))
    }

    /// The log CDF `-exp(-z)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gumbel_r::logcdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!(y == -1.0);
    /// ```
    #[track_caller]
    pub fn logcdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("gumbel_r.logcdf", [op(x), op(loc), op(scale)]);
        let z = (&x - &loc) / &scale;
        jnp::where_(&scale.gt(0.0), -lax::exp(&(-&z)), f64::NAN)
    }

    /// The CDF, `exp(logcdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gumbel_r::cdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - (-1.0f64).exp()).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn cdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        lax::exp(&logcdf(x, loc, scale))
    }

    /// The survival function `1 - exp(-exp(-z))`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gumbel_r::sf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - (1.0 - (-1.0f64).exp())).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn sf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("gumbel_r.sf", [op(x), op(loc), op(scale)]);
        let neg_z = (&loc - &x) / &scale;
        let s = 1.0 - lax::exp(&(-lax::exp(&neg_z)));
        jnp::where_(&scale.gt(0.0), s, f64::NAN)
    }

    /// The log survival function `log1mexp(exp(-z))`, accurate in the right tail.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gumbel_r::logsf(&Tensor::scalar(40.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y + 40.0).abs() < 1e-12);
    /// ```
    #[track_caller]
    pub fn logsf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("gumbel_r.logsf", [op(x), op(loc), op(scale)]);
        let neg_z = (&loc - &x) / &scale;
        jnp::where_(&scale.gt(0.0), log1mexp(&lax::exp(&neg_z)), f64::NAN)
    }

    /// The quantile function `loc - scale log(-log p)`, NaN outside (0, 1).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gumbel_r::ppf(&Tensor::scalar(0.5f64), 0.0, 1.0).item::<f64>();
    /// assert!((y + 2f64.ln().ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn ppf(p: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [p, loc, scale] = promote("gumbel_r.ppf", [op(p), op(loc), op(scale)]);
        let ok = jnp::logical_and(p.gt(0.0), p.lt(1.0));
        let t = &scale * lax::log(&special::xlogy(-1.0, &p));
        jnp::where_(&ok, &loc - t, f64::NAN)
    }

    /// `log(1 - exp(-x))` for `x > 0`, by `expm1` below log 2 and `log1p` above.
    fn log1mexp(x: &Tensor) -> Tensor {
        jnp::where_(
            &x.lt(std::f64::consts::LN_2),
            lax::log(&(-lax::expm1(&(-x)))),
            lax::log1p(&(-lax::exp(&(-x)))),
        )
    }
}

/// The Pareto distribution with shape `b` on `[loc + scale, ∞)` (`jax.scipy.stats.pareto`).
pub mod pareto {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand};
    use crate::tensor::Tensor;

    /// The log density `-(log(scale / b) + (b + 1) log z)`, -∞ below `loc + scale`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::pareto::logpdf(&Tensor::scalar(2.0f64), 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y + 4f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logpdf(
        x: impl IntoOperand,
        b: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        let [x, b, loc, scale] = promote("pareto.logpdf", [op(x), op(b), op(loc), op(scale)]);
        let z = (&x - &loc) / &scale;
        let below = x.lt(&(&loc + &scale));
        let lp = -(lax::log(&(&scale / &b)) + (&b + 1.0) * lax::log(&z));
        jnp::where_(&below, f64::NEG_INFINITY, lp)
    }

    /// The density, `exp(logpdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::pareto::pdf(&Tensor::scalar(2.0f64), 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.25).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn pdf(
        x: impl IntoOperand,
        b: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        lax::exp(&logpdf(x, b, loc, scale))
    }

    /// The CDF `1 - z^-b`, 0 below `loc + scale`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::pareto::cdf(&Tensor::scalar(2.0f64), 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.5).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn cdf(
        x: impl IntoOperand,
        b: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        let [x, b, loc, scale] = promote("pareto.cdf", [op(x), op(b), op(loc), op(scale)]);
        let z = (&x - &loc) / &scale;
        let below = x.lt(&(&loc + &scale));
        let c = 1.0 - jnp::power(&z, &(-&b));
        jnp::where_(&below, 0.0, c)
    }

    /// The log CDF `log1p(-z^-b)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::pareto::logcdf(&Tensor::scalar(2.0f64), 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.5f64.ln()).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn logcdf(
        x: impl IntoOperand,
        b: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        let [x, b, loc, scale] = promote("pareto.logcdf", [op(x), op(b), op(loc), op(scale)]);
        let z = (&x - &loc) / &scale;
        let below = x.lt(&(&loc + &scale));
        let c = lax::log1p(&(-jnp::power(&z, &(-&b))));
        jnp::where_(&below, f64::NEG_INFINITY, c)
    }

    /// The log survival function `-b log z`, 0 below `loc + scale`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::pareto::logsf(&Tensor::scalar(2.0f64), 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y + 2f64.ln()).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn logsf(
        x: impl IntoOperand,
        b: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        let [x, b, loc, scale] = promote("pareto.logsf", [op(x), op(b), op(loc), op(scale)]);
        let z = (&x - &loc) / &scale;
        let below = x.lt(&(&loc + &scale));
        let s = -(&b * lax::log(&z));
        jnp::where_(&below, 0.0, s)
    }

    /// The survival function, `exp(logsf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::pareto::sf(&Tensor::scalar(2.0f64), 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.5).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn sf(
        x: impl IntoOperand,
        b: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        lax::exp(&logsf(x, b, loc, scale))
    }

    /// The quantile function `loc + scale (1 - q)^(-1/b)`, NaN outside [0, 1].
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::pareto::ppf(&Tensor::scalar(0.5f64), 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - 2.0).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn ppf(
        q: impl IntoOperand,
        b: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        let [q, b, loc, scale] = promote("pareto.ppf", [op(q), op(b), op(loc), op(scale)]);
        let v = &loc + &scale * jnp::power(&(1.0 - &q), &(-(1.0 / &b)));
        let bad = jnp::logical_or(jnp::logical_or(jnp::isnan(&q), q.lt(0.0)), q.gt(1.0));
        jnp::where_(&bad, f64::NAN, v)
    }
}
