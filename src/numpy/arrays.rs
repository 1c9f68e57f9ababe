//! Array manipulation, numpy-style: `reshape` (with one inferred `-1`), `transpose`,
//! `matmul`, `concatenate`, `stack`, `split`, slicing and indexing along an axis, `take`,
//! `one_hot`, `moveaxis`, `expand_dims`, `squeeze`.

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// Reshape with numpy's `-1` (one dim inferred).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0, 6, 1, DType::I32);
/// assert_eq!(ferrax::numpy::reshape(&x, &[-1, 2]).shape(), &[3, 2]);
/// ```
#[track_caller]
pub fn reshape(x: &Tensor, shape: &[isize]) -> Tensor {
    let known: usize = shape
        .iter()
        .filter(|&&d| d >= 0)
        .map(|&d| d as usize)
        .product();
    let n_infer = shape.iter().filter(|&&d| d < 0).count();
    assert!(n_infer <= 1, "reshape: at most one -1 in {shape:?}");
    let new: Vec<usize> = shape
        .iter()
        .map(|&d| {
            if d >= 0 {
                d as usize
            } else {
                assert!(
                    known > 0 && x.size().is_multiple_of(known),
                    "reshape: cannot infer -1 for {} elements into {shape:?}",
                    x.size()
                );
                x.size() / known
            }
        })
        .collect();
    assert!(
        new.iter().product::<usize>() == x.size(),
        "reshape: cannot reshape {:?} ({} elements) to {:?}",
        x.shape(),
        x.size(),
        shape
    );
    if new.as_slice() == x.shape() {
        return x.clone();
    }
    lax::reshape(x, &new)
}

/// Transposes by `axes` (reverses dims when empty), negative axes allowed.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[2, 3, 4], DType::F32);
/// assert_eq!(ferrax::numpy::transpose(&x, &[]).shape(), &[4, 3, 2]);
/// assert_eq!(ferrax::numpy::transpose(&x, &[0, -1, 1]).shape(), &[2, 4, 3]);
/// ```
#[track_caller]
pub fn transpose(x: &Tensor, axes: &[isize]) -> Tensor {
    let perm: Vec<usize> = if axes.is_empty() {
        (0..x.ndim()).rev().collect()
    } else {
        axes.iter().map(|&a| normalize_axis(a, x.ndim())).collect()
    };
    lax::transpose(x, &perm)
}

/// numpy `matmul`: 1-D operands are vectors, leading dims broadcast as a batch.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// let v = Tensor::from_vec(vec![1.0f32, 0.0], &[2]);
/// assert_eq!(ferrax::numpy::matmul(&a, &v).to_vec::<f32>(), vec![1.0, 3.0]);
/// assert_eq!(ferrax::numpy::matmul(&a, &a).to_vec::<f32>(), vec![7.0, 10.0, 15.0, 22.0]);
/// ```
#[track_caller]
pub fn matmul(a: &Tensor, b: &Tensor) -> Tensor {
    let dtype = DType::promote(a.dtype(), b.dtype());
    let (a, b) = (
        lax::convert_element_type(a, dtype),
        lax::convert_element_type(b, dtype),
    );
    assert!(
        a.ndim() >= 1 && b.ndim() >= 1,
        "matmul: operands must have rank >= 1, got {:?} and {:?}",
        a.shape(),
        b.shape()
    );
    let (an, bn) = (a.ndim(), b.ndim());
    let k_a = a.shape()[an - 1];
    let k_b = if bn == 1 {
        b.shape()[0]
    } else {
        b.shape()[bn - 2]
    };
    assert!(
        k_a == k_b,
        "matmul: contraction sizes differ: {:?} @ {:?}",
        a.shape(),
        b.shape()
    );
    if an <= 2 && bn <= 2 {
        return lax::dot_general(&a, &b, ((&[an - 1], &[0]), (&[], &[])), Some(dtype));
    }
    // Batched: vectors become matrices, leading dims broadcast to a common batch shape,
    // one dot_general with batch dims, then the vector dims are dropped again.
    let a2 = if an == 1 {
        lax::expand_dims(&a, &[0])
    } else {
        a
    };
    let b2 = if bn == 1 {
        lax::expand_dims(&b, &[1])
    } else {
        b
    };
    let (a_nd, b_nd) = (a2.ndim(), b2.ndim());
    let batch = broadcast_shapes(&a2.shape()[..a_nd - 2], &b2.shape()[..b_nd - 2]);
    let nb = batch.len();
    let with_batch = |t: &Tensor| {
        let mut s = batch.clone();
        s.extend_from_slice(&t.shape()[t.ndim() - 2..]);
        broadcast_to(t, &s)
    };
    let (a3, b3) = (with_batch(&a2), with_batch(&b2));
    let bdims: Vec<usize> = (0..nb).collect();
    let out = lax::dot_general(
        &a3,
        &b3,
        ((&[nb + 1], &[nb]), (&bdims, &bdims)),
        Some(dtype),
    );
    match (an == 1, bn == 1) {
        (true, _) => lax::squeeze(&out, &[nb]),
        (false, true) => lax::squeeze(&out, &[nb + 1]),
        _ => out,
    }
}

/// Joins tensors along `axis` (negative allowed), promoting dtypes.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[1, 2]);
/// assert_eq!(ferrax::numpy::concatenate(&[a.clone(), a], 0).shape(), &[2, 2]);
/// ```
#[track_caller]
pub fn concatenate(xs: &[Tensor], axis: isize) -> Tensor {
    assert!(!xs.is_empty(), "concatenate: need at least one tensor");
    let dtype = xs
        .iter()
        .map(|x| x.dtype())
        .reduce(DType::promote)
        .expect("non-empty");
    let xs: Vec<Tensor> = xs
        .iter()
        .map(|x| lax::convert_element_type(x, dtype))
        .collect();
    lax::concatenate(&xs, normalize_axis(axis, xs[0].ndim()))
}

/// Stacks same-shaped tensors along a new `axis`.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[2]);
/// let s = ferrax::numpy::stack(&[a.clone(), a], 1);
/// assert_eq!(s.shape(), &[2, 2]);
/// assert_eq!(s.to_vec::<i32>(), vec![1, 1, 2, 2]);
/// ```
#[track_caller]
pub fn stack(xs: &[Tensor], axis: isize) -> Tensor {
    assert!(!xs.is_empty(), "stack: need at least one tensor");
    let axis = normalize_axis(axis, xs[0].ndim() + 1);
    let expanded: Vec<Tensor> = xs.iter().map(|x| lax::expand_dims(x, &[axis])).collect();
    concatenate(&expanded, axis as isize)
}

/// Splits into `sections` equal parts along `axis` (one `split` equation, as `jnp.split`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0, 6, 1, DType::I32);
/// let parts = ferrax::numpy::split(&x, 3, 0);
/// assert_eq!(parts[2].to_vec::<i32>(), vec![4, 5]);
/// ```
#[track_caller]
pub fn split(x: &Tensor, sections: usize, axis: isize) -> Vec<Tensor> {
    let axis = normalize_axis(axis, x.ndim());
    let n = x.shape()[axis];
    assert!(
        sections > 0 && n.is_multiple_of(sections),
        "split: axis of size {n} does not divide into {sections} sections"
    );
    lax::split(x, &vec![n / sections; sections], axis)
}

/// `x[..., start:stop, ...]` along `axis` (negative bounds count from the end, clamped like
/// Python slices).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0, 5, 1, DType::I32);
/// assert_eq!(ferrax::numpy::slice_axis(&x, 0, 1, -1).to_vec::<i32>(), vec![1, 2, 3]);
/// ```
#[track_caller]
pub fn slice_axis(x: &Tensor, axis: isize, start: isize, stop: isize) -> Tensor {
    let axis = normalize_axis(axis, x.ndim());
    let n = x.shape()[axis] as isize;
    let fix = |i: isize| (if i < 0 { i + n } else { i }).clamp(0, n) as usize;
    let (s, e) = (fix(start), fix(stop).max(fix(start)));
    let mut starts = vec![0; x.ndim()];
    let mut limits = x.shape().to_vec();
    starts[axis] = s;
    limits[axis] = e;
    lax::slice(x, &starts, &limits, None)
}

/// `x[i]` along `axis` (the axis disappears); negative `i` counts from the end.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// assert_eq!(ferrax::numpy::index_axis(&x, 0, -1).to_vec::<i32>(), vec![3, 4]);
/// ```
#[track_caller]
pub fn index_axis(x: &Tensor, axis: isize, i: isize) -> Tensor {
    let ax = normalize_axis(axis, x.ndim());
    let n = x.shape()[ax] as isize;
    let j = if i < 0 { i + n } else { i };
    assert!(
        j >= 0 && j < n,
        "index {i} is out of bounds for axis {ax} of size {n}"
    );
    let s = slice_axis(x, ax as isize, j, j + 1);
    lax::squeeze(&s, &[ax])
}

/// `jnp.take(x, indices, axis)`: gathers along `axis`; negative indices wrap once, and
/// out-of-range indices are clamped (JAX's default for `take` is fill; ferrax clamps, as
/// lax.gather's CLIP mode).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![10.0f32, 11.0, 12.0], &[3]);
/// let i = Tensor::from_vec(vec![2, -1, 0], &[3]);
/// assert_eq!(ferrax::numpy::take(&x, &i, 0).to_vec::<f32>(), vec![12.0, 12.0, 10.0]);
/// ```
#[track_caller]
pub fn take(x: &Tensor, indices: &Tensor, axis: isize) -> Tensor {
    use crate::prims::index::{GatherDimensionNumbers, GatherScatterMode};
    let axis = normalize_axis(axis, x.ndim());
    let idx = lax::convert_element_type(indices, DType::I32);
    let n = x.shape()[axis] as i32;
    let wrapped = where_(&idx.lt(0), add(&idx, n), &idx);
    let mut idx_shape = wrapped.shape().to_vec();
    idx_shape.push(1);
    let nd = wrapped.ndim();
    let dims: Vec<usize> = (0..nd).collect();
    let idx = lax::broadcast_in_dim(&wrapped, &idx_shape, &dims);
    // Output: x's dims before `axis`, then the index dims, then x's dims after `axis`.
    let offset_dims: Vec<usize> = (0..x.ndim())
        .filter(|&d| d != axis)
        .map(|d| if d < axis { d } else { d - 1 + nd })
        .collect();
    let mut slice_sizes = x.shape().to_vec();
    slice_sizes[axis] = 1;
    let dn = GatherDimensionNumbers {
        offset_dims: offset_dims.as_slice().into(),
        collapsed_slice_dims: [axis].as_slice().into(),
        start_index_map: [axis].as_slice().into(),
        ..Default::default()
    };
    // Batch (index) dims fill the output positions the offset dims leave free, so the result
    // is laid out as x[:axis] + indices + x[axis+1:].
    lax::gather(x, &idx, dn, &slice_sizes, GatherScatterMode::Clip)
}

/// One-hot encoding of integer `labels` into `num_classes` (f32), as `jax.nn.one_hot`;
/// out-of-range labels give all-zero rows.
///
/// ```
/// use ferrax::prelude::*;
/// let y = ferrax::numpy::one_hot(&Tensor::from_vec(vec![1, 0], &[2]), 3);
/// assert_eq!(y.to_vec::<f32>(), vec![0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
/// ```
#[track_caller]
pub fn one_hot(labels: &Tensor, num_classes: usize) -> Tensor {
    let labels = lax::convert_element_type(labels, DType::I32);
    let nd = labels.ndim();
    let mut shape = labels.shape().to_vec();
    shape.push(1);
    let dims: Vec<usize> = (0..nd).collect();
    let col = lax::broadcast_in_dim(&labels, &shape, &dims);
    let classes = lax::iota(DType::I32, &[num_classes], 0);
    lax::convert_element_type(&equal(&col, &classes), DType::F32)
}

/// Moves an axis to a new position.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[2, 3, 4], DType::F32);
/// assert_eq!(ferrax::numpy::moveaxis(&x, 0, -1).shape(), &[3, 4, 2]);
/// ```
#[track_caller]
pub fn moveaxis(x: &Tensor, source: isize, destination: isize) -> Tensor {
    let (s, d) = (
        normalize_axis(source, x.ndim()),
        normalize_axis(destination, x.ndim()),
    );
    let mut perm: Vec<usize> = (0..x.ndim()).filter(|&i| i != s).collect();
    perm.insert(d, s);
    lax::transpose(x, &perm)
}

/// Adds a size-1 axis at `axis` (negative counts in the result's rank).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[3], DType::F32);
/// assert_eq!(ferrax::numpy::expand_dims(&x, -1).shape(), &[3, 1]);
/// ```
#[track_caller]
pub fn expand_dims(x: &Tensor, axis: isize) -> Tensor {
    lax::expand_dims(x, &[normalize_axis(axis, x.ndim() + 1)])
}

/// Removes size-1 axes (all of them when `axes` is empty).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[1, 3, 1], DType::F32);
/// assert_eq!(ferrax::numpy::squeeze(&x, &[]).shape(), &[3]);
/// ```
#[track_caller]
pub fn squeeze(x: &Tensor, axes: &[isize]) -> Tensor {
    let dims: Vec<usize> = if axes.is_empty() {
        (0..x.ndim()).filter(|&i| x.shape()[i] == 1).collect()
    } else {
        normalize_axes(axes, x.ndim())
    };
    lax::squeeze(x, &dims)
}
