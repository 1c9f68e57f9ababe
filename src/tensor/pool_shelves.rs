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
    pub(crate) f32: Shelf<f32>,
    pub(crate) f64: Shelf<f64>,
    pub(crate) i32: Shelf<i32>,
    pub(crate) u32: Shelf<u32>,
    pub(crate) bool: Shelf<bool>,
}

macro_rules! poolable {
    ($($t:ident),*) => {$(
        impl Poolable for $t {
            fn shelf(s: &mut Shelves) -> &mut Shelf<Self> {
                &mut s.$t
            }
        }
    )*};
}
poolable!(f32, f64, i32, u32, bool);
