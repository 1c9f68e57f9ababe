//! ferrax's own recycler of large element buffers.
//!
//! A jitted training step frees and reallocates the same large buffers on every call. glibc
//! returns big freed blocks to the OS (they are `mmap`ed, or trimmed off the top of the heap),
//! so each comes back as fresh pages and every 4 KiB page costs a page fault (~1.3 µs on a
//! small VM: ~7,000 of them, half the time of the CNN step). Instead of retuning the
//! process-wide allocator ([`crate::runtime::tune_allocator`], opt-in), ferrax keeps the
//! buffers it frees itself and hands them to the next kernel that needs one of that size.
//!
//! **Policy.**
//! - Only buffers of at least [`MIN_BYTES`] (64 KiB) are pooled; smaller ones are cheap for
//!   `malloc`, which keeps them in its own free lists.
//! - Buffers are shelved by element type and exact capacity. A take of `n` elements gets the
//!   smallest shelved buffer whose capacity is in `n..=n + n / 8` (so at most 12.5% is
//!   wasted), or a fresh allocation.
//! - At most [`PER_CLASS`] buffers per capacity, and at most the limit in bytes overall
//!   (default [`DEFAULT_LIMIT`], 1 GiB; `FERRAX_BUFFER_POOL=<MiB>` or
//!   [`crate::runtime::set_buffer_pool_limit`] changes it, `0` turns the pool off). A buffer
//!   that does not fit is simply freed. (A CNN training step at batch 64 keeps ~24 MiB here,
//!   a 784-512-512-10 MLP step ~1 MiB.)
//! - Buffers come back only where ferrax knows it holds the last reference: the compiled
//!   programs of `jit` give back each intermediate after its last use, and kernels their
//!   scratch. So the pool holds at most about one step's worth of intermediates;
//!   [`crate::runtime::release_buffers`] frees them all.
//!
//! A buffer from the pool holds old values: [`take`] returns it empty (length 0),
//! [`take_zeroed`] zeroed, and [`take_filled`] at full length with whatever values it holds
//! (valid values of its type, left by its last user; zeros where it has none), for kernels
//! that overwrite every element and should not pay to zero them first. A shelved buffer keeps
//! its length, which is how the pool knows which of its elements hold values.

pub use crate::tensor::pool_shelves::{Poolable, Shelf, Shelves};
use crate::tensor::ArrayData;
use std::sync::{LazyLock, Mutex, PoisonError};

/// Buffers smaller than this (in bytes) are left to `malloc`.
pub const MIN_BYTES: usize = 64 << 10;

/// Default cap on the bytes the pool holds.
pub const DEFAULT_LIMIT: usize = 1 << 30;

/// Most buffers kept per element type and capacity.
pub const PER_CLASS: usize = 8;

/// A buffer pool (the process-wide one is behind [`take`] and [`give`]; separate pools
/// exist for tests).
///
/// ```
/// use ferrax::internals::kernels::pool::BufferPool;
/// let pool = BufferPool::new(1 << 20);
/// let v = vec![1.0f32; 100_000];
/// let ptr = v.as_ptr();
/// pool.give(v);
/// let w: Vec<f32> = pool.take(100_000);
/// assert_eq!((w.as_ptr(), w.len()), (ptr, 0));
/// ```
pub struct BufferPool(Mutex<Shelves>);

impl BufferPool {
    /// An empty pool holding at most `limit` bytes (`0`: a pool that keeps nothing).
    pub fn new(limit: usize) -> BufferPool {
        BufferPool(Mutex::new(Shelves {
            limit,
            ..Shelves::default()
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shelves> {
        // The shelves are consistent between statements: a panic elsewhere cannot break them.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An empty vector with room for `n` elements: a shelved buffer if one fits, else fresh.
    pub fn take<T: Poolable>(&self, n: usize) -> Vec<T> {
        let mut v = self.shelved(n).unwrap_or_else(|| Vec::with_capacity(n));
        v.clear();
        v
    }

    /// `n` zeros (`false` for bool), in a shelved buffer if one fits.
    pub fn take_zeroed<T: Poolable>(&self, n: usize) -> Vec<T> {
        let mut v = self.take(n);
        v.resize(n, T::default());
        v
    }

    /// `n` elements with unspecified values, for a kernel that overwrites all of them: a
    /// shelved buffer keeps the values its last user left (only elements it never held are
    /// zeroed), a fresh one is zeroed.
    ///
    /// ```
    /// use ferrax::internals::kernels::pool::BufferPool;
    /// let pool = BufferPool::new(1 << 20);
    /// pool.give(vec![7.0f32; 100_000]);
    /// let v: Vec<f32> = pool.take_filled(90_000);
    /// assert_eq!((v.len(), v[0]), (90_000, 7.0)); // old values, not zeroed
    /// ```
    pub fn take_filled<T: Poolable>(&self, n: usize) -> Vec<T> {
        let mut v = self.shelved(n).unwrap_or_default();
        if v.len() >= n {
            v.truncate(n);
        } else {
            v.resize(n, T::default());
        }
        v
    }

    /// The smallest shelved buffer whose capacity is in `n..=n + n / 8`, with the length
    /// (values) its last user left.
    fn shelved<T: Poolable>(&self, n: usize) -> Option<Vec<T>> {
        if n.saturating_mul(size_of::<T>()) < MIN_BYTES {
            return None;
        }
        let mut s = self.lock();
        let v = T::take_shelved(&mut s, n)?;
        s.bytes -= v.capacity() * size_of::<T>();
        Some(v)
    }

    /// Shelves `v` for reuse if it is large enough and fits under the limits; else frees it.
    pub fn give<T: Poolable>(&self, v: Vec<T>) {
        let bytes = v.capacity() * size_of::<T>();
        if bytes < MIN_BYTES {
            return;
        }
        // The length stays: it tells `take_filled` which elements hold values.
        let mut s = self.lock();
        if s.bytes + bytes > s.limit {
            return;
        }
        // Dtypes without shelves (and full capacity classes) hand `v` back: it is freed.
        if T::shelve(&mut s, v, PER_CLASS).is_ok() {
            s.bytes += bytes;
        }
    }

    /// Gives back the storage of an array no one else holds (any dtype).
    pub fn give_array(&self, a: ArrayData) {
        crate::dispatch_array!(a, x, T => self.give::<T>(x.into_raw_vec_and_offset().0))
    }

    /// Frees every shelved buffer.
    pub fn clear(&self) {
        let mut s = self.lock();
        let limit = s.limit;
        *s = Shelves {
            limit,
            ..Shelves::default()
        };
    }

    /// Bytes currently shelved.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// The cap on shelved bytes.
    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    /// Sets the cap; shelved buffers are freed if they exceed it.
    pub fn set_limit(&self, limit: usize) {
        let mut s = self.lock();
        s.limit = limit;
        if s.bytes > limit {
            *s = Shelves {
                limit,
                ..Shelves::default()
            };
        }
    }
}

/// The process-wide pool; its limit comes from `FERRAX_BUFFER_POOL`: a size in MiB, `0`
/// (or `off`, `false`) for no pool; unset or unreadable, [`DEFAULT_LIMIT`].
static POOL: LazyLock<BufferPool> = LazyLock::new(|| {
    let v = std::env::var("FERRAX_BUFFER_POOL").unwrap_or_default();
    let limit = match v.trim() {
        "off" | "false" => 0,
        v => v
            .parse::<usize>()
            .map_or(DEFAULT_LIMIT, |mib| mib.saturating_mul(1 << 20)),
    };
    BufferPool::new(limit)
});

/// The process-wide pool.
pub fn global() -> &'static BufferPool {
    &POOL
}

/// [`BufferPool::take`] on the process-wide pool: an empty vector with room for `n`.
///
/// ```
/// let v: Vec<f64> = ferrax::internals::kernels::pool::take(10);
/// assert!(v.is_empty() && v.capacity() >= 10);
/// ```
pub fn take<T: Poolable>(n: usize) -> Vec<T> {
    POOL.take(n)
}

/// [`BufferPool::take_zeroed`] on the process-wide pool.
///
/// ```
/// assert_eq!(ferrax::internals::kernels::pool::take_zeroed::<i32>(3), vec![0, 0, 0]);
/// ```
pub fn take_zeroed<T: Poolable>(n: usize) -> Vec<T> {
    POOL.take_zeroed(n)
}

/// [`BufferPool::take_filled`] on the process-wide pool.
///
/// ```
/// assert_eq!(ferrax::internals::kernels::pool::take_filled::<f32>(4).len(), 4);
/// ```
pub fn take_filled<T: Poolable>(n: usize) -> Vec<T> {
    POOL.take_filled(n)
}

/// [`BufferPool::give`] on the process-wide pool.
///
/// ```
/// ferrax::internals::kernels::pool::give(vec![0u32; 1 << 20]);
/// ```
pub fn give<T: Poolable>(v: Vec<T>) {
    POOL.give(v)
}

/// Gives a dead tensor's buffer to the process-wide pool if this was its last handle (and
/// the buffer is large); otherwise just drops the handle.
pub(crate) fn recycle(t: crate::tensor::Tensor) {
    // The size test first: small tensors skip the atomic uniqueness check.
    let large = t
        .try_array()
        .is_some_and(|a| a.len() * a.dtype().size_of() >= MIN_BYTES);
    if large && let Some(a) = t.into_unique_array() {
        POOL.give_array(a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: usize = 100_000; // 400 KB of f32

    #[test]
    fn a_given_buffer_is_reused_for_the_same_size() {
        let pool = BufferPool::new(1 << 30);
        let v = vec![7.0f32; N];
        let ptr = v.as_ptr();
        pool.give(v);
        assert_eq!(pool.bytes(), N * 4);
        let w: Vec<f32> = pool.take(N);
        assert_eq!((w.as_ptr(), w.len(), w.capacity()), (ptr, 0, N));
        assert_eq!(pool.bytes(), 0);
    }

    #[test]
    fn best_fit_within_an_eighth_and_per_type() {
        let pool = BufferPool::new(1 << 30);
        pool.give(Vec::<f32>::with_capacity(N + N / 8));
        pool.give(Vec::<f32>::with_capacity(N + N / 16));
        // A bigger buffer than 1/8 over is not used; neither is another type's.
        assert_eq!(pool.take::<f32>(N / 2).capacity(), N / 2);
        assert_eq!(pool.take::<i32>(N).capacity(), N);
        assert_eq!(pool.take::<f32>(N).capacity(), N + N / 16);
        assert_eq!(pool.take::<f32>(N).capacity(), N + N / 8);
        assert_eq!(pool.take::<f32>(N).capacity(), N);
    }

    #[test]
    fn small_buffers_are_not_kept() {
        let pool = BufferPool::new(1 << 30);
        pool.give(vec![0u8 != 0; MIN_BYTES - 1]);
        pool.give(vec![0.0f64; MIN_BYTES / 8 - 1]);
        assert_eq!(pool.bytes(), 0);
    }

    #[test]
    fn the_caps_are_respected() {
        let pool = BufferPool::new(3 * N * 4);
        for _ in 0..5 {
            pool.give(vec![1.0f32; N]);
        }
        assert_eq!(pool.bytes(), 3 * N * 4, "byte limit");
        let pool = BufferPool::new(1 << 30);
        for _ in 0..PER_CLASS + 3 {
            pool.give(vec![1u32; N]);
        }
        assert_eq!(pool.bytes(), PER_CLASS * N * 4, "per-class limit");
        pool.set_limit(N * 4);
        assert_eq!(pool.bytes(), 0, "lowering the limit frees what exceeds it");
        let off = BufferPool::new(0);
        off.give(vec![1.0f64; N]);
        assert_eq!(off.bytes(), 0);
    }

    #[test]
    fn clear_empties_and_arrays_come_back() {
        let pool = BufferPool::new(1 << 30);
        pool.give_array(ArrayData::from_vec(vec![1.0f64; N], &[N / 100, 100]));
        pool.give_array(ArrayData::from_vec(vec![true; N], &[N]));
        assert_eq!(pool.bytes(), N * 8 + N);
        pool.clear();
        assert_eq!(pool.bytes(), 0);
        assert_eq!(pool.take::<f64>(N).capacity(), N);
    }

    #[test]
    fn zeroed_takes_are_zeroed() {
        let pool = BufferPool::new(1 << 30);
        pool.give(vec![3.5f32; N]);
        pool.give(vec![true; N]);
        assert!(pool.take_zeroed::<f32>(N).iter().all(|&x| x == 0.0));
        assert!(pool.take_zeroed::<bool>(N).iter().all(|&x| !x));
        assert_eq!(pool.take_zeroed::<f32>(N).len(), N);
    }

    #[test]
    fn concurrent_take_and_give() {
        let pool = BufferPool::new(16 * N * 4);
        std::thread::scope(|s| {
            for t in 0..4 {
                let pool = &pool;
                s.spawn(move || {
                    for i in 0..200 {
                        let n = N + (i % 3) * 1000;
                        let mut v: Vec<f32> = pool.take_zeroed(n);
                        assert!(v.iter().all(|&x| x == 0.0));
                        v.fill(t as f32 + 1.0);
                        pool.give(v);
                        assert!(pool.bytes() <= 16 * N * 4);
                    }
                });
            }
        });
        assert!(pool.bytes() > 0 && pool.bytes() <= 16 * N * 4);
    }
}
