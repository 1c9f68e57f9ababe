//! The optimization passes (`ferrax::internals::passes`): each one keeps results equal (evaluated before
//! and after on random inputs), keeps the jaxpr well typed (`check_jaxpr`), and removes what
//! it should (equation counts).

use ferrax::core::check_jaxpr;
use ferrax::internals::interp::eval_closed;
use ferrax::internals::passes::{constant_fold, cse, dce, optimize, simplify};
use ferrax::lax;
use ferrax::prelude::*;
use proptest::prelude::*;
use std::sync::Arc;

use crate::random_program;

use random_program::{assert_close, check_passes, count, f32s};

#[test]
fn grad_of_the_golden_function_loses_its_unused_reduce_sum() {
    let f = |(x, y): &(Tensor, Tensor)| ((x.sin() * 2.0 + y) * x).sum();
    let j = make_jaxpr(grad(f))(&(f32s(&[3]), f32s(&[3])));
    assert_eq!(count(&j.jaxpr, "reduce_sum"), 1);
    let d = dce(&j.jaxpr);
    assert_eq!(count(&d, "reduce_sum"), 0);
    assert!(d.eqns.len() < j.jaxpr.eqns.len());
    println!("{}\n{d}\n{}", j.jaxpr, optimize(&j).jaxpr);
    let n = check_passes(&j);
    assert!(n[4] < n[0], "optimize does more than dce: {n:?}");
}

#[test]
fn cse_merges_duplicated_sin() {
    let f = |x: &Tensor| x.sin() * 2.0 + x.sin().exp() + x.sin();
    let j = make_jaxpr(f)(&f32s(&[4]));
    assert_eq!(count(&j.jaxpr, "sin"), 3);
    let c = cse(&j.jaxpr);
    assert_eq!(count(&c, "sin"), 1);
    let n = check_passes(&j);
    assert_eq!(n[1], j.jaxpr.eqns.len() - 2);
}

#[test]
fn simplify_removes_mul_by_one_and_identities() {
    let f = |x: &Tensor| {
        let y = (x * 1.0 + 0.0) - 0.0;
        let y = -(-y);
        let y = y.t().t().reshape(&[6]).reshape(&[3, 2]).reshape(&[2, 3]);
        stop_gradient(&y.cast(DType::F32)).exp()
    };
    let j = make_jaxpr(f)(&f32s(&[2, 3]));
    let s = dce(&simplify(&j.jaxpr));
    assert_eq!(
        s.to_string(),
        "{ lambda ; a:f32[2,3]. let\n    b:f32[2,3] = stop_gradient a\n    c:f32[2,3] = exp b\n  in (c,) }",
        "from\n{}",
        j.jaxpr
    );
    check_passes(&j);
}

#[test]
fn transpose_of_transpose_composes() {
    let x = f32s(&[2, 3, 4]);
    let j = make_jaxpr(|x: &Tensor| x.transpose(&[1, 0, 2]).transpose(&[0, 2, 1]))(&x);
    let s = dce(&simplify(&j.jaxpr));
    assert_eq!(count(&s, "transpose"), 1);
    check_passes(&j);
}

#[test]
fn broadcast_then_sum_is_a_scalar_multiply() {
    let x = f32s(&[3]);
    let j = make_jaxpr(|x: &Tensor| x.broadcast_to(&[4, 3]).sum_axes(&[0]))(&x);
    let s = dce(&simplify(&j.jaxpr));
    assert_eq!(count(&s, "reduce_sum"), 0, "{s}");
    assert_eq!(count(&s, "broadcast_in_dim"), 0, "{s}");
    assert_eq!(count(&s, "mul"), 1, "{s}");
    check_passes(&j);
}

#[test]
fn zeros_propagate_through_integer_mul_and_add() {
    let x = Tensor::zeros(&[3], DType::I32);
    let f = |x: &Tensor| {
        // A captured constant of zeros: constant folding makes it a splat.
        let zz = Tensor::zeros(&[3], DType::I32);
        (x * x * &zz + x.abs()) + &zz * x
    };
    let j = make_jaxpr(f)(&x);
    let o = optimize(&j);
    assert_eq!(count(&o.jaxpr, "mul"), 0, "{}", o.jaxpr);
    assert_eq!(count(&o.jaxpr, "add"), 0, "{}", o.jaxpr);
    check_passes(&j);
}

#[test]
fn float_times_zero_is_kept() {
    // `inf * 0` and `NaN * 0` are NaN: for floats the product must be computed.
    let f = |x: &Tensor| {
        let zz = Tensor::zeros(&[4], DType::F32);
        x.sin() * &zz + x * 0.0
    };
    let x = Tensor::from_vec(vec![f32::INFINITY, f32::NAN, 1.0, -1.0], &[4]);
    let j = make_jaxpr(f)(&x);
    let o = optimize(&j);
    assert_eq!(count(&o.jaxpr, "mul"), 2, "{}", o.jaxpr);
    let got = eval_closed(&o, std::slice::from_ref(&x))[0].to_vec::<f32>();
    assert!(
        got[0].is_nan() && got[1].is_nan() && got[2] == 0.0,
        "{got:?}"
    );
    check_passes(&j);
}

#[test]
fn constant_folding_evaluates_constants() {
    let c = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let f = |x: &Tensor| x * (c.exp() + 1.0) + (Tensor::scalar(2.0f32) * 3.0).sin();
    let j = make_jaxpr(f)(&f32s(&[3]));
    let (k, consts) = constant_fold(&j.jaxpr, &j.consts);
    assert_eq!(k.eqns.len(), 2, "{k}"); // mul, add (of a literal)
    assert_eq!(consts.len(), 1);
    check_passes(&j);
}

// ---- real programs -----------------------------------------------------------------------

#[derive(PyTree, Clone, Debug)]
struct Mlp {
    w1: Tensor,
    b1: Tensor,
    w2: Tensor,
    b2: Tensor,
}

fn mlp_loss(p: &Mlp, x: &Tensor, y: &Tensor) -> Tensor {
    let h = (x.matmul(&p.w1) + &p.b1).tanh();
    let logits = h.matmul(&p.w2) + &p.b2;
    -(ferrax::nn::log_softmax(&logits, -1) * y).sum() / 8.0
}

fn mlp(n_in: usize, n_h: usize, n_out: usize) -> Mlp {
    Mlp {
        w1: f32s(&[n_in, n_h]),
        b1: f32s(&[n_h]),
        w2: f32s(&[n_h, n_out]),
        b2: f32s(&[n_out]),
    }
}

#[test]
fn grad_of_an_mlp_loss() {
    let p = mlp(5, 7, 3);
    let x = f32s(&[8, 5]);
    let y = f32s(&[8, 3]);
    let j = make_jaxpr(|(p, x, y): &(Mlp, Tensor, Tensor)| {
        value_and_grad(|p: &Mlp| mlp_loss(p, x, y))(p)
    })(&(p, x, y));
    let n = check_passes(&j);
    let o = optimize(&j);
    println!("mlp grad: {} -> {:?}\n{}", j.jaxpr.eqns.len(), n, o.jaxpr);
    assert!(n[4] < n[0], "{n:?}");
    // The transposes after the weight-gradient products become swapped products.
    assert_eq!(count(&j.jaxpr, "transpose"), 2);
    assert_eq!(count(&o.jaxpr, "transpose"), 0, "{}", o.jaxpr);
}

#[test]
fn transpose_of_a_shared_product_is_kept() {
    let args = (f32s(&[2, 3]), f32s(&[3, 4]));
    let j = make_jaxpr(|(a, b): &(Tensor, Tensor)| {
        let p = a.matmul(b);
        (p.t(), p)
    })(&args);
    let o = optimize(&j);
    assert_eq!(count(&o.jaxpr, "dot_general"), 1, "{}", o.jaxpr);
    let j = make_jaxpr(|(a, b): &(Tensor, Tensor)| a.matmul(b).t())(&args);
    let o = optimize(&j);
    assert_eq!(count(&o.jaxpr, "transpose"), 0, "{}", o.jaxpr);
    check_passes(&j);
}

#[test]
fn sum_over_size_one_axes_is_a_reshape() {
    let j = make_jaxpr(|x: &Tensor| x.reshape(&[1, 3]).sum_axes(&[0]).exp())(&f32s(&[3]));
    let o = optimize(&j);
    assert_eq!(o.jaxpr.eqns.len(), 1, "{}", o.jaxpr);
    check_passes(&j);
}

#[test]
fn jit_style_captured_params() {
    // Parameters captured as constants: folding must not blow up big constants.
    let p = Mlp {
        w1: Tensor::from_f64_values(
            &(0..200).map(|i| (i as f64).sin()).collect::<Vec<_>>(),
            &[10, 20],
            DType::F32,
        ),
        b1: Tensor::ones(&[20], DType::F32),
        w2: Tensor::from_f64_values(
            &(0..60).map(|i| (i as f64).cos()).collect::<Vec<_>>(),
            &[20, 3],
            DType::F32,
        ),
        b2: Tensor::zeros(&[3], DType::F32),
    };
    let y = f32s(&[8, 3]);
    let j = make_jaxpr(|x: &Tensor| grad(|x: &Tensor| mlp_loss(&p, x, &y))(x))(&f32s(&[8, 10]));
    check_passes(&j);
}

#[test]
fn vmapped_gradients() {
    let g = |x: &Tensor| (x.sin() * x).sum();
    let j = make_jaxpr(vmap(grad(g)))(&f32s(&[4, 3]));
    let n = check_passes(&j);
    assert!(n[4] < j.jaxpr.eqns.len(), "{n:?}");
    let p = mlp(3, 4, 2);
    let per_example = vmap_with(
        |(p, x, y): &(Mlp, Tensor, Tensor)| grad(|p: &Mlp| mlp_loss(p, x, y))(p),
        VmapSpec::new().in_axes((AxisSpec::NotMapped, 0, 0)),
    );
    let j = make_jaxpr(per_example)(&(p, f32s(&[5, 3]), f32s(&[5, 2])));
    check_passes(&j);
}

#[test]
fn scan_and_cond_programs() {
    let f = |(c, xs): &(Tensor, Tensor)| {
        let (c, ys) = lax::scan(
            |c: &Tensor, x: &Tensor| {
                let n = c * x.sin() + x.sin() * 1.0;
                (n.clone(), n.cos())
            },
            c,
            xs,
        );
        c.sum() + ys.sum()
    };
    let args = (f32s(&[2]), f32s(&[5, 2]));
    check_passes(&make_jaxpr(f)(&args));
    check_passes(&make_jaxpr(grad(f))(&args));
    let g = |x: &Tensor| {
        lax::cond(
            &x.sum().gt(0.0),
            |x: &Tensor| (x.sin() * 1.0).t().t(),
            |x: &Tensor| -(-x.cos()),
            x,
        )
        .sum()
    };
    check_passes(&make_jaxpr(g)(&f32s(&[2, 2])));
    check_passes(&make_jaxpr(grad(g))(&f32s(&[2, 2])));
}

fn sub_jaxpr_eqns(j: &Jaxpr) -> usize {
    use ferrax::internals::control_flow::CallOp;
    j.eqns
        .iter()
        .filter(|e| e.prim.downcast::<CallOp>().is_none())
        .flat_map(|e| e.prim.sub_jaxprs())
        .map(|s| s.eqns.len())
        .sum()
}

#[test]
fn bodies_of_loops_and_branches_are_optimized() {
    let f = |(c, xs): &(Tensor, Tensor)| {
        let (c, ys) = lax::scan(
            |c: &Tensor, x: &Tensor| (c * x.sin() + x.sin() * 1.0, (-(-x)).t().t()),
            c,
            xs,
        );
        let w = lax::while_loop(
            |c: &Tensor| (c.sum() * 1.0).lt(10.0),
            |c: &Tensor| stop_gradient(c) + 1.0 + 0.0,
            &c.abs(),
        );
        let k = lax::cond(
            &w.sum().gt(0.0),
            |x: &Tensor| x.sin() * 1.0,
            |x: &Tensor| x.cos() + x.cos(),
            &ys,
        );
        (c, k.sum())
    };
    let args = (f32s(&[2, 2]), f32s(&[5, 2, 2]));
    let j = make_jaxpr(f)(&args);
    let o = optimize(&j);
    let (before, after) = (sub_jaxpr_eqns(&j.jaxpr), sub_jaxpr_eqns(&o.jaxpr));
    assert!(after + 8 <= before, "{before} -> {after}\n{}", o.jaxpr);
    check_passes(&j);
}

// ---- random programs ---------------------------------------------------------------------

fn apply(op: u8, x: &Tensor, y: &Tensor) -> Tensor {
    match op % 16 {
        0 => x.sin(),
        1 => x + y,
        2 => x * y,
        3 => x - y,
        4 => x * 1.0,
        5 => x + 0.0,
        6 => -x,
        7 => x.t(),
        8 => x.reshape(&[-1]).reshape(&[3, 3]),
        9 => x.tanh(),
        10 => x.sum_axes(&[0]).broadcast_to(&[3, 3]),
        11 => x * 0.0 + y,
        12 => stop_gradient(x).exp() * 0.5,
        13 => x.cast(DType::F64).cast(DType::F32),
        14 => x.maximum(y),
        _ => x.broadcast_to(&[2, 3, 3]).sum_axes(&[0]),
    }
}

fn program(ops: &[(u8, u8, u8)], a: &Tensor, b: &Tensor) -> Vec<Tensor> {
    let mut vals = vec![a.clone(), b.clone(), a.sin()];
    for &(op, i, k) in ops {
        let x = vals[i as usize % vals.len()].clone();
        let y = vals[k as usize % vals.len()].clone();
        vals.push(apply(op, &x, &y));
    }
    vals[vals.len() - 2..].to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(random_program::cases(64)))]
    #[test]
    fn random_programs_keep_their_values(
        ops in proptest::collection::vec((0u8..16, 0u8..255, 0u8..255), 1..12),
        with_grad in any::<bool>(),
    ) {
        let args = (f32s(&[3, 3]), f32s(&[3, 3]));
        let j = if with_grad {
            make_jaxpr(grad(|(a, b): &(Tensor, Tensor)| {
                program(&ops, a, b).iter().map(|t| t.sin().sum()).fold(Tensor::scalar(0.0f32), |s, t| s + t)
            }))(&args)
        } else {
            make_jaxpr(|(a, b): &(Tensor, Tensor)| program(&ops, a, b))(&args)
        };
        check_passes(&j);
    }
}

// `x * 0` is on purpose: simplify turns it into zeros.
#[allow(clippy::erasing_op)]
fn apply_int(op: u8, x: &Tensor, y: &Tensor) -> Tensor {
    match op % 10 {
        0 => x + y,
        1 => x * y,
        2 => x - y,
        3 => x * 1,
        4 => x + 0,
        5 => -x,
        6 => ferrax::numpy::where_(&x.gt(y), x, y),
        7 => x.t().t() * 0 + y,
        8 => x.cast(DType::F32).cast(DType::I32),
        _ => x.sum_axes(&[1]).broadcast_to(&[3, 3]).t(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(random_program::cases(48)))]
    #[test]
    fn random_integer_programs_keep_their_values(
        ops in proptest::collection::vec((0u8..10, 0u8..255, 0u8..255), 1..10),
    ) {
        let args = (Tensor::zeros(&[3, 3], DType::I32), Tensor::zeros(&[3, 3], DType::I32));
        let j = make_jaxpr(|(a, b): &(Tensor, Tensor)| {
            let mut vals = vec![a.clone(), b.clone(), a * b];
            for &(op, i, k) in &ops {
                let x = vals[i as usize % vals.len()].clone();
                let y = vals[k as usize % vals.len()].clone();
                vals.push(apply_int(op, &x, &y));
            }
            vals[vals.len() - 2..].to_vec()
        })(&args);
        check_passes(&j);
    }
}

// ---- hand-written jaxprs, one per pass target ---------------------------------------------

use ferrax::core::{Atom, Aval, Eqn, Var};
use ferrax::internals::prims::{BinaryOp, Prim, UnaryOp};

/// A jaxpr built by hand: one f32[3] input `a`, then `eqns` (prim and inputs; the output
/// types are what the primitive's shape rule gives).
fn build(eqns: &[(Prim, Vec<Atom>)], outs: &[usize]) -> Jaxpr {
    let mut j = Jaxpr::default();
    let a = j.new_var(Aval::new(&[3], DType::F32));
    j.invars.push(a);
    let mut vars = vec![a];
    for (prim, ins) in eqns {
        let in_avals: Vec<Aval> = ins.iter().map(|a| j.atom_aval(a)).collect();
        let out = prim
            .abstract_eval(&in_avals)
            .expect("well-typed hand-written equation");
        let v = j.new_var(out[0].clone());
        j.eqns.push(Eqn {
            prim: prim.clone(),
            inputs: ins.iter().cloned().collect(),
            outputs: smallvec::smallvec![v],
            source: None,
        });
        vars.push(v);
    }
    j.outvars = outs.iter().map(|&i| Atom::Var(vars[i])).collect();
    j
}

fn v(i: u32) -> Atom {
    Atom::Var(Var(i))
}

fn lit(x: f32) -> Atom {
    Atom::Lit(Tensor::scalar(x))
}

fn closed(j: Jaxpr) -> ClosedJaxpr {
    ClosedJaxpr {
        jaxpr: Arc::new(j),
        consts: vec![],
    }
}

fn add_prim() -> Prim {
    Prim::new(BinaryOp::Add)
}
fn mul_prim() -> Prim {
    Prim::new(BinaryOp::Mul)
}
fn sin_prim() -> Prim {
    Prim::new(UnaryOp::Sin)
}

#[test]
fn cse_merges_duplicates_with_literals_but_not_other_bits() {
    // b = a * 2; c = a * 2; d = a * -0.0; e = a * 0.0; f = sin b; g = sin c
    let j = build(
        &[
            (mul_prim(), vec![v(0), lit(2.0)]),
            (mul_prim(), vec![v(0), lit(2.0)]),
            (mul_prim(), vec![v(0), lit(-0.0)]),
            (mul_prim(), vec![v(0), lit(0.0)]),
            (sin_prim(), vec![v(1)]),
            (sin_prim(), vec![v(2)]),
        ],
        &[3, 4, 5, 6],
    );
    check_jaxpr(&j).unwrap();
    let c = cse(&j);
    check_jaxpr(&c).unwrap();
    // The second `a * 2` and then the second `sin` merge; `-0.0` and `0.0` stay apart.
    assert_eq!(c.eqns.len(), 4, "{c}");
    assert_eq!(count(&c, "sin"), 1, "{c}");
    assert_eq!(cse(&c).to_string(), c.to_string(), "cse is idempotent");
    check_passes(&closed(j));
}

#[test]
fn constant_fold_and_cse_on_literal_only_equations() {
    // b = 1 + 2; c = 1 + 2; d = a * b; e = a * c: folding makes b, c literals 3.0.
    let j = build(
        &[
            (add_prim(), vec![lit(1.0), lit(2.0)]),
            (add_prim(), vec![lit(1.0), lit(2.0)]),
            (mul_prim(), vec![v(0), v(1)]),
            (mul_prim(), vec![v(0), v(2)]),
        ],
        &[3, 4],
    );
    check_jaxpr(&j).unwrap();
    let (f, consts) = constant_fold(&j, &[]);
    assert!(consts.is_empty());
    assert_eq!(f.eqns.len(), 2, "{f}");
    assert!(f.to_string().contains("mul a 3.0:f32[]"), "{f}");
    assert_eq!(cse(&f).eqns.len(), 1);
    assert_eq!(optimize(&closed(j.clone())).jaxpr.eqns.len(), 1);
    check_passes(&closed(j));
}

#[test]
fn dce_removes_dead_calls_loops_and_branches() {
    let inner = jit(|x: &Tensor| x.sin() * 2.0);
    let softplus = ferrax::transforms::custom_jvp(
        "softplus",
        |x: &Tensor| (x.exp() + 1.0).log(),
        |x: &Tensor, t: &Tensor| ((x.exp() + 1.0).log(), t * x.logistic()),
    );
    let f = |x: &Tensor| {
        let _dead_jit = inner(x);
        let _dead_custom = softplus(x);
        let _dead_remat = checkpoint(|x: &Tensor| x.cos().cos())(x);
        let _dead_scan = lax::scan(|c: &Tensor, x: &Tensor| (c + x, c * x), &x.sum(), x);
        let _dead_cond = lax::cond(
            &x.sum().gt(0.0),
            |x: &Tensor| x.sin(),
            |x: &Tensor| x.cos(),
            x,
        );
        let _dead_while = lax::while_loop(|c: &Tensor| c.sum().lt(5.0), |c: &Tensor| c + 1.0, x);
        x.tanh()
    };
    let j = make_jaxpr(f)(&f32s(&[3]));
    for name in [
        "jit",
        "custom_jvp_call",
        "checkpoint",
        "scan",
        "cond",
        "while",
    ] {
        assert_eq!(count(&j.jaxpr, name), 1, "{name} in\n{}", j.jaxpr);
    }
    let d = dce(&j.jaxpr);
    assert_eq!(
        d.to_string(),
        "{ lambda ; a:f32[3]. let b:f32[3] = tanh a in (b,) }"
    );
    assert_eq!(dce(&d).to_string(), d.to_string(), "dce is idempotent");
    check_passes(&j);
}

#[test]
fn cse_merges_calls_of_one_jitted_function_and_multi_output_equations() {
    let inner = jit(|x: &Tensor| x.sin() * 2.0);
    let other = jit(|x: &Tensor| x.sin() * 2.0);
    let f = |(x, y): &(Tensor, Tensor)| {
        let a = lax::sort(&[x.clone(), y.clone()], 0, true, 1);
        let b = lax::sort(&[x.clone(), y.clone()], 0, true, 1);
        (
            inner(x) + inner(x) + other(x),
            &a[1] * &b[1] + &a[0] - &b[0],
        )
    };
    let j = make_jaxpr(f)(&(f32s(&[4]), f32s(&[4])));
    let c = cse(&j.jaxpr);
    // One `inner` call merged (same cached jaxpr), `other` kept; one sort merged.
    assert_eq!(count(&j.jaxpr, "jit"), 3);
    assert_eq!(count(&c, "jit"), 2, "{c}");
    assert_eq!(count(&c, "sort"), 1, "{c}");
    check_passes(&j);
}

#[test]
fn simplify_targets_of_autodiff() {
    let x = f32s(&[2, 3]);
    // Adding symbolic zeros, `add_any` of zeros, `0 - x`, broadcasting then reducing,
    // transposes, reshapes and broadcasts of broadcasts, sums over no axes.
    let f = |x: &Tensor| {
        let z = lax::broadcast_in_dim(&Tensor::scalar(0.0f32), &[2, 3], &[]);
        let a = lax::add_any(
            &lax::add(
                x,
                &lax::broadcast_in_dim(&Tensor::scalar(0.0f32), &[2, 3], &[]),
            ),
            &z,
        );
        let b = lax::sub(&Tensor::scalar(0.0f32), &a);
        let c = lax::broadcast_in_dim(
            &lax::broadcast_in_dim(&b, &[4, 2, 3], &[1, 2]),
            &[5, 4, 2, 3],
            &[1, 2, 3],
        );
        let d = lax::reduce_sum(&c, &[0, 1]);
        let e = lax::reshape(&lax::reshape(&d, &[3, 2]), &[6]);
        let g = lax::transpose(&lax::transpose(&e.reshape(&[2, 3]), &[1, 0]), &[1, 0]);
        lax::reduce_sum(&g, &[]) * 1.0
    };
    let j = make_jaxpr(f)(&x);
    let s = dce(&simplify(&j.jaxpr));
    // What is left: neg, one multiply by 20 (the reduced broadcast) and the reshapes.
    for name in [
        "add",
        "add_any",
        "sub",
        "transpose",
        "broadcast_in_dim",
        "reduce_sum",
    ] {
        assert_eq!(count(&s, name), 0, "{name} left in\n{s}\nfrom\n{}", j.jaxpr);
    }
    assert_eq!(count(&s, "neg"), 1, "{s}");
    assert_eq!(count(&s, "mul"), 1, "{s}");
    check_passes(&j);
}

#[test]
fn constant_fold_folds_iota_and_captured_chains_but_not_big_or_control() {
    let c = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let big = Tensor::arange(0.0, 5000.0, 1.0, DType::F32);
    let f = |x: &Tensor| {
        let i = lax::iota(DType::F32, &[3], 0);
        let k = (&c * 2.0 + &i).exp().sum();
        let b = big.sin().sum();
        let l = lax::fori_loop(0, 3, |_: &Tensor, v: &Tensor| v * 2.0, &c);
        x * k + b + l
    };
    let j = make_jaxpr(f)(&f32s(&[3]));
    let (k, consts) = constant_fold(&j.jaxpr, &j.consts);
    check_jaxpr(&k).unwrap();
    assert_eq!(count(&k, "iota"), 0, "{k}");
    assert_eq!(count(&k, "exp"), 0, "{k}");
    // sin of 5000 elements is above FOLD_MAX_ELEMENTS; the loop is not folded.
    assert_eq!(count(&k, "sin"), 1, "{k}");
    assert_eq!(count(&k, "scan"), 1, "{k}");
    assert!(consts.len() >= 2, "{consts:?}");
    check_passes(&j);
}

// ---- random programs from the jit-equals-eager generator -----------------------------------

/// No equation of `j` is dead (after `dce`).
fn assert_no_dead_eqns(j: &Jaxpr) {
    let mut used = vec![false; j.var_avals.len()];
    for a in j.eqns.iter().flat_map(|e| &e.inputs).chain(&j.outvars) {
        if let Atom::Var(v) = a {
            used[v.0 as usize] = true;
        }
    }
    for e in &j.eqns {
        assert!(
            e.outputs.iter().any(|v| used[v.0 as usize]),
            "dead {} left in\n{j}",
            e.prim
        );
    }
}

/// No two equations of `j` are the same primitive (with equal params) on the same operands
/// (after `cse`).
fn assert_no_duplicates(j: &Jaxpr) {
    let mut seen = std::collections::HashSet::new();
    for e in &j.eqns {
        let ins: Vec<(u32, u64)> = e
            .inputs
            .iter()
            .map(|a| match a {
                Atom::Var(v) => (v.0, 0),
                Atom::Lit(t) => (u32::MAX - t.dtype() as u32, t.array().get_f64(0).to_bits()),
            })
            .collect();
        assert!(
            seen.insert((e.prim.clone(), ins)),
            "duplicate {} left in\n{j}",
            e.prim
        );
    }
}

/// The structural checks of each pass on `j`, and idempotence.
fn check_pass_properties(j: &ClosedJaxpr) {
    let d = dce(&j.jaxpr);
    assert_no_dead_eqns(&d);
    assert_eq!(dce(&d).to_string(), d.to_string(), "dce idempotent");
    let c = cse(&j.jaxpr);
    assert_no_duplicates(&c);
    assert_eq!(cse(&c).to_string(), c.to_string(), "cse idempotent");
    let o = optimize(j);
    // Constants whose elements are all equal become splat equations; nothing else is added.
    let splats = |j: &Jaxpr| {
        j.eqns
            .iter()
            .filter(|e| {
                e.prim.to_string() == "broadcast_in_dim" && matches!(e.inputs[0], Atom::Lit(_))
            })
            .count()
    };
    assert!(
        o.jaxpr.eqns.len() - splats(&o.jaxpr) <= j.jaxpr.eqns.len(),
        "optimize grew\n{}\n{}",
        j.jaxpr,
        o.jaxpr
    );
    assert_no_dead_eqns(&o.jaxpr);
    let oo = optimize(&o);
    assert_eq!(
        oo.jaxpr.to_string(),
        o.jaxpr.to_string(),
        "optimize idempotent"
    );
    assert_eq!(oo.consts.len(), o.consts.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(random_program::cases(40)))]
    #[test]
    fn passes_keep_values_of_generated_programs(
        p in random_program::programs(10, true),
        with_grad in any::<bool>(),
    ) {
        let p = random_program::Program { all_outputs: false, grad_safe: with_grad, ..p };
        let args = p.args(0, None);
        let j = if with_grad && args.iter().all(|t| t.dtype().is_float()) {
            make_jaxpr(grad(|xs: &Vec<Tensor>| p.loss(xs)))(&args)
        } else {
            make_jaxpr(|xs: &Vec<Tensor>| p.run(xs))(&args)
        };
        check_passes(&j);
        check_pass_properties(&j);
    }
}

#[test]
fn bodies_that_simplify_to_literals_inputs_and_repeats() {
    // After optimize_sub_jaxprs a body's outputs can be literals (integer `x * 0 + 1`),
    // its own inputs (`c * 1`) or one variable twice.
    #[allow(clippy::erasing_op)]
    let f = |(c, xs, k): &(Tensor, Tensor, Tensor)| {
        let (c2, ys) = lax::scan(
            |(c, k): &(Tensor, Tensor), x: &Tensor| {
                let same = c * 1.0;
                (
                    (same.clone() + x, k * 0 + 1),
                    (same, k * 0 + 3, x.sin(), x.sin()),
                )
            },
            &(c.clone(), k.clone()),
            xs,
        );
        let w = lax::while_loop(
            |(i, _): &(Tensor, Tensor)| i.lt(3),
            |(i, v): &(Tensor, Tensor)| (i + 1, v * 1.0 + 0.0),
            &(k.clone(), c.clone()),
        );
        let b = lax::cond(
            &c.sum().gt(0.0),
            |(x, k): &(Tensor, Tensor)| (x * 1.0, k * 0 + 5),
            |(x, k): &(Tensor, Tensor)| (-(-x), k * 0 + 6),
            &(c.clone(), k.clone()),
        );
        (c2, ys, w, b)
    };
    for sign in [1.0f32, -1.0] {
        let args = (
            Tensor::from_vec(vec![0.5 * sign, 1.0 * sign], &[2]),
            Tensor::from_vec(vec![0.1f32, 0.2, 0.3, 0.4, 0.5, 0.6], &[3, 2]),
            Tensor::scalar(0i32),
        );
        let j = make_jaxpr(f)(&args);
        let o = optimize(&j);
        let flat: Vec<Tensor> = vec![args.0.clone(), args.1.clone(), args.2.clone()];
        let want = eval_closed(&j, &flat);
        let got = eval_closed(&o, &flat);
        assert_close("bodies", &got, &want);
        random_program::check_jaxpr_deep(&o.jaxpr).unwrap();
        check_passes(&j);
        // And jit runs the same.
        let (u, at) = random_program::max_ulps(
            &ferrax::tree::tree_leaves(&jit(f)(&args)),
            &ferrax::tree::tree_leaves(&f(&args)),
        );
        assert_eq!(u, 0, "{at}");
    }
}
