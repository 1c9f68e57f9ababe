//! The two-operand elementwise ops: the op enum, the scalar float and comparison semantics
//! (`float_op`, `compare`, XLA's NaN-propagating `max`/`min`) and the one dispatch that picks
//! a monomorphized per-element function for a float op ([`with_float_op`]), which every
//! float binary loop (eager evaluation, fused groups, in-place evaluation) goes through.

use super::element::FloatElement;

/// A two-operand elementwise primitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Max,
    Min,
    Atan2,
    Nextafter,
    /// `polygamma(m, x)`: the m-th derivative of digamma, for integer-valued m ≥ 0.
    Polygamma,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Xor,
    /// Addition of cotangents in the backward pass (JAX's `add_any`).
    AddAny,
}

impl BinaryOp {
    /// True for the comparisons, which return bool.
    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(self, Eq | Ne | Lt | Le | Gt | Ge)
    }
}

/// A loop over two float operands that takes the per-element function: what
/// [`with_float_op`] calls with the function it picks for an op.
pub trait FloatZip<F> {
    type Out;
    fn zip(self, f: impl Fn(F, F) -> F) -> Self::Out;
}

/// Runs `z` with `op`'s per-element function, chosen outside the loop: the common ops
/// (add, sub, mul, div, max, min) as their own closures, so each loop is monomorphized and
/// vectorizes; the rest through [`float_op`]. The same arithmetic as [`float_op`] either way.
#[inline(always)]
pub fn with_float_op<F: FloatElement, Z: FloatZip<F>>(op: BinaryOp, z: Z) -> Z::Out {
    use BinaryOp::*;
    match op {
        Add | AddAny => z.zip(|p, q| p + q),
        Sub => z.zip(|p, q| p - q),
        Mul => z.zip(|p, q| p * q),
        Div => z.zip(|p, q| p / q),
        Max => z.zip(max_nan),
        Min => z.zip(min_nan),
        _ => z.zip(move |p, q| float_op(op, p, q)),
    }
}

pub(crate) fn compare<T: PartialOrd>(op: BinaryOp, p: T, q: T) -> bool {
    match op {
        BinaryOp::Eq => p == q,
        BinaryOp::Ne => p != q,
        BinaryOp::Lt => p < q,
        BinaryOp::Le => p <= q,
        BinaryOp::Gt => p > q,
        BinaryOp::Ge => p >= q,
        _ => unreachable!("not a comparison"),
    }
}

/// Float arithmetic with XLA's NaN-propagating max/min.
/// XLA's `max`: NaN if either operand is NaN. Inlined and free of calls, so loops over it
/// vectorize into compares and blends.
#[inline(always)]
pub(crate) fn max_nan<F: num_traits::Float>(p: F, q: F) -> F {
    let m = if p > q { p } else { q };
    if p.is_nan() || q.is_nan() {
        F::nan()
    } else {
        m
    }
}

/// XLA's `min`: NaN if either operand is NaN (see [`max_nan`]).
#[inline(always)]
pub(crate) fn min_nan<F: num_traits::Float>(p: F, q: F) -> F {
    let m = if p < q { p } else { q };
    if p.is_nan() || q.is_nan() {
        F::nan()
    } else {
        m
    }
}

pub(crate) fn float_op<F: FloatElement>(op: BinaryOp, p: F, q: F) -> F {
    use BinaryOp::*;
    match op {
        Add | AddAny => p + q,
        Sub => p - q,
        Mul => p * q,
        Div => p / q,
        Rem => p % q,
        Pow => p.powf(q),
        Max => max_nan(p, q),
        Min => min_nan(p, q),
        Atan2 => p.atan2(q),
        Nextafter => p.next_after(q),
        Polygamma => <F as crate::tensor::Element>::from_f64(polygamma_f64(
            crate::tensor::Element::to_f64(p),
            crate::tensor::Element::to_f64(q),
        )),
        _ => unreachable!("checked by abstract_eval"),
    }
}

/// ψ⁽ᵐ⁾(x) for integer m ≥ 0: digamma for m = 0, else (-1)^(m+1) m! ζ(m+1, x) with the
/// Hurwitz zeta by Euler–Maclaurin summation; non-integer m gives NaN, as do the poles.
pub fn polygamma_f64(m: f64, x: f64) -> f64 {
    if m.is_nan() || x.is_nan() || m < 0.0 || m != m.floor() {
        return f64::NAN;
    }
    if m == 0.0 {
        return super::unary::digamma_f64(x);
    }
    if x <= 0.0 && x == x.floor() {
        return f64::NAN;
    }
    let s = m + 1.0;
    let factorial: f64 = (1..=m as u64).map(|k| k as f64).product();
    let sign = if (m as u64) % 2 == 1 { 1.0 } else { -1.0 };
    // Shift x up with the recurrence ζ(s, x) = x^-s + ζ(s, x + 1) until x is large enough.
    let mut x = x;
    let mut sum = 0.0;
    while x < 10.0 {
        sum += x.powf(-s);
        x += 1.0;
    }
    // Euler–Maclaurin tail: x^(1-s)/(s-1) + x^-s/2 + Σ B2k/(2k)! s(s+1)..(s+2k-2) x^(-s-2k+1).
    const B2K_OVER_FACT: [f64; 8] = [
        1.0 / 12.0,
        -1.0 / 720.0,
        1.0 / 30240.0,
        -1.0 / 1209600.0,
        1.0 / 47900160.0,
        -691.0 / 1307674368000.0,
        1.0 / 74724249600.0,
        -3617.0 / 10670622842880000.0,
    ];
    let mut tail = x.powf(1.0 - s) / (s - 1.0) + 0.5 * x.powf(-s);
    let mut rising = s; // s (s+1) ... (s + 2k - 2)
    let mut power = x.powf(-s - 1.0);
    for (k, b) in B2K_OVER_FACT.iter().enumerate() {
        tail += b * rising * power;
        rising *= (s + 2.0 * k as f64 + 1.0) * (s + 2.0 * k as f64 + 2.0);
        power /= x * x;
    }
    sign * factorial * (sum + tail)
}
