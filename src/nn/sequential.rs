//! [`Sequential`]: a stack of heterogeneous [`Layer`]s (a derived pytree enum), with training
//! mode, dropout keys and batch-norm state threaded explicitly (equinox style).

use super::layers::{AvgPool2d, Conv2d, Embedding, Flatten, Linear, MaxPool2d};
use super::norm::{BatchNorm, BatchNormState, Dropout, LayerNorm};
use super::{gelu, log_softmax, relu, silu, softmax};
use crate::random;
use crate::tensor::Tensor;
use crate::PyTree;

/// One layer of a [`Sequential`]: a parameterised layer or a parameter-free activation.
/// `From` conversions let you write `Linear::new(..).into()`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{Layer, Linear};
/// let l: Layer = Linear::new(&ferrax::random::key(0), 2, 3).into();
/// assert_eq!(ferrax::tree::tree_leaves(&l).len(), 2);
/// assert_eq!(ferrax::tree::tree_leaves(&Layer::Relu).len(), 0);
/// ```
#[derive(PyTree, Clone, Debug)]
pub enum Layer {
    Linear(Linear),
    Conv2d(Conv2d),
    MaxPool2d(MaxPool2d),
    AvgPool2d(AvgPool2d),
    Flatten(Flatten),
    Dropout(Dropout),
    BatchNorm(BatchNorm),
    LayerNorm(LayerNorm),
    Embedding(Embedding),
    Relu,
    Tanh,
    Sigmoid,
    Gelu,
    Silu,
    /// Softmax over the last axis.
    Softmax,
    /// Log-softmax over the last axis.
    LogSoftmax,
}

macro_rules! layer_from {
    ($($t:ident),*) => {$(
        impl From<$t> for Layer {
            fn from(l: $t) -> Layer {
                Layer::$t(l)
            }
        }
    )*};
}
layer_from!(
    Linear, Conv2d, MaxPool2d, AvgPool2d, Flatten, Dropout, BatchNorm, LayerNorm, Embedding
);

/// Training or evaluation, and the key dropout draws from in training (layer `i` uses
/// `random::fold_in(key, i)`). A pytree (`train` is static, the key a leaf), so a jitted step
/// can take it as an argument.
///
/// ```
/// use ferrax::nn::Mode;
/// assert!(Mode::train(&ferrax::random::key(0)).train);
/// assert!(!Mode::eval().train);
/// assert_eq!(ferrax::tree::tree_leaves(&Mode::train(&ferrax::random::key(0))).len(), 1);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct Mode {
    #[pytree(static)]
    pub train: bool,
    pub key: Option<Tensor>,
}

impl Mode {
    /// Training with dropout keys from `key`.
    ///
    /// ```
    /// assert!(ferrax::nn::Mode::train(&ferrax::random::key(3)).key.is_some());
    /// ```
    pub fn train(key: &Tensor) -> Self {
        Mode {
            train: true,
            key: Some(key.clone()),
        }
    }

    /// Evaluation: dropout is the identity, batch norm uses its running statistics.
    ///
    /// ```
    /// assert!(ferrax::nn::Mode::eval().key.is_none());
    /// ```
    pub fn eval() -> Self {
        Mode {
            train: false,
            key: None,
        }
    }
}

/// The state of a [`Sequential`]: one entry per layer, `Some` for batch-norm layers.
pub type SequentialState = Vec<Option<BatchNormState>>;

/// A stack of layers applied in order. Parameters are the `layers` pytree; the batch-norm
/// running statistics are a separate [`SequentialState`], passed in and returned.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{self, Layer, Mode, Sequential};
/// use ferrax::random;
/// let [k1, k2] = random::split_n(&random::key(0));
/// let net = Sequential::new(vec![
///     nn::Conv2d::new(&k1, 1, 4, [3, 3]).into(),
///     nn::BatchNorm::new(4).into(),
///     Layer::Relu,
///     nn::MaxPool2d::new([2, 2], [2, 2]).into(),
///     nn::Flatten::new().into(),
///     nn::Dropout::new(0.5).into(),
///     nn::Linear::new(&k2, 4 * 4 * 4, 10).into(),
/// ]);
/// let state = net.init_state();
/// let x = Tensor::ones(&[2, 8, 8, 1], DType::F32);
/// let (logits, state) = net.forward(&x, &state, &Mode::train(&random::key(1)));
/// assert_eq!(logits.shape(), &[2, 10]);
/// assert_eq!(net.predict(&x, &state).shape(), &[2, 10]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct Sequential {
    pub layers: Vec<Layer>,
}

impl Sequential {
    /// A stack of `layers`.
    ///
    /// ```
    /// let s = ferrax::nn::Sequential::new(vec![ferrax::nn::Layer::Tanh]);
    /// assert_eq!(s.layers.len(), 1);
    /// ```
    pub fn new(layers: Vec<Layer>) -> Self {
        Sequential { layers }
    }

    /// The initial state: fresh running statistics for each batch-norm layer.
    ///
    /// ```
    /// let s = ferrax::nn::Sequential::new(vec![ferrax::nn::BatchNorm::new(2).into(), ferrax::nn::Layer::Relu]);
    /// let st = s.init_state();
    /// assert!(st[0].is_some() && st[1].is_none());
    /// ```
    pub fn init_state(&self) -> SequentialState {
        self.layers
            .iter()
            .map(|l| match l {
                Layer::BatchNorm(bn) => Some(bn.init_state()),
                _ => None,
            })
            .collect()
    }

    /// Applies every layer; returns the output and the new state (updated running statistics
    /// in training, `state` itself in evaluation).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Mode, Sequential, Layer, Linear};
    /// let s = Sequential::new(vec![Linear::new(&ferrax::random::key(0), 3, 2).into(), Layer::Tanh]);
    /// let (y, _) = s.forward(&Tensor::ones(&[3], DType::F32), &s.init_state(), &Mode::eval());
    /// assert!(y.to_vec::<f32>().iter().all(|v| v.abs() < 1.0));
    /// ```
    #[track_caller]
    pub fn forward(
        &self,
        x: &Tensor,
        state: &SequentialState,
        mode: &Mode,
    ) -> (Tensor, SequentialState) {
        assert!(
            state.len() == self.layers.len(),
            "nn::Sequential::forward: state has {} entries for {} layers (use init_state)",
            state.len(),
            self.layers.len()
        );
        let mut x = x.clone();
        let mut new_state = Vec::with_capacity(state.len());
        for (i, (layer, st)) in self.layers.iter().zip(state).enumerate() {
            let mut next_st = None;
            x = match layer {
                Layer::Linear(l) => l.forward(&x),
                Layer::Conv2d(l) => l.forward(&x),
                Layer::MaxPool2d(l) => l.forward(&x),
                Layer::AvgPool2d(l) => l.forward(&x),
                Layer::Flatten(l) => l.forward(&x),
                Layer::Embedding(l) => l.forward(&x),
                Layer::LayerNorm(l) => l.forward(&x),
                Layer::Dropout(l) => {
                    let key = mode.key.as_ref().map(|k| random::fold_in(k, i as u32));
                    l.forward(&x, mode.train, key.as_ref())
                }
                Layer::BatchNorm(l) => {
                    let st = st.as_ref().unwrap_or_else(|| {
                        panic!("nn::Sequential::forward: layer {i} is BatchNorm but its state entry is None")
                    });
                    let (y, s) = l.forward(&x, st, mode.train);
                    next_st = Some(s);
                    y
                }
                Layer::Relu => relu(&x),
                Layer::Tanh => x.tanh(),
                Layer::Sigmoid => x.logistic(),
                Layer::Gelu => gelu(&x),
                Layer::Silu => silu(&x),
                Layer::Softmax => softmax(&x, -1),
                Layer::LogSoftmax => log_softmax(&x, -1),
            };
            new_state.push(next_st);
        }
        (x, new_state)
    }

    /// Evaluation-mode output (no dropout, running statistics).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Sequential, Layer};
    /// let s = Sequential::new(vec![Layer::Relu]);
    /// let y = s.predict(&Tensor::from_vec(vec![-1.0f32, 1.0], &[2]), &s.init_state());
    /// assert_eq!(y.to_vec::<f32>(), vec![0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn predict(&self, x: &Tensor, state: &SequentialState) -> Tensor {
        self.forward(x, state, &Mode::eval()).0
    }
}
