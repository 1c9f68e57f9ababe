"""Writes tests/golden/scipy.txt: jax.scipy.special and jax.scipy.stats outputs (JAX 0.10.2,
CPU, x64 enabled so f64 cases compute in f64; f32 cases keep f32 inputs and compute in f32)
for the cases tests/prims/scipy_golden.rs checks. Run from the repository root:

    python3 tests/golden/make_scipy.py

Format (tests/golden/golden_format.py): one array per line, `name dtype shape v1 v2 ...`.
A case `FUNC.TAG` is written as its inputs `in.FUNC.TAG.0`, `in.FUNC.TAG.1`, ... and its
output `out.FUNC.TAG`; FUNC names the Rust closure the test applies to the inputs (a
`special.NAME` or `stats.DIST.NAME`, sometimes with a `:variant`), TAG tells the dtype and
the input set. The tests never run Python.
"""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import jax.scipy.special as sp  # noqa: E402
import jax.scipy.stats as st  # noqa: E402
import numpy as np  # noqa: E402
from golden_format import array_line  # noqa: E402

assert jax.__version__ == "0.10.2", jax.__version__
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scipy.txt")
lines = []


def case(func, tag, fn, *inputs):
    """Emits the inputs and fn(*inputs) of case `func.tag`."""
    name = f"{func}.{tag}"
    for i, x in enumerate(inputs):
        lines.append(array_line(f"in.{name}.{i}", x))
    lines.append(array_line(f"out.{name}", np.asarray(fn(*inputs))))


def both(func, fn, *vals, tag=""):
    """The case in f32 and f64 (inputs given as lists)."""
    for dt, nm in ((np.float32, "f32"), (np.float64, "f64")):
        # Under x64 `jnp.asarray(y, float)` (norm.ppf) makes an f32 result f64; without x64
        # it stays f32, and the conversion is exact, so f32 cases are cast back.
        out_fn = (lambda *a: np.asarray(fn(*a)).astype(np.float32)) if nm == "f32" else fn
        case(func, nm + tag, out_fn, *[np.array(v, dt) for v in vals])


R = [-3.0, -1.5, -0.5, 0.0, 0.3, 1.0, 2.5, 6.0]
POS = [0.1, 0.5, 1.0, 2.5, 7.0, 30.0]
U = [0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99]

# --- jax.scipy.special -------------------------------------------------------------
both("special.erf", sp.erf, R)
both("special.erfc", sp.erfc, R + [9.0])
both("special.erfinv", sp.erfinv, [-0.999, -0.5, 0.0, 0.1, 0.7, 0.9999])
both("special.erfcx", sp.erfcx, R + [12.0, 30.0, 1e4])
both("special.dawsn", sp.dawsn, R + [4.0, 8.0, 50.0])
both("special.ndtr", sp.ndtr, R + [-12.0, 9.0])
case("special.ndtri", "f64", sp.ndtri,
     np.array([1e-300, 1e-20, 1e-5, 0.02, 0.3, 0.5, 0.7, 0.98, 1 - 1e-10, 0.0, 1.0]))
case("special.ndtri", "f32", sp.ndtri,
     np.array([1e-30, 1e-10, 1e-5, 0.02, 0.3, 0.5, 0.7, 0.98, 0.9999999, 0.0, 1.0], np.float32))
both("special.log_ndtr", sp.log_ndtr, [-40.0, -25.0, -15.0, -8.0, -3.0, 0.0, 3.0, 6.0, 9.0, 40.0])
both("special.gammaln", sp.gammaln, [-2.5, -0.5, 0.1, 0.5, 1.0, 3.0, 10.5, 100.0])
both("special.gammasgn", sp.gammasgn, [-2.5, -1.5, -0.5, 0.5, 3.0, -2.0, 0.0, -0.0])
both("special.gamma", sp.gamma, [-2.5, -0.5, 0.1, 0.5, 1.0, 3.0, 10.5, 30.0])
both("special.loggamma", sp.loggamma, [-2.5, 0.1, 0.5, 3.0, 10.5])
both("special.digamma", sp.digamma, [-2.5, 0.1, 0.5, 1.0, 3.0, 10.5, 100.0])
for dt, nm in ((np.float32, "f32"), (np.float64, "f64")):
    case("special.polygamma", nm, sp.polygamma, np.array([0, 1, 2, 3, 1], np.int32),
         np.array([0.5, 1.0, 2.5, 7.0, 30.0], dt))
both("special.gammainc", sp.gammainc, [0.5, 1.0, 2.5, 5.0, 100.0, 1000.0], [0.1, 2.0, 1.0, 20.0, 95.0, 1010.0])
both("special.gammaincc", sp.gammaincc, [0.5, 1.0, 2.5, 5.0, 100.0, 1000.0], [0.1, 2.0, 1.0, 20.0, 95.0, 1010.0])
both("special.betaln", sp.betaln, [0.5, 1.0, 2.5, 3.0, 10.0, 1e6], [0.5, 2.0, 9.0, 50.0, 1e3, 1e6])
both("special.beta", sp.beta, [0.5, 1.0, 2.5, 3.0, -0.5], [0.5, 2.0, 9.0, 5.0, 2.0])
both("special.betainc", sp.betainc, [0.5, 1.0, 2.0, 5.0, 10.0, 30.0], [0.5, 3.0, 2.0, 1.0, 20.0, 40.0],
     [0.1, 0.5, 0.3, 0.9, 0.4, 0.45])
both("special.factorial", sp.factorial, [-1.0, 0.0, 1.0, 5.0, 10.0, 2.5])
both("special.comb", sp.comb, [5.0, 10.0, 10.0, 3.0, 20.0], [2.0, 0.0, 11.0, -1.0, 7.0])
both("special.comb:rep", lambda n, k: sp.comb(n, k, repetition=True), [5.0, 3.0, 0.0], [2.0, 0.0, 3.0])
both("special.poch", sp.poch, [3.0, 0.5, 2.5, 1.0], [2.0, 0.0, 1.5, 4.0])
both("special.multigammaln:3", lambda a: sp.multigammaln(a, 3), [1.5, 2.0, 7.5])
both("special.xlogy", sp.xlogy, [0.0, 0.0, 2.0, -1.5, 3.0], [0.0, 2.0, 0.5, 3.0, np.nan])
both("special.xlog1py", sp.xlog1py, [0.0, 0.0, 2.0, -1.5], [-1.0, 2.0, 1e-10, 3.0])
both("special.entr", sp.entr, [-1.0, 0.0, 0.25, 1.0, 3.0])
both("special.rel_entr", sp.rel_entr, [0.5, 0.0, 0.5, 0.2, -1.0], [0.25, 0.5, 0.0, 0.7, 0.5])
both("special.kl_div", sp.kl_div, [0.5, 0.0, 0.5, 0.2], [0.25, 0.5, 0.0, 0.7])
both("special.logit", sp.logit, [0.0, 1e-6, 0.25, 0.5, 0.9, 1.0])
both("special.expit", sp.expit, R + [-100.0, 100.0])
M = [[1.0, 2.0, 3.0], [1000.0, -1000.0, 0.5]]
both("special.logsumexp", lambda a: sp.logsumexp(a), M, tag=".all")
both("special.logsumexp:last", lambda a: sp.logsumexp(a, axis=-1), M)
both("special.logsumexp:b", lambda a, b: sp.logsumexp(a, axis=0, b=b), M, [[1.0, -1.0, 2.0], [0.5, 0.0, 1.0]])
both("special.softmax:last", lambda a: sp.softmax(a, axis=-1), M)
both("special.log_softmax:last", lambda a: sp.log_softmax(a, axis=-1), M)
both("special.boxcox", sp.boxcox, [0.5, 2.0, 4.0], [0.0, 0.5, -1.0])
both("special.boxcox1p", sp.boxcox1p, [1e-8, 2.0, 3.0], [0.0, 0.5, -1.0])
both("special.zeta", sp.zeta, [2.0, 3.0, 1.5, 4.5, 10.0, 2.0], [1.0, 1.0, 2.0, 0.5, 3.0, 100.0])
both("special.i0e", sp.i0e, [-10.0, -1.0, 0.0, 0.5, 3.0, 8.0, 8.5, 50.0])
both("special.i0", sp.i0, [-10.0, -1.0, 0.0, 0.5, 3.0, 8.0, 8.5, 50.0])
both("special.spence", sp.spence, [-1.0, 0.0, 0.2, 0.5, 1.0, 1.7, 2.0, 3.5, 10.0])
both("special.sici:si", lambda x: sp.sici(x)[0], [-5.0, -1.0, 0.0, 0.5, 3.9, 4.5, 7.0, 9.0, 100.0, 2e9])
both("special.sici:ci", lambda x: sp.sici(x)[1], [-5.0, 0.0, 0.5, 3.9, 4.5, 7.0, 9.0, 100.0, 2e9])
both("special.expn", sp.expn, [0.0, 1.0, 2.0, 3.0, 1.0, 5.0, 2.0, 6000.0, 1.0], [0.5, 0.0, 0.0, 0.3, 1.0, 2.5, 30.0, 3.0, -1.0])
both("special.exp1", sp.exp1, [0.0, 1e-3, 0.5, 1.0, 1.5, 5.0, 40.0])
both("special.expi", sp.expi, [-30.0, -2.0, -0.5, 0.0, 0.5, 1.0, 3.0, 5.0, 10.0, 20.0, 40.0, 60.0, 100.0])
case("special.bernoulli:10", "f32", lambda _: sp.bernoulli(10).astype(np.float32), np.zeros(1, np.float32))

# --- jax.scipy.stats ---------------------------------------------------------------
X = [-2.0, -0.5, 0.0, 0.7, 1.5, 4.0]
for f in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
    both(f"stats.norm.{f}", lambda x, l, s, f=f: getattr(st.norm, f)(x, l, s), X + [-40.0], 0.5, 1.5)
for f in ("ppf", "isf"):
    both(f"stats.norm.{f}", lambda q, l, s, f=f: getattr(st.norm, f)(q, l, s), U, 0.5, 1.5)
for f in ("logpdf", "pdf"):
    both(f"stats.t.{f}", lambda x, d, l, s, f=f: getattr(st.t, f)(x, d, l, s), X, [1.0, 2.5, 3.0, 5.0, 30.0, 2.0], 0.2, 1.3)
for f in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"):
    args = (U if f == "ppf" else X, 0.5, 2.0)
    both(f"stats.expon.{f}", lambda x, l, s, f=f: getattr(st.expon, f)(x, l, s), *args)
for f in ("logpdf", "pdf", "cdf"):
    both(f"stats.laplace.{f}", lambda x, l, s, f=f: getattr(st.laplace, f)(x, l, s), X, 0.5, 2.0)
for f in ("logpdf", "pdf", "cdf", "sf", "ppf", "isf"):
    args = (U if f in ("ppf", "isf") else X, 0.5, 2.0)
    both(f"stats.logistic.{f}", lambda x, l, s, f=f: getattr(st.logistic, f)(x, l, s), *args)
for f in ("logpdf", "pdf", "cdf", "ppf"):
    args = (U if f == "ppf" else X, -0.5, 2.0)
    both(f"stats.uniform.{f}", lambda x, l, s, f=f: getattr(st.uniform, f)(x, l, s), *args)
for f in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"):
    args = (U if f in ("ppf", "isf") else X, 0.5, 2.0)
    both(f"stats.cauchy.{f}", lambda x, l, s, f=f: getattr(st.cauchy, f)(x, l, s), *args)
for f in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
    both(f"stats.gamma.{f}", lambda x, a, l, s, f=f: getattr(st.gamma, f)(x, a, l, s), X, [0.5, 1.0, 2.5, 3.0, 7.0, 1.5], -0.25, 1.5)
    both(f"stats.chi2.{f}", lambda x, a, l, s, f=f: getattr(st.chi2, f)(x, a, l, s), X, [1.0, 2.0, 2.5, 3.0, 7.0, 4.0], -0.25, 1.5)
    both(f"stats.beta.{f}", lambda x, a, b, l, s, f=f: getattr(st.beta, f)(x, a, b, l, s),
         [-1.0, -0.3, 0.1, 0.5, 1.2, 1.9], [0.5, 2.0, 2.5, 3.0, 1.0, 1.5], [0.5, 1.0, 4.0, 2.0, 3.0, 0.7], -0.5, 2.5)
for d in ("gumbel_l", "gumbel_r"):
    for f in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"):
        args = (U if f == "ppf" else X + [40.0], 0.5, 2.0)
        both(f"stats.{d}.{f}", lambda x, l, s, f=f, d=d: getattr(getattr(st, d), f)(x, l, s), *args)
for f in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"):
    args = (U[:5] if f == "ppf" else [0.5, 1.6, 2.0, 3.0, 10.0], [1.5, 2.0, 0.5, 3.0, 1.0], 0.1, 1.5)
    both(f"stats.pareto.{f}", lambda x, b, l, s, f=f: getattr(st.pareto, f)(x, b, l, s), *args)
K = [-1.0, 0.0, 1.0, 2.0, 3.0, 2.5, 7.0]
for f in ("logpmf", "pmf", "cdf"):
    both(f"stats.poisson.{f}", lambda k, m, l, f=f: getattr(st.poisson, f)(k, m, l), K, [0.5, 1.0, 2.0, 3.5, 0.1, 2.0, 4.0], 0.0)
for f in ("logpmf", "pmf"):
    both(f"stats.bernoulli.{f}", lambda k, p, l, f=f: getattr(st.bernoulli, f)(k, p, l), [0.0, 1.0, 0.0, 1.0, 2.0], [0.25, 0.25, 0.0, 1.0, 0.5], 0.0)
    both(f"stats.geom.{f}", lambda k, p, l, f=f: getattr(st.geom, f)(k, p, l), [0.0, 1.0, 2.0, 5.0], [0.25, 0.25, 0.5, 0.1], 0.0)
for f in ("logpmf", "pmf"):
    both(f"stats.binom.{f}", lambda k, n, p, l, f=f: getattr(st.binom, f)(k, n, p, l),
         [0.0, 1.0, 3.0, 5.0, 6.0, 0.0], [5.0, 5.0, 5.0, 5.0, 5.0, 0.0], [0.3, 0.3, 0.5, 1.0, 0.5, 0.2], 0.0)
    both(f"stats.nbinom.{f}", lambda k, n, p, l, f=f: getattr(st.nbinom, f)(k, n, p, l),
         [0.0, 1.0, 3.0, 7.0, -1.0], [1.0, 2.5, 3.0, 5.0, 2.0], [0.3, 0.5, 0.5, 0.8, 0.5], 0.0)
    for dt, nm in ((np.float32, "f32"), (np.float64, "f64")):
        case(f"stats.multinomial.{f}", nm, getattr(st.multinomial, f), np.array([2, 0, 1], np.int32),
             np.array(3, np.int32), np.array([0.2, 0.5, 0.3], dt))
both("stats.bernoulli.cdf", st.bernoulli.cdf, [-1.0, 0.0, 0.5, 1.0, 2.0, 0.5], [0.25, 0.25, 0.25, 0.25, 0.25, 1.5])
both("stats.bernoulli.ppf", st.bernoulli.ppf, [0.1, 0.75, 0.9, 0.5, -0.1], [0.25, 0.25, 0.25, 1.5, 0.5])
XS = [[0.5, -1.0, 2.0], [0.0, 0.3, -0.7]]
MEAN = [0.1, -0.2, 0.3]
COV = [[2.0, 0.3, -0.4], [0.3, 1.5, 0.2], [-0.4, 0.2, 1.0]]
for f in ("logpdf", "pdf"):
    both(f"stats.multivariate_normal.{f}", getattr(st.multivariate_normal, f), XS, MEAN, COV)
    both(f"stats.multivariate_normal.{f}", getattr(st.multivariate_normal, f), XS, MEAN, 0.7, tag=".iso")
    both(f"stats.multivariate_normal.{f}", getattr(st.multivariate_normal, f), [0.5, -1.0, 2.0], 0.3, 1.7, tag=".uni")

# --- derivatives (JAX's custom JVPs), elementwise by vmap(grad) ------------------------
def g1(f):
    return jax.vmap(jax.grad(f))


def g2(f, argnum):
    return jax.vmap(jax.grad(f, argnums=argnum))


for dt, nm in ((np.float32, "f32"), (np.float64, "f64")):
    a = lambda v: np.array(v, dt)  # noqa: E731
    case("grad.log_ndtr", nm, g1(sp.log_ndtr), a([-40.0, -15.0, -3.0, 0.0, 4.0, 10.0]))
    case("grad.ndtri", nm, g1(sp.ndtri), a([1e-6, 0.02, 0.3, 0.5, 0.9, 0.999]))
    case("grad.erfcx", nm, g1(sp.erfcx), a([-2.0, 0.0, 1.0, 5.0, 30.0]))
    case("grad.dawsn", nm, g1(sp.dawsn), a([-2.0, 0.0, 1.0, 5.0, 30.0]))
    case("grad.logit", nm, g1(sp.logit), a([0.1, 0.5, 0.9]))
    case("grad.entr", nm, g1(sp.entr), a([0.1, 0.5, 2.0]))
    case("grad.xlogy.x", nm, g2(sp.xlogy, 0), a([0.0, 1.0, 2.0]), a([2.0, 0.5, 3.0]))
    case("grad.xlogy.y", nm, g2(sp.xlogy, 1), a([0.0, 1.0, 2.0]), a([2.0, 0.5, 3.0]))
    case("grad.xlog1py.y", nm, g2(sp.xlog1py, 1), a([0.0, 1.0, 2.0]), a([-1.0, 0.5, 3.0]))
    case("grad.rel_entr.p", nm, g2(sp.rel_entr, 0), a([0.5, 0.2, 1.5]), a([0.25, 0.7, 1.0]))
    case("grad.zeta.x", nm, g2(sp.zeta, 0), a([2.0, 3.0, 4.5]), a([1.0, 2.0, 0.5]))
    case("grad.zeta.q", nm, g2(sp.zeta, 1), a([2.0, 3.0, 4.5]), a([1.0, 2.0, 0.5]))
    case("grad.poch.z", nm, g2(sp.poch, 0), a([3.0, 0.5, 2.5]), a([2.0, 1.0, 1.5]))
    case("grad.betainc.x", nm, jax.vmap(jax.grad(sp.betainc, argnums=2)), a([0.5, 2.0, 5.0]),
         a([0.5, 2.0, 1.0]), a([0.1, 0.3, 0.9]))
    case("grad.gammainc.a", nm, g2(sp.gammainc, 0), a([0.5, 2.5, 5.0]), a([0.1, 1.0, 20.0]))
    case("grad.expi", nm, g1(sp.expi), a([-2.0, 0.5, 10.0]))
    case("grad.exp1", nm, g1(sp.exp1), a([0.3, 2.0]))
    case("grad.sici.si", nm, g1(lambda x: sp.sici(x)[0]), a([-1.0, 2.0, 9.0]))
    case("grad.sici.ci", nm, g1(lambda x: sp.sici(x)[1]), a([1.0, 2.0, 9.0]))
    case("grad.i0e", nm, g1(sp.i0e), a([-3.0, 0.5, 9.0]))
    case("grad.norm.logcdf", nm, g1(lambda x: st.norm.logcdf(x, 0.5, 1.5)), a([-40.0, 0.0, 3.0]))

with open(OUT, "w") as fh:
    fh.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} lines to {OUT}")
