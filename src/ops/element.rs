//! The one element-trait hierarchy the kernels and the primitives share: [`Element`] gives
//! every array dtype (bool, the integers, bf16/f16, f32/f64, c64/c128) the facts a kernel needs with XLA's semantics
//! (identities, wrapping integer arithmetic, NaN-propagating max/min, the sort order), and
//! [`FloatElement`] adds, for f32 and f64, `num_traits::Float` and the special functions
//! beyond it. A kernel generic over element types bounds on one of these two for its
//! arithmetic, so a new dtype is taught to every kernel in this one file; a local trait
//! (`FusedFloat`, the unary loops' `Lane`) only extends them with what is not arithmetic:
//! which register file holds a value, which vectorized loop runs an op.
//!
//! The arithmetic methods are named apart from `std::ops` and `num_traits::Float`
//! (`xla_add`, `xla_max`, ...) so that a `FloatElement` bound never makes a call ambiguous.

use crate::tensor::ArrayElement;
use std::cmp::Ordering;

/// An array element type with XLA's per-element semantics.
///
/// ```
/// use ferrax::internals::ops::element::Element;
/// assert_eq!(<i32 as Element>::xla_add(i32::MAX, 1), i32::MIN); // wraps, as XLA's
/// assert!(<f32 as Element>::xla_max(1.0, f32::NAN).is_nan()); // NaN propagates
/// assert_eq!(<bool as Element>::xla_add(true, true), true); // logical or
/// ```
pub trait Element: ArrayElement {
    /// Zero: the identity of sum (`false` for bool).
    const ZERO: Self;
    /// One: the identity of product (`true` for bool).
    const ONE: Self;
    /// The smallest value (`-inf` for floats): the identity of max.
    const LOWEST: Self;
    /// The largest value (`+inf` for floats): the identity of min.
    const HIGHEST: Self;
    /// `a + b`, wrapping for integers, logical or for bool.
    fn xla_add(a: Self, b: Self) -> Self;
    /// `a * b`, wrapping for integers, logical and for bool.
    fn xla_mul(a: Self, b: Self) -> Self;
    /// The maximum; NaN if either operand is NaN.
    fn xla_max(a: Self, b: Self) -> Self;
    /// The minimum; NaN if either operand is NaN.
    fn xla_min(a: Self, b: Self) -> Self;
    /// True for a float NaN, or a complex number with a NaN part (never for the other types).
    fn is_nan_value(self) -> bool;
    /// `a < b` with IEEE semantics (false with a NaN); lexicographic for complex numbers.
    fn xla_lt(a: Self, b: Self) -> bool;
    /// `a <= b` with IEEE semantics (false with a NaN); lexicographic for complex numbers.
    fn xla_le(a: Self, b: Self) -> bool;
    /// JAX's sort order: the natural order, with every float NaN after +inf and equal to
    /// the other NaNs.
    fn sort_cmp(a: Self, b: Self) -> Ordering;
}

macro_rules! int_element {
    ($($t:ty),*) => {$(
        impl Element for $t {
            const ZERO: Self = 0;
            const ONE: Self = 1;
            const LOWEST: Self = <$t>::MIN;
            const HIGHEST: Self = <$t>::MAX;
            #[inline(always)]
            fn xla_add(a: Self, b: Self) -> Self { a.wrapping_add(b) }
            #[inline(always)]
            fn xla_mul(a: Self, b: Self) -> Self { a.wrapping_mul(b) }
            #[inline(always)]
            fn xla_max(a: Self, b: Self) -> Self { Ord::max(a, b) }
            #[inline(always)]
            fn xla_min(a: Self, b: Self) -> Self { Ord::min(a, b) }
            #[inline(always)]
            fn xla_lt(a: Self, b: Self) -> bool { a < b }
            #[inline(always)]
            fn xla_le(a: Self, b: Self) -> bool { a <= b }
            #[inline(always)]
            fn is_nan_value(self) -> bool { false }
            #[inline(always)]
            fn sort_cmp(a: Self, b: Self) -> Ordering { a.cmp(&b) }
        }
    )*};
}
int_element!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! float_element {
    ($($t:ty),*) => {$(
        impl Element for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const LOWEST: Self = <$t>::NEG_INFINITY;
            const HIGHEST: Self = <$t>::INFINITY;
            #[inline(always)]
            fn xla_add(a: Self, b: Self) -> Self { a + b }
            #[inline(always)]
            fn xla_mul(a: Self, b: Self) -> Self { a * b }
            #[inline(always)]
            fn xla_max(a: Self, b: Self) -> Self { super::binary::max_nan(a, b) }
            #[inline(always)]
            fn xla_min(a: Self, b: Self) -> Self { super::binary::min_nan(a, b) }
            #[inline(always)]
            fn xla_lt(a: Self, b: Self) -> bool { a < b }
            #[inline(always)]
            fn xla_le(a: Self, b: Self) -> bool { a <= b }
            #[inline(always)]
            fn is_nan_value(self) -> bool { self.is_nan() }
            #[inline(always)]
            fn sort_cmp(a: Self, b: Self) -> Ordering {
                match (a.is_nan(), b.is_nan()) {
                    (false, false) => a.partial_cmp(&b).expect("not NaN"),
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                }
            }
        }
    )*};
}
float_element!(f32, f64);

/// bf16 and f16 compute as XLA does on CPU: each operation in f32, rounded back once.
macro_rules! half_element {
    ($($t:ty),*) => {$(
        impl Element for $t {
            const ZERO: Self = <$t>::ZERO;
            const ONE: Self = <$t>::ONE;
            const LOWEST: Self = <$t>::NEG_INFINITY;
            const HIGHEST: Self = <$t>::INFINITY;
            #[inline(always)]
            fn xla_add(a: Self, b: Self) -> Self { <$t>::from_f32(a.to_f32() + b.to_f32()) }
            #[inline(always)]
            fn xla_mul(a: Self, b: Self) -> Self { <$t>::from_f32(a.to_f32() * b.to_f32()) }
            #[inline(always)]
            fn xla_max(a: Self, b: Self) -> Self {
                <$t>::from_f32(super::binary::max_nan(a.to_f32(), b.to_f32()))
            }
            #[inline(always)]
            fn xla_min(a: Self, b: Self) -> Self {
                <$t>::from_f32(super::binary::min_nan(a.to_f32(), b.to_f32()))
            }
            #[inline(always)]
            fn xla_lt(a: Self, b: Self) -> bool { a.to_f32() < b.to_f32() }
            #[inline(always)]
            fn xla_le(a: Self, b: Self) -> bool { a.to_f32() <= b.to_f32() }
            #[inline(always)]
            fn is_nan_value(self) -> bool { self.is_nan() }
            #[inline(always)]
            fn sort_cmp(a: Self, b: Self) -> Ordering { f32::sort_cmp(a.to_f32(), b.to_f32()) }
        }
    )*};
}
half_element!(half::bf16, half::f16);

/// Complex numbers: XLA's sum and product; max, min and the sort order compare
/// lexicographically (real part first), as `lax.max` and `lax.sort` do on complex operands,
/// with a NaN in either part sorting last.
macro_rules! complex_element {
    ($($t:ty => $f:ty),*) => {$(
        impl Element for $t {
            const ZERO: Self = <$t>::new(0.0, 0.0);
            const ONE: Self = <$t>::new(1.0, 0.0);
            const LOWEST: Self = <$t>::new(<$f>::NEG_INFINITY, <$f>::NEG_INFINITY);
            const HIGHEST: Self = <$t>::new(<$f>::INFINITY, <$f>::INFINITY);
            #[inline(always)]
            fn xla_add(a: Self, b: Self) -> Self { a + b }
            #[inline(always)]
            fn xla_mul(a: Self, b: Self) -> Self { a * b }
            #[inline(always)]
            fn xla_max(a: Self, b: Self) -> Self {
                if a.is_nan_value() || b.is_nan_value() {
                    <$t>::new(<$f>::NAN, <$f>::NAN)
                } else if Self::sort_cmp(a, b) == Ordering::Less { b } else { a }
            }
            #[inline(always)]
            fn xla_min(a: Self, b: Self) -> Self {
                if a.is_nan_value() || b.is_nan_value() {
                    <$t>::new(<$f>::NAN, <$f>::NAN)
                } else if Self::sort_cmp(a, b) == Ordering::Greater { b } else { a }
            }
            #[inline(always)]
            fn xla_lt(a: Self, b: Self) -> bool { a.re < b.re || (a.re == b.re && a.im < b.im) }
            #[inline(always)]
            fn xla_le(a: Self, b: Self) -> bool { a.re < b.re || (a.re == b.re && a.im <= b.im) }
            #[inline(always)]
            fn is_nan_value(self) -> bool { self.re.is_nan() || self.im.is_nan() }
            #[inline(always)]
            fn sort_cmp(a: Self, b: Self) -> Ordering {
                <$f>::sort_cmp(a.re, b.re).then_with(|| <$f>::sort_cmp(a.im, b.im))
            }
        }
    )*};
}
complex_element!(num_complex::Complex32 => f32, num_complex::Complex64 => f64);

impl Element for bool {
    const ZERO: Self = false;
    const ONE: Self = true;
    const LOWEST: Self = false;
    const HIGHEST: Self = true;
    #[inline(always)]
    fn xla_add(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline(always)]
    fn xla_mul(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline(always)]
    fn xla_max(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline(always)]
    fn xla_min(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline(always)]
    fn xla_lt(a: Self, b: Self) -> bool {
        !a & b
    }
    #[inline(always)]
    fn xla_le(a: Self, b: Self) -> bool {
        !a | b
    }
    #[inline(always)]
    fn is_nan_value(self) -> bool {
        false
    }
    #[inline(always)]
    fn sort_cmp(a: Self, b: Self) -> Ordering {
        a.cmp(&b)
    }
}

/// f32 and f64: [`Element`], `num_traits::Float`, and the float math beyond it (the special
/// functions, from `libm` where it has them).
///
/// ```
/// use ferrax::internals::ops::element::FloatElement;
/// assert_eq!(1.0f32.next_after(2.0), 1.0 + f32::EPSILON);
/// assert_eq!(2.5f64.round_ties_even_(), 2.0);
/// ```
pub trait FloatElement: Element + num_traits::Float {
    /// The error function.
    fn erf(self) -> Self;
    /// log |Γ(x)|.
    fn lgamma(self) -> Self;
    /// Rounds half to even.
    fn round_ties_even_(self) -> Self;
    /// The next representable value after `self` towards `to` (C's `nextafter`).
    fn next_after(self, to: Self) -> Self;
    /// Inverse of `erf` on (-1, 1); ±inf at ±1, NaN outside.
    fn erf_inv(self) -> Self {
        <Self as crate::tensor::Element>::from_f64(super::unary::erf_inv_f64(
            crate::tensor::Element::to_f64(self),
        ))
    }
    /// Digamma ψ(x) = d/dx log Γ(x).
    fn digamma(self) -> Self {
        <Self as crate::tensor::Element>::from_f64(super::unary::digamma_f64(
            crate::tensor::Element::to_f64(self),
        ))
    }
}

macro_rules! float_element_math {
    ($($t:ty => $erf:path, $lgamma:path, $nextafter:path);*) => {$(
        impl FloatElement for $t {
            #[inline]
            fn erf(self) -> $t {
                $erf(self)
            }
            #[inline]
            fn lgamma(self) -> $t {
                $lgamma(self)
            }
            #[inline]
            fn round_ties_even_(self) -> $t {
                self.round_ties_even()
            }
            #[inline]
            fn next_after(self, to: $t) -> $t {
                $nextafter(self, to)
            }
        }
    )*};
}
float_element_math!(
    f32 => libm::erff, libm::lgammaf, libm::nextafterf;
    f64 => libm::erf, libm::lgamma, libm::nextafter
);
