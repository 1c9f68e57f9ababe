//! Model weights from safetensors files: ferrax's own files (named by pytree key path, as
//! [`train::save_params`](crate::train::save_params) writes them) with [`load`], and
//! checkpoints written by flax or by PyTorch/torchvision with [`load_converted`], which renames
//! and re-lays-out every tensor and returns the batch-norm running statistics as a [`State`].
//!
//! # Name mapping
//!
//! A ferrax leaf is a module path and a field (`.layers[0][1].conv1` and `kernel`). The model
//! names the module in the other framework ([`CheckpointNames::module_name`]); the field and
//! the layout follow from the convention:
//!
//! | ferrax leaf | flax (`Convention::Flax`) | PyTorch (`Convention::Torch`) |
//! |---|---|---|
//! | conv `kernel [kh, kw, in, out]` (HWIO) | `params/{m}/kernel`, same layout | `{m}.weight [out, in, kh, kw]` (OIHW, transposed on load) |
//! | linear `kernel [in, out]` | `params/{m}/kernel`, same layout | `{m}.weight [out, in]` (transposed on load) |
//! | `bias` | `params/{m}/bias` | `{m}.bias` |
//! | norm `scale` | `params/{m}/scale` | `{m}.weight` |
//! | other leaves (`cls_token`, ...) | `params/{m}/{field}` | `{m}.{field}` |
//! | batch-norm running mean / var (in the [`State`]) | `batch_stats/{m}/mean`, `batch_stats/{m}/var` | `{m}.running_mean`, `{m}.running_var` (`{m}.num_batches_tracked` is ignored) |
//!
//! [`ResNet`](super::ResNet)'s modules are named as torchvision's `resnet18` state dict for
//! PyTorch (`conv1`, `bn1`, `layer1.0.conv1`, `layer2.0.downsample.0` / `.1`, `fc`) and as
//! the flax examples' ResNet (`flax/examples/imagenet/models.py`) for flax (`conv_init`,
//! `bn_init`, `ResNetBlock_{n}/Conv_0`, `BatchNorm_0`, `Conv_1`, `BatchNorm_1`,
//! `conv_proj`, `norm_proj`, `Dense_0`). Other models use their key paths (`.blocks[0].ln1`
//! is `blocks_0/ln1` for flax, `blocks.0.ln1` for PyTorch).
//!
//! Note what names cannot carry: ferrax's ResNet pads its stride-2 3x3 convolutions as
//! PyTorch does ((1, 1)), while a flax model built with `padding='SAME'` pads (0, 1); and
//! the training-mode update of the running variance is flax's (biased), where PyTorch's is
//! unbiased. Evaluation with loaded statistics is unaffected by the latter.
//!
//! Errors are [`CheckpointError`]s naming the file, and for a mismatch every name in the
//! file's own terms: a missing name, a tensor the model does not use, a shape (in the file's
//! layout) or dtype that differs.

use crate::nn::{BatchNorm, State};
use crate::numpy as jnp;
use crate::tensor::{DType, Tensor};
use crate::train::checkpoint::{from_le_bytes, parse_safetensors};
use crate::train::{load_params, CheckpointError, CheckpointErrorKind, ParamMismatch};
use crate::tree::{KeyEntry, KeyPath, PyTree};
use safetensors::tensor::Dtype as StDtype;
use std::collections::BTreeMap;
use std::path::Path;

/// Which framework wrote a checkpoint: decides its names and its layouts (see the module
/// documentation's table).
///
/// ```
/// use ferrax::models::weights::Convention;
/// assert_ne!(Convention::Flax, Convention::Torch);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Convention {
    /// `flax.linen` variables: `params/...` (HWIO kernels) and `batch_stats/...`.
    Flax,
    /// A PyTorch `state_dict` (OIHW conv weights, `[out, in]` linear weights).
    Torch,
}

/// How a model's modules are named in flax and PyTorch checkpoints, and where its batch norms
/// are (their running statistics live in a [`State`], not in the model).
///
/// The defaults suit a model whose field names are the other framework's: the key path with
/// `[i]` written `_i` and `/` between modules (flax), or `.i` and `.` (PyTorch).
///
/// ```
/// use ferrax::models::weights::{CheckpointNames, Convention};
/// use ferrax::models::{VisionTransformer, VitConfig};
/// let c = VitConfig { image_size: 4, patch_size: 2, dim: 4, depth: 1, num_heads: 1, mlp_dim: 8, ..Default::default() };
/// let vit = VisionTransformer::new(&ferrax::random::key(0), &c);
/// assert_eq!(vit.module_name(".blocks[0].ln1", Convention::Flax), "blocks_0/ln1");
/// assert_eq!(vit.module_name(".blocks[0].ln1", Convention::Torch), "blocks.0.ln1");
/// ```
pub trait CheckpointNames: PyTree + Clone {
    /// The model's batch norms with their module key paths (e.g. `.bn1`).
    fn batch_norms(&self) -> Vec<(String, BatchNorm)> {
        Vec::new()
    }

    /// The name, in a `convention` checkpoint, of the module at ferrax key path `module`
    /// (a leaf's path without its last field; `""` for a leaf of the model itself).
    fn module_name(&self, module: &str, convention: Convention) -> String {
        default_module_name(module, convention)
    }
}

/// The default [`CheckpointNames::module_name`]: `.a[0].b` is `a_0/b` (flax) or `a.0.b`
/// (PyTorch).
///
/// ```
/// use ferrax::models::weights::{default_module_name, Convention};
/// assert_eq!(default_module_name(".head", Convention::Torch), "head");
/// assert_eq!(default_module_name(".layers[1][0].conv", Convention::Flax), "layers_1_0/conv");
/// ```
pub fn default_module_name(module: &str, convention: Convention) -> String {
    let (index, sep) = match convention {
        Convention::Flax => ("_", "/"),
        Convention::Torch => (".", "."),
    };
    let mut out = String::new();
    for (i, part) in module.trim_start_matches('.').split('.').enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(
            &part
                .replace("][", index)
                .replace('[', index)
                .replace(']', ""),
        );
    }
    out
}

impl CheckpointNames for super::VisionTransformer {}

impl CheckpointNames for super::ResNet {
    fn batch_norms(&self) -> Vec<(String, BatchNorm)> {
        let mut out = vec![(".bn1".to_string(), self.bn1.clone())];
        for (s, stage) in self.layers.iter().enumerate() {
            for (b, block) in stage.iter().enumerate() {
                let p = format!(".layers[{s}][{b}]");
                out.push((format!("{p}.bn1"), block.bn1.clone()));
                out.push((format!("{p}.bn2"), block.bn2.clone()));
                if let Some(d) = &block.downsample {
                    out.push((format!("{p}.downsample.bn"), d.bn.clone()));
                }
            }
        }
        out
    }

    fn module_name(&self, module: &str, convention: Convention) -> String {
        let flax = convention == Convention::Flax;
        let Some(rest) = module.strip_prefix(".layers[") else {
            return match (module, flax) {
                (".conv1", true) => "conv_init".into(),
                (".bn1", true) => "bn_init".into(),
                (".fc", true) => "Dense_0".into(),
                _ => default_module_name(module, convention),
            };
        };
        // `S][B].inner`
        let parsed = rest.split_once("][").and_then(|(s, r)| {
            let (b, inner) = r.split_once(']')?;
            Some((s.parse::<usize>().ok()?, b.parse::<usize>().ok()?, inner))
        });
        let Some((s, b, inner)) = parsed else {
            return default_module_name(module, convention);
        };
        if flax {
            let layer = match inner {
                ".conv1" => "Conv_0",
                ".bn1" => "BatchNorm_0",
                ".conv2" => "Conv_1",
                ".bn2" => "BatchNorm_1",
                ".downsample.conv" => "conv_proj",
                ".downsample.bn" => "norm_proj",
                other => return format!("ResNetBlock_{}/{}", self.block_number(s, b), other),
            };
            format!("ResNetBlock_{}/{layer}", self.block_number(s, b))
        } else {
            let inner = match inner {
                ".downsample.conv" => ".downsample.0",
                ".downsample.bn" => ".downsample.1",
                other => other,
            };
            format!("layer{}.{b}{inner}", s + 1)
        }
    }
}

/// Loads a model saved by [`train::save_params`](crate::train::save_params) (names are the
/// model's key paths) into the structure of `template`; a thin name for
/// [`train::load_params`](crate::train::load_params). Batch-norm statistics are not
/// parameters: save and load the [`State`] beside the model the same way.
///
/// ```
/// use ferrax::models::{weights, ResNet, Stem};
/// let net = ResNet::new(&ferrax::random::key(0), Stem::Cifar, &[2], &[1], 3, 4);
/// let path = std::env::temp_dir().join(format!("ferrax-doc-weights-{}.safetensors", std::process::id()));
/// ferrax::train::save_params(&path, &net)?;
/// let back = weights::load(&ResNet::new(&ferrax::random::key(1), Stem::Cifar, &[2], &[1], 3, 4), &path)?;
/// assert_eq!(back.fc.kernel.to_vec::<f32>(), net.fc.kernel.to_vec::<f32>());
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ferrax::train::CheckpointError>(())
/// ```
pub fn load<M: PyTree>(template: &M, path: impl AsRef<Path>) -> Result<M, CheckpointError> {
    load_params(path, template)
}

/// The ferrax dtype of a safetensors dtype (`None` for the ones ferrax lacks, e.g. `F8_*`).
fn dtype_of(d: StDtype) -> Option<DType> {
    Some(match d {
        StDtype::BOOL => DType::Bool,
        StDtype::I8 => DType::I8,
        StDtype::I16 => DType::I16,
        StDtype::I32 => DType::I32,
        StDtype::I64 => DType::I64,
        StDtype::U8 => DType::U8,
        StDtype::U16 => DType::U16,
        StDtype::U32 => DType::U32,
        StDtype::U64 => DType::U64,
        StDtype::BF16 => DType::BF16,
        StDtype::F16 => DType::F16,
        StDtype::F32 => DType::F32,
        StDtype::F64 => DType::F64,
        StDtype::C64 => DType::C64,
        _ => return None,
    })
}

/// Every tensor of safetensors `bytes`, by name (whatever wrote it). `path` labels errors.
///
/// ```
/// use ferrax::prelude::*;
/// let bytes = ferrax::train::params_to_bytes(&(Tensor::scalar(2.0f32),), "mem").unwrap();
/// let all = ferrax::models::weights::tensors_from_bytes(&bytes, "mem").unwrap();
/// assert_eq!(all["[0]"].item::<f32>(), 2.0);
/// ```
pub fn tensors_from_bytes(
    bytes: &[u8],
    path: impl AsRef<Path>,
) -> Result<BTreeMap<String, Tensor>, CheckpointError> {
    let err = |kind| CheckpointError {
        path: path.as_ref().to_path_buf(),
        kind,
    };
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for (name, (info, data)) in parse_safetensors(bytes).map_err(err)? {
        match dtype_of(info.dtype) {
            Some(d) => {
                out.insert(name, from_le_bytes(d, data, &info.shape));
            }
            None => problems.push(ParamMismatch::Dtype {
                name,
                expected: DType::F32,
                found: format!("{:?} (no ferrax dtype)", info.dtype),
            }),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(err(CheckpointErrorKind::Mismatch(problems)))
    }
}

/// Every tensor of the safetensors file at `path`, by name.
///
/// ```
/// use ferrax::prelude::*;
/// let path = std::env::temp_dir().join(format!("ferrax-doc-read-{}.safetensors", std::process::id()));
/// ferrax::train::save_params(&path, &vec![Tensor::ones(&[2], DType::F32)])?;
/// let all = ferrax::models::weights::read_tensors(&path)?;
/// assert_eq!(all["[0]"].shape(), &[2]);
/// std::fs::remove_file(&path).unwrap();
/// # Ok::<(), ferrax::train::CheckpointError>(())
/// ```
pub fn read_tensors(path: impl AsRef<Path>) -> Result<BTreeMap<String, Tensor>, CheckpointError> {
    let bytes = std::fs::read(path.as_ref()).map_err(|e| CheckpointError {
        path: path.as_ref().to_path_buf(),
        kind: CheckpointErrorKind::Io(e),
    })?;
    tensors_from_bytes(&bytes, path)
}

/// Loads a flax or PyTorch checkpoint (a safetensors file) into the structure of `template`:
/// the model with the file's parameters and the [`State`] holding its batch-norm running
/// statistics (give it to `Ctx::eval().with_state(state)`). The state is keyed by the
/// template's batch norms (each has its own [`StateIndex`](crate::nn::StateIndex)): use it
/// with the returned model, the template or their clones, not with a model built separately.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::models::{weights::{self, Convention}, ResNet, Stem};
/// use ferrax::nn::{Ctx, Module};
/// let net = ResNet::new(&ferrax::random::key(0), Stem::Cifar, &[2], &[1], 1, 3);
/// // A PyTorch state dict: OIHW conv weights, [out, in] linear weights.
/// let mut sd = std::collections::BTreeMap::new();
/// sd.insert("conv1.weight".to_string(), Tensor::ones(&[2, 1, 3, 3], DType::F32));
/// sd.insert("fc.weight".to_string(), Tensor::ones(&[3, 2], DType::F32));
/// sd.insert("fc.bias".to_string(), Tensor::zeros(&[3], DType::F32));
/// for bn in ["bn1", "layer1.0.bn1", "layer1.0.bn2"] {
///     for (f, v) in [("weight", 1.0f32), ("bias", 0.0), ("running_mean", 0.0), ("running_var", 1.0)] {
///         sd.insert(format!("{bn}.{f}"), Tensor::full(&[2], v, DType::F32));
///     }
/// }
/// sd.insert("layer1.0.conv1.weight".to_string(), Tensor::zeros(&[2, 2, 3, 3], DType::F32));
/// sd.insert("layer1.0.conv2.weight".to_string(), Tensor::zeros(&[2, 2, 3, 3], DType::F32));
/// let (loaded, state) = weights::from_tensors(&net, sd, Convention::Torch, "sd").unwrap();
/// assert_eq!(loaded.conv1.kernel.shape(), &[3, 3, 1, 2]);
/// let y = loaded.forward(&Tensor::ones(&[1, 4, 4, 1], DType::F32), &mut Ctx::eval().with_state(state));
/// assert_eq!(y.shape(), &[1, 3]);
/// ```
pub fn load_converted<M: CheckpointNames>(
    template: &M,
    path: impl AsRef<Path>,
    convention: Convention,
) -> Result<(M, State), CheckpointError> {
    let tensors = read_tensors(path.as_ref())?;
    from_tensors(template, tensors, convention, path)
}

/// How a file's tensor becomes a ferrax leaf.
#[derive(Clone, Copy)]
enum Layout {
    Same,
    /// OIHW -> HWIO.
    Oihw,
    /// `[out, in]` -> `[in, out]`.
    OutIn,
}

impl Layout {
    /// The file's shape for a ferrax leaf of `shape`.
    fn file_shape(self, shape: &[usize]) -> Vec<usize> {
        match self {
            Layout::Same => shape.to_vec(),
            Layout::Oihw => vec![shape[3], shape[2], shape[0], shape[1]],
            Layout::OutIn => vec![shape[1], shape[0]],
        }
    }

    fn convert(self, t: &Tensor) -> Tensor {
        match self {
            Layout::Same => t.clone(),
            Layout::Oihw => jnp::transpose(t, &[2, 3, 1, 0]),
            Layout::OutIn => jnp::transpose(t, &[1, 0]),
        }
    }
}

/// The file name and layout of the leaf `field` (of rank `rank`) of module `m`.
fn leaf_name(m: &str, field: &str, rank: usize, convention: Convention) -> (String, Layout) {
    match convention {
        Convention::Flax => {
            let name = if m.is_empty() {
                format!("params/{field}")
            } else {
                format!("params/{m}/{field}")
            };
            (name, Layout::Same)
        }
        Convention::Torch => {
            let (field, layout) = match (field, rank) {
                ("kernel", 4) => ("weight", Layout::Oihw),
                ("kernel", 2) => ("weight", Layout::OutIn),
                ("kernel", _) | ("scale", _) => ("weight", Layout::Same),
                (f, _) => (f, Layout::Same),
            };
            let name = if m.is_empty() {
                field.to_string()
            } else {
                format!("{m}.{field}")
            };
            (name, layout)
        }
    }
}

/// The file's tensor `name` as a ferrax leaf like `like`, or `None` with the problem noted.
fn take(
    tensors: &mut BTreeMap<String, Tensor>,
    problems: &mut Vec<ParamMismatch>,
    name: String,
    layout: Layout,
    like: &Tensor,
) -> Option<Tensor> {
    let Some(t) = tensors.remove(&name) else {
        problems.push(ParamMismatch::Missing { name });
        return None;
    };
    let expected = layout.file_shape(like.shape());
    if t.dtype() != like.dtype() {
        problems.push(ParamMismatch::Dtype {
            name,
            expected: like.dtype(),
            found: t.dtype().to_string(),
        });
        None
    } else if t.shape() != expected.as_slice() {
        problems.push(ParamMismatch::Shape {
            name,
            expected,
            found: t.shape().to_vec(),
        });
        None
    } else {
        Some(layout.convert(&t))
    }
}

/// [`load_converted`] on tensors already in memory (e.g. from [`read_tensors`], or built
/// by hand); `path` labels errors.
pub fn from_tensors<M: CheckpointNames>(
    template: &M,
    mut tensors: BTreeMap<String, Tensor>,
    convention: Convention,
    path: impl AsRef<Path>,
) -> Result<(M, State), CheckpointError> {
    let mut problems = Vec::new();
    let mut leaves = Vec::new();
    for (p, leaf) in template.flatten_with_path() {
        let (module, field) = match p.0.split_last() {
            Some((KeyEntry::Field(f), rest)) => (KeyPath(rest.to_vec()).to_string(), *f),
            _ => (p.to_string(), ""),
        };
        let m = template.module_name(&module, convention);
        let (name, layout) = leaf_name(&m, field, leaf.ndim(), convention);
        leaves.extend(take(&mut tensors, &mut problems, name, layout, &leaf));
    }
    let mut state = State::new();
    for (module, bn) in template.batch_norms() {
        let m = template.module_name(&module, convention);
        let names = match convention {
            Convention::Flax => [
                format!("batch_stats/{m}/mean"),
                format!("batch_stats/{m}/var"),
            ],
            Convention::Torch => [format!("{m}.running_mean"), format!("{m}.running_var")],
        };
        let stats: Vec<Tensor> = names
            .into_iter()
            .filter_map(|n| take(&mut tensors, &mut problems, n, Layout::Same, &bn.scale))
            .collect();
        if stats.len() == 2 {
            state.insert(bn.index.key().to_string(), stats);
        }
        if convention == Convention::Torch {
            tensors.remove(&format!("{m}.num_batches_tracked"));
        }
    }
    problems.extend(
        tensors
            .into_keys()
            .map(|name| ParamMismatch::Unexpected { name }),
    );
    if !problems.is_empty() {
        return Err(CheckpointError {
            path: path.as_ref().to_path_buf(),
            kind: CheckpointErrorKind::Mismatch(problems),
        });
    }
    let (_, def) = template.flatten();
    Ok((M::unflatten(&def, leaves), state))
}
