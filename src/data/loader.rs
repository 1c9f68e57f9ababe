//! The loader: shuffle, batch (drop-last or padding with a mask), shard and prefetch any
//! [`Source`], in the spirit of grain's `DataLoader` and tf.data.

use super::idx::IdxError;
use super::prefetch::prefetch;
use super::source::Source;
use crate::numpy;
use crate::random;
use crate::tensor::Tensor;
use crate::tree::PyTree;
use std::sync::Arc;

/// What happens to the last batch of an epoch when the examples do not fill it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Remainder {
    /// Yield it smaller.
    Keep,
    /// Drop it (every batch has `batch_size` examples).
    Drop,
    /// Fill it up to `batch_size` with the epoch's first examples again, marked `false` in
    /// [`Batch::mask`], so every batch has the same shape (one `jit` compilation) and the
    /// padding can be weighted out of a loss or a metric.
    Pad,
}

/// A batch: the examples stacked along a new leading axis, and a `bool` mask of that length
/// that is `false` on padding (all `true` unless [`Remainder::Pad`] padded this batch).
#[derive(Clone)]
pub struct Batch<T> {
    /// The stacked examples.
    pub data: T,
    /// `bool[local batch size]`: `true` for real examples.
    pub mask: Tensor,
}

/// Batches of a [`Source`]: epoch `e` visits the examples in the order
/// `random::permutation(random::fold_in(key, e), len)` (the derivation of
/// [`Batches`](super::Batches), so the same key and epoch give the same order on every
/// machine), or in index order without [`shuffle`](Loader::shuffle).
///
/// ```
/// use ferrax::data::{ArraySource, Loader, Remainder};
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0.0, 5.0, 1.0, DType::F32);
/// let loader = Loader::new(ArraySource::new(&x), 2)
///     .remainder(Remainder::Pad)
///     .shuffle(&ferrax::random::key(0));
/// let batches: Vec<_> = loader.epoch(0).collect::<Result<_, _>>()?;
/// assert_eq!(batches.len(), 3);
/// assert_eq!(batches[2].mask.to_vec::<bool>(), vec![true, false]);
/// # Ok::<(), ferrax::data::IdxError>(())
/// ```
pub struct Loader<S> {
    source: Arc<S>,
    batch_size: usize,
    remainder: Remainder,
    key: Option<Tensor>,
    shard: (usize, usize),
    prefetch: usize,
    #[cfg(feature = "train")]
    progress: bool,
}

impl<S> Clone for Loader<S> {
    fn clone(&self) -> Self {
        Loader {
            source: self.source.clone(),
            batch_size: self.batch_size,
            remainder: self.remainder,
            key: self.key.clone(),
            shard: self.shard,
            prefetch: self.prefetch,
            #[cfg(feature = "train")]
            progress: self.progress,
        }
    }
}

/// The contiguous part `index` of `count` of `0..n` (as [`Batches::shard`](super::Batches::shard)).
fn shard_range(n: usize, (index, count): (usize, usize)) -> (usize, usize) {
    (index * n / count, (index + 1) * n / count)
}

impl<S> Loader<S>
where
    S: Source + 'static,
    S::Example: Send + 'static,
{
    /// Batches of `batch_size` examples of `source`, in order, keeping the last partial
    /// batch, no prefetching. Panics if `batch_size` is 0.
    ///
    /// ```
    /// use ferrax::data::{ArraySource, Loader};
    /// use ferrax::prelude::*;
    /// let l = Loader::new(ArraySource::new(&Tensor::zeros(&[7, 2], DType::F32)), 3);
    /// assert_eq!(l.num_batches(), 3);
    /// ```
    #[track_caller]
    pub fn new(source: S, batch_size: usize) -> Self {
        assert!(batch_size > 0, "data::Loader::new: batch_size must be > 0");
        Loader {
            source: Arc::new(source),
            batch_size,
            remainder: Remainder::Keep,
            key: None,
            shard: (0, 1),
            prefetch: 0,
            #[cfg(feature = "train")]
            progress: false,
        }
    }

    /// The source.
    ///
    /// ```
    /// use ferrax::data::{ArraySource, Loader, Source};
    /// use ferrax::prelude::*;
    /// let l = Loader::new(ArraySource::new(&Tensor::zeros(&[7], DType::F32)), 3);
    /// assert_eq!(l.source().len(), 7);
    /// ```
    pub fn source(&self) -> &S {
        &self.source
    }

    /// Sets what happens to the last, partial batch (default [`Remainder::Keep`]).
    ///
    /// ```
    /// use ferrax::data::{ArraySource, Loader, Remainder};
    /// use ferrax::prelude::*;
    /// let l = Loader::new(ArraySource::new(&Tensor::zeros(&[7], DType::F32)), 3);
    /// assert_eq!(l.remainder(Remainder::Drop).num_batches(), 2);
    /// ```
    pub fn remainder(mut self, remainder: Remainder) -> Self {
        self.remainder = remainder;
        self
    }

    /// Shuffles every epoch with `random::permutation(random::fold_in(key, epoch), len)`.
    ///
    /// ```
    /// use ferrax::data::{ArraySource, Loader};
    /// use ferrax::prelude::*;
    /// let l = Loader::new(ArraySource::new(&Tensor::zeros(&[6], DType::F32)), 2)
    ///     .shuffle(&ferrax::random::key(3));
    /// let mut o = l.order(0);
    /// o.sort();
    /// assert_eq!(o, vec![0, 1, 2, 3, 4, 5]);
    /// ```
    pub fn shuffle(mut self, key: &Tensor) -> Self {
        self.key = Some(key.clone());
        self
    }

    /// Keeps part `index` of `count` of every global batch (the contract of
    /// [`Batches::shard`](super::Batches::shard)): the examples
    /// `[index*b/count, (index+1)*b/count)` of a global batch of `b`, so the shards of batch
    /// `i` on all processes together are batch `i`, in order; the number of batches stays
    /// global. Panics if `index >= count`.
    ///
    /// ```
    /// use ferrax::data::{ArraySource, Loader};
    /// use ferrax::prelude::*;
    /// let x = Tensor::arange(0.0, 8.0, 1.0, DType::F32);
    /// let l = Loader::new(ArraySource::new(&x), 4).shard(1, 2);
    /// let b: Vec<Vec<f32>> = l.epoch(0).map(|b| b.unwrap().data.to_vec()).collect();
    /// assert_eq!(b, vec![vec![2.0, 3.0], vec![6.0, 7.0]]);
    /// ```
    #[track_caller]
    pub fn shard(mut self, index: usize, count: usize) -> Self {
        assert!(
            count > 0 && index < count,
            "data::Loader::shard: index {index} is not below count {count}"
        );
        self.shard = (index, count);
        self
    }

    /// Reads up to `depth` batches ahead on a background thread (0, the default, reads on
    /// the caller's thread). The thread stops when the epoch ends, after an error (which is
    /// yielded in order), or when the epoch iterator is dropped.
    ///
    /// ```
    /// use ferrax::data::{ArraySource, Loader};
    /// use ferrax::prelude::*;
    /// let x = Tensor::arange(0.0, 6.0, 1.0, DType::F32);
    /// let l = Loader::new(ArraySource::new(&x), 4).prefetch(2);
    /// let sizes: Vec<usize> = l.epoch(0).map(|b| b.unwrap().data.shape()[0]).collect();
    /// assert_eq!(sizes, vec![4, 2]);
    /// ```
    pub fn prefetch(mut self, depth: usize) -> Self {
        self.prefetch = depth;
        self
    }

    /// Shows an indicatif progress bar on stderr for each epoch (batches done, examples/s),
    /// feature `train`.
    ///
    /// ```
    /// use ferrax::data::{ArraySource, Loader};
    /// use ferrax::prelude::*;
    /// let l = Loader::new(ArraySource::new(&Tensor::zeros(&[4], DType::F32)), 2).progress(true);
    /// assert_eq!(l.epoch(0).count(), 2);
    /// ```
    #[cfg(feature = "train")]
    pub fn progress(mut self, show: bool) -> Self {
        self.progress = show;
        self
    }

    /// Examples in the source.
    ///
    /// ```
    /// use ferrax::data::{ArraySource, Loader};
    /// use ferrax::prelude::*;
    /// assert_eq!(Loader::new(ArraySource::new(&Tensor::zeros(&[5], DType::F32)), 2).len(), 5);
    /// ```
    pub fn len(&self) -> usize {
        self.source.len()
    }

    /// True when the source is empty.
    ///
    /// ```
    /// use ferrax::data::{ArraySource, Loader};
    /// use ferrax::prelude::*;
    /// assert!(Loader::new(ArraySource::new(&Tensor::zeros(&[0], DType::F32)), 2).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.source.is_empty()
    }

    /// Global batches per epoch (the same on every shard).
    ///
    /// ```
    /// use ferrax::data::{ArraySource, Loader, Remainder};
    /// use ferrax::prelude::*;
    /// let l = Loader::new(ArraySource::new(&Tensor::zeros(&[10], DType::F32)), 4);
    /// assert_eq!(l.clone().remainder(Remainder::Pad).num_batches(), 3);
    /// assert_eq!(l.remainder(Remainder::Drop).num_batches(), 2);
    /// ```
    pub fn num_batches(&self) -> usize {
        match self.remainder {
            Remainder::Drop => self.len() / self.batch_size,
            Remainder::Keep | Remainder::Pad => self.len().div_ceil(self.batch_size),
        }
    }

    /// The example order of `epoch` (index order without a shuffle key).
    ///
    /// ```
    /// use ferrax::data::{ArraySource, Loader};
    /// use ferrax::prelude::*;
    /// let l = Loader::new(ArraySource::new(&Tensor::zeros(&[3], DType::F32)), 2);
    /// assert_eq!(l.order(7), vec![0, 1, 2]);
    /// ```
    pub fn order(&self, epoch: usize) -> Vec<usize> {
        let n = self.len();
        match &self.key {
            Some(key) if n > 1 => random::permutation(&random::fold_in(key, epoch as u32), n)
                .to_vec::<i32>()
                .into_iter()
                .map(|i| i as usize)
                .collect(),
            _ => (0..n).collect(),
        }
    }

    /// This shard's example indices and mask for every batch of `epoch`: what
    /// [`epoch`](Loader::epoch) reads, without reading it.
    ///
    /// ```
    /// use ferrax::data::{ArraySource, Loader, Remainder};
    /// use ferrax::prelude::*;
    /// let l = Loader::new(ArraySource::new(&Tensor::zeros(&[3], DType::F32)), 2)
    ///     .remainder(Remainder::Pad);
    /// assert_eq!(l.plan(0), vec![(vec![0, 1], vec![true, true]), (vec![2, 0], vec![true, false])]);
    /// ```
    pub fn plan(&self, epoch: usize) -> Vec<(Vec<usize>, Vec<bool>)> {
        let order = self.order(epoch);
        let n = order.len();
        let bs = self.batch_size;
        (0..self.num_batches())
            .map(|b| {
                let start = b * bs;
                let stop = (start + bs).min(n);
                let mut idx: Vec<usize> = order[start..stop].to_vec();
                let mut mask = vec![true; idx.len()];
                if self.remainder == Remainder::Pad {
                    let mut k = 0;
                    while idx.len() < bs {
                        idx.push(order[k % n]);
                        mask.push(false);
                        k += 1;
                    }
                }
                let (lo, hi) = shard_range(idx.len(), self.shard);
                (idx[lo..hi].to_vec(), mask[lo..hi].to_vec())
            })
            .collect()
    }

    /// The batches of `epoch`, each `Ok(Batch)` or the first error reading an example (after
    /// which the iterator ends).
    ///
    /// ```
    /// use ferrax::data::{ArraySource, Loader};
    /// use ferrax::prelude::*;
    /// let x = Tensor::arange(0.0, 4.0, 1.0, DType::F32);
    /// let y = Tensor::from_vec(vec![0, 1, 0, 1], &[4]);
    /// let l = Loader::new(ArraySource::new(&(x, y)), 2);
    /// for batch in l.epoch(0) {
    ///     let (xb, yb) = batch?.data;
    ///     assert_eq!((xb.shape(), yb.shape()), (&[2][..], &[2][..]));
    /// }
    /// # Ok::<(), ferrax::data::IdxError>(())
    /// ```
    pub fn epoch(&self, epoch: usize) -> LoaderEpoch<S::Example> {
        let plan = self.plan(epoch);
        let total = plan.len();
        let source = self.source.clone();
        let mut failed = false;
        let batches = plan.into_iter().map_while(move |(idx, mask)| {
            if failed {
                return None;
            }
            let r = read_batch(&*source, &idx, &mask);
            failed = r.is_err();
            Some(r)
        });
        let inner: Box<dyn Iterator<Item = Result<Batch<S::Example>, IdxError>> + Send> =
            if self.prefetch > 0 {
                Box::new(prefetch(batches, self.prefetch))
            } else {
                Box::new(batches)
            };
        LoaderEpoch {
            inner,
            left: total,
            #[cfg(feature = "train")]
            bar: self.progress.then(|| progress_bar(total)),
        }
    }
}

fn read_batch<S: Source>(
    source: &S,
    idx: &[usize],
    mask: &[bool],
) -> Result<Batch<S::Example>, IdxError> {
    let mask_t = Tensor::from_vec(mask.to_vec(), &[mask.len()]);
    if idx.is_empty() {
        // A shard smaller than the process count: an empty slice of a real example's shape.
        let one = source.get_batch(&[0])?;
        let (leaves, def) = one.flatten();
        let leaves = leaves
            .iter()
            .map(|l| numpy::slice_axis(l, 0, 0, 0))
            .collect();
        return Ok(Batch {
            data: S::Example::unflatten(&def, leaves),
            mask: mask_t,
        });
    }
    Ok(Batch {
        data: source.get_batch(idx)?,
        mask: mask_t,
    })
}

#[cfg(feature = "train")]
fn progress_bar(total: usize) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:30} {pos}/{len} batches {per_sec} [{elapsed}<{eta}]")
    {
        bar.set_style(style);
    }
    bar
}

/// The batches of one epoch of a [`Loader`].
pub struct LoaderEpoch<T> {
    inner: Box<dyn Iterator<Item = Result<Batch<T>, IdxError>> + Send>,
    left: usize,
    #[cfg(feature = "train")]
    bar: Option<indicatif::ProgressBar>,
}

impl<T> Iterator for LoaderEpoch<T> {
    type Item = Result<Batch<T>, IdxError>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.inner.next();
        self.left = self.left.saturating_sub(1);
        #[cfg(feature = "train")]
        if let Some(bar) = &self.bar {
            match &next {
                Some(Ok(_)) => bar.inc(1),
                _ => bar.finish(),
            }
        }
        next
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left))
    }
}
