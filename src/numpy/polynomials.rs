//! Polynomials as coefficient vectors, highest power first, `jax.numpy` style: `polyval`,
//! `polyadd`, `polysub`, `polymul`, `polyder`, `polyint`.

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

#[track_caller]
fn check_1d(name: &str, p: &Tensor) {
    assert!(
        p.ndim() == 1,
        "{name}: coefficients must be 1-D, got shape {:?} (called from {})",
        p.shape(),
        std::panic::Location::caller()
    );
}

/// `jnp.polyval(p, x)`: `p[0] * x**(n-1) + ... + p[n-1]` by Horner's rule.
///
/// ```
/// use ferrax::prelude::*;
/// let p = Tensor::from_vec(vec![1.0f32, 0.0, -1.0], &[3]);
/// let x = Tensor::from_vec(vec![2.0f32, 3.0], &[2]);
/// assert_eq!(ferrax::numpy::polyval(&p, &x).to_vec::<f32>(), vec![3.0, 8.0]);
/// ```
#[track_caller]
pub fn polyval(p: &Tensor, x: &Tensor) -> Tensor {
    check_1d("polyval", p);
    let (p, x) = {
        let dt = DType::promote(p.dtype(), x.dtype());
        (
            lax::convert_element_type(p, dt),
            lax::convert_element_type(x, dt),
        )
    };
    let mut y = Tensor::zeros(x.shape(), x.dtype());
    for i in 0..p.shape()[0] {
        y = add(lax::mul(&y, &x), index_axis(&p, 0, i as isize));
    }
    y
}

/// `a` with `n` zeros in front.
fn lead_zeros(a: &Tensor, n: usize) -> Tensor {
    lax::pad(a, &Tensor::full(&[], 0, a.dtype()), &[(n as i64, 0, 0)])
}

/// The two coefficient vectors promoted and padded in front to one length.
#[track_caller]
fn aligned(name: &str, a: &Tensor, b: &Tensor) -> (Tensor, Tensor) {
    check_1d(name, a);
    check_1d(name, b);
    let dt = DType::promote(a.dtype(), b.dtype());
    let (a, b) = (
        lax::convert_element_type(a, dt),
        lax::convert_element_type(b, dt),
    );
    let (n, m) = (a.shape()[0], b.shape()[0]);
    let len = n.max(m);
    (lead_zeros(&a, len - n), lead_zeros(&b, len - m))
}

/// `jnp.polyadd(a1, a2)`: the sum of two polynomials.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[2]);
/// let b = Tensor::from_vec(vec![1, 0, 0], &[3]);
/// assert_eq!(ferrax::numpy::polyadd(&a, &b).to_vec::<i32>(), vec![1, 1, 2]);
/// ```
#[track_caller]
pub fn polyadd(a1: &Tensor, a2: &Tensor) -> Tensor {
    let (a, b) = aligned("polyadd", a1, a2);
    add(&a, &b)
}

/// `jnp.polysub(a1, a2)`: the difference of two polynomials.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1, 2], &[2]);
/// let b = Tensor::from_vec(vec![1, 0, 0], &[3]);
/// assert_eq!(ferrax::numpy::polysub(&a, &b).to_vec::<i32>(), vec![-1, 1, 2]);
/// ```
#[track_caller]
pub fn polysub(a1: &Tensor, a2: &Tensor) -> Tensor {
    let (a, b) = aligned("polysub", a1, a2);
    subtract(&a, &b)
}

/// `jnp.polymul(a1, a2)`: the product of two polynomials (the full convolution of the
/// coefficients; float, as JAX's).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 1.0], &[2]);
/// assert_eq!(ferrax::numpy::polymul(&a, &a).to_vec::<f32>(), vec![1.0, 2.0, 1.0]);
/// ```
#[track_caller]
pub fn polymul(a1: &Tensor, a2: &Tensor) -> Tensor {
    check_1d("polymul", a1);
    check_1d("polymul", a2);
    // Float, as JAX's (a convolution): integer coefficients become f32.
    let dt = DType::promote(DType::promote(a1.dtype(), a2.dtype()), DType::F32);
    let (a, b) = (
        lax::convert_element_type(a1, dt),
        lax::convert_element_type(a2, dt),
    );
    let (n, m) = (a.shape()[0], b.shape()[0]);
    if n == 0 || m == 0 {
        return Tensor::zeros(&[0], dt);
    }
    // Row i holds a[i] * b shifted right by i; the columns sum to the product.
    let zero = Tensor::full(&[], 0, dt);
    let rows: Vec<Tensor> = (0..n)
        .map(|i| {
            let r = multiply(index_axis(&a, 0, i as isize), &b);
            let r = lax::pad(&r, &zero, &[(i as i64, (n - 1 - i) as i64, 0)]);
            lax::reshape(&r, &[1, n + m - 1])
        })
        .collect();
    sum(&lax::concatenate(&rows, 0), Some(&[0]))
}

/// `jnp.polyder(p, m)`: the `m`-th derivative (JAX's default `m=1`).
///
/// ```
/// use ferrax::prelude::*;
/// let p = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// assert_eq!(ferrax::numpy::polyder(&p, 1).to_vec::<f32>(), vec![2.0, 2.0]);
/// ```
#[track_caller]
pub fn polyder(p: &Tensor, m: usize) -> Tensor {
    check_1d("polyder", p);
    if m == 0 {
        return p.clone();
    }
    let n = p.shape()[0];
    if m >= n {
        return Tensor::zeros(&[0], p.dtype());
    }
    // coeff[j] = prod_{i < m} (j + m - i), for the power j + m, listed highest first.
    let coeff: Vec<f64> = (0..n - m)
        .rev()
        .map(|j| (0..m).map(|i| (j + m - i) as f64).product())
        .collect();
    let c = Tensor::from_f64_values(&coeff, &[n - m], p.dtype());
    multiply(slice_axis(p, 0, 0, (n - m) as isize), &c)
}

/// `jnp.polyint(p, m)`: the `m`-th antiderivative with zero integration constants (JAX's
/// default `m=1`, `k=None`); float.
///
/// ```
/// use ferrax::prelude::*;
/// let p = Tensor::from_vec(vec![3.0f32, 2.0, 1.0], &[3]);
/// assert_eq!(ferrax::numpy::polyint(&p, 1).to_vec::<f32>(), vec![1.0, 1.0, 1.0, 0.0]);
/// ```
#[track_caller]
pub fn polyint(p: &Tensor, m: usize) -> Tensor {
    check_1d("polyint", p);
    if m == 0 {
        return p.clone();
    }
    let n = p.shape()[0];
    // coeff[j] = prod_{i < m} max(1, j' - i) over j' = len+m-1 .. 0 (numpy's grid).
    let coeff: Vec<f64> = (0..n + m)
        .rev()
        .map(|j| (0..m).map(|i| (j as f64 - i as f64).max(1.0)).product())
        .collect();
    let full = concatenate(&[p.clone(), Tensor::zeros(&[m], p.dtype())], 0);
    let full = ufuncs::to_float(&full);
    let c = Tensor::from_f64_values(&coeff, &[n + m], full.dtype());
    lax::div(&full, &c)
}
