//! `jit` equals eager, bitwise, on every primitive family: one or more explicit tests per
//! family, each also under `grad` and `vmap` where the family is differentiable/batchable.
//! The test models are in `jit_equals_eager_models.rs`.

use crate::random_program;

use ferrax::core::Shape;
use ferrax::lax::{self, SelectPrim, WindowKind};
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use ferrax::random;
use ferrax::transforms::{custom_jvp, custom_vjp};
use random_program::{check, check_all, conv_params, in_range, rand, same};

// ---- unary, binary, elementwise ------------------------------------------------------------

#[test]
fn unary_family() {
    type U = fn(&Tensor) -> Tensor;
    let anywhere: [(&str, U); 22] = [
        ("neg", lax::neg),
        ("sign", lax::sign),
        ("floor", lax::floor),
        ("ceil", lax::ceil),
        ("exp", lax::exp),
        ("exp2", lax::exp2),
        ("expm1", lax::expm1),
        ("tanh", lax::tanh),
        ("logistic", lax::logistic),
        ("sin", lax::sin),
        ("cos", lax::cos),
        ("tan", lax::tan),
        ("atan", lax::atan),
        ("sinh", lax::sinh),
        ("cosh", lax::cosh),
        ("asinh", lax::asinh),
        ("cbrt", lax::cbrt),
        ("abs", lax::abs),
        ("square", lax::square),
        ("erf", lax::erf),
        ("copy", lax::copy),
        ("round", |x| lax::round(x, lax::Rounding::AwayFromZero)),
    ];
    for dtype in [DType::F32, DType::F64] {
        let x = rand(&[3, 4], dtype, 1);
        for (name, f) in anywhere {
            check_all(&format!("{name} {dtype:?}"), f, &x);
        }
        let pos = lax::abs(&x) + 0.5;
        let unit = lax::tanh(&x);
        for (name, f, x) in [
            ("log", lax::log as U, &pos),
            ("log1p", lax::log1p, &pos),
            ("sqrt", lax::sqrt, &pos),
            ("rsqrt", lax::rsqrt, &pos),
            ("lgamma", lax::lgamma, &pos),
            ("digamma", lax::digamma, &pos),
            ("acosh", |x| lax::acosh(&(x + 1.0)), &pos),
            ("asin", lax::asin, &unit),
            ("acos", lax::acos, &unit),
            ("atanh", lax::atanh, &unit),
            ("erf_inv", lax::erf_inv, &unit),
            ("integer_pow 3", |x| lax::integer_pow(x, 3), &x),
            ("integer_pow -2", |x| lax::integer_pow(x, -2), &pos),
        ] {
            check_all(&format!("{name} {dtype:?}"), f, x);
        }
        check(
            &format!("is_finite {dtype:?}"),
            lax::is_finite,
            &(x.clone() / 0.0),
        );
    }
    // Integer and bool unary ops.
    let i = rand(&[5], DType::I32, 2);
    check("neg i32", lax::neg, &i);
    check("abs i32", lax::abs, &i);
    check("not i32", lax::not, &i);
    check("not bool", lax::not, &i.gt(0));
}

#[test]
fn binary_family() {
    type B = fn(&Tensor, &Tensor) -> Tensor;
    let ops: [(&str, B); 13] = [
        ("add", lax::add),
        ("sub", lax::sub),
        ("mul", lax::mul),
        ("div", lax::div),
        ("rem", lax::rem),
        ("pow", |x, y| lax::pow(&lax::abs(x), y)),
        ("max", lax::max),
        ("min", lax::min),
        ("atan2", lax::atan2),
        ("nextafter", lax::nextafter),
        ("add_any", lax::add_any),
        ("lt", |x, y| {
            lax::convert_element_type(&lax::lt(x, y), x.dtype())
        }),
        ("eq", |x, y| {
            lax::convert_element_type(&lax::eq(x, &(x + y)), x.dtype())
        }),
    ];
    for dtype in [DType::F32, DType::F64] {
        let xy = (rand(&[2, 3], dtype, 3), rand(&[2, 3], dtype, 4));
        for (name, f) in ops {
            let g = |(x, y): &(Tensor, Tensor)| f(x, y);
            check(&format!("{name} {dtype:?}"), g, &xy);
            if !matches!(name, "nextafter" | "lt" | "eq" | "rem") {
                let loss = |p: &(Tensor, Tensor)| g(p).sum();
                same(name, &jit(grad(loss))(&xy), &grad(loss)(&xy));
            }
        }
        // A rank-0 operand stretches.
        check(
            "add scalar",
            |x: &Tensor| lax::add(x, &Tensor::from_f64_values(&[0.1], &[], dtype)),
            &xy.0,
        );
    }
    let ints = (rand(&[6], DType::I32, 5), rand(&[6], DType::I32, 6) + 7);
    for (name, f) in [
        ("add", lax::add as B),
        ("mul", lax::mul),
        ("div", lax::div),
        ("rem", lax::rem),
        ("max", lax::max),
        ("and", lax::and),
        ("or", lax::or),
        ("xor", lax::xor),
        ("ge", |x, y| {
            lax::convert_element_type(&lax::ge(x, y), DType::I32)
        }),
    ] {
        check(
            &format!("{name} i32"),
            |(x, y): &(Tensor, Tensor)| f(x, y),
            &ints,
        );
    }
    let bools = (ints.0.gt(0), ints.1.gt(7));
    for (name, f) in [("and", lax::and as B), ("or", lax::or), ("xor", lax::xor)] {
        check(
            &format!("{name} bool"),
            |(x, y): &(Tensor, Tensor)| f(x, y),
            &bools,
        );
    }
    check(
        "polygamma",
        |x: &Tensor| lax::polygamma(&Tensor::full(x.shape(), 1.0, DType::F32), x),
        &in_range(&[4], 0.5, 3.0, 7),
    );
}

#[test]
fn elementwise_family() {
    let x = rand(&[3, 4], DType::F32, 8);
    let y = rand(&[3, 4], DType::F32, 9);
    let z = rand(&[3, 4], DType::F32, 10);
    let lo = Tensor::scalar(-0.5f32);
    let hi = Tensor::scalar(0.75f32);
    check_all("clamp scalar bounds", |x| lax::clamp(&lo, x, &hi), &x);
    check_all(
        "clamp array bounds",
        |x| lax::clamp(&(&y - 1.0), x, &(&y + 1.0)),
        &x,
    );
    check_all(
        "select_n bool",
        |x| lax::select_n(&y.gt(0.0), &[x.clone(), x * &z]),
        &x,
    );
    let which = (&y * 2.0).floor().cast(DType::I32).maximum(0).minimum(2);
    check_all(
        "select_n i32 three cases",
        |x| lax::select_n(&which, &[x.clone(), x.sin(), &z * 3.0]),
        &x,
    );
    check_all("where", |x| jnp::where_(&x.gt(&y), x, &z), &x);
    for (from, to) in [
        (DType::F32, DType::F64),
        (DType::F64, DType::F32),
        (DType::F32, DType::I32),
        (DType::I32, DType::F32),
        (DType::F32, DType::U32),
        (DType::U32, DType::I32),
        (DType::F32, DType::Bool),
        (DType::Bool, DType::F32),
    ] {
        let src = (&x * 100.0).cast(from);
        check(
            &format!("convert {from:?}->{to:?}"),
            |t: &Tensor| t.cast(to),
            &src,
        );
    }
    for m in [lax::Rounding::AwayFromZero, lax::Rounding::ToNearestEven] {
        let halves = Tensor::from_vec(vec![0.5f32, 1.5, 2.5, -0.5, -1.5, 3.2], &[6]);
        check("round", |x: &Tensor| lax::round(x, m), &halves);
    }
}

// ---- reductions, cumulative, shape ---------------------------------------------------------

#[test]
fn reduce_family() {
    let x = rand(&[3, 4, 5], DType::F32, 11);
    check_all("sum", |x| x.sum_axes(&[0, 2]), &x);
    check_all("sum all", |x| x.sum(), &x);
    check_all("max", |x| x.max_axes(&[1]), &x);
    check_all("min", |x| jnp::min(x, Some(&[2])), &x);
    check_all("prod", |x| jnp::prod(&x.tanh(), Some(&[0])), &x);
    check_all("mean", |x| x.mean_axes(&[1, 2]), &x);
    check_all("var", |x| jnp::var(x, Some(&[2])), &x);
    check(
        "argmax",
        |x: &Tensor| (x.argmax(1), jnp::argmin(x, Some(2))),
        &x,
    );
    check("argmax lax", |x: &Tensor| lax::argmax(x, 0, DType::I32), &x);
    let i = rand(&[4, 6], DType::I32, 12);
    check(
        "int reductions",
        |x: &Tensor| (x.sum_axes(&[1]), x.max(), jnp::prod(x, Some(&[0]))),
        &i,
    );
    check(
        "f64 sum",
        |x: &Tensor| x.sum_axes(&[0]),
        &rand(&[50, 3], DType::F64, 13),
    );
    // Long sums: the order of accumulation must be the same.
    check(
        "long sum",
        |x: &Tensor| x.sum(),
        &rand(&[10_000], DType::F32, 14),
    );
    check(
        "long sum axis 0",
        |x: &Tensor| x.sum_axes(&[0]),
        &rand(&[999, 7], DType::F32, 15),
    );
}

#[test]
fn cumulative_family() {
    let x = rand(&[4, 5], DType::F32, 16);
    for axis in 0..2 {
        for rev in [false, true] {
            check_all("cumsum", |x| lax::cumsum(x, axis, rev), &x);
            check_all("cumprod", |x| lax::cumprod(x, axis, rev), &x);
            check_all("cummax", |x| lax::cummax(x, axis, rev), &x);
            check_all("cummin", |x| lax::cummin(x, axis, rev), &x);
        }
    }
    check(
        "cumsum i32",
        |x: &Tensor| lax::cumsum(x, 0, false),
        &rand(&[7], DType::I32, 17),
    );
    check(
        "associative_scan",
        |x: &Tensor| lax::associative_scan(|a, b| a * b + b, x, 0, false),
        &x,
    );
}

#[test]
fn shape_family() {
    let x = rand(&[2, 3, 4], DType::F32, 18);
    check_all("reshape", |x| x.reshape(&[4, 6]), &x);
    check_all("transpose", |x| x.transpose(&[2, 0, 1]), &x);
    check_all(
        "broadcast_in_dim",
        |x| lax::broadcast_in_dim(x, &[2, 5, 3, 4], &[0, 2, 3]),
        &x,
    );
    check_all(
        "squeeze/expand",
        |x| lax::squeeze(&lax::expand_dims(x, &[0, 2]), &[0]),
        &x,
    );
    check_all("rev", |x| lax::rev(x, &[0, 2]), &x);
    check_all(
        "pad",
        |x| {
            lax::pad(
                x,
                &Tensor::scalar(0.5f32),
                &[(1, -1, 1), (0, 2, 0), (-2, 1, 2)],
            )
        },
        &x,
    );
    check_all(
        "concatenate",
        |x| lax::concatenate(&[x.clone(), x.sin(), x * 2.0], 1),
        &x,
    );
    check_all(
        "slice",
        |x| lax::slice(x, &[0, 1, 0], &[2, 3, 4], Some(&[1, 1, 3])),
        &x,
    );
    check_all("split", |x| jnp::split(x, 2, 2)[1].clone(), &x);
    check(
        "iota",
        |x: &Tensor| lax::iota(DType::I32, &[3, 4], 1) + x.cast(DType::I32),
        &rand(&[3, 4], DType::I32, 19),
    );
}

// ---- index, sort, dot, conv, window --------------------------------------------------------

#[test]
fn index_family() {
    use lax::{GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers};
    let x = rand(&[5, 4], DType::F32, 20);
    let idx = Tensor::from_vec(vec![4i32, 0, 2, 2, -1, 7], &[6]);
    check_all("take axis 0", |x| x.take(&idx, 0), &x);
    check_all("take axis 1", |x| x.take(&idx.reshape(&[2, 3]), 1), &x);
    let starts = [Tensor::scalar(3i32), Tensor::scalar(-1i32)];
    check_all(
        "dynamic_slice",
        |x| lax::dynamic_slice(x, &starts, &[2, 3]),
        &x,
    );
    let upd = rand(&[2, 2], DType::F32, 21);
    check_all(
        "dynamic_update_slice",
        |x| lax::dynamic_update_slice(x, &(&upd * x.sum()), &starts),
        &x,
    );
    // A general gather: windows of 2 rows from (row, col) starts.
    let starts2 = Tensor::from_vec(vec![0i32, 1, 3, 0, 4, 3], &[3, 2]);
    let dn = GatherDimensionNumbers {
        offset_dims: Shape::from_slice(&[1]),
        collapsed_slice_dims: Shape::from_slice(&[1]),
        start_index_map: Shape::from_slice(&[0, 1]),
        ..Default::default()
    };
    for mode in [GatherScatterMode::Clip, GatherScatterMode::FillOrDrop] {
        check_all(
            "gather",
            |x| lax::gather(x, &starts2, dn.clone(), &[2, 1], mode),
            &x,
        );
    }
    let sdn = ScatterDimensionNumbers {
        update_window_dims: Shape::from_slice(&[1]),
        inserted_window_dims: Shape::from_slice(&[0]),
        scatter_dims_to_operand_dims: Shape::from_slice(&[0]),
        ..Default::default()
    };
    let sidx = Tensor::from_vec(vec![1i32, 4, 1, 9], &[4, 1]);
    let supd = rand(&[4, 4], DType::F32, 22);
    check_all(
        "scatter_add",
        |x| {
            lax::scatter_add(
                x,
                &sidx,
                &(&supd * x.sum()),
                sdn.clone(),
                GatherScatterMode::FillOrDrop,
            )
        },
        &x,
    );
    // Data-dependent indices.
    check_all("take argmax", |x| x.take(&x.argmax(1), 0), &x);
    check(
        "one_hot",
        |l: &Tensor| jnp::one_hot(l, 5),
        &Tensor::from_vec(vec![0i32, 4, 2, 9], &[4]),
    );
}

#[test]
fn sort_family() {
    let x = rand(&[3, 6], DType::F32, 23);
    let ties = lax::round(&(&x * 2.0), lax::Rounding::ToNearestEven);
    check_all(
        "sort",
        |x| lax::sort(std::slice::from_ref(x), 1, true, 1)[0].clone(),
        &x,
    );
    check_all(
        "sort axis 0",
        |x| lax::sort(std::slice::from_ref(x), 0, false, 1)[0].clone(),
        &x,
    );
    check_all(
        "sort values by keys",
        |x| lax::sort(&[ties.clone(), x.clone()], 1, true, 1)[1].clone(),
        &x,
    );
    let k2 = rand(&[3, 6], DType::I32, 24);
    check(
        "sort two keys",
        |(a, b): &(Tensor, Tensor)| lax::sort(&[a.clone(), b.clone(), x.clone()], 1, true, 2),
        &(ties.clone(), k2),
    );
    let nan = Tensor::from_vec(vec![1.0f32, f32::NAN, -0.0, 0.0, -3.0, f32::INFINITY], &[6]);
    check(
        "sort nan and zeros",
        |x: &Tensor| lax::sort(std::slice::from_ref(x), 0, true, 1),
        &nan,
    );
}

#[test]
fn dot_family() {
    let a = rand(&[2, 3, 4], DType::F32, 25);
    let b = rand(&[2, 4, 5], DType::F32, 26);
    let dot =
        |(a, b): &(Tensor, Tensor)| lax::dot_general(a, b, ((&[2], &[1]), (&[0], &[0])), None);
    check("batched dot", dot, &(a.clone(), b.clone()));
    let loss = |p: &(Tensor, Tensor)| dot(p).tanh().sum();
    same(
        "batched dot grad",
        &jit(grad(loss))(&(a.clone(), b.clone())),
        &grad(loss)(&(a.clone(), b.clone())),
    );
    check(
        "two contracting dims",
        |(a, c): &(Tensor, Tensor)| lax::dot_general(a, c, ((&[1, 2], &[0, 1]), (&[], &[])), None),
        &(a.clone(), rand(&[3, 4, 2], DType::F32, 27)),
    );
    check(
        "matmul f64",
        |(a, b): &(Tensor, Tensor)| a.matmul(b),
        &(rand(&[7, 9], DType::F64, 28), rand(&[9, 3], DType::F64, 29)),
    );
    check(
        "matmul i32",
        |(a, b): &(Tensor, Tensor)| a.matmul(b),
        &(rand(&[3, 4], DType::I32, 30), rand(&[4, 2], DType::I32, 31)),
    );
    check(
        "preferred f64",
        |(a, b): &(Tensor, Tensor)| {
            lax::dot_general(a, b, ((&[1], &[0]), (&[], &[])), Some(DType::F64))
        },
        &(rand(&[3, 4], DType::F32, 32), rand(&[4, 2], DType::F32, 33)),
    );
    // Big enough for the blocked kernel.
    check(
        "matmul 64",
        |(a, b): &(Tensor, Tensor)| a.matmul(b),
        &(
            rand(&[64, 96], DType::F32, 34),
            rand(&[96, 80], DType::F32, 35),
        ),
    );
    let va = rand(&[3, 4, 5], DType::F32, 36);
    let w = rand(&[5, 2], DType::F32, 37);
    same(
        "vmap matmul",
        &jit(vmap(|x: &Tensor| x.matmul(&w)))(&va),
        &vmap(|x: &Tensor| x.matmul(&w))(&va),
    );
}

#[test]
fn conv_family() {
    let x = rand(&[2, 6, 5, 4], DType::F32, 38);
    let cases = [
        (
            "valid",
            conv_params([1, 1], [(0, 0); 2], [1, 1], [1, 1], 1, 1),
            [3, 3, 4, 3],
        ),
        (
            "strided same",
            conv_params([2, 1], [(1, 1), (1, 1)], [1, 1], [1, 1], 1, 1),
            [3, 3, 4, 2],
        ),
        (
            "dilated",
            conv_params([1, 1], [(2, 1), (0, 0)], [1, 1], [2, 1], 1, 1),
            [2, 2, 4, 2],
        ),
        (
            "lhs dilated",
            conv_params([1, 1], [(1, 1), (1, 1)], [2, 2], [1, 1], 1, 1),
            [2, 2, 4, 2],
        ),
        (
            "groups",
            conv_params([1, 1], [(0, 0); 2], [1, 1], [1, 1], 2, 1),
            [2, 2, 2, 4],
        ),
        (
            "batch groups",
            conv_params([1, 1], [(0, 0); 2], [1, 1], [1, 1], 1, 2),
            [2, 2, 4, 4],
        ),
    ];
    for (name, p, wshape) in cases.clone() {
        let w = rand(&wshape, DType::F32, 39);
        let f = |(x, w): &(Tensor, Tensor)| lax::conv_general_dilated(x, w, &p);
        check(name, f, &(x.clone(), w.clone()));
        let loss = |q: &(Tensor, Tensor)| f(q).tanh().sum();
        same(
            &format!("{name} grad"),
            &jit(grad(loss))(&(x.clone(), w.clone())),
            &grad(loss)(&(x.clone(), w.clone())),
        );
    }
    let w = rand(&[3, 3, 4, 3], DType::F64, 40);
    check(
        "conv f64",
        |(x, w): &(Tensor, Tensor)| lax::conv_general_dilated(x, w, &cases[0].1),
        &(x.cast(DType::F64), w),
    );
}

#[test]
fn window_family() {
    let x = rand(&[2, 5, 6, 3], DType::F32, 41);
    for kind in [WindowKind::Max, WindowKind::Min, WindowKind::Sum] {
        check_all(
            "reduce_window 2x2",
            |x| {
                lax::reduce_window(
                    x,
                    kind,
                    &[1, 2, 2, 1],
                    &[1, 2, 2, 1],
                    &[(0, 0), (0, 1), (0, 0), (0, 0)],
                    &[1; 4],
                    &[1; 4],
                )
            },
            &x,
        );
        check_all(
            "reduce_window dilated",
            |x| {
                lax::reduce_window(
                    x,
                    kind,
                    &[1, 2, 3, 1],
                    &[1, 1, 2, 1],
                    &[(0, 0), (1, 1), (1, 0), (0, 0)],
                    &[1, 2, 1, 1],
                    &[1, 1, 2, 1],
                )
            },
            &x,
        );
    }
    let t = rand(&[2, 5, 6, 3], DType::F32, 42);
    for sel in [SelectPrim::Ge, SelectPrim::Le] {
        check(
            "select_and_gather_add",
            |(t, x): &(Tensor, Tensor)| {
                lax::select_and_gather_add(
                    t,
                    x,
                    sel,
                    &[1, 2, 2, 1],
                    &[1, 2, 2, 1],
                    &[(0, 0), (0, 1), (0, 0), (0, 0)],
                    &[1; 4],
                    &[1; 4],
                )
            },
            &(t.clone(), x.clone()),
        );
        let src = rand(&[2, 3, 3, 3], DType::F32, 43);
        check(
            "select_and_scatter_add",
            |(s, x): &(Tensor, Tensor)| {
                lax::select_and_scatter_add(
                    s,
                    x,
                    sel,
                    &[1, 2, 2, 1],
                    &[1, 2, 2, 1],
                    &[(0, 0), (0, 1), (0, 0), (0, 0)],
                )
            },
            &(src, x.clone()),
        );
    }
}

// ---- call, collective, control flow, bits --------------------------------------------------

#[test]
fn call_family() {
    let x = rand(&[4], DType::F32, 44);
    let softplus = custom_jvp(
        "softplus",
        |x: &Tensor| (x.exp() + 1.0).log(),
        |x: &Tensor, t: &Tensor| ((x.exp() + 1.0).log(), t * x.logistic()),
    );
    check_all("custom_jvp", &softplus, &x);
    let clip = custom_vjp(
        "clip_grad",
        |x: &Tensor| x.sin(),
        |x: &Tensor| (x.sin(), x.cos()),
        |c: &Tensor, ct: &Tensor| (ct * c).maximum(-0.5).minimum(0.5),
    );
    check("custom_vjp", &clip, &x);
    let loss = |x: &Tensor| (clip(x) * 3.0).sum();
    same("custom_vjp grad", &jit(grad(loss))(&x), &grad(loss)(&x));
    check_all("checkpoint", checkpoint(|x: &Tensor| x.sin().sin() * x), &x);
    let inner = jit(|x: &Tensor| x.cos() * 2.0);
    check_all("jit in jit", |x| inner(x) + inner(&(x * 3.0)), &x);
    let grad_in = |x: &Tensor| grad(|y: &Tensor| (y.sin() * y).sum())(x) * x;
    check_all("grad inside jit", grad_in, &x);
}

#[test]
fn collective_family() {
    let xs = rand(&[4, 3], DType::F32, 45);
    let spec = || VmapSpec::new().axis_name("i");
    let f = |x: &Tensor| {
        let s = lax::psum(x, "i");
        let m = lax::pmax(x, "i") - lax::pmin(x, "i");
        x / &s + m + lax::pmean(x, "i") + lax::axis_index("i").cast(DType::F32)
    };
    let eager = vmap_with(f, spec())(&xs);
    same(
        "psum under vmap inside jit",
        &jit(vmap_with(f, spec()))(&xs),
        &eager,
    );
    same("jit inside vmap", &vmap_with(jit(f), spec())(&xs), &eager);
    let loss = |x: &Tensor| vmap_with(|x: &Tensor| (lax::psum(x, "i") * x).sin(), spec())(x).sum();
    same("grad of psum", &jit(grad(loss))(&xs), &grad(loss)(&xs));
}

#[test]
fn cond_family() {
    for (k, sign) in [1.0f32, -1.0].iter().enumerate() {
        let x = rand(&[3], DType::F32, 46 + k as u64) * *sign + *sign * 3.0;
        let f = |x: &Tensor| {
            lax::cond(
                &x.sum().gt(0.0),
                |x: &Tensor| x.sin() * x,
                |x: &Tensor| x.cos() - 1.0,
                x,
            )
        };
        check_all("cond", f, &x);
        let branches: [&dyn Fn(&Tensor) -> Tensor; 3] = [&|x| x + 1.0, &|x| x.exp(), &|x| -x * x];
        let g = |x: &Tensor| lax::switch(&(x.sum().abs().floor().cast(DType::I32)), &branches, x);
        check_all("switch", g, &x);
    }
}

#[test]
fn loops_family() {
    let xs = rand(&[6, 3], DType::F32, 48);
    let body = |c: &Tensor, x: &Tensor| {
        let n = (c * x + c.sin()).tanh();
        (n.clone(), n * x)
    };
    check_all(
        "scan",
        |xs| {
            let (c, ys) = lax::scan(body, &xs.sum_axes(&[0]), xs);
            ys + c
        },
        &xs,
    );
    let opts = lax::ScanOptions {
        reverse: true,
        ..Default::default()
    };
    check_all(
        "scan reverse",
        |xs| lax::scan_with(body, &Tensor::ones(&[3], DType::F32), xs, opts.clone()).1,
        &xs,
    );
    check_all(
        "fori_loop",
        |x| {
            lax::fori_loop(
                0,
                4,
                |i: &Tensor, c: &Tensor| c.sin() + i.cast(DType::F32),
                x,
            )
        },
        &xs,
    );
    check_all("map", |xs| lax::map(|x: &Tensor| x.sum() * x, xs), &xs);
    let w = |x: &Tensor| {
        lax::while_loop(
            |c: &(Tensor, Tensor)| c.0.lt(5),
            |c: &(Tensor, Tensor)| (&c.0 + 1, c.1.sin() * 1.5),
            &(Tensor::scalar(0i32), x.clone()),
        )
        .1
    };
    check("while_loop", w, &xs);
    let dw =
        |x: &Tensor| lax::while_loop(|c: &Tensor| c.sum().lt(20.0), |c: &Tensor| c * 1.5 + 1.0, x);
    check("while data-dependent", dw, &xs.abs());
    same(
        "vmap while",
        &jit(vmap(dw))(&xs.abs()),
        &vmap(dw)(&xs.abs()),
    );
}

#[test]
fn bits_family() {
    let u = Tensor::from_vec(vec![0u32, 1, 0xdead_beef, u32::MAX, 12345], &[5]);
    let k = Tensor::from_vec(vec![7u32, 0x1234_5678, 3, 9, 0], &[5]);
    check(
        "threefry2x32",
        |(a, b): &(Tensor, Tensor)| {
            let (y0, y1) = lax::threefry2x32(a, b, &(a + b), b);
            vec![y0, y1]
        },
        &(u.clone(), k.clone()),
    );
    let s = Tensor::from_vec(vec![0u32, 1, 5, 31, 3], &[5]);
    check(
        "shifts u32",
        |(x, s): &(Tensor, Tensor)| vec![lax::shift_left(x, s), lax::shift_right_logical(x, s)],
        &(u.clone(), s.clone()),
    );
    let i = Tensor::from_vec(vec![-8i32, 1, -1, i32::MIN, 77], &[5]);
    let si = s.cast(DType::I32);
    check(
        "shifts i32",
        |(x, s): &(Tensor, Tensor)| {
            vec![
                lax::shift_left(x, s),
                lax::shift_right_arithmetic(x, s),
                lax::shift_right_logical(x, s),
            ]
        },
        &(i, si),
    );
    let f = rand(&[5], DType::F32, 49);
    check(
        "bitcast",
        |x: &Tensor| {
            let b = lax::bitcast_convert_type(x, DType::U32);
            (
                b.clone(),
                lax::bitcast_convert_type(
                    &lax::shift_right_logical(&b, &Tensor::scalar(1u32)),
                    DType::F32,
                ),
                lax::bitcast_convert_type(x, DType::I32),
            )
        },
        &f,
    );
    let key = random::key(42);
    check(
        "random samplers",
        |k: &Tensor| {
            let ks = random::split(k, 3);
            let k1 = random::key_at(&ks, 1);
            (
                random::bits(k, &[7]),
                random::uniform(&k1, &[3, 5]),
                random::normal(&random::fold_in(k, 9), &[1000]),
                random::randint(k, &[6], 0, 10),
                random::bernoulli(&k1, 0.3, &[8]),
            )
        },
        &key,
    );
}
