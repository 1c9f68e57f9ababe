//! [`Bidirectional`] (flax.linen's `Bidirectional`): a forward and a backward recurrent layer
//! over the same batch-major sequence, outputs concatenated on the feature axis, with
//! per-example sequence lengths respected as flax's `RNN(seq_lengths=...)` does.

use super::module::{Ctx, Module};
use super::recurrent::{Gru, GruCell, Lstm, LstmCell, RecurrentCell, Rnn, RnnCell};
use crate::lax;
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};
use crate::tree::tree_map2;
use crate::PyTree;

/// A whole-sequence recurrent layer: the cell it runs (implemented by [`Rnn`], [`Lstm`] and
/// [`Gru`]; implement it for a layer of your own to use it in [`Bidirectional`]).
///
/// ```
/// use ferrax::nn::{Lstm, RecurrentLayer};
/// let l = Lstm::new(&ferrax::random::key(0), 3, 4);
/// assert_eq!(l.cell().hidden(), 4);
/// ```
pub trait RecurrentLayer {
    /// The cell run at each step.
    type Cell: RecurrentCell;
    /// The layer's cell.
    fn cell(&self) -> &Self::Cell;
}

macro_rules! recurrent_layer {
    ($($layer:ident => $cell:ident),*) => {$(
        /// The layer's `cell` field.
        impl RecurrentLayer for $layer {
            type Cell = $cell;
            fn cell(&self) -> &$cell {
                &self.cell
            }
        }
    )*};
}
recurrent_layer!(Rnn => RnnCell, Lstm => LstmCell, Gru => GruCell);

/// flax's `flip_sequences`: `xs[.., T, F]` with each example's first `lengths[b]` steps
/// reversed (and its padding after them reversed too); the same call undoes it.
#[track_caller]
fn flip_sequences(xs: &Tensor, lengths: Option<&Tensor>) -> Tensor {
    let nd = xs.ndim();
    let t = xs.shape()[nd - 2];
    match lengths {
        None => jnp::flip(xs, Some(&[nd as isize - 2])),
        Some(len) => {
            // idx[b, s] = (len[b] - 1 - s) mod T, broadcast over the feature axis.
            let s = lax::iota(DType::I32, &[t], 0);
            let len = jnp::expand_dims(&len.cast(DType::I32), -1);
            let idx = jnp::remainder(len - 1 - s + t as i32, t as i32);
            let idx = jnp::broadcast_to(&jnp::expand_dims(&idx, -1), xs.shape());
            jnp::take_along_axis(xs, &idx, -2)
        }
    }
}

/// Runs `cell` over `xs[.., T, in]` from `carry`; with `lengths`, the carry stops changing
/// after each example's length (flax's masked carry), so the final carry is the one at the
/// last valid step.
#[track_caller]
fn run<C: RecurrentCell>(
    cell: &C,
    carry: &C::Carry,
    xs: &Tensor,
    lengths: Option<&Tensor>,
) -> (C::Carry, Tensor) {
    let Some(len) = lengths else {
        return super::recurrent::scan_cell(cell, carry, xs);
    };
    let nd = xs.ndim();
    let t = xs.shape()[nd - 2];
    let time_major = cell.project_inputs(&jnp::moveaxis(xs, -2, 0));
    let steps = lax::iota(DType::I32, &[t], 0);
    // [..batch, 1]: broadcasts against every carry leaf `[..batch, hidden]`.
    let len = jnp::expand_dims(&len.cast(DType::I32), -1);
    let (c, ys) = lax::scan(
        |c: &C::Carry, (x, s): &(Tensor, Tensor)| {
            let (new, y) = cell.step_projected(c, x);
            let valid = len.gt(s);
            (tree_map2(&new, c, |n, o| jnp::where_(&valid, n, o)), y)
        },
        carry,
        &(time_major, steps),
    );
    (c, jnp::moveaxis(&ys, 0, -2))
}

/// A bidirectional recurrent layer (`flax.linen.Bidirectional`): `forward` reads the sequence
/// in order, `backward` reads it reversed (each example's valid prefix, when sequence lengths
/// are given) and its outputs are put back in order; the two outputs are concatenated on the
/// feature axis, `[.., T, hidden_f + hidden_b]`. Both start from zero carries.
///
/// ```
/// use ferrax::nn::{Bidirectional, Ctx, Gru, Lstm, Module};
/// use ferrax::prelude::*;
/// let [kf, kb] = ferrax::random::split_n(&ferrax::random::key(0));
/// let bi = Bidirectional::new(Lstm::new(&kf, 3, 4), Gru::new(&kb, 3, 5));
/// let y = bi.forward(&Tensor::ones(&[2, 7, 3], DType::F32), &mut Ctx::eval());
/// assert_eq!(y.shape(), &[2, 7, 9]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct Bidirectional<F, B> {
    pub forward: F,
    pub backward: B,
}

impl<F: RecurrentLayer, B: RecurrentLayer> Bidirectional<F, B> {
    /// The two directions.
    ///
    /// ```
    /// use ferrax::nn::{Bidirectional, Rnn};
    /// let bi = Bidirectional::new(Rnn::new(&ferrax::random::key(0), 2, 3), Rnn::new(&ferrax::random::key(1), 2, 3));
    /// assert_eq!(bi.backward.cell.wh.shape(), &[3, 3]);
    /// ```
    pub fn new(forward: F, backward: B) -> Self {
        Bidirectional { forward, backward }
    }

    /// The final carries of both directions and the concatenated outputs of
    /// `xs[..batch, T, in]` (flax's `return_carry=True`); `seq_lengths` (integers `[..batch]`)
    /// gives each example's valid length: the backward direction reverses only that prefix,
    /// and each carry is the one after the example's last valid step. Outputs at padded steps
    /// are computed but meaningless (as flax's).
    ///
    /// ```
    /// use ferrax::nn::{Bidirectional, Ctx, Rnn};
    /// use ferrax::prelude::*;
    /// let bi = Bidirectional::new(Rnn::new(&ferrax::random::key(0), 2, 3), Rnn::new(&ferrax::random::key(1), 2, 3));
    /// let xs = Tensor::ones(&[2, 5, 2], DType::F32);
    /// let lengths = Tensor::from_vec(vec![5i32, 3], &[2]);
    /// let ((hf, hb), ys) = bi.forward_with_carry(&xs, Some(&lengths), &mut Ctx::eval());
    /// assert_eq!((hf.shape(), hb.shape(), ys.shape()), (&[2usize, 3][..], &[2usize, 3][..], &[2usize, 5, 6][..]));
    /// ```
    #[allow(clippy::type_complexity)]
    #[track_caller]
    pub fn forward_with_carry(
        &self,
        xs: &Tensor,
        seq_lengths: Option<&Tensor>,
        _cx: &mut Ctx,
    ) -> (
        (
            <F::Cell as RecurrentCell>::Carry,
            <B::Cell as RecurrentCell>::Carry,
        ),
        Tensor,
    ) {
        let nd = xs.ndim();
        assert!(
            nd >= 2,
            "nn::Bidirectional: expected a batch-major sequence [..batch, T, features], got {} \
             (called from {})",
            xs.aval(),
            std::panic::Location::caller()
        );
        let batch = &xs.shape()[..nd - 2];
        if let Some(len) = seq_lengths {
            assert!(
                len.dtype().is_int() && len.shape() == batch,
                "nn::Bidirectional: seq_lengths must be integers of the batch shape {batch:?}, \
                 got {} for input {} (called from {})",
                len.aval(),
                xs.aval(),
                std::panic::Location::caller()
            );
        }
        let (fc, bc) = (self.forward.cell(), self.backward.cell());
        let (carry_f, ys_f) = run(fc, &fc.initial_carry(batch), xs, seq_lengths);
        let reversed = flip_sequences(xs, seq_lengths);
        let (carry_b, ys_b) = run(bc, &bc.initial_carry(batch), &reversed, seq_lengths);
        let ys_b = flip_sequences(&ys_b, seq_lengths);
        ((carry_f, carry_b), jnp::concatenate(&[ys_f, ys_b], -1))
    }
}

impl<F: RecurrentLayer, B: RecurrentLayer> Module for Bidirectional<F, B> {
    /// The concatenated outputs `[..batch, T, hidden_f + hidden_b]` of full-length sequences.
    #[track_caller]
    fn forward(&self, xs: &Tensor, cx: &mut Ctx) -> Tensor {
        self.forward_with_carry(xs, None, cx).1
    }
}
