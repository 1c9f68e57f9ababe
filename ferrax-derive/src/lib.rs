//! Procedural macros for ferrax. `#[derive(PyTree)]` arrives with the pytree issue ([2/8]);
//! the crate exists now so the workspace layout is stable.
