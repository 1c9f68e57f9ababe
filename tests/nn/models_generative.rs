//! The zoo's generative and sequence models: `TransformerLm` (a block and the whole model
//! against JAX 0.10.2 goldens written by tests/golden/make_models_generative.py; cached
//! generation against re-running the full forward), `Vae` (KL against the Gaussian closed
//! form and the reconstruction term against plain Rust, finite-difference gradients, jit) and
//! `Dcgan` (shapes, vmap and jit agreement, two training steps).

use crate::common::close::{assert_close_with, f64s, Tol};
use crate::common::golden::GoldenFile;
use ferrax::models::{
    dcgan_adam, discriminator_step, generator_step, kl_divergence, Dcgan, DcganConfig,
    GanTrainState, TransformerLm, TransformerLmConfig, Vae,
};
use ferrax::nn::{Ctx, Module, TransformerBlock};
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use ferrax::random;

static GOLDEN: GoldenFile = GoldenFile::new(include_str!("../golden/models_generative.txt"));

fn g(name: &str) -> Tensor {
    GOLDEN.tensor(name)
}

/// Sets every weight of `b` from the golden arrays `name.*`.
fn load_block(b: &mut TransformerBlock, name: &str) {
    b.ln1.scale = g(&format!("{name}.ln1.0"));
    b.ln1.bias = g(&format!("{name}.ln1.1"));
    b.ln2.scale = g(&format!("{name}.ln2.0"));
    b.ln2.bias = g(&format!("{name}.ln2.1"));
    let a = &mut b.attn;
    for (l, n) in [
        (&mut a.query, "q"),
        (&mut a.key, "k"),
        (&mut a.value, "v"),
        (&mut a.out, "o"),
        (&mut b.mlp_in, "mlp_in"),
        (&mut b.mlp_out, "mlp_out"),
    ] {
        l.kernel = g(&format!("{name}.{n}.0"));
        l.bias = Some(g(&format!("{name}.{n}.1")));
    }
}

#[track_caller]
fn close(got: &Tensor, want: &Tensor, tol: f64, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    assert_close_with(&f64s(got), &f64s(want), Tol::allclose(tol, tol), what);
}

#[test]
fn transformer_block_matches_jax() {
    let mut b = TransformerBlock::new(&random::key(0), 8, 2, 16).causal();
    load_block(&mut b, "block");
    let y = b.forward(&g("block.x"), &mut Ctx::eval());
    close(&y, &g("block.y"), 2e-5, "causal block");
}

fn tiny_lm_config(tied: bool) -> TransformerLmConfig {
    TransformerLmConfig {
        vocab_size: 11,
        dim: 8,
        num_heads: 2,
        num_layers: 2,
        mlp_dim: 16,
        max_len: 6,
        tied,
        dropout: 0.0,
    }
}

#[test]
fn transformer_lm_matches_jax() {
    let mut lm = TransformerLm::new(&random::key(0), &tiny_lm_config(true));
    lm.token_embed.embedding = g("lm.tok");
    lm.pos_embed.embedding = g("lm.pos");
    for (i, b) in lm.blocks.iter_mut().enumerate() {
        load_block(b, &format!("lm.b{i}"));
    }
    lm.ln_f.scale = g("lm.ln_f.0");
    lm.ln_f.bias = g("lm.ln_f.1");
    let logits = lm.forward(&g("lm.ids"), &mut Ctx::eval());
    close(&logits, &g("lm.logits"), 5e-5, "tied LM logits");
}

/// Generation without the cache: the whole forward over the sequence so far at every step,
/// the token chosen from the last position's logits by the rule `generate` documents.
fn generate_uncached(
    lm: &TransformerLm,
    prompt: &Tensor,
    steps: usize,
    key: &Tensor,
    t: f64,
) -> Tensor {
    let mut seq = prompt.clone();
    for i in 0..steps {
        let logits = lm.forward(&seq, &mut Ctx::eval());
        let l = seq.shape()[1] as isize;
        let last = jnp::squeeze(&jnp::slice_axis(&logits, 1, l - 1, l), &[1]);
        let tok = if t == 0.0 {
            jnp::argmax(&last, Some(-1)).cast(DType::I32)
        } else {
            random::categorical(&random::fold_in(key, i as u32), &(last / t), -1, None)
        };
        seq = jnp::concatenate(&[seq, jnp::expand_dims(&tok, -1)], 1);
    }
    seq
}

#[test]
fn cached_generation_equals_full_forward() {
    let prompt = Tensor::from_vec(vec![1i32, 4, 9, 2], &[2, 2]);
    let key = random::key(5);
    for tied in [true, false] {
        let lm = TransformerLm::new(&random::key(1), &tiny_lm_config(tied));
        for temperature in [0.0, 1.0, 0.7] {
            let cached = lm.generate(&prompt, 4, &key, temperature);
            let full = generate_uncached(&lm, &prompt, 4, &key, temperature);
            assert_eq!(cached.shape(), &[2, 6]);
            assert_eq!(
                cached.to_vec::<i32>(),
                full.to_vec::<i32>(),
                "tied {tied}, temperature {temperature}"
            );
        }
        // The step's logits equal the full forward's at every position.
        let seq = lm.generate(&prompt, 4, &key, 1.0);
        let full = lm.forward(&seq, &mut Ctx::eval());
        let mut caches = lm.init_cache(&[2]);
        for t in 0..6 {
            let tok = jnp::squeeze(&jnp::slice_axis(&seq, 1, t, t + 1), &[1]);
            let (logits, c) = lm.decode_step(&tok, &caches);
            caches = c;
            let want = jnp::squeeze(&jnp::slice_axis(&full, 1, t, t + 1), &[1]);
            close(&logits, &want, 1e-5, &format!("decode_step logits at {t}"));
        }
    }
    // Sampling really samples: different keys give different continuations.
    let lm = TransformerLm::new(&random::key(1), &tiny_lm_config(true));
    let outs: Vec<Vec<i32>> = (0..6)
        .map(|k| {
            lm.generate(&prompt, 4, &random::key(k), 1.0)
                .to_vec::<i32>()
        })
        .collect();
    assert!(outs.iter().any(|o| o != &outs[0]), "{outs:?}");
}

#[test]
fn transformer_lm_dropout_and_panics() {
    let cfg = TransformerLmConfig {
        dropout: 0.5,
        ..tiny_lm_config(false)
    };
    let lm = TransformerLm::new(&random::key(2), &cfg);
    let ids = Tensor::from_vec(vec![1i32, 2, 3], &[1, 3]);
    let eval = lm.forward(&ids, &mut Ctx::eval()).to_vec::<f32>();
    let train = lm
        .forward(&ids, &mut Ctx::train(&random::key(3)))
        .to_vec::<f32>();
    assert_ne!(eval, train, "dropout is active in training");
    let long = Tensor::zeros(&[1, 7], DType::I32);
    let msg = crate::common::panics::panic_message(|| lm.forward(&long, &mut Ctx::eval()));
    assert!(
        msg.contains("TransformerLm")
            && msg.contains("max_len = 6")
            && msg.contains("models_generative.rs"),
        "{msg}"
    );
    let msg = crate::common::panics::panic_message(|| lm.generate(&ids, 5, &random::key(0), 0.0));
    assert!(
        msg.contains("generate") && msg.contains("needs 7 positions"),
        "{msg}"
    );
}

fn to_f64<T: PyTree>(t: &T) -> T {
    ferrax::tree::tree_map(t, |x| x.cast(DType::F64))
}

#[test]
fn vae_kl_matches_gaussian_closed_form() {
    let mean = random::normal(&random::key(0), &[3, 4]);
    let log_var = random::normal(&random::key(1), &[3, 4]);
    let got = kl_divergence(&mean, &log_var).to_vec::<f32>();
    let (m, lv) = (f64s(&mean), f64s(&log_var));
    for (row, &got_row) in got.iter().enumerate() {
        // KL(N(μ, σ²) || N(0, 1)) = ln(1/σ) + (σ² + μ²)/2 - 1/2, per dimension.
        let want: f64 = (0..4)
            .map(|j| {
                let (mu, sigma) = (m[row * 4 + j], (lv[row * 4 + j] / 2.0).exp());
                (1.0 / sigma).ln() + (sigma * sigma + mu * mu) / 2.0 - 0.5
            })
            .sum();
        assert!(
            (got_row as f64 - want).abs() < 1e-5 * (1.0 + want.abs()),
            "row {row}: {got_row} vs {want}"
        );
    }
}

#[test]
fn vae_loss_terms_match_plain_rust() {
    let vae = to_f64(&Vae::new(&random::key(0), 5, 4, 3));
    let x = random::uniform_with(&random::key(1), &[2, 5], DType::F64, 0.0, 1.0);
    let key = random::key(2);
    let (rec, kl) = vae.loss_terms(&x, &key);
    let (mean, log_var) = vae.encode(&x);
    // KL term: the closed form of the posterior.
    let kl_want: f64 = f64s(&kl_divergence(&mean, &log_var)).iter().sum::<f64>() / 2.0;
    assert!((kl.item::<f64>() - kl_want).abs() < 1e-12);
    // Reconstruction: z = mean + σ ε with ε = normal(key), then Σ softplus(l) - x l.
    let eps = f64s(&random::normal_with(&key, &[2, 3], DType::F64));
    let (m, lv) = (f64s(&mean), f64s(&log_var));
    let z: Vec<f64> = (0..6)
        .map(|i| m[i] + (lv[i] / 2.0).exp() * eps[i])
        .collect();
    let logits = f64s(&vae.decode(&Tensor::from_vec(z, &[2, 3])));
    let xs = f64s(&x);
    let rec_want: f64 = (0..10)
        .map(|i| {
            let l = logits[i];
            l.max(0.0) + (-l.abs()).exp().ln_1p() - xs[i] * l
        })
        .sum::<f64>()
        / 2.0;
    assert!(
        (rec.item::<f64>() - rec_want).abs() < 1e-10,
        "{} vs {rec_want}",
        rec.item::<f64>()
    );
    assert!((vae.loss(&x, &key).item::<f64>() - rec_want - kl_want).abs() < 1e-10);
}

#[test]
fn vae_gradients_match_finite_differences() {
    let vae = to_f64(&Vae::new(&random::key(3), 3, 4, 2));
    let x = random::uniform_with(&random::key(4), &[2, 3], DType::F64, 0.0, 1.0);
    let key = random::key(5);
    ferrax::test_util::check_grads(|v: &Vae| v.loss(&x, &key), &vae, 1);
}

#[test]
fn vae_jit_equals_eager() {
    let vae = Vae::new(&random::key(6), 6, 5, 2);
    let x = random::uniform(&random::key(7), &[4, 6]);
    let key = random::key(8);
    let f = |(v, x, k): &(Vae, Tensor, Tensor)| value_and_grad(|v: &Vae| v.loss(x, k))(v);
    let (l0, g0) = f(&(vae.clone(), x.clone(), key.clone()));
    let (l1, g1) = jit(f)(&(vae, x, key));
    close(&l1, &l0, 1e-6, "jitted loss");
    for (a, b) in g1.leaves().iter().zip(g0.leaves()) {
        close(a, &b, 1e-5, "jitted gradient");
    }
}

#[test]
fn dcgan_shapes() {
    for (cfg, batch) in [
        (DcganConfig::mnist(), 2),
        (DcganConfig::digits(), 3),
        (
            DcganConfig {
                image_size: 16,
                channels: 3,
                latent_dim: 8,
                features: 4,
            },
            2,
        ),
    ] {
        let gan = Dcgan::new(&random::key(0), &cfg);
        let z = random::normal(&random::key(1), &[batch, cfg.latent_dim]);
        let mut cx = Ctx::train(&random::key(2));
        let img = gan.generator.forward(&z, &mut cx);
        let s = cfg.image_size;
        assert_eq!(img.shape(), &[batch, s, s, cfg.channels], "{cfg:?}");
        assert!(f64s(&img).iter().all(|v| v.abs() < 1.0), "tanh output");
        assert_eq!(
            gan.discriminator.forward(&img, &mut cx).shape(),
            &[batch],
            "{cfg:?}"
        );
        assert_eq!(cx.state().len(), 3, "three batch norms keep statistics");
    }
}

/// Generator, discriminator, batch-norm statistics and noise.
type TrainArgs = (
    ferrax::models::Generator,
    ferrax::models::Discriminator,
    ferrax::nn::State,
    Tensor,
);

#[test]
fn dcgan_vmap_and_jit_agree() {
    let cfg = DcganConfig {
        image_size: 8,
        channels: 1,
        latent_dim: 4,
        features: 3,
    };
    let gan = Dcgan::new(&random::key(0), &cfg);
    let opt = dcgan_adam();
    // Running statistics that are not zeros and ones: from a few training steps' state.
    let mut s = GanTrainState::new(gan, &opt);
    let real = random::uniform(&random::key(1), &[4, 8, 8, 1]) * 2.0 - 1.0;
    s = discriminator_step(&opt, &s, &real, &random::key(2)).0;
    let (r#gen, disc, stats) = (
        s.gan.generator.clone(),
        s.gan.discriminator.clone(),
        s.stats.clone(),
    );
    let z = random::normal(&random::key(3), &[5, 4]);
    // Evaluation mode: per example (vmap) equals the batch.
    let eval_g = |z: &Tensor| r#gen.forward(z, &mut Ctx::eval().with_state(stats.clone()));
    let batch = eval_g(&z);
    close(&vmap(&eval_g)(&z), &batch, 1e-6, "vmapped generator");
    let eval_d = |x: &Tensor| disc.forward(x, &mut Ctx::eval().with_state(stats.clone()));
    close(
        &vmap(&eval_d)(&batch),
        &eval_d(&batch),
        1e-5,
        "vmapped discriminator",
    );
    // Training mode: jit equals eager, outputs and updated statistics.
    let train = |(g, d, st, z): &TrainArgs| {
        let mut cx = Ctx::train(&random::key(9)).with_state(st.clone());
        let y = d.forward(&g.forward(z, &mut cx), &mut cx);
        (y, cx.into_state())
    };
    let args = (r#gen, disc, stats, z);
    let (y0, st0) = train(&args);
    let (y1, st1) = jit(train)(&args);
    close(&y1, &y0, 1e-5, "jitted training forward");
    for (a, b) in st1.leaves().iter().zip(st0.leaves()) {
        close(a, &b, 1e-6, "jitted statistics");
    }
}

#[test]
fn gan_two_steps_change_both_networks() {
    let cfg = DcganConfig {
        image_size: 4,
        channels: 1,
        latent_dim: 3,
        features: 2,
    };
    let opt = dcgan_adam();
    let start = GanTrainState::new(Dcgan::new(&random::key(0), &cfg), &opt);
    let d_step =
        jit(|(s, x, k): &(GanTrainState, Tensor, Tensor)| discriminator_step(&opt, s, x, k));
    let g_step = jit(|(s, k): &(GanTrainState, Tensor)| generator_step(&opt, s, 4, k));
    let mut s = start.clone();
    for i in 0..2u32 {
        let [kx, kd, kg] = random::split_n(&random::fold_in(&random::key(1), i));
        let real = random::uniform(&kx, &[4, 4, 4, 1]) * 2.0 - 1.0;
        let (s1, d_loss) = d_step(&(s, real, kd));
        let (s2, g_loss) = g_step(&(s1, kg));
        s = s2;
        let (d, gl) = (d_loss.item::<f32>(), g_loss.item::<f32>());
        assert!(
            d.is_finite() && gl.is_finite() && d > 0.0 && gl > 0.0,
            "step {i}: {d} {gl}"
        );
    }
    let changed = |a: Vec<Tensor>, b: Vec<Tensor>| {
        a.iter()
            .zip(&b)
            .any(|(x, y)| x.to_vec::<f32>() != y.to_vec::<f32>())
    };
    assert!(
        changed(s.gan.generator.leaves(), start.gan.generator.leaves()),
        "generator params changed"
    );
    assert!(
        changed(
            s.gan.discriminator.leaves(),
            start.gan.discriminator.leaves()
        ),
        "discriminator params changed"
    );
    // Every generator kernel moved (each gets a gradient through the discriminator).
    for (a, b) in s
        .gan
        .generator
        .leaves()
        .iter()
        .zip(start.gan.generator.leaves())
    {
        if a.ndim() >= 2 {
            assert_ne!(a.to_vec::<f32>(), b.to_vec::<f32>());
        }
    }
}
