//! The public strided matrix-product entry points (`ferrax::internals::kernels::matmul`)
//! are safe functions over raw gemm: every layout that would read or write outside a slice,
//! overflow an index, or let two output rows share elements (a data race under parallel
//! gemm) must panic with a message naming the function, and every valid strided call must
//! agree with a plain triple loop.

use ferrax::internals::kernels::matmul::{
    batched_matmul, dot_general, matmul_strided, GemmLayout, Strided3,
};

/// `dst[i * dst_rs + j] = Σ_p lhs[i * lhs_rs + p * lhs_cs] * rhs[p * rhs_rs + j * rhs_cs]`,
/// written out as the documented formula.
#[allow(clippy::too_many_arguments)]
fn reference(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f64],
    dst_rs: usize,
    (lhs, lhs_rs, lhs_cs): (&[f64], usize, usize),
    (rhs, rhs_rs, rhs_cs): (&[f64], usize, usize),
) {
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0;
            for p in 0..k {
                acc += lhs[i * lhs_rs + p * lhs_cs] * rhs[p * rhs_rs + j * rhs_cs];
            }
            dst[i * dst_rs + j] = acc;
        }
    }
}

/// Small integers as floats: the products are exact, so any summation order agrees.
fn data(len: usize, seed: usize) -> Vec<f64> {
    (0..len)
        .map(|i| ((i * 7 + seed * 3) % 11) as f64 - 5.0)
        .collect()
}

#[test]
fn strided_products_match_the_triple_loop() {
    // (m, n, k, dst_rs, lhs_rs, lhs_cs, rhs_rs, rhs_cs): row-major, transposed operands,
    // padded rows, a destination wider than the block, size-1 dims with wild strides.
    let cases: [[usize; 8]; 7] = [
        [3, 4, 5, 4, 5, 1, 4, 1],
        [3, 4, 5, 4, 1, 3, 1, 5],
        [2, 3, 4, 7, 9, 2, 5, 1],
        [5, 2, 3, 2, 3, 1, 1, 3],
        [1, 3, 2, 1000, 77, 1, 3, 1],
        [4, 1, 1, 1, 1, 1000, 1000, 1000],
        [17, 19, 23, 21, 23, 1, 19, 1],
    ];
    for [m, n, k, dst_rs, lrs, lcs, rrs, rcs] in cases {
        let span = |rows: usize, cols: usize, rs: usize, cs: usize| {
            let rs = if rows == 1 { 0 } else { rs };
            let cs = if cols == 1 { 0 } else { cs };
            (rows - 1) * rs + (cols - 1) * cs + 1
        };
        let lhs = data(span(m, k, lrs, lcs), 1);
        let rhs = data(span(k, n, rrs, rcs), 2);
        let dst_len = span(m, n, dst_rs, 1);
        // Entries outside the block keep their sentinel value.
        let mut got = vec![-99.0; dst_len];
        let mut want = vec![-99.0; dst_len];
        matmul_strided(m, n, k, &mut got, dst_rs, &lhs, lrs, lcs, &rhs, rrs, rcs);
        reference(
            (m, n, k),
            &mut want,
            dst_rs,
            (&lhs, lrs, lcs),
            (&rhs, rrs, rcs),
        );
        assert_eq!(
            got,
            want,
            "case {:?}",
            (m, n, k, dst_rs, lrs, lcs, rrs, rcs)
        );
    }
}

#[test]
fn a_large_product_runs_on_all_threads_and_still_matches() {
    // 256^3 multiply-adds crosses the parallel threshold (gemm's rayon mode), with padded
    // destination rows that the threads write side by side.
    let (m, n, k, dst_rs) = (256, 256, 256, 260);
    let lhs = data(m * k, 3);
    let rhs = data(k * n, 4);
    let mut got = vec![0.0; (m - 1) * dst_rs + n];
    let mut want = got.clone();
    matmul_strided(m, n, k, &mut got, dst_rs, &lhs, k, 1, &rhs, n, 1);
    reference((m, n, k), &mut want, dst_rs, (&lhs, k, 1), (&rhs, n, 1));
    assert_eq!(got, want);
}

#[test]
fn integer_products_match_the_triple_loop() {
    let (m, n, k) = (3, 2, 4);
    let lhs: Vec<i32> = (0..12).map(|i| i - 6).collect();
    let rhs: Vec<i32> = (0..8).map(|i| 3 - i).collect();
    let mut got = vec![0i32; 6];
    // lhs row-major, rhs read transposed (a 2x4 buffer as 4x2).
    matmul_strided(m, n, k, &mut got, n, &lhs, k, 1, &rhs, 1, k);
    let mut want = vec![0i32; 6];
    for i in 0..m {
        for j in 0..n {
            want[i * n + j] = (0..k).map(|p| lhs[i * k + p] * rhs[j * k + p]).sum();
        }
    }
    assert_eq!(got, want);
}

#[test]
fn batched_products_match_the_triple_loop() {
    let (batch, m, n, k) = (3, 2, 3, 4);
    let lhs = data(batch * m * k, 5);
    // rhs stored [batch, n, k]: read as k x n through its strides.
    let rhs = data(batch * n * k, 6);
    let l = Strided3 {
        data: &lhs[..],
        batch_stride: m * k,
        row_stride: k,
        col_stride: 1,
    };
    let r = Strided3 {
        data: &rhs[..],
        batch_stride: n * k,
        row_stride: 1,
        col_stride: k,
    };
    let got = batched_matmul(batch, m, n, k, l, r);
    let mut want = vec![0.0; batch * m * n];
    for b in 0..batch {
        reference(
            (m, n, k),
            &mut want[b * m * n..],
            n,
            (&lhs[b * m * k..], k, 1),
            (&rhs[b * n * k..], 1, k),
        );
    }
    assert_eq!(got, want);
}

#[test]
fn dot_general_matches_the_triple_loop() {
    // [b, k, m] x [b, n, k] contracting k, batch b: both operands need their strides.
    let (b, m, n, k) = (2, 3, 2, 4);
    let lhs = ndarray::Array::from_shape_vec((b, k, m), data(b * k * m, 7))
        .unwrap()
        .into_dyn();
    let rhs = ndarray::Array::from_shape_vec((b, n, k), data(b * n * k, 8))
        .unwrap()
        .into_dyn();
    let got = dot_general(&lhs, &rhs, &[1], &[2], &[0], &[0]);
    assert_eq!(got.shape(), &[b, m, n]);
    for bi in 0..b {
        for i in 0..m {
            for j in 0..n {
                let want: f64 = (0..k).map(|p| lhs[[bi, p, i]] * rhs[[bi, j, p]]).sum();
                assert_eq!(got[[bi, i, j]], want);
            }
        }
    }
}

#[test]
#[should_panic(
    expected = "matmul_strided: destination rows overlap: row stride 2 is less than the row length 3"
)]
fn overlapping_destination_rows_are_rejected() {
    // Rows 0 and 1 would share element 2: two gemm threads could write it at once.
    let a = [1.0f32; 6];
    let mut out = [0.0f32; 8];
    matmul_strided(2, 3, 1, &mut out, 2, &a, 1, 1, &a, 3, 1);
}

#[test]
#[should_panic(expected = "matmul_strided: destination rows overlap: row stride 0")]
fn a_zero_destination_stride_with_several_rows_is_rejected() {
    let a = [1.0f64; 4];
    let mut out = [0.0f64; 4];
    matmul_strided(2, 2, 1, &mut out, 0, &a, 1, 1, &a, 2, 1);
}

#[test]
#[should_panic(expected = "matmul_strided: a 2x3 lhs with strides (18446744073709551615, 1)")]
fn a_row_stride_that_overflows_is_rejected() {
    // (m - 1) * lhs_rs wraps to usize::MAX; with wrapping arithmetic plus (k - 1) * 1 it would
    // wrap again to a small, "in bounds" index.
    let a = [1.0f32; 8];
    let mut out = [0.0f32; 4];
    matmul_strided(2, 2, 3, &mut out, 2, &a, usize::MAX, 1, &a, 2, 1);
}

#[test]
#[should_panic(expected = "matmul_strided: a 5x2 rhs with strides (4611686018427387904, 1)")]
fn a_stride_product_that_wraps_to_zero_is_rejected() {
    // (k - 1) * rhs_rs = 4 * 2^62 = 2^64, which wraps to 0: in bounds under wrapping math.
    let a = [1.0f32; 16];
    let mut out = [0.0f32; 4];
    matmul_strided(2, 2, 5, &mut out, 2, &a, 5, 1, &a, 1 << 62, 1);
}

#[test]
#[should_panic(
    expected = "matmul_strided: a 2x2 destination with row stride 3 does not fit in 4 elements"
)]
fn a_short_destination_is_rejected() {
    let a = [1.0f64; 4];
    let mut out = [0.0f64; 4];
    matmul_strided(2, 2, 2, &mut out, 3, &a, 2, 1, &a, 2, 1);
}

#[test]
#[should_panic(
    expected = "matmul_strided: a 2x3 lhs with strides (3, 1) does not fit in 5 elements"
)]
fn a_short_operand_is_rejected() {
    let a = [1.0f64; 5];
    let b = [1.0f64; 6];
    let mut out = [0.0f64; 4];
    matmul_strided(2, 2, 3, &mut out, 2, &a, 3, 1, &b, 2, 1);
}

#[test]
#[should_panic(expected = "tests/prims/kernels_soundness.rs")]
fn the_message_names_the_callers_line() {
    let a = [1.0f64; 5];
    let mut out = [0.0f64; 4];
    matmul_strided(2, 2, 3, &mut out, 2, &a, 3, 1, &a, 2, 1);
}

#[test]
#[should_panic(
    expected = "batched_matmul: rhs batch entry 2 starts at 2 x 9223372036854775807 elements"
)]
fn a_batch_stride_past_the_data_is_rejected() {
    let a = [1.0f32; 8];
    let s = |bs| Strided3 {
        data: &a[..],
        batch_stride: bs,
        row_stride: 2,
        col_stride: 1,
    };
    // Entry 2 would start at 2 * (2^63 - 1) = 2^64 - 2 elements: the offset itself is
    // checked (the old code clamped it to the end and failed later, less clearly).
    batched_matmul(3, 1, 1, 2, s(2), s(isize::MAX as usize));
}

#[test]
#[should_panic(
    expected = "batched_matmul: a 1x2 lhs with strides (2, 1) does not fit in 1 elements"
)]
fn a_batch_whose_last_entry_runs_short_is_rejected() {
    let a = [1.0f32; 5];
    let s = Strided3 {
        data: &a[..],
        batch_stride: 2,
        row_stride: 2,
        col_stride: 1,
    };
    // Entries start at 0, 2, 4: the last has one element for a 1x2 row.
    batched_matmul(3, 1, 1, 2, s, s);
}

#[test]
#[should_panic(expected = "batched_matmul: 4294967296 x 4294967296 x 1 outputs overflow usize")]
fn an_output_size_that_overflows_is_rejected() {
    let a = [1.0f32; 1];
    let s = Strided3 {
        data: &a[..],
        batch_stride: 0,
        row_stride: 0,
        col_stride: 0,
    };
    batched_matmul(1 << 32, 1 << 32, 1, 1, s, s);
}

#[test]
#[should_panic(expected = "dot_general: shapes [2, 3] and [4, 2] with contracting dims [1] / [0]")]
fn dot_general_rejects_mismatched_contracting_sizes() {
    // lhs contracts 3 elements, rhs 4: the old kernel read rhs with lhs's k.
    let a = ndarray::Array2::<f32>::zeros((2, 3)).into_dyn();
    let b = ndarray::Array2::<f32>::zeros((4, 2)).into_dyn();
    dot_general(&a, &b, &[1], &[0], &[], &[]);
}

#[test]
#[should_panic(
    expected = "dot_general: shapes [2, 3] and [3, 2] with contracting dims [1, 1] / [0, 0]"
)]
fn dot_general_rejects_repeated_dims() {
    let a = ndarray::Array2::<f32>::zeros((2, 3)).into_dyn();
    let b = ndarray::Array2::<f32>::zeros((3, 2)).into_dyn();
    dot_general(&a, &b, &[1, 1], &[0, 0], &[], &[]);
}

#[test]
#[should_panic(expected = "conv: destination rows overlap")]
fn the_layout_check_names_the_op_it_is_given() {
    GemmLayout {
        m: 2,
        n: 2,
        k: 1,
        dst_rs: 1,
        lhs_rs: 1,
        lhs_cs: 1,
        rhs_rs: 1,
        rhs_cs: 1,
    }
    .check("conv", 4, 4, 4);
}

#[test]
fn size_one_dims_ignore_their_strides() {
    // One row and one column: every stride addresses nothing and comes back zeroed (a huge
    // stride would otherwise reach gemm as a negative isize).
    let l = GemmLayout {
        m: 1,
        n: 1,
        k: 1,
        dst_rs: usize::MAX,
        lhs_rs: usize::MAX,
        lhs_cs: usize::MAX,
        rhs_rs: usize::MAX,
        rhs_cs: usize::MAX,
    }
    .check("matmul", 1, 1, 1);
    assert_eq!([l.dst_rs, l.lhs_rs, l.lhs_cs, l.rhs_rs, l.rhs_cs], [0; 5]);
    let mut out = [0.0f32];
    matmul_strided(
        1,
        1,
        1,
        &mut out,
        usize::MAX,
        &[3.0],
        usize::MAX,
        usize::MAX,
        &[4.0],
        usize::MAX,
        usize::MAX,
    );
    assert_eq!(out, [12.0]);
}

/// A fused group writes an output into a dying input's buffer when the shapes match; an
/// input of another shape must be refused before any raw view of it is made.
#[test]
#[should_panic(expected = "fused: input 0 is f32[2], the group expects f32[3]")]
fn a_fused_group_rejects_an_input_of_the_wrong_shape() {
    use ferrax::internals::interp::fused::FusedKernel;
    use ferrax::prelude::*;
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let body = make_jaxpr(|x: &Tensor| &(x * x) + x)(&x);
    let kernel = FusedKernel::new(&body.jaxpr);
    kernel.run(vec![Tensor::from_vec(vec![1.0f32, 2.0], &[2])]);
}

#[test]
#[should_panic(expected = "fused: 2 inputs for a group of 1")]
fn a_fused_group_rejects_extra_inputs() {
    use ferrax::internals::interp::fused::FusedKernel;
    use ferrax::prelude::*;
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let body = make_jaxpr(|x: &Tensor| &(x * x) + x)(&x);
    let kernel = FusedKernel::new(&body.jaxpr);
    kernel.run(vec![x.clone(), x]);
}

#[test]
fn a_fused_group_donating_its_input_matches_the_plain_loop() {
    // The input's last reference goes in, so the result is written into its buffer.
    use ferrax::internals::interp::fused::FusedKernel;
    use ferrax::prelude::*;
    let vals: Vec<f32> = (0..5000).map(|i| i as f32 * 0.5 - 7.0).collect();
    let x = Tensor::from_vec(vals.clone(), &[5000]);
    let body = make_jaxpr(|x: &Tensor| &(x * x) + x)(&x);
    let kernel = FusedKernel::new(&body.jaxpr);
    let out = kernel.run(vec![x]);
    let want: Vec<f32> = vals.iter().map(|&v| v * v + v).collect();
    assert_eq!(out[0].to_vec::<f32>(), want);
}
