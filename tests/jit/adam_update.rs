//! The `adam_update` primitive (bound by `optim::fused`) in compiled programs: one equation
//! per dtype group with its params printed, the in-place arm of the interpreter (operands the
//! program owns are overwritten, operands the caller holds are not), and the values equal to
//! eager evaluation and to `eval_jaxpr` bit for bit, also after the passes and with outputs
//! dropped by DCE.

use ferrax::internals::interp::Program;
use ferrax::optim::fused;
use ferrax::prelude::*;

type Args = (Vec<Tensor>, Vec<Tensor>, fused::FusedAdamState<Vec<Tensor>>);

fn args(seed: i64) -> Args {
    let shapes: [&[usize]; 2] = [&[40, 30], &[30]];
    let keys = ferrax::random::split(&ferrax::random::key(seed), 4);
    let draw = |k: usize, scale: f64| -> Vec<Tensor> {
        shapes
            .iter()
            .map(|s| {
                ferrax::random::normal(
                    &ferrax::random::fold_in(&ferrax::random::key_at(&keys, k), s.len() as u32),
                    s,
                ) * scale
            })
            .collect()
    };
    let nu: Vec<Tensor> = draw(3, 0.01).iter().map(|t| t * t).collect();
    let state = fused::FusedAdamState {
        count: Tensor::scalar(3i32),
        mu: draw(2, 0.1),
        nu,
    };
    (draw(0, 1.0), draw(1, 0.5), state)
}

fn step(a: &Args) -> (Vec<Tensor>, fused::FusedAdamState<Vec<Tensor>>) {
    fused::adamw(0.01).step(&a.0, &a.1, &a.2)
}

/// A copy of `t` in a buffer of its own.
fn fresh(t: &Tensor) -> Tensor {
    match t.dtype() {
        DType::F32 => Tensor::from_vec(t.to_vec::<f32>(), t.shape()),
        _ => Tensor::from_vec(t.to_vec::<i32>(), t.shape()),
    }
}

fn bits(ts: &[Tensor]) -> Vec<u32> {
    ts.iter()
        .flat_map(|t| t.to_vec::<f32>().into_iter().map(f32::to_bits))
        .collect()
}

#[test]
fn one_equation_with_its_params() {
    let j = make_jaxpr(step)(&args(0));
    let text = j.to_string();
    assert_eq!(text.matches("adam_update[").count(), 1, "{text}");
    assert!(
        text.contains("b1=0.9") && text.contains("decay=True"),
        "{text}"
    );
}

#[test]
fn programs_update_owned_operands_in_place_and_spare_held_ones() {
    let a = args(1);
    let (want_p, want_s) = step(&a);
    let j = make_jaxpr(step)(&a);
    let program = Program::new(&j.jaxpr);
    let inputs = || -> Vec<Tensor> {
        j.consts
            .iter()
            .cloned()
            .chain(a.leaves().iter().map(fresh)) // owned by the program alone
            .collect()
    };
    // Owned by the program: updated in place, the same values.
    let out = program.run(inputs());
    let n = want_p.len();
    assert_eq!(bits(&out[..n]), bits(&want_p));
    assert_eq!(bits(&out[n + 1..2 * n + 1]), bits(&want_s.mu));
    // Held by the caller too: never written.
    let held = inputs();
    let before: Vec<Vec<f32>> = held
        .iter()
        .skip(j.consts.len())
        .map(|t| {
            if t.dtype() == DType::F32 {
                t.to_vec::<f32>()
            } else {
                vec![]
            }
        })
        .collect();
    let out2 = program.run(held.clone());
    let after: Vec<Vec<f32>> = held
        .iter()
        .skip(j.consts.len())
        .map(|t| {
            if t.dtype() == DType::F32 {
                t.to_vec::<f32>()
            } else {
                vec![]
            }
        })
        .collect();
    assert_eq!(before, after, "an input the caller holds was overwritten");
    assert_eq!(bits(&out2[..n]), bits(&want_p));
    // jit and eval_jaxpr agree.
    let (jp, js) = jit(step)(&a);
    assert_eq!(bits(&jp), bits(&want_p));
    assert_eq!(bits(&js.nu), bits(&want_s.nu));
    let ev = ferrax::core::eval_closed(&j, &a.leaves());
    assert_eq!(bits(&ev[..n]), bits(&want_p));
}

#[test]
fn dropping_outputs_keeps_the_update_right() {
    // Only the parameters leave the function: DCE keeps the one equation (its other outputs
    // die at once) and the values stay the eager ones.
    let a = args(2);
    let f = |a: &Args| step(a).0;
    assert_eq!(bits(&jit(f)(&a)), bits(&f(&a)));
}
