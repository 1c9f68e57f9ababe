//! Indexing primitives: `dynamic_slice dynamic_update_slice gather` and the scatter family
//! `scatter scatter-add scatter-mul scatter-min scatter-max`.
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
//! * the scatters are the mirror image, one kernel parameterised by the combiner
//!   ([`ScatterKind`]: overwrite, add, multiply, min, max; duplicates combine in index
//!   order); `Clip` clamps window starts, `FillOrDrop` and `PromiseInBounds` drop any update
//!   window that is not entirely in bounds (what XLA does).
//!
//! Shape rules follow `_gather_shape_rule` and `_scatter_shape_rule` of JAX's
//! `lax/slicing.py`, with the same checks in the same order and similar messages.

mod batching;
mod kernels;
mod scatter;
mod shape_rules;

pub use kernels::{
    eval_dynamic_slice, eval_dynamic_update_slice, eval_gather, eval_scatter, eval_scatter_add,
};
pub use scatter::{
    scatter, scatter_add, scatter_general, scatter_max, scatter_min, scatter_mul, scatter_sub,
    ScatterHints, ScatterKind,
};

use super::util::{instantiate, jvp_out, py_bool, py_tuple, sh, text, zeros};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind1, Aval, Avals, Shape};
use crate::prims::lax;
use crate::tensor::{ArrayData, DType, Tensor};
use batching::{batch_dynamic_slice, batch_dynamic_update_slice, batch_gather, batch_scatter};
use kernels::scalar_starts;
use shape_rules::{dynamic_slice_rule, dynamic_update_slice_rule, gather_rule, scatter_rule};
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

impl GatherDimensionNumbers {
    /// The scatter dimension numbers that write back what this gather reads (offset dims
    /// become update window dims, collapsed dims inserted window dims, ...): the mirror image
    /// JAX's `_gather_transpose_rule` and `_scatter_update` both build.
    ///
    /// ```
    /// use ferrax::lax::GatherDimensionNumbers;
    /// use ferrax::core::Shape;
    /// let g = GatherDimensionNumbers { collapsed_slice_dims: Shape::from_slice(&[0]), start_index_map: Shape::from_slice(&[0]), ..Default::default() };
    /// assert_eq!(g.mirrored().inserted_window_dims.as_slice(), &[0]);
    /// assert_eq!(g.mirrored().mirrored(), g);
    /// ```
    pub fn mirrored(&self) -> ScatterDimensionNumbers {
        ScatterDimensionNumbers {
            update_window_dims: self.offset_dims.clone(),
            inserted_window_dims: self.collapsed_slice_dims.clone(),
            scatter_dims_to_operand_dims: self.start_index_map.clone(),
            operand_batching_dims: self.operand_batching_dims.clone(),
            scatter_indices_batching_dims: self.start_indices_batching_dims.clone(),
        }
    }
}

impl ScatterDimensionNumbers {
    /// The gather dimension numbers that read what this scatter writes (the inverse of
    /// [`GatherDimensionNumbers::mirrored`]).
    ///
    /// ```
    /// use ferrax::lax::ScatterDimensionNumbers;
    /// use ferrax::core::Shape;
    /// let s = ScatterDimensionNumbers { update_window_dims: Shape::from_slice(&[1]), ..Default::default() };
    /// assert_eq!(s.mirrored().offset_dims.as_slice(), &[1]);
    /// ```
    pub fn mirrored(&self) -> GatherDimensionNumbers {
        GatherDimensionNumbers {
            offset_dims: self.update_window_dims.clone(),
            collapsed_slice_dims: self.inserted_window_dims.clone(),
            start_index_map: self.scatter_dims_to_operand_dims.clone(),
            operand_batching_dims: self.operand_batching_dims.clone(),
            start_indices_batching_dims: self.scatter_indices_batching_dims.clone(),
        }
    }
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
    /// `scatter(operand, scatter_indices, updates)` and its combining siblings
    /// (`scatter-add`, `scatter-mul`, `scatter-min`, `scatter-max`).
    Scatter {
        /// How an update combines with the operand element it lands on.
        kind: ScatterKind,
        /// How operand, indices and updates dims correspond.
        dimension_numbers: ScatterDimensionNumbers,
        /// Out-of-bounds handling.
        mode: GatherScatterMode,
        /// The caller's promises about the indices.
        hints: ScatterHints,
        /// The operand's dtype, which the printed `update_jaxpr` (the combiner on two
        /// scalars) is typed with.
        dtype: DType,
    },
}

// ---- lax functions (`ferrax::lax`, re-exported through `prims::lax`) ----

/// `dynamic_slice(x, starts)`: starts are integer scalars, clamped so the slice fits.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0, 5, 1, DType::I32);
/// let y = ferrax::lax::dynamic_slice(&x, &[Tensor::scalar(4i32)], &[2]);
/// assert_eq!(y.to_vec::<i32>(), vec![3, 4]);
/// ```
#[track_caller]
pub fn dynamic_slice(x: &Tensor, start_indices: &[Tensor], slice_sizes: &[usize]) -> Tensor {
    let mut inputs = vec![x.clone()];
    inputs.extend_from_slice(start_indices);
    bind1(
        &Prim::new(IndexOp::DynamicSlice {
            slice_sizes: sh(slice_sizes),
        }),
        &inputs,
    )
}

/// Writes `update` into `x` at `starts` (clamped so it fits).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[4], DType::I32);
/// let y = ferrax::lax::dynamic_update_slice(&x, &Tensor::from_vec(vec![7, 8], &[2]), &[Tensor::scalar(1i32)]);
/// assert_eq!(y.to_vec::<i32>(), vec![0, 7, 8, 0]);
/// ```
#[track_caller]
pub fn dynamic_update_slice(x: &Tensor, update: &Tensor, start_indices: &[Tensor]) -> Tensor {
    let mut inputs = vec![x.clone(), update.clone()];
    inputs.extend_from_slice(start_indices);
    bind1(&Prim::new(IndexOp::DynamicUpdateSlice), &inputs)
}

/// XLA gather.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::{gather, GatherDimensionNumbers, GatherScatterMode};
/// use ferrax::core::Shape;
/// let x = Tensor::from_vec(vec![10.0f32, 11.0, 12.0], &[3]);
/// let idx = Tensor::from_vec(vec![2, 0], &[2, 1]);
/// let dn = GatherDimensionNumbers { collapsed_slice_dims: Shape::from_slice(&[0]), start_index_map: Shape::from_slice(&[0]), ..Default::default() };
/// assert_eq!(gather(&x, &idx, dn, &[1], GatherScatterMode::Clip).to_vec::<f32>(), vec![12.0, 10.0]);
/// ```
#[track_caller]
pub fn gather(
    operand: &Tensor,
    start_indices: &Tensor,
    dimension_numbers: GatherDimensionNumbers,
    slice_sizes: &[usize],
    mode: GatherScatterMode,
) -> Tensor {
    let prim = Prim::new(IndexOp::Gather {
        dimension_numbers,
        slice_sizes: sh(slice_sizes),
        mode,
    });
    bind1(&prim, &[operand.clone(), start_indices.clone()])
}

impl PrimRules for IndexOp {
    fn name(&self) -> &'static str {
        match self {
            IndexOp::DynamicSlice { .. } => "dynamic_slice",
            IndexOp::DynamicUpdateSlice => "dynamic_update_slice",
            IndexOp::Gather { .. } => "gather",
            // JAX's primitives are named `scatter-add`, ... (lax.scatter_add binds scatter_add_p).
            IndexOp::Scatter { kind, .. } => kind.name(),
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
            IndexOp::Scatter {
                kind,
                dimension_numbers: d,
                mode,
                hints,
                dtype,
            } => vec![
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
                ("indices_are_sorted", text(py_bool(hints.indices_are_sorted))),
                ("mode", text(mode.repr())),
                ("unique_indices", text(py_bool(hints.unique_indices))),
                ("update_consts", text("()")),
                ("update_jaxpr", scatter::update_jaxpr(*kind, *dtype)),
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
            IndexOp::Scatter {
                kind,
                dimension_numbers,
                ..
            } => scatter_rule(inputs, dimension_numbers, *kind),
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
            IndexOp::Scatter {
                kind,
                dimension_numbers,
                mode,
                ..
            } => {
                smallvec![eval_scatter(
                    *kind,
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

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        if let IndexOp::Scatter {
            kind,
            dimension_numbers: d,
            mode,
            hints,
            ..
        } = self
        {
            let same = scatter::Same {
                d,
                mode: *mode,
                hints: *hints,
            };
            let (out, t) = scatter::scatter_jvp(*kind, &same, primals, tangents);
            return jvp_out(out, t);
        }
        let prim = Prim::new(self.clone());
        let out = bind1(&prim, primals);
        let tangent = match self {
            // _dynamic_slice_jvp: the same slice of the tangent.
            IndexOp::DynamicSlice { .. } => tangents[0].as_ref().map(|t| {
                let mut ins = vec![t.clone()];
                ins.extend_from_slice(&primals[1..]);
                bind1(&prim, &ins)
            }),
            // _dynamic_update_slice_jvp: the update's tangent written into the operand's.
            IndexOp::DynamicUpdateSlice => {
                (tangents[0].is_some() || tangents[1].is_some()).then(|| {
                    let mut ins = vec![
                        instantiate(&tangents[0], &primals[0]),
                        instantiate(&tangents[1], &primals[1]),
                    ];
                    ins.extend_from_slice(&primals[2..]);
                    bind1(&prim, &ins)
                })
            }
            // _gather_jvp_rule: the same gather of the tangent, with fill value 0.
            IndexOp::Gather {
                dimension_numbers,
                slice_sizes,
                mode,
            } => tangents[0]
                .as_ref()
                .map(|t| gather_fill_zero(t, &primals[1], dimension_numbers, slice_sizes, *mode)),
            IndexOp::Scatter { .. } => unreachable!("handled above"),
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
                    let dn = d.mirrored();
                    out[0] = Some(lax::scatter_add(
                        &zeros_for(&args[0]),
                        args[1].known(),
                        ct,
                        dn,
                        *mode,
                    ));
                }
            }
            IndexOp::Scatter {
                kind,
                dimension_numbers: d,
                mode,
                hints,
                ..
            } => {
                let same = scatter::Same {
                    d,
                    mode: *mode,
                    hints: *hints,
                };
                return scatter::scatter_transpose(*kind, &same, ct, args);
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
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
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
            IndexOp::Scatter {
                kind,
                dimension_numbers,
                mode,
                hints,
                ..
            } => batch_scatter(
                *kind,
                args,
                dims,
                dimension_numbers,
                *mode,
                *hints,
                axis.size,
            ),
        };
        (smallvec![out], vec![dim])
    }
}

/// `lax.gather(..., fill_value=0)`: a gather whose FILL_OR_DROP windows that are out of
/// bounds read zeros (not the primal default, NaN), as JAX's derivative rules ask for. The
/// gather params carry no fill value, so FILL_OR_DROP is written as JAX lowers it
/// (`_gather_fill`): a PROMISE_IN_BOUNDS gather, then a select against zeros on the mask of
/// in-bounds index vectors. Other modes never fill, so they are a plain gather.
pub(super) fn gather_fill_zero(
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
    // Built from scalars (literals), so that a rule traced inside a jaxpr transform
    // captures no array constant.
    let mut col_shape = indices.shape().to_vec();
    col_shape[ivd] = 1;
    let cols: Vec<Tensor> = upper
        .iter()
        .map(|&u| lax::broadcast_in_dim(&Tensor::full(&[], u, indices.dtype()), &col_shape, &[]))
        .collect();
    let upper = if cols.len() == 1 {
        cols.into_iter().next().expect("one column")
    } else {
        lax::concatenate(&cols, ivd)
    };
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
