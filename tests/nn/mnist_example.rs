//! The MNIST example's training code (examples/mnist/train.rs, included as is) on a small
//! synthetic IDX data set written here: each class is a bright blob at its own place on a noisy
//! 28x28 image, so a model that learns reaches well above chance in two epochs. Checks the
//! accuracy, the files each epoch writes, and that `--resume` continues exactly: one epoch,
//! then a resumed second one, gives bitwise the parameters and metrics of two epochs run
//! without stopping (LeNet-5, and ResNet-20 on 8x8 images with its batch-norm state).

#[path = "../../examples/mnist/train.rs"]
#[allow(dead_code)]
mod mnist_train;

use mnist_train::{Config, ModelKind, Outcome};
use std::path::{Path, PathBuf};

/// A fresh directory under the system temp dir for this test.
fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ferrax-mnist-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn idx(code: u8, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, code, dims.len() as u8];
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(payload);
    b
}

/// `n` images of class `i % 10`, `side` x `side`: uniform noise in [0, 64) (a linear
/// congruential generator seeded by `seed`) plus a blob of 200 at the class's cell of a 2x5
/// grid (6x6 at the cells' places for 28x28 images, scaled down for smaller ones).
fn synthetic(n: usize, seed: u64, side: usize) -> (Vec<u8>, Vec<u8>) {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    let scale = |v: usize| v * side / 28;
    let blob = scale(6).max(1);
    let (mut images, mut labels) = (Vec::with_capacity(n * side * side), Vec::with_capacity(n));
    for _ in 0..n {
        // The classes in a scrambled order, so consecutive examples differ.
        let class = (next() % 10) as usize;
        let (r0, c0) = (scale(3 + (class / 5) * 13), scale(1 + (class % 5) * 5));
        for r in 0..side {
            for c in 0..side {
                let inside = (r0..r0 + blob).contains(&r) && (c0..c0 + blob).contains(&c);
                let noise = (next() % 64) as u8;
                images.push(if inside {
                    noise.saturating_add(200)
                } else {
                    noise
                });
            }
        }
        labels.push(class as u8);
    }
    (images, labels)
}

/// Writes the four MNIST files (train 256, test 64 examples of 28x28) into `dir`.
fn write_data(dir: &Path) {
    write_data_sized(dir, [256, 64], 28);
}

/// Writes the four MNIST files with `sizes` = [train, test] examples of `side` x `side`.
fn write_data_sized(dir: &Path, sizes: [u32; 2], side: u32) {
    for (prefix, n, seed) in [("train", sizes[0], 1u64), ("t10k", sizes[1], 2)] {
        let (images, labels) = synthetic(n as usize, seed, side as usize);
        std::fs::write(
            dir.join(format!("{prefix}-images-idx3-ubyte")),
            idx(0x08, &[n, side, side], &images),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{prefix}-labels-idx1-ubyte")),
            idx(0x08, &[n], &labels),
        )
        .unwrap();
    }
}

fn config(data: &Path, out: &Path, model: ModelKind, epochs: usize) -> Config {
    let mut cfg = Config::recipe(data, model);
    cfg.epochs = epochs;
    cfg.batch = 32;
    cfg.out = out.to_path_buf();
    cfg.verbose = false;
    cfg
}

fn run(cfg: &Config) -> Outcome {
    let mut calls = 0usize;
    let out = mnist_train::run(cfg, &mut |done, total, rate| {
        calls += 1;
        assert!((1..=total).contains(&done) && rate > 0.0);
    })
    .unwrap();
    assert!(calls > 0, "the progress callback was never called");
    out
}

#[test]
fn mnist_example_learns_the_synthetic_classes_in_two_epochs() {
    let dir = temp_dir("learn");
    write_data(&dir);
    let out = dir.join("out");
    let outcome = run(&config(&dir, &out, ModelKind::Mlp, 2));
    assert_eq!(outcome.history.len(), 2);
    let last = &outcome.history[1];
    // Chance is 0.1.
    assert!(last.test_acc >= 0.8, "test accuracy {}", last.test_acc);
    assert!(
        outcome.history[1].train_loss < outcome.history[0].train_loss,
        "{:?}",
        outcome.history
    );
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("epoch,train_loss,test_loss,test_acc"));
    assert!(
        lines[2].starts_with(&format!("2,{},", last.train_loss)),
        "{csv}"
    );
    let svg = std::fs::read_to_string(out.join("metrics.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.matches("<polyline").count() == 3);
    assert!(mnist_train::checkpoint_path(&out).is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mnist_example_resume_continues_bitwise() {
    let dir = temp_dir("resume");
    write_data(&dir);
    for model in [ModelKind::LeNet5] {
        let straight = run(&config(&dir, &dir.join("straight"), model, 2));
        let first = run(&config(&dir, &dir.join("resumed"), model, 1));
        assert_eq!(first.history.len(), 1);
        let mut cfg = config(&dir, &dir.join("resumed"), model, 2);
        cfg.resume = true;
        let resumed = run(&cfg);
        assert_eq!(resumed.resumed_from, 1, "{model:?}");
        assert_eq!(resumed.history.len(), 2);
        for (a, b) in straight.history.iter().zip(&resumed.history) {
            assert_eq!(
                (a.epoch, a.train_loss, a.test_loss, a.test_acc),
                (b.epoch, b.train_loss, b.test_loss, b.test_acc),
                "{model:?}: metrics"
            );
        }
        assert_eq!(straight.params.len(), resumed.params.len());
        for ((na, a), (nb, b)) in straight.params.iter().zip(&resumed.params) {
            assert_eq!(na, nb);
            assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>(), "{model:?}: {na}");
        }
        // The first epoch's parameters differ from the second's: the resume did train.
        assert_ne!(
            first.params[0].1.to_vec::<f32>(),
            resumed.params[0].1.to_vec::<f32>()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mnist_example_says_where_to_get_missing_files() {
    let dir = temp_dir("missing");
    let err = mnist_train::run(
        &config(&dir, &dir.join("out"), ModelKind::Mlp, 1),
        &mut |_, _, _| {},
    )
    .err()
    .unwrap();
    assert!(err.contains("train-images-idx3-ubyte"), "{err}");
    assert!(err.contains("nothing is downloaded"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mnist_example_resnet_trains_and_its_state_resumes_bitwise() {
    // ResNet-20 (batch norm: a layer state to checkpoint) on tiny 8x8 images, so the debug
    // build stays fast: 32 training images in 2 batches of 16, 16 test images.
    let dir = temp_dir("resnet");
    write_data_sized(&dir, [32, 16], 8);
    let cfg = |out: &str, epochs: usize, resume: bool| {
        let mut cfg = config(&dir, &dir.join(out), ModelKind::Resnet, epochs);
        cfg.batch = 16;
        cfg.resume = resume;
        cfg
    };
    let straight = run(&cfg("straight", 2, false));
    assert_eq!(straight.history.len(), 2);
    for m in &straight.history {
        assert!(m.train_loss.is_finite() && m.test_loss.is_finite(), "{m:?}");
    }
    // 21 batch norms (the stem's, two per block, one per projection), each [mean, var].
    assert_eq!(straight.state.len(), 21);
    assert!(straight.state.iter().all(|e| e.len() == 2));
    // Interrupted after one of two epochs (the cosine schedule spans both).
    let mut interrupted = cfg("resumed", 2, false);
    interrupted.stop_after = Some(1);
    let first = run(&interrupted);
    assert_eq!(first.history.len(), 1);
    // Training moved the running statistics away from a fresh layer's zeros and ones.
    assert!(first.state[0][0].to_vec::<f32>().iter().any(|&m| m != 0.0));
    let resumed = run(&cfg("resumed", 2, true));
    assert_eq!(resumed.resumed_from, 1);
    for (a, b) in straight.history.iter().zip(&resumed.history) {
        assert_eq!(
            (a.epoch, a.train_loss, a.test_loss, a.test_acc),
            (b.epoch, b.train_loss, b.test_loss, b.test_acc),
            "metrics"
        );
    }
    for ((na, a), (nb, b)) in straight.params.iter().zip(&resumed.params) {
        assert_eq!(na, nb);
        assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>(), "{na}");
    }
    for (i, (a, b)) in straight.state.iter().zip(&resumed.state).enumerate() {
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x.to_vec::<f32>(), y.to_vec::<f32>(), "state entry {i}");
        }
    }
    assert_ne!(
        first.state[5][1].to_vec::<f32>(),
        resumed.state[5][1].to_vec::<f32>(),
        "the resumed epoch updated the statistics"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
