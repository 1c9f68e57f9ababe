//! Looking inside traced code: printing values from inside `jit`, `vmap` and `grad`
//! ([`print()`], [`callback`], the [`debug_print!`](crate::debug_print) macro; JAX's
//! `jax.debug.print` and `jax.debug.callback`), and the `debug_nans` switch (JAX's
//! `jax_debug_nans`).
//!
//! # Printing traced values
//!
//! Inside a transformed function a tensor is a tracer: `println!("{x}")` shows
//! `Traced<f32[3]>`, once, when the function is traced. [`print()`] instead stages a
//! `debug_print` into the computation, so the values are printed whenever it runs: at every
//! call of a `jit` function, once per example (in order) under `vmap`, with the primal values
//! under `grad`, at every iteration of a `scan` or `while_loop`. Prints are never removed
//! as dead code or merged, and run in program order.
//!
//! ```
//! use ferrax::prelude::*;
//! let loss = |w: &Tensor| {
//!     let y = w * 3.0;
//!     ferrax::debug_print!("w = {}, y = {}", w, y);
//!     y.sum()
//! };
//! let w = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
//! let (_, lines) = ferrax::debug::capture_output(|| jit(grad(loss))(&w));
//! assert_eq!(lines, ["w = [1. 2.], y = [3. 6.]"]);
//! let (_, lines) = ferrax::debug::capture_output(|| vmap(loss)(&w));
//! assert_eq!(lines, ["w = 1.0, y = 3.0", "w = 2.0, y = 6.0"]);
//! ```
//!
//! # NaN checking
//!
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

pub use crate::prims::callback::{
    capture_output, debug_callback as callback, debug_print as print,
};

/// [`print`](crate::debug::print) with the operands as plain arguments:
/// `debug_print!("x = {} y = {:.2f}", x, y)` (each argument a `Tensor` or `&Tensor`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::scalar(0.5f32);
/// let ((), lines) = ferrax::debug::capture_output(|| ferrax::debug_print!("x = {:.3f}", x));
/// assert_eq!(lines, ["x = 0.500"]);
/// ```
#[macro_export]
macro_rules! debug_print {
    ($fmt:expr $(, $arg:expr)* $(,)?) => {
        $crate::debug::print($fmt, &[$(::std::borrow::Borrow::<$crate::Tensor>::borrow(&$arg)),*])
    };
}
