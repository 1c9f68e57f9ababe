"""Generates tests/golden/optim.txt: optax's own numbers for tests/nn/optim.rs and tests/nn/losses.rs.

Run with JAX 0.10.2 and optax 0.2.8 (`pip install optax==0.2.8`, which keeps jax 0.10.2):

    python3 tests/golden/make_optim.py > tests/golden/optim.txt

Each line is `name dtype shape v1 v2 ...` (shape `2x3`, `-` for a scalar); values are the
exact float32 numbers, printed as the shortest decimal that round-trips. The inputs (initial
parameters, the gradient of each step, logits, labels) are in the file too, so the Rust tests
feed optax's optimizers exactly the same numbers.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

assert jax.__version__ == "0.10.2", jax.__version__
assert optax.__version__ == "0.2.8", optax.__version__


def emit(name, x):
    x = np.asarray(x)
    dt = {np.float32: "f32", np.int32: "i32"}[x.dtype.type]
    shape = "x".join(str(d) for d in x.shape) if x.ndim else "-"
    vals = " ".join(repr(v.item()) for v in x.reshape(-1))
    print(f"{name} {dt} {shape} {vals}")


# ---------------------------------------------------------------- optimizers
rng = np.random.RandomState(0)
params0 = (
    jnp.asarray(rng.normal(size=(2, 3)).astype(np.float32)),
    jnp.asarray(rng.normal(size=(3,)).astype(np.float32)),
)
STEPS = 5
grads = []
for t in range(STEPS):
    s = 0.1 if t == 2 else 1.5  # step 2 stays under the clipping threshold
    grads.append(
        (
            jnp.asarray((s * rng.normal(size=(2, 3))).astype(np.float32)),
            jnp.asarray((s * rng.normal(size=(3,))).astype(np.float32)),
        )
    )
emit("params_w", params0[0])
emit("params_b", params0[1])
for t, (gw, gb) in enumerate(grads):
    emit(f"grad{t}_w", gw)
    emit(f"grad{t}_b", gb)

OPTIMIZERS = {
    "sgd": optax.sgd(0.1),
    "sgd_momentum": optax.sgd(0.1, momentum=0.9),
    "sgd_nesterov": optax.sgd(0.1, momentum=0.9, nesterov=True),
    "adam": optax.adam(0.01),
    "adam_eps_root": optax.adam(0.01, b1=0.8, b2=0.99, eps=1e-6, eps_root=1e-8),
    "nadam": optax.nadam(0.01),
    "adamw": optax.adamw(0.01),
    "adamw_masked": optax.adamw(0.01, weight_decay=0.1, mask=(True, False)),
    "rmsprop": optax.rmsprop(0.01),
    "rmsprop_centered_momentum": optax.rmsprop(0.01, centered=True, momentum=0.9),
    "rmsprop_options": optax.rmsprop(
        0.01,
        decay=0.95,
        eps=1e-4,
        initial_scale=0.1,
        eps_in_sqrt=False,
        bias_correction=True,
        momentum=0.5,
        nesterov=True,
    ),
    "adagrad": optax.adagrad(0.1),
    "clip_adam": optax.chain(optax.clip_by_global_norm(2.0), optax.adam(0.01)),
    "adam_warmup_cosine": optax.adam(
        optax.warmup_cosine_decay_schedule(0.0, 0.01, 2, 5, 0.001)
    ),
    "sgd_exp_decay": optax.sgd(
        optax.exponential_decay(0.1, 2, 0.5, staircase=True), momentum=0.9
    ),
    # issue 19: the other optimizers, with optax's defaults and some explicit options
    "lion": optax.lion(0.01),
    "lion_opts": optax.lion(0.01, b1=0.8, b2=0.9, weight_decay=0.1, mask=(True, False)),
    "lamb": optax.lamb(0.01),
    "lamb_wd": optax.lamb(0.01, weight_decay=0.1),
    "lars": optax.lars(0.1),
    "lars_opts": optax.lars(
        0.1, weight_decay=0.01, trust_coefficient=0.01, trust_ratio_mask=(True, False), nesterov=True
    ),
    "adabelief": optax.adabelief(0.01),
    "adabelief_nesterov": optax.adabelief(0.01, nesterov=True),
    "adamax": optax.adamax(0.01),
    "adamaxw": optax.adamaxw(0.01, weight_decay=0.1),
    "nadamw": optax.nadamw(0.01),
    "radam": optax.radam(0.01),
    "radam_low_threshold": optax.radam(0.01, b2=0.9, threshold=4.5),
    "novograd": optax.novograd(0.01),
    "novograd_wd": optax.novograd(0.01, weight_decay=0.1),
    "sm3": optax.sm3(0.1),
    "yogi": optax.yogi(0.01),
    "noisy_sgd": optax.noisy_sgd(0.1, key=0),
    "fromage": optax.fromage(0.01),
    "amsgrad": optax.amsgrad(0.01),
    "adadelta": optax.adadelta(1.0),
    "adadelta_wd": optax.adadelta(1.0, rho=0.8, weight_decay=0.1),
    "adan": optax.adan(0.01),
    "adan_wd": optax.adan(0.01, weight_decay=0.1),
    "rprop": optax.rprop(0.01),
    "sign_sgd": optax.sign_sgd(0.01),
    "signum": optax.signum(0.01),
    "optimistic_gd": optax.optimistic_gradient_descent(0.01),
    "optimistic_adam": optax.optimistic_adam(0.01),
    "optimistic_adam_v2": optax.optimistic_adam_v2(0.01, alpha=0.5, beta=0.8),
    "adafactor": optax.adafactor(0.01),
    "adafactor_factored": optax.adafactor(
        0.01, min_dim_size_to_factor=2, momentum=0.9, weight_decay_rate=0.01, clipping_threshold=0.5
    ),
    "adafactor_no_lr": optax.adafactor(multiply_by_parameter_scale=True, min_dim_size_to_factor=2),
    "sgd_clip_value": optax.chain(optax.clip(1.0), optax.sgd(0.1)),
    "sgd_clip_block_rms": optax.chain(optax.clip_by_block_rms(0.5), optax.sgd(0.1)),
    "sgd_centralize": optax.chain(optax.centralize(), optax.sgd(0.1)),
    "sgd_normalize": optax.chain(optax.normalize_by_update_norm(), optax.sgd(0.1)),
    "sgd_param_block_rms": optax.chain(optax.scale_by_param_block_rms(), optax.sgd(0.1)),
    "sgd_keep_nonneg": optax.chain(optax.sgd(1.0), optax.keep_params_nonnegative()),
}

for name, opt in OPTIMIZERS.items():
    params = params0
    state = opt.init(params)
    for t in range(STEPS):
        updates, state = opt.update(grads[t], state, params)
        params = optax.apply_updates(params, updates)
        emit(f"{name}_u{t}_w", updates[0])
        emit(f"{name}_u{t}_b", updates[1])
    emit(f"{name}_final_w", params[0])
    emit(f"{name}_final_b", params[1])

# ---------------------------------------------------------------- wrappers
# The same gradients, but step 1's first weight is NaN and step 3's bias is +inf.
bad_grads = [list(g) for g in grads]  # made tuples again below
bad_grads[1][0] = bad_grads[1][0].at[0, 0].set(jnp.nan)
bad_grads[3][1] = bad_grads[3][1].at[2].set(jnp.inf)
bad_grads = [tuple(g) for g in bad_grads]
for t, (gw, gb) in enumerate(bad_grads):
    emit(f"bad_grad{t}_w", gw)
    emit(f"bad_grad{t}_b", gb)

ADAM_LR_ONLY = optax.inject_hyperparams(optax.adam, static_args=("b1", "b2", "eps", "eps_root"))
WRAPPERS = {
    # name: (optimizer, gradients, state fields to record after each step)
    "multi_steps": (optax.MultiSteps(optax.adam(0.01), 2), grads, ("mini_step", "gradient_step")),
    "multi_steps_sched_sum": (
        optax.MultiSteps(
            optax.sgd(0.1, momentum=0.9),
            lambda step: jnp.where(step < 1, 1, 3),
            use_grad_mean=False,
        ),
        grads,
        ("mini_step", "gradient_step"),
    ),
    "apply_if_finite": (
        optax.apply_if_finite(optax.adam(0.01), 1),
        bad_grads,
        ("notfinite_count", "last_finite", "total_notfinite"),
    ),
    "apply_if_finite_0": (
        optax.apply_if_finite(optax.sgd(0.1), 0),
        bad_grads,
        ("notfinite_count", "last_finite", "total_notfinite"),
    ),
    "zero_nans_sgd": (optax.chain(optax.zero_nans(), optax.sgd(0.1, momentum=0.5)), bad_grads, ()),
    "multi_transform": (
        optax.multi_transform({"a": optax.adam(0.01), "s": optax.sgd(0.1, momentum=0.9)}, ("a", "s")),
        grads,
        (),
    ),
    # Only the learning rate injected (b1, b2, eps static): ferrax's factories take the other
    # hyperparameters as f64 constants, which round like optax's static Python floats.
    "inject_adam": (ADAM_LR_ONLY(learning_rate=0.01), grads, ()),
    "inject_sched": (
        ADAM_LR_ONLY(learning_rate=optax.linear_schedule(0.1, 0.01, 4)),
        grads,
        (),
    ),
}

for name, (opt, gs, fields) in WRAPPERS.items():
    params = params0
    state = opt.init(params)
    for t in range(STEPS):
        if name == "inject_adam" and t == 2:
            state.hyperparams["learning_rate"] = jnp.asarray(0.003, jnp.float32)
        updates, state = opt.update(gs[t], state, params)
        params = optax.apply_updates(params, updates)
        emit(f"{name}_u{t}_w", updates[0])
        emit(f"{name}_u{t}_b", updates[1])
        for f in fields:
            emit(f"{name}_s{t}_{f}", np.asarray(getattr(state, f), np.int32))
        if name.startswith("inject"):
            emit(f"{name}_s{t}_lr", np.asarray(state.hyperparams["learning_rate"], np.float32))
    emit(f"{name}_final_w", params[0])
    emit(f"{name}_final_b", params[1])

# lookahead: updates of the fast and slow weights
LOOKAHEAD = {
    "lookahead_adam": optax.lookahead(optax.adam(0.01), 2, 0.5),
    "lookahead_sgd_reset": optax.lookahead(optax.sgd(0.1, momentum=0.9), 3, 0.3, reset_state=True),
}
for name, opt in LOOKAHEAD.items():
    params = optax.LookaheadParams.init_synced(params0)
    state = opt.init(params)
    for t in range(STEPS):
        updates, state = opt.update(grads[t], state, params)
        params = optax.apply_updates(params, updates)
        for part in ("fast", "slow"):
            u = getattr(updates, part)
            emit(f"{name}_{part}_u{t}_w", u[0])
            emit(f"{name}_{part}_u{t}_b", u[1])
    for part in ("fast", "slow"):
        emit(f"{name}_{part}_final_w", getattr(params, part)[0])
        emit(f"{name}_{part}_final_b", getattr(params, part)[1])

# polyak_sgd: the loss value of each step is 0.5 * |params|^2 (its gradient is not the one used)
POLYAK = {
    "polyak_sgd": optax.polyak_sgd(),
    "polyak_sgd_opts": optax.polyak_sgd(max_learning_rate=0.3, scaling=0.5, f_min=1.0, eps=0.1, variant="sps+"),
}
for name, opt in POLYAK.items():
    params = params0
    state = opt.init(params)
    for t in range(STEPS):
        value = 0.5 * sum(jnp.sum(p * p) for p in params)
        updates, state = opt.update(grads[t], state, params, value=value)
        params = optax.apply_updates(params, updates)
        emit(f"{name}_u{t}_w", updates[0])
        emit(f"{name}_u{t}_b", updates[1])
    emit(f"{name}_final_w", params[0])
    emit(f"{name}_final_b", params[1])

# ---------------------------------------------------------------- schedules
SCHEDULE_STEPS = [0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 15, 20, 25, 49, 50, 51, 100, 1000]
SCHEDULES = {
    "constant": optax.constant_schedule(0.3),
    "exp": optax.exponential_decay(0.1, 10, 0.5),
    "exp_stair_begin_end": optax.exponential_decay(
        0.1, 10, 0.5, transition_begin=5, staircase=True, end_value=0.02
    ),
    "exp_grow": optax.exponential_decay(0.01, 7, 1.5, end_value=0.05),
    "linear": optax.linear_schedule(0.0, 0.1, 20, 5),
    "poly": optax.polynomial_schedule(1.0, 0.01, 2, 50),
    "cosine": optax.cosine_decay_schedule(0.1, 50, alpha=0.1),
    "cosine_exp": optax.cosine_decay_schedule(0.1, 50, 0.0, exponent=2.0),
    "warmup_cosine": optax.warmup_cosine_decay_schedule(0.0, 0.1, 10, 100, 0.001),
    "piecewise_constant": optax.piecewise_constant_schedule(0.1, {5: 0.5, 10: 0.3, 50: 2.0}),
    "piecewise_linear": optax.piecewise_interpolate_schedule("linear", 0.1, {5: 0.5, 20: 3.0, 50: 0.1}),
    "piecewise_cosine": optax.piecewise_interpolate_schedule("cosine", 0.1, {5: 0.5, 20: 3.0, 50: 0.1}),
    "cosine_onecycle": optax.cosine_onecycle_schedule(50, 0.1),
    "cosine_onecycle_opts": optax.cosine_onecycle_schedule(30, 0.2, pct_start=0.2, div_factor=10.0, final_div_factor=100.0),
    "linear_onecycle": optax.linear_onecycle_schedule(50, 0.1),
    "sgdr": optax.sgdr_schedule(
        [
            dict(init_value=0.0, peak_value=0.1, warmup_steps=3, decay_steps=10, end_value=0.001),
            dict(init_value=0.01, peak_value=0.05, warmup_steps=2, decay_steps=20, end_value=0.0),
            dict(init_value=0.0, peak_value=0.02, warmup_steps=5, decay_steps=30, end_value=0.001, exponent=2.0),
        ]
    ),
    "warmup_constant": optax.warmup_constant_schedule(0.0, 0.1, 10),
    "warmup_exp": optax.warmup_exponential_decay_schedule(0.0, 0.1, 10, 5, 0.5, transition_begin=3, staircase=True, end_value=0.01),
}
emit("schedule_steps", np.asarray(SCHEDULE_STEPS, np.int32))
for name, sched in SCHEDULES.items():
    vals = [sched(jnp.asarray(s, jnp.int32)) for s in SCHEDULE_STEPS]
    emit(f"schedule_{name}", np.asarray(vals, np.float32))

# ---------------------------------------------------------------- losses
rng = np.random.RandomState(1)
logits = jnp.asarray((3.0 * rng.normal(size=(4, 5))).astype(np.float32))
labels = jnp.asarray(np.array([0, 3, 4, 1], np.int32))
soft = jax.nn.softmax(jnp.asarray(rng.normal(size=(4, 5)).astype(np.float32)), -1)
emit("loss_logits", logits)
emit("loss_labels", labels)
emit("loss_soft", soft)
ce_int = optax.softmax_cross_entropy_with_integer_labels
emit("ce_int", ce_int(logits, labels))
emit("ce_int_grad", jax.grad(lambda x: ce_int(x, labels).mean())(logits))
emit("ce_soft", optax.softmax_cross_entropy(logits, soft))
emit(
    "ce_soft_grad",
    jax.grad(lambda x: optax.softmax_cross_entropy(x, soft).mean())(logits),
)

extreme = jnp.asarray([[1e30, -1e30, 0.0], [0.0, -jnp.inf, 1.0], [-1e30, 1e30, 1e30]], jnp.float32)
extreme_labels = jnp.asarray([1, 2, 0], jnp.int32)
emit("extreme_logits", extreme)
emit("extreme_labels", extreme_labels)
emit("ce_int_extreme", ce_int(extreme, extreme_labels))
emit("ce_int_extreme_grad", jax.grad(lambda x: ce_int(x, extreme_labels).sum())(extreme))

x = jnp.asarray((4.0 * rng.normal(size=(8,))).astype(np.float32))
z = jnp.asarray(np.array([0, 1, 1, 0, 0.25, 0.5, 1, 0], np.float32))
emit("bce_logits", x)
emit("bce_labels", z)
emit("bce", optax.sigmoid_binary_cross_entropy(x, z))
emit("bce_grad", jax.grad(lambda x: optax.sigmoid_binary_cross_entropy(x, z).sum())(x))

pred = jnp.asarray((2.0 * rng.normal(size=(8,))).astype(np.float32))
target = jnp.asarray(rng.normal(size=(8,)).astype(np.float32))
emit("reg_pred", pred)
emit("reg_target", target)
emit("squared_error", optax.squared_error(pred, target))
emit("l2_loss", optax.l2_loss(pred, target))
emit("huber", optax.huber_loss(pred, target, delta=1.0))
emit("huber_05", optax.huber_loss(pred, target, delta=0.5))
emit("huber_05_grad", jax.grad(lambda p: optax.huber_loss(p, target, delta=0.5).sum())(pred))

# ---------------------------------------------------------------- losses of issue 19
rng = np.random.RandomState(2)
A = jnp.asarray(rng.normal(size=(4, 5)).astype(np.float32))
B = jnp.asarray(rng.normal(size=(4, 5)).astype(np.float32))
C = jnp.asarray(rng.normal(size=(4, 5)).astype(np.float32))
P = jax.nn.softmax(B, -1)  # probabilities
MASK = jnp.asarray(rng.uniform(size=(4, 5)) > 0.3)
MASK = MASK.at[:, 0].set(True)
SIGNS = jnp.asarray(np.sign(rng.normal(size=(4, 5))).astype(np.float32))
BIN = jnp.asarray((rng.uniform(size=(4, 5)) > 0.5).astype(np.int32))
emit("lx_a", A)
emit("lx_b", B)
emit("lx_c", C)
emit("lx_p", P)
emit("lx_mask", MASK.astype(np.int32))
emit("lx_signs", SIGNS)
emit("lx_bin", BIN)
LOGP = jax.nn.log_softmax(A, -1)

LOSSES = {
    # name: function of the first argument (its gradient is recorded too)
    "kl": lambda a: optax.losses.kl_divergence(jax.nn.log_softmax(a, -1), P),
    "kl_axis0_where": lambda a: optax.losses.kl_divergence(
        jax.nn.log_softmax(a, 0), P, axis=0, where=MASK
    ),
    "kl_log_targets": lambda a: optax.losses.kl_divergence_with_log_targets(
        jax.nn.log_softmax(a, -1), jnp.log(P)
    ),
    "generalized_kl": lambda a: optax.losses.generalized_kl_divergence(a, P),
    "convex_kl": lambda a: optax.losses.convex_kl_divergence(a, P),
    "hinge": lambda a: optax.losses.hinge_loss(a, SIGNS),
    "squared_hinge": lambda a: optax.losses.hinge_loss(a, SIGNS) ** 2,
    "perceptron": lambda a: optax.losses.perceptron_loss(a, SIGNS),
    "multiclass_hinge": lambda a: optax.losses.multiclass_hinge_loss(a, labels),
    "multiclass_perceptron": lambda a: optax.losses.multiclass_perceptron_loss(a, labels),
    "focal": lambda a: optax.losses.sigmoid_focal_loss(a, BIN),
    "focal_alpha": lambda a: optax.losses.sigmoid_focal_loss(a, P, alpha=0.25, gamma=1.5),
    "poly": lambda a: optax.losses.poly_loss_cross_entropy(a, P),
    "poly_eps_where": lambda a: optax.losses.poly_loss_cross_entropy(a, P, epsilon=0.5, where=MASK),
    "safe_ce": lambda a: optax.losses.safe_softmax_cross_entropy(a, P),
    "ce_axis0": lambda a: optax.losses.softmax_cross_entropy(a, P, axis=0),
    "ce_where": lambda a: optax.losses.softmax_cross_entropy(a, P, where=MASK),
    "sparsemax": lambda a: optax.losses.sparsemax_loss(a, BIN),
    "smooth_labels": lambda a: optax.losses.smooth_labels(jax.nn.softmax(a, -1), 0.1),
    "smooth_labels_where": lambda a: optax.losses.smooth_labels(
        jax.nn.softmax(a, -1), 0.2, where=MASK
    ),
    "cosine_similarity": lambda a: optax.losses.cosine_similarity(a, B),
    "cosine_distance_eps_axis0": lambda a: optax.losses.cosine_distance(a, B, epsilon=0.5, axis=0),
    "cosine_similarity_where": lambda a: optax.losses.cosine_similarity(a, B, where=MASK),
    "log_cosh": lambda a: optax.losses.log_cosh(a, B),
    "log_cosh_single": lambda a: optax.losses.log_cosh(3.0 * a),
    "triplet": lambda a: optax.losses.triplet_margin_loss(a, B, C),
    "triplet_opts": lambda a: optax.losses.triplet_margin_loss(
        a, B, C, axis=0, norm_degree=4, margin=0.5, eps=1e-3
    ),
    "ntxent": lambda a: optax.losses.ntxent(a, jnp.asarray([0, 1, 0, 1])),
    "dice": lambda a: optax.losses.dice_loss(a.reshape(2, 2, 5), P.reshape(2, 2, 5)),
    "dice_opts": lambda a: optax.losses.dice_loss(
        a.reshape(2, 2, 5),
        P.reshape(2, 2, 5),
        class_weights=jnp.arange(1.0, 6.0),
        smooth=0.5,
        alpha=0.3,
        beta=0.7,
        reduction="sum",
        ignore_background=True,
    ),
    "binary_dice": lambda a: optax.losses.binary_dice_loss(a, BIN.astype(jnp.float32)),
    "generalized_dice": lambda a: optax.losses.multiclass_generalized_dice_loss(
        a.reshape(2, 2, 5), P.reshape(2, 2, 5)
    ),
    "ranking": lambda a: optax.losses.ranking_softmax_loss(a, P),
    "ranking_where_weights_none": lambda a: optax.losses.ranking_softmax_loss(
        a, BIN, where=MASK, weights=B * B, reduce_fn=None
    ),
    "ranking_where_sum": lambda a: optax.losses.ranking_softmax_loss(a, P, where=MASK, reduce_fn=jnp.sum),
}
for name, f in LOSSES.items():
    emit(f"loss_{name}", f(A))
    emit(f"loss_{name}_grad", jax.grad(lambda a: jnp.sum(f(a)))(A))

# ---------------------------------------------------------------- ctc
rng = np.random.RandomState(3)
ctc_logits = jnp.asarray(rng.normal(size=(2, 6, 4)).astype(np.float32))
ctc_logit_pads = jnp.asarray(np.array([[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1]], np.float32))
ctc_labels = jnp.asarray(np.array([[1, 2, 2], [3, 1, 0]], np.int32))
ctc_label_pads = jnp.asarray(np.array([[0, 0, 0], [0, 0, 1]], np.float32))
emit("ctc_logits", ctc_logits)
emit("ctc_logit_pads", ctc_logit_pads)
emit("ctc_labels", ctc_labels)
emit("ctc_label_pads", ctc_label_pads)
loss, phi, em = optax.losses.ctc_loss_with_forward_probs(
    ctc_logits, ctc_logit_pads, ctc_labels, ctc_label_pads
)
emit("ctc_loss", loss)
emit("ctc_phi", phi)
emit("ctc_emit", em)
ctc_sum = lambda x: optax.losses.ctc_loss(x, ctc_logit_pads, ctc_labels, ctc_label_pads).sum()
emit("ctc_grad", jax.grad(ctc_sum)(ctc_logits))
emit(
    "ctc_loss_blank3",
    optax.losses.ctc_loss(ctc_logits, ctc_logit_pads, ctc_labels - 1 + 1 * (ctc_labels == 0), ctc_label_pads, blank_id=3),
)
