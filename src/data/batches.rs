//! Mini-batches over a pytree of arrays that share a leading example axis.

use crate::numpy;
use crate::random;
use crate::tensor::Tensor;
use crate::tree::{PyTree, TreeDef};
use std::marker::PhantomData;

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
            _tree: PhantomData,
        }
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
        // One gather per leaf per epoch; batches are then contiguous slices.
        let leaves = match self.permutation(epoch) {
            Some(p) if self.n > 1 => self.leaves.iter().map(|l| numpy::take(l, &p, 0)).collect(),
            _ => self.leaves.clone(),
        };
        Epoch {
            leaves,
            def: self.def.clone(),
            n: self.n,
            batch_size: self.batch_size,
            next: 0,
            count: self.num_batches(),
            shard: self.shard,
            _tree: PhantomData,
        }
    }
}

/// The batches of one epoch (see [`Batches::epoch`]).
pub struct Epoch<T> {
    leaves: Vec<Tensor>,
    def: TreeDef,
    n: usize,
    batch_size: usize,
    next: usize,
    count: usize,
    shard: (usize, usize),
    _tree: PhantomData<fn() -> T>,
}

impl<T: PyTree> Iterator for Epoch<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.next >= self.count {
            return None;
        }
        let start = self.next * self.batch_size;
        let stop = (start + self.batch_size).min(self.n);
        let (lo, hi) = shard_range(stop - start, self.shard);
        let (start, stop) = (start + lo, start + hi);
        self.next += 1;
        let whole = start == 0 && stop == self.n;
        let leaves = self
            .leaves
            .iter()
            .map(|l| {
                if whole {
                    l.clone()
                } else {
                    numpy::slice_axis(l, 0, start as isize, stop as isize)
                }
            })
            .collect();
        Some(T::unflatten(&self.def, leaves))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.count - self.next;
        (left, Some(left))
    }
}

impl<T: PyTree> ExactSizeIterator for Epoch<T> {}
