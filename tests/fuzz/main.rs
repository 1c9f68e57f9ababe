//! Parsers fed hostile bytes (IDX files, safetensors checkpoints): no panic, and no
//! allocation larger than the input justifies. One binary for the former `fuzz_idx` and
//! `fuzz_checkpoint` test files; it installs the counting allocator of `fuzz_alloc` (whose
//! measurements are per thread, so the two suites can share the process).

mod bytes;
#[path = "../common/mod.rs"]
mod common;
mod fuzz_alloc;

#[cfg(feature = "train")]
mod checkpoint;
mod idx;
#[cfg(feature = "datasets")]
mod readers;

#[global_allocator]
static ALLOC: fuzz_alloc::Counting = fuzz_alloc::Counting;
