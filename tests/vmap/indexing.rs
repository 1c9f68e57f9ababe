//! vmap of numpy indexing and `x.at[idx]` updates (the scatter family's batching rule)
//! against a loop of the unbatched function: the index batched, the operand batched, the
//! values batched, and all of them, at several batch dims.

use ferrax::idx;
use ferrax::prelude::*;
use ferrax::transforms::{vmap_with, AxisSpec, VmapSpec};

fn spec(axes: &[Option<usize>]) -> VmapSpec {
    VmapSpec {
        in_axes: AxisSpec::Tree(axes.iter().map(|&a| AxisSpec::from(a)).collect()),
        ..Default::default()
    }
}

/// Slices `t` at `b` along `dim` (or returns it when unbatched).
fn pick(t: &Tensor, dim: Option<usize>, b: usize) -> Tensor {
    match dim {
        None => t.clone(),
        Some(d) => ferrax::numpy::index_axis(t, d as isize, b as isize),
    }
}

type F = fn(&(Tensor, Tensor, Tensor)) -> Tensor;

fn check(name: &str, f: F, args: (Tensor, Tensor, Tensor), dims: [Option<usize>; 3], n: usize) {
    let batched = vmap_with(f, spec(&dims))(&args);
    let rows: Vec<Tensor> = (0..n)
        .map(|b| {
            f(&(
                pick(&args.0, dims[0], b),
                pick(&args.1, dims[1], b),
                pick(&args.2, dims[2], b),
            ))
        })
        .collect();
    let want = ferrax::numpy::stack(&rows, 0);
    assert_eq!(batched.shape(), want.shape(), "{name} {dims:?}");
    assert_eq!(
        batched.to_vec::<f32>(),
        want.to_vec::<f32>(),
        "{name} {dims:?}"
    );
}

fn ops() -> Vec<(&'static str, F)> {
    vec![
        ("get", |(x, i, _)| x.index(idx![.., i])),
        ("get_rev", |(x, i, _)| x.index(idx![i, ..;-2])),
        ("set", |(x, i, v)| x.at(idx![1, i]).set(v)),
        ("add", |(x, i, v)| x.at(idx![i, 0]).add(v)),
        ("subtract", |(x, i, v)| x.at(idx![i, 1]).subtract(v)),
        ("mul", |(x, i, v)| {
            x.at(idx![.., i]).mul(v.index(idx![NewAxis, ..]))
        }),
        ("min", |(x, i, v)| x.at(idx![2, i]).min(v)),
        ("max", |(x, i, v)| x.at(idx![i, 3]).max(v)),
    ]
}

#[test]
fn indexing_under_vmap_equals_a_loop() {
    let n = 2;
    // Unbatched shapes: x [3, 4], i [3] (duplicates, negative, out of bounds), v [3].
    let xs = Tensor::from_vec(
        (0..24).map(|k| (k as f32) * 0.5 - 5.0).collect(),
        &[n, 3, 4],
    );
    let is = Tensor::from_vec(vec![0, 2, 0, -1, 7, 1], &[n, 3]);
    let vs = Tensor::from_vec(vec![9.0f32, -9.0, 4.0, 0.5, -0.5, 2.0], &[n, 3]);
    let x1 = ferrax::numpy::index_axis(&xs, 0, 0);
    let i1 = Tensor::from_vec(vec![2, 0, 2], &[3]);
    let v1 = Tensor::from_vec(vec![1.0f32, -2.0, 3.0], &[3]);
    for (name, f) in ops() {
        // Index batched only, operand batched only (at dim 0 and at dim 2), values only,
        // and everything.
        check(
            name,
            f,
            (x1.clone(), is.clone(), v1.clone()),
            [None, Some(0), None],
            n,
        );
        check(
            name,
            f,
            (xs.clone(), i1.clone(), v1.clone()),
            [Some(0), None, None],
            n,
        );
        let xs_last = ferrax::numpy::moveaxis(&xs, 0, 2);
        check(
            name,
            f,
            (xs_last, i1.clone(), v1.clone()),
            [Some(2), None, None],
            n,
        );
        check(
            name,
            f,
            (x1.clone(), i1.clone(), vs.clone()),
            [None, None, Some(0)],
            n,
        );
        let is_t = ferrax::numpy::moveaxis(&is, 0, 1);
        check(
            name,
            f,
            (xs.clone(), is_t, vs.clone()),
            [Some(0), Some(1), Some(0)],
            n,
        );
    }
}

/// Per-example gradients through an update: vmap of grad equals a loop of grad.
#[test]
fn per_example_gradients_of_updates_equal_a_loop() {
    let xs = Tensor::from_vec((0..12).map(|k| k as f64 * 0.25 - 1.0).collect(), &[2, 6]);
    let i = Tensor::from_vec(vec![1, 4, 1], &[3]);
    let v = Tensor::from_vec(vec![0.5f64, -1.0, 2.0], &[3]);
    let f = move |x: &Tensor| {
        let y = x
            .at(idx![&i])
            .set(&v)
            .at(idx![..;2])
            .mul(x.index(idx![1..;2]));
        (y.clone() * y).sum()
    };
    let batched = vmap(grad(f.clone()))(&xs);
    let rows: Vec<Tensor> = (0..2)
        .map(|b| grad(f.clone())(&ferrax::numpy::index_axis(&xs, 0, b)))
        .collect();
    assert_eq!(
        batched.to_vec::<f64>(),
        ferrax::numpy::stack(&rows, 0).to_vec::<f64>()
    );
}
