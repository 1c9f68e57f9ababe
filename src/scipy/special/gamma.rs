//! The gamma and beta families of `jax.scipy.special`: `gammaln`, `gammasgn`, `gamma`,
//! `loggamma`, `digamma`, `polygamma`, `gammainc`, `gammaincc`, `betaln` (JAX's port of
//! scipy's `algdiv` branch for large arguments), `beta`, `betainc` (XLA's Lentz continued
//! fraction, as `lax.regularized_incomplete_beta` lowers), `factorial`, `comb`, `poch`,
//! `multigammaln`.

use super::{float1, float2, float3};
use crate::lax;
use crate::numpy::{self as jnp, IntoOperand};
use crate::tensor::{DType, Tensor};

/// `log |Γ(x)|` (`jax.scipy.special.gammaln`, the `lgamma` primitive); the log-space form
/// of the gamma function that stays finite far past where `Γ` overflows.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::gammaln(&Tensor::from_vec(vec![5.0f64, 0.5], &[2]));
/// let y = y.to_vec::<f64>();
/// assert!((y[0] - 24f64.ln()).abs() < 1e-13);
/// assert!((y[1] - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
/// ```
#[track_caller]
pub fn gammaln(x: &Tensor) -> Tensor {
    lax::lgamma(&float1(x))
}

/// The sign of `Γ(x)`: 1 or -1, NaN at the poles (non-positive integers) and for NaN
/// (`jax.scipy.special.gammasgn`); with [`gammaln`] it recovers `Γ` in log space.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![2.5f32, -0.5, -1.5, -2.0], &[4]);
/// let s = ferrax::scipy::special::gammasgn(&x).to_vec::<f32>();
/// assert_eq!(&s[..3], &[1.0, -1.0, 1.0]);
/// assert!(s[3].is_nan());
/// ```
#[track_caller]
pub fn gammasgn(x: &Tensor) -> Tensor {
    let x = float1(x);
    let floor_x = lax::floor(&x);
    let neg = x.lt(0.0);
    let pole = jnp::logical_or(jnp::logical_and(&neg, x.eq(&floor_x)), jnp::isnan(&x));
    let odd = jnp::logical_and(&neg, (&floor_x % 2.0).ne(0.0));
    let minus = jnp::logical_or(&odd, jnp::logical_and(x.eq(0.0), jnp::signbit(&x)));
    jnp::select(
        &[pole, minus],
        &[jnp::full_like(&x, f64::NAN), jnp::full_like(&x, -1.0)],
        1.0,
    )
}

/// `Γ(x)` for real `x`: `gammasgn(x) * exp(gammaln(x))` (`jax.scipy.special.gamma`).
///
/// ```
/// use ferrax::prelude::*;
/// let g = ferrax::scipy::special::gamma(&Tensor::from_vec(vec![5.0f64, -0.5], &[2]));
/// let g = g.to_vec::<f64>();
/// assert!((g[0] - 24.0).abs() < 1e-12);
/// assert!((g[1] + 2.0 * std::f64::consts::PI.sqrt()).abs() < 1e-12);
/// ```
#[track_caller]
pub fn gamma(x: &Tensor) -> Tensor {
    let x = float1(x);
    gammasgn(&x) * lax::exp(&lax::lgamma(&x))
}

/// The principal branch of `log Γ(x)` for real `x`: `gammaln` where `x > 0`, NaN elsewhere
/// (`jax.scipy.special.loggamma`; complex inputs are not supported here).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::loggamma(&Tensor::from_vec(vec![3.0f32, -0.5], &[2]));
/// let y = y.to_vec::<f32>();
/// assert!((y[0] - 2f32.ln()).abs() < 1e-6 && y[1].is_nan());
/// ```
#[track_caller]
pub fn loggamma(x: &Tensor) -> Tensor {
    let x = float1(x);
    jnp::where_(&x.gt(0.0), lax::lgamma(&x), f64::NAN)
}

/// ψ(x) = d/dx log Γ(x) (`jax.scipy.special.digamma`).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::digamma(&Tensor::scalar(1.0f64)).item::<f64>();
/// assert!((y + 0.5772156649015329).abs() < 1e-13); // -γ
/// ```
#[track_caller]
pub fn digamma(x: &Tensor) -> Tensor {
    lax::digamma(&float1(x))
}

/// ψ⁽ⁿ⁾(x), the n-th derivative of digamma (`jax.scipy.special.polygamma`; `n` holds
/// non-negative integer values, differentiable in `x` only, as in JAX).
///
/// ```
/// use ferrax::prelude::*;
/// let n = Tensor::scalar(1i32);
/// let y = ferrax::scipy::special::polygamma(&n, &Tensor::scalar(1.0f64)).item::<f64>();
/// assert!((y - std::f64::consts::PI.powi(2) / 6.0).abs() < 1e-12); // ζ(2)
/// ```
#[track_caller]
pub fn polygamma(n: impl IntoOperand, x: impl IntoOperand) -> Tensor {
    let (n, x) = float2("polygamma", n, x);
    let (n, x) = (
        jnp::broadcast_to(&n, &bshape(&n, &x)),
        jnp::broadcast_to(&x, &bshape(&n, &x)),
    );
    lax::polygamma(&lax::stop_gradient(&n), &x)
}

fn bshape(a: &Tensor, b: &Tensor) -> Vec<usize> {
    jnp::broadcast_shapes(a.shape(), b.shape())
}

/// The regularized lower incomplete gamma function P(a, x) (`jax.scipy.special.gammainc`,
/// the `igamma` primitive): the CDF of a Gamma(a) variable at `x`.
///
/// ```
/// use ferrax::prelude::*;
/// let p = ferrax::scipy::special::gammainc(1.0f64, &Tensor::scalar(2.0f64)).item::<f64>();
/// assert!((p - (1.0 - (-2.0f64).exp())).abs() < 1e-15);
/// ```
#[track_caller]
pub fn gammainc(a: impl IntoOperand, x: impl IntoOperand) -> Tensor {
    let (a, x) = float2("gammainc", a, x);
    let s = bshape(&a, &x);
    lax::igamma(&jnp::broadcast_to(&a, &s), &jnp::broadcast_to(&x, &s))
}

/// The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)
/// (`jax.scipy.special.gammaincc`): the survival function of a Gamma(a) variable, accurate
/// where P is close to 1.
///
/// ```
/// use ferrax::prelude::*;
/// let q = ferrax::scipy::special::gammaincc(1.0f64, &Tensor::scalar(30.0f64)).item::<f64>();
/// assert!((q / (-30.0f64).exp() - 1.0).abs() < 1e-13);
/// ```
#[track_caller]
pub fn gammaincc(a: impl IntoOperand, x: impl IntoOperand) -> Tensor {
    let (a, x) = float2("gammaincc", a, x);
    let s = bshape(&a, &x);
    lax::igammac(&jnp::broadcast_to(&a, &s), &jnp::broadcast_to(&x, &s))
}

/// `log |B(a, b)|` (`jax.scipy.special.betaln`): `lgamma` sums for `max(a, b) < 8`, else
/// scipy's `algdiv` expansion, which keeps accuracy when the arguments are large.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::betaln(2.0f64, &Tensor::scalar(3.0f64)).item::<f64>();
/// assert!((y - (1.0f64 / 12.0).ln()).abs() < 1e-14);
/// ```
#[track_caller]
pub fn betaln(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = float2("betaln", a, b);
    let (a, b) = (jnp::minimum(&a, &b), jnp::maximum(&a, &b));
    let small_b = lax::lgamma(&a) + (lax::lgamma(&b) - lax::lgamma(&(&a + &b)));
    let large_b = lax::lgamma(&a) + algdiv(&a, &b);
    jnp::where_(&b.lt(8.0), small_b, large_b)
}

/// `log Γ(b) - log Γ(a + b)` for `b >= 8` (scipy's `algdiv`, as JAX's `betaln` ports it).
fn algdiv(a: &Tensor, b: &Tensor) -> Tensor {
    let (c0, c1, c2) = (
        0.833333333333333e-01,
        -0.277777777760991e-02,
        0.793650666825390e-03,
    );
    let (c3, c4, c5) = (
        -0.595202931351870e-03,
        0.837308034031215e-03,
        -0.165322962780713e-02,
    );
    let h = a / b;
    let c = &h / (1.0 + &h);
    let x = &h / (1.0 + &h);
    let d = b + (a - 0.5);
    let x2 = &x * &x;
    let s3 = 1.0 + (&x + &x2);
    let s5 = 1.0 + (&x + &x2 * &s3);
    let s7 = 1.0 + (&x + &x2 * &s5);
    let s9 = 1.0 + (&x + &x2 * &s7);
    let s11 = 1.0 + (&x + &x2 * &s9);
    let t = (1.0 / b).powi(2);
    let w =
        ((((c5 * &s11 * &t + c4 * &s9) * &t + c3 * &s7) * &t + c2 * &s5) * &t + c1 * &s3) * &t + c0;
    let w = w * (&c / b);
    let u = d * lax::log1p(&(a / b));
    let v = a * (lax::log(b) - 1.0);
    jnp::where_(&u.le(&v), (&w - &v) - &u, (&w - &u) - &v)
}

/// The beta function B(a, b) = Γ(a)Γ(b)/Γ(a+b), with its sign (`jax.scipy.special.beta`).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::beta(2.0f64, &Tensor::scalar(3.0f64)).item::<f64>();
/// assert!((y - 1.0 / 12.0).abs() < 1e-15);
/// ```
#[track_caller]
pub fn beta(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = float2("beta", a, b);
    let sign = gammasgn(&a) * gammasgn(&b) * gammasgn(&(&a + &b));
    sign * lax::exp(&betaln(&a, &b))
}

/// The regularized incomplete beta function I_x(a, b) (`jax.scipy.special.betainc`): the
/// CDF of a Beta(a, b) variable at `x`. Computed as XLA lowers
/// `lax.regularized_incomplete_beta`: the continued fraction of DLMF 8.17.22 by the
/// Lentz-Thompson-Barnett method (a `while_loop` of at most 200 steps in f32, 600 in f64),
/// on the side of the symmetry `I_x(a, b) = 1 - I_{1-x}(b, a)` where it converges fast.
/// Differentiable in `x` (JAX's rule); as in JAX, there is no derivative in `a` or `b`:
/// their tangents are ignored.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.25f64, 0.5], &[2]);
/// let y = ferrax::scipy::special::betainc(2.0, 1.0, &x).to_vec::<f64>();
/// assert!((y[0] - 0.0625).abs() < 1e-14 && (y[1] - 0.25).abs() < 1e-14); // x^2
/// ```
#[track_caller]
pub fn betainc(a: impl IntoOperand, b: impl IntoOperand, x: impl IntoOperand) -> Tensor {
    let (a, b, x) = float3("betainc", a, b, x);
    let shape = jnp::broadcast_shapes(&bshape(&a, &b), x.shape());
    let (a, b, x) = (
        jnp::broadcast_to(&a, &shape),
        jnp::broadcast_to(&b, &shape),
        jnp::broadcast_to(&x, &shape),
    );
    let f = crate::transforms::custom_jvp(
        "betainc",
        |(a, b, x): &(Tensor, Tensor, Tensor)| betainc_impl(a, b, x),
        |(a, b, x): &(Tensor, Tensor, Tensor), (_, _, tx): &(Tensor, Tensor, Tensor)| {
            let y = betainc_impl(a, b, x);
            let lbeta = lax::lgamma(a) + lax::lgamma(b) - lax::lgamma(&(a + b));
            let dx = lax::exp(&((b - 1.0) * lax::log1p(&(-x)) + (a - 1.0) * lax::log(x) - lbeta));
            (y, dx * tx)
        },
    );
    f(&(a, b, x))
}

/// `regularized_incomplete_beta_impl` of JAX's `lax/special.py`, on operands of one shape.
fn betainc_impl(a: &Tensor, b: &Tensor, x: &Tensor) -> Tensor {
    let f64_ = a.dtype() == DType::F64;
    let (eps, tiny) = if f64_ {
        (f64::EPSILON, f64::MIN_POSITIVE)
    } else {
        (f32::EPSILON as f64, f32::MIN_POSITIVE as f64)
    };
    let (small, iters) = (eps / 2.0, if f64_ { 600 } else { 200 });
    let a_is_zero = jnp::logical_or(a.eq(0.0), b.eq(f64::INFINITY));
    let b_is_zero = jnp::logical_or(b.eq(0.0), a.eq(f64::INFINITY));
    let (x_is_zero, x_is_one) = (x.eq(0.0), x.eq(1.0));
    let is_nan = jnp::logical_or(jnp::logical_or(jnp::isnan(a), jnp::isnan(b)), jnp::isnan(x));
    fn and(a: &Tensor, b: &Tensor) -> Tensor {
        jnp::logical_and(a, b)
    }
    fn or(a: &Tensor, b: &Tensor) -> Tensor {
        jnp::logical_or(a, b)
    }
    let result_is_zero = or(
        &and(&b_is_zero, &x_is_one.not()),
        &and(&a_is_zero, &x_is_zero),
    );
    let result_is_one = or(
        &and(&a_is_zero, &x_is_zero.not()),
        &and(&b_is_zero, &x_is_one),
    );
    let out_of_domain = or(&or(&a.lt(0.0), &b.lt(0.0)), &or(&x.lt(0.0), &x.gt(1.0)));
    let result_is_nan = or(&out_of_domain, &or(&and(&a_is_zero, &b_is_zero), &is_nan));

    let fast = x.lt(&((a + 1.0) / (a + b + 2.0)));
    let (a, b, x) = (
        jnp::where_(&fast, a, b),
        jnp::where_(&fast, b, a),
        jnp::where_(&fast, x, 1.0 - x),
    );
    let cf = lentz(&a, &b, &x, iters, small);
    let lbeta_small_a = lax::lgamma(&b) - lax::lgamma(&(&a + &b));
    let lbeta = lax::lgamma(&a) + &lbeta_small_a;
    let log1m_x = lax::log1p(&(-&x));
    let factor = jnp::where_(
        &a.lt(tiny * 2.0),
        lax::exp(&(&log1m_x * &b - &lbeta_small_a)),
        lax::exp(&(lax::log(&x) * &a + &log1m_x * &b - lbeta)) / &a,
    );
    let result = cf * factor;
    let result = jnp::where_(&fast, &result, 1.0 - &result);
    let result = jnp::where_(&result_is_zero, 0.0, result);
    let result = jnp::where_(&result_is_one, 1.0, result);
    jnp::where_(&result_is_nan, f64::NAN, result)
}

/// `lentz_thompson_barnett_algorithm` with the betainc partial numerators (DLMF 8.17.23);
/// the partial denominators are 0 for step 0, else 1.
fn lentz(a: &Tensor, b: &Tensor, x: &Tensor, iters: i32, small: f64) -> Tensor {
    let h0 = jnp::full_like(x, small); // |partial denominator 0| = 0 < small
    let init = (
        Tensor::scalar(1i32),
        Tensor::scalar(true),
        h0.clone(),
        jnp::zeros_like(&h0),
        h0,
    );
    let (a, b, x) = (a.clone(), b.clone(), x.clone());
    let out = lax::while_loop(
        |(i, unconverged, ..): &(Tensor, Tensor, Tensor, Tensor, Tensor)| {
            jnp::logical_and(i.lt(iters), unconverged)
        },
        |(i, _, c, d, h): &(Tensor, Tensor, Tensor, Tensor, Tensor)| {
            let fi = jnp::broadcast_to(&i.cast(a.dtype()), a.shape());
            let m = jnp::floor(&((&fi - 1.0) / 2.0));
            let two_m = &m * 2.0;
            let zero_num = -(&a + &b) * &x / (&a + 1.0);
            let even = jnp::where_(
                &m.eq(0.0),
                &zero_num,
                -(&a + &m) * (&a + &b + &m) * &x / ((&a + &two_m) * (&a + &two_m + 1.0)),
            );
            let odd = &m * (&b - &m) * &x / ((&a + &two_m - 1.0) * (&a + &two_m));
            let num = jnp::where_(&(&fi % 2.0).eq(0.0), even, odd);
            let num = jnp::where_(&fi.eq(1.0), 1.0, num);
            let c = 1.0 + &num / c;
            let c = jnp::where_(&lax::abs(&c).lt(small), small, c);
            let d = 1.0 + &num * d;
            let d = jnp::where_(&lax::abs(&d).lt(small), small, d);
            let d = 1.0 / d;
            let delta = &c * &d;
            let h = h * &delta;
            let unconverged = jnp::any(&lax::abs(&(&delta - 1.0)).ge(small), None);
            (i + 1, unconverged, c, d, h)
        },
        &init,
    );
    out.4
}

/// `n!` as `exp(lgamma(n + 1))`, 0 for negative `n` (`jax.scipy.special.factorial` with
/// `exact=False`, the only mode JAX has).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::factorial(&Tensor::from_vec(vec![5.0f64, -1.0], &[2]));
/// let y = y.to_vec::<f64>();
/// assert!((y[0] - 120.0).abs() < 1e-11 && y[1] == 0.0);
/// ```
#[track_caller]
pub fn factorial(n: &Tensor) -> Tensor {
    let n = float1(n);
    jnp::where_(&n.lt(0.0), 0.0, lax::exp(&lax::lgamma(&(&n + 1.0))))
}

/// "N choose k" through `gammaln`, 0 outside `0 <= k <= N` (`jax.scipy.special.comb`,
/// `repetition=False`; [`comb_with_repetition`] is the other mode).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::comb(5.0f64, &Tensor::scalar(2.0f64)).item::<f64>();
/// assert!((y - 10.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn comb(n: impl IntoOperand, k: impl IntoOperand) -> Tensor {
    let (n, k) = float2("comb", n, k);
    let ok = jnp::logical_and(jnp::logical_and(k.le(&n), n.ge(0.0)), k.ge(0.0));
    let sn = jnp::where_(&ok, &n, 0.0);
    let sk = jnp::where_(&ok, &k, 0.0);
    let r = lax::exp(
        &(lax::lgamma(&(&sn + 1.0)) - lax::lgamma(&(&sk + 1.0)) - lax::lgamma(&(&sn + 1.0 - &sk))),
    );
    jnp::where_(&ok, r, 0.0)
}

/// Combinations with repetition, `comb(N + k - 1, k)` and 1 where `k = 0 <= N`
/// (`jax.scipy.special.comb(..., repetition=True)`).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::comb_with_repetition(3.0f64, &Tensor::scalar(2.0f64));
/// assert!((y.item::<f64>() - 6.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn comb_with_repetition(n: impl IntoOperand, k: impl IntoOperand) -> Tensor {
    let (n, k) = float2("comb", n, k);
    let one = jnp::logical_and(k.eq(0.0), n.ge(0.0));
    jnp::where_(&one, 1.0, comb(&(&n + &k - 1.0), &k))
}

/// The Pochhammer symbol (rising factorial) `Γ(z + m) / Γ(z)`, 1 where `m = 0`
/// (`jax.scipy.special.poch`, with JAX's digamma-based custom JVP).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::poch(3.0f64, &Tensor::scalar(2.0f64)).item::<f64>();
/// assert!((y - 12.0).abs() < 1e-12); // 3 * 4
/// ```
#[track_caller]
pub fn poch(z: impl IntoOperand, m: impl IntoOperand) -> Tensor {
    let (z, m) = float2("poch", z, m);
    let s = bshape(&z, &m);
    let f = crate::transforms::custom_jvp(
        "poch",
        |(z, m): &(Tensor, Tensor)| poch_value(z, m),
        |(z, m): &(Tensor, Tensor), (tz, tm): &(Tensor, Tensor)| {
            let y = poch_value(z, m);
            let dzm = lax::digamma(&(z + m));
            let t = (&dzm - lax::digamma(z)) * &y * tz + dzm * &y * tm;
            (y, t)
        },
    );
    f(&(jnp::broadcast_to(&z, &s), jnp::broadcast_to(&m, &s)))
}

fn poch_value(z: &Tensor, m: &Tensor) -> Tensor {
    jnp::where_(&m.eq(0.0), 1.0, gamma(&(z + m)) / gamma(z))
}

/// The log of the multivariate gamma function of dimension `d`:
/// `d(d-1)/4 log π + Σ_{j<d} gammaln(a - j/2)` (`jax.scipy.special.multigammaln`), the
/// normalizer of the Wishart density.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::scalar(3.0f64);
/// let y = ferrax::scipy::special::multigammaln(&a, 1).item::<f64>();
/// assert!((y - 2f64.ln()).abs() < 1e-14); // d = 1 is gammaln
/// ```
#[track_caller]
pub fn multigammaln(a: &Tensor, d: usize) -> Tensor {
    assert!(d >= 1, "multigammaln: d must be at least 1, got {d}");
    let a = float1(a);
    let d_ = d as f64;
    let constant = 0.25 * d_ * (d_ - 1.0) * std::f64::consts::PI.ln();
    let mut res = lax::lgamma(&a);
    for j in 1..d {
        res = res + lax::lgamma(&(&a - j as f64 / 2.0));
    }
    res + constant
}
