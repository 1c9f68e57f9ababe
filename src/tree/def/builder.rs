//! [`TreeDefBuilder`] and the treedef constructors built on it.

use super::{Kind, Node, StaticValue, StructInfo, Subtree, TreeDef};
use std::sync::Arc;

impl TreeDef {
    /// The structure of a single tensor.
    ///
    /// ```
    /// use ferrax::tree::TreeDef;
    /// assert_eq!(TreeDef::leaf().to_string(), "PyTreeDef(*)");
    /// ```
    pub fn leaf() -> TreeDef {
        let mut b = TreeDefBuilder::new();
        b.leaf();
        b.finish()
    }

    /// A tuple of the given structures (JAX's `treedef_tuple`).
    ///
    /// ```
    /// use ferrax::tree::TreeDef;
    /// let t = TreeDef::tuple(&[TreeDef::leaf(), TreeDef::leaf()]);
    /// assert_eq!(t.to_string(), "PyTreeDef((*, *))");
    /// ```
    pub fn tuple(children: &[TreeDef]) -> TreeDef {
        let mut b = TreeDefBuilder::new();
        b.tuple(|b| {
            for c in children {
                b.subtree(c);
            }
        });
        b.finish()
    }
}

/// Builds a [`TreeDef`] in pre-order: `PyTree::treedef_into` implementations call one method per
/// node; container methods take a closure that adds the children.
///
/// ```
/// use ferrax::tree::TreeDefBuilder;
/// let mut b = TreeDefBuilder::new();
/// b.tuple(|b| {
///     b.leaf();
///     b.list(|b| { b.leaf(); b.leaf(); });
/// });
/// assert_eq!(b.finish().to_string(), "PyTreeDef((*, [*, *]))");
/// ```
#[derive(Default)]
pub struct TreeDefBuilder {
    nodes: Vec<Node>,
    leaves: u32,
}

impl TreeDefBuilder {
    /// An empty builder.
    pub fn new() -> TreeDefBuilder {
        TreeDefBuilder {
            nodes: Vec::new(),
            leaves: 0,
        }
    }

    /// An empty builder with room for `n` nodes.
    pub fn with_capacity(n: usize) -> TreeDefBuilder {
        TreeDefBuilder {
            nodes: Vec::with_capacity(n),
            leaves: 0,
        }
    }

    /// The finished treedef. Panics unless exactly one root was added.
    #[track_caller]
    pub fn finish(self) -> TreeDef {
        assert!(
            !self.nodes.is_empty() && self.nodes[0].num_nodes as usize == self.nodes.len(),
            "TreeDefBuilder::finish: expected exactly one root node"
        );
        TreeDef {
            nodes: Arc::new(self.nodes),
        }
    }

    /// Adds a leaf.
    #[inline]
    pub fn leaf(&mut self) {
        self.nodes.push(Node {
            kind: Kind::Leaf,
            arity: 0,
            num_leaves: 1,
            num_nodes: 1,
        });
        self.leaves += 1;
    }

    /// Adds `None` (no leaves).
    #[inline]
    pub fn none(&mut self) {
        self.nodes.push(Node {
            kind: Kind::None,
            arity: 0,
            num_leaves: 0,
            num_nodes: 1,
        });
    }

    /// Adds a tuple whose children `children` adds.
    #[inline]
    pub fn tuple(&mut self, children: impl FnOnce(&mut Self)) {
        self.container(Kind::Tuple, children)
    }

    /// Adds a list (`Vec`, array) whose children `children` adds.
    #[inline]
    pub fn list(&mut self, children: impl FnOnce(&mut Self)) {
        self.container(Kind::List, children)
    }

    /// Adds `Some(child)`; `child` must add exactly one node.
    #[inline]
    pub fn some(&mut self, child: impl FnOnce(&mut Self)) {
        self.container(Kind::Some, child)
    }

    /// Adds a dict with these keys (in leaf order, normally sorted); `children` adds one subtree
    /// per key.
    pub fn dict(&mut self, keys: Vec<String>, children: impl FnOnce(&mut Self)) {
        self.container(Kind::Dict(Box::new(keys.into_boxed_slice())), children)
    }

    /// Adds a struct node; `children` adds one subtree per entry of `info.fields`, and `statics`
    /// holds one value per entry of `info.static_fields`.
    #[inline]
    pub fn structure(
        &mut self,
        info: &'static StructInfo,
        statics: Box<[Arc<dyn StaticValue>]>,
        children: impl FnOnce(&mut Self),
    ) {
        assert_eq!(
            statics.len(),
            info.static_fields.len(),
            "TreeDefBuilder: `{}` declares {} static fields but {} values were given",
            info.name,
            info.static_fields.len(),
            statics.len()
        );
        let kind = if statics.is_empty() {
            Kind::Struct(info)
        } else {
            Kind::StructWithStatics(Box::new((info, statics)))
        };
        self.container(kind, children)
    }

    /// Copies an existing (sub)tree structure in as one child.
    pub fn subtree(&mut self, def: &Subtree) {
        self.nodes.extend_from_slice(&def.0);
        self.leaves += def.num_leaves() as u32;
    }

    #[inline]
    fn container(&mut self, kind: Kind, children: impl FnOnce(&mut Self)) {
        let at = self.nodes.len();
        let leaves0 = self.leaves;
        self.nodes.push(Node {
            kind,
            arity: 0,
            num_leaves: 0,
            num_nodes: 0,
        });
        children(self);
        let len = self.nodes.len();
        let mut arity = 0;
        let mut j = at + 1;
        while j < len {
            arity += 1;
            j += self.nodes[j].num_nodes as usize;
        }
        let n = &mut self.nodes[at];
        n.arity = arity;
        n.num_leaves = self.leaves - leaves0;
        n.num_nodes = (len - at) as u32;
        if let Some((info, _)) = n.kind.struct_parts() {
            assert_eq!(
                info.fields.len(),
                arity as usize,
                "TreeDefBuilder: `{}` declares {} pytree fields but {} children were added",
                info.name,
                info.fields.len(),
                arity
            );
        }
        if let Kind::Dict(keys) = &n.kind {
            assert_eq!(
                keys.len(),
                arity as usize,
                "TreeDefBuilder::dict: {} keys but {} children",
                keys.len(),
                arity
            );
        }
        if matches!(n.kind, Kind::Some) {
            assert_eq!(arity, 1, "TreeDefBuilder::some: expected exactly one child");
        }
    }
}
