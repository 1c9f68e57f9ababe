//! XLA's single-precision `erf_inv`, written once. `normal` needs it twice: as lax ops (so it
//! traces, batches and differentiates) and over 16 f32 lanes in the fused eager path. Both
//! run [`erf_inv_f32_with`], generic over [`SamplerMath`], which `Tensor` implements with
//! lax ops and [`Lanes`] with per-lane loops (that vectorize); so the two paths perform the
//! same float operations in the same order, and give the same bits.

use super::fused::LANES;
use crate::lax;
use crate::tensor::{DType, Tensor};

/// XLA's coefficients (Giles' polynomials on `w = -log1p(-x²)`), written as in its source:
/// the branch `w < 5`.
#[allow(clippy::excessive_precision)]
const LT5: [f32; 9] = [
    2.810_226_36e-08,
    3.432_739_39e-07,
    -3.523_387_7e-06,
    -4.391_506_54e-06,
    0.000_218_580_87,
    -0.001_253_725_03,
    -0.004_177_681_64,
    0.246_640_727,
    1.501_409_41,
];
/// The branch `w ≥ 5`.
#[allow(clippy::excessive_precision)]
const GE5: [f32; 9] = [
    -0.000_200_214_257,
    0.000_100_950_558,
    0.001_349_343_22,
    -0.003_673_428_44,
    0.005_739_507_73,
    -0.007_622_461_3,
    0.009_438_870_47,
    1.001_674_06,
    2.832_976_82,
];

/// The f32 arithmetic a sampler is written in: elementwise ops on values of one shape, with
/// constants shaped like `self`.
pub(crate) trait SamplerMath: Sized {
    /// A per-element predicate.
    type Mask;
    /// A constant to combine with `self` in a binary op (a scalar literal when traced).
    fn konst(&self, v: f32) -> Self;
    /// A constant of `self`'s full shape (the operands of `select` must match).
    fn full(&self, v: f32) -> Self;
    fn add(&self, o: &Self) -> Self;
    fn sub(&self, o: &Self) -> Self;
    fn mul(&self, o: &Self) -> Self;
    fn neg(&self) -> Self;
    fn abs(&self) -> Self;
    fn sqrt(&self) -> Self;
    /// `log1p` with the f32 kernel `lax::log1p` evaluates.
    fn log1p(&self) -> Self;
    fn lt(&self, o: &Self) -> Self::Mask;
    fn eq(&self, o: &Self) -> Self::Mask;
    /// `m ? on_true : on_false` per element (`lax::select_n(m, [on_false, on_true])`).
    fn select(m: &Self::Mask, on_false: &Self, on_true: &Self) -> Self;
}

/// `erf⁻¹(x)` for f32 `x`: the polynomial of the branch of `w = -log1p(-x²)` (both
/// evaluated, one selected per element), times `x`; ±inf at ±1. Always inlined: over
/// [`Lanes`] it must be compiled inside the fused path's AVX2/AVX-512 block functions to
/// vectorize with their instructions.
#[inline(always)]
pub(crate) fn erf_inv_f32_with<A: SamplerMath>(x: &A) -> A {
    let w = x.mul(x).neg().log1p().neg();
    let lt = w.lt(&w.konst(5.0));
    let coef = |i: usize| A::select(&lt, &x.full(GE5[i]), &x.full(LT5[i]));
    let w = A::select(&lt, &w.sqrt().sub(&w.konst(3.0)), &w.sub(&w.konst(2.5)));
    let mut p = coef(0);
    for i in 1..9 {
        p = coef(i).add(&p.mul(&w));
    }
    let result = p.mul(x);
    let at_one = x.abs().eq(&x.konst(1.0));
    A::select(&at_one, &result, &x.mul(&x.konst(f32::INFINITY)))
}

impl SamplerMath for Tensor {
    type Mask = Tensor;
    fn konst(&self, v: f32) -> Tensor {
        Tensor::full(&[], v as f64, DType::F32)
    }
    fn full(&self, v: f32) -> Tensor {
        lax::broadcast_in_dim(&self.konst(v), self.shape(), &[])
    }
    fn add(&self, o: &Tensor) -> Tensor {
        lax::add(self, o)
    }
    fn sub(&self, o: &Tensor) -> Tensor {
        lax::sub(self, o)
    }
    fn mul(&self, o: &Tensor) -> Tensor {
        lax::mul(self, o)
    }
    fn neg(&self) -> Tensor {
        lax::neg(self)
    }
    fn abs(&self) -> Tensor {
        lax::abs(self)
    }
    fn sqrt(&self) -> Tensor {
        lax::sqrt(self)
    }
    fn log1p(&self) -> Tensor {
        lax::log1p(self)
    }
    fn lt(&self, o: &Tensor) -> Tensor {
        lax::lt(self, o)
    }
    fn eq(&self, o: &Tensor) -> Tensor {
        lax::eq(self, o)
    }
    fn select(m: &Tensor, on_false: &Tensor, on_true: &Tensor) -> Tensor {
        lax::select_n(m, &[on_false.clone(), on_true.clone()])
    }
}

/// 16 f32 lanes of the fused eager path.
#[derive(Clone, Copy)]
pub(crate) struct Lanes(pub [f32; LANES]);

// Plain indexed loops over the 16 lanes: measured to vectorize inside the fused path's block
// functions, where `std::array::from_fn` did not.
#[allow(clippy::needless_range_loop)]
impl Lanes {
    #[inline(always)]
    fn map(&self, f: impl Fn(f32) -> f32) -> Lanes {
        let mut o = [0f32; LANES];
        for l in 0..LANES {
            o[l] = f(self.0[l]);
        }
        Lanes(o)
    }
    #[inline(always)]
    fn zip(&self, o: &Lanes, f: impl Fn(f32, f32) -> f32) -> Lanes {
        let mut r = [0f32; LANES];
        for l in 0..LANES {
            r[l] = f(self.0[l], o.0[l]);
        }
        Lanes(r)
    }
    #[inline(always)]
    fn test(&self, o: &Lanes, f: impl Fn(f32, f32) -> bool) -> [bool; LANES] {
        let mut m = [false; LANES];
        for l in 0..LANES {
            m[l] = f(self.0[l], o.0[l]);
        }
        m
    }
}

impl SamplerMath for Lanes {
    type Mask = [bool; LANES];
    #[inline(always)]
    fn konst(&self, v: f32) -> Lanes {
        Lanes([v; LANES])
    }
    #[inline(always)]
    fn full(&self, v: f32) -> Lanes {
        Lanes([v; LANES])
    }
    #[inline(always)]
    fn add(&self, o: &Lanes) -> Lanes {
        self.zip(o, |a, b| a + b)
    }
    #[inline(always)]
    fn sub(&self, o: &Lanes) -> Lanes {
        self.zip(o, |a, b| a - b)
    }
    #[inline(always)]
    fn mul(&self, o: &Lanes) -> Lanes {
        self.zip(o, |a, b| a * b)
    }
    #[inline(always)]
    fn neg(&self) -> Lanes {
        self.map(|a| -a)
    }
    #[inline(always)]
    fn abs(&self) -> Lanes {
        self.map(f32::abs)
    }
    #[inline(always)]
    fn sqrt(&self) -> Lanes {
        self.map(f32::sqrt)
    }
    #[inline(always)]
    fn log1p(&self) -> Lanes {
        self.map(crate::kernels::elementwise::log1p_f32)
    }
    #[inline(always)]
    fn lt(&self, o: &Lanes) -> [bool; LANES] {
        self.test(o, |a, b| a < b)
    }
    #[inline(always)]
    fn eq(&self, o: &Lanes) -> [bool; LANES] {
        self.test(o, |a, b| a == b)
    }
    #[inline(always)]
    fn select(m: &[bool; LANES], on_false: &Lanes, on_true: &Lanes) -> Lanes {
        let mut r = [0f32; LANES];
        for l in 0..LANES {
            r[l] = if m[l] { on_true.0[l] } else { on_false.0[l] };
        }
        Lanes(r)
    }
}
