//! `ferrax::dist` against independent references, as one process per rank (MPI starts once
//! per process, so this is a plain `main`, `harness = false`). `cargo test --features mpi
//! --test dist` runs it as a job of one process; `scripts/mpi_check.sh` runs the same binary
//! under `mpirun -np 2` and `-np 4`. The references: sums and maxima of values each rank
//! derives from its rank (closed forms), the named-axis semantics against `vmap` with the
//! same axis name over all ranks' inputs stacked (JAX's pmap = vmap equivalence), jit against
//! eager, and the data-parallel gradient against the one-process gradient of the whole batch.

use ferrax::data::Batches;
use ferrax::dist::{self, Dist};
use ferrax::prelude::*;
use ferrax::transforms::{vmap_with, VmapSpec};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A named check, run on every rank.
type Test = (&'static str, fn(&Dist));

fn main() {
    let dist = dist::init();
    let tests: &[Test] = &[
        ("all_reduce_sum_mixed_tree", all_reduce_sum_mixed_tree),
        ("all_reduce_mean", all_reduce_mean),
        (
            "large_trees_cross_segment_boundaries",
            large_trees_cross_segments,
        ),
        ("broadcast_from_every_root", broadcast_from_every_root),
        ("broadcast_mismatch_panics_everywhere", broadcast_mismatch),
        ("tracer_leaf_is_an_error", tracer_leaf_is_an_error),
        ("named_axis_collectives", named_axis_collectives),
        ("named_axis_matches_vmap", named_axis_matches_vmap),
        (
            "binding_seen_from_worker_threads",
            binding_seen_from_worker_threads,
        ),
        ("vmap_axis_inside_reduces_first", vmap_axis_inside),
        ("unbound_axis_names_with_axis", unbound_axis),
        ("psum_tree_jit_matches_all_reduce", psum_tree_jit),
        ("data_parallel_grad_matches_whole_batch", data_parallel_grad),
        ("shards_cover_the_global_batches", shards_cover_batches),
    ];
    for (name, test) in tests {
        test(&dist);
        dist.barrier();
        if dist.is_root() {
            println!("test dist::{name} ... ok");
        }
    }
    if dist.is_root() {
        println!(
            "dist tests: {} passed on {} ranks",
            tests.len(),
            dist.size()
        );
    }
}

/// Rank `r` contributes `(r + 1) * base`; the sum is `base * n (n + 1) / 2`.
fn all_reduce_sum_mixed_tree(d: &Dist) {
    let (r, n) = (d.rank() as f64, d.size() as f64);
    let tri = n * (n + 1.0) / 2.0;
    let tree = (
        vec![
            Tensor::full(&[2, 3], (r + 1.0) * 0.5, DType::F32),
            Tensor::full(&[4], (r + 1.0) * 2.0, DType::F32),
        ],
        Tensor::full(&[3], (r + 1.0) * 0.25, DType::F64),
        Tensor::full(&[2], r + 1.0, DType::I32),
    );
    let s = d.all_reduce_sum(&tree);
    assert_eq!(s.0[0].to_vec::<f32>(), vec![(0.5 * tri) as f32; 6]);
    assert_eq!(s.0[1].to_vec::<f32>(), vec![(2.0 * tri) as f32; 4]);
    assert_eq!(s.1.to_vec::<f64>(), vec![0.25 * tri; 3]);
    assert_eq!(s.2.to_vec::<i32>(), vec![tri as i32; 2]);
    assert_eq!(s.0[0].shape(), &[2, 3]);
}

/// Leaves that straddle the 256 KiB segments the collectives run in (one leaf larger than
/// several segments, odd sizes, a non-contiguous leaf, two dtypes interleaved), with a distinct
/// value per element, so a misplaced segment or offset changes the result: the sum over ranks
/// of `(r + 1) * v` is `v * n (n + 1) / 2`.
fn large_trees_cross_segments(d: &Dist) {
    let (r, n) = (d.rank() as f64, d.size() as f64);
    let tri = n * (n + 1.0) / 2.0;
    let values = |len: usize, salt: f64| -> Vec<f64> {
        (0..len)
            .map(|i| ((i * 7 + 3) % 1009) as f64 + salt)
            .collect()
    };
    let sizes = [70_001usize, 3, 200_000, 65_536, 1];
    let leaves: Vec<Tensor> = sizes
        .iter()
        .enumerate()
        .map(|(k, &len)| {
            let v: Vec<f32> = values(len, k as f64)
                .iter()
                .map(|v| (v * (r + 1.0)) as f32)
                .collect();
            Tensor::from_vec(v, &[len])
        })
        .collect();
    let wide = Tensor::from_vec(
        values(40_000, 0.5).iter().map(|v| v * (r + 1.0)).collect(),
        &[200, 200],
    )
    .transpose(&[1, 0]);
    let counts = Tensor::from_vec(
        (0..50_000).map(|i| (i % 97) * (r as i32 + 1)).collect(),
        &[50_000],
    );
    let (s_leaves, s_wide, s_counts) = d.all_reduce_sum(&(leaves, wide.clone(), counts));
    for (k, (leaf, &len)) in s_leaves.iter().zip(&sizes).enumerate() {
        let want: Vec<f32> = values(len, k as f64)
            .iter()
            .map(|v| (v * tri) as f32)
            .collect();
        assert_eq!(leaf.to_vec::<f32>(), want, "leaf {k} of {len} elements");
    }
    let want_wide: Vec<f64> = (&wide * (tri / (r + 1.0))).to_vec::<f64>();
    assert_eq!(s_wide.to_vec::<f64>(), want_wide);
    assert_eq!(s_wide.shape(), &[200, 200]);
    let want_counts: Vec<i32> = (0..50_000).map(|i| (i % 97) * tri as i32).collect();
    assert_eq!(s_counts.to_vec::<i32>(), want_counts);
    let back = d.broadcast(&s_leaves, 0);
    assert_eq!(back[2].to_vec::<f32>(), s_leaves[2].to_vec::<f32>());
}

fn all_reduce_mean(d: &Dist) {
    let r = d.rank() as f64;
    let m = d.all_reduce_mean(&Tensor::from_vec(vec![r as f32, 2.0 * r as f32], &[2]));
    let mean = (d.size() as f64 - 1.0) / 2.0;
    assert_eq!(m.to_vec::<f32>(), vec![mean as f32, (2.0 * mean) as f32]);
}

fn broadcast_from_every_root(d: &Dist) {
    for root in 0..d.size() {
        let mine = (
            Tensor::full(&[3], d.rank() as f64, DType::F32),
            Tensor::full(&[1], 10.0 * d.rank() as f64, DType::I32),
        );
        let got = d.broadcast(&mine, root);
        assert_eq!(got.0.to_vec::<f32>(), vec![root as f32; 3]);
        assert_eq!(got.1.to_vec::<i32>(), vec![10 * root as i32]);
    }
}

/// The message of the panic `f` raises (expected, so not printed).
fn panic_message(f: impl FnOnce()) -> String {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    let err = result.expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Rank 1 passes a longer tree: every rank panics with the same clear message (the check is
/// itself one small collective, so no rank is left waiting).
fn broadcast_mismatch(d: &Dist) {
    if d.size() < 2 {
        return;
    }
    d.abort_on_panic(false);
    let len = if d.rank() == 1 { 4 } else { 3 };
    let msg = panic_message(|| {
        d.broadcast(&Tensor::zeros(&[len], DType::F32), 0);
    });
    d.abort_on_panic(true);
    assert!(
        msg.contains("dist::broadcast: the ranks passed trees of different"),
        "{msg}"
    );
}

fn tracer_leaf_is_an_error(d: &Dist) {
    d.abort_on_panic(false);
    let msg = panic_message(|| {
        grad(|x: &Tensor| d.all_reduce_sum(x).sum())(&Tensor::scalar(1.0f32));
    });
    d.abort_on_panic(true);
    assert!(msg.contains("dist::all_reduce_sum: leaf 0"), "{msg}");
    assert!(msg.contains("Dist::with_axis"), "{msg}");
}

fn named_axis_collectives(d: &Dist) {
    let (r, n) = (d.rank() as f32, d.size() as f32);
    let x = Tensor::from_vec(vec![r, -r, 1.0], &[3]);
    let f = |x: &Tensor| {
        (
            ferrax::lax::psum(x, "batch"),
            ferrax::lax::pmean(x, "batch"),
            ferrax::lax::pmax(x, "batch"),
            ferrax::lax::pmin(x, "batch"),
            ferrax::lax::axis_index("batch"),
        )
    };
    let eager = d.with_axis("batch", || f(&x));
    let jitted = jit(f);
    let compiled = d.with_axis("batch", || jitted(&x));
    let tri = n * (n - 1.0) / 2.0;
    for (s, m, mx, mn, i) in [eager, compiled] {
        assert_eq!(s.to_vec::<f32>(), vec![tri, -tri, n]);
        assert_eq!(m.to_vec::<f32>(), vec![tri / n, -tri / n, 1.0]);
        assert_eq!(mx.to_vec::<f32>(), vec![n - 1.0, 0.0, 1.0]);
        assert_eq!(mn.to_vec::<f32>(), vec![0.0, 1.0 - n, 1.0]);
        assert_eq!(i.item::<i32>(), d.rank() as i32);
    }
}

/// A compiled program may run on the pool's workers: the binding is process-wide, so a
/// collective evaluated on another thread inside `with_axis` still reaches MPI (a
/// regression: a thread-local binding failed for the digits MLP with 1024 hidden units).
fn binding_seen_from_worker_threads(d: &Dist) {
    let x = Tensor::scalar(1.0f32);
    let total = d.with_axis("batch", || {
        std::thread::scope(|s| {
            s.spawn(|| ferrax::lax::psum(&x, "batch"))
                .join()
                .expect("the worker's psum")
        })
    });
    assert_eq!(total.item::<f32>(), d.size() as f32);
}

/// Rank `r`'s input, a function of the rank.
fn input_of(rank: usize) -> Tensor {
    let r = rank as f32;
    Tensor::from_vec(vec![0.5 + r, 1.0 - 0.25 * r, 0.1 * r], &[3])
}

/// A step with collectives under grad and jit: the per-rank results equal row `rank` of
/// `vmap_with(f, axis "batch")` over every rank's input stacked.
fn named_axis_matches_vmap(d: &Dist) {
    let f = |x: &Tensor| {
        let loss = |x: &Tensor| (ferrax::lax::psum(&(x * x), "batch") * x.sin()).sum();
        let g = grad(loss)(x);
        let centered = x - ferrax::lax::pmean(x, "batch");
        (g, centered * ferrax::lax::pmax(&x.sum(), "batch"))
    };
    let all: Vec<Tensor> = (0..d.size()).map(input_of).collect();
    let stacked = ferrax::numpy::stack(&all, 0);
    let (g_ref, c_ref) = vmap_with(f, VmapSpec::new().axis_name("batch"))(&stacked);
    let row = |t: &Tensor| t.to_vec::<f32>()[3 * d.rank()..3 * d.rank() + 3].to_vec();
    let jf = jit(f);
    for (g, c) in [
        d.with_axis("batch", || f(&input_of(d.rank()))),
        d.with_axis("batch", || jf(&input_of(d.rank()))),
    ] {
        for (got, want) in g.to_vec::<f32>().iter().zip(row(&g_ref)) {
            assert!(
                (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                "grad {got} vs vmap {want}"
            );
        }
        for (got, want) in c.to_vec::<f32>().iter().zip(row(&c_ref)) {
            assert!(
                (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                "{got} vs vmap {want}"
            );
        }
    }
}

/// A vmap axis "ex" inside the process axis "batch": psum over "ex" sums this rank's examples,
/// psum over "batch" then sums over ranks (applied to the whole batched value).
fn vmap_axis_inside(d: &Dist) {
    let n = d.size() as f32;
    let r = d.rank() as f32;
    let xs = Tensor::from_vec(vec![r, r + 1.0, r + 2.0, r + 3.0], &[4]);
    let f = vmap_with(
        |x: &Tensor| {
            let local = ferrax::lax::psum(x, "ex");
            (
                ferrax::lax::psum(&local, "batch"),
                ferrax::lax::psum(x, "batch"),
            )
        },
        VmapSpec::new().axis_name("ex"),
    );
    let (total, per_example) = d.with_axis("batch", || f(&xs));
    // sum over ranks s of (4s + 6) = 4 n(n-1)/2 + 6n.
    let want = 2.0 * n * (n - 1.0) + 6.0 * n;
    assert_eq!(total.to_vec::<f32>(), vec![want; 4]);
    let tri = n * (n - 1.0) / 2.0;
    let expect: Vec<f32> = (0..4).map(|k| tri + n * k as f32).collect();
    assert_eq!(per_example.to_vec::<f32>(), expect);
}

fn unbound_axis(d: &Dist) {
    d.abort_on_panic(false);
    let msg = panic_message(|| {
        ferrax::lax::psum(&Tensor::scalar(1.0f32), "nowhere");
    });
    d.abort_on_panic(true);
    assert!(msg.contains("psum: unbound axis name 'nowhere'"), "{msg}");
    assert!(msg.contains("Dist::with_axis(\"nowhere\""), "{msg}");
}

fn psum_tree_jit(d: &Dist) {
    let r = d.rank() as f64;
    let tree = (
        Tensor::full(&[2, 2], r + 0.5, DType::F32),
        vec![Tensor::full(&[3], 2.0 * r, DType::F32)],
        Tensor::full(&[2], r, DType::F64),
    );
    let f = jit(|t: &(Tensor, Vec<Tensor>, Tensor)| dist::psum_tree(t, "batch"));
    let (a, b, c) = d.with_axis("batch", || f(&tree));
    let (ra, rb, rc) = d.all_reduce_sum(&tree);
    assert_eq!(a.to_vec::<f32>(), ra.to_vec::<f32>());
    assert_eq!(b[0].to_vec::<f32>(), rb[0].to_vec::<f32>());
    assert_eq!(c.to_vec::<f64>(), rc.to_vec::<f64>());
    // The flattened group is one concatenate and one psum in the jaxpr.
    let text = make_jaxpr(|t: &(Tensor, Vec<Tensor>, Tensor)| dist::psum_tree(t, "batch"))(&tree)
        .to_string();
    assert_eq!(text.matches("psum[").count(), 2, "{text}");
}

/// The global batch (10 examples, uneven shards on 3+ ranks), known to every rank: the
/// data-parallel mean loss and gradient equal the one-process ones over the whole batch.
fn data_parallel_grad(d: &Dist) {
    let x = Tensor::linspace(-1.0, 1.0, 30, DType::F32).reshape(&[10, 3]);
    let y = Tensor::linspace(0.0, 2.0, 10, DType::F32).reshape(&[10, 1]);
    let w = Tensor::from_vec(vec![0.3f32, -0.2, 0.5], &[3, 1]);
    let loss = |w: &Tensor, (x, y): &(Tensor, Tensor)| (x.matmul(w).tanh() - y).powi(2).mean();
    let (l_ref, g_ref) = value_and_grad(|w: &Tensor| loss(w, &(x.clone(), y.clone())))(&w);
    let dp = d.data_parallel("batch");
    let shard = dp
        .shard(Batches::new(&(x.clone(), y.clone()), 10))
        .epoch(0)
        .next()
        .expect("one batch");
    let vg = dp.value_and_grad(loss);
    let jvg = jit(|(w, b): &(Tensor, (Tensor, Tensor))| vg(w, b));
    for (l, g) in [
        dp.run(|| vg(&w, &shard)),
        dp.run(|| jvg(&(w.clone(), shard.clone()))),
    ] {
        assert!((l.item::<f32>() - l_ref.item::<f32>()).abs() < 1e-6);
        for (a, b) in g.to_vec::<f32>().iter().zip(g_ref.to_vec::<f32>()) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }
}

/// Every rank's shards, summed over ranks, rebuild each shuffled global batch exactly.
fn shards_cover_batches(d: &Dist) {
    let x = Tensor::arange(0.0, 23.0, 1.0, DType::F32);
    let global = Batches::new(&x, 8).shuffle(&ferrax::random::key(3));
    let mine = d.data_parallel("batch").shard(global.clone());
    for (g, m) in global.epoch(1).zip(mine.epoch(1)) {
        // Scatter this rank's part into a zero batch, sum over ranks: the global batch.
        let b = g.shape()[0];
        let (lo, hi) = (d.rank() * b / d.size(), (d.rank() + 1) * b / d.size());
        assert_eq!(m.shape()[0], hi - lo);
        let mut full = vec![0.0f32; b];
        full[lo..hi].copy_from_slice(&m.to_vec::<f32>());
        let summed = d.all_reduce_sum(&Tensor::from_vec(full, &[b]));
        assert_eq!(summed.to_vec::<f32>(), g.to_vec::<f32>());
    }
}
