//! The losses of issue 19 against optax 0.2.8 (tests/golden/optim.txt, made by
//! tests/golden/make_optim.py): values and the gradient of their sum in f32, derivatives against
//! finite differences in f64, jit against eager, and error messages.

use crate::common::close::assert_allclose as assert_close;
use crate::optim_golden::{g, tensor};
use ferrax::losses::{self, AxisWhere, DiceOptions, RankingOptions, Reduction, TripletMargin};
use ferrax::prelude::*;
use ferrax::test_util::check_grads;

/// The golden inputs in `dt`.
struct In {
    b: Tensor,
    c: Tensor,
    p: Tensor,
    mask: Tensor,
    signs: Tensor,
    bin: Tensor,
    labels: Tensor,
}

fn inputs(dt: DType) -> In {
    In {
        b: tensor("lx_b", dt),
        c: tensor("lx_c", dt),
        p: tensor("lx_p", dt),
        mask: tensor("lx_mask", DType::I32).cast(DType::Bool),
        signs: tensor("lx_signs", dt),
        bin: tensor("lx_bin", DType::I32),
        labels: tensor("loss_labels", DType::I32),
    }
}

fn aw(axis: isize, mask: Option<&Tensor>) -> AxisWhere {
    AxisWhere {
        axis,
        where_: mask.cloned(),
    }
}

/// Every golden loss as a function of the first argument `a` `[4, 5]`.
/// A named loss of the first argument.
type Case<'a> = (&'static str, Box<dyn Fn(&Tensor) -> Tensor + 'a>);

fn cases(i: &In) -> Vec<Case<'_>> {
    let lsm = |a: &Tensor, ax| ferrax::nn::log_softmax(a, ax);
    let r = |x: &Tensor| x.reshape(&[2, 2, 5]);
    vec![
        (
            "kl",
            Box::new(move |a| losses::kl_divergence(&lsm(a, -1), &i.p)),
        ),
        (
            "kl_axis0_where",
            Box::new(move |a| losses::kl_divergence_with(&lsm(a, 0), &i.p, aw(0, Some(&i.mask)))),
        ),
        (
            "kl_log_targets",
            Box::new(move |a| losses::kl_divergence_with_log_targets(&lsm(a, -1), &i.p.log())),
        ),
        (
            "generalized_kl",
            Box::new(move |a| losses::generalized_kl_divergence(a, &i.p)),
        ),
        (
            "convex_kl",
            Box::new(move |a| losses::convex_kl_divergence(a, &i.p)),
        ),
        ("hinge", Box::new(move |a| losses::hinge_loss(a, &i.signs))),
        (
            "squared_hinge",
            Box::new(move |a| losses::squared_hinge_loss(a, &i.signs)),
        ),
        (
            "perceptron",
            Box::new(move |a| losses::perceptron_loss(a, &i.signs)),
        ),
        (
            "multiclass_hinge",
            Box::new(move |a| losses::multiclass_hinge_loss(a, &i.labels)),
        ),
        (
            "multiclass_perceptron",
            Box::new(move |a| losses::multiclass_perceptron_loss(a, &i.labels)),
        ),
        (
            "focal",
            Box::new(move |a| losses::sigmoid_focal_loss(a, &i.bin, None, 2.0)),
        ),
        (
            "focal_alpha",
            Box::new(move |a| losses::sigmoid_focal_loss(a, &i.p, Some(0.25), 1.5)),
        ),
        (
            "poly",
            Box::new(move |a| losses::poly_loss_cross_entropy(a, &i.p, 2.0)),
        ),
        (
            "poly_eps_where",
            Box::new(move |a| {
                losses::poly_loss_cross_entropy_with(a, &i.p, 0.5, aw(-1, Some(&i.mask)))
            }),
        ),
        (
            "safe_ce",
            Box::new(move |a| losses::safe_softmax_cross_entropy(a, &i.p)),
        ),
        (
            "ce_axis0",
            Box::new(move |a| losses::softmax_cross_entropy_with(a, &i.p, aw(0, None))),
        ),
        (
            "ce_where",
            Box::new(move |a| losses::softmax_cross_entropy_with(a, &i.p, aw(-1, Some(&i.mask)))),
        ),
        (
            "sparsemax",
            Box::new(move |a| losses::sparsemax_loss(a, &i.bin)),
        ),
        (
            "smooth_labels",
            Box::new(move |a| losses::smooth_labels(&ferrax::nn::softmax(a, -1), 0.1)),
        ),
        (
            "smooth_labels_where",
            Box::new(move |a| {
                losses::smooth_labels_with(&ferrax::nn::softmax(a, -1), 0.2, aw(-1, Some(&i.mask)))
            }),
        ),
        (
            "cosine_similarity",
            Box::new(move |a| losses::cosine_similarity(a, &i.b, 0.0)),
        ),
        (
            "cosine_distance_eps_axis0",
            Box::new(move |a| losses::cosine_distance_with(a, &i.b, 0.5, aw(0, None))),
        ),
        (
            "cosine_similarity_where",
            Box::new(move |a| losses::cosine_similarity_with(a, &i.b, 0.0, aw(-1, Some(&i.mask)))),
        ),
        (
            "log_cosh",
            Box::new(move |a| losses::log_cosh(a, Some(&i.b))),
        ),
        (
            "log_cosh_single",
            Box::new(move |a| losses::log_cosh(&(a * 3.0), None)),
        ),
        (
            "triplet",
            Box::new(move |a| losses::triplet_margin_loss(a, &i.b, &i.c, TripletMargin::default())),
        ),
        (
            "triplet_opts",
            Box::new(move |a| {
                let o = TripletMargin {
                    axis: 0,
                    norm_degree: 4.0,
                    margin: 0.5,
                    eps: 1e-3,
                };
                losses::triplet_margin_loss(a, &i.b, &i.c, o)
            }),
        ),
        (
            "ntxent",
            Box::new(move |a| losses::ntxent(a, &Tensor::from_vec(vec![0, 1, 0, 1], &[4]), 0.07)),
        ),
        (
            "dice",
            Box::new(move |a| losses::dice_loss(&r(a), &r(&i.p))),
        ),
        (
            "dice_opts",
            Box::new(move |a| {
                let w = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0], &[5]).cast(a.dtype());
                let o = DiceOptions {
                    class_weights: Some(w),
                    smooth: 0.5,
                    alpha: 0.3,
                    beta: 0.7,
                    reduction: Reduction::Sum,
                    ignore_background: true,
                    ..Default::default()
                };
                losses::dice_loss_with(&r(a), &r(&i.p), o)
            }),
        ),
        (
            "ranking",
            Box::new(move |a| losses::ranking_softmax_loss(a, &i.p)),
        ),
        (
            "ranking_where_weights_none",
            Box::new(move |a| {
                let o = RankingOptions {
                    where_: Some(i.mask.clone()),
                    weights: Some(i.b.square()),
                    reduction: Reduction::None,
                };
                losses::ranking_softmax_loss_with(a, &i.bin, o)
            }),
        ),
        (
            "ranking_where_sum",
            Box::new(move |a| {
                let o = RankingOptions {
                    where_: Some(i.mask.clone()),
                    reduction: Reduction::Sum,
                    ..Default::default()
                };
                losses::ranking_softmax_loss_with(a, &i.p, o)
            }),
        ),
        (
            "binary_dice",
            Box::new(move |a| losses::binary_dice_loss(a, &i.bin.cast(a.dtype()), 1.0, true)),
        ),
        (
            "generalized_dice",
            Box::new(move |a| {
                losses::multiclass_generalized_dice_loss(&r(a), &r(&i.p), 1.0, true, false)
            }),
        ),
    ]
}

fn f64s(t: &Tensor) -> Vec<f64> {
    t.cast(DType::F64).to_vec::<f64>()
}

#[test]
fn every_new_loss_and_its_gradient_match_optax() {
    let i = inputs(DType::F32);
    let a = tensor("lx_a", DType::F32);
    for (name, f) in cases(&i) {
        let got = f(&a);
        let want = g(&format!("loss_{name}"));
        assert_eq!(got.shape(), &want.shape[..], "{name} shape");
        assert_close(&f64s(&got), &want.vals, 2e-5, 2e-6, name);
        let grad_sum = grad(|a: &Tensor| f(a).sum())(&a);
        let want = &g(&format!("loss_{name}_grad")).vals;
        assert_close(
            &f64s(&grad_sum),
            want,
            2e-4,
            2e-5,
            &format!("{name} gradient"),
        );
    }
}

#[test]
fn every_new_loss_passes_check_grads_in_f64() {
    let i = inputs(DType::F64);
    let a = tensor("lx_a", DType::F64);
    for (_name, f) in cases(&i) {
        check_grads(|a: &Tensor| f(a), &a, 1);
    }
}

#[test]
fn every_new_loss_jits_to_the_eager_value() {
    let i = inputs(DType::F32);
    let a = tensor("lx_a", DType::F32);
    for (name, f) in cases(&i) {
        let eager = f64s(&f(&a));
        let jitted = jit(|a: &Tensor| f(a));
        assert_close(
            &f64s(&jitted(&a)),
            &eager,
            1e-6,
            1e-7,
            &format!("{name} jit"),
        );
    }
}

#[test]
fn safe_cross_entropy_is_finite_where_plain_is_not() {
    let logits = Tensor::from_vec(vec![0.0f32, f32::NEG_INFINITY, 1.0], &[3]);
    let labels = Tensor::from_vec(vec![0.5f32, 0.0, 0.5], &[3]);
    let l = losses::safe_softmax_cross_entropy(&logits, &labels).item::<f32>();
    let want = -(0.5 * (-(1.0f32 + 1f32.exp()).ln()) + 0.5 * (1.0 - (1.0f32 + 1f32.exp()).ln()));
    assert!((l - want).abs() < 1e-6, "{l} vs {want}");
    let plain = losses::softmax_cross_entropy_with(&logits, &labels, AxisWhere::default());
    assert!(
        plain.item::<f32>().is_nan(),
        "optax's plain form gives NaN here"
    );
}

#[test]
fn losses_name_the_op_and_shapes_in_errors() {
    let s = Tensor::zeros(&[2, 3], DType::F32);
    let msg = crate::common::panics::panic_message(|| {
        losses::multiclass_hinge_loss(&s, &Tensor::from_vec(vec![0, 1, 2], &[3]))
    });
    assert!(
        msg.contains("multiclass_hinge_loss") && msg.contains("[2, 3]"),
        "{msg}"
    );
    let msg = crate::common::panics::panic_message(|| {
        losses::kl_divergence_with(&s, &s, aw(-1, Some(&Tensor::ones(&[4], DType::Bool))))
    });
    assert!(
        msg.contains("kl_divergence") && msg.contains("[4]"),
        "{msg}"
    );
    let msg = crate::common::panics::panic_message(|| {
        losses::ntxent(&s, &Tensor::from_vec(vec![0, 1, 2], &[3]), 0.1)
    });
    assert!(msg.contains("ntxent") && msg.contains("[2, 3]"), "{msg}");
}

fn ctc_inputs(dt: DType) -> (Tensor, Tensor, Tensor, Tensor) {
    (
        tensor("ctc_logits", dt),
        tensor("ctc_logit_pads", dt),
        tensor("ctc_labels", DType::I32),
        tensor("ctc_label_pads", dt),
    )
}

#[test]
fn ctc_loss_and_forward_probs_match_optax() {
    let (x, xp, y, yp) = ctc_inputs(DType::F32);
    let (loss, phi, emit) = losses::ctc_loss_with_forward_probs(&x, &xp, &y, &yp, 0, -1e5);
    for (name, got) in [("ctc_loss", &loss), ("ctc_phi", &phi), ("ctc_emit", &emit)] {
        let want = g(name);
        assert_eq!(got.shape(), &want.shape[..], "{name} shape");
        assert_close(&f64s(got), &want.vals, 1e-5, 1e-4, name);
    }
    let gr = grad(|x: &Tensor| losses::ctc_loss(x, &xp, &y, &yp, 0, -1e5).sum())(&x);
    assert_close(&f64s(&gr), &g("ctc_grad").vals, 1e-4, 1e-5, "ctc gradient");
    let y3 = Tensor::from_vec(vec![0, 1, 1, 2, 0, 0], &[2, 3]);
    let l3 = losses::ctc_loss(&x, &xp, &y3, &yp, 3, -1e5);
    assert_close(
        &f64s(&l3),
        &g("ctc_loss_blank3").vals,
        1e-5,
        1e-5,
        "ctc blank 3",
    );
    // Jitted, the same.
    let f = jit(|x: &Tensor| losses::ctc_loss(x, &xp, &y, &yp, 0, -1e5));
    assert_close(&f64s(&f(&x)), &f64s(&loss), 1e-6, 1e-6, "ctc jit");
}

#[test]
fn ctc_loss_passes_check_grads_and_batches() {
    let (x, xp, y, yp) = ctc_inputs(DType::F64);
    check_grads(
        |x: &Tensor| losses::ctc_loss(x, &xp, &y, &yp, 0, -1e5),
        &x,
        1,
    );
    // vmap over a leading axis of examples equals a loop over them.
    let xs = ferrax::numpy::stack(&[x.clone(), &x * 0.5], 0);
    let batched = vmap(|x: &Tensor| losses::ctc_loss(x, &xp, &y, &yp, 0, -1e5))(&xs);
    for k in 0..2 {
        let one = losses::ctc_loss(&xs.index_axis(0, k), &xp, &y, &yp, 0, -1e5);
        assert_close(
            &f64s(&batched.index_axis(0, k)),
            &f64s(&one),
            1e-12,
            1e-12,
            "ctc vmap",
        );
    }
}
