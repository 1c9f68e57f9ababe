//! More jax.numpy names: `argpartition` (JAX's two-`top_k` construction), `mask_indices`,
//! `block` (nested concatenation), `insert` (values spliced in along an axis), `vectorize`
//! (a function of core dimensions mapped over broadcast loop dimensions with nested `vmap`)
//! and `histogramdd`/`histogram2d` (per-dimension bins, one flat `bincount`-style sum).

use super::*;
use crate::interpreters::vmap;
use crate::prims::lax;
use crate::tensor::{DType, Tensor};

#[track_caller]
fn norm_axis(name: &str, axis: isize, ndim: usize) -> usize {
    let a = if axis < 0 { axis + ndim as isize } else { axis };
    if a < 0 || a as usize >= ndim.max(1) {
        panic!(
            "{name}: axis {axis} is out of range for rank {ndim} (called from {})",
            std::panic::Location::caller()
        );
    }
    a as usize
}

/// Indices that partition `a` along `axis` around its `kth` smallest element
/// (`jnp.argpartition`): the first `kth + 1` are the smallest, ascending, as JAX's `top_k` of
/// the negated values gives them, then the others in index order.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![5.0f32, 1.0, 4.0, 2.0, 3.0], &[5]);
/// assert_eq!(ferrax::numpy::argpartition(&a, 2, -1).to_vec::<i32>(), vec![1, 3, 4, 0, 2]);
/// ```
#[track_caller]
pub fn argpartition(a: &Tensor, kth: usize, axis: isize) -> Tensor {
    let nd = a.ndim();
    let ax = norm_axis("argpartition", axis, nd);
    let arr = if nd == 0 {
        a.reshape(&[1])
    } else {
        swapaxes(a, ax as isize, -1)
    };
    let n = *arr.shape().last().expect("rank >= 1");
    if kth >= n {
        panic!(
            "argpartition: kth={kth} is out of range for {} along axis {axis} (called from {})",
            a.aval(),
            std::panic::Location::caller()
        );
    }
    let neg = if arr.dtype() == DType::U32 {
        lax::neg(&lax::add(
            &arr,
            &Tensor::from_f64_values(&[1.0], &[], DType::U32),
        ))
    } else {
        lax::neg(&arr)
    };
    let bottom = lax::top_k(&neg, kth + 1).1;
    // Proxy: 1.0 everywhere except 0.0 at the bottom indices, so top_k picks the rest in
    // index order.
    let mut big = bottom.shape().to_vec();
    big.push(n);
    let keep: Vec<usize> = (0..bottom.ndim()).collect();
    let hit = lax::eq(
        &lax::broadcast_in_dim(&bottom, &big, &keep),
        &lax::iota(DType::I32, &big, big.len() - 1),
    );
    let taken = lax::reduce_or(&hit, &[big.len() - 2]);
    let proxy = lax::select_n(
        &taken,
        &[
            Tensor::ones(arr.shape(), DType::F32),
            Tensor::zeros(arr.shape(), DType::F32),
        ],
    );
    let top = lax::top_k(&proxy, n - kth - 1).1;
    let out = lax::concatenate(&[bottom, top], arr.ndim() - 1);
    if nd == 0 {
        out.reshape(&[])
    } else {
        swapaxes(&out, -1, ax as isize)
    }
}

/// The indices `(rows, cols)` where `mask_func(ones((n, n)), k)` is nonzero
/// (`jnp.mask_indices`), e.g. with [`triu`] the upper triangle.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy as jnp;
/// let (i, j) = jnp::mask_indices(3, jnp::triu, 1);
/// assert_eq!((i.to_vec::<i32>(), j.to_vec::<i32>()), (vec![0, 0, 1], vec![1, 2, 2]));
/// ```
#[track_caller]
pub fn mask_indices(
    n: usize,
    mask_func: impl Fn(&Tensor, isize) -> Tensor,
    k: isize,
) -> (Tensor, Tensor) {
    let m = mask_func(&Tensor::ones(&[n, n], DType::F32), k);
    let count = m
        .cast(DType::F64)
        .to_vec::<f64>()
        .iter()
        .filter(|&&v| v != 0.0)
        .count();
    let ij = nonzero(&m, count);
    (ij[0].clone(), ij[1].clone())
}

/// A nested list of arrays for [`block`].
#[derive(Clone, Debug)]
pub enum Block {
    /// One array.
    Array(Tensor),
    /// A list of blocks, all at the same depth.
    List(Vec<Block>),
}

impl Block {
    fn depth(&self) -> Result<usize, String> {
        match self {
            Block::Array(_) => Ok(0),
            Block::List(items) => {
                if items.is_empty() {
                    return Err("a list is empty".into());
                }
                let ds: Vec<usize> = items.iter().map(Block::depth).collect::<Result<_, _>>()?;
                if ds.iter().any(|&d| d != ds[0]) {
                    return Err(format!("lists are nested to different depths {ds:?}"));
                }
                Ok(ds[0] + 1)
            }
        }
    }

    fn max_ndim(&self) -> usize {
        match self {
            Block::Array(t) => t.ndim(),
            Block::List(items) => items.iter().map(Block::max_ndim).max().unwrap_or(0),
        }
    }

    fn assemble(&self, level: usize, depth: usize, ndim: usize) -> Tensor {
        match self {
            Block::Array(t) => {
                let mut shape = vec![1; ndim - t.ndim()];
                shape.extend_from_slice(t.shape());
                if shape == t.shape() {
                    t.clone()
                } else {
                    t.reshape(&shape.iter().map(|&d| d as isize).collect::<Vec<_>>())
                }
            }
            Block::List(items) => {
                let parts: Vec<Tensor> = items
                    .iter()
                    .map(|b| b.assemble(level + 1, depth, ndim))
                    .collect();
                concatenate(&parts, -((depth - level) as isize))
            }
        }
    }
}

/// Assembles an array from nested lists of blocks (`jnp.block`): the innermost lists are
/// concatenated along the last axis, the next along the second-to-last, and so on; arrays
/// of lower rank get leading axes of size 1.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{block, Block};
/// let a = Tensor::ones(&[2, 2], DType::F32);
/// let b = Tensor::zeros(&[2, 1], DType::F32);
/// let c = Tensor::zeros(&[1, 3], DType::F32);
/// let m = block(&Block::List(vec![
///     Block::List(vec![Block::Array(a), Block::Array(b)]),
///     Block::List(vec![Block::Array(c)]),
/// ]));
/// assert_eq!(m.shape(), &[3, 3]);
/// ```
#[track_caller]
pub fn block(arrays: &Block) -> Tensor {
    let depth = arrays.depth().unwrap_or_else(|e| {
        panic!(
            "block: {e} (called from {})",
            std::panic::Location::caller()
        )
    });
    let ndim = arrays.max_ndim().max(depth);
    arrays.assemble(0, depth, ndim)
}

/// Where [`insert`] puts the values: before one index (the values' first axis becomes the
/// inserted axis, as numpy does for a scalar index), or before each of several indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InsertAt {
    /// A scalar index (`obj=2`).
    Index(isize),
    /// One index per inserted slice (`obj=[0, 2]`).
    Indices(Vec<isize>),
}

/// `arr` with `values` inserted before the given indices along `axis` (`jnp.insert`; `None`
/// flattens `arr` first). Indices are static; values broadcast to the inserted slices.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{insert, InsertAt};
/// let a = Tensor::from_vec(vec![1, 2, 3], &[3]);
/// let v = Tensor::from_vec(vec![9, 8], &[2]);
/// let r = insert(&a, InsertAt::Indices(vec![0, 2]), &v, None);
/// assert_eq!(r.to_vec::<i32>(), vec![9, 1, 2, 8, 3]);
/// ```
#[track_caller]
pub fn insert(arr: &Tensor, obj: InsertAt, values: &Tensor, axis: Option<isize>) -> Tensor {
    let (a, axis) = match axis {
        None => (ravel(arr), 0usize),
        Some(ax) => (arr.clone(), norm_axis("insert", ax, arr.ndim())),
    };
    let mut v = if values.dtype() == a.dtype() {
        values.clone()
    } else {
        values.cast(a.dtype())
    };
    if v.ndim() < a.ndim() {
        let mut shape = vec![1isize; a.ndim() - v.ndim()];
        shape.extend(v.shape().iter().map(|&d| d as isize));
        v = v.reshape(&shape);
    }
    let indices: Vec<isize> = match obj {
        InsertAt::Index(i) => {
            v = moveaxis(&v, 0, axis as isize);
            vec![i; v.shape()[axis]]
        }
        InsertAt::Indices(ix) => ix,
    };
    let n_input = a.shape()[axis];
    let n_insert = if indices.len() == 1 {
        v.shape()[axis]
    } else {
        indices.len()
    };
    let mut ins: Vec<usize> = indices
        .iter()
        .map(|&i| {
            (if i < 0 { i + n_input as isize } else { i }).clamp(0, n_input as isize) as usize
        })
        .collect();
    if ins.len() == 1 {
        ins = vec![ins[0]; n_insert];
    }
    let mut vshape = a.shape().to_vec();
    vshape[axis] = n_insert;
    if v.ndim() != a.ndim()
        || v.shape()
            .iter()
            .zip(&vshape)
            .any(|(&s, &t)| s != 1 && s != t)
    {
        panic!(
            "insert: values {} do not broadcast to the inserted shape {vshape:?} of {} (called from {})",
            values.aval(),
            arr.aval(),
            std::panic::Location::caller()
        );
    }
    let v = broadcast_to(&v, &vshape);
    // JAX's placement: the k-th inserted slice (in stable order of its index) lands at its
    // index plus k; the input fills the remaining positions in order.
    let mut order: Vec<usize> = (0..n_insert).collect();
    order.sort_by_key(|&k| ins[k]);
    let mut source = vec![usize::MAX; n_input + n_insert];
    for (rank, &k) in order.iter().enumerate() {
        source[ins[k] + rank] = n_input + k;
    }
    for (next, s) in source.iter_mut().filter(|s| **s == usize::MAX).enumerate() {
        *s = next;
    }
    let both = lax::concatenate(&[a, v], axis);
    let idx = Tensor::from_f64_values(
        &source.iter().map(|&s| s as f64).collect::<Vec<_>>(),
        &[source.len()],
        DType::I32,
    );
    take(&both, &idx, axis as isize)
}

/// Parses a gufunc signature `"(m,n),(n)->(m)"` into core dims per input and the output's.
fn parse_signature(sig: &str) -> Result<(Vec<Vec<String>>, Vec<String>), String> {
    let s: String = sig.chars().filter(|c| !c.is_whitespace()).collect();
    let (ins, out) = s
        .split_once("->")
        .ok_or_else(|| format!("signature {sig:?} has no '->'"))?;
    let groups = |t: &str| -> Result<Vec<Vec<String>>, String> {
        let mut out = Vec::new();
        let mut rest = t;
        while !rest.is_empty() {
            let r = rest
                .strip_prefix('(')
                .ok_or_else(|| format!("bad signature {sig:?}"))?;
            let end = r
                .find(')')
                .ok_or_else(|| format!("bad signature {sig:?}"))?;
            let dims: Vec<String> = r[..end]
                .split(',')
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect();
            out.push(dims);
            rest = r[end + 1..].strip_prefix(',').unwrap_or(&r[end + 1..]);
        }
        Ok(out)
    };
    let i = groups(ins)?;
    let mut o = groups(out)?;
    if o.len() != 1 {
        return Err(format!("signature {sig:?} must have one output"));
    }
    Ok((i, o.remove(0)))
}

fn map_loops(f: &dyn Fn(&[Tensor]) -> Tensor, xs: &[Tensor], depth: usize) -> Tensor {
    if depth == 0 {
        return f(xs);
    }
    vmap(|v: &Vec<Tensor>| map_loops(f, v, depth - 1))(&xs.to_vec())
}

/// `jnp.vectorize(f, signature=...)`: `f` written for arrays with the signature's core
/// dimensions (all rank 0 when `signature` is `None`) applied over the broadcast leading
/// "loop" dimensions of the arguments, with one nested `vmap` per loop dimension.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy as jnp;
/// // A dot product of vectors, mapped over a batch of rows against one vector.
/// let dot = jnp::vectorize(|xs: &[Tensor]| (&xs[0] * &xs[1]).sum(), Some("(n),(n)->()"));
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// let b = Tensor::from_vec(vec![1.0f32, 1.0], &[2]);
/// assert_eq!(dot(&[a, b]).to_vec::<f32>(), vec![3.0, 7.0]);
/// ```
pub fn vectorize<F>(f: F, signature: Option<&str>) -> impl Fn(&[Tensor]) -> Tensor + use<F>
where
    F: Fn(&[Tensor]) -> Tensor,
{
    let sig = signature.map(|s| parse_signature(s).unwrap_or_else(|e| panic!("vectorize: {e}")));
    move |xs: &[Tensor]| {
        let core: Vec<usize> = match &sig {
            Some((ins, _)) => {
                assert_eq!(
                    ins.len(),
                    xs.len(),
                    "vectorize: the signature names {} inputs, {} given",
                    ins.len(),
                    xs.len()
                );
                ins.iter().map(Vec::len).collect()
            }
            None => vec![0; xs.len()],
        };
        let mut sizes: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut loop_shape: Vec<usize> = Vec::new();
        for (k, (x, &c)) in xs.iter().zip(&core).enumerate() {
            assert!(
                x.ndim() >= c,
                "vectorize: input {k} {} has fewer dims than its core dims {c}",
                x.aval()
            );
            if let Some((ins, _)) = &sig {
                for (name, &d) in ins[k].iter().zip(&x.shape()[x.ndim() - c..]) {
                    let s = *sizes.entry(name.clone()).or_insert(d);
                    assert_eq!(s, d, "vectorize: core dim {name} has sizes {s} and {d}");
                }
            }
            let lead = &x.shape()[..x.ndim() - c];
            // numpy broadcasting: align from the right, size 1 stretches.
            let n = loop_shape.len().max(lead.len());
            let pad = |s: &[usize]| {
                let mut v = vec![1; n - s.len()];
                v.extend_from_slice(s);
                v
            };
            let (p, q) = (pad(&loop_shape), pad(lead));
            loop_shape = p
                .iter()
                .zip(&q)
                .map(|(&a, &b)| match (a, b) {
                    _ if a == b || b == 1 => a,
                    (1, _) => b,
                    _ => panic!("vectorize: loop dims {lead:?} do not broadcast with {p:?}"),
                })
                .collect();
        }
        let args: Vec<Tensor> = xs
            .iter()
            .zip(&core)
            .map(|(x, &c)| {
                let mut shape = loop_shape.clone();
                shape.extend_from_slice(&x.shape()[x.ndim() - c..]);
                broadcast_to(x, &shape)
            })
            .collect();
        map_loops(&f, &args, loop_shape.len())
    }
}

/// The keyword arguments of [`histogramdd_with`] / [`histogram2d_with`].
#[derive(Clone, Debug, Default)]
pub struct HistogramDd {
    /// Lower and upper edge per dimension (`None`: each dimension's data range).
    pub range: Option<Vec<(f64, f64)>>,
    /// Each sample's weight.
    pub weights: Option<Tensor>,
    /// Normalize to a probability density.
    pub density: bool,
}

/// A multidimensional histogram of `sample` (`N` points as rows of `f[N, D]`) with `bins[d]`
/// equal bins per dimension (`jnp.histogramdd`): the counts (`i32[bins...]`, or floats with
/// weights or density, as in JAX) and each dimension's edges. A point on a last edge falls in
/// the last bin.
///
/// ```
/// use ferrax::prelude::*;
/// let s = Tensor::from_vec(vec![0.0f32, 0.0, 1.0, 1.0, 0.2, 0.9], &[3, 2]);
/// let (h, edges) = ferrax::numpy::histogramdd(&s, &[2, 2]);
/// assert_eq!(h.to_vec::<i32>(), vec![1, 1, 0, 1]);
/// assert_eq!(edges[0].to_vec::<f32>(), vec![0.0, 0.5, 1.0]);
/// ```
#[track_caller]
pub fn histogramdd(sample: &Tensor, bins: &[usize]) -> (Tensor, Vec<Tensor>) {
    histogramdd_with(sample, bins, HistogramDd::default())
}

/// [`histogramdd`] with `range`, `weights` and `density`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{histogramdd_with, HistogramDd};
/// let s = Tensor::from_vec(vec![0.1f32, 0.1, 0.6, 0.6], &[2, 2]);
/// let o = HistogramDd { range: Some(vec![(0.0, 1.0), (0.0, 1.0)]), density: true, ..Default::default() };
/// let (h, _) = histogramdd_with(&s, &[2, 2], o);
/// assert_eq!(h.to_vec::<f32>(), vec![2.0, 0.0, 0.0, 2.0]);
/// ```
#[track_caller]
pub fn histogramdd_with(
    sample: &Tensor,
    bins: &[usize],
    opts: HistogramDd,
) -> (Tensor, Vec<Tensor>) {
    let caller = std::panic::Location::caller();
    let s = super::ufuncs::to_float(sample);
    let s = if s.ndim() == 1 {
        s.reshape(&[-1, 1])
    } else {
        s
    };
    if s.ndim() != 2 || bins.len() != s.shape()[1] {
        panic!(
            "histogramdd: needs a sample f[N, D] and D bin counts, got {} and bins {bins:?} (called from {caller})",
            sample.aval()
        );
    }
    let n = s.shape()[0];
    let d = bins.len();
    let weights = match &opts.weights {
        Some(w) => {
            if w.shape() != [n] {
                panic!(
                    "histogramdd: weights {} for {n} samples (called from {caller})",
                    w.aval()
                );
            }
            w.cast(s.dtype())
        }
        // Unweighted counts are integers, as JAX's `bincount` makes them (floats for density).
        None if opts.density => Tensor::ones(&[n], s.dtype()),
        None => Tensor::ones(&[n], DType::I32),
    };
    let mut edges = Vec::with_capacity(d);
    let mut flat = Tensor::zeros(&[n], DType::I32);
    let nb: Vec<usize> = bins.iter().map(|b| b + 2).collect();
    for (i, &b) in bins.iter().enumerate() {
        let col = index_axis(&s, 1, i as isize);
        let h = super::Histogram {
            range: opts.range.as_ref().map(|r| r[i]),
            ..Default::default()
        };
        let e = histogram_bin_edges_with(&col, b, h);
        let mut idx = searchsorted_with(
            &e,
            &col,
            super::SearchSorted {
                side: super::Side::Right,
            },
        );
        let last = index_axis(&e, 0, b as isize);
        idx = where_(&col.eq(&last), lax::sub(&idx, &Tensor::scalar(1i32)), &idx);
        let stride: usize = nb[i + 1..].iter().product();
        flat = lax::add(&flat, &lax::mul(&idx, &Tensor::scalar(stride as i32)));
        edges.push(e);
    }
    // hist[b] = sum of the weights of the points in flat bin b (one-hot, then a sum).
    let total: usize = nb.iter().product();
    let big = [n, total];
    let hot = lax::eq(
        &lax::broadcast_in_dim(&flat, &big, &[0]),
        &lax::iota(DType::I32, &big, 1),
    );
    let w = lax::broadcast_in_dim(&weights, &big, &[0]);
    let zeros = Tensor::zeros(&big, w.dtype());
    let hist = lax::reduce_sum(&lax::select_n(&hot, &[zeros, w]), &[0]);
    let hist = hist.reshape(&nb.iter().map(|&v| v as isize).collect::<Vec<_>>());
    let starts = vec![1usize; d];
    let limits: Vec<usize> = nb.iter().map(|v| v - 1).collect();
    let mut hist = lax::slice(&hist, &starts, &limits, None);
    if opts.density {
        // JAX divides by the total and then by each dimension's widths; XLA rewrites
        // `a / b / c` as `a / (b * c)`, so the divisor is built as one product first (bit for
        // bit what JAX returns).
        let mut divisor = lax::broadcast_in_dim(&hist.sum(), hist.shape(), &[]);
        for (i, e) in edges.iter().enumerate() {
            let widths = diff(e, 1, 0);
            let mut shape = vec![1isize; d];
            shape[i] = bins[i] as isize;
            divisor = lax::mul(
                &divisor,
                &broadcast_to(&widths.reshape(&shape), hist.shape()),
            );
        }
        hist = lax::div(&hist, &divisor);
    }
    (hist, edges)
}

/// A two-dimensional histogram of the points `(x[i], y[i])` (`jnp.histogram2d`): counts
/// `i32[bx, by]` (floats with weights or density) and the x and y edges.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32, 1.0, 0.2], &[3]);
/// let y = Tensor::from_vec(vec![0.0f32, 1.0, 0.9], &[3]);
/// let (h, ex, _) = ferrax::numpy::histogram2d(&x, &y, (2, 2));
/// assert_eq!(h.to_vec::<i32>(), vec![1, 1, 0, 1]);
/// assert_eq!(ex.shape(), &[3]);
/// ```
#[track_caller]
pub fn histogram2d(x: &Tensor, y: &Tensor, bins: (usize, usize)) -> (Tensor, Tensor, Tensor) {
    histogram2d_with(x, y, bins, HistogramDd::default())
}

/// [`histogram2d`] with `range`, `weights` and `density`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{histogram2d_with, HistogramDd};
/// let x = Tensor::from_vec(vec![0.1f32, 0.6], &[2]);
/// let o = HistogramDd { range: Some(vec![(0.0, 1.0), (0.0, 1.0)]), ..Default::default() };
/// let (h, _, _) = histogram2d_with(&x, &x, (2, 2), o);
/// assert_eq!(h.to_vec::<i32>(), vec![1, 0, 0, 1]);
/// ```
#[track_caller]
pub fn histogram2d_with(
    x: &Tensor,
    y: &Tensor,
    bins: (usize, usize),
    opts: HistogramDd,
) -> (Tensor, Tensor, Tensor) {
    let (xf, yf) = (super::ufuncs::to_float(x), super::ufuncs::to_float(y));
    let dt = DType::promote(xf.dtype(), yf.dtype());
    let s = stack(&[xf.cast(dt), yf.cast(dt)], 1);
    let (h, mut e) = histogramdd_with(&s, &[bins.0, bins.1], opts);
    let ey = e.pop().expect("two dims");
    let ex = e.pop().expect("two dims");
    (h, ex, ey)
}
