//! Reductions over axes: `reduce_sum reduce_max reduce_min reduce_prod argmax argmin`.
//!
//! Semantics follow XLA/JAX: integer sums and products wrap; float `reduce_max`/`reduce_min`
//! propagate NaN; reducing an empty set of elements gives the identity (`0`, `1`, the lowest
//! value — `-inf` for floats — for max, the highest for min). On bool, `reduce_max` is
//! logical or and `reduce_min` logical and. `argmax`/`argmin` return the index of the first
//! extreme value, where a NaN counts as both the maximum and the minimum (the first NaN wins).

use super::util::{check_axes, expect_arity, instantiate, jvp_out, linear_jvp, py_tuple, sh, text};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind1, Aval, Avals, Shape};
use crate::kernels::reduce::ReduceKind;
use crate::ops::Element;
use crate::prims::lax;
use crate::tensor::{ArrayData, ArrayElement, DType, Tensor};
use ndarray::{ArrayD, IxDyn};
use smallvec::smallvec;

/// A reduction primitive. `axes` are distinct operand axes that disappear (their order does
/// not matter; it is printed as given).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// Sum over `axes` (not bool; integers wrap).
    Sum { axes: Shape },
    /// Maximum over `axes` (NaN propagates; logical or on bool).
    Max { axes: Shape },
    /// Minimum over `axes` (NaN propagates; logical and on bool).
    Min { axes: Shape },
    /// Product over `axes` (not bool; integers wrap).
    Prod { axes: Shape },
    /// Index of the first maximum along `axes[0]` (NaN counts as the maximum, as in JAX).
    Argmax { axes: Shape, index_dtype: DType },
    /// Index of the first minimum along `axes[0]` (NaN counts as the minimum, as in JAX).
    Argmin { axes: Shape, index_dtype: DType },
}

impl ReduceOp {
    /// The reduced axes.
    pub fn axes(&self) -> &[usize] {
        match self {
            ReduceOp::Sum { axes }
            | ReduceOp::Max { axes }
            | ReduceOp::Min { axes }
            | ReduceOp::Prod { axes }
            | ReduceOp::Argmax { axes, .. }
            | ReduceOp::Argmin { axes, .. } => axes,
        }
    }
}

// ---- lax functions (`ferrax::lax`, re-exported through `prims::lax`) ----

macro_rules! reduce_fns {
    ($($name:ident => $variant:ident),*) => {$(
        #[doc = concat!("`", stringify!($name), "` over `axes` (which disappear).\n\n```\nuse ferrax::prelude::*;\nlet x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);\nassert_eq!(ferrax::lax::", stringify!($name), "(&x, &[1]).shape(), &[2]);\n```")]
        #[track_caller]
        pub fn $name(x: &Tensor, axes: &[usize]) -> Tensor {
            bind1(&Prim::new(ReduceOp::$variant { axes: sh(axes) }), std::slice::from_ref(x))
        }
    )*};
}

reduce_fns!(reduce_sum => Sum, reduce_max => Max, reduce_min => Min, reduce_prod => Prod);

/// Index of the first maximum along `axis`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 2.0], &[3]);
/// assert_eq!(ferrax::lax::argmax(&x, 0, DType::I32).item::<i32>(), 1);
/// ```
#[track_caller]
pub fn argmax(x: &Tensor, axis: usize, index_dtype: DType) -> Tensor {
    bind1(
        &Prim::new(ReduceOp::Argmax {
            axes: sh(&[axis]),
            index_dtype,
        }),
        std::slice::from_ref(x),
    )
}

/// Index of the first minimum along `axis`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, -5.0, 2.0], &[3]);
/// assert_eq!(ferrax::lax::argmin(&x, 0, DType::I32).item::<i32>(), 1);
/// ```
#[track_caller]
pub fn argmin(x: &Tensor, axis: usize, index_dtype: DType) -> Tensor {
    bind1(
        &Prim::new(ReduceOp::Argmin {
            axes: sh(&[axis]),
            index_dtype,
        }),
        std::slice::from_ref(x),
    )
}

impl PrimRules for ReduceOp {
    fn name(&self) -> &'static str {
        match self {
            ReduceOp::Sum { .. } => "reduce_sum",
            ReduceOp::Max { .. } => "reduce_max",
            ReduceOp::Min { .. } => "reduce_min",
            ReduceOp::Prod { .. } => "reduce_prod",
            ReduceOp::Argmax { .. } => "argmax",
            ReduceOp::Argmin { .. } => "argmin",
        }
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        let mut ps = vec![("axes", text(py_tuple(self.axes())))];
        if let ReduceOp::Argmax { index_dtype, .. } | ReduceOp::Argmin { index_dtype, .. } = self {
            ps.push(("index_dtype", text(index_dtype.numpy_name())));
        }
        ps
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let x = &inputs[0];
        let axes = self.axes();
        check_axes(axes, x.ndim(), "axis").map_err(|m| format!("{m} (axes={axes:?})"))?;
        let out_shape: Shape = x
            .shape
            .iter()
            .enumerate()
            .filter(|(i, _)| !axes.contains(i))
            .map(|(_, &d)| d)
            .collect();
        let dtype = match self {
            ReduceOp::Sum { .. } | ReduceOp::Prod { .. } => {
                if x.dtype == DType::Bool {
                    return Err(format!(
                        "operand dtype {} is not supported (needs a numeric dtype; convert bool first)",
                        x.dtype
                    ));
                }
                x.dtype
            }
            ReduceOp::Max { .. } | ReduceOp::Min { .. } if x.dtype.is_complex() => {
                return Err(format!(
                    "operand dtype {} is not supported (complex numbers have no order)",
                    x.dtype
                ));
            }
            ReduceOp::Max { .. } | ReduceOp::Min { .. } => x.dtype,
            ReduceOp::Argmax { index_dtype, .. } | ReduceOp::Argmin { index_dtype, .. } => {
                if axes.len() != 1 {
                    return Err(format!("needs exactly one axis, got axes={axes:?}"));
                }
                if !matches!(index_dtype, DType::I32 | DType::U32) {
                    return Err(format!(
                        "index_dtype must be int32 or uint32, got {}",
                        index_dtype.numpy_name()
                    ));
                }
                let n = x.shape[axes[0]];
                if n == 0 {
                    return Err(format!(
                        "needs a non-empty reduced dimension, but axis {} of shape {:?} has size 0",
                        axes[0],
                        x.shape.as_slice()
                    ));
                }
                let max_index = if *index_dtype == DType::I32 {
                    i32::MAX as usize
                } else {
                    u32::MAX as usize
                };
                if n - 1 > max_index {
                    return Err(format!(
                        "axis {} of size {n} has indices that do not fit in {}",
                        axes[0],
                        index_dtype.numpy_name()
                    ));
                }
                *index_dtype
            }
        };
        Ok(smallvec![Aval {
            shape: out_shape,
            dtype
        }])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let x = inputs[0];
        let out_shape = &out[0].shape;
        // Arg-reductions find the same index in the widened dtype (an exact conversion).
        let wide = |x: &ArrayData| x.convert(x.dtype().widened());
        let r = match self {
            ReduceOp::Sum { axes } => dispatch_reduce(x, axes, out_shape, Monoid::Sum),
            ReduceOp::Prod { axes } => dispatch_reduce(x, axes, out_shape, Monoid::Prod),
            ReduceOp::Max { axes } => dispatch_reduce(x, axes, out_shape, Monoid::Max),
            ReduceOp::Min { axes } => dispatch_reduce(x, axes, out_shape, Monoid::Min),
            ReduceOp::Argmax { axes, index_dtype } => {
                let idx =
                    crate::dispatch_wide_array!(&wide(x), a, T => arg_reduce(a, axes[0], true));
                wrap_indices(idx, out_shape, *index_dtype)
            }
            ReduceOp::Argmin { axes, index_dtype } => {
                let idx =
                    crate::dispatch_wide_array!(&wide(x), a, T => arg_reduce(a, axes[0], false));
                wrap_indices(idx, out_shape, *index_dtype)
            }
        };
        smallvec![r]
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let prim = Prim::new(self.clone());
        let x = &primals[0];
        match self {
            ReduceOp::Sum { .. } => linear_jvp(&prim, primals, tangents),
            ReduceOp::Argmax { .. } | ReduceOp::Argmin { .. } => {
                jvp_out(bind1(&prim, primals), None)
            }
            ReduceOp::Max { axes } | ReduceOp::Min { axes } => {
                // The tangent at the chosen locations, averaged over ties (JAX's chooser rule).
                let ans = bind1(&prim, primals);
                let t = instantiate(&tangents[0], x);
                let kept: Vec<usize> = (0..x.ndim()).filter(|d| !axes.contains(d)).collect();
                let ans_b = lax::broadcast_in_dim(&ans, x.shape(), &kept);
                let hits = lax::convert_element_type(&lax::eq(x, &ans_b), x.dtype());
                let counts = lax::reduce_sum(&hits, axes);
                let picked = lax::reduce_sum(&lax::mul(&t, &hits), axes);
                jvp_out(ans, Some(lax::div(&picked, &counts)))
            }
            ReduceOp::Prod { axes } => {
                // JAX's rule: the JVP of a pairwise product tree over the reduced elements,
                // which stays exact where some elements are zero (no division by `x`). The
                // primal is the primitive's own result, so it matches an undifferentiated call.
                let ans = bind1(&prim, primals);
                let t = instantiate(&tangents[0], x);
                let kept: Vec<usize> = (0..x.ndim()).filter(|d| !axes.contains(d)).collect();
                let mut perm: Vec<usize> = axes.to_vec();
                perm.extend_from_slice(&kept);
                let n: usize = axes.iter().map(|&a| x.shape()[a]).product();
                let mut flat_shape = vec![n];
                flat_shape.extend(kept.iter().map(|&d| x.shape()[d]));
                let to_rows = |v: &Tensor| {
                    let moved = if perm.iter().enumerate().all(|(i, &p)| i == p) {
                        v.clone()
                    } else {
                        lax::transpose(v, &perm)
                    };
                    if moved.shape() == flat_shape.as_slice() {
                        moved
                    } else {
                        lax::reshape(&moved, &flat_shape)
                    }
                };
                jvp_out(ans, Some(prod_tree_tangent(&to_rows(x), &to_rows(&t))))
            }
        }
    }

    /// JAX's `reducer_batcher`: the reduced axes shift past the batch dim, which stays
    /// (moving left by the reduced axes before it); no transposes.
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _axis: &BatchAxis) -> BatchResult {
        let b = dims[0].expect("reduction: the only operand is batched");
        let axes: Shape = self
            .axes()
            .iter()
            .map(|&a| if a < b { a } else { a + 1 })
            .collect();
        let out_b = b - axes.iter().filter(|&&a| a < b).count();
        let op = match self {
            ReduceOp::Sum { .. } => ReduceOp::Sum { axes },
            ReduceOp::Max { .. } => ReduceOp::Max { axes },
            ReduceOp::Min { .. } => ReduceOp::Min { axes },
            ReduceOp::Prod { .. } => ReduceOp::Prod { axes },
            ReduceOp::Argmax { index_dtype, .. } => ReduceOp::Argmax {
                axes,
                index_dtype: *index_dtype,
            },
            ReduceOp::Argmin { index_dtype, .. } => ReduceOp::Argmin {
                axes,
                index_dtype: *index_dtype,
            },
        };
        (smallvec![bind1(&Prim::new(op), args)], vec![Some(out_b)])
    }

    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        match self {
            ReduceOp::Sum { axes } => {
                let aval = args[0].aval();
                let kept: Vec<usize> = (0..aval.ndim()).filter(|d| !axes.contains(d)).collect();
                vec![cts[0]
                    .as_ref()
                    .map(|ct| lax::broadcast_in_dim(ct, &aval.shape, &kept))]
            }
            _ => panic!(
                "{}: this primitive is not linear, so it has no transpose rule",
                self.name()
            ),
        }
    }
}

/// The tangent of the product of `x`'s rows (axis 0) computed as a pairwise tree, given the
/// tangent `t` of `x`: forward mode written out with the product rule at every multiply of
/// the tree, `d(a * b) = da * b + a * db` (what running the tree under `jvp` computes, as
/// JAX's rule does), so it stays exact where some elements are zero.
fn prod_tree_tangent(x: &Tensor, t: &Tensor) -> Tensor {
    let rest: Vec<usize> = x.shape()[1..].to_vec();
    if x.shape()[0] == 0 {
        let zero = Tensor::zeros(&[], x.dtype());
        return lax::broadcast_in_dim(&zero, &rest, &[]);
    }
    let (mut xs, mut ts) = (x.clone(), t.clone());
    while xs.shape()[0] > 1 {
        let n = xs.shape()[0];
        let n1 = n.div_ceil(2);
        let (mut lo, mut hi) = (vec![0; xs.ndim()], xs.shape().to_vec());
        hi[0] = n1;
        let (first, t_first) = (
            lax::slice(&xs, &lo, &hi, None),
            lax::slice(&ts, &lo, &hi, None),
        );
        lo[0] = n1;
        hi[0] = n;
        let mut second = lax::slice(&xs, &lo, &hi, None);
        let mut t_second = lax::slice(&ts, &lo, &hi, None);
        if n - n1 != n1 {
            // An odd count: the last pair is (x, 1), whose tangent is (dx, 0).
            let mut config = vec![(0i64, 0i64, 0i64); xs.ndim()];
            config[0] = (0, 1, 0);
            second = lax::pad(&second, &Tensor::ones(&[], xs.dtype()), &config);
            t_second = lax::pad(&t_second, &Tensor::zeros(&[], xs.dtype()), &config);
        }
        ts = lax::add(&lax::mul(&t_first, &second), &lax::mul(&first, &t_second));
        xs = lax::mul(&first, &second);
    }
    lax::squeeze(&ts, &[0])
}

/// The associative operations behind reductions and cumulative reductions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Monoid {
    Sum,
    Prod,
    Max,
    Min,
}

/// Runs `body` with the identity and operation of `m` as a monomorphic closure.
macro_rules! with_monoid {
    ($m:expr, $T:ty, |$id:ident, $f:ident| $body:expr) => {
        match $m {
            $crate::prims::reduce::Monoid::Sum => {
                let ($id, $f) = (
                    <$T as $crate::ops::Element>::ZERO,
                    <$T as $crate::ops::Element>::xla_add,
                );
                $body
            }
            $crate::prims::reduce::Monoid::Prod => {
                let ($id, $f) = (
                    <$T as $crate::ops::Element>::ONE,
                    <$T as $crate::ops::Element>::xla_mul,
                );
                $body
            }
            $crate::prims::reduce::Monoid::Max => {
                let ($id, $f) = (
                    <$T as $crate::ops::Element>::LOWEST,
                    <$T as $crate::ops::Element>::xla_max,
                );
                $body
            }
            $crate::prims::reduce::Monoid::Min => {
                let ($id, $f) = (
                    <$T as $crate::ops::Element>::HIGHEST,
                    <$T as $crate::ops::Element>::xla_min,
                );
                $body
            }
        }
    };
}
pub(crate) use with_monoid;

/// A float reduction kernel: `(kind, src, shape, axes, dst)`.
type FloatReduceInto<T> = fn(ReduceKind, &[T], &[usize], &[usize], &mut [T]);

/// `x` reduced over `axes` into a new array of `out_shape` by a float kernel `into` (which
/// takes a contiguous source, so a strided `x` is copied first).
fn float_reduce<T: Element>(
    x: &ArrayD<T>,
    out_shape: &[usize],
    axes: &[usize],
    kind: ReduceKind,
    into: FloatReduceInto<T>,
) -> ArrayD<T> {
    let mut out = ArrayD::from_elem(IxDyn(out_shape), T::ZERO);
    let dst = out
        .as_slice_mut()
        .expect("a new array is in standard layout");
    match x.as_slice() {
        Some(src) => into(kind, src, x.shape(), axes, dst),
        None => into(
            kind,
            &x.iter().copied().collect::<Vec<_>>(),
            x.shape(),
            axes,
            dst,
        ),
    }
    out
}

fn dispatch_reduce(x: &ArrayData, axes: &[usize], out_shape: &[usize], m: Monoid) -> ArrayData {
    use crate::kernels::reduce::{reduce_f32_into, reduce_f64_into};
    let kind = match m {
        Monoid::Sum => ReduceKind::Sum,
        Monoid::Prod => ReduceKind::Prod,
        Monoid::Max => ReduceKind::Max,
        Monoid::Min => ReduceKind::Min,
    };
    // Floats: the vectorized kernels (pairwise sums, run-time AVX2/AVX-512 dispatch).
    match x {
        ArrayData::F32(a) => {
            return ArrayData::F32(float_reduce(a, out_shape, axes, kind, reduce_f32_into))
        }
        ArrayData::F64(a) => {
            return ArrayData::F64(float_reduce(a, out_shape, axes, kind, reduce_f64_into))
        }
        _ => {}
    }
    let d = x.dtype();
    if d.widened() != d {
        // i8/i16/u8/u16 wrap as in the wide type; bf16/f16 accumulate in f32 and round once
        // (as jnp's reductions upcast them).
        return dispatch_reduce(&x.convert(d.widened()), axes, out_shape, m).convert(d);
    }
    crate::dispatch_wide_array!(x, a, T => {
        with_monoid!(m, T, |id, f| T::wrap(reduce_array(a, axes, out_shape, id, f)))
    })
}

/// Reduces `x` over `axes` with the monoid `(init, f)`. Size-1 dims are dropped and adjacent
/// dims of the same kind (kept/reduced) merged; the innermost merged block is then either a
/// contiguous run that folds into one output element, or a contiguous run of outputs that
/// accumulates a row elementwise.
pub(crate) fn reduce_array<T: Copy>(
    x: &ArrayD<T>,
    axes: &[usize],
    out_shape: &[usize],
    init: T,
    f: impl Fn(T, T) -> T + Copy,
) -> ArrayD<T> {
    let xs = x.as_slice().expect("standard layout");
    let n_out: usize = out_shape.iter().product();
    if axes.is_empty() {
        return x.clone();
    }
    let mut out = vec![init; n_out];
    if !xs.is_empty() {
        let mut blocks = crate::kernels::reduce::blocks(x.shape(), axes);
        if blocks.is_empty() {
            blocks.push((1, false));
        }
        let m = blocks.len();
        let mut ostride = vec![0usize; m];
        let mut acc = 1;
        for i in (0..m).rev() {
            if !blocks[i].1 {
                ostride[i] = acc;
                acc *= blocks[i].0;
            }
        }
        let (inner, last_reduced) = blocks[m - 1];
        let mut idx = vec![0usize; m - 1];
        let mut o = 0usize;
        for row in xs.chunks_exact(inner) {
            if last_reduced {
                out[o] = f(out[o], crate::kernels::reduce::fold_lanes(row, init, f));
            } else {
                for (d, &v) in out[o..o + inner].iter_mut().zip(row) {
                    *d = f(*d, v);
                }
            }
            for d in (0..m - 1).rev() {
                idx[d] += 1;
                o += ostride[d];
                if idx[d] < blocks[d].0 {
                    break;
                }
                o -= ostride[d] * blocks[d].0;
                idx[d] = 0;
            }
        }
    }
    ArrayD::from_shape_vec(IxDyn(out_shape), out).expect("output size matches shape")
}

/// Flat indices of the first max (`is_max`) or min along `axis` (non-empty), row-major over
/// the remaining dims. A NaN beats everything and the first one wins.
fn arg_reduce<T: Element>(x: &ArrayD<T>, axis: usize, is_max: bool) -> Vec<usize> {
    let xs = x.as_slice().expect("standard layout");
    let shape = x.shape();
    let outer: usize = shape[..axis].iter().product();
    let n = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let mut out = vec![0usize; outer * inner];
    if out.is_empty() {
        return out;
    }
    let better = |new: T, best: T| -> bool {
        !best.is_nan_value()
            && (new.is_nan_value()
                || if is_max {
                    T::xla_lt(best, new)
                } else {
                    T::xla_lt(new, best)
                })
    };
    let mut best: Vec<T> = Vec::with_capacity(inner);
    for (o, idx) in out.chunks_exact_mut(inner).enumerate() {
        let base = o * n * inner;
        best.clear();
        best.extend_from_slice(&xs[base..base + inner]);
        for k in 1..n {
            let row = &xs[base + k * inner..base + (k + 1) * inner];
            for ((b, i), &v) in best.iter_mut().zip(idx.iter_mut()).zip(row) {
                if better(v, *b) {
                    *b = v;
                    *i = k;
                }
            }
        }
    }
    out
}

fn wrap_indices(idx: Vec<usize>, out_shape: &[usize], index_dtype: DType) -> ArrayData {
    match index_dtype {
        DType::I32 => ArrayData::from_vec(idx.into_iter().map(|i| i as i32).collect(), out_shape),
        DType::U32 => ArrayData::from_vec(idx.into_iter().map(|i| i as u32).collect(), out_shape),
        d => unreachable!("index_dtype {d} rejected by abstract_eval"),
    }
}
