//! The deep-learning layer: initializers, layers, recurrent cells, losses, optimizers,
//! training, data loading and the PRNG. One binary for the former `nn_*`, `losses`, `optim`,
//! `train`, `data` and `random` test files.

#[path = "../common/mod.rs"]
mod common;
mod optim_golden;

mod batch_assembly;
mod coverage;
mod data;
mod data_augment;
mod data_loader;
mod data_npy;
#[cfg(feature = "datasets")]
mod data_readers;
mod functions;
mod functions_transforms;
mod init;
mod init_more;
mod layers;
mod layers_attention;
mod layers_bidirectional;
mod layers_golden;
mod layers_transforms;
mod losses;
mod losses_more;
#[cfg(all(feature = "train", feature = "datasets"))]
mod mnist_example;
mod models_generative;
mod models_lenet;
#[cfg(feature = "train")]
mod models_pretrained;
#[cfg(feature = "train")]
mod models_vision;
#[cfg(feature = "train")]
mod models_weights;
mod module;
mod optim;
mod optim_coverage;
mod optim_fused;
mod optim_more;
mod optim_wrappers;
mod random;
mod random_coverage;
mod random_exact;
mod random_samplers;
mod random_stats;
mod sequence;
#[cfg(feature = "train")]
mod train;
