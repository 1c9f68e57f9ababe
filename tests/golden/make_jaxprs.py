"""Regenerates tests/golden/jaxprs.txt: what JAX 0.10.2 prints for the functions that
tests/jit/golden_jaxprs.rs traces with ferrax.

    pip install jax==0.10.2 && python3 tests/golden/make_jaxprs.py > tests/golden/jaxprs.txt

ferrax omits JAX's sharding params (`sharding=None`, `out_sharding=None`), so they are
stripped here; functions JAX wraps in `jit` (log_softmax) are traced with jit disabled so the
body is inlined, as ferrax does.
"""
import re

import jax
import jax.numpy as jnp
import numpy as np

f32 = lambda *s: jax.ShapeDtypeStruct(s, jnp.float32)


def strip_sharding(text):
    text = re.sub(r"\n *(out_)?sharding=None(?=\n)", "", text)
    return re.sub(r" (out_)?sharding=None", "", text)


CASES = {}


def case(name, *args):
    def register(f):
        CASES[name] = (f, args)
        return f
    return register


@case("issue_sum_sin_mul_add", f32(3), f32(3))
def _(x, y):
    return jnp.sum((jnp.sin(x) * 2 + y) * x)


@case("matmul_bias_tanh", f32(2, 3), f32(3, 4), f32(4))
def _(x, w, b):
    return jnp.tanh(x @ w + b)


@case("batched_matmul", f32(2, 3, 4), f32(2, 4, 5))
def _(a, b):
    return jnp.matmul(a, b)


CONST = np.array([1.0, 2.0, 3.0], np.float32)


@case("captured_const", f32(3))
def _(x):
    return x * CONST + 1.0


@case("broadcast_add", f32(2, 3), f32(3))
def _(a, b):
    return a + b


@case("reshape_transpose", f32(2, 3))
def _(x):
    return x.reshape(3, 2).T


@case("sum_axis_mean", f32(2, 3))
def _(x):
    return x.sum(axis=1), x.mean()


@case("max_argmax", f32(2, 3))
def _(x):
    return x.max(axis=0), jnp.argmax(x, axis=1)


@case("log_softmax", f32(2, 3))
def _(x):
    with jax.disable_jit():
        return jax.nn.log_softmax(x)


@case("exp_log_sqrt", f32(3))
def _(x):
    return jnp.sqrt(jnp.log(jnp.exp(x) + 1.0))


@case("integer_pow_square", f32(3))
def _(x):
    return x ** 3, jnp.square(x)


if __name__ == "__main__":
    assert jax.__version__ == "0.10.2", jax.__version__
    for name, (f, args) in CASES.items():
        print(f"## {name}")
        print(strip_sharding(str(jax.make_jaxpr(f)(*args))))
        print()
