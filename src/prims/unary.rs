//! Elementwise primitives of one operand: `neg sin exp log ... integer_pow erf_inv digamma
//! not copy stop_gradient`. Float-only math follows XLA/JAX semantics (e.g. `sign(-0.0) =
//! -0.0`, `round` away from zero unless asked for ties-to-even).

use super::util::{expect_arity, jvp_out, text};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind1, Aval, Avals, Outputs};
use crate::prims::lax;
use crate::tensor::{ArrayData, DType, Tensor};
use smallvec::smallvec;

use crate::ops::complex::{complex_abs, complex_unary};
pub use crate::ops::unary::{digamma_f64, erf_inv_f64, FloatClass, RoundingMethod, UnaryOp};
use crate::ops::FloatElement;

/// Which dtypes an op accepts.
enum Domain {
    Float,
    Numeric,
    IntOrBool,
    Any,
}

impl UnaryOp {
    fn domain(self) -> Domain {
        use UnaryOp::*;
        match self {
            Neg | Sign | Abs | Square | IntegerPow(_) => Domain::Numeric,
            Not => Domain::IntOrBool,
            StopGradient | Copy => Domain::Any,
            _ => Domain::Float,
        }
    }
}

// ---- lax functions (`ferrax::lax`, re-exported through `prims::lax`) ----

macro_rules! unary_fns {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), "` elementwise (`lax.", stringify!($name), "`).\n\n```\nuse ferrax::prelude::*;\nlet x = Tensor::from_vec(vec![0.5f32, 0.25], &[2]);\nassert_eq!(ferrax::lax::", stringify!($name), "(&x).shape(), &[2]);\n```")]
        #[track_caller]
        pub fn $name(x: &Tensor) -> Tensor {
            bind1(&Prim::new(UnaryOp::$op), std::slice::from_ref(x))
        }
    )*};
}

unary_fns!(
    neg => Neg, sign => Sign, floor => Floor, ceil => Ceil, is_finite => IsFinite,
    exp => Exp, exp2 => Exp2, log => Log, log1p => Log1p, expm1 => Expm1, tanh => Tanh,
    logistic => Logistic, sin => Sin, cos => Cos, tan => Tan, asin => Asin, acos => Acos,
    atan => Atan, sinh => Sinh, cosh => Cosh, asinh => Asinh, acosh => Acosh, atanh => Atanh,
    sqrt => Sqrt, rsqrt => Rsqrt, cbrt => Cbrt, abs => Abs, square => Square, erf => Erf, erfc => Erfc,
    erf_inv => ErfInv, lgamma => Lgamma, digamma => Digamma, stop_gradient => StopGradient,
    copy => Copy,
);

/// Logical (bool) or bitwise (integer) not.
///
/// ```
/// use ferrax::prelude::*;
/// let b = Tensor::from_vec(vec![true, false], &[2]);
/// assert_eq!(ferrax::lax::not(&b).to_vec::<bool>(), vec![false, true]);
/// ```
#[track_caller]
pub fn not(x: &Tensor) -> Tensor {
    bind1(&Prim::new(UnaryOp::Not), std::slice::from_ref(x))
}

/// Rounds to an integral value; `lax.round` rounds half away from zero by default.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax::{round, Rounding};
/// let x = Tensor::from_vec(vec![0.5f32, 1.5, -0.5], &[3]);
/// assert_eq!(round(&x, Rounding::AwayFromZero).to_vec::<f32>(), vec![1.0, 2.0, -1.0]);
/// assert_eq!(round(&x, Rounding::ToNearestEven).to_vec::<f32>(), vec![0.0, 2.0, -0.0]);
/// ```
#[track_caller]
pub fn round(x: &Tensor, method: RoundingMethod) -> Tensor {
    bind1(&Prim::new(UnaryOp::Round(method)), std::slice::from_ref(x))
}

/// `x ** y` for a constant integer `y`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![2.0f32, 3.0], &[2]);
/// assert_eq!(ferrax::lax::integer_pow(&x, 3).to_vec::<f32>(), vec![8.0, 27.0]);
/// ```
#[track_caller]
pub fn integer_pow(x: &Tensor, y: i32) -> Tensor {
    bind1(&Prim::new(UnaryOp::IntegerPow(y)), std::slice::from_ref(x))
}

impl PrimRules for UnaryOp {
    fn name(&self) -> &'static str {
        use UnaryOp::*;
        match self {
            Neg => "neg",
            Sign => "sign",
            Floor => "floor",
            Ceil => "ceil",
            Round(_) => "round",
            IsFinite => "is_finite",
            Exp => "exp",
            Exp2 => "exp2",
            Log => "log",
            Log1p => "log1p",
            Expm1 => "expm1",
            Tanh => "tanh",
            Logistic => "logistic",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            Asin => "asin",
            Acos => "acos",
            Atan => "atan",
            Sinh => "sinh",
            Cosh => "cosh",
            Asinh => "asinh",
            Acosh => "acosh",
            Atanh => "atanh",
            Sqrt => "sqrt",
            Rsqrt => "rsqrt",
            Cbrt => "cbrt",
            Abs => "abs",
            Square => "square",
            IntegerPow(_) => "integer_pow",
            Erf => "erf",
            Erfc => "erfc",
            ErfInv => "erf_inv",
            Lgamma => "lgamma",
            Digamma => "digamma",
            Not => "not",
            StopGradient => "stop_gradient",
            Copy => "copy",
        }
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        match self {
            UnaryOp::IntegerPow(y) => vec![("y", text(y.to_string()))],
            UnaryOp::Round(m) => {
                let v = match m {
                    RoundingMethod::AwayFromZero => "0",
                    RoundingMethod::ToNearestEven => "1",
                };
                vec![("rounding_method", text(v))]
            }
            _ => Vec::new(),
        }
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let x = &inputs[0];
        let has_complex_form = *self == UnaryOp::Abs
            || crate::ops::complex::complex_unary(*self, num_complex::Complex64::new(1.0, 0.5))
                .is_some();
        let ok = match self.domain() {
            _ if x.dtype.is_complex() => has_complex_form,
            Domain::Float => x.dtype.is_float(),
            Domain::Numeric => x.dtype != DType::Bool,
            Domain::IntOrBool => !x.dtype.is_float(),
            Domain::Any => true,
        };
        if !ok {
            return Err(format!("operand dtype {} is not supported", x.dtype));
        }
        if let UnaryOp::IntegerPow(y) = self
            && *y < 0
            && !x.dtype.is_inexact()
        {
            return Err(format!("negative exponent {y} needs a float operand"));
        }
        let dtype = match self {
            UnaryOp::IsFinite => DType::Bool,
            // |z| of a complex number is real.
            UnaryOp::Abs => x.dtype.real_dtype(),
            _ => x.dtype,
        };
        Ok(smallvec![x.with_dtype(dtype)])
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        smallvec![eval_unary(*self, inputs[0])]
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _axis: &BatchAxis) -> BatchResult {
        // Elementwise: the batch dim stays where it is.
        (smallvec![bind1(&Prim::new(*self), args)], dims.to_vec())
    }

    /// Fast path for a concrete operand of a supported dtype.
    fn eval_eager(&self, inputs: &[Tensor]) -> Option<Outputs> {
        let [x] = inputs else { return None };
        let a = x.try_array()?;
        self.abstract_eval(&[Aval::new(a.shape(), a.dtype())])
            .ok()?;
        Some(smallvec![Tensor::from_array(eval_unary(*self, a))])
    }

    /// JAX's rules (`jax/_src/lax/lax.py`), operand for operand, so traced derivatives print
    /// the same equations.
    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        use UnaryOp::*;
        let x = &primals[0];
        let ans = bind1(&Prim::new(*self), primals);
        let Some(g) = &tangents[0] else {
            return jvp_out(ans, None);
        };
        let c = |v: f64| Tensor::full(&[], v, x.dtype());
        let t = match self {
            Sign | Floor | Ceil | Round(_) | IsFinite | Not | StopGradient => None,
            Neg | Copy => Some(bind1(&Prim::new(*self), std::slice::from_ref(g))),
            Exp => Some(lax::mul(g, &ans)),
            Exp2 => Some(lax::mul(&lax::log(&c(2.0)), &lax::mul(g, &ans))),
            Log => Some(lax::div(g, x)),
            Log1p => Some(lax::div(g, &lax::add(x, &c(1.0)))),
            Expm1 => Some(lax::mul(g, &lax::add(&ans, &c(1.0)))),
            Tanh => Some(lax::mul(
                &lax::add(g, &lax::mul(g, &ans)),
                &lax::sub(&c(1.0), &ans),
            )),
            Logistic => Some(lax::mul(g, &lax::mul(&ans, &lax::sub(&c(1.0), &ans)))),
            Sin => Some(lax::mul(g, &lax::cos(x))),
            Cos => Some(lax::neg(&lax::mul(g, &lax::sin(x)))),
            Tan => Some(lax::mul(g, &lax::add(&c(1.0), &lax::square(&ans)))),
            Asin => Some(lax::mul(
                g,
                &lax::rsqrt(&lax::sub(&c(1.0), &lax::square(x))),
            )),
            Acos => Some(lax::mul(
                g,
                &lax::neg(&lax::rsqrt(&lax::sub(&c(1.0), &lax::square(x)))),
            )),
            Atan => Some(lax::div(g, &lax::add(&c(1.0), &lax::square(x)))),
            Sinh => Some(lax::mul(g, &lax::cosh(x))),
            Cosh => Some(lax::mul(g, &lax::sinh(x))),
            Asinh => Some(lax::mul(
                g,
                &lax::rsqrt(&lax::add(&lax::square(x), &c(1.0))),
            )),
            // JAX uses x² - 1 rather than (x - 1)(x + 1) (the domain is x ≥ 1).
            Acosh => Some(lax::mul(
                g,
                &lax::rsqrt(&lax::sub(&lax::square(x), &c(1.0))),
            )),
            // `reciprocal` is `integer_pow(·, -1)` in JAX.
            Atanh => Some(lax::mul(
                &lax::integer_pow(&lax::add(&c(1.0), x), -1),
                &lax::div(g, &lax::sub(&c(1.0), x)),
            )),
            Sqrt => Some(lax::mul(g, &lax::div(&c(0.5), &ans))),
            Rsqrt => Some(lax::mul(g, &lax::mul(&c(-0.5), &lax::div(&ans, x)))),
            Cbrt => Some(lax::mul(
                g,
                &lax::mul(&c(1.0 / 3.0), &lax::integer_pow(&ans, -2)),
            )),
            // JAX's complex rule: real(g conj(x) / |x|), with |x| = 0 replaced by 1.
            Abs if x.dtype().is_complex() => {
                let a = lax::convert_element_type(&ans, x.dtype());
                let ones = lax::broadcast_in_dim(&c(1.0), a.shape(), &[]);
                let safe = lax::select_n(&lax::eq(&a, &c(0.0)), &[a.clone(), ones]);
                Some(lax::real(&lax::mul(g, &lax::div(&lax::conj(x), &safe))))
            }
            Abs => Some(lax::select_n(
                &lax::ge(x, &c(0.0)),
                &[lax::neg(g), g.clone()],
            )),
            Square => Some(lax::mul(g, &lax::mul(&c(2.0), x))),
            // JAX returns instantiated zeros; a symbolic zero is the same value, cheaper.
            IntegerPow(0) => None,
            IntegerPow(1) => Some(g.clone()),
            IntegerPow(y) => {
                let pow = if *y == 2 {
                    x.clone()
                } else {
                    lax::integer_pow(x, y - 1)
                };
                Some(lax::mul(g, &lax::mul(&c(*y as f64), &pow)))
            }
            Erf => Some(lax::mul(
                &c(std::f64::consts::FRAC_2_SQRT_PI),
                &lax::mul(g, &lax::exp(&lax::neg(&lax::square(x)))),
            )),
            // JAX's `erfc_p` JVP: -2/sqrt(pi) * exp(-x^2) * g.
            Erfc => Some(lax::mul(
                &c(-std::f64::consts::FRAC_2_SQRT_PI),
                &lax::mul(g, &lax::exp(&lax::neg(&lax::square(x)))),
            )),
            ErfInv => Some(lax::mul(
                &c(std::f64::consts::PI.sqrt() / 2.0),
                &lax::mul(g, &lax::exp(&lax::square(&ans))),
            )),
            Lgamma => Some(lax::mul(g, &lax::digamma(x))),
            Digamma => Some(lax::mul(g, &lax::polygamma(&c(1.0), x))),
        };
        jvp_out(ans, t)
    }

    /// `neg` and `copy` are the linear ones.
    fn transpose(&self, cts: &[Option<Tensor>], _args: &[LinearArg]) -> Vec<Option<Tensor>> {
        match self {
            UnaryOp::Neg | UnaryOp::Copy => {
                vec![cts[0]
                    .as_ref()
                    .map(|ct| bind1(&Prim::new(*self), std::slice::from_ref(ct)))]
            }
            _ => panic!(
                "{}: this primitive is not linear, so it has no transpose rule",
                self.name()
            ),
        }
    }
}

/// Applies `op` to every element of `x`.
pub fn eval_unary(op: UnaryOp, x: &ArrayData) -> ArrayData {
    use UnaryOp::*;
    let d = x.dtype();
    if d.widened() != d {
        // i8/i16/u8/u16/bf16/f16: computed in the wide type, rounded or wrapped back once.
        let y = eval_unary(op, &x.convert(d.widened()));
        return if y.dtype() == DType::Bool {
            y
        } else {
            y.convert(d)
        };
    }
    match op.float_class() {
        FloatClass::Identity => return x.clone(),
        FloatClass::Predicate => {
            return match x {
                ArrayData::F32(a) => ArrayData::Bool(a.mapv(|v| v.is_finite())),
                ArrayData::F64(a) => ArrayData::Bool(a.mapv(|v| v.is_finite())),
                _ => unreachable!("checked by abstract_eval"),
            }
        }
        FloatClass::Math | FloatClass::NotFloat => {}
    }
    match x {
        ArrayData::F32(a) => ArrayData::F32(float_map(a, |s, d| {
            crate::kernels::elementwise::unary_f32(op, s, d)
        })),
        ArrayData::F64(a) => ArrayData::F64(float_map(a, |s, d| {
            crate::kernels::elementwise::unary_f64(op, s, d)
        })),
        ArrayData::I32(a) => ArrayData::I32(a.mapv(|v| int_op_i32(op, v))),
        ArrayData::U32(a) => ArrayData::U32(a.mapv(|v| int_op_u32(op, v))),
        ArrayData::Bool(a) => match op {
            Not => ArrayData::Bool(a.mapv(|v| !v)),
            _ => unreachable!("checked by abstract_eval"),
        },
        ArrayData::I64(a) => ArrayData::I64(a.mapv(|v| int_op_i64(op, v))),
        ArrayData::U64(a) => ArrayData::U64(a.mapv(|v| int_op_u64(op, v))),
        ArrayData::C64(a) if op == Abs => ArrayData::F32(a.mapv(complex_abs)),
        ArrayData::C128(a) if op == Abs => ArrayData::F64(a.mapv(complex_abs)),
        ArrayData::C64(a) => ArrayData::C64(a.mapv(|z| complex_op(op, z))),
        ArrayData::C128(a) => ArrayData::C128(a.mapv(|z| complex_op(op, z))),
        other => unreachable!(
            "{}: {} is widened above",
            PrimRules::name(&op),
            other.dtype()
        ),
    }
}

/// A float array mapped by a slice kernel (the vectorized loops of
/// [`crate::kernels::elementwise`]) into a new array of the same shape.
fn float_map<F: FloatElement>(
    a: &ndarray::ArrayD<F>,
    kernel: impl Fn(&[F], &mut [F]),
) -> ndarray::ArrayD<F> {
    let mut out = ndarray::ArrayD::<F>::default(a.raw_dim());
    let dst = out
        .as_slice_mut()
        .expect("a new array is in standard layout");
    match a.as_slice() {
        Some(src) => kernel(src, dst),
        None => {
            let src: Vec<F> = a.iter().copied().collect();
            kernel(&src, dst)
        }
    }
    out
}

fn complex_op<F: num_traits::Float>(
    op: UnaryOp,
    z: num_complex::Complex<F>,
) -> num_complex::Complex<F> {
    complex_unary(op, z).expect("checked by abstract_eval")
}

/// The integer unary ops for one integer type, as XLA computes them (wrapping).
macro_rules! int_unary_op {
    ($name:ident, $t:ty, $sign:expr, $abs:expr) => {
        fn $name(op: UnaryOp, v: $t) -> $t {
            use UnaryOp::*;
            match op {
                Neg => v.wrapping_neg(),
                Sign => $sign(v),
                Abs => $abs(v),
                Square => v.wrapping_mul(v),
                IntegerPow(y) => v.wrapping_pow(y as u32),
                Not => !v,
                _ => unreachable!("checked by abstract_eval"),
            }
        }
    };
}
int_unary_op!(int_op_i32, i32, i32::signum, i32::wrapping_abs);
int_unary_op!(int_op_i64, i64, i64::signum, i64::wrapping_abs);
int_unary_op!(int_op_u32, u32, |v| (v != 0) as u32, |v| v);
int_unary_op!(int_op_u64, u64, |v| (v != 0) as u64, |v| v);
