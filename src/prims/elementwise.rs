//! The remaining elementwise primitives: `select_n`, `clamp` and `convert_element_type`.

use super::util::{batch_full, broadcast_to_shape, expect_arity, jvp_out, text};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind1, Aval, Avals};
use crate::prims::lax;
use crate::tensor::{ArrayData, ArrayElement, DType, Tensor};
use ndarray::{ArrayD, IxDyn};
use smallvec::smallvec;

/// Elementwise primitives that are neither plain unary nor binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElementwiseOp {
    /// `select_n(which, *cases)`: picks `cases[which]` per element; `which` is bool (two
    /// cases: false → first) or i32, and either a scalar or the cases' shape.
    SelectN,
    /// `clamp(min, x, max)`; `min`/`max` are scalars or `x`'s shape.
    Clamp,
    /// Casts to `new_dtype` (float→int truncates toward zero; NaN → 0; x→bool is x != 0).
    ConvertElementType(DType),
}

// ---- lax functions (`ferrax::lax`, re-exported through `prims::lax`) ----

/// Picks `cases[which]` elementwise (`which`: bool for two cases, or i32).
///
/// ```
/// use ferrax::prelude::*;
/// let w = Tensor::from_vec(vec![true, false], &[2]);
/// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let b = Tensor::from_vec(vec![10.0f32, 20.0], &[2]);
/// assert_eq!(ferrax::lax::select_n(&w, &[a, b]).to_vec::<f32>(), vec![10.0, 2.0]);
/// ```
#[track_caller]
pub fn select_n(which: &Tensor, cases: &[Tensor]) -> Tensor {
    let mut inputs = Vec::with_capacity(cases.len() + 1);
    inputs.push(which.clone());
    inputs.extend_from_slice(cases);
    bind1(&Prim::new(ElementwiseOp::SelectN), &inputs)
}

/// Clamps `x` into `[min, max]` (`min`/`max` scalars or `x`'s shape).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2.0f32, 0.5, 3.0], &[3]);
/// let y = ferrax::lax::clamp(&Tensor::scalar(0.0f32), &x, &Tensor::scalar(1.0f32));
/// assert_eq!(y.to_vec::<f32>(), vec![0.0, 0.5, 1.0]);
/// ```
#[track_caller]
pub fn clamp(min: &Tensor, x: &Tensor, max: &Tensor) -> Tensor {
    bind1(
        &Prim::new(ElementwiseOp::Clamp),
        &[min.clone(), x.clone(), max.clone()],
    )
}

/// Converts to `dtype` (a no-op, with no equation, when it already has it).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.7f32, -1.7], &[2]);
/// assert_eq!(ferrax::lax::convert_element_type(&x, DType::I32).to_vec::<i32>(), vec![1, -1]);
/// ```
#[track_caller]
pub fn convert_element_type(x: &Tensor, dtype: DType) -> Tensor {
    if x.dtype() == dtype {
        return x.clone();
    }
    bind1(
        &Prim::new(ElementwiseOp::ConvertElementType(dtype)),
        std::slice::from_ref(x),
    )
}

impl PrimRules for ElementwiseOp {
    fn name(&self) -> &'static str {
        match self {
            ElementwiseOp::SelectN => "select_n",
            ElementwiseOp::Clamp => "clamp",
            ElementwiseOp::ConvertElementType(_) => "convert_element_type",
        }
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        match self {
            ElementwiseOp::ConvertElementType(d) => {
                vec![
                    ("new_dtype", text(d.numpy_name())),
                    ("weak_type", text("False")),
                ]
            }
            _ => Vec::new(),
        }
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        match self {
            ElementwiseOp::SelectN => {
                if inputs.len() < 2 {
                    return Err("select_n needs a selector and at least one case".into());
                }
                let (which, cases) = (&inputs[0], &inputs[1..]);
                match which.dtype {
                    DType::Bool if cases.len() <= 2 => {}
                    DType::I32 => {}
                    DType::Bool => {
                        return Err(format!(
                            "a bool selector picks from at most 2 cases, got {}",
                            cases.len()
                        ))
                    }
                    d => return Err(format!("selector must be bool or i32, got {d}")),
                }
                if let Some(bad) = cases.iter().find(|c| **c != cases[0]) {
                    return Err(format!(
                        "cases must have one type, got {} and {}",
                        cases[0], bad
                    ));
                }
                if which.ndim() != 0 && which.shape != cases[0].shape {
                    return Err(format!(
                        "selector shape {:?} must be scalar or match the cases' {:?}",
                        which.shape, cases[0].shape
                    ));
                }
                Ok(smallvec![cases[0].clone()])
            }
            ElementwiseOp::Clamp => {
                expect_arity(inputs, 3)?;
                let (lo, x, hi) = (&inputs[0], &inputs[1], &inputs[2]);
                for (what, b) in [("min", lo), ("max", hi)] {
                    if b.dtype != x.dtype {
                        return Err(format!(
                            "{what} dtype {} differs from operand's {}",
                            b.dtype, x.dtype
                        ));
                    }
                    if b.ndim() != 0 && b.shape != x.shape {
                        return Err(format!(
                            "{what} shape {:?} must be scalar or {:?}",
                            b.shape, x.shape
                        ));
                    }
                }
                if x.dtype == DType::Bool {
                    return Err("bool operands cannot be clamped".into());
                }
                Ok(smallvec![x.clone()])
            }
            ElementwiseOp::ConvertElementType(d) => {
                expect_arity(inputs, 1)?;
                Ok(smallvec![inputs[0].with_dtype(*d)])
            }
        }
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let moved = match self {
            ElementwiseOp::ConvertElementType(_) => None,
            // select_n only moves its cases' elements: the five base kernels serve every dtype.
            ElementwiseOp::SelectN => {
                super::util::eval_on_base_types(inputs, out, &|i, o| self.eval(i, o))
            }
            ElementwiseOp::Clamp => super::util::eval_widened(inputs, out, |i, o| self.eval(i, o)),
        };
        if let Some(r) = moved {
            return r;
        }
        let shape = IxDyn(&out[0].shape);
        let result = match self {
            ElementwiseOp::ConvertElementType(d) => inputs[0].convert(*d),
            ElementwiseOp::SelectN => {
                // Out-of-range selectors clamp to the valid cases (a bool `true` with a
                // single case picks that case rather than indexing past the end).
                let last = inputs.len() - 2;
                let which: ArrayD<usize> = match inputs[0] {
                    ArrayData::Bool(w) => w.mapv(|b| (b as usize).min(last)),
                    ArrayData::I32(w) => w.mapv(|i| i.clamp(0, last as i32) as usize),
                    _ => unreachable!("checked by abstract_eval"),
                };
                let which = which
                    .broadcast(shape.clone())
                    .expect("scalar or same shape")
                    .to_owned();
                let which = which.as_slice().expect("row-major");
                crate::dispatch_base_array!(inputs[1], _first, T => {
                    let cases: Vec<&[T]> = inputs[1..]
                        .iter()
                        .map(|c| T::view(c).expect("same dtype").as_slice().expect("row-major"))
                        .collect();
                    let data: Vec<T> = which.iter().enumerate().map(|(i, &w)| cases[w][i]).collect();
                    T::wrap(ArrayD::from_shape_vec(shape.clone(), data).expect("same size"))
                })
            }
            ElementwiseOp::Clamp => crate::dispatch_wide_array!(inputs[1], x, T => {
                let lo = T::view(inputs[0]).expect("same dtype").broadcast(shape.clone()).expect("checked");
                let hi = T::view(inputs[2]).expect("same dtype").broadcast(shape.clone()).expect("checked");
                // lax.clamp: min(max(x, lo), hi), NaN in x propagates. Collected in logical
                // order so the result is row-major whatever `Zip` would prefer.
                let data: Vec<T> =
                    x.iter().zip(lo.iter()).zip(hi.iter()).map(|((&v, &l), &h)| clamp_one(l, v, h)).collect();
                T::wrap(ArrayD::from_shape_vec(shape.clone(), data).expect("same size"))
            }),
        };
        smallvec![result]
    }

    /// JAX's rules (`jax/_src/lax/lax.py`), op for op.
    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let prim = Prim::new(*self);
        let ans = bind1(&prim, primals);
        let t = match self {
            ElementwiseOp::ConvertElementType(d) => match &tangents[0] {
                Some(g) if d.is_inexact() => Some(lax::convert_element_type(g, *d)),
                _ => None,
            },
            ElementwiseOp::SelectN => {
                // `_select_jvp`: zero tangents made explicit with one shared zero array.
                let which = &primals[0];
                tangents[1..].iter().flatten().next().map(|first| {
                    let z = super::util::zeros_like(first);
                    let cases: Vec<Tensor> = tangents[1..]
                        .iter()
                        .map(|t| t.clone().unwrap_or_else(|| z.clone()))
                        .collect();
                    lax::select_n(which, &cases)
                })
            }
            ElementwiseOp::Clamp => {
                // The operand's tangent where it is strictly inside the bounds, a bound's
                // tangent where that bound is active (none at ties, as JAX). A scalar bound's
                // tangent is stretched to the operand's shape (JAX's rule would reject it).
                let (lo, x, hi) = (&primals[0], &primals[1], &primals[2]);
                let pick = |mask: Tensor, g: &Tensor| {
                    let g = broadcast_to_shape(g, x.shape());
                    let zeros = super::util::zeros_like(x);
                    lax::select_n(&mask, &[zeros, g])
                };
                let parts: Vec<Tensor> = [
                    tangents[0]
                        .as_ref()
                        .map(|g| pick(lax::and(&lax::gt(lo, x), &lax::lt(lo, hi)), g)),
                    tangents[1]
                        .as_ref()
                        .map(|g| pick(lax::and(&lax::gt(x, lo), &lax::lt(x, hi)), g)),
                    tangents[2].as_ref().map(|g| pick(lax::lt(hi, x), g)),
                ]
                .into_iter()
                .flatten()
                .collect();
                parts.into_iter().reduce(|a, b| lax::add_any(&a, &b))
            }
        };
        jvp_out(ans, t)
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let prim = Prim::new(*self);
        match self {
            ElementwiseOp::ConvertElementType(_) => (smallvec![bind1(&prim, args)], dims.to_vec()),
            // select_n and clamp do not stretch size-1 dims: materialize the batched shape.
            ElementwiseOp::SelectN | ElementwiseOp::Clamp => {
                // The first case of select_n and the operand of clamp give the logical shape.
                let data = 1;
                let logical: Vec<usize> = match dims[data] {
                    Some(d) => args[data]
                        .shape()
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i != d)
                        .map(|(_, &s)| s)
                        .collect(),
                    None => args[data].shape().to_vec(),
                };
                let selector_or_bound = |i: usize| match self {
                    ElementwiseOp::SelectN => i == 0,
                    _ => i != 1,
                };
                batch_full(&prim, args, dims, axis.size, &logical, selector_or_bound)
            }
        }
    }

    /// `convert_element_type` between floats is linear; `select_n` is linear in its cases.
    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        let Some(ct) = &cts[0] else {
            return vec![None; args.len()];
        };
        match self {
            ElementwiseOp::ConvertElementType(_) => {
                vec![Some(lax::convert_element_type(ct, args[0].aval().dtype))]
            }
            ElementwiseOp::SelectN => {
                let which = args[0].known();
                let zero = super::util::zeros_like(ct);
                let n = args.len() - 1;
                std::iter::once(None)
                    .chain((0..n).map(|i| {
                        args[i + 1].is_linear().then(|| {
                            let cases: Vec<Tensor> = (0..n)
                                .map(|j| if j == i { ct.clone() } else { zero.clone() })
                                .collect();
                            lax::select_n(which, &cases)
                        })
                    }))
                    .collect()
            }
            ElementwiseOp::Clamp => {
                panic!("clamp: this primitive is not linear, so it has no transpose rule")
            }
        }
    }
}

/// `min(max(v, lo), hi)` with NaN in `v` passing through.
fn clamp_one<T: crate::ops::Element>(lo: T, v: T, hi: T) -> T {
    let v = if T::xla_lt(v, lo) { lo } else { v };
    if T::xla_lt(hi, v) {
        hi
    } else {
        v
    }
}
