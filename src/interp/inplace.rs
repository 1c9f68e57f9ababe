//! In-place evaluation of elementwise equations whose operand dies at that equation: the
//! result overwrites the operand's buffer instead of a fresh allocation (no page faults, no
//! allocator traffic, warm cache lines).

use crate::core::Outputs;
use crate::kernels::elementwise::{unary_f32_inplace, unary_f64_inplace};
use crate::prims::binary::{float_op, max_nan, min_nan};
use crate::prims::{BinaryOp, Prim, UnaryOp};
use crate::tensor::{ArrayData, Tensor};
use smallvec::{smallvec, SmallVec};

/// Evaluates `prim` by overwriting one of `ins` when that operand is uniquely owned, has the
/// output's shape and dtype, and the op supports it; `None` otherwise (nothing was changed).
pub(crate) fn try_inplace(prim: &Prim, ins: &mut SmallVec<[Tensor; 3]>) -> Option<Outputs> {
    match prim {
        Prim::Unary(op) => unary(*op, ins),
        Prim::Binary(op) => binary(*op, ins),
        _ => None,
    }
}

fn unary(op: UnaryOp, ins: &mut SmallVec<[Tensor; 3]>) -> Option<Outputs> {
    use UnaryOp::*;
    if matches!(op, IsFinite | Not | StopGradient | Copy) {
        return None;
    }
    let [x] = &mut ins[..] else { return None };
    match x.unique_array_mut()? {
        ArrayData::F32(a) => unary_f32_inplace(op, a.as_slice_mut()?),
        ArrayData::F64(a) => unary_f64_inplace(op, a.as_slice_mut()?),
        _ => return None,
    }
    Some(smallvec![x.clone()])
}

fn binary(op: BinaryOp, ins: &mut SmallVec<[Tensor; 3]>) -> Option<Outputs> {
    use BinaryOp::*;
    if !matches!(
        op,
        Add | AddAny | Sub | Mul | Div | Max | Min | Pow | Atan2 | Rem
    ) {
        return None;
    }
    let [a, b] = &mut ins[..] else { return None };
    if a.shape() != b.shape() || a.dtype() != b.dtype() {
        return None;
    }
    // Overwrite whichever operand is unique; the other is only read.
    let (dst, other, dst_is_lhs) = if a.unique_array_mut().is_some() {
        (a, &*b, true)
    } else if b.unique_array_mut().is_some() {
        (b, &*a, false)
    } else {
        return None;
    };
    let other = other.array();
    match (dst.unique_array_mut()?, other) {
        (ArrayData::F32(d), ArrayData::F32(o)) => {
            zip_float(op, d.as_slice_mut()?, o.as_slice()?, dst_is_lhs)
        }
        (ArrayData::F64(d), ArrayData::F64(o)) => {
            zip_float(op, d.as_slice_mut()?, o.as_slice()?, dst_is_lhs)
        }
        _ => return None,
    }
    Some(smallvec![dst.clone()])
}

/// `dst[i] = op(dst[i], o[i])` (or `op(o[i], dst[i])`), with the common ops as their own
/// loops so they vectorize; the same arithmetic as `eval_binary`, so results are bitwise equal.
fn zip_float<F: num_traits::Float + crate::prims::binary::NextAfter>(
    op: BinaryOp,
    dst: &mut [F],
    o: &[F],
    dst_is_lhs: bool,
) {
    use BinaryOp::*;
    fn each<F: Copy>(dst: &mut [F], o: &[F], f: impl Fn(F, F) -> F) {
        for (d, &v) in dst.iter_mut().zip(o) {
            *d = f(*d, v);
        }
    }
    match (op, dst_is_lhs) {
        (Add | AddAny, _) => each(dst, o, |p, q| p + q),
        (Mul, _) => each(dst, o, |p, q| p * q),
        (Sub, true) => each(dst, o, |p, q| p - q),
        (Sub, false) => each(dst, o, |q, p| p - q),
        (Div, true) => each(dst, o, |p, q| p / q),
        (Div, false) => each(dst, o, |q, p| p / q),
        (Max, true) => each(dst, o, max_nan),
        (Max, false) => each(dst, o, |q, p| max_nan(p, q)),
        (Min, true) => each(dst, o, min_nan),
        (Min, false) => each(dst, o, |q, p| min_nan(p, q)),
        (_, true) => each(dst, o, |p, q| float_op(op, p, q)),
        (_, false) => each(dst, o, |q, p| float_op(op, p, q)),
    }
}
