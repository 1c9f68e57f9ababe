//! jax.random's f32 samplers against JAX 0.10.2 bit for bit, over thousands of draws (the
//! `big.*` and `exact.*` cases of tests/golden/random.txt, tests/golden/make_random.py):
//! every continuous sampler is written in the operation order of XLA's optimized code, with
//! its exp/log/log1p/expm1/tanh/erf/erf_inv/rsqrt kernels XLA's (pow and tan are the same
//! libm calls) and the internal `fma` primitive exactly where XLA's compiled code contracts
//! `a * b + c`. XLA's values are those of an FMA machine, and its `rsqrt` (gamma's `c`, so
//! the whole gamma family) starts from the CPU's own `rsqrtss` estimate: on a CPU without FMA,
//! or of another vendor than the golden file's, the draws are held to a few ulps instead.
//! `--nocapture` prints each sampler's figures.

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
    if let Some(i) = u.iter().position(|&x| x > 0) {
        eprintln!(
            "{name}: first difference at {i}: {} vs JAX {}",
            got[i], want[i]
        );
    }
    (
        u.iter().filter(|&&x| x > 0).count(),
        u.into_iter().max().unwrap_or(0),
    )
}

/// Whether this CPU has FMA, so XLA's golden values (made with FMA) are reachable exactly.
fn fma() -> bool {
    SimdLevel::detect() != SimdLevel::Portable
}

/// Whether this CPU's `rsqrtss` estimate is the golden machine's (an AMD EPYC): the vendor
/// decides the estimate's table, and XLA's `rsqrt` keeps its last bits.
fn golden_rsqrt() -> bool {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|s| s.contains("AuthenticAMD"))
        .unwrap_or(false)
}

/// Asserts each case bit-exact where the golden values are reachable on this CPU (`uses_rsqrt`:
/// the sampler draws gamma variates), within `fallback` ulps elsewhere.
fn check(cases: Vec<(&str, Tensor, bool)>, fallback: u32) {
    for (name, t, uses_rsqrt) in cases {
        let len = t.size();
        let (diff, max) = measure(&t, name);
        eprintln!("{name}: {diff} of {len} draws differ from JAX, max {max} ulp");
        if fma() && (!uses_rsqrt || golden_rsqrt()) {
            assert_eq!((diff, max), (0, 0), "{name}: not bit-exact with JAX");
        } else {
            assert!(max <= fallback, "{name}: {max} ulps from JAX");
        }
    }
}

fn big(n: usize) -> Vec<usize> {
    vec![n]
}

#[test]
fn samplers_bit_exact_over_thousands_of_draws() {
    let k = random::key(11);
    let f = DType::F32;
    let s = |v: f32| Tensor::scalar(v);
    let (n, m) = (2000, 500);
    let g = |name: &'static str, t: Tensor| (name, t, true);
    let p = |name: &'static str, t: Tensor| (name, t, false);
    let cases = vec![
        p("big.normal", random::normal(&k, &[n])),
        p("big.exponential", random::exponential(&k, &[n], f)),
        p("big.gumbel", random::gumbel(&k, &[n], f)),
        p("big.laplace", random::laplace(&k, &[n], f)),
        p("big.logistic", random::logistic(&k, &[n], f)),
        p("big.cauchy", random::cauchy(&k, &[n], f)),
        p(
            "big.lognormal",
            random::lognormal(&k, &s(0.7), Some(&big(n)), f),
        ),
        p(
            "big.rayleigh",
            random::rayleigh(&k, &s(1.5), Some(&big(n)), f),
        ),
        p(
            "big.weibull_min",
            random::weibull_min(&k, 2.0, 1.5, &[n], f),
        ),
        p("big.pareto", random::pareto(&k, &s(1.5), Some(&big(n)), f)),
        p(
            "big.triangular",
            random::triangular(&k, &s(0.0), &s(0.5), &s(3.0), Some(&big(n)), f),
        ),
        p("big.wald", random::wald(&k, &s(2.0), Some(&big(n)), f)),
        p("big.maxwell", random::maxwell(&k, &[n], f)),
        p(
            "big.double_sided_maxwell",
            random::double_sided_maxwell(&k, &s(0.0), &s(1.0), &[n], f),
        ),
        p(
            "big.truncated_normal",
            random::truncated_normal(&k, -1.0, 2.0, &[n], f),
        ),
        g("big.gamma", random::gamma(&k, &s(2.5), Some(&big(m)), f)),
        g(
            "big.gamma_small",
            random::gamma(&k, &s(0.4), Some(&big(m)), f),
        ),
        g(
            "big.loggamma",
            random::loggamma(&k, &s(0.4), Some(&big(m)), f),
        ),
        g(
            "big.beta",
            random::beta(&k, &s(2.0), &s(3.0), Some(&big(m)), f),
        ),
        g(
            "big.chisquare",
            random::chisquare(&k, &s(3.0), Some(&big(m)), f),
        ),
        g("big.t", random::t(&k, &s(4.0), Some(&big(m)), f)),
        g("big.f", random::f(&k, &s(5.0), &s(7.0), Some(&big(m)), f)),
        g(
            "big.generalized_normal",
            random::generalized_normal(&k, 1.5, &[m], f),
        ),
    ];
    check(cases, 16);
}

/// Other keys, shapes and array parameters: gamma's `a` on both sides of 1 (the boosted
/// branch), wald's array mean, truncated normals with other bounds, a uniform whose span
/// makes its multiply-add round.
#[test]
fn samplers_bit_exact_with_array_parameters() {
    let f = DType::F32;
    let k = random::key;
    let s = |v: f32| Tensor::scalar(v);
    let arr = |v: &[f32]| Tensor::from_vec(v.to_vec(), &[v.len()]);
    let a9 = arr(&[0.05, 0.3, 0.77, 0.999, 1.0, 1.5, 2.5, 7.0, 33.0]);
    let g = |name: &'static str, t: Tensor| (name, t, true);
    let p = |name: &'static str, t: Tensor| (name, t, false);
    let cases = vec![
        g(
            "exact.gamma_arr",
            random::gamma(&k(21), &a9, Some(&[40, 9]), f),
        ),
        g(
            "exact.gamma_k22",
            random::gamma(&k(22), &s(1.7), Some(&[3, 100]), f),
        ),
        g(
            "exact.loggamma_arr",
            random::loggamma(&k(23), &a9, Some(&[40, 9]), f),
        ),
        g(
            "exact.beta_arr",
            random::beta(&k(24), &a9, &s(2.0), Some(&[30, 9]), f),
        ),
        g(
            "exact.dirichlet",
            random::dirichlet(&k(25), &arr(&[0.3, 1.0, 4.0]), Some(&[100]), f),
        ),
        g(
            "exact.chisquare_arr",
            random::chisquare(&k(26), &arr(&[0.5, 1.0, 3.0, 10.0]), Some(&[50, 4]), f),
        ),
        g(
            "exact.t_arr",
            random::t(&k(27), &arr(&[0.7, 2.0, 5.0]), Some(&[60, 3]), f),
        ),
        g(
            "exact.f",
            random::f(&k(28), &s(1.5), &s(3.0), Some(&[200]), f),
        ),
        g(
            "exact.generalized_normal",
            random::generalized_normal(&k(29), 0.7, &[300], f),
        ),
        p(
            "exact.truncated_normal",
            random::truncated_normal(&k(30), -0.3, 1.7, &[500], f),
        ),
        p(
            "exact.truncated_normal_wide",
            random::truncated_normal(&k(31), -3.0, 2.5, &[500], f),
        ),
        p(
            "exact.truncated_normal_gap",
            random::truncated_normal(&k(36), -5.35, 5.38, &[500], f),
        ),
        p("exact.maxwell", random::maxwell(&k(32), &[20, 25], f)),
        p(
            "exact.double_sided_maxwell",
            random::double_sided_maxwell(&k(33), &s(0.3), &s(1.7), &[500], f),
        ),
        p(
            "exact.wald_arr",
            random::wald(&k(34), &arr(&[0.5, 1.3, 3.0, 7.7]), Some(&[250, 4]), f),
        ),
        p(
            "exact.uniform_span",
            random::uniform_with(&k(35), &[500], f, -1.3, 2.9),
        ),
    ];
    check(cases, 16);
}

/// The same samplers staged and run by `jit` give the eager values bit for bit (the `fma`
/// primitive and XLA's rsqrt/erf kernels run the same way in both).
#[test]
fn jitted_samplers_equal_eager() {
    let f = DType::F32;
    let a = Tensor::from_vec(vec![0.3f32, 1.0, 4.5, 0.9], &[4]);
    let mean = Tensor::from_vec(vec![0.5f32, 3.0, 1.1, 9.0], &[4]);
    let sample = |key: &Tensor, a: &Tensor, mean: &Tensor| {
        let [k1, k2, k3, k4] = random::split_n::<4>(key);
        vec![
            random::gamma(&k1, a, Some(&[8, 4]), f),
            random::wald(&k2, mean, Some(&[8, 4]), f),
            random::truncated_normal(&k3, -0.3, 1.7, &[16], f),
            random::double_sided_maxwell(&k4, &Tensor::scalar(0.3f32), a, &[4], f),
        ]
    };
    let key = random::key(5);
    let eager = sample(&key, &a, &mean);
    let jitted = jit(move |(k, a, m): &(Tensor, Tensor, Tensor)| sample(k, a, m))(&(
        key.clone(),
        a.clone(),
        mean.clone(),
    ));
    for (i, (e, j)) in eager.iter().zip(&jitted).enumerate() {
        let (e, j) = (e.to_vec::<f32>(), j.to_vec::<f32>());
        let same = e.iter().zip(&j).all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(same, "sample {i}: jit {j:?} != eager {e:?}");
    }
}
