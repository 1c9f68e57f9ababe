//! dot_general, conv_general_dilated and reduce_window against naive nested-loop references
//! written here (independently of the kernels: the convolution and window references build
//! the dilated, padded input explicitly), plus printed params and shape-rule errors.

use ferrax::lax::{self, ConvDimensionNumbers, ConvParams, WindowKind};
use ferrax::prelude::*;
use proptest::prelude::*;

// ---------------------------------------------------------------- helpers

/// Deterministic pseudo-random values in [-1, 1).
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

fn sh(x: &[usize]) -> ferrax::core::Shape {
    ferrax::core::Shape::from_slice(x)
}

fn size(shape: &[usize]) -> usize {
    shape.iter().product()
}

fn row_major_strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Calls `f` with every multi-index of `shape`, row-major.
fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    if shape.contains(&0) {
        return;
    }
    let mut idx = vec![0; shape.len()];
    loop {
        f(&idx);
        let mut d = shape.len();
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

fn flat(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter()
        .zip(row_major_strides(shape))
        .map(|(i, s)| i * s)
        .sum()
}

fn t64(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}

fn t32(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.iter().map(|&x| x as f32).collect::<Vec<f32>>(), shape)
}

use crate::common;
use common::close::{assert_close_with, Tol};

#[track_caller]
fn assert_close(got: &[f64], want: &[f64], rtol: f64, atol: f64) {
    assert_close_with(got, want, Tol::allclose(rtol, atol).or_equal(), "");
}

fn f64s(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>()
}

fn f32s_as_f64(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f32>().into_iter().map(f64::from).collect()
}

// ---------------------------------------------------------------- dot_general reference

type Dims<'a> = ((&'a [usize], &'a [usize]), (&'a [usize], &'a [usize]));

fn ref_dot(
    l: &[f64],
    ls: &[usize],
    r: &[f64],
    rs: &[usize],
    dn: Dims<'_>,
) -> (Vec<f64>, Vec<usize>) {
    let ((lc, rc), (lb, rb)) = dn;
    let lf: Vec<usize> = (0..ls.len())
        .filter(|d| !lc.contains(d) && !lb.contains(d))
        .collect();
    let rf: Vec<usize> = (0..rs.len())
        .filter(|d| !rc.contains(d) && !rb.contains(d))
        .collect();
    let mut out_shape: Vec<usize> = lb.iter().map(|&d| ls[d]).collect();
    out_shape.extend(lf.iter().map(|&d| ls[d]));
    out_shape.extend(rf.iter().map(|&d| rs[d]));
    let k_shape: Vec<usize> = lc.iter().map(|&d| ls[d]).collect();
    let mut out = Vec::new();
    for_each_index(&out_shape, |o| {
        let (bi, rest) = o.split_at(lb.len());
        let (li, ri) = rest.split_at(lf.len());
        let mut acc = 0.0;
        let mut li_full = vec![0; ls.len()];
        let mut ri_full = vec![0; rs.len()];
        for (j, &d) in lb.iter().enumerate() {
            li_full[d] = bi[j];
        }
        for (j, &d) in rb.iter().enumerate() {
            ri_full[d] = bi[j];
        }
        for (j, &d) in lf.iter().enumerate() {
            li_full[d] = li[j];
        }
        for (j, &d) in rf.iter().enumerate() {
            ri_full[d] = ri[j];
        }
        for_each_index(&k_shape, |k| {
            for (j, &d) in lc.iter().enumerate() {
                li_full[d] = k[j];
            }
            for (j, &d) in rc.iter().enumerate() {
                ri_full[d] = k[j];
            }
            acc += l[flat(&li_full, ls)] * r[flat(&ri_full, rs)];
        });
        out.push(acc);
    });
    (out, out_shape)
}

/// Checks dot_general in f64 (tight) and f32 (relative) against the reference.
#[track_caller]
fn check_dot(ls: &[usize], rs: &[usize], dn: Dims<'_>, seed: u64) {
    let l = values(size(ls), seed);
    let r = values(size(rs), seed + 1);
    let (want, want_shape) = ref_dot(&l, ls, &r, rs, dn);
    let got = lax::dot_general(&t64(&l, ls), &t64(&r, rs), dn, None);
    assert_eq!(got.shape(), &want_shape[..]);
    assert_eq!(got.dtype(), DType::F64);
    assert_close(&f64s(&got), &want, 1e-12, 1e-12);
    let got = lax::dot_general(&t32(&l, ls), &t32(&r, rs), dn, None);
    assert_eq!(got.shape(), &want_shape[..]);
    assert_eq!(got.dtype(), DType::F32);
    assert_close(&f32s_as_f64(&got), &want, 1e-4, 1e-4);
}

#[test]
fn dot_matrix_vector() {
    check_dot(&[3, 4], &[4], ((&[1], &[0]), (&[], &[])), 1);
    // vector-matrix
    check_dot(&[4], &[4, 3], ((&[0], &[0]), (&[], &[])), 2);
}

#[test]
fn dot_vector_vector() {
    check_dot(&[5], &[5], ((&[0], &[0]), (&[], &[])), 3);
    let a = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]);
    let y = lax::dot_general(&a, &a, ((&[0], &[0]), (&[], &[])), None);
    assert_eq!(y.shape(), &[] as &[usize]);
    assert_eq!(y.item::<f64>(), 14.0);
}

#[test]
fn dot_matrix_matrix() {
    check_dot(&[7, 5], &[5, 6], ((&[1], &[0]), (&[], &[])), 4);
    // Known values.
    let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let b = Tensor::from_vec(vec![1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]);
    let y = lax::dot_general(&a, &b, ((&[1], &[0]), (&[], &[])), None);
    assert_eq!(y.to_vec::<f32>(), vec![4.0, 5.0, 10.0, 11.0]);
}

#[test]
fn dot_transposed_operands() {
    // a @ b.T and a.T @ b without materializing a transpose.
    check_dot(&[4, 6], &[5, 6], ((&[1], &[1]), (&[], &[])), 5);
    check_dot(&[6, 4], &[6, 5], ((&[0], &[0]), (&[], &[])), 6);
    // Outer product (no contraction).
    check_dot(&[3], &[4], ((&[], &[]), (&[], &[])), 7);
}

#[test]
fn dot_batched() {
    check_dot(&[2, 3, 4], &[2, 4, 5], ((&[2], &[1]), (&[0], &[0])), 8);
    // Two batch dims.
    check_dot(
        &[2, 3, 4, 5],
        &[2, 3, 5, 2],
        ((&[3], &[2]), (&[0, 1], &[0, 1])),
        9,
    );
}

#[test]
fn dot_contracting_two_dims() {
    check_dot(&[3, 4, 5], &[4, 5, 2], ((&[1, 2], &[0, 1]), (&[], &[])), 10);
    // Pairs in reversed order: contracting dims not in memory order forces a copy.
    check_dot(&[3, 4, 5], &[5, 4, 2], ((&[2, 1], &[0, 1]), (&[], &[])), 11);
    check_dot(&[2, 3, 4], &[4, 2, 5], ((&[2, 0], &[0, 1]), (&[], &[])), 12);
}

#[test]
fn dot_batch_dims_not_leading() {
    check_dot(&[3, 2, 4], &[4, 5, 2], ((&[2], &[0]), (&[1], &[2])), 13);
    // Batch dims in a different order on each side.
    check_dot(
        &[2, 3, 4, 5],
        &[5, 3, 2, 6],
        ((&[3], &[0]), (&[0, 1], &[2, 1])),
        14,
    );
}

#[test]
fn dot_integers() {
    let a: Vec<i32> = (0..12).map(|i| i - 5).collect();
    let b: Vec<i32> = (0..20).map(|i| 3 - i).collect();
    let y = lax::dot_general(
        &Tensor::from_vec(a.clone(), &[3, 4]),
        &Tensor::from_vec(b.clone(), &[4, 5]),
        ((&[1], &[0]), (&[], &[])),
        None,
    );
    assert_eq!(y.dtype(), DType::I32);
    let mut want = vec![0i32; 15];
    for i in 0..3 {
        for j in 0..5 {
            for p in 0..4 {
                want[i * 5 + j] += a[i * 4 + p] * b[p * 5 + j];
            }
        }
    }
    assert_eq!(y.to_vec::<i32>(), want);
    // Strided rhs (contracting over its last dim) and u32.
    let u = Tensor::from_vec(vec![1u32, 2, 3, 4], &[2, 2]);
    let y = lax::dot_general(&u, &u, ((&[1], &[1]), (&[], &[])), None);
    assert_eq!(y.to_vec::<u32>(), vec![5, 11, 11, 25]);
}

#[test]
fn dot_empty_dims() {
    // k = 0: zeros.
    let a = Tensor::zeros(&[3, 0], DType::F32);
    let b = Tensor::zeros(&[0, 4], DType::F32);
    let y = lax::dot_general(&a, &b, ((&[1], &[0]), (&[], &[])), None);
    assert_eq!(y.shape(), &[3, 4]);
    assert_eq!(y.to_vec::<f32>(), vec![0.0; 12]);
    let y = lax::dot_general(
        &a.cast(DType::I32),
        &b.cast(DType::I32),
        ((&[1], &[0]), (&[], &[])),
        None,
    );
    assert_eq!(y.to_vec::<i32>(), vec![0; 12]);
    // m = 0.
    let a = Tensor::zeros(&[0, 3], DType::F64);
    let b = Tensor::ones(&[3, 4], DType::F64);
    let y = lax::dot_general(&a, &b, ((&[1], &[0]), (&[], &[])), None);
    assert_eq!(y.shape(), &[0, 4]);
    // Empty batch.
    let y = lax::dot_general(
        &Tensor::zeros(&[0, 2, 3], DType::F32),
        &Tensor::zeros(&[0, 3, 4], DType::F32),
        ((&[2], &[1]), (&[0], &[0])),
        None,
    );
    assert_eq!(y.shape(), &[0, 2, 4]);
}

#[test]
fn dot_preferred_element_type() {
    let a = Tensor::from_vec(vec![1.5f32, 2.0], &[2]);
    let y = lax::dot_general(&a, &a, ((&[0], &[0]), (&[], &[])), Some(DType::F64));
    assert_eq!(y.dtype(), DType::F64);
    assert_eq!(y.item::<f64>(), 6.25);
    let i = Tensor::from_vec(vec![2i32, 3], &[2]);
    let y = lax::dot_general(&i, &i, ((&[0], &[0]), (&[], &[])), Some(DType::F32));
    assert_eq!(y.dtype(), DType::F32);
    assert_eq!(y.item::<f32>(), 13.0);
}

#[test]
fn dot_large_parallel_paths() {
    // One product above the threading threshold (gemm with rayon): 256*256*160 > 2^23.
    check_dot(&[256, 256], &[256, 160], ((&[1], &[0]), (&[], &[])), 15);
    // Many small products: spread over threads by batch (2080 * 8*16*32 > 2^23).
    check_dot(
        &[2080, 8, 16],
        &[2080, 16, 32],
        ((&[2], &[1]), (&[0], &[0])),
        16,
    );
}

// ---------------------------------------------------------------- conv reference

fn nhwc() -> ConvDimensionNumbers {
    ConvDimensionNumbers {
        lhs_spec: [0, 3, 1, 2].into(),
        rhs_spec: [3, 2, 0, 1].into(),
        out_spec: [0, 3, 1, 2].into(),
    }
}

fn nchw() -> ConvDimensionNumbers {
    ConvDimensionNumbers {
        lhs_spec: [0, 1, 2, 3].into(),
        rhs_spec: [0, 1, 2, 3].into(),
        out_spec: [0, 1, 2, 3].into(),
    }
}

fn params(dn: ConvDimensionNumbers, nsp: usize) -> ConvParams {
    ConvParams {
        window_strides: vec![1; nsp],
        padding: vec![(0, 0); nsp],
        lhs_dilation: vec![1; nsp],
        rhs_dilation: vec![1; nsp],
        dimension_numbers: dn,
        feature_group_count: 1,
        batch_group_count: 1,
    }
}

/// Canonical (N, C, spatial...) copy of an array laid out per `spec`.
fn to_canonical(x: &[f64], shape: &[usize], spec: &[usize]) -> (Vec<f64>, Vec<usize>) {
    let cshape: Vec<usize> = spec.iter().map(|&d| shape[d]).collect();
    let mut out = Vec::new();
    for_each_index(&cshape, |ci| {
        let mut idx = vec![0; shape.len()];
        for (j, &d) in spec.iter().enumerate() {
            idx[d] = ci[j];
        }
        out.push(x[flat(&idx, shape)]);
    });
    (out, cshape)
}

/// Dilates then pads (negative pads crop) every spatial dim of a canonical (N, C, S...)
/// array, explicitly.
fn dilate_pad(
    x: &[f64],
    shape: &[usize],
    dil: &[usize],
    pad: &[(i64, i64)],
) -> (Vec<f64>, Vec<usize>) {
    let nsp = shape.len() - 2;
    let mut new_shape = shape.to_vec();
    for d in 0..nsp {
        let s = shape[2 + d];
        let dilated = if s == 0 { 0 } else { (s - 1) * dil[d] + 1 } as i64;
        new_shape[2 + d] = (dilated + pad[d].0 + pad[d].1).max(0) as usize;
    }
    let mut out = vec![0.0; size(&new_shape)];
    for_each_index(shape, |i| {
        let mut j = i.to_vec();
        for d in 0..nsp {
            let p = (i[2 + d] * dil[d]) as i64 + pad[d].0;
            if p < 0 || p >= new_shape[2 + d] as i64 {
                return;
            }
            j[2 + d] = p as usize;
        }
        out[flat(&j, &new_shape)] = x[flat(i, shape)];
    });
    (out, new_shape)
}

/// Naive grouped, dilated convolution in the canonical layout, then laid out per out_spec.
fn ref_conv(
    l: &[f64],
    ls: &[usize],
    r: &[f64],
    rs: &[usize],
    p: &ConvParams,
) -> (Vec<f64>, Vec<usize>) {
    let dn = &p.dimension_numbers;
    let nsp = ls.len() - 2;
    let (lc, lcs) = to_canonical(l, ls, &dn.lhs_spec);
    let (rc, rcs) = to_canonical(r, rs, &dn.rhs_spec);
    let (lp, lps) = dilate_pad(&lc, &lcs, &p.lhs_dilation, &p.padding);
    let (fg, bg) = (p.feature_group_count, p.batch_group_count);
    let (n, o, cin) = (lcs[0], rcs[0], rcs[1]);
    let kd: Vec<usize> = (0..nsp)
        .map(|d| {
            if rcs[2 + d] == 0 {
                0
            } else {
                (rcs[2 + d] - 1) * p.rhs_dilation[d] + 1
            }
        })
        .collect();
    let mut oshape = vec![n / bg, o];
    for d in 0..nsp {
        let span = lps[2 + d] as i64 - kd[d] as i64;
        oshape.push(if span < 0 {
            0
        } else {
            span as usize / p.window_strides[d] + 1
        });
    }
    let mut out = vec![0.0; size(&oshape)];
    for_each_index(&oshape.clone(), |oi| {
        let (b, f) = (oi[0], oi[1]);
        let g_f = f / (o / fg);
        let g_b = f / (o / bg);
        let lb = g_b * (n / bg) + b;
        let mut acc = 0.0;
        for c in 0..cin {
            let lcidx = g_f * cin + c;
            for_each_index(&rcs[2..], |k| {
                let mut li = vec![lb, lcidx];
                for d in 0..nsp {
                    li.push(oi[2 + d] * p.window_strides[d] + k[d] * p.rhs_dilation[d]);
                }
                let mut ri = vec![f, c];
                ri.extend_from_slice(k);
                acc += lp[flat(&li, &lps)] * rc[flat(&ri, &rcs)];
            });
        }
        out[flat(oi, &oshape)] = acc;
    });
    // Canonical -> out_spec layout.
    let mut shape = vec![0; oshape.len()];
    for (j, &d) in dn.out_spec.iter().enumerate() {
        shape[d] = oshape[j];
    }
    let mut res = vec![0.0; out.len()];
    for_each_index(&oshape, |ci| {
        let mut idx = vec![0; shape.len()];
        for (j, &d) in dn.out_spec.iter().enumerate() {
            idx[d] = ci[j];
        }
        res[flat(&idx, &shape)] = out[flat(ci, &oshape)];
    });
    (res, shape)
}

#[track_caller]
fn check_conv(ls: &[usize], rs: &[usize], p: &ConvParams, seed: u64) {
    let l = values(size(ls), seed);
    let r = values(size(rs), seed + 7);
    let (want, want_shape) = ref_conv(&l, ls, &r, rs, p);
    let got = lax::conv_general_dilated(&t64(&l, ls), &t64(&r, rs), p);
    assert_eq!(got.shape(), &want_shape[..], "f64 shape");
    assert_close(&f64s(&got), &want, 1e-12, 1e-12);
    let got = lax::conv_general_dilated(&t32(&l, ls), &t32(&r, rs), p);
    assert_eq!(got.shape(), &want_shape[..], "f32 shape");
    assert_close(&f32s_as_f64(&got), &want, 1e-4, 1e-4);
}

#[test]
fn conv_known_values() {
    // 1-d NCW: [1, 2, 3, 4] * [1, 1] (valid) = [3, 5, 7].
    let dn = ConvDimensionNumbers {
        lhs_spec: sh(&[0, 1, 2]),
        rhs_spec: sh(&[0, 1, 2]),
        out_spec: sh(&[0, 1, 2]),
    };
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 1, 4]);
    let w = Tensor::from_vec(vec![1.0f32, 1.0], &[1, 1, 2]);
    let y = lax::conv_general_dilated(&x, &w, &params(dn.clone(), 1));
    assert_eq!(y.to_vec::<f32>(), vec![3.0, 5.0, 7.0]);
    // Padding (1, 1): [1, 3, 5, 7, 4].
    let p = ConvParams {
        padding: vec![(1, 1)],
        ..params(dn.clone(), 1)
    };
    assert_eq!(
        lax::conv_general_dilated(&x, &w, &p).to_vec::<f32>(),
        vec![1.0, 3.0, 5.0, 7.0, 4.0]
    );
    // lhs dilation 2: [1, 0, 2, 0, 3, 0, 4] * [1, 1] = [1, 2, 2, 3, 3, 4].
    let p = ConvParams {
        lhs_dilation: vec![2],
        ..params(dn.clone(), 1)
    };
    assert_eq!(
        lax::conv_general_dilated(&x, &w, &p).to_vec::<f32>(),
        vec![1.0, 2.0, 2.0, 3.0, 3.0, 4.0]
    );
    // rhs dilation 2: x[i] + x[i + 2] = [4, 6].
    let p = ConvParams {
        rhs_dilation: vec![2],
        ..params(dn.clone(), 1)
    };
    assert_eq!(
        lax::conv_general_dilated(&x, &w, &p).to_vec::<f32>(),
        vec![4.0, 6.0]
    );
    // Integer convolution.
    let xi = Tensor::from_vec(vec![1, 2, 3, 4], &[1, 1, 4]);
    let wi = Tensor::from_vec(vec![2, -1], &[1, 1, 2]);
    assert_eq!(
        lax::conv_general_dilated(&xi, &wi, &params(dn, 1)).to_vec::<i32>(),
        vec![0, 1, 2]
    );
}

#[test]
fn conv_nhwc_stride_1_and_2() {
    check_conv(&[2, 6, 7, 3], &[3, 3, 3, 4], &params(nhwc(), 2), 20);
    let p = ConvParams {
        window_strides: vec![2, 2],
        ..params(nhwc(), 2)
    };
    check_conv(&[2, 7, 8, 3], &[3, 3, 3, 4], &p, 21);
    let p = ConvParams {
        window_strides: vec![1, 3],
        ..params(nhwc(), 2)
    };
    check_conv(&[1, 5, 9, 2], &[2, 3, 2, 3], &p, 22);
}

#[test]
fn conv_same_padding() {
    // SAME for a 3x3 kernel at stride 1: (1, 1); at stride 2 on 8: (0, 1).
    let p = ConvParams {
        padding: vec![(1, 1), (1, 1)],
        ..params(nhwc(), 2)
    };
    check_conv(&[2, 5, 6, 3], &[3, 3, 3, 2], &p, 23);
    let p = ConvParams {
        padding: vec![(0, 1), (0, 1)],
        window_strides: vec![2, 2],
        ..params(nhwc(), 2)
    };
    check_conv(&[1, 8, 8, 2], &[3, 3, 2, 4], &p, 24);
    let p = ConvParams {
        padding: vec![(2, 0), (0, 3)],
        ..params(nhwc(), 2)
    };
    check_conv(&[1, 4, 4, 1], &[2, 2, 1, 1], &p, 25);
}

#[test]
fn conv_negative_padding() {
    let p = ConvParams {
        padding: vec![(-1, 0), (-1, -2)],
        ..params(nhwc(), 2)
    };
    check_conv(&[2, 6, 7, 2], &[2, 2, 2, 3], &p, 26);
    let p = ConvParams {
        padding: vec![(-1, 2), (1, -1)],
        window_strides: vec![2, 1],
        ..params(nchw(), 2)
    };
    check_conv(&[1, 2, 6, 5], &[3, 2, 3, 2], &p, 27);
}

#[test]
fn conv_rhs_dilation() {
    let p = ConvParams {
        rhs_dilation: vec![2, 3],
        ..params(nhwc(), 2)
    };
    check_conv(&[2, 7, 9, 2], &[2, 2, 2, 3], &p, 28);
    let p = ConvParams {
        rhs_dilation: vec![2, 2],
        padding: vec![(2, 2), (2, 2)],
        ..params(nhwc(), 2)
    };
    check_conv(&[1, 5, 5, 3], &[3, 3, 3, 2], &p, 29);
}

#[test]
fn conv_lhs_dilation() {
    let p = ConvParams {
        lhs_dilation: vec![2, 2],
        ..params(nhwc(), 2)
    };
    check_conv(&[1, 4, 3, 2], &[2, 2, 2, 3], &p, 30);
    // Transposed-conv style: lhs dilation with padding k - 1.
    let p = ConvParams {
        lhs_dilation: vec![2, 3],
        padding: vec![(2, 2), (1, 1)],
        ..params(nhwc(), 2)
    };
    check_conv(&[2, 3, 3, 2], &[3, 2, 2, 2], &p, 31);
    // Both dilations and a stride.
    let p = ConvParams {
        lhs_dilation: vec![2, 1],
        rhs_dilation: vec![1, 2],
        window_strides: vec![2, 1],
        padding: vec![(1, 0), (0, 1)],
        ..params(nchw(), 2)
    };
    check_conv(&[2, 3, 5, 6], &[2, 3, 2, 2], &p, 32);
}

#[test]
fn conv_feature_groups() {
    let p = ConvParams {
        feature_group_count: 2,
        ..params(nhwc(), 2)
    };
    check_conv(&[2, 5, 5, 4], &[3, 3, 2, 6], &p, 33);
    // Depthwise: one group per channel.
    let p = ConvParams {
        feature_group_count: 3,
        padding: vec![(1, 1), (1, 1)],
        ..params(nchw(), 2)
    };
    check_conv(&[1, 3, 4, 4], &[3, 1, 3, 3], &p, 34);
    // Bigger groups (4 in x 5 out features each) go through im2col + gemm per group.
    let p = ConvParams {
        feature_group_count: 2,
        window_strides: vec![2, 1],
        padding: vec![(1, 0), (0, 1)],
        ..params(nhwc(), 2)
    };
    check_conv(&[2, 6, 5, 8], &[2, 3, 4, 10], &p, 45);
    let p = ConvParams {
        feature_group_count: 3,
        rhs_dilation: vec![1, 2],
        ..params(nchw(), 2)
    };
    check_conv(&[1, 15, 5, 6], &[12, 5, 2, 2], &p, 46);
}

#[test]
fn conv_batch_groups() {
    let p = ConvParams {
        batch_group_count: 2,
        ..params(nhwc(), 2)
    };
    check_conv(&[4, 5, 5, 3], &[3, 3, 3, 4], &p, 35);
    let p = ConvParams {
        batch_group_count: 3,
        padding: vec![(1, 0), (0, 1)],
        ..params(nchw(), 2)
    };
    check_conv(&[3, 2, 4, 4], &[3, 2, 2, 2], &p, 36);
}

#[test]
fn conv_nchw_oihw() {
    check_conv(&[2, 3, 6, 5], &[4, 3, 3, 2], &params(nchw(), 2), 37);
    // Unusual layouts: out in NHWC while inputs are NCHW / OIHW.
    let dn = ConvDimensionNumbers {
        lhs_spec: [0, 1, 2, 3].into(),
        rhs_spec: [0, 1, 2, 3].into(),
        out_spec: [0, 3, 1, 2].into(),
    };
    let p = ConvParams {
        window_strides: vec![2, 1],
        ..params(dn, 2)
    };
    check_conv(&[1, 2, 5, 4], &[3, 2, 2, 2], &p, 38);
    // Spatial-first lhs (HWNC), kernel as IOHW... (rhs_spec = (1, 0, 2, 3)).
    let dn = ConvDimensionNumbers {
        lhs_spec: [2, 3, 0, 1].into(),
        rhs_spec: [1, 0, 2, 3].into(),
        out_spec: [1, 0, 3, 2].into(),
    };
    check_conv(&[5, 4, 2, 3], &[3, 2, 2, 3], &params(dn, 2), 39);
}

#[test]
fn conv_1d_3d_and_1x1() {
    let dn1 = ConvDimensionNumbers {
        lhs_spec: sh(&[0, 2, 1]),
        rhs_spec: sh(&[2, 1, 0]),
        out_spec: sh(&[0, 2, 1]),
    };
    let p = ConvParams {
        window_strides: vec![2],
        padding: vec![(1, 2)],
        ..params(dn1, 1)
    };
    check_conv(&[2, 9, 3], &[3, 3, 4], &p, 40);
    let dn3 = ConvDimensionNumbers {
        lhs_spec: sh(&[0, 4, 1, 2, 3]),
        rhs_spec: sh(&[4, 3, 0, 1, 2]),
        out_spec: sh(&[0, 4, 1, 2, 3]),
    };
    check_conv(&[1, 4, 3, 5, 2], &[2, 2, 3, 2, 3], &params(dn3, 3), 41);
    // 1x1: the input is used as the im2col matrix directly.
    check_conv(&[2, 4, 5, 6], &[1, 1, 6, 3], &params(nhwc(), 2), 42);
    // No spatial dims at all: a matrix product.
    let dn0 = ConvDimensionNumbers {
        lhs_spec: sh(&[0, 1]),
        rhs_spec: sh(&[1, 0]),
        out_spec: sh(&[0, 1]),
    };
    check_conv(&[3, 4], &[4, 5], &params(dn0, 0), 43);
}

#[test]
fn conv_empty_output() {
    // Window larger than the input: zero-sized spatial output.
    let y = lax::conv_general_dilated(
        &Tensor::ones(&[1, 2, 2, 1], DType::F32),
        &Tensor::ones(&[3, 3, 1, 1], DType::F32),
        &params(nhwc(), 2),
    );
    assert_eq!(y.shape(), &[1, 0, 0, 1]);
    let y = lax::conv_general_dilated(
        &Tensor::ones(&[0, 4, 4, 1], DType::F32),
        &Tensor::ones(&[3, 3, 1, 2], DType::F32),
        &params(nhwc(), 2),
    );
    assert_eq!(y.shape(), &[0, 2, 2, 2]);
}

#[test]
fn conv_large_parallel_path() {
    let p = ConvParams {
        padding: vec![(1, 1), (1, 1)],
        ..params(nhwc(), 2)
    };
    check_conv(&[2, 24, 24, 16], &[3, 3, 16, 32], &p, 44);
}

// ---------------------------------------------------------------- reduce_window reference

#[allow(clippy::too_many_arguments)]
fn ref_window(
    x: &[f64],
    shape: &[usize],
    kind: WindowKind,
    wd: &[usize],
    ws: &[usize],
    pad: &[(i64, i64)],
    bd: &[usize],
    wdil: &[usize],
) -> (Vec<f64>, Vec<usize>) {
    let init = match kind {
        WindowKind::Sum => 0.0,
        WindowKind::Max => f64::NEG_INFINITY,
        WindowKind::Min => f64::INFINITY,
    };
    let nd = shape.len();
    // Explicitly dilated and padded operand, holes filled with the identity.
    let mut ps = vec![0usize; nd];
    for d in 0..nd {
        let dil = if shape[d] == 0 {
            0
        } else {
            (shape[d] - 1) * bd[d] + 1
        } as i64;
        ps[d] = (dil + pad[d].0 + pad[d].1).max(0) as usize;
    }
    let mut padded = vec![init; size(&ps)];
    for_each_index(shape, |i| {
        let mut j = vec![0; nd];
        for d in 0..nd {
            let p = (i[d] * bd[d]) as i64 + pad[d].0;
            if p < 0 || p >= ps[d] as i64 {
                return;
            }
            j[d] = p as usize;
        }
        padded[flat(&j, &ps)] = x[flat(i, shape)];
    });
    let out_shape: Vec<usize> = (0..nd)
        .map(|d| {
            let span = ps[d] as i64 - ((wd[d] - 1) * wdil[d] + 1) as i64;
            if span < 0 {
                0
            } else {
                span as usize / ws[d] + 1
            }
        })
        .collect();
    let mut out = Vec::new();
    for_each_index(&out_shape, |o| {
        let mut acc = init;
        for_each_index(wd, |w| {
            let j: Vec<usize> = (0..nd).map(|d| o[d] * ws[d] + w[d] * wdil[d]).collect();
            let v = padded[flat(&j, &ps)];
            acc = match kind {
                WindowKind::Sum => acc + v,
                WindowKind::Max => acc.max(v),
                WindowKind::Min => acc.min(v),
            };
        });
        out.push(acc);
    });
    (out, out_shape)
}

#[allow(clippy::too_many_arguments)]
#[track_caller]
fn check_window(
    shape: &[usize],
    kind: WindowKind,
    wd: &[usize],
    ws: &[usize],
    pad: &[(i64, i64)],
    bd: &[usize],
    wdil: &[usize],
    seed: u64,
) {
    let x = values(size(shape), seed);
    let (want, want_shape) = ref_window(&x, shape, kind, wd, ws, pad, bd, wdil);
    let got = lax::reduce_window(&t64(&x, shape), kind, wd, ws, pad, bd, wdil);
    assert_eq!(got.shape(), &want_shape[..]);
    assert_close(&f64s(&got), &want, 1e-12, 1e-12);
    let got = lax::reduce_window(&t32(&x, shape), kind, wd, ws, pad, bd, wdil);
    assert_eq!(got.shape(), &want_shape[..]);
    let g32 = f32s_as_f64(&got);
    for (g, w) in g32.iter().zip(&want) {
        assert!(
            g == w || (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
            "got {g}, want {w}"
        );
    }
}

#[test]
fn window_1d() {
    use WindowKind::*;
    let x = Tensor::from_vec(vec![1.0f32, 5.0, 2.0, 4.0, 3.0], &[5]);
    let y = lax::reduce_window(&x, Max, &[2], &[1], &[(0, 0)], &[1], &[1]);
    assert_eq!(y.to_vec::<f32>(), vec![5.0, 5.0, 4.0, 4.0]);
    let y = lax::reduce_window(&x, Sum, &[3], &[2], &[(1, 1)], &[1], &[1]);
    assert_eq!(y.to_vec::<f32>(), vec![6.0, 11.0, 7.0]);
    // Max over a window that is all padding is -inf.
    let y = lax::reduce_window(&x, Max, &[2], &[1], &[(2, 0)], &[1], &[1]);
    assert_eq!(y.to_vec::<f32>()[0], f32::NEG_INFINITY);
    for kind in [Sum, Max, Min] {
        check_window(&[9], kind, &[3], &[2], &[(1, 2)], &[1], &[1], 50);
        check_window(&[7], kind, &[2], &[1], &[(0, 0)], &[2], &[1], 51);
        check_window(&[10], kind, &[3], &[3], &[(-1, 1)], &[1], &[2], 52);
        check_window(&[5], kind, &[2], &[2], &[(2, 3)], &[3], &[2], 53);
    }
}

#[test]
fn window_4d() {
    use WindowKind::*;
    // 2x2 max pool, stride 2 (NHWC).
    let x: Vec<f32> = (0..16).map(|i| i as f32).collect();
    let y = lax::reduce_window(
        &Tensor::from_vec(x, &[1, 4, 4, 1]),
        Max,
        &[1, 2, 2, 1],
        &[1, 2, 2, 1],
        &[(0, 0); 4],
        &[1; 4],
        &[1; 4],
    );
    assert_eq!(y.shape(), &[1, 2, 2, 1]);
    assert_eq!(y.to_vec::<f32>(), vec![5.0, 7.0, 13.0, 15.0]);
    for kind in [Sum, Max, Min] {
        check_window(
            &[2, 6, 5, 3],
            kind,
            &[1, 3, 3, 1],
            &[1, 2, 2, 1],
            &[(0, 0), (1, 1), (1, 1), (0, 0)],
            &[1; 4],
            &[1; 4],
            54,
        );
        check_window(
            &[1, 5, 6, 2],
            kind,
            &[1, 2, 3, 2],
            &[1, 1, 2, 1],
            &[(0, 0), (0, 1), (-1, 2), (0, 0)],
            &[1, 2, 1, 1],
            &[1, 1, 2, 1],
            55,
        );
        check_window(
            &[2, 3, 4, 2],
            kind,
            &[2, 2, 2, 1],
            &[1, 1, 1, 1],
            &[(0, 0); 4],
            &[1, 1, 2, 1],
            &[1, 2, 1, 1],
            56,
        );
    }
}

#[test]
fn window_integers_and_nan() {
    use WindowKind::*;
    let x = Tensor::from_vec(vec![3, -1, 4, 1, -5, 9], &[6]);
    assert_eq!(
        lax::reduce_window(&x, Max, &[2], &[2], &[(0, 0)], &[1], &[1]).to_vec::<i32>(),
        vec![3, 4, 9]
    );
    assert_eq!(
        lax::reduce_window(&x, Min, &[3], &[1], &[(1, 0)], &[1], &[1]).to_vec::<i32>(),
        vec![-1, -1, -1, -5, -5]
    );
    // Padding with max reads the dtype minimum.
    assert_eq!(
        lax::reduce_window(&x, Max, &[1], &[1], &[(1, 0)], &[1], &[1]).to_vec::<i32>()[0],
        i32::MIN
    );
    assert_eq!(
        lax::reduce_window(&x, Sum, &[3], &[3], &[(0, 0)], &[1], &[1]).to_vec::<i32>(),
        vec![6, 5]
    );
    let f = Tensor::from_vec(vec![1.0f32, f32::NAN, 2.0, 3.0], &[4]);
    let y = lax::reduce_window(&f, Max, &[2], &[1], &[(0, 0)], &[1], &[1]).to_vec::<f32>();
    assert!(y[0].is_nan() && y[1].is_nan() && y[2] == 3.0);
}

// ---------------------------------------------------------------- printed params

#[test]
fn golden_dot_general() {
    let f = |(a, b): &(Tensor, Tensor)| {
        lax::dot_general(a, b, ((&[1], &[0]), (&[], &[])), Some(DType::F32))
    };
    let j = make_jaxpr(f)(&(
        Tensor::zeros(&[2, 3], DType::F32),
        Tensor::zeros(&[3, 4], DType::F32),
    ));
    let expected = "\
{ lambda ; a:f32[2,3] b:f32[3,4]. let
    c:f32[2,4] = dot_general[
      dimension_numbers=(([1], [0]), ([], []))
      preferred_element_type=float32
    ] a b
  in (c,) }";
    assert_eq!(j.to_string(), expected);
}

#[test]
fn golden_dot_general_batched_and_none() {
    let f = |(a, b): &(Tensor, Tensor)| lax::dot_general(a, b, ((&[2], &[1]), (&[0], &[0])), None);
    let j = make_jaxpr(f)(&(
        Tensor::zeros(&[2, 3, 4], DType::F32),
        Tensor::zeros(&[2, 4, 5], DType::F32),
    ));
    let s = j.to_string();
    assert!(
        s.contains("dimension_numbers=(([2], [1]), ([0], [0]))"),
        "{s}"
    );
    // JAX prints the param as given: None when not asked for.
    assert!(s.contains("preferred_element_type=None"), "{s}");
    assert!(s.contains("c:f32[2,3,5]"), "{s}");
}

#[test]
fn golden_conv_nhwc() {
    let p = params(nhwc(), 2);
    let f = move |(a, b): &(Tensor, Tensor)| lax::conv_general_dilated(a, b, &p);
    let j = make_jaxpr(f)(&(
        Tensor::zeros(&[1, 5, 5, 1], DType::F32),
        Tensor::zeros(&[3, 3, 1, 2], DType::F32),
    ));
    let expected = "\
{ lambda ; a:f32[1,5,5,1] b:f32[3,3,1,2]. let
    c:f32[1,3,3,2] = conv_general_dilated[
      batch_group_count=1
      dimension_numbers=ConvDimensionNumbers(lhs_spec=(0, 3, 1, 2), rhs_spec=(3, 2, 0, 1), out_spec=(0, 3, 1, 2))
      feature_group_count=1
      lhs_dilation=(1, 1)
      padding=((0, 0), (0, 0))
      precision=None
      preferred_element_type=None
      rhs_dilation=(1, 1)
      window_strides=(1, 1)
    ] a b
  in (c,) }";
    assert_eq!(j.to_string(), expected);
}

#[test]
fn golden_conv_1d_padding_tuple() {
    let dn = ConvDimensionNumbers {
        lhs_spec: sh(&[0, 1, 2]),
        rhs_spec: sh(&[0, 1, 2]),
        out_spec: sh(&[0, 1, 2]),
    };
    let p = ConvParams {
        padding: vec![(-1, 2)],
        window_strides: vec![2],
        ..params(dn, 1)
    };
    let f = move |(a, b): &(Tensor, Tensor)| lax::conv_general_dilated(a, b, &p);
    let s = make_jaxpr(f)(&(
        Tensor::zeros(&[1, 1, 6], DType::F32),
        Tensor::zeros(&[1, 1, 2], DType::F32),
    ))
    .to_string();
    assert!(s.contains("padding=((-1, 2),)"), "{s}");
    assert!(s.contains("window_strides=(2,)"), "{s}");
    assert!(s.contains("lhs_spec=(0, 1, 2)"), "{s}");
}

#[test]
fn golden_maxpool_reduce_window() {
    let f = |a: &Tensor| {
        lax::reduce_window(
            a,
            WindowKind::Max,
            &[1, 2, 2, 1],
            &[1, 2, 2, 1],
            &[(0, 0); 4],
            &[1; 4],
            &[1; 4],
        )
    };
    let j = make_jaxpr(f)(&Tensor::zeros(&[1, 4, 4, 1], DType::F32));
    let expected = "\
{ lambda ; a:f32[1,4,4,1]. let
    b:f32[1,2,2,1] = reduce_window_max[
      base_dilation=(1, 1, 1, 1)
      padding=((0, 0), (0, 0), (0, 0), (0, 0))
      window_dilation=(1, 1, 1, 1)
      window_dimensions=(1, 2, 2, 1)
      window_strides=(1, 2, 2, 1)
    ] a
  in (b,) }";
    assert_eq!(j.to_string(), expected);
}

// ---------------------------------------------------------------- shape-rule errors

#[test]
#[should_panic(expected = "dot_general")]
fn dot_contracting_size_mismatch() {
    lax::dot_general(
        &Tensor::zeros(&[2, 3], DType::F32),
        &Tensor::zeros(&[4, 5], DType::F32),
        ((&[1], &[0]), (&[], &[])),
        None,
    );
}

#[test]
#[should_panic(expected = "dot_general")]
fn dot_batch_size_mismatch() {
    lax::dot_general(
        &Tensor::zeros(&[2, 3, 4], DType::F32),
        &Tensor::zeros(&[3, 4, 5], DType::F32),
        ((&[2], &[1]), (&[0], &[0])),
        None,
    );
}

#[test]
#[should_panic(expected = "out of range")]
fn dot_dim_out_of_range() {
    lax::dot_general(
        &Tensor::zeros(&[2, 3], DType::F32),
        &Tensor::zeros(&[3], DType::F32),
        ((&[2], &[0]), (&[], &[])),
        None,
    );
}

#[test]
#[should_panic(expected = "both a batch and a contracting")]
fn dot_dim_batch_and_contracting() {
    lax::dot_general(
        &Tensor::zeros(&[3, 3], DType::F32),
        &Tensor::zeros(&[3, 3], DType::F32),
        ((&[0], &[0]), (&[0], &[1])),
        None,
    );
}

#[test]
#[should_panic(expected = "repeated")]
fn dot_dim_repeated() {
    lax::dot_general(
        &Tensor::zeros(&[3, 3], DType::F32),
        &Tensor::zeros(&[3, 3], DType::F32),
        ((&[0, 0], &[0, 1]), (&[], &[])),
        None,
    );
}

#[test]
#[should_panic(expected = "same dtype")]
fn dot_dtype_mismatch() {
    lax::dot_general(
        &Tensor::zeros(&[3], DType::F32),
        &Tensor::zeros(&[3], DType::F64),
        ((&[0], &[0]), (&[], &[])),
        None,
    );
}

#[test]
#[should_panic(expected = "conv_general_dilated")]
fn conv_feature_group_mismatch() {
    let p = ConvParams {
        feature_group_count: 2,
        ..params(nhwc(), 2)
    };
    lax::conv_general_dilated(
        &Tensor::zeros(&[1, 4, 4, 3], DType::F32),
        &Tensor::zeros(&[2, 2, 3, 2], DType::F32),
        &p,
    );
}

#[test]
#[should_panic(expected = "rhs input feature")]
fn conv_in_feature_mismatch() {
    lax::conv_general_dilated(
        &Tensor::zeros(&[1, 4, 4, 3], DType::F32),
        &Tensor::zeros(&[2, 2, 2, 2], DType::F32),
        &params(nhwc(), 2),
    );
}

#[test]
#[should_panic(expected = "window_strides has 1 entries")]
fn conv_wrong_stride_count() {
    let p = ConvParams {
        window_strides: vec![1],
        ..params(nhwc(), 2)
    };
    lax::conv_general_dilated(
        &Tensor::zeros(&[1, 4, 4, 1], DType::F32),
        &Tensor::zeros(&[2, 2, 1, 1], DType::F32),
        &p,
    );
}

#[test]
#[should_panic(expected = "negative padding")]
fn conv_padding_too_negative() {
    let p = ConvParams {
        padding: vec![(-3, -2), (0, 0)],
        ..params(nhwc(), 2)
    };
    lax::conv_general_dilated(
        &Tensor::zeros(&[1, 4, 4, 1], DType::F32),
        &Tensor::zeros(&[1, 1, 1, 1], DType::F32),
        &p,
    );
}

#[test]
#[should_panic(expected = "at most one of batch_group_count and feature_group_count")]
fn conv_both_groups() {
    let p = ConvParams {
        batch_group_count: 2,
        feature_group_count: 2,
        ..params(nhwc(), 2)
    };
    lax::conv_general_dilated(
        &Tensor::zeros(&[2, 4, 4, 2], DType::F32),
        &Tensor::zeros(&[1, 1, 1, 4], DType::F32),
        &p,
    );
}

#[test]
#[should_panic(expected = "reduce_window_max")]
fn window_wrong_rank() {
    lax::reduce_window(
        &Tensor::zeros(&[4, 4], DType::F32),
        WindowKind::Max,
        &[2],
        &[2],
        &[(0, 0)],
        &[1],
        &[1],
    );
}

#[test]
#[should_panic(expected = "window_strides must be positive")]
fn window_zero_stride() {
    lax::reduce_window(
        &Tensor::zeros(&[4], DType::F32),
        WindowKind::Sum,
        &[2],
        &[0],
        &[(0, 0)],
        &[1],
        &[1],
    );
}

// ---------------------------------------------------------------- property tests

/// A random dot_general problem: shapes and dimension numbers.
#[derive(Debug, Clone)]
struct DotCase {
    ls: Vec<usize>,
    rs: Vec<usize>,
    lc: Vec<usize>,
    rc: Vec<usize>,
    lb: Vec<usize>,
    rb: Vec<usize>,
}

fn dot_case() -> impl Strategy<Value = DotCase> {
    // Sizes of batch, contracting, lhs free, rhs free dims (0..=2 of each), then a random
    // placement of each side's dims.
    (
        prop::collection::vec(1usize..4, 0..=2),
        prop::collection::vec(0usize..4, 0..=2),
        prop::collection::vec(1usize..4, 0..=2),
        prop::collection::vec(1usize..4, 0..=2),
        any::<u64>(),
    )
        .prop_map(|(b, c, lf, rf, seed)| {
            let perm = |n: usize, salt: u64| -> Vec<usize> {
                let mut p: Vec<usize> = (0..n).collect();
                let mut s = seed ^ salt;
                for i in (1..n).rev() {
                    s = s
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    p.swap(i, (s >> 33) as usize % (i + 1));
                }
                p
            };
            // Logical dims: batch..., contracting..., free...; placed at perm positions.
            let build = |free: &[usize], salt: u64| {
                let n = b.len() + c.len() + free.len();
                let p = perm(n, salt);
                let mut shape = vec![0; n];
                let sizes: Vec<usize> = b.iter().chain(&c).chain(free).copied().collect();
                for (logical, &pos) in p.iter().enumerate() {
                    shape[pos] = sizes[logical];
                }
                let bdims = p[..b.len()].to_vec();
                let cdims = p[b.len()..b.len() + c.len()].to_vec();
                (shape, bdims, cdims)
            };
            let (ls, lb, lc) = build(&lf, 1);
            let (rs, rb, rc) = build(&rf, 2);
            DotCase {
                ls,
                rs,
                lc,
                rc,
                lb,
                rb,
            }
        })
}

/// A random convolution: NHWC/HWIO or NCHW/OIHW, 1 or 2 spatial dims, with strides, padding,
/// dilations and groups.
#[derive(Debug, Clone)]
struct ConvCase {
    ls: Vec<usize>,
    rs: Vec<usize>,
    p: ConvParams,
}

fn conv_case() -> impl Strategy<Value = ConvCase> {
    (
        1usize..=2,
        any::<bool>(),
        (1usize..3, 1usize..3, 1usize..3, 1usize..3),
        prop::collection::vec(
            (
                1usize..7,
                1usize..4,
                1usize..3,
                -1i64..3,
                -1i64..3,
                1usize..3,
                1usize..3,
            ),
            2,
        ),
        0usize..3,
    )
        .prop_map(
            |(nsp, channels_last, (n, cg, og, groups), sp, group_kind)| {
                let (fg, bg) = match group_kind {
                    1 => (groups, 1),
                    2 => (1, groups),
                    _ => (1, 1),
                };
                let batch = n * bg;
                let cin = cg * fg;
                let cout = og * fg * bg;
                let sp = &sp[..nsp];
                let in_sp: Vec<usize> = sp.iter().map(|s| s.0).collect();
                let k_sp: Vec<usize> = sp.iter().map(|s| s.1).collect();
                let nd = nsp + 2;
                let (dn, ls, rs) = if channels_last {
                    let mut lhs_spec = vec![0, nd - 1];
                    lhs_spec.extend(1..nd - 1);
                    let mut rhs_spec = vec![nd - 1, nd - 2];
                    rhs_spec.extend(0..nsp);
                    let mut ls = vec![batch];
                    ls.extend(&in_sp);
                    ls.push(cin);
                    let mut rs = k_sp.clone();
                    rs.extend([cg, cout]);
                    let dn = ConvDimensionNumbers {
                        lhs_spec: lhs_spec.as_slice().into(),
                        rhs_spec: rhs_spec.as_slice().into(),
                        out_spec: lhs_spec.as_slice().into(),
                    };
                    (dn, ls, rs)
                } else {
                    let spec: Vec<usize> = (0..nd).collect();
                    let mut ls = vec![batch, cin];
                    ls.extend(&in_sp);
                    let mut rs = vec![cout, cg];
                    rs.extend(&k_sp);
                    let dn = ConvDimensionNumbers {
                        lhs_spec: spec.as_slice().into(),
                        rhs_spec: spec.as_slice().into(),
                        out_spec: spec.as_slice().into(),
                    };
                    (dn, ls, rs)
                };
                let p = ConvParams {
                    window_strides: sp.iter().map(|s| s.2).collect(),
                    // Keep the padded extent nonnegative.
                    padding: sp
                        .iter()
                        .map(|s| (s.3.max(-(s.0 as i64) / 2), s.4))
                        .collect(),
                    lhs_dilation: sp.iter().map(|s| s.5).collect(),
                    rhs_dilation: sp.iter().map(|s| s.6).collect(),
                    dimension_numbers: dn,
                    feature_group_count: fg,
                    batch_group_count: bg,
                };
                ConvCase { ls, rs, p }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn prop_dot_general_matches_reference(case in dot_case(), seed in any::<u64>()) {
        let dn = ((&case.lc[..], &case.rc[..]), (&case.lb[..], &case.rb[..]));
        check_dot(&case.ls, &case.rs, dn, seed % 1000);
    }

    #[test]
    fn prop_conv_matches_reference(case in conv_case(), seed in any::<u64>()) {
        check_conv(&case.ls, &case.rs, &case.p, seed % 1000);
    }

    #[test]
    fn prop_window_matches_reference(
        dims in prop::collection::vec((1usize..7, 1usize..4, 1usize..3, -1i64..3, -1i64..3, 1usize..3, 1usize..3), 1..=3),
        kind in prop::sample::select(vec![WindowKind::Sum, WindowKind::Max, WindowKind::Min]),
        seed in any::<u64>(),
    ) {
        let shape: Vec<usize> = dims.iter().map(|d| d.0).collect();
        let wd: Vec<usize> = dims.iter().map(|d| d.1).collect();
        let ws: Vec<usize> = dims.iter().map(|d| d.2).collect();
        let pad: Vec<(i64, i64)> = dims.iter().map(|d| (d.3, d.4)).collect();
        let bd: Vec<usize> = dims.iter().map(|d| d.5).collect();
        let wdil: Vec<usize> = dims.iter().map(|d| d.6).collect();
        check_window(&shape, kind, &wd, &ws, &pad, &bd, &wdil, seed % 1000);
    }
}
