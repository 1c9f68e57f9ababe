//! `ferrax::train`: a small training-loop helper.
//!
//! - [`Trainer::fit`] runs epochs of a step function over [`Batches`], showing an indicatif
//!   progress bar with the running loss and examples/s (on a terminal only; never in a pipe,
//!   a test or CI), and records per-epoch metrics in a [`History`] the caller can read.
//! - A loss that becomes NaN or infinite stops training at that step: [`Trainer::fit`] panics
//!   with the epoch, step and loss value and what to try ([`Trainer::try_fit`] returns it as a
//!   [`NonFiniteLoss`] error instead).
//! - [`save_params`] / [`load_params`]: parameters as safetensors, one tensor per pytree key
//!   path (`.l1.w`), written atomically and checked against a template when loaded.
//!
//! The step function owns the whole update, so jit it as one function (grad + optimizer);
//! [`jit_step`] does that with the state's buffers donated, so the parameters and optimizer
//! state are updated in place (the state is passed by value from step to step):
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::{data::Batches, train::{jit_step, Trainer}};
//! // Fit y = 3x by gradient descent on the mean squared error.
//! let x = Tensor::linspace(-1.0, 1.0, 64, DType::F32).reshape(&[64, 1]);
//! let y = &x * 3.0;
//! let batches = Batches::new(&(x, y), 16).shuffle(&ferrax::random::key(0));
//! let step = jit_step(|(w, (x, y)): &(Tensor, (Tensor, Tensor))| {
//!     let (loss, g) = value_and_grad(|w: &Tensor| (x.matmul(w) - y).powi(2).mean())(w);
//!     (w - g * 0.5, loss)
//! });
//! let w0 = Tensor::zeros(&[1, 1], DType::F32);
//! let (w, history) = Trainer::new(20)
//!     .progress(false)
//!     .fit(w0, &batches, step, |_, _| vec![]);
//! assert!((w.item::<f32>() - 3.0).abs() < 1e-3);
//! assert!(history.last().unwrap().loss < 1e-5);
//! ```

pub(crate) mod checkpoint;

pub use checkpoint::{
    load_params, params_from_bytes, params_to_bytes, save_params, CheckpointError,
    CheckpointErrorKind, ParamMismatch,
};

use crate::data::Batches;
use crate::optim::fused::{FusedAdam, FusedAdamState};
use crate::tensor::Tensor;
use crate::transforms::{JitOptions, Jitted};
use crate::tree::PyTree;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::fmt;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// A training step `f(&(state, batch)) -> (new state, loss)` compiled with `jit`, as the
/// `step` of [`Trainer::fit`]: it takes the state by value and donates its buffers
/// ([`JitOptions::donate`]), so parameters and optimizer moments the caller no longer holds
/// are overwritten in place instead of allocated anew every step (what JAX's
/// `donate_argnums` does for a training loop). A buffer the caller still holds elsewhere is
/// never changed; such a state is only copied.
///
/// ```
/// use ferrax::prelude::*;
/// let mut step = ferrax::train::jit_step(|(w, x): &(Tensor, Tensor)| {
///     let (loss, g) = value_and_grad(|w: &Tensor| (w * x).sum().powi(2))(w);
///     (w - g * 0.1, loss)
/// });
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let (w, loss) = step(Tensor::ones(&[2], DType::F32), x.clone());
/// assert_eq!(loss.item::<f32>(), 9.0);
/// // w - 0.1 * g with g = 2 (w . x) x = [6, 12], in f32
/// assert_eq!(w.to_vec::<f32>(), vec![1.0 - 6.0 * 0.1f32, 1.0 - 12.0 * 0.1f32]);
/// assert_eq!(x.to_vec::<f32>(), vec![1.0, 2.0]); // held by the caller: untouched
/// ```
pub fn jit_step<S: PyTree, B: PyTree>(
    f: impl Fn(&(S, B)) -> (S, Tensor),
) -> impl FnMut(S, B) -> (S, Tensor) {
    let step = Jitted::new(
        f,
        JitOptions {
            name: Some("train_step".into()),
            donate: true,
        },
    );
    move |state, batch| step.call_owned((state, batch))
}

/// A jitted, donated training step (see [`jit_step`]) that takes the gradient of
/// `loss(params, batch)` and applies a fused Adam/AdamW update
/// ([`optim::fused`](crate::optim::fused)): the `step` for [`Trainer::fit`] with the state
/// `(params, optimizer state)`. The update is one pass over the parameters and moments, in
/// place, since the state is donated.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::{data::Batches, optim::fused, train::{adam_step, Trainer}};
/// // Fit y = 3x.
/// let x = Tensor::linspace(-1.0, 1.0, 64, DType::F32).reshape(&[64, 1]);
/// let y = &x * 3.0;
/// let batches = Batches::new(&(x, y), 16);
/// let opt = fused::adam(0.1);
/// let w = Tensor::zeros(&[1, 1], DType::F32);
/// let state = (w.clone(), opt.init(&w));
/// let step = adam_step(&opt, |w: &Tensor, (x, y): &(Tensor, Tensor)| {
///     (x.matmul(w) - y).powi(2).mean()
/// });
/// let ((w, s), _) = Trainer::new(30).progress(false).fit(state, &batches, step, |_, _| vec![]);
/// assert!((w.item::<f32>() - 3.0).abs() < 0.05);
/// assert_eq!(s.count.item::<i32>(), 120);
/// ```
#[allow(clippy::type_complexity)]
pub fn adam_step<P: PyTree + Clone, B: PyTree, L: Fn(&P, &B) -> Tensor>(
    opt: &FusedAdam,
    loss: L,
) -> impl FnMut((P, FusedAdamState<P>), B) -> ((P, FusedAdamState<P>), Tensor) + use<P, B, L> {
    let opt = opt.clone();
    jit_step(move |((p, s), b): &((P, FusedAdamState<P>), B)| {
        let (l, g) = crate::transforms::value_and_grad(|p: &P| loss(p, b))(p);
        (opt.step(p, &g, s), l)
    })
}

/// What one epoch did: the mean training loss over its batches (weighted by batch size),
/// the time spent in the step function, and the caller's metrics.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean of the step losses, weighted by batch size.
    pub loss: f64,
    /// Examples seen this epoch.
    pub examples: usize,
    /// Seconds spent in the step function (not in evaluation or progress drawing).
    pub train_seconds: f64,
    /// The caller's metrics, as returned by the evaluation closure (e.g. `("test_acc", 0.93)`).
    pub metrics: Vec<(String, f64)>,
}

impl EpochRecord {
    /// Training throughput of the epoch.
    ///
    /// ```
    /// let r = ferrax::train::EpochRecord { epoch: 1, loss: 0.5, examples: 100, train_seconds: 0.5, metrics: vec![] };
    /// assert_eq!(r.examples_per_second(), 200.0);
    /// ```
    pub fn examples_per_second(&self) -> f64 {
        self.examples as f64 / self.train_seconds.max(1e-12)
    }

    /// A metric by name (`"loss"` is the training loss).
    ///
    /// ```
    /// let r = ferrax::train::EpochRecord { epoch: 1, loss: 0.5, examples: 1, train_seconds: 1.0, metrics: vec![("acc".into(), 0.9)] };
    /// assert_eq!((r.metric("acc"), r.metric("loss"), r.metric("x")), (Some(0.9), Some(0.5), None));
    /// ```
    pub fn metric(&self, name: &str) -> Option<f64> {
        if name == "loss" {
            return Some(self.loss);
        }
        self.metrics
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
    }
}

impl fmt::Display for EpochRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "epoch {:>3}  loss {:.4}", self.epoch, self.loss)?;
        for (n, v) in &self.metrics {
            write!(f, "  {n} {v:.4}")?;
        }
        write!(f, "  {:.0} ex/s", self.examples_per_second())
    }
}

/// Per-epoch records of a [`Trainer::fit`] run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// One record per epoch, in order.
    pub epochs: Vec<EpochRecord>,
}

impl History {
    /// The last epoch's record.
    ///
    /// ```
    /// assert!(ferrax::train::History::default().last().is_none());
    /// ```
    pub fn last(&self) -> Option<&EpochRecord> {
        self.epochs.last()
    }

    /// One metric across epochs (`"loss"` for the training loss); epochs without it are skipped.
    ///
    /// ```
    /// use ferrax::train::{EpochRecord, History};
    /// let r = |e, loss| EpochRecord { epoch: e, loss, examples: 1, train_seconds: 1.0, metrics: vec![] };
    /// let h = History { epochs: vec![r(1, 2.0), r(2, 1.0)] };
    /// assert_eq!(h.metric("loss"), vec![2.0, 1.0]);
    /// ```
    pub fn metric(&self, name: &str) -> Vec<f64> {
        self.epochs.iter().filter_map(|r| r.metric(name)).collect()
    }

    /// Total seconds spent in the step function.
    ///
    /// ```
    /// assert_eq!(ferrax::train::History::default().train_seconds(), 0.0);
    /// ```
    pub fn train_seconds(&self) -> f64 {
        self.epochs.iter().map(|r| r.train_seconds).sum()
    }
}

/// Runs a training loop: epochs of a step function over mini-batches, with a progress bar and
/// per-epoch metrics. See the [module docs](self) for an example.
#[derive(Clone, Debug)]
pub struct Trainer {
    epochs: usize,
    progress: bool,
    log: bool,
}

impl Trainer {
    /// A trainer for `epochs` epochs; progress bar on (when stderr is a terminal), epoch lines
    /// off.
    ///
    /// ```
    /// let t = ferrax::train::Trainer::new(3).progress(false).log_epochs(true);
    /// ```
    pub fn new(epochs: usize) -> Trainer {
        Trainer {
            epochs,
            progress: true,
            log: false,
        }
    }

    /// Shows (`true`, the default) or hides the progress bar. Shown only when stderr is a
    /// terminal either way.
    ///
    /// ```
    /// let t = ferrax::train::Trainer::new(1).progress(false);
    /// ```
    pub fn progress(mut self, show: bool) -> Trainer {
        self.progress = show;
        self
    }

    /// Prints each epoch's record (loss, metrics, examples/s) on stdout when it ends.
    ///
    /// ```
    /// let t = ferrax::train::Trainer::new(1).log_epochs(false);
    /// ```
    pub fn log_epochs(mut self, log: bool) -> Trainer {
        self.log = log;
        self
    }

    /// Trains: for each epoch, calls `step(state, batch) -> (state, loss)` on every batch of
    /// `batches.epoch(e)` (0-based `e`, so shuffles follow the batches' key), then
    /// `evaluate(&state, &record)` for extra metrics (return `vec![]` for none). Returns the
    /// final state and the [`History`]. `loss` must be a one-element tensor.
    ///
    /// Panics when a step's loss is NaN or infinite, naming the epoch, the step and the value
    /// with what to try (see [`NonFiniteLoss`]; [`Trainer::try_fit`] returns it instead).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let b = ferrax::data::Batches::new(&Tensor::ones(&[10], DType::F32), 4);
    /// let (n, h) = ferrax::train::Trainer::new(2).progress(false).fit(
    ///     0usize,
    ///     &b,
    ///     |n, x: Tensor| (n + x.shape()[0], x.sum()),
    ///     |n, _| vec![("seen".into(), *n as f64)],
    /// );
    /// assert_eq!(n, 20);
    /// assert_eq!(h.metric("seen"), vec![10.0, 20.0]);
    /// // Batch sums 4, 4, 2 weighted by batch sizes 4, 4, 2: (16 + 16 + 4) / 10.
    /// assert_eq!(h.metric("loss"), vec![3.6, 3.6]);
    /// ```
    pub fn fit<S, B: PyTree>(
        &self,
        state: S,
        batches: &Batches<B>,
        step: impl FnMut(S, B) -> (S, Tensor),
        evaluate: impl FnMut(&S, &EpochRecord) -> Vec<(String, f64)>,
    ) -> (S, History) {
        match self.try_fit(state, batches, step, evaluate) {
            Ok(done) => done,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`Trainer::fit`], returning a [`NonFiniteLoss`] error (with the epochs completed so
    /// far) instead of panicking when a step's loss is NaN or infinite. Training stops at that
    /// step; the state it produced is dropped, since it is likely NaN too.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let b = ferrax::data::Batches::new(&Tensor::ones(&[6], DType::F32), 2);
    /// // The loss doubles every step and overflows f32 at the 128th (epoch 43, step 2).
    /// let err = ferrax::train::Trainer::new(100)
    ///     .progress(false)
    ///     .try_fit(Tensor::scalar(1.0f32), &b, |s, _| (&s * 2.0, &s * 2.0), |_, _| vec![])
    ///     .unwrap_err();
    /// assert_eq!((err.epoch, err.step, err.global_step), (43, 2, 128));
    /// assert_eq!(err.loss, f64::INFINITY);
    /// assert_eq!(err.history.epochs.len(), 42);
    /// ```
    pub fn try_fit<S, B: PyTree>(
        &self,
        mut state: S,
        batches: &Batches<B>,
        mut step: impl FnMut(S, B) -> (S, Tensor),
        mut evaluate: impl FnMut(&S, &EpochRecord) -> Vec<(String, f64)>,
    ) -> Result<(S, History), NonFiniteLoss> {
        let bar = self.make_bar((self.epochs * batches.num_batches()) as u64);
        let mut history = History::default();
        for e in 0..self.epochs {
            let (mut sum, mut seen, mut secs) = (0.0f64, 0usize, 0.0f64);
            let mut last_draw = Instant::now() - Duration::from_secs(1);
            for (i, batch) in batches.epoch(e).enumerate() {
                let n = batch
                    .leaves()
                    .first()
                    .and_then(|l| l.shape().first().copied())
                    .unwrap_or(0);
                let t0 = Instant::now();
                let (next, loss) = step(state, batch);
                let loss = loss_value(&loss);
                secs += t0.elapsed().as_secs_f64();
                if !loss.is_finite() {
                    if let Some(bar) = bar {
                        bar.finish_and_clear();
                    }
                    return Err(NonFiniteLoss {
                        epoch: e + 1,
                        step: i + 1,
                        global_step: e * batches.num_batches() + i + 1,
                        loss,
                        history,
                    });
                }
                state = next;
                sum += loss * n as f64;
                seen += n;
                if let Some(bar) = &bar {
                    bar.inc(1);
                    if last_draw.elapsed() > Duration::from_millis(50) {
                        last_draw = Instant::now();
                        bar.set_message(format!(
                            "epoch {}/{}  loss {:.4}  {:.0} ex/s",
                            e + 1,
                            self.epochs,
                            sum / seen.max(1) as f64,
                            seen as f64 / secs.max(1e-12)
                        ));
                    }
                }
            }
            let mut record = EpochRecord {
                epoch: e + 1,
                loss: sum / seen.max(1) as f64,
                examples: seen,
                train_seconds: secs,
                metrics: Vec::new(),
            };
            record.metrics = evaluate(&state, &record);
            if self.log {
                match &bar {
                    Some(bar) => bar.println(record.to_string()),
                    None => println!("{record}"),
                }
            }
            history.epochs.push(record);
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        Ok((state, history))
    }

    fn make_bar(&self, total: u64) -> Option<ProgressBar> {
        if !self.progress || !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed}<{eta}]")
            .expect("a valid progress template");
        bar.set_style(style);
        Some(bar)
    }
}

#[track_caller]
fn loss_value(loss: &Tensor) -> f64 {
    assert!(
        loss.is_concrete() && loss.size() == 1,
        "train::Trainer::fit: the step must return a concrete one-element loss, got {}{:?}",
        if loss.is_concrete() {
            ""
        } else {
            "a tracer of shape "
        },
        loss.shape()
    );
    loss.item::<f64>()
}

/// Why [`Trainer::try_fit`] stopped: a step returned a NaN or infinite loss. Its `Display` is
/// the message [`Trainer::fit`] panics with: where it happened, the value, and what to try.
///
/// ```
/// let e = ferrax::train::NonFiniteLoss {
///     epoch: 2, step: 3, global_step: 13, loss: f64::NAN, history: Default::default(),
/// };
/// assert!(e.to_string().starts_with("train::Trainer: the loss became NaN at epoch 2, step 3"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NonFiniteLoss {
    /// 1-based epoch of the step.
    pub epoch: usize,
    /// 1-based step (batch) within the epoch.
    pub step: usize,
    /// 1-based step counted from the start of training.
    pub global_step: usize,
    /// The loss the step returned: NaN or ±infinity.
    pub loss: f64,
    /// The epochs completed before it.
    pub history: History,
}

impl fmt::Display for NonFiniteLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.loss.is_nan() {
            "NaN".to_string()
        } else {
            format!("infinite ({})", self.loss)
        };
        write!(
            f,
            "train::Trainer: the loss became {what} at epoch {}, step {} (step {} overall), so \
             training stopped. The training has likely diverged: try a lower learning rate (or \
             gradient clipping). To find the operation that first produced a NaN, run with \
             FERRAX_DEBUG_NANS=1 (or call ferrax::debug::set_debug_nans(true)).",
            self.epoch, self.step, self.global_step
        )?;
        if let Some(last) = self.history.last() {
            write!(
                f,
                " The last full epoch ({}) had mean loss {:.6}.",
                last.epoch, last.loss
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for NonFiniteLoss {}
