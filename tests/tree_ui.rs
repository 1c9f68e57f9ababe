//! Compile-fail tests for `#[derive(PyTree)]`'s error messages (tests/ui/*.rs with their
//! expected `.stderr`). Regenerate after a deliberate change with `TRYBUILD=overwrite`.

#[test]
fn derive_errors_are_clear() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
