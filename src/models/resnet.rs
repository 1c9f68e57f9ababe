//! Residual networks (He et al. 2016) of basic blocks: the CIFAR ResNet-20 and torchvision's
//! ImageNet ResNet-18, as one [`ResNet`] type whose fields follow torchvision's names (`conv1`,
//! `bn1`, `layer1.0.conv1`, `downsample.0`, `fc`), so checkpoints written by PyTorch and by
//! flax load through [`weights`](super::weights) with a fixed name mapping.

use crate::nn::{self, BatchNorm, Conv2d, Conv2dOptions, Ctx, Linear, Module, Padding};
use crate::random;
use crate::tensor::Tensor;
use crate::PyTree;

/// The first layers before the residual stages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stem {
    /// CIFAR (He et al. 2016, section 4.2): a 3x3 stride-1 convolution, no pooling.
    Cifar,
    /// ImageNet (torchvision): a 7x7 stride-2 convolution (pad 3), then a 3x3 stride-2 max
    /// pool (pad 1).
    ImageNet,
}

/// A projection shortcut (option B of He et al.): a 1x1 convolution with the block's stride
/// and a batch norm, used where a block changes the width or the resolution. Torchvision
/// calls its two layers `downsample.0` and `downsample.1`.
#[derive(PyTree, Clone, Debug)]
pub struct Downsample {
    pub conv: Conv2d,
    pub bn: BatchNorm,
}

/// A basic block: `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))` with 3x3
/// convolutions (the first one carrying the stride) and no conv biases.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::models::BasicBlock;
/// use ferrax::nn::{Ctx, Module};
/// let b = BasicBlock::new(&ferrax::random::key(0), 2, 4, 2);
/// assert!(b.downsample.is_some());
/// let y = b.forward(&Tensor::ones(&[1, 4, 4, 2], DType::F32), &mut Ctx::eval());
/// assert_eq!(y.shape(), &[1, 2, 2, 4]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct BasicBlock {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    pub conv2: Conv2d,
    pub bn2: BatchNorm,
    pub downsample: Option<Downsample>,
}

/// A bias-free convolution padded as PyTorch pads (`k / 2` on every side), which for stride
/// 1 is SAME and for stride 2 differs from flax's SAME (PyTorch pads (1, 1), SAME (0, 1)).
fn conv(key: &Tensor, cin: usize, cout: usize, k: usize, stride: usize) -> Conv2d {
    let p = k / 2;
    let options = Conv2dOptions {
        strides: [stride, stride],
        padding: Padding::Explicit(vec![(p, p), (p, p)]),
        use_bias: false,
        ..Default::default()
    };
    Conv2d::with_options(key, cin, cout, [k, k], options)
}

/// Batch norm with PyTorch's and flax's ImageNet settings: momentum 0.9 (PyTorch's 0.1),
/// epsilon 1e-5.
fn bn(features: usize) -> BatchNorm {
    BatchNorm::with_options(features, 0.9, 1e-5)
}

impl BasicBlock {
    /// A block from `cin` to `cout` channels whose first convolution has `stride`; it has a
    /// projection shortcut when `stride != 1` or `cin != cout`.
    ///
    /// ```
    /// let b = ferrax::models::BasicBlock::new(&ferrax::random::key(0), 4, 4, 1);
    /// assert!(b.downsample.is_none());
    /// assert_eq!(b.conv1.kernel.shape(), &[3, 3, 4, 4]);
    /// ```
    pub fn new(key: &Tensor, cin: usize, cout: usize, stride: usize) -> Self {
        let [k1, k2, k3] = random::split_n(key);
        BasicBlock {
            conv1: conv(&k1, cin, cout, 3, stride),
            bn1: bn(cout),
            conv2: conv(&k2, cout, cout, 3, 1),
            bn2: bn(cout),
            downsample: (stride != 1 || cin != cout).then(|| Downsample {
                conv: conv(&k3, cin, cout, 1, stride),
                bn: bn(cout),
            }),
        }
    }
}

impl Module for BasicBlock {
    /// The block on NHWC `x` (or one `[H, W, C]` image).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, Module};
    /// let b = ferrax::models::BasicBlock::new(&ferrax::random::key(0), 3, 3, 1);
    /// let y = b.forward(&Tensor::ones(&[5, 5, 3], DType::F32), &mut Ctx::eval());
    /// assert_eq!(y.shape(), &[5, 5, 3]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let y = self.bn1.forward(&self.conv1.forward(x, cx), cx).relu();
        let y = self.bn2.forward(&self.conv2.forward(&y, cx), cx);
        let shortcut = match &self.downsample {
            Some(d) => d.bn.forward(&d.conv.forward(x, cx), cx),
            None => x.clone(),
        };
        (y + shortcut).relu()
    }
}

/// A residual network of [`BasicBlock`]s over NHWC images: a [`Stem`], stages of blocks
/// (the first block of every stage after the first has stride 2), global average pooling and
/// a linear classifier `fc`. Batch norms keep their running statistics in the [`Ctx`]'s
/// state: train with `Ctx::train`, evaluate with `Ctx::eval().with_state(state)`.
///
/// Shortcuts are projections (option B) wherever the shape changes, for both constructors;
/// convolutions are initialised as flax's `Conv` (LeCun normal), without biases.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::models::{ResNet, Stem};
/// use ferrax::nn::{self, Ctx, Module};
/// // A ResNet-20 layout with tiny widths.
/// let net = ResNet::new(&ferrax::random::key(0), Stem::Cifar, &[2, 4, 4], &[3, 3, 3], 3, 10);
/// let x = Tensor::ones(&[2, 8, 8, 3], DType::F32);
/// let mut cx = Ctx::train(&ferrax::random::key(1));
/// assert_eq!(net.forward(&x, &mut cx).shape(), &[2, 10]);
/// let state = cx.into_state(); // updated running statistics
/// let y = net.forward(&x, &mut Ctx::eval().with_state(state));
/// assert_eq!(y.shape(), &[2, 10]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct ResNet {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    /// `layers[s][b]`: block `b` of stage `s` (torchvision's `layer{s+1}.{b}`).
    pub layers: Vec<Vec<BasicBlock>>,
    pub fc: Linear,
    #[pytree(static)]
    pub stem: Stem,
}

impl ResNet {
    /// A network with a `stem`, stages of `blocks[s]` blocks of `widths[s]` channels, over
    /// images with `in_channels` channels, ending in `num_classes` logits.
    ///
    /// ```
    /// use ferrax::models::{ResNet, Stem};
    /// let net = ResNet::new(&ferrax::random::key(0), Stem::ImageNet, &[4, 8], &[1, 1], 3, 5);
    /// assert_eq!(net.conv1.kernel.shape(), &[7, 7, 3, 4]);
    /// assert_eq!(net.fc.kernel.shape(), &[8, 5]);
    /// ```
    #[track_caller]
    pub fn new(
        key: &Tensor,
        stem: Stem,
        widths: &[usize],
        blocks: &[usize],
        in_channels: usize,
        num_classes: usize,
    ) -> Self {
        assert!(
            !widths.is_empty() && widths.len() == blocks.len() && widths.iter().all(|&w| w > 0),
            "models::ResNet::new: need one positive width per stage, got widths {widths:?} for \
             blocks {blocks:?} (called from {})",
            std::panic::Location::caller()
        );
        let [k_stem, k_fc, k_blocks] = random::split_n(key);
        let (k, stride) = match stem {
            Stem::Cifar => (3, 1),
            Stem::ImageNet => (7, 2),
        };
        let mut cin = widths[0];
        let mut n = 0;
        let layers = widths
            .iter()
            .zip(blocks)
            .enumerate()
            .map(|(s, (&w, &nb))| {
                (0..nb)
                    .map(|b| {
                        let stride = if s > 0 && b == 0 { 2 } else { 1 };
                        let block = BasicBlock::new(&random::fold_in(&k_blocks, n), cin, w, stride);
                        (cin, n) = (w, n + 1);
                        block
                    })
                    .collect()
            })
            .collect();
        ResNet {
            conv1: conv(&k_stem, in_channels, widths[0], k, stride),
            bn1: bn(widths[0]),
            layers,
            fc: Linear::new(&k_fc, cin, num_classes),
            stem,
        }
    }

    /// The number of block `block` of stage `stage` counting from the first block of the
    /// network (flax's `ResNetBlock_{n}`).
    #[cfg(feature = "train")]
    pub(crate) fn block_number(&self, stage: usize, block: usize) -> usize {
        self.layers[..stage].iter().map(Vec::len).sum::<usize>() + block
    }
}

/// ResNet-20 for CIFAR-10-sized images (He et al. 2016, section 4.2): a 3x3 stem, 3 stages
/// of 3 basic blocks with 16, 32 and 64 channels, projection shortcuts (option B), 3 input
/// channels.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::nn::{Ctx, Module};
/// let net = ferrax::models::resnet20(10, &ferrax::random::key(0));
/// assert_eq!(net.layers.iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 3, 3]);
/// let y = net.forward(&Tensor::zeros(&[1, 8, 8, 3], DType::F32), &mut Ctx::eval());
/// assert_eq!(y.shape(), &[1, 10]);
/// ```
pub fn resnet20(num_classes: usize, key: &Tensor) -> ResNet {
    ResNet::new(key, Stem::Cifar, &[16, 32, 64], &[3, 3, 3], 3, num_classes)
}

/// ResNet-18 in torchvision's ImageNet layout: a 7x7 stride-2 stem and a 3x3 max pool, 4
/// stages of 2 basic blocks with 64, 128, 256 and 512 channels, projection shortcuts, 3 input
/// channels. Its parameter names map one to one onto torchvision's `resnet18` state dict
/// (see [`weights`](super::weights)). Building it draws 11.7M parameters (slow in a debug
/// build), so this example is only compiled.
///
/// ```no_run
/// let net = ferrax::models::resnet18(1000, &ferrax::random::key(0));
/// assert_eq!(net.fc.kernel.shape(), &[512, 1000]);
/// assert!(net.layers[1][0].downsample.is_some());
/// ```
pub fn resnet18(num_classes: usize, key: &Tensor) -> ResNet {
    ResNet::new(
        key,
        Stem::ImageNet,
        &[64, 128, 256, 512],
        &[2, 2, 2, 2],
        3,
        num_classes,
    )
}

impl Module for ResNet {
    /// Logits `[N, num_classes]` of NHWC images `[N, H, W, C]` (or `[num_classes]` for one
    /// `[H, W, C]` image).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::models::{ResNet, Stem};
    /// use ferrax::nn::{Ctx, Module};
    /// let net = ResNet::new(&ferrax::random::key(0), Stem::Cifar, &[2], &[1], 1, 3);
    /// assert_eq!(net.forward(&Tensor::ones(&[4, 4, 1], DType::F32), &mut Ctx::eval()).shape(), &[3]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        assert!(
            (x.ndim() == 4 || x.ndim() == 3)
                && x.shape()[x.ndim() - 1] == self.conv1.kernel.shape()[2],
            "models::ResNet: expected NHWC images [N, H, W, {}] or one [H, W, {}], got {} \
             (called from {})",
            self.conv1.kernel.shape()[2],
            self.conv1.kernel.shape()[2],
            x.aval(),
            std::panic::Location::caller()
        );
        let mut y = self.bn1.forward(&self.conv1.forward(x, cx), cx).relu();
        if self.stem == Stem::ImageNet {
            y = nn::max_pool(
                &y,
                &[3, 3],
                &[2, 2],
                Padding::Explicit(vec![(1, 1), (1, 1)]),
            );
        }
        for block in self.layers.iter().flatten() {
            y = block.forward(&y, cx);
        }
        let pooled = y.mean_axes(&[-3, -2]);
        self.fc.forward(&pooled, cx)
    }
}
