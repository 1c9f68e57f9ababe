//! Helpers shared by the test binaries: `mod common;` at the top of a test file, then
//! `use common::close::assert_close;` and so on. (Cargo compiles `tests/common/mod.rs` only
//! as a module of the binaries that declare it, never as a test binary of its own.)
//!
//! - [`close`]: element-wise comparison of floats with a tolerance, naming the index and both
//!   values when they differ.
//! - [`data`]: deterministic f32 inputs (`vals`, `t`).
//! - [`rng`]: splitmix64, a tiny deterministic generator so one proptest seed describes a
//!   whole random case.
//! - [`gather_cases`]: random valid gathers (operand shape, dimension numbers, slice sizes,
//!   indices), for the gather/scatter tests of `prims_index`, `ad_index` and `vmap_index`.
//! - [`strategies`]: proptest strategies (`distinct` values).
//! - [`tempdir`]: a fresh directory per test, removed on drop.

// Each binary uses only some of the helpers.
#![allow(dead_code)]

pub mod close;
pub mod data;
pub mod gather_cases;
pub mod rng;
pub mod strategies;
pub mod tempdir;
