//! `ferrax::models::{LeNet5, Mlp}`: LeNet-5's forward pass and loss gradient against JAX 0.10.2
//! (tests/golden/lenet5.txt, written by tests/golden/make_lenet5.py in plain jax/lax on weights
//! both sides compute from one formula), shapes, jit and vmap agreement with the eager forward,
//! and the MLP against a plain-Rust forward pass and finite differences.

use crate::common::close::{assert_close_with, f64s, Tol};
use crate::common::golden::GoldenFile;
use ferrax::models::{LeNet5, Mlp};
use ferrax::nn::{Ctx, Module};
use ferrax::prelude::*;
use ferrax::{losses, random};
use std::collections::HashMap;

static GOLDEN: GoldenFile = GoldenFile::new(include_str!("../golden/lenet5.txt"));

fn g(name: &str) -> Tensor {
    GOLDEN.tensor(name)
}

/// make_lenet5.py's `fixed`: integer arithmetic, one division and one product in f64, rounded
/// once to f32, so both sides get the same bits.
fn fixed(shape: &[usize], salt: u64, scale: f64) -> Tensor {
    let n: usize = shape.iter().product();
    let v = (0..n as u64)
        .map(|i| {
            let k = (i * i * 7919 + i * 31 + salt * 104729) % 2003;
            ((k as f64 / 2003.0 - 0.5) * 2.0 * scale) as f32
        })
        .collect();
    Tensor::from_vec(v, shape)
}

fn golden_net() -> LeNet5 {
    let mut net = LeNet5::new(&random::key(0));
    let c = |fan_in: f64| 2.0 / fan_in.sqrt();
    net.conv1.kernel = fixed(&[5, 5, 1, 6], 1, c(25.0));
    net.conv1.bias = Some(fixed(&[6], 2, 0.1));
    net.conv2.kernel = fixed(&[5, 5, 6, 16], 3, c(150.0));
    net.conv2.bias = Some(fixed(&[16], 4, 0.1));
    net.fc1.kernel = fixed(&[400, 120], 5, c(400.0));
    net.fc1.bias = Some(fixed(&[120], 6, 0.1));
    net.fc2.kernel = fixed(&[120, 84], 7, c(120.0));
    net.fc2.bias = Some(fixed(&[84], 8, 0.1));
    net.head.kernel = fixed(&[84, 10], 9, c(84.0));
    net.head.bias = Some(fixed(&[10], 10, 0.1));
    net
}

fn golden_input() -> Tensor {
    let x = &fixed(&[3, 28, 28, 1], 11, 0.5) + 0.5f32;
    assert_eq!(
        x.to_vec::<f32>(),
        g("x").to_vec::<f32>(),
        "the input formula differs from make_lenet5.py's"
    );
    x
}

fn eval(m: &impl Module, x: &Tensor) -> Tensor {
    m.forward(x, &mut Ctx::eval())
}

fn mean_ce(net: &LeNet5, x: &Tensor, y: &Tensor) -> Tensor {
    losses::softmax_cross_entropy_with_integer_labels(&eval(net, x), y).mean()
}

#[test]
fn lenet5_forward_matches_jax() {
    let y = eval(&golden_net(), &golden_input());
    assert_eq!(y.shape(), &[3, 10]);
    assert_close_with(
        &f64s(&y),
        &f64s(&g("y")),
        Tol::allclose(1e-5, 1e-6),
        "LeNet5 logits",
    );
}

#[test]
fn lenet5_loss_gradient_matches_jax() {
    let (x, labels) = (golden_input(), g("labels"));
    let (loss, grads) = value_and_grad(|p: &LeNet5| mean_ce(p, &x, &labels))(&golden_net());
    assert_close_with(
        &[loss.item::<f64>()],
        &f64s(&g("loss")),
        Tol::allclose(1e-5, 1e-7),
        "loss",
    );
    let got: HashMap<String, Tensor> = grads
        .flatten_with_path()
        .into_iter()
        .map(|(k, t)| (k.to_string(), t))
        .collect();
    assert_eq!(got.len(), 10, "{:?}", got.keys());
    for (path, t) in &got {
        // `.conv1.kernel` in ferrax's key paths is `g.conv1.kernel` in the golden file.
        let want = g(&format!("g{path}"));
        assert_eq!(t.shape(), want.shape(), "{path}");
        assert_close_with(&f64s(t), &f64s(&want), Tol::allclose(1e-4, 1e-6), path);
    }
}

#[test]
fn lenet5_shapes_and_parameter_count() {
    let net = LeNet5::new(&random::key(3));
    let x = Tensor::zeros(&[4, 28, 28, 1], DType::F32);
    assert_eq!(eval(&net, &x).shape(), &[4, 10]);
    assert_eq!(net.features(&x, &mut Ctx::eval()).shape(), &[4, 84]);
    assert_eq!(
        eval(&net, &Tensor::zeros(&[28, 28, 1], DType::F32)).shape(),
        &[10]
    );
    assert_eq!(net.num_params(), 61_706);
    let shapes: Vec<(String, Vec<usize>)> = net
        .flatten_with_path()
        .into_iter()
        .map(|(k, t)| (k.to_string(), t.shape().to_vec()))
        .collect();
    assert_eq!(shapes[0], (".conv1.kernel".to_string(), vec![5, 5, 1, 6]));
    let three = net.replace_head(&random::key(4), 3);
    assert_eq!(eval(&three, &x).shape(), &[4, 3]);
}

#[test]
#[should_panic(expected = "models::LeNet5::forward: expected [N, 28, 28, 1] images")]
fn lenet5_rejects_other_image_sizes() {
    eval(
        &LeNet5::new(&random::key(0)),
        &Tensor::zeros(&[2, 32, 32, 1], DType::F32),
    );
}

#[test]
fn lenet5_jit_and_vmap_agree_with_eager() {
    let net = golden_net();
    let x = golden_input();
    let eager = eval(&net, &x);
    let jitted = jit(|(n, x): &(LeNet5, Tensor)| eval(n, x))(&(net.clone(), x.clone()));
    assert_close_with(
        &f64s(&jitted),
        &f64s(&eager),
        Tol::allclose(1e-6, 1e-7),
        "jit",
    );
    // One image at a time under vmap is the batched forward.
    let per_image = vmap(|x: &Tensor| eval(&net, x))(&x);
    assert_eq!(per_image.shape(), &[3, 10]);
    assert_close_with(
        &f64s(&per_image),
        &f64s(&eager),
        Tol::allclose(1e-6, 1e-7),
        "vmap",
    );
    // The jitted gradient is the eager one.
    let labels = g("labels");
    let loss = |p: &LeNet5| mean_ce(p, &x, &labels);
    let eager_g = grad(loss)(&net);
    let jit_g = jit(|p: &LeNet5| grad(loss)(p))(&net);
    for (a, b) in eager_g.leaves().iter().zip(jit_g.leaves()) {
        assert_close_with(&f64s(a), &f64s(&b), Tol::allclose(1e-5, 1e-7), "jit(grad)");
    }
}

/// A plain-Rust MLP forward: row-major matmuls, ReLU between layers.
fn reference_mlp(mlp: &Mlp, x: &[f32], n: usize) -> Vec<f64> {
    let mut h: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let mut width = x.len() / n;
    for (li, l) in mlp.layers.iter().enumerate() {
        let w = l.kernel.to_vec::<f32>();
        let b = l.bias.as_ref().unwrap().to_vec::<f32>();
        let out = b.len();
        let mut next = vec![0.0f64; n * out];
        for r in 0..n {
            for (o, &bo) in b.iter().enumerate() {
                let mut s = bo as f64;
                for i in 0..width {
                    s += h[r * width + i] * w[i * out + o] as f64;
                }
                next[r * out + o] = if li + 1 < mlp.layers.len() {
                    s.max(0.0)
                } else {
                    s
                };
            }
        }
        h = next;
        width = out;
    }
    h
}

#[test]
fn mlp_matches_a_plain_rust_forward_and_flattens_images() {
    let mlp = Mlp::new(&random::key(5), &[12, 7, 5, 3]);
    assert_eq!(mlp.layers.len(), 3);
    let x = fixed(&[4, 2, 6, 1], 12, 1.0);
    let y = eval(&mlp, &x);
    assert_eq!(y.shape(), &[4, 3]);
    let want = reference_mlp(&mlp, &x.to_vec::<f32>(), 4);
    assert_close_with(&f64s(&y), &want, Tol::allclose(1e-5, 1e-6), "Mlp");
    assert_eq!(
        Mlp::mnist(&random::key(0))
            .leaves()
            .iter()
            .map(|l| l.size())
            .sum::<usize>(),
        784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10
    );
}

#[test]
fn mlp_gradients_match_finite_differences_and_jit() {
    let mlp = Mlp::new(&random::key(6), &[5, 4, 3]);
    // f64 copies for the finite differences.
    let mlp64 = Mlp {
        layers: mlp
            .layers
            .iter()
            .map(|l| ferrax::nn::Linear {
                kernel: l.kernel.cast(DType::F64),
                bias: l.bias.as_ref().map(|b| b.cast(DType::F64)),
            })
            .collect(),
    };
    let x = fixed(&[6, 5], 13, 1.0).cast(DType::F64);
    ferrax::test_util::check_grads(|m: &Mlp| eval(m, &x).tanh().sum(), &mlp64, 1);
    let xf = fixed(&[6, 5], 13, 1.0);
    let loss = |m: &Mlp| eval(m, &xf).powi(2).mean();
    let (e, j) = (grad(loss)(&mlp), jit(|m: &Mlp| grad(loss)(m))(&mlp));
    for (a, b) in e.leaves().iter().zip(j.leaves()) {
        assert_close_with(&f64s(a), &f64s(&b), Tol::allclose(1e-5, 1e-7), "jit(grad)");
    }
}

#[test]
#[should_panic(expected = "models::Mlp::new: need at least an input and an output size")]
fn mlp_needs_two_sizes() {
    Mlp::new(&random::key(0), &[3]);
}

#[test]
fn freezing_by_key_path_leaves_frozen_parameters_bitwise_unchanged() {
    use ferrax::optim::{self, GradientTransformation, Labels};
    let net = LeNet5::new(&random::key(7)).replace_head(&random::key(8), 4);
    let x = &fixed(&[6, 28, 28, 1], 14, 0.5) + 0.5f32;
    let y = Tensor::from_vec(vec![0i32, 1, 2, 3, 0, 1], &[6]);
    let opt = optim::multi_transform(
        (("train", optim::adam(1e-2)), ("frozen", optim::scale(0.0))),
        Labels::new(|path, _| {
            if path.to_string().starts_with(".head") {
                "train"
            } else {
                "frozen"
            }
        }),
    );
    let mut state = opt.init(&net);
    let mut p = net.clone();
    let loss =
        |p: &LeNet5| losses::softmax_cross_entropy_with_integer_labels(&eval(p, &x), &y).mean();
    let first = loss(&p).item::<f64>();
    for _ in 0..3 {
        let g = grad(loss)(&p);
        let (u, s) = opt.update(&g, &state, &p);
        p = optim::apply_updates(&p, &u);
        state = s;
    }
    assert!(loss(&p).item::<f64>() < first, "the head did not learn");
    for ((path, before), after) in net.flatten_with_path().iter().zip(p.leaves()) {
        let path = path.to_string();
        if path.starts_with(".head") {
            assert_ne!(
                before.to_vec::<f32>(),
                after.to_vec::<f32>(),
                "{path} did not move"
            );
        } else {
            assert_eq!(
                before.to_vec::<f32>(),
                after.to_vec::<f32>(),
                "{path} moved"
            );
        }
    }
}
