//! Tree utilities against hand-computed values: the std containers' structures and printing,
//! leaf order, key paths, maps, reductions, transpose, and the mismatch messages.

use ferrax::optim::tree_utils;
use ferrax::prelude::*;
use ferrax::tree::{self, KeyEntry, KeyPath, TreeDef, TreeDefBuilder};
use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

fn s(v: f32) -> Tensor {
    Tensor::scalar(v)
}

fn items(t: &impl PyTree) -> Vec<f32> {
    t.leaves().iter().flat_map(|x| x.to_vec::<f32>()).collect()
}

fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

fn hash_of(d: &TreeDef) -> u64 {
    use std::hash::{BuildHasher, RandomState};
    thread_local!(static RS: RandomState = RandomState::new());
    RS.with(|rs| rs.hash_one(d))
}

#[test]
fn std_containers_print_like_jax() {
    let mut d = BTreeMap::new();
    d.insert("b".to_string(), vec![s(1.0), s(2.0)]);
    d.insert("a".to_string(), vec![s(3.0)]);
    assert_eq!(
        tree::tree_structure(&(s(0.0), d)).to_string(),
        "PyTreeDef((*, {'a': [*], 'b': [*, *]}))"
    );
    assert_eq!(().treedef().to_string(), "PyTreeDef(())");
    assert_eq!((s(0.0),).treedef().to_string(), "PyTreeDef((*,))");
    assert_eq!(None::<Tensor>.treedef().to_string(), "PyTreeDef(None)");
    assert_eq!(Some(s(1.0)).treedef().to_string(), "PyTreeDef(Some(*))");
    assert_eq!(Box::new(s(1.0)).treedef().to_string(), "PyTreeDef(*)");
    assert_eq!(
        Arc::new((s(1.0), s(2.0))).treedef().to_string(),
        "PyTreeDef((*, *))"
    );
    assert_eq!([s(1.0), s(2.0)].treedef().to_string(), "PyTreeDef([*, *])");
    assert_eq!(Vec::<Tensor>::new().treedef().to_string(), "PyTreeDef([])");
    assert_eq!(
        BTreeMap::<String, Tensor>::new().treedef().to_string(),
        "PyTreeDef({})"
    );
    // Option<Option<_>>: Some(None) and None differ
    assert_ne!(
        Some(None::<Tensor>).treedef(),
        None::<Option<Tensor>>.treedef()
    );
    assert_eq!(
        Some(None::<Tensor>).treedef().to_string(),
        "PyTreeDef(Some(None))"
    );
}

#[test]
fn twelve_tuple_round_trips() {
    let t = (
        s(0.0),
        s(1.0),
        s(2.0),
        s(3.0),
        s(4.0),
        s(5.0),
        s(6.0),
        s(7.0),
        s(8.0),
        s(9.0),
        s(10.0),
        s(11.0),
    );
    let (leaves, def) = t.flatten();
    assert_eq!(def.num_leaves(), 12);
    let u: (
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
        Tensor,
    ) = tree::tree_unflatten(&def, leaves);
    assert_eq!(u.11.item::<f32>(), 11.0);
}

#[test]
fn maps_are_sorted_by_key_hashmap_too() {
    let mut h: HashMap<String, Tensor> = HashMap::new();
    for (i, k) in ["zeta", "alpha", "mu", "beta", "omega"].iter().enumerate() {
        h.insert(k.to_string(), s(i as f32));
    }
    // alpha=1, beta=3, mu=2, omega=4, zeta=0
    assert_eq!(items(&h), vec![1.0, 3.0, 2.0, 4.0, 0.0]);
    let def = h.treedef();
    assert_eq!(
        def.to_string(),
        "PyTreeDef({'alpha': *, 'beta': *, 'mu': *, 'omega': *, 'zeta': *})"
    );
    // a BTreeMap with the same entries has the same structure
    let b: BTreeMap<String, Tensor> = h.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(b.treedef(), def);
    let h2: HashMap<String, Tensor> = tree::tree_map(&h, |x| x * 2.0);
    assert_eq!(h2["omega"].item::<f32>(), 8.0);
    let paths: Vec<String> = tree::tree_flatten_with_path(&h)
        .iter()
        .map(|(p, _)| p.to_string())
        .collect();
    assert_eq!(
        paths,
        ["['alpha']", "['beta']", "['mu']", "['omega']", "['zeta']"]
    );
}

#[test]
fn leaf_order_is_depth_first() {
    let mut m = BTreeMap::new();
    m.insert("y".to_string(), (s(4.0), None, Some(s(5.0))));
    m.insert("x".to_string(), (s(2.0), Some(s(3.0)), None));
    let t = (s(1.0), m, [vec![s(6.0)], vec![]], Box::new(s(7.0)));
    assert_eq!(items(&t), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
    let paths: Vec<String> = tree::tree_flatten_with_path(&t)
        .iter()
        .map(|(p, _)| p.to_string())
        .collect();
    assert_eq!(
        paths,
        [
            "[0]",
            "[1]['x'][0]",
            "[1]['x'][1]",
            "[1]['y'][0]",
            "[1]['y'][2]",
            "[2][0][0]",
            "[3]"
        ]
    );
    let (_, def) = t.flatten();
    let paths2: Vec<String> = def.leaf_paths().iter().map(|p| p.to_string()).collect();
    assert_eq!(paths, paths2);
    assert_eq!(
        tree::tree_flatten_with_path(&t)[1].0,
        KeyPath(vec![
            KeyEntry::Index(1),
            KeyEntry::Key("x".into()),
            KeyEntry::Index(0)
        ])
    );
}

#[test]
fn treedef_equality_and_hash() {
    let a = (s(1.0), vec![s(2.0), s(3.0)]).treedef();
    let b = (s(9.0), vec![s(8.0), s(7.0)]).treedef();
    let c = (s(1.0), vec![s(2.0)]).treedef();
    assert_eq!(a, b);
    assert_eq!(hash_of(&a), hash_of(&b));
    assert_ne!(a, c);
    // a clone is equal; subtrees compare as values
    assert_eq!(a.clone(), a);
    let kids: Vec<_> = a.children().collect();
    assert_eq!(kids[1], &*vec![s(0.0), s(0.0)].treedef());
    // tuple vs list vs dict with the same leaves differ
    let t2 = (s(1.0), s(2.0)).treedef();
    let l2 = vec![s(1.0), s(2.0)].treedef();
    assert_ne!(t2, l2);
    let mut m = BTreeMap::new();
    m.insert("a".to_string(), s(1.0));
    let mut n = BTreeMap::new();
    n.insert("b".to_string(), s(1.0));
    assert_ne!(m.treedef(), n.treedef());
    // usable as a HashMap key (jit caches)
    let mut cache: HashMap<TreeDef, usize> = HashMap::new();
    cache.insert(a.clone(), 1);
    assert_eq!(cache.get(&b), Some(&1));
    assert_eq!(cache.get(&c), None);
}

#[test]
fn builder_and_compose() {
    let mut b = TreeDefBuilder::new();
    b.dict(vec!["a".into(), "b".into()], |b| {
        b.leaf();
        b.list(|b| {
            b.leaf();
            b.none();
        });
    });
    let d = b.finish();
    assert_eq!(d.to_string(), "PyTreeDef({'a': *, 'b': [*, None]})");
    assert_eq!((d.num_leaves(), d.num_nodes(), d.num_children()), (2, 5, 2));
    let c = d.compose(&TreeDef::tuple(&[TreeDef::leaf(), TreeDef::leaf()]));
    assert_eq!(
        c.to_string(),
        "PyTreeDef({'a': (*, *), 'b': [(*, *), None]})"
    );
    assert_eq!((c.num_leaves(), c.num_nodes()), (4, 9));
    // compose agrees with the structure of the composed value
    let v = {
        let mut m = BTreeMap::new();
        m.insert("a".to_string(), vec![Some((s(1.0), s(2.0)))]);
        m.insert("b".to_string(), vec![None, Some((s(3.0), s(4.0)))]);
        m
    };
    let outer = {
        let mut m = BTreeMap::new();
        m.insert("a".to_string(), vec![Some(s(0.0))]);
        m.insert("b".to_string(), vec![None, Some(s(0.0))]);
        m
    };
    assert_eq!(
        outer.treedef().compose(&(s(0.0), s(0.0)).treedef()),
        v.treedef()
    );
}

#[test]
fn transpose_swaps_outer_and_inner() {
    let pairs = vec![(s(1.0), s(2.0)), (s(3.0), s(4.0)), (s(5.0), s(6.0))];
    let outer = tree::tree_structure(&vec![s(0.0); 3]);
    let inner = tree::tree_structure(&(s(0.0), s(0.0)));
    let (a, b): (Vec<Tensor>, Vec<Tensor>) = tree::tree_transpose(&outer, &inner, &pairs);
    assert_eq!(items(&a), vec![1.0, 3.0, 5.0]);
    assert_eq!(items(&b), vec![2.0, 4.0, 6.0]);
    // and back
    let back: Vec<(Tensor, Tensor)> = tree::tree_transpose(&inner, &outer, &(a, b));
    assert_eq!(items(&back), items(&pairs));
    let msg = panic_message(|| {
        let _: (Vec<Tensor>, Vec<Tensor>) = tree::tree_transpose(&inner, &inner, &pairs);
    });
    assert!(
        msg.contains("tree_transpose") && msg.contains("differ"),
        "{msg}"
    );
}

#[test]
fn map2_zip_map_reduce_all() {
    let a = (s(1.0), vec![s(2.0), s(3.0)]);
    let b = (s(10.0), vec![s(20.0), s(30.0)]);
    assert_eq!(
        items(&tree::tree_map2(&a, &b, |x, y| x * y)),
        vec![10.0, 40.0, 90.0]
    );
    let c = tree::tree_zip_map(&[&a, &b, &a], |xs| xs[0] + xs[1] - xs[2]);
    assert_eq!(items(&c), vec![10.0, 20.0, 30.0]);
    assert_eq!(
        tree::tree_reduce(&b, 0.0f32, |acc, x| acc + x.item::<f32>()),
        60.0
    );
    assert!(tree::tree_all(&a, |x| x.item::<f32>() > 0.0));
    assert!(!tree::tree_all(&a, |x| x.item::<f32>() > 1.0));
    assert!(tree::tree_any(&a, |x| x.item::<f32>() > 2.5));
    assert!(tree::tree_all(&(), |_| false));
    // tree_map2 over two different types with the same structure
    let arr = [s(1.0), s(2.0)];
    let msg = panic_message(|| {
        tree::tree_map2(&(s(1.0), s(2.0)), &arr, |x, _| x.clone());
    });
    assert!(
        msg.contains("differ at the root") && msg.contains("(*, *)") && msg.contains("[*, *]"),
        "{msg}"
    );
}

#[test]
fn mismatch_messages_name_the_first_differing_path() {
    let mut m1 = BTreeMap::new();
    m1.insert("enc".to_string(), vec![(s(1.0), Some(s(2.0)))]);
    m1.insert("dec".to_string(), vec![(s(1.0), Some(s(2.0)))]);
    let mut m2 = m1.clone();
    m2.get_mut("enc").unwrap()[0].1 = None;
    let msg = panic_message(|| {
        tree_utils::tree_add(&m1, &m2);
    });
    assert!(msg.contains("differ at `['enc'][0][1]`"), "{msg}");
    assert!(
        msg.contains("tree 0 has PyTreeDef(Some(*)) but tree 1 has PyTreeDef(None)"),
        "{msg}"
    );
    assert!(
        msg.contains("tree 1: PyTreeDef({'dec': [(*, Some(*))], 'enc': [(*, None)]})"),
        "{msg}"
    );

    let msg = panic_message(|| {
        tree::tree_zip_map(&[&vec![s(1.0)], &vec![s(1.0)], &vec![]], |xs| xs[0].clone());
    });
    assert!(
        msg.contains("tree_zip_map") && msg.contains("tree 2"),
        "{msg}"
    );

    let msg = panic_message(|| {
        let _: Vec<Tensor> = tree::tree_unflatten(&vec![s(1.0)].treedef(), vec![]);
    });
    assert!(msg.contains("needs 1 leaves, got 0"), "{msg}");
    let msg = panic_message(|| {
        let _: [Tensor; 3] = tree::tree_unflatten(&vec![s(1.0)].treedef(), vec![s(1.0)]);
    });
    assert!(
        msg.contains("[_; 3]") && msg.contains("PyTreeDef([*])"),
        "{msg}"
    );
}

#[test]
fn arithmetic_utilities() {
    let a = (
        Tensor::from_vec(vec![1.0f32, -2.0], &[2]),
        vec![Tensor::from_vec(vec![3.0f64], &[1])],
    );
    let b = (
        Tensor::from_vec(vec![0.5f32, 4.0], &[2]),
        vec![Tensor::from_vec(vec![-1.0f64], &[1])],
    );
    let sum = tree_utils::tree_add(&a, &b);
    assert_eq!(sum.0.to_vec::<f32>(), [1.5, 2.0]);
    assert_eq!(sum.1[0].to_vec::<f64>(), [2.0]);
    let diff = tree_utils::tree_sub(&a, &b);
    assert_eq!(diff.0.to_vec::<f32>(), [0.5, -6.0]);
    let scaled = tree_utils::tree_scale(&a, -2.0);
    assert_eq!(scaled.0.to_vec::<f32>(), [-2.0, 4.0]);
    assert_eq!(scaled.1[0].dtype(), DType::F64);
    let by_tensor = tree_utils::tree_scale(&a, &Tensor::scalar(3.0f32));
    assert_eq!(by_tensor.0.to_vec::<f32>(), [3.0, -6.0]);
    // 1*0.5 + (-2)*4 + 3*(-1) = -10.5
    assert_eq!(tree_utils::tree_dot(&a, &b).to_vec::<f64>(), [-10.5]);
    assert_eq!(tree_utils::tree_vdot(&a, &b).to_vec::<f64>(), [-10.5]);
    // sqrt(1 + 4 + 9)
    assert!((tree_utils::tree_global_norm(&a).to_vec::<f64>()[0] - 14f64.sqrt()).abs() < 1e-6);
    assert_eq!(tree::tree_size(&a), 3);
    assert_eq!(tree::tree_size(&()), 0);
    assert_eq!(tree_utils::tree_dot(&(), &()).item::<f32>(), 0.0);
    assert_eq!(
        tree_utils::tree_global_norm(&Vec::<Tensor>::new()).item::<f32>(),
        0.0
    );
    let z = tree_utils::tree_zeros_like(&(
        Tensor::from_vec(vec![f32::NAN, f32::INFINITY], &[2]),
        Tensor::scalar(true),
    ));
    assert_eq!(z.0.to_vec::<f32>(), [0.0, 0.0]);
    assert_eq!(z.1.dtype(), DType::Bool);
    let o = tree_utils::tree_ones_like(&vec![Tensor::zeros(&[2, 2], DType::I32)]);
    assert_eq!(o[0].to_vec::<i32>(), [1, 1, 1, 1]);
    let c = tree_utils::tree_cast(&a, DType::F32);
    assert_eq!(c.1[0].dtype(), DType::F32);
}

#[test]
fn zeros_like_traces_as_a_broadcast() {
    let f = |x: &(Tensor, Tensor)| tree_utils::tree_zeros_like(x);
    let j = make_jaxpr(f)(&(
        Tensor::zeros(&[3], DType::F32),
        Tensor::zeros(&[], DType::F32),
    ));
    let text = j.to_string();
    // a broadcast of a scalar zero (not a captured f32[3] constant)
    assert!(
        text.contains("c:f32[3] = broadcast_in_dim") && text.contains("0.0:f32[]"),
        "{text}"
    );
    assert!(!text.contains("lambda c"), "{text}");
    let g = |x: &Vec<Tensor>| tree_utils::tree_global_norm(x);
    let text = make_jaxpr(g)(&vec![Tensor::zeros(&[2], DType::F32); 2]).to_string();
    assert!(text.contains("sqrt"), "{text}");
}

#[test]
fn treedef_is_send_sync_and_shared_across_threads() {
    fn is<T: Send + Sync + 'static>(_: &T) {}
    let def = (s(1.0), vec![s(2.0)]).treedef();
    is(&def);
    let d2 = def.clone();
    let printed = std::thread::spawn(move || d2.to_string()).join().unwrap();
    assert_eq!(printed, def.to_string());
}
