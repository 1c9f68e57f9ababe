//! Element types: the `DType` tag, the `Element` trait that ties a Rust type to its tag, and
//! numpy's type-promotion rules for the user-facing layer.

use std::fmt;

/// The element type of a tensor. `F32` is the default float, `I32` the default integer
/// (as in JAX with 64-bit mode off).
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(Tensor::from_vec(vec![1i32, 2], &[2]).dtype(), DType::I32);
/// assert_eq!(DType::F32.to_string(), "f32");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    I32,
    U32,
    F32,
    F64,
}

impl DType {
    /// All dtypes, in promotion-lattice order.
    pub const ALL: [DType; 5] = [DType::Bool, DType::I32, DType::U32, DType::F32, DType::F64];

    /// JAX's short name as printed in jaxpr types: `f32`, `i32`, `bool`, ...
    ///
    /// ```
    /// assert_eq!(ferrax::DType::U32.short_name(), "u32");
    /// ```
    pub fn short_name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I32 => "i32",
            DType::U32 => "u32",
            DType::F32 => "f32",
            DType::F64 => "f64",
        }
    }

    /// numpy's name as printed in primitive params: `float32`, `int32`, ...
    ///
    /// ```
    /// assert_eq!(ferrax::DType::F64.numpy_name(), "float64");
    /// ```
    pub fn numpy_name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I32 => "int32",
            DType::U32 => "uint32",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// True for `F32` and `F64`.
    ///
    /// ```
    /// assert!(ferrax::DType::F32.is_float() && !ferrax::DType::I32.is_float());
    /// ```
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    /// True for `I32` and `U32`.
    ///
    /// ```
    /// assert!(ferrax::DType::U32.is_int());
    /// ```
    pub fn is_int(self) -> bool {
        matches!(self, DType::I32 | DType::U32)
    }

    /// Size of one element in bytes.
    ///
    /// ```
    /// assert_eq!(ferrax::DType::F64.size_of(), 8);
    /// ```
    pub fn size_of(self) -> usize {
        match self {
            DType::Bool => 1,
            DType::I32 | DType::U32 | DType::F32 => 4,
            DType::F64 => 8,
        }
    }

    /// numpy's result type of two array dtypes (`np.result_type`, restricted to ferrax's
    /// dtypes and JAX's 32-bit default): bool < ints < floats, f32 with f64 is f64,
    /// i32 with u32 is i32... except that numpy would widen to i64, which JAX (x64 off)
    /// maps back to i32.
    ///
    /// ```
    /// use ferrax::DType;
    /// assert_eq!(DType::promote(DType::F32, DType::F64), DType::F64);
    /// assert_eq!(DType::promote(DType::I32, DType::F32), DType::F32);
    /// assert_eq!(DType::promote(DType::Bool, DType::U32), DType::U32);
    /// ```
    pub fn promote(a: DType, b: DType) -> DType {
        use DType::*;
        if a == b {
            return a;
        }
        match (a, b) {
            (F64, _) | (_, F64) => F64,
            (F32, _) | (_, F32) => F32,
            (I32, U32) | (U32, I32) => I32,
            (Bool, x) | (x, Bool) => x,
            _ => unreachable!("all dtype pairs covered"),
        }
    }

    /// The dtype a Rust scalar of `kind` takes when combined with a tensor of dtype `self`
    /// (JAX's weak typing): the tensor wins unless the scalar's kind is "higher".
    ///
    /// ```
    /// use ferrax::{DType, tensor::ScalarKind};
    /// assert_eq!(DType::F64.weak_result(ScalarKind::Float), DType::F64);
    /// assert_eq!(DType::I32.weak_result(ScalarKind::Float), DType::F32);
    /// assert_eq!(DType::U32.weak_result(ScalarKind::Int), DType::U32);
    /// ```
    pub fn weak_result(self, kind: ScalarKind) -> DType {
        match (kind, self) {
            (ScalarKind::Float, d) if !d.is_float() => DType::F32,
            (ScalarKind::Int, DType::Bool) => DType::I32,
            (_, d) => d,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

/// What kind of Rust scalar was written next to a tensor (`x * 2.0`, `x + 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarKind {
    Bool,
    Int,
    Float,
}

/// A Rust scalar usable as an operand beside a tensor. One generic impl per operator means an
/// unsuffixed literal (`x * 2.0`) infers without annotations.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
/// assert_eq!((x * 2.0).to_vec::<f64>(), vec![2.0, 4.0]); // the scalar takes x's dtype
/// ```
pub trait Scalar: Copy + Send + Sync + 'static {
    /// The scalar's kind, for weak-type promotion.
    fn kind(self) -> ScalarKind;
    /// The value as f64 (exact for every supported type except large i64/u64).
    fn as_f64(self) -> f64;
}

macro_rules! impl_scalar {
    ($($t:ty => $kind:ident),*) => {$(
        impl Scalar for $t {
            fn kind(self) -> ScalarKind { ScalarKind::$kind }
            fn as_f64(self) -> f64 { self as f64 }
        }
    )*};
}
impl_scalar!(f32 => Float, f64 => Float, i32 => Int, u32 => Int, i64 => Int, u64 => Int,
             usize => Int, isize => Int);

impl Scalar for bool {
    fn kind(self) -> ScalarKind {
        ScalarKind::Bool
    }
    fn as_f64(self) -> f64 {
        if self {
            1.0
        } else {
            0.0
        }
    }
}

/// A Rust type that is the element type of some `DType`.
///
/// ```
/// use ferrax::{DType, tensor::Element};
/// assert_eq!(<f32 as Element>::DTYPE, DType::F32);
/// ```
pub trait Element:
    Copy + Send + Sync + 'static + fmt::Debug + PartialEq + PartialOrd + Default
{
    /// The dtype tag of this Rust type.
    const DTYPE: DType;
    /// Converts from f64 with `as`-cast semantics (saturating float→int, as numpy's astype
    /// is on this platform for in-range values).
    fn from_f64(v: f64) -> Self;
    /// Converts to f64.
    fn to_f64(self) -> f64;
}

macro_rules! impl_element {
    ($($t:ty => $d:ident),*) => {$(
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            fn from_f64(v: f64) -> Self { v as $t }
            fn to_f64(self) -> f64 { self as f64 }
        }
    )*};
}
impl_element!(f32 => F32, f64 => F64, i32 => I32, u32 => U32);

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    fn to_f64(self) -> f64 {
        if self {
            1.0
        } else {
            0.0
        }
    }
}
