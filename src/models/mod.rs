//! Ready models (`ferrax::models`): each a pytree [`Module`](crate::nn::Module) built from
//! `ferrax::nn` layers with its paper's defaults, and weights loaded from safetensors files by
//! key path (with the name mappings of flax and PyTorch checkpoints).

pub mod lenet5;
pub mod mlp;
pub use lenet5::LeNet5;
pub use mlp::Mlp;
#[cfg(feature = "train")]
pub mod pretrained;
#[cfg(feature = "train")]
pub use pretrained::lenet5_mnist;
