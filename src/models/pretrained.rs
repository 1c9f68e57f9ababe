//! Pre-trained weights shipped with the crate (`models/` at the repository root, each with a
//! model card beside it: data, recipe, accuracy), embedded in the library so no file or
//! download is needed at run time.

use super::LeNet5;
use crate::random;
use crate::train;

/// The safetensors bytes of [`lenet5_mnist`] (key paths `.conv1.kernel`, ...; see
/// `models/lenet5_mnist.md`).
pub const LENET5_MNIST_SAFETENSORS: &[u8] = include_bytes!("../../models/lenet5_mnist.safetensors");

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
