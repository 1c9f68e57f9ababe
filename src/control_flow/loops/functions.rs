//! The lax functions that bind the loop primitives: [`scan`], [`fori_loop`], [`while_loop`]
//! and [`map`] (re-exported by `ferrax::lax`).
//!
//! Bodies are traced once into a sub-jaxpr, so a loop is one equation in the jaxpr whatever
//! its trip count (no unrolling), and the interpreter runs it without per-iteration dispatch
//! of the user's Rust closure. As in JAX this holds in plain eager code too: a body cannot read
//! concrete values (`item()`), use `lax::cond`/`lax::while_loop` for data-dependent choices.
//! Carries, xs and ys are pytrees.
//!
//! Differentiation: `scan` (and so `fori_loop` with concrete bounds and `map`) supports forward
//! and reverse mode; `while_loop` supports forward mode only (see [`while_loop`]). All of them
//! batch under `vmap`.

use super::LoopOp;
use crate::core::SubJaxpr;
use crate::core::{bind, Aval};
use crate::interpreters::closure_convert;
use crate::prims::Prim;
use crate::tensor::{DType, Tensor};
use crate::tree::{PyTree, TreeDef};

/// Options of [`scan_with`] (JAX's `length`, `reverse` and `unroll` arguments).
///
/// ```
/// use ferrax::lax::ScanOptions;
/// let o = ScanOptions { length: Some(4), reverse: true, ..Default::default() };
/// assert_eq!(o.unroll, 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanOptions {
    /// The number of iterations; required when `xs` has no leaves, otherwise it must agree
    /// with their leading axis.
    pub length: Option<usize>,
    /// Iterate from the last element of `xs` to the first (ys are still stacked by index).
    pub reverse: bool,
    /// How many iterations a compiled loop body would run per step; recorded in the jaxpr
    /// (`unroll=`) as JAX does. Must be at least 1.
    pub unroll: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            length: None,
            reverse: false,
            unroll: 1,
        }
    }
}

/// Panics, naming the leaf path and both types, unless a body's output carry has the
/// structure and leaf types of its input carry.
#[track_caller]
fn check_carry(op: &str, def_in: &TreeDef, avals_in: &[Aval], def_out: &TreeDef, out: &[Tensor]) {
    if def_in != def_out {
        let (pa, pb) = (def_in.leaf_paths(), def_out.leaf_paths());
        let at = match pa.iter().zip(&pb).position(|(a, b)| a != b) {
            Some(i) => format!(
                "; they first differ at leaf {i}: `{}` in the input, `{}` in the output",
                pa[i], pb[i]
            ),
            None => format!(
                "; the input has {} leaves, the output {}",
                pa.len(),
                pb.len()
            ),
        };
        panic!(
            "{op}: the body must return a carry with the structure of its input carry, but the \
             input carry is {def_in} and the body returned {def_out}{at}"
        );
    }
    for (i, (a, t)) in avals_in.iter().zip(out).enumerate() {
        if t.shape() != a.shape.as_slice() || t.dtype() != a.dtype {
            let paths = def_in.leaf_paths();
            let at = if paths[i].is_root() {
                "the carry".to_string()
            } else {
                format!("carry leaf `{}`", paths[i])
            };
            panic!(
                "{op}: the body's output carry must have the input carry's types, but {at} is {a} \
                 in the input and {} in the body's output",
                t.aval()
            );
        }
    }
}

/// The common leading-axis size of the xs leaves (and `length` if given).
#[track_caller]
fn scan_length(xdef: &TreeDef, xs: &[Tensor], length: Option<usize>) -> usize {
    let paths = xdef.leaf_paths();
    let mut found: Option<(usize, String)> = length.map(|n| (n, "length".to_string()));
    for (x, p) in xs.iter().zip(&paths) {
        assert!(
            x.ndim() >= 1,
            "scan: xs leaf `{p}` is a scalar ({}); every xs leaf needs a leading axis to scan over",
            x.aval()
        );
        let n = x.shape()[0];
        match &found {
            Some((m, w)) if *m != n => panic!(
                "scan: xs leaf `{p}` has leading axis {n} ({}) but {w} is {m}",
                x.aval()
            ),
            Some(_) => {}
            None => found = Some((n, format!("xs leaf `{p}`"))),
        }
    }
    match found {
        Some((n, _)) => n,
        None => panic!(
            "scan: xs has no leaves, so give the number of iterations with ScanOptions::length"
        ),
    }
}

/// Loops `f` over the leading axis of `xs`, threading a carry: returns the final carry and
/// the `y`s stacked along a new leading axis (`jax.lax.scan`). `C`, `X` and `Y` are pytrees.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax;
/// let xs = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// let (total, prefix) = lax::scan(|c: &Tensor, x: &Tensor| (c + x, c + x), &Tensor::scalar(0.0f32), &xs);
/// assert_eq!(total.item::<f32>(), 6.0);
/// assert_eq!(prefix.to_vec::<f32>(), vec![1.0, 3.0, 6.0]);
/// ```
#[track_caller]
pub fn scan<C: PyTree, X: PyTree, Y: PyTree>(
    f: impl Fn(&C, &X) -> (C, Y),
    init: &C,
    xs: &X,
) -> (C, Y) {
    scan_with(f, init, xs, ScanOptions::default())
}

/// [`scan`] with options: `length` (needed when `xs` is `()`), `reverse`, `unroll`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::{self, ScanOptions};
/// // No xs: iterate 4 times, doubling the carry and emitting it.
/// let opts = ScanOptions { length: Some(4), ..Default::default() };
/// let (c, ys) = lax::scan_with(|c: &Tensor, _: &()| (c * 2.0, c.clone()), &Tensor::scalar(1.0f32), &(), opts);
/// assert_eq!(c.item::<f32>(), 16.0);
/// assert_eq!(ys.to_vec::<f32>(), vec![1.0, 2.0, 4.0, 8.0]);
/// // reverse: iterate from the end; ys stay in index order.
/// let xs = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// let opts = ScanOptions { reverse: true, ..Default::default() };
/// let (_, suffix) = lax::scan_with(|c: &Tensor, x: &Tensor| (c + x, c + x), &Tensor::scalar(0.0f32), &xs, opts);
/// assert_eq!(suffix.to_vec::<f32>(), vec![6.0, 5.0, 3.0]);
/// ```
#[track_caller]
pub fn scan_with<C: PyTree, X: PyTree, Y: PyTree>(
    f: impl Fn(&C, &X) -> (C, Y),
    init: &C,
    xs: &X,
    opts: ScanOptions,
) -> (C, Y) {
    let (carry, cdef) = init.flatten();
    let (xl, xdef) = xs.flatten();
    let length = scan_length(&xdef, &xl, opts.length);
    assert!(opts.unroll >= 1, "scan: unroll must be at least 1, got 0");
    let c_avals: Vec<Aval> = carry.iter().map(|t| t.aval()).collect();
    let nc = carry.len();
    let mut avals = c_avals.clone();
    avals.extend(xl.iter().map(|x| {
        let mut a = x.aval();
        a.shape.remove(0);
        a
    }));
    let mut ydef: Option<TreeDef> = None;
    let (jaxpr, consts) = closure_convert(&avals, |a| {
        let c = C::unflatten(&cdef, a[..nc].to_vec());
        let x = X::unflatten(&xdef, a[nc..].to_vec());
        let (c2, y) = f(&c, &x);
        let (mut out, c2def) = c2.flatten();
        check_carry("scan", &cdef, &c_avals, &c2def, &out);
        let (yl, yd) = y.flatten();
        ydef = Some(yd);
        out.extend(yl);
        out
    });
    let ydef = ydef.expect("scan body was traced");
    let prim = Prim::new(LoopOp::Scan {
        jaxpr: SubJaxpr(jaxpr),
        length,
        num_consts: consts.len(),
        num_carry: nc,
        reverse: opts.reverse,
        unroll: opts.unroll,
    });
    let mut operands = consts;
    operands.extend(carry);
    operands.extend(xl);
    let mut outs = bind(&prim, &operands).into_vec();
    let ys = outs.split_off(nc);
    (C::unflatten(&cdef, outs), Y::unflatten(&ydef, ys))
}

/// A bound of [`fori_loop`]: a Rust integer (concrete) or a scalar integer tensor (concrete,
/// or traced, in which case the loop becomes a `while`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::LoopBound;
/// assert!(matches!(LoopBound::from(3), LoopBound::Int(3)));
/// assert!(matches!(LoopBound::from(Tensor::scalar(3i32)), LoopBound::Tensor(_)));
/// ```
#[derive(Clone)]
pub enum LoopBound {
    Int(i64),
    Tensor(Tensor),
}

from_variant!(LoopBound::Int, |v| i32 => v as i64, i64 => v, usize => v as i64);
from_variant!(LoopBound::Tensor, |v| Tensor => v, &Tensor => v.clone());

impl LoopBound {
    /// The value, if known now.
    #[track_caller]
    fn concrete(&self) -> Option<i64> {
        match self {
            LoopBound::Int(v) => Some(*v),
            LoopBound::Tensor(t) => {
                assert!(
                    t.ndim() == 0 && matches!(t.dtype(), DType::I32 | DType::U32),
                    "fori_loop: a bound must be a scalar integer, got {}",
                    t.aval()
                );
                t.is_concrete().then(|| match t.dtype() {
                    DType::U32 => t.item::<u32>() as i64,
                    _ => t.item::<i32>() as i64,
                })
            }
        }
    }

    fn tensor(&self) -> Tensor {
        match self {
            LoopBound::Int(v) => Tensor::scalar(*v as i32),
            LoopBound::Tensor(t) => t.cast(DType::I32),
        }
    }
}

/// `body(i, carry)` for `i` in `lower..upper` (`jax.lax.fori_loop`); `i` is an `i32[]`.
///
/// With concrete bounds it is a `scan` whose carry holds the counter (so it differentiates
/// in reverse mode, and under `vmap` the counter stays unbatched); with a traced bound it is a
/// `while_loop` (forward mode only).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax;
/// let c = lax::fori_loop(0, 10, |_i: &Tensor, c: &Tensor| c * 2.0, &Tensor::scalar(1.0f32));
/// assert_eq!(c.item::<f32>(), 1024.0);
/// // Sum of i over 0..5, carried as an i32.
/// let s = lax::fori_loop(0, 5, |i: &Tensor, c: &Tensor| c + i, &Tensor::scalar(0i32));
/// assert_eq!(s.item::<i32>(), 10);
/// // Differentiable through its scan.
/// let g = grad(|x: &Tensor| lax::fori_loop(0, 3, |_i: &Tensor, c: &Tensor| c * c, x))(&Tensor::scalar(1.5f64));
/// assert!((g.item::<f64>() - 8.0 * 1.5f64.powi(7)).abs() < 1e-9);
/// ```
#[track_caller]
pub fn fori_loop<C: PyTree>(
    lower: impl Into<LoopBound>,
    upper: impl Into<LoopBound>,
    body: impl Fn(&Tensor, &C) -> C,
    init: &C,
) -> C {
    let (lower, upper) = (lower.into(), upper.into());
    let (leaves, def) = init.flatten();
    let avals: Vec<Aval> = leaves.iter().map(|t| t.aval()).collect();
    let checked = |i: &Tensor, c: &C| -> C {
        let c2 = body(i, c);
        let (l, d) = c2.flatten();
        check_carry("fori_loop", &def, &avals, &d, &l);
        C::unflatten(&d, l)
    };
    match (lower.concrete(), upper.concrete()) {
        (Some(lo), Some(hi)) => {
            let lo32 = i32::try_from(lo).expect("fori_loop: lower bound out of i32 range");
            let _ = i32::try_from(hi).expect("fori_loop: upper bound out of i32 range");
            let n = (hi - lo).max(0) as usize;
            let init2 = (Tensor::scalar(lo32), C::unflatten(&def, leaves));
            let opts = ScanOptions {
                length: Some(n),
                ..Default::default()
            };
            let ((_, c), ()) = scan_with(
                |(i, c): &(Tensor, C), _: &()| {
                    let next = i + 1;
                    ((next, checked(i, c)), ())
                },
                &init2,
                &(),
                opts,
            );
            c
        }
        _ => {
            let init2 = (lower.tensor(), upper.tensor(), C::unflatten(&def, leaves));
            let (_, _, c) = while_loop(
                |(i, hi, _): &(Tensor, Tensor, C)| i.lt(hi),
                |(i, hi, c): &(Tensor, Tensor, C)| (i + 1, hi.clone(), checked(i, c)),
                &init2,
            );
            c
        }
    }
}

/// Repeats `body` while `cond(carry)` is true (`jax.lax.while_loop`); `cond` returns a
/// `bool[]`.
///
/// Forward mode (`jvp`, `jacfwd`) works. Reverse mode (`grad`, `vjp`) panics: the trip count
/// is unbounded, so there is no fixed-size stack for the residuals the backward pass needs;
/// use [`fori_loop`] with concrete bounds or [`scan`]. Under `vmap` with a batched predicate
/// the loop runs until every member is done, and finished members keep their carry.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax;
/// let c = lax::while_loop(|c: &Tensor| c.lt(10.0), |c: &Tensor| c + 3.0, &Tensor::scalar(0.0f32));
/// assert_eq!(c.item::<f32>(), 12.0);
/// // Different trip counts per batch member.
/// let xs = Tensor::from_vec(vec![0.0f32, 5.0, 9.5], &[3]);
/// let ys = ferrax::transforms::vmap(|c: &Tensor| lax::while_loop(|c: &Tensor| c.lt(10.0), |c: &Tensor| c + 3.0, c))(&xs);
/// assert_eq!(ys.to_vec::<f32>(), vec![12.0, 11.0, 12.5]);
/// ```
#[track_caller]
pub fn while_loop<C: PyTree>(
    cond_fn: impl Fn(&C) -> Tensor,
    body_fn: impl Fn(&C) -> C,
    init: &C,
) -> C {
    let (leaves, def) = init.flatten();
    let outs = while_loop_flat(leaves, &def, &|a| cond_fn(&C::unflatten(&def, a)), &|a| {
        body_fn(&C::unflatten(&def, a)).flatten()
    });
    C::unflatten(&def, outs)
}

/// [`while_loop`] on the carry's flat leaves, compiled once rather than per caller's
/// functions (the crate's compile time).
fn while_loop_flat(
    leaves: Vec<Tensor>,
    def: &TreeDef,
    cond_fn: &dyn Fn(Vec<Tensor>) -> Tensor,
    body_fn: &dyn Fn(Vec<Tensor>) -> (Vec<Tensor>, TreeDef),
) -> Vec<Tensor> {
    let avals: Vec<Aval> = leaves.iter().map(|t| t.aval()).collect();
    let (cond_jaxpr, cond_consts) = closure_convert(&avals, |a| {
        let p = cond_fn(a.to_vec());
        assert!(
            p.ndim() == 0 && p.dtype() == DType::Bool,
            "while_loop: cond_fn must return a bool[] scalar, got {}",
            p.aval()
        );
        vec![p]
    });
    let (body_jaxpr, body_consts) = closure_convert(&avals, |a| {
        let (l, d) = body_fn(a.to_vec());
        check_carry("while_loop", def, &avals, &d, &l);
        l
    });
    let prim = Prim::new(LoopOp::While {
        cond_jaxpr: SubJaxpr(cond_jaxpr),
        body_jaxpr: SubJaxpr(body_jaxpr),
        cond_nconsts: cond_consts.len(),
        body_nconsts: body_consts.len(),
    });
    let mut operands = cond_consts;
    operands.extend(body_consts);
    operands.extend(leaves);
    bind(&prim, &operands).into_vec()
}

/// Applies `f` to every slice of `xs` along its leading axis and stacks the results
/// (`jax.lax.map`): a [`scan`] without a carry, so `f` is traced once.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax;
/// let xs = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// let sums = lax::map(|x: &Tensor| x.sum(), &xs);
/// assert_eq!(sums.to_vec::<f32>(), vec![3.0, 7.0]);
/// ```
#[track_caller]
pub fn map<X: PyTree, Y: PyTree>(f: impl Fn(&X) -> Y, xs: &X) -> Y {
    scan(|_: &(), x: &X| ((), f(x)), &(), xs).1
}
