//! A tour of ferrax as it stands: tensors, eager ops with numpy broadcasting, the strict lax
//! layer, and jaxprs printed in JAX's format. It grows with the library (grad, vmap and jit
//! join it as they land).

use ferrax::prelude::*;
use ferrax::{lax, nn, numpy as jnp};

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
}
