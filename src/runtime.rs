//! Process-wide runtime settings that ferrax never changes on its own.
//!
//! ferrax does not touch process-wide state behind your back: the allocator tuning below is
//! applied only when you ask for it, by calling [`tune_allocator`] or by setting the
//! environment variable `FERRAX_TUNE_MALLOC=1` (read the first time a `jit` program is
//! compiled).
//!
//! What ferrax does by default instead is keep its own large buffers for reuse (a buffer
//! pool confined to ferrax's tensors, see [`release_buffers`]): jitted steps then run about
//! as fast as with the tuned allocator. `FERRAX_BUFFER_POOL=0` (or
//! [`set_buffer_pool_limit`]`(0)`) turns the pool off.

use std::sync::Once;

/// Tunes glibc's `malloc` for repeated large-tensor workloads (jitted training steps): large
/// blocks (up to 256 MiB) come from the heap instead of a fresh `mmap` each time, and freed
/// memory is kept for reuse instead of being returned to the OS (up to 1 GiB at the top of
/// the heap). A training step frees and reallocates the same large buffers on every call, and
/// without this each of them can come back as fresh pages, each 4 KiB page costing a page
/// fault (~1 µs here).
///
/// This changes the allocator for the **whole process**, not only for ferrax: the process
/// keeps its peak heap size instead of shrinking after large frees. That is why it is opt-in.
/// It applies to glibc's `malloc` (Linux with the GNU C library, and the default Rust global
/// allocator there); elsewhere, or with another global allocator, it does nothing useful.
/// Returns whether the settings were accepted (`false` off glibc). Calling it again is
/// harmless.
///
/// Without recompiling: set `FERRAX_TUNE_MALLOC=1` (any value but `0` or empty).
///
/// ```
/// let tuned = ferrax::runtime::tune_allocator();
/// assert_eq!(tuned, cfg!(all(target_os = "linux", target_env = "gnu")));
/// ```
pub fn tune_allocator() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_TRIM_THRESHOLD: i32 = -1;
        const M_MMAP_THRESHOLD: i32 = -3;
        // SAFETY: mallopt only changes allocator tuning parameters; glibc makes it safe to
        // call at any time from any thread (it takes the arena locks).
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 256 << 20) == 1 && mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Whether `FERRAX_TUNE_MALLOC` asks for [`tune_allocator`] (set to anything but `0` or
/// empty).
///
/// ```
/// // Reads the environment each time; the tuning itself happens once.
/// let _ = ferrax::runtime::tune_malloc_requested();
/// ```
pub fn tune_malloc_requested() -> bool {
    std::env::var("FERRAX_TUNE_MALLOC").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Applies [`tune_allocator`] once if `FERRAX_TUNE_MALLOC` asks for it (called when a
/// program is compiled).
pub(crate) fn tune_allocator_if_requested() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if tune_malloc_requested() {
            tune_allocator();
        }
    });
}

/// Frees every buffer in ferrax's buffer pool.
///
/// ferrax keeps the large buffers (64 KiB and up) that its compiled programs and kernels
/// free, and reuses them for the next allocation of that size: a jitted step then reuses
/// last step's memory instead of page-faulting fresh pages in (the same saving
/// [`tune_allocator`] gets by changing `malloc` for the whole process, but confined to
/// ferrax's own buffers). The pool holds at most about one step's intermediates, capped at
/// [`buffer_pool_limit`] bytes; call this after training to hand that memory back.
///
/// ```
/// ferrax::runtime::release_buffers();
/// assert_eq!(ferrax::runtime::pooled_bytes(), 0);
/// ```
pub fn release_buffers() {
    crate::kernels::pool::global().clear();
}

/// Bytes currently held by the buffer pool (see [`release_buffers`]).
///
/// ```
/// assert!(ferrax::runtime::pooled_bytes() <= ferrax::runtime::buffer_pool_limit());
/// ```
pub fn pooled_bytes() -> usize {
    crate::kernels::pool::global().bytes()
}

/// The cap on the bytes the buffer pool holds: 1 GiB unless `FERRAX_BUFFER_POOL=<MiB>`
/// (read once, on first use) or [`set_buffer_pool_limit`] says otherwise; `0` means the
/// pool is off.
///
/// ```
/// let _bytes = ferrax::runtime::buffer_pool_limit();
/// ```
pub fn buffer_pool_limit() -> usize {
    crate::kernels::pool::global().limit()
}

/// Sets the cap on the bytes the buffer pool holds; `0` turns the pool off (every buffer
/// goes back to `malloc` as it is freed, as with `FERRAX_BUFFER_POOL=0`). Lowering the cap
/// below what the pool holds frees its buffers.
///
/// ```
/// let before = ferrax::runtime::buffer_pool_limit();
/// ferrax::runtime::set_buffer_pool_limit(256 << 20);
/// assert_eq!(ferrax::runtime::buffer_pool_limit(), 256 << 20);
/// ferrax::runtime::set_buffer_pool_limit(before);
/// ```
pub fn set_buffer_pool_limit(bytes: usize) {
    crate::kernels::pool::global().set_limit(bytes);
}
