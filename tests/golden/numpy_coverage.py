"""Which of jax.numpy's public functions have a twin in ferrax::numpy.

Lists jax.numpy's public functions from JAX itself (callables that are not classes or
submodules; `linalg` and `fft` are separate issues), lists ferrax::numpy's public functions
from rustdoc's output (`cargo doc --no-deps --lib`, which also sees the functions that macros
define: one `fn.NAME.html` page each), matches `NAME` or `NAME_` where NAME is a Rust keyword,
and writes tests/golden/numpy_coverage.txt: the coverage line, then every function marked
covered or missing.

    python3 tests/golden/numpy_coverage.py      # JAX 0.10.2
"""

import pathlib
import subprocess

import jax
import jax.numpy as jnp
from coverage_common import public_functions, rustdoc_functions

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUST_KEYWORDS = {"mod", "where", "in", "type", "match", "loop", "use", "fn", "as", "ref"}


def jax_functions():
    return public_functions(jnp)


def ferrax_functions():
    subprocess.run(["cargo", "doc", "--no-deps", "--lib", "--quiet"], cwd=ROOT, check=True)
    return rustdoc_functions("numpy")


def main():
    jax_fns = jax_functions()
    ours = ferrax_functions()
    covered = []
    for name in jax_fns:
        twin = name + "_" if name in RUST_KEYWORDS else name
        covered.append(twin in ours or name in ours)
    n = sum(covered)
    lines = [
        f"# jax.numpy {jax.__version__}: {len(jax_fns)} public functions; "
        f"ferrax::numpy covers {n} ({100.0 * n / len(jax_fns):.1f}%)"
    ]
    lines += [f"{'covered' if c else 'missing'} {name}" for name, c in zip(jax_fns, covered)]
    (ROOT / "tests" / "golden" / "numpy_coverage.txt").write_text("\n".join(lines) + "\n")
    print(lines[0])


if __name__ == "__main__":
    main()
