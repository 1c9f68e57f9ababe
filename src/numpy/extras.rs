//! More `jax.numpy` twins: float neighbours (`nextafter`, `spacing`, `frexp`), the
//! complex-number functions on ferrax's real dtypes (`real`, `imag`, `conj`, `angle`, ...),
//! `astype`/`promote_types`, window functions, `cross`, `unwrap`, `ix_`, `poly`, `gcd`, `lcm`.

use super::*;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// `jnp.nextafter(a, b)`: the next float after `a` towards `b`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32], &[1]);
/// assert_eq!(ferrax::numpy::nextafter(&x, 2.0).to_vec::<f32>(), vec![1.0 + f32::EPSILON]);
/// ```
#[track_caller]
pub fn nextafter(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = ufuncs::promote_float("nextafter", a, b);
    lax::nextafter(&a, &b)
}

/// `jnp.spacing(x)`: the distance from `x` to the next float away from zero (signed as
/// `x`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, -1.0], &[2]);
/// assert_eq!(ferrax::numpy::spacing(&x).to_vec::<f32>(), vec![f32::EPSILON, -f32::EPSILON]);
/// ```
#[track_caller]
pub fn spacing(x: &Tensor) -> Tensor {
    let x = ufuncs::to_float(x);
    let inf = Tensor::full(&[], f64::INFINITY, x.dtype());
    let r = lax::sub(&lax::nextafter(&x, &copysign(&inf, &x)), &x);
    let tiny = match x.dtype() {
        DType::F64 => f64::from_bits(1),
        _ => f32::from_bits(1) as f64,
    };
    where_(&r.eq(0.0), copysign(tiny, &x), &r)
}

/// `jnp.frexp(x)`: `(mantissa, exponent)` with `x = mantissa * 2**exponent`, the mantissa's
/// magnitude in `[0.5, 1)` (0, infinities and NaN come back as `(x, 0)`); f32 only (the
/// f64 bits need a 64-bit integer dtype ferrax lacks).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![8.0f32, -0.75, 0.0], &[3]);
/// let (m, e) = ferrax::numpy::frexp(&x);
/// assert_eq!(m.to_vec::<f32>(), vec![0.5, -0.75, 0.0]);
/// assert_eq!(e.to_vec::<i32>(), vec![4, 0, 0]);
/// ```
#[track_caller]
pub fn frexp(x: &Tensor) -> (Tensor, Tensor) {
    let x = ufuncs::to_float(x);
    assert!(
        x.dtype() == DType::F32,
        "frexp: supports f32 only, got {} (called from {})",
        x.aval(),
        std::panic::Location::caller()
    );
    let i = |v: i32| Tensor::full(&[], v, DType::I32);
    // Subnormals are scaled into the normal range first.
    let sub = lax::abs(&x).lt(f32::MIN_POSITIVE as f64);
    let x1 = where_(&sub, multiply(&x, (1u32 << 23) as f64), &x);
    let e0 = where_(&sub, -23, 0);
    let bits = lax::bitcast_convert_type(&x1, DType::I32);
    let exp_bits = lax::and(&lax::shift_right_arithmetic(&bits, &i(23)), &i(0xff));
    let e = add(add(&e0, &exp_bits), -126);
    let mant_bits = lax::or(&lax::and(&bits, &i(!(0xff << 23))), &i(126 << 23));
    let m = lax::bitcast_convert_type(&mant_bits, DType::F32);
    let special = logical_or(logical_or(isinf(&x), isnan(&x)), x.eq(0.0));
    (where_(&special, &x, &m), where_(&special, 0, &e))
}

/// `jnp.real`: the real part (the input itself: ferrax has no complex dtypes).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.5f32], &[1]);
/// assert_eq!(ferrax::numpy::real(&x).to_vec::<f32>(), vec![1.5]);
/// ```
pub fn real(x: &Tensor) -> Tensor {
    x.clone()
}

/// `jnp.imag`: the imaginary part (zeros: ferrax has no complex dtypes).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.5f32], &[1]);
/// assert_eq!(ferrax::numpy::imag(&x).to_vec::<f32>(), vec![0.0]);
/// ```
pub fn imag(x: &Tensor) -> Tensor {
    zeros_like(x)
}

/// `jnp.conj`: the complex conjugate (the input itself for real dtypes).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.5f32], &[1]);
/// assert_eq!(ferrax::numpy::conj(&x).to_vec::<f32>(), vec![1.5]);
/// ```
pub fn conj(x: &Tensor) -> Tensor {
    x.clone()
}

/// `jnp.conjugate`: the same as [`conj`].
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.5f32], &[1]);
/// assert_eq!(ferrax::numpy::conjugate(&x).to_vec::<f32>(), vec![1.5]);
/// ```
pub fn conjugate(x: &Tensor) -> Tensor {
    x.clone()
}

/// `jnp.angle`: the argument of a (real) number: π for negatives, else 0 (float).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-2.0f32, 3.0], &[2]);
/// assert_eq!(ferrax::numpy::angle(&x).to_vec::<f32>(), vec![std::f32::consts::PI, 0.0]);
/// ```
#[track_caller]
pub fn angle(x: &Tensor) -> Tensor {
    let re = ufuncs::to_float(x);
    lax::atan2(&zeros_like(&re), &re)
}

/// `jnp.iscomplex`: false everywhere (ferrax has no complex dtypes).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32], &[1]);
/// assert_eq!(ferrax::numpy::iscomplex(&x).to_vec::<bool>(), vec![false]);
/// ```
pub fn iscomplex(x: &Tensor) -> Tensor {
    Tensor::zeros(x.shape(), DType::Bool)
}

/// `jnp.isreal`: true everywhere (ferrax has no complex dtypes).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32], &[1]);
/// assert_eq!(ferrax::numpy::isreal(&x).to_vec::<bool>(), vec![true]);
/// ```
pub fn isreal(x: &Tensor) -> Tensor {
    Tensor::full(x.shape(), true, DType::Bool)
}

/// `jnp.iscomplexobj`: whether the dtype is complex (never, in ferrax).
///
/// ```
/// use ferrax::prelude::*;
/// assert!(!ferrax::numpy::iscomplexobj(&Tensor::scalar(1.0f32)));
/// ```
pub fn iscomplexobj(_x: &Tensor) -> bool {
    false
}

/// `jnp.isrealobj`: whether the dtype is not complex (always, in ferrax).
///
/// ```
/// use ferrax::prelude::*;
/// assert!(ferrax::numpy::isrealobj(&Tensor::scalar(1.0f32)));
/// ```
pub fn isrealobj(_x: &Tensor) -> bool {
    true
}

/// `jnp.astype(x, dtype)`: `x` converted to `dtype` (`lax.convert_element_type`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.7f32, -1.7], &[2]);
/// assert_eq!(ferrax::numpy::astype(&x, DType::I32).to_vec::<i32>(), vec![1, -1]);
/// ```
#[track_caller]
pub fn astype(x: &Tensor, dtype: DType) -> Tensor {
    lax::convert_element_type(x, dtype)
}

/// `jnp.promote_types(a, b)`: the dtype two dtypes promote to.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(ferrax::numpy::promote_types(DType::I32, DType::F32), DType::F32);
/// ```
pub fn promote_types(a: DType, b: DType) -> DType {
    DType::promote(a, b)
}

/// `cos(c * n / (m - 1))` over `n = 0..m` in f32, as JAX's window functions write it.
fn window_cos(m: usize, c: f64) -> Tensor {
    let n = lax::iota(DType::F32, &[m], 0);
    lax::cos(&divide(multiply(c, &n), (m - 1) as f64))
}

macro_rules! window_fns {
    ($($(#[$doc:meta])* $name:ident($m:ident) $body:block)*) => {$(
        $(#[$doc])*
        pub fn $name($m: usize) -> Tensor {
            if $m <= 1 {
                return Tensor::full(&[$m], 1.0, DType::F32);
            }
            $body
        }
    )*};
}
window_fns! {
    /// `jnp.hamming(m)`: the Hamming window (f32).
    ///
    /// ```
    /// let w = ferrax::numpy::hamming(3).to_vec::<f32>();
    /// assert!((w[1] - 1.0).abs() < 1e-6 && (w[0] - 0.08).abs() < 1e-6);
    /// ```
    hamming(m) {
        subtract(0.54, multiply(0.46, window_cos(m, 2.0 * std::f64::consts::PI)))
    }
    /// `jnp.hanning(m)`: the Hann window (f32).
    ///
    /// ```
    /// let w = ferrax::numpy::hanning(3).to_vec::<f32>();
    /// assert!((w[1] - 1.0).abs() < 1e-6 && w[0].abs() < 1e-6);
    /// ```
    hanning(m) {
        multiply(0.5, subtract(1.0, window_cos(m, 2.0 * std::f64::consts::PI)))
    }
    /// `jnp.blackman(m)`: the Blackman window (f32).
    ///
    /// ```
    /// let w = ferrax::numpy::blackman(3).to_vec::<f32>();
    /// assert!((w[1] - 1.0).abs() < 1e-6);
    /// ```
    blackman(m) {
        let a = subtract(0.42, multiply(0.5, window_cos(m, 2.0 * std::f64::consts::PI)));
        add(&a, multiply(0.08, window_cos(m, 4.0 * std::f64::consts::PI)))
    }
    /// `jnp.bartlett(m)`: the triangular Bartlett window (f32).
    ///
    /// ```
    /// assert_eq!(ferrax::numpy::bartlett(5).to_vec::<f32>(), vec![0.0, 0.5, 1.0, 0.5, 0.0]);
    /// ```
    bartlett(m) {
        let n = lax::iota(DType::F32, &[m], 0);
        let t = subtract(add(multiply(2.0, &n), 1.0), m as f64);
        subtract(1.0, divide(lax::abs(&t), (m - 1) as f64))
    }
}

/// `jnp.cross(a, b)`: the cross product of 3-vectors (or the z-component of 2-vectors)
/// along the last axis, the other axes broadcast.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 0.0, 0.0], &[3]);
/// let y = Tensor::from_vec(vec![0.0f32, 1.0, 0.0], &[3]);
/// assert_eq!(ferrax::numpy::cross(&x, &y).to_vec::<f32>(), vec![0.0, 0.0, 1.0]);
/// ```
#[track_caller]
pub fn cross(a: &Tensor, b: &Tensor) -> Tensor {
    let len = |t: &Tensor| t.shape().last().copied().unwrap_or(0);
    assert!(
        matches!(len(a), 2 | 3) && matches!(len(b), 2 | 3),
        "cross: the last dimensions must be 2 or 3, got {} and {} (called from {})",
        a.aval(),
        b.aval(),
        std::panic::Location::caller()
    );
    let c = |t: &Tensor, i: isize| {
        if i < len(t) as isize {
            index_axis(t, -1, i)
        } else {
            zeros_like(&index_axis(t, -1, 0))
        }
    };
    if len(a) == 2 && len(b) == 2 {
        return subtract(multiply(c(a, 0), c(b, 1)), multiply(c(a, 1), c(b, 0)));
    }
    let (a0, a1, a2, b0, b1, b2) = (c(a, 0), c(a, 1), c(a, 2), c(b, 0), c(b, 1), c(b, 2));
    let parts = [
        subtract(multiply(&a1, &b2), multiply(&a2, &b1)),
        subtract(multiply(&a2, &b0), multiply(&a0, &b2)),
        subtract(multiply(&a0, &b1), multiply(&a1, &b0)),
    ];
    stack(&parts, -1)
}

/// Options of [`unwrap_with`]: the jump size `discont` treated as a wrap (`period / 2` when
/// `None`) and the `period` (2π), as JAX.
#[derive(Clone, Copy, Debug)]
pub struct Unwrap {
    /// Jumps smaller than this are kept.
    pub discont: Option<f64>,
    /// The period of the wrapped quantity.
    pub period: f64,
}

impl Default for Unwrap {
    fn default() -> Self {
        Unwrap {
            discont: None,
            period: 2.0 * std::f64::consts::PI,
        }
    }
}

/// `jnp.unwrap(p, axis=axis)`: removes jumps of more than π along `axis` (JAX's default -1)
/// by adding multiples of 2π.
///
/// ```
/// use ferrax::prelude::*;
/// let p = Tensor::from_vec(vec![0.0f32, 3.0, -3.0], &[3]);
/// let u = ferrax::numpy::unwrap(&p, -1).to_vec::<f32>();
/// assert!((u[2] - (2.0 * std::f32::consts::PI - 3.0)).abs() < 1e-5);
/// ```
#[track_caller]
pub fn unwrap(p: &Tensor, axis: isize) -> Tensor {
    unwrap_with(p, axis, Unwrap::default())
}

/// [`unwrap`] with `discont` and `period` (float inputs).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::numpy::{unwrap_with, Unwrap};
/// let p = Tensor::from_vec(vec![0.0f32, 3.0, 1.0], &[3]);
/// let u = unwrap_with(&p, 0, Unwrap { period: 4.0, discont: None });
/// assert_eq!(u.to_vec::<f32>(), vec![0.0, -1.0, -3.0]);
/// ```
#[track_caller]
pub fn unwrap_with(p: &Tensor, axis: isize, opts: Unwrap) -> Tensor {
    let p = ufuncs::to_float(p);
    let a = normalize_axis(axis, p.ndim());
    let n = p.shape()[a] as isize;
    if n == 0 {
        return p;
    }
    let period = Tensor::full(&[], opts.period, p.dtype());
    let interval = lax::div(&period, &Tensor::full(&[], 2.0, p.dtype()));
    let discont = match opts.discont {
        Some(d) => Tensor::full(&[], d, p.dtype()),
        None => interval.clone(),
    };
    let dd = diff(&p, 1, a as isize);
    let ddmod = subtract(mod_(add(&dd, &interval), &period), &interval);
    let at_edge = logical_and(ddmod.eq(negative(&interval)), dd.gt(0.0));
    let ddmod = where_(&at_edge, &interval, &ddmod);
    let correct = where_(&lax::abs(&dd).lt(&discont), 0.0, subtract(&ddmod, &dd));
    let rest = add(
        slice_axis(&p, a as isize, 1, n),
        cumsum(&correct, Some(a as isize)),
    );
    lax::concatenate(&[slice_axis(&p, a as isize, 0, 1), rest], a)
}

/// `jnp.ix_(*args)`: the 1-D index arrays reshaped to broadcast against each other (the
/// i-th along axis i) for open-mesh indexing.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![0, 1], &[2]);
/// let b = Tensor::from_vec(vec![2, 0, 1], &[3]);
/// let out = ferrax::numpy::ix_(&[a, b]);
/// assert_eq!((out[0].shape(), out[1].shape()), (&[2usize, 1][..], &[1usize, 3][..]));
/// ```
#[track_caller]
pub fn ix_(args: &[Tensor]) -> Vec<Tensor> {
    let n = args.len();
    args.iter()
        .enumerate()
        .map(|(i, a)| {
            assert!(
                a.ndim() == 1 && a.dtype() != DType::Bool,
                "ix_: arguments must be 1-D and not bool, got {} (called from {})",
                a.aval(),
                std::panic::Location::caller()
            );
            let mut shape = vec![1; n];
            shape[i] = a.shape()[0];
            lax::broadcast_in_dim(a, &shape, &[i])
        })
        .collect()
}

/// `jnp.poly(zeros)`: the coefficients (highest power first) of the monic polynomial with
/// the given 1-D roots (float).
///
/// ```
/// use ferrax::prelude::*;
/// let r = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// assert_eq!(ferrax::numpy::poly(&r).to_vec::<f32>(), vec![1.0, -3.0, 2.0]);
/// ```
#[track_caller]
pub fn poly(seq_of_zeros: &Tensor) -> Tensor {
    let z = ufuncs::to_float(&atleast_1d(seq_of_zeros));
    assert!(
        z.ndim() == 1,
        "poly: roots must be 1-D (ferrax has no eigvals for the 2-D form), got shape {:?} \
         (called from {})",
        z.shape(),
        std::panic::Location::caller()
    );
    let dt = z.dtype();
    if z.shape()[0] == 0 {
        return Tensor::full(&[], 1.0, dt);
    }
    let mut a = Tensor::full(&[1], 1.0, dt);
    for k in 0..z.shape()[0] {
        let r = lax::reshape(&negative(&index_axis(&z, 0, k as isize)), &[1]);
        let factor = lax::concatenate(&[Tensor::full(&[1], 1.0, dt), r], 0);
        a = polymul(&a, &factor);
    }
    a
}

/// The integer operands of `gcd`/`lcm`, promoted and broadcast, as absolute values.
#[track_caller]
fn int_abs_pair(name: &str, a: impl IntoOperand, b: impl IntoOperand) -> (Tensor, Tensor) {
    let (a, b) = promote_named(name, a, b);
    assert!(
        matches!(a.dtype(), DType::I32 | DType::U32),
        "{name}: needs integer operands, got {} and {} (called from {})",
        a.aval(),
        b.aval(),
        std::panic::Location::caller()
    );
    let shape = broadcast_shapes(a.shape(), b.shape());
    let (a, b) = (broadcast_to(&a, &shape), broadcast_to(&b, &shape));
    if a.dtype() == DType::I32 {
        (lax::abs(&a), lax::abs(&b))
    } else {
        (a, b)
    }
}

/// `jnp.gcd(a, b)`: the greatest common divisor of integers (Euclid's algorithm in a
/// `while_loop`, as JAX).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![12, -18, 0, 7], &[4]);
/// assert_eq!(ferrax::numpy::gcd(&x, 8).to_vec::<i32>(), vec![4, 2, 8, 1]);
/// ```
#[track_caller]
pub fn gcd(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = int_abs_pair("gcd", a, b);
    let (g, _) = lax::while_loop(
        |(_, y): &(Tensor, Tensor)| any(&y.ne(0), None),
        |(x, y): &(Tensor, Tensor)| {
            let nz = y.ne(0);
            let safe = where_(&nz, y, 1);
            (where_(&nz, y, x), where_(&nz, lax::rem(x, &safe), 0))
        },
        &(a, b),
    );
    g
}

/// `jnp.lcm(a, b)`: the least common multiple of integers (0 if either is 0).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![4, -6, 0], &[3]);
/// assert_eq!(ferrax::numpy::lcm(&x, 6).to_vec::<i32>(), vec![12, 6, 0]);
/// ```
#[track_caller]
pub fn lcm(a: impl IntoOperand, b: impl IntoOperand) -> Tensor {
    let (a, b) = int_abs_pair("lcm", a, b);
    let d = gcd(&a, &b);
    let safe = where_(&d.eq(0), 1, &d);
    where_(&d.eq(0), 0, multiply(&a, floor_divide(&b, &safe)))
}
