"""JAX 0.10.2 (CPU, jitted) and numpy/scipy on the rows of benches/linalg.rs, measured on the
machine the ferrax benches run on, so the columns can be compared in one session.

    pip install jax==0.10.2 optax==0.2.8
    JAX_PLATFORMS=cpu python3 benches/reference/linalg_rows.py [filter]

JAX and numpy run at their default threading (no OPENBLAS_NUM_THREADS, no XLA flags), as
ferrax runs its large decompositions on all threads of its rayon pool: the comparison the
issue's targets are stated in.

The inputs are the bench's own: the same deterministic generator as benches/common/mod.rs
(`values`), the same SPD and diagonally strengthened matrices, the GP data of
examples/gaussian_process/gp.rs (the same jax.random draws). Prints one line per row, named
as criterion names it: the median of several timed batches (after compiling and warming
up) for JAX with `block_until_ready`, and for numpy/scipy (LAPACK through numpy's BLAS).
"""
import math
import statistics
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import jax.scipy.linalg as jsl  # noqa: E402
import numpy as np  # noqa: E402


def median_time(f, *args, batches=7):
    def run():
        return jax.block_until_ready(f(*args))

    run()
    t = time.perf_counter()
    run()
    one = max(time.perf_counter() - t, 1e-7)
    reps = max(1, int(0.2 / one))
    times = []
    for _ in range(batches):
        t = time.perf_counter()
        for _ in range(reps):
            run()
        times.append((time.perf_counter() - t) / reps)
    return statistics.median(times)


def values(n, seed, scale):
    """benches/common/mod.rs `values`: the same LCG, the same f32 rounding."""
    out = np.empty(n, np.float32)
    s = seed
    mask = (1 << 64) - 1
    for i in range(n):
        s = (s * 6364136223846793005 + 1442695040888963407) & mask
        out[i] = np.float32(((s >> 33) / float(1 << 31)) * 2.0 - 1.0) * np.float32(scale)
    return out


def tensor(shape, seed, scale=1.0):
    return values(int(np.prod(shape)), seed, scale).reshape(shape)


def spd(n, dtype):
    m = tensor((n, n), 7).astype(np.float64)
    return (m @ m.T / n + np.eye(n)).astype(dtype)


def general(n, dtype):
    m = tensor((n, n), 11).astype(np.float64)
    return (m + np.eye(n) * math.sqrt(n)).astype(dtype)


OPS = {
    "cholesky": (lambda a, b: jnp.linalg.cholesky(a), lambda a, b: np.linalg.cholesky(a)),
    "solve": (jnp.linalg.solve, np.linalg.solve),
    "eigh": (lambda a, b: jnp.linalg.eigh(a)[1], lambda a, b: np.linalg.eigh(a)[1]),
    "svd": (
        lambda a, b: jnp.linalg.svd(a, full_matrices=False)[1],
        lambda a, b: np.linalg.svd(a, full_matrices=False)[1],
    ),
    # Both factors, as `linalg::qr` computes them: `jnp.linalg.qr(a)[1]` alone lets XLA drop
    # the `householder_product` (LAPACK's orgqr) that forms Q, half the work.
    "qr": (lambda a, b: jnp.linalg.qr(a), lambda a, b: np.linalg.qr(a)),
}


def row(name, jax_s, numpy_s):
    np_col = f"{numpy_s * 1e6:12.1f}" if numpy_s is not None else f"{'-':>12}"
    print(f"{name:40s} {jax_s * 1e6:12.1f} {np_col}   (us: jax jit, numpy)", flush=True)


def gp_nll(h, x, y):
    log_ell, log_sf2, log_sn2 = h
    d = x[:, None] - x[None, :]
    k = jnp.exp(log_sf2) * jnp.exp(-0.5 * d**2 * jnp.exp(-2.0 * log_ell)) + jnp.exp(log_sn2) * jnp.eye(x.shape[0])
    c = jsl.cho_factor(k, lower=True)
    return 0.5 * y @ jsl.cho_solve(c, y) + jnp.sum(jnp.log(jnp.diagonal(c[0]))) + 0.5 * x.shape[0] * math.log(2 * math.pi)


def main():
    want = sys.argv[1] if len(sys.argv) > 1 else ""
    print(f"jax {jax.__version__}, numpy {np.__version__}, devices {jax.devices()}")
    for name, (jf, nf) in OPS.items():
        jitted = jax.jit(jf)
        for dt, dtype in (("f32", np.float32), ("f64", np.float64)):
            for n in (64, 256, 1024):
                label = f"{name}/{dt}/{n}"
                if want not in label:
                    continue
                a = general(n, dtype) if name == "solve" else spd(n, dtype)
                b = tensor((n, 1), 3).astype(dtype)
                ja, jb = jnp.asarray(a), jnp.asarray(b)
                row(label, median_time(jitted, ja, jb), median_time(nf, a, b))
    for dt, dtype in (("f32", np.float32), ("f64", np.float64)):
        label = f"batched_solve_1024x8x8/{dt}"
        if want not in label:
            continue
        a = (tensor((1024, 8, 8), 5).astype(np.float64) + 4.0 * np.eye(8)).astype(dtype)
        b = tensor((1024, 8, 1), 6).astype(dtype)
        f = jax.jit(jax.vmap(jnp.linalg.solve))
        row(label, median_time(f, jnp.asarray(a), jnp.asarray(b)), median_time(np.linalg.solve, a, b))
    label = "gp_nll_value_and_grad_512/f64"
    if want in label:
        n = 512
        x = jax.random.uniform(jax.random.PRNGKey(0), (n,), jnp.float32).astype(jnp.float64) * 6.0 - 3.0
        noise = jax.random.normal(jax.random.PRNGKey(1), (n,), jnp.float32).astype(jnp.float64)
        y = jnp.sin(2.0 * x) + 0.5 * x + 0.2 * noise
        h = (jnp.float64(0.0), jnp.float64(0.0), jnp.float64(-2.0))
        f = jax.jit(jax.value_and_grad(gp_nll))
        row(label, median_time(f, h, x, y), None)


if __name__ == "__main__":
    main()
