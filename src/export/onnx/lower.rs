//! Lowering a jaxpr to ONNX nodes: the walk over equations, and the elementwise families
//! (unary, binary, comparisons, `select_n`, `clamp`, `convert_element_type`). Shapes and
//! reductions are in `lower_shape.rs`; matmul, convolution, windows, gathers and the rest in
//! `lower_nn.rs`.

use super::builder::{attr_i, Emitter};
use super::{lower_nn, lower_shape};
use crate::core::{Atom, Aval, Eqn, Jaxpr};
use crate::export::{unsupported, BatchDims, Dim, ExportError};
use crate::ops::{BinaryOp, UnaryOp};
use crate::prims::lax::RoundingMethod;
use crate::prims::{family, ElementwiseOp, Family};
use crate::DType;

/// What the lowering of every equation may read: which dims derive from the batch.
pub(crate) struct Cx<'a> {
    pub dims: Option<&'a BatchDims>,
    /// The captured constants by initializer name (so weights are transposed at export).
    pub consts: std::collections::HashMap<String, crate::Tensor>,
}

/// One equation being lowered: the jaxpr it belongs to, the equation and the ONNX names of
/// its operands.
pub(crate) struct Eq<'a> {
    pub j: &'a Jaxpr,
    pub e: &'a Eqn,
    pub ins: Vec<String>,
    pub cx: &'a Cx<'a>,
}

impl Eq<'_> {
    /// The primitive's name (for errors).
    pub fn name(&self) -> &'static str {
        self.e.prim.name()
    }

    /// `Unsupported` for this equation's primitive.
    pub fn unsupported(&self, detail: impl Into<String>) -> ExportError {
        unsupported(self.name(), detail)
    }

    /// The type of operand `i`.
    pub fn in_aval(&self, i: usize) -> Aval {
        self.j.atom_aval(&self.e.inputs[i])
    }

    /// The type of output `i`.
    pub fn out_aval(&self, i: usize) -> Aval {
        self.j.aval(self.e.outputs[i]).clone()
    }

    /// Operand `i`'s dims (batch-derived ones marked).
    pub fn in_dims(&self, i: usize) -> Vec<Dim> {
        match &self.e.inputs[i] {
            Atom::Var(v) => self.var_dims(*v),
            Atom::Lit(t) => t.shape().iter().map(|&n| Dim::Fixed(n)).collect(),
        }
    }

    /// Output `i`'s dims (batch-derived ones marked).
    pub fn out_dims(&self, i: usize) -> Vec<Dim> {
        self.var_dims(self.e.outputs[i])
    }

    fn var_dims(&self, v: crate::core::Var) -> Vec<Dim> {
        match self.cx.dims {
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

    /// The ONNX name of operand `i`.
    pub fn in_name(&self, i: usize) -> &str {
        &self.ins[i]
    }
}

/// Lowers `j` with its constvars bound to `consts` and invars to `inputs` (ONNX names);
/// returns the names of its outputs.
pub(crate) fn lower_jaxpr(
    em: &mut Emitter,
    cx: &Cx,
    j: &Jaxpr,
    consts: &[String],
    inputs: &[String],
) -> Result<Vec<String>, ExportError> {
    let mut env: Vec<Option<String>> = vec![None; j.var_avals.len()];
    for (v, n) in j.constvars.iter().zip(consts) {
        env[v.0 as usize] = Some(n.clone());
    }
    for (v, n) in j.invars.iter().zip(inputs) {
        env[v.0 as usize] = Some(n.clone());
    }
    let read =
        |em: &mut Emitter, env: &[Option<String>], a: &Atom| -> Result<String, ExportError> {
            match a {
                Atom::Var(v) => Ok(env[v.0 as usize]
                    .clone()
                    .expect("export: a jaxpr's variables are defined before use")),
                Atom::Lit(t) => em.constant(t),
            }
        };
    for (i, e) in j.eqns.iter().enumerate() {
        // An error names the user's line of the equation (or of the call it was inlined from).
        let at = |err: ExportError| err.at(e.source);
        let mut ins = Vec::with_capacity(e.inputs.len());
        for (k, a) in e.inputs.iter().enumerate() {
            ins.push(match (a, cx.dims.and_then(|d| d.lit(j, i, k))) {
                (Atom::Lit(t), Some((scale, offset))) => {
                    batch_scalar(em, scale, offset, t.dtype()).map_err(at)?
                }
                _ => read(em, &env, a).map_err(at)?,
            });
        }
        let outs = match e.prim.inlinable_body() {
            Some(body) => lower_jaxpr(em, cx, body, &[], &ins),
            None => lower_eqn(em, &Eq { j, e, ins, cx }),
        }
        .map_err(at)?;
        for (v, n) in e.outputs.iter().zip(outs) {
            env[v.0 as usize] = Some(n);
        }
    }
    j.outvars.iter().map(|a| read(em, &env, a)).collect()
}

/// The rank-0 value `scale * batch + offset` as `dtype` (a literal that follows the batch).
fn batch_scalar(
    em: &mut Emitter,
    scale: i64,
    offset: i64,
    dtype: DType,
) -> Result<String, ExportError> {
    let d = em.shape_tensor(&[Dim::Batch { scale, offset }]);
    let axis = em.ints(&[0]);
    let d = em.node("Squeeze", &[&d, &axis], vec![]);
    let to = super::builder::elem_type(dtype)? as i64;
    Ok(em.node("Cast", &[&d], vec![attr_i("to", to)]))
}

/// The ONNX nodes of one equation; returns its outputs' names.
fn lower_eqn(em: &mut Emitter, q: &Eq) -> Result<Vec<String>, ExportError> {
    let one = |r: Result<String, ExportError>| r.map(|s| vec![s]);
    match family(&q.e.prim) {
        Family::Unary(op) => one(unary(em, q, *op)),
        Family::Binary(op) => one(binary(em, q, *op)),
        Family::Elementwise(op) => one(elementwise(em, q, op)),
        Family::Reduce(op) => one(lower_shape::reduce(em, q, op)),
        Family::Shape(op) => one(lower_shape::shape(em, q, op)),
        Family::Dot(op) => one(lower_nn::dot(em, q, op)),
        Family::Conv(op) => one(lower_nn::conv(em, q, op)),
        Family::Other => lower_nn::other(em, q),
    }
}

fn unary(em: &mut Emitter, q: &Eq, op: UnaryOp) -> Result<String, ExportError> {
    use UnaryOp::*;
    let x = q.in_name(0).to_string();
    let dt = q.in_aval(0).dtype;
    let simple = |em: &mut Emitter, name: &str| em.node(name, &[&x], vec![]);
    Ok(match op {
        Neg => simple(em, "Neg"),
        Sign => simple(em, "Sign"),
        Floor => simple(em, "Floor"),
        Ceil => simple(em, "Ceil"),
        Round(RoundingMethod::ToNearestEven) => simple(em, "Round"),
        Round(RoundingMethod::AwayFromZero) => {
            // sign(x) * floor(|x| + 0.5)
            let a = simple(em, "Abs");
            let h = em.scalar(0.5, dt)?;
            let a = em.node("Add", &[&a, &h], vec![]);
            let f = em.node("Floor", &[&a], vec![]);
            let s = simple(em, "Sign");
            em.node("Mul", &[&s, &f], vec![])
        }
        IsFinite => {
            let i = simple(em, "IsInf");
            let n = simple(em, "IsNaN");
            let o = em.node("Or", &[&i, &n], vec![]);
            em.node("Not", &[&o], vec![])
        }
        Exp => simple(em, "Exp"),
        Exp2 => {
            let two = em.scalar(2.0, dt)?;
            em.node("Pow", &[&two, &x], vec![])
        }
        Log => simple(em, "Log"),
        Log1p => {
            let one = em.scalar(1.0, dt)?;
            let s = em.node("Add", &[&x, &one], vec![]);
            em.node("Log", &[&s], vec![])
        }
        Expm1 => {
            let one = em.scalar(1.0, dt)?;
            let e = simple(em, "Exp");
            em.node("Sub", &[&e, &one], vec![])
        }
        Tanh => simple(em, "Tanh"),
        Logistic => simple(em, "Sigmoid"),
        Sin => simple(em, "Sin"),
        Cos => simple(em, "Cos"),
        Tan => simple(em, "Tan"),
        Asin => simple(em, "Asin"),
        Acos => simple(em, "Acos"),
        Atan => simple(em, "Atan"),
        Sinh => simple(em, "Sinh"),
        Cosh => simple(em, "Cosh"),
        Asinh => simple(em, "Asinh"),
        Acosh => simple(em, "Acosh"),
        Atanh => simple(em, "Atanh"),
        Sqrt => simple(em, "Sqrt"),
        Rsqrt => {
            let s = simple(em, "Sqrt");
            em.node("Reciprocal", &[&s], vec![])
        }
        Cbrt => {
            let a = simple(em, "Abs");
            let third = em.scalar(1.0 / 3.0, dt)?;
            let p = em.node("Pow", &[&a, &third], vec![]);
            let s = simple(em, "Sign");
            em.node("Mul", &[&s, &p], vec![])
        }
        Abs => simple(em, "Abs"),
        Square => em.node("Mul", &[&x, &x], vec![]),
        IntegerPow(n) => {
            let mut acc = x.clone();
            for _ in 1..n.unsigned_abs() {
                acc = em.node("Mul", &[&acc, &x], vec![]);
            }
            match n {
                0 => {
                    let (zero, one) = (em.scalar(0.0, dt)?, em.scalar(1.0, dt)?);
                    let z = em.node("Mul", &[&x, &zero], vec![]);
                    em.node("Add", &[&z, &one], vec![])
                }
                n if n < 0 => em.node("Reciprocal", &[&acc], vec![]),
                _ => acc,
            }
        }
        Erf => simple(em, "Erf"),
        Erfc => {
            let one = em.scalar(1.0, dt)?;
            let e = simple(em, "Erf");
            em.node("Sub", &[&one, &e], vec![])
        }
        Not if dt == DType::Bool => simple(em, "Not"),
        Not => return Err(q.unsupported("bitwise not of integers needs opset 18")),
        StopGradient | Copy => simple(em, "Identity"),
        ErfInv | Lgamma | Digamma => return Err(q.unsupported("ONNX has no operator for it")),
    })
}

fn binary(em: &mut Emitter, q: &Eq, op: BinaryOp) -> Result<String, ExportError> {
    use BinaryOp::*;
    let (a, b) = (q.in_name(0).to_string(), q.in_name(1).to_string());
    let dt = q.in_aval(0).dtype;
    let mut simple = |name: &str| em.node(name, &[&a, &b], vec![]);
    Ok(match op {
        Add | AddAny => simple("Add"),
        Sub => simple("Sub"),
        Mul => simple("Mul"),
        Div => simple("Div"),
        Rem => em.node("Mod", &[&a, &b], vec![attr_i("fmod", 1)]),
        Pow => simple("Pow"),
        Max => simple("Max"),
        Min => simple("Min"),
        Eq => simple("Equal"),
        Ne => {
            let e = simple("Equal");
            em.node("Not", &[&e], vec![])
        }
        Lt => simple("Less"),
        Le => simple("LessOrEqual"),
        Gt => simple("Greater"),
        Ge => simple("GreaterOrEqual"),
        And | Or | Xor if dt == DType::Bool => simple(match op {
            And => "And",
            Or => "Or",
            _ => "Xor",
        }),
        And | Or | Xor => return Err(q.unsupported("bitwise ops on integers need opset 18")),
        Atan2 | Nextafter | Polygamma => return Err(q.unsupported("ONNX has no operator for it")),
    })
}

fn elementwise(em: &mut Emitter, q: &Eq, op: &ElementwiseOp) -> Result<String, ExportError> {
    match op {
        ElementwiseOp::SelectN => {
            let which = q.in_name(0).to_string();
            let cases = &q.ins[1..];
            if q.in_aval(0).dtype == DType::Bool {
                return Ok(em.node("Where", &[&which, &cases[1], &cases[0]], vec![]));
            }
            // cases[which] for an integer `which`: a chain of Where(which == k, case k, ...)
            let wdt = q.in_aval(0).dtype;
            let mut acc = cases[cases.len() - 1].clone();
            for k in (0..cases.len() - 1).rev() {
                let kk = em.scalar(k as f64, wdt)?;
                let is_k = em.node("Equal", &[&which, &kk], vec![]);
                acc = em.node("Where", &[&is_k, &cases[k], &acc], vec![]);
            }
            Ok(acc)
        }
        ElementwiseOp::Clamp => {
            let (lo, x, hi) = (q.in_name(0), q.in_name(1), q.in_name(2));
            let m = em.node("Max", &[x, lo], vec![]);
            Ok(em.node("Min", &[&m, hi], vec![]))
        }
        ElementwiseOp::ConvertElementType(to) => {
            let to = super::builder::elem_type(*to)?;
            Ok(em.node("Cast", &[q.in_name(0)], vec![attr_i("to", to as i64)]))
        }
    }
}
