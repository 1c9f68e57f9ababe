"""Writes tests/golden/dtypes.txt: JAX 0.10.2 (CPU) dtype facts for the ferrax dtypes tests
(tests/prims/dtypes*.rs). Run from the repository root:

    python3 tests/golden/make_dtypes.py

Lines:
  `promote A B R`   jnp.promote_types(A, B) with jax_enable_x64=True (ferrax has explicit
                    64-bit dtypes), for all 15x15 pairs.
  `weak A K R`      the result of an array of dtype A with a Python scalar of kind K
                    (bool/int/float/complex): JAX's lattice join; when the join is still weak
                    (a Python type) it takes ferrax's 32-bit default (bool, i32, f32, c64),
                    as JAX does with x64 off.
  `weak2 K1 K2 R`   two weak scalars together, with the same 32-bit defaults.
  arrays            `name dtype shape v1 v2 ...`: shape `2x3` (`-` for rank 0); ints in decimal,
                    bool 0/1, floats as hex bit patterns (bf16/f16 4 digits, f32 8, f64 16),
                    complex as `re:im` of the part's hex bits. `in.<dt>` are conversion inputs,
                    `cvt.<src>.<dst>` = lax.convert_element_type(in.<src>, dst), `op.<name>.<dt>`
                    a few ops per dtype family with inputs `opin.<name>.<dt>.<i>`.
The tests never run Python.
"""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402
from jax._src import dtypes as jdt  # noqa: E402

assert jax.__version__ == "0.10.2", jax.__version__
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dtypes.txt")
lines = []

NAMES = {
    "bool": np.dtype(bool), "i8": np.dtype(np.int8), "i16": np.dtype(np.int16),
    "i32": np.dtype(np.int32), "i64": np.dtype(np.int64), "u8": np.dtype(np.uint8),
    "u16": np.dtype(np.uint16), "u32": np.dtype(np.uint32), "u64": np.dtype(np.uint64),
    "bf16": np.dtype(jnp.bfloat16), "f16": np.dtype(np.float16), "f32": np.dtype(np.float32),
    "f64": np.dtype(np.float64), "c64": np.dtype(np.complex64), "c128": np.dtype(np.complex128),
}
SHORT = {v: k for k, v in NAMES.items()}
WEAK = {"bool": np.dtype(bool), "int": int, "float": float, "complex": complex}
DEFAULT = {bool: "bool", int: "i32", float: "f32", complex: "c64"}


def join(*nodes):
    r = jdt._least_upper_bound("standard", True, *nodes)
    return DEFAULT[r] if r in DEFAULT else SHORT[np.dtype(r)]


for a in NAMES:
    for b in NAMES:
        lines.append(f"promote {a} {b} {SHORT[np.dtype(jnp.promote_types(NAMES[a], NAMES[b]))]}")
for a in NAMES:
    for k, t in WEAK.items():
        r = join(NAMES[a], t)
        # The real JAX result, for the explicit (non-weak) cases, must agree.
        jr = jnp.result_type(jnp.zeros(2, NAMES[a]), (bool if k == "bool" else t)(1))
        if r not in ("i32", "f32", "c64") or SHORT[np.dtype(jr)] == r:
            assert SHORT[np.dtype(jr)] == r or jr in (np.int64, np.float64, np.complex128), (a, k, jr, r)
        lines.append(f"weak {a} {k} {r}")
for k1, t1 in WEAK.items():
    for k2, t2 in WEAK.items():
        lines.append(f"weak2 {k1} {k2} {join(t1, t2)}")


def hexbits(v, width):
    return "%0*x" % (width // 4, int(v))


def fmt(x):
    x = np.asarray(x)
    dt = SHORT[x.dtype]
    flat = x.reshape(-1)
    if dt in ("bf16", "f16"):
        return dt, [hexbits(v, 16) for v in flat.view(np.uint16)]
    if dt == "f32":
        return dt, [hexbits(v, 32) for v in flat.view(np.uint32)]
    if dt == "f64":
        return dt, [hexbits(v, 64) for v in flat.view(np.uint64)]
    if dt == "c64":
        re, im = flat.real.astype(np.float32).view(np.uint32), flat.imag.astype(np.float32).view(np.uint32)
        return dt, [hexbits(r, 32) + ":" + hexbits(i, 32) for r, i in zip(re, im)]
    if dt == "c128":
        re, im = flat.real.view(np.uint64), flat.imag.view(np.uint64)
        return dt, [hexbits(r, 64) + ":" + hexbits(i, 64) for r, i in zip(re, im)]
    return dt, [str(int(v)) for v in flat]


def emit(name, x):
    x = np.asarray(x)
    shape = "x".join(str(d) for d in x.shape) or "-"
    dt, vals = fmt(x)
    lines.append(" ".join([name, dt, shape] + vals))


FLOATS = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e10, -1e10, 300.7, -300.7, 127.5, -128.9, 255.5,
          65535.9, 4294967296.0, -1.0, 2.5, -2.5, 1.00390625, 1.01171875, 1.00048828125,
          65519.0, 65520.0, 1e-8, 3.4e38]
INTS = {
    "i8": [-128, -1, 0, 1, 127, 100], "i16": [-32768, -1, 0, 1, 32767, 300],
    "i32": [-2147483648, -1, 0, 1, 2147483647, 16777217],
    "i64": [-9223372036854775808, -1, 0, 1, 9223372036854775807, 9007199254740993],
    "u8": [0, 1, 127, 128, 255, 200], "u16": [0, 1, 255, 32768, 65535, 2049],
    "u32": [0, 1, 255, 2147483648, 4294967295, 16777217],
    "u64": [0, 1, 255, 9223372036854775808, 18446744073709551615, 9007199254740993],
}
inputs = {}
for dt in ("bf16", "f16", "f32", "f64"):
    inputs[dt] = np.array(FLOATS, NAMES[dt]) if dt != "f32" else np.array(FLOATS, np.float32)
for dt, vs in INTS.items():
    inputs[dt] = np.array(vs, NAMES[dt])
inputs["bool"] = np.array([True, False, True], bool)
CPLX = [1 + 2j, complex(np.nan, -1), complex(-0.0, np.inf), 3.7 - 2.2j, -1e10 + 0.5j, 0j]
inputs["c64"] = np.array(CPLX, np.complex64)
inputs["c128"] = np.array(CPLX, np.complex128)
for src in NAMES:
    emit(f"in.{src}", inputs[src])
for src in NAMES:
    for dst in NAMES:
        emit(f"cvt.{src}.{dst}", lax.convert_element_type(jnp.asarray(inputs[src]), NAMES[dst]))


def op(name, f, *args):
    dt = SHORT[np.asarray(args[0]).dtype]
    for i, a in enumerate(args):
        emit(f"opin.{name}.{dt}.{i}", a)
    emit(f"op.{name}.{dt}", f(*[jnp.asarray(a) for a in args]))


for dt in ("i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"):
    d = NAMES[dt]
    info = np.iinfo(d)
    big = np.array([info.max, info.max, info.min, 100, 7, 3], d)
    other = np.array([1, info.max, info.max, 100, 2, 5], d)
    op("add", lax.add, big, other)
    op("sub", lax.sub, big, other)
    op("mul", lax.mul, big, other)
    if info.min < 0:
        n = np.array([-7, 7, -7, -8, info.min, 5], d)
        m = np.array([2, -2, -2, 3, -1, -3], d)
    else:
        n = np.array([7, 7, 200 % (info.max + 1), 8, info.max, 5], d)
        m = np.array([2, 3, 7, 3, 1, 9], d)
    op("div", lax.div, n, m)
    op("rem", lax.rem, n, m)
    bits = info.bits
    x = np.array([info.min if info.min < 0 else info.max, -1 if info.min < 0 else 1, 5, 96, 1, info.max], d)
    s = np.array([1, 1, bits, bits + 3, bits - 1, 0], d)
    op("shl", lax.shift_left, x, s)
    op("shrl", lax.shift_right_logical, x, s)
    op("shra", lax.shift_right_arithmetic, x, s)
    op("popcnt", lax.population_count, x)
    op("clz", lax.clz, x)
    op("not", lax.bitwise_not, x)
    op("neg", lax.neg, x)
    op("max", lax.max, big, other)
    op("lt", lax.lt, big, other)
    op("sum", lambda a: jnp.sum(a, dtype=a.dtype), big)

for dt in ("bf16", "f16"):
    d = NAMES[dt]
    a = np.array([60000 if dt == "f16" else 3e38, 1.0, 0.1, -2.5, 3.0, 1000.0], d)
    b = np.array([60000 if dt == "f16" else 3e38, 0.00390625, 0.2, 0.3, 7.0, 0.001], d)
    op("add", lax.add, a, b)
    op("mul", lax.mul, a, b)
    op("div", lax.div, a, b)
    op("exp", lax.exp, b)
    op("sqrt", lax.sqrt, np.abs(b).astype(d))
    op("sum", lambda v: jnp.sum(v, dtype=v.dtype), a)
    m1 = np.array([[0.1, 0.2, 0.3], [1.5, -2.25, 3.0]], d)
    m2 = np.array([[1.0, 2.0], [0.5, 0.25], [-1.0, 3.0]], d)
    op("matmul", lambda p, q: lax.dot(p, q), m1, m2)

for dt in ("c64", "c128"):
    d = NAMES[dt]
    a = np.array([1 + 2j, -3.5 + 0.5j, 0.25 - 4j, -1 - 1j, 2 + 0j], d)
    b = np.array([0.5 - 1j, 2 + 3j, -1 + 0.5j, 0 + 1j, -2 + 0j], d)
    op("add", lax.add, a, b)
    op("mul", lax.mul, a, b)
    op("div", lax.div, a, b)
    op("exp", lax.exp, a)
    op("log", lax.log, a)
    op("abs", lax.abs, a)
    op("sqrt", lax.sqrt, a)
    op("sin", lax.sin, a)
    op("cos", lax.cos, a)
    op("tanh", lax.tanh, a)
    op("pow", lax.pow, a, b)
    op("real", lax.real, a)
    op("imag", lax.imag, a)
    op("conj", lax.conj, a)
    op("eq", lax.eq, a, b)
    op("sum", lambda v: jnp.sum(v), a)
    op("prod", lambda v: jnp.prod(v), a)
    m1 = np.array([[1 + 1j, 2 - 1j, 0.5j], [-1 + 0j, 3 + 2j, 1 - 1j]], d)
    m2 = np.array([[1 - 2j, 2 + 0j], [0.5 + 0.5j, -1j], [3 + 0j, 1 + 1j]], d)
    op("matmul", lambda p, q: lax.dot(p, q), m1, m2)
    op("sort", lambda v: lax.sort(v), np.array([1 + 2j, 1 - 1j, -3 + 0j, 1 + 2j, complex(np.nan, 0), 0.5j], d))

# Complex autodiff: `grad.<name>` = jax.grad(f)(gradin.<name>), real-valued functions of
# complex inputs (JAX's conjugate-style cotangents) and holomorphic ones.
Z = np.array([1 + 2j, 3 - 1j, -0.5 + 0.25j], np.complex64)
GRADS = {
    "abs2": (lambda z: jnp.sum(jnp.abs(z) ** 2), False),
    "re_sq": (lambda z: jnp.real(jnp.sum(z * z)), False),
    "abs": (lambda z: jnp.sum(jnp.abs(z)), False),
    "im_exp": (lambda z: jnp.sum(jnp.imag(jnp.exp(z))), False),
    "conj_mul": (lambda z: jnp.real(jnp.sum(lax.conj(z) * z * z)), False),
    "holo_sq": (lambda z: jnp.sum(z * z), True),
    "holo_exp_sin": (lambda z: jnp.sum(jnp.exp(z) * jnp.sin(z)), True),
    "holo_div": (lambda z: jnp.sum((z + 1) / (z * z + 2)), True),
}
for name, (f, holo) in GRADS.items():
    emit(f"gradin.{name}", Z)
    emit(f"grad.{name}", jax.grad(f, holomorphic=holo)(jnp.asarray(Z)))
X = np.array([0.5, -1.5, 2.0], np.float32)
emit("gradin.complex_parts", X)
emit("grad.complex_parts", jax.grad(lambda x: jnp.sum(jnp.abs(lax.complex(x, x * x)) ** 2))(jnp.asarray(X)))
emit("jacfwd.holo_sq", jax.jacfwd(lambda z: z * z, holomorphic=True)(jnp.asarray(Z)))
emit("jacrev.holo_sq", jax.jacrev(lambda z: z * z, holomorphic=True)(jnp.asarray(Z)))

with open(OUT, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} lines to {OUT}")
