//! The complex-number primitives (JAX's names and rules, `jax/_src/lax/lax.py`): `real` and
//! `imag` (complex -> real parts), `complex` (two real arrays -> one complex array) and `conj`
//! (with JAX's `input_dtype` param: a real operand becomes complex). All four are linear and
//! their transposes are JAX's plain linear transposes (no conjugation): `real`'s is
//! `complex(ct, 0)`, `imag`'s `complex(0, -ct)`, `complex`'s `(real(ct), imag(-ct))`, and
//! `conj`'s `conj(ct)` (or `real(ct)` for a real operand).

use super::util::{batch_elementwise, expect_arity, linear_jvp, text, zeros};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind1, Aval, Avals};
use crate::prims::lax;
use crate::tensor::{ArrayData, DType, Tensor};
use ndarray::Zip;
use num_complex::Complex;
use smallvec::smallvec;

/// The complex primitives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ComplexOp {
    /// The real part of a complex array (`lax.real`).
    Real,
    /// The imaginary part of a complex array (`lax.imag`).
    Imag,
    /// `x + i y` from two real arrays of one dtype (`lax.complex`).
    Complex,
    /// The complex conjugate (`lax.conj`); `input_dtype` is the operand's dtype, as JAX
    /// records it.
    Conj { input_dtype: DType },
}

/// The real part of a complex array (`lax.real`): `c64 -> f32`, `c128 -> f64`.
///
/// ```
/// use ferrax::prelude::*;
/// use num_complex::Complex32;
/// let z = Tensor::from_vec(vec![Complex32::new(1.0, 2.0)], &[1]);
/// assert_eq!(ferrax::lax::real(&z).to_vec::<f32>(), vec![1.0]);
/// ```
#[track_caller]
pub fn real(x: &Tensor) -> Tensor {
    bind1(&Prim::new(ComplexOp::Real), std::slice::from_ref(x))
}

/// The imaginary part of a complex array (`lax.imag`): `c64 -> f32`, `c128 -> f64`.
///
/// ```
/// use ferrax::prelude::*;
/// use num_complex::Complex32;
/// let z = Tensor::from_vec(vec![Complex32::new(1.0, 2.0)], &[1]);
/// assert_eq!(ferrax::lax::imag(&z).to_vec::<f32>(), vec![2.0]);
/// ```
#[track_caller]
pub fn imag(x: &Tensor) -> Tensor {
    bind1(&Prim::new(ComplexOp::Imag), std::slice::from_ref(x))
}

/// `x + i y` (`lax.complex`): two real arrays of one dtype (f32 or f64) and shape make a
/// complex one (`c64` or `c128`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32], &[1]);
/// let z = ferrax::lax::complex(&x, &(&x * 2.0));
/// assert_eq!(z.to_vec::<num_complex::Complex32>(), vec![num_complex::Complex32::new(1.0, 2.0)]);
/// ```
#[track_caller]
pub fn complex(x: &Tensor, y: &Tensor) -> Tensor {
    bind1(&Prim::new(ComplexOp::Complex), &[x.clone(), y.clone()])
}

/// The complex conjugate (`lax.conj`); a real operand gives a complex result, as in JAX.
///
/// ```
/// use ferrax::prelude::*;
/// use num_complex::Complex32;
/// let z = Tensor::from_vec(vec![Complex32::new(1.0, 2.0)], &[1]);
/// assert_eq!(ferrax::lax::conj(&z).to_vec::<Complex32>(), vec![Complex32::new(1.0, -2.0)]);
/// ```
#[track_caller]
pub fn conj(x: &Tensor) -> Tensor {
    let input_dtype = x.dtype();
    bind1(
        &Prim::new(ComplexOp::Conj { input_dtype }),
        std::slice::from_ref(x),
    )
}

impl PrimRules for ComplexOp {
    fn name(&self) -> &'static str {
        match self {
            ComplexOp::Real => "real",
            ComplexOp::Imag => "imag",
            ComplexOp::Complex => "complex",
            ComplexOp::Conj { .. } => "conj",
        }
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        match self {
            ComplexOp::Conj { input_dtype } => {
                vec![("input_dtype", text(input_dtype.numpy_name()))]
            }
            _ => vec![],
        }
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        match self {
            ComplexOp::Real | ComplexOp::Imag => {
                expect_arity(inputs, 1)?;
                let x = &inputs[0];
                if !x.dtype.is_complex() {
                    return Err(format!("operand must be complex, got {}", x.dtype));
                }
                Ok(smallvec![x.with_dtype(x.dtype.real_dtype())])
            }
            ComplexOp::Complex => {
                expect_arity(inputs, 2)?;
                let (x, y) = (&inputs[0], &inputs[1]);
                if x.dtype != y.dtype || !matches!(x.dtype, DType::F32 | DType::F64) {
                    return Err(format!(
                        "operands must be both f32 or both f64, got {} and {}",
                        x.dtype, y.dtype
                    ));
                }
                if x.shape != y.shape {
                    return Err(format!("operand shapes differ: {x} and {y}"));
                }
                Ok(smallvec![x.with_dtype(x.dtype.complex_dtype())])
            }
            ComplexOp::Conj { input_dtype } => {
                expect_arity(inputs, 1)?;
                let x = &inputs[0];
                if x.dtype != *input_dtype || !x.dtype.is_inexact() {
                    return Err(format!(
                        "operand must be a float or complex array of input_dtype {}, got {}",
                        input_dtype.numpy_name(),
                        x.dtype
                    ));
                }
                Ok(smallvec![x.with_dtype(x.dtype.complex_dtype())])
            }
        }
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        use ArrayData as A;
        let r = match (self, inputs[0]) {
            (ComplexOp::Real, A::C64(z)) => A::F32(z.mapv(|z| z.re)),
            (ComplexOp::Real, A::C128(z)) => A::F64(z.mapv(|z| z.re)),
            (ComplexOp::Imag, A::C64(z)) => A::F32(z.mapv(|z| z.im)),
            (ComplexOp::Imag, A::C128(z)) => A::F64(z.mapv(|z| z.im)),
            (ComplexOp::Conj { .. }, A::C64(z)) => A::C64(z.mapv(|z| z.conj())),
            (ComplexOp::Conj { .. }, A::C128(z)) => A::C128(z.mapv(|z| z.conj())),
            (ComplexOp::Conj { .. }, x) => x.convert(x.dtype().complex_dtype()),
            (ComplexOp::Complex, A::F32(x)) => {
                let A::F32(y) = inputs[1] else {
                    unreachable!("checked by abstract_eval")
                };
                A::C64(Zip::from(x).and(y).map_collect(|&a, &b| Complex::new(a, b)))
            }
            (ComplexOp::Complex, A::F64(x)) => {
                let A::F64(y) = inputs[1] else {
                    unreachable!("checked by abstract_eval")
                };
                A::C128(Zip::from(x).and(y).map_collect(|&a, &b| Complex::new(a, b)))
            }
            _ => unreachable!("checked by abstract_eval"),
        };
        // `map_collect` follows the operands' layout; kernels read row-major slices.
        let r = crate::dispatch_array!(r, a, T => {
            <T as crate::tensor::ArrayElement>::wrap(a.as_standard_layout().into_owned())
        });
        smallvec![r]
    }

    /// All four are linear: the tangent is the op applied to the tangents.
    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        linear_jvp(&Prim::new(*self), primals, tangents)
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        if *self == ComplexOp::Complex && dims.iter().any(Option::is_none) {
            // `complex` takes equal shapes (no rank broadcasting): an unbatched part is
            // broadcast to the whole batch (as the transpose of `real` under `vmap` makes).
            let args: Vec<Tensor> = args
                .iter()
                .zip(dims)
                .map(|(a, d)| super::util::batch_at(a, *d, axis.size, 0))
                .collect();
            return (smallvec![bind1(&Prim::new(*self), &args)], vec![Some(0)]);
        }
        batch_elementwise(&Prim::new(*self), args, dims)
    }

    /// JAX's `deflinear2` rules: plain linear transposes, no conjugation.
    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        let Some(ct) = &cts[0] else {
            return vec![None; args.len()];
        };
        let zero = |t: &Tensor| zeros(&t.aval());
        match self {
            ComplexOp::Real => vec![Some(complex(ct, &zero(ct)))],
            ComplexOp::Imag => vec![Some(complex(&zero(ct), &lax::neg(ct)))],
            ComplexOp::Complex => {
                let lin = |i: usize| args[i].is_linear();
                vec![
                    lin(0).then(|| real(ct)),
                    lin(1).then(|| imag(&lax::neg(ct))),
                ]
            }
            ComplexOp::Conj { input_dtype } if input_dtype.is_complex() => vec![Some(conj(ct))],
            ComplexOp::Conj { .. } => vec![Some(real(ct))],
        }
    }
}
