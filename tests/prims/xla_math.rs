//! ferrax's f32 `exp`, `expm1`, `log`, `log1p`, `tanh`, `erf_inv`, `erf` and `rsqrt` against
//! what XLA's CPU backend computes for `jax.jit` (JAX 0.10.2; tests/golden/xla_math.txt,
//! written by tests/golden/make_xla_math.py): bit for bit at the FMA levels (XLA contracts
//! a*b+c into FMA on such CPUs; the golden file was made on one, an AMD EPYC), eagerly,
//! through the slice kernels at every level with FMA, and under `jit`. `rsqrt` refines the
//! CPU's own `rsqrtss` estimate, so its bits are only the golden file's on a CPU of the same
//! vendor; elsewhere it is held to 2 ulp of `1/√x`. `xla_math_full` (ignored) repeats it over tens of
//! millions of inputs written by `make_xla_math.py --full DIR` (FERRAX_XLA_MATH_FULL=DIR).

use crate::common::golden::{self, Golden};
use ferrax::internals::kernels::elementwise::unary_f32_at;
use ferrax::internals::kernels::simd::SimdLevel;
use ferrax::internals::prims::UnaryOp;
use ferrax::prelude::*;
use ferrax::{jit, lax};

const OPS: [(&str, UnaryOp); 8] = [
    ("exp", UnaryOp::Exp),
    ("expm1", UnaryOp::Expm1),
    ("log", UnaryOp::Log),
    ("log1p", UnaryOp::Log1p),
    ("tanh", UnaryOp::Tanh),
    ("erf_inv", UnaryOp::ErfInv),
    ("erf", UnaryOp::Erf),
    ("rsqrt", UnaryOp::Rsqrt),
];

/// Whether this CPU's `rsqrtss` estimate is the golden machine's (the vendor decides it).
fn golden_rsqrt() -> bool {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|s| s.contains("AuthenticAMD"))
        .unwrap_or(false)
}

fn lax_op(name: &str, x: &Tensor) -> Tensor {
    match name {
        "exp" => lax::exp(x),
        "expm1" => lax::expm1(x),
        "log" => lax::log(x),
        "log1p" => lax::log1p(x),
        "tanh" => lax::tanh(x),
        "erf_inv" => lax::erf_inv(x),
        "erf" => lax::erf(x),
        "rsqrt" => lax::rsqrt(x),
        _ => unreachable!("{name}"),
    }
}

fn f32s(g: &Golden) -> Vec<f32> {
    g.values.iter().map(|&v| v as f32).collect()
}

/// Same bits, or both NaN (XLA's NaN payloads are not ours to match).
fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Count of mismatches and the first few, for the message.
fn mismatches(x: &[f32], got: &[f32], want: &[f32]) -> (usize, Vec<String>) {
    let bad: Vec<usize> = (0..x.len()).filter(|&i| !same(got[i], want[i])).collect();
    let show = bad
        .iter()
        .take(5)
        .map(|&i| {
            format!(
                "x={:e} ({:08x}): got {:e}, XLA {:e}",
                x[i],
                x[i].to_bits(),
                got[i],
                want[i]
            )
        })
        .collect();
    (bad.len(), show)
}

/// The FMA levels of this CPU (XLA's values are those of an FMA machine).
fn fma_levels() -> Vec<SimdLevel> {
    SimdLevel::available()
        .into_iter()
        .filter(|&l| l != SimdLevel::Portable)
        .collect()
}

#[test]
fn xla_math_golden_bit_exact() {
    if fma_levels().is_empty() {
        eprintln!("no FMA on this CPU: XLA's golden values (made with FMA) do not apply");
        return;
    }
    let g: std::collections::HashMap<String, Golden> =
        golden::arrays(include_str!("../golden/xla_math.txt"))
            .into_iter()
            .collect();
    for (name, op) in OPS {
        let x = f32s(&g[&format!("in.{name}")]);
        let want = f32s(&g[&format!("out.{name}")]);
        if op == UnaryOp::Rsqrt && !golden_rsqrt() {
            rsqrt_within_2_ulp(&x);
            continue;
        }
        for level in fma_levels() {
            let mut got = vec![0f32; x.len()];
            unary_f32_at(level, op, &x, &mut got);
            let (n, show) = mismatches(&x, &got, &want);
            assert_eq!(
                n,
                0,
                "{name} at {level:?}: {n} of {} differ from XLA: {show:?}",
                x.len()
            );
        }
        let t = Tensor::from_vec(x.clone(), &[x.len()]);
        let eager = lax_op(name, &t).to_vec::<f32>();
        let (n, show) = mismatches(&x, &eager, &want);
        assert_eq!(n, 0, "{name} eager: {n} differ from XLA: {show:?}");
        let jitted = jit(move |t: &Tensor| lax_op(name, t))(&t).to_vec::<f32>();
        let (n, show) = mismatches(&x, &jitted, &want);
        assert_eq!(n, 0, "{name} under jit: {n} differ from XLA: {show:?}");
    }
}

/// XLA's rsqrt on a CPU whose `rsqrtss` estimate is not the golden machine's: within 2 ulp
/// of `1/√x` (computed in f64) on the positive normal inputs.
fn rsqrt_within_2_ulp(x: &[f32]) {
    eprintln!("rsqrt: this CPU's rsqrtss estimate is not the golden file's; checking 2 ulp");
    let xs: Vec<f32> = x
        .iter()
        .copied()
        .filter(|v| v.is_normal() && *v > 0.0)
        .collect();
    let got = lax::rsqrt(&Tensor::from_vec(xs.clone(), &[xs.len()])).to_vec::<f32>();
    for (&v, &g) in xs.iter().zip(&got) {
        let want = (1.0 / (v as f64).sqrt()) as f32;
        let d = (g.to_bits() as i64 - want.to_bits() as i64).unsigned_abs();
        assert!(d <= 2, "rsqrt({v:e}) = {g:e}, 1/sqrt = {want:e}");
    }
}

/// The portable (no FMA) copy evaluates the same formulas with separate roundings: what XLA
/// gives on a CPU without FMA. Not comparable to the golden file; checked for sanity against
/// f64 (a few ulps) instead.
#[test]
fn xla_math_portable_is_close() {
    let x: Vec<f32> = (0..20_000).map(|i| -0.999 + i as f32 * 1e-4).collect();
    for (name, op) in OPS {
        let mut got = vec![0f32; x.len()];
        unary_f32_at(SimdLevel::Portable, op, &x, &mut got);
        let mut fused = vec![0f32; x.len()];
        unary_f32_at(SimdLevel::detect(), op, &x, &mut fused);
        for (i, (&a, &b)) in got.iter().zip(&fused).enumerate() {
            if a.is_nan() && b.is_nan() {
                continue;
            }
            let d = (a as f64 - b as f64).abs();
            assert!(
                d <= 8.0 * f32::EPSILON as f64 * (b.abs() as f64).max(1e-30),
                "{name}({}): {a} vs {b}",
                x[i]
            );
        }
    }
}

#[test]
#[ignore = "needs FERRAX_XLA_MATH_FULL=DIR from `make_xla_math.py --full DIR` (GBs)"]
fn xla_math_full() {
    let Ok(dir) = std::env::var("FERRAX_XLA_MATH_FULL") else {
        eprintln!("FERRAX_XLA_MATH_FULL not set");
        return;
    };
    for (name, op) in OPS {
        let bytes = std::fs::read(format!("{dir}/{name}.bin")).expect("the .bin file");
        let v: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let x: Vec<f32> = v.iter().step_by(2).copied().collect();
        let want: Vec<f32> = v.iter().skip(1).step_by(2).copied().collect();
        let mut got = vec![0f32; x.len()];
        unary_f32_at(SimdLevel::detect(), op, &x, &mut got);
        let (n, show) = mismatches(&x, &got, &want);
        let mut worst = 0u32;
        for i in 0..x.len() {
            if !same(got[i], want[i]) && got[i].is_finite() && want[i].is_finite() {
                worst = worst.max(
                    (got[i].to_bits() as i64 - want[i].to_bits() as i64).unsigned_abs() as u32,
                );
            }
        }
        eprintln!(
            "{name}: {} inputs, {n} differ from XLA (max {worst} ulp) {show:?}",
            x.len()
        );
    }
}
