//! Helpers shared by the test binaries: `#[path = "../common/mod.rs"] mod common;` once in a
//! binary's `main.rs`, then `use crate::common;` and `use common::close::assert_close;` and so
//! on in its modules. (Cargo compiles `tests/common/mod.rs` only as a module of the binaries
//! that declare it, never as a test binary of its own.)
//!
//! - [`close`]: element-wise comparison of floats with a tolerance, naming the index and both
//!   values when they differ.
//! - [`data`]: deterministic f32 inputs (`vals`, `t`).
//! - [`rng`]: splitmix64, a tiny deterministic generator so one proptest seed describes a
//!   whole random case.
//! - [`gather_cases`]: random valid gathers (operand shape, dimension numbers, slice sizes,
//!   indices), for the gather/scatter tests of `prims/index`, `ad/index` and `vmap/index`.
//! - [`strategies`]: proptest strategies (`distinct` values).
//! - [`golden`]: the reader of the golden array files (`tests/golden/golden_format.py`).
//! - [`panics`]: the message of a panic, and the check that an error names the function,
//!   the shapes and the caller's line.
//! - [`tempdir`]: a fresh directory per test, removed on drop.

// Each binary uses only some of the helpers.
#![allow(dead_code)]

pub mod close;
pub mod data;
pub mod gather_cases;
pub mod golden;
pub mod panics;
pub mod rng;
pub mod strategies;
pub mod tempdir;
