//! Arithmetic on whole trees, as optimizers use it (optax's `tree_utils`). Everything is built from public tensor ops,
//! so it traces (and differentiates, batches, jits) like any other code.

use crate::numpy::{self as jnp, IntoOperand};
use crate::tensor::{DType, Tensor};
use crate::tree::{tree_map, tree_map2, PyTree, TreeDef};

/// A tree of zeros with the same structure, shapes and dtypes (`jnp.zeros_like` per leaf). The
/// zeros are a broadcast scalar, so under tracing they are an op, not a captured constant.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::tree_utils::tree_zeros_like;
/// let t = (Tensor::from_vec(vec![f32::NAN, 1.0], &[2]), Tensor::scalar(3i32));
/// let z = tree_zeros_like(&t);
/// assert_eq!(z.0.to_vec::<f32>(), [0.0, 0.0]);
/// assert_eq!(z.1.dtype(), DType::I32);
/// ```
pub fn tree_zeros_like<T: PyTree>(tree: &T) -> T {
    tree_map(tree, |x| {
        jnp::broadcast_to(&Tensor::zeros(&[], x.dtype()), x.shape())
    })
}

/// A tree of ones with the same structure, shapes and dtypes.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::tree_utils::tree_ones_like;
/// let o = tree_ones_like(&vec![Tensor::zeros(&[2], DType::F64)]);
/// assert_eq!(o[0].to_vec::<f64>(), [1.0, 1.0]);
/// ```
pub fn tree_ones_like<T: PyTree>(tree: &T) -> T {
    tree_map(tree, |x| {
        jnp::broadcast_to(&Tensor::ones(&[], x.dtype()), x.shape())
    })
}

/// Leafwise `a + b`. Panics (naming the path) if the structures differ.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::tree_utils::tree_add;
/// let a = (Tensor::scalar(1.0f32), Tensor::scalar(2.0f32));
/// let c = tree_add(&a, &a);
/// assert_eq!(c.1.item::<f32>(), 4.0);
/// ```
#[track_caller]
pub fn tree_add<T: PyTree>(a: &T, b: &T) -> T {
    tree_map2(a, b, |x, y| x + y)
}

/// Leafwise `a - b`. Panics (naming the path) if the structures differ.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::tree_utils::tree_sub;
/// let a = vec![Tensor::scalar(5.0f32)];
/// let b = vec![Tensor::scalar(2.0f32)];
/// assert_eq!(tree_sub(&a, &b)[0].item::<f32>(), 3.0);
/// ```
#[track_caller]
pub fn tree_sub<T: PyTree>(a: &T, b: &T) -> T {
    tree_map2(a, b, |x, y| x - y)
}

/// Every leaf times `s` (a Rust scalar, which takes each leaf's dtype, or a tensor, e.g. a
/// traced learning rate).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::tree_utils::tree_scale;
/// let t = (Tensor::scalar(2.0f32), Tensor::scalar(3.0f64));
/// let s = tree_scale(&t, 0.5);
/// assert_eq!((s.0.item::<f32>(), s.1.item::<f64>()), (1.0, 1.5));
/// ```
#[track_caller]
pub fn tree_scale<T: PyTree, S: IntoOperand + Clone>(tree: &T, s: S) -> T {
    tree_map(tree, |x| jnp::multiply(x, s.clone()))
}

/// `Σ_leaves sum(a * b)`: the inner product of two trees as flat vectors, a scalar tensor
/// (`0.0: f32` for trees without leaves). Panics (naming the path) if the structures differ.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::tree_utils::tree_dot;
/// let a = (Tensor::from_vec(vec![1.0f32, 2.0], &[2]), Tensor::scalar(3.0f32));
/// let b = (Tensor::from_vec(vec![4.0f32, 5.0], &[2]), Tensor::scalar(6.0f32));
/// assert_eq!(tree_dot(&a, &b).item::<f32>(), 4.0 + 10.0 + 18.0);
/// ```
#[track_caller]
pub fn tree_dot<T: PyTree>(a: &T, b: &T) -> Tensor {
    let (la, da) = a.flatten();
    let (lb, db) = b.flatten();
    crate::tree::assert_same_structure("tree_dot", &da, &db, 0, 1);
    la.iter()
        .zip(lb.iter())
        .map(|(x, y)| (x * y).sum())
        .reduce(|acc, s| acc + s)
        .unwrap_or_else(|| Tensor::scalar(0.0f32))
}

/// JAX's `tree_vdot`: like [`tree_dot`] (ferrax has no complex dtypes, so no conjugation).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::tree_utils::tree_vdot;
/// let a = vec![Tensor::from_vec(vec![1.0f32, 2.0], &[2])];
/// assert_eq!(tree_vdot(&a, &a).item::<f32>(), 5.0);
/// ```
#[track_caller]
pub fn tree_vdot<T: PyTree>(a: &T, b: &T) -> Tensor {
    tree_dot(a, b)
}

/// `sqrt(Σ_leaves sum(x²))`: the L2 norm of all leaves together (optax's `global_norm`), a
/// scalar tensor.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::tree_utils::tree_global_norm;
/// let t = (Tensor::from_vec(vec![3.0f32], &[1]), Tensor::scalar(4.0f32));
/// assert_eq!(tree_global_norm(&t).item::<f32>(), 5.0);
/// ```
pub fn tree_global_norm<T: PyTree>(tree: &T) -> Tensor {
    tree.leaves()
        .iter()
        .map(|x| (x * x).sum())
        .reduce(|acc, s| acc + s)
        .unwrap_or_else(|| Tensor::scalar(0.0f32))
        .sqrt()
}

/// Every leaf converted to `dtype`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::tree_utils::tree_cast;
/// let t = tree_cast(&(Tensor::scalar(1.5f32), Tensor::scalar(2i32)), DType::F64);
/// assert_eq!((t.0.dtype(), t.1.item::<f64>()), (DType::F64, 2.0));
/// ```
pub fn tree_cast<T: PyTree>(tree: &T, dtype: DType) -> T {
    tree_map(tree, |x| x.cast(dtype))
}

/// The leaves of `slot` (a per-parameter part of an optimizer state, such as Adam's `mu`),
/// after checking that it has the structure and leaf shapes of `params`: the check every
/// stateful transformation's `update` makes, so a state made for other parameters of the same
/// type (another length of `Vec`, other layer sizes) panics with a message naming `op` and
/// both structures.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::optim::tree_utils::check_state_like;
/// let p = vec![Tensor::zeros(&[2], DType::F32)];
/// assert_eq!(check_state_like("my_transform", &p, &p).len(), 1);
/// let other = vec![Tensor::zeros(&[3], DType::F32)];
/// let err = std::panic::catch_unwind(|| check_state_like("my_transform", &other, &p)).unwrap_err();
/// let msg = err.downcast_ref::<String>().unwrap();
/// assert!(msg.contains("[[3]]") && msg.contains("[[2]]"), "{msg}");
/// ```
#[track_caller]
pub fn check_state_like<T: PyTree>(op: &str, slot: &T, params: &T) -> Vec<Tensor> {
    let (s, sdef) = slot.flatten();
    let (p, pdef) = params.flatten();
    if !same_structure(&s, &sdef, &p, &pdef) {
        panic!(
            "optim::{op}: the state was made for params {sdef} with shapes {:?}, but update got \
             params {pdef} with shapes {:?} (pass the state this optimizer's init returned for \
             these params)",
            shapes(&s),
            shapes(&p)
        );
    }
    s
}

/// Whether two flattened trees have the same structure and leaf shapes.
pub(crate) fn same_structure(a: &[Tensor], adef: &TreeDef, b: &[Tensor], bdef: &TreeDef) -> bool {
    adef == bdef && a.iter().zip(b).all(|(a, b)| a.shape() == b.shape())
}

/// The shapes of some leaves, for messages.
pub(crate) fn shapes(leaves: &[Tensor]) -> Vec<Vec<usize>> {
    leaves.iter().map(|x| x.shape().to_vec()).collect()
}
