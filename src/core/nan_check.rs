//! The NaN check behind `ferrax::debug::debug_nans` (JAX's `jax_debug_nans`): the flag, the
//! check an eager bind runs on a primitive's outputs, and the message naming the primitive
//! and the user's line. It lives in the core because `bind` runs it; the public switch and
//! its documentation are in `ferrax::debug`.

use super::{Aval, Prim};
use crate::tensor::{ArrayData, Tensor};
use std::cell::Cell;
use std::panic::Location;
use std::sync::atomic::{AtomicU8, Ordering};

thread_local! {
    /// The user's line of the outermost traced op running on this thread (`x.log()` inside
    /// a function being differentiated or staged). The transformation evaluates that op with
    /// ferrax's own binds, so without this the NaN check could only name a line inside
    /// ferrax; the staging trace records it as its equations' `source` (export's errors).
    static USER_LINE: Cell<Option<&'static Location<'static>>> = const { Cell::new(None) };
}

/// Clears the user line recorded by [`note_user_line`] when the traced op is done.
pub(crate) struct UserLineGuard(());

impl Drop for UserLineGuard {
    fn drop(&mut self) {
        USER_LINE.with(|u| u.set(None));
    }
}

/// The user's line of the traced op running on this thread, if [`note_user_line`] found one.
#[inline]
pub(crate) fn user_line() -> Option<&'static Location<'static>> {
    USER_LINE.with(Cell::get)
}

/// Called by `bind` before a trace processes an op (never on the eager path): remembers the
/// caller's line if it is the user's and no outer op already did (the guard forgets it).
#[inline]
#[track_caller]
pub(crate) fn note_user_line() -> Option<UserLineGuard> {
    let line = Location::caller();
    if is_ferrax_source(line) {
        return None;
    }
    USER_LINE.with(|u| {
        u.get().is_none().then(|| {
            u.set(Some(line));
            UserLineGuard(())
        })
    })
}

/// 0: not read from the environment yet; 1: off; 2: on.
static DEBUG_NANS: AtomicU8 = AtomicU8::new(0);

/// Turns NaN checking on or off for the whole process (all threads), overriding
/// `FERRAX_DEBUG_NANS`. See the [module docs](self) for what is checked.
///
/// ```
/// ferrax::debug::set_debug_nans(true);
/// assert!(ferrax::debug::debug_nans());
/// ferrax::debug::set_debug_nans(false);
/// assert!(!ferrax::debug::debug_nans());
/// ```
pub fn set_debug_nans(on: bool) {
    DEBUG_NANS.store(if on { 2 } else { 1 }, Ordering::Relaxed);
}

/// Whether NaN checking is on: the last [`set_debug_nans`], else `FERRAX_DEBUG_NANS` (on when
/// set to anything but `0` or empty).
///
/// ```
/// let before = ferrax::debug::debug_nans();
/// ferrax::debug::set_debug_nans(!before);
/// assert_eq!(ferrax::debug::debug_nans(), !before);
/// ferrax::debug::set_debug_nans(before);
/// ```
#[inline]
pub fn debug_nans() -> bool {
    match DEBUG_NANS.load(Ordering::Relaxed) {
        0 => init_from_env(),
        s => s == 2,
    }
}

#[cold]
fn init_from_env() -> bool {
    let on = std::env::var("FERRAX_DEBUG_NANS").is_ok_and(|v| !v.is_empty() && v != "0");
    // A concurrent `set_debug_nans` wins over the environment.
    let _ = DEBUG_NANS.compare_exchange(
        0,
        if on { 2 } else { 1 },
        Ordering::Relaxed,
        Ordering::Relaxed,
    );
    DEBUG_NANS.load(Ordering::Relaxed) == 2
}

/// The eager hook in `bind`: panics if NaN checking is on and an output of `prim` holds a
/// NaN, naming the caller's line.
#[inline]
#[track_caller]
pub(crate) fn check_eager(prim: &Prim, inputs: &[Tensor], outputs: &[Tensor]) {
    if debug_nans() {
        let line = Location::caller();
        let at = match USER_LINE.with(Cell::get) {
            Some(user) if is_ferrax_source(line) => Where::Traced(user),
            _ => Where::Line(line),
        };
        check_outputs(prim.name(), inputs, outputs, at);
    }
}

/// Where an op ran, for the message.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Where<'a> {
    /// Eagerly, applied at this line.
    Line(&'a Location<'a>),
    /// Under a transformation (e.g. `grad`'s forward pass), for the op the user applied at
    /// this line.
    Traced(&'a Location<'a>),
    /// As a step of a compiled `jit` program.
    Jit,
}

/// Panics with the `debug_nans` message if one of `outputs` holds a NaN.
#[track_caller]
pub(crate) fn check_outputs(name: &str, inputs: &[Tensor], outputs: &[Tensor], at: Where) {
    if let Some(k) = outputs.iter().position(has_nan) {
        panic!("{}", nan_message(name, inputs, &outputs[k].aval(), k, at));
    }
}

/// The index of the first output holding a NaN.
pub(crate) fn first_nan(outputs: &[Tensor]) -> Option<usize> {
    outputs.iter().position(has_nan)
}

/// The message for `name` producing a NaN in output `k` (of type `out`) from `inputs`.
pub(crate) fn nan_message(
    name: &str,
    inputs: &[Tensor],
    out: &Aval,
    k: usize,
    at: Where,
) -> String {
    let types: Vec<String> = inputs.iter().map(|t| t.aval().to_string()).collect();
    let mut msg = format!(
        "debug_nans: {name} produced NaN in output {k} of {out} from inputs {}",
        if types.is_empty() {
            "()".to_string()
        } else {
            types.join(", ")
        }
    );
    let nan_inputs: Vec<String> = inputs
        .iter()
        .enumerate()
        .filter(|(_, t)| has_nan(t))
        .map(|(i, _)| i.to_string())
        .collect();
    if !nan_inputs.is_empty() {
        msg.push_str(&format!(
            " (input {} already held NaN: it came from an op that was not checked, or from data)",
            nan_inputs.join(", ")
        ));
    }
    match at {
        Where::Line(l) if is_ferrax_source(l) => msg.push_str(&format!(
            "\n  at {l}, inside ferrax: a transformation applied it (e.g. grad's forward or \
             backward pass, or control flow in a jit program); call the function without the \
             transformation to see your line"
        )),
        Where::Line(l) => msg.push_str(&format!("\n  at {l}")),
        Where::Traced(l) => msg.push_str(&format!(
            "\n  at {l} (evaluated by a transformation such as grad's forward pass)"
        )),
        Where::Jit => msg.push_str(
            "\n  in a jit-compiled program (call the function without jit to see the source line)",
        ),
    }
    msg.push_str(
        "\n  (NaN checking is on: ferrax::debug::set_debug_nans(true) or FERRAX_DEBUG_NANS=1)",
    );
    msg
}

/// True if `l` is a line of ferrax's own source (this file's directory), not the user's.
fn is_ferrax_source(l: &Location) -> bool {
    // This file is `<crate>/src/core/nan_check.rs`; ferrax's sources are under `<crate>/src/`.
    let src = file!().trim_end_matches("core/nan_check.rs");
    src != file!() && !src.is_empty() && l.file().starts_with(src)
}

/// True if `t` is a concrete floating-point tensor with a NaN element.
pub(crate) fn has_nan(t: &Tensor) -> bool {
    match t.try_array() {
        Some(ArrayData::F32(a)) => a.iter().any(|v| v.is_nan()),
        Some(ArrayData::F64(a)) => a.iter().any(|v| v.is_nan()),
        _ => false,
    }
}
