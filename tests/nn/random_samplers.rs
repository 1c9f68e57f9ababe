//! The parameterised samplers (gamma family, continuous transforms, poisson, geometric)
//! against JAX 0.10.2's values in tests/golden/random.txt (tests/golden/make_random.py),
//! under jit (equal to eager) and vmap over keys (equal to a loop), and their gradients
//! against JAX's and finite differences.

use super::random::{case, g_f32, g_f64, g_i32, ulps32};
use ferrax::lax;
use ferrax::prelude::*;
use ferrax::random;
use ferrax::test_util::check_grads;

// The rejection loops take the same decisions as JAX's (same keys, same draws), so values
// agree to a few ulps; what differs is how XLA's CPU backend evaluates log/exp/pow/tan and
// contracts a*b+c into fma. Measured maxima (f32): gamma family 8 ulps, the transforms 5,
// gradients 20; wald 40 (its `mean + m²y/2 - m/2·sqrt(..)` cancels); f64 within 1.1e-15.
// `FERRAX_ULPS=1 cargo test --test nn random_samplers -- --nocapture` prints the measured
// distances instead of asserting.
const GAMMA_ULPS: u32 = 16;
const TRANSCENDENTAL_ULPS: u32 = 8;
const WALD_ULPS: u32 = 64;
const GRAD_ULPS: u32 = 32;
const F64_REL: f64 = 4e-15;

fn key(seed: u32) -> Tensor {
    random::key(seed as _)
}

fn f32s(v: &[f32]) -> Tensor {
    Tensor::from_vec(v.to_vec(), &[v.len()])
}

/// Max ulp distance of an f32 tensor to a golden case (shape checked).
fn ulps(t: &Tensor, name: &str) -> u32 {
    let (s, v) = g_f32(name);
    assert_eq!(t.shape(), s.as_slice(), "{name}: shape");
    let got = t.to_vec::<f32>();
    got.iter()
        .zip(&v)
        .map(|(&a, &b)| {
            if a.is_nan() && b.is_nan() {
                0
            } else {
                ulps32(a, b)
            }
        })
        .max()
        .unwrap_or(0)
}

#[track_caller]
fn assert_ulps(t: &Tensor, name: &str, max: u32) {
    let u = ulps(t, name);
    if std::env::var("FERRAX_ULPS").is_ok() {
        eprintln!("ULPS {name} {u}");
        return;
    }
    assert!(
        u <= max,
        "{name}: {u} ulps from JAX (allowed {max}): got {:?}, JAX {:?}",
        t.to_vec::<f32>(),
        g_f32(name).1
    );
}

#[track_caller]
fn assert_f64_rel(t: &Tensor, name: &str, rtol: f64) {
    let (s, v) = g_f64(name);
    assert_eq!(t.shape(), s.as_slice(), "{name}: shape");
    if std::env::var("FERRAX_ULPS").is_ok() {
        let r = t
            .to_vec::<f64>()
            .iter()
            .zip(&v)
            .map(|(a, b)| (a - b).abs() / b.abs())
            .fold(0.0, f64::max);
        eprintln!("REL {name} {r:e}");
        return;
    }
    for (i, (a, b)) in t.to_vec::<f64>().iter().zip(&v).enumerate() {
        assert!(
            (a - b).abs() <= rtol * b.abs().max(1e-300),
            "{name}[{i}]: got {a:e}, JAX {b:e}"
        );
    }
}

#[track_caller]
fn assert_i32_eq(t: &Tensor, name: &str) {
    let (s, v) = g_i32(name);
    assert_eq!(t.shape(), s.as_slice(), "{name}: shape");
    assert_eq!(t.to_vec::<i32>(), v, "{name}");
}

/// A sampler of a key, boxed so tests can loop over several.
type Sampler = Box<dyn Fn(&Tensor) -> Tensor>;

fn a3() -> Tensor {
    f32s(&[0.3, 1.0, 4.5])
}

#[test]
fn gamma_family_matches_jax() {
    let f = DType::F32;
    assert_ulps(
        &random::gamma(&key(0), &a3(), None, f),
        "gamma_0_a3",
        GAMMA_ULPS,
    );
    assert_ulps(
        &random::gamma(&key(1), &a3(), Some(&[2, 3]), f),
        "gamma_1_2x3",
        GAMMA_ULPS,
    );
    let small = Tensor::scalar(0.05f32);
    assert_ulps(
        &random::gamma(&key(2), &small, Some(&[50]), f),
        "gamma_2_small",
        GAMMA_ULPS,
    );
    let a = Tensor::scalar(2.5f32);
    assert_ulps(
        &random::gamma(&key(3), &a, Some(&[1000]), f),
        "gamma_3_1000",
        GAMMA_ULPS,
    );
    assert_ulps(
        &random::loggamma(&key(0), &a3(), None, f),
        "loggamma_0_a3",
        GAMMA_ULPS,
    );
    let tiny = Tensor::scalar(1e-3f32);
    assert_ulps(
        &random::loggamma(&key(4), &tiny, Some(&[20]), f),
        "loggamma_4_tiny",
        GAMMA_ULPS,
    );
    let b = f32s(&[0.5, 3.0]);
    assert_ulps(
        &random::beta(&key(0), &Tensor::scalar(2.0f32), &b, Some(&[4, 2]), f),
        "beta_0",
        GAMMA_ULPS,
    );
    let alpha = f32s(&[0.5, 1.0, 2.0]);
    assert_ulps(
        &random::dirichlet(&key(0), &alpha, Some(&[4]), f),
        "dirichlet_0",
        GAMMA_ULPS,
    );
}

#[test]
fn gamma_family_f64_matches_jax() {
    let d = DType::F64;
    let a = Tensor::from_vec(vec![0.3f64, 1.0, 4.5], &[3]);
    assert_f64_rel(
        &random::gamma(&key(0), &a, Some(&[2, 3]), d),
        "gamma_f64_0",
        F64_REL,
    );
    assert_f64_rel(
        &random::loggamma(&key(0), &a, None, d),
        "loggamma_f64_0",
        F64_REL,
    );
    let (two, three) = (Tensor::scalar(2.0f64), Tensor::scalar(3.0f64));
    assert_f64_rel(
        &random::beta(&key(0), &two, &three, Some(&[6]), d),
        "beta_f64_0",
        F64_REL,
    );
    assert_f64_rel(&random::cauchy(&key(0), &[20], d), "cauchy_f64_0", 0.0);
    assert_f64_rel(
        &random::t(&key(0), &three, Some(&[6]), d),
        "t_f64_0",
        F64_REL,
    );
    assert_f64_rel(
        &random::wald(&key(0), &two, Some(&[6]), d),
        "wald_f64_0",
        F64_REL,
    );
}

#[test]
fn continuous_transforms_match_jax() {
    let f = DType::F32;
    let v2 = |a: f32, b: f32| f32s(&[a, b]);
    assert_ulps(
        &random::cauchy(&key(0), &[50], f),
        "cauchy_0",
        TRANSCENDENTAL_ULPS,
    );
    assert_ulps(
        &random::lognormal(&key(0), &v2(0.5, 2.0), Some(&[3, 2]), f),
        "lognormal_0",
        TRANSCENDENTAL_ULPS,
    );
    assert_ulps(
        &random::pareto(&key(0), &v2(1.5, 3.0), Some(&[3, 2]), f),
        "pareto_0",
        TRANSCENDENTAL_ULPS,
    );
    assert_ulps(
        &random::weibull_min(&key(0), 2.0, 1.5, &[50], f),
        "weibull_min_0",
        TRANSCENDENTAL_ULPS,
    );
    assert_ulps(
        &random::rayleigh(&key(0), &v2(1.0, 2.0), Some(&[3, 2]), f),
        "rayleigh_0",
        TRANSCENDENTAL_ULPS,
    );
    assert_ulps(
        &random::maxwell(&key(0), &[50], f),
        "maxwell_0",
        TRANSCENDENTAL_ULPS,
    );
    let (one, two) = (Tensor::scalar(1.0f32), Tensor::scalar(2.0f32));
    assert_ulps(
        &random::double_sided_maxwell(&key(0), &one, &two, &[20], f),
        "double_sided_maxwell_0",
        TRANSCENDENTAL_ULPS,
    );
    assert_ulps(
        &random::wald(&key(0), &v2(0.5, 3.0), Some(&[10, 2]), f),
        "wald_0",
        WALD_ULPS,
    );
    let (zero, three) = (Tensor::scalar(0.0f32), Tensor::scalar(3.0f32));
    assert_ulps(
        &random::triangular(&key(0), &zero, &v2(0.5, 2.0), &three, Some(&[10, 2]), f),
        "triangular_0",
        TRANSCENDENTAL_ULPS,
    );
    assert_ulps(
        &random::t(&key(0), &v2(1.5, 5.0), Some(&[3, 2]), f),
        "t_0",
        TRANSCENDENTAL_ULPS,
    );
    assert_ulps(
        &random::chisquare(&key(0), &v2(1.0, 4.0), Some(&[3, 2]), f),
        "chisquare_0",
        TRANSCENDENTAL_ULPS,
    );
    let five = Tensor::scalar(5.0f32);
    assert_ulps(
        &random::f(&key(0), &five, &v2(2.0, 7.0), Some(&[2]), f),
        "f_0",
        TRANSCENDENTAL_ULPS,
    );
    assert_ulps(
        &random::f(&key(1), &five, &Tensor::scalar(7.0f32), Some(&[20]), f),
        "f_1",
        TRANSCENDENTAL_ULPS,
    );
    assert_ulps(
        &random::generalized_normal(&key(0), 1.5, &[20], f),
        "generalized_normal_0",
        TRANSCENDENTAL_ULPS,
    );
    assert_ulps(
        &random::ball(&key(0), 3, 2.0, &[5], f),
        "ball_0",
        TRANSCENDENTAL_ULPS,
    );
}

#[test]
fn discrete_samplers_match_jax() {
    let lam = f32s(&[0.0, 0.5, 3.0, 9.9, 10.0, 50.0, 1000.0]);
    assert_i32_eq(
        &random::poisson(&key(0), &lam, Some(&[4, 7]), DType::I32),
        "poisson_0",
    );
    let p = f32s(&[0.05, 0.3, 0.9]);
    assert_i32_eq(
        &random::geometric(&key(0), &p, Some(&[5, 3]), DType::I32),
        "geometric_0",
    );
}

/// Float-valued counts: exact (their rejection decisions are JAX's; NaN where JAX gives NaN).
#[track_caller]
fn assert_counts(t: &Tensor, name: &str) {
    let (s, v) = g_f32(name);
    assert_eq!(t.shape(), s.as_slice(), "{name}: shape");
    let got = t.to_vec::<f32>();
    for (i, (a, b)) in got.iter().zip(&v).enumerate() {
        assert!(
            a == b || (a.is_nan() && b.is_nan()),
            "{name}[{i}]: got {a}, JAX {b}"
        );
    }
}

#[test]
fn binomial_and_multinomial_match_jax() {
    let n = f32s(&[0.0, 5.0, 20.0, 100.0, 1000.0]);
    let p = f32s(&[0.3, 0.9, 0.5, 0.05, 0.7]);
    assert_counts(
        &random::binomial(&key(0), &n, &p, Some(&[4, 5]), DType::F32),
        "binomial_0",
    );
    let n = f32s(&[10.0, -1.0, f32::INFINITY, 7.5, 30.0]);
    let p = f32s(&[0.2, 0.5, 0.5, 0.5, -0.1]);
    assert_counts(
        &random::binomial(&key(1), &n, &p, None, DType::F32),
        "binomial_1_edge",
    );
    let p = f32s(&[0.1, 0.2, 0.3, 0.4]);
    let m = random::multinomial(
        &key(0),
        &Tensor::scalar(50.0f32),
        &p,
        Some(&[3, 4]),
        DType::F32,
    );
    assert_counts(&m, "multinomial_0");
    let p = Tensor::from_vec(vec![0.5f32, 0.0, 0.5, 0.2, 0.3, 0.5], &[2, 3]);
    let m = random::multinomial(&key(1), &f32s(&[5.0, 500.0]), &p, None, DType::F32);
    assert_counts(&m, "multinomial_1");
}

#[test]
fn multivariate_normal_matches_jax() {
    // The factor is an in-crate Cholesky (not LAPACK's), so a few ulps apart.
    let cov = Tensor::from_vec(
        vec![2.0f32, 0.5, 0.1, 0.5, 1.0, 0.3, 0.1, 0.3, 0.7],
        &[3, 3],
    );
    let mean = f32s(&[1.0, -1.0, 0.5]);
    let x = random::multivariate_normal(&key(0), &mean, &cov, Some(&[4]), DType::F32, "cholesky");
    assert_ulps(&x, "mvn_0", TRANSCENDENTAL_ULPS);
    let eye2 = Tensor::from_vec(
        vec![2.0f32, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 2.0],
        &[3, 3],
    );
    let covs = lax::concatenate(
        &[
            lax::reshape(&cov, &[1, 3, 3]),
            lax::reshape(&eye2, &[1, 3, 3]),
        ],
        0,
    );
    let x = random::multivariate_normal(
        &key(1),
        &f32s(&[0.0; 3]),
        &covs,
        None,
        DType::F32,
        "cholesky",
    );
    assert_ulps(&x, "mvn_1_batched", TRANSCENDENTAL_ULPS);
    let jitted = jit(|k: &Tensor| {
        random::multivariate_normal(k, &mean, &cov, Some(&[4]), DType::F32, "cholesky")
    })(&key(0));
    let eager =
        random::multivariate_normal(&key(0), &mean, &cov, Some(&[4]), DType::F32, "cholesky");
    assert_eq!(jitted.to_vec::<f32>(), eager.to_vec::<f32>());
}

#[test]
#[should_panic(expected = "random::multivariate_normal: method \"eigh\" is not available")]
fn multivariate_normal_rejects_eigh() {
    let cov = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0], &[2, 2]);
    random::multivariate_normal(&key(0), &f32s(&[0.0, 0.0]), &cov, None, DType::F32, "eigh");
}

#[test]
fn categorical_without_replacement_matches_jax() {
    let logits = super::random::g_f32("categorical_logits");
    let logits = Tensor::from_vec(logits.1, &logits.0);
    let i = random::categorical_without_replacement(&key(0), &logits, -1, Some(&[4, 3]));
    assert_i32_eq(&i, "categorical_noreplace_0");
    let i = random::categorical_without_replacement(&key(1), &logits, 0, Some(&[2, 5]));
    assert_i32_eq(&i, "categorical_noreplace_1");
}

#[test]
fn samplers_under_jit_equal_eager_and_jax() {
    let f = |k: &Tensor| random::poisson(k, &Tensor::scalar(4.0f32), Some(&[10]), DType::I32);
    assert_i32_eq(&jit(f)(&key(3)), "poisson_jit");
    assert_eq!(jit(f)(&key(3)).to_vec::<i32>(), f(&key(3)).to_vec::<i32>());
    let samplers: Vec<(&str, Sampler)> = vec![
        (
            "gamma",
            Box::new(|k| random::gamma(k, &a3(), None, DType::F32)),
        ),
        (
            "beta",
            Box::new(|k| random::beta(k, &a3(), &Tensor::scalar(2.0f32), None, DType::F32)),
        ),
        (
            "dirichlet",
            Box::new(|k| random::dirichlet(k, &a3(), Some(&[2]), DType::F32)),
        ),
        ("t", Box::new(|k| random::t(k, &a3(), None, DType::F32))),
        (
            "wald",
            Box::new(|k| random::wald(k, &a3(), None, DType::F32)),
        ),
        (
            "ball",
            Box::new(|k| random::ball(k, 2, 1.5, &[3], DType::F32)),
        ),
        (
            "binomial",
            Box::new(|k| {
                random::binomial(
                    k,
                    &f32s(&[3.0, 400.0]),
                    &f32s(&[0.4, 0.6]),
                    None,
                    DType::F32,
                )
            }),
        ),
        (
            "multinomial",
            Box::new(|k| random::multinomial(k, &Tensor::scalar(30.0f32), &a3(), None, DType::F32)),
        ),
    ];
    for (name, s) in &samplers {
        let eager = s(&key(11)).to_vec::<f32>();
        let jitted = jit(|k: &Tensor| s(k))(&key(11)).to_vec::<f32>();
        assert_eq!(eager, jitted, "{name}: jit differs from eager");
    }
}

#[test]
fn samplers_under_vmap_equal_a_loop() {
    let keys = random::split(&key(9), 3);
    let g = vmap(|k: &Tensor| random::gamma(k, &a3(), None, DType::F32))(&keys);
    assert_ulps(&g, "gamma_vmap", GAMMA_ULPS);
    let samplers: Vec<(&str, Sampler)> = vec![
        (
            "gamma",
            Box::new(|k| random::gamma(k, &a3(), None, DType::F32)),
        ),
        (
            "chisquare",
            Box::new(|k| random::chisquare(k, &a3(), None, DType::F32)),
        ),
        ("cauchy", Box::new(|k| random::cauchy(k, &[4], DType::F32))),
        (
            "poisson",
            Box::new(|k| {
                let lam = f32s(&[0.5, 20.0]);
                lax::convert_element_type(&random::poisson(k, &lam, None, DType::I32), DType::F32)
            }),
        ),
        (
            "binomial",
            Box::new(|k| {
                random::binomial(
                    k,
                    &f32s(&[3.0, 400.0]),
                    &f32s(&[0.4, 0.6]),
                    None,
                    DType::F32,
                )
            }),
        ),
    ];
    for (name, s) in &samplers {
        let batched = vmap(|k: &Tensor| s(k))(&keys).to_vec::<f32>();
        let looped: Vec<f32> = (0..3)
            .flat_map(|i| s(&random::key_at(&keys, i)).to_vec::<f32>())
            .collect();
        assert_eq!(batched, looped, "{name}: vmap differs from a loop");
    }
}

#[test]
fn gamma_gradients_match_jax_and_finite_differences() {
    let dg = grad(|a: &Tensor| random::gamma(&key(5), a, None, DType::F32).sum())(&a3());
    assert_ulps(&dg, "gamma_grad_a3", GRAD_ULPS);
    let dl = grad(|a: &Tensor| random::loggamma(&key(5), a, None, DType::F32).sum())(&a3());
    assert_ulps(&dl, "loggamma_grad_a3", GRAD_ULPS);
    let db = grad(|a: &Tensor| {
        random::beta(&key(6), a, &Tensor::scalar(3.0f32), None, DType::F32).sum()
    })(&a3());
    assert_ulps(&db, "beta_grad", GRAD_ULPS);
    let alpha = f32s(&[0.5, 1.0, 2.0]);
    let dd = grad(|a: &Tensor| {
        let x = random::dirichlet(&key(7), a, None, DType::F32);
        lax::reshape(&lax::slice(&x, &[0], &[1], None), &[])
    })(&alpha);
    assert_ulps(&dd, "dirichlet_grad", GRAD_ULPS);
    let a64 = Tensor::from_vec(vec![0.3f64, 1.0, 4.5], &[3]);
    let d64 = grad(|a: &Tensor| random::gamma(&key(5), a, None, DType::F64).sum())(&a64);
    assert_f64_rel(&d64, "gamma_grad_f64", 1e-14);
    // Finite differences at a fixed key: implicit reparameterisation differentiates the
    // sample at a fixed *quantile* u = P(a, x) (not the rejection sampler's path), so the
    // reference moves a by ±h and re-solves P(a ± h, x') = u by bisection.
    let a = [0.7f64, 1.5, 4.0];
    let at = Tensor::from_vec(a.to_vec(), &[3]);
    let x = random::gamma(&key(12), &at, None, DType::F64).to_vec::<f64>();
    let lx = random::loggamma(&key(12), &at, None, DType::F64).to_vec::<f64>();
    let dx = jacobian_diag(|a| random::gamma(&key(12), a, None, DType::F64), &at);
    let dlx = jacobian_diag(|a| random::loggamma(&key(12), a, None, DType::F64), &at);
    for i in 0..3 {
        let want = quantile_fd(a[i], x[i]);
        assert!(
            (dx[i] - want).abs() <= 1e-6 * want.abs(),
            "gamma d/da[{i}]: {} vs {want}",
            dx[i]
        );
        let want_l = quantile_fd(a[i], lx[i].exp()) / lx[i].exp();
        assert!(
            (dlx[i] - want_l).abs() <= 1e-6 * want_l.abs(),
            "loggamma d/da[{i}]: {} vs {want_l}",
            dlx[i]
        );
    }
    // Samples that do not go through gamma's rejection loop are smooth in their parameters.
    let s = Tensor::from_vec(vec![0.5f64, 1.2], &[2]);
    check_grads(
        |s: &Tensor| random::lognormal(&key(16), s, None, DType::F64),
        &s,
        1,
    );
    check_grads(
        |m: &Tensor| random::wald(&key(16), m, None, DType::F64),
        &s,
        1,
    );
}

/// d sample_i / d a_i of an elementwise sampler, by `grad` of each output.
fn jacobian_diag(f: impl Fn(&Tensor) -> Tensor, a: &Tensor) -> Vec<f64> {
    let n = a.size();
    (0..n)
        .map(|i| {
            let g =
                grad(|a: &Tensor| lax::reshape(&lax::slice(&f(a), &[i], &[i + 1], None), &[]))(a);
            g.to_vec::<f64>()[i]
        })
        .collect()
}

fn igamma(a: f64, x: f64) -> f64 {
    lax::igamma(&Tensor::scalar(a), &Tensor::scalar(x)).item::<f64>()
}

/// x' with P(a', x') = p, by bisection.
fn gamma_quantile(a: f64, p: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    while igamma(a, hi) < p {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if igamma(a, mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The derivative of the Gamma(a) quantile at the quantile of `x`: central differences.
fn quantile_fd(a: f64, x: f64) -> f64 {
    let p = igamma(a, x);
    let h = 1e-5 * a;
    (gamma_quantile(a + h, p) - gamma_quantile(a - h, p)) / (2.0 * h)
}

#[test]
#[should_panic(expected = "random::gamma: dtype must be f32 or f64")]
fn gamma_rejects_int_dtype() {
    random::gamma(&key(0), &a3(), None, DType::I32);
}

#[test]
#[should_panic(expected = "random::poisson: dtype must be an integer type")]
fn poisson_rejects_float_dtype() {
    random::poisson(&key(0), &a3(), None, DType::F32);
}

#[test]
fn golden_cases_present() {
    for name in ["gamma_0_a3", "poisson_0", "ball_0"] {
        assert!(!case(name).vals.is_empty());
    }
}
