//! `debug::print` / `debug::callback` (effects: printed when the computation runs, in program
//! order, under every transformation), `pure_callback` and `eval_shape`.

use ferrax::core::Aval;
use ferrax::debug::capture_output;
use ferrax::lax;
use ferrax::prelude::*;
use ferrax::transforms::{eval_shape, pure_callback, VmapMethod};
use std::sync::{Arc, Mutex};

fn xs() -> Tensor {
    Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3])
}

/// A function that prints its input and an intermediate, then returns a scalar.
fn printing(x: &Tensor) -> Tensor {
    let y = x * 2.0;
    ferrax::debug_print!("x = {} y = {}", x, y);
    y.sum()
}

#[test]
fn eager_prints_immediately_with_numpy_formatting() {
    let (_, lines) = capture_output(|| printing(&xs()));
    assert_eq!(lines, ["x = [1. 2. 3.] y = [2. 4. 6.]"]);
    let (_, lines) = capture_output(|| {
        ferrax::debug::print(
            "{1} then {0}, {{braces}} {2:.2e}",
            &[
                &Tensor::scalar(1i32),
                &Tensor::scalar(true),
                &Tensor::scalar(1234.5f64),
            ],
        )
    });
    assert_eq!(lines, ["True then 1, {braces} 1.23e+03"]);
}

#[test]
fn jit_prints_at_every_call_not_at_tracing() {
    let f = jit(printing);
    let (_, lines) = capture_output(|| {
        f(&xs());
        f(&(xs() + 1.0));
    });
    assert_eq!(
        lines,
        [
            "x = [1. 2. 3.] y = [2. 4. 6.]",
            "x = [2. 3. 4.] y = [4. 6. 8.]"
        ]
    );
}

#[test]
fn prints_survive_dce_and_cse_and_keep_program_order() {
    // The print's inputs are otherwise unused, and two identical prints must both run.
    let f = jit(|x: &Tensor| {
        let unused = x.sin();
        ferrax::debug_print!("first {:.3f}", unused.sum());
        ferrax::debug_print!("same {}", x);
        ferrax::debug_print!("same {}", x);
        ferrax::debug_print!("last");
        x * 1.0
    });
    let (out, lines) = capture_output(|| f(&xs()));
    assert_eq!(out.to_vec::<f32>(), vec![1.0, 2.0, 3.0]);
    let s = (1.0f32.sin() + 2.0f32.sin() + 3.0f32.sin()) as f64;
    assert_eq!(
        lines,
        [
            format!("first {s:.3}"),
            "same [1. 2. 3.]".into(),
            "same [1. 2. 3.]".into(),
            "last".into()
        ]
    );
    let text = make_jaxpr(|x: &Tensor| {
        ferrax::debug_print!("v {}", x);
        x.clone()
    })(&xs())
    .to_string();
    assert!(
        text.contains("debug_print[fmt=v {} has_placeholders=True ordered=True] a"),
        "{text}"
    );
}

#[test]
fn vmap_prints_one_line_per_example_in_order() {
    let batch = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    let expect = ["x = [1. 2.] y = [2. 4.]", "x = [3. 4.] y = [6. 8.]"];
    let (_, lines) = capture_output(|| vmap(printing)(&batch));
    assert_eq!(lines, expect);
    let (_, lines) = capture_output(|| jit(vmap(printing))(&batch));
    assert_eq!(lines, expect);
    // Batched along axis 1: the examples are the columns.
    let (_, lines) = capture_output(|| vmap_with(printing, VmapSpec::new().in_axes(1))(&batch));
    assert_eq!(
        lines,
        ["x = [1. 3.] y = [2. 6.]", "x = [2. 4.] y = [4. 8.]"]
    );
}

#[test]
fn grad_prints_primal_values_once() {
    let (g, lines) = capture_output(|| grad(printing)(&xs()));
    assert_eq!(g.to_vec::<f32>(), vec![2.0, 2.0, 2.0]);
    assert_eq!(lines, ["x = [1. 2. 3.] y = [2. 4. 6.]"]);
    let (_, lines) = capture_output(|| jit(grad(printing))(&xs()));
    assert_eq!(lines, ["x = [1. 2. 3.] y = [2. 4. 6.]"]);
    let (_, lines) =
        capture_output(|| jit(vmap(grad(printing)))(&Tensor::ones(&[2, 3], DType::F32)));
    assert_eq!(lines.len(), 2);
}

#[test]
fn loops_print_every_iteration() {
    let f = |x: &Tensor| {
        lax::fori_loop(
            0,
            3,
            |i, c: &Tensor| {
                ferrax::debug_print!("i = {} c = {}", i, c);
                c * 2.0
            },
            x,
        )
    };
    let expect = ["i = 0 c = 1.0", "i = 1 c = 2.0", "i = 2 c = 4.0"];
    let (out, lines) = capture_output(|| f(&Tensor::scalar(1.0f32)));
    assert_eq!(out.item::<f32>(), 8.0);
    assert_eq!(lines, expect);
    let (_, lines) = capture_output(|| jit(f)(&Tensor::scalar(1.0f32)));
    assert_eq!(lines, expect);
}

#[test]
fn callback_sees_concrete_values_under_jit_and_vmap() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let f = jit(vmap(move |x: &Tensor| {
        let log = log.clone();
        ferrax::debug::callback(
            move |v| log.lock().unwrap().push(v[0].to_vec::<f32>()),
            &[x],
        );
        x.sum()
    }));
    let out = f(&Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]));
    assert_eq!(out.to_vec::<f32>(), vec![3.0, 7.0]);
    assert_eq!(*seen.lock().unwrap(), vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
}

/// A host function: the cube of every element, computed outside ferrax's tracing.
fn host_cube(v: &[Tensor]) -> Vec<Tensor> {
    let data: Vec<f32> = v[0].to_vec::<f32>().iter().map(|a| a * a * a).collect();
    vec![Tensor::from_vec(data, v[0].shape())]
}

#[test]
fn pure_callback_under_jit_and_each_vmap_method() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let want: Vec<f32> = x.to_vec::<f32>().iter().map(|a| a * a * a).collect();
    for method in [
        VmapMethod::Sequential,
        VmapMethod::ExpandDims,
        VmapMethod::BroadcastAll,
    ] {
        let calls = Arc::new(Mutex::new(0usize));
        let counter = calls.clone();
        let f = move |x: &Tensor| {
            let counter = counter.clone();
            pure_callback(
                move |v| {
                    *counter.lock().unwrap() += 1;
                    host_cube(v)
                },
                &[x.aval()],
                &[x],
                Some(method),
            )[0]
            .clone()
        };
        assert_eq!(jit(&f)(&x).to_vec::<f32>(), want, "{method:?}");
        assert_eq!(vmap(&f)(&x).to_vec::<f32>(), want, "{method:?}");
        // One call per example only for Sequential (1 for jit, then 2 or 1 for vmap).
        let expected_calls = if method == VmapMethod::Sequential {
            3
        } else {
            2
        };
        assert_eq!(*calls.lock().unwrap(), expected_calls, "{method:?}");
    }
    // An unbatched operand next to a batched one, ExpandDims: it arrives with a size-1 axis.
    let shapes = Arc::new(Mutex::new(Vec::new()));
    let log = shapes.clone();
    let scale = Tensor::from_vec(vec![10.0f32, 20.0, 30.0], &[3]);
    let f = move |x: &Tensor| {
        let log = log.clone();
        pure_callback(
            move |v| {
                log.lock()
                    .unwrap()
                    .push((v[0].shape().to_vec(), v[1].shape().to_vec()));
                vec![&v[0] * &v[1]]
            },
            &[x.aval()],
            &[x, &scale],
            Some(VmapMethod::ExpandDims),
        )[0]
        .clone()
    };
    let out = vmap(f)(&x);
    assert_eq!(
        out.to_vec::<f32>(),
        vec![10.0, 40.0, 90.0, 40.0, 100.0, 180.0]
    );
    assert_eq!(*shapes.lock().unwrap(), vec![(vec![2, 3], vec![1, 3])]);
}

#[test]
#[should_panic(expected = "pure_callback: vmap needs a vmap_method")]
fn pure_callback_without_vmap_method_refuses_vmap() {
    let f = |x: &Tensor| pure_callback(host_cube, &[x.aval()], &[x], None)[0].clone();
    vmap(f)(&Tensor::ones(&[2, 2], DType::F32));
}

#[test]
#[should_panic(
    expected = "pure_callback: the callback returned f32[2] for result 0, declared f32[3]"
)]
fn pure_callback_checks_the_declared_types() {
    let wrong = |_: &[Tensor]| vec![Tensor::zeros(&[2], DType::F32)];
    pure_callback(wrong, &[Aval::new(&[3], DType::F32)], &[&xs()], None);
}

#[test]
#[should_panic(expected = "pure_callback: a host callback has no derivative")]
fn pure_callback_is_not_differentiable() {
    grad(|x: &Tensor| pure_callback(host_cube, &[x.aval()], &[x], None)[0].sum())(&xs());
}

#[test]
fn unused_pure_callback_is_dropped_under_jit() {
    let calls = Arc::new(Mutex::new(0usize));
    let counter = calls.clone();
    let f = jit(move |x: &Tensor| {
        let counter = counter.clone();
        let _unused = pure_callback(
            move |v| {
                *counter.lock().unwrap() += 1;
                host_cube(v)
            },
            &[x.aval()],
            &[x],
            None,
        );
        x + 1.0
    });
    f(&xs());
    assert_eq!(*calls.lock().unwrap(), 0);
}

#[test]
fn eval_shape_traces_without_computing() {
    let ran = Arc::new(Mutex::new(0usize));
    let counter = ran.clone();
    let f = move |(w, x): &(Tensor, Tensor)| {
        let counter = counter.clone();
        ferrax::debug::callback(move |_| *counter.lock().unwrap() += 1, &[x]);
        (x.matmul(w).tanh(), vec![w.sum(), x.cast(DType::F64)])
    };
    let args = (
        Tensor::zeros(&[4, 5], DType::F32),
        Tensor::zeros(&[2, 4], DType::F32),
    );
    let s = eval_shape(f, &args);
    assert_eq!(*ran.lock().unwrap(), 0, "nothing runs");
    assert_eq!(
        s.avals,
        vec![
            Aval::new(&[2, 5], DType::F32),
            Aval::new(&[], DType::F32),
            Aval::new(&[2, 4], DType::F64)
        ]
    );
    assert_eq!(s.treedef.num_leaves(), 3);
    assert_eq!(
        s.to_string(),
        "(ShapeDtypeStruct(shape=(2, 5), dtype=float32), \
         ShapeDtypeStruct(shape=(), dtype=float32), \
         ShapeDtypeStruct(shape=(2, 4), dtype=float64))"
    );
}

#[test]
#[should_panic(
    expected = "debug::print: \"{} {}\" refers to operand 1 but 1 operand(s) were given"
)]
fn too_few_operands_is_a_clear_error() {
    ferrax::debug::print("{} {}", &[&xs()]);
}
