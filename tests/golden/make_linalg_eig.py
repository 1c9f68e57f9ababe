"""Writes tests/golden/linalg_eig.txt: JAX 0.10.2 (CPU) outputs for the second part of the
linear algebra (jax.lax.linalg.eig, jax.numpy.linalg.eig/eigvals, jax.scipy.linalg.expm and
expm_frechet, jax.lax.linalg.tridiagonal_solve, jax.lax.custom_linear_solve), read by
tests/prims/linalg_eig.rs, linalg_expm.rs and linalg_tridiagonal.rs. Run from the repository
root:

    python3 tests/golden/make_linalg_eig.py

Format: golden_format.py's (`name dtype shape v1 v2 ...`), as make_linalg.py (kept in a file
of its own so that linalg_golden.rs's catch-all over linalg.txt stays as it is). Lines named
`in.X` are inputs; names ending in `_f64` are f64 (x64 on), the others f32. eig's eigenvalues
are written in LAPACK's order and its eigenvectors as LAPACK normalises them (unit 2-norm,
largest component real); the Rust test compares them up to ordering and a unit phase per
eigenvector, as JAX's own tests do. The tests never run Python.
"""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import jax.scipy.linalg as jsl  # noqa: E402
import numpy as np  # noqa: E402
from golden_format import emitter, float_dtype  # noqa: E402

assert jax.__version__ == "0.10.2", jax.__version__
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "linalg_eig.txt")
rng = np.random.default_rng(20261207 + 2)
lines = []


emit = emitter(lines)
dt = float_dtype


RAW = {
    # eig
    "g4": rng.standard_normal((4, 4)),
    "g5_f64": rng.standard_normal((5, 5)),
    "gb_f64": rng.standard_normal((2, 3, 3)),
    "rot_f64": np.array([[0.0, -2.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 3.0]]),
    # expm: small norm (low Padé degree), large norm (squarings), batched
    "small3": 0.05 * rng.standard_normal((3, 3)),
    "mid3_f64": 0.6 * rng.standard_normal((3, 3)),
    "big4_f64": 3.0 * rng.standard_normal((4, 4)),
    "big4": 3.0 * rng.standard_normal((4, 4)),
    "expb_f64": rng.standard_normal((2, 3, 3)),
    "dir3_f64": rng.standard_normal((3, 3)),
    # tridiagonal_solve
    "dl5": np.concatenate([[0.0], rng.standard_normal(4)]),
    "d5": 4.0 + rng.standard_normal(5),
    "du5": np.concatenate([rng.standard_normal(4), [0.0]]),
    "b5": rng.standard_normal((5, 2)),
    "dlb_f64": np.concatenate([np.zeros((2, 1)), rng.standard_normal((2, 3))], axis=1),
    "db_f64": 4.0 + rng.standard_normal((2, 4)),
    "dub_f64": np.concatenate([rng.standard_normal((2, 3)), np.zeros((2, 1))], axis=1),
    "bb_f64": rng.standard_normal((2, 4, 3)),
}
IN = {k: np.asarray(v, dt(k)) for k, v in RAW.items()}
for k, v in IN.items():
    emit(f"in.{k}", v)

for k in ["g4", "g5_f64", "gb_f64", "rot_f64"]:
    emit(f"eig.{k}", jax.lax.linalg.eig(IN[k]))  # w, vl, vr
    emit(f"eigvals.{k}", jnp.linalg.eigvals(IN[k]))
    # d/dA of sum(re(w)) + sum(im(w)^2): the eigenvalue JVP through reverse mode.
    f = lambda a: jnp.sum(jnp.real(jnp.linalg.eigvals(a))) + jnp.sum(jnp.imag(jnp.linalg.eigvals(a)) ** 2)
    emit(f"eigvals_grad.{k}", jax.grad(f)(IN[k]))

for k in ["small3", "mid3_f64", "big4_f64", "big4", "expb_f64", "g4", "g5_f64"]:
    emit(f"expm.{k}", jsl.expm(IN[k]))
emit("expm_frechet.mid3_f64", jsl.expm_frechet(IN["mid3_f64"], IN["dir3_f64"]))
emit("expm_grad.mid3_f64", jax.grad(lambda a: jnp.sum(jsl.expm(a) * IN["dir3_f64"]))(IN["mid3_f64"]))

emit("tridiagonal_solve.5", jax.lax.linalg.tridiagonal_solve(IN["dl5"], IN["d5"], IN["du5"], IN["b5"]))
emit("tridiagonal_solve.b_f64",
     jax.lax.linalg.tridiagonal_solve(IN["dlb_f64"], IN["db_f64"], IN["dub_f64"], IN["bb_f64"]))


def tri_loss(dl, d, du, b):
    x = jax.lax.linalg.tridiagonal_solve(dl, d, du, b)
    return jnp.sum(x * jnp.arange(x.size, dtype=x.dtype).reshape(x.shape))


emit("tridiagonal_grad.b_f64",
     jax.grad(tri_loss, argnums=(0, 1, 2, 3))(IN["dlb_f64"], IN["db_f64"], IN["dub_f64"], IN["bb_f64"]))

with open(OUT, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} lines to {OUT}")
