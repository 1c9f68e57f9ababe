//! NumPy indexing (`x.index(idx![..])`, `x.at(idx![..])`) and `put`/`place`/`put_along_axis`/
//! `choose` against JAX 0.10.2's values (tests/golden/indexing.txt, written by
//! tests/golden/make_indexing.py): dtype, shape and every value bit for bit. Each case below
//! spells the index expression of the script's case of the same name.

use crate::common::golden::{self, dtype, Golden};
use std::collections::HashMap;

use ferrax::idx;
use ferrax::lax::GatherScatterMode as Mode;
use ferrax::numpy::{self as jnp, AtOptions, Choose, ChooseMode, Put, PutAlongAxis, PutMode};
use ferrax::prelude::*;

pub(crate) fn golden() -> Vec<(String, Golden)> {
    golden::arrays(include_str!("../golden/indexing.txt"))
}

pub(crate) fn inputs() -> HashMap<String, Tensor> {
    golden::inputs_of(golden())
}

fn fill() -> AtOptions {
    AtOptions {
        mode: Some(Mode::FillOrDrop),
        fill_value: Some(-1.0),
        ..Default::default()
    }
}

fn mode(m: Mode) -> AtOptions {
    AtOptions {
        mode: Some(m),
        ..Default::default()
    }
}

/// The ferrax spelling of every case of make_indexing.py.
fn compute(name: &str, g: &HashMap<String, Tensor>) -> Tensor {
    let t = |k: &str| g[k].clone();
    let (x, v, w, vi, wi, vb) = (t("X"), t("V"), t("W"), t("Vi"), t("Wi"), t("Vb"));
    let (u4, u3, i, i2, j, j2, k, k3, d) = (
        t("U4"),
        t("U3"),
        t("I"),
        t("I2"),
        t("J"),
        t("J2"),
        t("K"),
        t("K3"),
        t("D"),
    );
    let (m, mb, mv, z, a34) = (t("M"), t("Mb"), t("MV"), t("Z"), t("A34"));
    let i2_2 = i2.index(idx![..2]);
    match name {
        "get.int" => x.index(idx![1]),
        "get.negint" => x.index(idx![-1, 2]),
        "get.oob_int" => x.index(idx![5]),
        "get.oob_negint" => x.index(idx![-9, 1]),
        "get.slice" => x.index(idx![.., 1..3]),
        "get.slice_neg_bounds" => x.index(idx![.., -2.., ..-1]),
        "get.slice_step" => x.index(idx![..., 1..;2]),
        "get.slice_big" => x.index(idx![.., 1..100;2]),
        "get.neg_step" => x.index(idx![.., ..;-1]),
        "get.neg_step2" => x.index(idx![1, 2..0;-1, ..;-2]),
        "get.neg_step3" => x.index(idx![.., -1..-4;-2, 3..0;-3]),
        "get.empty" => x.index(idx![.., 2..1]),
        "get.ellipsis" => x.index(idx![..., 0]),
        "get.ellipsis_mid" => x.index(idx![0, ..., 1]),
        "get.ellipsis_empty" => x.index(idx![0, 1, Ellipsis, 2]),
        "get.newaxis" => x.index(idx![NewAxis, 1, .., NewAxis]),
        "get.newaxis_ell" => x.index(idx![..., NewAxis]),
        "get.arr" => x.index(idx![&i2]),
        "get.arr_axis1" => x.index(idx![.., &i]),
        "get.arr_2d" => x.index(idx![.., &j]),
        "get.arr_0d" => x.index(idx![&z]),
        "get.arr_ell" => x.index(idx![..., &i]),
        "get.arr_oob" => x.index(idx![.., &k3]),
        "get.adjacent" => x.index(idx![.., &i, &i]),
        "get.separated" => x.index(idx![&i2, .., &i]),
        "get.int_arr_adjacent" => x.index(idx![1, &i]),
        "get.int_arr_separated" => x.index(idx![1, .., &i]),
        "get.broadcast" => x.index(idx![&j2, &i]),
        "get.newaxis_between" => x.index(idx![&i2, NewAxis, &i]),
        "get.newaxis_arr" => x.index(idx![NewAxis, &i2, .., &i]),
        "get.slice_arr_slice" => x.index(idx![0..1, &i, 1..;2]),
        "get.neg_arr" => x.index(idx![..;-1, &i, ..;-1]),
        "get.all" => x.index(idx![1, NewAxis, ..., &i, NewAxis]),
        "get.mask" => x.index(idx![&m]),
        "get.mask_1d" => v.index(idx![&mv]),
        "get.mask_axis" => x.index(idx![.., &mb]),
        "get.mask_arr" => x.index(idx![.., &mb, &i2_2]),
        "get.fill" => v.at(idx![&k]).get_with(fill()),
        "get.fill_nan" => v.at(idx![&k]).get_with(mode(Mode::FillOrDrop)),
        "get.fill_2d" => x.at(idx![.., &k3, 1..]).get_with(fill()),
        "get.clip" => v.at(idx![&k]).get_with(mode(Mode::Clip)),
        "get.i32" => vi.index(idx![1..;2]),
        "get.bool" => vb.index(idx![&i]),
        "set.int" => x.at(idx![1]).set(7.0),
        "set.slice" => x.at(idx![.., 1..3]).set(&u4),
        "set.neg_step" => x.at(idx![.., ..;-1, 0]).set(&u3),
        "set.neg_step2" => x
            .at(idx![1, 2..0;-1, ..;-2])
            .set(Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2])),
        "set.newaxis" => x
            .at(idx![NewAxis, 0, .., NewAxis, 1])
            .set(u3.reshape(&[3, 1])),
        "set.ellipsis" => x.at(idx![..., 1]).set(-1.0),
        "set.arr" => x.at(idx![.., &i]).set(&u4),
        "set.separated" => x.at(idx![&i2, .., &i]).set(u3.reshape(&[3, 1])),
        "set.adjacent" => x.at(idx![.., &i, &i]).set(&u3),
        "set.mask" => x.at(idx![&m]).set(0.0),
        "set.oob" => v.at(idx![&k]).set(&w),
        "set.oob_int" => v.at(idx![9]).set(1.0),
        "set.clip" => v.at(idx![&k]).set_with(&w, mode(Mode::Clip)),
        "set.empty" => x.at(idx![.., 2..1]).set(5.0),
        "set.i32" => vi.at(idx![1..;2]).set(0),
        "set.bool" => vb.at(idx![&i]).set(true),
        "set.unique" => v.at(idx![&i]).set_with(
            &u3,
            AtOptions {
                unique_indices: true,
                ..Default::default()
            },
        ),
        "set.dup" => v.at(idx![&d]).set(&w),
        "add.dup" => v.at(idx![&d]).add(&w),
        "add.oob" => v.at(idx![&k]).add(&w),
        "add.clip" => v.at(idx![&k]).add_with(&w, mode(Mode::Clip)),
        "add.separated" => x.at(idx![&i2, .., &i]).add(1.0),
        "add.adjacent" => x.at(idx![.., &i, &i]).add(&u3),
        "add.mask" => v.at(idx![&mv]).add(&u3),
        "add.broadcast" => x.at(idx![&j2, &i]).add(&u4),
        "add.slice_step" => x.at(idx![.., ..;2, 1..;-1]).add(u4.index(idx![..2])),
        "add.i32_dup" => vi.at(idx![&d]).add(&wi),
        "mul.dup" => v.at(idx![&d]).mul(&w),
        "mul.slice" => x.at(idx![.., ..;2]).mul(2.0),
        "mul.oob" => v.at(idx![&k]).mul(&w),
        "mul.i32_dup" => vi.at(idx![&d]).mul(&wi),
        "min.dup" => v.at(idx![&d]).min(&w),
        "min.int" => x.at(idx![0]).min(0.0),
        "min.i32_dup" => vi.at(idx![&d]).min(&wi),
        "min.oob" => v.at(idx![&k]).min(&w),
        "max.dup" => v.at(idx![&d]).max(&w),
        "max.broadcast" => x.at(idx![&j2, &i]).max(5.0),
        "max.i32_dup" => vi.at(idx![&d]).max(&wi),
        "max.mask" => x.at(idx![&m]).max(2.0),
        "subtract.dup" => v.at(idx![&d]).subtract(&w),
        "subtract.i32_dup" => vi.at(idx![&d]).subtract(&wi),
        "subtract.oob" => v.at(idx![&k]).subtract(&w),
        "divide.dup" => v.at(idx![&d]).divide(&w),
        "divide.i32_dup" => vi.at(idx![&d]).divide(&wi),
        "power.dup" => v.at(idx![&d]).power(&w),
        "power.i32_dup" => vi.at(idx![&d]).power(&wi),
        "power.slice" => x.at(idx![.., ..;2]).power(2.0),
        "put.basic" => jnp::put(&a34, &t("P"), &t("T3")),
        "put.tile" => jnp::put(&a34, &t("P4"), &t("T2")),
        "put.clip" => jnp::put_with(
            &a34,
            &t("Pc"),
            &t("T2"),
            Put {
                mode: Some(PutMode::Clip),
            },
        ),
        "put.wrap" => jnp::put_with(
            &a34,
            &t("Pw"),
            &t("T2"),
            Put {
                mode: Some(PutMode::Wrap),
            },
        ),
        "put.oob" => jnp::put(&a34, &t("Po"), &t("T2")),
        "put.f32" => jnp::put(&x, &t("P"), &u3),
        "place.basic" => jnp::place(&a34, &t("PM"), &t("T2")),
        "place.many" => jnp::place(&v, &mv, &w),
        "put_along_axis.axis1" => {
            jnp::put_along_axis(&t("B23"), &t("IA"), &Tensor::scalar(99), Some(1))
        }
        "put_along_axis.axis0" => {
            jnp::put_along_axis(&t("B23"), &t("IA0"), &t("T3").reshape(&[1, 3]), Some(0))
        }
        "put_along_axis.none" => jnp::put_along_axis(&t("B23"), &t("IAN"), &t("T2"), None),
        "put_along_axis.oob" => jnp::put_along_axis_with(
            &t("B23"),
            &(&t("IA") + 5),
            &Tensor::scalar(99),
            Some(1),
            PutAlongAxis::default(),
        ),
        "choose.basic" => jnp::choose(
            &t("CA"),
            &[t("C0"), t("C1"), Tensor::full(&[4], 99, DType::I32)],
        ),
        "choose.wrap" => jnp::choose_with(
            &t("CW"),
            &[t("C0"), t("C1")],
            Choose {
                mode: ChooseMode::Wrap,
            },
        ),
        "choose.clip" => jnp::choose_with(
            &t("CW"),
            &[t("C0"), t("C1")],
            Choose {
                mode: ChooseMode::Clip,
            },
        ),
        "choose.broadcast" => jnp::choose(&jnp::remainder(t("CA"), 2), &[t("C2"), t("C1")]),
        other => panic!("no ferrax spelling for case {other}"),
    }
}

fn same_value(a: f64, b: f64) -> bool {
    a == b && a.is_sign_negative() == b.is_sign_negative() || a.is_nan() && b.is_nan()
}

#[test]
fn indexing_matches_jax() {
    let g = inputs();
    let mut checked = 0;
    for (name, want) in golden().into_iter().filter(|(n, _)| !n.starts_with("in.")) {
        let got = compute(&name, &g);
        assert_eq!(got.dtype(), dtype(&want.dtype), "{name}: dtype");
        assert_eq!(got.shape(), want.shape.as_slice(), "{name}: shape");
        let vals = got.array().to_f64_vec();
        let ok = vals.len() == want.values.len()
            && vals
                .iter()
                .zip(&want.values)
                .all(|(&a, &b)| same_value(a, b));
        assert!(ok, "{name}: got {vals:?}, JAX {:?}", want.values);
        checked += 1;
    }
    assert!(checked >= 90, "only {checked} cases");
}
