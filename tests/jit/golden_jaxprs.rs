//! Golden tests: ferrax's printed jaxprs compared, character for character, with what JAX
//! 0.10.2 prints for the same functions (tests/golden/jaxprs.txt, made by
//! tests/golden/make_jaxprs.py; JAX's sharding params are stripped there, as ferrax omits them).

use ferrax::nn;
use ferrax::prelude::*;

fn expected(name: &str) -> String {
    let all = include_str!("../golden/jaxprs.txt");
    let start = all
        .find(&format!("## {name}\n"))
        .unwrap_or_else(|| panic!("no golden named {name}"));
    let body = &all[start + name.len() + 4..];
    let end = body.find("\n\n").unwrap_or(body.len());
    body[..end].to_string()
}

fn f32s(shape: &[usize]) -> Tensor {
    Tensor::zeros(shape, DType::F32)
}

#[test]
fn issue_sum_sin_mul_add() {
    let f = |(x, y): &(Tensor, Tensor)| ((x.sin() * 2.0 + y) * x).sum();
    let j = make_jaxpr(f)(&(f32s(&[3]), f32s(&[3])));
    assert_eq!(j.to_string(), expected("issue_sum_sin_mul_add"));
}

#[test]
fn matmul_bias_tanh() {
    let f = |(x, w, b): &(Tensor, Tensor, Tensor)| (x.matmul(w) + b).tanh();
    let j = make_jaxpr(f)(&(f32s(&[2, 3]), f32s(&[3, 4]), f32s(&[4])));
    assert_eq!(j.to_string(), expected("matmul_bias_tanh"));
}

#[test]
fn dot_general_with_batch_dims() {
    let f = |(a, b): &(Tensor, Tensor)| a.matmul(b);
    let j = make_jaxpr(f)(&(f32s(&[2, 3, 4]), f32s(&[2, 4, 5])));
    assert_eq!(j.to_string(), expected("batched_matmul"));
}

#[test]
fn non_scalar_captured_constant() {
    let c = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let j = make_jaxpr(|x: &Tensor| x * &c + 1.0)(&f32s(&[3]));
    assert_eq!(j.to_string(), expected("captured_const"));
    assert_eq!(j.consts[0].to_vec::<f32>(), vec![1.0, 2.0, 3.0]);
}

#[test]
fn broadcast_add() {
    let j = make_jaxpr(|(a, b): &(Tensor, Tensor)| a + b)(&(f32s(&[2, 3]), f32s(&[3])));
    assert_eq!(j.to_string(), expected("broadcast_add"));
}

#[test]
fn reshape_transpose() {
    let j = make_jaxpr(|x: &Tensor| x.reshape(&[3, 2]).t())(&f32s(&[2, 3]));
    assert_eq!(j.to_string(), expected("reshape_transpose"));
}

#[test]
fn sum_axis_mean() {
    let j = make_jaxpr(|x: &Tensor| (x.sum_axes(&[1]), x.mean()))(&f32s(&[2, 3]));
    assert_eq!(j.to_string(), expected("sum_axis_mean"));
}

#[test]
fn max_argmax() {
    let j = make_jaxpr(|x: &Tensor| (x.max_axes(&[0]), x.argmax(1)))(&f32s(&[2, 3]));
    assert_eq!(j.to_string(), expected("max_argmax"));
}

#[test]
fn log_softmax() {
    let j = make_jaxpr(|x: &Tensor| nn::log_softmax(x, -1))(&f32s(&[2, 3]));
    assert_eq!(j.to_string(), expected("log_softmax"));
}

#[test]
fn exp_log_sqrt() {
    let j = make_jaxpr(|x: &Tensor| (x.exp() + 1.0).log().sqrt())(&f32s(&[3]));
    assert_eq!(j.to_string(), expected("exp_log_sqrt"));
}

#[test]
fn integer_pow_square() {
    let j = make_jaxpr(|x: &Tensor| (x.powi(3), x.square()))(&f32s(&[3]));
    assert_eq!(j.to_string(), expected("integer_pow_square"));
}

#[test]
fn relu_is_a_custom_jvp_call() {
    // JAX (reference relu_custom_jvp) wraps the body in an inner `jit[name=relu ...]`, which
    // ferrax inlines; otherwise the same equation.
    let j = make_jaxpr(|x: &Tensor| nn::relu(x))(&f32s(&[3]));
    let expected = "\
{ lambda ; a:f32[3]. let
    b:f32[3] = custom_jvp_call[
      name=relu
      call_jaxpr={ lambda ; c:f32[3]. let d:f32[3] = max c 0.0:f32[] in (d,) }
      jvp=jvp
      symbolic_zeros=False
    ] a
  in (b,) }";
    assert_eq!(j.to_string(), expected);
}
