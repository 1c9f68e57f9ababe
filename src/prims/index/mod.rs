//! Indexing primitives: `dynamic_slice dynamic_update_slice gather scatter-add`.
//!
//! Semantics are XLA's (as JAX lowers them), with JAX's convention that the index vector of
//! `gather`/`scatter-add` is the last dimension of the indices array:
//!
//! * `dynamic_slice`/`dynamic_update_slice` clamp each start into `[0, size - slice_size]`.
//! * `gather` reads, for every batch position of the indices, a window of `slice_sizes` whose
//!   start comes from the index vector (dims in `start_index_map`) and from the batch position
//!   itself (dims in `operand_batching_dims`). `Clip` and `PromiseInBounds` clamp the start so
//!   the window fits; `FillOrDrop` returns the fill value for the whole window if any part is
//!   out of bounds (NaN for floats, the minimum for signed ints, the maximum for unsigned ints,
//!   `true` for bool, as `lax.gather`'s default `fill_value`).
//! * `scatter-add` is the mirror image with an add combiner: duplicate indices accumulate;
//!   `Clip` clamps window starts, `FillOrDrop` and `PromiseInBounds` drop any update window
//!   that is not entirely in bounds (what XLA does).
//!
//! Shape rules follow `_gather_shape_rule` and `_scatter_shape_rule` of JAX's
//! `lax/slicing.py`, with the same checks in the same order and similar messages.

use super::util::{batch_at, instantiate, jvp_out, move_batch_dim, py_tuple, strides, text, zeros};
use super::{ArrayOutputs, BatchAxis, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind1, Aval, Avals, Outputs, Shape};
use crate::lax;
use crate::tensor::{ArrayData, ArrayElement, DType, Element, Tensor};
use ndarray::{ArrayD, IxDyn};
use smallvec::smallvec;

/// How out-of-bounds indices are handled (lax.GatherScatterMode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GatherScatterMode {
    /// Indices are clamped so the whole slice (or update window) is in bounds.
    Clip,
    /// Out-of-bounds gathers return the fill value; out-of-bounds scatter updates are dropped.
    FillOrDrop,
    /// The caller promises indices are in bounds. Out of bounds, ferrax does what XLA does:
    /// gathers clamp (like `Clip`), scatters drop the window (like `FillOrDrop`).
    PromiseInBounds,
}

impl GatherScatterMode {
    /// JAX's repr: `GatherScatterMode.CLIP`, ...
    fn repr(self) -> &'static str {
        match self {
            GatherScatterMode::Clip => "GatherScatterMode.CLIP",
            GatherScatterMode::FillOrDrop => "GatherScatterMode.FILL_OR_DROP",
            GatherScatterMode::PromiseInBounds => "GatherScatterMode.PROMISE_IN_BOUNDS",
        }
    }
}

/// XLA's gather dimension numbers (see `lax.GatherDimensionNumbers`). The index vector is
/// always the last dim of `start_indices`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct GatherDimensionNumbers {
    /// Output dims that index into the gathered window (ascending).
    pub offset_dims: Shape,
    /// Operand dims of slice size 1 that do not appear in the output (ascending).
    pub collapsed_slice_dims: Shape,
    /// For each component of the index vector, the operand dim it starts.
    pub start_index_map: Shape,
    /// Operand dims (slice size 0/1) indexed by the matching batch dim of `start_indices`
    /// (ascending).
    pub operand_batching_dims: Shape,
    /// Dims of `start_indices` paired with `operand_batching_dims`, in the same order.
    pub start_indices_batching_dims: Shape,
}

/// XLA's scatter dimension numbers (see `lax.ScatterDimensionNumbers`). The index vector is
/// always the last dim of `scatter_indices`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ScatterDimensionNumbers {
    /// Dims of `updates` that are window dims (ascending).
    pub update_window_dims: Shape,
    /// Operand dims of window size 1 that are absent from `updates` (ascending).
    pub inserted_window_dims: Shape,
    /// For each component of the index vector, the operand dim it starts.
    pub scatter_dims_to_operand_dims: Shape,
    /// Operand dims indexed by the matching batch dim of `scatter_indices` (ascending).
    pub operand_batching_dims: Shape,
    /// Dims of `scatter_indices` paired with `operand_batching_dims`, in the same order.
    pub scatter_indices_batching_dims: Shape,
}

/// An indexing primitive.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IndexOp {
    /// `dynamic_slice(operand, *start_indices)`; one i32/u32 scalar start per operand dim,
    /// clamped so the slice fits.
    DynamicSlice {
        /// Size of the slice along each operand dim (the output shape).
        slice_sizes: Shape,
    },
    /// `dynamic_update_slice(operand, update, *start_indices)`; starts clamped.
    DynamicUpdateSlice,
    /// `gather(operand, start_indices)` (the last dim of `start_indices` is the index vector).
    Gather {
        /// How operand, indices and output dims correspond.
        dimension_numbers: GatherDimensionNumbers,
        /// Window size along each operand dim.
        slice_sizes: Shape,
        /// Out-of-bounds handling.
        mode: GatherScatterMode,
    },
    /// `scatter-add(operand, scatter_indices, updates)`.
    ScatterAdd {
        /// How operand, indices and updates dims correspond.
        dimension_numbers: ScatterDimensionNumbers,
        /// Out-of-bounds handling.
        mode: GatherScatterMode,
    },
}

impl PrimRules for IndexOp {
    fn name(&self) -> &'static str {
        match self {
            IndexOp::DynamicSlice { .. } => "dynamic_slice",
            IndexOp::DynamicUpdateSlice => "dynamic_update_slice",
            IndexOp::Gather { .. } => "gather",
            // JAX's primitive is named `scatter-add` (lax.scatter_add binds scatter_add_p).
            IndexOp::ScatterAdd { .. } => "scatter-add",
        }
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        match self {
            IndexOp::DynamicSlice { slice_sizes } => vec![("slice_sizes", text(py_tuple(slice_sizes)))],
            IndexOp::DynamicUpdateSlice => Vec::new(),
            IndexOp::Gather { dimension_numbers: d, slice_sizes, mode } => vec![
                (
                    "dimension_numbers",
                    text(format!(
                        "GatherDimensionNumbers(offset_dims={}, collapsed_slice_dims={}, start_index_map={}, \
                         operand_batching_dims={}, start_indices_batching_dims={})",
                        py_tuple(&d.offset_dims),
                        py_tuple(&d.collapsed_slice_dims),
                        py_tuple(&d.start_index_map),
                        py_tuple(&d.operand_batching_dims),
                        py_tuple(&d.start_indices_batching_dims),
                    )),
                ),
                // JAX stores the dtype's default fill value here in FILL_OR_DROP mode; the
                // params do not know the operand dtype, so ferrax prints `None` (the default).
                ("fill_value", text("None")),
                ("indices_are_sorted", text("False")),
                ("mode", text(mode.repr())),
                ("slice_sizes", text(py_tuple(slice_sizes))),
                ("unique_indices", text("False")),
            ],
            IndexOp::ScatterAdd { dimension_numbers: d, mode } => vec![
                (
                    "dimension_numbers",
                    text(format!(
                        "ScatterDimensionNumbers(update_window_dims={}, inserted_window_dims={}, \
                         scatter_dims_to_operand_dims={}, operand_batching_dims={}, \
                         scatter_indices_batching_dims={})",
                        py_tuple(&d.update_window_dims),
                        py_tuple(&d.inserted_window_dims),
                        py_tuple(&d.scatter_dims_to_operand_dims),
                        py_tuple(&d.operand_batching_dims),
                        py_tuple(&d.scatter_indices_batching_dims),
                    )),
                ),
                ("indices_are_sorted", text("False")),
                ("mode", text(mode.repr())),
                ("unique_indices", text("False")),
                ("update_consts", text("()")),
                ("update_jaxpr", text("None")),
            ],
        }
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        match self {
            IndexOp::DynamicSlice { slice_sizes } => dynamic_slice_rule(inputs, slice_sizes),
            IndexOp::DynamicUpdateSlice => dynamic_update_slice_rule(inputs),
            IndexOp::Gather {
                dimension_numbers,
                slice_sizes,
                ..
            } => gather_rule(inputs, dimension_numbers, slice_sizes),
            IndexOp::ScatterAdd {
                dimension_numbers, ..
            } => scatter_rule(inputs, dimension_numbers),
        }
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        match self {
            IndexOp::DynamicSlice { slice_sizes } => {
                let starts = scalar_starts(&inputs[1..]);
                smallvec![eval_dynamic_slice(inputs[0], &starts, slice_sizes)]
            }
            IndexOp::DynamicUpdateSlice => {
                let starts = scalar_starts(&inputs[2..]);
                smallvec![eval_dynamic_update_slice(inputs[0], inputs[1], &starts)]
            }
            IndexOp::Gather {
                dimension_numbers,
                slice_sizes,
                mode,
            } => {
                smallvec![eval_gather(
                    inputs[0],
                    inputs[1],
                    dimension_numbers,
                    slice_sizes,
                    *mode,
                    &out[0].shape
                )]
            }
            IndexOp::ScatterAdd {
                dimension_numbers,
                mode,
            } => {
                smallvec![eval_scatter_add(
                    inputs[0],
                    inputs[1],
                    inputs[2],
                    dimension_numbers,
                    *mode
                )]
            }
        }
    }

    // Derivative rules, as JAX's in `lax/slicing.py`. Every index family primitive is linear in
    // its float operands; integer index operands get no tangent and no cotangent (`None`), and
    // are always known (`LinearArg::Known`) when transposing.

    fn jvp(
        &self,
        primals: &[Tensor],
        tangents: &[Option<Tensor>],
    ) -> (Outputs, Vec<Option<Tensor>>) {
        let prim = Prim::Index(self.clone());
        let out = bind1(&prim, primals);
        let tangent =
            match self {
                // _dynamic_slice_jvp: the same slice of the tangent.
                IndexOp::DynamicSlice { .. } => tangents[0].as_ref().map(|t| {
                    let mut ins = vec![t.clone()];
                    ins.extend_from_slice(&primals[1..]);
                    bind1(&prim, &ins)
                }),
                // _dynamic_update_slice_jvp: the update's tangent written into the operand's.
                IndexOp::DynamicUpdateSlice => (tangents[0].is_some() || tangents[1].is_some())
                    .then(|| {
                        let mut ins = vec![
                            instantiate(&tangents[0], &primals[0]),
                            instantiate(&tangents[1], &primals[1]),
                        ];
                        ins.extend_from_slice(&primals[2..]);
                        bind1(&prim, &ins)
                    }),
                // _gather_jvp_rule: the same gather of the tangent, with fill value 0.
                IndexOp::Gather {
                    dimension_numbers,
                    slice_sizes,
                    mode,
                } => tangents[0].as_ref().map(|t| {
                    gather_fill_zero(t, &primals[1], dimension_numbers, slice_sizes, *mode)
                }),
                // _scatter_addsub_jvp: the updates' tangent scatter-added into the operand's.
                IndexOp::ScatterAdd { .. } => (tangents[0].is_some() || tangents[2].is_some())
                    .then(|| {
                        let ins = [
                            instantiate(&tangents[0], &primals[0]),
                            primals[1].clone(),
                            instantiate(&tangents[2], &primals[2]),
                        ];
                        bind1(&prim, &ins)
                    }),
            };
        jvp_out(out, tangent)
    }

    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        let mut out: Vec<Option<Tensor>> = vec![None; args.len()];
        let Some(ct) = &cts[0] else {
            return out;
        };
        let known =
            |a: &[LinearArg]| -> Vec<Tensor> { a.iter().map(|x| x.known().clone()).collect() };
        // Cotangents keep the cotangent's dtype (as JAX), with the argument's shape.
        let zeros_for = |a: &LinearArg| zeros(&Aval::new(&a.aval().shape, ct.dtype()));
        match self {
            // _dynamic_slice_transpose: the cotangent written into zeros at the (clamped) start.
            IndexOp::DynamicSlice { .. } => {
                if args[0].is_linear() {
                    let starts = known(&args[1..]);
                    out[0] = Some(lax::dynamic_update_slice(&zeros_for(&args[0]), ct, &starts));
                }
            }
            // _dynamic_update_slice_transpose_rule: the operand gets the cotangent with the
            // updated window zeroed, the update gets that window of the cotangent.
            IndexOp::DynamicUpdateSlice => {
                let starts = known(&args[2..]);
                if args[0].is_linear() {
                    out[0] = Some(lax::dynamic_update_slice(ct, &zeros_for(&args[1]), &starts));
                }
                if args[1].is_linear() {
                    out[1] = Some(lax::dynamic_slice(ct, &starts, &args[1].aval().shape));
                }
            }
            // _gather_transpose_rule: scatter-add the cotangent into zeros, with the mirrored
            // dimension numbers and the same mode (CLIP clamps as the gather did; FILL_OR_DROP
            // drops the windows the gather filled).
            IndexOp::Gather {
                dimension_numbers: d,
                mode,
                ..
            } => {
                if args[0].is_linear() {
                    let dn = ScatterDimensionNumbers {
                        update_window_dims: d.offset_dims.clone(),
                        inserted_window_dims: d.collapsed_slice_dims.clone(),
                        scatter_dims_to_operand_dims: d.start_index_map.clone(),
                        operand_batching_dims: d.operand_batching_dims.clone(),
                        scatter_indices_batching_dims: d.start_indices_batching_dims.clone(),
                    };
                    out[0] = Some(lax::scatter_add(
                        &zeros_for(&args[0]),
                        args[1].known(),
                        ct,
                        dn,
                        *mode,
                    ));
                }
            }
            // _scatter_addsub_transpose_rule: the operand's cotangent is the cotangent itself;
            // the updates' is a gather of it (mirrored dimension numbers, window sizes from
            // the updates, same mode, fill value 0).
            IndexOp::ScatterAdd {
                dimension_numbers: d,
                mode,
            } => {
                if args[0].is_linear() {
                    out[0] = Some(ct.clone());
                }
                if args[2].is_linear() {
                    let updates_shape = args[2].aval().shape;
                    let dn = GatherDimensionNumbers {
                        offset_dims: d.update_window_dims.clone(),
                        collapsed_slice_dims: d.inserted_window_dims.clone(),
                        start_index_map: d.scatter_dims_to_operand_dims.clone(),
                        operand_batching_dims: d.operand_batching_dims.clone(),
                        start_indices_batching_dims: d.scatter_indices_batching_dims.clone(),
                    };
                    let mut window = d.update_window_dims.iter();
                    let slice_sizes: Vec<usize> = (0..ct.ndim())
                        .map(|i| {
                            if d.inserted_window_dims.contains(&i)
                                || d.operand_batching_dims.contains(&i)
                            {
                                1
                            } else {
                                updates_shape
                                    [*window.next().expect("counts checked by the shape rule")]
                            }
                        })
                        .collect();
                    out[2] = Some(gather_fill_zero(
                        ct,
                        args[1].known(),
                        &dn,
                        &slice_sizes,
                        *mode,
                    ));
                }
            }
        }
        out
    }

    // Batching rules, as JAX's in `lax/slicing.py`: gather and scatter-add gain a batching
    // dim (a window dim of the whole batch when only the operand is batched, a batch dim of
    // the indices when only they are, paired operand/indices batching dims when both are);
    // dynamic_slice is a gather, dynamic_update_slice a dynamic_update_slice of one more dim
    // (unbatched starts) or a CLIP scatter (batched starts; see
    // `batch_dynamic_update_slice`). Modes are kept.
    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        axis: &BatchAxis,
    ) -> (Outputs, Vec<Option<usize>>) {
        let (out, dim) = match self {
            IndexOp::DynamicSlice { slice_sizes } => {
                batch_dynamic_slice(&args[0], dims[0], &args[1..], &dims[1..], slice_sizes)
            }
            IndexOp::DynamicUpdateSlice => batch_dynamic_update_slice(args, dims, axis.size),
            IndexOp::Gather {
                dimension_numbers,
                slice_sizes,
                mode,
            } => batch_gather(
                &args[0],
                dims[0],
                &args[1],
                dims[1],
                dimension_numbers,
                slice_sizes,
                *mode,
            ),
            IndexOp::ScatterAdd {
                dimension_numbers,
                mode,
            } => batch_scatter_add(args, dims, dimension_numbers, *mode, axis.size),
        };
        (smallvec![out], vec![dim])
    }
}

// ---------------------------------------------------------------------------------------
// Batching helpers
// ---------------------------------------------------------------------------------------

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
fn batch_dynamic_slice(
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
fn batch_gather(
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

/// `_scatter_batching_rule` (scatter-add): operand and updates get the batch dim in front
/// (broadcast if unbatched); unbatched indices make it a window dim of the updates, batched
/// ones pair it as an operand/indices batching dim.
fn batch_scatter_add(
    args: &[Tensor],
    dims: &[Option<usize>],
    d: &ScatterDimensionNumbers,
    mode: GatherScatterMode,
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
    (
        lax::scatter_add(&operand, &indices, &updates, dn, mode),
        Some(0),
    )
}

/// `_dynamic_update_slice_batching_rule`. With unbatched starts the batch is one more
/// dimension of a single dynamic_update_slice (start 0, where the operand's batch dim
/// already is). With batched starts JAX binds a CLIP `scatter` with operand/indices batching
/// dims; ferrax has scatter-add only, so the overwrite is written with two CLIP scatter-adds
/// of the same dimension numbers: one places the update into `-0.0` (the exact additive
/// identity, so every value, `-0.0` and NaN included, lands unchanged) and one marks the
/// window; a select picks the placed update inside the window and the operand outside. The
/// windows of different batch members never overlap, so nothing accumulates.
fn batch_dynamic_update_slice(
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
    let clip = GatherScatterMode::Clip;
    let filled = |value: f64, shape: &[usize], dtype: DType| {
        lax::broadcast_in_dim(&Tensor::full(&[], value, dtype), shape, &[])
    };
    let marks = lax::scatter_add(
        &filled(0.0, operand.shape(), DType::I32),
        &index,
        &filled(1.0, update.shape(), DType::I32),
        dn.clone(),
        clip,
    );
    let inside = lax::ne(&marks, &Tensor::zeros(&[], DType::I32));
    let dtype = operand.dtype();
    let placed = if dtype == DType::Bool {
        let u = lax::convert_element_type(&update, DType::I32);
        let p = lax::scatter_add(
            &filled(0.0, operand.shape(), DType::I32),
            &index,
            &u,
            dn,
            clip,
        );
        lax::convert_element_type(&p, DType::Bool)
    } else {
        let identity = if dtype.is_float() { -0.0 } else { 0.0 };
        lax::scatter_add(
            &filled(identity, operand.shape(), dtype),
            &index,
            &update,
            dn,
            clip,
        )
    };
    (lax::select_n(&inside, &[operand, placed]), Some(0))
}

/// `lax.gather(..., fill_value=0)`: a gather whose FILL_OR_DROP windows that are out of
/// bounds read zeros (not the primal default, NaN), as JAX's derivative rules ask for. The
/// gather params carry no fill value, so FILL_OR_DROP is written as JAX lowers it
/// (`_gather_fill`): a PROMISE_IN_BOUNDS gather, then a select against zeros on the mask of
/// in-bounds index vectors. Other modes never fill, so they are a plain gather.
fn gather_fill_zero(
    operand: &Tensor,
    indices: &Tensor,
    dn: &GatherDimensionNumbers,
    slice_sizes: &[usize],
    mode: GatherScatterMode,
) -> Tensor {
    if mode != GatherScatterMode::FillOrDrop || dn.start_index_map.is_empty() {
        return lax::gather(operand, indices, dn.clone(), slice_sizes, mode);
    }
    let gathered = lax::gather(
        operand,
        indices,
        dn.clone(),
        slice_sizes,
        GatherScatterMode::PromiseInBounds,
    );
    // A window is in bounds when every start lies in [0, size - slice_size] (the batching
    // dims always are).
    let ivd = indices.ndim() - 1;
    let upper: Vec<f64> = dn
        .start_index_map
        .iter()
        .map(|&d| (operand.shape()[d] as f64 - slice_sizes[d] as f64).max(0.0))
        .collect();
    let upper = Tensor::from_f64_values(&upper, &[upper.len()], indices.dtype());
    let upper = lax::broadcast_in_dim(&upper, indices.shape(), &[ivd]);
    let mut ok = lax::le(indices, &upper);
    if indices.dtype() != DType::U32 {
        ok = lax::and(&ok, &lax::ge(indices, &Tensor::zeros(&[], indices.dtype())));
    }
    let ok = lax::reduce_min(&ok, &[ivd]);
    let batch_dims: Vec<usize> = (0..gathered.ndim())
        .filter(|d| !dn.offset_dims.contains(d))
        .collect();
    let ok = lax::broadcast_in_dim(&ok, gathered.shape(), &batch_dims);
    lax::select_n(&ok, &[zeros(&gathered.aval()), gathered])
}

// ---------------------------------------------------------------------------------------
// Shape rules
// ---------------------------------------------------------------------------------------

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
    if let Some(first) = starts.first() {
        if starts
            .iter()
            .any(|s| s.dtype != first.dtype || !is_index_dtype(s.dtype))
        {
            let names: Vec<&str> = starts.iter().map(|s| s.dtype.numpy_name()).collect();
            return Err(format!(
                "index arguments to {op} must be integers (int32 or uint32) of the same type, got: {}",
                names.join(", ")
            ));
        }
    }
    Ok(())
}

fn dynamic_slice_rule(inputs: &[Aval], slice_sizes: &[usize]) -> Result<Avals, String> {
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

fn dynamic_update_slice_rule(inputs: &[Aval]) -> Result<Avals, String> {
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

fn gather_rule(
    inputs: &[Aval],
    dn: &GatherDimensionNumbers,
    slice_sizes: &[usize],
) -> Result<Avals, String> {
    super::util::expect_arity(inputs, 2)?;
    let (operand, indices) = (&inputs[0], &inputs[1]);
    check_indices_dtype(indices)?;
    let op = "gather";
    if indices.ndim() == 0 {
        return Err(
            "indices must have rank >= 1: the last dim is the index vector (add a trailing \
                    dim of size 1 to gather scalar indices)"
                .into(),
        );
    }
    let ivd = indices.ndim() - 1;
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

fn scatter_rule(inputs: &[Aval], dn: &ScatterDimensionNumbers) -> Result<Avals, String> {
    super::util::expect_arity(inputs, 3)?;
    let (operand, indices, updates) = (&inputs[0], &inputs[1], &inputs[2]);
    check_indices_dtype(indices)?;
    if operand.dtype != updates.dtype {
        return Err(format!(
            "operand and updates must have the same dtype, got {} and {}",
            operand.dtype.numpy_name(),
            updates.dtype.numpy_name()
        ));
    }
    if operand.dtype == DType::Bool {
        return Err(
            "operand dtype bool is not supported (scatter-add needs a numeric dtype)".into(),
        );
    }
    let op = "scatter";
    if indices.ndim() == 0 {
        return Err(
            "indices must have rank >= 1: the last dim is the index vector (add a trailing \
                    dim of size 1 to scatter at scalar indices)"
                .into(),
        );
    }
    let ivd = indices.ndim() - 1;
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

// ---------------------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------------------

/// Every element of an index array, widened to i64 (u32 stays non-negative).
fn index_values(a: &ArrayData) -> Vec<i64> {
    match a {
        ArrayData::I32(x) => x.iter().map(|&v| v as i64).collect(),
        ArrayData::U32(x) => x.iter().map(|&v| v as i64).collect(),
        _ => unreachable!("index dtype checked by abstract_eval"),
    }
}

fn scalar_starts(xs: &[&ArrayData]) -> Vec<i64> {
    xs.iter().map(|x| index_values(x)[0]).collect()
}

/// Clamps `start` into `[0, size - window]` (0 if the window does not fit).
fn clamp_start(start: i64, size: usize, window: usize) -> usize {
    let hi = (size as i64 - window as i64).max(0);
    start.clamp(0, hi) as usize
}

/// Advances a row-major multi-index over `shape`; returns false after the last one.
fn next_index(idx: &mut [usize], shape: &[usize]) -> bool {
    for d in (0..shape.len()).rev() {
        idx[d] += 1;
        if idx[d] < shape[d] {
            return true;
        }
        idx[d] = 0;
    }
    false
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

fn slice_of<T>(a: &ArrayD<T>) -> &[T] {
    a.as_slice()
        .expect("ArrayData is always in standard layout")
}

/// `dynamic_slice` with clamped starts.
pub fn eval_dynamic_slice(x: &ArrayData, starts: &[i64], slice_sizes: &[usize]) -> ArrayData {
    crate::dispatch_array!(x, a, T => {
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
    crate::dispatch_array!(x, a, T => {
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
    match T::DTYPE {
        DType::F32 | DType::F64 => T::from_f64(f64::NAN),
        DType::I32 => T::from_f64(i32::MIN as f64),
        DType::U32 => T::from_f64(u32::MAX as f64),
        DType::Bool => T::from_f64(1.0),
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
    let win_shape: Vec<usize> = kept.iter().map(|&d| slice_sizes[d]).collect();
    let win_strides: Vec<usize> = kept.iter().map(|&d| st[d]).collect();
    let woffs = window_offsets(&win_shape, &win_strides);
    // Per output dim: its stride in the (batch index, window index) it contributes to.
    let bstr = strides(&indices.shape()[..indices.shape().len() - 1]);
    let wstr = strides(&win_shape);
    let (mut bi, mut wi) = (0usize, 0usize);
    let contrib: Vec<(bool, usize)> = (0..out_shape.len())
        .map(|i| {
            if dn.offset_dims.contains(&i) {
                wi += 1;
                (true, wstr[wi - 1])
            } else {
                bi += 1;
                (false, bstr[bi - 1])
            }
        })
        .collect();
    let n: usize = out_shape.iter().product();
    crate::dispatch_array!(operand, a, T => {
        let src = slice_of(a);
        let mut data: Vec<T> = Vec::with_capacity(n);
        if n > 0 {
            let fill = gather_fill::<T>();
            let mut idx = vec![0usize; out_shape.len()];
            loop {
                let (mut b, mut w) = (0usize, 0usize);
                for (&i, &(is_win, s)) in idx.iter().zip(&contrib) {
                    if is_win { w += i * s } else { b += i * s }
                }
                data.push(match starts[b] {
                    Some(base) => src[base + woffs[w]],
                    None => fill,
                });
                if !next_index(&mut idx, out_shape) {
                    break;
                }
            }
        }
        T::wrap(ArrayD::from_shape_vec(IxDyn(out_shape), data).expect("sizes match"))
    })
}

/// Element addition for scatter-add (integers wrap, as XLA).
trait AddWrapping: Copy {
    fn add_wrapping(self, other: Self) -> Self;
}
impl AddWrapping for f32 {
    fn add_wrapping(self, o: f32) -> f32 {
        self + o
    }
}
impl AddWrapping for f64 {
    fn add_wrapping(self, o: f64) -> f64 {
        self + o
    }
}
impl AddWrapping for i32 {
    fn add_wrapping(self, o: i32) -> i32 {
        self.wrapping_add(o)
    }
}
impl AddWrapping for u32 {
    fn add_wrapping(self, o: u32) -> u32 {
        self.wrapping_add(o)
    }
}

fn scatter_add_typed<T: ArrayElement + AddWrapping>(
    a: &ArrayD<T>,
    u: &ArrayD<T>,
    starts: &[Option<usize>],
    contrib: &[(bool, usize)],
    woffs: &[usize],
) -> ArrayData {
    let mut out = a.clone();
    let dst = out.as_slice_mut().expect("standard layout");
    let ushape = u.shape();
    if !u.is_empty() {
        let mut idx = vec![0usize; ushape.len()];
        for &v in slice_of(u) {
            let (mut b, mut w) = (0usize, 0usize);
            for (&i, &(is_win, s)) in idx.iter().zip(contrib) {
                if is_win {
                    w += i * s
                } else {
                    b += i * s
                }
            }
            if let Some(base) = starts[b] {
                let p = base + woffs[w];
                dst[p] = dst[p].add_wrapping(v);
            }
            next_index(&mut idx, ushape);
        }
    }
    T::wrap(out)
}

/// XLA scatter with an add combiner (index vector = last dim of `indices`).
pub fn eval_scatter_add(
    operand: &ArrayData,
    indices: &ArrayData,
    updates: &ArrayData,
    dn: &ScatterDimensionNumbers,
    mode: GatherScatterMode,
) -> ArrayData {
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
    let win_shape: Vec<usize> = kept.iter().map(|&d| window[d]).collect();
    let win_strides: Vec<usize> = kept.iter().map(|&d| st[d]).collect();
    let woffs = window_offsets(&win_shape, &win_strides);
    let bstr = strides(&indices.shape()[..indices.shape().len() - 1]);
    let wstr = strides(&win_shape);
    let (mut bi, mut wi) = (0usize, 0usize);
    let contrib: Vec<(bool, usize)> = (0..ushape.len())
        .map(|i| {
            if dn.update_window_dims.contains(&i) {
                wi += 1;
                (true, wstr[wi - 1])
            } else {
                bi += 1;
                (false, bstr[bi - 1])
            }
        })
        .collect();
    match (operand, updates) {
        (ArrayData::F32(a), ArrayData::F32(u)) => {
            scatter_add_typed(a, u, &starts, &contrib, &woffs)
        }
        (ArrayData::F64(a), ArrayData::F64(u)) => {
            scatter_add_typed(a, u, &starts, &contrib, &woffs)
        }
        (ArrayData::I32(a), ArrayData::I32(u)) => {
            scatter_add_typed(a, u, &starts, &contrib, &woffs)
        }
        (ArrayData::U32(a), ArrayData::U32(u)) => {
            scatter_add_typed(a, u, &starts, &contrib, &woffs)
        }
        _ => unreachable!("dtypes checked by abstract_eval"),
    }
}
