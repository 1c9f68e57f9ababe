//! PyTrees: `#[derive(PyTree)]`, tree utilities and key paths, and property tests over random
//! trees. One binary for the former `tree_derive`, `tree_proptest` and `tree_utils` test
//! files (the trybuild UI tests stay in `tests/tree_ui.rs`).

mod derive;
mod proptests;
mod utils;
