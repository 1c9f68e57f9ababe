//! Branch-free f32 transcendental kernels, generic over [`Mad`] so that one source serves the
//! portable loop (separate multiply and add) and the FMA-compiled ones. Every `if` here is a
//! per-lane select, so a loop of them vectorizes; no libm calls, no `round` (a libm call on
//! baseline x86-64). Polynomial coefficients were fitted for these ranges (weighted minimax,
//! Lawson's iteration in mpmath; `tests/prims/kernels_accuracy.rs` measures the results).

use super::simd::Mad;

const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split in a 9-bit high part (exact products with small integers) and the rest.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5 · 2^23: adding it rounds a float of magnitude < 2^22 to an integer (ties to even),
/// which then sits in the low mantissa bits.
const SHIFT: f32 = 12_582_912.0;

/// Horner's rule with [`Mad`], highest coefficient last.
#[inline(always)]
fn poly<M: Mad, const N: usize>(c: &[f32; N], x: f32) -> f32 {
    let mut p = c[N - 1];
    for k in (0..N - 1).rev() {
        p = M::mad(p, x, c[k]);
    }
    p
}

/// `n = round(x / ln 2)` (as float and integer) and `r = x - n ln 2` (Cody-Waite, so `r` is
/// exact to ~2^-33 relative for |n| ≤ 150). `x` must have magnitude below 2^21.
#[inline(always)]
fn reduce_ln2<M: Mad>(x: f32) -> (f32, i32, f32) {
    let t = M::mad(x, LOG2E, SHIFT);
    let n = t - SHIFT;
    let ni = (t.to_bits() as i32).wrapping_sub(SHIFT.to_bits() as i32);
    let r = M::mad(n, -LN2_HI, x);
    let r = M::mad(n, -LN2_LO, r);
    (n, ni, r)
}

/// `2^k` for `k` in [-126, 127].
#[inline(always)]
fn pow2i(k: i32) -> f32 {
    f32::from_bits((k.wrapping_add(127) as u32) << 23)
}

/// `e^x`: Cephes' degree-5 polynomial on the reduced argument, then `2^n` applied in two
/// halves so subnormal results round once. ≤ 1 ulp; `inf`, `-inf` → 0 and NaN as libm.
#[inline(always)]
#[allow(clippy::excessive_precision)] // published coefficients, kept as written
pub(crate) fn exp<M: Mad>(x: f32) -> f32 {
    const P: [f32; 6] = [
        5.000_000_1e-1,
        1.666_666_5e-1,
        4.166_579_6e-2,
        8.333_452e-3,
        1.398_199_9e-3,
        1.987_569_1e-4,
    ];
    let xc = x.clamp(-104.0, 88.8);
    let (_, ni, r) = reduce_ln2::<M>(xc);
    let p = poly::<M, 6>(&P, r);
    let y = M::mad(p * r, r, r) + 1.0;
    // 2^n = 2^(n>>1) · 2^(n - (n>>1)): both halves normal for n in [-150, 128].
    let h1 = ni >> 1;
    let v = y * pow2i(h1) * pow2i(ni.wrapping_sub(h1));
    if x > 88.722_84 {
        f32::INFINITY
    } else if x.is_nan() {
        x
    } else {
        v
    }
}

/// The logistic sigmoid `1 / (1 + e^-x)`, as `e^{-|x|}` over `1 + e^{-|x|}` for x < 0 (no
/// overflow, full relative accuracy for large negative x).
#[inline(always)]
pub(crate) fn logistic<M: Mad>(x: f32) -> f32 {
    let e = exp::<M>(-x.abs());
    let num = if x >= 0.0 { 1.0 } else { e };
    num / (1.0 + e)
}
