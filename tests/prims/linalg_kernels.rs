//! The LU and triangular-solve kernels on every path they take (`src/kernels/linalg.rs`):
//! the unblocked loops below n = 24 / 32, faer's blocked kernels above, the fallback for a
//! zero pivot, and a batch of small systems spread over the threads. LU is compared with a
//! plain `getrf` written here (same pivots, same permutation, factors to 1e-10); triangular
//! solves with every option are checked by their residual against the dense triangle they
//! must read (the other triangle is filled with garbage that must not be read).

use ferrax::internals::kernels::linalg::{lu, lu_batch, triangular_solve, TriSolve};

/// Deterministic values in [-1, 1).
pub(super) fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}

/// LAPACK's `getf2`, written independently of the crate: pivots (the first entry of largest
/// magnitude), permutation and packed factors; a zero pivot's column is left unscaled.
pub(super) fn getrf(a: &[f64], m: usize, n: usize) -> (Vec<f64>, Vec<i32>, Vec<i32>) {
    let mut lu = a.to_vec();
    let mut piv = Vec::new();
    let mut perm: Vec<i32> = (0..m as i32).collect();
    for j in 0..m.min(n) {
        let p = (j..m).fold(j, |p, i| {
            if lu[i * n + j].abs() > lu[p * n + j].abs() {
                i
            } else {
                p
            }
        });
        piv.push(p as i32);
        for c in 0..n {
            lu.swap(j * n + c, p * n + c);
        }
        perm.swap(j, p);
        let d = lu[j * n + j];
        for i in j + 1..m {
            if d != 0.0 {
                lu[i * n + j] /= d;
            }
            for c in j + 1..n {
                lu[i * n + c] -= lu[i * n + j] * lu[j * n + c];
            }
        }
    }
    (lu, piv, perm)
}

fn assert_lu_matches(a: &[f64], m: usize, n: usize) {
    let (got, gp, gq) = lu(a, m, n);
    let (want, wp, wq) = getrf(a, m, n);
    assert_eq!(gp, wp, "{m}x{n} pivots");
    assert_eq!(gq, wq, "{m}x{n} permutation");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-10 * (1.0 + w.abs()),
            "{m}x{n} [{i}]: {g} vs {w}"
        );
    }
}

#[test]
fn lu_matches_getrf_on_both_paths_and_shapes() {
    for (m, n) in [
        (8, 8),
        (5, 3),
        (3, 5),
        (40, 40),
        (64, 64),
        (48, 30),
        (30, 48),
        // The blocked path (min(m, n) >= 384): panels of 128, a last partial one, rows
        // swapped across panel boundaries, tall and wide.
        (400, 400),
        (520, 390),
        (390, 520),
    ] {
        assert_lu_matches(&values(m * n, (m * 100 + n) as u64), m, n);
    }
}

#[test]
fn lu_with_a_zero_column_skips_it_as_getrf() {
    // 40: faer's kernel declines and the loop runs; 400: the blocked path declines.
    for (n, col) in [(40, 3), (400, 200)] {
        let mut a = values(n * n, 9);
        for i in 0..n {
            a[i * n + col] = 0.0;
        }
        assert_lu_matches(&a, n, n);
    }
}

#[test]
fn a_batch_of_small_lus_equals_one_at_a_time() {
    let (batch, n) = (1024, 8);
    let a = values(batch * n * n, 4);
    let (f, p, q) = lu_batch(a.clone(), batch, n, n);
    for b in 0..batch {
        let (f1, p1, q1) = lu(&a[b * n * n..(b + 1) * n * n], n, n);
        assert_eq!(&f[b * n * n..(b + 1) * n * n], &f1[..]);
        assert_eq!(&p[b * n..(b + 1) * n], &p1[..]);
        assert_eq!(&q[b * n..(b + 1) * n], &q1[..]);
    }
}

/// `op(A)` as a dense matrix from the triangle `p` names (unit diagonal if asked).
fn dense_op(a: &[f64], n: usize, p: TriSolve) -> Vec<f64> {
    let mut t = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let read = if p.lower { j <= i } else { j >= i };
            let v = if i == j && p.unit_diagonal {
                1.0
            } else if read {
                a[i * n + j]
            } else {
                0.0
            };
            if p.transpose_a {
                t[j * n + i] = v;
            } else {
                t[i * n + j] = v;
            }
        }
    }
    t
}

fn matmul(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for l in 0..k {
            for j in 0..n {
                c[i * n + j] += a[i * k + l] * b[l * n + j];
            }
        }
    }
    c
}

#[test]
fn triangular_solves_read_only_their_triangle_on_both_paths() {
    for n in [6, 40] {
        // A strong diagonal, and garbage (1e3) in both triangles: only one may be read.
        let mut a: Vec<f64> = values(n * n, n as u64).iter().map(|v| v * 0.5).collect();
        for i in 0..n {
            a[i * n + i] = 3.0 + i as f64 * 0.01;
        }
        for bits in 0..16u8 {
            let p = TriSolve {
                left_side: bits & 1 != 0,
                lower: bits & 2 != 0,
                transpose_a: bits & 4 != 0,
                unit_diagonal: bits & 8 != 0,
            };
            let mut garbage = a.clone();
            for i in 0..n {
                for j in 0..n {
                    let read = if p.lower { j <= i } else { j >= i };
                    if !read || (i == j && p.unit_diagonal) {
                        garbage[i * n + j] = 1e3;
                    }
                }
            }
            let (m, k) = if p.left_side { (n, 3) } else { (5, n) };
            let b = values(m * k, 77);
            let x = triangular_solve(&garbage, &b, n, m, k, p);
            let op = dense_op(&a, n, p);
            let back = if p.left_side {
                matmul(&op, &x, n, n, k)
            } else {
                matmul(&x, &op, m, n, n)
            };
            for (i, (g, w)) in back.iter().zip(&b).enumerate() {
                assert!((g - w).abs() < 1e-9, "n {n} {p:?} [{i}]: {g} vs {w}");
            }
        }
    }
}

/// The f32 kernels factor in f32 (no round trip through f64): the factors agree with the
/// f64 kernels' to f32 accuracy, on the unblocked and blocked paths and over a batch.
#[test]
fn f32_kernels_agree_with_f64_to_f32_accuracy() {
    use ferrax::internals::kernels::linalg::{cholesky_batch, qr, svd};
    for n in [8, 40] {
        let g = values(n * n, n as u64);
        // g gᵀ / n + I: symmetric positive definite.
        let mut a = vec![0.0f64; n * n];
        for i in 0..n {
            for j in 0..n {
                let dot: f64 = (0..n).map(|t| g[i * n + t] * g[j * n + t]).sum();
                a[i * n + j] = dot / n as f64 + if i == j { 1.0 } else { 0.0 };
            }
        }
        let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
        let two: Vec<f64> = a.iter().chain(&a).copied().collect();
        let two32: Vec<f32> = a32.iter().chain(&a32).copied().collect();
        let close = |got: &[f32], want: &[f64], what: &str| {
            for (i, (g, w)) in got.iter().zip(want).enumerate() {
                assert!(
                    (f64::from(*g) - w).abs() <= 1e-4 * (1.0 + w.abs()),
                    "{what} n={n} [{i}]: {g} vs {w}"
                );
            }
        };
        close(
            &cholesky_batch(two32, 2, n),
            &cholesky_batch(two, 2, n),
            "cholesky",
        );
        let (l32, p32, q32) = lu(&a32, n, n);
        let (l64, p64, q64) = lu(&a, n, n);
        assert_eq!((p32, q32), (p64, q64), "lu pivots n={n}");
        close(&l32, &l64, "lu");
        close(&qr(&a32, n, n, false).1, &qr(&a, n, n, false).1, "qr r");
        close(
            &svd(&a32, n, n, false, false).0,
            &svd(&a, n, n, false, false).0,
            "svd s",
        );
    }
}

/// Eagerly, `cholesky` symmetrizes in one pass and skips the `tril` of factors that are
/// already zero above the diagonal; jit stages JAX's ops. Both give the same bits, for a
/// non-symmetric input and for one that is not positive definite (NaN factor, zeros above).
#[test]
fn cholesky_eager_fast_paths_equal_jit() {
    use ferrax::prelude::*;
    let n = 5;
    let g = values(n * n, 7);
    let mut a: Vec<f64> = g.iter().map(|v| v * 0.1).collect();
    for i in 0..n {
        a[i * n + i] += 2.0;
    }
    let not_pd: Vec<f64> = g.clone();
    for data in [a, not_pd] {
        for dtype in [DType::F32, DType::F64] {
            let x = Tensor::from_vec(data.clone(), &[n, n]).cast(dtype);
            let eager = ferrax::linalg::cholesky(&x)
                .cast(DType::F64)
                .to_vec::<f64>();
            let jitted = jit(|x: &Tensor| ferrax::linalg::cholesky(x))(&x)
                .cast(DType::F64)
                .to_vec::<f64>();
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&eager), bits(&jitted), "{dtype}");
        }
    }
}
