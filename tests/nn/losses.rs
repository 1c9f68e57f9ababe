//! `ferrax::losses` against plain-Rust references, optax's own numbers
//! (tests/golden/optim.txt, made by tests/golden/make_optim.py), finite differences, extreme
//! logits, and vmap/jit.

use crate::optim_golden;
use ferrax::losses::{self, Reduction};
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use ferrax::test_util::check_grads;

use optim_golden::{g, tensor};

fn g_f32(name: &str) -> Tensor {
    tensor(name, DType::F32)
}

fn g_i32(name: &str) -> Tensor {
    tensor(name, DType::I32)
}

use crate::common;
use common::close::{assert_allclose, f64s};

#[track_caller]
fn assert_close(got: &Tensor, want: &[f64], rtol: f64, atol: f64, what: &str) {
    assert_allclose(&f64s(got), want, rtol, atol, what);
}

// ------------------------------------------------------------------ optax's numbers

#[test]
fn integer_label_cross_entropy_matches_optax() {
    let logits = g_f32("loss_logits");
    let labels = g_i32("loss_labels");
    let ce = losses::softmax_cross_entropy_with_integer_labels(&logits, &labels);
    assert_eq!(ce.shape(), &[4]);
    assert_close(&ce, &g("ce_int").vals, 2e-6, 1e-6, "ce_int");
    let gr = grad(|x: &Tensor| {
        losses::reduce(
            &losses::softmax_cross_entropy_with_integer_labels(x, &labels),
            Reduction::Mean,
            None,
        )
    })(&logits);
    assert_close(&gr, &g("ce_int_grad").vals, 1e-5, 1e-7, "ce_int_grad");
}

#[test]
fn soft_label_cross_entropy_matches_optax() {
    let logits = g_f32("loss_logits");
    let soft = g_f32("loss_soft");
    let ce = losses::softmax_cross_entropy(&logits, &soft);
    assert_close(&ce, &g("ce_soft").vals, 2e-6, 1e-6, "ce_soft");
    let gr = grad(|x: &Tensor| losses::softmax_cross_entropy(x, &soft).mean())(&logits);
    assert_close(&gr, &g("ce_soft_grad").vals, 1e-5, 1e-7, "ce_soft_grad");
}

#[test]
fn extreme_logits_match_optax_and_stay_finite() {
    // Rows: [1e30, -1e30, 0] label 1; [0, -inf, 1] label 2; [-1e30, 1e30, 1e30] label 0.
    let x = g_f32("extreme_logits");
    let y = g_i32("extreme_labels");
    let f = |x: &Tensor| losses::softmax_cross_entropy_with_integer_labels(x, &y);
    let v = f(&x);
    assert_close(&v, &g("ce_int_extreme").vals, 1e-6, 0.0, "ce_int_extreme");
    let gr = grad(|x: &Tensor| f(x).sum())(&x);
    assert_close(
        &gr,
        &g("ce_int_extreme_grad").vals,
        1e-6,
        1e-7,
        "ce_int_extreme_grad",
    );
    assert!(gr.to_vec::<f32>().iter().all(|v| v.is_finite()));
}

#[test]
fn sigmoid_binary_cross_entropy_matches_optax() {
    let x = g_f32("bce_logits");
    let z = g_f32("bce_labels");
    let l = losses::sigmoid_binary_cross_entropy(&x, &z);
    assert_close(&l, &g("bce").vals, 2e-6, 1e-6, "bce");
    let gr = grad(|x: &Tensor| losses::sigmoid_binary_cross_entropy(x, &z).sum())(&x);
    assert_close(&gr, &g("bce_grad").vals, 1e-5, 1e-7, "bce_grad");
}

#[test]
fn regression_losses_match_optax() {
    let p = g_f32("reg_pred");
    let t = g_f32("reg_target");
    assert_close(
        &losses::squared_error(&p, &t),
        &g("squared_error").vals,
        1e-6,
        0.0,
        "squared_error",
    );
    assert_close(
        &losses::l2_loss(&p, &t),
        &g("l2_loss").vals,
        1e-6,
        0.0,
        "l2",
    );
    assert_close(
        &losses::huber_loss(&p, &t, 1.0),
        &g("huber").vals,
        1e-6,
        0.0,
        "huber",
    );
    assert_close(
        &losses::huber_loss(&p, &t, 0.5),
        &g("huber_05").vals,
        1e-6,
        0.0,
        "huber_05",
    );
    let gr = grad(|p: &Tensor| losses::huber_loss(p, &t, 0.5).sum())(&p);
    assert_close(&gr, &g("huber_05_grad").vals, 1e-6, 1e-7, "huber grad");
}

// ------------------------------------------------------------------ plain-Rust references

fn logits_f64() -> (Tensor, Vec<f64>, usize, usize) {
    let (b, c) = (5usize, 4usize);
    let v: Vec<f64> = (0..b * c)
        .map(|i| ((i as f64) * 0.77).sin() * 3.0 + (i % 3) as f64)
        .collect();
    (Tensor::from_vec(v.clone(), &[b, c]), v, b, c)
}

fn ref_log_softmax(row: &[f64]) -> Vec<f64> {
    let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = row.iter().map(|x| (x - m).exp()).sum();
    row.iter().map(|x| x - m - s.ln()).collect()
}

#[test]
fn cross_entropies_match_plain_rust() {
    let (x, v, b, c) = logits_f64();
    let labels = vec![0i32, 3, 2, 1, 3];
    let soft: Vec<f64> = (0..b * c).map(|i| ((i * 7 % 5) as f64) / 10.0).collect();
    let ce_int = losses::softmax_cross_entropy_with_integer_labels(
        &x,
        &Tensor::from_vec(labels.clone(), &[b]),
    );
    let ce_soft = losses::softmax_cross_entropy(&x, &Tensor::from_vec(soft.clone(), &[b, c]));
    let (mut want_int, mut want_soft) = (vec![], vec![]);
    for r in 0..b {
        let lp = ref_log_softmax(&v[r * c..(r + 1) * c]);
        want_int.push(-lp[labels[r] as usize]);
        want_soft.push(-(0..c).map(|j| soft[r * c + j] * lp[j]).sum::<f64>());
    }
    assert_eq!(ce_int.dtype(), DType::F64);
    assert_close(&ce_int, &want_int, 1e-13, 1e-14, "ce_int");
    assert_close(&ce_soft, &want_soft, 1e-13, 1e-14, "ce_soft");
}

#[test]
fn integer_labels_wrap_once_and_out_of_range_is_nan() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[1, 3]);
    let ce = |l: i32| {
        losses::softmax_cross_entropy_with_integer_labels(&x, &Tensor::from_vec(vec![l], &[1]))
            .to_vec::<f32>()[0]
    };
    assert_eq!(ce(-1), ce(2));
    assert!(ce(3).is_nan() && ce(-4).is_nan());
    // Any integer dtype is accepted.
    let u =
        losses::softmax_cross_entropy_with_integer_labels(&x, &Tensor::from_vec(vec![2u32], &[1]));
    assert_eq!(u.to_vec::<f32>()[0], ce(2));
}

#[test]
fn elementwise_losses_match_plain_rust() {
    let p: Vec<f64> = vec![-3.0, -0.7, -0.1, 0.0, 0.2, 0.9, 2.5, 40.0];
    let t: Vec<f64> = vec![0.5, 0.0, 0.3, 1.0, 0.2, -1.0, 1.0, 0.0];
    let (pt, tt) = (
        Tensor::from_vec(p.clone(), &[8]),
        Tensor::from_vec(t.clone(), &[8]),
    );
    let d = 0.75;
    let huber: Vec<f64> = p
        .iter()
        .zip(&t)
        .map(|(p, t)| {
            let e = (p - t).abs();
            if e <= d {
                0.5 * e * e
            } else {
                0.5 * d * d + d * (e - d)
            }
        })
        .collect();
    let se: Vec<f64> = p.iter().zip(&t).map(|(p, t)| (p - t) * (p - t)).collect();
    let z: Vec<f64> = t.iter().map(|t| t.clamp(0.0, 1.0)).collect();
    let bce: Vec<f64> = p
        .iter()
        .zip(&z)
        .map(|(x, z)| {
            let s = 1.0 / (1.0 + (-x).exp());
            -(z * s.ln() + (1.0 - z) * (1.0 - s).ln())
        })
        .collect();
    assert_close(
        &losses::huber_loss(&pt, &tt, d),
        &huber,
        1e-15,
        0.0,
        "huber",
    );
    assert_close(&losses::squared_error(&pt, &tt), &se, 1e-15, 0.0, "se");
    let half: Vec<f64> = se.iter().map(|v| v * 0.5).collect();
    assert_close(&losses::l2_loss(&pt, &tt), &half, 1e-15, 0.0, "l2");
    let zt = Tensor::from_vec(z, &[8]);
    assert_close(
        &losses::sigmoid_binary_cross_entropy(&pt, &zt),
        &bce,
        1e-12,
        1e-15,
        "bce",
    );
}

#[test]
fn mse_is_the_mean_over_all_but_the_batch_axis() {
    let p = Tensor::from_vec((0..24).map(|i| i as f64 * 0.1).collect(), &[2, 3, 4]);
    let t = Tensor::zeros(&[2, 3, 4], DType::F64);
    let m = losses::mse(&p, &t).to_vec::<f64>();
    for (b, got) in m.iter().enumerate() {
        let want: f64 = (0..12)
            .map(|k| ((b * 12 + k) as f64 * 0.1).powi(2))
            .sum::<f64>()
            / 12.0;
        assert!((got - want).abs() < 1e-14, "{got} vs {want}");
    }
    let batch = losses::reduce(&losses::mse(&p, &t), Reduction::Mean, None).item::<f64>();
    let all = losses::squared_error(&p, &t).mean().item::<f64>();
    assert!((batch - all).abs() < 1e-14);
}

#[test]
fn reduce_with_masks_and_weights_matches_plain_rust() {
    let l = vec![0.5f64, 2.0, 7.0, 1.0, f64::INFINITY];
    let w = vec![1.0f64, 0.5, 2.0, 0.0, 0.0];
    let lt = Tensor::from_vec(l.clone(), &[5]);
    let wt = Tensor::from_vec(w.clone(), &[5]);
    let num: f64 = l[..4].iter().zip(&w).map(|(l, w)| l * w).sum();
    let den: f64 = w.iter().sum();
    assert_eq!(
        losses::reduce(&lt, Reduction::Sum, Some(&wt)).item::<f64>(),
        num
    );
    assert!(
        (losses::reduce(&lt, Reduction::Mean, Some(&wt)).item::<f64>() - num / den).abs() < 1e-15
    );
    let keep = Tensor::from_vec(vec![true, false, true, true, false], &[5]);
    assert_eq!(
        losses::reduce(&lt, Reduction::Mean, Some(&keep)).item::<f64>(),
        (0.5 + 7.0 + 1.0) / 3.0
    );
    assert_eq!(
        losses::reduce(&lt, Reduction::None, Some(&keep)).to_vec::<f64>(),
        vec![0.5, 0.0, 7.0, 1.0, 0.0]
    );
    // Everything masked: the mean is 0, not NaN.
    let none = Tensor::from_vec(vec![false; 5], &[5]);
    assert_eq!(
        losses::reduce(&lt, Reduction::Mean, Some(&none)).item::<f64>(),
        0.0
    );
    // A [B, 1] mask broadcasts over a [B, T] loss.
    let lbt = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    let mb = Tensor::from_vec(vec![true, false], &[2, 1]);
    assert_eq!(
        losses::reduce(&lbt, Reduction::Mean, Some(&mb)).item::<f32>(),
        1.5
    );
}

#[test]
fn masked_padding_rows_have_finite_gradients() {
    // Example 1 is padding with all logits -inf (loss inf), example 2 has an ignore label
    // (-100: loss NaN); both are masked out.
    let ninf = f32::NEG_INFINITY;
    let x = Tensor::from_vec(
        vec![1.0f32, 0.0, -1.0, ninf, ninf, ninf, 0.5, 0.5, 2.0],
        &[3, 3],
    );
    let y = Tensor::from_vec(vec![0, 0, -100], &[3]);
    let keep = Tensor::from_vec(vec![true, false, false], &[3]);
    let f = |x: &Tensor| {
        let l = losses::softmax_cross_entropy_with_integer_labels(x, &y);
        losses::reduce(&l, Reduction::Mean, Some(&keep))
    };
    assert!(f(&x).item::<f32>().is_finite());
    let gr = grad(f)(&x).to_vec::<f32>();
    assert!(gr.iter().all(|v| v.is_finite()), "{gr:?}");
    assert_eq!(&gr[3..], &[0.0; 6]);
    let l = losses::softmax_cross_entropy_with_integer_labels(&x, &y).to_vec::<f32>();
    assert!(l[1] == f32::INFINITY && l[2].is_nan(), "{l:?}");
}

#[test]
fn accuracy_counts_argmax_hits() {
    let logits = Tensor::from_vec(
        vec![
            0.1f32, 0.7, 0.2, 0.9, 0.05, 0.05, 0.3, 0.3, 0.4, 0.5, 0.5, 0.0,
        ],
        &[4, 3],
    );
    // argmax rows: 1, 0, 2, 0 (tie -> first).
    let labels = Tensor::from_vec(vec![1, 0, 1, 0], &[4]);
    assert_eq!(losses::accuracy(&logits, &labels).item::<f32>(), 0.75);
    let jitted = jit(|(l, y): &(Tensor, Tensor)| losses::accuracy(l, y));
    assert_eq!(jitted(&(logits, labels)).item::<f32>(), 0.75);
}

// ------------------------------------------------------------------ derivatives

#[test]
fn check_grads_of_every_loss() {
    let (x, _, b, c) = logits_f64();
    let labels = Tensor::from_vec(vec![0i32, 3, 2, 1, 3], &[b]);
    check_grads(
        |x: &Tensor| losses::softmax_cross_entropy_with_integer_labels(x, &labels),
        &x,
        2,
    );
    let soft = Tensor::from_vec(
        (0..b * c).map(|i| ((i * 7 % 5) as f64) / 10.0).collect(),
        &[b, c],
    );
    // Soft labels are differentiable too.
    check_grads(
        |(x, s): &(Tensor, Tensor)| losses::softmax_cross_entropy(x, s),
        &(x.clone(), soft),
        2,
    );
    let p = Tensor::from_vec(vec![-3.0f64, -0.7, -0.1, 0.4, 2.5, 9.0], &[6]);
    let t = Tensor::from_vec(vec![0.5f64, 0.0, 0.3, 1.0, 1.0, 0.0], &[6]);
    check_grads(
        |(p, t): &(Tensor, Tensor)| losses::sigmoid_binary_cross_entropy(p, t),
        &(p.clone(), t.clone()),
        2,
    );
    check_grads(|p: &Tensor| losses::huber_loss(p, &t, 1.0), &p, 2);
    check_grads(
        |(p, t): &(Tensor, Tensor)| losses::mse(p, t),
        &(p.reshape(&[2, 3]), t.reshape(&[2, 3])),
        2,
    );
    let w = Tensor::from_vec(vec![1.0f64, 0.5, 0.0, 2.0, 1.0, 0.25], &[6]);
    check_grads(
        |p: &Tensor| losses::reduce(&losses::l2_loss(p, &t), Reduction::Mean, Some(&w)),
        &p,
        2,
    );
}

#[test]
fn bce_gradient_at_zero_is_sigmoid_minus_label() {
    let z = Tensor::from_vec(vec![0.0f64, 1.0, 0.3], &[3]);
    let x = Tensor::zeros(&[3], DType::F64);
    let gr = grad(|x: &Tensor| losses::sigmoid_binary_cross_entropy(x, &z).sum())(&x);
    assert_eq!(gr.to_vec::<f64>(), vec![0.5, -0.5, 0.5 - 0.3]);
}

#[test]
fn huge_logits_give_finite_values_and_gradients() {
    let x = Tensor::from_vec(vec![1e30f32, -1e30, 3.0, -1e30, 1e30, -2.0], &[2, 3]);
    let y = Tensor::from_vec(vec![0, 2], &[2]);
    let onehot = jnp::one_hot(&y, 3);
    type Loss<'a> = Box<dyn Fn(&Tensor) -> Tensor + 'a>;
    let fs: Vec<(&str, Loss)> = vec![
        (
            "ce_int",
            Box::new(|x: &Tensor| losses::softmax_cross_entropy_with_integer_labels(x, &y).sum()),
        ),
        (
            "ce_soft",
            Box::new(|x: &Tensor| losses::softmax_cross_entropy(x, &onehot).sum()),
        ),
        (
            "bce",
            Box::new(|x: &Tensor| {
                losses::sigmoid_binary_cross_entropy(x, &Tensor::ones(&[2, 3], DType::F32)).sum()
            }),
        ),
    ];
    for (name, f) in &fs {
        let (v, gr) = value_and_grad(|x: &Tensor| f(x))(&x);
        assert!(v.item::<f32>().is_finite(), "{name}: {}", v.item::<f32>());
        let gv = gr.to_vec::<f32>();
        assert!(gv.iter().all(|g| g.is_finite()), "{name}: {gv:?}");
    }
    // Row 0's label has the top logit: loss 0, gradient 0 there.
    let ce = losses::softmax_cross_entropy_with_integer_labels(&x, &y).to_vec::<f32>();
    assert_eq!(ce[0], 0.0);
    assert_eq!(ce[1], 1e30 + 2.0);
}

#[test]
fn minus_inf_masked_classes_are_finite_for_both_cross_entropies() {
    let x = Tensor::from_vec(
        vec![0.5f32, f32::NEG_INFINITY, 1.0, f32::NEG_INFINITY, 2.0, -1.0],
        &[2, 3],
    );
    let y = Tensor::from_vec(vec![2, 1], &[2]);
    let onehot = jnp::one_hot(&y, 3);
    let soft = Tensor::from_vec(vec![0.3f32, 0.0, 0.7, 0.0, 0.5, 0.5], &[2, 3]);
    for labels in [&onehot, &soft] {
        let (v, gr) =
            value_and_grad(|(x, l): &(Tensor, Tensor)| losses::softmax_cross_entropy(x, l).sum())(
                &(x.clone(), labels.clone()),
            );
        assert!(v.item::<f32>().is_finite());
        for t in [&gr.0, &gr.1] {
            assert!(t.to_vec::<f32>().iter().all(|g| g.is_finite()), "{t:?}");
        }
    }
    let (v, gr) = value_and_grad(|x: &Tensor| {
        losses::softmax_cross_entropy_with_integer_labels(x, &y).sum()
    })(&x);
    let ce_soft = losses::softmax_cross_entropy(&x, &onehot).sum();
    assert!((v.item::<f32>() - ce_soft.item::<f32>()).abs() < 1e-6);
    assert!(gr.to_vec::<f32>().iter().all(|g| g.is_finite()));
    assert_eq!(gr.to_vec::<f32>()[1], 0.0);
}

// ------------------------------------------------------------------ transformations

#[test]
fn vmap_and_jit_agree_with_the_batched_call() {
    let x = g_f32("loss_logits");
    let y = g_i32("loss_labels");
    let soft = g_f32("loss_soft");
    let batched = losses::softmax_cross_entropy_with_integer_labels(&x, &y);
    // Per example: logits [C] and a scalar label, mapped over the batch.
    let per =
        vmap(|(x, y): &(Tensor, Tensor)| losses::softmax_cross_entropy_with_integer_labels(x, y))(
            &(x.clone(), y.clone()),
        );
    let jitted =
        jit(|(x, y): &(Tensor, Tensor)| losses::softmax_cross_entropy_with_integer_labels(x, y))(
            &(x.clone(), y.clone()),
        );
    let b = batched.to_vec::<f32>();
    for other in [per, jitted] {
        for (a, c) in b.iter().zip(other.to_vec::<f32>()) {
            assert!((a - c).abs() <= 1e-6 * a.abs().max(1.0), "{a} vs {c}");
        }
    }
    let soft_b = losses::softmax_cross_entropy(&x, &soft).to_vec::<f32>();
    let soft_v = vmap(|(x, s): &(Tensor, Tensor)| losses::softmax_cross_entropy(x, s))(&(
        x.clone(),
        soft.clone(),
    ))
    .to_vec::<f32>();
    for (a, c) in soft_b.iter().zip(&soft_v) {
        assert!((a - c).abs() <= 1e-6 * a.abs().max(1.0));
    }
    // grad of the jitted mean loss equals the eager gradient.
    let loss = |x: &Tensor| {
        losses::reduce(
            &losses::softmax_cross_entropy_with_integer_labels(x, &y),
            Reduction::Mean,
            None,
        )
    };
    let ge = grad(loss)(&x).to_vec::<f32>();
    let gj = jit(grad(loss))(&x).to_vec::<f32>();
    for (a, c) in ge.iter().zip(&gj) {
        assert!((a - c).abs() <= 1e-6, "{a} vs {c}");
    }
    let p = g_f32("reg_pred");
    let t = g_f32("reg_target");
    let h = losses::huber_loss(&p, &t, 0.5).to_vec::<f32>();
    let hv =
        vmap(|(p, t): &(Tensor, Tensor)| losses::huber_loss(p, t, 0.5))(&(p, t)).to_vec::<f32>();
    assert_eq!(h, hv);
}

// ------------------------------------------------------------------ misuse

#[test]
#[should_panic(
    expected = "losses::squared_error: predictions of shape [2] and targets of shape [3] differ"
)]
fn shape_mismatch_panics_naming_the_loss() {
    let _ = losses::squared_error(
        &Tensor::zeros(&[2], DType::F32),
        &Tensor::zeros(&[3], DType::F32),
    );
}

#[test]
#[should_panic(expected = "need labels of shape [4]")]
fn wrong_label_shape_panics() {
    let _ = losses::softmax_cross_entropy_with_integer_labels(
        &Tensor::zeros(&[4, 3], DType::F32),
        &Tensor::zeros(&[3], DType::I32),
    );
}

#[test]
#[should_panic(expected = "labels must be integers")]
fn float_integer_labels_panic() {
    let _ = losses::softmax_cross_entropy_with_integer_labels(
        &Tensor::zeros(&[4, 3], DType::F32),
        &Tensor::zeros(&[4], DType::F32),
    );
}
