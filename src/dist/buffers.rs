//! Pytree leaves to one contiguous buffer per dtype, one MPI call per buffer, and back; the
//! collective timeout watchdog.

use crate::prims::collective::GroupReduce;
use crate::tensor::{ArrayData, ArrayElement, DType, Tensor};
use mpi::collective::SystemOperation;
use mpi::datatype::Equivalence;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use std::cell::RefCell;
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

/// The leaves' indices grouped by dtype, in order of first appearance.
#[track_caller]
fn by_dtype(leaves: &[Tensor], op: &'static str) -> Vec<(DType, Vec<usize>)> {
    let mut groups: Vec<(DType, Vec<usize>)> = Vec::new();
    for (i, l) in leaves.iter().enumerate() {
        assert!(
            l.is_concrete(),
            "dist::{op}: leaf {i} (shape {:?}) is a tracer; inside traced code (grad, vmap, jit) \
             use lax::psum/pmean over an axis bound with Dist::with_axis, or dist::psum_tree",
            l.shape()
        );
        let dt = l.dtype();
        assert!(
            SUPPORTED.contains(&dt),
            "dist::{op}: leaf {i} has dtype {dt:?} (shape {:?}); collectives carry f32, f64, \
             i32, i64, u32 and u64",
            l.shape()
        );
        match groups.iter_mut().find(|(d, _)| *d == dt) {
            Some((_, idx)) => idx.push(i),
            None => groups.push((dt, vec![i])),
        }
    }
    groups
}

/// The element types collectives carry: plain numbers, valid for every bit pattern, with
/// alignment at most 8 (so they can live in the `u64` scratch buffers).
trait Plain: ArrayElement + Equivalence + Copy {}
impl Plain for f32 {}
impl Plain for f64 {}
impl Plain for i32 {}
impl Plain for i64 {}
impl Plain for u32 {}
impl Plain for u64 {}

thread_local! {
    /// Send and receive buffers kept between calls: a fresh buffer of gradient size would be
    /// page-faulted in on every step (measured: a third of a 64 MB all-reduce).
    static SCRATCH: RefCell<(Vec<u64>, Vec<u64>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// `buf` (grown as needed) as `n` elements of `T`.
fn as_elements<T: Plain>(buf: &mut Vec<u64>, n: usize) -> &mut [T] {
    let words = (n * std::mem::size_of::<T>()).div_ceil(8);
    if buf.len() < words {
        buf.resize(words, 0);
    }
    // SAFETY: `buf` holds at least `n * size_of::<T>()` initialized bytes, its alignment (8)
    // is at least `T`'s (every `Plain` type has alignment <= 8), every bit pattern is a valid
    // `T`, and the returned slice borrows `buf` mutably, so nothing else aliases it.
    unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<T>(), n) }
}

/// Runs `f` with this thread's send and receive buffers as `n` and `n_recv` elements of `T`.
fn with_scratch<T: Plain, R>(
    n: usize,
    n_recv: usize,
    f: impl FnOnce(&mut [T], &mut [T]) -> R,
) -> R {
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let (send, recv) = &mut *s;
        f(as_elements(send, n), as_elements(recv, n_recv))
    })
}

/// The leaves `idx` (all of element type `T`) concatenated, row-major, into `buf`.
fn gather<T: Plain>(leaves: &[Tensor], idx: &[usize], buf: &mut [T]) {
    let mut off = 0;
    for &i in idx {
        let a = T::view(leaves[i].array()).expect("grouped by dtype");
        let a = a.as_slice().expect("arrays are in standard layout");
        buf[off..off + a.len()].copy_from_slice(a);
        off += a.len();
    }
}

/// Splits `buf` back into arrays shaped like the leaves `idx`, into `out`.
fn scatter<T: Plain>(buf: &[T], leaves: &[Tensor], idx: &[usize], out: &mut [Option<Tensor>]) {
    let mut off = 0;
    for &i in idx {
        let n = leaves[i].size();
        let part = buf[off..off + n].to_vec();
        out[i] = Some(Tensor::from(ArrayData::from_vec(part, leaves[i].shape())));
        off += n;
    }
}

fn group_len(leaves: &[Tensor], idx: &[usize]) -> usize {
    idx.iter().map(|&i| leaves[i].size()).sum()
}

fn reduce_group<T: Plain>(
    leaves: &[Tensor],
    idx: &[usize],
    op: GroupReduce,
    name: &'static str,
    out: &mut [Option<Tensor>],
) {
    let op = match op {
        GroupReduce::Sum => SystemOperation::sum(),
        GroupReduce::Max => SystemOperation::max(),
        GroupReduce::Min => SystemOperation::min(),
    };
    let n = group_len(leaves, idx);
    with_scratch::<T, _>(n, n, |send, recv| {
        gather(leaves, idx, send);
        watched(name, || {
            SimpleCommunicator::world().all_reduce_into(&send[..], &mut recv[..], op)
        });
        scatter(recv, leaves, idx, out);
    });
}

fn broadcast_group<T: Plain>(
    leaves: &[Tensor],
    idx: &[usize],
    root: usize,
    out: &mut [Option<Tensor>],
) {
    with_scratch::<T, _>(group_len(leaves, idx), 0, |buf, _| {
        gather(leaves, idx, buf);
        watched("broadcast", || {
            SimpleCommunicator::world()
                .process_at_rank(root as i32)
                .broadcast_into(&mut buf[..])
        });
        scatter(buf, leaves, idx, out);
    });
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

/// The elementwise reduction of `leaves` over all processes: one `MPI_Allreduce` per dtype.
#[track_caller]
pub(super) fn all_reduce(leaves: &[Tensor], op: GroupReduce, name: &'static str) -> Vec<Tensor> {
    let groups = by_dtype(leaves, name);
    let mut out = vec![None; leaves.len()];
    for (dt, idx) in &groups {
        with_type!(*dt, T => reduce_group::<T>(leaves, idx, op, name, &mut out));
    }
    out.into_iter()
        .map(|t| t.expect("every leaf is in a group"))
        .collect()
}

/// `root`'s leaves on every process, after checking every rank passed the same signature.
#[track_caller]
pub(super) fn broadcast(leaves: &[Tensor], root: usize, def: &str) -> Vec<Tensor> {
    let groups = by_dtype(leaves, "broadcast");
    check_same_signature(leaves, def);
    let mut out = vec![None; leaves.len()];
    for (dt, idx) in &groups {
        with_type!(*dt, T => broadcast_group::<T>(leaves, idx, root, &mut out));
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
