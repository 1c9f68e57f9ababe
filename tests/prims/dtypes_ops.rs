//! Ops on every dtype family against JAX 0.10.2 (`op.*` lines of tests/golden/dtypes.txt):
//! wrapping integer arithmetic of each width, div/rem of negatives, shifts by the width or
//! more, bit counts on the dtype's own bits, bf16/f16 computed in f32 and rounded once (f16
//! overflow to inf, matmul accumulating in f32), complex arithmetic, transcendental functions,
//! reductions, matmul and the lexicographic sort.

use super::dtypes::{arrays, assert_matches, tensor, Golden};
use ferrax::lax;
use ferrax::prelude::*;
use std::collections::HashMap;

/// The op named in the golden file applied to its inputs.
fn apply(op: &str, x: &[Tensor]) -> Tensor {
    let all = |t: &Tensor| (0..t.ndim()).collect::<Vec<_>>();
    match op {
        "add" => lax::add(&x[0], &x[1]),
        "sub" => lax::sub(&x[0], &x[1]),
        "mul" => lax::mul(&x[0], &x[1]),
        "div" => lax::div(&x[0], &x[1]),
        "rem" => lax::rem(&x[0], &x[1]),
        "pow" => lax::pow(&x[0], &x[1]),
        "max" => lax::max(&x[0], &x[1]),
        "lt" => lax::lt(&x[0], &x[1]),
        "eq" => lax::eq(&x[0], &x[1]),
        "shl" => lax::shift_left(&x[0], &x[1]),
        "shrl" => lax::shift_right_logical(&x[0], &x[1]),
        "shra" => lax::shift_right_arithmetic(&x[0], &x[1]),
        "popcnt" => lax::population_count(&x[0]),
        "clz" => lax::clz(&x[0]),
        "not" => lax::not(&x[0]),
        "neg" => lax::neg(&x[0]),
        "exp" => lax::exp(&x[0]),
        "log" => lax::log(&x[0]),
        "sqrt" => lax::sqrt(&x[0]),
        "abs" => lax::abs(&x[0]),
        "sin" => lax::sin(&x[0]),
        "cos" => lax::cos(&x[0]),
        "tanh" => lax::tanh(&x[0]),
        "real" => lax::real(&x[0]),
        "imag" => lax::imag(&x[0]),
        "conj" => lax::conj(&x[0]),
        "sum" => lax::reduce_sum(&x[0], &all(&x[0])),
        "prod" => lax::reduce_prod(&x[0], &all(&x[0])),
        "matmul" => lax::dot_general(&x[0], &x[1], ((&[1], &[0]), (&[], &[])), None),
        "sort" => lax::sort(&[x[0].clone()], 0, true, 1).remove(0),
        _ => panic!("no ferrax op for golden op {op}"),
    }
}

/// Relative tolerance: exact for integer ops and IEEE-exact float ops, a few ulps of the
/// dtype for transcendental functions and accumulations.
fn tolerance(op: &str, d: DType) -> f64 {
    let exact = matches!(
        op,
        "add"
            | "sub"
            | "mul"
            | "div"
            | "rem"
            | "max"
            | "lt"
            | "eq"
            | "shl"
            | "shrl"
            | "shra"
            | "popcnt"
            | "clz"
            | "not"
            | "neg"
            | "real"
            | "imag"
            | "conj"
            | "sort"
    );
    if d.is_int() || (exact && !d.is_complex()) {
        return 0.0;
    }
    match d.real_dtype() {
        DType::BF16 => 1e-2,
        DType::F16 => 1e-3,
        DType::F32 => 4e-6,
        _ => 1e-13,
    }
}

fn check_family(filter: impl Fn(DType) -> bool) {
    let g: HashMap<String, Golden> = arrays();
    let mut names: Vec<&String> = g
        .keys()
        .filter(|k| k.starts_with("op.") && filter(dtype_of(k)))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for name in names {
        let mut parts = name.splitn(3, '.');
        let (_, op, d) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());
        let inputs: Vec<Tensor> = (0..)
            .map_while(|i| g.get(&format!("opin.{op}.{d}.{i}")))
            .map(tensor)
            .collect();
        let got = apply(op, &inputs);
        assert_matches(name, &got, &g[name], tolerance(op, inputs[0].dtype()));
        // jit gives the eager values.
        let jitted = jit(move |xs: &Vec<Tensor>| apply(op, xs))(&inputs);
        assert_matches(
            &format!("jit {name}"),
            &jitted,
            &g[name],
            tolerance(op, inputs[0].dtype()),
        );
    }
}

/// The dtype named at the end of an `op.<name>.<dtype>` key (the input's dtype).
fn dtype_of(key: &str) -> DType {
    DType::from_name(key.rsplit('.').next().unwrap()).unwrap()
}

#[test]
fn integer_ops_of_every_width_match_jax() {
    check_family(|d| d.is_int());
}

#[test]
fn bf16_and_f16_ops_match_jax() {
    check_family(|d| matches!(d, DType::BF16 | DType::F16));
}

#[test]
fn complex_ops_match_jax() {
    check_family(|d| d.is_complex());
}

/// Data movement that runs on the base kernels (sort's permutation of non-key operands,
/// select_n's cases) keeps i64/u64 bit patterns and both complex parts.
#[test]
fn sort_values_and_select_move_every_dtype_exactly() {
    use num_complex::{Complex32, Complex64};
    let keys = Tensor::from_vec(vec![3.0f32, 1.0, 2.0], &[3]);
    let big = Tensor::from_vec(vec![i64::MIN, i64::MAX, -1], &[3]);
    let u = Tensor::from_vec(vec![u64::MAX, 0, 1 << 63], &[3]);
    let z = Tensor::from_vec(
        vec![
            Complex64::new(1.0, -0.0),
            Complex64::new(f64::NAN, 2.0),
            Complex64::new(-3.0, 4.0),
        ],
        &[3],
    );
    let out = lax::sort(&[keys, big, u, z], 0, true, 1);
    assert_eq!(out[1].to_vec::<i64>(), vec![i64::MAX, -1, i64::MIN]);
    assert_eq!(out[2].to_vec::<u64>(), vec![0, 1 << 63, u64::MAX]);
    let zs = out[3].to_vec::<Complex64>();
    assert!(zs[0].re.is_nan() && zs[0].im == 2.0);
    assert_eq!(zs[1], Complex64::new(-3.0, 4.0));
    assert!(zs[2].im.is_sign_negative());
    let which = Tensor::from_vec(vec![true, false], &[2]);
    let a = Tensor::from_vec(
        vec![Complex32::new(1.0, 2.0), Complex32::new(3.0, 4.0)],
        &[2],
    );
    let b = Tensor::from_vec(
        vec![Complex32::new(5.0, 6.0), Complex32::new(7.0, 8.0)],
        &[2],
    );
    assert_eq!(
        lax::select_n(&which, &[a, b]).to_vec::<Complex32>(),
        vec![Complex32::new(5.0, 6.0), Complex32::new(3.0, 4.0)]
    );
    let p = Tensor::from_vec(vec![1i8, -2], &[2]);
    let q = Tensor::from_vec(vec![3i8, 4], &[2]);
    assert_eq!(lax::select_n(&which, &[p, q]).to_vec::<i8>(), vec![3, -2]);
}
