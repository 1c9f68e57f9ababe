//! Random straight-line programs built from ferrax's primitive families, shared by
//! `tests/jit/equals_eager.rs` (jit vs eager) and `tests/jit/passes.rs` (passes keep values).
//!
//! A program is a list of steps over a pool of values (the inputs first). Each step picks
//! its operands from the pool by index and pushes one or more results. What a step does
//! depends only on its operands' shapes and dtypes, never on their values, so the same
//! program runs eagerly, under `jit`, `grad`, `vmap` and `make_jaxpr`.

#![allow(dead_code)]

use ferrax::core::Shape;
use ferrax::lax::{self, ConvDimensionNumbers, ConvParams, WindowKind};
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use ferrax::random;
use ferrax::transforms::{custom_jvp, custom_vjp};
use proptest::prelude::*;

mod checks;
mod pass_checks;
#[allow(unused_imports)]
pub use checks::*;
#[allow(unused_imports)]
pub use pass_checks::*;

/// One step: an opcode and three selector bytes (operand indices and variants).
#[derive(Clone, Copy, Debug)]
pub struct Step {
    pub op: u8,
    pub a: u8,
    pub b: u8,
    pub c: u8,
}

/// How many opcodes [`apply`] knows.
pub const NUM_OPS: u8 = 28;

/// The opcodes' names (for failure messages).
pub const OP_NAMES: [&str; NUM_OPS as usize] = [
    "unary",
    "binary",
    "compare+where",
    "clamp/select_n",
    "reduce",
    "broadcast",
    "reshape",
    "transpose",
    "slice/pad/rev",
    "concatenate",
    "dot_general",
    "cumulative",
    "take(gather)",
    "dynamic_slice",
    "scatter_add",
    "sort",
    "integer_pow",
    "conv",
    "reduce_window",
    "cond",
    "scan",
    "fori/while",
    "bits/threefry",
    "custom/checkpoint/jit",
    "scan(nested step)",
    "cond(nested steps)",
    "scatter family (x.at[])",
    "top_k/reduce_and,or,xor/reduce_precision/optimization_barrier/einsum/erfc/igamma,igammac/rng_bit_generator",
];

/// A random program: its inputs' shapes and dtypes and its steps.
#[derive(Clone, Debug)]
pub struct Program {
    pub inputs: Vec<(Vec<usize>, DType)>,
    pub steps: Vec<Step>,
    /// Leave out steps that reverse mode cannot differentiate (`while_loop`).
    pub grad_safe: bool,
    /// Return every value the steps made (else only the last two).
    pub all_outputs: bool,
    /// Largest value (in elements) a step may leave in the pool; see `bound_size`.
    pub max_size: usize,
}

const SHAPES: [&[usize]; 7] = [&[], &[3], &[2, 3], &[3, 3], &[4, 2], &[2, 3, 2], &[1, 4]];

/// `default` proptest cases, or `PROPTEST_CASES` when set (for a longer soak).
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A proptest strategy for programs with 1–3 inputs (f32, or one f64 / i32 input when
/// `mixed`) and `1..max_steps` steps drawn from every opcode.
pub fn programs(max_steps: usize, mixed: bool) -> impl Strategy<Value = Program> {
    let input = (0..SHAPES.len(), 0u8..6).prop_map(move |(s, d)| {
        let dtype = match (mixed, d) {
            (true, 4) => DType::F64,
            (true, 5) => DType::I32,
            _ => DType::F32,
        };
        (SHAPES[s].to_vec(), dtype)
    });
    let step = (0..NUM_OPS, any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(op, a, b, c)| Step {
        op,
        a,
        b,
        c,
    });
    (
        proptest::collection::vec(input, 1..4),
        proptest::collection::vec(step, 1..max_steps),
    )
        .prop_map(|(inputs, steps)| Program {
            inputs,
            steps,
            grad_safe: false,
            all_outputs: true,
            max_size: 256,
        })
}

/// Opcodes for large inputs: the elementwise families (what fusion and the chunked kernels
/// handle, listed twice to make chains likely), reductions, shape ops, dot, cumulative,
/// take, sort and reduce_window (whose kernels split large work across threads).
pub const BIG_OPS: [u8; 20] = [
    0, 1, 2, 3, 16, 0, 1, 2, 3, 16, 4, 6, 7, 8, 9, 10, 11, 12, 15, 18,
];

/// Small programs dense in elementwise steps over shapes with size-1 dims (which binary ops
/// stretch), with reductions and reshapes between: the graphs elementwise fusion must
/// order correctly.
pub fn dense_programs(max_steps: usize) -> impl Strategy<Value = Program> {
    const SHAPES: [&[usize]; 4] = [&[4, 3], &[4, 1], &[1, 3], &[3]];
    const OPS: [u8; 10] = [0, 1, 2, 3, 16, 0, 1, 1, 4, 6];
    let input = (0..SHAPES.len()).prop_map(|s| (SHAPES[s].to_vec(), DType::F32));
    let step =
        (0..OPS.len(), any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(k, a, b, c)| Step {
            op: OPS[k],
            a,
            b,
            c,
        });
    (
        proptest::collection::vec(input, 1..4),
        proptest::collection::vec(step, 2..max_steps),
    )
        .prop_map(|(inputs, steps)| Program {
            inputs,
            steps,
            grad_safe: true,
            all_outputs: false,
            max_size: 256,
        })
}

/// Programs over large inputs (above one 1024-element chunk, with ragged tails, up to the
/// sizes the interpreter splits across threads) from [`BIG_OPS`] only.
pub fn big_programs(max_steps: usize) -> impl Strategy<Value = Program> {
    const BIG: [&[usize]; 4] = [&[1027], &[33, 65], &[257, 130], &[3, 40_001]];
    let input = (0..BIG.len(), any::<bool>()).prop_map(|(s, f64)| {
        let dtype = if f64 { DType::F64 } else { DType::F32 };
        (BIG[s].to_vec(), dtype)
    });
    let step =
        (0..BIG_OPS.len(), any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(k, a, b, c)| Step {
            op: BIG_OPS[k],
            a,
            b,
            c,
        });
    (
        proptest::collection::vec(input, 1..3),
        proptest::collection::vec(step, 2..max_steps),
    )
        .prop_map(|(inputs, steps)| Program {
            inputs,
            steps,
            grad_safe: false,
            all_outputs: true,
            max_size: 1 << 17,
        })
}

impl Program {
    /// Runs the program on `xs` (one tensor per input).
    pub fn run(&self, xs: &[Tensor]) -> Vec<Tensor> {
        assert_eq!(xs.len(), self.inputs.len(), "program input count");
        let mut pool: Vec<Tensor> = xs.to_vec();
        for s in &self.steps {
            // Bool values (comparison results) take part as i32.
            let pick = |i: u8| {
                let t = &pool[i as usize % pool.len()];
                if t.dtype() == DType::Bool {
                    t.cast(DType::I32)
                } else {
                    t.clone()
                }
            };
            let (x, y) = (pick(s.a), pick(s.b));
            for t in apply(s, &x, &y, self.grad_safe) {
                pool.push(bound_size(t, self.max_size));
            }
        }
        if self.all_outputs {
            pool.split_off(xs.len().min(pool.len() - 1))
        } else {
            let n = pool.len();
            pool[n.saturating_sub(2)..].to_vec()
        }
    }

    /// A scalar f32 loss of the outputs (for `grad`): the sum of `sin` of every float output.
    pub fn loss(&self, xs: &[Tensor]) -> Tensor {
        self.run(xs)
            .iter()
            .filter(|t| t.dtype().is_float())
            .fold(Tensor::scalar(0.0f32), |acc, t| {
                acc + t.sin().sum().cast(DType::F32)
            })
    }

    /// Deterministic input values for `seed` (floats in [-1.5, 1.5), ints in [-4, 4]);
    /// `batch` prepends a leading dimension (for `vmap`).
    pub fn args(&self, seed: u64, batch: Option<usize>) -> Vec<Tensor> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(7);
        let mut next = move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64) / ((1u64 << 53) as f64)
        };
        self.inputs
            .iter()
            .map(|(shape, dtype)| {
                let mut shape = shape.clone();
                if let Some(b) = batch {
                    shape.insert(0, b);
                }
                let n: usize = shape.iter().product();
                let vals: Vec<f64> = (0..n)
                    .map(|_| match dtype {
                        DType::I32 => (next() * 9.0).floor() - 4.0,
                        _ => next() * 3.0 - 1.5,
                    })
                    .collect();
                Tensor::from_f64_values(&vals, &shape, *dtype)
            })
            .collect()
    }

    /// Which opcodes the program uses, by name (for failure messages).
    pub fn describe(&self) -> String {
        let names: Vec<&str> = self
            .steps
            .iter()
            .map(|s| OP_NAMES[(s.op % NUM_OPS) as usize])
            .collect();
        format!("inputs {:?}, steps {:?}", self.inputs, names)
    }
}

/// Keeps values small and non-empty: an empty value becomes its (zero) sum, and leading
/// axes are summed away while a value has more than `max` elements.
fn bound_size(mut t: Tensor, max: usize) -> Tensor {
    if t.size() == 0 {
        let t = if t.dtype() == DType::Bool {
            t.cast(DType::I32)
        } else {
            t
        };
        return t.sum();
    }
    while t.size() > max && t.ndim() > 0 {
        t = t.sum_axes(&[0]);
    }
    t
}

fn float(x: &Tensor) -> Tensor {
    if x.dtype().is_float() {
        x.clone()
    } else {
        x.cast(DType::F32)
    }
}

fn at_least_1d(x: &Tensor) -> Tensor {
    if x.ndim() == 0 {
        x.reshape(&[1])
    } else {
        x.clone()
    }
}

fn scalar_like(v: f64, x: &Tensor) -> Tensor {
    Tensor::from_f64_values(&[v], &[], x.dtype())
}

/// `y`'s elements (cycled, in row-major order) in `shape`, with `y`'s dtype.
pub fn adapt(y: &Tensor, shape: &[usize]) -> Tensor {
    if y.shape() == shape {
        return y.clone();
    }
    let m: usize = shape.iter().product();
    let flat = y.reshape(&[-1]);
    let n = flat.shape()[0];
    if n == 0 {
        return Tensor::zeros(shape, y.dtype());
    }
    let flat = if n >= m {
        flat.slice_axis(0, 0, m as isize)
    } else {
        let copies = vec![flat.clone(); m.div_ceil(n)];
        jnp::concatenate(&copies, 0).slice_axis(0, 0, m as isize)
    };
    let shape: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
    flat.reshape(&shape)
}

/// `y` as an operand of a numpy-broadcasting binary op with `x`: kept if the shapes
/// broadcast (and the result is not bigger than twice `x`), else adapted to `x`'s shape.
fn broadcastable(x: &Tensor, y: &Tensor) -> Tensor {
    let (a, b) = (x.shape(), y.shape());
    let ok = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .all(|(p, q)| p == q || *p == 1 || *q == 1);
    let size: usize = (0..a.len().max(b.len()))
        .map(|i| {
            let p = a.len().checked_sub(i + 1).map_or(1, |j| a[j]);
            let q = b.len().checked_sub(i + 1).map_or(1, |j| b[j]);
            p.max(q)
        })
        .product();
    if ok && size <= 2 * x.size().max(4) && b.len() <= 4 {
        y.clone()
    } else {
        adapt(y, a)
    }
}

/// `y` with `x`'s shape and dtype.
fn like(y: &Tensor, x: &Tensor) -> Tensor {
    adapt(&y.cast(x.dtype()), x.shape())
}

fn nhwc(stride: usize, pad: i64, dil: usize, groups: usize) -> ConvParams {
    ConvParams {
        window_strides: vec![stride, 1],
        padding: vec![(pad, pad), (0, pad)],
        lhs_dilation: vec![1, 1],
        rhs_dilation: vec![dil, 1],
        dimension_numbers: ConvDimensionNumbers {
            lhs_spec: Shape::from_slice(&[0, 3, 1, 2]),
            rhs_spec: Shape::from_slice(&[3, 2, 0, 1]),
            out_spec: Shape::from_slice(&[0, 3, 1, 2]),
        },
        feature_group_count: groups,
        batch_group_count: 1,
    }
}

/// Runs one step on operands `x`, `y`; returns the values it makes.
pub fn apply(s: &Step, x: &Tensor, y: &Tensor, grad_safe: bool) -> Vec<Tensor> {
    let c = s.c as usize;
    let nd = x.ndim();
    let axis = if nd == 0 { 0 } else { c % nd };
    match s.op % NUM_OPS {
        0 => {
            let f = float(x);
            vec![match c % 18 {
                0 => f.sin(),
                1 => f.cos(),
                2 => f.tanh(),
                3 => f.logistic(),
                4 => f.atan(),
                5 => f.tanh().exp(),
                6 => f.abs().log1p(),
                7 => (&f * &f + 1.0).sqrt(),
                8 => x.abs(),
                9 => -x,
                10 => f.erf(),
                11 => lax::square(x),
                12 => (&f * &f + 1.0).rsqrt(),
                13 => f.tanh().expm1(),
                14 => f.floor(),
                15 => lax::round(&f, lax::Rounding::ToNearestEven),
                16 => f.sign(),
                _ => f.tanh().sinh().asinh(),
            }]
        }
        1 => {
            let y = broadcastable(x, y);
            vec![match c % 7 {
                0 => x + &y,
                1 => x - &y,
                2 => x * &y,
                3 => x.maximum(&y),
                4 => x.minimum(&y),
                5 => float(x) / (float(&y) * float(&y) + 1.0),
                _ => jnp::power(float(x).abs() + 0.5, float(&y).tanh()),
            }]
        }
        2 => {
            let y = broadcastable(x, y);
            vec![match c % 4 {
                0 => jnp::where_(&x.gt(&y), x, &y),
                1 => jnp::where_(&x.lt(0.0), &y, x * 2.0),
                2 => jnp::where_(&jnp::logical_and(x.ge(0.0), y.le(0.5)), x, 1.0),
                _ => x.eq(&y),
            }]
        }
        3 => {
            let y = like(y, x);
            if c.is_multiple_of(2) {
                vec![lax::clamp(&scalar_like(-0.5, x), x, &scalar_like(1.0, x))]
            } else {
                vec![lax::select_n(&x.gt(&y), &[x.clone(), y])]
            }
        }
        4 => {
            let x = at_least_1d(x);
            let ax = [axis as isize];
            vec![match c % 7 {
                0 => x.sum_axes(&ax),
                1 => x.max_axes(&ax),
                2 => jnp::min(&x, Some(&ax)),
                3 => float(&x).mean_axes(&ax),
                4 => jnp::prod(&float(&x).tanh(), Some(&ax)),
                5 => x.argmax(axis as isize),
                _ => x.sum(),
            }]
        }
        5 => {
            if nd < 3 {
                let mut shape = vec![2];
                shape.extend_from_slice(x.shape());
                vec![x.broadcast_to(&shape)]
            } else {
                vec![x.expand_dims((c % (nd + 1)) as isize).sum_axes(&[0])]
            }
        }
        6 => {
            let rev: Vec<isize> = x.shape().iter().rev().map(|&d| d as isize).collect();
            vec![if c.is_multiple_of(2) {
                x.reshape(&[-1])
            } else {
                x.reshape(&rev)
            }]
        }
        7 => vec![match nd {
            0 => -x,
            1 => lax::rev(x, &[0]),
            _ => {
                let perm: Vec<isize> = if c.is_multiple_of(2) {
                    (0..nd as isize).rev().collect()
                } else {
                    (1..nd as isize).chain([0]).collect()
                };
                x.transpose(&perm)
            }
        }],
        8 => {
            let x = at_least_1d(x);
            let shape = x.shape().to_vec();
            vec![match c % 3 {
                0 => {
                    let start: Vec<usize> = shape.iter().map(|&d| (d > 1) as usize).collect();
                    let stride: Vec<usize> = shape.iter().map(|_| 1 + (c / 3) % 2).collect();
                    lax::slice(&x, &start, &shape, Some(&stride))
                }
                1 => {
                    let cfg: Vec<(i64, i64, i64)> = shape
                        .iter()
                        .enumerate()
                        .map(|(i, &d)| {
                            let k = (c / 3 + i) % 4;
                            let hi = if k == 3 && d > 1 { -1 } else { (k % 2) as i64 };
                            (((k / 2) % 2) as i64, hi, (k == 2 && d < 4) as i64)
                        })
                        .collect();
                    lax::pad(&x, &scalar_like(0.5, &x), &cfg)
                }
                _ => lax::rev(&x, &[axis]),
            }]
        }
        9 => {
            let x = at_least_1d(x);
            vec![jnp::concatenate(&[x.clone(), like(y, &x)], axis as isize)]
        }
        10 => {
            let x = float(x);
            if nd == 0 {
                return vec![&x * &float(y)];
            }
            let k = 2 + c % 2;
            let last = x.shape()[nd - 1];
            let w = adapt(&y.cast(x.dtype()), &[last, k]);
            if c % 3 == 2 && nd >= 2 {
                // A batched contraction: batch dim 0 of both.
                let b = x.shape()[0];
                let w = adapt(&y.cast(x.dtype()), &[b, last, k]);
                let x3 = x.reshape(&[b as isize, -1, last as isize]);
                vec![lax::dot_general(
                    &x3,
                    &w,
                    ((&[2], &[1]), (&[0], &[0])),
                    None,
                )]
            } else {
                vec![x.matmul(&w)]
            }
        }
        11 => {
            let x = at_least_1d(x);
            let rev = s.b % 2 == 1;
            vec![match c % 4 {
                0 => lax::cumsum(&x, axis, rev),
                1 => lax::cumprod(&float(&x).tanh(), axis, rev),
                2 => lax::cummax(&x, axis, rev),
                _ => lax::cummin(&x, axis, rev),
            }]
        }
        12 => {
            let x = at_least_1d(x);
            let d = x.shape()[axis] as i32;
            let idx = if c.is_multiple_of(2) {
                Tensor::from_vec(vec![(c as i32) % d, d - 1, 0, (c as i32 / 7) % d], &[2, 2])
            } else {
                // Data-dependent indices (clamped by take).
                (adapt(&float(y), &[3]).abs() * 2.0)
                    .floor()
                    .cast(DType::I32)
            };
            vec![x.take(&idx, axis as isize)]
        }
        13 => {
            let x = at_least_1d(x);
            let start = (float(y).sum().abs() * 1.5).floor().cast(DType::I32);
            let starts: Vec<Tensor> = (0..x.ndim())
                .map(|i| {
                    if i == axis {
                        start.clone()
                    } else {
                        Tensor::scalar(0i32)
                    }
                })
                .collect();
            let sizes: Vec<usize> = x
                .shape()
                .iter()
                .map(|&d| d.saturating_sub(1).max(1))
                .collect();
            let part = lax::dynamic_slice(&x, &starts, &sizes);
            if c.is_multiple_of(2) {
                vec![part]
            } else {
                vec![lax::dynamic_update_slice(&x, &(&part * 2), &starts)]
            }
        }
        14 => {
            use lax::{GatherScatterMode, ScatterDimensionNumbers};
            let flat = x.reshape(&[-1]);
            let n = flat.shape()[0] as i32;
            let idx = Tensor::from_vec(vec![0, n - 1, (c as i32) % n, 0], &[4, 1]);
            let upd = adapt(&y.cast(x.dtype()), &[4]);
            let dn = ScatterDimensionNumbers {
                inserted_window_dims: Shape::from_slice(&[0]),
                scatter_dims_to_operand_dims: Shape::from_slice(&[0]),
                ..Default::default()
            };
            let out = lax::scatter_add(&flat, &idx, &upd, dn, GatherScatterMode::FillOrDrop);
            let shape: Vec<isize> = x.shape().iter().map(|&d| d as isize).collect();
            vec![out.reshape(&shape)]
        }
        15 => {
            let x = at_least_1d(x);
            if c.is_multiple_of(2) {
                lax::sort(&[x], axis, true, 1)
            } else {
                let v = adapt(y, x.shape());
                lax::sort(&[x, v], axis, true, 1)
            }
        }
        16 => {
            let f = float(x);
            let k = (c % 6) as i32 - 1;
            if k < 0 {
                vec![lax::integer_pow(&(&f * &f + 1.0), k)]
            } else {
                vec![lax::integer_pow(&f, k)]
            }
        }
        17 => {
            let lhs = adapt(&float(x), &[1, 4, 4, 2]);
            let groups = 1 + c % 2;
            let (kh, co) = (1 + (c / 2) % 3, 2);
            let rhs = adapt(&y.cast(lhs.dtype()), &[kh, 2, 2 / groups, co]);
            let p = nhwc(
                1 + (c / 6) % 2,
                ((c / 12) % 2) as i64,
                1 + (c / 24) % 2,
                groups,
            );
            vec![lax::conv_general_dilated(&lhs, &rhs, &p)]
        }
        18 => {
            let x = at_least_1d(x);
            let n = x.ndim();
            let win: Vec<usize> = x.shape().iter().map(|&d| d.min(2)).collect();
            let strides: Vec<usize> = (0..n).map(|i| 1 + (c / 3 + i) % 2).collect();
            let pad: Vec<(i64, i64)> = (0..n).map(|i| (0, ((c / 5 + i) % 2) as i64)).collect();
            let kind = [WindowKind::Max, WindowKind::Sum, WindowKind::Min][c % 3];
            vec![lax::reduce_window(
                &x,
                kind,
                &win,
                &strides,
                &pad,
                &vec![1; n],
                &vec![1; n],
            )]
        }
        19 => {
            let a = float(x);
            let b = like(y, &a);
            let out = lax::cond(
                &a.sum().gt(0.0),
                |(a, b): &(Tensor, Tensor)| a.sin() * b,
                |(a, b): &(Tensor, Tensor)| a.cos() + b,
                &(a.clone(), b),
            );
            vec![out]
        }
        20 => {
            let xs = at_least_1d(&float(x));
            let rest: Vec<usize> = xs.shape()[1..].to_vec();
            let init = adapt(&y.cast(xs.dtype()), &rest);
            let (carry, ys) = lax::scan(
                |c: &Tensor, xt: &Tensor| {
                    let n = (c * xt + c.sin()).tanh();
                    (n.clone(), n * xt)
                },
                &init,
                &xs,
            );
            vec![carry, ys]
        }
        21 => {
            let f = float(x);
            if grad_safe || c.is_multiple_of(2) {
                vec![lax::fori_loop(
                    0,
                    3,
                    |i: &Tensor, c: &Tensor| c.sin() * 0.9 + i.cast(c.dtype()),
                    &f,
                )]
            } else {
                let (_, out) = lax::while_loop(
                    |(i, _): &(Tensor, Tensor)| i.lt(3),
                    |(i, v): &(Tensor, Tensor)| (i + 1, v * 0.5 + 1.0),
                    &(Tensor::scalar(0i32), f),
                );
                vec![out]
            }
        }
        22 => {
            let xi = if x.dtype() == DType::I32 {
                x.clone()
            } else {
                (float(x) * 4.0).floor().cast(DType::I32)
            };
            let sh = Tensor::full(xi.shape(), (1 + c % 3) as f64, DType::I32);
            match c % 4 {
                0 => vec![
                    lax::shift_left(&xi, &sh),
                    lax::shift_right_arithmetic(&xi, &sh),
                ],
                1 => {
                    let u = lax::bitcast_convert_type(&float(x).cast(DType::F32), DType::U32);
                    let ush = Tensor::full(u.shape(), 3.0, DType::U32);
                    vec![lax::shift_right_logical(&u, &ush).cast(DType::F32)]
                }
                2 => {
                    // A key made from the data: threefry on traced values.
                    let k = lax::bitcast_convert_type(
                        &adapt(&float(y).cast(DType::F32), &[2]),
                        DType::U32,
                    );
                    vec![random::uniform(&k, x.shape()) * float(x)]
                }
                _ => {
                    let k = random::fold_in(&random::key(c as i64), 3);
                    vec![random::normal(&k, x.shape()) + float(x)]
                }
            }
        }
        24 => {
            // A scan whose body runs another step on (carry, x_t): nested sub-jaxprs.
            let xs = at_least_1d(x);
            let rest: Vec<usize> = xs.shape()[1..].to_vec();
            let init = adapt(&y.cast(xs.dtype()), &rest);
            let inner = nested(s.c, s.b);
            let (carry, ys) = lax::scan(
                |c: &Tensor, xt: &Tensor| {
                    let out = apply(&inner, c, xt, grad_safe).swap_remove(0);
                    let next = adapt(&out.cast(c.dtype()), c.shape());
                    (next.clone(), &next * 0.5)
                },
                &init,
                &xs,
            );
            vec![carry, ys]
        }
        25 => {
            // A cond whose branches run two other steps.
            let y = like(y, x);
            let (t, f) = (nested(s.c, s.b), nested(s.b, s.c.wrapping_add(1)));
            let branch = |st: Step| {
                move |(a, b): &(Tensor, Tensor)| {
                    adapt(
                        &apply(&st, a, b, grad_safe).swap_remove(0).cast(a.dtype()),
                        a.shape(),
                    )
                }
            };
            let pred = float(x).sum().gt(float(&y).sum());
            vec![lax::cond(&pred, branch(t), branch(f), &(x.clone(), y))]
        }
        26 => {
            // The scatter family through numpy indexing: duplicate and out-of-bounds indices
            // (grad-safe programs keep to set/add with duplicates and a unique-index mul, as
            // scatter-mul's updates gradient needs unique indices and min/max tie).
            let x = if x.dtype() == DType::Bool {
                float(x)
            } else {
                x.clone()
            };
            let flat = x.reshape(&[-1]);
            let n = flat.shape()[0] as i32;
            let idx = Tensor::from_vec(vec![0, n - 1, (c as i32) % n, 0, n + 2], &[5]);
            let upd = adapt(&y.cast(x.dtype()), &[5]);
            let at = flat.at(ferrax::idx![&idx]);
            let kind = if grad_safe { c % 3 } else { c % 6 };
            let out = match kind {
                0 => at.set(&upd),
                1 => at.add(&upd),
                2 => {
                    // x[k-1::-1] (a static, reversed, unique index).
                    let k = flat.shape()[0].min(5);
                    let last = k as i64 - 1;
                    let u = upd.index(ferrax::idx![..k]);
                    flat.at(ferrax::idx![last..;-1])
                        .mul(u.index(ferrax::idx![..;-1]))
                }
                3 => at.mul(&upd),
                4 => at.min(&upd),
                _ => at.max(&upd),
            };
            let shape: Vec<isize> = x.shape().iter().map(|&d| d as isize).collect();
            vec![out.reshape(&shape)]
        }
        27 => {
            let x = at_least_1d(x);
            let n = x.ndim();
            match c % 9 {
                0 => {
                    let axis = c / 6 % n;
                    let k = 1 + (c / 12) % x.shape()[axis].max(1);
                    let k = k.min(x.shape()[axis]);
                    let (v, i) = lax::top_k_axis(&x, k, axis);
                    vec![v, i]
                }
                1 => {
                    let p = x.gt(scalar_like(0.0, &x));
                    let ops = [lax::reduce_and, lax::reduce_or, lax::reduce_xor];
                    vec![ops[c / 6 % 3](&p, &[c / 18 % n])]
                }
                2 => {
                    let xi = (float(&x) * 4.0).floor().cast(DType::I32);
                    let ops = [lax::reduce_and, lax::reduce_or, lax::reduce_xor];
                    vec![ops[c / 6 % 3](&xi, &[c / 18 % n])]
                }
                3 => {
                    let (e, m) = [(5, 10), (8, 7), (4, 3)][c / 6 % 3];
                    vec![lax::reduce_precision(&float(&x), e, m)]
                }
                4 => lax::optimization_barrier(&[float(&x).sin(), x.clone()]),
                6 => vec![lax::erfc(&float(&x))],
                7 => {
                    // a > 0, x >= 0: both incomplete gammas (differentiable in a and x).
                    let f = float(&x);
                    let a = lax::add(&lax::abs(&f), &scalar_like(0.5, &f));
                    let z = lax::mul(
                        &lax::abs(&adapt(&y.cast(f.dtype()), f.shape())),
                        &scalar_like(2.0, &f),
                    );
                    if (c / 9).is_multiple_of(2) {
                        vec![lax::igamma(&a, &z)]
                    } else {
                        vec![lax::igammac(&a, &z)]
                    }
                }
                8 => {
                    let key = adapt(&(float(&x) * 1000.0).floor().abs().cast(DType::U32), &[4]);
                    let (k, bits) = lax::rng_bit_generator(
                        &key,
                        &[2, 1 + c / 9 % 3],
                        lax::RandomAlgorithm::RngDefault,
                    );
                    vec![k.cast(DType::I32), bits.cast(DType::I32)]
                }
                _ => {
                    let f = float(&x);
                    let y = adapt(&y.cast(f.dtype()), &[x.shape()[n - 1], 2]);
                    let sub = ["...j,jk->...k", "...j,jk->k...", "...j,jk"][c / 6 % 3];
                    vec![jnp::einsum(sub, &[f, y])]
                }
            }
        }
        _ => {
            let f = float(x);
            vec![match c % 4 {
                0 => checkpoint(|x: &Tensor| x.sin().sin())(&f),
                1 => custom_jvp(
                    "softplus",
                    |x: &Tensor| (x.exp() + 1.0).log(),
                    |x: &Tensor, t: &Tensor| ((x.exp() + 1.0).log(), t * x.logistic()),
                )(&f),
                2 => custom_vjp(
                    "clip_grad",
                    |x: &Tensor| x * 2.0,
                    |x: &Tensor| (x * 2.0, ()),
                    |_: &(), ct: &Tensor| (ct * 2.0).maximum(-1.0).minimum(1.0),
                )(&f),
                _ => jit(|x: &Tensor| x.cos() * 2.0 + 1.0)(&f),
            }]
        }
    }
}

/// A non-nesting step for the body of a nested step (opcodes below 24).
fn nested(op: u8, c: u8) -> Step {
    Step {
        op: op % 24,
        a: 0,
        b: 1,
        c,
    }
}
