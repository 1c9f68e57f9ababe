"""Golden values of XLA's CPU f32 transcendentals and rsqrt, as jax.jit computes them (JAX 0.10.2,
JAX_PLATFORMS=cpu), for tests/prims/xla_math.rs: ferrax's f32 kernels must equal them bit for
bit. Writes tests/golden/xla_math.txt (a few thousand inputs per op, golden_format lines
`in.<op>` and `out.<op>`). With `--full DIR` it also writes DIR/<op>.bin (little-endian f32
pairs input, output; tens of millions of inputs, [0.5, 2) exhaustively for log) for the
ignored test `xla_math_full` (FERRAX_XLA_MATH_FULL=DIR). Run from the repository root.

The values depend on the CPU: XLA contracts a*b+c into FMA where the machine has FMA (this
file was made on an AVX-512 machine, an AMD EPYC); ferrax does the same (its FMA-compiled
kernels). rsqrt starts from the CPU's own `rsqrtss` estimate, whose bits differ between CPU
makers: its golden values hold for CPUs whose estimate equals this one's."""
import os
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from golden_format import array_line  # noqa: E402

OPS = {
    "exp": jnp.exp,
    "expm1": jnp.expm1,
    "log": jnp.log,
    "log1p": jnp.log1p,
    "tanh": jnp.tanh,
    "erf_inv": jax.lax.erf_inv,
    "erf": jax.lax.erf,
    "rsqrt": jax.lax.rsqrt,
}
SPECIALS = np.array(
    [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 0.5, -0.5, 2.0, 1e-45, -1e-45, 1e-38,
     1.1754944e-38, 3.4028235e38, -3.4028235e38, 88.72, 88.73, -87.3, -87.4, -103.0, 89.0,
     0.41421357, -0.41421357, 0.4142135, 4e-4, -4e-4, 8e-4, 20.0, -20.0, 7.99, 9.0, 1e-7,
     -0.99999994, 0.99999994, -1e-30, 1e-30, 5e-39],
    dtype=np.float32,
)
# Where each op's interesting inputs lie (uniform draws; bit patterns cover the rest).
RANGES = {
    "exp": (-100.0, 100.0),
    "expm1": (-2.0, 2.0),
    "log": (0.0, 4.0),
    "log1p": (-1.0, 2.0),
    "tanh": (-10.0, 10.0),
    "erf_inv": (-1.0, 1.0),
    "erf": (-5.0, 5.0),
    "rsqrt": (0.0, 100.0),
}


def inputs(op, n, rng):
    """Specials, uniform draws in the op's range, small values and random bit patterns."""
    lo, hi = RANGES[op]
    parts = [
        SPECIALS,
        rng.uniform(lo, hi, n).astype(np.float32),
        (rng.uniform(-1, 1, n // 4) * 10.0 ** rng.uniform(-8, 0, n // 4)).astype(np.float32),
        rng.integers(0, 2**32, n // 4, dtype=np.uint64).astype(np.uint32).view(np.float32),
    ]
    x = np.concatenate(parts)
    return x[: len(x) // 16 * 16]  # whole vectors: XLA's loop tails take another path


def run(op, x):
    return np.asarray(jax.jit(OPS[op])(jnp.asarray(x)))


def main():
    rng = np.random.default_rng(0)
    lines = []
    for op in OPS:
        x = inputs(op, 2048, rng)
        lines.append(array_line(f"in.{op}", x))
        lines.append(array_line(f"out.{op}", run(op, x)))
    with open("tests/golden/xla_math.txt", "w") as f:
        f.write("\n".join(lines) + "\n")
    if len(sys.argv) == 3 and sys.argv[1] == "--full":
        out = sys.argv[2]
        for op in OPS:
            x = inputs(op, 1 << 24, rng)
            if op == "log":
                x = np.concatenate([x, np.arange(0x3F000000, 0x40000000, dtype=np.uint32).view(np.float32)])
            y = np.concatenate([run(op, c) for c in np.array_split(x, 16)])
            np.stack([x, y], axis=1).astype("<f4").tofile(os.path.join(out, f"{op}.bin"))
            print(op, len(x))


if __name__ == "__main__":
    main()
