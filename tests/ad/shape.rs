//! Derivatives of the shape primitives (broadcast_in_dim, reshape, transpose, squeeze, rev,
//! pad, concatenate, slice, expand_dims) at orders 1 and 2, forward and reverse, through
//! `check_grads` on random shapes and values; plus the transposes checked against known
//! cotangents.

use ferrax::lax;
use ferrax::prelude::*;
use ferrax::test_util::check_grads;
use proptest::prelude::*;

fn t64(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}

fn values(n: usize, seed: u32) -> Vec<f64> {
    (0..n)
        .map(|i| (((i as u32).wrapping_mul(2654435761) ^ seed) % 1000) as f64 / 250.0 - 2.0)
        .collect()
}

/// A nonlinear readout so second derivatives are nonzero: sum(sin(y) * y).
fn readout(y: &Tensor) -> Tensor {
    (y.sin() * y).sum()
}

fn shape_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..4, 1..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn broadcast_in_dim(shape in shape_strategy(), lead in 1usize..3, ones in any::<bool>(), seed in 0u32..1000) {
        // Operand dims map to trailing output dims; optionally a size-1 operand dim stretches.
        let mut op_shape = shape.clone();
        if ones { op_shape[0] = 1; }
        let mut out_shape = vec![lead];
        out_shape.extend_from_slice(&shape);
        let dims: Vec<usize> = (1..=shape.len()).collect();
        let x = t64(&values(op_shape.iter().product(), seed), &op_shape);
        check_grads(|x: &Tensor| readout(&lax::broadcast_in_dim(x, &out_shape, &dims)), &x, 2);
    }

    #[test]
    fn reshape_transpose_rev(shape in shape_strategy(), seed in 0u32..1000) {
        let n: usize = shape.iter().product();
        let x = t64(&values(n, seed), &shape);
        let perm: Vec<usize> = (0..shape.len()).rev().collect();
        let rev_dims: Vec<usize> = (0..shape.len()).step_by(2).collect();
        check_grads(|x: &Tensor| readout(&lax::reshape(x, &[n])), &x, 2);
        check_grads(|x: &Tensor| readout(&(lax::transpose(x, &perm) * 1.5)), &x, 2);
        check_grads(|x: &Tensor| readout(&lax::rev(x, &rev_dims).exp()), &x, 2);
    }

    #[test]
    fn squeeze_and_expand_dims(shape in shape_strategy(), seed in 0u32..1000) {
        let mut with_one = shape.clone();
        with_one.insert(1, 1);
        let x = t64(&values(with_one.iter().product(), seed), &with_one);
        check_grads(|x: &Tensor| readout(&lax::squeeze(x, &[1])), &x, 2);
        check_grads(|x: &Tensor| readout(&lax::expand_dims(x, &[0])), &x, 2);
    }

    #[test]
    fn pad_with_negative_and_interior(n in 2usize..5, m in 1usize..4, lo in -1i64..3, hi in -1i64..3, interior in 0i64..3, seed in 0u32..1000) {
        let x = t64(&values(n * m, seed), &[n, m]);
        let v = Tensor::scalar(0.7f64);
        let config = [(lo, hi, interior), (1, 0, 0)];
        // Differentiate with respect to the operand and the padding value together.
        check_grads(|(x, v): &(Tensor, Tensor)| readout(&lax::pad(x, v, &config)), &(x, v), 2);
    }

    #[test]
    fn concatenate_and_slice(n in 1usize..4, m in 1usize..4, k in 1usize..4, stride in 1usize..3, seed in 0u32..1000) {
        let a = t64(&values(n * m, seed), &[n, m]);
        let b = t64(&values(n * k, seed + 1), &[n, k]);
        check_grads(|(a, b): &(Tensor, Tensor)| readout(&lax::concatenate(&[a.clone(), b.clone(), a.clone()], 1)), &(a.clone(), b), 2);
        let limit = [n, m];
        check_grads(|a: &Tensor| readout(&lax::slice(a, &[0, m / 2], &limit, Some(&[stride, 1]))), &a, 2);
    }
}

#[test]
fn transposes_route_cotangents_where_the_values_came_from() {
    // slice: the cotangent lands in the sliced window, zeros elsewhere.
    let x = t64(&[0.0; 6], &[6]);
    let (_, pb) = vjp(|x: &Tensor| lax::slice(x, &[1], &[6], Some(&[2])), &x);
    assert_eq!(
        pb(&t64(&[1.0, 2.0, 3.0], &[3])).to_vec::<f64>(),
        vec![0.0, 1.0, 0.0, 2.0, 0.0, 3.0]
    );
    // pad: the interior/cropped positions are dropped, the padding value gets the rest.
    let (_, pb) = vjp(
        |(x, v): &(Tensor, Tensor)| lax::pad(x, v, &[(1, -1, 1)]),
        &(t64(&[0.0, 0.0, 0.0], &[3]), Tensor::scalar(0.0f64)),
    );
    // output: [v, x0, v, x1, v] (x2 cropped)
    let (gx, gv) = pb(&t64(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5]));
    assert_eq!(gx.to_vec::<f64>(), vec![2.0, 4.0, 0.0]);
    assert_eq!(gv.item::<f64>(), 1.0 + 3.0 + 5.0);
    // broadcast_in_dim with a stretched size-1 dim sums the cotangent back.
    let (_, pb) = vjp(
        |x: &Tensor| lax::broadcast_in_dim(x, &[2, 3], &[0, 1]),
        &t64(&[0.0, 0.0], &[2, 1]),
    );
    assert_eq!(
        pb(&t64(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3])).to_vec::<f64>(),
        vec![6.0, 15.0]
    );
    // concatenate splits the cotangent.
    let (_, pb) = vjp(
        |(a, b): &(Tensor, Tensor)| lax::concatenate(&[a.clone(), b.clone()], 0),
        &(t64(&[0.0], &[1]), t64(&[0.0, 0.0], &[2])),
    );
    let (ga, gb) = pb(&t64(&[7.0, 8.0, 9.0], &[3]));
    assert_eq!(
        (ga.to_vec::<f64>(), gb.to_vec::<f64>()),
        (vec![7.0], vec![8.0, 9.0])
    );
}
