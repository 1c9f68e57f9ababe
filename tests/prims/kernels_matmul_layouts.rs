//! f32 products through `matmul_strided` in every operand layout (row- and column-major
//! operands, padded row strides, the accumulating form) against a plain f64 reference, at
//! sizes on both sides of the row-major copy of a column-contiguous right operand
//! (`copy_rhs_pays`: contraction >= 256, >= 8 rows) and gemm's tile tails.

use ferrax::internals::kernels::matmul::{matmul_strided, matmul_unchecked, GemmLayout};

fn lcg(seed: &mut u64) -> f32 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
}

/// `lhs (m x k)` and `rhs (k x n)` stored with the given strides (padding elements hold
/// garbage that must not be read into the result).
#[allow(clippy::too_many_arguments)]
fn check(m: usize, n: usize, k: usize, lhs_t: bool, rhs_t: bool, pad: usize, accumulate: bool) {
    let mut seed = (m * 1_000_003 + n * 1009 + k) as u64;
    let (lhs_rs, lhs_cs) = if lhs_t { (1, m + pad) } else { (k + pad, 1) };
    let (rhs_rs, rhs_cs) = if rhs_t { (1, k + pad) } else { (n + pad, 1) };
    let lhs_len = (m - 1) * lhs_rs + (k - 1) * lhs_cs + 1;
    let rhs_len = (k - 1) * rhs_rs + (n - 1) * rhs_cs + 1;
    let lhs: Vec<f32> = (0..lhs_len).map(|_| lcg(&mut seed)).collect();
    let rhs: Vec<f32> = (0..rhs_len).map(|_| lcg(&mut seed)).collect();
    let dst_rs = n + pad;
    let mut dst: Vec<f32> = (0..(m - 1) * dst_rs + n).map(|_| lcg(&mut seed)).collect();
    let before = dst.clone();
    if accumulate {
        let l = GemmLayout {
            m,
            n,
            k,
            dst_rs,
            lhs_rs,
            lhs_cs,
            rhs_rs,
            rhs_cs,
        };
        let l = l.check("test", dst.len(), lhs.len(), rhs.len());
        // SAFETY: `check` returned, so the layout meets the kernel's contract.
        unsafe { matmul_unchecked(l, &mut dst, &lhs, &rhs, true, false) };
    } else {
        matmul_strided(
            m, n, k, &mut dst, dst_rs, &lhs, lhs_rs, lhs_cs, &rhs, rhs_rs, rhs_cs,
        );
    }
    for i in 0..m {
        for j in 0..dst_rs.min(n + pad) {
            let got = dst.get(i * dst_rs + j).copied();
            if j >= n {
                // Padding between rows is left alone.
                assert_eq!(got, before.get(i * dst_rs + j).copied(), "pad touched");
                continue;
            }
            let mut want: f64 = if accumulate {
                before[i * dst_rs + j] as f64
            } else {
                0.0
            };
            for p in 0..k {
                want += lhs[i * lhs_rs + p * lhs_cs] as f64 * rhs[p * rhs_rs + j * rhs_cs] as f64;
            }
            let got = got.unwrap() as f64;
            assert!(
                (got - want).abs() <= 1e-5 * (k as f64).sqrt() * (1.0 + want.abs()),
                "m={m} n={n} k={k} lhs_t={lhs_t} rhs_t={rhs_t} pad={pad} acc={accumulate} \
                 at ({i},{j}): {got} vs {want}"
            );
        }
    }
}

#[test]
fn small_products_match_reference() {
    for &(m, n, k) in &[
        (1, 1, 1),
        (1, 16, 64),
        (5, 17, 3),
        (6, 64, 128),
        (7, 65, 64),
        (13, 100, 70),
        (64, 512, 128),
        (64, 128, 512),
        (128, 512, 64),
        (3, 5, 95),
        (11, 9, 200),
        (8, 3, 256),
        (7, 40, 300),
        (9, 17, 257),
        (33, 130, 520),
    ] {
        for (lhs_t, rhs_t) in [(false, false), (true, false), (false, true), (true, true)] {
            for pad in [0, 3] {
                for accumulate in [false, true] {
                    check(m, n, k, lhs_t, rhs_t, pad, accumulate);
                }
            }
        }
    }
}

/// On a pool thread (inside a compiled loop body or a jitted program), a single product too
/// small for gemm's own threads is cut into two halves of rows run side by side: the result
/// must still be the product, for odd row counts too, in every operand layout.
#[test]
fn products_split_on_the_pool_match_reference() {
    use ferrax::lax;
    use ferrax::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for &(m, n, k, rhs_t) in &[
        (64, 512, 128, false),
        (65, 300, 96, true),
        (33, 260, 200, false),
    ] {
        let mut seed = (m * 31 + n * 7 + k) as u64;
        let a: Vec<f32> = (0..m * k).map(|_| lcg(&mut seed)).collect();
        let b: Vec<f32> = (0..k * n).map(|_| lcg(&mut seed)).collect();
        let (lhs, rhs) = (
            Tensor::from_vec(a.clone(), &[m, k]),
            Tensor::from_vec(
                b.clone(),
                &[if rhs_t { n } else { k }, if rhs_t { k } else { n }],
            ),
        );
        let contract: &[usize] = if rhs_t { &[1] } else { &[0] };
        let got =
            pool.install(|| lax::dot_general(&lhs, &rhs, ((&[1], contract), (&[], &[])), None));
        let got = got.to_vec::<f32>();
        for i in 0..m {
            for j in 0..n {
                let want: f64 = (0..k)
                    .map(|p| {
                        let bv = if rhs_t { b[j * k + p] } else { b[p * n + j] };
                        a[i * k + p] as f64 * bv as f64
                    })
                    .sum();
                let g = got[i * n + j] as f64;
                assert!(
                    (g - want).abs() <= 1e-5 * (k as f64).sqrt() * (1.0 + want.abs()),
                    "({m},{n},{k}) at ({i},{j}): {g} vs {want}"
                );
            }
        }
    }
}
