//! The deep-learning layer: initializers, layers, recurrent cells, losses, optimizers,
//! training, data loading and the PRNG. One binary for the former `nn_*`, `losses`, `optim`,
//! `train`, `data` and `random` test files.

#[path = "../common/mod.rs"]
mod common;
mod optim_golden;

mod data;
mod init;
mod layers;
mod losses;
mod module;
mod optim;
mod random;
mod random_coverage;
mod random_samplers;
mod random_stats;
mod sequence;
#[cfg(feature = "train")]
mod train;
