//! `jnp.put`, `jnp.place`, `jnp.put_along_axis` and `jnp.choose`, written on `x.at[idx]`
//! as JAX writes them. JAX's `inplace=False` is the only behaviour: each returns a new
//! array.

use super::{AtOptions, Index, IndexItem};
use crate::lax;
use crate::numpy::{
    broadcast_arrays, broadcast_to, clip, nonzero_with, normalize_axis, ravel, remainder, stack,
    tile, unravel_index, Nonzero,
};
use crate::prims::index::GatherScatterMode;
use crate::tensor::{DType, Tensor};

/// `jnp.put`'s `mode` for indices outside the flattened array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutMode {
    /// Clamp into `[0, size - 1]`.
    Clip,
    /// Wrap around (`i % size`).
    Wrap,
}

/// Options of [`put_with`] (`mode=None`: indices are unraveled, which clamps them, and the
/// scatter drops what remains out of bounds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Put {
    /// Out-of-bounds handling.
    pub mode: Option<PutMode>,
}

/// `jnp.put(a, ind, v, inplace=False)`: `a` with the flattened positions `ind` set to `v`
/// (`v` repeated or cut to `ind`'s length).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::zeros(&[2, 2], DType::I32);
/// let y = ferrax::numpy::put(&a, &Tensor::from_vec(vec![0, 3], &[2]), &Tensor::from_vec(vec![7, 8], &[2]));
/// assert_eq!(y.to_vec::<i32>(), vec![7, 0, 0, 8]);
/// ```
#[track_caller]
pub fn put(a: &Tensor, ind: &Tensor, v: &Tensor) -> Tensor {
    put_with(a, ind, v, Put::default())
}

/// [`put`] with JAX's `mode`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{put_with, Put, PutMode};
/// let a = Tensor::zeros(&[3], DType::I32);
/// let y = put_with(&a, &Tensor::from_vec(vec![4], &[1]), &Tensor::scalar(1), Put { mode: Some(PutMode::Wrap) });
/// assert_eq!(y.to_vec::<i32>(), vec![0, 1, 0]);
/// ```
#[track_caller]
pub fn put_with(a: &Tensor, ind: &Tensor, v: &Tensor, opts: Put) -> Tensor {
    let ind = ravel(&lax::convert_element_type(ind, DType::I32));
    let v = ravel(v);
    let size = a.size();
    if size == 0 || ind.size() == 0 || v.size() == 0 {
        return a.clone();
    }
    let v = tile_to_size(&v, ind.size());
    let (ind, mode) = match opts.mode {
        None => (ind, GatherScatterMode::FillOrDrop),
        Some(PutMode::Clip) => (
            clip(&ind, 0, size as i32 - 1),
            GatherScatterMode::PromiseInBounds,
        ),
        Some(PutMode::Wrap) => (
            remainder(&ind, size as i32),
            GatherScatterMode::PromiseInBounds,
        ),
    };
    let items = unravel_index(&ind, a.shape())
        .into_iter()
        .map(IndexItem::Array)
        .collect();
    let o = AtOptions {
        mode: Some(mode),
        ..Default::default()
    };
    a.at(Index::new(items)).set_with(&v, o)
}

/// `_tile_to_size`: a 1-d array repeated, then cut, to `size` elements.
fn tile_to_size(x: &Tensor, size: usize) -> Tensor {
    let n = x.size();
    let x = if n < size {
        tile(x, &[size.div_ceil(n)])
    } else {
        x.clone()
    };
    if x.size() > size {
        lax::slice(&x, &[0], &[size], None)
    } else {
        x
    }
}

/// `jnp.place(arr, mask, vals, inplace=False)`: the elements of `arr` where `mask` is true,
/// in order, set to `vals` (repeated as needed).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::zeros(&[4], DType::F32);
/// let m = Tensor::from_vec(vec![true, false, true, true], &[4]);
/// let y = ferrax::numpy::place(&a, &m, &Tensor::from_vec(vec![1.0f32, 2.0], &[2]));
/// assert_eq!(y.to_vec::<f32>(), vec![1.0, 0.0, 2.0, 1.0]);
/// ```
#[track_caller]
pub fn place(arr: &Tensor, mask: &Tensor, vals: &Tensor) -> Tensor {
    let vals = ravel(vals);
    assert!(
        arr.size() == mask.size(),
        "place: arr and mask must be the same size, got shapes {:?} and {:?}",
        arr.shape(),
        mask.shape()
    );
    assert!(
        vals.size() > 0,
        "place: cannot place values from an empty array"
    );
    if arr.size() == 0 {
        return arr.clone();
    }
    let n = mask.size();
    let indices = nonzero_with(
        &ravel(mask),
        n,
        Nonzero {
            fill_value: Some(n as i32),
        },
    )
    .remove(0);
    let vals = tile_to_size(&vals, n);
    let o = AtOptions {
        mode: Some(GatherScatterMode::FillOrDrop),
        ..Default::default()
    };
    let flat = ravel(arr)
        .at(Index::new(vec![IndexItem::Array(indices)]))
        .set_with(&vals, o);
    lax::reshape(&flat, arr.shape())
}

/// `indices(shape, sparse=True)`: per dim an iota shaped `1 x .. x n x .. x 1`.
fn sparse_indices(shape: &[usize]) -> Vec<Tensor> {
    (0..shape.len())
        .map(|k| {
            let mut s = vec![1usize; shape.len()];
            s[k] = shape[k];
            lax::broadcast_in_dim(&lax::iota(DType::I32, &[shape[k]], 0), &s, &[k])
        })
        .collect()
}

/// Options of [`put_along_axis_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PutAlongAxis {
    /// Out-of-bounds handling of the scatter (`None`: dropped).
    pub mode: Option<GatherScatterMode>,
}

/// `jnp.put_along_axis(arr, indices, values, axis, inplace=False)`: the mirror of
/// `take_along_axis` (`axis=None` works on the flattened array).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![10, 30, 20, 60, 40, 50], &[2, 3]);
/// let i = Tensor::from_vec(vec![1, 0], &[2, 1]);
/// let y = ferrax::numpy::put_along_axis(&a, &i, &Tensor::scalar(99), Some(1));
/// assert_eq!(y.to_vec::<i32>(), vec![10, 99, 20, 99, 40, 50]);
/// ```
#[track_caller]
pub fn put_along_axis(
    arr: &Tensor,
    indices: &Tensor,
    values: &Tensor,
    axis: Option<isize>,
) -> Tensor {
    put_along_axis_with(arr, indices, values, axis, PutAlongAxis::default())
}

/// [`put_along_axis`] with JAX's `mode`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{put_along_axis_with, PutAlongAxis};
/// use ferrax::lax::GatherScatterMode;
/// let a = Tensor::zeros(&[3], DType::I32);
/// let o = PutAlongAxis { mode: Some(GatherScatterMode::Clip) };
/// let y = put_along_axis_with(&a, &Tensor::from_vec(vec![9], &[1]), &Tensor::scalar(1), Some(0), o);
/// assert_eq!(y.to_vec::<i32>(), vec![0, 0, 1]);
/// ```
#[track_caller]
pub fn put_along_axis_with(
    arr: &Tensor,
    indices: &Tensor,
    values: &Tensor,
    axis: Option<isize>,
    opts: PutAlongAxis,
) -> Tensor {
    let (a, axis) = match axis {
        None => (ravel(arr), 0),
        Some(ax) => (arr.clone(), normalize_axis(ax, arr.ndim())),
    };
    assert!(
        a.ndim() == indices.ndim(),
        "put_along_axis: arguments 'arr' and 'indices' must have same ndim, got shapes {:?} and {:?}",
        a.shape(),
        indices.shape()
    );
    let values = broadcast_to(values, indices.shape());
    let mut items: Vec<IndexItem> = sparse_indices(a.shape())
        .into_iter()
        .map(IndexItem::Array)
        .collect();
    items[axis] = IndexItem::Array(indices.clone());
    let o = AtOptions {
        mode: opts.mode,
        ..Default::default()
    };
    let out = a.at(Index::new(items)).set_with(&values, o);
    lax::reshape(&out, arr.shape())
}

/// `jnp.choose`'s `mode` for entries of `a` outside `[0, len(choices))`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChooseMode {
    /// Panic (needs a concrete `a`).
    #[default]
    Raise,
    /// Wrap around (`a % n`).
    Wrap,
    /// Clamp into `[0, n - 1]`.
    Clip,
}

/// Options of [`choose_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Choose {
    /// Out-of-bounds handling.
    pub mode: ChooseMode,
}

/// `jnp.choose(a, choices)`: per position of the broadcast of `a` and the choices, the
/// element of choice `a[..]`.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![2, 0, 1], &[3]);
/// let c = [Tensor::from_vec(vec![1, 2, 3], &[3]), Tensor::from_vec(vec![10, 20, 30], &[3]), Tensor::scalar(99)];
/// assert_eq!(ferrax::numpy::choose(&a, &c).to_vec::<i32>(), vec![99, 2, 30]);
/// ```
#[track_caller]
pub fn choose(a: &Tensor, choices: &[Tensor]) -> Tensor {
    choose_with(a, choices, Choose::default())
}

/// [`choose`] with JAX's `mode`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{choose_with, Choose, ChooseMode};
/// let a = Tensor::from_vec(vec![3, -1], &[2]);
/// let c = [Tensor::scalar(1), Tensor::scalar(2)];
/// let y = choose_with(&a, &c, Choose { mode: ChooseMode::Wrap });
/// assert_eq!(y.to_vec::<i32>(), vec![2, 2]);
/// ```
#[track_caller]
pub fn choose_with(a: &Tensor, choices: &[Tensor], opts: Choose) -> Tensor {
    assert!(
        matches!(a.dtype(), DType::I32 | DType::U32),
        "choose: `a` array must be integer typed, got {}{:?}",
        a.dtype().numpy_name(),
        a.shape()
    );
    assert!(!choices.is_empty(), "choose: needs at least one choice");
    let n = choices.len() as i32;
    let arr = lax::convert_element_type(a, DType::I32);
    let arr = match opts.mode {
        ChooseMode::Raise => {
            assert!(
                arr.is_concrete(),
                "choose: mode=Raise needs a concrete `a` (under jit, use ChooseMode::Wrap or Clip), \
                 got int32{:?}",
                a.shape()
            );
            let bad = arr.to_vec::<i32>().iter().any(|&v| v < 0 || v >= n);
            assert!(
                !bad,
                "choose: invalid entry in choice array (a of shape {:?}, {n} choices)",
                a.shape()
            );
            arr
        }
        ChooseMode::Wrap => remainder(&arr, n),
        ChooseMode::Clip => clip(&arr, 0, n - 1),
    };
    let mut all = vec![arr];
    all.extend_from_slice(choices);
    let mut all = broadcast_arrays(&all);
    let arr = all.remove(0);
    let stacked = stack(&all, 0);
    let mut items = vec![IndexItem::Array(arr.clone())];
    items.extend(
        sparse_indices(arr.shape())
            .into_iter()
            .map(IndexItem::Array),
    );
    stacked.index(Index::new(items))
}
