//! Eager dispatch of the elementwise binary ops: how many allocations one op makes (an
//! allocation count is behaviour, not speed), and the fast path that gets it there computing
//! exactly what the general path (promotion, broadcast, shape rule, `bind`) computes.
//!
//! This binary counts allocations with the fuzz tests' counting allocator; the count is per
//! thread, so the other tests running beside these never enter it.

#[path = "../fuzz/fuzz_alloc.rs"]
mod fuzz_alloc;

#[global_allocator]
static ALLOC: fuzz_alloc::Counting = fuzz_alloc::Counting;

use ferrax::core::eval_closed;
use ferrax::lax;
use ferrax::numpy as jnp;
use ferrax::prelude::*;

/// What one eager op allocates: its result's element buffer (the `Vec` inside the
/// `ndarray` storage) and the shared `Arc<ArrayData>` the tensor handle points to. Nothing
/// for the primitive (a static `Prim`), the operands (borrowed, not cloned), promotion or
/// the shape rule. Two and not one because `ndarray`'s owned storage is always a separate
/// `Vec`: putting the elements inside the `Arc` would mean replacing `ArrayData`'s storage.
const RESULT_ALLOCATIONS: usize = 2;

/// The allocations of one call of `op`, after warming up (the first calls read settings
/// from the environment once), and its result.
fn allocations_of(op: impl Fn() -> Tensor) -> (Tensor, usize) {
    for _ in 0..3 {
        drop(op());
    }
    fuzz_alloc::count_allocations(op)
}

fn f32s(t: &Tensor) -> Vec<f32> {
    t.to_vec::<f32>()
}

#[test]
fn eager_binary_ops_allocate_only_their_result() {
    let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]);
    let b = Tensor::from_vec(vec![5.0f32, 6.0, 7.0, 8.0], &[4]);
    let s = Tensor::scalar(1.5f32);
    let t = Tensor::scalar(2.5f32);
    // (what, the op, its values as f32)
    type Case<'a> = (&'a str, Box<dyn Fn() -> Tensor + 'a>, Vec<f32>);
    let cases: Vec<Case> = vec![
        ("&a + &b", Box::new(|| &a + &b), vec![6.0, 8.0, 10.0, 12.0]),
        ("&s + &t (rank 0)", Box::new(|| &s + &t), vec![4.0]),
        (
            "lax::add",
            Box::new(|| lax::add(&a, &b)),
            vec![6.0, 8.0, 10.0, 12.0],
        ),
        ("&a * 2.0", Box::new(|| &a * 2.0), vec![2.0, 4.0, 6.0, 8.0]),
        (
            "1.0 - &a",
            Box::new(|| 1.0 - &a),
            vec![0.0, -1.0, -2.0, -3.0],
        ),
        (
            "&a + &s (rank-0 tensor)",
            Box::new(|| &a + &s),
            vec![2.5, 3.5, 4.5, 5.5],
        ),
        (
            "&s - &a (rank-0 tensor first)",
            Box::new(|| &s - &a),
            vec![0.5, -0.5, -1.5, -2.5],
        ),
        (
            "jnp::maximum",
            Box::new(|| jnp::maximum(&a, 2.5)),
            vec![2.5, 2.5, 3.0, 4.0],
        ),
        ("a.lt(&b)", Box::new(|| a.lt(&b)), vec![1.0; 4]),
    ];
    for (name, op, want) in cases {
        let (out, n) = allocations_of(op);
        assert_eq!(f32s(&out), want, "{name}: values");
        assert_eq!(n, RESULT_ALLOCATIONS, "{name}: allocations per eager op");
    }
    let (i, j) = (
        Tensor::from_vec(vec![7i32, -7], &[2]),
        Tensor::from_vec(vec![2i32, 2], &[2]),
    );
    let (out, n) = allocations_of(|| &i % &j);
    assert_eq!(out.to_vec::<i32>(), vec![1, -1]);
    assert_eq!(n, RESULT_ALLOCATIONS, "i32 rem: allocations per eager op");
    let x = Tensor::from_vec(vec![0.25f64, 4.0], &[2]);
    let (out, n) = allocations_of(|| &x * &x);
    assert_eq!(out.to_vec::<f64>(), vec![0.0625, 16.0]);
    assert_eq!(n, RESULT_ALLOCATIONS, "f64 mul: allocations per eager op");
}

/// Every value as f64 bits (bool results as 0 and 1), so NaNs and signed zeros compare.
fn bits(t: &Tensor) -> Vec<u64> {
    t.to_vec::<f64>().iter().map(|v| v.to_bits()).collect()
}

type TensorOp = fn(&Tensor, &Tensor) -> Tensor;

/// The ops the fast path takes, as the user calls them.
const TENSOR_OPS: [(&str, TensorOp); 11] = [
    ("add", |x, y| x + y),
    ("sub", |x, y| x - y),
    ("mul", |x, y| x * y),
    ("rem", |x, y| x % y),
    ("maximum", |x, y| jnp::maximum(x, y)),
    ("minimum", |x, y| jnp::minimum(x, y)),
    ("arctan2", |x, y| jnp::arctan2(x, y)),
    ("pow", |x, y| x.pow(y)),
    ("lt", |x, y| x.lt(y)),
    ("eq", |x, y| x.eq(y)),
    ("ge", |x, y| x.ge(y)),
];

/// `f` on concrete operands (the fast path) and the same `f` traced into a jaxpr and run by
/// `eval_closed` (the general path: `b` becomes a constant, and every equation is bound).
fn fast_and_general(f: impl Fn(&Tensor) -> Tensor, a: &Tensor) -> (Tensor, Tensor) {
    let j = make_jaxpr(&f)(a);
    let general = eval_closed(&j, std::slice::from_ref(a)).remove(0);
    (f(a), general)
}

#[test]
fn eager_fast_path_equals_the_general_path() {
    let f32_a = Tensor::from_vec(
        vec![1.5f32, -2.0, 0.0, -0.0, f32::INFINITY, f32::NAN, 3.0, 1e-30],
        &[8],
    );
    let f32_b = Tensor::from_vec(
        vec![
            0.5f32,
            3.0,
            -0.0,
            2.0,
            f32::INFINITY,
            1.0,
            -f32::INFINITY,
            7.0,
        ],
        &[8],
    );
    let f64_a = jnp::astype(&f32_a, DType::F64) * 1.1;
    let f64_b = jnp::astype(&f32_b, DType::F64);
    let i32_a = Tensor::from_vec(vec![7i32, -7, 3, 0, i32::MAX], &[5]);
    let i32_b = Tensor::from_vec(vec![2i32, 2, -3, 5, 1], &[5]);
    let rank0 = [Tensor::scalar(0.75f32), Tensor::scalar(-3i32)];
    for (a, b) in [(&f32_a, &f32_b), (&f64_a, &f64_b), (&i32_a, &i32_b)] {
        for (name, op) in TENSOR_OPS {
            if a.dtype() == DType::I32 && matches!(name, "arctan2" | "pow") {
                continue;
            }
            let (fast, general) = fast_and_general(|x| op(x, b), a);
            assert_eq!(bits(&fast), bits(&general), "{name} on {}", a.dtype());
            // A rank-0 operand of the same dtype, on either side.
            for s in rank0.iter().filter(|s| s.dtype() == a.dtype()) {
                let (fast, general) = fast_and_general(|x| op(x, s), a);
                assert_eq!(
                    bits(&fast),
                    bits(&general),
                    "{name} on {} and []",
                    a.dtype()
                );
                let (fast, general) = fast_and_general(|x| op(s, x), a);
                assert_eq!(
                    bits(&fast),
                    bits(&general),
                    "{name} on [] and {}",
                    a.dtype()
                );
            }
        }
    }
    // A Rust scalar, on either side: it takes the float tensor's dtype (0.1 and 1e40 round,
    // and overflow, when narrowed to f32).
    type ScalarOp = fn(&Tensor, f64) -> Tensor;
    let scalar_ops: [(&str, ScalarOp, ScalarOp); 7] = [
        ("add", |x, s| x + s, |x, s| s + x),
        ("sub", |x, s| x - s, |x, s| s - x),
        ("mul", |x, s| x * s, |x, s| s * x),
        ("rem", |x, s| x % s, |x, s| s % x),
        (
            "maximum",
            |x, s| jnp::maximum(x, s),
            |x, s| jnp::maximum(s, x),
        ),
        (
            "arctan2",
            |x, s| jnp::arctan2(x, s),
            |x, s| jnp::arctan2(s, x),
        ),
        ("pow", |x, s| x.pow(s), |x, s| jnp::power(s, x)),
    ];
    for a in [&f32_a, &f64_a] {
        for (name, right, left) in scalar_ops {
            for s in [0.1, -2.5, 1e40, f64::NAN] {
                let (fast, general) = fast_and_general(|x| right(x, s), a);
                assert_eq!(bits(&fast), bits(&general), "{name}({}, {s})", a.dtype());
                let (fast, general) = fast_and_general(|x| left(x, s), a);
                assert_eq!(bits(&fast), bits(&general), "{name}({s}, {})", a.dtype());
            }
        }
    }
    // Plain-Rust reference for the commonest case.
    let sum: Vec<f32> = f32_a
        .to_vec::<f32>()
        .iter()
        .map(|&v| v + 0.1f64 as f32)
        .collect();
    let got = (&f32_a + 0.1).to_vec::<f32>();
    let same = sum
        .iter()
        .zip(&got)
        .all(|(p, q)| p.to_bits() == q.to_bits());
    assert!(same, "f32 + 0.1: {got:?}, want {sum:?}");
}
