"""Writes tests/golden/nn.txt: jax.nn.initializers outputs (JAX 0.10.2, CPU, default
partitionable threefry) for tests/nn/init.rs. Run from the repository root:

    python3 tests/golden/make_nn.py

Format: one case per line, `name dtype shape v1 v2 ...`, shape as `4x3`, floats as the hex
bit patterns of their values (f64 cases are drawn with x64 enabled). The tests never run
Python.
"""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.nn import initializers as init  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn.txt")
lines = []


def key(seed):
    return jnp.array([0, seed % (1 << 32)], dtype=jnp.uint32)


def emit(name, x):
    x = np.asarray(x)
    shape = "x".join(str(d) for d in x.shape)
    flat = x.reshape(-1)
    if x.dtype == np.float32:
        vals = ["%08x" % v for v in flat.view(np.uint32)]
        dt = "f32"
    elif x.dtype == np.float64:
        vals = ["%016x" % v for v in flat.view(np.uint64)]
        dt = "f64"
    else:
        raise TypeError(x.dtype)
    lines.append(" ".join([name, dt, shape] + vals))


INITS = {
    "lecun_normal": init.lecun_normal(),
    "lecun_uniform": init.lecun_uniform(),
    "he_normal": init.he_normal(),
    "he_uniform": init.he_uniform(),
    "glorot_normal": init.glorot_normal(),
    "glorot_uniform": init.glorot_uniform(),
    "normal_0.02": init.normal(0.02),
    "uniform_0.5": init.uniform(0.5),
    "vs_0.5_fan_out_normal": init.variance_scaling(0.5, "fan_out", "normal"),
    "vs_3_fan_avg_truncated_normal": init.variance_scaling(3.0, "fan_avg", "truncated_normal"),
    "vs_2_fan_in_uniform": init.variance_scaling(2.0, "fan_in", "uniform"),
    "embed": init.variance_scaling(1.0, "fan_in", "normal", out_axis=0),
    "orthogonal_1": init.orthogonal(),
    "orthogonal_2": init.orthogonal(2.0),
}
SHAPES = [(4, 3), (3, 3, 2, 4), (2, 5)]


def flax_pool(x, init_value, reduce_fn, window, strides, padding):
    """flax.linen.pooling.pool for NHWC inputs (flax is not installed here)."""
    dims = (1,) + window + (1,)
    strides = (1,) + strides + (1,)
    return jax.lax.reduce_window(x, init_value, reduce_fn, dims, strides, padding)


def run(dtype):
    for name, f in INITS.items():
        for i, shape in enumerate(SHAPES):
            seed = 7 * i + len(name)
            x = f(key(seed), shape, dtype)
            emit("%s_%d_%s" % (name, seed, "x".join(map(str, shape))), x)


run(jnp.float32)
with jax.enable_x64(True):
    run(jnp.float64)

    # Functional conv and pooling on deterministic f64 inputs: x[i] = sin(i), w[i] = cos(i)
    # over the flat index (NHWC and HWIO), so the Rust test rebuilds them without a file.
    def sin_input(shape):
        return jnp.asarray(np.sin(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape))

    def cos_input(shape):
        return jnp.asarray(np.cos(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape))

    DN = ("NHWC", "HWIO", "NHWC")
    CONVS = [
        # name, x shape, w shape, strides, padding, dilation, groups
        ("conv_valid", (2, 5, 6, 3), (3, 2, 3, 4), (1, 1), "VALID", (1, 1), 1),
        ("conv_same_s2", (1, 7, 6, 2), (3, 3, 2, 3), (2, 2), "SAME", (1, 1), 1),
        ("conv_same_dil", (1, 8, 7, 2), (3, 2, 2, 2), (1, 2), "SAME", (2, 1), 1),
        ("conv_explicit_g2", (2, 5, 5, 4), (2, 3, 2, 6), (2, 1), ((1, 2), (0, 1)), (1, 1), 2),
    ]
    for name, xs, ws, st, pad, dil, g in CONVS:
        y = jax.lax.conv_general_dilated(
            sin_input(xs), cos_input(ws), st, pad, rhs_dilation=dil,
            dimension_numbers=DN, feature_group_count=g)
        emit(name, y)
    x = sin_input((2, 7, 5, 3))
    emit("max_pool_valid", flax_pool(x, -jnp.inf, jax.lax.max, (3, 2), (2, 2), "VALID"))
    emit("max_pool_same", flax_pool(x, -jnp.inf, jax.lax.max, (3, 2), (2, 2), "SAME"))
    emit("avg_pool_valid", flax_pool(x, 0.0, jax.lax.add, (2, 3), (1, 2), "VALID") / 6.0)
    emit("avg_pool_same", flax_pool(x, 0.0, jax.lax.add, (2, 3), (2, 2), "SAME") / 6.0)

with open(OUT, "w") as fh:
    fh.write("\n".join(lines) + "\n")
print("wrote", len(lines), "cases to", OUT)
