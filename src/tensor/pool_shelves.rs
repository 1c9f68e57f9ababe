//! The element types `kernels::pool` can keep buffers of, and the shelves it keeps them on:
//! here, beside [`ArrayElement`](super::ArrayElement) (every array element type is
//! [`Poolable`]), so the tensor layer does not reach up to the kernels; the pool itself is
//! in `kernels::pool`, which re-exports these.

use std::collections::BTreeMap;

/// Element types the pool can hold (each has its own shelves: a buffer is only ever reused
/// for the type it was allocated as, so no layout changes hands). Only the dtypes models
/// run on have shelves (bool, i32, u32, f32, f64); the others (`shelf` is `None`) allocate
/// and free as usual, which spares the compile time of a shelf map per dtype.
///
/// The shelf operations are trait methods (no-ops for the dtypes without shelves) rather than
/// an accessor to the shelf, so the shelf map's code is instantiated for the five pooled
/// types only.
pub trait Poolable: Copy + Default + Send + 'static {
    /// The smallest shelved buffer whose capacity is in `n..=n + n / 8`.
    #[doc(hidden)]
    fn take_shelved(s: &mut Shelves, n: usize) -> Option<Vec<Self>> {
        let _ = (s, n);
        None
    }
    /// Shelves `v` unless its capacity class already holds `per_class` buffers (then `v`
    /// comes back).
    #[doc(hidden)]
    fn shelve(s: &mut Shelves, v: Vec<Self>, per_class: usize) -> Result<(), Vec<Self>> {
        let _ = (s, per_class);
        Err(v)
    }
}

/// Buffers of one element type by capacity.
#[doc(hidden)]
pub struct Shelf<T>(pub(crate) BTreeMap<usize, Vec<Vec<T>>>);

impl<T> Shelf<T> {
    fn take(&mut self, n: usize) -> Option<Vec<T>> {
        let (&cap, bufs) = self.0.range_mut(n..=n.saturating_add(n / 8)).next()?;
        let v = bufs.pop().expect("empty classes are removed");
        if bufs.is_empty() {
            self.0.remove(&cap);
        }
        debug_assert!(v.capacity() == cap);
        Some(v)
    }

    fn put(&mut self, v: Vec<T>, per_class: usize) -> Result<(), Vec<T>> {
        let bufs = self.0.entry(v.capacity()).or_default();
        if bufs.len() < per_class {
            bufs.push(v);
            Ok(())
        } else {
            Err(v)
        }
    }
}

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
            fn take_shelved(s: &mut Shelves, n: usize) -> Option<Vec<Self>> {
                s.$f.take(n)
            }
            fn shelve(s: &mut Shelves, v: Vec<Self>, per_class: usize) -> Result<(), Vec<Self>> {
                s.$f.put(v, per_class)
            }
        }
    )*};
}
poolable!(bool => bool, i32 => i32, u32 => u32, f32 => f32, f64 => f64);

macro_rules! not_pooled {
    ($($t:ty),*) => {$(
        impl Poolable for $t {}
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
