//! Connectionist temporal classification (optax's `ctc_loss`): the forward recursion over the
//! label lattice in log space, as a `scan` over time, so it differentiates, batches and jits.

use super::check_float;
use crate::lax;
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};

/// The CTC loss and its forward variables (optax's `ctc_loss_with_forward_probs`): returns
/// `(per_seq_loss [B], logalpha_phi [T, B, N+1], logalpha_emit [T, B, N])`, the log-probabilities
/// of the lattice states ending in a blank after `n` labels, and in label `n`.
///
/// `logits [B, T, K]` with `logit_paddings [B, T]` (1 for padding frames), `labels [B, N]`
/// (integers) with `label_paddings [B, N]`; `blank_id` is the blank class and `log_epsilon`
/// stands for `log 0` (optax's defaults: `0`, `-1e5`).
///
/// ```
/// use ferrax::prelude::*;
/// let logits = Tensor::zeros(&[1, 2, 2], DType::F32);
/// let pads = Tensor::zeros(&[1, 2], DType::F32);
/// let labels = Tensor::from_vec(vec![1], &[1, 1]);
/// let lpads = Tensor::zeros(&[1, 1], DType::F32);
/// let (loss, phi, emit) = ferrax::losses::ctc_loss_with_forward_probs(&logits, &pads, &labels, &lpads, 0, -1e5);
/// // Three alignments of probability 1/4 each: "1 1", "_ 1", "1 _".
/// assert!((loss.to_vec::<f32>()[0] - (4.0f32 / 3.0).ln()).abs() < 1e-5);
/// assert_eq!((phi.shape(), emit.shape()), (&[2usize, 1, 2][..], &[2usize, 1, 1][..]));
/// ```
#[track_caller]
pub fn ctc_loss_with_forward_probs(
    logits: &Tensor,
    logit_paddings: &Tensor,
    labels: &Tensor,
    label_paddings: &Tensor,
    blank_id: usize,
    log_epsilon: f64,
) -> (Tensor, Tensor, Tensor) {
    let op = "ctc_loss";
    check_float(op, logits);
    assert!(
        logits.ndim() == 3
            && labels.ndim() == 2
            && labels.shape() == label_paddings.shape()
            && logit_paddings.shape() == &logits.shape()[..2]
            && labels.shape()[0] == logits.shape()[0],
        "losses::{op}: needs logits [B, T, K], logit_paddings [B, T], labels and label_paddings \
         [B, N]; got {:?}, {:?}, {:?}, {:?}",
        logits.shape(),
        logit_paddings.shape(),
        labels.shape(),
        label_paddings.shape()
    );
    let (b, k) = (logits.shape()[0], logits.shape()[2]);
    let n = labels.shape()[1];
    assert!(
        blank_id < k,
        "losses::{op}: blank_id {blank_id} is not one of the {k} classes"
    );
    let dt = logits.dtype();
    let logprobs = crate::nn::log_softmax(logits, -1);
    let labellens = -jnp::sum(&label_paddings.cast(dt), Some(&[1])).cast(DType::I32) + n as i32;
    let labels = labels.cast(DType::I32);
    let repeat = if n > 1 {
        let same = jnp::equal(
            labels.slice_axis(1, 0, n as isize - 1),
            labels.slice_axis(1, 1, n as isize),
        );
        jnp::pad(&same.cast(dt), &[(0, 0), (0, 1)])
    } else {
        Tensor::zeros(&[b, n], dt)
    };
    let phi_lp = jnp::transpose(
        &logprobs.slice_axis(2, blank_id as isize, blank_id as isize + 1),
        &[1, 0, 2],
    );
    let one_hot = jnp::one_hot(&labels, k).cast(dt);
    let emit_lp = jnp::transpose(
        &jnp::einsum("btk,bnk->btn", &[logprobs, one_hot]),
        &[1, 0, 2],
    );
    let eps = log_epsilon;
    let first = lax::iota(DType::I32, &[n + 1], 0).eq(0);
    let phi0 = jnp::broadcast_to(
        &jnp::where_(&first, Tensor::zeros(&[], dt), Tensor::full(&[], eps, dt)),
        &[b, n + 1],
    );
    let emit0 = jnp::broadcast_to(&Tensor::full(&[], eps, dt), &[b, n]);
    let update_phi = |phi: &Tensor, added: &Tensor| {
        jnp::concatenate(
            &[
                phi.slice_axis(1, 0, 1),
                jnp::logaddexp(phi.slice_axis(1, 1, n as isize + 1), added),
            ],
            -1,
        )
    };
    let pads = jnp::transpose(&logit_paddings.cast(dt), &[1, 0]);
    let body = |(prev_phi, prev_emit): &(Tensor, Tensor),
                (lp_emit, lp_phi, pad): &(Tensor, Tensor, Tensor)| {
        let phi = update_phi(prev_phi, &(prev_emit + &repeat * eps));
        let next_emit = jnp::logaddexp(
            phi.slice_axis(1, 0, n as isize) + lp_emit,
            prev_emit + lp_emit,
        );
        let next_phi = &phi + lp_phi;
        let next_phi = update_phi(&next_phi, &(prev_emit + lp_phi + (-&repeat + 1.0) * eps));
        let pad = jnp::reshape(pad, &[b as isize, 1]);
        let keep = -&pad + 1.0;
        let next_emit = &pad * prev_emit + &keep * next_emit;
        let next_phi = &pad * prev_phi + &keep * next_phi;
        ((next_phi.clone(), next_emit.clone()), (next_phi, next_emit))
    };
    let (_, (phis, emits)) = lax::scan(body, &(phi0, emit0), &(emit_lp, phi_lp, pads));
    let t = phis.shape()[0];
    let last_phi = phis.index_axis(0, t as isize - 1);
    let last_emit = emits.index_axis(0, t as isize - 1);
    let last = update_phi(&last_phi, &last_emit);
    let phis = jnp::concatenate(
        &[
            phis.slice_axis(0, 0, t as isize - 1),
            jnp::expand_dims(&last, 0),
        ],
        0,
    );
    let sel = jnp::one_hot(&labellens, n + 1).cast(dt);
    let loss = -jnp::einsum("bn,bn->b", &[last, sel]);
    (loss, phis, emits)
}

/// The CTC loss per sequence (optax's `ctc_loss`): `-log p(labels | logits)` summed over every
/// alignment, computed by the forward recursion (see [`ctc_loss_with_forward_probs`] for the
/// arguments). Differentiable in `logits`.
///
/// ```
/// use ferrax::prelude::*;
/// let logits = Tensor::zeros(&[1, 3, 3], DType::F32);
/// let pads = Tensor::zeros(&[1, 3], DType::F32);
/// let labels = Tensor::from_vec(vec![1, 2], &[1, 2]);
/// let lpads = Tensor::zeros(&[1, 2], DType::F32);
/// let l = ferrax::losses::ctc_loss(&logits, &pads, &labels, &lpads, 0, -1e5);
/// // 5 alignments of "1 2" in 3 frames, each of probability 1/27.
/// assert!((l.to_vec::<f32>()[0] - (27.0f32 / 5.0).ln()).abs() < 1e-4);
/// ```
#[track_caller]
pub fn ctc_loss(
    logits: &Tensor,
    logit_paddings: &Tensor,
    labels: &Tensor,
    label_paddings: &Tensor,
    blank_id: usize,
    log_epsilon: f64,
) -> Tensor {
    ctc_loss_with_forward_probs(
        logits,
        logit_paddings,
        labels,
        label_paddings,
        blank_id,
        log_epsilon,
    )
    .0
}
