//! [`Vae`]: the variational auto-encoder of Kingma & Welling, "Auto-Encoding Variational
//! Bayes" (2014), with its MNIST setup: MLP encoder and decoder (one tanh hidden layer of
//! 500), a diagonal Gaussian posterior, a Bernoulli decoder and the standard normal prior.

use crate::nn::{Ctx, Linear, Module};
use crate::random;
use crate::tensor::Tensor;
use crate::PyTree;

/// A variational auto-encoder over flat inputs `x[.., input_dim]` in `[0, 1]`: the encoder
/// `h = tanh(Linear(x))` gives the posterior `q(z|x) = N(mean(h), exp(log_var(h)))`, `z` is
/// drawn by reparameterisation (`z = mean + exp(log_var / 2) · ε`, `ε ~ N(0, I)` from an
/// explicit key), and the decoder `Linear(tanh(Linear(z)))` gives the logits of independent
/// Bernoulli pixels. [`loss`](Self::loss) is the negative ELBO: the Bernoulli reconstruction
/// cross-entropy summed over features plus `KL(q(z|x) || N(0, I))` in closed form, averaged
/// over the batch.
///
/// As a [`Module`], `forward(x)` is the reconstruction's logits: `z` sampled with the next key
/// of the [`Ctx`] in training, `z = mean` in evaluation.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::models::Vae;
/// use ferrax::nn::{Ctx, Module};
/// let vae = Vae::new(&ferrax::random::key(0), 6, 5, 2);
/// let x = ferrax::random::uniform(&ferrax::random::key(1), &[3, 6]);
/// assert_eq!(vae.forward(&x, &mut Ctx::eval()).shape(), &[3, 6]);
/// let loss = vae.loss(&x, &ferrax::random::key(2));
/// assert!(loss.item::<f32>() > 0.0);
/// ```
#[derive(PyTree, Clone, Debug)]
pub struct Vae {
    /// `input -> hidden` (tanh).
    pub encoder: Linear,
    /// `hidden -> latent`: the posterior mean.
    pub mean: Linear,
    /// `hidden -> latent`: the posterior log-variance.
    pub log_var: Linear,
    /// `latent -> hidden` (tanh).
    pub decoder: Linear,
    /// `hidden -> input`: Bernoulli logits.
    pub output: Linear,
}

impl Vae {
    /// A fresh VAE for `input_dim` features, `hidden_dim` hidden units and `latent_dim`
    /// latent dimensions (flax's Dense initialisation).
    ///
    /// ```
    /// let vae = ferrax::models::Vae::new(&ferrax::random::key(0), 784, 500, 20);
    /// assert_eq!(vae.mean.kernel.shape(), &[500, 20]);
    /// ```
    #[track_caller]
    pub fn new(key: &Tensor, input_dim: usize, hidden_dim: usize, latent_dim: usize) -> Self {
        let [k1, k2, k3, k4, k5] = random::split_n(key);
        Vae {
            encoder: Linear::new(&k1, input_dim, hidden_dim),
            mean: Linear::new(&k2, hidden_dim, latent_dim),
            log_var: Linear::new(&k3, hidden_dim, latent_dim),
            decoder: Linear::new(&k4, latent_dim, hidden_dim),
            output: Linear::new(&k5, hidden_dim, input_dim),
        }
    }

    /// The paper's MNIST model: 784 inputs, 500 hidden units, 20 latent dimensions.
    ///
    /// ```
    /// let vae = ferrax::models::Vae::mnist(&ferrax::random::key(0));
    /// assert_eq!(vae.output.kernel.shape(), &[500, 784]);
    /// ```
    pub fn mnist(key: &Tensor) -> Self {
        Self::new(key, 784, 500, 20)
    }

    /// The posterior's `(mean, log_var)`, each `[.., latent]`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let vae = ferrax::models::Vae::new(&ferrax::random::key(0), 4, 3, 2);
    /// let (m, lv) = vae.encode(&Tensor::ones(&[5, 4], DType::F32));
    /// assert_eq!((m.shape(), lv.shape()), (&[5usize, 2][..], &[5usize, 2][..]));
    /// ```
    #[track_caller]
    pub fn encode(&self, x: &Tensor) -> (Tensor, Tensor) {
        let cx = &mut Ctx::eval();
        let h = self.encoder.forward(x, cx).tanh();
        (self.mean.forward(&h, cx), self.log_var.forward(&h, cx))
    }

    /// The Bernoulli logits `[.., input]` of the reconstruction of latents `z[.., latent]`
    /// (sampling: `decode` of `random::normal` draws).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let vae = ferrax::models::Vae::new(&ferrax::random::key(0), 4, 3, 2);
    /// let z = ferrax::random::normal(&ferrax::random::key(1), &[7, 2]);
    /// assert_eq!(vae.decode(&z).shape(), &[7, 4]);
    /// ```
    #[track_caller]
    pub fn decode(&self, z: &Tensor) -> Tensor {
        let cx = &mut Ctx::eval();
        let h = self.decoder.forward(z, cx).tanh();
        self.output.forward(&h, cx)
    }

    /// `(reconstruction, kl)`, each averaged over the batch (all axes but the last): the
    /// Bernoulli cross-entropy of `x` under the decoder's logits summed over features, with
    /// `z` drawn from `q(z|x)` with `key`, and [`kl_divergence`] of the posterior.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let vae = ferrax::models::Vae::new(&ferrax::random::key(0), 4, 3, 2);
    /// let (rec, kl) = vae.loss_terms(&Tensor::ones(&[2, 4], DType::F32), &ferrax::random::key(1));
    /// assert!(rec.item::<f32>() > 0.0 && kl.item::<f32>() >= 0.0);
    /// ```
    #[track_caller]
    pub fn loss_terms(&self, x: &Tensor, key: &Tensor) -> (Tensor, Tensor) {
        let (mean, log_var) = self.encode(x);
        let z = reparameterize(key, &mean, &log_var);
        let logits = self.decode(&z);
        let rec = crate::losses::sigmoid_binary_cross_entropy(&logits, x).sum_axes(&[-1]);
        (rec.mean(), kl_divergence(&mean, &log_var).mean())
    }

    /// The negative ELBO averaged over the batch: reconstruction + KL (see
    /// [`loss_terms`](Self::loss_terms)); minimise it.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let vae = ferrax::models::Vae::new(&ferrax::random::key(0), 4, 3, 2);
    /// let x = Tensor::ones(&[2, 4], DType::F32);
    /// let g = grad(|v: &ferrax::models::Vae| v.loss(&x, &ferrax::random::key(1)))(&vae);
    /// assert_eq!(g.mean.kernel.shape(), &[3, 2]);
    /// ```
    #[track_caller]
    pub fn loss(&self, x: &Tensor, key: &Tensor) -> Tensor {
        let (rec, kl) = self.loss_terms(x, key);
        rec + kl
    }
}

/// `z = mean + exp(log_var / 2) · ε` with `ε ~ N(0, I)` drawn from `key` in the dtype of
/// `mean`: a sample of `N(mean, exp(log_var))` that is differentiable in both.
///
/// ```
/// use ferrax::prelude::*;
/// let m = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let lv = Tensor::from_vec(vec![-60.0f32, -60.0], &[2]); // nearly no spread
/// let z = ferrax::models::reparameterize(&ferrax::random::key(0), &m, &lv).to_vec::<f32>();
/// assert!((z[0] - 1.0).abs() < 1e-6 && (z[1] - 2.0).abs() < 1e-6);
/// ```
#[track_caller]
pub fn reparameterize(key: &Tensor, mean: &Tensor, log_var: &Tensor) -> Tensor {
    let eps = random::normal_with(key, mean.shape(), mean.dtype());
    mean + (log_var * 0.5).exp() * eps
}

/// `KL(N(mean, exp(log_var)) || N(0, I))` over the last axis, in closed form (Kingma &
/// Welling, appendix B): `-½ Σ (1 + log_var - mean² - exp(log_var))`, shape `[..]`.
///
/// ```
/// use ferrax::prelude::*;
/// let zero = Tensor::zeros(&[3], DType::F32);
/// assert_eq!(ferrax::models::kl_divergence(&zero, &zero).item::<f32>(), 0.0);
/// ```
#[track_caller]
pub fn kl_divergence(mean: &Tensor, log_var: &Tensor) -> Tensor {
    let t = log_var + 1.0 - mean * mean - log_var.exp();
    t.sum_axes(&[-1]) * -0.5
}

impl Module for Vae {
    /// Reconstruction logits `[.., input]`: `z` drawn with `cx`'s next key in training, the
    /// posterior mean in evaluation.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::nn::{Ctx, Module};
    /// let vae = ferrax::models::Vae::new(&ferrax::random::key(0), 4, 3, 2);
    /// let mut cx = Ctx::train(&ferrax::random::key(1));
    /// assert_eq!(vae.forward(&Tensor::ones(&[4], DType::F32), &mut cx).shape(), &[4]);
    /// ```
    #[track_caller]
    fn forward(&self, x: &Tensor, cx: &mut Ctx) -> Tensor {
        let (mean, log_var) = self.encode(x);
        let z = if cx.is_training() {
            reparameterize(&cx.next_key(), &mean, &log_var)
        } else {
            mean
        };
        self.decode(&z)
    }
}
