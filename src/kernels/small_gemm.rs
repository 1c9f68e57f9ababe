//! A direct AVX-512 kernel for small f32 products `A @ B^T` whose operands are both
//! contiguous along the contraction (a recurrent step's `dz @ W^T`): it reads them where they
//! lie, 4 x 4 dot products at a time. gemm packs both operands of every product into its own
//! panel layout; for these small products (the same weight every step) that packing cost
//! about a third of the multiply. A register-tiled `x @ W` path was tried too and removed:
//! it made the small-MLP training steps about 1.5x slower than gemm.

use super::simd::SimdLevel;

/// Most rows (and columns) the direct kernel takes (beyond, gemm's packing is amortised).
const MAX_M: usize = 256;

/// Runs `dst (+)= lhs @ rhs` with the direct kernel and returns `true` if the product suits it
/// (AVX-512 present, `lhs_cs == rhs_rs == 1`, `m, n <= 256`, `k >= 64`); otherwise does
/// nothing and returns `false`.
///
/// # Safety
///
/// The contract of [`super::matmul::matmul_unchecked`]: with `m, n, k >= 1`,
/// every element the product touches through the sizes and strides lies inside its slice
/// (computed without overflow), and `dst_rs >= n` when `m > 1`.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn try_f32(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    dst_rs: usize,
    lhs: &[f32],
    lhs_rs: usize,
    lhs_cs: usize,
    rhs: &[f32],
    rhs_rs: usize,
    rhs_cs: usize,
    accumulate: bool,
) -> bool {
    let dots = lhs_cs == 1 && rhs_rs == 1 && m <= MAX_M && n <= MAX_M && k >= 64;
    if !dots || SimdLevel::detect() != SimdLevel::Avx512 {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `detect` found AVX-512F (and AVX2, FMA) on this CPU; the layout contract is
        // this function's own, and `lhs` rows and `rhs` columns are contiguous (`lhs_cs ==
        // rhs_rs == 1`), which is what `dots` reads.
        unsafe { avx512::dots(m, n, k, dst, dst_rs, lhs, lhs_rs, rhs, rhs_cs, accumulate) };
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (n, dst, dst_rs, lhs, lhs_rs, lhs_cs, rhs, rhs_rs, accumulate);
        false
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    //! Written on plain `[f32; 16]` lanes (one AVX-512 register each once compiled with the
    //! features below), not `std::arch` intrinsics: the AVX-512 intrinsics need Rust 1.89,
    //! past the crate's MSRV.

    type Lane = [f32; 16];

    /// `acc += a * b`, lane by lane.
    #[inline(always)]
    fn fma2(acc: &mut Lane, a: &Lane, b: &Lane) {
        for l in 0..16 {
            acc[l] = a[l].mul_add(b[l], acc[l]);
        }
    }

    /// Sixteen elements from `p`, or the first `live` of them and zeros.
    ///
    /// # Safety
    ///
    /// `p .. p + live.min(16)` must be readable.
    #[inline(always)]
    unsafe fn load(p: *const f32, live: usize) -> Lane {
        if live >= 16 {
            // SAFETY: 16 readable elements (caller); `read_unaligned` needs no alignment.
            unsafe { p.cast::<Lane>().read_unaligned() }
        } else {
            let mut x = [0.0; 16];
            // SAFETY: `live` readable elements (caller), into a local array.
            unsafe { std::ptr::copy_nonoverlapping(p, x.as_mut_ptr(), live) };
            x
        }
    }

    /// `dst[i, j] (+)= lhs[i, :] . rhs[:, j]` when both are contiguous (`A @ B^T` with both
    /// row-major): 4 x 4 dot products at a time, 16 lanes of `p` per step, each sum reduced
    /// across lanes at the end. gemm would pack `rhs` (the whole weight, for a recurrent
    /// step's `dz @ W^T`) on every call.
    ///
    /// # Safety
    ///
    /// AVX-512F must be available, and the layout must meet [`super::try_f32`]'s contract
    /// with `lhs_cs == rhs_rs == 1`.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn dots(
        m: usize,
        n: usize,
        k: usize,
        dst: &mut [f32],
        dst_rs: usize,
        lhs: &[f32],
        lhs_rs: usize,
        rhs: &[f32],
        rhs_cs: usize,
        accumulate: bool,
    ) {
        let (d, a, b) = (dst.as_mut_ptr(), lhs.as_ptr(), rhs.as_ptr());
        let mut i0 = 0;
        while i0 < m {
            let rows = (m - i0).min(4);
            let mut j0 = 0;
            while j0 < n {
                let cols = (n - j0).min(4);
                // Rows and columns past the block repeat the last live one (read, never
                // stored), so every pointer stays inside the operands.
                let ar: [*const f32; 4] =
                    std::array::from_fn(|r| a.wrapping_add((i0 + r.min(rows - 1)) * lhs_rs));
                let bc: [*const f32; 4] =
                    std::array::from_fn(|c| b.wrapping_add((j0 + c.min(cols - 1)) * rhs_cs));
                let mut acc = [[[0.0f32; 16]; 4]; 4];
                let mut p = 0;
                while p < k {
                    let live = k - p;
                    // SAFETY: by the contract, lhs row `i < m` and rhs column `j < n` each
                    // have `k` contiguous elements inside their slices; `load` reads
                    // `min(16, k - p)` of them from `p`.
                    let (av, bv): ([Lane; 4], [Lane; 4]) = unsafe {
                        (
                            std::array::from_fn(|r| load(ar[r].wrapping_add(p), live)),
                            std::array::from_fn(|c| load(bc[c].wrapping_add(p), live)),
                        )
                    };
                    for (row, x) in acc.iter_mut().zip(&av) {
                        for (y, z) in row.iter_mut().zip(&bv) {
                            fma2(y, x, z);
                        }
                    }
                    p += 16;
                }
                for (r, row) in acc.iter().enumerate().take(rows) {
                    for (c, x) in row.iter().enumerate().take(cols) {
                        // Pairwise over the lanes.
                        let mut h = *x;
                        let mut w = 8;
                        while w > 0 {
                            for l in 0..w {
                                h[l] += h[l + w];
                            }
                            w /= 2;
                        }
                        // SAFETY: `i0 + r < m`, `j0 + c < n`: inside the block of `dst`.
                        let out = unsafe { &mut *d.add((i0 + r) * dst_rs + j0 + c) };
                        *out = if accumulate { *out + h[0] } else { h[0] };
                    }
                }
                j0 += cols;
            }
            i0 += rows;
        }
    }
}
