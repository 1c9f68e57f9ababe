//! Small helpers shared by the primitive families: Python-style param text, operand-count
//! checks, row-major index arithmetic.

use super::Param;
use crate::core::Aval;

/// Python's tuple repr of integers: `()`, `(0,)`, `(0, 1)`.
pub fn py_tuple<T: std::fmt::Display>(xs: &[T]) -> String {
    match xs.len() {
        0 => "()".to_string(),
        1 => format!("({},)", xs[0]),
        _ => format!(
            "({})",
            xs.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python's list repr of integers: `[]`, `[0]`, `[0, 1]`.
pub fn py_list<T: std::fmt::Display>(xs: &[T]) -> String {
    format!(
        "[{}]",
        xs.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
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

// ---- Helpers for derivative rules -------------------------------------------------------

use crate::core::{bind, Outputs};
use crate::prims::Prim;
use crate::tensor::Tensor;

/// The result of a one-output JVP rule.
pub fn jvp_out(primal: Tensor, tangent: Option<Tensor>) -> (Outputs, Vec<Option<Tensor>>) {
    (Outputs::from_iter([primal]), vec![tangent])
}

/// A tangent made explicit: the given one, or zeros shaped like `primal`.
pub fn instantiate(tangent: &Option<Tensor>, primal: &Tensor) -> Tensor {
    match tangent {
        Some(t) => t.clone(),
        None => crate::transforms::zeros_like(primal),
    }
}

/// Zeros of a type, built with ops (`broadcast_in_dim 0.0` when traced).
pub fn zeros(aval: &Aval) -> Tensor {
    crate::transforms::zeros_of(aval)
}

/// The JVP rule of a primitive that is linear in all of its inputs: the primitive applied to
/// the primals and, separately, to the tangents (zero tangents made explicit).
pub fn linear_jvp(
    prim: &Prim,
    primals: &[Tensor],
    tangents: &[Option<Tensor>],
) -> (Outputs, Vec<Option<Tensor>>) {
    let outs = bind(prim, primals);
    let ts: Vec<Tensor> = tangents
        .iter()
        .zip(primals)
        .map(|(t, p)| instantiate(t, p))
        .collect();
    let touts = bind(prim, &ts).into_iter().map(Some).collect();
    (outs, touts)
}

/// Sums a cotangent down to `aval`'s shape, undoing the size-1 (or rank-0) stretching that
/// JAX-0.10-style elementwise ops do.
pub fn unbroadcast(ct: &Tensor, aval: &Aval) -> Tensor {
    if ct.shape() == aval.shape.as_slice() {
        return ct.clone();
    }
    if aval.ndim() == 0 {
        let all: Vec<usize> = (0..ct.ndim()).collect();
        return crate::lax::reduce_sum(ct, &all);
    }
    let axes: Vec<usize> = (0..ct.ndim())
        .filter(|&i| aval.shape[i] == 1 && ct.shape()[i] != 1)
        .collect();
    let summed = crate::lax::reduce_sum(ct, &axes);
    crate::lax::reshape(&summed, &aval.shape)
}

/// Stretches a tangent to `shape` where the op broadcast its operand (size-1 dims or rank 0).
pub fn broadcast_to_shape(t: &Tensor, shape: &[usize]) -> Tensor {
    if t.shape() == shape {
        return t.clone();
    }
    let dims: Vec<usize> = if t.ndim() == 0 {
        Vec::new()
    } else {
        (0..shape.len()).collect()
    };
    crate::lax::broadcast_in_dim(t, shape, &dims)
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
