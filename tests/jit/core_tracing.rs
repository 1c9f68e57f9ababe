//! The trace mechanism: staging, nesting, constants, escaped tracers, concrete-value errors,
//! `eval_jaxpr` composing with traces, and the jaxpr type checker.

use ferrax::core::{check_jaxpr, Atom, Eqn, Jaxpr};
use ferrax::internals::interp::{eval_closed, eval_jaxpr};
use ferrax::internals::prims::{BinaryOp, Prim, UnaryOp};
use ferrax::prelude::*;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

fn v(xs: &[f32]) -> Tensor {
    Tensor::from_vec(xs.to_vec(), &[xs.len()])
}

/// Runs `f`, expecting a panic; returns its message and the file:line it was reported at.
fn panic_info(f: impl FnOnce()) -> (String, String) {
    let location = Arc::new(Mutex::new(String::new()));
    let loc2 = location.clone();
    let prev = std::panic::take_hook();
    // Only this thread's panic: the binary's other tests panic on their own threads.
    let me = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() != me {
            return;
        }
        if let Some(l) = info.location() {
            *loc2.lock().unwrap() = format!("{}:{}", l.file(), l.line());
        }
    }));
    let result = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(prev);
    let err = result.expect_err("expected a panic");
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    let loc = location.lock().unwrap().clone();
    (msg, loc)
}

#[test]
fn eager_ops_compute_values() {
    let x = v(&[0.0, 1.0, 2.0]);
    let y = (x.sin() * 2.0 + &x) * &x;
    let expect: Vec<f32> = [0.0f32, 1.0, 2.0]
        .iter()
        .map(|&a| (a.sin() * 2.0 + a) * a)
        .collect();
    assert_eq!(y.to_vec::<f32>(), expect);
}

#[test]
fn staged_jaxpr_evaluates_to_the_eager_result() {
    let f = |(x, y): &(Tensor, Tensor)| (x.exp() * y - x.cos()) / (y + 3.0);
    let args = (v(&[0.5, -1.0, 2.0]), v(&[1.0, 2.0, 3.0]));
    let j = make_jaxpr(f)(&args);
    let out = eval_closed(&j, &[args.0.clone(), args.1.clone()]);
    assert_eq!(out[0].to_vec::<f32>(), f(&args).to_vec::<f32>());
}

#[test]
fn eval_jaxpr_under_a_trace_inlines_it() {
    let x = v(&[1.0, 2.0]);
    let inner = make_jaxpr(|x: &Tensor| x.sin() * 2.0)(&x);
    let outer = make_jaxpr(|x: &Tensor| eval_closed(&inner, std::slice::from_ref(x))[0].cos())(&x);
    assert_eq!(
        outer.to_string(),
        "{ lambda ; a:f32[2]. let\n    b:f32[2] = sin a\n    c:f32[2] = mul b 2.0:f32[]\n    d:f32[2] = cos c\n  in (d,) }"
    );
}

#[test]
fn non_scalar_captured_constant_becomes_a_constvar() {
    let c = v(&[1.0, 2.0, 3.0]);
    let j = make_jaxpr(|x: &Tensor| x * &c + 1.0)(&v(&[0.0, 0.0, 0.0]));
    assert_eq!(
        j.to_string(),
        "{ lambda a:f32[3]; b:f32[3]. let\n    c:f32[3] = mul b a\n    d:f32[3] = add c 1.0:f32[]\n  in (d,) }"
    );
    assert_eq!(j.consts.len(), 1);
    assert_eq!(j.consts[0].to_vec::<f32>(), vec![1.0, 2.0, 3.0]);
    // The same constant used twice is one constvar.
    let j2 = make_jaxpr(|x: &Tensor| x * &c + &c)(&v(&[0.0, 0.0, 0.0]));
    assert_eq!(j2.jaxpr.constvars.len(), 1);
}

#[test]
fn scalar_constants_become_literals() {
    let s = Tensor::scalar(2.5f64);
    let j = make_jaxpr(|x: &Tensor| x * &s)(&Tensor::zeros(&[2], DType::F64));
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f64[2]. let b:f64[2] = mul a 2.5:f64[] in (b,) }"
    );
    let i = make_jaxpr(|x: &Tensor| x + 3)(&Tensor::zeros(&[2], DType::I32));
    assert_eq!(
        i.to_string(),
        "{ lambda ; a:i32[2]. let b:i32[2] = add a 3:i32[] in (b,) }"
    );
    let b = make_jaxpr(|x: &Tensor| ferrax::lax::and(x, &Tensor::scalar(true)))(&Tensor::zeros(
        &[2],
        DType::Bool,
    ));
    assert_eq!(
        b.to_string(),
        "{ lambda ; a:bool[2]. let b:bool[2] = and a True:bool[] in (b,) }"
    );
}

#[test]
fn nested_make_jaxpr_treats_outer_tracers_as_constants() {
    let x = v(&[1.0, 2.0]);
    let seen = RefCell::new(String::new());
    let outer = make_jaxpr(|x: &Tensor| {
        let y = x.sin();
        // The inner function captures `y`, a tracer of the outer trace: a constvar inside.
        let inner = make_jaxpr(|z: &Tensor| z * &y)(x);
        *seen.borrow_mut() = inner.to_string();
        y.cos()
    })(&x);
    assert_eq!(
        seen.borrow().as_str(),
        "{ lambda a:f32[2]; b:f32[2]. let c:f32[2] = mul b a in (c,) }"
    );
    assert_eq!(
        outer.to_string(),
        "{ lambda ; a:f32[2]. let b:f32[2] = sin a; c:f32[2] = cos b in (c,) }"
    );
}

#[test]
fn multiple_outputs_and_unused_values_print_like_jax() {
    let x = v(&[1.0]);
    let j = make_jaxpr(|x: &Tensor| {
        let _unused = x.exp();
        (x.sin(), x.clone())
    })(&x);
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[1]. let _:f32[1] = exp a; b:f32[1] = sin a in (b, a) }"
    );
}

#[test]
fn a_long_jaxpr_breaks_one_equation_per_line() {
    let x = v(&[1.0, 2.0, 3.0]);
    let j = make_jaxpr(|x: &Tensor| x.sin().cos().tanh().exp().log1p().sqrt())(&x);
    let text = j.to_string();
    assert!(
        text.starts_with("{ lambda ; a:f32[3]. let\n    b:f32[3] = sin a\n"),
        "{text}"
    );
    assert!(text.ends_with("\n  in (g,) }"), "{text}");
    assert!(text.lines().all(|l| l.len() <= 80));
}

#[test]
fn escaped_tracer_is_reported() {
    let leaked: RefCell<Option<Tensor>> = RefCell::new(None);
    let _ = make_jaxpr(|x: &Tensor| {
        let y = x.sin();
        *leaked.borrow_mut() = Some(y.clone());
        y
    })(&v(&[1.0]));
    let t = leaked.borrow().clone().unwrap();
    let (msg, _) = panic_info(|| {
        let _ = t.cos();
    });
    assert!(msg.contains("escaped tracer"), "{msg}");
    // Also when used inside a different, later trace.
    let (msg2, _) = panic_info(|| {
        let _ = make_jaxpr(|x: &Tensor| x + &t)(&v(&[1.0]));
    });
    assert!(msg2.contains("escaped tracer"), "{msg2}");
}

#[test]
fn concrete_value_of_a_tracer_is_a_clear_error() {
    let (msg, loc) = panic_info(|| {
        let _ = make_jaxpr(|x: &Tensor| {
            let _ = x.sum().item::<f32>();
            x.clone()
        })(&v(&[1.0]));
    });
    assert!(msg.contains("concrete value needed"), "{msg}");
    assert!(loc.contains("core_tracing.rs"), "reported at {loc}");
}

#[test]
fn shape_errors_name_the_op_the_shapes_and_the_caller() {
    let (msg, loc) = panic_info(|| {
        let _ = ferrax::lax::add(&v(&[1.0, 2.0]), &v(&[1.0, 2.0, 3.0]));
    });
    assert!(
        msg.contains("add") && msg.contains("f32[2]") && msg.contains("f32[3]"),
        "{msg}"
    );
    assert!(loc.contains("core_tracing.rs"), "reported at {loc}");
    let (msg, loc) = panic_info(|| {
        let _ = v(&[1.0, 2.0]) * v(&[1.0, 2.0, 3.0]);
    });
    assert!(msg.contains("[2]") && msg.contains("[3]"), "{msg}");
    assert!(loc.contains("core_tracing.rs"), "reported at {loc}");
    let (msg, _) = panic_info(|| {
        let _ = ferrax::lax::sin(&Tensor::from_vec(vec![1i32], &[1]));
    });
    assert!(msg.contains("sin") && msg.contains("i32"), "{msg}");
}

#[test]
fn check_jaxpr_accepts_staged_and_rejects_mistyped_jaxprs() {
    let j = make_jaxpr(|(x, y): &(Tensor, Tensor)| x * y)(&(v(&[1.0]), v(&[2.0])));
    assert!(check_jaxpr(&j.jaxpr).is_ok());

    let mut bad = Jaxpr::default();
    let a = bad.new_var(ferrax::core::Aval::new(&[3], DType::F32));
    let b = bad.new_var(ferrax::core::Aval::new(&[3], DType::I32)); // sin cannot give i32
    bad.invars.push(a);
    bad.eqns.push(Eqn {
        prim: Prim::new(UnaryOp::Sin),
        inputs: [Atom::Var(a)].into_iter().collect(),
        outputs: [b].into_iter().collect(),
        source: None,
    });
    bad.outvars.push(Atom::Var(b));
    let err = check_jaxpr(&bad).unwrap_err();
    assert!(err.contains("sin") && err.contains("i32[3]"), "{err}");

    let mut unbound = Jaxpr::default();
    let a = unbound.new_var(ferrax::core::Aval::new(&[], DType::F32));
    let c = unbound.new_var(ferrax::core::Aval::new(&[], DType::F32));
    let d = unbound.new_var(ferrax::core::Aval::new(&[], DType::F32));
    unbound.invars.push(a);
    unbound.eqns.push(Eqn {
        prim: Prim::new(BinaryOp::Add),
        inputs: [Atom::Var(a), Atom::Var(c)].into_iter().collect(),
        outputs: [d].into_iter().collect(),
        source: None,
    });
    unbound.outvars.push(Atom::Var(d));
    assert!(check_jaxpr(&unbound)
        .unwrap_err()
        .contains("before it is bound"));
}

#[test]
fn eval_jaxpr_rejects_wrong_argument_types() {
    let j = make_jaxpr(|x: &Tensor| x.sin())(&v(&[1.0, 2.0]));
    let (msg, _) = panic_info(|| {
        let _ = eval_jaxpr(&j.jaxpr, &j.consts, &[v(&[1.0])]);
    });
    assert!(
        msg.contains("eval_jaxpr") && msg.contains("f32[1]") && msg.contains("f32[2]"),
        "{msg}"
    );
}

#[test]
fn tensors_are_send_and_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Tensor>();
    assert!(std::mem::size_of::<Tensor>() <= 16);
    let x = v(&[1.0, 2.0]);
    let y = x.clone();
    let handle = std::thread::spawn(move || (y * 2.0).to_vec::<f32>());
    assert_eq!(handle.join().unwrap(), vec![2.0, 4.0]);
}

#[test]
fn constructors_and_accessors() {
    assert_eq!(
        Tensor::arange(0.0, 1.0, 0.25, DType::F64).to_vec::<f64>(),
        vec![0.0, 0.25, 0.5, 0.75]
    );
    assert_eq!(Tensor::arange(5, 5, 1, DType::I32).shape(), &[0]);
    assert_eq!(
        Tensor::linspace(1.0, 2.0, 1, DType::F32).to_vec::<f32>(),
        vec![1.0]
    );
    assert_eq!(Tensor::linspace(1.0, 2.0, 0, DType::F32).shape(), &[0]);
    assert_eq!(Tensor::eye(0, DType::F32).shape(), &[0, 0]);
    assert_eq!(
        Tensor::full(&[2], true, DType::Bool).to_vec::<bool>(),
        vec![true, true]
    );
    let a = ndarray::Array2::from_shape_fn((2, 3), |(i, j)| (i * 3 + j) as f64).into_dyn();
    let t = Tensor::from_ndarray(a.clone());
    assert_eq!(t.to_ndarray::<f64>(), a);
    let transposed = Tensor::from_ndarray(a.t().to_owned());
    assert_eq!(
        transposed.to_vec::<f64>(),
        vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    );
    let (msg, _) = panic_info(|| {
        let _ = Tensor::from_vec(vec![1.0f32, 2.0], &[3]);
    });
    assert!(msg.contains("from_vec"), "{msg}");
    let (msg, _) = panic_info(|| {
        let _ = v(&[1.0, 2.0]).item::<f32>();
    });
    assert!(msg.contains("item") && msg.contains("2 elements"), "{msg}");
}
