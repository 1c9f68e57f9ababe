//! lax's elementwise functions: one per unary/binary primitive, plus `select_n`, `clamp` and
//! `convert_element_type`.

use crate::core::bind1;
use crate::prims::{BinaryOp, ElementwiseOp, Prim, UnaryOp};
use crate::tensor::{DType, Tensor};

pub use crate::prims::unary::RoundingMethod as Rounding;

macro_rules! unary_fns {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), "` elementwise (`lax.", stringify!($name), "`).\n\n```\nuse ferrax::prelude::*;\nlet x = Tensor::from_vec(vec![0.5f32, 0.25], &[2]);\nassert_eq!(ferrax::lax::", stringify!($name), "(&x).shape(), &[2]);\n```")]
        #[track_caller]
        pub fn $name(x: &Tensor) -> Tensor {
            bind1(&Prim::new(UnaryOp::$op), std::slice::from_ref(x))
        }
    )*};
}

unary_fns!(
    neg => Neg, sign => Sign, floor => Floor, ceil => Ceil, is_finite => IsFinite,
    exp => Exp, exp2 => Exp2, log => Log, log1p => Log1p, expm1 => Expm1, tanh => Tanh,
    logistic => Logistic, sin => Sin, cos => Cos, tan => Tan, asin => Asin, acos => Acos,
    atan => Atan, sinh => Sinh, cosh => Cosh, asinh => Asinh, acosh => Acosh, atanh => Atanh,
    sqrt => Sqrt, rsqrt => Rsqrt, cbrt => Cbrt, abs => Abs, square => Square, erf => Erf,
    erf_inv => ErfInv, lgamma => Lgamma, digamma => Digamma, stop_gradient => StopGradient,
    copy => Copy,
);

/// Logical (bool) or bitwise (integer) not.
///
/// ```
/// use ferrax::prelude::*;
/// let b = Tensor::from_vec(vec![true, false], &[2]);
/// assert_eq!(ferrax::lax::not(&b).to_vec::<bool>(), vec![false, true]);
/// ```
#[track_caller]
pub fn not(x: &Tensor) -> Tensor {
    bind1(&Prim::new(UnaryOp::Not), std::slice::from_ref(x))
}

/// Rounds to an integral value; `lax.round` rounds half away from zero by default.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::{round, Rounding};
/// let x = Tensor::from_vec(vec![0.5f32, 1.5, -0.5], &[3]);
/// assert_eq!(round(&x, Rounding::AwayFromZero).to_vec::<f32>(), vec![1.0, 2.0, -1.0]);
/// assert_eq!(round(&x, Rounding::ToNearestEven).to_vec::<f32>(), vec![0.0, 2.0, -0.0]);
/// ```
#[track_caller]
pub fn round(x: &Tensor, method: Rounding) -> Tensor {
    bind1(&Prim::new(UnaryOp::Round(method)), std::slice::from_ref(x))
}

/// `x ** y` for a constant integer `y`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![2.0f32, 3.0], &[2]);
/// assert_eq!(ferrax::lax::integer_pow(&x, 3).to_vec::<f32>(), vec![8.0, 27.0]);
/// ```
#[track_caller]
pub fn integer_pow(x: &Tensor, y: i32) -> Tensor {
    bind1(&Prim::new(UnaryOp::IntegerPow(y)), std::slice::from_ref(x))
}

macro_rules! binary_fns {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), "` elementwise (`lax.", stringify!($name), "`): same dtypes; equal shapes up to size-1 dims, or a rank-0 operand.\n\n```\nuse ferrax::prelude::*;\nlet x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);\nassert_eq!(ferrax::lax::", stringify!($name), "(&x, &x).shape(), &[2]);\n```")]
        #[track_caller]
        pub fn $name(x: &Tensor, y: &Tensor) -> Tensor {
            bind1(&Prim::new(BinaryOp::$op), &[x.clone(), y.clone()])
        }
    )*};
}

binary_fns!(
    polygamma => Polygamma, add => Add, sub => Sub, mul => Mul, div => Div, rem => Rem, pow => Pow, max => Max,
    min => Min, atan2 => Atan2, nextafter => Nextafter, eq => Eq, ne => Ne, lt => Lt,
    le => Le, gt => Gt, ge => Ge, add_any => AddAny,
);

/// Logical/bitwise and.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![true, true], &[2]);
/// let b = Tensor::from_vec(vec![true, false], &[2]);
/// assert_eq!(ferrax::lax::and(&a, &b).to_vec::<bool>(), vec![true, false]);
/// ```
#[track_caller]
pub fn and(x: &Tensor, y: &Tensor) -> Tensor {
    bind1(&Prim::new(BinaryOp::And), &[x.clone(), y.clone()])
}

/// Logical/bitwise or.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![6u32], &[1]);
/// assert_eq!(ferrax::lax::or(&a, &Tensor::scalar(1u32)).to_vec::<u32>(), vec![7]);
/// ```
#[track_caller]
pub fn or(x: &Tensor, y: &Tensor) -> Tensor {
    bind1(&Prim::new(BinaryOp::Or), &[x.clone(), y.clone()])
}

/// Logical/bitwise exclusive or.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![6i32], &[1]);
/// assert_eq!(ferrax::lax::xor(&a, &Tensor::scalar(3i32)).to_vec::<i32>(), vec![5]);
/// ```
#[track_caller]
pub fn xor(x: &Tensor, y: &Tensor) -> Tensor {
    bind1(&Prim::new(BinaryOp::Xor), &[x.clone(), y.clone()])
}

/// Picks `cases[which]` elementwise (`which`: bool for two cases, or i32).
///
/// ```
/// use ferrax::prelude::*;
/// let w = Tensor::from_vec(vec![true, false], &[2]);
/// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let b = Tensor::from_vec(vec![10.0f32, 20.0], &[2]);
/// assert_eq!(ferrax::lax::select_n(&w, &[a, b]).to_vec::<f32>(), vec![10.0, 2.0]);
/// ```
#[track_caller]
pub fn select_n(which: &Tensor, cases: &[Tensor]) -> Tensor {
    let mut inputs = Vec::with_capacity(cases.len() + 1);
    inputs.push(which.clone());
    inputs.extend_from_slice(cases);
    bind1(&Prim::new(ElementwiseOp::SelectN), &inputs)
}

/// Clamps `x` into `[min, max]` (`min`/`max` scalars or `x`'s shape).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2.0f32, 0.5, 3.0], &[3]);
/// let y = ferrax::lax::clamp(&Tensor::scalar(0.0f32), &x, &Tensor::scalar(1.0f32));
/// assert_eq!(y.to_vec::<f32>(), vec![0.0, 0.5, 1.0]);
/// ```
#[track_caller]
pub fn clamp(min: &Tensor, x: &Tensor, max: &Tensor) -> Tensor {
    bind1(
        &Prim::new(ElementwiseOp::Clamp),
        &[min.clone(), x.clone(), max.clone()],
    )
}

/// Converts to `dtype` (a no-op, with no equation, when it already has it).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.7f32, -1.7], &[2]);
/// assert_eq!(ferrax::lax::convert_element_type(&x, DType::I32).to_vec::<i32>(), vec![1, -1]);
/// ```
#[track_caller]
pub fn convert_element_type(x: &Tensor, dtype: DType) -> Tensor {
    if x.dtype() == dtype {
        return x.clone();
    }
    bind1(
        &Prim::new(ElementwiseOp::ConvertElementType(dtype)),
        std::slice::from_ref(x),
    )
}
