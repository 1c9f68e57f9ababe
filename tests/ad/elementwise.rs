//! Derivative rules of the elementwise primitives (`src/prims/{unary,binary,elementwise}.rs`):
//! property tests through `check_grads` (orders 1 and 2, forward and reverse, on random
//! shapes incl. rank 0 and on broadcasting operands), exact zeros for zero-derivative ops,
//! known values (checked against JAX 0.10.2), golden jaxprs of derivatives, and NaN-safety.
//!
//! Expected values marked "JAX:" come from `python3` with jax 0.10.2 and
//! `jax.config.update('jax_enable_x64', True)`; the snippet is next to each value.

use ferrax::internals::prims::binary::polygamma_f64;
use ferrax::lax;
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use ferrax::test_util::{check_grads, check_grads_with, GradCheckOptions};
use proptest::prelude::*;

// ---- Helpers ------------------------------------------------------------------------------

/// 24 cases per property (PROPTEST_CASES overrides).
fn cfg() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    ProptestConfig {
        cases,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn c64(v: f64) -> Tensor {
    Tensor::scalar(v)
}

fn vals(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>()
}

/// How a uniform `u` in [0, 1) maps into an op's domain.
#[derive(Clone, Copy, Debug)]
enum Dom {
    /// Uniform in [lo, hi].
    R(f64, f64),
    /// Magnitude in [lo, hi], either sign (away from 0).
    Away(f64, f64),
    /// In [-3, 3], at least 0.1 away from integers and half-integers (floor/ceil/round).
    NonInt,
}

fn map_dom(d: Dom, u: f64) -> f64 {
    match d {
        Dom::R(lo, hi) => lo + (hi - lo) * u,
        Dom::Away(lo, hi) => {
            if u < 0.5 {
                -(lo + (hi - lo) * 2.0 * u)
            } else {
                lo + (hi - lo) * (2.0 * u - 1.0)
            }
        }
        Dom::NonInt => {
            let t = u * 6.0;
            let k = t.floor();
            let f = t - k;
            let f = if f < 0.5 {
                0.1 + 0.6 * f
            } else {
                0.6 + 0.6 * (f - 0.5)
            };
            -3.0 + k + f
        }
    }
}

/// An f64 tensor of `shape` with values from `u` mapped into `d`.
fn arr(shape: &[usize], u: &[f64], d: Dom) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|i| map_dom(d, u[i % u.len()])).collect();
    Tensor::from_vec(v, shape)
}

/// Random shapes of rank 0..=3 (dims 1..=3) with enough uniforms for two operands.
fn shape_and_values() -> impl Strategy<Value = (Vec<usize>, Vec<f64>)> {
    (
        prop::collection::vec(1usize..=3, 0..=3),
        prop::collection::vec(0.0f64..1.0, 54),
    )
}

/// Operand shapes of a binary op: 0 = equal shapes, 1 = equal rank with complementary size-1
/// dims (like [2,1] with [1,3]), 2 = rank-0 lhs, 3 = rank-0 rhs, 4 = both rank 0.
fn binary_shapes(shape: &[usize], pattern: u8, mask: u8) -> (Vec<usize>, Vec<usize>) {
    match pattern {
        0 => (shape.to_vec(), shape.to_vec()),
        1 => {
            let x = shape
                .iter()
                .enumerate()
                .map(|(i, &d)| if mask >> i & 1 == 1 { 1 } else { d })
                .collect();
            let y = shape
                .iter()
                .enumerate()
                .map(|(i, &d)| if mask >> i & 1 == 1 { d } else { 1 })
                .collect();
            (x, y)
        }
        2 => (vec![], shape.to_vec()),
        3 => (shape.to_vec(), vec![]),
        _ => (vec![], vec![]),
    }
}

fn binary_strategy() -> impl Strategy<Value = (Vec<usize>, u8, u8, Vec<f64>, Vec<f64>)> {
    (
        prop::collection::vec(1usize..=3, 0..=3),
        0u8..5,
        any::<u8>(),
        prop::collection::vec(0.0f64..1.0, 27),
        prop::collection::vec(0.0f64..1.0, 27),
    )
}

type Bin = fn(&Tensor, &Tensor) -> Tensor;

/// `check_grads` at order 2 of `op` in both operands, in each operand alone (the other a
/// constant, so only one tangent is nonzero and must be stretched to the output shape).
fn check_binary(op: Bin, x: &Tensor, y: &Tensor) {
    check_grads(
        move |(x, y): &(Tensor, Tensor)| op(x, y),
        &(x.clone(), y.clone()),
        2,
    );
    let yc = y.clone();
    check_grads(move |x: &Tensor| op(x, &yc), x, 2);
    let xc = x.clone();
    check_grads(move |y: &Tensor| op(&xc, y), y, 2);
}

/// The elementwise pairs of `x` and `y` as the op sees them (after stretching).
fn pairs(x: &Tensor, y: &Tensor) -> Vec<(f64, f64)> {
    let shape = lax::add(x, y).shape().to_vec();
    let stretch = |t: &Tensor| {
        let dims: Vec<usize> = if t.ndim() == 0 {
            vec![]
        } else {
            (0..shape.len()).collect()
        };
        vals(&lax::broadcast_in_dim(t, &shape, &dims))
    };
    stretch(x).into_iter().zip(stretch(y)).collect()
}

// ---- Unary primitives: check_grads at order 2 ----------------------------------------------

macro_rules! unary_grad_props {
    ($($name:ident: $f:expr, $dom:expr;)*) => {
        proptest! {
            #![proptest_config(cfg())]
            $(
                #[test]
                fn $name((shape, u) in shape_and_values()) {
                    let x = arr(&shape, &u, $dom);
                    check_grads($f, &x, 2);
                }
            )*
        }
    };
}

unary_grad_props! {
    prop_neg: |x: &Tensor| lax::neg(x), Dom::R(-3.0, 3.0);
    prop_sign: |x: &Tensor| lax::sign(x), Dom::Away(0.1, 3.0);
    prop_floor: |x: &Tensor| lax::floor(x), Dom::NonInt;
    prop_ceil: |x: &Tensor| lax::ceil(x), Dom::NonInt;
    prop_round_away: |x: &Tensor| lax::round(x, lax::Rounding::AwayFromZero), Dom::NonInt;
    prop_round_even: |x: &Tensor| lax::round(x, lax::Rounding::ToNearestEven), Dom::NonInt;
    prop_exp: |x: &Tensor| lax::exp(x), Dom::R(-3.0, 3.0);
    prop_exp2: |x: &Tensor| lax::exp2(x), Dom::R(-3.0, 3.0);
    prop_log: |x: &Tensor| lax::log(x), Dom::R(0.3, 5.0);
    prop_log1p: |x: &Tensor| lax::log1p(x), Dom::R(-0.7, 5.0);
    prop_expm1: |x: &Tensor| lax::expm1(x), Dom::R(-3.0, 3.0);
    prop_tanh: |x: &Tensor| lax::tanh(x), Dom::R(-3.0, 3.0);
    prop_logistic: |x: &Tensor| lax::logistic(x), Dom::R(-5.0, 5.0);
    prop_sin: |x: &Tensor| lax::sin(x), Dom::R(-5.0, 5.0);
    prop_cos: |x: &Tensor| lax::cos(x), Dom::R(-5.0, 5.0);
    prop_tan: |x: &Tensor| lax::tan(x), Dom::R(-1.2, 1.2);
    prop_asin: |x: &Tensor| lax::asin(x), Dom::R(-0.8, 0.8);
    prop_acos: |x: &Tensor| lax::acos(x), Dom::R(-0.8, 0.8);
    prop_atan: |x: &Tensor| lax::atan(x), Dom::R(-5.0, 5.0);
    prop_sinh: |x: &Tensor| lax::sinh(x), Dom::R(-3.0, 3.0);
    prop_cosh: |x: &Tensor| lax::cosh(x), Dom::R(-3.0, 3.0);
    prop_asinh: |x: &Tensor| lax::asinh(x), Dom::R(-5.0, 5.0);
    prop_acosh: |x: &Tensor| lax::acosh(x), Dom::R(1.2, 5.0);
    prop_atanh: |x: &Tensor| lax::atanh(x), Dom::R(-0.8, 0.8);
    prop_sqrt: |x: &Tensor| lax::sqrt(x), Dom::R(0.3, 5.0);
    prop_rsqrt: |x: &Tensor| lax::rsqrt(x), Dom::R(0.3, 5.0);
    prop_cbrt: |x: &Tensor| lax::cbrt(x), Dom::Away(0.3, 5.0);
    prop_abs: |x: &Tensor| lax::abs(x), Dom::Away(0.1, 3.0);
    prop_square: |x: &Tensor| lax::square(x), Dom::R(-3.0, 3.0);
    prop_integer_pow_m3: |x: &Tensor| lax::integer_pow(x, -3), Dom::Away(0.8, 2.0);
    prop_integer_pow_m2: |x: &Tensor| lax::integer_pow(x, -2), Dom::Away(0.8, 2.0);
    prop_integer_pow_m1: |x: &Tensor| lax::integer_pow(x, -1), Dom::Away(0.8, 2.0);
    prop_integer_pow_0: |x: &Tensor| lax::integer_pow(x, 0), Dom::R(-2.0, 2.0);
    prop_integer_pow_1: |x: &Tensor| lax::integer_pow(x, 1), Dom::R(-2.0, 2.0);
    prop_integer_pow_2: |x: &Tensor| lax::integer_pow(x, 2), Dom::R(-2.0, 2.0);
    prop_integer_pow_3: |x: &Tensor| lax::integer_pow(x, 3), Dom::R(-2.0, 2.0);
    prop_integer_pow_5: |x: &Tensor| lax::integer_pow(x, 5), Dom::R(-2.0, 2.0);
    prop_erf: |x: &Tensor| lax::erf(x), Dom::R(-3.0, 3.0);
    prop_erf_inv: |x: &Tensor| lax::erf_inv(x), Dom::R(-0.8, 0.8);
    prop_lgamma: |x: &Tensor| lax::lgamma(x), Dom::R(0.5, 6.0);
    prop_digamma: |x: &Tensor| lax::digamma(x), Dom::R(0.5, 6.0);
    prop_copy: |x: &Tensor| lax::copy(x), Dom::R(-3.0, 3.0);
    prop_unary_chain: |x: &Tensor| lax::tanh(&lax::sin(&lax::exp(&lax::neg(&lax::square(x))))), Dom::R(-2.0, 2.0);
}

// ---- Binary primitives ----------------------------------------------------------------------

macro_rules! binary_grad_props {
    ($($name:ident: $op:expr, $dx:expr, $dy:expr, $ok:expr;)*) => {
        proptest! {
            #![proptest_config(cfg())]
            $(
                #[test]
                fn $name((shape, pattern, mask, u, v) in binary_strategy()) {
                    let (sx, sy) = binary_shapes(&shape, pattern, mask);
                    let (x, y) = (arr(&sx, &u, $dx), arr(&sy, &v, $dy));
                    let ok: fn(f64, f64) -> bool = $ok;
                    prop_assume!(pairs(&x, &y).iter().all(|&(a, b)| ok(a, b)));
                    check_binary($op, &x, &y);
                }
            )*
        }
    };
}

/// True when `a / b` is at least 0.05 away from an integer (`rem` jumps there).
fn rem_ok(a: f64, b: f64) -> bool {
    let q = (a / b).abs();
    (q - q.round()).abs() > 0.05
}

binary_grad_props! {
    prop_add: lax::add, Dom::R(-3.0, 3.0), Dom::R(-3.0, 3.0), |_, _| true;
    prop_add_any: lax::add_any, Dom::R(-3.0, 3.0), Dom::R(-3.0, 3.0), |_, _| true;
    prop_sub: lax::sub, Dom::R(-3.0, 3.0), Dom::R(-3.0, 3.0), |_, _| true;
    prop_mul: lax::mul, Dom::R(-3.0, 3.0), Dom::R(-3.0, 3.0), |_, _| true;
    prop_div: lax::div, Dom::R(-3.0, 3.0), Dom::Away(0.5, 3.0), |_, _| true;
    prop_rem: lax::rem, Dom::R(-6.0, 6.0), Dom::Away(0.7, 2.5), rem_ok;
    prop_pow: lax::pow, Dom::R(0.3, 3.0), Dom::R(-2.0, 3.0), |_, _| true;
    prop_max: lax::max, Dom::R(-3.0, 3.0), Dom::R(-3.0, 3.0), |a, b| (a - b).abs() > 0.01;
    prop_min: lax::min, Dom::R(-3.0, 3.0), Dom::R(-3.0, 3.0), |a, b| (a - b).abs() > 0.01;
    prop_atan2: lax::atan2, Dom::Away(0.2, 3.0), Dom::R(-3.0, 3.0), |_, _| true;
    prop_binary_chain: |x: &Tensor, y: &Tensor| lax::div(&lax::mul(x, &lax::sin(y)), &lax::add(&lax::square(x), &lax::exp(y))),
        Dom::R(-2.0, 2.0), Dom::R(-2.0, 2.0), |_, _| true;
}

proptest! {
    #![proptest_config(cfg())]

    /// `pow` with an i32 exponent (JAX's `_pow_jvp_lhs` integer branch), broadcasting incl.
    #[test]
    fn prop_pow_int_exponent((shape, pattern, mask, u, v) in binary_strategy()) {
        let (sx, sy) = binary_shapes(&shape, pattern, mask);
        let x = arr(&sx, &u, Dom::Away(0.4, 2.0));
        let n: usize = sy.iter().product();
        let y = Tensor::from_vec((0..n).map(|i| (v[i] * 7.0).floor() as i32 - 3).collect::<Vec<i32>>(), &sy);
        check_grads(|(x, y): &(Tensor, Tensor)| lax::pow(x, y), &(x.clone(), y.clone()), 2);
        check_grads(move |x: &Tensor| lax::pow(x, &y), &x, 2);
    }

    /// `polygamma(m, x)` for fixed integer m (a constant, scalar or stretched), in x.
    #[test]
    fn prop_polygamma((shape, pattern, mask, u, v) in binary_strategy(), m in 0u8..4) {
        let (sm, sx) = binary_shapes(&shape, pattern, mask);
        let nm: usize = sm.iter().product();
        let mv = Tensor::from_vec((0..nm).map(|i| (m as usize + i % 2) as f64).collect::<Vec<f64>>(), &sm);
        let x = arr(&sx, &v, Dom::R(0.6, 5.0));
        let _ = u;
        check_grads(move |x: &Tensor| lax::polygamma(&mv, x), &x, 2);
    }

    /// `stop_gradient` has no derivative (finite differences would see the identity, so exact
    /// values instead): grad is 0, and `x * stop_gradient(x)` has gradient x, in both modes.
    #[test]
    fn prop_stop_gradient((shape, u) in shape_and_values()) {
        let x = arr(&shape, &u, Dom::R(-3.0, 3.0));
        let g = grad(|x: &Tensor| lax::stop_gradient(&lax::sin(x)).sum())(&x);
        prop_assert!(vals(&g).iter().all(|&v| v == 0.0));
        let (_, t) = jvp(|x: &Tensor| lax::stop_gradient(x), &x, &x);
        prop_assert!(vals(&t).iter().all(|&v| v == 0.0));
        let g = grad(|x: &Tensor| lax::mul(x, &lax::stop_gradient(x)).sum())(&x);
        prop_assert_eq!(vals(&g), vals(&x));
        let (_, t) = jvp(|x: &Tensor| lax::mul(x, &lax::stop_gradient(x)), &x, &Tensor::ones(x.shape(), DType::F64));
        prop_assert_eq!(vals(&t), vals(&x));
    }

    /// `select_n` with a bool selector (scalar or full) and two cases, and with an i32
    /// selector and three cases; linear in the cases.
    #[test]
    fn prop_select_n((shape, u) in shape_and_values(), scalar_which in any::<bool>(), bits in any::<u32>()) {
        let n: usize = shape.iter().product();
        let wshape: Vec<usize> = if scalar_which { vec![] } else { shape.clone() };
        let wn = if scalar_which { 1 } else { n };
        let which = Tensor::from_vec((0..wn).map(|i| bits >> (i % 32) & 1 == 1).collect::<Vec<bool>>(), &wshape);
        let a = arr(&shape, &u, Dom::R(-3.0, 3.0));
        let b = arr(&shape, &u[27..], Dom::R(-3.0, 3.0));
        let w = which.clone();
        check_grads(move |(a, b): &(Tensor, Tensor)| lax::select_n(&w, &[lax::sin(a), lax::mul(b, b)]), &(a.clone(), b.clone()), 2);
        let w = which.clone();
        let bc = b.clone();
        check_grads(move |a: &Tensor| lax::select_n(&w, &[lax::exp(a), bc.clone()]), &a, 2);
        let which3 = Tensor::from_vec((0..wn).map(|i| ((bits >> (2 * (i % 16))) % 3) as i32).collect::<Vec<i32>>(), &wshape);
        let c = arr(&shape, &u[13..], Dom::R(-3.0, 3.0));
        check_grads(move |(a, b, c): &(Tensor, Tensor, Tensor)| lax::select_n(&which3, &[a.clone(), lax::tanh(b), lax::mul(c, a)]), &(a, b, c), 2);
    }

    /// `clamp(lo, x, hi)` with scalar or full bounds, `x` below, inside and above, away from
    /// the bounds (and `x * x` away from them too, where it is the clamped value); in all
    /// three operands.
    #[test]
    fn prop_clamp((shape, u) in shape_and_values(), scalar_lo in any::<bool>(), scalar_hi in any::<bool>()) {
        let x = arr(&shape, &u, Dom::R(-3.0, 3.0));
        let lo = arr(if scalar_lo { &[] } else { &shape[..] }, &u[20..], Dom::R(-1.5, -0.5));
        let hi = arr(if scalar_hi { &[] } else { &shape[..] }, &u[40..], Dom::R(0.5, 1.5));
        prop_assume!(pairs(&x, &lo).iter().all(|&(a, b)| (a - b).abs() > 0.01));
        prop_assume!(pairs(&x, &hi).iter().all(|&(a, b)| (a - b).abs() > 0.01));
        // The first check clamps x*x: keep it away from the upper bound too (x*x >= 0 > lo).
        let xx = lax::mul(&x, &x);
        prop_assume!(pairs(&xx, &hi).iter().all(|&(a, b)| (a - b).abs() > 0.01));
        check_grads(|(lo, x, hi): &(Tensor, Tensor, Tensor)| lax::clamp(lo, &lax::mul(x, x), hi), &(lo.clone(), x.clone(), hi.clone()), 2);
        let (l, h) = (lo.clone(), hi.clone());
        check_grads(move |x: &Tensor| lax::clamp(&l, x, &h), &x, 2);
        let xc = x.clone();
        check_grads(move |(lo, hi): &(Tensor, Tensor)| lax::clamp(lo, &xc, hi), &(lo, hi), 2);
    }

    /// `convert_element_type` f32 → f64 (derivatives checked in f64) and f64 → f32 → f64.
    #[test]
    fn prop_convert_element_type((shape, u) in shape_and_values()) {
        let x32 = arr(&shape, &u, Dom::R(-2.0, 2.0)).cast(DType::F32);
        check_grads(|x: &Tensor| lax::sin(&lax::convert_element_type(x, DType::F64)), &x32, 2);
        let x64 = arr(&shape, &u, Dom::R(-1.0, 1.0));
        // The f32 round trip costs ~1e-7 relative, so finite differences need loose tolerances.
        let opts = GradCheckOptions { order: 2, eps: 1e-3, atol: Some(5e-3), rtol: Some(5e-3), ..Default::default() };
        let r = check_grads_with(
            |x: &Tensor| lax::convert_element_type(&lax::exp(&lax::convert_element_type(x, DType::F32)), DType::F64),
            &x64,
            &opts,
        );
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
        // The tangent of a float → float conversion is exactly the converted tangent.
        let (y, t) = jvp(|x: &Tensor| lax::convert_element_type(x, DType::F32), &x64, &x64);
        prop_assert_eq!(y.dtype(), DType::F32);
        prop_assert_eq!(t.to_vec::<f32>(), x64.cast(DType::F32).to_vec::<f32>());
        let g = grad(|x: &Tensor| lax::convert_element_type(x, DType::F64).sum())(&x32);
        prop_assert_eq!(g.dtype(), DType::F32);
        prop_assert!(g.to_vec::<f32>().iter().all(|&v| v == 1.0));
    }
}

// ---- Zero-derivative ops: exactly zero ------------------------------------------------------

#[test]
fn zero_derivative_ops_give_exact_zeros() {
    let x = Tensor::from_vec(vec![-2.7, -0.3, 0.2, 1.6, 2.5, 0.0], &[2, 3]);
    let ops: Vec<(&str, Un)> = vec![
        ("sign", lax::sign),
        ("floor", lax::floor),
        ("ceil", lax::ceil),
        ("round", |x| lax::round(x, lax::Rounding::AwayFromZero)),
        ("round_even", |x| {
            lax::round(x, lax::Rounding::ToNearestEven)
        }),
        ("stop_gradient", lax::stop_gradient),
        ("integer_pow_0", |x| lax::integer_pow(x, 0)),
        ("int_convert", |x| {
            lax::convert_element_type(&lax::convert_element_type(x, DType::I32), DType::F64)
        }),
        ("comparison", |x| {
            lax::convert_element_type(&lax::gt(x, &Tensor::scalar(0.5)), DType::F64)
        }),
        ("is_finite", |x| {
            lax::convert_element_type(&lax::is_finite(x), DType::F64)
        }),
        ("nextafter", |x| lax::nextafter(x, &Tensor::scalar(1.0))),
    ];
    for (name, f) in ops {
        let g =
            grad(move |x: &Tensor| (f(x) * x.sin()).sum() - (f(x) * x.sin()).sum() + f(x).sum())(
                &x,
            );
        assert!(
            vals(&g).iter().all(|&v| v == 0.0),
            "{name}: grad {:?}",
            vals(&g)
        );
        let (_, t) = jvp(f, &x, &Tensor::ones(&[2, 3], DType::F64));
        assert!(
            vals(&t).iter().all(|&v| v == 0.0),
            "{name}: jvp {:?}",
            vals(&t)
        );
        // Second order too (grad of grad of a sum of f).
        let gg = grad(move |x: &Tensor| grad(move |x: &Tensor| f(x).sum())(x).sum())(&x);
        assert!(
            vals(&gg).iter().all(|&v| v == 0.0),
            "{name}: second order {:?}",
            vals(&gg)
        );
    }
}

#[test]
fn stop_gradient_rules() {
    let x = Tensor::from_vec(vec![-1.5, 0.25, 2.0], &[3]);
    let g = grad(|x: &Tensor| lax::stop_gradient(&x.exp()).sum())(&x);
    assert_eq!(vals(&g), vec![0.0; 3]);
    // d/dx [x * stop_gradient(x)] = stop_gradient(x) = x, and its second derivative is 0.
    let g = grad(|x: &Tensor| lax::mul(x, &lax::stop_gradient(x)).sum())(&x);
    assert_eq!(vals(&g), vals(&x));
    // JAX: jax.grad(jax.grad(lambda x: x * lax.stop_gradient(x)))(1.) == 0.0: the inner
    // gradient is stop_gradient(x), which carries no tangent.
    let h =
        grad(|x: &Tensor| grad(|x: &Tensor| lax::mul(x, &lax::stop_gradient(x)).sum())(x).sum())(
            &x,
        );
    assert_eq!(vals(&h), vec![0.0; 3]);
    // Forward mode agrees.
    let (_, t) = jvp(
        |x: &Tensor| lax::mul(x, &lax::stop_gradient(x)),
        &x,
        &Tensor::ones(&[3], DType::F64),
    );
    assert_eq!(vals(&t), vals(&x));
}

// ---- Known values ---------------------------------------------------------------------------

#[test]
fn third_derivative_of_sin_is_minus_cos() {
    for &v in &[-2.0, -0.5, 0.0, 0.7, 3.0] {
        let x = c64(v);
        let d3 = grad(|x: &Tensor| grad(|x: &Tensor| grad(|x: &Tensor| x.sin())(x))(x))(&x)
            .item::<f64>();
        assert!((d3 + v.cos()).abs() < 1e-14, "sin''' at {v}: {d3}");
        // Forward over forward over forward.
        let one = c64(1.0);
        let d3f = jvp(
            |x: &Tensor| {
                jvp(
                    |x: &Tensor| jvp(|x: &Tensor| x.sin(), x, &c64(1.0)).1,
                    x,
                    &c64(1.0),
                )
                .1
            },
            &x,
            &one,
        )
        .1
        .item::<f64>();
        assert!((d3f + v.cos()).abs() < 1e-14, "fwd sin''' at {v}: {d3f}");
    }
}

/// The n-th derivative of `f` (nested `grad`).
fn nth_grad(
    n: usize,
    f: std::rc::Rc<dyn Fn(&Tensor) -> Tensor>,
) -> std::rc::Rc<dyn Fn(&Tensor) -> Tensor> {
    if n == 0 {
        return f;
    }
    let inner = nth_grad(n - 1, f);
    std::rc::Rc::new(move |x: &Tensor| {
        let inner = inner.clone();
        grad(move |x: &Tensor| inner(x))(x)
    })
}

/// The n-th derivative of `f` (nested `jvp` with unit tangents).
fn nth_jvp(
    n: usize,
    f: std::rc::Rc<dyn Fn(&Tensor) -> Tensor>,
) -> std::rc::Rc<dyn Fn(&Tensor) -> Tensor> {
    if n == 0 {
        return f;
    }
    let inner = nth_jvp(n - 1, f);
    std::rc::Rc::new(move |x: &Tensor| {
        let inner = inner.clone();
        jvp(
            move |x: &Tensor| inner(x),
            x,
            &Tensor::ones(x.shape(), x.dtype()),
        )
        .1
    })
}

#[test]
fn derivatives_of_powi_5_per_order() {
    let x = 1.3f64;
    let expected = [
        x.powi(5),
        5.0 * x.powi(4),
        20.0 * x.powi(3),
        60.0 * x.powi(2),
        120.0 * x,
        120.0,
        0.0,
        0.0,
    ];
    for make in [nth_grad, nth_jvp] {
        for (order, &want) in expected.iter().enumerate() {
            let d = make(order, std::rc::Rc::new(|x: &Tensor| x.powi(5)))(&c64(x)).item::<f64>();
            assert!(
                (d - want).abs() <= 1e-12 * want.abs().max(1.0),
                "order {order}: {d} vs {want}"
            );
        }
    }
    // Also through the `pow` primitive with a float exponent, at orders 1..=3.
    for (order, &want) in expected.iter().enumerate().take(4).skip(1) {
        let d = nth_grad(order, std::rc::Rc::new(|x: &Tensor| lax::pow(x, &c64(5.0))))(&c64(x))
            .item::<f64>();
        assert!(
            (d - want).abs() <= 1e-12 * want.abs(),
            "pow order {order}: {d} vs {want}"
        );
    }
}

#[test]
fn max_min_ties_split_the_gradient() {
    // JAX: jax.grad(lambda x, y: lax.max(x, y), argnums=(0, 1))(1., 1.) == (0.5, 0.5); same for min.
    for op in [lax::max as Bin, lax::min as Bin] {
        let (gx, gy) = grad(move |(x, y): &(Tensor, Tensor)| op(x, y))(&(c64(1.0), c64(1.0)));
        assert_eq!((gx.item::<f64>(), gy.item::<f64>()), (0.5, 0.5));
        // Ties elementwise with stretching: [2,1] vs [1,3].
        let x = Tensor::from_vec(vec![1.0, 2.0], &[2, 1]);
        let y = Tensor::from_vec(vec![1.0, 0.0, 2.0], &[1, 3]);
        let (gx, gy) = grad(move |(x, y): &(Tensor, Tensor)| op(x, y).sum())(&(x, y));
        let (ex, ey) = if op(&c64(0.0), &c64(1.0)).item::<f64>() == 1.0 {
            // max: row 0 = max(1, [1, 0, 2]) → x wins [0.5, 1, 0]; row 1 = max(2, [1, 0, 2]) → [1, 1, 0.5].
            (vec![1.5, 2.5], vec![0.5, 0.0, 1.5])
        } else {
            // min: row 0 = min(1, [1, 0, 2]) → x: [0.5, 0, 1]; row 1 = min(2, [1, 0, 2]) → x: [0, 0, 0.5].
            (vec![1.5, 0.5], vec![1.5, 2.0, 0.5])
        };
        assert_eq!(vals(&gx), ex);
        assert_eq!(vals(&gy), ey);
    }
    // JAX: jax.grad(lambda x: jnp.maximum(x, 0.))(0.) == 0.5.
    assert_eq!(
        grad(|x: &Tensor| lax::max(x, &c64(0.0)))(&c64(0.0)).item::<f64>(),
        0.5
    );
    assert_eq!(
        grad(|x: &Tensor| jnp::maximum(x, 0.0))(&c64(0.0)).item::<f64>(),
        0.5
    );
}

#[test]
fn abs_derivative_at_zero_is_one() {
    // JAX: jax.grad(lax.abs)(0.) == 1.0 (select(x >= 0, g, -g)).
    assert_eq!(grad(|x: &Tensor| lax::abs(x))(&c64(0.0)).item::<f64>(), 1.0);
    assert_eq!(
        grad(|x: &Tensor| lax::abs(x))(&c64(-0.0)).item::<f64>(),
        1.0
    );
    assert_eq!(
        grad(|x: &Tensor| lax::abs(x))(&c64(-2.0)).item::<f64>(),
        -1.0
    );
    let (_, t) = jvp(|x: &Tensor| lax::abs(x), &c64(0.0), &c64(3.0));
    assert_eq!(t.item::<f64>(), 3.0);
}

#[test]
fn pow_derivatives_at_zero() {
    // JAX: jax.grad(lambda x: lax.pow(x, 2.5))(0.) == 0.0, and the second derivative too.
    let d1 = grad(|x: &Tensor| lax::pow(x, &c64(2.5)))(&c64(0.0)).item::<f64>();
    assert_eq!(d1, 0.0);
    let d2 =
        grad(|x: &Tensor| grad(|x: &Tensor| lax::pow(x, &c64(2.5)))(x))(&c64(0.0)).item::<f64>();
    assert_eq!(d2, 0.0);
    // JAX: jax.grad(lambda y: lax.pow(0., y))(2.5) == 0.0 (log of a replaced zero).
    assert_eq!(
        grad(|y: &Tensor| lax::pow(&c64(0.0), y))(&c64(2.5)).item::<f64>(),
        0.0
    );
    // JAX: jax.grad(lambda x: lax.pow(x, 3))(0.) == 0.0 and jax.grad(lambda x: lax.pow(x, 0))(0.)
    // == 0.0 (the integer-exponent branch selects 0 where y == 0).
    let i = |v: i32| Tensor::scalar(v);
    assert_eq!(
        grad(move |x: &Tensor| lax::pow(x, &i(3)))(&c64(0.0)).item::<f64>(),
        0.0
    );
    assert_eq!(
        grad(move |x: &Tensor| lax::pow(x, &i(0)))(&c64(0.0)).item::<f64>(),
        0.0
    );
    assert_eq!(
        grad(move |x: &Tensor| lax::pow(x, &i(3)))(&c64(2.0)).item::<f64>(),
        12.0
    );
    // JAX: jax.grad(lambda x: lax.pow(x, 0.))(0.) is nan (0 * 0^-1, JAX's float-exponent rule);
    // ferrax follows JAX's rule.
    assert!(grad(|x: &Tensor| lax::pow(x, &c64(0.0)))(&c64(0.0))
        .item::<f64>()
        .is_nan());
    // integer_pow at 0 is finite for y ≥ 1.
    for y in 1..=4 {
        let d = grad(move |x: &Tensor| lax::integer_pow(x, y))(&c64(0.0)).item::<f64>();
        assert_eq!(d, if y == 1 { 1.0 } else { 0.0 }, "integer_pow y={y}");
    }
}

#[test]
fn digamma_derivative_is_trigamma() {
    for &v in &[0.3, 1.0, 2.5, 7.25] {
        let d = grad(|x: &Tensor| lax::digamma(x))(&c64(v)).item::<f64>();
        assert!(
            (d - polygamma_f64(1.0, v)).abs() <= 1e-13 * d.abs(),
            "digamma' at {v}"
        );
        let h = 1e-5;
        let fd = (ferrax::internals::prims::unary::digamma_f64(v + h)
            - ferrax::internals::prims::unary::digamma_f64(v - h))
            / (2.0 * h);
        assert!(
            (d - fd).abs() <= 1e-6 * d.abs(),
            "digamma' at {v}: {d} vs finite differences {fd}"
        );
        // lgamma'' = trigamma, lgamma''' = polygamma(2, x).
        let d2 = grad(|x: &Tensor| grad(|x: &Tensor| lax::lgamma(x))(x))(&c64(v)).item::<f64>();
        assert!((d2 - d).abs() <= 1e-14 * d.abs());
        let d3 = nth_grad(3, std::rc::Rc::new(|x: &Tensor| lax::lgamma(x)))(&c64(v)).item::<f64>();
        assert!((d3 - polygamma_f64(2.0, v)).abs() <= 1e-13 * d3.abs());
    }
    // JAX: jax.grad(jax.scipy.special.digamma)(7.25) == polygamma(1, 7.25) == 0.14787923315893217.
    let d = grad(|x: &Tensor| lax::digamma(x))(&c64(7.25)).item::<f64>();
    assert!((d - 0.14787923315893217).abs() < 1e-15);
}

#[test]
fn polygamma_known_values() {
    use std::f64::consts::PI;
    let close = |got: f64, want: f64| (got - want).abs() <= 1e-13 * want.abs();
    assert!(close(polygamma_f64(1.0, 1.0), PI * PI / 6.0));
    assert!(close(polygamma_f64(2.0, 1.0), -2.4041138063191885));
    assert!(close(polygamma_f64(1.0, 0.5), PI * PI / 2.0));
    // JAX: float(jax.scipy.special.polygamma(3, 2.5)) == 0.22390584881725223
    assert!(close(polygamma_f64(3.0, 2.5), 0.22390584881725223));
    // JAX: polygamma(4, 0.3) == -9883.468555496995; polygamma(1, 7.25) == 0.14787923315893217
    assert!(close(polygamma_f64(4.0, 0.3), -9883.468555496995));
    assert!(close(polygamma_f64(1.0, 7.25), 0.14787923315893217));
    assert_eq!(
        polygamma_f64(0.0, 1.0),
        ferrax::internals::prims::unary::digamma_f64(1.0)
    );
    assert!(polygamma_f64(1.5, 1.0).is_nan());
    assert!(polygamma_f64(-1.0, 1.0).is_nan());
    assert!(polygamma_f64(1.0, 0.0).is_nan());
    assert!(polygamma_f64(1.0, -2.0).is_nan());
    // Through the primitive, in f32 and f64.
    let p = lax::polygamma(&c64(1.0), &Tensor::from_vec(vec![1.0, 0.5], &[2]));
    assert!(close(vals(&p)[0], PI * PI / 6.0) && close(vals(&p)[1], PI * PI / 2.0));
    let p32 = lax::polygamma(&Tensor::scalar(2.0f32), &Tensor::scalar(1.0f32)).item::<f32>();
    assert!((p32 - (-2.404_113_8)).abs() < 1e-6);
}

#[test]
#[should_panic(expected = "polygamma")]
fn polygamma_in_the_order_is_not_differentiable() {
    let _ = grad(|m: &Tensor| lax::polygamma(m, &c64(2.0)))(&c64(1.0));
}

#[test]
fn clamp_at_the_bounds_matches_jax() {
    // JAX: jax.grad(lambda lo, x, hi: lax.clamp(lo, x, hi), argnums=(0, 1, 2)) at
    //   (1, 1, 2) → (0, 0, 0); (1, 2, 2) → (0, 0, 0); (1, 0, 2) → (1, 0, 0); (1, 3, 2) → (0, 0, 1);
    //   (1, 1.5, 2) → (0, 1, 0).
    let cases = [
        (1.0, 1.0, 2.0, [0.0, 0.0, 0.0]),
        (1.0, 2.0, 2.0, [0.0; 3]),
        (1.0, 0.0, 2.0, [1.0, 0.0, 0.0]),
        (1.0, 3.0, 2.0, [0.0, 0.0, 1.0]),
        (1.0, 1.5, 2.0, [0.0, 1.0, 0.0]),
    ];
    for (lo, x, hi, want) in cases {
        let (a, b, c) = grad(|(lo, x, hi): &(Tensor, Tensor, Tensor)| lax::clamp(lo, x, hi))(&(
            c64(lo),
            c64(x),
            c64(hi),
        ));
        assert_eq!(
            [a.item::<f64>(), b.item::<f64>(), c.item::<f64>()],
            want,
            "clamp({lo}, {x}, {hi})"
        );
    }
    // Scalar bounds with a shaped operand: the bounds' cotangents are summed.
    let x = Tensor::from_vec(vec![-3.0, 0.0, 3.0, 5.0], &[4]);
    let (a, b, c) = grad(|(lo, x, hi): &(Tensor, Tensor, Tensor)| lax::clamp(lo, x, hi).sum())(&(
        c64(-1.0),
        x,
        c64(1.0),
    ));
    assert_eq!(
        (a.item::<f64>(), vals(&b), c.item::<f64>()),
        (1.0, vec![0.0, 1.0, 0.0, 0.0], 2.0)
    );
}

#[test]
fn select_n_transpose_routes_cotangents() {
    let which = Tensor::from_vec(vec![0i32, 2, 1, 2], &[4]);
    let cases = (
        Tensor::ones(&[4], DType::F64),
        Tensor::ones(&[4], DType::F64),
        Tensor::ones(&[4], DType::F64),
    );
    let w = which.clone();
    let (a, b, c) = grad(move |(a, b, c): &(Tensor, Tensor, Tensor)| {
        lax::select_n(&w, &[a.clone(), b * 2.0, c * 3.0]).sum()
    })(&cases);
    assert_eq!(
        (vals(&a), vals(&b), vals(&c)),
        (
            vec![1.0, 0.0, 0.0, 0.0],
            vec![0.0, 0.0, 2.0, 0.0],
            vec![0.0, 3.0, 0.0, 3.0]
        )
    );
    // Scalar bool selector.
    let (a, b) = grad(|(a, b): &(Tensor, Tensor)| {
        lax::select_n(&Tensor::scalar(true), &[a.clone(), b.clone()]).sum()
    })(&(
        Tensor::ones(&[2], DType::F64),
        Tensor::ones(&[2], DType::F64),
    ));
    assert_eq!((vals(&a), vals(&b)), (vec![0.0, 0.0], vec![1.0, 1.0]));
}

#[test]
fn broadcast_cotangents_are_summed() {
    // x: [2,1], y: [1,3] → out [2,3]; d sum(x*y)/dx = Σ_j y_j, d/dy = Σ_i x_i.
    let x = Tensor::from_vec(vec![1.0, 2.0], &[2, 1]);
    let y = Tensor::from_vec(vec![3.0, 4.0, 5.0], &[1, 3]);
    let (gx, gy) = grad(|(x, y): &(Tensor, Tensor)| lax::mul(x, y).sum())(&(x.clone(), y.clone()));
    assert_eq!(
        (gx.shape(), vals(&gx)),
        (&[2usize, 1][..], vec![12.0, 12.0])
    );
    assert_eq!(
        (gy.shape(), vals(&gy)),
        (&[1usize, 3][..], vec![3.0, 3.0, 3.0])
    );
    // Rank-0 with [2,3].
    let s = c64(2.0);
    let m = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let (gs, gm) = grad(|(s, m): &(Tensor, Tensor)| lax::sub(s, m).sum())(&(s.clone(), m.clone()));
    assert_eq!(
        (gs.shape(), gs.item::<f64>(), vals(&gm)),
        (&[][..], 6.0, vec![-1.0; 6])
    );
    let (gs, gm) = grad(|(s, m): &(Tensor, Tensor)| lax::div(m, s).sum())(&(s, m));
    assert_eq!((gs.item::<f64>(), vals(&gm)), (-21.0 / 4.0, vec![0.5; 6]));
}

// ---- Golden jaxprs of derivatives -----------------------------------------------------------

#[test]
fn golden_grad_jaxpr() {
    // JAX: jax.make_jaxpr(jax.grad(lambda x, y: jnp.sum((jnp.sin(x) * 2 + y) * x)))(f32[3], f32[3])
    // (with `out_sharding=None` stripped from reduce_sum).
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let j = make_jaxpr(|(x, y): &(Tensor, Tensor)| {
        let y = y.clone();
        grad(move |x: &Tensor| ((x.sin() * 2.0 + &y) * x).sum())(x)
    })(&(x.clone(), x));
    let want = "\
{ lambda ; a:f32[3] b:f32[3]. let
    c:f32[3] = sin a
    d:f32[3] = cos a
    e:f32[3] = mul c 2.0:f32[]
    f:f32[3] = add e b
    g:f32[3] = mul f a
    _:f32[] = reduce_sum[axes=(0,)] g
    h:f32[3] = broadcast_in_dim 1.0:f32[]
    i:f32[3] = mul f h
    j:f32[3] = mul h a
    k:f32[3] = mul j 2.0:f32[]
    l:f32[3] = mul k d
    m:f32[3] = add_any i l
  in (m,) }";
    assert_eq!(j.to_string().trim_end(), want);
}

#[test]
fn golden_jvp_jaxprs() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let jp = |f: fn(&Tensor) -> Tensor| {
        make_jaxpr(move |(x, t): &(Tensor, Tensor)| jvp(f, x, t))(&(x.clone(), x.clone()))
            .to_string()
            .trim_end()
            .to_string()
    };
    // JAX: jax.make_jaxpr(lambda x, t: jax.jvp(jnp.sin, (x,), (t,)))(f32[3], f32[3])
    assert_eq!(
        jp(lax::sin),
        "{ lambda ; a:f32[3] b:f32[3]. let\n    c:f32[3] = sin a\n    d:f32[3] = cos a\n    e:f32[3] = mul b d\n  in (c, e) }"
    );
    // JAX (x64 scalars, same equations at f32[3]): jvp of atanh, acosh, exp2, erf_inv, abs.
    assert_eq!(
        jp(lax::atanh),
        "{ lambda ; a:f32[3] b:f32[3]. let\n    c:f32[3] = atanh a\n    d:f32[3] = add 1.0:f32[] a\n    e:f32[3] = integer_pow[y=-1] d\n    f:f32[3] = sub 1.0:f32[] a\n    g:f32[3] = div b f\n    h:f32[3] = mul e g\n  in (c, h) }"
    );
    assert_eq!(
        jp(lax::acosh),
        "{ lambda ; a:f32[3] b:f32[3]. let\n    c:f32[3] = acosh a\n    d:f32[3] = square a\n    e:f32[3] = sub d 1.0:f32[]\n    f:f32[3] = rsqrt e\n    g:f32[3] = mul b f\n  in (c, g) }"
    );
    assert_eq!(
        jp(lax::exp2),
        "{ lambda ; a:f32[3] b:f32[3]. let\n    c:f32[3] = exp2 a\n    d:f32[] = log 2.0:f32[]\n    e:f32[3] = mul b c\n    f:f32[3] = mul d e\n  in (c, f) }"
    );
    assert_eq!(
        jp(lax::abs),
        "{ lambda ; a:f32[3] b:f32[3]. let\n    c:f32[3] = abs a\n    d:bool[3] = ge a 0.0:f32[]\n    e:f32[3] = neg b\n    f:f32[3] = select_n d e b\n  in (c, f) }"
    );
}

#[test]
fn golden_binary_jvp_jaxprs() {
    let s = Tensor::scalar(1.0f32);
    let jp = |f: Bin| {
        make_jaxpr(move |(x, y, t, u): &(Tensor, Tensor, Tensor, Tensor)| {
            jvp(
                move |(x, y): &(Tensor, Tensor)| f(x, y),
                &(x.clone(), y.clone()),
                &(t.clone(), u.clone()),
            )
        })(&(s.clone(), s.clone(), s.clone(), s.clone()))
        .to_string()
        .trim_end()
        .to_string()
    };
    // JAX: jax.make_jaxpr(lambda x, y, t, u: jax.jvp(lax.add, (x, y), (t, u)))(1., 1., 1., 1.)
    assert_eq!(jp(lax::add), "{ lambda ; a:f32[] b:f32[] c:f32[] d:f32[]. let\n    e:f32[] = add a b\n    f:f32[] = add c d\n  in (e, f) }");
    assert_eq!(jp(lax::sub), "{ lambda ; a:f32[] b:f32[] c:f32[] d:f32[]. let\n    e:f32[] = sub a b\n    f:f32[] = sub c d\n  in (e, f) }");
    // JAX: same for lax.max
    assert_eq!(
        jp(lax::max),
        "{ lambda ; a:f32[] b:f32[] c:f32[] d:f32[]. let
    e:f32[] = max a b
    f:bool[] = eq a e
    g:f32[] = select_n f 0.0:f32[] 1.0:f32[]
    h:bool[] = eq b e
    i:f32[] = select_n h 1.0:f32[] 2.0:f32[]
    j:f32[] = div g i
    k:f32[] = mul c j
    l:bool[] = eq b e
    m:f32[] = select_n l 0.0:f32[] 1.0:f32[]
    n:bool[] = eq a e
    o:f32[] = select_n n 1.0:f32[] 2.0:f32[]
    p:f32[] = div m o
    q:f32[] = mul d p
    r:f32[] = add_any k q
  in (e, r) }"
    );
    // JAX: same for lax.atan2
    assert_eq!(
        jp(lax::atan2),
        "{ lambda ; a:f32[] b:f32[] c:f32[] d:f32[]. let
    e:f32[] = atan2 a b
    f:f32[] = square a
    g:f32[] = square b
    h:f32[] = add f g
    i:f32[] = div b h
    j:f32[] = mul c i
    k:f32[] = neg a
    l:f32[] = square a
    m:f32[] = square b
    n:f32[] = add l m
    o:f32[] = div k n
    p:f32[] = mul d o
    q:f32[] = add_any j p
  in (e, q) }"
    );
}

// ---- NaN-safety -----------------------------------------------------------------------------

/// The double-`where` pattern (JAX FAQ, jax #1052/#5798): `where(x > 0, sqrt(x), 0)` has a NaN
/// gradient at 0, because the untaken branch's derivative (∞) times the zero cotangent that
/// `select_n`'s transpose routes to it is `0 · ∞ = NaN`. Guarding the *input* of `sqrt` with
/// an inner `where` makes both branches finite.
#[test]
fn double_where_pattern() {
    let zero = c64(0.0);
    // JAX: jax.grad(lambda x: jnp.where(x > 0, jnp.sqrt(x), 0.))(0.) is nan.
    let single =
        grad(|x: &Tensor| jnp::where_(&lax::gt(x, &c64(0.0)), x.sqrt(), 0.0))(&zero).item::<f64>();
    assert!(single.is_nan());
    // JAX: jax.grad(lambda x: jnp.where(x > 0, jnp.sqrt(jnp.where(x > 0, x, 1.)), 0.))(0.) == 0.0
    let safe = |x: &Tensor| {
        let pos = lax::gt(x, &c64(0.0));
        jnp::where_(&pos, jnp::where_(&pos, x, 1.0).sqrt(), 0.0)
    };
    assert_eq!(grad(safe)(&zero).item::<f64>(), 0.0);
    assert_eq!(grad(safe)(&c64(4.0)).item::<f64>(), 0.25);
    let h = grad(|x: &Tensor| grad(safe)(x))(&zero).item::<f64>();
    assert_eq!(h, 0.0);
}

fn all_finite(t: &Tensor) -> bool {
    t.cast(DType::F64)
        .to_vec::<f64>()
        .iter()
        .all(|v| v.is_finite())
}

#[test]
fn nn_activations_have_finite_gradients() {
    let inf = f64::INFINITY;
    let inputs: Vec<(&str, Vec<f64>)> = vec![
        ("zeros", vec![0.0, 0.0, 0.0, 0.0]),
        ("huge", vec![1e30, -1e30, 0.0, 1.0]),
        ("all huge", vec![1e30, 1e30, -1e30, -1e30]),
        ("masked", vec![-inf, 0.5, -inf, 2.0]),
    ];
    let w = Tensor::from_vec(vec![0.3, -1.2, 0.7, 2.0], &[4]);
    type Act = fn(&Tensor) -> Tensor;
    let fns: Vec<(&str, Act)> = vec![
        ("relu", ferrax::nn::relu),
        ("sigmoid", ferrax::nn::sigmoid),
        ("softmax", |x| ferrax::nn::softmax(x, -1)),
        ("log_softmax", |x| ferrax::nn::log_softmax(x, -1)),
        ("logsumexp", |x| ferrax::nn::logsumexp(x, -1)),
    ];
    for dtype in [DType::F64, DType::F32] {
        for (iname, v) in &inputs {
            let x = Tensor::from_vec(v.clone(), &[4]).cast(dtype);
            let wd = w.cast(dtype);
            for (fname, f) in &fns {
                let f = *f;
                // log_softmax is -inf at masked entries; weight only the finite outputs so the
                // loss stays finite (as a masked cross-entropy would).
                let out = f(&x);
                let keep = lax::is_finite(&out);
                let wk = jnp::where_(&keep, &wd, 0.0);
                let wk2 = wk.clone();
                let keep2 = keep.clone();
                let loss = move |x: &Tensor| {
                    let y = f(x);
                    let y = jnp::where_(&keep2, &y, 0.0);
                    (y * &wk2).sum()
                };
                let g = grad(loss)(&x);
                assert!(
                    all_finite(&g),
                    "{fname} on {iname} ({dtype}): grad {:?}",
                    g.cast(DType::F64).to_vec::<f64>()
                );
                // Forward mode too.
                let (_, t) = jvp(
                    move |x: &Tensor| (jnp::where_(&keep, f(x), 0.0) * &wk).sum(),
                    &x,
                    &Tensor::ones(&[4], dtype),
                );
                assert!(
                    all_finite(&t),
                    "{fname} on {iname} ({dtype}): jvp {:?}",
                    t.cast(DType::F64).to_vec::<f64>()
                );
            }
        }
    }
}

#[test]
fn nn_gradient_values_at_special_points() {
    let x = Tensor::from_vec(vec![f64::NEG_INFINITY, 0.0, f64::NEG_INFINITY, 0.0], &[4]);
    // softmax of [-inf, 0, -inf, 0] = [0, .5, 0, .5]; d/dx_i Σ_j w_j p_j = p_i (w_i - Σ w p).
    let w = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[4]);
    let wc = w.clone();
    let g = grad(move |x: &Tensor| (ferrax::nn::softmax(x, -1) * &wc).sum())(&x);
    assert_eq!(vals(&g), vec![0.0, -0.5, 0.0, 0.5]);
    // logsumexp's gradient is softmax.
    let g = grad(|x: &Tensor| ferrax::nn::logsumexp(x, -1))(&x);
    assert_eq!(vals(&g), vec![0.0, 0.5, 0.0, 0.5]);
    // sigmoid' at ±1e30 is 0, at 0 is 1/4.
    let g = grad(|x: &Tensor| ferrax::nn::sigmoid(x).sum())(&Tensor::from_vec(
        vec![1e30, -1e30, 0.0],
        &[3],
    ));
    assert_eq!(vals(&g), vec![0.0, 0.0, 0.25]);
}

/// JAX: jax.grad(jax.nn.relu)(0.) == 0.0 (relu has a custom_jvp), while
/// jax.grad(lambda x: jnp.maximum(x, 0.))(0.) == 0.5. `ferrax::nn::relu` has the same
/// custom rule.
#[test]
fn nn_relu_grad_at_zero_matches_jax() {
    assert_eq!(
        grad(|x: &Tensor| ferrax::nn::relu(x))(&c64(0.0)).item::<f64>(),
        0.0
    );
}

#[test]
fn golden_shaped_jvp_jaxprs() {
    // JAX (float32 arrays of shape (3,)), e.g. for pow with a float exponent:
    //   jax.make_jaxpr(lambda x, y, t: jax.jvp(lambda x: lax.pow(x, y), (x,), (t,)))(
    //       jnp.ones(3), jnp.ones(3) * 2, jnp.ones(3))
    let v = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let yi = Tensor::from_vec(vec![2i32, 0, -1], &[3]);
    let show = |j: ClosedJaxpr| j.to_string().trim_end().to_string();
    let j = make_jaxpr(|(x, y, t): &(Tensor, Tensor, Tensor)| {
        let y = y.clone();
        jvp(move |x: &Tensor| lax::pow(x, &y), x, t)
    })(&(v.clone(), v.clone(), v.clone()));
    assert_eq!(
        show(j),
        "{ lambda ; a:f32[3] b:f32[3] c:f32[3]. let
    d:f32[3] = pow a b
    e:f32[3] = broadcast_in_dim 1.0:f32[]
    f:f32[3] = sub b e
    g:f32[3] = pow a f
    h:f32[3] = mul b g
    i:f32[3] = mul c h
  in (d, i) }"
    );
    // ... with an int32 exponent (jnp.ones(3, dtype='int32') * 2).
    let j = make_jaxpr(|(x, y, t): &(Tensor, Tensor, Tensor)| {
        let y = y.clone();
        jvp(move |x: &Tensor| lax::pow(x, &y), x, t)
    })(&(v.clone(), yi, v.clone()));
    assert_eq!(
        show(j),
        "{ lambda ; a:f32[3] b:i32[3] c:f32[3]. let
    d:f32[3] = pow a b
    e:f32[3] = convert_element_type[new_dtype=float32 weak_type=False] b
    f:bool[3] = eq e 0.0:f32[]
    g:f32[3] = broadcast_in_dim 0.0:f32[]
    h:bool[3] = eq e 0.0:f32[]
    i:f32[3] = broadcast_in_dim 1.0:f32[]
    j:f32[3] = select_n h e i
    k:f32[3] = broadcast_in_dim 1.0:f32[]
    l:f32[3] = sub e k
    m:f32[3] = pow a l
    n:f32[3] = mul j m
    o:f32[3] = select_n f n g
    p:f32[3] = mul c o
  in (d, p) }"
    );
    // lax.max in x only.
    let j = make_jaxpr(|(x, y, t): &(Tensor, Tensor, Tensor)| {
        let y = y.clone();
        jvp(move |x: &Tensor| lax::max(x, &y), x, t)
    })(&(v.clone(), v.clone(), v.clone()));
    assert_eq!(
        show(j),
        "{ lambda ; a:f32[3] b:f32[3] c:f32[3]. let
    d:f32[3] = max a b
    e:bool[3] = eq a d
    f:f32[3] = broadcast_in_dim 1.0:f32[]
    g:f32[3] = broadcast_in_dim 0.0:f32[]
    h:f32[3] = select_n e g f
    i:bool[3] = eq b d
    j:f32[3] = broadcast_in_dim 2.0:f32[]
    k:f32[3] = broadcast_in_dim 1.0:f32[]
    l:f32[3] = select_n i k j
    m:f32[3] = div h l
    n:f32[3] = mul c m
  in (d, n) }"
    );
    // lax.rem in y only.
    let j = make_jaxpr(|(x, y, t): &(Tensor, Tensor, Tensor)| {
        let x = x.clone();
        jvp(move |y: &Tensor| lax::rem(&x, y), y, t)
    })(&(v.clone(), v.clone(), v.clone()));
    assert_eq!(
        show(j),
        "{ lambda ; a:f32[3] b:f32[3] c:f32[3]. let
    d:f32[3] = rem a b
    e:f32[3] = neg c
    f:f32[3] = div a b
    g:f32[3] = sign f
    h:f32[3] = div a b
    i:f32[3] = abs h
    j:f32[3] = floor i
    k:f32[3] = mul g j
    l:f32[3] = mul e k
  in (d, l) }"
    );
    // lax.select_n(a > 0, a, b) in a only.
    let j = make_jaxpr(|(a, b, t): &(Tensor, Tensor, Tensor)| {
        let b = b.clone();
        jvp(
            move |a: &Tensor| {
                lax::select_n(
                    &lax::gt(a, &Tensor::scalar(0.0f32)),
                    &[a.clone(), b.clone()],
                )
            },
            a,
            t,
        )
    })(&(v.clone(), v.clone(), v.clone()));
    assert_eq!(
        show(j),
        "{ lambda ; a:f32[3] b:f32[3] c:f32[3]. let
    d:bool[3] = gt a 0.0:f32[]
    e:f32[3] = select_n d a b
    f:f32[3] = broadcast_in_dim 0.0:f32[]
    g:f32[3] = select_n d c f
  in (e, g) }"
    );
    // lax.clamp in all three operands.
    let j = make_jaxpr(|(a, b, c, t): &(Tensor, Tensor, Tensor, Tensor)| {
        jvp(
            |(a, b, c): &(Tensor, Tensor, Tensor)| lax::clamp(a, b, c),
            &(a.clone(), b.clone(), c.clone()),
            &(t.clone(), t.clone(), t.clone()),
        )
    })(&(v.clone(), v.clone(), v.clone(), v.clone()));
    assert_eq!(
        show(j),
        "{ lambda ; a:f32[3] b:f32[3] c:f32[3] d:f32[3]. let
    e:f32[3] = clamp a b c
    f:bool[3] = gt a b
    g:bool[3] = lt a c
    h:bool[3] = and f g
    i:f32[3] = broadcast_in_dim 0.0:f32[]
    j:f32[3] = select_n h i d
    k:bool[3] = gt b a
    l:bool[3] = lt b c
    m:bool[3] = and k l
    n:f32[3] = broadcast_in_dim 0.0:f32[]
    o:f32[3] = select_n m n d
    p:bool[3] = lt c b
    q:f32[3] = broadcast_in_dim 0.0:f32[]
    r:f32[3] = select_n p q d
    s:f32[3] = add_any j o
    t:f32[3] = add_any s r
  in (e, t) }"
    );
}

// ---- f32 and empty arrays -------------------------------------------------------------------

type Un = fn(&Tensor) -> Tensor;

/// Every differentiable unary op with a domain for it.
fn unary_table() -> Vec<(&'static str, Un, Dom)> {
    vec![
        ("neg", lax::neg, Dom::R(-3.0, 3.0)),
        ("sign", lax::sign, Dom::Away(0.1, 3.0)),
        ("floor", lax::floor, Dom::NonInt),
        ("ceil", lax::ceil, Dom::NonInt),
        (
            "round",
            |x| lax::round(x, lax::Rounding::AwayFromZero),
            Dom::NonInt,
        ),
        ("exp", lax::exp, Dom::R(-2.0, 2.0)),
        ("exp2", lax::exp2, Dom::R(-2.0, 2.0)),
        ("log", lax::log, Dom::R(0.5, 5.0)),
        ("log1p", lax::log1p, Dom::R(-0.5, 5.0)),
        ("expm1", lax::expm1, Dom::R(-2.0, 2.0)),
        ("tanh", lax::tanh, Dom::R(-2.0, 2.0)),
        ("logistic", lax::logistic, Dom::R(-4.0, 4.0)),
        ("sin", lax::sin, Dom::R(-4.0, 4.0)),
        ("cos", lax::cos, Dom::R(-4.0, 4.0)),
        ("tan", lax::tan, Dom::R(-1.0, 1.0)),
        ("asin", lax::asin, Dom::R(-0.7, 0.7)),
        ("acos", lax::acos, Dom::R(-0.7, 0.7)),
        ("atan", lax::atan, Dom::R(-4.0, 4.0)),
        ("sinh", lax::sinh, Dom::R(-2.0, 2.0)),
        ("cosh", lax::cosh, Dom::R(-2.0, 2.0)),
        ("asinh", lax::asinh, Dom::R(-4.0, 4.0)),
        ("acosh", lax::acosh, Dom::R(1.3, 4.0)),
        ("atanh", lax::atanh, Dom::R(-0.7, 0.7)),
        ("sqrt", lax::sqrt, Dom::R(0.5, 4.0)),
        ("rsqrt", lax::rsqrt, Dom::R(0.5, 4.0)),
        ("cbrt", lax::cbrt, Dom::Away(0.5, 4.0)),
        ("abs", lax::abs, Dom::Away(0.1, 3.0)),
        ("square", lax::square, Dom::R(-3.0, 3.0)),
        (
            "integer_pow_-2",
            |x| lax::integer_pow(x, -2),
            Dom::Away(0.8, 2.0),
        ),
        (
            "integer_pow_3",
            |x| lax::integer_pow(x, 3),
            Dom::R(-2.0, 2.0),
        ),
        ("erf", lax::erf, Dom::R(-2.0, 2.0)),
        ("erf_inv", lax::erf_inv, Dom::R(-0.7, 0.7)),
        ("lgamma", lax::lgamma, Dom::R(0.8, 5.0)),
        ("digamma", lax::digamma, Dom::R(0.8, 5.0)),
        ("copy", lax::copy, Dom::R(-3.0, 3.0)),
    ]
}

#[test]
fn unary_rules_in_f32() {
    // Autodiff runs in f32; check_grads takes finite differences in f64 and compares with
    // f32 tolerances (2e-3).
    let u: Vec<f64> = (0..6).map(|i| (i as f64 + 0.5) / 6.0).collect();
    for (name, f, dom) in unary_table() {
        let x = arr(&[2, 3], &u, dom).cast(DType::F32);
        let opts = GradCheckOptions {
            order: 2,
            ..Default::default()
        };
        if let Err(e) = check_grads_with(f, &x, &opts) {
            panic!("{name} (f32): {e}");
        }
        let (y, t) = jvp(f, &x, &x);
        assert_eq!((y.dtype(), t.dtype()), (DType::F32, DType::F32), "{name}");
    }
}

#[test]
fn rules_on_empty_arrays() {
    let u = [0.5];
    for (name, f, dom) in unary_table() {
        for shape in [&[0][..], &[2, 0]] {
            let x = arr(shape, &u, dom);
            let opts = GradCheckOptions {
                order: 2,
                ..Default::default()
            };
            if let Err(e) = check_grads_with(f, &x, &opts) {
                panic!("{name} on {shape:?}: {e}");
            }
            assert_eq!(
                grad(move |x: &Tensor| f(x).sum())(&x).shape(),
                shape,
                "{name}"
            );
        }
    }
    // Broadcasting to an empty result: [0,1] with [1,3], and rank 0 with [0].
    let bins: Vec<(&str, Bin)> = vec![
        ("add", lax::add),
        ("sub", lax::sub),
        ("mul", lax::mul),
        ("div", lax::div),
        ("max", lax::max),
        ("pow", lax::pow),
        ("atan2", lax::atan2),
    ];
    for (name, op) in bins {
        for (sx, sy) in [
            (vec![0, 1], vec![1, 3]),
            (vec![], vec![0]),
            (vec![0], vec![]),
        ] {
            let (x, y) = (
                arr(&sx, &u, Dom::R(1.0, 2.0)),
                arr(&sy, &[0.25], Dom::R(1.0, 2.0)),
            );
            check_binary(op, &x, &y);
            let (gx, gy) = grad(move |(x, y): &(Tensor, Tensor)| op(x, y).sum())(&(x, y));
            assert_eq!((gx.shape(), gy.shape()), (&sx[..], &sy[..]), "{name}");
            assert!(
                vals(&gx).iter().chain(&vals(&gy)).all(|&v| v == 0.0),
                "{name}: cotangents of an empty result are zero"
            );
        }
    }
}

#[test]
fn hessians_of_elementwise_functions_agree() {
    // hessian (= jacfwd(jacrev)) vs jacrev(jacrev) vs jacfwd(jacfwd) vs jacrev(jacfwd), for a
    // function mixing unary, binary (with stretching), select_n and clamp.
    let f = |x: &Tensor| {
        let a = lax::mul(&lax::sin(x), &lax::exp(&lax::neg(&lax::square(x))));
        let b = lax::div(
            &lax::atan2(x, &c64(1.5)),
            &lax::add(&lax::cosh(x), &c64(1.0)),
        );
        let s = lax::select_n(&lax::gt(x, &c64(0.0)), &[a.clone(), b.clone()]);
        let cl = lax::clamp(&c64(-0.5), &lax::tanh(&lax::mul(x, &c64(3.0))), &c64(0.5));
        (s + lax::pow(&lax::add(&lax::square(x), &c64(1.0)), &c64(1.5)) * cl).sum()
    };
    let x = Tensor::from_vec(vec![-1.1, -0.3, 0.05, 0.4, 1.7], &[5]);
    let h1 = hessian(f)(&x);
    let h2 = jacrev(jacrev(f))(&x);
    let h3 = jacfwd(jacfwd(f))(&x);
    let h4 = jacrev(jacfwd(f))(&x);
    assert_eq!(h1.shape(), &[5, 5]);
    let r = vals(&h1);
    for (k, h) in [h2, h3, h4].iter().enumerate() {
        for (a, b) in vals(h).iter().zip(&r) {
            assert!(
                (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
                "hessian way {k}: {a} vs {b}"
            );
        }
    }
    // Elementwise function: the Hessian is diagonal.
    for i in 0..5 {
        for j in 0..5 {
            if i != j {
                assert_eq!(r[i * 5 + j], 0.0);
            }
        }
    }
    check_grads(f, &x, 3);
}

#[test]
fn nn_fully_masked_rows() {
    // JAX: jax.grad(jax.nn.logsumexp)(jnp.array([-inf, -inf])) == [nan, nan], and
    // jax.grad(lambda x: jnp.sum(jax.nn.softmax(x) * jnp.arange(2.)))(same) == [nan, nan].
    let x = Tensor::from_vec(vec![f64::NEG_INFINITY; 2], &[2]);
    // Same here (documented, not a goal: a row with no unmasked entry has no softmax).
    let g = grad(|x: &Tensor| ferrax::nn::logsumexp(x, -1))(&x);
    assert!(vals(&g).iter().all(|v| v.is_nan()));
    let g = grad(|x: &Tensor| {
        (ferrax::nn::softmax(x, -1) * Tensor::from_vec(vec![0.0, 1.0], &[2])).sum()
    })(&x);
    assert!(vals(&g).iter().all(|v| v.is_nan()));
    // JAX: jax.grad(jax.nn.logsumexp)(jnp.array([1e30, 1e30, -1e30, -1e30])) == [0.5, 0.5, 0, 0].
    let g = grad(|x: &Tensor| ferrax::nn::logsumexp(x, -1))(&Tensor::from_vec(
        vec![1e30, 1e30, -1e30, -1e30],
        &[4],
    ));
    assert_eq!(vals(&g), vec![0.5, 0.5, 0.0, 0.0]);
}

#[test]
fn binary_rules_on_fixed_broadcast_shapes() {
    // Always-present cases of the stretching the property tests draw at random: [2,1] with
    // [1,3], rank 0 with [2,3] and [2,3] with rank 0 (values inside every op's domain: no
    // ties, no integer x/y for rem, positive bases for pow).
    let col = Tensor::from_vec(vec![2.3, -4.1], &[2, 1]);
    let row = Tensor::from_vec(vec![1.7, -0.9, 2.6], &[1, 3]);
    let s = c64(1.3);
    let m = Tensor::from_vec(vec![1.7, -0.9, 2.8, 0.6, -1.9, 3.1], &[2, 3]);
    let ops: Vec<(&str, Bin)> = vec![
        ("add", lax::add),
        ("add_any", lax::add_any),
        ("sub", lax::sub),
        ("mul", lax::mul),
        ("div", lax::div),
        ("rem", lax::rem),
        ("max", lax::max),
        ("min", lax::min),
        ("atan2", lax::atan2),
        ("pow", |x, y| lax::pow(&lax::abs(x), y)),
    ];
    for (name, op) in ops {
        for (x, y) in [(&col, &row), (&row, &col), (&s, &m), (&m, &s)] {
            let r =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check_binary(op, x, y)));
            assert!(r.is_ok(), "{name} on {:?} with {:?}", x.shape(), y.shape());
        }
    }
    // polygamma with a stretched order.
    let mm = Tensor::from_vec(vec![1.0, 2.0], &[2, 1]);
    check_grads(
        move |x: &Tensor| lax::polygamma(&mm, x),
        &Tensor::from_vec(vec![0.7, 1.9, 4.2], &[1, 3]),
        2,
    );
}

#[test]
fn golden_special_function_jvp_jaxprs() {
    // JAX (x64): jax.make_jaxpr(lambda x, t: jax.jvp(lax.erf_inv, (x,), (t,)))(.1, 1.), etc.
    let jp = |f: Un| {
        make_jaxpr(move |(x, t): &(Tensor, Tensor)| jvp(f, x, t))(&(c64(0.1), c64(1.0)))
            .to_string()
            .trim_end()
            .to_string()
    };
    assert_eq!(
        jp(lax::erf_inv),
        "{ lambda ; a:f64[] b:f64[]. let\n    c:f64[] = erf_inv a\n    d:f64[] = square c\n    e:f64[] = exp d\n    f:f64[] = mul b e\n    g:f64[] = mul 0.8862269254527579:f64[] f\n  in (c, g) }"
    );
    assert_eq!(
        jp(lax::erf),
        "{ lambda ; a:f64[] b:f64[]. let\n    c:f64[] = erf a\n    d:f64[] = square a\n    e:f64[] = neg d\n    f:f64[] = exp e\n    g:f64[] = mul b f\n    h:f64[] = mul 1.1283791670955126:f64[] g\n  in (c, h) }"
    );
    assert_eq!(jp(lax::lgamma), "{ lambda ; a:f64[] b:f64[]. let\n    c:f64[] = lgamma a\n    d:f64[] = digamma a\n    e:f64[] = mul b d\n  in (c, e) }");
    assert_eq!(
        jp(lax::digamma),
        "{ lambda ; a:f64[] b:f64[]. let\n    c:f64[] = digamma a\n    d:f64[] = polygamma 1.0:f64[] a\n    e:f64[] = mul b d\n  in (c, e) }"
    );
}
