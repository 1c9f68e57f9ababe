//! Batching: `vmap` of every primitive family against a loop over examples, and `vmap`
//! composed with the other transformations. One binary for the former `vmap_*` test files.

#[path = "../common/mod.rs"]
mod common;

mod basics;
mod compose;
mod dot_conv;
mod index;
mod indexing;
mod shape_reduce;
