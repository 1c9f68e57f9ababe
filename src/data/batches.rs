//! Mini-batches over a pytree of arrays that share a leading example axis.
//!
//! A batch of concrete data is assembled in one pass per leaf: its rows are gathered straight
//! from the stored arrays in the epoch's order, converted on the way when asked
//! ([`Batches::scale_u8`], [`Batches::one_hot`]), by a background thread that builds batch
//! `k + 1` while the caller's step runs on batch `k` ([`Batches::prefetch`]), so a training
//! loop over real data runs at the step's speed.

use crate::kernels::parallel::{elementwise_ns, par_chunks_mut, should_parallelize};
use crate::numpy;
use crate::random;
use crate::tensor::{array_from_vec, ArrayData, DType, Repr, Tensor};
use crate::tree::{PyTree, TreeDef};
use std::marker::PhantomData;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Mini-batches of a pytree of arrays (e.g. `(images, labels)`) whose leaves all have the same
/// leading example axis. Each [`epoch`](Batches::epoch) visits every example once (the last,
/// smaller batch is kept unless [`drop_last`](Batches::drop_last)); with a
/// [`shuffle`](Batches::shuffle) key, epoch `e` uses the permutation
/// `random::permutation(random::fold_in(key, e), n)`, so any epoch is reproducible on its own.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::data::Batches;
/// let x = Tensor::arange(0.0, 10.0, 1.0, DType::F32).reshape(&[5, 2]);
/// let y = Tensor::from_vec(vec![0, 1, 2, 3, 4], &[5]);
/// let batches = Batches::new(&(x, y), 2).shuffle(&ferrax::random::key(0));
/// assert_eq!(batches.num_batches(), 3);
/// let mut seen = Vec::new();
/// for (xb, yb) in batches.epoch(0) {
///     assert_eq!(xb.shape()[0], yb.shape()[0]);
///     seen.extend(yb.to_vec::<i32>());
/// }
/// seen.sort();
/// assert_eq!(seen, vec![0, 1, 2, 3, 4]);
/// ```
#[derive(Clone)]
pub struct Batches<T> {
    leaves: Vec<Tensor>,
    def: TreeDef,
    n: usize,
    batch_size: usize,
    drop_last: bool,
    key: Option<Tensor>,
    /// `(index, count)`: this process takes part `index` of `count` of every batch.
    shard: (usize, usize),
    /// `u8` leaves come out as `f32` times this.
    scale_u8: Option<f32>,
    /// Rank-1 integer leaves come out as `f32` one-hot rows of this many classes.
    one_hot: Option<usize>,
    prefetch: bool,
    _tree: PhantomData<fn() -> T>,
}

/// The contiguous part `index` of `count` of `0..n`: `[index*n/count, (index+1)*n/count)`, so
/// the parts differ in size by at most one and cover `0..n` in order.
fn shard_range(n: usize, (index, count): (usize, usize)) -> (usize, usize) {
    (index * n / count, (index + 1) * n / count)
}

impl<T: PyTree> Batches<T> {
    /// Batches of `batch_size` examples, in order, keeping a last partial batch. Panics if
    /// `batch_size` is 0, the tree has no leaves, or the leaves' leading axes differ.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let b = ferrax::data::Batches::new(&Tensor::zeros(&[7, 3], DType::F32), 4);
    /// assert_eq!((b.len(), b.num_batches()), (7, 2));
    /// ```
    #[track_caller]
    pub fn new(data: &T, batch_size: usize) -> Self {
        let (leaves, def) = data.flatten();
        assert!(batch_size > 0, "data::Batches::new: batch_size must be > 0");
        assert!(
            !leaves.is_empty(),
            "data::Batches::new: the data tree {def} has no leaves"
        );
        let n = match leaves[0].shape().first() {
            Some(&n) => n,
            None => panic!(
                "data::Batches::new: leaf 0 is a scalar; every leaf needs a leading example axis"
            ),
        };
        for (i, l) in leaves.iter().enumerate() {
            assert!(
                l.shape().first() == Some(&n),
                "data::Batches::new: leaf {i} has shape {:?} but leaf 0 has {n} examples \
                 (every leaf needs the same leading example axis) in {def}",
                l.shape()
            );
        }
        Batches {
            leaves,
            def,
            n,
            batch_size,
            drop_last: false,
            key: None,
            shard: (0, 1),
            scale_u8: None,
            one_hot: None,
            prefetch: true,
            _tree: PhantomData,
        }
    }

    /// Delivers every `u8` leaf as `f32` values `x * scale` (e.g. `1.0 / 255.0` for MNIST
    /// pixels), converted while the batch's rows are gathered: the stored data stays `u8`
    /// (a quarter of the memory) and no separate conversion pass runs. Applies to concrete
    /// data only (panics at [`epoch`](Batches::epoch) for traced leaves).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![0u8, 51, 255, 102], &[2, 2]);
    /// let b = ferrax::data::Batches::new(&x, 2).scale_u8(1.0 / 255.0);
    /// let xb = b.epoch(0).next().unwrap();
    /// assert_eq!(xb.dtype(), DType::F32);
    /// let s = 1.0f32 / 255.0; // each pixel times the f32 factor, as `x.cast(F32) * s`
    /// assert_eq!(xb.to_vec::<f32>(), vec![0.0, 51.0 * s, 255.0 * s, 102.0 * s]);
    /// ```
    pub fn scale_u8(mut self, scale: f32) -> Self {
        self.scale_u8 = Some(scale);
        self
    }

    /// Delivers every rank-1 integer leaf (labels) as `f32` one-hot rows `[b, classes]`, as
    /// `jax.nn.one_hot` makes them (a label outside `0..classes` gives a row of zeros),
    /// written while the batch is gathered. Concrete data only.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let y = Tensor::from_vec(vec![2i32, 0, 7], &[3]);
    /// let yb = ferrax::data::Batches::new(&y, 3).one_hot(3).epoch(0).next().unwrap();
    /// assert_eq!(yb.shape(), &[3, 3]);
    /// assert_eq!(yb.to_vec::<f32>(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    /// ```
    pub fn one_hot(mut self, classes: usize) -> Self {
        self.one_hot = Some(classes);
        self
    }

    /// Builds batch `k + 1` on a background thread while the caller works on batch `k`
    /// (`true`, the default), or every batch when it is asked for (`false`). The batches are
    /// the same either way; prefetching takes assembly off a training loop's critical path.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::arange(0.0, 5.0, 1.0, DType::F32);
    /// let b = ferrax::data::Batches::new(&x, 2).shuffle(&ferrax::random::key(3));
    /// let on: Vec<Vec<f32>> = b.epoch(1).map(|t| t.to_vec()).collect();
    /// let off: Vec<Vec<f32>> = b.clone().prefetch(false).epoch(1).map(|t| t.to_vec()).collect();
    /// assert_eq!(on, off);
    /// ```
    pub fn prefetch(mut self, on: bool) -> Self {
        self.prefetch = on;
        self
    }

    /// Drops the last batch when it would be smaller than `batch_size`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let b = ferrax::data::Batches::new(&Tensor::zeros(&[7], DType::F32), 4).drop_last(true);
    /// assert_eq!(b.num_batches(), 1);
    /// ```
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// Shuffles every epoch with a permutation drawn from `fold_in(key, epoch)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::arange(0.0, 6.0, 1.0, DType::F32);
    /// let b = ferrax::data::Batches::new(&x, 6).shuffle(&ferrax::random::key(1));
    /// let e0: Vec<Tensor> = b.epoch(0).collect();
    /// assert_eq!(e0.len(), 1);
    /// assert_eq!(b.order(3), b.order(3));
    /// ```
    pub fn shuffle(mut self, key: &Tensor) -> Self {
        self.key = Some(key.clone());
        self
    }

    /// Keeps only part `index` of `count` of every *global* batch, for data-parallel training
    /// (`count` processes, this one `index`, e.g. an MPI rank): the batches, their order and the
    /// shuffle stay those of the unsharded loader, so the shards of batch `i` on all processes
    /// together are exactly batch `i`. Part `index` is the contiguous examples
    /// `[index*b/count, (index+1)*b/count)` of a batch of `b`, so parts differ by at most one
    /// example (and are empty when `b < count`). [`len`](Batches::len),
    /// [`num_batches`](Batches::num_batches) and [`batch_size`](Batches::batch_size) stay global.
    /// Panics if `index >= count`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::arange(0.0, 10.0, 1.0, DType::F32);
    /// let b = ferrax::data::Batches::new(&x, 4);
    /// let part = |i| -> Vec<Vec<f32>> { b.clone().shard(i, 2).epoch(0).map(|t| t.to_vec()).collect() };
    /// assert_eq!(part(0), vec![vec![0.0, 1.0], vec![4.0, 5.0], vec![8.0]]);
    /// assert_eq!(part(1), vec![vec![2.0, 3.0], vec![6.0, 7.0], vec![9.0]]);
    /// ```
    #[track_caller]
    pub fn shard(mut self, index: usize, count: usize) -> Self {
        assert!(
            count > 0 && index < count,
            "data::Batches::shard: index {index} is not below count {count}"
        );
        self.shard = (index, count);
        self
    }

    /// The `(index, count)` given to [`shard`](Batches::shard) (`(0, 1)` when unsharded).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let b = ferrax::data::Batches::new(&Tensor::zeros(&[4], DType::F32), 2);
    /// assert_eq!(b.clone().shard(1, 3).shard_of(), (1, 3));
    /// assert_eq!(b.shard_of(), (0, 1));
    /// ```
    pub fn shard_of(&self) -> (usize, usize) {
        self.shard
    }

    /// Number of examples.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(ferrax::data::Batches::new(&Tensor::zeros(&[3], DType::F32), 2).len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when there are no examples.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert!(ferrax::data::Batches::new(&Tensor::zeros(&[0], DType::F32), 2).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The batch size.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(ferrax::data::Batches::new(&Tensor::zeros(&[3], DType::F32), 2).batch_size(), 2);
    /// ```
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Batches per epoch.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(ferrax::data::Batches::new(&Tensor::zeros(&[1500], DType::F32), 32).num_batches(), 47);
    /// ```
    pub fn num_batches(&self) -> usize {
        if self.drop_last {
            self.n / self.batch_size
        } else {
            self.n.div_ceil(self.batch_size)
        }
    }

    /// Examples visited per epoch (all of them, or fewer with `drop_last`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let b = ferrax::data::Batches::new(&Tensor::zeros(&[10], DType::F32), 4).drop_last(true);
    /// assert_eq!(b.examples_per_epoch(), 8);
    /// ```
    pub fn examples_per_epoch(&self) -> usize {
        if self.drop_last {
            self.num_batches() * self.batch_size
        } else {
            self.n
        }
    }

    /// The example order of `epoch`: `0..n` unshuffled, else the epoch's permutation.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let b = ferrax::data::Batches::new(&Tensor::zeros(&[4], DType::F32), 2);
    /// assert_eq!(b.order(5), vec![0, 1, 2, 3]);
    /// ```
    pub fn order(&self, epoch: usize) -> Vec<usize> {
        match self.permutation(epoch) {
            Some(p) => p.to_vec::<i32>().into_iter().map(|i| i as usize).collect(),
            None => (0..self.n).collect(),
        }
    }

    fn permutation(&self, epoch: usize) -> Option<Tensor> {
        let key = self.key.as_ref()?;
        Some(random::permutation(
            &random::fold_in(key, epoch as u32),
            self.n,
        ))
    }

    /// The batches of one epoch, each a tree like the input with `batch_size` examples (the
    /// last one may be smaller unless `drop_last`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::arange(0.0, 5.0, 1.0, DType::F32);
    /// let sizes: Vec<usize> = ferrax::data::Batches::new(&x, 2).epoch(0).map(|b| b.shape()[0]).collect();
    /// assert_eq!(sizes, vec![2, 2, 1]);
    /// ```
    pub fn epoch(&self, epoch: usize) -> Epoch<T> {
        let count = self.num_batches();
        let concrete: Option<Vec<Arc<ArrayData>>> = self
            .leaves
            .iter()
            .map(|l| match &l.repr {
                Repr::Concrete(a) => Some(a.clone()),
                Repr::Traced(_) => None,
            })
            .collect();
        let Some(arrays) = concrete else {
            assert!(
                self.scale_u8.is_none() && self.one_hot.is_none(),
                "data::Batches::epoch: scale_u8 and one_hot need concrete data, but a leaf of \
                 {} is traced",
                self.def
            );
            return self.sliced_epoch(epoch, count);
        };
        let maps = arrays
            .iter()
            .map(|a| match (a.dtype(), a.shape().len()) {
                (DType::U8, _) if self.scale_u8.is_some() => {
                    LeafMap::Scale(self.scale_u8.unwrap_or(1.0))
                }
                (d, 1) if self.one_hot.is_some() && d.is_int() => {
                    LeafMap::OneHot(self.one_hot.unwrap_or(0))
                }
                _ => LeafMap::Copy,
            })
            .collect();
        let order = self
            .permutation(epoch)
            .map(|p| p.to_vec::<i32>().into_iter().map(|i| i as usize).collect());
        let plan = Arc::new(Plan {
            arrays,
            maps,
            order,
            n: self.n,
            batch_size: self.batch_size,
            shard: self.shard,
        });
        let source = if self.prefetch && count > 1 {
            let (tx, rx) = sync_channel(1);
            let producer = Arc::clone(&plan);
            let handle = std::thread::Builder::new()
                .name("ferrax-batches".into())
                .spawn(move || {
                    for k in 0..count {
                        if tx.send(producer.batch(k)).is_err() {
                            return; // the epoch was dropped
                        }
                    }
                })
                .expect("data::Batches::epoch: cannot start the prefetch thread");
            Source::Prefetched {
                rx,
                handle: Some(handle),
            }
        } else {
            Source::Inline(plan)
        };
        Epoch {
            source,
            def: self.def.clone(),
            next: 0,
            count,
            _tree: PhantomData,
        }
    }

    /// Traced leaves: one gather per leaf per epoch, then batches are slices (ops that trace).
    fn sliced_epoch(&self, epoch: usize, count: usize) -> Epoch<T> {
        let leaves = match self.permutation(epoch) {
            Some(p) if self.n > 1 => self.leaves.iter().map(|l| numpy::take(l, &p, 0)).collect(),
            _ => self.leaves.clone(),
        };
        Epoch {
            source: Source::Sliced {
                leaves,
                n: self.n,
                batch_size: self.batch_size,
                shard: self.shard,
            },
            def: self.def.clone(),
            next: 0,
            count,
            _tree: PhantomData,
        }
    }
}

/// What a leaf becomes in a batch.
#[derive(Clone, Copy, Debug)]
enum LeafMap {
    Copy,
    /// `u8` to `f32` times the factor.
    Scale(f32),
    /// Integer labels to `f32` one-hot rows of this many classes.
    OneHot(usize),
}

/// Everything a batch of one epoch is built from, shared with the prefetch thread.
struct Plan {
    arrays: Vec<Arc<ArrayData>>,
    maps: Vec<LeafMap>,
    /// The epoch's example order (`None`: `0..n`).
    order: Option<Vec<usize>>,
    n: usize,
    batch_size: usize,
    shard: (usize, usize),
}

impl Plan {
    /// Batch `k`'s leaves: each one pass over the batch's rows (gather, and the conversion).
    fn batch(&self, k: usize) -> Vec<ArrayData> {
        let start = k * self.batch_size;
        let stop = (start + self.batch_size).min(self.n);
        let (lo, hi) = shard_range(stop - start, self.shard);
        let (start, stop) = (start + lo, start + hi);
        let rows: Vec<usize> = match &self.order {
            Some(o) => o[start..stop].to_vec(),
            None => (start..stop).collect(),
        };
        self.arrays
            .iter()
            .zip(&self.maps)
            .map(|(a, m)| assemble(a, *m, &rows, self.n))
            .collect()
    }
}

/// The rows `rows` of `a` (whose leading axis has `n` examples), mapped by `map`.
fn assemble(a: &ArrayData, map: LeafMap, rows: &[usize], n: usize) -> ArrayData {
    let mut shape = a.shape().to_vec();
    shape[0] = rows.len();
    let row = a.len().checked_div(n).unwrap_or(0);
    match map {
        LeafMap::Copy => crate::dispatch_array!(a, x, T => {
            let src = x.as_slice().expect("ArrayData is row-major");
            let mut out: Vec<T> = Vec::with_capacity(rows.len() * row);
            for &r in rows {
                out.extend_from_slice(&src[r * row..(r + 1) * row]);
            }
            ArrayData::from_vec(out, &shape)
        }),
        LeafMap::Scale(scale) => {
            let ArrayData::U8(x) = a else {
                unreachable!("scale applies to u8 leaves")
            };
            let src = x.as_slice().expect("ArrayData is row-major");
            let mut out = vec![0.0f32; rows.len() * row];
            let body = |i: usize, chunk: &mut [f32]| {
                let rows_per = chunk.len() / row.max(1);
                for (j, dst) in chunk.chunks_mut(row.max(1)).enumerate() {
                    let r = rows[i * rows_per + j];
                    for (d, &s) in dst.iter_mut().zip(&src[r * row..(r + 1) * row]) {
                        *d = s as f32 * scale;
                    }
                }
            };
            if row > 0 && should_parallelize(elementwise_ns(out.len() * 2)) {
                let per = rows.len().div_ceil(rayon::current_num_threads() * 2).max(1);
                par_chunks_mut(&mut out, per * row, &body);
            } else if row > 0 {
                let len = out.len();
                body(0, &mut out[..len]);
            }
            ArrayData::F32(array_from_vec(&shape, out))
        }
        LeafMap::OneHot(classes) => {
            let mut out = vec![0.0f32; rows.len() * classes];
            for (dst, &r) in out.chunks_mut(classes.max(1)).zip(rows) {
                let label = a.get_f64(r);
                if label >= 0.0 && (label as usize) < classes {
                    dst[label as usize] = 1.0;
                }
            }
            ArrayData::F32(array_from_vec(&[rows.len(), classes], out))
        }
    }
}

/// The batches of one epoch (see [`Batches::epoch`]).
pub struct Epoch<T> {
    source: Source,
    def: TreeDef,
    next: usize,
    count: usize,
    _tree: PhantomData<fn() -> T>,
}

/// Where an epoch's batches come from.
enum Source {
    /// Built on a background thread, one batch ahead.
    Prefetched {
        rx: Receiver<Vec<ArrayData>>,
        handle: Option<JoinHandle<()>>,
    },
    /// Built when asked for.
    Inline(Arc<Plan>),
    /// Traced leaves, gathered for the epoch and sliced per batch.
    Sliced {
        leaves: Vec<Tensor>,
        n: usize,
        batch_size: usize,
        shard: (usize, usize),
    },
}

impl<T: PyTree> Iterator for Epoch<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.next >= self.count {
            return None;
        }
        let k = self.next;
        self.next += 1;
        let leaves = match &mut self.source {
            Source::Prefetched { rx, handle } => match rx.recv() {
                Ok(arrays) => arrays.into_iter().map(Tensor::from_array).collect(),
                Err(_) => {
                    // The producer stopped early: it panicked. Re-raise its panic here.
                    if let Some(Err(p)) = handle.take().map(JoinHandle::join) {
                        std::panic::resume_unwind(p);
                    }
                    panic!("data::Batches: the prefetch thread stopped before batch {k}");
                }
            },
            Source::Inline(plan) => plan.batch(k).into_iter().map(Tensor::from_array).collect(),
            Source::Sliced {
                leaves,
                n,
                batch_size,
                shard,
            } => {
                let start = k * *batch_size;
                let stop = (start + *batch_size).min(*n);
                let (lo, hi) = shard_range(stop - start, *shard);
                let (start, stop) = (start + lo, start + hi);
                let whole = start == 0 && stop == *n;
                leaves
                    .iter()
                    .map(|l| {
                        if whole {
                            l.clone()
                        } else {
                            numpy::slice_axis(l, 0, start as isize, stop as isize)
                        }
                    })
                    .collect()
            }
        };
        Some(T::unflatten(&self.def, leaves))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.count - self.next;
        (left, Some(left))
    }
}

impl<T: PyTree> ExactSizeIterator for Epoch<T> {}
