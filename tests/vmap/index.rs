//! Batching rules of the indexing primitives (`dynamic_slice`, `dynamic_update_slice`,
//! `gather`, `scatter-add`): property tests that `vmap_with(f, in_axes)(args)` equals stacking
//! `f` over a loop of examples, for every combination of batched and unbatched operands and
//! indices, batch dims anywhere (the index vector's side included), out-of-bounds indices in
//! every mode and duplicate scatter indices; `numpy::take` with per-example indices;
//! per-example gradients through gather (whose transpose is scatter-add); and the jaxpr of a
//! dynamic slice at batched starts (one gather, no loop).

use ferrax::lax::{self, GatherScatterMode as Mode, ScatterDimensionNumbers as Sdn};
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use ferrax::transforms::{vmap_with, AxisSpec, VmapSpec};
use proptest::prelude::*;

use crate::common;
use common::gather_cases::{
    gdn, indices, mirror, random_gather, random_indices as gather_indices, scalar_index, sh,
    GatherCase as Case,
};
use common::rng::Rng;

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

/// The draws specific to these tests.
trait VmapRng {
    fn mode(&mut self) -> Mode;
    /// A batch dim for an array of `ndim` logical dims (any of the `ndim + 1` positions), or
    /// none (unbatched) when `may_skip` and a coin says so.
    fn dim(&mut self, ndim: usize, may_skip: bool) -> Option<usize>;
}

impl VmapRng for Rng {
    fn mode(&mut self) -> Mode {
        [Mode::Clip, Mode::FillOrDrop, Mode::PromiseInBounds][self.range(0, 2) as usize]
    }
    fn dim(&mut self, ndim: usize, may_skip: bool) -> Option<usize> {
        (!may_skip || self.coin()).then(|| self.range(0, ndim as i64) as usize)
    }
}

/// Random values of `dtype`: eighths in `[-5, 5]` for floats (sums are exact in any order),
/// small integers, or bools.
fn values(r: &mut Rng, shape: &[usize], dtype: DType) -> Tensor {
    let n: usize = shape.iter().product();
    match dtype {
        DType::F64 => Tensor::from_vec(
            (0..n).map(|_| r.range(-40, 40) as f64 / 8.0).collect(),
            shape,
        ),
        DType::I32 => Tensor::from_vec((0..n).map(|_| r.range(-50, 50) as i32).collect(), shape),
        DType::Bool => Tensor::from_vec((0..n).map(|_| r.coin()).collect(), shape),
        d => panic!("no generator for {d:?}"),
    }
}

/// Float values including the ones an overwrite must keep bit for bit: `-0.0`, NaN, infinities.
fn special_values(r: &mut Rng, shape: &[usize]) -> Tensor {
    let pool = [
        -0.0,
        0.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1.5,
        -2.25,
        7.0,
    ];
    let n: usize = shape.iter().product();
    Tensor::from_vec(
        (0..n).map(|_| pool[r.range(0, 7) as usize]).collect(),
        shape,
    )
}

/// An argument of a vmapped function: `size` examples made by `make`, stacked along the batch
/// dim; or, unbatched, a single example.
fn arg(size: usize, dim: Option<usize>, mut make: impl FnMut() -> Tensor) -> Tensor {
    match dim {
        None => make(),
        Some(d) => {
            let xs: Vec<Tensor> = (0..size).map(|_| make()).collect();
            jnp::stack(&xs, d as isize)
        }
    }
}

/// Same shape, dtype and values (NaN equals NaN; `-0.0` differs from `0.0`).
#[track_caller]
fn assert_same(got: &Tensor, want: &Tensor, what: &str) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    let (g, w) = (got.to_vec::<f64>(), want.to_vec::<f64>());
    let same = g
        .iter()
        .zip(&w)
        .all(|(a, b)| (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits());
    assert!(same, "{what}:\n vmap {g:?}\n loop {w:?}");
}

fn spec_of(dims: &[Option<usize>]) -> AxisSpec {
    AxisSpec::Tree(
        dims.iter()
            .map(|d| d.map_or(AxisSpec::NotMapped, |d| AxisSpec::Axis(d as isize)))
            .collect(),
    )
}

/// `vmap_with(f, in_axes=dims, out_axes=out_axis)(args)` against `f` on each example (the
/// `i`-th slice of every batched argument, the whole of the others), stacked along
/// `out_axis`.
#[track_caller]
fn check_vmap(
    f: impl Fn(&[Tensor]) -> Tensor,
    args: &[Tensor],
    dims: &[Option<usize>],
    out_axis: usize,
    what: &str,
) {
    let size = args
        .iter()
        .zip(dims)
        .find_map(|(a, d)| d.map(|d| a.shape()[d]))
        .expect("some argument is batched");
    let spec = VmapSpec::new()
        .in_axes(spec_of(dims))
        .out_axes(out_axis as isize);
    let got = vmap_with(|xs: &Vec<Tensor>| f(xs), spec)(&args.to_vec());
    let outs: Vec<Tensor> = (0..size)
        .map(|i| {
            let xs: Vec<Tensor> = args
                .iter()
                .zip(dims)
                .map(|(a, d)| match d {
                    Some(d) => a.index_axis(*d as isize, i as isize),
                    None => a.clone(),
                })
                .collect();
            f(&xs)
        })
        .collect();
    let want = jnp::stack(&outs, out_axis as isize);
    assert_same(&got, &want, what);
}

// ------------------------------------------------------------------------------------------
// Random cases
// ------------------------------------------------------------------------------------------

/// A random gather case, its free batch dims of sizes `1..=3`.
fn random_case(r: &mut Rng) -> Case {
    random_gather(r, 1)
}

/// Index values for a case (in bounds, or anywhere in `[-3, size + 3]`), as i32 or u32.
fn random_indices(r: &mut Rng, c: &Case, in_bounds: bool, unsigned: bool) -> Tensor {
    indices(&gather_indices(r, c, in_bounds), &c.ishape, unsigned)
}

/// The rank of a gather's output for a case (the rank of a scatter's updates).
fn gather_shape(c: &Case) -> Vec<usize> {
    let x = Tensor::zeros(&c.oshape, DType::F64);
    let i = Tensor::zeros(&c.ishape, DType::I32);
    lax::gather(&x, &i, c.d.clone(), &c.slice, Mode::Clip)
        .shape()
        .to_vec()
}

/// Which of two arguments are batched: operand only, indices only, or both.
fn two_dims(r: &mut Rng, ranks: [usize; 2]) -> [Option<usize>; 2] {
    loop {
        let d = [r.dim(ranks[0], true), r.dim(ranks[1], true)];
        if d.iter().any(Option::is_some) {
            return d;
        }
    }
}

// ------------------------------------------------------------------------------------------
// Property tests against a loop of examples
// ------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// gather: operand batched, indices batched (the batch dim anywhere, after the index
    /// vector included), or both; every mode, indices in and out of bounds, i32 and u32,
    /// f64 and i32 operands (so FILL_OR_DROP fills NaN and i32::MIN).
    #[test]
    fn prop_vmap_gather(seed in any::<u64>()) {
        let mut r = Rng(seed);
        let c = random_case(&mut r);
        let mode = r.mode();
        let (in_bounds, unsigned) = (r.coin(), r.coin());
        let dtype = if r.coin() { DType::F64 } else { DType::I32 };
        let size = r.range(1, 3) as usize;
        let dims = two_dims(&mut r, [c.oshape.len(), c.ishape.len()]);
        let x = arg(size, dims[0], || values(&mut Rng(r.next()), &c.oshape, dtype));
        let i = arg(size, dims[1], || random_indices(&mut Rng(r.next()), &c, in_bounds, unsigned));
        let out_axis = r.range(0, gather_shape(&c).len() as i64) as usize;
        let (d, slice) = (c.d.clone(), c.slice.clone());
        check_vmap(
            |a| lax::gather(&a[0], &a[1], d.clone(), &slice, mode),
            &[x, i],
            &dims,
            out_axis,
            &format!("gather {c:?} {mode:?} dims {dims:?}"),
        );
    }

    /// scatter-add: every combination of batched operand, indices and updates (at least one),
    /// batch dims anywhere, every mode, out-of-bounds and (frequent) duplicate indices.
    #[test]
    fn prop_vmap_scatter_add(seed in any::<u64>()) {
        let mut r = Rng(seed);
        let c = random_case(&mut r);
        let ushape = gather_shape(&c);
        let mode = r.mode();
        let (in_bounds, unsigned) = (r.coin(), r.coin());
        let dtype = if r.coin() { DType::F64 } else { DType::I32 };
        let size = r.range(1, 3) as usize;
        let dims = loop {
            let d = [
                r.dim(c.oshape.len(), true),
                r.dim(c.ishape.len(), true),
                r.dim(ushape.len(), true),
            ];
            if d.iter().any(Option::is_some) {
                break d;
            }
        };
        let x = arg(size, dims[0], || values(&mut Rng(r.next()), &c.oshape, dtype));
        let i = arg(size, dims[1], || random_indices(&mut Rng(r.next()), &c, in_bounds, unsigned));
        let u = arg(size, dims[2], || values(&mut Rng(r.next()), &ushape, dtype));
        let out_axis = r.range(0, c.oshape.len() as i64) as usize;
        let dn = mirror(&c.d);
        check_vmap(
            |a| lax::scatter_add(&a[0], &a[1], &a[2], dn.clone(), mode),
            &[x, i, u],
            &dims,
            out_axis,
            &format!("scatter-add {c:?} {mode:?} dims {dims:?}"),
        );
    }

    /// dynamic_slice: operand batched or not, each start batched or not (at least one of
    /// all), starts clamped (many out of bounds; u32 ones below 0 wrap to huge), rank 0 too.
    #[test]
    fn prop_vmap_dynamic_slice(seed in any::<u64>()) {
        let mut r = Rng(seed);
        let rank = r.range(0, 3) as usize;
        let oshape: Vec<usize> = (0..rank).map(|_| r.range(1, 4) as usize).collect();
        let sizes: Vec<usize> = oshape.iter().map(|&n| r.range(0, n as i64) as usize).collect();
        let unsigned = r.coin();
        let dtype = [DType::F64, DType::I32, DType::Bool][r.range(0, 2) as usize];
        let size = r.range(1, 3) as usize;
        let dims: Vec<Option<usize>> = loop {
            let mut d = vec![r.dim(rank, true)];
            d.extend((0..rank).map(|_| r.coin().then_some(0)));
            if d.iter().any(Option::is_some) {
                break d;
            }
        };
        let mut args = vec![arg(size, dims[0], || values(&mut Rng(r.next()), &oshape, dtype))];
        for (k, &n) in oshape.iter().enumerate() {
            args.push(arg(size, dims[k + 1], || scalar_index(r.range(-3, n as i64 + 3), unsigned)));
        }
        let out_axis = r.range(0, rank as i64) as usize;
        check_vmap(
            |a| lax::dynamic_slice(&a[0], &a[1..], &sizes),
            &args,
            &dims,
            out_axis,
            &format!("dynamic_slice {oshape:?} {sizes:?} dims {dims:?}"),
        );
    }

    /// dynamic_update_slice: operand, update and each start batched or not (at least one),
    /// clamped starts, f64 values that must land bit for bit (-0.0, NaN, infinities), i32 and
    /// bool operands.
    #[test]
    fn prop_vmap_dynamic_update_slice(seed in any::<u64>()) {
        let mut r = Rng(seed);
        let rank = r.range(0, 3) as usize;
        let oshape: Vec<usize> = (0..rank).map(|_| r.range(1, 4) as usize).collect();
        let ushape: Vec<usize> = oshape.iter().map(|&n| r.range(0, n as i64) as usize).collect();
        let unsigned = r.coin();
        let dtype = [DType::F64, DType::I32, DType::Bool][r.range(0, 2) as usize];
        let size = r.range(1, 3) as usize;
        let dims: Vec<Option<usize>> = loop {
            let mut d = vec![r.dim(rank, true), r.dim(rank, true)];
            d.extend((0..rank).map(|_| r.coin().then_some(0)));
            if d.iter().any(Option::is_some) {
                break d;
            }
        };
        let make = |r: &mut Rng, shape: &[usize]| {
            if dtype == DType::F64 { special_values(r, shape) } else { values(r, shape, dtype) }
        };
        let mut args = vec![
            arg(size, dims[0], || make(&mut Rng(r.next()), &oshape)),
            arg(size, dims[1], || make(&mut Rng(r.next()), &ushape)),
        ];
        for (k, &n) in oshape.iter().enumerate() {
            args.push(arg(size, dims[k + 2], || scalar_index(r.range(-3, n as i64 + 3), unsigned)));
        }
        let out_axis = r.range(0, rank as i64) as usize;
        check_vmap(
            |a| lax::dynamic_update_slice(&a[0], &a[1], &a[2..]),
            &args,
            &dims,
            out_axis,
            &format!("dynamic_update_slice {oshape:?} {ushape:?} dims {dims:?}"),
        );
    }

    /// `numpy::take` with per-example indices (negative ones wrap, out-of-range ones clamp),
    /// the table batched or shared, along either axis.
    #[test]
    fn prop_vmap_take(seed in any::<u64>()) {
        let mut r = Rng(seed);
        let xshape = [r.range(1, 4) as usize, r.range(1, 3) as usize];
        let ishape: Vec<usize> = (0..r.range(0, 2)).map(|_| r.range(1, 3) as usize).collect();
        let axis = r.range(0, 1) as usize;
        let size = r.range(1, 3) as usize;
        let dims = [r.dim(2, true), r.dim(ishape.len(), false)];
        let n = xshape[axis] as i64;
        let x = arg(size, dims[0], || values(&mut Rng(r.next()), &xshape, DType::F64));
        let i = arg(size, dims[1], || {
            let k: usize = ishape.iter().product();
            let v: Vec<i64> = (0..k).map(|_| r.range(-n - 1, n)).collect();
            indices(&v, &ishape, false)
        });
        let out_axis = r.range(0, ishape.len() as i64 + 1) as usize;
        check_vmap(
            |a| jnp::take(&a[0], &a[1], axis as isize),
            &[x, i],
            &dims,
            out_axis,
            &format!("take axis {axis} dims {dims:?}"),
        );
    }

    /// Per-example gradients through gather: `vmap(grad(f))` equals a loop of `grad(f)`. The
    /// gradient is the transpose, a scatter-add of the cotangent (so the gather rule runs
    /// forward and the scatter-add rule backward), with the indices per example or shared.
    #[test]
    fn prop_vmap_grad_through_gather(seed in any::<u64>()) {
        let mut r = Rng(seed);
        let c = random_case(&mut r);
        let mode = r.mode();
        let in_bounds = r.coin();
        let size = r.range(1, 3) as usize;
        let dims = [Some(r.range(0, c.oshape.len() as i64) as usize), r.dim(c.ishape.len(), true)];
        let x = arg(size, dims[0], || values(&mut Rng(r.next()), &c.oshape, DType::F64));
        let i = arg(size, dims[1], || random_indices(&mut Rng(r.next()), &c, in_bounds, false));
        let (d, slice) = (c.d.clone(), c.slice.clone());
        let f = |a: &[Tensor]| {
            let i = a[1].clone();
            let (d, slice) = (d.clone(), slice.clone());
            grad(move |x: &Tensor| {
                // FILL_OR_DROP fills NaN: the loss is NaN, but the transpose drops the filled
                // windows' cotangents, so the gradient stays finite.
                let g = lax::gather(x, &i, d.clone(), &slice, mode);
                (g.sin() * &g).sum()
            })(&a[0])
        };
        check_vmap(f, &[x, i], &dims, 0, &format!("grad gather {c:?} {mode:?} dims {dims:?}"));
    }
}

// ------------------------------------------------------------------------------------------
// Known values and jaxprs
// ------------------------------------------------------------------------------------------

/// Duplicate indices accumulate within each example and never across examples.
#[test]
fn scatter_add_duplicates_per_example() {
    let dn = Sdn {
        inserted_window_dims: sh(&[0]),
        scatter_dims_to_operand_dims: sh(&[0]),
        ..Default::default()
    };
    let x = Tensor::zeros(&[3], DType::F64);
    let i = Tensor::from_vec(vec![1i32, 1, 1, 0, 2, 0], &[2, 3, 1]);
    let u = Tensor::from_vec(vec![1.0f64, 2.0, 4.0, 8.0, 16.0, 32.0], &[2, 3]);
    let f = vmap_with(
        |(x, i, u): &(Tensor, Tensor, Tensor)| lax::scatter_add(x, i, u, dn.clone(), Mode::Clip),
        VmapSpec::new().in_axes((AxisSpec::NotMapped, 0, 0)),
    );
    let got = f(&(x, i, u));
    assert_eq!(got.shape(), &[2, 3]);
    assert_eq!(got.to_vec::<f64>(), vec![0.0, 7.0, 0.0, 40.0, 0.0, 16.0]);
}

/// Out-of-bounds windows, per example: filled (FILL_OR_DROP) or clamped (CLIP) in a gather,
/// dropped (FILL_OR_DROP) or clamped (CLIP) in a scatter-add.
#[test]
fn out_of_bounds_modes_per_example() {
    let dn = gdn(&[0], &[], &[0], &[], &[]);
    let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let i = Tensor::from_vec(vec![2i32, 0], &[2, 1]);
    let gather = |mode| {
        let dn = dn.clone();
        vmap_with(
            move |(x, i): &(Tensor, Tensor)| lax::gather(x, i, dn.clone(), &[2], mode),
            VmapSpec::new(),
        )(&(x.clone(), i.clone()))
    };
    // Example 0 starts at 2 (window [2, 4) is out of bounds), example 1 at 0.
    let filled = gather(Mode::FillOrDrop).to_vec::<f64>();
    assert!(filled[0].is_nan() && filled[1].is_nan());
    assert_eq!(&filled[2..], &[4.0, 5.0]);
    assert_eq!(gather(Mode::Clip).to_vec::<f64>(), vec![2.0, 3.0, 4.0, 5.0]);

    let sdn = mirror(&dn);
    let u = Tensor::from_vec(vec![10.0f64, 20.0, 30.0, 40.0], &[2, 2]);
    let scatter = |mode| {
        let sdn = sdn.clone();
        vmap_with(
            move |(x, i, u): &(Tensor, Tensor, Tensor)| {
                lax::scatter_add(x, i, u, sdn.clone(), mode)
            },
            VmapSpec::new(),
        )(&(x.clone(), i.clone(), u.clone()))
    };
    assert_eq!(
        scatter(Mode::FillOrDrop).to_vec::<f64>(),
        vec![1.0, 2.0, 3.0, 34.0, 45.0, 6.0]
    );
    assert_eq!(
        scatter(Mode::Clip).to_vec::<f64>(),
        vec![1.0, 12.0, 23.0, 34.0, 45.0, 6.0]
    );
}

/// `vmap` of a dynamic slice at batched starts is one gather (JAX's form: the starts
/// broadcast to `[B, 1]`, a CLIP gather with the batch as an indices batch dim), not a loop;
/// with the operand batched too, the batch dims pair up as batching dims.
#[test]
fn jaxpr_dynamic_slice_with_batched_starts_is_one_gather() {
    let x = Tensor::zeros(&[5], DType::F32);
    let starts = Tensor::zeros(&[3], DType::I32);
    let f = vmap_with(
        |(x, i): &(Tensor, Tensor)| lax::dynamic_slice(x, std::slice::from_ref(i), &[2]),
        VmapSpec::new().in_axes((AxisSpec::NotMapped, 0)),
    );
    let text = make_jaxpr(f)(&(x, starts.clone())).to_string();
    let want = "{ lambda ; a:f32[5] b:i32[3]. let
    c:i32[3,1] = broadcast_in_dim[broadcast_dimensions=(0,)] b
    d:f32[3,2] = gather[
      dimension_numbers=GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(), start_index_map=(0,), operand_batching_dims=(), start_indices_batching_dims=())
      fill_value=None
      indices_are_sorted=False
      mode=GatherScatterMode.CLIP
      slice_sizes=(2,)
      unique_indices=False
    ] a c
  in (d,) }";
    assert_eq!(text.trim(), want, "got:\n{text}");

    let xs = Tensor::zeros(&[3, 5], DType::F32);
    let g = vmap_with(
        |(x, i): &(Tensor, Tensor)| lax::dynamic_slice(x, std::slice::from_ref(i), &[2]),
        VmapSpec::new(),
    );
    let text = make_jaxpr(g)(&(xs, starts)).to_string();
    assert_eq!(text.matches(" gather[").count(), 1, "{text}");
    assert!(!text.contains("dynamic_slice"), "{text}");
    assert!(
        text.contains("operand_batching_dims=(0,), start_indices_batching_dims=(0,)")
            && text.contains("slice_sizes=(1, 2)"),
        "{text}"
    );
}

/// An overwrite at batched starts keeps every bit of the update and of the operand around
/// it (`-0.0` stays negative, NaN stays NaN), and works for bool.
#[test]
fn dynamic_update_slice_at_batched_starts_keeps_bits() {
    let x = Tensor::from_vec(vec![-0.0f64, f64::NAN, 1.0, 2.0], &[4]);
    let u = Tensor::from_vec(vec![-0.0f64, 0.0, f64::NEG_INFINITY, -0.0], &[2, 2]);
    let s = Tensor::from_vec(vec![1i32, 7], &[2]);
    let f = vmap_with(
        |(x, u, s): &(Tensor, Tensor, Tensor)| {
            lax::dynamic_update_slice(x, u, std::slice::from_ref(s))
        },
        VmapSpec::new().in_axes((AxisSpec::NotMapped, 0, 0)),
    );
    let got = f(&(x, u, s));
    let want = Tensor::from_vec(
        vec![
            -0.0f64,
            -0.0,
            0.0,
            2.0,
            -0.0,
            f64::NAN,
            f64::NEG_INFINITY,
            -0.0,
        ],
        &[2, 4],
    );
    assert_same(&got, &want, "f64");

    let xb = Tensor::from_vec(vec![true, false, false], &[3]);
    let ub = Tensor::from_vec(vec![false, true], &[2, 1]);
    let s = Tensor::from_vec(vec![0i32, 7], &[2]);
    let g = vmap_with(
        |(x, u, s): &(Tensor, Tensor, Tensor)| {
            lax::dynamic_update_slice(x, u, std::slice::from_ref(s))
        },
        VmapSpec::new().in_axes((AxisSpec::NotMapped, 0, 0)),
    );
    assert_eq!(
        g(&(xb, ub, s)).to_vec::<bool>(),
        vec![false, false, false, true, false, true]
    );
}

/// A batch of size 0: every rule keeps the shapes (the paired batching dims get slice size 0).
#[test]
fn empty_batch() {
    let x = Tensor::zeros(&[0, 4], DType::F64);
    let s = Tensor::zeros(&[0], DType::I32);
    let both = VmapSpec::new();
    let ds = vmap_with(
        |(x, s): &(Tensor, Tensor)| lax::dynamic_slice(x, std::slice::from_ref(s), &[2]),
        both.clone(),
    )(&(x.clone(), s.clone()));
    assert_eq!(ds.shape(), &[0, 2]);
    let u = Tensor::zeros(&[0, 2], DType::F64);
    let dus = vmap_with(
        |(x, u, s): &(Tensor, Tensor, Tensor)| {
            lax::dynamic_update_slice(x, u, std::slice::from_ref(s))
        },
        both.clone(),
    )(&(x.clone(), u.clone(), s));
    assert_eq!(dus.shape(), &[0, 4]);
    let i = Tensor::zeros(&[0, 2, 1], DType::I32);
    let dn = gdn(&[], &[0], &[0], &[], &[]);
    let g = vmap_with(
        |(x, i): &(Tensor, Tensor)| lax::gather(x, i, dn.clone(), &[1], Mode::FillOrDrop),
        both.clone(),
    )(&(x.clone(), i.clone()));
    assert_eq!(g.shape(), &[0, 2]);
    let sdn = mirror(&dn);
    let sa = vmap_with(
        |(x, i, u): &(Tensor, Tensor, Tensor)| {
            lax::scatter_add(x, i, u, sdn.clone(), Mode::FillOrDrop)
        },
        both,
    )(&(x, i, u));
    assert_eq!(sa.shape(), &[0, 4]);
}
