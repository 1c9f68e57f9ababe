//! Derivatives of the indexing primitives (`dynamic_slice`, `dynamic_update_slice`, `gather`,
//! `scatter-add`): property tests through `check_grads` (orders 1 and 2, forward and reverse,
//! against central finite differences) on random shapes, dimension numbers and indices
//! (clamped, out-of-bounds and duplicate ones included), plus known-value tests.

use ferrax::lax::{
    self, GatherDimensionNumbers as Gdn, GatherScatterMode as Mode, ScatterDimensionNumbers as Sdn,
};
use ferrax::prelude::*;
use ferrax::test_util::check_grads;
use proptest::prelude::*;

use crate::common;
use common::close::assert_close;
use common::gather_cases::{
    gdn, indices, mirror, random_indexed_gather as random_case, scalar_index, sh, IndexedGather,
};
use common::rng::Rng;

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

/// `x[idx]` along axis 0 of a rank-1 operand (indices as an `[n, 1]` array).
fn take0() -> Gdn {
    gdn(&[], &[0], &[0], &[], &[])
}

fn scatter0() -> Sdn {
    mirror(&take0())
}

fn f64s(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}

/// Random operand values: thousandths in `[-4, 4]`.
trait Values {
    fn values(&mut self, n: usize) -> Vec<f64>;
}

impl Values for Rng {
    fn values(&mut self, n: usize) -> Vec<f64> {
        (0..n)
            .map(|_| self.range(-4000, 4000) as f64 / 1000.0)
            .collect()
    }
}

// ------------------------------------------------------------------------------------------
// Random cases
// ------------------------------------------------------------------------------------------

/// A random dynamic slice: operand shape, slice sizes and starts (anywhere in
/// `[-3, size + 3]`, so many are clamped).
struct SliceCase {
    oshape: Vec<usize>,
    sizes: Vec<usize>,
    starts: Vec<i64>,
}

fn random_slice_case(r: &mut Rng) -> SliceCase {
    let rank = r.range(1, 3) as usize;
    let oshape: Vec<usize> = (0..rank).map(|_| r.range(1, 4) as usize).collect();
    let sizes: Vec<usize> = oshape
        .iter()
        .map(|&n| r.range(1, n as i64) as usize)
        .collect();
    let starts: Vec<i64> = oshape.iter().map(|&n| r.range(-3, n as i64 + 3)).collect();
    SliceCase {
        oshape,
        sizes,
        starts,
    }
}

/// The shape of the gather of a case (the scatter's updates shape).
fn gather_shape(c: &IndexedGather) -> Vec<usize> {
    let x = Tensor::zeros(&c.oshape, DType::F64);
    lax::gather(
        &x,
        &indices(&c.idx, &c.ishape, false),
        c.d.clone(),
        &c.slice,
        Mode::Clip,
    )
    .shape()
    .to_vec()
}

// ------------------------------------------------------------------------------------------
// Property tests: check_grads, orders 1 and 2, forward and reverse
// ------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// dynamic_slice with clamped starts (i32 or u32; u32 starts below 0 wrap to huge ones).
    #[test]
    fn prop_dynamic_slice_grads(seed in any::<u64>(), unsigned in any::<bool>()) {
        let mut r = Rng(seed);
        let c = random_slice_case(&mut r);
        let x = f64s(&r.values(c.oshape.iter().product()), &c.oshape);
        let starts: Vec<Tensor> = c.starts.iter().map(|&s| scalar_index(s, unsigned)).collect();
        let sizes = c.sizes.clone();
        check_grads(move |x: &Tensor| lax::dynamic_slice(x, &starts, &sizes), &x, 2);
    }

    /// dynamic_update_slice, linear in (operand, update), with clamped starts.
    #[test]
    fn prop_dynamic_update_slice_grads(seed in any::<u64>(), unsigned in any::<bool>()) {
        let mut r = Rng(seed);
        let c = random_slice_case(&mut r);
        let x = f64s(&r.values(c.oshape.iter().product()), &c.oshape);
        let u = f64s(&r.values(c.sizes.iter().product()), &c.sizes);
        let starts: Vec<Tensor> = c.starts.iter().map(|&s| scalar_index(s, unsigned)).collect();
        let s2 = starts.clone();
        check_grads(move |(x, u): &(Tensor, Tensor)| lax::dynamic_update_slice(x, u, &starts), &(x.clone(), u.clone()), 2);
        // Only the update differentiated (the operand a constant), and only the operand.
        let (x2, u2) = (x.clone(), u.clone());
        let s3 = s2.clone();
        check_grads(move |u: &Tensor| lax::dynamic_update_slice(&x2, u, &s2), &u, 2);
        check_grads(move |x: &Tensor| lax::dynamic_update_slice(x, &u2, &s3), &x, 2);
    }

    /// gather in CLIP mode with any indices (clamped), and in every mode with in-bounds ones.
    #[test]
    fn prop_gather_grads(seed in any::<u64>(), in_bounds in any::<bool>(), unsigned in any::<bool>()) {
        let mut r = Rng(seed);
        let c = random_case(&mut r, in_bounds);
        let x = f64s(&r.values(c.oshape.iter().product()), &c.oshape);
        let modes: &[Mode] = if in_bounds { &[Mode::Clip, Mode::PromiseInBounds] } else { &[Mode::Clip] };
        for &mode in modes {
            let (idx, d, slice) = (indices(&c.idx, &c.ishape, unsigned), c.d.clone(), c.slice.clone());
            check_grads(move |x: &Tensor| lax::gather(x, &idx, d.clone(), &slice, mode), &x, 2);
        }
    }

    /// scatter-add, linear in (operand, updates): CLIP and FILL_OR_DROP with any indices
    /// (clamped or dropped; duplicates accumulate), PROMISE_IN_BOUNDS with in-bounds ones.
    #[test]
    fn prop_scatter_add_grads(seed in any::<u64>(), in_bounds in any::<bool>(), unsigned in any::<bool>()) {
        let mut r = Rng(seed);
        let c = random_case(&mut r, in_bounds);
        let ushape = gather_shape(&c);
        let x = f64s(&r.values(c.oshape.iter().product()), &c.oshape);
        let u = f64s(&r.values(ushape.iter().product()), &ushape);
        let modes: &[Mode] =
            if in_bounds { &[Mode::Clip, Mode::FillOrDrop, Mode::PromiseInBounds] } else { &[Mode::Clip, Mode::FillOrDrop] };
        for &mode in modes {
            let (idx, d) = (indices(&c.idx, &c.ishape, unsigned), mirror(&c.d));
            check_grads(move |(x, u): &(Tensor, Tensor)| lax::scatter_add(x, &idx, u, d.clone(), mode), &(x.clone(), u.clone()), 2);
        }
    }

    /// The updates alone differentiated (into a constant operand), FILL_OR_DROP included:
    /// the transpose's gather must read zeros, not NaN, for dropped windows.
    #[test]
    fn prop_scatter_add_updates_grads(seed in any::<u64>(), unsigned in any::<bool>()) {
        let mut r = Rng(seed);
        let c = random_case(&mut r, false);
        let ushape = gather_shape(&c);
        let x = f64s(&r.values(c.oshape.iter().product()), &c.oshape);
        let u = f64s(&r.values(ushape.iter().product()), &ushape);
        for mode in [Mode::Clip, Mode::FillOrDrop] {
            let (idx, d, x) = (indices(&c.idx, &c.ishape, unsigned), mirror(&c.d), x.clone());
            check_grads(move |u: &Tensor| lax::scatter_add(&x, &idx, u, d.clone(), mode), &u, 2);
        }
    }

    /// FILL_OR_DROP gather with any indices, made NaN-free by scatter-adding it back with the
    /// same indices (the filled windows are exactly the dropped ones).
    #[test]
    fn prop_gather_fill_or_drop_round_trip_grads(seed in any::<u64>(), unsigned in any::<bool>()) {
        let mut r = Rng(seed);
        let c = random_case(&mut r, false);
        let x = f64s(&r.values(c.oshape.iter().product()), &c.oshape);
        let (idx, d, slice, shape) = (indices(&c.idx, &c.ishape, unsigned), c.d.clone(), c.slice.clone(), c.oshape.clone());
        check_grads(
            move |x: &Tensor| {
                let g = lax::gather(x, &idx, d.clone(), &slice, Mode::FillOrDrop);
                lax::scatter_add(&Tensor::zeros(&shape, DType::F64), &idx, &g, mirror(&d), Mode::FillOrDrop)
            },
            &x,
            2,
        );
    }

    /// Forward mode of a FILL_OR_DROP gather: the primal is NaN in the filled windows, the
    /// tangent is zero there (JAX's `fill_value=0`) and the gathered tangent elsewhere.
    #[test]
    fn prop_gather_fill_or_drop_jvp(seed in any::<u64>(), unsigned in any::<bool>()) {
        let mut r = Rng(seed);
        let c = random_case(&mut r, false);
        let n: usize = c.oshape.iter().product();
        let (x, t) = (f64s(&r.values(n), &c.oshape), f64s(&r.values(n), &c.oshape));
        let idx = indices(&c.idx, &c.ishape, unsigned);
        let run = |x: &Tensor| lax::gather(x, &idx, c.d.clone(), &c.slice, Mode::FillOrDrop);
        let (y, dy) = jvp(run, &x, &t);
        prop_assert_eq!(y.to_vec::<f64>().iter().map(|v| v.is_nan()).collect::<Vec<_>>(),
                        run(&x).to_vec::<f64>().iter().map(|v| v.is_nan()).collect::<Vec<_>>());
        let want: Vec<f64> = run(&t).to_vec::<f64>().iter().map(|&v| if v.is_nan() { 0.0 } else { v }).collect();
        prop_assert_eq!(dy.to_vec::<f64>(), want);
    }
}

// ------------------------------------------------------------------------------------------
// Known values
// ------------------------------------------------------------------------------------------

#[test]
fn grad_of_dynamic_slice_is_a_window_mask() {
    let x = f64s(&[0.0; 20], &[4, 5]);
    let f = |starts: Vec<Tensor>| move |x: &Tensor| lax::dynamic_slice(x, &starts, &[2, 3]).sum();
    let g = grad(f(vec![Tensor::scalar(1i32), Tensor::scalar(1i32)]))(&x);
    #[rustfmt::skip]
    let want = [
        0., 0., 0., 0., 0.,
        0., 1., 1., 1., 0.,
        0., 1., 1., 1., 0.,
        0., 0., 0., 0., 0.,
    ];
    assert_eq!(g.to_vec::<f64>(), want);
    // Out-of-bounds starts clamp to the last window that fits, in the gradient too.
    let g = grad(f(vec![Tensor::scalar(7i32), Tensor::scalar(-2i32)]))(&x);
    #[rustfmt::skip]
    let want = [
        0., 0., 0., 0., 0.,
        0., 0., 0., 0., 0.,
        1., 1., 1., 0., 0.,
        1., 1., 1., 0., 0.,
    ];
    assert_eq!(g.to_vec::<f64>(), want);
}

#[test]
fn vjp_of_dynamic_update_slice_splits_the_cotangent() {
    let x = f64s(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5]);
    let u = f64s(&[10.0, 20.0], &[2]);
    let start = Tensor::scalar(9i32); // clamps to 3
    let (y, pullback) = vjp(
        move |(x, u): &(Tensor, Tensor)| {
            lax::dynamic_update_slice(x, u, std::slice::from_ref(&start))
        },
        &(x, u),
    );
    assert_eq!(y.to_vec::<f64>(), vec![1.0, 2.0, 3.0, 10.0, 20.0]);
    let (gx, gu) = pullback(&f64s(&[0.1, 0.2, 0.3, 0.4, 0.5], &[5]));
    assert_eq!(gx.to_vec::<f64>(), vec![0.1, 0.2, 0.3, 0.0, 0.0]);
    assert_eq!(gu.to_vec::<f64>(), vec![0.4, 0.5]);
}

#[test]
fn jvp_of_dynamic_update_slice() {
    let x = f64s(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let u = f64s(&[9.0], &[1, 1]);
    let starts = [Tensor::scalar(0u32), Tensor::scalar(1u32)];
    let f = move |(x, u): &(Tensor, Tensor)| lax::dynamic_update_slice(x, u, &starts);
    let (y, dy) = jvp(
        f,
        &(x, u),
        &(f64s(&[0.1, 0.2, 0.3, 0.4], &[2, 2]), f64s(&[5.0], &[1, 1])),
    );
    assert_eq!(y.to_vec::<f64>(), vec![1.0, 9.0, 3.0, 4.0]);
    assert_eq!(dy.to_vec::<f64>(), vec![0.1, 5.0, 0.3, 0.4]);
}

/// The cotangent pulled back through `take` accumulates at duplicate indices.
#[test]
fn vjp_of_take_accumulates_duplicates() {
    let x = f64s(&[1.0, 2.0, 3.0, 4.0], &[4]);
    let idx = Tensor::from_vec(vec![2i32, 0, 2, 2, 3], &[5]);
    let (y, pullback) = vjp(move |x: &Tensor| x.take(&idx, 0), &x);
    assert_eq!(y.to_vec::<f64>(), vec![3.0, 1.0, 3.0, 3.0, 4.0]);
    let w = f64s(&[1.0, 10.0, 100.0, 1000.0, 10000.0], &[5]);
    assert_eq!(
        pullback(&w).to_vec::<f64>(),
        vec![10.0, 0.0, 1101.0, 10000.0]
    );
}

#[test]
fn grad_of_sum_of_take_counts_indices() {
    let x = f64s(&[1.0, 2.0, 3.0, 4.0], &[4]);
    let idx = Tensor::from_vec(vec![1i32, 1, 3, -1, 7], &[5]); // -1 wraps to 3; 7 clamps to 3
    let g = grad(move |x: &Tensor| x.take(&idx, 0).sum())(&x);
    assert_eq!(g.to_vec::<f64>(), vec![0.0, 2.0, 0.0, 3.0]);
}

/// grad of sum(take(x, idx) * w) accumulates w into x's gradient at duplicate indices (goes
/// through `mul`'s rules).
#[test]
fn grad_of_weighted_take_accumulates_weights() {
    let x = f64s(&[1.0, 2.0, 3.0, 4.0], &[4]);
    let idx = Tensor::from_vec(vec![2i32, 0, 2, 2, 3], &[5]);
    let w = f64s(&[1.0, 10.0, 100.0, 1000.0, 10000.0], &[5]);
    let g = grad(move |x: &Tensor| (x.take(&idx, 0) * &w).sum())(&x);
    assert_eq!(g.to_vec::<f64>(), vec![10.0, 0.0, 1101.0, 10000.0]);
}

/// Second derivatives through gather: the hessian of sum(take(x, idx)^3) is diagonal with
/// 6 x_i count_i (goes through `integer_pow`/`mul`'s rules).
#[test]
fn hessian_through_take() {
    let x = f64s(&[1.0, 2.0, 3.0], &[3]);
    let idx = Tensor::from_vec(vec![0i32, 2, 2], &[3]);
    let i2 = idx.clone();
    let h = hessian(move |x: &Tensor| lax::integer_pow(&x.take(&idx, 0), 3).sum())(&x);
    assert_eq!(h.shape(), &[3, 3]);
    assert_close(
        &h.to_vec::<f64>(),
        &[6.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 36.0],
        1e-12,
    );
    check_grads(
        move |x: &Tensor| lax::integer_pow(&x.take(&i2, 0), 3).sum(),
        &x,
        2,
    );
}

/// scatter-add's pullback: the operand gets the cotangent, each update the cotangent at its
/// (clamped) location; FILL_OR_DROP gives dropped updates a zero cotangent.
#[test]
fn vjp_of_scatter_add_with_duplicates() {
    let x = f64s(&[0.0; 4], &[4]);
    let idx = Tensor::from_vec(vec![1i32, 1, 3, 1, 9, -1], &[6, 1]);
    let u = f64s(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[6]);
    let ct = f64s(&[0.1, 0.2, 0.3, 0.4], &[4]);
    let i2 = idx.clone();
    let (y, pullback) = vjp(
        move |(x, u): &(Tensor, Tensor)| lax::scatter_add(x, &idx, u, scatter0(), Mode::FillOrDrop),
        &(x.clone(), u.clone()),
    );
    assert_eq!(y.to_vec::<f64>(), vec![0.0, 7.0, 0.0, 3.0]);
    let (gx, gu) = pullback(&ct);
    assert_eq!(gx.to_vec::<f64>(), ct.to_vec::<f64>());
    assert_eq!(gu.to_vec::<f64>(), vec![0.2, 0.2, 0.4, 0.2, 0.0, 0.0]);
    let (y, pullback) = vjp(
        move |(x, u): &(Tensor, Tensor)| lax::scatter_add(x, &i2, u, scatter0(), Mode::Clip),
        &(x, u),
    );
    assert_eq!(y.to_vec::<f64>(), vec![6.0, 7.0, 0.0, 8.0]);
    assert_eq!(
        pullback(&ct).1.to_vec::<f64>(),
        vec![0.2, 0.2, 0.4, 0.2, 0.4, 0.1]
    );
}

#[test]
fn jvp_of_scatter_add() {
    let x = f64s(&[1.0, 2.0, 3.0], &[3]);
    let u = f64s(&[1.0, 1.0], &[2]);
    let idx = Tensor::from_vec(vec![2i32, 2], &[2, 1]);
    let f = move |(x, u): &(Tensor, Tensor)| lax::scatter_add(x, &idx, u, scatter0(), Mode::Clip);
    let (y, dy) = jvp(
        f,
        &(x, u),
        &(f64s(&[0.5, 0.0, 0.0], &[3]), f64s(&[1.0, 2.0], &[2])),
    );
    assert_eq!(y.to_vec::<f64>(), vec![1.0, 2.0, 5.0]);
    assert_eq!(dy.to_vec::<f64>(), vec![0.5, 0.0, 3.0]);
}

/// Reverse mode of a FILL_OR_DROP gather: out-of-bounds windows contribute nothing.
#[test]
fn vjp_of_gather_fill_or_drop() {
    let x = f64s(&[1.0, 2.0, 3.0], &[3]);
    let idx = Tensor::from_vec(vec![0i32, 5, 2, -1, 2], &[5, 1]);
    let (y, pullback) = vjp(
        move |x: &Tensor| lax::gather(x, &idx, take0(), &[1], Mode::FillOrDrop),
        &x,
    );
    let y = y.to_vec::<f64>();
    assert_eq!((y[0], y[2], y[4]), (1.0, 3.0, 3.0));
    assert!(y[1].is_nan() && y[3].is_nan());
    let g = pullback(&f64s(&[1.0, 10.0, 100.0, 1000.0, 10000.0], &[5]));
    assert_eq!(g.to_vec::<f64>(), vec![1.0, 0.0, 10100.0]);
}

/// A 2-d gather of row windows, differentiated with jacfwd and jacrev: both give the same
/// 0/1 selection matrix.
#[test]
fn jacobians_of_gather_agree() {
    let x = f64s(&(0..12).map(|v| v as f64).collect::<Vec<_>>(), &[3, 4]);
    // Windows of shape [1, 2] starting at (row, col) pairs; (2, 3) clamps to (2, 2).
    let idx = Tensor::from_vec(vec![0i32, 1, 2, 3, 0, 1], &[3, 2]);
    let f = move |x: &Tensor| {
        lax::gather(
            x,
            &idx,
            gdn(&[1], &[0], &[0, 1], &[], &[]),
            &[1, 2],
            Mode::Clip,
        )
    };
    let f2 = f.clone();
    assert_eq!(f(&x).to_vec::<f64>(), vec![1.0, 2.0, 10.0, 11.0, 1.0, 2.0]);
    let jf = jacfwd(f)(&x);
    let jr = jacrev(f2)(&x);
    assert_eq!(jf.shape(), &[3, 2, 3, 4]);
    assert_eq!(jf.to_vec::<f64>(), jr.to_vec::<f64>());
    let j = jf.to_vec::<f64>();
    let mut want = vec![0.0; 72];
    for (o, &src) in [1usize, 2, 10, 11, 1, 2].iter().enumerate() {
        want[o * 12 + src] = 1.0;
    }
    assert_eq!(j, want);
}

/// The gradient of a gather is a scatter-add into zeros, with the mirrored dimension numbers
/// and the gather's mode (as JAX prints it).
#[test]
fn make_jaxpr_of_grad_of_gather_prints_scatter_add() {
    let x = f64s(&[1.0, 2.0, 3.0], &[3]);
    let idx = Tensor::from_vec(vec![2i32, 0], &[2, 1]);
    let text = make_jaxpr(grad(move |x: &Tensor| {
        lax::gather(x, &idx, take0(), &[1], Mode::Clip).sum()
    }))(&x)
    .to_string();
    assert!(text.contains("scatter-add["), "{text}");
    assert!(
        text.contains(
            "dimension_numbers=ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,), \
             scatter_dims_to_operand_dims=(0,), operand_batching_dims=(), scatter_indices_batching_dims=())"
        ),
        "{text}"
    );
    assert!(text.contains("mode=GatherScatterMode.CLIP"), "{text}");
}

/// The gradient of a scatter-add with respect to its updates is a gather of the cotangent.
#[test]
fn make_jaxpr_of_grad_of_scatter_add_prints_gather() {
    let u = f64s(&[1.0, 2.0], &[2]);
    let idx = Tensor::from_vec(vec![2i32, 0], &[2, 1]);
    let text = make_jaxpr(grad(move |u: &Tensor| {
        lax::scatter_add(
            &Tensor::zeros(&[3], DType::F64),
            &idx,
            u,
            scatter0(),
            Mode::Clip,
        )
        .sum()
    }))(&u)
    .to_string();
    assert!(text.contains("gather["), "{text}");
    assert!(text.contains("slice_sizes=(1,)"), "{text}");
}

/// grad of grad through index ops only: the pullback of the pullback of a gather is the
/// gather again (checked against the first-order gradient).
#[test]
fn vjp_of_vjp_of_gather() {
    let x = f64s(&[1.0, 2.0, 3.0, 4.0], &[4]);
    let idx = Tensor::from_vec(vec![3i32, 3, 0], &[3, 1]);
    let i2 = idx.clone();
    // g(c) = Jᵀ c is linear in c; its own pullback maps a cotangent on x back to J·(that).
    let pull = move |c: &Tensor| {
        let i = i2.clone();
        let (_, pb) = vjp(
            move |x: &Tensor| lax::gather(x, &i, take0(), &[1], Mode::Clip),
            &f64s(&[0.0; 4], &[4]),
        );
        pb(c)
    };
    let c = f64s(&[1.0, 2.0, 3.0], &[3]);
    let (gc, pb2) = vjp(pull, &c);
    assert_eq!(gc.to_vec::<f64>(), vec![3.0, 0.0, 0.0, 3.0]);
    assert_eq!(pb2(&x).to_vec::<f64>(), vec![4.0, 4.0, 1.0]);
    let _ = idx;
}

// ------------------------------------------------------------------------------------------
// The transpose rules called directly (as `linear_transpose` would), where the jvp rules
// never put the primitive (out-of-bounds FILL_OR_DROP / PROMISE_IN_BOUNDS gathers)
// ------------------------------------------------------------------------------------------

use ferrax::core::Aval;
use ferrax::internals::prims::{IndexOp, LinearArg, Prim};

fn transpose_gather(mode: Mode, ct: &Tensor, idx: &Tensor, n: usize) -> Tensor {
    let prim = Prim::new(IndexOp::Gather {
        dimension_numbers: take0(),
        slice_sizes: sh(&[1]),
        mode,
    });
    let args = [
        LinearArg::Linear(Aval::new(&[n], DType::F64)),
        LinearArg::Known(idx.clone()),
    ];
    let cts = prim.transpose(&[Some(ct.clone())], &args);
    assert_eq!(cts.len(), 2);
    assert!(cts[1].is_none(), "indices get no cotangent");
    cts[0].clone().expect("operand cotangent")
}

/// gather transposes to a scatter-add with the same mode, as `_gather_transpose_rule`:
/// CLIP clamps, FILL_OR_DROP drops, and PROMISE_IN_BOUNDS drops too (XLA's scatter), so its
/// gradient is only right for in-bounds indices (as JAX documents).
#[test]
fn gather_transpose_keeps_the_mode() {
    let idx = Tensor::from_vec(vec![0i32, 5, 2, -1], &[4, 1]);
    let ct = f64s(&[1.0, 10.0, 100.0, 1000.0], &[4]);
    assert_eq!(
        transpose_gather(Mode::Clip, &ct, &idx, 3).to_vec::<f64>(),
        vec![1001.0, 0.0, 110.0]
    );
    assert_eq!(
        transpose_gather(Mode::FillOrDrop, &ct, &idx, 3).to_vec::<f64>(),
        vec![1.0, 0.0, 100.0]
    );
    assert_eq!(
        transpose_gather(Mode::PromiseInBounds, &ct, &idx, 3).to_vec::<f64>(),
        vec![1.0, 0.0, 100.0]
    );
    // A zero cotangent stays symbolic.
    let prim = Prim::new(IndexOp::Gather {
        dimension_numbers: take0(),
        slice_sizes: sh(&[1]),
        mode: Mode::Clip,
    });
    let args = [
        LinearArg::Linear(Aval::new(&[3], DType::F64)),
        LinearArg::Known(idx),
    ];
    assert!(prim.transpose(&[None], &args).iter().all(Option::is_none));
}

/// scatter-add transposes to a gather of the cotangent with the same mode and fill value 0:
/// PROMISE_IN_BOUNDS gathers clamp (XLA's gather) where the scatter dropped.
#[test]
fn scatter_add_transpose_keeps_the_mode() {
    let idx = Tensor::from_vec(vec![0i32, 5, 2, -1], &[4, 1]);
    let ct = f64s(&[1.0, 10.0, 100.0], &[3]);
    let run = |mode: Mode, operand_linear: bool| {
        let prim = Prim::new(IndexOp::Scatter {
            kind: lax::ScatterKind::Add,
            dimension_numbers: scatter0(),
            mode,
            hints: Default::default(),
            dtype: DType::F64,
        });
        let operand = if operand_linear {
            LinearArg::Linear(Aval::new(&[3], DType::F64))
        } else {
            LinearArg::Known(Tensor::zeros(&[3], DType::F64))
        };
        let args = [
            operand,
            LinearArg::Known(idx.clone()),
            LinearArg::Linear(Aval::new(&[4], DType::F64)),
        ];
        let cts = prim.transpose(&[Some(ct.clone())], &args);
        assert!(cts[1].is_none(), "indices get no cotangent");
        assert_eq!(cts[0].is_some(), operand_linear);
        if let Some(c) = &cts[0] {
            assert_eq!(c.to_vec::<f64>(), ct.to_vec::<f64>());
        }
        cts[2].clone().expect("updates cotangent").to_vec::<f64>()
    };
    assert_eq!(run(Mode::Clip, true), vec![1.0, 100.0, 100.0, 1.0]);
    assert_eq!(run(Mode::FillOrDrop, false), vec![1.0, 0.0, 100.0, 0.0]);
    assert_eq!(
        run(Mode::PromiseInBounds, true),
        vec![1.0, 100.0, 100.0, 1.0]
    );
}
