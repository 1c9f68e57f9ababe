//! Discrete distributions of `jax.scipy.stats`: `poisson`, `bernoulli`, `geom`, `binom`,
//! `nbinom`, `multinomial` (JAX's
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

/// The binomial distribution: successes in `n` trials of probability `p`
/// (`jax.scipy.stats.binom`).
pub mod binom {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand};
    use crate::scipy::special;
    use crate::tensor::Tensor;

    /// The log pmf `log C(n, y) + xlogy(y, p) + xlog1py(n - y, -p)`, `y = k - loc`; 0 where
    /// the outcome is certain, -∞ outside `[loc, loc + n]`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::binom::logpmf(&Tensor::scalar(1.0f64), 2.0, 0.5, 0.0).item::<f64>();
    /// assert!((y - 0.5f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logpmf(
        k: impl IntoOperand,
        n: impl IntoOperand,
        p: impl IntoOperand,
        loc: impl IntoOperand,
    ) -> Tensor {
        let [k, n, p, loc] = promote("binom.logpmf", [op(k), op(n), op(p), op(loc)]);
        let y = &k - &loc;
        let comb =
            lax::lgamma(&(&n + 1.0)) - (lax::lgamma(&(&y + 1.0)) + lax::lgamma(&(&n - &y + 1.0)));
        let linear = special::xlogy(&y, &p) + special::xlog1py(&(&n - &y), &(-&p));
        let lp = comb + &linear;
        let certain = jnp::logical_or(jnp::logical_and(y.eq(0.0), n.eq(0.0)), linear.eq(0.0));
        let lp = jnp::where_(&certain, 0.0, lp);
        let inside = jnp::logical_and(k.ge(&loc), k.lt(&(&loc + &n + 1.0)));
        jnp::where_(&inside, lp, f64::NEG_INFINITY)
    }

    /// The pmf, `exp(logpmf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::binom::pmf(&Tensor::scalar(2.0f64), 2.0, 0.5, 0.0).item::<f64>();
    /// assert!((y - 0.25).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn pmf(
        k: impl IntoOperand,
        n: impl IntoOperand,
        p: impl IntoOperand,
        loc: impl IntoOperand,
    ) -> Tensor {
        lax::exp(&logpmf(k, n, p, loc))
    }
}

/// The negative binomial distribution: failures before the `n`-th success
/// (`jax.scipy.stats.nbinom`).
pub mod nbinom {
    use super::super::{op, promote};
    use crate::lax;
    use crate::numpy::{self as jnp, IntoOperand};
    use crate::scipy::special;
    use crate::tensor::Tensor;

    /// The log pmf `log Γ(y + n) - log Γ(n) - log Γ(y + 1) + xlogy(n, p) + xlogy(y, 1 - p)`,
    /// -∞ below `loc`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::nbinom::logpmf(&Tensor::scalar(0.0f64), 1.0, 0.5, 0.0).item::<f64>();
    /// assert!((y - 0.5f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logpmf(
        k: impl IntoOperand,
        n: impl IntoOperand,
        p: impl IntoOperand,
        loc: impl IntoOperand,
    ) -> Tensor {
        let [k, n, p, loc] = promote("nbinom.logpmf", [op(k), op(n), op(p), op(loc)]);
        let y = &k - &loc;
        let comb = lax::lgamma(&(&y + &n)) - lax::lgamma(&n) - lax::lgamma(&(&y + 1.0));
        let linear = special::xlogy(&n, &p) + special::xlogy(&y, &(1.0 - &p));
        jnp::where_(&k.lt(&loc), f64::NEG_INFINITY, comb + linear)
    }

    /// The pmf, `exp(logpmf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = ferrax::scipy::stats::nbinom::pmf(&Tensor::scalar(1.0f64), 1.0, 0.5, 0.0).item::<f64>();
    /// assert!((y - 0.25).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn pmf(
        k: impl IntoOperand,
        n: impl IntoOperand,
        p: impl IntoOperand,
        loc: impl IntoOperand,
    ) -> Tensor {
        lax::exp(&logpmf(k, n, p, loc))
    }
}

/// The multinomial distribution: counts `x` (last axis) of `n` draws with probabilities `p`
/// (`jax.scipy.stats.multinomial`).
pub mod multinomial {
    use crate::lax;
    use crate::numpy::{self as jnp};
    use crate::scipy::special;
    use crate::tensor::Tensor;

    /// The log pmf `log n! + Σ (xlogy(x, p) - log x!)` over the last axis, -∞ where the
    /// counts do not sum to `n` (as in JAX, the sum is over all of `x`). `x` and `n` hold integer values (of any dtype); the result
    /// has `p`'s float dtype.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1.0f64, 1.0], &[2]);
    /// let p = Tensor::from_vec(vec![0.5f64, 0.5], &[2]);
    /// let y = ferrax::scipy::stats::multinomial::logpmf(&x, &Tensor::scalar(2.0f64), &p);
    /// assert!((y.item::<f64>() - 0.5f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logpmf(x: &Tensor, n: &Tensor, p: &Tensor) -> Tensor {
        let p = crate::scipy::special::float1(p);
        let (x, n) = (x.cast(p.dtype()), n.cast(p.dtype()));
        let terms = special::xlogy(&x, &p) - lax::lgamma(&(&x + 1.0));
        let lp = lax::lgamma(&(&n + 1.0)) + jnp::sum(&terms, Some(&[-1]));
        jnp::where_(&jnp::sum(&x, None).eq(&n), lp, f64::NEG_INFINITY)
    }

    /// The pmf, `exp(logpmf)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![2.0f64, 0.0], &[2]);
    /// let p = Tensor::from_vec(vec![0.5f64, 0.5], &[2]);
    /// let y = ferrax::scipy::stats::multinomial::pmf(&x, &Tensor::scalar(2.0f64), &p);
    /// assert!((y.item::<f64>() - 0.25).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn pmf(x: &Tensor, n: &Tensor, p: &Tensor) -> Tensor {
        lax::exp(&logpmf(x, n, p))
    }
}
