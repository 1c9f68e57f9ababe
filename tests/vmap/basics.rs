//! vmap's machinery and API: in_axes/out_axes (prefixes, negative axes, NotMapped),
//! axis_size, mismatched sizes, named-axis collectives, nesting and composition with grad,
//! and the elementwise batching rules against loops over examples.

use ferrax::prelude::*;
use ferrax::transforms::{vmap, vmap_with, AxisSpec, VmapSpec};
use ferrax::{lax, numpy as jnp};
use proptest::prelude::*;

fn t64(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}

/// `f` applied to each slice of `xs` along `axis`, stacked along `out_axis`: the reference.
fn loop_map(f: impl Fn(&Tensor) -> Tensor, xs: &Tensor, axis: isize, out_axis: isize) -> Tensor {
    let n = xs.shape()[jnp::normalize_axis(axis, xs.ndim())];
    let outs: Vec<Tensor> = (0..n as isize)
        .map(|i| f(&xs.index_axis(axis, i)))
        .collect();
    jnp::stack(&outs, out_axis)
}

#[test]
fn maps_axis_zero_by_default() {
    let xs = t64(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    let f = |x: &Tensor| (x.sin() * 2.0 + x).exp();
    assert_eq!(
        vmap(f)(&xs).to_vec::<f64>(),
        loop_map(f, &xs, 0, 0).to_vec::<f64>()
    );
}

#[test]
fn in_axes_out_axes_and_negative_axes() {
    let xs = t64(&(0..24).map(|v| v as f64).collect::<Vec<_>>(), &[2, 3, 4]);
    let f = |x: &Tensor| x * 2.0 + 1.0;
    for (ia, oa) in [(0isize, 0isize), (1, 0), (2, 1), (-1, -1), (1, 2)] {
        let g = vmap_with(f, VmapSpec::new().in_axes(ia).out_axes(oa));
        let got = g(&xs);
        let want = loop_map(f, &xs, ia, oa);
        assert_eq!(got.shape(), want.shape(), "in {ia} out {oa}");
        assert_eq!(
            got.to_vec::<f64>(),
            want.to_vec::<f64>(),
            "in {ia} out {oa}"
        );
    }
}

#[test]
fn unbatched_arguments_stay_unbatched_and_broadcast_when_combined() {
    let xs = t64(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let c = t64(&[10.0, 20.0, 30.0], &[3]);
    let g = vmap_with(
        |(x, c): &(Tensor, Tensor)| x * c + c,
        VmapSpec::new().in_axes((0, AxisSpec::NotMapped)),
    );
    let got = g(&(xs.clone(), c.clone()));
    assert_eq!(
        got.to_vec::<f64>(),
        vec![20.0, 60.0, 120.0, 50.0, 120.0, 210.0]
    );
    // A function that ignores its batched input returns an unbatched value, broadcast on output.
    let h = vmap(|_x: &Tensor| t64(&[7.0], &[1]));
    assert_eq!(h(&xs).shape(), &[2, 1]);
    // axis_size when nothing is mapped.
    let k = vmap_with(
        |c: &Tensor| c * 2.0,
        VmapSpec::new().in_axes(AxisSpec::NotMapped).axis_size(4),
    );
    assert_eq!(k(&c).shape(), &[4, 3]);
    // out_axes NotMapped for an unbatched output.
    let u = vmap_with(
        |(x, c): &(Tensor, Tensor)| (x + c, c * 3.0),
        VmapSpec::new()
            .in_axes((0, AxisSpec::NotMapped))
            .out_axes((0, AxisSpec::NotMapped)),
    );
    let (a, b) = u(&(xs, c));
    assert_eq!((a.shape(), b.shape()), (&[2usize, 3][..], &[3usize][..]));
}

#[test]
#[should_panic(expected = "different sizes: 2 at argument[0]")]
fn mismatched_batch_sizes_name_the_arguments() {
    let g = vmap(|(a, b): &(Tensor, Tensor)| a + b);
    let _ = g(&(t64(&[1.0, 2.0], &[2]), t64(&[1.0, 2.0, 3.0], &[3])));
}

#[test]
#[should_panic(expected = "no input is mapped")]
fn nothing_mapped_without_axis_size_is_an_error() {
    let _ = vmap_with(
        |x: &Tensor| x * 2.0,
        VmapSpec::new().in_axes(AxisSpec::NotMapped),
    )(&t64(&[1.0], &[1]));
}

#[test]
fn collectives_over_a_named_axis() {
    let xs = t64(&[1.0, 2.0, 3.0, 6.0], &[4]);
    let normalize = vmap_with(
        |x: &Tensor| (x - lax::pmean(x, "b")) / lax::psum(x, "b"),
        VmapSpec::new().axis_name("b"),
    );
    let got = normalize(&xs).to_vec::<f64>();
    assert_eq!(got, vec![-2.0 / 12.0, -1.0 / 12.0, 0.0, 3.0 / 12.0]);
    let idx = vmap_with(
        |x: &Tensor| x * lax::axis_index("b").cast(DType::F64),
        VmapSpec::new().axis_name("b"),
    );
    assert_eq!(idx(&xs).to_vec::<f64>(), vec![0.0, 2.0, 6.0, 18.0]);
    let mx = vmap_with(
        |x: &Tensor| lax::pmax(x, "b") - lax::pmin(x, "b"),
        VmapSpec::new().axis_name("b"),
    );
    assert_eq!(mx(&xs).to_vec::<f64>(), vec![5.0; 4]);
    // Nested vmaps: the collective names the outer axis.
    let m = t64(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let outer = vmap_with(
        |row: &Tensor| {
            vmap_with(
                |x: &Tensor| lax::psum(x, "rows"),
                VmapSpec::new().axis_name("cols"),
            )(row)
        },
        VmapSpec::new().axis_name("rows"),
    );
    assert_eq!(outer(&m).to_vec::<f64>(), vec![4.0, 6.0, 4.0, 6.0]);
    // Gradient through psum.
    let g = grad(|xs: &Tensor| {
        vmap_with(
            |x: &Tensor| x * lax::psum(x, "b"),
            VmapSpec::new().axis_name("b"),
        )(xs)
        .sum()
    })(&xs);
    // d/dx_k sum_i x_i * S = S + sum_i x_i = 2S
    assert_eq!(g.to_vec::<f64>(), vec![24.0; 4]);
}

#[test]
#[should_panic(expected = "unbound axis name 'b'")]
fn collectives_outside_vmap_are_an_error() {
    let _ = lax::psum(&t64(&[1.0], &[1]), "b");
}

#[test]
fn nested_vmap_and_composition_with_grad() {
    let m = t64(&[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], &[2, 3]);
    let f = |x: &Tensor| x.sin() * x;
    let vv = vmap(vmap(f));
    assert_eq!(vv(&m).to_vec::<f64>(), f(&m).to_vec::<f64>());
    // Per-example gradients: vmap(grad) equals a loop of grad.
    let per_example = vmap(grad(|x: &Tensor| (x.sin() * x).sum()));
    let want = loop_map(grad(|x: &Tensor| (x.sin() * x).sum()), &m, 0, 0);
    assert_eq!(per_example(&m).to_vec::<f64>(), want.to_vec::<f64>());
    // grad of vmap.
    let g = grad(|m: &Tensor| vmap(f)(m).sum())(&m);
    assert_eq!(
        g.to_vec::<f64>(),
        grad(|m: &Tensor| f(m).sum())(&m).to_vec::<f64>()
    );
    // vmap of jvp.
    let t = Tensor::ones(&[2, 3], DType::F64);
    let (_, dy) = vmap(|(x, t): &(Tensor, Tensor)| jvp(f, x, t))(&(m.clone(), t.clone()));
    assert_eq!(dy.to_vec::<f64>(), jvp(f, &m, &t).1.to_vec::<f64>());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Binary ops with the batch dim at different positions, and one operand unbatched.
    #[test]
    fn binary_ops_match_a_loop(
        b in 1usize..4, n in 1usize..4, in_a in 0isize..2, y_batched in any::<bool>(), op in 0usize..6, seed in 0u32..100,
    ) {
        let vals = |k: usize, s: u32| -> Vec<f64> { (0..k).map(|i| ((i as u32 * 7 + s) % 13) as f64 * 0.25 + 0.5).collect() };
        let shape_a: Vec<usize> = if in_a == 0 { vec![b, n] } else { vec![n, b] };
        let xs = t64(&vals(b * n, seed), &shape_a);
        let y = if y_batched { t64(&vals(b * n, seed + 1), &[b, n]) } else { t64(&vals(n, seed + 1), &[n]) };
        let f = move |x: &Tensor, y: &Tensor| -> Tensor {
            match op {
                0 => x + y,
                1 => x * y,
                2 => x / y,
                3 => x.maximum(y),
                4 => lax::select_n(&x.gt(y), &[x.clone(), y.clone()]),
                _ => x.pow(y),
            }
        };
        let spec = VmapSpec::new().in_axes((in_a, if y_batched { AxisSpec::Axis(0) } else { AxisSpec::NotMapped }));
        let got = vmap_with(|(x, y): &(Tensor, Tensor)| f(x, y), spec)(&(xs.clone(), y.clone()));
        let rows: Vec<Tensor> = (0..b as isize)
            .map(|i| {
                let yi = if y_batched { y.index_axis(0, i) } else { y.clone() };
                f(&xs.index_axis(in_a, i), &yi)
            })
            .collect();
        let want = jnp::stack(&rows, 0);
        prop_assert_eq!(got.to_vec::<f64>(), want.to_vec::<f64>());
    }

    /// Unary ops and clamp/convert with batch dims anywhere.
    #[test]
    fn unary_ops_match_a_loop(b in 1usize..4, n in 1usize..4, axis in 0isize..2, seed in 0u32..100) {
        let v: Vec<f64> = (0..b * n).map(|i| ((i as u32 * 5 + seed) % 11) as f64 * 0.1 - 0.4).collect();
        let xs = t64(&v, &if axis == 0 { vec![b, n] } else { vec![n, b] });
        let f = |x: &Tensor| {
            let c = lax::clamp(&Tensor::scalar(-0.2f64), &x.tanh(), &Tensor::scalar(0.3f64));
            lax::convert_element_type(&(c.exp() + x.abs().sqrt()), DType::F32)
        };
        let got = vmap_with(f, VmapSpec::new().in_axes(axis))(&xs);
        let want = loop_map(f, &xs, axis, 0);
        prop_assert_eq!(got.to_vec::<f32>(), want.to_vec::<f32>());
    }
}

/// Every unary elementwise primitive, batch dim in the middle of a rank-3 operand.
#[test]
fn every_unary_primitive_matches_a_loop() {
    let vals: Vec<f64> = (0..24).map(|i| 0.05 + 0.03 * i as f64).collect(); // inside (0, 1)
    let xs = t64(&vals, &[2, 3, 4]);
    type Op = (&'static str, fn(&Tensor) -> Tensor);
    let ops: Vec<Op> = vec![
        ("neg", lax::neg),
        ("sign", lax::sign),
        ("floor", lax::floor),
        ("ceil", lax::ceil),
        ("is_finite", |x| lax::is_finite(x).cast(DType::F64)),
        ("exp", lax::exp),
        ("exp2", lax::exp2),
        ("log", lax::log),
        ("log1p", lax::log1p),
        ("expm1", lax::expm1),
        ("tanh", lax::tanh),
        ("logistic", lax::logistic),
        ("sin", lax::sin),
        ("cos", lax::cos),
        ("tan", lax::tan),
        ("asin", lax::asin),
        ("acos", lax::acos),
        ("atan", lax::atan),
        ("sinh", lax::sinh),
        ("cosh", lax::cosh),
        ("asinh", lax::asinh),
        ("acosh", |x| lax::acosh(&(x + 1.0))),
        ("atanh", lax::atanh),
        ("sqrt", lax::sqrt),
        ("rsqrt", lax::rsqrt),
        ("cbrt", lax::cbrt),
        ("abs", lax::abs),
        ("square", lax::square),
        ("integer_pow", |x| lax::integer_pow(x, 3)),
        ("erf", lax::erf),
        ("erf_inv", lax::erf_inv),
        ("lgamma", lax::lgamma),
        ("digamma", lax::digamma),
        ("round", |x| lax::round(x, lax::Rounding::ToNearestEven)),
        ("stop_gradient", lax::stop_gradient),
        ("copy", lax::copy),
        ("not", |x| lax::not(&x.gt(0.5)).cast(DType::F64)),
        ("nextafter", |x| lax::nextafter(x, &Tensor::scalar(2.0f64))),
        ("polygamma", |x| lax::polygamma(&Tensor::scalar(1.0f64), x)),
        ("atan2", |x| lax::atan2(x, &Tensor::scalar(0.5f64))),
        ("rem", |x| lax::rem(x, &Tensor::scalar(0.3f64))),
        ("min", |x| lax::min(x, &Tensor::scalar(0.4f64))),
        ("sub", |x| lax::sub(&Tensor::scalar(1.0f64), x)),
        ("eq/ne/lt/le/ge", |x| {
            let h = Tensor::scalar(0.5f64);
            let parts = [
                lax::eq(x, &h),
                lax::ne(x, &h),
                lax::lt(x, &h),
                lax::le(x, &h),
                lax::ge(x, &h),
            ];
            parts
                .iter()
                .fold(Tensor::scalar(0.0f64), |acc, p| acc + p.cast(DType::F64))
        }),
    ];
    for (name, f) in ops {
        let got = vmap_with(f, VmapSpec::new().in_axes(1).out_axes(1))(&xs);
        let want = loop_map(f, &xs, 1, 1);
        assert_eq!(got.shape(), want.shape(), "{name}");
        assert_eq!(got.to_vec::<f64>(), want.to_vec::<f64>(), "{name}");
    }
    // Integer and bool operands.
    let ints = Tensor::from_vec((0..6).map(|v| v - 3).collect::<Vec<i32>>(), &[2, 3]);
    let f = |x: &Tensor| {
        lax::xor(
            &lax::or(&lax::and(x, &Tensor::scalar(5i32)), &Tensor::scalar(8i32)),
            x,
        )
    };
    assert_eq!(
        vmap(f)(&ints).to_vec::<i32>(),
        loop_map(f, &ints, 0, 0).to_vec::<i32>()
    );
}
