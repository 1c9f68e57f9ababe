//! Shared bench data: deterministic inputs and the reference MLP cases (64-128-10 and 784-512-512-10).
#![allow(dead_code)] // each bench uses a subset

use ferrax::prelude::*;
use ferrax::{nn, numpy as jnp};

/// Deterministic pseudo-random values in [-scale, scale).
pub fn values(n: usize, seed: u64, scale: f64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (((s >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0) as f32 * scale as f32
        })
        .collect()
}

/// A deterministic f32 tensor of `shape` with values in [-scale, scale).
pub fn tensor(shape: &[usize], seed: u64, scale: f64) -> Tensor {
    Tensor::from_vec(values(shape.iter().product(), seed, scale), shape)
}

/// Dense layers `(w, b)` for the given widths, scaled like lecun init.
pub fn mlp_params(widths: &[usize]) -> Vec<(Tensor, Tensor)> {
    widths
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let scale = (3.0 / w[0] as f64).sqrt();
            (
                tensor(&[w[0], w[1]], i as u64 + 1, scale),
                Tensor::zeros(&[w[1]], DType::F32),
            )
        })
        .collect()
}

/// A batch `(x, onehot labels)` for an MLP with `d_in` inputs and `classes` outputs.
pub fn batch(n: usize, d_in: usize, classes: usize) -> (Tensor, Tensor) {
    let x = tensor(&[n, d_in], 100, 1.0);
    let labels = Tensor::from_vec(
        (0..n as i32)
            .map(|i| i % classes as i32)
            .collect::<Vec<_>>(),
        &[n],
    );
    (x, jnp::one_hot(&labels, classes))
}

/// Mean softmax cross-entropy of an MLP with `act` between layers.
pub fn mlp_loss(
    params: &[(Tensor, Tensor)],
    x: &Tensor,
    onehot: &Tensor,
    act: fn(&Tensor) -> Tensor,
) -> Tensor {
    let mut h = x.clone();
    for (i, (w, b)) in params.iter().enumerate() {
        h = h.matmul(w) + b;
        if i + 1 < params.len() {
            h = act(&h);
        }
    }
    -(nn::log_softmax(&h, -1) * onehot).sum() / x.shape()[0] as f64
}

pub fn tanh(x: &Tensor) -> Tensor {
    x.tanh()
}

pub fn relu(x: &Tensor) -> Tensor {
    nn::relu(x)
}

/// A synthetic MNIST-shaped training set: 60,000 images of `image_shape` u8 pixels (784 of
/// them) and i32 labels 0-9 from a fixed seed; the MNIST rows time an epoch, not accuracy.
pub fn synthetic_mnist(image_shape: &[usize]) -> (Tensor, Tensor) {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as u32
    };
    let n = 60_000;
    let pixels: Vec<u8> = (0..n * 784).map(|_| (next() >> 8) as u8).collect();
    let labels: Vec<i32> = (0..n).map(|_| (next() % 10) as i32).collect();
    let shape: Vec<usize> = std::iter::once(n)
        .chain(image_shape.iter().copied())
        .collect();
    (
        Tensor::from_vec(pixels, &shape),
        Tensor::from_vec(labels, &[n]),
    )
}
