"""Writes tests/golden/indexing.txt: JAX 0.10.2 (CPU) values of numpy indexing `x[idx]`,
indexed updates `x.at[idx].set/add/mul/min/max/get`, and `jnp.put`, `jnp.place`,
`jnp.put_along_axis`, `jnp.choose`, for tests/prims/indexing.rs. Run from the repository
root:

    python3 tests/golden/make_indexing.py

Format (as tests/golden/numpy.txt): one array per line, `name dtype shape v1 v2 ...`; shape
as `2x3` (`-` for rank 0, `0` for an empty axis); f32 values as hex bit patterns, i32 in
decimal, bool as 0/1. Lines named `in.X` are the inputs; the others are `case` outputs,
whose index expressions the Rust test spells again with `idx!`. The tests never run Python.
"""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from golden_format import array_line  # noqa: E402

assert jax.__version__ == "0.10.2", jax.__version__
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "indexing.txt")
lines = []


def emit(name, x):
    lines.append(array_line(name, x))


INPUTS = {
    "X": (np.arange(24, dtype=np.float32) * 0.5 - 3.0).reshape(2, 3, 4),
    "V": np.array([3.0, -1.0, 4.0, 1.5, -5.0, 9.0], np.float32),
    "W": np.array([10.0, -2.0, 0.5, 7.0], np.float32),
    "Vi": np.array([3, -1, 4, 1, -5, 9], np.int32),
    "Wi": np.array([10, -2, 5, 7], np.int32),
    "Vb": np.array([True, False, False, True, False, True]),
    "U4": np.array([1.0, 2.0, 3.0, 4.0], np.float32),
    "U3": np.array([-1.0, -2.0, -3.0], np.float32),
    "I": np.array([2, 0, -1], np.int32),
    "I2": np.array([1, 0, 1], np.int32),
    "J": np.array([[0], [2]], np.int32),
    "J2": np.array([[1], [0]], np.int32),
    "K": np.array([1, 5, -7, 0], np.int32),
    "K3": np.array([5, -7, 1], np.int32),
    "D": np.array([0, 2, 0, 0], np.int32),
    "M": np.array([[True, False, True], [False, False, True]]),
    "Mb": np.array([False, True, True]),
    "MV": np.array([True, False, True, True, False, False]),
    "Z": np.array(1, np.int32),
    "A34": np.arange(12, dtype=np.int32).reshape(3, 4),
    "P": np.array([0, 5, 11], np.int32),
    "P4": np.array([1, 2, 3, 4], np.int32),
    "Pc": np.array([-1, 20], np.int32),
    "Pw": np.array([-1, 13], np.int32),
    "Po": np.array([20, -3], np.int32),
    "T3": np.array([7, 8, 9], np.int32),
    "T2": np.array([1, 2], np.int32),
    "PM": np.array([[True, False, True, False], [False, True, True, False], [False, False, False, True]]),
    "B23": np.array([[10, 30, 20], [60, 40, 50]], np.int32),
    "IA": np.array([[1], [0]], np.int32),
    "IA0": np.array([[1, 0, 1]], np.int32),
    "IAN": np.array([4, 0], np.int32),
    "CA": np.array([2, 0, 1, 1], np.int32),
    "CW": np.array([3, -1, 5, 0], np.int32),
    "C0": np.array([1, 2, 3, 4], np.int32),
    "C1": np.array([10, 20, 30, 40], np.int32),
    "C2": np.array([[100], [200]], np.int32),
}
for k, v in INPUTS.items():
    emit("in." + k, v)
g = {k: jnp.asarray(v) for k, v in INPUTS.items()}
X, V, W, Vi, Wi, Vb = g["X"], g["V"], g["W"], g["Vi"], g["Wi"], g["Vb"]
U4, U3, I, I2, J, J2, K, K3, D = (g[k] for k in ["U4", "U3", "I", "I2", "J", "J2", "K", "K3", "D"])
M, Mb, MV, Z = g["M"], g["Mb"], g["MV"], g["Z"]
A34 = g["A34"]
FILL = dict(mode="fill", fill_value=-1.0)

CASES = {
    # reads: every kind alone
    "get.int": lambda: X[1],
    "get.negint": lambda: X[-1, 2],
    "get.oob_int": lambda: X[5],
    "get.oob_negint": lambda: X[-9, 1],
    "get.slice": lambda: X[:, 1:3],
    "get.slice_neg_bounds": lambda: X[:, -2:, :-1],
    "get.slice_step": lambda: X[..., 1::2],
    "get.slice_big": lambda: X[:, 1:100:2],
    "get.neg_step": lambda: X[:, ::-1],
    "get.neg_step2": lambda: X[1, 2:0:-1, ::-2],
    "get.neg_step3": lambda: X[:, -1:-4:-2, 3:0:-3],
    "get.empty": lambda: X[:, 2:1],
    "get.ellipsis": lambda: X[..., 0],
    "get.ellipsis_mid": lambda: X[0, ..., 1],
    "get.ellipsis_empty": lambda: X[0, 1, ..., 2],
    "get.newaxis": lambda: X[None, 1, :, None],
    "get.newaxis_ell": lambda: X[..., None],
    "get.arr": lambda: X[I2],
    "get.arr_axis1": lambda: X[:, I],
    "get.arr_2d": lambda: X[:, J],
    "get.arr_0d": lambda: X[Z],
    "get.arr_ell": lambda: X[..., I],
    "get.arr_oob": lambda: X[:, K3],
    # combinations
    "get.adjacent": lambda: X[:, I, I],
    "get.separated": lambda: X[I2, :, I],
    "get.int_arr_adjacent": lambda: X[1, I],
    "get.int_arr_separated": lambda: X[1, :, I],
    "get.broadcast": lambda: X[J2, I],
    "get.newaxis_between": lambda: X[I2, None, I],
    "get.newaxis_arr": lambda: X[None, I2, :, I],
    "get.slice_arr_slice": lambda: X[0:1, I, 1::2],
    "get.neg_arr": lambda: X[::-1, I, ::-1],
    "get.all": lambda: X[1, None, ..., I, None],
    "get.mask": lambda: X[M],
    "get.mask_1d": lambda: V[MV],
    "get.mask_axis": lambda: X[:, Mb],
    "get.mask_arr": lambda: X[:, Mb, I2[:2]],
    "get.fill": lambda: V.at[K].get(**FILL),
    "get.fill_nan": lambda: V.at[K].get(mode="fill"),
    "get.fill_2d": lambda: X.at[:, K3, 1:].get(**FILL),
    "get.clip": lambda: V.at[K].get(mode="clip"),
    "get.i32": lambda: Vi[1::2],
    "get.bool": lambda: Vb[I],
    # updates
    "set.int": lambda: X.at[1].set(7.0),
    "set.slice": lambda: X.at[:, 1:3].set(U4),
    "set.neg_step": lambda: X.at[:, ::-1, 0].set(U3),
    "set.neg_step2": lambda: X.at[1, 2:0:-1, ::-2].set(jnp.array([[1.0, 2.0], [3.0, 4.0]])),
    "set.newaxis": lambda: X.at[None, 0, :, None, 1].set(U3[:, None]),
    "set.ellipsis": lambda: X.at[..., 1].set(-1.0),
    "set.arr": lambda: X.at[:, I].set(U4),
    "set.separated": lambda: X.at[I2, :, I].set(U3[:, None]),
    "set.adjacent": lambda: X.at[:, I, I].set(U3),
    "set.mask": lambda: X.at[M].set(0.0),
    "set.oob": lambda: V.at[K].set(W),
    "set.oob_int": lambda: V.at[9].set(1.0),
    "set.clip": lambda: V.at[K].set(W, mode="clip"),
    "set.empty": lambda: X.at[:, 2:1].set(5.0),
    "set.i32": lambda: Vi.at[1::2].set(0),
    "set.bool": lambda: Vb.at[I].set(True),
    "set.unique": lambda: V.at[I].set(U3, unique_indices=True),
    "set.dup": lambda: V.at[D].set(W),
    "add.dup": lambda: V.at[D].add(W),
    "add.oob": lambda: V.at[K].add(W),
    "add.clip": lambda: V.at[K].add(W, mode="clip"),
    "add.separated": lambda: X.at[I2, :, I].add(1.0),
    "add.adjacent": lambda: X.at[:, I, I].add(U3),
    "add.mask": lambda: V.at[MV].add(U3),
    "add.broadcast": lambda: X.at[J2, I].add(U4),
    "add.slice_step": lambda: X.at[:, ::2, 1::-1].add(U4[:2]),
    "add.i32_dup": lambda: Vi.at[D].add(Wi),
    "mul.dup": lambda: V.at[D].multiply(W),
    "mul.slice": lambda: X.at[:, ::2].multiply(2.0),
    "mul.oob": lambda: V.at[K].multiply(W),
    "mul.i32_dup": lambda: Vi.at[D].multiply(Wi),
    "min.dup": lambda: V.at[D].min(W),
    "min.int": lambda: X.at[0].min(0.0),
    "min.i32_dup": lambda: Vi.at[D].min(Wi),
    "min.oob": lambda: V.at[K].min(W),
    "max.dup": lambda: V.at[D].max(W),
    "max.broadcast": lambda: X.at[J2, I].max(5.0),
    "max.i32_dup": lambda: Vi.at[D].max(Wi),
    "max.mask": lambda: X.at[M].max(2.0),
    "subtract.dup": lambda: V.at[D].subtract(W),
    "subtract.i32_dup": lambda: Vi.at[D].subtract(Wi),
    "subtract.oob": lambda: V.at[K].subtract(W),
    "divide.dup": lambda: V.at[D].divide(W),
    "divide.i32_dup": lambda: Vi.at[D].divide(Wi),
    "power.dup": lambda: V.at[D].power(W),
    "power.i32_dup": lambda: Vi.at[D].power(Wi),
    "power.slice": lambda: X.at[:, ::2].power(2.0),
    # jnp functions
    "put.basic": lambda: jnp.put(A34, g["P"], g["T3"], inplace=False),
    "put.tile": lambda: jnp.put(A34, g["P4"], g["T2"], inplace=False),
    "put.clip": lambda: jnp.put(A34, g["Pc"], g["T2"], mode="clip", inplace=False),
    "put.wrap": lambda: jnp.put(A34, g["Pw"], g["T2"], mode="wrap", inplace=False),
    "put.oob": lambda: jnp.put(A34, g["Po"], g["T2"], inplace=False),
    "put.f32": lambda: jnp.put(X, g["P"], U3, inplace=False),
    "place.basic": lambda: jnp.place(A34, g["PM"], g["T2"], inplace=False),
    "place.many": lambda: jnp.place(V, MV, W, inplace=False),
    "put_along_axis.axis1": lambda: jnp.put_along_axis(g["B23"], g["IA"], 99, axis=1, inplace=False),
    "put_along_axis.axis0": lambda: jnp.put_along_axis(g["B23"], g["IA0"], g["T3"][None], axis=0, inplace=False),
    "put_along_axis.none": lambda: jnp.put_along_axis(g["B23"], g["IAN"], g["T2"], axis=None, inplace=False),
    "put_along_axis.oob": lambda: jnp.put_along_axis(g["B23"], g["IA"] + 5, 99, axis=1, inplace=False),
    "choose.basic": lambda: jnp.choose(g["CA"], [g["C0"], g["C1"], g["C0"] * 0 + 99]),
    "choose.wrap": lambda: jnp.choose(g["CW"], [g["C0"], g["C1"]], mode="wrap"),
    "choose.clip": lambda: jnp.choose(g["CW"], [g["C0"], g["C1"]], mode="clip"),
    "choose.broadcast": lambda: jnp.choose(g["CA"] % 2, [g["C2"], g["C1"]]),
}
for name, f in CASES.items():
    emit(name, f())

with open(OUT, "w") as fh:
    fh.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} lines to {OUT}")
