//! `jax.nn`'s functions under the transformations: `check_grads` (finite differences, first
//! and second order) on every differentiable one away from its kinks, vmap against a loop of
//! the unbatched function, jit against eager, and the errors' messages.

use super::functions::{attention, elementwise, inputs, reduction};
use crate::common::panics::{assert_errors_name_function_shapes_and_caller, panic_message};

use ferrax::nn::{self, *};
use ferrax::prelude::*;
use ferrax::test_util::{check_grads, check_grads_with, GradCheckOptions};

/// Points in f64 at least 0.1 from every kink (-3, -1, 0, 1, 3, 6).
fn smooth_points() -> Tensor {
    Tensor::from_vec(
        vec![-7.5, -2.7, -1.3, -0.6, -0.2, 0.3, 0.8, 1.4, 2.2, 4.5, 8.0],
        &[11],
    )
}

const ELEMENTWISE: &[&str] = &[
    "relu",
    "relu6",
    "sigmoid",
    "tanh",
    "silu",
    "swish",
    "softplus",
    "log_sigmoid",
    "soft_sign",
    "sparse_plus",
    "sparse_sigmoid",
    "squareplus",
    "squareplus_b1",
    "mish",
    "elu",
    "elu_a2",
    "selu",
    "celu",
    "celu_a05",
    "leaky_relu",
    "leaky_relu_02",
    "hard_tanh",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "gelu",
    "gelu_exact",
    "identity",
];

#[test]
fn elementwise_gradients_match_finite_differences() {
    let x = smooth_points();
    for name in ELEMENTWISE {
        let f = elementwise(name);
        check_grads(f, &x, 2);
    }
    let p = Tensor::from_vec(vec![0.1f64, 0.5, 1.2, 3.0], &[4]);
    check_grads(log1mexp, &p, 2);
}

#[test]
fn reduction_gradients_match_finite_differences() {
    let mut i = inputs();
    // The golden mask leaves row 1 empty (-inf / NaN outputs, no derivative): one that
    // keeps some of every row and column.
    let w = [
        true, false, true, true, false, true, true, false, true, true, false, true,
    ];
    i.insert("W".into(), Tensor::from_vec(w.to_vec(), &[3, 4]));
    let x = i["ND"].clone();
    for case in [
        "logsumexp.N",
        "logsumexp.N_all",
        "logsumexp.N_keep",
        "logsumexp.N_sign", // `b` has negative entries: the signed form stays finite
        "logsumexp.N_where",
        "logmeanexp.N",
        "logmeanexp.N_where_keep",
        "softmax.N",
        "softmax.N0",
        "softmax.N_where",
        "softmax.N_all",
        "log_softmax.N0",
        "log_softmax.N_where",
        "standardize.N",
        "standardize.N_where",
        "standardize.N_stable",
        "glu.N",
    ] {
        // `b` is f32 in the golden file; it promotes to x's f64.
        let r = reduction(case, &i);
        let opts = GradCheckOptions {
            order: 2,
            ..Default::default()
        };
        // log_softmax's masked entries are -inf: compare the others.
        let keep = if case == "log_softmax.N_where" {
            i["W"].clone()
        } else {
            Tensor::full(&[3, 4], true, DType::Bool)
        };
        let f = move |x: &Tensor| {
            let y = r(x).remove(0);
            if y.shape() == [3, 4] {
                ferrax::numpy::where_(&keep, &y, 0.0)
            } else {
                y
            }
        };
        if let Err(e) = check_grads_with(f, &x, &opts) {
            panic!("{case}: {e}");
        }
    }
}

#[test]
fn attention_gradients_match_finite_differences() {
    let i = inputs();
    let qkv = (i["Q"].clone(), i["K"].clone(), i["V"].clone());
    // The softmax runs in f32 as in JAX, so finite differences need a larger step and f32's
    // tolerance with some room.
    let opts = GradCheckOptions {
        eps: 3e-3,
        atol: Some(5e-3),
        rtol: Some(5e-3),
        ..Default::default()
    };
    for case in [
        "plain", "bias", "mask", "causal", "lengths", "window", "all",
    ] {
        if let Err(e) = check_grads_with(attention(case, &i), &qkv, &opts) {
            panic!("attention {case}: {e}");
        }
    }
}

/// A named function of one tensor.
type Unary = Box<dyn Fn(&Tensor) -> Tensor>;

#[test]
fn vmap_equals_a_loop() {
    let i = inputs();
    let t = i["T"].clone();
    let per_example = |f: &dyn Fn(&Tensor) -> Tensor, xs: &Tensor| {
        let rows: Vec<Tensor> = (0..xs.shape()[0])
            .map(|j| f(&xs.index(ferrax::idx![j])))
            .collect();
        ferrax::numpy::stack(&rows, 0)
    };
    let w = Tensor::from_vec(
        vec![
            true, false, true, true, true, false, false, true, true, true, true, false,
        ],
        &[3, 4],
    );
    let fs: Vec<(&str, Unary)> = vec![
        ("mish", Box::new(nn::mish)),
        ("relu6", Box::new(nn::relu6)),
        (
            "softmax_where",
            Box::new(move |x: &Tensor| {
                softmax_with(
                    x,
                    None,
                    SoftmaxOptions {
                        where_: Some(w.clone()),
                    },
                )
            }),
        ),
        (
            "logsumexp_sign",
            Box::new(|x: &Tensor| {
                let b = Tensor::from_vec(vec![1.0f32, -2.0, 0.5, 0.0], &[4]);
                let o = LogSumExpOptions {
                    b: Some(b),
                    ..Default::default()
                };
                logsumexp_with_sign(x, Some(&[1]), o).0
            }),
        ),
        ("standardize", Box::new(|x: &Tensor| standardize(x, 0))),
        ("glu", Box::new(|x: &Tensor| glu(x, 1))),
    ];
    for (name, f) in &fs {
        let batched = vmap(|x: &Tensor| f(x))(&t);
        let looped = per_example(f.as_ref(), &t);
        assert_eq!(batched.shape(), looped.shape(), "{name}");
        let (a, b) = (batched.to_vec::<f32>(), looped.to_vec::<f32>());
        for (j, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-6 * (1.0 + y.abs()),
                "{name}[{j}]: {x} vs {y}"
            );
        }
    }
    // one_hot of integer rows
    let ids = i["I"].clone();
    let batched = vmap(|x: &Tensor| one_hot(x, 4))(&ids);
    let looped = per_example(&|x: &Tensor| one_hot(x, 4), &ids);
    assert_eq!(batched.to_vec::<f32>(), looped.to_vec::<f32>());
    // unbatched attention over the batch axis equals the batched call
    let (q, k, v) = (i["Q"].clone(), i["K"].clone(), i["V"].clone());
    let opts = AttentionOptions {
        is_causal: true,
        ..Default::default()
    };
    let batched = vmap(|p: &(Tensor, Tensor, Tensor)| {
        dot_product_attention_with(&p.0, &p.1, &p.2, opts.clone())
    })(&(q.clone(), k.clone(), v.clone()));
    let direct = dot_product_attention_with(&q, &k, &v, opts.clone());
    let (a, b) = (batched.to_vec::<f32>(), direct.to_vec::<f32>());
    for (x, y) in a.iter().zip(&b) {
        assert!(
            (x - y).abs() <= 1e-6 * (1.0 + y.abs()),
            "attention: {x} vs {y}"
        );
    }
}

#[test]
fn jit_equals_eager() {
    let i = inputs();
    let x = i["N"].clone();
    let qkv = (i["Q"].clone(), i["K"].clone(), i["V"].clone());
    for name in [
        "gelu",
        "selu",
        "softplus",
        "hard_silu",
        "sparse_plus",
        "celu_a05",
    ] {
        let f = elementwise(name);
        assert_eq!(jit(f)(&x).to_vec::<f32>(), f(&x).to_vec::<f32>(), "{name}");
        let g = grad(move |x: &Tensor| f(x).sum());
        let jg = jit(grad(move |x: &Tensor| f(x).sum()));
        let (a, b) = (jg(&x).to_vec::<f32>(), g(&x).to_vec::<f32>());
        for (p, q) in a.iter().zip(&b) {
            assert!(
                (p - q).abs() <= 1e-6 * (1.0 + q.abs()),
                "grad {name}: {p} vs {q}"
            );
        }
    }
    for case in [
        "logsumexp.N_b_where",
        "log_softmax.N_where",
        "standardize.N_where",
    ] {
        let r = reduction(case, &i);
        let eager = r(&x).remove(0).to_vec::<f32>();
        let r = reduction(case, &i);
        let jitted = jit(move |x: &Tensor| r(x).remove(0))(&x).to_vec::<f32>();
        for (p, q) in jitted.iter().zip(&eager) {
            let same =
                p == q || (p.is_nan() && q.is_nan()) || (p - q).abs() <= 1e-6 * (1.0 + q.abs());
            assert!(same, "{case}: {p} vs {q}");
        }
    }
    let f = attention("all", &i);
    let eager = f(&qkv).to_vec::<f32>();
    let f = attention("all", &i);
    let jitted = jit(f)(&qkv).to_vec::<f32>();
    for (p, q) in jitted.iter().zip(&eager) {
        assert!(
            (p - q).abs() <= 1e-6 * (1.0 + q.abs()),
            "attention: {p} vs {q}"
        );
    }
}

#[test]
fn bad_inputs_name_the_function_the_shapes_and_the_caller() {
    let x = Tensor::ones(&[2, 3], DType::F32);
    let q = Tensor::ones(&[1, 2, 3, 4], DType::F32);
    let k = Tensor::ones(&[1, 5, 2, 4], DType::F32);
    let cases = vec![
        ("nn::glu", panic_message(|| glu(&x, 1))),
        (
            "nn::softmax",
            panic_message(|| {
                let w = Tensor::ones(&[3, 2], DType::Bool);
                softmax_with(&x, None, SoftmaxOptions { where_: Some(w) })
            }),
        ),
        (
            "nn::dot_product_attention",
            panic_message(|| dot_product_attention(&q, &k, &k)),
        ),
        (
            "nn::dot_product_attention",
            panic_message(|| {
                let o = AttentionOptions {
                    query_seq_lengths: Some(Tensor::from_vec(vec![1i32, 2], &[2])),
                    ..Default::default()
                };
                dot_product_attention_with(&q, &q, &q, o)
            }),
        ),
        (
            "nn::scaled_matmul",
            panic_message(|| scaled_matmul(&q, &q, &q, &q)),
        ),
    ];
    assert_errors_name_function_shapes_and_caller(&cases, "functions_transforms.rs");
}
