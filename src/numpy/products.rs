//! Products, `jax.numpy` style, each one `lax.dot_general` (or a broadcast multiply): `dot`,
//! `vdot`, `inner`, `outer`, `kron`, `tensordot`, `matvec`, `vecmat`, `vecdot`.

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// Both operands converted to their promoted dtype (ranks kept; bools become i32 as a dot
/// of bools would need a logical contraction).
fn promote_dtypes(a: &Tensor, b: &Tensor) -> (Tensor, Tensor) {
    let mut dt = DType::promote(a.dtype(), b.dtype());
    if dt == DType::Bool {
        dt = DType::I32;
    }
    (
        lax::convert_element_type(a, dt),
        lax::convert_element_type(b, dt),
    )
}

#[track_caller]
fn shape_panic(name: &str, a: &Tensor, b: &Tensor, why: &str) -> ! {
    panic!(
        "{name}: {why}, got {} and {} (called from {})",
        a.aval(),
        b.aval(),
        std::panic::Location::caller()
    )
}

/// `jnp.dot`: scalar times array if either is rank 0; else contracts the last axis of `a`
/// with the only axis of a 1-D `b`, or with the second-to-last axis of `b`.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// let v = Tensor::from_vec(vec![1.0f32, 1.0], &[2]);
/// assert_eq!(ferrax::numpy::dot(&a, &v).to_vec::<f32>(), vec![3.0, 7.0]);
/// ```
#[track_caller]
pub fn dot(a: &Tensor, b: &Tensor) -> Tensor {
    if a.ndim() == 0 || b.ndim() == 0 {
        return multiply(a, b);
    }
    let (a, b) = promote_dtypes(a, b);
    let la = a.ndim() - 1;
    let rb = if b.ndim() == 1 { 0 } else { b.ndim() - 2 };
    if a.shape()[la] != b.shape()[rb] {
        shape_panic("dot", &a, &b, "contracting dimensions differ");
    }
    lax::dot_general(&a, &b, ((&[la], &[rb]), (&[], &[])), None)
}

/// `jnp.vdot`: the dot product of the flattened operands (a scalar).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::vdot(&a, &a).item::<f32>(), 30.0);
/// ```
#[track_caller]
pub fn vdot(a: &Tensor, b: &Tensor) -> Tensor {
    if a.size() != b.size() {
        shape_panic("vdot", a, b, "sizes differ");
    }
    dot(&ravel(a), &ravel(b))
}

/// `jnp.inner`: contracts the last axes of `a` and `b` (scalar times array for rank 0).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::inner(&a, &a).to_vec::<f32>(), vec![5.0, 11.0, 11.0, 25.0]);
/// ```
#[track_caller]
pub fn inner(a: &Tensor, b: &Tensor) -> Tensor {
    if a.ndim() == 0 || b.ndim() == 0 {
        return multiply(a, b);
    }
    let (a, b) = promote_dtypes(a, b);
    let (la, lb) = (a.ndim() - 1, b.ndim() - 1);
    if a.shape()[la] != b.shape()[lb] {
        shape_panic("inner", &a, &b, "last dimensions differ");
    }
    lax::dot_general(&a, &b, ((&[la], &[lb]), (&[], &[])), None)
}

/// `jnp.outer`: `a[i] * b[j]` of the flattened operands.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[2]);
/// let b = Tensor::from_vec(vec![1, 10, 100], &[3]);
/// assert_eq!(ferrax::numpy::outer(&a, &b).to_vec::<i32>(), vec![1, 10, 100, 2, 20, 200]);
/// ```
#[track_caller]
pub fn outer(a: &Tensor, b: &Tensor) -> Tensor {
    let (a, b) = (ravel(a), ravel(b));
    let (n, m) = (a.shape()[0], b.shape()[0]);
    multiply(lax::reshape(&a, &[n, 1]), lax::reshape(&b, &[1, m]))
}

/// `jnp.kron`: the Kronecker product (operands of unequal rank get leading size-1 axes).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[2]);
/// let b = Tensor::from_vec(vec![1, 10], &[2]);
/// assert_eq!(ferrax::numpy::kron(&a, &b).to_vec::<i32>(), vec![1, 10, 2, 20]);
/// ```
#[track_caller]
pub fn kron(a: &Tensor, b: &Tensor) -> Tensor {
    let nd = a.ndim().max(b.ndim());
    let pad = |x: &Tensor| {
        let mut s = vec![1usize; nd - x.ndim()];
        s.extend_from_slice(x.shape());
        lax::reshape(x, &s)
    };
    let (a, b) = (pad(a), pad(b));
    // a[i0, 1, i1, 1, ...] * b[1, j0, 1, j1, ...], then merge each (i, j) pair.
    let interleave = |x: &Tensor, first: bool| {
        let s: Vec<usize> = x
            .shape()
            .iter()
            .flat_map(|&d| if first { [d, 1] } else { [1, d] })
            .collect();
        lax::reshape(x, &s)
    };
    let out = multiply(interleave(&a, true), interleave(&b, false));
    let shape: Vec<usize> = a
        .shape()
        .iter()
        .zip(b.shape())
        .map(|(&x, &y)| x * y)
        .collect();
    lax::reshape(&out, &shape)
}

/// The axes argument of [`tensordot`]: the last `n` of `a` against the first `n` of `b`, or
/// explicit lists (negative axes count from the end).
#[derive(Clone, Debug)]
pub enum TensordotAxes<'a> {
    /// `axes=n`.
    N(usize),
    /// `axes=(a_axes, b_axes)`.
    Pairs(&'a [isize], &'a [isize]),
}

/// `jnp.tensordot(a, b, axes)`: sums products over the given axes; the output has `a`'s free
/// axes then `b`'s (JAX's default is `TensordotAxes::N(2)`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{self as jnp, TensordotAxes};
/// let a = jnp::ones(&[2, 3, 4]);
/// let b = jnp::ones(&[4, 3, 5]);
/// let c = jnp::tensordot(&a, &b, TensordotAxes::Pairs(&[1, 2], &[1, 0]));
/// assert_eq!(c.shape(), &[2, 5]);
/// assert_eq!(jnp::tensordot(&a, &jnp::ones(&[3, 4]), TensordotAxes::N(2)).shape(), &[2]);
/// ```
#[track_caller]
pub fn tensordot(a: &Tensor, b: &Tensor, axes: TensordotAxes<'_>) -> Tensor {
    let (la, lb): (Vec<usize>, Vec<usize>) = match axes {
        TensordotAxes::N(n) => {
            if n > a.ndim() || n > b.ndim() {
                shape_panic("tensordot", a, b, &format!("axes={n} exceeds a rank"));
            }
            ((a.ndim() - n..a.ndim()).collect(), (0..n).collect())
        }
        TensordotAxes::Pairs(x, y) => {
            if x.len() != y.len() {
                shape_panic("tensordot", a, b, "axes lists differ in length");
            }
            (
                x.iter().map(|&i| normalize_axis(i, a.ndim())).collect(),
                y.iter().map(|&i| normalize_axis(i, b.ndim())).collect(),
            )
        }
    };
    for (&i, &j) in la.iter().zip(&lb) {
        if a.shape()[i] != b.shape()[j] {
            shape_panic("tensordot", a, b, "contracted dimensions differ");
        }
    }
    let (a, b) = promote_dtypes(a, b);
    lax::dot_general(&a, &b, ((&la, &lb), (&[], &[])), None)
}

/// A batched contraction of the last axis of `a` (rank `ra`) with the last axis of `b`
/// (rank `rb`): broadcast the leading (batch) axes, then one `dot_general`.
#[track_caller]
fn batched(name: &str, a: &Tensor, b: &Tensor, ca: usize, cb: usize) -> Tensor {
    // a: [...batch, (free_a), k]; b: [...batch, (free_b), k] with ca/cb core ranks.
    if a.ndim() < ca || b.ndim() < cb || a.shape()[a.ndim() - 1] != b.shape()[b.ndim() - 1] {
        shape_panic(name, a, b, "incompatible core dimensions");
    }
    let (ba, bb) = (&a.shape()[..a.ndim() - ca], &b.shape()[..b.ndim() - cb]);
    if !broadcastable(ba, bb) {
        shape_panic(name, a, b, "batch dimensions do not broadcast");
    }
    let batch = broadcast_shapes(ba, bb);
    let full = |x: &Tensor, c: usize| {
        let mut s = batch.clone();
        s.extend_from_slice(&x.shape()[x.ndim() - c..]);
        broadcast_to(x, &s)
    };
    let (a, b) = promote_dtypes(&full(a, ca), &full(b, cb));
    let nb: Vec<usize> = (0..batch.len()).collect();
    lax::dot_general(
        &a,
        &b,
        ((&[a.ndim() - 1], &[b.ndim() - 1]), (&nb, &nb)),
        None,
    )
}

/// `jnp.matvec(x1, x2)`: matrix `[..., m, n]` times vector `[..., n]`, batch axes broadcast.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// let v = Tensor::from_vec(vec![1.0f32, 0.0], &[2]);
/// assert_eq!(ferrax::numpy::matvec(&a, &v).to_vec::<f32>(), vec![1.0, 3.0]);
/// ```
#[track_caller]
pub fn matvec(x1: &Tensor, x2: &Tensor) -> Tensor {
    batched("matvec", x1, x2, 2, 1)
}

/// `jnp.vecmat(x1, x2)`: vector `[..., m]` times matrix `[..., m, n]`, batch axes broadcast.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// let v = Tensor::from_vec(vec![1.0f32, 0.0], &[2]);
/// assert_eq!(ferrax::numpy::vecmat(&v, &a).to_vec::<f32>(), vec![1.0, 2.0]);
/// ```
#[track_caller]
pub fn vecmat(x1: &Tensor, x2: &Tensor) -> Tensor {
    if x2.ndim() < 2 {
        shape_panic("vecmat", x1, x2, "needs a matrix second operand");
    }
    batched("vecmat", x1, &matrix_transpose(x2), 1, 2)
}

/// `jnp.vecdot(x1, x2, axis)`: dot products along `axis` (JAX's default -1), the other axes
/// broadcast.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(ferrax::numpy::vecdot(&a, &a, -1).to_vec::<f32>(), vec![5.0, 25.0]);
/// assert_eq!(ferrax::numpy::vecdot(&a, &a, 0).to_vec::<f32>(), vec![10.0, 20.0]);
/// ```
#[track_caller]
pub fn vecdot(x1: &Tensor, x2: &Tensor, axis: isize) -> Tensor {
    if x1.ndim() == 0 || x2.ndim() == 0 {
        shape_panic("vecdot", x1, x2, "needs rank >= 1");
    }
    let a = moveaxis(x1, axis, -1);
    let b = moveaxis(x2, axis, -1);
    batched("vecdot", &a, &b, 1, 1)
}
