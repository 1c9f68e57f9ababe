//! The new conv, norm, pooling and positional layers under transformations: gradients
//! w.r.t. parameters and inputs against finite differences (f64), vmap against a loop over
//! examples, jit against eager, and the errors naming the layer, the shapes and the caller.

use crate::common::close::{assert_close, f64s};
use crate::common::panics::{assert_errors_name_function_shapes_and_caller, panic_message};
use ferrax::nn::{self, Ctx, Module, Padding};
use ferrax::optim::tree_utils::tree_cast;
use ferrax::prelude::*;
use ferrax::random;
use ferrax::test_util::check_grads;

fn rand(seed: i64, shape: &[usize]) -> Tensor {
    random::normal_with(&random::key(seed), shape, DType::F64)
}

/// Every leaf replaced by f64 normals (so unit scales and zero biases get exercised too).
fn randomize<T: PyTree>(t: &T, seed: i64) -> T {
    let (leaves, def) = t.flatten();
    let new = leaves
        .iter()
        .enumerate()
        .map(|(i, l)| rand(seed * 100 + i as i64, l.shape()))
        .collect();
    T::unflatten(&def, new)
}

/// `check_grads` w.r.t. the layer's parameters and the input, then vmap (over a new leading
/// axis of `x`) against a loop, and jit against eager.
#[track_caller]
fn check_layer<M: Module + PyTree + Clone>(m: &M, x: &Tensor) {
    check_grads(
        |(m, x): &(M, Tensor)| m.forward(x, &mut Ctx::eval()),
        &(m.clone(), x.clone()),
        1,
    );
    let xs = ferrax::numpy::stack(&[x.clone(), x * 0.5 - 1.0, x.sin()], 0);
    let batched = f64s(&vmap(|x: &Tensor| m.forward(x, &mut Ctx::eval()))(&xs));
    let looped: Vec<f64> = (0..3)
        .flat_map(|i| f64s(&m.forward(&xs.index(ferrax::idx![i]), &mut Ctx::eval())))
        .collect();
    assert_close(&batched, &looped, 1e-12);
    let jitted =
        jit(|(m, x): &(M, Tensor)| m.forward(x, &mut Ctx::eval()))(&(m.clone(), x.clone()));
    assert_close(
        &f64s(&jitted),
        &f64s(&m.forward(x, &mut Ctx::eval())),
        1e-12,
    );
}

#[test]
fn convolutions_under_transformations() {
    let key = random::key(0);
    let o = nn::Conv1dOptions {
        strides: [2],
        dilation: [2],
        groups: 2,
        ..Default::default()
    };
    let c1 = randomize(&nn::Conv1d::with_options(&key, 4, 2, [3], o), 1);
    check_layer(&c1, &rand(2, &[2, 7, 4]));
    let o = nn::Conv3dOptions {
        strides: [1, 2, 1],
        padding: Padding::Valid,
        ..Default::default()
    };
    let c3 = randomize(&nn::Conv3d::with_options(&key, 2, 2, [2, 2, 2], o), 3);
    check_layer(&c3, &rand(4, &[1, 3, 4, 3, 2]));
    let t1 = randomize(
        &nn::ConvTranspose::new(&key, 3, 2, &[3])
            .with_strides(&[2])
            .with_kernel_dilation(&[2]),
        5,
    );
    check_layer(&t1, &rand(6, &[2, 4, 3]));
    let t2 = randomize(
        &nn::ConvTranspose::new(&key, 2, 3, &[2, 3])
            .with_strides(&[2, 1])
            .with_padding(Padding::Valid)
            .with_transpose_kernel(),
        7,
    );
    check_layer(&t2, &rand(8, &[1, 3, 2, 2]));
}

#[test]
fn transpose_kernel_conv_transpose_is_the_conv_input_gradient() {
    // lax.conv_transpose's documented meaning: with transpose_kernel it is the gradient of
    // the forward convolution (stride s, SAME, odd kernel) w.r.t. its input.
    let x = rand(10, &[1, 6, 3]);
    let w = rand(11, &[3, 3, 2]);
    let ct = rand(12, &[1, 3, 2]);
    let (_, pullback) = vjp(
        |x: &Tensor| nn::conv_nd(x, &w, &[2], Padding::Same, &[], 1),
        &x,
    );
    let dx = pullback(&ct);
    let t = nn::conv_transpose(&ct, &w, &[2], Padding::Same, &[], true);
    assert_eq!(t.shape(), dx.shape());
    assert_close(&f64s(&t), &f64s(&dx), 1e-12);
}

#[test]
fn norms_under_transformations() {
    let gn = randomize(&nn::GroupNorm::new(6, 3), 20);
    check_layer(&gn, &rand(21, &[2, 3, 6]));
    let gs = nn::GroupNorm::with_group_size(6, 3).with_affine(false, true);
    assert!(gs.scale.is_none());
    check_layer(&tree_cast(&gs, DType::F64), &rand(22, &[2, 2, 2, 6]));
    let rms = randomize(&nn::RmsNorm::new(5), 23);
    check_layer(&rms, &rand(24, &[3, 5]));
    let rms2 = randomize(&nn::RmsNorm::new(5).with_reduction_axes(&[-2, -1]), 25);
    check_layer(&rms2, &rand(26, &[2, 3, 5]));
    let inst = randomize(&nn::InstanceNorm::new(3), 27);
    check_layer(&inst, &rand(28, &[2, 4, 3]));
}

#[test]
fn group_norm_limits_are_instance_norm_and_per_example_layer_norm() {
    let x = rand(50, &[2, 3, 4, 6]);
    let cx = &mut Ctx::eval();
    // One channel per group: instance normalisation.
    let per_channel = tree_cast(&nn::GroupNorm::new(6, 6), DType::F64).forward(&x, cx);
    let inst = tree_cast(&nn::InstanceNorm::new(6), DType::F64).forward(&x, cx);
    assert_close(&f64s(&per_channel), &f64s(&inst), 1e-12);
    // One group: each example normalised over all its values.
    let one = tree_cast(&nn::GroupNorm::new(6, 1), DType::F64).forward(&x, cx);
    let flat = x.reshape(&[2, 72]);
    let mean = flat.mean_axes(&[1]).reshape(&[2, 1]);
    let var = (&flat - &mean).square().mean_axes(&[1]).reshape(&[2, 1]);
    let want = (&flat - &mean) / (var + 1e-6).sqrt();
    assert_close(&f64s(&one), &f64s(&want), 1e-12);
}

#[test]
fn half_precision_norms_compute_in_f32() {
    let x = rand(29, &[2, 4, 6]);
    let want = f64s(&nn::RmsNorm::new(6).forward(&x.cast(DType::F32), &mut Ctx::eval()));
    let y = nn::RmsNorm::new(6).forward(&x.cast(DType::BF16), &mut Ctx::eval());
    assert_eq!(y.dtype(), DType::BF16);
    // bf16 inputs and output (8 bits of mantissa), f32 statistics.
    for (a, b) in f64s(&y).iter().zip(&want) {
        assert!((a - b).abs() <= 2e-2 * (1.0 + b.abs()), "{a} vs {b}");
    }
}

#[test]
fn pools_under_transformations() {
    let x1 = rand(30, &[2, 7, 3]);
    let x3 = rand(31, &[1, 3, 4, 5, 2]);
    let mp1 = nn::MaxPool1d {
        padding: Padding::Same,
        ..nn::MaxPool1d::new([3], [2])
    };
    check_layer(&mp1, &x1);
    let ap1 = nn::AvgPool1d {
        padding: Padding::Same,
        count_include_pad: false,
        ..nn::AvgPool1d::new([3], [2])
    };
    check_layer(&ap1, &x1);
    check_layer(&nn::MaxPool3d::new([2, 2, 2], [1, 2, 2]), &x3);
    let ap3 = nn::AvgPool3d {
        padding: Padding::Same,
        count_include_pad: false,
        ..nn::AvgPool3d::new([2, 3, 2], [2, 2, 2])
    };
    check_layer(&ap3, &x3);
    check_layer(&nn::GlobalAvgPool, &x3);
    check_layer(&nn::GlobalMaxPool, &x3);
    check_layer(
        &nn::SinusoidalEncoding,
        &x1.index(ferrax::idx![.., .., ..2]),
    );
}

#[test]
fn rope_gradients_and_batching() {
    let x = rand(40, &[4, 2, 6]);
    let pos = Tensor::from_vec(vec![3i32, 4, 5, 6], &[4]);
    check_grads(|x: &Tensor| nn::apply_rope(x, &pos, 100.0), &x, 1);
    // RoPE is a rotation: norms of each head's vector are kept.
    let y = nn::apply_rope(&x, &pos, 100.0);
    let n = |t: &Tensor| f64s(&t.square().sum_axes(&[-1]));
    assert_close(&n(&y), &n(&x), 1e-12);
    // Relative: <rope(q, p), rope(k, p')> depends on p - p' only.
    let (q, k) = (rand(41, &[1, 1, 6]), rand(42, &[1, 1, 6]));
    let dot = |p: i32, pk: i32| {
        let a = nn::apply_rope(&q, &Tensor::from_vec(vec![p], &[1]), 100.0);
        let b = nn::apply_rope(&k, &Tensor::from_vec(vec![pk], &[1]), 100.0);
        (a * b).sum().item::<f64>()
    };
    assert!((dot(5, 2) - dot(13, 10)).abs() < 1e-12);
    let xs = rand(43, &[3, 4, 2, 6]);
    let batched = f64s(&vmap(|x: &Tensor| nn::apply_rope(x, &pos, 100.0))(&xs));
    let looped: Vec<f64> = (0..3)
        .flat_map(|i| f64s(&nn::apply_rope(&xs.index(ferrax::idx![i]), &pos, 100.0)))
        .collect();
    assert_close(&batched, &looped, 1e-12);
}

#[test]
fn layer_errors_name_the_layer_shapes_and_caller() {
    let key = random::key(0);
    let x = Tensor::zeros(&[2, 5, 3], DType::F32);
    let cases = [
        (
            "nn::conv_nd",
            panic_message(|| nn::Conv3d::new(&key, 3, 2, [3, 3, 3]).forward(&x, &mut Ctx::eval())),
        ),
        (
            "nn::conv_nd",
            panic_message(|| nn::Conv1d::new(&key, 4, 2, [3]).forward(&x, &mut Ctx::eval())),
        ),
        (
            "nn::conv_transpose",
            panic_message(|| {
                nn::ConvTranspose::new(&key, 2, 2, &[3]).forward(&x, &mut Ctx::eval())
            }),
        ),
        (
            "nn::max_pool",
            panic_message(|| {
                nn::MaxPool3d::new([2, 2, 2], [1, 1, 1]).forward(&x, &mut Ctx::eval())
            }),
        ),
        (
            "nn::GroupNorm",
            panic_message(|| nn::GroupNorm::new(4, 2).forward(&x, &mut Ctx::eval())),
        ),
        (
            "nn::RmsNorm",
            panic_message(|| nn::RmsNorm::new(4).forward(&x, &mut Ctx::eval())),
        ),
        (
            "nn::InstanceNorm",
            panic_message(|| {
                nn::InstanceNorm::new(3).forward(&x.index(ferrax::idx![0]), &mut Ctx::eval())
            }),
        ),
        (
            "nn::GlobalAvgPool",
            panic_message(|| {
                nn::GlobalAvgPool.forward(&x.index(ferrax::idx![0]), &mut Ctx::eval())
            }),
        ),
    ];
    assert_errors_name_function_shapes_and_caller(&cases, "layers_transforms.rs");
    let msg = panic_message(|| nn::GroupNorm::new(6, 4));
    assert!(
        msg.contains("6 features") && msg.contains("4 groups"),
        "{msg}"
    );
}
