//! The element types `kernels::pool` can keep buffers of, and the shelves it keeps them on:
//! here, beside [`ArrayElement`](super::ArrayElement) (every array element type is
//! [`Poolable`]), so the tensor layer does not reach up to the kernels; the pool itself is
//! in `kernels::pool`, which re-exports these.

use std::collections::BTreeMap;

/// Element types the pool can hold (each has its own shelves: a buffer is only ever reused
/// for the type it was allocated as, so no layout changes hands).
pub trait Poolable: Copy + Default + Send + 'static {
    #[doc(hidden)]
    fn shelf(s: &mut Shelves) -> &mut Shelf<Self>;
}

/// Buffers of one element type by capacity.
#[doc(hidden)]
pub struct Shelf<T>(pub(crate) BTreeMap<usize, Vec<Vec<T>>>);

impl<T> Default for Shelf<T> {
    fn default() -> Self {
        Shelf(BTreeMap::new())
    }
}

/// The shelves of every element type and the bytes they hold.
#[doc(hidden)]
#[derive(Default)]
pub struct Shelves {
    pub(crate) bytes: usize,
    pub(crate) limit: usize,
    pub(crate) bool: Shelf<bool>,
    pub(crate) i8: Shelf<i8>,
    pub(crate) i16: Shelf<i16>,
    pub(crate) i32: Shelf<i32>,
    pub(crate) i64: Shelf<i64>,
    pub(crate) u8: Shelf<u8>,
    pub(crate) u16: Shelf<u16>,
    pub(crate) u32: Shelf<u32>,
    pub(crate) u64: Shelf<u64>,
    pub(crate) bf16: Shelf<half::bf16>,
    pub(crate) f16: Shelf<half::f16>,
    pub(crate) f32: Shelf<f32>,
    pub(crate) f64: Shelf<f64>,
    pub(crate) c64: Shelf<num_complex::Complex32>,
    pub(crate) c128: Shelf<num_complex::Complex64>,
}

macro_rules! poolable {
    ($($t:ty => $f:ident),*) => {$(
        impl Poolable for $t {
            fn shelf(s: &mut Shelves) -> &mut Shelf<Self> {
                &mut s.$f
            }
        }
    )*};
}
poolable!(bool => bool, i8 => i8, i16 => i16, i32 => i32, i64 => i64, u8 => u8, u16 => u16, u32 => u32, u64 => u64, half::bf16 => bf16, half::f16 => f16, f32 => f32, f64 => f64, num_complex::Complex32 => c64, num_complex::Complex64 => c128);
