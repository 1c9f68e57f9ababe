//! NumPy indexing (`x[idx]`) and indexed updates (`x.at[idx].set(v)`), as
//! `jax/_src/numpy/indexing.py` does them: static integers and slices read with `slice`,
//! `rev` and `squeeze`; anything with an index array is one `gather` (reads) or one scatter
//! (updates), with numpy's advanced-indexing rules.
//!
//! # From JAX's syntax to ferrax's
//!
//! An [`Index`] is built by the [`idx!`](crate::idx) macro, whose items are separated by
//! commas as inside JAX's brackets:
//!
//! | JAX                           | ferrax                                     |
//! | ----------------------------- | ------------------------------------------ |
//! | `x[1]`, `x[-1]`               | `x.index(idx![1])`, `x.index(idx![-1])`    |
//! | `x[2:5]`, `x[2:]`, `x[:5]`    | `idx![2..5]`, `idx![2..]`, `idx![..5]`     |
//! | `x[:]`                        | `idx![..]`                                 |
//! | `x[1:7:2]`, `x[::-1]`         | `idx![1..7;2]`, `idx![..;-1]`              |
//! | `x[5:1:-2]`                   | `idx![5..1;-2]` (start and stop as written) |
//! | `x[..., 0]`                   | `idx![..., 0]` (or `idx![Ellipsis, 0]`)    |
//! | `x[:, None]`, `x[:, jnp.newaxis]` | `idx![.., NewAxis]`                    |
//! | `x[i]`, `x[i, j]` (int arrays) | `idx![&i]`, `idx![&i, &j]`                |
//! | `x[mask]` (bool array, concrete) | `idx![&mask]`                           |
//! | `x.at[idx].get()`             | `x.at(idx![..]).get()`                     |
//! | `x.at[idx].set(v)` / `.add` / `.mul` / `.min` / `.max` | `x.at(idx![..]).set(v)`, ... |
//! | `x.at[idx].add(v, mode='clip')` | `x.at(idx![..]).add_with(v, AtOptions { mode: Some(GatherScatterMode::Clip), ..Default::default() })` |
//! | `x.at[idx].get(mode='fill', fill_value=-1)` | `.get_with(AtOptions { mode: Some(GatherScatterMode::FillOrDrop), fill_value: Some(-1.0), ..Default::default() })` |
//!
//! Out of bounds, reads clamp (JAX's default for `x[idx]`) and updates are dropped (JAX's
//! default for `x.at[idx]`); negative indices count from the end first. Separated index
//! arrays (`x[i, :, j]`) put their broadcast dims first, adjacent ones (`x[:, i, j]`) keep
//! their place, as in numpy.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::idx;
//! let x = Tensor::arange(0, 12, 1, DType::I32).reshape(&[3, 4]);
//! assert_eq!(x.index(idx![1, 1..;2]).to_vec::<i32>(), vec![5, 7]);
//! assert_eq!(x.index(idx![.., -1]).to_vec::<i32>(), vec![3, 7, 11]);
//! let y = x.at(idx![0, ..]).set(-1);
//! assert_eq!(y.index(idx![0]).to_vec::<i32>(), vec![-1, -1, -1, -1]);
//! ```

mod at;
mod functions;
mod indexer;

pub use at::{At, AtOptions};
pub use functions::*;

use crate::tensor::Tensor;
use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};

/// A Python slice `start:stop:step` (each part optional; `None` means the default for the
/// step's sign, as in Python).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Slice {
    /// First position (negative counts from the end).
    pub start: Option<i64>,
    /// One past the last position in the step's direction (negative counts from the end).
    pub stop: Option<i64>,
    /// Step (not 0); `None` is 1.
    pub step: Option<i64>,
}

/// One item of an [`Index`], as one entry between JAX's brackets.
#[derive(Clone, Debug)]
pub enum IndexItem {
    /// An integer (`x[3]`, `x[-1]`): removes the axis.
    Int(i64),
    /// A slice (`x[1:5:2]`): keeps the axis.
    Slice(Slice),
    /// `...`: as many full slices as the other items leave axes.
    Ellipsis,
    /// `None` / `jnp.newaxis`: a new axis of size 1.
    NewAxis,
    /// An integer array (gathered, broadcast with the other arrays) or a boolean mask
    /// (concrete only; it stands for its `nonzero()` arrays).
    Array(Tensor),
}

/// A whole index expression (what goes between JAX's brackets); build it with
/// [`idx!`](crate::idx).
///
/// ```
/// use ferrax::numpy::{Index, IndexItem};
/// let i = ferrax::idx![1, ..];
/// assert!(matches!(i.items()[0], IndexItem::Int(1)));
/// assert_eq!(Index::new(vec![]).items().len(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct Index(Vec<IndexItem>);

impl Index {
    /// An index of these items.
    pub fn new(items: Vec<IndexItem>) -> Index {
        Index(items)
    }

    /// The items, in order.
    pub fn items(&self) -> &[IndexItem] {
        &self.0
    }
}

impl IndexItem {
    /// A slice with a step (what `idx![a..b;step]` builds).
    ///
    /// ```
    /// use ferrax::numpy::{IndexItem, Slice};
    /// let s = IndexItem::stepped(.., -1);
    /// assert!(matches!(s, IndexItem::Slice(Slice { start: None, stop: None, step: Some(-1) })));
    /// ```
    pub fn stepped(range: impl Into<Slice>, step: i64) -> IndexItem {
        let mut s = range.into();
        s.step = Some(step);
        IndexItem::Slice(s)
    }
}

impl From<RangeFull> for Slice {
    fn from(_: RangeFull) -> Slice {
        Slice::default()
    }
}

macro_rules! int_index {
    ($($t:ty),*) => {$(
        impl From<$t> for IndexItem {
            fn from(i: $t) -> IndexItem {
                IndexItem::Int(i as i64)
            }
        }
        impl From<Range<$t>> for Slice {
            fn from(r: Range<$t>) -> Slice {
                Slice { start: Some(r.start as i64), stop: Some(r.end as i64), step: None }
            }
        }
        impl From<RangeFrom<$t>> for Slice {
            fn from(r: RangeFrom<$t>) -> Slice {
                Slice { start: Some(r.start as i64), stop: None, step: None }
            }
        }
        impl From<RangeTo<$t>> for Slice {
            fn from(r: RangeTo<$t>) -> Slice {
                Slice { start: None, stop: Some(r.end as i64), step: None }
            }
        }
        impl From<RangeInclusive<$t>> for Slice {
            fn from(r: RangeInclusive<$t>) -> Slice {
                let end = *r.end() as i64;
                // `a..=-1` is `a:` (through the last element).
                let stop = if end == -1 { None } else { Some(end + 1) };
                Slice { start: Some(*r.start() as i64), stop, step: None }
            }
        }
        impl From<RangeToInclusive<$t>> for Slice {
            fn from(r: RangeToInclusive<$t>) -> Slice {
                let end = r.end as i64;
                let stop = if end == -1 { None } else { Some(end + 1) };
                Slice { start: None, stop, step: None }
            }
        }
        impl From<Range<$t>> for IndexItem {
            fn from(r: Range<$t>) -> IndexItem { IndexItem::Slice(r.into()) }
        }
        impl From<RangeFrom<$t>> for IndexItem {
            fn from(r: RangeFrom<$t>) -> IndexItem { IndexItem::Slice(r.into()) }
        }
        impl From<RangeTo<$t>> for IndexItem {
            fn from(r: RangeTo<$t>) -> IndexItem { IndexItem::Slice(r.into()) }
        }
        impl From<RangeInclusive<$t>> for IndexItem {
            fn from(r: RangeInclusive<$t>) -> IndexItem { IndexItem::Slice(r.into()) }
        }
        impl From<RangeToInclusive<$t>> for IndexItem {
            fn from(r: RangeToInclusive<$t>) -> IndexItem { IndexItem::Slice(r.into()) }
        }
    )*};
}
int_index!(i32, i64, isize, usize, u32);

impl From<RangeFull> for IndexItem {
    fn from(_: RangeFull) -> IndexItem {
        IndexItem::Slice(Slice::default())
    }
}
impl From<Slice> for IndexItem {
    fn from(s: Slice) -> IndexItem {
        IndexItem::Slice(s)
    }
}
impl From<&Tensor> for IndexItem {
    fn from(t: &Tensor) -> IndexItem {
        IndexItem::Array(t.clone())
    }
}
impl From<Tensor> for IndexItem {
    fn from(t: Tensor) -> IndexItem {
        IndexItem::Array(t)
    }
}

/// Builds an [`Index`](crate::numpy::Index) from JAX-style items: integers, ranges
/// (`a..b`, `a..`, `..b`, `..`), ranges with a step after a semicolon (`a..b;2`, `..;-1`),
/// `...` or `Ellipsis`, `NewAxis`, and tensors (`&t`: integer arrays or boolean masks).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::idx;
/// let x = Tensor::arange(0, 24, 1, DType::I32).reshape(&[2, 3, 4]);
/// let i = Tensor::from_vec(vec![2, 0], &[2]);
/// assert_eq!(x.index(idx![.., &i, ..;-1]).shape(), &[2, 2, 4]);
/// assert_eq!(x.index(idx![1, NewAxis, ..., 0]).to_vec::<i32>(), vec![12, 16, 20]);
/// ```
#[macro_export]
macro_rules! idx {
    (@go [$($acc:expr),*]) => {
        $crate::numpy::Index::new(vec![$($acc),*])
    };
    (@go [$($acc:expr),*] NewAxis $(, $($rest:tt)*)?) => {
        $crate::idx!(@go [$($acc,)* $crate::numpy::IndexItem::NewAxis] $($($rest)*)?)
    };
    (@go [$($acc:expr),*] Ellipsis $(, $($rest:tt)*)?) => {
        $crate::idx!(@go [$($acc,)* $crate::numpy::IndexItem::Ellipsis] $($($rest)*)?)
    };
    (@go [$($acc:expr),*] ... $(, $($rest:tt)*)?) => {
        $crate::idx!(@go [$($acc,)* $crate::numpy::IndexItem::Ellipsis] $($($rest)*)?)
    };
    (@go [$($acc:expr),*] $r:expr ; $step:expr $(, $($rest:tt)*)?) => {
        $crate::idx!(@go [$($acc,)* {
            // `5..1;-1` is Python's `5:1:-1`, not an empty Rust range.
            #[allow(clippy::reversed_empty_ranges)]
            let range = $r;
            $crate::numpy::IndexItem::stepped(range, $step)
        }] $($($rest)*)?)
    };
    (@go [$($acc:expr),*] $e:expr $(, $($rest:tt)*)?) => {
        $crate::idx!(@go [$($acc,)* {
            // `2..1` is Python's (empty) `2:1`.
            #[allow(clippy::reversed_empty_ranges)]
            let item = $e;
            $crate::numpy::IndexItem::from(item)
        }] $($($rest)*)?)
    };
    ($($t:tt)*) => {
        $crate::idx!(@go [] $($t)*)
    };
}

impl Tensor {
    /// `x[idx]`: numpy indexing (see [the module doc](crate::numpy::Index) for the items);
    /// out-of-bounds indices clamp.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    /// assert_eq!(x.index(ferrax::idx![..;-1]).to_vec::<f32>(), vec![3.0, 2.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn index(&self, idx: Index) -> Tensor {
        at::get(self, &idx, &AtOptions::default())
    }

    /// `x.at[idx]`: the indexed update (or read) of `x` at `idx`; nothing is changed in
    /// place, each update returns a new array.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::zeros(&[3], DType::F32);
    /// let i = Tensor::from_vec(vec![0, 0, 2], &[3]);
    /// assert_eq!(x.at(ferrax::idx![&i]).add(1.0).to_vec::<f32>(), vec![2.0, 0.0, 1.0]);
    /// ```
    pub fn at(&self, idx: Index) -> At {
        At::new(self.clone(), idx)
    }
}
