//! Small helpers shared by the primitive families: Python-style param text, operand-count
//! checks, row-major index arithmetic.

use super::Param;
use crate::core::Aval;

/// Python's tuple repr of integers: `()`, `(0,)`, `(0, 1)`.
pub fn py_tuple<T: std::fmt::Display>(xs: &[T]) -> String {
    match xs.len() {
        0 => "()".to_string(),
        1 => format!("({},)", xs[0]),
        _ => format!("({})", xs.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

/// Python's list repr of integers: `[]`, `[0]`, `[0, 1]`.
pub fn py_list<T: std::fmt::Display>(xs: &[T]) -> String {
    format!("[{}]", xs.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "))
}

/// Python's bool repr.
pub fn py_bool(b: bool) -> String {
    if b { "True" } else { "False" }.to_string()
}

/// A text param.
pub fn text(s: impl Into<String>) -> Param {
    Param::Text(s.into())
}

/// Checks the operand count.
pub fn expect_arity(inputs: &[Aval], n: usize) -> Result<(), String> {
    if inputs.len() == n {
        Ok(())
    } else {
        Err(format!("expected {n} operand(s), got {}", inputs.len()))
    }
}

/// Row-major strides (in elements) of `shape`.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Checks that `axes` are distinct and in `0..ndim`.
pub fn check_axes(axes: &[usize], ndim: usize, what: &str) -> Result<(), String> {
    let mut seen = vec![false; ndim];
    for &a in axes {
        if a >= ndim {
            return Err(format!("{what} {a} out of range for rank {ndim}"));
        }
        if seen[a] {
            return Err(format!("{what} {a} repeated in {axes:?}"));
        }
        seen[a] = true;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_tuples() {
        assert_eq!(py_tuple::<usize>(&[]), "()");
        assert_eq!(py_tuple(&[0]), "(0,)");
        assert_eq!(py_tuple(&[0, 1]), "(0, 1)");
        assert_eq!(py_list(&[1, 0]), "[1, 0]");
        assert_eq!(strides(&[2, 3, 4]), vec![12, 4, 1]);
    }
}
