//! `ferrax::scipy::stats`, the twin of `jax.scipy.stats`: one module per distribution with
//! JAX's functions of it (`logpdf`/`pdf`/`cdf`/`logcdf`/`sf`/`logsf`/`ppf`/`isf` for
//! continuous ones, `logpmf`/`pmf`/`cdf` for discrete ones), JAX's formulas, and its
//! `loc`/`scale` arguments positional (pass `0.0` and `1.0` for JAX's defaults). Arguments
//! are [`IntoOperand`](crate::numpy::IntoOperand)s that broadcast and promote together as
//! in `promote_args_inexact`.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::scipy::stats::{gamma, norm, poisson};
//! let x = Tensor::from_vec(vec![0.5f64, 1.0, 2.0], &[3]);
//! assert!((norm::pdf(&x, 0.0, 1.0).to_vec::<f64>()[1] - 0.24197072451914337).abs() < 1e-16);
//! assert!((gamma::cdf(&x, 1.0, 0.0, 1.0).to_vec::<f64>()[1] - 0.6321205588285577).abs() < 1e-15);
//! let k = Tensor::from_vec(vec![0.0f64, 1.0], &[2]);
//! assert!((poisson::pmf(&k, 2.0, 0.0).to_vec::<f64>()[1] - 2.0 * (-2.0f64).exp()).abs() < 1e-16);
//! ```

mod continuous;
mod discrete;
mod extreme;
mod gamma_beta;
mod multivariate;

pub use continuous::{cauchy, expon, laplace, logistic, norm, t, uniform};
pub use discrete::{bernoulli, binom, geom, multinomial, nbinom, poisson};
pub use extreme::{gumbel_l, gumbel_r, pareto};
pub use gamma_beta::{beta, chi2, gamma};
pub use multivariate::multivariate_normal;

use crate::numpy::{promote_float, IntoOperand, Operand};
use crate::tensor::Tensor;

/// The operands promoted together to one float dtype (`promote_args_inexact`); ranks
/// aligned, shapes left to broadcast in the ops that combine them.
#[track_caller]
pub(crate) fn promote<const N: usize>(name: &str, ops: [Operand; N]) -> [Tensor; N] {
    let mut acc = promote_float(name, ops[0].clone(), ops[1 % N].clone()).0;
    for o in ops.iter().skip(2) {
        acc = promote_float(name, &acc, o.clone()).0;
    }
    ops.map(|o| promote_float(name, &acc, o).1)
}

/// `o` as an [`Operand`] (shorthand for the argument lists of [`promote`]).
pub(crate) fn op(o: impl IntoOperand) -> Operand {
    o.into_operand()
}
