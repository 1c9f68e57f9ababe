//! Lowering control flow: `cond` as If, `scan` as Scan (or, without xs, as Loop: xs read per
//! iteration with Gather, ys stacked as Loop's scan outputs), `while` as Loop with a computed
//! condition. Bodies are
//! subgraphs that read the loop-invariant operands from the outer scope.

use super::builder::{attr_g, attr_i, attr_ints, value_info_with, Emitter};

/// A subgraph value's type (batch-derived dims unknown).
fn value_info(
    name: &str,
    dtype: DType,
    dims: &[Dim],
) -> Result<super::proto::ValueInfoProto, ExportError> {
    value_info_with(name, dtype, dims, false)
}
use super::lower::{lower_jaxpr, Eq};
use super::proto as pb;
use crate::control_flow::cond::CondOp;
use crate::control_flow::loops::LoopOp;
use crate::core::{Aval, Jaxpr};
use crate::export::{Dim, ExportError};
use crate::DType;

/// The ONNX nodes of a control-flow equation, or `None` if `q` is not one.
pub(crate) fn control(em: &mut Emitter, q: &Eq) -> Result<Option<Vec<String>>, ExportError> {
    if let Some(op) = q.e.prim.downcast::<CondOp>() {
        return cond(em, q, op).map(Some);
    }
    match q.e.prim.downcast::<LoopOp>() {
        Some(LoopOp::Scan {
            jaxpr,
            length,
            num_consts,
            num_carry,
            reverse,
            ..
        }) => scan(em, q, &jaxpr.0, *length, *num_consts, *num_carry, *reverse).map(Some),
        Some(LoopOp::While {
            cond_jaxpr,
            body_jaxpr,
            cond_nconsts,
            body_nconsts,
        }) => while_loop(
            em,
            q,
            &cond_jaxpr.0,
            &body_jaxpr.0,
            *cond_nconsts,
            *body_nconsts,
        )
        .map(Some),
        None => Ok(None),
    }
}

/// The dims of invar `i` of sub-jaxpr `j`.
fn invar_dims(q: &Eq, j: &Jaxpr, i: usize) -> Vec<Dim> {
    let v = j.invars[i];
    match q.cx.dims {
        Some(d) => d.of(j, v),
        None => j.aval(v).shape.iter().map(|&n| Dim::Fixed(n)).collect(),
    }
}

/// A subgraph from the nodes of `sub`, renaming `outs` to fresh output names.
fn subgraph(
    sub: &mut Emitter,
    name: &str,
    inputs: Vec<pb::ValueInfoProto>,
    outs: &[String],
    out_types: &[(DType, Vec<Dim>)],
) -> Result<pb::GraphProto, ExportError> {
    let mut output = Vec::new();
    for (o, (dt, dims)) in outs.iter().zip(out_types) {
        let n = sub.fresh("out");
        sub.node_named("Identity", &[o], vec![], vec![n.clone()]);
        output.push(value_info(&n, *dt, dims)?);
    }
    Ok(pb::GraphProto {
        node: std::mem::take(&mut sub.nodes),
        name: name.into(),
        input: inputs,
        output,
        ..Default::default()
    })
}

/// The output types of a sub-jaxpr (dtype and dims).
fn out_types(q: &Eq, j: &Jaxpr) -> Vec<(DType, Vec<Dim>)> {
    j.outvars
        .iter()
        .map(|a| {
            let aval: Aval = j.atom_aval(a);
            let dims = match (a, q.cx.dims) {
                (crate::core::Atom::Var(v), Some(d)) => d.of(j, *v),
                _ => aval.shape.iter().map(|&n| Dim::Fixed(n)).collect(),
            };
            (aval.dtype, dims)
        })
        .collect()
}

fn cond(em: &mut Emitter, q: &Eq, op: &CondOp) -> Result<Vec<String>, ExportError> {
    let operands = &q.ins[1..];
    let index = q.in_name(0).to_string();
    let idt = q.in_aval(0).dtype;
    // Branch k for index k (clamped, as lax.switch does): a chain of If(index <= k).
    let n = op.branches.len();
    let branch = |em: &mut Emitter, k: usize| -> Result<pb::GraphProto, ExportError> {
        let j = &op.branches[k].0;
        let mut sub = em.sub();
        let outs = lower_jaxpr(&mut sub, q.cx, j, &[], operands)?;
        subgraph(
            &mut sub,
            &format!("branch_{k}"),
            vec![],
            &outs,
            &out_types(q, j),
        )
    };
    let n_out = q.e.outputs.len();
    let mut else_graph = branch(em, n - 1)?;
    for k in (0..n - 1).rev() {
        let then_graph = branch(em, k)?;
        let kk = em.scalar(k as f64, idt)?;
        let pred = if idt == DType::Bool {
            em.node("Not", &[&index], vec![])
        } else {
            em.node("LessOrEqual", &[&index, &kk], vec![])
        };
        if k == 0 {
            return Ok(if_node(em, &pred, then_graph, else_graph, n_out));
        }
        // Wrap this If in a graph, the else branch of the next one out.
        let mut sub = em.sub();
        let outs = if_node(&mut sub, &pred, then_graph, else_graph, n_out);
        let types = out_types(q, &op.branches[k].0);
        else_graph = subgraph(&mut sub, &format!("switch_{k}"), vec![], &outs, &types)?;
    }
    unreachable!("a cond has at least two branches")
}

/// One ONNX If node choosing between two subgraphs.
fn if_node(
    em: &mut Emitter,
    pred: &str,
    then_graph: pb::GraphProto,
    else_graph: pb::GraphProto,
    n_out: usize,
) -> Vec<String> {
    let branches = vec![
        attr_g("then_branch", then_graph),
        attr_g("else_branch", else_graph),
    ];
    em.node_n("If", &[pred], branches, n_out)
}

/// The inputs of an ONNX Loop body: the iteration number, the condition, and one state
/// variable per carry (typed as `body`'s invars from `first_carry` on). Returns the names of
/// the iteration number, the condition and the carries, and the inputs' value infos.
#[allow(clippy::type_complexity)]
fn loop_body_inputs(
    sub: &mut Emitter,
    q: &Eq,
    body: &Jaxpr,
    first_carry: usize,
    num_carry: usize,
) -> Result<(String, String, Vec<String>, Vec<pb::ValueInfoProto>), ExportError> {
    let iter = sub.fresh("iter");
    let cond_in = sub.fresh("cond");
    let mut inputs = vec![
        value_info(&iter, DType::I64, &[])?,
        value_info(&cond_in, DType::Bool, &[])?,
    ];
    let mut carry = Vec::with_capacity(num_carry);
    for c in 0..num_carry {
        let name = sub.fresh("carry");
        let i = first_carry + c;
        inputs.push(value_info(
            &name,
            body.aval(body.invars[i]).dtype,
            &invar_dims(q, body, i),
        )?);
        carry.push(name);
    }
    Ok((iter, cond_in, carry, inputs))
}

/// `scan` as ONNX Scan (carries are its state variables, xs its scan inputs, ys its scan
/// outputs, reversed by the directions for a reverse scan); a scan without xs (a
/// `fori_loop`) as Loop.
#[allow(clippy::too_many_arguments)]
fn scan(
    em: &mut Emitter,
    q: &Eq,
    body: &Jaxpr,
    length: usize,
    num_consts: usize,
    num_carry: usize,
    reverse: bool,
) -> Result<Vec<String>, ExportError> {
    let consts = &q.ins[..num_consts];
    let init = &q.ins[num_consts..num_consts + num_carry];
    let xs = &q.ins[num_consts + num_carry..];
    if xs.is_empty() {
        return scan_as_loop(em, q, body, length, num_consts, num_carry, reverse);
    }
    let mut sub = em.sub();
    let mut inputs = Vec::new();
    let mut body_in: Vec<String> = consts.to_vec();
    for i in num_consts..body.invars.len() {
        let name = sub.fresh(if i < num_consts + num_carry {
            "carry"
        } else {
            "x"
        });
        inputs.push(value_info(
            &name,
            body.aval(body.invars[i]).dtype,
            &invar_dims(q, body, i),
        )?);
        body_in.push(name);
    }
    let outs = lower_jaxpr(&mut sub, q.cx, body, &[], &body_in)?;
    let g = subgraph(&mut sub, "scan_body", inputs, &outs, &out_types(q, body))?;
    let n_ys = q.e.outputs.len() - num_carry;
    let dir = reverse as i64;
    let mut scan_in: Vec<&str> = init.iter().map(|s| s.as_str()).collect();
    scan_in.extend(xs.iter().map(|s| s.as_str()));
    Ok(em.node_n(
        "Scan",
        &scan_in,
        vec![
            attr_g("body", g),
            attr_i("num_scan_inputs", xs.len() as i64),
            attr_ints("scan_input_directions", vec![dir; xs.len()]),
            attr_ints("scan_output_directions", vec![dir; n_ys]),
        ],
        q.e.outputs.len(),
    ))
}

#[allow(clippy::too_many_arguments)]
fn scan_as_loop(
    em: &mut Emitter,
    q: &Eq,
    body: &Jaxpr,
    length: usize,
    num_consts: usize,
    num_carry: usize,
    reverse: bool,
) -> Result<Vec<String>, ExportError> {
    let consts = &q.ins[..num_consts];
    let init = &q.ins[num_consts..num_consts + num_carry];
    let xs = &q.ins[num_consts + num_carry..];
    let mut sub = em.sub();
    let (iter, cond_in, carry, inputs) =
        loop_body_inputs(&mut sub, q, body, num_consts, num_carry)?;
    let mut body_in: Vec<String> = consts.to_vec();
    body_in.extend(carry);
    let idx = if reverse {
        let last = sub.scalar(length as f64 - 1.0, DType::I64)?;
        sub.node("Sub", &[&last, &iter], vec![])
    } else {
        iter.clone()
    };
    for x in xs {
        body_in.push(sub.node("Gather", &[x, &idx], vec![attr_i("axis", 0)]));
    }
    let outs = lower_jaxpr(&mut sub, q.cx, body, &[], &body_in)?;
    let types = out_types(q, body);
    let mut all_outs = vec![cond_in.clone()];
    all_outs.extend(outs);
    let mut all_types = vec![(DType::Bool, vec![])];
    all_types.extend(types);
    let g = subgraph(&mut sub, "scan_body", inputs, &all_outs, &all_types)?;
    let m = em.scalar(length as f64, DType::I64)?;
    let t = em.constant(&crate::Tensor::scalar(true))?;
    let mut loop_in: Vec<&str> = vec![&m, &t];
    loop_in.extend(init.iter().map(|s| s.as_str()));
    let mut res = em.node_n("Loop", &loop_in, vec![attr_g("body", g)], q.e.outputs.len());
    if reverse {
        // Loop stacks in iteration order; a reverse scan's ys are indexed by position.
        for y in res.iter_mut().skip(num_carry) {
            let (s, e, a, st) = (
                em.ints(&[-1]),
                em.ints(&[i64::MIN]),
                em.ints(&[0]),
                em.ints(&[-1]),
            );
            let rev = em.node("Slice", &[y.as_str(), &s, &e, &a, &st], vec![]);
            *y = rev;
        }
    }
    Ok(res)
}

fn while_loop(
    em: &mut Emitter,
    q: &Eq,
    cond_j: &Jaxpr,
    body_j: &Jaxpr,
    cond_nconsts: usize,
    body_nconsts: usize,
) -> Result<Vec<String>, ExportError> {
    let cconsts = &q.ins[..cond_nconsts];
    let bconsts = &q.ins[cond_nconsts..cond_nconsts + body_nconsts];
    let init = &q.ins[cond_nconsts + body_nconsts..];
    let with = |consts: &[String], carry: &[String]| -> Vec<String> {
        consts.iter().chain(carry).cloned().collect()
    };
    let first = lower_jaxpr(em, q.cx, cond_j, &[], &with(cconsts, init))?;
    let mut sub = em.sub();
    // The iteration number and the incoming condition are unused: the body recomputes it.
    let (_iter, _cond_in, carry, inputs) =
        loop_body_inputs(&mut sub, q, body_j, body_nconsts, init.len())?;
    let next = lower_jaxpr(&mut sub, q.cx, body_j, &[], &with(bconsts, &carry))?;
    let again = lower_jaxpr(&mut sub, q.cx, cond_j, &[], &with(cconsts, &next))?;
    let mut all_outs = again;
    all_outs.extend(next);
    let mut all_types = vec![(DType::Bool, vec![])];
    all_types.extend(out_types(q, body_j));
    let g = subgraph(&mut sub, "while_body", inputs, &all_outs, &all_types)?;
    let mut loop_in: Vec<&str> = vec!["", &first[0]];
    loop_in.extend(init.iter().map(|s| s.as_str()));
    Ok(em.node_n("Loop", &loop_in, vec![attr_g("body", g)], init.len()))
}
