//! Derivatives of the reductions, cumulative reductions, `sort` and `argmax`: property tests
//! through `check_grads` (orders 1 and 2, forward and reverse, against finite differences),
//! plus exact checks where JAX's rules pick a specific value (ties, zeros in products).

use ferrax::lax;
use ferrax::prelude::*;
use ferrax::test_util::check_grads;
use proptest::prelude::*;

// ---- Strategies -------------------------------------------------------------------------

/// A shape of rank 1..=3 with dims 1..=4.
fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=4, 1..=3)
}

/// A shape of rank 0..=3 and a subset of its axes (possibly empty or all).
fn shape_axes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    prop::collection::vec(1usize..=4, 0..=3).prop_flat_map(|s| {
        let r = s.len();
        (Just(s), prop::collection::vec(any::<bool>(), r)).prop_map(|(s, mask)| {
            (
                s,
                mask.iter()
                    .enumerate()
                    .filter(|&(_, &m)| m)
                    .map(|(i, _)| i)
                    .collect(),
            )
        })
    })
}

/// A shape and one of its axes.
fn shape_axis() -> impl Strategy<Value = (Vec<usize>, usize)> {
    shape().prop_flat_map(|s| {
        let r = s.len();
        (Just(s), 0..r)
    })
}

/// `n` values in [-1.5, 1.5], about a fifth of them exactly zero.
fn with_zeros(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(prop_oneof![4 => -1.5..1.5f64, 1 => Just(0.0)], n)
}

fn t64(data: Vec<f64>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(data, shape)
}

use crate::common;
use common::close::assert_close;
use common::strategies::distinct;

/// Row-major multi-index of flat index `i`.
fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = i % shape[d];
        i /= shape[d];
    }
    idx
}

/// For each element, the product of the *other* elements of its reduction group (the
/// gradient of `sum(reduce_prod(x, axes))`), computed directly in Rust.
fn leave_one_out(data: &[f64], shape: &[usize], axes: &[usize]) -> Vec<f64> {
    let key = |i: usize| -> Vec<usize> {
        let idx = unravel(i, shape);
        (0..shape.len())
            .filter(|d| !axes.contains(d))
            .map(|d| idx[d])
            .collect()
    };
    (0..data.len())
        .map(|i| {
            let k = key(i);
            (0..data.len())
                .filter(|&j| j != i && key(j) == k)
                .map(|j| data[j])
                .product()
        })
        .collect()
}

// ---- Reductions -------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn prop_reduce_sum_grads((shape, axes) in shape_axes(), seed in any::<u64>()) {
        let n: usize = shape.iter().product();
        let data: Vec<f64> = (0..n).map(|i| ((i as u64).wrapping_mul(2654435761).wrapping_add(seed) % 1000) as f64 / 250.0 - 2.0).collect();
        let x = t64(data, &shape);
        check_grads(move |x: &Tensor| lax::reduce_sum(x, &axes), &x, 2);
    }

    #[test]
    fn prop_reduce_max_min_grads(((shape, axes), data) in shape_axes().prop_flat_map(|(s, a)| {
        let n = s.iter().product();
        (Just((s, a)), distinct(n))
    })) {
        let x = t64(data, &shape);
        let a = axes.clone();
        check_grads(move |x: &Tensor| lax::reduce_max(x, &a), &x, 2);
        check_grads(move |x: &Tensor| lax::reduce_min(x, &axes), &x, 2);
    }

    #[test]
    fn prop_reduce_prod_grads(((shape, axes), data) in shape_axes().prop_flat_map(|(s, a)| {
        let n = s.iter().product();
        (Just((s, a)), with_zeros(n))
    })) {
        let x = t64(data.clone(), &shape);
        let a = axes.clone();
        check_grads(move |x: &Tensor| lax::reduce_prod(x, &a), &x, 2);
        // Exact at zeros: the gradient is the product of the other elements of the group.
        let a = axes.clone();
        let (v, g) = value_and_grad(move |x: &Tensor| lax::reduce_prod(x, &a).sum())(&x);
        let want_v: f64 = lax::reduce_prod(&x, &axes).to_vec::<f64>().iter().sum();
        prop_assert!((v.item::<f64>() - want_v).abs() <= 1e-12 * (1.0 + want_v.abs()));
        let got = g.to_vec::<f64>();
        let want = leave_one_out(&data, &shape, &axes);
        for (i, (gi, wi)) in got.iter().zip(&want).enumerate() {
            prop_assert!((gi - wi).abs() <= 1e-12 * (1.0 + wi.abs()), "element {}: {} vs {} ({:?} vs {:?})", i, gi, wi, got, want);
        }
    }
}

#[test]
fn reduce_max_min_ties_average_the_gradient() {
    // JAX's chooser rule: the cotangent is shared equally among the tied extreme elements.
    let x = t64(vec![1.0, 3.0, 3.0, 2.0, 2.0, 0.0], &[2, 3]);
    let g = grad(|x: &Tensor| lax::reduce_max(x, &[1]).sum())(&x);
    assert_eq!(g.to_vec::<f64>(), vec![0.0, 0.5, 0.5, 0.5, 0.5, 0.0]);
    let g = grad(|x: &Tensor| lax::reduce_min(x, &[1]).sum())(&x);
    assert_eq!(g.to_vec::<f64>(), vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    let y = t64(vec![5.0, 1.0, 5.0, 5.0], &[2, 2]);
    let g = grad(|x: &Tensor| lax::reduce_max(x, &[0, 1]))(&y);
    assert_eq!(
        g.to_vec::<f64>(),
        vec![1.0 / 3.0, 0.0, 1.0 / 3.0, 1.0 / 3.0]
    );
    // Forward mode agrees.
    let t = t64(vec![1.0, 10.0, 100.0, 1000.0], &[2, 2]);
    let (_, dy) = jvp(|x: &Tensor| lax::reduce_max(x, &[0, 1]), &y, &t);
    assert_close(&dy.to_vec::<f64>(), &[1101.0 / 3.0], 1e-14);
}

#[test]
fn reduce_prod_zeros_exact_and_no_division() {
    // One zero: only the zero's own gradient survives; two zeros: everything is 0.
    let x = t64(vec![2.0, 0.0, 3.0, -1.5], &[4]);
    let g = grad(|x: &Tensor| lax::reduce_prod(x, &[0]))(&x);
    assert_eq!(g.to_vec::<f64>(), vec![0.0, -9.0, 0.0, 0.0]);
    let x2 = t64(vec![0.0, 2.0, 0.0, 5.0, 7.0], &[5]);
    let g = grad(|x: &Tensor| lax::reduce_prod(x, &[0]))(&x2);
    assert_eq!(g.to_vec::<f64>(), vec![0.0; 5]);
    // The second derivative at two zeros is not zero: d²/dx0 dx2 = 2 * 5 * 7.
    let h = hessian(|x: &Tensor| lax::reduce_prod(x, &[0]))(&x2);
    assert_eq!(h.shape(), &[5, 5]);
    assert_eq!(h.to_vec::<f64>()[2], 70.0);
    assert_eq!(h.to_vec::<f64>()[2 * 5], 70.0);
    // Third order through the tree.
    check_grads(
        |x: &Tensor| lax::reduce_prod(x, &[1]),
        &t64(vec![0.5, 0.0, -1.25, 2.0, 1.5, 0.75], &[2, 3]),
        3,
    );
    // The rule is a product tree: no division anywhere in the derivative.
    let text = make_jaxpr(grad(|x: &Tensor| lax::reduce_prod(x, &[0])))(&x).to_string();
    assert!(!text.contains("div"), "{text}");
}

#[test]
fn reduce_prod_empty_and_unreduced() {
    // An empty reduction gives ones and a zero tangent; reducing no axes is the identity.
    let e = Tensor::zeros(&[0, 3], DType::F64);
    let (y, dy) = jvp(
        |x: &Tensor| lax::reduce_prod(x, &[0]),
        &e,
        &Tensor::zeros(&[0, 3], DType::F64),
    );
    assert_eq!(y.to_vec::<f64>(), vec![1.0; 3]);
    assert_eq!(dy.to_vec::<f64>(), vec![0.0; 3]);
    let x = t64(vec![1.0, 2.0, 3.0], &[3]);
    let t = t64(vec![0.1, 0.2, 0.3], &[3]);
    let (y, dy) = jvp(|x: &Tensor| lax::reduce_prod(x, &[]), &x, &t);
    assert_eq!(y.to_vec::<f64>(), vec![1.0, 2.0, 3.0]);
    assert_eq!(dy.to_vec::<f64>(), vec![0.1, 0.2, 0.3]);
}

// ---- Cumulative reductions --------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn prop_cumsum_grads((shape, axis) in shape_axis(), reverse in any::<bool>(), seed in any::<u64>()) {
        let n: usize = shape.iter().product();
        let data: Vec<f64> = (0..n).map(|i| ((i as u64).wrapping_mul(40503).wrapping_add(seed) % 997) as f64 / 300.0 - 1.5).collect();
        let x = t64(data, &shape);
        check_grads(move |x: &Tensor| lax::cumsum(x, axis, reverse), &x, 2);
    }

    #[test]
    fn prop_cumprod_grads(((shape, axis), data) in shape_axis().prop_flat_map(|(s, a)| {
        let n = s.iter().product();
        (Just((s, a)), with_zeros(n))
    }), reverse in any::<bool>()) {
        let x = t64(data, &shape);
        check_grads(move |x: &Tensor| lax::cumprod(x, axis, reverse), &x, 2);
    }

    #[test]
    fn prop_cummax_cummin_grads(((shape, axis), data) in shape_axis().prop_flat_map(|(s, a)| {
        let n = s.iter().product();
        (Just((s, a)), distinct(n))
    }), reverse in any::<bool>()) {
        let x = t64(data, &shape);
        check_grads(move |x: &Tensor| lax::cummax(x, axis, reverse), &x, 2);
        check_grads(move |x: &Tensor| lax::cummin(x, axis, reverse), &x, 2);
    }

    #[test]
    fn prop_associative_scan_matches_cumulative((shape, axis) in shape_axis(), reverse in any::<bool>(), seed in any::<u64>()) {
        let n: usize = shape.iter().product();
        let ints: Vec<i32> = (0..n).map(|i| ((i as u64).wrapping_mul(2654435761).wrapping_add(seed) % 19) as i32 - 9).collect();
        let xi = Tensor::from_vec(ints.clone(), &shape);
        // Integer add and mul (wrapping) and max/min are exact, so results must be identical.
        let s = lax::associative_scan(|a, b| lax::add(a, b), &xi, axis, reverse);
        prop_assert_eq!(s.to_vec::<i32>(), lax::cumsum(&xi, axis, reverse).to_vec::<i32>());
        let p = lax::associative_scan(|a, b| lax::mul(a, b), &xi, axis, reverse);
        prop_assert_eq!(p.to_vec::<i32>(), lax::cumprod(&xi, axis, reverse).to_vec::<i32>());
        let xf = t64(ints.iter().map(|&v| v as f64 * 0.37).collect(), &shape);
        let m = lax::associative_scan(|a, b| lax::max(a, b), &xf, axis, reverse);
        prop_assert_eq!(m.to_vec::<f64>(), lax::cummax(&xf, axis, reverse).to_vec::<f64>());
        let m = lax::associative_scan(|a, b| lax::min(a, b), &xf, axis, reverse);
        prop_assert_eq!(m.to_vec::<f64>(), lax::cummin(&xf, axis, reverse).to_vec::<f64>());
        let s = lax::associative_scan(|a, b| lax::add(a, b), &xf, axis, reverse);
        assert_close(&s.to_vec::<f64>(), &lax::cumsum(&xf, axis, reverse).to_vec::<f64>(), 1e-12);
        prop_assert_eq!(s.shape(), xf.shape());
    }
}

#[test]
fn associative_scan_lengths_and_order() {
    // Every length up to 17 (odd/even recursion), along a middle axis, both directions.
    for n in 0..=17usize {
        let data: Vec<i32> = (0..2 * n * 3).map(|i| (i as i32 * 7) % 11 - 5).collect();
        let x = Tensor::from_vec(data, &[2, n, 3]);
        for reverse in [false, true] {
            let s = lax::associative_scan(|a, b| lax::add(a, b), &x, 1, reverse);
            assert_eq!(
                s.to_vec::<i32>(),
                lax::cumsum(&x, 1, reverse).to_vec::<i32>(),
                "n={n} reverse={reverse}"
            );
        }
    }
    // The accumulated value is `f`'s first argument (JAX's order): with a non-commutative
    // but associative `f(a, b) = b` ("last"), a forward scan is the identity and a reverse
    // scan too; with `f(a, b) = a` ("first") it broadcasts the first (or last) element.
    let x = Tensor::from_vec(vec![1, 2, 3, 4, 5], &[5]);
    let last = lax::associative_scan(|_, b| b.clone(), &x, 0, false);
    assert_eq!(last.to_vec::<i32>(), vec![1, 2, 3, 4, 5]);
    let first = lax::associative_scan(|a, _| a.clone(), &x, 0, false);
    assert_eq!(first.to_vec::<i32>(), vec![1; 5]);
    let first_rev = lax::associative_scan(|a, _| a.clone(), &x, 0, true);
    assert_eq!(first_rev.to_vec::<i32>(), vec![5; 5]);
}

#[test]
fn cumulative_exact_values() {
    // cumsum's transpose is the reversed cumsum.
    let x = t64(vec![1.0, 2.0, 3.0, 4.0], &[4]);
    let w = t64(vec![1.0, 10.0, 100.0, 1000.0], &[4]);
    let wc = w.clone();
    let g = grad(move |x: &Tensor| (lax::cumsum(x, 0, false) * wc.clone()).sum())(&x);
    assert_eq!(g.to_vec::<f64>(), vec![1111.0, 1110.0, 1100.0, 1000.0]);
    let wc = w.clone();
    let g = grad(move |x: &Tensor| (lax::cumsum(x, 0, true) * wc.clone()).sum())(&x);
    assert_eq!(g.to_vec::<f64>(), vec![1.0, 11.0, 111.0, 1111.0]);
    // cumprod with a zero: exact, no NaN.
    let z = t64(vec![2.0, 0.0, 3.0], &[3]);
    let g = grad(|x: &Tensor| lax::cumprod(x, 0, false).sum())(&z);
    // d/dx0 (x0 + x0 x1 + x0 x1 x2) = 1 + x1 + x1 x2 = 1; d/dx1 = x0 + x0 x2 = 8; d/dx2 = x0 x1 = 0.
    assert_eq!(g.to_vec::<f64>(), vec![1.0, 8.0, 0.0]);
    // cummax ties follow max's JVP through the scan (JAX: the tie shares the tangent).
    let tie = t64(vec![1.0, 1.0], &[2]);
    let g = grad(|x: &Tensor| lax::cummax(x, 0, false).sum())(&tie);
    assert_eq!(g.to_vec::<f64>(), vec![1.5, 0.5]);
}

// ---- Sort ---------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn prop_sort_single_operand_grads(((shape, axis), data) in shape_axis().prop_flat_map(|(s, a)| {
        let n = s.iter().product();
        (Just((s, a)), distinct(n))
    })) {
        let x = t64(data, &shape);
        check_grads(move |x: &Tensor| lax::sort(std::slice::from_ref(x), axis, true, 1).remove(0), &x, 2);
    }

    #[test]
    fn prop_sort_carried_operand_grads(((shape, axis), keys, vals) in shape_axis().prop_flat_map(|(s, a)| {
        let n = s.iter().product();
        (Just((s, a)), distinct(n), prop::collection::vec(-2.0..2.0f64, n))
    })) {
        let k = t64(keys, &shape);
        let v = t64(vals, &shape);
        // Both outputs, differentiated with respect to the key and the carried value.
        check_grads(move |(k, v): &(Tensor, Tensor)| {
            let mut out = lax::sort(&[k.clone(), v.clone()], axis, true, 1);
            let sv = out.pop().unwrap();
            let sk = out.pop().unwrap();
            (sk, sv * k.clone())
        }, &(k.clone(), v.clone()), 2);
        // Two float keys (the second never decides: the first is distinct).
        check_grads(move |(k, v): &(Tensor, Tensor)| {
            lax::sort(&[k.clone(), v.clone()], axis, true, 2)
        }, &(k, v), 2);
    }
}

#[test]
fn sort_tangents_follow_the_permutation() {
    let k = t64(vec![3.0, 1.0, 2.0, 0.5, 0.25, 0.75], &[2, 3]);
    let v = t64(vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0], &[2, 3]);
    let ints = Tensor::from_vec(vec![0, 1, 2, 3, 4, 5], &[2, 3]);
    let tk = t64(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let tv = t64(vec![-1.0, -2.0, -3.0, -4.0, -5.0, -6.0], &[2, 3]);
    let i2 = ints.clone();
    let ((sk, sv, si), (dk, dv, di)) = jvp(
        move |(k, v): &(Tensor, Tensor)| {
            let mut o = lax::sort(&[k.clone(), v.clone(), i2.clone()], 1, true, 1);
            let si = o.pop().unwrap();
            let sv = o.pop().unwrap();
            (o.pop().unwrap(), sv, si)
        },
        &(k.clone(), v.clone()),
        &(tk, tv),
    );
    assert_eq!(sk.to_vec::<f64>(), vec![1.0, 2.0, 3.0, 0.25, 0.5, 0.75]);
    assert_eq!(si.to_vec::<i32>(), vec![1, 2, 0, 4, 3, 5]);
    assert_eq!(sv.to_vec::<f64>(), vec![20.0, 30.0, 10.0, 50.0, 40.0, 60.0]);
    assert_eq!(dk.to_vec::<f64>(), vec![2.0, 3.0, 1.0, 5.0, 4.0, 6.0]);
    assert_eq!(dv.to_vec::<f64>(), vec![-2.0, -3.0, -1.0, -5.0, -4.0, -6.0]);
    // The integer operand has a zero tangent.
    assert_eq!(di.to_vec::<i32>(), vec![0; 6]);
    // Along axis 0 and in reverse mode: the cotangent is scattered back.
    let w = t64(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let g = grad(move |k: &Tensor| {
        (lax::sort(std::slice::from_ref(k), 0, true, 1).remove(0) * w.clone()).sum()
    })(&k);
    // Column 0: 3.0 > 0.5 swaps, column 1: 1.0 > 0.25 swaps, column 2: 2.0 > 0.75 swaps.
    assert_eq!(g.to_vec::<f64>(), vec![4.0, 5.0, 6.0, 1.0, 2.0, 3.0]);
}

// ---- argmax -------------------------------------------------------------------------------

#[test]
fn argmax_is_not_differentiated_through() {
    let x = t64(vec![0.5, 2.0, -1.0, 1.5], &[4]);
    // argmax used as an index: the gradient is one-hot at the maximum.
    let g = grad(|x: &Tensor| {
        let i = lax::argmax(x, 0, DType::I32);
        ferrax::numpy::take(x, &i, 0)
    })(&x);
    assert_eq!(g.to_vec::<f64>(), vec![0.0, 1.0, 0.0, 0.0]);
    // argmax converted to float: a constant, so only the other factor is differentiated.
    let g = grad(|x: &Tensor| {
        let i = lax::convert_element_type(&lax::argmax(x, 0, DType::I32), DType::F64);
        (x.clone() * i).sum()
    })(&x);
    assert_eq!(g.to_vec::<f64>(), vec![1.0; 4]);
    let (y, dy) = jvp(
        |x: &Tensor| lax::argmin(x, 0, DType::I32),
        &x,
        &Tensor::ones(&[4], DType::F64),
    );
    assert_eq!(y.item::<i32>(), 2);
    assert_eq!(dy.item::<i32>(), 0);
    check_grads(
        |x: &Tensor| {
            let i = lax::argmax(x, 1, DType::I32);
            let xs = lax::reduce_max(x, &[1]);
            xs * lax::convert_element_type(&i, DType::F64)
        },
        &t64(vec![0.5, 2.0, -1.0, 1.5, 3.0, 0.0], &[2, 3]),
        2,
    );
}
