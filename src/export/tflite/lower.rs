//! Lowering a jaxpr to TFLite builtin operators, equation by equation. Each value is a
//! tensor of the subgraph; captured constants keep their data at hand (in [`Lower::consts`])
//! so weights are transposed at export (convolution filters to OHWI, dense weights to
//! `[out, in]`) instead of in the model.

use super::graph::{ty, Graph, Opt};
use super::schema::{op, PADDING_SAME, PADDING_VALID};
use crate::core::{Atom, Aval, Eqn, Jaxpr};
use crate::export::{dim_product, unsupported, BatchDims, Dim, ExportError};
use crate::ops::{BinaryOp, ConvGeneralDilated, UnaryOp};
use crate::prims::cumulative::CumulativeKind;
use crate::prims::lax::RoundingMethod;
use crate::prims::window::WindowKind;
use crate::prims::{
    family, CumulativeOp, DotGeneral, ElementwiseOp, Family, IndexOp, ReduceOp, ReduceWindow,
    ShapeOp,
};
use crate::{DType, Tensor};
use std::collections::HashMap;

/// The lowering's state: the graph, the batch dims, the constants' values by tensor.
pub(crate) struct Lower<'a> {
    pub g: Graph,
    pub dims: Option<&'a BatchDims>,
    pub consts: HashMap<i32, Tensor>,
}

/// One equation being lowered.
struct Eq<'a> {
    j: &'a Jaxpr,
    e: &'a Eqn,
    ins: Vec<i32>,
    dims: Option<&'a BatchDims>,
}

impl Eq<'_> {
    fn unsupported(&self, detail: impl Into<String>) -> ExportError {
        unsupported(self.e.prim.name(), detail)
    }
    fn in_aval(&self, i: usize) -> Aval {
        self.j.atom_aval(&self.e.inputs[i])
    }
    fn out_aval(&self, i: usize) -> Aval {
        self.j.aval(self.e.outputs[i]).clone()
    }
    fn out_dims(&self, i: usize) -> Vec<Dim> {
        let v = self.e.outputs[i];
        match self.dims {
            Some(d) => d.of(self.j, v),
            None => self
                .j
                .aval(v)
                .shape
                .iter()
                .map(|&n| Dim::Fixed(n))
                .collect(),
        }
    }
}

impl Lower<'_> {
    /// A constant tensor (remembered, so later transposes of it are done at export).
    pub fn constant(&mut self, t: &Tensor) -> Result<i32, ExportError> {
        let i = self.g.constant(t)?;
        self.consts.insert(i, t.clone());
        Ok(i)
    }

    /// Lowers `j` with its constvars bound to `consts` and invars to `inputs`; returns the
    /// tensors of its outputs.
    pub fn jaxpr(
        &mut self,
        j: &Jaxpr,
        consts: &[i32],
        inputs: &[i32],
    ) -> Result<Vec<i32>, ExportError> {
        let mut env: Vec<Option<i32>> = vec![None; j.var_avals.len()];
        for (v, &n) in j.constvars.iter().zip(consts) {
            env[v.0 as usize] = Some(n);
        }
        for (v, &n) in j.invars.iter().zip(inputs) {
            env[v.0 as usize] = Some(n);
        }
        for (i, e) in j.eqns.iter().enumerate() {
            // An error names the user's line of the equation (or of the call inlined here).
            let outs = self
                .equation(j, i, e, &env)
                .map_err(|err| err.at(e.source))?;
            for (v, n) in e.outputs.iter().zip(outs) {
                env[v.0 as usize] = Some(n);
            }
        }
        j.outvars
            .iter()
            .map(|a| match a {
                Atom::Var(v) => Ok(env[v.0 as usize].expect("export: outputs are defined")),
                Atom::Lit(t) => self.constant(t),
            })
            .collect()
    }

    /// The tensors of equation `i` (`e`) of `j`, whose variables so far are in `env`.
    fn equation(
        &mut self,
        j: &Jaxpr,
        i: usize,
        e: &Eqn,
        env: &[Option<i32>],
    ) -> Result<Vec<i32>, ExportError> {
        let mut ins = Vec::with_capacity(e.inputs.len());
        for (k, a) in e.inputs.iter().enumerate() {
            ins.push(match (a, self.dims.and_then(|d| d.lit(j, i, k))) {
                (Atom::Lit(t), Some((scale, offset))) => {
                    let b = self.g.batch_affine(scale, offset)?;
                    self.convert(b, DType::I32, t.dtype(), &[Dim::Fixed(1)])?
                }
                (Atom::Lit(t), None) => self.constant(t)?,
                (Atom::Var(v), _) => {
                    env[v.0 as usize].expect("export: a jaxpr's variables are defined before use")
                }
            });
        }
        match e.prim.inlinable_body() {
            Some(body) => self.jaxpr(body, &[], &ins),
            None => {
                if !e.prim.sub_jaxprs().is_empty() {
                    return Err(unsupported(
                        e.prim.name(),
                        "control flow (cond, scan, while) is not lowered to TFLite; \
                         export the model to ONNX (If/Scan/Loop) instead",
                    ));
                }
                let q = Eq {
                    j,
                    e,
                    ins,
                    dims: self.dims,
                };
                self.eqn(&q)
            }
        }
    }

    fn eqn(&mut self, q: &Eq) -> Result<Vec<i32>, ExportError> {
        let one = |r: Result<i32, ExportError>| r.map(|t| vec![t]);
        match family(&q.e.prim) {
            Family::Unary(op) => one(self.unary(q, *op)),
            Family::Binary(op) => one(self.binary(q, *op)),
            Family::Elementwise(op) => one(self.elementwise(q, op)),
            Family::Reduce(op) => one(self.reduce(q, op)),
            Family::Shape(op) => one(self.shape(q, op)),
            Family::Dot(op) => one(self.dot(q, op)),
            Family::Conv(op) => one(self.conv(q, op)),
            Family::Other => self.other(q),
        }
    }

    /// A unary operator on `x` with `x`'s type.
    fn un(&mut self, code: i32, x: i32) -> Result<i32, ExportError> {
        let (dt, d) = (self.g.dtype(x), self.g.dims(x));
        self.g.op(code, &[x], dt, &d, None)
    }

    /// A binary operator with output `dtype` and `dims`.
    fn bin(
        &mut self,
        code: i32,
        a: i32,
        b: i32,
        dtype: DType,
        dims: &[Dim],
    ) -> Result<i32, ExportError> {
        self.g.op(code, &[a, b], dtype, dims, None)
    }

    /// `x` (of `from`) as `to`: bools through SELECT_V2 (1 or 0), others through CAST.
    fn convert(
        &mut self,
        x: i32,
        from: DType,
        to: DType,
        dims: &[Dim],
    ) -> Result<i32, ExportError> {
        if from == to {
            return Ok(x);
        }
        if from == DType::Bool {
            let (one, zero) = (self.g.scalar(1.0, to)?, self.g.scalar(0.0, to)?);
            return self.g.op(op::SELECT_V2, &[x, one, zero], to, dims, None);
        }
        let opt = Opt::Cast {
            from: ty(from)?,
            to: ty(to)?,
        };
        self.g.op(op::CAST, &[x], to, dims, Some(opt))
    }

    fn unary(&mut self, q: &Eq, u: UnaryOp) -> Result<i32, ExportError> {
        use UnaryOp::*;
        let x = q.ins[0];
        let dt = q.in_aval(0).dtype;
        let d = q.out_dims(0);
        let float = matches!(dt, DType::F32 | DType::F16 | DType::F64 | DType::BF16);
        let code = match u {
            Exp => op::EXP,
            Log => op::LOG,
            Tanh => op::TANH,
            Logistic => op::LOGISTIC,
            Sqrt => op::SQRT,
            Rsqrt => op::RSQRT,
            Abs => op::ABS,
            Sin => op::SIN,
            Cos => op::COS,
            Floor => op::FLOOR,
            Ceil => op::CEIL,
            Sign => op::SIGN,
            Round(RoundingMethod::ToNearestEven) => op::ROUND,
            Not if dt == DType::Bool => op::LOGICAL_NOT,
            StopGradient | Copy => return Ok(x),
            Neg => {
                // x * -1 (exact; TFLite's NEG is missing from some runtimes).
                let m = self.g.scalar(-1.0, dt)?;
                return self.bin(op::MUL, x, m, dt, &d);
            }
            Square => return self.bin(op::MUL, x, x, dt, &d),
            IntegerPow(n) if n > 0 => {
                let mut acc = x;
                for _ in 1..n {
                    acc = self.bin(op::MUL, acc, x, dt, &d)?;
                }
                return Ok(acc);
            }
            Log1p if float => {
                let one = self.g.scalar(1.0, dt)?;
                let s = self.bin(op::ADD, x, one, dt, &d)?;
                return self.un(op::LOG, s);
            }
            Expm1 if float => {
                let one = self.g.scalar(1.0, dt)?;
                let e = self.un(op::EXP, x)?;
                return self.bin(op::SUB, e, one, dt, &d);
            }
            _ => return Err(q.unsupported("no TFLite builtin operator for it")),
        };
        self.g.op(code, &[x], dt, &d, None)
    }

    fn binary(&mut self, q: &Eq, b: BinaryOp) -> Result<i32, ExportError> {
        use BinaryOp::*;
        let dt = q.in_aval(0).dtype;
        let code = match b {
            Add | AddAny => op::ADD,
            Sub => op::SUB,
            Mul => op::MUL,
            Div => op::DIV,
            Pow => op::POW,
            Max => op::MAXIMUM,
            Min => op::MINIMUM,
            Eq => op::EQUAL,
            Ne => op::NOT_EQUAL,
            Lt => op::LESS,
            Le => op::LESS_EQUAL,
            Gt => op::GREATER,
            Ge => op::GREATER_EQUAL,
            Atan2 => op::ATAN2,
            And if dt == DType::Bool => op::LOGICAL_AND,
            Or if dt == DType::Bool => op::LOGICAL_OR,
            _ => return Err(q.unsupported("no TFLite builtin operator for it")),
        };
        let (od, odims) = (q.out_aval(0).dtype, q.out_dims(0));
        self.bin(code, q.ins[0], q.ins[1], od, &odims)
    }

    fn elementwise(&mut self, q: &Eq, e: &ElementwiseOp) -> Result<i32, ExportError> {
        let (od, d) = (q.out_aval(0).dtype, q.out_dims(0));
        match e {
            ElementwiseOp::SelectN => {
                let which = q.ins[0];
                let cases = &q.ins[1..];
                if q.in_aval(0).dtype == DType::Bool {
                    return self
                        .g
                        .op(op::SELECT_V2, &[which, cases[1], cases[0]], od, &d, None);
                }
                let wdt = q.in_aval(0).dtype;
                let wd = self.g.dims(which);
                let mut acc = cases[cases.len() - 1];
                for k in (0..cases.len() - 1).rev() {
                    let kk = self.g.scalar(k as f64, wdt)?;
                    let is_k = self.bin(op::EQUAL, which, kk, DType::Bool, &wd)?;
                    acc = self
                        .g
                        .op(op::SELECT_V2, &[is_k, cases[k], acc], od, &d, None)?;
                }
                Ok(acc)
            }
            ElementwiseOp::Clamp => {
                let m = self.bin(op::MAXIMUM, q.ins[1], q.ins[0], od, &d)?;
                self.bin(op::MINIMUM, m, q.ins[2], od, &d)
            }
            ElementwiseOp::ConvertElementType(to) => {
                self.convert(q.ins[0], q.in_aval(0).dtype, *to, &d)
            }
        }
    }

    fn reduce(&mut self, q: &Eq, r: &ReduceOp) -> Result<i32, ExportError> {
        let axes: Vec<i64> = r.axes().iter().map(|&a| a as i64).collect();
        let x = q.ins[0];
        if axes.is_empty() {
            return Ok(x);
        }
        if q.in_aval(0).dtype == DType::Bool {
            return Err(q.unsupported("boolean reductions"));
        }
        let (od, d) = (q.out_aval(0).dtype, q.out_dims(0));
        let a = self.g.ints(&axes);
        let (code, opt) = match r {
            ReduceOp::Sum { .. } => (op::SUM, Opt::Reducer),
            ReduceOp::Max { .. } => (op::REDUCE_MAX, Opt::Reducer),
            ReduceOp::Min { .. } => (op::REDUCE_MIN, Opt::Reducer),
            ReduceOp::Prod { .. } => (op::REDUCE_PROD, Opt::Reducer),
            ReduceOp::Argmax { index_dtype, .. } => (
                op::ARG_MAX,
                Opt::ArgMax {
                    output_type: ty(*index_dtype)?,
                },
            ),
            ReduceOp::Argmin { index_dtype, .. } => (
                op::ARG_MIN,
                Opt::ArgMin {
                    output_type: ty(*index_dtype)?,
                },
            ),
        };
        self.g.op(code, &[x, a], od, &d, Some(opt))
    }

    /// `x` reshaped to `dims` (nothing when it has them): a constant target with `-1` for
    /// the one batch-derived dim, or one built at run time.
    fn reshape(&mut self, x: i32, dims: &[Dim]) -> Result<i32, ExportError> {
        if self.g.dims(x) == dims {
            return Ok(x);
        }
        if let Some(t) = self.consts.get(&x)
            && dims.iter().all(|d| matches!(d, Dim::Fixed(_)))
        {
            let shape: Vec<usize> = dims
                .iter()
                .map(|d| match d {
                    Dim::Fixed(n) => *n,
                    Dim::Batch { .. } => unreachable!(),
                })
                .collect();
            let t = crate::core::with_trace(None, || t.reshape(&shape_isize(&shape)));
            return self.constant(&t);
        }
        let nb = dims
            .iter()
            .filter(|d| matches!(d, Dim::Batch { .. }))
            .count();
        let s = if nb == 1 {
            let v: Vec<i64> = dims
                .iter()
                .map(|d| match d {
                    Dim::Fixed(n) => *n as i64,
                    Dim::Batch { .. } => -1,
                })
                .collect();
            self.g.ints(&v)
        } else {
            self.g.shape_tensor(dims)?
        };
        let dt = self.g.dtype(x);
        self.g.op(op::RESHAPE, &[x, s], dt, dims, None)
    }

    /// `x` transposed by `perm`: a new constant when `x` is one, else TRANSPOSE.
    fn transpose(&mut self, x: i32, perm: &[usize]) -> Result<i32, ExportError> {
        if perm.iter().enumerate().all(|(i, &p)| i == p) {
            return Ok(x);
        }
        if let Some(t) = self.consts.get(&x) {
            let t = crate::core::with_trace(None, || crate::prims::lax::transpose(t, perm));
            return self.constant(&t);
        }
        let d = self.g.dims(x);
        let out: Vec<Dim> = perm.iter().map(|&p| d[p]).collect();
        let p = self
            .g
            .ints(&perm.iter().map(|&p| p as i64).collect::<Vec<_>>());
        let dt = self.g.dtype(x);
        self.g.op(op::TRANSPOSE, &[x, p], dt, &out, None)
    }

    /// A STRIDED_SLICE of `x` (`None` bounds: the whole dim, through the masks).
    fn strided_slice(
        &mut self,
        x: i32,
        begin: &[Option<i64>],
        end: &[Option<i64>],
        strides: &[i64],
        out: &[Dim],
    ) -> Result<i32, ExportError> {
        let mut bm = 0;
        let mut em = 0;
        for (i, (b, e)) in begin.iter().zip(end).enumerate() {
            if b.is_none() {
                bm |= 1 << i;
            }
            if e.is_none() {
                em |= 1 << i;
            }
        }
        let b = self
            .g
            .ints(&begin.iter().map(|b| b.unwrap_or(0)).collect::<Vec<_>>());
        let e = self
            .g
            .ints(&end.iter().map(|e| e.unwrap_or(0)).collect::<Vec<_>>());
        let s = self.g.ints(strides);
        let dt = self.g.dtype(x);
        self.g.op(
            op::STRIDED_SLICE,
            &[x, b, e, s],
            dt,
            out,
            Some(Opt::StridedSlice {
                begin_mask: bm,
                end_mask: em,
            }),
        )
    }

    fn shape(&mut self, q: &Eq, s: &ShapeOp) -> Result<i32, ExportError> {
        let out = q.out_dims(0);
        let od = q.out_aval(0).dtype;
        match s {
            ShapeOp::BroadcastInDim {
                broadcast_dimensions,
                ..
            } => {
                let x = q.ins[0];
                let in_dims = self.g.dims(x);
                if broadcast_dimensions.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(q.unsupported("broadcast_dimensions that are not increasing"));
                }
                let expanded: Vec<Dim> = (0..out.len())
                    .map(
                        |d| match broadcast_dimensions.iter().position(|&b| b == d) {
                            Some(i) => in_dims[i],
                            None => Dim::Fixed(1),
                        },
                    )
                    .collect();
                let x = self.reshape(x, &expanded)?;
                if expanded == out {
                    return Ok(x);
                }
                let shape = self.g.shape_tensor(&out)?;
                self.g.op(op::BROADCAST_TO, &[x, shape], od, &out, None)
            }
            ShapeOp::Reshape { .. } | ShapeOp::Squeeze { .. } => self.reshape(q.ins[0], &out),
            ShapeOp::Transpose { permutation } => self.transpose(q.ins[0], permutation),
            ShapeOp::Rev { dimensions } => {
                if dimensions.is_empty() {
                    return Ok(q.ins[0]);
                }
                let a = self
                    .g
                    .ints(&dimensions.iter().map(|&d| d as i64).collect::<Vec<_>>());
                self.g.op(op::REVERSE_V2, &[q.ins[0], a], od, &out, None)
            }
            ShapeOp::Concatenate { dimension } => self.g.op(
                op::CONCATENATION,
                &q.ins,
                od,
                &out,
                Some(Opt::Concatenation {
                    axis: *dimension as i32,
                }),
            ),
            ShapeOp::Pad { padding_config } => self.pad(q, padding_config),
            ShapeOp::Slice {
                start_indices,
                limit_indices,
                strides,
            } => {
                let x = q.ins[0];
                let in_dims = self.g.dims(x);
                let shape = q.in_aval(0).shape;
                let mut begin = Vec::new();
                let mut end = Vec::new();
                let mut st = Vec::new();
                for d in 0..in_dims.len() {
                    let (s, l) = (start_indices[d] as i64, limit_indices[d] as i64);
                    let full = shape[d] as i64;
                    st.push(strides.as_ref().map_or(1, |v| v[d]) as i64);
                    begin.push(if s == 0 { None } else { Some(s) });
                    // A batch-derived dim keeps an end at the back relative to the back.
                    end.push(if l == full {
                        None
                    } else if matches!(in_dims[d], Dim::Batch { .. })
                        && matches!(out[d], Dim::Batch { .. })
                    {
                        Some(l - full)
                    } else {
                        Some(l)
                    });
                }
                self.strided_slice(x, &begin, &end, &st, &out)
            }
            ShapeOp::Iota { .. } => {
                if out.iter().any(|d| matches!(d, Dim::Batch { .. })) {
                    return Err(q.unsupported("an iota whose shape follows the batch"));
                }
                let t = crate::passes::eval_now(&q.e.prim, &[])[0].clone();
                self.constant(&t)
            }
        }
    }

    /// `pad`: PADV2 for the low/high padding, STRIDED_SLICE for negative (cropping) parts.
    fn pad(&mut self, q: &Eq, config: &[(i64, i64, i64)]) -> Result<i32, ExportError> {
        if config.iter().any(|c| c.2 != 0) {
            return Err(q.unsupported("interior padding has no TFLite form"));
        }
        let mut x = q.ins[0];
        let dt = q.in_aval(0).dtype;
        let mut dims = self.g.dims(x);
        if config.iter().any(|c| c.0 > 0 || c.1 > 0) {
            let mut p = Vec::new();
            for (d, c) in config.iter().enumerate() {
                let (lo, hi) = (c.0.max(0), c.1.max(0));
                p.extend([lo as i32, hi as i32]);
                dims[d] = add_dim(dims[d], lo + hi);
            }
            let n = config.len();
            let pads = self.constant(&Tensor::from_vec(p, &[n, 2]))?;
            x = self
                .g
                .op(op::PADV2, &[x, pads, q.ins[1]], dt, &dims, None)?;
        }
        if config.iter().any(|c| c.0 < 0 || c.1 < 0) {
            let begin: Vec<Option<i64>> =
                config.iter().map(|c| (c.0 < 0).then_some(-c.0)).collect();
            let end: Vec<Option<i64>> = config.iter().map(|c| (c.1 < 0).then_some(c.1)).collect();
            let st = vec![1; config.len()];
            x = self.strided_slice(x, &begin, &end, &st, &q.out_dims(0))?;
        }
        Ok(x)
    }

    fn dot(&mut self, q: &Eq, d: &DotGeneral) -> Result<i32, ExportError> {
        let (lhs, rhs) = (q.ins[0], q.ins[1]);
        let (la, ra) = (q.in_aval(0), q.in_aval(1));
        let (lr, rr) = (la.ndim(), ra.ndim());
        let (od, out) = (q.out_aval(0).dtype, q.out_dims(0));
        let in_dt = la.dtype;
        let ld = self.g.dims(lhs);
        let rd = self.g.dims(rhs);
        let lfree: Vec<usize> = (0..lr)
            .filter(|i| !d.lhs_batch.contains(i) && !d.lhs_contracting.contains(i))
            .collect();
        let rfree: Vec<usize> = (0..rr)
            .filter(|i| !d.rhs_batch.contains(i) && !d.rhs_contracting.contains(i))
            .collect();
        // A dense layer: FULLY_CONNECTED on [rows, in] with the constant weights as
        // [out, in] and a zero bias (leading dims merged into rows and split back).
        if d.lhs_batch.is_empty()
            && d.lhs_contracting.len() == 1
            && d.lhs_contracting[0] == lr - 1
            && lr >= 2
            && rr == 2
            && self.consts.contains_key(&rhs)
            && in_dt == DType::F32
            && let Some(rows) = dim_product(&ld[..lr - 1])
        {
            let w = if d.rhs_contracting[0] == 1 {
                rhs
            } else {
                self.transpose(rhs, &[1, 0])?
            };
            let nout = ra.shape[1 - d.rhs_contracting[0]];
            let x2 = self.reshape(lhs, &[rows, ld[lr - 1]])?;
            let bias = self.constant(&Tensor::zeros(&[nout], in_dt))?;
            let y = self.g.op(
                op::FULLY_CONNECTED,
                &[x2, w, bias],
                in_dt,
                &[rows, Dim::Fixed(nout)],
                Some(Opt::FullyConnected {
                    keep_num_dims: false,
                }),
            )?;
            let y = self.reshape(y, &out)?;
            return self.convert(y, in_dt, od, &out);
        }
        // Otherwise BATCH_MATMUL on [batch..., m, k] x [batch..., k, n].
        let prod = |q: &Eq, ds: Vec<Dim>| {
            dim_product(&ds).ok_or_else(|| q.unsupported("two batch-derived dims merged"))
        };
        let batch: Vec<Dim> = d.lhs_batch.iter().map(|&i| ld[i]).collect();
        let lperm: Vec<usize> = d
            .lhs_batch
            .iter()
            .chain(&lfree)
            .chain(&d.lhs_contracting)
            .copied()
            .collect();
        let rperm: Vec<usize> = d
            .rhs_batch
            .iter()
            .chain(&d.rhs_contracting)
            .chain(&rfree)
            .copied()
            .collect();
        let m = prod(q, lfree.iter().map(|&i| ld[i]).collect())?;
        let k = prod(q, d.lhs_contracting.iter().map(|&i| ld[i]).collect())?;
        let n = prod(q, rfree.iter().map(|&i| rd[i]).collect())?;
        let l3: Vec<Dim> = batch.iter().copied().chain([m, k]).collect();
        let r3: Vec<Dim> = batch.iter().copied().chain([k, n]).collect();
        let y3: Vec<Dim> = batch.iter().copied().chain([m, n]).collect();
        let l = self.transpose(lhs, &lperm)?;
        let l = self.reshape(l, &l3)?;
        let r = self.transpose(rhs, &rperm)?;
        let r = self.reshape(r, &r3)?;
        let y = self.g.op(
            op::BATCH_MATMUL,
            &[l, r],
            in_dt,
            &y3,
            Some(Opt::BatchMatMul),
        )?;
        let y = self.reshape(y, &out)?;
        self.convert(y, in_dt, od, &out)
    }

    fn conv(&mut self, q: &Eq, c: &ConvGeneralDilated) -> Result<i32, ExportError> {
        if c.lhs_dilation.iter().any(|&d| d != 1) {
            return Err(q.unsupported("lhs dilation (a transposed convolution)"));
        }
        if c.batch_group_count != 1 {
            return Err(q.unsupported("batch_group_count > 1"));
        }
        let dn = &c.dimension_numbers;
        if dn.lhs_spec.len() != 4 {
            return Err(q.unsupported("TFLite's CONV_2D has exactly two spatial dims"));
        }
        if c.padding.iter().any(|p| p.0 < 0 || p.1 < 0) {
            return Err(q.unsupported("negative padding"));
        }
        let (ls, rs, os) = (&dn.lhs_spec, &dn.rhs_spec, &dn.out_spec);
        let (xa, wa) = (q.in_aval(0), q.in_aval(1));
        let dt = xa.dtype;
        let x = self.transpose(q.ins[0], &[ls[0], ls[2], ls[3], ls[1]])?;
        let xd = self.g.dims(x);
        let (ch, o, i) = (xa.shape[ls[1]], wa.shape[rs[0]], wa.shape[rs[1]]);
        let k = [wa.shape[rs[2]], wa.shape[rs[3]]];
        let stride = [c.window_strides[0] as i32, c.window_strides[1] as i32];
        let dilation = [c.rhs_dilation[0] as i32, c.rhs_dilation[1] as i32];
        let pads: Vec<(i64, i64)> = c.padding.clone();
        let spatial = [xa.shape[ls[2]], xa.shape[ls[3]]];
        let padding = self.padding(
            q,
            x,
            &xd,
            spatial,
            k,
            c.window_strides.as_slice(),
            &c.rhs_dilation,
            &pads,
            DType::F32,
        )?;
        let (x, padding) = padding;
        let out = q.out_dims(0);
        let nhwc_axes = [os[0], os[2], os[3], os[1]];
        let yd: Vec<Dim> = nhwc_axes.iter().map(|&a| out[a]).collect();
        let bias = self.constant(&Tensor::zeros(&[o], dt))?;
        let y = if c.feature_group_count == 1 {
            let w = self.transpose(q.ins[1], &[rs[0], rs[2], rs[3], rs[1]])?;
            self.g.op(
                op::CONV_2D,
                &[x, w, bias],
                dt,
                &yd,
                Some(Opt::Conv2D {
                    padding,
                    stride,
                    dilation,
                }),
            )?
        } else if c.feature_group_count == ch && i == 1 {
            let w = self.transpose(q.ins[1], &[rs[1], rs[2], rs[3], rs[0]])?;
            self.g.op(
                op::DEPTHWISE_CONV_2D,
                &[x, w, bias],
                dt,
                &yd,
                Some(Opt::Depthwise {
                    padding,
                    stride,
                    dilation,
                    multiplier: (o / ch) as i32,
                }),
            )?
        } else {
            return Err(
                q.unsupported("grouped convolution other than depthwise (groups = channels)")
            );
        };
        let mut perm = [0; 4];
        for (kk, &a) in nhwc_axes.iter().enumerate() {
            perm[a] = kk;
        }
        self.transpose(y, &perm)
    }

    /// TFLite padding for a window op on NHWC `x` (spatial dims 1, 2): SAME or VALID when
    /// the explicit padding is one of them, else a PAD of `x` and VALID.
    #[allow(clippy::too_many_arguments)]
    fn padding(
        &mut self,
        q: &Eq,
        x: i32,
        xd: &[Dim],
        spatial: [usize; 2],
        k: [usize; 2],
        strides: &[usize],
        dil: &[usize],
        pads: &[(i64, i64)],
        _dt: DType,
    ) -> Result<(i32, i8), ExportError> {
        if pads.iter().all(|p| *p == (0, 0)) {
            return Ok((x, PADDING_VALID));
        }
        let same = (0..2).all(|s| {
            let (n, st) = (spatial[s] as i64, strides[s] as i64);
            let eff = (k[s] as i64 - 1) * dil[s] as i64 + 1;
            let outn = (n + st - 1) / st;
            let total = ((outn - 1) * st + eff - n).max(0);
            pads[s] == (total / 2, total - total / 2)
        });
        if same {
            return Ok((x, PADDING_SAME));
        }
        let _ = q;
        let p = vec![
            0,
            0,
            pads[0].0 as i32,
            pads[0].1 as i32,
            pads[1].0 as i32,
            pads[1].1 as i32,
            0,
            0,
        ];
        let pt = self.constant(&Tensor::from_vec(p, &[4, 2]))?;
        let mut d = xd.to_vec();
        d[1] = add_dim(d[1], pads[0].0 + pads[0].1);
        d[2] = add_dim(d[2], pads[1].0 + pads[1].1);
        let dt = self.g.dtype(x);
        let y = self.g.op(op::PAD, &[x, pt], dt, &d, None)?;
        Ok((y, PADDING_VALID))
    }

    fn reduce_window(&mut self, q: &Eq, r: &ReduceWindow) -> Result<i32, ExportError> {
        let n = q.in_aval(0).ndim();
        let plain = |d: usize| {
            r.window_dimensions[d] == 1 && r.window_strides[d] == 1 && r.padding[d] == (0, 0)
        };
        if n != 4 || !plain(0) || !plain(3) {
            return Err(q.unsupported(
                "only windows over dims 1 and 2 of a rank-4 (NHWC) operand map to TFLite pools",
            ));
        }
        if r.base_dilation.iter().any(|&d| d != 1) || r.window_dilation.iter().any(|&d| d != 1) {
            return Err(q.unsupported("dilated windows have no TFLite pool"));
        }
        let x = q.ins[0];
        let xa = q.in_aval(0);
        let dt = xa.dtype;
        let k = [r.window_dimensions[1], r.window_dimensions[2]];
        let stride = [r.window_strides[1] as i32, r.window_strides[2] as i32];
        let pads = [r.padding[1], r.padding[2]];
        let out = q.out_dims(0);
        let xd = self.g.dims(x);
        let spatial = [xa.shape[1], xa.shape[2]];
        let st = [r.window_strides[1], r.window_strides[2]];
        let filter = [k[0] as i32, k[1] as i32];
        match r.kind {
            WindowKind::Max | WindowKind::Min => {
                if pads.iter().any(|p| *p != (0, 0)) {
                    // SAME max pooling ignores the padding, as -inf padding does.
                    let (_, p) = self.padding(q, x, &xd, spatial, k, &st, &[1, 1], &pads, dt)?;
                    if p != PADDING_SAME {
                        return Err(q.unsupported("padding other than SAME or VALID"));
                    }
                }
                let padding = if pads.iter().all(|p| *p == (0, 0)) {
                    PADDING_VALID
                } else {
                    PADDING_SAME
                };
                let opt = Opt::Pool2D {
                    padding,
                    stride,
                    filter,
                };
                if r.kind == WindowKind::Max {
                    self.g.op(op::MAX_POOL_2D, &[x], dt, &out, Some(opt))
                } else {
                    let m1 = self.g.scalar(-1.0, dt)?;
                    let nx = self.bin(op::MUL, x, m1, dt, &xd)?;
                    let p = self.g.op(op::MAX_POOL_2D, &[nx], dt, &out, Some(opt))?;
                    self.bin(op::MUL, p, m1, dt, &out)
                }
            }
            WindowKind::Sum => {
                if pads.iter().any(|p| *p != (0, 0)) {
                    return Err(q.unsupported(
                        "a padded window sum (TFLite's average pool does not count padding)",
                    ));
                }
                let avg = self.g.op(
                    op::AVERAGE_POOL_2D,
                    &[x],
                    dt,
                    &out,
                    Some(Opt::Pool2D {
                        padding: PADDING_VALID,
                        stride,
                        filter,
                    }),
                )?;
                let s = self.g.scalar((k[0] * k[1]) as f64, dt)?;
                self.bin(op::MUL, avg, s, dt, &out)
            }
        }
    }

    /// `gather` in the form of `take` along one axis (embedding lookups): GATHER, then a
    /// transpose to JAX's output order.
    fn gather(&mut self, q: &Eq, g: &IndexOp) -> Result<i32, ExportError> {
        let operand = q.in_aval(0);
        let idx = q.in_aval(1);
        let (axis, dn) =
            super::super::take_axis(g, &operand, &idx).map_err(|why| q.unsupported(why))?;
        let it = idx.dtype;
        let id = self.g.dims(q.ins[1]);
        let bd = &id[..id.len() - 1];
        let i = self.reshape(q.ins[1], bd)?;
        // Clamp into range, as XLA's gather does.
        let (lo, hi) = (
            self.g.scalar(0.0, it)?,
            self.g.scalar(operand.shape[axis] as f64 - 1.0, it)?,
        );
        let i = self.bin(op::MAXIMUM, i, lo, it, bd)?;
        let i = self.bin(op::MINIMUM, i, hi, it, bd)?;
        let od = self.g.dims(q.ins[0]);
        let gd: Vec<Dim> = od[..axis]
            .iter()
            .chain(bd)
            .chain(&od[axis + 1..])
            .copied()
            .collect();
        let y = self.g.op(
            op::GATHER,
            &[q.ins[0], i],
            operand.dtype,
            &gd,
            Some(Opt::Gather { axis: axis as i32 }),
        )?;
        let nb = bd.len();
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
        self.transpose(y, &perm)
    }

    fn other(&mut self, q: &Eq) -> Result<Vec<i32>, ExportError> {
        let prim = &q.e.prim;
        if let Some(r) = prim.downcast::<ReduceWindow>() {
            return Ok(vec![self.reduce_window(q, r)?]);
        }
        if let Some(g @ IndexOp::Gather { .. }) = prim.downcast::<IndexOp>() {
            return Ok(vec![self.gather(q, g)?]);
        }
        if let Some(c) = prim.downcast::<CumulativeOp>() {
            if c.kind != CumulativeKind::Sum {
                return Err(q.unsupported("TFLite has CUMSUM only"));
            }
            let axis = self
                .g
                .constant(&Tensor::from_vec(vec![c.axis as i32], &[]))?;
            let (od, d) = (q.out_aval(0).dtype, q.out_dims(0));
            return Ok(vec![self.g.op(
                op::CUMSUM,
                &[q.ins[0], axis],
                od,
                &d,
                Some(Opt::Cumsum { reverse: c.reverse }),
            )?]);
        }
        if let Some(s) = prim.downcast::<crate::prims::split::Split>() {
            let x = q.ins[0];
            let r = self.g.dims(x).len();
            let mut start = 0i64;
            let mut pieces = Vec::new();
            for (p, &size) in s.sizes.iter().enumerate() {
                let begin: Vec<Option<i64>> =
                    (0..r).map(|d| (d == s.axis).then_some(start)).collect();
                let end: Vec<Option<i64>> = (0..r)
                    .map(|d| (d == s.axis).then_some(start + size as i64))
                    .collect();
                let out = q.out_dims(p);
                pieces.push(self.strided_slice(x, &begin, &end, &vec![1; r], &out)?);
                start += size as i64;
            }
            return Ok(pieces);
        }
        Err(q.unsupported("no TFLite lowering"))
    }
}

/// `d + n`.
fn add_dim(d: Dim, n: i64) -> Dim {
    match d {
        Dim::Fixed(m) => Dim::Fixed((m as i64 + n) as usize),
        Dim::Batch { scale, offset } => Dim::Batch {
            scale,
            offset: offset + n,
        },
    }
}

fn shape_isize(s: &[usize]) -> Vec<isize> {
    s.iter().map(|&n| n as isize).collect()
}
