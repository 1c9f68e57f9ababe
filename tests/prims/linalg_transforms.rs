//! `ferrax::linalg` and the `lax.linalg` primitives under the transformations: reconstruction
//! identities (L Lᵀ = A, Q R = A, U S Vᵀ = A, V diag(w) Vᵀ = A, P A = L U), `check_grads`
//! (finite differences, orders 1 and 2) on every differentiable function at well-conditioned
//! inputs with distinct eigenvalues and singular values, vmap over axes 0 and 1 against a
//! loop, jit against eager, the printed jaxprs against JAX 0.10.2's text, and the errors.

use crate::common::close::{assert_close, f64s};
use crate::common::panics::panic_message;
use ferrax::lax::linalg as ll;
use ferrax::linalg;
use ferrax::numpy as jnp;
use ferrax::prelude::*;
use ferrax::test_util::check_grads;

/// A deterministic f64 matrix with entries in [-1, 1).
fn mat(shape: &[usize], seed: u64) -> Tensor {
    crate::common::rng::uniform_f64(shape, seed)
}

/// `g gᵀ + n I`: symmetric positive definite with distinct eigenvalues (for random `g`).
fn spd(shape: &[usize], seed: u64) -> Tensor {
    let g = mat(shape, seed);
    let n = shape[shape.len() - 1];
    let gt = jnp::matrix_transpose(&g);
    jnp::matmul(&g, &gt) + jnp::eye(n).cast(DType::F64) * (n as f64)
}

/// A well-conditioned square matrix (random plus 2 I).
fn wellcond(shape: &[usize], seed: u64) -> Tensor {
    let n = shape[shape.len() - 1];
    mat(shape, seed) + jnp::eye(n).cast(DType::F64) * 2.0
}

fn mm(a: &Tensor, b: &Tensor) -> Tensor {
    jnp::matmul(a, b)
}

fn tr(a: &Tensor) -> Tensor {
    jnp::matrix_transpose(a)
}

#[test]
fn decompositions_reconstruct_their_input() {
    for shape in [&[3usize, 3][..], &[2, 4, 4]] {
        let a = spd(shape, 1);
        let l = linalg::cholesky(&a);
        assert_close(&f64s(&mm(&l, &tr(&l))), &f64s(&a), 1e-12);
        let (w, v) = linalg::eigh(&a);
        let n = shape[shape.len() - 1];
        let vw = v.clone() * jnp::expand_dims(&w, -2);
        assert_close(&f64s(&mm(&vw, &tr(&v))), &f64s(&a), 1e-12);
        let _ = n;
    }
    for shape in [&[4usize, 3][..], &[3, 5], &[2, 3, 3]] {
        let a = mat(shape, 2);
        let (q, r) = linalg::qr(&a);
        assert_close(&f64s(&mm(&q, &r)), &f64s(&a), 1e-12);
        let (u, s, vt) = linalg::svd(&a);
        let us = u.clone() * jnp::expand_dims(&s, -2);
        assert_close(&f64s(&mm(&us, &vt)), &f64s(&a), 1e-12);
        let (lu, _piv, perm) = ll::lu(&a);
        let r = a.ndim();
        let (m, n) = (a.shape()[r - 2], a.shape()[r - 1]);
        let k = m.min(n);
        let (lo, up) = unpack_lu(&lu, m, n, k);
        let pa = jnp::take_along_axis(&a, &jnp::expand_dims(&perm, -1), -2);
        assert_close(&f64s(&mm(&lo, &up)), &f64s(&pa), 1e-12);
    }
}

/// `lu`'s packed factors as `L` (`m x k`, unit lower) and `U` (`k x n`).
fn unpack_lu(lu: &Tensor, m: usize, n: usize, k: usize) -> (Tensor, Tensor) {
    let r = lu.ndim();
    let cut = |rows: usize, cols: usize| {
        let mut lim = lu.shape().to_vec();
        (lim[r - 2], lim[r - 1]) = (rows, cols);
        ferrax::lax::slice(lu, &vec![0; r], &lim, None)
    };
    let eye_mk = jnp::eye_with(
        m,
        jnp::Eye {
            m: Some(k),
            ..Default::default()
        },
    )
    .cast(DType::F64);
    (jnp::tril(&cut(m, k), -1) + eye_mk, jnp::triu(&cut(k, n), 0))
}

/// A scalar that depends on every entry of `t` with distinct weights (a `check_grads`
/// output that sees every tangent).
fn weigh(t: &Tensor) -> Tensor {
    let w = mat(t.shape(), 99) + 2.0;
    (t.clone() * w).sum()
}

#[test]
fn gradients_match_finite_differences_orders_1_and_2() {
    let a = spd(&[3, 3], 3);
    let g = wellcond(&[3, 3], 4);
    let b = mat(&[3, 2], 5);
    let tall = mat(&[4, 3], 6);
    let wide = mat(&[3, 4], 7);
    for order in [1, 2] {
        check_grads(|a: &Tensor| weigh(&linalg::cholesky(a)), &a, order);
        check_grads(
            |(a, b): &(Tensor, Tensor)| weigh(&linalg::solve(a, b)),
            &(g.clone(), b.clone()),
            order,
        );
        for lower in [true, false] {
            check_grads(
                |(a, b): &(Tensor, Tensor)| weigh(&linalg::solve_triangular(a, b, lower)),
                &(g.clone(), b.clone()),
                order,
            );
        }
        check_grads(|a: &Tensor| weigh(&linalg::inv(a)), &g, order);
        check_grads(|a: &Tensor| linalg::det(a), &g, order);
        check_grads(|a: &Tensor| linalg::slogdet(a).1, &g, order);
        check_grads(|a: &Tensor| weigh(&ll::lu(a).0), &g, order);
        for x in [&g, &tall, &wide] {
            check_grads(
                |a: &Tensor| {
                    let (q, r) = linalg::qr(a);
                    weigh(&q) + weigh(&r)
                },
                x,
                order,
            );
            check_grads(
                |a: &Tensor| {
                    let (u, s, vt) = linalg::svd(a);
                    weigh(&u) + weigh(&s) + weigh(&vt)
                },
                x,
                order,
            );
            check_grads(|a: &Tensor| weigh(&linalg::svdvals(a)), x, order);
            check_grads(|a: &Tensor| weigh(&linalg::pinv(a)), x, order);
            check_grads(|a: &Tensor| linalg::norm(a), x, order);
        }
        check_grads(
            |a: &Tensor| {
                let (w, v) = linalg::eigh(a);
                weigh(&w) + weigh(&v)
            },
            &mat(&[4, 4], 8),
            order,
        );
        check_grads(|a: &Tensor| weigh(&linalg::eigvalsh(a)), &a, order);
        check_grads(|a: &Tensor| weigh(&linalg::matrix_power(a, 3)), &g, order);
        check_grads(|a: &Tensor| weigh(&linalg::matrix_power(a, -2)), &g, order);
        check_grads(|a: &Tensor| linalg::trace(a), &g, order);
        check_grads(
            |(a, b): &(Tensor, Tensor)| weigh(&linalg::cho_solve(&linalg::cholesky(a), b)),
            &(a.clone(), b.clone()),
            order,
        );
    }
}

/// `f` vmapped over `axis` of its input equals `f` of each example, output by output.
fn vmap_equals_loop(f: impl Fn(&Tensor) -> Vec<Tensor> + Copy, xs: &Tensor, what: &str) {
    for axis in [0usize, 1] {
        let moved = jnp::moveaxis(xs, 0, axis as isize);
        let batched = vmap_with(f, VmapSpec::new().in_axes(axis))(&moved);
        for b in 0..xs.shape()[0] {
            let one = f(&jnp::index_axis(xs, 0, b as isize));
            for (k, (bo, oo)) in batched.iter().zip(&one).enumerate() {
                let got = jnp::index_axis(bo, 0, b as isize);
                assert_eq!(got.shape(), oo.shape(), "{what} out {k} axis {axis}");
                assert_close(&f64s(&got), &f64s(oo), 1e-12);
            }
        }
    }
}

#[test]
fn vmap_over_any_axis_equals_a_loop() {
    let spds = spd(&[3, 4, 4], 10);
    let sq = wellcond(&[3, 4, 4], 11);
    let rect = mat(&[3, 5, 3], 12);
    let b = mat(&[4, 2], 13);
    vmap_equals_loop(|a| vec![linalg::cholesky(a)], &spds, "cholesky");
    vmap_equals_loop(|a| vec![linalg::solve(a, &b)], &sq, "solve");
    vmap_equals_loop(
        |a| vec![linalg::solve_triangular(a, &b, true)],
        &sq,
        "solve_triangular a",
    );
    let a0 = jnp::index_axis(&sq, 0, 0);
    vmap_equals_loop(
        |bb| vec![linalg::solve_triangular(&a0, bb, false)],
        &mat(&[3, 4, 2], 14),
        "solve_triangular b",
    );
    vmap_equals_loop(|a| vec![linalg::inv(a), linalg::det(a)], &sq, "inv det");
    vmap_equals_loop(
        |a| {
            let (w, v) = linalg::eigh(a);
            vec![w, v]
        },
        &spds,
        "eigh",
    );
    vmap_equals_loop(
        |a| {
            let (q, r) = linalg::qr(a);
            vec![q, r]
        },
        &rect,
        "qr",
    );
    vmap_equals_loop(
        |a| {
            let (u, s, vt) = linalg::svd(a);
            vec![u, s, vt]
        },
        &rect,
        "svd",
    );
    vmap_equals_loop(
        |a| {
            let (l, p, q) = ll::lu(a);
            vec![l, p.cast(DType::F64), q.cast(DType::F64)]
        },
        &rect,
        "lu",
    );
}

#[test]
fn jit_equals_eager_and_gradients_under_jit() {
    let a = spd(&[2, 3, 3], 20);
    let b = mat(&[2, 3, 2], 21);
    let f = |(a, b): &(Tensor, Tensor)| {
        let l = linalg::cholesky(a);
        let x = linalg::solve(a, b);
        let (w, _v) = linalg::eigh(a);
        let s = linalg::svdvals(b);
        let (_sign, ld) = linalg::slogdet(a);
        vec![l, x, w, s, ld, linalg::norm(b)]
    };
    let eager = f(&(a.clone(), b.clone()));
    let jitted = jit(f)(&(a.clone(), b.clone()));
    for (e, j) in eager.iter().zip(&jitted) {
        assert_close(&f64s(j), &f64s(e), 1e-12);
    }
    let loss = |(a, b): &(Tensor, Tensor)| {
        let x = linalg::solve(a, b);
        (x.clone() * x).sum() + linalg::slogdet(a).1.sum()
    };
    let g_eager = grad(loss)(&(a.clone(), b.clone()));
    let g_jit = jit(grad(loss))(&(a.clone(), b.clone()));
    assert_close(&f64s(&g_jit.0), &f64s(&g_eager.0), 1e-12);
    assert_close(&f64s(&g_jit.1), &f64s(&g_eager.1), 1e-12);
}

#[test]
fn jaxprs_print_like_jax() {
    // jax.make_jaxpr(lambda a: jax.lax.linalg.cholesky(a, symmetrize_input=False))(
    //     jnp.eye(3, dtype=jnp.float32)); JAX's iota also prints `sharding=None`, which
    //     ferrax's iota leaves out everywhere.
    let a = Tensor::zeros(&[3, 3], DType::F32);
    let j = make_jaxpr(|a: &Tensor| ll::cholesky(a, false))(&a);
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[3,3]. let
    b:f32[3,3] = cholesky a
    c:i32[3,3] = iota[dimension=0 dtype=int32 shape=(3, 3)] 
    d:i32[3,3] = add c 0:i32[]
    e:i32[3,3] = iota[dimension=1 dtype=int32 shape=(3, 3)] 
    f:bool[3,3] = ge d e
    g:f32[3,3] = broadcast_in_dim 0.0:f32[]
    h:f32[3,3] = select_n f g b
  in (h,) }"
    );
    let w = Tensor::zeros(&[3, 2], DType::F32);
    let p = ll::TriangularSolve {
        left_side: true,
        lower: true,
        ..Default::default()
    };
    let j = make_jaxpr(|(a, b): &(Tensor, Tensor)| ll::triangular_solve(a, b, p))(&(a.clone(), w));
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[3,3] b:f32[3,2]. let
    c:f32[3,2] = triangular_solve[
      conjugate_a=False
      left_side=True
      lower=True
      transpose_a=False
      unit_diagonal=False
    ] a b
  in (c,) }"
    );
    let j = make_jaxpr(|a: &Tensor| {
        let (v, w) = ll::eigh(a, true, false);
        vec![v, w]
    })(&a);
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[3,3]. let
    b:f32[3,3] c:f32[3] = eigh[
      algorithm=None
      lower=True
      sort_eigenvalues=True
      subset_by_index=None
    ] a
  in (b, c) }"
    );
    let t = Tensor::zeros(&[4, 3], DType::F32);
    let j = make_jaxpr(|a: &Tensor| {
        let (q, r) = ll::qr(a, false);
        vec![q, r]
    })(&t);
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[4,3]. let
    b:f32[4,3] c:f32[3,3] = qr[
      full_matrices=False
      pivoting=False
      use_magma=None
    ] a
  in (b, c) }"
    );
    let j = make_jaxpr(|a: &Tensor| {
        let (u, s, vt) = ll::svd(a, false);
        vec![u, s, vt]
    })(&t);
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[4,3]. let
    b:f32[3] c:f32[4,3] d:f32[3,3] = svd[
      algorithm=None
      compute_uv=True
      full_matrices=False
      subset_by_index=None
    ] a
  in (c, b, d) }"
    );
    let j = make_jaxpr(|a: &Tensor| ll::singular_values(a))(&t);
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[4,3]. let
    b:f32[3] = svd[
      algorithm=None
      compute_uv=False
      full_matrices=True
      subset_by_index=None
    ] a
  in (b,) }"
    );
    let j = make_jaxpr(|a: &Tensor| {
        let (l, p, q) = ll::lu(a);
        vec![l, p, q]
    })(&t);
    assert_eq!(
        j.to_string(),
        "{ lambda ; a:f32[4,3]. let b:f32[4,3] c:i32[3] d:i32[4] = lu a in (b, c, d) }"
    );
}

#[test]
fn bad_shapes_panic_naming_the_function_the_shapes_and_the_caller() {
    let rect = Tensor::zeros(&[2, 3], DType::F32);
    let sq = Tensor::zeros(&[2, 3, 3], DType::F32);
    let b = Tensor::zeros(&[4, 3, 1], DType::F32);
    let cases: Vec<(&str, String)> = vec![
        ("linalg.inv", panic_message(|| linalg::inv(&rect))),
        ("linalg.cholesky", panic_message(|| linalg::cholesky(&rect))),
        ("linalg.eigh", panic_message(|| linalg::eigh(&rect))),
        ("linalg.solve", panic_message(|| linalg::solve(&sq, &b))),
        (
            "linalg.det",
            panic_message(|| linalg::det(&Tensor::zeros(&[3], DType::F32))),
        ),
    ];
    for (name, msg) in &cases {
        assert!(msg.contains(name), "{name}: {msg}");
        assert!(msg.contains("f32["), "{name} names the shapes: {msg}");
        assert!(
            msg.contains("linalg_transforms.rs"),
            "{name} names the caller: {msg}"
        );
    }
}

#[test]
fn not_positive_definite_cholesky_is_nan_as_jax() {
    let a = Tensor::from_vec(vec![1.0f64, 2.0, 2.0, 1.0], &[2, 2]);
    // JAX: the primitive gives all NaN, then the upper triangle is zeroed.
    let l = f64s(&linalg::cholesky(&a));
    assert!(
        l[0].is_nan() && l[2].is_nan() && l[3].is_nan() && l[1] == 0.0,
        "{l:?}"
    );
}

#[test]
fn f32_follows_f64_within_f32_rounding() {
    let a = spd(&[4, 4], 30);
    let a32 = a.cast(DType::F32);
    let (w64, _) = linalg::eigh(&a);
    let (w32, _) = linalg::eigh(&a32);
    assert_eq!(w32.dtype(), DType::F32);
    assert_close(&f64s(&w32), &f64s(&w64), 1e-5);
    let l32 = linalg::cholesky(&a32);
    assert_close(&f64s(&l32), &f64s(&linalg::cholesky(&a)), 1e-5);
}

#[test]
fn gradients_at_repeated_eigenvalues_follow_jax() {
    // JAX 0.10.2 (x64), a = diag(1, 1, 2):
    //   grad(lambda a: eigvalsh(a) @ [1, 2, 3])(a) = diag(1, 2, 3)
    //   grad(lambda a: eigh(a)[1].sum())(a)       = all NaN (1/(w_j - w_i) = inf)
    //   grad(lambda a: svdvals(a).sum())(eye(3))  = eye(3)
    //   grad(lambda a: svd(a)[0].sum())(eye(3))   = all NaN
    let a = Tensor::from_vec(
        vec![1.0f64, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0],
        &[3, 3],
    );
    let c = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]);
    let g = grad(|a: &Tensor| (linalg::eigvalsh(a) * c.clone()).sum())(&a);
    assert_close(
        &f64s(&g),
        &[1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 3.0],
        1e-12,
    );
    let g = grad(|a: &Tensor| linalg::eigh(a).1.sum())(&a);
    assert!(f64s(&g).iter().all(|v| v.is_nan()), "{:?}", f64s(&g));
    let eye = jnp::eye(3).cast(DType::F64);
    let g = grad(|a: &Tensor| linalg::svdvals(a).sum())(&eye);
    assert_close(&f64s(&g), &f64s(&eye), 1e-12);
    let g = grad(|a: &Tensor| linalg::svd(a).0.sum())(&eye);
    assert!(f64s(&g).iter().all(|v| v.is_nan()), "{:?}", f64s(&g));
}

#[test]
fn norm_options_and_products_have_gradients() {
    use linalg::{NormOpts, Ord};
    let x = wellcond(&[3, 3], 40);
    for ord in [
        Ord::Default,
        Ord::P(1.0),
        Ord::Inf,
        Ord::Fro,
        Ord::Nuc,
        Ord::P(2.0),
    ] {
        let o = NormOpts {
            ord,
            ..Default::default()
        };
        check_grads(|x: &Tensor| linalg::norm_with(x, &o), &x, 1);
    }
    check_grads(|x: &Tensor| linalg::cond(x), &x, 1);
    check_grads(
        |x: &Tensor| weigh(&linalg::multi_dot(&[x.clone(), x.clone(), x.clone()])),
        &x,
        2,
    );
    check_grads(
        |x: &Tensor| weigh(&linalg::block_diag(&[x.clone(), x.clone()])),
        &x,
        1,
    );
}
