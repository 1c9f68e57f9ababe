//! `ferrax::scipy` against JAX 0.10.2 (tests/golden/scipy.txt, written by
//! tests/golden/make_scipy.py): every function of `scipy::special` and `scipy::stats` on f32
//! and f64 inputs, tails included (`log_ndtr` at -40, `ndtri` at 1e-300 and 1 - 1e-10,
//! `gammainc` at a = 1000, `erfcx` at 1e4). Dtype and shape exactly; values within the
//! per-function tolerance of [`tolerance`] (a few ulps where ferrax computes as JAX does,
//! looser where the underlying kernel is ferrax's own: `lgamma`/`digamma`/`igamma`, and the
//! Hurwitz zeta, which JAX evaluates with XLA's kernel and ferrax with the series JAX uses
//! for its derivative).

use crate::common::golden::{dtype_name, parse_line, Golden};
use ferrax::prelude::*;
use ferrax::scipy::special as sp;
use ferrax::scipy::stats as st;
use ferrax::transforms::{grad, vmap};
use std::collections::HashMap;

/// The golden cases: name `FUNC.TAG` -> (inputs, expected output).
pub(crate) fn cases() -> Vec<(String, Vec<Tensor>, Golden)> {
    let mut inputs: HashMap<String, Vec<(usize, Tensor)>> = HashMap::new();
    let mut outs = Vec::new();
    for (name, g) in include_str!("../golden/scipy.txt").lines().map(parse_line) {
        if let Some(rest) = name.strip_prefix("in.") {
            let (case, i) = rest.rsplit_once('.').expect("in.CASE.I");
            inputs
                .entry(case.to_string())
                .or_default()
                .push((i.parse().unwrap(), g.tensor()));
        } else {
            outs.push((name.strip_prefix("out.").expect("out.CASE").to_string(), g));
        }
    }
    outs.into_iter()
        .map(|(case, g)| {
            let mut ins = inputs.remove(&case).unwrap_or_default();
            ins.sort_by_key(|(i, _)| *i);
            (case, ins.into_iter().map(|(_, t)| t).collect(), g)
        })
        .collect()
}

/// ferrax's output for `func` (the case name without its tag) on inputs `a`.
pub(crate) fn apply(func: &str, a: &[Tensor]) -> Tensor {
    let x = &a[0];
    match func {
        "special.erf" => sp::erf(x),
        "special.erfc" => sp::erfc(x),
        "special.erfinv" => sp::erfinv(x),
        "special.erfcx" => sp::erfcx(x),
        "special.dawsn" => sp::dawsn(x),
        "special.ndtr" => sp::ndtr(x),
        "special.ndtri" => sp::ndtri(x),
        "special.log_ndtr" => sp::log_ndtr(x),
        "special.gammaln" => sp::gammaln(x),
        "special.gammasgn" => sp::gammasgn(x),
        "special.gamma" => sp::gamma(x),
        "special.loggamma" => sp::loggamma(x),
        "special.digamma" => sp::digamma(x),
        "special.polygamma" => sp::polygamma(x, &a[1]),
        "special.gammainc" => sp::gammainc(x, &a[1]),
        "special.gammaincc" => sp::gammaincc(x, &a[1]),
        "special.betaln" => sp::betaln(x, &a[1]),
        "special.beta" => sp::beta(x, &a[1]),
        "special.betainc" => sp::betainc(x, &a[1], &a[2]),
        "special.factorial" => sp::factorial(x),
        "special.comb" => sp::comb(x, &a[1]),
        "special.comb:rep" => sp::comb_with_repetition(x, &a[1]),
        "special.poch" => sp::poch(x, &a[1]),
        "special.multigammaln:3" => sp::multigammaln(x, 3),
        "special.xlogy" => sp::xlogy(x, &a[1]),
        "special.xlog1py" => sp::xlog1py(x, &a[1]),
        "special.entr" => sp::entr(x),
        "special.rel_entr" => sp::rel_entr(x, &a[1]),
        "special.kl_div" => sp::kl_div(x, &a[1]),
        "special.logit" => sp::logit(x),
        "special.expit" => sp::expit(x),
        "special.logsumexp" => sp::logsumexp(x, None),
        "special.logsumexp:last" => sp::logsumexp(x, Some(&[-1])),
        "special.logsumexp:b" => sp::logsumexp_with(
            x,
            Some(&[0]),
            sp::LogSumExp {
                b: Some(a[1].clone()),
                keepdims: false,
            },
        ),
        "special.softmax:last" => sp::softmax(x, Some(&[-1])),
        "special.log_softmax:last" => sp::log_softmax(x, Some(&[-1])),
        "special.boxcox" => sp::boxcox(x, &a[1]),
        "special.boxcox1p" => sp::boxcox1p(x, &a[1]),
        "special.zeta" => sp::zeta(x, &a[1]),
        "special.i0e" => sp::i0e(x),
        "special.i0" => sp::i0(x),
        "special.spence" => sp::spence(x),
        "special.bernoulli:10" => sp::bernoulli(10),
        "special.sici:si" => sp::sici(x).0,
        "special.sici:ci" => sp::sici(x).1,
        "special.expn" => sp::expn(x, &a[1]),
        "special.exp1" => sp::exp1(x),
        "special.expi" => sp::expi(x),
        f if f.starts_with("grad.") => apply_grad(f, a),
        _ => apply_stats(func, a),
    }
}

/// Elementwise derivatives, `vmap(grad(f))` as the golden script takes them from JAX.
fn apply_grad(func: &str, a: &[Tensor]) -> Tensor {
    let g1 = |f: fn(&Tensor) -> Tensor| vmap(grad(f))(&a[0]);
    let g2 = |f: fn(&Tensor, &Tensor) -> Tensor, arg: usize| {
        let d = vmap(grad(move |(x, y): &(Tensor, Tensor)| f(x, y)))(&(a[0].clone(), a[1].clone()));
        if arg == 0 {
            d.0
        } else {
            d.1
        }
    };
    match func {
        "grad.log_ndtr" => g1(sp::log_ndtr),
        "grad.ndtri" => g1(sp::ndtri),
        "grad.erfcx" => g1(sp::erfcx),
        "grad.dawsn" => g1(sp::dawsn),
        "grad.logit" => g1(sp::logit),
        "grad.entr" => g1(sp::entr),
        "grad.i0e" => g1(sp::i0e),
        "grad.expi" => g1(sp::expi),
        "grad.exp1" => g1(sp::exp1),
        "grad.sici.si" => g1(|x| sp::sici(x).0),
        "grad.sici.ci" => g1(|x| sp::sici(x).1),
        "grad.norm.logcdf" => g1(|x| st::norm::logcdf(x, 0.5, 1.5)),
        "grad.xlogy.x" => g2(|x, y| sp::xlogy(x, y), 0),
        "grad.xlogy.y" => g2(|x, y| sp::xlogy(x, y), 1),
        "grad.xlog1py.y" => g2(|x, y| sp::xlog1py(x, y), 1),
        "grad.rel_entr.p" => g2(|x, y| sp::rel_entr(x, y), 0),
        "grad.zeta.x" => g2(|x, y| sp::zeta(x, y), 0),
        "grad.zeta.q" => g2(|x, y| sp::zeta(x, y), 1),
        "grad.poch.z" => g2(|x, y| sp::poch(x, y), 0),
        "grad.gammainc.a" => g2(|x, y| sp::gammainc(x, y), 0),
        "grad.betainc.x" => {
            let f = |(a, b, x): &(Tensor, Tensor, Tensor)| sp::betainc(a, b, x);
            vmap(grad(f))(&(a[0].clone(), a[1].clone(), a[2].clone())).2
        }
        f => panic!("no ferrax derivative for golden case {f}"),
    }
}

fn apply_stats(func: &str, a: &[Tensor]) -> Tensor {
    let (x, p1, p2) = (&a[0], &a[1], a.get(2));
    let p2 = || p2.expect("a third input");
    let p3 = || &a[3];
    let p4 = || &a[4];
    match func {
        "stats.norm.logpdf" => st::norm::logpdf(x, p1, p2()),
        "stats.norm.pdf" => st::norm::pdf(x, p1, p2()),
        "stats.norm.cdf" => st::norm::cdf(x, p1, p2()),
        "stats.norm.logcdf" => st::norm::logcdf(x, p1, p2()),
        "stats.norm.sf" => st::norm::sf(x, p1, p2()),
        "stats.norm.logsf" => st::norm::logsf(x, p1, p2()),
        "stats.norm.ppf" => st::norm::ppf(x, p1, p2()),
        "stats.norm.isf" => st::norm::isf(x, p1, p2()),
        "stats.t.logpdf" => st::t::logpdf(x, p1, p2(), p3()),
        "stats.t.pdf" => st::t::pdf(x, p1, p2(), p3()),
        "stats.expon.logpdf" => st::expon::logpdf(x, p1, p2()),
        "stats.expon.pdf" => st::expon::pdf(x, p1, p2()),
        "stats.expon.cdf" => st::expon::cdf(x, p1, p2()),
        "stats.expon.logcdf" => st::expon::logcdf(x, p1, p2()),
        "stats.expon.sf" => st::expon::sf(x, p1, p2()),
        "stats.expon.logsf" => st::expon::logsf(x, p1, p2()),
        "stats.expon.ppf" => st::expon::ppf(x, p1, p2()),
        "stats.laplace.logpdf" => st::laplace::logpdf(x, p1, p2()),
        "stats.laplace.pdf" => st::laplace::pdf(x, p1, p2()),
        "stats.laplace.cdf" => st::laplace::cdf(x, p1, p2()),
        "stats.logistic.logpdf" => st::logistic::logpdf(x, p1, p2()),
        "stats.logistic.pdf" => st::logistic::pdf(x, p1, p2()),
        "stats.logistic.cdf" => st::logistic::cdf(x, p1, p2()),
        "stats.logistic.sf" => st::logistic::sf(x, p1, p2()),
        "stats.logistic.ppf" => st::logistic::ppf(x, p1, p2()),
        "stats.logistic.isf" => st::logistic::isf(x, p1, p2()),
        "stats.uniform.logpdf" => st::uniform::logpdf(x, p1, p2()),
        "stats.uniform.pdf" => st::uniform::pdf(x, p1, p2()),
        "stats.uniform.cdf" => st::uniform::cdf(x, p1, p2()),
        "stats.uniform.ppf" => st::uniform::ppf(x, p1, p2()),
        "stats.cauchy.logpdf" => st::cauchy::logpdf(x, p1, p2()),
        "stats.cauchy.pdf" => st::cauchy::pdf(x, p1, p2()),
        "stats.cauchy.cdf" => st::cauchy::cdf(x, p1, p2()),
        "stats.cauchy.logcdf" => st::cauchy::logcdf(x, p1, p2()),
        "stats.cauchy.sf" => st::cauchy::sf(x, p1, p2()),
        "stats.cauchy.logsf" => st::cauchy::logsf(x, p1, p2()),
        "stats.cauchy.ppf" => st::cauchy::ppf(x, p1, p2()),
        "stats.cauchy.isf" => st::cauchy::isf(x, p1, p2()),
        "stats.gamma.logpdf" => st::gamma::logpdf(x, p1, p2(), p3()),
        "stats.gamma.pdf" => st::gamma::pdf(x, p1, p2(), p3()),
        "stats.gamma.cdf" => st::gamma::cdf(x, p1, p2(), p3()),
        "stats.gamma.logcdf" => st::gamma::logcdf(x, p1, p2(), p3()),
        "stats.gamma.sf" => st::gamma::sf(x, p1, p2(), p3()),
        "stats.gamma.logsf" => st::gamma::logsf(x, p1, p2(), p3()),
        "stats.chi2.logpdf" => st::chi2::logpdf(x, p1, p2(), p3()),
        "stats.chi2.pdf" => st::chi2::pdf(x, p1, p2(), p3()),
        "stats.chi2.cdf" => st::chi2::cdf(x, p1, p2(), p3()),
        "stats.chi2.logcdf" => st::chi2::logcdf(x, p1, p2(), p3()),
        "stats.chi2.sf" => st::chi2::sf(x, p1, p2(), p3()),
        "stats.chi2.logsf" => st::chi2::logsf(x, p1, p2(), p3()),
        "stats.beta.logpdf" => st::beta::logpdf(x, p1, p2(), p3(), p4()),
        "stats.beta.pdf" => st::beta::pdf(x, p1, p2(), p3(), p4()),
        "stats.beta.cdf" => st::beta::cdf(x, p1, p2(), p3(), p4()),
        "stats.beta.logcdf" => st::beta::logcdf(x, p1, p2(), p3(), p4()),
        "stats.beta.sf" => st::beta::sf(x, p1, p2(), p3(), p4()),
        "stats.beta.logsf" => st::beta::logsf(x, p1, p2(), p3(), p4()),
        "stats.gumbel_l.logpdf" => st::gumbel_l::logpdf(x, p1, p2()),
        "stats.gumbel_l.pdf" => st::gumbel_l::pdf(x, p1, p2()),
        "stats.gumbel_l.cdf" => st::gumbel_l::cdf(x, p1, p2()),
        "stats.gumbel_l.logcdf" => st::gumbel_l::logcdf(x, p1, p2()),
        "stats.gumbel_l.sf" => st::gumbel_l::sf(x, p1, p2()),
        "stats.gumbel_l.logsf" => st::gumbel_l::logsf(x, p1, p2()),
        "stats.gumbel_l.ppf" => st::gumbel_l::ppf(x, p1, p2()),
        "stats.gumbel_r.logpdf" => st::gumbel_r::logpdf(x, p1, p2()),
        "stats.gumbel_r.pdf" => st::gumbel_r::pdf(x, p1, p2()),
        "stats.gumbel_r.cdf" => st::gumbel_r::cdf(x, p1, p2()),
        "stats.gumbel_r.logcdf" => st::gumbel_r::logcdf(x, p1, p2()),
        "stats.gumbel_r.sf" => st::gumbel_r::sf(x, p1, p2()),
        "stats.gumbel_r.logsf" => st::gumbel_r::logsf(x, p1, p2()),
        "stats.gumbel_r.ppf" => st::gumbel_r::ppf(x, p1, p2()),
        "stats.pareto.logpdf" => st::pareto::logpdf(x, p1, p2(), p3()),
        "stats.pareto.pdf" => st::pareto::pdf(x, p1, p2(), p3()),
        "stats.pareto.cdf" => st::pareto::cdf(x, p1, p2(), p3()),
        "stats.pareto.logcdf" => st::pareto::logcdf(x, p1, p2(), p3()),
        "stats.pareto.sf" => st::pareto::sf(x, p1, p2(), p3()),
        "stats.pareto.logsf" => st::pareto::logsf(x, p1, p2(), p3()),
        "stats.pareto.ppf" => st::pareto::ppf(x, p1, p2(), p3()),
        "stats.binom.logpmf" => st::binom::logpmf(x, p1, p2(), p3()),
        "stats.binom.pmf" => st::binom::pmf(x, p1, p2(), p3()),
        "stats.nbinom.logpmf" => st::nbinom::logpmf(x, p1, p2(), p3()),
        "stats.nbinom.pmf" => st::nbinom::pmf(x, p1, p2(), p3()),
        "stats.multinomial.logpmf" => st::multinomial::logpmf(x, p1, p2()),
        "stats.multinomial.pmf" => st::multinomial::pmf(x, p1, p2()),
        "stats.poisson.logpmf" => st::poisson::logpmf(x, p1, p2()),
        "stats.poisson.pmf" => st::poisson::pmf(x, p1, p2()),
        "stats.poisson.cdf" => st::poisson::cdf(x, p1, p2()),
        "stats.bernoulli.logpmf" => st::bernoulli::logpmf(x, p1, p2()),
        "stats.bernoulli.pmf" => st::bernoulli::pmf(x, p1, p2()),
        "stats.bernoulli.cdf" => st::bernoulli::cdf(x, p1),
        "stats.bernoulli.ppf" => st::bernoulli::ppf(x, p1),
        "stats.geom.logpmf" => st::geom::logpmf(x, p1, p2()),
        "stats.geom.pmf" => st::geom::pmf(x, p1, p2()),
        "stats.multivariate_normal.logpdf" => st::multivariate_normal::logpdf(x, p1, p2()),
        "stats.multivariate_normal.pdf" => st::multivariate_normal::pdf(x, p1, p2()),
        f => panic!("no ferrax function for golden case {f}"),
    }
}

/// (rtol, atol) of `func` in `dtype`: the agreement with JAX this suite promises.
pub(crate) fn tolerance(func: &str, dtype: &str) -> (f64, f64) {
    let f32_ = dtype == "f32";
    let ulps = |n: f64| if f32_ { n * 1.2e-7 } else { n * 2.3e-16 };
    let tiny = if f32_ { 1e-37 } else { 1e-300 };
    let base = func.split(':').next().unwrap();
    match base {
        // Kernels of ferrax's own (lgamma, digamma, polygamma, erf_inv) against XLA's; XLA's
        // f32 lgamma(1) is 4.8e-7, not 0, hence the absolute term.
        "special.gammaln"
        | "special.loggamma"
        | "special.digamma"
        | "special.polygamma"
        | "special.betaln"
        | "special.multigammaln"
        | "special.erfinv" => (ulps(128.0), if f32_ { 1e-6 } else { 1e-15 }),
        // exp of lgamma: the absolute error of lgamma becomes relative.
        "special.gamma" | "special.beta" | "special.factorial" | "special.comb"
        | "special.poch" => (ulps(256.0), tiny),
        "special.gammainc" | "special.gammaincc" | "special.betainc" => (ulps(256.0), tiny),
        // Sums of log terms that cancel: an absolute term at the scale of the parts.
        f if f.starts_with("stats.gamma")
            || f.starts_with("stats.chi2")
            || f.starts_with("stats.beta")
            || f.starts_with("stats.t.")
            || f.starts_with("stats.poisson")
            || f.starts_with("stats.binom")
            || f.starts_with("stats.nbinom")
            || f.starts_with("stats.multinomial") =>
        {
            (ulps(256.0), if f32_ { 1e-6 } else { 1e-14 })
        }
        // Derivatives: JAX's rules, through ferrax's kernels. i0e's derivative is JAX's
        // `i1e - sign i0e` there and the derivative of the Chebyshev series here.
        "grad.i0e" => (if f32_ { 1e-5 } else { 1e-12 }, 1e-7),
        f if f.starts_with("grad.") => (ulps(256.0), if f32_ { 1e-6 } else { 1e-15 }),
        // f sin - g cos cancels near Ci's zeros.
        "special.sici" => (ulps(64.0), if f32_ { 1e-6 } else { 1e-15 }),
        // exp of exp: kernel differences in exp/expm1 grow by |z|.
        f if f.starts_with("stats.gumbel") => (ulps(128.0), tiny),
        // XLA's zeta kernel against the Euler-Maclaurin series.
        "special.zeta" => (if f32_ { 2e-6 } else { 1e-12 }, tiny),
        _ => (ulps(16.0), tiny),
    }
}

/// `got` within (rtol, atol) of `want` elementwise; NaNs and infinities must match.
pub(crate) fn matches(
    case: &str,
    got: &Tensor,
    want: &Golden,
    tol: (f64, f64),
) -> Result<(), String> {
    if dtype_name(got.dtype()) != want.dtype || got.shape() != &want.shape[..] {
        return Err(format!(
            "{case}: ferrax {:?}{:?}, JAX {}{:?}",
            got.dtype(),
            got.shape(),
            want.dtype,
            want.shape
        ));
    }
    let g = got.cast(DType::F64).to_vec::<f64>();
    for (i, (&a, &b)) in g.iter().zip(&want.values).enumerate() {
        let ok = if b.is_nan() {
            a.is_nan()
        } else if b.is_infinite() {
            a == b
        } else {
            (a - b).abs() <= tol.1 + tol.0 * b.abs()
        };
        if !ok {
            return Err(format!(
                "{case}[{i}]: ferrax {a:e}, JAX {b:e} (rel {:.2e}, rtol {:.1e})",
                ((a - b) / b).abs(),
                tol.0
            ));
        }
    }
    Ok(())
}

#[test]
fn every_case_matches_jax() {
    let mut failures = Vec::new();
    let all = cases();
    assert!(all.len() > 200, "golden file has {} cases", all.len());
    for (case, ins, want) in &all {
        let func = case.rsplit_once('.').unwrap().0;
        let func = func
            .strip_suffix(".iso")
            .or(func.strip_suffix(".uni"))
            .unwrap_or(func);
        let func = func
            .strip_suffix(".f32")
            .or(func.strip_suffix(".f64"))
            .unwrap_or(func);
        let got = apply(func, ins);
        let tol = tolerance(func, &want.dtype);
        if let Err(e) = matches(case, &got, want, tol) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
