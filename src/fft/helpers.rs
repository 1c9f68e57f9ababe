//! The helpers of `jnp.fft`: the sample frequencies of a transform (`fftfreq`, `rfftfreq`)
//! and the shifts that put the zero frequency in the middle (`fftshift`, `ifftshift`).

use crate::numpy::{normalize_axis, roll};
use crate::tensor::{DType, Tensor};

/// The keyword arguments of [`fftfreq_with`] and [`rfftfreq_with`], JAX's defaults: the
/// sample spacing `d = 1.0` and `dtype = float32`.
///
/// ```
/// use ferrax::fft::FftFreq;
/// assert_eq!(FftFreq::default().d, 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FftFreq {
    /// The sample spacing (the inverse of the sampling rate).
    pub d: f64,
    /// The output dtype (f32 or f64 computes in that precision, as JAX does).
    pub dtype: DType,
}

impl Default for FftFreq {
    fn default() -> Self {
        FftFreq {
            d: 1.0,
            dtype: DType::F32,
        }
    }
}

/// `k / (d * n)` for each integer `k`, computed in `dtype`'s precision bit for bit as JAX on
/// CPU does: XLA turns the division by the constant `d * n` (rounded to the dtype) into a
/// product with its reciprocal.
fn freqs(ks: impl Iterator<Item = i64>, dn: f64, dtype: DType) -> Tensor {
    let ks: Vec<i64> = ks.collect();
    let len = ks.len();
    if dtype == DType::F32 {
        let rcp = 1.0 / dn as f32;
        let v: Vec<f32> = ks.iter().map(|&k| k as f32 * rcp).collect();
        return Tensor::from_vec(v, &[len]);
    }
    let rcp = 1.0 / dn;
    let v: Vec<f64> = ks.iter().map(|&k| k as f64 * rcp).collect();
    Tensor::from_f64_values(&v, &[len], dtype)
}

/// The sample frequencies of an `n`-point transform (`jnp.fft.fftfreq`): `[0, 1, ...,
/// n/2 - 1, -n/2, ..., -1] / (d * n)` (the middle by numpy's rule for odd `n`), f32.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::fft::fftfreq(4).to_vec::<f32>(), vec![0.0, 0.25, -0.5, -0.25]);
/// ```
pub fn fftfreq(n: usize) -> Tensor {
    fftfreq_with(n, FftFreq::default())
}

/// [`fftfreq`] with the sample spacing `d` and the output `dtype`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::fft::{fftfreq_with, FftFreq};
/// let f = fftfreq_with(3, FftFreq { d: 0.5, dtype: DType::F64 });
/// assert_eq!(f.to_vec::<f64>(), vec![0.0, 1.0 / 1.5, -1.0 / 1.5]);
/// ```
pub fn fftfreq_with(n: usize, options: FftFreq) -> Tensor {
    let (n, h) = (n as i64, (n / 2) as i64);
    let ks = (0..n).map(move |i| (i + h) % n - h);
    freqs(ks, options.d * n as f64, options.dtype)
}

/// The sample frequencies of an `n`-point [`rfft`](super::rfft) (`jnp.fft.rfftfreq`):
/// `[0, 1, ..., n/2] / (d * n)`, f32.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::fft::rfftfreq(4).to_vec::<f32>(), vec![0.0, 0.25, 0.5]);
/// ```
pub fn rfftfreq(n: usize) -> Tensor {
    rfftfreq_with(n, FftFreq::default())
}

/// [`rfftfreq`] with the sample spacing `d` and the output `dtype`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::fft::{rfftfreq_with, FftFreq};
/// let f = rfftfreq_with(5, FftFreq { d: 2.0, dtype: DType::F64 });
/// assert_eq!(f.to_vec::<f64>(), vec![0.0, 0.1, 0.2]);
/// ```
pub fn rfftfreq_with(n: usize, options: FftFreq) -> Tensor {
    let ks = 0..(n / 2 + 1) as i64;
    freqs(ks, options.d * n as f64, options.dtype)
}

/// `x` rolled along `axes` (every axis for `None`) by `sign * (dim / 2)` each.
#[track_caller]
fn shift(x: &Tensor, axes: Option<&[isize]>, forward: bool) -> Tensor {
    let all: Vec<isize> = (0..x.ndim() as isize).collect();
    let mut out = x.clone();
    for &a in axes.unwrap_or(&all) {
        let d = x.shape()[normalize_axis(a, x.ndim())] as isize / 2;
        out = roll(&out, if forward { d } else { -d }, Some(a));
    }
    out
}

/// Moves the zero frequency to the middle (`jnp.fft.fftshift`): a roll by `dim / 2` along
/// each of `axes` (every axis for `None`).
///
/// ```
/// use ferrax::prelude::*;
/// let f = ferrax::fft::fftshift(&ferrax::fft::fftfreq(4), None);
/// assert_eq!(f.to_vec::<f32>(), vec![-0.5, -0.25, 0.0, 0.25]);
/// ```
#[track_caller]
pub fn fftshift(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    shift(x, axes, true)
}

/// The inverse of [`fftshift`] (`jnp.fft.ifftshift`): a roll by `-(dim / 2)` along each of
/// `axes` (every axis for `None`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0, 1, 2, 3, 4], &[5]);
/// let back = ferrax::fft::ifftshift(&ferrax::fft::fftshift(&x, None), None);
/// assert_eq!(back.to_vec::<i32>(), vec![0, 1, 2, 3, 4]);
/// ```
#[track_caller]
pub fn ifftshift(x: &Tensor, axes: Option<&[isize]>) -> Tensor {
    shift(x, axes, false)
}
