//! Pytree leaves packed into one buffer per dtype, reduced or broadcast in cache-sized
//! segments, and unpacked into new leaves; the collective timeout watchdog.

use crate::kernels::pool;
use crate::prims::collective::GroupReduce;
use crate::tensor::{ArrayData, ArrayElement, DType, Tensor};
use mpi::collective::SystemOperation;
use mpi::datatype::Equivalence;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The dtypes a collective can carry (MPI has a matching datatype for each).
const SUPPORTED: [DType; 6] = [
    DType::F32,
    DType::F64,
    DType::I32,
    DType::I64,
    DType::U32,
    DType::U64,
];

/// Panics unless every leaf is a concrete tensor (collectives run on values, not tracers).
#[track_caller]
fn concrete_arrays<'a>(leaves: &'a [Tensor], op: &'static str) -> Vec<&'a ArrayData> {
    leaves
        .iter()
        .enumerate()
        .map(|(i, l)| {
            assert!(
                l.is_concrete(),
                "dist::{op}: leaf {i} (shape {:?}) is a tracer; inside traced code (grad, vmap, \
                 jit) use lax::psum/pmean over an axis bound with Dist::with_axis, or \
                 dist::psum_tree",
                l.shape()
            );
            l.array()
        })
        .collect()
}

/// The arrays' indices grouped by dtype, in order of first appearance.
#[track_caller]
fn by_dtype(arrays: &[&ArrayData], op: &'static str) -> Vec<(DType, Vec<usize>)> {
    let mut groups: Vec<(DType, Vec<usize>)> = Vec::new();
    for (i, a) in arrays.iter().enumerate() {
        let dt = a.dtype();
        assert!(
            SUPPORTED.contains(&dt),
            "dist::{op}: leaf {i} has dtype {dt:?} (shape {:?}); collectives carry f32, f64, \
             i32, i64, u32 and u64",
            a.shape()
        );
        match groups.iter_mut().find(|(d, _)| *d == dt) {
            Some((_, idx)) => idx.push(i),
            None => groups.push((dt, vec![i])),
        }
    }
    groups
}

/// The element types collectives carry: plain numbers with a matching MPI datatype.
trait Plain: ArrayElement + Equivalence + Copy + Default {}
impl Plain for f32 {}
impl Plain for f64 {}
impl Plain for i32 {}
impl Plain for i64 {}
impl Plain for u32 {}
impl Plain for u64 {}

/// Bytes per MPI call: the leaves of one dtype are packed into one buffer and reduced in
/// segments of this size. Measured on 2 ranks over shared memory (docs/distributed.md): packing
/// and unpacking a cache-sized segment costs next to nothing, while packing the whole buffer
/// first and unpacking it after are two extra passes over memory (the pytree path ran at
/// 50-80% of one raw `MPI_Allreduce` of the whole buffer that way).
const SEGMENT_BYTES: usize = 256 << 10;

/// Runs one collective per segment of the leaves `idx` (all of element type `T`), packed in
/// order: `call(send, recv)` gets the segment's packed values in `send` and leaves the
/// segment's result in `recv`; the results, unpacked, are the returned arrays (shaped like
/// the leaves, in `idx` order).
fn segmented<T: Plain>(
    arrays: &[&ArrayData],
    idx: &[usize],
    mut call: impl FnMut(&[T], &mut [T]),
) -> Vec<ArrayData> {
    let leaves: Vec<std::borrow::Cow<'_, [T]>> = idx
        .iter()
        .map(|&i| {
            let a = T::view(arrays[i]).expect("grouped by dtype");
            match a.as_slice() {
                Some(s) => std::borrow::Cow::Borrowed(s),
                None => std::borrow::Cow::Owned(a.iter().copied().collect()),
            }
        })
        .collect();
    let total: usize = leaves.iter().map(|l| l.len()).sum();
    let seg = (SEGMENT_BYTES / std::mem::size_of::<T>()).clamp(1, total.max(1));
    let (mut send, mut recv) = (pool::take_filled::<T>(seg), pool::take_filled::<T>(seg));
    let mut out: Vec<Vec<T>> = leaves.iter().map(|l| pool::take::<T>(l.len())).collect();
    // (leaf, offset in it) where the next segment starts, for packing and for unpacking.
    let (mut pack, mut unpack) = ((0usize, 0usize), (0usize, 0usize));
    let mut done = 0;
    while done < total {
        let len = seg.min(total - done);
        let mut filled = 0;
        while filled < len {
            let (leaf, at) = pack;
            let take = (leaves[leaf].len() - at).min(len - filled);
            send[filled..filled + take].copy_from_slice(&leaves[leaf][at..at + take]);
            filled += take;
            pack = if at + take == leaves[leaf].len() {
                (leaf + 1, 0)
            } else {
                (leaf, at + take)
            };
        }
        call(&send[..len], &mut recv[..len]);
        let mut used = 0;
        while used < len {
            let (leaf, at) = unpack;
            let take = (leaves[leaf].len() - at).min(len - used);
            out[leaf].extend_from_slice(&recv[used..used + take]);
            used += take;
            unpack = if at + take == leaves[leaf].len() {
                (leaf + 1, 0)
            } else {
                (leaf, at + take)
            };
        }
        done += len;
    }
    pool::give(send);
    pool::give(recv);
    out.into_iter()
        .zip(idx)
        .map(|(v, &i)| ArrayData::from_vec(v, arrays[i].shape()))
        .collect()
}

/// Runs `$body` with `$T` the element type of `$dt` (one of [`SUPPORTED`]).
macro_rules! with_type {
    ($dt:expr, $T:ident => $body:expr) => {
        match $dt {
            DType::F32 => {
                type $T = f32;
                $body
            }
            DType::F64 => {
                type $T = f64;
                $body
            }
            DType::I32 => {
                type $T = i32;
                $body
            }
            DType::I64 => {
                type $T = i64;
                $body
            }
            DType::U32 => {
                type $T = u32;
                $body
            }
            DType::U64 => {
                type $T = u64;
                $body
            }
            other => unreachable!("{other:?} is not a collective dtype"),
        }
    };
}

/// The elementwise reduction of `arrays` over all processes: per dtype, the leaves packed into
/// one buffer, reduced by `MPI_Allreduce` in segments of [`SEGMENT_BYTES`].
#[track_caller]
pub(super) fn all_reduce_arrays(
    arrays: &[&ArrayData],
    op: GroupReduce,
    name: &'static str,
) -> Vec<ArrayData> {
    let mpi_op = match op {
        GroupReduce::Sum => SystemOperation::sum(),
        GroupReduce::Max => SystemOperation::max(),
        GroupReduce::Min => SystemOperation::min(),
    };
    let world = SimpleCommunicator::world();
    let mut out: Vec<Option<ArrayData>> = vec![None; arrays.len()];
    for (dt, idx) in by_dtype(arrays, name) {
        let results = with_type!(dt, T => watched(name, || {
            segmented::<T>(arrays, &idx, |send, recv| world.all_reduce_into(send, recv, mpi_op))
        }));
        for (i, r) in idx.into_iter().zip(results) {
            out[i] = Some(r);
        }
    }
    out.into_iter()
        .map(|a| a.expect("every leaf is in a group"))
        .collect()
}

/// [`all_reduce_arrays`] over concrete tensors.
#[track_caller]
pub(super) fn all_reduce(leaves: &[Tensor], op: GroupReduce, name: &'static str) -> Vec<Tensor> {
    let arrays = concrete_arrays(leaves, name);
    all_reduce_arrays(&arrays, op, name)
        .into_iter()
        .map(Tensor::from)
        .collect()
}

/// `root`'s leaves on every process, after checking every rank passed the same signature.
#[track_caller]
pub(super) fn broadcast(leaves: &[Tensor], root: usize, def: &str) -> Vec<Tensor> {
    let arrays = concrete_arrays(leaves, "broadcast");
    let groups = by_dtype(&arrays, "broadcast");
    check_same_signature(leaves, def);
    let world = SimpleCommunicator::world();
    let root_process = world.process_at_rank(root as i32);
    let mut out: Vec<Option<Tensor>> = vec![None; leaves.len()];
    for (dt, idx) in groups {
        let results = with_type!(dt, T => watched("broadcast", || {
            segmented::<T>(&arrays, &idx, |send, recv| {
                recv.copy_from_slice(send);
                root_process.broadcast_into(recv);
            })
        }));
        for (i, r) in idx.into_iter().zip(results) {
            out[i] = Some(Tensor::from(r));
        }
    }
    out.into_iter()
        .map(|t| t.expect("every leaf is in a group"))
        .collect()
}

/// Panics on every rank unless all ranks hold trees of one structure, shapes and dtypes: the
/// minimum and maximum over ranks of a hash of the signature, in one small all-reduce.
#[track_caller]
fn check_same_signature(leaves: &[Tensor], def: &str) {
    use std::hash::{Hash, Hasher};
    let signature = format!(
        "{def} {:?}",
        leaves
            .iter()
            .map(|l| (l.dtype(), l.shape().to_vec()))
            .collect::<Vec<_>>()
    );
    let mut h = std::collections::hash_map::DefaultHasher::new();
    signature.hash(&mut h);
    let mine = h.finish();
    // min over ranks of (h, !h) gives (min h, !max h).
    let send = [mine, !mine];
    let mut recv = [0u64; 2];
    watched("broadcast", || {
        SimpleCommunicator::world().all_reduce_into(
            &send[..],
            &mut recv[..],
            SystemOperation::min(),
        )
    });
    assert!(
        recv[0] == mine && !recv[1] == mine,
        "dist::broadcast: the ranks passed trees of different structures, shapes or dtypes \
         (this rank: {signature}); every rank must pass a tree like the root's"
    );
}

// ---- the collective timeout (FERRAX_DIST_TIMEOUT) ----

/// When the current collective started, in ms since [`clock_start`] plus one (0: none).
static IN_COLLECTIVE: AtomicU64 = AtomicU64::new(0);

fn clock_start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// The collective timeout, from `FERRAX_DIST_TIMEOUT` (seconds), if set and positive.
pub(super) fn timeout() -> Option<Duration> {
    let s: f64 = std::env::var("FERRAX_DIST_TIMEOUT").ok()?.parse().ok()?;
    (s > 0.0).then(|| Duration::from_secs_f64(s))
}

/// The name of the collective in progress, for the watchdog's message.
static CURRENT: Mutex<&str> = Mutex::new("");

/// Runs the MPI call `f`, marked as in progress for the watchdog.
pub(super) fn watched<R>(name: &'static str, f: impl FnOnce() -> R) -> R {
    if let Ok(mut c) = CURRENT.lock() {
        *c = name;
    }
    let now = clock_start().elapsed().as_millis() as u64 + 1;
    IN_COLLECTIVE.store(now, Ordering::Relaxed);
    let r = f();
    IN_COLLECTIVE.store(0, Ordering::Relaxed);
    r
}

/// With `FERRAX_DIST_TIMEOUT` set, a thread that aborts the job (`MPI_Abort`) when one
/// collective has waited longer than the timeout: a rank that hangs (or a program where the
/// ranks disagree on the collectives they call) then fails with a message instead of waiting
/// forever.
pub(super) fn start_watchdog(rank: usize) {
    let Some(limit) = timeout() else { return };
    clock_start();
    std::thread::spawn(move || loop {
        std::thread::sleep((limit / 4).min(Duration::from_millis(500)));
        let started = IN_COLLECTIVE.load(Ordering::Relaxed);
        if started == 0 {
            continue;
        }
        let now = clock_start().elapsed().as_millis() as u64 + 1;
        if Duration::from_millis(now.saturating_sub(started)) > limit {
            let name = CURRENT.lock().map(|c| *c).unwrap_or("?");
            eprintln!(
                "ferrax::dist: rank {rank} waited more than FERRAX_DIST_TIMEOUT={:.1} s in one \
                 collective ({name}): another rank is stuck, died, or called a different \
                 collective; calling MPI_Abort",
                limit.as_secs_f64()
            );
            SimpleCommunicator::world().abort(110);
        }
    });
}
