//! `jnp.einsum` and `jnp.einsum_path`: Einstein summation lowered as JAX lowers it
//! (`jax/_src/numpy/einsum.py`). The subscripts are parsed as `opt_einsum` parses them
//! ([`parse`]), a pairwise contraction order is chosen by `opt_einsum`'s `optimal` or `greedy`
//! ([`path`]), and each step becomes: reduce-sums of labels only one operand has, a diagonal
//! mask and sum per repeated label, one `dot_general` with batch dims for the pair, and a
//! `transpose` only when its output order is not the step's. So `einsum("ij,jk->ik")` stages
//! exactly one `dot_general`, as in JAX, and runs at matmul speed.

mod parse;
mod path;

use crate::prims::lax;
use crate::tensor::{DType, Tensor};
use path::{Labels, Step};
use std::collections::BTreeMap;
use std::fmt;

/// How `einsum` picks the pairwise contraction order (JAX's `optimize=`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Optimize {
    /// `"auto"` (JAX's default, opt_einsum's choice by operand count): `optimal` for up to 4
    /// operands, branch-and-bound over all branches for 5-6, two branches for 7-8, one for
    /// 9-14, `greedy` beyond.
    #[default]
    Auto,
    /// Every pairwise order searched, the fewest flops kept (`optimize="optimal"` or `True`).
    Optimal,
    /// opt_einsum's greedy memory-removed heuristic (`optimize="greedy"`).
    Greedy,
    /// opt_einsum's branch-and-bound search keeping the `n` best candidates per step, or all
    /// of them for `None` (`"branch-2"`, `"branch-all"`).
    Branch(Option<usize>),
    /// Left to right, `[(0, 1)] * (n - 1)` (`optimize=False`).
    Unoptimized,
    /// An explicit path as `einsum_path` returns it: positions into the current operand list.
    Path(Vec<Vec<usize>>),
}

/// The requested matmul precision (`lax.Precision`). Accepted for JAX compatibility: ferrax's
/// CPU kernels always compute in the operands' full precision, so all three agree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Precision {
    /// `Precision.DEFAULT`, the fastest mode. (Not named `Default`: a public item of that
    /// name makes rustc spell the `Default` trait as `std::default::Default` in every error
    /// message of programs that use ferrax.)
    #[default]
    Fastest,
    /// `Precision.HIGH`.
    High,
    /// `Precision.HIGHEST`.
    Highest,
}

/// The keyword arguments of `jnp.einsum` (see the convention in [`crate::numpy`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Einsum {
    /// The contraction-order strategy.
    pub optimize: Optimize,
    /// The matmul precision.
    pub precision: Precision,
    /// The result (and accumulation) dtype; `None` is the operands' promoted dtype.
    pub preferred_element_type: Option<DType>,
}

/// The contraction order chosen for an einsum and opt_einsum's readable report of it
/// (`jnp.einsum_path`'s two results). `path` can be passed back as [`Optimize::Path`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EinsumPath {
    /// Positions contracted at each step, into the operand list as it stands then (contracted
    /// operands removed, each result appended).
    pub path: Vec<Vec<usize>>,
    /// opt_einsum's `PathInfo` text: scaling, flop counts, largest intermediate, the steps.
    pub report: String,
}

impl fmt::Display for EinsumPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.report)
    }
}

/// Einstein summation (`jnp.einsum(subscripts, *operands)`), with JAX's defaults: labels per
/// operand separated by commas, an optional `->output` (implicit: the labels that appear once,
/// sorted), `...` for broadcast dims, repeated labels in one operand for diagonals and traces.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy as jnp;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// let b = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0], &[2, 2]);
/// assert_eq!(jnp::einsum("ij,jk->ik", &[a.clone(), b]).to_vec::<f32>(), vec![1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(jnp::einsum("ii", &[a]).item::<f32>(), 5.0); // the trace
/// ```
#[track_caller]
pub fn einsum(subscripts: &str, operands: &[Tensor]) -> Tensor {
    einsum_with(subscripts, operands, Einsum::default())
}

/// [`einsum`] with its keyword arguments: the path strategy, precision and result dtype.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, Einsum, Optimize};
/// let x = Tensor::ones(&[2, 3], DType::F32);
/// let y = Tensor::ones(&[3, 4], DType::F32);
/// let z = Tensor::ones(&[4, 5], DType::F32);
/// let opts = Einsum { optimize: Optimize::Greedy, ..Default::default() };
/// let r = jnp::einsum_with("ij,jk,kl->il", &[x, y, z], opts);
/// assert_eq!(r.shape(), &[2, 5]);
/// assert_eq!(r.to_vec::<f32>()[0], 12.0);
/// ```
#[track_caller]
pub fn einsum_with(subscripts: &str, operands: &[Tensor], options: Einsum) -> Tensor {
    let caller = std::panic::Location::caller();
    let fail = |why: String| -> ! {
        let shapes: Vec<String> = operands.iter().map(|t| t.aval().to_string()).collect();
        panic!(
            "einsum: {why} (subscripts {subscripts:?}, operands {}) (called from {caller})",
            shapes.join(", ")
        )
    };
    if operands.is_empty() {
        fail("needs at least one operand".into());
    }
    let plan = plan(subscripts, operands, &options.optimize).unwrap_or_else(|e| fail(e));
    let dtype = options.preferred_element_type.unwrap_or_else(|| {
        operands
            .iter()
            .map(Tensor::dtype)
            .reduce(DType::promote)
            .expect("non-empty")
    });
    let mut ops: Vec<(Tensor, Vec<char>)> = operands
        .iter()
        .zip(&plan.inputs)
        .map(|(t, l)| {
            let t = if t.dtype() == dtype {
                t.clone()
            } else {
                lax::convert_element_type(t, dtype)
            };
            (t, l.clone())
        })
        .collect();
    for step in &plan.steps {
        let taken: Vec<(Tensor, Vec<char>)> =
            step.positions.iter().map(|&i| ops.remove(i)).collect();
        let out = contract(taken, step);
        ops.push((out, step.result.clone()));
    }
    let (result, _) = ops.pop().expect("one result");
    if result.dtype() == dtype {
        result
    } else {
        lax::convert_element_type(&result, dtype)
    }
}

/// The contraction order `einsum` would use for these operands (`jnp.einsum_path` with
/// `optimize="auto"`), and opt_einsum's report of it.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy as jnp;
/// let x = Tensor::ones(&[2, 3], DType::F32);
/// let y = Tensor::ones(&[3, 4], DType::F32);
/// let z = Tensor::ones(&[4, 5], DType::F32);
/// let p = jnp::einsum_path("ij,jk,kl->il", &[x, y, z]);
/// assert_eq!(p.path, vec![vec![0, 1], vec![0, 1]]);
/// assert!(p.report.contains("Optimized FLOP count:  1.280e+2"));
/// ```
#[track_caller]
pub fn einsum_path(subscripts: &str, operands: &[Tensor]) -> EinsumPath {
    einsum_path_with(subscripts, operands, Optimize::Auto)
}

/// [`einsum_path`] with a chosen strategy (`optimize=`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, Optimize};
/// let x = Tensor::ones(&[2, 3], DType::F32);
/// let y = Tensor::ones(&[3, 2], DType::F32);
/// let p = jnp::einsum_path_with("ij,jk->ik", &[x, y], Optimize::Greedy);
/// assert_eq!(p.path, vec![vec![0, 1]]);
/// ```
#[track_caller]
pub fn einsum_path_with(subscripts: &str, operands: &[Tensor], optimize: Optimize) -> EinsumPath {
    let caller = std::panic::Location::caller();
    let plan = plan(subscripts, operands, &optimize).unwrap_or_else(|e| {
        panic!("einsum_path: {e} (subscripts {subscripts:?}) (called from {caller})")
    });
    let report = path::report(&plan.inputs, &plan.output, &plan.sizes, &plan.steps);
    EinsumPath {
        path: plan.path,
        report,
    }
}

/// A parsed and ordered einsum.
struct Plan {
    inputs: Vec<Vec<char>>,
    output: Vec<char>,
    sizes: BTreeMap<char, usize>,
    path: Vec<Vec<usize>>,
    steps: Vec<Step>,
}

fn plan(subscripts: &str, operands: &[Tensor], optimize: &Optimize) -> Result<Plan, String> {
    let ndims: Vec<usize> = operands.iter().map(Tensor::ndim).collect();
    let eq = parse::parse(subscripts, &ndims)?;
    let mut sizes: BTreeMap<char, usize> = BTreeMap::new();
    for (n, (labels, t)) in eq.inputs.iter().zip(operands).enumerate() {
        for (&c, &d) in labels.iter().zip(t.shape()) {
            match sizes.get(&c).copied() {
                None | Some(1) => {
                    sizes.insert(c, d);
                }
                Some(s) if d != 1 && d != s => {
                    return Err(format!(
                        "size of label {c:?} for operand {n} ({d}) does not match previous terms ({s})"
                    ));
                }
                _ => {}
            }
        }
    }
    let n = operands.len();
    let sets: Vec<Labels> = eq
        .inputs
        .iter()
        .map(|l| l.iter().copied().collect())
        .collect();
    let out_set: Labels = eq.output.iter().copied().collect();
    let path: Vec<Vec<usize>> = match optimize {
        Optimize::Path(p) => {
            check_path(p, n)?;
            p.clone()
        }
        _ if n <= 2 => vec![(0..n).collect()],
        Optimize::Unoptimized => vec![vec![0, 1]; n - 1],
        Optimize::Optimal => path::optimal(&sets, &out_set, &sizes),
        Optimize::Auto if n <= 4 => path::optimal(&sets, &out_set, &sizes),
        Optimize::Auto if n <= 6 => path::branch(&sets, &out_set, &sizes, None),
        Optimize::Auto if n <= 8 => path::branch(&sets, &out_set, &sizes, Some(2)),
        Optimize::Auto if n <= 14 => path::branch(&sets, &out_set, &sizes, Some(1)),
        Optimize::Branch(nb) => path::branch(&sets, &out_set, &sizes, *nb),
        Optimize::Auto | Optimize::Greedy => path::greedy(&sets, &out_set, &sizes),
    };
    let steps = path::steps(&eq.inputs, &eq.output, &sizes, &path);
    for s in &steps {
        if s.positions.len() > 2 {
            return Err(format!(
                "a path step contracts {} operands at once; einsum contracts one or two per step",
                s.positions.len()
            ));
        }
    }
    Ok(Plan {
        inputs: eq.inputs,
        output: eq.output,
        sizes,
        path,
        steps,
    })
}

fn check_path(p: &[Vec<usize>], n: usize) -> Result<(), String> {
    let mut live = n;
    for step in p {
        let mut s = step.clone();
        s.sort_unstable();
        s.dedup();
        if s.is_empty() || s.len() != step.len() || s.iter().any(|&i| i >= live) {
            return Err(format!("path step {step:?} is invalid for {live} operands"));
        }
        live = live - s.len() + 1;
    }
    if live != 1 {
        return Err(format!("path {p:?} leaves {live} operands, not one"));
    }
    Ok(())
}

/// Sums `axes` of `x` (logical or for bool, as JAX's `lax.reduce` with `bitwise_or`).
fn sum_axes(x: &Tensor, axes: &[usize]) -> Tensor {
    if x.dtype() == DType::Bool {
        lax::reduce_max(x, axes)
    } else {
        lax::reduce_sum(x, axes)
    }
}

fn remove_labels(names: &[char], gone: &[char]) -> Vec<char> {
    names
        .iter()
        .copied()
        .filter(|c| !gone.contains(c))
        .collect()
}

/// JAX's `sum_uniques`: one reduce-sum over the labels in `uniques`.
fn sum_uniques(x: Tensor, names: Vec<char>, uniques: &[char]) -> (Tensor, Vec<char>) {
    if uniques.is_empty() {
        return (x, names);
    }
    let axes: Vec<usize> = uniques
        .iter()
        .map(|u| names.iter().position(|c| c == u).expect("label present"))
        .collect();
    (sum_axes(&x, &axes), remove_labels(&names, uniques))
}

/// JAX's `lax._delta`: a bool mask of `shape` true where the dims `axes` have equal indices.
fn delta(shape: &[usize], axes: &[usize]) -> Tensor {
    let base: Vec<usize> = axes.iter().map(|&a| shape[a]).collect();
    let iotas: Vec<Tensor> = (0..base.len())
        .map(|i| lax::iota(DType::U32, &base, i))
        .collect();
    let eyes: Vec<Tensor> = iotas.windows(2).map(|w| lax::eq(&w[0], &w[1])).collect();
    let eye = eyes
        .into_iter()
        .reduce(|a, b| lax::and(&a, &b))
        .expect("a repeated label has two axes");
    if base == shape {
        eye
    } else {
        lax::broadcast_in_dim(&eye, shape, axes)
    }
}

/// JAX's `sum_repeats`: for each label repeated in `names`, masks off the diagonal and sums
/// the copies away (keeping one if `keep` has the label).
fn sum_repeats(mut x: Tensor, mut names: Vec<char>, keep: &[char]) -> (Tensor, Vec<char>) {
    let mut seen: Vec<char> = Vec::new();
    for &c in names.clone().iter() {
        if seen.contains(&c) {
            continue;
        }
        seen.push(c);
        let axes: Vec<usize> = (0..names.len()).filter(|&i| names[i] == c).collect();
        if axes.len() < 2 {
            continue;
        }
        let eye = delta(x.shape(), &axes);
        let zeros = lax::broadcast_in_dim(&Tensor::zeros(&[], x.dtype()), x.shape(), &[]);
        x = lax::select_n(&eye, &[zeros, x]);
        if keep.contains(&c) {
            x = sum_axes(&x, &axes[..axes.len() - 1]);
            let mut dropped = 0;
            names.retain(|&n| {
                if n == c && dropped < axes.len() - 1 {
                    dropped += 1;
                    false
                } else {
                    true
                }
            });
        } else {
            x = sum_axes(&x, &axes);
            names.retain(|&n| n != c);
        }
    }
    (x, names)
}

/// JAX's `filter_singleton_dims`: squeezes size-1 dims whose label the other operand has with
/// a size other than 1 (broadcasting).
fn filter_singleton_dims(
    x: Tensor,
    names: Vec<char>,
    other: &[usize],
    other_names: &[char],
) -> (Tensor, Vec<char>) {
    let mut squeeze = Vec::new();
    let mut kept = Vec::new();
    for (i, &c) in names.iter().enumerate() {
        let keep = x.shape()[i] != 1
            || other_names
                .iter()
                .position(|&o| o == c)
                .is_none_or(|j| other[j] == 1);
        if keep {
            kept.push(c);
        } else {
            squeeze.push(i);
        }
    }
    if squeeze.is_empty() {
        (x, names)
    } else {
        (lax::squeeze(&x, &squeeze), kept)
    }
}

/// One step of JAX's `_einsum` loop.
fn contract(mut taken: Vec<(Tensor, Vec<char>)>, step: &Step) -> Tensor {
    let result = &step.result;
    let contracted: Vec<char> = step.removed.iter().copied().collect();
    let count = |names: &[char], c: char| names.iter().filter(|&&n| n == c).count();
    let (operand, names) = if taken.len() == 1 {
        let (x, names) = taken.pop().expect("one operand");
        let uniques: Vec<char> = contracted
            .iter()
            .copied()
            .filter(|&c| count(&names, c) == 1)
            .collect();
        let (x, names) = sum_uniques(x, names, &uniques);
        sum_repeats(x, names, result)
    } else {
        let (rhs, rhs_names) = taken.pop().expect("two operands");
        let (lhs, lhs_names) = taken.pop().expect("two operands");
        let (lhs, lhs_names) = filter_singleton_dims(lhs, lhs_names, rhs.shape(), &rhs_names);
        let (rhs, rhs_names) = filter_singleton_dims(rhs, rhs_names, lhs.shape(), &lhs_names);
        let lu: Vec<char> = contracted
            .iter()
            .copied()
            .filter(|&c| count(&lhs_names, c) == 1 && count(&rhs_names, c) == 0)
            .collect();
        let (lhs, lhs_names0) = sum_uniques(lhs, lhs_names.clone(), &lu);
        let ru: Vec<char> = contracted
            .iter()
            .copied()
            .filter(|&c| count(&rhs_names, c) == 1 && count(&lhs_names, c) == 0)
            .collect();
        let (rhs, rhs_names0) = sum_uniques(rhs, rhs_names, &ru);
        let mut keep: Vec<char> = result.clone();
        keep.extend(&rhs_names0);
        let (lhs, lhs_names) = sum_repeats(lhs, lhs_names0, &keep);
        let mut keep: Vec<char> = result.clone();
        keep.extend(&lhs_names);
        let (rhs, rhs_names) = sum_repeats(rhs, rhs_names0, &keep);
        let cont: Vec<char> = contracted
            .iter()
            .copied()
            .filter(|c| lhs_names.contains(c) || rhs_names.contains(c))
            .collect();
        let batch: Vec<char> = result
            .iter()
            .copied()
            .filter(|c| lhs_names.contains(c) && rhs_names.contains(c))
            .collect();
        let pos =
            |names: &[char], c: char| names.iter().position(|&n| n == c).expect("label present");
        let lb: Vec<usize> = batch.iter().map(|&c| pos(&lhs_names, c)).collect();
        let rb: Vec<usize> = batch.iter().map(|&c| pos(&rhs_names, c)).collect();
        let lc: Vec<usize> = cont.iter().map(|&c| pos(&lhs_names, c)).collect();
        let rc: Vec<usize> = cont.iter().map(|&c| pos(&rhs_names, c)).collect();
        let mut deleted = batch.clone();
        deleted.extend(&cont);
        let rem_l = remove_labels(&lhs_names, &deleted);
        let rem_r = remove_labels(&rhs_names, &deleted);
        let mut names: Vec<char> = batch.clone();
        names.extend(&rem_r);
        names.extend(&rem_l);
        // JAX passes the result dtype as preferred_element_type (the operands already have it).
        let dtype = lhs.dtype();
        if &names == result {
            let out = lax::dot_general(&rhs, &lhs, ((&rc, &lc), (&rb, &lb)), Some(dtype));
            (out, names)
        } else {
            let mut names = batch.clone();
            names.extend(&rem_l);
            names.extend(&rem_r);
            let out = lax::dot_general(&lhs, &rhs, ((&lc, &rc), (&lb, &rb)), Some(dtype));
            (out, names)
        }
    };
    assert_eq!(
        names.len(),
        result.len(),
        "einsum: step {names:?} does not match {result:?}"
    );
    if &names == result {
        operand
    } else {
        let perm: Vec<usize> = result
            .iter()
            .map(|c| names.iter().position(|n| n == c).expect("a permutation"))
            .collect();
        lax::transpose(&operand, &perm)
    }
}
