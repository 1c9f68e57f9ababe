//! The gamma-function distributions of `jax.scipy.stats`: `gamma`, `chi2` and `beta`, whose
//! distribution functions are the regularized incomplete gamma and beta functions.

/// The gamma distribution with shape `a` (`jax.scipy.stats.gamma`).
pub mod gamma {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand};
    use crate::scipy::special;
    use crate::tensor::Tensor;

    /// The log density `xlogy(a - 1, y) - y - gammaln(a) - log scale`, -∞ below `loc`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gamma::logpdf(&Tensor::scalar(1.0f64), 1.0, 0.0, 1.0).item::<f64>();
    /// assert_eq!(y, -1.0);
    /// ```
    #[track_caller]
    pub fn logpdf(
        x: impl IntoOperand,
        a: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        let [x, a, loc, scale] = promote("gamma.logpdf", [op(x), op(a), op(loc), op(scale)]);
        let ok = x.ge(&loc);
        let y = jnp::where_(&ok, (&x - &loc) / &scale, 1.0);
        let linear = special::xlogy(&(&a - 1.0), &y) - &y;
        let shape = lax::lgamma(&a) + lax::log(&scale);
        jnp::where_(&ok, linear - shape, f64::NEG_INFINITY)
    }

    /// The density, `exp(logpdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gamma::pdf(&Tensor::scalar(0.0f64), 1.0, 0.0, 1.0).item::<f64>();
    /// assert_eq!(y, 1.0);
    /// ```
    #[track_caller]
    pub fn pdf(
        x: impl IntoOperand,
        a: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        lax::exp(&logpdf(x, a, loc, scale))
    }

    /// The CDF `gammainc(a, max(0, (x - loc)/scale))`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gamma::cdf(&Tensor::scalar(-1.0f64), 2.0, 0.0, 1.0).item::<f64>();
    /// assert_eq!(y, 0.0);
    /// ```
    #[track_caller]
    pub fn cdf(
        x: impl IntoOperand,
        a: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        let [x, a, loc, scale] = promote("gamma.cdf", [op(x), op(a), op(loc), op(scale)]);
        special::gammainc(&a, jnp::maximum((x - loc) / scale, 0.0))
    }

    /// The log CDF, `log(cdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gamma::logcdf(&Tensor::scalar(1.0f64), 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - (1.0 - (-1.0f64).exp()).ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logcdf(
        x: impl IntoOperand,
        a: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        lax::log(&cdf(x, a, loc, scale))
    }

    /// The survival function `gammaincc(a, (x - loc)/scale)`, 1 below `loc`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gamma::sf(&Tensor::scalar(2.0f64), 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - (-2.0f64).exp()).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn sf(
        x: impl IntoOperand,
        a: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        let [x, a, loc, scale] = promote("gamma.sf", [op(x), op(a), op(loc), op(scale)]);
        let y = (x - loc) / scale;
        jnp::where_(&y.lt(0.0), 1.0, special::gammaincc(&a, &y))
    }

    /// The log survival function, `log(sf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::gamma::logsf(&Tensor::scalar(2.0f64), 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y + 2.0).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logsf(
        x: impl IntoOperand,
        a: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        lax::log(&sf(x, a, loc, scale))
    }
}

/// The chi-squared distribution with `df` degrees of freedom (`jax.scipy.stats.chi2`), a
/// gamma distribution with shape `df/2` and scale 2.
pub mod chi2 {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand};
    use crate::scipy::special;
    use crate::tensor::Tensor;

    /// The log density, -∞ below `loc`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::chi2::logpdf(&Tensor::scalar(2.0f64), 2.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - (-1.0 - 2f64.ln())).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logpdf(
        x: impl IntoOperand,
        df: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        let [x, df, loc, scale] = promote("chi2.logpdf", [op(x), op(df), op(loc), op(scale)]);
        let y = (&x - &loc) / &scale;
        let half_df = &df / 2.0;
        let kernel = (&half_df - 1.0) * lax::log(&y) - &y / 2.0;
        let normalizer = -(lax::lgamma(&half_df) + std::f64::consts::LN_2 * &df / 2.0);
        let lp = normalizer - lax::log(&scale) + kernel;
        jnp::where_(&x.lt(&loc), f64::NEG_INFINITY, lp)
    }

    /// The density, `exp(logpdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::chi2::pdf(&Tensor::scalar(2.0f64), 2.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.5 * (-1.0f64).exp()).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn pdf(
        x: impl IntoOperand,
        df: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        lax::exp(&logpdf(x, df, loc, scale))
    }

    /// The CDF `gammainc(df/2, max(0, (x - loc)/(2 scale)))`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::chi2::cdf(&Tensor::scalar(2.0f64), 2.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - (1.0 - (-1.0f64).exp())).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn cdf(
        x: impl IntoOperand,
        df: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        let [x, df, loc, scale] = promote("chi2.cdf", [op(x), op(df), op(loc), op(scale)]);
        special::gammainc(&(&df / 2.0), jnp::maximum((x - loc) / (scale * 2.0), 0.0))
    }

    /// The log CDF, `log(cdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::chi2::logcdf(&Tensor::scalar(2.0f64), 2.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - (1.0 - (-1.0f64).exp()).ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logcdf(
        x: impl IntoOperand,
        df: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        lax::log(&cdf(x, df, loc, scale))
    }

    /// The survival function `gammaincc(df/2, max(0, (x - loc)/(2 scale)))`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::chi2::sf(&Tensor::scalar(2.0f64), 2.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - (-1.0f64).exp()).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn sf(
        x: impl IntoOperand,
        df: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        let [x, df, loc, scale] = promote("chi2.sf", [op(x), op(df), op(loc), op(scale)]);
        special::gammaincc(&(&df / 2.0), jnp::maximum((x - loc) / (scale * 2.0), 0.0))
    }

    /// The log survival function, `log(sf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::chi2::logsf(&Tensor::scalar(2.0f64), 2.0, 0.0, 1.0).item::<f64>();
    /// assert!((y + 1.0).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logsf(
        x: impl IntoOperand,
        df: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        lax::log(&sf(x, df, loc, scale))
    }
}

/// The beta distribution on `[loc, loc + scale]` (`jax.scipy.stats.beta`).
pub mod beta {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand};
    use crate::scipy::special;
    use crate::tensor::Tensor;

    /// The log density `xlogy(a-1, y) + xlog1py(b-1, -y) - betaln(a, b) - log scale`; -∞
    /// outside the support, NaN for non-positive `a`, `b` or `scale`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::beta::logpdf(&Tensor::scalar(0.5f64), 2.0, 2.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - 1.5f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logpdf(
        x: impl IntoOperand,
        a: impl IntoOperand,
        b: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        let [x, a, b, loc, scale] =
            promote("beta.logpdf", [op(x), op(a), op(b), op(loc), op(scale)]);
        let y = (&x - &loc) / &scale;
        let linear = special::xlogy(&(&a - 1.0), &y) + special::xlog1py(&(&b - 1.0), &(-&y));
        let lp = -special::betaln(&a, &b) + linear - lax::log(&scale);
        let outside = jnp::logical_or(x.gt(&(&loc + &scale)), x.lt(&loc));
        let r = jnp::where_(&outside, f64::NEG_INFINITY, lp);
        let bad = jnp::logical_or(jnp::logical_or(a.le(0.0), b.le(0.0)), scale.le(0.0));
        jnp::where_(&bad, f64::NAN, r)
    }

    /// The density, `exp(logpdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::beta::pdf(&Tensor::scalar(0.5f64), 2.0, 2.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - 1.5).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn pdf(
        x: impl IntoOperand,
        a: impl IntoOperand,
        b: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        lax::exp(&logpdf(x, a, b, loc, scale))
    }

    fn unit(x: &Tensor, loc: &Tensor, scale: &Tensor) -> Tensor {
        jnp::clip(&((x - loc) / scale), 0.0, 1.0)
    }

    /// The CDF `betainc(a, b, clip((x - loc)/scale, 0, 1))`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::beta::cdf(&Tensor::scalar(0.5f64), 2.0, 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.25).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn cdf(
        x: impl IntoOperand,
        a: impl IntoOperand,
        b: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        let [x, a, b, loc, scale] = promote("beta.cdf", [op(x), op(a), op(b), op(loc), op(scale)]);
        special::betainc(&a, &b, unit(&x, &loc, &scale))
    }

    /// The log CDF, `log(cdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::beta::logcdf(&Tensor::scalar(0.5f64), 2.0, 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.25f64.ln()).abs() < 1e-14);
    /// ```
    #[track_caller]
    pub fn logcdf(
        x: impl IntoOperand,
        a: impl IntoOperand,
        b: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        lax::log(&cdf(x, a, b, loc, scale))
    }

    /// The survival function `betainc(b, a, 1 - clip((x - loc)/scale, 0, 1))`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::beta::sf(&Tensor::scalar(0.5f64), 2.0, 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.75).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn sf(
        x: impl IntoOperand,
        a: impl IntoOperand,
        b: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        let [x, a, b, loc, scale] = promote("beta.sf", [op(x), op(a), op(b), op(loc), op(scale)]);
        special::betainc(&b, &a, &(1.0 - unit(&x, &loc, &scale)))
    }

    /// The log survival function, `log(sf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::beta::logsf(&Tensor::scalar(0.5f64), 2.0, 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.75f64.ln()).abs() < 1e-14);
    /// ```
    #[track_caller]
    pub fn logsf(
        x: impl IntoOperand,
        a: impl IntoOperand,
        b: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        lax::log(&sf(x, a, b, loc, scale))
    }
}
