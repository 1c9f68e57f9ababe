//! Tracing, jaxprs and `jit`: the core tracer, the printed jaxprs against JAX's, the passes,
//! sub-jaxprs, the compiled program, jit against eager on random programs, and jit from many
//! threads. One binary for the former `jit*`, `passes`, `sub_jaxprs`, `golden_jaxprs`,
//! `core_tracing` and `threads` test files. (`debug_nans` and `buffer_pool` change
//! process-wide settings, so they stay binaries of their own.)

#[path = "../common/mod.rs"]
mod common;
mod random_program;

mod adam_update;
mod alloc_count;
mod core_tracing;
mod display;
mod equals_eager;
mod equals_eager_families;
mod equals_eager_models;
mod golden_jaxprs;
mod jit;
mod passes;
mod program;
mod sub_jaxprs;
mod threads;
