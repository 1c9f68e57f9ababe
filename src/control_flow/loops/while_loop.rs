//! Forward mode and batching of `while`.

use super::scan::at0;
use super::{depends, is_float, mark_carries, split_parts, LoopOp};
use crate::core::eval_jaxpr;
use crate::core::SubJaxpr;
use crate::core::{bind, Aval, Jaxpr, Outputs};
use crate::interpreters::{batch_jaxpr, closure_convert};
use crate::prims::util::batch_at;
use crate::prims::{BatchAxis, Prim};
use crate::tensor::Tensor;
use std::sync::Arc;

// ---- while: forward mode and batching ---------------------------------------------------

fn while_prim(cond: Arc<Jaxpr>, body: Arc<Jaxpr>, cn: usize, bn: usize) -> Prim {
    Prim::new(LoopOp::While {
        cond_jaxpr: SubJaxpr(cond),
        body_jaxpr: SubJaxpr(body),
        cond_nconsts: cn,
        body_nconsts: bn,
    })
}

/// `j` with extra (unused) trailing inputs of types `avals`.
fn with_extra_invars(j: &Jaxpr, avals: &[Aval]) -> Jaxpr {
    let mut j = j.clone();
    for a in avals {
        let v = j.new_var(a.clone());
        j.invars.push(v);
    }
    j
}

pub(super) fn while_jvp(
    op: &LoopOp,
    primals: &[Tensor],
    tangents: &[Option<Tensor>],
) -> (Outputs, Vec<Option<Tensor>>) {
    let (cond, body, cn, bn) = op.while_params();
    let ncar = primals.len() - cn - bn;
    let body_in = body.in_avals();
    // Body inputs: body consts then carries; which have nonzero tangents (fixed point).
    let mut nz: Vec<bool> = (0..bn + ncar)
        .map(|i| tangents[cn + i].is_some() && is_float(&body_in[i]))
        .collect();
    loop {
        let d: Vec<bool> = depends(body, &nz, false)
            .into_iter()
            .zip(&body_in[bn..])
            .map(|(d, a)| d && is_float(a))
            .collect();
        if !mark_carries(&mut nz[bn..], &d) {
            break;
        }
    }
    let nz_carry: Vec<usize> = (0..ncar).filter(|&k| nz[bn + k]).collect();
    if nz_carry.is_empty() {
        let outs = bind(&Prim::new(op.clone()), primals);
        let n = outs.len();
        return (outs, vec![None; n]);
    }
    let nz_const: Vec<usize> = (0..bn).filter(|&i| nz[i]).collect();
    // The jvp body: (body consts, const tangents, carry, carry tangents) -> (carry, tangents).
    let mut avals: Vec<Aval> = body_in[..bn].to_vec();
    avals.extend(nz_const.iter().map(|&i| body_in[i].clone()));
    avals.extend(body_in[bn..].iter().cloned());
    avals.extend(nz_carry.iter().map(|&k| body_in[bn + k].clone()));
    let (nkc, ntc) = (bn, nz_const.len());
    let body2 = body.clone();
    let nzc = nz.clone();
    let (jbody, captured) = closure_convert(&avals, move |a| {
        let ([consts, tc, carry], tcar) = split_parts(a, [nkc, ntc, ncar]);
        let mut full: Vec<Tensor> = consts.to_vec();
        full.extend_from_slice(carry);
        let nz_prim: Vec<Tensor> = full
            .iter()
            .zip(&nzc)
            .filter(|(_, z)| **z)
            .map(|(x, _)| x.clone())
            .collect();
        let nz_tan: Vec<Tensor> = tc.iter().chain(tcar).cloned().collect();
        let (ys, dys) = crate::interpreters::jvp_flat(&nz_prim, &nz_tan, |v| {
            let mut it = v.iter();
            let args: Vec<Tensor> = full
                .iter()
                .zip(&nzc)
                .map(|(x, z)| {
                    if *z {
                        it.next().expect("nz").clone()
                    } else {
                        x.clone()
                    }
                })
                .collect();
            eval_jaxpr(&body2, &[], &args)
        });
        let mut out = ys;
        out.extend(
            dys.into_iter()
                .enumerate()
                .filter(|(k, _)| nzc[nkc + k])
                .map(|(_, t)| t),
        );
        out
    });
    let tan_avals: Vec<Aval> = nz_carry.iter().map(|&k| body_in[bn + k].clone()).collect();
    let jcond = with_extra_invars(cond, &tan_avals);
    let mut operands: Vec<Tensor> = primals[..cn].to_vec();
    let jbn = captured.len() + bn + ntc;
    operands.extend(captured);
    operands.extend_from_slice(&primals[cn..cn + bn]);
    operands.extend(
        nz_const
            .iter()
            .map(|&i| tangents[cn + i].clone().expect("nz")),
    );
    operands.extend_from_slice(&primals[cn + bn..]);
    operands.extend(
        nz_carry.iter().map(|&k| {
            crate::prims::util::instantiate(&tangents[cn + bn + k], &primals[cn + bn + k])
        }),
    );
    let jprim = while_prim(Arc::new(jcond), jbody, cn, jbn);
    // With concrete tangents (plain `jvp`) one loop computes both; otherwise (e.g. under
    // `linearize`, where tangents are staged) the primal loop runs on its own, so the primal
    // outputs stay known and only the tangent loop is recorded.
    let all_concrete = operands.iter().all(Tensor::is_concrete);
    let jouts = bind(&jprim, &operands);
    let outs: Outputs = if all_concrete {
        jouts[..ncar].iter().cloned().collect()
    } else {
        bind(&Prim::new(op.clone()), primals)
    };
    let mut it = jouts.into_iter().skip(ncar);
    let touts = (0..ncar)
        .map(|k| if nz[bn + k] { it.next() } else { None })
        .collect();
    (outs, touts)
}

pub(super) fn while_batch(
    op: &LoopOp,
    args: &[Tensor],
    dims: &[Option<usize>],
    axis: &BatchAxis,
) -> (Outputs, Vec<Option<usize>>) {
    let (cond, body, cn, bn) = op.while_params();
    let ncar = args.len() - cn - bn;
    let b: Vec<bool> = dims.iter().map(Option::is_some).collect();
    let cc_b = &b[..cn];
    let bc_b = &b[cn..cn + bn];
    let mut carry_b: Vec<bool> = b[cn + bn..].to_vec();
    loop {
        let mut in_b = bc_b.to_vec();
        in_b.extend_from_slice(&carry_b);
        if !mark_carries(&mut carry_b, &depends(body, &in_b, true)) {
            break;
        }
    }
    let mut cin_b = cc_b.to_vec();
    cin_b.extend_from_slice(&carry_b);
    let pred_b = depends(cond, &cin_b, true)[0];
    if pred_b {
        carry_b = vec![true; ncar];
        cin_b = cc_b.to_vec();
        cin_b.extend_from_slice(&carry_b);
    }
    let prep = |i: usize, batched: bool| -> Tensor {
        if batched {
            batch_at(&args[i], dims[i], axis.size, 0)
        } else {
            args[i].clone()
        }
    };
    let cond_consts: Vec<Tensor> = (0..cn).map(|i| prep(i, b[i])).collect();
    let body_consts: Vec<Tensor> = (cn..cn + bn).map(|i| prep(i, b[i])).collect();
    let carry: Vec<Tensor> = (0..ncar).map(|k| prep(cn + bn + k, carry_b[k])).collect();
    let mut bin_b = bc_b.to_vec();
    bin_b.extend_from_slice(&carry_b);
    let (bbody, bcap) = batch_jaxpr(body, &at0(&bin_b), Some(&at0(&carry_b)), axis);
    let (bcond, ccap) = batch_jaxpr(cond, &at0(&cin_b), Some(&at0(&[pred_b])), axis);
    let out_dims: Vec<Option<usize>> = carry_b.iter().map(|b| b.then_some(0)).collect();
    if !pred_b {
        let mut operands = ccap.clone();
        operands.extend(cond_consts);
        let bn2 = bcap.len() + bn;
        operands.extend(bcap);
        operands.extend(body_consts);
        operands.extend(carry);
        let cn2 = ccap.len() + cn;
        let outs = bind(&while_prim(bcond, bbody, cn2, bn2), &operands);
        return (outs, out_dims);
    }
    // Batched predicate: loop while any member continues; finished members keep their carry.
    let mut cconsts: Vec<Tensor> = ccap;
    cconsts.extend(cond_consts);
    let mut bconsts: Vec<Tensor> = bcap;
    bconsts.extend(body_consts);
    let (ncc, nbc) = (cconsts.len(), bconsts.len());
    let carry_avals: Vec<Aval> = carry.iter().map(|t| t.aval()).collect();
    let cc_avals: Vec<Aval> = cconsts.iter().map(|t| t.aval()).collect();
    let bc_avals: Vec<Aval> = bconsts.iter().map(|t| t.aval()).collect();
    let mut avals = cc_avals.clone();
    avals.extend(carry_avals.iter().cloned());
    let bcond2 = bcond.clone();
    let (any_cond, cap1) = closure_convert(&avals, move |a| {
        let p = eval_jaxpr(&bcond2, &[], a);
        vec![crate::prims::lax::reduce_max(&p[0], &[0])]
    });
    let mut avals = cap1.iter().map(|t| t.aval()).collect::<Vec<_>>();
    avals.extend(cc_avals);
    avals.extend(bc_avals);
    avals.extend(carry_avals);
    let ncap1 = cap1.len();
    let (masked_body, cap2) = closure_convert(&avals, move |a| {
        let ([_, cc, bc], carry) = split_parts(a, [ncap1, ncc, nbc]);
        let mut cargs = cc.to_vec();
        cargs.extend_from_slice(carry);
        let pred = eval_jaxpr(&bcond, &[], &cargs).remove(0);
        let mut bargs = bc.to_vec();
        bargs.extend_from_slice(carry);
        let new = eval_jaxpr(&bbody, &[], &bargs);
        carry
            .iter()
            .zip(new)
            .map(|(old, new)| {
                let p = if old.ndim() == 1 {
                    pred.clone()
                } else {
                    crate::prims::lax::broadcast_in_dim(&pred, old.shape(), &[0])
                };
                crate::prims::lax::select_n(&p, &[old.clone(), new])
            })
            .collect()
    });
    let mut operands = cap1.clone();
    operands.extend(cconsts.iter().cloned());
    let cn2 = operands.len();
    let mut body_ops = cap2;
    body_ops.extend(cap1);
    body_ops.extend(cconsts);
    body_ops.extend(bconsts);
    let bn2 = body_ops.len();
    operands.extend(body_ops);
    operands.extend(carry);
    let outs = bind(&while_prim(any_cond, masked_body, cn2, bn2), &operands);
    (outs, out_dims)
}
