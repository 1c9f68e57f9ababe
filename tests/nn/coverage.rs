//! The jax.nn coverage list (tests/golden/nn_coverage.txt, written by
//! tests/golden/nn_coverage.py from JAX 0.10.2 itself): every function it marks covered
//! exists in `ferrax::nn` / `ferrax::nn::init` under JAX's name (the table below calls each
//! one, so a missing name fails to compile), and every missing one says why.

use ferrax::nn::{self, init};
use ferrax::prelude::*;
use std::collections::HashMap;

type Call = fn() -> Vec<usize>;

/// Each covered name with a call of ferrax's twin (returning the result's shape).
fn twins() -> HashMap<&'static str, Call> {
    macro_rules! unary {
        ($($name:ident),* $(,)?) => {
            vec![$((concat!("nn.", stringify!($name)), (|| {
                nn::$name(&Tensor::from_vec(vec![-1.5f32, 0.0, 2.0, 7.0], &[2, 2])).shape().to_vec()
            }) as Call)),*]
        };
    }
    macro_rules! initializers {
        ($($name:ident($($arg:expr),*)),* $(,)?) => {
            vec![$((concat!("initializers.", stringify!($name)), (|| {
                init::$name($($arg),*).init(&ferrax::random::key(0), &[3, 2, 4], DType::F32).shape().to_vec()
            }) as Call)),*]
        };
    }
    let mut t: HashMap<&'static str, Call> = HashMap::new();
    t.extend(unary!(
        celu,
        elu,
        gelu,
        hard_sigmoid,
        hard_silu,
        hard_swish,
        hard_tanh,
        identity,
        leaky_relu,
        log1mexp,
        log_sigmoid,
        mish,
        relu,
        relu6,
        selu,
        sigmoid,
        silu,
        soft_sign,
        softplus,
        sparse_plus,
        sparse_sigmoid,
        squareplus,
        swish,
        tanh,
    ));
    let more: Vec<(&'static str, Call)> = vec![
        ("nn.glu", || {
            nn::glu(&Tensor::ones(&[2, 2], DType::F32), -1)
                .shape()
                .to_vec()
        }),
        ("nn.log_softmax", || {
            nn::log_softmax(&Tensor::ones(&[2, 2], DType::F32), -1)
                .shape()
                .to_vec()
        }),
        ("nn.softmax", || {
            nn::softmax(&Tensor::ones(&[2, 2], DType::F32), -1)
                .shape()
                .to_vec()
        }),
        ("nn.logsumexp", || {
            nn::logsumexp(&Tensor::ones(&[2, 2], DType::F32), -1)
                .shape()
                .to_vec()
        }),
        ("nn.logmeanexp", || {
            nn::logmeanexp(&Tensor::ones(&[2, 2], DType::F32), None)
                .shape()
                .to_vec()
        }),
        ("nn.standardize", || {
            nn::standardize(&Tensor::ones(&[2, 2], DType::F32), -1)
                .shape()
                .to_vec()
        }),
        ("nn.one_hot", || {
            nn::one_hot(&Tensor::from_vec(vec![0i32, 1], &[2]), 3)
                .shape()
                .to_vec()
        }),
        ("nn.dot_product_attention", || {
            let q = Tensor::ones(&[1, 2, 2, 4], DType::F32);
            nn::dot_product_attention(&q, &q, &q).shape().to_vec()
        }),
        ("nn.scaled_matmul", || {
            let a = Tensor::ones(&[1, 2, 4], DType::F32);
            let s = Tensor::ones(&[1, 2, 1], DType::F32);
            nn::scaled_matmul(&a, &a, &s, &s).shape().to_vec()
        }),
    ];
    t.extend(more);
    t.extend(initializers!(
        constant(0.5),
        delta_orthogonal(1.0),
        glorot_normal(),
        glorot_uniform(),
        he_normal(),
        he_uniform(),
        kaiming_normal(),
        kaiming_uniform(),
        lecun_normal(),
        lecun_uniform(),
        normal(0.01),
        ones(),
        orthogonal(1.0),
        truncated_normal(0.01),
        uniform(0.01),
        xavier_normal(),
        xavier_uniform(),
        zeros(),
    ));
    t.insert("initializers.variance_scaling", || {
        init::variance_scaling(1.0, init::FanMode::FanIn, init::Distribution::Normal)
            .init(&ferrax::random::key(0), &[3, 2, 4], DType::F32)
            .shape()
            .to_vec()
    });
    t
}

#[test]
fn every_covered_name_exists_and_every_missing_one_has_a_reason() {
    let text = include_str!("../golden/nn_coverage.txt");
    let twins = twins();
    let (mut covered, mut missing) = (0, 0);
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        if let Some(name) = line.strip_prefix("covered ") {
            let call = twins
                .get(name)
                .unwrap_or_else(|| panic!("{name} is marked covered but has no twin here"));
            call();
            covered += 1;
        } else {
            let rest = line.strip_prefix("missing ").expect("covered or missing");
            let (_, reason) = rest
                .split_once(": ")
                .expect("a missing name gives a reason");
            assert!(reason.len() > 10, "{rest}");
            missing += 1;
        }
    }
    assert_eq!(
        covered,
        twins.len(),
        "the table lists names the coverage file does not"
    );
    // jax.nn's target is 90%.
    let nn_total = text.lines().filter(|l| l.contains(" nn.")).count();
    let nn_covered = text
        .lines()
        .filter(|l| l.starts_with("covered nn."))
        .count();
    assert!(
        nn_covered * 10 >= nn_total * 9,
        "{nn_covered} of {nn_total}"
    );
    assert!(missing <= 2);
}
