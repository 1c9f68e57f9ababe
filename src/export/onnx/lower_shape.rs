//! Lowering reductions and the shape family (broadcast, reshape, transpose, squeeze, rev,
//! pad, concatenate, slice, iota), batch-generic where a dim derives from the batch.

use super::builder::{attr_i, attr_ints, Emitter};
use super::lower::Eq;
use crate::export::{Dim, ExportError};
use crate::prims::{ReduceOp, ShapeOp};
use crate::DType;

/// Whether a dim derives from the batch.
fn is_batch(d: &Dim) -> bool {
    matches!(d, Dim::Batch { .. })
}

pub(crate) fn reduce(em: &mut Emitter, q: &Eq, op: &ReduceOp) -> Result<String, ExportError> {
    let axes: Vec<i64> = op.axes().iter().map(|&a| a as i64).collect();
    let x = q.in_name(0).to_string();
    let dt = q.in_aval(0).dtype;
    if axes.is_empty() {
        return Ok(em.node("Identity", &[&x], vec![]));
    }
    // ONNX has no boolean reductions: or/and as max/min over int32.
    let as_int = |em: &mut Emitter| {
        em.node(
            "Cast",
            &[&x],
            vec![attr_i(
                "to",
                super::builder::elem_type(DType::I32).unwrap() as i64,
            )],
        )
    };
    let back_to_bool = |em: &mut Emitter, y: String| {
        em.node(
            "Cast",
            &[&y],
            vec![attr_i(
                "to",
                super::builder::elem_type(DType::Bool).unwrap() as i64,
            )],
        )
    };
    Ok(match op {
        ReduceOp::Sum { .. } => {
            let a = em.ints(&axes);
            em.node("ReduceSum", &[&x, &a], vec![attr_i("keepdims", 0)])
        }
        ReduceOp::Max { .. } | ReduceOp::Min { .. } | ReduceOp::Prod { .. } => {
            let name = match op {
                ReduceOp::Max { .. } => "ReduceMax",
                ReduceOp::Min { .. } => "ReduceMin",
                _ => "ReduceProd",
            };
            let attrs = || vec![attr_ints("axes", axes.clone()), attr_i("keepdims", 0)];
            if dt == DType::Bool {
                let xi = as_int(em);
                let y = em.node(name, &[&xi], attrs());
                back_to_bool(em, y)
            } else {
                em.node(name, &[&x], attrs())
            }
        }
        ReduceOp::Argmax { index_dtype, .. } | ReduceOp::Argmin { index_dtype, .. } => {
            let name = match op {
                ReduceOp::Argmax { .. } => "ArgMax",
                _ => "ArgMin",
            };
            let xin = if dt == DType::Bool {
                as_int(em)
            } else {
                x.clone()
            };
            let y = em.node(
                name,
                &[&xin],
                vec![attr_i("axis", axes[0]), attr_i("keepdims", 0)],
            );
            if *index_dtype == DType::I64 {
                y
            } else {
                let to = super::builder::elem_type(*index_dtype)? as i64;
                em.node("Cast", &[&y], vec![attr_i("to", to)])
            }
        }
    })
}

pub(crate) fn shape(em: &mut Emitter, q: &Eq, op: &ShapeOp) -> Result<String, ExportError> {
    // (iota has no operand)
    let x = q.ins.first().cloned().unwrap_or_default();
    let out = q.out_dims(0);
    Ok(match op {
        ShapeOp::BroadcastInDim {
            broadcast_dimensions,
            ..
        } => {
            if broadcast_dimensions.windows(2).any(|w| w[0] >= w[1]) {
                return Err(q.unsupported("broadcast_dimensions that are not increasing"));
            }
            let n = out.len();
            let missing: Vec<i64> = (0..n)
                .filter(|d| !broadcast_dimensions.contains(d))
                .map(|d| d as i64)
                .collect();
            let in_dims = q.in_dims(0);
            let mut u = x;
            if !missing.is_empty() && !in_dims.is_empty() {
                let a = em.ints(&missing);
                u = em.node("Unsqueeze", &[&u, &a], vec![]);
            }
            // Expand's target: 1 where the operand already has the dim (so it keeps it).
            let mut target = out.clone();
            for (i, &d) in broadcast_dimensions.iter().enumerate() {
                if in_dims[i] == out[d] {
                    target[d] = Dim::Fixed(1);
                }
            }
            if target.iter().all(|d| *d == Dim::Fixed(1)) && !in_dims.is_empty() {
                u
            } else {
                let s = em.shape_tensor(&target);
                em.node("Expand", &[&u, &s], vec![])
            }
        }
        ShapeOp::Reshape { .. } => {
            let nb = out.iter().filter(|d| is_batch(d)).count();
            let s = if nb == 1 {
                let v: Vec<i64> = out
                    .iter()
                    .map(|d| match d {
                        Dim::Fixed(n) => *n as i64,
                        Dim::Batch { .. } => -1,
                    })
                    .collect();
                em.ints(&v)
            } else {
                em.shape_tensor(&out)
            };
            em.node("Reshape", &[&x, &s], vec![])
        }
        ShapeOp::Transpose { permutation } => em.node(
            "Transpose",
            &[&x],
            vec![attr_ints("perm", permutation.iter().map(|&p| p as i64))],
        ),
        ShapeOp::Squeeze { dimensions } => {
            if dimensions.is_empty() {
                em.node("Identity", &[&x], vec![])
            } else {
                let a = em.ints(&dimensions.iter().map(|&d| d as i64).collect::<Vec<_>>());
                em.node("Squeeze", &[&x, &a], vec![])
            }
        }
        ShapeOp::Rev { dimensions } => {
            if dimensions.is_empty() {
                return Ok(em.node("Identity", &[&x], vec![]));
            }
            let k = dimensions.len();
            let starts = em.ints(&vec![-1; k]);
            let ends = em.ints(&vec![i64::MIN; k]);
            let axes = em.ints(&dimensions.iter().map(|&d| d as i64).collect::<Vec<_>>());
            let steps = em.ints(&vec![-1; k]);
            em.node("Slice", &[&x, &starts, &ends, &axes, &steps], vec![])
        }
        ShapeOp::Pad { padding_config } => pad(em, q, padding_config)?,
        ShapeOp::Concatenate { dimension } => {
            let refs: Vec<&str> = q.ins.iter().map(|s| s.as_str()).collect();
            em.node("Concat", &refs, vec![attr_i("axis", *dimension as i64)])
        }
        ShapeOp::Slice {
            start_indices,
            limit_indices,
            strides,
        } => {
            let in_dims = q.in_dims(0);
            let mut starts = Vec::new();
            let mut ends = Vec::new();
            let mut axes = Vec::new();
            let mut steps = Vec::new();
            for d in 0..in_dims.len() {
                let (s, l) = (start_indices[d] as i64, limit_indices[d] as i64);
                let st = strides.as_ref().map_or(1, |v| v[d]) as i64;
                let full = q.in_aval(0).shape[d] as i64;
                if s == 0 && l == full && st == 1 {
                    continue;
                }
                // Batch-derived dims: an end at the back stays relative to the back (as
                // `x[1:]`, `x[:-1]`); a fixed-length slice counts from the front.
                let end = if is_batch(&in_dims[d]) && is_batch(&out[d]) {
                    if l == full {
                        i64::MAX
                    } else {
                        l - full
                    }
                } else {
                    l
                };
                starts.push(s);
                ends.push(end);
                axes.push(d as i64);
                steps.push(st);
            }
            if axes.is_empty() {
                return Ok(em.node("Identity", &[&x], vec![]));
            }
            let (s, e, a, t) = (
                em.ints(&starts),
                em.ints(&ends),
                em.ints(&axes),
                em.ints(&steps),
            );
            em.node("Slice", &[&x, &s, &e, &a, &t], vec![])
        }
        ShapeOp::Iota {
            dtype, dimension, ..
        } => {
            if out.iter().all(|d| !is_batch(d)) {
                let t = crate::passes::eval_now(&q.e.prim, &[])[0].clone();
                return em.constant(&t);
            }
            // Range(0, n) along `dimension`, then broadcast to the (batch-generic) shape.
            let n = em.shape_tensor(&out[*dimension..*dimension + 1]);
            let zero_axis = em.ints(&[0]);
            let n = em.node("Squeeze", &[&n, &zero_axis], vec![]);
            let to = super::builder::elem_type(*dtype)? as i64;
            let n = em.node("Cast", &[&n], vec![attr_i("to", to)]);
            let (z, one) = (em.scalar(0.0, *dtype)?, em.scalar(1.0, *dtype)?);
            let mut r = em.node("Range", &[&z, &n, &one], vec![]);
            let others: Vec<i64> = (0..out.len())
                .filter(|&d| d != *dimension)
                .map(|d| d as i64)
                .collect();
            if !others.is_empty() {
                let a = em.ints(&others);
                r = em.node("Unsqueeze", &[&r, &a], vec![]);
            }
            let s = em.shape_tensor(&out);
            em.node("Expand", &[&r, &s], vec![])
        }
    })
}

/// `pad` with low/high padding (negative crops); interior padding has no ONNX form.
fn pad(em: &mut Emitter, q: &Eq, config: &[(i64, i64, i64)]) -> Result<String, ExportError> {
    if config.iter().any(|c| c.2 != 0) {
        return Err(q.unsupported("interior padding has no ONNX form"));
    }
    let mut x = q.in_name(0).to_string();
    let value = q.in_name(1).to_string();
    let n = config.len();
    if config.iter().any(|c| c.0 > 0 || c.1 > 0) {
        let mut pads = vec![0i64; 2 * n];
        for (d, c) in config.iter().enumerate() {
            pads[d] = c.0.max(0);
            pads[n + d] = c.1.max(0);
        }
        let p = em.ints(&pads);
        x = em.node(
            "Pad",
            &[&x, &p, &value],
            vec![super::builder::attr_s("mode", "constant")],
        );
    }
    if config.iter().any(|c| c.0 < 0 || c.1 < 0) {
        let mut starts = Vec::new();
        let mut ends = Vec::new();
        let mut axes = Vec::new();
        for (d, c) in config.iter().enumerate() {
            if c.0 < 0 || c.1 < 0 {
                starts.push((-c.0).max(0));
                ends.push(if c.1 < 0 { c.1 } else { i64::MAX });
                axes.push(d as i64);
            }
        }
        let (s, e, a) = (em.ints(&starts), em.ints(&ends), em.ints(&axes));
        x = em.node("Slice", &[&x, &s, &e, &a], vec![]);
    }
    if x == q.in_name(0) {
        x = em.node("Identity", &[&x], vec![]);
    }
    Ok(x)
}
