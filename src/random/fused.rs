//! Eager fast paths: with no transformation active and a concrete key, `bits`, `uniform` and
//! `normal` run as one fused pass (threefry of the counters, then the sampler's arithmetic,
//! per element) instead of one kernel per op. They compute the same float operations in the
//! same order as the op compositions in `samplers.rs`, so the values are bit-identical
//! (tests/nn/random.rs checks this); under `make_jaxpr`, `vmap` or `grad` the compositions run.

use crate::kernels::parallel::{chunk_len, random_ns, should_parallelize};
use crate::prims::bits::threefry_block;
use crate::tensor::{DType, Tensor};

/// The key's words if sampling can take the fused path: no trace is active and the key is
/// a concrete `u32[2]`.
pub(crate) fn eager_key(key: &Tensor) -> Option<[u32; 2]> {
    if crate::core::current_trace().is_some() || !key.is_concrete() {
        return None;
    }
    if key.dtype() != DType::U32 || key.shape() != [2] {
        return None;
    }
    let v = key.to_vec::<u32>();
    Some([v[0], v[1]])
}

pub(crate) const LANES: usize = 16;

/// Fills `out` block by block: `f(y0, y1, vals)` maps the threefry words of counters
/// `(0, start + i)` for 16 lanes to 16 values, of which the first `m` are kept.
#[inline(always)]
fn fill_serial<T: Copy + Default, F: Fn(&[u32; LANES], &[u32; LANES], &mut [T; LANES])>(
    key: [u32; 2],
    start: usize,
    out: &mut [T],
    f: &F,
) {
    let mut i = 0;
    let n = out.len();
    while i < n {
        let m = (n - i).min(LANES);
        let mut lo = [0u32; LANES];
        for (l, v) in lo.iter_mut().enumerate() {
            *v = (start + i + l) as u32;
        }
        let (y0, y1) = threefry_block(key, [0; LANES], lo);
        let mut vals = [T::default(); LANES];
        f(&y0, &y1, &mut vals);
        out[i..i + m].copy_from_slice(&vals[..m]);
        i += m;
    }
}

/// # Safety
/// The CPU must support AVX-512F, AVX-512VL and AVX2 (detected by the dispatcher below).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx2")]
unsafe fn fill_avx512<T: Copy + Default, F: Fn(&[u32; LANES], &[u32; LANES], &mut [T; LANES])>(
    key: [u32; 2],
    start: usize,
    out: &mut [T],
    f: &F,
) {
    fill_serial(key, start, out, f)
}

/// # Safety
/// The CPU must support AVX2 (detected by the dispatcher below).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn fill_avx2<T: Copy + Default, F: Fn(&[u32; LANES], &[u32; LANES], &mut [T; LANES])>(
    key: [u32; 2],
    start: usize,
    out: &mut [T],
    f: &F,
) {
    fill_serial(key, start, out, f)
}

/// `fill_serial` with the widest vector instructions this CPU has.
fn fill_dispatch<T: Copy + Default, F: Fn(&[u32; LANES], &[u32; LANES], &mut [T; LANES])>(
    key: [u32; 2],
    start: usize,
    out: &mut [T],
    f: &F,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx2")
        {
            // SAFETY: all three features the callee enables were detected at run time on
            // this CPU; the body is safe slice code.
            return unsafe { fill_avx512(key, start, out, f) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2, the one feature the callee enables, was detected at run time.
            return unsafe { fill_avx2(key, start, out, f) };
        }
    }
    fill_serial(key, start, out, f)
}

/// A new row-major `Vec` of `n` values `f(y0, y1)` of counters `0..n`, split over threads
/// for large `n`.
pub(crate) fn generate<T, F>(key: [u32; 2], n: usize, f: F) -> Vec<T>
where
    T: Copy + Default + Send,
    F: Fn(u32, u32) -> T + Sync,
{
    generate_blocks(key, n, move |y0, y1, out: &mut [T; LANES]| {
        for l in 0..LANES {
            out[l] = f(y0[l], y1[l]);
        }
    })
}

/// [`generate`] with a block function over 16 lanes.
pub(crate) fn generate_blocks<T, F>(key: [u32; 2], n: usize, f: F) -> Vec<T>
where
    T: Copy + Default + Send,
    F: Fn(&[u32; LANES], &[u32; LANES], &mut [T; LANES]) + Sync,
{
    assert!(
        n as u64 <= u32::MAX as u64 + 1,
        "random: arrays of more than 2^32 elements are not supported"
    );
    let mut out = vec![T::default(); n];
    if should_parallelize(random_ns(n)) {
        let chunk = chunk_len(n, 4096);
        crate::kernels::parallel::par_chunks_mut(&mut out, chunk, &|c, o| {
            fill_dispatch(key, c * chunk, o, &f)
        });
    } else {
        fill_dispatch(key, 0, &mut out, &f);
    }
    out
}

/// The float transform of `_uniform` for f32: mantissa bits, then `max(lo, u * span + lo)`
/// unless that is the identity.
#[inline(always)]
pub(crate) fn uniform_f32(b: u32, lo: f32, span: f32, identity: bool) -> f32 {
    let u = f32::from_bits((b >> 9) | 0x3f80_0000) - 1.0;
    if identity {
        return u;
    }
    // One FMA, as XLA contracts it; with a power-of-two span the product is exact and the
    // plain pair (no libm `fmaf` call) gives the same value.
    let y = if is_pow2(span as f64) {
        u * span + lo
    } else {
        u.mul_add(span, lo)
    };
    // XLA's max (NaN-propagating; no NaNs arise here).
    if y > lo {
        y
    } else {
        lo
    }
}

/// The f64 transform: 52 mantissa bits of `y0 << 32 | y1`.
#[inline(always)]
pub(crate) fn uniform_f64(y0: u32, y1: u32, lo: f64, span: f64, identity: bool) -> f64 {
    let hi = (y0 >> 12) | 0x3ff0_0000;
    let low = (y0 << 20) | (y1 >> 12);
    let u = f64::from_bits((hi as u64) << 32 | low as u64) - 1.0;
    if identity {
        return u;
    }
    let y = if is_pow2(span) {
        u * span + lo
    } else {
        u.mul_add(span, lo)
    };
    if y > lo {
        y
    } else {
        lo
    }
}

/// Whether `v` is ± a power of two (a product with it is exact barring overflow/underflow).
#[inline(always)]
fn is_pow2(v: f64) -> bool {
    v != 0.0 && v.is_finite() && v.to_bits() & ((1u64 << 52) - 1) == 0
}
