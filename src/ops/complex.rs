//! What the elementwise ops compute on complex numbers (c64, c128): the one place their
//! per-element semantics live, as XLA's (`exp`, `log`, `sqrt`, `sin`, ... on the principal
//! branch; `pow` as `exp(q log p)`; `sign` as `z / |z|`). The primitives call these from their
//! `eval`; which ops accept complex operands is decided by the primitives' `abstract_eval`.

use super::binary::BinaryOp;
use super::unary::UnaryOp;
use num_complex::Complex;
use num_traits::Float;

/// One complex unary op; `None` for an op that has no complex form (the primitive rejects it
/// before evaluation) and for `abs`, whose result is real (see [`complex_abs`]).
///
/// ```
/// use ferrax::internals::ops::{complex::complex_unary, UnaryOp};
/// use num_complex::Complex64;
/// let z = complex_unary(UnaryOp::Exp, Complex64::new(0.0, std::f64::consts::PI)).unwrap();
/// assert!((z.re + 1.0).abs() < 1e-15 && z.im.abs() < 1e-15);
/// ```
pub fn complex_unary<F: Float>(op: UnaryOp, z: Complex<F>) -> Option<Complex<F>> {
    use UnaryOp::*;
    let one = Complex::new(F::one(), F::zero());
    Some(match op {
        Neg => -z,
        Sign => {
            let r = z.norm();
            if r == F::zero() {
                Complex::new(F::zero(), F::zero())
            } else {
                z / r
            }
        }
        Exp => z.exp(),
        Log => z.ln(),
        Log1p => (z + one).ln(),
        Expm1 => z.exp() - one,
        Tanh => z.tanh(),
        Sin => z.sin(),
        Cos => z.cos(),
        Tan => z.tan(),
        Sinh => z.sinh(),
        Cosh => z.cosh(),
        Asin => z.asin(),
        Acos => z.acos(),
        Atan => z.atan(),
        Asinh => z.asinh(),
        Acosh => z.acosh(),
        Atanh => z.atanh(),
        Sqrt => z.sqrt(),
        Rsqrt => one / z.sqrt(),
        Square => z * z,
        IntegerPow(n) => z.powi(n),
        StopGradient | Copy => z,
        _ => return None,
    })
}

/// `|z|` without overflow for large parts (`hypot`), as XLA's complex `abs`.
///
/// ```
/// use ferrax::internals::ops::complex::complex_abs;
/// assert_eq!(complex_abs(num_complex::Complex32::new(3.0, -4.0)), 5.0);
/// ```
pub fn complex_abs<F: Float>(z: Complex<F>) -> F {
    z.re.hypot(z.im)
}

/// One complex binary arithmetic op: XLA's `add`/`sub`/`mul`/`div`, and `pow` as
/// `exp(q log p)` with `p^0 = 1` and `0^q = 0` for any other `q`. Panics for the ops that
/// have no complex form (the primitive rejects those before evaluation).
///
/// ```
/// use ferrax::internals::ops::{complex::complex_binary, BinaryOp};
/// use num_complex::Complex64;
/// let i = Complex64::new(0.0, 1.0);
/// assert_eq!(complex_binary(BinaryOp::Mul, i, i), Complex64::new(-1.0, 0.0));
/// ```
pub fn complex_binary<F: Float>(op: BinaryOp, p: Complex<F>, q: Complex<F>) -> Complex<F> {
    use BinaryOp::*;
    let zero = Complex::new(F::zero(), F::zero());
    match op {
        Add | AddAny => p + q,
        Sub => p - q,
        Mul => p * q,
        Div => p / q,
        Pow if q == zero => Complex::new(F::one(), F::zero()),
        Pow if p == zero => zero,
        Pow => (q * p.ln()).exp(),
        _ => unreachable!("{op:?} has no complex form (checked by abstract_eval)"),
    }
}
