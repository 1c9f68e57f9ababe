//! `jit`: equals eager on every primitive family, caches per signature (trace counts),
//! retraces on new shapes / dtypes / static fields, captures constants, composes with grad,
//! vmap, jvp and make_jaxpr, and explains cache misses.

use ferrax::core::Shape;
use ferrax::lax::{self, ConvDimensionNumbers, ConvParams, WindowKind};
use ferrax::prelude::*;
use ferrax::random;
use ferrax::transforms::{compile_log_message, jit_jaxpr, jit_with, JitOptions, Jitted, Signature};
use std::cell::Cell;

use crate::common;
use common::close::{assert_tensor_close, Tol};
use common::data::t;

#[track_caller]
fn assert_close(a: &Tensor, b: &Tensor, tol: f64) {
    assert_tensor_close(a, b, Tol::scaled(tol), "");
}

fn assert_tree_close<P: PyTree>(a: &P, b: &P, tol: f64) {
    assert_eq!(a.treedef(), b.treedef());
    for (x, y) in a.leaves().iter().zip(b.leaves().iter()) {
        assert_close(x, y, tol);
    }
}

/// jit(f) on `x` equals f on `x`, twice (the second call hits the cache).
fn check_jit<P: PyTree, O: PyTree>(f: impl Fn(&P) -> O, x: &P) {
    let eager = f(x);
    let fast = jit(&f);
    assert_tree_close(&fast(x), &eager, 1e-6);
    assert_tree_close(&fast(x), &eager, 1e-6);
    // And staged inside another function.
    let outer = make_jaxpr(|x: &P| fast(x))(x);
    assert!(outer.to_string().contains("jit["), "{outer}");
}

// ---------------------------------------------------------------- jit equals eager

#[test]
fn elementwise() {
    let x = t(&[2, 3], 1);
    let y = t(&[2, 3], 2);
    check_jit(
        |(x, y): &(Tensor, Tensor)| {
            let a = (x.sin() * y + x.exp()).tanh() - y.abs().sqrt();
            let b = (x * 3.0 + 1.0).sigmoid().log() / (y * y + 1.0);
            (
                a.maximum(&b),
                x.gt(0.0),
                lax::convert_element_type(y, DType::F64),
            )
        },
        &(x, y),
    );
}

#[test]
fn reductions() {
    let x = t(&[3, 4, 5], 3);
    check_jit(
        |x: &Tensor| {
            (
                x.sum(),
                x.sum_axes(&[0, 2]),
                x.max(),
                x.mean_axes(&[1]),
                x.argmax(2),
            )
        },
        &x,
    );
}

#[test]
fn shape_ops() {
    let x = t(&[2, 3, 4], 4);
    check_jit(
        |x: &Tensor| {
            let r = x.reshape(&[6, 4]).transpose(&[1, 0]);
            let c = ferrax::numpy::concatenate(&[x.clone(), x * 2.0], 1);
            let s = ferrax::numpy::slice_axis(&c, 2, 1, 3);
            let b = x.sum_axes(&[2]).broadcast_to(&[5, 2, 3]);
            (r, s, b)
        },
        &x,
    );
}

#[test]
fn index_ops() {
    let x = t(&[5, 3], 5);
    let idx = Tensor::from_vec(vec![4i32, 0, 2, 2], &[4]);
    check_jit(
        |(x, idx): &(Tensor, Tensor)| {
            let taken = x.take(idx, 0);
            let ds = lax::dynamic_slice(x, &[Tensor::scalar(1i32), Tensor::scalar(1i32)], &[2, 2]);
            let upd =
                lax::dynamic_update_slice(x, &ds, &[Tensor::scalar(3i32), Tensor::scalar(0i32)]);
            (taken, ds, upd)
        },
        &(x, idx),
    );
}

fn nhwc_params() -> ConvParams {
    ConvParams {
        window_strides: vec![1, 1],
        padding: vec![(0, 0), (1, 1)],
        lhs_dilation: vec![1, 1],
        rhs_dilation: vec![1, 1],
        dimension_numbers: ConvDimensionNumbers {
            lhs_spec: Shape::from_slice(&[0, 3, 1, 2]),
            rhs_spec: Shape::from_slice(&[3, 2, 0, 1]),
            out_spec: Shape::from_slice(&[0, 3, 1, 2]),
        },
        feature_group_count: 1,
        batch_group_count: 1,
    }
}

#[test]
fn dot_and_conv() {
    let a = t(&[4, 3], 6);
    let b = t(&[3, 5], 7);
    check_jit(|(a, b): &(Tensor, Tensor)| a.matmul(b).tanh(), &(a, b));
    let x = t(&[2, 5, 5, 2], 8);
    let w = t(&[3, 3, 2, 4], 9);
    check_jit(
        |(x, w): &(Tensor, Tensor)| {
            let y = lax::conv_general_dilated(x, w, &nhwc_params()).maximum(0.0);
            let p = lax::reduce_window(
                &y,
                WindowKind::Max,
                &[1, 2, 2, 1],
                &[1, 1, 1, 1],
                &[(0, 0); 4],
                &[1; 4],
                &[1; 4],
            );
            (y, p)
        },
        &(x, w),
    );
}

#[test]
fn control_flow() {
    let x = t(&[3], 10);
    check_jit(
        |x: &Tensor| {
            let c = lax::cond(
                &x.sum().gt(0.0),
                |x: &Tensor| x.sin(),
                |x: &Tensor| x.cos(),
                x,
            );
            let (carry, ys) = lax::scan(|c: &Tensor, x: &Tensor| (c + x, c * x), &x.sum(), x);
            let f = lax::fori_loop(0, 5, |_i: &Tensor, c: &Tensor| c * 1.5, x);
            let w = lax::while_loop(|c: &Tensor| c.sum().lt(10.0), |c: &Tensor| c + 1.0, x);
            (c, carry, ys, f, w)
        },
        &x,
    );
}

#[test]
fn random_sampling_with_key_argument() {
    let key = random::key(42);
    let sample = |k: &Tensor| {
        let ks = random::split(k, 2);
        let k0 = ferrax::numpy::index_axis(&ks, 0, 0);
        (
            random::uniform(&k0, &[5]),
            random::normal(k, &[3]),
            random::bits(k, &[2]),
        )
    };
    check_jit(sample, &key);
    // The same jitted sampler on a new key reuses its trace and gives that key's values.
    let count = Cell::new(0);
    let fast = jit(|k: &Tensor| {
        count.set(count.get() + 1);
        random::normal(k, &[4])
    });
    let a = fast(&random::key(1));
    let b = fast(&random::key(2));
    assert_eq!(count.get(), 1);
    assert_close(&a, &random::normal(&random::key(1), &[4]), 0.0);
    assert_close(&b, &random::normal(&random::key(2), &[4]), 0.0);
}

// ---------------------------------------------------------------- the cache

#[test]
fn traces_once_per_signature() {
    let count = Cell::new(0);
    let fast = jit(|x: &Tensor| {
        count.set(count.get() + 1);
        x * 2.0
    });
    let x3 = t(&[3], 1);
    for _ in 0..3 {
        assert_close(&fast(&x3), &(&x3 * 2.0), 0.0);
    }
    assert_eq!(count.get(), 1, "same signature: one trace");
    // New values, same signature: no retrace.
    fast(&t(&[3], 2));
    assert_eq!(count.get(), 1);
    // New shape: retrace.
    assert_close(&fast(&t(&[4], 1)), &(&t(&[4], 1) * 2.0), 0.0);
    assert_eq!(count.get(), 2);
    // New dtype: retrace.
    let x64 = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]);
    assert_eq!(fast(&x64).to_vec::<f64>(), vec![2.0, 4.0, 6.0]);
    assert_eq!(count.get(), 3);
    // Old signatures are still cached.
    fast(&x3);
    fast(&t(&[4], 5));
    assert_eq!(count.get(), 3);
}

#[test]
fn retraces_on_new_tree_structure() {
    let count = Cell::new(0);
    let fast = jit(|xs: &Vec<Tensor>| {
        count.set(count.get() + 1);
        xs.iter()
            .fold(Tensor::scalar(0.0f32), |acc, x| acc + x.sum())
    });
    let a = t(&[2], 1);
    fast(&vec![a.clone()]);
    fast(&vec![a.clone(), a.clone()]);
    fast(&vec![a.clone()]);
    assert_eq!(count.get(), 2);
}

#[derive(PyTree, Clone, Debug)]
struct Scaled {
    x: Tensor,
    #[pytree(static)]
    power: u32,
}

#[test]
fn retraces_on_new_static_field() {
    let count = Cell::new(0);
    let fast = jit(|s: &Scaled| {
        count.set(count.get() + 1);
        (0..s.power).fold(Tensor::scalar(1.0f32), |acc, _| acc * &s.x)
    });
    let x = Tensor::from_vec(vec![2.0f32, 3.0], &[2]);
    let p2 = Scaled {
        x: x.clone(),
        power: 2,
    };
    let p3 = Scaled { x, power: 3 };
    assert_eq!(fast(&p2).to_vec::<f32>(), vec![4.0, 9.0]);
    assert_eq!(fast(&p3).to_vec::<f32>(), vec![8.0, 27.0]);
    assert_eq!(fast(&p2).to_vec::<f32>(), vec![4.0, 9.0]);
    assert_eq!(count.get(), 2);
}

#[test]
fn jitted_struct_reports_cache() {
    let j = Jitted::new(|x: &Tensor| x.exp(), JitOptions::default());
    assert_eq!(j.name(), "<lambda>");
    j.call(&t(&[2], 1));
    j.call(&t(&[2], 2));
    j.call(&t(&[5], 2));
    assert_eq!(j.trace_count(), 2);
    assert_eq!(j.cache_size(), 2);
}

fn named_square(x: &Tensor) -> Tensor {
    x * x
}

#[test]
fn names() {
    let x = t(&[2], 1);
    let j = Jitted::new(named_square, JitOptions::default());
    assert_eq!(j.name(), "named_square");
    let f = jit_with(
        |x: &Tensor| x + 1.0,
        JitOptions {
            name: Some("inc".into()),
            donate: true,
        },
    );
    let text = make_jaxpr(|x: &Tensor| f(x))(&x).to_string();
    assert!(text.contains("jit[") && text.contains("name=inc"), "{text}");
    // Donation is a no-op for now: the input stays usable.
    assert_eq!(f(&x).to_vec::<f32>(), (&x + 1.0).to_vec::<f32>());
    assert_eq!(x.shape(), &[2]);
}

// ---------------------------------------------------------------- captured constants

#[test]
fn captured_constants() {
    let w = t(&[3, 2], 11);
    let b = t(&[2], 12);
    let f = |x: &Tensor| (x.matmul(&w) + &b).tanh();
    let x = t(&[4, 3], 13);
    check_jit(f, &x);
    let j = jit_jaxpr(f)(&x);
    assert_eq!(j.consts.len(), 2, "{j}");
    assert_eq!(j.jaxpr.constvars.len(), 2);
    assert_eq!(j.jaxpr.invars.len(), 1);
    // The jit equation takes the constants as leading operands.
    let outer = make_jaxpr(jit(f))(&x);
    assert_eq!(outer.consts.len(), 2, "{outer}");
    assert_eq!(outer.jaxpr.eqns.len(), 1);
}

#[test]
fn captured_outer_tracers_are_not_cached() {
    // The jitted closure captures grad's tracer `s`: each call under grad retraces, and the
    // gradient flows through the capture.
    let count = Cell::new(0);
    let x = t(&[3], 14);
    let g = grad(|s: &Tensor| {
        let inner = jit(|x: &Tensor| {
            count.set(count.get() + 1);
            (x * s).sum()
        });
        inner(&x) * 2.0
    })(&Tensor::scalar(1.5f32));
    assert_close(&g, &(x.sum() * 2.0), 1e-6);
}

// ---------------------------------------------------------------- composition

fn loss((w, x): &(Tensor, Tensor)) -> Tensor {
    let h = x.matmul(w).tanh();
    (h.clone() * h).sum() + w.sin().sum()
}

fn wx() -> (Tensor, Tensor) {
    (t(&[3, 2], 15), t(&[4, 3], 16))
}

#[test]
fn grad_of_jit() {
    let p = wx();
    let expect = grad(loss)(&p);
    let got = grad(jit(loss))(&p);
    assert_tree_close(&got, &expect, 1e-5);
    // The gradient's jaxpr has jit equations (primal, jvp, transpose).
    let text = make_jaxpr(grad(jit(loss)))(&p).to_string();
    assert!(text.contains("jit[\n") || text.contains("jit["), "{text}");
    assert!(text.contains("transpose(jvp("), "{text}");
}

#[test]
fn jit_of_grad() {
    let p = wx();
    let count = Cell::new(0);
    let fast = jit(grad(|p: &(Tensor, Tensor)| {
        count.set(count.get() + 1);
        loss(p)
    }));
    let expect = grad(loss)(&p);
    assert_tree_close(&fast(&p), &expect, 1e-5);
    assert_tree_close(&fast(&p), &expect, 1e-5);
    assert_eq!(count.get(), 1);
}

#[test]
fn value_and_grad_of_jit_and_second_order() {
    let x = Tensor::from_vec(vec![0.3f64, -1.2, 2.0], &[3]);
    let f = |x: &Tensor| (x.sin() * x * x).sum();
    let (v, g) = value_and_grad(jit(f))(&x);
    let (ve, ge) = value_and_grad(f)(&x);
    assert_close(&v, &ve, 1e-12);
    assert_close(&g, &ge, 1e-12);
    assert_close(&hessian(jit(f))(&x), &hessian(f)(&x), 1e-10);
    assert_close(
        &grad(|x: &Tensor| grad(jit(f))(x).sum())(&x),
        &grad(|x: &Tensor| grad(f)(x).sum())(&x),
        1e-10,
    );
}

#[test]
fn jvp_of_jit() {
    let x = Tensor::from_vec(vec![0.3f64, -1.2, 2.0], &[3]);
    let tx = Tensor::from_vec(vec![1.0f64, 0.5, -2.0], &[3]);
    let f = |x: &Tensor| (x.sin() * x, x.gt(0.0));
    let (y, ty) = jvp(jit(f), &x, &(tx.clone()));
    let (ye, tye) = jvp(f, &x, &tx);
    assert_close(&y.0, &ye.0, 1e-12);
    assert_close(&ty.0, &tye.0, 1e-12);
    assert_eq!(y.1.to_vec::<bool>(), ye.1.to_vec::<bool>());
}

#[test]
fn vmap_of_jit_and_jit_of_vmap() {
    let w = t(&[3, 2], 17);
    let xs = t(&[5, 3], 18);
    let f = |(w, x): &(Tensor, Tensor)| x.matmul(w).tanh().sum();
    let per_example = |x: &Tensor| f(&(w.clone(), x.clone()));
    let expect = vmap(per_example)(&xs);
    assert_close(&vmap(jit(per_example))(&xs), &expect, 1e-6);
    assert_close(&jit(vmap(per_example))(&xs), &expect, 1e-6);
    // Per-example gradients, jitted: jit(vmap(grad)).
    let pe_grad = |x: &Tensor| grad(|w: &Tensor| f(&(w.clone(), x.clone())))(&w);
    let expect = vmap(pe_grad)(&xs);
    assert_close(&jit(vmap(pe_grad))(&xs), &expect, 1e-5);
    assert_close(&vmap(jit(pe_grad))(&xs), &expect, 1e-5);
    // vmap(grad(jit)).
    let g = vmap(|x: &Tensor| grad(jit(|w: &Tensor| f(&(w.clone(), x.clone()))))(&w))(&xs);
    assert_close(&g, &expect, 1e-5);
}

#[test]
fn jit_of_jit() {
    let inner = jit(|x: &Tensor| x.sin() * 2.0);
    let outer = jit(|x: &Tensor| inner(x) + 1.0);
    let x = t(&[3], 19);
    assert_close(&outer(&x), &(x.sin() * 2.0 + 1.0), 1e-6);
    // Traced, the inner function is a `jit` equation; in the program jit runs it is inlined.
    let traced = make_jaxpr(|x: &Tensor| inner(x) + 1.0)(&x).to_string();
    assert!(traced.contains("jit["), "{traced}");
    let j = jit_jaxpr(|x: &Tensor| inner(x) + 1.0)(&x).to_string();
    assert!(!j.contains("jit[") && j.contains("sin"), "{j}");
    assert_close(
        &grad(|x: &Tensor| outer(x).sum())(&x),
        &(x.cos() * 2.0),
        1e-6,
    );
}

#[test]
fn make_jaxpr_prints_a_jit_equation() {
    let x = Tensor::zeros(&[3], DType::F32);
    let f = jit(|x: &Tensor| x * 2.0);
    let text = make_jaxpr(|x: &Tensor| f(x) + 1.0)(&x).to_string();
    // As JAX's `jit_inner` (ferrax names the inner jaxpr's variables afresh).
    assert_eq!(
        text,
        "{ lambda ; a:f32[3]. let\n    b:f32[3] = jit[\n      name=<lambda>\n      \
         jaxpr={ lambda ; c:f32[3]. let d:f32[3] = mul c 2.0:f32[] in (d,) }\n    ] a\n    \
         e:f32[3] = add b 1.0:f32[]\n  in (e,) }"
    );
}

// ---------------------------------------------------------------- FERRAX_LOG_COMPILES

#[test]
fn compile_log_messages() {
    let a = Tensor::zeros(&[3], DType::F32);
    let sig = |p: &(Tensor, Tensor)| Signature::of(p);
    let s1 = sig(&(a.clone(), a.clone()));
    assert_eq!(
        compile_log_message("f", &s1, None),
        "jit(f): compiling for PyTreeDef((*, *)) [0]:f32[3] [1]:f32[3]"
    );
    let s2 = sig(&(a.clone(), Tensor::zeros(&[4], DType::F64)));
    assert_eq!(
        compile_log_message("f", &s2, Some(&s1)),
        "jit(f): compiling for PyTreeDef((*, *)) [0]:f32[3] [1]:f64[4]\n  \
         cache miss: leaf [1] shape/dtype changed from f32[3] to f64[4]"
    );
    // Tree structure: a list that grew.
    let l1 = Signature::of(&(a.clone(), vec![a.clone()]));
    let l2 = Signature::of(&(a.clone(), vec![a.clone(), a.clone()]));
    let msg = compile_log_message("g", &l2, Some(&l1));
    assert!(
        msg.ends_with(
            "cache miss: at [1] the tree structure or a static field changed from \
             PyTreeDef([*]) to PyTreeDef([*, *])"
        ),
        "{msg}"
    );
    // A static field.
    let p2 = Signature::of(&(Scaled {
        x: a.clone(),
        power: 2,
    },));
    let p3 = Signature::of(&(Scaled {
        x: a.clone(),
        power: 3,
    },));
    let msg = compile_log_message("h", &p3, Some(&p2));
    assert!(
        msg.contains("cache miss: at [0] the tree structure or a static field changed from")
            && msg.contains("power=2")
            && msg.contains("power=3"),
        "{msg}"
    );
    // A single tensor input.
    let x1 = Signature::of(&a);
    let x2 = Signature::of(&Tensor::zeros(&[3], DType::I32));
    assert_eq!(
        compile_log_message("k", &x2, Some(&x1)),
        "jit(k): compiling for i32[3]\n  cache miss: the input's shape/dtype changed from f32[3] to i32[3]"
    );
}

#[test]
fn derived_jaxprs_are_reused_across_calls() {
    use ferrax::internals::control_flow::CallOp;
    let p = wx();
    let g = grad(jit(loss));
    let subs = |j: &ClosedJaxpr| -> Vec<std::sync::Arc<Jaxpr>> {
        j.jaxpr
            .eqns
            .iter()
            .filter_map(|e| e.prim.downcast::<CallOp>().map(|op| op.jaxpr.0.clone()))
            .collect()
    };
    let a = subs(&make_jaxpr(&g)(&p));
    let b = subs(&make_jaxpr(&g)(&p));
    assert_eq!(a.len(), 2, "a primal jit and a transposed tangent jit");
    for (x, y) in a.iter().zip(&b) {
        assert!(std::sync::Arc::ptr_eq(x, y), "re-derived instead of reused");
    }
}
