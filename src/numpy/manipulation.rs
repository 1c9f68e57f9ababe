//! Shape manipulation, `jax.numpy` style: `ravel`, `flip`, `fliplr`, `flipud`, `roll`,
//! `rot90`, `swapaxes`, `tile`, `repeat`, `hstack`, `vstack`, `dstack`, `column_stack`,
//! `atleast_1d/2d/3d`, `array_split`, `append`, `take_along_axis`.

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// `jnp.ravel`: the elements as a 1-D tensor (row-major).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// assert_eq!(ferrax::numpy::ravel(&x).shape(), &[4]);
/// ```
#[track_caller]
pub fn ravel(x: &Tensor) -> Tensor {
    reshape(x, &[-1])
}

/// `jnp.flip(x, axis)`: reverses the order along `axes` (every axis when `None`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// assert_eq!(ferrax::numpy::flip(&x, None).to_vec::<i32>(), vec![4, 3, 2, 1]);
/// assert_eq!(ferrax::numpy::flip(&x, Some(&[-1])).to_vec::<i32>(), vec![2, 1, 4, 3]);
/// ```
#[track_caller]
pub fn flip(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    let dims: Vec<usize> = match axes {
        Some(a) => normalize_axes(a, x.ndim()),
        None => (0..x.ndim()).collect(),
    };
    if dims.is_empty() {
        return x.clone();
    }
    lax::rev(x, &dims)
}

/// `jnp.fliplr`: reverses axis 1.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// assert_eq!(ferrax::numpy::fliplr(&x).to_vec::<i32>(), vec![2, 1, 4, 3]);
/// ```
#[track_caller]
pub fn fliplr(x: &Tensor) -> Tensor {
    assert!(
        x.ndim() >= 2,
        "fliplr: input must have rank >= 2, got shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    flip(x, Some(&[1]))
}

/// `jnp.flipud`: reverses axis 0.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// assert_eq!(ferrax::numpy::flipud(&x).to_vec::<i32>(), vec![3, 4, 1, 2]);
/// ```
#[track_caller]
pub fn flipud(x: &Tensor) -> Tensor {
    assert!(
        x.ndim() >= 1,
        "flipud: input must have rank >= 1, got shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    flip(x, Some(&[0]))
}

/// `jnp.roll(x, shift, axis)`: shifts elements by `shift` along `axis` (of the flattened
/// tensor when `None`), wrapping around; negative shifts go left.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[4]);
/// assert_eq!(ferrax::numpy::roll(&x, 1, None).to_vec::<i32>(), vec![4, 1, 2, 3]);
/// assert_eq!(ferrax::numpy::roll(&x, -1, Some(0)).to_vec::<i32>(), vec![2, 3, 4, 1]);
/// ```
#[track_caller]
pub fn roll(x: &Tensor, shift: isize, axis: Option<isize>) -> Tensor {
    let Some(axis) = axis else {
        return reshape(&roll(&ravel(x), shift, Some(0)), &shape_isize(x.shape()));
    };
    let a = normalize_axis(axis, x.ndim());
    let n = x.shape()[a] as isize;
    if n == 0 {
        return x.clone();
    }
    let s = shift.rem_euclid(n);
    if s == 0 {
        return x.clone();
    }
    let tail = slice_axis(x, a as isize, n - s, n);
    let head = slice_axis(x, a as isize, 0, n - s);
    lax::concatenate(&[tail, head], a)
}

fn shape_isize(shape: &[usize]) -> Vec<isize> {
    shape.iter().map(|&d| d as isize).collect()
}

/// `jnp.rot90(x, k)`: rotates by 90° `k` times in the plane of axes 0 and 1 (from the first
/// towards the second).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// assert_eq!(ferrax::numpy::rot90(&x, 1).to_vec::<i32>(), vec![2, 4, 1, 3]);
/// ```
#[track_caller]
pub fn rot90(x: &Tensor, k: isize) -> Tensor {
    rot90_axes(x, k, (0, 1))
}

/// `jnp.rot90(x, k, axes)`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// assert_eq!(ferrax::numpy::rot90_axes(&x, 1, (1, 0)).to_vec::<i32>(), vec![3, 1, 4, 2]);
/// ```
#[track_caller]
pub fn rot90_axes(x: &Tensor, k: isize, axes: (isize, isize)) -> Tensor {
    assert!(
        x.ndim() >= 2,
        "rot90: input must have rank >= 2, got shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    let (a1, a2) = (
        normalize_axis(axes.0, x.ndim()),
        normalize_axis(axes.1, x.ndim()),
    );
    assert!(
        a1 != a2,
        "rot90: axes {axes:?} are the same axis of shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    let (i1, i2) = (a1 as isize, a2 as isize);
    match k.rem_euclid(4) {
        0 => x.clone(),
        2 => flip(x, Some(&[i1, i2])),
        k => {
            let mut perm: Vec<usize> = (0..x.ndim()).collect();
            perm.swap(a1, a2);
            if k == 1 {
                lax::transpose(&flip(x, Some(&[i2])), &perm)
            } else {
                flip(&lax::transpose(x, &perm), Some(&[i2]))
            }
        }
    }
}

/// `jnp.swapaxes(x, axis1, axis2)`: exchanges two axes.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[2, 3, 4], DType::F32);
/// assert_eq!(ferrax::numpy::swapaxes(&x, 0, -1).shape(), &[4, 3, 2]);
/// ```
#[track_caller]
pub fn swapaxes(x: &Tensor, axis1: isize, axis2: isize) -> Tensor {
    let (a1, a2) = (
        normalize_axis(axis1, x.ndim()),
        normalize_axis(axis2, x.ndim()),
    );
    let mut perm: Vec<usize> = (0..x.ndim()).collect();
    perm.swap(a1, a2);
    lax::transpose(x, &perm)
}

/// `jnp.tile(x, reps)`: `x` repeated `reps[i]` times along each dim (ranks aligned at the
/// end, as numpy).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::tile(&x, &[2]).to_vec::<i32>(), vec![1, 2, 1, 2]);
/// assert_eq!(ferrax::numpy::tile(&x, &[2, 1]).shape(), &[2, 2]);
/// ```
#[track_caller]
pub fn tile(x: &Tensor, reps: &[usize]) -> Tensor {
    let nd = x.ndim().max(reps.len());
    let mut reps_full = vec![1usize; nd - reps.len()];
    reps_full.extend_from_slice(reps);
    let mut xshape = vec![1usize; nd - x.ndim()];
    xshape.extend_from_slice(x.shape());
    let x = lax::reshape(x, &xshape);
    // Interleave (rep, dim) pairs, broadcast, then merge each pair.
    let mut big = Vec::with_capacity(2 * nd);
    let mut dims = Vec::with_capacity(nd);
    for i in 0..nd {
        big.push(reps_full[i]);
        big.push(xshape[i]);
        dims.push(2 * i + 1);
    }
    let b = lax::broadcast_in_dim(&x, &big, &dims);
    let out: Vec<usize> = (0..nd).map(|i| reps_full[i] * xshape[i]).collect();
    lax::reshape(&b, &out)
}

/// `jnp.repeat(x, repeats, axis)`: each element repeated `repeats` times along `axis` (of
/// the flattened tensor when `None`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// assert_eq!(ferrax::numpy::repeat(&x, 2, None).to_vec::<i32>(), vec![1, 1, 2, 2, 3, 3, 4, 4]);
/// assert_eq!(ferrax::numpy::repeat(&x, 2, Some(0)).to_vec::<i32>(), vec![1, 2, 1, 2, 3, 4, 3, 4]);
/// ```
#[track_caller]
pub fn repeat(x: &Tensor, repeats: usize, axis: Option<isize>) -> Tensor {
    let (x, a) = match axis {
        None => (ravel(x), 0),
        Some(a) => (x.clone(), normalize_axis(a, x.ndim())),
    };
    let mut big = x.shape().to_vec();
    big.insert(a + 1, repeats);
    let dims: Vec<usize> = (0..x.ndim())
        .map(|d| if d <= a { d } else { d + 1 })
        .collect();
    let b = lax::broadcast_in_dim(&x, &big, &dims);
    let mut out = x.shape().to_vec();
    out[a] *= repeats;
    lax::reshape(&b, &out)
}

/// `jnp.atleast_1d`: rank-0 tensors become shape `[1]`; others unchanged.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::numpy::atleast_1d(&Tensor::scalar(1.0f32)).shape(), &[1]);
/// ```
pub fn atleast_1d(x: &Tensor) -> Tensor {
    if x.ndim() >= 1 {
        x.clone()
    } else {
        lax::reshape(x, &[1])
    }
}

/// `jnp.atleast_2d`: rank 0 becomes `[1, 1]`, rank 1 `[1, n]`; others unchanged.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::atleast_2d(&x).shape(), &[1, 2]);
/// ```
pub fn atleast_2d(x: &Tensor) -> Tensor {
    match x.ndim() {
        0 => lax::reshape(x, &[1, 1]),
        1 => lax::reshape(x, &[1, x.shape()[0]]),
        _ => x.clone(),
    }
}

/// `jnp.atleast_3d`: rank 0 becomes `[1, 1, 1]`, rank 1 `[1, n, 1]`, rank 2 `[m, n, 1]`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::atleast_3d(&x).shape(), &[1, 2, 1]);
/// ```
pub fn atleast_3d(x: &Tensor) -> Tensor {
    match x.ndim() {
        0 => lax::reshape(x, &[1, 1, 1]),
        1 => lax::reshape(x, &[1, x.shape()[0], 1]),
        2 => lax::reshape(x, &[x.shape()[0], x.shape()[1], 1]),
        _ => x.clone(),
    }
}

#[track_caller]
fn nonempty(name: &str, xs: &[Tensor]) {
    assert!(
        !xs.is_empty(),
        "{name}: need at least one tensor (called from {})",
        std::panic::Location::caller()
    );
}

/// `jnp.hstack`: concatenation along axis 1 (axis 0 for 1-D inputs).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::hstack(&[a.clone(), a]).to_vec::<i32>(), vec![1, 2, 1, 2]);
/// ```
#[track_caller]
pub fn hstack(xs: &[Tensor]) -> Tensor {
    nonempty("hstack", xs);
    let xs: Vec<Tensor> = xs.iter().map(atleast_1d).collect();
    let axis = if xs[0].ndim() == 1 { 0 } else { 1 };
    concatenate(&xs, axis)
}

/// `jnp.vstack`: concatenation along axis 0 of the inputs made at least 2-D.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::vstack(&[a.clone(), a]).shape(), &[2, 2]);
/// ```
#[track_caller]
pub fn vstack(xs: &[Tensor]) -> Tensor {
    nonempty("vstack", xs);
    let xs: Vec<Tensor> = xs.iter().map(atleast_2d).collect();
    concatenate(&xs, 0)
}

/// `jnp.dstack`: concatenation along axis 2 of the inputs made at least 3-D.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::dstack(&[a.clone(), a]).shape(), &[1, 2, 2]);
/// ```
#[track_caller]
pub fn dstack(xs: &[Tensor]) -> Tensor {
    nonempty("dstack", xs);
    let xs: Vec<Tensor> = xs.iter().map(atleast_3d).collect();
    concatenate(&xs, 2)
}

/// `jnp.column_stack`: 1-D inputs become columns, then concatenation along axis 1.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[2]);
/// let s = ferrax::numpy::column_stack(&[a.clone(), a]);
/// assert_eq!(s.to_vec::<i32>(), vec![1, 1, 2, 2]);
/// ```
#[track_caller]
pub fn column_stack(xs: &[Tensor]) -> Tensor {
    nonempty("column_stack", xs);
    let xs: Vec<Tensor> = xs
        .iter()
        .map(|x| match x.ndim() {
            0 | 1 => lax::reshape(x, &[x.size(), 1]),
            _ => x.clone(),
        })
        .collect();
    concatenate(&xs, 1)
}

/// `jnp.array_split(x, sections, axis)`: `sections` parts along `axis`, the first
/// `n % sections` of them one element longer (unlike [`split`], `n` need not divide).
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::numpy::arange(0, 5, 1);
/// let parts = ferrax::numpy::array_split(&x, 3, 0);
/// assert_eq!(parts[0].to_vec::<i32>(), vec![0, 1]);
/// assert_eq!(parts[2].to_vec::<i32>(), vec![4]);
/// ```
#[track_caller]
pub fn array_split(x: &Tensor, sections: usize, axis: isize) -> Vec<Tensor> {
    assert!(
        sections > 0,
        "array_split: number of sections must be positive, got 0 for shape {:?} (called from {})",
        x.shape(),
        std::panic::Location::caller()
    );
    let a = normalize_axis(axis, x.ndim());
    let n = x.shape()[a];
    let (each, extra) = (n / sections, n % sections);
    let sizes: Vec<usize> = (0..sections)
        .map(|i| each + usize::from(i < extra))
        .collect();
    let mut out = Vec::with_capacity(sections);
    let mut start = 0;
    for s in sizes {
        out.push(slice_axis(
            x,
            a as isize,
            start as isize,
            (start + s) as isize,
        ));
        start += s;
    }
    out
}

/// `jnp.append(x, values, axis)`: `values` concatenated after `x` along `axis` (both
/// flattened when `None`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// let v = Tensor::from_vec(vec![5, 6], &[1, 2]);
/// assert_eq!(ferrax::numpy::append(&x, &v, None).shape(), &[6]);
/// assert_eq!(ferrax::numpy::append(&x, &v, Some(0)).shape(), &[3, 2]);
/// ```
#[track_caller]
pub fn append(x: &Tensor, values: &Tensor, axis: Option<isize>) -> Tensor {
    match axis {
        None => concatenate(&[ravel(x), ravel(values)], 0),
        Some(a) => concatenate(&[x.clone(), values.clone()], a),
    }
}

/// `jnp.take_along_axis(x, indices, axis)`: `out[..., j, ...] = x[..., indices[..., j, ...],
/// ...]` along `axis`; `indices` has `x`'s rank and broadcasts against it on the other dims.
/// Negative indices count from the end; out-of-range ones are clamped (lax.gather's CLIP).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![10, 30, 20, 5, 6, 4], &[2, 3]);
/// let i = Tensor::from_vec(vec![0, 2, 1, 2], &[2, 2]);
/// let y = ferrax::numpy::take_along_axis(&x, &i, 1);
/// assert_eq!(y.to_vec::<i32>(), vec![10, 20, 6, 4]);
/// ```
#[track_caller]
pub fn take_along_axis(x: &Tensor, indices: &Tensor, axis: isize) -> Tensor {
    use crate::prims::index::{GatherDimensionNumbers, GatherScatterMode};
    assert!(
        indices.ndim() == x.ndim(),
        "take_along_axis: indices of shape {:?} must have the rank of the input's {:?} \
         (called from {})",
        indices.shape(),
        x.shape(),
        std::panic::Location::caller()
    );
    let a = normalize_axis(axis, x.ndim());
    let nd = x.ndim();
    // The output shape: the broadcast of x and indices on every dim but `axis`.
    let mut out_shape = Vec::with_capacity(nd);
    for d in 0..nd {
        if d == a {
            out_shape.push(indices.shape()[d]);
        } else {
            let (p, q) = (x.shape()[d], indices.shape()[d]);
            assert!(
                p == q || p == 1 || q == 1,
                "take_along_axis: shapes {:?} and {:?} do not broadcast off axis {a} \
                 (called from {})",
                x.shape(),
                indices.shape(),
                std::panic::Location::caller()
            );
            out_shape.push(if q == 1 { p } else { q });
        }
    }
    let idx = lax::convert_element_type(indices, DType::I32);
    let n = x.shape()[a] as i32;
    let idx = where_(&idx.lt(0), add(&idx, n), &idx);
    let idx = broadcast_to(&idx, &out_shape);
    // One index vector per output element: the output position on every dim, except the
    // gathered index on `axis` (and 0 on dims where x has size 1).
    let mut vshape = out_shape.clone();
    vshape.push(1);
    let comps: Vec<Tensor> = (0..nd)
        .map(|d| {
            let c = if d == a {
                idx.clone()
            } else if x.shape()[d] == 1 {
                Tensor::zeros(&out_shape, DType::I32)
            } else {
                lax::iota(DType::I32, &out_shape, d)
            };
            lax::reshape(&c, &vshape)
        })
        .collect();
    let full_idx = lax::concatenate(&comps, nd);
    let all: Vec<usize> = (0..nd).collect();
    let dn = GatherDimensionNumbers {
        offset_dims: [].as_slice().into(),
        collapsed_slice_dims: all.as_slice().into(),
        start_index_map: all.as_slice().into(),
        ..Default::default()
    };
    lax::gather(x, &full_idx, dn, &vec![1; nd], GatherScatterMode::Clip)
}
