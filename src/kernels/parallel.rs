//! The one cost model that decides when work goes parallel. Every kernel states its work as
//! an estimated single-thread time in **nanoseconds** (one function per kind of work below)
//! and asks [`should_parallelize`]; the threshold, [`PARALLEL_MIN_NS`], is one number for
//! all of them, and the two thresholds of compiled programs ([`PAIR_MIN_NS`],
//! [`POOL_MIN_NS`]) are stated in the same unit. Splitting pays only when the work is well
//! above the cost of waking the other threads (tens of µs from outside the pool, plus their
//! spin-yield while idle), so a small step stays on the calling thread.
//!
//! The per-kind rates are single-core throughputs of this crate's own kernels on the x86-64
//! machines it is tuned on; they only need to be right within a small factor, since they
//! place one crossover each.
//!
//! ```
//! use ferrax::internals::kernels::parallel::{gemm_ns, should_parallelize, window_ns};
//! assert!(!should_parallelize(gemm_ns(64 * 64 * 64)));
//! assert_eq!(window_ns(1 << 17), gemm_ns(1 << 23)); // both at the crossover
//! ```

/// Estimated single-thread time (ns) from which work runs on all threads.
pub const PARALLEL_MIN_NS: f64 = 60_000.0;

// The rates, as ns per unit of work: 2^23 multiply-adds, 2^17 window taps and 2^15 random
// values each take about PARALLEL_MIN_NS on one core (each quotient is exact in binary, so
// the crossovers fall on those counts exactly).
/// ns per multiply-add of a gemm-backed product (matmul, the convolutions' blocks).
const NS_PER_MAC: f64 = PARALLEL_MIN_NS / (1u64 << 23) as f64;
/// ns per window tap (one compare or add per channel element).
const NS_PER_TAP: f64 = PARALLEL_MIN_NS / (1u64 << 17) as f64;
/// ns per random value (threefry of one counter plus the sampler's arithmetic).
const NS_PER_RANDOM: f64 = PARALLEL_MIN_NS / (1u64 << 15) as f64;
/// ns per threefry hash alone (broadcast keys and counters, no sampler after it): about half
/// of a random value's.
const NS_PER_THREEFRY: f64 = PARALLEL_MIN_NS / (1u64 << 16) as f64;
/// ns per element and op of a fused elementwise group (vectorized loops over L1-resident
/// chunks, measured on the MLP and Adam groups).
const NS_PER_FUSED_OP: f64 = 0.15;
/// ns per element and operand (input or output) of a fused group: its memory traffic.
const NS_PER_FUSED_OPERAND: f64 = 0.3;

/// The time of `macs` multiply-adds in a matrix product or convolution.
#[inline]
pub const fn gemm_ns(macs: usize) -> f64 {
    macs as f64 * NS_PER_MAC
}

/// The time of `taps` window taps (each tap one compare or add per channel element).
#[inline]
pub fn window_ns(taps: usize) -> f64 {
    taps as f64 * NS_PER_TAP
}

/// The time of drawing `n` random values.
#[inline]
pub fn random_ns(n: usize) -> f64 {
    n as f64 * NS_PER_RANDOM
}

/// The time of hashing `n` counters with threefry2x32.
#[inline]
pub fn threefry_ns(n: usize) -> f64 {
    n as f64 * NS_PER_THREEFRY
}

/// The time of a fused elementwise group of `ops` ops over `n` elements reading and writing
/// `operands` arrays.
#[inline]
pub fn fused_ns(n: usize, ops: usize, operands: usize) -> f64 {
    n as f64 * (NS_PER_FUSED_OP * ops as f64 + NS_PER_FUSED_OPERAND * operands as f64)
}

/// The time of an unfused elementwise or data-movement op over `elements` elements of all
/// its operands and outputs together (its memory traffic).
///
/// ```
/// use ferrax::internals::kernels::parallel::elementwise_ns;
/// assert!(elementwise_ns(3 * 1024) > elementwise_ns(1024));
/// ```
#[inline]
pub fn elementwise_ns(elements: usize) -> f64 {
    elements as f64 * NS_PER_FUSED_OPERAND
}

/// Estimated time (ns) from which two adjacent independent steps of a compiled program run
/// side by side on two threads (`interp::Program`): inside the pool a `join` costs ~40 ns,
/// but each half must be long enough to hide waking an idle core (~10 µs). A product of
/// 1.5 M multiply-adds.
pub const PAIR_MIN_NS: f64 = gemm_ns(1_500_000);

/// Estimated time (ns) of one run of a compiled program (or of a whole loop) from which it
/// runs inside the rayon pool, so that its parallel kernels each cost a cheap `join` instead
/// of a wake-up of the pool. A product of 10 M multiply-adds.
pub const POOL_MIN_NS: f64 = gemm_ns(10_000_000);

/// Whether work estimated at `cost_ns` single-thread nanoseconds should be split across
/// threads: it is above [`PARALLEL_MIN_NS`] and there is more than one thread to split over.
#[inline]
pub fn should_parallelize(cost_ns: f64) -> bool {
    cost_ns >= PARALLEL_MIN_NS && rayon::current_num_threads() > 1
}

/// Whether work estimated at `cost_ns`, below [`should_parallelize`]'s threshold, should
/// still be cut in two for the pool's threads because it runs on a pool thread already
/// (inside a compiled loop body or program), where the other threads are awake and a `join`
/// costs little: from [`PAIR_MIN_NS`], the crossover of pairing two program steps.
///
/// ```
/// use ferrax::internals::kernels::parallel::split_on_pool;
/// assert!(!split_on_pool(1e9)); // not on a pool thread here
/// ```
#[inline]
pub fn split_on_pool(cost_ns: f64) -> bool {
    cost_ns >= PAIR_MIN_NS
        && rayon::current_thread_index().is_some()
        && rayon::current_num_threads() > 1
}

/// The length of the pieces `n` items are split into for a parallel loop: two per thread (so
/// one slow piece does not hold the others up for long), at least `min_len` items each.
///
/// ```
/// use ferrax::internals::kernels::parallel::chunk_len;
/// assert!(chunk_len(10, 4096) == 4096);
/// ```
#[inline]
pub fn chunk_len(n: usize, min_len: usize) -> usize {
    n.div_ceil(rayon::current_num_threads() * 2).max(min_len)
}

/// Runs `f(i, chunk)` on the `i`-th `chunk_len`-element chunk of `data`, the chunks in
/// parallel. The closure is a trait object, so rayon's machinery is instantiated once per
/// element type rather than once per kernel, closure and element type (the crate's compile
/// time; one indirect call per chunk costs nothing next to a chunk's work).
///
/// ```
/// use ferrax::internals::kernels::parallel::par_chunks_mut;
/// let mut v = vec![0usize; 6];
/// par_chunks_mut(&mut v, 2, &|i, c| c.fill(i));
/// assert_eq!(v, [0, 0, 1, 1, 2, 2]);
/// ```
pub fn par_chunks_mut<T: Send>(
    data: &mut [T],
    chunk_len: usize,
    f: &(dyn Fn(usize, &mut [T]) + Sync),
) {
    use rayon::prelude::*;
    data.par_chunks_mut(chunk_len)
        .enumerate()
        .for_each(|(i, c)| f(i, c));
}

/// The body of [`par_chunks_mut_with_scratch`]: `(scratch, chunk index, chunk)`.
pub type ScratchChunkFn<'a, T, S> = dyn Fn(&mut Vec<S>, usize, &mut [T]) + Sync + 'a;

/// [`par_chunks_mut`] with a scratch vector per worker (created empty, reused across the
/// chunks a worker runs), for kernels that pack into a buffer.
///
/// ```
/// use ferrax::internals::kernels::parallel::par_chunks_mut_with_scratch;
/// let mut v = vec![0.0f32; 4];
/// par_chunks_mut_with_scratch(&mut v, 2, &|scratch: &mut Vec<f32>, i, c| {
///     scratch.clear();
///     scratch.extend([i as f32; 2]);
///     c.copy_from_slice(scratch);
/// });
/// assert_eq!(v, [0.0, 0.0, 1.0, 1.0]);
/// ```
pub fn par_chunks_mut_with_scratch<T: Send, S: Send>(
    data: &mut [T],
    chunk_len: usize,
    f: &ScratchChunkFn<'_, T, S>,
) {
    use rayon::prelude::*;
    data.par_chunks_mut(chunk_len)
        .enumerate()
        .for_each_init(Vec::new, |scratch, (i, c)| f(scratch, i, c));
}
