//! Transfer learning: the MNIST-trained LeNet-5 (`models::lenet5_mnist()`, shipped weights)
//! fine-tuned on the UCI 8x8 digits, upsampled to MNIST's 28x28 layout (each pixel repeated
//! 3x3 to 24x24, padded by 2, as MNIST centres its digits). The convolutions and dense
//! layers are frozen (`optim::multi_transform` with labels by key path: `.head.*` trains with
//! Adam, everything else gets zero updates) and the head is replaced by a fresh one; only the
//! head's 850 parameters learn. Prints the test accuracy of the MNIST model as it is, of the
//! new head before training (chance), and after.
//!
//! ```text
//! cargo run --release --example transfer                 # head only, 10 epochs
//! options: --epochs N  --all (fine-tune every layer instead)  --seed N
//! ```

use ferrax::data::{self, DigitsLayout};
use ferrax::models::{self, LeNet5};
use ferrax::nn::{Ctx, Module};
use ferrax::optim::{self, GradientTransformation, Labels};
use ferrax::prelude::*;
use ferrax::{losses, random};

/// 8x8 digits `[n, 8, 8, 1]` in `[0, 1]` as 28x28 images: nearest-neighbour upsampling by 3
/// to 24x24, then 2 pixels of zero padding on every side.
fn to_mnist_layout(x: &Tensor) -> Tensor {
    let n = x.shape()[0];
    let up = ferrax::numpy::repeat(&ferrax::numpy::repeat(x, 3, Some(1)), 3, Some(2));
    let padded = ferrax::numpy::pad(&up, &[(0, 0), (2, 2), (2, 2), (0, 0)]);
    assert_eq!(padded.shape(), &[n, 28, 28, 1]);
    padded
}

fn accuracy(net: &LeNet5, x: &Tensor, y: &Tensor) -> f64 {
    losses::accuracy(&net.forward(x, &mut Ctx::eval()), y).item::<f64>()
}

fn main() {
    let mut epochs = 10usize;
    let mut all = false;
    let mut seed = 0i64;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--epochs" => epochs = it.next().and_then(|v| v.parse().ok()).unwrap_or(epochs),
            "--seed" => seed = it.next().and_then(|v| v.parse().ok()).unwrap_or(seed),
            "--all" => all = true,
            f => {
                eprintln!("transfer: unknown option `{f}`\nusage: transfer [--epochs N] [--all] [--seed N]");
                std::process::exit(2)
            }
        }
    }
    let digits =
        data::load_digits(data::default_digits_dir(), DigitsLayout::Image).unwrap_or_else(|e| {
            eprintln!("transfer: {e}");
            std::process::exit(1)
        });
    let (xtr, ytr) = (
        to_mnist_layout(&digits.train_images),
        digits.train_labels.clone(),
    );
    let (xte, yte) = (
        to_mnist_layout(&digits.test_images),
        digits.test_labels.clone(),
    );

    let pretrained = models::lenet5_mnist();
    println!(
        "MNIST LeNet-5 as it is, on the upsampled 8x8 digits: test accuracy {:.3}",
        accuracy(&pretrained, &xte, &yte)
    );
    let [head_key, data_key] = random::split_n(&random::key(seed));
    let net = pretrained.clone().replace_head(&head_key, 10);
    println!(
        "with a fresh head: test accuracy {:.3}",
        accuracy(&net, &xte, &yte)
    );

    let opt = optim::multi_transform(
        (("train", optim::adam(1e-3)), ("frozen", optim::scale(0.0))),
        Labels::new(move |path, _| {
            if all || path.to_string().starts_with(".head") {
                "train"
            } else {
                "frozen"
            }
        }),
    );
    let state = opt.init(&net);
    let batches = data::Batches::new(&(xtr, ytr), 32).shuffle(&data_key);
    let step =
        ferrax::train::jit_step(move |((p, s), (x, y)): &((LeNet5, _), (Tensor, Tensor))| {
            let loss = |p: &LeNet5| {
                losses::softmax_cross_entropy_with_integer_labels(
                    &p.forward(x, &mut Ctx::eval()),
                    y,
                )
                .mean()
            };
            let (l, g) = value_and_grad(loss)(p);
            let (u, s) = opt.update(&g, s, p);
            ((optim::apply_updates(p, &u), s), l)
        });
    let trainer = ferrax::train::Trainer::new(epochs).log_epochs(true);
    let ((tuned, _), history) = trainer.fit((net, state), &batches, step, |(p, _), _| {
        vec![("test_acc".into(), accuracy(p, &xte, &yte))]
    });
    let frozen_same = tuned.conv1.kernel.to_vec::<f32>() == pretrained.conv1.kernel.to_vec::<f32>();
    println!(
        "after {epochs} epochs ({}): test accuracy {:.3}; conv1 unchanged: {frozen_same}; {:.1} s",
        if all { "every layer" } else { "head only" },
        accuracy(&tuned, &xte, &yte),
        history.train_seconds()
    );
}
