"""Which of jax.random's public functions have a twin in ferrax::random.

Lists jax.random's public functions from JAX itself (callables that are not classes), splits
them into samplers and key management, reads ferrax::random's public names from the
`pub use` lines of src/random/mod.rs (each sampler is a plain re-exported function), and
writes tests/golden/random_coverage.txt: the coverage line for the samplers, then every name
marked covered or missing, with a reason for each missing one and the twin's name where it
differs. tests/nn/random_coverage.rs checks that every name called covered exists.

    python3 tests/golden/random_coverage.py      # JAX 0.10.2
"""

import pathlib
import re

import jax
import jax.random as jr
from coverage_common import public_functions

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Key management (not samplers): ferrax keys are raw u32[2] arrays, as jax.random.PRNGKey's.
KEY_FUNCTIONS = {
    "PRNGKey": "prng_key",
    "key": "key",
    "split": "split",
    "fold_in": "fold_in",
    "clone": None,
    "key_data": None,
    "key_dtype": None,
    "key_impl": None,
    "wrap_key_data": None,
}
KEY_REASON = ("ferrax keys are raw u32[2] arrays (JAX's legacy PRNGKey form); there are no "
              "typed key arrays to clone, wrap, unwrap or ask for their impl")
MISSING_REASON = {
}


def jax_functions():
    return public_functions(jr)


def ferrax_functions():
    text = (ROOT / "src" / "random" / "mod.rs").read_text()
    names = set()
    for block in re.findall(r"pub use [\w:]+::\{([^}]*)\}", text):
        names.update(n.strip() for n in block.split(",") if n.strip())
    names.update(re.findall(r"pub use [\w:]+::(\w+);", text))
    return names


def main():
    ours = ferrax_functions()
    lines = []
    samplers = [n for n in jax_functions() if n not in KEY_FUNCTIONS]
    covered = [n for n in samplers if n in ours]
    lines.append(
        f"# jax.random {jax.__version__}: {len(samplers)} samplers; ferrax::random covers "
        f"{len(covered)} ({100.0 * len(covered) / len(samplers):.1f}%); key management below"
    )
    for n in samplers:
        if n in ours:
            lines.append(f"covered {n}")
        else:
            lines.append(f"missing {n} -- {MISSING_REASON.get(n, 'not yet implemented')}")
    for n in sorted(KEY_FUNCTIONS):
        twin = KEY_FUNCTIONS[n]
        if twin and twin in ours:
            lines.append(f"covered {n}" + (f" as {twin}" if twin != n else ""))
        else:
            lines.append(f"missing {n} -- {KEY_REASON}")
    (ROOT / "tests" / "golden" / "random_coverage.txt").write_text("\n".join(lines) + "\n")
    print(lines[0])


if __name__ == "__main__":
    main()
