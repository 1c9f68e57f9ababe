//! `jnp.linalg.norm` with `ord` and `axis`, `cond`, and the small products of jnp.linalg and
//! jax.scipy.linalg: `outer`, `cross`, `multi_dot`, `block_diag`.

use super::matrix;
use crate::lax;
use crate::numpy as jnp;
use crate::tensor::Tensor;
use std::panic::Location;

/// Which norm [`norm_with`] takes (`jnp.linalg.norm`'s `ord`).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Ord {
    /// `ord=None`: the 2-norm of vectors, the Frobenius norm of matrices.
    #[default]
    Default,
    /// A vector p-norm, `sum(|x|^p)^(1/p)`, or a matrix norm for `p` in `1, -1, 2, -2`
    /// (max/min column sum, largest/smallest singular value).
    P(f64),
    /// `ord=inf`: max `|x|` of vectors, max row sum of matrices.
    Inf,
    /// `ord=-inf`: min `|x|` of vectors, min row sum of matrices.
    NegInf,
    /// `ord="fro"` (matrices).
    Fro,
    /// `ord="nuc"`: the sum of singular values (matrices).
    Nuc,
}

/// The options of [`norm_with`]: `ord`, and the axes: `None` (a vector norm of a 1-D input,
/// a matrix norm of a 2-D one), one axis (vector norms) or two (matrix norms).
#[derive(Clone, Debug, Default)]
pub struct NormOpts {
    /// Which norm.
    pub ord: Ord,
    /// The reduced axes (negative from the end).
    pub axis: Option<Vec<isize>>,
    /// Keep the reduced axes with length 1.
    pub keepdims: bool,
}

/// `jnp.linalg.norm(x, ord, axis, keepdims)`: vector norms over one axis, matrix norms over
/// two.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::linalg::{norm_with, NormOpts, Ord};
/// let x = Tensor::from_vec(vec![3.0f64, -4.0], &[2]);
/// let o = |ord| NormOpts { ord, ..Default::default() };
/// assert_eq!(norm_with(&x, &o(Ord::P(1.0))).to_vec::<f64>(), vec![7.0]);
/// assert_eq!(norm_with(&x, &o(Ord::Inf)).to_vec::<f64>(), vec![4.0]);
/// let m = Tensor::from_vec(vec![1.0f64, -2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(norm_with(&m, &o(Ord::P(1.0))).to_vec::<f64>(), vec![6.0]);
/// ```
#[track_caller]
pub fn norm_with(x: &Tensor, opts: &NormOpts) -> Tensor {
    let nd = x.ndim() as isize;
    let axes: Vec<isize> = match &opts.axis {
        Some(a) => a.iter().map(|&v| if v < 0 { v + nd } else { v }).collect(),
        None if x.ndim() <= 2 => (0..nd).collect(),
        None => panic!(
            "linalg.norm: give `axis` for an input of rank {} ({}) (called from {})",
            x.ndim(),
            x.aval(),
            Location::caller()
        ),
    };
    let out = match axes.len() {
        1 => vector_norm(x, axes[0], opts.ord),
        2 => matrix_norm(x, axes[0], axes[1], opts.ord),
        _ => panic!(
            "linalg.norm: one or two axes, got {:?} for {} (called from {})",
            axes,
            x.aval(),
            Location::caller()
        ),
    };
    if opts.keepdims {
        let mut shape = x.shape().to_vec();
        for &a in &axes {
            shape[a as usize] = 1;
        }
        lax::reshape(&out, &shape)
    } else {
        out
    }
}

/// A vector norm over `axis`.
#[track_caller]
fn vector_norm(x: &Tensor, axis: isize, ord: Ord) -> Tensor {
    let ax = Some(&[axis][..]);
    let abs = jnp::abs(x);
    match ord {
        Ord::Default => jnp::sqrt(&jnp::sum(&(x.clone() * x.clone()), ax)),
        Ord::Inf => jnp::max(&abs, ax),
        Ord::NegInf => jnp::min(&abs, ax),
        Ord::P(0.0) => {
            let nz = jnp::not_equal(x, 0.0).cast(x.dtype());
            jnp::sum(&nz, ax)
        }
        Ord::P(1.0) => jnp::sum(&abs, ax),
        Ord::P(2.0) => jnp::sqrt(&jnp::sum(&(x.clone() * x.clone()), ax)),
        Ord::P(p) => jnp::power(jnp::sum(&jnp::power(&abs, p), ax), 1.0 / p),
        Ord::Fro | Ord::Nuc => panic!(
            "linalg.norm: ord={ord:?} is a matrix norm, but one axis was given for {} \
             (called from {})",
            x.aval(),
            Location::caller()
        ),
    }
}

/// A matrix norm over axes `r` (rows) and `c` (columns).
#[track_caller]
fn matrix_norm(x: &Tensor, r: isize, c: isize, ord: Ord) -> Tensor {
    {
        let abs = jnp::abs(x);
        // The axes left after reducing `first`, for reducing `second` next.
        let after = |first: isize, second: isize| if second > first { second - 1 } else { second };
        let sv = |x: &Tensor| {
            let moved = jnp::moveaxis(&jnp::moveaxis(x, r, -2), after(r, c), -1);
            super::svdvals(&moved)
        };
        match ord {
            Ord::Default | Ord::Fro => {
                jnp::sqrt(&jnp::sum(&(x.clone() * x.clone()), Some(&[r, c])))
            }
            Ord::Nuc => jnp::sum(&sv(x), Some(&[-1])),
            Ord::P(2.0) => jnp::max(&sv(x), Some(&[-1])),
            Ord::P(-2.0) => jnp::min(&sv(x), Some(&[-1])),
            Ord::P(1.0) => jnp::max(&jnp::sum(&abs, Some(&[r])), Some(&[after(r, c)])),
            Ord::P(-1.0) => jnp::min(&jnp::sum(&abs, Some(&[r])), Some(&[after(r, c)])),
            Ord::Inf => jnp::max(&jnp::sum(&abs, Some(&[c])), Some(&[after(c, r)])),
            Ord::NegInf => jnp::min(&jnp::sum(&abs, Some(&[c])), Some(&[after(c, r)])),
            Ord::P(p) => panic!(
                "linalg.norm: no matrix norm of ord={p} (1, -1, 2, -2, inf, -inf, fro, nuc) \
                 for {}",
                x.aval()
            ),
        }
    }
}

/// The 2-norm condition number `s_max / s_min` of `a` (`jnp.linalg.cond(a)`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![4.0f64, 0.0, 0.0, 0.5], &[2, 2]);
/// assert_eq!(ferrax::linalg::cond(&a).to_vec::<f64>(), vec![8.0]);
/// ```
#[track_caller]
pub fn cond(a: &Tensor) -> Tensor {
    matrix("cond", a);
    let s = super::svdvals(a);
    let last = s.ndim() - 1;
    lax::div(&lax::reduce_max(&s, &[last]), &lax::reduce_min(&s, &[last]))
}

/// The outer product of two vectors (`jnp.linalg.outer`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let b = Tensor::from_vec(vec![3.0f32, 4.0], &[2]);
/// assert_eq!(ferrax::linalg::outer(&a, &b).to_vec::<f32>(), vec![3.0, 4.0, 6.0, 8.0]);
/// ```
#[track_caller]
pub fn outer(a: &Tensor, b: &Tensor) -> Tensor {
    if a.ndim() != 1 || b.ndim() != 1 {
        panic!(
            "linalg.outer: needs two vectors, got {} and {} (called from {})",
            a.aval(),
            b.aval(),
            Location::caller()
        );
    }
    jnp::outer(a, b)
}

/// The cross product of 3-vectors along the last axis (`jnp.linalg.cross`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 0.0, 0.0], &[3]);
/// let y = Tensor::from_vec(vec![0.0f32, 1.0, 0.0], &[3]);
/// assert_eq!(ferrax::linalg::cross(&x, &y).to_vec::<f32>(), vec![0.0, 0.0, 1.0]);
/// ```
#[track_caller]
pub fn cross(a: &Tensor, b: &Tensor) -> Tensor {
    let three = |t: &Tensor| t.ndim() >= 1 && t.shape()[t.ndim() - 1] == 3;
    if !three(a) || !three(b) {
        panic!(
            "linalg.cross: needs 3-vectors on the last axis, got {} and {} (called from {})",
            a.aval(),
            b.aval(),
            Location::caller()
        );
    }
    jnp::cross(a, b)
}

/// The product of a chain of matrices (`jnp.linalg.multi_dot`), multiplied in the order that
/// costs the fewest flops (the textbook chain-order dynamic program); a first 1-D operand is
/// a row vector, a last 1-D operand a column vector, as numpy's.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f64, 2.0], &[1, 2]);
/// let b = Tensor::from_vec(vec![1.0f64, 0.0, 0.0, 1.0], &[2, 2]);
/// let c = Tensor::from_vec(vec![3.0f64, 4.0], &[2]);
/// assert_eq!(ferrax::linalg::multi_dot(&[a, b, c]).to_vec::<f64>(), vec![11.0]);
/// ```
#[track_caller]
pub fn multi_dot(arrays: &[Tensor]) -> Tensor {
    let n = arrays.len();
    if n < 2 {
        panic!(
            "linalg.multi_dot: needs at least two arrays, got {n} (called from {})",
            Location::caller()
        );
    }
    let dims: Vec<(usize, usize)> = arrays
        .iter()
        .enumerate()
        .map(|(i, a)| match (a.ndim(), i) {
            (2, _) => (a.shape()[0], a.shape()[1]),
            (1, 0) => (1, a.shape()[0]),
            (1, i) if i == n - 1 => (a.shape()[0], 1),
            _ => panic!(
                "linalg.multi_dot: operand {i} must be 2-D (1-D allowed first or last), got {} \
                 (called from {})",
                a.aval(),
                Location::caller()
            ),
        })
        .collect();
    // cost[i][j]: fewest flops for arrays i..=j; split[i][j]: where to cut.
    let mut cost = vec![vec![0usize; n]; n];
    let mut split = vec![vec![0usize; n]; n];
    for len in 1..n {
        for i in 0..n - len {
            let j = i + len;
            cost[i][j] = usize::MAX;
            for k in i..j {
                let c = cost[i][k] + cost[k + 1][j] + dims[i].0 * dims[k].1 * dims[j].1;
                if c < cost[i][j] {
                    cost[i][j] = c;
                    split[i][j] = k;
                }
            }
        }
    }
    fn chain(arrays: &[Tensor], split: &[Vec<usize>], i: usize, j: usize) -> Tensor {
        if i == j {
            return arrays[i].clone();
        }
        let k = split[i][j];
        jnp::matmul(&chain(arrays, split, i, k), &chain(arrays, split, k + 1, j))
    }
    chain(arrays, &split, 0, n - 1)
}

/// The block-diagonal matrix of the given 2-D blocks (`jax.scipy.linalg.block_diag`), zeros
/// elsewhere.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32], &[1, 1]);
/// let b = Tensor::from_vec(vec![2.0f32, 3.0], &[1, 2]);
/// let d = ferrax::linalg::block_diag(&[a, b]);
/// assert_eq!(d.shape(), &[2, 3]);
/// assert_eq!(d.to_vec::<f32>(), vec![1.0, 0.0, 0.0, 0.0, 2.0, 3.0]);
/// ```
#[track_caller]
pub fn block_diag(blocks: &[Tensor]) -> Tensor {
    for b in blocks {
        if b.ndim() != 2 {
            panic!(
                "linalg.block_diag: needs 2-D blocks, got {} (called from {})",
                b.aval(),
                Location::caller()
            );
        }
    }
    let total: usize = blocks.iter().map(|b| b.shape()[1]).sum();
    let mut left = 0usize;
    let rows: Vec<Tensor> = blocks
        .iter()
        .map(|b| {
            let w = b.shape()[1];
            let zero = Tensor::zeros(&[], b.dtype());
            let right = total - left - w;
            let padded = lax::pad(b, &zero, &[(0, 0, 0), (left as i64, right as i64, 0)]);
            left += w;
            padded
        })
        .collect();
    lax::concatenate(&rows, 0)
}
