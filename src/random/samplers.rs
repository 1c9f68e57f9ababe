//! Samplers, each a composition of lax ops (so they trace, batch and differentiate like any
//! other code) following `jax._src.random.core` op for op.

use super::fused;
use super::keys::{split_n, threefry_words};
use crate::kernels::xla_math;
use crate::lax;
use crate::numpy;
use crate::prims::fma::fma;
use crate::tensor::{DType, Tensor};

/// A rank-0 constant of `dtype` (a literal when traced).
fn c(v: f64, dtype: DType) -> Tensor {
    Tensor::full(&[], v, dtype)
}

fn cu(v: u32) -> Tensor {
    Tensor::scalar(v)
}

/// The smallest positive normal number of `dtype` (JAX's `jnp.finfo(dtype).tiny`), the
/// lower end of the uniforms whose logarithm a sampler takes.
fn smallest_normal(dtype: DType) -> f64 {
    if dtype == DType::F32 {
        f32::MIN_POSITIVE as f64
    } else {
        f64::MIN_POSITIVE
    }
}

#[track_caller]
fn check_float(dtype: DType, what: &str) {
    assert!(
        dtype.is_float(),
        "random::{what}: dtype must be f32 or f64, got {dtype}"
    );
}

/// Uniform random `u32` bits of `shape` (`jax.random.bits`, partitionable threefry):
/// `y0 ^ y1` of the counter of each element. ferrax has no u8/u16/u64 dtypes; for 64-bit
/// draws use [`bits64_words`] (JAX's `(y0 << 32) | y1` as two u32 words).
///
/// ```
/// use ferrax::random;
/// let b = random::bits(&random::key(1701), &[3]);
/// assert_eq!(b.to_vec::<u32>(), vec![1111271205, 2679469115, 974515252]);
/// ```
#[track_caller]
pub fn bits(key: &Tensor, shape: &[usize]) -> Tensor {
    if let Some(k) = fused::eager_key(key) {
        let n = shape.iter().product();
        return Tensor::from_vec(fused::generate(k, n, |a, b| a ^ b), shape);
    }
    let (y0, y1) = threefry_words(key, shape, "bits");
    lax::xor(&y0, &y1)
}

/// JAX's 64-bit random bits (`bits(key, shape, dtype=uint64)` with x64 enabled) as its two
/// u32 halves `(hi, lo) = (y0, y1)`: the u64 value is `hi << 32 | lo`.
///
/// ```
/// use ferrax::random;
/// let (hi, lo) = random::bits64_words(&random::key(0), &[2]);
/// assert_eq!(hi.shape(), &[2]);
/// assert_eq!(lo.dtype(), ferrax::DType::U32);
/// ```
#[track_caller]
pub fn bits64_words(key: &Tensor, shape: &[usize]) -> (Tensor, Tensor) {
    threefry_words(key, shape, "bits64_words")
}

/// Floats in `[0, 1)` from the random mantissa bits (JAX's `_uniform` before scaling).
#[track_caller]
fn unit_floats(key: &Tensor, shape: &[usize], dtype: DType, what: &str) -> Tensor {
    match dtype {
        DType::F32 => {
            let (y0, y1) = threefry_words(key, shape, what);
            let b = lax::xor(&y0, &y1);
            let fb = lax::or(
                &lax::shift_right_logical(&b, &cu(32 - 23)),
                &cu(0x3f80_0000),
            );
            lax::sub(
                &lax::bitcast_convert_type(&fb, DType::F32),
                &c(1.0, DType::F32),
            )
        }
        DType::F64 => {
            // u64 = y0 << 32 | y1; mantissa = u64 >> 12 | bits(1.0): split into words.
            let (y0, y1) = threefry_words(key, shape, what);
            let hi = lax::or(&lax::shift_right_logical(&y0, &cu(12)), &cu(0x3ff0_0000));
            let lo = lax::or(
                &lax::shift_left(&y0, &cu(20)),
                &lax::shift_right_logical(&y1, &cu(12)),
            );
            let mut s = shape.to_vec();
            s.push(1);
            let words =
                lax::concatenate(&[lax::reshape(&lo, &s), lax::reshape(&hi, &s)], shape.len());
            lax::sub(
                &lax::bitcast_convert_type(&words, DType::F64),
                &c(1.0, DType::F64),
            )
        }
        _ => panic!("random::{what}: dtype must be f32 or f64, got {dtype}"),
    }
}

/// Rounds `v` to `dtype`'s precision (constants are computed as JAX computes them: in the
/// sampling dtype).
fn round_to(v: f64, dtype: DType) -> f64 {
    if dtype == DType::F32 {
        v as f32 as f64
    } else {
        v
    }
}

fn scale_floats(u: Tensor, dtype: DType, minval: f64, maxval: f64) -> Tensor {
    let (lo, hi) = (round_to(minval, dtype), round_to(maxval, dtype));
    let span = round_to(hi - lo, dtype);
    if lo == 0.0 && span == 1.0 {
        // `max(0, u * 1 + 0)` is `u` exactly: skip three passes.
        return u;
    }
    // `u * span + lo` is one FMA in XLA's code (exact products make it the plain pair).
    let full = |v: f64| Tensor::full(u.shape(), v, dtype);
    let y = fma(&u, &full(span), &full(lo));
    lax::max(&c(lo, dtype), &y)
}

/// The fused eager uniform (see `fused.rs`), followed by `g32`/`g64` per element.
fn fused_uniform(
    k: [u32; 2],
    shape: &[usize],
    dtype: DType,
    minval: f64,
    maxval: f64,
    g32: impl Fn(f32) -> f32 + Sync,
    g64: impl Fn(f64) -> f64 + Sync,
) -> Tensor {
    let (lo, hi) = (round_to(minval, dtype), round_to(maxval, dtype));
    let span = round_to(hi - lo, dtype);
    let identity = lo == 0.0 && span == 1.0;
    let n = shape.iter().product();
    if dtype == DType::F32 {
        let (lo, span) = (lo as f32, span as f32);
        let v = fused::generate(k, n, |a, b| {
            g32(fused::uniform_f32(a ^ b, lo, span, identity))
        });
        Tensor::from_vec(v, shape)
    } else {
        let v = fused::generate(k, n, |a, b| {
            g64(fused::uniform_f64(a, b, lo, span, identity))
        });
        Tensor::from_vec(v, shape)
    }
}

/// `f32` uniforms in `[0, 1)` (`jax.random.uniform(key, shape)`).
///
/// ```
/// use ferrax::random;
/// let u = random::uniform(&random::key(42), &[5]);
/// assert_eq!(u.to_vec::<f32>(), vec![0.48870957, 0.67979717, 0.6162715, 0.56101608, 0.45064461]);
/// ```
#[track_caller]
pub fn uniform(key: &Tensor, shape: &[usize]) -> Tensor {
    uniform_with(key, shape, DType::F32, 0.0, 1.0)
}

/// Uniforms of `dtype` in `[minval, maxval)` (`jax.random.uniform(key, shape, dtype,
/// minval, maxval)`): 23 (f32) or 52 (f64, as JAX with x64) random mantissa bits, then
/// `max(minval, u * (maxval - minval) + minval)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::random;
/// let u = random::uniform_with(&random::key(0), &[1000], DType::F64, -2.0, 3.0);
/// let v = u.to_vec::<f64>();
/// assert!(v.iter().all(|&x| (-2.0..3.0).contains(&x)));
/// ```
#[track_caller]
pub fn uniform_with(
    key: &Tensor,
    shape: &[usize],
    dtype: DType,
    minval: f64,
    maxval: f64,
) -> Tensor {
    check_float(dtype, "uniform");
    if let Some(k) = fused::eager_key(key) {
        return fused_uniform(k, shape, dtype, minval, maxval, |u| u, |u| u);
    }
    let u = unit_floats(key, shape, dtype, "uniform");
    scale_floats(u, dtype, minval, maxval)
}

/// XLA's single-precision `erf_inv` (Giles' polynomials on `w = -log1p(-x²)`, branches
/// `w < 5` and `w ≥ 5`, with the FMA contractions of XLA's compiled code), so `normal`
/// reproduces JAX's f32 values bit for bit. It is `lax::erf_inv`, whose f32 kernel is XLA's;
/// kept as the name the samplers were written against.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32, 0.5, -0.9], &[3]);
/// let y = ferrax::random::erf_inv_f32(&x).to_vec::<f32>();
/// assert!((y[1] - 0.47693628).abs() < 1e-6 && (y[2] + 1.1630871).abs() < 1e-6);
/// ```
#[track_caller]
pub fn erf_inv_f32(x: &Tensor) -> Tensor {
    assert!(
        x.dtype() == DType::F32,
        "erf_inv_f32: expected f32, got {}",
        x.dtype()
    );
    lax::erf_inv(x)
}

fn erf_inv_of(x: &Tensor) -> Tensor {
    if x.dtype() == DType::F32 {
        erf_inv_f32(x)
    } else {
        lax::erf_inv(x)
    }
}

/// Standard normal `f32` samples (`jax.random.normal(key, shape)`): `√2 · erf_inv(u)`,
/// `u` uniform in `(nextafter(-1, 0), 1)`.
///
/// ```
/// use ferrax::random;
/// let n = random::normal(&random::key(42), &[3]).to_vec::<f32>();
/// let want = [-0.028304616f32, 0.46713185, 0.29570296];
/// for (a, b) in n.iter().zip(want) { assert!((a - b).abs() <= 4.0 * f32::EPSILON * b.abs()); }
/// ```
#[track_caller]
pub fn normal(key: &Tensor, shape: &[usize]) -> Tensor {
    normal_with(key, shape, DType::F32)
}

/// Standard normal samples of `dtype`.
///
/// ```
/// use ferrax::prelude::*;
/// let n = ferrax::random::normal_with(&ferrax::random::key(0), &[4], DType::F64);
/// assert_eq!(n.dtype(), DType::F64);
/// ```
#[track_caller]
pub fn normal_with(key: &Tensor, shape: &[usize], dtype: DType) -> Tensor {
    check_float(dtype, "normal");
    let lo = if dtype == DType::F32 {
        libm::nextafterf(-1.0, 0.0) as f64
    } else {
        libm::nextafter(-1.0, 0.0)
    };
    if dtype == DType::F32
        && let Some(k) = fused::eager_key(key)
    {
        let (lo32, span) = (lo as f32, (1.0 - lo as f32 as f64) as f32);
        let n = shape.iter().product();
        let v = fused::generate_blocks(k, n, |y0, y1, out: &mut [f32; fused::LANES]| {
            let u: [f32; fused::LANES] =
                std::array::from_fn(|l| fused::uniform_f32(y0[l] ^ y1[l], lo32, span, false));
            // The kernel `lax::erf_inv` runs (FMA or not as dispatched), so the fused
            // path and the traced composition give the same bits.
            let mut r = [0f32; fused::LANES];
            crate::kernels::elementwise::unary_f32(crate::ops::UnaryOp::ErfInv, &u, &mut r);
            let s2 = std::f64::consts::SQRT_2 as f32;
            *out = std::array::from_fn(|l| s2 * r[l]);
        });
        return Tensor::from_vec(v, shape);
    }
    let u = uniform_with(key, shape, dtype, lo, 1.0);
    lax::mul(&c(std::f64::consts::SQRT_2, dtype), &erf_inv_of(&u))
}

/// `normal_with(key, shape, dtype) · scale` for a scalar `scale`, as XLA compiles it: its
/// simplifier reassociates `(erf_inv(u) · √2) · scale` into `erf_inv(u) · (scale · √2)` when
/// `scale` is a scalar broadcast, which rounds differently; `lognormal` needs these bits.
pub(crate) fn normal_times_scalar(
    key: &Tensor,
    shape: &[usize],
    dtype: DType,
    scale: &Tensor,
) -> Tensor {
    let lo = if dtype == DType::F32 {
        libm::nextafterf(-1.0, 0.0) as f64
    } else {
        libm::nextafter(-1.0, 0.0)
    };
    let u = uniform_with(key, shape, dtype, lo, 1.0);
    let s = lax::mul(scale, &c(std::f64::consts::SQRT_2, dtype));
    lax::mul(&erf_inv_of(&u), &lax::broadcast_in_dim(&s, shape, &[]))
}

/// Standard normals truncated to `(lower, upper)` (`jax.random.truncated_normal`):
/// `√2 · erf_inv(u)`, `u` uniform in `[erf(lower/√2), erf(upper/√2))`, clipped to the open
/// interval.
///
/// ```
/// use ferrax::prelude::*;
/// let t = ferrax::random::truncated_normal(&ferrax::random::key(0), -2.0, 2.0, &[100], DType::F32);
/// assert!(t.to_vec::<f32>().iter().all(|x| x.abs() < 2.0));
/// ```
#[track_caller]
pub fn truncated_normal(
    key: &Tensor,
    lower: f64,
    upper: f64,
    shape: &[usize],
    dtype: DType,
) -> Tensor {
    check_float(dtype, "truncated_normal");
    let sqrt2 = c(std::f64::consts::SQRT_2, dtype);
    let lower_t = c(lower, dtype);
    let upper_t = c(upper, dtype);
    // XLA rewrites `x / sqrt2` to `x * (1 / sqrt2)`, the reciprocal rounded to the dtype.
    let inv_sqrt2 = if dtype == DType::F32 {
        (1.0 / std::f32::consts::SQRT_2) as f64
    } else {
        1.0 / std::f64::consts::SQRT_2
    };
    // XLA's erf of a scalar saturates to ±1 a little earlier than its erf of an array.
    let saturates = |v: f64| {
        dtype == DType::F32
            && ((v as f32) * inv_sqrt2 as f32).abs() >= xla_math::ERF_SCALAR_SATURATION
    };
    let inv_sqrt2 = c(inv_sqrt2, dtype);
    let erf_scalar = |v: f64, t: &Tensor| {
        if saturates(v) {
            c(v.signum(), dtype)
        } else {
            lax::erf(&lax::mul(t, &inv_sqrt2))
        }
    };
    let a = erf_scalar(lower, &lower_t);
    let b = erf_scalar(upper, &upper_t);
    // JAX's `_uniform` with array bounds: max(a, u * (b - a) + a), the multiply-add fused.
    let u = unit_floats(key, shape, dtype, "truncated_normal");
    let wide = |t: &Tensor| lax::broadcast_in_dim(t, shape, &[]);
    let y = fma(&u, &wide(&lax::sub(&b, &a)), &wide(&a));
    let u = lax::max(&a, &y);
    let out = lax::mul(&sqrt2, &erf_inv_of(&u));
    let lo = lax::nextafter(&lower_t, &c(f64::INFINITY, dtype));
    let hi = lax::nextafter(&upper_t, &c(f64::NEG_INFINITY, dtype));
    lax::clamp(&lo, &out, &hi)
}

/// `uniform < p` (`jax.random.bernoulli(key, p, shape)`), bool.
///
/// ```
/// use ferrax::random;
/// let m = random::bernoulli(&random::key(5), 0.3, &[8]);
/// assert_eq!(m.to_vec::<bool>(), vec![false, false, false, true, false, false, true, true]);
/// ```
#[track_caller]
pub fn bernoulli(key: &Tensor, p: f64, shape: &[usize]) -> Tensor {
    let u = uniform(key, shape);
    lax::lt(&u, &c(p, DType::F32))
}

/// [`bernoulli`] with a probability tensor (f32 or f64, any shape that broadcasts to
/// `shape` numpy-style; may be traced).
///
/// ```
/// use ferrax::prelude::*;
/// let p = Tensor::from_vec(vec![0.0f32, 1.0], &[2]);
/// let m = ferrax::random::bernoulli_p(&ferrax::random::key(0), &p, &[3, 2]);
/// assert_eq!(m.to_vec::<bool>(), vec![false, true, false, true, false, true]);
/// ```
#[track_caller]
pub fn bernoulli_p(key: &Tensor, p: &Tensor, shape: &[usize]) -> Tensor {
    let u = uniform_with(key, shape, p.dtype(), 0.0, 1.0);
    let p = numpy::broadcast_to(p, shape);
    lax::lt(&u, &p)
}

/// Integers in `[minval, maxval)` (`jax.random.randint(key, shape, minval, maxval)`), i32.
/// Bounds are clipped to the i32 range (`maxval` up to 2^31 allowed); `maxval <= minval`
/// gives `minval`. Two 32-bit draws per value reduce the modulo bias, as in JAX.
///
/// ```
/// use ferrax::random;
/// let i = random::randint(&random::key(5), &[8], 0, 10);
/// assert_eq!(i.to_vec::<i32>(), vec![1, 8, 3, 6, 4, 1, 9, 3]);
/// ```
#[track_caller]
pub fn randint(key: &Tensor, shape: &[usize], minval: i64, maxval: i64) -> Tensor {
    let max_out_of_range = maxval > i32::MAX as i64;
    let lo = minval.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    let hi = maxval.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    let mut span = (hi as u32).wrapping_sub(lo as u32);
    if hi <= lo {
        span = 1;
    }
    if max_out_of_range && hi > lo {
        span = span.wrapping_add(1);
    }
    let [k1, k2] = split_n::<2>(key);
    let higher = bits(&k1, shape);
    let lower = bits(&k2, shape);
    let mult = {
        let m = 65536u32.checked_rem(span).unwrap_or(65536);
        let m2 = m.wrapping_mul(m);
        m2.checked_rem(span).unwrap_or(m2)
    };
    let s = cu(span);
    let off = lax::add(
        &lax::mul(&lax::rem(&higher, &s), &cu(mult)),
        &lax::rem(&lower, &s),
    );
    let off = lax::rem(&off, &s);
    lax::add(
        &Tensor::scalar(lo),
        &lax::convert_element_type(&off, DType::I32),
    )
}

/// Gumbel samples (`jax.random.gumbel`, the default "low" mode): `-log(-log(u))`, `u` in
/// `[tiny, 1)`.
///
/// ```
/// use ferrax::prelude::*;
/// let g = ferrax::random::gumbel(&ferrax::random::key(0), &[10], DType::F32);
/// assert!(g.to_vec::<f32>().iter().all(|x| x.is_finite()));
/// ```
#[track_caller]
pub fn gumbel(key: &Tensor, shape: &[usize], dtype: DType) -> Tensor {
    check_float(dtype, "gumbel");
    let u = uniform_with(key, shape, dtype, smallest_normal(dtype), 1.0);
    lax::neg(&lax::log(&lax::neg(&lax::log(&u))))
}

/// Exponential(1) samples (`jax.random.exponential`): `-log1p(-u)`.
///
/// ```
/// use ferrax::prelude::*;
/// let e = ferrax::random::exponential(&ferrax::random::key(0), &[10], DType::F32);
/// assert!(e.to_vec::<f32>().iter().all(|&x| x >= 0.0));
/// ```
#[track_caller]
pub fn exponential(key: &Tensor, shape: &[usize], dtype: DType) -> Tensor {
    check_float(dtype, "exponential");
    let u = uniform_with(key, shape, dtype, 0.0, 1.0);
    lax::neg(&lax::log1p(&lax::neg(&u)))
}

/// Laplace(0, 1) samples (`jax.random.laplace`): `sign(u) · log1p(-|u|)`, `u` in
/// `[-1 + epsneg, 1)`.
///
/// ```
/// use ferrax::prelude::*;
/// let l = ferrax::random::laplace(&ferrax::random::key(0), &[10], DType::F32);
/// assert_eq!(l.shape(), &[10]);
/// ```
#[track_caller]
pub fn laplace(key: &Tensor, shape: &[usize], dtype: DType) -> Tensor {
    check_float(dtype, "laplace");
    let epsneg = if dtype == DType::F32 {
        (f32::EPSILON / 2.0) as f64
    } else {
        f64::EPSILON / 2.0
    };
    let u = uniform_with(key, shape, dtype, -1.0 + epsneg, 1.0);
    lax::mul(&lax::sign(&u), &lax::log1p(&lax::neg(&lax::abs(&u))))
}

/// Standard logistic samples (`jax.random.logistic`): `log(u) - log1p(-u)`, `u` in
/// `[tiny, 1)`.
///
/// ```
/// use ferrax::prelude::*;
/// let l = ferrax::random::logistic(&ferrax::random::key(0), &[10], DType::F64);
/// assert_eq!(l.dtype(), DType::F64);
/// ```
#[track_caller]
pub fn logistic(key: &Tensor, shape: &[usize], dtype: DType) -> Tensor {
    check_float(dtype, "logistic");
    let u = uniform_with(key, shape, dtype, smallest_normal(dtype), 1.0);
    lax::sub(&lax::log(&u), &lax::log1p(&lax::neg(&u)))
}

/// Random signs ±1 (`jax.random.rademacher`): `2 · bernoulli(key, 0.5) - 1` in `dtype`.
///
/// ```
/// use ferrax::prelude::*;
/// let r = ferrax::random::rademacher(&ferrax::random::key(0), &[10], DType::I32);
/// assert!(r.to_vec::<i32>().iter().all(|&x| x == 1 || x == -1));
/// ```
#[track_caller]
pub fn rademacher(key: &Tensor, shape: &[usize], dtype: DType) -> Tensor {
    let b = lax::convert_element_type(&bernoulli(key, 0.5, shape), dtype);
    lax::sub(&lax::mul(&c(2.0, dtype), &b), &c(1.0, dtype))
}

/// Samples category indices from unnormalised log-probabilities along `axis`
/// (`jax.random.categorical`, with replacement): `argmax(gumbel + logits)`. `shape` defaults
/// to the batch shape (`logits`' shape without `axis`) and must end with it.
///
/// ```
/// use ferrax::prelude::*;
/// let logits = Tensor::from_vec(vec![0.0f32, -1e9, -1e9], &[3]);
/// let i = ferrax::random::categorical(&ferrax::random::key(0), &logits, -1, Some(&[4]));
/// assert_eq!(i.to_vec::<i32>(), vec![0, 0, 0, 0]);
/// ```
#[track_caller]
pub fn categorical(key: &Tensor, logits: &Tensor, axis: isize, shape: Option<&[usize]>) -> Tensor {
    check_float(logits.dtype(), "categorical");
    let nd = logits.ndim();
    let axis = numpy::normalize_axis(axis, nd);
    let batch: Vec<usize> = (0..nd)
        .filter(|&d| d != axis)
        .map(|d| logits.shape()[d])
        .collect();
    let shape = shape.map(|s| s.to_vec()).unwrap_or_else(|| batch.clone());
    assert!(
        shape.len() >= batch.len() && shape[shape.len() - batch.len()..] == batch[..],
        "random::categorical: shape {shape:?} must end with the batch shape {batch:?}"
    );
    let prefix = &shape[..shape.len() - batch.len()];
    let mut logits_shape = shape[shape.len() - batch.len()..].to_vec();
    logits_shape.insert(axis, logits.shape()[axis]);
    let mut gshape = prefix.to_vec();
    gshape.extend_from_slice(&logits_shape);
    let g = gumbel(key, &gshape, logits.dtype());
    let l = if prefix.is_empty() {
        logits.clone()
    } else {
        let dims: Vec<usize> = (prefix.len()..gshape.len()).collect();
        lax::broadcast_in_dim(logits, &gshape, &dims)
    };
    lax::argmax(&lax::add(&g, &l), prefix.len() + axis, DType::I32)
}

/// Shuffles `x` along `axis` (JAX's `_shuffle`, `jax.random.shuffle`): `ceil(3 ln(size) /
/// ln(2^32 - 1))` rounds of a stable sort keyed by fresh random bits, one key per element,
/// so for `x` of rank > 1 every slice along `axis` is shuffled independently (to move whole
/// slices, use [`permutation_of`] with `independent = false`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::arange(0, 5, 1, DType::I32);
/// let mut s = ferrax::random::shuffle(&ferrax::random::key(0), &x, 0).to_vec::<i32>();
/// s.sort();
/// assert_eq!(s, vec![0, 1, 2, 3, 4]);
/// ```
#[track_caller]
pub fn shuffle(key: &Tensor, x: &Tensor, axis: isize) -> Tensor {
    let axis = numpy::normalize_axis(axis, x.ndim().max(1));
    let size = x.size().max(1) as f64;
    let rounds = (3.0 * size.ln() / (u32::MAX as f64).ln()).ceil() as usize;
    let mut key = key.clone();
    let mut x = x.clone();
    for _ in 0..rounds {
        let [k, sub] = split_n::<2>(&key);
        key = k;
        let sort_keys = bits(&sub, x.shape());
        x = lax::sort(&[sort_keys, x], axis, true, 1)
            .pop()
            .expect("two outputs");
    }
    x
}

/// A random permutation of `0..n` (`jax.random.permutation(key, n)`), i32.
///
/// ```
/// use ferrax::random;
/// let mut p = random::permutation(&random::key(0), 6).to_vec::<i32>();
/// p.sort();
/// assert_eq!(p, vec![0, 1, 2, 3, 4, 5]);
/// ```
#[track_caller]
pub fn permutation(key: &Tensor, n: usize) -> Tensor {
    shuffle(key, &lax::iota(DType::I32, &[n], 0), 0)
}

/// `x` permuted along `axis` (`jax.random.permutation(key, x, axis, independent)`): the same
/// permutation for every slice, or (`independent`) a separate one per slice.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1, 2, 3, 4, 5, 6], &[3, 2]);
/// let p = ferrax::random::permutation_of(&ferrax::random::key(0), &x, 0, false);
/// let rows: Vec<i32> = p.to_vec::<i32>().chunks(2).map(|r| r[1] - r[0]).collect();
/// assert_eq!(rows, vec![1, 1, 1]);
/// ```
#[track_caller]
pub fn permutation_of(key: &Tensor, x: &Tensor, axis: isize, independent: bool) -> Tensor {
    assert!(
        x.ndim() >= 1,
        "random::permutation_of: x must be at least 1-D"
    );
    let axis = numpy::normalize_axis(axis, x.ndim());
    if independent || x.ndim() == 1 {
        return shuffle(key, x, axis as isize);
    }
    let ind = permutation(key, x.shape()[axis]);
    numpy::take(x, &ind, axis as isize)
}

/// Random indices into `0..n` (`jax.random.choice(key, n, shape, replace, p)`), i32 of
/// `shape`: with replacement uniformly (`randint`) or by the probabilities `p` (inverse
/// CDF); without replacement a prefix of a permutation, or by the Gumbel top-k trick when
/// `p` is given.
///
/// ```
/// use ferrax::random;
/// let i = random::choice(&random::key(0), 10, &[4], false, None);
/// let mut v = i.to_vec::<i32>();
/// v.sort(); v.dedup();
/// assert_eq!(v.len(), 4);
/// ```
#[track_caller]
pub fn choice(
    key: &Tensor,
    n: usize,
    shape: &[usize],
    replace: bool,
    p: Option<&Tensor>,
) -> Tensor {
    let n_draws: usize = shape.iter().product();
    if n_draws == 0 {
        return Tensor::zeros(shape, DType::I32);
    }
    assert!(
        n > 0,
        "random::choice: n must be greater than 0 unless no samples are taken"
    );
    assert!(
        replace || n_draws <= n,
        "random::choice: cannot take a larger sample (size {n_draws}) than population (size \
         {n}) when replace=false"
    );
    let ind = match p {
        None if replace => return randint(key, shape, 0, n as i64),
        None => {
            let perm = permutation(key, n);
            lax::slice(&perm, &[0], &[n_draws], None)
        }
        Some(p) => {
            check_float(p.dtype(), "choice");
            assert!(
                p.shape() == [n],
                "random::choice: p must have shape [{n}], got {:?}",
                p.shape()
            );
            if replace {
                let cdf = lax::cumsum(p, 0, false);
                let total = lax::slice(&cdf, &[n - 1], &[n], None);
                let total = lax::reshape(&total, &[]);
                let u = uniform_with(key, shape, p.dtype(), 0.0, 1.0);
                let r = lax::mul(&total, &lax::sub(&c(1.0, p.dtype()), &u));
                // searchsorted(cdf, r, side="left") = #{j : cdf[j] < r}.
                let flat = lax::reshape(&r, &[n_draws, 1]);
                let cdf2 = lax::reshape(&cdf, &[1, n]);
                let less = lax::convert_element_type(&lax::lt(&cdf2, &flat), DType::I32);
                let ind = lax::reduce_sum(&less, &[1]);
                return lax::reshape(&ind, shape);
            }
            let g = lax::add(&gumbel(key, &[n], p.dtype()), &lax::log(p));
            // top_k: the indices of the n_draws largest, ties to the lower index.
            let sorted = lax::sort(&[lax::neg(&g), lax::iota(DType::I32, &[n], 0)], 0, true, 1);
            lax::slice(&sorted[1], &[0], &[n_draws], None)
        }
    };
    lax::reshape(&ind, shape)
}

/// Random elements of `a` along `axis` (`jax.random.choice(key, a, shape, replace, p,
/// axis)`): the indices of [`choice`] taken from `a`; the result has shape
/// `a.shape[..axis] + shape + a.shape[axis+1..]`.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![10.0f32, 20.0, 30.0], &[3]);
/// let s = ferrax::random::choice_from(&ferrax::random::key(0), &a, &[5], true, None, 0);
/// assert!(s.to_vec::<f32>().iter().all(|v| [10.0, 20.0, 30.0].contains(v)));
/// ```
#[track_caller]
pub fn choice_from(
    key: &Tensor,
    a: &Tensor,
    shape: &[usize],
    replace: bool,
    p: Option<&Tensor>,
    axis: isize,
) -> Tensor {
    assert!(
        a.ndim() >= 1,
        "random::choice_from: a must be at least 1-D (use choice for n)"
    );
    let axis = numpy::normalize_axis(axis, a.ndim());
    let n = a.shape()[axis];
    let ind = choice(key, n, shape, replace, p);
    numpy::take(a, &ind, axis as isize)
}

/// Random orthogonal `n × n` matrices, batched over `shape` (`jax.random.orthogonal`):
/// `Q · diag(sign(diag R))` of the QR decomposition of a standard normal matrix, i.e. Haar
/// distributed. QR is Gram–Schmidt with re-orthogonalisation, written in ops.
///
/// ```
/// use ferrax::prelude::*;
/// let q = ferrax::random::orthogonal(&ferrax::random::key(0), 3, &[], DType::F32);
/// let qtq = q.t().matmul(&q).to_vec::<f32>();
/// for i in 0..3 { assert!((qtq[i * 4] - 1.0).abs() < 1e-5); }
/// ```
#[track_caller]
pub fn orthogonal(key: &Tensor, n: usize, shape: &[usize], dtype: DType) -> Tensor {
    orthogonal_nm(key, n, n, shape, dtype)
}

/// [`orthogonal`] for `n × m` matrices with orthonormal columns (`n ≥ m`) or rows
/// (`n < m`), as `jax.random.orthogonal(key, n, shape, dtype, m)`.
///
/// ```
/// use ferrax::prelude::*;
/// let q = ferrax::random::orthogonal_nm(&ferrax::random::key(0), 4, 2, &[], DType::F64);
/// assert_eq!(q.shape(), &[4, 2]);
/// ```
#[track_caller]
pub fn orthogonal_nm(key: &Tensor, n: usize, m: usize, shape: &[usize], dtype: DType) -> Tensor {
    check_float(dtype, "orthogonal");
    let (rows, cols) = (n.max(m), n.min(m));
    let mut zshape = shape.to_vec();
    zshape.extend_from_slice(&[rows, cols]);
    let z = normal_with(key, &zshape, dtype);
    let q = qr_q_positive(&z);
    if n < m {
        let nd = q.ndim();
        let mut perm: Vec<usize> = (0..nd).collect();
        perm.swap(nd - 1, nd - 2);
        lax::transpose(&q, &perm)
    } else {
        q
    }
}

/// The Q of a reduced QR decomposition of `z: [..., rows, cols]` (rows ≥ cols) normalised
/// so R has a positive diagonal: classical Gram–Schmidt, each column orthogonalised twice
/// against the previous ones ("twice is enough"), in ops.
fn qr_q_positive(z: &Tensor) -> Tensor {
    let nd = z.ndim();
    let cols = z.shape()[nd - 1];
    let batch: Vec<usize> = z.shape()[..nd - 2].to_vec();
    let nb = batch.len();
    let col = |j: usize| -> Tensor {
        let mut start = vec![0; nd];
        start[nd - 1] = j;
        let mut limit = z.shape().to_vec();
        limit[nd - 1] = j + 1;
        lax::slice(z, &start, &limit, None) // [..., rows, 1]
    };
    let batch_dims: Vec<usize> = (0..nb).collect();
    // qt_v: Q^T v for q [..., rows, k], v [..., rows, 1] -> [..., k, 1]
    let qt_v = |q: &Tensor, v: &Tensor| {
        lax::dot_general(
            q,
            v,
            ((&[nd - 2], &[nd - 2]), (&batch_dims, &batch_dims)),
            None,
        )
    };
    let q_h = |q: &Tensor, h: &Tensor| {
        lax::dot_general(
            q,
            h,
            ((&[nd - 1], &[nd - 2]), (&batch_dims, &batch_dims)),
            None,
        )
    };
    let mut q: Option<Tensor> = None;
    for j in 0..cols {
        let mut v = col(j);
        if let Some(qm) = &q {
            for _ in 0..2 {
                let h = qt_v(qm, &v);
                v = lax::sub(&v, &q_h(qm, &h));
            }
        }
        let norm = lax::sqrt(&lax::reduce_sum(&lax::mul(&v, &v), &[nd - 2]));
        let mut nshape = batch.clone();
        nshape.extend_from_slice(&[1, 1]);
        let norm = lax::reshape(&norm, &nshape);
        let qj = lax::div(&v, &norm);
        q = Some(match q {
            None => qj,
            Some(qm) => lax::concatenate(&[qm, qj], nd - 1),
        });
    }
    q.expect("at least one column")
}
