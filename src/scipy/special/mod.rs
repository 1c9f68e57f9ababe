//! `ferrax::scipy::special`, the twin of `jax.scipy.special`: the gamma family
//! ([`gammaln`], [`gamma`], [`betaln`], [`gammainc`], [`betainc`], ...), the error-function
//! family ([`erf`], [`ndtr`], [`ndtri`], [`log_ndtr`], [`erfcx`], [`dawsn`]), information
//! measures and their log-space helpers ([`xlogy`], [`entr`], [`rel_entr`], [`logsumexp`],
//! [`softmax`], ...), and the rest ([`zeta`], [`i0e`], [`spence`], [`bernoulli`], ...).
//!
//! Each is written as JAX writes it in `jax/_src/scipy/special.py`: same piecewise
//! algorithms and constants, same custom JVPs (`xlogy`'s derivative is 0 where `x = 0`,
//! `log_ndtr`'s is `exp(log φ(x) - log_ndtr(x))`), so values agree with JAX to a few ulps
//! and derivatives match.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::scipy::special;
//! let x = Tensor::from_vec(vec![-40.0f64], &[1]);
//! let l = special::log_ndtr(&x).item::<f64>();
//! assert!((l - (-804.6084420137538)).abs() < 1e-9);
//! ```

mod error;
mod expint;
mod gamma;
mod info;
mod misc;

pub use error::*;
pub use expint::*;
pub use gamma::*;
pub use info::*;
pub use misc::*;

use crate::numpy::{promote_float, to_float, IntoOperand};
use crate::tensor::Tensor;

/// `jnp.polyval` with constant coefficients (highest power first): Horner's rule from zero,
/// each coefficient rounded to `x`'s dtype, as JAX evaluates its rational approximations.
pub(crate) fn polyval(coeffs: &[f64], x: &Tensor) -> Tensor {
    let mut y = crate::numpy::zeros_like(x);
    for &c in coeffs {
        y = &y * x + c;
    }
    y
}

/// One operand as a float tensor (`promote_args_inexact` with one argument).
pub(crate) fn float1(x: &Tensor) -> Tensor {
    to_float(x)
}

/// Two operands promoted together to a float dtype (`promote_args_inexact`).
#[track_caller]
pub(crate) fn float2(name: &str, a: impl IntoOperand, b: impl IntoOperand) -> (Tensor, Tensor) {
    promote_float(name, a, b)
}

/// Three operands promoted together to a float dtype, broadcast to one shape.
#[track_caller]
pub(crate) fn float3(
    name: &str,
    a: impl IntoOperand,
    b: impl IntoOperand,
    c: impl IntoOperand,
) -> (Tensor, Tensor, Tensor) {
    let (a, b) = promote_float(name, a, b);
    let (a, c) = promote_float(name, &a, c);
    let (b, c) = promote_float(name, &b, &c);
    (a, b, c)
}
