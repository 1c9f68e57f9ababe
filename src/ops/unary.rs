//! The one-operand elementwise ops: the op enum and the scalar semantics every kernel of it
//! follows (`float_op`), with the special functions the float ops need.

use super::element::FloatElement;
use num_traits::Float;

/// How `round` breaks ties (lax.RoundingMethod).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoundingMethod {
    /// 0.5 → 1.0, -0.5 → -1.0 (lax.round's default).
    AwayFromZero,
    /// 0.5 → 0.0, 1.5 → 2.0 (numpy's and `jnp.round`'s).
    ToNearestEven,
}

/// A one-operand elementwise primitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Sign,
    Floor,
    Ceil,
    Round(RoundingMethod),
    IsFinite,
    Exp,
    Exp2,
    Log,
    Log1p,
    Expm1,
    Tanh,
    Logistic,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Asinh,
    Acosh,
    Atanh,
    Sqrt,
    Rsqrt,
    Cbrt,
    Abs,
    Square,
    /// `x ** y` for a constant integer `y` (by repeated squaring, as XLA does).
    IntegerPow(i32),
    Erf,
    /// `1 - erf(x)` without the cancellation for large `x`.
    Erfc,
    ErfInv,
    Lgamma,
    Digamma,
    /// Logical not on bool, bitwise not on integers.
    Not,
    /// Identity whose derivative is zero.
    StopGradient,
    /// Identity that materializes a new buffer.
    Copy,
}

/// What a [`UnaryOp`] does with a float operand: the one classification that the slice
/// kernels, the fused and in-place interpreters and the primitive's evaluation read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FloatClass {
    /// Float in, float of the same dtype out, computed by [`float_op`] (or a vectorized
    /// kernel with the same values).
    Math,
    /// The operand's values unchanged, whatever its dtype (`stop_gradient`, `copy`).
    Identity,
    /// Float in, bool out (`is_finite`).
    Predicate,
    /// Not defined on floats (`not`).
    NotFloat,
}

impl UnaryOp {
    /// How the op treats a float operand (see [`FloatClass`]). A new op computed by
    /// [`float_op`] needs nothing here.
    #[inline]
    pub const fn float_class(self) -> FloatClass {
        use UnaryOp::*;
        match self {
            StopGradient | Copy => FloatClass::Identity,
            IsFinite => FloatClass::Predicate,
            Not => FloatClass::NotFloat,
            _ => FloatClass::Math,
        }
    }

    /// Whether the op maps floats to floats of the same dtype (math or identity): what the
    /// slice kernels (`kernels::elementwise::unary_f32` and friends) accept.
    #[inline]
    pub const fn is_float_to_float(self) -> bool {
        matches!(self.float_class(), FloatClass::Math | FloatClass::Identity)
    }

    /// Whether the op computes a float from a float ([`FloatClass::Math`]): what fused groups
    /// and in-place evaluation run (identities are left to the interpreter, which forwards
    /// or copies the buffer).
    #[inline]
    pub const fn is_float_math(self) -> bool {
        matches!(self.float_class(), FloatClass::Math)
    }
}

/// `x ** y` by repeated squaring in the operand's precision.
pub fn integer_pow<F: Float>(x: F, y: i32) -> F {
    let mut base = x;
    let mut n = y.unsigned_abs();
    let mut acc = F::one();
    while n > 0 {
        if n & 1 == 1 {
            acc = acc * base;
        }
        n >>= 1;
        if n > 0 {
            base = base * base;
        }
    }
    if y < 0 {
        F::one() / acc
    } else {
        acc
    }
}

/// One element of a float op, the scalar semantics the vectorized kernels follow (and the
/// path for ops without one). Defined for every op that [`UnaryOp::is_float_to_float`].
pub(crate) fn float_op<F: FloatElement>(op: UnaryOp, v: F) -> F {
    use UnaryOp::*;
    match op {
        Neg => -v,
        Sign => {
            if v > F::zero() {
                F::one()
            } else if v < F::zero() {
                -F::one()
            } else {
                v // keeps ±0 and NaN
            }
        }
        Floor => v.floor(),
        Ceil => v.ceil(),
        Round(RoundingMethod::AwayFromZero) => v.round(),
        Round(RoundingMethod::ToNearestEven) => v.round_ties_even_(),
        Exp => v.exp(),
        Exp2 => v.exp2(),
        Log => v.ln(),
        Log1p => v.ln_1p(),
        Expm1 => v.exp_m1(),
        Tanh => v.tanh(),
        Logistic => {
            if v >= F::zero() {
                F::one() / (F::one() + (-v).exp())
            } else {
                let e = v.exp();
                e / (F::one() + e)
            }
        }
        Sin => v.sin(),
        Cos => v.cos(),
        Tan => v.tan(),
        Asin => v.asin(),
        Acos => v.acos(),
        Atan => v.atan(),
        Sinh => v.sinh(),
        Cosh => v.cosh(),
        Asinh => v.asinh(),
        Acosh => v.acosh(),
        Atanh => v.atanh(),
        Sqrt => v.sqrt(),
        Rsqrt => F::one() / v.sqrt(),
        Cbrt => v.cbrt(),
        Abs => v.abs(),
        Square => v * v,
        IntegerPow(y) => integer_pow(v, y),
        Erf => v.erf(),
        // libm's erfc in f64, rounded once (within an ulp of JAX's f32 and f64 erfc).
        Erfc => F::from_f64(libm::erfc(v.to_f64())),
        ErfInv => v.erf_inv(),
        Lgamma => v.lgamma(),
        Digamma => v.digamma(),
        StopGradient | Copy => v,
        Not | IsFinite => unreachable!("{op:?} is not a float-to-float op"),
    }
}

/// erf⁻¹ in f64: Giles' approximation ("Approximating the erfinv function", 2010) as a start,
/// then two Newton steps on erf(y) - x, which brings it to full double precision.
#[allow(clippy::excessive_precision)] // Giles' published coefficients, kept verbatim
pub fn erf_inv_f64(x: f64) -> f64 {
    if x.is_nan() || !(-1.0..=1.0).contains(&x) {
        return f64::NAN;
    }
    if x == 1.0 {
        return f64::INFINITY;
    }
    if x == -1.0 {
        return f64::NEG_INFINITY;
    }
    if x == 0.0 {
        return x;
    }
    let w = -((1.0 - x) * (1.0 + x)).ln();
    let mut y = if w < 6.25 {
        let w = w - 3.125;
        let mut p = -3.6444120640178196996e-21;
        for c in [
            -1.685059138182016589e-19,
            1.2858480715256400167e-18,
            1.115787767802518096e-17,
            -1.333171662854620906e-16,
            2.0972767875968561637e-17,
            6.6376381343583238325e-15,
            -4.0545662729752068639e-14,
            -8.1519341976054721522e-14,
            2.6335093153082322977e-12,
            -1.2975133253453532498e-11,
            -5.4154120542946279317e-11,
            1.051212273321532285e-09,
            -4.1126339803469836976e-09,
            -2.9070369957882005086e-08,
            4.2347877827932403518e-07,
            -1.3654692000834678645e-06,
            -1.3882523362786468719e-05,
            0.0001867342080340571352,
            -0.00074070253416626697512,
            -0.0060336708714301490533,
            0.24015818242558961693,
            1.6536545626831027356,
        ] {
            p = c + p * w;
        }
        p * x
    } else if w < 16.0 {
        let w = w.sqrt() - 3.25;
        let mut p = 2.2137376921775787049e-09;
        for c in [
            9.0756561938885390979e-08,
            -2.7517406297064545428e-07,
            1.8239629214389227755e-08,
            1.5027403968909827627e-06,
            -4.013867526981545969e-06,
            2.9234449089955446044e-06,
            1.2475304481671778723e-05,
            -4.7318229009055733981e-05,
            6.8284851459573175448e-05,
            2.4031110387097893999e-05,
            -0.0003550375203628474796,
            0.00095328937973738049703,
            -0.0016882755560235047313,
            0.0024914420961078508066,
            -0.0037512085075692412107,
            0.005370914553590063617,
            1.0052589676941592334,
            3.0838856104922207635,
        ] {
            p = c + p * w;
        }
        p * x
    } else {
        let w = w.sqrt() - 5.0;
        let mut p = -2.7109920616438573243e-11;
        for c in [
            -2.5556418169965252055e-10,
            1.5076572693500548083e-09,
            -3.7894654401267369937e-09,
            7.6157012080783393804e-09,
            -1.4960026627149240478e-08,
            2.9147953450901080826e-08,
            -6.7711997758452339498e-08,
            2.2900482228026654717e-07,
            -9.9298272942317002539e-07,
            4.5260625972231537039e-06,
            -1.9681778105531670567e-05,
            7.5995277030017761139e-05,
            -0.00021503011930044477347,
            -0.00013871931833623122026,
            1.0103004648645343977,
            4.8499064014085844221,
        ] {
            p = c + p * w;
        }
        p * x
    };
    // Newton refinement: d/dy erf(y) = 2/sqrt(pi) exp(-y^2).
    for _ in 0..2 {
        let err = libm::erf(y) - x;
        let deriv = std::f64::consts::FRAC_2_SQRT_PI * (-y * y).exp();
        if deriv == 0.0 || !deriv.is_finite() {
            break;
        }
        y -= err / deriv;
    }
    y
}

/// ψ(x) in f64: reflection for x < 0.5 (poles at non-positive integers give NaN, as XLA),
/// recurrence up to x ≥ 10, then the asymptotic series.
pub fn digamma_f64(mut x: f64) -> f64 {
    if x.is_nan() || x == f64::NEG_INFINITY {
        return f64::NAN;
    }
    if x <= 0.0 && x == x.floor() {
        return f64::NAN;
    }
    let mut result = 0.0;
    if x < 0.5 {
        // ψ(1 - x) - ψ(x) = π cot(π x)
        result -= std::f64::consts::PI / (std::f64::consts::PI * x).tan();
        x = 1.0 - x;
    }
    // At x >= 10 the series through x^-14 is accurate to ~1e-17 (the first omitted term is
    // 3617/8160 x^-16); stopping at x >= 6 with terms through x^-10 left errors of ~1e-11.
    while x < 10.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    // Σ B_2k / (2k x^2k), k = 1..7.
    let series = inv2
        * (1.0 / 12.0
            - inv2
                * (1.0 / 120.0
                    - inv2
                        * (1.0 / 252.0
                            - inv2
                                * (1.0 / 240.0
                                    - inv2
                                        * (1.0 / 132.0
                                            - inv2 * (691.0 / 32760.0 - inv2 * (1.0 / 12.0)))))));
    result + x.ln() - 0.5 * inv - series
}
