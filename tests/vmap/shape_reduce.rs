//! Batching rules of the shape, reduction, cumulative and sort primitives: for each one,
//! property tests that `vmap_with(f, in_axes)(xs)` equals stacking `f(x_i)` over a loop, with
//! the batch dim at different positions (in_axes 0, 1, -1), some arguments unbatched, random
//! shapes with size-1 dims, f64 and i32; nested vmap; vmap of grad; and jaxprs showing that
//! the rules move no batch dims they need not move.

use ferrax::prelude::*;
use ferrax::transforms::{vmap, vmap_with, AxisSpec, VmapSpec};
use ferrax::{lax, numpy as jnp};
use proptest::prelude::*;

// ---- Helpers --------------------------------------------------------------------------------

/// Deterministic values with ties (for argmax/sort stability) and negatives.
fn make(shape: &[usize], seed: u32, dtype: DType) -> Tensor {
    let n: usize = shape.iter().product();
    let m = 3 + seed % 11;
    let k = |i: usize| {
        ((i as u32)
            .wrapping_mul(7)
            .wrapping_add(seed.wrapping_mul(3))
            % m) as i32
            - 2
    };
    match dtype {
        DType::F64 => Tensor::from_vec((0..n).map(|i| k(i) as f64 * 0.25).collect(), shape),
        DType::I32 => Tensor::from_vec((0..n).map(k).collect(), shape),
        _ => unreachable!(),
    }
}

fn dtype(int: bool) -> DType {
    if int {
        DType::I32
    } else {
        DType::F64
    }
}

/// `in_axes` 0, 1 or -1 (by `pos`) for an operand of logical rank `rank`: the value to pass
/// and where the batch dim sits in the batched operand.
fn axis_choice(pos: usize, rank: usize) -> (isize, usize) {
    match pos % 3 {
        0 => (0, 0),
        1 if rank >= 1 => (1, 1),
        1 => (0, 0),
        _ => (-1, rank),
    }
}

/// A batched operand: logical `shape` with a batch dim of size `b` at `in_axes` choice `pos`.
fn batched(shape: &[usize], b: usize, pos: usize, seed: u32, dt: DType) -> (isize, Tensor) {
    let (ax, at) = axis_choice(pos, shape.len());
    let mut s = shape.to_vec();
    s.insert(at, b);
    (ax, make(&s, seed, dt))
}

/// The values of `x` as f64 (exact for the integer and bool dtypes used here).
fn as_f64(x: &Tensor) -> Vec<f64> {
    lax::convert_element_type(x, DType::F64).to_vec::<f64>()
}

fn assert_same(got: &Tensor, want: &Tensor, what: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.shape(), want.shape(), "{}: shapes", what);
    prop_assert_eq!(got.dtype(), want.dtype(), "{}: dtypes", what);
    let (g, w) = (as_f64(got), as_f64(want));
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        let ok = if got.dtype().is_float() {
            (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-12 * (1.0 + b.abs())
        } else {
            a == b
        };
        prop_assert!(
            ok,
            "{}: element {} differs: got {:?}, want {:?}",
            what,
            i,
            g,
            w
        );
    }
    Ok(())
}

/// `vmap_with(f, in_axes=axes)(args)` against `f` on each batch member, stacked on axis 0.
fn check(
    f: impl Fn(&[Tensor]) -> Vec<Tensor>,
    args: &[Tensor],
    axes: &[Option<isize>],
) -> Result<(), TestCaseError> {
    let spec = AxisSpec::Tree(axes.iter().map(|&a| a.into()).collect());
    let got = vmap_with(|a: &Vec<Tensor>| f(a), VmapSpec::new().in_axes(spec))(&args.to_vec());
    let n = args
        .iter()
        .zip(axes)
        .find_map(|(a, ax)| ax.map(|ax| a.shape()[jnp::normalize_axis(ax, a.ndim())]))
        .expect("some argument is mapped");
    let per_example: Vec<Vec<Tensor>> = (0..n as isize)
        .map(|i| {
            let xs: Vec<Tensor> = args
                .iter()
                .zip(axes)
                .map(|(a, ax)| match ax {
                    Some(ax) => a.index_axis(*ax, i),
                    None => a.clone(),
                })
                .collect();
            f(&xs)
        })
        .collect();
    prop_assert_eq!(got.len(), per_example[0].len());
    for (k, g) in got.iter().enumerate() {
        let outs: Vec<Tensor> = per_example.iter().map(|o| o[k].clone()).collect();
        assert_same(g, &jnp::stack(&outs, 0), &format!("output {k}"))?;
    }
    Ok(())
}

/// [`check`] for a one-argument, one-output `f`.
fn check1(f: impl Fn(&Tensor) -> Tensor, x: &Tensor, ax: isize) -> Result<(), TestCaseError> {
    check(|a| vec![f(&a[0])], std::slice::from_ref(x), &[Some(ax)])
}

/// `vmap(vmap(f))` with in_axes `outer` then `inner` against a double loop.
fn check_nested(
    f: impl Fn(&Tensor) -> Tensor + Copy,
    xs: &Tensor,
    outer: isize,
    inner: isize,
) -> Result<(), TestCaseError> {
    let vv = vmap_with(
        vmap_with(f, VmapSpec::new().in_axes(inner)),
        VmapSpec::new().in_axes(outer),
    );
    let got = vv(xs);
    let n = xs.shape()[jnp::normalize_axis(outer, xs.ndim())];
    let outs: Vec<Tensor> = (0..n as isize)
        .map(|i| {
            let x = xs.index_axis(outer, i);
            let m = x.shape()[jnp::normalize_axis(inner, x.ndim())];
            let row: Vec<Tensor> = (0..m as isize)
                .map(|j| f(&x.index_axis(inner, j)))
                .collect();
            jnp::stack(&row, 0)
        })
        .collect();
    assert_same(&got, &jnp::stack(&outs, 0), "vmap(vmap(f))")
}

fn shape_st(rank: std::ops::Range<usize>) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..4, rank)
}

/// A logical shape of rank 1..4 and a permutation of its dims.
fn shape_and_perm() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    shape_st(1..4).prop_flat_map(|s| {
        let r = s.len();
        (Just(s), Just((0..r).collect::<Vec<usize>>()).prop_shuffle())
    })
}

/// A padding config for `shape` from `bits`: low/high in -1..=2, interior in 0..=2, sizes
/// kept non-negative.
fn pad_config(shape: &[usize], mut bits: u32) -> Vec<(i64, i64, i64)> {
    shape
        .iter()
        .map(|&n| {
            let lo = (bits % 4) as i64 - 1;
            let hi = ((bits >> 2) % 4) as i64 - 1;
            let interior = ((bits >> 4) % 3) as i64;
            bits = bits.rotate_right(6) ^ 0x9e37_79b9;
            let n = n as i64;
            if lo + hi + n + (n - 1) * interior < 0 {
                (0, 0, interior)
            } else {
                (lo, hi, interior)
            }
        })
        .collect()
}

/// A function of one tensor, for tables of ops.
type UnaryFn = fn(&Tensor) -> Tensor;

fn names(j: &ClosedJaxpr) -> Vec<String> {
    j.jaxpr.eqns.iter().map(|e| e.prim.to_string()).collect()
}

// ---- Shape primitives -----------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn broadcast_in_dim_matches_a_loop(
        shape in shape_st(0..4), b in 1usize..4, pos in 0usize..3, bits in any::<u32>(),
        int in any::<bool>(), seed in 0u32..100,
    ) {
        // New dims before operand dims (and at the end); size-1 operand dims sometimes stretch.
        let (mut out, mut bd, mut k) = (Vec::new(), Vec::new(), bits);
        for &s in &shape {
            if k & 1 == 1 {
                out.push(2 + ((k >> 1) & 1) as usize);
            }
            k >>= 2;
            bd.push(out.len());
            out.push(if s == 1 && k & 1 == 1 { 3 } else { s });
            k >>= 1;
        }
        if k & 1 == 1 {
            out.push(2);
        }
        let (ax, x) = batched(&shape, b, pos, seed, dtype(int));
        check1(|x| lax::broadcast_in_dim(x, &out, &bd), &x, ax)?;
    }

    #[test]
    fn reshape_matches_a_loop(
        shape in shape_st(0..4), b in 1usize..4, pos in 0usize..3, mode in 0usize..4,
        int in any::<bool>(), seed in 0u32..100,
    ) {
        let total: usize = shape.iter().product();
        let new: Vec<usize> = match mode {
            0 => vec![total],
            1 => shape.iter().rev().copied().collect(),
            2 => {
                let mut s = vec![1];
                s.extend_from_slice(&shape);
                s.push(1);
                s
            }
            _ if shape.len() >= 2 => {
                let mut s = vec![shape[0] * shape[1]];
                s.extend_from_slice(&shape[2..]);
                s
            }
            _ => vec![1, total],
        };
        let (ax, x) = batched(&shape, b, pos, seed, dtype(int));
        check1(|x| lax::reshape(x, &new), &x, ax)?;
    }

    #[test]
    fn transpose_matches_a_loop(
        (shape, perm) in shape_and_perm(), b in 1usize..4, pos in 0usize..3,
        int in any::<bool>(), seed in 0u32..100,
    ) {
        let (ax, x) = batched(&shape, b, pos, seed, dtype(int));
        check1(|x| lax::transpose(x, &perm), &x, ax)?;
    }

    #[test]
    fn squeeze_matches_a_loop(
        shape in prop::collection::vec(1usize..3, 1..5), b in 1usize..4, pos in 0usize..3,
        bits in any::<u32>(), int in any::<bool>(), seed in 0u32..100,
    ) {
        let dims: Vec<usize> = (0..shape.len())
            .filter(|&d| shape[d] == 1 && (bits >> d) & 1 == 1)
            .collect();
        let (ax, x) = batched(&shape, b, pos, seed, dtype(int));
        check1(|x| lax::squeeze(x, &dims), &x, ax)?;
    }

    #[test]
    fn rev_matches_a_loop(
        shape in shape_st(1..4), b in 1usize..4, pos in 0usize..3, bits in any::<u32>(),
        int in any::<bool>(), seed in 0u32..100,
    ) {
        let dims: Vec<usize> = (0..shape.len()).filter(|&d| (bits >> d) & 1 == 1).collect();
        let (ax, x) = batched(&shape, b, pos, seed, dtype(int));
        check1(|x| lax::rev(x, &dims), &x, ax)?;
    }

    #[test]
    fn slice_matches_a_loop(
        shape in shape_st(1..4), b in 1usize..4, pos in 0usize..3, bits in any::<u32>(),
        strided in any::<bool>(), int in any::<bool>(), seed in 0u32..100,
    ) {
        let (mut start, mut limit, mut steps, mut k) = (vec![], vec![], vec![], bits);
        for &n in &shape {
            let s = (k as usize) % n;
            let l = s + ((k >> 2) as usize) % (n - s + 1);
            start.push(s);
            limit.push(l);
            steps.push(1 + ((k >> 4) % 3) as usize);
            k = k.rotate_right(6);
        }
        let (ax, x) = batched(&shape, b, pos, seed, dtype(int));
        let strides = strided.then_some(steps);
        check1(|x| lax::slice(x, &start, &limit, strides.as_deref()), &x, ax)?;
    }

    /// Pad with a batched operand, a batched padding value (JAX's select-with-a-mask rule),
    /// or both.
    #[test]
    fn pad_matches_a_loop(
        shape in shape_st(0..4), b in 1usize..4, pos in 0usize..3, bits in any::<u32>(),
        case in 0usize..3, int in any::<bool>(), seed in 0u32..100,
    ) {
        let dt = dtype(int);
        let config = pad_config(&shape, bits);
        let f = |a: &[Tensor]| vec![lax::pad(&a[0], &a[1], &config)];
        let (ax, xb) = batched(&shape, b, pos, seed, dt);
        let x = make(&shape, seed, dt);
        let values = lax::add(&make(&[b], seed + 5, dt), &Tensor::full(&[], 10, dt));
        let value = Tensor::full(&[], -7, dt);
        match case {
            0 => check(f, &[xb, value], &[Some(ax), None])?,
            1 => check(f, &[x, values], &[None, Some(0)])?,
            _ => check(f, &[xb, values], &[Some(ax), Some(-1)])?,
        }
    }

    /// Concatenate 2 or 3 operands, each batched (at its own position) or not.
    #[test]
    fn concatenate_matches_a_loop(
        shape in shape_st(1..4), b in 1usize..4, bits in any::<u32>(), three in any::<bool>(),
        int in any::<bool>(), seed in 0u32..100,
    ) {
        let dt = dtype(int);
        let dim = (bits as usize) % shape.len();
        let n = if three { 3 } else { 2 };
        let (mut args, mut axes) = (vec![], vec![]);
        for i in 0..n {
            let mut s = shape.clone();
            s[dim] = 1 + (bits as usize >> (4 + 2 * i)) % 3;
            let is_batched = i == 0 || (bits >> (12 + i)) & 1 == 1;
            if is_batched {
                let (ax, x) = batched(&s, b, (bits as usize >> (16 + 2 * i)) % 3, seed + i as u32, dt);
                args.push(x);
                axes.push(Some(ax));
            } else {
                args.push(make(&s, seed + i as u32, dt));
                axes.push(None);
            }
        }
        // Put the batched operand second sometimes, so an unbatched one comes first.
        if bits >> 30 & 1 == 1 {
            args.swap(0, 1);
            axes.swap(0, 1);
        }
        check(|a| vec![lax::concatenate(a, dim)], &args, &axes)?;
    }
}

// ---- Reductions, cumulative reductions, sort -----------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn reductions_match_a_loop(
        shape in shape_st(1..4), b in 1usize..4, pos in 0usize..3, op in 0usize..6,
        bits in any::<u32>(), int in any::<bool>(), seed in 0u32..100,
    ) {
        let axes: Vec<usize> = (0..shape.len()).filter(|&d| (bits >> d) & 1 == 1).collect();
        let one = (bits as usize >> 8) % shape.len();
        let f = |x: &Tensor| match op {
            0 => lax::reduce_sum(x, &axes),
            1 => lax::reduce_max(x, &axes),
            2 => lax::reduce_min(x, &axes),
            3 => lax::reduce_prod(x, &axes),
            4 => lax::argmax(x, one, DType::I32),
            _ => lax::argmin(x, one, DType::I32),
        };
        let (ax, x) = batched(&shape, b, pos, seed, dtype(int));
        check1(f, &x, ax)?;
    }

    #[test]
    fn cumulative_reductions_match_a_loop(
        shape in shape_st(1..4), b in 1usize..4, pos in 0usize..3, op in 0usize..4,
        axis in 0usize..3, reverse in any::<bool>(), int in any::<bool>(), seed in 0u32..100,
    ) {
        let axis = axis % shape.len();
        let f = |x: &Tensor| match op {
            0 => lax::cumsum(x, axis, reverse),
            1 => lax::cumprod(x, axis, reverse),
            2 => lax::cummax(x, axis, reverse),
            _ => lax::cummin(x, axis, reverse),
        };
        let (ax, x) = batched(&shape, b, pos, seed, dtype(int));
        check1(f, &x, ax)?;
    }

    #[test]
    fn sort_one_operand_matches_a_loop(
        shape in shape_st(1..4), b in 1usize..4, pos in 0usize..3, dim in 0usize..3,
        int in any::<bool>(), seed in 0u32..100,
    ) {
        let dim = dim % shape.len();
        let (ax, x) = batched(&shape, b, pos, seed, dtype(int));
        check1(|x| lax::sort(std::slice::from_ref(x), dim, true, 1).remove(0), &x, ax)?;
    }

    /// Sort keys and values (f64 and i32 mixed), each batched at its own position or
    /// unbatched, with one or two keys.
    #[test]
    fn sort_several_operands_matches_a_loop(
        shape in shape_st(1..4), b in 1usize..4, dim in 0usize..3, bits in any::<u32>(),
        num_keys in 1usize..3, seed in 0u32..100,
    ) {
        let dim = dim % shape.len();
        let (mut args, mut axes) = (vec![], vec![]);
        for i in 0..3 {
            let dt = dtype(i == 1);
            let is_batched = (bits >> i) & 1 == 1 || (bits & 7 == 0 && i == 2);
            if is_batched {
                let (ax, x) = batched(&shape, b, (bits as usize >> (4 + 2 * i)) % 3, seed + i as u32, dt);
                args.push(x);
                axes.push(Some(ax));
            } else {
                args.push(make(&shape, seed + i as u32, dt));
                axes.push(None);
            }
        }
        check(|a| lax::sort(a, dim, true, num_keys), &args, &axes)?;
    }
}

// ---- Nesting and composition with grad ------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// `vmap(vmap(f))` with both batch dims at different positions, for every family.
    #[test]
    fn nested_vmap_matches_a_double_loop(
        shape in shape_st(1..3), b1 in 1usize..4, b2 in 1usize..4, op in 0usize..12,
        outer in 0usize..3, inner in 0usize..3, seed in 0u32..100,
    ) {
        let r = shape.len();
        // The inner batch dim in the logical-plus-inner operand, then the outer one.
        let (ia, iat) = axis_choice(inner, r);
        let mut s = shape.clone();
        s.insert(iat, b2);
        let (oa, oat) = axis_choice(outer, r + 1);
        s.insert(oat, b1);
        let xs = make(&s, seed, DType::F64);
        let last = r - 1;
        let f = move |x: &Tensor| -> Tensor {
            match op {
                0 => lax::reduce_sum(x, &[last]),
                1 => lax::argmax(x, 0, DType::I32),
                2 => lax::transpose(x, &(0..x.ndim()).rev().collect::<Vec<_>>()),
                3 => lax::pad(x, &Tensor::scalar(1.5f64), &vec![(1, -1, 1); x.ndim()]),
                4 => lax::concatenate(&[x.clone(), lax::rev(x, &[0])], last),
                5 => lax::cumsum(x, last, true),
                6 => lax::sort(std::slice::from_ref(x), 0, true, 1).remove(0),
                7 => {
                    let mut out = vec![2];
                    out.extend_from_slice(x.shape());
                    lax::broadcast_in_dim(x, &out, &(1..=x.ndim()).collect::<Vec<_>>())
                }
                8 => lax::reshape(x, &[x.shape().iter().product()]),
                9 => lax::slice(x, &vec![0; x.ndim()], x.shape(), Some(&vec![2; x.ndim()])),
                10 => lax::expand_dims(&lax::reduce_max(x, &[0]), &[0]),
                _ => lax::squeeze(&lax::expand_dims(x, &[0, x.ndim() + 1]), &[0]),
            }
        };
        check_nested(f, &xs, oa, ia)?;
    }

    /// Per-example gradients: `vmap(grad(f))` equals a loop of `grad(f)`, through the rules
    /// for the ops the transposes emit (broadcast_in_dim for reduce_sum, pad for slice,
    /// slice for concatenate and pad, reversed cumsum, ...).
    #[test]
    fn vmap_of_grad_matches_a_loop_of_grad(
        shape in shape_st(1..3), b in 1usize..4, pos in 0usize..3, op in 0usize..10,
        seed in 0u32..100,
    ) {
        let (ax, xs) = batched(&shape, b, pos, seed, DType::F64);
        let last = shape.len() - 1;
        let f = move |x: &Tensor| -> Tensor {
            let y = match op {
                0 => {
                    let mut out = vec![2];
                    out.extend_from_slice(x.shape());
                    lax::broadcast_in_dim(x, &out, &(1..=x.ndim()).collect::<Vec<_>>()).sin()
                }
                1 => lax::reshape(&x.sin(), &[x.shape().iter().product()]) * 2.0,
                2 => lax::transpose(&x.exp(), &(0..x.ndim()).rev().collect::<Vec<_>>()),
                3 => lax::pad(&x.sin(), &Tensor::scalar(0.5f64), &vec![(1, -1, 1); x.ndim()]).exp(),
                4 => lax::concatenate(&[x.sin(), x * x], last),
                5 => lax::slice(&x.exp(), &vec![0; x.ndim()], x.shape(), Some(&vec![2; x.ndim()])),
                6 => lax::cumsum(x, last, false).sin(),
                7 => lax::reduce_max(&(x * x), &[last]),
                8 => lax::reduce_prod(&(x + 1.0), &[last]),
                _ => lax::cumprod(&x.sin(), last, true),
            };
            y.sum()
        };
        let per_example = vmap_with(grad(f), VmapSpec::new().in_axes(ax));
        let n = xs.shape()[jnp::normalize_axis(ax, xs.ndim())];
        let outs: Vec<Tensor> = (0..n as isize).map(|i| grad(f)(&xs.index_axis(ax, i))).collect();
        assert_same(&per_example(&xs), &jnp::stack(&outs, 0), "vmap(grad(f))")?;
    }
}

/// Sort's JVP gathers the tangent with the sorting permutation, so this also needs the
/// batching rule of `gather` (src/prims/index.rs).
#[test]
fn vmap_of_grad_through_sort() {
    let xs = Tensor::from_vec(vec![3.0f64, 1.0, 2.0, -1.0, 5.0, 0.5], &[2, 3]);
    let w = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]);
    let f = move |x: &Tensor| (lax::sort(std::slice::from_ref(x), 0, true, 1).remove(0) * &w).sum();
    let got = vmap(grad(f))(&xs);
    // The gradient puts weight k on the element that sorts to place k.
    assert_eq!(got.to_vec::<f64>(), vec![3.0, 1.0, 2.0, 1.0, 3.0, 2.0]);
}

// ---- Jaxprs: no transposes the rules do not need ------------------------------------------

#[test]
fn vmap_of_sum_is_one_reduce_sum_over_the_shifted_axis() {
    // jax.make_jaxpr(jax.vmap(lambda x: x.sum()))(jnp.zeros((4, 3))) is one
    // reduce_sum[axes=(1,)].
    let j = make_jaxpr(vmap(|x: &Tensor| x.sum()))(&Tensor::zeros(&[4, 3], DType::F32));
    assert_eq!(names(&j), vec!["reduce_sum"]);
    assert!(j.to_string().contains("reduce_sum[axes=(1,)] a"), "{j}");
    // Batched on axis 1: the sum is over axis 0 and the result needs no transpose.
    let j = make_jaxpr(vmap_with(|x: &Tensor| x.sum(), VmapSpec::new().in_axes(1)))(
        &Tensor::zeros(&[3, 4], DType::F32),
    );
    assert_eq!(names(&j), vec!["reduce_sum"]);
    assert!(j.to_string().contains("reduce_sum[axes=(0,)] a"), "{j}");
}

#[test]
fn shape_rules_leave_the_batch_dim_in_place() {
    let x = Tensor::zeros(&[2, 5, 3], DType::F32);
    let at1 = |spec: VmapSpec| spec.in_axes(1).out_axes(1);
    // transpose: one transpose, the batch dim staying at 1.
    let j = make_jaxpr(vmap_with(
        |x: &Tensor| lax::transpose(x, &[1, 0]),
        at1(VmapSpec::new()),
    ))(&x);
    assert_eq!(names(&j), vec!["transpose"]);
    assert!(j.to_string().contains("permutation=(2, 1, 0)"), "{j}");
    // broadcast_in_dim: the batch dim lands between the operand's neighbours, no transpose.
    let j = make_jaxpr(vmap_with(
        |x: &Tensor| lax::broadcast_in_dim(x, &[2, 4, 3], &[0, 2]),
        at1(VmapSpec::new()),
    ))(&x);
    assert_eq!(names(&j), vec!["broadcast_in_dim"]);
    assert!(
        j.to_string()
            .contains("f32[2,5,4,3] = broadcast_in_dim[broadcast_dimensions=(0, 1, 3)]"),
        "{j}"
    );
    // rev, slice, squeeze, cumsum, reduce_max, argmax: one equation each.
    let ops: [(&str, UnaryFn); 6] = [
        ("rev", |x| lax::rev(x, &[0, 1])),
        ("slice", |x| lax::slice(x, &[1, 0], &[2, 3], Some(&[1, 2]))),
        ("cumsum", |x| lax::cumsum(x, 1, false)),
        ("reduce_max", |x| lax::reduce_max(x, &[1])),
        ("argmax", |x| lax::argmax(x, 0, DType::I32)),
        ("sort", |x| {
            lax::sort(std::slice::from_ref(x), 1, true, 1).remove(0)
        }),
    ];
    for (name, f) in ops {
        let spec = VmapSpec::new().in_axes(1);
        // argmax over logical axis 0 (axis 0 of the batched operand) leaves the batch at 0.
        let spec = spec.out_axes(if name == "argmax" { 0 } else { 1 });
        let j = make_jaxpr(vmap_with(f, spec))(&x);
        assert_eq!(names(&j), vec![name], "{j}");
    }
    let j = make_jaxpr(vmap_with(
        |x: &Tensor| lax::squeeze(x, &[0]),
        // The squeezed dim was before the batch dim, which moves from 1 to 0 with it.
        VmapSpec::new().in_axes(1).out_axes(0),
    ))(&Tensor::zeros(&[1, 5, 3], DType::F32));
    assert_eq!(names(&j), vec!["squeeze"], "{j}");
    assert!(j.to_string().contains("squeeze[dimensions=(0,)]"), "{j}");
    // concatenate of operands batched at the same position: no transposes.
    let j = make_jaxpr(vmap_with(
        |(a, b): &(Tensor, Tensor)| lax::concatenate(&[a.clone(), b.clone()], 1),
        VmapSpec::new().in_axes(1).out_axes(1),
    ))(&(x.clone(), x.clone()));
    assert_eq!(names(&j), vec!["concatenate"]);
    assert!(j.to_string().contains("concatenate[dimension=2]"), "{j}");
    // An unbatched operand is broadcast at the batched one's position.
    let j = make_jaxpr(vmap_with(
        |(a, b): &(Tensor, Tensor)| lax::concatenate(&[a.clone(), b.clone()], 0),
        VmapSpec::new()
            .in_axes((1, AxisSpec::NotMapped))
            .out_axes(1),
    ))(&(x.clone(), Tensor::zeros(&[4, 3], DType::F32)));
    assert_eq!(names(&j), vec!["broadcast_in_dim", "concatenate"]);
    // reshape moves the batch dim to the front, then reshapes with it prepended.
    let j = make_jaxpr(vmap_with(
        |x: &Tensor| lax::reshape(x, &[6]),
        VmapSpec::new().in_axes(1),
    ))(&x);
    assert_eq!(names(&j), vec!["transpose", "reshape"]);
    assert!(j.to_string().contains("new_sizes=(5, 6)"), "{j}");
}

#[test]
fn pad_with_a_batched_value_selects_with_a_mask_whatever_the_batch_size() {
    let count = |b: usize| {
        let j = make_jaxpr(vmap_with(
            |(x, v): &(Tensor, Tensor)| lax::pad(x, v, &[(1, 2, 1)]),
            VmapSpec::new().in_axes((0, 0)),
        ))(&(
            Tensor::zeros(&[b, 3], DType::F32),
            Tensor::zeros(&[b], DType::F32),
        ));
        let n = names(&j);
        assert!(n.contains(&"select_n".to_string()), "{j}");
        assert!(!n.contains(&"concatenate".to_string()), "{j}");
        n.len()
    };
    assert_eq!(count(2), count(7));
    // Values: the padding is each member's own value.
    let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]);
    let v = Tensor::from_vec(vec![-1.0f64, -2.0], &[2]);
    let y = vmap(|(x, v): &(Tensor, Tensor)| lax::pad(x, v, &[(1, 0, 1)]))(&(x, v));
    assert_eq!(
        y.to_vec::<f64>(),
        vec![-1.0, 1.0, -1.0, 2.0, -2.0, 3.0, -2.0, 4.0]
    );
}

#[test]
fn unbatched_operands_stay_unbatched() {
    // The reduction of the unmapped argument is not batched: it reduces a [4, 3] array.
    let j = make_jaxpr(vmap_with(
        |(x, c): &(Tensor, Tensor)| x + lax::reduce_sum(&lax::transpose(c, &[1, 0]), &[1]),
        VmapSpec::new().in_axes((0, AxisSpec::NotMapped)),
    ))(&(
        Tensor::zeros(&[5, 3], DType::F32),
        Tensor::zeros(&[4, 3], DType::F32),
    ));
    let text = j.to_string();
    assert!(text.contains("f32[3,4] = transpose"), "{text}");
    assert!(text.contains("f32[3] = reduce_sum[axes=(1,)]"), "{text}");
    // Sort broadcasts an unbatched operand once, at the batched one's position.
    let j = make_jaxpr(vmap_with(
        |(k, v): &(Tensor, Tensor)| lax::sort(&[k.clone(), v.clone()], 0, true, 1),
        VmapSpec::new()
            .in_axes((-1, AxisSpec::NotMapped))
            .out_axes(-1),
    ))(&(
        Tensor::zeros(&[3, 5], DType::F32),
        Tensor::zeros(&[3], DType::I32),
    ));
    assert_eq!(names(&j), vec!["broadcast_in_dim", "sort"], "{j}");
    assert!(j.to_string().contains("sort[dimension=0"), "{j}");
}
