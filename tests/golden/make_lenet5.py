"""Writes tests/golden/lenet5.txt: ferrax::models::LeNet5's forward pass and the gradient of
its mean softmax cross-entropy, as JAX 0.10.2 (CPU) computes them in plain jax/lax, for
tests/nn/models_lenet.rs. Run from the repository root:

    python3 tests/golden/make_lenet5.py

The model (src/models/lenet5.rs): NHWC input [N, 28, 28, 1]; conv 5x5 1->6 SAME (HWIO kernel)
+ bias, relu, 2x2/2 average pool (VALID); conv 5x5 6->16 VALID + bias, relu, 2x2/2 average
pool; flatten to 400 in (H, W, C) order; dense 120, relu; dense 84, relu; dense 10 (logits).
The weights and the input are fixed by a formula the test repeats exactly (integer arithmetic,
then one division and one product in f64, rounded once to f32: bit-identical in both
languages): element `i` of the array with salt `s` and scale `c` is
`(((i * i * 7919 + i * 31 + s * 104729) % 2003) / 2003 - 0.5) * 2 * c`; the weights use c = 2/sqrt(fan_in)
(biases 0.1), the input c = 0.5 shifted by 0.5 (pixels in [0, 1]).

Format (tests/golden/golden_format.py): one array per line, `name dtype shape v1 v2 ...`.
Lines: `x` (input, to check the formula), `labels`, `y` (logits), `loss`, and
`g.<path>` the gradient of the loss with respect to each parameter.
"""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402
from golden_format import array_line  # noqa: E402

assert jax.__version__ == "0.10.2", jax.__version__
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lenet5.txt")


def fixed(shape, salt, scale):
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    v = (((i * i * 7919 + i * 31 + salt * 104729) % 2003).astype(np.float64) / 2003.0 - 0.5) * 2.0 * scale
    return v.astype(np.float32).reshape(shape)


params = {
    "conv1.kernel": fixed((5, 5, 1, 6), 1, 2 / np.sqrt(25.0)),
    "conv1.bias": fixed((6,), 2, 0.1),
    "conv2.kernel": fixed((5, 5, 6, 16), 3, 2 / np.sqrt(150.0)),
    "conv2.bias": fixed((16,), 4, 0.1),
    "fc1.kernel": fixed((400, 120), 5, 2 / np.sqrt(400.0)),
    "fc1.bias": fixed((120,), 6, 0.1),
    "fc2.kernel": fixed((120, 84), 7, 2 / np.sqrt(120.0)),
    "fc2.bias": fixed((84,), 8, 0.1),
    "head.kernel": fixed((84, 10), 9, 2 / np.sqrt(84.0)),
    "head.bias": fixed((10,), 10, 0.1),
}
x = (fixed((3, 28, 28, 1), 11, 0.5) + np.float32(0.5)).astype(np.float32)
labels = np.array([3, 7, 0], dtype=np.int32)


def conv(x, k, bias, padding):
    y = lax.conv_general_dilated(
        x, k, (1, 1), padding, dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    return y + bias


def avg_pool(x):
    s = lax.reduce_window(x, 0.0, lax.add, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
    return s / 4.0


def forward(p, x):
    h = avg_pool(jax.nn.relu(conv(x, p["conv1.kernel"], p["conv1.bias"], "SAME")))
    h = avg_pool(jax.nn.relu(conv(h, p["conv2.kernel"], p["conv2.bias"], "VALID")))
    h = h.reshape(h.shape[0], 400)
    h = jax.nn.relu(h @ p["fc1.kernel"] + p["fc1.bias"])
    h = jax.nn.relu(h @ p["fc2.kernel"] + p["fc2.bias"])
    return h @ p["head.kernel"] + p["head.bias"]


def loss(p, x, labels):
    logp = jax.nn.log_softmax(forward(p, x))
    return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1))


y = forward(params, x)
l, g = jax.value_and_grad(loss)(params, x, labels)

lines = [array_line("x", x), array_line("labels", labels)]
lines.append(array_line("y", np.asarray(y)))
lines.append(array_line("loss", np.asarray(l)))
lines += [array_line("g." + k, np.asarray(v)) for k, v in g.items()]
with open(OUT, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {OUT}: {len(lines)} arrays; logits[0] = {np.asarray(y)[0]}")
