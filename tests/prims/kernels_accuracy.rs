//! Accuracy of the vectorized f32 kernels at every SIMD level this CPU runs (the portable
//! fallback and the AVX2+FMA / AVX-512 copies), against the correctly rounded value: the f64
//! function from std/libm rounded to f32 (exp, expm1, log, log1p and tanh are XLA's own
//! approximations, with XLA's bounds: 5, 6, 2, 2 and 6 ulp). Sweeps every 97th f32 bit
//! pattern (all signs, exponents, subnormals, inf and NaN), plus edge cases; prints the worst
//! ulp and its input
//! (`cargo test --test prims kernels_accuracy -- --nocapture`).
//! Also: the slice API's semantics for the other ops, in place and f64, and its panics.

use ferrax::internals::kernels::elementwise::{
    unary_f32, unary_f32_at, unary_f32_inplace, unary_f64, unary_f64_at, unary_f64_inplace,
};
use ferrax::internals::kernels::simd::SimdLevel;
use ferrax::internals::prims::unary::RoundingMethod;
use ferrax::internals::prims::UnaryOp;

/// Position of `v` on a line where adjacent f32s are 1 apart (-0.0 and 0.0 coincide).
fn ordinal(v: f32) -> i64 {
    let b = v.to_bits();
    if b >> 31 == 1 {
        -((b & 0x7fff_ffff) as i64)
    } else {
        b as i64
    }
}

/// Ulps between `got` and `want`; NaN matches only NaN.
fn ulps(got: f32, want: f32) -> u64 {
    match (got.is_nan(), want.is_nan()) {
        (true, true) => 0,
        (false, false) => (ordinal(got) - ordinal(want)).unsigned_abs(),
        _ => u64::MAX,
    }
}

/// The correctly rounded reference of each kernel.
fn reference(op: UnaryOp, x: f32) -> f32 {
    // exp, expm1, log, log1p, tanh and erf are XLA's (tests/prims/xla_math.rs compares them
    // with jax.jit bit for bit), which runs with denormals-are-zero and flush-to-zero: log,
    // log1p and erf read a subnormal input as zero, exp and erf write a subnormal result as
    // zero.
    let daz = |x: f32| {
        if x.abs() < f32::MIN_POSITIVE {
            0f32.copysign(x)
        } else {
            x
        }
    };
    let x = if matches!(op, UnaryOp::Log | UnaryOp::Log1p | UnaryOp::Erf) {
        daz(x)
    } else {
        x
    };
    let v = x as f64;
    let r = match op {
        UnaryOp::Exp => return daz(v.exp() as f32),
        UnaryOp::Expm1 => v.exp_m1(),
        UnaryOp::Log => v.ln(),
        UnaryOp::Log1p => v.ln_1p(),
        UnaryOp::Tanh => v.tanh(),
        UnaryOp::Logistic => 1.0 / (1.0 + (-v).exp()),
        // XLA's erf also writes a subnormal result as zero.
        UnaryOp::Erf => return daz(libm::erf(v) as f32),
        _ => unreachable!(),
    };
    r as f32
}

const ACCURATE: [UnaryOp; 7] = [
    UnaryOp::Exp,
    UnaryOp::Expm1,
    UnaryOp::Log,
    UnaryOp::Log1p,
    UnaryOp::Tanh,
    UnaryOp::Logistic,
    UnaryOp::Erf,
];

/// The edge cases every kernel must get right (and within 2 ulp).
fn edge_cases() -> Vec<f32> {
    let mut v = vec![
        0.0,
        -0.0,
        f32::from_bits(1),
        -f32::from_bits(1),
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        f32::from_bits(0x007f_ffff),
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        -f32::NAN,
        f32::MAX,
        f32::MIN,
        f32::EPSILON,
        1.0,
        -1.0,
        0.5,
        -0.5,
        // exp overflow / underflow thresholds, expm1's -1 saturation
        88.722_83,
        88.722_84,
        88.722_85,
        -87.336_55,
        -103.972_08,
        -103.972_09,
        -104.0,
        -18.0,
        -17.0,
        // tanh / erf saturation and the erf piece boundary
        9.0,
        9.1,
        -9.1,
        3.92,
        -3.92,
        0.999_999_94,
        1.000_000_1,
        -1.0,
        // log1p's pole and tiny arguments
        -0.999_999_94,
        1e-30,
        -1e-30,
        1e-8,
        -1e-8,
    ];
    for e in -149..128 {
        let p = 2f64.powi(e) as f32;
        v.extend([p, -p]);
    }
    v
}

/// The worst error of `op` at `level` over `xs` (ulp, input, got, want).
fn worst(level: SimdLevel, op: UnaryOp, xs: &[f32], want: &[f32]) -> (u64, f32, f32, f32) {
    let mut got = vec![0f32; xs.len()];
    unary_f32_at(level, op, xs, &mut got);
    let mut w = (0, 0.0, 0.0, 0.0);
    for ((&x, &g), &r) in xs.iter().zip(&got).zip(want) {
        let u = ulps(g, r);
        if u > w.0 {
            w = (u, x, g, r);
        }
    }
    w
}

/// Checks `op` on every 97th bit pattern (split over two threads) and the edge cases, at the
/// portable and the detected level (the reference computed once for both). Levels in between
/// run the same fused arithmetic as the detected one, narrower: they must agree bit for bit
/// (checked on every 4th block). Prints a line per level.
fn sweep(op: UnaryOp, max_ulps: u64) {
    let patterns = (1u64 << 32).div_ceil(97);
    let chunk = 1 << 18;
    let top = SimdLevel::detect();
    let levels = if top == SimdLevel::Portable {
        vec![top]
    } else {
        vec![SimdLevel::Portable, top]
    };
    let middle: Vec<SimdLevel> = SimdLevel::available()
        .into_iter()
        .filter(|l| !levels.contains(l))
        .collect();
    type Worst = (u64, f32, f32, f32);
    let merge = |a: &mut Vec<Worst>, b: Vec<Worst>| {
        for (x, y) in a.iter_mut().zip(b) {
            if y.0 > x.0 {
                *x = y;
            }
        }
    };
    let edges = edge_cases();
    let want: Vec<f32> = edges.iter().map(|&x| reference(op, x)).collect();
    let mut worst_per_level: Vec<Worst> = levels
        .iter()
        .map(|&l| worst(l, op, &edges, &want))
        .collect();
    let halves: Vec<Vec<Worst>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2u64)
            .map(|t| {
                let (levels, middle) = (&levels, &middle);
                s.spawn(move || {
                    let mut w = vec![(0, 0.0, 0.0, 0.0); levels.len()];
                    let mut i = t * chunk;
                    let mut block = t;
                    while i < patterns {
                        let end = (i + chunk).min(patterns);
                        let xs: Vec<f32> =
                            (i..end).map(|k| f32::from_bits((k * 97) as u32)).collect();
                        let want: Vec<f32> = xs.iter().map(|&x| reference(op, x)).collect();
                        let c = levels.iter().map(|&l| worst(l, op, &xs, &want)).collect();
                        merge(&mut w, c);
                        if block % 4 == 0 {
                            let mut a = vec![0f32; xs.len()];
                            let mut b = vec![0f32; xs.len()];
                            unary_f32_at(top, op, &xs, &mut a);
                            for &l in middle {
                                unary_f32_at(l, op, &xs, &mut b);
                                for ((&x, &p), &q) in xs.iter().zip(&a).zip(&b) {
                                    assert!(
                                        p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()),
                                        "{op:?}({x:e}): {l:?} gives {q:e}, {top:?} {p:e}"
                                    );
                                }
                            }
                        }
                        i += 2 * chunk;
                        block += 2;
                    }
                    w
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for h in halves {
        merge(&mut worst_per_level, h);
    }
    for (level, w) in levels.iter().zip(worst_per_level) {
        let line = format!(
            "{op:?} at {level:?}: worst {} ulp at x = {:e} ({:#010x}): got {:e}, want {:e}",
            w.0,
            w.1,
            w.1.to_bits(),
            w.2,
            w.3
        );
        eprintln!("{line}");
        assert!(w.0 <= max_ulps, "{line}");
    }
}

#[test]
fn exp_within_5_ulp() {
    // XLA's exp: within 1 ulp except near the overflow end (5 ulp at x = 88.71).
    sweep(UnaryOp::Exp, 5);
}

#[test]
fn expm1_within_6_ulp() {
    sweep(UnaryOp::Expm1, 6);
}

#[test]
fn log_within_2_ulp() {
    sweep(UnaryOp::Log, 2);
}

#[test]
fn log1p_within_2_ulp() {
    sweep(UnaryOp::Log1p, 2);
}

#[test]
fn tanh_within_6_ulp() {
    sweep(UnaryOp::Tanh, 6);
}

#[test]
fn logistic_within_2_ulp() {
    sweep(UnaryOp::Logistic, 2);
}

/// XLA's erf (a rational function, saturating at 3.8325): up to 6 ulp in its portable form,
/// where the multiply-adds XLA fuses round twice.
#[test]
fn erf_within_6_ulp() {
    sweep(UnaryOp::Erf, 6);
}

/// Signed zeros, NaN and infinities come out exactly as libm's (not just within 2 ulp).
#[test]
fn special_values_are_exact() {
    let xs = [0.0f32, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN];
    for level in SimdLevel::available() {
        for op in ACCURATE {
            let mut got = [0f32; 5];
            unary_f32_at(level, op, &xs, &mut got);
            for (&x, &g) in xs.iter().zip(&got) {
                let r = reference(op, x);
                assert!(
                    g.to_bits() == r.to_bits() || (g.is_nan() && r.is_nan()),
                    "{op:?} at {level:?}: f({x}) = {g}, want {r}"
                );
            }
        }
    }
}

/// Inputs that exercise every element position of the vector loops and their tails.
fn mixed_inputs(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let t = i as f32 / n as f32;
            match i % 5 {
                0 => (t - 0.5) * 20.0,
                1 => t * 3.0 + 1e-3,
                2 => -t * 100.0,
                3 => (t * 7.0).sin(),
                _ => t * 50.0,
            }
        })
        .collect()
}

/// Every float op gives the scalar value: the kernels' ops their scalar kernels, the rest
/// std/libm per element (what the primitive evaluated before), at every level, out of place
/// and in place; odd lengths cover the loop tails.
#[test]
fn every_float_op_matches_its_scalar_definition() {
    use UnaryOp::*;
    let ops = [
        Neg,
        Sign,
        Floor,
        Ceil,
        Round(RoundingMethod::AwayFromZero),
        Round(RoundingMethod::ToNearestEven),
        Exp2,
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
        Cbrt,
        Abs,
        Square,
        IntegerPow(0),
        IntegerPow(1),
        IntegerPow(2),
        IntegerPow(5),
        IntegerPow(-3),
        Lgamma,
        StopGradient,
        Copy,
    ];
    let scalar32 = |op: UnaryOp, v: f32| -> f32 {
        match op {
            Neg => -v,
            Sign => {
                if v > 0.0 {
                    1.0
                } else if v < 0.0 {
                    -1.0
                } else {
                    v
                }
            }
            Floor => v.floor(),
            Ceil => v.ceil(),
            Round(RoundingMethod::AwayFromZero) => v.round(),
            Round(RoundingMethod::ToNearestEven) => v.round_ties_even(),
            Exp2 => v.exp2(),
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
            Cbrt => v.cbrt(),
            Abs => v.abs(),
            Square => v * v,
            IntegerPow(y) => {
                // x^y by repeated squaring (XLA's order of products).
                let (mut base, mut n, mut acc) = (v, y.unsigned_abs(), 1.0f32);
                while n > 0 {
                    if n & 1 == 1 {
                        acc *= base;
                    }
                    n >>= 1;
                    if n > 0 {
                        base *= base;
                    }
                }
                if y < 0 {
                    1.0 / acc
                } else {
                    acc
                }
            }
            Lgamma => libm::lgammaf(v),
            StopGradient | Copy => v,
            _ => unreachable!(),
        }
    };
    let mut xs = mixed_inputs(1003);
    xs.extend([
        0.0,
        -0.0,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        2.5,
        -2.5,
        0.5,
    ]);
    for level in SimdLevel::available() {
        for op in ops {
            let mut got = vec![0f32; xs.len()];
            unary_f32_at(level, op, &xs, &mut got);
            for (&x, &g) in xs.iter().zip(&got) {
                let w = scalar32(op, x);
                assert!(
                    g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                    "{op:?} at {level:?}: f({x}) = {g}, want {w}"
                );
            }
            // f64: same ops through std on f64.
            let xs64: Vec<f64> = xs.iter().map(|&x| x as f64 * 1.000_000_1).collect();
            let mut got64 = vec![0f64; xs.len()];
            unary_f64_at(level, op, &xs64, &mut got64);
            let mut want64 = xs64.clone();
            ferrax::internals::kernels::elementwise::unary_f64_at(
                SimdLevel::Portable,
                op,
                &xs64,
                &mut want64,
            );
            for ((&x, &g), &w) in xs64.iter().zip(&got64).zip(&want64) {
                assert!(
                    g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                    "f64 {op:?} at {level:?}: f({x}) = {g}, want {w}"
                );
            }
        }
    }
    // The portable f64 path against std directly for the ones std has.
    let xs64: Vec<f64> = mixed_inputs(101).iter().map(|&x| x as f64).collect();
    let mut got = vec![0f64; xs64.len()];
    for (op, f) in [
        (Exp, f64::exp as fn(f64) -> f64),
        (Tanh, f64::tanh),
        (Log1p, f64::ln_1p),
        (Sqrt, f64::sqrt),
        (Floor, f64::floor),
    ] {
        unary_f64(op, &xs64, &mut got);
        for (&x, &g) in xs64.iter().zip(&got) {
            let w = f(x);
            assert!(g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()));
        }
    }
}

/// The dispatched entry points are the detected level's copy, and in place equals out of
/// place (including across the in-place block boundary).
#[test]
fn dispatch_and_in_place_agree() {
    let xs = mixed_inputs(5000);
    let xs64: Vec<f64> = xs.iter().map(|&x| x as f64).collect();
    for op in ACCURATE
        .into_iter()
        .chain([UnaryOp::Sin, UnaryOp::IntegerPow(3)])
    {
        let mut a = vec![0f32; xs.len()];
        let mut b = vec![0f32; xs.len()];
        unary_f32(op, &xs, &mut a);
        unary_f32_at(SimdLevel::detect(), op, &xs, &mut b);
        assert_eq!(
            a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            b.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            "{op:?}"
        );
        let mut c = xs.clone();
        unary_f32_inplace(op, &mut c);
        assert_eq!(
            a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            c.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            "{op:?} in place"
        );
        let mut d = vec![0f64; xs.len()];
        unary_f64(op, &xs64, &mut d);
        let mut e = xs64.clone();
        unary_f64_inplace(op, &mut e);
        assert_eq!(
            d.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            e.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            "f64 {op:?} in place"
        );
    }
}

/// The primitive evaluates through the slice kernels: eager `tanh`/`erf` give the kernel's
/// values.
#[test]
fn eager_ops_use_the_kernels() {
    use ferrax::Tensor;
    let xs = mixed_inputs(300);
    for (op, f) in [
        (UnaryOp::Tanh, ferrax::lax::tanh as fn(&Tensor) -> Tensor),
        (UnaryOp::Erf, ferrax::lax::erf),
        (UnaryOp::Expm1, ferrax::lax::expm1),
    ] {
        let t = f(&Tensor::from_vec(xs.clone(), &[3, 100]));
        let mut want = vec![0f32; xs.len()];
        unary_f32(op, &xs, &mut want);
        assert_eq!(t.to_vec::<f32>(), want, "{op:?}");
    }
}

#[test]
#[should_panic(expected = "unary_f32: Not is not a float-to-float op")]
fn non_float_op_panics() {
    unary_f32(UnaryOp::Not, &[1.0], &mut [0.0]);
}

#[test]
#[should_panic(expected = "unary_f64: Exp with source length 2 but destination length 1")]
fn length_mismatch_panics() {
    unary_f64(UnaryOp::Exp, &[1.0, 2.0], &mut [0.0]);
}

// ---------------------------------------------------------------------------------------------
// Reductions
// ---------------------------------------------------------------------------------------------

use ferrax::internals::kernels::reduce::{reduce_f32, reduce_f32_at, reduce_f64_at, ReduceKind};

/// f64 reference by index arithmetic: sums and products in f64, max/min with NaN winning.
fn ref_reduce(kind: ReduceKind, xs: &[f32], shape: &[usize], axes: &[usize]) -> Vec<f64> {
    let kept: Vec<usize> = (0..shape.len()).filter(|d| !axes.contains(d)).collect();
    let n_out: usize = kept.iter().map(|&d| shape[d]).product();
    let init = match kind {
        ReduceKind::Sum => 0.0,
        ReduceKind::Prod => 1.0,
        ReduceKind::Max => f64::NEG_INFINITY,
        ReduceKind::Min => f64::INFINITY,
    };
    let mut out = vec![init; n_out];
    for (flat, &x) in xs.iter().enumerate() {
        let mut rem = flat;
        let mut idx = vec![0; shape.len()];
        for d in (0..shape.len()).rev() {
            idx[d] = rem % shape[d];
            rem /= shape[d];
        }
        let o = kept.iter().fold(0, |acc, &d| acc * shape[d] + idx[d]);
        let (a, v) = (out[o], x as f64);
        out[o] = match kind {
            ReduceKind::Sum => a + v,
            ReduceKind::Prod => a * v,
            ReduceKind::Max if a.is_nan() || v.is_nan() => f64::NAN,
            ReduceKind::Min if a.is_nan() || v.is_nan() => f64::NAN,
            ReduceKind::Max => a.max(v),
            ReduceKind::Min => a.min(v),
        };
    }
    out
}

fn pseudo_random(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 0.5
        })
        .collect()
}

/// Every subset of axes of several shapes (rows, columns, middle axes, interleaved, size-1
/// and empty dims), every kind, every level: max/min exact, sums and products within a few
/// ulp of the f64 reference scaled by the magnitudes involved; f64 too; levels agree bit for
/// bit.
#[test]
fn reductions_match_an_f64_reference() {
    let shapes: [&[usize]; 9] = [
        &[1000],
        &[128, 512],
        &[3, 70, 5],
        &[2, 1, 33, 4],
        &[6, 7, 8, 9],
        &[4096, 3],
        &[0, 5],
        &[5, 0, 2],
        &[],
    ];
    let kinds = [
        ReduceKind::Sum,
        ReduceKind::Prod,
        ReduceKind::Max,
        ReduceKind::Min,
    ];
    for (si, shape) in shapes.iter().enumerate() {
        let n: usize = shape.iter().product();
        let mut xs = pseudo_random(n, si as u64);
        for kind in kinds {
            if kind == ReduceKind::Prod {
                // Values near 1 so products stay in range.
                xs.iter_mut().for_each(|v| *v = 1.0 + (*v - 0.5) / 64.0);
            }
            for mask in 0..1u32 << shape.len() {
                let axes: Vec<usize> = (0..shape.len()).filter(|d| mask >> d & 1 == 1).collect();
                let want = ref_reduce(kind, &xs, shape, &axes);
                let abs_want = ref_reduce(
                    if kind == ReduceKind::Sum {
                        kind
                    } else {
                        ReduceKind::Max
                    },
                    &xs.iter().map(|v| v.abs()).collect::<Vec<_>>(),
                    shape,
                    &axes,
                );
                let mut first: Option<Vec<u32>> = None;
                for level in SimdLevel::available() {
                    let mut got = vec![0f32; want.len()];
                    reduce_f32_at(level, kind, &xs, shape, &axes, &mut got);
                    for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
                        let tol = match kind {
                            ReduceKind::Sum => 1e-6 * abs_want[i].max(1e-30) * 4.0,
                            // Products of up to 4096 factors run in order down columns.
                            ReduceKind::Prod => 1.2e-7 * (n / want.len().max(1)) as f64 * w.abs(),
                            _ => 0.0,
                        };
                        assert!(
                            g as f64 == w
                                || (g as f64 - w).abs() <= tol
                                || (g.is_nan() && w.is_nan()),
                            "{kind:?} {shape:?} axes {axes:?} at {level:?}: [{i}] = {g}, want {w}"
                        );
                    }
                    let bits: Vec<u32> = got.iter().map(|v| v.to_bits()).collect();
                    match &first {
                        None => first = Some(bits),
                        Some(b) => assert_eq!(b, &bits, "{kind:?} {shape:?} {axes:?} {level:?}"),
                    }
                    let xs64: Vec<f64> = xs.iter().map(|&v| v as f64).collect();
                    let mut got64 = vec![0f64; want.len()];
                    reduce_f64_at(level, kind, &xs64, shape, &axes, &mut got64);
                    for (&g, &w) in got64.iter().zip(&want) {
                        let tol = 1e-12 * w.abs().max(1.0) * 1e3;
                        assert!(
                            g == w || (g - w).abs() <= tol || (g.is_nan() && w.is_nan()),
                            "f64 {kind:?} {shape:?} {axes:?} at {level:?}: {g} vs {w}"
                        );
                    }
                }
            }
        }
    }
}

/// Pairwise summation: 10^6 copies of 0.1 sum to within 64 ε relative (a left-to-right f32
/// loop is off by ~1%), over the whole array and down the columns of a tall matrix.
#[test]
fn sums_are_pairwise_accurate() {
    let n = 1_000_000;
    let xs = vec![0.1f32; n];
    let want = 0.1f32 as f64 * n as f64;
    let naive = xs.iter().fold(0f32, |a, &v| a + v) as f64;
    assert!(
        (naive - want).abs() / want > 1e-3,
        "the naive loop is inaccurate: {naive}"
    );
    for level in SimdLevel::available() {
        let mut s = [0f32];
        reduce_f32_at(level, ReduceKind::Sum, &xs, &[n], &[0], &mut s);
        assert!(
            ((s[0] as f64) - want).abs() / want < 1e-6,
            "{level:?}: {}",
            s[0]
        );
        // Columns: [100000, 10] over axis 0.
        let mut cols = [0f32; 10];
        reduce_f32_at(level, ReduceKind::Sum, &xs, &[n / 10, 10], &[0], &mut cols);
        for c in cols {
            let w = want / 10.0;
            let rel = ((c as f64) - w).abs() / w;
            assert!(
                rel < 64.0 * f32::EPSILON as f64 / 2.0,
                "{level:?}: column {c}"
            );
        }
    }
}

/// NaN propagates from any position (including loop tails and lane remainders); infinities
/// and the identities of empty reductions are exact.
#[test]
fn max_min_propagate_nan_and_handle_infinities() {
    for n in [1usize, 5, 31, 64, 65, 1000, 5000] {
        for pos in [0, n / 2, n - 1] {
            let mut xs = pseudo_random(n, 7);
            xs[pos] = f32::NAN;
            for kind in [ReduceKind::Max, ReduceKind::Min, ReduceKind::Sum] {
                assert!(
                    reduce_f32(kind, &xs, &[n], &[0])[0].is_nan(),
                    "{kind:?} {n} {pos}"
                );
                let rows = reduce_f32(kind, &xs, &[1, n], &[1]);
                assert!(rows[0].is_nan());
                let cols = reduce_f32(kind, &xs, &[n, 1], &[0]);
                assert!(cols[0].is_nan());
            }
            xs[pos] = f32::INFINITY;
            assert_eq!(
                reduce_f32(ReduceKind::Max, &xs, &[n], &[0])[0],
                f32::INFINITY
            );
            xs[pos] = f32::NEG_INFINITY;
            assert_eq!(
                reduce_f32(ReduceKind::Min, &xs, &[n], &[0])[0],
                f32::NEG_INFINITY
            );
        }
    }
    assert_eq!(
        reduce_f32(ReduceKind::Max, &[], &[0, 2], &[0]),
        vec![f32::NEG_INFINITY; 2]
    );
    assert_eq!(
        reduce_f32(ReduceKind::Min, &[], &[3, 0], &[1]),
        vec![f32::INFINITY; 3]
    );
    assert_eq!(reduce_f32(ReduceKind::Prod, &[], &[0], &[0]), vec![1.0]);
}

#[test]
#[should_panic(expected = "reduce (Sum): source of 3 elements, shape [2, 2]")]
fn reduce_length_mismatch_panics() {
    reduce_f32(ReduceKind::Sum, &[1.0, 2.0, 3.0], &[2, 2], &[0]);
}

/// The dispatched copies really are the FMA ones: on an FMA machine some exp/erf/tanh results
/// differ from the portable copy in the last bit (a silent fallback would make them equal).
#[test]
fn fma_levels_differ_from_the_portable_copy() {
    let top = SimdLevel::detect();
    if top == SimdLevel::Portable {
        eprintln!("no FMA on this CPU: nothing to compare");
        return;
    }
    let xs = mixed_inputs(100_000);
    for op in [UnaryOp::Exp, UnaryOp::Erf, UnaryOp::Tanh] {
        let mut a = vec![0f32; xs.len()];
        let mut b = vec![0f32; xs.len()];
        unary_f32_at(SimdLevel::Portable, op, &xs, &mut a);
        unary_f32_at(top, op, &xs, &mut b);
        let differ = a
            .iter()
            .zip(&b)
            .filter(|(p, q)| p.to_bits() != q.to_bits())
            .count();
        eprintln!(
            "{op:?}: {differ} of {} values differ between Portable and {top:?}",
            xs.len()
        );
        assert!(differ > 0, "{op:?}: {top:?} gives the portable values");
        assert!(a.iter().zip(&b).all(|(p, q)| ulps(*p, *q) <= 8));
    }
}
