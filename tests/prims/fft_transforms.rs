//! `ferrax::fft` and the `fft` primitive under the transformations: `check_grads` (finite
//! differences, orders 1 and 2) on real-to-real compositions (`sum(abs(rfft(x))**2)`,
//! `irfft(rfft(x))`, the real and imaginary parts of every transform), vmap over axes 0, 1
//! and 2 against a loop, jit against eager, the printed jaxprs against JAX 0.10.2's text,
//! Parseval and round trips at large batched sizes (the parallel path), and the errors.

use crate::common::close::assert_close;
use crate::common::panics::{assert_errors_name_function_shapes_and_caller, panic_message};
use ferrax::fft::{self, Fft1d, FftNd, Norm};
use ferrax::lax::{self, FftType};
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use ferrax::test_util::check_grads;

/// A deterministic f64 array with entries in [-1, 1).
fn mat(shape: &[usize], seed: u64) -> Tensor {
    crate::common::rng::uniform_f64(shape, seed)
}

/// The values of `t` as f64, complex ones as interleaved parts.
fn parts(t: &Tensor) -> Vec<f64> {
    if t.dtype().is_complex() {
        let re = lax::real(t).cast(DType::F64).to_vec::<f64>();
        let im = lax::imag(t).cast(DType::F64).to_vec::<f64>();
        re.into_iter().zip(im).flat_map(|(a, b)| [a, b]).collect()
    } else {
        t.cast(DType::F64).to_vec::<f64>()
    }
}

/// A real scalar that sees every part of `t` with distinct weights.
fn weigh(t: &Tensor) -> Tensor {
    let w = |t: &Tensor, seed| (t.clone() * (mat(t.shape(), seed) + 2.0)).sum();
    if t.dtype().is_complex() {
        w(&lax::real(t), 98) + w(&lax::imag(t), 99)
    } else {
        w(t, 97)
    }
}

#[test]
fn gradients_match_finite_differences_orders_1_and_2() {
    let x = mat(&[7], 1);
    let x8 = mat(&[2, 8], 2);
    let m = mat(&[3, 4], 3);
    let o = |n, norm| Fft1d {
        n,
        norm,
        ..Default::default()
    };
    for order in [1, 2] {
        check_grads(
            |x: &Tensor| (lax::abs(&fft::rfft(x)).powi(2)).sum(),
            &x8,
            order,
        );
        check_grads(|x: &Tensor| weigh(&fft::irfft(&fft::rfft(x))), &x8, order);
        check_grads(
            |x: &Tensor| weigh(&fft::irfft_with(&fft::rfft(x), o(Some(7), Norm::Ortho))),
            &x,
            order,
        );
        check_grads(|x: &Tensor| weigh(&fft::rfft(x)), &x, order);
        check_grads(
            |x: &Tensor| weigh(&fft::fft_with(x, o(Some(9), Norm::Forward))),
            &x,
            order,
        );
        check_grads(|x: &Tensor| weigh(&fft::ifft(x)), &x8, order);
        check_grads(|x: &Tensor| weigh(&fft::hfft(x)), &x, order);
        check_grads(|x: &Tensor| weigh(&fft::ihfft(x)), &x, order);
        check_grads(|x: &Tensor| weigh(&fft::rfft2(x)), &m, order);
        check_grads(|x: &Tensor| weigh(&fft::fftn(x)), &m, order);
        // A complex input built from two real ones: irfft's transpose on both parts.
        check_grads(
            |(a, b): &(Tensor, Tensor)| {
                weigh(&fft::irfft_with(
                    &lax::complex(a, b),
                    o(Some(6), Norm::Backward),
                ))
            },
            &(mat(&[4], 4), mat(&[4], 5)),
            order,
        );
        check_grads(
            |(a, b): &(Tensor, Tensor)| weigh(&fft::irfft2(&lax::complex(a, b))),
            &(mat(&[3, 3], 6), mat(&[3, 3], 7)),
            order,
        );
    }
}

/// `f` vmapped over `axis` of its input equals `f` of each example.
fn vmap_equals_loop(f: impl Fn(&Tensor) -> Tensor + Copy, xs: &Tensor, what: &str) {
    for axis in 0..xs.ndim().min(3) {
        let moved = jnp::moveaxis(xs, 0, axis as isize);
        let batched = vmap_with(f, VmapSpec::new().in_axes(axis))(&moved);
        for b in 0..xs.shape()[0] {
            let one = f(&jnp::index_axis(xs, 0, b as isize));
            let got = jnp::index_axis(&batched, 0, b as isize);
            assert_eq!(got.shape(), one.shape(), "{what} axis {axis}");
            assert_close(&parts(&got), &parts(&one), 1e-12);
        }
    }
}

#[test]
fn vmap_over_any_axis_equals_a_loop() {
    let x = mat(&[3, 4, 6], 10);
    let z = lax::complex(&mat(&[3, 4, 5], 11), &mat(&[3, 4, 5], 12));
    vmap_equals_loop(fft::rfft, &x, "rfft");
    vmap_equals_loop(fft::fft, &x, "fft");
    vmap_equals_loop(fft::ifft, &z, "ifft");
    vmap_equals_loop(fft::irfft, &z, "irfft");
    vmap_equals_loop(fft::rfft2, &x, "rfft2");
    vmap_equals_loop(fft::irfft2, &z, "irfft2");
    vmap_equals_loop(
        |x| {
            fft::fftn_with(
                x,
                FftNd {
                    axes: Some(vec![0]),
                    ..Default::default()
                },
            )
        },
        &x,
        "fftn axis 0",
    );
    vmap_equals_loop(|x| lax::fft(x, FftType::Fft, &[4, 6]), &x, "lax.fft");
    // Reverse mode of a vmapped transform (the transpose rules batched).
    let g = vmap(grad(|x: &Tensor| weigh(&fft::rfft(x))))(&mat(&[3, 8], 13));
    for b in 0..3 {
        let one =
            grad(|x: &Tensor| weigh(&fft::rfft(x)))(&jnp::index_axis(&mat(&[3, 8], 13), 0, b));
        assert_close(&parts(&jnp::index_axis(&g, 0, b)), &parts(&one), 1e-12);
    }
}

#[test]
fn jit_equals_eager() {
    let x = mat(&[2, 5, 6], 20);
    let f = |x: &Tensor| {
        let y = fft::rfft2(x);
        let z = fft::ifftn(&fft::fftshift(&y, Some(&[-2])));
        fft::irfft_with(
            &z,
            Fft1d {
                n: Some(6),
                norm: Norm::Ortho,
                ..Default::default()
            },
        )
    };
    assert_close(&parts(&jit(f)(&x)), &parts(&f(&x)), 1e-12);
    let g = |x: &Tensor| grad(|x: &Tensor| (lax::abs(&fft::rfft(x)).powi(2)).sum())(x);
    assert_close(&parts(&jit(g)(&x)), &parts(&g(&x)), 1e-12);
}

#[test]
fn round_trips_and_parseval_on_large_batches() {
    // Many rows (parallel over rows) and a long axis, f32 and f64.
    for (shape, tol) in [(&[256usize, 1024][..], 1e-10), (&[3, 1 << 16][..], 1e-9)] {
        let x = mat(shape, 30);
        let back = fft::irfft(&fft::rfft(&x));
        assert_close(&parts(&back), &parts(&x), tol);
        let y = fft::fft2(&x);
        let e_x = (x.clone() * x.clone()).sum().item::<f64>();
        let e_y = lax::abs(&y).powi(2).sum().item::<f64>() / (shape[0] * shape[1]) as f64;
        assert!((e_x - e_y).abs() <= 1e-9 * e_x, "Parseval: {e_x} vs {e_y}");
        let back = fft::ifft2(&y);
        assert_close(&parts(&lax::real(&back)), &parts(&x), tol);
        let x32 = x.cast(DType::F32);
        let back32 = fft::irfft(&fft::rfft(&x32));
        assert_eq!(back32.dtype(), DType::F32);
        assert_close(&parts(&back32), &parts(&x32), 1e-5);
    }
    // A non-minor axis of a large array (the transposed path, parallel rows).
    let x = mat(&[512, 96], 31);
    let y = fft::fft_with(
        &x,
        Fft1d {
            axis: 0,
            ..Default::default()
        },
    );
    let by_moving = jnp::moveaxis(&fft::fft(&jnp::moveaxis(&x, 0, 1)), 1, 0);
    assert_close(&parts(&y), &parts(&by_moving), 1e-10);
}

#[test]
fn jaxprs_print_like_jax() {
    // jax.make_jaxpr(jnp.fft.rfft)(np.ones(8, np.float32)) shows this equation inside a
    // `jit[name=fft]` call (JAX's `lax.fft` is jitted); ferrax binds the primitive directly,
    // and a one-equation jaxpr that fits prints on one line, as JAX's printer does.
    let x = Tensor::zeros(&[8], DType::F32);
    let j = make_jaxpr(|x: &Tensor| fft::rfft(x))(&x);
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[8]. let b:c64[5] = fft[fft_lengths=(8,) fft_type=2] a in (b,) }"
    );
    let z = Tensor::zeros(&[2, 4, 8], DType::C64);
    let j = make_jaxpr(|x: &Tensor| lax::fft(x, FftType::Fft, &[4, 8]))(&z);
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:c64[2,4,8]. let
    b:c64[2,4,8] = fft[fft_lengths=(4, 8) fft_type=0] a
  in (b,) }"
    );
    // jax.make_jaxpr(jnp.fft.fft)(np.ones(8, np.float32)), inside its jit.
    let j = make_jaxpr(|x: &Tensor| fft::fft(x))(&x);
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[8]. let
    b:c64[8] = convert_element_type[new_dtype=complex64 weak_type=False] a
    c:c64[8] = fft[fft_lengths=(8,) fft_type=0] b
  in (c,) }"
    );
    let h = Tensor::zeros(&[5], DType::C64);
    let j = make_jaxpr(|x: &Tensor| lax::fft(x, FftType::Irfft, &[8]))(&h);
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:c64[5]. let b:f32[8] = fft[fft_lengths=(8,) fft_type=3] a in (b,) }"
    );
}

#[test]
fn bad_input_panics_name_the_function_shapes_and_caller() {
    let x = Tensor::zeros(&[4, 6], DType::F32);
    let cases = [
        (
            "fft::fft",
            panic_message(|| {
                fft::fft_with(
                    &x,
                    Fft1d {
                        axis: 2,
                        ..Default::default()
                    },
                )
            }),
        ),
        (
            "fft::rfft",
            panic_message(|| {
                fft::rfft_with(
                    &x,
                    Fft1d {
                        n: Some(0),
                        ..Default::default()
                    },
                )
            }),
        ),
        (
            "fft::ihfft",
            panic_message(|| {
                fft::ihfft_with(
                    &x,
                    Fft1d {
                        axis: -3,
                        ..Default::default()
                    },
                )
            }),
        ),
        (
            "fft::hfft",
            panic_message(|| {
                fft::hfft_with(
                    &x,
                    Fft1d {
                        axis: 5,
                        ..Default::default()
                    },
                )
            }),
        ),
        (
            "fft::fft2",
            panic_message(|| {
                fft::fft2_with(
                    &x,
                    FftNd {
                        axes: Some(vec![0]),
                        ..Default::default()
                    },
                )
            }),
        ),
        (
            "fft::fftn",
            panic_message(|| {
                fft::fftn_with(
                    &x,
                    FftNd {
                        axes: Some(vec![1, -1]),
                        ..Default::default()
                    },
                )
            }),
        ),
        (
            "fft::irfftn",
            panic_message(|| {
                fft::irfftn_with(
                    &x,
                    FftNd {
                        s: Some(vec![2, 2, 2]),
                        ..Default::default()
                    },
                )
            }),
        ),
        (
            "fft::irfft",
            panic_message(|| fft::irfft(&Tensor::zeros(&[3, 1], DType::C64))),
        ),
        (
            "fft::rfftn",
            panic_message(|| {
                fft::rfftn_with(
                    &x,
                    FftNd {
                        s: Some(vec![2]),
                        axes: Some(vec![0, 1]),
                        ..Default::default()
                    },
                )
            }),
        ),
    ];
    assert_errors_name_function_shapes_and_caller(&cases, "fft_transforms.rs");
    // The primitive's own checks.
    let z = Tensor::zeros(&[4], DType::C64);
    let msg = panic_message(|| lax::fft(&z, FftType::Rfft, &[4]));
    assert!(
        msg.contains("only real valued inputs supported for rfft"),
        "{msg}"
    );
    let msg = panic_message(|| lax::fft(&z, FftType::Irfft, &[4]));
    assert!(msg.starts_with("fft:") && msg.contains("c64[4]"), "{msg}");
    let msg = panic_message(|| lax::fft(&z, FftType::Fft, &[4, 4]));
    assert!(msg.starts_with("fft:") && msg.contains("c64[4]"), "{msg}");
}
