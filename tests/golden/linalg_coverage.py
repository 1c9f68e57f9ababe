"""Which functions of jax.numpy.linalg, jax.scipy.linalg and jax.lax.linalg have a twin in
ferrax.

Lists the names from JAX itself (each module's public callables that are not classes or
modules), lists ferrax's from its source (`pub fn NAME` at the start of a line in the
module's files: src/linalg/ for ferrax::linalg, src/numpy/ for ferrax::numpy, src/prims/linalg/
for ferrax::lax::linalg), and writes tests/golden/linalg_coverage.txt: a coverage line per
JAX module, then every name marked `covered` (with the ferrax path that has it) or `missing`
(with the reason, from REASONS below; the names another engineer is adding in this session
are "in progress"). tests/prims/linalg_coverage.rs checks the file against the source. Run
from the repository root:

    python3 tests/golden/linalg_coverage.py      # JAX 0.10.2
"""

import pathlib

import jax
import jax.lax.linalg as lax_linalg
import jax.numpy.linalg as np_linalg
import jax.scipy.linalg as sp_linalg
from coverage_common import public_functions, source_functions

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Names being added on another branch, reported as "in progress" until it merges.
IN_PROGRESS = set()

REASONS = {
    "matrix_norm": "not yet as its own name: norm_with(NormOpts { ord, axis: last two }) computes it",
    "vector_norm": "not yet as its own name: norm_with(NormOpts { ord, axis }) computes it",
    "lu": "not yet as scipy's (p, l, u) triple: lu_factor and lax::linalg::lu give the packed factors",
    "qr_multiply": "not yet",
    "schur": "not yet: faer 0.24 keeps its Schur QR private (needs our own Hessenberg QR)",
    "polar": "not yet: composes svd",
    "sqrtm": "not yet: needs the complex Schur form",
    "funm": "not yet: needs the complex Schur form",
    "rsf2csf": "not yet: needs the Schur form",
    "hessenberg": "not yet: needs a Hessenberg reduction primitive",
    "eigh_tridiagonal": "not yet: needs a tridiagonal eigensolver",
    "solve_sylvester": "not yet: needs the Schur form",
    "cholesky_update": "not yet: rank-one update primitive",
    "householder_product": "not yet: qr's Q is formed inside the qr kernel",
    "ormqr": "not yet: qr's Q is formed inside the qr kernel",
    "lu_pivots_to_permutation": "not yet as a public function: lu returns the permutation",
    "symmetric_product": "not yet",
    "tridiagonal": "not yet: tridiagonal reduction primitive",
}
CONSTRUCTORS = {
    "circulant", "companion", "convolution_matrix", "dft", "fiedler", "fiedler_companion",
    "hadamard", "hankel", "helmert", "hilbert", "invhilbert", "invpascal", "leslie", "pascal",
    "toeplitz",
}


def public(mod):
    return public_functions(mod)


def ferrax_fns(dir_):
    return source_functions((ROOT / dir_).rglob("*.rs"))


def reason(name):
    if name in IN_PROGRESS:
        return "in progress"
    if name in CONSTRUCTORS:
        return "not yet: special-matrix constructor"
    return REASONS.get(name, "not yet")


def section(lines, label, key, names, homes):
    covered = 0
    body = []
    for n in names:
        home = next((path for path, fns in homes if n in fns), None)
        if home is not None and n not in IN_PROGRESS:
            covered += 1
            body.append(f"covered {key}.{n}: {home}::{n}")
        else:
            body.append(f"missing {key}.{n}: {reason(n)}")
    lines.append(
        f"# {label} {jax.__version__}: {len(names)} public functions; "
        f"ferrax covers {covered} ({100.0 * covered / len(names):.1f}%)"
    )
    lines.extend(body)


def main():
    linalg = ("ferrax::linalg", ferrax_fns("src/linalg"))
    numpy = ("ferrax::numpy", ferrax_fns("src/numpy"))
    lax = ("ferrax::lax::linalg", ferrax_fns("src/prims/linalg"))
    lines = []
    section(lines, "jax.numpy.linalg", "numpy.linalg", public(np_linalg), [linalg, numpy])
    section(lines, "jax.scipy.linalg", "scipy.linalg", public(sp_linalg), [linalg])
    section(lines, "jax.lax.linalg", "lax.linalg", public(lax_linalg), [lax])
    (ROOT / "tests" / "golden" / "linalg_coverage.txt").write_text("\n".join(lines) + "\n")
    for line in lines:
        if line.startswith("#"):
            print(line)


if __name__ == "__main__":
    main()
