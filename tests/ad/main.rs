//! Automatic differentiation: JVP/VJP of every primitive family against finite differences,
//! and grad/vjp/jvp composed. One binary (one link of ferrax) for the former `ad_*` and
//! `autodiff` test files.

#[path = "../common/mod.rs"]
mod common;

mod autodiff;
mod dot_conv;
mod elementwise;
mod index;
mod reduce;
mod shape;
