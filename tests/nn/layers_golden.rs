//! The new layers' forward passes against JAX 0.10.2 (tests/golden/layers.txt, written by
//! tests/golden/make_layers.py with flax's definitions in jnp/lax): Conv1d, Conv3d,
//! ConvTranspose (1-3 d), GroupNorm, RmsNorm, InstanceNorm, the 1-d/3-d and global pools, the
//! sinusoidal table and RoPE. Inputs and parameters are read from the file too.

use crate::common::close::{assert_close_with, f64s, Tol};
use crate::common::golden::GoldenFile;
use ferrax::nn::{self, Ctx, Module, Padding};
use ferrax::prelude::*;

static GOLDEN: GoldenFile = GoldenFile::new(include_str!("../golden/layers.txt"));

/// The golden array `name` as a tensor.
pub fn g(name: &str) -> Tensor {
    GOLDEN.tensor(name)
}

#[track_caller]
fn check(case: &str, got: &Tensor) {
    let want = g(&format!("{case}.y"));
    assert_eq!(got.shape(), want.shape(), "{case}: shape");
    assert_close_with(&f64s(got), &f64s(&want), Tol::allclose(2e-5, 2e-5), case);
}

fn eval(m: &impl Module, x: &Tensor) -> Tensor {
    m.forward(x, &mut Ctx::eval())
}

fn conv1d(case: &str, strides: usize, padding: Padding, dil: usize, groups: usize) {
    let c = nn::Conv1d {
        kernel: g(&format!("{case}.w")),
        bias: Some(g(&format!("{case}.b"))),
        options: nn::Conv1dOptions {
            strides: [strides],
            padding,
            dilation: [dil],
            groups,
            use_bias: true,
        },
    };
    check(case, &eval(&c, &g(&format!("{case}.x"))));
}

#[test]
fn conv1d_matches_jax() {
    conv1d("conv1d_same_s2_g2", 2, Padding::Same, 1, 2);
    conv1d(
        "conv1d_explicit_d2",
        1,
        Padding::Explicit(vec![(1, 2)]),
        2,
        1,
    );
}

#[test]
fn conv3d_matches_jax() {
    for (case, strides, padding, dilation) in [
        ("conv3d_same_s121", [1, 2, 1], Padding::Same, [1, 1, 1]),
        ("conv3d_valid_d112", [1, 1, 1], Padding::Valid, [1, 1, 2]),
    ] {
        let c = nn::Conv3d {
            kernel: g(&format!("{case}.w")),
            bias: Some(g(&format!("{case}.b"))),
            options: nn::Conv3dOptions {
                strides,
                padding,
                dilation,
                groups: 1,
                use_bias: true,
            },
        };
        check(case, &eval(&c, &g(&format!("{case}.x"))));
    }
}

#[test]
fn conv_transpose_matches_jax() {
    type Case = (
        &'static str,
        &'static [usize],
        Padding,
        &'static [usize],
        bool,
    );
    let cases: [Case; 7] = [
        ("convt1d_same_s2", &[2], Padding::Same, &[1], false),
        ("convt1d_valid_s3", &[3], Padding::Valid, &[1], false),
        (
            "convt1d_explicit",
            &[2],
            Padding::Explicit(vec![(1, 2)]),
            &[1],
            false,
        ),
        ("convt1d_tk_d2", &[2], Padding::Same, &[2], true),
        ("convt2d_same_s21", &[2, 1], Padding::Same, &[1, 1], false),
        ("convt2d_valid_d12", &[2, 2], Padding::Valid, &[1, 2], false),
        (
            "convt3d_valid_tk",
            &[2, 2, 2],
            Padding::Valid,
            &[1, 1, 1],
            true,
        ),
    ];
    for (case, strides, padding, dil, tk) in cases {
        let c = nn::ConvTranspose {
            kernel: g(&format!("{case}.w")),
            bias: Some(g(&format!("{case}.b"))),
            strides: strides.to_vec(),
            padding,
            kernel_dilation: dil.to_vec(),
            transpose_kernel: tk,
        };
        check(case, &eval(&c, &g(&format!("{case}.x"))));
    }
}

#[test]
fn norms_match_jax() {
    for (case, groups, eps) in [("groupnorm_4d_g3", 3, 1e-6), ("groupnorm_3d_g2", 2, 1e-5)] {
        let mut m = nn::GroupNorm::new(1, 1).with_epsilon(eps);
        m.num_groups = groups;
        m.scale = Some(g(&format!("{case}.scale")));
        m.bias = Some(g(&format!("{case}.bias")));
        check(case, &eval(&m, &g(&format!("{case}.x"))));
    }
    for (case, axes, eps) in [
        ("rmsnorm_last", &[-1isize][..], 1e-6),
        ("rmsnorm_two_axes", &[-2, -1][..], 1e-5),
    ] {
        let m = nn::RmsNorm {
            scale: Some(g(&format!("{case}.scale"))),
            ..nn::RmsNorm::new(1)
        }
        .with_epsilon(eps)
        .with_reduction_axes(axes);
        check(case, &eval(&m, &g(&format!("{case}.x"))));
    }
    for (case, eps) in [("instancenorm_2d", 1e-6), ("instancenorm_1d", 1e-3)] {
        let m = nn::InstanceNorm {
            scale: Some(g(&format!("{case}.scale"))),
            bias: Some(g(&format!("{case}.bias"))),
            ..nn::InstanceNorm::new(1)
        }
        .with_epsilon(eps);
        check(case, &eval(&m, &g(&format!("{case}.x"))));
    }
}

#[test]
fn pools_match_jax() {
    let x = |case: &str| g(&format!("{case}.x"));
    let c = "maxpool1d_same_k3s2";
    let p = nn::MaxPool1d {
        padding: Padding::Same,
        ..nn::MaxPool1d::new([3], [2])
    };
    check(c, &eval(&p, &x(c)));
    let c = "maxpool3d_valid";
    check(c, &eval(&nn::MaxPool3d::new([2, 2, 2], [1, 2, 2]), &x(c)));
    let c = "avgpool1d_same_exclude";
    let p = nn::AvgPool1d {
        padding: Padding::Same,
        count_include_pad: false,
        ..nn::AvgPool1d::new([3], [2])
    };
    check(c, &eval(&p, &x(c)));
    let c = "avgpool1d_explicit_include";
    let p = nn::AvgPool1d {
        padding: Padding::Explicit(vec![(1, 1)]),
        ..nn::AvgPool1d::new([2], [2])
    };
    check(c, &eval(&p, &x(c)));
    for (c, include) in [
        ("avgpool3d_same_exclude", false),
        ("avgpool3d_same_include", true),
    ] {
        let p = nn::AvgPool3d {
            padding: Padding::Same,
            count_include_pad: include,
            ..nn::AvgPool3d::new([2, 3, 2], [2, 2, 2])
        };
        check(c, &eval(&p, &x(c)));
    }
    check("global_avg", &eval(&nn::GlobalAvgPool, &g("global.x")));
    check("global_max", &eval(&nn::GlobalMaxPool, &g("global.x")));
}

#[test]
fn positional_encodings_match_jax() {
    check(
        "sinusoidal_7x8",
        &nn::sinusoidal_positions(7, 8, DType::F32),
    );
    for (case, base) in [("rope_1d", 10000.0), ("rope_batched", 500.0)] {
        let y = nn::apply_rope(&g(&format!("{case}.x")), &g(&format!("{case}.pos")), base);
        check(case, &y);
    }
}
