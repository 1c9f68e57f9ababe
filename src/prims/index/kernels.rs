//! Kernels of the indexing primitives: `dynamic_slice`, `dynamic_update_slice`, `gather`
//! and the scatters (one kernel, parameterised by the combiner) on arrays.

use super::{GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers, ScatterKind};
use crate::core::Aval;
use crate::ops::next_index;
use crate::prims::util::strides;
use crate::prims::ArrayOutputs;
use crate::tensor::{ArrayData, ArrayElement, Element, Wide};
use ndarray::{ArrayD, IxDyn};

/// Every element of an index array, widened to i64 (u32 stays non-negative).
fn index_values(a: &ArrayData) -> Vec<i64> {
    match a {
        ArrayData::I32(x) => slice_of(x).iter().map(|&v| v as i64).collect(),
        ArrayData::U32(x) => slice_of(x).iter().map(|&v| v as i64).collect(),
        _ => unreachable!("index dtype checked by abstract_eval"),
    }
}

pub(super) fn scalar_starts(xs: &[&ArrayData]) -> Vec<i64> {
    xs.iter().map(|x| index_values(x)[0]).collect()
}

/// Clamps `start` into `[0, size - window]` (0 if the window does not fit).
fn clamp_start(start: i64, size: usize, window: usize) -> usize {
    let hi = (size as i64 - window as i64).max(0);
    start.clamp(0, hi) as usize
}

/// Flat offsets (under `strides`) of every position of a window of `shape`, row-major.
fn window_offsets(shape: &[usize], strides: &[usize]) -> Vec<usize> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let mut idx = vec![0usize; shape.len()];
    loop {
        out.push(idx.iter().zip(strides).map(|(i, s)| i * s).sum());
        if !next_index(&mut idx, shape) {
            return out;
        }
    }
}

/// The window of a gather or scatter over an operand with strides `operand_strides`: the
/// operand offsets of the window's elements (row-major over the `kept` operand dims, sized
/// by `window`), and per dim of the gathered (or update) array of rank `rank`, whether it
/// is a window dim (`window_dims`) or a batch dim, with its stride in that window or batch
/// index (the batch dims being the index array's, without its last).
fn window_layout(
    kept: &[usize],
    window: &[usize],
    operand_strides: &[usize],
    indices_shape: &[usize],
    rank: usize,
    window_dims: &[usize],
) -> (Vec<usize>, Vec<(bool, usize)>) {
    let win_shape: Vec<usize> = kept.iter().map(|&d| window[d]).collect();
    let win_strides: Vec<usize> = kept.iter().map(|&d| operand_strides[d]).collect();
    let woffs = window_offsets(&win_shape, &win_strides);
    let bstr = strides(&indices_shape[..indices_shape.len() - 1]);
    let wstr = strides(&win_shape);
    let (mut bi, mut wi) = (0usize, 0usize);
    let contrib = (0..rank)
        .map(|i| {
            if window_dims.contains(&i) {
                wi += 1;
                (true, wstr[wi - 1])
            } else {
                bi += 1;
                (false, bstr[bi - 1])
            }
        })
        .collect();
    (woffs, contrib)
}

/// How many elements of each row of the output (gather) or updates (scatter) lie side by
/// side in the operand, so that a row moves as one run: the last dim's size when it is a
/// window dim and the window's last dim is the operand's minor one (an embedding lookup's
/// feature rows), else 1 (element by element).
fn contiguous_run(
    contrib: &[(bool, usize)],
    kept: &[usize],
    rank: usize,
    shape: &[usize],
) -> usize {
    match (contrib.last(), kept.last(), shape.last()) {
        (Some(&(true, _)), Some(&d), Some(&len)) if d + 1 == rank && len > 1 => len,
        _ => 1,
    }
}

fn slice_of<T>(a: &ArrayD<T>) -> &[T] {
    a.as_slice()
        .expect("ArrayData is always in standard layout")
}

/// `dynamic_slice` with clamped starts.
pub fn eval_dynamic_slice(x: &ArrayData, starts: &[i64], slice_sizes: &[usize]) -> ArrayData {
    let run = |ins: &[&ArrayData], _: &[Aval]| -> ArrayOutputs {
        smallvec::smallvec![dynamic_slice_base(ins[0], starts, slice_sizes)]
    };
    on_base_types(&[x], &[Aval::new(slice_sizes, x.dtype())], &run)
}

/// Runs a data-movement kernel written for the base dtypes on operands of any dtype
/// (`eval_on_base_types`), returning its single output.
fn on_base_types(
    inputs: &[&ArrayData],
    out: &[Aval],
    run: &dyn Fn(&[&ArrayData], &[Aval]) -> ArrayOutputs,
) -> ArrayData {
    crate::prims::util::eval_on_base_types(inputs, out, run)
        .unwrap_or_else(|| run(inputs, out))
        .remove(0)
}

fn dynamic_slice_base(x: &ArrayData, starts: &[i64], slice_sizes: &[usize]) -> ArrayData {
    crate::dispatch_base_array!(x, a, T => {
        let shape = a.shape();
        let st = strides(shape);
        let base: usize =
            (0..shape.len()).map(|d| clamp_start(starts[d], shape[d], slice_sizes[d]) * st[d]).sum();
        let src = slice_of(a);
        let data: Vec<T> = window_offsets(slice_sizes, &st).into_iter().map(|o| src[base + o]).collect();
        T::wrap(ArrayD::from_shape_vec(IxDyn(slice_sizes), data).expect("sizes match"))
    })
}

/// `dynamic_update_slice` with clamped starts.
pub fn eval_dynamic_update_slice(x: &ArrayData, update: &ArrayData, starts: &[i64]) -> ArrayData {
    let run = |ins: &[&ArrayData], _: &[Aval]| -> ArrayOutputs {
        smallvec::smallvec![dynamic_update_slice_base(ins[0], ins[1], starts)]
    };
    on_base_types(&[x, update], &[Aval::new(x.shape(), x.dtype())], &run)
}

fn dynamic_update_slice_base(x: &ArrayData, update: &ArrayData, starts: &[i64]) -> ArrayData {
    crate::dispatch_base_array!(x, a, T => {
        let u = T::view(update).expect("dtypes checked by abstract_eval");
        let shape = a.shape();
        let st = strides(shape);
        let base: usize =
            (0..shape.len()).map(|d| clamp_start(starts[d], shape[d], u.shape()[d]) * st[d]).sum();
        let mut out = a.clone();
        let dst = out.as_slice_mut().expect("standard layout");
        for (o, &v) in window_offsets(u.shape(), &st).into_iter().zip(slice_of(u)) {
            dst[base + o] = v;
        }
        T::wrap(out)
    })
}

/// Where each index vector lands: the flat operand offset of its window start, or `None` if the
/// window is out of bounds and must be filled (gather) or dropped (scatter).
///
/// `start_map[i]` is the operand dim started by index-vector component `i`;
/// `batching[j] = (operand_dim, indices_dim)` pairs operand dims with batch dims of the
/// indices; `window[d]` is the window's extent along operand dim `d`.
fn window_starts(
    operand_shape: &[usize],
    indices: &ArrayData,
    start_map: &[usize],
    batching: &[(usize, usize)],
    window: &[usize],
    clamp: bool,
) -> Vec<Option<usize>> {
    let idx_shape = indices.shape();
    let ivd = idx_shape.len() - 1;
    let batch_shape = &idx_shape[..ivd];
    let n: usize = batch_shape.iter().product();
    let k = start_map.len();
    let vals = index_values(indices);
    let st = strides(operand_shape);
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    let mut bidx = vec![0usize; batch_shape.len()];
    for b in 0..n {
        let mut flat = 0usize;
        let mut in_bounds = true;
        for (i, &d) in start_map.iter().enumerate() {
            let raw = vals[b * k + i];
            let hi = operand_shape[d] as i64 - window[d] as i64;
            let s = if clamp { raw.clamp(0, hi.max(0)) } else { raw };
            if s < 0 || s > hi {
                in_bounds = false;
                break;
            }
            flat += s as usize * st[d];
        }
        if in_bounds {
            for &(od, id) in batching {
                let s = bidx[id];
                if s + window[od] > operand_shape[od] {
                    in_bounds = false;
                    break;
                }
                flat += s * st[od];
            }
        }
        out.push(in_bounds.then_some(flat));
        next_index(&mut bidx, batch_shape);
    }
    out
}

/// The default `fill_value` of `lax.gather` in FILL_OR_DROP mode.
fn gather_fill<T: Element>() -> T {
    let d = T::DTYPE;
    if d.is_inexact() {
        T::from_f64(f64::NAN)
    } else if d.is_signed_int() {
        T::from_wide(Wide::Int(-(1i128 << (d.bits() - 1))))
    } else if d.is_unsigned() {
        T::from_wide(Wide::Int(-1)) // wraps to the type's maximum
    } else {
        T::from_f64(1.0)
    }
}

/// XLA gather (index vector = last dim of `indices`).
pub fn eval_gather(
    operand: &ArrayData,
    indices: &ArrayData,
    dn: &GatherDimensionNumbers,
    slice_sizes: &[usize],
    mode: GatherScatterMode,
    out_shape: &[usize],
) -> ArrayData {
    let oshape = operand.shape().to_vec();
    let rank = oshape.len();
    let batching: Vec<(usize, usize)> = dn
        .operand_batching_dims
        .iter()
        .copied()
        .zip(dn.start_indices_batching_dims.iter().copied())
        .collect();
    let starts = window_starts(
        &oshape,
        indices,
        &dn.start_index_map,
        &batching,
        slice_sizes,
        mode != GatherScatterMode::FillOrDrop,
    );
    // The window's kept dims (in operand order) are the output's offset dims (in output order).
    let st = strides(&oshape);
    let kept: Vec<usize> = (0..rank)
        .filter(|d| !dn.collapsed_slice_dims.contains(d) && !dn.operand_batching_dims.contains(d))
        .collect();
    let (woffs, contrib) = window_layout(
        &kept,
        slice_sizes,
        &st,
        indices.shape(),
        out_shape.len(),
        &dn.offset_dims,
    );
    let n: usize = out_shape.iter().product();
    let run = contiguous_run(&contrib, &kept, rank, out_shape);
    crate::dispatch_array!(operand, a, T => {
        let src = slice_of(a);
        let mut data: Vec<T> = Vec::with_capacity(n);
        let fill = gather_fill::<T>();
        for_each_window_row(out_shape, &starts, &contrib, &woffs, run, &mut |at| match at {
            // One element: a plain push (a memcpy call per element costs more than the read).
            Some(at) if run == 1 => data.push(src[at]),
            Some(at) => data.extend_from_slice(&src[at..at + run]),
            None => data.extend(std::iter::repeat_n(fill, run)),
        });
        T::wrap(ArrayD::from_shape_vec(IxDyn(out_shape), data).expect("sizes match"))
    })
}

/// Walks the rows of a gather's output or a scatter's updates (`shape`, row-major; a row is
/// `run` contiguous elements, or one element when `run` is 1), calling `visit` with the
/// operand offset of each row's window, or `None` when it is out of bounds (filled by a
/// gather, dropped by a scatter). Not generic, so one copy serves every dtype and combiner.
fn for_each_window_row(
    shape: &[usize],
    starts: &[Option<usize>],
    contrib: &[(bool, usize)],
    woffs: &[usize],
    run: usize,
    visit: &mut dyn FnMut(Option<usize>),
) {
    if shape.contains(&0) {
        return;
    }
    let rows = &shape[..shape.len() - usize::from(run > 1)];
    let mut idx = vec![0usize; rows.len()];
    loop {
        let (mut b, mut w) = (0usize, 0usize);
        for (&i, &(is_win, s)) in idx.iter().zip(contrib) {
            if is_win {
                w += i * s
            } else {
                b += i * s
            }
        }
        visit(starts[b].map(|base| base + woffs[w]));
        if !next_index(&mut idx, rows) {
            break;
        }
    }
}

/// Scatter of one element type with combiner `f(old, update)`, updates applied in row-major
/// order of the updates array (integers wrap, floats propagate NaN, as XLA's).
fn scatter_typed<T: crate::ops::Element>(
    a: &ArrayD<T>,
    u: &ArrayD<T>,
    starts: &[Option<usize>],
    contrib: &[(bool, usize)],
    woffs: &[usize],
    run: usize,
    f: impl Fn(T, T) -> T,
) -> ArrayD<T> {
    let mut out = a.clone();
    let dst = out.as_slice_mut().expect("standard layout");
    let src = slice_of(u);
    let mut row = 0;
    for_each_window_row(u.shape(), starts, contrib, woffs, run, &mut |at| {
        if let Some(at) = at {
            let updates = &src[row * run..(row + 1) * run];
            for (d, &v) in dst[at..at + run].iter_mut().zip(updates) {
                *d = f(*d, v);
            }
        }
        row += 1;
    });
    out
}

/// XLA scatter with an add combiner (index vector = last dim of `indices`).
pub fn eval_scatter_add(
    operand: &ArrayData,
    indices: &ArrayData,
    updates: &ArrayData,
    dn: &ScatterDimensionNumbers,
    mode: GatherScatterMode,
) -> ArrayData {
    eval_scatter(ScatterKind::Add, operand, indices, updates, dn, mode)
}

/// XLA scatter with the combiner of `kind` (index vector = last dim of `indices`).
pub fn eval_scatter(
    kind: ScatterKind,
    operand: &ArrayData,
    indices: &ArrayData,
    updates: &ArrayData,
    dn: &ScatterDimensionNumbers,
    mode: GatherScatterMode,
) -> ArrayData {
    if kind == ScatterKind::Sub {
        // a - b is a + (-b) exactly (IEEE, and wrapping for integers): no kernel of its own.
        let negated = crate::prims::unary::eval_unary(crate::ops::UnaryOp::Neg, updates);
        return eval_scatter(ScatterKind::Add, operand, indices, &negated, dn, mode);
    }
    let oshape = operand.shape().to_vec();
    let ushape = updates.shape().to_vec();
    let rank = oshape.len();
    // Window extent per operand dim: 1 for inserted/batching dims, else the update's size.
    let kept: Vec<usize> = (0..rank)
        .filter(|d| !dn.inserted_window_dims.contains(d) && !dn.operand_batching_dims.contains(d))
        .collect();
    let mut window = vec![1usize; rank];
    for (&d, &ud) in kept.iter().zip(&dn.update_window_dims) {
        window[d] = ushape[ud];
    }
    let batching: Vec<(usize, usize)> = dn
        .operand_batching_dims
        .iter()
        .copied()
        .zip(dn.scatter_indices_batching_dims.iter().copied())
        .collect();
    let starts = window_starts(
        &oshape,
        indices,
        &dn.scatter_dims_to_operand_dims,
        &batching,
        &window,
        mode == GatherScatterMode::Clip,
    );
    let st = strides(&oshape);
    let (woffs, contrib) = window_layout(
        &kept,
        &window,
        &st,
        indices.shape(),
        ushape.len(),
        &dn.update_window_dims,
    );
    let run = contiguous_run(&contrib, &kept, rank, &ushape);
    crate::dispatch_array!(operand, a, T => {
        let u = T::view(updates).expect("dtypes checked by abstract_eval");
        let out = match kind {
            ScatterKind::Set => scatter_typed(a, u, &starts, &contrib, &woffs, run, |_, v| v),
            ScatterKind::Add => scatter_typed(a, u, &starts, &contrib, &woffs, run, <T as crate::ops::Element>::xla_add),
            ScatterKind::Mul => scatter_typed(a, u, &starts, &contrib, &woffs, run, <T as crate::ops::Element>::xla_mul),
            ScatterKind::Sub => unreachable!("scatter-sub runs as scatter-add of the negated updates"),
            ScatterKind::Min => scatter_typed(a, u, &starts, &contrib, &woffs, run, <T as crate::ops::Element>::xla_min),
            ScatterKind::Max => scatter_typed(a, u, &starts, &contrib, &woffs, run, <T as crate::ops::Element>::xla_max),
        };
        T::wrap(out)
    })
}
