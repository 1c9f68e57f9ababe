//! `ferrax::nn::init`: values against jax.nn.initializers (tests/golden/nn.txt, written by
//! tests/golden/make_nn.py with JAX 0.10.2), fan computation, and sample statistics.

use ferrax::nn::init::{self, compute_fans, Distribution, FanMode, Initializer};
use ferrax::prelude::*;
use ferrax::random;

struct Case {
    name: String,
    dtype: DType,
    shape: Vec<usize>,
    values: Vec<f64>,
}

fn golden() -> Vec<Case> {
    include_str!("../golden/nn.txt")
        .lines()
        .map(|line| {
            let mut it = line.split_whitespace();
            let name = it.next().unwrap().to_string();
            let dt = it.next().unwrap();
            let shape = it
                .next()
                .unwrap()
                .split('x')
                .map(|d| d.parse().unwrap())
                .collect();
            let (dtype, values) = match dt {
                "f32" => (
                    DType::F32,
                    it.map(|h| f32::from_bits(u32::from_str_radix(h, 16).unwrap()) as f64)
                        .collect(),
                ),
                "f64" => (
                    DType::F64,
                    it.map(|h| f64::from_bits(u64::from_str_radix(h, 16).unwrap()))
                        .collect(),
                ),
                _ => panic!("bad dtype {dt}"),
            };
            Case {
                name,
                dtype,
                shape,
                values,
            }
        })
        .collect()
}

fn initializer(name: &str) -> Initializer {
    match name {
        "lecun_normal" => init::lecun_normal(),
        "lecun_uniform" => init::lecun_uniform(),
        "he_normal" => init::he_normal(),
        "he_uniform" => init::he_uniform(),
        "glorot_normal" => init::glorot_normal(),
        "glorot_uniform" => init::glorot_uniform(),
        "normal_0.02" => init::normal(0.02),
        "uniform_0.5" => init::uniform(0.5),
        "vs_0.5_fan_out_normal" => {
            init::variance_scaling(0.5, FanMode::FanOut, Distribution::Normal)
        }
        "vs_3_fan_avg_truncated_normal" => {
            init::variance_scaling(3.0, FanMode::FanAvg, Distribution::TruncatedNormal)
        }
        "vs_2_fan_in_uniform" => init::variance_scaling(2.0, FanMode::FanIn, Distribution::Uniform),
        "embed" => {
            init::variance_scaling_axes(1.0, FanMode::FanIn, Distribution::Normal, -2, 0, &[])
        }
        "orthogonal_1" => init::orthogonal(1.0),
        "orthogonal_2" => init::orthogonal(2.0),
        _ => panic!("no initializer {name}"),
    }
}

/// Distance in units in the last place of the dtype.
fn ulps(a: f64, b: f64, dtype: DType) -> f64 {
    let eps = if dtype == DType::F32 {
        f32::EPSILON as f64
    } else {
        f64::EPSILON
    };
    (a - b).abs() / (eps * b.abs().max(1e-30))
}

#[test]
fn initializers_match_jax_golden_values() {
    let cases: Vec<Case> = golden()
        .into_iter()
        .filter(|c| {
            !["conv", "max_pool", "avg_pool"]
                .iter()
                .any(|p| c.name.starts_with(p))
        })
        .collect();
    assert_eq!(cases.len(), 84);
    let mut checked = 0;
    for c in &cases {
        // name_seed_shape: the seed is the second-to-last `_` field.
        let parts: Vec<&str> = c.name.rsplitn(3, '_').collect();
        let (seed, base): (i64, &str) = (parts[1].parse().unwrap(), parts[2]);
        let got = initializer(base).init(&random::key(seed), &c.shape, c.dtype);
        assert_eq!(got.shape(), c.shape.as_slice(), "{}", c.name);
        assert_eq!(got.dtype(), c.dtype, "{}", c.name);
        let got: Vec<f64> = got.cast(DType::F64).to_vec::<f64>();
        // uniform and normal samplers are bit-exact up to a few ulp of the normal's erf_inv;
        // truncated_normal goes through erf and erf_inv near the middle of their range, where
        // XLA's and ferrax's last bits differ, so it gets an absolute tolerance relative to the
        // case's scale (as tests/nn/random.rs does for truncated_normal); orthogonal's QR is
        // Gram-Schmidt here and Householder in JAX, equal to the factorisation's rounding.
        let scale = c.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let f32_case = c.dtype == DType::F32;
        let truncated = [
            "lecun_normal",
            "he_normal",
            "glorot_normal",
            "vs_3_fan_avg_truncated_normal",
        ]
        .contains(&base);
        let atol = if base.starts_with("orthogonal") {
            if f32_case {
                2e-6
            } else {
                1e-13
            }
        } else if truncated {
            if f32_case {
                2e-6 * scale
            } else {
                1e-14 * scale
            }
        } else {
            0.0
        };
        let normal = base.starts_with("normal") || base.contains("_normal") || base == "embed";
        let max_ulps = match (normal, f32_case) {
            (false, _) => 0.0,
            (true, true) => 4.0,
            (true, false) => 16.0,
        };
        let worst = got
            .iter()
            .zip(&c.values)
            .map(|(&g, &w)| ulps(g, w, c.dtype))
            .fold(0.0f64, f64::max);
        eprintln!("{} {:?}: max {worst:.1} ulp from JAX", c.name, c.dtype);
        for (i, (&g, &w)) in got.iter().zip(&c.values).enumerate() {
            assert!(
                (g - w).abs() <= atol || ulps(g, w, c.dtype) <= max_ulps,
                "{} [{i}]: ferrax {g:e}, JAX {w:e}",
                c.name
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 84);
}

#[test]
fn layer_constructors_use_the_jax_initializers_on_their_key() {
    // Linear's kernel is lecun_normal(key, (in, out)); compare with the golden 4x3 case.
    let case = golden()
        .into_iter()
        .find(|c| c.name == "lecun_normal_12_4x3" && c.dtype == DType::F32)
        .unwrap();
    let l = ferrax::nn::Linear::new(&random::key(12), 4, 3);
    let got = l.kernel.to_vec::<f32>();
    let scale = case.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (g, w) in got.iter().zip(&case.values) {
        assert!((*g as f64 - w).abs() <= 2e-6 * scale, "{g} vs {w}");
    }
    assert_eq!(l.bias.unwrap().to_vec::<f32>(), vec![0.0; 3]);
    let e = golden()
        .into_iter()
        .find(|c| c.name.starts_with("embed_") && c.shape == [2, 5] && c.dtype == DType::F32)
        .unwrap();
    let seed: i64 = e.name.split('_').nth(1).unwrap().parse().unwrap();
    let emb = ferrax::nn::Embedding::new(&random::key(seed), 2, 5);
    for (g, w) in emb.embedding.to_vec::<f32>().iter().zip(&e.values) {
        assert!(ulps(*g as f64, *w, DType::F32) <= 4.0);
    }
}

#[test]
fn fans_follow_jax_compute_fans() {
    assert_eq!(compute_fans(&[5, 7], -2, -1, &[]), (5.0, 7.0));
    // HWIO conv kernel: receptive field 3x3.
    assert_eq!(compute_fans(&[3, 3, 4, 8], -2, -1, &[]), (36.0, 72.0));
    // batch axes are excluded from the receptive field.
    assert_eq!(compute_fans(&[6, 2, 5, 7], -2, -1, &[0]), (10.0, 14.0));
    let r = std::panic::catch_unwind(|| compute_fans(&[5], -2, -1, &[]));
    assert!(r.is_err());
}

fn stats(x: &Tensor) -> (f64, f64, f64) {
    let v = x.cast(DType::F64).to_vec::<f64>();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / n;
    let max = v.iter().fold(0.0f64, |m, a| m.max(a.abs()));
    (mean, var, max)
}

#[test]
fn variance_scaling_statistics() {
    // 200 x 300 draws: fan_in 200, fan_out 300, fan_avg 250.
    let shape = [200, 300];
    let cases: Vec<(&str, Initializer, f64, Option<f64>)> = vec![
        (
            "lecun_normal",
            init::lecun_normal(),
            1.0 / 200.0,
            Some(2.0 / 0.879_625_66 * (1.0f64 / 200.0).sqrt()),
        ),
        (
            "he_normal",
            init::he_normal(),
            2.0 / 200.0,
            Some(2.0 / 0.879_625_66 * (2.0f64 / 200.0).sqrt()),
        ),
        (
            "he_uniform",
            init::he_uniform(),
            2.0 / 200.0,
            Some((3.0 * 2.0f64 / 200.0).sqrt()),
        ),
        (
            "glorot_uniform",
            init::glorot_uniform(),
            1.0 / 250.0,
            Some((3.0f64 / 250.0).sqrt()),
        ),
        ("glorot_normal", init::glorot_normal(), 1.0 / 250.0, None),
        ("lecun_uniform", init::lecun_uniform(), 1.0 / 200.0, None),
        (
            "fan_out normal",
            init::variance_scaling(4.0, FanMode::FanOut, Distribution::Normal),
            4.0 / 300.0,
            None,
        ),
        ("normal(0.1)", init::normal(0.1), 0.01, None),
    ];
    for (i, (name, f, want_var, bound)) in cases.into_iter().enumerate() {
        let x = f.init(&random::key(100 + i as i64), &shape, DType::F64);
        let (mean, var, max) = stats(&x);
        let sd = want_var.sqrt();
        // 60000 draws: the mean's standard error is sd / 245.
        assert!(mean.abs() < 5.0 * sd / 245.0, "{name}: mean {mean}");
        assert!(
            (var / want_var - 1.0).abs() < 0.03,
            "{name}: var {var}, want {want_var}"
        );
        if let Some(b) = bound {
            assert!(max <= b * (1.0 + 1e-9), "{name}: |x| max {max} above {b}");
            assert!(
                max > 0.95 * b,
                "{name}: |x| max {max} far below the bound {b}"
            );
        }
    }
    // uniform(scale) is on [0, scale): mean scale/2, variance scale^2/12.
    let (mean, var, _) = stats(&init::uniform(2.0).init(&random::key(9), &shape, DType::F64));
    assert!((mean - 1.0).abs() < 0.01 && (var / (4.0 / 12.0) - 1.0).abs() < 0.03);
}

#[test]
fn orthogonal_columns_and_rows_are_orthonormal() {
    for (shape, scale) in [
        (vec![6usize, 4], 1.0),
        (vec![3, 8], 2.0),
        (vec![2, 3, 5], 1.5),
    ] {
        let q = init::orthogonal(scale).init(&random::key(3), &shape, DType::F64);
        assert_eq!(q.shape(), shape.as_slice());
        let n = *shape.last().unwrap();
        let m = q.reshape(&[-1, n as isize]) / scale;
        let rows = m.shape()[0];
        // Columns orthonormal if tall, rows if wide.
        let g = if rows >= n {
            m.t().matmul(&m)
        } else {
            m.matmul(&m.t())
        };
        let k = rows.min(n);
        let g = g.to_vec::<f64>();
        for i in 0..k {
            for j in 0..k {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!(
                    (g[i * k + j] - want).abs() < 1e-12,
                    "{shape:?} gram[{i},{j}] = {}",
                    g[i * k + j]
                );
            }
        }
    }
}

#[test]
fn constant_zeros_ones_and_dtypes() {
    let k = random::key(0);
    assert_eq!(
        init::zeros().init(&k, &[2, 2], DType::F64).to_vec::<f64>(),
        vec![0.0; 4]
    );
    assert_eq!(
        init::ones().init(&k, &[3], DType::F32).to_vec::<f32>(),
        vec![1.0; 3]
    );
    assert_eq!(
        init::constant(-0.5)
            .init(&k, &[2], DType::F32)
            .to_vec::<f32>(),
        vec![-0.5; 2]
    );
    assert_eq!(
        init::he_normal().init(&k, &[3, 3], DType::F64).dtype(),
        DType::F64
    );
    assert!(format!("{:?}", init::he_normal()).contains("variance_scaling"));
    // Different keys, different draws; same key, same draws.
    let a = init::glorot_uniform().init(&random::key(1), &[4, 4], DType::F32);
    let b = init::glorot_uniform().init(&random::key(1), &[4, 4], DType::F32);
    let c = init::glorot_uniform().init(&random::key(2), &[4, 4], DType::F32);
    assert_eq!(a.to_vec::<f32>(), b.to_vec::<f32>());
    assert_ne!(a.to_vec::<f32>(), c.to_vec::<f32>());
}

#[test]
fn initializers_trace_under_jit_with_the_same_values() {
    let f = |k: &Tensor| init::lecun_normal().init(k, &[5, 3], DType::F32);
    let eager = f(&random::key(4));
    let jitted = jit(f)(&random::key(4));
    assert_eq!(eager.to_vec::<f32>(), jitted.to_vec::<f32>());
}
