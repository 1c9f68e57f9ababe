"""Writes tests/golden/fft.txt: jax.numpy.fft outputs (JAX 0.10.2, CPU) for every public
function of ferrax::fft, f32 and f64 (complex64/complex128), odd and even lengths, `n`/`s`
padding and truncation, every `norm`, several axes. Run from the repository root:

    python3 tests/golden/make_fft.py

Format: golden_format.py's (`name dtype shape v1 v2 ...`, floats as hex bits). Lines named
`in.X` are the inputs (the Rust test reads them, so both sides transform the same bits). An
output line is named `FUNCTION|INPUT|key=value|...`, the keyword arguments of the call
(`n`, `axis`, `s`, `axes` as comma-separated integers, `norm`, `d`, `dtype`), which
tests/prims/fft_golden.rs parses to make the same call; `vjp.FUNCTION|INPUT` is the
reverse-mode derivative at that input for the cotangent `in.ct.FUNCTION.INPUT`. The tests
never run Python.
"""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from golden_format import array_line  # noqa: E402

assert jax.__version__ == "0.10.2", jax.__version__
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fft.txt")
rng = np.random.default_rng(20261208)
lines = []


def real(*shape):
    return rng.standard_normal(shape)


def cplx(*shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


# name -> array (f64/c128 if the name ends in _f64, else f32/c64).
RAW = {
    "r8": real(8),
    "r7": real(7),
    "r8_f64": real(8),
    "r7_f64": real(7),
    "c8": cplx(8),
    "c5_f64": cplx(5),
    "m34": real(3, 4),
    "m35_f64": real(3, 5),
    "mc45": cplx(4, 5),
    "t234": real(2, 3, 4),
    "t235_f64": real(2, 3, 5),
    "h5": cplx(5),
    "h4_f64": cplx(4),
    "hc34": cplx(3, 4),
    "hc33_f64": cplx(3, 3),
}
INPUTS = {}
for k, v in RAW.items():
    is64 = k.endswith("_f64")
    if np.iscomplexobj(v):
        INPUTS[k] = v.astype(np.complex128 if is64 else np.complex64)
    else:
        INPUTS[k] = v.astype(np.float64 if is64 else np.float32)
    lines.append(array_line(f"in.{k}", INPUTS[k]))


def fmt(v):
    if isinstance(v, (tuple, list)):
        return ",".join(str(x) for x in v)
    return str(v)


def case(fn, inp, **kw):
    out = getattr(jnp.fft, fn)(jnp.asarray(INPUTS[inp]), **kw)
    name = "|".join([fn, inp] + [f"{k}={fmt(v)}" for k, v in kw.items()])
    lines.append(array_line(name, np.asarray(out)))


NORMS = ["backward", "ortho", "forward"]
ONE_D = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
for fn in ONE_D:
    real_only = fn in ("rfft", "ihfft")
    vecs = ["r8", "r7", "r8_f64", "r7_f64"] if real_only else ["r8", "r7_f64", "c8", "c5_f64", "h5", "h4_f64"]
    for v in vecs:
        case(fn, v)
    v8, v7 = vecs[0], vecs[1]
    for norm in NORMS:
        case(fn, v8, norm=norm)
        case(fn, v7, norm=norm)
    case(fn, v8, n=5)  # truncation
    case(fn, v8, n=11)  # padding
    case(fn, v7, n=12, norm="ortho")
    mats = ["m34", "m35_f64"] if real_only else ["m34", "mc45", "hc34", "hc33_f64"]
    for m in mats:
        case(fn, m, axis=0)
        case(fn, m, axis=-1, n=6, norm="forward")

TWO_D = ["fft2", "ifft2", "rfft2", "irfft2"]
N_D = ["fftn", "ifftn", "rfftn", "irfftn"]
for fn in TWO_D + N_D:
    real_only = fn.startswith("rfft")
    srcs = ["m34", "m35_f64", "t234", "t235_f64"] if real_only else ["m34", "mc45", "t234", "t235_f64", "hc34", "hc33_f64"]
    for x in srcs:
        case(fn, x)
    for norm in NORMS:
        case(fn, srcs[0], norm=norm)
        case(fn, srcs[1], norm=norm)
    case(fn, srcs[0], s=(2, 6))
    case(fn, srcs[1], s=(5, 3), norm="ortho")
    case(fn, "t234", axes=(0, 2))
    case(fn, "t235_f64", axes=(2, 0), s=(4, 3))
    if fn in N_D:
        case(fn, "t234", axes=(1,))
        case(fn, "t235_f64", s=(3, 4, 6))
        case(fn, "t234", axes=(-1, 0, 1), norm="ortho")

for n in (1, 4, 7, 10):
    for d in (1.0, 0.25):
        for dtype in ("float32", "float64"):
            for fn in ("fftfreq", "rfftfreq"):
                out = getattr(jnp.fft, fn)(n, d, dtype=dtype)
                lines.append(array_line(f"{fn}|{n}|d={d}|dtype={dtype}", np.asarray(out)))

for x in ("r7", "m34", "t235_f64", "mc45"):
    for fn in ("fftshift", "ifftshift"):
        case(fn, x)
        case(fn, x, axes=(0,))
        if INPUTS[x].ndim > 1:
            case(fn, x, axes=(-1, 0))

# Reverse mode through the transpose rules (JAX's complex-cotangent convention): the vjp of
# each transform at input INPUT for the cotangent `in.ct.FUNCTION.INPUT`.
for fn, inp in [("fft", "c8"), ("ifft", "c5_f64"), ("rfft", "r8"), ("rfft", "r7_f64"),
                ("irfft", "h5"), ("irfft", "h4_f64"), ("rfft2", "m34"), ("irfftn", "hc33_f64"),
                ("fftn", "t234"), ("hfft", "h5"), ("ihfft", "r7")]:
    x = jnp.asarray(INPUTS[inp])
    y, pull = jax.vjp(getattr(jnp.fft, fn), x)
    ct = np.asarray(cplx(*y.shape) if jnp.iscomplexobj(y) else real(*y.shape)).astype(y.dtype)
    lines.append(array_line(f"in.ct.{fn}.{inp}", ct))
    lines.append(array_line(f"vjp.{fn}|{inp}", np.asarray(pull(jnp.asarray(ct))[0])))

with open(OUT, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"{len(lines)} lines -> {OUT}")
