//! Evaluation of `scan` and `while` with their bodies compiled once ([`super::compiled`]).
//!
//! Every iteration runs the body's [`crate::interp::Program`] (fused elementwise groups,
//! intermediates freed at their last use), handing it the carries by value: a carry buffer no
//! one else holds is reused for the next carry. A loop heavy enough for both cores runs inside
//! the rayon pool as a whole. A body whose every value is a number runs its whole recurrence on
//! registers ([`crate::interp::ScalarCode::with_feedback`]): no tensor per iteration.

use super::compiled::{compiled, CompiledBody};
use super::{stacked, LoopOp};
use crate::core::{Aval, Outputs};
use crate::interp::{in_pool_if, Scalar, ScalarCode};
use crate::kernels::pool;
use crate::tensor::{ArrayData, ArrayElement, Tensor};
use ndarray::{ArrayD, Axis, IxDyn};

/// `scan` on concrete inputs `consts ++ init ++ xs`.
pub(super) fn run_scan(op: &LoopOp, inputs: &[Tensor]) -> Outputs {
    let (body, length, nc, ncar, _, _) = op.scan_params();
    let cb = compiled(body);
    let k = cb.consts.len();
    let pairs: Vec<(usize, usize)> = (0..ncar).map(|c| (c, k + nc + c)).collect();
    if let Some(code) = cb.scalar_feedback(&pairs) {
        return scan_scalar(code, &cb.consts, op, inputs);
    }
    let cost = cb.program.estimated_cost_ns() * length as f64;
    in_pool_if(cost, || scan_tensors(&cb, op, inputs))
}

fn scan_tensors(cb: &CompiledBody, op: &LoopOp, inputs: &[Tensor]) -> Outputs {
    let (body, length, nc, ncar, reverse, _) = op.scan_params();
    let xs = &inputs[nc + ncar..];
    let out_avals = body.out_avals();
    let mut carry: Vec<Tensor> = inputs[nc..nc + ncar].to_vec();
    let mut ys: Vec<Stacked> = out_avals[ncar..]
        .iter()
        .map(|a| Stacked::new(a, length))
        .collect();
    for i in 0..length {
        let t = if reverse { length - 1 - i } else { i };
        let args = inputs[..nc]
            .iter()
            .cloned()
            .chain(carry.drain(..))
            .chain(xs.iter().map(|x| row(x, t)));
        let mut outs = cb.run(args).into_iter();
        carry.extend(outs.by_ref().take(ncar));
        for (acc, y) in ys.iter_mut().zip(outs) {
            acc.put(t, y);
        }
    }
    let mut result: Outputs = carry.into_iter().collect();
    result.extend(ys.into_iter().map(Stacked::finish));
    result
}

/// A scalar scan on registers: `code` is the body with its carries fed back.
fn scan_scalar(code: &ScalarCode, consts: &[Tensor], op: &LoopOp, inputs: &[Tensor]) -> Outputs {
    let (_, length, nc, ncar, reverse, _) = op.scan_params();
    let k = consts.len();
    let mut r = code.regs();
    for (i, t) in consts.iter().chain(&inputs[..nc + ncar]).enumerate() {
        code.set_input(&mut r, i, Scalar::at(t.array(), 0));
    }
    let xs = &inputs[nc + ncar..];
    let ny = code.num_outputs() - ncar;
    let mut ys: Vec<Vec<Scalar>> = (0..ny).map(|_| Vec::with_capacity(length)).collect();
    if xs.is_empty() && ny == 0 {
        code.run_n(&mut r, length);
    } else {
        for i in 0..length {
            let t = if reverse { length - 1 - i } else { i };
            for (j, x) in xs.iter().enumerate() {
                code.set_input(&mut r, k + nc + ncar + j, Scalar::at(x.array(), t));
            }
            code.run(&mut r);
            for (j, acc) in ys.iter_mut().enumerate() {
                acc.push(code.output(&r, ncar + j));
            }
        }
    }
    let mut result: Outputs = (0..ncar)
        .map(|c| code.input(&r, k + nc + c).tensor())
        .collect();
    for (j, mut parts) in ys.into_iter().enumerate() {
        if reverse {
            parts.reverse();
        }
        result.push(Scalar::stack(&parts, code.output_dtype(ncar + j)));
    }
    result
}

/// `while` on concrete inputs `cond_consts ++ body_consts ++ init`.
pub(super) fn run_while(op: &LoopOp, inputs: &[Tensor]) -> Outputs {
    let (cond, body, cn, bn) = op.while_params();
    let (cc, bc) = (compiled(cond), compiled(body));
    let ncar = inputs.len() - cn - bn;
    let (kc, kb) = (cc.consts.len(), bc.consts.len());
    let pairs: Vec<(usize, usize)> = (0..ncar).map(|c| (c, kb + bn + c)).collect();
    if let (Some(ccode), Some(bcode)) = (cc.program.scalar_code(), bc.scalar_feedback(&pairs)) {
        let (mut cr, mut br) = (ccode.regs(), bcode.regs());
        for (i, t) in cc.consts.iter().chain(&inputs[..cn]).enumerate() {
            ccode.set_input(&mut cr, i, Scalar::at(t.array(), 0));
        }
        for (i, t) in bc.consts.iter().chain(&inputs[cn..]).enumerate() {
            bcode.set_input(&mut br, i, Scalar::at(t.array(), 0));
        }
        loop {
            for c in 0..ncar {
                ccode.set_input(&mut cr, kc + cn + c, bcode.input(&br, kb + bn + c));
            }
            ccode.run(&mut cr);
            if ccode.output(&cr, 0) != Scalar::Bool(true) {
                break;
            }
            bcode.run(&mut br);
        }
        return (0..ncar)
            .map(|c| bcode.input(&br, kb + bn + c).tensor())
            .collect();
    }
    let mut carry: Vec<Tensor> = inputs[cn + bn..].to_vec();
    loop {
        let p = cc.run(inputs[..cn].iter().chain(&carry).cloned());
        if !p[0].item::<bool>() {
            break;
        }
        carry = bc.run(inputs[cn..cn + bn].iter().cloned().chain(carry.drain(..)));
    }
    carry.into_iter().collect()
}

/// Row `t` of a concrete array along axis 0, in a buffer from the pool (a loop takes one row
/// per iteration; the body frees it at its last use, for the next iteration to take).
fn row(x: &Tensor, t: usize) -> Tensor {
    let a = x.array();
    let shape = &a.shape()[1..];
    let n: usize = shape.iter().product();
    Tensor::from_array(crate::dispatch_array!(a, x, T => {
        let mut v: Vec<T> = pool::take(n);
        match x.as_slice() {
            Some(s) => v.extend_from_slice(&s[t * n..(t + 1) * n]),
            None => v.extend(x.index_axis(Axis(0), t).iter().cloned()),
        }
        T::wrap(ArrayD::from_shape_vec(IxDyn(shape), v).expect("row shape"))
    }))
}

/// The stacked outputs of a scan, filled one row per iteration into one buffer from the pool;
/// each row's tensor is released at once (its buffer back to the pool for the next iteration).
struct Stacked {
    data: ArrayData,
    row: usize,
}

impl Stacked {
    fn new(aval: &Aval, length: usize) -> Stacked {
        let shape = stacked(aval, length).shape;
        let n = length * aval.size();
        // Every row is written once (`put`) before the array is read, so the buffer's old
        // values never show.
        let data = crate::dispatch_dtype!(aval.dtype, T => T::wrap(
            ArrayD::from_shape_vec(IxDyn(&shape), pool::take_filled::<T>(n)).expect("stacked shape"),
        ));
        Stacked {
            data,
            row: aval.size(),
        }
    }

    /// Writes `y` as row `t`.
    fn put(&mut self, t: usize, y: Tensor) {
        let n = self.row;
        crate::dispatch_array!(&mut self.data, d, T => {
            let dst = &mut d.as_slice_mut().expect("standard layout")[t * n..(t + 1) * n];
            let a = T::view(y.array()).expect("a scan output keeps its dtype");
            match a.as_slice() {
                Some(s) => dst.copy_from_slice(s),
                None => dst.iter_mut().zip(a.iter()).for_each(|(d, s)| *d = *s),
            }
        });
        pool::recycle(y);
    }

    fn finish(self) -> Tensor {
        Tensor::from_array(self.data)
    }
}
