//! `ferrax::models`' vision models: ResNet (ResNet-20, ResNet-18) and the Vision Transformer.
//! Shapes and parameter counts against the published architectures, forward passes against
//! the plain-JAX references of `tests/golden/make_models_vision.py` on the fixed weights it
//! writes, gradients against finite differences, vmap against a loop and jit against eager.

use crate::common::close::{assert_close, assert_tensor_close, f64s, Tol};
use crate::common::panics::{assert_errors_name_function_shapes_and_caller, panic_message};
use ferrax::models::weights::{self, Convention};
use ferrax::models::{resnet18, resnet20, ResNet, Stem, VisionTransformer, VitConfig};
use ferrax::nn::{self, Ctx, Module, State};
use ferrax::optim::tree_utils::tree_cast;
use ferrax::prelude::*;
use ferrax::random;
use ferrax::test_util::check_grads;
use std::collections::BTreeMap;

fn golden(name: &str) -> String {
    format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn io() -> BTreeMap<String, Tensor> {
    weights::read_tensors(golden("models_vision_io.safetensors")).unwrap()
}

fn n_params<T: PyTree>(t: &T) -> usize {
    t.flatten().0.iter().map(|l| l.size()).sum()
}

fn tiny_vit() -> VitConfig {
    VitConfig {
        image_size: 8,
        patch_size: 4,
        in_channels: 3,
        dim: 8,
        depth: 2,
        num_heads: 2,
        mlp_dim: 16,
        num_classes: 3,
    }
}

#[test]
fn resnet20_has_the_papers_layout_and_shapes() {
    let net = resnet20(10, &random::key(0));
    // He et al. 2016: 0.27M parameters with option A shortcuts; option B adds two 1x1
    // projections with their batch norms (16·32 + 64 + 32·64 + 128).
    assert_eq!(n_params(&net), 269_722 + 2_752);
    let convs = 1 + 2 * net.layers.iter().map(Vec::len).sum::<usize>();
    assert_eq!(convs + 1, 20, "19 convolutions and the classifier");
    let widths: Vec<usize> = net
        .layers
        .iter()
        .map(|s| s[0].conv2.kernel.shape()[3])
        .collect();
    assert_eq!(widths, vec![16, 32, 64]);
    let y = net.forward(
        &Tensor::zeros(&[2, 32, 32, 3], DType::F32),
        &mut Ctx::eval(),
    );
    assert_eq!(y.shape(), &[2, 10]);
}

#[test]
fn resnet18_has_torchvisions_parameter_count() {
    let net = resnet18(1000, &random::key(0));
    // torchvision.models.resnet18(): 11,689,512 parameters (running statistics excluded).
    assert_eq!(n_params(&net), 11_689_512);
    assert_eq!(net.conv1.kernel.shape(), &[7, 7, 3, 64]);
    let ds: Vec<bool> = net
        .layers
        .iter()
        .map(|s| s[0].downsample.is_some())
        .collect();
    assert_eq!(ds, vec![false, true, true, true]);
}

#[test]
fn resnet_imagenet_stem_downsamples_by_four_then_by_stages() {
    let net = ResNet::new(
        &random::key(1),
        Stem::ImageNet,
        &[2, 3, 4],
        &[1, 1, 1],
        3,
        7,
    );
    let x = Tensor::ones(&[1, 32, 32, 3], DType::F32);
    let mut cx = Ctx::eval();
    let stem = net.bn1.forward(&net.conv1.forward(&x, &mut cx), &mut cx);
    assert_eq!(stem.shape(), &[1, 16, 16, 2]);
    let y = net.layers[1][0].forward(
        &net.layers[0][0].forward(
            &nn::max_pool(
                &stem,
                &[3, 3],
                &[2, 2],
                nn::Padding::Explicit(vec![(1, 1), (1, 1)]),
            ),
            &mut cx,
        ),
        &mut cx,
    );
    assert_eq!(y.shape(), &[1, 4, 4, 3]);
    assert_eq!(net.forward(&x, &mut Ctx::eval()).shape(), &[1, 7]);
}

#[test]
fn vit_shapes_and_defaults() {
    let c = VitConfig::default();
    assert_eq!((c.image_size, c.patch_size, c.num_classes), (32, 4, 10));
    let vit = VisionTransformer::new(&random::key(0), &tiny_vit());
    assert_eq!(vit.patch_embed.kernel.shape(), &[4, 4, 3, 8]);
    assert_eq!(vit.pos_embed.shape(), &[1, 5, 8]);
    let x = Tensor::ones(&[3, 8, 8, 3], DType::F32);
    assert_eq!(vit.tokens(&x, &mut Ctx::eval()).shape(), &[3, 5, 8]);
    assert_eq!(vit.forward(&x, &mut Ctx::eval()).shape(), &[3, 3]);
}

/// The ResNet-20-layout network of the golden file (widths 2/4/8) with its running stats.
fn golden_resnet20() -> (ResNet, State) {
    let template = ResNet::new(&random::key(3), Stem::Cifar, &[2, 4, 8], &[3, 3, 3], 3, 5);
    weights::load_converted(
        &template,
        golden("models_resnet20_flax.safetensors"),
        Convention::Flax,
    )
    .unwrap()
}

#[test]
fn resnet20_forward_matches_jax_in_eval_and_train_modes() {
    let (net, state) = golden_resnet20();
    let io = io();
    let x = &io["resnet20.x"];
    let tol = Tol::scaled(2e-5);
    let y = net.forward(x, &mut Ctx::eval().with_state(state.clone()));
    assert_tensor_close(&y, &io["resnet20.y_eval"], tol, "eval");
    let mut cx = Ctx::train(&random::key(0)).with_state(state);
    let y = net.forward(x, &mut cx);
    assert_tensor_close(&y, &io["resnet20.y_train"], tol, "train");
    let after = cx.into_state();
    let (mean, var) = net.bn1.running_stats(&after);
    assert_tensor_close(&mean, &io["resnet20.bn1.mean"], tol, "bn1 mean");
    assert_tensor_close(&var, &io["resnet20.bn1.var"], tol, "bn1 var");
    let ds = &net.layers[1][0].downsample.as_ref().unwrap().bn;
    let (mean, var) = ds.running_stats(&after);
    assert_tensor_close(&mean, &io["resnet20.ds.mean"], tol, "projection mean");
    assert_tensor_close(&var, &io["resnet20.ds.var"], tol, "projection var");
}

#[test]
fn vit_forward_matches_jax() {
    let template = VisionTransformer::new(&random::key(5), &tiny_vit());
    let vit = weights::load(&template, golden("models_vit.safetensors")).unwrap();
    let io = io();
    let y = vit.forward(&io["vit.x"], &mut Ctx::eval());
    assert_tensor_close(&y, &io["vit.y"], Tol::scaled(2e-5), "vit");
    // The template's own weights give another answer: the file's weights were used.
    let other = template.forward(&io["vit.x"], &mut Ctx::eval());
    assert!(f64s(&other)
        .iter()
        .zip(f64s(&io["vit.y"]))
        .any(|(a, b)| (a - b).abs() > 1e-3));
}

fn rand(seed: i64, shape: &[usize]) -> Tensor {
    random::normal_with(&random::key(seed), shape, DType::F64)
}

/// vmap over a batch against a loop over its examples, and jit against eager, in eval mode
/// with `state`.
fn check_vmap_jit<M: Module + PyTree + Clone + 'static>(m: &M, xs: &Tensor, state: &State) {
    let st = state.clone();
    let batched = f64s(&vmap(move |x: &Tensor| {
        m.forward(x, &mut Ctx::eval().with_state(st.clone()))
    })(xs));
    let looped: Vec<f64> = (0..xs.shape()[0])
        .flat_map(|i| {
            f64s(&m.forward(
                &xs.index(ferrax::idx![i]),
                &mut Ctx::eval().with_state(state.clone()),
            ))
        })
        .collect();
    assert_close(&batched, &looped, 1e-10);
    let eager = m.forward(xs, &mut Ctx::eval().with_state(state.clone()));
    let jitted =
        jit(|(m, x, s): &(M, Tensor, State)| m.forward(x, &mut Ctx::eval().with_state(s.clone())))(
            &(m.clone(), xs.clone(), state.clone()),
        );
    assert_close(&f64s(&jitted), &f64s(&eager), 1e-10);
}

#[test]
fn resnet_grads_vmap_and_jit_agree() {
    for stem in [Stem::Cifar, Stem::ImageNet] {
        let net: ResNet = tree_cast(
            &ResNet::new(&random::key(7), stem, &[2, 3], &[1, 1], 2, 3),
            DType::F64,
        );
        let size = if stem == Stem::Cifar { 4 } else { 8 };
        let x = rand(1, &[2, size, size, 2]);
        // Training-mode state (batch statistics) for the evaluation passes below.
        let mut cx = Ctx::train(&random::key(2));
        net.forward(&x, &mut cx);
        let state = cx.into_state();
        // Gradients on the CIFAR stem only: the ImageNet stem max-pools a relu, whose windows
        // tie at zero where the derivative is not defined (finite differences disagree).
        if stem == Stem::Cifar {
            check_grads(
                |(m, x): &(ResNet, Tensor)| m.forward(x, &mut Ctx::train(&random::key(0))),
                &(net.clone(), x.clone()),
                1,
            );
            let st = state.clone();
            check_grads(
                move |(m, x): &(ResNet, Tensor)| {
                    m.forward(x, &mut Ctx::eval().with_state(st.clone()))
                },
                &(net.clone(), x.clone()),
                1,
            );
        }
        check_vmap_jit(&net, &rand(3, &[3, size, size, 2]), &state);
        // A jitted training step returns the same outputs and state as the eager one.
        let train = |(m, x): &(ResNet, Tensor)| {
            let mut cx = Ctx::train(&random::key(4));
            let y = m.forward(x, &mut cx);
            (y, cx.into_state())
        };
        let (y_e, s_e) = train(&(net.clone(), x.clone()));
        let (y_j, s_j) = jit(train)(&(net.clone(), x.clone()));
        assert_close(&f64s(&y_j), &f64s(&y_e), 1e-10);
        let (le, lj) = (s_e.flatten().0, s_j.flatten().0);
        assert_eq!(le.len(), lj.len());
        for (a, b) in le.iter().zip(&lj) {
            assert_close(&f64s(b), &f64s(a), 1e-10);
        }
    }
}

#[test]
fn vit_grads_vmap_and_jit_agree() {
    let c = VitConfig {
        image_size: 4,
        patch_size: 2,
        in_channels: 2,
        dim: 4,
        depth: 1,
        num_heads: 2,
        mlp_dim: 6,
        num_classes: 2,
    };
    let vit = VisionTransformer::new(&random::key(8), &c);
    // Non-trivial class token and norms, so their gradients are exercised.
    let vit: VisionTransformer = {
        let (leaves, def) = tree_cast(&vit, DType::F64).flatten();
        let leaves = leaves
            .iter()
            .enumerate()
            .map(|(i, l)| l + rand(100 + i as i64, l.shape()) * 0.3)
            .collect();
        VisionTransformer::unflatten(&def, leaves)
    };
    let x = rand(9, &[2, 4, 4, 2]);
    check_grads(
        |(m, x): &(VisionTransformer, Tensor)| m.forward(x, &mut Ctx::eval()),
        &(vit.clone(), x),
        1,
    );
    check_vmap_jit(&vit, &rand(10, &[3, 4, 4, 2]), &State::new());
}

#[test]
fn bad_inputs_name_the_model_the_shape_and_the_caller() {
    let net = ResNet::new(&random::key(0), Stem::Cifar, &[2], &[1], 3, 2);
    let vit = VisionTransformer::new(&random::key(0), &tiny_vit());
    let cases = [
        (
            "models::ResNet",
            panic_message(|| {
                net.forward(&Tensor::ones(&[1, 4, 4, 2], DType::F32), &mut Ctx::eval())
            }),
        ),
        (
            "models::VisionTransformer",
            panic_message(|| {
                vit.forward(&Tensor::ones(&[1, 12, 8, 3], DType::F32), &mut Ctx::eval())
            }),
        ),
        (
            "models::ResNet::new",
            panic_message(|| ResNet::new(&random::key(0), Stem::Cifar, &[2, 3], &[1], 3, 2)),
        ),
    ];
    for (name, msg) in &cases {
        assert!(msg.starts_with(name), "{name}: {msg}");
        assert!(
            msg.contains("models_vision.rs"),
            "{name}: no caller in {msg}"
        );
    }
    assert_errors_name_function_shapes_and_caller(&cases[..2], "models_vision.rs");
}
