//! Elementwise primitives of two operands: arithmetic (`add sub mul div rem pow max min atan2
//! nextafter add_any`), comparisons (`eq ne lt le gt ge`) and logic (`and or xor`).
//!
//! Shapes follow JAX 0.10's lax: operands have equal rank, and a dimension of size 1 (or a
//! rank-0 operand) stretches to the other's size. The user-facing layer inserts the
//! `broadcast_in_dim` that makes ranks equal. Integer division and remainder truncate toward
//! zero (C semantics, as XLA); `x / 0` is -1 for integers and `x % 0` is `x`.

use super::util::expect_arity;
use super::{ArrayOutputs, PrimRules};
use crate::core::{Aval, Avals, Shape};
use crate::tensor::{ArrayData, ArrayElement, DType};
use ndarray::{ArrayD, IxDyn};
use smallvec::smallvec;

/// A two-operand elementwise primitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Max,
    Min,
    Atan2,
    Nextafter,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Xor,
    /// Addition of cotangents in the backward pass (JAX's `add_any`).
    AddAny,
}

impl BinaryOp {
    /// True for the comparisons, which return bool.
    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(self, Eq | Ne | Lt | Le | Gt | Ge)
    }

    fn dtype_ok(self, d: DType) -> bool {
        use BinaryOp::*;
        match self {
            Add | Sub | Mul | Div | Rem | Max | Min | AddAny => d != DType::Bool,
            Pow | Atan2 | Nextafter => d.is_float(),
            Eq | Ne | Lt | Le | Gt | Ge => true,
            And | Or | Xor => !d.is_float(),
        }
    }
}

/// The result shape of a JAX-0.10-style elementwise op: equal ranks with size-1 stretching,
/// or a rank-0 operand.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Shape, String> {
    if a.is_empty() {
        return Ok(Shape::from_slice(b));
    }
    if b.is_empty() {
        return Ok(Shape::from_slice(a));
    }
    if a.len() != b.len() {
        return Err(format!(
            "ranks differ ({} vs {}); broadcast_in_dim first",
            a.len(),
            b.len()
        ));
    }
    a.iter()
        .zip(b)
        .map(|(&x, &y)| match (x, y) {
            _ if x == y => Ok(x),
            (1, _) => Ok(y),
            (_, 1) => Ok(x),
            _ => Err(format!("incompatible shapes {a:?} and {b:?}")),
        })
        .collect()
}

impl PrimRules for BinaryOp {
    fn name(&self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "add",
            Sub => "sub",
            Mul => "mul",
            Div => "div",
            Rem => "rem",
            Pow => "pow",
            Max => "max",
            Min => "min",
            Atan2 => "atan2",
            Nextafter => "nextafter",
            Eq => "eq",
            Ne => "ne",
            Lt => "lt",
            Le => "le",
            Gt => "gt",
            Ge => "ge",
            And => "and",
            Or => "or",
            Xor => "xor",
            AddAny => "add_any",
        }
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 2)?;
        let (a, b) = (&inputs[0], &inputs[1]);
        let pow_int_exponent =
            *self == BinaryOp::Pow && a.dtype.is_float() && b.dtype == DType::I32;
        if a.dtype != b.dtype && !pow_int_exponent {
            return Err(format!(
                "dtypes differ ({} vs {}); convert one first",
                a.dtype, b.dtype
            ));
        }
        if !self.dtype_ok(a.dtype) {
            return Err(format!("dtype {} is not supported", a.dtype));
        }
        let shape = broadcast_shapes(&a.shape, &b.shape)?;
        let dtype = if self.is_comparison() {
            DType::Bool
        } else {
            a.dtype
        };
        Ok(smallvec![Aval { shape, dtype }])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        smallvec![eval_binary(*self, inputs[0], inputs[1], &out[0].shape)]
    }
}

/// Applies `f` elementwise with size-1/rank-0 stretching. Equal shapes and scalar operands
/// take flat fast paths.
pub fn zip_map<A: Copy, B: Copy, O>(
    a: &ArrayD<A>,
    b: &ArrayD<B>,
    out_shape: &[usize],
    f: impl Fn(A, B) -> O,
) -> ArrayD<O> {
    let shape = IxDyn(out_shape);
    if a.shape() == out_shape && b.shape() == out_shape {
        let (xs, ys) = (
            a.as_slice().expect("row-major"),
            b.as_slice().expect("row-major"),
        );
        let data: Vec<O> = xs.iter().zip(ys).map(|(&x, &y)| f(x, y)).collect();
        return ArrayD::from_shape_vec(shape, data).expect("same size");
    }
    if b.len() == 1 && a.shape() == out_shape {
        let y = *b.iter().next().expect("one element");
        let data: Vec<O> = a
            .as_slice()
            .expect("row-major")
            .iter()
            .map(|&x| f(x, y))
            .collect();
        return ArrayD::from_shape_vec(shape, data).expect("same size");
    }
    if a.len() == 1 && b.shape() == out_shape {
        let x = *a.iter().next().expect("one element");
        let data: Vec<O> = b
            .as_slice()
            .expect("row-major")
            .iter()
            .map(|&y| f(x, y))
            .collect();
        return ArrayD::from_shape_vec(shape, data).expect("same size");
    }
    let av = a
        .broadcast(shape.clone())
        .expect("shape rule checked broadcast");
    let bv = b
        .broadcast(shape.clone())
        .expect("shape rule checked broadcast");
    // Collect in logical (row-major) order. `Zip::map_collect` picks column-major output when
    // the broadcast views lean that way (e.g. [2,1,1] with [1,3,1]), which would break the
    // standard-layout invariant that kernels rely on.
    let data: Vec<O> = av.iter().zip(bv.iter()).map(|(&x, &y)| f(x, y)).collect();
    ArrayD::from_shape_vec(shape, data).expect("same size")
}

/// Evaluates a binary op on concrete arrays.
pub fn eval_binary(op: BinaryOp, a: &ArrayData, b: &ArrayData, out_shape: &[usize]) -> ArrayData {
    use ArrayData as A;
    if op.is_comparison() {
        return crate::dispatch_array!(a, x, T => {
            let y = T::view(b).expect("same dtype");
            A::Bool(zip_map(x, y, out_shape, |p: T, q: T| compare(op, p, q)))
        });
    }
    match (a, b) {
        (A::F32(x), A::F32(y)) => A::F32(zip_map(x, y, out_shape, |p, q| float_op(op, p, q))),
        (A::F64(x), A::F64(y)) => A::F64(zip_map(x, y, out_shape, |p, q| float_op(op, p, q))),
        (A::F32(x), A::I32(y)) => A::F32(zip_map(x, y, out_shape, |p, q| p.powi(q))),
        (A::F64(x), A::I32(y)) => A::F64(zip_map(x, y, out_shape, |p, q| p.powi(q))),
        (A::I32(x), A::I32(y)) => A::I32(zip_map(x, y, out_shape, |p, q| int_op_i32(op, p, q))),
        (A::U32(x), A::U32(y)) => A::U32(zip_map(x, y, out_shape, |p, q| int_op_u32(op, p, q))),
        (A::Bool(x), A::Bool(y)) => A::Bool(zip_map(x, y, out_shape, |p, q| match op {
            BinaryOp::And => p & q,
            BinaryOp::Or => p | q,
            BinaryOp::Xor => p ^ q,
            _ => unreachable!("checked by abstract_eval"),
        })),
        _ => unreachable!("dtypes checked by abstract_eval"),
    }
}

fn compare<T: PartialOrd>(op: BinaryOp, p: T, q: T) -> bool {
    match op {
        BinaryOp::Eq => p == q,
        BinaryOp::Ne => p != q,
        BinaryOp::Lt => p < q,
        BinaryOp::Le => p <= q,
        BinaryOp::Gt => p > q,
        BinaryOp::Ge => p >= q,
        _ => unreachable!("not a comparison"),
    }
}

/// Float arithmetic with XLA's NaN-propagating max/min.
fn float_op<F: num_traits::Float + NextAfter>(op: BinaryOp, p: F, q: F) -> F {
    use BinaryOp::*;
    match op {
        Add | AddAny => p + q,
        Sub => p - q,
        Mul => p * q,
        Div => p / q,
        Rem => p % q,
        Pow => p.powf(q),
        Max => {
            if p.is_nan() || q.is_nan() {
                F::nan()
            } else if p > q {
                p
            } else {
                q
            }
        }
        Min => {
            if p.is_nan() || q.is_nan() {
                F::nan()
            } else if p < q {
                p
            } else {
                q
            }
        }
        Atan2 => p.atan2(q),
        Nextafter => p.next_after(q),
        _ => unreachable!("checked by abstract_eval"),
    }
}

/// `nextafter` from libm.
pub trait NextAfter {
    /// The next representable value after `self` toward `to`.
    fn next_after(self, to: Self) -> Self;
}
impl NextAfter for f32 {
    fn next_after(self, to: f32) -> f32 {
        libm::nextafterf(self, to)
    }
}
impl NextAfter for f64 {
    fn next_after(self, to: f64) -> f64 {
        libm::nextafter(self, to)
    }
}

fn int_op_i32(op: BinaryOp, p: i32, q: i32) -> i32 {
    use BinaryOp::*;
    match op {
        Add | AddAny => p.wrapping_add(q),
        Sub => p.wrapping_sub(q),
        Mul => p.wrapping_mul(q),
        Div => {
            if q == 0 {
                -1
            } else {
                p.wrapping_div(q)
            }
        }
        Rem => {
            if q == 0 {
                p
            } else {
                p.wrapping_rem(q)
            }
        }
        Max => p.max(q),
        Min => p.min(q),
        And => p & q,
        Or => p | q,
        Xor => p ^ q,
        _ => unreachable!("checked by abstract_eval"),
    }
}

fn int_op_u32(op: BinaryOp, p: u32, q: u32) -> u32 {
    use BinaryOp::*;
    match op {
        Add | AddAny => p.wrapping_add(q),
        Sub => p.wrapping_sub(q),
        Mul => p.wrapping_mul(q),
        Div => p.checked_div(q).unwrap_or(u32::MAX),
        Rem => p.checked_rem(q).unwrap_or(p),
        Max => p.max(q),
        Min => p.min(q),
        And => p & q,
        Or => p | q,
        Xor => p ^ q,
        _ => unreachable!("checked by abstract_eval"),
    }
}
