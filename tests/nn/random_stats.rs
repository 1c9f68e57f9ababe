//! Statistical tests of the samplers: the Kolmogorov–Smirnov distance of seeded samples to the
//! distribution's CDF (written here in plain Rust; 20000 samples, 4000 for the gamma family,
//! 100000 for the raw-bit samplers), means and variances of the discrete ones, chi-squared
//! counts, Haar-distributed orthogonal matrices. Seeded, so deterministic; the KS threshold has
//! a false-failure probability of 1e-9 for a correct sampler.

use ferrax::prelude::*;
use ferrax::random;

const N: usize = 20_000;
/// Fewer for the gamma family: its vmapped rejection loops are the slow part of a debug build.
const NG: usize = 4_000;

/// The KS critical value at significance 1e-9: sqrt(-ln(α/2) / (2n)).
fn ks_crit(n: usize) -> f64 {
    (-(0.5e-9f64).ln() / (2.0 * n as f64)).sqrt()
}

#[track_caller]
fn assert_ks(name: &str, xs: &[f64], cdf: impl Fn(f64) -> f64) {
    let mut v: Vec<f64> = xs.to_vec();
    assert!(v.iter().all(|x| !x.is_nan()), "{name}: NaN sample");
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len() as f64;
    let mut d = 0.0f64;
    for (i, &x) in v.iter().enumerate() {
        let f = cdf(x);
        d = d.max(f - i as f64 / n).max((i + 1) as f64 / n - f);
    }
    let crit = ks_crit(v.len());
    assert!(d < crit, "{name}: KS distance {d} >= {crit}");
}

fn samples(t: &Tensor) -> Vec<f64> {
    lax_f64(t).to_vec::<f64>()
}

fn lax_f64(t: &Tensor) -> Tensor {
    ferrax::lax::convert_element_type(t, DType::F64)
}

fn s(v: f32) -> Tensor {
    Tensor::scalar(v)
}

fn key(seed: i64) -> Tensor {
    random::key(seed)
}

// ---- CDFs ------------------------------------------------------------------------------

fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Regularized lower incomplete gamma P(a, x) (series below a + 1, continued fraction
/// above).
fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let lg = libm::lgamma(a);
    if x < a + 1.0 {
        let (mut ap, mut sum, mut del) = (a, 1.0 / a, 1.0 / a);
        for _ in 0..10_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        sum * (-x + a * x.ln() - lg).exp()
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-15 {
                break;
            }
        }
        1.0 - (-x + a * x.ln() - lg).exp() * h
    }
}

/// Regularized incomplete beta I_x(a, b) (Lentz's continued fraction).
fn beta_i(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b) + a * x.ln() + b * (1.0 - x).ln())
            .exp();
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - beta_i(b, a, 1.0 - x);
    }
    let tiny = 1e-300;
    let (mut c, mut d) = (1.0, 1.0 - (a + b) * x / (a + 1.0));
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = m as f64;
        for step in 0..2 {
            let num = if step == 0 {
                m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m))
            } else {
                -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))
            };
            d = 1.0 + num * d;
            if d.abs() < tiny {
                d = tiny;
            }
            c = 1.0 + num / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    front * h / a
}

fn maxwell_cdf(x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    libm::erf(x / std::f64::consts::SQRT_2)
        - (2.0 / std::f64::consts::PI).sqrt() * x * (-x * x / 2.0).exp()
}

fn t_cdf(nu: f64, x: f64) -> f64 {
    let tail = 0.5 * beta_i(nu / 2.0, 0.5, nu / (nu + x * x));
    if x > 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

// ---- the tests -------------------------------------------------------------------------

#[test]
fn gamma_family_distributions() {
    for a in [0.3f32, 1.0, 4.5] {
        let x = samples(&random::gamma(&key(1), &s(a), Some(&[NG]), DType::F32));
        assert_ks(&format!("gamma({a})"), &x, |v| gamma_p(a as f64, v));
        let l = samples(&random::loggamma(&key(2), &s(a), Some(&[NG]), DType::F32));
        assert_ks(&format!("loggamma({a})"), &l, |v| {
            gamma_p(a as f64, v.exp())
        });
    }
    let x = samples(&random::gamma(
        &key(3),
        &Tensor::scalar(2.5f64),
        Some(&[NG]),
        DType::F64,
    ));
    assert_ks("gamma f64", &x, |v| gamma_p(2.5, v));
    let x = samples(&random::beta(
        &key(4),
        &s(2.0),
        &s(0.7),
        Some(&[NG]),
        DType::F32,
    ));
    assert_ks("beta(2, 0.7)", &x, |v| beta_i(2.0, 0.7, v));
    let alpha = Tensor::from_vec(vec![0.5f32, 1.5, 2.0], &[3]);
    let d = random::dirichlet(&key(5), &alpha, Some(&[NG]), DType::F32);
    let first: Vec<f64> = samples(&d).chunks(3).map(|r| r[0]).collect();
    assert_ks("dirichlet marginal", &first, |v| beta_i(0.5, 3.5, v));
    let x = samples(&random::chisquare(
        &key(6),
        &s(3.0),
        Some(&[NG]),
        DType::F32,
    ));
    assert_ks("chisquare(3)", &x, |v| gamma_p(1.5, v / 2.0));
    let x = samples(&random::t(&key(7), &s(2.5), Some(&[NG]), DType::F32));
    assert_ks("t(2.5)", &x, |v| t_cdf(2.5, v));
    let x = samples(&random::f(
        &key(8),
        &s(4.0),
        &s(6.0),
        Some(&[NG]),
        DType::F32,
    ));
    assert_ks("f(4, 6)", &x, |v| {
        beta_i(2.0, 3.0, 4.0 * v / (4.0 * v + 6.0))
    });
    let x = samples(&random::generalized_normal(&key(9), 1.5, &[NG], DType::F32));
    assert_ks("generalized_normal(1.5)", &x, |v| {
        0.5 + 0.5 * v.signum() * gamma_p(1.0 / 1.5, v.abs().powf(1.5))
    });
    // Uniform in the unit 3-ball: P(|x| <= r) = r^3.
    let b = samples(&random::ball(&key(10), 3, 2.0, &[NG], DType::F32));
    let r: Vec<f64> = b
        .chunks(3)
        .map(|p| p.iter().map(|c| c * c).sum::<f64>().sqrt())
        .collect();
    assert_ks("ball radius", &r, |v| v.clamp(0.0, 1.0).powi(3));
}

#[test]
fn transformed_distributions() {
    let pi = std::f64::consts::PI;
    let x = samples(&random::cauchy(&key(11), &[N], DType::F32));
    assert_ks("cauchy", &x, |v| 0.5 + v.atan() / pi);
    let x = samples(&random::lognormal(
        &key(12),
        &s(0.6),
        Some(&[N]),
        DType::F32,
    ));
    assert_ks("lognormal(0.6)", &x, |v| normal_cdf(v.ln() / 0.6));
    let x = samples(&random::pareto(&key(13), &s(2.5), Some(&[N]), DType::F32));
    assert_ks("pareto(2.5)", &x, |v| 1.0 - v.powf(-2.5));
    let x = samples(&random::weibull_min(&key(14), 2.0, 1.5, &[N], DType::F32));
    assert_ks("weibull_min(2, 1.5)", &x, |v| {
        1.0 - (-(v / 2.0).powf(1.5)).exp()
    });
    let x = samples(&random::rayleigh(&key(15), &s(1.5), Some(&[N]), DType::F32));
    assert_ks("rayleigh(1.5)", &x, |v| {
        1.0 - (-v * v / (2.0 * 1.5 * 1.5)).exp()
    });
    let x = samples(&random::maxwell(&key(16), &[N], DType::F32));
    assert_ks("maxwell", &x, maxwell_cdf);
    let x = samples(&random::double_sided_maxwell(
        &key(17),
        &s(1.0),
        &s(2.0),
        &[N],
        DType::F32,
    ));
    assert_ks("double_sided_maxwell(1, 2)", &x, |v| {
        let z = (v - 1.0) / 2.0;
        0.5 + 0.5 * z.signum() * maxwell_cdf(z.abs())
    });
    let mu = 1.5;
    let x = samples(&random::wald(
        &key(18),
        &s(mu as f32),
        Some(&[N]),
        DType::F32,
    ));
    assert_ks("wald(1.5)", &x, |v| {
        let q = (1.0 / v).sqrt();
        normal_cdf(q * (v / mu - 1.0)) + (2.0 / mu).exp() * normal_cdf(-q * (v / mu + 1.0))
    });
    let x = samples(&random::triangular(
        &key(19),
        &s(0.0),
        &s(1.0),
        &s(3.0),
        Some(&[N]),
        DType::F32,
    ));
    assert_ks("triangular(0, 1, 3)", &x, |v| {
        if v <= 1.0 {
            v * v / 3.0
        } else {
            1.0 - (3.0 - v) * (3.0 - v) / 6.0
        }
    });
}

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    (
        m,
        xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0),
    )
}

#[test]
fn discrete_distributions_moments() {
    // Poisson: mean = var = lam; the KS test of a discrete law is replaced by the first two
    // moments (6 standard errors; the variance's standard error is ~ lam * sqrt(2/N)).
    for lam in [0.7f32, 4.0, 25.0, 400.0] {
        let x = samples(&random::poisson(&key(20), &s(lam), Some(&[N]), DType::I32));
        let (m, v) = mean_var(&x);
        let l = lam as f64;
        assert!(
            (m - l).abs() < 6.0 * (l / N as f64).sqrt(),
            "poisson({lam}) mean {m}"
        );
        let se = (l / N as f64 + 2.0 * l * l / N as f64).sqrt();
        assert!((v - l).abs() < 6.0 * se, "poisson({lam}) variance {v}");
    }
    for p in [0.1f32, 0.5, 0.9] {
        let x = samples(&random::geometric(&key(21), &s(p), Some(&[N]), DType::I32));
        let p = p as f64;
        let (m, v) = mean_var(&x);
        let (mt, vt) = (1.0 / p, (1.0 - p) / (p * p));
        assert!(
            (m - mt).abs() < 6.0 * (vt / N as f64).sqrt(),
            "geometric({p}) mean {m}"
        );
        assert!(
            (v - vt).abs() < 0.1 * vt + 1e-3,
            "geometric({p}) variance {v} vs {vt}"
        );
    }
    for (n, p) in [(8.0f32, 0.3f32), (40.0, 0.5), (1000.0, 0.8)] {
        let x = samples(&random::binomial(
            &key(22),
            &s(n),
            &s(p),
            Some(&[N]),
            DType::F32,
        ));
        let (n, p) = (n as f64, p as f64);
        let (m, v) = mean_var(&x);
        let (mt, vt) = (n * p, n * p * (1.0 - p));
        assert!(
            (m - mt).abs() < 6.0 * (vt / N as f64).sqrt(),
            "binomial({n}, {p}) mean {m}"
        );
        assert!(
            (v - vt).abs() < 0.1 * vt,
            "binomial({n}, {p}) variance {v} vs {vt}"
        );
    }
}

#[test]
fn multivariate_normal_moments() {
    let c = [2.0f64, 0.5, 0.1, 0.5, 1.0, 0.3, 0.1, 0.3, 0.7];
    let cov = Tensor::from_vec(c.to_vec(), &[3, 3]);
    let mean = Tensor::from_vec(vec![1.0f64, -1.0, 0.5], &[3]);
    let x = random::multivariate_normal(&key(23), &mean, &cov, Some(&[N]), DType::F64, "cholesky");
    let x = x.to_vec::<f64>();
    let m: Vec<f64> = (0..3)
        .map(|i| x.chunks(3).map(|r| r[i]).sum::<f64>() / N as f64)
        .collect();
    for (i, (got, want)) in m.iter().zip([1.0, -1.0, 0.5]).enumerate() {
        assert!(
            (got - want).abs() < 6.0 * (c[i * 4] / N as f64).sqrt(),
            "mean[{i}] {got}"
        );
    }
    for i in 0..3 {
        for j in 0..3 {
            let s = x
                .chunks(3)
                .map(|r| (r[i] - m[i]) * (r[j] - m[j]))
                .sum::<f64>()
                / (N - 1) as f64;
            // standard error of a sample covariance: sqrt((c_ii c_jj + c_ij^2) / N)
            let se = ((c[i * 4] * c[j * 4] + c[i * 3 + j].powi(2)) / N as f64).sqrt();
            assert!((s - c[i * 3 + j]).abs() < 6.0 * se, "cov[{i}][{j}] {s}");
        }
    }
}

// ---- the raw-bit samplers (uniform, normal, the transforms, discrete, orthogonal) ------------

/// Samples per test of the cheap samplers.
pub(super) const N_BASIC: usize = 100_000;

/// [`assert_ks`] in the argument order of the tests below.
#[track_caller]
fn ks(x: &[f64], cdf: impl Fn(f64) -> f64, what: &str) {
    assert_ks(what, x, cdf)
}

/// Any tensor's values as f64 (bools as 0/1).
fn f64s(t: &Tensor) -> Vec<f64> {
    samples(t)
}

pub(super) fn check_moments(x: &[f64], mean: f64, var: f64, what: &str) {
    let (m, v) = mean_var(x);
    let n = x.len() as f64;
    assert!(
        (m - mean).abs() < 5.0 * (var / n).sqrt(),
        "{what}: mean {m}, expected {mean}"
    );
    assert!(
        (v - var).abs() < 0.03 * var,
        "{what}: variance {v}, expected {var}"
    );
}

#[test]
fn stats_uniform_bits_normal() {
    let k = random::key(2024);
    for dtype in [DType::F32, DType::F64] {
        let u = f64s(&random::uniform_with(&k, &[N_BASIC], dtype, 0.0, 1.0));
        assert!(u.iter().all(|&v| (0.0..1.0).contains(&v)));
        check_moments(&u, 0.5, 1.0 / 12.0, "uniform");
        ks(&u, |x| x.clamp(0.0, 1.0), "uniform");
        let n = f64s(&random::normal_with(&k, &[N_BASIC], dtype));
        check_moments(&n, 0.0, 1.0, "normal");
        ks(&n, normal_cdf, "normal");
    }
    let u = f64s(&random::uniform_with(&k, &[N_BASIC], DType::F32, -2.0, 6.0));
    check_moments(&u, 2.0, 64.0 / 12.0, "uniform(-2, 6)");
    // Bits: every bit is a fair coin.
    let b = random::bits(&k, &[N_BASIC]).to_vec::<u32>();
    for bit in 0..32 {
        let ones = b.iter().filter(|&&w| w >> bit & 1 == 1).count() as f64 / N_BASIC as f64;
        assert!((ones - 0.5).abs() < 0.01, "bit {bit}: {ones}");
    }
    let u = f64s(&random::bits(&k, &[N_BASIC]));
    ks(&u, |x| x / 4294967296.0, "bits");
}

#[test]
fn stats_truncated_gumbel_exp_laplace_logistic() {
    let k = random::key(77);
    let (a, b) = (-1.0, 2.0);
    let t = f64s(&random::truncated_normal(&k, a, b, &[N_BASIC], DType::F32));
    assert!(t.iter().all(|&x| x > a && x < b));
    let z = normal_cdf(b) - normal_cdf(a);
    ks(
        &t,
        |x| ((normal_cdf(x) - normal_cdf(a)) / z).clamp(0.0, 1.0),
        "truncated_normal",
    );
    let g = f64s(&random::gumbel(&k, &[N_BASIC], DType::F32));
    let euler = 0.5772156649015329;
    check_moments(&g, euler, std::f64::consts::PI.powi(2) / 6.0, "gumbel");
    ks(&g, |x| (-(-x).exp()).exp(), "gumbel");
    let e = f64s(&random::exponential(&k, &[N_BASIC], DType::F32));
    check_moments(&e, 1.0, 1.0, "exponential");
    ks(&e, |x| 1.0 - (-x.max(0.0)).exp(), "exponential");
    let l = f64s(&random::laplace(&k, &[N_BASIC], DType::F64));
    check_moments(&l, 0.0, 2.0, "laplace");
    ks(
        &l,
        |x| {
            if x < 0.0 {
                0.5 * x.exp()
            } else {
                1.0 - 0.5 * (-x).exp()
            }
        },
        "laplace",
    );
    let s = f64s(&random::logistic(&k, &[N_BASIC], DType::F32));
    check_moments(&s, 0.0, std::f64::consts::PI.powi(2) / 3.0, "logistic");
    ks(&s, |x| 1.0 / (1.0 + (-x).exp()), "logistic");
}

/// Chi-square goodness of fit against expected probabilities (asserts below a generous
/// critical value for `k - 1` degrees of freedom).
fn chi2(counts: &[usize], probs: &[f64], what: &str) {
    let n: usize = counts.iter().sum();
    let stat: f64 = counts
        .iter()
        .zip(probs)
        .filter(|&(_, &p)| p > 0.0)
        .map(|(&c, &p)| {
            let e = p * n as f64;
            (c as f64 - e).powi(2) / e
        })
        .sum();
    let df = probs.iter().filter(|&&p| p > 0.0).count() - 1;
    // Mean df, sd sqrt(2 df): 6 sd above is far in the tail.
    let crit = df as f64 + 6.0 * (2.0 * df as f64).sqrt() + 10.0;
    assert!(stat < crit, "{what}: chi2 {stat} with {df} dof");
    for (c, p) in counts.iter().zip(probs) {
        if *p == 0.0 {
            assert_eq!(*c, 0, "{what}: drew a zero-probability outcome");
        }
    }
}

fn counts(v: &[i32], k: usize) -> Vec<usize> {
    let mut c = vec![0; k];
    for &x in v {
        c[x as usize] += 1;
    }
    c
}

#[test]
fn stats_discrete() {
    let k = random::key(5150);
    let r = random::randint(&k, &[N_BASIC], 0, 7).to_vec::<i32>();
    chi2(&counts(&r, 7), &[1.0 / 7.0; 7], "randint");
    let r = random::randint(&k, &[N_BASIC], -3, 3).to_vec::<i32>();
    let shifted: Vec<i32> = r.iter().map(|x| x + 3).collect();
    chi2(&counts(&shifted, 6), &[1.0 / 6.0; 6], "randint negative");
    let b = f64s(&random::bernoulli(&k, 0.3, &[N_BASIC]));
    check_moments(&b, 0.3, 0.21, "bernoulli");
    let r = f64s(&random::rademacher(&k, &[N_BASIC], DType::F32));
    check_moments(&r, 0.0, 1.0, "rademacher");
    let logits = Tensor::from_vec(
        [0.1f32, 0.2, 0.3, 0.4].iter().map(|p| p.ln()).collect(),
        &[4],
    );
    let c = random::categorical(&k, &logits, -1, Some(&[N_BASIC])).to_vec::<i32>();
    chi2(&counts(&c, 4), &[0.1, 0.2, 0.3, 0.4], "categorical");
    let p = Tensor::from_vec(vec![0.1f32, 0.0, 0.3, 0.6], &[4]);
    let c = random::choice(&k, 4, &[N_BASIC], true, Some(&p)).to_vec::<i32>();
    chi2(&counts(&c, 4), &[0.1, 0.0, 0.3, 0.6], "choice with p");
    let c = random::choice(&k, 9, &[N_BASIC], true, None).to_vec::<i32>();
    chi2(&counts(&c, 9), &[1.0 / 9.0; 9], "choice");
    // Permutations: position of element 0 over many keys is uniform; each is a permutation.
    let keys = random::split(&k, 20_000);
    let perms = vmap(|k: &Tensor| random::permutation(k, 5))(&keys).to_vec::<i32>();
    let mut pos0 = vec![0usize; 5];
    for p in perms.chunks(5) {
        let mut s = p.to_vec();
        s.sort();
        assert_eq!(s, vec![0, 1, 2, 3, 4]);
        pos0[p.iter().position(|&x| x == 0).unwrap()] += 1;
    }
    chi2(&pos0, &[0.2; 5], "permutation");
    // Choice without replacement: distinct, and each element equally likely to be picked.
    let picks = vmap(|k: &Tensor| random::choice(k, 6, &[2], false, None))(&keys).to_vec::<i32>();
    let mut hits = vec![0usize; 6];
    for p in picks.chunks(2) {
        assert_ne!(p[0], p[1]);
        hits[p[0] as usize] += 1;
        hits[p[1] as usize] += 1;
    }
    chi2(&hits, &[1.0 / 6.0; 6], "choice without replacement");
    // permutation_of an axis keeps every row intact; shuffle permutes each column on its own.
    let x = Tensor::arange(0, 30, 1, DType::I32).reshape(&[10, 3]);
    let s = random::permutation_of(&k, &x, 0, false).to_vec::<i32>();
    let mut rows: Vec<i32> = s
        .chunks(3)
        .map(|r| {
            assert!(r[1] == r[0] + 1 && r[2] == r[0] + 2);
            r[0]
        })
        .collect();
    rows.sort();
    assert_eq!(rows, (0..10).map(|i| i * 3).collect::<Vec<_>>());
    let s = random::shuffle(&k, &x, 0).to_vec::<i32>();
    for col in 0..3 {
        let mut c: Vec<i32> = s.chunks(3).map(|r| r[col]).collect();
        assert!(c.iter().all(|v| v % 3 == col as i32));
        c.sort();
        assert_eq!(c, (0..10).map(|i| i * 3 + col as i32).collect::<Vec<_>>());
    }
}

#[test]
fn stats_orthogonal_haar() {
    // For Haar-distributed Q, each entry has mean 0 and variance 1/n.
    let n = 4;
    let q = f64s(&random::orthogonal(
        &random::key(8),
        n,
        &[20_000],
        DType::F32,
    ));
    check_moments(&q, 0.0, 1.0 / n as f64, "orthogonal entries");
    // First entry: (q11 + 1)/2 is Beta((n-1)/2, (n-1)/2); for n = 3 that is uniform.
    let q = random::orthogonal(&random::key(9), 3, &[N_BASIC], DType::F64).to_vec::<f64>();
    let first: Vec<f64> = q.chunks(9).map(|m| (m[0] + 1.0) / 2.0).collect();
    ks(&first, |x| x.clamp(0.0, 1.0), "orthogonal q11");
}

// ---- the rand_core bridge ---------------------------------------------------------------
