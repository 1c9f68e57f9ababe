//! Shared by the fuzz tests (`idx`, `checkpoint`) and `tests/jit/alloc_count.rs`: a counting
//! global allocator, a count of the allocations a closure makes, and a runner
//! that calls a parser inside `catch_unwind` while recording the largest single allocation
//! the current thread makes.
//!
//! The fuzz binary (`main.rs`) installs it once with
//! `#[global_allocator] static ALLOC: fuzz_alloc::Counting = fuzz_alloc::Counting;`.
//! The flag and the maximum are thread-local, so proptest's other test threads (and their
//! allocations) never interfere with a measurement.

#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    // `try_with`: the allocator may run while the thread's locals are being torn down.
    let _ = ACTIVE.try_with(|a| {
        if a.get() {
            let _ = LARGEST.try_with(|m| m.set(m.get().max(size)));
            let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        }
    });
}

/// `System`, plus a record of the largest allocation (or reallocation target) made by the
/// current thread while [`measure`] runs.
pub struct Counting;

// SAFETY: every call is forwarded unchanged to `System`; `note` only touches const-initialised
// thread-local `Cell`s (no allocation, no panic).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe {
            note(layout.size());
            System.alloc(layout)
        }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe {
            note(layout.size());
            System.alloc_zeroed(layout)
        }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe {
            note(new_size);
            System.realloc(ptr, layout, new_size)
        }
    }
}

/// What happened to one input.
pub struct Outcome<R> {
    /// `None` if `f` panicked (the payload's message otherwise lost is in `panic`).
    pub result: Option<R>,
    /// The panic message, if `f` panicked.
    pub panic: Option<String>,
    /// The largest single allocation `f` made, in bytes.
    pub largest_alloc: usize,
}

/// Runs `f`, returning its result and the number of allocations (and reallocations) the
/// current thread made meanwhile.
pub fn count_allocations<R>(f: impl FnOnce() -> R) -> (R, usize) {
    COUNT.with(|c| c.set(0));
    ACTIVE.with(|a| a.set(true));
    let r = f();
    ACTIVE.with(|a| a.set(false));
    (r, COUNT.with(|c| c.get()))
}

/// Runs `f` inside `catch_unwind`, recording its largest single allocation on this thread.
pub fn measure<R>(f: impl FnOnce() -> R) -> Outcome<R> {
    LARGEST.with(|m| m.set(0));
    ACTIVE.with(|a| a.set(true));
    let r = catch_unwind(AssertUnwindSafe(f));
    ACTIVE.with(|a| a.set(false));
    let largest_alloc = LARGEST.with(|m| m.get());
    match r {
        Ok(v) => Outcome {
            result: Some(v),
            panic: None,
            largest_alloc,
        },
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(non-string panic payload)".into());
            Outcome {
                result: None,
                panic: Some(msg),
                largest_alloc,
            }
        }
    }
}

/// Runs `parse` on one fuzz input of `input_len` bytes as a proptest case: the case fails if
/// `parse` panics or makes a single allocation larger than `bound` bytes; else its result.
pub fn run_bounded<R>(
    what: &str,
    input_len: usize,
    bound: usize,
    parse: impl FnOnce() -> R,
) -> Result<R, proptest::test_runner::TestCaseError> {
    use proptest::test_runner::TestCaseError;
    let out = measure(parse);
    let Some(result) = out.result else {
        return Err(TestCaseError::fail(format!(
            "{what} panicked: {}",
            out.panic.unwrap_or_default()
        )));
    };
    if out.largest_alloc > bound {
        return Err(TestCaseError::fail(format!(
            "{what}: an allocation of {} bytes for a {input_len}-byte input (bound {bound})",
            out.largest_alloc
        )));
    }
    Ok(result)
}

/// Constant headroom in every allocation bound: the fixed-size allocations a parse makes
/// whatever its input (error messages, small vectors of dims, ndarray's shape and stride
/// vectors, serde_json's scratch buffers).
pub const SLACK: usize = 64 * 1024;

/// The measurement itself works: a 1 MiB vector is seen, and allocations outside `measure`
/// are not counted.
#[test]
fn the_counter_sees_allocations() {
    let o = measure(|| vec![0u8; 1 << 20].len());
    assert_eq!(o.result, Some(1 << 20));
    assert!(o.largest_alloc >= 1 << 20, "{}", o.largest_alloc);
    let _outside = vec![0u8; 1 << 22];
    let o = measure(|| Vec::<u8>::with_capacity(10).capacity());
    assert!(o.largest_alloc < 1 << 20, "{}", o.largest_alloc);
    let o = measure(|| -> usize { panic!("boom") });
    assert_eq!((o.result, o.panic.as_deref()), (None, Some("boom")));
}
