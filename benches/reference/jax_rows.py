"""JAX 0.10.2 (CPU) on the benchmark rows of issues [7/8], [8/8] and [8/11] and of
benches/control_flow.rs, measured on the machine the ferrax benches run on, so the two
columns can be compared in one session.

    pip install jax==0.10.2 optax==0.2.8
    python3 benches/reference/jax_rows.py            # every row
    python3 benches/reference/jax_rows.py steps      # all but the MNIST epochs and the LSTM run
    python3 benches/reference/jax_rows.py mnist      # only the synthetic-MNIST epochs (minutes)
    python3 benches/reference/jax_rows.py mnist-mlp  # only the MLP's epoch

The MNIST rows (benches/train.rs `mnist`, benches/cnn.rs `CNN_CASE="cnn mnist epoch"`) train on
a synthetic MNIST-shaped set (60,000 x 28 x 28 u8 images, labels 0-9, from a fixed seed): time
per epoch of batch-128 (MLP) or batch-64 (CNN) jitted Adam steps over a shuffled epoch, batches
gathered on the host as u8 and converted (/255, one-hot) inside the jitted step.

Prints one line per row: the median of several timed batches (after compiling and warming
up), with `block_until_ready` on every result.
"""
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax


def median_time(f, *args, reps=None, batches=7):
    out = f(*args)
    jax.block_until_ready(out)
    if reps is None:
        t = time.perf_counter()
        jax.block_until_ready(f(*args))
        one = max(time.perf_counter() - t, 1e-7)
        reps = max(1, int(0.2 / one))
    times = []
    for _ in range(batches):
        t = time.perf_counter()
        for _ in range(reps):
            out = f(*args)
        jax.block_until_ready(out)
        times.append((time.perf_counter() - t) / reps)
    return statistics.median(times)


def mlp_params(key, widths):
    ps = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        k = jax.random.fold_in(key, i)
        ps.append((jax.random.normal(k, (a, b), jnp.float32) * (1.0 / a) ** 0.5, jnp.zeros((b,), jnp.float32)))
    return ps


def mlp_loss(act):
    def loss(params, x, y):
        h = x
        for i, (w, b) in enumerate(params):
            h = h @ w + b
            if i + 1 < len(params):
                h = act(h)
        return -jnp.mean(jnp.sum(jax.nn.log_softmax(h) * y, axis=-1))
    return loss


def batch(n, d, classes, seed=0):
    rng = np.random.default_rng(seed)
    x = jnp.asarray(rng.uniform(-1, 1, (n, d)).astype(np.float32))
    y = jax.nn.one_hot(jnp.arange(n) % classes, classes)
    return x, y


def row(name, seconds, unit="ms"):
    scale = {"ms": 1e3, "us": 1e6}[unit]
    print(f"{name:58s} {seconds * scale:10.3f} {unit}")


def issue_8_11_rows(key):
    """The rows of issue [8/11] that are not epochs: numpy's eager add, value_and_grad with
    respect to the parameters and the inputs, and the Adam step of the large MLP."""
    a = np.ones((4,), np.float32)
    b = np.full((4,), 2.0, np.float32)
    n = 200_000
    times = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(n):
            np.add(a, b)
        times.append((time.perf_counter() - t) / n)
    row("numpy np.add f32[4] (eager, per call)", statistics.median(times), "us")

    small = mlp_params(key, [64, 128, 10])
    xs, ys = batch(128, 64, 10)
    vg_both = jax.jit(jax.value_and_grad(mlp_loss(jnp.tanh), argnums=(0, 1)))
    row("jitted MLP 64-128(tanh)-10 b128 value_and_grad (params and inputs)",
        median_time(vg_both, small, xs, ys))


def synthetic_mnist(seed=0):
    """60,000 28x28 u8 images and labels 0-9 from a fixed seed."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (60_000, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, (60_000,), dtype=np.int32)
    return images, labels


def epoch_seconds(step, carry, images, labels, batch_size, epochs):
    """Median seconds per shuffled epoch (batches gathered as u8 on the host, drop_last),
    after one warm-up epoch."""
    n = images.shape[0] // batch_size
    times = []
    for e in range(epochs + 1):
        perm = np.random.default_rng(100 + e).permutation(images.shape[0])
        t = time.perf_counter()
        for i in range(n):
            idx = perm[i * batch_size:(i + 1) * batch_size]
            carry = step(carry, images[idx], labels[idx])
        jax.block_until_ready(carry)
        if e > 0:
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def mnist_rows(key, mlp_epochs=2, cnn_epochs=1):
    images, labels = synthetic_mnist()
    opt = optax.adam(1e-3)

    def make_step(loss, prepare):
        @jax.jit
        def step(carry, x, y):
            params, state = carry
            x, y = prepare(x, y)
            g = jax.grad(loss)(params, x, y)
            u, state = opt.update(g, state, params)
            return optax.apply_updates(params, u), state
        return step

    flat = lambda x, y: (x.reshape(x.shape[0], -1).astype(jnp.float32) / 255.0, jax.nn.one_hot(y, 10))
    params = mlp_params(key, [784, 512, 512, 10])
    step = make_step(mlp_loss(jax.nn.relu), flat)
    t = epoch_seconds(step, (params, opt.init(params)), images, labels, 128, mlp_epochs)
    row("MNIST MLP 784-512-512-10 Adam b128, one epoch (468 steps)", t, "ms")
    if cnn_epochs == 0:
        return

    k = [jax.random.fold_in(key, i) for i in range(4)]
    cnn = (
        jax.random.normal(k[0], (3, 3, 1, 32)) * 0.3, jnp.zeros((32,)),
        jax.random.normal(k[1], (3, 3, 32, 64)) * 0.06, jnp.zeros((64,)),
        jax.random.normal(k[2], (7744, 10)) * 0.01, jnp.zeros((10,)),
    )
    image = lambda x, y: (x[..., None].astype(jnp.float32) / 255.0, jax.nn.one_hot(y, 10))
    step = make_step(cnn_loss, image)
    t = epoch_seconds(step, (cnn, opt.init(cnn)), images, labels, 64, cnn_epochs)
    row("MNIST CNN b64 Adam, one epoch (937 steps)", t, "ms")


DN = ("NHWC", "HWIO", "NHWC")


def cnn_loss(p, x, y):
    """The reference CNN (benches/cnn.rs): mean softmax cross-entropy against one-hot y."""
    w1, b1, w2, b2, w3, b3 = p
    h = jax.lax.conv_general_dilated(x, w1, (1, 1), "VALID", dimension_numbers=DN) + b1
    h = jax.nn.relu(h)
    h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
    h = jax.nn.relu(jax.lax.conv_general_dilated(h, w2, (1, 1), "VALID", dimension_numbers=DN) + b2)
    logits = h.reshape(h.shape[0], -1) @ w3 + b3
    return -jnp.mean(jnp.sum(jax.nn.log_softmax(logits) * y, axis=-1))


def main():
    key = jax.random.PRNGKey(0)
    print(f"jax {jax.__version__}, devices {jax.devices()}")
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which in ("all", "steps"):
        issue_8_11_rows(key)
    if which in ("all", "mnist"):
        mnist_rows(key)
    if which == "mnist-mlp":
        mnist_rows(key, cnn_epochs=0)
    if which in ("mnist", "mnist-mlp"):
        return

    a = jnp.ones((4,), jnp.float32)
    add = jax.jit(lambda a, b: a + b)
    row("jitted call overhead, f32[4] add", median_time(add, a, a), "us")

    for n in (512, 1024):
        m1 = jax.random.normal(key, (n, n), jnp.float32)
        m2 = jax.random.normal(jax.random.fold_in(key, 1), (n, n), jnp.float32)
        mm = jax.jit(jnp.matmul)
        t = median_time(mm, m1, m2)
        print(f"{'matmul f32 %d (GFLOP/s)' % n:58s} {2 * n ** 3 / t / 1e9:10.1f}")

    # benches/einsum.rs: jnp.einsum (jitted) against jnp.matmul on the same contractions
    for name, sub, sa, sb in [
        ("256x256x256", "ij,jk->ik", (256, 256), (256, 256)),
        ("128x784x512", "ij,jk->ik", (128, 784), (784, 512)),
        ("8x128x128x128 batched", "bij,bjk->bik", (8, 128, 128), (8, 128, 128)),
    ]:
        e1 = jax.random.normal(key, sa, jnp.float32)
        e2 = jax.random.normal(jax.random.fold_in(key, 2), sb, jnp.float32)
        es = jax.jit(lambda a, b, sub=sub: jnp.einsum(sub, a, b))
        row(f"jitted einsum {sub} f32 {name}", median_time(es, e1, e2), "us")
        row(f"jitted matmul f32 {name}", median_time(jax.jit(jnp.matmul), e1, e2), "us")

    small = mlp_params(key, [64, 128, 10])
    xs, ys = batch(128, 64, 10)
    vg_small = jax.jit(jax.value_and_grad(mlp_loss(jnp.tanh)))
    row("jitted MLP 64-128(tanh)-10 b128 value_and_grad", median_time(vg_small, small, xs, ys))

    t = time.perf_counter()
    jax.jit(jax.value_and_grad(mlp_loss(jnp.tanh))).lower(small, xs, ys).compile()
    row("trace + compile of that function", time.perf_counter() - t)

    large = mlp_params(key, [784, 512, 512, 10])
    xl, yl = batch(128, 784, 10)
    vg_large = jax.jit(jax.value_and_grad(mlp_loss(jax.nn.relu)))
    row("jitted MLP 784-512-512-10(relu) b128 value_and_grad", median_time(vg_large, large, xl, yl))

    def adam_step(loss):
        opt = optax.adam(1e-3)

        @jax.jit
        def step(params, state, x, y):
            l, g = jax.value_and_grad(loss)(params, x, y)
            u, state = opt.update(g, state, params)
            return optax.apply_updates(params, u), state, l
        return step, opt

    for name, params, x, y, act in (("64-128(tanh)-10", small, xs, ys, jnp.tanh), ("784-512-512-10(relu)", large, xl, yl, jax.nn.relu)):
        step, opt = adam_step(mlp_loss(act))
        row(f"jitted Adam step, MLP {name} b128", median_time(step, params, opt.init(params), x, y))

    # The same step as a training loop runs it: params and state donated, threaded from call
    # to call (benches/train.rs "jit fused adam step ..., donated").
    def adam_step_donated(loss):
        opt = optax.adam(1e-3)

        def step(params, state, x, y):
            l, g = jax.value_and_grad(loss)(params, x, y)
            u, state = opt.update(g, state, params)
            return optax.apply_updates(params, u), state, l
        return jax.jit(step, donate_argnums=(0, 1)), opt

    for name, params, x, y, act in (("64-128(tanh)-10", small, xs, ys, jnp.tanh), ("784-512-512-10(relu)", large, xl, yl, jax.nn.relu)):
        step, opt = adam_step_donated(mlp_loss(act))
        carry = [jax.tree.map(jnp.copy, params), opt.init(params)]

        def run(step=step, carry=carry, x=x, y=y):
            carry[0], carry[1], l = step(carry[0], carry[1], x, y)
            return l
        row(f"jitted Adam step, MLP {name} b128, donated", median_time(run))

    def one_example_loss(params, x, y):
        return mlp_loss(jnp.tanh)(params, x[None], y[None])
    per_example = jax.jit(jax.vmap(jax.grad(one_example_loss), in_axes=(None, 0, 0)))
    row("jit(vmap(grad)) per-example grads, small MLP, 128", median_time(per_example, small, xs, ys))

    # CNN b64 28x28x1: conv3x3 1->32 VALID + bias, relu, maxpool 2x2, conv3x3 32->64, relu,
    # flatten, dense 7744->10.
    k = [jax.random.fold_in(key, i) for i in range(4)]
    cnn = (
        jax.random.normal(k[0], (3, 3, 1, 32)) * 0.3, jnp.zeros((32,)),
        jax.random.normal(k[1], (3, 3, 32, 64)) * 0.06, jnp.zeros((64,)),
        jax.random.normal(k[2], (7744, 10)) * 0.01, jnp.zeros((10,)),
    )
    xc = jax.random.normal(k[3], (64, 28, 28, 1))
    yc = jax.nn.one_hot(jnp.arange(64) % 10, 10)
    dn = ("NHWC", "HWIO", "NHWC")

    def cnn_loss(p, x, y):
        w1, b1, w2, b2, w3, b3 = p
        h = jax.lax.conv_general_dilated(x, w1, (1, 1), "VALID", dimension_numbers=dn) + b1
        h = jax.nn.relu(h)
        h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        h = jax.nn.relu(jax.lax.conv_general_dilated(h, w2, (1, 1), "VALID", dimension_numbers=dn) + b2)
        logits = h.reshape(h.shape[0], -1) @ w3 + b3
        return -jnp.mean(jnp.sum(jax.nn.log_softmax(logits) * y, axis=-1))

    row("CNN b64 forward (loss)", median_time(jax.jit(cnn_loss), cnn, xc, yc))
    row("CNN b64 forward + backward", median_time(jax.jit(jax.value_and_grad(cnn_loss)), cnn, xc, yc))

    # benches/control_flow.rs: a 10^5-step scalar fori_loop, and a tanh RNN scan
    # h = tanh(h @ W + x_t @ U + b), hidden 128, 100 steps, batch 64, loss sum(h_T) + mean(ys).
    fori = jax.jit(lambda c: jax.lax.fori_loop(0, 100_000, lambda i, c: c * 0.999 + 0.001, c))
    row("fori_loop 1e5 scalar, jit", median_time(fori, jnp.float32(1.0)))

    hid, steps, nb = 128, 100, 64
    kr = [jax.random.fold_in(key, 10 + i) for i in range(3)]
    rnn_p = (
        jax.random.uniform(kr[0], (hid, hid), jnp.float32, -0.09, 0.09),
        jax.random.uniform(kr[1], (hid, hid), jnp.float32, -0.09, 0.09),
        jnp.zeros((hid,), jnp.float32),
        jnp.zeros((nb, hid), jnp.float32),
    )
    rnn_xs = jax.random.uniform(kr[2], (steps, nb, hid), jnp.float32, -1.0, 1.0)

    def rnn(p, xs):
        w, u, b, h0 = p

        def cell(h, x):
            h2 = jnp.tanh(h @ w + x @ u + b)
            return h2, h2
        h, ys = jax.lax.scan(cell, h0, xs)
        return h.sum() + ys.mean()

    row("scan tanh RNN h128 T100 b64 forward, jit", median_time(jax.jit(rnn), rnn_p, rnn_xs))
    row("scan tanh RNN h128 T100 b64 value_and_grad, jit",
        median_time(jax.jit(jax.value_and_grad(rnn)), rnn_p, rnn_xs))

    if which == "all":
        lstm_sequence_example(key)


def lstm_sequence_example(key):
    """examples/sequence.rs's LSTM run: embed 32, LSTM hidden 128 (flax's fused-gate cell,
    x @ wi + h @ wh + b every step, as a JAX user writes it), dense 128 -> 10 on the answer
    half; Adam 3e-3, batch 64, 5 epochs over 16384 sequences (1280 jitted steps), the test
    token accuracy on 2048 sequences after each epoch. Timed end to end like the example's
    "trained in" (after one warm-up step and one warm-up evaluation to compile)."""
    n_len, train_n, test_n, b = 8, 16384, 2048, 64
    ks = [jax.random.fold_in(key, 20 + i) for i in range(8)]
    x_tr = jax.random.randint(ks[0], (train_n, n_len), 0, 10)
    x_te = jax.random.randint(ks[1], (test_n, n_len), 0, 10)
    y_tr, y_te = x_tr[:, ::-1], x_te[:, ::-1]
    hid = 128
    params = {
        "embed": jax.random.normal(ks[2], (11, 32), jnp.float32),
        "wi": jax.random.normal(ks[3], (32, 4 * hid), jnp.float32) / 32 ** 0.5,
        "wh": jax.random.normal(ks[4], (hid, 4 * hid), jnp.float32) / hid ** 0.5,
        "b": jnp.zeros((4 * hid,), jnp.float32),
        "wo": jax.random.normal(ks[5], (hid, 10), jnp.float32) / hid ** 0.5,
        "bo": jnp.zeros((10,), jnp.float32),
    }

    def forward(p, x):
        tokens = jnp.concatenate([x, jnp.full_like(x, 10)], axis=1)
        e = jnp.moveaxis(p["embed"][tokens], 1, 0)  # [T, B, 32]

        def cell(carry, xt):
            c, h = carry
            z = xt @ p["wi"] + h @ p["wh"] + p["b"]
            i, f, g, o = jnp.split(z, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (c, h), h
        zeros = jnp.zeros((x.shape[0], hid), jnp.float32)
        _, hs = jax.lax.scan(cell, (zeros, zeros), e)
        return jnp.moveaxis(hs, 0, 1)[:, n_len:] @ p["wo"] + p["bo"]

    def loss(p, x, y):
        return optax.softmax_cross_entropy_with_integer_labels(forward(p, x), y).mean()

    opt = optax.adam(3e-3)

    @jax.jit
    def step(p, s, x, y):
        l, g = jax.value_and_grad(loss)(p, x, y)
        u, s = opt.update(g, s, p)
        return optax.apply_updates(p, u), s, l

    accuracy = jax.jit(lambda p, x, y: jnp.mean(jnp.argmax(forward(p, x), -1) == y))
    state = opt.init(params)
    jax.block_until_ready(step(params, state, x_tr[:b], y_tr[:b]))
    jax.block_until_ready(accuracy(params, x_te, y_te))
    t = time.perf_counter()
    for epoch in range(5):
        perm = jax.random.permutation(jax.random.fold_in(ks[6], epoch), train_n)
        for i in range(train_n // b):
            idx = perm[i * b:(i + 1) * b]
            params, state, _ = step(params, state, x_tr[idx], y_tr[idx])
        acc = float(accuracy(params, x_te, y_te))
    row(f"sequence example LSTM training, 1280 steps (test acc {acc:.4f})", time.perf_counter() - t)


if __name__ == "__main__":
    main()
