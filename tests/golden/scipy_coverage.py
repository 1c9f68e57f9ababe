"""Which of jax.scipy.special's public functions, and which functions of jax.scipy.stats's
distributions, have a twin in ferrax::scipy.

Lists the names from JAX itself (jax.scipy.special: the public callables that are not
classes or modules; jax.scipy.stats: each distribution module's public functions defined in
it), lists ferrax's from its source (`pub fn NAME` in src/scipy/special/*.rs, and `pub fn`
inside each `pub mod DIST` of src/scipy/stats/*.rs), and writes
tests/golden/scipy_coverage.txt: a coverage line per package, then every name marked
`covered` or `missing` (missing ones with the reason, from REASONS below).
tests/prims/scipy_coverage.rs checks the file against the source. Run from the repository
root:

    python3 tests/golden/scipy_coverage.py      # JAX 0.10.2
"""

import inspect
import pathlib
import re

import jax
import jax.scipy.special as sp
import jax.scipy.stats as st
from coverage_common import public_functions, source_functions

ROOT = pathlib.Path(__file__).resolve().parents[2]

REASONS = {
    "i1": "lax.bessel_i1e lowers to XLA's chlo kernel (no coefficients in JAX's Python): needs a primitive",
    "i1e": "lax.bessel_i1e lowers to XLA's chlo kernel (no coefficients in JAX's Python): needs a primitive",
    "bessel_jn": "not yet: JAX's backward recurrence in a scan over a static order",
    "fresnel": "not yet: Cephes' rational approximations (long tables)",
    "hyp1f1": "not yet: series and asymptotic expansion in while loops, with JAX's derivatives",
    "hyp2f1": "not yet: the terminal, series and digamma-transform branches",
    "sph_harm_y": "not yet: associated Legendre recurrences",
    "wofz": "complex-valued (the Faddeeva function); ferrax::scipy covers real inputs",
    "owens_t": "not yet: JAX's quadrature tables",
}


def special_functions():
    return public_functions(sp)


def stats_functions():
    """{distribution: [function names]} for each distribution module of jax.scipy.stats."""
    out = {}
    for name in dir(st):
        mod = getattr(st, name)
        if name.startswith("_") or not inspect.ismodule(mod):
            continue
        fns = []
        for f in dir(mod):
            obj = getattr(mod, f)
            if f.startswith("_") or not inspect.isfunction(obj):
                continue
            if obj.__module__ != f"jax._src.scipy.stats.{name}":
                continue
            fns.append(f)
        if fns:
            out[name] = sorted(fns)
    return out


def ferrax_special():
    return source_functions((ROOT / "src" / "scipy" / "special").glob("*.rs"))


def ferrax_stats():
    out = {}
    for p in (ROOT / "src" / "scipy" / "stats").glob("*.rs"):
        module = None
        for line in p.read_text().splitlines():
            m = re.match(r"^pub mod (\w+) \{", line)
            if m:
                module = m.group(1)
                continue
            m = re.match(r"^    pub fn (\w+)", line)
            if m and module:
                out.setdefault(module, set()).add(m.group(1))
    return out


def main():
    lines = []
    jsp, ours = special_functions(), ferrax_special()
    covered = [n for n in jsp if n in ours]
    lines.append(
        f"# jax.scipy.special {jax.__version__}: {len(jsp)} public functions; "
        f"ferrax::scipy::special covers {len(covered)} ({100.0 * len(covered) / len(jsp):.1f}%)"
    )
    for n in jsp:
        lines.append(f"covered special.{n}" if n in ours else f"missing special.{n}: {REASONS.get(n, 'not yet')}")
    jst, ours_st = stats_functions(), ferrax_stats()
    total = sum(len(v) for v in jst.values())
    cov = sum(1 for d, fs in jst.items() for f in fs if f in ours_st.get(d, ()))
    dists = sum(1 for d in jst if d in ours_st)
    lines.append(
        f"# jax.scipy.stats {jax.__version__}: {len(jst)} distributions with {total} functions; "
        f"ferrax::scipy::stats covers {dists} distributions and {cov} functions ({100.0 * cov / total:.1f}%)"
    )
    for d, fs in jst.items():
        for f in fs:
            if f in ours_st.get(d, ()):
                lines.append(f"covered stats.{d}.{f}")
            else:
                why = "not yet" if d in ours_st else "distribution not yet"
                lines.append(f"missing stats.{d}.{f}: {why}")
    (ROOT / "tests" / "golden" / "scipy_coverage.txt").write_text("\n".join(lines) + "\n")
    print(lines[0])
    print([l for l in lines if l.startswith("# jax.scipy.stats")][0])


if __name__ == "__main__":
    main()
