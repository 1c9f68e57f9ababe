//! What the ops compute, as plain data and scalar functions: the op enums, their params and
//! the per-element semantics (`float_op`, the element traits, row-major strides). Below the
//! kernels and the primitives, which both read them: a kernel sees these, never a primitive,
//! a trace or a jaxpr. The primitive families (`prims`) re-export them and add the rules.

pub mod binary;
pub mod conv;
pub mod element;
pub mod unary;
pub mod window;

pub use conv::ConvGeneralDilated;
pub use element::{Element, FloatElement};
pub use unary::UnaryOp;
pub use window::SelectPrim;

/// Row-major strides (in elements) of `shape`.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}
