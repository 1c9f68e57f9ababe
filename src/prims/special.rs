//! The incomplete gamma family of `jax.lax` (JAX's `lax/special.py`): `igamma` (the
//! regularized lower incomplete gamma P(a, x)), `igammac` (the upper, Q = 1 - P),
//! `igamma_grad_a` (∂P/∂a) and `random_gamma_grad` (the derivative of a Gamma(a) sample with
//! respect to `a` at the sample `x`, for reparameterized gradients).
//!
//! Each element is computed as JAX's lowering computes it, in the operands' precision: the
//! power series for x < 1 or x <= a (`_igamma_series`), else the continued fraction of Q
//! (`_igammac_continued_fraction`, at most 2000 steps), each carrying its derivative in `a`
//! for the gradient modes; with JAX's special cases (NaN outside the domain, 0 and 1 at the
//! ends, underflow of the prefactor). Operands are floats of one dtype that broadcast as
//! binary ops do. JVPs are JAX's: `igamma` has `igamma_grad_a` in `a` and
//! `exp(-x + (a-1) log x - lgamma(a))` in `x` (negated for `igammac`); JAX defines none for
//! `igamma_grad_a` and `random_gamma_grad`, so differentiating them panics here too.

use super::binary::{broadcast_shapes, zip_map};
use super::util::{batch_elementwise, expect_two};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, Prim, PrimRules};
use crate::core::{bind1, Aval, Avals};
use crate::ops::FloatElement;
use crate::prims::lax;
use crate::tensor::{ArrayData, Tensor};
use smallvec::smallvec;

/// An incomplete-gamma primitive of `(a, x)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpecialOp {
    /// P(a, x).
    Igamma,
    /// Q(a, x) = 1 - P(a, x).
    Igammac,
    /// ∂P(a, x)/∂a.
    IgammaGradA,
    /// d sample / d a for a Gamma(a) sample `x`.
    RandomGammaGrad,
}

/// The regularized lower incomplete gamma function P(a, x) (`lax.igamma`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
/// let x = Tensor::from_vec(vec![1.0f64, 0.5], &[2]);
/// let p = ferrax::lax::igamma(&a, &x).to_vec::<f64>();
/// assert!((p[0] - (1.0 - (-1.0f64).exp())).abs() < 1e-15); // P(1, x) = 1 - e^-x
/// assert!((p[1] - (1.0 - 1.5 * (-0.5f64).exp())).abs() < 1e-15);
/// ```
#[track_caller]
pub fn igamma(a: &Tensor, x: &Tensor) -> Tensor {
    bind1(&Prim::new(SpecialOp::Igamma), &[a.clone(), x.clone()])
}

/// The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x) (`lax.igammac`).
///
/// ```
/// use ferrax::prelude::*;
/// let q = ferrax::lax::igammac(&Tensor::scalar(1.0f64), &Tensor::scalar(3.0f64));
/// assert!((q.item::<f64>() - (-3.0f64).exp()).abs() < 1e-15);
/// ```
#[track_caller]
pub fn igammac(a: &Tensor, x: &Tensor) -> Tensor {
    bind1(&Prim::new(SpecialOp::Igammac), &[a.clone(), x.clone()])
}

/// ∂P(a, x)/∂a (`lax.igamma_grad_a`), the derivative `igamma`'s JVP uses in `a`.
///
/// ```
/// use ferrax::prelude::*;
/// let (a, x) = (Tensor::scalar(2.0f64), Tensor::scalar(1.5f64));
/// let g = ferrax::lax::igamma_grad_a(&a, &x).item::<f64>();
/// let h = 1e-6;
/// let fd = (ferrax::lax::igamma(&Tensor::scalar(2.0 + h), &x).item::<f64>()
///     - ferrax::lax::igamma(&Tensor::scalar(2.0 - h), &x).item::<f64>()) / (2.0 * h);
/// assert!((g - fd).abs() < 1e-8);
/// ```
#[track_caller]
pub fn igamma_grad_a(a: &Tensor, x: &Tensor) -> Tensor {
    bind1(&Prim::new(SpecialOp::IgammaGradA), &[a.clone(), x.clone()])
}

/// The derivative of a Gamma(a, 1) sample `x` with respect to `a`
/// (`lax.random_gamma_grad`): `-(∂P/∂a) / (∂P/∂x)` at `(a, x)`, what `jax.random.gamma`'s
/// gradient uses.
///
/// ```
/// use ferrax::prelude::*;
/// // For a = 1 (exponential), x(a) at fixed quantile: dx/da = -(dP/da)/(dP/dx).
/// let g = ferrax::lax::random_gamma_grad(&Tensor::scalar(1.0f64), &Tensor::scalar(0.5f64));
/// assert!(g.item::<f64>() > 0.0);
/// ```
#[track_caller]
pub fn random_gamma_grad(a: &Tensor, x: &Tensor) -> Tensor {
    bind1(
        &Prim::new(SpecialOp::RandomGammaGrad),
        &[a.clone(), x.clone()],
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Value,
    Derivative,
    SampleDerivative,
}

fn k<F: FloatElement>(v: f64) -> F {
    <F as crate::tensor::Element>::from_f64(v)
}

/// `_igamma_series` for one element.
fn series<F: FloatElement>(ax: F, x: F, a: F, mode: Mode) -> F {
    let eps = F::epsilon();
    let (mut r, mut c, mut ans, mut dc_da, mut dans_da) =
        (a, F::one(), F::one(), F::zero(), F::zero());
    loop {
        r = r + F::one();
        dc_da = dc_da * (x / r) - (c * x) / (r * r);
        dans_da = dans_da + dc_da;
        c = c * (x / r);
        ans = ans + c;
        let go = match mode {
            Mode::Value => c / ans > eps,
            _ => (dc_da / dans_da).abs() > eps,
        };
        if !go {
            break;
        }
    }
    if mode == Mode::Value {
        return (ans * ax) / a;
    }
    let dlogax_da = x.ln() - (a + F::one()).digamma();
    match mode {
        Mode::Derivative => ax * (ans * dlogax_da + dans_da) / a,
        _ => -(dans_da + ans * dlogax_da) * x / a,
    }
}

/// `_igammac_continued_fraction` for one element.
fn continued_fraction<F: FloatElement>(ax: F, x: F, a: F, mode: Mode) -> F {
    let eps = F::epsilon();
    let one = F::one();
    let mut y = one - a;
    let mut z = x + y + one;
    let mut c = F::zero();
    let mut pkm2 = one;
    let mut qkm2 = x;
    let mut pkm1 = x + one;
    let mut qkm1 = z * x;
    let mut ans = pkm1 / qkm1;
    let (mut dpkm2_da, mut dqkm2_da, mut dpkm1_da, mut dqkm1_da) =
        (F::zero(), F::zero(), F::zero(), -x);
    let mut dans_da = (dpkm1_da - ans * dqkm1_da) / qkm1;
    let limit: F = k(2000.0);
    while c < limit {
        c = c + one;
        y = y + one;
        z = z + k(2.0);
        let yc = y * c;
        let pk = pkm1 * z - pkm2 * yc;
        let qk = qkm1 * z - qkm2 * yc;
        let nonzero = qk != F::zero();
        let r = pk / qk;
        let t = if nonzero { ((ans - r) / r).abs() } else { one };
        if nonzero {
            ans = r;
        }
        let dpk_da = dpkm1_da * z - pkm1 - dpkm2_da * yc + pkm2 * c;
        let dqk_da = dqkm1_da * z - qkm1 - dqkm2_da * yc + qkm2 * c;
        let dans_da_new = if nonzero {
            (dpk_da - ans * dqk_da) / qk
        } else {
            dans_da
        };
        let grad_cond = if nonzero {
            (dans_da_new - dans_da).abs()
        } else {
            one
        };
        pkm2 = pkm1;
        pkm1 = pk;
        qkm2 = qkm1;
        qkm1 = qk;
        dpkm2_da = dpkm1_da;
        dqkm2_da = dqkm1_da;
        dpkm1_da = dpk_da;
        dqkm1_da = dqk_da;
        if pk.abs() > one / eps {
            pkm2 = pkm2 * eps;
            pkm1 = pkm1 * eps;
            qkm2 = qkm2 * eps;
            qkm1 = qkm1 * eps;
            dpkm2_da = dpkm2_da * eps;
            dqkm2_da = dqkm2_da * eps;
            dpkm1_da = dpkm1_da * eps;
            dqkm1_da = dqkm1_da * eps;
        }
        dans_da = dans_da_new;
        let go = match mode {
            Mode::Value => t > eps,
            _ => grad_cond > eps,
        };
        if !go {
            break;
        }
    }
    if mode == Mode::Value {
        return ans * ax;
    }
    let dlogax_da = x.ln() - a.digamma();
    match mode {
        Mode::Derivative => ax * (ans * dlogax_da + dans_da),
        _ => -(dans_da + ans * dlogax_da) * x,
    }
}

/// `log(ax)` and whether it underflows, as the `*_impl` functions compute them.
fn prefactor<F: FloatElement>(a: F, x: F) -> (F, bool) {
    let log_ax = a * x.ln() - x - a.lgamma();
    let underflow = log_ax < -F::max_value().ln();
    (log_ax.exp(), underflow)
}

fn special<F: FloatElement>(op: SpecialOp, a: F, x: F) -> F {
    let zero = F::zero();
    let nan = F::nan();
    let is_nan = a.is_nan() || x.is_nan();
    let x_zero = x == zero;
    let x_inf = x == F::infinity();
    match op {
        SpecialOp::Igamma => {
            let domain = x < zero || a < zero || (a == zero && x_zero) || is_nan;
            if domain {
                return nan;
            }
            if x_inf {
                return F::one();
            }
            if x_zero {
                return zero;
            }
            let (ax, underflow) = prefactor(a, x);
            let use_c = x >= F::one() && x > a;
            if underflow {
                // Disabled lanes keep the loops' initial values.
                return if use_c {
                    F::one() - (x + F::one()) / ((x + (F::one() - a) + F::one()) * x) * ax
                } else {
                    ax / a
                };
            }
            if use_c {
                F::one() - continued_fraction(ax, x, a, Mode::Value)
            } else {
                series(ax, x, a, Mode::Value)
            }
        }
        SpecialOp::Igammac => {
            let domain = x < zero || a < zero || (a == zero && x_zero) || is_nan;
            if domain {
                return nan;
            }
            if x_inf || a == zero {
                return zero;
            }
            let (ax, underflow) = prefactor(a, x);
            let use_p = x < F::one() || x < a;
            if underflow {
                return if use_p {
                    F::one() - ax / a
                } else {
                    (x + F::one()) / ((x + (F::one() - a) + F::one()) * x) * ax
                };
            }
            if use_p {
                F::one() - series(ax, x, a, Mode::Value)
            } else {
                continued_fraction(ax, x, a, Mode::Value)
            }
        }
        SpecialOp::IgammaGradA | SpecialOp::RandomGammaGrad => {
            let domain = x < zero || a <= zero;
            if domain || is_nan {
                return nan;
            }
            if x_zero {
                return zero;
            }
            let mode = if op == SpecialOp::IgammaGradA {
                Mode::Derivative
            } else {
                Mode::SampleDerivative
            };
            let (ax, underflow) = prefactor(a, x);
            let use_c = x > F::one() && x > a;
            if underflow {
                // The loops do not run: what their initial values give.
                let dlog_c = x.ln() - a.digamma();
                let dlog_s = x.ln() - (a + F::one()).digamma();
                let q = x + (F::one() - a) + F::one();
                let ans_c = (x + F::one()) / (q * x);
                let dans_c = (zero - ans_c * -x) / (q * x);
                return match (use_c, mode) {
                    (true, Mode::Derivative) => -(ax * (ans_c * dlog_c + dans_c)),
                    (true, _) => (dans_c + ans_c * dlog_c) * x,
                    (false, Mode::Derivative) => ax * dlog_s / a,
                    (false, _) => -(dlog_s) * x / a,
                };
            }
            if use_c {
                -continued_fraction(ax, x, a, mode)
            } else {
                series(ax, x, a, mode)
            }
        }
    }
}

impl PrimRules for SpecialOp {
    fn name(&self) -> &'static str {
        match self {
            SpecialOp::Igamma => "igamma",
            SpecialOp::Igammac => "igammac",
            SpecialOp::IgammaGradA => "igamma_grad_a",
            SpecialOp::RandomGammaGrad => "random_gamma_grad",
        }
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        let (a, x) = expect_two(inputs)?;
        if a.dtype != x.dtype || !a.dtype.is_float() {
            return Err(format!(
                "needs float operands of one dtype, got {a} and {x}"
            ));
        }
        let shape =
            broadcast_shapes(&a.shape, &x.shape).map_err(|e| format!("{e}: {a} and {x}"))?;
        Ok(smallvec![Aval {
            shape,
            dtype: a.dtype
        }])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let op = *self;
        smallvec![match (inputs[0], inputs[1]) {
            (ArrayData::F32(a), ArrayData::F32(x)) =>
                ArrayData::F32(zip_map(a, x, &out[0].shape, |a, x| special(op, a, x))),
            (ArrayData::F64(a), ArrayData::F64(x)) =>
                ArrayData::F64(zip_map(a, x, &out[0].shape, |a, x| special(op, a, x))),
            _ => unreachable!("checked by abstract_eval"),
        }]
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        let (a, x) = (&primals[0], &primals[1]);
        let y = bind1(&Prim::new(*self), primals);
        let sign = match self {
            SpecialOp::Igamma => 1.0,
            SpecialOp::Igammac => -1.0,
            _ => panic!(
                "{}: not differentiable (JAX defines no derivative for it either), called with {} and {}",
                self.name(),
                a.aval(),
                x.aval()
            ),
        };
        let c = |v: f64| Tensor::from_f64_values(&[v], &[], a.dtype());
        let mut t: Option<Tensor> = None;
        let mut add = |term: Tensor| {
            t = Some(match t.take() {
                Some(s) => lax::add(&s, &term),
                None => term,
            })
        };
        if let Some(ga) = &tangents[0] {
            add(lax::mul(&lax::mul(ga, &c(sign)), &igamma_grad_a(a, x)));
        }
        if let Some(gx) = &tangents[1] {
            // exp(-x + (a - 1) log x - lgamma(a))
            let e = lax::exp(&lax::sub(
                &lax::add(&lax::neg(x), &lax::mul(&lax::sub(a, &c(1.0)), &lax::log(x))),
                &lax::lgamma(a),
            ));
            add(lax::mul(&lax::mul(gx, &c(sign)), &e));
        }
        (smallvec![y], vec![t])
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _axis: &BatchAxis) -> BatchResult {
        batch_elementwise(&Prim::new(*self), args, dims)
    }
}
