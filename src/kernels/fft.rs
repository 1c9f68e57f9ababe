//! The FFT kernels behind the `fft` primitive (feature `fft`): complex-to-complex transforms
//! on rustfft, real-to-complex and complex-to-real ones on realfft, over the trailing axes of
//! a row-major buffer, as XLA's `Fft` op computes them (the inverse transforms divide by the
//! product of the lengths; the complex-to-real one ignores the imaginary parts of the zero
//! and Nyquist frequencies, as pocketfft and ducc do).
//!
//! Plans are cached: one planner per precision behind a mutex (rustfft's and realfft's
//! planners keep every plan they made, keyed by length and direction), locked only to fetch
//! the shared plan, so repeated calls never plan again and threads share the plans. Many
//! rows go parallel through [`par_chunks_mut`] when the cost model says the work is worth
//! it; a transform along a non-minor axis is done as a blocked transpose, contiguous row
//! transforms and the transpose back.
//!
//! Generic over the precision only (f32 and f64: two instantiations).
//!
//! ```
//! use ferrax::internals::kernels::fft::c2c;
//! use num_complex::Complex;
//! let mut x = vec![Complex::new(1.0f64, 0.0), Complex::new(0.0, 0.0)];
//! c2c(&mut x, &[2], 1, false);
//! assert_eq!(x, vec![Complex::new(1.0, 0.0), Complex::new(1.0, 0.0)]);
//! ```

use super::parallel::{chunk_len, par_chunks_mut, should_parallelize};
use num_complex::Complex;
use realfft::RealFftPlanner;
use rustfft::{Fft, FftNum, FftPlanner};
use std::sync::{Arc, Mutex, OnceLock};

/// The cached planners of one precision.
pub struct Planners<T: FftNum> {
    complex: Mutex<FftPlanner<T>>,
    real: Mutex<RealFftPlanner<T>>,
}

impl<T: FftNum> Planners<T> {
    fn new() -> Self {
        Planners {
            complex: Mutex::new(FftPlanner::new()),
            real: Mutex::new(RealFftPlanner::new()),
        }
    }
}

/// The body run with a thread's reusable buffers: `(complex scratch, real row)`.
pub type BufferFn<'a, T> = dyn FnMut(&mut [Complex<T>], &mut [T]) + 'a;

/// The precisions the kernels run in (f32 for complex64, f64 for complex128), each with its
/// process-wide plan cache and per-thread reusable buffers.
pub trait FftFloat: FftNum {
    /// This precision's planners, made on first use.
    fn planners() -> &'static Planners<Self>;

    /// Runs `f` with this thread's scratch buffers, `c` complex and `r` real values (their
    /// contents unspecified). Reused across calls, so a large transform does not fault in
    /// fresh pages for its scratch every time; buffers above [`KEEP_MAX`] are freed after use.
    fn with_buffers(c: usize, r: usize, f: &mut BufferFn<'_, Self>);
}

/// The largest scratch (elements) a thread keeps between calls.
pub const KEEP_MAX: usize = 1 << 20;

macro_rules! fft_float {
    ($t:ty) => {
        impl FftFloat for $t {
            fn planners() -> &'static Planners<$t> {
                static P: OnceLock<Planners<$t>> = OnceLock::new();
                P.get_or_init(Planners::new)
            }

            fn with_buffers(c: usize, r: usize, f: &mut BufferFn<'_, $t>) {
                type Bufs = (Vec<Complex<$t>>, Vec<$t>);
                thread_local! {
                    static BUFS: std::cell::RefCell<Bufs> = const {
                        std::cell::RefCell::new((Vec::new(), Vec::new()))
                    };
                }
                BUFS.with(|b| {
                    let mut b = b.borrow_mut();
                    let (cs, rs) = &mut *b;
                    if cs.len() < c {
                        cs.resize(c, Complex::new(0.0, 0.0));
                    }
                    if rs.len() < r {
                        rs.resize(r, 0.0);
                    }
                    f(&mut cs[..c], &mut rs[..r]);
                    if cs.len() > KEEP_MAX {
                        *cs = Vec::new();
                    }
                    if rs.len() > KEEP_MAX {
                        *rs = Vec::new();
                    }
                });
            }
        }
    };
}

fft_float!(f32);
fft_float!(f64);

/// The cached complex plan of length `n` (forward or inverse, unnormalized).
fn complex_plan<T: FftFloat>(n: usize, inverse: bool) -> Arc<dyn Fft<T>> {
    let mut p = T::planners()
        .complex
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if inverse {
        p.plan_fft_inverse(n)
    } else {
        p.plan_fft_forward(n)
    }
}

/// Estimated single-thread time (ns) of transforms over `points` values in rows of `n`: about
/// half a nanosecond per point and radix-2 level with rustfft's AVX kernels.
fn fft_ns(points: usize, n: usize) -> f64 {
    points as f64 * (n.max(2) as f64).log2() * 0.5
}

/// How many rows of `n` points each parallel piece takes (all of them when the work stays on
/// this thread).
fn rows_per_piece(rows: usize, n: usize) -> usize {
    if rows > 1 && should_parallelize(fft_ns(rows * n, n)) {
        chunk_len(rows, 1)
    } else {
        rows.max(1)
    }
}

/// Transforms each contiguous row of `n` points of `data` in place (unnormalized).
fn rows_c2c<T: FftFloat>(data: &mut [Complex<T>], n: usize, inverse: bool) {
    if data.is_empty() || n <= 1 {
        return;
    }
    let plan = complex_plan::<T>(n, inverse);
    let per = rows_per_piece(data.len() / n, n);
    let body = |_: usize, piece: &mut [Complex<T>]| {
        T::with_buffers(plan.get_inplace_scratch_len(), 0, &mut |scratch, _| {
            plan.process_with_scratch(piece, scratch)
        });
    };
    if per * n >= data.len() {
        body(0, data);
    } else {
        par_chunks_mut(data, per * n, &body);
    }
}

/// `dst[j * rows + i] = src[i * cols + j]` for one `[rows, cols]` block, in cache tiles.
fn transpose_block<T: Copy>(src: &[T], dst: &mut [T], rows: usize, cols: usize) {
    const TILE: usize = 32;
    for i0 in (0..rows).step_by(TILE) {
        for j0 in (0..cols).step_by(TILE) {
            for i in i0..(i0 + TILE).min(rows) {
                for j in j0..(j0 + TILE).min(cols) {
                    dst[j * rows + i] = src[i * cols + j];
                }
            }
        }
    }
}

/// Transforms `data` (row-major, `shape`) along axis `axis` in place (unnormalized).
fn axis_c2c<T: FftFloat>(data: &mut [Complex<T>], shape: &[usize], axis: usize, inverse: bool) {
    let n = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    if inner == 1 {
        return rows_c2c(data, n, inverse);
    }
    if n <= 1 || data.is_empty() {
        return;
    }
    // Each [n, inner] block transposed to [inner, n], its rows transformed, and back.
    let block = n * inner;
    let mut tmp = data.to_vec();
    for (s, d) in data.chunks(block).zip(tmp.chunks_mut(block)) {
        transpose_block(s, d, n, inner);
    }
    rows_c2c(&mut tmp, n, inverse);
    for (s, d) in tmp.chunks(block).zip(data.chunks_mut(block)) {
        transpose_block(s, d, inner, n);
    }
}

/// Multiplies every value by `s` (the inverse transforms' `1/N`).
fn scale<T: FftFloat>(data: &mut [Complex<T>], s: f64) {
    let s = T::from_f64(s).expect("a float");
    data.iter_mut().for_each(|v| *v = *v * s);
}

/// XLA's `FFT`/`IFFT` over the last `k` axes of `data` (row-major, `shape`), in place; the
/// inverse divides by the product of the transformed lengths.
pub fn c2c<T: FftFloat>(data: &mut [Complex<T>], shape: &[usize], k: usize, inverse: bool) {
    let r = shape.len();
    for axis in (r - k..r).rev() {
        axis_c2c(data, shape, axis, inverse);
    }
    if inverse {
        let total: usize = shape[r - k..].iter().product();
        if total > 1 {
            scale(data, 1.0 / total as f64);
        }
    }
}

/// XLA's `RFFT` over the last `k` axes of real `x` (row-major, `shape`, its last `k` dims the
/// lengths): the complex result, its last dim `n / 2 + 1`.
pub fn r2c<T: FftFloat>(x: &[T], shape: &[usize], k: usize) -> Vec<Complex<T>> {
    let r = shape.len();
    let n = shape[r - 1];
    let m = n / 2 + 1;
    let rows = x.len().checked_div(n).unwrap_or(0);
    let mut out = vec![Complex::new(T::zero(), T::zero()); rows * m];
    if rows == 0 {
        return out;
    }
    let plan = T::planners()
        .real
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .plan_fft_forward(n);
    let per = rows_per_piece(rows, n);
    let body = |i: usize, piece: &mut [Complex<T>]| {
        T::with_buffers(plan.get_scratch_len(), n, &mut |scratch, row| {
            for (j, o) in piece.chunks_mut(m).enumerate() {
                let start = (i * per + j) * n;
                row.copy_from_slice(&x[start..start + n]);
                plan.process_with_scratch(row, o, scratch)
                    .expect("rfft: buffer lengths match the plan");
            }
        });
    };
    if per >= rows {
        body(0, &mut out);
    } else {
        par_chunks_mut(&mut out, per * m, &body);
    }
    if k > 1 {
        let mut oshape = shape.to_vec();
        oshape[r - 1] = m;
        for axis in (r - k..r - 1).rev() {
            axis_c2c(&mut out, &oshape, axis, false);
        }
    }
    out
}

/// XLA's `IRFFT` over the last `k` axes: `x` complex (row-major, `shape`, its last dim
/// `n / 2 + 1`), `n` the last length; the real result, divided by the product of the
/// lengths. The imaginary parts of the zero and Nyquist frequencies are ignored.
pub fn c2r<T: FftFloat>(x: &[Complex<T>], shape: &[usize], k: usize, n: usize) -> Vec<T> {
    let r = shape.len();
    let m = shape[r - 1];
    debug_assert_eq!(m, n / 2 + 1);
    let rows = x.len().checked_div(m).unwrap_or(0);
    let mut out = vec![T::zero(); rows * n];
    if rows == 0 {
        return out;
    }
    let mut spec = x.to_vec();
    for axis in (r - k..r - 1).rev() {
        axis_c2c(&mut spec, shape, axis, true);
    }
    let plan = T::planners()
        .real
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .plan_fft_inverse(n);
    let per = rows_per_piece(rows, n);
    let spec = &spec;
    let body = |i: usize, piece: &mut [T]| {
        T::with_buffers(m + plan.get_scratch_len(), 0, &mut |buf, _| {
            let (row, scratch) = buf.split_at_mut(m);
            for (j, o) in piece.chunks_mut(n).enumerate() {
                let start = (i * per + j) * m;
                row.copy_from_slice(&spec[start..start + m]);
                row[0].im = T::zero();
                if n.is_multiple_of(2) {
                    row[m - 1].im = T::zero();
                }
                plan.process_with_scratch(row, o, scratch)
                    .expect("irfft: buffer lengths match the plan");
            }
        });
    };
    if per >= rows {
        body(0, &mut out);
    } else {
        par_chunks_mut(&mut out, per * n, &body);
    }
    let total: usize = shape[r - k..r - 1].iter().product::<usize>() * n;
    if total > 1 {
        let s = T::from_f64(1.0 / total as f64).expect("a float");
        out.iter_mut().for_each(|v| *v = *v * s);
    }
    out
}
