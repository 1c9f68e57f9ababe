//! The models of the export issue, exported to ONNX and run in tract against ferrax's eager
//! outputs: the digits MLP and CNN, an elementwise model, an attention block with layer norm
//! and the sequence Transformer; with a fixed and a dynamic batch.

use super::runtime::check;
use ferrax::models::DigitsCnn;
use ferrax::nn::{self, Ctx, Module};
use ferrax::prelude::*;
use ferrax::random;

pub(super) fn uniform(seed: i64, shape: &[usize]) -> Tensor {
    random::uniform(&random::key(seed), shape) * 2.0 - 1.0
}

/// The digits MLP of `examples/digits.rs`: 64 -> 128 (tanh) -> 10.
pub(super) fn mlp() -> (nn::Linear, nn::Tanh, nn::Linear) {
    let [k1, k2] = random::split_n(&random::key(1));
    (
        nn::Linear::new(&k1, 64, 128),
        nn::Tanh,
        nn::Linear::new(&k2, 128, 10),
    )
}

#[test]
fn digits_mlp() {
    let m = mlp();
    let f = |x: &Tensor| m.forward(x, &mut Ctx::eval());
    check(
        "mlp",
        f,
        &uniform(2, &[5, 64]),
        false,
        &[uniform(3, &[5, 64])],
    );
}

#[test]
fn digits_mlp_dynamic_batch() {
    let m = mlp();
    let f = |x: &Tensor| m.forward(x, &mut Ctx::eval());
    let runs = [
        uniform(3, &[1, 64]),
        uniform(4, &[7, 64]),
        uniform(5, &[32, 64]),
    ];
    check("mlp_dyn", f, &uniform(2, &[5, 64]), true, &runs);
}

/// The digits CNN of `examples/digits.rs` (`models::DigitsCnn`: conv, batch norm, relu, max
/// pool, dense head; dropout is the identity at inference), freshly initialized, with its
/// batch-norm state.
pub(super) fn cnn() -> (DigitsCnn, nn::State) {
    let m = DigitsCnn::new(&random::key(7));
    let state = nn::init_state(&m, &uniform(8, &[2, 8, 8, 1]));
    (m, state)
}

#[test]
fn digits_cnn() {
    let (m, state) = cnn();
    let f = |x: &Tensor| m.forward(x, &mut Ctx::eval().with_state(state.clone()));
    check(
        "cnn",
        f,
        &uniform(9, &[4, 8, 8, 1]),
        false,
        &[uniform(10, &[4, 8, 8, 1])],
    );
}

#[test]
fn digits_cnn_dynamic_batch() {
    let (m, state) = cnn();
    let f = |x: &Tensor| m.forward(x, &mut Ctx::eval().with_state(state.clone()));
    // The example's batch (8) equals the image side: the spatial dims stay fixed.
    let runs = [uniform(10, &[3, 8, 8, 1]), uniform(11, &[8, 8, 8, 1])];
    check("cnn_dyn", f, &uniform(9, &[8, 8, 8, 1]), true, &runs);
}

/// Comparisons, `where`, max and abs over two inputs (a pytree argument).
pub(super) fn elementwise((x, y): &(Tensor, Tensor)) -> (Tensor, Tensor) {
    let big = x.gt(0.25);
    let a = ferrax::numpy::where_(&big, x.abs(), y * 2.0);
    let b = a.maximum(y.abs()) - x.le(y).cast(DType::F32);
    (b.exp().tanh(), (a.abs().sqrt() + 1.0).log().sum_axes(&[1]))
}

#[test]
fn elementwise_model() {
    let ex = (uniform(12, &[3, 6]), uniform(13, &[3, 6]));
    let run = (uniform(14, &[3, 6]), uniform(15, &[3, 6]));
    check("elementwise", elementwise, &ex, false, &[run]);
    let runs = [(uniform(16, &[9, 6]), uniform(17, &[9, 6]))];
    check("elementwise_dyn", elementwise, &ex, true, &runs);
}

/// Self-attention over `[batch, 5, 16]` with a residual and layer norm (fixed weights).
pub(super) struct AttentionBlock {
    attn: nn::MultiHeadAttention,
    norm: nn::LayerNorm,
}

impl AttentionBlock {
    pub(super) fn new() -> AttentionBlock {
        let k = random::key(20);
        let attn = nn::MultiHeadAttention::new(&k, 16, 4);
        AttentionBlock {
            attn,
            norm: nn::LayerNorm::new(16),
        }
    }

    pub(super) fn forward(&self, x: &Tensor) -> Tensor {
        let cx = &mut Ctx::eval();
        self.norm.forward(&(x + self.attn.forward(x, cx)), cx)
    }
}

/// The sequence Transformer of `examples/sequence.rs` (embedding, learned positions, two
/// pre-norm blocks, layer norm, linear head) over `[batch, 8]` tokens below 10.
pub(super) struct SeqTransformer {
    pub(super) embed: nn::Embedding,
    pos: Tensor,
    blocks: Vec<nn::TransformerBlock>,
    norm: nn::LayerNorm,
    out: nn::Linear,
}

impl SeqTransformer {
    pub(super) fn new() -> SeqTransformer {
        let dim = 32;
        let [k1, k2, k3, k4, k5] = random::split_n(&random::key(30));
        SeqTransformer {
            embed: nn::Embedding::new(&k1, 10, dim),
            pos: random::normal(&k2, &[8, dim]) * 0.5,
            blocks: vec![
                nn::TransformerBlock::new(&k3, dim, 4, 64),
                nn::TransformerBlock::new(&k4, dim, 4, 64),
            ],
            norm: nn::LayerNorm::new(dim),
            out: nn::Linear::new(&k5, dim, 10),
        }
    }

    /// Random tokens `[b, 8]` from `seed`.
    pub(super) fn tokens(seed: i64, b: usize) -> Tensor {
        random::randint(&random::key(seed), &[b, 8], 0, 10)
    }

    pub(super) fn forward(&self, tokens: &Tensor) -> Tensor {
        self.after_embedding(&self.embed.forward(tokens, &mut Ctx::eval()))
    }

    /// The model after the embedding lookup, on embedded tokens `[batch, 8, 32]`.
    pub(super) fn after_embedding(&self, h: &Tensor) -> Tensor {
        let cx = &mut Ctx::eval();
        let h = self.blocks.forward(&(h + &self.pos), cx);
        self.out.forward(&self.norm.forward(&h, cx), cx)
    }
}

/// Self-attention with a residual and layer norm.
#[test]
fn attention_block_with_layer_norm() {
    let block = AttentionBlock::new();
    let f = |x: &Tensor| block.forward(x);
    check(
        "attention",
        f,
        &uniform(21, &[2, 5, 16]),
        false,
        &[uniform(22, &[2, 5, 16])],
    );
    let runs = [uniform(23, &[3, 5, 16]), uniform(24, &[1, 5, 16])];
    check("attention_dyn", f, &uniform(21, &[2, 5, 16]), true, &runs);
}

/// The sequence Transformer of `examples/sequence.rs` (embedding, learned positions, two
/// pre-norm blocks, layer norm, linear head) on integer tokens.
#[test]
fn sequence_transformer() {
    let model = SeqTransformer::new();
    let f = |x: &Tensor| model.forward(x);
    let tokens = SeqTransformer::tokens;
    check("transformer", f, &tokens(31, 2), false, &[tokens(32, 2)]);
    check("transformer_dyn", f, &tokens(31, 2), true, &[tokens(33, 5)]);
}

/// An LSTM over a sequence (`nn::Lstm`, a `scan` over the cell): ONNX Loop.
#[test]
fn lstm() {
    let [k1, k2] = random::split_n(&random::key(40));
    let lstm = nn::Lstm::new(&k1, 6, 12);
    let head = nn::Linear::new(&k2, 12, 3);
    let f = |x: &Tensor| {
        let cx = &mut Ctx::eval();
        head.forward(&lstm.forward(x, cx), cx)
    };
    check(
        "lstm",
        f,
        &uniform(41, &[2, 5, 6]),
        false,
        &[uniform(42, &[2, 5, 6])],
    );
    check(
        "lstm_dyn",
        f,
        &uniform(41, &[2, 5, 6]),
        true,
        &[uniform(43, &[4, 5, 6])],
    );
}

/// `cond` as ONNX If (both branches taken across the runs). One If per graph: tract names
/// the If nodes it makes after the operator, so a second one in the same graph fails there.
#[test]
fn cond_as_if() {
    let f = |x: &Tensor| {
        ferrax::lax::cond(
            &x.sum().gt(0.0),
            |x: &Tensor| x * 2.0,
            |x: &Tensor| x.sin(),
            x,
        )
    };
    let x = |v: [f32; 3]| Tensor::from_vec(v.to_vec(), &[3]);
    let runs = [x([1.0, -0.5, 0.25]), x([-1.0, 0.5, 0.25])];
    check("cond", f, &x([0.5, 0.5, 0.5]), false, &runs);
}

/// A three-way `switch` as nested Ifs (each branch taken across the runs).
#[test]
fn switch_as_nested_if() {
    let f = |x: &Tensor| {
        let i = x.argmax(0).cast(DType::I32);
        let branches: [&dyn Fn(&Tensor) -> Tensor; 3] = [&|x| x + 1.0, &|x| x * x, &|x| x.exp()];
        ferrax::lax::switch(&i, &branches, x)
    };
    let x = |v: [f32; 3]| Tensor::from_vec(v.to_vec(), &[3]);
    let runs = [
        x([1.0, -0.5, 0.25]),
        x([-1.0, 0.5, 0.25]),
        x([-1.0, -0.5, 0.75]),
    ];
    check("switch", f, &x([0.5, 0.5, 0.5]), false, &runs);
}

/// `while_loop` lowers to ONNX Loop, which tract does not implement: the export is checked
/// to succeed here and to compute the right values by `tests/golden/check_onnx.py` in
/// onnxruntime.
#[test]
fn while_loop_exports_as_loop() {
    let f = |x: &Tensor| {
        ferrax::lax::while_loop(
            |(_, n): &(Tensor, Tensor)| n.lt(5),
            |(x, n): &(Tensor, Tensor)| (x * 1.5 + 1.0, n + 1),
            &(x.clone(), Tensor::scalar(0i32)),
        )
        .0
    };
    super::runtime::export_only("while", f, &Tensor::from_vec(vec![1.0f32, -2.0], &[2]));
}
