//! Recurrent cells ([`RnnCell`], [`LstmCell`], [`GruCell`], with flax.linen's equations and
//! initialisers) and whole-sequence layers ([`Rnn`], [`Lstm`], [`Gru`]) that run a cell with
//! one `lax::scan` (so a sequence is one loop equation, differentiable and batchable).
//!
//! Sequences are batch-major, `[..batch, T, features]` (flax's `nn.RNN` default), or time-major
//! through [`scan_cell_time_major`].

use super::init;
use super::layers::dense;
use super::module::{Ctx, Module};
use crate::lax;
use crate::numpy as jnp;
use crate::random;
use crate::tensor::Tensor;
use crate::PyTree;

/// A recurrent cell: one step `(carry, x[.., in]) -> (carry, y[.., hidden])`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{RecurrentCell, GruCell};
/// let cell = GruCell::new(&ferrax::random::key(0), 3, 5);
/// let h = cell.initial_carry(&[2]);
/// let (h, y) = cell.step(&h, &Tensor::ones(&[2, 3], DType::F32));
/// assert_eq!((h.shape(), y.shape()), (&[2usize, 5][..], &[2usize, 5][..]));
/// ```
pub trait RecurrentCell {
    /// The state threaded through time (a pytree).
    type Carry: PyTree;
    /// The all-zeros carry for inputs with leading dims `batch` (`&[]` for one sequence).
    fn initial_carry(&self, batch: &[usize]) -> Self::Carry;
    /// One time step.
    fn step(&self, carry: &Self::Carry, x: &Tensor) -> (Self::Carry, Tensor);
    /// The part of a step that reads only the input (for the built-in cells, `x · wi + b`),
    /// for any leading dims. [`scan_cell`] applies it to the whole sequence at once, so the
    /// input projection is one large product outside the loop (as cuDNN does) instead of one
    /// small product per step, in the forward and the backward pass. The default is the
    /// identity.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{RecurrentCell, LstmCell};
    /// let cell = LstmCell::new(&ferrax::random::key(0), 3, 5);
    /// assert_eq!(cell.project_inputs(&Tensor::ones(&[7, 2, 3], DType::F32)).shape(), &[7, 2, 20]);
    /// ```
    fn project_inputs(&self, xs: &Tensor) -> Tensor {
        xs.clone()
    }
    /// One time step on an input already passed through [`RecurrentCell::project_inputs`];
    /// `step(c, x)` equals `step_projected(c, project_inputs(x))`. The default is `step`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{RecurrentCell, RnnCell};
    /// let cell = RnnCell::new(&ferrax::random::key(0), 3, 4);
    /// let (h0, x) = (cell.initial_carry(&[]), Tensor::ones(&[3], DType::F32));
    /// let (a, _) = cell.step(&h0, &x);
    /// let (b, _) = cell.step_projected(&h0, &cell.project_inputs(&x));
    /// assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>());
    /// ```
    fn step_projected(&self, carry: &Self::Carry, projected: &Tensor) -> (Self::Carry, Tensor) {
        self.step(carry, projected)
    }
}

/// Runs `cell` over a batch-major sequence `xs[..batch, T, in]` from `carry`: returns the final
/// carry and the outputs `[..batch, T, hidden]`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, RecurrentCell};
/// let cell = nn::RnnCell::new(&ferrax::random::key(0), 2, 3);
/// let xs = Tensor::ones(&[4, 7, 2], DType::F32);
/// let (h, ys) = nn::scan_cell(&cell, &cell.initial_carry(&[4]), &xs);
/// assert_eq!((h.shape(), ys.shape()), (&[4usize, 3][..], &[4usize, 7, 3][..]));
/// ```
#[track_caller]
pub fn scan_cell<C: RecurrentCell>(cell: &C, carry: &C::Carry, xs: &Tensor) -> (C::Carry, Tensor) {
    assert!(
        xs.ndim() >= 2,
        "nn::scan_cell: expected a batch-major sequence [..batch, T, features], got {}",
        xs.aval()
    );
    let (c, ys) = scan_cell_time_major(cell, carry, &jnp::moveaxis(xs, -2, 0));
    (c, jnp::moveaxis(&ys, 0, -2))
}

/// [`scan_cell`] for a time-major sequence `xs[T, ..batch, in]` (outputs `[T, ..batch, hidden]`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, RecurrentCell};
/// let cell = nn::LstmCell::new(&ferrax::random::key(0), 2, 3);
/// let xs = Tensor::ones(&[7, 4, 2], DType::F32);
/// let ((c, h), ys) = nn::scan_cell_time_major(&cell, &cell.initial_carry(&[4]), &xs);
/// assert_eq!(ys.shape(), &[7, 4, 3]);
/// ```
#[track_caller]
pub fn scan_cell_time_major<C: RecurrentCell>(
    cell: &C,
    carry: &C::Carry,
    xs: &Tensor,
) -> (C::Carry, Tensor) {
    let projected = cell.project_inputs(xs);
    lax::scan(
        |c: &C::Carry, x: &Tensor| cell.step_projected(c, x),
        carry,
        &projected,
    )
}

/// Per-gate kernels drawn with their own keys and concatenated along the output axis
/// (`[rows, gates · hidden]`), as flax initialises each gate's Dense separately.
fn gate_kernels(
    key: &Tensor,
    init: &init::Initializer,
    rows: usize,
    hidden: usize,
    gates: usize,
) -> Tensor {
    let keys = random::split(key, gates);
    let parts: Vec<Tensor> = (0..gates)
        .map(|g| {
            init.init(
                &random::key_at(&keys, g),
                &[rows, hidden],
                crate::DType::F32,
            )
        })
        .collect();
    lax::concatenate(&parts, 1)
}

fn zeros_for(batch: &[usize], hidden: usize, like: &Tensor) -> Tensor {
    let mut shape = batch.to_vec();
    shape.push(hidden);
    Tensor::zeros(&shape, like.dtype())
}

/// The `N` gates (each `h` wide) of a fused pre-activation `[.., N · h]`, cut by one `split`
/// (whose transpose is one `concatenate` in the backward pass).
fn gates<const N: usize>(z: &Tensor, h: usize) -> [Tensor; N] {
    let parts = lax::split(z, &[h; N], z.ndim() - 1);
    parts.try_into().expect("split returns one piece per size")
}

/// Elman cell `h' = tanh(x·wi + h·wh + b)` (`flax.linen.SimpleCell`): `wi [in, H]` LeCun
/// normal, `wh [H, H]` orthogonal, `b` zeros. The carry is `h`; the output is `h'`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{RnnCell, RecurrentCell};
/// let cell = RnnCell::new(&ferrax::random::key(0), 3, 4);
/// let (h, y) = cell.step(&cell.initial_carry(&[]), &Tensor::ones(&[3], DType::F32));
/// assert_eq!(h.to_vec::<f32>(), y.to_vec::<f32>());
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct RnnCell {
    pub wi: Tensor,
    pub wh: Tensor,
    pub b: Tensor,
}

impl RnnCell {
    /// An `in -> hidden` cell.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::RnnCell::new(&ferrax::random::key(0), 3, 4).wh.shape(), &[4, 4]);
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, in_features: usize, hidden: usize) -> Self {
        let [ki, kh] = random::split_n(key);
        RnnCell {
            wi: init::lecun_normal().init(&ki, &[in_features, hidden], crate::DType::F32),
            wh: init::orthogonal(1.0).init(&kh, &[hidden, hidden], crate::DType::F32),
            b: Tensor::zeros(&[hidden], crate::DType::F32),
        }
    }
}

impl RecurrentCell for RnnCell {
    type Carry = Tensor;
    fn initial_carry(&self, batch: &[usize]) -> Tensor {
        zeros_for(batch, self.wh.shape()[0], &self.wh)
    }
    #[track_caller]
    fn step(&self, h: &Tensor, x: &Tensor) -> (Tensor, Tensor) {
        self.step_projected(h, &self.project_inputs(x))
    }
    #[track_caller]
    fn project_inputs(&self, xs: &Tensor) -> Tensor {
        dense(xs, &self.wi, "RnnCell") + &self.b
    }
    #[track_caller]
    fn step_projected(&self, h: &Tensor, zx: &Tensor) -> (Tensor, Tensor) {
        let h2 = (zx + dense(h, &self.wh, "RnnCell")).tanh();
        (h2.clone(), h2)
    }
}

/// LSTM cell with flax's gate layout (`flax.linen.LSTMCell`, fused as `OptimizedLSTMCell`):
/// input, forget, cell and output gates side by side in `wi [in, 4H]` (LeCun normal per gate),
/// `wh [H, 4H]` (orthogonal per gate) and `b [4H]` (zeros):
/// `i, f, g, o = σ(zi), σ(zf), tanh(zg), σ(zo)`, `c' = f·c + i·g`, `h' = o·tanh(c')`.
/// The carry is `(c, h)`; the output is `h'`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{LstmCell, RecurrentCell};
/// let cell = LstmCell::new(&ferrax::random::key(0), 3, 4);
/// let ((c, h), y) = cell.step(&cell.initial_carry(&[2]), &Tensor::ones(&[2, 3], DType::F32));
/// assert_eq!((c.shape(), y.shape()), (&[2usize, 4][..], &[2usize, 4][..]));
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct LstmCell {
    pub wi: Tensor,
    pub wh: Tensor,
    pub b: Tensor,
}

impl LstmCell {
    /// An `in -> hidden` cell.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::LstmCell::new(&ferrax::random::key(0), 3, 4).wi.shape(), &[3, 16]);
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, in_features: usize, hidden: usize) -> Self {
        let [ki, kh] = random::split_n(key);
        LstmCell {
            wi: gate_kernels(&ki, &init::lecun_normal(), in_features, hidden, 4),
            wh: gate_kernels(&kh, &init::orthogonal(1.0), hidden, hidden, 4),
            b: Tensor::zeros(&[4 * hidden], crate::DType::F32),
        }
    }

    /// The hidden size.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::LstmCell::new(&ferrax::random::key(0), 3, 4).hidden(), 4);
    /// ```
    pub fn hidden(&self) -> usize {
        self.wh.shape()[0]
    }
}

impl RecurrentCell for LstmCell {
    type Carry = (Tensor, Tensor);
    fn initial_carry(&self, batch: &[usize]) -> (Tensor, Tensor) {
        let z = zeros_for(batch, self.hidden(), &self.wh);
        (z.clone(), z)
    }
    #[track_caller]
    fn step(&self, carry: &(Tensor, Tensor), x: &Tensor) -> ((Tensor, Tensor), Tensor) {
        self.step_projected(carry, &self.project_inputs(x))
    }
    #[track_caller]
    fn project_inputs(&self, xs: &Tensor) -> Tensor {
        dense(xs, &self.wi, "LstmCell") + &self.b
    }
    #[track_caller]
    fn step_projected(&self, (c, h): &(Tensor, Tensor), zx: &Tensor) -> ((Tensor, Tensor), Tensor) {
        let n = self.hidden();
        let z = zx + dense(h, &self.wh, "LstmCell");
        let [i, f, g, o] = gates::<4>(&z, n);
        let c2 = f.logistic() * c + i.logistic() * g.tanh();
        let h2 = o.logistic() * c2.tanh();
        ((c2, h2.clone()), h2)
    }
}

/// GRU cell (`flax.linen.GRUCell`): reset, update and candidate gates side by side in
/// `wi [in, 3H]` + `bi [3H]` and `wh [H, 3H]` (no bias but `bhn [H]` on the candidate):
/// `r, z = σ(x·wir + bir + h·whr), σ(x·wiz + biz + h·whz)`,
/// `n = tanh(x·win + bin + r·(h·whn + bhn))`, `h' = (1 - z)·n + z·h`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{GruCell, RecurrentCell};
/// let cell = GruCell::new(&ferrax::random::key(0), 3, 4);
/// let (h, _) = cell.step(&cell.initial_carry(&[]), &Tensor::ones(&[3], DType::F32));
/// assert_eq!(h.shape(), &[4]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct GruCell {
    pub wi: Tensor,
    pub bi: Tensor,
    pub wh: Tensor,
    pub bhn: Tensor,
}

impl GruCell {
    /// An `in -> hidden` cell.
    ///
    /// ```
    /// assert_eq!(ferrax::nn::GruCell::new(&ferrax::random::key(0), 3, 4).wh.shape(), &[4, 12]);
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, in_features: usize, hidden: usize) -> Self {
        let [ki, kh] = random::split_n(key);
        GruCell {
            wi: gate_kernels(&ki, &init::lecun_normal(), in_features, hidden, 3),
            bi: Tensor::zeros(&[3 * hidden], crate::DType::F32),
            wh: gate_kernels(&kh, &init::orthogonal(1.0), hidden, hidden, 3),
            bhn: Tensor::zeros(&[hidden], crate::DType::F32),
        }
    }
}

impl RecurrentCell for GruCell {
    type Carry = Tensor;
    fn initial_carry(&self, batch: &[usize]) -> Tensor {
        zeros_for(batch, self.wh.shape()[0], &self.wh)
    }
    #[track_caller]
    fn step(&self, h: &Tensor, x: &Tensor) -> (Tensor, Tensor) {
        self.step_projected(h, &self.project_inputs(x))
    }
    #[track_caller]
    fn project_inputs(&self, xs: &Tensor) -> Tensor {
        dense(xs, &self.wi, "GruCell") + &self.bi
    }
    #[track_caller]
    fn step_projected(&self, h: &Tensor, zi: &Tensor) -> (Tensor, Tensor) {
        let n = self.wh.shape()[0];
        let zh = dense(h, &self.wh, "GruCell");
        let [xr, xz, xn] = gates::<3>(zi, n);
        let [hr, hz, hn] = gates::<3>(&zh, n);
        let r = (xr + hr).logistic();
        let z = (xz + hz).logistic();
        let cand = (xn + r * (hn + &self.bhn)).tanh();
        let h2 = (-&z + 1.0) * cand + z * h;
        (h2.clone(), h2)
    }
}

macro_rules! sequence_layer {
    ($name:ident, $cell:ident, $carry:ty, $ex_carry:literal) => {
        impl $name {
            #[doc = concat!("A layer of an `in -> hidden` [`", stringify!($cell), "`].")]
            ///
            /// ```
            #[doc = concat!("let l = ferrax::nn::", stringify!($name), "::new(&ferrax::random::key(0), 3, 4);")]
            /// assert_eq!(l.cell.wh.shape()[0], 4);
            /// ```
            #[track_caller]
            pub fn new(key: &Tensor, in_features: usize, hidden: usize) -> Self {
                $name { cell: $cell::new(key, in_features, hidden) }
            }

            /// The final carry and the outputs of a batch-major sequence `xs[..batch, T, in]`,
            /// starting from `carry` (see [`RecurrentCell`]): the typed way in for a
            /// recurrent layer whose caller keeps the carry (truncated backpropagation,
            /// generation). `cx` is passed on for uniformity with [`Module::forward`].
            ///
            /// ```
            /// use ferrax::prelude::*;
            /// use ferrax::nn::{Ctx, RecurrentCell};
            #[doc = concat!("let l = ferrax::nn::", stringify!($name), "::new(&ferrax::random::key(0), 3, 4);")]
            /// let (carry, ys) = l.forward_with_carry(&l.cell.initial_carry(&[]), &Tensor::ones(&[5, 3], DType::F32), &mut Ctx::eval());
            #[doc = $ex_carry]
            /// ```
            #[track_caller]
            pub fn forward_with_carry(&self, carry: &$carry, xs: &Tensor, _cx: &mut Ctx) -> ($carry, Tensor) {
                scan_cell(&self.cell, carry, xs)
            }
        }

        impl Module for $name {
            /// The outputs `[..batch, T, hidden]` of a batch-major sequence `xs[..batch, T, in]`
            /// from the zero carry.
            ///
            /// ```
            /// use ferrax::prelude::*;
            /// use ferrax::nn::{Ctx, Module};
            #[doc = concat!("let l = ferrax::nn::", stringify!($name), "::new(&ferrax::random::key(0), 3, 4);")]
            /// assert_eq!(l.forward(&Tensor::ones(&[2, 5, 3], DType::F32), &mut Ctx::eval()).shape(), &[2, 5, 4]);
            /// ```
            #[track_caller]
            fn forward(&self, xs: &Tensor, cx: &mut Ctx) -> Tensor {
                let batch = &xs.shape()[..xs.ndim().saturating_sub(2)];
                self.forward_with_carry(&self.cell.initial_carry(batch), xs, cx).1
            }
        }
    };
}

/// A whole-sequence Elman RNN ([`RnnCell`] under `lax::scan`), batch-major.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{Ctx, Module};
/// let rnn = ferrax::nn::Rnn::new(&ferrax::random::key(0), 3, 4);
/// assert_eq!(rnn.forward(&Tensor::ones(&[6, 3], DType::F32), &mut Ctx::eval()).shape(), &[6, 4]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct Rnn {
    pub cell: RnnCell,
}

sequence_layer!(
    Rnn,
    RnnCell,
    Tensor,
    "assert_eq!(carry.to_vec::<f32>(), ys.index_axis(0, -1).to_vec::<f32>());"
);

/// A whole-sequence LSTM ([`LstmCell`] under `lax::scan`), batch-major: `forward(&xs[B, T,
/// in], cx) -> [B, T, hidden]`; `forward_with_carry` also returns the final `(c, h)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{Ctx, Module};
/// let lstm = ferrax::nn::Lstm::new(&ferrax::random::key(0), 3, 4);
/// assert_eq!(lstm.forward(&Tensor::ones(&[2, 6, 3], DType::F32), &mut Ctx::eval()).shape(), &[2, 6, 4]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct Lstm {
    pub cell: LstmCell,
}

sequence_layer!(
    Lstm,
    LstmCell,
    (Tensor, Tensor),
    "assert_eq!(carry.1.to_vec::<f32>(), ys.index_axis(0, -1).to_vec::<f32>());"
);

/// A whole-sequence GRU ([`GruCell`] under `lax::scan`), batch-major.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{Ctx, Module};
/// let gru = ferrax::nn::Gru::new(&ferrax::random::key(0), 3, 4);
/// assert_eq!(gru.forward(&Tensor::ones(&[2, 6, 3], DType::F32), &mut Ctx::eval()).shape(), &[2, 6, 4]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct Gru {
    pub cell: GruCell,
}

sequence_layer!(
    Gru,
    GruCell,
    Tensor,
    "assert_eq!(carry.to_vec::<f32>(), ys.index_axis(0, -1).to_vec::<f32>());"
);
