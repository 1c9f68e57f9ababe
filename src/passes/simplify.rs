//! Algebraic simplification of what autodiff and the numpy layer emit.

use super::fold::splat;
use super::{eval_now, scalar, Rewriter};
use crate::core::{Atom, Aval, Jaxpr, Shape};
use crate::prims::{
    family, BinaryOp, DotGeneral, ElementwiseOp, Family, Prim, ReduceOp, ShapeOp, UnaryOp,
};
use crate::DType;
use smallvec::{smallvec, SmallVec};

/// Rewrites algebraic identities (only where the replacement has exactly the equation's
/// output type):
///
/// - `x + 0`, `0 + x`, `add_any` with a zero, `x - 0` → `x`; `0 - x` → `neg x`;
///   `x * 1`, `1 * x`, `x / 1` → `x`; for integers `x * 0`, `0 * x` → zeros (zeros are
///   literals or `broadcast_in_dim` of a `0` literal; not for floats, where `inf * 0` is NaN);
/// - `neg (neg x)` → `x`; `copy x` → `x`; `convert_element_type` to `x`'s own dtype → `x`
///   (`stop_gradient` is kept: a jit equation's optimized jaxpr may be differentiated);
/// - `transpose (transpose x)` → one transpose, or `x` when the permutations cancel; an
///   identity transpose, reshape or `broadcast_in_dim` → `x`; `reshape (reshape x)` → one
///   reshape; `broadcast_in_dim (broadcast_in_dim x)` → one `broadcast_in_dim`;
/// - `reduce_sum` over exactly the dims a `broadcast_in_dim` added → `x * n` (or `x` when
///   `n = 1`); `reduce_sum` over no axes → `x`, over size-1 axes → a reshape;
/// - a splat operand of a binary op → a literal (rank-0 operands stretch);
/// - `transpose (dot_general x y)` that swaps the free dims → `dot_general y x` (when the
///   product has no other reader); reshape, transpose, broadcast and sum of a
///   splat → a splat.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[2, 3], DType::F32);
/// let j = make_jaxpr(|x: &Tensor| (x * 1.0).t().t())(&x);
/// let s = ferrax::internals::passes::dce(&ferrax::internals::passes::simplify(&j.jaxpr));
/// assert_eq!(s.to_string(), "{ lambda ; a:f32[2,3]. let  in (a,) }");
/// ```
pub fn simplify(jaxpr: &Jaxpr) -> Jaxpr {
    let mut r = Rewriter::new(jaxpr);
    for (i, e) in jaxpr.eqns.iter().enumerate() {
        let ins: SmallVec<[Atom; 3]> = e.inputs.iter().map(|a| r.get(a)).collect();
        if e.outputs.len() == 1 {
            let out = jaxpr.aval(e.outputs[0]).clone();
            if let Some(a) = rewrite(&mut r, &e.prim, &ins, &out) {
                debug_assert_eq!(r.aval(&a), out, "simplify changed a type ({})", e.prim);
                r.set(e.outputs[0], a);
                continue;
            }
        }
        r.copy_eqn(i, ins);
    }
    r.finish()
}

fn is_value(r: &Rewriter, a: &Atom, v: f64) -> bool {
    splat(r, a).is_some_and(|t| t.array().get_f64(0) == v)
}

fn emit1(r: &mut Rewriter, prim: Prim, ins: SmallVec<[Atom; 3]>, out: &Aval) -> Atom {
    Atom::Var(r.emit(prim, ins, std::slice::from_ref(out))[0])
}

fn is_iota(p: &[usize]) -> bool {
    p.iter().enumerate().all(|(i, &d)| i == d)
}

/// The rewrite of one equation, or `None` to keep it.
fn rewrite(r: &mut Rewriter, prim: &Prim, ins: &[Atom], out: &Aval) -> Option<Atom> {
    let same = |r: &Rewriter, a: &Atom| r.aval(a) == *out;
    match family(prim) {
        // `stop_gradient` stays: jit's call equation runs the optimized jaxpr, and
        // differentiating it (`grad(jit(f))`) must still see the stop.
        Family::Unary(UnaryOp::Copy) => Some(ins[0].clone()),
        Family::Elementwise(ElementwiseOp::ConvertElementType(d))
            if r.aval(&ins[0]).dtype == *d =>
        {
            Some(ins[0].clone())
        }
        Family::Unary(UnaryOp::Neg) => match r.def(&ins[0]) {
            Some(e) if e.prim.is(&UnaryOp::Neg) => Some(e.inputs[0].clone()),
            _ => None,
        },
        Family::Binary(op) => {
            let (a, b) = (&ins[0], &ins[1]);
            let zero = |r: &Rewriter, x: &Atom| is_value(r, x, 0.0);
            let one = |r: &Rewriter, x: &Atom| is_value(r, x, 1.0);
            let specific = match op {
                BinaryOp::Add | BinaryOp::AddAny => {
                    if zero(r, b) && same(r, a) {
                        Some(a.clone())
                    } else if zero(r, a) && same(r, b) {
                        Some(b.clone())
                    } else {
                        None
                    }
                }
                BinaryOp::Sub => {
                    if zero(r, b) && same(r, a) {
                        Some(a.clone())
                    } else if zero(r, a) && same(r, b) && out.dtype != DType::U32 {
                        Some(emit1(r, Prim::new(UnaryOp::Neg), smallvec![b.clone()], out))
                    } else {
                        None
                    }
                }
                BinaryOp::Mul => {
                    if one(r, b) && same(r, a) {
                        Some(a.clone())
                    } else if one(r, a) && same(r, b) {
                        Some(b.clone())
                    } else if (zero(r, a) || zero(r, b)) && !out.dtype.is_inexact() {
                        // Not for floats: `inf * 0` and `NaN * 0` are NaN, and jit must
                        // give what eager evaluation gives.
                        Some(r.splat_atom(scalar(0.0, out.dtype), out))
                    } else {
                        None
                    }
                }
                BinaryOp::Div if one(r, b) && same(r, a) => Some(a.clone()),
                _ => None,
            };
            if specific.is_some() {
                return specific;
            }
            // A splat operand of a binary op becomes a literal (a rank-0 operand stretches),
            // so the broadcast need not be materialized.
            let lit_a = matches!(a, Atom::Var(_)).then(|| splat(r, a)).flatten();
            let lit_b = matches!(b, Atom::Var(_)).then(|| splat(r, b)).flatten();
            let same_shape = |r: &Rewriter, x: &Atom| r.aval(x).shape == out.shape;
            if let (Some(c), true) = (lit_a, same_shape(r, b)) {
                let p = Prim::new(*op);
                Some(emit1(r, p, smallvec![Atom::Lit(c), b.clone()], out))
            } else if let (Some(c), true) = (lit_b, same_shape(r, a)) {
                let p = Prim::new(*op);
                Some(emit1(r, p, smallvec![a.clone(), Atom::Lit(c)], out))
            } else {
                None
            }
        }
        // `iota` has no operand and nothing to simplify.
        Family::Shape(op) if !ins.is_empty() => rewrite_shape(r, op, &ins[0], out),
        Family::Reduce(ReduceOp::Sum { axes }) => {
            let a = &ins[0];
            if axes.is_empty() {
                return Some(a.clone());
            }
            let in_aval = r.aval(a);
            let n: usize = axes.iter().map(|&d| in_aval.shape[d]).product();
            if n == 1 && in_aval.size() > 0 {
                // Summing size-1 axes only drops them.
                let op = ShapeOp::Reshape {
                    new_sizes: out.shape.clone(),
                };
                return rewrite_shape(r, &op, a, out)
                    .or_else(|| Some(emit1(r, Prim::new(op), smallvec![a.clone()], out)));
            }
            if let Some(c) = splat(r, a) {
                let m = eval_now(&Prim::new(BinaryOp::Mul), &[c, scalar(n as f64, out.dtype)]);
                return Some(r.splat_atom(m[0].clone(), out));
            }
            let e = r.def(a)?;
            let Some(ShapeOp::BroadcastInDim {
                shape,
                broadcast_dimensions: bd,
            }) = e.prim.downcast::<ShapeOp>()
            else {
                return None;
            };
            let y = e.inputs[0].clone();
            let y_shape = r.aval(&y).shape;
            let mut added: Vec<usize> = (0..shape.len()).filter(|d| !bd.contains(d)).collect();
            added.sort_unstable();
            let mut axes_sorted: Vec<usize> = axes.to_vec();
            axes_sorted.sort_unstable();
            let increasing = bd.windows(2).all(|w| w[0] < w[1]);
            let no_stretch = bd.iter().enumerate().all(|(i, &d)| y_shape[i] == shape[d]);
            if added != axes_sorted || !increasing || !no_stretch || !same(r, &y) {
                return None;
            }
            if n == 1 {
                Some(y)
            } else {
                let lit = Atom::Lit(scalar(n as f64, out.dtype));
                Some(emit1(r, Prim::new(BinaryOp::Mul), smallvec![y, lit], out))
            }
        }
        _ => None,
    }
}

fn rewrite_shape(r: &mut Rewriter, op: &ShapeOp, a: &Atom, out: &Aval) -> Option<Atom> {
    let same = r.aval(a) == *out;
    let splat = matches!(
        op,
        ShapeOp::Transpose { .. } | ShapeOp::Reshape { .. } | ShapeOp::BroadcastInDim { .. }
    )
    .then(|| splat(r, a))
    .flatten();
    match op {
        ShapeOp::Transpose { permutation } => {
            if is_iota(permutation) {
                return Some(a.clone());
            }
            if let Some(c) = splat {
                return Some(r.splat_atom(c, out));
            }
            let e = r.def(a)?;
            if let Some(d) = e.prim.downcast::<DotGeneral>() {
                let (d, ins) = (d.clone(), e.inputs.clone());
                return swap_dot(r, &d, ins, permutation, a, out);
            }
            let Some(ShapeOp::Transpose { permutation: inner }) = e.prim.downcast::<ShapeOp>()
            else {
                return None;
            };
            let y = e.inputs[0].clone();
            let composed: Shape = permutation.iter().map(|&p| inner[p]).collect();
            if is_iota(&composed) {
                Some(y)
            } else {
                let p = Prim::new(ShapeOp::Transpose {
                    permutation: composed,
                });
                Some(emit1(r, p, smallvec![y], out))
            }
        }
        ShapeOp::Reshape { new_sizes } => {
            if same {
                return Some(a.clone());
            }
            if let Some(c) = splat {
                return Some(r.splat_atom(c, out));
            }
            let e = r.def(a)?;
            let Some(ShapeOp::Reshape { .. }) = e.prim.downcast::<ShapeOp>() else {
                return None;
            };
            let y = e.inputs[0].clone();
            if r.aval(&y) == *out {
                return Some(y);
            }
            let p = Prim::new(ShapeOp::Reshape {
                new_sizes: new_sizes.clone(),
            });
            Some(emit1(r, p, smallvec![y], out))
        }
        ShapeOp::BroadcastInDim {
            shape,
            broadcast_dimensions,
        } => {
            if same && is_iota(broadcast_dimensions) {
                return Some(a.clone());
            }
            if let (Some(c), Atom::Var(_)) = (splat, a) {
                return Some(r.splat_atom(c, out));
            }
            let e = r.def(a)?;
            let Some(ShapeOp::BroadcastInDim {
                broadcast_dimensions: inner,
                ..
            }) = e.prim.downcast::<ShapeOp>()
            else {
                return None;
            };
            let y = e.inputs[0].clone();
            let composed: Shape = inner.iter().map(|&d| broadcast_dimensions[d]).collect();
            let p = Prim::new(ShapeOp::BroadcastInDim {
                shape: shape.clone(),
                broadcast_dimensions: composed,
            });
            Some(emit1(r, p, smallvec![y], out))
        }
        _ => None,
    }
}

/// `transpose(dot_general(x, y))` whose permutation only swaps the free dims of `x` and `y`
/// (batch dims staying first) is `dot_general(y, x)`: the transpose autodiff emits after
/// the weight-gradient product disappears. Only when the product has no other reader.
fn swap_dot(
    r: &mut Rewriter,
    d: &DotGeneral,
    ins: SmallVec<[Atom; 3]>,
    permutation: &[usize],
    a: &Atom,
    out: &Aval,
) -> Option<Atom> {
    if !r.used_once(a) {
        return None;
    }
    let (x, y) = (r.aval(&ins[0]), r.aval(&ins[1]));
    let nb = d.lhs_batch.len();
    let nx = x.ndim() - nb - d.lhs_contracting.len();
    let ny = y.ndim() - nb - d.rhs_contracting.len();
    let want: Vec<usize> = (0..nb)
        .chain(nb + nx..nb + nx + ny)
        .chain(nb..nb + nx)
        .collect();
    if permutation != want.as_slice() {
        return None;
    }
    let swapped = DotGeneral {
        lhs_contracting: d.rhs_contracting.clone(),
        rhs_contracting: d.lhs_contracting.clone(),
        lhs_batch: d.rhs_batch.clone(),
        rhs_batch: d.lhs_batch.clone(),
        preferred_element_type: d.preferred_element_type,
    };
    Some(emit1(
        r,
        Prim::new(swapped),
        smallvec![ins[1].clone(), ins[0].clone()],
        out,
    ))
}
