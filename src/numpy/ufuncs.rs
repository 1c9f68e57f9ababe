//! Elementwise math, `jax.numpy` style: each function is a composition of lax primitives
//! (so `grad`, `vmap` and `jit` apply), with numpy promotion (integer and bool operands of a
//! transcendental function become f32, as JAX does without x64).

use super::*;
use crate::lax;
use crate::lax::Rounding;
use crate::tensor::{DType, Tensor};

/// `x` as a float tensor: floats unchanged, integers and bools converted to f32.
pub(crate) fn to_float(x: &Tensor) -> Tensor {
    if x.dtype().is_float() {
        x.clone()
    } else {
        lax::convert_element_type(x, DType::F32)
    }
}

/// A scalar constant of `x`'s dtype and rank 0.
pub(crate) fn constant_like(x: &Tensor, v: f64) -> Tensor {
    Tensor::full(&[], v, x.dtype())
}

/// Two operands promoted together, then both made float if they are not.
#[track_caller]
pub(crate) fn promote_float(
    name: &str,
    a: impl IntoOperand,
    b: impl IntoOperand,
) -> (Tensor, Tensor) {
    let (a, b) = promote_named(name, a, b);
    (to_float(&a), to_float(&b))
}

/// Unary functions that take a float tensor (integers and bools promoted to f32).
macro_rules! float_unary {
    ($($name:ident => $lax:ident),* $(,)?) => {$(
        #[doc = concat!("`jnp.", stringify!($name), "` elementwise (`lax.", stringify!($lax), "`); integer and bool inputs become f32.\n\n```\nuse ferrax::prelude::*;\nuse ferrax::numpy as jnp;\nlet x = Tensor::from_vec(vec![0.5f32, 0.25], &[2]);\nassert_eq!(jnp::", stringify!($name), "(&x).shape(), &[2]);\nassert_eq!(jnp::", stringify!($name), "(&Tensor::from_vec(vec![0], &[1])).dtype(), DType::F32);\n```")]
        #[track_caller]
        pub fn $name(x: &Tensor) -> Tensor {
            lax::$lax(&to_float(x))
        }
    )*};
}
float_unary!(
    sqrt => sqrt, cbrt => cbrt, exp => exp, exp2 => exp2, expm1 => expm1, log => log,
    log1p => log1p, sin => sin, cos => cos, tan => tan, arcsin => asin, arccos => acos,
    arctan => atan, sinh => sinh, cosh => cosh, tanh => tanh, arcsinh => asinh,
    arccosh => acosh, arctanh => atanh,
);

/// `jnp.abs`: absolute value, dtype kept (bools unchanged).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2, 3], &[2]);
/// assert_eq!(ferrax::numpy::abs(&x).to_vec::<i32>(), vec![2, 3]);
/// ```
#[track_caller]
pub fn abs(x: &Tensor) -> Tensor {
    match x.dtype() {
        DType::Bool | DType::U32 => x.clone(),
        _ => lax::abs(x),
    }
}

/// `jnp.absolute`, the same as [`abs`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2.5f32], &[1]);
/// assert_eq!(ferrax::numpy::absolute(&x).to_vec::<f32>(), vec![2.5]);
/// ```
#[track_caller]
pub fn absolute(x: &Tensor) -> Tensor {
    abs(x)
}

/// `jnp.negative`: `-x`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2, 3], &[2]);
/// assert_eq!(ferrax::numpy::negative(&x).to_vec::<i32>(), vec![2, -3]);
/// ```
#[track_caller]
pub fn negative(x: &Tensor) -> Tensor {
    lax::neg(x)
}

/// `jnp.positive`: `x` itself.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2, 3], &[2]);
/// assert_eq!(ferrax::numpy::positive(&x).to_vec::<i32>(), vec![-2, 3]);
/// ```
pub fn positive(x: &Tensor) -> Tensor {
    x.clone()
}

/// `jnp.sign`: -1, 0 or 1 (NaN stays NaN), dtype kept.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2.0f32, 0.0, 3.0], &[3]);
/// assert_eq!(ferrax::numpy::sign(&x).to_vec::<f32>(), vec![-1.0, 0.0, 1.0]);
/// ```
#[track_caller]
pub fn sign(x: &Tensor) -> Tensor {
    lax::sign(x)
}

/// `jnp.square`: `x * x`, dtype kept.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2, 3], &[2]);
/// assert_eq!(ferrax::numpy::square(&x).to_vec::<i32>(), vec![4, 9]);
/// ```
#[track_caller]
pub fn square(x: &Tensor) -> Tensor {
    if x.dtype().is_float() {
        lax::square(x)
    } else {
        lax::mul(x, x)
    }
}

/// `jnp.reciprocal`: `1 / x` in `x`'s dtype (integer division for integers, as JAX).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![2.0f32, 4.0], &[2]);
/// assert_eq!(ferrax::numpy::reciprocal(&x).to_vec::<f32>(), vec![0.5, 0.25]);
/// ```
#[track_caller]
pub fn reciprocal(x: &Tensor) -> Tensor {
    lax::div(&constant_like(x, 1.0), x)
}

/// `jnp.log2`: `log(x) / log(2)`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![8.0f32], &[1]);
/// assert_eq!(ferrax::numpy::log2(&x).to_vec::<f32>(), vec![3.0]);
/// ```
#[track_caller]
pub fn log2(x: &Tensor) -> Tensor {
    let x = to_float(x);
    lax::div(&lax::log(&x), &lax::log(&constant_like(&x, 2.0)))
}

/// `jnp.log10`: `log(x) / log(10)`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![100.0f32], &[1]);
/// assert_eq!(ferrax::numpy::log10(&x).to_vec::<f32>(), vec![2.0]);
/// ```
#[track_caller]
pub fn log10(x: &Tensor) -> Tensor {
    let x = to_float(x);
    lax::div(&lax::log(&x), &lax::log(&constant_like(&x, 10.0)))
}

/// `jnp.floor`: integers and bools are returned as they are.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-1.5f32, 1.5], &[2]);
/// assert_eq!(ferrax::numpy::floor(&x).to_vec::<f32>(), vec![-2.0, 1.0]);
/// ```
#[track_caller]
pub fn floor(x: &Tensor) -> Tensor {
    if x.dtype().is_float() {
        lax::floor(x)
    } else {
        x.clone()
    }
}

/// `jnp.ceil`: integers and bools are returned as they are.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-1.5f32, 1.5], &[2]);
/// assert_eq!(ferrax::numpy::ceil(&x).to_vec::<f32>(), vec![-1.0, 2.0]);
/// ```
#[track_caller]
pub fn ceil(x: &Tensor) -> Tensor {
    if x.dtype().is_float() {
        lax::ceil(x)
    } else {
        x.clone()
    }
}

/// `jnp.round` with `decimals=0`: half to even, as numpy.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.5f32, 1.5, 2.5, -0.5], &[4]);
/// assert_eq!(ferrax::numpy::round(&x).to_vec::<f32>(), vec![0.0, 2.0, 2.0, -0.0]);
/// ```
#[track_caller]
pub fn round(x: &Tensor) -> Tensor {
    if x.dtype().is_float() {
        lax::round(x, Rounding::ToNearestEven)
    } else {
        x.clone()
    }
}

/// `jnp.rint`: round half to even (integers become f32, as JAX).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![2.5f32, -1.5], &[2]);
/// assert_eq!(ferrax::numpy::rint(&x).to_vec::<f32>(), vec![2.0, -2.0]);
/// ```
#[track_caller]
pub fn rint(x: &Tensor) -> Tensor {
    lax::round(&to_float(x), Rounding::ToNearestEven)
}

/// `jnp.trunc`: round toward zero (integers returned as they are).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-1.7f32, 1.7], &[2]);
/// assert_eq!(ferrax::numpy::trunc(&x).to_vec::<f32>(), vec![-1.0, 1.0]);
/// ```
#[track_caller]
pub fn trunc(x: &Tensor) -> Tensor {
    if !x.dtype().is_float() {
        return x.clone();
    }
    where_(&x.lt(0.0), lax::ceil(x), lax::floor(x))
}

/// `jnp.logaddexp`: `log(exp(a) + exp(b))` without overflow (`max + log1p(exp(-|a - b|))`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32], &[1]);
/// let y = ferrax::numpy::logaddexp(&x, &x).to_vec::<f32>()[0];
/// assert!((y - 2f32.ln()).abs() < 1e-6);
/// ```
#[track_caller]
pub fn logaddexp(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = promote_float("logaddexp", a, b);
    with_logaddexp_jvp("logaddexp", &a, &b, false)
}

/// `jnp.logaddexp2`: `log2(2**a + 2**b)` without overflow.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32], &[1]);
/// assert_eq!(ferrax::numpy::logaddexp2(&x, &x).to_vec::<f32>(), vec![2.0]);
/// ```
#[track_caller]
pub fn logaddexp2(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = promote_float("logaddexp2", a, b);
    with_logaddexp_jvp("logaddexp2", &a, &b, true)
}

/// `logaddexp` (or `logaddexp2`) of same-shaped floats as JAX computes it (`lax/other.py`).
fn logaddexp_value(a: &Tensor, b: &Tensor, base2: bool) -> Tensor {
    let amax = lax::max(a, b);
    let delta = lax::sub(a, b);
    let neg_abs = lax::neg(&lax::abs(&delta));
    let soft = if base2 {
        let invln2 = constant_like(a, 1.0 / std::f64::consts::LN_2);
        lax::add(&amax, &lax::mul(&invln2, &lax::log1p(&lax::exp2(&neg_abs))))
    } else {
        lax::add(&amax, &lax::log1p(&lax::exp(&neg_abs)))
    };
    // NaNs, or infinities of the same sign: their sum.
    where_(&isnan(&delta), lax::add(a, b), soft)
}

/// JAX's custom JVP of `logaddexp`/`logaddexp2` (`_logaddexp_jvp`): each tangent weighted by
/// `exp(x_i - out)` (`exp2` in base 2) with `+inf` read as 0, so the derivative is ½ each at
/// `a == b` and finite where one input is `-inf` or both are `+inf`.
fn with_logaddexp_jvp(name: &str, a: &Tensor, b: &Tensor, base2: bool) -> Tensor {
    let f = crate::control_flow::custom_jvp(
        name,
        move |(a, b): &(Tensor, Tensor)| logaddexp_value(a, b, base2),
        move |(a, b): &(Tensor, Tensor), (ta, tb): &(Tensor, Tensor)| {
            let out = logaddexp_value(a, b, base2);
            let no_inf = |x: &Tensor| where_(&isposinf(x), constant_like(x, 0.0), x);
            let weight = |x: &Tensor| {
                let d = lax::sub(&no_inf(x), &no_inf(&out));
                if base2 {
                    lax::exp2(&d)
                } else {
                    lax::exp(&d)
                }
            };
            let t = lax::add(&lax::mul(ta, &weight(a)), &lax::mul(tb, &weight(b)));
            (out, t)
        },
    );
    f(&(a.clone(), b.clone()))
}

/// `jnp.hypot`: `sqrt(a² + b²)` without overflow; infinite if either is.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![3.0f32], &[1]);
/// assert_eq!(ferrax::numpy::hypot(&x, 4.0).to_vec::<f32>(), vec![5.0]);
/// ```
#[track_caller]
pub fn hypot(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = promote_float("hypot", a, b);
    let (a, b) = (lax::abs(&a), lax::abs(&b));
    let any_inf = lax::or(&isinf(&a), &isinf(&b));
    let (big, small) = (lax::max(&a, &b), lax::min(&a, &b));
    let zero = big.eq(0.0);
    let safe = where_(&zero, 1.0, &big);
    let q = lax::div(&small, &safe);
    let r = lax::mul(
        &big,
        &lax::sqrt(&lax::add(&constant_like(&q, 1.0), &lax::square(&q))),
    );
    let r = where_(&zero, &big, r);
    where_(&any_inf, f64::INFINITY, r)
}

/// `jnp.floor_divide`: `floor(a / b)` (integers: rounding toward minus infinity).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-7, 7], &[2]);
/// assert_eq!(ferrax::numpy::floor_divide(&x, 2).to_vec::<i32>(), vec![-4, 3]);
/// ```
#[track_caller]
pub fn floor_divide(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = promote_named("floor_divide", a, b);
    match a.dtype() {
        DType::U32 => lax::div(&a, &b),
        DType::I32 => {
            let d = lax::div(&a, &b);
            let sign_differs = lax::lt(
                &lax::mul(&lax::sign(&a), &lax::sign(&b)),
                &constant_like(&a, 0.0),
            );
            let inexact = lax::ne(&lax::rem(&a, &b), &constant_like(&a, 0.0));
            where_(
                &lax::and(&sign_differs, &inexact),
                lax::sub(&d, &constant_like(&d, 1.0)),
                d,
            )
        }
        DType::Bool => lax::convert_element_type(
            &floor_divide(
                lax::convert_element_type(&a, DType::I32),
                lax::convert_element_type(&b, DType::I32),
            ),
            DType::Bool,
        ),
        _ => float_divmod(&a, &b).0,
    }
}

/// numpy's float divmod: the floored quotient and the remainder with the divisor's sign.
fn float_divmod(a: &Tensor, b: &Tensor) -> (Tensor, Tensor) {
    let m = lax::rem(a, b);
    let div = lax::div(&lax::sub(a, &m), b);
    let zero = constant_like(a, 0.0);
    let ind = lax::and(
        &lax::ne(&m, &zero),
        &lax::ne(&lax::lt(b, &zero), &lax::lt(&m, &zero)),
    );
    let m = where_(&ind, lax::add(&m, b), &m);
    let div = where_(&ind, lax::sub(&div, &constant_like(a, 1.0)), &div);
    (lax::round(&div, Rounding::AwayFromZero), m)
}

/// `jnp.remainder`: remainder with the sign of the divisor (Python's `%`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-7, 7], &[2]);
/// assert_eq!(ferrax::numpy::remainder(&x, 3).to_vec::<i32>(), vec![2, 1]);
/// assert_eq!(ferrax::numpy::remainder(&x, -3).to_vec::<i32>(), vec![-1, -2]);
/// ```
#[track_caller]
pub fn remainder(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = promote_named("remainder", a, b);
    if matches!(a.dtype(), DType::U32 | DType::Bool) {
        return lax::rem(&a, &b);
    }
    let zero = constant_like(&a, 0.0);
    let t = lax::rem(&a, &b);
    let do_plus = lax::and(
        &lax::ne(&t, &zero),
        &lax::ne(&lax::lt(&t, &zero), &lax::lt(&b, &zero)),
    );
    where_(&do_plus, lax::add(&t, &b), t)
}

/// `jnp.mod`, the same as [`remainder`] (`mod` is a Rust keyword, hence the underscore).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-1.0f32], &[1]);
/// assert_eq!(ferrax::numpy::mod_(&x, 3.0).to_vec::<f32>(), vec![2.0]);
/// ```
#[track_caller]
pub fn mod_(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    remainder(a, b)
}

/// `jnp.true_divide`, the same as [`divide`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 3], &[2]);
/// assert_eq!(ferrax::numpy::true_divide(&x, 2).to_vec::<f32>(), vec![0.5, 1.5]);
/// ```
#[track_caller]
pub fn true_divide(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    divide_named("true_divide", a, b)
}

/// `jnp.power`, with JAX's cases: a Rust integer exponent is `lax.integer_pow` (exact
/// repeated multiplication, any base); integer or bool operands use binary exponentiation over
/// the exponent's low 6 bits, as JAX's `_pow_int_int` (anything larger overflows for a base
/// above 1); everything else is `lax.pow` after promotion.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![4.0f32, 9.0], &[2]);
/// assert_eq!(ferrax::numpy::power(&x, 0.5).to_vec::<f32>(), vec![2.0, 3.0]);
/// let n = Tensor::from_vec(vec![2, -3], &[2]);
/// assert_eq!(ferrax::numpy::power(&n, &Tensor::from_vec(vec![10, 3], &[2])).to_vec::<i32>(), vec![1024, -27]);
/// ```
#[track_caller]
pub fn power(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = (a.into_operand(), b.into_operand());
    if let (Operand::Tensor(x), Operand::Scalar(y, ScalarKind::Int)) = (&a, &b)
        && y.fract() == 0.0
        && y.abs() <= i32::MAX as f64
    {
        let x = match x.dtype() {
            DType::Bool => lax::convert_element_type(x, DType::I32),
            _ => x.clone(),
        };
        return lax::integer_pow(&x, *y as i32);
    }
    let (x, y) = promote_named("power", a, b);
    match x.dtype() {
        d if d == DType::Bool || d.is_int() => pow_int_int(&x, &y),
        _ => lax::pow(&x, &y),
    }
}

/// JAX's `_pow_int_int`: binary exponentiation over the exponent's low 6 bits, starting from 0
/// where the base is 0 and the exponent is not (so `0 ** 0` is 1).
fn pow_int_int(x: &Tensor, y: &Tensor) -> Tensor {
    let (x, y) = match x.dtype() {
        DType::Bool => (
            lax::convert_element_type(x, DType::I32),
            lax::convert_element_type(y, DType::I32),
        ),
        _ => (x.clone(), y.clone()),
    };
    let like = |v: f64| lax::broadcast_in_dim(&Tensor::full(&[], v, y.dtype()), y.shape(), &[]);
    let (zero, one) = (like(0.0), like(1.0));
    let base_zero = lax::and(&lax::eq(&x, &zero), &lax::ne(&y, &zero));
    let mut acc = lax::select_n(&base_zero, &[one.clone(), zero.clone()]);
    let (mut x, mut y) = (x, y);
    for _ in 0..6 {
        let odd = lax::ne(&lax::and(&y, &one), &zero);
        acc = lax::select_n(&odd, &[acc.clone(), lax::mul(&acc, &x)]);
        x = lax::mul(&x, &x);
        y = lax::shift_right_logical(&y, &one);
    }
    acc
}

/// `jnp.float_power`: `a ** b` with both operands made float first.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![2, 3], &[2]);
/// assert_eq!(ferrax::numpy::float_power(&x, 2).to_vec::<f32>(), vec![4.0, 9.0]);
/// ```
#[track_caller]
pub fn float_power(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = promote_float("float_power", a, b);
    lax::pow(&a, &b)
}
