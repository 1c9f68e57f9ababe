"""Writes the goldens of ferrax::models' vision models (tests/nn/models_vision.rs): fixed
weights and the forward passes JAX 0.10.2 (CPU) computes with them. Run from the repository
root:

    python3 tests/golden/make_models_vision.py

Files written next to this script (safetensors, from numpy with `safetensors.numpy`):

- `models_resnet20_flax.safetensors`: a ResNet-20 (3 stages of 3 basic blocks, projection
  shortcuts) with widths 2/4/8 instead of 16/32/64 (to keep the file small; the layout is
  the paper's), named as the flax examples' ResNet names its variables
  (`params/conv_init/kernel`, `params/ResNetBlock_{n}/Conv_0/kernel`, `BatchNorm_0/scale`,
  `conv_proj`, `norm_proj`, `Dense_0`, `batch_stats/.../mean|var`), HWIO kernels.
- `models_vit.safetensors`: a tiny Vision Transformer (8x8 images, 4x4 patches, width 8,
  2 blocks of 2 heads, MLP 16, 3 classes) named by ferrax's key paths
  (`.blocks[0].attn.query.kernel`), as `ferrax::train::save_params` names them.
- `models_vision_io.safetensors`: the inputs and outputs: `resnet20.x`, `resnet20.y_eval`
  (running statistics), `resnet20.y_train` (batch statistics), `resnet20.bn1.mean|var` and
  `resnet20.ds.mean|var` (the stem's and the first projection's running statistics after one
  training pass, momentum 0.9), `vit.x`, `vit.y`.

flax is not installed next to jax 0.10.2 here, so the models are written in plain JAX as
flax computes them: `Conv` is `lax.conv_general_dilated` (NHWC, HWIO) with PyTorch's
explicit pads (k // 2 each side), `BatchNorm` normalises with the fast variance
`E[x^2] - E[x]^2` and updates `0.9 * old + 0.1 * batch`, `LayerNorm` the same statistics over
the last axis with eps 1e-6, `gelu` the tanh approximation, attention
`softmax(q k^T / sqrt(dh)) v` per head.
"""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402
from safetensors.numpy import save_file  # noqa: E402

assert jax.__version__ == "0.10.2", jax.__version__
jax.config.update("jax_default_matmul_precision", "highest")
HERE = os.path.dirname(os.path.abspath(__file__))
F32 = np.float32


# ---------------------------------------------------------------- ResNet (basic blocks)

def resnet_params(rng, stem, widths, blocks, cin, classes):
    """Weights keyed by ferrax key path (`.layers[s][b].conv1.kernel`) and the running
    statistics keyed by batch-norm module path."""
    p, stats = {}, {}

    def conv(name, k, i, o):
        p[name + ".kernel"] = (rng.standard_normal((k, k, i, o)) / np.sqrt(k * k * i)).astype(F32)

    def bn(name, c):
        p[name + ".scale"] = (1 + 0.2 * rng.standard_normal(c)).astype(F32)
        p[name + ".bias"] = (0.2 * rng.standard_normal(c)).astype(F32)
        stats[name] = ((0.2 * rng.standard_normal(c)).astype(F32),
                       rng.uniform(0.5, 1.5, c).astype(F32))

    conv(".conv1", 3 if stem == "cifar" else 7, cin, widths[0])
    bn(".bn1", widths[0])
    c = widths[0]
    for s, (w, nb) in enumerate(zip(widths, blocks)):
        for b in range(nb):
            stride = 2 if s > 0 and b == 0 else 1
            q = f".layers[{s}][{b}]"
            conv(q + ".conv1", 3, c, w)
            bn(q + ".bn1", w)
            conv(q + ".conv2", 3, w, w)
            bn(q + ".bn2", w)
            if stride != 1 or c != w:
                conv(q + ".downsample.conv", 1, c, w)
                bn(q + ".downsample.bn", w)
            c = w
    p[".fc.kernel"] = (rng.standard_normal((c, classes)) / np.sqrt(c)).astype(F32)
    p[".fc.bias"] = (0.1 * rng.standard_normal(classes)).astype(F32)
    return p, stats


def resnet_forward(p, stats, x, stem, widths, blocks, train):
    """Logits, and the running statistics after the pass."""
    new = dict(stats)

    def conv(name, x, stride):
        w = p[name + ".kernel"]
        k = w.shape[0] // 2
        return lax.conv_general_dilated(x, w, (stride, stride), [(k, k), (k, k)],
                                        dimension_numbers=("NHWC", "HWIO", "NHWC"))

    def bn(name, x):
        if train:
            mean = x.mean((0, 1, 2))
            var = jnp.maximum(0.0, (x * x).mean((0, 1, 2)) - mean * mean)
            m, v = stats[name]
            new[name] = (0.9 * m + 0.1 * mean, 0.9 * v + 0.1 * var)
        else:
            mean, var = stats[name]
        return (x - mean) * (lax.rsqrt(var + 1e-5) * p[name + ".scale"]) + p[name + ".bias"]

    y = jax.nn.relu(bn(".bn1", conv(".conv1", x, 1 if stem == "cifar" else 2)))
    if stem == "imagenet":
        y = lax.reduce_window(y, -jnp.inf, lax.max, (1, 3, 3, 1), (1, 2, 2, 1),
                              [(0, 0), (1, 1), (1, 1), (0, 0)])
    c = widths[0]
    for s, (w, nb) in enumerate(zip(widths, blocks)):
        for b in range(nb):
            stride = 2 if s > 0 and b == 0 else 1
            q = f".layers[{s}][{b}]"
            h = jax.nn.relu(bn(q + ".bn1", conv(q + ".conv1", y, stride)))
            h = bn(q + ".bn2", conv(q + ".conv2", h, 1))
            if stride != 1 or c != w:
                short = bn(q + ".downsample.bn", conv(q + ".downsample.conv", y, stride))
            else:
                short = y
            y = jax.nn.relu(h + short)
            c = w
    pooled = y.mean((1, 2))
    return pooled @ p[".fc.kernel"] + p[".fc.bias"], new


def flax_names(p, stats, blocks):
    """The flax examples' ResNet names (flax/examples/imagenet/models.py)."""
    starts = np.cumsum([0] + list(blocks))

    def module(path):
        fixed = {".conv1": "conv_init", ".bn1": "bn_init", ".fc": "Dense_0"}
        if path in fixed:
            return fixed[path]
        s, rest = path[len(".layers["):].split("][", 1)
        b, inner = rest.split("]", 1)
        layer = {".conv1": "Conv_0", ".bn1": "BatchNorm_0", ".conv2": "Conv_1",
                 ".bn2": "BatchNorm_1", ".downsample.conv": "conv_proj",
                 ".downsample.bn": "norm_proj"}[inner]
        return f"ResNetBlock_{starts[int(s)] + int(b)}/{layer}"

    out = {}
    for k, v in p.items():
        m, field = k.rsplit(".", 1)
        out[f"params/{module(m)}/{field}"] = v
    for m, (mean, var) in stats.items():
        out[f"batch_stats/{module(m)}/mean"] = mean
        out[f"batch_stats/{module(m)}/var"] = var
    return out


# ---------------------------------------------------------------- Vision Transformer

def vit_params(rng, image, patch, cin, dim, depth, mlp, classes):
    p = {}

    def lin(name, i, o):
        p[name + ".kernel"] = (rng.standard_normal((i, o)) / np.sqrt(i)).astype(F32)
        p[name + ".bias"] = (0.1 * rng.standard_normal(o)).astype(F32)

    def ln(name):
        p[name + ".scale"] = (1 + 0.2 * rng.standard_normal(dim)).astype(F32)
        p[name + ".bias"] = (0.2 * rng.standard_normal(dim)).astype(F32)

    n = (image // patch) ** 2
    p[".patch_embed.kernel"] = (rng.standard_normal((patch, patch, cin, dim))
                                / np.sqrt(patch * patch * cin)).astype(F32)
    p[".patch_embed.bias"] = (0.1 * rng.standard_normal(dim)).astype(F32)
    p[".cls_token"] = (0.5 * rng.standard_normal((1, 1, dim))).astype(F32)
    p[".pos_embed"] = (0.5 * rng.standard_normal((1, n + 1, dim))).astype(F32)
    for i in range(depth):
        q = f".blocks[{i}]"
        ln(q + ".ln1")
        for proj in ("query", "key", "value", "out"):
            lin(f"{q}.attn.{proj}", dim, dim)
        ln(q + ".ln2")
        lin(q + ".mlp_in", dim, mlp)
        lin(q + ".mlp_out", mlp, dim)
    ln(".norm")
    lin(".head", dim, classes)
    return p


def layer_norm(x, scale, bias):
    mean = x.mean(-1, keepdims=True)
    var = jnp.maximum(0.0, (x * x).mean(-1, keepdims=True) - mean * mean)
    return (x - mean) * (lax.rsqrt(var + 1e-6) * scale) + bias


def vit_forward(p, x, patch, depth, heads):
    dense = lambda name, h: h @ p[name + ".kernel"] + p[name + ".bias"]  # noqa: E731
    t = lax.conv_general_dilated(x, p[".patch_embed.kernel"], (patch, patch), "VALID",
                                 dimension_numbers=("NHWC", "HWIO", "NHWC"))
    t = t + p[".patch_embed.bias"]
    n, dim = x.shape[0], t.shape[-1]
    t = t.reshape(n, -1, dim)
    cls = jnp.broadcast_to(p[".cls_token"], (n, 1, dim))
    h = jnp.concatenate([cls, t], 1) + p[".pos_embed"]
    dh = dim // heads
    for i in range(depth):
        q = f".blocks[{i}]"
        a = layer_norm(h, p[q + ".ln1.scale"], p[q + ".ln1.bias"])
        split = lambda z: z.reshape(z.shape[0], z.shape[1], heads, dh)  # noqa: E731
        qq, kk, vv = (split(dense(f"{q}.attn.{r}", a)) for r in ("query", "key", "value"))
        logits = jnp.einsum("nqhd,nkhd->nhqk", qq / np.sqrt(dh), kk)
        w = jax.nn.softmax(logits, -1)
        o = jnp.einsum("nhqk,nkhd->nqhd", w, vv).reshape(n, -1, dim)
        h = h + dense(f"{q}.attn.out", o)
        m = layer_norm(h, p[q + ".ln2.scale"], p[q + ".ln2.bias"])
        h = h + dense(q + ".mlp_out", jax.nn.gelu(dense(q + ".mlp_in", m), approximate=True))
    h = layer_norm(h, p[".norm.scale"], p[".norm.bias"])
    return dense(".head", h[:, 0])


def np32(t):
    return np.asarray(t, dtype=F32)


def main():
    rng = np.random.default_rng(20)
    io = {}
    # ResNet-20 layout, widths 2/4/8.
    widths, blocks = (2, 4, 8), (3, 3, 3)
    p, stats = resnet_params(rng, "cifar", widths, blocks, 3, 5)
    x = rng.standard_normal((2, 8, 8, 3)).astype(F32)
    y_eval, _ = resnet_forward(p, stats, x, "cifar", widths, blocks, train=False)
    y_train, new = resnet_forward(p, stats, x, "cifar", widths, blocks, train=True)
    io["resnet20.x"] = x
    io["resnet20.y_eval"] = np32(y_eval)
    io["resnet20.y_train"] = np32(y_train)
    io["resnet20.bn1.mean"], io["resnet20.bn1.var"] = map(np32, new[".bn1"])
    ds = new[".layers[1][0].downsample.bn"]
    io["resnet20.ds.mean"], io["resnet20.ds.var"] = map(np32, ds)
    save_file(flax_names(p, stats, blocks), os.path.join(HERE, "models_resnet20_flax.safetensors"))

    # ViT: 8x8 images, 4x4 patches, width 8, 2 blocks of 2 heads, MLP 16, 3 classes.
    vp = vit_params(rng, 8, 4, 3, 8, 2, 16, 3)
    vx = rng.standard_normal((2, 8, 8, 3)).astype(F32)
    io["vit.x"] = vx
    io["vit.y"] = np32(vit_forward(vp, vx, 4, 2, 2))
    save_file(vp, os.path.join(HERE, "models_vit.safetensors"))
    save_file(io, os.path.join(HERE, "models_vision_io.safetensors"))


if __name__ == "__main__":
    main()
