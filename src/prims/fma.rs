//! `fma(a, b, c)`: `a * b + c` rounded once. Internal to ferrax (JAX has no such primitive):
//! XLA's CPU backend contracts a multiply whose only use is an add into one fused
//! multiply-add, so a `jax.random` sampler whose formula has `x * c + 1` (gamma's
//! Marsaglia–Tsang step, a uniform on `[a, b)`) rounds once where two ferrax `mul`/`add`
//! equations would round twice. The samplers bind this primitive exactly where XLA's compiled
//! code has the FMA, so their values equal JAX's bit for bit. Its rules are written with
//! `mul` and `add`, so it differentiates, batches and transposes like the pair it replaces.

use super::util::{batch_full, expect_arity, flat, jvp_out};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Prim, PrimRules};
use crate::core::{bind1, Aval, Avals};
use crate::prims::lax;
use crate::tensor::{ArrayData, DType, Tensor};
use ndarray::{ArrayD, IxDyn};
use smallvec::smallvec;

/// The primitive (no params): three operands of one float dtype and one shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fma;

/// `a * b + c` with one rounding (f32 or f64 operands of one shape), as XLA computes a
/// contracted multiply-add.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::internals::prims::fma::fma;
/// let (a, b) = (1.0f32 + f32::EPSILON, 1.0f32 - f32::EPSILON);
/// let r = fma(&Tensor::scalar(a), &Tensor::scalar(b), &Tensor::scalar(-1.0f32));
/// // a * b rounds to 1 in f32; the fused form keeps the -ε² the product lost.
/// assert_eq!(r.to_vec::<f32>(), vec![a.mul_add(b, -1.0)]);
/// assert!(r.to_vec::<f32>()[0] < 0.0);
/// ```
#[track_caller]
pub fn fma(a: &Tensor, b: &Tensor, c: &Tensor) -> Tensor {
    bind1(&Prim::new(Fma), &[a.clone(), b.clone(), c.clone()])
}

impl PrimRules for Fma {
    fn name(&self) -> &'static str {
        "fma"
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 3)?;
        let a = &inputs[0];
        if !matches!(a.dtype, DType::F32 | DType::F64) {
            return Err(format!("operands must be f32 or f64, got {a}"));
        }
        if let Some(bad) = inputs[1..].iter().find(|x| *x != a) {
            return Err(format!("operands must have one type, got {a} and {bad}"));
        }
        Ok(smallvec![a.clone()])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let shape = IxDyn(&out[0].shape);
        let result = match (inputs[0], inputs[1], inputs[2]) {
            (ArrayData::F32(a), ArrayData::F32(b), ArrayData::F32(c)) => {
                ArrayData::F32(fma_kernel(a, b, c, &shape, f32::mul_add))
            }
            (ArrayData::F64(a), ArrayData::F64(b), ArrayData::F64(c)) => {
                ArrayData::F64(fma_kernel(a, b, c, &shape, f64::mul_add))
            }
            _ => unreachable!("fma: operand dtypes are checked by abstract_eval"),
        };
        smallvec![result]
    }

    /// `ȧ b + a ḃ + ċ`, as the JVPs of the `mul` and `add` it fuses.
    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let (a, b) = (&primals[0], &primals[1]);
        let ans = fma(a, b, &primals[2]);
        let parts = [
            tangents[0].as_ref().map(|da| lax::mul(da, b)),
            tangents[1].as_ref().map(|db| lax::mul(a, db)),
            tangents[2].clone(),
        ];
        let t = parts
            .into_iter()
            .flatten()
            .reduce(|x, y| lax::add_any(&x, &y));
        jvp_out(ans, t)
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        // Every operand has the logical shape: take it from one, then move each batch dim to
        // the front (unbatched operands broadcast along it).
        let logical: Vec<usize> = match args.iter().zip(dims).find(|(_, d)| d.is_none()) {
            Some((x, _)) => x.shape().to_vec(),
            None => {
                let d = dims[0].expect("some operand is batched");
                let mut s = args[0].shape().to_vec();
                s.remove(d);
                s
            }
        };
        batch_full(&Prim::new(Fma), args, dims, axis.size, &logical, |_| false)
    }

    /// Linear in `c`, and in `a` (or `b`) when the other factor is known.
    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        let Some(ct) = &cts[0] else {
            return vec![None; 3];
        };
        let (la, lb) = (args[0].is_linear(), args[1].is_linear());
        assert!(
            !(la && lb),
            "fma: not linear in both factors, so it has no transpose there"
        );
        vec![
            la.then(|| lax::mul(ct, args[1].known())),
            lb.then(|| lax::mul(args[0].known(), ct)),
            args[2].is_linear().then(|| ct.clone()),
        ]
    }
}

/// `f(a, b, c)` elementwise over three arrays of `shape`, row-major.
fn fma_kernel<T: Copy>(
    a: &ArrayD<T>,
    b: &ArrayD<T>,
    c: &ArrayD<T>,
    shape: &IxDyn,
    f: fn(T, T, T) -> T,
) -> ArrayD<T> {
    let (a, b, c) = (flat(a), flat(b), flat(c));
    let data: Vec<T> = a
        .iter()
        .zip(b.iter())
        .zip(c.iter())
        .map(|((&x, &y), &z)| f(x, y, z))
        .collect();
    ArrayD::from_shape_vec(shape.clone(), data).expect("operands have the output's shape")
}
