//! Small helpers shared by the primitive families: Python-style param text, operand-count
//! checks, row-major index arithmetic.

use super::Param;
use crate::core::{Aval, Shape};
use crate::tensor::DType;
use ndarray::ArrayD;

/// An array's elements in row-major order as one slice (a copy only if the array is not in
/// standard layout, which the `ArrayData` invariant rules out).
pub(crate) fn flat<T: Clone>(a: &ArrayD<T>) -> std::borrow::Cow<'_, [T]> {
    match a.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(a.iter().cloned().collect()),
    }
}

pub use crate::ops::strides;

/// Checks that two operands share one numeric dtype and that an explicit output dtype, if any,
/// is numeric; `subject` names the two operands in the error ("operands", "lhs and rhs").
pub(crate) fn check_numeric_pair(
    subject: &str,
    a: DType,
    b: DType,
    preferred: Option<DType>,
) -> Result<(), String> {
    if a != b {
        return Err(format!(
            "{subject} must have the same dtype, got {a} and {b}"
        ));
    }
    if a == DType::Bool {
        return Err("operands must be numeric, got bool".into());
    }
    if preferred == Some(DType::Bool) {
        return Err("preferred_element_type must be numeric, got bool".into());
    }
    Ok(())
}

/// A [`Shape`] from a slice of dims (building a primitive's params).
pub fn sh(xs: &[usize]) -> Shape {
    Shape::from_slice(xs)
}

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

/// Python's tuple of `(lo, hi)` pairs (a `padding` param): `((0, 0), (1, 1))`.
pub fn py_pairs(pairs: &[(i64, i64)]) -> String {
    let pairs: Vec<String> = pairs
        .iter()
        .map(|(lo, hi)| format!("({lo}, {hi})"))
        .collect();
    py_tuple(&pairs)
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

/// The operands of a two-operand op, after checking there are exactly two.
pub(crate) fn expect_two(inputs: &[Aval]) -> Result<(&Aval, &Aval), String> {
    expect_arity(inputs, 2)?;
    Ok((&inputs[0], &inputs[1]))
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

use crate::core::{bind, BatchResult, JvpResult, Outputs};
use crate::prims::Prim;
use crate::tensor::Tensor;

/// The result of a one-output JVP rule.
pub fn jvp_out(primal: Tensor, tangent: Option<Tensor>) -> JvpResult {
    (Outputs::from_iter([primal]), vec![tangent])
}

/// A tangent made explicit: the given one, or zeros shaped like `primal`.
pub fn instantiate(tangent: &Option<Tensor>, primal: &Tensor) -> Tensor {
    match tangent {
        Some(t) => t.clone(),
        None => zeros_like(primal),
    }
}

/// Zeros of a tensor's shape and dtype, built with ops (so it traces as JAX's
/// `broadcast_in_dim 0.0`).
pub fn zeros_like(x: &Tensor) -> Tensor {
    zeros(&x.aval())
}

/// Zeros of a type, built with ops (`broadcast_in_dim 0.0` when traced).
pub fn zeros(aval: &Aval) -> Tensor {
    let z = Tensor::zeros(&[], aval.dtype);
    if aval.ndim() == 0 {
        z
    } else {
        crate::prims::lax::broadcast_in_dim(&z, &aval.shape, &[])
    }
}

/// Every tangent made explicit (zeros shaped like its primal where it is `None`).
pub fn instantiate_all(tangents: &[Option<Tensor>], primals: &[Tensor]) -> Vec<Tensor> {
    tangents
        .iter()
        .zip(primals)
        .map(|(t, p)| instantiate(t, p))
        .collect()
}

/// The JVP rule of a primitive that is linear in all of its inputs: the primitive applied to
/// the primals and, separately, to the tangents (zero tangents made explicit).
pub fn linear_jvp(prim: &Prim, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
    let outs = bind(prim, primals);
    let ts = instantiate_all(tangents, primals);
    let touts = bind(prim, &ts).into_iter().map(Some).collect();
    (outs, touts)
}

/// The transpose rule of a primitive `name` that is linear in each of its two operands
/// separately (never in both at once): the cotangent of the linear operand, from
/// `lhs_ct(g, lhs_aval, rhs)` or `rhs_ct(g, lhs, rhs_aval)`; none for a zero cotangent.
pub fn bilinear_transpose(
    name: &str,
    cts: &[Option<Tensor>],
    args: &[crate::core::LinearArg],
    lhs_ct: impl FnOnce(&Tensor, &Aval, &Tensor) -> Option<Tensor>,
    rhs_ct: impl FnOnce(&Tensor, &Tensor, &Aval) -> Option<Tensor>,
) -> Vec<Option<Tensor>> {
    assert!(
        !(args[0].is_linear() && args[1].is_linear()),
        "{name}: transpose of a product of two linear values"
    );
    let Some(g) = &cts[0] else {
        return vec![None, None];
    };
    if args[0].is_linear() {
        vec![lhs_ct(g, &args[0].aval(), args[1].known()), None]
    } else if args[1].is_linear() {
        vec![None, rhs_ct(g, args[0].known(), &args[1].aval())]
    } else {
        vec![None, None]
    }
}

/// The JVP rule of a primitive that is bilinear in its two operands (JAX's `defbilinear`):
/// `f(t_x, y) + f(x, t_y)`, summed with `add_any`, each term only when its tangent is nonzero.
pub fn bilinear_jvp(prim: &Prim, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
    let (x, y) = (&primals[0], &primals[1]);
    let ans = crate::core::bind1(prim, primals);
    let tx = tangents[0]
        .as_ref()
        .map(|t| crate::core::bind1(prim, &[t.clone(), y.clone()]));
    let ty = tangents[1]
        .as_ref()
        .map(|t| crate::core::bind1(prim, &[x.clone(), t.clone()]));
    let t = match (tx, ty) {
        (Some(a), Some(b)) => Some(crate::prims::lax::add_any(&a, &b)),
        (a, None) => a,
        (None, b) => b,
    };
    jvp_out(ans, t)
}

/// Sums a cotangent down to `aval`'s shape, undoing the size-1 (or rank-0) stretching that
/// JAX-0.10-style elementwise ops do.
pub fn unbroadcast(ct: &Tensor, aval: &Aval) -> Tensor {
    if ct.shape() == aval.shape.as_slice() {
        return ct.clone();
    }
    if aval.ndim() == 0 {
        let all: Vec<usize> = (0..ct.ndim()).collect();
        return crate::prims::lax::reduce_sum(ct, &all);
    }
    let axes: Vec<usize> = (0..ct.ndim())
        .filter(|&i| aval.shape[i] == 1 && ct.shape()[i] != 1)
        .collect();
    let summed = crate::prims::lax::reduce_sum(ct, &axes);
    crate::prims::lax::reshape(&summed, &aval.shape)
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
    crate::prims::lax::broadcast_in_dim(t, shape, &dims)
}

// ---- Helpers for batching rules ---------------------------------------------------------

/// Moves the batch dim of `x` from `from` to `to` (a no-op when equal).
pub fn move_batch_dim(x: &Tensor, from: usize, to: usize) -> Tensor {
    if from == to {
        return x.clone();
    }
    let mut perm: Vec<usize> = (0..x.ndim()).filter(|&d| d != from).collect();
    perm.insert(to, from);
    crate::prims::lax::transpose(x, &perm)
}

/// `x` with its batch dim at `to`: moved there if batched, or broadcast along a new axis of
/// `size` if not.
pub fn batch_at(x: &Tensor, dim: Option<usize>, size: usize, to: usize) -> Tensor {
    match dim {
        Some(d) => move_batch_dim(x, d, to),
        None => {
            let mut shape = x.shape().to_vec();
            shape.insert(to, size);
            let dims: Vec<usize> = (0..shape.len()).filter(|&d| d != to).collect();
            crate::prims::lax::broadcast_in_dim(x, &shape, &dims)
        }
    }
}

/// Batching for primitives that act independently on every element (JAX-0.10-style
/// operands: equal ranks with size-1 stretching, or rank 0): put every batched operand's
/// batch dim first (a batched logical scalar becomes `[B, 1, ..]`), give unbatched operands
/// of nonzero rank a size-1 batch dim (they stretch), leave rank-0 unbatched operands alone,
/// and apply the primitive; the output's batch dim is 0.
pub fn batch_elementwise(prim: &Prim, args: &[Tensor], dims: &[Option<usize>]) -> BatchResult {
    let logical_rank = args
        .iter()
        .zip(dims)
        .map(|(a, d)| a.ndim() - d.is_some() as usize)
        .max()
        .unwrap_or(0);
    let moved: Vec<Tensor> = args
        .iter()
        .zip(dims)
        .map(|(a, d)| match d {
            Some(d) => {
                let m = move_batch_dim(a, *d, 0);
                if m.ndim() == logical_rank + 1 {
                    m
                } else {
                    let mut shape = vec![m.shape()[0]];
                    shape.extend(std::iter::repeat_n(1, logical_rank));
                    crate::prims::lax::reshape(&m, &shape)
                }
            }
            None if a.ndim() == 0 => a.clone(),
            None => {
                let mut shape = vec![1];
                shape.extend_from_slice(a.shape());
                let keep: Vec<usize> = (1..=a.ndim()).collect();
                crate::prims::lax::broadcast_in_dim(a, &shape, &keep)
            }
        })
        .collect();
    let outs = bind(prim, &moved);
    let n = outs.len();
    (outs, vec![Some(0); n])
}

/// Batching by materializing: every operand gets its batch dim first and is broadcast to the
/// full batched shape `[size, shape...]`, for primitives that do not stretch size-1 dims
/// (`select_n`, `clamp`). Unbatched rank-0 operands stay scalars where `scalar_ok(i)` says
/// operand `i` may be one (`select_n`'s selector, `clamp`'s bounds).
pub fn batch_full(
    prim: &Prim,
    args: &[Tensor],
    dims: &[Option<usize>],
    size: usize,
    shape: &[usize],
    scalar_ok: impl Fn(usize) -> bool,
) -> BatchResult {
    let mut full = vec![size];
    full.extend_from_slice(shape);
    let moved: Vec<Tensor> = args
        .iter()
        .zip(dims)
        .enumerate()
        .map(|(i, (a, d))| match d {
            None if a.ndim() == 0 && scalar_ok(i) => a.clone(),
            _ => {
                let m = batch_at(a, *d, size, 0);
                if m.shape() == full.as_slice() {
                    m
                } else {
                    let keep: Vec<usize> = if m.ndim() == 1 {
                        vec![0]
                    } else {
                        (0..m.ndim()).collect()
                    };
                    crate::prims::lax::broadcast_in_dim(&m, &full, &keep)
                }
            }
        })
        .collect();
    let outs = bind(prim, &moved);
    let n = outs.len();
    (outs, vec![Some(0); n])
}

/// Evaluates a primitive whose kernels exist for the wide dtypes only (see
/// [`DType::widened`](crate::DType::widened)): `None` when no operand is narrow (the caller
/// runs its kernels), else the outputs of `eval` on the widened operands, each narrowed back
/// to its aval's dtype. Exact for data movement and for the ops whose narrow results are
/// the wide ones narrowed (wrapping integer arithmetic, XLA's f32 compute for bf16/f16);
/// it keeps the narrow dtypes from instantiating every generic kernel again.
pub(crate) fn eval_widened(
    inputs: &[&crate::tensor::ArrayData],
    out: &[Aval],
    eval: impl FnOnce(&[&crate::tensor::ArrayData], &[Aval]) -> crate::prims::ArrayOutputs,
) -> Option<crate::prims::ArrayOutputs> {
    if inputs.iter().all(|a| a.dtype().widened() == a.dtype()) {
        return None;
    }
    let wide: Vec<crate::tensor::ArrayData> = inputs
        .iter()
        .map(|a| a.convert(a.dtype().widened()))
        .collect();
    let wide_refs: Vec<&crate::tensor::ArrayData> = wide.iter().collect();
    let wide_out: Vec<Aval> = out
        .iter()
        .map(|a| a.with_dtype(a.dtype.widened()))
        .collect();
    Some(
        eval(&wide_refs, &wide_out)
            .into_iter()
            .zip(out)
            .map(|(r, aval)| r.convert(aval.dtype))
            .collect(),
    )
}

/// Evaluates a pure data-movement primitive (its outputs only copy operand elements) with
/// kernels for the five base dtypes only: narrow dtypes widened, i64/u64 moved as f64 bit
/// patterns, complex operands moved as their real and imaginary parts (two evaluations).
/// `None` when every operand already has a base dtype (the caller runs its kernels).
pub(crate) fn eval_on_base_types(
    inputs: &[&crate::tensor::ArrayData],
    out: &[Aval],
    eval: &dyn Fn(&[&crate::tensor::ArrayData], &[Aval]) -> crate::prims::ArrayOutputs,
) -> Option<crate::prims::ArrayOutputs> {
    use crate::tensor::ArrayData;
    let base = |d: DType| {
        matches!(
            d,
            DType::Bool | DType::I32 | DType::U32 | DType::F32 | DType::F64
        )
    };
    if inputs.iter().all(|a| base(a.dtype())) {
        return None;
    }
    let run = |ins: Vec<ArrayData>, out_dtype: &dyn Fn(DType) -> DType| {
        let refs: Vec<&ArrayData> = ins.iter().collect();
        let avals: Vec<Aval> = out
            .iter()
            .map(|a| a.with_dtype(out_dtype(a.dtype)))
            .collect();
        eval(&refs, &avals)
    };
    if inputs.iter().any(|a| a.dtype().is_complex()) {
        let (re, im): (Vec<ArrayData>, Vec<ArrayData>) = inputs
            .iter()
            .map(|a| {
                a.complex_parts()
                    .unwrap_or_else(|| ((*a).clone(), (*a).clone()))
            })
            .unzip();
        let (re, im) = (run(re, &DType::real_dtype), run(im, &DType::real_dtype));
        let outs = re.into_iter().zip(im).zip(out).map(|((r, i), aval)| {
            if aval.dtype.is_complex() {
                ArrayData::from_complex_parts(&r, &i)
            } else {
                r
            }
        });
        return Some(outs.collect());
    }
    let ins: Vec<ArrayData> = inputs
        .iter()
        .map(|a| {
            a.to_f64_bits()
                .unwrap_or_else(|| a.convert(a.dtype().widened()))
        })
        .collect();
    let moved = |d: DType| {
        if matches!(d, DType::I64 | DType::U64) {
            DType::F64
        } else {
            d.widened()
        }
    };
    let outs = run(ins, &moved)
        .into_iter()
        .zip(out)
        .map(|(r, aval)| match aval.dtype {
            DType::I64 | DType::U64 => r.f64_bits_as(aval.dtype),
            d => r.convert(d),
        });
    Some(outs.collect())
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
