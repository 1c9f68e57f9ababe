//! `TreeDef`: the structure of a pytree with its leaves taken out.
//!
//! # Representation
//!
//! Like JAX's C++ `PyTreeDef`, a treedef is a flat vector of nodes in pre-order (a node, then
//! its children's subtrees, left to right), shared behind an `Arc`. Every node records its
//! number of children, leaves and nodes in its subtree, so a subtree is a contiguous slice of
//! the vector: [`Subtree`] is that borrowed slice (the way `Path` is to `PathBuf`), and
//! `&TreeDef` derefs to `&Subtree`. Building a treedef pushes one node per container into one
//! vector (no allocation per node or leaf, except for the data of dict keys and static fields);
//! cloning one is a reference-count increment; comparing and hashing walk one slice.
//!
//! The printed form is documented on [`TreeDef`].

use super::path::{KeyEntry, KeyPath};
use std::any::Any;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// How the fields of a derived struct or enum variant are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldStyle {
    /// `S { a, b }`
    Named,
    /// `S(a, b)`
    Tuple,
    /// `S`
    Unit,
}

/// Compile-time description of a struct (or one enum variant) that derives `PyTree`.
///
/// `#[derive(PyTree)]` emits one as a constant; hand-written impls may build one too.
///
/// ```
/// use ferrax::tree::{FieldStyle, StructInfo};
/// const INFO: StructInfo = StructInfo {
///     name: "Linear",
///     module: module_path!(),
///     variant: None,
///     variant_index: 0,
///     style: FieldStyle::Named,
///     fields: &["w", "b"],
///     static_fields: &[],
/// };
/// assert_eq!(INFO.fields.len(), 2);
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct StructInfo {
    /// The type's name as written (`Linear`), for printing.
    pub name: &'static str,
    /// `module_path!()` where the type is defined: with `name`, it tells types apart. (The
    /// instantiations of a generic type share one description; their children tell them apart.)
    pub module: &'static str,
    /// The enum variant's name, for enums.
    pub variant: Option<&'static str>,
    /// The enum variant's position (0 for structs).
    pub variant_index: u32,
    /// Named, tuple or unit fields.
    pub style: FieldStyle,
    /// The pytree fields (the node's children), in declaration order. Tuple fields are named
    /// `"0"`, `"1"`, ...
    pub fields: &'static [&'static str],
    /// The `#[pytree(static)]` fields, in declaration order.
    pub static_fields: &'static [&'static str],
}

impl StructInfo {
    /// Whether both describe (variants of) the same type.
    ///
    /// ```
    /// use ferrax::tree::{FieldStyle, StructInfo};
    /// const A: StructInfo = StructInfo {
    ///     name: "A", module: "m", variant: None, variant_index: 0,
    ///     style: FieldStyle::Unit, fields: &[], static_fields: &[],
    /// };
    /// assert!(A.same_type(&A));
    /// ```
    #[inline]
    pub fn same_type(&self, other: &StructInfo) -> bool {
        std::ptr::eq(self, other) || (self.name == other.name && self.module == other.module)
    }
}

/// A value stored in a [`TreeDef`] as a static (metadata) field: compared, hashed and printed
/// with the structure. Implemented for every `Hash + Eq + Clone + Debug + Send + Sync + 'static`
/// type.
///
/// ```
/// use ferrax::tree::StaticValue;
/// use std::sync::Arc;
/// let a: Arc<dyn StaticValue> = Arc::new(3usize);
/// let b: Arc<dyn StaticValue> = Arc::new(3usize);
/// let c: Arc<dyn StaticValue> = Arc::new(3u32);
/// assert!(a.eq_dyn(&*b));
/// assert!(!a.eq_dyn(&*c)); // different types are never equal
/// assert_eq!(format!("{a:?}"), "3");
/// ```
pub trait StaticValue: Any + fmt::Debug + Send + Sync {
    /// As `&dyn Any`, to downcast.
    fn as_any(&self) -> &dyn Any;
    /// Equal when `other` has the same type and an equal value.
    fn eq_dyn(&self, other: &dyn StaticValue) -> bool;
    /// Feeds the value (and its type) to a hasher.
    fn hash_dyn(&self, state: &mut dyn Hasher);
}

impl<T: Any + fmt::Debug + Hash + Eq + Clone + Send + Sync> StaticValue for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn eq_dyn(&self, other: &dyn StaticValue) -> bool {
        other.as_any().downcast_ref::<T>() == Some(self)
    }
    fn hash_dyn(&self, mut state: &mut dyn Hasher) {
        std::any::TypeId::of::<T>().hash(&mut state);
        self.hash(&mut state);
    }
}

/// The values of a struct node's static fields.
pub(crate) type StaticValues = Box<[Arc<dyn StaticValue>]>;

/// A node's kind. Kept to 16 bytes (a `Node` is 32), so building and comparing treedefs
/// streams through little memory: a struct node is one pointer to its compile-time description,
/// and only nodes with static fields or dict keys own heap data.
#[derive(Clone)]
pub(crate) enum Kind {
    Leaf,
    None,
    Tuple,
    List,
    Some,
    Dict(Box<Box<[String]>>),
    Struct(&'static StructInfo),
    StructWithStatics(Box<(&'static StructInfo, StaticValues)>),
}

impl Kind {
    #[inline]
    pub(crate) fn struct_parts(&self) -> Option<(&'static StructInfo, &[Arc<dyn StaticValue>])> {
        match self {
            Kind::Struct(info) => Some((info, &[])),
            Kind::StructWithStatics(b) => Some((b.0, &b.1)),
            _ => None,
        }
    }
}

impl PartialEq for Kind {
    fn eq(&self, other: &Kind) -> bool {
        match (self, other) {
            (Kind::Leaf, Kind::Leaf)
            | (Kind::None, Kind::None)
            | (Kind::Tuple, Kind::Tuple)
            | (Kind::List, Kind::List)
            | (Kind::Some, Kind::Some) => true,
            (Kind::Dict(a), Kind::Dict(b)) => a == b,
            (Kind::Struct(a), Kind::Struct(b)) => {
                a.variant_index == b.variant_index && a.same_type(b)
            }
            (Kind::StructWithStatics(a), Kind::StructWithStatics(b)) => {
                a.0.variant_index == b.0.variant_index
                    && a.0.same_type(b.0)
                    && a.1.len() == b.1.len()
                    && a.1.iter().zip(b.1.iter()).all(|(x, y)| x.eq_dyn(&**y))
            }
            _ => false,
        }
    }
}

impl Eq for Kind {}

impl Hash for Kind {
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Kind::Dict(keys) => keys.hash(state),
            Kind::Struct(_) | Kind::StructWithStatics(_) => {
                let (info, statics) = self.struct_parts().unwrap();
                // Cheap but consistent with `eq` (equal kinds have equal names and variants).
                let h = (info.name.len() as u64) << 32
                    | (info.variant_index as u64) << 16
                    | info.fields.len() as u64;
                state.write_u64(h);
                for s in statics {
                    s.hash_dyn(state);
                }
            }
            _ => {}
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) arity: u32,
    pub(crate) num_leaves: u32,
    pub(crate) num_nodes: u32,
}

const _: () = assert!(std::mem::size_of::<Node>() == 32);

/// The structure of a pytree: its containers, struct types, dict keys and static fields, with
/// the leaves taken out. Cheap to clone (an `Arc`), comparable, hashable (jit caches key on it),
/// `Send + Sync`, and printed like JAX's `PyTreeDef` (format below). Derefs to [`Subtree`],
/// which has the accessors.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::tree_structure;
/// use std::collections::BTreeMap;
/// let x = || Tensor::scalar(1.0f32);
/// let mut d = BTreeMap::new();
/// d.insert("b".to_string(), vec![x(), x()]);
/// d.insert("a".to_string(), vec![x()]);
/// let def = tree_structure(&(x(), d));
/// assert_eq!(def.to_string(), "PyTreeDef((*, {'a': [*], 'b': [*, *]}))");
/// assert_eq!(def.num_leaves(), 4);
/// ```
///
/// # Printed form
///
/// `Display` prints JAX's form for the containers JAX has, and a Rust-flavoured form for structs:
///
/// | tree | printed |
/// | --- | --- |
/// | a `Tensor` (leaf) | `*` |
/// | `()` | `()` |
/// | tuple `(a, b)` / 1-tuple `(a,)` | `(*, *)` / `(*,)` |
/// | `Vec` / array | `[*, *]` |
/// | `Option`: `None` / `Some(x)` | `None` / `Some(*)` |
/// | `Box<T>` / `Arc<T>` | as `T` |
/// | `BTreeMap` / `HashMap` with `String` keys (sorted) | `{'a': *, 'b': [*, *]}` |
/// | derived struct with named fields | `Linear { w: *, b: * }` |
/// | derived tuple struct / unit struct | `Pair(*, *)` / `Marker` |
/// | derived enum variant | `Layer::Dense { w: * }`, `Act::Relu` |
/// | static fields (after the pytree fields) | `Dense { w: *, act=Relu }`, `Pair(*, .1=3)` |
///
/// The whole is wrapped as `PyTreeDef(...)`, e.g.
/// `PyTreeDef(Mlp { layers: [Linear { w: *, b: * }, Linear { w: *, b: * }] })`. Static values
/// print with their `Debug` form; `#[pytree(skip)]` fields are not part of the structure.
///
/// # Equality
///
/// Two treedefs are equal when they have the same containers, the same dict keys, the same
/// struct types and enum variants (a type is identified by its module path and name, so the
/// instantiations of a generic struct differ only where their children do) and equal static
/// field values. Leaves' shapes and dtypes are not part of a treedef.
#[derive(Clone)]
pub struct TreeDef {
    // `Arc<Vec<_>>` rather than `Arc<[_]>`: the builder's vector is moved in, not copied.
    nodes: Arc<Vec<Node>>,
}

/// A borrowed (sub)tree structure: a node and everything under it. `&TreeDef` derefs to it, and
/// [`Subtree::children`] yields the children's. `PyTree::unflatten_from` receives one.
///
/// ```
/// use ferrax::prelude::*;
/// let def = (Tensor::scalar(1.0f32), vec![Tensor::scalar(2.0f32)]).treedef();
/// let kids: Vec<String> = def.children().map(|c| c.to_string()).collect();
/// assert_eq!(kids, ["PyTreeDef(*)", "PyTreeDef([*])"]);
/// ```
#[repr(transparent)]
pub struct Subtree([Node]);

impl std::ops::Deref for TreeDef {
    type Target = Subtree;
    fn deref(&self) -> &Subtree {
        Subtree::from_nodes(&self.nodes)
    }
}

impl std::borrow::Borrow<Subtree> for TreeDef {
    fn borrow(&self) -> &Subtree {
        self
    }
}

impl ToOwned for Subtree {
    type Owned = TreeDef;
    fn to_owned(&self) -> TreeDef {
        TreeDef {
            nodes: Arc::new(self.0.to_vec()),
        }
    }
}

impl PartialEq for TreeDef {
    fn eq(&self, other: &TreeDef) -> bool {
        Arc::ptr_eq(&self.nodes, &other.nodes) || self.nodes == other.nodes
    }
}
impl Eq for TreeDef {}
impl Hash for TreeDef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}
impl PartialEq for Subtree {
    fn eq(&self, other: &Subtree) -> bool {
        self.0 == other.0
    }
}
impl Eq for Subtree {}
impl Hash for Subtree {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

/// A read-only view of a [`Subtree`]'s root node.
#[derive(Clone, Copy, Debug)]
pub enum NodeKind<'a> {
    /// One tensor.
    Leaf,
    /// `Option::None`: no leaves.
    None,
    /// A tuple (including `()`).
    Tuple,
    /// A `Vec` or array.
    List,
    /// `Option::Some`, with one child.
    Some,
    /// A string-keyed map; keys sorted, one child per key.
    Dict(&'a [String]),
    /// A derived struct or enum variant.
    Struct {
        /// Its static description.
        info: &'static StructInfo,
        /// Values of its `#[pytree(static)]` fields, in `info.static_fields` order.
        statics: &'a [Arc<dyn StaticValue>],
    },
}

/// The children of a [`Subtree`], left to right.
#[derive(Clone)]
pub struct Children<'a> {
    rest: &'a [Node],
    left: u32,
}

impl<'a> Iterator for Children<'a> {
    type Item = &'a Subtree;
    #[inline]
    fn next(&mut self) -> Option<&'a Subtree> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let n = self.rest[0].num_nodes as usize;
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(Subtree::from_nodes(head))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

impl ExactSizeIterator for Children<'_> {}

impl<'a> Children<'a> {
    /// The next child; panics (naming the parent) when there is none. Used by unflatten code.
    #[track_caller]
    #[inline]
    pub fn next_child(&mut self) -> &'a Subtree {
        match self.next() {
            Some(c) => c,
            None => panic!("unflatten: the treedef has fewer children than the type has fields"),
        }
    }
}

/// The root of a struct node, as handed to derived `unflatten_from` code by
/// [`Subtree::expect_struct`].
pub struct StructNode<'a> {
    /// The struct's (variant's) static description.
    pub info: &'static StructInfo,
    /// Its children, one per pytree field.
    pub children: Children<'a>,
    statics: &'a [Arc<dyn StaticValue>],
}

impl<'a> StructNode<'a> {
    /// The enum variant's index (0 for structs).
    pub fn variant_index(&self) -> u32 {
        self.info.variant_index
    }

    /// The next child subtree (pytree fields in declaration order).
    #[track_caller]
    #[inline]
    pub fn child(&mut self) -> &'a Subtree {
        self.children.next_child()
    }

    /// A clone of the `i`-th static field's value, which must have type `T`.
    #[track_caller]
    pub fn static_field<T: Clone + 'static>(&self, i: usize) -> T {
        let v = self.statics.get(i).unwrap_or_else(|| {
            panic!(
                "unflatten: treedef of `{}` has no static field #{i}",
                self.info.name
            )
        });
        match v.as_any().downcast_ref::<T>() {
            Some(x) => x.clone(),
            None => panic!(
                "unflatten: static field `{}` of `{}` holds {:?}, not a `{}`",
                self.info.static_fields.get(i).copied().unwrap_or("?"),
                self.info.name,
                v,
                std::any::type_name::<T>()
            ),
        }
    }
}

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
                let mut first = true;
                for (name, c) in info.fields.iter().zip(self.children()) {
                    if !first {
                        f.write_str(", ")?;
                    }
                    first = false;
                    if info.style == FieldStyle::Named {
                        write!(f, "{name}: ")?;
                    }
                    c.write_node(f)?;
                }
                for (name, v) in info.static_fields.iter().zip(statics.iter()) {
                    if !first {
                        f.write_str(", ")?;
                    }
                    first = false;
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

// `TreeDef` is `Send + Sync`: jit caches hold treedefs across threads.
#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<TreeDef>();
}
