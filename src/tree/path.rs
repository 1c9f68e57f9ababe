//! Key paths: where a leaf sits in a pytree, printed like JAX's `keystr`.

use super::def::{Kind, Subtree};
use std::fmt;

/// One step of a [`KeyPath`].
///
/// ```
/// use ferrax::tree::KeyEntry;
/// assert_eq!(KeyEntry::Field("weight").to_string(), ".weight");
/// assert_eq!(KeyEntry::Index(1).to_string(), "[1]");
/// assert_eq!(KeyEntry::Key("lr".into()).to_string(), "['lr']");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyEntry {
    /// A struct field (`.name`; tuple-struct fields are `.0`, `.1`, ...), like JAX's `GetAttrKey`.
    Field(&'static str),
    /// A tuple, `Vec` or array position (`[i]`), like JAX's `SequenceKey`.
    Index(usize),
    /// A map key (`['key']`), like JAX's `DictKey`.
    Key(String),
}

impl fmt::Display for KeyEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyEntry::Field(name) => write!(f, ".{name}"),
            KeyEntry::Index(i) => write!(f, "[{i}]"),
            KeyEntry::Key(k) => write!(f, "['{k}']"),
        }
    }
}

/// The path from a pytree's root to one of its nodes, e.g. `.layers[1].w` or `['opt'][0]`.
/// `Option::Some` and `Box` add no step. Displays like JAX's `keystr` (the root is `""`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::tree::tree_flatten_with_path;
/// let t = (Tensor::scalar(1.0f32), vec![Tensor::scalar(2.0f32), Tensor::scalar(3.0f32)]);
/// let paths: Vec<String> = tree_flatten_with_path(&t).iter().map(|(p, _)| p.to_string()).collect();
/// assert_eq!(paths, ["[0]", "[1][0]", "[1][1]"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPath(pub Vec<KeyEntry>);

impl KeyPath {
    /// The empty path (the root).
    ///
    /// ```
    /// use ferrax::tree::KeyPath;
    /// assert_eq!(KeyPath::root().to_string(), "");
    /// ```
    pub fn root() -> KeyPath {
        KeyPath(Vec::new())
    }

    /// Appends a step.
    ///
    /// ```
    /// use ferrax::tree::{KeyEntry, KeyPath};
    /// let mut p = KeyPath::root();
    /// p.push(KeyEntry::Field("layers"));
    /// p.push(KeyEntry::Index(1));
    /// assert_eq!(p.to_string(), ".layers[1]");
    /// ```
    pub fn push(&mut self, e: KeyEntry) {
        self.0.push(e)
    }

    /// Removes the last step.
    ///
    /// ```
    /// use ferrax::tree::{KeyEntry, KeyPath};
    /// let mut p = KeyPath(vec![KeyEntry::Index(0)]);
    /// assert_eq!(p.pop(), Some(KeyEntry::Index(0)));
    /// ```
    pub fn pop(&mut self) -> Option<KeyEntry> {
        self.0.pop()
    }

    /// The steps.
    ///
    /// ```
    /// use ferrax::tree::{KeyEntry, KeyPath};
    /// assert_eq!(KeyPath(vec![KeyEntry::Index(2)]).entries(), &[KeyEntry::Index(2)]);
    /// ```
    pub fn entries(&self) -> &[KeyEntry] {
        &self.0
    }

    /// Whether this is the root.
    ///
    /// ```
    /// assert!(ferrax::tree::KeyPath::root().is_root());
    /// ```
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.0 {
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Where two structures first differ (pre-order): the path and the two subtrees there.
pub(crate) fn first_difference<'a>(
    a: &'a Subtree,
    b: &'a Subtree,
) -> Option<(KeyPath, &'a Subtree, &'a Subtree)> {
    let mut path = KeyPath::root();
    walk(a, b, &mut path).map(|(x, y)| (path, x, y))
}

fn walk<'a>(
    a: &'a Subtree,
    b: &'a Subtree,
    path: &mut KeyPath,
) -> Option<(&'a Subtree, &'a Subtree)> {
    let (ra, rb) = (a.root(), b.root());
    if ra.kind != rb.kind || ra.arity != rb.arity {
        return Some((a, b));
    }
    if matches!(ra.kind, Kind::Leaf) {
        return None;
    }
    for (i, (ca, cb)) in a.children().zip(b.children()).enumerate() {
        let key = a.child_key(i);
        let pushed = key.is_some();
        if let Some(k) = key {
            path.push(k);
        }
        if let Some(d) = walk(ca, cb, path) {
            return Some(d);
        }
        if pushed {
            path.pop();
        }
    }
    None
}

/// Panics, naming the first differing path and both structures, unless `a == b`.
#[track_caller]
pub(crate) fn assert_same_structure(what: &str, a: &Subtree, b: &Subtree, ia: usize, ib: usize) {
    if a == b {
        return;
    }
    match first_difference(a, b) {
        Some((path, x, y)) => {
            let at = if path.is_root() {
                "the root".to_string()
            } else {
                format!("`{path}`")
            };
            panic!(
                "{what}: tree structures differ at {at}: tree {ia} has {x} but tree {ib} has {y}\n  tree {ia}: {a}\n  tree {ib}: {b}"
            )
        }
        None => panic!("{what}: tree structures differ\n  tree {ia}: {a}\n  tree {ib}: {b}"),
    }
}
