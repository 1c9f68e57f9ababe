//! Pytree flattening cost, which every transformed (e.g. jitted) call pays on its arguments and
//! results. A model-shaped tree: `Mlp { layers: Vec<Linear> }` with 500 layers of `w` and `b`
//! (1000 leaves, 503 container nodes), plus one static field per layer.
//!
//! Reported per call; divide by 1000 for ns/leaf.

use criterion::{criterion_group, criterion_main, Criterion};
use ferrax::prelude::*;
use ferrax::tree;
use std::hint::black_box;

#[derive(PyTree, Clone)]
struct Linear {
    w: Tensor,
    b: Tensor,
}

#[derive(PyTree, Clone)]
struct Mlp {
    layers: Vec<Linear>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Act {
    Relu,
}

#[derive(PyTree, Clone)]
struct Dense {
    w: Tensor,
    b: Tensor,
    #[pytree(static)]
    act: Act,
}

fn model(n_layers: usize) -> Mlp {
    let t = Tensor::zeros(&[4, 4], DType::F32);
    Mlp {
        layers: (0..n_layers)
            .map(|_| Linear {
                w: t.clone(),
                b: t.clone(),
            })
            .collect(),
    }
}

fn flatten(c: &mut Criterion) {
    let m = model(500);
    let (leaves, def) = m.flatten();
    assert_eq!(leaves.len(), 1000);

    c.bench_function("tree 1000 leaves: flatten_into (leaves only)", |b| {
        let mut v = Vec::with_capacity(1000);
        b.iter(|| {
            v.clear();
            black_box(&m).flatten_into(&mut v);
            black_box(v.len())
        })
    });
    c.bench_function("tree 1000 leaves: treedef", |b| {
        b.iter(|| black_box(&m).treedef())
    });
    c.bench_function("tree 1000 leaves: flatten (leaves + treedef)", |b| {
        b.iter(|| black_box(&m).flatten())
    });
    c.bench_function(
        "tree 1000 leaves: treedef == cached (jit cache check)",
        |b| b.iter(|| black_box(&m).treedef() == *black_box(&def)),
    );
    c.bench_function("tree 1000 leaves: unflatten", |b| {
        b.iter(|| Mlp::unflatten(black_box(&def), leaves.clone()))
    });
    c.bench_function("tree 1000 leaves: tree_map identity", |b| {
        b.iter(|| tree::tree_map(black_box(&m), |x| x.clone()))
    });

    let t = Tensor::zeros(&[4, 4], DType::F32);
    let dense: Vec<Dense> = (0..500)
        .map(|_| Dense {
            w: t.clone(),
            b: t.clone(),
            act: Act::Relu,
        })
        .collect();
    let ddef = dense.treedef();
    c.bench_function("tree 1000 leaves + 500 static fields: flatten", |b| {
        b.iter(|| black_box(&dense).flatten())
    });
    c.bench_function("tree 1000 leaves + 500 static fields: unflatten", |b| {
        b.iter(|| Vec::<Dense>::unflatten(black_box(&ddef), leaves.clone()))
    });
}

criterion_group!(benches, flatten);
criterion_main!(benches);
