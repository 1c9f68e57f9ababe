//! Windowed reductions' scalar semantics: the identities and combining operation of each
//! element type, and which element a window selects.

use crate::tensor::ArrayElement;

/// Element types reduce_window works on: identities and the combining operations.
pub trait WindowElement: ArrayElement {
    /// The smallest value (-inf for floats): max's identity.
    const LOWEST: Self;
    /// The largest value (+inf for floats): min's identity.
    const HIGHEST: Self;
    /// Zero: sum's identity.
    const ZERO: Self;
    /// Sum (wrapping for integers).
    fn add(self, other: Self) -> Self;
    /// True for NaN.
    fn is_nan_(self) -> bool {
        false
    }
}

macro_rules! window_int {
    ($($t:ty),*) => {$(
        impl WindowElement for $t {
            const LOWEST: Self = <$t>::MIN;
            const HIGHEST: Self = <$t>::MAX;
            const ZERO: Self = 0;
            fn add(self, other: Self) -> Self { self.wrapping_add(other) }
        }
    )*};
}
window_int!(i32, u32);

macro_rules! window_float {
    ($($t:ty),*) => {$(
        impl WindowElement for $t {
            const LOWEST: Self = <$t>::NEG_INFINITY;
            const HIGHEST: Self = <$t>::INFINITY;
            const ZERO: Self = 0.0;
            fn add(self, other: Self) -> Self { self + other }
            fn is_nan_(self) -> bool { self.is_nan() }
        }
    )*};
}
window_float!(f32, f64);

impl WindowElement for bool {
    const LOWEST: Self = false;
    const HIGHEST: Self = true;
    const ZERO: Self = false;
    fn add(self, other: Self) -> Self {
        self | other
    }
}

/// Which element of a window is chosen: the first maximum (`ge`) or the first minimum
/// (`le`), in row-major window order. A NaN counts as both (the first NaN wins), matching
/// the NaN-propagating `reduce_window_max`/`min`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SelectPrim {
    /// Choose the maximum (JAX's `select_prim=ge`, for `reduce_window_max`).
    Ge,
    /// Choose the minimum (JAX's `select_prim=le`, for `reduce_window_min`).
    Le,
}

impl SelectPrim {
    /// The printed name (`ge` or `le`).
    pub fn name(self) -> &'static str {
        match self {
            SelectPrim::Ge => "ge",
            SelectPrim::Le => "le",
        }
    }
}
