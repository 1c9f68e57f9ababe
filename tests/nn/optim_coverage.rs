//! tests/golden/optax_coverage.txt (made by tests/golden/optax_coverage.py from optax and
//! rustdoc) against the functions ferrax really has: every name it calls covered must be one of
//! the names below, each of which is imported here (so a rename fails to compile), and every
//! missing name must give a reason.

/// The names, each imported from its module (a compile-time check that it exists).
macro_rules! known {
    ($module:ident: $($name:ident),* $(,)?) => {{
        #[allow(unused_imports)]
        use ferrax::$module::{$($name),*};
        vec![$(stringify!($name)),*]
    }};
}

fn known(group: &str) -> Vec<&'static str> {
    match group {
        "optimizers" => known!(optim:
            adabelief, adadelta, adafactor, adagrad, adam, adamax, adamaxw, adamw, adan, amsgrad, fromage,
            lamb, lars, lion, nadam, nadamw, noisy_sgd, novograd, optimistic_adam,
            optimistic_adam_v2, optimistic_gradient_descent, polyak_sgd, radam, rmsprop, rprop, sgd, sign_sgd, signum, sm3, yogi,
        ),
        "losses" => known!(losses:
            binary_dice_loss, convex_kl_divergence, cosine_distance, cosine_similarity, ctc_loss,
            ctc_loss_with_forward_probs, dice_loss, generalized_kl_divergence, hinge_loss,
            huber_loss, kl_divergence, kl_divergence_with_log_targets, l2_loss, log_cosh,
            multiclass_generalized_dice_loss, multiclass_hinge_loss, multiclass_perceptron_loss,
            ntxent, perceptron_loss, poly_loss_cross_entropy, ranking_softmax_loss,
            safe_softmax_cross_entropy,
            sigmoid_binary_cross_entropy, sigmoid_focal_loss, smooth_labels,
            softmax_cross_entropy, softmax_cross_entropy_with_integer_labels, sparsemax_loss,
            squared_error, triplet_margin_loss,
        ),
        "schedules" => known!(optim:
            constant_schedule, cosine_decay_schedule, cosine_onecycle_schedule, exponential_decay,
            inject_hyperparams, join_schedules, linear_onecycle_schedule, linear_schedule,
            piecewise_constant_schedule, piecewise_interpolate_schedule, polynomial_schedule,
            sgdr_schedule, warmup_constant_schedule, warmup_cosine_decay_schedule,
            warmup_exponential_decay_schedule,
        ),
        other => panic!("optax_coverage.txt: unknown group {other}"),
    }
}

#[test]
fn every_covered_optax_name_exists_and_every_missing_one_has_a_reason() {
    let text = include_str!("../golden/optax_coverage.txt");
    let mut counts = std::collections::HashMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut it = line.splitn(4, ' ');
        let (group, status, name) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
        let entry = counts.entry(group).or_insert((0usize, 0usize));
        entry.1 += 1;
        match status {
            "covered" => {
                assert!(
                    known(group).contains(&name),
                    "{group}: {name} is listed covered but ferrax has no such function"
                );
                entry.0 += 1;
            }
            "missing" => {
                let reason = it.next().unwrap_or("");
                assert!(
                    !reason.is_empty(),
                    "{group}: {name} is missing without a reason"
                );
            }
            other => panic!("optax_coverage.txt: bad status {other:?} in {line:?}"),
        }
    }
    // The targets of issue 19: at least 80% of each group.
    for (group, (covered, total)) in counts {
        assert!(
            covered * 5 >= total * 4,
            "{group}: {covered} of {total} covered, under 80%"
        );
    }
}
