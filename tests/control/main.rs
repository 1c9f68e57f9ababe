//! Control flow: `cond`/`switch` and `scan`/`while_loop`/`fori_loop`, under every
//! transformation. One binary for the former `control_cond` and `control_loops` test files.

#[path = "../common/mod.rs"]
mod common;

mod cond;
mod debug;
mod loops;
