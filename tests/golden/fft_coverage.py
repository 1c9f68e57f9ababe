"""Which of jax.numpy.fft's public functions have a twin in ferrax::fft.

Lists jax.numpy.fft's public functions from JAX itself (callables that are not classes or
submodules), finds ferrax::fft's in its source (`pub fn NAME(` in src/fft/, or a
`one_axis!`/`many_axes!` invocation whose first line is `NAME, NAME_with, ...`), and writes
tests/golden/fft_coverage.txt: the coverage line, then every function marked covered or
missing. tests/prims/fft_coverage.rs checks that every covered name is callable.

    python3 tests/golden/fft_coverage.py      # JAX 0.10.2
"""

import pathlib

import jax
import jax.numpy as jnp
from coverage_common import public_functions, source_functions

ROOT = pathlib.Path(__file__).resolve().parents[2]


def jax_functions():
    return public_functions(jnp.fft)


def ferrax_functions():
    paths = sorted((ROOT / "src" / "fft").glob("*.rs"))
    return source_functions(paths, (r"^pub fn (\w+)\(", r"^    (\w+), \1_with, "))


def main():
    jax_fns = jax_functions()
    ours = ferrax_functions()
    covered = [name in ours for name in jax_fns]
    n = sum(covered)
    lines = [
        f"# jax.numpy.fft {jax.__version__}: {len(jax_fns)} public functions; "
        f"ferrax::fft covers {n} ({100.0 * n / len(jax_fns):.1f}%)"
    ]
    lines += [f"{'covered' if c else 'missing'} {name}" for name, c in zip(jax_fns, covered)]
    (ROOT / "tests" / "golden" / "fft_coverage.txt").write_text("\n".join(lines) + "\n")
    print(lines[0])


if __name__ == "__main__":
    main()
