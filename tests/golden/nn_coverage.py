"""Which of jax.nn's public functions (and jax.nn.initializers') have a twin in ferrax::nn
(and ferrax::nn::init).

Lists the public functions from JAX itself (callables that are not classes or submodules,
as tests/golden/numpy_coverage.py does for jax.numpy), lists ferrax's from the source: every
`pub fn NAME` of src/nn/activations/ (jax.nn) and src/nn/init.rs, plus the names the
`variance_scaling_presets!` macro there defines (`NAME => (scale, mode, distribution);`),
and writes tests/golden/nn_coverage.txt: one coverage line per module, then every function
marked covered or missing (with the reason for a missing one). tests/nn/coverage.rs checks
that each name marked covered exists.

    python3 tests/golden/nn_coverage.py      # JAX 0.10.2
"""

import os
import pathlib

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.nn  # noqa: E402
from coverage_common import public_functions, source_functions

ROOT = pathlib.Path(__file__).resolve().parents[2]
MISSING_REASONS = {
    "scaled_dot_general": "block-scaled dot_general for fp8/nvfp4 operands (cuDNN on "
    "Blackwell GPUs); ferrax has no fp8/fp4 dtypes (its plain composition is scaled_matmul)",
    "get_scaled_dot_general_config": "returns the mxfp8/nvfp4 configs of scaled_dot_general",
}


def jax_functions(module):
    return public_functions(module)


def ferrax_functions(paths):
    return source_functions(paths, (r"\bpub fn (\w+)", r"^\s+(\w+) => \([^)]*\);"))


def main():
    activations = sorted((ROOT / "src" / "nn" / "activations").glob("*.rs"))
    modules = [
        ("nn", jax.nn, ferrax_functions(activations)),
        ("initializers", jax.nn.initializers, ferrax_functions([ROOT / "src/nn/init.rs"])),
    ]
    header, body = [], []
    for label, module, ours in modules:
        names = jax_functions(module)
        covered = [n in ours for n in names]
        n = sum(covered)
        header.append(
            f"# jax.{'nn.' if label != 'nn' else ''}{label} {jax.__version__}: {len(names)} "
            f"public functions; ferrax covers {n} ({100.0 * n / len(names):.1f}%)"
        )
        for name, c in zip(names, covered):
            if c:
                body.append(f"covered {label}.{name}")
            else:
                reason = MISSING_REASONS.get(name, "not written yet")
                body.append(f"missing {label}.{name}: {reason}")
    (ROOT / "tests" / "golden" / "nn_coverage.txt").write_text("\n".join(header + body) + "\n")
    print("\n".join(header))


if __name__ == "__main__":
    main()
