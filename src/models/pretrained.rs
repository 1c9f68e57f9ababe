//! Pre-trained weights shipped with the crate (`models/` at the repository root, each with a
//! model card beside it: data, recipe, accuracy), embedded in the library so no file or
//! download is needed at run time.

use super::LeNet5;
use crate::nn::{self, Ctx, Module, State};
use crate::random;
use crate::tensor::{DType, Tensor};
use crate::train;

/// The safetensors bytes of [`lenet5_mnist`] (key paths `.conv1.kernel`, ...; see
/// `models/lenet5_mnist.md`).
pub const LENET5_MNIST_SAFETENSORS: &[u8] = include_bytes!("../../models/lenet5_mnist.safetensors");

/// The weights of [`digits_mlp`] (`models/digits_mlp.md`).
const DIGITS_MLP_SAFETENSORS: &[u8] = include_bytes!("../../models/digits_mlp.safetensors");

/// The weights and batch-norm statistics of [`digits_cnn`] (`models/digits_cnn.md`).
const DIGITS_CNN_SAFETENSORS: &[u8] = include_bytes!("../../models/digits_cnn.safetensors");

/// [`LeNet5`] trained on MNIST by `examples/mnist.rs --model lenet5` (recipe and test accuracy
/// in `models/lenet5_mnist.md`): a ready digit classifier for `[N, 28, 28, 1]` images with
/// pixels in `[0, 1]`, and the starting point of `examples/transfer.rs`.
///
/// ```
/// use ferrax::nn::{Ctx, Module};
/// use ferrax::prelude::*;
/// let net = ferrax::models::lenet5_mnist();
/// let logits = net.forward(&Tensor::zeros(&[1, 28, 28, 1], DType::F32), &mut Ctx::eval());
/// assert_eq!(logits.shape(), &[1, 10]);
/// ```
pub fn lenet5_mnist() -> LeNet5 {
    let template = LeNet5::new(&random::key(0));
    train::params_from_bytes(
        LENET5_MNIST_SAFETENSORS,
        &template,
        "models/lenet5_mnist.safetensors",
    )
    .expect("the shipped LeNet-5 weights match models::LeNet5")
}

/// The MLP of `examples/digits.rs` (64 -> 128, tanh, -> 10, a tuple of modules) trained by
/// that example on the UCI 8x8 digits (recipe and test accuracy in `models/digits_mlp.md`): a
/// ready classifier for `[N, 64]` rows of pixels / 16, as `data::load_digits` gives them
/// with `DigitsLayout::Flat`.
///
/// ```
/// use ferrax::nn::{Ctx, Module};
/// use ferrax::prelude::*;
/// let net = ferrax::models::digits_mlp();
/// assert_eq!(net.forward(&Tensor::zeros(&[3, 64], DType::F32), &mut Ctx::eval()).shape(), &[3, 10]);
/// ```
pub fn digits_mlp() -> (nn::Linear, nn::Tanh, nn::Linear) {
    let [k1, k2] = random::split_n(&random::key(0));
    let template = (
        nn::Linear::new(&k1, 64, 128),
        nn::Tanh,
        nn::Linear::new(&k2, 128, 10),
    );
    train::params_from_bytes(
        DIGITS_MLP_SAFETENSORS,
        &template,
        "models/digits_mlp.safetensors",
    )
    .expect("the shipped digits MLP weights match the 64-128-10 MLP")
}

/// The small CNN of `examples/digits.rs` for `[N, 8, 8, 1]` images (pixels / 16): 3x3 SAME
/// convolutions to 16 and 32 channels, each followed by batch norm and ReLU, a 2x2 max pool,
/// then dropout (0.3) before and after a dense 512-64 layer (ReLU) and the 64-10 output. The
/// type of [`digits_cnn`]'s trained model.
///
/// ```
/// use ferrax::models::DigitsCnn;
/// use ferrax::nn::{self, Ctx, Module};
/// use ferrax::prelude::*;
/// let net = DigitsCnn::new(&ferrax::random::key(0));
/// let x = Tensor::zeros(&[2, 8, 8, 1], DType::F32);
/// let state = nn::init_state(&net, &x); // batch-norm statistics: zeros and ones
/// assert_eq!(net.forward(&x, &mut Ctx::eval().with_state(state)).shape(), &[2, 10]);
/// ```
#[derive(crate::PyTree, Clone, Debug)]
pub struct DigitsCnn {
    pub c1: nn::Conv2d,
    pub bn1: nn::BatchNorm,
    pub c2: nn::Conv2d,
    pub bn2: nn::BatchNorm,
    pub d1: nn::Linear,
    pub d2: nn::Linear,
    pub drop: nn::Dropout,
}

impl DigitsCnn {
    /// A fresh model from `key` (lecun-normal kernels, zero biases, batch norm with flax's
    /// defaults).
    ///
    /// ```
    /// let net = ferrax::models::DigitsCnn::new(&ferrax::random::key(0));
    /// assert_eq!(net.d1.kernel.shape(), &[512, 64]);
    /// ```
    pub fn new(key: &Tensor) -> DigitsCnn {
        let [k1, k2, k3, k4] = random::split_n(key);
        DigitsCnn {
            c1: nn::Conv2d::new(&k1, 1, 16, [3, 3]),
            bn1: nn::BatchNorm::new(16),
            c2: nn::Conv2d::new(&k2, 16, 32, [3, 3]),
            bn2: nn::BatchNorm::new(32),
            d1: nn::Linear::new(&k3, 4 * 4 * 32, 64),
            d2: nn::Linear::new(&k4, 64, 10),
            drop: nn::Dropout::new(0.3),
        }
    }

    /// The running statistics of both batch norms in `state`, by field name
    /// (`{"bn1": [mean, var], "bn2": [mean, var]}`): the form the shipped file stores,
    /// independent of the process-unique keys of a [`State`].
    ///
    /// ```
    /// let net = ferrax::models::DigitsCnn::new(&ferrax::random::key(0));
    /// let named = net.named_stats(&Default::default());
    /// assert_eq!(named["bn2"][1].to_vec::<f32>(), vec![1.0; 32]);
    /// ```
    pub fn named_stats(&self, state: &State) -> State {
        [("bn1", &self.bn1), ("bn2", &self.bn2)]
            .into_iter()
            .map(|(name, bn)| {
                let (mean, var) = bn.running_stats(state);
                (name.to_string(), vec![mean, var])
            })
            .collect()
    }
}

impl Module for DigitsCnn {
    /// Logits `[N, 10]`; batch norm reads (and in training updates) its statistics in `cx`,
    /// dropout draws from it in training.
    #[track_caller]
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let h = self.bn1.forward(&self.c1.forward(x, cx), cx).relu();
        let h = self.bn2.forward(&self.c2.forward(&h, cx), cx).relu();
        let h = nn::max_pool2d(&h, &[2, 2], &[2, 2]);
        let h = h.reshape(&[h.shape()[0] as isize, -1]);
        let h = self.drop.forward(&h, cx);
        let h = self.drop.forward(&self.d1.forward(&h, cx).relu(), cx);
        self.d2.forward(&h, cx)
    }
}

/// [`DigitsCnn`] trained by `examples/digits.rs --model cnn` on the UCI 8x8 digits (recipe and
/// test accuracy in `models/digits_cnn.md`), with its batch-norm statistics as a [`State`]
/// for evaluation: `net.forward(x, &mut Ctx::eval().with_state(state))` on `[N, 8, 8, 1]`
/// images with pixels / 16 (`data::load_digits` with `DigitsLayout::Image`).
///
/// ```
/// use ferrax::nn::{Ctx, Module};
/// use ferrax::prelude::*;
/// let (net, state) = ferrax::models::digits_cnn();
/// let x = Tensor::zeros(&[1, 8, 8, 1], DType::F32);
/// assert_eq!(net.forward(&x, &mut Ctx::eval().with_state(state)).shape(), &[1, 10]);
/// ```
pub fn digits_cnn() -> (DigitsCnn, State) {
    let net = DigitsCnn::new(&random::key(0));
    let stats = |n: usize| {
        vec![
            Tensor::zeros(&[n], DType::F32),
            Tensor::ones(&[n], DType::F32),
        ]
    };
    let named = State::from([
        ("bn1".to_string(), stats(16)),
        ("bn2".to_string(), stats(32)),
    ]);
    let (net, named) = train::params_from_bytes(
        DIGITS_CNN_SAFETENSORS,
        &(net, named),
        "models/digits_cnn.safetensors",
    )
    .expect("the shipped digits CNN weights match models::DigitsCnn");
    let state = [(&net.bn1, "bn1"), (&net.bn2, "bn2")]
        .into_iter()
        .map(|(bn, name)| (bn.index.key().to_string(), named[name].clone()))
        .collect();
    (net, state)
}
