//! Golden tests: printed jaxprs compared with JAX 0.10.2's text (see
//! ../shared/reference/jaxprs-jax-0.10.2.md; `out_sharding`/`sharding` params are omitted).

use ferrax::prelude::*;

fn f32s(shape: &[usize]) -> Tensor {
    Tensor::zeros(shape, DType::F32)
}

#[test]
fn issue_golden_sum_sin_mul_add() {
    let f = |(x, y): &(Tensor, Tensor)| ((x.sin() * 2.0 + y) * x).sum();
    let j = make_jaxpr(f)(&(f32s(&[3]), f32s(&[3])));
    let expected = "\
{ lambda ; a:f32[3] b:f32[3]. let
    c:f32[3] = sin a
    d:f32[3] = mul c 2.0:f32[]
    e:f32[3] = add d b
    f:f32[3] = mul e a
    g:f32[] = reduce_sum[axes=(0,)] f
  in (g,) }";
    assert_eq!(j.to_string(), expected);
}
