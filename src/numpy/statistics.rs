//! Statistics, signal and functional helpers, `jax.numpy` style: `convolve`, `correlate`,
//! `cov`, `corrcoef`, `bincount` (static length), `isin`, `unravel_index`, `fill_diagonal`,
//! `apply_along_axis`, `apply_over_axes`, `fromfunction`, `piecewise`.

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// The output size of [`convolve_with`] and [`correlate_with`] (JAX's `mode=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConvMode {
    /// Every overlap (JAX's default).
    #[default]
    Full,
    /// The length of the longer input, centred.
    Same,
    /// Only full overlaps.
    Valid,
}

/// Options of [`convolve_with`] and [`correlate_with`]: the `mode`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Convolve {
    /// The output size.
    pub mode: ConvMode,
}

/// `sum_j xpad[k + j] * y[j]` for the padded `x`: JAX's `conv_general_dilated` of 1-D
/// operands, written as shifted slices.
#[track_caller]
fn correlate_1d(name: &str, x: &Tensor, y: &Tensor, mode: ConvMode, flip: bool) -> Tensor {
    assert!(
        x.ndim() == 1 && y.ndim() == 1 && x.shape()[0] > 0 && y.shape()[0] > 0,
        "{name}: needs non-empty 1-D inputs, got {} and {} (called from {})",
        x.aval(),
        y.aval(),
        std::panic::Location::caller()
    );
    let dt = DType::promote(DType::promote(x.dtype(), y.dtype()), DType::F32);
    let (mut x, mut y) = (
        lax::convert_element_type(x, dt),
        lax::convert_element_type(y, dt),
    );
    let mut reverse = false;
    if x.shape()[0] < y.shape()[0] {
        std::mem::swap(&mut x, &mut y);
        reverse = !flip;
    }
    if flip {
        y = lax::rev(&y, &[0]);
    }
    let m = y.shape()[0];
    let (lo, hi) = match mode {
        ConvMode::Valid => (0, 0),
        ConvMode::Same => (m / 2, m - m / 2 - 1),
        ConvMode::Full => (m - 1, m - 1),
    };
    let zero = Tensor::full(&[], 0.0, x.dtype());
    let xp = lax::pad(&x, &zero, &[(lo as i64, hi as i64, 0)]);
    let len = xp.shape()[0] - m + 1;
    let mut out: Option<Tensor> = None;
    for j in 0..m {
        let term = multiply(
            slice_axis(&xp, 0, j as isize, (j + len) as isize),
            index_axis(&y, 0, j as isize),
        );
        out = Some(match out {
            None => term,
            Some(o) => add(&o, &term),
        });
    }
    let out = out.unwrap();
    if reverse {
        lax::rev(&out, &[0])
    } else {
        out
    }
}

/// `jnp.convolve(a, v)`: the full discrete convolution of two 1-D arrays (float).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// let v = Tensor::from_vec(vec![0.0f32, 1.0, 0.5], &[3]);
/// assert_eq!(ferrax::numpy::convolve(&a, &v).to_vec::<f32>(), vec![0.0, 1.0, 2.5, 4.0, 1.5]);
/// ```
#[track_caller]
pub fn convolve(a: &Tensor, v: &Tensor) -> Tensor {
    convolve_with(a, v, Convolve::default())
}

/// [`convolve`] with a `mode`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{convolve_with, ConvMode, Convolve};
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// let v = Tensor::from_vec(vec![0.0f32, 1.0, 0.5], &[3]);
/// let o = Convolve { mode: ConvMode::Same };
/// assert_eq!(convolve_with(&a, &v, o).to_vec::<f32>(), vec![1.0, 2.5, 4.0]);
/// ```
#[track_caller]
pub fn convolve_with(a: &Tensor, v: &Tensor, opts: Convolve) -> Tensor {
    correlate_1d("convolve", a, v, opts.mode, true)
}

/// `jnp.correlate(a, v)`: the cross-correlation of two 1-D arrays (JAX's default mode
/// `valid`; float).
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// let v = Tensor::from_vec(vec![0.0f32, 1.0], &[2]);
/// assert_eq!(ferrax::numpy::correlate(&a, &v).to_vec::<f32>(), vec![2.0, 3.0]);
/// ```
#[track_caller]
pub fn correlate(a: &Tensor, v: &Tensor) -> Tensor {
    correlate_1d("correlate", a, v, ConvMode::Valid, false)
}

/// [`correlate`] with a `mode` (note: `Convolve::default()` is `Full`, JAX's default for
/// `convolve`, not `correlate`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{correlate_with, ConvMode, Convolve};
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// let v = Tensor::from_vec(vec![0.0f32, 1.0], &[2]);
/// let o = Convolve { mode: ConvMode::Full };
/// assert_eq!(correlate_with(&a, &v, o).to_vec::<f32>(), vec![1.0, 2.0, 3.0, 0.0]);
/// ```
#[track_caller]
pub fn correlate_with(a: &Tensor, v: &Tensor, opts: Convolve) -> Tensor {
    correlate_1d("correlate", a, v, opts.mode, false)
}

/// Options of [`cov_with`] and [`corrcoef_with`]: `rowvar` (each row a variable; true by
/// default), `bias` (divide by `n` instead of `n - 1`) and `ddof` (overrides `bias`).
#[derive(Clone, Copy, Debug)]
pub struct Cov {
    /// Whether rows are variables and columns observations.
    pub rowvar: bool,
    /// Normalize by `n` instead of `n - 1`.
    pub bias: bool,
    /// Delta degrees of freedom, overriding `bias`.
    pub ddof: Option<usize>,
}

impl Default for Cov {
    fn default() -> Self {
        Cov {
            rowvar: true,
            bias: false,
            ddof: None,
        }
    }
}

/// `jnp.cov(m)`: the covariance matrix of the variables in the rows of `m` (a scalar for
/// one variable).
///
/// ```
/// use ferrax::prelude::*;
/// let m = Tensor::from_vec(vec![0.0f32, 1.0, 2.0, 2.0, 1.0, 0.0], &[2, 3]);
/// assert_eq!(ferrax::numpy::cov(&m).to_vec::<f32>(), vec![1.0, -1.0, -1.0, 1.0]);
/// ```
#[track_caller]
pub fn cov(m: &Tensor) -> Tensor {
    cov_with(m, Cov::default())
}

/// [`cov`] with options.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{cov_with, Cov};
/// let m = Tensor::from_vec(vec![0.0f32, 2.0], &[2]);
/// assert_eq!(cov_with(&m, Cov { bias: true, ..Default::default() }).item::<f32>(), 1.0);
/// ```
#[track_caller]
pub fn cov_with(m: &Tensor, opts: Cov) -> Tensor {
    assert!(
        m.ndim() <= 2,
        "cov: needs a 1-D or 2-D input, got shape {:?} (called from {})",
        m.shape(),
        std::panic::Location::caller()
    );
    let mut x = ufuncs::to_float(&atleast_2d(m));
    if !opts.rowvar && x.shape()[0] != 1 {
        x = matrix_transpose(&x);
    }
    let ddof = opts.ddof.unwrap_or(if opts.bias { 0 } else { 1 });
    let f = x.shape()[1] as f64 - ddof as f64;
    let avg = mean(&x, Some(&[1]));
    let xc = subtract(&x, lax::reshape(&avg, &[x.shape()[0], 1]));
    let c = divide(dot(&xc, &matrix_transpose(&xc)), f);
    let ones: Vec<usize> = (0..c.ndim()).filter(|&d| c.shape()[d] == 1).collect();
    lax::squeeze(&c, &ones)
}

/// `jnp.corrcoef(x)`: Pearson correlation coefficients of the rows of `x`, clipped to
/// `[-1, 1]`.
///
/// ```
/// use ferrax::prelude::*;
/// let m = Tensor::from_vec(vec![0.0f32, 1.0, 2.0, 2.0, 1.0, 0.0], &[2, 3]);
/// assert_eq!(ferrax::numpy::corrcoef(&m).to_vec::<f32>(), vec![1.0, -1.0, -1.0, 1.0]);
/// ```
#[track_caller]
pub fn corrcoef(x: &Tensor) -> Tensor {
    corrcoef_with(x, Cov::default())
}

/// [`corrcoef`] with `rowvar` (the other options cancel out).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{corrcoef_with, Cov};
/// let m = Tensor::from_vec(vec![0.0f32, 2.0, 1.0, 1.0, 2.0, 0.0], &[3, 2]);
/// let c = corrcoef_with(&m, Cov { rowvar: false, ..Default::default() });
/// assert_eq!(c.to_vec::<f32>(), vec![1.0, -1.0, -1.0, 1.0]);
/// ```
#[track_caller]
pub fn corrcoef_with(x: &Tensor, opts: Cov) -> Tensor {
    let c = cov_with(x, opts);
    if c.ndim() == 0 {
        return lax::div(&c, &c);
    }
    let n = c.shape()[0];
    let sd = lax::sqrt(&diagonal(&c));
    let c = lax::div(&c, &lax::broadcast_in_dim(&sd, &[n, n], &[0]));
    let c = lax::div(&c, &lax::broadcast_in_dim(&sd, &[n, n], &[1]));
    clip(&c, -1.0, 1.0)
}

/// `jnp.bincount(x, length=length)`: how often each value `0..length` occurs in the
/// non-negative integer `x` (negative values count as 0, values `>= length` are dropped, as
/// JAX); i32.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0, 1, 1, 3, 7], &[5]);
/// assert_eq!(ferrax::numpy::bincount(&x, 4).to_vec::<i32>(), vec![1, 2, 0, 1]);
/// ```
#[track_caller]
pub fn bincount(x: &Tensor, length: usize) -> Tensor {
    assert!(
        x.ndim() == 1 && matches!(x.dtype(), DType::I32 | DType::U32 | DType::Bool),
        "bincount: needs a 1-D integer input, got {} (called from {})",
        x.aval(),
        std::panic::Location::caller()
    );
    let x = lax::convert_element_type(x, DType::I32);
    let x = maximum(&x, 0);
    let hits = equal(
        lax::reshape(&x, &[x.shape()[0], 1]),
        lax::iota(DType::I32, &[1, length], 1),
    );
    sum(&hits, Some(&[0]))
}

/// `jnp.isin(element, test_elements)`: whether each element occurs in `test_elements`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4], &[2, 2]);
/// let t = Tensor::from_vec(vec![4, 1], &[2]);
/// assert_eq!(ferrax::numpy::isin(&x, &t).to_vec::<bool>(), vec![true, false, false, true]);
/// ```
#[track_caller]
pub fn isin(element: &Tensor, test_elements: &Tensor) -> Tensor {
    let t = ravel(test_elements);
    let mut s = element.shape().to_vec();
    s.push(1);
    any(&equal(lax::reshape(element, &s), &t), Some(&[-1]))
}

/// `jnp.unravel_index(indices, shape)`: the multi-index of each flat index into `shape`
/// (out-of-range indices are clamped, as JAX).
///
/// ```
/// use ferrax::prelude::*;
/// let i = Tensor::from_vec(vec![5, 1], &[2]);
/// let out = ferrax::numpy::unravel_index(&i, &[2, 3]);
/// assert_eq!((out[0].to_vec::<i32>(), out[1].to_vec::<i32>()), (vec![1, 0], vec![2, 1]));
/// ```
#[track_caller]
pub fn unravel_index(indices: &Tensor, shape: &[usize]) -> Vec<Tensor> {
    let mut rest = indices.clone();
    let mut out = vec![rest.clone(); shape.len()];
    for (i, &s) in shape.iter().enumerate().rev() {
        let (q, r) = divmod(&rest, s as i32);
        out[i] = r;
        rest = q;
    }
    let oob_pos = rest.gt(0);
    let oob_neg = if rest.dtype() == DType::U32 {
        Tensor::zeros(&[], DType::Bool)
    } else {
        rest.lt(-1)
    };
    shape
        .iter()
        .zip(out)
        .map(|(&s, i)| where_(&oob_pos, s as i32 - 1, where_(&oob_neg, 0, &i)))
        .collect()
}

/// `jnp.fill_diagonal(a, val, inplace=False)`: `a` with its main diagonal set to `val`
/// (rank 2, or every axis of one length; JAX's `wrap=False`).
///
/// ```
/// use ferrax::prelude::*;
/// let a = ferrax::numpy::zeros(&[2, 3]);
/// let b = ferrax::numpy::fill_diagonal(&a, 5.0);
/// assert_eq!(b.to_vec::<f32>(), vec![5.0, 0.0, 0.0, 0.0, 5.0, 0.0]);
/// ```
#[track_caller]
pub fn fill_diagonal(a: &Tensor, val: impl IntoOperand) -> Tensor {
    assert!(
        a.ndim() >= 2 && (a.ndim() == 2 || a.shape().iter().all(|&d| d == a.shape()[0])),
        "fill_diagonal: needs rank 2, or equal axes, got shape {:?} (called from {})",
        a.shape(),
        std::panic::Location::caller()
    );
    let i0 = lax::iota(DType::I32, a.shape(), 0);
    let mut mask = Tensor::full(a.shape(), true, DType::Bool);
    for d in 1..a.ndim() {
        mask = logical_and(&mask, i0.eq(lax::iota(DType::I32, a.shape(), d)));
    }
    let v = match val.into_operand() {
        Operand::Tensor(t) => lax::convert_element_type(&t, a.dtype()),
        Operand::Scalar(v, _) => Tensor::full(&[], v, a.dtype()),
    };
    where_(&mask, &v, a)
}

/// `jnp.apply_along_axis(f, axis, arr)`: `f` applied to every 1-D slice along `axis` (by
/// `vmap`); the axis is replaced by `f`'s output axes.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy as jnp;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
/// let y = jnp::apply_along_axis(|r| jnp::sum(r, None), 1, &x);
/// assert_eq!(y.to_vec::<f32>(), vec![6.0, 15.0]);
/// ```
#[track_caller]
pub fn apply_along_axis(f: impl Fn(&Tensor) -> Tensor, axis: isize, arr: &Tensor) -> Tensor {
    let a = normalize_axis(axis, arr.ndim());
    let moved = moveaxis(arr, a as isize, -1);
    let lead: Vec<usize> = moved.shape()[..moved.ndim() - 1].to_vec();
    let b: usize = lead.iter().product();
    let flat = lax::reshape(&moved, &[b, arr.shape()[a]]);
    let out = crate::interpreters::vmap(|r: &Tensor| f(r))(&flat);
    let core: Vec<usize> = out.shape()[1..].to_vec();
    let mut shape = lead.clone();
    shape.extend_from_slice(&core);
    let out = lax::reshape(&out, &shape);
    // Move the core axes from the end to position `a`.
    let nl = lead.len();
    let perm: Vec<usize> = (0..a).chain(nl..nl + core.len()).chain(a..nl).collect();
    lax::transpose(&out, &perm)
}

/// `jnp.apply_over_axes(f, a, axes)`: `f(a, axis)` for each axis in turn, keeping the rank
/// (a reduced axis comes back with size 1).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy as jnp;
/// let x = jnp::ones(&[2, 3, 4]);
/// let y = jnp::apply_over_axes(|t, ax| jnp::sum(t, Some(&[ax])), &x, &[0, 2]);
/// assert_eq!(y.shape(), &[1, 3, 1]);
/// assert_eq!(y.to_vec::<f32>(), vec![8.0, 8.0, 8.0]);
/// ```
#[track_caller]
pub fn apply_over_axes(f: impl Fn(&Tensor, isize) -> Tensor, a: &Tensor, axes: &[isize]) -> Tensor {
    let mut a = a.clone();
    for &axis in axes {
        let b = f(&a, axis);
        a = if b.ndim() == a.ndim() {
            b
        } else if b.ndim() + 1 == a.ndim() {
            let ax = normalize_axis(axis, a.ndim());
            lax::expand_dims(&b, &[ax])
        } else {
            panic!(
                "apply_over_axes: f changed rank {} to {} (called from {})",
                a.ndim(),
                b.ndim(),
                std::panic::Location::caller()
            );
        };
    }
    a
}

/// `jnp.fromfunction(f, shape)`: `f` called with one f32 index grid per axis (elementwise
/// `f`s give JAX's result; JAX maps `f` over scalars with `vmap`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy as jnp;
/// let x = jnp::fromfunction(|ix| jnp::add(&ix[0], &jnp::multiply(&ix[1], 10.0)), &[2, 2]);
/// assert_eq!(x.to_vec::<f32>(), vec![0.0, 10.0, 1.0, 11.0]);
/// ```
#[track_caller]
pub fn fromfunction(f: impl Fn(&[Tensor]) -> Tensor, shape: &[usize]) -> Tensor {
    let grids: Vec<Tensor> = (0..shape.len())
        .map(|d| lax::iota(DType::F32, shape, d))
        .collect();
    f(&grids)
}

/// `jnp.piecewise(x, condlist, funclist)`: per element, the function of the last true
/// condition (`funclist` may hold one more function, the default, used where none is
/// true; else the default is 0). Every function is evaluated on all of `x` (elementwise).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy as jnp;
/// let x = Tensor::from_vec(vec![-2.0f32, 0.5, 3.0], &[3]);
/// let neg = |t: &Tensor| jnp::negative(t);
/// let sq = |t: &Tensor| jnp::square(t);
/// let y = jnp::piecewise(&x, &[x.lt(0.0), x.gt(1.0)], &[&neg, &sq]);
/// assert_eq!(y.to_vec::<f32>(), vec![2.0, 0.0, 9.0]);
/// ```
#[track_caller]
pub fn piecewise(
    x: &Tensor,
    condlist: &[Tensor],
    funclist: &[&dyn Fn(&Tensor) -> Tensor],
) -> Tensor {
    let (nc, nf) = (condlist.len(), funclist.len());
    assert!(
        nf == nc || nf == nc + 1,
        "piecewise: {nf} functions for {nc} conditions (needs {nc} or {}) (called from {})",
        nc + 1,
        std::panic::Location::caller()
    );
    let mut cases: Vec<Tensor> = Vec::with_capacity(nc + 1);
    cases.push(if nf == nc + 1 {
        lax::convert_element_type(&funclist[nc](x), x.dtype())
    } else {
        zeros_like(x)
    });
    for f in &funclist[..nc] {
        cases.push(broadcast_to(
            &lax::convert_element_type(&f(x), x.dtype()),
            x.shape(),
        ));
    }
    // The index of the last true condition (0 for none), as JAX's cumsum/argmax.
    let mut which = Tensor::zeros(x.shape(), DType::I32);
    for (k, c) in condlist.iter().enumerate() {
        let c = broadcast_to(&lax::convert_element_type(c, DType::Bool), x.shape());
        which = where_(&c, (k + 1) as i32, &which);
    }
    let cases: Vec<Tensor> = cases.iter().map(|c| broadcast_to(c, x.shape())).collect();
    lax::select_n(&which, &cases)
}
