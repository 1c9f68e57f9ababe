//! Transposed convolutions in scatter form. A stride-1 convolution whose input has fewer
//! positions than its output (the input gradient of a VALID or strided convolution, an
//! upsampling layer) wastes most of an im2col's taps on padding and dilation holes. Instead,
//! each input position's features are multiplied by the whole kernel once (`[positions,
//! features] x [features, taps * out_features]`, one gemm per image block) and every
//! `(input position, tap)` product row is added to the output position it lands on.

use super::super::matmul::gemm_block;
use super::super::parallel::{gemm_ns, should_parallelize};
use super::{block_rows, HOLE};
use crate::ops::strides;
use crate::ops::ConvGeneralDilated;
use crate::ops::Element;

/// True when the scatter form applies and multiplies less than the gather form: no
/// groups, unit window strides, fewer input than output positions.
pub(super) fn applies(p: &ConvGeneralDilated, in_sp: &[usize], out_sp: &[usize]) -> bool {
    p.feature_group_count == 1
        && p.batch_group_count == 1
        && p.window_strides.iter().all(|&s| s == 1)
        && in_sp.iter().product::<usize>() < out_sp.iter().product::<usize>()
}

/// Per `(input position, tap)`, at `[x * taps + t]`, the output position it adds to, or
/// [`HOLE`]. With unit strides output `y` reads the dilated, padded input at `y + t *
/// rhs_dilation - pad_lo`, so input `x` lands on `y = x * lhs_dilation + pad_lo - t *
/// rhs_dilation`.
fn targets(
    p: &ConvGeneralDilated,
    in_sp: &[usize],
    k_sp: &[usize],
    out_sp: &[usize],
) -> Vec<usize> {
    let nsp = in_sp.len();
    let out_strides = strides(out_sp);
    let (xs, ts): (usize, usize) = (in_sp.iter().product(), k_sp.iter().product());
    let mut table = vec![HOLE; xs * ts];
    let mut x = vec![0usize; nsp];
    let mut t = vec![0usize; nsp];
    for xi in 0..xs {
        let mut rem = xi;
        for d in (0..nsp).rev() {
            x[d] = rem % in_sp[d];
            rem /= in_sp[d];
        }
        for ti in 0..ts {
            let mut rem = ti;
            for d in (0..nsp).rev() {
                t[d] = rem % k_sp[d];
                rem /= k_sp[d];
            }
            let mut y = 0usize;
            let mut inside = true;
            for d in 0..nsp {
                let pos = (x[d] * p.lhs_dilation[d]) as i64 + p.padding[d].0
                    - (t[d] * p.rhs_dilation[d]) as i64;
                if !(0..out_sp[d] as i64).contains(&pos) {
                    inside = false;
                    break;
                }
                y += pos as usize * out_strides[d];
            }
            if inside {
                table[xi * ts + ti] = y;
            }
        }
    }
    table
}

/// The convolution of the channels-last `lhs` (`[images, in_sp..., features]`) with the
/// channels-last kernel `rhs` (`[k_sp..., features, out_features]`) in scatter form, as a
/// row-major `[images, out_sp..., out_features]` vector.
#[allow(clippy::too_many_arguments)]
pub(super) fn conv<T: Element>(
    lhs: &[T],
    rhs: &[T],
    p: &ConvGeneralDilated,
    in_sp: &[usize],
    k_sp: &[usize],
    out_sp: &[usize],
    images: usize,
    features: usize,
    out_features: usize,
) -> Vec<T> {
    let (xs, ts, ys) = (
        in_sp.iter().product::<usize>(),
        k_sp.iter().product::<usize>(),
        out_sp.iter().product::<usize>(),
    );
    let mut out = super::pool::take_zeroed(images * ys * out_features);
    if out.is_empty() || xs == 0 || ts == 0 || features == 0 {
        return out;
    }
    let table = targets(p, in_sp, k_sp, out_sp);
    // The kernel as [features, taps * out_features].
    let row = ts * out_features;
    let mut w = super::pool::take_zeroed(features * row);
    for t in 0..ts {
        for f in 0..features {
            let src = &rhs[(t * features + f) * out_features..][..out_features];
            w[f * row + t * out_features..][..out_features].copy_from_slice(src);
        }
    }
    let xb = block_rows(row, xs, 16);
    let image = |n: usize, dst: &mut [T], z: &mut Vec<T>| {
        let img = &lhs[n * xs * features..(n + 1) * xs * features];
        for x0 in (0..xs).step_by(xb) {
            let rows = xb.min(xs - x0);
            z.resize(rows * row, T::default());
            gemm_block(
                "conv",
                (rows, row, features),
                z,
                row,
                (&img[x0 * features..], features, 1),
                (&w, row, 1),
                false,
                false,
            );
            for (j, zr) in z.chunks(row).enumerate() {
                let targets = &table[(x0 + j) * ts..(x0 + j + 1) * ts];
                for (&y, zt) in targets.iter().zip(zr.chunks(out_features)) {
                    if y != HOLE {
                        let d = &mut dst[y * out_features..(y + 1) * out_features];
                        for (a, &b) in d.iter_mut().zip(zt) {
                            *a = T::xla_add(*a, b);
                        }
                    }
                }
            }
        }
    };
    let work = images * xs * features * row;
    if images > 1 && should_parallelize(gemm_ns(work)) {
        crate::kernels::parallel::par_chunks_mut_with_scratch(
            &mut out,
            ys * out_features,
            &|z, n, dst| image(n, dst, z),
        );
    } else {
        let mut z = Vec::new();
        for (n, dst) in out.chunks_mut(ys * out_features).enumerate() {
            image(n, dst, &mut z);
        }
    }
    super::pool::give(w);
    out
}
