//! The sine/cosine integrals and exponential integrals of `jax.scipy.special`: `sici`
//! (Cephes' rational approximations below 4, the auxiliary functions f and g above), `expn`
//! (Cephes' series, continued fraction and large-n expansion, as JAX writes them, the loops
//! run until every element has converged), `exp1` = `expn(1, x)`, and `expi` (seven rational
//! approximations on doublings of (0, 64], `-exp1(-x)` for negative x).

use super::{float1, float2, polyval};
use crate::lax;
use crate::numpy::{self as jnp, IntoOperand};
use crate::tensor::{DType, Tensor};
use std::f64::consts::PI;

const EULER: f64 = 0.577_215_664_901_532_9;

const SN: [f64; 6] = [
    -8.391678279103039e-11,
    4.625917144270128e-08,
    -9.757593038436328e-06,
    0.0009769454381704354,
    -0.04134703162294066,
    1.0,
];
const SD: [f64; 6] = [
    2.0326926619595193e-12,
    1.279978911799433e-09,
    4.418278428012189e-07,
    9.964121220438756e-05,
    0.01420852393261499,
    1.0,
];
const CN: [f64; 6] = [
    2.0252400238910228e-11,
    -1.3524950491579076e-08,
    3.593250514199931e-06,
    -0.0004740072068734079,
    0.028915965260755523,
    -1.0,
];
const CD: [f64; 6] = [
    4.077460400618806e-12,
    3.067809975818878e-09,
    1.2321035568588342e-06,
    0.00031744202477503275,
    0.051002805623644606,
    4.0,
];
const FN4: [f64; 7] = [
    4.236128628922166,
    5.4593771716181285,
    1.6208328770153833,
    0.16700661183132304,
    0.006810201324725182,
    0.00010893658065032867,
    5.489002234213736e-07,
];
const FD4: [f64; 8] = [
    1.0,
    8.16496634205391,
    7.308288225055645,
    1.867922579501842,
    0.1787920529631499,
    0.007017106683227897,
    0.00011003435715391573,
    5.489002527562557e-07,
];
const GN4: [f64; 8] = [
    0.08710016989731142,
    0.6113791099522193,
    0.3971802963923375,
    0.07485277376284691,
    0.005388686814621773,
    0.00016199979459893403,
    1.9796387414096365e-06,
    7.825790407440903e-09,
];
const GD4: [f64; 8] = [
    1.0,
    1.6440220241335535,
    0.666296701268988,
    0.09887717612776888,
    0.006223963454417684,
    0.0001732210814741771,
    2.0265918208634397e-06,
    7.825792189335346e-09,
];
const FN8: [f64; 9] = [
    0.4558808734704653,
    0.7137152741001467,
    0.16030015822231947,
    0.01160642294081244,
    0.00034955644244785906,
    4.8621543082645475e-06,
    3.200927900910049e-08,
    9.41779576128513e-11,
    9.70507110881952e-14,
];
const FD8: [f64; 9] = [
    1.0,
    0.9174636118736841,
    0.17868554533207454,
    0.012225359477197129,
    0.00035869648188185157,
    4.924350643178815e-06,
    3.21956939101046e-08,
    9.437205903502767e-11,
    9.70507110881952e-14,
];
const GN8: [f64; 9] = [
    0.6973599534432762,
    0.33041097930563207,
    0.03848787676499743,
    0.001717182390523479,
    3.4894116550227946e-05,
    3.471311670841167e-07,
    1.7040445278204452e-09,
    3.859459254302766e-12,
    3.1404009894636335e-15,
];
const GD8: [f64; 10] = [
    1.0,
    1.6854889881101165,
    0.48785225869530496,
    0.04679131942596258,
    0.0019028442667439953,
    3.684755044425611e-05,
    3.5704322344374083e-07,
    1.7269374896631615e-09,
    3.878301660239547e-12,
    3.1404009894636335e-15,
];

/// The sine and cosine integrals `(Si(x), Ci(x))` (`jax.scipy.special.sici`): Si odd,
/// Ci NaN for x < 0 (as JAX; -∞ at 0). JAX's custom JVP: `(sinc(x/π) dx, cos(x)/x dx)`.
///
/// ```
/// use ferrax::prelude::*;
/// let (si, ci) = ferrax::scipy::special::sici(&Tensor::scalar(1.0f64));
/// assert!((si.item::<f64>() - 0.9460830703671831).abs() < 1e-15);
/// assert!((ci.item::<f64>() - 0.3374039229009681).abs() < 1e-15);
/// ```
#[track_caller]
pub fn sici(x: &Tensor) -> (Tensor, Tensor) {
    let x = float1(x);
    let f = crate::transforms::custom_jvp("sici", sici_impl, |x: &Tensor, t: &Tensor| {
        let y = sici_impl(x);
        let sin_term = jnp::sinc(&(x / PI));
        let cos_term = lax::cos(x) / x;
        (y, (sin_term * t, cos_term * t))
    });
    f(&x)
}

fn sici_impl(x: &Tensor) -> (Tensor, Tensor) {
    let ax = lax::abs(x);
    // Series below 4 (at 0: Si = 0, Ci = -inf).
    let t = &ax * &ax;
    let si_s = &ax * polyval(&SN, &t) / polyval(&SD, &t);
    let ci_s = EULER + lax::log(&ax) + &t * polyval(&CN, &t) / polyval(&CD, &t);
    let si_s = jnp::where_(&ax.eq(0.0), 0.0, si_s);
    let ci_s = jnp::where_(&ax.eq(0.0), f64::NEG_INFINITY, ci_s);
    // The auxiliary functions f and g above 4.
    let (s, c) = (lax::sin(&ax), lax::cos(&ax));
    let z = 1.0 / (&ax * &ax);
    let f4 = polyval(&FN4, &z) / (&ax * polyval(&FD4, &z));
    let g4 = &z * polyval(&GN4, &z) / polyval(&GD4, &z);
    let f8 = polyval(&FN8, &z) / (&ax * polyval(&FD8, &z));
    let g8 = &z * polyval(&GN8, &z) / polyval(&GD8, &z);
    let lt8 = ax.lt(8.0);
    let f = jnp::where_(&lt8, f4, f8);
    let g = jnp::where_(&lt8, g4, g8);
    let si_a = PI / 2.0 - &f * &c - &g * &s;
    let ci_a = &f * &s - &g * &c;
    // Beyond 1e9: the leading terms.
    let si_x = jnp::where_(&jnp::isposinf(&ax), PI / 2.0, PI / 2.0 - &c / &ax);
    let ci_x = jnp::where_(&jnp::isposinf(&ax), 0.0, &s / &ax);
    let c1 = ax.le(4.0);
    let c2 = jnp::logical_and(ax.gt(4.0), ax.le(1e9));
    let si = jnp::select(&[c1.clone(), c2.clone()], &[si_s, si_a], &si_x);
    let ci = jnp::select(&[c1, c2], &[ci_s, ci_a], &ci_x);
    let si = jnp::sign(x) * si;
    let ci = jnp::where_(&jnp::isneginf(x), f64::NAN, ci);
    (si, ci)
}

/// The generalized exponential integral `E_n(x) = ∫₁^∞ exp(-x t) / tⁿ dt`
/// (`jax.scipy.special.expn`): Cephes' power series for x <= 1, continued fraction for
/// x > 1, the large-n expansion for n >= 5000, with JAX's case order (the last matching
/// case wins) and its custom JVP `-E_{n-1}(x) dx` (no derivative in `n`). The loops run
/// until every element has converged (at most 2000 steps).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::expn(2.0, &Tensor::scalar(1.0f64)).item::<f64>();
/// assert!((y - 0.14849550677592205).abs() < 1e-15);
/// ```
#[track_caller]
pub fn expn(n: impl IntoOperand, x: impl IntoOperand) -> Tensor {
    let (n, x) = float2("expn", n, x);
    let s = jnp::broadcast_shapes(n.shape(), x.shape());
    let (n, x) = (jnp::broadcast_to(&n, &s), jnp::broadcast_to(&x, &s));
    let n_c = lax::stop_gradient(&n);
    let f = crate::transforms::custom_jvp("expn", move |x: &Tensor| expn_impl(&n_c, x), {
        let n = lax::stop_gradient(&n);
        move |x: &Tensor, t: &Tensor| (expn_impl(&n, x), -(t * expn_impl(&(&n - 1.0), x)))
    });
    f(&x)
}

fn eps_of(x: &Tensor) -> f64 {
    if x.dtype() == DType::F64 {
        f64::EPSILON
    } else {
        f32::EPSILON as f64
    }
}

fn expn_impl(n: &Tensor, x: &Tensor) -> Tensor {
    let conds = [
        jnp::logical_or(n.lt(0.0), x.lt(0.0)),
        jnp::logical_and(x.eq(0.0), n.lt(2.0)),
        jnp::logical_and(x.eq(0.0), n.ge(2.0)),
        jnp::logical_and(n.eq(0.0), x.ge(0.0)),
        n.ge(5000.0),
        x.gt(1.0),
    ];
    let n1 = jnp::where_(&n.eq(1.0), n + n, n);
    let vals = [
        jnp::full_like(x, f64::NAN),
        jnp::full_like(x, f64::INFINITY),
        1.0 / &n1,
        lax::exp(&(-x)) / x,
        expn_large_n(x, n),
        expn_fraction(x, n),
    ];
    // jnp.piecewise: the last true condition wins, so the cases go to `select` reversed.
    let conds: Vec<Tensor> = conds.into_iter().rev().collect();
    let vals: Vec<Tensor> = vals.into_iter().rev().collect();
    jnp::select(&conds, &vals, expn_series(x, n))
}

/// `_expn1`: the power series (x <= 1).
fn expn_series(x: &Tensor, n: &Tensor) -> Tensor {
    let eps = eps_of(x);
    // psi(n) - log x = -γ - log x + Σ_{i<n} 1/i (JAX sums the harmonic terms in a loop).
    let psi = lax::digamma(&jnp::maximum(n, 1.0)) - lax::log(x);
    let n1 = jnp::where_(&n.eq(1.0), 2.0, n);
    let z = -x;
    let ans = jnp::where_(&n.eq(1.0), jnp::zeros_like(x), 1.0 / (1.0 - &n1));
    let init = (
        Tensor::scalar(0i32),
        jnp::zeros_like(x),
        jnp::ones_like(x),
        1.0 - n,
        ans,
        jnp::full_like(x, f64::INFINITY),
    );
    let (z2, xpos) = (z.clone(), x.gt(0.0));
    type C = (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor);
    let active = move |t: &Tensor| jnp::logical_and(&xpos, t.gt(eps));
    let active2 = active.clone();
    let out = lax::while_loop(
        move |c: &C| jnp::logical_and(c.0.lt(2000), jnp::any(&active(&c.5), None)),
        move |(i, xk, yk, pk, ans, t): &C| {
            let on = active2(t);
            let nxk = xk + 1.0;
            let nyk = yk * (&z2 / &nxk);
            let npk = pk + 1.0;
            let nans = ans + jnp::where_(&npk.ne(0.0), &nyk / &npk, 0.0);
            let nt = jnp::where_(&nans.ne(0.0), lax::abs(&(&nyk / &nans)), 1.0);
            let keep = |new: Tensor, old: &Tensor| jnp::where_(&on, new, old);
            (
                i + 1,
                keep(nxk, xk),
                keep(nyk, yk),
                keep(npk, pk),
                keep(nans, ans),
                keep(nt, t),
            )
        },
        &init,
    );
    let r = n - 1.0;
    jnp::power(&z, &r) * psi / lax::exp(&lax::lgamma(n)) - out.4
}

/// `_expn2`: the continued fraction (x > 1).
fn expn_fraction(x: &Tensor, n: &Tensor) -> Tensor {
    let eps = eps_of(x);
    let big = 1.4411518807585587e17;
    let one = jnp::ones_like(x);
    let init = (
        Tensor::scalar(1i32),
        one.clone(),
        x.clone(),
        one.clone(),
        x + n,
        1.0 / (x + n),
        jnp::full_like(x, f64::INFINITY),
        jnp::zeros_like(x),
    );
    type C = (
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
    );
    let (x2, n2) = (x.clone(), n.clone());
    let xpos = x.gt(0.0);
    let active = move |t: &Tensor| jnp::logical_and(&xpos, t.gt(eps));
    let active2 = active.clone();
    let out = lax::while_loop(
        move |c: &C| jnp::logical_and(c.0.lt(2000), jnp::any(&active(&c.6), None)),
        move |(k, pkm2, qkm2, pkm1, qkm1, ans, t, r): &C| {
            let on = active2(t);
            let k = k + 1;
            let kf = k.cast(x2.dtype());
            let odd = (&kf % 2.0).eq(1.0);
            let yk = jnp::where_(&odd, 1.0, &x2);
            let xk = jnp::where_(&odd, &n2 + (&kf - 1.0) / 2.0, &kf / 2.0);
            let pk = pkm1 * &yk + pkm2 * &xk;
            let qk = qkm1 * &yk + qkm2 * &xk;
            let nz = qk.ne(0.0);
            let nr = jnp::where_(&nz, &pk / &qk, r);
            let nt = jnp::where_(&nz, lax::abs(&((ans - &nr) / &nr)), 1.0);
            let nans = jnp::where_(&nz, &nr, ans);
            let is_big = lax::abs(&pk).gt(big);
            let scale = |v: &Tensor| jnp::where_(&is_big, v / big, v);
            let keep = |new: Tensor, old: &Tensor| jnp::where_(&on, new, old);
            (
                k,
                keep(scale(pkm1), pkm2),
                keep(scale(qkm1), qkm2),
                keep(scale(&pk), pkm1),
                keep(scale(&qk), qkm1),
                keep(nans, ans),
                keep(nt, t),
                keep(nr, r),
            )
        },
        &init,
    );
    out.5 * lax::exp(&(-x))
}

/// `_expn3`: the expansion for large n.
fn expn_large_n(x: &Tensor, n: &Tensor) -> Tensor {
    let xk = x + n;
    let yk = 1.0 / (&xk * &xk);
    let t = n;
    let ans = &yk * t * (6.0 * x * x - 8.0 * t * x + t * t);
    let ans = &yk * (ans + t * (t - 2.0 * x));
    let ans = &yk * (ans + t);
    (ans + 1.0) * lax::exp(&(-x)) / xk
}

/// The exponential integral `E₁(x) = expn(1, x)` (`jax.scipy.special.exp1`).
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::exp1(&Tensor::scalar(1.0f64)).item::<f64>();
/// assert!((y - 0.21938393439552029).abs() < 1e-15);
/// ```
#[track_caller]
pub fn exp1(x: &Tensor) -> Tensor {
    let x = float1(x);
    expn(1.0, &x)
}

const EXPI: [(&[f64], &[f64]); 6] = [
    (
        &[
            0.019818085032596897,
            -1.2716456259849176,
            -2.0881603356812284,
            2.7555445091879367,
            -0.44095070487016,
            0.046656238059358916,
            -0.0015450426796734852,
            7.059980605299618e-05,
        ],
        &[
            1.0,
            1.4764986709149215,
            0.5629177174822436,
            0.16990178978793072,
            0.02291647179034212,
            0.0044501504397287525,
            0.00017274396122065214,
            3.953167195549672e-05,
        ],
    ),
    (
        &[
            -1.3732153758712087,
            -0.7084559133740839,
            1.580806855547941,
            -0.2601500427425623,
            0.029946746941137137,
            -0.001038086040188744,
            4.371064420753005e-05,
            2.141783679522603e-06,
        ],
        &[
            1.0,
            0.8585231423622028,
            0.4483285822873995,
            0.07687932158124476,
            0.024498682410218877,
            0.0008832165941927797,
            0.00045909522995113536,
            -4.729848351866523e-06,
            2.66519553739071e-06,
        ],
    ),
    (
        &[
            -2.1069346016919166,
            1.7327338696646881,
            -0.2423619178935842,
            0.02322724180937566,
            0.00023728804404931798,
            -8.343219561192553e-05,
            1.3634087956052505e-05,
            -3.655412321999254e-07,
            1.4649417339759612e-08,
            6.17640786371036e-10,
        ],
        &[
            1.0,
            -0.2298062239901678,
            0.11050770414740378,
            -0.015665429666307924,
            0.002761106850817353,
            -0.00020891480122840484,
            1.7085289388076754e-05,
            -4.4593117963566865e-07,
            1.3946349303538475e-08,
            6.150865933977338e-10,
        ],
    ),
    (
        &[
            -0.24581193676740204,
            -0.14833822533220778,
            0.07248291795735552,
            -0.013483156873809405,
            0.001342775069788637,
            -7.942465637159712e-05,
            2.644179518984236e-06,
            -4.239473659313765e-08,
        ],
        &[
            1.0,
            -0.10442259084438711,
            -0.26764531281014026,
            0.09695000254621984,
            -0.01601745692712991,
            0.001496414899205908,
            -8.462452563778485e-05,
            2.7289384034767266e-06,
            -4.239462431819542e-08,
        ],
    ),
    (
        &[
            0.12125611181054567,
            -0.5823133179043894,
            0.2348887314557017,
            -0.030400343181132484,
            0.0015100821468651906,
            -2.5231370954995714e-05,
        ],
        &[
            1.0,
            -1.002252150365854,
            0.2928709694872224,
            -0.03337004338674008,
            0.0015605448811273888,
            -2.5231370936032347e-05,
        ],
    ),
    (
        &[
            -0.7657847078286127,
            0.6886192415566705,
            -0.2132598113545206,
            0.033461075523841935,
            -0.003076541477344756,
            0.00017471193164549074,
            -6.1037116822741705e-06,
            1.218032765428652e-07,
            -1.0860761027932903e-09,
        ],
        &[
            1.0,
            -1.8888028686623086,
            1.066691687211409,
            -0.27519159823063805,
            0.039308526882338234,
            -0.003414684558602365,
            0.00018668443707035555,
            -6.345146083130515e-06,
            1.239754287483207e-07,
            -1.0860761027931265e-09,
        ],
    ),
];
const EXPI1_A: [f64; 6] = [
    -5.350447357812543,
    218.50491688166133,
    -4176.572384826693,
    55411.76756393557,
    -331338.13311781443,
    1592627.1633849454,
];
const EXPI1_B: [f64; 7] = [
    1.0,
    -52.505479591128626,
    1259.6161867867906,
    -17565.495819735348,
    149306.2117002726,
    -729494.9239640528,
    1592627.1633849454,
];

/// The exponential integral `Ei(x)` (`jax.scipy.special.expi`): JAX's rational
/// approximations on (0, 2], (2, 4], …, (32, 64] and above, `-exp1(-x)` below 0, and its
/// custom JVP `exp(x)/x dx`.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::scipy::special::expi(&Tensor::from_vec(vec![1.0f64, -1.0], &[2])).to_vec::<f64>();
/// assert!((y[0] - 1.8951178163559368).abs() < 1e-14);
/// assert!((y[1] + 0.21938393439552029).abs() < 1e-15);
/// ```
#[track_caller]
pub fn expi(x: &Tensor) -> Tensor {
    let x = float1(x);
    let f = crate::transforms::custom_jvp("expi", expi_impl, |x: &Tensor, t: &Tensor| {
        (expi_impl(x), lax::exp(x) / x * t)
    });
    f(&x)
}

fn expi_impl(x: &Tensor) -> Tensor {
    let w = 1.0 / x;
    let k = |(a, b): &(&[f64], &[f64])| {
        let f = &w * polyval(a, &w) / polyval(b, &w) + 1.0;
        lax::exp(x) * &w * f
    };
    let first = x * polyval(&EXPI1_A, x) / polyval(&EXPI1_B, x) + EULER + lax::log(x);
    let mut conds = vec![jnp::logical_and(x.gt(0.0), x.le(2.0))];
    let mut vals = vec![first];
    for (i, ab) in EXPI.iter().enumerate().take(5) {
        let lo = (1u32 << (i + 1)) as f64;
        conds.push(jnp::logical_and(x.gt(lo), x.le(2.0 * lo)));
        vals.push(k(ab));
    }
    let conds: Vec<Tensor> = conds.into_iter().rev().collect();
    let vals: Vec<Tensor> = vals.into_iter().rev().collect();
    let pos = jnp::select(&conds, &vals, k(&EXPI[5]));
    let neg = -expn_impl(&jnp::ones_like(x), &(-x));
    jnp::where_(&x.lt(0.0), neg, pos)
}
