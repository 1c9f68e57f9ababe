//! Shape rules of the indexing primitives (`_gather_shape_rule`, `_scatter_shape_rule`, ...
//! of JAX's `lax/slicing.py`).

use super::{GatherDimensionNumbers, ScatterDimensionNumbers, ScatterKind};
use crate::core::{Aval, Avals, Shape};
use crate::prims::util::py_tuple;
use crate::tensor::DType;
use smallvec::smallvec;

fn is_index_dtype(d: DType) -> bool {
    matches!(d, DType::I32 | DType::U32)
}

/// Checks that the start-index operands are scalars of one index dtype.
fn check_scalar_starts(op: &str, starts: &[Aval]) -> Result<(), String> {
    if starts.iter().any(|s| s.ndim() != 0) {
        let shapes: Vec<String> = starts.iter().map(|s| s.to_string()).collect();
        return Err(format!(
            "start_indices arguments to {op} must be scalars, got indices [{}]",
            shapes.join(", ")
        ));
    }
    if let Some(first) = starts.first()
        && starts
            .iter()
            .any(|s| s.dtype != first.dtype || !is_index_dtype(s.dtype))
    {
        let names: Vec<&str> = starts.iter().map(|s| s.dtype.numpy_name()).collect();
        return Err(format!(
            "index arguments to {op} must be integers (int32 or uint32) of the same type, got: {}",
            names.join(", ")
        ));
    }
    Ok(())
}

pub(super) fn dynamic_slice_rule(inputs: &[Aval], slice_sizes: &[usize]) -> Result<Avals, String> {
    let Some(operand) = inputs.first() else {
        return Err(
            "expected an operand and one start index per operand dim, got no operands".into(),
        );
    };
    let starts = &inputs[1..];
    if starts.len() != operand.ndim() {
        return Err(format!(
            "expected one start index per operand dim ({}), got {}",
            operand.ndim(),
            starts.len()
        ));
    }
    if slice_sizes.len() != operand.ndim() {
        return Err(format!(
            "slice_sizes must have one entry per operand dim, got slice_sizes {} for operand shape {}",
            py_tuple(slice_sizes),
            py_tuple(&operand.shape)
        ));
    }
    if slice_sizes.iter().zip(&operand.shape).any(|(s, d)| s > d) {
        return Err(format!(
            "slice slice_sizes must be less than or equal to operand shape, got slice_sizes {} for \
             operand shape {}",
            py_tuple(slice_sizes),
            py_tuple(&operand.shape)
        ));
    }
    check_scalar_starts("dynamic_slice", starts)?;
    Ok(smallvec![Aval::new(slice_sizes, operand.dtype)])
}

pub(super) fn dynamic_update_slice_rule(inputs: &[Aval]) -> Result<Avals, String> {
    if inputs.len() < 2 {
        return Err(format!(
            "expected an operand, an update and one start index per operand dim, got {} operand(s)",
            inputs.len()
        ));
    }
    let (operand, update, starts) = (&inputs[0], &inputs[1], &inputs[2..]);
    if operand.dtype != update.dtype {
        return Err(format!(
            "update dtype {} must equal operand dtype {}",
            update.dtype.numpy_name(),
            operand.dtype.numpy_name()
        ));
    }
    if operand.ndim() != update.ndim() {
        return Err(format!(
            "update must have the same rank as operand, got update shape {} for operand shape {}",
            py_tuple(&update.shape),
            py_tuple(&operand.shape)
        ));
    }
    if operand.ndim() != starts.len() {
        return Err(format!(
            "start_indices must have length equal to the rank of operand, got {} indices for \
             operand shape {}",
            starts.len(),
            py_tuple(&operand.shape)
        ));
    }
    if update.shape.iter().zip(&operand.shape).any(|(u, o)| u > o) {
        return Err(format!(
            "update shape must be smaller than operand shape, got update shape {} for operand shape {}",
            py_tuple(&update.shape),
            py_tuple(&operand.shape)
        ));
    }
    check_scalar_starts("dynamic_update_slice", starts)?;
    Ok(smallvec![operand.clone()])
}

fn is_sorted(dims: &[usize], op: &str, name: &str) -> Result<(), String> {
    if dims.windows(2).any(|w| w[1] < w[0]) {
        return Err(format!(
            "{name} in {op} op must be sorted; got {}",
            py_tuple(dims)
        ));
    }
    Ok(())
}

fn dims_in_range(dims: &[usize], rank: usize, op: &str, name: &str) -> Result<(), String> {
    if let Some(&d) = dims.iter().find(|&&d| d >= rank) {
        return Err(format!(
            "Invalid {name} set in {op} op; valid range is [0, {rank}); got: {d}."
        ));
    }
    Ok(())
}

fn no_duplicate_dims(dims: &[usize], op: &str, name: &str) -> Result<(), String> {
    for (i, d) in dims.iter().enumerate() {
        if dims[..i].contains(d) {
            return Err(format!(
                "{name} in {op} op must not repeat; got: {}.",
                py_tuple(dims)
            ));
        }
    }
    Ok(())
}

fn disjoint_dims(
    a: &[usize],
    b: &[usize],
    op: &str,
    name_a: &str,
    name_b: &str,
) -> Result<(), String> {
    if a.iter().any(|d| b.contains(d)) {
        return Err(format!(
            "{name_a} and {name_b} in {op} op must be disjoint; got: {} and {}.",
            py_tuple(a),
            py_tuple(b)
        ));
    }
    Ok(())
}

/// The batching-dims checks gather and scatter share (JAX's messages, with `word` and the
/// name of the indices' batching field filled in).
#[allow(clippy::too_many_arguments)]
fn check_batching_dims(
    word: &str,
    field: &str,
    operand: &Aval,
    indices: &Aval,
    obd: &[usize],
    sibd: &[usize],
    ivd: usize,
    op: &str,
) -> Result<(), String> {
    no_duplicate_dims(sibd, op, field)?;
    dims_in_range(sibd, indices.ndim(), op, field)?;
    if sibd.contains(&ivd) {
        return Err(format!(
            "{word} op cannot have the index vector dimension as a batching dimension; got {}.",
            py_tuple(sibd)
        ));
    }
    if obd.len() != sibd.len() {
        return Err(format!(
            "{word} op requires equal numbers of operand_batching_dims and {field}, got {} and {}.",
            py_tuple(obd),
            py_tuple(sibd)
        ));
    }
    let operand_batch: Vec<usize> = obd.iter().map(|&d| operand.shape[d]).collect();
    let indices_batch: Vec<usize> = sibd.iter().map(|&d| indices.shape[d]).collect();
    if operand_batch != indices_batch {
        return Err(format!(
            "{word} op requires operand batching dimensions and indices batching dimensions to have \
             the same shape, got {} and {}.",
            py_tuple(&operand_batch),
            py_tuple(&indices_batch)
        ));
    }
    Ok(())
}

fn check_indices_dtype(indices: &Aval) -> Result<(), String> {
    if !is_index_dtype(indices.dtype) {
        return Err(format!(
            "indices must have an integer type (int32 or uint32), got {}",
            indices.dtype.numpy_name()
        ));
    }
    Ok(())
}

/// The index-vector dim of `indices` (the last), after checking there is one; the error tells
/// how to `op_at` scalar indices ("gather", "scatter at").
fn index_vector_dim(indices: &Aval, op_at: &str) -> Result<usize, String> {
    if indices.ndim() == 0 {
        return Err(format!(
            "indices must have rank >= 1: the last dim is the index vector (add a trailing \
             dim of size 1 to {op_at} scalar indices)"
        ));
    }
    Ok(indices.ndim() - 1)
}

pub(super) fn gather_rule(
    inputs: &[Aval],
    dn: &GatherDimensionNumbers,
    slice_sizes: &[usize],
) -> Result<Avals, String> {
    let (operand, indices) = crate::prims::util::expect_two(inputs)?;
    check_indices_dtype(indices)?;
    let op = "gather";
    let ivd = index_vector_dim(indices, "gather")?;
    let (offset_dims, collapsed, sim) = (
        &dn.offset_dims,
        &dn.collapsed_slice_dims,
        &dn.start_index_map,
    );
    let (obd, sibd) = (&dn.operand_batching_dims, &dn.start_indices_batching_dims);
    let rank = operand.ndim();

    is_sorted(offset_dims, op, "offset_dims")?;
    no_duplicate_dims(offset_dims, op, "offset_dims")?;
    let out_rank = offset_dims.len() + ivd;
    for (i, &d) in offset_dims.iter().enumerate() {
        if d >= out_rank {
            return Err(format!(
                "Offset dimension {i} in gather op is out of bounds; got {d}, but should have been in [0, {out_rank})"
            ));
        }
    }
    if sim.len() != indices.shape[ivd] {
        return Err(format!(
            "Gather op has {} elements in start_index_map and the bound of dimension index_vector_dim={ivd} \
             of indices is {}. These two numbers must be equal.",
            sim.len(),
            indices.shape[ivd]
        ));
    }
    for (i, &d) in sim.iter().enumerate() {
        if d >= rank {
            return Err(format!(
                "Invalid start_index_map; domain is [0, {rank}), got: {i}->{d}."
            ));
        }
    }
    no_duplicate_dims(sim, op, "start_index_map")?;
    is_sorted(collapsed, op, "collapsed_slice_dims")?;
    dims_in_range(collapsed, rank, op, "collapsed_slice_dims")?;
    no_duplicate_dims(collapsed, op, "collapsed_slice_dims")?;
    no_duplicate_dims(obd, op, "operand_batching_dims")?;
    is_sorted(obd, op, "operand_batching_dims")?;
    dims_in_range(obd, rank, op, "operand_batching_dims")?;
    disjoint_dims(
        collapsed,
        obd,
        op,
        "collapsed_slice_dims",
        "operand_batching_dims",
    )?;
    disjoint_dims(sim, obd, op, "start_index_map", "operand_batching_dims")?;
    check_batching_dims(
        "Gather",
        "start_indices_batching_dims",
        operand,
        indices,
        obd,
        sibd,
        ivd,
        op,
    )?;
    if slice_sizes.len() != rank {
        return Err(format!(
            "Gather op must have one slice size for every input dimension; got: \
             len(slice_sizes)={}, input_shape.rank={rank}",
            slice_sizes.len()
        ));
    }
    if slice_sizes.len() != offset_dims.len() + collapsed.len() + obd.len() {
        return Err(format!(
            "All components of the offset index in a gather op must either be a offset dimension or \
             explicitly collapsed/batching; got len(slice_sizes)={}, output_slice_sizes={}, \
             collapsed_slice_dims={}, operand_batching_dims={}.",
            slice_sizes.len(),
            py_tuple(offset_dims),
            py_tuple(collapsed),
            py_tuple(obd)
        ));
    }
    // JAX skips this check when the indices array is empty; ferrax skips it only when there
    // are no index vectors at all (so no window is ever read).
    let num_batches: usize = indices.shape[..ivd].iter().product();
    if num_batches > 0 {
        for (i, (&s, &d)) in slice_sizes.iter().zip(&operand.shape).enumerate() {
            if s > d {
                return Err(format!(
                    "Slice size at index {i} in gather op is out of range, must be within [0, {d} + 1), got {s}."
                ));
            }
        }
    }
    for (i, &d) in collapsed.iter().enumerate() {
        if slice_sizes[d] != 1 {
            return Err(format!(
                "Gather op can only collapse slice dims with bound 1, but bound is {} for index {d} at position {i}.",
                slice_sizes[d]
            ));
        }
    }
    for (i, &d) in obd.iter().enumerate() {
        if slice_sizes[d] > 1 {
            return Err(format!(
                "Gather op can only have operand batching dims with bound 0/1, but bound is {} for index \
                 {d} at position {i}.",
                slice_sizes[d]
            ));
        }
    }
    // Output shape: offset dims take the kept slice sizes in order, the rest the batch dims of
    // the indices in order.
    let mut kept = (0..rank)
        .filter(|d| !collapsed.contains(d) && !obd.contains(d))
        .map(|d| slice_sizes[d]);
    let mut batch = indices.shape[..ivd].iter().copied();
    let shape: Shape = (0..out_rank)
        .map(|i| {
            if offset_dims.contains(&i) {
                kept.next()
            } else {
                batch.next()
            }
            .expect("counts checked")
        })
        .collect();
    Ok(smallvec![Aval {
        shape,
        dtype: operand.dtype
    }])
}

pub(super) fn scatter_rule(
    inputs: &[Aval],
    dn: &ScatterDimensionNumbers,
    kind: ScatterKind,
) -> Result<Avals, String> {
    crate::prims::util::expect_arity(inputs, 3)?;
    let (operand, indices, updates) = (&inputs[0], &inputs[1], &inputs[2]);
    check_indices_dtype(indices)?;
    if operand.dtype != updates.dtype {
        return Err(format!(
            "operand and updates must have the same dtype, got {} and {}",
            operand.dtype.numpy_name(),
            updates.dtype.numpy_name()
        ));
    }
    if operand.dtype == DType::Bool
        && matches!(kind, ScatterKind::Add | ScatterKind::Sub | ScatterKind::Mul)
    {
        return Err(format!(
            "operand dtype bool is not supported ({} needs a numeric dtype)",
            kind.name()
        ));
    }
    let op = "scatter";
    let ivd = index_vector_dim(indices, "scatter at")?;
    let (uwd, iwd, sdod) = (
        &dn.update_window_dims,
        &dn.inserted_window_dims,
        &dn.scatter_dims_to_operand_dims,
    );
    let (obd, sibd) = (&dn.operand_batching_dims, &dn.scatter_indices_batching_dims);
    let rank = operand.ndim();

    let expected_updates_rank = ivd + uwd.len();
    if updates.ndim() != expected_updates_rank {
        return Err(format!(
            "Updates tensor must be of rank {expected_updates_rank}; got {}.",
            updates.ndim()
        ));
    }
    is_sorted(uwd, op, "update_window_dims")?;
    no_duplicate_dims(uwd, op, "update_window_dims")?;
    dims_in_range(uwd, updates.ndim(), op, "update_window_dims")?;
    is_sorted(iwd, op, "inserted_window_dims")?;
    no_duplicate_dims(iwd, op, "inserted_window_dims")?;
    dims_in_range(iwd, rank, op, "inserted_window_dims")?;
    is_sorted(obd, op, "operand_batching_dims")?;
    no_duplicate_dims(obd, op, "operand_batching_dims")?;
    dims_in_range(obd, rank, op, "operand_batching_dims")?;
    disjoint_dims(
        iwd,
        obd,
        op,
        "inserted_window_dims",
        "operand_batching_dims",
    )?;
    disjoint_dims(
        sdod,
        obd,
        op,
        "scatter_dims_to_operand_dims",
        "operand_batching_dims",
    )?;
    check_batching_dims(
        "Scatter",
        "scatter_indices_batching_dims",
        operand,
        indices,
        obd,
        sibd,
        ivd,
        op,
    )?;
    let operand_batch: Vec<usize> = obd.iter().map(|&d| operand.shape[d]).collect();
    let scatter_dims = update_scatter_dims(uwd, updates.ndim());
    let updates_batch: Vec<usize> = sibd
        .iter()
        .map(|&d| updates.shape[scatter_dims[d]])
        .collect();
    if operand_batch != updates_batch {
        return Err(format!(
            "Scatter op requires operand batching dimensions and updates batching dimensions to have \
             the same shape, got {} and {}.",
            py_tuple(&operand_batch),
            py_tuple(&updates_batch)
        ));
    }
    let window_size = uwd.len() + iwd.len() + obd.len();
    if rank != window_size {
        return Err(format!(
            "Scatter op has window of size {window_size}; doesn't match operand of rank {rank}."
        ));
    }
    if sdod.len() != indices.shape[ivd] {
        return Err(format!(
            "Scatter op has {} elements in scatter_dims_to_operand_dims and the bound of dimension \
             index_vector_dim={ivd} of indices is {}. These two numbers must be equal",
            sdod.len(),
            indices.shape[ivd]
        ));
    }
    for (i, &d) in sdod.iter().enumerate() {
        if d >= rank {
            return Err(format!("Invalid scatter_dims_to_operand_dims mapping; domain is [0, {rank}), got: {i}->{d}."));
        }
    }
    no_duplicate_dims(sdod, op, "scatter_dims_to_operand_dims")?;
    let max_window: Vec<usize> = (0..rank)
        .filter(|d| !iwd.contains(d) && !obd.contains(d))
        .map(|d| operand.shape[d])
        .collect();
    for (i, &ud) in uwd.iter().enumerate() {
        if max_window[i] < updates.shape[ud] {
            return Err(format!(
                "Bounds of the window dimensions of updates must not exceed the bounds of the \
                 corresponding dimensions of operand. For dimension {ud}, updates bound is {}, operand \
                 bound is {}.",
                updates.shape[ud], max_window[i]
            ));
        }
    }
    for (j, &ud) in scatter_dims.iter().enumerate() {
        if updates.shape[ud] != indices.shape[j] {
            return Err(format!(
                "Bounds of the scatter dimensions of updates must be the same as the bounds of the \
                 corresponding dimensions of scatter indices. For scatter dimension {ud}, updates bound \
                 is {}, indices bound is {}.",
                updates.shape[ud], indices.shape[j]
            ));
        }
    }
    Ok(smallvec![operand.clone()])
}

/// The dims of `updates` that are not window dims, in order (they match the batch dims of the
/// indices, in order).
fn update_scatter_dims(update_window_dims: &[usize], updates_rank: usize) -> Vec<usize> {
    (0..updates_rank)
        .filter(|d| !update_window_dims.contains(d))
        .collect()
}
