//! A tour of ferrax as it stands: tensors, eager ops with numpy broadcasting, the strict lax
//! layer, jaxprs printed in JAX's format, pytrees, automatic differentiation, vmap, control
//! flow and random numbers. It grows with the library (jit joins it when it lands).

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

    println!("\n== vmap");
    let per_example = vmap(grad(|x: &Tensor| (x.sin() * x).sum()))(&batch);
    println!("per-example gradients (one traced call, no loop):\n{per_example}");
    let rows = vmap_with(
        |(m, v): &(Tensor, Tensor)| m.matmul(v),
        VmapSpec::new().in_axes((0, AxisSpec::NotMapped)),
    );
    let v = Tensor::ones(&[3], DType::F32);
    println!("{}", make_jaxpr(&rows)(&(batch.clone(), v)));

    println!("\n== control flow");
    let (h, hs) = lax::scan(
        |h: &Tensor, x: &Tensor| {
            let h2 = (h * 0.5 + x).tanh();
            (h2.clone(), h2)
        },
        &Tensor::scalar(0.0f32),
        &x,
    );
    println!("scan: final {h}, all {hs}");
    let c = lax::fori_loop(
        0,
        10,
        |_i: &Tensor, c: &Tensor| c * 2.0,
        &Tensor::scalar(1.0f32),
    );
    println!("fori_loop doubling 10 times: {c}");
    println!(
        "{}",
        make_jaxpr(|(p, x): &(Tensor, Tensor)| lax::cond(
            p,
            |x: &Tensor| x.sin(),
            |x: &Tensor| x.cos(),
            x
        ))(&(Tensor::scalar(true), Tensor::scalar(1.0f32)))
    );

    println!("\n== random (bit-compatible with jax.random)");
    let key = ferrax::random::key(42);
    println!(
        "uniform(key(42), 5) = {}",
        ferrax::random::uniform(&key, &[5])
    );
    println!(
        "normal(key(42), 3)  = {}",
        ferrax::random::normal(&key, &[3])
    );
    println!(
        "split(key(0), 2)    =\n{}",
        ferrax::random::split(&ferrax::random::key(0), 2)
    );
}
