"""Writes tests/golden/layers.txt: the forward passes of ferrax::nn's conv, transposed conv,
normalisation, pooling and positional-encoding layers, as JAX 0.10.2 (CPU) computes them,
for tests/nn/layers_*.rs. Run from the repository root:

    python3 tests/golden/make_layers.py

Format (tests/golden/golden_format.py): one array per line, `name dtype shape v1 v2 ...`.
For each case `CASE`, the lines `CASE.x`, `CASE.w`, `CASE.b`, ... are its inputs and
parameters (the tests read them, so both sides use the same bits) and `CASE.y` is the output.

flax is not installed next to jax 0.10.2 here, so each layer is written as flax writes it
(flax/linen/linear.py, normalization.py, pooling.py): `Conv` is
`lax.conv_general_dilated` with NWC/NHWC/NDHWC layouts plus bias, `ConvTranspose` is
`lax.conv_transpose` plus bias, the norms are `_compute_stats` (fast variance
`E[x^2] - E[x]^2` clipped at 0) and `_normalize` (`(x - mean) * (rsqrt(var + eps) * scale)
+ bias`), the pools are `lax.reduce_window` (avg: divided by the window size, or by the
pooled ones with `count_include_pad=False`).
"""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402
from golden_format import array_line  # noqa: E402

assert jax.__version__ == "0.10.2", jax.__version__
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers.txt")
lines = []
_seed = [0]


def emit(name, x):
    lines.append(array_line(name, np.asarray(x)))


def arr(name, *shape):
    """A fresh f32 input of `shape` (normal values), emitted as `name`."""
    _seed[0] += 1
    v = np.random.RandomState(_seed[0]).standard_normal(shape).astype(np.float32)
    emit(name, v)
    return jnp.asarray(v)


def dn(sp):
    s = "DHW"[3 - sp:] if sp <= 3 else None
    return ("N" + s + "C", s + "IO", "N" + s + "C")


# ---- Conv (flax.linen.Conv) ----
def conv_case(name, x_shape, w_shape, strides, padding, dil, groups):
    sp = len(w_shape) - 2
    x = arr(name + ".x", *x_shape)
    w = arr(name + ".w", *w_shape)
    b = arr(name + ".b", w_shape[-1])
    y = lax.conv_general_dilated(x, w, strides, padding, rhs_dilation=dil,
                                 dimension_numbers=dn(sp), feature_group_count=groups) + b
    emit(name + ".y", y)


conv_case("conv1d_same_s2_g2", (2, 9, 4), (3, 2, 6), (2,), "SAME", (1,), 2)
conv_case("conv1d_explicit_d2", (2, 8, 4), (3, 4, 5), (1,), [(1, 2)], (2,), 1)
conv_case("conv3d_same_s121", (1, 5, 6, 4, 2), (3, 2, 3, 2, 3), (1, 2, 1), "SAME", (1, 1, 1), 1)
conv_case("conv3d_valid_d112", (2, 4, 4, 5, 2), (2, 2, 2, 2, 4), (1, 1, 1), "VALID", (1, 1, 2), 1)


# ---- ConvTranspose (flax.linen.ConvTranspose) ----
def convt_case(name, x_shape, w_shape, strides, padding, dil, transpose_kernel):
    sp = len(w_shape) - 2
    x = arr(name + ".x", *x_shape)
    w = arr(name + ".w", *w_shape)
    b = arr(name + ".b", w_shape[-1] if not transpose_kernel else w_shape[-2])
    y = lax.conv_transpose(x, w, strides, padding, rhs_dilation=dil, dimension_numbers=dn(sp),
                           transpose_kernel=transpose_kernel) + b
    emit(name + ".y", y)


convt_case("convt1d_same_s2", (2, 5, 3), (4, 3, 2), (2,), "SAME", (1,), False)
convt_case("convt1d_valid_s3", (2, 4, 3), (2, 3, 2), (3,), "VALID", (1,), False)
convt_case("convt1d_explicit", (1, 5, 2), (3, 2, 3), (2,), [(1, 2)], (1,), False)
convt_case("convt1d_tk_d2", (2, 5, 3), (3, 2, 3), (2,), "SAME", (2,), True)
convt_case("convt2d_same_s21", (1, 4, 3, 2), (3, 3, 2, 4), (2, 1), "SAME", (1, 1), False)
convt_case("convt2d_valid_d12", (2, 3, 3, 2), (2, 3, 2, 3), (2, 2), "VALID", (1, 2), False)
convt_case("convt3d_valid_tk", (1, 3, 3, 2, 2), (2, 2, 2, 3, 2), (2, 2, 2), "VALID", (1, 1, 1),
           True)


# ---- normalisation (flax.linen.normalization) ----
def compute_stats(x, axes, use_mean=True):
    mean2 = jnp.mean(jnp.square(x), axes, keepdims=True)
    if not use_mean:
        return jnp.zeros_like(mean2), mean2
    mean = jnp.mean(x, axes, keepdims=True)
    return mean, jnp.maximum(0.0, mean2 - jnp.square(mean))


def normalize(x, mean, var, eps, scale, bias):
    mul = lax.rsqrt(var + eps)
    if scale is not None:
        mul = mul * scale
    y = (x - mean) * mul
    if bias is not None:
        y = y + bias
    return y


def group_norm_case(name, shape, groups, eps):
    x = arr(name + ".x", *shape)
    c = shape[-1]
    scale, bias = arr(name + ".scale", c), arr(name + ".bias", c)
    xg = x.reshape(shape[:-1] + (groups, c // groups))
    axes = tuple(range(1, x.ndim - 1)) + (-1,)  # flax: reduction_axes[:-1] + [-1]
    mean, var = compute_stats(xg, axes)
    mean = jnp.broadcast_to(mean, xg.shape).reshape(shape)
    var = jnp.broadcast_to(var, xg.shape).reshape(shape)
    emit(name + ".y", normalize(x, mean, var, eps, scale, bias))


group_norm_case("groupnorm_4d_g3", (2, 3, 4, 6), 3, 1e-6)
group_norm_case("groupnorm_3d_g2", (3, 5, 4), 2, 1e-5)


def rms_norm_case(name, shape, axes, eps):
    x = arr(name + ".x", *shape)
    scale = arr(name + ".scale", shape[-1])
    mean, var = compute_stats(x, axes, use_mean=False)
    emit(name + ".y", normalize(x, mean, var, eps, scale, None))


rms_norm_case("rmsnorm_last", (3, 4, 8), (-1,), 1e-6)
rms_norm_case("rmsnorm_two_axes", (2, 3, 5), (-2, -1), 1e-5)


def instance_norm_case(name, shape, eps):
    x = arr(name + ".x", *shape)
    scale, bias = arr(name + ".scale", shape[-1]), arr(name + ".bias", shape[-1])
    mean, var = compute_stats(x, tuple(range(1, x.ndim - 1)))
    emit(name + ".y", normalize(x, mean, var, eps, scale, bias))


instance_norm_case("instancenorm_2d", (2, 4, 5, 3), 1e-6)
instance_norm_case("instancenorm_1d", (3, 6, 2), 1e-3)


# ---- pooling (flax.linen.pooling) ----
def pool(x, init, op, window, strides, padding):
    dims = (1,) + window + (1,)
    st = (1,) + strides + (1,)
    if not isinstance(padding, str):
        padding = ((0, 0),) + tuple(padding) + ((0, 0),)
    return lax.reduce_window(x, init, op, dims, st, padding)


def max_pool_case(name, shape, window, strides, padding):
    x = arr(name + ".x", *shape)
    emit(name + ".y", pool(x, -jnp.inf, lax.max, window, strides, padding))


def avg_pool_case(name, shape, window, strides, padding, count_include_pad):
    x = arr(name + ".x", *shape)
    y = pool(x, 0.0, lax.add, window, strides, padding)
    if count_include_pad:
        y = y / np.prod(window)
    else:
        ones = jnp.ones((1,) + shape[1:-1] + (1,), x.dtype)
        y = y / pool(ones, 0.0, lax.add, window, strides, padding)
    emit(name + ".y", y)


max_pool_case("maxpool1d_same_k3s2", (2, 7, 3), (3,), (2,), "SAME")
max_pool_case("maxpool3d_valid", (1, 4, 5, 5, 2), (2, 2, 2), (1, 2, 2), "VALID")
avg_pool_case("avgpool1d_same_exclude", (2, 7, 3), (3,), (2,), "SAME", False)
avg_pool_case("avgpool1d_explicit_include", (2, 6, 2), (2,), (2,), [(1, 1)], True)
avg_pool_case("avgpool3d_same_exclude", (1, 3, 5, 4, 2), (2, 3, 2), (2, 2, 2), "SAME", False)
avg_pool_case("avgpool3d_same_include", (1, 3, 5, 4, 2), (2, 3, 2), (2, 2, 2), "SAME", True)

# ---- positional encodings ----
x = arr("global.x", 2, 3, 4, 5)
emit("global_avg.y", jnp.mean(x, (1, 2)))
emit("global_max.y", jnp.max(x, (1, 2)))


def sinusoidal(length, d):
    pos = jnp.arange(length, dtype=jnp.float32)[:, None]
    div = jnp.exp(jnp.arange(0, d, 2, dtype=jnp.float32)[None, :] * (-np.log(10000.0) / d))
    pe = jnp.stack([jnp.sin(pos * div), jnp.cos(pos * div)], -1)
    return pe.reshape(length, d)


emit("sinusoidal_7x8.y", sinusoidal(7, 8))


def rope(x, positions, base):
    """The half-rotation RoPE of Gemma's `apply_rope` (gemma/positional_embeddings.py)."""
    d = x.shape[-1]
    fraction = 2 * jnp.arange(0, d // 2, dtype=jnp.float32) / d
    timescale = base ** fraction
    angle = positions.astype(jnp.float32)[..., None] / timescale
    angle = angle[..., None, :]
    sin, cos = jnp.sin(angle), jnp.cos(angle)
    x1, x2 = jnp.split(x, 2, axis=-1)
    return jnp.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)


x = arr("rope_1d.x", 2, 5, 3, 8)
pos = jnp.arange(5, dtype=jnp.int32) + 3
emit("rope_1d.pos", pos)
emit("rope_1d.y", rope(x, pos, 10000.0))
x = arr("rope_batched.x", 2, 4, 2, 6)
pos = jnp.array([[0, 1, 2, 3], [7, 8, 9, 10]], jnp.int32)
emit("rope_batched.pos", pos)
emit("rope_batched.y", rope(x, pos, 500.0))


# ---- attention: flax's projections (DenseGeneral kernels [dim, heads, dh] are our [dim,
# heads*dh] reshaped) around jax.nn.dot_product_attention (grouped kv heads, causal) ----
def mha_case(name, shape, heads, kv_heads, causal, rope_base):
    b, length, dim = shape
    dh = dim // heads
    x = arr(name + ".x", *shape)
    p = {}
    for n, out in [("wq", dim), ("wk", kv_heads * dh), ("wv", kv_heads * dh), ("wo", dim)]:
        p[n] = arr(f"{name}.{n}", dim, out)
        p["b" + n[1]] = arr(f"{name}.b{n[1]}", out)
    q = (x @ p["wq"] + p["bq"]).reshape(b, length, heads, dh)
    k = (x @ p["wk"] + p["bk"]).reshape(b, length, kv_heads, dh)
    v = (x @ p["wv"] + p["bv"]).reshape(b, length, kv_heads, dh)
    if rope_base is not None:
        pos = jnp.arange(length)
        q, k = rope(q, pos, rope_base), rope(k, pos, rope_base)
    o = jax.nn.dot_product_attention(q, k, v, is_causal=causal)
    emit(name + ".y", o.reshape(b, length, dim) @ p["wo"] + p["bo"])


mha_case("mha_gqa_causal_rope", (2, 5, 8), 4, 2, True, 10000.0)
mha_case("mha_mqa", (2, 4, 6), 3, 1, False, None)

with open(OUT, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} lines to {OUT}")
