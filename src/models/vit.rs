//! A small Vision Transformer (Dosovitskiy et al. 2021): patches embedded by a strided
//! convolution, a class token, learned positions, pre-norm encoder blocks and a linear head
//! on the class token.

use crate::lax;
use crate::nn::{
    init, Conv2d, Conv2dOptions, Ctx, LayerNorm, Linear, Module, Padding, TransformerBlock,
};
use crate::numpy as jnp;
use crate::random;
use crate::tensor::{DType, Tensor};
use crate::PyTree;

/// The sizes of a [`VisionTransformer`]. The default is ViT-Tiny's encoder (width 192, 12
/// blocks of 3 heads, MLP 768) on 32x32 RGB images cut into 4x4 patches (64 tokens plus the
/// class token), with 10 classes (CIFAR-10).
///
/// ```
/// let c = ferrax::models::VitConfig::default();
/// assert_eq!((c.dim, c.depth, c.num_heads, c.mlp_dim), (192, 12, 3, 768));
/// assert_eq!(c.num_patches(), 64);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VitConfig {
    pub image_size: usize,
    pub patch_size: usize,
    pub in_channels: usize,
    pub dim: usize,
    pub depth: usize,
    pub num_heads: usize,
    pub mlp_dim: usize,
    pub num_classes: usize,
}

impl Default for VitConfig {
    fn default() -> Self {
        VitConfig {
            image_size: 32,
            patch_size: 4,
            in_channels: 3,
            dim: 192,
            depth: 12,
            num_heads: 3,
            mlp_dim: 768,
            num_classes: 10,
        }
    }
}

impl VitConfig {
    /// Patches per image: `(image_size / patch_size)²`.
    ///
    /// ```
    /// let c = ferrax::models::VitConfig { image_size: 8, patch_size: 4, ..Default::default() };
    /// assert_eq!(c.num_patches(), 4);
    /// ```
    pub fn num_patches(&self) -> usize {
        (self.image_size / self.patch_size).pow(2)
    }
}

/// A Vision Transformer classifier over NHWC images: `patch_embed` (a `p x p` convolution of
/// stride `p`) makes one token per patch, `cls_token` is prepended, `pos_embed` added, the
/// [`TransformerBlock`]s (pre-norm: `x + MHA(LN(x))`, `x + MLP(LN(x))` with GELU) applied,
/// then `norm` and `head` on the class token. Positions start as normals of stddev 0.02, the
/// class token as zeros, as in big_vision.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::models::{VisionTransformer, VitConfig};
/// use ferrax::nn::{Ctx, Module};
/// let c = VitConfig { image_size: 8, patch_size: 4, dim: 8, depth: 1, num_heads: 2, mlp_dim: 16, ..Default::default() };
/// let vit = VisionTransformer::new(&ferrax::random::key(0), &c);
/// let y = vit.forward(&Tensor::ones(&[2, 8, 8, 3], DType::F32), &mut Ctx::eval());
/// assert_eq!(y.shape(), &[2, 10]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct VisionTransformer {
    pub patch_embed: Conv2d,
    /// `[1, 1, dim]`.
    pub cls_token: Tensor,
    /// `[1, num_patches + 1, dim]`.
    pub pos_embed: Tensor,
    pub blocks: Vec<TransformerBlock>,
    pub norm: LayerNorm,
    pub head: Linear,
}

impl VisionTransformer {
    /// A freshly initialised model of sizes `config`.
    ///
    /// ```
    /// let c = ferrax::models::VitConfig { dim: 16, depth: 2, num_heads: 2, mlp_dim: 32, ..Default::default() };
    /// let vit = ferrax::models::VisionTransformer::new(&ferrax::random::key(0), &c);
    /// assert_eq!(vit.pos_embed.shape(), &[1, 65, 16]);
    /// assert_eq!(vit.blocks.len(), 2);
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, config: &VitConfig) -> Self {
        let c = config;
        assert!(
            c.patch_size > 0 && c.image_size.is_multiple_of(c.patch_size),
            "models::VisionTransformer::new: image_size {} is not a multiple of patch_size {} \
             (called from {})",
            c.image_size,
            c.patch_size,
            std::panic::Location::caller()
        );
        let [k_patch, k_pos, k_head, k_blocks] = random::split_n(key);
        let p = c.patch_size;
        let options = Conv2dOptions {
            strides: [p, p],
            padding: Padding::Valid,
            ..Default::default()
        };
        VisionTransformer {
            patch_embed: Conv2d::with_options(&k_patch, c.in_channels, c.dim, [p, p], options),
            cls_token: Tensor::zeros(&[1, 1, c.dim], DType::F32),
            pos_embed: init::normal(0.02).init(
                &k_pos,
                &[1, c.num_patches() + 1, c.dim],
                DType::F32,
            ),
            blocks: (0..c.depth)
                .map(|i| {
                    let k = random::fold_in(&k_blocks, i as u32);
                    TransformerBlock::new(&k, c.dim, c.num_heads, c.mlp_dim)
                })
                .collect(),
            norm: LayerNorm::new(c.dim),
            head: Linear::new(&k_head, c.dim, c.num_classes),
        }
    }

    /// The encoder's output tokens `[N, num_patches + 1, dim]` (class token first, after the
    /// final norm) for images `[N, H, W, C]`: what a new head or a dense task reads.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::Ctx;
    /// let c = ferrax::models::VitConfig { image_size: 4, patch_size: 2, dim: 4, depth: 1, num_heads: 1, mlp_dim: 8, ..Default::default() };
    /// let vit = ferrax::models::VisionTransformer::new(&ferrax::random::key(0), &c);
    /// let t = vit.tokens(&Tensor::ones(&[1, 4, 4, 3], DType::F32), &mut Ctx::eval());
    /// assert_eq!(t.shape(), &[1, 5, 4]);
    /// ```
    #[track_caller]
    pub fn tokens(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let (p, cin, dim) = (
            self.patch_embed.kernel.shape()[0],
            self.patch_embed.kernel.shape()[2],
            self.cls_token.shape()[2],
        );
        let n_tokens = self.pos_embed.shape()[1];
        let ok = x.ndim() == 4
            && x.shape()[3] == cin
            && x.shape()[1].is_multiple_of(p)
            && x.shape()[2].is_multiple_of(p)
            && (x.shape()[1] / p) * (x.shape()[2] / p) + 1 == n_tokens;
        assert!(
            ok,
            "models::VisionTransformer: expected images [N, H, W, {cin}] with \
             {} patches of {p}x{p}, got {} (called from {})",
            n_tokens - 1,
            x.aval(),
            std::panic::Location::caller()
        );
        let n = x.shape()[0];
        let patches = self.patch_embed.forward(x, cx);
        let patches = lax::reshape(&patches, &[n, n_tokens - 1, dim]);
        let cls = jnp::broadcast_to(&self.cls_token.cast(patches.dtype()), &[n, 1, dim]);
        let mut h = jnp::concatenate(&[cls, patches], 1) + &self.pos_embed;
        for block in &self.blocks {
            h = block.forward(&h, cx);
        }
        self.norm.forward(&h, cx)
    }
}

impl Module for VisionTransformer {
    /// Logits `[N, num_classes]` of images `[N, H, W, C]` (or `[num_classes]` for one
    /// `[H, W, C]` image).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, Module};
    /// let c = ferrax::models::VitConfig { image_size: 4, patch_size: 2, dim: 4, depth: 1, num_heads: 2, mlp_dim: 8, num_classes: 3, ..Default::default() };
    /// let vit = ferrax::models::VisionTransformer::new(&ferrax::random::key(0), &c);
    /// assert_eq!(vit.forward(&Tensor::ones(&[4, 4, 3], DType::F32), &mut Ctx::eval()).shape(), &[3]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        if x.ndim() == 3 {
            let y = self.forward(&jnp::expand_dims(x, 0), cx);
            return lax::reshape(&y, &[y.shape()[1]]);
        }
        let t = self.tokens(x, cx);
        let cls = t.index(crate::idx![.., 0]);
        self.head.forward(&cls, cx)
    }
}
