//! Proptest strategies shared by several binaries.

use proptest::prelude::*;

/// `n` pairwise distinct values (gaps of at least 0.15, far above the finite-difference
/// step), in random order, so a maximum or minimum is unique and stays put under the
/// finite-difference perturbation.
pub fn distinct(n: usize) -> impl Strategy<Value = Vec<f64>> {
    (
        Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
        prop::collection::vec(0.0..0.1f64, n),
    )
        .prop_map(move |(perm, jitter)| {
            perm.iter()
                .zip(&jitter)
                .map(|(&p, &j)| (p as f64 - n as f64 / 2.0) * 0.25 + j)
                .collect()
        })
}
