//! Ready models (`ferrax::models`): each a pytree [`Module`](crate::nn::Module) built from
//! `ferrax::nn` layers with its paper's defaults, and weights loaded from safetensors files by
//! key path (with the name mappings of flax and PyTorch checkpoints).

pub mod resnet;
pub mod vit;
#[cfg(feature = "train")]
pub mod weights;

pub use resnet::{resnet18, resnet20, BasicBlock, Downsample, ResNet, Stem};
pub use vit::{VisionTransformer, VitConfig};
