//! jax.random's f32 samplers against JAX 0.10.2 over thousands of draws (the `big.*` cases of
//! tests/golden/random.txt, tests/golden/make_random.py): bit for bit for every sampler whose
//! formula ferrax evaluates as XLA's CPU backend does (its exp/log/log1p/expm1/tanh/erf_inv
//! kernels are XLA's, pow and tan are the same libm calls), and a measured bound for the rest,
//! where XLA contracts a*b+c of the sampler's own formula into one FMA (ferrax's lax ops round
//! the product separately). XLA's values are those of an FMA machine; without FMA the exact
//! cases are held to the old tolerance. `--nocapture` prints each sampler's figures.

use super::random::{g_f32, ulps32};
use ferrax::internals::kernels::simd::SimdLevel;
use ferrax::prelude::*;
use ferrax::random;

/// `(draws that differ, max ulps)` of `t` against golden case `name` (shape checked).
fn measure(t: &Tensor, name: &str) -> (usize, u32) {
    let (s, want) = g_f32(name);
    assert_eq!(t.shape(), s.as_slice(), "{name}: shape");
    let got = t.to_vec::<f32>();
    let u: Vec<u32> = got
        .iter()
        .zip(&want)
        .map(|(&a, &b)| {
            if a.is_nan() && b.is_nan() {
                0
            } else {
                ulps32(a, b)
            }
        })
        .collect();
    (
        u.iter().filter(|&&x| x > 0).count(),
        u.into_iter().max().unwrap_or(0),
    )
}

/// Whether this CPU has FMA, so XLA's golden values (made with FMA) are reachable exactly.
fn fma() -> bool {
    SimdLevel::detect() != SimdLevel::Portable
}

fn big(n: usize) -> Vec<usize> {
    vec![n]
}

#[test]
fn samplers_bit_exact_over_thousands_of_draws() {
    let k = random::key(11);
    let f = DType::F32;
    let s = |v: f32| Tensor::scalar(v);
    let n = 2000;
    let cases: Vec<(&str, Tensor)> = vec![
        ("normal", random::normal(&k, &[n])),
        ("exponential", random::exponential(&k, &[n], f)),
        ("gumbel", random::gumbel(&k, &[n], f)),
        ("laplace", random::laplace(&k, &[n], f)),
        ("logistic", random::logistic(&k, &[n], f)),
        ("cauchy", random::cauchy(&k, &[n], f)),
        (
            "lognormal",
            random::lognormal(&k, &s(0.7), Some(&big(n)), f),
        ),
        ("rayleigh", random::rayleigh(&k, &s(1.5), Some(&big(n)), f)),
        ("weibull_min", random::weibull_min(&k, 2.0, 1.5, &[n], f)),
        ("pareto", random::pareto(&k, &s(1.5), Some(&big(n)), f)),
        (
            "triangular",
            random::triangular(&k, &s(0.0), &s(0.5), &s(3.0), Some(&big(n)), f),
        ),
        ("wald", random::wald(&k, &s(2.0), Some(&big(n)), f)),
    ];
    for (name, t) in cases {
        let (diff, max) = measure(&t, &format!("big.{name}"));
        eprintln!("{name}: {diff} of {n} draws differ from JAX, max {max} ulp");
        if fma() {
            assert_eq!((diff, max), (0, 0), "{name}: not bit-exact with JAX");
        } else {
            assert!(max <= 8, "{name}: {max} ulps from JAX");
        }
    }
}

#[test]
fn samplers_with_contracted_formulas_are_close() {
    let k = random::key(11);
    let f = DType::F32;
    let s = |v: f32| Tensor::scalar(v);
    let (n, m) = (2000, 500);
    let cases: Vec<(&str, Tensor, u32)> = vec![
        ("maxwell", random::maxwell(&k, &[n], f), 4),
        (
            "double_sided_maxwell",
            random::double_sided_maxwell(&k, &s(0.0), &s(1.0), &[n], f),
            8,
        ),
        // erf is not XLA's yet, and `u (b - a) + a` is one FMA in XLA.
        (
            "truncated_normal",
            random::truncated_normal(&k, -1.0, 2.0, &[n], f),
            512,
        ),
        ("gamma", random::gamma(&k, &s(2.5), Some(&big(m)), f), 16),
        (
            "gamma_small",
            random::gamma(&k, &s(0.4), Some(&big(m)), f),
            16,
        ),
        (
            "loggamma",
            random::loggamma(&k, &s(0.4), Some(&big(m)), f),
            24,
        ),
        (
            "beta",
            random::beta(&k, &s(2.0), &s(3.0), Some(&big(m)), f),
            16,
        ),
        (
            "chisquare",
            random::chisquare(&k, &s(3.0), Some(&big(m)), f),
            16,
        ),
        ("t", random::t(&k, &s(4.0), Some(&big(m)), f), 16),
        ("f", random::f(&k, &s(5.0), &s(7.0), Some(&big(m)), f), 16),
        (
            "generalized_normal",
            random::generalized_normal(&k, 1.5, &[m], f),
            16,
        ),
    ];
    for (name, t, bound) in cases {
        let len = t.size();
        let (diff, max) = measure(&t, &format!("big.{name}"));
        eprintln!("{name}: {diff} of {len} draws differ from JAX, max {max} ulp");
        assert!(
            max <= bound,
            "{name}: {max} ulps from JAX (allowed {bound})"
        );
    }
}
