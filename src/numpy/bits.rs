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

/// The `bitorder` of [`packbits_with`] and [`unpackbits_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BitOrder {
    /// The first element is the most significant bit (`'big'`, the default).
    #[default]
    Big,
    /// The first element is the least significant bit (`'little'`).
    Little,
}

/// The keyword arguments of `jnp.packbits`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PackBits {
    /// Bit order within each byte.
    pub bitorder: BitOrder,
}

/// The keyword arguments of `jnp.unpackbits`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnpackBits {
    /// Keep this many bits along the axis (zero-padded if more than there are); `None`: all.
    pub count: Option<usize>,
    /// Bit order within each byte.
    pub bitorder: BitOrder,
}

/// The eight one-bit masks of a byte as u8, in `order` (`[128, 64, ..., 1]` for big).
fn byte_masks(order: BitOrder) -> Tensor {
    let mut m: Vec<f64> = (0..8).map(|b| f64::from(1u32 << b)).collect();
    if order == BitOrder::Big {
        m.reverse();
    }
    Tensor::from_f64_values(&m, &[8], DType::U8)
}

/// `jnp.packbits(a, axis)`: the nonzero-ness of an integer or bool array packed eight to a
/// `uint8` along `axis` (`None`: the flattened array), the last byte zero-padded.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![true, false, true, true, false, false, false, false, true], &[9]);
/// assert_eq!(ferrax::numpy::packbits(&x, None).to_vec::<u8>(), vec![0b1011_0000, 0b1000_0000]);
/// ```
#[track_caller]
pub fn packbits(x: &Tensor, axis: Option<isize>) -> Tensor {
    packbits_with(x, axis, PackBits::default())
}

/// [`packbits`] with its keyword arguments.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{packbits_with, BitOrder, PackBits};
/// let x = Tensor::from_vec(vec![1, 0, 0, 0], &[1, 4]);
/// let little = PackBits { bitorder: BitOrder::Little };
/// assert_eq!(packbits_with(&x, Some(-1), little).to_vec::<u8>(), vec![1]);
/// ```
#[track_caller]
pub fn packbits_with(x: &Tensor, axis: Option<isize>, opts: PackBits) -> Tensor {
    assert!(
        x.dtype() == DType::Bool || x.dtype().is_int(),
        "packbits: expected an integer or bool array, got {} (called from {})",
        x.aval(),
        std::panic::Location::caller()
    );
    let zero = lax::broadcast_in_dim(&Tensor::zeros(&[], x.dtype()), x.shape(), &[]);
    let bits = lax::convert_element_type(&lax::ne(x, &zero), DType::U8);
    let (bits, axis) = match axis {
        None => (ravel(&bits), 0),
        Some(a) => (bits, a),
    };
    let a = swapaxes(&bits, axis, -1);
    let mut shape = a.shape().to_vec();
    let n = shape.pop().expect("swapaxes keeps the rank");
    let padded = n.div_ceil(8) * 8;
    let mut widths = vec![(0, 0); shape.len()];
    widths.push((0, padded - n));
    let a = pad(&a, &widths);
    shape.extend([padded / 8, 8]);
    let a = a.reshape(&shape.iter().map(|&d| d as isize).collect::<Vec<_>>());
    let masks = lax::broadcast_in_dim(&byte_masks(opts.bitorder), &shape, &[shape.len() - 1]);
    let packed = lax::reduce_sum(&lax::mul(&a, &masks), &[shape.len() - 1]);
    swapaxes(&packed, axis, -1)
}

/// `jnp.unpackbits(a, axis)`: each `uint8` of `a` as its eight bits (0 or 1, `uint8`) along
/// `axis` (`None`: the flattened array).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0b1010_0001u8], &[1]);
/// assert_eq!(ferrax::numpy::unpackbits(&x, None).to_vec::<u8>(), vec![1, 0, 1, 0, 0, 0, 0, 1]);
/// ```
#[track_caller]
pub fn unpackbits(x: &Tensor, axis: Option<isize>) -> Tensor {
    unpackbits_with(x, axis, UnpackBits::default())
}

/// [`unpackbits`] with its keyword arguments.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{unpackbits_with, BitOrder, UnpackBits};
/// let x = Tensor::from_vec(vec![0b0000_0110u8], &[1]);
/// let o = UnpackBits { count: Some(3), bitorder: BitOrder::Little };
/// assert_eq!(unpackbits_with(&x, None, o).to_vec::<u8>(), vec![0, 1, 1]);
/// ```
#[track_caller]
pub fn unpackbits_with(x: &Tensor, axis: Option<isize>, opts: UnpackBits) -> Tensor {
    assert!(
        x.dtype() == DType::U8,
        "unpackbits: expected an array of unsigned bytes (u8), got {} (called from {})",
        x.aval(),
        std::panic::Location::caller()
    );
    let (x, axis) = match axis {
        None => (ravel(x), 0),
        Some(a) => (x.clone(), a),
    };
    let a = swapaxes(&x, axis, -1);
    let mut shape = a.shape().to_vec();
    shape.push(8);
    let keep: Vec<usize> = (0..a.ndim()).collect();
    let a = lax::broadcast_in_dim(&a, &shape, &keep);
    let masks = lax::broadcast_in_dim(&byte_masks(opts.bitorder), &shape, &[shape.len() - 1]);
    let zero = lax::broadcast_in_dim(&Tensor::zeros(&[], DType::U8), &shape, &[]);
    let on = lax::gt(&lax::and(&a, &masks), &zero);
    let mut unpacked = lax::convert_element_type(&on, DType::U8);
    shape.pop();
    let n = shape.pop().expect("rank >= 1 after swapaxes") * 8;
    shape.push(n);
    unpacked = unpacked.reshape(&shape.iter().map(|&d| d as isize).collect::<Vec<_>>());
    if let Some(count) = opts.count {
        let last = shape.len() - 1;
        unpacked = if count > n {
            let mut widths = vec![(0, 0); last];
            widths.push((0, count - n));
            pad(&unpacked, &widths)
        } else {
            slice_axis(&unpacked, -1, 0, count as isize)
        };
    }
    swapaxes(&unpacked, axis, -1)
}
