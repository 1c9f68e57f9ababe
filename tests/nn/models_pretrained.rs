//! The pre-trained models shipped in `models/`: each loaded model's accuracy on the fixed test
//! split of the shipped 8x8 digits (`data/digits/`, the last 297 digits), recomputed here, is
//! the one its model card states (`models/digits_mlp.md`, `models/digits_cnn.md`: the count
//! of correct digits, parsed from the card).

use ferrax::data::{default_digits_dir, load_digits, DigitsLayout};
use ferrax::models::{digits_cnn, digits_mlp, lenet5_mnist};
use ferrax::nn::{Ctx, Module};
use ferrax::prelude::*;

/// The number after "correct on the test split: " in a model card ("N of 297").
fn card_correct(card: &str) -> (usize, usize) {
    let marker = "correct on the test split: ";
    let at = card
        .find(marker)
        .unwrap_or_else(|| panic!("no `{marker}` line in the card"))
        + marker.len();
    let words: Vec<&str> = card[at..].split_whitespace().take(3).collect();
    let num = |w: &str| -> usize {
        w.trim_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .unwrap_or_else(|e| panic!("`{w}` in the card: {e}"))
    };
    assert_eq!(words[1], "of", "{words:?}");
    (num(words[0]), num(words[2]))
}

/// Correct predictions of `logits` `[n, 10]` against `labels`, by a plain-Rust argmax.
fn correct(logits: &Tensor, labels: &Tensor) -> usize {
    let l = logits.to_vec::<f32>();
    let y = labels.to_vec::<i32>();
    assert_eq!(l.len(), y.len() * 10);
    l.chunks_exact(10)
        .zip(&y)
        .filter(|&(row, &y)| {
            let best = (0..10).fold(0, |b, i| if row[i] > row[b] { i } else { b });
            best as i32 == y
        })
        .count()
}

#[test]
fn digits_mlp_scores_its_cards_accuracy_on_the_test_split() {
    let d = load_digits(default_digits_dir(), DigitsLayout::Flat).unwrap();
    let net = digits_mlp();
    let n = correct(
        &net.forward(&d.test_images, &mut Ctx::eval()),
        &d.test_labels,
    );
    let (stated, of) = card_correct(include_str!("../../models/digits_mlp.md"));
    assert_eq!(of, 297);
    assert_eq!(
        n, stated,
        "the shipped MLP gets {n} of 297 right, the card says {stated}"
    );
    // JAX's run of the same recipe reaches 0.906-0.919 (data/digits/README.md).
    assert!(n as f64 / 297.0 > 0.88, "{n} of 297");
}

#[test]
fn digits_cnn_scores_its_cards_accuracy_on_the_test_split() {
    let d = load_digits(default_digits_dir(), DigitsLayout::Image).unwrap();
    let (net, state) = digits_cnn();
    // The statistics are trained ones, not a fresh layer's zeros and ones.
    let (mean, var) = net.bn1.running_stats(&state);
    assert!(mean.to_vec::<f32>().iter().any(|&m| m != 0.0));
    assert!(var.to_vec::<f32>().iter().any(|&v| v != 1.0));
    let logits = net.forward(&d.test_images, &mut Ctx::eval().with_state(state));
    let n = correct(&logits, &d.test_labels);
    let (stated, of) = card_correct(include_str!("../../models/digits_cnn.md"));
    assert_eq!(of, 297);
    assert_eq!(
        n, stated,
        "the shipped CNN gets {n} of 297 right, the card says {stated}"
    );
    assert!(n as f64 / 297.0 > 0.9, "{n} of 297");
}

#[test]
fn lenet5_mnist_is_trained_weights() {
    // MNIST is not in the repository, so no accuracy here: the weights are a trained
    // model's (not the initialisation of the loader's template) and give finite logits.
    let net = lenet5_mnist();
    let fresh = ferrax::models::LeNet5::new(&ferrax::random::key(0));
    assert_ne!(
        net.head.kernel.to_vec::<f32>(),
        fresh.head.kernel.to_vec::<f32>()
    );
    let logits = net.forward(
        &Tensor::zeros(&[1, 28, 28, 1], DType::F32),
        &mut Ctx::eval(),
    );
    assert!(logits.to_vec::<f32>().iter().all(|v| v.is_finite()));
}
