//! `ferrax::fft`, the twin of `jax.numpy.fft` (feature `fft`, on by default): the discrete
//! Fourier transforms of one, two or any number of axes, complex and real, their helpers
//! (`fftfreq`, `rfftfreq`, `fftshift`, `ifftshift`), all compositions of the one `fft`
//! primitive ([`crate::lax::fft`]), so `grad`, `vmap` and `jit` apply.
//!
//! As in JAX: real f32/f64 inputs are promoted to complex64/complex128 (integers to
//! complex64), `n`/`s` pad with zeros or truncate the transformed axes, and `norm` scales as
//! numpy does. Optional arguments follow `ferrax::numpy`'s convention: `f(x)` is JAX's call
//! with the defaults, `f_with(x, options)` takes the keyword arguments as an options struct
//! ([`Fft1d`] for the one-axis functions, [`FftNd`] for the others).
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::fft::{self, Fft1d, Norm};
//! let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]);
//! let y = fft::rfft(&x); // jnp.fft.rfft(x)
//! assert_eq!(y.shape(), &[3]);
//! let back = fft::irfft(&y); // jnp.fft.irfft(y): length 2 * (3 - 1)
//! assert_eq!(back.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0]);
//! let z = fft::fft_with(&x, Fft1d { n: Some(8), norm: Norm::Ortho, ..Default::default() });
//! assert_eq!(z.shape(), &[8]);
//! ```

mod helpers;

pub use helpers::{fftfreq, fftfreq_with, fftshift, ifftshift, rfftfreq, rfftfreq_with, FftFreq};

use crate::lax::{self, FftType};
use crate::tensor::Tensor;
use std::panic::Location;

/// numpy's `norm` argument: which direction carries the `1/N` (`Backward`, the default: the
/// inverse), both `1/sqrt(N)` (`Ortho`), or the forward one (`Forward`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Norm {
    /// `norm="backward"` (and JAX's `norm=None`): the inverse transforms divide by `N`.
    #[default]
    Backward,
    /// `norm="ortho"`: both directions divide by `sqrt(N)` (unitary transforms).
    Ortho,
    /// `norm="forward"`: the forward transforms divide by `N`.
    Forward,
}

/// The keyword arguments of the one-axis transforms (`fft`, `ifft`, `rfft`, `irfft`, `hfft`,
/// `ihfft`), JAX's defaults: `n=None, axis=-1, norm=None`.
///
/// ```
/// use ferrax::fft::{Fft1d, Norm};
/// let o = Fft1d { n: Some(16), axis: 0, norm: Norm::Forward };
/// assert_eq!(Fft1d::default().axis, -1);
/// # let _ = o;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fft1d {
    /// The transform length along `axis` (the output length for `irfft`/`hfft`): the input is
    /// cut or zero-padded to it. `None`: the input's length (`2 * (m - 1)` for `irfft`/`hfft`).
    pub n: Option<usize>,
    /// The transformed axis (negative counts from the end).
    pub axis: isize,
    /// The normalization.
    pub norm: Norm,
}

impl Default for Fft1d {
    fn default() -> Self {
        Fft1d {
            n: None,
            axis: -1,
            norm: Norm::Backward,
        }
    }
}

/// The keyword arguments of the many-axis transforms (`fft2`, `fftn`, ... ): `s` the lengths,
/// `axes` the axes (`None`: the last `s.len()` axes, or every axis without `s`; the last two
/// for the `*2` functions), `norm`.
///
/// ```
/// use ferrax::fft::FftNd;
/// let o = FftNd { s: Some(vec![4, 4]), axes: Some(vec![0, 2]), ..Default::default() };
/// # let _ = o;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FftNd {
    /// The transform lengths, one per axis (output lengths for the inverse real transforms).
    pub s: Option<Vec<usize>>,
    /// The transformed axes, in order (negative counts from the end).
    pub axes: Option<Vec<isize>>,
    /// The normalization.
    pub norm: Norm,
}

/// JAX's `_fft_norm` as one factor: `prod(s)` with the inverse functions' names (`i...`)
/// taking the reciprocal side.
fn norm_factor(name: &str, s: &[usize], norm: Norm) -> Option<f64> {
    let n: f64 = s.iter().map(|&v| v as f64).product();
    let inverse = name.starts_with('i');
    match (norm, inverse) {
        (Norm::Backward, _) => None,
        (Norm::Ortho, true) => Some(n.sqrt()),
        (Norm::Ortho, false) => Some(1.0 / n.sqrt()),
        (Norm::Forward, true) => Some(n),
        (Norm::Forward, false) => Some(1.0 / n),
    }
}

/// Axis `v` of an input of `shape` (negative counts from the end), or a panic naming the
/// function, the shape and the caller's line.
#[track_caller]
fn axis_of(name: &str, v: isize, shape: &[usize]) -> usize {
    let nd = shape.len() as isize;
    let u = if v < 0 { v + nd } else { v };
    assert!(
        (0..nd).contains(&u),
        "fft::{name}: axis {v} is out of bounds for an input of shape {shape:?} (called from {})",
        Location::caller()
    );
    u as usize
}

/// `x * v`, `v` a scalar of `x`'s dtype.
fn scaled(x: &Tensor, v: f64) -> Tensor {
    lax::mul(x, &Tensor::full(&[], v, x.dtype()))
}

/// `x`'s axis `a` cut or zero-padded to `len`.
fn fit_axis(x: &Tensor, a: usize, len: usize) -> Tensor {
    let have = x.shape()[a];
    if have == len {
        return x.clone();
    }
    if have > len {
        let start = vec![0; x.ndim()];
        let mut limit = x.shape().to_vec();
        limit[a] = len;
        return lax::slice(x, &start, &limit, None);
    }
    let mut cfg = vec![(0i64, 0i64, 0i64); x.ndim()];
    cfg[a].1 = (len - have) as i64;
    lax::pad(x, &Tensor::full(&[], 0.0, x.dtype()), &cfg)
}

/// JAX's `_fft_core`: the transform `ty` of `a` over `axes` with lengths `s`, as the public
/// function `name` (which its panics name).
#[track_caller]
fn fft_core(
    name: &str,
    ty: FftType,
    a: &Tensor,
    s: Option<&[usize]>,
    axes: Option<&[isize]>,
    norm: Norm,
) -> Tensor {
    let at = Location::caller();
    let nd = a.ndim();
    if let Some(s) = s {
        assert!(
            s.iter().all(|&v| v > 0),
            "fft::{name}: the lengths must be positive, got {s:?} for an input of shape {:?} \
             (called from {at})",
            a.shape()
        );
    }
    if let (Some(s), Some(ax)) = (s, axes) {
        assert!(
            s.len() == ax.len(),
            "fft::{name}: lengths {s:?} and axes {ax:?} have different lengths for an input of \
             shape {:?} (called from {at})",
            a.shape()
        );
    }
    let axes: Vec<usize> = match (axes, s) {
        (Some(ax), _) => {
            // A loop, not a closure: `axis_of`'s panic must see the caller's line.
            let mut v = Vec::with_capacity(ax.len());
            for &x in ax {
                v.push(axis_of(name, x, a.shape()));
            }
            v
        }
        (None, Some(s)) => {
            assert!(
                s.len() <= nd,
                "fft::{name}: {} lengths {s:?} for an input of shape {:?} (called from {at})",
                s.len(),
                a.shape()
            );
            (nd - s.len()..nd).collect()
        }
        (None, None) => (0..nd).collect(),
    };
    let k = axes.len();
    for (i, ax) in axes.iter().enumerate() {
        assert!(
            !axes[..i].contains(ax),
            "fft::{name}: repeated axes {axes:?} for an input of shape {:?} (called from {at})",
            a.shape()
        );
    }
    // The transformed axes moved to the end, in the order given (JAX's moveaxis).
    let mut perm: Vec<usize> = (0..nd).filter(|d| !axes.contains(d)).collect();
    perm.extend(&axes);
    let identity = perm.iter().enumerate().all(|(i, &p)| i == p);
    let mut arr = if identity {
        a.clone()
    } else {
        lax::transpose(a, &perm)
    };
    let lengths: Vec<usize> = match s {
        Some(s) => {
            for (j, &len) in s.iter().enumerate() {
                let want = if ty == FftType::Irfft && j == k - 1 {
                    len / 2 + 1
                } else {
                    len
                };
                arr = fit_axis(&arr, nd - k + j, want);
            }
            s.to_vec()
        }
        None => {
            let mut l: Vec<usize> = arr.shape()[nd - k..].to_vec();
            if ty == FftType::Irfft && k > 0 {
                let m = l[k - 1];
                assert!(
                    m > 1,
                    "fft::{name}: the output length 2 * ({m} - 1) along axis {} is not \
                     positive for an input of shape {:?}; pass n (called from {at})",
                    axes[k - 1],
                    a.shape()
                );
                l[k - 1] = 2 * (m - 1);
            }
            for &len in &l {
                assert!(
                    len > 0,
                    "fft::{name}: a transformed axis of length 0 in an input of shape {:?} \
                     (called from {at})",
                    a.shape()
                );
            }
            l
        }
    };
    let mut out = lax::fft(&arr, ty, &lengths);
    if let Some(f) = norm_factor(name, &lengths, norm) {
        out = scaled(&out, f);
    }
    if identity {
        out
    } else {
        let mut inv = vec![0; nd];
        for (i, &p) in perm.iter().enumerate() {
            inv[p] = i;
        }
        lax::transpose(&out, &inv)
    }
}

/// One-axis transforms: JAX's `_fft_core_1d`.
#[track_caller]
fn core_1d(name: &str, ty: FftType, a: &Tensor, o: Fft1d) -> Tensor {
    let s = o.n.map(|n| vec![n]);
    fft_core(name, ty, a, s.as_deref(), Some(&[o.axis]), o.norm)
}

/// Two-axis transforms: JAX's `_fft_core_2d` (axes default to the last two).
#[track_caller]
fn core_2d(name: &str, ty: FftType, a: &Tensor, o: &FftNd) -> Tensor {
    let axes = o.axes.clone().unwrap_or(vec![-2, -1]);
    assert!(
        axes.len() == 2,
        "fft::{name}: only supports 2 axes, got {axes:?} for an input of shape {:?} \
         (called from {})",
        a.shape(),
        Location::caller()
    );
    fft_core(name, ty, a, o.s.as_deref(), Some(&axes), o.norm)
}

macro_rules! one_axis {
    ($(#[$doc:meta])* $name:ident, $with:ident, $ty:expr, $ex:literal) => {
        $(#[$doc])*
        ///
        /// ```
        /// use ferrax::prelude::*;
        #[doc = $ex]
        /// ```
        #[track_caller]
        pub fn $name(a: &Tensor) -> Tensor {
            core_1d(stringify!($name), $ty, a, Fft1d::default())
        }

        #[doc = concat!("[`", stringify!($name), "`] with `n`, `axis` and `norm`.")]
        #[track_caller]
        pub fn $with(a: &Tensor, options: Fft1d) -> Tensor {
            core_1d(stringify!($name), $ty, a, options)
        }
    };
}

macro_rules! many_axes {
    ($(#[$doc:meta])* $name:ident, $with:ident, $ty:expr, $core:ident, $ex:literal) => {
        $(#[$doc])*
        ///
        /// ```
        /// use ferrax::prelude::*;
        #[doc = $ex]
        /// ```
        #[track_caller]
        pub fn $name(a: &Tensor) -> Tensor {
            $with(a, FftNd::default())
        }

        #[doc = concat!("[`", stringify!($name), "`] with `s`, `axes` and `norm`.")]
        #[track_caller]
        pub fn $with(a: &Tensor, options: FftNd) -> Tensor {
            $core(stringify!($name), $ty, a, &options)
        }
    };
}

/// The n-dimensional transforms: `axes` default to every axis (or the last `s.len()`).
#[track_caller]
fn core_nd(name: &str, ty: FftType, a: &Tensor, o: &FftNd) -> Tensor {
    fft_core(name, ty, a, o.s.as_deref(), o.axes.as_deref(), o.norm)
}

one_axis!(
    /// The discrete Fourier transform along one axis (`jnp.fft.fft`), complex output.
    fft, fft_with, FftType::Fft,
    "let y = ferrax::fft::fft(&Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 0.0], &[4]));\nassert_eq!(ferrax::lax::real(&y).to_vec::<f32>(), vec![1.0; 4]);"
);
one_axis!(
    /// The inverse discrete Fourier transform along one axis (`jnp.fft.ifft`).
    ifft, ifft_with, FftType::Ifft,
    "let y = ferrax::fft::ifft(&Tensor::from_vec(vec![4.0f32, 0.0, 0.0, 0.0], &[4]));\nassert_eq!(ferrax::lax::real(&y).to_vec::<f32>(), vec![1.0; 4]);"
);
one_axis!(
    /// The transform of a real signal along one axis (`jnp.fft.rfft`): the `n / 2 + 1`
    /// non-negative frequencies.
    rfft, rfft_with, FftType::Rfft,
    "assert_eq!(ferrax::fft::rfft(&Tensor::zeros(&[6], DType::F64)).shape(), &[4]);"
);
one_axis!(
    /// The inverse of [`rfft`] (`jnp.fft.irfft`): a real signal of length `n` (default
    /// `2 * (m - 1)`) from its `m` non-negative frequencies.
    irfft, irfft_with, FftType::Irfft,
    "let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]);\nlet o = ferrax::fft::Fft1d { n: Some(3), ..Default::default() };\nlet back = ferrax::fft::irfft_with(&ferrax::fft::rfft(&x), o).to_vec::<f64>();\nassert!((back[2] - 3.0).abs() < 1e-12);"
);

/// The transform of a signal with Hermitian symmetry (`jnp.fft.hfft`): a real spectrum of
/// length `n` (default `2 * (m - 1)`) from the `m` non-negative-frequency values.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 0.0, 0.0], &[3]);
/// assert_eq!(ferrax::fft::hfft(&x).to_vec::<f32>(), vec![1.0; 4]);
/// ```
#[track_caller]
pub fn hfft(a: &Tensor) -> Tensor {
    hfft_with(a, Fft1d::default())
}

/// [`hfft`] with `n`, `axis` and `norm`.
#[track_caller]
pub fn hfft_with(a: &Tensor, options: Fft1d) -> Tensor {
    let ax = axis_of("hfft", options.axis, a.shape());
    let nn = options.n.unwrap_or(2 * a.shape()[ax].saturating_sub(1));
    let conj = lax::conj(&lax::convert_element_type(a, a.dtype().complex_dtype()));
    scaled(&core_1d("hfft", FftType::Irfft, &conj, options), nn as f64)
}

/// The inverse of [`hfft`] (`jnp.fft.ihfft`): the `n / 2 + 1` non-negative frequencies of
/// the inverse transform of a real signal.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32; 4], &[4]);
/// let y = ferrax::fft::ihfft(&x);
/// assert_eq!(ferrax::lax::real(&y).to_vec::<f32>(), vec![1.0, 0.0, 0.0]);
/// ```
#[track_caller]
pub fn ihfft(a: &Tensor) -> Tensor {
    ihfft_with(a, Fft1d::default())
}

/// [`ihfft`] with `n`, `axis` and `norm`.
#[track_caller]
pub fn ihfft_with(a: &Tensor, options: Fft1d) -> Tensor {
    let ax = axis_of("ihfft", options.axis, a.shape());
    let nn = options.n.unwrap_or(a.shape()[ax]);
    let out = core_1d("ihfft", FftType::Rfft, a, options);
    scaled(&lax::conj(&out), 1.0 / nn as f64)
}

many_axes!(
    /// The two-axis transform (`jnp.fft.fft2`), over the last two axes by default.
    fft2, fft2_with, FftType::Fft, core_2d,
    "assert_eq!(ferrax::fft::fft2(&Tensor::zeros(&[2, 3, 4], DType::F32)).dtype(), DType::C64);"
);
many_axes!(
    /// The inverse of [`fft2`] (`jnp.fft.ifft2`).
    ifft2, ifft2_with, FftType::Ifft, core_2d,
    "assert_eq!(ferrax::fft::ifft2(&Tensor::zeros(&[3, 4], DType::F64)).dtype(), DType::C128);"
);
many_axes!(
    /// The two-axis transform of a real array (`jnp.fft.rfft2`): the last axis halved.
    rfft2, rfft2_with, FftType::Rfft, core_2d,
    "assert_eq!(ferrax::fft::rfft2(&Tensor::zeros(&[3, 4], DType::F32)).shape(), &[3, 3]);"
);
many_axes!(
    /// The inverse of [`rfft2`] (`jnp.fft.irfft2`): real output, the last axis `2 * (m - 1)`.
    irfft2, irfft2_with, FftType::Irfft, core_2d,
    "assert_eq!(ferrax::fft::irfft2(&Tensor::zeros(&[3, 3], DType::C64)).shape(), &[3, 4]);"
);
many_axes!(
    /// The n-dimensional transform (`jnp.fft.fftn`), over every axis by default.
    fftn, fftn_with, FftType::Fft, core_nd,
    "let y = ferrax::fft::fftn(&Tensor::ones(&[2, 2, 2], DType::F32));\nassert_eq!(ferrax::lax::real(&y).to_vec::<f32>()[0], 8.0);"
);
many_axes!(
    /// The inverse of [`fftn`] (`jnp.fft.ifftn`).
    ifftn, ifftn_with, FftType::Ifft, core_nd,
    "let y = ferrax::fft::ifftn(&Tensor::ones(&[2, 2], DType::F32));\nassert_eq!(ferrax::lax::real(&y).to_vec::<f32>(), vec![1.0, 0.0, 0.0, 0.0]);"
);
many_axes!(
    /// The n-dimensional transform of a real array (`jnp.fft.rfftn`): the last axis halved.
    rfftn, rfftn_with, FftType::Rfft, core_nd,
    "assert_eq!(ferrax::fft::rfftn(&Tensor::zeros(&[2, 3, 8], DType::F32)).shape(), &[2, 3, 5]);"
);
many_axes!(
    /// The inverse of [`rfftn`] (`jnp.fft.irfftn`): real output, the last axis `2 * (m - 1)`.
    irfftn, irfftn_with, FftType::Irfft, core_nd,
    "assert_eq!(ferrax::fft::irfftn(&Tensor::zeros(&[2, 5], DType::C64)).shape(), &[2, 8]);"
);
