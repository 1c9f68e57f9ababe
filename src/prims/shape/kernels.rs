//! Kernels of the shape primitives: generic over every dtype, results in standard
//! (row-major) layout.

use crate::ops::next_index;
use crate::prims::util::{flat, strides};
use crate::tensor::{ArrayData, ArrayElement, DType, Element};
use ndarray::{ArrayD, ArrayViewD, IxDyn, Slice};

/// Copies a view into a new array in standard layout.
pub(super) fn own<T: Clone>(v: ArrayViewD<'_, T>) -> ArrayD<T> {
    v.as_standard_layout().into_owned()
}

pub(super) fn reshape_kernel<T: Clone>(a: &ArrayD<T>, out_shape: &[usize]) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(out_shape), flat(a).into_owned())
        .expect("abstract_eval checked the size")
}

pub(super) fn broadcast_kernel<T: Clone>(
    a: &ArrayD<T>,
    out_shape: &[usize],
    bdims: &[usize],
) -> ArrayD<T> {
    // Put the operand's dims at their output positions (size-1 dims elsewhere); as
    // `broadcast_dimensions` is increasing, the row-major order of the data is unchanged.
    let mut expanded = vec![1usize; out_shape.len()];
    for (i, &d) in bdims.iter().enumerate() {
        expanded[d] = a.shape()[i];
    }
    if a.len() == 1 {
        let v = a.iter().next().expect("one element").clone();
        return ArrayD::from_elem(IxDyn(out_shape), v);
    }
    let data = flat(a);
    if data.len() == out_shape.iter().product::<usize>() {
        return crate::tensor::array_from_vec(out_shape, data.into_owned());
    }
    crate::tensor::array_from_vec(out_shape, broadcast_rows(&data, &expanded, out_shape))
}

/// `data` (row-major, of shape `expanded`: the output's rank with size-1 dims where it is
/// broadcast) stretched to `out_shape`, one output row at a time: a copy of an operand row
/// or a fill with one element. No per-element index arithmetic.
fn broadcast_rows<T: Clone>(data: &[T], expanded: &[usize], out_shape: &[usize]) -> Vec<T> {
    use crate::kernels::elementwise::{for_each_stretched_row, stretch_strides};
    let total: usize = out_shape.iter().product();
    let strides = stretch_strides(expanded, out_shape);
    let stretched = strides.last() == Some(&0);
    let mut out = Vec::with_capacity(total);
    for_each_stretched_row(out_shape, &strides, 0, total, |base, col, take| {
        if stretched {
            out.extend(std::iter::repeat_n(data[base].clone(), take));
        } else {
            out.extend_from_slice(&data[base + col..base + col + take]);
        }
    });
    out
}

/// Per dim of `pad`: the kept operand index range and where it lands in the output
/// (start, step), or None when nothing of this dim survives.
fn pad_placement(
    n: usize,
    (lo, _hi, interior): (i64, i64, i64),
    out: usize,
) -> Option<(usize, usize, usize, usize)> {
    let (n, lo, step, out) = (n as i128, lo as i128, interior as i128 + 1, out as i128);
    // Operand index i lands at lo + i*step; keep those in 0..out.
    let first = if lo >= 0 { 0 } else { (-lo + step - 1) / step };
    let end = if out - lo <= 0 {
        0
    } else {
        n.min((out - 1 - lo) / step + 1)
    };
    if end <= first {
        return None;
    }
    Some((
        first as usize,
        end as usize,
        (lo + first * step) as usize,
        step as usize,
    ))
}

pub(super) fn pad_kernel<T: Clone>(
    a: &ArrayD<T>,
    value: T,
    config: &[(i64, i64, i64)],
    out_shape: &[usize],
) -> ArrayD<T> {
    let mut out = ArrayD::from_elem(IxDyn(out_shape), value);
    let mut placements = Vec::with_capacity(config.len());
    for (d, &cfg) in config.iter().enumerate() {
        match pad_placement(a.shape()[d], cfg, out_shape[d]) {
            Some(p) => placements.push(p),
            None => return out,
        }
    }
    if a.is_empty() {
        return out;
    }
    let src = a.slice_each_axis(|ax| {
        let (first, end, _, _) = placements[ax.axis.index()];
        Slice::new(first as isize, Some(end as isize), 1)
    });
    let mut dst = out.slice_each_axis_mut(|ax| {
        let (first, end, start, step) = placements[ax.axis.index()];
        let stop = start + (end - first - 1) * step + 1;
        Slice::new(start as isize, Some(stop as isize), step as isize)
    });
    dst.assign(&src);
    out
}

/// `transpose`: output dim `i` is operand dim `permutation[i]`. When the last dims stay in
/// place (`(1, 0, 2)`: time-major to batch-major, attention's head split), every output row
/// of those dims is one contiguous run of the operand, copied whole; other permutations go
/// element by element through ndarray.
pub(super) fn transpose_kernel<T: Clone>(a: &ArrayD<T>, permutation: &[usize]) -> ArrayD<T> {
    let nd = permutation.len();
    let kept = (0..nd).rev().take_while(|&d| permutation[d] == d).count();
    let src = flat(a);
    if kept == 0 || kept == nd || src.is_empty() {
        return own(a.view().permuted_axes(IxDyn(permutation)));
    }
    let outer_dims = nd - kept;
    let run: usize = a.shape()[outer_dims..].iter().product();
    let src_strides = strides(a.shape());
    let out_shape: Vec<usize> = permutation.iter().map(|&p| a.shape()[p]).collect();
    let sizes = &out_shape[..outer_dims];
    let steps: Vec<usize> = permutation[..outer_dims]
        .iter()
        .map(|&p| src_strides[p])
        .collect();
    let mut data = Vec::with_capacity(src.len());
    let mut index = vec![0usize; outer_dims];
    loop {
        let offset: usize = index.iter().zip(&steps).map(|(i, s)| i * s).sum();
        data.extend_from_slice(&src[offset..offset + run]);
        if !next_index(&mut index, sizes) {
            break;
        }
    }
    ArrayD::from_shape_vec(IxDyn(&out_shape), data).expect("a permutation keeps the size")
}

pub(super) fn concatenate_kernel<T: Clone>(
    parts: &[&ArrayD<T>],
    dimension: usize,
    out_shape: &[usize],
) -> ArrayD<T> {
    // Row-major: for each index of the dims before `dimension`, each operand contributes one
    // contiguous chunk of (its size along `dimension`) * (product of later dims) elements.
    let outer: usize = out_shape[..dimension].iter().product();
    let inner: usize = out_shape[dimension + 1..].iter().product();
    let total: usize = out_shape.iter().product();
    let flats: Vec<_> = parts.iter().map(|p| flat(p)).collect();
    let chunks: Vec<usize> = parts.iter().map(|p| p.shape()[dimension] * inner).collect();
    let mut data = Vec::with_capacity(total);
    for o in 0..outer {
        for (f, &c) in flats.iter().zip(&chunks) {
            data.extend_from_slice(&f[o * c..(o + 1) * c]);
        }
    }
    ArrayD::from_shape_vec(IxDyn(out_shape), data).expect("abstract_eval checked the sizes")
}

pub(super) fn iota_kernel(dtype: DType, shape: &[usize], dimension: usize) -> ArrayData {
    let total: usize = shape.iter().product();
    let stride = strides(shape)[dimension];
    let n = shape[dimension];
    crate::dispatch_dtype!(dtype, T => {
        // Row-major: the value is constant over runs of `stride` elements and counts 0..n,
        // repeated for each index of the dimensions before `dimension` (no division per element).
        let mut data: Vec<T> = Vec::with_capacity(total);
        if n > 0 {
            let values: Vec<T> = (0..n).map(|j| <T as Element>::from_f64(j as f64)).collect();
            for _ in 0..total / (n * stride).max(1) {
                for &v in &values {
                    data.extend(std::iter::repeat_n(v, stride));
                }
            }
        }
        T::wrap(ArrayD::from_shape_vec(IxDyn(shape), data).expect("size matches shape"))
    })
}
