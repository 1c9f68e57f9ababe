//! `sort`: sorts one or more same-shaped operands along `dimension`, ordered by the first
//! `num_keys` of them (lexicographically), carrying the rest along.
//!
//! Float keys use JAX's order: JAX canonicalizes keys before XLA's total-order comparison
//! (`-0.0` becomes `0.0`, every NaN becomes the positive quiet NaN), so `-0.0` and `0.0` tie
//! (keeping their input order under a stable sort) and NaNs of any sign sort last, tied with
//! each other. Outputs keep the original values (a `-0.0` stays `-0.0`). The kernel is always
//! stable, whatever `is_stable` says.
//!
//! Derivatives follow JAX's `_sort_jvp`: the operands are sorted together with an iota along
//! `dimension` (carried as an extra operand), and each tangent is gathered with the resulting
//! permutation. Non-float operands have zero tangents.

use super::index::{GatherDimensionNumbers, GatherScatterMode};
use super::util::{batch_at, py_bool, text};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, Param, Prim, PrimRules};
use crate::core::{bind, Aval, Avals, Shape};
use crate::ops::Element;
use crate::prims::lax;
use crate::tensor::{ArrayData, DType, Tensor};
use smallvec::SmallVec;
use std::cmp::Ordering;

/// The `sort` primitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sort {
    /// The axis to sort along.
    pub dimension: usize,
    /// Whether equal keys must keep their input order (ferrax always sorts stably).
    pub is_stable: bool,
    /// How many leading operands are keys, compared lexicographically.
    pub num_keys: usize,
}

// ---- lax functions (`ferrax::lax`, re-exported through `prims::lax`) ----

/// Sorts `operands` (same shape) along `dimension`, ordered by the first `num_keys`.
///
/// ```
/// use ferrax::prelude::*;
/// let k = Tensor::from_vec(vec![3.0f32, 1.0, 2.0], &[3]);
/// let v = Tensor::from_vec(vec![0, 1, 2], &[3]);
/// let out = ferrax::lax::sort(&[k, v], 0, true, 1);
/// assert_eq!(out[1].to_vec::<i32>(), vec![1, 2, 0]);
/// ```
#[track_caller]
pub fn sort(
    operands: &[Tensor],
    dimension: usize,
    is_stable: bool,
    num_keys: usize,
) -> Vec<Tensor> {
    bind(
        &Prim::new(Sort {
            dimension,
            is_stable,
            num_keys,
        }),
        operands,
    )
    .into_vec()
}

impl PrimRules for Sort {
    fn name(&self) -> &'static str {
        "sort"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![
            ("dimension", text(self.dimension.to_string())),
            ("is_stable", text(py_bool(self.is_stable))),
            ("num_keys", text(self.num_keys.to_string())),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        let Some(first) = inputs.first() else {
            return Err("needs at least one operand, got 0".into());
        };
        if let Some((i, a)) = inputs
            .iter()
            .enumerate()
            .find(|(_, a)| a.shape != first.shape)
        {
            return Err(format!(
                "operands must all have the same shape, but operand 0 has shape {:?} and operand {i} has shape {:?}",
                first.shape.as_slice(),
                a.shape.as_slice()
            ));
        }
        if self.dimension >= first.ndim() {
            return Err(format!(
                "dimension {} out of range for rank {} (shape {:?})",
                self.dimension,
                first.ndim(),
                first.shape.as_slice()
            ));
        }
        if self.num_keys == 0 || self.num_keys > inputs.len() {
            return Err(format!(
                "num_keys={} must be between 1 and the number of operands ({})",
                self.num_keys,
                inputs.len()
            ));
        }
        Ok(inputs.iter().cloned().collect())
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        if let Some(r) = super::util::eval_widened(inputs, out, |i, o| self.eval(i, o)) {
            return r;
        }
        let shape = inputs[0].shape();
        let n = shape[self.dimension];
        let inner: usize = shape[self.dimension + 1..].iter().product();
        let total = inputs[0].len();
        if total == 0 || n <= 1 {
            return inputs.iter().map(|&a| a.clone()).collect();
        }
        // Fast path: one f32/f64/i32 operand sorted along its last axis (contiguous lanes), a
        // sort of its own per type. Every other case sorts flat indices through one dynamic
        // comparator per key: one sort instantiation for all dtypes (the compile-time budget).
        if inputs.len() == 1 && inner == 1 {
            fn sort_lanes<T: Element>(a: &ndarray::ArrayD<T>, n: usize) -> ArrayData {
                let mut ys = a.clone();
                for lane in ys
                    .as_slice_mut()
                    .expect("standard layout")
                    .chunks_exact_mut(n)
                {
                    lane.sort_by(|p, q| T::sort_cmp(*p, *q));
                }
                T::wrap(ys)
            }
            match inputs[0] {
                ArrayData::F32(a) => return smallvec::smallvec![sort_lanes(a, n)],
                ArrayData::F64(a) => return smallvec::smallvec![sort_lanes(a, n)],
                ArrayData::I32(a) => return smallvec::smallvec![sort_lanes(a, n)],
                _ => {}
            }
        }
        let cmps: Vec<Box<dyn Fn(usize, usize) -> Ordering + '_>> = inputs[..self.num_keys]
            .iter()
            .map(|&k| key_comparator(k))
            .collect();
        let perm = permutation(total, n, inner, &|i, j| {
            cmps.iter()
                .map(|c| c(i, j))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        inputs
            .iter()
            .map(|&a| {
                // Applying the permutation only moves elements: the base kernels serve all.
                let apply = |ins: &[&ArrayData], _: &[Aval]| -> ArrayOutputs {
                    smallvec::smallvec![crate::dispatch_base_array!(ins[0], x, T => {
                        let s = x.as_slice().expect("standard layout");
                        let data: Vec<T> = perm.iter().map(|&i| s[i]).collect();
                        ArrayData::from_vec(data, shape)
                    })]
                };
                let aval = [Aval::new(shape, a.dtype())];
                super::util::eval_on_base_types(&[a], &aval, &apply)
                    .unwrap_or_else(|| apply(&[a], &aval))
                    .remove(0)
            })
            .collect::<SmallVec<_>>()
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let shape = primals[0].shape().to_vec();
        // JAX's index dtype, uint32 (abstract_eval has checked `dimension` is in range).
        assert!(
            shape[self.dimension] <= u32::MAX as usize + 1,
            "sort: dimension {} of shape {shape:?} is too long to differentiate (uint32 indices)",
            self.dimension
        );
        let mut operands = primals.to_vec();
        operands.push(lax::iota(DType::U32, &shape, self.dimension));
        let mut sorted = lax::sort(&operands, self.dimension, self.is_stable, self.num_keys);
        let perm = sorted.pop().expect("the iota operand");
        let tangents_out = tangents
            .iter()
            .zip(primals)
            .map(|(t, p)| {
                t.as_ref()
                    .filter(|_| p.dtype().is_inexact())
                    .map(|t| take_along_axis(t, &perm, self.dimension))
            })
            .collect();
        (sorted.into_iter().collect(), tangents_out)
    }

    /// JAX's `_sort_batch_rule`: every operand gets its batch dim where the first batched
    /// operand has it (moved there if batched elsewhere, broadcast there if unbatched), and
    /// the sorted dimension shifts past it.
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let b = dims
            .iter()
            .find_map(|d| *d)
            .expect("sort: some operand is batched");
        let operands: Vec<Tensor> = args
            .iter()
            .zip(dims)
            .map(|(a, d)| batch_at(a, *d, axis.size, b))
            .collect();
        let op = Sort {
            dimension: if self.dimension < b {
                self.dimension
            } else {
                self.dimension + 1
            },
            ..*self
        };
        let outs = bind(&Prim::new(op), &operands);
        let n = outs.len();
        (outs, vec![Some(b); n])
    }
}

/// `out[..., k, ...] = x[..., idx[..., k, ...], ...]` along `axis` (`numpy.take_along_axis`
/// with `idx` shaped like `x`): a gather whose other dims are batching dims, as JAX's
/// `_sort_jvp` builds it. Linear in `x`, so it transposes to a scatter-add.
fn take_along_axis(x: &Tensor, idx: &Tensor, axis: usize) -> Tensor {
    let nd = x.ndim();
    let mut idx_shape = idx.shape().to_vec();
    idx_shape.push(1);
    let dims: Vec<usize> = (0..nd).collect();
    let idx = lax::broadcast_in_dim(idx, &idx_shape, &dims);
    let batch: Shape = (0..nd).filter(|&d| d != axis).collect();
    let dn = GatherDimensionNumbers {
        offset_dims: Shape::new(),
        collapsed_slice_dims: Shape::from_slice(&[axis]),
        start_index_map: Shape::from_slice(&[axis]),
        operand_batching_dims: batch.clone(),
        start_indices_batching_dims: batch,
    };
    lax::gather(
        x,
        &idx,
        dn,
        &vec![1; nd],
        GatherScatterMode::PromiseInBounds,
    )
}

/// For every output position (row-major flat index), the flat input index it takes its
/// elements from: each lane along the sorted axis is stably sorted by `cmp` on flat indices.
fn permutation(
    total: usize,
    n: usize,
    inner: usize,
    cmp: &dyn Fn(usize, usize) -> Ordering,
) -> Vec<usize> {
    let mut perm = vec![0usize; total];
    let mut lane: Vec<usize> = Vec::with_capacity(n);
    for o in 0..total / (n * inner) {
        for j in 0..inner {
            let base = o * n * inner + j;
            lane.clear();
            lane.extend((0..n).map(|k| base + k * inner));
            lane.sort_by(|&p, &q| cmp(p, q));
            for (k, &src) in lane.iter().enumerate() {
                perm[base + k * inner] = src;
            }
        }
    }
    perm
}

/// A comparator of two flat indices of a key operand.
fn key_comparator(a: &ArrayData) -> Box<dyn Fn(usize, usize) -> Ordering + '_> {
    crate::dispatch_wide_array!(a, x, T => {
        let s = x.as_slice().expect("standard layout");
        Box::new(move |i: usize, j: usize| T::sort_cmp(s[i], s[j]))
    })
}
