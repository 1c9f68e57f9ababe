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

mod builder;
mod subtree;

pub use builder::TreeDefBuilder;

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
        eq_as_type(self, other.as_any())
    }
    fn hash_dyn(&self, state: &mut dyn Hasher) {
        hash_with_type(self, state)
    }
}

/// Equality of a `T` with a type-erased value: false unless `other` is a `T` too. With
/// [`hash_with_type`], what a trait object of static fields or primitives compares and hashes
/// by.
pub(crate) fn eq_as_type<T: PartialEq + 'static>(value: &T, other: &dyn Any) -> bool {
    other.downcast_ref::<T>() == Some(value)
}

/// Hashes `value` and its type, so equal-looking values of different types hash apart.
pub(crate) fn hash_with_type<T: Hash + 'static>(value: &T, mut state: &mut dyn Hasher) {
    std::any::TypeId::of::<T>().hash(&mut state);
    value.hash(&mut state);
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

// `TreeDef` is `Send + Sync`: jit caches hold treedefs across threads.
#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<TreeDef>();
}
