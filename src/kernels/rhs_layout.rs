//! gemm's one slow operand layout, fixed by a copy. gemm reads the right operand fastest when
//! its rows are contiguous (`rhs_cs == 1`). For `A @ B^T` with `B` row-major (`rhs_rs == 1`:
//! every backward pass of a dense layer, `dy @ W^T`, and a recurrent step's `dz @ Wh^T`) its
//! packing walks `B` across rows, and a long contraction ran at 40% of the normal layout's
//! speed. Copying `B` into row-major `k x n` first costs `k * n` moves against the product's
//! `m * n * k` multiply-adds, and wins once the contraction is long: at `k = 512` the copy
//! plus the product took half the time of the strided product; at `k = 128` the copy lost.

/// Shortest contraction for which the copy pays.
const MIN_K: usize = 256;
/// Fewest rows of `lhs` for which the copy pays (it is amortised over them).
const MIN_M: usize = 8;

/// Whether `rhs` (`k x n`, strides `rhs_rs`, `rhs_cs`) should be copied to row-major before a
/// product with `m` rows whose `lhs` rows are contiguous (`lhs_cs == 1`).
///
/// ```
/// use ferrax::internals::kernels::matmul::copy_rhs_pays;
/// assert!(copy_rhs_pays(64, 128, 512, 1, 1, 512)); // dz @ W^T, W [128, 512]
/// assert!(!copy_rhs_pays(64, 128, 512, 1, 128, 1)); // already row-major
/// ```
pub fn copy_rhs_pays(
    m: usize,
    n: usize,
    k: usize,
    lhs_cs: usize,
    rhs_rs: usize,
    rhs_cs: usize,
) -> bool {
    lhs_cs == 1 && rhs_rs == 1 && rhs_cs != 1 && n > 1 && k >= MIN_K && m >= MIN_M
}

/// The `k x n` matrix `rhs[p * 1 + j * rhs_cs]` as a row-major vector, copied in 8 x 8
/// blocks (reads and writes both stay within a few cache lines per block); for 4-byte
/// elements on AVX, each whole block in registers.
///
/// # Safety
///
/// `(n - 1) * rhs_cs + k - 1 < rhs.len()` without overflow (every element read lies inside
/// `rhs`), with `k, n >= 1`.
pub(super) unsafe fn row_major_copy<T: Copy>(
    rhs: &[T],
    k: usize,
    n: usize,
    rhs_cs: usize,
) -> Vec<T> {
    const BLOCK: usize = 8;
    let mut out: Vec<T> = Vec::with_capacity(k * n);
    let (src, dst) = (rhs.as_ptr(), out.as_mut_ptr());
    #[cfg(target_arch = "x86_64")]
    let simd =
        size_of::<T>() == 4 && super::simd::SimdLevel::detect() >= super::simd::SimdLevel::Avx2Fma;
    for j0 in (0..n).step_by(BLOCK) {
        for p0 in (0..k).step_by(BLOCK) {
            #[cfg(target_arch = "x86_64")]
            if simd && j0 + BLOCK <= n && p0 + BLOCK <= k {
                // SAFETY: AVX is present (AVX2 was detected); `T` is 4 bytes wide and `Copy`,
                // so moving its bits as f32 lanes moves the values. The 8 rows `j0..j0 + 8`
                // read `p0..p0 + 8` inside `rhs` (contract), and the 8 rows `p0..p0 + 8` of
                // `out` written at `j0..j0 + 8` lie inside its capacity `k * n`.
                unsafe {
                    avx::transpose8x8(
                        src.add(j0 * rhs_cs + p0).cast(),
                        rhs_cs,
                        dst.add(p0 * n + j0).cast(),
                        n,
                    )
                };
                continue;
            }
            for j in j0..(j0 + BLOCK).min(n) {
                for p in p0..(p0 + BLOCK).min(k) {
                    // SAFETY: `j < n`, `p < k`: the read is inside `rhs` by the contract and
                    // the write `p * n + j < k * n` inside `out`'s capacity.
                    unsafe { dst.add(p * n + j).write(*src.add(j * rhs_cs + p)) };
                }
            }
        }
    }
    // SAFETY: the blocks cover every (p, j) with p < k, j < n exactly once, so all `k * n`
    // elements were written above.
    unsafe { out.set_len(k * n) };
    out
}

#[cfg(target_arch = "x86_64")]
mod avx {
    use std::arch::x86_64::*;

    /// Transposes the 8 x 8 block of f32 at `src` (rows `src_rs` apart) into `dst` (rows
    /// `dst_rs` apart): three rounds of lane shuffles, eight loads and eight stores.
    ///
    /// # Safety
    ///
    /// AVX must be available; `src + r * src_rs .. + 8` must be readable and `dst + r *
    /// dst_rs .. + 8` writable for `r < 8`.
    // The shuffles are safe to call inside a `target_feature` function from Rust 1.87 and
    // unsafe before (the crate's MSRV is 1.85): one `unsafe` block serves both.
    #[allow(unused_unsafe)]
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn transpose8x8(
        src: *const f32,
        src_rs: usize,
        dst: *mut f32,
        dst_rs: usize,
    ) {
        // SAFETY: the reads and writes are the ones the contract allows; the rest is
        // register arithmetic on AVX, which the caller guarantees.
        unsafe {
            let r: [__m256; 8] = std::array::from_fn(|i| _mm256_loadu_ps(src.add(i * src_rs)));
            let t = [
                _mm256_unpacklo_ps(r[0], r[1]),
                _mm256_unpackhi_ps(r[0], r[1]),
                _mm256_unpacklo_ps(r[2], r[3]),
                _mm256_unpackhi_ps(r[2], r[3]),
                _mm256_unpacklo_ps(r[4], r[5]),
                _mm256_unpackhi_ps(r[4], r[5]),
                _mm256_unpacklo_ps(r[6], r[7]),
                _mm256_unpackhi_ps(r[6], r[7]),
            ];
            let s = [
                _mm256_shuffle_ps::<0x44>(t[0], t[2]),
                _mm256_shuffle_ps::<0xEE>(t[0], t[2]),
                _mm256_shuffle_ps::<0x44>(t[1], t[3]),
                _mm256_shuffle_ps::<0xEE>(t[1], t[3]),
                _mm256_shuffle_ps::<0x44>(t[4], t[6]),
                _mm256_shuffle_ps::<0xEE>(t[4], t[6]),
                _mm256_shuffle_ps::<0x44>(t[5], t[7]),
                _mm256_shuffle_ps::<0xEE>(t[5], t[7]),
            ];
            for i in 0..4 {
                _mm256_storeu_ps(
                    dst.add(i * dst_rs),
                    _mm256_permute2f128_ps::<0x20>(s[i], s[i + 4]),
                );
                _mm256_storeu_ps(
                    dst.add((i + 4) * dst_rs),
                    _mm256_permute2f128_ps::<0x31>(s[i], s[i + 4]),
                );
            }
        }
    }
}
