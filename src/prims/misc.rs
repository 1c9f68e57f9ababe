//! Two single-operand primitives with no family of their own:
//!
//! - `reduce_precision` (JAX's `lax.reduce_precision_p`): rounds a float to the nearest value
//!   with `exponent_bits` exponent bits and `mantissa_bits` mantissa bits (round to nearest
//!   even, overflow to ±inf, values below the reduced normal range flushed to ±0, NaN kept),
//!   bit for bit as XLA's `ReducePrecision` computes it. It is linear as JAX declares it
//!   (`deflinear`): the tangent and the cotangent are reduced the same way.
//! - `optimization_barrier` (JAX's `lax.optimization_barrier_p`): the identity on any number
//!   of operands that passes must not look through: it is not constant-folded, so a value
//!   computed before it is not moved or merged across it. JVP, transpose and batching pass
//!   through it (the tangents go through a barrier of their own).

use super::util::{batch_elementwise, expect_arity, text};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind, bind1, Aval, Avals};
use crate::tensor::{ArrayData, Tensor};
use smallvec::smallvec;

/// `reduce_precision[exponent_bits, mantissa_bits]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReducePrecision {
    /// Exponent bits of the target format (at least 1).
    pub exponent_bits: u32,
    /// Mantissa bits of the target format (without the implicit bit).
    pub mantissa_bits: u32,
}

/// Rounds `x` to a float format with `exponent_bits` and `mantissa_bits`
/// (`lax.reduce_precision`), e.g. `(8, 7)` for bfloat16 and `(5, 10)` for float16, keeping
/// `x`'s dtype. Emulates narrower formats bit-exactly.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32 + 1.0 / 1024.0, 70000.0, 1e-8], &[3]);
/// let h = ferrax::lax::reduce_precision(&x, 5, 10); // float16
/// assert_eq!(h.to_vec::<f32>(), vec![1.0009766, f32::INFINITY, 0.0]);
/// ```
#[track_caller]
pub fn reduce_precision(x: &Tensor, exponent_bits: u32, mantissa_bits: u32) -> Tensor {
    bind1(
        &Prim::new(ReducePrecision {
            exponent_bits,
            mantissa_bits,
        }),
        std::slice::from_ref(x),
    )
}

/// XLA's reduce-precision on the bits `v` of a float with `ebits`/`mbits` (and `nbits` in
/// all), computed in `u64` and wrapped to `nbits`.
fn reduce_bits(v: u64, nbits: u32, ebits: u32, mbits: u32, dest_e: u32, dest_m: u32) -> u64 {
    let mask_all = if nbits == 64 {
        u64::MAX
    } else {
        (1u64 << nbits) - 1
    };
    let exp_mask = ((1u64 << ebits) - 1) << mbits;
    let is_nan = (v & exp_mask) == exp_mask && (v & ((1u64 << mbits) - 1)) != 0;
    if is_nan {
        return v;
    }
    let mut x = v;
    if dest_m < mbits {
        let shift = mbits - dest_m;
        let last = 1u64 << shift;
        let base_bias = (last >> 1).wrapping_sub(1);
        let x_last = (x & last) >> shift;
        let bias = x_last.wrapping_add(base_bias);
        let trunc = !(last - 1) & mask_all;
        x = (x.wrapping_add(bias) & mask_all) & trunc;
    }
    if dest_e < ebits {
        let sign = 1u64 << (nbits - 1);
        let bias = (1u64 << (ebits - 1)) - 1;
        let reduced_bias = (1u64 << (dest_e - 1)) - 1;
        let max_e = bias + reduced_bias;
        let min_e = bias - reduced_bias;
        let e = x & exp_mask;
        let signed_zero = x & sign;
        if e > (max_e << mbits) {
            x = signed_zero | exp_mask;
        } else if e <= (min_e << mbits) {
            x = signed_zero;
        }
    }
    x
}

impl PrimRules for ReducePrecision {
    fn name(&self) -> &'static str {
        "reduce_precision"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![
            ("exponent_bits", text(self.exponent_bits.to_string())),
            ("mantissa_bits", text(self.mantissa_bits.to_string())),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let x = &inputs[0];
        if !x.dtype.is_float() {
            return Err(format!("needs a float operand, got {x}"));
        }
        if self.exponent_bits < 1 {
            return Err(format!(
                "exponent_bits must be at least 1, got {}",
                self.exponent_bits
            ));
        }
        Ok(smallvec![x.clone()])
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        let (e, m) = (self.exponent_bits, self.mantissa_bits);
        smallvec![match inputs[0] {
            ArrayData::F32(x) => ArrayData::F32(x.mapv(|v| {
                f32::from_bits(
                    reduce_bits(v.to_bits() as u64, 32, 8, 23, e.min(8), m.min(23)) as u32,
                )
            })),
            ArrayData::F64(x) => ArrayData::F64(x.mapv(|v| {
                f64::from_bits(reduce_bits(v.to_bits(), 64, 11, 52, e.min(11), m.min(52)))
            })),
            _ => unreachable!("checked by abstract_eval"),
        }]
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let prim = Prim::new(self.clone());
        let y = bind1(&prim, primals);
        let t = tangents[0]
            .as_ref()
            .map(|t| bind1(&prim, std::slice::from_ref(t)));
        (smallvec![y], vec![t])
    }

    fn transpose(&self, cts: &[Option<Tensor>], _args: &[LinearArg]) -> Vec<Option<Tensor>> {
        vec![cts[0]
            .as_ref()
            .map(|c| bind1(&Prim::new(self.clone()), std::slice::from_ref(c)))]
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _axis: &BatchAxis) -> BatchResult {
        batch_elementwise(&Prim::new(self.clone()), args, dims)
    }
}

/// `optimization_barrier`: the identity on its operands, opaque to passes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OptimizationBarrier;

/// Returns its operands unchanged (`lax.optimization_barrier`), as a point that compiler
/// passes do not fold or move computations across (for example to keep a rematerialized
/// value from being merged with the original).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let y = ferrax::lax::optimization_barrier(&[x.clone()]);
/// assert_eq!(y[0].to_vec::<f32>(), x.to_vec::<f32>());
/// let j = make_jaxpr(|x: &Tensor| ferrax::lax::optimization_barrier(&[x.clone()])[0].clone())(&x);
/// assert!(j.to_string().contains("optimization_barrier"));
/// ```
#[track_caller]
pub fn optimization_barrier(xs: &[Tensor]) -> Vec<Tensor> {
    bind(&Prim::new(OptimizationBarrier), xs)
        .into_iter()
        .collect()
}

impl PrimRules for OptimizationBarrier {
    fn name(&self) -> &'static str {
        "optimization_barrier"
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        Ok(inputs.iter().cloned().collect())
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        inputs.iter().map(|a| (*a).clone()).collect()
    }

    fn constant_foldable(&self) -> bool {
        false
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        // The primals through one barrier and the nonzero tangents through another (JAX binds
        // one barrier on both; ferrax's linearize keeps primal and tangent equations apart).
        let outs = bind(&Prim::new(OptimizationBarrier), primals);
        let live: Vec<usize> = (0..tangents.len())
            .filter(|&i| tangents[i].is_some())
            .collect();
        let ts: Vec<Tensor> = live
            .iter()
            .map(|&i| tangents[i].clone().expect("live"))
            .collect();
        let touts = bind(&Prim::new(OptimizationBarrier), &ts);
        let mut tans = vec![None; primals.len()];
        for (k, &i) in live.iter().enumerate() {
            tans[i] = Some(touts[k].clone());
        }
        (outs, tans)
    }

    fn transpose(&self, cts: &[Option<Tensor>], _args: &[LinearArg]) -> Vec<Option<Tensor>> {
        let live: Vec<Tensor> = cts.iter().flatten().cloned().collect();
        if live.is_empty() {
            return vec![None; cts.len()];
        }
        let outs = bind(&Prim::new(OptimizationBarrier), &live);
        let mut it = outs.into_iter();
        cts.iter()
            .map(|c| c.as_ref().and_then(|_| it.next()))
            .collect()
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _axis: &BatchAxis) -> BatchResult {
        (bind(&Prim::new(OptimizationBarrier), args), dims.to_vec())
    }
}
