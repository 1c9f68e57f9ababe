"""The fit of examples/gaussian_process/ in JAX 0.10.2 (x64), for comparison with ferrax's
output line by line: the same 60 points drawn from the same keys (f32 draws widened to f64),
the same RBF-plus-noise negative log marginal likelihood through cho_factor/cho_solve, the
same optax Adam (learning rate 0.05, 300 steps) from log-hyperparameters (0, 0, 0).

    pip install jax==0.10.2 optax==0.2.8
    JAX_PLATFORMS=cpu python3 examples/reference/gaussian_process.py
"""
import math

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import jax.scipy.linalg as jsl  # noqa: E402
import optax  # noqa: E402

N, STEPS, LEARNING_RATE = 60, 300, 0.05


def data(n):
    x = jax.random.uniform(jax.random.PRNGKey(0), (n,), jnp.float32).astype(jnp.float64) * 6.0 - 3.0
    noise = jax.random.normal(jax.random.PRNGKey(1), (n,), jnp.float32).astype(jnp.float64)
    return x, jnp.sin(2.0 * x) + 0.5 * x + 0.2 * noise


def covariance(h, x):
    log_ell, log_sf2, log_sn2 = h
    d = x[:, None] - x[None, :]
    return jnp.exp(log_sf2) * jnp.exp(-0.5 * d**2 * jnp.exp(-2.0 * log_ell)) + jnp.exp(log_sn2) * jnp.eye(x.shape[0])


def nll(h, x, y):
    c = jsl.cho_factor(covariance(h, x), lower=True)
    alpha = jsl.cho_solve(c, y)
    return 0.5 * y @ alpha + jnp.sum(jnp.log(jnp.diagonal(c[0]))) + 0.5 * x.shape[0] * math.log(2 * math.pi)


def show(label, h, value):
    ell, sf2, sn2 = (math.exp(float(v)) for v in h)
    print(f"{label:8} length-scale {ell:.6f}  signal variance {sf2:.6f}  noise variance {sn2:.6f}  nll {float(value):.6f}")


def main():
    x, y = data(N)
    print(f"data: {N} points, sum(x) = {float(x.sum()):.6f}, sum(y) = {float(y.sum()):.6f}")
    opt = optax.adam(LEARNING_RATE)

    @jax.jit
    def step(h, s):
        loss, g = jax.value_and_grad(nll)(h, x, y)
        u, s = opt.update(g, s, h)
        return optax.apply_updates(h, u), s, loss

    h = (jnp.float64(0.0), jnp.float64(0.0), jnp.float64(0.0))
    s = opt.init(h)
    show("initial", h, nll(h, x, y))
    for i in range(STEPS):
        h, s, loss = step(h, s)
        if i % 50 == 0:
            print(f"step {i:4}  nll {float(loss):.6f}")
    show("fitted", h, nll(h, x, y))


if __name__ == "__main__":
    main()
