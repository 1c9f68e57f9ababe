//! Reductions (`reduce_* argmax argmin`), cumulative reductions and `sort`, checked through
//! the public lax API against plain nested-loop references written here.

use ferrax::lax;
use ferrax::prelude::*;
use ferrax::tensor::ArrayElement;
use proptest::prelude::*;
use std::cmp::Ordering;

// ---------------------------------------------------------------------------------------------
// Independent references (row-major index arithmetic, nested loops).
// ---------------------------------------------------------------------------------------------

fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    idx
}

fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &d)| acc * d + i)
}

fn kept_dims(ndim: usize, axes: &[usize]) -> Vec<usize> {
    (0..ndim).filter(|i| !axes.contains(i)).collect()
}

fn ref_reduce<T: Copy>(
    data: &[T],
    shape: &[usize],
    axes: &[usize],
    init: T,
    f: impl Fn(T, T) -> T,
) -> (Vec<usize>, Vec<T>) {
    let kept = kept_dims(shape.len(), axes);
    let out_shape: Vec<usize> = kept.iter().map(|&i| shape[i]).collect();
    let mut out = vec![init; out_shape.iter().product()];
    for (flat, &v) in data.iter().enumerate() {
        let idx = unravel(flat, shape);
        let oidx: Vec<usize> = kept.iter().map(|&i| idx[i]).collect();
        let o = ravel(&oidx, &out_shape);
        out[o] = f(out[o], v);
    }
    (out_shape, out)
}

/// Index of the first max (`is_max`) or min along `axis`; a NaN beats everything.
fn ref_arg(data: &[f64], shape: &[usize], axis: usize, is_max: bool) -> (Vec<usize>, Vec<usize>) {
    let mut out_shape = shape.to_vec();
    out_shape.remove(axis);
    let n_out: usize = out_shape.iter().product();
    let mut out = Vec::with_capacity(n_out);
    for o in 0..n_out {
        let oidx = unravel(o, &out_shape);
        let mut best: Option<(f64, usize)> = None;
        for k in 0..shape[axis] {
            let mut idx = oidx.clone();
            idx.insert(axis, k);
            let v = data[ravel(&idx, shape)];
            best = match best {
                None => Some((v, k)),
                Some((b, _)) if b.is_nan() => best,
                Some(_) if v.is_nan() => Some((v, k)),
                Some((b, _)) if (is_max && v > b) || (!is_max && v < b) => Some((v, k)),
                _ => best,
            };
        }
        out.push(best.expect("non-empty axis").1);
    }
    (out_shape, out)
}

fn ref_cumulative<T: Copy>(
    data: &[T],
    shape: &[usize],
    axis: usize,
    reverse: bool,
    f: impl Fn(T, T) -> T,
) -> Vec<T> {
    let n = shape[axis];
    (0..data.len())
        .map(|flat| {
            let idx = unravel(flat, shape);
            let ks: Vec<usize> = if reverse {
                (idx[axis]..n).rev().collect()
            } else {
                (0..=idx[axis]).collect()
            };
            let mut acc: Option<T> = None;
            for k in ks {
                let mut j = idx.clone();
                j[axis] = k;
                let v = data[ravel(&j, shape)];
                acc = Some(match acc {
                    None => v,
                    Some(a) => f(a, v),
                });
            }
            acc.expect("at least one element")
        })
        .collect()
}

/// A key column for the reference sort, compared the JAX way.
#[derive(Clone)]
enum KeyCol {
    F(Vec<f64>),
    I(Vec<i64>),
}

impl KeyCol {
    fn cmp_at(&self, a: usize, b: usize) -> Ordering {
        match self {
            KeyCol::I(v) => v[a].cmp(&v[b]),
            KeyCol::F(v) => {
                // JAX: -0.0 becomes 0.0, NaN becomes +NaN, NaN sorts last.
                let canon = |x: f64| {
                    if x.is_nan() {
                        (1, 0.0)
                    } else if x == 0.0 {
                        (0, 0.0)
                    } else {
                        (0, x)
                    }
                };
                let (ca, va) = canon(v[a]);
                let (cb, vb) = canon(v[b]);
                ca.cmp(&cb).then(va.partial_cmp(&vb).unwrap())
            }
        }
    }
}

/// For each output flat index, the input flat index it comes from (stable insertion sort of
/// each lane).
fn ref_sort_perm(keys: &[KeyCol], shape: &[usize], dim: usize) -> Vec<usize> {
    let total: usize = shape.iter().product();
    let mut perm = vec![usize::MAX; total];
    let n = shape[dim];
    for flat in 0..total {
        let idx = unravel(flat, shape);
        if idx[dim] != 0 {
            continue;
        }
        let lane: Vec<usize> = (0..n)
            .map(|k| {
                let mut j = idx.clone();
                j[dim] = k;
                ravel(&j, shape)
            })
            .collect();
        let mut sorted: Vec<usize> = Vec::new();
        for &x in &lane {
            let mut pos = sorted.len();
            // Insert after every element that is <= x (stability).
            while pos > 0 {
                let ord = keys
                    .iter()
                    .map(|k| k.cmp_at(sorted[pos - 1], x))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal);
                if ord == Ordering::Greater {
                    pos -= 1;
                } else {
                    break;
                }
            }
            sorted.insert(pos, x);
        }
        for (k, &src) in sorted.iter().enumerate() {
            perm[lane[k]] = src;
        }
    }
    perm
}

fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn nan_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

fn assert_same_floats(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: lengths differ: {got:?} vs {want:?}"
    );
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = (g.is_nan() && w.is_nan()) || g == w;
        assert!(
            ok,
            "{what}: element {i}: got {g}, want {w} (got {got:?}, want {want:?})"
        );
    }
}

fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ok = (g.is_nan() && w.is_nan())
            || g == w
            || (g - w).abs() <= 1e-5 * g.abs().max(w.abs()).max(1.0);
        assert!(ok, "{what}: element {i}: got {g}, want {w}");
    }
}

fn f64s(t: &Tensor) -> Vec<f64> {
    t.to_vec::<f64>()
}

fn tensor_f64(data: &[f64], shape: &[usize], dtype: DType) -> Tensor {
    Tensor::from_f64_values(data, shape, dtype)
}

/// `0, 1, 2, ...` as f32 values shaped `shape`.
fn iota_f32(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|i| i as f32).collect(), shape)
}

// ---------------------------------------------------------------------------------------------
// reduce_sum / max / min / prod
// ---------------------------------------------------------------------------------------------

#[test]
fn reduce_sum_matches_reference_for_every_axis_set() {
    let shape = [2, 3, 4];
    let data: Vec<f64> = (0..24).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
    let axis_sets: &[&[usize]] = &[
        &[],
        &[0],
        &[1],
        &[2],
        &[0, 1],
        &[0, 2],
        &[2, 0],
        &[1, 2],
        &[0, 1, 2],
        &[2, 1, 0],
    ];
    for &dtype in &[DType::F32, DType::F64, DType::I32] {
        let x = tensor_f64(&data, &shape, dtype);
        for &axes in axis_sets {
            let y = lax::reduce_sum(&x, axes);
            let (out_shape, want) = ref_reduce(&data, &shape, axes, 0.0, |a, b| a + b);
            assert_eq!(y.shape(), out_shape.as_slice(), "{dtype} axes {axes:?}");
            assert_eq!(y.dtype(), dtype);
            assert_same_floats(&f64s(&y), &want, &format!("reduce_sum {dtype} {axes:?}"));
        }
    }
}

#[test]
fn reduce_all_ops_with_non_contiguous_axes_on_4d() {
    let shape = [3, 2, 4, 5];
    let n: usize = shape.iter().product();
    let data: Vec<f64> = (0..n).map(|i| ((i * 13) % 17) as f64 - 8.0).collect();
    let x = tensor_f64(&data, &shape, DType::F64);
    for axes in [
        vec![0, 2],
        vec![1, 3],
        vec![0, 3],
        vec![3, 1, 0],
        vec![1, 2],
    ] {
        let (_, want) = ref_reduce(&data, &shape, &axes, 0.0, |a, b| a + b);
        assert_same_floats(&f64s(&lax::reduce_sum(&x, &axes)), &want, "sum");
        let (_, want) = ref_reduce(&data, &shape, &axes, f64::NEG_INFINITY, nan_max);
        assert_same_floats(&f64s(&lax::reduce_max(&x, &axes)), &want, "max");
        let (_, want) = ref_reduce(&data, &shape, &axes, f64::INFINITY, nan_min);
        assert_same_floats(&f64s(&lax::reduce_min(&x, &axes)), &want, "min");
        let (_, want) = ref_reduce(&data, &shape, &axes, 1.0, |a, b| a * b);
        assert_close(&f64s(&lax::reduce_prod(&x, &axes)), &want, "prod");
    }
}

#[test]
fn reduce_sum_long_contiguous_rows() {
    // Long last-axis rows exercise the multi-accumulator fold; integer values keep f32 exact.
    let shape = [3, 1001];
    let data: Vec<f64> = (0..3003).map(|i| ((i * 31) % 19) as f64 - 9.0).collect();
    for &dtype in &[DType::F32, DType::I32, DType::F64] {
        let x = tensor_f64(&data, &shape, dtype);
        for axes in [vec![1], vec![0, 1], vec![0]] {
            let (_, want) = ref_reduce(&data, &shape, &axes, 0.0, |a, b| a + b);
            assert_same_floats(&f64s(&lax::reduce_sum(&x, &axes)), &want, "long sum");
            let (_, want) = ref_reduce(&data, &shape, &axes, f64::NEG_INFINITY, nan_max);
            assert_same_floats(&f64s(&lax::reduce_max(&x, &axes)), &want, "long max");
        }
    }
}

#[test]
fn reduce_sum_f32_accumulates_in_f32() {
    // In f32, 2^24 + 1 rounds back to 2^24, so accumulating in f32 gives 2^24, while an f64
    // accumulator would give 2^24 + 2 (representable in f32).
    let x = Tensor::from_vec(vec![16_777_216.0f32, 1.0, 1.0], &[3]);
    let y = lax::reduce_sum(&x, &[0]);
    assert_eq!(y.dtype(), DType::F32);
    assert_eq!(y.item::<f32>(), 16_777_216.0f32);
}

#[test]
fn reduce_integers_wrap() {
    let x = Tensor::from_vec(vec![i32::MAX, 1, 2], &[3]);
    assert_eq!(
        lax::reduce_sum(&x, &[0]).item::<i32>(),
        i32::MIN.wrapping_add(2)
    );
    let u = Tensor::from_vec(vec![u32::MAX, 2], &[2]);
    assert_eq!(lax::reduce_sum(&u, &[0]).item::<u32>(), 1);
    assert_eq!(
        lax::reduce_prod(&u, &[0]).item::<u32>(),
        u32::MAX.wrapping_mul(2)
    );
    let p = Tensor::from_vec(vec![65536i32, 65536], &[2]);
    assert_eq!(lax::reduce_prod(&p, &[0]).item::<i32>(), 0);
    assert_eq!(lax::reduce_max(&u, &[0]).item::<u32>(), u32::MAX);
    assert_eq!(lax::reduce_min(&x, &[0]).item::<i32>(), 1);
}

#[test]
fn reduce_max_min_propagate_nan_and_handle_inf() {
    let x = Tensor::from_vec(
        vec![1.0f32, f32::NAN, 3.0, f32::NEG_INFINITY, 2.0, f32::INFINITY],
        &[2, 3],
    );
    let mx = lax::reduce_max(&x, &[1]).to_vec::<f32>();
    assert!(mx[0].is_nan());
    assert_eq!(mx[1], f32::INFINITY);
    let mn = lax::reduce_min(&x, &[1]).to_vec::<f32>();
    assert!(mn[0].is_nan());
    assert_eq!(mn[1], f32::NEG_INFINITY);
    // NaN at the end of a long row, and at the start.
    let mut v = vec![0.0f64; 40];
    v[39] = f64::NAN;
    assert!(lax::reduce_max(&Tensor::from_vec(v.clone(), &[40]), &[0])
        .item::<f64>()
        .is_nan());
    v[39] = 0.0;
    v[0] = f64::NAN;
    assert!(lax::reduce_min(&Tensor::from_vec(v, &[40]), &[0])
        .item::<f64>()
        .is_nan());
    // Sum with inf and -inf is NaN.
    let s = lax::reduce_sum(
        &Tensor::from_vec(vec![f32::INFINITY, f32::NEG_INFINITY], &[2]),
        &[0],
    );
    assert!(s.item::<f32>().is_nan());
}

#[test]
fn empty_reductions_give_identities() {
    let f = Tensor::from_vec(Vec::<f32>::new(), &[2, 0]);
    assert_eq!(lax::reduce_sum(&f, &[1]).to_vec::<f32>(), vec![0.0, 0.0]);
    assert_eq!(lax::reduce_prod(&f, &[1]).to_vec::<f32>(), vec![1.0, 1.0]);
    assert_eq!(
        lax::reduce_max(&f, &[1]).to_vec::<f32>(),
        vec![f32::NEG_INFINITY; 2]
    );
    assert_eq!(
        lax::reduce_min(&f, &[1]).to_vec::<f32>(),
        vec![f32::INFINITY; 2]
    );
    assert_eq!(lax::reduce_sum(&f, &[0]).shape(), &[0]);
    assert_eq!(lax::reduce_sum(&f, &[0, 1]).item::<f32>(), 0.0);
    let i = Tensor::from_vec(Vec::<i32>::new(), &[0]);
    assert_eq!(lax::reduce_max(&i, &[0]).item::<i32>(), i32::MIN);
    assert_eq!(lax::reduce_min(&i, &[0]).item::<i32>(), i32::MAX);
    assert_eq!(lax::reduce_prod(&i, &[0]).item::<i32>(), 1);
    let u = Tensor::from_vec(Vec::<u32>::new(), &[3, 0, 2]);
    assert_eq!(lax::reduce_max(&u, &[1]).to_vec::<u32>(), vec![0; 6]);
    assert_eq!(lax::reduce_min(&u, &[1]).to_vec::<u32>(), vec![u32::MAX; 6]);
    assert_eq!(lax::reduce_min(&u, &[1]).shape(), &[3, 2]);
    let b = Tensor::from_vec(Vec::<bool>::new(), &[0]);
    assert!(!lax::reduce_max(&b, &[0]).item::<bool>());
    assert!(lax::reduce_min(&b, &[0]).item::<bool>());
    let d = Tensor::from_vec(Vec::<f64>::new(), &[0, 4]);
    assert_eq!(
        lax::reduce_max(&d, &[0]).to_vec::<f64>(),
        vec![f64::NEG_INFINITY; 4]
    );
}

#[test]
fn zero_dim_and_empty_axes_are_identity() {
    let s = Tensor::scalar(2.5f32);
    let y = lax::reduce_sum(&s, &[]);
    assert_eq!(y.shape(), &[] as &[usize]);
    assert_eq!(y.item::<f32>(), 2.5);
    assert_eq!(lax::reduce_max(&Tensor::scalar(7i32), &[]).item::<i32>(), 7);
    let x = Tensor::from_vec(vec![1u32, 2, 3, 4], &[2, 2]);
    assert_eq!(lax::reduce_prod(&x, &[]).to_vec::<u32>(), vec![1, 2, 3, 4]);
    // Size-1 dims only.
    let one = Tensor::from_vec(vec![4.0f64], &[1, 1, 1]);
    assert_eq!(lax::reduce_sum(&one, &[0, 2]).shape(), &[1]);
    assert_eq!(lax::reduce_sum(&one, &[0, 2]).to_vec::<f64>(), vec![4.0]);
}

#[test]
fn reduce_max_min_on_bool_are_or_and() {
    let b = Tensor::from_vec(vec![false, true, false, false, true, true], &[2, 3]);
    assert_eq!(lax::reduce_max(&b, &[1]).to_vec::<bool>(), vec![true, true]);
    assert_eq!(
        lax::reduce_min(&b, &[1]).to_vec::<bool>(),
        vec![false, false]
    );
    assert_eq!(
        lax::reduce_max(&b, &[0]).to_vec::<bool>(),
        vec![false, true, true]
    );
    assert_eq!(
        lax::reduce_min(&b, &[0]).to_vec::<bool>(),
        vec![false, true, false]
    );
    let c = Tensor::from_vec(vec![true, true, true, false, false, false], &[2, 3]);
    assert_eq!(
        lax::reduce_max(&c, &[1]).to_vec::<bool>(),
        vec![true, false]
    );
    assert_eq!(
        lax::reduce_min(&c, &[1]).to_vec::<bool>(),
        vec![true, false]
    );
    assert_eq!(lax::reduce_max(&b, &[0]).dtype(), DType::Bool);
}

// ---------------------------------------------------------------------------------------------
// argmax / argmin
// ---------------------------------------------------------------------------------------------

#[test]
fn argmax_argmin_first_occurrence_and_nan() {
    let x = Tensor::from_vec(vec![1.0f32, 5.0, 5.0, 0.0, 0.0, -1.0], &[6]);
    assert_eq!(lax::argmax(&x, 0, DType::I32).item::<i32>(), 1);
    assert_eq!(lax::argmin(&x, 0, DType::I32).item::<i32>(), 5);
    let t = Tensor::from_vec(vec![2.0f32, 0.0, 2.0, 0.0], &[4]);
    assert_eq!(lax::argmax(&t, 0, DType::I32).item::<i32>(), 0);
    assert_eq!(lax::argmin(&t, 0, DType::I32).item::<i32>(), 1);
    let n = Tensor::from_vec(vec![1.0f64, f64::NAN, 9.0, f64::NAN, -9.0], &[5]);
    assert_eq!(lax::argmax(&n, 0, DType::I32).item::<i32>(), 1);
    assert_eq!(lax::argmin(&n, 0, DType::I32).item::<i32>(), 1);
    let inf = Tensor::from_vec(
        vec![f32::NEG_INFINITY, f32::NEG_INFINITY, f32::INFINITY],
        &[3],
    );
    assert_eq!(lax::argmin(&inf, 0, DType::U32).item::<u32>(), 0);
    assert_eq!(lax::argmax(&inf, 0, DType::U32).item::<u32>(), 2);
    assert_eq!(lax::argmax(&inf, 0, DType::U32).dtype(), DType::U32);
}

#[test]
fn argmax_argmin_along_each_axis_of_3d() {
    let shape = [3, 4, 2];
    let data: Vec<f64> = (0..24).map(|i| ((i * 5) % 7) as f64).collect();
    for &dtype in &[DType::F32, DType::I32, DType::U32, DType::F64] {
        let x = tensor_f64(&data, &shape, dtype);
        for axis in 0..3 {
            for is_max in [true, false] {
                let y = if is_max {
                    lax::argmax(&x, axis, DType::I32)
                } else {
                    lax::argmin(&x, axis, DType::I32)
                };
                let (out_shape, want) = ref_arg(&data, &shape, axis, is_max);
                assert_eq!(y.shape(), out_shape.as_slice());
                assert_eq!(y.dtype(), DType::I32);
                let got: Vec<usize> = y.to_vec::<i32>().into_iter().map(|v| v as usize).collect();
                assert_eq!(got, want, "{dtype} axis {axis} max={is_max}");
            }
        }
    }
}

#[test]
fn argmax_on_bool_and_empty_other_dims() {
    let b = Tensor::from_vec(vec![false, false, true, true, false, false], &[2, 3]);
    assert_eq!(lax::argmax(&b, 1, DType::I32).to_vec::<i32>(), vec![2, 0]);
    assert_eq!(lax::argmin(&b, 1, DType::I32).to_vec::<i32>(), vec![0, 1]);
    let e = Tensor::from_vec(Vec::<f32>::new(), &[0, 3]);
    let y = lax::argmax(&e, 1, DType::I32);
    assert_eq!(y.shape(), &[0]);
    assert!(y.to_vec::<i32>().is_empty());
}

#[test]
#[should_panic(expected = "argmax")]
fn argmax_over_empty_axis_panics() {
    let e = Tensor::from_vec(Vec::<f32>::new(), &[3, 0]);
    lax::argmax(&e, 1, DType::I32);
}

#[test]
#[should_panic(expected = "argmin")]
fn argmin_bad_index_dtype_panics() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    lax::argmin(&x, 0, DType::F32);
}

#[test]
#[should_panic(expected = "argmax")]
fn argmax_axis_out_of_range_panics() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    lax::argmax(&x, 1, DType::I32);
}

// ---------------------------------------------------------------------------------------------
// cumulative
// ---------------------------------------------------------------------------------------------

#[test]
fn cumulative_ops_match_reference_every_axis_and_direction() {
    let shape = [3, 4, 2];
    let data: Vec<f64> = (0..24).map(|i| ((i * 7) % 9) as f64 - 3.0).collect();
    for &dtype in &[DType::F32, DType::F64, DType::I32] {
        let x = tensor_f64(&data, &shape, dtype);
        for axis in 0..3 {
            for reverse in [false, true] {
                let ctx = format!("{dtype} axis {axis} reverse {reverse}");
                let y = lax::cumsum(&x, axis, reverse);
                assert_eq!(y.shape(), &shape);
                assert_eq!(y.dtype(), dtype);
                assert_same_floats(
                    &f64s(&y),
                    &ref_cumulative(&data, &shape, axis, reverse, |a, b| a + b),
                    &ctx,
                );
                let y = lax::cumprod(&x, axis, reverse);
                assert_same_floats(
                    &f64s(&y),
                    &ref_cumulative(&data, &shape, axis, reverse, |a, b| a * b),
                    &ctx,
                );
                let y = lax::cummax(&x, axis, reverse);
                assert_same_floats(
                    &f64s(&y),
                    &ref_cumulative(&data, &shape, axis, reverse, nan_max),
                    &ctx,
                );
                let y = lax::cummin(&x, axis, reverse);
                assert_same_floats(
                    &f64s(&y),
                    &ref_cumulative(&data, &shape, axis, reverse, nan_min),
                    &ctx,
                );
            }
        }
    }
}

#[test]
fn cumulative_simple_values() {
    let x = Tensor::from_vec(vec![1, 2, 3, 4], &[4]);
    assert_eq!(lax::cumsum(&x, 0, false).to_vec::<i32>(), vec![1, 3, 6, 10]);
    assert_eq!(lax::cumsum(&x, 0, true).to_vec::<i32>(), vec![10, 9, 7, 4]);
    assert_eq!(
        lax::cumprod(&x, 0, false).to_vec::<i32>(),
        vec![1, 2, 6, 24]
    );
    assert_eq!(
        lax::cumprod(&x, 0, true).to_vec::<i32>(),
        vec![24, 24, 12, 4]
    );
    let y = Tensor::from_vec(vec![3u32, 1, 4, 1, 5], &[5]);
    assert_eq!(
        lax::cummax(&y, 0, false).to_vec::<u32>(),
        vec![3, 3, 4, 4, 5]
    );
    assert_eq!(
        lax::cummin(&y, 0, false).to_vec::<u32>(),
        vec![3, 1, 1, 1, 1]
    );
    assert_eq!(
        lax::cummax(&y, 0, true).to_vec::<u32>(),
        vec![5, 5, 5, 5, 5]
    );
    assert_eq!(
        lax::cummin(&y, 0, true).to_vec::<u32>(),
        vec![1, 1, 1, 1, 5]
    );
    let w = Tensor::from_vec(vec![i32::MAX, 1], &[2]);
    assert_eq!(
        lax::cumsum(&w, 0, false).to_vec::<i32>(),
        vec![i32::MAX, i32::MIN]
    );
}

#[test]
fn cummax_cummin_propagate_nan_onward() {
    let x = Tensor::from_vec(vec![1.0f32, f32::NAN, 5.0, -2.0], &[4]);
    let fwd = lax::cummax(&x, 0, false).to_vec::<f32>();
    assert_eq!(fwd[0], 1.0);
    assert!(fwd[1..].iter().all(|v| v.is_nan()), "{fwd:?}");
    let rev = lax::cummin(&x, 0, true).to_vec::<f32>();
    assert!(rev[..2].iter().all(|v| v.is_nan()), "{rev:?}");
    assert_eq!(&rev[2..], &[-2.0, -2.0]);
    let s = lax::cumsum(
        &Tensor::from_vec(vec![1.0f64, f64::INFINITY, -f64::INFINITY], &[3]),
        0,
        false,
    )
    .to_vec::<f64>();
    assert_eq!(&s[..2], &[1.0, f64::INFINITY]);
    assert!(s[2].is_nan());
}

#[test]
fn cumulative_empty_and_size_one() {
    let e = Tensor::from_vec(Vec::<f32>::new(), &[0, 3]);
    assert_eq!(lax::cumsum(&e, 0, false).shape(), &[0, 3]);
    assert_eq!(lax::cumsum(&e, 1, true).shape(), &[0, 3]);
    let e2 = Tensor::from_vec(Vec::<i32>::new(), &[2, 0]);
    assert_eq!(lax::cumprod(&e2, 1, false).shape(), &[2, 0]);
    let one = Tensor::from_vec(vec![1.5f64, 2.5], &[1, 2]);
    assert_eq!(lax::cummax(&one, 0, false).to_vec::<f64>(), vec![1.5, 2.5]);
}

#[test]
#[should_panic(expected = "cumsum")]
fn cumsum_axis_out_of_range_panics() {
    lax::cumsum(&Tensor::from_vec(vec![1.0f32], &[1]), 1, false);
}

#[test]
#[should_panic(expected = "cumsum")]
fn cumsum_on_zero_dim_panics() {
    lax::cumsum(&Tensor::scalar(1.0f32), 0, false);
}

#[test]
#[should_panic(expected = "cummax")]
fn cummax_on_bool_panics() {
    lax::cummax(&Tensor::from_vec(vec![true, false], &[2]), 0, false);
}

// ---------------------------------------------------------------------------------------------
// sort
// ---------------------------------------------------------------------------------------------

#[test]
fn sort_floats_with_nan_inf_and_signed_zero() {
    let x = Tensor::from_vec(
        vec![
            3.0f32,
            f32::NAN,
            -0.0,
            f32::NEG_INFINITY,
            0.0,
            -f32::NAN,
            1.0,
            f32::INFINITY,
            -0.0,
            -5.0,
        ],
        &[10],
    );
    let y = lax::sort(std::slice::from_ref(&x), 0, true, 1)
        .remove(0)
        .to_vec::<f32>();
    assert_eq!(&y[..2], &[f32::NEG_INFINITY, -5.0]);
    // -0.0 and 0.0 tie (JAX canonicalizes -0.0 to 0.0 in keys): input order is kept.
    assert_eq!(
        y[2..5].iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        vec![(-0.0f32).to_bits(), 0, (-0.0f32).to_bits()]
    );
    assert_eq!(&y[5..8], &[1.0, 3.0, f32::INFINITY]);
    assert!(
        y[8].is_nan() && y[9].is_nan(),
        "NaNs of both signs go last: {y:?}"
    );
}

#[test]
fn sort_is_stable_and_carries_operands() {
    let k = Tensor::from_vec(vec![2, 1, 2, 1, 0, 2], &[6]);
    let v = Tensor::from_vec(vec![0.0f32, 1.0, 2.0, 3.0, 4.0, 5.0], &[6]);
    let out = lax::sort(&[k, v], 0, true, 1);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].to_vec::<i32>(), vec![0, 1, 1, 2, 2, 2]);
    assert_eq!(out[1].to_vec::<f32>(), vec![4.0, 1.0, 3.0, 0.0, 2.0, 5.0]);
    assert_eq!(out[1].dtype(), DType::F32);
    // Ties between NaNs and between signed zeros keep their order too.
    let k = Tensor::from_vec(vec![f64::NAN, 0.0, -f64::NAN, -0.0, 1.0], &[5]);
    let v = Tensor::from_vec(vec![0u32, 1, 2, 3, 4], &[5]);
    let out = lax::sort(&[k, v], 0, false, 1);
    assert_eq!(out[1].to_vec::<u32>(), vec![1, 3, 4, 0, 2]);
}

#[test]
fn sort_multi_key_lexicographic() {
    let k1 = Tensor::from_vec(vec![1, 0, 1, 0, 1, 0], &[6]);
    let k2 = Tensor::from_vec(vec![3.0f32, 2.0, 1.0, 2.0, f32::NAN, -1.0], &[6]);
    let v = Tensor::from_vec(vec![10u32, 11, 12, 13, 14, 15], &[6]);
    let out = lax::sort(&[k1, k2, v], 0, true, 2);
    assert_eq!(out[0].to_vec::<i32>(), vec![0, 0, 0, 1, 1, 1]);
    assert_eq!(out[2].to_vec::<u32>(), vec![15, 11, 13, 12, 10, 14]);
    let k2s = out[1].to_vec::<f32>();
    assert_eq!(&k2s[..5], &[-1.0, 2.0, 2.0, 1.0, 3.0]);
    assert!(k2s[5].is_nan());
}

#[test]
fn sort_along_each_dimension_of_3d() {
    let shape = [3, 4, 2];
    let data: Vec<f64> = (0..24).map(|i| ((i * 11) % 5) as f64).collect();
    let carried: Vec<i32> = (0..24).collect();
    for &dtype in &[DType::F32, DType::I32, DType::U32, DType::F64] {
        let x = tensor_f64(&data, &shape, dtype);
        let c = Tensor::from_vec(carried.clone(), &shape);
        for dim in 0..3 {
            let perm = ref_sort_perm(&[KeyCol::F(data.clone())], &shape, dim);
            let want_keys: Vec<f64> = perm.iter().map(|&i| data[i]).collect();
            let want_vals: Vec<i32> = perm.iter().map(|&i| carried[i]).collect();
            let only = lax::sort(std::slice::from_ref(&x), dim, true, 1);
            assert_same_floats(&f64s(&only[0]), &want_keys, &format!("{dtype} dim {dim}"));
            let out = lax::sort(&[x.clone(), c.clone()], dim, true, 1);
            assert_same_floats(&f64s(&out[0]), &want_keys, &format!("{dtype} dim {dim}"));
            assert_eq!(out[1].to_vec::<i32>(), want_vals, "{dtype} dim {dim}");
            assert_eq!(out[0].dtype(), dtype);
        }
    }
}

#[test]
fn sort_bool_and_empty() {
    let b = Tensor::from_vec(vec![true, false, true, false], &[4]);
    assert_eq!(
        lax::sort(&[b], 0, true, 1)[0].to_vec::<bool>(),
        vec![false, false, true, true]
    );
    let e = Tensor::from_vec(Vec::<f32>::new(), &[0, 2]);
    let out = lax::sort(&[e.clone(), e], 1, true, 1);
    assert_eq!(out.len(), 2);
    assert_eq!(out[1].shape(), &[0, 2]);
    let e = Tensor::from_vec(Vec::<i32>::new(), &[3, 0]);
    assert_eq!(lax::sort(&[e], 1, true, 1)[0].shape(), &[3, 0]);
}

#[test]
#[should_panic(expected = "sort")]
fn sort_shape_mismatch_panics() {
    let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    let b = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    lax::sort(&[a, b], 0, true, 1);
}

#[test]
#[should_panic(expected = "num_keys")]
fn sort_too_many_keys_panics() {
    let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    lax::sort(&[a], 0, true, 2);
}

#[test]
#[should_panic(expected = "sort")]
fn sort_zero_keys_panics() {
    let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    lax::sort(&[a], 0, true, 0);
}

#[test]
#[should_panic(expected = "sort")]
fn sort_dimension_out_of_range_panics() {
    let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    lax::sort(&[a], 1, true, 1);
}

#[test]
#[should_panic(expected = "sort")]
fn sort_no_operands_panics() {
    lax::sort(&[], 0, true, 1);
}

// ---------------------------------------------------------------------------------------------
// Bad params
// ---------------------------------------------------------------------------------------------

#[test]
#[should_panic(expected = "reduce_sum")]
fn reduce_sum_axis_out_of_range_panics() {
    lax::reduce_sum(&iota_f32(&[2, 3]), &[2]);
}

#[test]
#[should_panic(expected = "reduce_max")]
fn reduce_max_repeated_axis_panics() {
    lax::reduce_max(&iota_f32(&[2, 3]), &[1, 1]);
}

#[test]
#[should_panic(expected = "reduce_sum")]
fn reduce_sum_on_bool_panics() {
    lax::reduce_sum(&Tensor::from_vec(vec![true], &[1]), &[0]);
}

#[test]
#[should_panic(expected = "reduce_prod")]
fn reduce_prod_on_zero_dim_with_axis_panics() {
    lax::reduce_prod(&Tensor::scalar(2.0f32), &[0]);
}

#[test]
fn error_messages_name_the_problem() {
    fn msg(f: impl FnOnce()) -> String {
        let e =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("should panic");
        e.downcast_ref::<String>().cloned().unwrap_or_default()
    }
    let m = msg(|| {
        lax::reduce_min(&iota_f32(&[2, 3]), &[0, 5]);
    });
    assert!(
        m.contains("reduce_min") && m.contains('5') && m.contains("f32[2,3]"),
        "{m}"
    );
    let m = msg(|| {
        lax::argmax(&Tensor::from_vec(Vec::<f32>::new(), &[0]), 0, DType::I32);
    });
    assert!(m.contains("argmax") && m.contains("size 0"), "{m}");
    let m = msg(|| {
        lax::sort(&[iota_f32(&[2]), iota_f32(&[3])], 0, true, 1);
    });
    assert!(
        m.contains("sort") && m.contains("[2]") && m.contains("[3]"),
        "{m}"
    );
}

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

#[test]
fn printed_params() {
    let x = iota_f32(&[2, 3]);
    let j = make_jaxpr(|x: &Tensor| lax::reduce_sum(x, &[0, 1]))(&x).to_string();
    assert!(j.contains("b:f32[] = reduce_sum[axes=(0, 1)] a"), "{j}");
    let j = make_jaxpr(|x: &Tensor| lax::reduce_max(x, &[0]))(&x).to_string();
    assert!(j.contains("b:f32[3] = reduce_max[axes=(0,)] a"), "{j}");
    let j = make_jaxpr(|x: &Tensor| lax::reduce_min(x, &[]))(&x).to_string();
    assert!(j.contains("b:f32[2,3] = reduce_min[axes=()] a"), "{j}");
    let j = make_jaxpr(|x: &Tensor| lax::reduce_prod(x, &[1]))(&x).to_string();
    assert!(j.contains("b:f32[2] = reduce_prod[axes=(1,)] a"), "{j}");
    let j = make_jaxpr(|x: &Tensor| lax::argmax(x, 1, DType::I32))(&x).to_string();
    assert!(
        j.contains("b:i32[2] = argmax[axes=(1,) index_dtype=int32] a"),
        "{j}"
    );
    let j = make_jaxpr(|x: &Tensor| lax::argmin(x, 0, DType::U32))(&x).to_string();
    assert!(
        j.contains("b:u32[3] = argmin[axes=(0,) index_dtype=uint32] a"),
        "{j}"
    );
    let j = make_jaxpr(|x: &Tensor| lax::cumsum(x, 0, false))(&x).to_string();
    assert!(
        j.contains("b:f32[2,3] = cumsum[axis=0 reverse=False] a"),
        "{j}"
    );
    let j = make_jaxpr(|x: &Tensor| lax::cummax(x, 1, true))(&x).to_string();
    assert!(
        j.contains("b:f32[2,3] = cummax[axis=1 reverse=True] a"),
        "{j}"
    );
    let j = make_jaxpr(|x: &Tensor| lax::sort(std::slice::from_ref(x), 0, true, 1))(&x).to_string();
    assert!(
        j.contains("b:f32[2,3] = sort[dimension=0 is_stable=True num_keys=1] a"),
        "{j}"
    );
    let pair = (x.clone(), Tensor::from_vec(vec![0i32; 6], &[2, 3]));
    let j =
        make_jaxpr(|(k, v): &(Tensor, Tensor)| lax::sort(&[k.clone(), v.clone()], 1, false, 2))(
            &pair,
        )
        .to_string();
    assert!(
        j.contains("c:f32[2,3] d:i32[2,3] = sort[dimension=1 is_stable=False num_keys=2] a b"),
        "{j}"
    );
}

#[test]
fn golden_max_argmax() {
    // From the JAX 0.10.2 reference (out_sharding omitted).
    let j = make_jaxpr(|x: &Tensor| (lax::reduce_max(x, &[0]), lax::argmax(x, 1, DType::I32)))(
        &iota_f32(&[2, 3]),
    )
    .to_string();
    let expected = "\
{ lambda ; a:f32[2,3]. let
    b:f32[3] = reduce_max[axes=(0,)] a
    c:i32[2] = argmax[axes=(1,) index_dtype=int32] a
  in (b, c) }";
    assert_eq!(j, expected);
}

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

/// A shape of rank 0..=4 with dims 0..=5, an axis subset (in a shuffled order) and integer
/// data.
fn shape_axes_data() -> impl Strategy<Value = (Vec<usize>, Vec<usize>, Vec<i32>)> {
    prop::collection::vec(0usize..=5, 0..=4)
        .prop_flat_map(|shape| {
            let r = shape.len();
            let n: usize = shape.iter().product();
            (
                Just(shape),
                Just((0..r).collect::<Vec<usize>>()).prop_shuffle(),
                prop::collection::vec(any::<bool>(), r),
                prop::collection::vec(-20i32..20, n),
            )
        })
        .prop_map(|(shape, order, mask, data)| {
            let axes: Vec<usize> = order.into_iter().filter(|&a| mask[a]).collect();
            (shape, axes, data)
        })
}

/// A non-empty-rank shape, an axis in range, and data.
fn shape_axis_data() -> impl Strategy<Value = (Vec<usize>, usize, Vec<i32>)> {
    prop::collection::vec(0usize..=5, 1..=4).prop_flat_map(|shape| {
        let r = shape.len();
        let n: usize = shape.iter().product();
        (Just(shape), 0..r, prop::collection::vec(-6i32..6, n))
    })
}

/// Maps small integers to floats with a sprinkling of specials.
fn special(v: i32) -> f64 {
    match v {
        -6 => f64::NAN,
        5 => f64::INFINITY,
        -5 => f64::NEG_INFINITY,
        0 => -0.0,
        _ => v as f64,
    }
}

fn typed<T: ArrayElement>(t: &Tensor) -> Vec<T> {
    t.to_vec::<T>()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn prop_reduce_sum_max_min_int_and_float((shape, axes, data) in shape_axes_data()) {
        let fdata: Vec<f64> = data.iter().map(|&v| v as f64).collect();
        for &dtype in &[DType::F32, DType::I32, DType::F64] {
            let x = tensor_f64(&fdata, &shape, dtype);
            let (out_shape, want) = ref_reduce(&fdata, &shape, &axes, 0.0, |a, b| a + b);
            let y = lax::reduce_sum(&x, &axes);
            prop_assert_eq!(y.shape(), out_shape.as_slice());
            prop_assert_eq!(f64s(&y), want);
            let lo = if dtype == DType::I32 { i32::MIN as f64 } else { f64::NEG_INFINITY };
            let (_, want) = ref_reduce(&fdata, &shape, &axes, lo, nan_max);
            prop_assert_eq!(f64s(&lax::reduce_max(&x, &axes)), want);
            let hi = if dtype == DType::I32 { i32::MAX as f64 } else { f64::INFINITY };
            let (_, want) = ref_reduce(&fdata, &shape, &axes, hi, nan_min);
            prop_assert_eq!(f64s(&lax::reduce_min(&x, &axes)), want);
        }
        // Wrapping integer products are exact in any order.
        let x = Tensor::from_vec(data.clone(), &shape);
        let (_, want) = ref_reduce(&data, &shape, &axes, 1i32, |a, b| a.wrapping_mul(b));
        prop_assert_eq!(typed::<i32>(&lax::reduce_prod(&x, &axes)), want);
        let u: Vec<u32> = data.iter().map(|&v| v as u32).collect();
        let xu = Tensor::from_vec(u.clone(), &shape);
        let (_, want) = ref_reduce(&u, &shape, &axes, 0u32, |a, b| a.wrapping_add(b));
        prop_assert_eq!(typed::<u32>(&lax::reduce_sum(&xu, &axes)), want);
        let (_, want) = ref_reduce(&u, &shape, &axes, 0u32, |a, b| a.max(b));
        prop_assert_eq!(typed::<u32>(&lax::reduce_max(&xu, &axes)), want);
        let b: Vec<bool> = data.iter().map(|&v| v > 0).collect();
        let xb = Tensor::from_vec(b.clone(), &shape);
        let (_, want) = ref_reduce(&b, &shape, &axes, false, |p, q| p | q);
        prop_assert_eq!(typed::<bool>(&lax::reduce_max(&xb, &axes)), want);
        let (_, want) = ref_reduce(&b, &shape, &axes, true, |p, q| p & q);
        prop_assert_eq!(typed::<bool>(&lax::reduce_min(&xb, &axes)), want);
    }

    #[test]
    fn prop_reduce_with_specials((shape, axes, data) in shape_axes_data()) {
        let fdata: Vec<f64> = data.iter().map(|&v| special(v.clamp(-6, 5))).collect();
        let x = tensor_f64(&fdata, &shape, DType::F32);
        let (_, want) = ref_reduce(&fdata, &shape, &axes, f64::NEG_INFINITY, nan_max);
        assert_same_floats(&f64s(&lax::reduce_max(&x, &axes)), &want, "max");
        let (_, want) = ref_reduce(&fdata, &shape, &axes, f64::INFINITY, nan_min);
        assert_same_floats(&f64s(&lax::reduce_min(&x, &axes)), &want, "min");
        let (_, want) = ref_reduce(&fdata, &shape, &axes, 0.0, |a, b| a + b);
        assert_same_floats(&f64s(&lax::reduce_sum(&x, &axes)), &want, "sum");
        let pdata: Vec<f64> = data.iter().map(|&v| [0.5, -1.0, 1.0, 2.0, -0.5][v.rem_euclid(5) as usize]).collect();
        let xp = tensor_f64(&pdata, &shape, DType::F64);
        let (_, want) = ref_reduce(&pdata, &shape, &axes, 1.0, |a, b| a * b);
        assert_close(&f64s(&lax::reduce_prod(&xp, &axes)), &want, "prod");
    }

    #[test]
    fn prop_argmax_argmin((shape, axis, data) in shape_axis_data()) {
        prop_assume!(shape[axis] > 0);
        let fdata: Vec<f64> = data.iter().map(|&v| if v == -6 { f64::NAN } else { v as f64 }).collect();
        for &dtype in &[DType::F32, DType::F64, DType::I32] {
            let vals: Vec<f64> = if dtype == DType::I32 { data.iter().map(|&v| v as f64).collect() } else { fdata.clone() };
            let x = tensor_f64(&vals, &shape, dtype);
            for is_max in [true, false] {
                let y = if is_max { lax::argmax(&x, axis, DType::U32) } else { lax::argmin(&x, axis, DType::U32) };
                let (out_shape, want) = ref_arg(&vals, &shape, axis, is_max);
                prop_assert_eq!(y.shape(), out_shape.as_slice());
                let got: Vec<usize> = typed::<u32>(&y).into_iter().map(|v| v as usize).collect();
                prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn prop_cumulative((shape, axis, data) in shape_axis_data(), reverse in any::<bool>()) {
        let fdata: Vec<f64> = data.iter().map(|&v| if v == -6 { f64::NAN } else { v as f64 }).collect();
        let x = tensor_f64(&fdata, &shape, DType::F32);
        assert_same_floats(&f64s(&lax::cumsum(&x, axis, reverse)), &ref_cumulative(&fdata, &shape, axis, reverse, |a, b| a + b), "cumsum");
        assert_same_floats(&f64s(&lax::cummax(&x, axis, reverse)), &ref_cumulative(&fdata, &shape, axis, reverse, nan_max), "cummax");
        assert_same_floats(&f64s(&lax::cummin(&x, axis, reverse)), &ref_cumulative(&fdata, &shape, axis, reverse, nan_min), "cummin");
        let xi = Tensor::from_vec(data.clone(), &shape);
        prop_assert_eq!(typed::<i32>(&lax::cumprod(&xi, axis, reverse)), ref_cumulative(&data, &shape, axis, reverse, |a: i32, b| a.wrapping_mul(b)));
        prop_assert_eq!(typed::<i32>(&lax::cumsum(&xi, axis, reverse)), ref_cumulative(&data, &shape, axis, reverse, |a: i32, b| a.wrapping_add(b)));
        prop_assert_eq!(typed::<i32>(&lax::cummin(&xi, axis, reverse)), ref_cumulative(&data, &shape, axis, reverse, |a: i32, b| a.min(b)));
    }

    #[test]
    fn prop_sort_one_and_two_keys((shape, axis, data) in shape_axis_data(), salt in 0i32..7) {
        // Keys: floats with specials (NaN, ±inf, -0.0 vs 0.0) and a small-range integer key
        // (many ties); a carried iota checks the permutation, hence stability.
        let k1: Vec<f64> = data.iter().map(|&v| match v {
            -6 => f64::NAN,
            -5 => -f64::NAN,
            5 => f64::INFINITY,
            -4 => f64::NEG_INFINITY,
            0 => -0.0,
            1 => 0.0,
            _ => (v / 2) as f64,
        }).collect();
        let k2: Vec<i32> = data.iter().enumerate().map(|(i, &v)| (v + salt + i as i32) % 3).collect();
        let n = data.len();
        let carried: Vec<u32> = (0..n as u32).collect();
        let t1 = tensor_f64(&k1, &shape, DType::F32);
        let t2 = Tensor::from_vec(k2.clone(), &shape);
        let tc = Tensor::from_vec(carried.clone(), &shape);
        for num_keys in [1usize, 2] {
            let keys: Vec<KeyCol> = if num_keys == 1 {
                vec![KeyCol::F(k1.clone())]
            } else {
                vec![KeyCol::F(k1.clone()), KeyCol::I(k2.iter().map(|&v| v as i64).collect())]
            };
            let perm = ref_sort_perm(&keys, &shape, axis);
            let out = lax::sort(&[t1.clone(), t2.clone(), tc.clone()], axis, true, num_keys);
            prop_assert_eq!(out.len(), 3);
            let got_c = typed::<u32>(&out[2]);
            let want_c: Vec<u32> = perm.iter().map(|&i| carried[i]).collect();
            prop_assert_eq!(&got_c, &want_c);
            // Values (bit patterns, so -0.0 vs 0.0 are told apart) follow the permutation.
            let got1: Vec<u32> = typed::<f32>(&out[0]).iter().map(|v| v.to_bits()).collect();
            let want1: Vec<u32> = perm.iter().map(|&i| (k1[i] as f32).to_bits()).collect();
            prop_assert_eq!(got1, want1);
            prop_assert_eq!(typed::<i32>(&out[1]), perm.iter().map(|&i| k2[i]).collect::<Vec<_>>());
        }
        // Integer keys first, floats second.
        let keys = vec![KeyCol::I(k2.iter().map(|&v| v as i64).collect()), KeyCol::F(k1.clone())];
        let perm = ref_sort_perm(&keys, &shape, axis);
        let out = lax::sort(&[t2.clone(), t1.clone(), tc.clone()], axis, true, 2);
        prop_assert_eq!(typed::<u32>(&out[2]), perm.iter().map(|&i| carried[i]).collect::<Vec<_>>());
        // Single operand fast path equals the reference.
        let perm = ref_sort_perm(&[KeyCol::I(k2.iter().map(|&v| v as i64).collect())], &shape, axis);
        let only = lax::sort(std::slice::from_ref(&t2), axis, false, 1);
        prop_assert_eq!(typed::<i32>(&only[0]), perm.iter().map(|&i| k2[i]).collect::<Vec<_>>());
    }
}
