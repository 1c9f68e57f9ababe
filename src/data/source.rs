//! Data sources in the spirit of grain's `RandomAccessDataSource`: a length and an example by
//! index, each example a pytree of tensors without a batch axis.

use super::idx::IdxError;
use crate::numpy;
use crate::tensor::Tensor;
use crate::tree::{PyTree, TreeDef};
use std::marker::PhantomData;

/// A random-access data set: `len` examples, example `i` read by [`get`](Source::get)
/// (decoding a file, slicing an array, ...). [`Loader`](super::Loader) shuffles, batches,
/// shards and prefetches any source; `Send + Sync` so prefetching can read on another thread.
///
/// ```
/// use ferrax::data::{IdxError, Source};
/// use ferrax::prelude::*;
/// /// The squares 0, 1, 4, ... as f32 scalars.
/// struct Squares(usize);
/// impl Source for Squares {
///     type Example = Tensor;
///     fn len(&self) -> usize { self.0 }
///     fn get(&self, i: usize) -> Result<Tensor, IdxError> {
///         Ok(Tensor::scalar((i * i) as f32))
///     }
/// }
/// assert_eq!(Squares(4).get(3)?.item::<f32>(), 9.0);
/// assert_eq!(Squares(4).get_batch(&[1, 2])?.to_vec::<f32>(), vec![1.0, 4.0]);
/// # Ok::<(), IdxError>(())
/// ```
pub trait Source: Send + Sync {
    /// One example: a pytree of tensors (e.g. `(image, label)`), without a batch axis.
    type Example: PyTree;

    /// The number of examples.
    fn len(&self) -> usize;

    /// True when there are no examples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Example `i` (`i < len()`).
    fn get(&self, i: usize) -> Result<Self::Example, IdxError>;

    /// The examples `indices` stacked along a new leading axis. The default reads each with
    /// [`get`](Source::get) and stacks leaf by leaf; sources held in memory override it
    /// with one gather per leaf. Panics if `indices` is empty.
    fn get_batch(&self, indices: &[usize]) -> Result<Self::Example, IdxError> {
        assert!(
            !indices.is_empty(),
            "data::Source::get_batch: no indices (a batch needs at least one example)"
        );
        let mut columns: Vec<Vec<Tensor>> = Vec::new();
        let mut def = None;
        for &i in indices {
            let (leaves, d) = self.get(i)?.flatten();
            if columns.is_empty() {
                columns = vec![Vec::with_capacity(indices.len()); leaves.len()];
            }
            for (c, l) in columns.iter_mut().zip(leaves) {
                c.push(l);
            }
            def.get_or_insert(d);
        }
        let leaves = columns.iter().map(|c| numpy::stack(c, 0)).collect();
        Ok(Self::Example::unflatten(
            &def.expect("at least one example"),
            leaves,
        ))
    }
}

/// A source over arrays in memory: a pytree whose leaves share a leading example axis
/// (example `i` is every leaf's row `i`; a batch is one gather per leaf).
///
/// ```
/// use ferrax::data::{ArraySource, Source};
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0.0, 6.0, 1.0, DType::F32).reshape(&[3, 2]);
/// let y = Tensor::from_vec(vec![7, 8, 9], &[3]);
/// let src = ArraySource::new(&(x, y));
/// let (xi, yi) = src.get(1)?;
/// assert_eq!((xi.to_vec::<f32>(), yi.item::<i32>()), (vec![2.0, 3.0], 8));
/// # Ok::<(), ferrax::data::IdxError>(())
/// ```
pub struct ArraySource<T> {
    leaves: Vec<Tensor>,
    def: TreeDef,
    n: usize,
    _tree: PhantomData<fn() -> T>,
}

impl<T: PyTree> ArraySource<T> {
    /// Wraps `data`. Panics if it has no leaves, a leaf is a scalar, or the leading axes
    /// differ.
    ///
    /// ```
    /// use ferrax::data::{ArraySource, Source};
    /// use ferrax::prelude::*;
    /// assert_eq!(ArraySource::new(&Tensor::zeros(&[5, 2], DType::F32)).len(), 5);
    /// ```
    #[track_caller]
    pub fn new(data: &T) -> Self {
        let (leaves, def) = data.flatten();
        assert!(
            !leaves.is_empty(),
            "data::ArraySource::new: the data tree {def} has no leaves"
        );
        let n = leaves[0].shape().first().copied().unwrap_or_else(|| {
            panic!("data::ArraySource::new: leaf 0 is a scalar; every leaf needs a leading example axis")
        });
        for (i, l) in leaves.iter().enumerate() {
            assert!(
                l.shape().first() == Some(&n),
                "data::ArraySource::new: leaf {i} has shape {:?} but leaf 0 has {n} examples in {def}",
                l.shape()
            );
        }
        ArraySource {
            leaves,
            def,
            n,
            _tree: PhantomData,
        }
    }
}

impl<T: PyTree> Source for ArraySource<T> {
    type Example = T;

    fn len(&self) -> usize {
        self.n
    }

    fn get(&self, i: usize) -> Result<T, IdxError> {
        assert!(
            i < self.n,
            "data::ArraySource::get: index {i} out of range for {} examples",
            self.n
        );
        let leaves = self
            .leaves
            .iter()
            .map(|l| numpy::squeeze(&numpy::slice_axis(l, 0, i as isize, i as isize + 1), &[0]))
            .collect();
        Ok(T::unflatten(&self.def, leaves))
    }

    fn get_batch(&self, indices: &[usize]) -> Result<T, IdxError> {
        if let Some(&bad) = indices.iter().find(|&&i| i >= self.n) {
            panic!(
                "data::ArraySource::get_batch: index {bad} out of range for {} examples",
                self.n
            );
        }
        let idx = Tensor::from_vec(
            indices.iter().map(|&i| i as i32).collect::<Vec<_>>(),
            &[indices.len()],
        );
        let leaves = self
            .leaves
            .iter()
            .map(|l| numpy::take(l, &idx, 0))
            .collect();
        Ok(T::unflatten(&self.def, leaves))
    }
}
