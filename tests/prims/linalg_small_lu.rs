//! The interleaved small-matrix LU (`src/kernels/linalg_lu.rs`, `lu_small_batch`): a batch of
//! square matrices up to 16x16 is factored eight systems at a time, one vector lane per
//! system. Checked against the one-at-a-time path (`lu` of a single matrix, the unblocked
//! `getf2` loop: the same bits, f32 and f64, every n from 1 to 17 and batch sizes that leave
//! partial groups), against a plain-Rust `getrf` written here (the same pivots and
//! permutation, factors to rounding), on inputs with ties, zero columns, zero and NaN
//! members (which must not disturb their neighbours' lanes), and through the public
//! `vmap(linalg::solve)` on 1024 systems of 8x8 against a loop of single solves.

use ferrax::internals::kernels::linalg::{lu, lu_batch};

use super::linalg_kernels::values;

/// LAPACK's `getf2` on one square matrix (`linalg_kernels`' reference).
fn getrf(a: &[f64], n: usize) -> (Vec<f64>, Vec<i32>, Vec<i32>) {
    super::linalg_kernels::getrf(a, n, n)
}

/// `lu_batch` of `batch` matrices equals `lu` of each one, bit for bit (NaNs compared as
/// NaNs).
fn assert_batch_is_one_at_a_time<T>(a: &[T], batch: usize, n: usize)
where
    T: ferrax::internals::kernels::linalg::LinalgFloat + std::fmt::Debug,
{
    let (f, p, q) = lu_batch(a.to_vec(), batch, n, n);
    let nn = n * n;
    for b in 0..batch {
        let (f1, p1, q1) = lu(&a[b * nn..(b + 1) * nn], n, n);
        let same = f[b * nn..(b + 1) * nn]
            .iter()
            .zip(&f1)
            .all(|(x, y)| x == y || (x.partial_cmp(x).is_none() && y.partial_cmp(y).is_none()));
        assert!(same, "n={n} batch={batch} member {b}: factors differ");
        assert_eq!(&p[b * n..(b + 1) * n], &p1[..], "n={n} member {b} pivots");
        assert_eq!(&q[b * n..(b + 1) * n], &q1[..], "n={n} member {b} perm");
    }
}

#[test]
fn interleaved_lu_equals_the_scalar_path_bit_for_bit() {
    for n in 1..=17 {
        for batch in [8, 9, 23, 64] {
            let a = values(batch * n * n, (n * 1000 + batch) as u64);
            assert_batch_is_one_at_a_time(&a, batch, n);
            let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
            assert_batch_is_one_at_a_time(&a32, batch, n);
        }
    }
}

#[test]
fn interleaved_lu_gives_getrf_pivots_and_factors() {
    for n in [2, 5, 8, 13, 16] {
        let batch = 40;
        let nn = n * n;
        // Diagonally strengthened: well conditioned, but pivots still move rows.
        let mut a = values(batch * nn, n as u64 + 7);
        for b in 0..batch {
            for i in 0..n {
                a[b * nn + i * n + (i + b) % n] += 0.5;
            }
        }
        let (f, p, q) = lu_batch(a.clone(), batch, n, n);
        for b in 0..batch {
            let (want, wp, wq) = getrf(&a[b * nn..(b + 1) * nn], n);
            assert_eq!(&p[b * n..(b + 1) * n], &wp[..], "n={n} member {b} pivots");
            assert_eq!(&q[b * n..(b + 1) * n], &wq[..], "n={n} member {b} perm");
            for (i, (g, w)) in f[b * nn..(b + 1) * nn].iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() <= 1e-12 * (1.0 + w.abs()),
                    "n={n} member {b} [{i}]: {g} vs {w}"
                );
            }
        }
    }
}

#[test]
fn interleaved_lu_handles_ties_zero_columns_and_bad_members_per_lane() {
    let (n, batch) = (6, 16);
    let nn = n * n;
    let mut a = values(batch * nn, 99);
    // Member 0: ties in column 0 (the first of equal magnitude wins, as getrf).
    for i in 0..n {
        a[i * n] = if i % 2 == 0 { 0.5 } else { -0.5 };
    }
    // Member 1: a zero column (skipped, no division).
    for i in 0..n {
        a[nn + i * n + 2] = 0.0;
    }
    // Member 2: all zeros. Member 3: a NaN. Member 4: an infinity.
    a[2 * nn..3 * nn].fill(0.0);
    a[3 * nn + 7] = f64::NAN;
    a[4 * nn + 3] = f64::INFINITY;
    assert_batch_is_one_at_a_time(&a, batch, n);
    let (f, p, _) = lu_batch(a.clone(), batch, n, n);
    assert_eq!(p[0], 0, "a tie keeps the first row");
    assert!(
        f[2 * nn..3 * nn].iter().all(|&v| v == 0.0),
        "zeros stay zeros"
    );
    // The lanes next to the NaN member are untouched by it.
    for b in [5, 6, 7] {
        let (want, wp, _) = getrf(&a[b * nn..(b + 1) * nn], n);
        assert_eq!(&p[b * n..(b + 1) * n], &wp[..]);
        assert!(f[b * nn..(b + 1) * nn]
            .iter()
            .zip(&want)
            .all(|(g, w)| (g - w).abs() <= 1e-12 * (1.0 + w.abs())));
    }
}

#[test]
fn vmapped_solve_of_1024_8x8_systems_equals_a_loop_of_solves() {
    use ferrax::linalg;
    use ferrax::prelude::*;
    let (batch, n) = (1024, 8);
    let mut av = values(batch * n * n, 5);
    for b in 0..batch {
        for i in 0..n {
            av[b * n * n + i * n + i] += 4.0;
        }
    }
    let bv = values(batch * n, 6);
    for dtype in [DType::F32, DType::F64] {
        let a = Tensor::from_vec(av.clone(), &[batch, n, n]).cast(dtype);
        let b = Tensor::from_vec(bv.clone(), &[batch, n, 1]).cast(dtype);
        let f = vmap(|(a, b): &(Tensor, Tensor)| linalg::solve(a, b));
        let x = f(&(a.clone(), b.clone())).cast(DType::F64).to_vec::<f64>();
        let tol = if dtype == DType::F32 { 1e-5 } else { 1e-13 };
        for s in (0..batch).step_by(97) {
            let ai = Tensor::from_vec(av[s * n * n..(s + 1) * n * n].to_vec(), &[n, n]).cast(dtype);
            let bi = Tensor::from_vec(bv[s * n..(s + 1) * n].to_vec(), &[n, 1]).cast(dtype);
            let xi = linalg::solve(&ai, &bi).cast(DType::F64).to_vec::<f64>();
            for (g, w) in x[s * n..(s + 1) * n].iter().zip(&xi) {
                assert!(
                    (g - w).abs() <= tol * (1.0 + w.abs()),
                    "{dtype} system {s}: {g} vs {w}"
                );
            }
            // And the residual against the f64 inputs.
            for i in 0..n {
                let r: f64 = (0..n)
                    .map(|j| av[s * n * n + i * n + j] * x[s * n + j])
                    .sum::<f64>()
                    - bv[s * n + i];
                assert!(
                    r.abs() <= 100.0 * tol,
                    "{dtype} system {s} row {i}: residual {r}"
                );
            }
        }
    }
}
