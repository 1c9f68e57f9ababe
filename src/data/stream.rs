//! Batching a streaming source: an iterator of examples read once, in order (records from a
//! socket, a generator, a file too large to index).

use super::idx::IdxError;
use super::loader::{Batch, Remainder};
use crate::numpy;
use crate::tensor::Tensor;
use crate::tree::PyTree;

/// Batches of a stream of examples (each `Result<T, IdxError>`, a pytree without a batch
/// axis), with the [`Loader`](super::Loader)'s remainder and sharding contracts: with
/// [`Remainder::Pad`] the last batch is filled with copies of its own first example, masked
/// `false`; [`shard`](StreamBatches::shard) keeps part `index` of `count` of every global
/// batch. A stream is not shuffled (shuffle a random-access [`Source`](super::Source)
/// instead); the first error is yielded and ends the batches. Wrap it in
/// [`prefetch`](super::prefetch) to read ahead.
///
/// ```
/// use ferrax::data::{Remainder, StreamBatches};
/// use ferrax::prelude::*;
/// let examples = (0..5).map(|i| Ok(Tensor::scalar(i as f32)));
/// let b: Vec<_> = StreamBatches::new(examples, 2).remainder(Remainder::Drop).collect::<Result<_, _>>()?;
/// assert_eq!(b.len(), 2);
/// assert_eq!(b[1].data.to_vec::<f32>(), vec![2.0, 3.0]);
/// # Ok::<(), ferrax::data::IdxError>(())
/// ```
pub struct StreamBatches<I> {
    iter: I,
    batch_size: usize,
    remainder: Remainder,
    shard: (usize, usize),
    done: bool,
}

impl<I, T> StreamBatches<I>
where
    I: Iterator<Item = Result<T, IdxError>>,
    T: PyTree,
{
    /// Batches of `batch_size` examples of `iter`, keeping a last partial batch. Panics if
    /// `batch_size` is 0.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let it = (0..3).map(|i| Ok(Tensor::scalar(i)));
    /// assert_eq!(ferrax::data::StreamBatches::new(it, 2).count(), 2);
    /// ```
    #[track_caller]
    pub fn new(iter: I, batch_size: usize) -> Self {
        assert!(
            batch_size > 0,
            "data::StreamBatches::new: batch_size must be > 0"
        );
        StreamBatches {
            iter,
            batch_size,
            remainder: Remainder::Keep,
            shard: (0, 1),
            done: false,
        }
    }

    /// Sets what happens to the last, partial batch.
    ///
    /// ```
    /// use ferrax::data::{Remainder, StreamBatches};
    /// use ferrax::prelude::*;
    /// let it = (0..3).map(|i| Ok(Tensor::scalar(i)));
    /// let b: Vec<_> = StreamBatches::new(it, 2).remainder(Remainder::Pad).map(|b| b.unwrap()).collect();
    /// assert_eq!(b[1].data.to_vec::<i32>(), vec![2, 2]);
    /// assert_eq!(b[1].mask.to_vec::<bool>(), vec![true, false]);
    /// ```
    pub fn remainder(mut self, remainder: Remainder) -> Self {
        self.remainder = remainder;
        self
    }

    /// Keeps part `index` of `count` of every global batch (see
    /// [`Loader::shard`](super::Loader::shard)). Every process reads the whole stream.
    /// Panics if `index >= count` or `batch_size < count`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let it = (0..4).map(|i| Ok(Tensor::scalar(i)));
    /// let b: Vec<Vec<i32>> = ferrax::data::StreamBatches::new(it, 4).shard(0, 2)
    ///     .map(|b| b.unwrap().data.to_vec()).collect();
    /// assert_eq!(b, vec![vec![0, 1]]);
    /// ```
    #[track_caller]
    pub fn shard(mut self, index: usize, count: usize) -> Self {
        assert!(
            count > 0 && index < count && count <= self.batch_size,
            "data::StreamBatches::shard: index {index} of count {count} with batch_size {} \
             (needs index < count <= batch_size)",
            self.batch_size
        );
        self.shard = (index, count);
        self
    }
}

impl<I, T> Iterator for StreamBatches<I>
where
    I: Iterator<Item = Result<T, IdxError>>,
    T: PyTree,
{
    type Item = Result<Batch<T>, IdxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut examples: Vec<Vec<Tensor>> = Vec::with_capacity(self.batch_size);
        let mut def = None;
        while examples.len() < self.batch_size {
            match self.iter.next() {
                Some(Ok(x)) => {
                    let (leaves, d) = x.flatten();
                    def.get_or_insert(d);
                    examples.push(leaves);
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Some(Err(e));
                }
                None => {
                    self.done = true;
                    break;
                }
            }
        }
        let real = examples.len();
        if real == 0 || (real < self.batch_size && self.remainder == Remainder::Drop) {
            return None;
        }
        let mut mask = vec![true; real];
        if self.remainder == Remainder::Pad {
            while examples.len() < self.batch_size {
                examples.push(examples[0].clone());
                mask.push(false);
            }
        }
        let n = examples.len();
        let (index, count) = self.shard;
        let (lo, hi) = (index * n / count, (index + 1) * n / count);
        let nleaves = examples[0].len();
        let leaves = (0..nleaves)
            .map(|j| {
                let col: Vec<Tensor> = examples[lo..hi.max(lo + 1)]
                    .iter()
                    .map(|e| e[j].clone())
                    .collect();
                let t = numpy::stack(&col, 0);
                if hi == lo {
                    numpy::slice_axis(&t, 0, 0, 0)
                } else {
                    t
                }
            })
            .collect();
        let def = def.expect("at least one example");
        Some(Ok(Batch {
            data: T::unflatten(&def, leaves),
            mask: Tensor::from_vec(mask[lo..hi].to_vec(), &[hi - lo]),
        }))
    }
}
