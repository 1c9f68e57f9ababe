//! Sequence learning on a synthetic task: reverse a sequence of 8 random digits.
//!
//! - An LSTM (`nn::Lstm`, a `lax::scan` over an `LstmCell`) reads the digits followed by 8
//!   blank tokens and must emit the digits in reverse order while it reads the blanks.
//! - A small Transformer (two pre-norm `nn::TransformerBlock`s with learned position
//!   embeddings, no mask) maps the 8 digits to their reversal position by position.
//!
//! Both train with Adam on softmax cross-entropy, one jitted step per batch, on 16384 random
//! sequences, and are scored by token accuracy on 2048 held-out sequences (target >= 95%).
//!
//! ```text
//! cargo run --release --example sequence                      # both models
//! cargo run --release --example sequence -- --model lstm      # or transformer
//! ```

use ferrax::data::Batches;
use ferrax::nn::{Ctx, Module};
use ferrax::optim;
use ferrax::prelude::*;
use ferrax::train::Trainer;
use ferrax::{losses, nn, random};
use std::time::Instant;

/// Digits per sequence.
const LEN: usize = 8;
/// Token for "no input" fed to the LSTM while it answers.
const BLANK: i32 = 10;
const TRAIN: usize = 16384;
const TEST: usize = 2048;
const BATCH: usize = 64;

/// `n` random sequences `i32[n, LEN]` of digits and their reversals.
fn dataset(key: &Tensor, n: usize) -> (Tensor, Tensor) {
    let x = random::randint(key, &[n, LEN], 0, 10);
    let rev: Vec<i32> = x
        .to_vec::<i32>()
        .chunks(LEN)
        .flat_map(|r| r.iter().rev().copied().collect::<Vec<_>>())
        .collect();
    (x, Tensor::from_vec(rev, &[n, LEN]))
}

#[derive(PyTree, Clone)]
struct LstmModel {
    embed: nn::Embedding,
    lstm: nn::Lstm,
    out: nn::Linear,
}

impl LstmModel {
    fn new(key: &Tensor) -> LstmModel {
        let [k1, k2, k3] = random::split_n(key);
        LstmModel {
            embed: nn::Embedding::new(&k1, 11, 32),
            lstm: nn::Lstm::new(&k2, 32, 128),
            out: nn::Linear::new(&k3, 128, 10),
        }
    }
}

impl Module for LstmModel {
    /// Logits `[B, LEN, 10]` for the answer half: digits, then blanks, through the LSTM.
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let b = x.shape()[0];
        let blanks = Tensor::full(&[b, LEN], BLANK, DType::I32);
        let tokens = ferrax::numpy::concatenate(&[x.clone(), blanks], 1);
        let h = self.lstm.forward(&self.embed.forward(&tokens, cx), cx); // [B, 2 LEN, H]
        let answer = h.index(ferrax::idx![.., LEN..2 * LEN]);
        self.out.forward(&answer, cx)
    }
}

#[derive(PyTree, Clone)]
struct TransformerModel {
    embed: nn::Embedding,
    pos: Tensor,
    blocks: Vec<nn::TransformerBlock>,
    norm: nn::LayerNorm,
    out: nn::Linear,
}

impl TransformerModel {
    fn new(key: &Tensor) -> TransformerModel {
        let dim = 64;
        let [k1, k2, k3, k4, k5] = random::split_n(key);
        TransformerModel {
            embed: nn::Embedding::new(&k1, 10, dim),
            pos: random::normal(&k2, &[LEN, dim]) * 0.5,
            blocks: vec![
                nn::TransformerBlock::new(&k3, dim, 4, 128),
                nn::TransformerBlock::new(&k4, dim, 4, 128),
            ],
            norm: nn::LayerNorm::new(dim),
            out: nn::Linear::new(&k5, dim, 10),
        }
    }
}

impl Module for TransformerModel {
    /// Logits `[B, LEN, 10]`: position `i` attends to every input position.
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let h = self.embed.forward(x, cx) + &self.pos;
        let h = self.blocks.forward(&h, cx); // a Vec of modules applies them in order
        self.out.forward(&self.norm.forward(&h, cx), cx)
    }
}

/// Training and test sequences with their reversals.
struct Sets {
    train: (Tensor, Tensor),
    test: (Tensor, Tensor),
}

/// The logits of a model without dropout (training and evaluation alike).
fn logits<P: Module>(model: &P, x: &Tensor) -> Tensor {
    model.forward(x, &mut Ctx::eval())
}

/// Trains `params` with Adam for `epochs`, printing per-epoch lines; returns the test token
/// accuracy and the seconds spent.
fn train<P: Module + PyTree + Clone>(
    name: &str,
    params: P,
    lr: f64,
    epochs: usize,
    sets: &Sets,
    key: &Tensor,
) -> (f64, f64) {
    let (data, test) = (&sets.train, &sets.test);
    let opt = optim::adam(lr);
    let state = opt.init(&params);
    let step = jit(
        |(p, s, (x, y)): &(P, optim::AdamState<P>, (Tensor, Tensor))| {
            let loss_fn =
                |p: &P| losses::softmax_cross_entropy_with_integer_labels(&logits(p, x), y).mean();
            let (loss, g) = value_and_grad(loss_fn)(p);
            let (u, s) = opt.update(&g, s, p);
            (optim::apply_updates(p, &u), s, loss)
        },
    );
    let accuracy = jit(|(p, x, y): &(P, Tensor, Tensor)| losses::accuracy(&logits(p, x), y));
    let test_acc = |p: &P| accuracy(&(p.clone(), test.0.clone(), test.1.clone())).item::<f64>();
    let batches = Batches::new(data, BATCH).drop_last(true).shuffle(key);
    println!(
        "{name}: {} parameters, Adam {lr}, batch {BATCH}, {epochs} epochs",
        ferrax::tree::tree_size(&params)
    );
    let t0 = Instant::now();
    let ((params, _), _) = Trainer::new(epochs).log_epochs(true).fit(
        (params, state),
        &batches,
        |(p, s), b| {
            let (p, s, loss) = step(&(p, s, b));
            ((p, s), loss)
        },
        |(p, _), _| vec![("test_token_acc".into(), test_acc(p))],
    );
    let secs = t0.elapsed().as_secs_f64();
    println!();
    (test_acc(&params), secs)
}

fn main() {
    let which = match std::env::args().nth(1).as_deref() {
        None => "both".to_string(),
        Some("--model") => std::env::args().nth(2).unwrap_or_default(),
        Some(other) => other.to_string(),
    };
    let (run_lstm, run_tf) = match which.as_str() {
        "both" => (true, true),
        "lstm" => (true, false),
        "transformer" => (false, true),
        m => {
            eprintln!(
                "sequence: unknown model `{m}` (usage: sequence [--model lstm|transformer|both])"
            );
            std::process::exit(2)
        }
    };
    let keys = random::split(&random::key(0), 6);
    let k = |i| random::key_at(&keys, i);
    let sets = Sets {
        train: dataset(&k(0), TRAIN),
        test: dataset(&k(1), TEST),
    };
    println!("task: reverse {LEN} random digits; {TRAIN} training and {TEST} test sequences\n");
    let mut results = Vec::new();
    if run_lstm {
        let r = train(
            "LSTM (embed 32, hidden 128)",
            LstmModel::new(&k(2)),
            3e-3,
            5,
            &sets,
            &k(3),
        );
        results.push(("LSTM", r));
    }
    if run_tf {
        let r = train(
            "Transformer (2 blocks, dim 64, 4 heads)",
            TransformerModel::new(&k(4)),
            1e-3,
            2,
            &sets,
            &k(5),
        );
        results.push(("Transformer", r));
    }
    for (name, (acc, secs)) in results {
        println!("{name} test token accuracy: {acc:.4} (trained in {secs:.1} s)");
    }
}
