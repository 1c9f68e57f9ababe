//! MultiHeadAttention's grouped/multi-query heads, RoPE and weight dropout, and its KV cache:
//! forwards against JAX (`jax.nn.dot_product_attention` around flax's projections, from
//! tests/golden/layers.txt), decoding token by token against the causal forward on the whole
//! sequence (eager and jitted), gradients by finite differences, vmap against a loop.

use super::layers_golden::g;
use crate::common::close::{assert_close, assert_close_with, f64s, Tol};
use crate::common::panics::{assert_errors_name_function_shapes_and_caller, panic_message};
use ferrax::nn::{self, Ctx, KvCache, Linear, Module, MultiHeadAttention};
use ferrax::optim::tree_utils::tree_cast;
use ferrax::prelude::*;
use ferrax::test_util::check_grads;

fn golden_mha(case: &str, heads: usize, kv_heads: usize) -> MultiHeadAttention {
    let lin = |n: char| Linear {
        kernel: g(&format!("{case}.w{n}")),
        bias: Some(g(&format!("{case}.b{n}"))),
    };
    let dim = g(&format!("{case}.wq")).shape()[0];
    MultiHeadAttention {
        query: lin('q'),
        key: lin('k'),
        value: lin('v'),
        out: lin('o'),
        ..MultiHeadAttention::grouped(&ferrax::random::key(0), dim, heads, kv_heads)
    }
}

#[test]
fn grouped_and_multi_query_attention_match_jax() {
    let case = "mha_gqa_causal_rope";
    let m = golden_mha(case, 4, 2).causal().with_rope(10000.0);
    let y = m.forward(&g(&format!("{case}.x")), &mut Ctx::eval());
    let want = g(&format!("{case}.y"));
    assert_eq!(y.shape(), want.shape());
    assert_close_with(&f64s(&y), &f64s(&want), Tol::allclose(1e-4, 1e-4), case);
    let case = "mha_mqa";
    let m = golden_mha(case, 3, 1);
    let y = m.forward(&g(&format!("{case}.x")), &mut Ctx::eval());
    let want = g(&format!("{case}.y"));
    assert_close_with(&f64s(&y), &f64s(&want), Tol::allclose(1e-4, 1e-4), case);
}

/// A grouped, causal, RoPE layer in f64.
fn layer() -> MultiHeadAttention {
    let m = MultiHeadAttention::grouped(&ferrax::random::key(3), 8, 4, 2)
        .causal()
        .with_rope(10000.0);
    tree_cast(&m, DType::F64)
}

fn token(x: &Tensor, t: usize) -> Tensor {
    ferrax::numpy::slice_axis(x, -2, t as isize, t as isize + 1)
}

#[test]
fn kv_cache_decoding_equals_the_full_causal_sequence() {
    let m = layer();
    let (len, max_len) = (6, 9);
    let x = ferrax::random::normal_with(&ferrax::random::key(4), &[2, len, 8], DType::F64);
    let full = f64s(&m.forward(&x, &mut Ctx::eval()));
    let step = jit(|(m, x_t, c): &(MultiHeadAttention, Tensor, KvCache)| m.decode_step(x_t, c));
    let mut eager = m.init_cache(&[2], max_len, DType::F64);
    let mut jitted = eager.clone();
    let mut got_eager = vec![Vec::new(); 2];
    let mut got_jit = vec![Vec::new(); 2];
    for t in 0..len {
        let (y, c) = m.decode_step(&token(&x, t), &eager);
        eager = c;
        let (yj, cj) = step(&(m.clone(), token(&x, t), jitted.clone()));
        jitted = cj;
        assert_eq!(y.shape(), &[2, 1, 8]);
        for b in 0..2 {
            got_eager[b].extend(f64s(&y)[8 * b..8 * b + 8].to_vec());
            got_jit[b].extend(f64s(&yj)[8 * b..8 * b + 8].to_vec());
        }
    }
    let got_eager: Vec<f64> = got_eager.concat();
    let got_jit: Vec<f64> = got_jit.concat();
    assert_close(&got_eager, &full, 1e-12);
    assert_close(&got_jit, &full, 1e-12);
    assert_eq!(eager.index.item::<i32>(), len as i32);
    assert_eq!(jitted.index.item::<i32>(), len as i32);
    // The unwritten tail of the cache is still zeros.
    let keys = f64s(&ferrax::numpy::slice_axis(
        &eager.keys,
        1,
        len as isize,
        max_len as isize,
    ));
    assert!(keys.iter().all(|&v| v == 0.0));
}

#[test]
fn attention_gradients_match_finite_differences() {
    let m = layer();
    let x = ferrax::random::normal_with(&ferrax::random::key(5), &[3, 8], DType::F64);
    check_grads(
        |(m, x): &(MultiHeadAttention, Tensor)| m.forward(x, &mut Ctx::eval()),
        &(m.clone(), x.clone()),
        1,
    );
    // Through the cache too: one decode step w.r.t. the parameters, the token and the cache.
    let mut cache = m.init_cache(&[], 4, DType::F64);
    for t in 0..2 {
        cache = m.decode_step(&token(&x, t), &cache).1;
    }
    check_grads(
        |(m, x_t, keys, values): &(MultiHeadAttention, Tensor, Tensor, Tensor)| {
            let c = KvCache {
                keys: keys.clone(),
                values: values.clone(),
                index: Tensor::scalar(2i32),
            };
            m.decode_step(x_t, &c).0
        },
        &(m.clone(), token(&x, 2), cache.keys, cache.values),
        1,
    );
}

#[test]
fn attention_vmap_equals_a_loop_and_jit_equals_eager() {
    let m = layer();
    let x = ferrax::random::normal_with(&ferrax::random::key(6), &[3, 5, 8], DType::F64);
    let batched = f64s(&vmap(|x: &Tensor| m.forward(x, &mut Ctx::eval()))(&x));
    let looped: Vec<f64> = (0..3)
        .flat_map(|i| f64s(&m.forward(&x.index(ferrax::idx![i]), &mut Ctx::eval())))
        .collect();
    assert_close(&batched, &looped, 1e-12);
    let jitted = jit(|(m, x): &(MultiHeadAttention, Tensor)| m.forward(x, &mut Ctx::eval()))(&(
        m.clone(),
        x.clone(),
    ));
    assert_close(&f64s(&jitted), &looped, 1e-12);
}

#[test]
fn weight_dropout_is_active_in_training_only() {
    let m = layer();
    let x = ferrax::random::normal_with(&ferrax::random::key(7), &[4, 8], DType::F64);
    let eval = f64s(&m.forward(&x, &mut Ctx::eval()));
    let key = ferrax::random::key(8);
    // Rate 0 draws no key and changes nothing.
    assert_eq!(f64s(&m.forward(&x, &mut Ctx::train(&key))), eval);
    let d = m.clone().with_dropout(0.5);
    assert_eq!(f64s(&d.forward(&x, &mut Ctx::eval())), eval);
    let a = f64s(&d.forward(&x, &mut Ctx::train(&key)));
    let b = f64s(&d.forward(&x, &mut Ctx::train(&key)));
    assert_eq!(a, b, "the same key gives the same mask");
    assert_ne!(a, eval);
    // Rate 1 drops every weight: the output is the output projection's bias.
    let all = m.clone().with_dropout(1.0);
    let y = f64s(&all.forward(&x, &mut Ctx::train(&key)));
    let bias = f64s(all.out.bias.as_ref().unwrap());
    assert_close(&y, &bias.repeat(4), 1e-12);
}

#[test]
fn attention_errors_name_the_layer_and_shapes() {
    let m = layer();
    let cache = m.init_cache(&[2], 4, DType::F64);
    let x = Tensor::zeros(&[2, 3, 8], DType::F64);
    let cases = [
        (
            "nn::MultiHeadAttention::decode_step",
            panic_message(|| m.decode_step(&x, &cache)),
        ),
        (
            "nn::MultiHeadAttention",
            panic_message(|| {
                m.attend(
                    &x,
                    &Tensor::zeros(&[3, 8], DType::F64),
                    None,
                    &mut Ctx::eval(),
                )
            }),
        ),
    ];
    assert_errors_name_function_shapes_and_caller(&cases, "layers_attention.rs");
    let msg = panic_message(|| MultiHeadAttention::grouped(&ferrax::random::key(0), 8, 4, 3));
    assert!(msg.contains("num_kv_heads 3"), "{msg}");
    let msg = panic_message(|| {
        nn::apply_rope(
            &Tensor::zeros(&[2, 1, 3], DType::F32),
            &Tensor::zeros(&[2], DType::I32),
            1e4,
        )
    });
    assert!(
        msg.starts_with("nn::apply_rope") && msg.contains("[2,1,3]"),
        "{msg}"
    );
}
