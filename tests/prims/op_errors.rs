//! A shape mismatch through an operator or a `numpy` binary function names the op the user
//! wrote, both operands' dtypes and shapes, and the user's own source line.

use crate::common::panics::panic_message;
use ferrax::numpy as jnp;
use ferrax::prelude::*;

/// Asserts the message starts with `op: shapes <a> and <b> cannot be broadcast together`
/// and points at this file's line `line`.
fn assert_names(msg: &str, op: &str, a: &str, b: &str, line: u32) {
    let want = format!("{op}: shapes {a} and {b} cannot be broadcast together");
    assert!(
        msg.starts_with(&want),
        "message {msg:?} should start with {want:?}"
    );
    let at = format!("tests/prims/op_errors.rs:{line}:");
    assert!(msg.contains(&at), "message {msg:?} should point at {at}");
}

/// `(op, line, closure)`: `line!()` in a macro is the line the macro is invoked on, the same
/// line as the expression it runs.
macro_rules! case {
    ($op:expr, $e:expr) => {
        ($op, line!(), Box::new(|| drop($e)) as Box<dyn Fn()>)
    };
}

fn pair() -> (Tensor, Tensor) {
    (
        Tensor::from_vec(vec![1.0f32, 2.0], &[2]),
        Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]),
    )
}

#[test]
fn operators_name_themselves_and_the_callers_line() {
    let (a, b) = pair();
    let cases = [
        case!("add", &a + &b),
        case!("sub", &a - &b),
        case!("mul", &a * &b),
        case!("div", &a / &b),
        case!("rem", &a % &b),
        case!("add", a.clone() + b.clone()),
        case!("sub", a.clone() - &b),
        case!("mul", &a * b.clone()),
    ];
    for (op, line, f) in cases {
        assert_names(&panic_message(f), op, "f32[2]", "f32[3]", line);
    }
}

#[test]
fn comparisons_and_methods_name_themselves() {
    let (a, b) = pair();
    let cases = [
        case!("gt", a.gt(&b)),
        case!("lt", a.lt(&b)),
        case!("ge", a.ge(&b)),
        case!("le", a.le(&b)),
        case!("eq", a.eq(&b)),
        case!("ne", a.ne(&b)),
        case!("maximum", a.maximum(&b)),
        case!("minimum", a.minimum(&b)),
        case!("pow", a.pow(&b)),
    ];
    for (op, line, f) in cases {
        assert_names(&panic_message(f), op, "f32[2]", "f32[3]", line);
    }
}

#[test]
fn numpy_functions_name_themselves() {
    let (a, b) = pair();
    let cases = [
        case!("add", jnp::add(&a, &b)),
        case!("subtract", jnp::subtract(&a, &b)),
        case!("multiply", jnp::multiply(&a, &b)),
        case!("divide", jnp::divide(&a, &b)),
        case!("power", jnp::power(&a, &b)),
        case!("fmod", jnp::fmod(&a, &b)),
        case!("maximum", jnp::maximum(&a, &b)),
        case!("arctan2", jnp::arctan2(&a, &b)),
        case!("greater", jnp::greater(&a, &b)),
        case!("less_equal", jnp::less_equal(&a, &b)),
    ];
    for (op, line, f) in cases {
        assert_names(&panic_message(f), op, "f32[2]", "f32[3]", line);
    }
}

#[test]
fn the_operands_are_shown_as_written_before_promotion() {
    // i32[2, 3] + f32[4]: promotion would make both f32; the message shows what was passed.
    let x = Tensor::from_vec(vec![1, 2, 3, 4, 5, 6], &[2, 3]);
    let y = Tensor::from_vec(vec![0.5f32; 4], &[4]);
    let line = line!() + 1;
    let msg = panic_message(|| drop(&x + &y));
    assert_names(&msg, "add", "i32[2,3]", "f32[4]", line);
}

#[test]
fn logical_functions_name_themselves() {
    let a = Tensor::from_vec(vec![true, false], &[2]);
    let b = Tensor::from_vec(vec![true, false, true], &[3]);
    let line = line!() + 1;
    let msg = panic_message(|| drop(jnp::logical_and(&a, &b)));
    assert_names(&msg, "logical_and", "bool[2]", "bool[3]", line);
}

#[test]
fn where_names_all_three_operands() {
    let (a, b) = pair();
    let cond = Tensor::from_vec(vec![true, false], &[2]);
    let line = line!() + 1;
    let msg = panic_message(|| drop(jnp::where_(&cond, &a, &b)));
    let want = "where: shapes bool[2] and f32[2] and f32[3] cannot be broadcast together";
    assert!(msg.starts_with(want), "{msg:?}");
    assert!(
        msg.contains(&format!("tests/prims/op_errors.rs:{line}:")),
        "{msg:?}"
    );
}

#[test]
fn a_traced_mismatch_names_the_op_too() {
    // Under jit the operands are tracers; their avals carry the same dtypes and shapes.
    let (a, b) = pair();
    let line = line!() + 2;
    let msg = panic_message(|| {
        let f = jit(|(x, y): &(Tensor, Tensor)| x * y);
        drop(f(&(a.clone(), b.clone())));
    });
    assert!(
        msg.contains("mul: shapes f32[2] and f32[3] cannot be broadcast together"),
        "{msg:?}"
    );
    // The caller's line is the closure's `x * y` (the line after `let line`).
    assert!(
        msg.contains(&format!("tests/prims/op_errors.rs:{line}:")),
        "{msg:?}"
    );
}

#[test]
fn compatible_shapes_still_broadcast() {
    // [2, 1] with [3]: numpy broadcasting to [2, 3], against a plain double loop.
    let col = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]);
    let row = Tensor::from_vec(vec![10.0f32, 20.0, 30.0], &[3]);
    let sum = &col + &row;
    assert_eq!(sum.shape(), &[2, 3]);
    let mut want = Vec::new();
    for c in [1.0f32, 2.0] {
        for r in [10.0f32, 20.0, 30.0] {
            want.push(c + r);
        }
    }
    assert_eq!(sum.to_vec::<f32>(), want);
}

#[test]
fn rem_is_the_truncated_remainder() {
    // `%` follows Rust's (and lax.rem's) sign-of-the-dividend rule, elementwise.
    let x = Tensor::from_vec(vec![-7, 7, -7, 7], &[4]);
    let y = Tensor::from_vec(vec![3, 3, -3, -3], &[4]);
    let want: Vec<i32> = [(-7, 3), (7, 3), (-7, -3), (7, -3)]
        .iter()
        .map(|&(a, b)| a % b)
        .collect();
    assert_eq!((&x % &y).to_vec::<i32>(), want);
    let f = Tensor::from_vec(vec![-7.5f32, 7.5], &[2]);
    assert_eq!((f % 2.0).to_vec::<f32>(), vec![-7.5f32 % 2.0, 7.5 % 2.0]);
}
