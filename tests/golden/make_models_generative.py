"""Goldens for tests/nn/models_generative.rs: a pre-norm causal Transformer block and a small
tied-head Transformer language model (ferrax::models::TransformerLm) in plain JAX 0.10.2
(flax's LayerNorm, MultiHeadDotProductAttention with a causal mask, Dense and gelu written out
in jnp), on fixed random weights that are written to the file too.

Run from the repository root: python3 tests/golden/make_models_generative.py
(writes tests/golden/models_generative.txt)."""
import sys

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, "tests/golden")
from golden_format import emitter  # noqa: E402

DIM, HEADS, MLP = 8, 2, 16
rng = np.random.default_rng(11)


def arr(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def layer_norm(x, scale, bias, eps=1e-6):
    mean = jnp.mean(x, -1, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), -1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + eps) * scale + bias


def dense(x, p):
    return x @ p["w"] + p["b"]


def attention(x, p):
    length = x.shape[-2]
    dh = DIM // HEADS
    split = lambda t: t.reshape(t.shape[:-1] + (HEADS, dh))  # noqa: E731
    q, k, v = (split(dense(x, p[n])) for n in ("q", "k", "v"))
    q = q / jnp.sqrt(dh).astype(np.float32)
    logits = jnp.einsum("...qhd,...khd->...hqk", q, k)
    mask = jnp.tril(jnp.ones((length, length), bool))
    logits = jnp.where(mask, logits, jnp.finfo(np.float32).min)
    w = jax.nn.softmax(logits, -1)
    o = jnp.einsum("...hqk,...khd->...qhd", w, v)
    return dense(o.reshape(o.shape[:-2] + (DIM,)), p["o"])


def block(x, p):
    x = x + attention(layer_norm(x, *p["ln1"]), p)
    h = layer_norm(x, *p["ln2"])
    return x + dense(jax.nn.gelu(dense(h, p["mlp_in"])), p["mlp_out"])


def block_params():
    d = lambda i, o: {"w": arr(i, o), "b": arr(o, scale=0.1)}  # noqa: E731
    return {
        "ln1": (1.0 + arr(DIM, scale=0.1), arr(DIM, scale=0.1)),
        "q": d(DIM, DIM), "k": d(DIM, DIM), "v": d(DIM, DIM), "o": d(DIM, DIM),
        "ln2": (1.0 + arr(DIM, scale=0.1), arr(DIM, scale=0.1)),
        "mlp_in": d(DIM, MLP), "mlp_out": d(MLP, DIM),
    }


def emit_block(emit, name, p):
    emit(f"{name}.ln1", p["ln1"])
    emit(f"{name}.ln2", p["ln2"])
    for n in ("q", "k", "v", "o", "mlp_in", "mlp_out"):
        emit(f"{name}.{n}", (p[n]["w"], p[n]["b"]))


def main():
    lines = []
    emit = emitter(lines)
    # One causal block on x[2, 5, 8].
    p = block_params()
    x = arr(2, 5, DIM, scale=1.0)
    emit_block(emit, "block", p)
    emit("block.x", x)
    emit("block.y", block(x, p))
    # A 2-block LM, vocab 11, context 6, tied head, on ids[2, 5].
    vocab, max_len = 11, 6
    tok, pos = arr(vocab, DIM), arr(max_len, DIM)
    blocks = [block_params(), block_params()]
    ln_f = (1.0 + arr(DIM, scale=0.1), arr(DIM, scale=0.1))
    ids = rng.integers(0, vocab, (2, 5)).astype(np.int32)
    h = tok[ids] + pos[: ids.shape[-1]]
    for b in blocks:
        h = block(h, b)
    logits = layer_norm(h, *ln_f) @ tok.T
    emit("lm.tok", tok)
    emit("lm.pos", pos)
    for i, b in enumerate(blocks):
        emit_block(emit, f"lm.b{i}", b)
    emit("lm.ln_f", ln_f)
    emit("lm.ids", ids)
    emit("lm.logits", logits)
    with open("tests/golden/models_generative.txt", "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
