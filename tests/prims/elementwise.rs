//! Tests for the elementwise primitive families (`prims::unary`, `prims::binary`,
//! `prims::elementwise`) through their public wrappers: `ferrax::lax`, `ferrax::numpy` and the
//! `Tensor` operators. Results are checked against independent references: Rust std and libm
//! per element, high-precision known values (computed with mpmath), identities, and a
//! reference broadcasting implementation written here.

use ferrax::lax;
use ferrax::lax::Rounding;
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use proptest::prelude::*;
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn t32(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}
fn t64(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}
fn ti(v: &[i32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}
fn tu(v: &[u32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}
fn tb(v: &[bool], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}
fn v1_32(v: &[f32]) -> Tensor {
    t32(v, &[v.len()])
}
fn v1_64(v: &[f64]) -> Tensor {
    t64(v, &[v.len()])
}

/// The elements of `t`, asserting its dtype first (`to_vec` would silently convert).
#[track_caller]
fn get<T: ferrax::tensor::ArrayElement>(t: &Tensor) -> Vec<T> {
    assert_eq!(
        t.dtype(),
        <T as ferrax::tensor::Element>::DTYPE,
        "unexpected dtype"
    );
    t.to_vec::<T>()
}

/// Kernels must return standard (row-major) layout: later kernels read flat slices.
#[track_caller]
fn assert_standard(t: &Tensor) {
    use ferrax::tensor::ArrayData as A;
    let ok = match t.array() {
        A::Bool(a) => a.is_standard_layout(),
        A::I32(a) => a.is_standard_layout(),
        A::U32(a) => a.is_standard_layout(),
        A::F32(a) => a.is_standard_layout(),
        A::F64(a) => a.is_standard_layout(),
        other => panic!(
            "assert_standard: no {} results expected here",
            other.dtype()
        ),
    };
    assert!(
        ok,
        "result of shape {:?} is not in standard layout",
        t.shape()
    );
}

fn close(got: f64, want: f64, rtol: f64, atol: f64) -> bool {
    if want.is_nan() {
        return got.is_nan();
    }
    if want.is_infinite() {
        return got == want;
    }
    got.is_finite() && (got - want).abs() <= atol + rtol * want.abs()
}

#[track_caller]
fn assert_close(got: &[f64], want: &[f64], rtol: f64, atol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            close(g, w, rtol, atol),
            "{what}[{i}]: got {g:e}, want {w:e}"
        );
    }
}

/// Bitwise equality, NaN equal to NaN (any payload), -0.0 distinct from 0.0.
fn same64(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}
fn same32(a: f32, b: f32) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

#[track_caller]
fn assert_same64(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(same64(g, w), "{what}[{i}]: got {g:?}, want {w:?}");
    }
}
#[track_caller]
fn assert_same32(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(same32(g, w), "{what}[{i}]: got {g:?}, want {w:?}");
    }
}

// Panic capture: a process-wide hook that, on threads that asked for it, records the panic
// location instead of printing; other threads get the default hook.
thread_local! {
    static CAPTURING: Cell<bool> = const { Cell::new(false) };
    static LOCATION: RefCell<Option<(String, u32)>> = const { RefCell::new(None) };
}
static HOOK: Once = Once::new();

struct Caught {
    msg: String,
    file: String,
    line: u32,
}

#[track_caller]
fn catch_panic<R>(f: impl FnOnce() -> R) -> Caught {
    HOOK.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(|c| c.get()) {
                let loc = info.location().map(|l| (l.file().to_string(), l.line()));
                LOCATION.with(|l| *l.borrow_mut() = loc);
            } else {
                prev(info);
            }
        }));
    });
    CAPTURING.with(|c| c.set(true));
    LOCATION.with(|l| *l.borrow_mut() = None);
    let r = catch_unwind(AssertUnwindSafe(f));
    CAPTURING.with(|c| c.set(false));
    let err = match r {
        Ok(_) => panic!("expected a panic, but the call returned"),
        Err(e) => e,
    };
    let msg = if let Some(s) = err.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = err.downcast_ref::<&str>() {
        s.to_string()
    } else {
        String::from("<non-string panic payload>")
    };
    let (file, line) = LOCATION.with(|l| l.borrow().clone()).unwrap_or_default();
    Caught { msg, file, line }
}

/// Asserts that `f` panics with a message containing every one of `needles`. (Calls through
/// a fn pointer report the callee's location, so this does not check the location.)
#[track_caller]
fn panic_message<R>(needles: &[&str], f: impl FnOnce() -> R) -> Caught {
    let c = catch_panic(f);
    for n in needles {
        assert!(
            c.msg.contains(n),
            "panic message {:?} does not contain {:?}",
            c.msg,
            n
        );
    }
    c
}

/// Asserts that `f` panics with a message containing every one of `needles`, at a location
/// in this test file.
#[track_caller]
fn assert_panics<R>(needles: &[&str], f: impl FnOnce() -> R) -> Caught {
    let c = panic_message(needles, f);
    assert!(
        c.file.ends_with("prims/elementwise.rs"),
        "panic location {}:{} is not the caller's file (message: {})",
        c.file,
        c.line,
        c.msg
    );
    c
}

// ---------------------------------------------------------------------------------------------
// Unary ops: per-element references
// ---------------------------------------------------------------------------------------------

type UFn = fn(&Tensor) -> Tensor;

/// A unary op with its f64 and f32 references and a domain for random inputs.
struct UnaryCase {
    name: &'static str,
    op: UFn,
    r64: fn(f64) -> f64,
    r32: fn(f32) -> f32,
    lo: f64,
    hi: f64,
    /// Relative tolerance for f64 (f32 uses a fixed 2e-6 against r32 and f64 refs).
    rtol: f64,
}

fn logistic_ref(x: f64) -> f64 {
    // One formula for all x (the kernel splits on the sign of x).
    1.0 / (1.0 + (-x).exp())
}

fn rsqrt_ref(x: f64) -> f64 {
    if x < 0.0 {
        f64::NAN
    } else if x == 0.0 {
        1.0 / x
    } else {
        x.powf(-0.5)
    }
}

fn sign_ref(x: f64) -> f64 {
    if x.is_nan() || x == 0.0 {
        x
    } else {
        x.signum()
    }
}

fn unary_cases() -> Vec<UnaryCase> {
    macro_rules! uc {
        ($name:literal, $op:expr, $r:expr, $r32:expr, $lo:expr, $hi:expr, $rtol:expr) => {
            UnaryCase {
                name: $name,
                op: $op,
                r64: $r,
                r32: $r32,
                lo: $lo,
                hi: $hi,
                rtol: $rtol,
            }
        };
    }
    vec![
        uc!("neg", lax::neg, |x| -x, |x| -x, -1e6, 1e6, 0.0),
        uc!(
            "sign",
            lax::sign,
            sign_ref,
            |x| sign_ref(x as f64) as f32,
            -1e6,
            1e6,
            0.0
        ),
        uc!("floor", lax::floor, f64::floor, f32::floor, -1e6, 1e6, 0.0),
        uc!("ceil", lax::ceil, f64::ceil, f32::ceil, -1e6, 1e6, 0.0),
        uc!("exp", lax::exp, f64::exp, f32::exp, -700.0, 700.0, 1e-15),
        uc!(
            "exp2",
            lax::exp2,
            f64::exp2,
            f32::exp2,
            -1000.0,
            1000.0,
            1e-15
        ),
        uc!("log", lax::log, f64::ln, f32::ln, 1e-6, 1e6, 1e-15),
        uc!(
            "log1p",
            lax::log1p,
            f64::ln_1p,
            f32::ln_1p,
            -0.999,
            1e6,
            1e-15
        ),
        uc!(
            "expm1",
            lax::expm1,
            f64::exp_m1,
            f32::exp_m1,
            -50.0,
            700.0,
            1e-15
        ),
        uc!("tanh", lax::tanh, f64::tanh, f32::tanh, -20.0, 20.0, 1e-15),
        uc!(
            "logistic",
            lax::logistic,
            logistic_ref,
            |x| logistic_ref(x as f64) as f32,
            -700.0,
            700.0,
            1e-13
        ),
        uc!("sin", lax::sin, f64::sin, f32::sin, -100.0, 100.0, 1e-15),
        uc!("cos", lax::cos, f64::cos, f32::cos, -100.0, 100.0, 1e-15),
        uc!("tan", lax::tan, f64::tan, f32::tan, -1.5, 1.5, 1e-15),
        uc!("asin", lax::asin, f64::asin, f32::asin, -1.0, 1.0, 1e-15),
        uc!("acos", lax::acos, f64::acos, f32::acos, -1.0, 1.0, 1e-15),
        uc!("atan", lax::atan, f64::atan, f32::atan, -1e6, 1e6, 1e-15),
        uc!(
            "sinh",
            lax::sinh,
            f64::sinh,
            f32::sinh,
            -700.0,
            700.0,
            1e-15
        ),
        uc!(
            "cosh",
            lax::cosh,
            f64::cosh,
            f32::cosh,
            -700.0,
            700.0,
            1e-15
        ),
        uc!(
            "asinh",
            lax::asinh,
            f64::asinh,
            f32::asinh,
            -1e6,
            1e6,
            1e-15
        ),
        uc!("acosh", lax::acosh, f64::acosh, f32::acosh, 1.0, 1e6, 1e-15),
        uc!(
            "atanh",
            lax::atanh,
            f64::atanh,
            f32::atanh,
            -0.999,
            0.999,
            1e-15
        ),
        uc!("sqrt", lax::sqrt, f64::sqrt, f32::sqrt, 0.0, 1e6, 0.0),
        uc!(
            "rsqrt",
            lax::rsqrt,
            rsqrt_ref,
            |x| rsqrt_ref(x as f64) as f32,
            1e-6,
            1e6,
            1e-15
        ),
        uc!("cbrt", lax::cbrt, f64::cbrt, f32::cbrt, -1e6, 1e6, 1e-15),
        uc!("abs", lax::abs, f64::abs, f32::abs, -1e6, 1e6, 0.0),
        uc!(
            "square",
            lax::square,
            |x| x.powi(2),
            |x| x.powi(2),
            -1e6,
            1e6,
            0.0
        ),
        uc!("erf", lax::erf, libm::erf, libm::erff, -6.0, 6.0, 1e-15),
        uc!(
            "lgamma",
            lax::lgamma,
            libm::lgamma,
            libm::lgammaf,
            1e-3,
            170.0,
            1e-14
        ),
    ]
}

/// A fixed grid across each op's domain, checked for f64 and f32.
#[test]
fn unary_ops_match_std_on_a_grid() {
    for c in unary_cases() {
        let n = 101;
        let xs: Vec<f64> = (0..n)
            .map(|i| c.lo + (c.hi - c.lo) * i as f64 / (n - 1) as f64)
            .collect();
        let got = get::<f64>(&(c.op)(&v1_64(&xs)));
        let want: Vec<f64> = xs.iter().map(|&x| (c.r64)(x)).collect();
        assert_close(&got, &want, c.rtol, 1e-300, &format!("{} f64", c.name));

        let xs32: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
        let got32 = get::<f32>(&(c.op)(&v1_32(&xs32)));
        let want32: Vec<f64> = xs32.iter().map(|&x| (c.r32)(x) as f64).collect();
        let got32d: Vec<f64> = got32.iter().map(|&v| v as f64).collect();
        assert_close(
            &got32d,
            &want32,
            2e-6,
            1e-30,
            &format!("{} f32 vs f32 std", c.name),
        );
    }
}

#[test]
fn unary_ops_preserve_shape_and_dtype() {
    for c in unary_cases() {
        for shape in [&[][..], &[0][..], &[2, 0][..], &[2, 3][..], &[1, 1, 1][..]] {
            let n: usize = shape.iter().product();
            let x32 = t32(&vec![0.5f32; n], shape);
            let y = (c.op)(&x32);
            assert_eq!(y.shape(), shape, "{} shape", c.name);
            assert_eq!(y.dtype(), DType::F32, "{} dtype", c.name);
            let x64 = t64(&vec![0.5f64; n], shape);
            let y = (c.op)(&x64);
            assert_eq!(y.shape(), shape, "{} shape", c.name);
            assert_eq!(y.dtype(), DType::F64, "{} dtype", c.name);
        }
    }
    for f in [
        lax::erf_inv as UFn,
        lax::digamma,
        lax::is_finite,
        lax::stop_gradient,
        lax::copy,
    ] {
        let y = f(&t32(&[], &[2, 0]));
        assert_eq!(y.shape(), &[2, 0]);
        let y = f(&Tensor::scalar(0.25f64));
        assert_eq!(y.shape(), &[] as &[usize]);
    }
}

#[test]
fn unary_on_scalars() {
    let x = Tensor::scalar(2.0f64);
    assert_eq!(get::<f64>(&lax::exp(&x)), vec![2f64.exp()]);
    assert_eq!(lax::exp(&x).shape(), &[] as &[usize]);
    assert_eq!(lax::sqrt(&Tensor::scalar(9.0f32)).item::<f32>(), 3.0);
    assert_eq!(lax::neg(&Tensor::scalar(5i32)).item::<i32>(), -5);
    assert!(!lax::not(&Tensor::scalar(true)).item::<bool>());
    assert!(!lax::is_finite(&Tensor::scalar(f32::NAN)).item::<bool>());
}

#[test]
fn unary_special_float_values() {
    let inf = f64::INFINITY;
    let nan = f64::NAN;
    let v = |f: UFn, xs: &[f64]| get::<f64>(&f(&v1_64(xs)));
    assert_same64(
        &v(lax::log, &[0.0, -0.0, -1.0, inf, 1.0]),
        &[-inf, -inf, nan, inf, 0.0],
        "log",
    );
    assert_same64(
        &v(lax::log1p, &[-1.0, -2.0, 0.0, -0.0]),
        &[-inf, nan, 0.0, -0.0],
        "log1p",
    );
    assert_same64(
        &v(lax::sqrt, &[-1.0, -0.0, 0.0, inf, 4.0]),
        &[nan, -0.0, 0.0, inf, 2.0],
        "sqrt",
    );
    assert_same64(
        &v(lax::rsqrt, &[4.0, 0.0, -0.0, -1.0, inf]),
        &[0.5, inf, -inf, nan, 0.0],
        "rsqrt",
    );
    assert_same64(
        &v(lax::exp, &[-inf, inf, nan, 0.0, 1000.0]),
        &[0.0, inf, nan, 1.0, inf],
        "exp",
    );
    assert_same64(
        &v(lax::exp2, &[10.0, -1.0, -inf]),
        &[1024.0, 0.5, 0.0],
        "exp2",
    );
    assert_same64(
        &v(lax::expm1, &[-inf, 0.0, -0.0]),
        &[-1.0, 0.0, -0.0],
        "expm1",
    );
    assert_same64(
        &v(lax::tanh, &[inf, -inf, -0.0]),
        &[1.0, -1.0, -0.0],
        "tanh",
    );
    assert_same64(
        &v(lax::logistic, &[-inf, inf, 0.0, nan, -1000.0, 1000.0]),
        &[0.0, 1.0, 0.5, nan, 0.0, 1.0],
        "logistic",
    );
    assert_same64(
        &v(lax::atanh, &[1.0, -1.0, 2.0]),
        &[inf, -inf, nan],
        "atanh",
    );
    assert_same64(&v(lax::acosh, &[1.0, 0.5, inf]), &[0.0, nan, inf], "acosh");
    assert_same64(
        &v(lax::asin, &[2.0, -1.0]),
        &[nan, -std::f64::consts::FRAC_PI_2],
        "asin",
    );
    assert_same64(
        &v(lax::acos, &[2.0, -1.0]),
        &[nan, std::f64::consts::PI],
        "acos",
    );
    assert_same64(
        &v(lax::atan, &[inf, -inf]),
        &[std::f64::consts::FRAC_PI_2, -std::f64::consts::FRAC_PI_2],
        "atan",
    );
    assert_same64(&v(lax::sin, &[inf, nan, -0.0]), &[nan, nan, -0.0], "sin");
    assert_same64(
        &v(lax::cbrt, &[-8.0, 27.0, -inf]),
        &[-2.0, 3.0, -inf],
        "cbrt",
    );
    assert_same64(
        &v(lax::abs, &[-0.0, -inf, nan, -3.5]),
        &[0.0, inf, nan, 3.5],
        "abs",
    );
    assert_same64(&v(lax::neg, &[0.0, -0.0, inf]), &[-0.0, 0.0, -inf], "neg");
    assert_same64(
        &v(lax::floor, &[-0.5, 0.5, -0.0, inf, nan]),
        &[-1.0, 0.0, -0.0, inf, nan],
        "floor",
    );
    assert_same64(&v(lax::ceil, &[-0.5, 0.5, inf]), &[-0.0, 1.0, inf], "ceil");
    assert_same64(
        &v(lax::square, &[-3.0, inf, nan]),
        &[9.0, inf, nan],
        "square",
    );
    assert_same64(
        &v(lax::erf, &[inf, -inf, 0.0, -0.0, nan]),
        &[1.0, -1.0, 0.0, -0.0, nan],
        "erf",
    );
    assert_same64(
        &v(lax::lgamma, &[1.0, 2.0, 0.0, -1.0, inf]),
        &[0.0, 0.0, inf, inf, inf],
        "lgamma",
    );
}

#[test]
fn sign_semantics() {
    let nan = f64::NAN;
    let got = get::<f64>(&lax::sign(&v1_64(&[
        -0.0,
        0.0,
        nan,
        -2.5,
        3.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ])));
    assert_same64(&got, &[-0.0, 0.0, nan, -1.0, 1.0, 1.0, -1.0], "sign f64");
    let got = get::<f32>(&lax::sign(&v1_32(&[-0.0, 0.0, f32::NAN, -1e-40, 7.0])));
    assert_same32(&got, &[-0.0, 0.0, f32::NAN, -1.0, 1.0], "sign f32");
    assert_eq!(
        get::<i32>(&lax::sign(&ti(&[-5, 0, 9, i32::MIN], &[4]))),
        vec![-1, 0, 1, -1]
    );
    assert_eq!(
        get::<u32>(&lax::sign(&tu(&[0, 1, u32::MAX], &[3]))),
        vec![0, 1, 1]
    );
}

#[test]
fn is_finite_semantics() {
    let y = lax::is_finite(&v1_64(&[
        1.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        -0.0,
        f64::MAX,
    ]));
    assert_eq!(get::<bool>(&y), vec![true, false, false, false, true, true]);
    let y = lax::is_finite(&t32(&[f32::NAN, 1.0, f32::INFINITY, 3.0], &[2, 2]));
    assert_eq!(y.shape(), &[2, 2]);
    assert_eq!(get::<bool>(&y), vec![false, true, false, true]);
    assert_panics(&["is_finite", "i32"], || lax::is_finite(&ti(&[1], &[1])));
}

#[test]
fn round_methods() {
    let xs = [
        0.5,
        1.5,
        2.5,
        -0.5,
        -1.5,
        -2.5,
        0.4,
        -0.6,
        3.0,
        f64::NAN,
        f64::INFINITY,
        -0.0,
    ];
    let away = get::<f64>(&lax::round(&v1_64(&xs), Rounding::AwayFromZero));
    assert_same64(
        &away,
        &[
            1.0,
            2.0,
            3.0,
            -1.0,
            -2.0,
            -3.0,
            0.0,
            -1.0,
            3.0,
            f64::NAN,
            f64::INFINITY,
            -0.0,
        ],
        "away",
    );
    let even = get::<f64>(&lax::round(&v1_64(&xs), Rounding::ToNearestEven));
    assert_same64(
        &even,
        &[
            0.0,
            2.0,
            2.0,
            -0.0,
            -2.0,
            -2.0,
            0.0,
            -1.0,
            3.0,
            f64::NAN,
            f64::INFINITY,
            -0.0,
        ],
        "even",
    );
    let xs32: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
    let away32 = get::<f32>(&lax::round(&v1_32(&xs32), Rounding::AwayFromZero));
    let want: Vec<f32> = xs32.iter().map(|x| x.round()).collect();
    assert_same32(&away32, &want, "away f32");
    let even32 = get::<f32>(&lax::round(&v1_32(&xs32), Rounding::ToNearestEven));
    let want: Vec<f32> = xs32.iter().map(|x| x.round_ties_even()).collect();
    assert_same32(&even32, &want, "even f32");
    // Large values are already integral.
    assert_eq!(
        get::<f32>(&lax::round(&v1_32(&[8388609.0]), Rounding::ToNearestEven)),
        vec![8388609.0]
    );
    assert_panics(&["round", "i32"], || {
        lax::round(&ti(&[1], &[1]), Rounding::AwayFromZero)
    });
}

#[test]
fn erf_known_values() {
    let x = v1_64(&[0.5, -0.5, 1.0, 2.0, 1e-10]);
    let want = [
        0.5204998778130465,
        -0.5204998778130465,
        0.8427007929497149,
        0.9953222650189527,
        1.1283791670955126e-10,
    ];
    assert_close(&get::<f64>(&lax::erf(&x)), &want, 1e-15, 0.0, "erf f64");
    let x32 = v1_32(&[0.5, -0.5, 1.0, 2.0]);
    let got: Vec<f64> = get::<f32>(&lax::erf(&x32))
        .iter()
        .map(|&v| v as f64)
        .collect();
    assert_close(&got, &want[..4], 1e-6, 0.0, "erf f32");
}

/// erf⁻¹ at exact double inputs, reference values from mpmath at 50 digits.
const ERF_INV_REF: [(f64, f64); 11] = [
    (0.5, 0.4769362762044699),
    (-0.9, -1.1630871536766743),
    (0.999, 2.3267537655135246),
    (0.999999, 3.458910737275499),
    (0.9999999999, 4.572824958544925),
    (0.99999999999999, 5.4725525174145355),
    (1e-10, 8.862269254527581e-11),
    (-0.3, -0.2724627147267543),
    (0.7, 0.7328690779592167),
    (0.9999999999999999, 5.8635847487551676),
    (-0.99999, -3.123413274341571),
];

#[test]
fn erf_inv_known_values_f64() {
    let xs: Vec<f64> = ERF_INV_REF.iter().map(|p| p.0).collect();
    let want: Vec<f64> = ERF_INV_REF.iter().map(|p| p.1).collect();
    let got = get::<f64>(&lax::erf_inv(&v1_64(&xs)));
    assert_close(&got, &want, 1e-14, 0.0, "erf_inv f64");
}

#[test]
fn erf_inv_known_values_f32_and_edges() {
    let got = get::<f32>(&lax::erf_inv(&v1_32(&[0.5, -0.5, 0.9, 0.0, -0.0])));
    let want = [
        0.4769362762044699f64,
        -0.4769362762044699,
        1.1630871536766743,
        0.0,
        -0.0,
    ];
    let got_d: Vec<f64> = got.iter().map(|&v| v as f64).collect();
    assert_close(&got_d, &want, 2e-7, 0.0, "erf_inv f32");
    assert!(got[4].is_sign_negative(), "erf_inv(-0.0) keeps the sign");
    let inf = f64::INFINITY;
    let edges = get::<f64>(&lax::erf_inv(&v1_64(&[
        1.0,
        -1.0,
        1.5,
        -2.0,
        f64::NAN,
        inf,
    ])));
    assert_same64(
        &edges,
        &[inf, -inf, f64::NAN, f64::NAN, f64::NAN, f64::NAN],
        "erf_inv edges",
    );
    let edges = get::<f32>(&lax::erf_inv(&v1_32(&[1.0, -1.0, 1.5])));
    assert_same32(
        &edges,
        &[f32::INFINITY, f32::NEG_INFINITY, f32::NAN],
        "erf_inv f32 edges",
    );
}

#[test]
fn erf_inv_round_trips() {
    // erf_inv(erf(x)) ≈ x where erf is well conditioned.
    let xs: Vec<f64> = (-60..=60).map(|i| i as f64 * 0.05).collect();
    let e = lax::erf(&v1_64(&xs));
    let back = get::<f64>(&lax::erf_inv(&e));
    assert_close(&back, &xs, 1e-12, 1e-15, "erf_inv(erf(x))");
    // erf(erf_inv(y)) ≈ y, and in the tails erfc(erf_inv(y)) ≈ 1 - y (exact for y ≥ 0.5).
    let ys: Vec<f64> = (0..2000)
        .map(|i| -0.9995 + 1.999 * i as f64 / 1999.0)
        .collect();
    let inv = get::<f64>(&lax::erf_inv(&v1_64(&ys)));
    let fwd: Vec<f64> = inv.iter().map(|&v| libm::erf(v)).collect();
    assert_close(&fwd, &ys, 1e-15, 1e-16, "erf(erf_inv(y))");
    let tails: Vec<f64> = (1..=30).map(|k| 1.0 - 0.5f64.powi(k)).collect();
    let inv = get::<f64>(&lax::erf_inv(&v1_64(&tails)));
    let erfc: Vec<f64> = inv.iter().map(|&v| libm::erfc(v)).collect();
    let one_minus: Vec<f64> = tails.iter().map(|&y| 1.0 - y).collect();
    assert_close(
        &erfc,
        &one_minus,
        1e-13,
        0.0,
        "erfc(erf_inv(y)) in the tail",
    );
}

#[test]
fn lgamma_known_values() {
    let sqrt_pi_ln = std::f64::consts::PI.sqrt().ln();
    let xs = [0.5, -0.5, 10.0, 0.1, 100.5, -2.5, 1e-8, 3.3];
    let want = [
        sqrt_pi_ln,
        1.2655121234846454,
        12.801827480081469,
        2.252712651734206,
        361.4355404677776,
        -0.056243716497674054,
        18.42068073818021,
        0.9870985778947345,
    ];
    assert_close(
        &get::<f64>(&lax::lgamma(&v1_64(&xs))),
        &want,
        1e-14,
        1e-15,
        "lgamma f64",
    );
    let xs32: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
    let got: Vec<f64> = get::<f32>(&lax::lgamma(&v1_32(&xs32)))
        .iter()
        .map(|&v| v as f64)
        .collect();
    // f32 inputs differ from the f64 ones by up to half an ulp; compare to the f64 lgamma of
    // the f32 input instead.
    let want32: Vec<f64> = xs32.iter().map(|&x| libm::lgamma(x as f64)).collect();
    assert_close(&got, &want32, 1e-6, 1e-6, "lgamma f32");
}

#[test]
fn digamma_known_values() {
    let xs = [
        1.0, 0.5, 2.0, 0.25, -0.5, 10.0, 100.0, 1e-8, -2.5, 3.7, 6.5, -10.3, 2.5,
    ];
    let want = [
        -0.5772156649015329,
        -1.9635100260214235,
        0.42278433509846713,
        -4.2274535333762655,
        0.03648997397857652,
        2.251752589066721,
        4.600161852738087,
        -100000000.57721564,
        1.103156640645243,
        1.1671535393615113,
        1.792911330399933,
        4.662403493582087,
        0.7031566406452432,
    ];
    assert_close(
        &get::<f64>(&lax::digamma(&v1_64(&xs))),
        &want,
        1e-13,
        1e-15,
        "digamma f64",
    );
    let xs32: Vec<f32> = [1.0f32, 0.5, 2.0, 10.0].to_vec();
    let got: Vec<f64> = get::<f32>(&lax::digamma(&v1_32(&xs32)))
        .iter()
        .map(|&v| v as f64)
        .collect();
    assert_close(
        &got,
        &[want[0], want[1], want[2], want[5]],
        1e-6,
        0.0,
        "digamma f32",
    );
    // Poles at non-positive integers give NaN (XLA); +inf gives +inf.
    let poles = get::<f64>(&lax::digamma(&v1_64(&[
        0.0,
        -1.0,
        -7.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ])));
    assert_same64(
        &poles,
        &[
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::INFINITY,
            f64::NAN,
        ],
        "digamma poles",
    );
    // Root near 1.4616: ψ ≈ 0 to absolute precision.
    let root = get::<f64>(&lax::digamma(&Tensor::scalar(1.4616321449683622f64)))[0];
    assert!(root.abs() < 1e-15, "digamma at its root: {root:e}");
}

#[test]
fn digamma_identities() {
    // ψ(x + 1) = ψ(x) + 1/x, and reflection ψ(1 - x) - ψ(x) = π cot(π x).
    let xs: Vec<f64> = (1..200)
        .map(|i| -9.95 + i as f64 * 0.1)
        .filter(|x| (x - x.round()).abs() > 1e-6)
        .collect();
    let x1: Vec<f64> = xs.iter().map(|x| x + 1.0).collect();
    let refl: Vec<f64> = xs.iter().map(|x| 1.0 - x).collect();
    let p = get::<f64>(&lax::digamma(&v1_64(&xs)));
    let p1 = get::<f64>(&lax::digamma(&v1_64(&x1)));
    let pr = get::<f64>(&lax::digamma(&v1_64(&refl)));
    for i in 0..xs.len() {
        let x = xs[i];
        let scale = 1.0 + p[i].abs() + (1.0 / x).abs();
        assert!(
            (p1[i] - (p[i] + 1.0 / x)).abs() < 1e-12 * scale,
            "recurrence at {x}: {} vs {}",
            p1[i],
            p[i] + 1.0 / x
        );
        let cot = std::f64::consts::PI / (std::f64::consts::PI * x).tan();
        let scale = 1.0 + pr[i].abs() + p[i].abs() + cot.abs();
        assert!(
            (pr[i] - p[i] - cot).abs() < 1e-12 * scale,
            "reflection at {x}"
        );
    }
}

#[test]
fn rsqrt_sqrt_identities() {
    let xs: Vec<f64> = (1..100).map(|i| i as f64 * 0.37).collect();
    let x = v1_64(&xs);
    let r = get::<f64>(&lax::rsqrt(&x));
    let s = get::<f64>(&lax::sqrt(&x));
    for i in 0..xs.len() {
        assert!((r[i] * s[i] - 1.0).abs() < 4e-16, "rsqrt*sqrt at {}", xs[i]);
        assert!(
            (r[i] * r[i] * xs[i] - 1.0).abs() < 8e-16,
            "rsqrt^2*x at {}",
            xs[i]
        );
        assert!(
            (s[i] * s[i] / xs[i] - 1.0).abs() < 8e-16,
            "sqrt^2/x at {}",
            xs[i]
        );
    }
    let sq = get::<f64>(&lax::square(&lax::sqrt(&x)));
    assert_close(&sq, &xs, 4e-16, 0.0, "square(sqrt)");
    let c = get::<f64>(&lax::integer_pow(&lax::cbrt(&x), 3));
    assert_close(&c, &xs, 1e-15, 0.0, "cbrt^3");
}

#[test]
fn integer_unary_ops_wrap() {
    let x = ti(&[i32::MIN, -5, 0, 7, i32::MAX], &[5]);
    assert_eq!(
        get::<i32>(&lax::neg(&x)),
        vec![i32::MIN, 5, 0, -7, -i32::MAX]
    );
    assert_eq!(get::<i32>(&lax::abs(&x)), vec![i32::MIN, 5, 0, 7, i32::MAX]);
    assert_eq!(get::<i32>(&lax::square(&x)), vec![0, 25, 0, 49, 1]);
    assert_eq!(
        get::<i32>(&lax::not(&x)),
        vec![i32::MAX, 4, -1, -8, i32::MIN]
    );
    let u = tu(&[0, 1, 5, u32::MAX], &[4]);
    assert_eq!(
        get::<u32>(&lax::neg(&u)),
        vec![0, u32::MAX, u32::MAX - 4, 1]
    );
    assert_eq!(get::<u32>(&lax::abs(&u)), vec![0, 1, 5, u32::MAX]);
    assert_eq!(get::<u32>(&lax::square(&u)), vec![0, 1, 25, 1]);
    assert_eq!(
        get::<u32>(&lax::not(&u)),
        vec![u32::MAX, u32::MAX - 1, !5u32, 0]
    );
    assert_eq!(
        get::<bool>(&lax::not(&tb(&[true, false], &[2]))),
        vec![false, true]
    );
    // Tensor `-` is lax.neg.
    assert_eq!(get::<i32>(&-&x), get::<i32>(&lax::neg(&x)));
}

#[test]
fn integer_pow_semantics() {
    let x = v1_64(&[2.0, -3.0, 0.5, 0.0, -0.0, f64::NAN, f64::INFINITY]);
    assert_same64(
        &get::<f64>(&lax::integer_pow(&x, 3)),
        &[8.0, -27.0, 0.125, 0.0, -0.0, f64::NAN, f64::INFINITY],
        "y=3",
    );
    assert_same64(&get::<f64>(&lax::integer_pow(&x, 0)), &[1.0; 7], "y=0");
    assert_same64(
        &get::<f64>(&lax::integer_pow(&x, 1)),
        &get::<f64>(&x),
        "y=1",
    );
    assert_same64(
        &get::<f64>(&lax::integer_pow(&x, -2)),
        &[
            0.25,
            1.0 / 9.0,
            4.0,
            f64::INFINITY,
            f64::INFINITY,
            f64::NAN,
            0.0,
        ],
        "y=-2",
    );
    assert_same64(
        &get::<f64>(&lax::integer_pow(&x, -1)),
        &[
            0.5,
            -1.0 / 3.0,
            2.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            0.0,
        ],
        "y=-1",
    );
    let bases: Vec<f64> = (1..50).map(|i| i as f64 * 0.13 - 3.0).collect();
    for y in [-7, -3, 2, 5, 10, 17] {
        let got = get::<f64>(&lax::integer_pow(&v1_64(&bases), y));
        let want: Vec<f64> = bases.iter().map(|&b| b.powf(y as f64)).collect();
        assert_close(&got, &want, 1e-14, 0.0, &format!("integer_pow y={y}"));
        let b32: Vec<f32> = bases.iter().map(|&b| b as f32).collect();
        let got = get::<f32>(&lax::integer_pow(&v1_32(&b32), y));
        let want: Vec<f64> = b32.iter().map(|&b| (b as f64).powf(y as f64)).collect();
        let got_d: Vec<f64> = got.iter().map(|&v| v as f64).collect();
        assert_close(&got_d, &want, 5e-6, 0.0, &format!("integer_pow f32 y={y}"));
    }
    let i = ti(&[2, -3, 0, 1, -1, 46341], &[6]);
    assert_eq!(
        get::<i32>(&lax::integer_pow(&i, 3)),
        vec![8, -27, 0, 1, -1, 46341i32.wrapping_pow(3)]
    );
    assert_eq!(get::<i32>(&lax::integer_pow(&i, 0)), vec![1; 6]);
    assert_eq!(
        get::<i32>(&lax::integer_pow(&ti(&[2], &[1]), 31)),
        vec![i32::MIN]
    );
    assert_eq!(
        get::<u32>(&lax::integer_pow(&tu(&[2, 3], &[2]), 32)),
        vec![0, 3u32.wrapping_pow(32)]
    );
    assert_panics(&["integer_pow", "negative", "i32"], || {
        lax::integer_pow(&i, -1)
    });
    assert_panics(&["integer_pow", "bool"], || {
        lax::integer_pow(&tb(&[true], &[1]), 2)
    });
    assert_eq!(get::<f32>(&Tensor::scalar(3.0f32).powi(2)), vec![9.0]);
}

#[test]
fn identity_ops_every_dtype() {
    for x in [
        v1_32(&[1.0, -0.0, f32::NAN]),
        v1_64(&[2.0]),
        ti(&[1, 2], &[2]),
        tu(&[3], &[1]),
        tb(&[true, false], &[1, 2]),
    ] {
        for f in [lax::stop_gradient as UFn, lax::copy] {
            let y = f(&x);
            assert_eq!(y.dtype(), x.dtype());
            assert_eq!(y.shape(), x.shape());
            assert_eq!(format!("{:?}", y.array()), format!("{:?}", x.array()));
        }
    }
}

#[test]
fn unary_dtype_errors_name_the_op() {
    let i = ti(&[1, 2], &[2]);
    let b = tb(&[true], &[1]);
    let f = v1_32(&[1.0]);
    for (name, op) in [
        ("sin", lax::sin as UFn),
        ("exp", lax::exp),
        ("log", lax::log),
        ("sqrt", lax::sqrt),
        ("erf_inv", lax::erf_inv),
        ("digamma", lax::digamma),
        ("floor", lax::floor),
    ] {
        panic_message(&[name, "i32[2]"], || op(&i));
        panic_message(&[name, "bool[1]"], || op(&b));
    }
    assert_panics(&["exp", "i32[2]"], || lax::exp(&i));
    assert_panics(&["lgamma", "bool[1]"], || lax::lgamma(&b));
    assert_panics(&["tanh", "u32"], || lax::tanh(&tu(&[1], &[1])));
    assert_panics(&["neg", "bool"], || lax::neg(&b));
    assert_panics(&["abs", "bool"], || lax::abs(&b));
    assert_panics(&["sign", "bool"], || lax::sign(&b));
    assert_panics(&["not", "f32"], || lax::not(&f));
    let here = line!() + 1;
    let c = assert_panics(&["sin", "i32"], || lax::sin(&i));
    assert_eq!(c.line, here, "panic should point at the calling line");
}

// ---------------------------------------------------------------------------------------------
// Binary ops
// ---------------------------------------------------------------------------------------------

type BFn = fn(&Tensor, &Tensor) -> Tensor;

fn max_ref(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a >= b {
        a
    } else {
        b
    }
}
fn min_ref(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a <= b {
        a
    } else {
        b
    }
}

/// nextafter from the bit pattern (independent of libm).
fn next_after_ref(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == y {
        return y;
    }
    if x == 0.0 {
        return f64::from_bits(1).copysign(y);
    }
    let b = x.to_bits();
    let away_from_zero = (y > x) == (x > 0.0);
    f64::from_bits(if away_from_zero { b + 1 } else { b - 1 })
}
fn next_after_ref32(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        return f32::NAN;
    }
    if x == y {
        return y;
    }
    if x == 0.0 {
        return f32::from_bits(1).copysign(y);
    }
    let b = x.to_bits();
    let away_from_zero = (y > x) == (x > 0.0);
    f32::from_bits(if away_from_zero { b + 1 } else { b - 1 })
}

/// Float binary ops with their references; `exact` means bitwise equality is expected.
/// (name, op, reference, exact)
type FloatBinaryCase = (&'static str, BFn, fn(f64, f64) -> f64, bool);
type ComparisonCase = (&'static str, BFn, fn(f64, f64) -> bool);

fn float_binary_cases() -> Vec<FloatBinaryCase> {
    vec![
        ("add", lax::add, |a, b| a + b, true),
        ("add_any", lax::add_any, |a, b| a + b, true),
        ("sub", lax::sub, |a, b| a - b, true),
        ("mul", lax::mul, |a, b| a * b, true),
        ("div", lax::div, |a, b| a / b, true),
        ("rem", lax::rem, libm::fmod, true),
        ("pow", lax::pow, f64::powf, false),
        ("max", lax::max, max_ref, true),
        ("min", lax::min, min_ref, true),
        ("atan2", lax::atan2, f64::atan2, false),
        ("nextafter", lax::nextafter, next_after_ref, true),
    ]
}

fn comparison_cases() -> Vec<ComparisonCase> {
    vec![
        ("eq", lax::eq, |a, b| a == b),
        ("ne", lax::ne, |a, b| a != b),
        ("lt", lax::lt, |a, b| a < b),
        ("le", lax::le, |a, b| a <= b),
        ("gt", lax::gt, |a, b| a > b),
        ("ge", lax::ge, |a, b| a >= b),
    ]
}

const SPECIALS: [f64; 12] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    2.5,
    -7.0,
    3.0,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    1e-310,
    0.5,
];

#[test]
fn float_binary_ops_on_special_value_pairs() {
    let mut a = Vec::new();
    let mut b = Vec::new();
    for &x in &SPECIALS {
        for &y in &SPECIALS {
            a.push(x);
            b.push(y);
        }
    }
    for (name, op, r, exact) in float_binary_cases() {
        let got = get::<f64>(&op(&v1_64(&a), &v1_64(&b)));
        let want: Vec<f64> = a.iter().zip(&b).map(|(&x, &y)| r(x, y)).collect();
        if exact {
            for i in 0..a.len() {
                let ok = same64(got[i], want[i])
                    || (got[i] == 0.0 && want[i] == 0.0 && matches!(name, "max" | "min"));
                assert!(
                    ok,
                    "{name}({}, {}) = {:?}, want {:?}",
                    a[i], b[i], got[i], want[i]
                );
            }
        } else {
            assert_close(&got, &want, 1e-15, 0.0, name);
        }
        // f32 against the same reference evaluated in f32 precision.
        let a32: Vec<f32> = a.iter().map(|&x| x as f32).collect();
        let b32: Vec<f32> = b.iter().map(|&x| x as f32).collect();
        let got = get::<f32>(&op(&v1_32(&a32), &v1_32(&b32)));
        for i in 0..a.len() {
            let want = if name == "nextafter" {
                next_after_ref32(a32[i], b32[i])
            } else {
                r(a32[i] as f64, b32[i] as f64) as f32
            };
            let ok = same32(got[i], want)
                || (exact && got[i] == 0.0 && want == 0.0 && matches!(name, "max" | "min"))
                || (!exact && close(got[i] as f64, want as f64, 1e-6, 0.0));
            assert!(
                ok,
                "{name} f32({}, {}) = {:?}, want {:?}",
                a32[i], b32[i], got[i], want
            );
        }
    }
}

#[test]
fn max_min_propagate_nan() {
    let nan = f64::NAN;
    let a = v1_64(&[nan, 1.0, nan, f64::NEG_INFINITY, 2.0]);
    let b = v1_64(&[1.0, nan, nan, 3.0, -1.0]);
    assert_same64(
        &get::<f64>(&lax::max(&a, &b)),
        &[nan, nan, nan, 3.0, 2.0],
        "max",
    );
    assert_same64(
        &get::<f64>(&lax::min(&a, &b)),
        &[nan, nan, nan, f64::NEG_INFINITY, -1.0],
        "min",
    );
    let a = v1_32(&[f32::NAN, 1.0]);
    let b = v1_32(&[1.0, f32::NAN]);
    assert!(get::<f32>(&lax::max(&a, &b)).iter().all(|v| v.is_nan()));
    assert!(get::<f32>(&lax::min(&a, &b)).iter().all(|v| v.is_nan()));
    // Through the numpy layer and Tensor methods too.
    assert!(get::<f32>(&a.maximum(0.0))[0].is_nan());
    assert!(get::<f32>(&a.minimum(&b)).iter().all(|v| v.is_nan()));
}

#[test]
fn nextafter_known_values() {
    let got = get::<f32>(&lax::nextafter(
        &Tensor::scalar(1.0f32),
        &Tensor::scalar(2.0f32),
    ));
    assert_eq!(got[0] as f64, 1.0000001192092896);
    let got = get::<f32>(&lax::nextafter(
        &v1_32(&[1.0, 0.0, 0.0, -0.0, 5.0]),
        &v1_32(&[0.0, 1.0, -1.0, 0.0, 5.0]),
    ));
    assert_same32(
        &got,
        &[
            1.0 - f32::EPSILON / 2.0,
            f32::from_bits(1),
            -f32::from_bits(1),
            0.0,
            5.0,
        ],
        "nextafter f32",
    );
    let got = get::<f64>(&lax::nextafter(
        &v1_64(&[1.0, f64::MAX, 1.0]),
        &v1_64(&[2.0, f64::INFINITY, f64::NAN]),
    ));
    assert_same64(
        &got,
        &[1.0 + f64::EPSILON, f64::INFINITY, f64::NAN],
        "nextafter f64",
    );
    assert_panics(&["nextafter", "i32"], || {
        lax::nextafter(&ti(&[1], &[1]), &ti(&[2], &[1]))
    });
}

#[test]
fn pow_and_atan2_values() {
    let got = get::<f64>(&lax::pow(
        &v1_64(&[2.0, 4.0, -8.0, 0.0, 1.0, f64::NAN]),
        &v1_64(&[10.0, 0.5, 1.0 / 3.0, -1.0, f64::NAN, 0.0]),
    ));
    assert_same64(
        &got,
        &[1024.0, 2.0, f64::NAN, f64::INFINITY, 1.0, 1.0],
        "pow",
    );
    // pow accepts an i32 exponent with a float base (lax.pow's mixed form).
    let got = get::<f32>(&lax::pow(&v1_32(&[2.0, 3.0, 2.0]), &ti(&[3, 0, -2], &[3])));
    assert_eq!(got, vec![8.0, 1.0, 0.25]);
    let got = get::<f64>(&lax::pow(&t64(&[2.0, 3.0], &[2, 1]), &Tensor::scalar(2i32)));
    assert_eq!(got, vec![4.0, 9.0]);
    assert_panics(&["pow", "i32"], || {
        lax::pow(&ti(&[2], &[1]), &ti(&[2], &[1]))
    });
    let got = get::<f64>(&lax::atan2(
        &v1_64(&[1.0, 1.0, -1.0, 0.0, -0.0]),
        &v1_64(&[1.0, -1.0, -1.0, -1.0, -1.0]),
    ));
    let pi = std::f64::consts::PI;
    assert_close(
        &got,
        &[pi / 4.0, 3.0 * pi / 4.0, -3.0 * pi / 4.0, pi, -pi],
        1e-15,
        0.0,
        "atan2",
    );
}

#[test]
fn integer_division_and_remainder() {
    let a = ti(&[-7, 7, -7, 7, 5, -5, i32::MIN, i32::MIN, 0], &[9]);
    let b = ti(&[2, 2, -2, -2, 0, 0, -1, 1, 0], &[9]);
    assert_eq!(
        get::<i32>(&lax::div(&a, &b)),
        vec![-3, 3, 3, -3, -1, -1, i32::MIN, i32::MIN, -1]
    );
    assert_eq!(
        get::<i32>(&lax::rem(&a, &b)),
        vec![-1, 1, -1, 1, 5, -5, 0, 0, 0]
    );
    let r = get::<i32>(&lax::rem(&ti(&[-7, 7, -7], &[3]), &ti(&[3, -3, -3], &[3])));
    assert_eq!(r, vec![-1, 1, -1]);
    let ua = tu(&[7, 0, u32::MAX, 9], &[4]);
    let ub = tu(&[2, 0, 0, 4], &[4]);
    assert_eq!(
        get::<u32>(&lax::div(&ua, &ub)),
        vec![3, u32::MAX, u32::MAX, 2]
    );
    assert_eq!(get::<u32>(&lax::rem(&ua, &ub)), vec![1, 0, u32::MAX, 1]);
    // Float rem takes the dividend's sign too (fmod).
    let got = get::<f64>(&lax::rem(
        &v1_64(&[-7.0, 7.0, 5.5, -0.0]),
        &v1_64(&[3.0, -3.0, 2.0, 1.0]),
    ));
    assert_same64(&got, &[-1.0, 1.0, 1.5, -0.0], "float rem");
    assert_same64(
        &get::<f64>(&lax::rem(&v1_64(&[1.0]), &v1_64(&[0.0]))),
        &[f64::NAN],
        "x % 0.0",
    );
}

#[test]
fn integer_arithmetic_wraps() {
    let a = ti(&[i32::MAX, i32::MIN, 3, -4], &[4]);
    let b = ti(&[1, 1, i32::MAX, 5], &[4]);
    assert_eq!(
        get::<i32>(&lax::add(&a, &b)),
        vec![i32::MIN, i32::MIN + 1, i32::MIN + 2, 1]
    );
    assert_eq!(
        get::<i32>(&lax::sub(&a, &b)),
        vec![i32::MAX - 1, i32::MAX, 3 - i32::MAX, -9]
    );
    assert_eq!(
        get::<i32>(&lax::mul(&a, &b)),
        vec![i32::MAX, i32::MIN, 3i32.wrapping_mul(i32::MAX), -20]
    );
    assert_eq!(
        get::<i32>(&lax::max(&a, &b)),
        vec![i32::MAX, 1, i32::MAX, 5]
    );
    assert_eq!(get::<i32>(&lax::min(&a, &b)), vec![1, i32::MIN, 3, -4]);
    let u = tu(&[0, u32::MAX, 3], &[3]);
    let one = Tensor::scalar(1u32);
    assert_eq!(
        get::<u32>(&lax::sub(&u, &one)),
        vec![u32::MAX, u32::MAX - 1, 2]
    );
    assert_eq!(get::<u32>(&lax::add(&u, &one)), vec![1, 0, 4]);
    assert_eq!(
        get::<u32>(&lax::mul(&u, &tu(&[2], &[1]))),
        vec![0, u32::MAX - 1, 6]
    );
    assert_eq!(get::<u32>(&lax::max(&u, &one)), vec![1, u32::MAX, 3]);
    assert_eq!(get::<u32>(&lax::add_any(&u, &one)), vec![1, 0, 4]);
}

#[test]
fn logical_and_bitwise_ops() {
    let p = tb(&[true, true, false, false], &[4]);
    let q = tb(&[true, false, true, false], &[4]);
    assert_eq!(
        get::<bool>(&lax::and(&p, &q)),
        vec![true, false, false, false]
    );
    assert_eq!(get::<bool>(&lax::or(&p, &q)), vec![true, true, true, false]);
    assert_eq!(
        get::<bool>(&lax::xor(&p, &q)),
        vec![false, true, true, false]
    );
    let a = ti(&[0b1100, -1, 5], &[3]);
    let b = ti(&[0b1010, 7, -6], &[3]);
    assert_eq!(get::<i32>(&lax::and(&a, &b)), vec![0b1000, 7, 5 & -6]);
    assert_eq!(get::<i32>(&lax::or(&a, &b)), vec![0b1110, -1, 5 | -6]);
    assert_eq!(get::<i32>(&lax::xor(&a, &b)), vec![0b0110, -8, 5 ^ -6]);
    let u = tu(&[0xF0F0, u32::MAX], &[2]);
    assert_eq!(
        get::<u32>(&lax::xor(&u, &Tensor::scalar(0xFFFFu32))),
        vec![0x0F0F, 0xFFFF_0000]
    );
    assert_panics(&["and", "f32"], || lax::and(&v1_32(&[1.0]), &v1_32(&[1.0])));
    assert_panics(&["add", "bool"], || lax::add(&p, &q));
    assert_panics(&["max", "bool"], || lax::max(&p, &q));
}

#[test]
fn comparisons_all_dtypes() {
    let nan = f64::NAN;
    let a = v1_64(&[1.0, nan, nan, 2.0, -0.0, f64::NEG_INFINITY]);
    let b = v1_64(&[1.0, nan, 1.0, 1.0, 0.0, f64::NEG_INFINITY]);
    assert_eq!(
        get::<bool>(&lax::eq(&a, &b)),
        vec![true, false, false, false, true, true]
    );
    assert_eq!(
        get::<bool>(&lax::ne(&a, &b)),
        vec![false, true, true, true, false, false]
    );
    assert_eq!(
        get::<bool>(&lax::lt(&a, &b)),
        vec![false, false, false, false, false, false]
    );
    assert_eq!(
        get::<bool>(&lax::le(&a, &b)),
        vec![true, false, false, false, true, true]
    );
    assert_eq!(
        get::<bool>(&lax::gt(&a, &b)),
        vec![false, false, false, true, false, false]
    );
    assert_eq!(
        get::<bool>(&lax::ge(&a, &b)),
        vec![true, false, false, true, true, true]
    );
    let i = ti(&[-1, 0, 5], &[3]);
    let j = ti(&[0, 0, 4], &[3]);
    assert_eq!(get::<bool>(&lax::lt(&i, &j)), vec![true, false, false]);
    let u = tu(&[u32::MAX, 0], &[2]);
    let w = tu(&[0, 0], &[2]);
    assert_eq!(get::<bool>(&lax::gt(&u, &w)), vec![true, false]);
    let p = tb(&[false, true, true], &[3]);
    let q = tb(&[true, true, false], &[3]);
    assert_eq!(get::<bool>(&lax::lt(&p, &q)), vec![true, false, false]);
    assert_eq!(get::<bool>(&lax::eq(&p, &q)), vec![false, true, false]);
    let f = v1_32(&[f32::NAN, 1.0]);
    assert_eq!(get::<bool>(&lax::eq(&f, &f)), vec![false, true]);
    // Tensor comparison methods (numpy layer) with scalars.
    let x = v1_32(&[-1.0, 0.0, 2.0]);
    assert_eq!(get::<bool>(&x.gt(0.0)), vec![false, false, true]);
    assert_eq!(get::<bool>(&x.le(0)), vec![true, true, false]);
    assert_eq!(get::<bool>(&x.eq(&x)), vec![true, true, true]);
    assert_eq!(get::<bool>(&x.ne(2.0)), vec![true, true, false]);
    assert_eq!(get::<bool>(&x.ge(-1.0)), vec![true, true, true]);
    assert_eq!(get::<bool>(&x.lt(2.0)), vec![true, true, false]);
    assert_eq!(get::<bool>(&ti(&[1, 2], &[2]).lt(1.5)), vec![true, false]);
}

#[test]
fn binary_broadcasting_lax_rules() {
    let a = t32(&[1.0, 2.0], &[2, 1]);
    let b = t32(&[10.0, 20.0, 30.0], &[1, 3]);
    let c = lax::add(&a, &b);
    assert_eq!(c.shape(), &[2, 3]);
    assert_eq!(get::<f32>(&c), vec![11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
    let c = lax::sub(&b, &a);
    assert_eq!(get::<f32>(&c), vec![9.0, 19.0, 29.0, 8.0, 18.0, 28.0]);
    // rank-0 operand on either side
    let m = t32(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let s = Tensor::scalar(10.0f32);
    assert_eq!(
        get::<f32>(&lax::mul(&m, &s)),
        vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    );
    assert_eq!(
        get::<f32>(&lax::sub(&s, &m)),
        vec![9.0, 8.0, 7.0, 6.0, 5.0, 4.0]
    );
    assert_eq!(lax::mul(&m, &s).shape(), &[2, 3]);
    // scalar with scalar
    let r = lax::add(&s, &s);
    assert_eq!(r.shape(), &[] as &[usize]);
    assert_eq!(r.item::<f32>(), 20.0);
    // size-1 dims on one side only, including a [1,1] against [2,3]
    let one = t32(&[5.0], &[1, 1]);
    assert_eq!(
        get::<f32>(&lax::add(&m, &one)),
        vec![6.0, 7.0, 8.0, 9.0, 10.0, 11.0]
    );
    assert_eq!(
        get::<f32>(&lax::add(&one, &m)),
        vec![6.0, 7.0, 8.0, 9.0, 10.0, 11.0]
    );
    let row = t32(&[1.0, 2.0, 3.0], &[1, 3]);
    assert_eq!(
        get::<f32>(&lax::mul(&m, &row)),
        vec![1.0, 4.0, 9.0, 4.0, 10.0, 18.0]
    );
    // comparisons broadcast too
    let g = lax::gt(&m, &t32(&[2.5, 4.5], &[2, 1]));
    assert_eq!(get::<bool>(&g), vec![false, false, true, false, true, true]);
}

#[test]
fn broadcast_results_are_row_major() {
    // [2,1,1] with [1,3,1]: neither operand prefers row-major order, one prefers column-major.
    let a = t64(&[1.0, 2.0], &[2, 1, 1]);
    let b = t64(&[10.0, 20.0, 30.0], &[1, 3, 1]);
    let c = lax::add(&a, &b);
    assert_eq!(c.shape(), &[2, 3, 1]);
    assert_standard(&c);
    assert_eq!(get::<f64>(&c), vec![11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
    // The result feeds kernels that read flat slices.
    let d = lax::mul(&c, &c);
    assert_eq!(get::<f64>(&d)[1], 441.0);
    let g = lax::lt(&a, &b);
    assert_standard(&g);
    let s = lax::select_n(&g, &[c.clone(), d.clone()]);
    assert_eq!(
        get::<f64>(&s),
        vec![121.0, 441.0, 961.0, 144.0, 484.0, 1024.0]
    );
    let ai = ti(&[1, 2], &[2, 1, 1]);
    let bi = ti(&[10, 20, 30], &[1, 3, 1]);
    let ci = lax::sub(&ai, &bi);
    assert_standard(&ci);
    assert_eq!(get::<i32>(&ci), vec![-9, -19, -29, -8, -18, -28]);
    // clamp with scalar bounds on a column
    let x = t64(&[5.0, -5.0, 0.5], &[3, 1]);
    let r = lax::clamp(&Tensor::scalar(0.0f64), &x, &Tensor::scalar(1.0f64));
    assert_standard(&r);
    assert_eq!(get::<f64>(&lax::add(&r, &r)), vec![2.0, 0.0, 1.0]);
    let x = t64(&[5.0, -5.0, 0.5, 2.0, 0.25, -1.0], &[3, 1, 2]);
    let r = lax::clamp(&Tensor::scalar(0.0f64), &x, &Tensor::scalar(1.0f64));
    assert_standard(&r);
    assert_eq!(get::<f64>(&r), vec![1.0, 0.0, 0.5, 1.0, 0.25, 0.0]);
}

#[test]
fn binary_empty_arrays() {
    let e = t32(&[], &[0]);
    assert_eq!(lax::add(&e, &e).shape(), &[0]);
    assert_eq!(lax::add(&e, &Tensor::scalar(1.0f32)).shape(), &[0]);
    let e2 = t64(&[], &[2, 0]);
    assert_eq!(lax::mul(&e2, &e2).shape(), &[2, 0]);
    assert_eq!(lax::lt(&e2, &Tensor::scalar(0.0f64)).shape(), &[2, 0]);
    assert_eq!(lax::lt(&e2, &Tensor::scalar(0.0f64)).dtype(), DType::Bool);
    // size-1 stretching to size 0
    let r = lax::add(&t64(&[1.0, 2.0], &[2, 1]), &t64(&[], &[1, 0]));
    assert_eq!(r.shape(), &[2, 0]);
    assert_eq!(get::<f64>(&r), Vec::<f64>::new());
    let r = lax::div(&ti(&[], &[0, 3]), &ti(&[1, 2, 3], &[1, 3]));
    assert_eq!(r.shape(), &[0, 3]);
    assert_panics(&["add"], || {
        lax::add(&t32(&[], &[0]), &t32(&[1.0, 2.0], &[2]))
    });
}

#[test]
fn binary_shape_and_dtype_errors_at_lax_level() {
    let a = t32(&[0.0; 6], &[2, 3]);
    let b = t32(&[0.0; 3], &[3]);
    let here = line!() + 1;
    let c = assert_panics(&["add", "f32[2,3]", "f32[3]"], || lax::add(&a, &b));
    assert_eq!(c.line, here);
    assert_panics(&["mul", "f32[2,3]", "f32[4,3]"], || {
        lax::mul(&a, &t32(&[0.0; 12], &[4, 3]))
    });
    assert_panics(&["add", "f32", "f64"], || {
        lax::add(&v1_32(&[1.0]), &v1_64(&[1.0]))
    });
    assert_panics(&["lt", "i32", "u32"], || {
        lax::lt(&ti(&[1], &[1]), &tu(&[1], &[1]))
    });
    assert_panics(&["sub", "i32", "f32"], || {
        lax::sub(&ti(&[1], &[1]), &v1_32(&[1.0]))
    });
    assert_panics(&["atan2", "i32"], || {
        lax::atan2(&ti(&[1], &[1]), &ti(&[1], &[1]))
    });
    assert_panics(&["rem", "bool"], || {
        lax::rem(&tb(&[true], &[1]), &tb(&[true], &[1]))
    });
}

#[test]
#[should_panic(expected = "div: dtypes differ")]
fn should_panic_on_lax_dtype_mismatch() {
    lax::div(&Tensor::scalar(1.0f32), &Tensor::scalar(1i32));
}

// ---------------------------------------------------------------------------------------------
// numpy layer and Tensor operators
// ---------------------------------------------------------------------------------------------

#[test]
fn numpy_dtype_promotion() {
    let f = v1_32(&[1.5, 2.5]);
    let d = v1_64(&[0.25, 0.5]);
    let i = ti(&[1, -2], &[2]);
    let u = tu(&[3, 4], &[2]);
    let b = tb(&[true, false], &[2]);
    let r = jnp::add(&f, &d);
    assert_eq!(get::<f64>(&r), vec![1.75, 3.0]);
    let r = jnp::add(&i, &f);
    assert_eq!(get::<f32>(&r), vec![2.5, 0.5]);
    let r = jnp::add(&b, &i);
    assert_eq!(get::<i32>(&r), vec![2, -2]);
    // JAX with x64 (ferrax has the 64-bit types): u32 with i32 is i64.
    let r = jnp::add(&u, &i);
    assert_eq!(r.dtype(), DType::I64);
    assert_eq!(get::<i64>(&r), vec![4, 2]);
    let r = jnp::add(&b, &u);
    assert_eq!(get::<u32>(&r), vec![4, 4]);
    let r = jnp::multiply(&b, &d);
    assert_eq!(get::<f64>(&r), vec![0.25, 0.0]);
    // Tensor operators
    assert_eq!(get::<f64>(&(&f + &d)), vec![1.75, 3.0]);
    assert_eq!(get::<f32>(&(&i * &f)), vec![1.5, -5.0]);
    assert_eq!(get::<f64>(&(d.clone() - f.clone())), vec![-1.25, -2.0]);
    // comparisons promote too
    assert_eq!(get::<bool>(&jnp::less(&i, &f)), vec![true, true]);
}

#[test]
fn numpy_weak_scalars() {
    let d = v1_64(&[1.0, 2.0]);
    assert_eq!(get::<f64>(&(&d * 2.0)), vec![2.0, 4.0]);
    assert_eq!(get::<f64>(&(2.0 * &d)), vec![2.0, 4.0]);
    assert_eq!(get::<f64>(&(&d + 1)), vec![2.0, 3.0]);
    let f = v1_32(&[1.0, 2.0]);
    assert_eq!(get::<f32>(&(&f * 2.0f64)), vec![2.0, 4.0]);
    assert_eq!(get::<f32>(&(1.0 - &f)), vec![0.0, -1.0]);
    let i = ti(&[1, 2], &[2]);
    assert_eq!(get::<f32>(&(&i * 2.5)), vec![2.5, 5.0]);
    assert_eq!(get::<i32>(&(&i * 3)), vec![3, 6]);
    assert_eq!(get::<i32>(&(&i - 5)), vec![-4, -3]);
    let u = tu(&[1, u32::MAX], &[2]);
    assert_eq!(get::<u32>(&(&u + 1)), vec![2, 0]);
    let b = tb(&[true, false], &[2]);
    assert_eq!(get::<i32>(&jnp::add(&b, 1)), vec![2, 1]);
    assert_eq!(get::<f32>(&jnp::add(&b, 0.5)), vec![1.5, 0.5]);
    assert_eq!(get::<bool>(&jnp::logical_and(&b, true)), vec![true, false]);
    // Scalars with scalars.
    assert_eq!(jnp::add(1, 2).item::<i32>(), 3);
    assert_eq!(jnp::add(1, 2.5).dtype(), DType::F32);
    // Integer true division goes through f32.
    assert_eq!(get::<f32>(&(&i / 2)), vec![0.5, 1.0]);
    assert_eq!(get::<f32>(&(&i / &i)), vec![1.0, 1.0]);
    assert_eq!(get::<f64>(&(&d / 4.0)), vec![0.25, 0.5]);
    // fmod keeps the dividend's sign.
    assert_eq!(get::<i32>(&jnp::fmod(ti(&[-7, 7], &[2]), 3)), vec![-1, 1]);
    assert_eq!(
        get::<f32>(&jnp::power(v1_32(&[4.0, 9.0]), 0.5)),
        vec![2.0, 3.0]
    );
    assert_eq!(get::<f32>(&jnp::arctan2(v1_32(&[0.0]), 1.0)), vec![0.0]);
}

#[test]
fn numpy_broadcasting_same_rank_and_scalars() {
    let a = t32(&[1.0, 2.0], &[2, 1]);
    let b = t32(&[10.0, 20.0, 30.0], &[1, 3]);
    let c = &a + &b;
    assert_eq!(c.shape(), &[2, 3]);
    assert_eq!(get::<f32>(&c), vec![11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
    let s = Tensor::scalar(1.0f64);
    let c = &a + &s;
    assert_eq!(c.dtype(), DType::F64);
    assert_eq!(get::<f64>(&c), vec![2.0, 3.0]);
}

#[test]
fn numpy_broadcasting_across_ranks() {
    let a = t32(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let b = t32(&[10.0, 20.0, 30.0], &[3]);
    let c = jnp::add(&a, &b);
    assert_eq!(c.shape(), &[2, 3]);
    assert_eq!(get::<f32>(&c), vec![11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
    let c = &b * &a;
    assert_eq!(get::<f32>(&c), vec![10.0, 40.0, 90.0, 40.0, 100.0, 180.0]);
    let col = t64(&[1.0, 2.0], &[2, 1]);
    let c = jnp::subtract(&col, &b);
    assert_eq!(c.dtype(), DType::F64);
    assert_eq!(c.shape(), &[2, 3]);
    assert_eq!(get::<f64>(&c), vec![-9.0, -19.0, -29.0, -8.0, -18.0, -28.0]);
    let e = jnp::add(t32(&[], &[2, 0]), t32(&[], &[0]));
    assert_eq!(e.shape(), &[2, 0]);
    assert_panics(
        &["add: shapes f32[2,3] and f32[2] cannot be broadcast"],
        || jnp::add(&a, v1_32(&[1.0, 2.0])),
    );
    assert_panics(&["add: shapes f32[2,3] and f32[2]"], || {
        &a + &v1_32(&[1.0, 2.0])
    });
    // where_ broadcasts its condition and both branches.
    let cond = tb(&[true, false, true], &[3]);
    let w = jnp::where_(&cond, &a, 0.0);
    assert_eq!(get::<f32>(&w), vec![1.0, 0.0, 3.0, 4.0, 0.0, 6.0]);
}

#[test]
fn numpy_where_same_shape() {
    let x = v1_32(&[-1.0, 2.0, f32::NAN]);
    let w = jnp::where_(&x.gt(0.0), &x, 0.0);
    assert_eq!(get::<f32>(&w), vec![0.0, 2.0, 0.0]);
    let w = jnp::where_(
        &tb(&[true, false], &[2]),
        ti(&[1, 2], &[2]),
        v1_64(&[9.0, 8.0]),
    );
    assert_eq!(get::<f64>(&w), vec![1.0, 8.0]);
    // A non-bool condition means != 0.
    let w = jnp::where_(&v1_32(&[0.0, 0.5]), 1, 2);
    assert_eq!(get::<i32>(&w), vec![2, 1]);
}

// ---------------------------------------------------------------------------------------------
// select_n, clamp, convert_element_type
// ---------------------------------------------------------------------------------------------

#[test]
fn select_n_with_bool_selector() {
    let w = tb(&[true, false, true], &[3]);
    let a = v1_32(&[1.0, 2.0, 3.0]);
    let b = v1_32(&[10.0, 20.0, 30.0]);
    assert_eq!(
        get::<f32>(&lax::select_n(&w, &[a.clone(), b.clone()])),
        vec![10.0, 2.0, 30.0]
    );
    // scalar selector
    assert_eq!(
        get::<f32>(&lax::select_n(
            &Tensor::scalar(true),
            &[a.clone(), b.clone()]
        )),
        vec![10.0, 20.0, 30.0]
    );
    assert_eq!(
        get::<f32>(&lax::select_n(
            &Tensor::scalar(false),
            &[a.clone(), b.clone()]
        )),
        vec![1.0, 2.0, 3.0]
    );
    // one case: always that case
    assert_eq!(
        get::<f32>(&lax::select_n(&w, std::slice::from_ref(&a))),
        vec![1.0, 2.0, 3.0]
    );
    assert_eq!(
        get::<f32>(&lax::select_n(
            &Tensor::scalar(true),
            std::slice::from_ref(&a)
        )),
        vec![1.0, 2.0, 3.0]
    );
    // every case dtype
    let bi = lax::select_n(&w, &[ti(&[1, 2, 3], &[3]), ti(&[4, 5, 6], &[3])]);
    assert_eq!(get::<i32>(&bi), vec![4, 2, 6]);
    let bb = lax::select_n(&w, &[tb(&[false; 3], &[3]), tb(&[true; 3], &[3])]);
    assert_eq!(get::<bool>(&bb), vec![true, false, true]);
    let bu = lax::select_n(&w, &[tu(&[1, 2, 3], &[3]), tu(&[4, 5, 6], &[3])]);
    assert_eq!(get::<u32>(&bu), vec![4, 2, 6]);
    // 2-D and empty
    let w2 = tb(&[true, false, false, true], &[2, 2]);
    let r = lax::select_n(
        &w2,
        &[
            t64(&[1.0, 2.0, 3.0, 4.0], &[2, 2]),
            t64(&[5.0, 6.0, 7.0, 8.0], &[2, 2]),
        ],
    );
    assert_eq!(r.shape(), &[2, 2]);
    assert_eq!(get::<f64>(&r), vec![5.0, 2.0, 3.0, 8.0]);
    let e = lax::select_n(&tb(&[], &[2, 0]), &[t32(&[], &[2, 0]), t32(&[], &[2, 0])]);
    assert_eq!(e.shape(), &[2, 0]);
    let e = lax::select_n(&Tensor::scalar(true), &[t32(&[], &[0]), t32(&[], &[0])]);
    assert_eq!(e.shape(), &[0]);
}

#[test]
fn select_n_with_i32_selector_clamps() {
    let w = ti(&[0, 1, 2, -1, 3, 100, i32::MIN], &[7]);
    let cases: Vec<Tensor> = (0..3).map(|k| v1_64(&[k as f64 * 10.0; 7])).collect();
    let r = get::<f64>(&lax::select_n(&w, &cases));
    assert_eq!(r, vec![0.0, 10.0, 20.0, 0.0, 20.0, 20.0, 0.0]);
    let r = get::<f64>(&lax::select_n(&Tensor::scalar(1i32), &cases));
    assert_eq!(r, vec![10.0; 7]);
    let r = get::<f64>(&lax::select_n(&w, &cases[..1]));
    assert_eq!(r, vec![0.0; 7]);
}

#[test]
fn select_n_errors() {
    let a = v1_32(&[1.0, 2.0]);
    let w = tb(&[true, false], &[2]);
    assert_panics(&["select_n", "bool"], || {
        lax::select_n(&w, &[a.clone(), a.clone(), a.clone()])
    });
    assert_panics(&["select_n", "f32"], || {
        lax::select_n(&v1_32(&[0.0, 1.0]), &[a.clone(), a.clone()])
    });
    assert_panics(&["select_n", "u32"], || {
        lax::select_n(&tu(&[0, 1], &[2]), &[a.clone(), a.clone()])
    });
    assert_panics(&["select_n", "f64"], || {
        lax::select_n(&w, &[a.clone(), v1_64(&[1.0, 2.0])])
    });
    assert_panics(&["select_n", "bool[3]"], || {
        lax::select_n(&tb(&[true; 3], &[3]), &[a.clone(), a.clone()])
    });
    assert_panics(&["select_n", "f32[3]"], || {
        lax::select_n(&w, &[a.clone(), v1_32(&[1.0; 3])])
    });
    assert_panics(&["select_n"], || lax::select_n(&w, &[]));
    // A [1]-shaped selector is not a scalar.
    assert_panics(&["select_n"], || {
        lax::select_n(&tb(&[true], &[1]), &[a.clone(), a.clone()])
    });
}

#[test]
fn clamp_semantics() {
    let x = v1_32(&[-2.0, 0.5, 3.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY]);
    let r = get::<f32>(&lax::clamp(
        &Tensor::scalar(0.0f32),
        &x,
        &Tensor::scalar(1.0f32),
    ));
    assert_same32(
        &r,
        &[0.0, 0.5, 1.0, f32::NAN, 1.0, 0.0],
        "clamp scalar bounds",
    );
    let lo = v1_32(&[-3.0, 1.0, 0.0, 0.0, 0.0, -1.0]);
    let hi = v1_32(&[-2.5, 2.0, 2.0, 1.0, 5.0, 0.0]);
    let r = get::<f32>(&lax::clamp(&lo, &x, &hi));
    assert_same32(
        &r,
        &[-2.5, 1.0, 2.0, f32::NAN, 5.0, -1.0],
        "clamp array bounds",
    );
    // mixed: array min, scalar max
    let r = get::<f32>(&lax::clamp(&lo, &x, &Tensor::scalar(0.75f32)));
    assert_same32(&r, &[-2.0, 0.75, 0.75, f32::NAN, 0.75, -1.0], "clamp mixed");
    let i = ti(&[-5, 0, 5, i32::MAX], &[4]);
    let r = get::<i32>(&lax::clamp(
        &Tensor::scalar(-1i32),
        &i,
        &Tensor::scalar(3i32),
    ));
    assert_eq!(r, vec![-1, 0, 3, 3]);
    let u = tu(&[0, 7, 100], &[3]);
    let r = get::<u32>(&lax::clamp(
        &Tensor::scalar(5u32),
        &u,
        &Tensor::scalar(50u32),
    ));
    assert_eq!(r, vec![5, 7, 50]);
    let r = lax::clamp(
        &Tensor::scalar(0.0f64),
        &Tensor::scalar(7.0f64),
        &Tensor::scalar(1.0f64),
    );
    assert_eq!(r.shape(), &[] as &[usize]);
    assert_eq!(r.item::<f64>(), 1.0);
    let e = lax::clamp(
        &Tensor::scalar(0.0f64),
        &t64(&[], &[2, 0]),
        &Tensor::scalar(1.0f64),
    );
    assert_eq!(e.shape(), &[2, 0]);
    let x2 = t64(&[-1.0, 0.5, 2.0, 3.0], &[2, 2]);
    let r = lax::clamp(
        &t64(&[0.0, 1.0, 0.0, 1.0], &[2, 2]),
        &x2,
        &Tensor::scalar(2.5f64),
    );
    assert_eq!(get::<f64>(&r), vec![0.0, 1.0, 2.0, 2.5]);
    assert_panics(&["clamp", "f64"], || {
        lax::clamp(&Tensor::scalar(0.0f64), &x, &Tensor::scalar(1.0f32))
    });
    assert_panics(&["clamp", "f32[2]"], || {
        lax::clamp(&v1_32(&[0.0, 0.0]), &x, &Tensor::scalar(1.0f32))
    });
    assert_panics(&["clamp", "bool"], || {
        lax::clamp(
            &Tensor::scalar(false),
            &tb(&[true], &[1]),
            &Tensor::scalar(true),
        )
    });
}

#[test]
fn convert_element_type_semantics() {
    use lax::convert_element_type as cvt;
    let f = v1_32(&[
        1.7,
        -1.7,
        0.5,
        -0.5,
        f32::NAN,
        3e9,
        -3e9,
        f32::INFINITY,
        f32::NEG_INFINITY,
        -0.0,
    ]);
    assert_eq!(
        get::<i32>(&cvt(&f, DType::I32)),
        vec![1, -1, 0, 0, 0, i32::MAX, i32::MIN, i32::MAX, i32::MIN, 0]
    );
    assert_eq!(
        get::<bool>(&cvt(&f, DType::Bool)),
        vec![true, true, true, true, true, true, true, true, true, false]
    );
    let f64s = get::<f64>(&cvt(&f, DType::F64));
    assert_eq!(f64s[0], 1.7f32 as f64);
    let d = v1_64(&[0.1, 1e40, -1e-50, 16777217.0]);
    assert_same32(
        &get::<f32>(&cvt(&d, DType::F32)),
        &[0.1f32, f32::INFINITY, -0.0, 16777216.0],
        "f64->f32",
    );
    let i = ti(&[-1, 0, 1, i32::MIN, i32::MAX, 16777217], &[6]);
    assert_eq!(
        get::<u32>(&cvt(&i, DType::U32)),
        vec![4294967295, 0, 1, 2147483648, 2147483647, 16777217]
    );
    assert_eq!(
        get::<bool>(&cvt(&i, DType::Bool)),
        vec![true, false, true, true, true, true]
    );
    assert_eq!(
        get::<f32>(&cvt(&i, DType::F32)),
        vec![-1.0, 0.0, 1.0, -2147483648.0, 2147483648.0, 16777216.0]
    );
    assert_eq!(
        get::<f64>(&cvt(&i, DType::F64)),
        vec![-1.0, 0.0, 1.0, -2147483648.0, 2147483647.0, 16777217.0]
    );
    let u = tu(&[u32::MAX, 2147483648, 5], &[3]);
    assert_eq!(get::<i32>(&cvt(&u, DType::I32)), vec![-1, i32::MIN, 5]);
    assert_eq!(
        get::<f64>(&cvt(&u, DType::F64)),
        vec![4294967295.0, 2147483648.0, 5.0]
    );
    let b = tb(&[true, false], &[2]);
    assert_eq!(get::<f32>(&cvt(&b, DType::F32)), vec![1.0, 0.0]);
    assert_eq!(get::<i32>(&cvt(&b, DType::I32)), vec![1, 0]);
    assert_eq!(get::<u32>(&cvt(&b, DType::U32)), vec![1, 0]);
    let fu = v1_64(&[-1.0, 4294967296.0, 3.9, f64::NAN]);
    assert_eq!(get::<u32>(&cvt(&fu, DType::U32)), vec![0, u32::MAX, 3, 0]);
    // Shapes: scalar and empty.
    let s = cvt(&Tensor::scalar(2.9f64), DType::I32);
    assert_eq!(s.shape(), &[] as &[usize]);
    assert_eq!(s.item::<i32>(), 2);
    let e = cvt(&t32(&[], &[2, 0]), DType::Bool);
    assert_eq!((e.shape(), e.dtype()), (&[2usize, 0][..], DType::Bool));
    // Same dtype is the identity.
    assert_eq!(get::<f32>(&cvt(&v1_32(&[1.5]), DType::F32)), vec![1.5]);
    assert_eq!(
        get::<i32>(&Tensor::scalar(2.7f32).cast(DType::I32)),
        vec![2]
    );
}

// ---------------------------------------------------------------------------------------------
// Panic locations through the numpy layer and operators
// ---------------------------------------------------------------------------------------------

#[test]
fn panics_point_at_the_caller() {
    let a = t32(&[0.0; 6], &[2, 3]);
    let b = t32(&[0.0; 4], &[4]);
    let here = line!() + 1;
    let c = assert_panics(&["broadcast"], || &a + &b);
    assert_eq!(c.line, here);
    let here = line!() + 1;
    let c = assert_panics(&["broadcast"], || jnp::maximum(&a, &b));
    assert_eq!(c.line, here);
    let one_case = std::slice::from_ref(&a);
    let here = line!() + 1;
    let c = assert_panics(&["select_n"], || lax::select_n(&a, one_case));
    assert_eq!(c.line, here);
    let here = line!() + 1;
    let c = assert_panics(&["clamp"], || lax::clamp(&b, &a, &b));
    assert_eq!(c.line, here);
    let here = line!() + 1;
    let c = assert_panics(&["integer_pow"], || ti(&[1], &[1]).powi(-2));
    assert_eq!(c.line, here);
    let here = line!() + 1;
    let c = assert_panics(&["sin", "i32"], || ti(&[1], &[1]).sin());
    assert_eq!(c.line, here);
}

// ---------------------------------------------------------------------------------------------
// Jaxpr printing
// ---------------------------------------------------------------------------------------------

#[test]
fn jaxpr_integer_pow_param() {
    let x = Tensor::zeros(&[3], DType::F32);
    let j = make_jaxpr(|x: &Tensor| lax::integer_pow(x, 3))(&x).to_string();
    assert!(j.contains("b:f32[3] = integer_pow[y=3] a"), "{j}");
    let j = make_jaxpr(|x: &Tensor| x.powi(-2))(&x).to_string();
    assert!(j.contains("integer_pow[y=-2] a"), "{j}");
}

#[test]
fn jaxpr_convert_element_type_params() {
    let x = Tensor::zeros(&[2], DType::F32);
    let j = make_jaxpr(|x: &Tensor| lax::convert_element_type(x, DType::I32))(&x).to_string();
    assert!(
        j.contains("b:i32[2] = convert_element_type[new_dtype=int32 weak_type=False] a"),
        "{j}"
    );
    // No equation for a same-dtype conversion.
    let j = make_jaxpr(|x: &Tensor| lax::convert_element_type(x, DType::F32))(&x).to_string();
    assert!(!j.contains("convert_element_type"), "{j}");
    let j = make_jaxpr(|x: &Tensor| x.cast(DType::F64))(&x).to_string();
    assert!(
        j.contains("convert_element_type[new_dtype=float64 weak_type=False]"),
        "{j}"
    );
}

#[test]
fn jaxpr_round_param() {
    let x = Tensor::zeros(&[2], DType::F32);
    let j = make_jaxpr(|x: &Tensor| lax::round(x, Rounding::AwayFromZero))(&x).to_string();
    assert!(j.contains("b:f32[2] = round[rounding_method=0] a"), "{j}");
    let j = make_jaxpr(|x: &Tensor| lax::round(x, Rounding::ToNearestEven))(&x).to_string();
    assert!(j.contains("round[rounding_method=1] a"), "{j}");
}

#[test]
fn jaxpr_scalar_literal_inline() {
    let x = Tensor::zeros(&[3], DType::F32);
    let j = make_jaxpr(|x: &Tensor| x * 2.0)(&x).to_string();
    assert!(j.contains("b:f32[3] = mul a 2.0:f32[]"), "{j}");
    let j = make_jaxpr(|x: &Tensor| lax::is_finite(x))(&x).to_string();
    assert!(j.contains("b:bool[3] = is_finite a"), "{j}");
    let j =
        make_jaxpr(|(a, b): &(Tensor, Tensor)| lax::select_n(&a.gt(0.0), &[a.clone(), b.clone()]))(
            &(x.clone(), x.clone()),
        )
        .to_string();
    assert!(j.contains("c:bool[3] = gt a 0.0:f32[]"), "{j}");
    assert!(j.contains("d:f32[3] = select_n c a b"), "{j}");
    let j =
        make_jaxpr(|x: &Tensor| lax::clamp(&Tensor::scalar(0.0f32), x, &Tensor::scalar(1.0f32)))(
            &x,
        )
        .to_string();
    assert!(j.contains("b:f32[3] = clamp 0.0:f32[] a 1.0:f32[]"), "{j}");
}

#[test]
fn jaxpr_full_text_matches_jax() {
    let x = Tensor::zeros(&[3], DType::F32);
    let j = make_jaxpr(|x: &Tensor| lax::integer_pow(x, 3))(&x).to_string();
    assert_eq!(
        j,
        "{ lambda ; a:f32[3]. let b:f32[3] = integer_pow[y=3] a in (b,) }"
    );
    let j = make_jaxpr(|x: &Tensor| x * 2.0)(&x).to_string();
    assert_eq!(
        j,
        "{ lambda ; a:f32[3]. let b:f32[3] = mul a 2.0:f32[] in (b,) }"
    );
    let j = make_jaxpr(|x: &Tensor| lax::round(x, Rounding::AwayFromZero))(&x).to_string();
    assert_eq!(
        j,
        "{ lambda ; a:f32[3]. let b:f32[3] = round[rounding_method=0] a in (b,) }"
    );
    let j = make_jaxpr(|x: &Tensor| x.cast(DType::I32))(&x).to_string();
    let want = "\
{ lambda ; a:f32[3]. let
    b:i32[3] = convert_element_type[new_dtype=int32 weak_type=False] a
  in (b,) }";
    assert_eq!(j, want);
}

#[test]
fn jaxpr_numpy_add_inserts_broadcast_in_dim() {
    let a = Tensor::zeros(&[2, 3], DType::F32);
    let b = Tensor::zeros(&[3], DType::F32);
    let j = make_jaxpr(|(a, b): &(Tensor, Tensor)| a + b)(&(a, b)).to_string();
    let expected = "\
{ lambda ; a:f32[2,3] b:f32[3]. let
    c:f32[1,3] = broadcast_in_dim[broadcast_dimensions=(1,)] b
    d:f32[2,3] = add a c
  in (d,) }";
    assert_eq!(j, expected);
}

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

/// Reference lax broadcasting: equal ranks with size-1 stretching, or a rank-0 operand.
fn ref_out_shape(a: &[usize], b: &[usize]) -> Vec<usize> {
    if a.is_empty() {
        return b.to_vec();
    }
    if b.is_empty() {
        return a.to_vec();
    }
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(&x, &y)| if x == 1 { y } else { x })
        .collect()
}

/// The flat index into an operand of shape `s` for multi-index `idx` of the output.
fn ref_flat_index(s: &[usize], idx: &[usize]) -> usize {
    if s.is_empty() {
        return 0;
    }
    let mut flat = 0;
    for (d, &n) in s.iter().enumerate() {
        let i = if n == 1 { 0 } else { idx[d] };
        flat = flat * n + i;
    }
    flat
}

fn ref_binary<T: Copy, O>(
    a: &[T],
    sa: &[usize],
    b: &[T],
    sb: &[usize],
    f: impl Fn(T, T) -> O,
) -> (Vec<O>, Vec<usize>) {
    let out = ref_out_shape(sa, sb);
    let n: usize = out.iter().product();
    let mut res = Vec::with_capacity(n);
    let mut idx = vec![0usize; out.len()];
    for _ in 0..n {
        res.push(f(a[ref_flat_index(sa, &idx)], b[ref_flat_index(sb, &idx)]));
        for d in (0..out.len()).rev() {
            idx[d] += 1;
            if idx[d] < out[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    (res, out)
}

/// Two lax-compatible shapes: a base shape with some dims replaced by 1 on each side, or a
/// rank-0 operand.
fn shape_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (prop::collection::vec(0usize..4, 0..4), any::<u64>(), 0u8..6).prop_map(
        |(base, bits, scalar)| {
            let mut a = Vec::new();
            let mut b = Vec::new();
            for (k, &d) in base.iter().enumerate() {
                let (ma, mb) = ((bits >> (2 * k)) & 1 == 1, (bits >> (2 * k + 1)) & 1 == 1);
                a.push(if ma && !mb { 1 } else { d });
                b.push(if mb { 1 } else { d });
            }
            match scalar {
                0 => (Vec::new(), b),
                1 => (a, Vec::new()),
                _ => (a, b),
            }
        },
    )
}

fn special_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => -100.0f64..100.0,
        1 => prop::sample::select(SPECIALS.to_vec()),
        1 => any::<f64>(),
    ]
}

fn operands_f64() -> impl Strategy<Value = (Vec<f64>, Vec<usize>, Vec<f64>, Vec<usize>)> {
    shape_pair().prop_flat_map(|(sa, sb)| {
        let (na, nb) = (sa.iter().product::<usize>(), sb.iter().product::<usize>());
        (
            prop::collection::vec(special_f64(), na),
            Just(sa),
            prop::collection::vec(special_f64(), nb),
            Just(sb),
        )
    })
}

fn operands_i32() -> impl Strategy<Value = (Vec<i32>, Vec<usize>, Vec<i32>, Vec<usize>)> {
    let v = || prop_oneof![4 => -20i32..20, 1 => any::<i32>(), 1 => prop::sample::select(vec![0, -1, i32::MIN, i32::MAX])];
    shape_pair().prop_flat_map(move |(sa, sb)| {
        let (na, nb) = (sa.iter().product::<usize>(), sb.iter().product::<usize>());
        (
            prop::collection::vec(v(), na),
            Just(sa),
            prop::collection::vec(v(), nb),
            Just(sb),
        )
    })
}

fn int_ref(name: &str, p: i32, q: i32) -> i32 {
    match name {
        "add" => p.wrapping_add(q),
        "sub" => p.wrapping_sub(q),
        "mul" => p.wrapping_mul(q),
        "div" => {
            if q == 0 {
                -1
            } else if p == i32::MIN && q == -1 {
                i32::MIN
            } else {
                p / q
            }
        }
        "rem" => {
            if q == 0 {
                p
            } else if q == -1 {
                0
            } else {
                p % q
            }
        }
        "max" => p.max(q),
        "min" => p.min(q),
        "and" => p & q,
        "or" => p | q,
        "xor" => p ^ q,
        _ => unreachable!(),
    }
}

fn uint_ref(name: &str, p: u32, q: u32) -> u32 {
    match name {
        "add" => p.wrapping_add(q),
        "sub" => p.wrapping_sub(q),
        "mul" => p.wrapping_mul(q),
        "div" => p.checked_div(q).unwrap_or(u32::MAX),
        "rem" => {
            if q == 0 {
                p
            } else {
                p % q
            }
        }
        "max" => p.max(q),
        "min" => p.min(q),
        "and" => p & q,
        "or" => p | q,
        "xor" => p ^ q,
        _ => unreachable!(),
    }
}

fn int_binary_cases() -> Vec<(&'static str, BFn)> {
    vec![
        ("add", lax::add),
        ("sub", lax::sub),
        ("mul", lax::mul),
        ("div", lax::div),
        ("rem", lax::rem),
        ("max", lax::max),
        ("min", lax::min),
        ("and", lax::and),
        ("or", lax::or),
        ("xor", lax::xor),
    ]
}

/// numpy-style reference broadcast shape (trailing alignment).
fn ref_numpy_shape(a: &[usize], b: &[usize]) -> Vec<usize> {
    let n = a.len().max(b.len());
    let pa: Vec<usize> = std::iter::repeat_n(1, n - a.len())
        .chain(a.iter().copied())
        .collect();
    let pb: Vec<usize> = std::iter::repeat_n(1, n - b.len())
        .chain(b.iter().copied())
        .collect();
    ref_out_shape(&pa, &pb)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn prop_unary_f64_vs_std(u in prop::collection::vec(0.0f64..=1.0, 0..12)) {
        for c in unary_cases() {
            let xs: Vec<f64> = u.iter().map(|&t| c.lo + (c.hi - c.lo) * t).collect();
            let got = get::<f64>(&(c.op)(&v1_64(&xs)));
            for (i, &x) in xs.iter().enumerate() {
                let want = (c.r64)(x);
                prop_assert!(close(got[i], want, c.rtol, 1e-300), "{}({x:e}) = {:e}, want {want:e}", c.name, got[i]);
            }
        }
    }

    #[test]
    fn prop_unary_f32_vs_std(u in prop::collection::vec(0.0f64..=1.0, 0..12)) {
        for c in unary_cases() {
            let xs: Vec<f32> = u.iter().map(|&t| (c.lo + (c.hi - c.lo) * t) as f32).collect();
            let got = get::<f32>(&(c.op)(&v1_32(&xs)));
            for (i, &x) in xs.iter().enumerate() {
                let want = (c.r32)(x);
                prop_assert!(close(got[i] as f64, want as f64, 2e-6, 1e-37), "{} f32({x:e}) = {:e}, want {want:e}", c.name, got[i]);
            }
        }
    }

    #[test]
    fn prop_unary_special_inputs(xs in prop::collection::vec(special_f64(), 0..12)) {
        // Every float op maps NaN to NaN and agrees with std on ±inf, ±0 and subnormals.
        for c in unary_cases() {
            let got = get::<f64>(&(c.op)(&v1_64(&xs)));
            for (i, &x) in xs.iter().enumerate() {
                let want = (c.r64)(x);
                if c.name == "logistic" || c.name == "rsqrt" || c.name == "square" || c.name == "lgamma" || c.name == "erf" || c.name == "exp2" {
                    // references computed by different formulas: compare loosely
                    prop_assert!(close(got[i], want, 1e-13, 1e-300) || (got[i].is_nan() && want.is_nan()), "{}({x:e}) = {:e}, want {want:e}", c.name, got[i]);
                } else {
                    prop_assert!(same64(got[i], want), "{}({x:?}) = {:?}, want {want:?}", c.name, got[i]);
                }
            }
        }
    }

    #[test]
    fn prop_round_floor_ceil(xs in prop::collection::vec(-1e3f64..1e3, 0..16), halves in prop::collection::vec(-200i32..200, 0..8)) {
        let mut xs = xs;
        xs.extend(halves.iter().map(|&h| h as f64 + 0.5));
        let x = v1_64(&xs);
        let away = get::<f64>(&lax::round(&x, Rounding::AwayFromZero));
        let even = get::<f64>(&lax::round(&x, Rounding::ToNearestEven));
        for (i, &v) in xs.iter().enumerate() {
            let fl = v.floor();
            let frac = v - fl;
            let want_even = if frac < 0.5 || (frac == 0.5 && fl % 2.0 == 0.0) { fl } else { fl + 1.0 };
            let want_away = if frac == 0.5 { if v > 0.0 { fl + 1.0 } else { fl } } else { want_even };
            prop_assert_eq!(away[i], want_away, "away {}", v);
            prop_assert_eq!(even[i], want_even, "even {}", v);
        }
    }

    #[test]
    fn prop_erf_inv_inverts_erf(ys in prop::collection::vec(-0.999999f64..0.999999, 0..16)) {
        let got = get::<f64>(&lax::erf_inv(&v1_64(&ys)));
        for (i, &y) in ys.iter().enumerate() {
            let back = libm::erf(got[i]);
            prop_assert!((back - y).abs() <= 2e-16 + 1e-15 * y.abs(), "erf(erf_inv({y})) = {back}");
            if y.abs() >= 0.5 {
                let tail = libm::erfc(got[i].abs());
                prop_assert!((tail - (1.0 - y.abs())).abs() <= 1e-13 * (1.0 - y.abs()), "erfc(erf_inv({y})) = {tail:e}");
            }
        }
    }

    #[test]
    fn prop_digamma_is_lgamma_derivative(xs in prop::collection::vec(0.1f64..100.0, 0..12)) {
        let got = get::<f64>(&lax::digamma(&v1_64(&xs)));
        for (i, &x) in xs.iter().enumerate() {
            let h = 1e-5 * x.max(1.0);
            let d = (libm::lgamma(x + h) - libm::lgamma(x - h)) / (2.0 * h);
            prop_assert!((got[i] - d).abs() < 1e-6 * (1.0 + d.abs()), "digamma({x}) = {}, lgamma' = {d}", got[i]);
        }
    }

    #[test]
    fn prop_float_binary_broadcast((a, sa, b, sb) in operands_f64()) {
        let (ta, tb_) = (t64(&a, &sa), t64(&b, &sb));
        for (name, op, r, exact) in float_binary_cases() {
            let out = op(&ta, &tb_);
            assert_standard(&out);
            let (want, shape) = ref_binary(&a, &sa, &b, &sb, r);
            prop_assert_eq!(out.shape(), &shape[..], "{} shape", name);
            let got = get::<f64>(&out);
            for i in 0..want.len() {
                let ok = if exact { same64(got[i], want[i]) || (got[i] == 0.0 && want[i] == 0.0 && matches!(name, "max" | "min")) } else { close(got[i], want[i], 1e-14, 1e-300) };
                prop_assert!(ok, "{}: element {} got {:?} want {:?}", name, i, got[i], want[i]);
            }
        }
        for (name, op, r) in comparison_cases() {
            let out = op(&ta, &tb_);
            let (want, shape) = ref_binary(&a, &sa, &b, &sb, r);
            prop_assert_eq!(out.shape(), &shape[..], "{} shape", name);
            prop_assert_eq!(get::<bool>(&out), want, "{}", name);
        }
        // f32 copies through the same references (where exact in f32).
        let (a32, b32): (Vec<f32>, Vec<f32>) = (a.iter().map(|&v| v as f32).collect(), b.iter().map(|&v| v as f32).collect());
        let (fa, fb) = (t32(&a32, &sa), t32(&b32, &sb));
        let (want, _) = ref_binary(&a32, &sa, &b32, &sb, |p, q| p * q);
        prop_assert!(get::<f32>(&lax::mul(&fa, &fb)).iter().zip(&want).all(|(g, w)| same32(*g, *w)));
        let (want, _) = ref_binary(&a32, &sa, &b32, &sb, next_after_ref32);
        prop_assert!(get::<f32>(&lax::nextafter(&fa, &fb)).iter().zip(&want).all(|(g, w)| same32(*g, *w)));
        let (want, _) = ref_binary(&a32, &sa, &b32, &sb, |p, q| p < q);
        prop_assert_eq!(get::<bool>(&lax::lt(&fa, &fb)), want);
    }

    #[test]
    fn prop_int_binary_broadcast((a, sa, b, sb) in operands_i32()) {
        let (ta, tb_) = (ti(&a, &sa), ti(&b, &sb));
        let (ua, ub): (Vec<u32>, Vec<u32>) = (a.iter().map(|&v| v as u32).collect(), b.iter().map(|&v| v as u32).collect());
        let (tua, tub) = (tu(&ua, &sa), tu(&ub, &sb));
        for (name, op) in int_binary_cases() {
            let (want, shape) = ref_binary(&a, &sa, &b, &sb, |p, q| int_ref(name, p, q));
            let out = op(&ta, &tb_);
            prop_assert_eq!(out.shape(), &shape[..]);
            prop_assert_eq!(get::<i32>(&out), want, "i32 {}", name);
            let (want, _) = ref_binary(&ua, &sa, &ub, &sb, |p, q| uint_ref(name, p, q));
            prop_assert_eq!(get::<u32>(&op(&tua, &tub)), want, "u32 {}", name);
        }
        for (name, op, r) in comparison_cases() {
            let (want, _) = ref_binary(&a, &sa, &b, &sb, |p, q| r(p as f64, q as f64));
            prop_assert_eq!(get::<bool>(&op(&ta, &tb_)), want, "i32 {}", name);
            let (want, _) = ref_binary(&ua, &sa, &ub, &sb, |p, q| r(p as f64, q as f64));
            prop_assert_eq!(get::<bool>(&op(&tua, &tub)), want, "u32 {}", name);
        }
        // bool logic on the low bits
        let (ba, bb): (Vec<bool>, Vec<bool>) = (a.iter().map(|v| v & 1 == 1).collect(), b.iter().map(|v| v & 1 == 1).collect());
        let (tba, tbb) = (tb(&ba, &sa), tb(&bb, &sb));
        let (want, _) = ref_binary(&ba, &sa, &bb, &sb, |p, q| p ^ q);
        prop_assert_eq!(get::<bool>(&lax::xor(&tba, &tbb)), want);
        let (want, _) = ref_binary(&ba, &sa, &bb, &sb, |p, q| p & !q);
        prop_assert_eq!(get::<bool>(&lax::and(&tba, &lax::not(&tbb))), want);
    }

    #[test]
    fn prop_unary_int(xs in prop::collection::vec(any::<i32>(), 0..16), y in 0i32..12) {
        let x = ti(&xs, &[xs.len()]);
        let ux: Vec<u32> = xs.iter().map(|&v| v as u32).collect();
        let u = tu(&ux, &[ux.len()]);
        prop_assert_eq!(get::<i32>(&lax::neg(&x)), xs.iter().map(|v| v.wrapping_neg()).collect::<Vec<_>>());
        prop_assert_eq!(get::<i32>(&lax::abs(&x)), xs.iter().map(|v| v.wrapping_abs()).collect::<Vec<_>>());
        prop_assert_eq!(get::<i32>(&lax::sign(&x)), xs.iter().map(|v| v.signum()).collect::<Vec<_>>());
        prop_assert_eq!(get::<i32>(&lax::not(&x)), xs.iter().map(|v| !v).collect::<Vec<_>>());
        let pow_ref = |v: i32| (0..y).fold(1i32, |acc, _| acc.wrapping_mul(v));
        prop_assert_eq!(get::<i32>(&lax::integer_pow(&x, y)), xs.iter().map(|&v| pow_ref(v)).collect::<Vec<_>>());
        let upow_ref = |v: u32| (0..y).fold(1u32, |acc, _| acc.wrapping_mul(v));
        prop_assert_eq!(get::<u32>(&lax::integer_pow(&u, y)), ux.iter().map(|&v| upow_ref(v)).collect::<Vec<_>>());
        prop_assert_eq!(get::<u32>(&lax::neg(&u)), ux.iter().map(|v| v.wrapping_neg()).collect::<Vec<_>>());
        prop_assert_eq!(get::<u32>(&lax::square(&u)), ux.iter().map(|v| v.wrapping_mul(*v)).collect::<Vec<_>>());
    }

    #[test]
    fn prop_select_n_vs_loop(n_cases in 1usize..5, len in 0usize..10, seed in prop::collection::vec(any::<i32>(), 64), scalar_sel in any::<bool>(), use_bool in any::<bool>()) {
        let cases: Vec<Vec<f64>> = (0..n_cases).map(|k| (0..len).map(|i| (k * 100 + i) as f64).collect()).collect();
        let case_tensors: Vec<Tensor> = cases.iter().map(|c| v1_64(c)).collect();
        let sel_len = if scalar_sel { 1 } else { len };
        let use_bool = use_bool && n_cases <= 2;
        let raw: Vec<i32> = (0..sel_len).map(|i| seed[i] % 7 - 2).collect();
        let (which, idx): (Tensor, Vec<usize>) = if use_bool {
            let bs: Vec<bool> = raw.iter().map(|v| v & 1 == 1).collect();
            let t = if scalar_sel { Tensor::scalar(bs[0]) } else { tb(&bs, &[len]) };
            (t, bs.iter().map(|&b| (b as usize).min(n_cases - 1)).collect())
        } else {
            let t = if scalar_sel { Tensor::scalar(raw[0]) } else { ti(&raw, &[len]) };
            (t, raw.iter().map(|&v| v.clamp(0, n_cases as i32 - 1) as usize).collect())
        };
        let got = get::<f64>(&lax::select_n(&which, &case_tensors));
        let mut want = Vec::new();
        for i in 0..len {
            let k = if scalar_sel { idx[0] } else { idx[i] };
            want.push(cases[k][i]);
        }
        prop_assert_eq!(got, want);
    }

    #[test]
    fn prop_clamp_vs_loop(xs in prop::collection::vec(special_f64(), 0..12), lo in -50.0f64..0.0, width in 0.0f64..100.0) {
        let hi = lo + width;
        let got = get::<f64>(&lax::clamp(&Tensor::scalar(lo), &v1_64(&xs), &Tensor::scalar(hi)));
        for (i, &x) in xs.iter().enumerate() {
            let want = if x.is_nan() { x } else if x < lo { lo } else if x > hi { hi } else { x };
            prop_assert!(same64(got[i], want), "clamp({lo}, {x}, {hi}) = {}", got[i]);
        }
    }

    #[test]
    fn prop_convert_f64_to_i32(xs in prop::collection::vec(special_f64(), 0..16)) {
        let got = get::<i32>(&lax::convert_element_type(&v1_64(&xs), DType::I32));
        for (i, &x) in xs.iter().enumerate() {
            let want = if x.is_nan() { 0 } else if x >= 2147483647.0 { i32::MAX } else if x <= -2147483648.0 { i32::MIN } else { x.trunc() as i64 as i32 };
            prop_assert_eq!(got[i], want, "convert {}", x);
        }
        let back = get::<bool>(&lax::convert_element_type(&v1_64(&xs), DType::Bool));
        prop_assert_eq!(back, xs.iter().map(|&x| x != 0.0).collect::<Vec<_>>());
    }

    #[test]
    fn prop_numpy_add_broadcasts(sa in prop::collection::vec(1usize..4, 0..4), drop in 0usize..4, ones in any::<u8>()) {
        // b is a suffix of a's shape with some dims set to 1; numpy broadcasting reference.
        let k = drop.min(sa.len());
        let sb: Vec<usize> = sa[k..].iter().enumerate().map(|(i, &d)| if (ones >> i) & 1 == 1 { 1 } else { d }).collect();
        let na: usize = sa.iter().product();
        let nb: usize = sb.iter().product();
        let a: Vec<f32> = (0..na).map(|i| i as f32).collect();
        let b: Vec<f32> = (0..nb).map(|i| 1000.0 * i as f32).collect();
        let out = jnp::add(t32(&a, &sa), t32(&b, &sb));
        let shape = ref_numpy_shape(&sa, &sb);
        prop_assert_eq!(out.shape(), &shape[..]);
        let pb: Vec<usize> = std::iter::repeat_n(1, sa.len() - sb.len()).chain(sb.iter().copied()).collect();
        let (want, _) = ref_binary(&a, &sa, &b, if sb.is_empty() { &sb } else { &pb }, |p, q| p + q);
        prop_assert_eq!(get::<f32>(&out), want);
    }
}
