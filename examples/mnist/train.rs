//! The MNIST example's training code (the command line is in `main.rs`; the CI test
//! `tests/nn/mnist_example.rs` includes this file with `#[path]` and runs it on a synthetic
//! IDX data set).
//!
//! One training loop for every model: Adam (with a constant learning rate or optax's cosine
//! decay to 0 over the run), softmax cross-entropy, shuffled batches whose order for epoch
//! `e` is `permutation(fold_in(data_key, e))`, one jitted step per batch (loss, gradient,
//! update, with the state's buffers donated), and after every epoch an evaluation on the test
//! set, a checkpoint (safetensors, written atomically: parameters, optimizer state, layer
//! state, the epoch, both keys and the metrics so far) and the metrics as CSV and SVG.
//! `--resume` loads the checkpoint and continues with epoch `epoch + 1`: the same batches in
//! the same order, the same step keys and the same point of the schedule (its step count is in
//! the optimizer state), so the result is bitwise the one of an uninterrupted run.

use ferrax::data::{mnist, Batches};
use ferrax::models::{LeNet5, Mlp, ResNet, Stem};
use ferrax::nn::{self, Ctx, Module};
use ferrax::optim::{self, GradientTransformation};
use ferrax::prelude::*;
use ferrax::{losses, random, train};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Which model to train.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// 784-512-512-10 with ReLU (`models::Mlp::mnist`).
    Mlp,
    /// conv 3x3 32 - avg pool - conv 3x3 64 - avg pool - dense 256 - dense 10 (flax's MNIST
    /// example's CNN).
    Cnn,
    /// `models::LeNet5`.
    LeNet5,
    /// ResNet-20 (`models::ResNet`, the CIFAR layout of `models::resnet20`: a 3x3 stem, 3
    /// stages of 3 basic blocks with 16, 32 and 64 channels, batch norm) on 1-channel images.
    Resnet,
}

impl ModelKind {
    /// The model named on the command line.
    pub fn parse(name: &str) -> Result<ModelKind, String> {
        match name {
            "mlp" => Ok(ModelKind::Mlp),
            "cnn" => Ok(ModelKind::Cnn),
            "lenet5" => Ok(ModelKind::LeNet5),
            "resnet" => Ok(ModelKind::Resnet),
            m => Err(format!("unknown model `{m}` (mlp, cnn, lenet5 or resnet)")),
        }
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Mlp => "mlp",
            ModelKind::Cnn => "cnn",
            ModelKind::LeNet5 => "lenet5",
            ModelKind::Resnet => "resnet",
        }
    }
}

/// How the learning rate moves over a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LrSchedule {
    /// The same learning rate at every step.
    Constant,
    /// optax's `cosine_decay_schedule(lr, epochs * batches_per_epoch)`: from `lr` at the first
    /// step down to 0 at the last.
    Cosine,
}

impl LrSchedule {
    /// The schedule named on the command line.
    pub fn parse(name: &str) -> Result<LrSchedule, String> {
        match name {
            "constant" => Ok(LrSchedule::Constant),
            "cosine" => Ok(LrSchedule::Cosine),
            s => Err(format!("unknown schedule `{s}` (constant or cosine)")),
        }
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            LrSchedule::Constant => "constant",
            LrSchedule::Cosine => "cosine",
        }
    }
}

/// ResNet-20's layout for `[N, H, W, 1]` images and 10 classes.
pub fn resnet20_gray(key: &Tensor) -> ResNet {
    ResNet::new(key, Stem::Cifar, &[16, 32, 64], &[3, 3, 3], 1, 10)
}

/// The CNN of the recipe: two SAME 3x3 convolutions (32 and 64 channels) with ReLU, each
/// followed by a 2x2 average pool, then dense 3136-256 (ReLU) and 256-10.
#[derive(PyTree, Clone)]
pub struct Cnn {
    pub c1: nn::Conv2d,
    pub c2: nn::Conv2d,
    pub d1: nn::Linear,
    pub d2: nn::Linear,
}

impl Cnn {
    pub fn new(key: &Tensor) -> Cnn {
        let [k1, k2, k3, k4] = random::split_n(key);
        Cnn {
            c1: nn::Conv2d::new(&k1, 1, 32, [3, 3]),
            c2: nn::Conv2d::new(&k2, 32, 64, [3, 3]),
            d1: nn::Linear::new(&k3, 7 * 7 * 64, 256),
            d2: nn::Linear::new(&k4, 256, 10),
        }
    }
}

impl Module for Cnn {
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let h = nn::avg_pool2d(&self.c1.forward(x, cx).relu(), &[2, 2], &[2, 2]);
        let h = nn::avg_pool2d(&self.c2.forward(&h, cx).relu(), &[2, 2], &[2, 2]);
        let h = h.reshape(&[h.shape()[0] as isize, -1]);
        self.d2.forward(&self.d1.forward(&h, cx).relu(), cx)
    }
}

/// Everything a run needs.
#[derive(Clone, Debug)]
pub struct Config {
    /// The directory holding the four IDX files (gzip'd or not).
    pub data: PathBuf,
    pub model: ModelKind,
    pub epochs: usize,
    pub batch: usize,
    /// Adam's learning rate (the peak of the cosine schedule).
    pub learning_rate: f64,
    pub schedule: LrSchedule,
    pub seed: i64,
    /// Continue from `out/checkpoint.safetensors` if it exists (with the same `epochs`: the
    /// cosine schedule's length is `epochs` times the batches per epoch).
    pub resume: bool,
    /// Stop after this many epochs in this run, as if interrupted (for tests of `resume`).
    pub stop_after: Option<usize>,
    /// Where the checkpoint, `metrics.csv` and `metrics.svg` go (created if missing).
    pub out: PathBuf,
    /// Print one line per epoch.
    pub verbose: bool,
    /// Also save the final parameters alone (safetensors by key path, as `models::LeNet5`
    /// and `Mlp` load them) to this file; for a model with layer state (the ResNet) the
    /// pair `(params, state)` (`[0]...`, then `[1][i]` the state entries in build order).
    pub save_params: Option<PathBuf>,
}

impl Config {
    /// The recipe's defaults for `model`: Adam 1e-3, batch 128; the MLP, the CNN and the
    /// ResNet with the learning rate decayed to 0 by a cosine over 5 epochs (the MLP misses
    /// 0.98 and the CNN 0.99 with a constant 1e-3: 0.9793 after 5 epochs, JAX 0.987 after
    /// 3); LeNet-5 with a constant learning rate for 3 epochs (the recipe of the shipped
    /// `models::lenet5_mnist()`).
    pub fn recipe(data: impl Into<PathBuf>, model: ModelKind) -> Config {
        let (epochs, schedule) = match model {
            ModelKind::LeNet5 => (3, LrSchedule::Constant),
            ModelKind::Mlp | ModelKind::Cnn | ModelKind::Resnet => (5, LrSchedule::Cosine),
        };
        Config {
            data: data.into(),
            model,
            epochs,
            batch: 128,
            learning_rate: 1e-3,
            schedule,
            seed: 0,
            resume: false,
            stop_after: None,
            out: PathBuf::from("mnist-out"),
            verbose: true,
            save_params: None,
        }
    }
}

/// One epoch's numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochMetrics {
    /// 1-based.
    pub epoch: usize,
    /// Mean training loss over the epoch's examples.
    pub train_loss: f64,
    pub test_loss: f64,
    pub test_acc: f64,
    /// Seconds in the training steps of this epoch (not evaluation).
    pub train_seconds: f64,
    /// Training examples per second in the steps.
    pub examples_per_second: f64,
}

/// What a run produced.
pub struct Outcome {
    /// Every epoch's metrics, the resumed ones included.
    pub history: Vec<EpochMetrics>,
    /// The final parameters as (key path, tensor) pairs.
    pub params: Vec<(String, Tensor)>,
    /// The final layer state (batch-norm statistics) in the checkpoint's order.
    pub state: Vec<Vec<Tensor>>,
    /// The epoch the run started from (0 unless resumed).
    pub resumed_from: usize,
}

/// Reports batches as they are done (`done`, `total`, examples/s so far this epoch), for a
/// progress bar.
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize, f64);

/// Loads the data named by `cfg` and trains the model it names.
pub fn run(cfg: &Config, progress: Progress) -> Result<Outcome, String> {
    let data = mnist::load(&cfg.data).map_err(|e| e.to_string())?;
    let [init_key, data_key, step_key] = random::split_n(&random::key(cfg.seed));
    let keys = Keys {
        data: data_key,
        step: step_key,
    };
    match cfg.model {
        ModelKind::Mlp => fit(Mlp::mnist(&init_key), &data, keys, cfg, progress),
        ModelKind::Cnn => fit(Cnn::new(&init_key), &data, keys, cfg, progress),
        ModelKind::LeNet5 => fit(LeNet5::new(&init_key), &data, keys, cfg, progress),
        ModelKind::Resnet => fit(resnet20_gray(&init_key), &data, keys, cfg, progress),
    }
}

/// The two keys of a run: the data order's and the per-step key stream's (dropout).
#[derive(PyTree, Clone)]
pub struct Keys {
    pub data: Tensor,
    pub step: Tensor,
}

/// What the checkpoint holds, by key path: `.params...`, `.opt...`, `.state[i][j]`,
/// `.epoch` (i32, the epochs done), `.keys.data`, `.keys.step`, `.metrics` (f64
/// `[epochs, 6]`, the rows of `metrics.csv`).
#[derive(PyTree, Clone)]
pub struct Checkpoint<M: PyTree + Clone, S: PyTree + Clone> {
    pub params: M,
    pub opt: S,
    /// The layer state's entries (batch-norm statistics) in the order the layers were built
    /// (see [`state_order`]): an `nn::State` is keyed by process-unique layer numbers, which
    /// another run (or another model built first in the same process) numbers differently.
    pub state: Vec<Vec<Tensor>>,
    pub epoch: Tensor,
    pub keys: Keys,
    pub metrics: Tensor,
}

/// The checkpoint file of a run.
pub fn checkpoint_path(out: &Path) -> PathBuf {
    out.join("checkpoint.safetensors")
}

/// What the training step carries from batch to batch: parameters, layer state, Adam state.
type Carry<M> = (M, nn::State, optim::AdamState<M>);

/// A step's input: the batch (images, labels) and the step's key.
type StepInput = ((Tensor, Tensor), Tensor);

fn mean_ce(logits: &Tensor, labels: &Tensor) -> Tensor {
    losses::softmax_cross_entropy_with_integer_labels(logits, labels).mean()
}

/// Trains `model` on `data` as `cfg` says, from scratch or from the checkpoint.
pub fn fit<M>(
    model: M,
    data: &mnist::Mnist,
    keys: Keys,
    cfg: &Config,
    progress: Progress,
) -> Result<Outcome, String>
where
    M: Module + PyTree + Clone + 'static,
{
    let steps_per_epoch = data.train_labels.shape()[0].div_ceil(cfg.batch);
    let opt = match cfg.schedule {
        LrSchedule::Constant => optim::adam(cfg.learning_rate),
        LrSchedule::Cosine => {
            let total = (cfg.epochs * steps_per_epoch).max(1);
            let total = i32::try_from(total).map_err(|_| format!("{total} steps is too many"))?;
            optim::adam(optim::cosine_decay_schedule(
                cfg.learning_rate,
                total,
                0.0,
                1.0,
            ))
        }
    };
    let stats = nn::init_state(&model, &data.test_images.index(ferrax::idx![..1]));
    let order = state_order(&stats);
    let fresh = Checkpoint {
        opt: opt.init(&model),
        params: model,
        state: state_to_vec(&order, &stats),
        epoch: Tensor::scalar(0i32),
        keys,
        metrics: Tensor::zeros(&[0, 6], DType::F64),
    };
    std::fs::create_dir_all(&cfg.out)
        .map_err(|e| format!("cannot create {}: {e}", cfg.out.display()))?;
    let ckpt_path = checkpoint_path(&cfg.out);
    let mut ck = if cfg.resume && ckpt_path.is_file() {
        // The template is the fresh run's tree (its metrics row count is not known yet, so
        // the metrics are read first from the file by name).
        let metrics_rows = read_metric_rows(&ckpt_path)?;
        let template = Checkpoint {
            metrics: Tensor::zeros(&[metrics_rows, 6], DType::F64),
            ..fresh
        };
        train::load_params(&ckpt_path, &template).map_err(|e| e.to_string())?
    } else {
        if cfg.resume && cfg.verbose {
            println!("no checkpoint at {}: starting afresh", ckpt_path.display());
        }
        fresh
    };
    let resumed_from = ck.epoch.item::<i32>() as usize;
    if cfg.verbose && resumed_from > 0 {
        println!(
            "resuming after epoch {resumed_from} from {}",
            ckpt_path.display()
        );
    }
    let mut history = metrics_from_tensor(&ck.metrics);

    let batches = Batches::new(
        &(data.train_images.clone(), data.train_labels.clone()),
        cfg.batch,
    )
    .shuffle(&ck.keys.data);
    let mut step = train::jit_step(move |((p, st, s), ((x, y), k)): &(Carry<M>, StepInput)| {
        let loss_fn = |p: &M| {
            let mut cx = Ctx::train(k).with_state(st.clone());
            let logits = p.forward(x, &mut cx);
            (mean_ce(&logits, y), cx.into_state())
        };
        let ((loss, new_st), g) = value_and_grad_with_aux(loss_fn)(p);
        let (updates, s) = opt.update(&g, s, p);
        ((optim::apply_updates(p, &updates), new_st, s), loss)
    });
    let evaluate = jit(|(p, st, x, y): &(M, nn::State, Tensor, Tensor)| {
        let logits = p.forward(x, &mut Ctx::eval().with_state(st.clone()));
        let n = x.shape()[0] as f64;
        (mean_ce(&logits, y) * n, losses::accuracy(&logits, y) * n)
    });

    let total = batches.num_batches();
    let stop = cfg
        .stop_after
        .map_or(cfg.epochs, |n| (resumed_from + n).min(cfg.epochs));
    for e in resumed_from..stop {
        let Checkpoint {
            params,
            opt: opt_state,
            state,
            keys,
            ..
        } = ck;
        let mut carry = (params, state_from_vec(&order, state), opt_state);
        let epoch_key = random::fold_in(&keys.step, e as u32);
        let (mut loss_sum, mut seen, mut secs) = (0.0f64, 0usize, 0.0f64);
        for (i, (x, y)) in batches.epoch(e).enumerate() {
            let n = y.shape()[0];
            let k = random::fold_in(&epoch_key, i as u32);
            let t0 = Instant::now();
            let (next, loss) = step(carry, ((x, y), k));
            let loss = loss.item::<f64>();
            secs += t0.elapsed().as_secs_f64();
            if !loss.is_finite() {
                return Err(format!(
                    "the loss became {loss} at epoch {}, step {}",
                    e + 1,
                    i + 1
                ));
            }
            carry = next;
            loss_sum += loss * n as f64;
            seen += n;
            progress(i + 1, total, seen as f64 / secs.max(1e-12));
        }
        let (params, state, opt_state) = carry;
        let (test_loss, test_acc) = test_metrics(&evaluate, &params, &state, data);
        let m = EpochMetrics {
            epoch: e + 1,
            train_loss: loss_sum / seen.max(1) as f64,
            test_loss,
            test_acc,
            train_seconds: secs,
            examples_per_second: seen as f64 / secs.max(1e-12),
        };
        if cfg.verbose {
            println!(
                "epoch {:>3}  train loss {:.4}  test loss {:.4}  test acc {:.4}  {:.1} s  {:.0} examples/s",
                m.epoch, m.train_loss, m.test_loss, m.test_acc, m.train_seconds, m.examples_per_second
            );
        }
        history.push(m);
        ck = Checkpoint {
            params,
            opt: opt_state,
            state: state_to_vec(&order, &state),
            epoch: Tensor::scalar((e + 1) as i32),
            keys,
            metrics: metrics_to_tensor(&history),
        };
        train::save_params(&ckpt_path, &ck).map_err(|e| e.to_string())?;
        write_csv(&cfg.out.join("metrics.csv"), &history)?;
        write_svg(&cfg.out.join("metrics.svg"), &history, cfg.model.name())?;
    }
    if let Some(path) = &cfg.save_params {
        let saved = if ck.state.is_empty() {
            train::save_params(path, &ck.params)
        } else {
            train::save_params(path, &(ck.params.clone(), ck.state.clone()))
        };
        saved.map_err(|e| e.to_string())?;
    }
    let params = ck
        .params
        .flatten_with_path()
        .into_iter()
        .map(|(k, t)| (k.to_string(), t))
        .collect();
    Ok(Outcome {
        history,
        params,
        state: ck.state,
        resumed_from,
    })
}

/// The keys of `state` in the order their layers were built: a layer's `nn::StateIndex` is
/// `kind_N` with `N` from a process-wide counter, so within one model the numbers rise in
/// build order, whatever they start from.
pub fn state_order(state: &nn::State) -> Vec<String> {
    let mut keys: Vec<String> = state.keys().cloned().collect();
    keys.sort_by_key(|k| {
        let n = k.rsplit('_').next().and_then(|n| n.parse::<u64>().ok());
        (n, k.clone())
    });
    keys
}

fn state_to_vec(order: &[String], state: &nn::State) -> Vec<Vec<Tensor>> {
    order.iter().map(|k| state[k].clone()).collect()
}

fn state_from_vec(order: &[String], entries: Vec<Vec<Tensor>>) -> nn::State {
    order.iter().cloned().zip(entries).collect()
}

type Evaluate<'a, M> = dyn Fn(&(M, nn::State, Tensor, Tensor)) -> (Tensor, Tensor) + 'a;

/// Test loss and accuracy, over chunks of 1000 examples (each chunk's sums in f32, then
/// added in f64).
fn test_metrics<M: Clone>(
    evaluate: &Evaluate<'_, M>,
    params: &M,
    state: &nn::State,
    data: &mnist::Mnist,
) -> (f64, f64) {
    let n = data.test_labels.shape()[0];
    let (mut loss, mut correct) = (0.0f64, 0.0f64);
    let mut start = 0;
    while start < n {
        let stop = (start + 1000).min(n);
        let x = data.test_images.index(ferrax::idx![start..stop]);
        let y = data.test_labels.index(ferrax::idx![start..stop]);
        let (l, c) = evaluate(&(params.clone(), state.clone(), x, y));
        loss += l.item::<f64>();
        correct += c.item::<f64>();
        start = stop;
    }
    (loss / n as f64, correct / n as f64)
}

/// The number of metric rows in a checkpoint, read from its safetensors header.
fn read_metric_rows(path: &Path) -> Result<usize, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bad = || format!("{}: not a checkpoint of this example", path.display());
    let len = u64::from_le_bytes(bytes.get(..8).ok_or_else(bad)?.try_into().unwrap()) as usize;
    let header = std::str::from_utf8(bytes.get(8..8 + len).ok_or_else(bad)?).map_err(|_| bad())?;
    // `".metrics":{"dtype":"F64","shape":[R,6],...}`
    let at = header.find("\".metrics\"").ok_or_else(bad)?;
    let rest = &header[at..];
    let shape = rest.find("\"shape\":[").ok_or_else(bad)? + "\"shape\":[".len();
    let rows: String = rest[shape..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    rows.parse().map_err(|_| bad())
}

fn metrics_to_tensor(h: &[EpochMetrics]) -> Tensor {
    let v: Vec<f64> = h
        .iter()
        .flat_map(|m| {
            [
                m.epoch as f64,
                m.train_loss,
                m.test_loss,
                m.test_acc,
                m.train_seconds,
                m.examples_per_second,
            ]
        })
        .collect();
    Tensor::from_vec(v, &[h.len(), 6])
}

fn metrics_from_tensor(t: &Tensor) -> Vec<EpochMetrics> {
    t.to_vec::<f64>()
        .chunks_exact(6)
        .map(|r| EpochMetrics {
            epoch: r[0] as usize,
            train_loss: r[1],
            test_loss: r[2],
            test_acc: r[3],
            train_seconds: r[4],
            examples_per_second: r[5],
        })
        .collect()
}

/// `metrics.csv`: a header and one row per epoch (losses and accuracy printed exactly, as
/// Rust's shortest round-trip decimal).
pub fn write_csv(path: &Path, h: &[EpochMetrics]) -> Result<(), String> {
    let mut s =
        String::from("epoch,train_loss,test_loss,test_acc,train_seconds,examples_per_second\n");
    for m in h {
        s += &format!(
            "{},{},{},{},{:.3},{:.1}\n",
            m.epoch, m.train_loss, m.test_loss, m.test_acc, m.train_seconds, m.examples_per_second
        );
    }
    std::fs::write(path, s).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// `metrics.svg`: training and test loss (left scale) and test accuracy (right scale, 0-1)
/// per epoch, as plain SVG polylines (no plotting dependency).
pub fn write_svg(path: &Path, h: &[EpochMetrics], model: &str) -> Result<(), String> {
    let (w, ht, pad) = (480.0f64, 300.0f64, 40.0f64);
    let epochs = h.len().max(2) as f64;
    let max_loss = h
        .iter()
        .flat_map(|m| [m.train_loss, m.test_loss])
        .fold(1e-9f64, f64::max);
    let x = |e: usize| pad + (e as f64 - 1.0) / (epochs - 1.0) * (w - 2.0 * pad);
    let y = |v: f64| ht - pad - v.clamp(0.0, 1.0) * (ht - 2.0 * pad);
    let line = |f: &dyn Fn(&EpochMetrics) -> f64, color: &str| {
        let pts: Vec<String> = h
            .iter()
            .map(|m| format!("{:.1},{:.1}", x(m.epoch), y(f(m))))
            .collect();
        format!(
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>\n",
            pts.join(" ")
        )
    };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{ht}\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{pad}\" y=\"20\" font-family=\"sans-serif\" font-size=\"14\">MNIST {model}: \
         train loss (blue), test loss (orange), both / {max_loss:.3}; test accuracy (green)</text>\n\
         <line x1=\"{pad}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"black\"/>\n\
         <line x1=\"{pad}\" y1=\"{pad}\" x2=\"{pad}\" y2=\"{b}\" stroke=\"black\"/>\n",
        b = ht - pad,
        r = w - pad
    );
    s += &line(&|m| m.train_loss / max_loss, "#1f77b4");
    s += &line(&|m| m.test_loss / max_loss, "#ff7f0e");
    s += &line(&|m| m.test_acc, "#2ca02c");
    for m in h {
        s += &format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-family=\"sans-serif\" font-size=\"10\">{}</text>\n",
            x(m.epoch) - 3.0,
            ht - pad + 14.0,
            m.epoch
        );
    }
    s += "</svg>\n";
    std::fs::write(path, s).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
