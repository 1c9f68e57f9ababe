//! The initializers added for issue 19 (`truncated_normal`, the kaiming/xavier aliases,
//! `FanGeoAvg`, several in/out axes, `orthogonal` with `column_axis`, `delta_orthogonal`) against
//! jax.nn.initializers (tests/golden/nn_functions.txt, `init.NAME.SEED.DTYPE` lines): the
//! same key, shape and dtype give the same values; plus their structure and errors.

use super::functions::{golden, golden_mismatches};
use ferrax::nn::init::{self, Distribution, FanMode, Initializer, OrthogonalOptions};
use ferrax::prelude::*;
use ferrax::random;

fn initializer(name: &str) -> Initializer {
    let ortho = |scale, column_axis| OrthogonalOptions { scale, column_axis };
    match name {
        "truncated_normal_1" => init::truncated_normal(1e-2),
        "truncated_normal_2" => init::truncated_normal_with(init::TruncatedNormalOptions {
            stddev: 0.5,
            lower: -1.0,
            upper: 3.0,
        }),
        "kaiming_normal" => init::kaiming_normal(),
        "kaiming_uniform" => init::kaiming_uniform(),
        "xavier_normal" => init::xavier_normal(),
        "xavier_uniform" => init::xavier_uniform(),
        "vs_geo" => init::variance_scaling(1.5, FanMode::FanGeoAvg, Distribution::Normal),
        "vs_multi" => init::variance_scaling_multi_axes(
            2.0,
            FanMode::FanAvg,
            Distribution::TruncatedNormal,
            &[0, 1],
            &[3],
            &[2],
        ),
        "orthogonal_col0" => init::orthogonal_with(ortho(1.0, 0)),
        "orthogonal_col1_3d" => init::orthogonal_with(ortho(2.0, 1)),
        "delta_orthogonal_3d" => init::delta_orthogonal(1.0),
        "delta_orthogonal_4d" => init::delta_orthogonal(1.5),
        "delta_orthogonal_5d" => init::delta_orthogonal_with(ortho(1.0, -1)),
        n => panic!("no initializer {n}"),
    }
}

#[test]
fn draws_match_jax() {
    let mut bad = Vec::new();
    let mut checked = 0;
    for (name, want) in golden() {
        let Some(case) = name.strip_prefix("init.") else {
            continue;
        };
        let parts: Vec<&str> = case.split('.').collect();
        let (init_name, seed, dtype) = (parts[0], parts[1].parse::<i64>().unwrap(), parts[2]);
        let dtype = if dtype == "f32" {
            DType::F32
        } else {
            DType::F64
        };
        let key = if dtype == DType::F64 {
            random::key_x64(seed)
        } else {
            random::key(seed)
        };
        let got = initializer(init_name).init(&key, &want.shape, dtype);
        // Sampled values are bit-exact; the orthogonal ones go through a QR decomposition
        // (Householder order differs from LAPACK's), so within a few ulps.
        let (rtol, atol) = match dtype {
            DType::F32 => (2e-6, 2e-7),
            _ => (1e-13, 1e-15),
        };
        bad.extend(golden_mismatches(&name, &got, &want, rtol, atol));
        checked += 1;
    }
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert_eq!(checked, 26);
}

#[test]
fn delta_orthogonal_is_zero_off_centre_and_orthogonal_at_it() {
    let w = init::delta_orthogonal(1.0).init(&random::key(5), &[3, 3, 4, 6], DType::F64);
    let w = w.reshape(&[9, 4, 6]);
    for j in 0..9 {
        let slice = w.index(ferrax::idx![j]);
        let norm = slice.square().sum().item::<f64>();
        if j == 4 {
            let gram = slice.matmul(&slice.t()).to_vec::<f64>();
            for (r, g) in gram.iter().enumerate() {
                let want = if r % 5 == 0 { 1.0 } else { 0.0 };
                assert!((g - want).abs() < 1e-12, "gram[{r}] = {g}");
            }
        } else {
            assert_eq!(norm, 0.0, "tap {j}");
        }
    }
}

#[test]
fn bad_shapes_panic_with_the_initializer_and_the_shape() {
    let k = random::key(0);
    let msg = crate::common::panics::panic_message(|| {
        init::delta_orthogonal(1.0).init(&k, &[3, 3], DType::F32)
    });
    assert!(
        msg.contains("delta_orthogonal") && msg.contains("[3, 3]"),
        "{msg}"
    );
    let msg = crate::common::panics::panic_message(|| {
        init::delta_orthogonal(1.0).init(&k, &[3, 5, 4], DType::F32)
    });
    assert!(msg.contains("fan_in") && msg.contains("[3, 5, 4]"), "{msg}");
}
