//! Bitwise functions, `jax.numpy` style, on the integer and bool dtypes: `bitwise_and`,
//! `bitwise_or`, `bitwise_xor`, `bitwise_not`/`invert`/`bitwise_invert`, `left_shift`,
//! `right_shift` (arithmetic for i32, logical for u32) and their `bitwise_` spellings,
//! `bitwise_count`.

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

#[track_caller]
fn integer_pair(name: &str, a: impl IntoOperand, b: impl IntoOperand) -> (Tensor, Tensor) {
    let (a, b) = promote_named(name, a, b);
    assert!(
        !a.dtype().is_float(),
        "{name}: needs integer or bool operands, got {} and {} (called from {})",
        a.aval(),
        b.aval(),
        std::panic::Location::caller()
    );
    (a, b)
}

macro_rules! bitwise_binary {
    ($($name:ident => $lax:ident, $ex:literal;)*) => {$(
        #[doc = concat!("`jnp.", stringify!($name), "`: elementwise on integers or bools, with numpy broadcasting.\n\n```\nuse ferrax::prelude::*;\nlet x = Tensor::from_vec(vec![12, 10], &[2]);\nassert_eq!(ferrax::numpy::", stringify!($name), "(&x, 6).to_vec::<i32>(), vec!", $ex, ");\n```")]
        #[track_caller]
        pub fn $name(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
            let (a, b) = integer_pair(stringify!($name), a, b);
            lax::$lax(&a, &b)
        }
    )*};
}
bitwise_binary! {
    bitwise_and => and, "[4, 2]";
    bitwise_or => or, "[14, 14]";
    bitwise_xor => xor, "[10, 12]";
    left_shift => shift_left, "[768, 640]";
    bitwise_left_shift => shift_left, "[768, 640]";
}

/// `jnp.right_shift`: arithmetic for signed, logical for unsigned integers.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-16, 16], &[2]);
/// assert_eq!(ferrax::numpy::right_shift(&x, 2).to_vec::<i32>(), vec![-4, 4]);
/// ```
#[track_caller]
pub fn right_shift(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = integer_pair("right_shift", a, b);
    if a.dtype() == DType::I32 {
        lax::shift_right_arithmetic(&a, &b)
    } else {
        lax::shift_right_logical(&a, &b)
    }
}

/// `jnp.bitwise_right_shift`: the same as [`right_shift`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![8u32], &[1]);
/// assert_eq!(ferrax::numpy::bitwise_right_shift(&x, 3u32).to_vec::<u32>(), vec![1]);
/// ```
#[track_caller]
pub fn bitwise_right_shift(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    right_shift(a, b)
}

/// `jnp.bitwise_not`: bitwise complement (logical not for bools).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0, -1, 5], &[3]);
/// assert_eq!(ferrax::numpy::bitwise_not(&x).to_vec::<i32>(), vec![-1, 0, -6]);
/// ```
#[track_caller]
pub fn bitwise_not(x: &Tensor) -> Tensor {
    assert!(
        !x.dtype().is_float(),
        "bitwise_not: needs an integer or bool operand, got {} (called from {})",
        x.aval(),
        std::panic::Location::caller()
    );
    lax::not(x)
}

/// `jnp.invert`: the same as [`bitwise_not`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![true, false], &[2]);
/// assert_eq!(ferrax::numpy::invert(&x).to_vec::<bool>(), vec![false, true]);
/// ```
#[track_caller]
pub fn invert(x: &Tensor) -> Tensor {
    bitwise_not(x)
}

/// `jnp.bitwise_invert`: the same as [`bitwise_not`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1], &[1]);
/// assert_eq!(ferrax::numpy::bitwise_invert(&x).to_vec::<i32>(), vec![-2]);
/// ```
#[track_caller]
pub fn bitwise_invert(x: &Tensor) -> Tensor {
    bitwise_not(x)
}

/// `jnp.bitwise_count`: the number of set bits of `|x|` (as JAX, which counts the absolute
/// value), in `x`'s dtype.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![7, -1, 0], &[3]);
/// assert_eq!(ferrax::numpy::bitwise_count(&x).to_vec::<i32>(), vec![3, 1, 0]);
/// ```
#[track_caller]
pub fn bitwise_count(x: &Tensor) -> Tensor {
    assert!(
        matches!(x.dtype(), DType::I32 | DType::U32),
        "bitwise_count: needs an integer operand, got {} (called from {})",
        x.aval(),
        std::panic::Location::caller()
    );
    let x = if x.dtype() == DType::I32 {
        lax::abs(x)
    } else {
        x.clone()
    };
    lax::population_count(&x)
}
