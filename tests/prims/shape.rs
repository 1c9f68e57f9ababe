//! Tests of the shape primitives (`broadcast_in_dim reshape transpose squeeze rev pad
//! concatenate slice iota`) through the public lax API, each against an independent
//! plain-Rust reference written over row-major multi-indices.

use ferrax::lax;
use ferrax::prelude::*;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------
// Reference helpers: plain loops over row-major indices, on f64 values.
// ---------------------------------------------------------------------------------------

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Row-major multi-index of flat index `i`.
fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = i % shape[d];
        i /= shape[d];
    }
    idx
}

/// Flat row-major index of a multi-index.
fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &n)| acc * n + i)
}

/// All multi-indices of `shape` in row-major order.
fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    (0..numel(shape)).map(|i| unravel(i, shape)).collect()
}

fn ref_transpose(x: &[f64], shape: &[usize], perm: &[usize]) -> (Vec<f64>, Vec<usize>) {
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let mut out = Vec::new();
    for oi in indices(&out_shape) {
        let mut ii = vec![0; shape.len()];
        for (d, &p) in perm.iter().enumerate() {
            ii[p] = oi[d];
        }
        out.push(x[ravel(&ii, shape)]);
    }
    (out, out_shape)
}

fn ref_broadcast(x: &[f64], shape: &[usize], out_shape: &[usize], bdims: &[usize]) -> Vec<f64> {
    indices(out_shape)
        .into_iter()
        .map(|oi| {
            let ii: Vec<usize> = bdims
                .iter()
                .enumerate()
                .map(|(i, &d)| if shape[i] == 1 { 0 } else { oi[d] })
                .collect();
            x[ravel(&ii, shape)]
        })
        .collect()
}

fn ref_rev(x: &[f64], shape: &[usize], dims: &[usize]) -> Vec<f64> {
    indices(shape)
        .into_iter()
        .map(|oi| {
            let ii: Vec<usize> = oi
                .iter()
                .enumerate()
                .map(|(d, &i)| {
                    if dims.contains(&d) {
                        shape[d] - 1 - i
                    } else {
                        i
                    }
                })
                .collect();
            x[ravel(&ii, shape)]
        })
        .collect()
}

/// Pad by the definition: output position o along a dim reads operand index
/// (o - low) / (interior + 1) when that is an exact, in-range division, else the pad value.
fn ref_pad(
    x: &[f64],
    shape: &[usize],
    value: f64,
    cfg: &[(i64, i64, i64)],
) -> (Vec<f64>, Vec<usize>) {
    let out_shape: Vec<usize> = shape
        .iter()
        .zip(cfg)
        .map(|(&n, &(lo, hi, int))| {
            let n = n as i64;
            (lo + hi + n + (n - 1).max(0) * int) as usize
        })
        .collect();
    let mut out = Vec::new();
    for oi in indices(&out_shape) {
        let mut ii = Vec::new();
        for (d, &o) in oi.iter().enumerate() {
            let (lo, _, int) = cfg[d];
            let p = o as i64 - lo;
            if p >= 0 && p % (int + 1) == 0 && p / (int + 1) < shape[d] as i64 {
                ii.push((p / (int + 1)) as usize);
            } else {
                break;
            }
        }
        out.push(if ii.len() == shape.len() {
            x[ravel(&ii, shape)]
        } else {
            value
        });
    }
    (out, out_shape)
}

fn ref_slice(
    x: &[f64],
    shape: &[usize],
    start: &[usize],
    limit: &[usize],
    strides: Option<&[usize]>,
) -> (Vec<f64>, Vec<usize>) {
    let st: Vec<usize> = strides.map_or(vec![1; shape.len()], |s| s.to_vec());
    let out_shape: Vec<usize> = (0..shape.len())
        .map(|d| (limit[d] - start[d]).div_ceil(st[d]))
        .collect();
    let out = indices(&out_shape)
        .into_iter()
        .map(|oi| {
            let ii: Vec<usize> = oi
                .iter()
                .enumerate()
                .map(|(d, &o)| start[d] + o * st[d])
                .collect();
            x[ravel(&ii, shape)]
        })
        .collect();
    (out, out_shape)
}

fn ref_concat(parts: &[(Vec<f64>, Vec<usize>)], dim: usize) -> (Vec<f64>, Vec<usize>) {
    let mut out_shape = parts[0].1.clone();
    out_shape[dim] = parts.iter().map(|p| p.1[dim]).sum();
    let out = indices(&out_shape)
        .into_iter()
        .map(|mut oi| {
            for (x, s) in parts {
                if oi[dim] < s[dim] {
                    return x[ravel(&oi, s)];
                }
                oi[dim] -= s[dim];
            }
            unreachable!()
        })
        .collect();
    (out, out_shape)
}

/// A tensor of `dtype` with distinct-ish values (0/1 alternating for bool).
fn sample(shape: &[usize], dtype: DType) -> Tensor {
    let vals: Vec<f64> = (0..numel(shape))
        .map(|i| match dtype {
            DType::Bool => (i % 3 == 1) as u8 as f64,
            DType::U32 => i as f64 + 1.0,
            DType::I32 => i as f64 - 7.0,
            _ => i as f64 * 0.5 - 3.0,
        })
        .collect();
    Tensor::from_f64_values(&vals, shape, dtype)
}

fn vals(t: &Tensor) -> Vec<f64> {
    t.array().to_f64_vec()
}

// ---------------------------------------------------------------------------------------
// Small hand-checked cases.
// ---------------------------------------------------------------------------------------

#[test]
fn broadcast_in_dim_basic() {
    let b = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let y = lax::broadcast_in_dim(&b, &[2, 3], &[1]);
    assert_eq!(y.shape(), &[2, 3]);
    assert_eq!(y.to_vec::<f32>(), vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
    let y = lax::broadcast_in_dim(&b, &[3, 2], &[0]);
    assert_eq!(y.to_vec::<f32>(), vec![1.0, 1.0, 2.0, 2.0, 3.0, 3.0]);
    // A scalar to any shape, including an empty one.
    let s = Tensor::scalar(7i32);
    assert_eq!(
        lax::broadcast_in_dim(&s, &[2, 2], &[]).to_vec::<i32>(),
        vec![7; 4]
    );
    assert_eq!(lax::broadcast_in_dim(&s, &[], &[]).to_vec::<i32>(), vec![7]);
    let e = lax::broadcast_in_dim(&s, &[3, 0], &[]);
    assert_eq!(e.shape(), &[3, 0]);
    assert!(e.to_vec::<i32>().is_empty());
    // Size-1 dims stretch, dims of equal size map through.
    let x = Tensor::from_vec(vec![1u32, 2], &[2, 1]);
    let y = lax::broadcast_in_dim(&x, &[2, 4, 3], &[0, 2]);
    assert_eq!(
        y.to_vec::<u32>(),
        vec![1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    );
}

#[test]
fn broadcast_in_dim_all_dtypes_against_reference() {
    let cases: &[(&[usize], &[usize], &[usize])] = &[
        (&[3], &[2, 3], &[1]),
        (&[1, 3], &[4, 2, 3], &[1, 2]),
        (&[2, 1], &[2, 3, 2], &[0, 1]),
        (&[2, 1, 3], &[2, 4, 3], &[0, 1, 2]),
        (&[0], &[2, 0], &[1]),
        (&[1], &[0, 5], &[0]),
        (&[], &[2, 3], &[]),
    ];
    for &dtype in &DType::ALL {
        for &(shape, out, bd) in cases {
            let x = sample(shape, dtype);
            let y = lax::broadcast_in_dim(&x, out, bd);
            assert_eq!(y.shape(), out);
            assert_eq!(y.dtype(), dtype);
            assert_eq!(
                vals(&y),
                ref_broadcast(&vals(&x), shape, out, bd),
                "{dtype} {shape:?} -> {out:?}"
            );
        }
    }
}

#[test]
fn reshape_basic() {
    let x = Tensor::arange(0, 6, 1, DType::I32);
    let y = lax::reshape(&x, &[2, 3]);
    assert_eq!(y.shape(), &[2, 3]);
    assert_eq!(y.to_vec::<i32>(), vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(lax::reshape(&y, &[3, 1, 2]).shape(), &[3, 1, 2]);
    // 0-d <-> size-1 shapes.
    let s = Tensor::scalar(true);
    assert_eq!(lax::reshape(&s, &[1, 1]).to_vec::<bool>(), vec![true]);
    let one = Tensor::from_vec(vec![2.5f64], &[1, 1, 1]);
    let back = lax::reshape(&one, &[]);
    assert_eq!(back.shape(), &[] as &[usize]);
    assert_eq!(back.item::<f64>(), 2.5);
    // Empty arrays reshape among shapes with a zero.
    let e = Tensor::zeros(&[0, 3], DType::F32);
    assert_eq!(lax::reshape(&e, &[3, 0, 7]).shape(), &[3, 0, 7]);
    // After a transpose (non-trivial data order), reshape stays row-major.
    let t = lax::transpose(&y, &[1, 0]);
    assert_eq!(
        lax::reshape(&t, &[6]).to_vec::<i32>(),
        vec![0, 3, 1, 4, 2, 5]
    );
}

#[test]
fn reshape_all_dtypes() {
    for &dtype in &DType::ALL {
        let x = sample(&[2, 3, 2], dtype);
        let y = lax::reshape(&x, &[4, 3]);
        assert_eq!(y.dtype(), dtype);
        assert_eq!(y.shape(), &[4, 3]);
        assert_eq!(vals(&y), vals(&x));
    }
}

#[test]
fn transpose_basic() {
    let x = Tensor::from_vec(vec![1, 2, 3, 4, 5, 6], &[2, 3]);
    let y = lax::transpose(&x, &[1, 0]);
    assert_eq!(y.shape(), &[3, 2]);
    assert_eq!(y.to_vec::<i32>(), vec![1, 4, 2, 5, 3, 6]);
    // Identity permutation and 0-d.
    assert_eq!(
        lax::transpose(&x, &[0, 1]).to_vec::<i32>(),
        x.to_vec::<i32>()
    );
    let s = Tensor::scalar(3.0f32);
    assert_eq!(lax::transpose(&s, &[]).item::<f32>(), 3.0);
}

#[test]
fn transpose_all_dtypes_against_reference() {
    let cases: &[(&[usize], &[usize])] = &[
        (&[2, 3, 4], &[2, 0, 1]),
        (&[2, 3, 4], &[1, 2, 0]),
        (&[2, 3, 4], &[2, 1, 0]),
        (&[1, 2, 1, 3], &[3, 1, 0, 2]),
        (&[2, 0, 3], &[2, 1, 0]),
        (&[5], &[0]),
        // Trailing dims kept in place (copied as contiguous runs).
        (&[2, 3, 4], &[1, 0, 2]),
        (&[2, 3, 4, 5], &[2, 0, 1, 3]),
        (&[3, 2, 4, 5], &[1, 0, 2, 3]),
        (&[2, 1, 3, 1], &[2, 1, 0, 3]),
        (&[2, 0, 3], &[1, 0, 2]),
    ];
    for &dtype in &DType::ALL {
        for &(shape, perm) in cases {
            let x = sample(shape, dtype);
            let y = lax::transpose(&x, perm);
            let (want, want_shape) = ref_transpose(&vals(&x), shape, perm);
            assert_eq!(y.shape(), &want_shape[..]);
            assert_eq!(y.dtype(), dtype);
            assert_eq!(vals(&y), want, "{dtype} {shape:?} {perm:?}");
        }
    }
}

#[test]
fn squeeze_basic() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[1, 3, 1]);
    let y = lax::squeeze(&x, &[0, 2]);
    assert_eq!(y.shape(), &[3]);
    assert_eq!(y.to_vec::<f32>(), vec![1.0, 2.0, 3.0]);
    assert_eq!(lax::squeeze(&x, &[2, 0]).shape(), &[3]);
    assert_eq!(lax::squeeze(&x, &[2]).shape(), &[1, 3]);
    assert_eq!(lax::squeeze(&x, &[]).shape(), &[1, 3, 1]);
    let one = Tensor::from_vec(vec![9u32], &[1, 1]);
    let s = lax::squeeze(&one, &[0, 1]);
    assert_eq!(s.shape(), &[] as &[usize]);
    assert_eq!(s.item::<u32>(), 9);
    let e = Tensor::zeros(&[1, 0], DType::Bool);
    assert_eq!(lax::squeeze(&e, &[0]).shape(), &[0]);
    for &dtype in &DType::ALL {
        let x = sample(&[2, 1, 3], dtype);
        let y = lax::squeeze(&x, &[1]);
        assert_eq!(y.dtype(), dtype);
        assert_eq!(vals(&y), vals(&x));
    }
}

#[test]
fn rev_basic_and_several_dims() {
    let x = Tensor::from_vec(vec![1, 2, 3], &[3]);
    assert_eq!(lax::rev(&x, &[0]).to_vec::<i32>(), vec![3, 2, 1]);
    let m = Tensor::from_vec(vec![1, 2, 3, 4, 5, 6], &[2, 3]);
    assert_eq!(lax::rev(&m, &[0]).to_vec::<i32>(), vec![4, 5, 6, 1, 2, 3]);
    assert_eq!(lax::rev(&m, &[1]).to_vec::<i32>(), vec![3, 2, 1, 6, 5, 4]);
    assert_eq!(
        lax::rev(&m, &[0, 1]).to_vec::<i32>(),
        vec![6, 5, 4, 3, 2, 1]
    );
    assert_eq!(lax::rev(&m, &[]).to_vec::<i32>(), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(lax::rev(&Tensor::scalar(1.5f64), &[]).item::<f64>(), 1.5);
    let cases: &[(&[usize], &[usize])] = &[
        (&[2, 3, 4], &[0, 2]),
        (&[2, 3, 4], &[2, 1, 0]),
        (&[3, 1, 2], &[1]),
        (&[2, 0, 3], &[0, 1, 2]),
    ];
    for &dtype in &DType::ALL {
        for &(shape, dims) in cases {
            let x = sample(shape, dtype);
            let y = lax::rev(&x, dims);
            assert_eq!(y.shape(), shape);
            assert_eq!(y.dtype(), dtype);
            assert_eq!(
                vals(&y),
                ref_rev(&vals(&x), shape, dims),
                "{dtype} {shape:?} {dims:?}"
            );
        }
    }
}

#[test]
fn pad_basic() {
    let x = Tensor::from_vec(vec![1, 2], &[2]);
    let y = lax::pad(&x, &Tensor::scalar(0i32), &[(1, 2, 1)]);
    assert_eq!(y.to_vec::<i32>(), vec![0, 1, 0, 2, 0, 0]);
    // Negative low/high crop, also into the interior padding.
    let x = Tensor::from_vec(vec![1, 2, 3, 4], &[4]);
    let p = Tensor::scalar(-1i32);
    assert_eq!(lax::pad(&x, &p, &[(-1, -1, 0)]).to_vec::<i32>(), vec![2, 3]);
    // Dilated: [1, p, 2, p, 3, p, 4]; low -2 drops `1, p`, high 1 appends `p`.
    assert_eq!(
        lax::pad(&x, &p, &[(-2, 1, 1)]).to_vec::<i32>(),
        vec![2, -1, 3, -1, 4, -1]
    );
    assert_eq!(
        lax::pad(&x, &p, &[(-3, 0, 1)]).to_vec::<i32>(),
        vec![-1, 3, -1, 4]
    );
    assert_eq!(
        lax::pad(&x, &p, &[(-4, 0, 0)]).to_vec::<i32>(),
        Vec::<i32>::new()
    );
    assert_eq!(lax::pad(&x, &p, &[(-3, -3, 1)]).to_vec::<i32>(), vec![-1]);
    assert_eq!(lax::pad(&x, &p, &[(2, -5, 0)]).to_vec::<i32>(), vec![-1]);
    // 2-d with a float pad value.
    let m = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    let y = lax::pad(&m, &Tensor::scalar(9.0f32), &[(1, 0, 0), (0, 1, 1)]);
    assert_eq!(y.shape(), &[3, 4]);
    assert_eq!(
        y.to_vec::<f32>(),
        vec![9.0, 9.0, 9.0, 9.0, 1.0, 9.0, 2.0, 9.0, 3.0, 9.0, 4.0, 9.0]
    );
    // 0-d operand: padding config is empty and the result is the operand.
    assert_eq!(
        lax::pad(&Tensor::scalar(5u32), &Tensor::scalar(0u32), &[]).item::<u32>(),
        5
    );
    // Empty operand: all padding.
    let e = Tensor::zeros(&[0], DType::F64);
    assert_eq!(
        lax::pad(&e, &Tensor::scalar(2.0f64), &[(1, 2, 3)]).to_vec::<f64>(),
        vec![2.0; 3]
    );
}

#[test]
fn pad_all_dtypes_against_reference() {
    type Case<'a> = (&'a [usize], &'a [(i64, i64, i64)]);
    let cases: &[Case] = &[
        (&[3], &[(1, 2, 0)]),
        (&[3], &[(0, 0, 2)]),
        (&[2, 3], &[(1, -1, 1), (-2, 2, 2)]),
        (&[2, 3, 2], &[(0, 1, 0), (-1, -1, 1), (2, -3, 3)]),
        (&[1, 4], &[(0, 0, 5), (-3, 2, 0)]),
        (&[0, 2], &[(1, 1, 1), (1, 0, 0)]),
        (&[2, 0], &[(0, 0, 1), (0, 0, 0)]),
    ];
    for &dtype in &DType::ALL {
        let value = Tensor::from_f64_values(&[1.0], &[], dtype);
        for &(shape, cfg) in cases {
            let x = sample(shape, dtype);
            let y = lax::pad(&x, &value, cfg);
            let (want, want_shape) = ref_pad(&vals(&x), shape, vals(&value)[0], cfg);
            assert_eq!(y.shape(), &want_shape[..], "{dtype} {shape:?} {cfg:?}");
            assert_eq!(y.dtype(), dtype);
            assert_eq!(vals(&y), want, "{dtype} {shape:?} {cfg:?}");
        }
    }
}

#[test]
fn concatenate_basic() {
    let a = Tensor::from_vec(vec![1, 2], &[2]);
    assert_eq!(
        lax::concatenate(&[a.clone(), a.clone()], 0).to_vec::<i32>(),
        vec![1, 2, 1, 2]
    );
    assert_eq!(
        lax::concatenate(std::slice::from_ref(&a), 0).to_vec::<i32>(),
        vec![1, 2]
    );
    let m = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
    let n = Tensor::from_vec(vec![5, 6], &[2, 1]);
    let y = lax::concatenate(&[m.clone(), n], 1);
    assert_eq!(y.shape(), &[2, 3]);
    assert_eq!(y.to_vec::<i32>(), vec![1, 2, 5, 3, 4, 6]);
    // Empty operands contribute nothing.
    let e = Tensor::zeros(&[2, 0], DType::I32);
    assert_eq!(
        lax::concatenate(&[e.clone(), m.clone(), e], 1).to_vec::<i32>(),
        vec![1, 2, 3, 4]
    );
}

#[test]
fn concatenate_all_dtypes_against_reference() {
    let cases: &[(&[&[usize]], usize)] = &[
        (&[&[2, 3], &[1, 3], &[3, 3]], 0),
        (&[&[2, 3], &[2, 1], &[2, 2]], 1),
        (&[&[2, 1, 3], &[2, 4, 3]], 1),
        (&[&[2, 2, 1], &[2, 2, 2]], 2),
        (&[&[0, 2], &[3, 2]], 0),
        (&[&[2, 0, 2], &[2, 0, 2]], 2),
    ];
    for &dtype in &DType::ALL {
        for &(shapes, dim) in cases {
            let parts: Vec<Tensor> = shapes.iter().map(|s| sample(s, dtype)).collect();
            let y = lax::concatenate(&parts, dim);
            let refs: Vec<(Vec<f64>, Vec<usize>)> = parts
                .iter()
                .zip(shapes)
                .map(|(p, s)| (vals(p), s.to_vec()))
                .collect();
            let (want, want_shape) = ref_concat(&refs, dim);
            assert_eq!(y.shape(), &want_shape[..]);
            assert_eq!(y.dtype(), dtype);
            assert_eq!(vals(&y), want, "{dtype} {shapes:?} {dim}");
        }
    }
}

#[test]
fn slice_basic() {
    let x = Tensor::arange(0, 6, 1, DType::I32);
    assert_eq!(
        lax::slice(&x, &[1], &[6], Some(&[2])).to_vec::<i32>(),
        vec![1, 3, 5]
    );
    assert_eq!(
        lax::slice(&x, &[1], &[5], Some(&[2])).to_vec::<i32>(),
        vec![1, 3]
    );
    assert_eq!(lax::slice(&x, &[2], &[4], None).to_vec::<i32>(), vec![2, 3]);
    assert_eq!(lax::slice(&x, &[3], &[3], None).shape(), &[0]);
    assert_eq!(lax::slice(&x, &[6], &[6], Some(&[3])).shape(), &[0]);
    assert_eq!(
        lax::slice(&x, &[0], &[6], Some(&[10])).to_vec::<i32>(),
        vec![0]
    );
    let m = lax::reshape(&x, &[2, 3]);
    let y = lax::slice(&m, &[0, 1], &[2, 3], None);
    assert_eq!(y.shape(), &[2, 2]);
    assert_eq!(y.to_vec::<i32>(), vec![1, 2, 4, 5]);
    assert_eq!(
        lax::slice(&Tensor::scalar(4.0f32), &[], &[], None).item::<f32>(),
        4.0
    );
    assert_eq!(
        lax::slice(&Tensor::scalar(4.0f32), &[], &[], Some(&[])).item::<f32>(),
        4.0
    );
}

#[test]
fn slice_all_dtypes_against_reference() {
    type Case<'a> = (&'a [usize], &'a [usize], &'a [usize], Option<&'a [usize]>);
    let cases: &[Case] = &[
        (&[5, 4], &[1, 0], &[4, 4], None),
        (&[5, 4], &[0, 1], &[5, 4], Some(&[2, 2])),
        (&[3, 4, 5], &[1, 0, 1], &[3, 3, 5], Some(&[1, 3, 2])),
        (&[3, 4, 5], &[2, 2, 2], &[2, 2, 2], Some(&[1, 1, 1])),
        (&[0, 4], &[0, 1], &[0, 3], Some(&[1, 2])),
        (&[7], &[1], &[7], Some(&[3])),
    ];
    for &dtype in &DType::ALL {
        for &(shape, start, limit, strides) in cases {
            let x = sample(shape, dtype);
            let y = lax::slice(&x, start, limit, strides);
            let (want, want_shape) = ref_slice(&vals(&x), shape, start, limit, strides);
            assert_eq!(y.shape(), &want_shape[..]);
            assert_eq!(y.dtype(), dtype);
            assert_eq!(
                vals(&y),
                want,
                "{dtype} {shape:?} {start:?} {limit:?} {strides:?}"
            );
        }
    }
}

#[test]
fn iota_each_dimension_and_dtype() {
    assert_eq!(
        lax::iota(DType::I32, &[3], 0).to_vec::<i32>(),
        vec![0, 1, 2]
    );
    let shape = [2usize, 3, 4];
    for &dtype in &[DType::I32, DType::U32, DType::F32, DType::F64] {
        for dim in 0..shape.len() {
            let y = lax::iota(dtype, &shape, dim);
            assert_eq!(y.shape(), &shape);
            assert_eq!(y.dtype(), dtype);
            let want: Vec<f64> = indices(&shape).iter().map(|i| i[dim] as f64).collect();
            assert_eq!(vals(&y), want, "{dtype} dim {dim}");
        }
    }
    assert_eq!(
        lax::iota(DType::F32, &[4], 0).to_vec::<f32>(),
        vec![0.0, 1.0, 2.0, 3.0]
    );
    assert_eq!(
        lax::iota(DType::U32, &[2, 2], 1).to_vec::<u32>(),
        vec![0, 1, 0, 1]
    );
    // Empty shapes.
    assert_eq!(lax::iota(DType::I32, &[0], 0).shape(), &[0]);
    assert_eq!(lax::iota(DType::I32, &[3, 0], 0).shape(), &[3, 0]);
    assert_eq!(lax::iota(DType::F32, &[0, 3], 1).shape(), &[0, 3]);
}

// ---------------------------------------------------------------------------------------
// Bad params panic with the op name.
// ---------------------------------------------------------------------------------------

#[test]
#[should_panic(expected = "transpose")]
fn transpose_rejects_repeated_axis() {
    lax::transpose(&Tensor::zeros(&[2, 3], DType::F32), &[0, 0]);
}

#[test]
#[should_panic(expected = "transpose")]
fn transpose_rejects_wrong_length() {
    lax::transpose(&Tensor::zeros(&[2, 3], DType::F32), &[0]);
}

#[test]
#[should_panic(expected = "transpose")]
fn transpose_rejects_out_of_range() {
    lax::transpose(&Tensor::zeros(&[2, 3], DType::F32), &[0, 2]);
}

#[test]
#[should_panic(expected = "reshape")]
fn reshape_rejects_size_mismatch() {
    lax::reshape(&Tensor::zeros(&[2, 3], DType::F32), &[4, 2]);
}

#[test]
#[should_panic(expected = "broadcast_in_dim")]
fn broadcast_rejects_size_mismatch() {
    lax::broadcast_in_dim(&Tensor::zeros(&[3], DType::F32), &[2, 4], &[1]);
}

#[test]
#[should_panic(expected = "broadcast_in_dim")]
fn broadcast_rejects_non_increasing_dims() {
    lax::broadcast_in_dim(&Tensor::zeros(&[2, 2], DType::F32), &[2, 2], &[1, 0]);
}

#[test]
#[should_panic(expected = "broadcast_in_dim")]
fn broadcast_rejects_wrong_rank() {
    lax::broadcast_in_dim(&Tensor::zeros(&[2, 2], DType::F32), &[2, 2], &[0]);
}

#[test]
#[should_panic(expected = "broadcast_in_dim")]
fn broadcast_rejects_out_of_range_dim() {
    lax::broadcast_in_dim(&Tensor::zeros(&[2], DType::F32), &[2, 2], &[2]);
}

#[test]
#[should_panic(expected = "squeeze")]
fn squeeze_rejects_non_unit_dim() {
    lax::squeeze(&Tensor::zeros(&[1, 3], DType::F32), &[1]);
}

#[test]
#[should_panic(expected = "squeeze")]
fn squeeze_rejects_out_of_range() {
    lax::squeeze(&Tensor::zeros(&[1, 3], DType::F32), &[2]);
}

#[test]
#[should_panic(expected = "rev")]
fn rev_rejects_out_of_range() {
    lax::rev(&Tensor::zeros(&[2], DType::F32), &[1]);
}

#[test]
#[should_panic(expected = "rev")]
fn rev_rejects_repeated() {
    lax::rev(&Tensor::zeros(&[2, 2], DType::F32), &[1, 1]);
}

#[test]
#[should_panic(expected = "pad")]
fn pad_rejects_dtype_mismatch() {
    lax::pad(
        &Tensor::zeros(&[2], DType::F32),
        &Tensor::scalar(0i32),
        &[(1, 1, 0)],
    );
}

#[test]
#[should_panic(expected = "pad")]
fn pad_rejects_non_scalar_value() {
    lax::pad(
        &Tensor::zeros(&[2], DType::F32),
        &Tensor::zeros(&[1], DType::F32),
        &[(1, 1, 0)],
    );
}

#[test]
#[should_panic(expected = "pad")]
fn pad_rejects_negative_size() {
    lax::pad(
        &Tensor::zeros(&[2], DType::F32),
        &Tensor::scalar(0.0f32),
        &[(-2, -1, 0)],
    );
}

#[test]
#[should_panic(expected = "pad")]
fn pad_rejects_negative_interior() {
    lax::pad(
        &Tensor::zeros(&[2], DType::F32),
        &Tensor::scalar(0.0f32),
        &[(0, 0, -1)],
    );
}

#[test]
#[should_panic(expected = "pad")]
fn pad_rejects_wrong_config_length() {
    lax::pad(
        &Tensor::zeros(&[2, 2], DType::F32),
        &Tensor::scalar(0.0f32),
        &[(0, 0, 0)],
    );
}

#[test]
#[should_panic(expected = "concatenate")]
fn concatenate_rejects_shape_mismatch() {
    lax::concatenate(
        &[
            Tensor::zeros(&[2, 3], DType::F32),
            Tensor::zeros(&[2, 2], DType::F32),
        ],
        0,
    );
}

#[test]
#[should_panic(expected = "concatenate")]
fn concatenate_rejects_dtype_mismatch() {
    lax::concatenate(
        &[
            Tensor::zeros(&[2], DType::F32),
            Tensor::zeros(&[2], DType::I32),
        ],
        0,
    );
}

#[test]
#[should_panic(expected = "concatenate")]
fn concatenate_rejects_no_operands() {
    lax::concatenate(&[], 0);
}

#[test]
#[should_panic(expected = "concatenate")]
fn concatenate_rejects_bad_dimension() {
    lax::concatenate(&[Tensor::zeros(&[2], DType::F32)], 1);
}

#[test]
#[should_panic(expected = "slice")]
fn slice_rejects_limit_past_end() {
    lax::slice(&Tensor::zeros(&[3], DType::F32), &[0], &[4], None);
}

#[test]
#[should_panic(expected = "slice")]
fn slice_rejects_start_after_limit() {
    lax::slice(&Tensor::zeros(&[3], DType::F32), &[2], &[1], None);
}

#[test]
#[should_panic(expected = "slice")]
fn slice_rejects_zero_stride() {
    lax::slice(&Tensor::zeros(&[3], DType::F32), &[0], &[3], Some(&[0]));
}

#[test]
#[should_panic(expected = "slice")]
fn slice_rejects_wrong_rank() {
    lax::slice(&Tensor::zeros(&[3, 3], DType::F32), &[0], &[3], None);
}

#[test]
#[should_panic(expected = "iota")]
fn iota_rejects_bool() {
    lax::iota(DType::Bool, &[3], 0);
}

#[test]
#[should_panic(expected = "iota")]
fn iota_rejects_bad_dimension() {
    lax::iota(DType::I32, &[3], 1);
}

#[test]
fn error_messages_name_the_params() {
    let msg =
        std::panic::catch_unwind(|| lax::transpose(&Tensor::zeros(&[2, 3], DType::F32), &[1, 1]))
            .expect_err("must panic");
    let msg = msg.downcast_ref::<String>().expect("formatted message");
    assert!(msg.starts_with("transpose: "), "{msg}");
    assert!(msg.contains("(1, 1)") && msg.contains("f32[2,3]"), "{msg}");
    let msg = std::panic::catch_unwind(|| lax::reshape(&Tensor::zeros(&[2, 3], DType::F32), &[5]))
        .expect_err("must panic");
    let msg = msg.downcast_ref::<String>().expect("formatted message");
    assert!(msg.contains("(5,)") && msg.contains("(2, 3)"), "{msg}");
}

// ---------------------------------------------------------------------------------------
// Printed params.
// ---------------------------------------------------------------------------------------

#[test]
fn jaxpr_params_print_like_jax() {
    let x = Tensor::zeros(&[2, 3], DType::F32);
    let text = |f: &dyn Fn(&Tensor) -> Tensor| make_jaxpr(f)(&x).to_string();

    let t = text(&|x| lax::transpose(x, &[1, 0]));
    assert!(
        t.contains("b:f32[3,2] = transpose[permutation=(1, 0)] a"),
        "{t}"
    );
    let t = text(&|x| lax::reshape(x, &[3, 2]));
    assert!(
        t.contains("b:f32[3,2] = reshape[dimensions=None new_sizes=(3, 2)] a"),
        "{t}"
    );
    let t = text(&|_| lax::broadcast_in_dim(&Tensor::zeros(&[3], DType::F32), &[2, 3], &[1]));
    assert!(
        t.contains("broadcast_in_dim[broadcast_dimensions=(1,)]"),
        "{t}"
    );
    let t = text(&|x| lax::broadcast_in_dim(&x.sum(), &[2, 3], &[]));
    assert!(t.contains("f32[2,3] = broadcast_in_dim b\n"), "{t}");
    let t = text(&|x| lax::pad(x, &Tensor::scalar(0.0f32), &[(1, 0, 0), (0, 2, 0)]));
    assert!(
        t.contains("f32[3,5] = pad[padding_config=((1, 0, 0), (0, 2, 0))] a 0.0:f32[]"),
        "{t}"
    );
    let t = text(&|x| lax::slice(x, &[0, 1], &[2, 3], None));
    assert!(
        t.contains("b:f32[2,2] = slice[limit_indices=(2, 3) start_indices=(0, 1) strides=None] a"),
        "{t}"
    );
    let t = text(&|x| lax::slice(x, &[0, 0], &[2, 3], Some(&[1, 2])));
    assert!(
        t.contains(
            "b:f32[2,2] = slice[limit_indices=(2, 3) start_indices=(0, 0) strides=(1, 2)] a"
        ),
        "{t}"
    );
    let t = text(&|x| lax::concatenate(&[x.clone(), x.clone()], 0));
    assert!(
        t.contains("b:f32[4,3] = concatenate[dimension=0] a a"),
        "{t}"
    );
    let t = text(&|x| lax::squeeze(&lax::reshape(x, &[1, 6]), &[0]));
    assert!(t.contains("c:f32[6] = squeeze[dimensions=(0,)] b"), "{t}");
    let t = text(&|x| lax::rev(x, &[0, 1]));
    assert!(t.contains("b:f32[2,3] = rev[dimensions=(0, 1)] a"), "{t}");

    let s = Tensor::scalar(0.0f32);
    let j = make_jaxpr(|_x: &Tensor| lax::iota(DType::I32, &[5], 0))(&s).to_string();
    // Like JAX, the equation line keeps a trailing space where the (empty) arguments go.
    assert_eq!(j, "{ lambda ; a:f32[]. let\n    b:i32[5] = iota[dimension=0 dtype=int32 shape=(5,)] \n  in (b,) }");
}

#[test]
fn traced_shapes_match_eager_shapes() {
    // abstract_eval (under make_jaxpr) and eval agree on output avals.
    let x = sample(&[2, 1, 3], DType::F32);
    let f = |x: &Tensor| {
        let a = lax::transpose(x, &[2, 0, 1]);
        let b = lax::pad(
            &a,
            &Tensor::scalar(1.0f32),
            &[(1, -1, 1), (0, 2, 0), (0, 0, 0)],
        );
        let c = lax::slice(&b, &[0, 1, 0], &[5, 4, 1], Some(&[2, 2, 1]));
        let d = lax::squeeze(&c, &[2]);
        let e = lax::rev(&d, &[0]);
        let f = lax::concatenate(&[e.clone(), e], 1);
        lax::broadcast_in_dim(&f, &[2, 3, 4], &[1, 2])
    };
    let eager = f(&x);
    let j = make_jaxpr(f)(&x).to_string();
    assert!(
        j.contains("f32[2,3,4] = broadcast_in_dim[broadcast_dimensions=(1, 2)]"),
        "{j}"
    );
    assert_eq!(eager.shape(), &[2, 3, 4]);
}

// ---------------------------------------------------------------------------------------
// Property tests.
// ---------------------------------------------------------------------------------------

fn arb_shape(max_rank: usize, max_dim: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0..=max_dim, 0..=max_rank)
}

fn arb_dtype() -> impl Strategy<Value = DType> {
    prop::sample::select(DType::ALL.to_vec())
}

fn arb_shape_perm() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    arb_shape(5, 4).prop_flat_map(|s| {
        let n = s.len();
        (Just(s), Just((0..n).collect::<Vec<usize>>()).prop_shuffle())
    })
}

/// A shape with a slice of it: (shape, start, limit, strides).
fn arb_slice() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, Vec<usize>, Option<Vec<usize>>)> {
    arb_shape(4, 6).prop_flat_map(|s| {
        let per_dim: Vec<_> = s
            .iter()
            .map(|&n| (0..=n).prop_flat_map(move |a| (Just(a), a..=n, 1usize..4)))
            .collect();
        (Just(s), per_dim, any::<bool>()).prop_map(|(s, dims, use_strides)| {
            let start = dims.iter().map(|d| d.0).collect();
            let limit = dims.iter().map(|d| d.1).collect();
            let strides = use_strides.then(|| dims.iter().map(|d| d.2).collect());
            (s, start, limit, strides)
        })
    })
}

fn arb_pad() -> impl Strategy<Value = (Vec<usize>, Vec<(i64, i64, i64)>)> {
    arb_shape(3, 4).prop_flat_map(|s| {
        let cfg = prop::collection::vec((-4i64..4, -4i64..4, 0i64..3), s.len());
        (Just(s), cfg)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn prop_transpose_matches_reference((shape, perm) in arb_shape_perm(), dtype in arb_dtype()) {
        let x = sample(&shape, dtype);
        let y = lax::transpose(&x, &perm);
        let (want, want_shape) = ref_transpose(&vals(&x), &shape, &perm);
        prop_assert_eq!(y.shape(), &want_shape[..]);
        prop_assert_eq!(vals(&y), want);
    }

    #[test]
    fn prop_transpose_inverse_round_trips((shape, perm) in arb_shape_perm()) {
        let x = sample(&shape, DType::F32);
        let mut inv = vec![0; perm.len()];
        for (i, &p) in perm.iter().enumerate() {
            inv[p] = i;
        }
        let back = lax::transpose(&lax::transpose(&x, &perm), &inv);
        prop_assert_eq!(back.shape(), &shape[..]);
        prop_assert_eq!(back.to_vec::<f32>(), x.to_vec::<f32>());
    }

    #[test]
    fn prop_reshape_round_trips(shape in arb_shape(4, 4), dtype in arb_dtype()) {
        let x = sample(&shape, dtype);
        let n = numel(&shape);
        let flat = lax::reshape(&x, &[n]);
        prop_assert_eq!(vals(&flat), vals(&x));
        let back = lax::reshape(&flat, &shape);
        prop_assert_eq!(back.shape(), &shape[..]);
        prop_assert_eq!(vals(&back), vals(&x));
    }

    #[test]
    fn prop_slice_matches_reference((shape, start, limit, strides) in arb_slice(), dtype in arb_dtype()) {
        let x = sample(&shape, dtype);
        let y = lax::slice(&x, &start, &limit, strides.as_deref());
        let (want, want_shape) = ref_slice(&vals(&x), &shape, &start, &limit, strides.as_deref());
        prop_assert_eq!(y.shape(), &want_shape[..]);
        prop_assert_eq!(vals(&y), want);
    }

    #[test]
    fn prop_pad_matches_reference((shape, cfg) in arb_pad(), dtype in arb_dtype()) {
        let valid = shape.iter().zip(&cfg).all(|(&n, &(lo, hi, int))| {
            let n = n as i64;
            lo + hi + n + (n - 1).max(0) * int >= 0
        });
        prop_assume!(valid);
        let x = sample(&shape, dtype);
        let value = Tensor::from_f64_values(&[1.0], &[], dtype);
        let y = lax::pad(&x, &value, &cfg);
        let (want, want_shape) = ref_pad(&vals(&x), &shape, vals(&value)[0], &cfg);
        prop_assert_eq!(y.shape(), &want_shape[..]);
        prop_assert_eq!(vals(&y), want);
    }

    #[test]
    fn prop_rev_matches_reference(shape in arb_shape(4, 4), mask in prop::collection::vec(any::<bool>(), 4)) {
        let dims: Vec<usize> = (0..shape.len()).filter(|&d| mask[d]).collect();
        let x = sample(&shape, DType::I32);
        let y = lax::rev(&x, &dims);
        prop_assert_eq!(vals(&y), ref_rev(&vals(&x), &shape, &dims));
        // Reversing twice is the identity.
        prop_assert_eq!(lax::rev(&y, &dims).to_vec::<i32>(), x.to_vec::<i32>());
    }

    #[test]
    fn prop_broadcast_matches_reference(
        out in prop::collection::vec(0usize..4, 0..5),
        keep in prop::collection::vec(any::<bool>(), 5),
        ones in prop::collection::vec(any::<bool>(), 5),
    ) {
        let bdims: Vec<usize> = (0..out.len()).filter(|&d| keep[d]).collect();
        let shape: Vec<usize> = bdims.iter().map(|&d| if ones[d] { 1 } else { out[d] }).collect();
        let x = sample(&shape, DType::F64);
        let y = lax::broadcast_in_dim(&x, &out, &bdims);
        prop_assert_eq!(y.shape(), &out[..]);
        prop_assert_eq!(vals(&y), ref_broadcast(&vals(&x), &shape, &out, &bdims));
    }

    #[test]
    fn prop_concatenate_matches_reference(
        base in prop::collection::vec(0usize..4, 1..4),
        dim_seed in 0usize..3,
        sizes in prop::collection::vec(0usize..4, 1..4),
        dtype in arb_dtype(),
    ) {
        let dim = dim_seed % base.len();
        let shapes: Vec<Vec<usize>> = sizes.iter().map(|&k| {
            let mut s = base.clone();
            s[dim] = k;
            s
        }).collect();
        let parts: Vec<Tensor> = shapes.iter().map(|s| sample(s, dtype)).collect();
        let y = lax::concatenate(&parts, dim);
        let refs: Vec<(Vec<f64>, Vec<usize>)> = parts.iter().zip(&shapes).map(|(p, s)| (vals(p), s.clone())).collect();
        let (want, want_shape) = ref_concat(&refs, dim);
        prop_assert_eq!(y.shape(), &want_shape[..]);
        prop_assert_eq!(vals(&y), want);
    }

    #[test]
    fn prop_slice_of_pad_recovers_operand(shape in arb_shape(3, 4), pads in prop::collection::vec((0i64..3, 0i64..3), 3)) {
        // Padding with non-negative low/high then slicing the interior back out is the identity.
        let cfg: Vec<(i64, i64, i64)> = pads.iter().take(shape.len()).map(|&(l, h)| (l, h, 0)).collect();
        let x = sample(&shape, DType::I32);
        let y = lax::pad(&x, &Tensor::scalar(0i32), &cfg);
        let start: Vec<usize> = cfg.iter().map(|c| c.0 as usize).collect();
        let limit: Vec<usize> = start.iter().zip(&shape).map(|(s, n)| s + n).collect();
        prop_assert_eq!(lax::slice(&y, &start, &limit, None).to_vec::<i32>(), x.to_vec::<i32>());
    }
}
