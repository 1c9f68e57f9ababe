//! Parallel prefix scans built from lax ops (`lax.associative_scan`). Being made of ordinary
//! ops, they trace and differentiate to any order; the JVP rules of `cumprod`, `cummax` and
//! `cummin` are the JVPs of these scans, as in JAX.

use crate::lax::{concatenate, reshape, rev, slice};
use crate::tensor::Tensor;

/// Scans `x` along `axis` with the associative operation `f`, in parallel (Blelloch's
/// odd/even recursion, as JAX's `lax.associative_scan`): element `k` of the result combines
/// elements `0..=k` of `x`, i.e. `[x0, f(x0, x1), f(f(x0, x1), x2), ...]`. With `reverse`,
/// element `k` combines elements `k..` (the scan runs from the end, so the accumulated value
/// is `f`'s first argument: `[..., f(f(z, y), x), f(z, y), z]`).
///
/// `f` receives two tensors shaped like `x` except along `axis` (equal there) and must
/// combine them elementwise, returning the same shape; it must be associative. It is called
/// `O(log n)` times on slices of `x`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::lax;
/// let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0], &[5]);
/// let s = lax::associative_scan(|a, b| lax::add(a, b), &x, 0, false);
/// assert_eq!(s.to_vec::<f64>(), vec![1.0, 3.0, 6.0, 10.0, 15.0]);
/// let r = lax::associative_scan(|a, b| lax::mul(a, b), &x, 0, true);
/// assert_eq!(r.to_vec::<f64>(), vec![120.0, 120.0, 60.0, 20.0, 5.0]);
/// ```
#[track_caller]
pub fn associative_scan(
    f: impl Fn(&Tensor, &Tensor) -> Tensor,
    x: &Tensor,
    axis: usize,
    reverse: bool,
) -> Tensor {
    assert!(
        axis < x.ndim(),
        "associative_scan: axis {axis} out of range for rank {} (shape {:?})",
        x.ndim(),
        x.shape()
    );
    if reverse {
        let scanned = scan(&f, &rev(x, &[axis]), axis);
        rev(&scanned, &[axis])
    } else {
        scan(&f, x, axis)
    }
}

/// `x[start:limit:stride]` along `axis`.
fn slice_in_dim(x: &Tensor, start: usize, limit: usize, stride: usize, axis: usize) -> Tensor {
    let mut lo = vec![0; x.ndim()];
    let mut hi = x.shape().to_vec();
    lo[axis] = start;
    hi[axis] = limit;
    if stride == 1 {
        slice(x, &lo, &hi, None)
    } else {
        let mut steps = vec![1; x.ndim()];
        steps[axis] = stride;
        slice(x, &lo, &hi, Some(&steps))
    }
}

/// The forward scan. Pairs of neighbours are combined and scanned recursively, which gives
/// the odd-indexed results; each even-indexed result (after the first) is then the preceding
/// odd result combined with the matching element of `x`.
fn scan(f: &impl Fn(&Tensor, &Tensor) -> Tensor, x: &Tensor, axis: usize) -> Tensor {
    let n = x.shape()[axis];
    if n < 2 {
        return x.clone();
    }
    let pairs = f(
        &slice_in_dim(x, 0, n - 1, 2, axis),
        &slice_in_dim(x, 1, n, 2, axis),
    );
    let odd = scan(f, &pairs, axis);
    let first = slice_in_dim(x, 0, 1, 1, axis);
    let even = if n == 2 {
        first
    } else {
        let rest = if n % 2 == 0 {
            f(
                &slice_in_dim(&odd, 0, n / 2 - 1, 1, axis),
                &slice_in_dim(x, 2, n, 2, axis),
            )
        } else {
            f(&odd, &slice_in_dim(x, 2, n, 2, axis))
        };
        concatenate(&[first, rest], axis)
    };
    interleave(&even, &odd, axis)
}

/// `[a0, b0, a1, b1, ...]` along `axis`, where `a` has as many elements as `b` or one more.
/// Built by stacking on a new axis and merging it (no arithmetic, so values such as `-0.0`
/// or NaN pass through untouched).
fn interleave(a: &Tensor, b: &Tensor, axis: usize) -> Tensor {
    let m = b.shape()[axis];
    let extra = a.shape()[axis] - m;
    debug_assert!(extra <= 1, "interleave: sizes {} and {m}", a.shape()[axis]);
    let a_main = if extra == 0 {
        a.clone()
    } else {
        slice_in_dim(a, 0, m, 1, axis)
    };
    let mut stacked_shape = b.shape().to_vec();
    stacked_shape.insert(axis + 1, 1);
    let pair = concatenate(
        &[reshape(&a_main, &stacked_shape), reshape(b, &stacked_shape)],
        axis + 1,
    );
    let mut merged_shape = b.shape().to_vec();
    merged_shape[axis] = 2 * m;
    let merged = reshape(&pair, &merged_shape);
    if extra == 0 {
        merged
    } else {
        concatenate(&[merged, slice_in_dim(a, m, m + 1, 1, axis)], axis)
    }
}
