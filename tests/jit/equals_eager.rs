//! `jit(f)` equals `f` on random programs built from every primitive family (see
//! `random_program/mod.rs`), and so do `jit(grad(f))` and `grad(f)`, `jit(vmap(f))` and
//! `vmap(f)`. The cached jaxpr is optimized by `ferrax::internals::passes` and run by the jit
//! interpreter, so any difference is a bug in one of them (or in a primitive whose eager
//! and traced paths differ).
//!
//! Equality is bitwise, except that NaN equals NaN (any payload) and `-0.0` equals `0.0`
//! (`passes::simplify` rewrites `x + 0` to `x`, as XLA does, which keeps a `-0.0` that IEEE
//! addition would turn into `0.0`). Gradients are compared bitwise too: reassociations such
//! as `reduce_sum(broadcast x) -> x * n` could make them differ by rounding, but no
//! generated program has shown a difference.

use crate::random_program;

use ferrax::prelude::*;
use ferrax::transforms::jit_jaxpr;
use proptest::prelude::*;
use random_program::{
    big_programs, check_jaxpr_deep, dense_programs, max_scaled_diff, max_ulps, programs, run_fused,
    Program,
};

/// How the three comparisons are run on one program.
fn check_forward(p: &Program, seed: u64) {
    let args = p.args(seed, None);
    let eager = p.run(&args);
    let fast = jit(|xs: &Vec<Tensor>| p.run(xs));
    let before: Vec<Vec<f64>> = args.iter().map(|t| t.array().to_f64_vec()).collect();
    let got = fast(&args);
    // The interpreter may reuse buffers in place, but never the caller's.
    for (t, b) in args.iter().zip(&before) {
        assert!(
            t.array()
                .to_f64_vec()
                .iter()
                .zip(b)
                .all(|(x, y)| x.to_bits() == y.to_bits()),
            "jit modified its input\n{}",
            p.describe()
        );
    }
    let (u, at) = max_ulps(&got, &eager);
    assert!(u == 0, "jit(f) != f by {u} ulp at {at}\n{}", p.describe());
    // The unoptimized jaxpr, fused and compiled, runs the same.
    let unopt = make_jaxpr(|xs: &Vec<Tensor>| p.run(xs))(&args);
    if let Err(e) = run_fused(&unopt, &args, &eager) {
        panic!("{e}\n{}", p.describe());
    }
    // The optimized jaxpr jit runs is well typed, sub-jaxprs included.
    let j = jit_jaxpr(|xs: &Vec<Tensor>| p.run(xs))(&args);
    if let Err(e) = check_jaxpr_deep(&j.jaxpr) {
        panic!("jit's jaxpr: {e}\n{}\n{}", j.jaxpr, p.describe());
    }
    // The second call runs the cached jaxpr.
    let again = fast(&args);
    assert_eq!(
        max_ulps(&again, &eager).0,
        0,
        "second call\n{}",
        p.describe()
    );
}

fn check_grad(p: &Program, seed: u64) {
    // Differentiate with respect to the float inputs; integer inputs are captured.
    let args = p.args(seed, None);
    let is_float: Vec<bool> = args.iter().map(|t| t.dtype().is_float()).collect();
    if !is_float.iter().any(|&f| f) {
        return;
    }
    let ints: Vec<Tensor> = args
        .iter()
        .filter(|t| !t.dtype().is_float())
        .cloned()
        .collect();
    let floats: Vec<Tensor> = args
        .iter()
        .filter(|t| t.dtype().is_float())
        .cloned()
        .collect();
    let loss = |fs: &Vec<Tensor>| {
        let (mut fi, mut ii) = (fs.iter(), ints.iter());
        let all: Vec<Tensor> = is_float
            .iter()
            .map(|&f| if f { fi.next() } else { ii.next() }.unwrap().clone())
            .collect();
        p.loss(&all)
    };
    let eager = grad(loss)(&floats);
    // The gradient's unoptimized jaxpr, fused and compiled, runs the same.
    let unopt = make_jaxpr(grad(loss))(&floats);
    if let Err(e) = run_fused(&unopt, &floats, &eager) {
        panic!("grad: {e}\n{}", p.describe());
    }
    let got = jit(grad(loss))(&floats);
    let (u, at) = max_ulps(&got, &eager);
    assert!(
        u == 0,
        "jit(grad(f)) != grad(f) by {u} ulp at {at}\n{}",
        p.describe()
    );
    // grad of the jit equation: its jvp and transpose rules applied to the *optimized*
    // jaxpr. The passes change the graph (a reshape of a reshape reads the input directly,
    // say), so the transpose adds the cotangent contributions in another order and the
    // result can differ by rounding (a few ulp of the gradient's scale, seen in practice).
    let got = grad(jit(loss))(&floats);
    let (d, at) = max_scaled_diff(&got, &eager);
    let tol = if floats.iter().all(|t| t.dtype() == DType::F64) {
        1e-13
    } else {
        1e-5
    };
    assert!(
        d <= tol,
        "grad(jit(f)) != grad(f) by {d:e} of the scale at {at}\n{}",
        p.describe()
    );
}

fn check_vmap(p: &Program, seed: u64) {
    let args = p.args(seed, Some(2));
    let eager = vmap(|xs: &Vec<Tensor>| p.run(xs))(&args);
    let got = jit(vmap(|xs: &Vec<Tensor>| p.run(xs)))(&args);
    let (u, at) = max_ulps(&got, &eager);
    assert!(
        u == 0,
        "jit(vmap(f)) != vmap(f) by {u} ulp at {at}\n{}",
        p.describe()
    );
    // vmap of the jit equation: its batching rule.
    let got = vmap(jit(|xs: &Vec<Tensor>| p.run(xs)))(&args);
    let (u, at) = max_ulps(&got, &eager);
    assert!(
        u == 0,
        "jit(vmap(f)) != vmap(f) by {u} ulp at {at}\n{}",
        p.describe()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(random_program::cases(48)))]

    #[test]
    fn jit_equals_eager_on_random_programs(p in programs(10, true), seed in 0u64..1000) {
        check_forward(&p, seed);
    }

    #[test]
    fn jit_of_grad_equals_grad_on_random_programs(p in programs(8, true), seed in 0u64..1000) {
        let p = Program { grad_safe: true, ..p };
        check_grad(&p, seed);
    }

    #[test]
    fn jit_of_vmap_equals_vmap_on_random_programs(p in programs(8, true), seed in 0u64..1000) {
        check_vmap(&p, seed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(random_program::cases(64)))]

    /// Elementwise-dense programs and their gradients: what fusion must order correctly.
    #[test]
    fn jit_equals_eager_on_elementwise_dense_programs(p in dense_programs(14), seed in 0u64..1000) {
        check_forward(&p, seed);
        check_grad(&p, seed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(random_program::cases(24)))]

    /// Large programs, mostly elementwise chains: what the fusion pass merges and the
    /// interpreter runs in chunks (and on two threads when large enough).
    #[test]
    fn jit_equals_eager_on_large_programs(p in big_programs(8), seed in 0u64..1000) {
        check_forward(&p, seed);
    }
}

/// Every opcode alone, on every input shape: a deterministic sweep so that each family is
/// exercised even when proptest's draws miss it.
#[test]
fn every_opcode_on_every_shape() {
    use random_program::{Step, NUM_OPS};
    let shapes: [&[usize]; 5] = [&[], &[3], &[2, 3], &[4, 2], &[2, 3, 2]];
    for op in 0..NUM_OPS {
        for (k, shape) in shapes.iter().enumerate() {
            // Every variant (the selector `c`) forward; a few also under vmap and grad.
            for c in 0u8..20 {
                let p = Program {
                    inputs: vec![(shape.to_vec(), DType::F32), (vec![2, 3], DType::F32)],
                    steps: vec![Step { op, a: 0, b: 1, c }],
                    grad_safe: false,
                    all_outputs: true,
                    max_size: 256,
                };
                let seed = (op as u64) * 31 + k as u64 * 7 + c as u64;
                check_forward(&p, seed);
                if (c as usize + k).is_multiple_of(4) {
                    check_vmap(&p, seed);
                    check_grad(
                        &Program {
                            grad_safe: true,
                            ..p
                        },
                        seed,
                    );
                }
            }
        }
    }
}
