//! Tests of the indexing primitives (`dynamic_slice`, `dynamic_update_slice`, `gather`,
//! `scatter-add`) through the public lax API, against plain-Rust references that transcribe
//! XLA's operation semantics directly (one multi-index at a time).

use ferrax::lax::{
    self, GatherDimensionNumbers as Gdn, GatherScatterMode as Mode, ScatterDimensionNumbers as Sdn,
};
use ferrax::prelude::*;
use proptest::prelude::*;

use crate::common;
use common::gather_cases::{gdn, mirror, random_indexed_gather, sh, IndexedGather as Case};
use common::rng::Rng;

// ------------------------------------------------------------------------------------------
// Helpers and references
// ------------------------------------------------------------------------------------------

fn sdn(window: &[usize], inserted: &[usize], sdod: &[usize], obd: &[usize], sibd: &[usize]) -> Sdn {
    Sdn {
        update_window_dims: sh(window),
        inserted_window_dims: sh(inserted),
        scatter_dims_to_operand_dims: sh(sdod),
        operand_batching_dims: sh(obd),
        scatter_indices_batching_dims: sh(sibd),
    }
}

fn flat(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &n)| acc * n + i)
}

fn unflat(mut f: usize, shape: &[usize]) -> Vec<usize> {
    let mut out = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        out[d] = f % shape[d];
        f /= shape[d];
    }
    out
}

/// Operand dims that are window (offset) dims: neither collapsed/inserted nor batching.
fn kept_dims(rank: usize, dropped: &[usize], batching: &[usize]) -> Vec<usize> {
    (0..rank)
        .filter(|d| !dropped.contains(d) && !batching.contains(d))
        .collect()
}

/// XLA's start vector for the batch position `g` of the indices, or None if the window of
/// extent `window` does not fit (after clamping when `clamp`).
#[allow(clippy::too_many_arguments)]
fn ref_start(
    oshape: &[usize],
    idx: &[i64],
    ishape: &[usize],
    g: &[usize],
    start_map: &[usize],
    obd: &[usize],
    sibd: &[usize],
    window: &[usize],
    clamp: bool,
) -> Option<Vec<usize>> {
    let mut s = vec![0i64; oshape.len()];
    for (i, &d) in start_map.iter().enumerate() {
        let mut gi = g.to_vec();
        gi.push(i);
        s[d] = idx[flat(&gi, ishape)];
    }
    for (&od, &id) in obd.iter().zip(sibd) {
        s[od] = g[id] as i64;
    }
    for d in 0..oshape.len() {
        let hi = oshape[d] as i64 - window[d] as i64;
        if clamp && start_map.contains(&d) {
            s[d] = s[d].max(0).min(hi);
        }
        if s[d] < 0 || s[d] > hi {
            return None;
        }
    }
    Some(s.into_iter().map(|v| v as usize).collect())
}

/// XLA gather, element by element. Returns (values, shape); `fill` is used for dropped windows.
#[allow(clippy::too_many_arguments)]
fn ref_gather(
    x: &[f64],
    oshape: &[usize],
    idx: &[i64],
    ishape: &[usize],
    d: &Gdn,
    slice: &[usize],
    mode: Mode,
    fill: f64,
) -> (Vec<f64>, Vec<usize>) {
    let rank = oshape.len();
    let nb = ishape.len() - 1;
    let out_rank = d.offset_dims.len() + nb;
    let kept = kept_dims(rank, &d.collapsed_slice_dims, &d.operand_batching_dims);
    let batch_out: Vec<usize> = (0..out_rank)
        .filter(|i| !d.offset_dims.contains(i))
        .collect();
    let mut out_shape = vec![0; out_rank];
    for (j, &od) in d.offset_dims.iter().enumerate() {
        out_shape[od] = slice[kept[j]];
    }
    for (i, &bd) in batch_out.iter().enumerate() {
        out_shape[bd] = ishape[i];
    }
    let n: usize = out_shape.iter().product();
    let mut out = Vec::with_capacity(n);
    for f in 0..n {
        let o = unflat(f, &out_shape);
        let g: Vec<usize> = batch_out.iter().map(|&b| o[b]).collect();
        let start = ref_start(
            oshape,
            idx,
            ishape,
            &g,
            &d.start_index_map,
            &d.operand_batching_dims,
            &d.start_indices_batching_dims,
            slice,
            mode != Mode::FillOrDrop,
        );
        match start {
            None => out.push(fill),
            Some(mut s) => {
                for (j, &od) in d.offset_dims.iter().enumerate() {
                    s[kept[j]] += o[od];
                }
                out.push(x[flat(&s, oshape)]);
            }
        }
    }
    (out, out_shape)
}

/// XLA scatter with add, element by element.
#[allow(clippy::too_many_arguments)]
fn ref_scatter_add(
    x: &[f64],
    oshape: &[usize],
    idx: &[i64],
    ishape: &[usize],
    u: &[f64],
    ushape: &[usize],
    d: &Sdn,
    mode: Mode,
) -> Vec<f64> {
    let rank = oshape.len();
    let kept = kept_dims(rank, &d.inserted_window_dims, &d.operand_batching_dims);
    let mut window = vec![1; rank];
    for (j, &ud) in d.update_window_dims.iter().enumerate() {
        window[kept[j]] = ushape[ud];
    }
    let scatter_dims: Vec<usize> = (0..ushape.len())
        .filter(|i| !d.update_window_dims.contains(i))
        .collect();
    let mut out = x.to_vec();
    for (f, &v) in u.iter().enumerate() {
        let ui = unflat(f, ushape);
        let g: Vec<usize> = scatter_dims.iter().map(|&s| ui[s]).collect();
        let start = ref_start(
            oshape,
            idx,
            ishape,
            &g,
            &d.scatter_dims_to_operand_dims,
            &d.operand_batching_dims,
            &d.scatter_indices_batching_dims,
            &window,
            mode == Mode::Clip,
        );
        if let Some(mut s) = start {
            for (j, &ud) in d.update_window_dims.iter().enumerate() {
                s[kept[j]] += ui[ud];
            }
            out[flat(&s, oshape)] += v;
        }
    }
    out
}

fn f64s(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape)
}

fn i32s(v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.iter().map(|&x| x as i32).collect(), shape)
}

fn iota_f32(n: usize, shape: &[usize]) -> Tensor {
    Tensor::from_vec((0..n).map(|i| i as f32).collect(), shape)
}

fn take0() -> Gdn {
    gdn(&[], &[0], &[0], &[], &[])
}

// ------------------------------------------------------------------------------------------
// dynamic_slice / dynamic_update_slice
// ------------------------------------------------------------------------------------------

#[test]
fn dynamic_slice_in_bounds_and_clamped_at_both_ends() {
    let x = Tensor::arange(0, 5, 1, DType::I32);
    let ds = |s: i32| lax::dynamic_slice(&x, &[Tensor::scalar(s)], &[2]).to_vec::<i32>();
    assert_eq!(ds(1), vec![1, 2]);
    assert_eq!(ds(3), vec![3, 4]);
    assert_eq!(ds(4), vec![3, 4]); // clamped to size - slice_size = 3
    assert_eq!(ds(100), vec![3, 4]);
    assert_eq!(ds(-1), vec![0, 1]); // clamped to 0
    assert_eq!(ds(i32::MIN), vec![0, 1]);
}

#[test]
fn dynamic_slice_matrix_with_u32_starts() {
    // x[i, j] = 10 * i + j, shape [3, 4]
    let x = Tensor::from_vec(
        (0..12).map(|f| (10 * (f / 4) + f % 4) as f32).collect(),
        &[3, 4],
    );
    let y = lax::dynamic_slice(&x, &[Tensor::scalar(2u32), Tensor::scalar(1u32)], &[2, 2]);
    assert_eq!(y.shape(), &[2, 2]);
    // start row 2 is clamped to 1.
    assert_eq!(y.to_vec::<f32>(), vec![11.0, 12.0, 21.0, 22.0]);
    let y = lax::dynamic_slice(
        &x,
        &[Tensor::scalar(0u32), Tensor::scalar(u32::MAX)],
        &[3, 1],
    );
    assert_eq!(y.to_vec::<f32>(), vec![3.0, 13.0, 23.0]);
}

#[test]
fn dynamic_slice_zero_sizes_and_scalars() {
    let x = Tensor::arange(0, 5, 1, DType::F32);
    let y = lax::dynamic_slice(&x, &[Tensor::scalar(7i32)], &[0]);
    assert_eq!(y.shape(), &[0]);
    let s = Tensor::scalar(3.5f64);
    let y = lax::dynamic_slice(&s, &[], &[]);
    assert_eq!(y.item::<f64>(), 3.5);
    let y = lax::dynamic_update_slice(&s, &Tensor::scalar(1.0f64), &[]);
    assert_eq!(y.item::<f64>(), 1.0);
}

#[test]
fn dynamic_update_slice_clamps() {
    let x = Tensor::zeros(&[5], DType::I32);
    let upd = Tensor::from_vec(vec![7, 8], &[2]);
    let dus = |s: i32| lax::dynamic_update_slice(&x, &upd, &[Tensor::scalar(s)]).to_vec::<i32>();
    assert_eq!(dus(1), vec![0, 7, 8, 0, 0]);
    assert_eq!(dus(4), vec![0, 0, 0, 7, 8]);
    assert_eq!(dus(-3), vec![7, 8, 0, 0, 0]);

    let x = Tensor::zeros(&[3, 3], DType::F32);
    let upd = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    let y = lax::dynamic_update_slice(&x, &upd, &[Tensor::scalar(5u32), Tensor::scalar(0u32)]);
    assert_eq!(
        y.to_vec::<f32>(),
        vec![0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 3.0, 4.0, 0.0]
    );
    // bool works too
    let b = Tensor::from_vec(vec![false; 3], &[3]);
    let y = lax::dynamic_update_slice(
        &b,
        &Tensor::from_vec(vec![true], &[1]),
        &[Tensor::scalar(1i32)],
    );
    assert_eq!(y.to_vec::<bool>(), vec![false, true, false]);
}

#[test]
fn dynamic_slice_prints_like_jax() {
    let f = |(x, i): &(Tensor, Tensor)| lax::dynamic_slice(x, std::slice::from_ref(i), &[2]);
    let j = make_jaxpr(f)(&(Tensor::zeros(&[3], DType::F32), Tensor::scalar(0i32)));
    let expected = "\
{ lambda ; a:f32[3] b:i32[]. let
    c:f32[2] = dynamic_slice[slice_sizes=(2,)] a b
  in (c,) }";
    assert_eq!(j.to_string(), expected);
}

#[test]
#[should_panic(expected = "dynamic_slice")]
fn dynamic_slice_rejects_oversized_slice() {
    lax::dynamic_slice(
        &Tensor::zeros(&[3], DType::F32),
        &[Tensor::scalar(0i32)],
        &[4],
    );
}

#[test]
#[should_panic(expected = "dynamic_slice")]
fn dynamic_slice_rejects_float_start() {
    lax::dynamic_slice(
        &Tensor::zeros(&[3], DType::F32),
        &[Tensor::scalar(0.0f32)],
        &[1],
    );
}

#[test]
#[should_panic(expected = "dynamic_slice")]
fn dynamic_slice_rejects_wrong_start_count() {
    lax::dynamic_slice(
        &Tensor::zeros(&[3, 2], DType::F32),
        &[Tensor::scalar(0i32)],
        &[1, 1],
    );
}

#[test]
#[should_panic(expected = "dynamic_slice")]
fn dynamic_slice_rejects_mixed_index_dtypes() {
    let starts = [Tensor::scalar(0i32), Tensor::scalar(0u32)];
    lax::dynamic_slice(&Tensor::zeros(&[3, 2], DType::F32), &starts, &[1, 1]);
}

#[test]
#[should_panic(expected = "dynamic_update_slice")]
fn dynamic_update_slice_rejects_dtype_mismatch() {
    let x = Tensor::zeros(&[3], DType::F32);
    lax::dynamic_update_slice(
        &x,
        &Tensor::zeros(&[1], DType::I32),
        &[Tensor::scalar(0i32)],
    );
}

#[test]
#[should_panic(expected = "dynamic_update_slice")]
fn dynamic_update_slice_rejects_oversized_update() {
    let x = Tensor::zeros(&[3], DType::F32);
    lax::dynamic_update_slice(
        &x,
        &Tensor::zeros(&[4], DType::F32),
        &[Tensor::scalar(0i32)],
    );
}

// ------------------------------------------------------------------------------------------
// gather
// ------------------------------------------------------------------------------------------

#[test]
fn gather_take_1d() {
    let x = Tensor::from_vec(vec![10.0f32, 11.0, 12.0], &[3]);
    let idx = Tensor::from_vec(vec![0, 1, 1, 2, 2, 2], &[6, 1]);
    let y = lax::gather(&x, &idx, take0(), &[1], Mode::PromiseInBounds);
    assert_eq!(y.to_vec::<f32>(), vec![10.0, 11.0, 11.0, 12.0, 12.0, 12.0]);
}

#[test]
fn gather_take_rows_axis0() {
    let x = iota_f32(12, &[3, 4]);
    let idx = Tensor::from_vec(vec![2, 0], &[2, 1]);
    let y = lax::gather(
        &x,
        &idx,
        gdn(&[1], &[0], &[0], &[], &[]),
        &[1, 4],
        Mode::Clip,
    );
    assert_eq!(y.shape(), &[2, 4]);
    assert_eq!(
        y.to_vec::<f32>(),
        vec![8.0, 9.0, 10.0, 11.0, 0.0, 1.0, 2.0, 3.0]
    );
}

#[test]
fn gather_take_columns_axis1() {
    let x = iota_f32(12, &[3, 4]);
    let idx = Tensor::from_vec(vec![3, 1], &[2, 1]);
    let y = lax::gather(
        &x,
        &idx,
        gdn(&[0], &[1], &[1], &[], &[]),
        &[3, 1],
        Mode::Clip,
    );
    assert_eq!(y.shape(), &[3, 2]);
    assert_eq!(y.to_vec::<f32>(), vec![3.0, 1.0, 7.0, 5.0, 11.0, 9.0]);
    // The same with the batch dim first in the output.
    let y = lax::gather(
        &x,
        &idx,
        gdn(&[1], &[1], &[1], &[], &[]),
        &[3, 1],
        Mode::Clip,
    );
    assert_eq!(y.shape(), &[2, 3]);
    assert_eq!(y.to_vec::<f32>(), vec![3.0, 7.0, 11.0, 1.0, 5.0, 9.0]);
}

#[test]
fn gather_2d_windows_with_clamping() {
    // x[i, j] = 10 * i + j, shape [4, 5]; windows of 2x3 at (row, col) starts.
    let xv: Vec<f64> = (0..20).map(|f| (10 * (f / 5) + f % 5) as f64).collect();
    let x = f64s(&xv, &[4, 5]);
    let starts = [0i64, 0, 1, 2, 3, 4, -2, 1];
    let idx = i32s(&starts, &[4, 2]);
    let d = gdn(&[1, 2], &[], &[0, 1], &[], &[]);
    let y = lax::gather(&x, &idx, d.clone(), &[2, 3], Mode::Clip);
    assert_eq!(y.shape(), &[4, 2, 3]);
    let got = y.to_vec::<f64>();
    assert_eq!(&got[..6], &[0.0, 1.0, 2.0, 10.0, 11.0, 12.0]);
    assert_eq!(&got[6..12], &[12.0, 13.0, 14.0, 22.0, 23.0, 24.0]);
    // (3, 4) clamps to (2, 2).
    assert_eq!(&got[12..18], &[22.0, 23.0, 24.0, 32.0, 33.0, 34.0]);
    // (-2, 1) clamps to (0, 1).
    assert_eq!(&got[18..], &[1.0, 2.0, 3.0, 11.0, 12.0, 13.0]);
    let (want, shape) = ref_gather(
        &xv,
        &[4, 5],
        &starts,
        &[4, 2],
        &d,
        &[2, 3],
        Mode::Clip,
        f64::NAN,
    );
    assert_eq!(shape, vec![4, 2, 3]);
    assert_eq!(got, want);
    // Offset dims need not be trailing: put the batch dim in the middle.
    let d = gdn(&[0, 2], &[], &[0, 1], &[], &[]);
    let y = lax::gather(&x, &idx, d.clone(), &[2, 3], Mode::Clip);
    assert_eq!(y.shape(), &[2, 4, 3]);
    let (want, _) = ref_gather(
        &xv,
        &[4, 5],
        &starts,
        &[4, 2],
        &d,
        &[2, 3],
        Mode::Clip,
        f64::NAN,
    );
    assert_eq!(y.to_vec::<f64>(), want);
}

#[test]
fn gather_with_batching_dims_per_row_index() {
    // operand [B, N], indices [B, 1]: out[b] = x[b, idx[b]] (take_along_axis).
    let x = iota_f32(12, &[3, 4]);
    let idx = Tensor::from_vec(vec![3, 0, 2], &[3, 1]);
    let d = gdn(&[], &[1], &[1], &[0], &[0]);
    let y = lax::gather(&x, &idx, d, &[1, 1], Mode::Clip);
    assert_eq!(y.shape(), &[3]);
    assert_eq!(y.to_vec::<f32>(), vec![3.0, 4.0, 10.0]);
}

#[test]
fn gather_with_batching_dim_not_leading_in_indices() {
    // indices [K=2, B=3, 1] with start_indices_batching_dims=(1,): out[k, b] = x[b, idx[k, b]].
    let xv: Vec<f64> = (0..12).map(|v| v as f64).collect();
    let x = f64s(&xv, &[3, 4]);
    let iv = [0i64, 1, 2, 3, 3, 3];
    let idx = i32s(&iv, &[2, 3, 1]);
    let d = gdn(&[], &[1], &[1], &[0], &[1]);
    let y = lax::gather(&x, &idx, d.clone(), &[1, 1], Mode::Clip);
    assert_eq!(y.shape(), &[2, 3]);
    assert_eq!(y.to_vec::<f64>(), vec![0.0, 5.0, 10.0, 3.0, 7.0, 11.0]);
    let (want, _) = ref_gather(
        &xv,
        &[3, 4],
        &iv,
        &[2, 3, 1],
        &d,
        &[1, 1],
        Mode::Clip,
        f64::NAN,
    );
    assert_eq!(y.to_vec::<f64>(), want);
    // Batching with an offset dim kept: operand [B=2, N=3, C=2], rows gathered per batch.
    let xv: Vec<f64> = (0..12).map(|v| v as f64).collect();
    let x = f64s(&xv, &[2, 3, 2]);
    let iv = [2i64, 0, 1, 1];
    let idx = i32s(&iv, &[2, 2, 1]); // [B, K, 1]
    let d = gdn(&[2], &[1], &[1], &[0], &[0]);
    let y = lax::gather(&x, &idx, d.clone(), &[1, 1, 2], Mode::Clip);
    assert_eq!(y.shape(), &[2, 2, 2]);
    let (want, _) = ref_gather(
        &xv,
        &[2, 3, 2],
        &iv,
        &[2, 2, 1],
        &d,
        &[1, 1, 2],
        Mode::Clip,
        f64::NAN,
    );
    assert_eq!(y.to_vec::<f64>(), want);
    assert_eq!(want, vec![4.0, 5.0, 0.0, 1.0, 8.0, 9.0, 8.0, 9.0]);
}

#[test]
fn gather_out_of_bounds_clip_vs_fill() {
    let x = Tensor::from_vec(vec![10.0f32, 11.0, 12.0], &[3]);
    let idx = Tensor::from_vec(vec![-1, 0, 2, 3, 100, i32::MIN], &[6, 1]);
    let clip = lax::gather(&x, &idx, take0(), &[1], Mode::Clip).to_vec::<f32>();
    assert_eq!(clip, vec![10.0, 10.0, 12.0, 12.0, 12.0, 10.0]);
    let pib = lax::gather(&x, &idx, take0(), &[1], Mode::PromiseInBounds).to_vec::<f32>();
    assert_eq!(pib, clip);
    let fill = lax::gather(&x, &idx, take0(), &[1], Mode::FillOrDrop).to_vec::<f32>();
    assert!(fill[0].is_nan());
    assert_eq!(&fill[1..3], &[10.0, 12.0]);
    assert!(fill[3..].iter().all(|v| v.is_nan()));
}

#[test]
fn gather_fill_drops_whole_window() {
    // A window of 2 starting at 2 in a size-3 array sticks out: FILL_OR_DROP fills all of it,
    // CLIP shifts it to start 1.
    let x = Tensor::from_vec(vec![1, 2, 3], &[3]);
    let idx = Tensor::from_vec(vec![2, 1], &[2, 1]);
    let d = gdn(&[1], &[], &[0], &[], &[]);
    let fill = lax::gather(&x, &idx, d.clone(), &[2], Mode::FillOrDrop).to_vec::<i32>();
    assert_eq!(fill, vec![i32::MIN, i32::MIN, 2, 3]);
    let clip = lax::gather(&x, &idx, d, &[2], Mode::Clip).to_vec::<i32>();
    assert_eq!(clip, vec![2, 3, 2, 3]);
}

#[test]
fn gather_fill_values_per_dtype() {
    // lax.gather's default fill: NaN (inexact), INT_MIN (signed), UINT_MAX (unsigned), True.
    let idx = Tensor::from_vec(vec![5, 0], &[2, 1]);
    let g = |x: &Tensor| lax::gather(x, &idx, take0(), &[1], Mode::FillOrDrop);
    let y = g(&Tensor::from_vec(vec![1.0f64, 2.0], &[2])).to_vec::<f64>();
    assert!(y[0].is_nan() && y[1] == 1.0);
    assert_eq!(
        g(&Tensor::from_vec(vec![1i32, 2], &[2])).to_vec::<i32>(),
        vec![i32::MIN, 1]
    );
    assert_eq!(
        g(&Tensor::from_vec(vec![1u32, 2], &[2])).to_vec::<u32>(),
        vec![u32::MAX, 1]
    );
    assert_eq!(
        g(&Tensor::from_vec(vec![false, false], &[2])).to_vec::<bool>(),
        vec![true, false]
    );
}

#[test]
fn gather_u32_indices() {
    let x = Tensor::from_vec(vec![10.0f32, 11.0, 12.0], &[3]);
    let idx = Tensor::from_vec(vec![2u32, u32::MAX, 0], &[3, 1]);
    let clip = lax::gather(&x, &idx, take0(), &[1], Mode::Clip).to_vec::<f32>();
    assert_eq!(clip, vec![12.0, 12.0, 10.0]);
    let fill = lax::gather(&x, &idx, take0(), &[1], Mode::FillOrDrop).to_vec::<f32>();
    assert!(fill[1].is_nan() && fill[0] == 12.0 && fill[2] == 10.0);
}

#[test]
fn gather_empty_indices_and_scalar_operand() {
    let x = Tensor::from_vec(vec![10.0f32, 11.0, 12.0], &[3]);
    let idx = Tensor::from_vec(Vec::<i32>::new(), &[0, 1]);
    let y = lax::gather(&x, &idx, take0(), &[1], Mode::FillOrDrop);
    assert_eq!(y.shape(), &[0]);
    // Empty index vector: every "batch" reads the same full-size window.
    let idx = Tensor::from_vec(Vec::<i32>::new(), &[2, 0]);
    let y = lax::gather(&x, &idx, gdn(&[1], &[], &[], &[], &[]), &[3], Mode::Clip);
    assert_eq!(y.shape(), &[2, 3]);
    assert_eq!(y.to_vec::<f32>(), vec![10.0, 11.0, 12.0, 10.0, 11.0, 12.0]);
    // 0-d operand, index vectors of length 0.
    let s = Tensor::scalar(7i32);
    let idx = Tensor::from_vec(Vec::<i32>::new(), &[3, 0]);
    let y = lax::gather(
        &s,
        &idx,
        gdn(&[], &[], &[], &[], &[]),
        &[],
        Mode::FillOrDrop,
    );
    assert_eq!(y.to_vec::<i32>(), vec![7, 7, 7]);
    let idx = Tensor::from_vec(Vec::<i32>::new(), &[0]);
    let y = lax::gather(&s, &idx, gdn(&[], &[], &[], &[], &[]), &[], Mode::Clip);
    assert_eq!(y.shape(), &[] as &[usize]);
    assert_eq!(y.item::<i32>(), 7);
}

#[test]
fn gather_prints_like_jax_take() {
    // The gather eqn JAX 0.10.2 prints for `x[idx]` (its jaxpr of `jnp.take`),
    // with the index preprocessing done outside.
    let f = |(x, i): &(Tensor, Tensor)| lax::gather(x, i, take0(), &[1], Mode::PromiseInBounds);
    let j = make_jaxpr(f)(&(
        Tensor::zeros(&[3], DType::F32),
        Tensor::zeros(&[2, 1], DType::I32),
    ));
    let expected = "\
{ lambda ; a:f32[3] b:i32[2,1]. let
    c:f32[2] = gather[
      dimension_numbers=GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0,), start_index_map=(0,), operand_batching_dims=(), start_indices_batching_dims=())
      fill_value=None
      indices_are_sorted=False
      mode=GatherScatterMode.PROMISE_IN_BOUNDS
      slice_sizes=(1,)
      unique_indices=False
    ] a b
  in (c,) }";
    assert_eq!(j.to_string(), expected);
    let f = |(x, i): &(Tensor, Tensor)| lax::gather(x, i, take0(), &[1], Mode::Clip);
    let j = make_jaxpr(f)(&(
        Tensor::zeros(&[3], DType::F32),
        Tensor::zeros(&[2, 1], DType::I32),
    ));
    assert!(
        j.to_string().contains("mode=GatherScatterMode.CLIP\n"),
        "{j}"
    );
    let f = |(x, i): &(Tensor, Tensor)| lax::gather(x, i, take0(), &[1], Mode::FillOrDrop);
    let j = make_jaxpr(f)(&(
        Tensor::zeros(&[3], DType::F32),
        Tensor::zeros(&[2, 1], DType::I32),
    ));
    assert!(
        j.to_string()
            .contains("mode=GatherScatterMode.FILL_OR_DROP\n"),
        "{j}"
    );
}

#[test]
#[should_panic(expected = "gather")]
fn gather_rejects_float_indices() {
    let x = Tensor::zeros(&[3], DType::F32);
    lax::gather(
        &x,
        &Tensor::zeros(&[2, 1], DType::F32),
        take0(),
        &[1],
        Mode::Clip,
    );
}

#[test]
#[should_panic(expected = "Gather op can only collapse slice dims with bound 1")]
fn gather_rejects_collapsing_wide_slice() {
    let x = Tensor::zeros(&[3], DType::F32);
    lax::gather(
        &x,
        &Tensor::zeros(&[2, 1], DType::I32),
        take0(),
        &[2],
        Mode::Clip,
    );
}

#[test]
#[should_panic(expected = "Gather op has 2 elements in start_index_map")]
fn gather_rejects_index_vector_length_mismatch() {
    let x = Tensor::zeros(&[3, 3], DType::F32);
    let d = gdn(&[], &[0, 1], &[0, 1], &[], &[]);
    lax::gather(
        &x,
        &Tensor::zeros(&[2, 1], DType::I32),
        d,
        &[1, 1],
        Mode::Clip,
    );
}

#[test]
#[should_panic(expected = "Slice size at index 0 in gather op is out of range")]
fn gather_rejects_oversized_slice() {
    let x = Tensor::zeros(&[3], DType::F32);
    let d = gdn(&[1], &[], &[0], &[], &[]);
    lax::gather(&x, &Tensor::zeros(&[2, 1], DType::I32), d, &[4], Mode::Clip);
}

#[test]
#[should_panic(expected = "offset_dims in gather op must be sorted")]
fn gather_rejects_unsorted_offset_dims() {
    let x = Tensor::zeros(&[3, 3], DType::F32);
    let d = gdn(&[2, 1], &[], &[0], &[], &[]);
    lax::gather(
        &x,
        &Tensor::zeros(&[2, 1], DType::I32),
        d,
        &[1, 1],
        Mode::Clip,
    );
}

#[test]
#[should_panic(expected = "must be disjoint")]
fn gather_rejects_overlapping_batching_and_start_dims() {
    let x = Tensor::zeros(&[3, 4], DType::F32);
    let d = gdn(&[], &[1], &[0], &[0], &[0]);
    lax::gather(
        &x,
        &Tensor::zeros(&[3, 1], DType::I32),
        d,
        &[1, 1],
        Mode::Clip,
    );
}

#[test]
#[should_panic(expected = "batching dimensions to have the same shape")]
fn gather_rejects_batch_size_mismatch() {
    let x = Tensor::zeros(&[3, 4], DType::F32);
    let d = gdn(&[], &[1], &[1], &[0], &[0]);
    lax::gather(
        &x,
        &Tensor::zeros(&[2, 1], DType::I32),
        d,
        &[1, 1],
        Mode::Clip,
    );
}

#[test]
#[should_panic(expected = "gather")]
fn gather_rejects_scalar_indices() {
    let x = Tensor::zeros(&[3], DType::F32);
    lax::gather(&x, &Tensor::scalar(0i32), take0(), &[1], Mode::Clip);
}

#[test]
#[should_panic(expected = "must have one slice size for every input dimension")]
fn gather_rejects_wrong_slice_rank() {
    let x = Tensor::zeros(&[3], DType::F32);
    lax::gather(
        &x,
        &Tensor::zeros(&[2, 1], DType::I32),
        take0(),
        &[1, 1],
        Mode::Clip,
    );
}

// ------------------------------------------------------------------------------------------
// scatter-add
// ------------------------------------------------------------------------------------------

fn scatter0() -> Sdn {
    sdn(&[], &[0], &[0], &[], &[])
}

#[test]
fn scatter_add_duplicates_accumulate() {
    let x = Tensor::from_vec(vec![1.0f32, 1.0, 1.0, 1.0], &[4]);
    let idx = Tensor::from_vec(vec![2, 0, 2, 2], &[4, 1]);
    let u = Tensor::from_vec(vec![1.0f32, 10.0, 100.0, 1000.0], &[4]);
    let y = lax::scatter_add(&x, &idx, &u, scatter0(), Mode::FillOrDrop);
    assert_eq!(y.to_vec::<f32>(), vec![11.0, 1.0, 1102.0, 1.0]);
    // integers too
    let x = Tensor::zeros(&[3], DType::I32);
    let u = Tensor::from_vec(vec![1, 2, 3, 4], &[4]);
    let idx = Tensor::from_vec(vec![1u32, 1, 0, 1], &[4, 1]);
    let y = lax::scatter_add(&x, &idx, &u, scatter0(), Mode::Clip);
    assert_eq!(y.to_vec::<i32>(), vec![3, 7, 0]);
}

#[test]
fn scatter_add_out_of_bounds_drop_vs_clip() {
    let x = Tensor::zeros(&[3], DType::F64);
    let idx = Tensor::from_vec(vec![-1, 3, 1, 100], &[4, 1]);
    let u = Tensor::from_vec(vec![1.0f64, 2.0, 4.0, 8.0], &[4]);
    let drop = lax::scatter_add(&x, &idx, &u, scatter0(), Mode::FillOrDrop).to_vec::<f64>();
    assert_eq!(drop, vec![0.0, 4.0, 0.0]);
    // PROMISE_IN_BOUNDS does what XLA does out of bounds: drop.
    let pib = lax::scatter_add(&x, &idx, &u, scatter0(), Mode::PromiseInBounds).to_vec::<f64>();
    assert_eq!(pib, drop);
    let clip = lax::scatter_add(&x, &idx, &u, scatter0(), Mode::Clip).to_vec::<f64>();
    assert_eq!(clip, vec![1.0, 4.0, 10.0]);
}

#[test]
fn scatter_add_row_windows() {
    // Add rows of updates into rows of a [3, 2] matrix.
    let x = Tensor::zeros(&[3, 2], DType::F32);
    let idx = Tensor::from_vec(vec![2, 0, 2], &[3, 1]);
    let u = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    let d = sdn(&[1], &[0], &[0], &[], &[]);
    let y = lax::scatter_add(&x, &idx, &u, d, Mode::FillOrDrop);
    assert_eq!(y.to_vec::<f32>(), vec![3.0, 4.0, 0.0, 0.0, 6.0, 8.0]);
}

#[test]
fn scatter_add_partial_window_dropped_or_clamped() {
    // Windows of 2 into a size-4 vector: start 3 sticks out.
    let x = Tensor::zeros(&[4], DType::F32);
    let idx = Tensor::from_vec(vec![3, 0], &[2, 1]);
    let u = Tensor::from_vec(vec![1.0f32, 2.0, 10.0, 20.0], &[2, 2]);
    let d = sdn(&[1], &[], &[0], &[], &[]);
    let drop = lax::scatter_add(&x, &idx, &u, d.clone(), Mode::FillOrDrop).to_vec::<f32>();
    assert_eq!(drop, vec![10.0, 20.0, 0.0, 0.0]);
    let clip = lax::scatter_add(&x, &idx, &u, d, Mode::Clip).to_vec::<f32>();
    assert_eq!(clip, vec![10.0, 20.0, 1.0, 2.0]);
}

#[test]
fn scatter_add_2d_windows_match_reference() {
    let xv: Vec<f64> = (0..20).map(|v| v as f64).collect();
    let iv = [0i64, 0, 1, 2, 3, 4, -2, 1, 1, 2];
    let uv: Vec<f64> = (0..30).map(|v| (v * v) as f64).collect();
    for mode in [Mode::Clip, Mode::FillOrDrop, Mode::PromiseInBounds] {
        let d = sdn(&[1, 2], &[], &[0, 1], &[], &[]);
        let y = lax::scatter_add(
            &f64s(&xv, &[4, 5]),
            &i32s(&iv, &[5, 2]),
            &f64s(&uv, &[5, 2, 3]),
            d.clone(),
            mode,
        );
        let want = ref_scatter_add(&xv, &[4, 5], &iv, &[5, 2], &uv, &[5, 2, 3], &d, mode);
        assert_eq!(y.to_vec::<f64>(), want, "{mode:?}");
    }
}

#[test]
fn scatter_add_with_batching_dims() {
    // operand [B, N], indices [B, 1]: out[b, idx[b]] += u[b].
    let x = Tensor::zeros(&[3, 4], DType::F32);
    let idx = Tensor::from_vec(vec![3, 0, 2], &[3, 1]);
    let u = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let d = sdn(&[], &[1], &[1], &[0], &[0]);
    let y = lax::scatter_add(&x, &idx, &u, d, Mode::FillOrDrop);
    let mut want = vec![0.0f32; 12];
    want[3] = 1.0;
    want[4] = 2.0;
    want[4 * 2 + 2] = 3.0;
    assert_eq!(y.to_vec::<f32>(), want);
    // indices [K=2, B=3, 1] with scatter_indices_batching_dims=(1,)
    let xv = vec![0.0; 12];
    let iv = [0i64, 1, 2, 3, 1, 9];
    let uv = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let d = sdn(&[], &[1], &[1], &[0], &[1]);
    let y = lax::scatter_add(
        &f64s(&xv, &[3, 4]),
        &i32s(&iv, &[2, 3, 1]),
        &f64s(&uv, &[2, 3]),
        d.clone(),
        Mode::FillOrDrop,
    );
    let want = ref_scatter_add(
        &xv,
        &[3, 4],
        &iv,
        &[2, 3, 1],
        &uv,
        &[2, 3],
        &d,
        Mode::FillOrDrop,
    );
    assert_eq!(y.to_vec::<f64>(), want);
    assert_eq!(
        want,
        vec![1.0, 0.0, 0.0, 4.0, 0.0, 7.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0]
    );
}

#[test]
fn scatter_add_empty_and_scalar() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    let idx = Tensor::from_vec(Vec::<i32>::new(), &[0, 1]);
    let u = Tensor::from_vec(Vec::<f32>::new(), &[0]);
    let y = lax::scatter_add(&x, &idx, &u, scatter0(), Mode::FillOrDrop);
    assert_eq!(y.to_vec::<f32>(), vec![1.0, 2.0]);
    // 0-d operand: three updates with empty index vectors all land on the scalar.
    let s = Tensor::scalar(1.0f32);
    let idx = Tensor::from_vec(Vec::<i32>::new(), &[3, 0]);
    let u = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let y = lax::scatter_add(&s, &idx, &u, sdn(&[], &[], &[], &[], &[]), Mode::FillOrDrop);
    assert_eq!(y.item::<f32>(), 7.0);
}

#[test]
fn scatter_add_prints_like_jax() {
    let f = |(x, i, u): &(Tensor, Tensor, Tensor)| {
        lax::scatter_add(x, i, u, scatter0(), Mode::FillOrDrop)
    };
    let args = (
        Tensor::zeros(&[3], DType::F32),
        Tensor::zeros(&[2, 1], DType::I32),
        Tensor::zeros(&[2], DType::F32),
    );
    let j = make_jaxpr(f)(&args);
    let expected = "\
{ lambda ; a:f32[3] b:i32[2,1] c:f32[2]. let
    d:f32[3] = scatter-add[
      dimension_numbers=ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,), operand_batching_dims=(), scatter_indices_batching_dims=())
      indices_are_sorted=False
      mode=GatherScatterMode.FILL_OR_DROP
      unique_indices=False
      update_consts=()
      update_jaxpr={ lambda ; e:f32[] f:f32[]. let g:f32[] = add e f in (g,) }
    ] a b c
  in (d,) }";
    assert_eq!(j.to_string(), expected);
}

#[test]
#[should_panic(expected = "scatter")]
fn scatter_add_rejects_bool() {
    let x = Tensor::from_vec(vec![false; 3], &[3]);
    let u = Tensor::from_vec(vec![true], &[1]);
    lax::scatter_add(
        &x,
        &Tensor::zeros(&[1, 1], DType::I32),
        &u,
        scatter0(),
        Mode::Clip,
    );
}

#[test]
#[should_panic(expected = "scatter")]
fn scatter_add_rejects_dtype_mismatch() {
    let x = Tensor::zeros(&[3], DType::F32);
    let u = Tensor::zeros(&[1], DType::F64);
    lax::scatter_add(
        &x,
        &Tensor::zeros(&[1, 1], DType::I32),
        &u,
        scatter0(),
        Mode::Clip,
    );
}

#[test]
#[should_panic(expected = "Updates tensor must be of rank 1; got 2.")]
fn scatter_add_rejects_updates_rank() {
    let x = Tensor::zeros(&[3], DType::F32);
    let u = Tensor::zeros(&[1, 1], DType::F32);
    lax::scatter_add(
        &x,
        &Tensor::zeros(&[1, 1], DType::I32),
        &u,
        scatter0(),
        Mode::Clip,
    );
}

#[test]
#[should_panic(expected = "Bounds of the scatter dimensions of updates must be the same")]
fn scatter_add_rejects_update_count_mismatch() {
    let x = Tensor::zeros(&[3], DType::F32);
    let u = Tensor::zeros(&[2], DType::F32);
    lax::scatter_add(
        &x,
        &Tensor::zeros(&[3, 1], DType::I32),
        &u,
        scatter0(),
        Mode::Clip,
    );
}

#[test]
#[should_panic(expected = "Bounds of the window dimensions of updates must not exceed")]
fn scatter_add_rejects_oversized_window() {
    let x = Tensor::zeros(&[3], DType::F32);
    let u = Tensor::zeros(&[1, 4], DType::F32);
    let d = sdn(&[1], &[], &[0], &[], &[]);
    lax::scatter_add(&x, &Tensor::zeros(&[1, 1], DType::I32), &u, d, Mode::Clip);
}

#[test]
#[should_panic(expected = "Scatter op has window of size 1; doesn't match operand of rank 2.")]
fn scatter_add_rejects_window_rank() {
    let x = Tensor::zeros(&[3, 2], DType::F32);
    let u = Tensor::zeros(&[1], DType::F32);
    lax::scatter_add(
        &x,
        &Tensor::zeros(&[1, 1], DType::I32),
        &u,
        scatter0(),
        Mode::Clip,
    );
}

// ------------------------------------------------------------------------------------------
// Property tests
// ------------------------------------------------------------------------------------------

/// A random gather case and its index values, from `seed`.
fn random_case(seed: u64, in_bounds: bool) -> Case {
    random_indexed_gather(&mut Rng(seed), in_bounds)
}

fn values(seed: u64, n: usize) -> Vec<f64> {
    let mut r = Rng(seed ^ 0x5555);
    (0..n).map(|_| r.range(-50, 50) as f64 / 4.0).collect()
}

fn run_gather(c: &Case, x: &[f64], mode: Mode) -> Tensor {
    lax::gather(
        &f64s(x, &c.oshape),
        &i32s(&c.idx, &c.ishape),
        c.d.clone(),
        &c.slice,
        mode,
    )
}

const MODES: [Mode; 3] = [Mode::Clip, Mode::FillOrDrop, Mode::PromiseInBounds];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn prop_gather_in_bounds_matches_reference(seed in any::<u64>()) {
        let c = random_case(seed, true);
        let x = values(seed, c.oshape.iter().product());
        for mode in MODES {
            let y = run_gather(&c, &x, mode);
            let (want, shape) = ref_gather(&x, &c.oshape, &c.idx, &c.ishape, &c.d, &c.slice, mode, f64::NAN);
            prop_assert_eq!(y.shape(), &shape[..]);
            prop_assert_eq!(y.to_vec::<f64>(), want);
        }
    }

    #[test]
    fn prop_gather_any_indices_matches_reference(seed in any::<u64>()) {
        let c = random_case(seed, false);
        let x = values(seed, c.oshape.iter().product());
        for mode in MODES {
            let got = run_gather(&c, &x, mode).to_vec::<f64>();
            let (want, _) = ref_gather(&x, &c.oshape, &c.idx, &c.ishape, &c.d, &c.slice, mode, f64::NAN);
            prop_assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                prop_assert!(g == w || (g.is_nan() && w.is_nan()), "{:?}: {:?} vs {:?}", mode, got, want);
            }
        }
    }

    #[test]
    fn prop_scatter_add_matches_reference(seed in any::<u64>(), in_bounds in any::<bool>()) {
        let c = random_case(seed, in_bounds);
        let x = values(seed, c.oshape.iter().product());
        let (_, ushape) = ref_gather(&x, &c.oshape, &c.idx, &c.ishape, &c.d, &c.slice, Mode::Clip, 0.0);
        let u = values(seed.rotate_left(17), ushape.iter().product());
        let d = mirror(&c.d);
        for mode in MODES {
            let y = lax::scatter_add(&f64s(&x, &c.oshape), &i32s(&c.idx, &c.ishape), &f64s(&u, &ushape), d.clone(), mode);
            let want = ref_scatter_add(&x, &c.oshape, &c.idx, &c.ishape, &u, &ushape, &d, mode);
            prop_assert_eq!(y.to_vec::<f64>(), want);
        }
    }

    /// scatter-add is gather's transpose: <gather(x, idx), u> == <x, scatter_add(0, idx, u)>.
    /// Holds for in-bounds indices in every mode, and for any indices under CLIP (both clamp
    /// the same way).
    #[test]
    fn prop_scatter_add_is_gather_adjoint(seed in any::<u64>(), in_bounds in any::<bool>()) {
        let c = random_case(seed, in_bounds);
        let n: usize = c.oshape.iter().product();
        let x = values(seed, n);
        let modes: &[Mode] = if in_bounds { &MODES } else { &[Mode::Clip] };
        for &mode in modes {
            let g = run_gather(&c, &x, mode);
            let ushape = g.shape().to_vec();
            let u = values(seed.rotate_left(29), ushape.iter().product());
            let lhs: f64 = g.to_vec::<f64>().iter().zip(&u).map(|(a, b)| a * b).sum();
            let s = lax::scatter_add(
                &Tensor::zeros(&c.oshape, DType::F64),
                &i32s(&c.idx, &c.ishape),
                &f64s(&u, &ushape),
                mirror(&c.d),
                mode,
            );
            let rhs: f64 = s.to_vec::<f64>().iter().zip(&x).map(|(a, b)| a * b).sum();
            prop_assert!((lhs - rhs).abs() <= 1e-9 * (1.0 + lhs.abs()), "{:?}: {} vs {}", mode, lhs, rhs);
        }
    }

    /// One-hot style: scatter-adding ones at indices counts them (a histogram); FILL_OR_DROP
    /// ignores out-of-range ones.
    #[test]
    fn prop_scatter_add_histogram(n in 1usize..8, idx in prop::collection::vec(-2i32..10, 0..20)) {
        let m = idx.len();
        let y = lax::scatter_add(
            &Tensor::zeros(&[n], DType::I32),
            &Tensor::from_vec(idx.clone(), &[m, 1]),
            &Tensor::ones(&[m], DType::I32),
            scatter0(),
            Mode::FillOrDrop,
        );
        let mut want = vec![0i32; n];
        for &i in &idx {
            if i >= 0 && (i as usize) < n {
                want[i as usize] += 1;
            }
        }
        prop_assert_eq!(y.to_vec::<i32>(), want);
    }

    /// dynamic_slice equals a gather with one index vector and CLIP, and a plain-loop reference.
    #[test]
    fn prop_dynamic_slice_matches_reference(seed in any::<u64>()) {
        let mut r = Rng(seed);
        let rank = r.range(0, 3) as usize;
        let oshape: Vec<usize> = (0..rank).map(|_| r.range(1, 4) as usize).collect();
        let sizes: Vec<usize> = oshape.iter().map(|&n| r.range(0, n as i64) as usize).collect();
        let starts: Vec<i64> = oshape.iter().map(|&n| r.range(-3, n as i64 + 3)).collect();
        let x = values(seed, oshape.iter().product());
        let st: Vec<Tensor> = starts.iter().map(|&s| Tensor::scalar(s as i32)).collect();
        let y = lax::dynamic_slice(&f64s(&x, &oshape), &st, &sizes);
        prop_assert_eq!(y.shape(), &sizes[..]);
        let clamped: Vec<usize> =
            (0..rank).map(|d| starts[d].clamp(0, (oshape[d] - sizes[d]) as i64) as usize).collect();
        let n: usize = sizes.iter().product();
        let want: Vec<f64> = (0..n)
            .map(|f| {
                let w = unflat(f, &sizes);
                let p: Vec<usize> = (0..rank).map(|d| clamped[d] + w[d]).collect();
                x[flat(&p, &oshape)]
            })
            .collect();
        prop_assert_eq!(y.to_vec::<f64>(), want.clone());
        let all: Vec<usize> = (0..rank).collect();
        let g = lax::gather(
            &f64s(&x, &oshape),
            &i32s(&starts, &[rank]),
            gdn(&all, &[], &all, &[], &[]),
            &sizes,
            Mode::Clip,
        );
        prop_assert_eq!(g.to_vec::<f64>(), want);
        // dynamic_update_slice writes the slice back: updating with the slice is the identity.
        let back = lax::dynamic_update_slice(&f64s(&x, &oshape), &y, &st);
        prop_assert_eq!(back.to_vec::<f64>(), x);
    }
}

/// The embedding pattern (whole rows taken along axis 0, their cotangents added back),
/// which gather and scatter-add move row by row: values against plain indexing, including a
/// repeated row (its updates add up) and, in fill mode, an out-of-bounds row (NaN on read,
/// dropped on update).
#[test]
fn row_lookups_and_their_gradient_match_plain_indexing() {
    let (rows, width) = (5usize, 7usize);
    let table: Vec<f32> = (0..rows * width).map(|i| i as f32 * 0.5 - 3.0).collect();
    let x = Tensor::from_vec(table.clone(), &[rows, width]);
    let ids = [3i32, 0, 3, 4, 1, 3];
    let idx = Tensor::from_vec(ids.to_vec(), &[2, 3]);
    let taken = ferrax::numpy::take(&x, &idx, 0);
    assert_eq!(taken.shape(), &[2, 3, width]);
    let want: Vec<f32> = ids
        .iter()
        .flat_map(|&r| table[r as usize * width..(r as usize + 1) * width].to_vec())
        .collect();
    assert_eq!(taken.to_vec::<f32>(), want);
    // d/dx sum(take(x, idx) * w): row r gets the sum of w's rows that took it.
    let w: Vec<f32> = (0..ids.len() * width)
        .map(|i| (i % 11) as f32 - 5.0)
        .collect();
    let wt = Tensor::from_vec(w.clone(), &[2, 3, width]);
    let g = grad(|x: &Tensor| (ferrax::numpy::take(x, &idx, 0) * &wt).sum())(&x);
    let mut want_g = vec![0.0f32; rows * width];
    for (k, &r) in ids.iter().enumerate() {
        for j in 0..width {
            want_g[r as usize * width + j] += w[k * width + j];
        }
    }
    assert_eq!(g.to_vec::<f32>(), want_g);
    // Fill mode: row 9 does not exist.
    let oob = Tensor::from_vec(vec![1i32, 9], &[2]);
    let dn = gdn(&[1], &[0], &[0], &[], &[]);
    let got = lax::gather(&x, &oob.reshape(&[2, 1]), dn, &[1, width], Mode::FillOrDrop);
    let got = got.to_vec::<f32>();
    assert_eq!(&got[..width], &table[width..2 * width]);
    assert!(got[width..].iter().all(|v| v.is_nan()), "{got:?}");
    let sdn = mirror(&gdn(&[1], &[0], &[0], &[], &[]));
    let upd = Tensor::ones(&[2, width], DType::F32);
    let added = lax::scatter_add(&x, &oob.reshape(&[2, 1]), &upd, sdn, Mode::FillOrDrop);
    let mut want_add = table.clone();
    want_add[width..2 * width]
        .iter_mut()
        .for_each(|v| *v += 1.0);
    assert_eq!(added.to_vec::<f32>(), want_add);
}
