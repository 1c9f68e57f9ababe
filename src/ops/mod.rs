//! What the ops compute, as plain data and scalar functions: the op enums, their params and
//! the per-element semantics (`float_op`, the element traits, row-major strides). Below the
//! kernels and the primitives, which both read them: a kernel sees these, never a primitive,
//! a trace or a jaxpr. The primitive families (`prims`) re-export them and add the rules.

pub mod binary;
pub mod complex;
pub mod conv;
pub mod element;
pub mod unary;
pub mod window;

pub use binary::BinaryOp;
pub use conv::ConvGeneralDilated;
pub use element::{Element, FloatElement};
pub use unary::UnaryOp;
pub use window::SelectPrim;

/// Advances a row-major multi-index over `shape` (the last dim fastest); returns false
/// after the last index, which wraps to all zeros.
///
/// ```
/// let mut idx = [0, 1];
/// assert!(ferrax::internals::ops::next_index(&mut idx, &[2, 2]));
/// assert_eq!(idx, [1, 0]);
/// ```
pub fn next_index(idx: &mut [usize], shape: &[usize]) -> bool {
    for d in (0..shape.len()).rev() {
        idx[d] += 1;
        if idx[d] < shape[d] {
            return true;
        }
        idx[d] = 0;
    }
    false
}

/// Row-major strides (in elements) of `shape`.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}
