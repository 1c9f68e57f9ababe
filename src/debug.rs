//! Debugging switches: `debug_nans` (JAX's `jax_debug_nans`).
//!
//! A NaN deep inside a training step usually surfaces much later as a NaN loss, with no clue
//! which operation made it. With NaN checking on, every primitive's floating-point outputs
//! are checked as soon as it runs, and the first one that contains a NaN panics with the
//! primitive's name, its operand and result types and (for ops run eagerly) the line of
//! your code that applied it:
//!
//! ```text
//! debug_nans: log produced NaN in output 0 of f32[3] from inputs f32[3]
//!   at src/main.rs:12:15
//! ```
//!
//! Turn it on with [`set_debug_nans`] or, without recompiling, with the environment variable
//! `FERRAX_DEBUG_NANS=1` (read once, the first time the flag is consulted). When off, the
//! check costs one relaxed atomic load per operation (per compiled program for `jit`).
//!
//! What is checked:
//! - **Eager ops** (no transformation active): every primitive's outputs.
//! - **`jit`**: the compiled program checks each step's outputs (and runs its steps one at a
//!   time). A fused elementwise group whose output holds a NaN is re-run un-fused, op by op,
//!   so the message names the primitive inside the group, with `in a jit-compiled program`
//!   instead of a source line (the program does not know your lines; call the function
//!   without `jit` to get one).
//! - **`grad`, `vjp`, `jvp`, ...**: the forward (primal) ops and the backward (transpose) ops
//!   run eagerly under the transformation, so both are checked.
//!
//! An output is reported whenever it contains a NaN, also when an input already did (a NaN
//! that came from outside, e.g. in the data, is caught at the first op that sees it); the
//! message then says which inputs already held NaN. Infinities are not reported. Only `f32`
//! and `f64` outputs are checked; integer and boolean outputs cannot be NaN.
//!
//! ```
//! use ferrax::prelude::*;
//! ferrax::debug::set_debug_nans(true);
//! let x = Tensor::from_vec(vec![1.0f32, -1.0], &[2]);
//! let caught = std::panic::catch_unwind(|| x.log());
//! ferrax::debug::set_debug_nans(false);
//! assert!(caught.is_err());
//! assert!(x.log().to_vec::<f32>()[1].is_nan()); // off again: NaN flows silently
//! ```

pub use crate::core::nan_check::{debug_nans, set_debug_nans};
