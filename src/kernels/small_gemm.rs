//! A direct AVX-512 kernel for small f32 products whose right operand has unit column
//! stride (`x @ W` with `W` row-major, `h^T @ dz`): it reads the operands where they lie,
//! with no packing. gemm packs both operands of every product into its own panel layout;
//! for the small products of a recurrent step (`[64, 128] x [128, 512]`, the same weight
//! every step) that packing cost about a third of the multiply itself.
//!
//! Each tile keeps `R <= 6` rows by `V <= 4` vectors of 16 columns of the destination in
//! registers and runs the whole reduction `p = 0..k` over them: per `p`, `V` loads of a row
//! of `rhs` and `R` broadcasts of `lhs` feed `R * V` fused multiply-adds. The sum over `p`
//! is sequential, in the same order as gemm's microkernel within one block of `k`.

use super::simd::SimdLevel;

/// Longest reduction the direct kernel takes: a 64-column strip of `rhs` (`k * 256` bytes)
/// stays in L2 while the row tiles stream over it.
const MAX_K: usize = 1024;
/// Most rows the direct kernel takes (beyond, gemm's packing is amortised over many tiles).
const MAX_M: usize = 256;

/// Runs `dst (+)= lhs @ rhs` with the direct kernel and returns `true` if the product suits it
/// (AVX-512 present, `rhs_cs == 1`, `m <= 256`, `k <= 1024`); otherwise does nothing and
/// returns `false`.
///
/// # Safety
///
/// The contract of [`super::matmul::MatmulElement::matmul_unchecked`]: with `m, n, k >= 1`,
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
    let direct = rhs_cs == 1 && m <= MAX_M && k <= MAX_K;
    let dots = lhs_cs == 1 && rhs_rs == 1 && m <= MAX_M && n <= MAX_M && k >= 64;
    if !(direct || dots) || SimdLevel::detect() != SimdLevel::Avx512 {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if direct {
            let s = Strides {
                dst_rs,
                lhs_rs,
                lhs_cs,
                rhs_rs,
            };
            // SAFETY: `detect` found AVX-512F (and AVX2, FMA) on this CPU; the layout
            // contract is this function's own, passed on unchanged.
            unsafe { avx512::run(m, n, k, dst, lhs, rhs, s, accumulate) };
        } else {
            // SAFETY: as above; `lhs` rows and `rhs` columns are contiguous (`lhs_cs ==
            // rhs_rs == 1`), which is what `dots` reads.
            unsafe { avx512::dots(m, n, k, dst, dst_rs, lhs, lhs_rs, rhs, rhs_cs, accumulate) };
        }
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (n, dst, dst_rs, lhs, lhs_rs, lhs_cs, rhs, rhs_rs, accumulate);
        false
    }
}

/// The strides (in elements) the kernel needs; `rhs` and `dst` have unit column stride.
#[derive(Clone, Copy)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
struct Strides {
    dst_rs: usize,
    lhs_rs: usize,
    lhs_cs: usize,
    rhs_rs: usize,
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    //! Written on plain `[f32; 16]` lanes (one AVX-512 register each once compiled with the
    //! features below), not `std::arch` intrinsics: the AVX-512 intrinsics need Rust 1.89,
    //! past the crate's MSRV.

    use super::Strides;

    /// Rows per full tile.
    const MR: usize = 6;
    /// Columns per full tile (four lanes of 16).
    const NC: usize = 64;

    type Lane = [f32; 16];

    /// `acc += a * b`, lane by lane (one `vfmadd` on a zmm register).
    #[inline(always)]
    fn fma(acc: &mut Lane, a: f32, b: &Lane) {
        for l in 0..16 {
            acc[l] = a.mul_add(b[l], acc[l]);
        }
    }

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

    /// # Safety
    ///
    /// AVX-512F must be available, and the layout must meet [`super::try_f32`]'s contract.
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn run(
        m: usize,
        n: usize,
        k: usize,
        dst: &mut [f32],
        lhs: &[f32],
        rhs: &[f32],
        s: Strides,
        accumulate: bool,
    ) {
        let (d, a, b) = (dst.as_mut_ptr(), lhs.as_ptr(), rhs.as_ptr());
        let mut j0 = 0;
        while j0 < n {
            let cols = (n - j0).min(NC);
            let mut i0 = 0;
            while i0 < m {
                let rows = (m - i0).min(MR);
                let t = Tile {
                    d: d.wrapping_add(i0 * s.dst_rs + j0),
                    a: a.wrapping_add(i0 * s.lhs_rs),
                    b: b.wrapping_add(j0),
                    k,
                    s,
                    cols,
                    accumulate,
                };
                // SAFETY: rows `i0..i0 + rows` and columns `j0..j0 + cols` lie inside the
                // `m x n` block, so by the contract every element the tile reads or writes
                // lies inside its slice; the caller checked AVX-512F.
                unsafe {
                    match (rows, cols.div_ceil(16)) {
                        (6, 4) => t.run::<6, 4>(),
                        (6, 3) => t.run::<6, 3>(),
                        (6, 2) => t.run::<6, 2>(),
                        (6, _) => t.run::<6, 1>(),
                        (5, 4) => t.run::<5, 4>(),
                        (5, 3) => t.run::<5, 3>(),
                        (5, 2) => t.run::<5, 2>(),
                        (5, _) => t.run::<5, 1>(),
                        (4, 4) => t.run::<4, 4>(),
                        (4, 3) => t.run::<4, 3>(),
                        (4, 2) => t.run::<4, 2>(),
                        (4, _) => t.run::<4, 1>(),
                        (3, 4) => t.run::<3, 4>(),
                        (3, 3) => t.run::<3, 3>(),
                        (3, 2) => t.run::<3, 2>(),
                        (3, _) => t.run::<3, 1>(),
                        (2, 4) => t.run::<2, 4>(),
                        (2, 3) => t.run::<2, 3>(),
                        (2, 2) => t.run::<2, 2>(),
                        (2, _) => t.run::<2, 1>(),
                        (_, 4) => t.run::<1, 4>(),
                        (_, 3) => t.run::<1, 3>(),
                        (_, 2) => t.run::<1, 2>(),
                        (_, _) => t.run::<1, 1>(),
                    }
                }
                i0 += rows;
            }
            j0 += cols;
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

    /// One destination tile: `d` is its top-left element, `a` the first row of `lhs` it
    /// reads, `b` the first column of `rhs`; `cols <= 16 * V` columns are live.
    struct Tile {
        d: *mut f32,
        a: *const f32,
        b: *const f32,
        k: usize,
        s: Strides,
        cols: usize,
        accumulate: bool,
    }

    impl Tile {
        /// `acc[r][v] += lhs[r, p] * rhs[p, 16 v ..]` for `p < k`, lane `v` reading
        /// `live(v).min(16)` columns.
        ///
        /// # Safety
        ///
        /// As [`Tile::run`], with `live(v)` at most the live columns of lane `v`.
        #[inline(always)]
        unsafe fn sweep<const R: usize, const V: usize>(
            acc: &mut [[Lane; V]; R],
            a: *const f32,
            b: *const f32,
            k: usize,
            s: Strides,
            live: impl Fn(usize) -> usize,
        ) {
            for p in 0..k {
                let brow = b.wrapping_add(p * s.rhs_rs);
                // SAFETY: the live columns of row `p` of the strip lie inside `rhs`.
                let bv: [Lane; V] =
                    std::array::from_fn(|v| unsafe { load(brow.wrapping_add(16 * v), live(v)) });
                let acol = a.wrapping_add(p * s.lhs_cs);
                for (r, row) in acc.iter_mut().enumerate() {
                    // SAFETY: `lhs[(i0 + r) * lhs_rs + p * lhs_cs]` is inside `lhs`.
                    let x = unsafe { *acol.wrapping_add(r * s.lhs_rs) };
                    for (y, z) in row.iter_mut().zip(&bv) {
                        fma(y, x, z);
                    }
                }
            }
        }

        /// # Safety
        ///
        /// AVX-512F must be available; `R` rows from `a` (stride `lhs_rs`, `k` columns of
        /// stride `lhs_cs`), `k` rows of `cols` elements from `b` (stride `rhs_rs`) and `R`
        /// rows of `cols` elements from `d` (stride `dst_rs`) must lie inside their slices,
        /// with `16 * (V - 1) < cols <= 16 * V`.
        #[inline(always)]
        unsafe fn run<const R: usize, const V: usize>(&self) {
            let Tile {
                d,
                a,
                b,
                k,
                s,
                cols,
                accumulate,
            } = *self;
            // Live columns of lane `v`.
            let live = |v: usize| cols.saturating_sub(16 * v);
            let mut acc = [[[0.0f32; 16]; V]; R];
            if accumulate {
                for (r, row) in acc.iter_mut().enumerate() {
                    for (v, x) in row.iter_mut().enumerate() {
                        // SAFETY: the live columns of row `r` of the tile lie inside `dst`.
                        *x = unsafe { load(d.wrapping_add(r * s.dst_rs + 16 * v), live(v)) };
                    }
                }
            }
            // Two copies of the loop, so the full tiles' loads carry no branch and the
            // accumulators stay in registers.
            if cols == 16 * V {
                // SAFETY: all `16 * V` columns are live.
                unsafe { Self::sweep::<R, V>(&mut acc, a, b, k, s, |_| 16) };
            } else {
                // SAFETY: `live` bounds each lane's reads by the live columns.
                unsafe { Self::sweep::<R, V>(&mut acc, a, b, k, s, live) };
            }
            for (r, row) in acc.iter().enumerate() {
                for (v, x) in row.iter().enumerate() {
                    let n = live(v).min(16);
                    let (to, x) = (d.wrapping_add(r * s.dst_rs + 16 * v), *x);
                    // SAFETY: the live columns of row `r` of the tile lie inside `dst`, which
                    // no other reference reaches while this runs (`&mut` borrow upstream).
                    unsafe {
                        if n == 16 {
                            to.cast::<Lane>().write_unaligned(x);
                        } else {
                            std::ptr::copy_nonoverlapping(x.as_ptr(), to, n);
                        }
                    }
                }
            }
        }
    }
}
