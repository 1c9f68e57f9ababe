//! Bitwise reductions over axes: `reduce_and`, `reduce_or`, `reduce_xor` (JAX's
//! `lax.reduce_and_p`/`reduce_or_p`/`reduce_xor_p`), on bool (logical) and u32/i32 (bitwise).
//! Reducing nothing gives the identity (`true`/all ones for and, `false`/0 for or and xor).
//! Not differentiable (integer and bool outputs: symbolic-zero tangents); batching moves the
//! reduced axes past the batch dim.

use super::util::{check_axes, expect_arity, py_tuple, sh, text};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, Param, Prim, PrimRules};
use crate::core::{bind1, Aval, Avals, Shape};
use crate::tensor::{ArrayData, DType, Tensor};
use smallvec::smallvec;

/// A bitwise reduction over `axes` (which disappear).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LogicalReduce {
    /// Logical/bitwise and (`reduce_and`).
    And { axes: Shape },
    /// Logical/bitwise or (`reduce_or`).
    Or { axes: Shape },
    /// Logical/bitwise exclusive or (`reduce_xor`).
    Xor { axes: Shape },
}

impl LogicalReduce {
    fn axes(&self) -> &[usize] {
        match self {
            LogicalReduce::And { axes }
            | LogicalReduce::Or { axes }
            | LogicalReduce::Xor { axes } => axes,
        }
    }

    fn with_axes(&self, axes: Shape) -> Self {
        match self {
            LogicalReduce::And { .. } => LogicalReduce::And { axes },
            LogicalReduce::Or { .. } => LogicalReduce::Or { axes },
            LogicalReduce::Xor { .. } => LogicalReduce::Xor { axes },
        }
    }

    fn fold_u32(&self, init_and: u32) -> (u32, fn(u32, u32) -> u32) {
        match self {
            LogicalReduce::And { .. } => (init_and, |a, b| a & b),
            LogicalReduce::Or { .. } => (0, |a, b| a | b),
            LogicalReduce::Xor { .. } => (0, |a, b| a ^ b),
        }
    }
}

/// Whether all elements along `axes` are true (`lax.reduce_and`; bitwise and on u32/i32).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![true, false, true, true], &[2, 2]);
/// assert_eq!(ferrax::lax::reduce_and(&x, &[1]).to_vec::<bool>(), vec![false, true]);
/// ```
#[track_caller]
pub fn reduce_and(x: &Tensor, axes: &[usize]) -> Tensor {
    bind1(
        &Prim::new(LogicalReduce::And { axes: sh(axes) }),
        std::slice::from_ref(x),
    )
}

/// Whether any element along `axes` is true (`lax.reduce_or`; bitwise or on u32/i32).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![true, false, false, false], &[2, 2]);
/// assert_eq!(ferrax::lax::reduce_or(&x, &[1]).to_vec::<bool>(), vec![true, false]);
/// ```
#[track_caller]
pub fn reduce_or(x: &Tensor, axes: &[usize]) -> Tensor {
    bind1(
        &Prim::new(LogicalReduce::Or { axes: sh(axes) }),
        std::slice::from_ref(x),
    )
}

/// The parity of the elements along `axes` (`lax.reduce_xor`; bitwise xor on u32/i32).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![3u32, 5, 6], &[3]);
/// assert_eq!(ferrax::lax::reduce_xor(&x, &[0]).item::<u32>(), 0);
/// ```
#[track_caller]
pub fn reduce_xor(x: &Tensor, axes: &[usize]) -> Tensor {
    bind1(
        &Prim::new(LogicalReduce::Xor { axes: sh(axes) }),
        std::slice::from_ref(x),
    )
}

impl PrimRules for LogicalReduce {
    fn name(&self) -> &'static str {
        match self {
            LogicalReduce::And { .. } => "reduce_and",
            LogicalReduce::Or { .. } => "reduce_or",
            LogicalReduce::Xor { .. } => "reduce_xor",
        }
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![("axes", text(py_tuple(self.axes())))]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let x = &inputs[0];
        if !matches!(x.dtype, DType::Bool | DType::U32 | DType::I32) {
            return Err(format!(
                "dtype {} is not supported (bool, u32, i32), got {x}",
                x.dtype
            ));
        }
        check_axes(self.axes(), x.ndim(), "axis")?;
        let shape: Shape = (0..x.ndim())
            .filter(|d| !self.axes().contains(d))
            .map(|d| x.shape[d])
            .collect();
        Ok(smallvec![Aval {
            shape,
            dtype: x.dtype
        }])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        // Every dtype reduces as u32 bits (bool as 0/1, i32 reinterpreted): one kernel.
        let x = inputs[0];
        let init_and = if x.dtype() == DType::Bool {
            1
        } else {
            u32::MAX
        };
        let (init, f) = self.fold_u32(init_and);
        let bits = x.convert(DType::U32);
        let ArrayData::U32(b) = &bits else {
            unreachable!("converted to u32")
        };
        let out_shape = &out[0].shape;
        let r = crate::prims::reduce::reduce_array(b, self.axes(), out_shape, init, f);
        smallvec![ArrayData::U32(r).convert(x.dtype())]
    }

    fn jvp(&self, primals: &[Tensor], _tangents: &[Option<Tensor>]) -> JvpResult {
        (
            smallvec![bind1(&Prim::new(self.clone()), primals)],
            vec![None],
        )
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _axis: &BatchAxis) -> BatchResult {
        let b = dims[0].expect("the operand is batched");
        let axes: Shape = self
            .axes()
            .iter()
            .map(|&a| a + usize::from(a >= b))
            .collect();
        let out_b = b - axes.iter().filter(|&&a| a < b).count();
        (
            smallvec![bind1(&Prim::new(self.with_axes(axes)), &args[..1])],
            vec![Some(out_b)],
        )
    }
}
