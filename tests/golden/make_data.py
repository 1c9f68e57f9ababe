"""Prints the expected per-epoch shuffles for tests/nn/data.rs (JAX 0.10.2, CPU): epoch e of
`ferrax::data::Batches::shuffle(key)` uses jax.random.permutation(fold_in(key, e), n).
Run from the repository root and paste the output into `JAX_PERMUTATIONS`:

    python3 tests/golden/make_data.py
"""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

for seed in (0, 42):
    k = jax.random.PRNGKey(seed)
    for e in (0, 1, 3):
        p = jax.random.permutation(jax.random.fold_in(k, e), 10).tolist()
        print(f"    ({seed}, {e}, {p}),")
