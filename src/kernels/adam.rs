//! The Adam/AdamW update as one memory-bound pass: for every element, one read of the
//! parameter, the gradient and both moments, and one write of the parameter and both moments,
//! in place. The arithmetic is optax's chain `scale_by_adam` → (`add_decayed_weights`) →
//! `scale_by_learning_rate` → `apply_updates`, op for op in the same order and precision (no
//! contraction into FMAs), so the result is bitwise the chain's.
//!
//! Large groups are cut into pieces run on the rayon pool; the pieces never straddle leaves'
//! boundaries, and each element is computed alone, so the split does not change any bit.

use super::parallel::{chunk_len, elementwise_ns, should_parallelize, split_on_pool};
use std::ops::{Add, Div, Mul};

/// The float types the update runs in (f32, f64).
pub trait AdamFloat:
    Copy + Send + Sync + Add<Output = Self> + Mul<Output = Self> + Div<Output = Self> + 'static
{
    /// The square root, correctly rounded.
    fn sqrt(self) -> Self;
    /// `v` rounded to this type (as a weak-typed Python float operand is).
    fn from_f64(v: f64) -> Self;
}

impl AdamFloat for f32 {
    #[inline(always)]
    fn sqrt(self) -> f32 {
        f32::sqrt(self)
    }
    #[inline(always)]
    fn from_f64(v: f64) -> f32 {
        v as f32
    }
}

impl AdamFloat for f64 {
    #[inline(always)]
    fn sqrt(self) -> f64 {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn from_f64(v: f64) -> f64 {
        v
    }
}

/// The per-step constants of one update, in the leaves' dtype.
///
/// ```
/// use ferrax::internals::kernels::adam::{adam_update_leaves, AdamCoeffs, AdamLeaf};
/// let c = AdamCoeffs::<f32>::new([0.9, 0.999, 1e-8, 0.0], [0.1, 0.001, -0.1, 0.0], false);
/// let (mut p, g, mut mu, mut nu) = (vec![1.0f32], vec![2.0f32], vec![0.0f32], vec![0.0f32]);
/// adam_update_leaves(&c, vec![AdamLeaf { p: &mut p, g: &g, mu: &mut mu, nu: &mut nu }]);
/// // The first step moves each parameter by about the learning rate against its gradient.
/// assert!((p[0] - 0.9).abs() < 1e-6);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AdamCoeffs<F> {
    one_minus_b1: F,
    b1: F,
    one_minus_b2: F,
    b2: F,
    eps: F,
    eps_root: F,
    bc1: F,
    bc2: F,
    neg_lr: F,
    wd: F,
    decay: bool,
}

impl<F: AdamFloat> AdamCoeffs<F> {
    /// `[b1, b2, eps, eps_root]` (rounded to `F` as optax's weak-typed constants are) and the
    /// step's scalars `[1 - b1^t, 1 - b2^t, -lr, weight_decay]`, already in `F`; `decay`
    /// adds `weight_decay * p` to the update (AdamW).
    pub fn new(hyper: [f64; 4], step: [F; 4], decay: bool) -> AdamCoeffs<F> {
        let [b1, b2, eps, eps_root] = hyper;
        let [bc1, bc2, neg_lr, wd] = step;
        AdamCoeffs {
            one_minus_b1: F::from_f64(1.0 - b1),
            b1: F::from_f64(b1),
            one_minus_b2: F::from_f64(1.0 - b2),
            b2: F::from_f64(b2),
            eps: F::from_f64(eps),
            eps_root: F::from_f64(eps_root),
            bc1,
            bc2,
            neg_lr,
            wd,
            decay,
        }
    }
}

/// One leaf's buffers: the parameter and moments updated in place, the gradient read.
#[derive(Debug)]
pub struct AdamLeaf<'a, F> {
    /// The parameter (overwritten by the new parameter).
    pub p: &'a mut [F],
    /// The gradient.
    pub g: &'a [F],
    /// The first moment (overwritten).
    pub mu: &'a mut [F],
    /// The second moment (overwritten).
    pub nu: &'a mut [F],
}

/// The update of one piece, `DECAY` chosen outside the loop so the loop vectorizes.
#[inline(always)]
fn piece<F: AdamFloat, const DECAY: bool>(c: &AdamCoeffs<F>, l: AdamLeaf<'_, F>) {
    let n = l.p.len();
    let (p, g, mu, nu) = (l.p, &l.g[..n], &mut l.mu[..n], &mut l.nu[..n]);
    for i in 0..n {
        let gi = g[i];
        // update_moment: g * (1 - b1) + mu * b1; g^2 * (1 - b2) + nu * b2.
        let m = gi * c.one_minus_b1 + mu[i] * c.b1;
        let v = gi * gi * c.one_minus_b2 + nu[i] * c.b2;
        mu[i] = m;
        nu[i] = v;
        // bias_correction, then m / (sqrt(v + eps_root) + eps).
        let mut u = (m / c.bc1) / ((v / c.bc2 + c.eps_root).sqrt() + c.eps);
        if DECAY {
            u = u + p[i] * c.wd;
        }
        p[i] = p[i] + u * c.neg_lr;
    }
}

fn run<F: AdamFloat>(c: &AdamCoeffs<F>, l: AdamLeaf<'_, F>) {
    if c.decay {
        piece::<F, true>(c, l)
    } else {
        piece::<F, false>(c, l)
    }
}

/// Updates every leaf in place (see the [module docs](self)), on the rayon pool when the
/// group is large enough to pay for it.
///
/// Panics if a leaf's four buffers differ in length.
pub fn adam_update_leaves<F: AdamFloat>(c: &AdamCoeffs<F>, leaves: Vec<AdamLeaf<'_, F>>) {
    for l in &leaves {
        assert!(
            l.g.len() == l.p.len() && l.mu.len() == l.p.len() && l.nu.len() == l.p.len(),
            "adam_update: a leaf's parameter, gradient and moments differ in length ({}, {}, \
             {}, {})",
            l.p.len(),
            l.g.len(),
            l.mu.len(),
            l.nu.len()
        );
    }
    let total: usize = leaves.iter().map(|l| l.p.len()).sum();
    let cost = elementwise_ns(7 * total);
    if !(should_parallelize(cost) || split_on_pool(cost)) {
        leaves.into_iter().for_each(|l| run(c, l));
        return;
    }
    let len = chunk_len(total, 16 * 1024);
    let mut pieces = Vec::with_capacity(total / len + leaves.len());
    for l in leaves {
        let it =
            l.p.chunks_mut(len)
                .zip(l.g.chunks(len))
                .zip(l.mu.chunks_mut(len))
                .zip(l.nu.chunks_mut(len));
        pieces.extend(it.map(|(((p, g), mu), nu)| AdamLeaf { p, g, mu, nu }));
    }
    use rayon::prelude::*;
    pieces.into_par_iter().for_each(|l| run(c, l));
}
