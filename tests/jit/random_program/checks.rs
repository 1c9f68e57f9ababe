//! Helpers of the explicit jit-vs-eager tests: deterministic inputs, bitwise comparisons
//! (`check`, `same`, ulp distances), and `check_jaxpr` on sub-jaxprs.

use ferrax::core::Shape;
use ferrax::lax::{ConvDimensionNumbers, ConvParams};
use ferrax::numpy as jnp;
use ferrax::prelude::*;

// ---- explicit tests: inputs and checks ----

/// Deterministic values in [lo, hi).
pub fn vals(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(99);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            lo + (hi - lo) * ((s >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

pub fn rand(shape: &[usize], dtype: DType, seed: u64) -> Tensor {
    let n = shape.iter().product();
    let v = vals(n, seed, -2.0, 2.0);
    let v: Vec<f64> = if dtype.is_float() {
        v
    } else {
        v.iter().map(|x| (x * 3.0).round()).collect()
    };
    Tensor::from_f64_values(&v, shape, dtype)
}

pub fn in_range(shape: &[usize], lo: f64, hi: f64, seed: u64) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_f64_values(&vals(n, seed, lo, hi), shape, DType::F32)
}

pub fn same<O: PyTree>(what: &str, got: &O, want: &O) {
    assert_eq!(got.treedef(), want.treedef(), "{what}: structure");
    let (u, at) = max_ulps(&got.leaves(), &want.leaves());
    assert!(u == 0, "{what}: jit differs from eager by {u} ulp at {at}");
}

/// jit(f)(x) == f(x), bitwise, on the first and on the cached call.
pub fn check<P: PyTree, O: PyTree>(what: &str, f: impl Fn(&P) -> O, x: &P) {
    let want = f(x);
    let fast = jit(&f);
    let before: Vec<Vec<f64>> = x.leaves().iter().map(|t| t.array().to_f64_vec()).collect();
    same(what, &fast(x), &want);
    // The interpreter may reuse buffers in place, but never the caller's.
    let after: Vec<Vec<f64>> = x.leaves().iter().map(|t| t.array().to_f64_vec()).collect();
    let bits =
        |v: &Vec<Vec<f64>>| -> Vec<u64> { v.iter().flatten().map(|x| x.to_bits()).collect() };
    assert!(
        bits(&before) == bits(&after),
        "{what}: jit modified its input"
    );
    same(&format!("{what} (cached)"), &fast(x), &want);
}

/// `check`, and also jit(grad(sum of f)) == grad(sum of f) and jit(vmap(f)) == vmap(f) on
/// a batch of two stacked inputs.
pub fn check_all(what: &str, f: impl Fn(&Tensor) -> Tensor, x: &Tensor) {
    check(what, &f, x);
    let loss = |x: &Tensor| f(x).sum();
    same(
        &format!("{what}: grad"),
        &jit(grad(loss))(x),
        &grad(loss)(x),
    );
    let xs = jnp::stack(&[x.clone(), x * 0.5 + 0.25], 0);
    same(
        &format!("{what}: vmap"),
        &jit(vmap(&f))(&xs),
        &vmap(&f)(&xs),
    );
}

pub fn conv_params(
    strides: [usize; 2],
    pad: [(i64, i64); 2],
    lhs_dil: [usize; 2],
    rhs_dil: [usize; 2],
    fg: usize,
    bg: usize,
) -> ConvParams {
    ConvParams {
        window_strides: strides.to_vec(),
        padding: pad.to_vec(),
        lhs_dilation: lhs_dil.to_vec(),
        rhs_dilation: rhs_dil.to_vec(),
        dimension_numbers: ConvDimensionNumbers {
            lhs_spec: Shape::from_slice(&[0, 3, 1, 2]),
            rhs_spec: Shape::from_slice(&[3, 2, 0, 1]),
            out_spec: Shape::from_slice(&[0, 3, 1, 2]),
        },
        feature_group_count: fg,
        batch_group_count: bg,
    }
}

// ---- checking jaxprs ----------------------------------------------------------------------

/// `check_jaxpr` on `j` and, recursively, on every sub-jaxpr of its scan, while, cond and
/// call equations (which `check_jaxpr` itself does not enter).
pub fn check_jaxpr_deep(j: &Jaxpr) -> Result<(), String> {
    ferrax::core::check_jaxpr(j)?;
    for (i, e) in j.eqns.iter().enumerate() {
        for sub in e.prim.sub_jaxprs() {
            check_jaxpr_deep(sub).map_err(|m| format!("in equation {i} ({}): {m}", e.prim))?;
        }
    }
    Ok(())
}

// ---- comparing results ---------------------------------------------------------------------

/// Distance in units in the last place between two floats of `dtype` (0 when bitwise equal
/// or both NaN; `u64::MAX` when only one is NaN).
pub fn ulps(a: f64, b: f64, dtype: DType) -> u64 {
    if a.is_nan() && b.is_nan() {
        return 0;
    }
    if a.is_nan() || b.is_nan() {
        return u64::MAX;
    }
    let key32 = |v: f32| {
        let i = v.to_bits() as i32;
        (if i < 0 { i32::MIN - i } else { i }) as i64
    };
    let key64 = |v: f64| {
        let i = v.to_bits() as i64;
        (if i < 0 { i64::MIN - i } else { i }) as i128
    };
    match dtype {
        DType::F32 => key32(a as f32).abs_diff(key32(b as f32)),
        DType::F64 => key64(a).abs_diff(key64(b)) as u64,
        _ => {
            if a == b {
                0
            } else {
                u64::MAX
            }
        }
    }
}

/// The largest ulp distance between two lists of tensors (types must match), with a
/// description of where it is.
pub fn max_ulps(got: &[Tensor], want: &[Tensor]) -> (u64, String) {
    assert_eq!(got.len(), want.len(), "output count");
    let mut worst = (0, String::new());
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.aval(), w.aval(), "output {k}: type");
        let (gv, wv) = (g.array().to_f64_vec(), w.array().to_f64_vec());
        for (i, (a, b)) in gv.iter().zip(&wv).enumerate() {
            let u = ulps(*a, *b, g.dtype());
            if u > worst.0 {
                worst = (
                    u,
                    format!("output {k} ({}) element {i}: {a:e} vs {b:e}", g.aval()),
                );
            }
        }
    }
    worst
}

/// The largest difference between two lists of tensors relative to each tensor's scale
/// (`|got - want| / max(1, max |want|)`), with where it is; NaN matches NaN only.
pub fn max_scaled_diff(got: &[Tensor], want: &[Tensor]) -> (f64, String) {
    assert_eq!(got.len(), want.len(), "output count");
    let mut worst = (0.0, String::new());
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.aval(), w.aval(), "output {k}: type");
        let (gv, wv) = (g.array().to_f64_vec(), w.array().to_f64_vec());
        let scale = wv
            .iter()
            .filter(|v| v.is_finite())
            .fold(1.0f64, |m, v| m.max(v.abs()));
        for (i, (a, b)) in gv.iter().zip(&wv).enumerate() {
            let d = if a == b || (a.is_nan() && b.is_nan()) {
                0.0
            } else {
                ((a - b).abs() / scale).max(if a.is_nan() || b.is_nan() {
                    f64::INFINITY
                } else {
                    0.0
                })
            };
            if d > worst.0 || d.is_nan() {
                worst = (
                    d,
                    format!("output {k} ({}) element {i}: {a:e} vs {b:e}", g.aval()),
                );
            }
        }
    }
    worst
}

/// Runs `j` as `jit` would, without jit's optimization: fused (`passes::fuse`, which must
/// give a well-typed jaxpr) and compiled into an interpreter `Program`; the outputs must
/// equal `want` bitwise. Returns an error message instead of panicking.
pub fn run_fused(j: &ClosedJaxpr, args: &[Tensor], want: &[Tensor]) -> Result<(), String> {
    let fused = ferrax::internals::passes::fuse(&j.jaxpr);
    check_jaxpr_deep(&fused).map_err(|e| format!("fuse gave an ill-typed jaxpr: {e}\n{fused}"))?;
    let inputs: Vec<Tensor> = j.consts.iter().chain(args).cloned().collect();
    let got = ferrax::internals::interp::Program::new(&fused).run(inputs);
    let (u, at) = max_ulps(&got, want);
    if u != 0 {
        return Err(format!("fused program differs by {u} ulp at {at}\n{fused}"));
    }
    Ok(())
}
