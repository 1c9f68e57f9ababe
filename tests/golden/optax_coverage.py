"""Which of optax's optimizers, losses and schedules have a twin in ferrax.

Lists optax's public names from optax itself: the optimizers are the `optax.*` aliases (the
functions of `optax._src.alias`, and `nadam`/`nadamw`, which optax defines as partials of
them), the losses are `optax.losses`' public functions, the schedules `optax.schedules`'
public functions (classes and type aliases left out). Lists ferrax's public functions from
rustdoc's output (`cargo doc --no-deps --lib`: one `fn.NAME.html` page each) in
`ferrax::optim` (optimizers, schedules) and `ferrax::losses`, and writes
tests/golden/optax_coverage.txt: one coverage line per group, then one line per name,
`GROUP covered NAME` or `GROUP missing NAME REASON`. tests/nn/optim_coverage.rs checks that
every name called covered exists in ferrax.

    python3 tests/golden/optax_coverage.py      # optax 0.2.8, JAX 0.10.2
"""

import functools
import inspect
import pathlib
import subprocess

import optax
from coverage_common import public_functions, rustdoc_functions

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Why each missing name is left out.
REASONS = {
    "lbfgs": "needs the loss value and a line search (scale_by_zoom_linesearch) through extra update arguments",
    "make_fenchel_young_loss": "takes a max function and differentiates through it with custom JVPs; a higher-order helper",
    "multiclass_sparsemax_loss": "needs sparsemax's sort (new sort calls are kept out of ferrax's compile-time budget)",
    "inject_stateful_hyperparams": "stateful schedules (StatefulSchedule) have no ferrax counterpart; inject_hyperparams covers stateless ones",
}


def is_alias(obj):
    if isinstance(obj, functools.partial):
        obj = obj.func
    return inspect.isfunction(obj) and obj.__module__ == "optax._src.alias"





def ferrax_functions(module):
    return rustdoc_functions(module)


def main():
    subprocess.run(["cargo", "doc", "--no-deps", "--lib", "--quiet"], cwd=ROOT, check=True)
    groups = [
        ("optimizers", public_functions(optax, is_alias), ferrax_functions("optim")),
        ("losses", public_functions(optax.losses), ferrax_functions("losses")),
        ("schedules", public_functions(optax.schedules), ferrax_functions("optim")),
    ]
    head, body = [], []
    for group, names, ours in groups:
        n = 0
        for name in names:
            if name in ours:
                n += 1
                body.append(f"{group} covered {name}")
            else:
                body.append(f"{group} missing {name} {REASONS.get(name, 'not written yet')}")
        head.append(
            f"# optax {optax.__version__} {group}: {len(names)} public names; "
            f"ferrax covers {n} ({100.0 * n / len(names):.1f}%)"
        )
    (ROOT / "tests" / "golden" / "optax_coverage.txt").write_text("\n".join(head + body) + "\n")
    print("\n".join(head))


if __name__ == "__main__":
    main()
