"""numpy.fft and JAX 0.10.2 (CPU, jitted) on the rows of benches/fft.rs, measured on the
machine the ferrax benches run on, so the columns can be compared in one session:

    python3 benches/reference/fft_rows.py

Rows: rfft and fft of 2^20 points (float32/complex64 and float64/complex128), a 1024 x 1024
fft2 (complex64) and fft over a batch of 1024 rows of 1024 points (complex64). Prints one line
per row: the median of several timed batches (after warming up) in ms, numpy then JAX, with
`block_until_ready` on every JAX result. numpy >= 2 keeps float32 in float32 (pocketfft).
"""
import os
import statistics
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402


def median_time(f, *args, batches=7):
    jax.block_until_ready(f(*args))
    t = time.perf_counter()
    jax.block_until_ready(f(*args))
    reps = max(1, int(0.3 / max(time.perf_counter() - t, 1e-7)))
    times = []
    for _ in range(batches):
        t = time.perf_counter()
        for _ in range(reps):
            out = f(*args)
        jax.block_until_ready(out)
        times.append((time.perf_counter() - t) / reps)
    return statistics.median(times)


rng = np.random.default_rng(0)
N = 1 << 20


def cplx(shape, dtype):
    part = np.float32 if dtype == np.complex64 else np.float64
    return (rng.uniform(-1, 1, shape).astype(part) + 1j * rng.uniform(-1, 1, shape).astype(part)).astype(dtype)


ROWS = [
    ("rfft_2^20_f32", "rfft", rng.uniform(-1, 1, N).astype(np.float32)),
    ("rfft_2^20_f64", "rfft", rng.uniform(-1, 1, N)),
    ("fft_2^20_c64", "fft", cplx(N, np.complex64)),
    ("fft_2^20_c128", "fft", cplx(N, np.complex128)),
    ("fft2_1024x1024_c64", "fft2", cplx((1024, 1024), np.complex64)),
    ("fft_1024_rows_of_1024_c64", "fft", cplx((1024, 1024), np.complex64)),
]

print(f"numpy {np.__version__}, jax {jax.__version__}; median ms")
for name, fn, x in ROWS:
    t_np = median_time(getattr(np.fft, fn), x)
    jf = jax.jit(getattr(jnp.fft, fn))
    xj = jnp.asarray(x)
    t_jax = median_time(jf, xj)
    out_dtype = getattr(np.fft, fn)(x).dtype
    print(f"{name:28s} numpy {t_np * 1e3:9.3f}  jax {t_jax * 1e3:9.3f}   (numpy out {out_dtype})")
