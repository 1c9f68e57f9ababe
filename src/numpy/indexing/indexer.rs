//! From an [`Index`] to the ops that read or write it: `to_static_slice` (only integers,
//! slices, `...` and new axes) and `index_to_gather`, ports of `NDIndexer.to_static_slice`
//! and `_index_to_gather` of JAX's `numpy/indexing.py`.

use super::{Index, IndexItem, Slice};
use crate::lax;
use crate::numpy::broadcast_shapes;
use crate::prims::index::GatherDimensionNumbers;
use crate::tensor::{DType, Tensor};

/// An index item once ellipses are expanded and masks replaced by their `nonzero` arrays.
#[derive(Clone, Debug)]
pub(super) enum Item {
    Int(i64),
    Slice(Slice),
    NewAxis,
    /// An integer array (or a 0-d one, which acts as an integer).
    Array(Tensor),
}

/// The parsed index: its items with ellipses expanded, trailing full slices appended, and
/// whether the advanced items (integers and arrays) sit side by side (numpy's rule for
/// where the broadcast index dims go), computed before the expansion as JAX does.
pub(super) struct Parsed {
    pub items: Vec<Item>,
    pub advanced_contiguous: bool,
}

/// Python's `slice.indices(n)` then `len(range(..))`: the first position, the step and the
/// number of elements.
pub(super) fn canonicalize_slice(s: &Slice, n: usize, op: &str) -> (i64, i64, usize) {
    let n = n as i64;
    let step = s.step.unwrap_or(1);
    assert!(step != 0, "{op}: slice step cannot be zero");
    let fix = |v: i64, lo: i64, hi: i64| {
        let v = if v < 0 { v + n } else { v };
        v.clamp(lo, hi)
    };
    let (start, stop) = if step > 0 {
        (
            s.start.map_or(0, |v| fix(v, 0, n)),
            s.stop.map_or(n, |v| fix(v, 0, n)),
        )
    } else {
        (
            s.start.map_or(n - 1, |v| fix(v, -1, n - 1)),
            s.stop.map_or(-1, |v| fix(v, -1, n - 1)),
        )
    };
    let size = if step > 0 {
        if stop > start {
            (stop - start + step - 1) / step
        } else {
            0
        }
    } else if start > stop {
        (start - stop + (-step) - 1) / (-step)
    } else {
        0
    };
    (start, step, size as usize)
}

/// Parses `idx` against `shape`: counts the axes each item consumes, expands concrete
/// boolean masks (`np.where`), then ellipses.
#[track_caller]
pub(super) fn parse(idx: &Index, shape: &[usize], op: &str) -> Parsed {
    // Masks first (JAX's expand_bool_indices runs before `_index_to_gather`).
    let mut expanded: Vec<IndexItem> = Vec::new();
    let mut axis = 0usize;
    let n_ellipsis = idx
        .items()
        .iter()
        .filter(|i| matches!(i, IndexItem::Ellipsis))
        .count();
    assert!(
        n_ellipsis <= 1,
        "{op}: an index can only have a single ellipsis ('...'), got {n_ellipsis} (array shape {shape:?})"
    );
    let consumed_by = |i: &IndexItem| match i {
        IndexItem::Int(_) | IndexItem::Slice(_) => 1,
        IndexItem::Array(t) if t.dtype() == DType::Bool => t.ndim(),
        IndexItem::Array(_) => 1,
        IndexItem::Ellipsis | IndexItem::NewAxis => 0,
    };
    let consumed: usize = idx.items().iter().map(consumed_by).sum();
    assert!(
        consumed <= shape.len(),
        "{op}: too many indices for array: array is {}-dimensional, but {consumed} were indexed \
         (array shape {shape:?})",
        shape.len()
    );
    let ellipsis_axes = shape.len() - consumed;
    for item in idx.items() {
        match item {
            IndexItem::Array(m) if m.dtype() == DType::Bool => {
                assert!(
                    m.ndim() > 0,
                    "{op}: scalar boolean indices are not supported (array shape {shape:?})"
                );
                assert!(
                    m.is_concrete(),
                    "{op}: array boolean indices must be concrete; got bool{:?} under a \
                     transformation (JAX's NonConcreteBooleanIndexError; use jnp.where or a \
                     static mask instead)",
                    m.shape()
                );
                let want = &shape[axis..axis + m.ndim()];
                assert!(
                    m.shape().iter().zip(want).all(|(a, b)| a == b || *a == 0),
                    "{op}: boolean index did not match shape of indexed array: got {:?}, \
                     expected {want:?}",
                    m.shape()
                );
                for a in mask_nonzero(m) {
                    expanded.push(IndexItem::Array(a));
                }
                axis += m.ndim();
            }
            IndexItem::Ellipsis => {
                expanded.push(IndexItem::Ellipsis);
                axis += ellipsis_axes;
            }
            other => {
                axis += consumed_by(other);
                expanded.push(other.clone());
            }
        }
    }
    let is_adv = |i: &IndexItem| matches!(i, IndexItem::Int(_) | IndexItem::Array(_));
    let adv: Vec<usize> = expanded
        .iter()
        .enumerate()
        .filter(|(_, i)| is_adv(i))
        .map(|(p, _)| p)
        .collect();
    let advanced_contiguous = adv.windows(2).all(|w| w[1] == w[0] + 1);
    let mut items = Vec::new();
    for item in expanded {
        match item {
            IndexItem::Ellipsis => {
                items.extend((0..ellipsis_axes).map(|_| Item::Slice(Slice::default())))
            }
            IndexItem::Int(i) => items.push(Item::Int(i)),
            IndexItem::Slice(s) => items.push(Item::Slice(s)),
            IndexItem::NewAxis => items.push(Item::NewAxis),
            IndexItem::Array(t) => {
                assert!(
                    matches!(t.dtype(), DType::I32 | DType::U32),
                    "{op}: index arrays must be integers or booleans, got {}{:?}",
                    t.dtype().numpy_name(),
                    t.shape()
                );
                items.push(Item::Array(t))
            }
        }
    }
    let used = items.iter().filter(|i| !matches!(i, Item::NewAxis)).count();
    items.extend((used..shape.len()).map(|_| Item::Slice(Slice::default())));
    Parsed {
        items,
        advanced_contiguous,
    }
}

/// `np.where(mask)` of a concrete mask: one i32 array per mask dim.
fn mask_nonzero(m: &Tensor) -> Vec<Tensor> {
    let vals = m.to_vec::<bool>();
    let shape = m.shape().to_vec();
    let mut cols: Vec<Vec<i32>> = vec![Vec::new(); shape.len()];
    for (flat, &b) in vals.iter().enumerate() {
        if b {
            let mut rem = flat;
            for d in (0..shape.len()).rev() {
                cols[d].push((rem % shape[d]) as i32);
                rem /= shape[d];
            }
        }
    }
    cols.into_iter()
        .map(|c| {
            let n = c.len();
            Tensor::from_vec(c, &[n])
        })
        .collect()
}

/// `x[idx]` by static ops when `idx` has no arrays (JAX's `to_static_slice`): one `slice`
/// (integers clamp into the axis), then `rev` of negative-step axes, `squeeze` of integer
/// axes and `expand_dims` for new axes. `None` when `idx` has arrays.
#[track_caller]
pub(super) fn static_slice(x: &Tensor, p: &Parsed, op: &str) -> Option<Tensor> {
    if p.items.iter().any(|i| matches!(i, Item::Array(_))) {
        return None;
    }
    let shape = x.shape();
    let rank = shape.len();
    let (mut starts, mut limits, mut strides) = (vec![0; rank], shape.to_vec(), vec![1; rank]);
    let (mut rev, mut squeeze, mut newaxis) = (Vec::new(), Vec::new(), Vec::new());
    let (mut xa, mut ya) = (0usize, 0usize);
    for item in &p.items {
        match item {
            Item::Int(i) => {
                let n = shape[xa] as i64;
                assert!(
                    n > 0,
                    "{op}: index is out of bounds for axis {xa} with size 0 (array shape {shape:?})"
                );
                let j = if *i < 0 { i + n } else { *i }.clamp(0, n - 1) as usize;
                starts[xa] = j;
                limits[xa] = j + 1;
                squeeze.push(xa);
                xa += 1;
            }
            Item::Slice(s) => {
                let (start, step, size) = canonicalize_slice(s, shape[xa], op);
                if size == 0 {
                    starts[xa] = 0;
                    limits[xa] = 0;
                } else if step > 0 {
                    starts[xa] = start as usize;
                    limits[xa] = (start + (size as i64 - 1) * step + 1) as usize;
                    strides[xa] = step as usize;
                } else {
                    let first = start + (size as i64 - 1) * step;
                    starts[xa] = first as usize;
                    limits[xa] = start as usize + 1;
                    strides[xa] = (-step) as usize;
                    rev.push(xa);
                }
                xa += 1;
                ya += 1;
            }
            Item::NewAxis => {
                newaxis.push(ya);
                ya += 1;
            }
            Item::Array(_) => unreachable!("checked above"),
        }
    }
    let mut y = x.clone();
    let trivial =
        starts.iter().all(|&s| s == 0) && limits == shape && strides.iter().all(|&s| s == 1);
    if !trivial {
        let st = strides
            .iter()
            .any(|&s| s != 1)
            .then_some(strides.as_slice());
        y = lax::slice(&y, &starts, &limits, st);
    }
    if !rev.is_empty() {
        y = lax::rev(&y, &rev);
    }
    if !squeeze.is_empty() {
        y = lax::squeeze(&y, &squeeze);
    }
    if !newaxis.is_empty() {
        y = lax::expand_dims(&y, &newaxis);
    }
    Some(y)
}

/// What `_index_to_gather` returns: the gather (or, mirrored, the scatter) that reads (or
/// writes) `x[idx]`, and the shape fix-ups around it.
pub(super) struct GatherIndexer {
    /// The shape of `x[idx]`.
    pub slice_shape: Vec<usize>,
    /// The gather's `slice_sizes`.
    pub gather_slice_shape: Vec<usize>,
    /// i32 indices, the index vector last.
    pub indices: Tensor,
    pub dnums: GatherDimensionNumbers,
    /// No advanced index: windows cannot overlap and come in order.
    pub unique_and_sorted: bool,
    /// Dims of the gathered array to reverse (negative steps).
    pub reversed_y_dims: Vec<usize>,
    /// Dims of `x[idx]` that new axes add.
    pub newaxis_dims: Vec<usize>,
}

/// `idx` normalized: negative integers count from the end (static), negative entries of
/// signed index arrays too (`select_n(i < 0, i, i + n)`); arrays become i32.
fn normalize(i: &Tensor, n: usize) -> Tensor {
    if i.dtype() == DType::U32 {
        return lax::convert_element_type(i, DType::I32);
    }
    let i = lax::convert_element_type(i, DType::I32);
    let neg = lax::lt(&i, &Tensor::zeros(&[], DType::I32));
    let wrapped = lax::add(&i, &Tensor::full(&[], n as i32, DType::I32));
    lax::select_n(&neg, &[i, wrapped])
}

/// Numpy's broadcast of the advanced index arrays to one shape.
#[track_caller]
fn broadcast_all(arrays: &[Tensor], op: &str) -> Vec<Tensor> {
    let mut shape: Vec<usize> = Vec::new();
    for a in arrays {
        let ok = a
            .shape()
            .iter()
            .rev()
            .zip(shape.iter().rev())
            .all(|(x, y)| x == y || *x == 1 || *y == 1);
        assert!(
            ok,
            "{op}: shape mismatch: indexing arrays could not be broadcast together with shapes {:?}",
            arrays.iter().map(|a| a.shape().to_vec()).collect::<Vec<_>>()
        );
        shape = broadcast_shapes(&shape, a.shape());
    }
    arrays
        .iter()
        .map(|a| crate::numpy::broadcast_to(a, &shape))
        .collect()
}

/// `_index_to_gather` (with `normalize_indices=True`).
#[track_caller]
pub(super) fn index_to_gather(shape: &[usize], p: &Parsed, op: &str) -> GatherIndexer {
    let is_array_adv = p
        .items
        .iter()
        .any(|i| matches!(i, Item::Array(t) if t.ndim() > 0));
    // (array, item position, x axis) of every advanced index, when there is an array.
    let mut advanced: Vec<(Tensor, usize, usize)> = Vec::new();
    if is_array_adv {
        let mut xa = 0usize;
        for (pos, item) in p.items.iter().enumerate() {
            match item {
                Item::NewAxis => continue,
                Item::Int(i) => {
                    let n = shape[xa] as i64;
                    let j = if *i < 0 { i + n } else { *i };
                    advanced.push((Tensor::scalar(j as i32), pos, xa));
                }
                Item::Array(t) => advanced.push((normalize(t, shape[xa]), pos, xa)),
                Item::Slice(_) => {}
            }
            xa += 1;
        }
    }
    let adv_positions: Vec<usize> = advanced.iter().map(|a| a.1).collect();
    let (mut x_axis, mut y_axis, mut collapsed_y_axis) = (0usize, 0usize, 0usize);
    let (mut offset_dims, mut collapsed_slice_dims, mut start_index_map) =
        (Vec::new(), Vec::new(), Vec::new());
    let mut gather_indices: Vec<(Tensor, usize)> = Vec::new();
    let mut gather_indices_shape: Vec<usize> = Vec::new();
    let (mut slice_shape, mut newaxis_dims, mut reversed_y_dims) =
        (Vec::new(), Vec::new(), Vec::new());
    let mut gather_slice_shape = Vec::new();
    for (pos, item) in p.items.iter().enumerate() {
        let first_adv = !advanced.is_empty()
            && ((p.advanced_contiguous && pos == adv_positions[0])
                || (!p.advanced_contiguous && pos == 0));
        if first_adv {
            let arrays: Vec<Tensor> = advanced.iter().map(|a| a.0.clone()).collect();
            let arrays = broadcast_all(&arrays, op);
            let bshape = arrays[0].shape().to_vec();
            let start_dim = gather_indices_shape.len();
            gather_indices.extend(arrays.into_iter().map(|a| (a, start_dim)));
            gather_indices_shape.extend_from_slice(&bshape);
            start_index_map.extend(advanced.iter().map(|a| a.2));
            collapsed_slice_dims.extend(advanced.iter().map(|a| a.2));
            slice_shape.extend_from_slice(&bshape);
            y_axis += bshape.len();
            collapsed_y_axis += bshape.len();
        }
        if adv_positions.contains(&pos) {
            x_axis += 1;
            gather_slice_shape.push(1);
            continue;
        }
        match item {
            Item::Int(_) | Item::Array(_) => {
                let n = shape[x_axis];
                assert!(
                    n > 0,
                    "{op}: index is out of bounds for axis {x_axis} with size 0 (array shape {shape:?})"
                );
                let i = match item {
                    Item::Int(i) => {
                        let j = if *i < 0 { i + n as i64 } else { *i };
                        Tensor::scalar(j as i32)
                    }
                    Item::Array(t) => normalize(t, n),
                    _ => unreachable!(),
                };
                gather_indices.push((i, gather_indices_shape.len()));
                collapsed_slice_dims.push(x_axis);
                gather_slice_shape.push(1);
                start_index_map.push(x_axis);
                x_axis += 1;
            }
            Item::NewAxis => {
                slice_shape.push(1);
                newaxis_dims.push(y_axis);
                y_axis += 1;
            }
            Item::Slice(s) => {
                let (start, step, size) = canonicalize_slice(s, shape[x_axis], op);
                slice_shape.push(size);
                if step == 1 {
                    if size != shape[x_axis] {
                        gather_indices
                            .push((Tensor::scalar(start as i32), gather_indices_shape.len()));
                        start_index_map.push(x_axis);
                    }
                    gather_slice_shape.push(size);
                    offset_dims.push(collapsed_y_axis);
                } else {
                    let vals: Vec<i32> = (0..size as i64)
                        .map(|k| (start + step * k) as i32)
                        .collect();
                    let mut vals = vals;
                    if step < 0 {
                        reversed_y_dims.push(collapsed_y_axis);
                        vals.reverse();
                    }
                    gather_slice_shape.push(1);
                    gather_indices
                        .push((Tensor::from_vec(vals, &[size]), gather_indices_shape.len()));
                    start_index_map.push(x_axis);
                    gather_indices_shape.push(size);
                    collapsed_slice_dims.push(x_axis);
                }
                collapsed_y_axis += 1;
                y_axis += 1;
                x_axis += 1;
            }
        }
    }
    let indices = match gather_indices.len() {
        0 => Tensor::zeros(&[0], DType::I32),
        1 => {
            let g = &gather_indices[0].0;
            lax::expand_dims(g, &[g.ndim()])
        }
        _ => {
            let last = gather_indices_shape.len();
            let mut full = gather_indices_shape.clone();
            full.push(1);
            let parts: Vec<Tensor> = gather_indices
                .iter()
                .map(|(g, i)| {
                    let dims: Vec<usize> = (*i..*i + g.ndim()).collect();
                    lax::broadcast_in_dim(g, &full, &dims)
                })
                .collect();
            lax::concatenate(&parts, last)
        }
    };
    collapsed_slice_dims.sort_unstable();
    GatherIndexer {
        slice_shape,
        gather_slice_shape,
        indices,
        dnums: GatherDimensionNumbers {
            offset_dims: offset_dims.as_slice().into(),
            collapsed_slice_dims: collapsed_slice_dims.as_slice().into(),
            start_index_map: start_index_map.as_slice().into(),
            ..Default::default()
        },
        unique_and_sorted: advanced.is_empty(),
        reversed_y_dims,
        newaxis_dims,
    }
}
