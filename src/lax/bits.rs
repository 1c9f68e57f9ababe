//! lax's bit-level functions: shifts, `bitcast_convert_type` and `threefry2x32`.

use crate::core::{bind, bind1};
use crate::prims::bits::BitsOp;
use crate::prims::Prim;
use crate::tensor::{DType, Tensor};

/// `x << y` elementwise (`lax.shift_left`, u32 or i32; 0 where `y >= 32`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1u32, 3], &[2]);
/// let y = ferrax::lax::shift_left(&x, &Tensor::scalar(4u32));
/// assert_eq!(y.to_vec::<u32>(), vec![16, 48]);
/// ```
#[track_caller]
pub fn shift_left(x: &Tensor, y: &Tensor) -> Tensor {
    bind1(&Prim::new(BitsOp::ShiftLeft), &[x.clone(), y.clone()])
}

/// `x >> y` filling with zeros (`lax.shift_right_logical`; 0 where `y >= 32`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-16i32], &[1]);
/// let y = ferrax::lax::shift_right_logical(&x, &Tensor::scalar(28i32));
/// assert_eq!(y.to_vec::<i32>(), vec![15]);
/// ```
#[track_caller]
pub fn shift_right_logical(x: &Tensor, y: &Tensor) -> Tensor {
    bind1(
        &Prim::new(BitsOp::ShiftRightLogical),
        &[x.clone(), y.clone()],
    )
}

/// `x >> y` filling with the sign bit (`lax.shift_right_arithmetic`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-16i32], &[1]);
/// let y = ferrax::lax::shift_right_arithmetic(&x, &Tensor::scalar(2i32));
/// assert_eq!(y.to_vec::<i32>(), vec![-4]);
/// ```
#[track_caller]
pub fn shift_right_arithmetic(x: &Tensor, y: &Tensor) -> Tensor {
    bind1(
        &Prim::new(BitsOp::ShiftRightArithmetic),
        &[x.clone(), y.clone()],
    )
}

/// Reinterprets the bits of `x` as `new_dtype` (`lax.bitcast_convert_type`): same width keeps
/// the shape (u32/i32/f32); `u32[..., 2]` (low word first) ↔ `f64[...]` changes width.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0x3f800000u32], &[1]);
/// let f = ferrax::lax::bitcast_convert_type(&x, DType::F32);
/// assert_eq!(f.to_vec::<f32>(), vec![1.0]);
/// let w = ferrax::lax::bitcast_convert_type(&Tensor::from_vec(vec![1.0f64], &[1]), DType::U32);
/// assert_eq!(w.shape(), &[1, 2]);
/// assert_eq!(w.to_vec::<u32>(), vec![0, 0x3ff00000]);
/// ```
#[track_caller]
pub fn bitcast_convert_type(x: &Tensor, new_dtype: DType) -> Tensor {
    bind1(
        &Prim::new(BitsOp::BitcastConvertType(new_dtype)),
        std::slice::from_ref(x),
    )
}

/// The Threefry-2x32 hash of counters `(x0, x1)` under key `(k0, k1)`, elementwise over u32
/// operands that broadcast like binary ops; returns `(y0, y1)`.
///
/// ```
/// use ferrax::prelude::*;
/// let z = Tensor::scalar(0u32);
/// let (y0, y1) = ferrax::lax::threefry2x32(&z, &z, &z, &z);
/// assert_eq!((y0.item::<u32>(), y1.item::<u32>()), (0x6b200159, 0x99ba4efe));
/// ```
#[track_caller]
pub fn threefry2x32(k0: &Tensor, k1: &Tensor, x0: &Tensor, x1: &Tensor) -> (Tensor, Tensor) {
    let out = bind(
        &Prim::new(BitsOp::Threefry2x32),
        &[k0.clone(), k1.clone(), x0.clone(), x1.clone()],
    );
    (out[0].clone(), out[1].clone())
}
