//! Discrete distributions of `jax.scipy.stats`: `poisson`, `bernoulli`, `geom` (JAX's
//! formulas: `xlogy`/`xlog1py` keep the boundary cases exact).

/// The Poisson distribution with mean `mu` (`jax.scipy.stats.poisson`).
pub mod poisson {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand};
    use crate::scipy::special;
    use crate::tensor::Tensor;

    /// The log pmf `xlogy(k, mu) - gammaln(k + 1) - mu`; -∞ for negative or non-integer `k`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::poisson::logpmf(&Tensor::scalar(0.0f64), 3.0, 0.0).item::<f64>();
    /// assert_eq!(y, -3.0);
    /// ```
    #[track_caller]
    pub fn logpmf(k: impl IntoOperand, mu: impl IntoOperand, loc: impl IntoOperand) -> Tensor {
        let [k, mu, loc] = promote("poisson.logpmf", [op(k), op(mu), op(loc)]);
        let x = &k - &loc;
        let lp = special::xlogy(&x, &mu) - lax::lgamma(&(&x + 1.0)) - &mu;
        let bad = jnp::logical_or(x.lt(0.0), jnp::round(&k).ne(&k));
        jnp::where_(&bad, f64::NEG_INFINITY, lp)
    }

    /// The pmf, `exp(logpmf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::poisson::pmf(&Tensor::scalar(1.5f64), 3.0, 0.0).item::<f64>();
    /// assert_eq!(y, 0.0);
    /// ```
    #[track_caller]
    pub fn pmf(k: impl IntoOperand, mu: impl IntoOperand, loc: impl IntoOperand) -> Tensor {
        lax::exp(&logpmf(k, mu, loc))
    }

    /// The CDF `gammaincc(floor(k - loc + 1), mu)`, 0 below `loc`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::poisson::cdf(&Tensor::scalar(0.0f64), 2.0, 0.0).item::<f64>();
    /// assert!((y - (-2.0f64).exp()).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn cdf(k: impl IntoOperand, mu: impl IntoOperand, loc: impl IntoOperand) -> Tensor {
        let [k, mu, loc] = promote("poisson.cdf", [op(k), op(mu), op(loc)]);
        let x = &k - &loc;
        let p = special::gammaincc(jnp::floor(&(1.0 + &x)), &mu);
        jnp::where_(&x.lt(0.0), 0.0, p)
    }
}

/// The Bernoulli distribution with success probability `p` (`jax.scipy.stats.bernoulli`).
pub mod bernoulli {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand};
    use crate::scipy::special;
    use crate::tensor::Tensor;

    /// The log pmf `xlogy(k, p) + xlog1py(1 - k, -p)`, -∞ outside `[0, 1]`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::bernoulli::logpmf(&Tensor::scalar(1.0f64), 0.25, 0.0).item::<f64>();
    /// assert!((y - 0.25f64.ln()).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn logpmf(k: impl IntoOperand, p: impl IntoOperand, loc: impl IntoOperand) -> Tensor {
        let [k, p, loc] = promote("bernoulli.logpmf", [op(k), op(p), op(loc)]);
        let x = &k - &loc;
        let lp = special::xlogy(&x, &p) + special::xlog1py(&(1.0 - &x), &(-&p));
        let bad = jnp::logical_or(x.lt(0.0), x.gt(1.0));
        jnp::where_(&bad, f64::NEG_INFINITY, lp)
    }

    /// The pmf, `exp(logpmf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::bernoulli::pmf(&Tensor::scalar(0.0f64), 0.25, 0.0).item::<f64>();
    /// assert!((y - 0.75).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn pmf(k: impl IntoOperand, p: impl IntoOperand, loc: impl IntoOperand) -> Tensor {
        lax::exp(&logpmf(k, p, loc))
    }

    /// The CDF: 0 below 0, `1 - p` on `[0, 1)`, 1 from 1; NaN for NaN or `p` outside
    /// `[0, 1]`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::bernoulli::cdf(&Tensor::scalar(0.5f64), 0.25).item::<f64>();
    /// assert_eq!(y, 0.75);
    /// ```
    #[track_caller]
    pub fn cdf(k: impl IntoOperand, p: impl IntoOperand) -> Tensor {
        let [k, p] = promote("bernoulli.cdf", [op(k), op(p)]);
        let bad = jnp::logical_or(
            jnp::logical_or(jnp::isnan(&k), jnp::isnan(&p)),
            jnp::logical_or(p.lt(0.0), p.gt(1.0)),
        );
        let mid = jnp::logical_and(k.ge(0.0), k.lt(1.0));
        jnp::select(
            &[bad, k.lt(0.0), mid, k.ge(1.0)],
            &[
                jnp::full_like(&p, f64::NAN),
                jnp::zeros_like(&p),
                1.0 - &p,
                jnp::ones_like(&p),
            ],
            0.0,
        )
    }

    /// The quantile function: 0 where `q <= 1 - p`, else 1; NaN outside the domain.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::bernoulli::ppf(&Tensor::scalar(0.9f64), 0.25).item::<f64>();
    /// assert_eq!(y, 1.0);
    /// ```
    #[track_caller]
    pub fn ppf(q: impl IntoOperand, p: impl IntoOperand) -> Tensor {
        let [q, p] = promote("bernoulli.ppf", [op(q), op(p)]);
        let bad = jnp::logical_or(
            jnp::logical_or(
                jnp::logical_or(jnp::isnan(&q), jnp::isnan(&p)),
                jnp::logical_or(p.lt(0.0), p.gt(1.0)),
            ),
            jnp::logical_or(q.lt(0.0), q.gt(1.0)),
        );
        let v = jnp::where_(&q.le(&(1.0 - &p)), jnp::zeros_like(&q), 1.0);
        jnp::where_(&bad, f64::NAN, v)
    }
}

/// The geometric distribution: trials until the first success (`jax.scipy.stats.geom`).
pub mod geom {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand};
    use crate::scipy::special;
    use crate::tensor::Tensor;

    /// The log pmf `xlog1py(k - 1, -p) + log p`, -∞ for `k - loc <= 0`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::geom::logpmf(&Tensor::scalar(1.0f64), 0.5, 0.0).item::<f64>();
    /// assert!((y - 0.5f64.ln()).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn logpmf(k: impl IntoOperand, p: impl IntoOperand, loc: impl IntoOperand) -> Tensor {
        let [k, p, loc] = promote("geom.logpmf", [op(k), op(p), op(loc)]);
        let x = &k - &loc;
        let lp = special::xlog1py(&(&x - 1.0), &(-&p)) + lax::log(&p);
        jnp::where_(&x.le(0.0), f64::NEG_INFINITY, lp)
    }

    /// The pmf, `exp(logpmf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::geom::pmf(&Tensor::scalar(2.0f64), 0.5, 0.0).item::<f64>();
    /// assert!((y - 0.25).abs() < 1e-16);
    /// ```
    #[track_caller]
    pub fn pmf(k: impl IntoOperand, p: impl IntoOperand, loc: impl IntoOperand) -> Tensor {
        lax::exp(&logpmf(k, p, loc))
    }
}
