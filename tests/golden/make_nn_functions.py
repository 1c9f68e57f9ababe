"""Writes tests/golden/nn_functions.txt: jax.nn's functions and the initializers added for
issue 19 (JAX 0.10.2, CPU), for tests/nn/functions*.rs and tests/nn/init_more.rs. Run from
the repository root:

    python3 tests/golden/make_nn_functions.py

Format (tests/golden/golden_format.py): one array per line, `name dtype shape v1 v2 ...`.
Lines named `in.X` are inputs (the tests read them, so both sides use the same bits);
`f.CASE` are outputs of a function (`.0`, `.1` appended for several outputs); `d.CASE` are
JAX's derivatives: `grad(lambda x: sum(f(x) * c))(x)` with `c` the input `in.C_<shape>`
(elementwise functions: `c = 1`, the derivative itself, kinks included); `init.CASE` are
initializer draws from `key(seed)`. f64 cases (inputs ending in `D`) run with x64 enabled.
`scaled_matmul` has no CPU lowering in JAX 0.10.2, so its golden is the composition its
docstring gives (`a * repeat(a_scales)`, `b * repeat(b_scales)`, then `einsum`).
"""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax.nn import initializers as init  # noqa: E402
from golden_format import array_line  # noqa: E402

assert jax.__version__ == "0.10.2", jax.__version__
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn_functions.txt")
lines = []


def emit(name, x):
    lines.append(array_line(name, np.asarray(x)))


f32 = lambda v, *s: np.array(v, np.float32).reshape(s)  # noqa: E731
X = [-1000.0, -20.0, -6.0, -3.0, -1.5, -1.0, -0.5, -1e-3, 0.0, 1e-3, 0.5,
     1.0, 1.5, 3.0, 6.0, 20.0, 1000.0]
rng = np.random.RandomState(0)
INPUTS = {
    # elementwise: the kinks -3, -1, 0, 1, 3, 6, tiny and huge magnitudes; specials
    "X": f32(X, len(X)),
    "XD": np.array(X, np.float64),
    "S": f32([np.nan, np.inf, -np.inf, -0.0], 4),
    "P": f32([0.0, 1e-10, 1e-3, 0.5, np.log(2.0), 1.0, 5.0, 50.0], 8),
    "PD": np.array([0.0, 1e-10, 1e-3, 0.5, np.log(2.0), 1.0, 5.0, 50.0], np.float64),
    # reductions
    "M": f32([1.0, 2.0, -np.inf, 3.0, -np.inf, -np.inf, -np.inf, -np.inf,
              1000.0, 1000.0, -1000.0, 0.0], 3, 4),
    "N": f32(rng.randn(12), 3, 4),
    "ND": rng.randn(12).reshape(3, 4),
    "T": f32(rng.randn(24), 2, 3, 4),
    "W": np.array([1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1], bool).reshape(3, 4),
    "B": f32([1.0, 0.0, 2.0, -1.0, 1.0, 1.0, 1.0, 1.0, -3.0, 1.0, 0.5, 0.0], 3, 4),
    "C_3x4": f32(np.arange(12) * 0.25 - 1.0, 3, 4),
    "C_3x2": f32(np.arange(6) * 0.5 - 1.0, 3, 2),
    "I": np.array([0, 2, -1, 3, 5, 1], np.int32).reshape(2, 3),
    # attention: B=2, T=3, N=4, H=2, S=5, K=2 (two query heads per key/value head)
    "Q": f32(rng.randn(48), 2, 3, 4, 2),
    "K": f32(rng.randn(40), 2, 5, 2, 2),
    "V": f32(rng.randn(40), 2, 5, 2, 2),
    "KF": f32(rng.randn(80), 2, 5, 4, 2),
    "BIAS": f32(rng.randn(60), 1, 4, 3, 5),
    "MASK": rng.rand(2, 1, 3, 5) > 0.3,
    "QLEN": np.array([2, 3], np.int32),
    "KVLEN": np.array([4, 2], np.int32),
    "C_att": f32(rng.randn(48), 2, 3, 4, 2),
    # scaled_matmul
    "SA": f32(rng.randn(16), 2, 2, 4),
    "SB": f32(rng.randn(24), 2, 3, 4),
    "SSA": f32(rng.rand(8) + 0.5, 2, 2, 2),
    "SSB": f32(rng.rand(12) + 0.5, 2, 3, 2),
}
for k, v in INPUTS.items():
    emit("in." + k, v)
I_ = {k: jnp.asarray(v) for k, v in INPUTS.items()}
nn = jax.nn

ELEMENTWISE = {
    "relu": nn.relu, "relu6": nn.relu6, "sigmoid": nn.sigmoid, "tanh": nn.tanh,
    "silu": nn.silu, "swish": nn.swish, "softplus": nn.softplus,
    "log_sigmoid": nn.log_sigmoid, "soft_sign": nn.soft_sign, "sparse_plus": nn.sparse_plus,
    "sparse_sigmoid": nn.sparse_sigmoid, "squareplus": nn.squareplus,
    "squareplus_b1": lambda x: nn.squareplus(x, 1.0), "mish": nn.mish, "elu": nn.elu,
    "elu_a2": lambda x: nn.elu(x, 2.0), "selu": nn.selu, "celu": nn.celu,
    "celu_a05": lambda x: nn.celu(x, 0.5), "leaky_relu": nn.leaky_relu,
    "leaky_relu_02": lambda x: nn.leaky_relu(x, 0.2), "hard_tanh": nn.hard_tanh,
    "hard_sigmoid": nn.hard_sigmoid, "hard_silu": nn.hard_silu, "hard_swish": nn.hard_swish,
    "gelu": nn.gelu, "gelu_exact": lambda x: nn.gelu(x, approximate=False),
    "identity": nn.identity,
}
for name, f in ELEMENTWISE.items():
    for inp in ["X", "XD", "S"]:
        emit(f"f.{name}.{inp}", f(I_[inp]))
    for inp in ["X", "XD"]:
        emit(f"d.{name}.{inp}", jax.grad(lambda x: f(x).sum())(I_[inp]))
for inp in ["P", "PD"]:
    emit(f"f.log1mexp.{inp}", nn.log1mexp(I_[inp]))
    emit(f"d.log1mexp.{inp}", jax.grad(lambda x: nn.log1mexp(x).sum())(I_[inp]))

M, N, ND, T, W, B, C = (I_[k] for k in ["M", "N", "ND", "T", "W", "B", "C_3x4"])
REDUCTIONS = {
    "logsumexp.M": lambda x: nn.logsumexp(x, axis=-1),
    "logsumexp.N_all": lambda x: nn.logsumexp(x),
    "logsumexp.N_keep": lambda x: nn.logsumexp(x, axis=0, keepdims=True),
    "logsumexp.N_b": lambda x: nn.logsumexp(x, axis=1, b=B),
    "logsumexp.N_where": lambda x: nn.logsumexp(x, axis=1, where=W),
    "logsumexp.M_where": lambda x: nn.logsumexp(x, axis=1, where=W),
    "logsumexp.N_b_where": lambda x: nn.logsumexp(x, axis=1, b=B, where=W),
    "logsumexp.N_sign": lambda x: nn.logsumexp(x, axis=1, b=B, return_sign=True),
    "logsumexp.T_axes": lambda x: nn.logsumexp(x, axis=(0, 2)),
    "logmeanexp.N": lambda x: nn.logmeanexp(x, axis=1),
    "logmeanexp.N_where_keep": lambda x: nn.logmeanexp(x, axis=0, where=W, keepdims=True),
    "softmax.M": lambda x: nn.softmax(x),
    "softmax.N0": lambda x: nn.softmax(x, axis=0),
    "softmax.N_where": lambda x: nn.softmax(x, where=W),
    "softmax.N_all": lambda x: nn.softmax(x, axis=None),
    "softmax.T_axes": lambda x: nn.softmax(x, axis=(1, 2)),
    "log_softmax.M": lambda x: nn.log_softmax(x),
    "log_softmax.N0": lambda x: nn.log_softmax(x, axis=0),
    "log_softmax.N_where": lambda x: nn.log_softmax(x, where=W),
    "log_softmax.T_axes": lambda x: nn.log_softmax(x, axis=(0, 1)),
    "standardize.N": lambda x: nn.standardize(x),
    "standardize.N0": lambda x: nn.standardize(x, axis=0),
    "standardize.N_where": lambda x: nn.standardize(x, where=W),
    "standardize.N_stable": lambda x: nn.standardize(x, algorithm="stable", epsilon=0.1),
    "standardize.N_given": lambda x: nn.standardize(
        x, mean=jnp.float32(0.5), variance=jnp.float32(2.0)),
    "standardize.T_axes": lambda x: nn.standardize(x, axis=(0, 2)),
    "glu.N": lambda x: nn.glu(x),
    "glu.T0": lambda x: nn.glu(x[:, :2], axis=1),
}
ARG = {"M": M, "N": N, "T": T}
for case, f in REDUCTIONS.items():
    x = ARG[case.split(".")[1].split("_")[0].rstrip("0")]
    out = f(x)
    if isinstance(out, tuple):
        for i, o in enumerate(out):
            emit(f"f.{case}.{i}", o)
    else:
        emit(f"f.{case}", out)
        if case.split(".")[1][0] in "NT":
            c = jnp.asarray(np.cos(np.arange(out.size)).astype(np.float32).reshape(out.shape))
            emit(f"d.{case}", jax.grad(lambda x: (f(x) * c).sum())(x))
emit("f.logsumexp.ND", nn.logsumexp(ND, axis=1))
emit("f.softmax.ND", nn.softmax(ND))
emit("f.standardize.ND", nn.standardize(ND))

Iv = I_["I"]
emit("f.one_hot.I", nn.one_hot(Iv, 4, dtype=jnp.float32))  # the default without x64
emit("f.one_hot.I_axis0", nn.one_hot(Iv, 4, dtype=jnp.float32, axis=0))
emit("f.one_hot.I_i32_axis1", nn.one_hot(Iv, 3, dtype=jnp.int32, axis=1))

Q, K, V, KF = (I_[k] for k in ["Q", "K", "V", "KF"])
BIAS, MASK, QLEN, KVLEN, CA = (I_[k] for k in ["BIAS", "MASK", "QLEN", "KVLEN", "C_att"])
ATTN = {
    "plain": lambda q, k, v: nn.dot_product_attention(q, k, v),
    "bias": lambda q, k, v: nn.dot_product_attention(q, k, v, bias=BIAS),
    "mask": lambda q, k, v: nn.dot_product_attention(q, k, v, mask=MASK),
    "causal": lambda q, k, v: nn.dot_product_attention(q, k, v, is_causal=True, scale=0.3),
    "lengths": lambda q, k, v: nn.dot_product_attention(
        q, k, v, query_seq_lengths=QLEN, key_value_seq_lengths=KVLEN),
    "window": lambda q, k, v: nn.dot_product_attention(q, k, v, local_window_size=(1, 0)),
    "all": lambda q, k, v: nn.dot_product_attention(
        q, k, v, bias=BIAS, mask=MASK, is_causal=True, query_seq_lengths=QLEN,
        key_value_seq_lengths=KVLEN),
}
for case, f in ATTN.items():
    emit(f"f.attention.{case}", f(Q, K, V))
    g = jax.grad(lambda q, k, v: (f(q, k, v) * CA).sum(), argnums=(0, 1, 2))(Q, K, V)
    for i, gi in enumerate(g):
        emit(f"d.attention.{case}.{i}", gi)
emit("f.attention.mha", nn.dot_product_attention(Q, KF, KF))
emit("f.attention.unbatched", nn.dot_product_attention(Q[0], K[0], V[0]))
for i, o in enumerate(nn.dot_product_attention(
        Q, K, V, bias=BIAS, mask=MASK, is_causal=True, query_seq_lengths=QLEN,
        key_value_seq_lengths=KVLEN, return_residual=True)):
    emit(f"f.attention.residual.{i}", o)
for i, o in enumerate(nn.dot_product_attention(Q[1], K[1], V[1], return_residual=True)):
    emit(f"f.attention.residual_unbatched.{i}", o)

SA, SB, SSA, SSB = (I_[k] for k in ["SA", "SB", "SSA", "SSB"])
sa = SA * jnp.repeat(SSA, 2, axis=-1)
sb = SB * jnp.repeat(SSB, 2, axis=-1)
emit("f.scaled_matmul.S", jnp.einsum("BMK,BNK->BMN", sa, sb))

INITS = {
    "truncated_normal_1": (init.truncated_normal(), [4, 5]),
    "truncated_normal_2": (init.truncated_normal(0.5, lower=-1.0, upper=3.0), [30]),
    "kaiming_normal": (init.kaiming_normal(), [3, 3, 2, 4]),
    "kaiming_uniform": (init.kaiming_uniform(), [6, 5]),
    "xavier_normal": (init.xavier_normal(), [6, 5]),
    "xavier_uniform": (init.xavier_uniform(), [3, 6, 5]),
    "vs_geo": (init.variance_scaling(1.5, "fan_geo_avg", "normal"), [4, 9]),
    "vs_multi": (init.variance_scaling(2.0, "fan_avg", "truncated_normal", in_axis=(0, 1),
                                       out_axis=(3,), batch_axis=(2,)), [2, 3, 4, 5]),
    "orthogonal_col0": (init.orthogonal(1.0, column_axis=0), [3, 5]),
    "orthogonal_col1_3d": (init.orthogonal(2.0, column_axis=1), [2, 4, 3]),
    "delta_orthogonal_3d": (init.delta_orthogonal(), [3, 2, 3]),
    "delta_orthogonal_4d": (init.delta_orthogonal(1.5), [2, 3, 2, 2]),
    "delta_orthogonal_5d": (init.delta_orthogonal(), [1, 3, 2, 2, 4]),
}
for seed, (name, (f, shape)) in enumerate(INITS.items()):
    for dt, tag in [(jnp.float32, "f32"), (jnp.float64, "f64")]:
        emit(f"init.{name}.{seed}.{tag}", f(jax.random.key(seed), shape, dt))

with open(OUT, "w") as fh:
    fh.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} arrays to {OUT}")
