//! Fused elementwise groups (`fused` call equations made by [`crate::passes::fuse`]),
//! evaluated in one pass over cache-sized chunks: every intermediate value lives in a small
//! register buffer that stays in L1, and only the group's inputs and outputs touch memory.
//!
//! A group's equations all produce the same shape; their operands are group values, inputs
//! of that shape, or scalars (rank-0 inputs and literals) that are splatted. The arithmetic is
//! the same as each primitive's own kernel, so results are bitwise equal to unfused evaluation.

use crate::core::{Atom, Aval, Jaxpr, Shape};
use crate::kernels::elementwise::{for_each_stretched_row, stretch_strides, unary_f32, unary_f64};
use crate::kernels::parallel::{fused_ns, should_parallelize};
use crate::kernels::reduce::{reduce_f32_into, reduce_f64_into, ReduceKind};
use crate::ops::FloatElement;
use crate::passes::fusible_reduction;
use crate::prims::binary::{compare, with_float_op, FloatZip};
use crate::prims::{family, BinaryOp, ElementwiseOp, Family, Prim, ReduceOp, UnaryOp};
use crate::tensor::{DType, Tensor};
use smallvec::SmallVec;

mod buffers;
use buffers::{init_zeroed, write_uninit, Input, OutBuf, OutRaw, Raw};

/// Elements per chunk: with a dozen live registers this stays within L1/L2.
const CHUNK: usize = 1024;

fn reduce_kind(prim: &Prim) -> ReduceKind {
    match prim.downcast::<ReduceOp>() {
        Some(ReduceOp::Sum { .. }) => ReduceKind::Sum,
        Some(ReduceOp::Max { .. }) => ReduceKind::Max,
        Some(ReduceOp::Min { .. }) => ReduceKind::Min,
        Some(ReduceOp::Prod { .. }) => ReduceKind::Prod,
        _ => unreachable!("not a fusible reduction: {prim:?}"),
    }
}

/// Fills `dst` with elements `lo..lo + dst.len()` of `src` broadcast to `shape` (with
/// `strides` from [`stretch_strides`]): row by row, a copy or a fill per row.
fn fill_broadcast<T: Copy>(
    src: &[T],
    shape: &[usize],
    strides: &[usize],
    lo: usize,
    dst: &mut [T],
) {
    let stretched = strides.last() == Some(&0);
    let mut k = 0;
    for_each_stretched_row(shape, strides, lo, dst.len(), |base, col, take| {
        if stretched {
            dst[k..k + take].fill(src[base]);
        } else {
            dst[k..k + take].copy_from_slice(&src[base + col..base + col + take]);
        }
        k += take;
    });
}

/// Where an operand comes from.
#[derive(Clone, Copy, Debug)]
enum Src {
    /// A full-size input.
    In(u16),
    /// A scalar input, splatted.
    InScalar(u16),
    /// A register (of the op's dtype class).
    Reg(u16),
    /// A literal, splatted (floats as f64, exact for f32).
    Lit(f64),
    LitBool(bool),
}

/// Float lane type of an op.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Lane {
    F32,
    F64,
}

#[derive(Clone, Debug)]
enum Op {
    Unary(UnaryOp, Lane, Src, u16),
    Binary(BinaryOp, Lane, Src, Src, u16),
    /// Comparison of two floats into a bool register.
    Compare(BinaryOp, Lane, Src, Src, u16),
    /// `select_n(pred, on_false, on_true)` with float cases.
    Select(Lane, Src, Src, Src, u16),
    /// Loads a broadcast input's chunk into a register: input, its strides over the
    /// output's dims, register (of the input's dtype class).
    Load(u16, Vec<usize>, u16),
}

/// A compiled fused group: the `fused` call equations of an optimized jaxpr run through it,
/// so a chain of elementwise ops costs one pass over memory.
///
/// ```
/// use ferrax::internals::interp::fused::FusedKernel;
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// let body = make_jaxpr(|x: &Tensor| &(x * x) + x)(&x);
/// let kernel = FusedKernel::new(&body.jaxpr);
/// let out = kernel.run(vec![x]);
/// assert_eq!(out[0].to_vec::<f32>(), vec![2.0, 6.0, 12.0]);
/// ```
#[derive(Clone, Debug)]
pub struct FusedKernel {
    shape: Shape,
    n: usize,
    ops: Vec<Op>,
    /// Registers per class: f32, f64, bool.
    regs: [usize; 3],
    outputs: Vec<(Src, DType)>,
    /// Per output: `Some((kind, row))` if it is a reduction of its source over rows of
    /// `row` elements (the group's epilogue), `None` for an elementwise value.
    reduced: Vec<Option<(ReduceKind, usize)>>,
    /// Elements per chunk: [`CHUNK`], or whole rows of the fused reductions.
    chunk: usize,
    /// Each output's shape.
    out_shapes: Vec<Shape>,
    cost_per_element: f64,
    /// Per input: it has the group's full shape (so it can take an output in place).
    full_input: Vec<bool>,
    /// Each input's dtype and shape, checked by [`FusedKernel::run`]: the raw buffer views
    /// rely on them (a donated input has exactly the group's elements).
    in_avals: Vec<Aval>,
}

impl FusedKernel {
    /// Compiles a group body: a jaxpr of [`fusible`] equations.
    pub fn new(body: &Jaxpr) -> FusedKernel {
        let shape = body
            .eqns
            .first()
            .map(|e| body.aval(e.outputs[0]).shape.clone())
            .unwrap_or_default();
        let n = shape.iter().product();
        let mut src_of: Vec<Option<(Src, DType)>> = vec![None; body.var_avals.len()];
        // Registers are allocated by liveness (a value's register is reused once its last
        // reader has run), so a long chain needs only a few chunk buffers, which stay in L1.
        let mut last_use = vec![0usize; body.var_avals.len()];
        for (i, e) in body.eqns.iter().enumerate() {
            for a in &e.inputs {
                if let Atom::Var(v) = a {
                    last_use[v.0 as usize] = i;
                }
            }
        }
        for a in &body.outvars {
            if let Atom::Var(v) = a {
                last_use[v.0 as usize] = usize::MAX;
            }
        }
        // A reduction reads its operand's register when the chunk is done: keep it alive.
        for e in &body.eqns {
            if let (Some(_), Some(Atom::Var(v))) = (e.prim.downcast::<ReduceOp>(), e.inputs.first())
            {
                last_use[v.0 as usize] = usize::MAX;
            }
        }
        let mut reduce_of: std::collections::HashMap<u32, (Src, DType, ReduceKind, usize)> =
            Default::default();
        let class_of = |d: DType| match d {
            DType::F32 => 0,
            DType::F64 => 1,
            _ => 2,
        };
        let mut regs = [0usize; 3];
        let mut free: [Vec<u16>; 3] = Default::default();
        let mut new_reg = |d: DType, free: &mut [Vec<u16>; 3]| {
            let c = class_of(d);
            free[c].pop().unwrap_or_else(|| {
                regs[c] += 1;
                (regs[c] - 1) as u16
            })
        };
        let mut ops = Vec::with_capacity(body.eqns.len());
        for (i, v) in body.invars.iter().enumerate() {
            let a = body.aval(*v);
            let s = if a.shape.is_empty() {
                Src::InScalar(i as u16)
            } else if a.shape == shape {
                Src::In(i as u16)
            } else {
                let r = new_reg(a.dtype, &mut free);
                ops.push(Op::Load(i as u16, stretch_strides(&a.shape, &shape), r));
                Src::Reg(r)
            };
            src_of[v.0 as usize] = Some((s, a.dtype));
        }
        let atom = |src_of: &[Option<(Src, DType)>], a: &Atom| -> (Src, DType) {
            match a {
                Atom::Var(v) => src_of[v.0 as usize].expect("body is in order"),
                Atom::Lit(t) => match t.dtype() {
                    DType::Bool => (Src::LitBool(t.item::<bool>()), DType::Bool),
                    d => (Src::Lit(t.array().get_f64(0)), d),
                },
            }
        };
        let lane = |d: DType| match d {
            DType::F32 => Lane::F32,
            DType::F64 => Lane::F64,
            d => unreachable!("fused groups hold float ops, got {d:?}"),
        };
        for (i, e) in body.eqns.iter().enumerate() {
            let ins: Vec<(Src, DType)> = e.inputs.iter().map(|a| atom(&src_of, a)).collect();
            let out_dtype = body.aval(e.outputs[0]).dtype;
            if e.prim.downcast::<ReduceOp>().is_some() {
                let in_aval = match &e.inputs[0] {
                    Atom::Var(v) => body.aval(*v).clone(),
                    Atom::Lit(t) => t.aval(),
                };
                let row = fusible_reduction(&e.prim, &[in_aval]).expect("fused reductions qualify");
                reduce_of.insert(
                    e.outputs[0].0,
                    (ins[0].0, out_dtype, reduce_kind(&e.prim), row),
                );
                continue;
            }
            // Allocated before the inputs' registers are released: an op never writes the
            // register it reads.
            let r = new_reg(out_dtype, &mut free);
            let op = match family(&e.prim) {
                Family::Unary(u) => Op::Unary(*u, lane(ins[0].1), ins[0].0, r),
                Family::Binary(b) if b.is_comparison() => {
                    Op::Compare(*b, lane(ins[0].1), ins[0].0, ins[1].0, r)
                }
                Family::Binary(b) => Op::Binary(*b, lane(ins[0].1), ins[0].0, ins[1].0, r),
                Family::Elementwise(ElementwiseOp::SelectN) => {
                    Op::Select(lane(ins[1].1), ins[0].0, ins[1].0, ins[2].0, r)
                }
                _ => unreachable!("not fusible: {:?}", e.prim),
            };
            ops.push(op);
            src_of[e.outputs[0].0 as usize] = Some((Src::Reg(r), out_dtype));
            let mut released: SmallVec<[u32; 3]> = SmallVec::new();
            for a in &e.inputs {
                if let Atom::Var(v) = a
                    && last_use[v.0 as usize] == i
                    && !released.contains(&v.0)
                {
                    released.push(v.0);
                    if let Some((Src::Reg(reg), d)) = src_of[v.0 as usize] {
                        free[class_of(d)].push(reg);
                    }
                }
            }
        }
        let mut outputs = Vec::with_capacity(body.outvars.len());
        let mut reduced = Vec::with_capacity(body.outvars.len());
        for a in &body.outvars {
            match a {
                Atom::Var(v) if reduce_of.contains_key(&v.0) => {
                    let (src, d, kind, row) = reduce_of[&v.0];
                    outputs.push((src, d));
                    reduced.push(Some((kind, row)));
                }
                a => {
                    outputs.push(atom(&src_of, a));
                    reduced.push(None);
                }
            }
        }
        let chunk = match reduced.iter().flatten().map(|&(_, row)| row).max() {
            Some(row) => (CHUNK / row).max(1) * row,
            None => CHUNK,
        };
        // Every chunk, both halves of a parallel split (at a chunk boundary) and the whole
        // group then hold whole rows, so the chunks' rows tile each reduced output exactly:
        // every element of it is written before `run` reads it back (`OutBuf::finish`).
        for &(_, row) in reduced.iter().flatten() {
            assert!(
                chunk % row == 0 && n % row == 0,
                "fused: a reduction over rows of {row} elements does not tile the group's \
                 {n} elements in chunks of {chunk} (all reductions of a group must share \
                 one row length)"
            );
        }
        let cost_per_element = fused_ns(1, ops.len(), body.invars.len() + body.outvars.len());
        let full_input = body
            .invars
            .iter()
            .map(|v| !shape.is_empty() && body.aval(*v).shape == shape)
            .collect();
        let in_avals = body.invars.iter().map(|v| body.aval(*v).clone()).collect();
        let out_shapes = body
            .outvars
            .iter()
            .map(|a| match a {
                Atom::Var(v) => body.aval(*v).shape.clone(),
                Atom::Lit(t) => t.aval().shape,
            })
            .collect();
        FusedKernel {
            out_shapes,
            full_input,
            in_avals,
            shape,
            n,
            ops,
            regs,
            outputs,
            reduced,
            chunk,
            cost_per_element,
        }
    }

    /// Evaluates the group on its inputs. An input that dies here (the caller passed its
    /// last reference), has an output's shape and dtype, and is not itself passed through
    /// receives that output in place: its cache lines are warm and nothing is allocated.
    ///
    /// Panics, naming the input, unless the inputs have the body's dtypes and shapes.
    #[track_caller]
    pub fn run(&self, mut inputs: Vec<Tensor>) -> Vec<Tensor> {
        let n_in = inputs.len();
        assert!(
            n_in == self.in_avals.len(),
            "fused: {n_in} inputs for a group of {} (called from {})",
            self.in_avals.len(),
            std::panic::Location::caller()
        );
        for (i, (t, a)) in inputs.iter().zip(&self.in_avals).enumerate() {
            assert!(
                t.dtype() == a.dtype && t.shape() == &a.shape[..],
                "fused: input {i} is {}, the group expects {a} (called from {})",
                t.aval(),
                std::panic::Location::caller()
            );
        }
        let passthrough: SmallVec<[usize; 4]> = self
            .outputs
            .iter()
            .filter_map(|(src, _)| match src {
                Src::In(i) => Some(*i as usize),
                _ => None,
            })
            .collect();
        let mut ins: Vec<Option<Input>> = vec![None; n_in];
        let mut donor_of: SmallVec<[Option<usize>; 4]> = SmallVec::new();
        for ((src, d), red) in self.outputs.iter().zip(&self.reduced) {
            let mut donor = None;
            if matches!(src, Src::Reg(_)) && red.is_none() {
                for (i, t) in inputs.iter_mut().enumerate() {
                    if ins[i].is_some() || !self.full_input[i] || passthrough.contains(&i) {
                        continue;
                    }
                    if t.dtype() == *d
                        && let Some(a) = t.unique_array_mut()
                    {
                        ins[i] = Some(Input::of_mut(a));
                        donor = Some(i);
                        break;
                    }
                }
            }
            donor_of.push(donor);
        }
        let ins: Vec<Input> = ins
            .into_iter()
            .zip(&inputs)
            .map(|(i, t)| i.unwrap_or_else(|| Input::of(t.array())))
            .collect();
        let mut owned: Vec<Option<OutBuf>> = self
            .outputs
            .iter()
            .zip(&self.reduced)
            .zip(&donor_of)
            .map(|(((_, d), red), donor)| {
                let len = red.map_or(self.n, |(_, row)| self.n / row);
                donor.is_none().then(|| OutBuf::new(*d, len))
            })
            .collect();
        let outs: Vec<OutRaw> = owned
            .iter_mut()
            .zip(&donor_of)
            .map(|(buf, donor)| match (buf, donor) {
                (Some(b), _) => b.raw(),
                (None, Some(i)) => ins[*i].as_output(),
                (None, None) => unreachable!("every output has a buffer"),
            })
            .collect();
        let total = self.cost_per_element * self.n as f64;
        if should_parallelize(total) && self.n >= 2 * self.chunk {
            // Split at a chunk boundary; each half has its own registers and writes its own
            // range of every output.
            let mid = (self.n / 2).div_ceil(self.chunk) * self.chunk;
            let (lo, hi): (Vec<OutRaw>, Vec<OutRaw>) = outs
                .iter()
                .zip(&self.reduced)
                .map(|(o, red)| o.split(red.map_or(mid, |(_, row)| mid / row)))
                .unzip();
            rayon::join(
                || self.run_range(&ins, 0, mid, &lo),
                || self.run_range(&ins, mid, self.n, &hi),
            );
        } else {
            self.run_range(&ins, 0, self.n, &outs);
        }
        drop(ins);
        let mut results = Vec::with_capacity(owned.len());
        for ((buf, donor), shape) in owned.into_iter().zip(&donor_of).zip(&self.out_shapes) {
            results.push(match (buf, donor) {
                // SAFETY: `run_range` returned for both halves (a panic in either would
                // have propagated out of `join`), and they wrote every element of every
                // output: each half's chunks tile its range `0..n` or `0..mid`/`mid..n`
                // (the elementwise buffers are split there), and for a reduced output
                // their rows tile `0..n / row` (`new` checked that the chunk and `n` are
                // whole rows; `mid` is a multiple of the chunk).
                (Some(b), _) => Tensor::from_array(unsafe { b.finish(shape) }),
                (None, Some(i)) => inputs[*i].clone(),
                (None, None) => unreachable!("every output has a buffer"),
            });
        }
        // The inputs die here (a donor lives on as its output): recycle their buffers.
        inputs.into_iter().for_each(crate::kernels::pool::recycle);
        results
    }

    /// Evaluates elements `start..end`; `outs` hold exactly that range.
    fn run_range(&self, ins: &[Input], start: usize, end: usize, outs: &[OutRaw]) {
        let mut regs = Regs {
            f32: vec![vec![0.0; self.chunk]; self.regs[0]],
            f64: vec![vec![0.0; self.chunk]; self.regs[1]],
            b: vec![vec![false; self.chunk]; self.regs[2]],
        };
        let mut lo = start;
        while lo < end {
            let hi = (lo + self.chunk).min(end);
            let len = hi - lo;
            for op in &self.ops {
                self.step(op, ins, &mut regs, lo, len);
            }
            let at = lo - start;
            // SAFETY (the five `get_mut`s below): `outs` cover exactly `start..end` (rows
            // `start / row..end / row` when reduced) and the other half's `outs` the rest,
            // so this thread alone ever touches `at..at + len` (rows `first_row..+rows`) of
            // each output. Within the thread, no other reference to that range is live while
            // it is written: a donor input (the only input whose buffer is also an output)
            // is read through `view` only by the ops above, for this chunk, before any
            // output is written; the value written into a donor is a register (`run` only
            // donates to `Src::Reg` outputs), and an input read by any output (passed
            // through or reduced) is never a donor, so `view` below never reads it.
            for (((src, _), out), red) in self.outputs.iter().zip(outs).zip(&self.reduced) {
                if let Some((kind, row)) = *red {
                    let (first_row, rows) = (at / row, len / row);
                    match *out {
                        OutRaw::F32(o) => {
                            let View::Slice(x) = view::<f32>(*src, ins, &regs, lo, len) else {
                                unreachable!("a fused reduction reads a register")
                            };
                            let dst = init_zeroed(unsafe { o.get_mut(first_row, rows) });
                            reduce_f32_into(kind, x, &[rows, row], &[1], dst);
                        }
                        OutRaw::F64(o) => {
                            let View::Slice(x) = view::<f64>(*src, ins, &regs, lo, len) else {
                                unreachable!("a fused reduction reads a register")
                            };
                            let dst = init_zeroed(unsafe { o.get_mut(first_row, rows) });
                            reduce_f64_into(kind, x, &[rows, row], &[1], dst);
                        }
                        OutRaw::Bool(_) => unreachable!("reductions are float"),
                    }
                    continue;
                }
                match *out {
                    OutRaw::F32(o) => {
                        let v = view(*src, ins, &regs, lo, len);
                        write_uninit(unsafe { o.get_mut(at, len) }, v)
                    }
                    OutRaw::F64(o) => {
                        let v = view(*src, ins, &regs, lo, len);
                        write_uninit(unsafe { o.get_mut(at, len) }, v)
                    }
                    OutRaw::Bool(o) => {
                        let v = view_bool(*src, ins, &regs, lo, len);
                        write_uninit(unsafe { o.get_mut(at, len) }, v)
                    }
                }
            }
            lo = hi;
        }
    }

    fn step(&self, op: &Op, ins: &[Input], regs: &mut Regs, lo: usize, len: usize) {
        match *op {
            Op::Unary(u, Lane::F32, a, r) => unary::<f32>(u, a, r, ins, regs, lo, len),
            Op::Unary(u, Lane::F64, a, r) => unary::<f64>(u, a, r, ins, regs, lo, len),
            Op::Binary(b, Lane::F32, x, y, r) => binary::<f32>(b, x, y, r, ins, regs, lo, len),
            Op::Binary(b, Lane::F64, x, y, r) => binary::<f64>(b, x, y, r, ins, regs, lo, len),
            Op::Compare(b, Lane::F32, x, y, r) => cmp::<f32>(b, x, y, r, ins, regs, lo, len),
            Op::Compare(b, Lane::F64, x, y, r) => cmp::<f64>(b, x, y, r, ins, regs, lo, len),
            Op::Select(Lane::F32, p, f, t, r) => select::<f32>(p, f, t, r, ins, regs, lo, len),
            Op::Select(Lane::F64, p, f, t, r) => select::<f64>(p, f, t, r, ins, regs, lo, len),
            Op::Load(i, ref strides, r) => {
                let shape = &self.shape;
                match &ins[i as usize] {
                    // SAFETY (three arms): a loaded input's shape differs from the group's
                    // (`new` makes full-shape inputs `Src::In`, and `run` checked the
                    // inputs' shapes), so it is never a donor and nothing writes it.
                    Input::F32(x) => with_reg::<f32>(regs, r, len, |_, out| {
                        fill_broadcast(unsafe { x.all() }, shape, strides, lo, out)
                    }),
                    Input::F64(x) => with_reg::<f64>(regs, r, len, |_, out| {
                        fill_broadcast(unsafe { x.all() }, shape, strides, lo, out)
                    }),
                    Input::Bool(x) => with_bool_reg(regs, r, len, |_, out| {
                        fill_broadcast(unsafe { x.all() }, shape, strides, lo, out)
                    }),
                }
            }
        }
    }
}

/// The register file of one chunk loop.
struct Regs {
    f32: Vec<Vec<f32>>,
    f64: Vec<Vec<f64>>,
    b: Vec<Vec<bool>>,
}

/// A chunk of an operand: a slice or one value for every element.
#[derive(Clone, Copy)]
pub(super) enum View<'a, T> {
    Slice(&'a [T]),
    Splat(T),
}

/// A float element type's place in a fused group: its registers, its inputs and its
/// vectorized unary loop.
trait FusedFloat: FloatElement {
    fn regs(r: &Regs) -> &Vec<Vec<Self>>;
    fn regs_mut(r: &mut Regs) -> &mut Vec<Vec<Self>>;
    fn input(i: &Input) -> Raw<Self>;
    fn unary_slice(op: UnaryOp, src: &[Self], dst: &mut [Self]);
}

macro_rules! fused_float {
    ($($t:ident => $variant:ident, $unary:ident);*) => {$(
        impl FusedFloat for $t {
            fn regs(r: &Regs) -> &Vec<Vec<$t>> {
                &r.$t
            }
            fn regs_mut(r: &mut Regs) -> &mut Vec<Vec<$t>> {
                &mut r.$t
            }
            fn input(i: &Input) -> Raw<$t> {
                match *i {
                    Input::$variant(x) => x,
                    _ => unreachable!("dtype checked when fusing"),
                }
            }
            fn unary_slice(op: UnaryOp, src: &[$t], dst: &mut [$t]) {
                $unary(op, src, dst)
            }
        }
    )*};
}
fused_float!(f32 => F32, unary_f32; f64 => F64, unary_f64);

fn view<'a, T: FusedFloat>(
    src: Src,
    ins: &'a [Input],
    regs: &'a Regs,
    lo: usize,
    len: usize,
) -> View<'a, T> {
    match src {
        // SAFETY: a donor input's range `lo..lo + len` is written only by this thread (see
        // `run_range`), after the chunk's ops, which are the only readers of a donor; the
        // slice lives no longer than the op reading it. Other inputs are never written.
        Src::In(i) => View::Slice(unsafe { T::input(&ins[i as usize]).get(lo, len) }),
        // SAFETY: scalar inputs are never donors (donors have the group's nonempty shape),
        // so nothing writes them.
        Src::InScalar(i) => View::Splat(unsafe { T::input(&ins[i as usize]).get(0, 1) }[0]),
        Src::Reg(r) => View::Slice(&T::regs(regs)[r as usize][..len]),
        Src::Lit(v) => View::Splat(T::from(v).expect("float literal")),
        Src::LitBool(_) => unreachable!("a bool literal where a float is expected"),
    }
}

fn view_bool<'a>(
    src: Src,
    ins: &'a [Input],
    regs: &'a Regs,
    lo: usize,
    len: usize,
) -> View<'a, bool> {
    let input = |i: u16| match ins[i as usize] {
        Input::Bool(x) => x,
        _ => unreachable!("dtype checked when fusing"),
    };
    match src {
        // SAFETY: as in `view`.
        Src::In(i) => View::Slice(unsafe { input(i).get(lo, len) }),
        // SAFETY: as in `view`.
        Src::InScalar(i) => View::Splat(unsafe { input(i).get(0, 1) }[0]),
        Src::Reg(r) => View::Slice(&regs.b[r as usize][..len]),
        Src::LitBool(v) => View::Splat(v),
        Src::Lit(_) => unreachable!("a float literal where a bool is expected"),
    }
}

fn write<T: Copy>(out: &mut [T], v: View<'_, T>) {
    match v {
        View::Slice(s) => out.copy_from_slice(s),
        View::Splat(x) => out.fill(x),
    }
}

/// Takes register `r` out of its file, lets `f` fill it, puts it back.
fn with_reg<T: FusedFloat>(regs: &mut Regs, r: u16, len: usize, f: impl FnOnce(&Regs, &mut [T])) {
    let mut buf = std::mem::take(&mut T::regs_mut(regs)[r as usize]);
    f(regs, &mut buf[..len]);
    T::regs_mut(regs)[r as usize] = buf;
}

fn with_bool_reg(regs: &mut Regs, r: u16, len: usize, f: impl FnOnce(&Regs, &mut [bool])) {
    let mut buf = std::mem::take(&mut regs.b[r as usize]);
    f(regs, &mut buf[..len]);
    regs.b[r as usize] = buf;
}

fn unary<T: FusedFloat>(
    op: UnaryOp,
    a: Src,
    r: u16,
    ins: &[Input],
    regs: &mut Regs,
    lo: usize,
    len: usize,
) {
    with_reg::<T>(regs, r, len, |regs, out| {
        match view::<T>(a, ins, regs, lo, len) {
            View::Slice(x) => T::unary_slice(op, x, out),
            View::Splat(v) => {
                let mut one = [T::zero()];
                T::unary_slice(op, &[v], &mut one);
                out.fill(one[0]);
            }
        }
    });
}

/// `out[i] = f(a[i], b[i])` over slices or splats; a separate loop per case so each one
/// vectorizes.
#[inline(always)]
fn zip2<A: Copy, B: Copy, O: Copy>(a: View<A>, b: View<B>, out: &mut [O], f: impl Fn(A, B) -> O) {
    match (a, b) {
        (View::Slice(x), View::Slice(y)) => {
            for ((o, &p), &q) in out.iter_mut().zip(x).zip(y) {
                *o = f(p, q);
            }
        }
        (View::Slice(x), View::Splat(q)) => {
            for (o, &p) in out.iter_mut().zip(x) {
                *o = f(p, q);
            }
        }
        (View::Splat(p), View::Slice(y)) => {
            for (o, &q) in out.iter_mut().zip(y) {
                *o = f(p, q);
            }
        }
        (View::Splat(p), View::Splat(q)) => out.fill(f(p, q)),
    }
}

#[allow(clippy::too_many_arguments)]
fn binary<T: FusedFloat>(
    op: BinaryOp,
    x: Src,
    y: Src,
    r: u16,
    ins: &[Input],
    regs: &mut Regs,
    lo: usize,
    len: usize,
) {
    with_reg::<T>(regs, r, len, |regs, out| {
        let (a, b) = (
            view::<T>(x, ins, regs, lo, len),
            view::<T>(y, ins, regs, lo, len),
        );
        with_float_op(op, Zip2 { a, b, out });
    });
}

/// [`zip2`] as the loop [`with_float_op`] runs.
struct Zip2<'a, 'o, T> {
    a: View<'a, T>,
    b: View<'a, T>,
    out: &'o mut [T],
}

impl<T: Copy> FloatZip<T> for Zip2<'_, '_, T> {
    type Out = ();
    #[inline(always)]
    fn zip(self, f: impl Fn(T, T) -> T) {
        zip2(self.a, self.b, self.out, f)
    }
}

#[allow(clippy::too_many_arguments)]
fn cmp<T: FusedFloat>(
    op: BinaryOp,
    x: Src,
    y: Src,
    r: u16,
    ins: &[Input],
    regs: &mut Regs,
    lo: usize,
    len: usize,
) {
    with_bool_reg(regs, r, len, |regs, out| {
        let (a, b) = (
            view::<T>(x, ins, regs, lo, len),
            view::<T>(y, ins, regs, lo, len),
        );
        zip2(a, b, out, |p, q| compare(op, p, q));
    });
}

#[allow(clippy::too_many_arguments)]
fn select<T: FusedFloat>(
    p: Src,
    f: Src,
    t: Src,
    r: u16,
    ins: &[Input],
    regs: &mut Regs,
    lo: usize,
    len: usize,
) {
    with_reg::<T>(regs, r, len, |regs, out| {
        let pred = view_bool(p, ins, regs, lo, len);
        let (a, b) = (
            view::<T>(f, ins, regs, lo, len),
            view::<T>(t, ins, regs, lo, len),
        );
        match pred {
            View::Splat(c) => write(out, if c { b } else { a }),
            View::Slice(c) => match (a, b) {
                (View::Slice(x), View::Slice(y)) => {
                    for (((o, &c), &x), &y) in out.iter_mut().zip(c).zip(x).zip(y) {
                        *o = if c { y } else { x };
                    }
                }
                (View::Slice(x), View::Splat(y)) => {
                    for ((o, &c), &x) in out.iter_mut().zip(c).zip(x) {
                        *o = if c { y } else { x };
                    }
                }
                (View::Splat(x), View::Slice(y)) => {
                    for ((o, &c), &y) in out.iter_mut().zip(c).zip(y) {
                        *o = if c { y } else { x };
                    }
                }
                (View::Splat(x), View::Splat(y)) => {
                    for (o, &c) in out.iter_mut().zip(c) {
                        *o = if c { y } else { x };
                    }
                }
            },
        }
    });
}
