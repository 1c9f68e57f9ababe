//! `Bidirectional` against its definition run by hand: the forward layer on each example's
//! valid prefix, the backward layer on that prefix reversed (outputs put back in order), the
//! carries after the last valid step; gradients by finite differences, vmap against a loop,
//! jit against eager.

use crate::common::close::{assert_close, f64s};
use crate::common::panics::{assert_errors_name_function_shapes_and_caller, panic_message};
use ferrax::nn::{Bidirectional, Ctx, Gru, Lstm, Module, RecurrentCell};
use ferrax::numpy as jnp;
use ferrax::optim::tree_utils::tree_cast;
use ferrax::prelude::*;
use ferrax::random;
use ferrax::test_util::check_grads;

type Bi = Bidirectional<Lstm, Gru>;

fn layer() -> Bi {
    let [kf, kb] = random::split_n(&random::key(0));
    tree_cast(
        &Bidirectional::new(Lstm::new(&kf, 3, 4), Gru::new(&kb, 3, 2)),
        DType::F64,
    )
}

#[test]
fn bidirectional_equals_both_directions_run_by_hand() {
    let bi = layer();
    let xs = random::normal_with(&random::key(1), &[3, 6, 3], DType::F64);
    let lengths = [6usize, 4, 1];
    let len_t = Tensor::from_vec(lengths.iter().map(|&l| l as i32).collect(), &[3]);
    let (((c, h), hb), ys) = bi.forward_with_carry(&xs, Some(&len_t), &mut Ctx::eval());
    assert_eq!(ys.shape(), &[3, 6, 6]);
    for (b, &l) in lengths.iter().enumerate() {
        let x = jnp::slice_axis(&xs.index(ferrax::idx![b]), 0, 0, l as isize);
        let cx = &mut Ctx::eval();
        let ((cf, hf), yf) =
            bi.forward
                .forward_with_carry(&bi.forward.cell.initial_carry(&[]), &x, cx);
        let xr = jnp::flip(&x, Some(&[0]));
        let (hr, yr) =
            bi.backward
                .forward_with_carry(&bi.backward.cell.initial_carry(&[]), &xr, cx);
        let yr = jnp::flip(&yr, Some(&[0]));
        let got = jnp::slice_axis(&ys.index(ferrax::idx![b]), 0, 0, l as isize);
        let want = jnp::concatenate(&[yf, yr], -1);
        assert_close(&f64s(&got), &f64s(&want), 1e-12);
        assert_close(&f64s(&c.index(ferrax::idx![b])), &f64s(&cf), 1e-12);
        assert_close(&f64s(&h.index(ferrax::idx![b])), &f64s(&hf), 1e-12);
        assert_close(&f64s(&hb.index(ferrax::idx![b])), &f64s(&hr), 1e-12);
    }
    // Without lengths: full sequences, the same as lengths all equal to T.
    let full = bi.forward(&xs, &mut Ctx::eval());
    let with_t = bi
        .forward_with_carry(
            &xs,
            Some(&Tensor::from_vec(vec![6i32; 3], &[3])),
            &mut Ctx::eval(),
        )
        .1;
    assert_close(&f64s(&full), &f64s(&with_t), 1e-12);
}

#[test]
fn bidirectional_gradients_vmap_and_jit() {
    let bi = layer();
    let xs = random::normal_with(&random::key(2), &[2, 4, 3], DType::F64);
    let len = Tensor::from_vec(vec![4i32, 2], &[2]);
    check_grads(
        |(bi, xs): &(Bi, Tensor)| bi.forward_with_carry(xs, Some(&len), &mut Ctx::eval()),
        &(bi.clone(), xs.clone()),
        1,
    );
    let per = |x: &Tensor, l: &Tensor| bi.forward_with_carry(x, Some(l), &mut Ctx::eval()).1;
    let batched = f64s(&vmap(|(x, l): &(Tensor, Tensor)| per(x, l))(&(
        xs.clone(),
        len.clone(),
    )));
    let looped: Vec<f64> = (0..2)
        .flat_map(|b| {
            f64s(&per(
                &xs.index(ferrax::idx![b]),
                &len.index(ferrax::idx![b]),
            ))
        })
        .collect();
    assert_close(&batched, &looped, 1e-12);
    let jitted = jit(|(bi, xs, l): &(Bi, Tensor, Tensor)| {
        bi.forward_with_carry(xs, Some(l), &mut Ctx::eval()).1
    })(&(bi.clone(), xs.clone(), len.clone()));
    assert_close(&f64s(&jitted), &looped, 1e-12);
}

#[test]
fn bidirectional_errors_name_the_layer_and_shapes() {
    let bi = layer();
    let xs = Tensor::zeros(&[2, 4, 3], DType::F64);
    let cases = [
        (
            "nn::Bidirectional",
            panic_message(|| {
                bi.forward_with_carry(
                    &xs,
                    Some(&Tensor::zeros(&[3], DType::I32)),
                    &mut Ctx::eval(),
                )
            }),
        ),
        (
            "nn::Bidirectional",
            panic_message(|| bi.forward(&Tensor::zeros(&[3], DType::F64), &mut Ctx::eval())),
        ),
    ];
    assert_errors_name_function_shapes_and_caller(&cases, "layers_bidirectional.rs");
}
