//! `jnp.isdtype` and `jnp.issubdtype`: questions about a dtype's kind, for code that branches
//! on dtypes as JAX code does.

use crate::tensor::DType;

/// A kind of dtype: the strings of `jnp.isdtype` and the abstract scalar types of
/// `jnp.issubdtype` (`jnp.floating`, `jnp.integer`, ...), or one exact dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DTypeKind {
    /// `'bool'` / `jnp.bool_`.
    Bool,
    /// `'signed integer'` / `jnp.signedinteger`: i8, i16, i32, i64.
    SignedInteger,
    /// `'unsigned integer'` / `jnp.unsignedinteger`: u8, u16, u32, u64.
    UnsignedInteger,
    /// `'integral'` / `jnp.integer`: the signed and unsigned integers.
    Integral,
    /// `'real floating'` / `jnp.floating`: bf16, f16, f32, f64.
    RealFloating,
    /// `'complex floating'` / `jnp.complexfloating`: complex64, complex128.
    ComplexFloating,
    /// `jnp.inexact`: real and complex floating.
    Inexact,
    /// `'numeric'` / `jnp.number`: integral, real and complex floating (not bool).
    Numeric,
    /// `jnp.generic`: every dtype.
    Generic,
    /// Exactly this dtype.
    Exactly(DType),
}

impl DTypeKind {
    /// Whether `dtype` is of this kind.
    ///
    /// ```
    /// use ferrax::{DType, numpy::DTypeKind};
    /// assert!(DTypeKind::Integral.contains(DType::U8));
    /// assert!(!DTypeKind::Numeric.contains(DType::Bool));
    /// ```
    pub fn contains(self, dtype: DType) -> bool {
        match self {
            DTypeKind::Bool => dtype == DType::Bool,
            DTypeKind::SignedInteger => dtype.is_signed_int(),
            DTypeKind::UnsignedInteger => dtype.is_unsigned(),
            DTypeKind::Integral => dtype.is_int(),
            DTypeKind::RealFloating => dtype.is_float(),
            DTypeKind::ComplexFloating => dtype.is_complex(),
            DTypeKind::Inexact => dtype.is_inexact(),
            DTypeKind::Numeric => dtype != DType::Bool,
            DTypeKind::Generic => true,
            DTypeKind::Exactly(d) => dtype == d,
        }
    }
}

/// `jnp.isdtype(dtype, kind)`: whether `dtype` is of any of the `kinds` (a tuple in JAX).
///
/// ```
/// use ferrax::{DType, numpy::{isdtype, DTypeKind}};
/// assert!(isdtype(DType::BF16, &[DTypeKind::RealFloating]));
/// assert!(isdtype(DType::I64, &[DTypeKind::Bool, DTypeKind::SignedInteger]));
/// assert!(!isdtype(DType::C64, &[DTypeKind::Exactly(DType::C128)]));
/// ```
pub fn isdtype(dtype: DType, kinds: &[DTypeKind]) -> bool {
    kinds.iter().any(|k| k.contains(dtype))
}

/// `jnp.issubdtype(dtype, kind)`: whether `dtype` is `kind` or below it in numpy's type
/// hierarchy (`generic > number > inexact > floating`, `number > integer > signedinteger`, ...).
///
/// ```
/// use ferrax::{DType, numpy::{issubdtype, DTypeKind}};
/// assert!(issubdtype(DType::F16, DTypeKind::Inexact));
/// assert!(issubdtype(DType::U16, DTypeKind::Numeric));
/// assert!(!issubdtype(DType::F32, DTypeKind::Integral));
/// ```
pub fn issubdtype(dtype: DType, kind: DTypeKind) -> bool {
    kind.contains(dtype)
}
