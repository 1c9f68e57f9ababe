//! The `fft` primitive (JAX's `lax.fft_p`, `jax/_src/lax/fft.py`): one primitive for the four
//! transforms XLA's `Fft` op computes over the trailing `fft_lengths.len()` axes, with params
//! `fft_type` (FFT, IFFT, RFFT, IRFFT; printed as JAX prints the enum, an integer) and
//! `fft_lengths`. Linear: the JVP applies the primitive to the tangent, and the transpose is
//! JAX's `_fft_transpose_rule` (FFT and IFFT transpose to themselves, unconjugated; RFFT and
//! IRFFT to each other with the mask that accounts for the Hermitian half, IRFFT's conjugated
//! as JAX's complex-gradient convention has it). Batching moves the vmapped axis to the front
//! (leading dims are batch dims). Kernels: `kernels::fft` (rustfft/realfft, cached plans).

use crate::core::{bind1, Aval, Avals};
use crate::kernels::fft as k;
use crate::prims::lax;
use crate::prims::util::{batch_at, expect_arity, linear_jvp, py_tuple, text};
use crate::prims::{
    ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules,
};
use crate::tensor::{ArrayData, DType, Tensor};
use ndarray::{ArrayD, IxDyn};
use smallvec::smallvec;

/// Which transform the `fft` primitive computes (JAX's `lax.FftType`, same numbering).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FftType {
    /// Forward complex-to-complex.
    Fft = 0,
    /// Inverse complex-to-complex, divided by the product of the lengths.
    Ifft = 1,
    /// Forward real-to-complex: the last axis keeps `n / 2 + 1` frequencies.
    Rfft = 2,
    /// Inverse complex-to-real (the last axis grows back to `n`), divided by the product of
    /// the lengths.
    Irfft = 3,
}

/// The primitive and its params.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fft {
    /// The transform.
    pub fft_type: FftType,
    /// The lengths of the transformed trailing axes (of the real side for RFFT/IRFFT).
    pub fft_lengths: Vec<usize>,
}

/// `lax.fft`: the transform `fft_type` over the trailing `fft_lengths.len()` axes of `x`.
/// As JAX, RFFT converts a real operand to its inexact dtype (integers to f32) and rejects a
/// complex one; the others convert to the complex dtype (f64 to c128, else c64). No lengths:
/// `x` converted, untransformed.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::FftType;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]);
/// let y = ferrax::lax::fft(&x, FftType::Rfft, &[4]);
/// assert_eq!(y.shape(), &[3]);
/// assert_eq!(y.dtype(), DType::C64);
/// assert_eq!(ferrax::lax::real(&y).to_vec::<f32>(), vec![10.0, -2.0, -2.0]);
/// ```
#[track_caller]
pub fn fft(x: &Tensor, fft_type: FftType, fft_lengths: &[usize]) -> Tensor {
    let d = x.dtype();
    let x = if fft_type == FftType::Rfft {
        assert!(
            !d.is_complex(),
            "fft: only real valued inputs supported for rfft, got {}",
            x.aval()
        );
        let to = if d.is_float() { d } else { DType::F32 };
        lax::convert_element_type(x, to)
    } else {
        lax::convert_element_type(x, d.complex_dtype())
    };
    if fft_lengths.is_empty() {
        return x;
    }
    let p = Fft {
        fft_type,
        fft_lengths: fft_lengths.to_vec(),
    };
    bind1(&Prim::new(p), &[x])
}

impl PrimRules for Fft {
    fn name(&self) -> &'static str {
        "fft"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![
            ("fft_lengths", text(py_tuple(&self.fft_lengths))),
            ("fft_type", text((self.fft_type as u8).to_string())),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let x = &inputs[0];
        let lens = &self.fft_lengths;
        let k = lens.len();
        if k == 0 || k > x.ndim() {
            return Err(format!(
                "fft: input {x} must have at least as many dimensions as fft_lengths {}",
                py_tuple(lens)
            ));
        }
        let minor = &x.shape[x.ndim() - k..];
        let (shape, dtype) = match self.fft_type {
            FftType::Fft | FftType::Ifft => {
                if !x.dtype.is_complex() {
                    return Err(format!("fft: FFT input must be c64 or c128, got {x}"));
                }
                if minor != lens.as_slice() {
                    return Err(format!(
                        "fft: input {x} minor dimensions must be equal to fft_lengths {}",
                        py_tuple(lens)
                    ));
                }
                (x.shape.to_vec(), x.dtype)
            }
            FftType::Rfft => {
                if !matches!(x.dtype, DType::F32 | DType::F64) {
                    return Err(format!("fft: RFFT input must be f32 or f64, got {x}"));
                }
                if minor != lens.as_slice() {
                    return Err(format!(
                        "fft: RFFT input {x} minor dimensions must be equal to fft_lengths {}",
                        py_tuple(lens)
                    ));
                }
                let mut s = x.shape.to_vec();
                s[x.ndim() - 1] = lens[k - 1] / 2 + 1;
                (s, x.dtype.complex_dtype())
            }
            FftType::Irfft => {
                if !x.dtype.is_complex() {
                    return Err(format!("fft: IRFFT input must be c64 or c128, got {x}"));
                }
                let want_last = lens[k - 1] / 2 + 1;
                if minor[..k - 1] != lens[..k - 1] || minor[k - 1] != want_last {
                    return Err(format!(
                        "fft: IRFFT input {x} minor dimensions must be fft_lengths {} with the \
                         last one n / 2 + 1 = {want_last}",
                        py_tuple(lens)
                    ));
                }
                let mut s = x.shape.to_vec();
                s[x.ndim() - 1] = lens[k - 1];
                (s, x.dtype.real_dtype())
            }
        };
        Ok(smallvec![Aval::new(&shape, dtype)])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let k = self.fft_lengths.len();
        let x = inputs[0];
        let in_shape = x.shape().to_vec();
        let out_shape = IxDyn(&out[0].shape);
        let inverse = self.fft_type == FftType::Ifft;
        let n_last = self.fft_lengths[k - 1];
        let r = match (self.fft_type, x) {
            (FftType::Fft | FftType::Ifft, ArrayData::C64(a)) => {
                let mut v = contiguous(a).into_owned();
                k::c2c(&mut v, &in_shape, k, inverse);
                ArrayData::C64(ArrayD::from_shape_vec(out_shape, v).expect("shape"))
            }
            (FftType::Fft | FftType::Ifft, ArrayData::C128(a)) => {
                let mut v = contiguous(a).into_owned();
                k::c2c(&mut v, &in_shape, k, inverse);
                ArrayData::C128(ArrayD::from_shape_vec(out_shape, v).expect("shape"))
            }
            (FftType::Rfft, ArrayData::F32(a)) => {
                let v = k::r2c(&contiguous(a), &in_shape, k);
                ArrayData::C64(ArrayD::from_shape_vec(out_shape, v).expect("shape"))
            }
            (FftType::Rfft, ArrayData::F64(a)) => {
                let v = k::r2c(&contiguous(a), &in_shape, k);
                ArrayData::C128(ArrayD::from_shape_vec(out_shape, v).expect("shape"))
            }
            (FftType::Irfft, ArrayData::C64(a)) => {
                let v = k::c2r(&contiguous(a), &in_shape, k, n_last);
                ArrayData::F32(ArrayD::from_shape_vec(out_shape, v).expect("shape"))
            }
            (FftType::Irfft, ArrayData::C128(a)) => {
                let v = k::c2r(&contiguous(a), &in_shape, k, n_last);
                ArrayData::F64(ArrayD::from_shape_vec(out_shape, v).expect("shape"))
            }
            _ => unreachable!("fft of {}: checked by abstract_eval", x.dtype()),
        };
        smallvec![r]
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        linear_jvp(&Prim::new(self.clone()), primals, tangents)
    }

    fn transpose(&self, cts: &[Option<Tensor>], _args: &[LinearArg]) -> Vec<Option<Tensor>> {
        let Some(t) = &cts[0] else {
            return vec![None];
        };
        let lens = &self.fft_lengths;
        let ct = match self.fft_type {
            FftType::Rfft => rfft_transpose(t, lens),
            FftType::Irfft => irfft_transpose(t, lens),
            ty => bind1(
                &Prim::new(Fft {
                    fft_type: ty,
                    fft_lengths: lens.clone(),
                }),
                std::slice::from_ref(t),
            ),
        };
        vec![Some(ct)]
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let x = batch_at(&args[0], dims[0], axis.size, 0);
        (
            smallvec![bind1(&Prim::new(self.clone()), &[x])],
            vec![Some(0)],
        )
    }
}

/// The elements of `a` in row-major order, borrowed when already so (a plain slice: walking
/// an `ArrayD` element by element costs more than a large transform's copy).
fn contiguous<T: Clone>(a: &ArrayD<T>) -> std::borrow::Cow<'_, [T]> {
    match a.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(a.iter().cloned().collect()),
    }
}

/// `[1, 2, 2, ..., 2, (1 if n is even)]` of length `m = n / 2 + 1` and `dtype`, shaped to
/// broadcast along the last axis of a rank-`rank` array: how many times each kept frequency
/// stands for itself in the full Hermitian spectrum.
fn hermitian_mask(n: usize, m: usize, rank: usize, dtype: DType) -> Tensor {
    let mut v = vec![2.0; m];
    v[0] = 1.0;
    if n.is_multiple_of(2) {
        v[m - 1] = 1.0;
    }
    let mut shape = vec![1; rank];
    shape[rank - 1] = m;
    Tensor::from_f64_values(&v, &shape, dtype)
}

/// JAX's `_rfft_transpose`: `N * irfft(conj(t) / mask)`.
fn rfft_transpose(t: &Tensor, lens: &[usize]) -> Tensor {
    let n = lens[lens.len() - 1];
    let m = t.shape()[t.ndim() - 1];
    let mask = hermitian_mask(n, m, t.ndim(), t.dtype());
    let big_n: usize = lens.iter().product();
    let x = lax::div(&lax::conj(t), &mask);
    let p = Fft {
        fft_type: FftType::Irfft,
        fft_lengths: lens.to_vec(),
    };
    let out = bind1(&Prim::new(p), &[x]);
    lax::mul(&out, &Tensor::full(&[], big_n as f64, out.dtype()))
}

/// JAX's `_irfft_transpose`: `conj(mask * rfft(t) / N)`.
fn irfft_transpose(t: &Tensor, lens: &[usize]) -> Tensor {
    let p = Fft {
        fft_type: FftType::Rfft,
        fft_lengths: lens.to_vec(),
    };
    let x = bind1(&Prim::new(p), std::slice::from_ref(t));
    let m = x.shape()[x.ndim() - 1];
    let mask = hermitian_mask(lens[lens.len() - 1], m, x.ndim(), x.dtype());
    let big_n: usize = lens.iter().product();
    let scale = Tensor::full(&[], 1.0 / big_n as f64, x.dtype());
    lax::conj(&lax::mul(&lax::mul(&scale, &mask), &x))
}
