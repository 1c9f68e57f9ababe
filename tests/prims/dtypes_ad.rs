//! Transformations over the new dtypes: complex autodiff against JAX 0.10.2's gradients
//! (`grad.*`, `jacfwd.*`, `jacrev.*` lines of tests/golden/dtypes.txt): real-valued functions
//! of complex inputs (JAX's conjugate-style cotangents from plain linear transposes), the
//! holomorphic option, `real`/`imag`/`conj`/`complex`/`abs` derivatives; the errors for a
//! complex output without `holomorphic`; zero tangents for integer inputs; and vmap (against
//! a loop) and jit (against eager) of a program over each dtype.

use super::dtypes::{arrays, assert_matches, tensor};
use crate::common::panics::panic_message;
use ferrax::lax;
use ferrax::prelude::*;
use ferrax::tensor::ArrayData;
use ferrax::transforms::{grad_with, jacfwd_with, jacrev_with, GradOptions};

fn sum(x: &Tensor) -> Tensor {
    lax::reduce_sum(x, &(0..x.ndim()).collect::<Vec<_>>())
}

/// The functions of the golden file, by name, with whether they are holomorphic.
fn function(name: &str) -> (fn(&Tensor) -> Tensor, bool) {
    fn abs2(z: &Tensor) -> Tensor {
        let a = lax::abs(z);
        sum(&lax::mul(&a, &a))
    }
    fn re_sq(z: &Tensor) -> Tensor {
        lax::real(&sum(&lax::mul(z, z)))
    }
    fn abs(z: &Tensor) -> Tensor {
        sum(&lax::abs(z))
    }
    fn im_exp(z: &Tensor) -> Tensor {
        sum(&lax::imag(&lax::exp(z)))
    }
    fn conj_mul(z: &Tensor) -> Tensor {
        lax::real(&sum(&lax::mul(&lax::mul(&lax::conj(z), z), z)))
    }
    fn holo_sq(z: &Tensor) -> Tensor {
        sum(&lax::mul(z, z))
    }
    fn holo_exp_sin(z: &Tensor) -> Tensor {
        sum(&lax::mul(&lax::exp(z), &lax::sin(z)))
    }
    fn holo_div(z: &Tensor) -> Tensor {
        let one = Tensor::full(z.shape(), 1.0, z.dtype());
        let two = Tensor::full(z.shape(), 2.0, z.dtype());
        sum(&lax::div(
            &lax::add(z, &one),
            &lax::add(&lax::mul(z, z), &two),
        ))
    }
    fn complex_parts(x: &Tensor) -> Tensor {
        let a = lax::abs(&lax::complex(x, &lax::mul(x, x)));
        sum(&lax::mul(&a, &a))
    }
    match name {
        "abs2" => (abs2, false),
        "re_sq" => (re_sq, false),
        "abs" => (abs, false),
        "im_exp" => (im_exp, false),
        "conj_mul" => (conj_mul, false),
        "holo_sq" => (holo_sq, true),
        "holo_exp_sin" => (holo_exp_sin, true),
        "holo_div" => (holo_div, true),
        "complex_parts" => (complex_parts, false),
        _ => panic!("no function {name}"),
    }
}

#[test]
fn complex_gradients_match_jax() {
    let g = arrays();
    let mut names: Vec<&String> = g.keys().filter(|k| k.starts_with("grad.")).collect();
    names.sort();
    assert_eq!(names.len(), 9);
    for name in names {
        let f_name = &name["grad.".len()..];
        let (f, holomorphic) = function(f_name);
        let x = tensor(&g[&format!("gradin.{f_name}")]);
        let got = grad_with(f, GradOptions { holomorphic })(&x);
        assert_matches(name, &got, &g[name], 1e-5);
        // The same under jit.
        let jitted = jit(move |x: &Tensor| grad_with(f, GradOptions { holomorphic })(x))(&x);
        assert_matches(&format!("jit {name}"), &jitted, &g[name], 1e-5);
    }
}

#[test]
fn holomorphic_jacobians_match_jax() {
    let g = arrays();
    let z = tensor(&g["gradin.holo_sq"]);
    let sq = |z: &Tensor| lax::mul(z, z);
    let opts = GradOptions { holomorphic: true };
    assert_matches(
        "jacfwd",
        &jacfwd_with(sq, opts)(&z),
        &g["jacfwd.holo_sq"],
        1e-6,
    );
    assert_matches(
        "jacrev",
        &jacrev_with(sq, opts)(&z),
        &g["jacrev.holo_sq"],
        1e-6,
    );
}

#[test]
fn complex_outputs_need_holomorphic() {
    let z = Tensor::from_vec(vec![num_complex::Complex32::new(1.0, 2.0)], &[1]);
    let msg = panic_message(|| grad(|z: &Tensor| sum(&lax::mul(z, z)))(&z));
    assert!(msg.contains("holomorphic: true"), "{msg}");
    assert!(msg.contains("c64[]"), "{msg}");
    let x = Tensor::from_vec(vec![1.0f32], &[1]);
    let msg =
        panic_message(|| grad_with(|x: &Tensor| sum(x), GradOptions { holomorphic: true })(&x));
    assert!(msg.contains("not a complex dtype"), "{msg}");
    let msg = panic_message(|| jacfwd_with(|z: &Tensor| z.clone(), GradOptions::default())(&z));
    assert!(msg.contains("must be real"), "{msg}");
}

#[test]
fn unsupported_dtypes_panic_naming_the_op_and_dtype() {
    let z = Tensor::from_vec(vec![num_complex::Complex32::new(1.0, 2.0)], &[1]);
    let msg = panic_message(|| lax::max(&z, &z));
    assert!(msg.contains("max") && msg.contains("c64"), "{msg}");
    let i = Tensor::from_vec(vec![1i8], &[1]);
    let msg = panic_message(|| lax::sin(&i));
    assert!(msg.contains("sin") && msg.contains("i8"), "{msg}");
    let msg = panic_message(|| lax::real(&i));
    assert!(msg.contains("real") && msg.contains("i8"), "{msg}");
    let msg = panic_message(|| lax::reduce_max(&z, &[0]));
    assert!(msg.contains("reduce_max") && msg.contains("c64"), "{msg}");
}

/// An integer input of any width gets a zero (float0-like) gradient, as i32 does.
#[test]
fn integer_inputs_of_every_width_have_no_tangent() {
    for d in [DType::I8, DType::U16, DType::I64, DType::U64] {
        let n = Tensor::from(ArrayData::full(&[2], 3.0, d));
        let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
        let (y, t) = jvp(
            |x: &Tensor| lax::mul(x, &lax::convert_element_type(&n, DType::F32)),
            &x,
            &Tensor::from_vec(vec![1.0f32, 1.0], &[2]),
        );
        assert_eq!(y.to_vec::<f32>(), vec![3.0, 6.0], "{d}");
        assert_eq!(t.to_vec::<f32>(), vec![3.0, 3.0], "{d}");
    }
}

/// A small program over one dtype: elementwise arithmetic, a reduction, a transpose and a
/// concatenation.
fn program(x: &Tensor) -> Tensor {
    let y = lax::add(&lax::mul(x, x), x);
    let t = lax::transpose(&y, &[1, 0]);
    let s = lax::reduce_sum(&t, &[1]);
    lax::concatenate(&[s.clone(), lax::neg(&s)], 0)
}

#[test]
fn vmap_and_jit_agree_with_eager_for_every_dtype() {
    for d in DType::ALL {
        if d == DType::Bool {
            continue;
        }
        let vals: Vec<f64> = (0..24).map(|i| (i % 7) as f64 - 2.0).collect();
        let x = Tensor::from_f64_values(&vals, &[4, 2, 3], d);
        let eager: Vec<Tensor> = (0..4)
            .map(|i| {
                program(&lax::squeeze(
                    &lax::slice(&x, &[i, 0, 0], &[i + 1, 2, 3], None),
                    &[0],
                ))
            })
            .collect();
        let batched = vmap(program)(&x);
        let jitted = jit(vmap(program))(&x);
        assert_eq!(batched.dtype(), d);
        for (i, e) in eager.iter().enumerate() {
            let row = lax::squeeze(&lax::slice(&batched, &[i, 0], &[i + 1, 6], None), &[0]);
            let jrow = lax::squeeze(&lax::slice(&jitted, &[i, 0], &[i + 1, 6], None), &[0]);
            assert_eq!(row.array(), e.array(), "vmap of {d}, row {i}");
            assert_eq!(jrow.array(), e.array(), "jit of {d}, row {i}");
        }
    }
}
