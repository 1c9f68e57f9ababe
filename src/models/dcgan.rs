//! [`Dcgan`]: the deep convolutional GAN of Radford, Metz & Chintala, "Unsupervised
//! Representation Learning with Deep Convolutional Generative Adversarial Networks" (2016),
//! scaled to small grayscale images (MNIST's 28x28, the digits' 8x8, or any multiple of 4),
//! and its training steps ([`discriminator_step`], [`generator_step`]) with the paper's Adam
//! (learning rate 2e-4, β1 0.5, [`dcgan_adam`]).

use crate::nn::{
    self, BatchNorm, Conv2d, Conv2dOptions, ConvTranspose, Ctx, Linear, Module, Padding, State,
};
use crate::optim::{self, AdamOptions, GradientTransformation};
use crate::random;
use crate::tensor::{DType, Tensor};
use crate::transforms::value_and_grad_with_aux;
use crate::PyTree;

/// The sizes of a [`Dcgan`].
///
/// ```
/// let c = ferrax::models::DcganConfig::mnist();
/// assert_eq!((c.image_size, c.channels, c.latent_dim, c.features), (28, 1, 100, 64));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DcganConfig {
    /// Height and width of the square images (a multiple of 4: two stride-2 stages).
    pub image_size: usize,
    /// Image channels (1 for grayscale).
    pub channels: usize,
    /// Dimension of the generator's noise input `z` (100 in the paper).
    pub latent_dim: usize,
    /// Feature maps of the widest-resolution stage; the 4x smaller stage has twice as many.
    pub features: usize,
}

impl DcganConfig {
    /// MNIST: 28x28x1 images, `z` of 100, 64 and 128 feature maps.
    ///
    /// ```
    /// assert_eq!(ferrax::models::DcganConfig::mnist().image_size, 28);
    /// ```
    pub fn mnist() -> Self {
        DcganConfig {
            image_size: 28,
            channels: 1,
            latent_dim: 100,
            features: 64,
        }
    }

    /// The 8x8 digits (`data/digits`): 8x8x1 images, `z` of 32, 32 and 64 feature maps.
    ///
    /// ```
    /// assert_eq!(ferrax::models::DcganConfig::digits().image_size, 8);
    /// ```
    pub fn digits() -> Self {
        DcganConfig {
            image_size: 8,
            channels: 1,
            latent_dim: 32,
            features: 32,
        }
    }
}

/// `N(0, 0.02²)` weights, the paper's initialisation of every layer.
fn dcgan_init(key: &Tensor, shape: &[usize]) -> Tensor {
    random::normal(key, shape) * 0.02
}

/// The generator: `z[.., latent]` → `Linear` to `s x s x 2F` (`s = image_size / 4`) →
/// BatchNorm → ReLU → 4x4 stride-2 [`ConvTranspose`] to `F` → BatchNorm → ReLU → 4x4
/// stride-2 `ConvTranspose` to the image channels → tanh: images `[.., S, S, C]` in
/// `(-1, 1)`. Batch normalisation uses batch statistics in training and the running ones
/// (kept in the [`Ctx`]'s state) in evaluation.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::models::{DcganConfig, Generator};
/// use ferrax::nn::{Ctx, Module};
/// let cfg = DcganConfig { image_size: 8, channels: 1, latent_dim: 4, features: 2 };
/// let g = Generator::new(&ferrax::random::key(0), &cfg);
/// let z = ferrax::random::normal(&ferrax::random::key(1), &[3, 4]);
/// assert_eq!(g.forward(&z, &mut Ctx::eval()).shape(), &[3, 8, 8, 1]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct Generator {
    pub project: Linear,
    pub bn0: BatchNorm,
    pub up1: ConvTranspose,
    pub bn1: BatchNorm,
    pub up2: ConvTranspose,
    /// `image_size / 4`, the side of the first feature map.
    #[pytree(static)]
    pub start_size: usize,
}

impl Generator {
    /// A fresh generator of size `config`, weights `N(0, 0.02²)`, biases zero.
    ///
    /// ```
    /// let g = ferrax::models::Generator::new(&ferrax::random::key(0), &ferrax::models::DcganConfig::mnist());
    /// assert_eq!(g.up2.kernel.shape(), &[4, 4, 64, 1]);
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, config: &DcganConfig) -> Self {
        let c = check_config(config, "Generator::new");
        let (s, f) = (c.image_size / 4, c.features);
        let [k0, k1, k2] = random::split_n(key);
        let mut project = Linear::new(&k0, c.latent_dim, s * s * 2 * f);
        project.kernel = dcgan_init(&k0, project.kernel.shape());
        let up = |k: &Tensor, i: usize, o: usize| {
            let mut t = ConvTranspose::new(k, i, o, &[4, 4]).with_strides(&[2, 2]);
            t.kernel = dcgan_init(k, t.kernel.shape());
            t
        };
        Generator {
            project,
            bn0: BatchNorm::with_options(2 * f, 0.9, 1e-5),
            up1: up(&k1, 2 * f, f),
            bn1: BatchNorm::with_options(f, 0.9, 1e-5),
            up2: up(&k2, f, c.channels),
            start_size: s,
        }
    }

    /// The noise dimension the generator takes.
    ///
    /// ```
    /// let g = ferrax::models::Generator::new(&ferrax::random::key(0), &ferrax::models::DcganConfig::digits());
    /// assert_eq!(g.latent_dim(), 32);
    /// ```
    pub fn latent_dim(&self) -> usize {
        self.project.kernel.shape()[0]
    }
}

impl Module for Generator {
    /// Images `[.., S, S, C]` in `(-1, 1)` from noise `z[.., latent]`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::models::{DcganConfig, Generator};
    /// use ferrax::nn::{Ctx, Module};
    /// let g = Generator::new(&ferrax::random::key(0), &DcganConfig { image_size: 4, channels: 1, latent_dim: 2, features: 2 });
    /// let x = g.forward(&Tensor::ones(&[1, 2], DType::F32), &mut Ctx::eval());
    /// assert!(x.to_vec::<f32>().iter().all(|v| v.abs() < 1.0));
    /// ```
    #[track_caller]
    fn forward(&self, z: &Tensor, cx: &mut Ctx) -> Tensor {
        let nd = z.ndim();
        assert!(
            nd >= 1 && z.shape()[nd - 1] == self.latent_dim(),
            "models::Generator: expected noise z[.., {}], got {} (called from {})",
            self.latent_dim(),
            z.aval(),
            std::panic::Location::caller()
        );
        let s = self.start_size;
        let h = self.project.forward(z, cx);
        let mut shape: Vec<usize> = z.shape()[..nd - 1].to_vec();
        shape.extend([s, s, h.shape()[nd - 1] / (s * s)]);
        let h = crate::lax::reshape(&h, &shape);
        let h = self.bn0.forward(&h, cx).relu();
        let h = self.bn1.forward(&self.up1.forward(&h, cx), cx).relu();
        self.up2.forward(&h, cx).tanh()
    }
}

/// The discriminator: images `[.., S, S, C]` → 4x4 stride-2 [`Conv2d`] to `F` → LeakyReLU(0.2)
/// → 4x4 stride-2 `Conv2d` to `2F` → BatchNorm → LeakyReLU(0.2) → `Linear` to one logit:
/// `[..]` (positive = "real"). As in the paper, the first layer has no batch norm.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::models::{DcganConfig, Discriminator};
/// use ferrax::nn::{Ctx, Module};
/// let d = Discriminator::new(&ferrax::random::key(0), &DcganConfig::digits());
/// let x = Tensor::zeros(&[5, 8, 8, 1], DType::F32);
/// assert_eq!(d.forward(&x, &mut Ctx::eval()).shape(), &[5]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct Discriminator {
    pub conv1: Conv2d,
    pub conv2: Conv2d,
    pub bn2: BatchNorm,
    pub out: Linear,
    /// The side of the images it takes.
    #[pytree(static)]
    pub image_size: usize,
}

impl Discriminator {
    /// A fresh discriminator of size `config`, weights `N(0, 0.02²)`, biases zero.
    ///
    /// ```
    /// let d = ferrax::models::Discriminator::new(&ferrax::random::key(0), &ferrax::models::DcganConfig::mnist());
    /// assert_eq!(d.out.kernel.shape(), &[7 * 7 * 128, 1]);
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, config: &DcganConfig) -> Self {
        let c = check_config(config, "Discriminator::new");
        let (s, f) = (c.image_size / 4, c.features);
        let [k1, k2, k3] = random::split_n(key);
        let conv = |k: &Tensor, i: usize, o: usize| {
            let opts = Conv2dOptions {
                strides: [2, 2],
                padding: Padding::Same,
                ..Default::default()
            };
            let mut t = Conv2d::with_options(k, i, o, [4, 4], opts);
            t.kernel = dcgan_init(k, t.kernel.shape());
            t
        };
        let mut out = Linear::new(&k3, s * s * 2 * f, 1);
        out.kernel = dcgan_init(&k3, out.kernel.shape());
        Discriminator {
            conv1: conv(&k1, c.channels, f),
            conv2: conv(&k2, f, 2 * f),
            bn2: BatchNorm::with_options(2 * f, 0.9, 1e-5),
            out,
            image_size: c.image_size,
        }
    }
}

fn leaky(x: &Tensor) -> Tensor {
    nn::leaky_relu_with(
        x,
        nn::LeakyReluOptions {
            negative_slope: 0.2,
        },
    )
}

impl Module for Discriminator {
    /// One logit per image of `x[.., S, S, C]`: shape `[..]`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::models::{DcganConfig, Discriminator};
    /// use ferrax::nn::{Ctx, Module};
    /// let d = Discriminator::new(&ferrax::random::key(0), &DcganConfig { image_size: 4, channels: 1, latent_dim: 2, features: 2 });
    /// assert_eq!(d.forward(&Tensor::zeros(&[4, 4, 1], DType::F32), &mut Ctx::eval()).shape(), &[] as &[usize]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let nd = x.ndim();
        let s = self.image_size;
        assert!(
            nd >= 3 && x.shape()[nd - 3] == s && x.shape()[nd - 2] == s,
            "models::Discriminator: expected images [.., {s}, {s}, C], got {} (called from {})",
            x.aval(),
            std::panic::Location::caller()
        );
        let h = leaky(&self.conv1.forward(x, cx));
        let h = leaky(&self.bn2.forward(&self.conv2.forward(&h, cx), cx));
        let mut shape: Vec<usize> = x.shape()[..nd - 3].to_vec();
        shape.push(h.shape()[nd - 3] * h.shape()[nd - 2] * h.shape()[nd - 1]);
        let h = crate::lax::reshape(&h, &shape);
        let y = self.out.forward(&h, cx);
        crate::numpy::squeeze(&y, &[-1])
    }
}

#[track_caller]
fn check_config<'a>(c: &'a DcganConfig, what: &str) -> &'a DcganConfig {
    assert!(
        c.image_size >= 4
            && c.image_size.is_multiple_of(4)
            && c.channels >= 1
            && c.latent_dim >= 1
            && c.features >= 1,
        "models::{what}: image_size must be a positive multiple of 4 and the other sizes \
         positive, got {c:?} (called from {})",
        std::panic::Location::caller()
    );
    c
}

/// A DCGAN: its [`Generator`] and [`Discriminator`] (each a [`Module`], trained in turns by
/// [`discriminator_step`] and [`generator_step`]).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::models::{Dcgan, DcganConfig};
/// use ferrax::nn::{Ctx, Module};
/// let gan = Dcgan::new(&ferrax::random::key(0), &DcganConfig { image_size: 8, channels: 1, latent_dim: 4, features: 2 });
/// let fake = gan.generator.forward(&ferrax::random::normal(&ferrax::random::key(1), &[2, 4]), &mut Ctx::eval());
/// assert_eq!(gan.discriminator.forward(&fake, &mut Ctx::eval()).shape(), &[2]);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct Dcgan {
    pub generator: Generator,
    pub discriminator: Discriminator,
}

impl Dcgan {
    /// Both networks of size `config`, drawn from `key`.
    ///
    /// ```
    /// let gan = ferrax::models::Dcgan::new(&ferrax::random::key(0), &ferrax::models::DcganConfig::digits());
    /// assert_eq!(gan.discriminator.image_size, 8);
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, config: &DcganConfig) -> Self {
        let [kg, kd] = random::split_n(key);
        Dcgan {
            generator: Generator::new(&kg, config),
            discriminator: Discriminator::new(&kd, config),
        }
    }
}

/// The paper's optimizer for both networks: Adam with learning rate 2e-4 and β1 = 0.5.
///
/// ```
/// let _opt = ferrax::models::dcgan_adam();
/// ```
pub fn dcgan_adam() -> optim::Adam {
    optim::adam_with(
        2e-4,
        AdamOptions {
            b1: 0.5,
            ..Default::default()
        },
    )
}

/// Everything a DCGAN training run carries between steps (a pytree, so a jitted step takes
/// and returns it): both networks, the batch-norm running statistics of both (one
/// [`State`]) and one Adam state per network.
#[derive(PyTree, Clone, Debug)]
pub struct GanTrainState {
    pub gan: Dcgan,
    pub stats: State,
    pub g_opt: optim::AdamState<Generator>,
    pub d_opt: optim::AdamState<Discriminator>,
}

impl GanTrainState {
    /// The start of training `gan` with `opt` (usually [`dcgan_adam`]): fresh optimizer
    /// states and the running statistics of a fresh model (zeros and ones).
    ///
    /// ```
    /// use ferrax::models::{dcgan_adam, Dcgan, DcganConfig, GanTrainState};
    /// let gan = Dcgan::new(&ferrax::random::key(0), &DcganConfig::digits());
    /// let s = GanTrainState::new(gan, &dcgan_adam());
    /// assert_eq!(s.stats.len(), 3); // three batch norms
    /// ```
    pub fn new(gan: Dcgan, opt: &optim::Adam) -> Self {
        let z = Tensor::zeros(&[1, gan.generator.latent_dim()], DType::F32);
        let mut stats = nn::init_state(&gan.generator, &z);
        let img = gan.generator.forward(&z, &mut Ctx::eval());
        stats.extend(nn::init_state(&gan.discriminator, &img));
        GanTrainState {
            g_opt: opt.init(&gan.generator),
            d_opt: opt.init(&gan.discriminator),
            gan,
            stats,
        }
    }
}

/// Mean binary cross-entropy of `logits` against the constant label `label` (1 = real).
fn bce(logits: &Tensor, label: f64) -> Tensor {
    let labels = crate::numpy::full_like(logits, label);
    crate::losses::sigmoid_binary_cross_entropy(logits, &labels).mean()
}

/// One discriminator update on a batch of `real` images `[B, S, S, C]` (scaled to `[-1, 1]`
/// like the generator's output): `B` fakes from noise drawn with `key`, then one `opt` step
/// on `BCE(D(real), 1) + BCE(D(fake), 0)` (batch means). Returns the new state and that loss.
/// Both networks run in training mode (batch statistics; the running statistics are updated
/// and only matter for evaluation). Jit it once per run.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::models::{dcgan_adam, discriminator_step, Dcgan, DcganConfig, GanTrainState};
/// let cfg = DcganConfig { image_size: 4, channels: 1, latent_dim: 2, features: 2 };
/// let opt = dcgan_adam();
/// let s = GanTrainState::new(Dcgan::new(&ferrax::random::key(0), &cfg), &opt);
/// let real = Tensor::zeros(&[3, 4, 4, 1], DType::F32);
/// let (_s, loss) = discriminator_step(&opt, &s, &real, &ferrax::random::key(1));
/// assert!(loss.item::<f32>().is_finite());
/// ```
#[track_caller]
pub fn discriminator_step(
    opt: &optim::Adam,
    s: &GanTrainState,
    real: &Tensor,
    key: &Tensor,
) -> (GanTrainState, Tensor) {
    let g = &s.gan.generator;
    let z = random::normal(key, &[real.shape()[0], g.latent_dim()]);
    let mut cx = Ctx::train(key).with_state(s.stats.clone());
    let fake = crate::transforms::stop_gradient(&g.forward(&z, &mut cx));
    let stats = cx.into_state();
    let loss_fn = |d: &Discriminator| {
        let mut cx = Ctx::train(key).with_state(stats.clone());
        let l = bce(&d.forward(real, &mut cx), 1.0) + bce(&d.forward(&fake, &mut cx), 0.0);
        (l, cx.into_state())
    };
    let ((loss, stats), grads) = value_and_grad_with_aux(loss_fn)(&s.gan.discriminator);
    let (updates, d_opt) = opt.update(&grads, &s.d_opt, &s.gan.discriminator);
    let discriminator = optim::apply_updates(&s.gan.discriminator, &updates);
    (
        GanTrainState {
            gan: Dcgan {
                generator: g.clone(),
                discriminator,
            },
            stats,
            g_opt: s.g_opt.clone(),
            d_opt,
        },
        loss,
    )
}

/// One generator update: `batch` fakes from noise drawn with `key`, one `opt` step on the
/// non-saturating loss `BCE(D(G(z)), 1)` (the paper's `max log D(G(z))`), the discriminator
/// held fixed. Returns the new state and that loss. Jit it once per run.
///
/// ```
/// use ferrax::models::{dcgan_adam, generator_step, Dcgan, DcganConfig, GanTrainState};
/// let cfg = DcganConfig { image_size: 4, channels: 1, latent_dim: 2, features: 2 };
/// let opt = dcgan_adam();
/// let s = GanTrainState::new(Dcgan::new(&ferrax::random::key(0), &cfg), &opt);
/// let (_s, loss) = generator_step(&opt, &s, 3, &ferrax::random::key(1));
/// assert!(loss.item::<f32>().is_finite());
/// ```
#[track_caller]
pub fn generator_step(
    opt: &optim::Adam,
    s: &GanTrainState,
    batch: usize,
    key: &Tensor,
) -> (GanTrainState, Tensor) {
    let d = &s.gan.discriminator;
    let z = random::normal(key, &[batch, s.gan.generator.latent_dim()]);
    let loss_fn = |g: &Generator| {
        let mut cx = Ctx::train(key).with_state(s.stats.clone());
        let l = bce(&d.forward(&g.forward(&z, &mut cx), &mut cx), 1.0);
        (l, cx.into_state())
    };
    let ((loss, stats), grads) = value_and_grad_with_aux(loss_fn)(&s.gan.generator);
    let (updates, g_opt) = opt.update(&grads, &s.g_opt, &s.gan.generator);
    let generator = optim::apply_updates(&s.gan.generator, &updates);
    (
        GanTrainState {
            gan: Dcgan {
                generator,
                discriminator: d.clone(),
            },
            stats,
            g_opt,
            d_opt: s.d_opt.clone(),
        },
        loss,
    )
}
