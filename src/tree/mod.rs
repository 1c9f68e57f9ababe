//! Pytrees: nested containers whose leaves are tensors. Transformations flatten their
//! arguments to leaves, work on those, and rebuild the same structure.
//!
//! This is the minimal core the transformations need (tensors, tuples, vectors, arrays,
//! options, boxes); the full pytree issue adds the derive macro, maps and key paths.

use crate::tensor::Tensor;
use std::fmt;

/// The structure of a pytree with its leaves taken out.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::PyTree;
/// let t = (Tensor::scalar(1.0f32), vec![Tensor::scalar(2.0f32)]);
/// assert_eq!(t.treedef().to_string(), "PyTreeDef((*, [*]))");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TreeDef {
    /// One tensor.
    Leaf,
    /// `None` / `()`: no leaves.
    None,
    /// A tuple of subtrees.
    Tuple(Vec<TreeDef>),
    /// A list (`Vec` or array) of subtrees.
    List(Vec<TreeDef>),
}

impl TreeDef {
    /// Number of leaves.
    pub fn num_leaves(&self) -> usize {
        match self {
            TreeDef::Leaf => 1,
            TreeDef::None => 0,
            TreeDef::Tuple(c) | TreeDef::List(c) => c.iter().map(|d| d.num_leaves()).sum(),
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items = |f: &mut fmt::Formatter<'_>, c: &[TreeDef]| -> fmt::Result {
            for (i, d) in c.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                d.write(f)?;
            }
            Ok(())
        };
        match self {
            TreeDef::Leaf => f.write_str("*"),
            TreeDef::None => f.write_str("None"),
            TreeDef::Tuple(c) => {
                f.write_str("(")?;
                items(f, c)?;
                f.write_str(if c.len() == 1 { ",)" } else { ")" })
            }
            TreeDef::List(c) => {
                f.write_str("[")?;
                items(f, c)?;
                f.write_str("]")
            }
        }
    }
}

impl fmt::Display for TreeDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PyTreeDef(")?;
        self.write(f)?;
        f.write_str(")")
    }
}

/// A value made of tensors: flattens to leaves plus a [`TreeDef`], and rebuilds from them.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::PyTree;
/// let p = (Tensor::scalar(1.0f32), Tensor::scalar(2.0f32));
/// let leaves = p.leaves();
/// let q = <(Tensor, Tensor)>::unflatten(&p.treedef(), leaves);
/// assert_eq!(q.1.item::<f32>(), 2.0);
/// ```
pub trait PyTree: Sized {
    /// Appends this tree's leaves, in order.
    fn flatten_into(&self, leaves: &mut Vec<Tensor>);
    /// The structure.
    fn treedef(&self) -> TreeDef;
    /// Rebuilds a tree of structure `def` from leaves taken from the iterator.
    fn unflatten_from(def: &TreeDef, leaves: &mut dyn Iterator<Item = Tensor>) -> Self;

    /// All leaves, in order.
    fn leaves(&self) -> Vec<Tensor> {
        let mut v = Vec::new();
        self.flatten_into(&mut v);
        v
    }

    /// Rebuilds from a treedef and exactly its number of leaves.
    #[track_caller]
    fn unflatten(def: &TreeDef, leaves: Vec<Tensor>) -> Self {
        assert_eq!(def.num_leaves(), leaves.len(), "unflatten: {def} needs {} leaves, got {}", def.num_leaves(), leaves.len());
        Self::unflatten_from(def, &mut leaves.into_iter())
    }
}

impl PyTree for Tensor {
    fn flatten_into(&self, leaves: &mut Vec<Tensor>) {
        leaves.push(self.clone());
    }
    fn treedef(&self) -> TreeDef {
        TreeDef::Leaf
    }
    fn unflatten_from(_def: &TreeDef, leaves: &mut dyn Iterator<Item = Tensor>) -> Self {
        leaves.next().expect("unflatten: ran out of leaves")
    }
}

impl PyTree for () {
    fn flatten_into(&self, _leaves: &mut Vec<Tensor>) {}
    fn treedef(&self) -> TreeDef {
        TreeDef::None
    }
    fn unflatten_from(_def: &TreeDef, _leaves: &mut dyn Iterator<Item = Tensor>) -> Self {}
}

fn children(def: &TreeDef) -> &[TreeDef] {
    match def {
        TreeDef::Tuple(c) | TreeDef::List(c) => c,
        other => panic!("unflatten: expected a container, found {other}"),
    }
}

impl<T: PyTree> PyTree for Vec<T> {
    fn flatten_into(&self, leaves: &mut Vec<Tensor>) {
        self.iter().for_each(|x| x.flatten_into(leaves));
    }
    fn treedef(&self) -> TreeDef {
        TreeDef::List(self.iter().map(|x| x.treedef()).collect())
    }
    fn unflatten_from(def: &TreeDef, leaves: &mut dyn Iterator<Item = Tensor>) -> Self {
        children(def).iter().map(|d| T::unflatten_from(d, leaves)).collect()
    }
}

macro_rules! impl_tuple {
    ($($name:ident $idx:tt),+) => {
        impl<$($name: PyTree),+> PyTree for ($($name,)+) {
            fn flatten_into(&self, leaves: &mut Vec<Tensor>) {
                $(self.$idx.flatten_into(leaves);)+
            }
            fn treedef(&self) -> TreeDef {
                TreeDef::Tuple(vec![$(self.$idx.treedef()),+])
            }
            fn unflatten_from(def: &TreeDef, leaves: &mut dyn Iterator<Item = Tensor>) -> Self {
                let c = children(def);
                ($($name::unflatten_from(&c[$idx], leaves),)+)
            }
        }
    };
}
impl_tuple!(A 0);
impl_tuple!(A 0, B 1);
impl_tuple!(A 0, B 1, C 2);
impl_tuple!(A 0, B 1, C 2, D 3);
impl_tuple!(A 0, B 1, C 2, D 3, E 4);
impl_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
impl_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
impl_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
impl_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
impl_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
impl_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
impl_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
