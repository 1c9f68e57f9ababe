//! `#[derive(PyTree)]` seen from a user crate: model-shaped structs, tuple/unit structs, enums,
//! generics, static and skipped fields, and the tree utilities on them.

use ferrax::prelude::*;
use ferrax::tree::{self, KeyPath, NodeKind};
use std::panic::{catch_unwind, AssertUnwindSafe};

#[derive(PyTree, Clone, Debug)]
struct Linear {
    w: Tensor,
    b: Tensor,
}

#[derive(PyTree, Clone, Debug)]
struct Mlp {
    layers: Vec<Linear>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
enum Act {
    #[default]
    Relu,
    Tanh,
}

/// Generic with a default, a static field and a skipped field.
#[derive(PyTree, Clone, Debug)]
struct Dense<T = Tensor> {
    w: T,
    b: Option<T>,
    #[pytree(static)]
    act: Act,
    #[pytree(static)]
    width: usize,
    #[pytree(skip)]
    calls: u64,
}

#[derive(PyTree, Clone, Debug)]
struct Pair(Tensor, #[pytree(static)] bool, Vec<Tensor>);

#[derive(PyTree, Clone, Debug, PartialEq)]
struct Marker;

#[derive(PyTree, Clone, Debug)]
enum Layer {
    Dense {
        w: Tensor,
        #[pytree(static)]
        act: Act,
    },
    Scale(Tensor),
    Identity,
}

/// A static type parameter: only static fields use `K`, so it needs no `PyTree` bound.
#[derive(PyTree, Clone, Debug)]
struct Tagged<K> {
    x: Tensor,
    #[pytree(static)]
    tag: K,
}

fn t(v: &[f32]) -> Tensor {
    Tensor::from_vec(v.to_vec(), &[v.len()])
}

fn vals(x: &Tensor) -> Vec<f32> {
    x.to_vec::<f32>()
}

fn mlp() -> Mlp {
    Mlp {
        layers: vec![
            Linear {
                w: t(&[1.0, 2.0]),
                b: t(&[3.0]),
            },
            Linear {
                w: t(&[4.0, 5.0]),
                b: t(&[6.0]),
            },
        ],
    }
}

fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

#[test]
fn mlp_flattens_in_field_order_and_prints() {
    let m = mlp();
    let (leaves, def) = m.flatten();
    let flat: Vec<Vec<f32>> = leaves.iter().map(vals).collect();
    assert_eq!(
        flat,
        vec![vec![1.0, 2.0], vec![3.0], vec![4.0, 5.0], vec![6.0]]
    );
    assert_eq!(
        def.to_string(),
        "PyTreeDef(Mlp { layers: [Linear { w: *, b: * }, Linear { w: *, b: * }] })"
    );
    assert_eq!(def.num_leaves(), 4);
    assert_eq!(def.num_nodes(), 1 + 1 + 2 * 3);
    let back = Mlp::unflatten(&def, leaves);
    assert_eq!(vals(&back.layers[1].w), vec![4.0, 5.0]);
}

#[test]
fn tree_map_and_map2_on_mlp() {
    let m = mlp();
    let doubled: Mlp = tree::tree_map(&m, |x| x * 2.0);
    assert_eq!(vals(&doubled.layers[0].w), vec![2.0, 4.0]);
    let sum = tree::tree_map2(&m, &doubled, |a, b| a + b);
    assert_eq!(vals(&sum.layers[1].b), vec![18.0]);
    let sgd = tree::tree_map2(&m, &doubled, |p, g| p - g * 0.5);
    assert_eq!(vals(&sgd.layers[1].w), vec![0.0, 0.0]);
}

#[test]
fn paths_on_mlp() {
    let m = mlp();
    let paths: Vec<String> = tree::tree_flatten_with_path(&m)
        .iter()
        .map(|(p, _)| p.to_string())
        .collect();
    assert_eq!(
        paths,
        [
            ".layers[0].w",
            ".layers[0].b",
            ".layers[1].w",
            ".layers[1].b"
        ]
    );
    // weight decay on `w` only
    let decayed = tree::tree_map_with_path(&m, |p: &KeyPath, x| {
        if p.to_string().ends_with(".w") {
            x * 0.5
        } else {
            x.clone()
        }
    });
    assert_eq!(vals(&decayed.layers[1].w), vec![2.0, 2.5]);
    assert_eq!(vals(&decayed.layers[1].b), vec![6.0]);
}

#[test]
fn mismatch_names_the_path_and_both_structures() {
    let a = mlp();
    let mut b = mlp();
    b.layers.push(Linear {
        w: t(&[0.0]),
        b: t(&[0.0]),
    });
    let msg = panic_message(|| {
        tree::tree_map2(&a, &b, |x, _| x.clone());
    });
    assert!(msg.contains("tree structures differ at `.layers`"), "{msg}");
    assert!(
        msg.contains("[Linear { w: *, b: * }, Linear { w: *, b: * }]"),
        "{msg}"
    );
    assert!(
        msg.contains("[Linear { w: *, b: * }, Linear { w: *, b: * }, Linear { w: *, b: * }]"),
        "{msg}"
    );

    let d1 = vec![dense(Act::Relu), dense(Act::Relu)];
    let d2 = vec![dense(Act::Relu), dense(Act::Tanh)];
    let msg = panic_message(|| {
        ferrax::optim::tree_utils::tree_add(&d1, &d2);
    });
    assert!(msg.contains("differ at `[1]`"), "{msg}");
    assert!(
        msg.contains("act=Relu") && msg.contains("act=Tanh"),
        "{msg}"
    );
}

fn dense(act: Act) -> Dense {
    Dense {
        w: t(&[1.0, 2.0]),
        b: Some(t(&[0.5])),
        act,
        width: 2,
        calls: 9,
    }
}

#[test]
fn static_and_skip_fields() {
    let d = dense(Act::Tanh);
    let def = d.treedef();
    assert_eq!(
        def.to_string(),
        "PyTreeDef(Dense { w: *, b: Some(*), act=Tanh, width=2 })"
    );
    assert_eq!(d.leaves().len(), 2);
    // tree_map rebuilds static fields from the treedef; skipped ones from Default
    let e = tree::tree_map(&d, |x| x + 1.0);
    assert_eq!((e.act, e.width, e.calls), (Act::Tanh, 2, 0));
    assert_eq!(vals(&e.w), vec![2.0, 3.0]);
    // statics are part of equality
    assert_ne!(dense(Act::Relu).treedef(), def);
    assert_eq!(dense(Act::Tanh).treedef(), def);
    // skipped fields are not
    let mut f = dense(Act::Tanh);
    f.calls = 100;
    assert_eq!(f.treedef(), def);
    // b: None changes the structure
    let mut g = dense(Act::Tanh);
    g.b = None;
    assert_eq!(
        g.treedef().to_string(),
        "PyTreeDef(Dense { w: *, b: None, act=Tanh, width=2 })"
    );
    assert_ne!(g.treedef(), def);
    match def.kind() {
        NodeKind::Struct { info, statics, .. } => {
            assert_eq!(info.static_fields, &["act", "width"]);
            assert_eq!(format!("{:?}", statics[1]), "2");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn generic_struct_with_non_default_parameter() {
    let d: Dense<Vec<Tensor>> = Dense {
        w: vec![t(&[1.0]), t(&[2.0])],
        b: None,
        act: Act::Relu,
        width: 1,
        calls: 0,
    };
    assert_eq!(
        d.treedef().to_string(),
        "PyTreeDef(Dense { w: [*, *], b: None, act=Relu, width=1 })"
    );
    let e = tree::tree_map(&d, |x| -x);
    assert_eq!(vals(&e.w[1]), vec![-2.0]);
    // Dense<Tensor> and Dense<Vec<Tensor>> are different types: different structures
    let one: Dense<Vec<Tensor>> = Dense {
        w: vec![t(&[1.0])],
        b: None,
        act: Act::Relu,
        width: 1,
        calls: 0,
    };
    let plain: Dense = Dense {
        w: t(&[1.0]),
        b: None,
        act: Act::Relu,
        width: 1,
        calls: 0,
    };
    assert_ne!(one.treedef(), plain.treedef());

    let tagged = Tagged {
        x: t(&[1.0]),
        tag: "encoder".to_string(),
    };
    assert_eq!(
        tagged.treedef().to_string(),
        "PyTreeDef(Tagged { x: *, tag=\"encoder\" })"
    );
    let back = tree::tree_map(&tagged, |x| x * 3.0);
    assert_eq!(back.tag, "encoder");
}

#[test]
fn tuple_and_unit_structs() {
    let p = Pair(t(&[1.0]), true, vec![t(&[2.0]), t(&[3.0])]);
    assert_eq!(
        p.treedef().to_string(),
        "PyTreeDef(Pair(*, [*, *], .1=true))"
    );
    let paths: Vec<String> = p
        .flatten_with_path()
        .iter()
        .map(|(k, _)| k.to_string())
        .collect();
    assert_eq!(paths, [".0", ".2[0]", ".2[1]"]);
    let q = tree::tree_map(&p, |x| x * 2.0);
    assert!(q.1);
    assert_eq!(vals(&q.2[1]), vec![6.0]);

    assert_eq!(Marker.treedef().to_string(), "PyTreeDef(Marker)");
    assert!(Marker.leaves().is_empty());
    assert_eq!(Marker::unflatten(&Marker.treedef(), vec![]), Marker);
}

#[test]
fn enums_record_their_variant() {
    let layers = vec![
        Layer::Dense {
            w: t(&[1.0]),
            act: Act::Tanh,
        },
        Layer::Scale(t(&[2.0])),
        Layer::Identity,
    ];
    let def = layers.treedef();
    assert_eq!(
        def.to_string(),
        "PyTreeDef([Layer::Dense { w: *, act=Tanh }, Layer::Scale(*), Layer::Identity])"
    );
    let back: Vec<Layer> = tree::tree_map(&layers, |x| x + 10.0);
    match &back[0] {
        Layer::Dense { w, act } => {
            assert_eq!(*act, Act::Tanh);
            assert_eq!(vals(w), vec![11.0]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(back[1], Layer::Scale(ref s) if vals(s) == vec![12.0]));
    assert!(matches!(back[2], Layer::Identity));
    // a different variant is a different structure
    let other = vec![
        Layer::Scale(t(&[1.0])),
        Layer::Scale(t(&[2.0])),
        Layer::Identity,
    ];
    assert_ne!(other.treedef(), def);
    let msg = panic_message(|| {
        tree::tree_map2(&layers, &other, |a, _| a.clone());
    });
    assert!(msg.contains("differ at `[0]`"), "{msg}");
    assert!(
        msg.contains("Layer::Dense { w: *, act=Tanh }") && msg.contains("Layer::Scale(*)"),
        "{msg}"
    );
}

#[test]
fn unflatten_into_the_wrong_type_names_both() {
    let def = mlp().treedef();
    let msg = panic_message(|| {
        let _ = Vec::<Linear>::unflatten(&def, mlp().leaves());
    });
    assert!(
        msg.contains("expected a list") && msg.contains("PyTreeDef(Mlp {"),
        "{msg}"
    );
    let def = (t(&[1.0]), t(&[1.0])).treedef();
    let msg = panic_message(|| {
        let _ = Linear::unflatten(&def, vec![t(&[1.0]), t(&[2.0])]);
    });
    assert!(
        msg.contains("Linear") && msg.contains("PyTreeDef((*, *))"),
        "{msg}"
    );
}

#[test]
fn make_jaxpr_takes_a_derived_struct() {
    let m = Mlp {
        layers: vec![Linear {
            w: Tensor::zeros(&[3], DType::F32),
            b: Tensor::zeros(&[3], DType::F32),
        }],
    };
    let f = |p: &Mlp| {
        let l = &p.layers[0];
        (l.w.sin() * &l.b).sum()
    };
    let j = make_jaxpr(f)(&m);
    let text = j.to_string();
    assert!(
        text.starts_with("{ lambda ; a:f32[3] b:f32[3]. let"),
        "{text}"
    );
    assert!(text.contains("sin a"), "{text}");

    // a derived struct as the output too
    let g = |p: &Mlp| ferrax::optim::tree_utils::tree_scale(p, 2.0);
    let j = make_jaxpr(g)(&m);
    assert_eq!(j.to_string().matches("mul").count(), 2, "{j}");
}

#[test]
fn tree_utilities_on_a_model() {
    let m = mlp();
    assert_eq!(tree::tree_size(&m), 6);
    let dot = ferrax::optim::tree_utils::tree_vdot(&m, &m).item::<f32>();
    assert_eq!(dot, 1.0 + 4.0 + 9.0 + 16.0 + 25.0 + 36.0);
    let norm = ferrax::optim::tree_utils::tree_global_norm(&m).item::<f32>();
    assert!((norm - 91f32.sqrt()).abs() < 1e-5);
    let z = ferrax::optim::tree_utils::tree_zeros_like(&m);
    assert_eq!(vals(&z.layers[1].w), vec![0.0, 0.0]);
    let c = ferrax::optim::tree_utils::tree_cast(&m, DType::F64);
    assert_eq!(c.layers[0].b.dtype(), DType::F64);
}

mod other {
    use ferrax::prelude::*;

    /// Same name and fields as the outer `Linear`, different type.
    #[derive(PyTree)]
    pub struct Linear {
        pub w: Tensor,
        pub b: Tensor,
    }
}

#[test]
fn same_named_types_in_different_modules_differ() {
    let a = Linear {
        w: t(&[1.0]),
        b: t(&[2.0]),
    };
    let b = other::Linear {
        w: t(&[1.0]),
        b: t(&[2.0]),
    };
    assert_eq!(a.treedef().to_string(), b.treedef().to_string());
    assert_ne!(a.treedef(), b.treedef());
    let msg = panic_message(|| {
        let _ = other::Linear::unflatten(&a.treedef(), a.leaves());
    });
    assert!(msg.contains("expected a `Linear`"), "{msg}");
}

/// `#[derive(PyTree)]` inside a `macro_rules!` whose field types are macro arguments.
macro_rules! pair_struct {
    ($name:ident, $a:ty, $b:ty) => {
        #[derive(PyTree, Clone)]
        struct $name {
            first: $a,
            second: $b,
        }
    };
}

pair_struct!(MacroPair, Tensor, Vec<Tensor>);

#[test]
fn derive_inside_macro_rules() {
    let p = MacroPair {
        first: Tensor::scalar(1.0f32),
        second: vec![Tensor::scalar(2.0f32), Tensor::scalar(3.0f32)],
    };
    let (leaves, def) = p.flatten();
    assert_eq!(leaves.len(), 3);
    let back = MacroPair::unflatten(&def, leaves);
    assert_eq!(back.second[1].item::<f32>(), 3.0);
    assert_eq!(back.first.item::<f32>(), 1.0);
}
