//! Batching rules of the indexing primitives (JAX's `_*_batching_rule`s of `lax/slicing.py`).

use super::{GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers};
use super::{ScatterHints, ScatterKind};
use crate::core::Shape;
use crate::prims::lax;
use crate::prims::util::{batch_at, move_batch_dim};
use crate::tensor::{DType, Tensor};
use smallvec::smallvec;

fn plus1(dims: &[usize]) -> Shape {
    dims.iter().map(|d| d + 1).collect()
}

fn zero_then_plus1(dims: &[usize]) -> Shape {
    std::iter::once(0)
        .chain(dims.iter().map(|d| d + 1))
        .collect()
}

/// `_batch_dynamic_slice_indices`: the scalar starts of a dynamic slice as one index array,
/// `[B, n]` with batch dim 0 if any start is batched (unbatched starts broadcast along it),
/// else `[n]` unbatched. No starts (a rank-0 operand) give an empty i32 `[0]`.
fn batch_dynamic_slice_indices(
    starts: &[Tensor],
    dims: &[Option<usize>],
) -> (Tensor, Option<usize>) {
    if starts.is_empty() {
        return (Tensor::from_vec(Vec::<i32>::new(), &[0]), None);
    }
    // A batched scalar start is a `[B]` array (its batch dim can only be 0).
    let size = starts
        .iter()
        .zip(dims)
        .find_map(|(s, d)| d.map(|d| s.shape()[d]));
    match size {
        None => {
            let cols: Vec<Tensor> = starts
                .iter()
                .map(|s| lax::broadcast_in_dim(s, &[1], &[]))
                .collect();
            (concat(cols, 0), None)
        }
        Some(b) => {
            let cols: Vec<Tensor> = starts
                .iter()
                .zip(dims)
                .map(|(s, d)| {
                    let keep: &[usize] = if d.is_some() { &[0] } else { &[] };
                    lax::broadcast_in_dim(s, &[b, 1], keep)
                })
                .collect();
            (concat(cols, 1), Some(0))
        }
    }
}

/// `lax.concatenate`, which returns a lone operand as is (no equation).
fn concat(mut xs: Vec<Tensor>, dimension: usize) -> Tensor {
    if xs.len() == 1 {
        xs.pop().expect("one operand")
    } else {
        lax::concatenate(&xs, dimension)
    }
}

/// `_dynamic_slice_batching_rule`: a dynamic slice is a CLIP gather of a full-rank window
/// at the stacked starts (so batched starts are one gather, not a loop).
pub(super) fn batch_dynamic_slice(
    operand: &Tensor,
    operand_dim: Option<usize>,
    starts: &[Tensor],
    start_dims: &[Option<usize>],
    slice_sizes: &[usize],
) -> (Tensor, Option<usize>) {
    let rank = slice_sizes.len();
    let all: Shape = (0..rank).collect();
    let dn = GatherDimensionNumbers {
        offset_dims: all.clone(),
        collapsed_slice_dims: Shape::new(),
        start_index_map: all,
        operand_batching_dims: Shape::new(),
        start_indices_batching_dims: Shape::new(),
    };
    let (index, index_dim) = batch_dynamic_slice_indices(starts, start_dims);
    batch_gather(
        operand,
        operand_dim,
        &index,
        index_dim,
        &dn,
        slice_sizes,
        GatherScatterMode::Clip,
    )
}

/// `_gather_batching_rule`.
pub(super) fn batch_gather(
    operand: &Tensor,
    operand_dim: Option<usize>,
    indices: &Tensor,
    indices_dim: Option<usize>,
    d: &GatherDimensionNumbers,
    slice_sizes: &[usize],
    mode: GatherScatterMode,
) -> (Tensor, Option<usize>) {
    match (operand_dim, indices_dim) {
        // The batch is one more window dim (the whole axis), first in the output.
        (Some(od), None) => {
            let operand = move_batch_dim(operand, od, 0);
            let mut sizes = vec![operand.shape()[0]];
            sizes.extend_from_slice(slice_sizes);
            let dn = GatherDimensionNumbers {
                offset_dims: zero_then_plus1(&d.offset_dims),
                collapsed_slice_dims: plus1(&d.collapsed_slice_dims),
                start_index_map: plus1(&d.start_index_map),
                operand_batching_dims: plus1(&d.operand_batching_dims),
                start_indices_batching_dims: d.start_indices_batching_dims.clone(),
            };
            (lax::gather(&operand, indices, dn, &sizes, mode), Some(0))
        }
        // The batch is one more batch dim of the indices (kept in front of the index vector),
        // first in the output since every offset dim moves up one.
        (None, Some(id)) => {
            let indices = move_batch_dim(indices, id, 0);
            let dn = GatherDimensionNumbers {
                offset_dims: plus1(&d.offset_dims),
                collapsed_slice_dims: d.collapsed_slice_dims.clone(),
                start_index_map: d.start_index_map.clone(),
                operand_batching_dims: d.operand_batching_dims.clone(),
                start_indices_batching_dims: plus1(&d.start_indices_batching_dims),
            };
            (
                lax::gather(operand, &indices, dn, slice_sizes, mode),
                Some(0),
            )
        }
        // Both: the batch dims pair up as operand/indices batching dims.
        (Some(od), Some(id)) => {
            let operand = move_batch_dim(operand, od, 0);
            let indices = move_batch_dim(indices, id, 0);
            let mut sizes = vec![operand.shape()[0].min(1)];
            sizes.extend_from_slice(slice_sizes);
            let dn = GatherDimensionNumbers {
                offset_dims: plus1(&d.offset_dims),
                collapsed_slice_dims: plus1(&d.collapsed_slice_dims),
                start_index_map: plus1(&d.start_index_map),
                operand_batching_dims: zero_then_plus1(&d.operand_batching_dims),
                start_indices_batching_dims: zero_then_plus1(&d.start_indices_batching_dims),
            };
            (lax::gather(&operand, &indices, dn, &sizes, mode), Some(0))
        }
        (None, None) => unreachable!("vmap calls batching rules with a batched operand"),
    }
}

/// `_scatter_batching_rule` (every scatter kind): operand and updates get the batch dim in front
/// (broadcast if unbatched); unbatched indices make it a window dim of the updates, batched
/// ones pair it as an operand/indices batching dim.
pub(super) fn batch_scatter(
    kind: ScatterKind,
    args: &[Tensor],
    dims: &[Option<usize>],
    d: &ScatterDimensionNumbers,
    mode: GatherScatterMode,
    hints: ScatterHints,
    size: usize,
) -> (Tensor, Option<usize>) {
    let operand = batch_at(&args[0], dims[0], size, 0);
    let updates = batch_at(&args[2], dims[2], size, 0);
    let (indices, dn) = match dims[1] {
        None => (
            args[1].clone(),
            ScatterDimensionNumbers {
                update_window_dims: zero_then_plus1(&d.update_window_dims),
                inserted_window_dims: plus1(&d.inserted_window_dims),
                scatter_dims_to_operand_dims: plus1(&d.scatter_dims_to_operand_dims),
                operand_batching_dims: plus1(&d.operand_batching_dims),
                scatter_indices_batching_dims: d.scatter_indices_batching_dims.clone(),
            },
        ),
        Some(id) => (
            move_batch_dim(&args[1], id, 0),
            ScatterDimensionNumbers {
                update_window_dims: plus1(&d.update_window_dims),
                inserted_window_dims: plus1(&d.inserted_window_dims),
                scatter_dims_to_operand_dims: plus1(&d.scatter_dims_to_operand_dims),
                operand_batching_dims: zero_then_plus1(&d.operand_batching_dims),
                scatter_indices_batching_dims: zero_then_plus1(&d.scatter_indices_batching_dims),
            },
        ),
    };
    let out = super::scatter_general(kind, &operand, &indices, &updates, dn, mode, hints);
    (out, Some(0))
}

/// `_dynamic_update_slice_batching_rule`. With unbatched starts the batch is one more
/// dimension of a single dynamic_update_slice (start 0, where the operand's batch dim
/// already is). With batched starts it is JAX's CLIP `scatter` (sorted, unique: the windows
/// of different batch members never overlap) with operand/indices batching dims.
pub(super) fn batch_dynamic_update_slice(
    args: &[Tensor],
    dims: &[Option<usize>],
    size: usize,
) -> (Tensor, Option<usize>) {
    let (starts, start_dims) = (&args[2..], &dims[2..]);
    if start_dims.iter().all(Option::is_none) {
        let to = dims[0].unwrap_or(0);
        let operand = batch_at(&args[0], dims[0], size, to);
        let update = batch_at(&args[1], dims[1], size, to);
        let dtype = starts.first().map_or(DType::I32, Tensor::dtype);
        let mut all = starts.to_vec();
        all.insert(to, Tensor::zeros(&[], dtype));
        return (lax::dynamic_update_slice(&operand, &update, &all), Some(to));
    }
    let (index, _) = batch_dynamic_slice_indices(starts, start_dims);
    let operand = batch_at(&args[0], dims[0], size, 0);
    let update = batch_at(&args[1], dims[1], size, 0);
    let window: Shape = (1..update.ndim()).collect();
    let dn = ScatterDimensionNumbers {
        update_window_dims: window.clone(),
        inserted_window_dims: Shape::new(),
        scatter_dims_to_operand_dims: window,
        operand_batching_dims: smallvec![0],
        scatter_indices_batching_dims: smallvec![0],
    };
    let hints = ScatterHints {
        indices_are_sorted: true,
        unique_indices: true,
    };
    let out = super::scatter_general(
        ScatterKind::Set,
        &operand,
        &index,
        &update,
        dn,
        GatherScatterMode::Clip,
        hints,
    );
    (out, Some(0))
}
