//! A DCGAN (Radford et al. 2016, `ferrax::models::Dcgan`) learning to draw digits: on MNIST
//! when `--data DIR` holds its IDX files (gzip'd or not), else on the 1797 shipped 8x8 digits
//! (`data/digits/`). Two Adam optimizers (learning rate 2e-4, β1 0.5), explicit PRNG keys for
//! every noise draw, one jitted step per network. After every epoch it writes a grid of 64
//! samples from a fixed noise batch (`samples_epochNN.svg` with feature `plot`,
//! `samples_epochNN.png` with feature `datasets`, the default) and appends the epoch's mean
//! losses to `losses.csv`, all in `--out DIR`.
//!
//! ```text
//! cargo run --release --features plot --example gan                         # digits, 30 epochs
//! cargo run --release --features plot --example gan -- --data ~/mnist --epochs 5
//! options: --data DIR  --epochs N  --out DIR (default gan_out)  --batch N  --seed N  --quiet
//! ```
//! MNIST comes from <https://storage.googleapis.com/cvdf-datasets/mnist/> (the four
//! `*-ubyte.gz` files); nothing is downloaded by the example.

use ferrax::data::{self, Batches, DigitsLayout};
use ferrax::models::{
    dcgan_adam, discriminator_step, generator_step, Dcgan, DcganConfig, GanTrainState,
};
use ferrax::nn::{Ctx, Module};
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use ferrax::random;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

struct Args {
    data: Option<PathBuf>,
    epochs: Option<usize>,
    out: PathBuf,
    batch: usize,
    seed: i64,
    quiet: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        data: None,
        epochs: None,
        out: PathBuf::from("gan_out"),
        batch: 64,
        seed: 0,
        quiet: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--data" => a.data = Some(PathBuf::from(value()?)),
            "--epochs" => a.epochs = Some(value()?.parse().map_err(|e| format!("--epochs: {e}"))?),
            "--out" => a.out = PathBuf::from(value()?),
            "--batch" => a.batch = value()?.parse().map_err(|e| format!("--batch: {e}"))?,
            "--seed" => a.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--quiet" => a.quiet = true,
            f => return Err(format!("unknown option `{f}`")),
        }
    }
    if a.batch == 0 {
        return Err("--batch must be positive".into());
    }
    Ok(a)
}

/// The training images scaled to `[-1, 1]` (the generator's tanh range), the model size and
/// the default number of epochs: MNIST from `dir` if it is given and readable, else digits.
fn load(dir: &Option<PathBuf>) -> (Tensor, DcganConfig, usize, &'static str) {
    #[cfg(feature = "datasets")]
    if let Some(d) = dir {
        match data::mnist::load(d) {
            Ok(m) => return (m.train_images * 2.0 - 1.0, DcganConfig::mnist(), 5, "MNIST"),
            Err(e) => eprintln!("gan: {e}\ngan: using the shipped 8x8 digits instead"),
        }
    }
    #[cfg(not(feature = "datasets"))]
    if dir.is_some() {
        eprintln!("gan: --data needs the `datasets` feature (on by default); using the digits");
    }
    let d =
        data::load_digits(data::default_digits_dir(), DigitsLayout::Image).unwrap_or_else(|e| {
            eprintln!("gan: {e}");
            std::process::exit(1)
        });
    let all = jnp::concatenate(&[d.train_images, d.test_images], 0);
    (all * 2.0 - 1.0, DcganConfig::digits(), 30, "8x8 digits")
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("gan: {e}\nusage: gan [--data DIR] [--epochs N] [--out DIR] [--batch N] [--seed N] [--quiet]");
        std::process::exit(2)
    });
    let (images, cfg, default_epochs, name) = load(&args.data);
    let epochs = args.epochs.unwrap_or(default_epochs);
    std::fs::create_dir_all(&args.out).unwrap_or_else(|e| {
        eprintln!("gan: cannot create {}: {e}", args.out.display());
        std::process::exit(1)
    });
    let [init_key, shuffle_key, noise_key, sample_key] = random::split_n(&random::key(args.seed));
    let opt = dcgan_adam();
    let mut state = GanTrainState::new(Dcgan::new(&init_key, &cfg), &opt);
    // Every batch full, so each jitted step compiles once.
    let batches = Batches::new(&images, args.batch)
        .shuffle(&shuffle_key)
        .drop_last(true);
    let b = args.batch;
    let d_step =
        jit(|(s, real, k): &(GanTrainState, Tensor, Tensor)| discriminator_step(&opt, s, real, k));
    let g_step = jit(|(s, k): &(GanTrainState, Tensor)| generator_step(&opt, s, b, k));
    // One fixed noise batch, so the grids show the same 64 samples improving.
    let fixed_z = random::normal(&sample_key, &[64, cfg.latent_dim]);
    println!(
        "gan: DCGAN on {} {name} images ({}x{}), z of {}, batch {b}, Adam 2e-4 (b1 0.5), {epochs} epochs, writing to {}",
        images.shape()[0],
        cfg.image_size,
        cfg.image_size,
        cfg.latent_dim,
        args.out.display()
    );
    let csv_path = args.out.join("losses.csv");
    let mut csv = std::fs::File::create(&csv_path).unwrap_or_else(|e| {
        eprintln!("gan: cannot write {}: {e}", csv_path.display());
        std::process::exit(1)
    });
    writeln!(csv, "epoch,d_loss,g_loss,seconds").expect("write losses.csv");
    let t0 = Instant::now();
    let mut step = 0u32;
    for epoch in 0..epochs {
        let te = Instant::now();
        let (mut d_sum, mut g_sum, mut n) = (0.0, 0.0, 0usize);
        for real in batches.epoch(epoch) {
            // Explicit keys: the step's key splits into the two networks' noise.
            let [kd, kg] = random::split_n(&random::fold_in(&noise_key, step));
            step += 1;
            let (s, d_loss) = d_step(&(state, real, kd));
            let (s, g_loss) = g_step(&(s, kg));
            state = s;
            d_sum += d_loss.item::<f32>() as f64;
            g_sum += g_loss.item::<f32>() as f64;
            n += 1;
        }
        let (d_loss, g_loss) = (d_sum / n as f64, g_sum / n as f64);
        let secs = te.elapsed().as_secs_f64();
        writeln!(csv, "{},{d_loss:.5},{g_loss:.5},{secs:.3}", epoch + 1).expect("write losses.csv");
        if !args.quiet {
            println!(
                "epoch {:>3}: D loss {d_loss:.4}  G loss {g_loss:.4}  ({secs:.2} s)",
                epoch + 1
            );
        }
        // Samples with batch statistics (the generator in training mode, as in the paper's
        // reference code); the state it would update is discarded.
        let mut cx = Ctx::train(&sample_key).with_state(state.stats.clone());
        let samples = state.gan.generator.forward(&fixed_z, &mut cx);
        write_grid(&samples, &args.out, epoch + 1);
    }
    println!(
        "gan: {step} steps of each network in {:.1} s; losses in {}",
        t0.elapsed().as_secs_f64(),
        csv_path.display()
    );
}

/// Writes `samples[64, S, S, 1]` (in `[-1, 1]`) as an 8x8 grid: SVG (feature `plot`) and PNG
/// (feature `datasets`).
fn write_grid(samples: &Tensor, out: &Path, epoch: usize) {
    let images = (samples + 1.0) / 2.0;
    write_svg(&images, &out.join(format!("samples_epoch{epoch:02}.svg")));
    write_png(&images, &out.join(format!("samples_epoch{epoch:02}.png")));
}

#[cfg(feature = "plot")]
fn write_svg(images: &Tensor, path: &Path) {
    let fig = ferrax::plot::image_grid(images, 8, None).title("DCGAN samples");
    if let Err(e) = fig.save_svg(path) {
        eprintln!("gan: cannot write {}: {e}", path.display());
    }
}

#[cfg(not(feature = "plot"))]
fn write_svg(_: &Tensor, _: &Path) {}

/// The grid as one grayscale PNG, each pixel drawn as a `zoom x zoom` block, 2-pixel gaps.
#[cfg(feature = "datasets")]
fn write_png(images: &Tensor, path: &Path) {
    let (n, s) = (images.shape()[0], images.shape()[1]);
    let v = images.to_vec::<f32>();
    let (cols, zoom, gap) = (8usize, (64 / s).max(2), 2usize);
    let rows = n.div_ceil(cols);
    let cell = s * zoom + gap;
    let (w, h) = ((cols * cell + gap) as u32, (rows * cell + gap) as u32);
    let img = image::GrayImage::from_fn(w, h, |x, y| {
        let (x, y) = (x as usize, y as usize);
        let (cx, cy) = (x.saturating_sub(gap) / cell, y.saturating_sub(gap) / cell);
        let (ox, oy) = (x.saturating_sub(gap) % cell, y.saturating_sub(gap) % cell);
        let k = cy * cols + cx;
        if x < gap || y < gap || ox >= s * zoom || oy >= s * zoom || k >= n {
            return image::Luma([255]);
        }
        let p = v[(k * s + oy / zoom) * s + ox / zoom].clamp(0.0, 1.0);
        image::Luma([(p * 255.0).round() as u8])
    });
    if let Err(e) = img.save(path) {
        eprintln!("gan: cannot write {}: {e}", path.display());
    }
}

#[cfg(not(feature = "datasets"))]
fn write_png(_: &Tensor, _: &Path) {}
