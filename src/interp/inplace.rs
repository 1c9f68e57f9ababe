//! In-place evaluation of equations whose operand dies at that equation: the result
//! overwrites the operand's buffer (elementwise ops, `select_n`) or keeps it under a new
//! shape (`reshape`, `squeeze`) instead of a fresh allocation and copy (no page faults, no
//! allocator traffic, warm cache lines). Also a scalar broadcast filled into a pooled buffer.

use crate::core::{Aval, Outputs};
use crate::kernels::elementwise::{unary_f32_inplace, unary_f64_inplace};
use crate::kernels::pool;
use crate::ops::FloatElement;
use crate::prims::adam::AdamUpdate;
use crate::prims::binary::{with_float_op, FloatZip};
use crate::prims::elementwise::ElementwiseOp;
use crate::prims::shape::ShapeOp;
use crate::prims::{family, BinaryOp, Family, Prim, UnaryOp};
use crate::tensor::{array_from_vec, ArrayData, ArrayElement, Tensor};
use smallvec::{smallvec, SmallVec};

/// Evaluates `prim` (with output types `out`) by overwriting or keeping one of `ins` when
/// that operand is uniquely owned, has the output's size and dtype, and the op supports it;
/// `None` otherwise (nothing was changed).
pub(crate) fn try_inplace(
    prim: &Prim,
    ins: &mut SmallVec<[Tensor; 3]>,
    out: &[Aval],
) -> Option<Outputs> {
    if let Some(op) = prim.downcast::<AdamUpdate>() {
        // The parameters and moments this step owns (donated state) are updated in place.
        return Some(op.eval_owned(std::mem::take(ins).into_vec()));
    }
    match family(prim) {
        Family::Unary(op) => unary(*op, ins),
        Family::Binary(op) => binary(*op, ins),
        Family::Elementwise(ElementwiseOp::SelectN) => select_n(ins),
        Family::Shape(ShapeOp::Reshape { .. } | ShapeOp::Squeeze { .. }) => reshape(ins, out),
        Family::Shape(ShapeOp::BroadcastInDim { .. }) => splat(ins, out),
        _ => None,
    }
}

/// A row-major reshape of a dying operand: the same buffer under the new shape.
fn reshape(ins: &mut SmallVec<[Tensor; 3]>, out: &[Aval]) -> Option<Outputs> {
    let [x] = &mut ins[..] else { return None };
    let a = x.unique_array_mut()?;
    if !crate::dispatch_array!(&*a, a, T => a.is_standard_layout()) {
        return None;
    }
    // Cannot fail: this step holds the only handle (checked above).
    let x = ins.pop()?.into_unique_array()?;
    let shape = &out[0].shape;
    let a = crate::dispatch_array!(x, a, T => {
        T::wrap(a.into_shape_with_order(shape.as_slice()).expect("row-major, same size"))
    });
    Some(smallvec![Tensor::from_array(a)])
}

/// A one-element operand broadcast to a large shape, filled into a pooled buffer.
fn splat(ins: &mut SmallVec<[Tensor; 3]>, out: &[Aval]) -> Option<Outputs> {
    let [x] = &ins[..] else { return None };
    let n = out[0].shape.iter().product::<usize>();
    let x = x.try_array()?;
    if x.len() != 1 || n * x.dtype().size_of() < pool::MIN_BYTES {
        return None;
    }
    fn fill<T: ArrayElement>(v: T, shape: &[usize], n: usize) -> ArrayData {
        let mut data = pool::take(n);
        data.resize(n, v);
        T::wrap(array_from_vec(shape, data))
    }
    let a =
        crate::dispatch_array!(x, a, T => fill::<T>(a.iter().copied().next()?, &out[0].shape, n));
    Some(smallvec![Tensor::from_array(a)])
}

/// Of two operands, the one an op may overwrite (the first whose buffer is held only here),
/// the other one, and whether the first was picked; `None` when neither is unique.
fn overwritable<'a>(
    first: &'a mut Tensor,
    second: &'a mut Tensor,
) -> Option<(&'a mut Tensor, &'a Tensor, bool)> {
    if first.unique_array_mut().is_some() {
        Some((first, &*second, true))
    } else if second.unique_array_mut().is_some() {
        Some((second, &*first, false))
    } else {
        None
    }
}

/// `select_n(which, case0, case1)` with a bool `which` into whichever case dies here: each
/// element is copied from the case `which` picks, as the out-of-place kernel does.
fn select_n(ins: &mut SmallVec<[Tensor; 3]>) -> Option<Outputs> {
    let [which, c0, c1] = &mut ins[..] else {
        return None;
    };
    if c0.shape() != c1.shape() || c0.dtype() != c1.dtype() || which.dtype() != crate::DType::Bool {
        return None;
    }
    let w = which.array();
    let full = w.shape() == c0.shape();
    if !full && w.len() != 1 {
        return None;
    }
    let ArrayData::Bool(w) = w else { return None };
    let w = w.as_slice()?;
    // `dst` takes the values where `which` is `pick_dst`, the other case elsewhere.
    let (dst, other, pick_dst) = overwritable(c1, c0)?;
    if !full {
        // One selector for all: the result is one of the cases, whole.
        return Some(smallvec![if w[0] == pick_dst {
            dst.clone()
        } else {
            other.clone()
        }]);
    }
    fn blend<T: Copy>(dst: &mut [T], other: &[T], w: &[bool], pick_dst: bool) {
        for ((d, &o), &k) in dst.iter_mut().zip(other).zip(w) {
            *d = if k == pick_dst { *d } else { o };
        }
    }
    /// Floats select through their bits with masks, loading and storing every element:
    /// this vectorizes, where the plain select becomes a branch and a conditional store per
    /// element (mispredicted on a relu mask). The same bits either way.
    macro_rules! blend_bits {
        ($name:ident, $f:ty, $u:ty) => {
            fn $name(dst: &mut [$f], other: &[$f], w: &[bool], pick_dst: bool) {
                let flip = <$u>::from(!pick_dst);
                for ((d, &o), &k) in dst.iter_mut().zip(other).zip(w) {
                    let keep = <$u>::wrapping_sub(0, <$u>::from(k) ^ flip);
                    *d = <$f>::from_bits((d.to_bits() & keep) | (o.to_bits() & !keep));
                }
            }
        };
    }
    blend_bits!(blend_f32, f32, u32);
    blend_bits!(blend_f64, f64, u64);
    let other = other.array();
    match (dst.unique_array_mut()?, other) {
        (ArrayData::F32(d), ArrayData::F32(o)) => {
            blend_f32(d.as_slice_mut()?, o.as_slice()?, w, pick_dst)
        }
        (ArrayData::F64(d), ArrayData::F64(o)) => {
            blend_f64(d.as_slice_mut()?, o.as_slice()?, w, pick_dst)
        }
        (ArrayData::I32(d), ArrayData::I32(o)) => {
            blend(d.as_slice_mut()?, o.as_slice()?, w, pick_dst)
        }
        (ArrayData::U32(d), ArrayData::U32(o)) => {
            blend(d.as_slice_mut()?, o.as_slice()?, w, pick_dst)
        }
        (ArrayData::Bool(d), ArrayData::Bool(o)) => {
            blend(d.as_slice_mut()?, o.as_slice()?, w, pick_dst)
        }
        _ => return None,
    }
    Some(smallvec![dst.clone()])
}

fn unary(op: UnaryOp, ins: &mut SmallVec<[Tensor; 3]>) -> Option<Outputs> {
    if !op.is_float_math() {
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
    let (dst, other, dst_is_lhs) = overwritable(a, b)?;
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

/// `dst[i] = op(dst[i], o[i])` (or `op(o[i], dst[i])`), the op chosen outside the loop
/// ([`with_float_op`]) so the common ones vectorize; the same arithmetic as `eval_binary`, so
/// results are bitwise equal.
fn zip_float<F: FloatElement>(op: BinaryOp, dst: &mut [F], o: &[F], dst_is_lhs: bool) {
    with_float_op(op, Each { dst, o, dst_is_lhs })
}

/// The in-place loop [`with_float_op`] runs: `dst` is the left operand or the right one.
struct Each<'a, F> {
    dst: &'a mut [F],
    o: &'a [F],
    dst_is_lhs: bool,
}

impl<F: Copy> FloatZip<F> for Each<'_, F> {
    type Out = ();
    #[inline(always)]
    fn zip(self, f: impl Fn(F, F) -> F) {
        fn each<F: Copy>(dst: &mut [F], o: &[F], f: impl Fn(F, F) -> F) {
            for (d, &v) in dst.iter_mut().zip(o) {
                *d = f(*d, v);
            }
        }
        if self.dst_is_lhs {
            each(self.dst, self.o, f)
        } else {
            each(self.dst, self.o, |q, p| f(p, q))
        }
    }
}
