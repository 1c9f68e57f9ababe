//! Forward mode, transposition and batching of `scan`.

use super::{depends, is_float, mark_carries, split_parts, LoopOp};
use crate::core::eval_jaxpr;
use crate::core::SubJaxpr;
use crate::core::{bind, Atom, Aval, Jaxpr, Outputs, Var};
use crate::interpreters::{batch_jaxpr, closure_convert};
use crate::passes::dce_for_outputs;
use crate::prims::util::{batch_at, move_batch_dim};
use crate::prims::{BatchAxis, LinearArg, Prim};
use crate::tensor::Tensor;
use std::sync::Arc;

// ---- Forward and reverse mode of scan ---------------------------------------------------

fn scan_prim(
    jaxpr: Arc<Jaxpr>,
    length: usize,
    num_consts: usize,
    num_carry: usize,
    reverse: bool,
    unroll: usize,
) -> Prim {
    Prim::new(LoopOp::Scan {
        jaxpr: SubJaxpr(jaxpr),
        length,
        num_consts,
        num_carry,
        reverse,
        unroll,
    })
}

pub(super) fn scan_jvp(
    op: &LoopOp,
    primals: &[Tensor],
    tangents: &[Option<Tensor>],
) -> (Outputs, Vec<Option<Tensor>>) {
    let (body, length, nc, ncar, reverse, unroll) = op.scan_params();
    let n = primals.len();
    let in_avals = body.in_avals();
    let nout = body.outvars.len();
    let ny = nout - ncar;
    let mut nz: Vec<bool> = tangents
        .iter()
        .zip(&in_avals)
        .map(|(t, a)| t.is_some() && is_float(a))
        .collect();
    // Fixed point: a carry whose tangent becomes nonzero in the body is nonzero throughout.
    // The body linearized (`captured ++ inputs -> outputs ++ residuals`, and `residuals ++
    // tangents of nz inputs -> tangents of all outputs`).
    let (lin, captured, out_nz) = loop {
        let (lin, captured) = crate::interpreters::linearize_jaxpr_nz(body, &nz);
        let nres = lin.res_avals.len();
        let mut marked = vec![false; nres];
        marked.extend(std::iter::repeat_n(true, lin.tangent.invars.len() - nres));
        let out_nz: Vec<bool> = depends(&lin.tangent, &marked, false)
            .into_iter()
            .zip(body.out_avals())
            .map(|(d, a)| d && is_float(&a))
            .collect();
        if !mark_carries(&mut nz[nc..nc + ncar], &out_nz[..ncar]) {
            break (lin, captured, out_nz);
        }
    };
    let ncap = captured.len();
    let nres = lin.res_avals.len();
    // Tangent outputs: nonzero carries (all of them, to keep the carry), nonzero ys.
    let carry_nz: Vec<bool> = nz[nc..nc + ncar].to_vec();
    let y_nz: Vec<bool> = out_nz[ncar..].to_vec();
    let t_outvars: Vec<Atom> = lin.tangent.outvars[..ncar]
        .iter()
        .zip(&carry_nz)
        .filter(|(_, z)| **z)
        .map(|(a, _)| a.clone())
        .chain(
            lin.tangent.outvars[ncar..]
                .iter()
                .zip(&y_nz)
                .filter(|(_, z)| **z)
                .map(|(a, _)| a.clone()),
        )
        .collect();
    let (tangent, t_live) = dce_for_outputs(&lin.tangent, t_outvars);
    let res_used: Vec<bool> = tangent.invars[..nres]
        .iter()
        .map(|v| t_live[v.0 as usize])
        .collect();
    // Residuals: loop-invariant ones (depending only on captured values and consts) are
    // computed once outside the loop; residuals that are xs are read from xs directly.
    let p_res: Vec<Atom> = lin.primal.outvars[lin.num_outputs..].to_vec();
    let mut variant_in = vec![false; ncap + nc];
    variant_in.extend(std::iter::repeat_n(true, n - nc));
    let res_variant: Vec<bool> = depends(
        &Jaxpr {
            outvars: p_res.clone(),
            ..(*lin.primal).clone()
        },
        &variant_in,
        false,
    );
    let xs_vars: Vec<Var> = lin.primal.invars[ncap + nc + ncar..].to_vec();
    enum Res {
        Unused,
        Invariant,
        FromXs(usize),
        Stacked,
    }
    let kinds: Vec<Res> = (0..nres)
        .map(|r| {
            if !res_used[r] {
                Res::Unused
            } else if !res_variant[r] {
                Res::Invariant
            } else if let Some(k) = match &p_res[r] {
                Atom::Var(v) => xs_vars.iter().position(|x| x == v),
                Atom::Lit(_) => None,
            } {
                Res::FromXs(k)
            } else {
                Res::Stacked
            }
        })
        .collect();
    let pick =
        |f: &dyn Fn(&Res) -> bool| -> Vec<usize> { (0..nres).filter(|&r| f(&kinds[r])).collect() };
    let inv_idx = pick(&|k| matches!(k, Res::Invariant));
    let stk_idx = pick(&|k| matches!(k, Res::Stacked));
    let fx_idx = pick(&|k| matches!(k, Res::FromXs(_)));
    // Hoisted invariant residuals.
    let mut consts_in: Vec<Tensor> = captured;
    consts_in.extend_from_slice(&primals[..nc]);
    let inv_vals: Vec<Tensor> = if inv_idx.is_empty() {
        Vec::new()
    } else {
        let (mut h, _) = dce_for_outputs(
            &lin.primal,
            inv_idx.iter().map(|&r| p_res[r].clone()).collect(),
        );
        h.invars.truncate(ncap + nc);
        eval_jaxpr(&h, &[], &consts_in)
    };
    // The primal scan: outputs, then the stacked residuals.
    let mut p_out: Vec<Atom> = lin.primal.outvars[..lin.num_outputs].to_vec();
    p_out.extend(stk_idx.iter().map(|&r| p_res[r].clone()));
    let (primal_body, _) = dce_for_outputs(&lin.primal, p_out);
    let mut operands = consts_in;
    operands.extend_from_slice(&primals[nc..]);
    let pouts = bind(
        &scan_prim(
            Arc::new(primal_body),
            length,
            ncap + nc,
            ncar,
            reverse,
            unroll,
        ),
        &operands,
    );
    let stk_vals: Vec<Tensor> = pouts[ncar + ny..].to_vec();
    let outs: Outputs = pouts[..ncar + ny].iter().cloned().collect();
    // The tangent scan: consts = invariant residuals ++ const tangents; carry = carry
    // tangents; xs = stacked residuals ++ residual xs ++ xs tangents.
    let tin = &tangent.invars;
    let res_var = |r: usize| tin[r];
    let tan_var = |i: usize| {
        // Position of input i's tangent among the tangent invars.
        let k = nz[..i].iter().filter(|z| **z).count();
        tin[nres + k]
    };
    let mut t_invars: Vec<Var> = inv_idx.iter().map(|&r| res_var(r)).collect();
    let mut t_ops: Vec<Tensor> = inv_vals;
    for i in 0..nc {
        if nz[i] {
            t_invars.push(tan_var(i));
            t_ops.push(tangents[i].clone().expect("nonzero tangent"));
        }
    }
    let t_nconsts = t_invars.len();
    for i in nc..nc + ncar {
        if nz[i] {
            t_invars.push(tan_var(i));
            t_ops.push(crate::prims::util::instantiate(&tangents[i], &primals[i]));
        }
    }
    let t_ncarry = t_invars.len() - t_nconsts;
    for (&r, v) in stk_idx.iter().zip(stk_vals) {
        t_invars.push(res_var(r));
        t_ops.push(v);
    }
    for &r in &fx_idx {
        let Res::FromXs(k) = kinds[r] else {
            unreachable!()
        };
        t_invars.push(res_var(r));
        t_ops.push(primals[nc + ncar + k].clone());
    }
    for i in nc + ncar..n {
        if nz[i] {
            t_invars.push(tan_var(i));
            t_ops.push(tangents[i].clone().expect("nonzero tangent"));
        }
    }
    let mut tangent = tangent;
    tangent.invars = t_invars;
    let n_tout = tangent.outvars.len();
    let touts = if n_tout == 0 {
        Outputs::new()
    } else {
        bind(
            &scan_prim(
                Arc::new(tangent),
                length,
                t_nconsts,
                t_ncarry,
                reverse,
                unroll,
            ),
            &t_ops,
        )
    };
    let mut it = touts.into_iter();
    let out_tangents: Vec<Option<Tensor>> = carry_nz
        .iter()
        .chain(&y_nz)
        .map(|z| if *z { it.next() } else { None })
        .collect();
    (outs, out_tangents)
}

pub(super) fn scan_transpose(
    op: &LoopOp,
    cts: &[Option<Tensor>],
    args: &[LinearArg],
) -> Vec<Option<Tensor>> {
    let (body, length, nc, ncar, reverse, unroll) = op.scan_params();
    let n = args.len();
    let body_in = body.in_avals();
    let body_out = body.out_avals();
    // Carries are always linear (a known carry of a linear scan is a zero start).
    let lin: Vec<bool> = (0..n)
        .map(|i| (nc..nc + ncar).contains(&i) || args[i].is_linear())
        .collect();
    let known_c: Vec<usize> = (0..nc).filter(|&i| !lin[i]).collect();
    let lin_c: Vec<usize> = (0..nc).filter(|&i| lin[i]).collect();
    let known_x: Vec<usize> = (nc + ncar..n).filter(|&i| !lin[i]).collect();
    let lin_x: Vec<usize> = (nc + ncar..n).filter(|&i| lin[i]).collect();
    let y_ct: Vec<usize> = (0..body_out.len() - ncar)
        .filter(|&k| cts[ncar + k].is_some())
        .collect();
    // The body with known inputs as constvars and linear ones as invars.
    let mut j = (**body).clone();
    j.constvars = known_c
        .iter()
        .chain(&known_x)
        .map(|&i| body.invars[i])
        .collect();
    j.invars = lin_c
        .iter()
        .copied()
        .chain(nc..nc + ncar)
        .chain(lin_x.iter().copied())
        .map(|i| body.invars[i])
        .collect();
    let j = Arc::new(j);
    // Transposed body: (known consts; ct_consts acc, ct_carry; known xs, ct_ys) ->
    // (ct_consts acc, ct_carry; ct_xs).
    let mut avals: Vec<Aval> = known_c.iter().map(|&i| body_in[i].clone()).collect();
    avals.extend(lin_c.iter().map(|&i| body_in[i].clone()));
    avals.extend(body_in[nc..nc + ncar].iter().cloned());
    avals.extend(known_x.iter().map(|&i| body_in[i].clone()));
    avals.extend(y_ct.iter().map(|&k| body_out[ncar + k].clone()));
    let (nkc, nlc, nkx) = (known_c.len(), lin_c.len(), known_x.len());
    let ny = body_out.len() - ncar;
    let j2 = j.clone();
    let y_ct2 = y_ct.clone();
    let (tbody, captured) = closure_convert(&avals, move |a| {
        let ([kc, acc, ct_carry, kx], ct_ys) = split_parts(a, [nkc, nlc, ncar, nkx]);
        let mut known: Vec<Tensor> = kc.to_vec();
        known.extend_from_slice(kx);
        let mut cts_out: Vec<Option<Tensor>> = ct_carry.iter().cloned().map(Some).collect();
        let mut ys_it = ct_ys.iter();
        let mut yk = y_ct2.iter().peekable();
        for k in 0..ny {
            if yk.peek() == Some(&&k) {
                yk.next();
                cts_out.push(ys_it.next().cloned());
            } else {
                cts_out.push(None);
            }
        }
        let in_cts = crate::interpreters::backward_pass(&j2, &known, &cts_out);
        let lin_avals = j2.in_avals();
        let mut in_cts: Vec<Tensor> = in_cts
            .into_iter()
            .zip(&lin_avals)
            .map(|(c, av)| c.unwrap_or_else(|| crate::interpreters::zeros_of(av)))
            .collect();
        let rest = in_cts.split_off(nlc);
        let mut out: Vec<Tensor> = acc
            .iter()
            .zip(in_cts)
            .map(|(a, c)| crate::prims::lax::add_any(a, &c))
            .collect();
        out.extend(rest);
        out
    });
    let ncap = captured.len();
    let mut operands: Vec<Tensor> = captured;
    operands.extend(known_c.iter().map(|&i| args[i].known().clone()));
    operands.extend(
        lin_c
            .iter()
            .map(|&i| crate::interpreters::zeros_of(&args[i].aval())),
    );
    operands.extend((0..ncar).map(|k| {
        cts[k]
            .clone()
            .unwrap_or_else(|| crate::interpreters::zeros_of(&body_out[k]))
    }));
    operands.extend(known_x.iter().map(|&i| args[i].known().clone()));
    operands.extend(y_ct.iter().map(|&k| cts[ncar + k].clone().expect("ct")));
    let outs = bind(
        &scan_prim(tbody, length, ncap + nkc, nlc + ncar, !reverse, unroll),
        &operands,
    );
    let mut result: Vec<Option<Tensor>> = vec![None; n];
    let mut it = outs.into_iter();
    for i in lin_c
        .iter()
        .copied()
        .chain(nc..nc + ncar)
        .chain(lin_x.iter().copied())
    {
        let c = it.next().expect("transposed scan output");
        if args[i].is_linear() {
            result[i] = Some(c);
        }
    }
    result
}

// ---- Batching ---------------------------------------------------------------------------

/// Batch dims for a mask of batched values: 0 where batched.
pub(super) fn at0(batched: &[bool]) -> Vec<Option<usize>> {
    batched.iter().map(|b| b.then_some(0)).collect()
}

pub(super) fn scan_batch(
    op: &LoopOp,
    args: &[Tensor],
    dims: &[Option<usize>],
    axis: &BatchAxis,
) -> (Outputs, Vec<Option<usize>>) {
    let (body, length, nc, ncar, reverse, unroll) = op.scan_params();
    let n = args.len();
    let mut in_b: Vec<bool> = dims.iter().map(Option::is_some).collect();
    let out_b = loop {
        let out_b = depends(body, &in_b, true);
        if !mark_carries(&mut in_b[nc..nc + ncar], &out_b[..ncar]) {
            break out_b;
        }
    };
    let mut out_b = out_b;
    out_b[..ncar].copy_from_slice(&in_b[nc..nc + ncar]);
    let (bbody, captured) = batch_jaxpr(body, &at0(&in_b), Some(&at0(&out_b)), axis);
    let ncap = captured.len();
    let mut operands = captured;
    for i in 0..n {
        let a = &args[i];
        operands.push(if i < nc + ncar {
            if in_b[i] {
                batch_at(a, dims[i], axis.size, 0)
            } else {
                a.clone()
            }
        } else {
            match dims[i] {
                Some(d) => move_batch_dim(a, d, 1),
                None => a.clone(),
            }
        });
    }
    let outs = bind(
        &scan_prim(bbody, length, ncap + nc, ncar, reverse, unroll),
        &operands,
    );
    let out_dims = out_b
        .iter()
        .enumerate()
        .map(|(k, b)| b.then_some(if k < ncar { 0 } else { 1 }))
        .collect();
    (outs, out_dims)
}
