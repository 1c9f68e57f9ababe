//! Deterministic test inputs: the same seed gives the same values on every run and thread.

use ferrax::prelude::*;

/// `n` deterministic values in [-1, 1) (a 64-bit LCG, top 24 bits).
pub fn vals(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// An f32 tensor of `shape` filled with [`vals`].
pub fn t(shape: &[usize], seed: u64) -> Tensor {
    Tensor::from_vec(vals(shape.iter().product(), seed), shape)
}
