//! The `jax.numpy` twins added for issue 18 (breadth, part 1): every function against JAX
//! 0.10.2's outputs (tests/golden/numpy.txt, written by tests/golden/make_numpy.py; dtype and
//! shape exactly, values bit for bit except the transcendental and accumulating ones, within
//! a few ulps), `check_grads` on every differentiable one, and vmap/jit agreement on a few.

use crate::common::golden::{self, dtype_name, Golden};
use crate::common::panics::panic_message;
use std::collections::HashMap;

use ferrax::numpy::{self as jnp, *};
use ferrax::prelude::*;
use ferrax::test_util::check_grads;

fn golden() -> Vec<(String, Golden)> {
    golden::arrays(include_str!("../golden/numpy.txt"))
}

pub(crate) fn inputs() -> HashMap<String, Tensor> {
    golden::inputs_of(golden())
}

/// ferrax's output for golden case `name` (`function.case`, without a `.i` output index).
fn run(name: &str, i: &HashMap<String, Tensor>) -> Vec<Tensor> {
    let x = |k: &str| i[k].clone();
    let (a, b, c, p, u, g, s, h, z) = (
        x("A"),
        x("B"),
        x("C"),
        x("P"),
        x("U"),
        x("G"),
        x("S"),
        x("H"),
        x("Z"),
    );
    let (k1, k2, m, t, v, w, e) = (x("K1"), x("K2"), x("M"), x("T"), x("V"), x("W"), x("E"));
    let (ii, jj, l, r, xx, yy, ix, iy) = (
        x("I"),
        x("J"),
        x("L"),
        x("R"),
        x("X").cast(DType::F64),
        x("Y").cast(DType::F64),
        x("IX"),
        x("IY"),
    );
    let one = |t: Tensor| vec![t];
    let f64s = DType::F64;
    match name {
        "abs.A" => one(jnp::abs(&a)),
        "abs.I" => one(jnp::abs(&ii)),
        "absolute.A" => one(absolute(&a)),
        "negative.A" => one(negative(&a)),
        "negative.I" => one(negative(&ii)),
        "positive.A" => one(positive(&a)),
        "sign.A" => one(sign(&a)),
        "sign.I" => one(sign(&ii)),
        "sign.S" => one(sign(&s)),
        "sqrt.P" => one(jnp::sqrt(&p)),
        "sqrt.I" => one(jnp::sqrt(&jnp::abs(&ii))),
        "cbrt.A" => one(cbrt(&a)),
        "square.A" => one(square(&a)),
        "square.I" => one(square(&ii)),
        "reciprocal.P" => one(reciprocal(&p)),
        "exp.A" => one(jnp::exp(&a)),
        "exp.E" => one(jnp::exp(&e)),
        "exp2.A" => one(exp2(&a)),
        "expm1.A" => one(expm1(&a)),
        "log.P" => one(jnp::log(&p)),
        "log1p.P" => one(log1p(&p)),
        "log2.P" => one(log2(&p)),
        "log10.P" => one(log10(&p)),
        "sin.A" => one(jnp::sin(&a)),
        "cos.A" => one(jnp::cos(&a)),
        "tan.A" => one(jnp::tan(&a)),
        "arcsin.U" => one(arcsin(&u)),
        "arccos.U" => one(arccos(&u)),
        "arctan.A" => one(arctan(&a)),
        "arctan2.AB" => one(arctan2(&a, &b)),
        "sinh.A" => one(jnp::sinh(&a)),
        "cosh.A" => one(jnp::cosh(&a)),
        "tanh.A" => one(jnp::tanh(&a)),
        "arcsinh.A" => one(arcsinh(&a)),
        "arccosh.G" => one(arccosh(&g)),
        "arctanh.U" => one(arctanh(&u)),
        "floor.A" => one(jnp::floor(&a)),
        "floor.I" => one(jnp::floor(&ii)),
        "ceil.A" => one(jnp::ceil(&a)),
        "round.H" => one(jnp::round(&h)),
        "round.I" => one(jnp::round(&ii)),
        "rint.H" => one(rint(&h)),
        "trunc.A" => one(trunc(&a)),
        "logaddexp.AB" => one(logaddexp(&a, &b)),
        "logaddexp.S" => one(logaddexp(&s, &s)),
        "logaddexp2.AB" => one(logaddexp2(&a, &b)),
        "hypot.AB" => one(hypot(&a, &b)),
        "hypot.S" => one(hypot(&s, 1.0)),
        "floor_divide.AB" => one(floor_divide(&a, &b)),
        "floor_divide.IJ" => one(floor_divide(&ii, &jj)),
        "mod.IJ" => one(mod_(&ii, &jj)),
        "remainder.AB" => one(remainder(&a, &b)),
        "remainder.IJ" => one(remainder(&ii, &jj)),
        "fmod.AB" => one(fmod(&a, &b)),
        "fmod.IJ" => one(fmod(&ii, &jj)),
        "true_divide.IJ" => one(true_divide(&ii, &jj)),
        "float_power.PB" => one(float_power(&p, &b)),
        "power.PB" => one(power(&p, &b)),
        "maximum.AB" => one(maximum(&a, &b)),
        "minimum.AB" => one(minimum(&a, &b)),
        "isnan.S" => one(isnan(&s)),
        "isnan.I" => one(isnan(&ii)),
        "isinf.S" => one(isinf(&s)),
        "isfinite.S" => one(isfinite(&s)),
        "isfinite.I" => one(isfinite(&ii)),
        "isposinf.S" => one(isposinf(&s)),
        "isneginf.S" => one(isneginf(&s)),
        "signbit.S" => one(signbit(&s)),
        "signbit.I" => one(signbit(&ii)),
        "copysign.AB" => one(copysign(&a, &b)),
        "copysign.S" => one(copysign(2.0, &s)),
        "heaviside.A" => one(heaviside(&c, 0.5)),
        "sinc.Z" => one(sinc(&z)),
        "sinc.A" => one(sinc(&a)),
        "deg2rad.A" => one(deg2rad(&a)),
        "radians.A" => one(radians(&a)),
        "rad2deg.A" => one(rad2deg(&a)),
        "degrees.A" => one(degrees(&a)),
        "clip.A" => one(clip(&a, -1.0, 2.0)),
        "clip.I" => one(clip(&ii, 0, 3)),
        "clip.min" => one(clip_with(
            &a,
            Clip {
                min: Some((-1.0).into_operand()),
                ..Default::default()
            },
        )),
        "nan_to_num.S" => one(nan_to_num(&s)),
        "nan_to_num.opts" => one(nan_to_num_with(
            &s,
            NanToNum {
                nan: 1.0,
                posinf: Some(5.0),
                neginf: Some(-5.0),
            },
        )),
        "logical_and.LR" => one(logical_and(&l, &r)),
        "logical_or.LR" => one(logical_or(&l, &r)),
        "logical_xor.LR" => one(logical_xor(&l, &r)),
        "logical_not.L" => one(logical_not(&l)),
        "logical_not.C" => one(logical_not(&c)),
        "equal.AC" => one(equal(&a, &c)),
        "not_equal.AC" => one(not_equal(&a, &c)),
        "less.AC" => one(less(&a, &c)),
        "less_equal.AC" => one(less_equal(&a, &c)),
        "greater.AC" => one(greater(&a, &c)),
        "greater_equal.AC" => one(greater_equal(&a, &c)),
        "isclose.K" => one(isclose(&k1, &k2)),
        "isclose.nan" => one(isclose_with(
            &k1,
            &k2,
            IsClose {
                equal_nan: true,
                ..Default::default()
            },
        )),
        "isclose.tol" => one(isclose_with(
            &a,
            &c,
            IsClose {
                rtol: 0.0,
                atol: 0.6,
                ..Default::default()
            },
        )),
        "allclose.AA" => one(allclose(&a, add(&a, 1e-6))),
        "allclose.K" => one(allclose(&k1, &k2)),
        "array_equal.AA" => one(array_equal(&a, &a)),
        "array_equal.AC" => one(array_equal(&a, &c)),
        "array_equal.shape" => one(array_equal(&a, &m)),
        "array_equal.nan" => one(array_equal_with(&s, &s, true)),
        "array_equiv.bcast" => one(array_equiv(&tile(&v, &[2, 1]), &v)),
        "array_equiv.no" => one(array_equiv(&a, &v)),
        "zeros.23" => one(zeros(&[2, 3])),
        "zeros.i32" => one(zeros_with(
            &[2],
            WithDType {
                dtype: Some(DType::I32),
            },
        )),
        "ones.2" => one(ones(&[2])),
        "full.int" => one(full(&[2, 2], 7)),
        "full.float" => one(full(&[2], 0.5)),
        "full.bool" => one(full(&[3], true)),
        "full_like.I" => one(full_like(&ii, 3)),
        "full_like.A" => one(full_like(&a, 2.5)),
        "zeros_like.I" => one(zeros_like(&ii)),
        "ones_like.L" => one(ones_like(&l)),
        "empty_like.A" => one(empty_like(&a)),
        "arange.5" => one(arange(0, 5, 1)),
        "arange.float" => one(arange(1.0, 2.0, 0.25)),
        "arange.neg" => one(arange(5, 0, -2)),
        "arange.f32" => one(arange_with(
            0,
            3,
            1,
            WithDType {
                dtype: Some(DType::F32),
            },
        )),
        "arange.empty" => one(arange(3, 3, 1)),
        "linspace.5" => one(linspace(0.0, 1.0, 5)),
        "linspace.7" => one(linspace(-1.0, 2.0, 7)),
        "linspace.noend" => one(linspace_with(0.0, 1.0, 4, noend())),
        "linspace.third" => one(linspace_with(0.0, 1.0, 3, noend())),
        "linspace.1" => one(linspace(2.0, 3.0, 1)),
        "linspace.0" => one(linspace(0.0, 1.0, 0)),
        "linspace.int" => one(linspace_with(
            0.0,
            10.0,
            4,
            Linspace {
                dtype: Some(DType::I32),
                ..Default::default()
            },
        )),
        "logspace.5" => one(logspace(0.0, 2.0, 5)),
        "logspace.base2" => one(logspace_with(
            0.0,
            3.0,
            4,
            Linspace {
                base: 2.0,
                endpoint: false,
                dtype: None,
            },
        )),
        "geomspace.4" => one(geomspace(1.0, 1000.0, 4)),
        "geomspace.neg" => one(geomspace(-1.0, -16.0, 5)),
        "eye.3" => one(eye(3)),
        "eye.23k1" => one(eye_with(
            2,
            Eye {
                m: Some(3),
                k: 1,
                dtype: None,
            },
        )),
        "eye.3km1" => one(eye_with(
            3,
            Eye {
                k: -1,
                ..Default::default()
            },
        )),
        "identity.2" => one(identity(2)),
        "tri.3" => one(tri(3)),
        "tri.34k1" => one(tri_with(
            3,
            Eye {
                m: Some(4),
                k: 1,
                dtype: None,
            },
        )),
        "tri.3km1" => one(tri_with(
            3,
            Eye {
                k: -1,
                ..Default::default()
            },
        )),
        "tril.M" => one(tril(&m, 0)),
        "tril.Mk1" => one(tril(&m, 1)),
        "tril.Mkm1" => one(tril(&m, -1)),
        "triu.M" => one(triu(&m, 0)),
        "triu.Mk1" => one(triu(&m, 1)),
        "triu.Tkm1" => one(triu(&t, -1)),
        "diag.V" => one(diag(&v, 0)),
        "diag.Vk1" => one(diag(&v, 1)),
        "diag.Vkm2" => one(diag(&v, -2)),
        "diag.M" => one(diag(&m, 0)),
        "diag.Mk1" => one(diag(&m, 1)),
        "diag.Mkm2" => one(diag(&m, -2)),
        "diagonal.T" => one(diagonal(&t)),
        "diagonal.T12" => one(diagonal_with(
            &t,
            Diagonal {
                offset: 1,
                axis1: 1,
                axis2: 2,
            },
        )),
        "diagonal.Tneg" => one(diagonal_with(
            &t,
            Diagonal {
                offset: -1,
                axis1: -1,
                axis2: 0,
            },
        )),
        "trace.M" => one(trace(&m)),
        "trace.Mk1" => one(trace_with(
            &m,
            Diagonal {
                offset: 1,
                ..Default::default()
            },
        )),
        "trace.I" => one(trace(&reshape(&ii, &[2, 3]))),
        "trace.T12" => one(trace_with(
            &t,
            Diagonal {
                offset: 0,
                axis1: 1,
                axis2: 2,
            },
        )),
        "indices.23" => one(indices(&[2, 3])),
        "meshgrid.xy" => meshgrid(&[v.clone(), w.clone()]),
        "meshgrid.ij" => meshgrid_with(&[v.clone(), w.clone()], Indexing::Ij),
        "ravel.T" => one(ravel(&t)),
        "ravel.E" => one(ravel(&e)),
        "flip.T" => one(flip(&t, None)),
        "flip.Tm1" => one(flip(&t, Some(&[-1]))),
        "flip.T02" => one(flip(&t, Some(&[0, 2]))),
        "fliplr.M" => one(fliplr(&m)),
        "flipud.M" => one(flipud(&m)),
        "roll.T" => one(roll(&t, 2, None)),
        "roll.Tax1" => one(roll(&t, -1, Some(1))),
        "roll.Mbig" => one(roll(&m, 5, Some(-1))),
        "rot90.M" => one(rot90(&m, 1)),
        "rot90.M2" => one(rot90(&m, 2)),
        "rot90.M3" => one(rot90(&m, 3)),
        "rot90.Mm1" => one(rot90(&m, -1)),
        "rot90.T12" => one(rot90_axes(&t, 1, (1, 2))),
        "swapaxes.T" => one(swapaxes(&t, 0, -1)),
        "tile.V2" => one(tile(&v, &[2])),
        "tile.M21" => one(tile(&m, &[2, 1])),
        "tile.V22" => one(tile(&v, &[2, 2])),
        "repeat.M" => one(repeat(&m, 2, None)),
        "repeat.Max1" => one(repeat(&m, 2, Some(1))),
        "repeat.Maxm2" => one(repeat(&m, 3, Some(-2))),
        "hstack.V" => one(hstack(&[v.clone(), v.clone()])),
        "hstack.M" => one(hstack(&[m.clone(), m.clone()])),
        "vstack.V" => one(vstack(&[v.clone(), v.clone()])),
        "vstack.M" => one(vstack(&[m.clone(), m.clone()])),
        "dstack.M" => one(dstack(&[m.clone(), m.clone()])),
        "column_stack.V" => one(column_stack(&[v.clone(), v.clone()])),
        "atleast_1d.s" => one(atleast_1d(&Tensor::scalar(2.0f32))),
        "atleast_2d.V" => one(atleast_2d(&v)),
        "atleast_3d.V" => one(atleast_3d(&v)),
        "atleast_3d.M" => one(atleast_3d(&m)),
        "array_split.7" => array_split(&arange(0, 7, 1), 3, 0),
        "array_split.Max1" => array_split(&m, 3, 1),
        "append.flat" => one(append(&m, &v, None)),
        "append.ax0" => one(append(&m, &m, Some(0))),
        "take_along_axis.ax1" => one(take_along_axis(&m, &ix, 1)),
        "take_along_axis.ax0" => one(take_along_axis(&m, &iy, 0)),
        "all.A" => one(all(&a.gt(-3.0), None)),
        "all.L" => one(all(&l, None)),
        "any.L" => one(any(&l, None)),
        "all.ax0" => one(all(&m.gt(-1.0), Some(&[0]))),
        "any.axm1" => one(any(&m.gt(1.5), Some(&[-1]))),
        "all.E" => one(all(&e, None)),
        "any.E" => one(any(&e, None)),
        "std.M" => one(jnp::std(&m, None)),
        "std.ax0" => one(jnp::std(&m, Some(&[0]))),
        "std.ddof" => one(std_with(&m, Some(&[-1]), Ddof { ddof: 1 })),
        "var.ddof" => one(var_with(&m, None, Ddof { ddof: 1 })),
        "ptp.M" => one(ptp(&m, None)),
        "ptp.ax1" => one(ptp(&m, Some(&[1]))),
        "cumsum.ax0" => one(cumsum(&m, Some(0))),
        "cumsum.flat" => one(cumsum(&m, None)),
        "cumsum.I" => one(cumsum(&ii, None)),
        "cumsum.L" => one(cumsum(&l, None)),
        "cumsum.E" => one(cumsum(&e, None)),
        "cumprod.axm1" => one(cumprod(&m, Some(-1))),
        "cumprod.P" => one(cumprod(&p, None)),
        "average.M" => one(average(&m, None)),
        "average.w1" => one(average_with(
            &m,
            Some(&[1]),
            Average {
                weights: Some(w.clone()),
            },
        )),
        "average.wfull" => one(average_with(
            &m,
            None,
            Average {
                weights: Some(add(jnp::abs(&m), 1.0)),
            },
        )),
        "count_nonzero.M" => one(count_nonzero(&m, None)),
        "count_nonzero.ax0" => one(count_nonzero(&m, Some(&[0]))),
        "count_nonzero.L" => one(count_nonzero(&l, None)),
        "exp.X_f64" => one(jnp::exp(&xx)),
        "log1p.X_f64" => one(log1p(&jnp::abs(&xx))),
        "floor_divide.XY_f64" => one(floor_divide(&xx, &yy)),
        "remainder.XY_f64" => one(remainder(&xx, &yy)),
        "hypot.XY_f64" => one(hypot(&xx, &yy)),
        "logaddexp.XY_f64" => one(logaddexp(&xx, &yy)),
        "sinc.X_f64" => one(sinc(&xx)),
        "signbit.Y_f64" => one(signbit(&yy)),
        "round.X_f64" => one(jnp::round(&xx)),
        "std.X_f64" => one(jnp::std(&xx, Some(&[0]))),
        "cumsum.X_f64" => one(cumsum(&xx, Some(1))),
        "linspace.7_f64" => one(linspace_with(
            -1.0,
            2.0,
            7,
            Linspace {
                dtype: Some(f64s),
                ..Default::default()
            },
        )),
        "isclose.XY_f64" => one(isclose_with(
            &xx,
            &yy,
            IsClose {
                atol: 1.0,
                ..Default::default()
            },
        )),
        _ => crate::numpy_surface_2::run(name, i).unwrap_or_else(|| {
            panic!("golden case {name} has no ferrax counterpart in numpy_surface(_2).rs")
        }),
    }
}

fn noend() -> Linspace {
    Linspace {
        endpoint: false,
        ..Default::default()
    }
}

/// Functions whose values may differ from XLA's in the last bits: transcendental kernels,
/// sums accumulated in another order, and `linspace` (XLA contracts its f64 arithmetic into
/// fused multiply-adds; the f32 cases match bit for bit).
const INEXACT: &[&str] = &[
    "sqrt",
    "cbrt",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log1p",
    "log2",
    "log10",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "arctan2",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "logaddexp",
    "logaddexp2",
    "hypot",
    "sinc",
    "float_power",
    "power",
    "logspace",
    "geomspace",
    "std",
    "var",
    "average",
    "cumsum",
    "cumprod",
    "trace",
    "linspace",
];

pub(crate) fn f64_values(t: &Tensor) -> Vec<f64> {
    t.cast(DType::F64).to_vec::<f64>()
}

#[test]
fn numpy_surface_matches_jax() {
    let inp = inputs();
    let cases = golden();
    let mut results: HashMap<String, Vec<Tensor>> = HashMap::new();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, want) in cases.iter().filter(|(n, _)| !n.starts_with("in.")) {
        // `fn.case` or `fn.case.i` for the i-th of several outputs.
        let parts: Vec<&str> = name.split('.').collect();
        let (case, idx) = match parts.as_slice() {
            [f, c] => (format!("{f}.{c}"), None),
            [f, c, i] => (format!("{f}.{c}"), Some(i.parse::<usize>().unwrap())),
            _ => panic!("bad golden name {name}"),
        };
        let outs = results
            .entry(case.clone())
            .or_insert_with(|| run(&case, &inp));
        let got = match idx {
            None => {
                assert_eq!(
                    outs.len(),
                    1,
                    "{name}: ferrax returns {} arrays",
                    outs.len()
                );
                &outs[0]
            }
            Some(i) => &outs[i],
        };
        checked += 1;
        if dtype_name(got.dtype()) != want.dtype || got.shape() != want.shape.as_slice() {
            failures.push(format!(
                "{name}: got {} {:?}, JAX {} {:?}",
                dtype_name(got.dtype()),
                got.shape(),
                want.dtype,
                want.shape
            ));
            continue;
        }
        let f = parts[0];
        let inexact = INEXACT.contains(&f) || crate::numpy_surface_2::INEXACT.contains(&f);
        let eps = if want.dtype == "f64" { 1e-14 } else { 3e-7 };
        let gv = f64_values(got);
        for (k, (&g, &w)) in gv.iter().zip(&want.values).enumerate() {
            let ok = if g.is_nan() || w.is_nan() {
                g.is_nan() && w.is_nan()
            } else if inexact {
                g == w || (g - w).abs() <= 4.0 * eps * w.abs().max(1e-30) + eps * 1e-3
            } else {
                g == w && g.is_sign_negative() == w.is_sign_negative()
            };
            if !ok {
                failures.push(format!(
                    "{name}[{k}]: got {g:e}, JAX {w:e} (all: {gv:?} vs {:?})",
                    want.values
                ));
                break;
            }
        }
    }
    assert!(checked > 200, "only {checked} golden cases");
    assert!(
        failures.is_empty(),
        "{} of {checked} cases differ from JAX:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

pub(crate) fn f64_tensor(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}

/// Inputs away from the kinks and jumps of the functions under test.
struct GradInputs {
    a: Tensor,
    b: Tensor,
    p: Tensor,
    u: Tensor,
    g: Tensor,
    m: Tensor,
    t: Tensor,
    v: Tensor,
}

fn grad_inputs() -> GradInputs {
    let n = |k: usize, f: fn(f64) -> f64| (0..k).map(|i| f(i as f64 + 0.5)).collect::<Vec<_>>();
    GradInputs {
        a: f64_tensor(&[-2.3, -0.7, 0.4, 1.3, 2.2, 3.1], &[2, 3]),
        b: f64_tensor(&[1.1, -1.9, 0.6, -0.35, 2.9, -3.7], &[2, 3]),
        p: f64_tensor(&[0.3, 0.6, 1.2, 2.1, 3.4, 5.0], &[2, 3]),
        u: f64_tensor(&[-0.8, -0.4, 0.1, 0.35, 0.7], &[5]),
        g: f64_tensor(&[1.2, 1.6, 2.3, 4.0], &[4]),
        m: f64_tensor(&n(12, f64::sin), &[3, 4]),
        t: f64_tensor(&n(24, f64::cos), &[2, 3, 4]),
        v: f64_tensor(&[0.5, -1.5, 2.0], &[3]),
    }
}

pub(crate) type Unary = fn(&Tensor) -> Tensor;

#[test]
fn numpy_surface_unary_grads() {
    let gi = grad_inputs();
    let cases: Vec<(&str, Unary, &Tensor)> = vec![
        ("abs", jnp::abs, &gi.a),
        ("absolute", absolute, &gi.a),
        ("negative", negative, &gi.a),
        ("positive", positive, &gi.a),
        ("sign", sign, &gi.a),
        ("sqrt", jnp::sqrt, &gi.p),
        ("cbrt", cbrt, &gi.a),
        ("square", square, &gi.a),
        ("reciprocal", reciprocal, &gi.p),
        ("exp", jnp::exp, &gi.a),
        ("exp2", exp2, &gi.a),
        ("expm1", expm1, &gi.a),
        ("log", jnp::log, &gi.p),
        ("log1p", log1p, &gi.p),
        ("log2", log2, &gi.p),
        ("log10", log10, &gi.p),
        ("sin", jnp::sin, &gi.a),
        ("cos", jnp::cos, &gi.a),
        ("tan", jnp::tan, &gi.u),
        ("arcsin", arcsin, &gi.u),
        ("arccos", arccos, &gi.u),
        ("arctan", arctan, &gi.a),
        ("sinh", jnp::sinh, &gi.a),
        ("cosh", jnp::cosh, &gi.a),
        ("tanh", jnp::tanh, &gi.a),
        ("arcsinh", arcsinh, &gi.a),
        ("arccosh", arccosh, &gi.g),
        ("arctanh", arctanh, &gi.u),
        ("floor", jnp::floor, &gi.a),
        ("ceil", jnp::ceil, &gi.a),
        ("round", jnp::round, &gi.a),
        ("rint", rint, &gi.a),
        ("trunc", trunc, &gi.a),
        ("sinc", sinc, &gi.a),
        ("deg2rad", deg2rad, &gi.a),
        ("radians", radians, &gi.a),
        ("rad2deg", rad2deg, &gi.a),
        ("degrees", degrees, &gi.a),
        ("clip", |x| clip(x, -1.0, 2.0), &gi.a),
        ("nan_to_num", nan_to_num, &gi.a),
        ("heaviside", |x| heaviside(x, 0.5), &gi.a),
        ("copysign", |x| copysign(x, -1.0), &gi.a),
        ("full_like", |x| full_like(x, 2.0), &gi.a),
        ("tril", |x| tril(x, 1), &gi.m),
        ("triu", |x| triu(x, -1), &gi.t),
        ("diag.v", |x| diag(x, -1), &gi.v),
        ("diag.m", |x| diag(x, 1), &gi.m),
        (
            "diagonal",
            |x| {
                diagonal_with(
                    x,
                    Diagonal {
                        offset: 1,
                        axis1: -1,
                        axis2: 1,
                    },
                )
            },
            &gi.t,
        ),
        (
            "trace",
            |x| {
                trace_with(
                    x,
                    Diagonal {
                        offset: -1,
                        ..Default::default()
                    },
                )
            },
            &gi.m,
        ),
        ("ravel", ravel, &gi.t),
        ("flip", |x| flip(x, Some(&[0, -1])), &gi.t),
        ("fliplr", fliplr, &gi.m),
        ("flipud", flipud, &gi.m),
        ("roll", |x| roll(x, -3, None), &gi.m),
        ("roll.axis", |x| roll(x, 1, Some(-1)), &gi.t),
        ("rot90", |x| rot90(x, 1), &gi.m),
        ("rot90.3", |x| rot90_axes(x, 3, (2, 0)), &gi.t),
        ("swapaxes", |x| swapaxes(x, 0, 2), &gi.t),
        ("tile", |x| tile(x, &[2, 1, 2]), &gi.m),
        ("repeat", |x| repeat(x, 2, Some(-1)), &gi.m),
        ("repeat.flat", |x| repeat(x, 3, None), &gi.v),
        ("hstack", |x| hstack(&[x.clone(), jnp::sin(x)]), &gi.m),
        ("vstack", |x| vstack(&[x.clone(), jnp::sin(x)]), &gi.v),
        ("dstack", |x| dstack(&[x.clone(), jnp::sin(x)]), &gi.m),
        (
            "column_stack",
            |x| column_stack(&[x.clone(), jnp::sin(x)]),
            &gi.v,
        ),
        ("atleast_3d", atleast_3d, &gi.v),
        ("array_split", |x| array_split(x, 3, 1)[1].clone(), &gi.m),
        ("append", |x| append(x, &jnp::sin(x), Some(0)), &gi.m),
        (
            "take_along_axis",
            |x| {
                let i = Tensor::from_vec(vec![3, 0, -1, 1, 2, 2], &[3, 2]);
                take_along_axis(x, &i, 1)
            },
            &gi.m,
        ),
        ("std", |x| jnp::std(x, Some(&[0])), &gi.m),
        ("std.ddof", |x| std_with(x, None, Ddof { ddof: 1 }), &gi.m),
        (
            "var.ddof",
            |x| var_with(x, Some(&[-1]), Ddof { ddof: 1 }),
            &gi.m,
        ),
        ("ptp", |x| ptp(x, Some(&[1])), &gi.m),
        ("cumsum", |x| cumsum(x, Some(-1)), &gi.t),
        ("cumprod", |x| cumprod(x, None), &gi.m),
        ("average", |x| average(x, Some(&[0])), &gi.m),
        ("full", |x| full(&[2, 3], x), &gi.v),
    ];
    for (name, f, x) in cases {
        let r = std::panic::catch_unwind(|| check_grads(|x: &Tensor| f(x), x, 1));
        assert!(r.is_ok(), "check_grads failed for {name}");
    }
    // Second order on a few compositions.
    check_grads(|x: &Tensor| logaddexp(x, 0.5), &gi.a, 2);
    check_grads(|x: &Tensor| sinc(x), &gi.a, 2);
    check_grads(|x: &Tensor| jnp::std(x, None), &gi.m, 2);
}

#[test]
fn numpy_surface_binary_grads() {
    let gi = grad_inputs();
    type Binary = fn(&Tensor, &Tensor) -> Tensor;
    let cases: Vec<(&str, Binary, &Tensor, &Tensor)> = vec![
        ("arctan2", |a, b| arctan2(a, b), &gi.a, &gi.b),
        ("logaddexp", |a, b| logaddexp(a, b), &gi.a, &gi.b),
        ("logaddexp2", |a, b| logaddexp2(a, b), &gi.a, &gi.b),
        ("hypot", |a, b| hypot(a, b), &gi.a, &gi.b),
        ("floor_divide", |a, b| floor_divide(a, b), &gi.a, &gi.b),
        ("remainder", |a, b| remainder(a, b), &gi.a, &gi.b),
        ("mod", |a, b| mod_(a, b), &gi.a, &gi.b),
        ("fmod", |a, b| fmod(a, b), &gi.a, &gi.b),
        ("true_divide", |a, b| true_divide(a, b), &gi.a, &gi.b),
        ("float_power", |a, b| float_power(a, b), &gi.p, &gi.b),
        ("copysign", |a, b| copysign(a, b), &gi.a, &gi.b),
        ("heaviside", |a, b| heaviside(a, b), &gi.a, &gi.b),
        ("clip", |a, b| clip(a, b, 3.0), &gi.a, &gi.b),
        (
            "average.weights",
            |a, b| {
                average_with(
                    a,
                    None,
                    Average {
                        weights: Some(jnp::exp(b)),
                    },
                )
            },
            &gi.a,
            &gi.b,
        ),
        (
            "meshgrid",
            |a, b| {
                let g = meshgrid(&[ravel(a), ravel(b)]);
                multiply(&g[0], &g[1])
            },
            &gi.a,
            &gi.b,
        ),
    ];
    for (name, f, a, b) in cases {
        let args = (a.clone(), b.clone());
        let r =
            std::panic::catch_unwind(|| check_grads(|(a, b): &(Tensor, Tensor)| f(a, b), &args, 1));
        assert!(r.is_ok(), "check_grads failed for {name}");
    }
}

/// vmap over the leading axis equals a loop of the function on each slice, and jit equals
/// eager, for a handful of the new functions.
#[test]
fn numpy_surface_vmap_and_jit() {
    let gi = grad_inputs();
    let cases: Vec<(&str, Unary)> = vec![
        ("logaddexp", |x| logaddexp(x, jnp::sin(x))),
        ("remainder", |x| remainder(x, 0.7)),
        ("tril", |x| tril(x, 0)),
        ("diagonal", |x| {
            diagonal_with(
                x,
                Diagonal {
                    offset: 1,
                    ..Default::default()
                },
            )
        }),
        ("roll", |x| roll(x, 2, Some(-1))),
        ("take_along_axis", |x| {
            take_along_axis(x, &Tensor::from_vec(vec![2, 0, 1], &[3, 1]), 1)
        }),
        ("cumsum", |x| cumsum(x, None)),
        ("isclose", |x| isclose(x, jnp::round(x))),
        ("std", |x| jnp::std(x, Some(&[-1]))),
        ("repeat", |x| repeat(x, 2, Some(0))),
    ];
    for (name, f) in cases {
        check_vmap_and_jit(name, f, &gi.t, 0.0, 1e-12);
    }
}

/// Checks `f` on `t` under the transformations: `vmap` over the leading axis equals a loop of
/// `f` over the slices (within `vmap_rel`, relative; 0.0 asks for equal bits), `jit` of that
/// `vmap` equals it to the bit, and `jit` equals eager on one slice in shape, dtype and values
/// (within `jit_rel`). NaN matches only NaN.
pub(crate) fn check_vmap_and_jit(name: &str, f: Unary, t: &Tensor, vmap_rel: f64, jit_rel: f64) {
    let close = |what: &str, got: &Tensor, want: &Tensor, rel: f64| {
        assert_eq!(got.shape(), want.shape(), "{name}: {what} shape");
        assert_eq!(got.dtype(), want.dtype(), "{name}: {what} dtype");
        let (g, w) = (f64_values(got), f64_values(want));
        for (k, (x, y)) in g.iter().zip(&w).enumerate() {
            let same = x.to_bits() == y.to_bits()
                || (x.is_nan() && y.is_nan())
                || (x - y).abs() <= rel * (1.0 + y.abs());
            assert!(same, "{name}: {what} {x} != {y} at {k}");
        }
    };
    let batched = vmap(|x: &Tensor| f(x))(t);
    let looped: Vec<Tensor> = (0..t.shape()[0] as isize)
        .map(|i| f(&index_axis(t, 0, i)))
        .collect();
    close("vmap vs loop", &batched, &stack(&looped, 0), vmap_rel);
    let jit_vmap = jit(vmap(|x: &Tensor| f(x)))(t);
    close("jit of vmap vs vmap", &jit_vmap, &batched, 0.0);
    let x0 = index_axis(t, 0, 1);
    let jitted = jit(|x: &Tensor| f(x))(&x0);
    close("jit vs eager", &jitted, &f(&x0), jit_rel);
}

/// Bad shapes and axes panic naming the function, the shapes and the caller's line.
#[test]
fn numpy_surface_errors_name_function_shapes_and_caller() {
    let m = Tensor::zeros(&[3, 4], DType::F32);
    let v = Tensor::zeros(&[3], DType::F32);
    let cases: Vec<(&str, String)> = vec![
        (
            "take_along_axis",
            panic_message(|| {
                take_along_axis(&m, &Tensor::zeros(&[3], DType::I32), 0);
            }),
        ),
        (
            "diagonal",
            panic_message(|| {
                diagonal_with(
                    &m,
                    Diagonal {
                        axis1: 0,
                        axis2: -2,
                        offset: 0,
                    },
                );
            }),
        ),
        (
            "tril",
            panic_message(|| {
                tril(&v, 0);
            }),
        ),
        (
            "rot90",
            panic_message(|| {
                rot90(&v, 1);
            }),
        ),
        (
            "array_split",
            panic_message(|| {
                array_split(&m, 0, 0);
            }),
        ),
        (
            "hypot",
            panic_message(|| {
                hypot(&m, &v);
            }),
        ),
        (
            "average",
            panic_message(|| {
                average_with(
                    &m,
                    None,
                    Average {
                        weights: Some(v.clone()),
                    },
                );
            }),
        ),
    ];
    crate::common::panics::assert_errors_name_function_shapes_and_caller(
        &cases,
        "numpy_surface.rs",
    );
}
