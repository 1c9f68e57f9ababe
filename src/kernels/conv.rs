//! General dilated convolution by im2col + matrix product. Operands are first viewed
//! channels-last (`[batch, spatial..., feature]` and `[spatial..., in feature, out feature]`;
//! free for NHWC/HWIO, one copy otherwise). Each output position's receptive field is
//! gathered into a row (padding, dilation holes and out-of-range taps read as zero), and the
//! rows are multiplied by the kernel, viewed as a `[window * in_features, out_features]`
//! matrix, with gemm (f32/f64) or an integer loop. Feature and batch groups each get their own
//! im2col and a product with a column block of the kernel. A stride-1, unpadded 1x1
//! convolution skips im2col: the input already is the matrix. Feature groups with few
//! features each (depthwise convolutions) are accumulated directly instead.

use super::matmul::{matmul_strided, MatmulElement};
use crate::prims::conv::ConvGeneralDilated;
use crate::prims::util::strides;
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

/// Marks a tap that reads padding or a dilation hole.
const HOLE: usize = usize::MAX;

/// im2col buffers bigger than this (in elements) are filled in parallel.
const PARALLEL_FILL: usize = 1 << 16;

/// For one spatial dim: the input index read by output position `o` at kernel tap `t`, at
/// `[o * k_size + t]`, or [`HOLE`].
#[allow(clippy::too_many_arguments)]
fn taps(
    in_size: usize,
    out_size: usize,
    k_size: usize,
    stride: usize,
    pad_lo: i64,
    lhs_dilation: usize,
    rhs_dilation: usize,
) -> Vec<usize> {
    let extent = if in_size == 0 {
        0
    } else {
        ((in_size - 1) * lhs_dilation + 1) as i64
    };
    let mut v = vec![HOLE; out_size * k_size];
    for o in 0..out_size {
        for t in 0..k_size {
            let pos = (o * stride + t * rhs_dilation) as i64 - pad_lo;
            if (0..extent).contains(&pos) && pos % lhs_dilation as i64 == 0 {
                v[o * k_size + t] = pos as usize / lhs_dilation;
            }
        }
    }
    v
}

/// Advances a row-major multi-index; returns false after the last one.
fn advance(idx: &mut [usize], dims: &[usize]) -> bool {
    for d in (0..idx.len()).rev() {
        idx[d] += 1;
        if idx[d] < dims[d] {
            return true;
        }
        idx[d] = 0;
    }
    false
}

/// Spatial geometry shared by every group.
struct Geometry {
    /// Flat spatial offset into one input image, per `(output position, kernel tap)`, at
    /// `[p * taps + t]`, or [`HOLE`].
    offsets: Vec<usize>,
    /// Output positions per image.
    positions: usize,
    /// Kernel taps.
    taps: usize,
    /// Spatial elements per input image.
    image: usize,
}

impl Geometry {
    fn new(p: &ConvGeneralDilated, in_sp: &[usize], k_sp: &[usize], out_sp: &[usize]) -> Geometry {
        let nsp = in_sp.len();
        let tables: Vec<Vec<usize>> = (0..nsp)
            .map(|d| {
                taps(
                    in_sp[d],
                    out_sp[d],
                    k_sp[d],
                    p.window_strides[d],
                    p.padding[d].0,
                    p.lhs_dilation[d],
                    p.rhs_dilation[d],
                )
            })
            .collect();
        let in_strides = strides(in_sp);
        let positions: usize = out_sp.iter().product();
        let ntaps: usize = k_sp.iter().product();
        let mut offsets = vec![HOLE; positions * ntaps];
        let mut o_idx = vec![0usize; nsp];
        for pos in 0..positions {
            let mut t_idx = vec![0usize; nsp];
            for t in 0..ntaps {
                let mut off = 0usize;
                let mut inside = true;
                for d in 0..nsp {
                    let v = tables[d][o_idx[d] * k_sp[d] + t_idx[d]];
                    if v == HOLE {
                        inside = false;
                        break;
                    }
                    off += v * in_strides[d];
                }
                if inside {
                    offsets[pos * ntaps + t] = off;
                }
                advance(&mut t_idx, k_sp);
            }
            advance(&mut o_idx, out_sp);
        }
        Geometry {
            offsets,
            positions,
            taps: ntaps,
            image: in_sp.iter().product(),
        }
    }

    /// True when output position `p` reads exactly input position `p` through one tap.
    fn is_identity(&self) -> bool {
        self.taps == 1
            && self.positions == self.image
            && self.offsets.iter().enumerate().all(|(i, &o)| o == i)
    }
}

/// Gathers receptive fields into a `[images * positions, taps * group_features]` matrix:
/// images `first_image..first_image + images` of the channels-last input `lhs`, features
/// `first_feature..first_feature + group_features` of its `features`.
#[allow(clippy::too_many_arguments)]
fn im2col<T: Copy + Default + Send + Sync>(
    lhs: &[T],
    g: &Geometry,
    first_image: usize,
    images: usize,
    features: usize,
    first_feature: usize,
    group_features: usize,
) -> Vec<T> {
    let cols = g.taps * group_features;
    let mut buf = vec![T::default(); images * g.positions * cols];
    if buf.is_empty() {
        return buf;
    }
    let fill = |row: usize, dst: &mut [T]| {
        let (n, pos) = (row / g.positions, row % g.positions);
        let image = &lhs[(first_image + n) * g.image * features..];
        for t in 0..g.taps {
            let off = g.offsets[pos * g.taps + t];
            if off != HOLE {
                let src = off * features + first_feature;
                dst[t * group_features..(t + 1) * group_features]
                    .copy_from_slice(&image[src..src + group_features]);
            }
        }
    };
    if buf.len() > PARALLEL_FILL {
        buf.par_chunks_mut(cols)
            .enumerate()
            .for_each(|(r, d)| fill(r, d));
    } else {
        buf.chunks_mut(cols)
            .enumerate()
            .for_each(|(r, d)| fill(r, d));
    }
    buf
}

/// Feature-grouped convolution with small groups (depthwise and the like), computed directly:
/// each output row accumulates `input tap x kernel tap` over the taps, group by group, which
/// beats one tiny matrix product per group.
#[allow(clippy::too_many_arguments)]
fn grouped_direct<T: MatmulElement>(
    lhs: &[T],
    rhs: &[T],
    g: &Geometry,
    out: &mut [T],
    features: usize,
    groups: usize,
    group_features: usize,
    group_out: usize,
) {
    let out_features = groups * group_out;
    let fill = |row: usize, dst: &mut [T]| {
        let (n, pos) = (row / g.positions, row % g.positions);
        let image = &lhs[n * g.image * features..];
        for t in 0..g.taps {
            let off = g.offsets[pos * g.taps + t];
            if off == HOLE {
                continue;
            }
            let src = &image[off * features..(off + 1) * features];
            let w =
                &rhs[t * group_features * out_features..(t + 1) * group_features * out_features];
            if group_features == 1 && group_out == 1 {
                for ((d, &a), &b) in dst.iter_mut().zip(src).zip(w) {
                    *d = T::mul_add(*d, a, b);
                }
                continue;
            }
            for grp in 0..groups {
                let drow = &mut dst[grp * group_out..(grp + 1) * group_out];
                for c in 0..group_features {
                    let a = src[grp * group_features + c];
                    let wrow = &w[c * out_features + grp * group_out..][..group_out];
                    for (d, &b) in drow.iter_mut().zip(wrow) {
                        *d = T::mul_add(*d, a, b);
                    }
                }
            }
        }
    };
    if out.len() > PARALLEL_FILL {
        out.par_chunks_mut(out_features)
            .enumerate()
            .for_each(|(r, d)| fill(r, d));
    } else {
        out.chunks_mut(out_features)
            .enumerate()
            .for_each(|(r, d)| fill(r, d));
    }
}

/// Feature groups at most this big (input x output features per group) skip im2col + gemm.
const SMALL_GROUP: usize = 16;

/// Evaluates `conv_general_dilated` with params `p` (already validated by its shape rule)
/// into an array of `out_shape` laid out per `p.dimension_numbers.out_spec`.
pub fn conv_general_dilated<T: MatmulElement>(
    lhs: &ArrayD<T>,
    rhs: &ArrayD<T>,
    p: &ConvGeneralDilated,
    out_shape: &[usize],
) -> ArrayD<T> {
    let dn = &p.dimension_numbers;
    let nsp = lhs.ndim() - 2;
    // Channels-last views: [N, spatial..., C] and [spatial..., I, O].
    let mut lperm = vec![dn.lhs_spec[0]];
    lperm.extend_from_slice(&dn.lhs_spec[2..]);
    lperm.push(dn.lhs_spec[1]);
    let mut rperm = dn.rhs_spec[2..].to_vec();
    rperm.push(dn.rhs_spec[1]);
    rperm.push(dn.rhs_spec[0]);
    let lview = lhs.view().permuted_axes(IxDyn(&lperm));
    let rview = rhs.view().permuted_axes(IxDyn(&rperm));
    let lcl = lview.as_standard_layout();
    let rcl = rview.as_standard_layout();
    let l = lcl.as_slice().expect("standard layout");
    let r = rcl.as_slice().expect("standard layout");
    let in_sp = &lcl.shape()[1..=nsp];
    let features = lcl.shape()[nsp + 1];
    let k_sp = &rcl.shape()[..nsp];
    let out_features = rcl.shape()[nsp + 1];
    let out_n = out_shape[dn.out_spec[0]];
    let out_sp: Vec<usize> = (0..nsp).map(|d| out_shape[dn.out_spec[2 + d]]).collect();

    let (fg, bg) = (p.feature_group_count, p.batch_group_count);
    let groups = fg * bg; // at most one of them exceeds 1
    let group_features = features / fg;
    let group_out = out_features / groups;
    let g = Geometry::new(p, in_sp, k_sp, &out_sp);
    let rows = out_n * g.positions;
    let mut out = vec![T::default(); rows * out_features];
    if !out.is_empty() && fg > 1 && group_features * group_out <= SMALL_GROUP {
        grouped_direct(l, r, &g, &mut out, features, fg, group_features, group_out);
    } else if !out.is_empty() {
        let direct = fg == 1 && g.is_identity();
        for grp in 0..groups {
            let (first_image, first_feature) = if bg > 1 {
                (grp * out_n, 0)
            } else {
                (0, grp * group_features)
            };
            let cols = g.taps * group_features;
            let buf;
            let (mat, mat_rs): (&[T], usize) = if direct {
                (&l[first_image * g.image * features..], features)
            } else {
                buf = im2col(
                    l,
                    &g,
                    first_image,
                    out_n,
                    features,
                    first_feature,
                    group_features,
                );
                (&buf, cols)
            };
            matmul_strided(
                rows,
                group_out,
                cols,
                &mut out[grp * group_out..],
                out_features,
                mat,
                mat_rs,
                1,
                &r[grp * group_out..],
                out_features,
                1,
            );
        }
    }
    // Back from [N, spatial..., O] to the layout out_spec asks for.
    let mut canon_shape = vec![out_n];
    canon_shape.extend_from_slice(&out_sp);
    canon_shape.push(out_features);
    let canon =
        ArrayD::from_shape_vec(IxDyn(&canon_shape), out).expect("rows * out_features elements");
    let mut axes = vec![0usize; nsp + 2];
    axes[dn.out_spec[0]] = 0;
    axes[dn.out_spec[1]] = nsp + 1;
    for d in 0..nsp {
        axes[dn.out_spec[2 + d]] = 1 + d;
    }
    let permuted = canon.permuted_axes(IxDyn(&axes));
    if permuted.is_standard_layout() {
        permuted
    } else {
        permuted.as_standard_layout().into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tap_tables() {
        // in 3, window 2, stride 1, pad (1, 1): out 4; tap reads -1..3.
        assert_eq!(
            taps(3, 4, 2, 1, 1, 1, 1),
            vec![HOLE, 0, 0, 1, 1, 2, 2, HOLE]
        );
        // lhs dilation 2: dilated [x0 _ x1], window 1.
        assert_eq!(taps(2, 3, 1, 1, 0, 2, 1), vec![0, HOLE, 1]);
    }
}
