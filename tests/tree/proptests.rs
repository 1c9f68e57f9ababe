//! Property tests over randomly generated nested pytrees (Vec, tuples, arrays, Option, Box,
//! BTreeMap, HashMap, derived generic structs with static and skipped fields, derived enums):
//! round trips, leaf order, key paths, and treedef equality iff same structure and statics.

use ferrax::prelude::*;
use ferrax::tree::{self, TreeDef};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};

/// A random shape description; leaves carry an id that becomes their value.
#[derive(Clone, Debug)]
enum Desc {
    Leaf(u32),
    List(Vec<Desc>),
    Pair(Box<Desc>, Box<Desc>),
    Arr(Box<Desc>, Box<Desc>),
    Opt(Option<Box<Desc>>),
    Map(BTreeMap<String, Desc>),
    HMap(BTreeMap<String, Desc>),
    Lin(Box<Desc>, Box<Desc>, u8),
    Unit,
}

#[derive(PyTree, Clone, Debug)]
struct Lin<T> {
    w: T,
    #[pytree(skip)]
    scratch: Vec<u8>,
    b: T,
    #[pytree(static)]
    act: u8,
}

#[derive(PyTree, Clone, Debug)]
enum Tree {
    Leaf(Tensor),
    List(Vec<Tree>),
    Pair((Box<Tree>, Box<Tree>)),
    Arr([Box<Tree>; 2]),
    Opt { inner: Option<Box<Tree>> },
    Map(BTreeMap<String, Tree>),
    HMap(HashMap<String, Tree>),
    Lin(Lin<Box<Tree>>),
    Unit,
}

fn desc() -> impl Strategy<Value = Desc> {
    let leaf = prop_oneof![4 => (0u32..1000).prop_map(Desc::Leaf), 1 => Just(Desc::Unit)];
    leaf.prop_recursive(4, 40, 4, |inner| {
        let key = prop::sample::select(vec!["a", "b", "c", "w", "zz"]).prop_map(String::from);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Desc::List),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Desc::Pair(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Desc::Arr(Box::new(a), Box::new(b))),
            prop::option::of(inner.clone()).prop_map(|o| Desc::Opt(o.map(Box::new))),
            prop::collection::btree_map(key.clone(), inner.clone(), 0..4).prop_map(Desc::Map),
            prop::collection::btree_map(key, inner.clone(), 0..4).prop_map(Desc::HMap),
            (inner.clone(), inner, 0u8..3).prop_map(|(a, b, act)| Desc::Lin(
                Box::new(a),
                Box::new(b),
                act
            )),
        ]
    })
}

fn build(d: &Desc) -> Tree {
    match d {
        // shapes vary with the id; values are the id
        Desc::Leaf(id) => Tree::Leaf(Tensor::full(&[(*id % 3) as usize], *id as f64, DType::F32)),
        Desc::List(v) => Tree::List(v.iter().map(build).collect()),
        Desc::Pair(a, b) => Tree::Pair((Box::new(build(a)), Box::new(build(b)))),
        Desc::Arr(a, b) => Tree::Arr([Box::new(build(a)), Box::new(build(b))]),
        Desc::Opt(o) => Tree::Opt {
            inner: o.as_ref().map(|x| Box::new(build(x))),
        },
        Desc::Map(m) => Tree::Map(m.iter().map(|(k, v)| (k.clone(), build(v))).collect()),
        Desc::HMap(m) => Tree::HMap(m.iter().map(|(k, v)| (k.clone(), build(v))).collect()),
        Desc::Lin(w, b, act) => Tree::Lin(Lin {
            w: Box::new(build(w)),
            scratch: vec![1, 2, 3],
            b: Box::new(build(b)),
            act: *act,
        }),
        Desc::Unit => Tree::Unit,
    }
}

/// The documented leaf order, computed from the description alone: depth first, fields in
/// declaration order, map keys sorted. Each leaf contributes (id, number of scalars).
fn expected_leaves(d: &Desc, out: &mut Vec<(u32, usize)>) {
    match d {
        Desc::Leaf(id) => out.push((*id, (*id % 3) as usize)),
        Desc::List(v) => v.iter().for_each(|x| expected_leaves(x, out)),
        Desc::Pair(a, b) | Desc::Arr(a, b) | Desc::Lin(a, b, _) => {
            expected_leaves(a, out);
            expected_leaves(b, out);
        }
        Desc::Opt(o) => o.iter().for_each(|x| expected_leaves(x, out)),
        Desc::Map(m) | Desc::HMap(m) => m.values().for_each(|x| expected_leaves(x, out)),
        Desc::Unit => {}
    }
}

/// Same structure and static data (leaf values and shapes ignored).
fn same_structure(a: &Desc, b: &Desc) -> bool {
    use Desc::*;
    match (a, b) {
        (Leaf(_), Leaf(_)) | (Unit, Unit) => true,
        (List(x), List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_structure(p, q))
        }
        (Pair(a1, b1), Pair(a2, b2)) | (Arr(a1, b1), Arr(a2, b2)) => {
            same_structure(a1, a2) && same_structure(b1, b2)
        }
        (Lin(a1, b1, c1), Lin(a2, b2, c2)) => {
            c1 == c2 && same_structure(a1, a2) && same_structure(b1, b2)
        }
        (Opt(x), Opt(y)) => match (x, y) {
            (None, None) => true,
            (Some(p), Some(q)) => same_structure(p, q),
            _ => false,
        },
        (Map(x), Map(y)) | (HMap(x), HMap(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && same_structure(v1, v2))
        }
        _ => false,
    }
}

/// Deep equality of two trees, independent of flattening.
fn tree_eq(a: &Tree, b: &Tree) -> bool {
    use Tree::*;
    let t_eq =
        |x: &Tensor, y: &Tensor| x.shape() == y.shape() && x.to_vec::<f32>() == y.to_vec::<f32>();
    match (a, b) {
        (Leaf(x), Leaf(y)) => t_eq(x, y),
        (Unit, Unit) => true,
        (List(x), List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| tree_eq(p, q)),
        (Pair((a1, b1)), Pair((a2, b2))) | (Arr([a1, b1]), Arr([a2, b2])) => {
            tree_eq(a1, a2) && tree_eq(b1, b2)
        }
        (Opt { inner: x }, Opt { inner: y }) => match (x, y) {
            (None, None) => true,
            (Some(p), Some(q)) => tree_eq(p, q),
            _ => false,
        },
        (Map(x), Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && tree_eq(v1, v2))
        }
        (HMap(x), HMap(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| tree_eq(v, w)))
        }
        (Lin(x), Lin(y)) => x.act == y.act && tree_eq(&x.w, &y.w) && tree_eq(&x.b, &y.b),
        _ => false,
    }
}

/// Whether every `#[pytree(skip)]` field holds its `Default` (as after unflatten).
fn skipped_are_default(t: &Tree) -> bool {
    use Tree::*;
    match t {
        Leaf(_) | Unit => true,
        List(v) => v.iter().all(skipped_are_default),
        Pair((a, b)) | Arr([a, b]) => skipped_are_default(a) && skipped_are_default(b),
        Opt { inner } => inner.as_ref().is_none_or(|x| skipped_are_default(x)),
        Map(m) => m.values().all(skipped_are_default),
        HMap(m) => m.values().all(skipped_are_default),
        Lin(l) => l.scratch.is_empty() && skipped_are_default(&l.w) && skipped_are_default(&l.b),
    }
}

fn hash_of(d: &TreeDef) -> u64 {
    thread_local!(static RS: RandomState = RandomState::new());
    RS.with(|rs| rs.hash_one(d))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn unflatten_of_flatten_is_identity(d in desc()) {
        let t = build(&d);
        let (leaves, def) = t.flatten();
        prop_assert_eq!(leaves.len(), def.num_leaves());
        let back = Tree::unflatten(&def, leaves.clone());
        prop_assert!(tree_eq(&t, &back));
        prop_assert!(skipped_are_default(&back));
        prop_assert_eq!(back.treedef(), def.clone());
        // tree_map keeps structure and static data; skipped fields come back as Default
        let mapped = tree::tree_map(&t, |x| x + 1.0);
        prop_assert_eq!(mapped.treedef(), def.clone());
        let back2 = tree::tree_map(&mapped, |x| x - 1.0);
        prop_assert!(tree_eq(&t, &back2));
        // the printed form is deterministic and round-trips through the same structure
        prop_assert_eq!(def.to_string(), back.treedef().to_string());
    }

    #[test]
    fn leaf_order_is_as_documented(d in desc()) {
        let t = build(&d);
        let mut expected = Vec::new();
        expected_leaves(&d, &mut expected);
        let got: Vec<(u32, usize)> = t.leaves().iter().map(|x| {
            let v = x.to_vec::<f32>();
            (v.first().copied().unwrap_or(-1.0) as i64, x.size())
        }).map(|(v, n)| (if n == 0 { u32::MAX } else { v as u32 }, n)).collect();
        let expected: Vec<(u32, usize)> = expected.into_iter().map(|(id, n)| (if n == 0 { u32::MAX } else { id }, n)).collect();
        prop_assert_eq!(got, expected);
        prop_assert_eq!(tree::tree_size(&t), t.leaves().iter().map(|x| x.size()).sum::<usize>());
    }

    #[test]
    fn paths_are_unique_and_in_leaf_order(d in desc()) {
        let t = build(&d);
        let with_path = tree::tree_flatten_with_path(&t);
        let leaves = t.leaves();
        prop_assert_eq!(with_path.len(), leaves.len());
        let mut seen = std::collections::HashSet::new();
        for ((p, x), y) in with_path.iter().zip(&leaves) {
            prop_assert!(seen.insert(p.to_string()), "duplicate path {}", p);
            prop_assert_eq!(x.to_vec::<f32>(), y.to_vec::<f32>());
        }
        // tree_map_with_path sees the same paths
        let mut paths = Vec::new();
        tree::tree_map_with_path(&t, |p, x| { paths.push(p.clone()); x.clone() });
        prop_assert_eq!(paths, with_path.into_iter().map(|(p, _)| p).collect::<Vec<_>>());
    }

    #[test]
    fn treedef_equal_iff_same_structure_and_statics(a in desc(), b in desc()) {
        let (da, db) = (build(&a).treedef(), build(&b).treedef());
        let same = same_structure(&a, &b);
        prop_assert_eq!(da == db, same, "{} vs {}", da, db);
        if same {
            prop_assert_eq!(hash_of(&da), hash_of(&db));
            prop_assert_eq!(da.to_string(), db.to_string());
        }
    }

    #[test]
    fn treedef_of_self_and_of_a_perturbed_copy(d in desc(), act in 0u8..3) {
        // Self-comparison (always equal), then change one static value: equal iff unchanged.
        let t = build(&d);
        prop_assert_eq!(t.treedef(), build(&d).treedef());
        fn set_first_act(d: &mut Desc, act: u8) -> Option<u8> {
            match d {
                Desc::Lin(_, _, a) => { let old = *a; *a = act; Some(old) }
                Desc::List(v) => v.iter_mut().find_map(|x| set_first_act(x, act)),
                Desc::Pair(a, b) | Desc::Arr(a, b) => set_first_act(a, act).or_else(|| set_first_act(b, act)),
                Desc::Opt(Some(x)) => set_first_act(x, act),
                Desc::Map(m) | Desc::HMap(m) => m.values_mut().find_map(|x| set_first_act(x, act)),
                _ => None,
            }
        }
        let mut e = d.clone();
        if let Some(old) = set_first_act(&mut e, act) {
            prop_assert_eq!(build(&e).treedef() == t.treedef(), old == act);
        }
    }
}
