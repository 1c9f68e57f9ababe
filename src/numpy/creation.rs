//! Array creation, `jax.numpy` style: `zeros`, `ones`, `full` (and their `_like` twins),
//! `arange`, `linspace`, `logspace`, `geomspace`, `eye`, `identity`, `tri`, `tril`, `triu`,
//! `diag`, `diagonal`, `trace`, `indices`, `meshgrid`. The default float dtype is f32 and
//! the default integer dtype i32, as JAX without x64.

use super::*;
use crate::lax;
use crate::tensor::{DType, ScalarKind, Tensor};

/// The one option of the creation functions' `_with` variants: the result `dtype` (`None`:
/// the function's default).
#[derive(Clone, Copy, Debug, Default)]
pub struct WithDType {
    /// The result dtype, if not the default.
    pub dtype: Option<DType>,
}

/// `jnp.zeros(shape)`: f32 zeros (see [`zeros_with`] for another dtype).
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::numpy::zeros(&[2]).to_vec::<f32>(), vec![0.0, 0.0]);
/// ```
pub fn zeros(shape: &[usize]) -> Tensor {
    zeros_with(shape, WithDType::default())
}

/// `jnp.zeros(shape, dtype)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, WithDType};
/// let z = jnp::zeros_with(&[2], WithDType { dtype: Some(DType::I32) });
/// assert_eq!(z.to_vec::<i32>(), vec![0, 0]);
/// ```
pub fn zeros_with(shape: &[usize], opts: WithDType) -> Tensor {
    Tensor::zeros(shape, opts.dtype.unwrap_or(DType::F32))
}

/// `jnp.ones(shape)`: f32 ones (see [`ones_with`] for another dtype).
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::numpy::ones(&[2]).to_vec::<f32>(), vec![1.0, 1.0]);
/// ```
pub fn ones(shape: &[usize]) -> Tensor {
    ones_with(shape, WithDType::default())
}

/// `jnp.ones(shape, dtype)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, WithDType};
/// let o = jnp::ones_with(&[1], WithDType { dtype: Some(DType::Bool) });
/// assert_eq!(o.to_vec::<bool>(), vec![true]);
/// ```
pub fn ones_with(shape: &[usize], opts: WithDType) -> Tensor {
    Tensor::ones(shape, opts.dtype.unwrap_or(DType::F32))
}

/// `jnp.full(shape, fill_value)`: the dtype is the fill's (a Rust float gives f32, an integer
/// i32, a bool bool); a tensor fill is broadcast to `shape`.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::numpy::full(&[2], 7).to_vec::<i32>(), vec![7, 7]);
/// assert_eq!(ferrax::numpy::full(&[1], 0.5).dtype(), DType::F32);
/// ```
#[track_caller]
pub fn full(shape: &[usize], fill: impl IntoOperand) -> Tensor {
    full_with(shape, fill, WithDType::default())
}

/// `jnp.full(shape, fill_value, dtype)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, WithDType};
/// let x = jnp::full_with(&[2], 3, WithDType { dtype: Some(DType::F32) });
/// assert_eq!(x.to_vec::<f32>(), vec![3.0, 3.0]);
/// ```
#[track_caller]
pub fn full_with(shape: &[usize], fill: impl IntoOperand, opts: WithDType) -> Tensor {
    match fill.into_operand() {
        Operand::Scalar(v, kind) => {
            let default = match kind {
                ScalarKind::Float => DType::F32,
                ScalarKind::Int => DType::I32,
                ScalarKind::Bool => DType::Bool,
                ScalarKind::Complex => DType::C64,
            };
            Tensor::full(shape, v, opts.dtype.unwrap_or(default))
        }
        Operand::Tensor(t) => {
            let t = lax::convert_element_type(&t, opts.dtype.unwrap_or(t.dtype()));
            broadcast_to(&t, shape)
        }
    }
}

/// `jnp.zeros_like(x)`: zeros of `x`'s shape and dtype.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::zeros_like(&x).to_vec::<i32>(), vec![0, 0]);
/// ```
pub fn zeros_like(x: &Tensor) -> Tensor {
    Tensor::zeros(x.shape(), x.dtype())
}

/// `jnp.ones_like(x)`: ones of `x`'s shape and dtype.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.5f32, 2.0], &[2]);
/// assert_eq!(ferrax::numpy::ones_like(&x).to_vec::<f32>(), vec![1.0, 1.0]);
/// ```
pub fn ones_like(x: &Tensor) -> Tensor {
    Tensor::ones(x.shape(), x.dtype())
}

/// `jnp.empty_like(x)`: as JAX, zeros of `x`'s shape and dtype.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.5f32], &[1]);
/// assert_eq!(ferrax::numpy::empty_like(&x).to_vec::<f32>(), vec![0.0]);
/// ```
pub fn empty_like(x: &Tensor) -> Tensor {
    zeros_like(x)
}

/// `jnp.full_like(x, fill_value)`: `fill` in `x`'s shape and dtype.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2], &[2]);
/// assert_eq!(ferrax::numpy::full_like(&x, 2.7).to_vec::<i32>(), vec![2, 2]);
/// ```
#[track_caller]
pub fn full_like(x: &Tensor, fill: impl IntoOperand) -> Tensor {
    full_with(
        x.shape(),
        fill,
        WithDType {
            dtype: Some(x.dtype()),
        },
    )
}

/// `jnp.arange(start, stop, step)`: f32 if any argument is a Rust float, else i32
/// (`jnp.arange(n)` is `arange(0, n, 1)`).
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::numpy::arange(0, 5, 2).to_vec::<i32>(), vec![0, 2, 4]);
/// assert_eq!(ferrax::numpy::arange(1.0, 0.0, -0.5).to_vec::<f32>(), vec![1.0, 0.5]);
/// ```
#[track_caller]
pub fn arange(start: impl Scalar, stop: impl Scalar, step: impl Scalar) -> Tensor {
    arange_with(start, stop, step, WithDType::default())
}

/// `jnp.arange(start, stop, step, dtype)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, WithDType};
/// let x = jnp::arange_with(0, 3, 1, WithDType { dtype: Some(DType::F32) });
/// assert_eq!(x.to_vec::<f32>(), vec![0.0, 1.0, 2.0]);
/// ```
#[track_caller]
pub fn arange_with(
    start: impl Scalar,
    stop: impl Scalar,
    step: impl Scalar,
    opts: WithDType,
) -> Tensor {
    let any_float = [start.kind(), stop.kind(), step.kind()].contains(&ScalarKind::Float);
    let default = if any_float { DType::F32 } else { DType::I32 };
    assert!(
        step.as_f64() != 0.0,
        "arange: step must not be zero (called from {})",
        std::panic::Location::caller()
    );
    Tensor::arange(start, stop, step, opts.dtype.unwrap_or(default))
}

/// Options of [`linspace_with`], [`logspace_with`] and [`geomspace_with`] (JAX's defaults:
/// `endpoint=True`, `base=10`, dtype f32).
#[derive(Clone, Copy, Debug)]
pub struct Linspace {
    /// Whether `stop` is the last sample.
    pub endpoint: bool,
    /// The base of [`logspace_with`] (ignored by the others).
    pub base: f64,
    /// The result dtype (`None`: f32).
    pub dtype: Option<DType>,
}

impl Default for Linspace {
    fn default() -> Self {
        Linspace {
            endpoint: true,
            base: 10.0,
            dtype: None,
        }
    }
}

/// `jnp.linspace(start, stop, num)`: `num` evenly spaced samples of `[start, stop]`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::numpy::linspace(0.0, 1.0, 5);
/// assert_eq!(x.to_vec::<f32>(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
/// ```
#[track_caller]
pub fn linspace(start: f64, stop: f64, num: usize) -> Tensor {
    linspace_with(start, stop, num, Linspace::default())
}

/// `jnp.linspace` with `endpoint` and `dtype`, computed as JAX does
/// (`start * (1 - t) + stop * t` with `t = i / div` in the float dtype).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, Linspace};
/// let x = jnp::linspace_with(0.0, 1.0, 4, Linspace { endpoint: false, ..Default::default() });
/// assert_eq!(x.to_vec::<f32>(), vec![0.0, 0.25, 0.5, 0.75]);
/// ```
#[track_caller]
pub fn linspace_with(start: f64, stop: f64, num: usize, opts: Linspace) -> Tensor {
    let dtype = opts.dtype.unwrap_or(DType::F32);
    let cdt = if dtype == DType::F64 {
        DType::F64
    } else {
        DType::F32
    };
    let (s, e) = (
        Tensor::full(&[1], start, cdt),
        Tensor::full(&[1], stop, cdt),
    );
    let div = if opts.endpoint {
        num.saturating_sub(1)
    } else {
        num
    };
    let out = if num > 1 {
        // `i * (1 / div)`, not `i / div`: XLA's simplifier makes that rewrite in JAX's
        // linspace, and the last bit of some samples depends on it.
        let recip = lax::div(
            &Tensor::full(&[], 1.0, cdt),
            &Tensor::full(&[], div as f64, cdt),
        );
        let t = lax::mul(&lax::iota(cdt, &[div], 0), &recip);
        let one_minus = lax::sub(&Tensor::full(&[], 1.0, cdt), &t);
        let out = lax::add(&lax::mul(&s, &one_minus), &lax::mul(&e, &t));
        if opts.endpoint {
            lax::concatenate(&[out, e], 0)
        } else {
            out
        }
    } else if num == 1 {
        s
    } else {
        Tensor::zeros(&[0], cdt)
    };
    let out = if dtype.is_float() {
        out
    } else {
        lax::floor(&out)
    };
    lax::convert_element_type(&out, dtype)
}

/// `jnp.logspace(start, stop, num)`: `10 ** linspace(start, stop, num)`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::numpy::logspace(0.0, 2.0, 3);
/// assert_eq!(x.to_vec::<f32>(), vec![1.0, 10.0, 100.0]);
/// ```
#[track_caller]
pub fn logspace(start: f64, stop: f64, num: usize) -> Tensor {
    logspace_with(start, stop, num, Linspace::default())
}

/// `jnp.logspace` with `endpoint`, `base` and `dtype`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, Linspace};
/// let x = jnp::logspace_with(0.0, 3.0, 3, Linspace { base: 2.0, endpoint: false, ..Default::default() });
/// assert_eq!(x.to_vec::<f32>(), vec![1.0, 2.0, 4.0]);
/// ```
#[track_caller]
pub fn logspace_with(start: f64, stop: f64, num: usize, opts: Linspace) -> Tensor {
    let dtype = opts.dtype.unwrap_or(DType::F32);
    let lin = linspace_with(
        start,
        stop,
        num,
        Linspace {
            dtype: Some(if dtype == DType::F64 {
                DType::F64
            } else {
                DType::F32
            }),
            ..opts
        },
    );
    let p = lax::pow(&Tensor::full(&[], opts.base, lin.dtype()), &lin);
    lax::convert_element_type(&p, dtype)
}

/// `jnp.geomspace(start, stop, num)`: a geometric progression from `start` to `stop`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = ferrax::numpy::geomspace(1.0, 1000.0, 4).to_vec::<f32>();
/// assert!((x[2] - 100.0).abs() < 1e-3);
/// ```
#[track_caller]
pub fn geomspace(start: f64, stop: f64, num: usize) -> Tensor {
    geomspace_with(start, stop, num, Linspace::default())
}

/// `jnp.geomspace` with `endpoint` and `dtype` (`base` is ignored).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, Linspace};
/// let x = jnp::geomspace_with(-1.0, -16.0, 4, Linspace { endpoint: false, ..Default::default() });
/// assert!((x.to_vec::<f32>()[3] + 8.0).abs() < 1e-4);
/// ```
#[track_caller]
pub fn geomspace_with(start: f64, stop: f64, num: usize, opts: Linspace) -> Tensor {
    assert!(
        start != 0.0 && stop != 0.0,
        "geomspace: start and stop must be non-zero, got {start} and {stop} (called from {})",
        std::panic::Location::caller()
    );
    let dtype = opts.dtype.unwrap_or(DType::F32);
    let cdt = if dtype == DType::F64 {
        DType::F64
    } else {
        DType::F32
    };
    // In the computation dtype, as JAX: sign * logspace(log10(start / sign), log10(stop / sign)).
    let sgn = if start < 0.0 { -1.0 } else { 1.0 };
    let s = Tensor::full(&[], start, cdt);
    let e = Tensor::full(&[], stop, cdt);
    let ls = super::ufuncs::log10(&lax::div(&s, &Tensor::full(&[], sgn, cdt)));
    let le = super::ufuncs::log10(&lax::div(&e, &Tensor::full(&[], sgn, cdt)));
    let lin = linspace_with(
        lax::convert_element_type(&ls, DType::F64).item::<f64>(),
        lax::convert_element_type(&le, DType::F64).item::<f64>(),
        num,
        Linspace {
            dtype: Some(cdt),
            base: 10.0,
            ..opts
        },
    );
    let p = lax::pow(&Tensor::full(&[], 10.0, cdt), &lin);
    lax::convert_element_type(&lax::mul(&Tensor::full(&[], sgn, cdt), &p), dtype)
}
