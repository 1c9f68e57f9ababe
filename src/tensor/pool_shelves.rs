//! The element types `kernels::pool` can keep buffers of, and the shelves it keeps them on:
//! here, beside [`ArrayElement`](super::ArrayElement) (every array element type is
//! [`Poolable`]), so the tensor layer does not reach up to the kernels; the pool itself is
//! in `kernels::pool`, which re-exports these.

use std::collections::BTreeMap;

/// Element types the pool can hold (each has its own shelves: a buffer is only ever reused
/// for the type it was allocated as, so no layout changes hands). Only the dtypes models
/// run on have shelves (bool, i32, u32, f32, f64); the others (`shelf` is `None`) allocate
/// and free as usual, which spares the compile time of a shelf map per dtype.
pub trait Poolable: Copy + Default + Send + 'static {
    #[doc(hidden)]
    fn shelf(s: &mut Shelves) -> Option<&mut Shelf<Self>>;
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
    pub(crate) i32: Shelf<i32>,
    pub(crate) u32: Shelf<u32>,
    pub(crate) f32: Shelf<f32>,
    pub(crate) f64: Shelf<f64>,
}

macro_rules! poolable {
    ($($t:ty => $f:ident),*) => {$(
        impl Poolable for $t {
            fn shelf(s: &mut Shelves) -> Option<&mut Shelf<Self>> {
                Some(&mut s.$f)
            }
        }
    )*};
}
poolable!(bool => bool, i32 => i32, u32 => u32, f32 => f32, f64 => f64);

macro_rules! not_pooled {
    ($($t:ty),*) => {$(
        impl Poolable for $t {
            fn shelf(_: &mut Shelves) -> Option<&mut Shelf<Self>> {
                None
            }
        }
    )*};
}
not_pooled!(
    i8,
    i16,
    i64,
    u8,
    u16,
    u64,
    half::bf16,
    half::f16,
    num_complex::Complex32,
    num_complex::Complex64
);
