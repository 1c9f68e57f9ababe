//! Lowering the neural-network primitives: `dot_general` (MatMul, or Einsum for other
//! patterns), convolution (NHWC/HWIO or any layout, transposed around ONNX's NCHW/OIHW Conv,
//! constant weights transposed at export), `reduce_window` (pools), `cumsum`, the take form
//! of `gather`, `top_k`, and the dispatch of the remaining primitives (scatter and sort in
//! `lower_index.rs`, control flow in `lower_control.rs`).

use super::builder::{attr_i, attr_ints, attr_s, Emitter};
use super::lower::Eq;
use crate::export::{dim_product, Dim, ExportError};
use crate::ops::ConvGeneralDilated;
use crate::prims::cumulative::CumulativeKind;
use crate::prims::window::WindowKind;
use crate::prims::{CumulativeOp, DotGeneral, IndexOp, ReduceWindow};
use crate::Tensor;

/// `x` transposed by `perm`: a new initializer when `x` is a captured constant, else a node.
pub(crate) fn transpose(
    em: &mut Emitter,
    q: &Eq,
    x: &str,
    perm: &[usize],
) -> Result<String, ExportError> {
    if perm.iter().enumerate().all(|(i, &p)| i == p) {
        return Ok(x.to_string());
    }
    if let Some(t) = q.cx.consts.get(x) {
        let t: Tensor = crate::core::with_trace(None, || crate::prims::lax::transpose(t, perm));
        return em.constant(&t);
    }
    Ok(em.node(
        "Transpose",
        &[x],
        vec![attr_ints("perm", perm.iter().map(|&p| p as i64))],
    ))
}

/// A cast of the result to the output's dtype when it differs from the operands'.
fn cast_to_out(em: &mut Emitter, q: &Eq, y: String) -> Result<String, ExportError> {
    let (from, to) = (q.in_aval(0).dtype, q.out_aval(0).dtype);
    if from == to {
        return Ok(y);
    }
    let to = super::builder::elem_type(to)? as i64;
    Ok(em.node("Cast", &[&y], vec![attr_i("to", to)]))
}

pub(crate) fn dot(em: &mut Emitter, q: &Eq, op: &DotGeneral) -> Result<String, ExportError> {
    let (lr, rr) = (q.in_aval(0).ndim(), q.in_aval(1).ndim());
    let (lhs, rhs) = (q.in_name(0).to_string(), q.in_name(1).to_string());
    let k = op.lhs_batch.len();
    let leading = |b: &[usize]| b.iter().enumerate().all(|(i, &d)| i == d);
    let y = if op.lhs_contracting.len() == 1
        && op.rhs_contracting.len() == 1
        && leading(&op.lhs_batch)
        && leading(&op.rhs_batch)
        && ((k == 0 && rr == 2 && lr >= 1) || (k > 0 && lr == k + 2 && rr == k + 2))
    {
        // MatMul: lhs [..., m, c] x rhs [..., c, n], transposing a side whose contracted
        // dim is on the other side.
        let (lc, rc) = (op.lhs_contracting[0], op.rhs_contracting[0]);
        let swap_last = |r: usize| -> Vec<usize> {
            let mut p: Vec<usize> = (0..r).collect();
            p.swap(r - 2, r - 1);
            p
        };
        let lhs = if lc == lr - 1 {
            lhs
        } else if lr >= 2 && lc == lr - 2 && (k > 0 || lr == 2) {
            transpose(em, q, &lhs, &swap_last(lr))?
        } else {
            return einsum(em, q, op);
        };
        let rhs = if rc == rr - 2 {
            rhs
        } else {
            transpose(em, q, &rhs, &swap_last(rr))?
        };
        em.node("MatMul", &[&lhs, &rhs], vec![])
    } else {
        return einsum(em, q, op);
    };
    cast_to_out(em, q, y)
}

/// `dot_general` as an Einsum equation (batch dims, then lhs free, then rhs free dims).
fn einsum(em: &mut Emitter, q: &Eq, op: &DotGeneral) -> Result<String, ExportError> {
    let (lr, rr) = (q.in_aval(0).ndim(), q.in_aval(1).ndim());
    let letters: Vec<char> = ('a'..='z').collect();
    if lr + rr > letters.len() {
        return Err(q.unsupported("too many dims for an Einsum equation"));
    }
    let mut l: Vec<Option<char>> = vec![None; lr];
    let mut r: Vec<Option<char>> = vec![None; rr];
    let mut next = 0;
    let mut out = String::new();
    for (&a, &b) in op.lhs_batch.iter().zip(&op.rhs_batch) {
        l[a] = Some(letters[next]);
        r[b] = Some(letters[next]);
        out.push(letters[next]);
        next += 1;
    }
    for (&a, &b) in op.lhs_contracting.iter().zip(&op.rhs_contracting) {
        l[a] = Some(letters[next]);
        r[b] = Some(letters[next]);
        next += 1;
    }
    for side in [&mut l, &mut r] {
        for c in side.iter_mut().filter(|c| c.is_none()) {
            *c = Some(letters[next]);
            out.push(letters[next]);
            next += 1;
        }
    }
    let s = |v: &[Option<char>]| v.iter().map(|c| c.unwrap()).collect::<String>();
    let eq = format!("{},{}->{}", s(&l), s(&r), out);
    let y = em.node(
        "Einsum",
        &[q.in_name(0), q.in_name(1)],
        vec![attr_s("equation", &eq)],
    );
    cast_to_out(em, q, y)
}

pub(crate) fn conv(
    em: &mut Emitter,
    q: &Eq,
    op: &ConvGeneralDilated,
) -> Result<String, ExportError> {
    if op.lhs_dilation.iter().any(|&d| d != 1) {
        return Err(q.unsupported("lhs dilation (a transposed convolution)"));
    }
    if op.batch_group_count != 1 {
        return Err(q.unsupported("batch_group_count > 1"));
    }
    if op.padding.iter().any(|p| p.0 < 0 || p.1 < 0) {
        return Err(q.unsupported("negative padding"));
    }
    let dn = &op.dimension_numbers;
    let x = transpose(em, q, q.in_name(0), &dn.lhs_spec)?;
    let w = transpose(em, q, q.in_name(1), &dn.rhs_spec)?;
    let rhs = q.in_aval(1);
    let kernel: Vec<i64> = dn.rhs_spec[2..]
        .iter()
        .map(|&d| rhs.shape[d] as i64)
        .collect();
    let pads: Vec<i64> = op
        .padding
        .iter()
        .map(|p| p.0)
        .chain(op.padding.iter().map(|p| p.1))
        .collect();
    let y = em.node(
        "Conv",
        &[&x, &w],
        vec![
            attr_ints("kernel_shape", kernel),
            attr_ints("strides", op.window_strides.iter().map(|&s| s as i64)),
            attr_ints("dilations", op.rhs_dilation.iter().map(|&s| s as i64)),
            attr_ints("pads", pads),
            attr_i("group", op.feature_group_count as i64),
        ],
    );
    // ONNX's output is (batch, feature, spatial...); ferrax's dim out_spec[k] is its dim k.
    let mut perm = vec![0; dn.out_spec.len()];
    for (k, &d) in dn.out_spec.iter().enumerate() {
        perm[d] = k;
    }
    let y = transpose(em, q, &y, &perm)?;
    cast_to_out(em, q, y)
}

/// `reduce_window` as MaxPool/AveragePool over the windowed dims, moved last (the others
/// merged into ONNX's batch and channel dims).
fn reduce_window(em: &mut Emitter, q: &Eq, op: &ReduceWindow) -> Result<String, ExportError> {
    if op.base_dilation.iter().any(|&d| d != 1) {
        return Err(q.unsupported("base dilation"));
    }
    let n = q.in_aval(0).ndim();
    let windowed: Vec<usize> = (0..n)
        .filter(|&d| {
            op.window_dimensions[d] != 1
                || op.window_strides[d] != 1
                || op.padding[d] != (0, 0)
                || op.window_dilation[d] != 1
        })
        .collect();
    let x = q.in_name(0).to_string();
    if windowed.is_empty() {
        return Ok(em.node("Identity", &[&x], vec![]));
    }
    if op.padding.iter().any(|p| p.0 < 0 || p.1 < 0) {
        return Err(q.unsupported("negative padding"));
    }
    let rest: Vec<usize> = (0..n).filter(|d| !windowed.contains(d)).collect();
    let perm: Vec<usize> = rest.iter().chain(&windowed).copied().collect();
    let in_dims = q.in_dims(0);
    let out_dims = q.out_dims(0);
    let xt = transpose(em, q, &x, &perm)?;
    // Lead with exactly two dims (batch, channel) for the pool.
    let lead: Vec<Dim> = match rest.len() {
        0 => vec![Dim::Fixed(1), Dim::Fixed(1)],
        1 => vec![Dim::Fixed(1), in_dims[rest[0]]],
        k => {
            let merged = dim_product(
                &rest[..k - 1]
                    .iter()
                    .map(|&d| in_dims[d])
                    .collect::<Vec<_>>(),
            )
            .ok_or_else(|| q.unsupported("two batch-derived dims merged"))?;
            vec![merged, in_dims[rest[k - 1]]]
        }
    };
    let pooled_in: Vec<Dim> = lead
        .iter()
        .copied()
        .chain(windowed.iter().map(|&d| in_dims[d]))
        .collect();
    let xs = if rest.len() == 2 {
        xt
    } else {
        let s = em.shape_tensor(&pooled_in);
        em.node("Reshape", &[&xt, &s], vec![])
    };
    let ints = |v: &[usize]| windowed.iter().map(|&d| v[d] as i64).collect::<Vec<_>>();
    let pads: Vec<i64> = windowed
        .iter()
        .map(|&d| op.padding[d].0)
        .chain(windowed.iter().map(|&d| op.padding[d].1))
        .collect();
    let mut attrs = vec![
        attr_ints("kernel_shape", ints(&op.window_dimensions)),
        attr_ints("strides", ints(&op.window_strides)),
        attr_ints("pads", pads),
    ];
    let dilated = op.window_dilation.iter().any(|&d| d != 1);
    let y = match op.kind {
        WindowKind::Max | WindowKind::Min => {
            if dilated {
                attrs.push(attr_ints("dilations", ints(&op.window_dilation)));
            }
            if op.kind == WindowKind::Max {
                em.node("MaxPool", &[&xs], attrs)
            } else {
                let neg = em.node("Neg", &[&xs], vec![]);
                let m = em.node("MaxPool", &[&neg], attrs);
                em.node("Neg", &[&m], vec![])
            }
        }
        WindowKind::Sum => {
            if dilated {
                return Err(q.unsupported(
                    "a dilated window sum (AveragePool has no dilations before opset 19)",
                ));
            }
            attrs.push(attr_i("count_include_pad", 1));
            let avg = em.node("AveragePool", &[&xs], attrs);
            let size: usize = windowed.iter().map(|&d| op.window_dimensions[d]).product();
            let s = em.scalar(size as f64, q.in_aval(0).dtype)?;
            em.node("Mul", &[&avg, &s], vec![])
        }
    };
    // Back to the permuted layout, then to the operand's order.
    let permuted_out: Vec<Dim> = perm.iter().map(|&d| out_dims[d]).collect();
    let y = if rest.len() == 2 {
        y
    } else {
        let s = em.shape_tensor(&permuted_out);
        em.node("Reshape", &[&y, &s], vec![])
    };
    let mut inv = vec![0; n];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    transpose(em, q, &y, &inv)
}

/// `gather` in the form of `take` along one axis (embedding lookups, `x[idx]`): ONNX Gather,
/// then a transpose to JAX's output order.
fn gather(em: &mut Emitter, q: &Eq, op: &IndexOp) -> Result<String, ExportError> {
    let operand = q.in_aval(0);
    let idx = q.in_aval(1);
    let (axis, dn) =
        crate::export::take_axis(op, &operand, &idx).map_err(|why| q.unsupported(why))?;
    let last = em.ints(&[idx.ndim() as i64 - 1]);
    let i = em.node("Squeeze", &[q.in_name(1), &last], vec![]);
    // Clamp into range, as XLA's gather does.
    let it = idx.dtype;
    let (lo, hi) = (
        em.scalar(0.0, it)?,
        em.scalar(operand.shape[axis] as f64 - 1.0, it)?,
    );
    let i = em.node("Max", &[&i, &lo], vec![]);
    let i = em.node("Min", &[&i, &hi], vec![]);
    let g = em.node(
        "Gather",
        &[q.in_name(0), &i],
        vec![attr_i("axis", axis as i64)],
    );
    // Gather's dims: operand[..axis], index batch dims, operand[axis+1..]. JAX's: the offset
    // dims at `offset_dims`, the index batch dims elsewhere, in order.
    let nb = idx.ndim() - 1;
    let n_out = operand.ndim() - 1 + nb;
    let gather_dims: Vec<(bool, usize)> = (0..axis)
        .map(|d| (true, d))
        .chain((0..nb).map(|b| (false, b)))
        .chain((axis + 1..operand.ndim()).map(|d| (true, d)))
        .collect();
    let mut offsets = (0..operand.ndim()).filter(|&d| d != axis);
    let mut batches = 0..nb;
    let mut perm = Vec::with_capacity(n_out);
    for o in 0..n_out {
        let want = if dn.offset_dims.contains(&o) {
            (true, offsets.next().unwrap())
        } else {
            (false, batches.next().unwrap())
        };
        perm.push(gather_dims.iter().position(|&g| g == want).unwrap());
    }
    transpose(em, q, &g, &perm)
}

/// The primitives outside the families of `prims::family`.
pub(crate) fn other(em: &mut Emitter, q: &Eq) -> Result<Vec<String>, ExportError> {
    let prim = &q.e.prim;
    if let Some(op) = prim.downcast::<ReduceWindow>() {
        return Ok(vec![reduce_window(em, q, op)?]);
    }
    if let Some(op) = prim.downcast::<CumulativeOp>() {
        if op.kind != CumulativeKind::Sum {
            return Err(q.unsupported("ONNX has CumSum only"));
        }
        let axis = em.scalar(op.axis as f64, crate::DType::I64)?;
        return Ok(vec![em.node(
            "CumSum",
            &[q.in_name(0), &axis],
            vec![attr_i("reverse", op.reverse as i64)],
        )]);
    }
    if let Some(op) = prim.downcast::<crate::prims::split::Split>() {
        return Ok(split(em, q, op));
    }
    if let Some(op @ IndexOp::Gather { .. }) = prim.downcast::<IndexOp>() {
        return Ok(vec![gather(em, q, op)?]);
    }
    if let Some(op @ IndexOp::Scatter { .. }) = prim.downcast::<IndexOp>() {
        return Ok(vec![super::lower_index::scatter(em, q, op)?]);
    }
    if let Some(op) = prim.downcast::<crate::prims::Sort>() {
        return super::lower_index::sort(em, q, op);
    }
    if let Some(op) = prim.downcast::<crate::prims::topk::TopK>() {
        let k = em.ints(&[op.k as i64]);
        let outs = em.node_n(
            "TopK",
            &[q.in_name(0), &k],
            vec![
                attr_i("axis", op.axis as i64),
                attr_i("largest", 1),
                attr_i("sorted", 1),
            ],
            2,
        );
        let to = super::builder::elem_type(q.out_aval(1).dtype)? as i64;
        let idx = em.node("Cast", &[&outs[1]], vec![attr_i("to", to)]);
        return Ok(vec![outs[0].clone(), idx]);
    }
    if let Some(outs) = super::lower_control::control(em, q)? {
        return Ok(outs);
    }
    Err(q.unsupported("no ONNX lowering"))
}

/// `split`: equal pieces as a reshape that gives the pieces an axis of their own and one
/// Gather per piece; unequal ones as one Slice per piece. (tract's optimizer fails on Split
/// and on several Slices of one value inside a Scan body, the LSTM's gates.)
fn split(em: &mut Emitter, q: &Eq, op: &crate::prims::split::Split) -> Vec<String> {
    let x = q.in_name(0);
    let n = op.sizes.len();
    if n > 0 && op.sizes.iter().all(|&s| s == op.sizes[0]) {
        let mut dims = q.in_dims(0);
        dims[op.axis] = Dim::Fixed(n);
        dims.insert(op.axis + 1, Dim::Fixed(op.sizes[0]));
        let s = em.shape_tensor(&dims);
        let r = em.node("Reshape", &[x, &s], vec![]);
        return (0..n)
            .map(|k| {
                let i = em.scalar(k as f64, crate::DType::I64).unwrap();
                em.node("Gather", &[&r, &i], vec![attr_i("axis", op.axis as i64)])
            })
            .collect();
    }
    let mut start = 0i64;
    let axis = em.ints(&[op.axis as i64]);
    let mut pieces = Vec::new();
    for &size in &op.sizes {
        let (s, e) = (em.ints(&[start]), em.ints(&[start + size as i64]));
        pieces.push(em.node("Slice", &[x, &s, &e, &axis], vec![]));
        start += size as i64;
    }
    pieces
}
