//! Cumulative reductions along one axis: `cumsum cumprod cummax cummin`.
//!
//! Numeric dtypes only (as in JAX). Integer sums and products wrap; float `cummax`/`cummin`
//! propagate NaN onward (XLA's max/min).
//!
//! Derivatives follow JAX: `cumsum` is linear (its transpose is `cumsum` in the other
//! direction); the JVPs of `cumprod`, `cummax` and `cummin` are the JVPs of
//! [`associative_scan`] with `mul`, `max` and `min`, so they are exact at zeros
//! and differentiable to any order, and ties in `cummax`/`cummin` share the tangent as `max`'s
//! JVP does.

use super::reduce::{with_monoid, Monoid};
use super::util::{expect_arity, instantiate, jvp_out, linear_jvp, py_bool, text};
use super::{
    ArrayOutputs, BatchAxis, BatchResult, BinaryOp, JvpResult, LinearArg, Param, Prim, PrimRules,
};
use crate::core::{bind1, Aval, Avals};
use crate::prims::lax;
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

// ---- lax functions (`ferrax::lax`, re-exported through `prims::lax`) ----

macro_rules! cumulative_fns {
    ($($name:ident => $kind:ident),*) => {$(
        #[doc = concat!("`", stringify!($name), "` along `axis` (from the end if `reverse`).\n\n```\nuse ferrax::prelude::*;\nlet x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);\nassert_eq!(ferrax::lax::", stringify!($name), "(&x, 0, false).shape(), &[3]);\n```")]
        #[track_caller]
        pub fn $name(x: &Tensor, axis: usize, reverse: bool) -> Tensor {
            bind1(&Prim::new(CumulativeOp { kind: CumulativeKind::$kind, axis, reverse }), std::slice::from_ref(x))
        }
    )*};
}

cumulative_fns!(cumsum => Sum, cumprod => Prod, cummax => Max, cummin => Min);

// Parallel prefix scans built from lax ops (`lax.associative_scan`). Being made of ordinary
// ops, they trace and differentiate to any order; the JVP rules of `cumprod`, `cummax` and
// `cummin` are the JVPs of these scans, as in JAX.
/// Scans `x` along `axis` with the associative operation `f`, in parallel (Blelloch's
/// odd/even recursion, as JAX's `lax.associative_scan`): element `k` of the result combines
/// elements `0..=k` of `x`, i.e. `[x0, f(x0, x1), f(f(x0, x1), x2), ...]`. With `reverse`,
/// element `k` combines elements `k..` (the scan runs from the end, so the accumulated value
/// is `f`'s first argument: `[..., f(f(z, y), x), f(z, y), z]`).
///
/// `f` receives two tensors shaped like `x` except along `axis` (equal there) and must
/// combine them elementwise, returning the same shape; it must be associative. It is called
/// `O(log n)` times on slices of `x`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax;
/// let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0], &[5]);
/// let s = lax::associative_scan(|a, b| lax::add(a, b), &x, 0, false);
/// assert_eq!(s.to_vec::<f64>(), vec![1.0, 3.0, 6.0, 10.0, 15.0]);
/// let r = lax::associative_scan(|a, b| lax::mul(a, b), &x, 0, true);
/// assert_eq!(r.to_vec::<f64>(), vec![120.0, 120.0, 60.0, 20.0, 5.0]);
/// ```
#[track_caller]
pub fn associative_scan(
    f: impl Fn(&Tensor, &Tensor) -> Tensor,
    x: &Tensor,
    axis: usize,
    reverse: bool,
) -> Tensor {
    assert!(
        axis < x.ndim(),
        "associative_scan: axis {axis} out of range for rank {} (shape {:?})",
        x.ndim(),
        x.shape()
    );
    let f1 = |a: &[Tensor], b: &[Tensor]| vec![f(&a[0], &b[0])];
    scan_components(&f1, vec![x.clone()], axis, reverse).swap_remove(0)
}

/// A scan of several same-shaped arrays together (a tuple, as JAX's `associative_scan` scans
/// pytrees): `f` combines two tuples. Every structural step applies to each component alike.
fn scan_components(
    f: &impl Fn(&[Tensor], &[Tensor]) -> Vec<Tensor>,
    xs: Vec<Tensor>,
    axis: usize,
    reverse: bool,
) -> Vec<Tensor> {
    if reverse {
        let flipped = xs.iter().map(|x| lax::rev(x, &[axis])).collect();
        let scanned = scan_forward(f, flipped, axis);
        scanned.iter().map(|x| lax::rev(x, &[axis])).collect()
    } else {
        scan_forward(f, xs, axis)
    }
}

/// `slice_in_dim` of every component.
fn slice_each(
    xs: &[Tensor],
    start: usize,
    limit: usize,
    stride: usize,
    axis: usize,
) -> Vec<Tensor> {
    xs.iter()
        .map(|x| slice_in_dim(x, start, limit, stride, axis))
        .collect()
}

/// `x[start:limit:stride]` along `axis`.
fn slice_in_dim(x: &Tensor, start: usize, limit: usize, stride: usize, axis: usize) -> Tensor {
    let mut lo = vec![0; x.ndim()];
    let mut hi = x.shape().to_vec();
    lo[axis] = start;
    hi[axis] = limit;
    if stride == 1 {
        lax::slice(x, &lo, &hi, None)
    } else {
        let mut steps = vec![1; x.ndim()];
        steps[axis] = stride;
        lax::slice(x, &lo, &hi, Some(&steps))
    }
}

/// The forward scan. Pairs of neighbours are combined and scanned recursively, which gives
/// the odd-indexed results; each even-indexed result (after the first) is then the preceding
/// odd result combined with the matching element of `x`.
fn scan_forward(
    f: &impl Fn(&[Tensor], &[Tensor]) -> Vec<Tensor>,
    xs: Vec<Tensor>,
    axis: usize,
) -> Vec<Tensor> {
    let n = xs[0].shape()[axis];
    if n < 2 {
        return xs;
    }
    let pairs = f(
        &slice_each(&xs, 0, n - 1, 2, axis),
        &slice_each(&xs, 1, n, 2, axis),
    );
    let odd = scan_forward(f, pairs, axis);
    let first = slice_each(&xs, 0, 1, 1, axis);
    let even = if n == 2 {
        first
    } else {
        let rest = if n.is_multiple_of(2) {
            f(
                &slice_each(&odd, 0, n / 2 - 1, 1, axis),
                &slice_each(&xs, 2, n, 2, axis),
            )
        } else {
            f(&odd, &slice_each(&xs, 2, n, 2, axis))
        };
        first
            .into_iter()
            .zip(rest)
            .map(|(a, b)| lax::concatenate(&[a, b], axis))
            .collect()
    };
    even.iter()
        .zip(&odd)
        .map(|(e, o)| interleave(e, o, axis))
        .collect()
}

/// `[a0, b0, a1, b1, ...]` along `axis`, where `a` has as many elements as `b` or one more.
/// Built by stacking on a new axis and merging it (no arithmetic, so values such as `-0.0`
/// or NaN pass through untouched).
fn interleave(a: &Tensor, b: &Tensor, axis: usize) -> Tensor {
    let m = b.shape()[axis];
    let extra = a.shape()[axis] - m;
    debug_assert!(extra <= 1, "interleave: sizes {} and {m}", a.shape()[axis]);
    let a_main = if extra == 0 {
        a.clone()
    } else {
        slice_in_dim(a, 0, m, 1, axis)
    };
    let mut stacked_shape = b.shape().to_vec();
    stacked_shape.insert(axis + 1, 1);
    let pair = lax::concatenate(
        &[
            lax::reshape(&a_main, &stacked_shape),
            lax::reshape(b, &stacked_shape),
        ],
        axis + 1,
    );
    let mut merged_shape = b.shape().to_vec();
    merged_shape[axis] = 2 * m;
    let merged = lax::reshape(&pair, &merged_shape);
    if extra == 0 {
        merged
    } else {
        lax::concatenate(&[merged, slice_in_dim(a, m, m + 1, 1, axis)], axis)
    }
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
        let d = inputs[0].dtype();
        // Narrow dtypes scan in their wide type (wrapping, or one rounding per output for
        // bf16/f16, as jnp's cumulative reductions upcast them).
        let x = inputs[0].convert(d.widened());
        let r = crate::dispatch_wide_array!(&x, a, T => {
            with_monoid!(m, T, |_id, f| T::wrap(scan(a, axis, reverse, f)))
        });
        smallvec![r.convert(d)]
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let prim = Prim::new(*self);
        if self.kind == CumulativeKind::Sum {
            return linear_jvp(&prim, primals, tangents);
        }
        let x = &primals[0];
        // The primal is the primitive's own result (it agrees with an undifferentiated call);
        // the tangent is the JVP of the parallel prefix scan, as in JAX.
        let ans = bind1(&prim, primals);
        let t = instantiate(&tangents[0], x);
        let combine = match self.kind {
            CumulativeKind::Prod => BinaryOp::Mul,
            CumulativeKind::Max => BinaryOp::Max,
            CumulativeKind::Min => BinaryOp::Min,
            CumulativeKind::Sum => unreachable!("cumsum is linear"),
        };
        // Forward mode written out: the scan runs on (value, tangent) pairs, and each
        // combine is the binary op's own JVP rule (what running the scan under `jvp` does).
        let combine_dual = |a: &[Tensor], b: &[Tensor]| -> Vec<Tensor> {
            let (outs, touts) = combine.jvp(
                &[a[0].clone(), b[0].clone()],
                &[Some(a[1].clone()), Some(b[1].clone())],
            );
            let tangent = instantiate(&touts[0], &outs[0]);
            vec![outs[0].clone(), tangent]
        };
        let scanned = scan_components(&combine_dual, vec![x.clone(), t], self.axis, self.reverse);
        jvp_out(ans, Some(scanned[1].clone()))
    }

    /// As JAX batches cumulative reductions: the scanned axis shifts past the batch dim,
    /// which stays where it is.
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _axis: &BatchAxis) -> BatchResult {
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
