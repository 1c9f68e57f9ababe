//! `ferrax::dist` (feature `mpi`): data-parallel training across processes on MPI.
//!
//! The same program runs on every process (started by `mpirun -np N`); processes talk only
//! through collectives, each reached by every process in the same order:
//!
//! - [`init`] starts MPI once per process and returns the [`Dist`] handle: [`Dist::rank`],
//!   [`Dist::size`], [`Dist::barrier`], and collectives over whole pytrees of concrete
//!   tensors, [`Dist::all_reduce_sum`], [`Dist::all_reduce_mean`], [`Dist::broadcast`]: the
//!   leaves are packed into one flattened buffer per dtype present in the tree, not one
//!   message per leaf, and the buffer is reduced in 256 KiB segments (one MPI call each), so
//!   packing and unpacking stay in cache.
//! - Named axes: [`Dist::with_axis`] binds an axis name to the communicator while a closure
//!   runs, so `lax::psum(x, "batch")` (and `pmean`, `pmax`, `pmin`, `axis_index`) inside traced
//!   code, `jit` included, evaluates as the all-reduce over processes: JAX's `shard_map`
//!   model. A `vmap` axis inside reduces locally first; [`psum_tree`] sums a whole pytree
//!   over an axis as one collective.
//! - [`DataParallel`]: parameters broadcast from rank 0, each rank's shard of every global
//!   batch (`Batches::shard`), gradients averaged over the global batch inside the step
//!   (weighted by shard size), the same optimizer update everywhere, checkpoints written by
//!   rank 0 only.
//! - Failure: a panic on any rank calls `MPI_Abort`, so `mpirun` ends every rank with the
//!   panic message instead of leaving the others waiting in a collective;
//!   `FERRAX_DIST_TIMEOUT=SECONDS` aborts the job when one collective waits longer than that.
//!
//! `docs/distributed.md` covers running across hosts. A run with one process (no `mpirun`)
//! is an MPI job of size 1, where every collective is the identity:
//!
//! ```
//! use ferrax::prelude::*;
//! let dist = ferrax::dist::init();
//! let grads = (Tensor::from_vec(vec![1.0f32, 2.0], &[2]), Tensor::scalar(3.0f64));
//! let summed = dist.all_reduce_sum(&grads);
//! assert_eq!(summed.0.to_vec::<f32>(), vec![1.0 * dist.size() as f32, 2.0 * dist.size() as f32]);
//! let same = dist.with_axis("batch", || ferrax::lax::pmean(&grads.0, "batch"));
//! assert_eq!(same.to_vec::<f32>(), vec![1.0, 2.0]);
//! ```

mod buffers;
mod parallel;

pub use parallel::{psum_tree, DataParallel};

use crate::prims::collective::{with_axis_group, AxisGroup, GroupReduce};
use crate::tensor::ArrayData;
use crate::tree::PyTree;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::sync::Once;

/// Whether a panic on this rank aborts the whole job (see [`Dist::abort_on_panic`]).
static ABORT_ON_PANIC: AtomicBool = AtomicBool::new(true);

/// This process's membership of the MPI job: rank, size and the collectives. Made once per
/// process by [`init`]; clones share it (a [`DataParallel`] holds one), and MPI is finalized
/// when the last clone is dropped (after which MPI cannot start again in this process).
#[derive(Clone)]
pub struct Dist {
    _universe: Arc<mpi::environment::Universe>,
    rank: usize,
    size: usize,
}

/// Starts MPI (as `MPI_Init_thread`, serialized threads: collectives may come from any one
/// thread at a time) and installs the panic hook that aborts the job (see the module docs).
/// Panics if MPI was already started in this process.
///
/// ```
/// let dist = ferrax::dist::init();
/// assert!(dist.rank() < dist.size());
/// ```
#[track_caller]
pub fn init() -> Dist {
    // The watchdog thread may call MPI_Abort while another thread waits in a collective.
    let threading = match buffers::timeout() {
        Some(_) => mpi::Threading::Multiple,
        None => mpi::Threading::Serialized,
    };
    let (universe, _threading) = mpi::initialize_with_threading(threading).unwrap_or_else(|| {
        panic!(
            "dist::init: MPI is already initialized in this process (call dist::init once \
                 and share the Dist handle)"
        )
    });
    let world = universe.world();
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    install_panic_hook(rank, size);
    buffers::start_watchdog(rank);
    // FERRAX_TUNE_MALLOC=1 keeps freed gradient-sized buffers mapped between steps.
    crate::runtime::tune_allocator_if_requested();
    Dist {
        _universe: Arc::new(universe),
        rank,
        size,
    }
}

fn install_panic_hook(rank: usize, size: usize) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            previous(info);
            let live = mpi::environment::is_initialized() && !mpi::environment::is_finalized();
            if size > 1 && live && ABORT_ON_PANIC.load(Ordering::Relaxed) {
                eprintln!(
                    "ferrax::dist: rank {rank} of {size} panicked (message above); calling \
                     MPI_Abort so the other ranks stop instead of waiting for it"
                );
                SimpleCommunicator::world().abort(101);
            }
        }));
    });
}

impl Dist {
    /// This process's rank, `0..size()`.
    ///
    /// ```
    /// assert_eq!(ferrax::dist::init().rank(), 0); // one process: rank 0 of 1
    /// ```
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The number of processes in the job (`mpirun -np N`; 1 without `mpirun`).
    ///
    /// ```
    /// assert!(ferrax::dist::init().size() >= 1);
    /// ```
    pub fn size(&self) -> usize {
        self.size
    }

    /// True on rank 0, the process that writes checkpoints and prints.
    ///
    /// ```
    /// let d = ferrax::dist::init();
    /// assert_eq!(d.is_root(), d.rank() == 0);
    /// ```
    pub fn is_root(&self) -> bool {
        self.rank == 0
    }

    /// Waits until every process has reached the barrier.
    ///
    /// ```
    /// ferrax::dist::init().barrier();
    /// ```
    pub fn barrier(&self) {
        buffers::watched("barrier", || SimpleCommunicator::world().barrier());
    }

    /// Whether a panic on this rank calls `MPI_Abort` when the job has more than one process
    /// (on by default). Turn it off around code that catches its own panics
    /// (`std::panic::catch_unwind`), e.g. tests of error messages.
    ///
    /// ```
    /// let d = ferrax::dist::init();
    /// d.abort_on_panic(false);
    /// assert!(std::panic::catch_unwind(|| panic!("caught")).is_err());
    /// d.abort_on_panic(true);
    /// ```
    pub fn abort_on_panic(&self, on: bool) {
        ABORT_ON_PANIC.store(on, Ordering::Relaxed);
    }

    /// The elementwise sum of `tree` over all processes, on every process. Leaves must be
    /// concrete tensors of one structure and shapes on every rank; f32 and f64 leaves (and the
    /// integer dtypes i32, i64, u32, u64) are packed into one buffer per dtype, reduced by
    /// `MPI_Allreduce` in 256 KiB segments.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let d = ferrax::dist::init();
    /// let s = d.all_reduce_sum(&vec![Tensor::ones(&[3], DType::F32)]);
    /// assert_eq!(s[0].to_vec::<f32>(), vec![d.size() as f32; 3]);
    /// ```
    #[track_caller]
    pub fn all_reduce_sum<T: PyTree>(&self, tree: &T) -> T {
        let (leaves, def) = tree.flatten();
        T::unflatten(
            &def,
            buffers::all_reduce(&leaves, GroupReduce::Sum, "all_reduce_sum"),
        )
    }

    /// The elementwise mean of `tree` over all processes ([`all_reduce_sum`](Dist::all_reduce_sum)
    /// divided by [`size`](Dist::size)); float leaves only.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let d = ferrax::dist::init();
    /// let m = d.all_reduce_mean(&Tensor::from_vec(vec![2.0f64, 4.0], &[2]));
    /// assert_eq!(m.to_vec::<f64>(), vec![2.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn all_reduce_mean<T: PyTree>(&self, tree: &T) -> T {
        let (leaves, def) = tree.flatten();
        for (i, l) in leaves.iter().enumerate() {
            assert!(
                l.dtype().is_float(),
                "dist::all_reduce_mean: leaf {i} of {def} is {:?}; the mean needs float leaves",
                l.dtype()
            );
        }
        let n = self.size as f64;
        let summed = buffers::all_reduce(&leaves, GroupReduce::Sum, "all_reduce_mean");
        T::unflatten(&def, summed.into_iter().map(|s| &s / n).collect())
    }

    /// `root`'s `tree` on every process (e.g. rank 0's initial parameters). Every rank passes
    /// a tree of the same structure, shapes and dtypes (its values are overwritten); this is
    /// checked first, so a mismatch panics on every rank naming both signatures.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let d = ferrax::dist::init();
    /// let p = d.broadcast(&(Tensor::scalar(1.5f32), Tensor::from_vec(vec![7i32], &[1])), 0);
    /// assert_eq!(p.0.item::<f32>(), 1.5);
    /// ```
    #[track_caller]
    pub fn broadcast<T: PyTree>(&self, tree: &T, root: usize) -> T {
        assert!(
            root < self.size,
            "dist::broadcast: root {root} is not a rank of this job of {} processes",
            self.size
        );
        let (leaves, def) = tree.flatten();
        T::unflatten(&def, buffers::broadcast(&leaves, root, &def.to_string()))
    }

    /// Runs `f` with `axis_name` bound to this job's processes (process-wide while `f` runs:
    /// the compiled step may run on a worker thread of the pool): inside it, `lax::psum(x,
    /// axis_name)` is the sum of `x` over processes, `pmean` the mean, `pmax`/`pmin` the
    /// extremes and `axis_index(axis_name)` this rank, eagerly or inside `jit` (trace and
    /// compile wherever; bind the axis where the step *runs*). Axis names bound by a `vmap`
    /// inside `f` reduce over their batch first.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let d = ferrax::dist::init();
    /// let step = jit(|x: &Tensor| ferrax::lax::psum(&x.sum(), "batch"));
    /// let total = d.with_axis("batch", || step(&Tensor::ones(&[4], DType::F32)));
    /// assert_eq!(total.item::<f32>(), 4.0 * d.size() as f32);
    /// let rank = d.with_axis("batch", || ferrax::lax::axis_index("batch"));
    /// assert_eq!(rank.item::<i32>() as usize, d.rank());
    /// ```
    pub fn with_axis<R>(&self, axis_name: &str, f: impl FnOnce() -> R) -> R {
        let group = World {
            rank: self.rank,
            size: self.size,
        };
        with_axis_group(axis_name, Arc::new(group), f)
    }

    /// The data-parallel training helper over this job, with gradients reduced over the axis
    /// `axis_name` (see [`DataParallel`]).
    ///
    /// ```
    /// let d = ferrax::dist::init();
    /// assert_eq!(d.data_parallel("batch").axis_name(), "batch");
    /// ```
    pub fn data_parallel(&self, axis_name: &str) -> DataParallel {
        DataParallel::new(self, axis_name)
    }
}

/// `MPI_COMM_WORLD` as the process group of a named axis.
struct World {
    rank: usize,
    size: usize,
}

impl AxisGroup for World {
    fn size(&self) -> usize {
        self.size
    }

    fn index(&self) -> usize {
        self.rank
    }

    fn reduce(&self, op: GroupReduce, x: &ArrayData) -> ArrayData {
        let name = match op {
            GroupReduce::Sum => "psum",
            GroupReduce::Max => "pmax",
            GroupReduce::Min => "pmin",
        };
        let mut out = buffers::all_reduce_arrays(&[x], op, name);
        out.pop().expect("one leaf in, one out")
    }
}
