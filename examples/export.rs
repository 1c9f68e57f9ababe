//! Trains a small CNN on the digits and exports it to ONNX and to TFLite, both with a
//! dynamic batch.
//!
//! ```text
//! cargo run --release --example export -- [--epochs N] [--out digits_cnn.onnx]
//!     [--tflite digits_cnn.tflite]
//! ```
//!
//! The model's input is `input_0: f32[batch, 8, 8, 1]` (NHWC, as ferrax's convolutions), its
//! output `output_0: f32[batch, 10]` (logits). Run it with onnxruntime in Python:
//!
//! ```text
//! import numpy as np, onnxruntime as ort
//! sess = ort.InferenceSession("digits_cnn.onnx")
//! logits = sess.run(["output_0"], {"input_0": np.zeros((3, 8, 8, 1), np.float32)})[0]
//! ```
//!
//! and the TFLite model with LiteRT (`pip install ai-edge-litert`):
//!
//! ```text
//! from ai_edge_litert.interpreter import Interpreter
//! run = Interpreter(model_path="digits_cnn.tflite").get_signature_runner("serving_default")
//! logits = run(input_0=np.zeros((3, 8, 8, 1), np.float32))["output_0"]
//! ```

use ferrax::data::{self, Batches, DigitsLayout};
use ferrax::nn::{self, Ctx, Module};
use ferrax::prelude::*;
use ferrax::train::Trainer;
use ferrax::{losses, optim, random};

/// Two 3x3 convolutions (16 and 32 channels) with relu, a 2x2 max pool, a 512-64-10 head.
#[derive(PyTree, Clone)]
struct Cnn {
    c1: nn::Conv2d,
    c2: nn::Conv2d,
    d1: nn::Linear,
    d2: nn::Linear,
}

impl Cnn {
    fn new(key: &Tensor) -> Cnn {
        let [k1, k2, k3, k4] = random::split_n(key);
        Cnn {
            c1: nn::Conv2d::new(&k1, 1, 16, [3, 3]),
            c2: nn::Conv2d::new(&k2, 16, 32, [3, 3]),
            d1: nn::Linear::new(&k3, 4 * 4 * 32, 64),
            d2: nn::Linear::new(&k4, 64, 10),
        }
    }
}

impl Module for Cnn {
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let h = self.c1.forward(x, cx).relu();
        let h = self.c2.forward(&h, cx).relu();
        let h = nn::max_pool2d(&h, &[2, 2], &[2, 2]);
        let h = h.reshape(&[h.shape()[0] as isize, -1]);
        self.d2.forward(&self.d1.forward(&h, cx).relu(), cx)
    }
}

fn main() {
    let mut epochs = 5;
    let mut out = String::from("digits_cnn.onnx");
    let mut out_tflite = String::from("digits_cnn.tflite");
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--epochs" => epochs = value.parse().expect("--epochs N"),
            "--out" => out = value,
            "--tflite" => out_tflite = value,
            f => panic!("export: unknown option {f} (--epochs N, --out PATH, --tflite PATH)"),
        }
    }
    let digits = data::load_digits(data::default_digits_dir(), DigitsLayout::Image)
        .unwrap_or_else(|e| panic!("export: {e}"));
    let [init_key, shuffle_key] = random::split_n(&random::key(0));
    let batches = Batches::new(
        &(digits.train_images.clone(), digits.train_labels.clone()),
        32,
    )
    .shuffle(&shuffle_key);
    let opt = optim::adam(1e-3);
    let params = Cnn::new(&init_key);
    let state = opt.init(&params);
    type Step = (Cnn, optim::AdamState<Cnn>, (Tensor, Tensor));
    let step = jit(|(p, s, (x, y)): &Step| {
        let loss = |p: &Cnn| {
            losses::softmax_cross_entropy_with_integer_labels(&p.forward(x, &mut Ctx::eval()), y)
                .mean()
        };
        let (loss, g) = value_and_grad(loss)(p);
        let (updates, s) = opt.update(&g, s, p);
        (optim::apply_updates(p, &updates), s, loss)
    });
    let ((params, _), _) = Trainer::new(epochs).fit(
        (params, state),
        &batches,
        |(p, s), b| {
            let (p, s, loss) = step(&(p, s, b));
            ((p, s), loss)
        },
        |_, _| vec![],
    );
    let predict = |x: &Tensor| params.forward(x, &mut Ctx::eval());
    let acc = losses::accuracy(&predict(&digits.test_images), &digits.test_labels);
    println!("test accuracy: {:.3}", acc.item::<f64>());
    let example = digits.test_images.index(ferrax::idx![0..1]);
    let opts = ferrax::export::onnx::Options {
        dynamic_batch: true,
        ..Default::default()
    };
    let written = ferrax::export::onnx::save_with(predict, &example, &out, opts.clone())
        .map(|()| out.clone())
        .and_then(|onnx| {
            ferrax::export::tflite::save_with(predict, &example, &out_tflite, opts)
                .map(|()| [onnx, out_tflite.clone()])
        });
    match written {
        Ok(files) => {
            for f in files {
                println!("wrote {f} (input_0: f32[batch, 8, 8, 1] -> output_0: f32[batch, 10])")
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1)
        }
    }
}
