//! A tour of ferrax as it stands: tensors, eager ops with numpy broadcasting, the strict lax
//! layer, jaxprs printed in JAX's format, pytrees, and automatic differentiation. It grows
//! with the library (vmap and jit join it as they land).

use ferrax::prelude::*;
use ferrax::test_util::check_grads;
use ferrax::{lax, nn, numpy as jnp};

/// Model parameters are plain structs deriving `PyTree`.
#[derive(PyTree, Clone, Debug)]
struct Linear {
    w: Tensor,
    b: Tensor,
}

#[derive(PyTree, Clone, Debug)]
struct Mlp {
    layers: Vec<Linear>,
}

fn forward(model: &Mlp, x: &Tensor) -> Tensor {
    let mut h = x.clone();
    for (i, layer) in model.layers.iter().enumerate() {
        h = h.matmul(&layer.w) + &layer.b;
        if i + 1 < model.layers.len() {
            h = h.tanh();
        }
    }
    h
}

fn main() {
    println!("== tensors");
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let m = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    println!("x = {x}");
    println!("m = {m:?}");
    println!("eye(3) =\n{}", Tensor::eye(3, DType::F32));
    println!(
        "linspace(0, 1, 5) = {}",
        Tensor::linspace(0.0, 1.0, 5, DType::F32)
    );

    println!("\n== eager ops (numpy broadcasting, weak scalars)");
    println!("m + x =\n{}", &m + &x);
    println!("sum(sin(x) * 2) = {}", (x.sin() * 2.0).sum());
    println!("m @ x = {}", m.matmul(&x));
    println!("mean over rows = {}", m.mean_axes(&[0]));
    println!("softmax(x) = {}", nn::softmax(&x, -1));
    println!("argmax(m, -1) = {}", m.argmax(-1));
    println!(
        "where(x > 1.5, x, 0) = {}",
        jnp::where_(&x.gt(1.5), &x, 0.0)
    );
    println!(
        "i32 / i32 (truncates, as lax.div) = {}",
        lax::div(&Tensor::from_vec(vec![-7, 7], &[2]), &Tensor::scalar(2))
    );

    println!("\n== jaxprs");
    let f = |(x, y): &(Tensor, Tensor)| ((x.sin() * 2.0 + y) * x).sum();
    println!("{}", make_jaxpr(f)(&(x.clone(), x.clone())));
    let w = Tensor::zeros(&[3, 4], DType::F32);
    let b = Tensor::zeros(&[4], DType::F32);
    let layer = |(x, w, b): &(Tensor, Tensor, Tensor)| (x.matmul(w) + b).tanh();
    println!("{}", make_jaxpr(layer)(&(m.clone(), w, b)));
    println!("{}", make_jaxpr(|x: &Tensor| nn::log_softmax(x, -1))(&m));

    println!("\n== automatic differentiation");
    let f = |x: &Tensor| (x.sin() * x).sum();
    println!("grad(sum(sin(x) * x)) = {}", grad(f)(&x));
    println!("hessian = \n{}", hessian(f)(&x));
    let (y, dy) = jvp(|x: &Tensor| x.exp(), &x, &Tensor::ones(&[3], DType::F32));
    println!("jvp(exp): y = {y}, dy = {dy}");
    println!(
        "d^3/dx^3 sin at 0 = {}",
        grad(grad(grad(|x: &Tensor| x.sin())))(&Tensor::scalar(0.0f32))
    );
    println!("{}", make_jaxpr(grad(f))(&x));

    println!("\n== pytrees");
    let model = Mlp {
        layers: vec![
            Linear {
                w: Tensor::full(&[3, 4], 0.1, DType::F32),
                b: Tensor::zeros(&[4], DType::F32),
            },
            Linear {
                w: Tensor::full(&[4, 2], -0.2, DType::F32),
                b: Tensor::zeros(&[2], DType::F32),
            },
        ],
    };
    println!("structure: {}", model.treedef());
    let batch = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, -1.0, 0.5, 0.0], &[2, 3]);
    let loss = |p: &Mlp| forward(p, &batch).square().mean();
    let (value, grads) = value_and_grad(loss)(&model);
    println!("loss = {value}");
    for (path, g) in ferrax::tree::tree_flatten_with_path(&grads) {
        println!("  d loss / d{path}: shape {:?}", g.shape());
    }
    let sgd = ferrax::tree::tree_map2(&model, &grads, |p, g| p - g * 0.1);
    println!("after one SGD step: loss = {}", loss(&sgd));
    check_grads(loss, &model, 1);
    println!("check_grads: forward and reverse mode agree with finite differences");
}
