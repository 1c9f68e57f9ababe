//! Cumulative reductions along one axis: `cumsum cumprod cummax cummin`.
//!
//! Numeric dtypes only (as in JAX). Integer sums and products wrap; float `cummax`/`cummin`
//! propagate NaN onward (XLA's max/min).
//!
//! Derivatives follow JAX: `cumsum` is linear (its transpose is `cumsum` in the other
//! direction); the JVPs of `cumprod`, `cummax` and `cummin` are the JVPs of
//! [`crate::lax::associative_scan`] with `mul`, `max` and `min`, so they are exact at zeros
//! and differentiable to any order, and ties in `cummax`/`cummin` share the tangent as `max`'s
//! JVP does.

use super::reduce::{with_monoid, Monoid};
use super::util::{expect_arity, instantiate, jvp_out, linear_jvp, py_bool, text};
use super::{ArrayOutputs, BatchAxis, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind1, Aval, Avals, Outputs};
use crate::lax;
use crate::tensor::{ArrayData, ArrayElement, DType, Tensor};
use ndarray::ArrayD;
use smallvec::smallvec;

/// Which running reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CumulativeKind {
    /// Running sum.
    Sum,
    /// Running product.
    Prod,
    /// Running maximum.
    Max,
    /// Running minimum.
    Min,
}

/// A cumulative reduction along `axis`, from the end when `reverse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CumulativeOp {
    /// Which running reduction.
    pub kind: CumulativeKind,
    /// The axis to scan along.
    pub axis: usize,
    /// Scan from the last element towards the first.
    pub reverse: bool,
}

impl PrimRules for CumulativeOp {
    fn name(&self) -> &'static str {
        match self.kind {
            CumulativeKind::Sum => "cumsum",
            CumulativeKind::Prod => "cumprod",
            CumulativeKind::Max => "cummax",
            CumulativeKind::Min => "cummin",
        }
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![
            ("axis", text(self.axis.to_string())),
            ("reverse", text(py_bool(self.reverse))),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let x = &inputs[0];
        if self.axis >= x.ndim() {
            return Err(format!(
                "axis {} out of range for rank {} (shape {:?})",
                self.axis,
                x.ndim(),
                x.shape.as_slice()
            ));
        }
        if x.dtype == DType::Bool {
            return Err(format!(
                "operand dtype {} is not supported (needs a numeric dtype)",
                x.dtype
            ));
        }
        Ok(smallvec![x.clone()])
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        let m = match self.kind {
            CumulativeKind::Sum => Monoid::Sum,
            CumulativeKind::Prod => Monoid::Prod,
            CumulativeKind::Max => Monoid::Max,
            CumulativeKind::Min => Monoid::Min,
        };
        let (axis, reverse) = (self.axis, self.reverse);
        let r = crate::dispatch_array!(inputs[0], a, T => {
            with_monoid!(m, T, |_id, f| T::wrap(scan(a, axis, reverse, f)))
        });
        smallvec![r]
    }

    fn jvp(
        &self,
        primals: &[Tensor],
        tangents: &[Option<Tensor>],
    ) -> (Outputs, Vec<Option<Tensor>>) {
        let prim = Prim::new(*self);
        if self.kind == CumulativeKind::Sum {
            return linear_jvp(&prim, primals, tangents);
        }
        let x = &primals[0];
        // The primal is the primitive's own result (it agrees with an undifferentiated call);
        // the tangent is the JVP of the parallel prefix scan, as in JAX.
        let ans = bind1(&prim, primals);
        let t = instantiate(&tangents[0], x);
        let combine: fn(&Tensor, &Tensor) -> Tensor = match self.kind {
            CumulativeKind::Prod => lax::mul,
            CumulativeKind::Max => lax::max,
            CumulativeKind::Min => lax::min,
            CumulativeKind::Sum => unreachable!("cumsum is linear"),
        };
        let (axis, reverse) = (self.axis, self.reverse);
        let (_, t_out) = crate::interpreters::jvp(
            |x: &Tensor| lax::associative_scan(combine, x, axis, reverse),
            x,
            &t,
        );
        jvp_out(ans, Some(t_out))
    }

    /// As JAX batches cumulative reductions: the scanned axis shifts past the batch dim,
    /// which stays where it is.
    fn batch(
        &self,
        args: &[Tensor],
        dims: &[Option<usize>],
        _axis: &BatchAxis,
    ) -> (Outputs, Vec<Option<usize>>) {
        let b = dims[0].expect("cumulative reduction: the only operand is batched");
        let op = CumulativeOp {
            axis: if self.axis < b {
                self.axis
            } else {
                self.axis + 1
            },
            ..*self
        };
        (smallvec![bind1(&Prim::new(op), args)], vec![Some(b)])
    }

    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        match self.kind {
            CumulativeKind::Sum => {
                debug_assert!(args[0].is_linear(), "cumsum: transposing a known operand");
                vec![cts[0]
                    .as_ref()
                    .map(|ct| lax::cumsum(ct, self.axis, !self.reverse))]
            }
            _ => panic!(
                "{}: this primitive is not linear, so it has no transpose rule",
                self.name()
            ),
        }
    }
}

/// Running reduction of `x` along `axis`: the array is viewed as `[outer, n, inner]` and each
/// row of `inner` contiguous elements is combined with the previous one.
fn scan<T: Copy>(x: &ArrayD<T>, axis: usize, reverse: bool, f: impl Fn(T, T) -> T) -> ArrayD<T> {
    let mut out = x.clone();
    let shape = x.shape();
    let n = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let block = n * inner;
    if block == 0 || n == 1 {
        return out;
    }
    let ys = out.as_slice_mut().expect("standard layout");
    for blk in ys.chunks_exact_mut(block) {
        if reverse {
            for k in (0..n - 1).rev() {
                let (cur, prev) = blk[k * inner..(k + 2) * inner].split_at_mut(inner);
                for (c, &p) in cur.iter_mut().zip(prev.iter()) {
                    *c = f(p, *c);
                }
            }
        } else {
            for k in 1..n {
                let (prev, cur) = blk[(k - 1) * inner..(k + 1) * inner].split_at_mut(inner);
                for (c, &p) in cur.iter_mut().zip(prev.iter()) {
                    *c = f(p, *c);
                }
            }
        }
    }
    out
}
