"""Writes tests/golden/linalg.txt: jax.numpy.linalg / jax.scipy.linalg / jax.lax.linalg outputs
(JAX 0.10.2, CPU) for the ferrax::linalg functions that tests/prims/linalg_golden.rs checks.
Run from the repository root:

    python3 tests/golden/make_linalg.py

Format: golden_format.py's (`name dtype shape v1 v2 ...`, floats as hex bits). Lines named
`in.X` are the inputs (the Rust test reads them, so both sides factor the same bits); the
others are `function.case` outputs, `.0`, `.1`, ... for functions with several outputs. Inputs
whose names end in `_f64` are f64 (x64 is on), the others f32. Decompositions that are unique
only up to signs (qr, eigh's vectors, svd's vectors) are written as JAX returns them; the test
compares them after fixing the signs the same way on both sides. The tests never run Python.
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
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "linalg.txt")
rng = np.random.default_rng(20261207)
lines = []


emit = emitter(lines)
dt = float_dtype


def spd(n, batch=()):
    g = rng.standard_normal(batch + (n, n))
    return g @ np.swapaxes(g, -1, -2) + n * np.eye(n)


def general(*shape):
    return rng.standard_normal(shape) + 0.5 * np.eye(shape[-2], shape[-1])


def sym(n, batch=()):
    g = rng.standard_normal(batch + (n, n))
    return 0.5 * (g + np.swapaxes(g, -1, -2))


RAW = {
    "spd3": spd(3),
    "spd4_f64": spd(4),
    "spdb_f64": spd(3, (2,)),
    "sq3": general(3, 3),
    "sq4_f64": general(4, 4),
    "sqb_f64": general(2, 3, 3),
    "sym4": sym(4),
    "sym3_f64": sym(3),
    "symb_f64": sym(3, (2,)),
    "tall": general(4, 3),
    "tall_f64": general(5, 3),
    "wide_f64": general(3, 5),
    "wideb": general(2, 2, 4),
    "rhs3": rng.standard_normal((3, 2)),
    "rhs4_f64": rng.standard_normal((4, 2)),
    "rhsb_f64": rng.standard_normal((2, 3, 2)),
    "vec3": rng.standard_normal((3,)),
    "rank2_f64": np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 0.5])
    + np.outer([0.0, 1.0, 1.0], [2.0, 0.0, 1.0]),
}
IN = {k: np.asarray(v, dt(k)) for k, v in RAW.items()}
for k, v in IN.items():
    emit("in." + k, v)

for k in ["spd3", "spd4_f64", "spdb_f64"]:
    emit(f"cholesky.{k}", jnp.linalg.cholesky(IN[k]))
    emit(f"det.{k}", jnp.linalg.det(IN[k]))
    emit(f"slogdet.{k}", jnp.linalg.slogdet(IN[k]))
    emit(f"cho_solve.{k}", jsl.cho_solve(jsl.cho_factor(IN[k], lower=True), IN[k][..., :, :2]))

for k, b in [("sq3", "rhs3"), ("sq4_f64", "rhs4_f64"), ("sqb_f64", "rhsb_f64"), ("sq3", "vec3")]:
    a = IN[k]
    emit(f"solve.{k}.{b}", jnp.linalg.solve(a, IN[b]))
    emit(f"solve_triangular.{k}.{b}.lower", jsl.solve_triangular(a, IN[b], lower=True))
    emit(f"solve_triangular.{k}.{b}.upper", jsl.solve_triangular(a, IN[b], lower=False))

for k in ["sq3", "sq4_f64", "sqb_f64"]:
    a = IN[k]
    emit(f"inv.{k}", jnp.linalg.inv(a))
    emit(f"det.{k}", jnp.linalg.det(a))
    emit(f"slogdet.{k}", jnp.linalg.slogdet(a))
    emit(f"lu.{k}", jax.lax.linalg.lu(a))
    emit(f"trace.{k}", jnp.linalg.trace(a))
    emit(f"matrix_power.{k}.p3", jnp.linalg.matrix_power(a, 3))
    emit(f"matrix_power.{k}.m2", jnp.linalg.matrix_power(a, -2))

for k in ["sym4", "sym3_f64", "symb_f64", "spd3"]:
    emit(f"eigh.{k}", jnp.linalg.eigh(IN[k]))
    emit(f"eigvalsh.{k}", jnp.linalg.eigvalsh(IN[k]))

for k in ["sq3", "sq4_f64", "tall", "tall_f64", "wide_f64", "wideb", "rank2_f64"]:
    a = IN[k]
    if k != "rank2_f64":  # r[2, 2] ~ 0 and s[2] ~ 0: those vectors' signs are noise
        emit(f"qr.{k}", jnp.linalg.qr(a))
        emit(f"svd.{k}", jnp.linalg.svd(a, full_matrices=False))
    emit(f"svdvals.{k}", jnp.linalg.svdvals(a))
    emit(f"norm.{k}", jnp.linalg.norm(a))
    emit(f"pinv.{k}", jnp.linalg.pinv(a))
    emit(f"matrix_rank.{k}", jnp.linalg.matrix_rank(a).astype(np.int32))

ORDS = {"none": None, "p1": 1, "p2": 2, "m1": -1, "m2": -2, "inf": np.inf, "minf": -np.inf,
        "fro": "fro", "nuc": "nuc", "p3": 3, "p0": 0}
for k in ["vec3"]:
    for o in ["none", "p1", "p2", "inf", "minf", "p3", "p0"]:
        emit(f"normo.{k}.{o}", jnp.linalg.norm(IN[k], ord=ORDS[o]))
for k in ["sq3", "tall_f64", "wideb"]:
    for o in ["none", "p1", "p2", "m1", "m2", "inf", "minf", "fro", "nuc"]:
        emit(f"normo.{k}.{o}", jnp.linalg.norm(IN[k], ord=ORDS[o], axis=(-2, -1)))
for k in ["sq3", "tall_f64", "wide_f64"]:
    emit(f"cond.{k}", jnp.linalg.cond(IN[k]))
emit("multi_dot.tall_f64", jnp.linalg.multi_dot([IN["tall_f64"].T, IN["tall_f64"], IN["wide_f64"]]))
emit("block_diag.sq3", jsl.block_diag(IN["sq3"], IN["tall"], IN["rhs3"]))
emit("cross.sq3", jnp.linalg.cross(IN["sq3"], IN["rhs3"].T[:, :3] if False else IN["tall"][:3]))
emit("outer.vec3", jnp.linalg.outer(IN["vec3"], IN["vec3"][:2]))
for k, b in [("tall_f64", "rhs3"), ("tall", "rhs3"), ("rank2_f64", "vec3")]:
    a = IN[k]
    bb = np.asarray(RAW[b][: a.shape[0]] if RAW[b].shape[0] >= a.shape[0] else
                    rng.standard_normal((a.shape[0],) + RAW[b].shape[1:]), a.dtype)
    emit(f"in.lstsq_b_{k}", bb)
    x, resid, rank, s = jnp.linalg.lstsq(a, bb)
    emit(f"lstsq.{k}", (x, resid, rank.astype(np.int32), s))
t4 = IN["sq4_f64"].reshape(2, 2, 4)
emit("in.t4_f64", t4)
emit("tensorinv.t4_f64", jnp.linalg.tensorinv(t4, 2))
emit("tensorsolve.t4_f64", jnp.linalg.tensorsolve(t4.reshape(2, 2, 2, 2), IN["sq4_f64"][0].reshape(2, 2)))

with open(OUT, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} lines to {OUT}")
