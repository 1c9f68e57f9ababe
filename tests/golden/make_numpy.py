"""Writes tests/golden/numpy.txt: jax.numpy outputs (JAX 0.10.2, CPU) for the ferrax::numpy
functions that tests/prims/numpy_surface.rs checks. Run from the repository root:

    python3 tests/golden/make_numpy.py

Format: one array per line, `name dtype shape v1 v2 ...`; shape as `2x3` (`-` for rank 0,
`0` for an empty axis); f32/f64 values as the hex bit patterns, i32 in decimal, bool as 0/1.
Lines named `in.X` are the inputs (the test reads them, so both sides use the same bits);
the others are `function.case` outputs, with `.0`, `.1`, ... appended for functions that
return several arrays. f64 cases (names ending in `_f64`) run with x64 enabled. The tests
never run Python.
"""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

assert jax.__version__ == "0.10.2", jax.__version__
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "numpy.txt")
lines = []


def emit(name, x):
    x = np.asarray(x)
    shape = "x".join(str(d) for d in x.shape) or "-"
    flat = x.reshape(-1)
    if x.dtype == np.float32:
        vals, dt = ["%08x" % v for v in flat.view(np.uint32)], "f32"
    elif x.dtype == np.float64:
        vals, dt = ["%016x" % v for v in flat.view(np.uint64)], "f64"
    elif x.dtype == np.int32:
        vals, dt = [str(int(v)) for v in flat], "i32"
    elif x.dtype == np.bool_:
        vals, dt = [str(int(v)) for v in flat], "bool"
    else:
        raise TypeError(f"{name}: {x.dtype}")
    lines.append(" ".join([name, dt, shape] + vals))


f32 = lambda v, *s: np.array(v, np.float32).reshape(s)  # noqa: E731
INPUTS = {
    "A": f32([-2.5, -0.5, 0.5, 1.5, 2.5, 3.7], 2, 3),
    "B": f32([1.0, -2.0, 0.5, -0.25, 3.0, -4.0], 2, 3),
    "C": f32([-2.5, 0.0, 0.5, 2.0, 2.5, 3.0], 2, 3),
    "P": f32([0.1, 0.5, 1.0, 2.0, 3.5, 10.0], 2, 3),
    "U": f32([-0.9, -0.5, 0.0, 0.3, 0.8], 5),
    "G": f32([1.0, 1.5, 2.0, 5.0], 4),
    "S": f32([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0], 7),
    "H": f32([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999997], 8),
    "Z": f32([0.0, 0.5, 1.0, -1.5], 4),
    "K1": f32([1.0, 1.0, np.nan, np.nan, np.inf, np.inf, 0.0], 7),
    "K2": f32([1.000001, 1.1, np.nan, 1.0, np.inf, -np.inf, 1e-9], 7),
    "M": (np.arange(12, dtype=np.float32) * 0.5 - 2.0).reshape(3, 4),
    "T": np.arange(24, dtype=np.float32).reshape(2, 3, 4),
    "V": f32([1.0, 2.0, 3.0], 3),
    "W": f32([1.0, 0.5, 2.0, 0.25], 4),
    "E": np.zeros((0,), np.float32),
    "I": np.array([-7, -3, 0, 2, 5, 7], np.int32),
    "J": np.array([2, -2, 3, -3, 2, 3], np.int32),
    "L": np.array([True, False, True, False]),
    "R": np.array([True, True, False, False]),
    "X": np.array([-2.5, -0.5, 0.5, 1.5, 2.5, 3.7], np.float64).reshape(2, 3),
    "Y": np.array([1.0, -2.0, 0.5, -0.25, 3.0, -4.0], np.float64).reshape(2, 3),
    "IX": np.array([0, 3, 1, -1, 2, 0], np.int32).reshape(3, 2),
    "IY": np.array([2, -1, 0, 1], np.int32).reshape(1, 4),
}
for k, v in INPUTS.items():
    emit("in." + k, v)
A, B, C, P, U, G, S, H, Z, K1, K2, M, T, V, W, E, I, J, L, R, _, _, IX, IY = (
    jnp.asarray(v) for v in INPUTS.values()
)

CASES = {
    # elementwise math
    "abs.A": lambda: jnp.abs(A),
    "abs.I": lambda: jnp.abs(I),
    "absolute.A": lambda: jnp.absolute(A),
    "negative.A": lambda: jnp.negative(A),
    "negative.I": lambda: jnp.negative(I),
    "positive.A": lambda: jnp.positive(A),
    "sign.A": lambda: jnp.sign(A),
    "sign.I": lambda: jnp.sign(I),
    "sign.S": lambda: jnp.sign(S),
    "sqrt.P": lambda: jnp.sqrt(P),
    "sqrt.I": lambda: jnp.sqrt(jnp.abs(I)),
    "cbrt.A": lambda: jnp.cbrt(A),
    "square.A": lambda: jnp.square(A),
    "square.I": lambda: jnp.square(I),
    "reciprocal.P": lambda: jnp.reciprocal(P),
    "exp.A": lambda: jnp.exp(A),
    "exp.E": lambda: jnp.exp(E),
    "exp2.A": lambda: jnp.exp2(A),
    "expm1.A": lambda: jnp.expm1(A),
    "log.P": lambda: jnp.log(P),
    "log1p.P": lambda: jnp.log1p(P),
    "log2.P": lambda: jnp.log2(P),
    "log10.P": lambda: jnp.log10(P),
    "sin.A": lambda: jnp.sin(A),
    "cos.A": lambda: jnp.cos(A),
    "tan.A": lambda: jnp.tan(A),
    "arcsin.U": lambda: jnp.arcsin(U),
    "arccos.U": lambda: jnp.arccos(U),
    "arctan.A": lambda: jnp.arctan(A),
    "arctan2.AB": lambda: jnp.arctan2(A, B),
    "sinh.A": lambda: jnp.sinh(A),
    "cosh.A": lambda: jnp.cosh(A),
    "tanh.A": lambda: jnp.tanh(A),
    "arcsinh.A": lambda: jnp.arcsinh(A),
    "arccosh.G": lambda: jnp.arccosh(G),
    "arctanh.U": lambda: jnp.arctanh(U),
    "floor.A": lambda: jnp.floor(A),
    "floor.I": lambda: jnp.floor(I),
    "ceil.A": lambda: jnp.ceil(A),
    "round.H": lambda: jnp.round(H),
    "round.I": lambda: jnp.round(I),
    "rint.H": lambda: jnp.rint(H),
    "trunc.A": lambda: jnp.trunc(A),
    "logaddexp.AB": lambda: jnp.logaddexp(A, B),
    "logaddexp.S": lambda: jnp.logaddexp(S, S),
    "logaddexp2.AB": lambda: jnp.logaddexp2(A, B),
    "hypot.AB": lambda: jnp.hypot(A, B),
    "hypot.S": lambda: jnp.hypot(S, 1.0),
    "floor_divide.AB": lambda: jnp.floor_divide(A, B),
    "floor_divide.IJ": lambda: jnp.floor_divide(I, J),
    "mod.IJ": lambda: jnp.mod(I, J),
    "remainder.AB": lambda: jnp.remainder(A, B),
    "remainder.IJ": lambda: jnp.remainder(I, J),
    "fmod.AB": lambda: jnp.fmod(A, B),
    "fmod.IJ": lambda: jnp.fmod(I, J),
    "true_divide.IJ": lambda: jnp.true_divide(I, J),
    "float_power.PB": lambda: jnp.float_power(P, B),
    "power.PB": lambda: jnp.power(P, B),
    "maximum.AB": lambda: jnp.maximum(A, B),
    "minimum.AB": lambda: jnp.minimum(A, B),
    "isnan.S": lambda: jnp.isnan(S),
    "isnan.I": lambda: jnp.isnan(I),
    "isinf.S": lambda: jnp.isinf(S),
    "isfinite.S": lambda: jnp.isfinite(S),
    "isfinite.I": lambda: jnp.isfinite(I),
    "isposinf.S": lambda: jnp.isposinf(S),
    "isneginf.S": lambda: jnp.isneginf(S),
    "signbit.S": lambda: jnp.signbit(S),
    "signbit.I": lambda: jnp.signbit(I),
    "copysign.AB": lambda: jnp.copysign(A, B),
    "copysign.S": lambda: jnp.copysign(2.0, S),
    "heaviside.A": lambda: jnp.heaviside(C, 0.5),
    "sinc.Z": lambda: jnp.sinc(Z),
    "sinc.A": lambda: jnp.sinc(A),
    "deg2rad.A": lambda: jnp.deg2rad(A),
    "radians.A": lambda: jnp.radians(A),
    "rad2deg.A": lambda: jnp.rad2deg(A),
    "degrees.A": lambda: jnp.degrees(A),
    "clip.A": lambda: jnp.clip(A, -1.0, 2.0),
    "clip.I": lambda: jnp.clip(I, 0, 3),
    "clip.min": lambda: jnp.clip(A, min=-1.0),
    "nan_to_num.S": lambda: jnp.nan_to_num(S),
    "nan_to_num.opts": lambda: jnp.nan_to_num(S, nan=1.0, posinf=5.0, neginf=-5.0),
    # logic and comparison
    "logical_and.LR": lambda: jnp.logical_and(L, R),
    "logical_or.LR": lambda: jnp.logical_or(L, R),
    "logical_xor.LR": lambda: jnp.logical_xor(L, R),
    "logical_not.L": lambda: jnp.logical_not(L),
    "logical_not.C": lambda: jnp.logical_not(C),
    "equal.AC": lambda: jnp.equal(A, C),
    "not_equal.AC": lambda: jnp.not_equal(A, C),
    "less.AC": lambda: jnp.less(A, C),
    "less_equal.AC": lambda: jnp.less_equal(A, C),
    "greater.AC": lambda: jnp.greater(A, C),
    "greater_equal.AC": lambda: jnp.greater_equal(A, C),
    "isclose.K": lambda: jnp.isclose(K1, K2),
    "isclose.nan": lambda: jnp.isclose(K1, K2, equal_nan=True),
    "isclose.tol": lambda: jnp.isclose(A, C, rtol=0.0, atol=0.6),
    "allclose.AA": lambda: jnp.allclose(A, A + 1e-6),
    "allclose.K": lambda: jnp.allclose(K1, K2),
    "array_equal.AA": lambda: jnp.array_equal(A, A),
    "array_equal.AC": lambda: jnp.array_equal(A, C),
    "array_equal.shape": lambda: jnp.array_equal(A, M),
    "array_equal.nan": lambda: jnp.array_equal(S, S, equal_nan=True),
    "array_equiv.bcast": lambda: jnp.array_equiv(jnp.tile(V, (2, 1)), V),
    "array_equiv.no": lambda: jnp.array_equiv(A, V),
    # creation
    "zeros.23": lambda: jnp.zeros((2, 3)),
    "zeros.i32": lambda: jnp.zeros((2,), jnp.int32),
    "ones.2": lambda: jnp.ones((2,)),
    "full.int": lambda: jnp.full((2, 2), 7),
    "full.float": lambda: jnp.full((2,), 0.5),
    "full.bool": lambda: jnp.full((3,), True),
    "full_like.I": lambda: jnp.full_like(I, 3),
    "full_like.A": lambda: jnp.full_like(A, 2.5),
    "zeros_like.I": lambda: jnp.zeros_like(I),
    "ones_like.L": lambda: jnp.ones_like(L),
    "empty_like.A": lambda: jnp.empty_like(A),
    "arange.5": lambda: jnp.arange(5),
    "arange.float": lambda: jnp.arange(1.0, 2.0, 0.25),
    "arange.neg": lambda: jnp.arange(5, 0, -2),
    "arange.f32": lambda: jnp.arange(0, 3, dtype=jnp.float32),
    "arange.empty": lambda: jnp.arange(3, 3),
    "linspace.5": lambda: jnp.linspace(0.0, 1.0, 5),
    "linspace.7": lambda: jnp.linspace(-1.0, 2.0, 7),
    "linspace.noend": lambda: jnp.linspace(0.0, 1.0, 4, endpoint=False),
    "linspace.third": lambda: jnp.linspace(0.0, 1.0, 3, endpoint=False),
    "linspace.1": lambda: jnp.linspace(2.0, 3.0, 1),
    "linspace.0": lambda: jnp.linspace(0.0, 1.0, 0),
    "linspace.int": lambda: jnp.linspace(0.0, 10.0, 4, dtype=jnp.int32),
    "logspace.5": lambda: jnp.logspace(0.0, 2.0, 5),
    "logspace.base2": lambda: jnp.logspace(0.0, 3.0, 4, base=2.0, endpoint=False),
    "geomspace.4": lambda: jnp.geomspace(1.0, 1000.0, 4),
    "geomspace.neg": lambda: jnp.geomspace(-1.0, -16.0, 5),
    "eye.3": lambda: jnp.eye(3),
    "eye.23k1": lambda: jnp.eye(2, 3, k=1),
    "eye.3km1": lambda: jnp.eye(3, k=-1),
    "identity.2": lambda: jnp.identity(2),
    "tri.3": lambda: jnp.tri(3),
    "tri.34k1": lambda: jnp.tri(3, 4, k=1),
    "tri.3km1": lambda: jnp.tri(3, k=-1),
    "tril.M": lambda: jnp.tril(M),
    "tril.Mk1": lambda: jnp.tril(M, k=1),
    "tril.Mkm1": lambda: jnp.tril(M, k=-1),
    "triu.M": lambda: jnp.triu(M),
    "triu.Mk1": lambda: jnp.triu(M, k=1),
    "triu.Tkm1": lambda: jnp.triu(T, k=-1),
    "diag.V": lambda: jnp.diag(V),
    "diag.Vk1": lambda: jnp.diag(V, k=1),
    "diag.Vkm2": lambda: jnp.diag(V, k=-2),
    "diag.M": lambda: jnp.diag(M),
    "diag.Mk1": lambda: jnp.diag(M, k=1),
    "diag.Mkm2": lambda: jnp.diag(M, k=-2),
    "diagonal.T": lambda: jnp.diagonal(T),
    "diagonal.T12": lambda: jnp.diagonal(T, offset=1, axis1=1, axis2=2),
    "diagonal.Tneg": lambda: jnp.diagonal(T, offset=-1, axis1=-1, axis2=0),
    "trace.M": lambda: jnp.trace(M),
    "trace.Mk1": lambda: jnp.trace(M, offset=1),
    "trace.I": lambda: jnp.trace(I.reshape(2, 3)),
    "trace.T12": lambda: jnp.trace(T, axis1=1, axis2=2),
    "indices.23": lambda: jnp.indices((2, 3)),
    "meshgrid.xy": lambda: jnp.meshgrid(V, W),
    "meshgrid.ij": lambda: jnp.meshgrid(V, W, indexing="ij"),
    # shape manipulation
    "ravel.T": lambda: jnp.ravel(T),
    "ravel.E": lambda: jnp.ravel(E),
    "flip.T": lambda: jnp.flip(T),
    "flip.Tm1": lambda: jnp.flip(T, -1),
    "flip.T02": lambda: jnp.flip(T, (0, 2)),
    "fliplr.M": lambda: jnp.fliplr(M),
    "flipud.M": lambda: jnp.flipud(M),
    "roll.T": lambda: jnp.roll(T, 2),
    "roll.Tax1": lambda: jnp.roll(T, -1, axis=1),
    "roll.Mbig": lambda: jnp.roll(M, 5, axis=-1),
    "rot90.M": lambda: jnp.rot90(M),
    "rot90.M2": lambda: jnp.rot90(M, 2),
    "rot90.M3": lambda: jnp.rot90(M, 3),
    "rot90.Mm1": lambda: jnp.rot90(M, -1),
    "rot90.T12": lambda: jnp.rot90(T, 1, axes=(1, 2)),
    "swapaxes.T": lambda: jnp.swapaxes(T, 0, -1),
    "tile.V2": lambda: jnp.tile(V, 2),
    "tile.M21": lambda: jnp.tile(M, (2, 1)),
    "tile.V22": lambda: jnp.tile(V, (2, 2)),
    "repeat.M": lambda: jnp.repeat(M, 2),
    "repeat.Max1": lambda: jnp.repeat(M, 2, axis=1),
    "repeat.Maxm2": lambda: jnp.repeat(M, 3, axis=-2),
    "hstack.V": lambda: jnp.hstack([V, V]),
    "hstack.M": lambda: jnp.hstack([M, M]),
    "vstack.V": lambda: jnp.vstack([V, V]),
    "vstack.M": lambda: jnp.vstack([M, M]),
    "dstack.M": lambda: jnp.dstack([M, M]),
    "column_stack.V": lambda: jnp.column_stack([V, V]),
    "atleast_1d.s": lambda: jnp.atleast_1d(jnp.float32(2.0)),
    "atleast_2d.V": lambda: jnp.atleast_2d(V),
    "atleast_3d.V": lambda: jnp.atleast_3d(V),
    "atleast_3d.M": lambda: jnp.atleast_3d(M),
    "array_split.7": lambda: jnp.array_split(jnp.arange(7), 3),
    "array_split.Max1": lambda: jnp.array_split(M, 3, axis=1),
    "append.flat": lambda: jnp.append(M, V),
    "append.ax0": lambda: jnp.append(M, M, axis=0),
    "take_along_axis.ax1": lambda: jnp.take_along_axis(M, IX, axis=1),
    "take_along_axis.ax0": lambda: jnp.take_along_axis(M, IY, axis=0),
    # reductions
    "all.A": lambda: jnp.all(A > -3.0),
    "all.L": lambda: jnp.all(L),
    "any.L": lambda: jnp.any(L),
    "all.ax0": lambda: jnp.all(M > -1.0, axis=0),
    "any.axm1": lambda: jnp.any(M > 1.5, axis=-1),
    "all.E": lambda: jnp.all(E),
    "any.E": lambda: jnp.any(E),
    "std.M": lambda: jnp.std(M),
    "std.ax0": lambda: jnp.std(M, axis=0),
    "std.ddof": lambda: jnp.std(M, axis=-1, ddof=1),
    "var.ddof": lambda: jnp.var(M, ddof=1),
    "ptp.M": lambda: jnp.ptp(M),
    "ptp.ax1": lambda: jnp.ptp(M, axis=1),
    "cumsum.ax0": lambda: jnp.cumsum(M, axis=0),
    "cumsum.flat": lambda: jnp.cumsum(M),
    "cumsum.I": lambda: jnp.cumsum(I),
    "cumsum.L": lambda: jnp.cumsum(L),
    "cumsum.E": lambda: jnp.cumsum(E),
    "cumprod.axm1": lambda: jnp.cumprod(M, axis=-1),
    "cumprod.P": lambda: jnp.cumprod(P),
    "average.M": lambda: jnp.average(M),
    "average.w1": lambda: jnp.average(M, axis=1, weights=W),
    "average.wfull": lambda: jnp.average(M, weights=jnp.abs(M) + 1.0),
    "count_nonzero.M": lambda: jnp.count_nonzero(M),
    "count_nonzero.ax0": lambda: jnp.count_nonzero(M, axis=0),
    "count_nonzero.L": lambda: jnp.count_nonzero(L),
}

CASES_F64 = {
    "exp.X_f64": lambda X, Y: jnp.exp(X),
    "log1p.X_f64": lambda X, Y: jnp.log1p(jnp.abs(X)),
    "floor_divide.XY_f64": lambda X, Y: jnp.floor_divide(X, Y),
    "remainder.XY_f64": lambda X, Y: jnp.remainder(X, Y),
    "hypot.XY_f64": lambda X, Y: jnp.hypot(X, Y),
    "logaddexp.XY_f64": lambda X, Y: jnp.logaddexp(X, Y),
    "sinc.X_f64": lambda X, Y: jnp.sinc(X),
    "signbit.Y_f64": lambda X, Y: jnp.signbit(Y),
    "round.X_f64": lambda X, Y: jnp.round(X),
    "std.X_f64": lambda X, Y: jnp.std(X, axis=0),
    "cumsum.X_f64": lambda X, Y: jnp.cumsum(X, axis=1),
    "linspace.7_f64": lambda X, Y: jnp.linspace(-1.0, 2.0, 7, dtype=jnp.float64),
    "isclose.XY_f64": lambda X, Y: jnp.isclose(X, Y, atol=1.0),
}


def emit_result(name, out):
    if isinstance(out, (list, tuple)):
        for i, o in enumerate(out):
            emit("%s.%d" % (name, i), o)
    else:
        emit(name, out)


for name, f in CASES.items():
    emit_result(name, f())
with jax.enable_x64(True):
    X64, Y64 = jnp.asarray(INPUTS["X"]), jnp.asarray(INPUTS["Y"])
    for name, f in CASES_F64.items():
        emit_result(name, f(X64, Y64))

with open(OUT, "w") as f:
    f.write("\n".join(lines) + "\n")
print("wrote %d lines to %s" % (len(lines), OUT))
