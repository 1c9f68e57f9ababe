//! Structured loops: `scan` and `while`, whose bodies are closed sub-jaxprs traced once.
//!
//! - Evaluation runs the body jaxpr once per iteration with a lean interpreter: the variable
//!   environment is allocated once, output types of every equation are taken from the jaxpr
//!   (no shape rule per iteration), and stacked outputs are copied once into one buffer.
//! - Forward mode of `scan` linearizes the body (JAX's `_scan_jvp` plus the partial-evaluation
//!   split): a primal scan also emits the residuals of every iteration as extra stacked
//!   outputs (loop-invariant residuals are computed once, outside the loop), and a tangent scan
//!   reads them, linear in the tangent carry, consts and xs. Under `grad` the primal scan runs
//!   now and the tangent scan is recorded; its transpose is a scan in the other direction.
//! - `while` has forward mode only: its trip count is unbounded, so there is nowhere to stack
//!   residuals; reverse mode panics and points to `fori_loop`/`scan`.
//! - Batching: carries are batched to a fixed point (JAX's `_scan_batching_rule`); a `while`
//!   whose predicate is batched runs until every member is done, masking finished members with
//!   `select_n`.

use super::util::{batch_at, move_batch_dim, py_bool, text};
use super::{ArrayOutputs, BatchAxis, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind, eval_concrete, Atom, Aval, Avals, Jaxpr, Outputs, Var};
use crate::interp::eval_jaxpr;
use crate::passes::dce_for_outputs;
use crate::prims::call::SubJaxpr;
use crate::tensor::{ArrayData, DType, Tensor};
use crate::transforms::{batch_jaxpr, closure_convert};
use ndarray::{ArrayD, Axis, IxDyn};
use smallvec::SmallVec;
use std::sync::Arc;

/// A loop primitive.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LoopOp {
    /// `scan[jaxpr length num_carry num_consts reverse unroll] *consts *init *xs`: the body maps
    /// `(consts, carry, x) -> (carry, y)`; ys are stacked along a new leading axis.
    Scan {
        jaxpr: SubJaxpr,
        length: usize,
        num_consts: usize,
        num_carry: usize,
        reverse: bool,
        unroll: usize,
    },
    /// `while[cond_jaxpr body_jaxpr cond_nconsts body_nconsts] *cond_consts *body_consts *init`.
    While {
        cond_jaxpr: SubJaxpr,
        body_jaxpr: SubJaxpr,
        cond_nconsts: usize,
        body_nconsts: usize,
    },
}

const WHILE_REVERSE_MSG: &str = "while_loop: reverse-mode differentiation (grad, vjp, jacrev) \
    of a while_loop is not supported: its trip count is not known before it runs, so there is \
    no bounded stack in which to save the per-iteration residuals the backward pass needs. \
    Use lax::fori_loop with concrete (integer) bounds, which lowers to a scan, or lax::scan with \
    a fixed length (mask the finished iterations); forward mode (jvp, jacfwd) of while_loop \
    works";

impl PrimRules for LoopOp {
    fn name(&self) -> &'static str {
        match self {
            LoopOp::Scan { .. } => "scan",
            LoopOp::While { .. } => "while",
        }
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        match self {
            LoopOp::Scan {
                jaxpr,
                length,
                num_consts,
                num_carry,
                reverse,
                unroll,
            } => vec![
                ("jaxpr", Param::Jaxpr(jaxpr.0.clone())),
                ("length", text(length.to_string())),
                ("num_carry", text(num_carry.to_string())),
                ("num_consts", text(num_consts.to_string())),
                ("reverse", text(py_bool(*reverse))),
                ("unroll", text(unroll.to_string())),
            ],
            LoopOp::While {
                cond_jaxpr,
                body_jaxpr,
                cond_nconsts,
                body_nconsts,
            } => vec![
                ("body_jaxpr", Param::Jaxpr(body_jaxpr.0.clone())),
                ("body_nconsts", text(body_nconsts.to_string())),
                ("cond_jaxpr", Param::Jaxpr(cond_jaxpr.0.clone())),
                ("cond_nconsts", text(cond_nconsts.to_string())),
            ],
        }
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        match self {
            LoopOp::Scan {
                jaxpr,
                length,
                num_consts,
                num_carry,
                ..
            } => {
                let body_in = jaxpr.0.in_avals();
                let body_out = jaxpr.0.out_avals();
                let (nc, ncar) = (*num_consts, *num_carry);
                if body_in.len() != inputs.len() {
                    return Err(format!(
                        "the body takes {} operands, got {}",
                        body_in.len(),
                        inputs.len()
                    ));
                }
                if nc + ncar > inputs.len() || body_out.len() < ncar {
                    return Err(format!(
                        "num_consts={nc} num_carry={ncar} do not fit {} operands and {} body outputs",
                        inputs.len(),
                        body_out.len()
                    ));
                }
                for (i, (got, want)) in inputs[..nc + ncar].iter().zip(&body_in).enumerate() {
                    if got != want {
                        let what = if i < nc { "const" } else { "carry" };
                        return Err(format!(
                            "{what} operand {i} has type {got}, the body expects {want}"
                        ));
                    }
                }
                for (i, (got, want)) in body_out[..ncar].iter().zip(&body_in[nc..]).enumerate() {
                    if got != want {
                        return Err(format!(
                            "the body's carry output {i} has type {got} but its carry input has type {want}"
                        ));
                    }
                }
                for (i, (got, want)) in inputs[nc + ncar..]
                    .iter()
                    .zip(&body_in[nc + ncar..])
                    .enumerate()
                {
                    if got.ndim() != want.ndim() + 1
                        || got.shape[0] != *length
                        || got.shape[1..] != want.shape[..]
                        || got.dtype != want.dtype
                    {
                        return Err(format!(
                            "xs operand {i} has type {got}, expected {length} stacked {want}"
                        ));
                    }
                }
                let mut out: Avals = body_out[..ncar].iter().cloned().collect();
                out.extend(body_out[ncar..].iter().map(|a| stacked(a, *length)));
                Ok(out)
            }
            LoopOp::While {
                cond_jaxpr,
                body_jaxpr,
                cond_nconsts,
                body_nconsts,
            } => {
                let (cn, bn) = (*cond_nconsts, *body_nconsts);
                if inputs.len() < cn + bn {
                    return Err(format!(
                        "expected at least {} operands, got {}",
                        cn + bn,
                        inputs.len()
                    ));
                }
                let carry = &inputs[cn + bn..];
                let cond_in = cond_jaxpr.0.in_avals();
                let mut want_cond: Vec<Aval> = inputs[..cn].to_vec();
                want_cond.extend_from_slice(carry);
                if cond_in != want_cond {
                    return Err(format!(
                        "cond_jaxpr takes ({}), operands give ({})",
                        join_avals(&cond_in),
                        join_avals(&want_cond)
                    ));
                }
                let cond_out = cond_jaxpr.0.out_avals();
                if cond_out.len() != 1 || cond_out[0] != Aval::new(&[], DType::Bool) {
                    return Err(format!(
                        "cond_jaxpr must return one bool[], it returns ({})",
                        join_avals(&cond_out)
                    ));
                }
                let body_in = body_jaxpr.0.in_avals();
                let mut want_body: Vec<Aval> = inputs[cn..cn + bn].to_vec();
                want_body.extend_from_slice(carry);
                if body_in != want_body {
                    return Err(format!(
                        "body_jaxpr takes ({}), operands give ({})",
                        join_avals(&body_in),
                        join_avals(&want_body)
                    ));
                }
                let body_out = body_jaxpr.0.out_avals();
                if body_out != carry {
                    return Err(format!(
                        "body_jaxpr returns ({}) but the carry is ({})",
                        join_avals(&body_out),
                        join_avals(carry)
                    ));
                }
                Ok(carry.iter().cloned().collect())
            }
        }
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        super::eval_with_tensors(inputs, |ts| self.run(ts))
    }

    fn eval_eager(&self, inputs: &[Tensor]) -> Option<Outputs> {
        let avals: Vec<Aval> = inputs.iter().map(|t| t.aval()).collect();
        if let Err(e) = self.abstract_eval(&avals) {
            panic!("{}: {e}", self.name());
        }
        Some(self.run(inputs))
    }

    /// `scan`: the body; `while`: `[cond_jaxpr, body_jaxpr]`.
    fn sub_jaxprs(&self) -> Vec<&Arc<Jaxpr>> {
        match self {
            LoopOp::Scan { jaxpr, .. } => vec![&jaxpr.0],
            LoopOp::While {
                cond_jaxpr,
                body_jaxpr,
                ..
            } => vec![&cond_jaxpr.0, &body_jaxpr.0],
        }
    }

    fn replace_sub_jaxprs(&self, new: Vec<Arc<Jaxpr>>) -> Prim {
        let n = self.sub_jaxprs().len();
        assert_eq!(new.len(), n, "{}: expected {n} sub-jaxprs", self.name());
        let mut op = self.clone();
        let mut new = new.into_iter().map(SubJaxpr);
        match &mut op {
            LoopOp::Scan { jaxpr, .. } => *jaxpr = new.next().expect("checked length"),
            LoopOp::While {
                cond_jaxpr,
                body_jaxpr,
                ..
            } => {
                *cond_jaxpr = new.next().expect("checked length");
                *body_jaxpr = new.next().expect("checked length");
            }
        }
        Prim::Loop(op)
    }

    fn jvp(
        &self,
        primals: &[Tensor],
        tangents: &[Option<Tensor>],
    ) -> (Outputs, Vec<Option<Tensor>>) {
        match self {
            LoopOp::Scan { .. } => scan_jvp(self, primals, tangents),
            LoopOp::While { .. } => while_jvp(self, primals, tangents),
        }
    }

    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        match self {
            LoopOp::Scan { .. } => scan_transpose(self, cts, args),
            LoopOp::While { .. } => panic!("{WHILE_REVERSE_MSG}"),
        }
    }

    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        axis: &BatchAxis,
    ) -> (Outputs, Vec<Option<usize>>) {
        match self {
            LoopOp::Scan { .. } => scan_batch(self, args, dims, axis),
            LoopOp::While { .. } => while_batch(self, args, dims, axis),
        }
    }
}

impl LoopOp {
    /// Evaluation on concrete tensors (both [`PrimRules::eval`] and the `eval_eager` fast
    /// path run this).
    fn run(&self, inputs: &[Tensor]) -> Outputs {
        match self {
            LoopOp::Scan {
                jaxpr,
                length,
                num_consts,
                num_carry,
                reverse,
                ..
            } => run_scan(&jaxpr.0, *length, *num_consts, *num_carry, *reverse, inputs),
            LoopOp::While {
                cond_jaxpr,
                body_jaxpr,
                cond_nconsts,
                body_nconsts,
            } => run_while(
                &cond_jaxpr.0,
                &body_jaxpr.0,
                *cond_nconsts,
                *body_nconsts,
                inputs,
            ),
        }
    }
}

fn join_avals(a: &[Aval]) -> String {
    a.iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `aval` with a leading axis of `length`.
fn stacked(aval: &Aval, length: usize) -> Aval {
    let mut a = aval.clone();
    a.shape.insert(0, length);
    a
}

// ---- Evaluation -------------------------------------------------------------------------

/// Runs one jaxpr many times on concrete values: the environment is allocated once and every
/// equation's output types come from the jaxpr, so an iteration costs only its equations.
pub(crate) struct BodyRunner<'a> {
    jaxpr: &'a Jaxpr,
    env: Vec<Option<Tensor>>,
    out_avals: Vec<Avals>,
}

impl<'a> BodyRunner<'a> {
    pub(crate) fn new(jaxpr: &'a Jaxpr) -> Self {
        let out_avals = jaxpr
            .eqns
            .iter()
            .map(|e| e.outputs.iter().map(|v| jaxpr.aval(*v).clone()).collect())
            .collect();
        BodyRunner {
            jaxpr,
            env: vec![None; jaxpr.var_avals.len()],
            out_avals,
        }
    }

    /// Evaluates the jaxpr on `args` (checked once by the caller: the loop's types are fixed).
    pub(crate) fn run(&mut self, args: &[Tensor]) -> Vec<Tensor> {
        let j = self.jaxpr;
        for (v, t) in j.invars.iter().zip(args) {
            self.env[v.0 as usize] = Some(t.clone());
        }
        for (e, avals) in j.eqns.iter().zip(&self.out_avals) {
            let inputs: SmallVec<[Tensor; 4]> =
                e.inputs.iter().map(|a| read_atom(&self.env, a)).collect();
            let outs: Outputs = match e.prim.eval_eager(&inputs) {
                Some(o) => o,
                None => eval_concrete(&e.prim, &inputs, avals)
                    .into_iter()
                    .map(Tensor::from_array)
                    .collect(),
            };
            for (v, t) in e.outputs.iter().zip(outs) {
                self.env[v.0 as usize] = Some(t);
            }
        }
        let outs = j.outvars.iter().map(|a| read_atom(&self.env, a)).collect();
        // Drop this iteration's intermediates so buffers can be reused in place.
        for slot in &mut self.env {
            *slot = None;
        }
        outs
    }
}

fn read_atom(env: &[Option<Tensor>], a: &Atom) -> Tensor {
    match a {
        Atom::Var(v) => env[v.0 as usize]
            .clone()
            .expect("a checked jaxpr binds every variable before use"),
        Atom::Lit(t) => t.clone(),
    }
}

/// Row `t` of a concrete array along axis 0.
pub(crate) fn row(x: &Tensor, t: usize) -> Tensor {
    let a = x.array();
    Tensor::from_array(crate::dispatch_array!(a, arr, T => {
        array_data(arr.index_axis(Axis(0), t).to_owned())
    }))
}

/// Wraps a typed array.
trait IntoArrayData {
    fn into_data(self) -> ArrayData;
}
macro_rules! into_data {
    ($($T:ty => $V:ident),*) => {$(
        impl IntoArrayData for ArrayD<$T> {
            fn into_data(self) -> ArrayData {
                ArrayData::$V(self)
            }
        }
    )*};
}
into_data!(bool => Bool, i32 => I32, u32 => U32, f32 => F32, f64 => F64);

fn array_data<A: IntoArrayData>(a: A) -> ArrayData {
    a.into_data()
}

/// Stacks concrete tensors of type `aval` along a new leading axis (one copy into one buffer).
pub(crate) fn stack(parts: &[Tensor], aval: &Aval) -> Tensor {
    let shape = stacked(aval, parts.len()).shape;
    if parts.is_empty() {
        return Tensor::zeros(&shape, aval.dtype);
    }
    macro_rules! go {
        ($V:ident, $T:ty) => {{
            let mut v: Vec<$T> = Vec::with_capacity(parts.len() * aval.size());
            for p in parts {
                match p.array() {
                    ArrayData::$V(a) => match a.as_slice() {
                        Some(s) => v.extend_from_slice(s),
                        None => v.extend(a.iter().cloned()),
                    },
                    _ => unreachable!("stacked parts share a dtype"),
                }
            }
            ArrayData::$V(ArrayD::from_shape_vec(IxDyn(&shape), v).expect("stack shape"))
        }};
    }
    Tensor::from_array(match aval.dtype {
        DType::Bool => go!(Bool, bool),
        DType::I32 => go!(I32, i32),
        DType::U32 => go!(U32, u32),
        DType::F32 => go!(F32, f32),
        DType::F64 => go!(F64, f64),
    })
}

fn run_scan(
    body: &Jaxpr,
    length: usize,
    nc: usize,
    ncar: usize,
    reverse: bool,
    inputs: &[Tensor],
) -> Outputs {
    if let Some(prog) = ScalarProgram::compile(body) {
        return prog.run_scan(length, nc, ncar, reverse, inputs);
    }
    let nx = inputs.len() - nc - ncar;
    let out_avals = body.out_avals();
    let ny = out_avals.len() - ncar;
    let mut args: Vec<Tensor> = inputs.to_vec();
    let xs: Vec<Tensor> = inputs[nc + ncar..].to_vec();
    let mut ys: Vec<Vec<Tensor>> = (0..ny).map(|_| Vec::with_capacity(length)).collect();
    let mut runner = BodyRunner::new(body);
    for i in 0..length {
        let t = if reverse { length - 1 - i } else { i };
        for k in 0..nx {
            args[nc + ncar + k] = row(&xs[k], t);
        }
        let outs = runner.run(&args);
        let mut outs = outs.into_iter();
        for slot in &mut args[nc..nc + ncar] {
            *slot = outs.next().expect("carry output");
        }
        for (acc, y) in ys.iter_mut().zip(outs) {
            acc.push(y);
        }
    }
    let mut result: Outputs = args[nc..nc + ncar].iter().cloned().collect();
    for (mut parts, aval) in ys.into_iter().zip(&out_avals[ncar..]) {
        if reverse {
            parts.reverse();
        }
        result.push(stack(&parts, aval));
    }
    result
}

fn run_while(cond: &Jaxpr, body: &Jaxpr, cn: usize, bn: usize, inputs: &[Tensor]) -> Outputs {
    let mut cond_args: Vec<Tensor> = inputs[..cn].to_vec();
    cond_args.extend_from_slice(&inputs[cn + bn..]);
    let mut body_args: Vec<Tensor> = inputs[cn..].to_vec();
    let ncar = inputs.len() - cn - bn;
    let mut cond_runner = BodyRunner::new(cond);
    let mut body_runner = BodyRunner::new(body);
    loop {
        let p = cond_runner.run(&cond_args);
        if !p[0].item::<bool>() {
            break;
        }
        let outs = body_runner.run(&body_args);
        for (k, t) in outs.into_iter().enumerate() {
            cond_args[cn + k] = t.clone();
            body_args[bn + k] = t;
        }
    }
    body_args[bn..bn + ncar].iter().cloned().collect()
}

// ---- Scalar bodies ------------------------------------------------------------------------

/// A scan body made only of rank-0 `f32`/`f64`/`i32` add, sub, mul, div (floats) and neg
/// (a scalar recurrence such as `c * 0.999 + 0.001`, or a loop counter) runs on native
/// registers: no tensor is built per iteration. The operations are exactly rounded (IEEE,
/// wrapping for integers, as the kernels), so results are bit-identical to the generic path.
struct ScalarProgram {
    /// Register file per dtype, indexed by variable id (literals get extra slots).
    f32s: Vec<f32>,
    f64s: Vec<f64>,
    i32s: Vec<i32>,
    dtypes: Vec<DType>,
    invars: Vec<usize>,
    instrs: Vec<(SOp, usize, usize, usize)>,
    outs: Vec<usize>,
}

#[derive(Clone, Copy)]
enum SOp {
    Add,
    Sub,
    Mul,
    Div,
    Neg,
}

impl ScalarProgram {
    fn compile(j: &Jaxpr) -> Option<ScalarProgram> {
        use super::{BinaryOp, UnaryOp};
        let ok =
            |a: &Aval| a.ndim() == 0 && matches!(a.dtype, DType::F32 | DType::F64 | DType::I32);
        if !j.var_avals.iter().all(ok) || j.eqns.is_empty() {
            return None;
        }
        let n = j.var_avals.len();
        let mut p = ScalarProgram {
            f32s: vec![0.0; n],
            f64s: vec![0.0; n],
            i32s: vec![0; n],
            dtypes: j.var_avals.iter().map(|a| a.dtype).collect(),
            invars: j.invars.iter().map(|v| v.0 as usize).collect(),
            instrs: Vec::with_capacity(j.eqns.len()),
            outs: Vec::new(),
        };
        let slot = |p: &mut ScalarProgram, a: &Atom| -> Option<usize> {
            match a {
                Atom::Var(v) => Some(v.0 as usize),
                Atom::Lit(t) => {
                    let k = p.dtypes.len();
                    p.dtypes.push(t.dtype());
                    p.f32s.push(0.0);
                    p.f64s.push(0.0);
                    p.i32s.push(0);
                    match t.dtype() {
                        DType::F32 => p.f32s[k] = t.item::<f32>(),
                        DType::F64 => p.f64s[k] = t.item::<f64>(),
                        DType::I32 => p.i32s[k] = t.item::<i32>(),
                        _ => return None,
                    }
                    Some(k)
                }
            }
        };
        for e in &j.eqns {
            let op = match &e.prim {
                Prim::Binary(BinaryOp::Add) => SOp::Add,
                Prim::Binary(BinaryOp::Sub) => SOp::Sub,
                Prim::Binary(BinaryOp::Mul) => SOp::Mul,
                Prim::Binary(BinaryOp::Div) => SOp::Div,
                Prim::Unary(UnaryOp::Neg) => SOp::Neg,
                _ => return None,
            };
            let out = e.outputs[0].0 as usize;
            let dt = p.dtypes[out];
            if matches!(op, SOp::Div) && dt == DType::I32 {
                return None;
            }
            let a = slot(&mut p, &e.inputs[0])?;
            let b = if e.inputs.len() > 1 {
                slot(&mut p, &e.inputs[1])?
            } else {
                a
            };
            if p.dtypes[a] != dt || p.dtypes[b] != dt {
                return None;
            }
            p.instrs.push((op, a, b, out));
        }
        for a in &j.outvars {
            let k = slot(&mut p, a)?;
            p.outs.push(k);
        }
        Some(p)
    }

    fn load(&mut self, r: usize, t: &Tensor) {
        match t.array() {
            ArrayData::F32(a) => self.f32s[r] = a.iter().next().copied().unwrap_or(0.0),
            ArrayData::F64(a) => self.f64s[r] = a.iter().next().copied().unwrap_or(0.0),
            ArrayData::I32(a) => self.i32s[r] = a.iter().next().copied().unwrap_or(0),
            _ => unreachable!("checked at compile"),
        }
    }

    fn step(&mut self) {
        for &(op, a, b, o) in &self.instrs {
            match self.dtypes[o] {
                DType::F32 => {
                    let (x, y) = (self.f32s[a], self.f32s[b]);
                    self.f32s[o] = match op {
                        SOp::Add => x + y,
                        SOp::Sub => x - y,
                        SOp::Mul => x * y,
                        SOp::Div => x / y,
                        SOp::Neg => -x,
                    };
                }
                DType::F64 => {
                    let (x, y) = (self.f64s[a], self.f64s[b]);
                    self.f64s[o] = match op {
                        SOp::Add => x + y,
                        SOp::Sub => x - y,
                        SOp::Mul => x * y,
                        SOp::Div => x / y,
                        SOp::Neg => -x,
                    };
                }
                _ => {
                    let (x, y) = (self.i32s[a], self.i32s[b]);
                    self.i32s[o] = match op {
                        SOp::Add => x.wrapping_add(y),
                        SOp::Sub => x.wrapping_sub(y),
                        SOp::Mul => x.wrapping_mul(y),
                        SOp::Div => unreachable!("rejected at compile"),
                        SOp::Neg => x.wrapping_neg(),
                    };
                }
            }
        }
    }

    fn scalar(&self, r: usize) -> Tensor {
        match self.dtypes[r] {
            DType::F32 => Tensor::scalar(self.f32s[r]),
            DType::F64 => Tensor::scalar(self.f64s[r]),
            _ => Tensor::scalar(self.i32s[r]),
        }
    }

    fn run_scan(
        mut self,
        length: usize,
        nc: usize,
        ncar: usize,
        reverse: bool,
        inputs: &[Tensor],
    ) -> Outputs {
        let invars = self.invars.clone();
        for (k, t) in inputs[..nc + ncar].iter().enumerate() {
            self.load(invars[k], t);
        }
        let ny = self.outs.len() - ncar;
        let mut ys: Vec<Vec<f64>> = vec![Vec::with_capacity(length); ny];
        let mut yi: Vec<Vec<i32>> = vec![Vec::new(); ny];
        let mut carry_tmp = vec![(0.0f32, 0.0f64, 0i32); ncar];
        for i in 0..length {
            let t = if reverse { length - 1 - i } else { i };
            for (k, x) in inputs[nc + ncar..].iter().enumerate() {
                let r = invars[nc + ncar + k];
                match x.array() {
                    ArrayData::F32(a) => self.f32s[r] = a.as_slice().expect("standard layout")[t],
                    ArrayData::F64(a) => self.f64s[r] = a.as_slice().expect("standard layout")[t],
                    ArrayData::I32(a) => self.i32s[r] = a.as_slice().expect("standard layout")[t],
                    _ => unreachable!("checked at compile"),
                }
            }
            self.step();
            for (k, y) in self.outs[ncar..].iter().enumerate() {
                match self.dtypes[*y] {
                    DType::F32 => ys[k].push(self.f32s[*y] as f64),
                    DType::F64 => ys[k].push(self.f64s[*y]),
                    _ => yi[k].push(self.i32s[*y]),
                }
            }
            // Carry outputs become carry inputs (read all before writing any).
            for (k, tmp) in carry_tmp.iter_mut().enumerate() {
                let o = self.outs[k];
                *tmp = (self.f32s[o], self.f64s[o], self.i32s[o]);
            }
            for (k, tmp) in carry_tmp.iter().enumerate() {
                let r = invars[nc + k];
                self.f32s[r] = tmp.0;
                self.f64s[r] = tmp.1;
                self.i32s[r] = tmp.2;
            }
        }
        let mut result: Outputs = (0..ncar).map(|k| self.scalar(invars[nc + k])).collect();
        for k in 0..ny {
            let dt = self.dtypes[self.outs[ncar + k]];
            let (mut f, mut n) = (std::mem::take(&mut ys[k]), std::mem::take(&mut yi[k]));
            if reverse {
                f.reverse();
                n.reverse();
            }
            result.push(match dt {
                DType::F32 => {
                    Tensor::from_vec(f.into_iter().map(|v| v as f32).collect(), &[length])
                }
                DType::F64 => Tensor::from_vec(f, &[length]),
                _ => Tensor::from_vec(n, &[length]),
            });
        }
        result
    }
}

// ---- Jaxpr analyses ---------------------------------------------------------------------

/// For each output of `j`: does it depend on an input marked in `marked`? With
/// `collectives_vary`, collectives (and loops/calls containing them) count as varying sources
/// (for batching: `axis_index` is batched without batched inputs).
fn depends(j: &Jaxpr, marked: &[bool], collectives_vary: bool) -> Vec<bool> {
    let mut m = vec![false; j.var_avals.len()];
    for (v, b) in j.invars.iter().zip(marked) {
        m[v.0 as usize] = *b;
    }
    for e in &j.eqns {
        let d = e
            .inputs
            .iter()
            .any(|a| matches!(a, Atom::Var(v) if m[v.0 as usize]))
            || (collectives_vary && has_collective(&e.prim));
        for o in &e.outputs {
            m[o.0 as usize] = d;
        }
    }
    j.outvars
        .iter()
        .map(|a| matches!(a, Atom::Var(v) if m[v.0 as usize]))
        .collect()
}

/// Is `p` a collective, or does one of its sub-jaxprs (recursively) contain one?
fn has_collective(p: &Prim) -> bool {
    matches!(p, Prim::Collective(_))
        || p.sub_jaxprs()
            .iter()
            .any(|j| j.eqns.iter().any(|e| has_collective(&e.prim)))
}

fn is_float(a: &Aval) -> bool {
    a.dtype.is_float()
}

// ---- Forward and reverse mode of scan ---------------------------------------------------

fn scan_params(op: &LoopOp) -> (&Arc<Jaxpr>, usize, usize, usize, bool, usize) {
    match op {
        LoopOp::Scan {
            jaxpr,
            length,
            num_consts,
            num_carry,
            reverse,
            unroll,
        } => (
            &jaxpr.0,
            *length,
            *num_consts,
            *num_carry,
            *reverse,
            *unroll,
        ),
        LoopOp::While { .. } => unreachable!("not a scan"),
    }
}

fn scan_prim(
    jaxpr: Arc<Jaxpr>,
    length: usize,
    num_consts: usize,
    num_carry: usize,
    reverse: bool,
    unroll: usize,
) -> Prim {
    Prim::Loop(LoopOp::Scan {
        jaxpr: SubJaxpr(jaxpr),
        length,
        num_consts,
        num_carry,
        reverse,
        unroll,
    })
}

fn scan_jvp(
    op: &LoopOp,
    primals: &[Tensor],
    tangents: &[Option<Tensor>],
) -> (Outputs, Vec<Option<Tensor>>) {
    let (body, length, nc, ncar, reverse, unroll) = scan_params(op);
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
        let (lin, captured) = crate::transforms::linearize_jaxpr_nz(body, &nz);
        let nres = lin.res_avals.len();
        let mut marked = vec![false; nres];
        marked.extend(std::iter::repeat_n(true, lin.tangent.invars.len() - nres));
        let out_nz: Vec<bool> = depends(&lin.tangent, &marked, false)
            .into_iter()
            .zip(body.out_avals())
            .map(|(d, a)| d && is_float(&a))
            .collect();
        let mut changed = false;
        for i in 0..ncar {
            if out_nz[i] && !nz[nc + i] {
                nz[nc + i] = true;
                changed = true;
            }
        }
        if !changed {
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
            t_ops.push(super::util::instantiate(&tangents[i], &primals[i]));
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

fn scan_transpose(op: &LoopOp, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
    let (body, length, nc, ncar, reverse, unroll) = scan_params(op);
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
        let (kc, rest) = a.split_at(nkc);
        let (acc, rest) = rest.split_at(nlc);
        let (ct_carry, rest) = rest.split_at(ncar);
        let (kx, ct_ys) = rest.split_at(nkx);
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
        let in_cts = crate::transforms::backward_pass(&j2, &known, &cts_out);
        let lin_avals = j2.in_avals();
        let mut in_cts: Vec<Tensor> = in_cts
            .into_iter()
            .zip(&lin_avals)
            .map(|(c, av)| c.unwrap_or_else(|| crate::transforms::zeros_of(av)))
            .collect();
        let rest = in_cts.split_off(nlc);
        let mut out: Vec<Tensor> = acc
            .iter()
            .zip(in_cts)
            .map(|(a, c)| crate::lax::add_any(a, &c))
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
            .map(|&i| crate::transforms::zeros_of(&args[i].aval())),
    );
    operands.extend((0..ncar).map(|k| {
        cts[k]
            .clone()
            .unwrap_or_else(|| crate::transforms::zeros_of(&body_out[k]))
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
fn at0(batched: &[bool]) -> Vec<Option<usize>> {
    batched.iter().map(|b| b.then_some(0)).collect()
}

fn scan_batch(
    op: &LoopOp,
    args: &[Tensor],
    dims: &[Option<usize>],
    axis: &BatchAxis,
) -> (Outputs, Vec<Option<usize>>) {
    let (body, length, nc, ncar, reverse, unroll) = scan_params(op);
    let n = args.len();
    let mut in_b: Vec<bool> = dims.iter().map(Option::is_some).collect();
    let out_b = loop {
        let out_b = depends(body, &in_b, true);
        let mut changed = false;
        for i in 0..ncar {
            if out_b[i] && !in_b[nc + i] {
                in_b[nc + i] = true;
                changed = true;
            }
        }
        if !changed {
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

// ---- while: forward mode and batching ---------------------------------------------------

fn while_params(op: &LoopOp) -> (&Arc<Jaxpr>, &Arc<Jaxpr>, usize, usize) {
    match op {
        LoopOp::While {
            cond_jaxpr,
            body_jaxpr,
            cond_nconsts,
            body_nconsts,
        } => (&cond_jaxpr.0, &body_jaxpr.0, *cond_nconsts, *body_nconsts),
        LoopOp::Scan { .. } => unreachable!("not a while"),
    }
}

fn while_prim(cond: Arc<Jaxpr>, body: Arc<Jaxpr>, cn: usize, bn: usize) -> Prim {
    Prim::Loop(LoopOp::While {
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

fn while_jvp(
    op: &LoopOp,
    primals: &[Tensor],
    tangents: &[Option<Tensor>],
) -> (Outputs, Vec<Option<Tensor>>) {
    let (cond, body, cn, bn) = while_params(op);
    let ncar = primals.len() - cn - bn;
    let body_in = body.in_avals();
    // Body inputs: body consts then carries; which have nonzero tangents (fixed point).
    let mut nz: Vec<bool> = (0..bn + ncar)
        .map(|i| tangents[cn + i].is_some() && is_float(&body_in[i]))
        .collect();
    loop {
        let d = depends(body, &nz, false);
        let mut changed = false;
        for k in 0..ncar {
            if d[k] && !nz[bn + k] && is_float(&body_in[bn + k]) {
                nz[bn + k] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let nz_carry: Vec<usize> = (0..ncar).filter(|&k| nz[bn + k]).collect();
    if nz_carry.is_empty() {
        let outs = bind(&Prim::Loop(op.clone()), primals);
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
        let (consts, rest) = a.split_at(nkc);
        let (tc, rest) = rest.split_at(ntc);
        let (carry, tcar) = rest.split_at(ncar);
        let mut full: Vec<Tensor> = consts.to_vec();
        full.extend_from_slice(carry);
        let nz_prim: Vec<Tensor> = full
            .iter()
            .zip(&nzc)
            .filter(|(_, z)| **z)
            .map(|(x, _)| x.clone())
            .collect();
        let nz_tan: Vec<Tensor> = tc.iter().chain(tcar).cloned().collect();
        let (ys, dys) = crate::transforms::jvp_flat(&nz_prim, &nz_tan, |v| {
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
        nz_carry
            .iter()
            .map(|&k| super::util::instantiate(&tangents[cn + bn + k], &primals[cn + bn + k])),
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
        bind(&Prim::Loop(op.clone()), primals)
    };
    let mut it = jouts.into_iter().skip(ncar);
    let touts = (0..ncar)
        .map(|k| if nz[bn + k] { it.next() } else { None })
        .collect();
    (outs, touts)
}

fn while_batch(
    op: &LoopOp,
    args: &[Tensor],
    dims: &[Option<usize>],
    axis: &BatchAxis,
) -> (Outputs, Vec<Option<usize>>) {
    let (cond, body, cn, bn) = while_params(op);
    let ncar = args.len() - cn - bn;
    let b: Vec<bool> = dims.iter().map(Option::is_some).collect();
    let cc_b = &b[..cn];
    let bc_b = &b[cn..cn + bn];
    let mut carry_b: Vec<bool> = b[cn + bn..].to_vec();
    loop {
        let mut in_b = bc_b.to_vec();
        in_b.extend_from_slice(&carry_b);
        let d = depends(body, &in_b, true);
        let mut changed = false;
        for k in 0..ncar {
            if d[k] && !carry_b[k] {
                carry_b[k] = true;
                changed = true;
            }
        }
        if !changed {
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
        vec![crate::lax::reduce_max(&p[0], &[0])]
    });
    let mut avals = cap1.iter().map(|t| t.aval()).collect::<Vec<_>>();
    avals.extend(cc_avals);
    avals.extend(bc_avals);
    avals.extend(carry_avals);
    let ncap1 = cap1.len();
    let (masked_body, cap2) = closure_convert(&avals, move |a| {
        let (_, rest) = a.split_at(ncap1);
        let (cc, rest) = rest.split_at(ncc);
        let (bc, carry) = rest.split_at(nbc);
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
                    crate::lax::broadcast_in_dim(&pred, old.shape(), &[0])
                };
                crate::lax::select_n(&p, &[old.clone(), new])
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
