//! General dilated convolution by im2col + matrix product, in cache-sized blocks.
//!
//! The usual path views the operands channels-last (`[batch, spatial..., feature]` and
//! `[spatial..., in feature, out feature]`; free for NHWC/HWIO, one copy otherwise). A block
//! of output positions gets its receptive fields gathered into the rows of a small buffer
//! (padding, dilation holes and out-of-range taps read as zero), which one gemm multiplies by
//! the kernel viewed as a `[window * in_features, out_features]` matrix, writing straight into
//! the output rows. Blocks keep the buffer in L2 (no page-faulting giant im2col matrix) and
//! are what the two cores share. Feature and batch groups each multiply by a column block of
//! the kernel. A stride-1, unpadded 1x1 convolution skips im2col; feature groups with few
//! features each (depthwise convolutions) are accumulated directly. A stride-1 convolution
//! with fewer input than output positions (the input gradient JAX's lhs transpose emits,
//! padded by the kernel size) runs in scatter form instead (`scatter`): one product per
//! input position, added where it lands, so padding costs nothing.
//!
//! The weight gradient JAX emits (`_conv_general_dilated_transpose_rhs`) is a convolution
//! whose "batch" is the forward features, whose "features" are the forward batch, and whose
//! "kernel" is the output cotangent: a few output positions, each a reduction over
//! `N * H * W`. When the operands come in that layout (`[feature, spatial..., batch]` and
//! `[in feature, spatial..., out feature]`, as the transpose of an NHWC/HWIO convolution
//! produces) it runs as `reduction_major`: the reduction is the gemm's `k`, blocks of it
//! are gathered without transposing either operand and accumulated into one small output.

use super::matmul::{gemm_block, matmul_strided};
use super::parallel::{gemm_ns, should_parallelize};
use super::pool;
use crate::ops::ConvGeneralDilated;
use crate::ops::Element;
use crate::ops::{next_index, strides};
use ndarray::{ArrayD, IxDyn};

mod scatter;

/// Marks a tap that reads padding or a dilation hole.
const HOLE: usize = usize::MAX;

/// Elements per gathered block (256 KiB of f32): fits L2 next to the kernel.
const BLOCK_ELEMS: usize = 1 << 16;

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
                next_index(&mut t_idx, k_sp);
            }
            next_index(&mut o_idx, out_sp);
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

/// Rows per gathered block of `row_len` elements: about [`BLOCK_ELEMS`], at least
/// `min_rows` (so each gemm call amortizes its packing), at most `rows`.
fn block_rows(row_len: usize, rows: usize, min_rows: usize) -> usize {
    let rb = (BLOCK_ELEMS / row_len.max(1)).max(min_rows);
    let rb = if rb > 16 { rb / 16 * 16 } else { rb };
    rb.min(rows).max(1)
}

/// Gathers the receptive fields of output rows `r0..r0 + nrows` (row = image * positions +
/// position) into `buf` (`nrows x taps * group_features`): images from `first_image` of the
/// channels-last input `lhs`, features `first_feature..first_feature + group_features`.
#[allow(clippy::too_many_arguments)]
fn fill_rows<T: Copy + Default>(
    lhs: &[T],
    g: &Geometry,
    r0: usize,
    first_image: usize,
    features: usize,
    first_feature: usize,
    group_features: usize,
    buf: &mut [T],
) {
    let cols = g.taps * group_features;
    // (image, position) of the current row, advanced instead of divided per row.
    let (mut n, mut pos) = (r0 / g.positions, r0 % g.positions);
    for dst in buf.chunks_mut(cols) {
        let image = &lhs[(first_image + n) * g.image * features..];
        let offs = &g.offsets[pos * g.taps..(pos + 1) * g.taps];
        pos += 1;
        if pos == g.positions {
            (n, pos) = (n + 1, 0);
        }
        if group_features == 1 {
            // One element per tap (a single-channel input): no per-tap memcpy call.
            for (d, &off) in dst.iter_mut().zip(offs) {
                *d = if off == HOLE {
                    T::default()
                } else {
                    image[off * features + first_feature]
                };
            }
            continue;
        }
        for (d, &off) in dst.chunks_mut(group_features).zip(offs) {
            if off == HOLE {
                d.fill(T::default());
            } else {
                let src = off * features + first_feature;
                d.copy_from_slice(&image[src..src + group_features]);
            }
        }
    }
}

/// Channels-last sizes of a convolution: `lhs` is `[out_n * bg, spatial..., features]`,
/// the kernel `[taps, features / fg, out_features]`.
struct Sizes {
    features: usize,
    out_features: usize,
    out_n: usize,
    fg: usize,
    bg: usize,
}

/// im2col + gemm over blocks of output rows into `out` (`[out_n * positions,
/// out_features]`), each block gathered into a reused L2-sized buffer; blocks run in
/// parallel when the whole product is big enough.
fn blocked<T: Element>(l: &[T], r: &[T], g: &Geometry, s: &Sizes, out: &mut [T]) {
    let groups = s.fg * s.bg;
    let group_features = s.features / s.fg;
    let group_out = s.out_features / groups;
    let cols = g.taps * group_features;
    let rows = s.out_n * g.positions;
    let rb = block_rows(cols, rows, 64);
    let work = rows.saturating_mul(cols).saturating_mul(s.out_features);
    let parallel = should_parallelize(gemm_ns(work));
    let run = |buf: &mut Vec<T>, bi: usize, dst: &mut [T], gemm_parallel: bool| {
        let nrows = dst.len() / s.out_features;
        buf.resize(nrows * cols, T::default());
        for grp in 0..groups {
            let (first_image, first_feature) = if s.bg > 1 {
                (grp * s.out_n, 0)
            } else {
                (0, grp * group_features)
            };
            fill_rows(
                l,
                g,
                bi * rb,
                first_image,
                s.features,
                first_feature,
                group_features,
                &mut buf[..nrows * cols],
            );
            gemm_block(
                "conv",
                (nrows, group_out, cols),
                &mut dst[grp * group_out..],
                s.out_features,
                (&buf[..nrows * cols], cols, 1),
                (&r[grp * group_out..], s.out_features, 1),
                false,
                gemm_parallel,
            );
        }
    };
    let chunk = rb * s.out_features;
    if parallel && rows > rb {
        super::parallel::par_chunks_mut_with_scratch(out, chunk, &|buf, bi, dst| {
            run(buf, bi, dst, false)
        });
    } else {
        let mut buf = Vec::new();
        for (bi, dst) in out.chunks_mut(chunk).enumerate() {
            run(&mut buf, bi, dst, parallel);
        }
    }
}

/// The weight-gradient form: `lhs` is `[features, spatial..., batch]`, `rhs` `[features,
/// taps..., out_features]` (both row-major), and the result `[positions, batch,
/// out_features]` is `Σ_{f, t} lhs[f, offset(p, t), b] * rhs[f, t, o]`: a gemm with `m =
/// positions * batch`, `n = out_features` and the long reduction over `(f, t)` as `k`,
/// gathered block by block (each block transposed for free through gemm's strides) and
/// accumulated. On several threads each takes a range of blocks into its own accumulator.
fn reduction_major<T: Element>(
    l: &[T],
    r: &[T],
    g: &Geometry,
    features: usize,
    batch: usize,
    out_features: usize,
) -> Vec<T> {
    let m = g.positions * batch;
    let k_total = features * g.taps;
    let mut out = pool::take_zeroed(m * out_features);
    if out.is_empty() || k_total == 0 {
        return out;
    }
    let kb = block_rows(m, k_total, 128);
    let nblocks = k_total.div_ceil(kb);
    // The offset table by tap (`[t * positions + p]`): a gathered row reads one tap.
    let mut by_tap = vec![HOLE; g.offsets.len()];
    for (i, &off) in g.offsets.iter().enumerate() {
        by_tap[(i % g.taps) * g.positions + i / g.taps] = off;
    }
    let run = |blocks: std::ops::Range<usize>, acc: &mut [T]| {
        let mut buf = pool::take_zeroed(kb.min(k_total) * m);
        for (i, bi) in blocks.enumerate() {
            let (r0, r1) = (bi * kb, ((bi + 1) * kb).min(k_total));
            for (row, dst) in (r0..r1).zip(buf.chunks_mut(m)) {
                let (f, t) = (row / g.taps, row % g.taps);
                let image = &l[f * g.image * batch..(f + 1) * g.image * batch];
                let offs = &by_tap[t * g.positions..(t + 1) * g.positions];
                if batch == 1 {
                    for (d, &off) in dst.iter_mut().zip(offs) {
                        *d = if off == HOLE {
                            T::default()
                        } else {
                            image[off]
                        };
                    }
                    continue;
                }
                for (d, &off) in dst.chunks_mut(batch).zip(offs) {
                    if off == HOLE {
                        d.fill(T::default());
                    } else {
                        d.copy_from_slice(&image[off * batch..(off + 1) * batch]);
                    }
                }
            }
            gemm_block(
                "conv",
                (m, out_features, r1 - r0),
                acc,
                out_features,
                (&buf, 1, m),
                (&r[r0 * out_features..], out_features, 1),
                i > 0,
                false,
            );
        }
        pool::give(buf);
    };
    let work = m.saturating_mul(out_features).saturating_mul(k_total);
    let parts = if should_parallelize(gemm_ns(work)) {
        rayon::current_num_threads().min(nblocks)
    } else {
        1
    };
    if parts <= 1 {
        run(0..nblocks, &mut out);
        return out;
    }
    let per = nblocks.div_ceil(parts);
    // Part 0 accumulates into `out`, the others into their own buffers, all at once.
    let mut accs: Vec<Vec<T>> = std::iter::once(out)
        .chain((1..parts).map(|_| pool::take_zeroed(m * out_features)))
        .collect();
    super::parallel::par_chunks_mut(&mut accs, 1, &|part, acc| {
        let (lo, hi) = (part * per, ((part + 1) * per).min(nblocks));
        if lo < hi {
            run(lo..hi, &mut acc[0]);
        }
    });
    let mut accs = accs.into_iter();
    let mut out = accs.next().expect("part 0");
    for acc in accs {
        for (o, &a) in out.iter_mut().zip(&acc) {
            *o = T::xla_add(*o, a);
        }
        pool::give(acc);
    }
    out
}

/// Feature-grouped convolution with small groups (depthwise and the like), computed directly:
/// each output row accumulates `input tap x kernel tap` over the taps, group by group, which
/// beats one tiny matrix product per group.
#[allow(clippy::too_many_arguments)]
fn grouped_direct<T: Element>(
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
                    *d = T::xla_add(*d, T::xla_mul(a, b));
                }
                continue;
            }
            for grp in 0..groups {
                let drow = &mut dst[grp * group_out..(grp + 1) * group_out];
                for c in 0..group_features {
                    let a = src[grp * group_features + c];
                    let wrow = &w[c * out_features + grp * group_out..][..group_out];
                    for (d, &b) in drow.iter_mut().zip(wrow) {
                        *d = T::xla_add(*d, T::xla_mul(a, b));
                    }
                }
            }
        }
    };
    let work = out
        .len()
        .saturating_mul(g.taps)
        .saturating_mul(group_features);
    if should_parallelize(gemm_ns(work)) {
        super::parallel::par_chunks_mut(out, out_features, &fill);
    } else {
        out.chunks_mut(out_features)
            .enumerate()
            .for_each(|(r, d)| fill(r, d));
    }
}

/// Feature groups at most this big (input x output features per group) skip im2col + gemm.
const SMALL_GROUP: usize = 16;

/// True when `spec` lists dims `1..nd - 1` as its spatial dims in order, its first entry
/// (batch / out feature) is the last dim and its second (feature / in feature) the first:
/// the `[feature, spatial..., batch]` layout of the weight-gradient convolution's operands.
fn feature_major(spec: &[usize]) -> bool {
    let nd = spec.len();
    spec[0] == nd - 1 && spec[1] == 0 && spec[2..].iter().enumerate().all(|(d, &s)| s == d + 1)
}

/// `data` in canonical order (dims `canon_shape`) as an array laid out per `out_spec`;
/// `role_axis = (batch, feature, first spatial)` are the canonical axes of those roles
/// (spatial dims consecutive).
fn to_out_layout<T: pool::Poolable>(
    data: Vec<T>,
    canon_shape: &[usize],
    out_spec: &[usize],
    (batch_axis, feature_axis, spatial_axis): (usize, usize, usize),
) -> ArrayD<T> {
    let canon =
        ArrayD::from_shape_vec(IxDyn(canon_shape), data).expect("one value per output element");
    let mut axes = vec![0usize; canon_shape.len()];
    axes[out_spec[0]] = batch_axis;
    axes[out_spec[1]] = feature_axis;
    for (d, &o) in out_spec[2..].iter().enumerate() {
        axes[o] = spatial_axis + d;
    }
    let permuted = canon.permuted_axes(IxDyn(&axes));
    if permuted.is_standard_layout() {
        return permuted;
    }
    // Logical order is row-major order: copy into a pooled buffer, recycle the canonical one.
    let mut data = pool::take(permuted.len());
    data.extend(permuted.iter().copied());
    let shape = permuted.shape().to_vec();
    pool::give(permuted.into_raw_vec_and_offset().0);
    crate::tensor::array_from_vec(&shape, data)
}

/// Evaluates `conv_general_dilated` with params `p` (already validated by its shape rule)
/// into an array of `out_shape` laid out per `p.dimension_numbers.out_spec`.
///
/// ```
/// use ferrax::core::Shape;
/// use ferrax::internals::kernels::conv::conv_general_dilated;
/// use ferrax::lax::ConvDimensionNumbers;
/// use ferrax::internals::prims::conv::ConvGeneralDilated;
/// // A 1-d NWC signal [1, 2, 3, 4] against the kernel [1, -1]: differences.
/// let x = ndarray::Array::from_shape_vec(vec![1, 4, 1], vec![1.0f64, 2.0, 4.0, 7.0]).unwrap();
/// let w = ndarray::Array::from_shape_vec(vec![2, 1, 1], vec![-1.0f64, 1.0]).unwrap();
/// let p = ConvGeneralDilated {
///     window_strides: Shape::from_slice(&[1]),
///     padding: vec![(0, 0)],
///     lhs_dilation: Shape::from_slice(&[1]),
///     rhs_dilation: Shape::from_slice(&[1]),
///     dimension_numbers: ConvDimensionNumbers {
///         lhs_spec: Shape::from_slice(&[0, 2, 1]),
///         rhs_spec: Shape::from_slice(&[2, 1, 0]),
///         out_spec: Shape::from_slice(&[0, 2, 1]),
///     },
///     feature_group_count: 1,
///     batch_group_count: 1,
///     preferred_element_type: None,
/// };
/// let y = conv_general_dilated(&x, &w, &p, &[1, 3, 1]);
/// assert_eq!(y.into_raw_vec_and_offset().0, vec![1.0, 2.0, 3.0]);
/// ```
pub fn conv_general_dilated<T: Element>(
    lhs: &ArrayD<T>,
    rhs: &ArrayD<T>,
    p: &ConvGeneralDilated,
    out_shape: &[usize],
) -> ArrayD<T> {
    let dn = &p.dimension_numbers;
    let nd = lhs.ndim();
    let nsp = nd - 2;
    let out_sp: Vec<usize> = (0..nsp).map(|d| out_shape[dn.out_spec[2 + d]]).collect();
    let (fg, bg) = (p.feature_group_count, p.batch_group_count);

    if fg == 1
        && bg == 1
        && feature_major(&dn.lhs_spec)
        && feature_major(&dn.rhs_spec)
        && let (Some(l), Some(r)) = (lhs.as_slice(), rhs.as_slice())
    {
        let in_sp = &lhs.shape()[1..=nsp];
        let k_sp = &rhs.shape()[1..=nsp];
        let (features, batch) = (lhs.shape()[0], lhs.shape()[nd - 1]);
        let out_features = rhs.shape()[nd - 1];
        let g = Geometry::new(p, in_sp, k_sp, &out_sp);
        let out = reduction_major(l, r, &g, features, batch, out_features);
        let mut canon_shape = out_sp.clone();
        canon_shape.push(batch);
        canon_shape.push(out_features);
        return to_out_layout(out, &canon_shape, &dn.out_spec, (nsp, nsp + 1, 0));
    }

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

    let g = Geometry::new(p, in_sp, k_sp, &out_sp);
    let empty = out_n * g.positions * out_features == 0;
    // (`applies` excludes groups and the identity geometry, which take other paths.)
    let out = if !empty && scatter::applies(p, in_sp, &out_sp) {
        scatter::conv(l, r, p, in_sp, k_sp, &out_sp, out_n, features, out_features)
    } else {
        gathered(l, r, &g, out_n, (features, out_features, fg, bg))
    };
    let mut canon_shape = vec![out_n];
    canon_shape.extend_from_slice(&out_sp);
    canon_shape.push(out_features);
    to_out_layout(out, &canon_shape, &dn.out_spec, (0, nsp + 1, 1))
}

/// The channels-last convolution other than the scatter form, into a fresh (pooled) output.
fn gathered<T: Element>(
    l: &[T],
    r: &[T],
    g: &Geometry,
    out_n: usize,
    (features, out_features, fg, bg): (usize, usize, usize, usize),
) -> Vec<T> {
    let groups = fg * bg; // at most one of them exceeds 1
    let group_features = features / fg;
    let group_out = out_features / groups;
    let rows = out_n * g.positions;
    let mut out = pool::take_zeroed(rows * out_features);
    if !out.is_empty() && fg > 1 && group_features * group_out <= SMALL_GROUP {
        grouped_direct(l, r, g, &mut out, features, fg, group_features, group_out);
    } else if !out.is_empty() && fg == 1 && g.is_identity() {
        // The input already is the im2col matrix (per batch group).
        for grp in 0..groups {
            matmul_strided(
                rows,
                group_out,
                features,
                &mut out[grp * group_out..],
                out_features,
                &l[grp * out_n * g.image * features..],
                features,
                1,
                &r[grp * group_out..],
                out_features,
                1,
            );
        }
    } else if !out.is_empty() {
        let sizes = Sizes {
            features,
            out_features,
            out_n,
            fg,
            bg,
        };
        blocked(l, r, g, &sizes, &mut out);
    }
    out
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
