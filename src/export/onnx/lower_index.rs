//! Lowering the scatter family (the updates `x.at[idx].set/add/...` makes) to ScatterND, and
//! `sort` (`jnp.sort`, `argsort`, `lexsort`, multi-operand `lax.sort`) to TopK and
//! GatherElements.
//!
//! Where ONNX and JAX differ: TopK orders equal keys by index (a stable sort, as JAX's), and
//! `-0.0` equals `0.0` for it as for JAX; but NaN keys have no specified place in ONNX's TopK
//! (JAX sorts them last), so a model sorting NaNs may order them differently. A `scatter`
//! (set) with repeated indices keeps one of the updates in both, not necessarily the same.

use super::builder::{attr_i, attr_ints, attr_s, elem_type, Emitter};
use super::lower::Eq;
use super::lower_nn::transpose;
use crate::core::Atom;
use crate::export::{Dim, ExportError};
use crate::prims::index::{GatherScatterMode, ScatterKind};
use crate::prims::{IndexOp, Sort};
use crate::DType;

/// A `Cast` of `x` to `to`.
fn cast(em: &mut Emitter, x: &str, to: DType) -> Result<String, ExportError> {
    let to = elem_type(to)? as i64;
    Ok(em.node("Cast", &[x], vec![attr_i("to", to)]))
}

/// The scatter family in the form `x.at[idx]` makes with integer-array or integer indices:
/// every indexed operand dim collapsed (one index vector component each), whole slices of the
/// other dims. The operand is transposed so the indexed dims lead (ScatterND's layout), the
/// updates so their index-batch dims lead; the result is transposed back.
///
/// Out-of-bounds index vectors are dropped (JAX's default `FILL_OR_DROP`, and what XLA does
/// for `PROMISE_IN_BOUNDS`): the operand is padded by one element along each indexed dim, such
/// vectors are redirected there, and the padding is sliced off after (ScatterND itself
/// rejects out-of-range indices, and reads negative ones from the back). Constant indices
/// that are all in range skip this; `CLIP` clamps instead.
///
/// `set` is ScatterND; `add`/`mul` use its reduction (opset 16), `sub` adds the negated
/// updates. With `unique_indices` the combination is written out (GatherND, the op,
/// ScatterND without reduction), which also covers `min`/`max` (whose reductions need
/// opset 18) and runtimes that ignore the reduction attribute (tract 0.22).
pub(crate) fn scatter(em: &mut Emitter, q: &Eq, op: &IndexOp) -> Result<String, ExportError> {
    let IndexOp::Scatter {
        kind,
        dimension_numbers: dn,
        mode,
        hints,
        ..
    } = op
    else {
        return Err(q.unsupported("not a scatter"));
    };
    let operand = q.in_aval(0);
    let idx = q.in_aval(1);
    let upd = q.in_aval(2);
    if operand.dtype.is_complex() {
        return Err(q.unsupported("complex values have no ONNX operators"));
    }
    if !dn.operand_batching_dims.is_empty() {
        return Err(q.unsupported("operand batching dims (ScatterND has none)"));
    }
    let sd: Vec<usize> = dn.scatter_dims_to_operand_dims.to_vec();
    let m = sd.len();
    let mut inserted = dn.inserted_window_dims.to_vec();
    inserted.sort_unstable();
    let mut sd_sorted = sd.clone();
    sd_sorted.sort_unstable();
    if m == 0 || inserted != sd_sorted {
        return Err(q.unsupported(
            "only the form of `x.at[idx]` with integer indices (each indexed dim collapsed) \
             is exported",
        ));
    }
    let rest: Vec<usize> = (0..operand.ndim()).filter(|d| !sd.contains(d)).collect();
    let window: Vec<usize> = dn.update_window_dims.to_vec();
    let (x_dims, u_dims) = (q.in_dims(0), q.in_dims(2));
    if window.len() != rest.len()
        || window
            .iter()
            .zip(&rest)
            .any(|(&w, &r)| u_dims[w] != x_dims[r])
    {
        return Err(q.unsupported(
            "update windows smaller than the operand's dims (a slice in the index): \
             ScatterND writes whole slices",
        ));
    }
    // How the update combines: ScatterND's reduction, or the op written out (unique indices).
    let unique = hints.unique_indices;
    let (reduction, combine) = match kind {
        ScatterKind::Set => ("none", None),
        ScatterKind::Add => ("add", Some("Add")),
        ScatterKind::Sub => ("add", Some("Sub")),
        ScatterKind::Mul => ("mul", Some("Mul")),
        ScatterKind::Min | ScatterKind::Max if !unique => {
            return Err(q.unsupported(
                "scatter-min/max with possibly repeated indices need ScatterND's min/max \
                 reduction (opset 18; ferrax writes opset 17); pass unique_indices if they \
                 are unique",
            ))
        }
        ScatterKind::Min => ("none", Some("Min")),
        ScatterKind::Max => ("none", Some("Max")),
    };
    if *kind == ScatterKind::Sub && !unique && operand.dtype.is_unsigned() {
        return Err(q.unsupported(
            "scatter-sub of unsigned integers with possibly repeated indices (written as the \
             addition of negated updates)",
        ));
    }

    // The operand with its indexed dims first (in index-vector order), the updates with their
    // index-batch dims first.
    let perm: Vec<usize> = sd.iter().chain(&rest).copied().collect();
    let mut data = transpose(em, q, q.in_name(0), &perm)?;
    let upd_batch: Vec<usize> = (0..upd.ndim()).filter(|d| !window.contains(d)).collect();
    let uperm: Vec<usize> = upd_batch.iter().chain(&window).copied().collect();
    let mut u = transpose(em, q, q.in_name(2), &uperm)?;
    let mut i = if idx.dtype == DType::I64 {
        q.in_name(1).to_string()
    } else {
        cast(em, q.in_name(1), DType::I64)?
    };

    let sd_dims: Vec<Dim> = sd.iter().map(|&d| x_dims[d]).collect();
    let known_in_bounds = constant_indices_in_bounds(q, &sd_dims);
    let drop = !known_in_bounds && *mode != GatherScatterMode::Clip;
    if *mode == GatherScatterMode::Clip && !known_in_bounds {
        let bound = em.shape_tensor(&sd_dims);
        let one = em.ints(&[1]);
        let hi = em.node("Sub", &[&bound, &one], vec![]);
        let zero = em.ints(&[0]);
        i = em.node("Max", &[&i, &zero], vec![]);
        i = em.node("Min", &[&i, &hi], vec![]);
    }
    if drop {
        let bound = em.shape_tensor(&sd_dims);
        let zero = em.ints(&[0]);
        let ge = em.node("GreaterOrEqual", &[&i, &zero], vec![]);
        let lt = em.node("Less", &[&i, &bound], vec![]);
        let mut ok = em.node("And", &[&ge, &lt], vec![]);
        if m > 1 {
            // The whole index vector must be in range.
            let c = cast(em, &ok, DType::I32)?;
            let r = em.node(
                "ReduceMin",
                &[&c],
                vec![attr_ints("axes", [-1]), attr_i("keepdims", 1)],
            );
            ok = cast(em, &r, DType::Bool)?;
        }
        i = em.node("Where", &[&ok, &i, &bound], vec![]);
        let r = operand.ndim();
        let mut pads = vec![0i64; 2 * r];
        for p in &mut pads[r..r + m] {
            *p = 1;
        }
        let p = em.ints(&pads);
        data = em.node("Pad", &[&data, &p], vec![attr_s("mode", "constant")]);
    }

    let y = match (combine, unique) {
        (Some(c), true) => {
            let cur = em.node("GatherND", &[&data, &i], vec![]);
            let v = em.node(c, &[&cur, &u], vec![]);
            em.node("ScatterND", &[&data, &i, &v], vec![])
        }
        _ => {
            if *kind == ScatterKind::Sub {
                u = em.node("Neg", &[&u], vec![]);
            }
            let attrs = if reduction == "none" {
                vec![]
            } else {
                vec![attr_s("reduction", reduction)]
            };
            em.node("ScatterND", &[&data, &i, &u], attrs)
        }
    };
    let y = if drop {
        let starts = em.ints(&vec![0; m]);
        let ends = em.ints(&vec![-1; m]);
        let axes = em.ints(&(0..m as i64).collect::<Vec<_>>());
        em.node("Slice", &[&y, &starts, &ends, &axes], vec![])
    } else {
        y
    };
    let mut inv = vec![0; perm.len()];
    for (k, &p) in perm.iter().enumerate() {
        inv[p] = k;
    }
    transpose(em, q, &y, &inv)
}

/// True if the scatter's indices are a constant (a literal or a captured tensor) whose every
/// index vector is in range for the indexed dims `dims` (all fixed).
fn constant_indices_in_bounds(q: &Eq, dims: &[Dim]) -> bool {
    let t = match &q.e.inputs[1] {
        Atom::Lit(t) => t,
        Atom::Var(_) => match q.cx.consts.get(q.in_name(1)) {
            Some(t) => t,
            None => return false,
        },
    };
    let Some(bounds) = dims
        .iter()
        .map(|d| match d {
            Dim::Fixed(n) => Some(*n as i64),
            Dim::Batch { .. } => None,
        })
        .collect::<Option<Vec<i64>>>()
    else {
        return false;
    };
    let v = t.cast(DType::I64).to_vec::<i64>();
    v.chunks(bounds.len())
        .all(|c| c.iter().zip(&bounds).all(|(&i, &n)| (0..n).contains(&i)))
}

/// `sort` along `dimension` by the first `num_keys` operands: one ascending TopK with k the
/// whole dim per key, least significant first, each over the keys permuted by the ones before
/// (TopK is stable, so this is a lexicographic sort, as LSD radix sorting is); every operand
/// is then gathered with the final permutation.
pub(crate) fn sort(em: &mut Emitter, q: &Eq, op: &Sort) -> Result<Vec<String>, ExportError> {
    let axis = op.dimension;
    let dims = q.in_dims(0);
    if matches!(dims[axis], Dim::Fixed(0) | Dim::Fixed(1)) {
        return Ok(q
            .ins
            .iter()
            .map(|x| em.node("Identity", &[x], vec![]))
            .collect());
    }
    for i in 0..q.ins.len() {
        if q.in_aval(i).dtype.is_complex() {
            return Err(q.unsupported("complex values have no ONNX operators"));
        }
    }
    let k = match dims[axis] {
        Dim::Fixed(n) => em.ints(&[n as i64]),
        // The length of a batch-long axis counted from the data, not read with Shape: tract
        // keeps shapes as symbolic dims, which its TopK cannot read as an integer k.
        Dim::Batch { .. } => {
            let mut lane = q.in_name(0).to_string();
            let others: Vec<i64> = (0..dims.len() as i64)
                .filter(|&d| d != axis as i64)
                .collect();
            if !others.is_empty() {
                let (s, e, a) = (
                    em.ints(&vec![0; others.len()]),
                    em.ints(&vec![1; others.len()]),
                    em.ints(&others),
                );
                lane = em.node("Slice", &[&lane, &s, &e, &a], vec![]);
            }
            // Every element counts as one (`x == x` or `x != x`: NaN too).
            let eq = em.node("Equal", &[&lane, &lane], vec![]);
            let ne = em.node("Not", &[&eq], vec![]);
            let one = em.node("Or", &[&eq, &ne], vec![]);
            let one = cast(em, &one, DType::I64)?;
            let r = em.ints(&(0..dims.len() as i64).collect::<Vec<_>>());
            let n = em.node("ReduceSum", &[&one, &r], vec![attr_i("keepdims", 0)]);
            let shape = em.ints(&[1]);
            em.node("Reshape", &[&n, &shape], vec![])
        }
    };
    let attrs = || {
        vec![
            attr_i("axis", axis as i64),
            attr_i("largest", 0),
            attr_i("sorted", 1),
        ]
    };
    let mut perm: Option<String> = None;
    let mut first_sorted = None;
    for key in (0..op.num_keys).rev() {
        let dt = q.in_aval(key).dtype;
        // TopK orders numbers: bools as int32, bf16 as f32 (both keep the order).
        let mut kname = match dt {
            DType::Bool => cast(em, q.in_name(key), DType::I32)?,
            DType::BF16 => cast(em, q.in_name(key), DType::F32)?,
            _ => q.in_name(key).to_string(),
        };
        if let Some(p) = &perm {
            kname = em.node(
                "GatherElements",
                &[&kname, p],
                vec![attr_i("axis", axis as i64)],
            );
        }
        let outs = em.node_n("TopK", &[&kname, &k], attrs(), 2);
        perm = Some(match perm {
            None => outs[1].clone(),
            Some(p) => em.node(
                "GatherElements",
                &[&p, &outs[1]],
                vec![attr_i("axis", axis as i64)],
            ),
        });
        if key == 0 && !matches!(dt, DType::Bool | DType::BF16) {
            first_sorted = Some(outs[0].clone());
        }
    }
    let perm = perm.expect("num_keys >= 1");
    let mut outs = Vec::with_capacity(q.ins.len());
    for (i, x) in q.ins.iter().enumerate() {
        outs.push(match (i, &first_sorted) {
            (0, Some(s)) => s.clone(),
            _ => em.node(
                "GatherElements",
                &[x, &perm],
                vec![attr_i("axis", axis as i64)],
            ),
        });
    }
    Ok(outs)
}
