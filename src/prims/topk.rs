//! `top_k`: the `k` largest entries along an axis, largest first, and their int32 indices
//! (JAX's `lax.top_k_p`). Ties keep the lower index first (a stable descending order, as
//! XLA's TopK); floats order by value with NaN above everything, as XLA's comparator does.
//! The JVP gathers the tangent at the chosen indices (JAX's `_top_k_jvp`), written as a
//! one-hot mask and a sum so that it is linear and transposes with existing rules; batching
//! moves the axis past the batch dim.

use super::util::{eval_widened, expect_arity, instantiate, text};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, Param, Prim, PrimRules};
use crate::core::{bind, Aval, Avals};
use crate::prims::lax;
use crate::tensor::{ArrayData, ArrayElement, DType, Tensor};
use ndarray::{ArrayD, IxDyn};
use smallvec::smallvec;
use std::cmp::Ordering;

/// The primitive: the `k` largest along `axis`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TopK {
    /// How many entries to keep.
    pub k: usize,
    /// The axis searched (JAX's default is the last).
    pub axis: usize,
}

/// The `k` largest entries of `x` along its last axis, largest first, with their int32
/// indices (`lax.top_k(x, k)`); equal values keep index order.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 3.0, 2.0, 3.0], &[4]);
/// let (v, i) = ferrax::lax::top_k(&x, 3);
/// assert_eq!(v.to_vec::<f32>(), vec![3.0, 3.0, 2.0]);
/// assert_eq!(i.to_vec::<i32>(), vec![1, 3, 2]);
/// ```
#[track_caller]
pub fn top_k(x: &Tensor, k: usize) -> (Tensor, Tensor) {
    let axis = x.ndim().checked_sub(1).unwrap_or_else(|| {
        panic!(
            "top_k: needs an operand of rank 1 or more, got {} (called from {})",
            x.aval(),
            std::panic::Location::caller()
        )
    });
    top_k_axis(x, k, axis)
}

/// [`top_k`] along `axis` (`lax.top_k(x, k, axis=axis)`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1i32, 5, 4, 2], &[2, 2]);
/// let (v, i) = ferrax::lax::top_k_axis(&x, 1, 0);
/// assert_eq!((v.to_vec::<i32>(), i.to_vec::<i32>()), (vec![4, 5], vec![1, 0]));
/// ```
#[track_caller]
pub fn top_k_axis(x: &Tensor, k: usize, axis: usize) -> (Tensor, Tensor) {
    let out = bind(&Prim::new(TopK { k, axis }), std::slice::from_ref(x));
    (out[0].clone(), out[1].clone())
}

/// A total order, descending: NaN first, then larger values; `Equal` keeps index order.
fn desc<T: ArrayElement + PartialOrd>(a: &T, b: &T) -> Ordering {
    #[allow(clippy::eq_op)]
    let (an, bn) = (a != a, b != b);
    match (an, bn) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => b.partial_cmp(a).unwrap_or(Ordering::Equal),
    }
}

/// The flat source index of every output position of `top_k` along `axis`: each lane's
/// indices ordered by `cmp` (a stable sort, so ties keep index order), the first `k` kept.
/// One non-generic kernel for every dtype; the values are then read through these indices.
fn top_k_sources(
    shape: &[usize],
    k: usize,
    axis: usize,
    cmp: &dyn Fn(usize, usize) -> Ordering,
) -> Vec<usize> {
    let n = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let outer: usize = shape[..axis].iter().product();
    let mut order: Vec<usize> = Vec::with_capacity(n);
    let mut sources = vec![0usize; outer * k * inner];
    for o in 0..outer {
        for j in 0..inner {
            order.clear();
            order.extend((0..n).map(|i| (o * n + i) * inner + j));
            order.sort_by(|&a, &b| cmp(a, b));
            for (r, &src) in order.iter().take(k).enumerate() {
                sources[(o * k + r) * inner + j] = src;
            }
        }
    }
    sources
}

/// `top_k` of one element type: values and int32 positions along `axis`.
fn top_k_kernel<T: ArrayElement + PartialOrd + Copy>(
    x: &ArrayD<T>,
    k: usize,
    axis: usize,
    out_shape: &[usize],
) -> (ArrayD<T>, ArrayD<i32>) {
    let xs = x.as_slice().expect("standard layout");
    let sources = top_k_sources(x.shape(), k, axis, &|a, b| desc(&xs[a], &xs[b]));
    let n = x.shape()[axis];
    let inner: usize = x.shape()[axis + 1..].iter().product();
    let vals: Vec<T> = sources.iter().map(|&s| xs[s]).collect();
    let idx: Vec<i32> = sources.iter().map(|&s| ((s / inner) % n) as i32).collect();
    (
        ArrayD::from_shape_vec(IxDyn(out_shape), vals).expect("shape"),
        ArrayD::from_shape_vec(IxDyn(out_shape), idx).expect("shape"),
    )
}

impl PrimRules for TopK {
    fn name(&self) -> &'static str {
        "top_k"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![
            ("axis", text(self.axis.to_string())),
            ("k", text(self.k.to_string())),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let x = &inputs[0];
        if self.axis >= x.ndim() {
            return Err(format!("axis {} is out of range for {x}", self.axis));
        }
        if self.k > x.shape[self.axis] {
            return Err(format!(
                "k={} is larger than the size {} of axis {} of {x}",
                self.k, x.shape[self.axis], self.axis
            ));
        }
        if x.dtype == DType::Bool || x.dtype.is_complex() {
            return Err(format!("dtype {} is not supported, got {x}", x.dtype));
        }
        let mut shape = x.shape.clone();
        shape[self.axis] = self.k;
        Ok(smallvec![
            Aval::new(&shape, x.dtype),
            Aval::new(&shape, DType::I32)
        ])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        // bf16/f16 and the narrow ints through their wide type: the order and the chosen
        // values are the same.
        if let Some(outs) = eval_widened(inputs, out, |i, o| self.eval(i, o)) {
            return outs;
        }
        let shape = &out[0].shape;
        let (v, i) = match inputs[0] {
            ArrayData::F32(x) => {
                let (v, i) = top_k_kernel(x, self.k, self.axis, shape);
                (ArrayData::F32(v), i)
            }
            ArrayData::F64(x) => {
                let (v, i) = top_k_kernel(x, self.k, self.axis, shape);
                (ArrayData::F64(v), i)
            }
            ArrayData::I32(x) => {
                let (v, i) = top_k_kernel(x, self.k, self.axis, shape);
                (ArrayData::I32(v), i)
            }
            ArrayData::U32(x) => {
                let (v, i) = top_k_kernel(x, self.k, self.axis, shape);
                (ArrayData::U32(v), i)
            }
            ArrayData::I64(x) => {
                let (v, i) = top_k_kernel(x, self.k, self.axis, shape);
                (ArrayData::I64(v), i)
            }
            ArrayData::U64(x) => {
                let (v, i) = top_k_kernel(x, self.k, self.axis, shape);
                (ArrayData::U64(v), i)
            }
            other => unreachable!("top_k of {}: checked by abstract_eval", other.dtype()),
        };
        smallvec![v, ArrayData::I32(i)]
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let out = bind(&Prim::new(self.clone()), primals);
        let x = &primals[0];
        if tangents[0].is_none() || !x.dtype().is_float() {
            return (out, vec![None, None]);
        }
        let t = instantiate(&tangents[0], x);
        // tangent_out[.., r, ..] = t[.., idx[.., r, ..], ..]: a one-hot over a new last axis.
        let n = x.shape()[self.axis];
        let mut big = out[1].shape().to_vec();
        big.push(n);
        let keep: Vec<usize> = (0..out[1].ndim()).collect();
        let idx = lax::broadcast_in_dim(&out[1], &big, &keep);
        let iota = lax::iota(DType::I32, &big, big.len() - 1);
        let hot = lax::eq(&idx, &iota);
        // t with its axis moved last, then broadcast over the k positions.
        let mut perm: Vec<usize> = (0..x.ndim()).filter(|&d| d != self.axis).collect();
        perm.push(self.axis);
        let tl = lax::transpose(&t, &perm);
        let mut dims: Vec<usize> = (0..big.len() - 1).filter(|&d| d != self.axis).collect();
        dims.push(big.len() - 1);
        let tb = lax::broadcast_in_dim(&tl, &big, &dims);
        let zeros = lax::broadcast_in_dim(&Tensor::zeros(&[], t.dtype()), &big, &[]);
        let picked = lax::reduce_sum(&lax::select_n(&hot, &[zeros, tb]), &[big.len() - 1]);
        (out, vec![Some(picked), None])
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _axis: &BatchAxis) -> BatchResult {
        let b = dims[0].expect("the operand is batched");
        let axis = self.axis + usize::from(self.axis >= b);
        let outs = bind(&Prim::new(TopK { k: self.k, axis }), &args[..1]);
        (outs, vec![Some(b), Some(b)])
    }
}
