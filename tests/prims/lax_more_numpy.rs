//! The jax.numpy names added with the lax primitives: `unique` and its array-API variants,
//! `union1d`/`intersect1d`/`setdiff1d`/`setxor1d` (with `size`/`fill_value`), `trim_zeros`,
//! `argpartition`, `insert`, `block`, `mask_indices`, `vectorize`, against JAX 0.10.2's
//! outputs (tests/golden/lax.txt, cases `np_*`): dtype, shape and values bit for bit. Also:
//! the concrete-only ones panic under tracing naming the function; `argpartition`, `insert`
//! and `vectorize` under grad/vmap/jit.

use crate::common::panics::panic_message;
use crate::lax_golden::{compare, golden, inputs};
use ferrax::numpy::{self as jnp, Block, InsertAt, SetSize};
use ferrax::prelude::*;
use ferrax::test_util::check_grads;
use std::collections::HashMap;

fn sized(size: usize, fill: Option<f64>) -> SetSize {
    SetSize {
        size: Some(size),
        fill_value: fill,
    }
}

fn run(case: &str, i: &HashMap<String, Tensor>) -> Option<Vec<Tensor>> {
    let all = |a: jnp::UniqueAll| vec![a.values, a.indices, a.inverse_indices, a.counts];
    let pair = |(a, b): (Tensor, Tensor)| vec![a, b];
    let set = |f: &str, o: SetSize| {
        let (a, b) = (&i["S1"], &i["S2"]);
        match f {
            "union1d" => jnp::union1d_with(a, b, o),
            "intersect1d" => jnp::intersect1d_with(a, b, o),
            "setdiff1d" => jnp::setdiff1d_with(a, b, o),
            _ => jnp::setxor1d_with(a, b, o),
        }
    };
    let one = |t: Tensor| vec![t];
    Some(match case.split_once('.').unwrap() {
        ("np_packbits", "flat") => one(jnp::packbits(&i["PB"], None)),
        ("np_packbits", "axis1") => one(jnp::packbits(&i["PB"], Some(1))),
        ("np_packbits", "axis0_little") => one(jnp::packbits_with(
            &i["PB"],
            Some(0),
            jnp::PackBits {
                bitorder: jnp::BitOrder::Little,
            },
        )),
        ("np_sort_complex", "c64") => one(jnp::sort_complex(&i["SC"])),
        ("np_sort_complex", "real2d") => one(jnp::sort_complex(&i["SR"])),
        ("np_unpackbits", "flat") => one(jnp::unpackbits(&i["UB"], None)),
        ("np_unpackbits", "axis0") => one(jnp::unpackbits(&i["UB"], Some(0))),
        ("np_unpackbits", "axis1_count5_little") => one(jnp::unpackbits_with(
            &i["UB"],
            Some(1),
            jnp::UnpackBits {
                count: Some(5),
                bitorder: jnp::BitOrder::Little,
            },
        )),
        ("np_unpackbits", "axis1_count30") => one(jnp::unpackbits_with(
            &i["UB"],
            Some(1),
            jnp::UnpackBits {
                count: Some(30),
                ..Default::default()
            },
        )),
        ("np_unique", "u1") => one(jnp::unique(&i["U1"])),
        ("np_unique", "u1_size8") => one(jnp::unique_with(&i["U1"], sized(8, None))),
        ("np_unique", "u1_size3") => one(jnp::unique_with(&i["U1"], sized(3, None))),
        ("np_unique", "u3") => one(jnp::unique(&i["U3"])),
        ("np_unique_all_with", "u2_size5") => all(jnp::unique_all_with(&i["U2"], sized(5, None))),
        ("np_unique_all_with", "u2_size5_fill9") => {
            all(jnp::unique_all_with(&i["U2"], sized(5, Some(9.0))))
        }
        ("np_unique_all_with", "u1") => all(jnp::unique_all_with(&i["U1"], SetSize::default())),
        ("np_unique_all", "u1") => all(jnp::unique_all(&i["U1"])),
        ("np_unique_counts", "u2") => pair(jnp::unique_counts(&i["U2"])),
        ("np_unique_inverse", "u3") => pair(jnp::unique_inverse(&i["U3"])),
        ("np_unique_values", "u1") => one(jnp::unique_values(&i["U1"])),
        (f, "s") => one(set(&f[3..], SetSize::default())),
        (f, "s_size5") => one(set(&f[3..], sized(5, None))),
        (f, "s_size5_fill") => one(set(&f[3..], sized(5, Some(-7.0)))),
        ("np_trim_zeros", "fb") => one(jnp::trim_zeros(&i["Z1"], "fb")),
        ("np_trim_zeros", "f") => one(jnp::trim_zeros(&i["Z1"], "f")),
        ("np_trim_zeros", "b") => one(jnp::trim_zeros(&i["Z1"], "b")),
        ("np_trim_zeros", "zeros") => one(jnp::trim_zeros(&i["Z2"], "fb")),
        ("np_argpartition", "p1_2") => one(jnp::argpartition(&i["P1"], 2, -1)),
        ("np_argpartition", "p1_0") => one(jnp::argpartition(&i["P1"], 0, -1)),
        ("np_argpartition", "p1_5") => one(jnp::argpartition(&i["P1"], 5, -1)),
        ("np_argpartition", "p2_1") => one(jnp::argpartition(&i["P2"], 1, -1)),
        ("np_argpartition", "p2_axis0") => one(jnp::argpartition(&i["P2"], 1, 0)),
        ("np_insert", "scalar_axis1") => {
            one(jnp::insert(&i["N6"], InsertAt::Index(1), &i["IV"], Some(1)))
        }
        ("np_insert", "many_axis1") => one(jnp::insert(
            &i["N6"],
            InsertAt::Indices(vec![0, 2, 2]),
            &Tensor::scalar(9i32),
            Some(1),
        )),
        ("np_insert", "flat") => one(jnp::insert(
            &i["N6"],
            InsertAt::Index(1),
            &Tensor::scalar(5i32),
            None,
        )),
        ("np_insert", "row") => one(jnp::insert(&i["N6"], InsertAt::Index(1), &i["IW"], Some(0))),
        ("np_insert", "negative") => one(jnp::insert(
            &i["N6"],
            InsertAt::Index(-1),
            &i["IV"],
            Some(1),
        )),
        ("np_block", "2d") => one(jnp::block(&Block::List(vec![
            Block::List(vec![
                Block::Array(Tensor::ones(&[2, 2], DType::F32)),
                Block::Array(Tensor::zeros(&[2, 1], DType::F32)),
            ]),
            Block::List(vec![Block::Array(jnp::full(&[1, 3], 2.0f32))]),
        ]))),
        ("np_block", "1d") => one(jnp::block(&Block::List(vec![
            Block::Array(i["VB"].clone()),
            Block::Array(i["VB"].clone()),
            Block::Array(Tensor::ones(&[1], DType::F32)),
        ]))),
        ("np_block", "promote") => one(jnp::block(&Block::List(vec![
            Block::List(vec![Block::Array(i["VB"].clone())]),
            Block::List(vec![Block::Array(i["VB"].clone())]),
        ]))),
        ("np_mask_indices", "triu1") => pair(jnp::mask_indices(3, jnp::triu, 1)),
        ("np_mask_indices", "tril0") => pair(jnp::mask_indices(4, jnp::tril, 0)),
        ("np_vectorize", "dot") => one(jnp::vectorize(
            |x: &[Tensor]| jnp::dot(&x[0], &x[1]),
            Some("(n),(n)->()"),
        )(&[i["VA"].clone(), i["VB"].clone()])),
        ("np_vectorize", "scalar") => {
            one(jnp::vectorize(|x: &[Tensor]| &x[0] * 2.0 + &x[1], None)(&[
                i["VA"].clone(),
                i["VB"].clone(),
            ]))
        }
        ("np_vectorize", "outer") => one(jnp::vectorize(
            |x: &[Tensor]| jnp::outer(&x[0], &x[1]),
            Some("(n),(m)->(n,m)"),
        )(&[i["VA"].clone(), i["VB"].clone()])),
        ("np_histogram2d", "b23") => {
            let (h, x, y) = jnp::histogram2d(&i["HX"], &i["HY"], (2, 3));
            vec![h, x, y]
        }
        ("np_histogram2d", "weights_range") => {
            let o = jnp::HistogramDd {
                range: Some(vec![(0.0, 1.0), (-1.0, 1.0)]),
                weights: Some(i["HW"].clone()),
                density: false,
            };
            let (h, x, y) = jnp::histogram2d_with(&i["HX"], &i["HY"], (3, 2), o);
            vec![h, x, y]
        }
        ("np_histogramdd", "density") => {
            let s = jnp::stack(&[i["HX"].clone(), i["HY"].clone(), i["HW"].clone()], 1);
            let o = jnp::HistogramDd {
                density: true,
                ..Default::default()
            };
            let (h, e) = jnp::histogramdd_with(&s, &[2, 2, 3], o);
            let mut v = vec![h];
            v.extend(e);
            v
        }
        _ => return None,
    })
}

#[test]
fn numpy_names_match_jax() {
    let inp = inputs();
    let (arrays, _) = golden();
    let mut results: HashMap<String, Vec<Tensor>> = HashMap::new();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (name, want) in arrays.iter().filter(|(n, _)| n.starts_with("np_")) {
        let parts: Vec<&str> = name.split('.').collect();
        let case = format!("{}.{}", parts[0], parts[1]);
        let outs = results
            .entry(case.clone())
            .or_insert_with(|| run(&case, &inp).unwrap_or_default());
        let Some(got) = outs.get(parts.get(2).map_or(0, |i| i.parse::<usize>().unwrap())) else {
            failures.push(format!("{name}: no ferrax case"));
            continue;
        };
        checked += 1;
        if let Err(e) = compare(name, got, want, 0.0) {
            failures.push(e);
        }
    }
    assert!(checked >= 60, "only {checked} golden cases");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ from JAX:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn numpy_names_under_transformations() {
    let i = inputs();
    // Concrete-only routines name themselves under tracing.
    let m = panic_message(|| jit(|x: &Tensor| jnp::unique(x))(&i["U2"]));
    assert!(
        m.contains("unique") && m.contains("concrete") && m.contains("i32[5]"),
        "{m}"
    );
    let m = panic_message(|| jit(|x: &Tensor| jnp::trim_zeros(x, "fb"))(&i["Z1"]));
    assert!(m.contains("trim_zeros"), "{m}");
    // argpartition: jit equals eager, vmap equals a loop.
    let p2 = i["P2"].clone();
    let e = jnp::argpartition(&p2, 1, -1);
    assert_eq!(
        jit(|x: &Tensor| jnp::argpartition(x, 1, -1))(&p2).to_vec::<i32>(),
        e.to_vec::<i32>()
    );
    let v = vmap(|x: &Tensor| jnp::argpartition(x, 2, -1))(&p2);
    for r in 0..3isize {
        assert_eq!(
            v.index_axis(0, r).to_vec::<i32>(),
            jnp::argpartition(&p2.index_axis(0, r), 2, -1).to_vec::<i32>()
        );
    }
    // insert and vectorize are differentiable in the arrays.
    let a = Tensor::from_vec(vec![0.5f64, -1.0, 2.0, 0.25, 1.5, -0.75], &[2, 3]);
    let vals = Tensor::from_vec(vec![3.0f64, -2.0], &[2]);
    check_grads(
        |(a, v): &(Tensor, Tensor)| {
            jnp::insert(&a.sin(), InsertAt::Indices(vec![0, 3]), v, Some(1))
        },
        &(a.clone(), vals.clone()),
        2,
    );
    let dot = jnp::vectorize(
        |x: &[Tensor]| (&x[0] * &x[1]).sum().tanh(),
        Some("(n),(n)->()"),
    );
    check_grads(
        |(a, b): &(Tensor, Tensor)| dot(&[a.clone(), b.clone()]),
        &(a.clone(), a.index_axis(0, 0)),
        2,
    );
    let j = jit(|(a, b): &(Tensor, Tensor)| {
        jnp::vectorize(|x: &[Tensor]| (&x[0] * &x[1]).sum(), Some("(n),(n)->()"))(&[
            a.clone(),
            b.clone(),
        ])
    })(&(a.clone(), a.clone()));
    assert_eq!(
        j.to_vec::<f64>(),
        jnp::sum(&(&a * &a), Some(&[-1])).to_vec::<f64>()
    );
}

/// `isdtype`/`issubdtype` over every dtype and kind equal JAX's answers (the `dtype_kinds`
/// block of lax.txt: `dtype kind isdtype issubdtype`).
#[test]
fn dtype_kinds_match_jax() {
    use ferrax::numpy::{isdtype, issubdtype, DTypeKind};
    let (_, texts) = crate::lax_golden::golden();
    let mut checked = 0;
    for row in texts["dtype_kinds"].lines() {
        let f: Vec<&str> = row.split_whitespace().collect();
        let d = DType::from_name(f[0]).unwrap_or_else(|| panic!("unknown dtype {}", f[0]));
        let kind = match f[1] {
            "bool" => DTypeKind::Bool,
            "signed_integer" => DTypeKind::SignedInteger,
            "unsigned_integer" => DTypeKind::UnsignedInteger,
            "integral" => DTypeKind::Integral,
            "real_floating" => DTypeKind::RealFloating,
            "complex_floating" => DTypeKind::ComplexFloating,
            "numeric" => DTypeKind::Numeric,
            "inexact" => DTypeKind::Inexact,
            k => panic!("unknown kind {k}"),
        };
        if f[2] != "-" {
            assert_eq!(isdtype(d, &[kind]), f[2] == "1", "isdtype({d}, {kind:?})");
        }
        assert_eq!(
            issubdtype(d, kind),
            f[3] == "1",
            "issubdtype({d}, {kind:?})"
        );
        checked += 1;
    }
    assert_eq!(checked, 15 * 8);
}
