//! The dtype machinery against JAX 0.10.2 (tests/golden/dtypes.txt, written by
//! tests/golden/make_dtypes.py): `DType::promote` for all 15x15 pairs, the weak-scalar
//! results, the dtypes real binary ops produce, `convert_element_type` between every pair of
//! dtypes on edge values (NaN, inf, -0.0, out-of-range floats to ints, bf16/f16 rounding ties,
//! complex parts), printing, and per-family ops (in `dtypes_ops.rs`).

use ferrax::prelude::*;
use ferrax::tensor::{ArrayData, ScalarKind, Wide};
use std::collections::HashMap;

/// One golden array: dtype, shape, values as `Wide` (exact for every dtype).
pub struct Golden {
    pub dtype: DType,
    pub shape: Vec<usize>,
    pub values: Vec<Wide>,
}

fn float_bits(dtype: DType, hex: &str) -> f64 {
    let b = u64::from_str_radix(hex, 16).unwrap();
    match dtype {
        DType::BF16 => half::bf16::from_bits(b as u16).to_f64(),
        DType::F16 => half::f16::from_bits(b as u16).to_f64(),
        DType::F32 | DType::C64 => f32::from_bits(b as u32) as f64,
        _ => f64::from_bits(b),
    }
}

/// The golden file's lines: (kind or array name, the rest of the fields).
pub fn lines() -> Vec<Vec<&'static str>> {
    include_str!("../golden/dtypes.txt")
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect()
}

/// Every array in the golden file, by name.
pub fn arrays() -> HashMap<String, Golden> {
    lines()
        .into_iter()
        .filter(|f| !matches!(f[0], "promote" | "weak" | "weak2"))
        .map(|f| {
            let dtype = DType::from_name(f[1]).unwrap();
            let shape = match f[2] {
                "-" => vec![],
                s => s.split('x').map(|d| d.parse().unwrap()).collect(),
            };
            let values = f[3..]
                .iter()
                .map(|v| {
                    if dtype.is_complex() {
                        let (re, im) = v.split_once(':').unwrap();
                        Wide::Complex(float_bits(dtype, re), float_bits(dtype, im))
                    } else if dtype.is_float() {
                        Wide::Float(float_bits(dtype, v))
                    } else {
                        Wide::Int(v.parse().unwrap())
                    }
                })
                .collect();
            (
                f[0].to_string(),
                Golden {
                    dtype,
                    shape,
                    values,
                },
            )
        })
        .collect()
}

/// The golden array as a tensor of its dtype.
pub fn tensor(g: &Golden) -> Tensor {
    Tensor::from(ArrayData::from_wide(&g.values, &g.shape, g.dtype))
}

fn same_float(a: f64, b: f64, rel: f64) -> bool {
    (a.is_nan() && b.is_nan())
        || a.to_bits() == b.to_bits()
        || (rel > 0.0
            && a.is_finite()
            && b.is_finite()
            && (a - b).abs() <= rel * b.abs().max(1e-30))
}

/// Asserts `t` equals the golden array in dtype, shape and values: bit for bit when `rel` is
/// 0 (NaN equals NaN, -0.0 differs from 0.0), else within `rel` relative error.
#[track_caller]
pub fn assert_matches(name: &str, t: &Tensor, g: &Golden, rel: f64) {
    assert_eq!(t.dtype(), g.dtype, "{name}: dtype");
    assert_eq!(t.shape(), &g.shape[..], "{name}: shape");
    let got = t.array().to_wide_vec();
    for (i, (a, b)) in got.iter().zip(&g.values).enumerate() {
        let ok = match (a, b) {
            (Wide::Int(x), Wide::Int(y)) => x == y,
            (Wide::Float(x), Wide::Float(y)) => same_float(*x, *y, rel),
            (Wide::Complex(xr, xi), Wide::Complex(yr, yi)) => {
                same_float(*xr, *yr, rel) && same_float(*xi, *yi, rel)
            }
            _ => false,
        };
        assert!(ok, "{name}[{i}]: got {a:?}, JAX {b:?} (all: {got:?})");
    }
}

fn dtype(name: &str) -> DType {
    DType::from_name(name).unwrap_or_else(|| panic!("unknown dtype {name}"))
}

fn kind(name: &str) -> ScalarKind {
    match name {
        "bool" => ScalarKind::Bool,
        "int" => ScalarKind::Int,
        "float" => ScalarKind::Float,
        "complex" => ScalarKind::Complex,
        k => panic!("unknown scalar kind {k}"),
    }
}

#[test]
fn promote_matches_jax_for_all_pairs() {
    let mut n = 0;
    for f in lines().iter().filter(|f| f[0] == "promote") {
        let (a, b, r) = (dtype(f[1]), dtype(f[2]), dtype(f[3]));
        assert_eq!(DType::promote(a, b), r, "promote({a}, {b})");
        n += 1;
    }
    assert_eq!(n, 15 * 15);
}

#[test]
fn weak_results_match_jax() {
    let mut n = 0;
    for f in lines().iter() {
        match f[0] {
            "weak" => {
                let (a, k, r) = (dtype(f[1]), kind(f[2]), dtype(f[3]));
                assert_eq!(a.weak_result(k), r, "{a} with a {k:?} scalar");
                n += 1;
            }
            "weak2" => {
                let (k1, k2, r) = (kind(f[1]), kind(f[2]), dtype(f[3]));
                assert_eq!(k1.result_with(k2), r, "{k1:?} with {k2:?}");
                n += 1;
            }
            _ => {}
        }
    }
    assert_eq!(n, 15 * 4 + 4 * 4);
}

/// `a + b` and `a * scalar` through the numpy layer give the promoted dtypes, for every pair
/// (the values are small so every dtype holds them).
#[test]
fn binary_operators_promote_as_jax() {
    let one = |d: DType| Tensor::full(&[2], 1.0, d);
    for f in lines().iter().filter(|f| f[0] == "promote") {
        let (a, b, r) = (dtype(f[1]), dtype(f[2]), dtype(f[3]));
        if a.is_complex() || b.is_complex() {
            continue; // complex arithmetic: see dtypes_ops.rs
        }
        let (x, y) = ferrax::numpy::promote_pair(one(a), one(b));
        assert_eq!((x.dtype(), y.dtype()), (r, r), "promote_pair({a}, {b})");
        if !a.is_complex() && a != DType::Bool && b != DType::Bool {
            assert_eq!((one(a) + one(b)).dtype(), r, "{a} + {b}");
        }
    }
    for f in lines().iter().filter(|f| f[0] == "weak") {
        let (a, k, r) = (dtype(f[1]), f[2], dtype(f[3]));
        if a.is_complex() || a == DType::Bool {
            continue;
        }
        let got = match k {
            "int" => (one(a) * 2).dtype(),
            "float" => (one(a) * 2.0).dtype(),
            _ => continue,
        };
        assert_eq!(got, r, "{a} * {k} scalar");
    }
}

#[test]
fn convert_element_type_matches_jax_between_every_pair() {
    let g = arrays();
    let mut n = 0;
    for src in DType::ALL {
        let x = tensor(&g[&format!("in.{src}")]);
        for dst in DType::ALL {
            let name = format!("cvt.{src}.{dst}");
            let y = ferrax::lax::convert_element_type(&x, dst);
            assert_matches(&name, &y, &g[&name], 0.0);
            // `astype` is the same conversion.
            assert_matches(&name, &ferrax::numpy::astype(&x, dst), &g[&name], 0.0);
            n += 1;
        }
    }
    assert_eq!(n, 225);
}

#[test]
fn every_dtype_round_trips_through_from_vec_and_item() {
    assert_eq!(
        Tensor::from_vec(vec![-3i8, 4], &[2]).to_vec::<i8>(),
        vec![-3, 4]
    );
    assert_eq!(
        Tensor::from_vec(vec![u64::MAX], &[1]).item::<u64>(),
        u64::MAX
    );
    assert_eq!(Tensor::scalar(i64::MIN).item::<i64>(), i64::MIN);
    let h = half::bf16::from_f32(1.5);
    assert_eq!(Tensor::scalar(h).dtype(), DType::BF16);
    assert_eq!(Tensor::scalar(h).item::<f32>(), 1.5);
    let c = num_complex::Complex32::new(1.0, -2.0);
    let t = Tensor::from_vec(vec![c, c], &[2]);
    assert_eq!(t.dtype(), DType::C64);
    assert_eq!(
        t.to_vec::<num_complex::Complex64>()[1],
        num_complex::Complex64::new(1.0, -2.0)
    );
    // Reading complex values as real keeps the real part.
    assert_eq!(t.to_vec::<f64>(), vec![1.0, 1.0]);
}

#[test]
fn new_dtypes_print_as_numpy_and_jaxprs_name_them_as_jax() {
    let t = Tensor::from_vec(vec![-128i8, 5, 127], &[3]);
    assert_eq!(t.to_string(), "[-128    5  127]");
    let b = Tensor::from_vec(
        vec![half::bf16::from_f32(0.1), half::bf16::from_f32(2.0)],
        &[2],
    );
    assert_eq!(b.to_string(), "[0.1 2. ]");
    let c = Tensor::from_vec(
        vec![
            num_complex::Complex32::new(1.0, 2.0),
            num_complex::Complex32::new(-0.5, -1.0),
        ],
        &[2],
    );
    assert_eq!(c.to_string(), "[ 1. +2.j -0.5-1.j]");
    let c = Tensor::from_vec(
        vec![
            num_complex::Complex64::new(1.0, 2.0),
            num_complex::Complex64::new(3.0, -1.0),
        ],
        &[2],
    );
    assert_eq!(c.to_string(), "[1.+2.j 3.-1.j]");
    assert_eq!(
        DType::ALL.map(|d| d.short_name()).join(" "),
        "bool i8 i16 i32 i64 u8 u16 u32 u64 bf16 f16 f32 f64 c64 c128"
    );
    let jaxpr = make_jaxpr(|x: &Tensor| ferrax::lax::convert_element_type(x, DType::BF16))(
        &Tensor::from_vec(vec![1u8, 2], &[2]),
    );
    assert_eq!(
        jaxpr.to_string(),
        "{ lambda ; a:u8[2]. let\n    b:bf16[2] = convert_element_type[new_dtype=bfloat16 weak_type=False] a\n  in (b,) }"
    );
}

/// Checkpoints store every dtype safetensors has (all but complex128, refused with an error
/// naming the leaf), bit for bit.
#[cfg(feature = "train")]
#[test]
fn checkpoints_round_trip_the_new_dtypes() {
    use ferrax::train::{params_from_bytes, params_to_bytes};
    let g = arrays();
    let leaves: Vec<Tensor> = DType::ALL
        .into_iter()
        .filter(|&d| d != DType::C128)
        .map(|d| tensor(&g[&format!("in.{d}")]))
        .collect();
    let bytes = params_to_bytes(&leaves, "mem").unwrap();
    let template: Vec<Tensor> = leaves
        .iter()
        .map(|t| Tensor::zeros(t.shape(), t.dtype()))
        .collect();
    let back = params_from_bytes(&bytes, &template, "mem").unwrap();
    for (a, b) in leaves.iter().zip(&back) {
        let d = a.dtype();
        assert_matches(&format!("checkpoint {d}"), b, &g[&format!("in.{d}")], 0.0);
    }
    let c = vec![tensor(&g["in.c128"])];
    let err = params_to_bytes(&c, "mem").unwrap_err();
    assert!(err.to_string().contains("c128"), "{err}");
}
