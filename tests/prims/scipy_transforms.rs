//! `ferrax::scipy` under the transformations: `check_grads` (finite differences, forward and
//! reverse mode) on every differentiable function, `jit` against eager, `vmap` against a loop
//! of the unbatched function, and the errors bad input raises.

use crate::common::panics::panic_message;
use ferrax::prelude::*;
use ferrax::scipy::special as sp;
use ferrax::scipy::stats as st;
use ferrax::test_util::check_grads;

type Unary = (&'static str, fn(&Tensor) -> Tensor, &'static [f64]);
type Binary = (
    &'static str,
    fn(&Tensor, &Tensor) -> Tensor,
    (Tensor, Tensor),
);

fn v(x: &[f64]) -> Tensor {
    Tensor::from_vec(x.to_vec(), &[x.len()])
}

#[test]
fn unary_special_functions_match_finite_differences() {
    let unary: &[Unary] = &[
        ("erf", sp::erf, &[-1.5, 0.3, 2.0]),
        ("erfc", sp::erfc, &[-1.5, 0.3, 2.0]),
        ("erfinv", sp::erfinv, &[-0.7, 0.1, 0.9]),
        ("erfcx", sp::erfcx, &[-1.0, 0.5, 3.0, 30.0]),
        ("dawsn", sp::dawsn, &[-2.0, 0.5, 4.0, 8.0]),
        ("ndtr", sp::ndtr, &[-3.0, 0.2, 1.5]),
        ("ndtri", sp::ndtri, &[0.01, 0.3, 0.5, 0.95]),
        ("log_ndtr", sp::log_ndtr, &[-30.0, -12.0, -2.0, 0.5, 9.0]),
        ("gammaln", sp::gammaln, &[0.3, 2.5, 12.0]),
        ("gamma", sp::gamma, &[-0.5, 0.3, 2.5]),
        ("loggamma", sp::loggamma, &[0.3, 2.5]),
        ("digamma", sp::digamma, &[0.3, 2.5]),
        ("factorial", sp::factorial, &[0.5, 3.0]),
        ("entr", sp::entr, &[0.2, 1.5]),
        ("logit", sp::logit, &[0.2, 0.5, 0.8]),
        ("expit", sp::expit, &[-2.0, 0.0, 3.0]),
        ("i0e", sp::i0e, &[-3.0, 0.5, 7.9, 8.1, 20.0]),
        ("i0", sp::i0, &[-3.0, 0.5, 9.0]),
        ("spence", sp::spence, &[0.2, 0.7, 1.7, 3.0]),
        ("expi", sp::expi, &[-3.0, -0.5, 0.7, 3.0, 12.0, 50.0, 70.0]),
        ("exp1", sp::exp1, &[0.2, 0.9, 1.5, 7.0]),
        ("sici.si", |x| sp::sici(x).0, &[-2.0, 0.5, 5.0, 9.0]),
        ("sici.ci", |x| sp::sici(x).1, &[0.5, 3.0, 5.0, 9.0]),
    ];
    for (name, f, xs) in unary {
        let r = std::panic::catch_unwind(|| check_grads(|x: &Tensor| f(x), &v(xs), 1));
        assert!(r.is_ok(), "{name}: {}", panic_message(|| r.unwrap()));
    }
    // Second order where the custom rules compose with themselves.
    check_grads(|x: &Tensor| sp::log_ndtr(x), &v(&[-25.0, -3.0, 1.0]), 2);
    check_grads(|x: &Tensor| sp::ndtri(x), &v(&[0.1, 0.6]), 2);
    check_grads(|x: &Tensor| sp::entr(x), &v(&[0.2, 1.5]), 2);
}

#[test]
fn binary_special_functions_match_finite_differences() {
    let two = |x: &[f64], y: &[f64]| (v(x), v(y));
    let binary: &[Binary] = &[
        (
            "xlogy",
            |x, y| sp::xlogy(x, y),
            two(&[0.5, -1.0], &[0.3, 2.0]),
        ),
        (
            "xlog1py",
            |x, y| sp::xlog1py(x, y),
            two(&[0.5, -1.0], &[0.3, 2.0]),
        ),
        (
            "rel_entr",
            |x, y| sp::rel_entr(x, y),
            two(&[0.5, 1.2], &[0.3, 2.0]),
        ),
        (
            "kl_div",
            |x, y| sp::kl_div(x, y),
            two(&[0.5, 1.2], &[0.3, 2.0]),
        ),
        (
            "betaln",
            |x, y| sp::betaln(x, y),
            two(&[0.5, 3.0, 20.0], &[2.0, 9.5, 30.0]),
        ),
        ("beta", |x, y| sp::beta(x, y), two(&[0.5, 3.0], &[2.0, 1.5])),
        ("poch", |x, y| sp::poch(x, y), two(&[0.5, 3.0], &[2.0, 1.5])),
        ("comb", |x, y| sp::comb(x, y), two(&[5.0, 7.5], &[2.0, 3.5])),
        ("zeta", |x, y| sp::zeta(x, y), two(&[2.0, 3.5], &[1.0, 0.7])),
        (
            "boxcox",
            |x, y| sp::boxcox(x, y),
            two(&[0.5, 3.0], &[0.3, -1.0]),
        ),
        (
            "boxcox1p",
            |x, y| sp::boxcox1p(x, y),
            two(&[0.5, 3.0], &[0.3, -1.0]),
        ),
        (
            "gammainc",
            |x, y| sp::gammainc(x, y),
            two(&[0.5, 3.0, 9.0], &[0.2, 4.0, 5.0]),
        ),
        (
            "gammaincc",
            |x, y| sp::gammaincc(x, y),
            two(&[0.5, 3.0, 9.0], &[0.2, 4.0, 5.0]),
        ),
    ];
    for (name, f, args) in binary {
        let r =
            std::panic::catch_unwind(|| check_grads(|(x, y): &(Tensor, Tensor)| f(x, y), args, 1));
        assert!(r.is_ok(), "{name}: {}", panic_message(|| r.unwrap()));
    }
    check_grads(
        |(x, y): &(Tensor, Tensor)| sp::xlogy(x, y),
        &two(&[0.5], &[2.0]),
        2,
    );
    // polygamma and betainc: differentiable in x only, as in JAX.
    let n = v(&[0.0, 1.0, 2.0]);
    check_grads(|x: &Tensor| sp::polygamma(&n, x), &v(&[0.5, 2.0, 5.0]), 1);
    let (a, b) = (v(&[0.5, 2.0, 5.0]), v(&[0.5, 3.0, 1.5]));
    check_grads(|x: &Tensor| sp::betainc(&a, &b, x), &v(&[0.2, 0.5, 0.9]), 1);
    check_grads(|x: &Tensor| sp::multigammaln(x, 3), &v(&[1.7, 4.0]), 1);
}

#[test]
fn reductions_match_finite_differences() {
    let m = Tensor::from_vec(vec![0.5f64, -1.0, 2.0, 0.1, 3.0, -0.4], &[2, 3]);
    check_grads(|x: &Tensor| sp::logsumexp(x, None), &m, 2);
    check_grads(|x: &Tensor| sp::logsumexp(x, Some(&[0])), &m, 1);
    check_grads(|x: &Tensor| sp::softmax(x, Some(&[-1])), &m, 2);
    check_grads(|x: &Tensor| sp::log_softmax(x, Some(&[-1])), &m, 1);
    let b = Tensor::from_vec(vec![1.0f64, 0.5, 2.0, 0.3, 1.0, 0.7], &[2, 3]);
    check_grads(
        |(x, b): &(Tensor, Tensor)| {
            sp::logsumexp_with(
                x,
                Some(&[-1]),
                sp::LogSumExp {
                    b: Some(b.clone()),
                    keepdims: true,
                },
            )
        },
        &(m, b),
        1,
    );
}

#[test]
fn distributions_match_finite_differences() {
    let x = v(&[-1.2, 0.3, 2.5]);
    let p = v(&[0.2, 0.6, 0.9]);
    let pos = v(&[0.4, 1.3, 3.0]);
    let inside = v(&[0.5, 1.0, 1.5]);
    let (loc, scale) = (Tensor::scalar(0.2f64), Tensor::scalar(1.7f64));
    type Loc = fn(&Tensor, &Tensor, &Tensor) -> Tensor;
    let loc_scale: &[(&str, Loc, &Tensor)] = &[
        ("norm.logpdf", |x, l, s| st::norm::logpdf(x, l, s), &x),
        ("norm.cdf", |x, l, s| st::norm::cdf(x, l, s), &x),
        ("norm.logcdf", |x, l, s| st::norm::logcdf(x, l, s), &x),
        ("norm.logsf", |x, l, s| st::norm::logsf(x, l, s), &x),
        ("norm.ppf", |q, l, s| st::norm::ppf(q, l, s), &p),
        ("expon.logpdf", |x, l, s| st::expon::logpdf(x, l, s), &pos),
        ("expon.cdf", |x, l, s| st::expon::cdf(x, l, s), &pos),
        ("laplace.logpdf", |x, l, s| st::laplace::logpdf(x, l, s), &x),
        ("laplace.cdf", |x, l, s| st::laplace::cdf(x, l, s), &x),
        (
            "logistic.logpdf",
            |x, l, s| st::logistic::logpdf(x, l, s),
            &x,
        ),
        ("logistic.ppf", |q, l, s| st::logistic::ppf(q, l, s), &p),
        ("cauchy.logpdf", |x, l, s| st::cauchy::logpdf(x, l, s), &x),
        ("cauchy.cdf", |x, l, s| st::cauchy::cdf(x, l, s), &x),
        ("cauchy.ppf", |q, l, s| st::cauchy::ppf(q, l, s), &p),
        (
            "uniform.logpdf",
            |x, l, s| st::uniform::logpdf(x, l, s),
            &inside,
        ),
    ];
    for (name, f, x) in loc_scale {
        let r = std::panic::catch_unwind(|| {
            check_grads(
                |(x, l, s): &(Tensor, Tensor, Tensor)| f(x, l, s),
                &((*x).clone(), loc.clone(), scale.clone()),
                1,
            )
        });
        assert!(r.is_ok(), "{name}: {}", panic_message(|| r.unwrap()));
    }
    let a = v(&[0.7, 2.0, 4.5]);
    check_grads(
        |(x, a): &(Tensor, Tensor)| st::gamma::logpdf(x, a, 0.0, 1.5),
        &(pos.clone(), a.clone()),
        1,
    );
    check_grads(
        |(x, a): &(Tensor, Tensor)| st::gamma::cdf(x, a, 0.0, 1.5),
        &(pos.clone(), a.clone()),
        1,
    );
    check_grads(
        |(x, d): &(Tensor, Tensor)| st::chi2::logpdf(x, d, 0.0, 1.0),
        &(pos.clone(), a.clone()),
        1,
    );
    check_grads(
        |(x, d): &(Tensor, Tensor)| st::t::logpdf(x, d, 0.1, 2.0),
        &(x.clone(), a.clone()),
        1,
    );
    check_grads(
        |(x, a, b): &(Tensor, Tensor, Tensor)| st::beta::logpdf(x, a, b, 0.0, 1.0),
        &(p.clone(), a.clone(), v(&[1.5, 0.8, 3.0])),
        1,
    );
    let (ba, bb) = (a.clone(), v(&[1.5, 0.8, 3.0]));
    check_grads(|x: &Tensor| st::beta::cdf(x, &ba, &bb, 0.0, 1.0), &p, 1);
    let k = v(&[0.0, 2.0, 5.0]);
    check_grads(|mu: &Tensor| st::poisson::logpmf(&k, mu, 0.0), &pos, 1);
    let kb = v(&[0.0, 1.0, 1.0]);
    check_grads(|p: &Tensor| st::bernoulli::logpmf(&kb, p, 0.0), &p, 1);
    let xs = Tensor::from_vec(vec![0.5f64, -1.0, 2.0, 0.0, 0.3, -0.7], &[2, 3]);
    let mean = v(&[0.1, -0.2, 0.3]);
    let cov = Tensor::from_vec(
        vec![2.0f64, 0.3, -0.4, 0.3, 1.5, 0.2, -0.4, 0.2, 1.0],
        &[3, 3],
    );
    // The covariance is perturbed symmetrically: only its lower triangle is read.
    check_grads(
        |(x, m, c): &(Tensor, Tensor, Tensor)| {
            let sym = (c + c.transpose(&[1, 0])) * 0.5;
            st::multivariate_normal::logpdf(x, m, &sym)
        },
        &(xs, mean, cov),
        1,
    );
}

#[test]
fn jit_equals_eager() {
    let f = |(x, p): &(Tensor, Tensor)| {
        let a = sp::log_ndtr(x) + sp::erfcx(x) + sp::xlogy(p, p) + sp::ndtri(p);
        let b = sp::betainc(2.0, 3.0, p)
            + sp::gammainc(x.abs() + 0.5, p)
            + sp::zeta(x.abs() + 1.5, 2.0);
        let c = st::norm::logpdf(x, 0.2, 1.3) + st::gamma::logcdf(p, 2.0, 0.0, 1.0);
        (
            a,
            b + c + sp::logsumexp(x, None) + sp::i0e(x) + sp::spence(p),
        )
    };
    for dt in [DType::F32, DType::F64] {
        let x = v(&[-20.0, -2.0, 0.4, 3.0, 9.0]).cast(dt);
        let p = v(&[0.01, 0.2, 0.5, 0.8, 0.99]).cast(dt);
        let (e0, e1) = f(&(x.clone(), p.clone()));
        let (j0, j1) = jit(f)(&(x, p));
        for (e, j) in [(e0, j0), (e1, j1)] {
            let (e, j) = (
                e.cast(DType::F64).to_vec::<f64>(),
                j.cast(DType::F64).to_vec::<f64>(),
            );
            let tol = if dt == DType::F32 { 1e-6 } else { 1e-14 };
            for (a, b) in e.iter().zip(&j) {
                if a == b {
                    continue;
                }
                assert!(
                    (a - b).abs() <= tol * a.abs().max(1.0),
                    "{dt:?}: eager {a} jit {b}"
                );
            }
        }
    }
}

#[test]
fn vmap_equals_a_loop() {
    let xs = Tensor::from_vec(vec![-8.0f64, 0.5, 2.0, -0.3, 12.0, 0.1], &[3, 2]);
    let ps = Tensor::from_vec(vec![0.1f64, 0.5, 0.9, 0.2, 0.7, 0.4], &[3, 2]);
    let f = |(x, p): &(Tensor, Tensor)| {
        (sp::betainc(&(x.abs() + 0.5), 2.0, p) + sp::log_ndtr(x)).sum()
            + sp::logsumexp(x, None)
            + st::multivariate_normal::logpdf(x, p, 1.5)
            + st::beta::cdf(p, 1.5, 2.5, 0.0, 1.0).sum()
    };
    let batched = vmap(f)(&(xs.clone(), ps.clone())).to_vec::<f64>();
    for (i, got) in batched.iter().enumerate() {
        let row = |t: &Tensor| Tensor::from_vec(t.to_vec::<f64>()[2 * i..2 * i + 2].to_vec(), &[2]);
        let want = f(&(row(&xs), row(&ps))).item::<f64>();
        assert!(
            (got - want).abs() <= 1e-13 * want.abs().max(1.0),
            "row {i}: {got} vs {want}"
        );
    }
    // expn's loops under vmap: members converge at different steps.
    let n = v(&[1.0, 2.0, 3.0, 1.0]);
    let x = v(&[0.1, 0.9, 2.5, 30.0]);
    let got = vmap(|(n, x): &(Tensor, Tensor)| sp::expn(n, x))(&(n.clone(), x.clone()));
    for (i, g) in got.to_vec::<f64>().iter().enumerate() {
        let one = |t: &Tensor| Tensor::scalar(t.to_vec::<f64>()[i]);
        let want = sp::expn(one(&n), one(&x)).item::<f64>();
        assert!(
            (g - want).abs() <= 1e-15 * want.abs(),
            "expn member {i}: {g} vs {want}"
        );
    }
    // A batched covariance: one Cholesky per member.
    let covs = Tensor::from_vec(
        vec![2.0f64, 0.3, 0.3, 1.0, 1.0, -0.5, -0.5, 3.0],
        &[2, 2, 2],
    );
    let x = v(&[0.4, -1.1]);
    let zero = v(&[0.0, 0.0]);
    let mvn = |c: &Tensor| st::multivariate_normal::logpdf(&x, &zero, c);
    let got = vmap(mvn)(&covs).to_vec::<f64>();
    for (i, g) in got.iter().enumerate() {
        let c = Tensor::from_vec(covs.to_vec::<f64>()[4 * i..4 * i + 4].to_vec(), &[2, 2]);
        let want = mvn(&c).item::<f64>();
        assert!((g - want).abs() < 1e-14, "member {i}: {g} vs {want}");
    }
}

#[test]
fn bad_input_names_the_function_the_shapes_and_the_caller() {
    let (a, b) = (v(&[1.0, 2.0]), v(&[1.0, 2.0, 3.0]));
    let msgs = [
        ("xlogy", panic_message(|| sp::xlogy(&a, &b))),
        ("betainc", panic_message(|| sp::betainc(&a, 1.0, &b))),
        (
            "norm.logpdf",
            panic_message(|| st::norm::logpdf(&a, &b, 1.0)),
        ),
        (
            "gamma.cdf",
            panic_message(|| st::gamma::cdf(&a, &b, 0.0, 1.0)),
        ),
    ];
    crate::common::panics::assert_errors_name_function_shapes_and_caller(
        &msgs
            .iter()
            .map(|(n, m)| (*n, m.clone()))
            .collect::<Vec<_>>(),
        "tests/prims/scipy_transforms.rs",
    );
    let cov = Tensor::from_vec(vec![1.0f64; 4], &[2, 2]);
    let m = panic_message(|| st::multivariate_normal::logpdf(&b, &b, &cov));
    assert!(
        m.starts_with("multivariate_normal.logpdf: incompatible shapes"),
        "{m}"
    );
    let m = panic_message(|| sp::log_ndtr_with(&a, 31));
    assert!(m.contains("series_order must be <= 30"), "{m}");
}
