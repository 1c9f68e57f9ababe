//! The internal `fma` primitive (`prims/fma.rs`, what the random samplers bind where XLA
//! contracts `a * b + c`): values against `f32::mul_add`/`f64::mul_add` (one rounding, where
//! `mul` then `add` round twice), the shape rule's errors, derivatives by finite differences,
//! batching against a loop over examples, and jit against eager.

use crate::common::data::t;
use ferrax::internals::prims::fma::fma;
use ferrax::prelude::*;
use ferrax::transforms::{AxisSpec, VmapSpec};

#[test]
fn rounds_once_as_mul_add() {
    let a = t(&[4, 5], 1);
    let b = t(&[4, 5], 2);
    let c = t(&[4, 5], 3);
    let got = fma(&a, &b, &c).to_vec::<f32>();
    let (av, bv, cv) = (a.to_vec::<f32>(), b.to_vec::<f32>(), c.to_vec::<f32>());
    for i in 0..av.len() {
        assert_eq!(
            got[i].to_bits(),
            av[i].mul_add(bv[i], cv[i]).to_bits(),
            "at {i}"
        );
    }
    // A case where the single rounding shows: (1 + ε)(1 - ε) - 1 = -ε², lost by mul then add.
    let e = f32::EPSILON;
    let s = |v: f32| Tensor::scalar(v);
    let r = fma(&s(1.0 + e), &s(1.0 - e), &s(-1.0)).to_vec::<f32>()[0];
    assert_eq!(r, -(e * e));
    let split = ((1.0 + e) * (1.0 - e)) - 1.0;
    assert_eq!(split, 0.0);
    // f64, and a transposed (non-contiguous) operand read in logical order.
    let x = t(&[3, 2], 4).cast(DType::F64);
    let y = ferrax::lax::transpose(&t(&[2, 3], 5).cast(DType::F64), &[1, 0]);
    let z = t(&[3, 2], 6).cast(DType::F64);
    let got = fma(&x, &y, &z).to_vec::<f64>();
    let (xv, yv, zv) = (x.to_vec::<f64>(), y.to_vec::<f64>(), z.to_vec::<f64>());
    for i in 0..6 {
        assert_eq!(got[i].to_bits(), xv[i].mul_add(yv[i], zv[i]).to_bits());
    }
}

#[test]
#[should_panic(expected = "operands must have one type, got f32[2] and f32[3]")]
fn mismatched_shapes_panic() {
    fma(
        &Tensor::zeros(&[2], DType::F32),
        &Tensor::zeros(&[3], DType::F32),
        &Tensor::zeros(&[2], DType::F32),
    );
}

#[test]
#[should_panic(expected = "operands must be f32 or f64, got i32[2]")]
fn integer_operands_panic() {
    let i = Tensor::from_vec(vec![1i32, 2], &[2]);
    fma(&i, &i, &i);
}

#[test]
fn derivatives_match_finite_differences() {
    let x = t(&[6], 7).cast(DType::F64);
    ferrax::test_util::check_grads(
        |x: &Tensor| {
            let y = x.sin();
            (fma(x, &y, &x.exp()) * fma(&y, &y, x)).sum()
        },
        &x,
        2,
    );
    // Closed form: d/da sum(a b + c) = b.
    let (a, b) = (t(&[5], 8), t(&[5], 9));
    let g = grad(|a: &Tensor| fma(a, &b, &a.clone()).sum())(&a);
    let want: Vec<f32> = b.to_vec::<f32>().iter().map(|v| v + 1.0).collect();
    assert_eq!(g.to_vec::<f32>(), want);
}

#[test]
fn vmap_matches_a_loop_over_examples() {
    let a = t(&[4, 3], 10);
    let b = t(&[3], 11);
    let c = t(&[3, 4], 12);
    // a batched on axis 0, b unbatched, c batched on axis 1.
    let f = |(a, b, c): &(Tensor, Tensor, Tensor)| fma(a, b, c);
    let spec = VmapSpec::new().in_axes((0, AxisSpec::NotMapped, 1));
    let batched = vmap_with(f, spec)(&(a.clone(), b.clone(), c.clone()));
    assert_eq!(batched.shape(), &[4, 3]);
    for i in 0..4isize {
        let ai = ferrax::numpy::index_axis(&a, 0, i);
        let ci = ferrax::numpy::index_axis(&c, 1, i);
        let one = f(&(ai, b.clone(), ci));
        let got = ferrax::numpy::index_axis(&batched, 0, i);
        assert_eq!(got.to_vec::<f32>(), one.to_vec::<f32>(), "example {i}");
    }
}

#[test]
fn jit_equals_eager_and_prints_the_equation() {
    let (a, b, c) = (t(&[8], 13), t(&[8], 14), t(&[8], 15));
    let f = |(a, b, c): &(Tensor, Tensor, Tensor)| fma(&a.sin(), b, c) * 2.0;
    let args = (a, b, c);
    let eager = f(&args).to_vec::<f32>();
    let jitted = jit(f)(&args).to_vec::<f32>();
    assert_eq!(eager, jitted);
    let j = make_jaxpr(|(a, b, c): &(Tensor, Tensor, Tensor)| fma(a, b, c))(&args);
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[8] b:f32[8] c:f32[8]. let d:f32[8] = fma a b c in (d,) }"
    );
}
