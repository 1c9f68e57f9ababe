"""Writes tests/golden/random.txt: expected jax.random outputs (JAX 0.10.2, CPU, default
partitionable threefry) for tests/nn/random.rs. Run from the repository root:

    python3 tests/golden/make_random.py

Format: one case per line, `name dtype shape v1 v2 ...`, where shape is `2x3` (or `-` for
rank 0) and floats are written as their bit patterns in hex (exact comparison); ints and
bools as decimal (bools as 0/1). The tests never run Python.
"""
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax import random  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "random.txt")
lines = []


def key(seed):
    # JAX's default 32-bit key: [0, seed mod 2^32].
    return jnp.array([0, seed % (1 << 32)], dtype=jnp.uint32)


def emit(name, x):
    x = np.asarray(x)
    if x.dtype == np.uint64:
        raise TypeError(name)
    shape = "x".join(str(d) for d in x.shape) or "-"
    flat = x.reshape(-1)
    if x.dtype == np.float32:
        vals = ["%08x" % v for v in flat.view(np.uint32)]
        dt = "f32"
    elif x.dtype == np.float64:
        vals = ["%016x" % v for v in flat.view(np.uint64)]
        dt = "f64"
    elif x.dtype == np.bool_:
        vals = [str(int(v)) for v in flat]
        dt = "bool"
    elif x.dtype == np.uint32:
        vals = [str(int(v)) for v in flat]
        dt = "u32"
    elif x.dtype in (np.int32, np.int64):
        vals = [str(int(v)) for v in flat]
        dt = "i32"
    else:
        raise TypeError(x.dtype)
    lines.append(" ".join([name, dt, shape] + vals))


f32, f64 = jnp.float32, jnp.float64  # f64 only under x64, below
i32 = jnp.int32

emit("split_0_4", random.split(key(0), 4))
emit("split_3_2x3", random.split(key(3), (2, 3)))
emit("fold_in_0_4", random.fold_in(key(0), 4))
emit("fold_in_42_123456789", random.fold_in(key(42), 123456789))
emit("bits_1701_3", random.bits(key(1701), (3,), jnp.uint32))
emit("bits_7_4x5", random.bits(key(7), (4, 5), jnp.uint32))
emit("bits_7_scalar", random.bits(key(7), (), jnp.uint32))
emit("uniform_42_5", random.uniform(key(42), (5,), f32))
emit("uniform_0_1000", random.uniform(key(0), (1000,), f32))
emit("uniform_1_m3_5", random.uniform(key(1), (100,), f32, -3.0, 5.0))
emit("normal_42_3", random.normal(key(42), (3,), f32))
emit("normal_0_20000", random.normal(key(0), (20000,), f32))
emit("randint_5_0_10", random.randint(key(5), (8,), 0, 10, i32))
emit("randint_1_m5_5", random.randint(key(1), (100,), -5, 5, i32))
emit("randint_2_full", random.randint(key(2), (50,), -(2**31), 2**31 - 1, i32))
emit("randint_3_empty", random.randint(key(3), (10,), 5, 5, i32))
emit("randint_3_reversed", random.randint(key(3), (10,), 7, -3, i32))
emit("randint_4_neg", random.randint(key(4), (60,), -1000, -990, i32))
emit("randint_6_big", random.randint(key(6), (60,), 0, 1000003, i32))
emit("bernoulli_5_03", random.bernoulli(key(5), 0.3, (8,)))
emit("bernoulli_0_05", random.bernoulli(key(0), 0.5, (100,)))
emit("truncated_normal_0", random.truncated_normal(key(0), -1.0, 2.0, (100,), f32))
emit("gumbel_0", random.gumbel(key(0), (100,), f32))
emit("exponential_0", random.exponential(key(0), (100,), f32))
emit("laplace_0", random.laplace(key(0), (100,), f32))
emit("logistic_0", random.logistic(key(0), (100,), f32))
emit("rademacher_0", random.rademacher(key(0), (20,), i32))
logits = jnp.log(jnp.array([[0.1, 0.2, 0.3, 0.4, 0.0001],
                            [0.5, 0.1, 0.1, 0.2, 0.1],
                            [0.05, 0.05, 0.05, 0.05, 0.8]], f32))
emit("categorical_logits", logits)
emit("categorical_0", random.categorical(key(0), logits, axis=-1))
emit("categorical_0_4x3", random.categorical(key(0), logits, axis=-1, shape=(4, 3)))
emit("categorical_1_axis0", random.categorical(key(1), logits, axis=0))
emit("permutation_0_10", random.permutation(key(0), 10))
emit("permutation_1_2000", random.permutation(key(1), 2000))
x43 = jnp.arange(12, dtype=i32).reshape(4, 3)
emit("permutation_2_rows", random.permutation(key(2), x43, axis=0))
emit("permutation_2_indep1", random.permutation(key(2), x43, axis=1, independent=True))
emit("choice_0_noreplace", random.choice(key(0), 10, (4,), replace=False))
emit("choice_0_replace", random.choice(key(0), 10, (5,), replace=True))
p = jnp.array([0.1, 0.0, 0.3, 0.6], f32)
emit("choice_p", p)
emit("choice_1_p_replace", random.choice(key(1), 4, (10,), replace=True, p=p))
emit("choice_1_p_noreplace", random.choice(key(1), 4, (3,), replace=False, p=p))
emit("orthogonal_0_4", random.orthogonal(key(0), 4, (), f32))
emit("orthogonal_1_2x3", random.orthogonal(key(1), 3, (2,), f32))
emit("orthogonal_2_3x5", random.orthogonal(key(2), 3, (), f32, m=5))
emit("split_vmap_keys", random.split(key(9), 3))
emit("split_vmap", jax.vmap(lambda k: random.split(k, 2))(random.split(key(9), 3)))
emit("uniform_vmap", jax.vmap(lambda k: random.uniform(k, (4,)))(random.split(key(9), 3)))

# ---- the parameterised samplers (tests/nn/random_samplers.rs) ----
a3 = jnp.array([0.3, 1.0, 4.5], f32)
emit("gamma_0_a3", random.gamma(key(0), a3))
emit("gamma_1_2x3", random.gamma(key(1), a3, (2, 3)))
emit("gamma_2_small", random.gamma(key(2), jnp.float32(0.05), (50,)))
emit("gamma_3_1000", random.gamma(key(3), jnp.float32(2.5), (1000,)))
emit("loggamma_0_a3", random.loggamma(key(0), a3))
emit("loggamma_4_tiny", random.loggamma(key(4), jnp.float32(1e-3), (20,)))
emit("gamma_grad_a3", jax.grad(lambda a: random.gamma(key(5), a).sum())(a3))
emit("loggamma_grad_a3", jax.grad(lambda a: random.loggamma(key(5), a).sum())(a3))
emit("beta_0", random.beta(key(0), jnp.float32(2.0), jnp.array([0.5, 3.0], f32), (4, 2)))
emit("beta_grad", jax.grad(lambda a: random.beta(key(6), a, jnp.float32(3.0)).sum())(a3))
alpha = jnp.array([0.5, 1.0, 2.0], f32)
emit("dirichlet_0", random.dirichlet(key(0), alpha, (4,)))
emit("dirichlet_grad", jax.grad(lambda a: random.dirichlet(key(7), a)[0])(alpha))
emit("cauchy_0", random.cauchy(key(0), (50,), f32))
emit("lognormal_0", random.lognormal(key(0), jnp.array([0.5, 2.0], f32), (3, 2)))
emit("pareto_0", random.pareto(key(0), jnp.array([1.5, 3.0], f32), (3, 2)))
emit("weibull_min_0", random.weibull_min(key(0), 2.0, 1.5, (50,), f32))
emit("rayleigh_0", random.rayleigh(key(0), jnp.array([1.0, 2.0], f32), (3, 2)))
emit("maxwell_0", random.maxwell(key(0), (50,), f32))
emit("double_sided_maxwell_0", random.double_sided_maxwell(key(0), 1.0, 2.0, (20,), f32))
emit("wald_0", random.wald(key(0), jnp.array([0.5, 3.0], f32), (10, 2)))
emit("triangular_0", random.triangular(key(0), 0.0, jnp.array([0.5, 2.0], f32), 3.0, (10, 2)))
emit("t_0", random.t(key(0), jnp.array([1.5, 5.0], f32), (3, 2)))
emit("chisquare_0", random.chisquare(key(0), jnp.array([1.0, 4.0], f32), (3, 2)))
emit("f_0", random.f(key(0), jnp.float32(5.0), jnp.array([2.0, 7.0], f32), (2,)))
emit("f_1", random.f(key(1), 5.0, 7.0, (20,), f32))
emit("generalized_normal_0", random.generalized_normal(key(0), 1.5, (20,), f32))
emit("ball_0", random.ball(key(0), 3, 2.0, (5,), f32))
emit("poisson_0", random.poisson(key(0), jnp.array([0.0, 0.5, 3.0, 9.9, 10.0, 50.0, 1000.0], f32), (4, 7)))
emit("geometric_0", random.geometric(key(0), jnp.array([0.05, 0.3, 0.9], f32), (5, 3)))
emit("binomial_0", random.binomial(key(0), jnp.array([0.0, 5.0, 20.0, 100.0, 1000.0], f32), jnp.array([0.3, 0.9, 0.5, 0.05, 0.7], f32), (4, 5)))
emit("binomial_1_edge", random.binomial(key(1), jnp.array([10.0, -1.0, jnp.inf, 7.5, 30.0], f32), jnp.array([0.2, 0.5, 0.5, 0.5, -0.1], f32)))
emit("multinomial_0", random.multinomial(key(0), 50.0, jnp.array([0.1, 0.2, 0.3, 0.4], f32), shape=(3, 4)))
emit("multinomial_1", random.multinomial(key(1), jnp.array([5.0, 500.0], f32), jnp.array([[0.5, 0.0, 0.5], [0.2, 0.3, 0.5]], f32)))
cov = jnp.array([[2.0, 0.5, 0.1], [0.5, 1.0, 0.3], [0.1, 0.3, 0.7]], f32)
emit("mvn_0", random.multivariate_normal(key(0), jnp.array([1.0, -1.0, 0.5], f32), cov, (4,)))
covs = jnp.stack([cov, 2.0 * jnp.eye(3, dtype=f32)])
emit("mvn_1_batched", random.multivariate_normal(key(1), jnp.zeros((3,), f32), covs))
emit("categorical_noreplace_0", random.categorical(key(0), logits, axis=-1, shape=(4, 3), replace=False))
emit("categorical_noreplace_1", random.categorical(key(1), logits, axis=0, shape=(2, 5), replace=False))
emit("gamma_vmap", jax.vmap(lambda k: random.gamma(k, a3))(random.split(key(9), 3)))
emit("poisson_jit", jax.jit(lambda k: random.poisson(k, jnp.float32(4.0), (10,)))(key(3)))

# Many draws, for the samplers ferrax matches bit for bit (tests/nn/random_exact.rs) and
# for measuring the others (how many draws differ, by how many ulps).
BIG = 2000
emit("big.normal", random.normal(key(11), (BIG,), f32))
emit("big.exponential", random.exponential(key(11), (BIG,), f32))
emit("big.gumbel", random.gumbel(key(11), (BIG,), f32))
emit("big.laplace", random.laplace(key(11), (BIG,), f32))
emit("big.logistic", random.logistic(key(11), (BIG,), f32))
emit("big.cauchy", random.cauchy(key(11), (BIG,), f32))
emit("big.lognormal", random.lognormal(key(11), jnp.float32(0.7), (BIG,)))
emit("big.rayleigh", random.rayleigh(key(11), jnp.float32(1.5), (BIG,)))
emit("big.weibull_min", random.weibull_min(key(11), 2.0, 1.5, (BIG,), f32))
emit("big.pareto", random.pareto(key(11), jnp.float32(1.5), (BIG,)))
emit("big.triangular", random.triangular(key(11), 0.0, 0.5, 3.0, (BIG,), f32))
emit("big.maxwell", random.maxwell(key(11), (BIG,), f32))
emit("big.double_sided_maxwell", random.double_sided_maxwell(key(11), 0.0, 1.0, (BIG,), f32))
emit("big.truncated_normal", random.truncated_normal(key(11), -1.0, 2.0, (BIG,), f32))
emit("big.gamma", random.gamma(key(11), jnp.float32(2.5), (BIG // 4,), f32))
emit("big.gamma_small", random.gamma(key(11), jnp.float32(0.4), (BIG // 4,), f32))
emit("big.loggamma", random.loggamma(key(11), jnp.float32(0.4), (BIG // 4,), f32))
emit("big.beta", random.beta(key(11), 2.0, 3.0, (BIG // 4,), f32))
emit("big.chisquare", random.chisquare(key(11), jnp.float32(3.0), (BIG // 4,), f32))
emit("big.t", random.t(key(11), jnp.float32(4.0), (BIG // 4,), f32))
emit("big.f", random.f(key(11), jnp.float32(5.0), jnp.float32(7.0), (BIG // 4,), f32))
emit("big.wald", random.wald(key(11), jnp.float32(2.0), (BIG,), f32))
emit("big.generalized_normal", random.generalized_normal(key(11), 1.5, (BIG // 4,), f32))

# Bit-exact cases over other keys, shapes and array parameters (tests/nn/random_exact.rs):
# the gamma family with `a` on both sides of 1 (the boosted branch), array means and bounds.
a9 = jnp.array([0.05, 0.3, 0.77, 0.999, 1.0, 1.5, 2.5, 7.0, 33.0], f32)
emit("exact.gamma_arr", random.gamma(key(21), a9, (40, 9), f32))
emit("exact.gamma_k22", random.gamma(key(22), jnp.float32(1.7), (3, 100), f32))
emit("exact.loggamma_arr", random.loggamma(key(23), a9, (40, 9), f32))
emit("exact.beta_arr", random.beta(key(24), a9, jnp.float32(2.0), (30, 9), f32))
emit("exact.dirichlet", random.dirichlet(key(25), jnp.array([0.3, 1.0, 4.0], f32), (100,), f32))
emit("exact.chisquare_arr", random.chisquare(key(26), jnp.array([0.5, 1.0, 3.0, 10.0], f32), (50, 4), f32))
emit("exact.t_arr", random.t(key(27), jnp.array([0.7, 2.0, 5.0], f32), (60, 3), f32))
emit("exact.f", random.f(key(28), jnp.float32(1.5), jnp.float32(3.0), (200,), f32))
emit("exact.generalized_normal", random.generalized_normal(key(29), 0.7, (300,), f32))
emit("exact.truncated_normal", random.truncated_normal(key(30), -0.3, 1.7, (500,), f32))
emit("exact.truncated_normal_wide", random.truncated_normal(key(31), -3.0, 2.5, (500,), f32))
# Bounds whose erf(x / sqrt2) XLA's scalar erf saturates to 1 and its array erf does not.
emit("exact.truncated_normal_gap", random.truncated_normal(key(36), -5.35, 5.38, (500,), f32))
emit("exact.maxwell", random.maxwell(key(32), (20, 25), f32))
emit("exact.double_sided_maxwell", random.double_sided_maxwell(key(33), 0.3, 1.7, (500,), f32))
emit("exact.wald_arr", random.wald(key(34), jnp.array([0.5, 1.3, 3.0, 7.7], f32), (250, 4), f32))
emit("exact.uniform_span", random.uniform(key(35), (500,), f32, -1.3, 2.9))

# The f64 cases need x64 (JAX's 52-bit uniforms); everything else runs in the default
# 32-bit mode, where e.g. randint and permutation use int32.
jax.config.update("jax_enable_x64", True)
emit("uniform_f64_0_100", random.uniform(key(0), (100,), f64))
emit("uniform_f64_1_m3_5", random.uniform(key(1), (100,), f64, -3.0, 5.0))
emit("normal_f64_0_200", random.normal(key(0), (200,), f64))

emit("gamma_f64_0", random.gamma(key(0), jnp.array([0.3, 1.0, 4.5]), (2, 3), f64))
emit("loggamma_f64_0", random.loggamma(key(0), jnp.array([0.3, 1.0, 4.5]), None, f64))
emit("beta_f64_0", random.beta(key(0), 2.0, 3.0, (6,), f64))
emit("cauchy_f64_0", random.cauchy(key(0), (20,), f64))
emit("t_f64_0", random.t(key(0), 3.0, (6,), f64))
emit("wald_f64_0", random.wald(key(0), 2.0, (6,), f64))
emit("gamma_grad_f64", jax.grad(lambda a: random.gamma(key(5), a).sum())(jnp.array([0.3, 1.0, 4.5])))

with open(OUT, "w") as f:
    f.write("\n".join(lines) + "\n")
print("wrote", OUT, len(lines), "cases")
