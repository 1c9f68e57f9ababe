"""The MNIST example's recipes in JAX 0.10.2 + optax, for comparing accuracy and time with
`cargo run --release --example mnist` (same models, Adam, batch 128, pixels / 255, the last
partial batch kept, softmax cross-entropy, test accuracy after the last epoch). The MLP and
the CNN decay the learning rate from 1e-3 to 0 with `optax.cosine_decay_schedule` over all
the steps of the run (the example's `--schedule cosine`), LeNet-5 keeps 1e-3:

    python3 examples/mnist/reference_jax.py DIR mlp      # 784-512-512-10, 5 epochs, cosine
    python3 examples/mnist/reference_jax.py DIR cnn      # conv32-pool-conv64-pool-256-10, 5 epochs, cosine
    python3 examples/mnist/reference_jax.py DIR lenet5   # LeNet-5 of src/models/lenet5.rs, 3 epochs, constant
    python3 examples/mnist/reference_jax.py DIR cnn 3 constant   # epochs and schedule given

DIR holds the four IDX files (not gzip'd). Initialisation as ferrax's layers (lecun normal
kernels, zero biases) but from numpy's generator, so the runs are the same recipe, not the
same bits. Prints the test accuracy per epoch and the training time (the jitted steps).
"""
import os
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from jax import lax  # noqa: E402


def idx(path):
    b = open(path, "rb").read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i : 8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, np.uint8, offset=4 + 4 * nd).reshape(dims)


def load(d):
    f = lambda n: idx(os.path.join(d, n))  # noqa: E731
    xs = f("train-images-idx3-ubyte").astype(np.float32)[..., None] / 255.0
    xt = f("t10k-images-idx3-ubyte").astype(np.float32)[..., None] / 255.0
    return xs, f("train-labels-idx1-ubyte").astype(np.int32), xt, f("t10k-labels-idx1-ubyte").astype(np.int32)


rng = np.random.default_rng(0)


def lecun(shape, fan_in):
    # truncated normal as jax.nn.initializers.lecun_normal, approximated by clipping
    return (np.clip(rng.standard_normal(shape), -2, 2) / np.sqrt(fan_in) / 0.8796).astype(np.float32)


def dense(i, o):
    return {"w": lecun((i, o), i), "b": np.zeros(o, np.float32)}


def conv(kh, i, o):
    return {"w": lecun((kh, kh, i, o), kh * kh * i), "b": np.zeros(o, np.float32)}


def conv_apply(p, x, padding):
    return lax.conv_general_dilated(x, p["w"], (1, 1), padding, dimension_numbers=("NHWC", "HWIO", "NHWC")) + p["b"]


def avg_pool(x):
    return lax.reduce_window(x, 0.0, lax.add, (1, 2, 2, 1), (1, 2, 2, 1), "VALID") / 4.0


def model(name):
    if name == "mlp":
        p = [dense(784, 512), dense(512, 512), dense(512, 10)]

        def f(p, x):
            h = x.reshape(x.shape[0], -1)
            h = jax.nn.relu(h @ p[0]["w"] + p[0]["b"])
            h = jax.nn.relu(h @ p[1]["w"] + p[1]["b"])
            return h @ p[2]["w"] + p[2]["b"]

    elif name == "cnn":
        p = [conv(3, 1, 32), conv(3, 32, 64), dense(3136, 256), dense(256, 10)]

        def f(p, x):
            h = avg_pool(jax.nn.relu(conv_apply(p[0], x, "SAME")))
            h = avg_pool(jax.nn.relu(conv_apply(p[1], h, "SAME")))
            h = h.reshape(h.shape[0], -1)
            h = jax.nn.relu(h @ p[2]["w"] + p[2]["b"])
            return h @ p[3]["w"] + p[3]["b"]

    else:
        p = [conv(5, 1, 6), conv(5, 6, 16), dense(400, 120), dense(120, 84), dense(84, 10)]

        def f(p, x):
            h = avg_pool(jax.nn.relu(conv_apply(p[0], x, "SAME")))
            h = avg_pool(jax.nn.relu(conv_apply(p[1], h, "VALID")))
            h = h.reshape(h.shape[0], -1)
            h = jax.nn.relu(h @ p[2]["w"] + p[2]["b"])
            h = jax.nn.relu(h @ p[3]["w"] + p[3]["b"])
            return h @ p[4]["w"] + p[4]["b"]

    return p, f


def main():
    d, name = sys.argv[1], sys.argv[2]
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else (3 if name == "lenet5" else 5)
    schedule = sys.argv[4] if len(sys.argv) > 4 else ("constant" if name == "lenet5" else "cosine")
    xs, ys, xt, yt = load(d)
    params, f = model(name)
    steps = epochs * -(-len(ys) // 128)
    lr = optax.cosine_decay_schedule(1e-3, steps) if schedule == "cosine" else 1e-3
    print(f"{name}: Adam 1e-3 ({schedule}), batch 128, {epochs} epochs ({steps} steps)", flush=True)
    opt = optax.adam(lr)
    state = opt.init(params)

    @jax.jit
    def step(params, state, x, y):
        def loss(p):
            return optax.softmax_cross_entropy_with_integer_labels(f(p, x), y).mean()

        l, g = jax.value_and_grad(loss)(params)
        u, state = opt.update(g, state, params)
        return optax.apply_updates(params, u), state, l

    acc = jax.jit(lambda p, x, y: jnp.mean(jnp.argmax(f(p, x), -1) == y))
    total = 0.0
    for e in range(epochs):
        perm = np.random.default_rng(e).permutation(len(ys))
        t0 = time.perf_counter()
        for i in range(0, len(ys), 128):
            b = perm[i : i + 128]
            params, state, l = step(params, state, xs[b], ys[b])
        l.block_until_ready()
        total += time.perf_counter() - t0
        a = np.mean([float(acc(params, xt[i : i + 1000], yt[i : i + 1000])) for i in range(0, len(yt), 1000)])
        print(f"epoch {e + 1}  test acc {a:.4f}  train time so far {total:.1f} s", flush=True)


if __name__ == "__main__":
    main()
