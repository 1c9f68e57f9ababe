//! `split` (its own family, `prims/split.rs`): pieces against `slice` on random shapes, axes
//! and dtypes, the shape rule's errors, gradients by finite differences and in closed form,
//! batching against a loop over examples, and the printed jaxprs (eval, JVP, VJP, vmap)
//! against JAX 0.10.2's text for the same functions (`lax.split(x, sizes, axis)`).

use crate::common::close::{assert_close, f64s};
use crate::common::data::t;
use crate::common::rng::Rng;
use ferrax::lax;
use ferrax::prelude::*;
use ferrax::transforms::VmapSpec;

/// `sizes` adding up to `n` (some of them zero).
fn random_sizes(r: &mut Rng, n: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = (0..r.range(0, 4))
        .map(|_| r.range(0, n as i64) as usize)
        .collect();
    cuts.push(0);
    cuts.push(n);
    cuts.sort();
    cuts.windows(2).map(|w| w[1] - w[0]).collect()
}

#[test]
fn pieces_equal_slices() {
    let mut r = Rng(7);
    for case in 0..40 {
        let ndim = r.range(1, 3) as usize;
        let shape: Vec<usize> = (0..ndim).map(|_| r.range(1, 6) as usize).collect();
        let axis = r.range(0, ndim as i64 - 1) as usize;
        let sizes = random_sizes(&mut r, shape[axis]);
        let x = t(&shape, case);
        let xs = [x.clone(), x.cast(DType::I32), x.gt(Tensor::scalar(0.0f32))];
        for x in xs {
            let parts = lax::split(&x, &sizes, axis);
            assert_eq!(parts.len(), sizes.len());
            let mut start = 0;
            for (p, &s) in parts.iter().zip(&sizes) {
                let (mut lo, mut hi) = (vec![0; ndim], shape.clone());
                lo[axis] = start;
                hi[axis] = start + s;
                start += s;
                let want = lax::slice(&x, &lo, &hi, None);
                assert_eq!(
                    p.shape(),
                    want.shape(),
                    "{shape:?} axis {axis} sizes {sizes:?}"
                );
                assert_eq!(p.dtype(), x.dtype());
                assert_eq!(f64s(&p.cast(DType::F64)), f64s(&want.cast(DType::F64)));
            }
        }
    }
}

#[test]
fn bad_sizes_and_axes_are_refused_with_the_shapes() {
    let x = Tensor::zeros(&[2, 8], DType::F32);
    let err = std::panic::catch_unwind(|| lax::split(&x, &[2, 2], 1)).expect_err("sizes 4 of 8");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("split") && msg.contains("(2, 2)") && msg.contains("f32[2,8]"),
        "{msg}"
    );
    let err = std::panic::catch_unwind(|| lax::split(&x, &[2], 2)).expect_err("axis 2 of 2-d");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("axis 2 is out of range"), "{msg}");
}

#[test]
fn gradients_match_closed_form_and_finite_differences() {
    let x = t(&[3, 7], 11);
    // f = sum(a^2) + 3 sum(c): df/dx is 2a on a's columns, 0 on b's, 3 on c's.
    let f = |x: &Tensor| {
        let [a, _b, c]: [Tensor; 3] = lax::split(x, &[2, 1, 4], 1).try_into().unwrap();
        (a.clone() * a).sum() + c.sum() * 3.0
    };
    let g = grad(f)(&x);
    let xv = x.to_vec::<f32>();
    let want: Vec<f64> = (0..21)
        .map(|i| match i % 7 {
            0 | 1 => 2.0 * xv[i] as f64,
            2 => 0.0,
            _ => 3.0,
        })
        .collect();
    assert_close(&f64s(&g), &want, 1e-6);
    ferrax::test_util::check_grads(
        |x: &Tensor| {
            let p = lax::split(x, &[1, 2], 0);
            (p[0].sin().sum() + (p[1].clone() * p[1].clone()).sum()) * 1.0
        },
        &t(&[3, 2], 3).cast(DType::F64),
        2,
    );
}

#[test]
fn vmap_matches_a_loop_over_examples_on_every_axis() {
    let xs = t(&[4, 3, 6], 5);
    for in_axis in 0..3 {
        for axis in 0..2 {
            let sizes: &[usize] = if axis == 0 { &[1, 2] } else { &[4, 0, 2] };
            let moved = ferrax::numpy::moveaxis(&xs, 0, in_axis as isize);
            let f = |x: &Tensor| lax::split(x, sizes, axis);
            let batched = vmap_with(f, VmapSpec::new().in_axes(in_axis))(&moved);
            for (k, piece) in batched.iter().enumerate() {
                for b in 0..4isize {
                    let one = f(&ferrax::numpy::index_axis(&xs, 0, b))[k].clone();
                    let got = ferrax::numpy::index_axis(piece, 0, b);
                    assert_eq!(got.shape(), one.shape());
                    assert_eq!(
                        got.to_vec::<f32>(),
                        one.to_vec::<f32>(),
                        "in {in_axis} axis {axis}"
                    );
                }
            }
        }
    }
}

#[test]
fn jaxprs_print_like_jax() {
    let x = Tensor::zeros(&[2, 8], DType::F32);
    let j = make_jaxpr(|x: &Tensor| lax::split(x, &[2, 2, 4], 1))(&x);
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[2,8]. let\n    b:f32[2,2] c:f32[2,2] d:f32[2,4] = split[axis=1 sizes=(2, 2, 4)] a\n  in (b, c, d) }"
    );
    // jax.make_jaxpr(lambda x, w, u, v: jax.vjp(lambda x: lax.split(x, (2, 2, 4), axis=1),
    //     x)[1]([w, u, v]))(x, w, w, v)
    let (w, v) = (
        Tensor::zeros(&[2, 2], DType::F32),
        Tensor::zeros(&[2, 4], DType::F32),
    );
    let j = make_jaxpr(|(x, w, u, v): &(Tensor, Tensor, Tensor, Tensor)| {
        let (_, back) = vjp(|x: &Tensor| lax::split(x, &[2, 2, 4], 1), x);
        back(&vec![w.clone(), u.clone(), v.clone()])
    })(&(x.clone(), w.clone(), w, v));
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[2,8] b:f32[2,2] c:f32[2,2] d:f32[2,4]. let\n    \
         _:f32[2,2] _:f32[2,2] _:f32[2,4] = split[axis=1 sizes=(2, 2, 4)] a\n    \
         e:f32[2,8] = concatenate[dimension=1] b c d\n  in (e,) }"
    );
    // jax.make_jaxpr(jax.vmap(lambda x: lax.split(x, (1, 2), axis=0), in_axes=1))(
    //     jnp.ones((3, 4, 2)))
    let j = make_jaxpr(vmap_with(
        |x: &Tensor| lax::split(x, &[1, 2], 0),
        VmapSpec::new().in_axes(1),
    ))(&Tensor::zeros(&[3, 4, 2], DType::F32));
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[3,4,2]. let\n    \
         b:f32[1,4,2] c:f32[2,4,2] = split[axis=0 sizes=(1, 2)] a\n    \
         d:f32[4,1,2] = transpose[permutation=(1, 0, 2)] b\n    \
         e:f32[4,2,2] = transpose[permutation=(1, 0, 2)] c\n  in (d, e) }"
    );
    // jax.make_jaxpr(lambda x, t: jax.jvp(lambda x: lax.split(x, (1, 2), axis=0), (x,),
    //     (t,)))(jnp.ones(3), jnp.ones(3))
    let z = Tensor::zeros(&[3], DType::F32);
    let j =
        make_jaxpr(|(x, t): &(Tensor, Tensor)| jvp(|x: &Tensor| lax::split(x, &[1, 2], 0), x, t))(
            &(z.clone(), z),
        );
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[3] b:f32[3]. let\n    \
         c:f32[1] d:f32[2] = split[axis=0 sizes=(1, 2)] a\n    \
         e:f32[1] f:f32[2] = split[axis=0 sizes=(1, 2)] b\n  in (c, d, e, f) }"
    );
}
