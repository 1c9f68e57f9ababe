//! Float classification and sign handling, `jax.numpy` style: `isnan`, `isinf`, `isfinite`,
//! `isposinf`, `isneginf`, `signbit`, `copysign`, `heaviside`, `sinc`, angle conversions,
//! `clip`, `nan_to_num`.

use super::ufuncs::{constant_like, promote_float, to_float};
use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// `jnp.isnan`: true where `x` is NaN (never for integers).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![f32::NAN, 1.0], &[2]);
/// assert_eq!(ferrax::numpy::isnan(&x).to_vec::<bool>(), vec![true, false]);
/// ```
#[track_caller]
pub fn isnan(x: &Tensor) -> Tensor {
    if x.dtype().is_float() {
        lax::ne(x, x)
    } else {
        Tensor::full(x.shape(), false, DType::Bool)
    }
}

/// `jnp.isinf`: true where `x` is ±infinity.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![f32::NEG_INFINITY, 1.0], &[2]);
/// assert_eq!(ferrax::numpy::isinf(&x).to_vec::<bool>(), vec![true, false]);
/// ```
#[track_caller]
pub fn isinf(x: &Tensor) -> Tensor {
    if x.dtype().is_float() {
        lax::eq(&lax::abs(x), &constant_like(x, f64::INFINITY))
    } else {
        Tensor::full(x.shape(), false, DType::Bool)
    }
}

/// `jnp.isfinite`: true where `x` is neither infinite nor NaN.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![f32::NAN, f32::INFINITY, 1.0], &[3]);
/// assert_eq!(ferrax::numpy::isfinite(&x).to_vec::<bool>(), vec![false, false, true]);
/// ```
#[track_caller]
pub fn isfinite(x: &Tensor) -> Tensor {
    if x.dtype().is_float() {
        lax::is_finite(x)
    } else {
        Tensor::full(x.shape(), true, DType::Bool)
    }
}

/// `jnp.isposinf`: true where `x` is +infinity.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![f32::INFINITY, f32::NEG_INFINITY], &[2]);
/// assert_eq!(ferrax::numpy::isposinf(&x).to_vec::<bool>(), vec![true, false]);
/// ```
#[track_caller]
pub fn isposinf(x: &Tensor) -> Tensor {
    if x.dtype().is_float() {
        lax::eq(x, &constant_like(x, f64::INFINITY))
    } else {
        Tensor::full(x.shape(), false, DType::Bool)
    }
}

/// `jnp.isneginf`: true where `x` is -infinity.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![f32::INFINITY, f32::NEG_INFINITY], &[2]);
/// assert_eq!(ferrax::numpy::isneginf(&x).to_vec::<bool>(), vec![false, true]);
/// ```
#[track_caller]
pub fn isneginf(x: &Tensor) -> Tensor {
    if x.dtype().is_float() {
        lax::eq(x, &constant_like(x, f64::NEG_INFINITY))
    } else {
        Tensor::full(x.shape(), false, DType::Bool)
    }
}

/// `jnp.signbit`: true where the sign bit is set (`-0.0` included); f64 values are read
/// through their f32 rounding, which keeps the sign.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-0.0f32, 0.0, -2.0], &[3]);
/// assert_eq!(ferrax::numpy::signbit(&x).to_vec::<bool>(), vec![true, false, true]);
/// ```
#[track_caller]
pub fn signbit(x: &Tensor) -> Tensor {
    match x.dtype() {
        DType::F32 | DType::F64 => {
            let f = lax::convert_element_type(x, DType::F32);
            let bits = lax::bitcast_convert_type(&f, DType::I32);
            lax::lt(&bits, &Tensor::full(&[], 0, DType::I32))
        }
        DType::I32 => lax::lt(x, &constant_like(x, 0.0)),
        _ => Tensor::full(x.shape(), false, DType::Bool),
    }
}

/// `jnp.copysign`: `|a|` with the sign of `b`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![2.0f32, -3.0], &[2]);
/// assert_eq!(ferrax::numpy::copysign(&x, -1.0).to_vec::<f32>(), vec![-2.0, -3.0]);
/// ```
#[track_caller]
pub fn copysign(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = promote_float("copysign", a, b);
    let m = lax::abs(&a);
    where_(&signbit(&b), lax::neg(&m), m)
}

/// `jnp.heaviside`: 0 where `a < 0`, `b` where `a == 0`, 1 where `a > 0`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-1.0f32, 0.0, 2.0], &[3]);
/// assert_eq!(ferrax::numpy::heaviside(&x, 0.5).to_vec::<f32>(), vec![0.0, 0.5, 1.0]);
/// ```
#[track_caller]
pub fn heaviside(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = promote_float("heaviside", a, b);
    let zero = constant_like(&a, 0.0);
    let inner = where_(&lax::gt(&a, &zero), 1.0, &b);
    where_(&lax::lt(&a, &zero), 0.0, inner)
}

/// `jnp.sinc`: `sin(πx) / (πx)`, 1 at 0, with every derivative right at 0 too (the value
/// there comes from `sinc_maclaurin`, whose custom JVP gives the next Maclaurin term, as
/// JAX's `_sinc_maclaurin`: `sinc''(0) = -π²/3`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32, 1.0], &[2]);
/// let y = ferrax::numpy::sinc(&x).to_vec::<f32>();
/// assert_eq!(y[0], 1.0);
/// assert!(y[1].abs() < 1e-6);
/// let d2 = grad(grad(|x: &Tensor| ferrax::numpy::sinc(x)))(&Tensor::scalar(0.0f64));
/// assert!((d2.item::<f64>() + std::f64::consts::PI.powi(2) / 3.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn sinc(x: &Tensor) -> Tensor {
    let x = to_float(x);
    let zero = x.eq(0.0);
    let pix = lax::mul(&constant_like(&x, std::f64::consts::PI), &x);
    let safe = where_(&zero, 1.0, &pix);
    where_(
        &zero,
        sinc_maclaurin(0, &pix),
        lax::div(&lax::sin(&safe), &safe),
    )
}

/// The `k`-th derivative of `x -> sin(x)/x` at 0, shaped like `x`, whose derivative is the
/// `k+1`-th (JAX's `_sinc_maclaurin`, a `custom_jvp` with `k` static).
fn sinc_maclaurin(k: u32, x: &Tensor) -> Tensor {
    let f = crate::control_flow::custom_jvp(
        "_sinc_maclaurin",
        move |x: &Tensor| {
            let zero = lax::mul(x, &constant_like(x, 0.0));
            if k % 2 == 1 {
                zero
            } else {
                let sign = if (k / 2).is_multiple_of(2) { 1.0 } else { -1.0 };
                lax::add(&zero, &constant_like(x, sign / (k as f64 + 1.0)))
            }
        },
        move |x: &Tensor, t: &Tensor| {
            (sinc_maclaurin(k, x), lax::mul(&sinc_maclaurin(k + 1, x), t))
        },
    );
    f(x)
}

/// `jnp.deg2rad`: degrees to radians.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![180.0f32], &[1]);
/// assert_eq!(ferrax::numpy::deg2rad(&x).to_vec::<f32>(), vec![std::f32::consts::PI]);
/// ```
#[track_caller]
pub fn deg2rad(x: &Tensor) -> Tensor {
    let x = to_float(x);
    lax::mul(&x, &constant_like(&x, std::f64::consts::PI / 180.0))
}

/// `jnp.radians`, the same as [`deg2rad`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32], &[1]);
/// assert_eq!(ferrax::numpy::radians(&x).to_vec::<f32>(), vec![0.0]);
/// ```
#[track_caller]
pub fn radians(x: &Tensor) -> Tensor {
    deg2rad(x)
}

/// `jnp.rad2deg`: radians to degrees.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![std::f32::consts::PI], &[1]);
/// assert_eq!(ferrax::numpy::rad2deg(&x).to_vec::<f32>(), vec![180.0]);
/// ```
#[track_caller]
pub fn rad2deg(x: &Tensor) -> Tensor {
    let x = to_float(x);
    lax::mul(&x, &constant_like(&x, 180.0 / std::f64::consts::PI))
}

/// `jnp.degrees`, the same as [`rad2deg`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32], &[1]);
/// assert_eq!(ferrax::numpy::degrees(&x).to_vec::<f32>(), vec![0.0]);
/// ```
#[track_caller]
pub fn degrees(x: &Tensor) -> Tensor {
    rad2deg(x)
}

/// Options of [`clip_with`]: either bound may be absent (`jnp.clip(x, min=None, max=None)`).
#[derive(Clone, Debug, Default)]
pub struct Clip {
    /// Lower bound (`min`), if any.
    pub min: Option<Operand>,
    /// Upper bound (`max`), if any.
    pub max: Option<Operand>,
}

/// `jnp.clip(x, min, max)`: `minimum(max, maximum(min, x))`, bounds broadcast.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2.0f32, 0.5, 3.0], &[3]);
/// assert_eq!(ferrax::numpy::clip(&x, 0.0, 1.0).to_vec::<f32>(), vec![0.0, 0.5, 1.0]);
/// ```
#[track_caller]
pub fn clip(x: &Tensor, min: impl IntoOperand, max: impl IntoOperand) -> Tensor {
    let opts = Clip {
        min: Some(min.into_operand()),
        max: Some(max.into_operand()),
    };
    clip_with(x, opts)
}

/// [`clip`] with optional bounds.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, Clip, IntoOperand};
/// let x = Tensor::from_vec(vec![-2.0f32, 3.0], &[2]);
/// let y = jnp::clip_with(&x, Clip { min: Some(0.0.into_operand()), ..Default::default() });
/// assert_eq!(y.to_vec::<f32>(), vec![0.0, 3.0]);
/// ```
#[track_caller]
pub fn clip_with(x: &Tensor, opts: Clip) -> Tensor {
    let mut out = x.clone();
    if let Some(lo) = opts.min {
        out = binary("clip", crate::prims::BinaryOp::Max, lo, &out);
    }
    if let Some(hi) = opts.max {
        out = binary("clip", crate::prims::BinaryOp::Min, hi, &out);
    }
    out
}

/// Options of [`nan_to_num_with`] (`jnp.nan_to_num` keywords): the NaN replacement and the
/// infinity replacements (`None`: the dtype's largest finite value, or its negative).
#[derive(Clone, Copy, Debug)]
pub struct NanToNum {
    /// What NaN becomes (default 0).
    pub nan: f64,
    /// What +inf becomes (default: the dtype's largest finite value).
    pub posinf: Option<f64>,
    /// What -inf becomes (default: the dtype's most negative finite value).
    pub neginf: Option<f64>,
}

impl Default for NanToNum {
    fn default() -> Self {
        NanToNum {
            nan: 0.0,
            posinf: None,
            neginf: None,
        }
    }
}

/// `jnp.nan_to_num`: NaN to 0 and ±inf to the dtype's extreme finite values.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![f32::NAN, f32::INFINITY, 1.0], &[3]);
/// assert_eq!(ferrax::numpy::nan_to_num(&x).to_vec::<f32>(), vec![0.0, f32::MAX, 1.0]);
/// ```
#[track_caller]
pub fn nan_to_num(x: &Tensor) -> Tensor {
    nan_to_num_with(x, NanToNum::default())
}

/// [`nan_to_num`] with explicit replacements.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, NanToNum};
/// let x = Tensor::from_vec(vec![f32::NAN, f32::NEG_INFINITY], &[2]);
/// let y = jnp::nan_to_num_with(&x, NanToNum { nan: 1.0, neginf: Some(-5.0), ..Default::default() });
/// assert_eq!(y.to_vec::<f32>(), vec![1.0, -5.0]);
/// ```
#[track_caller]
pub fn nan_to_num_with(x: &Tensor, opts: NanToNum) -> Tensor {
    let big = match x.dtype() {
        DType::F32 => f32::MAX as f64,
        DType::F64 => f64::MAX,
        _ => return x.clone(),
    };
    let out = where_(&isnan(x), opts.nan, x);
    let out = where_(&isposinf(x), opts.posinf.unwrap_or(big), out);
    where_(&isneginf(x), opts.neginf.unwrap_or(-big), out)
}
