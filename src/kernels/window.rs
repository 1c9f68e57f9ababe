//! Windowed max/min reductions (pooling) and their derivative kernels
//! (`select_and_gather_add`, `select_and_scatter_add`), each in one pass.
//!
//! The operand's dims split three ways: leading dims the window does not touch (size 1,
//! stride 1, no padding or dilation: the batch of an NHWC pool), trailing such dims (its
//! channels), and the windowed dims in between. Every window is then a short list of offsets
//! of contiguous channel vectors, reduced elementwise, so the inner loops vectorize and a
//! 2x2 max-pool reads each input once. The leading dims are independent and are what the
//! threads share, when the work is big enough.

use super::parallel::{should_parallelize, window_ns};
use crate::ops::{Element, SelectPrim};
use ndarray::{ArrayD, IxDyn};

/// A window's geometry, per operand dim (as XLA's `ReduceWindow` / `SelectAndScatter`).
///
/// ```
/// use ferrax::internals::kernels::window::{reduce_window_extremum, Window};
/// // Overlapping windows of 3 (stride 1, one element of padding each side): a running max.
/// let w = Window { dimensions: &[3], strides: &[1], padding: &[(1, 1)],
///     base_dilation: &[1], window_dilation: &[1] };
/// let x = ndarray::arr1(&[3, 1, 2, 0]).into_dyn();
/// let y = reduce_window_extremum(&x, &w, &[4], true);
/// assert_eq!(y.into_raw_vec_and_offset().0, vec![3, 3, 2, 2]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Window<'a> {
    /// Window size per dim.
    pub dimensions: &'a [usize],
    /// Window step per dim.
    pub strides: &'a [usize],
    /// `(low, high)` padding per dim, applied after base dilation; negative crops.
    pub padding: &'a [(i64, i64)],
    /// Operand dilation per dim (holes are never read).
    pub base_dilation: &'a [usize],
    /// Window dilation per dim.
    pub window_dilation: &'a [usize],
}

impl Window<'_> {
    /// True if dim `d` (of size `size`) is untouched: window 1, stride 1, no padding and no
    /// effective base dilation.
    fn trivial(&self, d: usize, size: usize) -> bool {
        self.dimensions[d] == 1
            && self.strides[d] == 1
            && self.padding[d] == (0, 0)
            && (self.base_dilation[d] == 1 || size <= 1)
    }
}

/// The operand as `[outer, windowed..., inner]` and, per windowed dim and output position,
/// the offsets (into one outer block, in elements) of the operand positions the window
/// covers, in window order; padding and holes are skipped.
struct Plan {
    outer: usize,
    inner: usize,
    in_block: usize,
    out_block: usize,
    mid_out: Vec<usize>,
    taps: Vec<Vec<Vec<usize>>>,
}

impl Plan {
    fn new(w: &Window<'_>, shape: &[usize], out_shape: &[usize]) -> Plan {
        let nd = shape.len();
        let mut lo = 0;
        while lo < nd && w.trivial(lo, shape[lo]) {
            lo += 1;
        }
        let mut hi = nd;
        while hi > lo && w.trivial(hi - 1, shape[hi - 1]) {
            hi -= 1;
        }
        let outer: usize = shape[..lo].iter().product();
        let inner: usize = shape[hi..].iter().product();
        let mut stride = inner;
        let mut taps = vec![Vec::new(); hi - lo];
        for d in (lo..hi).rev() {
            let extent = dilate(shape[d], w.base_dilation[d]) as i64;
            let bd = w.base_dilation[d] as i64;
            taps[d - lo] = (0..out_shape[d])
                .map(|o| {
                    (0..w.dimensions[d])
                        .filter_map(|k| {
                            let pos = (o * w.strides[d] + k * w.window_dilation[d]) as i64
                                - w.padding[d].0;
                            ((0..extent).contains(&pos) && pos % bd == 0)
                                .then(|| (pos / bd) as usize * stride)
                        })
                        .collect()
                })
                .collect();
            stride *= shape[d];
        }
        let mid_out = out_shape[lo..hi].to_vec();
        Plan {
            outer,
            inner,
            in_block: shape[lo..].iter().product(),
            out_block: mid_out.iter().product::<usize>() * inner,
            mid_out,
            taps,
        }
    }

    /// Calls `f(window index, offsets)` for every window of one outer block, in row-major
    /// order; `offs` is the window's tap offsets in row-major window order.
    fn for_each_window(&self, mut f: impl FnMut(usize, &[usize])) {
        let windows: usize = self.mid_out.iter().product();
        let nd = self.mid_out.len();
        let mut o = vec![0usize; nd];
        let mut offs: Vec<usize> = Vec::new();
        let mut next: Vec<usize> = Vec::new();
        for wi in 0..windows {
            offs.clear();
            offs.push(0);
            for (d, &od) in o.iter().enumerate() {
                next.clear();
                for &base in &offs {
                    next.extend(self.taps[d][od].iter().map(|&t| base + t));
                }
                std::mem::swap(&mut offs, &mut next);
            }
            f(wi, &offs);
            for d in (0..nd).rev() {
                o[d] += 1;
                if o[d] < self.mid_out[d] {
                    break;
                }
                o[d] = 0;
            }
        }
    }

    /// Element-taps of the whole reduction, for the parallel threshold.
    fn work(&self) -> usize {
        let taps: usize = self
            .taps
            .iter()
            .map(|t| t.first().map_or(0, Vec::len))
            .product();
        self.outer * self.out_block * taps.max(1)
    }
}

/// `d` after inserting `dilation - 1` holes between elements.
fn dilate(d: usize, dilation: usize) -> usize {
    if d == 0 {
        0
    } else {
        (d - 1) * dilation + 1
    }
}

/// Runs `f(outer index, output block)` over the output's outer blocks, in parallel when
/// the work is big enough.
fn per_outer<T: Send>(
    plan: &Plan,
    out: &mut [T],
    block: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    if out.is_empty() || block == 0 {
        return;
    }
    if plan.outer > 1 && should_parallelize(window_ns(plan.work())) {
        super::parallel::par_chunks_mut(out, block, &f);
    } else {
        out.chunks_mut(block).enumerate().for_each(|(o, b)| f(o, b));
    }
}

/// The maximum (`max`) or minimum of each window, NaN-propagating, into an array of
/// `out_shape` (the windowed shape; the caller's shape rule checked it). Windows with no
/// operand element hold -inf/+inf (the dtype's extremes for integers).
///
/// ```
/// use ferrax::internals::kernels::window::{reduce_window_extremum, Window};
/// // A 2x2 max-pool with stride 2 over a [1, 2, 4, 1] (NHWC) input.
/// let x = ndarray::Array::from_shape_vec(vec![1, 2, 4, 1],
///     vec![1.0f32, 5.0, 2.0, 0.0, 3.0, 4.0, 8.0, 6.0]).unwrap();
/// let w = Window { dimensions: &[1, 2, 2, 1], strides: &[1, 2, 2, 1],
///     padding: &[(0, 0); 4], base_dilation: &[1; 4], window_dilation: &[1; 4] };
/// let y = reduce_window_extremum(&x, &w, &[1, 1, 2, 1], true);
/// assert_eq!(y.into_raw_vec_and_offset().0, vec![5.0, 8.0]);
/// ```
pub fn reduce_window_extremum<T: Element + Send + Sync>(
    x: &ArrayD<T>,
    w: &Window<'_>,
    out_shape: &[usize],
    max: bool,
) -> ArrayD<T> {
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    let plan = Plan::new(w, x.shape(), out_shape);
    let init = if max { T::LOWEST } else { T::HIGHEST };
    let mut out = filled(out_shape.iter().product(), init);
    let inner = plan.inner;
    let reduce = |o: usize, block: &mut [T]| {
        let xb = &xs[o * plan.in_block..(o + 1) * plan.in_block];
        plan.for_each_window(|wi, offs| {
            let dst = &mut block[wi * inner..(wi + 1) * inner];
            for &off in offs {
                let src = &xb[off..off + inner];
                if max {
                    for (d, &v) in dst.iter_mut().zip(src) {
                        // Keeps a NaN already there; takes a NaN from `v`. A select, not a
                        // branch: it vectorizes and does not mispredict on random data.
                        let keep = T::xla_le(v, *d) | d.is_nan_value();
                        *d = if keep { *d } else { v };
                    }
                } else {
                    for (d, &v) in dst.iter_mut().zip(src) {
                        let keep = T::xla_le(*d, v) | d.is_nan_value();
                        *d = if keep { *d } else { v };
                    }
                }
            }
        });
    };
    per_outer(&plan, &mut out, plan.out_block, reduce);
    ArrayD::from_shape_vec(IxDyn(out_shape), out).expect("one value per window")
}

/// `n` copies of `v` in a buffer from the pool (`kernels::pool`).
fn filled<T: Element>(n: usize, v: T) -> Vec<T> {
    let mut out = super::pool::take(n);
    out.resize(n, v);
    out
}

/// Channels chosen together in registers (fixed-size arrays, so the compare-and-select
/// compiles to vector blends instead of mispredicting branches and conditional stores).
const LANES: usize = 16;

/// Windows of at most this many taps scatter tap by tap (see `select_and_scatter_add`).
const SCATTER_PER_TAP: usize = 16;

/// True if `v` replaces the current choice `b`: strictly greater (`GE`) or less, so ties keep
/// the first; a NaN beats any number and a NaN already chosen stays. Non-short-circuit
/// operators keep it branch-free.
#[inline(always)]
fn takes<T: Element, const GE: bool>(v: T, b: T) -> bool {
    let better = if GE { T::xla_lt(b, v) } else { T::xla_lt(v, b) };
    !b.is_nan_value() & (v.is_nan_value() | better)
}

/// Fills `chosen[c]` with the index into `offs` of the chosen element of channel `c` over
/// the window's taps `xb[off + c]`.
fn choose_window<T: Element, const GE: bool>(xb: &[T], offs: &[usize], chosen: &mut [u32]) {
    let inner = chosen.len();
    let full = inner / LANES * LANES;
    for c0 in (0..full).step_by(LANES) {
        let mut best: [T; LANES] = xb[offs[0] + c0..][..LANES].try_into().expect("LANES");
        let mut idx = [0u32; LANES];
        for (k, &off) in offs.iter().enumerate().skip(1) {
            let src: &[T; LANES] = xb[off + c0..][..LANES].try_into().expect("LANES");
            for l in 0..LANES {
                let take = takes::<T, GE>(src[l], best[l]);
                best[l] = if take { src[l] } else { best[l] };
                idx[l] = if take { k as u32 } else { idx[l] };
            }
        }
        chosen[c0..c0 + LANES].copy_from_slice(&idx);
    }
    for (c, ch) in chosen.iter_mut().enumerate().skip(full) {
        let mut best = xb[offs[0] + c];
        *ch = 0;
        for (k, &off) in offs.iter().enumerate().skip(1) {
            if takes::<T, GE>(xb[off + c], best) {
                best = xb[off + c];
                *ch = k as u32;
            }
        }
    }
}

/// For each window of one outer block of the operand `xb`, the index into `offs` of its
/// chosen element per channel (the first maximum or minimum in window order; a NaN beats any
/// number and the first NaN wins), passed to `f(window index, offsets, chosen)`. Windows with
/// no operand element are skipped.
fn choose_each<T: Element>(
    plan: &Plan,
    xb: &[T],
    select: SelectPrim,
    mut f: impl FnMut(usize, &[usize], &[u32]),
) {
    let mut chosen = vec![0u32; plan.inner];
    plan.for_each_window(|wi, offs| {
        if offs.is_empty() {
            return;
        }
        match select {
            SelectPrim::Ge => choose_window::<T, true>(xb, offs, &mut chosen),
            SelectPrim::Le => choose_window::<T, false>(xb, offs, &mut chosen),
        }
        f(wi, offs, &chosen);
    });
}

/// `select_and_gather_add`: per window of `operand`, the element of `tangents` (same shape)
/// at the position of the window's first maximum (`Ge`) or minimum (`Le`); 0 for a window
/// with no operand element. `out_shape` is the windowed shape.
///
/// ```
/// use ferrax::internals::kernels::window::{select_and_gather_add, Window};
/// use ferrax::lax::SelectPrim;
/// let x = ndarray::arr1(&[1.0f32, 5.0, 2.0, 4.0]).into_dyn();
/// let t = ndarray::arr1(&[10.0f32, 20.0, 30.0, 40.0]).into_dyn();
/// let w = Window { dimensions: &[2], strides: &[2], padding: &[(0, 0)],
///     base_dilation: &[1], window_dilation: &[1] };
/// let y = select_and_gather_add(&t, &x, &w, SelectPrim::Ge, &[2]);
/// assert_eq!(y.into_raw_vec_and_offset().0, vec![20.0, 40.0]);
/// ```
pub fn select_and_gather_add<T: Element + Send + Sync>(
    tangents: &ArrayD<T>,
    operand: &ArrayD<T>,
    w: &Window<'_>,
    select: SelectPrim,
    out_shape: &[usize],
) -> ArrayD<T> {
    let xs = operand.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    let ts = tangents.as_standard_layout();
    let ts = ts.as_slice().expect("standard layout");
    let plan = Plan::new(w, operand.shape(), out_shape);
    let mut out = filled(out_shape.iter().product(), T::ZERO);
    let inner = plan.inner;
    per_outer(&plan, &mut out, plan.out_block, |o, block| {
        let range = o * plan.in_block..(o + 1) * plan.in_block;
        let tb = &ts[range.clone()];
        choose_each(&plan, &xs[range], select, |wi, offs, chosen| {
            let dst = &mut block[wi * inner..(wi + 1) * inner];
            for (c, (d, &k)) in dst.iter_mut().zip(chosen).enumerate() {
                *d = tb[offs[k as usize] + c];
            }
        });
    });
    ArrayD::from_shape_vec(IxDyn(out_shape), out).expect("one value per window")
}

/// `select_and_scatter_add`: adds each element of `source` (one per window of `operand`) at
/// the position of that window's first maximum (`Ge`) or minimum (`Le`); the result has
/// `operand`'s shape, zeros where nothing was chosen. The max-pool gradient, in one pass.
///
/// ```
/// use ferrax::internals::kernels::window::{select_and_scatter_add, Window};
/// use ferrax::lax::SelectPrim;
/// let x = ndarray::arr1(&[1.0f32, 5.0, 2.0, 4.0]).into_dyn();
/// let g = ndarray::arr1(&[1.0f32, 2.0]).into_dyn();
/// let w = Window { dimensions: &[2], strides: &[2], padding: &[(0, 0)],
///     base_dilation: &[1], window_dilation: &[1] };
/// let y = select_and_scatter_add(&g, &x, &w, SelectPrim::Ge);
/// assert_eq!(y.into_raw_vec_and_offset().0, vec![0.0, 1.0, 0.0, 2.0]);
/// ```
pub fn select_and_scatter_add<T: Element + Send + Sync>(
    source: &ArrayD<T>,
    operand: &ArrayD<T>,
    w: &Window<'_>,
    select: SelectPrim,
) -> ArrayD<T> {
    let xs = operand.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    let ss = source.as_standard_layout();
    let ss = ss.as_slice().expect("standard layout");
    let plan = Plan::new(w, operand.shape(), source.shape());
    let mut out = filled(operand.len(), T::ZERO);
    let inner = plan.inner;
    per_outer(&plan, &mut out, plan.in_block, |o, block| {
        let xb = &xs[o * plan.in_block..(o + 1) * plan.in_block];
        let sb = &ss[o * plan.out_block..(o + 1) * plan.out_block];
        choose_each(&plan, xb, select, |wi, offs, chosen| {
            let src = &sb[wi * inner..(wi + 1) * inner];
            if offs.len() <= SCATTER_PER_TAP {
                // Tap by tap, adding zero where the tap was not chosen: branch-free and
                // vectorized, cheaper than one indexed read-modify-write per channel.
                for (k, &off) in offs.iter().enumerate() {
                    let k = k as u32;
                    let dst = &mut block[off..off + inner];
                    for ((d, &s), &ch) in dst.iter_mut().zip(src).zip(chosen) {
                        *d = T::xla_add(*d, if ch == k { s } else { T::ZERO });
                    }
                }
            } else {
                for (c, (&s, &k)) in src.iter().zip(chosen).enumerate() {
                    let d = &mut block[offs[k as usize] + c];
                    *d = T::xla_add(*d, s);
                }
            }
        });
    });
    ArrayD::from_shape_vec(IxDyn(operand.shape()), out).expect("operand-shaped")
}
