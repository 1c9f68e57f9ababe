//! The methods of [`Subtree`] (queries, paths, `expect_*` for `unflatten`) and the printed
//! form of treedefs.

use super::{Children, FieldStyle, Kind, Node, NodeKind, StructInfo, StructNode, Subtree, TreeDef};
use crate::tree::path::{KeyEntry, KeyPath};
use std::fmt;
use std::sync::Arc;

impl Subtree {
    #[inline]
    pub(crate) fn from_nodes(nodes: &[Node]) -> &Subtree {
        debug_assert!(!nodes.is_empty() && nodes[0].num_nodes as usize == nodes.len());
        // SAFETY: `Subtree` is `repr(transparent)` over `[Node]`, so a `*const [Node]` and a
        // `*const Subtree` have the same layout and metadata (the length); the result borrows
        // `nodes` for the same lifetime and only reads it. (The debug assertion is about the
        // tree's meaning, not memory: `Subtree`'s methods index with bounds checks.)
        unsafe { &*(nodes as *const [Node] as *const Subtree) }
    }

    #[inline]
    pub(crate) fn root(&self) -> &Node {
        &self.0[0]
    }

    /// Number of leaves (tensors).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!((Tensor::scalar(1.0f32), ()).treedef().num_leaves(), 1);
    /// ```
    #[inline]
    pub fn num_leaves(&self) -> usize {
        self.root().num_leaves as usize
    }

    /// Number of nodes, leaves included (JAX's `num_nodes`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!((Tensor::scalar(1.0f32), ()).treedef().num_nodes(), 3);
    /// ```
    #[inline]
    pub fn num_nodes(&self) -> usize {
        self.root().num_nodes as usize
    }

    /// Number of children of the root.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(vec![Tensor::scalar(1.0f32); 3].treedef().num_children(), 3);
    /// ```
    #[inline]
    pub fn num_children(&self) -> usize {
        self.root().arity as usize
    }

    /// The children's structures, left to right.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let def = (Tensor::scalar(1.0f32), ()).treedef();
    /// assert_eq!(def.children().count(), 2);
    /// ```
    #[inline]
    pub fn children(&self) -> Children<'_> {
        Children {
            rest: &self.0[1..],
            left: self.root().arity,
        }
    }

    /// Whether this is a single leaf.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert!(Tensor::scalar(1.0f32).treedef().is_leaf());
    /// ```
    #[inline]
    pub fn is_leaf(&self) -> bool {
        matches!(self.root().kind, Kind::Leaf)
    }

    /// What kind of node the root is.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// use ferrax::tree::NodeKind;
    /// let def = Some(Tensor::scalar(1.0f32)).treedef();
    /// assert!(matches!(def.kind(), NodeKind::Some));
    /// ```
    pub fn kind(&self) -> NodeKind<'_> {
        match &self.root().kind {
            Kind::Leaf => NodeKind::Leaf,
            Kind::None => NodeKind::None,
            Kind::Tuple => NodeKind::Tuple,
            Kind::List => NodeKind::List,
            Kind::Some => NodeKind::Some,
            Kind::Dict(k) => NodeKind::Dict(k),
            Kind::Struct(_) | Kind::StructWithStatics(_) => {
                let (info, statics) = self.root().kind.struct_parts().unwrap();
                NodeKind::Struct { info, statics }
            }
        }
    }

    /// An owned copy of this subtree.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let def = (Tensor::scalar(1.0f32), ()).treedef();
    /// let first = def.children().next().unwrap().to_treedef();
    /// assert_eq!(first, Tensor::scalar(0.0f32).treedef());
    /// ```
    pub fn to_treedef(&self) -> TreeDef {
        self.to_owned()
    }

    /// The key paths of the leaves, in leaf order (see [`KeyPath`]).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let def = (Tensor::scalar(1.0f32), vec![Tensor::scalar(2.0f32)]).treedef();
    /// let paths: Vec<String> = def.leaf_paths().iter().map(|p| p.to_string()).collect();
    /// assert_eq!(paths, ["[0]", "[1][0]"]);
    /// ```
    pub fn leaf_paths(&self) -> Vec<KeyPath> {
        let mut out = Vec::with_capacity(self.num_leaves());
        let mut path = KeyPath::root();
        self.collect_paths(&mut path, &mut out);
        out
    }

    fn collect_paths(&self, path: &mut KeyPath, out: &mut Vec<KeyPath>) {
        if self.is_leaf() {
            out.push(path.clone());
            return;
        }
        for (i, c) in self.children().enumerate() {
            match self.child_key(i) {
                Some(k) => {
                    path.push(k);
                    c.collect_paths(path, out);
                    path.pop();
                }
                None => c.collect_paths(path, out),
            }
        }
    }

    /// The key that leads from this node to its `i`-th child (`None` for `Some`, which paths
    /// pass through).
    pub(crate) fn child_key(&self, i: usize) -> Option<KeyEntry> {
        match &self.root().kind {
            Kind::Tuple | Kind::List => Some(KeyEntry::Index(i)),
            Kind::Dict(keys) => Some(KeyEntry::Key(keys[i].clone())),
            Kind::Struct(info) => Some(KeyEntry::Field(info.fields[i])),
            Kind::StructWithStatics(b) => Some(KeyEntry::Field(b.0.fields[i])),
            Kind::Some | Kind::Leaf | Kind::None => None,
        }
    }

    /// Replaces every leaf of `self` with `inner` (JAX's `treedef.compose`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = || Tensor::scalar(1.0f32);
    /// let outer = vec![x(), x()].treedef();
    /// let inner = (x(), x(), x()).treedef();
    /// assert_eq!(outer.compose(&inner).to_string(), "PyTreeDef([(*, *, *), (*, *, *)])");
    /// ```
    pub fn compose(&self, inner: &Subtree) -> TreeDef {
        let nl = self.num_leaves() as u32;
        let mut nodes: Vec<Node> = Vec::with_capacity(self.0.len() + nl as usize * inner.0.len());
        for n in self.0.iter() {
            if matches!(n.kind, Kind::Leaf) {
                nodes.extend_from_slice(&inner.0);
            } else {
                let mut m = n.clone();
                m.num_leaves *= inner.num_leaves() as u32;
                m.num_nodes += n.num_leaves * (inner.num_nodes() as u32 - 1);
                nodes.push(m);
            }
        }
        TreeDef {
            nodes: Arc::new(nodes),
        }
    }

    /// The root of a struct node of the type that `info` describes (any of its variants), for
    /// unflatten code. Panics naming both if the node is something else.
    #[track_caller]
    pub fn expect_struct(&self, info: &'static StructInfo) -> StructNode<'_> {
        match self.root().kind.struct_parts() {
            Some((found, statics)) if found.same_type(info) => StructNode {
                info: found,
                children: self.children(),
                statics,
            },
            _ => mismatch(&format!("a `{}`", info.name), self),
        }
    }

    /// Checks that this is a leaf (for `Tensor::unflatten_from`).
    #[track_caller]
    #[inline]
    pub fn expect_leaf(&self) {
        if !self.is_leaf() {
            mismatch("a tensor leaf", self)
        }
    }

    /// Checks that this is a tuple with `n` children and returns them.
    #[track_caller]
    #[inline]
    pub fn expect_tuple(&self, n: usize) -> Children<'_> {
        match self.root().kind {
            Kind::Tuple if self.num_children() == n => self.children(),
            _ => mismatch(&format!("a {n}-tuple"), self),
        }
    }

    /// Checks that this is a list (`Vec` or array) and returns its children.
    #[track_caller]
    #[inline]
    pub fn expect_list(&self) -> Children<'_> {
        match self.root().kind {
            Kind::List => self.children(),
            _ => mismatch("a list", self),
        }
    }

    /// Checks that this is an option node; returns the `Some` child, or `None`.
    #[track_caller]
    #[inline]
    pub fn expect_option(&self) -> Option<&Subtree> {
        match self.root().kind {
            Kind::None => None,
            Kind::Some => Some(self.children().next_child()),
            _ => mismatch("an Option", self),
        }
    }

    /// Checks that this is a dict; returns its (sorted) keys and children.
    #[track_caller]
    pub fn expect_dict(&self) -> (&[String], Children<'_>) {
        match &self.root().kind {
            Kind::Dict(keys) => (keys, self.children()),
            _ => mismatch("a dict", self),
        }
    }

    pub(crate) fn write_node(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let node = self.root();
        let list = |f: &mut fmt::Formatter<'_>| -> fmt::Result {
            for (i, c) in self.children().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                c.write_node(f)?;
            }
            Ok(())
        };
        match &node.kind {
            Kind::Leaf => f.write_str("*"),
            Kind::None => f.write_str("None"),
            Kind::Tuple => {
                f.write_str("(")?;
                list(f)?;
                f.write_str(if node.arity == 1 { ",)" } else { ")" })
            }
            Kind::List => {
                f.write_str("[")?;
                list(f)?;
                f.write_str("]")
            }
            Kind::Some => {
                f.write_str("Some(")?;
                list(f)?;
                f.write_str(")")
            }
            Kind::Dict(keys) => {
                f.write_str("{")?;
                for (i, (k, c)) in keys.iter().zip(self.children()).enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "'{k}': ")?;
                    c.write_node(f)?;
                }
                f.write_str("}")
            }
            Kind::Struct(_) | Kind::StructWithStatics(_) => {
                let (info, statics) = node.kind.struct_parts().unwrap();
                f.write_str(info.name)?;
                if let Some(v) = info.variant {
                    write!(f, "::{v}")?;
                }
                let (open, close) = match info.style {
                    FieldStyle::Named => (" { ", " }"),
                    FieldStyle::Tuple => ("(", ")"),
                    FieldStyle::Unit => ("", ""),
                };
                if node.arity == 0 && statics.is_empty() {
                    return match info.style {
                        FieldStyle::Named => f.write_str(" {}"),
                        FieldStyle::Tuple => f.write_str("()"),
                        FieldStyle::Unit => Ok(()),
                    };
                }
                f.write_str(open)?;
                // ", " before every item but the first, fields and static fields alike.
                let mut written = 0;
                let mut separate = |f: &mut fmt::Formatter<'_>| {
                    written += 1;
                    if written > 1 {
                        f.write_str(", ")
                    } else {
                        Ok(())
                    }
                };
                for (name, c) in info.fields.iter().zip(self.children()) {
                    separate(f)?;
                    if info.style == FieldStyle::Named {
                        write!(f, "{name}: ")?;
                    }
                    c.write_node(f)?;
                }
                for (name, v) in info.static_fields.iter().zip(statics.iter()) {
                    separate(f)?;
                    if info.style == FieldStyle::Named {
                        write!(f, "{name}={v:?}")?;
                    } else {
                        write!(f, ".{name}={v:?}")?;
                    }
                }
                f.write_str(close)
            }
        }
    }
}

#[track_caller]
fn mismatch(expected: &str, found: &Subtree) -> ! {
    panic!("unflatten: expected {expected}, but the treedef has {found}")
}

impl fmt::Display for Subtree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PyTreeDef(")?;
        self.write_node(f)?;
        f.write_str(")")
    }
}

impl fmt::Debug for Subtree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for TreeDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

impl fmt::Debug for TreeDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
