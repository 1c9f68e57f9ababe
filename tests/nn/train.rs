//! `ferrax::train`: the training loop's bookkeeping (losses, example counts, metrics,
//! shuffled epochs) against hand-computed values, and safetensors checkpoints: round trips of
//! every dtype, the names on disk, mismatch reports, corrupted files, and atomic writes.

use crate::common;
use common::tempdir::TempDir;
use ferrax::data::Batches;
use ferrax::prelude::*;
use ferrax::random;
use ferrax::train::{
    load_params, params_from_bytes, params_to_bytes, save_params, CheckpointErrorKind,
    ParamMismatch, Trainer,
};
use std::collections::BTreeMap;
use std::path::Path;

fn temp_dir(tag: &str) -> TempDir {
    TempDir::new("ferrax-train", tag)
}

#[derive(PyTree, Clone, Debug)]
struct Linear {
    w: Tensor,
    b: Tensor,
}

#[derive(PyTree, Clone, Debug)]
struct Model {
    l1: Linear,
    l2: Linear,
    steps: Tensor,
    extra: BTreeMap<String, Tensor>,
    mask: Tensor,
}

fn model(seed: i64) -> Model {
    let k = random::split(&random::key(seed), 4);
    let lin = |i: usize, a: usize, b: usize| Linear {
        w: random::normal(&random::key_at(&k, i), &[a, b]),
        b: random::normal_with(&random::key_at(&k, i + 1), &[b], DType::F64),
    };
    Model {
        l1: lin(0, 3, 4),
        l2: lin(2, 4, 2),
        steps: Tensor::scalar(7u32),
        extra: BTreeMap::from([("count".to_string(), Tensor::from_vec(vec![-1i32, 5], &[2]))]),
        mask: Tensor::from_vec(vec![true, false, true], &[3]),
    }
}

fn assert_same(a: &Model, b: &Model) {
    let (la, lb) = (a.leaves(), b.leaves());
    assert_eq!(la.len(), lb.len());
    for (x, y) in la.iter().zip(&lb) {
        assert_eq!((x.dtype(), x.shape()), (y.dtype(), y.shape()));
        // Bit-exact: compare through f64 (exact for every dtype here).
        assert_eq!(x.to_vec::<f64>(), y.to_vec::<f64>());
    }
}

// ---------------------------------------------------------------- checkpoints

#[test]
fn round_trip_every_dtype() {
    let dir = temp_dir("roundtrip");
    let path = dir.0.join("model.safetensors");
    let m = model(0);
    save_params(&path, &m).unwrap();
    let back = load_params(&path, &model(1)).unwrap();
    assert_same(&m, &back);
    assert_eq!(dir.files(), ["model.safetensors"]);
    // Overwriting replaces the file atomically.
    let m2 = model(2);
    save_params(&path, &m2).unwrap();
    assert_same(&m2, &load_params(&path, &m).unwrap());
    assert_eq!(dir.files(), ["model.safetensors"]);
}

/// Reads the safetensors header by hand (u64 length, JSON) to check names and dtypes on disk.
#[test]
fn file_layout_names_are_key_paths() {
    let bytes = params_to_bytes(&model(0), "mem").unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    for (name, dtype, shape) in [
        (".l1.w", "F32", "[3,4]"),
        (".l1.b", "F64", "[4]"),
        (".l2.w", "F32", "[4,2]"),
        (".steps", "U32", "[]"),
        (".extra['count']", "I32", "[2]"),
        (".mask", "BOOL", "[3]"),
    ] {
        let entry = format!("\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape}");
        assert!(header.contains(&entry), "{entry} not in {header}");
    }
    assert!(header.contains("ferrax_treedef"), "{header}");
    // Data: 12 + 8 f32, 4 + 2 f64, 1 u32, 2 i32, 3 bools.
    assert_eq!(bytes.len() - 8 - n, 20 * 4 + 6 * 8 + 4 + 2 * 4 + 3);
    // Little-endian values: the u32 scalar 7 appears as 07 00 00 00 somewhere in the data.
    let m = model(0);
    let w = m.l1.w.to_vec::<f32>();
    let data = &bytes[8 + n..];
    let w_bytes: Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
    assert!(data.windows(w_bytes.len()).any(|s| s == w_bytes));
}

#[test]
fn mismatches_are_all_reported() {
    let bytes = params_to_bytes(&model(0), "mem").unwrap();
    let mut other = model(0);
    other.l1.w = Tensor::zeros(&[3, 5], DType::F32); // shape
    other.l2.b = Tensor::zeros(&[2], DType::F32); // dtype (f64 in the file)
    other.extra.remove("count"); // unexpected in the file
    other.extra.insert("new".into(), Tensor::scalar(1.0f32)); // missing from the file
    let err = params_from_bytes(&bytes, &other, "ckpt.safetensors").unwrap_err();
    let CheckpointErrorKind::Mismatch(ms) = &err.kind else {
        panic!("{err}")
    };
    assert_eq!(
        ms,
        &[
            ParamMismatch::Shape {
                name: ".l1.w".into(),
                expected: vec![3, 5],
                found: vec![3, 4]
            },
            ParamMismatch::Dtype {
                name: ".l2.b".into(),
                expected: DType::F32,
                found: "F64".into()
            },
            ParamMismatch::Missing {
                name: ".extra['new']".into()
            },
            ParamMismatch::Unexpected {
                name: ".extra['count']".into()
            },
        ]
    );
    let msg = err.to_string();
    assert!(
        msg.starts_with("ckpt.safetensors: parameters do not match"),
        "{msg}"
    );
    assert!(
        msg.contains("`.l1.w` has shape [3, 4], expected [3, 5]"),
        "{msg}"
    );
}

#[test]
fn corrupted_files_are_errors() {
    let dir = temp_dir("corrupt");
    let path = dir.0.join("p.safetensors");
    let m = model(0);
    save_params(&path, &m).unwrap();
    let good = std::fs::read(&path).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("truncated data", good[..good.len() - 1].to_vec()),
        ("truncated header", good[..20].to_vec()),
        ("trailing byte", [good.clone(), vec![0]].concat()),
        (
            "huge header length",
            [&u64::MAX.to_le_bytes()[..], &good[8..]].concat(),
        ),
        ("not json", {
            let mut b = good.clone();
            b[8] = b'#';
            b
        }),
    ];
    for (what, bytes) in cases {
        std::fs::write(&path, &bytes).unwrap();
        let err = load_params(&path, &m).unwrap_err();
        assert!(
            matches!(err.kind, CheckpointErrorKind::Corrupt { .. }),
            "{what}: {err}"
        );
        assert!(err.to_string().contains("p.safetensors"), "{what}: {err}");
    }
    let err = load_params(dir.0.join("absent.safetensors"), &m).unwrap_err();
    assert!(matches!(err.kind, CheckpointErrorKind::Io(_)), "{err}");
}

#[test]
fn failed_saves_leave_no_file() {
    let dir = temp_dir("atomic");
    // The target is a directory: the rename fails after the temporary file was written.
    let target = dir.0.join("taken");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), b"x").unwrap();
    let err = save_params(&target, &model(0)).unwrap_err();
    assert!(matches!(err.kind, CheckpointErrorKind::Io(_)), "{err}");
    assert_eq!(dir.files(), ["taken"]);
    // A missing directory: nothing can be created.
    let err = save_params(dir.0.join("no/such/dir/p.safetensors"), &model(0)).unwrap_err();
    assert!(matches!(err.kind, CheckpointErrorKind::Io(_)), "{err}");
    assert_eq!(dir.files(), ["taken"]);
    // Tracers cannot be saved: the error comes before any file is touched.
    let path = dir.0.join("traced.safetensors");
    let x = Tensor::ones(&[2], DType::F32);
    let _ = grad(|x: &Tensor| {
        let err = save_params(&path, x).unwrap_err();
        assert!(
            matches!(err.kind, CheckpointErrorKind::NotConcrete { .. }),
            "{err}"
        );
        x.sum()
    })(&x);
    assert_eq!(dir.files(), ["taken"]);
    // A failed overwrite keeps the old file intact.
    let good = dir.0.join("good.safetensors");
    save_params(&good, &model(0)).unwrap();
    let before = std::fs::read(&good).unwrap();
    let _ = grad(|x: &Tensor| {
        assert!(save_params(&good, x).is_err());
        x.sum()
    })(&x);
    assert_eq!(std::fs::read(&good).unwrap(), before);
    assert_eq!(dir.files(), ["good.safetensors", "taken"]);
}

#[test]
fn a_bare_tensor_round_trips() {
    let dir = temp_dir("bare");
    let p = dir.0.join("t.safetensors");
    let t = Tensor::from_vec(vec![1.0f32, -0.0, f32::INFINITY], &[3]);
    save_params(&p, &t).unwrap();
    let back = load_params(&p, &Tensor::zeros(&[3], DType::F32)).unwrap();
    let bits = |t: &Tensor| {
        t.to_vec::<f32>()
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    };
    assert_eq!(bits(&back), bits(&t));
    assert!(load_params(Path::new(&p), &Tensor::zeros(&[3], DType::F64)).is_err());
}

// ---------------------------------------------------------------- the loop

#[test]
fn fit_records_weighted_losses_and_metrics() {
    // Data 0..10; the step's "loss" is the batch mean, so the epoch loss (weighted by batch
    // size) is the mean of 0..10 = 4.5 whatever the order.
    let x = Tensor::arange(0.0, 10.0, 1.0, DType::F32);
    let batches = Batches::new(&x, 4).shuffle(&random::key(0));
    let mut seen_orders = Vec::new();
    let (state, h) = Trainer::new(3).progress(false).fit(
        Vec::<f32>::new(),
        &batches,
        |mut s, b: Tensor| {
            s.extend(b.to_vec::<f32>());
            let m = b.mean();
            (s, m)
        },
        |s, rec| {
            seen_orders.push(s[s.len() - 10..].to_vec());
            vec![
                ("total".into(), s.len() as f64),
                ("epoch".into(), rec.epoch as f64),
            ]
        },
    );
    assert_eq!(state.len(), 30);
    assert_eq!(h.epochs.len(), 3);
    for (e, r) in h.epochs.iter().enumerate() {
        assert!((r.loss - 4.5).abs() < 1e-12, "{r}");
        assert_eq!(r.examples, 10);
        assert!(r.train_seconds > 0.0);
        let order: Vec<f32> = batches.order(e).iter().map(|&i| i as f32).collect();
        assert_eq!(seen_orders[e], order);
    }
    assert_eq!(h.metric("total"), vec![10.0, 20.0, 30.0]);
    assert_eq!(h.metric("epoch"), vec![1.0, 2.0, 3.0]);
    assert!(h.train_seconds() > 0.0);
    let line = h.last().unwrap().to_string();
    assert!(
        line.starts_with("epoch   3  loss 4.5000  total 30.0000"),
        "{line}"
    );
}

#[test]
fn fit_trains_a_jitted_linear_model() {
    // Least squares y = X w* with known w*: gradient descent must find w*.
    let k = random::split(&random::key(3), 2);
    let xs = random::normal(&random::key_at(&k, 0), &[256, 3]);
    let w_true = Tensor::from_vec(vec![1.5f32, -2.0, 0.5], &[3, 1]);
    let ys = xs.matmul(&w_true);
    let batches = Batches::new(&(xs, ys), 32).shuffle(&random::key_at(&k, 1));
    let step = jit(|(w, (x, y)): &(Tensor, (Tensor, Tensor))| {
        let (loss, g) = value_and_grad(|w: &Tensor| (x.matmul(w) - y).powi(2).mean())(w);
        (w - g * 0.2, loss)
    });
    let (w, h) = Trainer::new(30).progress(false).fit(
        Tensor::zeros(&[3, 1], DType::F32),
        &batches,
        |w, b| step(&(w, b)),
        |_, _| vec![],
    );
    for (a, b) in w.to_vec::<f32>().iter().zip([1.5, -2.0, 0.5]) {
        assert!((a - b).abs() < 1e-3, "{a} vs {b}");
    }
    let losses = h.metric("loss");
    assert!(losses[0] > 1.0 && losses[29] < 1e-6, "{losses:?}");
}

#[test]
#[should_panic(expected = "one-element loss")]
fn fit_rejects_a_non_scalar_loss() {
    let b = Batches::new(&Tensor::ones(&[4, 2], DType::F32), 2);
    let _ = Trainer::new(1)
        .progress(false)
        .fit((), &b, |s, x: Tensor| (s, x), |_, _| vec![]);
}

#[test]
fn fit_stops_with_a_clear_message_when_the_loss_becomes_nan() {
    // 8 examples in batches of 2: 4 steps per epoch; the 6th step (epoch 2, step 2) is NaN.
    let b = Batches::new(&Tensor::ones(&[8], DType::F32), 2);
    let mut calls = 0;
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Trainer::new(5).progress(false).fit(
            0usize,
            &b,
            |n, x: Tensor| {
                calls += 1;
                let loss = if n + 1 == 6 { f32::NAN } else { 1.0 };
                (n + 1, x.sum() * loss)
            },
            |_, _| vec![],
        )
    }));
    let err = run.expect_err("a NaN loss must stop training");
    let msg = err.downcast_ref::<String>().expect("a formatted message");
    for part in [
        "the loss became NaN at epoch 2, step 2 (step 6 overall)",
        "lower learning rate",
        "FERRAX_DEBUG_NANS=1",
        "The last full epoch (1) had mean loss 2.000000",
    ] {
        assert!(msg.contains(part), "missing {part:?} in: {msg}");
    }
    assert_eq!(calls, 6, "no step runs after the NaN one");
}

#[test]
fn try_fit_reports_the_first_diverged_step_of_a_too_large_learning_rate() {
    // Gradient descent on least squares with a step far above 2 / (largest curvature): the
    // loss grows geometrically until it overflows. The step closure records every loss, so
    // the reported step must be the first non-finite one.
    let k = random::split(&random::key(5), 2);
    let xs = random::normal(&random::key_at(&k, 0), &[64, 3]);
    let ys = xs.matmul(&Tensor::from_vec(vec![1.0f32, -1.0, 2.0], &[3, 1]));
    let batches = Batches::new(&(xs, ys), 16);
    let step = jit(|(w, (x, y)): &(Tensor, (Tensor, Tensor))| {
        let (loss, g) = value_and_grad(|w: &Tensor| (x.matmul(w) - y).powi(2).mean())(w);
        (w - g * 50.0, loss)
    });
    let mut seen = Vec::new();
    let err = Trainer::new(1000)
        .progress(false)
        .try_fit(
            Tensor::zeros(&[3, 1], DType::F32),
            &batches,
            |w, b| {
                let (w, loss) = step(&(w, b));
                seen.push(loss.item::<f64>());
                (w, loss)
            },
            |_, _| vec![],
        )
        .expect_err("lr 50 diverges");
    let first_bad = seen.iter().position(|l| !l.is_finite()).expect("diverged") + 1;
    assert_eq!(
        seen.len(),
        first_bad,
        "training stopped at the first bad step"
    );
    assert_eq!(err.global_step, first_bad);
    assert_eq!((err.epoch - 1) * 4 + err.step, first_bad);
    assert!(!err.loss.is_finite());
    assert_eq!(err.history.epochs.len(), err.epoch - 1);
    let epoch_losses = err.history.metric("loss");
    assert!(
        epoch_losses.windows(2).all(|w| w[1] > w[0]),
        "diverging: {epoch_losses:?}"
    );
    assert!(err
        .to_string()
        .contains(&format!("at epoch {}, step {}", err.epoch, err.step)));
}
