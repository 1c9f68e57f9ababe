//! The digits MLP of `examples/digits.rs` (64-128(tanh)-10, Adam 1e-3, global batch 32)
//! trained data-parallel over MPI with `ferrax::dist`: rank 0's initial parameters everywhere,
//! each rank its contiguous shard of every global batch, the gradient of the global mean loss
//! reduced by `lax::psum` over the axis "batch" inside the jitted step, the same Adam update
//! on every rank, checkpoints from rank 0.
//!
//! ```text
//! cargo build --release --features mpi --example data_parallel
//! mpirun --allow-run-as-root -np 2 target/release/examples/data_parallel --epochs 5
//! options: --epochs N  --steps N (stop after N steps)  --seed N  --quiet
//!          --hidden H  --batch B   hidden width (128) and global batch (32), to measure
//!                             scaling on a step large enough to be worth splitting
//!          --digest           print each rank's parameter digest and check all ranks agree
//!          --save PATH        rank 0 writes the final parameters (safetensors)
//!          --compare PATH     fail unless the final parameters are within --tol (default
//!                             1e-6, absolute) of the checkpoint PATH
//!          --panic-at S       rank --panic-rank (default 1) panics at step S (failure demo)
//!          --stall-at S       rank --panic-rank sleeps for an hour at step S (run with
//!                             FERRAX_DIST_TIMEOUT=SECONDS to see the others abort the job)
//!          --bench-allreduce  all-reduce throughput of 1-64 MB pytrees against one raw buffer
//! ```
//!
//! `scripts/mpi_check.sh` runs it with 1, 2 and 4 processes on the same global batches and
//! compares the parameters (see `docs/distributed.md`).

use ferrax::data::{self, Batches, DigitsLayout};
use ferrax::dist::{self, DataParallel, Dist};
use ferrax::nn::{self, Ctx, Module};
use ferrax::optim;
use ferrax::prelude::*;
use ferrax::{losses, random, train};
use std::time::Instant;

type Mlp = (nn::Linear, nn::Tanh, nn::Linear);

fn mlp(key: &Tensor, hidden: usize) -> Mlp {
    let [k1, k2] = random::split_n(key);
    (
        nn::Linear::new(&k1, 64, hidden),
        nn::Tanh,
        nn::Linear::new(&k2, hidden, 10),
    )
}

struct Args {
    epochs: usize,
    steps: Option<usize>,
    seed: i64,
    hidden: usize,
    batch: usize,
    quiet: bool,
    digest: bool,
    save: Option<String>,
    compare: Option<String>,
    tol: f64,
    panic_at: Option<usize>,
    stall_at: Option<usize>,
    panic_rank: usize,
    bench: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        epochs: 3,
        steps: None,
        seed: 0,
        hidden: 128,
        batch: 32,
        quiet: false,
        digest: false,
        save: None,
        compare: None,
        tol: 1e-6,
        panic_at: None,
        stall_at: None,
        panic_rank: 1,
        bench: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        let num = |v: String| v.parse::<f64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--epochs" => a.epochs = num(value()?)? as usize,
            "--steps" => a.steps = Some(num(value()?)? as usize),
            "--seed" => a.seed = num(value()?)? as i64,
            "--hidden" => a.hidden = num(value()?)? as usize,
            "--batch" => a.batch = num(value()?)? as usize,
            "--quiet" => a.quiet = true,
            "--digest" => a.digest = true,
            "--save" => a.save = Some(value()?),
            "--compare" => a.compare = Some(value()?),
            "--tol" => a.tol = num(value()?)?,
            "--panic-at" => a.panic_at = Some(num(value()?)? as usize),
            "--stall-at" => a.stall_at = Some(num(value()?)? as usize),
            "--panic-rank" => a.panic_rank = num(value()?)? as usize,
            "--bench-allreduce" => a.bench = true,
            f => return Err(format!("unknown option `{f}`")),
        }
    }
    Ok(a)
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("data_parallel: {e} (see the options at the top of examples/data_parallel.rs)");
        std::process::exit(2)
    });
    let dist = dist::init();
    if args.bench {
        bench_allreduce(&dist);
        return;
    }
    let dp = dist.data_parallel("batch");
    let root = dist.is_root();
    let digits = data::load_digits(data::default_digits_dir(), DigitsLayout::Flat)
        .unwrap_or_else(|e| panic!("data_parallel: {e}"));
    let [init_key, shuffle_key] = random::split_n(&random::key(args.seed));
    // The same global batches on every rank; each takes its part of each.
    let batches = dp.shard(
        Batches::new(
            &(digits.train_images.clone(), digits.train_labels.clone()),
            args.batch,
        )
        .shuffle(&shuffle_key),
    );
    // Each rank draws its own initialization (a different key per rank, to show replicate
    // matters); rank 0's is the one every rank trains.
    let own = mlp(&random::fold_in(&init_key, dist.rank() as u32), args.hidden);
    let params = dp.replicate(&own);
    let opt = optim::adam(1e-3);
    let state = opt.init(&params);
    if root {
        println!(
            "data_parallel: {} ranks, global batch {} ({} examples per rank), MLP 64-{}(tanh)-10, Adam 1e-3",
            dist.size(),
            args.batch,
            args.batch / dist.size(),
            args.hidden
        );
    }
    let (params, steps, secs) = train_loop(&dp, &args, &batches, &opt, params, state);
    let accuracy = losses::accuracy(
        &params.forward(&digits.test_images, &mut Ctx::eval()),
        &digits.test_labels,
    )
    .item::<f64>();
    if root {
        println!(
            "{steps} steps, {:.3} ms per step (rank 0), test accuracy {accuracy:.3}",
            1e3 * secs / steps.max(1) as f64
        );
    }
    if args.digest {
        report_digest(&dist, &params);
    }
    if let Some(path) = &args.save
        && dp
            .save_params(path, &params)
            .unwrap_or_else(|e| panic!("{e}"))
    {
        println!("saved parameters to {path}");
    }
    if let Some(path) = &args.compare {
        compare(&dist, &params, path, args.tol);
    }
}

/// Trains for `--epochs` (or `--steps`); returns the parameters, the steps and the seconds
/// spent in steps.
fn train_loop(
    dp: &DataParallel,
    args: &Args,
    batches: &Batches<(Tensor, Tensor)>,
    opt: &optim::Adam,
    mut params: Mlp,
    mut state: optim::AdamState<Mlp>,
) -> (Mlp, usize, f64) {
    let loss_fn = |p: &Mlp, (x, y): &(Tensor, Tensor)| {
        losses::softmax_cross_entropy_with_integer_labels(&p.forward(x, &mut Ctx::eval()), y).mean()
    };
    let grad_fn = dp.value_and_grad(loss_fn);
    type Step = (Mlp, optim::AdamState<Mlp>, (Tensor, Tensor));
    let step = jit(|(p, s, b): &Step| {
        let (loss, g) = grad_fn(p, b);
        let (updates, s) = opt.update(&g, s, p);
        (optim::apply_updates(p, &updates), s, loss)
    });
    let (mut steps, mut secs) = (0usize, 0.0f64);
    let limit = args.steps.unwrap_or(usize::MAX);
    'epochs: for e in 0..args.epochs {
        let mut sum = 0.0;
        for b in batches.epoch(e) {
            if steps == limit {
                break 'epochs;
            }
            if args.panic_at == Some(steps) && dp.dist().rank() == args.panic_rank {
                panic!(
                    "data_parallel: rank {} panics at step {steps} as asked (--panic-at)",
                    args.panic_rank
                );
            }
            if args.stall_at == Some(steps) && dp.dist().rank() == args.panic_rank {
                eprintln!(
                    "data_parallel: rank {} stalls at step {steps} as asked (--stall-at)",
                    args.panic_rank
                );
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
            let t0 = Instant::now();
            let (p, s, loss) = dp.run(|| step(&(params.clone(), state.clone(), b)));
            let loss = loss.item::<f64>();
            secs += t0.elapsed().as_secs_f64();
            (params, state) = (p, s);
            sum += loss;
            steps += 1;
        }
        if dp.dist().is_root() && !args.quiet {
            println!(
                "epoch {:>3}  mean global-batch loss {:.4}",
                e + 1,
                sum / batches.num_batches() as f64
            );
        }
    }
    (params, steps, secs)
}

/// Prints each rank's digest of the parameters' bits (FNV-1a over every f32) and checks that
/// every rank holds exactly the same parameters (elementwise max and min over ranks equal).
fn report_digest(dist: &Dist, params: &Mlp) {
    let mut h: u64 = 0xcbf29ce484222325;
    let mut sum = 0.0f64;
    for leaf in params.leaves() {
        for v in leaf.to_vec::<f32>() {
            sum += v as f64;
            for b in v.to_bits().to_le_bytes() {
                h = (h ^ b as u64).wrapping_mul(0x100000001b3);
            }
        }
    }
    // Ranks print in order.
    for r in 0..dist.size() {
        if r == dist.rank() {
            println!("rank {r} params digest {h:016x} sum {sum:.9e}");
        }
        dist.barrier();
    }
    let same = params.leaves().iter().all(|p| {
        let mx = dist.with_axis("ranks", || ferrax::lax::pmax(p, "ranks"));
        let mn = dist.with_axis("ranks", || ferrax::lax::pmin(p, "ranks"));
        mx.to_vec::<f32>() == p.to_vec::<f32>() && mn.to_vec::<f32>() == p.to_vec::<f32>()
    });
    if dist.is_root() {
        println!("all ranks hold identical parameters: {same}");
    }
    assert!(same, "data_parallel: the ranks' parameters differ");
}

/// Fails unless the parameters are within `tol` (absolute, per element) of the checkpoint.
fn compare(dist: &Dist, params: &Mlp, path: &str, tol: f64) {
    let reference = train::load_params(path, params).unwrap_or_else(|e| panic!("{e}"));
    let mut worst = 0.0f64;
    for (a, b) in params.leaves().iter().zip(reference.leaves()) {
        for (x, y) in a.to_vec::<f32>().iter().zip(b.to_vec::<f32>()) {
            worst = worst.max((*x as f64 - y as f64).abs());
        }
    }
    if dist.is_root() {
        println!("max |params - {path}| = {worst:.3e} (tolerance {tol:.1e})");
    }
    assert!(
        worst <= tol,
        "data_parallel: parameters differ from {path} by {worst:.3e} > {tol:.1e}"
    );
}

/// All-reduce throughput: a pytree of `n` leaves of 16384 f32 (64 KB each) through
/// `Dist::all_reduce_sum` against one raw `MPI_Allreduce` of a buffer of the same size.
fn bench_allreduce(dist: &Dist) {
    use mpi::collective::SystemOperation;
    use mpi::traits::*;
    let world = mpi::topology::SimpleCommunicator::world();
    // FERRAX_TUNE_MALLOC=1: keep freed gradient-sized memory instead of returning it to the
    // kernel and faulting it in again on the next call (see ferrax::runtime::tune_allocator).
    let tuned = ferrax::runtime::tune_malloc_requested() && ferrax::runtime::tune_allocator();
    if dist.is_root() {
        println!("allocator tuned (FERRAX_TUNE_MALLOC): {tuned}");
        println!(
            "all-reduce (sum) over {} ranks: best of 5 rounds (after one warm-up)",
            dist.size()
        );
        println!(
            "{:>6} {:>7} {:>14} {:>14} {:>7}",
            "MB", "leaves", "pytree GB/s", "raw GB/s", "ratio"
        );
    }
    for mb in [1usize, 4, 16, 64] {
        let leaves = mb * 16;
        let tree: Vec<Tensor> = (0..leaves)
            .map(|i| Tensor::full(&[128, 128], i as f64, DType::F32))
            .collect();
        let n = leaves * 16384;
        let send = vec![1.0f32; n];
        let mut recv = vec![0.0f32; n];
        let reps = if mb >= 16 { 3 } else { 10 };
        let (mut best_tree, mut best_raw) = (f64::MAX, f64::MAX);
        for round in 0..6 {
            dist.barrier();
            let t0 = Instant::now();
            for _ in 0..reps {
                std::hint::black_box(dist.all_reduce_sum(&tree));
            }
            let t_tree = t0.elapsed().as_secs_f64() / reps as f64;
            dist.barrier();
            let t0 = Instant::now();
            for _ in 0..reps {
                world.all_reduce_into(&send[..], &mut recv[..], SystemOperation::sum());
            }
            let t_raw = t0.elapsed().as_secs_f64() / reps as f64;
            if round > 0 {
                best_tree = best_tree.min(t_tree);
                best_raw = best_raw.min(t_raw);
            }
        }
        let bytes = (n * 4) as f64;
        if dist.is_root() {
            println!(
                "{mb:>6} {leaves:>7} {:>14.2} {:>14.2} {:>6.1}%",
                bytes / best_tree / 1e9,
                bytes / best_raw / 1e9,
                100.0 * best_raw / best_tree
            );
        }
    }
}
