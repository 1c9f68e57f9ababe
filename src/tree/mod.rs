//! Pytrees: nested containers whose leaves are [`Tensor`]s. Transformations flatten their
//! arguments to leaves plus a [`TreeDef`], work on the leaves, and rebuild the same structure.
//!
//! A pytree is anything implementing [`PyTree`]: `Tensor` (a leaf), `()`, tuples up to 12,
//! `Vec<T>`, `[T; N]`, `Option<T>` (`None` has no leaves), `Box<T>`, `Arc<T>`,
//! `BTreeMap<String, T>` and `HashMap<String, T>`, and your own structs and enums with
//! `#[derive(PyTree)]`.
//!
//! **Leaf order**: tuple/`Vec`/array order, struct fields in declaration order, map entries by
//! sorted key (as JAX sorts dict keys; a `HashMap` is sorted too), depth first.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::tree;
//!
//! #[derive(PyTree, Clone, Debug)]
//! struct Linear { w: Tensor, b: Tensor }
//!
//! #[derive(PyTree, Clone, Debug)]
//! struct Mlp { layers: Vec<Linear> }
//!
//! let lin = |n: usize| Linear { w: Tensor::ones(&[n, n], DType::F32), b: Tensor::zeros(&[n], DType::F32) };
//! let params = Mlp { layers: vec![lin(2), lin(3)] };
//! assert_eq!(
//!     tree::tree_structure(&params).to_string(),
//!     "PyTreeDef(Mlp { layers: [Linear { w: *, b: * }, Linear { w: *, b: * }] })"
//! );
//! let doubled: Mlp = tree::tree_map(&params, |t| t * 2.0);
//! assert_eq!(doubled.layers[1].w.to_vec::<f32>(), vec![2.0; 9]);
//! let paths: Vec<String> =
//!     tree::tree_flatten_with_path(&params).iter().map(|(p, _)| p.to_string()).collect();
//! assert_eq!(paths, [".layers[0].w", ".layers[0].b", ".layers[1].w", ".layers[1].b"]);
//! ```
//!
//! # The derive
//!
//! `#[derive(PyTree)]` works on structs (named, tuple, unit) and enums (the treedef records the
//! variant), generic ones included (`struct Linear<T = Tensor> { w: T, b: T }` gets
//! `impl<T: PyTree> PyTree for Linear<T>`). Field attributes:
//!
//! - `#[pytree(static)]`: the field is metadata, not leaves (an activation choice, a size, a
//!   `train: bool`). Its value is stored in the treedef, so it is compared and hashed with the
//!   structure (and enters jit cache keys), printed as `name=value`, and restored by unflatten.
//!   The type must be `Hash + Eq + Clone + Debug + Send + Sync + 'static`.
//! - `#[pytree(skip)]`: the field is neither leaves nor structure; unflatten rebuilds it with
//!   `Default::default()`.
//!
//! ```
//! use ferrax::prelude::*;
//!
//! #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
//! enum Act { Relu, Tanh }
//!
//! #[derive(PyTree)]
//! struct Dense<T = Tensor> {
//!     w: T,
//!     #[pytree(static)]
//!     act: Act,
//!     #[pytree(skip)]
//!     calls: usize,
//! }
//!
//! let d = Dense { w: Tensor::ones(&[2], DType::F32), act: Act::Tanh, calls: 7 };
//! let def = d.treedef();
//! assert_eq!(def.to_string(), "PyTreeDef(Dense { w: *, act=Tanh })");
//! let e: Dense = Dense::unflatten(&def, d.leaves());
//! assert_eq!((e.act, e.calls), (Act::Tanh, 0));
//! ```

mod def;
mod impls;
mod path;
mod util;

pub(crate) use def::{eq_as_type, hash_with_type};
pub use def::{
    Children, FieldStyle, NodeKind, StaticValue, StructInfo, StructNode, Subtree, TreeDef,
    TreeDefBuilder,
};
pub(crate) use path::assert_same_structure;
pub use path::{KeyEntry, KeyPath};
pub use util::{
    tree_all, tree_any, tree_flatten, tree_flatten_with_path, tree_leaves, tree_map, tree_map2,
    tree_map_with_path, tree_reduce, tree_size, tree_structure, tree_transpose, tree_unflatten,
    tree_zip_map,
};

use crate::tensor::Tensor;

/// A value made of tensors: flattens to leaves plus a [`TreeDef`], and rebuilds from them.
///
/// Implement it with `#[derive(PyTree)]` (see the [module docs](self)). By hand, the three
/// required methods must agree: `flatten_into` pushes the leaves in the order that
/// `unflatten_from` consumes them, and `treedef_into` records everything `unflatten_from`
/// needs besides the leaves (static data included), so that
/// `T::unflatten(&t.treedef(), t.leaves())` rebuilds `t`.
///
/// ```
/// use ferrax::prelude::*;
/// let p = (Tensor::scalar(1.0f32), vec![Tensor::scalar(2.0f32)]);
/// let (leaves, def) = p.flatten();
/// assert_eq!(def.to_string(), "PyTreeDef((*, [*]))");
/// let q = <(Tensor, Vec<Tensor>)>::unflatten(&def, leaves);
/// assert_eq!(q.1[0].item::<f32>(), 2.0);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a pytree",
    label = "`{Self}` does not implement `PyTree`",
    note = "pytree fields hold tensors, containers of pytrees, or types that `#[derive(PyTree)]`",
    note = "mark metadata fields `#[pytree(static)]` and other state `#[pytree(skip)]`"
)]
pub trait PyTree: Sized {
    /// Appends this tree's leaves, in order. The hot path: it must not allocate beyond pushing.
    fn flatten_into(&self, leaves: &mut Vec<Tensor>);

    /// Adds this tree's structure (one node per container, one per leaf) to `def`.
    fn treedef_into(&self, def: &mut TreeDefBuilder);

    /// Rebuilds a tree of structure `def`, taking its leaves from the iterator in order. Static
    /// data comes from `def`, not from any existing value.
    fn unflatten_from(def: &Subtree, leaves: &mut dyn Iterator<Item = Tensor>) -> Self;

    /// The structure.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Some(Tensor::scalar(1.0f32)).treedef().to_string(), "PyTreeDef(Some(*))");
    /// ```
    fn treedef(&self) -> TreeDef {
        let mut b = TreeDefBuilder::new();
        self.treedef_into(&mut b);
        b.finish()
    }

    /// All leaves, in order.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let t = (Tensor::scalar(1.0f32), None::<Tensor>, [Tensor::scalar(2.0f32)]);
    /// assert_eq!(t.leaves().len(), 2);
    /// ```
    fn leaves(&self) -> Vec<Tensor> {
        let mut v = Vec::new();
        self.flatten_into(&mut v);
        v
    }

    /// Leaves and structure.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let (leaves, def) = vec![Tensor::scalar(1.0f32); 3].flatten();
    /// assert_eq!((leaves.len(), def.num_leaves()), (3, 3));
    /// ```
    fn flatten(&self) -> (Vec<Tensor>, TreeDef) {
        let def = self.treedef();
        let mut v = Vec::with_capacity(def.num_leaves());
        self.flatten_into(&mut v);
        (v, def)
    }

    /// Each leaf with its [`KeyPath`], in leaf order.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let t = vec![(Tensor::scalar(1.0f32), Tensor::scalar(2.0f32))];
    /// let p: Vec<String> = t.flatten_with_path().iter().map(|(k, _)| k.to_string()).collect();
    /// assert_eq!(p, ["[0][0]", "[0][1]"]);
    /// ```
    fn flatten_with_path(&self) -> Vec<(KeyPath, Tensor)> {
        let (leaves, def) = self.flatten();
        def.leaf_paths().into_iter().zip(leaves).collect()
    }

    /// Rebuilds from a structure and exactly its number of leaves. Panics if the count or the
    /// structure does not fit `Self`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let def = (Tensor::scalar(0.0f32), Tensor::scalar(0.0f32)).treedef();
    /// let (a, b) = <(Tensor, Tensor)>::unflatten(&def, vec![Tensor::scalar(1.0f32), Tensor::scalar(2.0f32)]);
    /// assert_eq!(b.item::<f32>(), 2.0);
    /// ```
    #[track_caller]
    fn unflatten(def: &Subtree, leaves: Vec<Tensor>) -> Self {
        assert_eq!(
            def.num_leaves(),
            leaves.len(),
            "unflatten: {def} needs {} leaves, got {}",
            def.num_leaves(),
            leaves.len()
        );
        Self::unflatten_from(def, &mut leaves.into_iter())
    }
}

/// Support for `#[derive(PyTree)]`'s generated code. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use std::sync::Arc;

    /// Collects a struct node's static values.
    #[inline]
    pub fn statics<const N: usize>(
        values: [Arc<dyn super::StaticValue>; N],
    ) -> Box<[Arc<dyn super::StaticValue>]> {
        Box::new(values)
    }

    /// Boxes a `#[pytree(static)]` field's value for the treedef. Its bounds are what a static
    /// field needs; the derive spans the call at the field's type, so a missing one is reported
    /// there.
    #[inline]
    pub fn static_field<
        T: std::hash::Hash + Eq + Clone + std::fmt::Debug + Send + Sync + 'static,
    >(
        v: &T,
    ) -> Arc<dyn super::StaticValue> {
        Arc::new(v.clone())
    }
}
