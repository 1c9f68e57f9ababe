//! The matrix exponential (`jax.scipy.linalg.expm`) and its Fréchet derivative
//! (`jax.scipy.linalg.expm_frechet`), written as JAX writes them: scaling and squaring with a
//! Padé approximant whose degree is chosen from the 1-norm (degrees 3, 5, 7, 9, 13 for f64;
//! 3, 5, 7 for f32, Higham's thresholds), all composed of ops (`switch` over the degrees,
//! `solve`, a `scan` of conditional squarings), so its derivatives of every order come by
//! autodiff, exactly as JAX's do.

use super::{solve, solve_triangular, square};
use crate::interpreters::{jvp, vmap};
use crate::lax;
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};

/// Options of [`expm_with`] (JAX's keyword arguments).
#[derive(Clone, Copy, Debug)]
pub struct Expm {
    /// Assume `a` upper triangular (the final solve is then triangular).
    pub upper_triangular: bool,
    /// At most this many squarings; a matrix whose norm needs more gives NaNs, as JAX.
    pub max_squarings: usize,
}

impl Default for Expm {
    /// JAX's defaults: `upper_triangular=False, max_squarings=16`.
    fn default() -> Self {
        Expm {
            upper_triangular: false,
            max_squarings: 16,
        }
    }
}

/// The matrix exponential `e^a = Σ aᵏ/k!` of the square matrices `a` (`[.., n, n]`, f32 or
/// f64; `jax.scipy.linalg.expm`), by scaling and squaring with a Padé approximant.
/// Differentiable to any order (the derivative of JAX's algorithm, as JAX's is).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![0.0f64, 1.0, 0.0, 0.0], &[2, 2]); // nilpotent: e^a = I + a
/// assert_eq!(ferrax::linalg::expm(&a).to_vec::<f64>(), vec![1.0, 1.0, 0.0, 1.0]);
/// let r = Tensor::from_vec(vec![0.0f64, -1.0, 1.0, 0.0], &[2, 2]); // a rotation by 1 rad
/// let e = ferrax::linalg::expm(&r).to_vec::<f64>();
/// assert!((e[0] - 1f64.cos()).abs() < 1e-14 && (e[2] - 1f64.sin()).abs() < 1e-14);
/// ```
#[track_caller]
pub fn expm(a: &Tensor) -> Tensor {
    expm_with(a, Expm::default())
}

/// [`expm`] with options (`upper_triangular`, `max_squarings`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::linalg::{expm_with, Expm};
/// let a = Tensor::from_vec(vec![1.0f64, 1.0, 0.0, 2.0], &[2, 2]);
/// let opts = Expm { upper_triangular: true, ..Default::default() };
/// let e = expm_with(&a, opts).to_vec::<f64>();
/// let (e1, e2) = (1f64.exp(), 2f64.exp());
/// assert!((e[0] - e1).abs() < 1e-13 && (e[1] - (e2 - e1)).abs() < 1e-13 && e[2] == 0.0);
/// // Too few squarings allowed for a large norm: NaNs, as JAX.
/// let big = Tensor::from_vec(vec![1e6f64, 0.0, 0.0, 1e6], &[2, 2]);
/// let opts = Expm { max_squarings: 2, ..Default::default() };
/// assert!(expm_with(&big, opts).to_vec::<f64>()[0].is_nan());
/// ```
#[track_caller]
pub fn expm_with(a: &Tensor, opts: Expm) -> Tensor {
    let n = square("expm", a);
    if a.ndim() == 2 {
        return expm_2d(a, opts);
    }
    let shape = a.shape().to_vec();
    let flat = lax::reshape(a, &[shape[..shape.len() - 2].iter().product(), n, n]);
    let out = vmap(move |x: &Tensor| expm_2d(x, opts))(&flat);
    lax::reshape(&out, &shape)
}

/// The Fréchet derivative of `expm` at `a` in the direction `e`, with `expm(a)`:
/// `(expm(a), d/dt expm(a + t e) at t = 0)` (`jax.scipy.linalg.expm_frechet`, which is the JVP
/// of `expm`).
///
/// ```
/// use ferrax::prelude::*;
/// // For commuting a and e: d expm = e expm(a).
/// let a = Tensor::from_vec(vec![1.0f64, 0.0, 0.0, 2.0], &[2, 2]);
/// let e = Tensor::from_vec(vec![1.0f64, 0.0, 0.0, 0.0], &[2, 2]);
/// let (ea, d) = ferrax::linalg::expm_frechet(&a, &e);
/// assert!((d.to_vec::<f64>()[0] - 1f64.exp()).abs() < 1e-13);
/// assert!((ea.to_vec::<f64>()[3] - 2f64.exp()).abs() < 1e-13);
/// ```
#[track_caller]
pub fn expm_frechet(a: &Tensor, e: &Tensor) -> (Tensor, Tensor) {
    square("expm_frechet", a);
    square("expm_frechet", e);
    if a.shape() != e.shape() || a.dtype() != e.dtype() {
        panic!(
            "linalg.expm_frechet: a and e must have one shape and dtype, got {} and {} (called \
             from {})",
            a.aval(),
            e.aval(),
            std::panic::Location::caller()
        );
    }
    jvp(|x: &Tensor| expm(x), a, e)
}

/// A scalar of `dtype`.
fn c(v: f64, dtype: DType) -> Tensor {
    Tensor::full(&[], v, dtype)
}

/// `expm` of one `n x n` matrix (JAX's body; batches go through `vmap`).
fn expm_2d(a: &Tensor, opts: Expm) -> Tensor {
    let dtype = a.dtype();
    let (p, q, n_squarings) = calc_p_q(a);
    let too_many = lax::gt(&n_squarings, &c(opts.max_squarings as f64, dtype));
    let compute = move |(_, p, q): &(Tensor, Tensor, Tensor)| {
        let r = if opts.upper_triangular {
            solve_triangular(q, p, false)
        } else {
            solve(q, p)
        };
        squaring(&r, &n_squarings, opts.max_squarings)
    };
    let nan = |(a, _, _): &(Tensor, Tensor, Tensor)| jnp::full_like(a, f64::NAN);
    lax::cond(&too_many, nan, compute, &(a.clone(), p, q))
}

/// JAX's `_calc_P_Q`: the scaled Padé numerator `P`, denominator `Q` and the number of
/// squarings, the degree chosen from `a`'s 1-norm.
#[allow(clippy::excessive_precision)] // JAX's constants, digit for digit
fn calc_p_q(a: &Tensor) -> (Tensor, Tensor, Tensor) {
    let dtype = a.dtype();
    let l1 = lax::reduce_max(&lax::reduce_sum(&lax::abs(a), &[0]), &[0]);
    let (maxnorm, conds): (f64, &[f64]) = if dtype == DType::F64 {
        (
            5.371920351148152,
            &[
                1.495585217958292e-002,
                2.539398330063230e-001,
                9.504178996162932e-001,
                2.097847961257068e+000,
            ],
        )
    } else {
        (
            3.925724783138660,
            &[4.258730016922831e-001, 1.880152677804762e+000],
        )
    };
    let n_squarings = lax::max(
        &c(0.0, dtype),
        &lax::floor(&jnp::log2(&lax::div(&l1, &c(maxnorm, dtype)))),
    );
    let a = lax::div(a, &lax::exp2(&n_squarings));
    let bins = Tensor::from_f64_values(conds, &[conds.len()], dtype);
    let idx = jnp::digitize(&l1, &bins);
    let pades: [&Pade; 5] = [&pade3, &pade5, &pade7, &pade9, &pade13];
    let (u, v) = lax::switch(&idx, &pades[..conds.len() + 1], &a);
    let p = lax::add(&u, &v);
    let q = lax::sub(&v, &u);
    (p, q, n_squarings)
}

/// A Padé approximant's `(U, V)` of a scaled matrix.
type Pade = dyn Fn(&Tensor) -> (Tensor, Tensor);

/// Squares `r` `n_squarings` times (JAX's `_squaring`: a scan of `max_squarings` steps, each a
/// `cond`).
fn squaring(r: &Tensor, n_squarings: &Tensor, max_squarings: usize) -> Tensor {
    let steps = lax::convert_element_type(
        &jnp::arange(0i32, max_squarings as i32, 1i32),
        n_squarings.dtype(),
    );
    let (res, ()) = lax::scan(
        |x: &Tensor, i: &Tensor| {
            let sq = |x: &Tensor| jnp::matmul(x, x);
            (
                lax::cond(&lax::lt(i, n_squarings), sq, |x: &Tensor| x.clone(), x),
                (),
            )
        },
        r,
        &steps,
    );
    res
}

/// `Σ b[k] xs[k]` plus `b0 I`: a polynomial's terms.
fn poly(terms: &[(f64, &Tensor)], b0: f64, ident: &Tensor) -> Tensor {
    let dtype = ident.dtype();
    terms
        .iter()
        .fold(lax::mul(&c(b0, dtype), ident), |acc, (b, x)| {
            lax::add(&acc, &lax::mul(&c(*b, dtype), x))
        })
}

/// The identity of `a`'s size and dtype.
fn ident(a: &Tensor) -> Tensor {
    lax::convert_element_type(&jnp::eye(a.shape()[0]), a.dtype())
}

/// Padé degree 3: `(U, V)` with `P = U + V`, `Q = V - U`.
fn pade3(a: &Tensor) -> (Tensor, Tensor) {
    let b = [120., 60., 12., 1.];
    let i = ident(a);
    let a2 = jnp::matmul(a, a);
    let u = jnp::matmul(a, &poly(&[(b[3], &a2)], b[1], &i));
    let v = poly(&[(b[2], &a2)], b[0], &i);
    (u, v)
}

/// Padé degree 5.
fn pade5(a: &Tensor) -> (Tensor, Tensor) {
    let b = [30240., 15120., 3360., 420., 30., 1.];
    let i = ident(a);
    let a2 = jnp::matmul(a, a);
    let a4 = jnp::matmul(&a2, &a2);
    let u = jnp::matmul(a, &poly(&[(b[5], &a4), (b[3], &a2)], b[1], &i));
    let v = poly(&[(b[4], &a4), (b[2], &a2)], b[0], &i);
    (u, v)
}

/// Padé degree 7.
fn pade7(a: &Tensor) -> (Tensor, Tensor) {
    let b = [
        17297280., 8648640., 1995840., 277200., 25200., 1512., 56., 1.,
    ];
    let i = ident(a);
    let a2 = jnp::matmul(a, a);
    let a4 = jnp::matmul(&a2, &a2);
    let a6 = jnp::matmul(&a4, &a2);
    let u = jnp::matmul(a, &poly(&[(b[7], &a6), (b[5], &a4), (b[3], &a2)], b[1], &i));
    let v = poly(&[(b[6], &a6), (b[4], &a4), (b[2], &a2)], b[0], &i);
    (u, v)
}

/// Padé degree 9.
fn pade9(a: &Tensor) -> (Tensor, Tensor) {
    let b = [
        17643225600.,
        8821612800.,
        2075673600.,
        302702400.,
        30270240.,
        2162160.,
        110880.,
        3960.,
        90.,
        1.,
    ];
    let i = ident(a);
    let a2 = jnp::matmul(a, a);
    let a4 = jnp::matmul(&a2, &a2);
    let a6 = jnp::matmul(&a4, &a2);
    let a8 = jnp::matmul(&a6, &a2);
    let u = jnp::matmul(
        a,
        &poly(
            &[(b[9], &a8), (b[7], &a6), (b[5], &a4), (b[3], &a2)],
            b[1],
            &i,
        ),
    );
    let v = poly(
        &[(b[8], &a8), (b[6], &a6), (b[4], &a4), (b[2], &a2)],
        b[0],
        &i,
    );
    (u, v)
}

/// Padé degree 13.
fn pade13(a: &Tensor) -> (Tensor, Tensor) {
    let b = [
        64764752532480000.,
        32382376266240000.,
        7771770303897600.,
        1187353796428800.,
        129060195264000.,
        10559470521600.,
        670442572800.,
        33522128640.,
        1323241920.,
        40840800.,
        960960.,
        16380.,
        182.,
        1.,
    ];
    let i = ident(a);
    let a2 = jnp::matmul(a, a);
    let a4 = jnp::matmul(&a2, &a2);
    let a6 = jnp::matmul(&a4, &a2);
    let inner_u = jnp::matmul(
        &a6,
        &poly(&[(b[13], &a6), (b[11], &a4), (b[9], &a2)], 0.0, &i),
    );
    let u = jnp::matmul(
        a,
        &lax::add(
            &inner_u,
            &poly(&[(b[7], &a6), (b[5], &a4), (b[3], &a2)], b[1], &i),
        ),
    );
    let inner_v = jnp::matmul(
        &a6,
        &poly(&[(b[12], &a6), (b[10], &a4), (b[8], &a2)], 0.0, &i),
    );
    let v = lax::add(
        &inner_v,
        &poly(&[(b[6], &a6), (b[4], &a4), (b[2], &a2)], b[0], &i),
    );
    (u, v)
}
