//! The buffers a fused group reads and writes: raw views (an output may be written into a
//! dying input's buffer, so both go through one pointer) and output arrays, taken from the
//! buffer pool and filled uninitialized.

use super::View;
use crate::kernels::pool;
use crate::tensor::{array_from_vec, ArrayData, DType};
use std::mem::MaybeUninit;

/// A buffer seen through a raw pointer. A fused group may write an output into the buffer
/// of an input that dies with it, so that input's reads and that output's writes go through
/// one pointer, with references to one chunk at a time that never overlap a live `&mut`.
pub(super) struct Raw<T> {
    ptr: *mut T,
    len: usize,
}

impl<T> Clone for Raw<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Raw<T> {}

// SAFETY: a `Raw` is a shared `&mut [T]` in all but name: it points into a buffer that
// outlives the kernel run (`FusedKernel::run` holds the tensors until both halves joined),
// and the threads that share it read ranges no one writes concurrently and write disjoint
// ranges (see `FusedKernel::run_range`); `T` crosses threads both ways, so it needs both
// `Send` and `Sync` (f32, f64, bool and their `MaybeUninit`s have both).
unsafe impl<T: Send + Sync> Send for Raw<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for Raw<T> {}

impl<T> Raw<T> {
    /// Elements `lo..lo + len`.
    ///
    /// # Safety
    /// No one writes that range while the returned slice is used.
    pub(super) unsafe fn get<'a>(self, lo: usize, len: usize) -> &'a [T] {
        assert!(
            lo.checked_add(len).is_some_and(|end| end <= self.len),
            "fused: read past the end"
        );
        // SAFETY: in bounds (checked), and the caller excludes concurrent writes.
        unsafe { std::slice::from_raw_parts(self.ptr.add(lo), len) }
    }

    /// All elements.
    ///
    /// # Safety
    /// As [`Raw::get`].
    pub(super) unsafe fn all<'a>(self) -> &'a [T] {
        // SAFETY: forwarded.
        unsafe { self.get(0, self.len) }
    }

    /// Elements `lo..lo + len`, writable.
    ///
    /// # Safety
    /// No other reference to that range is used while the returned slice lives.
    pub(super) unsafe fn get_mut<'a>(self, lo: usize, len: usize) -> &'a mut [T] {
        assert!(
            lo.checked_add(len).is_some_and(|end| end <= self.len),
            "fused: write past the end"
        );
        // SAFETY: in bounds (checked), and the caller guarantees exclusive access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(lo), len) }
    }

    pub(super) fn split(self, mid: usize) -> (Raw<T>, Raw<T>) {
        assert!(mid <= self.len);
        (
            Raw {
                ptr: self.ptr,
                len: mid,
            },
            // SAFETY: `mid <= len`, so the offset stays inside (or one past) the buffer.
            Raw {
                ptr: unsafe { self.ptr.add(mid) },
                len: self.len - mid,
            },
        )
    }

    pub(super) fn cast<U>(self) -> Raw<U> {
        Raw {
            ptr: self.ptr.cast(),
            len: self.len,
        }
    }
}

/// An input's data.
#[derive(Clone, Copy)]
pub(super) enum Input {
    F32(Raw<f32>),
    F64(Raw<f64>),
    Bool(Raw<bool>),
}

impl Input {
    /// A read-only input (never written through: only a donor, made by [`Input::of_mut`],
    /// becomes an output, so the `*mut` cast below is never used to write).
    pub(super) fn of(a: &ArrayData) -> Input {
        fn raw<T>(s: &[T]) -> Raw<T> {
            Raw {
                ptr: s.as_ptr().cast_mut(),
                len: s.len(),
            }
        }
        match a {
            ArrayData::F32(x) => Input::F32(raw(x.as_slice().expect("row-major"))),
            ArrayData::F64(x) => Input::F64(raw(x.as_slice().expect("row-major"))),
            ArrayData::Bool(x) => Input::Bool(raw(x.as_slice().expect("row-major"))),
            other => unreachable!("fused inputs are float or bool, got {:?}", other.dtype()),
        }
    }

    /// An input whose buffer may also receive an output. The caller holds the only
    /// reference to the array (`Tensor::unique_array_mut`), so nothing else reads it while
    /// the kernel writes it.
    pub(super) fn of_mut(a: &mut ArrayData) -> Input {
        fn raw<T>(s: &mut [T]) -> Raw<T> {
            Raw {
                ptr: s.as_mut_ptr(),
                len: s.len(),
            }
        }
        match a {
            ArrayData::F32(x) => Input::F32(raw(x.as_slice_mut().expect("row-major"))),
            ArrayData::F64(x) => Input::F64(raw(x.as_slice_mut().expect("row-major"))),
            ArrayData::Bool(x) => Input::Bool(raw(x.as_slice_mut().expect("row-major"))),
            other => unreachable!("fused inputs are float or bool, got {:?}", other.dtype()),
        }
    }

    /// This (donated) input's buffer as an output.
    pub(super) fn as_output(&self) -> OutRaw {
        match *self {
            Input::F32(r) => OutRaw::F32(r.cast()),
            Input::F64(r) => OutRaw::F64(r.cast()),
            Input::Bool(r) => OutRaw::Bool(r.cast()),
        }
    }
}

/// Where an output's elements go.
#[derive(Clone, Copy)]
pub(super) enum OutRaw {
    F32(Raw<MaybeUninit<f32>>),
    F64(Raw<MaybeUninit<f64>>),
    Bool(Raw<MaybeUninit<bool>>),
}

impl OutRaw {
    pub(super) fn split(&self, mid: usize) -> (OutRaw, OutRaw) {
        match *self {
            OutRaw::F32(r) => {
                let (a, b) = r.split(mid);
                (OutRaw::F32(a), OutRaw::F32(b))
            }
            OutRaw::F64(r) => {
                let (a, b) = r.split(mid);
                (OutRaw::F64(a), OutRaw::F64(b))
            }
            OutRaw::Bool(r) => {
                let (a, b) = r.split(mid);
                (OutRaw::Bool(a), OutRaw::Bool(b))
            }
        }
    }
}

/// An output array being filled: an empty vector from the buffer pool whose spare capacity
/// the kernel writes (no zeroing pass over memory it is about to write anyway); every
/// element is written exactly once by [`FusedKernel::run_range`] before [`OutBuf::finish`]
/// sets the length.
pub(super) enum OutBuf {
    F32(Vec<f32>, usize),
    F64(Vec<f64>, usize),
    Bool(Vec<bool>, usize),
}

impl OutBuf {
    pub(super) fn new(d: DType, n: usize) -> OutBuf {
        match d {
            DType::F32 => OutBuf::F32(pool::take(n), n),
            DType::F64 => OutBuf::F64(pool::take(n), n),
            DType::Bool => OutBuf::Bool(pool::take(n), n),
            d => unreachable!("fused outputs are float or bool, got {d:?}"),
        }
    }

    pub(super) fn raw(&mut self) -> OutRaw {
        /// The first `n` slots of `v`'s spare capacity (`v` is empty).
        fn raw<T>(v: &mut Vec<T>, n: usize) -> Raw<MaybeUninit<T>> {
            let spare = &mut v.spare_capacity_mut()[..n];
            Raw {
                ptr: spare.as_mut_ptr(),
                len: n,
            }
        }
        match self {
            OutBuf::F32(v, n) => OutRaw::F32(raw(v, *n)),
            OutBuf::F64(v, n) => OutRaw::F64(raw(v, *n)),
            OutBuf::Bool(v, n) => OutRaw::Bool(raw(v, *n)),
        }
    }

    /// # Safety
    /// Every element must have been written.
    pub(super) unsafe fn finish(self, shape: &[usize]) -> ArrayData {
        /// # Safety
        /// As `finish`.
        unsafe fn done<T>(mut v: Vec<T>, n: usize) -> Vec<T> {
            // SAFETY: `n <= capacity` (`raw` sliced that much spare capacity), and the
            // caller guarantees the first `n` elements were written.
            unsafe { v.set_len(n) };
            v
        }
        // SAFETY: forwarded to the caller.
        unsafe {
            match self {
                OutBuf::F32(v, n) => ArrayData::F32(array_from_vec(shape, done(v, n))),
                OutBuf::F64(v, n) => ArrayData::F64(array_from_vec(shape, done(v, n))),
                OutBuf::Bool(v, n) => ArrayData::Bool(array_from_vec(shape, done(v, n))),
            }
        }
    }
}

/// Zeroes uninitialized memory and returns it as initialized (for kernels that write through
/// `&mut [T]`).
pub(super) fn init_zeroed<T: num_traits::Zero + Copy>(out: &mut [MaybeUninit<T>]) -> &mut [T] {
    for o in out.iter_mut() {
        o.write(T::zero());
    }
    // SAFETY: every element was just initialized; `MaybeUninit<T>` has `T`'s layout.
    unsafe { &mut *(out as *mut [MaybeUninit<T>] as *mut [T]) }
}

/// Writes a chunk into uninitialized output memory.
pub(super) fn write_uninit<T: Copy>(out: &mut [MaybeUninit<T>], v: View<'_, T>) {
    match v {
        View::Slice(s) => {
            for (o, &x) in out.iter_mut().zip(s) {
                o.write(x);
            }
        }
        View::Splat(x) => {
            for o in out.iter_mut() {
                o.write(x);
            }
        }
    }
}
