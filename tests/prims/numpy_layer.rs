//! The user-facing layer: numpy broadcasting and promotion, compositions (matmul, mean, var,
//! softmax, logsumexp, one_hot, where, take, stack, split, indexing), each against plain-Rust
//! reference code.

use ferrax::prelude::*;
use ferrax::{nn, numpy as jnp};
use proptest::prelude::*;

fn t64(data: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(data.to_vec(), shape)
}

use crate::common;
use common::close::assert_close as close;

/// Reference matmul of row-major [m,k] x [k,n].
fn ref_matmul(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    out
}

#[test]
fn binary_ops_broadcast_like_numpy() {
    let a = t64(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let col = t64(&[10.0, 20.0], &[2, 1]);
    let row = t64(&[1.0, 2.0, 3.0], &[3]);
    assert_eq!(
        (&a + &col).to_vec::<f64>(),
        vec![11.0, 12.0, 13.0, 24.0, 25.0, 26.0]
    );
    assert_eq!(
        (&a * &row).to_vec::<f64>(),
        vec![1.0, 4.0, 9.0, 4.0, 10.0, 18.0]
    );
    assert_eq!((&col - &row).shape(), &[2, 3]);
    assert_eq!(
        (&col - &row).to_vec::<f64>(),
        vec![9.0, 8.0, 7.0, 19.0, 18.0, 17.0]
    );
    assert_eq!((1.0 - &row).to_vec::<f64>(), vec![0.0, -1.0, -2.0]);
    assert_eq!((2.0 / &row).to_vec::<f64>(), vec![2.0, 1.0, 2.0 / 3.0]);
}

#[test]
fn dtype_promotion() {
    let f = Tensor::from_vec(vec![1.0f32], &[1]);
    let d = Tensor::from_vec(vec![1.0f64], &[1]);
    let i = Tensor::from_vec(vec![1i32], &[1]);
    let u = Tensor::from_vec(vec![1u32], &[1]);
    let b = Tensor::from_vec(vec![true], &[1]);
    assert_eq!((&f + &d).dtype(), DType::F64);
    assert_eq!((&i + &f).dtype(), DType::F32);
    assert_eq!(jnp::add(&b, &i).dtype(), DType::I32);
    assert_eq!((&u + 1).dtype(), DType::U32);
    assert_eq!((&i * 2.5).dtype(), DType::F32);
    assert_eq!((&i * 2.5).to_vec::<f32>(), vec![2.5]);
    assert_eq!((&d * 2.0f32).dtype(), DType::F64);
    assert_eq!(
        (&i / 2).dtype(),
        DType::F32,
        "true division of ints gives floats"
    );
    assert_eq!(jnp::add(&b, &b).dtype(), DType::Bool);
}

#[test]
fn matmul_shapes_against_reference() {
    let a: Vec<f64> = (0..6).map(|x| x as f64 * 0.5 - 1.0).collect();
    let b: Vec<f64> = (0..12).map(|x| (x as f64).sin()).collect();
    let out = t64(&a, &[2, 3]).matmul(&t64(&b, &[3, 4]));
    close(&out.to_vec::<f64>(), &ref_matmul(&a, &b, 2, 3, 4), 1e-12);
    // vector @ matrix and matrix @ vector
    let v = t64(&a[..3], &[3]);
    let vm = v.matmul(&t64(&b, &[3, 4]));
    assert_eq!(vm.shape(), &[4]);
    close(
        &vm.to_vec::<f64>(),
        &ref_matmul(&a[..3], &b, 1, 3, 4),
        1e-12,
    );
    let mv = t64(&a, &[2, 3]).matmul(&v);
    assert_eq!(mv.shape(), &[2]);
    // vector @ vector is a scalar
    let vv = v.matmul(&v);
    assert_eq!(vv.shape(), &[] as &[usize]);
    close(
        &[vv.item::<f64>()],
        &[a[..3].iter().map(|x| x * x).sum()],
        1e-12,
    );
    // broadcasting batch: [2,2,3] @ [3,4] and [1,2,3] @ [5,3,2]
    let aa: Vec<f64> = (0..12).map(|x| x as f64).collect();
    let batched = t64(&aa, &[2, 2, 3]).matmul(&t64(&b, &[3, 4]));
    assert_eq!(batched.shape(), &[2, 2, 4]);
    let mut expect = ref_matmul(&aa[..6], &b, 2, 3, 4);
    expect.extend(ref_matmul(&aa[6..], &b, 2, 3, 4));
    close(&batched.to_vec::<f64>(), &expect, 1e-12);
    let bb: Vec<f64> = (0..30).map(|x| x as f64 * 0.1).collect();
    let bc = t64(&aa[..6], &[1, 2, 3]).matmul(&t64(&bb, &[5, 3, 2]));
    assert_eq!(bc.shape(), &[5, 2, 2]);
    close(
        &bc.to_vec::<f64>()[4..8],
        &ref_matmul(&aa[..6], &bb[6..12], 2, 3, 2),
        1e-12,
    );
    // batched matrix @ vector
    let bv = t64(&aa, &[2, 2, 3]).matmul(&v);
    assert_eq!(bv.shape(), &[2, 2]);
}

#[test]
fn reductions_mean_var() {
    let x = t64(&[1.0, 2.0, 3.0, 4.0, 5.0, 7.0], &[2, 3]);
    assert_eq!(x.sum().item::<f64>(), 22.0);
    assert_eq!(x.sum_axes(&[0]).to_vec::<f64>(), vec![5.0, 7.0, 10.0]);
    close(
        &x.mean_axes(&[-1]).to_vec::<f64>(),
        &[2.0, 16.0 / 3.0],
        1e-12,
    );
    let m = 22.0 / 6.0;
    let var: f64 = [1.0, 2.0, 3.0, 4.0, 5.0, 7.0]
        .iter()
        .map(|v: &f64| (v - m).powi(2))
        .sum::<f64>()
        / 6.0;
    close(&[x.var().item::<f64>()], &[var], 1e-12);
    let col_var = jnp::var(&x, Some(&[0])).to_vec::<f64>();
    close(&col_var, &[2.25, 2.25, 4.0], 1e-12);
    assert_eq!(x.max().item::<f64>(), 7.0);
    assert_eq!(x.min().item::<f64>(), 1.0);
    assert_eq!(jnp::prod(&x, Some(&[1])).to_vec::<f64>(), vec![6.0, 140.0]);
    let b = Tensor::from_vec(vec![true, false, true], &[3]);
    assert_eq!(b.sum().item::<i32>(), 2);
    assert_eq!(
        Tensor::from_vec(vec![1i32, 2], &[2]).mean().item::<f32>(),
        1.5
    );
}

#[test]
fn softmax_family_matches_reference() {
    let data = [1.0, 2.0, 3.0, -1.0, 0.0, 1000.0];
    let x = t64(&data, &[2, 3]);
    let mut sm = Vec::new();
    let mut lse = Vec::new();
    for row in data.chunks(3) {
        let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = row.iter().map(|v| (v - m).exp()).sum();
        lse.push(m + s.ln());
        sm.extend(row.iter().map(|v| (v - m).exp() / s));
    }
    close(&nn::softmax(&x, -1).to_vec::<f64>(), &sm, 1e-12);
    close(&nn::logsumexp(&x, 1).to_vec::<f64>(), &lse, 1e-12);
    let ls: Vec<f64> = data
        .iter()
        .enumerate()
        .map(|(i, v)| v - lse[i / 3])
        .collect();
    close(&nn::log_softmax(&x, -1).to_vec::<f64>(), &ls, 1e-12);
    // Softmax over axis 0.
    let s0 = nn::softmax(&x, 0).to_vec::<f64>();
    close(&[s0[0] + s0[3]], &[1.0], 1e-12);
    // -inf entries are fine (masked logits).
    let masked = t64(&[0.0, f64::NEG_INFINITY], &[2]);
    assert_eq!(nn::softmax(&masked, 0).to_vec::<f64>(), vec![1.0, 0.0]);
    assert_eq!(
        nn::logsumexp(&t64(&[f64::NEG_INFINITY; 2], &[2]), 0).item::<f64>(),
        f64::NEG_INFINITY
    );
}

#[test]
fn activations() {
    let xs = [-3.0, -0.5, 0.0, 0.5, 3.0];
    let x = t64(&xs, &[5]);
    close(
        &nn::relu(&x).to_vec::<f64>(),
        &xs.map(|v: f64| v.max(0.0)),
        0.0,
    );
    close(
        &nn::sigmoid(&x).to_vec::<f64>(),
        &xs.map(|v: f64| 1.0 / (1.0 + (-v).exp())),
        1e-15,
    );
    close(
        &nn::silu(&x).to_vec::<f64>(),
        &xs.map(|v: f64| v / (1.0 + (-v).exp())),
        1e-15,
    );
    let gelu = |v: f64| {
        0.5 * v * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (v + 0.044715 * v.powi(3))).tanh())
    };
    close(&nn::gelu(&x).to_vec::<f64>(), &xs.map(gelu), 1e-14);
    let gelu_exact = |v: f64| 0.5 * v * (1.0 + libm::erf(v / std::f64::consts::SQRT_2));
    close(
        &nn::gelu_exact(&x).to_vec::<f64>(),
        &xs.map(gelu_exact),
        1e-14,
    );
}

#[test]
fn where_one_hot_take() {
    let x = t64(&[-1.0, 2.0, -3.0, 4.0], &[2, 2]);
    assert_eq!(
        jnp::where_(&x.gt(0.0), &x, 0.0).to_vec::<f64>(),
        vec![0.0, 2.0, 0.0, 4.0]
    );
    let cond = Tensor::from_vec(vec![true, false], &[2]);
    // cond broadcasts along rows
    assert_eq!(
        jnp::where_(&cond, &x, -9.0).to_vec::<f64>(),
        vec![-1.0, -9.0, -3.0, -9.0]
    );
    let labels = Tensor::from_vec(vec![2, 0, 5], &[3]);
    assert_eq!(
        jnp::one_hot(&labels, 3).to_vec::<f32>(),
        vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    );
    let m = t64(&[0.0, 1.0, 2.0, 10.0, 11.0, 12.0], &[2, 3]);
    let idx = Tensor::from_vec(vec![2, 0], &[2]);
    let cols = m.take(&idx, 1);
    assert_eq!(cols.shape(), &[2, 2]);
    assert_eq!(cols.to_vec::<f64>(), vec![2.0, 0.0, 12.0, 10.0]);
    let rows = m.take(&Tensor::from_vec(vec![-1], &[1]), 0);
    assert_eq!(rows.to_vec::<f64>(), vec![10.0, 11.0, 12.0]);
    let idx2 = Tensor::from_vec(vec![1, 1, 0, 2], &[2, 2]);
    let t = m.take(&idx2, 1);
    assert_eq!(t.shape(), &[2, 2, 2]);
    assert_eq!(
        t.to_vec::<f64>(),
        vec![1.0, 1.0, 0.0, 2.0, 11.0, 11.0, 10.0, 12.0]
    );
}

#[test]
fn stack_split_index_slice() {
    let a = t64(&[1.0, 2.0, 3.0], &[3]);
    let b = t64(&[4.0, 5.0, 6.0], &[3]);
    let s0 = jnp::stack(&[a.clone(), b.clone()], 0);
    assert_eq!(s0.shape(), &[2, 3]);
    assert_eq!(s0.to_vec::<f64>(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let s1 = jnp::stack(&[a.clone(), b.clone()], -1);
    assert_eq!(s1.to_vec::<f64>(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    let parts = jnp::split(&s1, 3, 0);
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[1].to_vec::<f64>(), vec![2.0, 5.0]);
    assert_eq!(s0.index_axis(0, -1).to_vec::<f64>(), vec![4.0, 5.0, 6.0]);
    assert_eq!(s0.index_axis(1, 1).to_vec::<f64>(), vec![2.0, 5.0]);
    assert_eq!(
        s0.slice_axis(1, -2, 10).to_vec::<f64>(),
        vec![2.0, 3.0, 5.0, 6.0]
    );
    assert_eq!(s0.slice_axis(1, 2, 1).shape(), &[2, 0]);
    assert_eq!(jnp::moveaxis(&s0, 0, 1).to_vec::<f64>(), s1.to_vec::<f64>());
    assert_eq!(
        jnp::concatenate(&[a.clone(), Tensor::from_vec(vec![7i32], &[1])], 0).dtype(),
        DType::F64
    );
    assert_eq!(s0.reshape(&[-1]).shape(), &[6]);
    assert_eq!(a.expand_dims(-1).shape(), &[3, 1]);
    assert_eq!(a.expand_dims(0).squeeze(&[]).shape(), &[3]);
}

#[test]
#[should_panic(expected = "cannot be broadcast")]
fn incompatible_broadcast_panics() {
    let _ = t64(&[1.0, 2.0], &[2]) + t64(&[1.0, 2.0, 3.0], &[3]);
}

#[test]
#[should_panic(expected = "out of bounds")]
fn bad_axis_panics() {
    let _ = t64(&[1.0, 2.0], &[2]).sum_axes(&[1]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn broadcast_add_matches_reference(
        rows in 1usize..4, cols in 1usize..4, row_is_one in any::<bool>(),
        seed in 0u32..1000,
    ) {
        let a: Vec<f64> = (0..rows * cols).map(|i| (i as f64 + seed as f64).sin()).collect();
        let brow = if row_is_one { 1 } else { rows };
        let b: Vec<f64> = (0..brow).map(|i| i as f64 * 0.5 - seed as f64).collect();
        let out = (t64(&a, &[rows, cols]) + t64(&b, &[brow, 1])).to_vec::<f64>();
        for i in 0..rows {
            for j in 0..cols {
                let bv = if row_is_one { b[0] } else { b[i] };
                prop_assert_eq!(out[i * cols + j], a[i * cols + j] + bv);
            }
        }
    }

    #[test]
    fn matmul_matches_reference(m in 1usize..5, k in 0usize..5, n in 1usize..5, seed in 0u32..100) {
        let a: Vec<f64> = (0..m * k).map(|i| ((i as u32 * 7 + seed) % 11) as f64 - 5.0).collect();
        let b: Vec<f64> = (0..k * n).map(|i| ((i as u32 * 3 + seed) % 13) as f64 - 6.0).collect();
        let out = t64(&a, &[m, k]).matmul(&t64(&b, &[k, n])).to_vec::<f64>();
        prop_assert_eq!(out, ref_matmul(&a, &b, m, k, n));
    }
}

/// JAX's custom JVP of `logaddexp`/`logaddexp2`: each input's derivative is `exp(x_i - out)`
/// (base 2: `2^(x_i - out)`), with `+inf` read as 0: ½ each at `a == b` (a plain
/// differentiation of the max-based formula gives 1 and 0), 0 and 1 beside `-inf`, 1 and 1
/// at `+inf` twice.
#[test]
fn logaddexp_derivatives_are_jaxs() {
    let inf = f64::INFINITY;
    let cases = [
        (1.0, 1.0, 0.5, 0.5),
        (-inf, 0.0, 0.0, 1.0),
        (inf, inf, 1.0, 1.0),
        (
            0.0,
            3.0,
            (-(1.0f64 + 3.0f64.exp()).ln()).exp(),
            (3.0 - (1.0f64 + 3.0f64.exp()).ln()).exp(),
        ),
    ];
    for (a, b, da, db) in cases {
        let g = grad(|p: &(Tensor, Tensor)| jnp::logaddexp(&p.0, &p.1))(&(
            Tensor::scalar(a),
            Tensor::scalar(b),
        ));
        let (ga, gb) = (g.0.item::<f64>(), g.1.item::<f64>());
        assert!(
            (ga - da).abs() < 1e-12 && (gb - db).abs() < 1e-12,
            "({a}, {b}): {ga} {gb}"
        );
    }
    let g2 = grad(|p: &(Tensor, Tensor)| jnp::logaddexp2(&p.0, &p.1))(&(
        Tensor::scalar(1.0f64),
        Tensor::scalar(1.0f64),
    ));
    assert_eq!((g2.0.item::<f64>(), g2.1.item::<f64>()), (0.5, 0.5));
    // Away from ties, the rule agrees with finite differences, broadcasting included.
    let a = t64(&[0.3, -1.2, 2.5], &[3]);
    let b = t64(&[1.0], &[1]);
    ferrax::test_util::check_grads(
        |p: &(Tensor, Tensor)| jnp::logaddexp(&p.0, &p.1).sum(),
        &(a.clone(), b.clone()),
        2,
    );
    ferrax::test_util::check_grads(
        |p: &(Tensor, Tensor)| jnp::logaddexp2(&p.0, &p.1).sum(),
        &(a, b),
        2,
    );
}
