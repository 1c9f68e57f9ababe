//! The data-parallel training helper and the pytree `psum` it reduces gradients with.

use super::Dist;
use crate::data::Batches;
use crate::lax;
use crate::tensor::{DType, Tensor};
use crate::train::{save_params, CheckpointError};
use crate::transforms::value_and_grad;
use crate::tree::PyTree;
use std::path::Path;

/// The sum of every leaf of `tree` over the named axis `axis_name`, as ONE collective per
/// dtype: the leaves are flattened and concatenated, summed by one `psum`, and split back.
/// Works in traced code (`jit`, `grad`, `vmap`) like `lax::psum`: across processes when the
/// axis is bound by [`Dist::with_axis`], across batch members inside
/// `vmap_with(.., VmapSpec::new().axis_name(..))`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::{vmap_with, VmapSpec};
/// let xs = (Tensor::from_vec(vec![1.0f32, 2.0], &[2]), Tensor::from_vec(vec![3.0f32, 4.0, 5.0, 6.0], &[2, 2]));
/// let f = vmap_with(|t: &(Tensor, Tensor)| ferrax::dist::psum_tree(t, "i"), VmapSpec::new().axis_name("i"));
/// let (a, b) = f(&xs);
/// assert_eq!(a.to_vec::<f32>(), vec![3.0, 3.0]);
/// assert_eq!(b.to_vec::<f32>(), vec![8.0, 10.0, 8.0, 10.0]);
/// ```
pub fn psum_tree<T: PyTree>(tree: &T, axis_name: &str) -> T {
    let (leaves, def) = tree.flatten();
    let mut groups: Vec<(DType, Vec<usize>)> = Vec::new();
    for (i, l) in leaves.iter().enumerate() {
        match groups.iter_mut().find(|(d, _)| *d == l.dtype()) {
            Some((_, idx)) => idx.push(i),
            None => groups.push((l.dtype(), vec![i])),
        }
    }
    let mut out: Vec<Option<Tensor>> = vec![None; leaves.len()];
    for (_, idx) in &groups {
        if let [i] = idx[..] {
            out[i] = Some(lax::psum(&leaves[i], axis_name));
            continue;
        }
        let flat: Vec<Tensor> = idx
            .iter()
            .map(|&i| lax::reshape(&leaves[i], &[leaves[i].size()]))
            .collect();
        let summed = lax::psum(&lax::concatenate(&flat, 0), axis_name);
        let mut off = 0;
        for &i in idx {
            let n = leaves[i].size();
            let part = lax::slice(&summed, &[off], &[off + n], None);
            out[i] = Some(lax::reshape(&part, leaves[i].shape()));
            off += n;
        }
    }
    T::unflatten(&def, out.into_iter().map(|t| t.expect("grouped")).collect())
}

/// Data-parallel training over the processes of a [`Dist`] (JAX's data parallelism with
/// `shard_map` over a `"batch"` axis): every rank holds the same parameters and optimizer
/// state, takes its contiguous shard of each global batch, and computes the gradient of the
/// *global* mean loss (shard losses weighted by shard size, summed over ranks by one
/// collective inside the step), so every rank applies the same update. Bit for bit the same
/// on every rank; equal to the one-process run up to f32 rounding (the sums run in another
/// order).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::data::Batches;
/// let dist = ferrax::dist::init();
/// let dp = dist.data_parallel("batch");
/// // Fit y = 3x; rank 0's initial w everywhere, this rank's part of each batch of 16.
/// let w = dp.replicate(&Tensor::zeros(&[1, 1], DType::F32));
/// let x = Tensor::linspace(-1.0, 1.0, 64, DType::F32).reshape(&[64, 1]);
/// let batches = dp.shard(Batches::new(&(x.clone(), &x * 3.0), 16));
/// let loss = |w: &Tensor, (x, y): &(Tensor, Tensor)| (x.matmul(w) - y).powi(2).mean();
/// let grad_fn = dp.value_and_grad(loss);
/// let step = jit(move |(w, b): &(Tensor, (Tensor, Tensor))| {
///     let (loss, g) = grad_fn(w, b);
///     (w - g * 0.5, loss)
/// });
/// let mut w = w;
/// for _ in 0..20 {
///     for b in batches.epoch(0) {
///         w = dp.run(|| step(&(w.clone(), b))).0;
///     }
/// }
/// assert!((w.item::<f32>() - 3.0).abs() < 1e-3);
/// ```
#[derive(Clone)]
pub struct DataParallel {
    dist: Dist,
    axis: String,
}

impl DataParallel {
    /// The helper over `dist`, reducing over the axis `axis_name` (see
    /// [`Dist::data_parallel`]).
    ///
    /// ```
    /// let d = ferrax::dist::init();
    /// let dp = ferrax::dist::DataParallel::new(&d, "batch");
    /// assert_eq!(dp.dist().size(), d.size());
    /// ```
    pub fn new(dist: &Dist, axis_name: &str) -> Self {
        DataParallel {
            dist: dist.clone(),
            axis: axis_name.to_string(),
        }
    }

    /// The job this helper runs over.
    ///
    /// ```
    /// let d = ferrax::dist::init();
    /// assert!(d.data_parallel("b").dist().is_root() == (d.rank() == 0));
    /// ```
    pub fn dist(&self) -> &Dist {
        &self.dist
    }

    /// The axis name gradients are reduced over.
    ///
    /// ```
    /// assert_eq!(ferrax::dist::init().data_parallel("dp").axis_name(), "dp");
    /// ```
    pub fn axis_name(&self) -> &str {
        &self.axis
    }

    /// Rank 0's `tree` on every rank (initial parameters, optimizer state): start from it so
    /// every rank trains the same model whatever its own initialization was.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let d = ferrax::dist::init();
    /// let p = d.data_parallel("batch").replicate(&Tensor::scalar(d.rank() as f32));
    /// assert_eq!(p.item::<f32>(), 0.0);
    /// ```
    #[track_caller]
    pub fn replicate<P: PyTree>(&self, tree: &P) -> P {
        self.dist.broadcast(tree, 0)
    }

    /// This rank's shard of every global batch ([`Batches::shard`] with this rank and the job
    /// size): build the same `Batches` (same data, batch size and shuffle key) on every rank.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let d = ferrax::dist::init();
    /// let b = d.data_parallel("batch").shard(ferrax::data::Batches::new(&Tensor::zeros(&[8], DType::F32), 4));
    /// assert_eq!(b.shard_of(), (d.rank(), d.size()));
    /// ```
    pub fn shard<B: PyTree>(&self, batches: Batches<B>) -> Batches<B> {
        batches.shard(self.dist.rank(), self.dist.size())
    }

    /// `value_and_grad` of the global mean loss: `loss(params, shard)` must be the *mean*
    /// loss over the shard's examples; the returned function gives the mean over the global
    /// batch and its gradient, the shard means weighted by shard size (the leading axis of the
    /// batch's first leaf) and summed over the axis with one [`psum_tree`]. A rank with an
    /// empty shard contributes zero. Call it inside the (jitted) step and run the step under
    /// [`run`](DataParallel::run).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let d = ferrax::dist::init();
    /// let dp = d.data_parallel("batch");
    /// let vg = dp.value_and_grad(|w: &Tensor, x: &Tensor| (x * w).mean());
    /// let (loss, g) = dp.run(|| vg(&Tensor::scalar(2.0f32), &Tensor::from_vec(vec![1.0f32, 3.0], &[2])));
    /// assert_eq!((loss.item::<f32>(), g.item::<f32>()), (4.0, 2.0));
    /// ```
    pub fn value_and_grad<P: PyTree, B: PyTree, L: Fn(&P, &B) -> Tensor>(
        &self,
        loss: L,
    ) -> impl Fn(&P, &B) -> (Tensor, P) + use<P, B, L> {
        let axis = self.axis.clone();
        move |params: &P, batch: &B| {
            let n = batch
                .leaves()
                .first()
                .and_then(|l| l.shape().first().copied())
                .unwrap_or(0);
            let (leaves, def) = params.flatten();
            let (value, grads) = if n > 0 {
                let (v, g) = value_and_grad(|p: &P| loss(p, batch))(params);
                let w = n as f64;
                let g: Vec<Tensor> = g.leaves().iter().map(|l| l * w).collect();
                (&v * w, g)
            } else {
                let zeros = leaves.iter().map(crate::numpy::zeros_like).collect();
                (Tensor::zeros(&[], DType::F32), zeros)
            };
            let count = Tensor::full(&[], n as f64, value.dtype());
            let (value, count, grads) = psum_tree(&(value, count, grads), &axis);
            let grads = grads
                .iter()
                .map(|g| g / &lax::convert_element_type(&count, g.dtype()))
                .collect();
            (&value / &count, P::unflatten(&def, grads))
        }
    }

    /// Runs `f` (the training step) with the axis bound to this job's processes
    /// ([`Dist::with_axis`]).
    ///
    /// ```
    /// let d = ferrax::dist::init();
    /// let dp = d.data_parallel("batch");
    /// assert_eq!(dp.run(|| ferrax::lax::axis_index("batch")).item::<i32>() as usize, d.rank());
    /// ```
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        self.dist.with_axis(&self.axis, f)
    }

    /// Writes a checkpoint ([`save_params`]) from rank 0 only, then waits for every rank, so
    /// the file is complete when any rank returns. Returns whether this rank wrote it; an error
    /// is rank 0's.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let d = ferrax::dist::init();
    /// let path = std::env::temp_dir().join(format!("ferrax-dp-doc-{}.safetensors", std::process::id()));
    /// let wrote = d.data_parallel("batch").save_params(&path, &Tensor::scalar(1.0f32)).unwrap();
    /// assert_eq!(wrote, d.is_root());
    /// if wrote { std::fs::remove_file(&path).unwrap(); }
    /// ```
    pub fn save_params<P: PyTree>(
        &self,
        path: impl AsRef<Path>,
        params: &P,
    ) -> Result<bool, CheckpointError> {
        let result = if self.dist.is_root() {
            save_params(path, params).map(|()| true)
        } else {
            Ok(false)
        };
        self.dist.barrier();
        result
    }
}
