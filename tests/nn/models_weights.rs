//! `ferrax::models::weights`: checkpoints written in flax's and PyTorch/torchvision's naming
//! and layouts (by `tests/golden/make_torch_flax_checkpoints.py`) load into a ResNet-18-layout
//! network whose forward pass then equals the JAX reference; ferrax's own files round-trip;
//! mismatches and corrupt files are errors naming the file, the key and the shapes.

use crate::common::close::{assert_tensor_close, f64s, Tol};
use ferrax::models::weights::{self, default_module_name, CheckpointNames, Convention};
use ferrax::models::{ResNet, Stem};
use ferrax::nn::{Ctx, Module, State};
use ferrax::prelude::*;
use ferrax::random;
use ferrax::train::{CheckpointErrorKind, ParamMismatch};
use std::collections::BTreeMap;

fn golden(name: &str) -> String {
    format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The network of the checkpoint files: torchvision's ResNet-18 layout, widths 2/4/4/8.
fn template() -> ResNet {
    ResNet::new(
        &random::key(11),
        Stem::ImageNet,
        &[2, 4, 4, 8],
        &[2, 2, 2, 2],
        3,
        5,
    )
}

fn torch_file() -> BTreeMap<String, Tensor> {
    weights::read_tensors(golden("models_resnet18_torch.safetensors")).unwrap()
}

fn check_forward(net: &ResNet, state: State, what: &str) {
    let io = weights::read_tensors(golden("models_checkpoints_io.safetensors")).unwrap();
    let y = net.forward(&io["resnet18.x"], &mut Ctx::eval().with_state(state));
    assert_tensor_close(&y, &io["resnet18.y_eval"], Tol::scaled(2e-5), what);
}

#[test]
fn torchvision_checkpoint_loads_and_matches_jax() {
    let path = golden("models_resnet18_torch.safetensors");
    let (net, state) = weights::load_converted(&template(), &path, Convention::Torch).unwrap();
    // OIHW -> HWIO and [out, in] -> [in, out].
    let sd = torch_file();
    let w = &sd["conv1.weight"];
    assert_eq!(w.shape(), &[2, 3, 7, 7]);
    assert_eq!(net.conv1.kernel.shape(), &[7, 7, 3, 2]);
    let (o, i, h, x) = (1, 2, 5, 3);
    assert_eq!(
        net.conv1.kernel.to_vec::<f32>()[((h * 7 + x) * 3 + i) * 2 + o],
        w.to_vec::<f32>()[((o * 3 + i) * 7 + h) * 7 + x]
    );
    assert_eq!(
        net.fc.kernel.to_vec::<f32>()[3 * 5 + 4],
        sd["fc.weight"].to_vec::<f32>()[4 * 8 + 3]
    );
    // The running statistics went to the state, under each batch norm's index.
    let (mean, var) = net.layers[1][0]
        .downsample
        .as_ref()
        .unwrap()
        .bn
        .running_stats(&state);
    assert_eq!(f64s(&mean), f64s(&sd["layer2.0.downsample.1.running_mean"]));
    assert_eq!(f64s(&var), f64s(&sd["layer2.0.downsample.1.running_var"]));
    assert_eq!(state.len(), 20);
    check_forward(&net, state, "torch");
}

#[test]
fn flax_checkpoint_loads_and_matches_jax_and_torch() {
    let path = golden("models_resnet18_flax.safetensors");
    let (net, state) = weights::load_converted(&template(), &path, Convention::Flax).unwrap();
    let (tnet, tstate) = weights::load_converted(
        &template(),
        golden("models_resnet18_torch.safetensors"),
        Convention::Torch,
    )
    .unwrap();
    // Both conventions give the same model, bit for bit.
    let (a, b) = (net.flatten().0, tnet.flatten().0);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.to_vec::<f32>(), y.to_vec::<f32>());
    }
    assert_eq!(state.len(), tstate.len());
    check_forward(&net, state, "flax");
}

#[test]
fn module_names_follow_torchvision_and_the_flax_examples() {
    let net = template();
    let cases = [
        (".conv1", "conv1", "conv_init"),
        (".bn1", "bn1", "bn_init"),
        (
            ".layers[0][1].conv2",
            "layer1.1.conv2",
            "ResNetBlock_1/Conv_1",
        ),
        (
            ".layers[1][0].bn1",
            "layer2.0.bn1",
            "ResNetBlock_2/BatchNorm_0",
        ),
        (
            ".layers[3][0].downsample.conv",
            "layer4.0.downsample.0",
            "ResNetBlock_6/conv_proj",
        ),
        (
            ".layers[3][0].downsample.bn",
            "layer4.0.downsample.1",
            "ResNetBlock_6/norm_proj",
        ),
        (".fc", "fc", "Dense_0"),
    ];
    for (path, torch, flax) in cases {
        assert_eq!(net.module_name(path, Convention::Torch), torch);
        assert_eq!(net.module_name(path, Convention::Flax), flax);
    }
    assert_eq!(
        default_module_name(".a[2][3].b", Convention::Flax),
        "a_2_3/b"
    );
    assert_eq!(
        default_module_name(".a[2][3].b", Convention::Torch),
        "a.2.3.b"
    );
    // Every batch norm is listed once, with its path.
    let bns = net.batch_norms();
    assert_eq!(bns.len(), 1 + 2 * 8 + 3);
    assert_eq!(bns[0].0, ".bn1");
}

fn mismatches(sd: BTreeMap<String, Tensor>) -> (Vec<ParamMismatch>, String) {
    let err =
        weights::from_tensors(&template(), sd, Convention::Torch, "ckpt.safetensors").unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("ckpt.safetensors: "), "{msg}");
    match err.kind {
        CheckpointErrorKind::Mismatch(ms) => (ms, msg),
        other => panic!("expected a mismatch, got {other:?}"),
    }
}

#[test]
fn mismatches_name_the_key_and_the_shapes() {
    let mut sd = torch_file();
    sd.remove("layer1.0.conv1.weight");
    let (ms, msg) = mismatches(sd);
    assert_eq!(
        ms,
        vec![ParamMismatch::Missing {
            name: "layer1.0.conv1.weight".into()
        }]
    );
    assert!(msg.contains("`layer1.0.conv1.weight` is missing"), "{msg}");

    let mut sd = torch_file();
    sd.insert("fc.weight".into(), Tensor::zeros(&[5, 9], DType::F32));
    sd.insert(
        "layer3.1.bn2.running_var".into(),
        Tensor::zeros(&[3], DType::F32),
    );
    let (ms, msg) = mismatches(sd);
    assert_eq!(ms.len(), 2, "{msg}");
    assert!(
        msg.contains("`fc.weight` has shape [5, 9], expected [5, 8]"),
        "{msg}"
    );
    assert!(
        msg.contains("`layer3.1.bn2.running_var` has shape [3], expected [4]"),
        "{msg}"
    );

    let mut sd = torch_file();
    sd.insert("fc.bias".into(), Tensor::zeros(&[5], DType::F64));
    sd.insert("head.weight".into(), Tensor::zeros(&[1], DType::F32));
    let (ms, msg) = mismatches(sd);
    assert!(ms.contains(&ParamMismatch::Unexpected {
        name: "head.weight".into()
    }));
    assert!(
        msg.contains("`fc.bias` has dtype f64, expected f32"),
        "{msg}"
    );

    // num_batches_tracked is optional: the file loads without them too.
    let mut sd = torch_file();
    sd.retain(|k, _| !k.ends_with("num_batches_tracked"));
    assert!(weights::from_tensors(&template(), sd, Convention::Torch, "x").is_ok());

    // A flax file is not a torch file.
    let err = weights::load_converted(
        &template(),
        golden("models_resnet18_flax.safetensors"),
        Convention::Torch,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("`conv1.weight` is missing"),
        "{err}"
    );
}

#[test]
fn ferrax_files_round_trip_and_bad_files_are_errors() {
    // The state is keyed by the template's batch norms: load both files into one template.
    let template = template();
    let (net, state) = weights::load_converted(
        &template,
        golden("models_resnet18_torch.safetensors"),
        Convention::Torch,
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("ferrax-models-weights-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("net.safetensors");
    ferrax::train::save_params(&path, &net).unwrap();
    let back = weights::load(&template, &path).unwrap();
    check_forward(&back, state, "round trip");
    // A template of other widths: the error names the leaf and both shapes.
    let other = ResNet::new(
        &random::key(0),
        Stem::ImageNet,
        &[2, 4, 4, 6],
        &[2, 2, 2, 2],
        3,
        5,
    );
    let msg = weights::load(&other, &path).unwrap_err().to_string();
    assert!(
        msg.contains("`.fc.kernel` has shape [8, 5], expected [6, 5]"),
        "{msg}"
    );
    // Truncated bytes: a format error with the file's name.
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = weights::read_tensors(&path).unwrap_err();
    assert!(
        matches!(err.kind, CheckpointErrorKind::Corrupt { .. }),
        "{err}"
    );
    assert!(err.to_string().starts_with(&path.display().to_string()));
    let err = weights::read_tensors(dir.join("absent.safetensors")).unwrap_err();
    assert!(matches!(err.kind, CheckpointErrorKind::Io(_)), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
