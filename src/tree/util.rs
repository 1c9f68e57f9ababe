//! `tree_map` and friends: JAX's `jax.tree` / `jax.tree_util` functions.

use super::path::assert_same_structure;
use super::{KeyPath, PyTree, TreeDef};
use crate::tensor::Tensor;

/// Leaves and structure (JAX's `tree_flatten`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::tree_flatten;
/// let (leaves, def) = tree_flatten(&(Tensor::scalar(1.0f32), Some(Tensor::scalar(2.0f32))));
/// assert_eq!(leaves.len(), 2);
/// assert_eq!(def.to_string(), "PyTreeDef((*, Some(*)))");
/// ```
pub fn tree_flatten<T: PyTree>(tree: &T) -> (Vec<Tensor>, TreeDef) {
    tree.flatten()
}

/// Rebuilds a tree from its structure and leaves (JAX's `tree_unflatten`). Panics if the number
/// of leaves or the structure does not fit `T`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::{tree_flatten, tree_unflatten};
/// let (leaves, def) = tree_flatten(&vec![Tensor::scalar(1.0f32), Tensor::scalar(2.0f32)]);
/// let rev: Vec<Tensor> = tree_unflatten(&def, leaves.into_iter().rev().collect());
/// assert_eq!(rev[0].item::<f32>(), 2.0);
/// ```
#[track_caller]
pub fn tree_unflatten<T: PyTree>(def: &TreeDef, leaves: Vec<Tensor>) -> T {
    T::unflatten(def, leaves)
}

/// The leaves, in order (JAX's `tree_leaves`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::tree_leaves;
/// let t = (Tensor::scalar(1.0f32), vec![Tensor::scalar(2.0f32)]);
/// let v: Vec<f32> = tree_leaves(&t).iter().map(|x| x.item::<f32>()).collect();
/// assert_eq!(v, [1.0, 2.0]);
/// ```
pub fn tree_leaves<T: PyTree>(tree: &T) -> Vec<Tensor> {
    tree.leaves()
}

/// The structure (JAX's `tree_structure`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::tree_structure;
/// assert_eq!(tree_structure(&[Tensor::scalar(1.0f32), Tensor::scalar(2.0f32)]).to_string(), "PyTreeDef([*, *])");
/// ```
pub fn tree_structure<T: PyTree>(tree: &T) -> TreeDef {
    tree.treedef()
}

/// Applies `f` to every leaf; the result has the same structure and static fields
/// (JAX's `tree.map(f, tree)`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::tree_map;
/// let t = (Tensor::scalar(1.0f32), vec![Tensor::scalar(2.0f32)]);
/// let u = tree_map(&t, |x| x * 10.0);
/// assert_eq!(u.1[0].item::<f32>(), 20.0);
/// ```
pub fn tree_map<T: PyTree>(tree: &T, mut f: impl FnMut(&Tensor) -> Tensor) -> T {
    let (leaves, def) = tree.flatten();
    let out: Vec<Tensor> = leaves.iter().map(&mut f).collect();
    T::unflatten(&def, out)
}

/// Applies `f` to corresponding leaves of two trees of the same structure (JAX's
/// `tree.map(f, a, b)`); the result has `a`'s structure. Panics, naming the path where they
/// first differ and both structures, if the structures differ.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::tree_map2;
/// let a = vec![Tensor::scalar(1.0f32), Tensor::scalar(2.0f32)];
/// let b = vec![Tensor::scalar(10.0f32), Tensor::scalar(20.0f32)];
/// let c = tree_map2(&a, &b, |x, y| x + y);
/// assert_eq!(c[1].item::<f32>(), 22.0);
/// ```
#[track_caller]
pub fn tree_map2<A: PyTree, B: PyTree>(
    a: &A,
    b: &B,
    mut f: impl FnMut(&Tensor, &Tensor) -> Tensor,
) -> A {
    let (la, da) = a.flatten();
    let (lb, db) = b.flatten();
    assert_same_structure("tree_map2", &da, &db, 0, 1);
    let out: Vec<Tensor> = la.iter().zip(lb.iter()).map(|(x, y)| f(x, y)).collect();
    A::unflatten(&da, out)
}

/// Applies `f` to the corresponding leaves of any number of trees of the same structure; `f`
/// gets one leaf per tree, in order. Panics if `trees` is empty or the structures differ
/// (naming the path where they first differ).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::tree_zip_map;
/// let t = |v: f32| (Tensor::scalar(v), Tensor::scalar(2.0 * v));
/// let (a, b, c) = (t(1.0), t(2.0), t(3.0));
/// let s = tree_zip_map(&[&a, &b, &c], |xs| xs.iter().fold(Tensor::scalar(0.0f32), |acc, x| acc + *x));
/// assert_eq!(s.1.item::<f32>(), 12.0);
/// ```
#[track_caller]
pub fn tree_zip_map<T: PyTree>(trees: &[&T], mut f: impl FnMut(&[&Tensor]) -> Tensor) -> T {
    assert!(!trees.is_empty(), "tree_zip_map: needs at least one tree");
    let flat: Vec<(Vec<Tensor>, TreeDef)> = trees.iter().map(|t| t.flatten()).collect();
    let def = &flat[0].1;
    for (i, (_, d)) in flat.iter().enumerate().skip(1) {
        assert_same_structure("tree_zip_map", def, d, 0, i);
    }
    let n = def.num_leaves();
    let mut args: Vec<&Tensor> = Vec::with_capacity(trees.len());
    let mut out = Vec::with_capacity(n);
    for j in 0..n {
        args.clear();
        args.extend(flat.iter().map(|(l, _)| &l[j]));
        out.push(f(&args));
    }
    T::unflatten(def, out)
}

/// Folds the leaves in order (JAX's `tree_reduce(f, tree, init)`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::tree_reduce;
/// let t = (Tensor::zeros(&[2, 3], DType::F32), vec![Tensor::zeros(&[4], DType::F32)]);
/// assert_eq!(tree_reduce(&t, 0, |n, x| n + x.size()), 10);
/// ```
pub fn tree_reduce<T: PyTree, A>(tree: &T, init: A, f: impl FnMut(A, &Tensor) -> A) -> A {
    tree.leaves().iter().fold(init, f)
}

/// Whether `pred` holds for every leaf (JAX's `tree_all(tree_map(pred, tree))`); stops at the
/// first `false`. True for a tree without leaves.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::tree_all;
/// let t = (Tensor::zeros(&[2], DType::F32), Tensor::zeros(&[3], DType::F64));
/// assert!(tree_all(&t, |x| x.ndim() == 1));
/// assert!(!tree_all(&t, |x| x.dtype() == DType::F32));
/// ```
pub fn tree_all<T: PyTree>(tree: &T, pred: impl FnMut(&Tensor) -> bool) -> bool {
    tree.leaves().iter().all(pred)
}

/// Whether `pred` holds for some leaf; false for a tree without leaves.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::tree_any;
/// let t = (Tensor::zeros(&[2], DType::F32), Tensor::zeros(&[3], DType::F64));
/// assert!(tree_any(&t, |x| x.dtype() == DType::F64));
/// ```
pub fn tree_any<T: PyTree>(tree: &T, pred: impl FnMut(&Tensor) -> bool) -> bool {
    tree.leaves().iter().any(pred)
}

/// Each leaf with its [`KeyPath`] (`.layers[1].w`, `['key']`, `[0]`), in leaf order (JAX's
/// `tree_flatten_with_path(tree)[0]`; the structure is [`tree_structure`]).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::tree_flatten_with_path;
/// use std::collections::BTreeMap;
/// let mut opt = BTreeMap::new();
/// opt.insert("mu".to_string(), (Tensor::scalar(0.0f32), Tensor::scalar(1.0f32)));
/// let paths: Vec<String> = tree_flatten_with_path(&opt).iter().map(|(p, _)| p.to_string()).collect();
/// assert_eq!(paths, ["['mu'][0]", "['mu'][1]"]);
/// ```
pub fn tree_flatten_with_path<T: PyTree>(tree: &T) -> Vec<(KeyPath, Tensor)> {
    tree.flatten_with_path()
}

/// Applies `f(path, leaf)` to every leaf (JAX's `tree_map_with_path`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::tree_map_with_path;
/// use std::collections::BTreeMap;
/// let mut p = BTreeMap::new();
/// p.insert("bias".to_string(), Tensor::ones(&[2], DType::F32));
/// p.insert("weight".to_string(), Tensor::ones(&[2], DType::F32));
/// // weight decay on weights only
/// let q = tree_map_with_path(&p, |path, x| if path.to_string().contains("weight") { x * 0.9 } else { x.clone() });
/// assert_eq!(q["weight"].to_vec::<f32>(), [0.9, 0.9]);
/// assert_eq!(q["bias"].to_vec::<f32>(), [1.0, 1.0]);
/// ```
pub fn tree_map_with_path<T: PyTree>(
    tree: &T,
    mut f: impl FnMut(&KeyPath, &Tensor) -> Tensor,
) -> T {
    let (leaves, def) = tree.flatten();
    let out: Vec<Tensor> = def
        .leaf_paths()
        .iter()
        .zip(leaves.iter())
        .map(|(p, x)| f(p, x))
        .collect();
    T::unflatten(&def, out)
}

/// Turns a tree of structure `outer` whose leaves are trees of structure `inner` into a tree of
/// structure `inner` whose leaves are trees of structure `outer` (JAX's `tree_transpose`).
/// Panics if `tree`'s structure is not `outer.compose(inner)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::{tree_structure, tree_transpose};
/// let s = |v: f32| Tensor::scalar(v);
/// let pairs = vec![(s(1.0), s(2.0)), (s(3.0), s(4.0)), (s(5.0), s(6.0))];
/// let outer = tree_structure(&vec![s(0.0); 3]);
/// let inner = tree_structure(&(s(0.0), s(0.0)));
/// let (firsts, seconds): (Vec<Tensor>, Vec<Tensor>) = tree_transpose(&outer, &inner, &pairs);
/// assert_eq!(firsts.iter().map(|x| x.item::<f32>()).collect::<Vec<_>>(), [1.0, 3.0, 5.0]);
/// assert_eq!(seconds[2].item::<f32>(), 6.0);
/// ```
#[track_caller]
pub fn tree_transpose<In: PyTree, Out: PyTree>(outer: &TreeDef, inner: &TreeDef, tree: &In) -> Out {
    let (leaves, def) = tree.flatten();
    let expected = outer.compose(inner);
    assert_same_structure(
        "tree_transpose (tree vs outer.compose(inner))",
        &def,
        &expected,
        0,
        1,
    );
    let (no, ni) = (outer.num_leaves(), inner.num_leaves());
    let mut out = Vec::with_capacity(leaves.len());
    for i in 0..ni {
        for o in 0..no {
            out.push(leaves[o * ni + i].clone());
        }
    }
    Out::unflatten(&inner.compose(outer), out)
}

/// The number of scalars in all leaves together (works on traced trees too: it reads shapes).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::tree_size;
/// let t = (Tensor::zeros(&[2, 3], DType::F32), vec![Tensor::scalar(1.0f32)]);
/// assert_eq!(tree_size(&t), 7);
/// ```
pub fn tree_size<T: PyTree>(tree: &T) -> usize {
    tree.leaves().iter().map(|x| x.size()).sum()
}
