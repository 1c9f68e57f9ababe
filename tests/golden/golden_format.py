"""The one text format of the golden arrays that tests/prims read (numpy.txt, indexing.txt,
lax.txt): one array per line, `name dtype shape v1 v2 ...`; shape as `2x3` (`-` for rank 0);
f32/f64 values as their hex bit patterns, complex64/complex128 (`c64`/`c128`) as `re:im` pairs
of those, integers in decimal, bool as 0/1. Imported by the
make_*.py scripts beside it (run them from the repository root)."""
import numpy as np

_INTS = {np.dtype(np.int32): "i32", np.dtype(np.uint32): "u32", np.dtype(np.uint8): "u8"}


def array_line(name, x):
    """The golden line of array `x` named `name`."""
    x = np.asarray(x)
    shape = "x".join(str(d) for d in x.shape) or "-"
    flat = x.reshape(-1)
    if x.dtype == np.float32:
        vals, dt = ["%08x" % v for v in flat.view(np.uint32)], "f32"
    elif x.dtype == np.float64:
        vals, dt = ["%016x" % v for v in flat.view(np.uint64)], "f64"
    elif x.dtype in (np.complex64, np.complex128):
        part = np.float32 if x.dtype == np.complex64 else np.float64
        bits, width = (np.uint32, 8) if part == np.float32 else (np.uint64, 16)
        re = flat.real.astype(part).view(bits)
        im = flat.imag.astype(part).view(bits)
        vals = ["%0*x:%0*x" % (width, r, width, i) for r, i in zip(re, im)]
        dt = "c64" if part == np.float32 else "c128"
    elif x.dtype in _INTS:
        vals, dt = [str(int(v)) for v in flat], _INTS[x.dtype]
    elif x.dtype == np.bool_:
        vals, dt = [str(int(v)) for v in flat], "bool"
    else:
        raise TypeError(f"{name}: {x.dtype}")
    return " ".join([name, dt, shape] + vals)


def emitter(lines):
    """An `emit(name, x)` that appends the golden line of `x` to `lines`; a tuple or list is
    emitted part by part as `name.0`, `name.1`, ..."""

    def emit(name, x):
        if isinstance(x, (tuple, list)):
            for i, xi in enumerate(x):
                emit(f"{name}.{i}", xi)
            return
        lines.append(array_line(name, np.asarray(x)))

    return emit


def float_dtype(name):
    """The float dtype a case named `name` runs in: f64 when it ends in `_f64`, else f32."""
    return np.float64 if name.endswith("_f64") else np.float32
