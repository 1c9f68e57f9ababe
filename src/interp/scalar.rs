//! Programs whose every value is a number (rank 0) run on register files instead of tensors.
//!
//! A jaxpr made only of rank-0 `bool`/`i32`/`f32`/`f64` values and the exactly rounded
//! operations (`add`, `sub`, `mul`, `div` on floats, `neg`, comparisons; integer arithmetic
//! wraps, as the kernels do) — with `jit` and `fused` calls inlined — compiles to a
//! [`ScalarCode`]: one typed instruction per equation over per-dtype register files, so a run
//! builds no tensor. Results are bit-identical to the tensor kernels (the same IEEE operations).
//!
//! [`ScalarCode::with_feedback`] makes a program that is run many times with some outputs fed
//! back into some inputs (a recurrence): the copies are appended to the code, and an output
//! computed after the last read of the input it replaces is written straight into that input's
//! register, so no copy is left for it.

use crate::core::{Atom, Jaxpr};
use crate::ops::binary::compare;
use crate::passes::FusedOp;
use crate::prims::{family, BinaryOp, Family, Prim, UnaryOp};
use crate::tensor::{ArrayData, DType, Tensor};

/// One rank-0 value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    Bool(bool),
    I32(i32),
    F32(f32),
    F64(f64),
}

impl Scalar {
    /// Element `i` (in standard order) of an array of a supported dtype.
    pub fn at(a: &ArrayData, i: usize) -> Scalar {
        /// Element `i` of `x`: indexed directly when it is contiguous, else walked to.
        fn element<T: Copy>(x: &ndarray::ArrayD<T>, i: usize) -> T {
            match x.as_slice() {
                Some(s) => s[i],
                None => *x.iter().nth(i).expect("index in range"),
            }
        }
        match a {
            ArrayData::Bool(x) => Scalar::Bool(element(x, i)),
            ArrayData::I32(x) => Scalar::I32(element(x, i)),
            ArrayData::F32(x) => Scalar::F32(element(x, i)),
            ArrayData::F64(x) => Scalar::F64(element(x, i)),
            _ => panic!("scalar programs do not take {} values", a.dtype()),
        }
    }

    /// A rank-0 tensor.
    pub fn tensor(self) -> Tensor {
        match self {
            Scalar::Bool(v) => Tensor::scalar(v),
            Scalar::I32(v) => Tensor::scalar(v),
            Scalar::F32(v) => Tensor::scalar(v),
            Scalar::F64(v) => Tensor::scalar(v),
        }
    }

    /// Scalars of one dtype as a rank-1 tensor of `dtype` (empty: zero elements).
    pub fn stack(parts: &[Scalar], dtype: DType) -> Tensor {
        let n = parts.len();
        macro_rules! go {
            ($V:ident) => {
                Tensor::from_vec(
                    parts
                        .iter()
                        .map(|s| match s {
                            Scalar::$V(v) => *v,
                            _ => unreachable!("stacked scalars share a dtype"),
                        })
                        .collect(),
                    &[n],
                )
            };
        }
        match dtype {
            DType::Bool => go!(Bool),
            DType::I32 => go!(I32),
            DType::F32 => go!(F32),
            DType::F64 => go!(F64),
            d => panic!("scalar programs do not make {d} values"),
        }
    }
}

/// The register files: one slot per register in every file (a register is only ever used in
/// the file of its dtype).
#[derive(Clone, Debug)]
pub struct Regs {
    b: Vec<bool>,
    i: Vec<i32>,
    f: Vec<f32>,
    d: Vec<f64>,
}

/// One instruction: operands then destination register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ins {
    AddF(u32, u32, u32),
    SubF(u32, u32, u32),
    MulF(u32, u32, u32),
    DivF(u32, u32, u32),
    NegF(u32, u32),
    AddD(u32, u32, u32),
    SubD(u32, u32, u32),
    MulD(u32, u32, u32),
    DivD(u32, u32, u32),
    NegD(u32, u32),
    AddI(u32, u32, u32),
    SubI(u32, u32, u32),
    MulI(u32, u32, u32),
    NegI(u32, u32),
    /// Comparisons ([`BinaryOp::is_comparison`]) of f32, f64, i32 into a bool register.
    CmpF(BinaryOp, u32, u32, u32),
    CmpD(BinaryOp, u32, u32, u32),
    CmpI(BinaryOp, u32, u32, u32),
    MovB(u32, u32),
    MovI(u32, u32),
    MovF(u32, u32),
    MovD(u32, u32),
}

impl Ins {
    /// The registers read, and the one written.
    fn regs(&self) -> (smallvec::SmallVec<[u32; 2]>, u32) {
        use Ins::*;
        match *self {
            AddF(a, b, o)
            | SubF(a, b, o)
            | MulF(a, b, o)
            | DivF(a, b, o)
            | AddD(a, b, o)
            | SubD(a, b, o)
            | MulD(a, b, o)
            | DivD(a, b, o)
            | AddI(a, b, o)
            | SubI(a, b, o)
            | MulI(a, b, o)
            | CmpF(_, a, b, o)
            | CmpD(_, a, b, o)
            | CmpI(_, a, b, o) => (smallvec::smallvec![a, b], o),
            NegF(a, o)
            | NegD(a, o)
            | NegI(a, o)
            | MovB(a, o)
            | MovI(a, o)
            | MovF(a, o)
            | MovD(a, o) => (smallvec::smallvec![a], o),
        }
    }

    /// For float arithmetic (which sets an accumulator): which one (0 for f32, 1 for f64).
    fn acc_kind(&self) -> Option<u8> {
        use Ins::*;
        match self {
            AddF(..) | SubF(..) | MulF(..) | DivF(..) | NegF(..) => Some(0),
            AddD(..) | SubD(..) | MulD(..) | DivD(..) | NegD(..) => Some(1),
            _ => None,
        }
    }

    /// This instruction reading `to` where it read `from` (its destination unchanged).
    fn rename_reads(self, from: u32, to: u32) -> Ins {
        let (_, o) = self.regs();
        let r = self.rename(from, to);
        r.with_dest(o)
    }

    /// This instruction writing `o`.
    fn with_dest(self, o: u32) -> Ins {
        use Ins::*;
        match self {
            AddF(a, b, _) => AddF(a, b, o),
            SubF(a, b, _) => SubF(a, b, o),
            MulF(a, b, _) => MulF(a, b, o),
            DivF(a, b, _) => DivF(a, b, o),
            NegF(a, _) => NegF(a, o),
            AddD(a, b, _) => AddD(a, b, o),
            SubD(a, b, _) => SubD(a, b, o),
            MulD(a, b, _) => MulD(a, b, o),
            DivD(a, b, _) => DivD(a, b, o),
            NegD(a, _) => NegD(a, o),
            AddI(a, b, _) => AddI(a, b, o),
            SubI(a, b, _) => SubI(a, b, o),
            MulI(a, b, _) => MulI(a, b, o),
            NegI(a, _) => NegI(a, o),
            CmpF(c, a, b, _) => CmpF(c, a, b, o),
            CmpD(c, a, b, _) => CmpD(c, a, b, o),
            CmpI(c, a, b, _) => CmpI(c, a, b, o),
            MovB(a, _) => MovB(a, o),
            MovI(a, _) => MovI(a, o),
            MovF(a, _) => MovF(a, o),
            MovD(a, _) => MovD(a, o),
        }
    }

    /// This instruction with register `from` renamed to `to` everywhere.
    fn rename(self, from: u32, to: u32) -> Ins {
        use Ins::*;
        let r = |x: u32| if x == from { to } else { x };
        match self {
            AddF(a, b, o) => AddF(r(a), r(b), r(o)),
            SubF(a, b, o) => SubF(r(a), r(b), r(o)),
            MulF(a, b, o) => MulF(r(a), r(b), r(o)),
            DivF(a, b, o) => DivF(r(a), r(b), r(o)),
            NegF(a, o) => NegF(r(a), r(o)),
            AddD(a, b, o) => AddD(r(a), r(b), r(o)),
            SubD(a, b, o) => SubD(r(a), r(b), r(o)),
            MulD(a, b, o) => MulD(r(a), r(b), r(o)),
            DivD(a, b, o) => DivD(r(a), r(b), r(o)),
            NegD(a, o) => NegD(r(a), r(o)),
            AddI(a, b, o) => AddI(r(a), r(b), r(o)),
            SubI(a, b, o) => SubI(r(a), r(b), r(o)),
            MulI(a, b, o) => MulI(r(a), r(b), r(o)),
            NegI(a, o) => NegI(r(a), r(o)),
            CmpF(c, a, b, o) => CmpF(c, r(a), r(b), r(o)),
            CmpD(c, a, b, o) => CmpD(c, r(a), r(b), r(o)),
            CmpI(c, a, b, o) => CmpI(c, r(a), r(b), r(o)),
            MovB(a, o) => MovB(r(a), r(o)),
            MovI(a, o) => MovI(r(a), r(o)),
            MovF(a, o) => MovF(r(a), r(o)),
            MovD(a, o) => MovD(r(a), r(o)),
        }
    }
}

fn mov(dtype: DType, src: u32, dst: u32) -> Ins {
    match dtype {
        DType::Bool => Ins::MovB(src, dst),
        DType::I32 => Ins::MovI(src, dst),
        DType::F32 => Ins::MovF(src, dst),
        DType::F64 => Ins::MovD(src, dst),
        d => unreachable!("no {d} registers"),
    }
}

/// A jaxpr of rank-0 values compiled to register code (see the module docs).
#[derive(Clone, Debug)]
pub struct ScalarCode {
    dtypes: Vec<DType>,
    lits: Vec<(u32, Scalar)>,
    inputs: Vec<u32>,
    /// One instruction per operation, over registers only (what the rewrites work on).
    code: Vec<Ins>,
    /// `code` with float temporaries passed in the accumulator ([`ScalarCode::forward`]).
    exec: Vec<Ins>,
    outputs: Vec<u32>,
}

/// An operand register meaning "the accumulator" (the previous float result of that dtype),
/// or a destination meaning "the accumulator only, no register".
const ACC: u32 = u32::MAX;

struct Builder {
    dtypes: Vec<DType>,
    lits: Vec<(u32, Scalar)>,
    code: Vec<Ins>,
}

fn supported(d: DType) -> bool {
    matches!(d, DType::Bool | DType::I32 | DType::F32 | DType::F64)
}

impl Builder {
    fn reg(&mut self, d: DType) -> u32 {
        self.dtypes.push(d);
        (self.dtypes.len() - 1) as u32
    }

    /// Emits `j` with its constvars and invars in registers `ins`; returns its output registers.
    fn body(&mut self, j: &Jaxpr, ins: &[u32]) -> Option<Vec<u32>> {
        if !j
            .var_avals
            .iter()
            .all(|a| a.ndim() == 0 && supported(a.dtype))
        {
            return None;
        }
        let mut env: Vec<Option<u32>> = vec![None; j.var_avals.len()];
        for (v, r) in j.constvars.iter().chain(&j.invars).zip(ins) {
            env[v.0 as usize] = Some(*r);
        }
        for e in &j.eqns {
            let args: Vec<u32> = e
                .inputs
                .iter()
                .map(|a| self.atom(&env, a))
                .collect::<Option<_>>()?;
            // Calls that evaluate as their body (jit, custom-derivative calls) and fused
            // groups are inlined.
            let body = (e.prim.downcast::<FusedOp>().map(|f| &f.jaxpr.0))
                .or_else(|| e.prim.inlinable_body());
            let outs: Vec<u32> = match (body, &e.prim) {
                (Some(body), _) => self.body(body, &args)?,
                (None, prim) => {
                    // One instruction computes one value (a `debug_print` has none: the
                    // program runs on tensors).
                    let [out] = e.outputs.as_slice() else {
                        return None;
                    };
                    let o = self.reg(j.aval(*out).dtype);
                    let ins = self.instr(prim, &args, o)?;
                    self.code.push(ins);
                    vec![o]
                }
            };
            if outs.len() != e.outputs.len() {
                return None;
            }
            for (v, r) in e.outputs.iter().zip(outs) {
                env[v.0 as usize] = Some(r);
            }
        }
        j.outvars.iter().map(|a| self.atom(&env, a)).collect()
    }

    /// The register of an operand (a literal gets a new one).
    fn atom(&mut self, env: &[Option<u32>], a: &Atom) -> Option<u32> {
        match a {
            Atom::Var(v) => env[v.0 as usize],
            Atom::Lit(t) => {
                if t.ndim() != 0 || !supported(t.dtype()) || !t.is_concrete() {
                    return None;
                }
                let r = self.reg(t.dtype());
                self.lits.push((r, Scalar::at(t.array(), 0)));
                Some(r)
            }
        }
    }

    fn instr(&self, prim: &Prim, a: &[u32], o: u32) -> Option<Ins> {
        let t = |r: u32| self.dtypes[r as usize];
        let od = t(o);
        if a.iter().any(|&r| t(r) != t(a[0])) {
            return None;
        }
        let d = t(a[0]);
        Some(match family(prim) {
            Family::Unary(UnaryOp::Neg) if a.len() == 1 && d == od => match d {
                DType::F32 => Ins::NegF(a[0], o),
                DType::F64 => Ins::NegD(a[0], o),
                DType::I32 => Ins::NegI(a[0], o),
                _ => return None,
            },
            Family::Binary(op) if a.len() == 2 => {
                if op.is_comparison() {
                    let c = *op;
                    if od != DType::Bool {
                        return None;
                    }
                    return match d {
                        DType::F32 => Some(Ins::CmpF(c, a[0], a[1], o)),
                        DType::F64 => Some(Ins::CmpD(c, a[0], a[1], o)),
                        DType::I32 => Some(Ins::CmpI(c, a[0], a[1], o)),
                        _ => None,
                    };
                }
                if d != od {
                    return None;
                }
                let (x, y) = (a[0], a[1]);
                match (op, d) {
                    (BinaryOp::Add | BinaryOp::AddAny, DType::F32) => Ins::AddF(x, y, o),
                    (BinaryOp::Sub, DType::F32) => Ins::SubF(x, y, o),
                    (BinaryOp::Mul, DType::F32) => Ins::MulF(x, y, o),
                    (BinaryOp::Div, DType::F32) => Ins::DivF(x, y, o),
                    (BinaryOp::Add | BinaryOp::AddAny, DType::F64) => Ins::AddD(x, y, o),
                    (BinaryOp::Sub, DType::F64) => Ins::SubD(x, y, o),
                    (BinaryOp::Mul, DType::F64) => Ins::MulD(x, y, o),
                    (BinaryOp::Div, DType::F64) => Ins::DivD(x, y, o),
                    (BinaryOp::Add | BinaryOp::AddAny, DType::I32) => Ins::AddI(x, y, o),
                    (BinaryOp::Sub, DType::I32) => Ins::SubI(x, y, o),
                    (BinaryOp::Mul, DType::I32) => Ins::MulI(x, y, o),
                    _ => return None,
                }
            }
            _ => return None,
        })
    }
}

impl ScalarCode {
    /// Compiles `jaxpr` (constvars then invars are the inputs), or `None` if a value is not a
    /// rank-0 `bool`/`i32`/`f32`/`f64` or an equation is not one of the supported operations.
    pub fn new(jaxpr: &Jaxpr) -> Option<ScalarCode> {
        if jaxpr.eqns.is_empty() {
            return None;
        }
        let mut b = Builder {
            dtypes: Vec::new(),
            lits: Vec::new(),
            code: Vec::new(),
        };
        let mut inputs = Vec::new();
        for v in jaxpr.constvars.iter().chain(&jaxpr.invars) {
            let a = jaxpr.aval(*v);
            if a.ndim() != 0 || !supported(a.dtype) {
                return None;
            }
            inputs.push(b.reg(a.dtype));
        }
        let outputs = b.body(jaxpr, &inputs)?;
        let mut c = ScalarCode {
            dtypes: b.dtypes,
            lits: b.lits,
            inputs,
            code: b.code,
            exec: Vec::new(),
            outputs,
        };
        c.forward();
        Some(c)
    }

    /// Fresh register files with the literals loaded.
    pub fn regs(&self) -> Regs {
        let n = self.dtypes.len();
        let mut r = Regs {
            b: vec![false; n],
            i: vec![0; n],
            f: vec![0.0; n],
            d: vec![0.0; n],
        };
        for &(k, v) in &self.lits {
            write(&mut r, k, v);
        }
        r
    }

    /// The number of outputs.
    pub fn num_outputs(&self) -> usize {
        self.outputs.len()
    }

    /// The dtype of input `k`.
    pub fn input_dtype(&self, k: usize) -> DType {
        self.dtypes[self.inputs[k] as usize]
    }

    /// The dtype of output `k`.
    pub fn output_dtype(&self, k: usize) -> DType {
        self.dtypes[self.outputs[k] as usize]
    }

    /// Sets input `k`; panics if `v` is not of the input's dtype.
    #[inline]
    pub fn set_input(&self, r: &mut Regs, k: usize, v: Scalar) {
        let reg = self.inputs[k];
        assert!(
            dtype_of(v) == self.dtypes[reg as usize],
            "scalar program: input {k} is {:?}, got {v:?}",
            self.dtypes[reg as usize]
        );
        write(r, reg, v);
    }

    /// The value of input `k` (after a run with feedback: the value fed back).
    #[inline]
    pub fn input(&self, r: &Regs, k: usize) -> Scalar {
        read(r, self.inputs[k], self.dtypes[self.inputs[k] as usize])
    }

    /// The value of output `k` after a run.
    #[inline]
    pub fn output(&self, r: &Regs, k: usize) -> Scalar {
        read(r, self.outputs[k], self.dtypes[self.outputs[k] as usize])
    }

    /// Runs the code once on `r`.
    #[inline]
    pub fn run(&self, r: &mut Regs) {
        self.run_n(r, 1);
    }

    /// Runs the code `n` times on `r` (a recurrence, with [`ScalarCode::with_feedback`]).
    pub fn run_n(&self, r: &mut Regs, n: usize) {
        use Ins::*;
        let (b, i, f, d) = (&mut r.b, &mut r.i, &mut r.f, &mut r.d);
        // The accumulators: the last float result of each dtype, kept out of memory so a chain
        // of float operations does not go through a store and a load per link.
        let (mut af, mut ad) = (0.0f32, 0.0f64);
        macro_rules! arith {
            ($file:ident, $acc:ident, $x:expr, $y:expr, $o:expr, |$p:ident, $q:ident| $e:expr) => {{
                let $p = if $x == ACC { $acc } else { $file[$x as usize] };
                let $q = if $y == ACC { $acc } else { $file[$y as usize] };
                $acc = $e;
                if $o != ACC {
                    $file[$o as usize] = $acc;
                }
            }};
        }
        for _ in 0..n {
            for ins in &self.exec {
                match *ins {
                    AddF(x, y, o) => arith!(f, af, x, y, o, |p, q| p + q),
                    SubF(x, y, o) => arith!(f, af, x, y, o, |p, q| p - q),
                    MulF(x, y, o) => arith!(f, af, x, y, o, |p, q| p * q),
                    DivF(x, y, o) => arith!(f, af, x, y, o, |p, q| p / q),
                    NegF(x, o) => arith!(f, af, x, x, o, |p, _q| -p),
                    AddD(x, y, o) => arith!(d, ad, x, y, o, |p, q| p + q),
                    SubD(x, y, o) => arith!(d, ad, x, y, o, |p, q| p - q),
                    MulD(x, y, o) => arith!(d, ad, x, y, o, |p, q| p * q),
                    DivD(x, y, o) => arith!(d, ad, x, y, o, |p, q| p / q),
                    NegD(x, o) => arith!(d, ad, x, x, o, |p, _q| -p),
                    AddI(x, y, o) => i[o as usize] = i[x as usize].wrapping_add(i[y as usize]),
                    SubI(x, y, o) => i[o as usize] = i[x as usize].wrapping_sub(i[y as usize]),
                    MulI(x, y, o) => i[o as usize] = i[x as usize].wrapping_mul(i[y as usize]),
                    NegI(x, o) => i[o as usize] = i[x as usize].wrapping_neg(),
                    CmpF(c, x, y, o) => b[o as usize] = compare(c, f[x as usize], f[y as usize]),
                    CmpD(c, x, y, o) => b[o as usize] = compare(c, d[x as usize], d[y as usize]),
                    CmpI(c, x, y, o) => b[o as usize] = compare(c, i[x as usize], i[y as usize]),
                    MovB(x, o) => b[o as usize] = b[x as usize],
                    MovI(x, o) => i[o as usize] = i[x as usize],
                    MovF(x, o) => f[o as usize] = f[x as usize],
                    MovD(x, o) => d[o as usize] = d[x as usize],
                }
            }
        }
    }

    /// Makes `exec` from `code`: a float result whose only reader is the next float
    /// operation of its dtype (no operation of that dtype between) is passed in the
    /// accumulator instead of a register, unless it is an output.
    fn forward(&mut self) {
        let mut exec = self.code.clone();
        let reads = |code: &[Ins], r: u32| -> usize {
            code.iter()
                .map(|ins| ins.regs().0.iter().filter(|&&x| x == r).count())
                .sum()
        };
        for k in 0..exec.len() {
            let Some(kind) = exec[k].acc_kind() else {
                continue;
            };
            let t = exec[k].regs().1;
            if t == ACC || self.outputs.contains(&t) || self.inputs.contains(&t) {
                continue;
            }
            // The next operation of this accumulator's dtype.
            let Some(next) = (k + 1..exec.len()).find(|&j| exec[j].acc_kind() == Some(kind)) else {
                continue;
            };
            let in_next = exec[next].regs().0.iter().filter(|&&x| x == t).count();
            if in_next == 0 || in_next != reads(&exec, t) {
                continue;
            }
            // Nothing between reads or writes `t` (it is read only by `next`, written once).
            exec[next] = exec[next].rename_reads(t, ACC);
            exec[k] = exec[k].with_dest(ACC);
        }
        self.exec = exec;
    }

    /// Runs on rank-0 tensors (constants first, then arguments), returning rank-0 tensors.
    pub fn run_tensors(&self, inputs: &[Tensor]) -> Vec<Tensor> {
        let mut r = self.regs();
        for (k, t) in inputs.iter().enumerate() {
            self.set_input(&mut r, k, Scalar::at(t.array(), 0));
        }
        self.run(&mut r);
        (0..self.outputs.len())
            .map(|k| self.output(&r, k).tensor())
            .collect()
    }

    /// This code followed by `input[i] = output[o]` for every `(o, i)` in `pairs` (all read
    /// before any is written), so that running it `n` times iterates the recurrence. Outputs
    /// keep reading this run's values. Panics if a pair's dtypes differ.
    pub fn with_feedback(&self, pairs: &[(usize, usize)]) -> ScalarCode {
        let mut c = self.clone();
        let mut pending: Vec<(u32, u32)> = Vec::new();
        for &(o, i) in pairs {
            let (src, dst) = (c.outputs[o], c.inputs[i]);
            assert_eq!(
                c.dtypes[src as usize], c.dtypes[dst as usize],
                "scalar program: output {o} and input {i} differ in dtype"
            );
            if src == dst {
                continue;
            }
            if !c.coalesce(src, dst) {
                pending.push((src, dst));
            }
        }
        // Outputs that read a register about to be overwritten keep this run's value.
        let dsts: Vec<u32> = pending.iter().map(|p| p.1).collect();
        for k in 0..c.outputs.len() {
            let r = c.outputs[k];
            if dsts.contains(&r) {
                let t = c.fresh(r);
                c.outputs[k] = t;
            }
        }
        // Sources that are themselves overwritten (swaps) are saved first.
        for p in &mut pending {
            if dsts.contains(&p.0) {
                p.0 = c.fresh(p.0);
            }
        }
        for (src, dst) in pending {
            c.code.push(mov(c.dtypes[src as usize], src, dst));
        }
        c.forward();
        c
    }

    /// A new register holding `r`'s value as of the end of the code so far.
    fn fresh(&mut self, r: u32) -> u32 {
        let d = self.dtypes[r as usize];
        self.dtypes.push(d);
        let t = (self.dtypes.len() - 1) as u32;
        self.code.push(mov(d, r, t));
        t
    }

    /// Writes `src` (an output) straight into `dst` (an input) when that is safe: `src` is
    /// written once, by an instruction at or after the last read of `dst`, and no output reads
    /// `dst`. Returns whether it did.
    fn coalesce(&mut self, src: u32, dst: u32) -> bool {
        if self.inputs.contains(&src) || self.lits.iter().any(|l| l.0 == src) {
            return false;
        }
        if self.outputs.contains(&dst) {
            return false;
        }
        let writes: Vec<usize> = (0..self.code.len())
            .filter(|&k| self.code[k].regs().1 == src)
            .collect();
        let [p] = writes[..] else {
            return false;
        };
        let read_after = self.code[p + 1..].iter().any(|ins| {
            let (reads, w) = ins.regs();
            reads.contains(&dst) || w == dst
        });
        if read_after {
            return false;
        }
        for ins in &mut self.code {
            *ins = ins.rename(src, dst);
        }
        for o in &mut self.outputs {
            if *o == src {
                *o = dst;
            }
        }
        true
    }
}

fn dtype_of(v: Scalar) -> DType {
    match v {
        Scalar::Bool(_) => DType::Bool,
        Scalar::I32(_) => DType::I32,
        Scalar::F32(_) => DType::F32,
        Scalar::F64(_) => DType::F64,
    }
}

#[inline]
fn write(r: &mut Regs, k: u32, v: Scalar) {
    let k = k as usize;
    match v {
        Scalar::Bool(x) => r.b[k] = x,
        Scalar::I32(x) => r.i[k] = x,
        Scalar::F32(x) => r.f[k] = x,
        Scalar::F64(x) => r.d[k] = x,
    }
}

#[inline]
fn read(r: &Regs, k: u32, d: DType) -> Scalar {
    let k = k as usize;
    match d {
        DType::Bool => Scalar::Bool(r.b[k]),
        DType::I32 => Scalar::I32(r.i[k]),
        DType::F32 => Scalar::F32(r.f[k]),
        DType::F64 => Scalar::F64(r.d[k]),
        d => unreachable!("no {d} registers"),
    }
}
