//! `jax.nn`'s functions against JAX 0.10.2 (tests/golden/nn_functions.txt, written by
//! tests/golden/make_nn_functions.py): every function's values on inputs with the kinks,
//! tiny and huge magnitudes, NaN and ±inf, and JAX's derivatives (its custom JVPs at the
//! kinks included); dtype and shape exactly, values within a few ulps.

use crate::common::golden::{self, dtype_name, Golden};
use std::collections::HashMap;

use ferrax::nn::{self, *};
use ferrax::prelude::*;

pub(crate) fn golden() -> Vec<(String, Golden)> {
    golden::arrays(include_str!("../golden/nn_functions.txt"))
}

pub(crate) fn inputs() -> HashMap<String, Tensor> {
    golden::inputs_of(golden())
}

/// The elementwise function named `name` in the golden file.
pub(crate) fn elementwise(name: &str) -> fn(&Tensor) -> Tensor {
    try_elementwise(name).unwrap_or_else(|| panic!("no elementwise function {name}"))
}

fn try_elementwise(name: &str) -> Option<fn(&Tensor) -> Tensor> {
    Some(match name {
        "relu" => nn::relu,
        "relu6" => relu6,
        "sigmoid" => nn::sigmoid,
        "tanh" => nn::tanh,
        "silu" => silu,
        "swish" => swish,
        "softplus" => softplus,
        "log_sigmoid" => log_sigmoid,
        "soft_sign" => soft_sign,
        "sparse_plus" => sparse_plus,
        "sparse_sigmoid" => sparse_sigmoid,
        "squareplus" => squareplus,
        "squareplus_b1" => |x| squareplus_with(x, SquareplusOptions { b: 1.0 }),
        "mish" => mish,
        "elu" => elu,
        "elu_a2" => |x| elu_with(x, AlphaOptions { alpha: 2.0 }),
        "selu" => selu,
        "celu" => celu,
        "celu_a05" => |x| celu_with(x, AlphaOptions { alpha: 0.5 }),
        "leaky_relu" => leaky_relu,
        "leaky_relu_02" => |x| {
            leaky_relu_with(
                x,
                LeakyReluOptions {
                    negative_slope: 0.2,
                },
            )
        },
        "hard_tanh" => hard_tanh,
        "hard_sigmoid" => hard_sigmoid,
        "hard_silu" => hard_silu,
        "hard_swish" => hard_swish,
        "gelu" => gelu,
        "gelu_exact" => |x| gelu_with(x, GeluOptions { approximate: false }),
        "identity" => identity,
        "log1mexp" => log1mexp,
        _ => return None,
    })
}

type Reduction = Box<dyn Fn(&Tensor) -> Vec<Tensor>>;

/// The reduction case `case` (`function.input_variant`) as a function of its input.
pub(crate) fn reduction(case: &str, i: &HashMap<String, Tensor>) -> Reduction {
    let w = i["W"].clone();
    let lse = |axis: Option<&'static [isize]>, o: LogSumExpOptions| -> Reduction {
        Box::new(move |x: &Tensor| vec![logsumexp_with(x, axis, o.clone())])
    };
    let sm = |axis: Option<&'static [isize]>, w: Option<Tensor>, log: bool| -> Reduction {
        Box::new(move |x: &Tensor| {
            let o = SoftmaxOptions { where_: w.clone() };
            vec![if log {
                log_softmax_with(x, axis, o)
            } else {
                softmax_with(x, axis, o)
            }]
        })
    };
    let st = |axis: Option<&'static [isize]>, o: StandardizeOptions| -> Reduction {
        Box::new(move |x: &Tensor| vec![standardize_with(x, axis, o.clone())])
    };
    let wb = |b: bool, w: bool| LogSumExpOptions {
        b: b.then(|| i["B"].clone()),
        where_: w.then(|| i["W"].clone()),
        keepdims: false,
    };
    match case {
        "logsumexp.M" | "logsumexp.N" => Box::new(|x| vec![logsumexp(x, -1)]),
        "logsumexp.N_all" => lse(None, wb(false, false)),
        "logsumexp.N_keep" => lse(
            Some(&[0]),
            LogSumExpOptions {
                keepdims: true,
                ..Default::default()
            },
        ),
        "logsumexp.N_b" => lse(Some(&[1]), wb(true, false)),
        "logsumexp.N_where" | "logsumexp.M_where" => lse(Some(&[1]), wb(false, true)),
        "logsumexp.N_b_where" => lse(Some(&[1]), wb(true, true)),
        "logsumexp.N_sign" => {
            let o = wb(true, false);
            Box::new(move |x| {
                let (y, s) = logsumexp_with_sign(x, Some(&[1]), o.clone());
                vec![y, s]
            })
        }
        "logsumexp.T_axes" => lse(Some(&[0, 2]), wb(false, false)),
        "logmeanexp.N" => Box::new(|x| vec![logmeanexp(x, Some(&[1]))]),
        "logmeanexp.N_where_keep" => Box::new(move |x| {
            let o = LogMeanExpOptions {
                where_: Some(w.clone()),
                keepdims: true,
            };
            vec![logmeanexp_with(x, Some(&[0]), o)]
        }),
        "softmax.M" | "softmax.N" => Box::new(|x| vec![softmax(x, -1)]),
        "softmax.N0" => Box::new(|x| vec![x.softmax(0)]),
        "softmax.N_where" => sm(Some(&[-1]), Some(w), false),
        "softmax.N_all" => sm(None, None, false),
        "softmax.T_axes" => sm(Some(&[1, 2]), None, false),
        "log_softmax.M" => Box::new(|x| vec![log_softmax(x, -1)]),
        "log_softmax.N0" => Box::new(|x| vec![x.log_softmax(0)]),
        "log_softmax.N_where" => sm(Some(&[-1]), Some(w), true),
        "log_softmax.T_axes" => sm(Some(&[0, 1]), None, true),
        "standardize.N" => Box::new(|x| vec![standardize(x, -1)]),
        "standardize.N0" => Box::new(|x| vec![standardize(x, 0)]),
        "standardize.N_where" => st(
            Some(&[-1]),
            StandardizeOptions {
                where_: Some(w),
                ..Default::default()
            },
        ),
        "standardize.N_stable" => st(
            Some(&[-1]),
            StandardizeOptions {
                stable: true,
                epsilon: 0.1,
                ..Default::default()
            },
        ),
        "standardize.N_given" => st(
            Some(&[-1]),
            StandardizeOptions {
                mean: Some(Tensor::scalar(0.5f32)),
                variance: Some(Tensor::scalar(2.0f32)),
                ..Default::default()
            },
        ),
        "standardize.T_axes" => st(Some(&[0, 2]), StandardizeOptions::default()),
        "glu.N" => Box::new(|x| vec![glu(x, -1)]),
        "glu.T0" => Box::new(|x| vec![glu(&x.index(ferrax::idx![.., ..2]), 1)]),
        c => panic!("no reduction case {c}"),
    }
}

/// The attention case `case` as a function of `(q, k, v)`.
pub(crate) fn attention(
    case: &str,
    i: &HashMap<String, Tensor>,
) -> impl Fn(&(Tensor, Tensor, Tensor)) -> Tensor + use<> {
    let o = attention_options(case, i);
    move |(q, k, v): &(Tensor, Tensor, Tensor)| dot_product_attention_with(q, k, v, o.clone())
}

/// The keyword arguments of the attention case `case`.
fn attention_options(case: &str, i: &HashMap<String, Tensor>) -> AttentionOptions {
    match case {
        "plain" => AttentionOptions::default(),
        "bias" => AttentionOptions {
            bias: Some(i["BIAS"].clone()),
            ..Default::default()
        },
        "mask" => AttentionOptions {
            mask: Some(i["MASK"].clone()),
            ..Default::default()
        },
        "causal" => AttentionOptions {
            is_causal: true,
            scale: Some(0.3),
            ..Default::default()
        },
        "lengths" => AttentionOptions {
            query_seq_lengths: Some(i["QLEN"].clone()),
            key_value_seq_lengths: Some(i["KVLEN"].clone()),
            ..Default::default()
        },
        "window" => AttentionOptions {
            local_window_size: Some((1, 0)),
            ..Default::default()
        },
        "all" => AttentionOptions {
            bias: Some(i["BIAS"].clone()),
            mask: Some(i["MASK"].clone()),
            is_causal: true,
            query_seq_lengths: Some(i["QLEN"].clone()),
            key_value_seq_lengths: Some(i["KVLEN"].clone()),
            ..Default::default()
        },
        c => panic!("no attention case {c}"),
    }
}

/// ferrax's outputs for the golden `f.` case `name` (without the `.i` output index).
fn run(name: &str, i: &HashMap<String, Tensor>) -> Vec<Tensor> {
    let (func, case) = name.split_once('.').unwrap();
    let (q, k, v) = (i["Q"].clone(), i["K"].clone(), i["V"].clone());
    match func {
        "one_hot" => {
            let x = &i["I"];
            vec![match case {
                "I" => one_hot(x, 4),
                "I_axis0" => one_hot_with(
                    x,
                    4,
                    OneHotOptions {
                        axis: 0,
                        ..Default::default()
                    },
                ),
                "I_i32_axis1" => one_hot_with(
                    x,
                    3,
                    OneHotOptions {
                        dtype: DType::I32,
                        axis: 1,
                    },
                ),
                c => panic!("no one_hot case {c}"),
            }]
        }
        "attention" if case == "residual" => {
            let (y, lse) =
                dot_product_attention_with_residual(&q, &k, &v, attention_options("all", i));
            vec![y, lse]
        }
        "attention" if case == "residual_unbatched" => {
            let at = |t: &Tensor| t.index(ferrax::idx![1]);
            let (y, lse) =
                dot_product_attention_with_residual(&at(&q), &at(&k), &at(&v), Default::default());
            vec![y, lse]
        }
        "attention" => vec![match case {
            "mha" => dot_product_attention(&q, &i["KF"], &i["KF"]),
            "unbatched" => dot_product_attention(
                &q.index(ferrax::idx![0]),
                &k.index(ferrax::idx![0]),
                &v.index(ferrax::idx![0]),
            ),
            c => attention(c, i)(&(q, k, v)),
        }],
        "scaled_matmul" => vec![scaled_matmul(&i["SA"], &i["SB"], &i["SSA"], &i["SSB"])],
        "logsumexp" | "softmax" | "standardize" if case == "ND" => {
            reduction(&format!("{func}.N"), i)(&i[case])
        }
        _ if try_elementwise(func).is_some() => vec![elementwise(func)(&i[case])],
        _ => {
            let input = &i[&case[..1]];
            reduction(name, i)(input)
        }
    }
}

/// `|got - want| <= rtol |want| + atol` elementwise (NaNs and infinities must match);
/// the mismatches, described.
pub(crate) fn golden_mismatches(
    name: &str,
    got: &Tensor,
    want: &Golden,
    rtol: f64,
    atol: f64,
) -> Vec<String> {
    if dtype_name(got.dtype()) != want.dtype || got.shape() != &want.shape[..] {
        return vec![format!(
            "{name}: got {}, JAX {}{:?}",
            got.aval(),
            want.dtype,
            want.shape
        )];
    }
    let got = got.cast(DType::F64).to_vec::<f64>();
    let mut bad = Vec::new();
    for (j, (&g, &w)) in got.iter().zip(&want.values).enumerate() {
        let ok = if w.is_nan() {
            g.is_nan()
        } else if w.is_infinite() {
            g == w
        } else {
            (g - w).abs() <= rtol * w.abs() + atol
        };
        if !ok {
            bad.push(format!("{name}[{j}]: got {g:e}, JAX {w:e}"));
        }
    }
    bad
}

/// The tolerance `(rtol, atol)` of a golden array: a few ulps of its dtype, relative to the
/// value and absolute at the scale of the O(1) intermediates (`1 + tanh`, `1 - tanh²` cancel,
/// so a one-ulp difference in `tanh` shows there); attention sums in another order than XLA
/// and `standardize`'s derivative goes through the cancelling `mean(x²) - mean²`.
pub(crate) fn tolerance(name: &str, dtype: &str) -> (f64, f64) {
    let attention = name.contains("attention") || name.contains("scaled_matmul");
    if name.starts_with("d.standardize") && dtype == "f32" {
        return (5e-5, 1e-6);
    }
    match (dtype, attention) {
        ("f64", _) => (1e-13, 2e-14),
        (_, true) => (2e-5, 2e-6),
        _ => (4e-6, 4e-7),
    }
}

#[test]
fn values_match_jax() {
    let i = inputs();
    let g = golden();
    let mut checked = 0;
    let mut outputs: HashMap<String, Vec<Tensor>> = HashMap::new();
    let mut bad = Vec::new();
    for (name, want) in &g {
        let Some(case) = name.strip_prefix("f.") else {
            continue;
        };
        let (base, idx) = match case.rsplit_once('.') {
            Some((b, n)) if n.parse::<usize>().is_ok() => (b.to_string(), n.parse().unwrap()),
            _ => (case.to_string(), 0),
        };
        let outs = outputs
            .entry(base.clone())
            .or_insert_with(|| run(&base, &i));
        let (rtol, atol) = tolerance(name, &want.dtype);
        bad.extend(golden_mismatches(name, &outs[idx], want, rtol, atol));
        checked += 1;
    }
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(checked > 120, "only {checked} golden arrays checked");
}

/// `grad(x -> sum(f(x) * c))` as the golden file's `d.` cases define it.
fn weighted_grad(f: &dyn Fn(&Tensor) -> Tensor, x: &Tensor) -> Tensor {
    grad(|x: &Tensor| {
        let y = f(x);
        let c: Vec<f32> = (0..y.size()).map(|j| (j as f64).cos() as f32).collect();
        let shape = y.shape().to_vec();
        (y * Tensor::from_vec(c, &shape).cast(x.dtype())).sum()
    })(x)
}

#[test]
fn derivatives_match_jax_including_the_kinks() {
    let i = inputs();
    let mut checked = 0;
    let mut bad = Vec::new();
    for (name, want) in golden() {
        let Some(case) = name.strip_prefix("d.") else {
            continue;
        };
        let (func, rest) = case.split_once('.').unwrap();
        let (rtol, atol) = tolerance(&name, &want.dtype);
        let got = if func == "attention" {
            let (c, arg) = rest.split_once('.').unwrap();
            let f = attention(c, &i);
            let ca = i["C_att"].clone();
            let qkv = (i["Q"].clone(), i["K"].clone(), i["V"].clone());
            let g: (Tensor, Tensor, Tensor) =
                grad(|p: &(Tensor, Tensor, Tensor)| (f(p) * &ca).sum())(&qkv);
            [g.0, g.1, g.2][arg.parse::<usize>().unwrap()].clone()
        } else if try_elementwise(func).is_some() {
            let f = elementwise(func);
            grad(move |x: &Tensor| f(x).sum())(&i[rest])
        } else {
            let r = reduction(case, &i);
            weighted_grad(&|x: &Tensor| r(x).remove(0), &i[&rest[..1]])
        };
        bad.extend(golden_mismatches(&name, &got, &want, rtol, atol));
        checked += 1;
    }
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(checked > 80, "only {checked} derivatives checked");
}
