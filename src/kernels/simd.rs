//! Run-time choice of the vector instruction set for the elementwise and reduction loops.
//!
//! A default build targets baseline x86-64 (SSE2, no FMA), where the branch-free kernels run
//! 4 lanes wide with separate multiplies and adds. The hot loops are therefore compiled a
//! second and third time with `#[target_feature]` for AVX2+FMA and AVX-512, and
//! [`SimdLevel::detect`] picks one once per process (the answer is cached in a static).

use std::sync::atomic::{AtomicU8, Ordering};

/// Which compiled copy of a kernel loop runs. Ordered from the most portable to the widest.
///
/// `Portable` is plain Rust (SSE2 on x86-64, whatever the target has elsewhere); the other two
/// exist only on x86-64 and use fused multiply-adds, so their results may differ from the
/// portable ones in the last bit (both stay within the documented ulp bounds).
///
/// ```
/// use ferrax::internals::kernels::simd::SimdLevel;
/// let level = SimdLevel::detect();
/// assert!(level >= SimdLevel::Portable);
/// assert!(SimdLevel::available().contains(&level));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SimdLevel {
    /// The target's baseline instructions, separate multiply and add.
    Portable,
    /// AVX2 with FMA (x86-64 only).
    Avx2Fma,
    /// AVX-512F with AVX2 and FMA (x86-64 only).
    Avx512,
}

static LEVEL: AtomicU8 = AtomicU8::new(u8::MAX);

impl SimdLevel {
    /// The widest level this CPU supports, detected on the first call and cached.
    ///
    /// ```
    /// let a = ferrax::internals::kernels::simd::SimdLevel::detect();
    /// assert_eq!(a, ferrax::internals::kernels::simd::SimdLevel::detect());
    /// ```
    #[inline]
    pub fn detect() -> SimdLevel {
        match LEVEL.load(Ordering::Relaxed) {
            0 => SimdLevel::Portable,
            1 => SimdLevel::Avx2Fma,
            2 => SimdLevel::Avx512,
            _ => {
                let l = Self::probe();
                LEVEL.store(l as u8, Ordering::Relaxed);
                l
            }
        }
    }

    fn probe() -> SimdLevel {
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma");
            if avx2 && std::arch::is_x86_feature_detected!("avx512f") {
                return SimdLevel::Avx512;
            }
            if avx2 {
                return SimdLevel::Avx2Fma;
            }
        }
        SimdLevel::Portable
    }

    /// Every level this CPU can run, most portable first (for tests that compare them).
    ///
    /// ```
    /// use ferrax::internals::kernels::simd::SimdLevel;
    /// assert_eq!(SimdLevel::available()[0], SimdLevel::Portable);
    /// ```
    pub fn available() -> Vec<SimdLevel> {
        let top = Self::detect();
        [SimdLevel::Portable, SimdLevel::Avx2Fma, SimdLevel::Avx512]
            .into_iter()
            .filter(|&l| l <= top)
            .collect()
    }

    /// `self`, lowered to what this CPU supports (so a forced level is always safe to run).
    ///
    /// ```
    /// use ferrax::internals::kernels::simd::SimdLevel;
    /// assert!(SimdLevel::Avx512.supported() <= SimdLevel::detect());
    /// ```
    #[inline]
    pub fn supported(self) -> SimdLevel {
        self.min(Self::detect())
    }
}

/// `a * b + c`, fused (one rounding) or not: kernels are generic over it so the FMA-compiled
/// copies use `vfmadd` while the portable copy never calls the slow software `fmaf`.
pub(crate) trait Mad {
    fn mad(a: f32, b: f32, c: f32) -> f32;
}

/// Separate multiply and add (two roundings).
pub(crate) struct Split;

/// One fused multiply-add; only used inside `#[target_feature(enable = "fma")]` code.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) struct Fused;

impl Mad for Split {
    #[inline(always)]
    fn mad(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
}

impl Mad for Fused {
    #[inline(always)]
    fn mad(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
}
