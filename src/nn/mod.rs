//! `ferrax::nn`: neural-network building blocks as plain compositions of public ops (so every
//! one of them gets every transformation for free). Activations live here now; layers,
//! initialisers and pooling come with the deep-learning issue.

mod activations;

pub use activations::*;
