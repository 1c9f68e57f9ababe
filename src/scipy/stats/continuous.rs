//! Location-scale continuous distributions of `jax.scipy.stats`: `norm`, `t`, `expon`,
//! `laplace`, `logistic`, `uniform`, `cauchy`, each a module of JAX's functions with JAX's
//! formulas.

/// The normal distribution N(loc, scale²) (`jax.scipy.stats.norm`): the log-space
/// functions stay accurate in the tails through `log_ndtr`.
pub mod norm {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::IntoOperand;
    use crate::scipy::special;
    use crate::tensor::Tensor;

    /// The log density `-(log(2π scale²) + ((x - loc)/scale)²) / 2`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::norm::logpdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y + 0.9189385332046727).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logpdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("norm.logpdf", [op(x), op(loc), op(scale)]);
        let s2 = lax::square(&scale);
        let log_normalizer = lax::log(&(2.0 * std::f64::consts::PI * &s2));
        let quadratic = lax::square(&(&x - &loc)) / &s2;
        (log_normalizer + quadratic) / -2.0
    }

    /// The density, `exp(logpdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::norm::pdf(&Tensor::scalar(1.0f64), 1.0, 2.0).item::<f64>();
    /// assert!((y - 0.19947114020071635).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn pdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        lax::exp(&logpdf(x, loc, scale))
    }

    /// The CDF `ndtr((x - loc) / scale)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::norm::cdf(&Tensor::scalar(3.0f64), 3.0, 2.0).item::<f64>();
    /// assert_eq!(y, 0.5);
    /// ```
    #[track_caller]
    pub fn cdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("norm.cdf", [op(x), op(loc), op(scale)]);
        special::ndtr(&((x - loc) / scale))
    }

    /// The log CDF `log_ndtr((x - loc) / scale)`, finite far into the left tail.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::norm::logcdf(&Tensor::scalar(-40.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y + 804.6084420137538).abs() < 1e-9);
    /// ```
    #[track_caller]
    pub fn logcdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("norm.logcdf", [op(x), op(loc), op(scale)]);
        special::log_ndtr(&((x - loc) / scale))
    }

    /// The survival function `1 - cdf`, as `cdf(-x, -loc, scale)` (accurate in the right
    /// tail).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::norm::sf(&Tensor::scalar(10.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y / 7.61985302416047e-24 - 1.0).abs() < 1e-13);
    /// ```
    #[track_caller]
    pub fn sf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("norm.sf", [op(x), op(loc), op(scale)]);
        cdf(-x, -loc, scale)
    }

    /// The log survival function, `logcdf(-x, -loc, scale)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::norm::logsf(&Tensor::scalar(40.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y + 804.6084420137538).abs() < 1e-9);
    /// ```
    #[track_caller]
    pub fn logsf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("norm.logsf", [op(x), op(loc), op(scale)]);
        logcdf(-x, -loc, scale)
    }

    /// The quantile function `ndtri(q) * scale + loc`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::norm::ppf(&Tensor::scalar(0.5f64), 2.0, 3.0).item::<f64>();
    /// assert_eq!(y, 2.0);
    /// ```
    #[track_caller]
    pub fn ppf(q: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [q, loc, scale] = promote("norm.ppf", [op(q), op(loc), op(scale)]);
        special::ndtri(&q) * scale + loc
    }

    /// The inverse survival function, `ppf(1 - q)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::norm::isf(&Tensor::scalar(0.025f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - 1.959963984540054).abs() < 1e-12);
    /// ```
    #[track_caller]
    pub fn isf(q: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [q, loc, scale] = promote("norm.isf", [op(q), op(loc), op(scale)]);
        ppf(1.0 - q, loc, scale)
    }
}

/// Student's t distribution with `df` degrees of freedom (`jax.scipy.stats.t`): the heavy
/// tailed likelihood of robust regression.
pub mod t {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::IntoOperand;
    use crate::tensor::Tensor;

    /// The log density.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::t::logpdf(&Tensor::scalar(0.0f64), 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y + std::f64::consts::PI.ln()).abs() < 1e-15); // Cauchy at 0
    /// ```
    #[track_caller]
    pub fn logpdf(
        x: impl IntoOperand,
        df: impl IntoOperand,
        loc: impl IntoOperand,
        scale: impl IntoOperand,
    ) -> Tensor {
        let [x, df, loc, scale] = promote("t.logpdf", [op(x), op(df), op(loc), op(scale)]);
        let scaled = (&x - &loc) / &scale;
        let half_df = &df / 2.0;
        let half_df1 = &half_df + 0.5;
        let c = &scale * &scale * std::f64::consts::PI;
        let norm_tmp = lax::log(&(c * &df)) / 2.0;
        let normalize = lax::lgamma(&half_df) + norm_tmp - lax::lgamma(&half_df1);
        let quadratic = &scaled * &scaled / &df;
        -(normalize + half_df1 * lax::log1p(&quadratic))
    }

    /// The density, `exp(logpdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::t::pdf(&Tensor::scalar(0.0f64), 1.0, 0.0, 1.0).item::<f64>();
    /// assert!((y - 1.0 / std::f64::consts::PI).abs() < 1e-16);
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
}

/// The exponential distribution on `[loc, ∞)` with mean `scale` (`jax.scipy.stats.expon`).
pub mod expon {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand};
    use crate::tensor::Tensor;

    /// The log density `-(x - loc)/scale - log scale`, -∞ below `loc`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::expon::logpdf(&Tensor::scalar(2.0f64), 0.0, 1.0).item::<f64>();
    /// assert_eq!(y, -2.0);
    /// ```
    #[track_caller]
    pub fn logpdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("expon.logpdf", [op(x), op(loc), op(scale)]);
        let lp = -((&x - &loc) / &scale + lax::log(&scale));
        jnp::where_(&x.lt(&loc), f64::NEG_INFINITY, lp)
    }

    /// The density, `exp(logpdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::expon::pdf(&Tensor::scalar(0.0f64), 0.0, 2.0).item::<f64>();
    /// assert_eq!(y, 0.5);
    /// ```
    #[track_caller]
    pub fn pdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        lax::exp(&logpdf(x, loc, scale))
    }

    /// The CDF `-expm1(-(x - loc)/scale)`, 0 below `loc`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::expon::cdf(&Tensor::scalar(1e-20f64), 0.0, 1.0).item::<f64>();
    /// assert_eq!(y, 1e-20);
    /// ```
    #[track_caller]
    pub fn cdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("expon.cdf", [op(x), op(loc), op(scale)]);
        let neg = (&loc - &x) / &scale;
        jnp::where_(&x.lt(&loc), jnp::zeros_like(&neg), -lax::expm1(&neg))
    }

    /// The log CDF, `log1p(-sf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::expon::logcdf(&Tensor::scalar(1.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - (1.0 - (-1.0f64).exp()).ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logcdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        lax::log1p(&(-sf(x, loc, scale)))
    }

    /// The log survival function `-(x - loc)/scale`, 0 below `loc`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::expon::logsf(&Tensor::scalar(3.0f64), 1.0, 2.0).item::<f64>();
    /// assert_eq!(y, -1.0);
    /// ```
    #[track_caller]
    pub fn logsf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("expon.logsf", [op(x), op(loc), op(scale)]);
        let neg = (&loc - &x) / &scale;
        jnp::where_(&x.lt(&loc), jnp::zeros_like(&neg), neg)
    }

    /// The survival function, `exp(logsf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::expon::sf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert_eq!(y, 1.0);
    /// ```
    #[track_caller]
    pub fn sf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        lax::exp(&logsf(x, loc, scale))
    }

    /// The quantile function `loc - scale log1p(-q)`, NaN outside `[0, 1]`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::expon::ppf(&Tensor::scalar(0.5f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - 2f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn ppf(q: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [q, loc, scale] = promote("expon.ppf", [op(q), op(loc), op(scale)]);
        let bad = jnp::logical_or(jnp::logical_or(jnp::isnan(&q), q.lt(0.0)), q.gt(1.0));
        jnp::where_(&bad, f64::NAN, &loc - &scale * lax::log1p(&(-&q)))
    }
}

/// The Laplace (double exponential) distribution (`jax.scipy.stats.laplace`).
pub mod laplace {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand};
    use crate::tensor::Tensor;

    /// The log density `-|x - loc|/scale - log(2 scale)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::laplace::logpdf(&Tensor::scalar(0.0f64), 0.0, 0.5).item::<f64>();
    /// assert_eq!(y, 0.0);
    /// ```
    #[track_caller]
    pub fn logpdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("laplace.logpdf", [op(x), op(loc), op(scale)]);
        -(lax::abs(&(&x - &loc)) / &scale + lax::log(&(2.0 * &scale)))
    }

    /// The density, `exp(logpdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::laplace::pdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert_eq!(y, 0.5);
    /// ```
    #[track_caller]
    pub fn pdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        lax::exp(&logpdf(x, loc, scale))
    }

    /// The CDF: `exp(d)/2` left of `loc`, `1 - exp(-d)/2` right of it, `d = (x-loc)/scale`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::laplace::cdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert_eq!(y, 0.5);
    /// ```
    #[track_caller]
    pub fn cdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("laplace.cdf", [op(x), op(loc), op(scale)]);
        let d = (&x - &loc) / &scale;
        jnp::where_(&d.le(0.0), 0.5 * lax::exp(&d), 1.0 - 0.5 * lax::exp(&(-&d)))
    }
}

/// The logistic distribution (`jax.scipy.stats.logistic`), whose CDF is the sigmoid.
pub mod logistic {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand};
    use crate::scipy::special;
    use crate::tensor::Tensor;

    /// The log density `-2 logaddexp(z/2, -z/2) - log scale`, `z = (x - loc)/scale`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::logistic::logpdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.25f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logpdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("logistic.logpdf", [op(x), op(loc), op(scale)]);
        let half = (&x - &loc) / &scale / 2.0;
        -2.0 * jnp::logaddexp(&half, &(-&half)) - lax::log(&scale)
    }

    /// The density, `exp(logpdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::logistic::pdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.25).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn pdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        lax::exp(&logpdf(x, loc, scale))
    }

    /// The CDF `expit((x - loc)/scale)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::logistic::cdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert_eq!(y, 0.5);
    /// ```
    #[track_caller]
    pub fn cdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("logistic.cdf", [op(x), op(loc), op(scale)]);
        special::expit(&((x - loc) / scale))
    }

    /// The survival function `expit(-(x - loc)/scale)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::logistic::sf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert_eq!(y, 0.5);
    /// ```
    #[track_caller]
    pub fn sf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("logistic.sf", [op(x), op(loc), op(scale)]);
        special::expit(&(-((x - loc) / scale)))
    }

    /// The quantile function `logit(q) scale + loc`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::logistic::ppf(&Tensor::scalar(0.5f64), 1.0, 1.0).item::<f64>();
    /// assert_eq!(y, 1.0);
    /// ```
    #[track_caller]
    pub fn ppf(q: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [q, loc, scale] = promote("logistic.ppf", [op(q), op(loc), op(scale)]);
        special::logit(&q) * scale + loc
    }

    /// The inverse survival function `-logit(q) scale + loc`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::logistic::isf(&Tensor::scalar(0.5f64), 1.0, 1.0).item::<f64>();
    /// assert_eq!(y, 1.0);
    /// ```
    #[track_caller]
    pub fn isf(q: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [q, loc, scale] = promote("logistic.isf", [op(q), op(loc), op(scale)]);
        -special::logit(&q) * scale + loc
    }
}

/// The uniform distribution on `[loc, loc + scale]` (`jax.scipy.stats.uniform`).
pub mod uniform {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand};
    use crate::tensor::Tensor;

    fn outside(x: &Tensor, loc: &Tensor, scale: &Tensor) -> Tensor {
        jnp::logical_or(x.gt(&(loc + scale)), x.lt(loc))
    }

    /// The log density `-log scale` inside the interval, -∞ outside.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::uniform::logpdf(&Tensor::scalar(0.5f64), 0.0, 1.0).item::<f64>();
    /// assert_eq!(y, 0.0);
    /// ```
    #[track_caller]
    pub fn logpdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("uniform.logpdf", [op(x), op(loc), op(scale)]);
        let lp = -lax::log(&scale);
        jnp::where_(&outside(&x, &loc, &scale), f64::NEG_INFINITY, lp)
    }

    /// The density, `exp(logpdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::uniform::pdf(&Tensor::scalar(3.0f64), 0.0, 1.0).item::<f64>();
    /// assert_eq!(y, 0.0);
    /// ```
    #[track_caller]
    pub fn pdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        lax::exp(&logpdf(x, loc, scale))
    }

    /// The CDF: 0, `(x - loc)/scale`, 1.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::uniform::cdf(&Tensor::scalar(1.5f64), 1.0, 2.0).item::<f64>();
    /// assert_eq!(y, 0.25);
    /// ```
    #[track_caller]
    pub fn cdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("uniform.cdf", [op(x), op(loc), op(scale)]);
        let hi = &loc + &scale;
        let inside = jnp::logical_and(x.ge(&loc), x.le(&hi));
        jnp::select(
            &[x.lt(&loc), x.gt(&hi), inside],
            &[
                jnp::zeros_like(&x),
                jnp::ones_like(&x),
                (&x - &loc) / &scale,
            ],
            0.0,
        )
    }

    /// The quantile function `loc + scale q`, NaN outside `[0, 1]`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::uniform::ppf(&Tensor::scalar(0.25f64), 1.0, 2.0).item::<f64>();
    /// assert_eq!(y, 1.5);
    /// ```
    #[track_caller]
    pub fn ppf(q: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [q, loc, scale] = promote("uniform.ppf", [op(q), op(loc), op(scale)]);
        let bad = jnp::logical_or(jnp::logical_or(jnp::isnan(&q), q.lt(0.0)), q.gt(1.0));
        jnp::where_(&bad, f64::NAN, &loc + &scale * &q)
    }
}

/// The Cauchy distribution (`jax.scipy.stats.cauchy`), Student's t with one degree of
/// freedom.
pub mod cauchy {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::IntoOperand;
    use crate::tensor::Tensor;
    use std::f64::consts::PI;

    /// The log density `-log(π scale) - log1p(z²)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::cauchy::logpdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y + std::f64::consts::PI.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logpdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("cauchy.logpdf", [op(x), op(loc), op(scale)]);
        let z = (&x - &loc) / &scale;
        -(lax::log(&(PI * &scale)) + lax::log1p(&(&z * &z)))
    }

    /// The density, `exp(logpdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::cauchy::pdf(&Tensor::scalar(1.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.5 / std::f64::consts::PI).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn pdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        lax::exp(&logpdf(x, loc, scale))
    }

    /// The CDF `1/2 + atan(z)/π`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::cauchy::cdf(&Tensor::scalar(1.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.75).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn cdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("cauchy.cdf", [op(x), op(loc), op(scale)]);
        let z = (&x - &loc) / &scale;
        0.5 + (1.0 / PI) * lax::atan(&z)
    }

    /// The log CDF, `log(cdf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::cauchy::logcdf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.5f64.ln()).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn logcdf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        lax::log(&cdf(x, loc, scale))
    }

    /// The survival function, `cdf(-x, -loc, scale)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::cauchy::sf(&Tensor::scalar(1.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.25).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn sf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("cauchy.sf", [op(x), op(loc), op(scale)]);
        cdf(-x, -loc, scale)
    }

    /// The log survival function, `logcdf(-x, -loc, scale)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::cauchy::logsf(&Tensor::scalar(0.0f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - 0.5f64.ln()).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn logsf(x: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [x, loc, scale] = promote("cauchy.logsf", [op(x), op(loc), op(scale)]);
        logcdf(-x, -loc, scale)
    }

    /// The quantile function `tan(π q - π/2) scale + loc`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::cauchy::ppf(&Tensor::scalar(0.75f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - 1.0).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn ppf(q: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [q, loc, scale] = promote("cauchy.ppf", [op(q), op(loc), op(scale)]);
        lax::tan(&(PI * &q - PI / 2.0)) * scale + loc
    }

    /// The inverse survival function `tan(π/2 - π q) scale + loc`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::cauchy::isf(&Tensor::scalar(0.25f64), 0.0, 1.0).item::<f64>();
    /// assert!((y - 1.0).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn isf(q: impl IntoOperand, loc: impl IntoOperand, scale: impl IntoOperand) -> Tensor {
        let [q, loc, scale] = promote("cauchy.isf", [op(q), op(loc), op(scale)]);
        lax::tan(&(PI / 2.0 - PI * &q)) * scale + loc
    }
}
