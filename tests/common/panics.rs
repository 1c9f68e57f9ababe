//! The message of a panic, for tests that assert what an error says.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// The panic message of `f`, which must panic (a test failure otherwise).
#[track_caller]
pub fn panic_message<R>(f: impl FnOnce() -> R) -> String {
    let err = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic"),
        Err(e) => e,
    };
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Asserts that each `(function name, message)` names the function first, shows a shape
/// (`[..]`) and points at the caller's line in `file`.
#[track_caller]
pub fn assert_errors_name_function_shapes_and_caller(cases: &[(&str, String)], file: &str) {
    for (name, msg) in cases {
        assert!(msg.starts_with(name), "{name}: message {msg:?}");
        assert!(
            msg.contains('[') && msg.contains(']'),
            "{name}: no shape in {msg:?}"
        );
        assert!(msg.contains(file), "{name}: no caller line in {msg:?}");
    }
}
