//! Ready models (`ferrax::models`): each a pytree [`Module`](crate::nn::Module) built from
//! `ferrax::nn` layers with its paper's defaults, and weights loaded from safetensors files by
//! key path (with the name mappings of flax and PyTorch checkpoints).

pub mod dcgan;
pub mod lenet5;
pub mod mlp;
#[cfg(feature = "train")]
pub mod pretrained;
pub mod resnet;
pub mod transformer_lm;
pub mod vae;
pub mod vit;
#[cfg(feature = "train")]
pub mod weights;

pub use dcgan::{
    dcgan_adam, discriminator_step, generator_step, Dcgan, DcganConfig, Discriminator,
    GanTrainState, Generator,
};
pub use lenet5::LeNet5;
pub use mlp::Mlp;
#[cfg(feature = "train")]
pub use pretrained::{digits_cnn, digits_mlp, lenet5_mnist, DigitsCnn};
pub use resnet::{resnet18, resnet20, BasicBlock, Downsample, ResNet, Stem};
pub use transformer_lm::{sample_token, TransformerLm, TransformerLmConfig};
pub use vae::{kl_divergence, reparameterize, Vae};
pub use vit::{VisionTransformer, VitConfig};
