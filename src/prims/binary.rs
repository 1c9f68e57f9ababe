//! Elementwise primitives of two operands: arithmetic (`add sub mul div rem pow max min atan2
//! nextafter add_any`), comparisons (`eq ne lt le gt ge`) and logic (`and or xor`).
//!
//! Shapes follow JAX 0.10's lax: operands have equal rank, and a dimension of size 1 (or a
//! rank-0 operand) stretches to the other's size. The user-facing layer inserts the
//! `broadcast_in_dim` that makes ranks equal. Integer division and remainder truncate toward
//! zero (C semantics, as XLA); `x / 0` is -1 for integers and `x % 0` is `x`.

use super::util::{batch_elementwise, broadcast_to_shape, expect_two, jvp_out, unbroadcast};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Prim, PrimRules};
use crate::core::{bind1, Aval, Avals, Outputs, Shape};
use crate::prims::lax;
use crate::tensor::{ArrayData, ArrayElement, DType, Tensor};
use ndarray::ArrayD;
use smallvec::smallvec;

pub(crate) use crate::ops::binary::compare;
pub use crate::ops::binary::{polygamma_f64, with_float_op, BinaryOp, FloatZip};

impl BinaryOp {
    fn dtype_ok(self, d: DType) -> bool {
        use BinaryOp::*;
        match self {
            Add | Sub | Mul | Div | AddAny => d != DType::Bool,
            Rem | Max | Min => d != DType::Bool && !d.is_complex(),
            Pow => d.is_inexact(),
            Atan2 | Nextafter | Polygamma => d.is_float(),
            Eq | Ne => true,
            Lt | Le | Gt | Ge => !d.is_complex(),
            And | Or | Xor => !d.is_inexact(),
        }
    }

    /// This op as a [`Prim`] that refers to a promoted constant ([`Prim::from_static`]):
    /// binding it allocates nothing, where `Prim::new(op)` allocates on every call.
    pub(crate) fn prim(self) -> Prim {
        macro_rules! statics {
            ($($v:ident),*) => {
                match self {
                    $(BinaryOp::$v => Prim::from_static(&BinaryOp::$v),)*
                }
            };
        }
        statics!(
            Add, Sub, Mul, Div, Rem, Pow, Max, Min, Atan2, Nextafter, Polygamma, Eq, Ne, Lt, Le,
            Gt, Ge, And, Or, Xor, AddAny
        )
    }
}

/// The result shape of a JAX-0.10-style elementwise op: equal ranks with size-1 stretching,
/// or a rank-0 operand.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Shape, String> {
    if a.is_empty() {
        return Ok(Shape::from_slice(b));
    }
    if b.is_empty() {
        return Ok(Shape::from_slice(a));
    }
    if a.len() != b.len() {
        return Err(format!(
            "ranks differ ({} vs {}); broadcast_in_dim first",
            a.len(),
            b.len()
        ));
    }
    a.iter()
        .zip(b)
        .map(|(&x, &y)| match (x, y) {
            _ if x == y => Ok(x),
            (1, _) => Ok(y),
            (_, 1) => Ok(x),
            _ => Err(format!("incompatible shapes {a:?} and {b:?}")),
        })
        .collect()
}

// ---- lax functions (`ferrax::lax`, re-exported through `prims::lax`) ----

macro_rules! binary_fns {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[doc = concat!("`", stringify!($name), "` elementwise (`lax.", stringify!($name), "`): same dtypes; equal shapes up to size-1 dims, or a rank-0 operand.\n\n```\nuse ferrax::prelude::*;\nlet x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);\nassert_eq!(ferrax::lax::", stringify!($name), "(&x, &x).shape(), &[2]);\n```")]
        #[track_caller]
        pub fn $name(x: &Tensor, y: &Tensor) -> Tensor {
            bind1(&BinaryOp::$op.prim(), &[x.clone(), y.clone()])
        }
    )*};
}

binary_fns!(
    polygamma => Polygamma, add => Add, sub => Sub, mul => Mul, div => Div, rem => Rem, pow => Pow, max => Max,
    min => Min, atan2 => Atan2, nextafter => Nextafter, eq => Eq, ne => Ne, lt => Lt,
    le => Le, gt => Gt, ge => Ge, add_any => AddAny,
);

/// Logical/bitwise and.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![true, true], &[2]);
/// let b = Tensor::from_vec(vec![true, false], &[2]);
/// assert_eq!(ferrax::lax::and(&a, &b).to_vec::<bool>(), vec![true, false]);
/// ```
#[track_caller]
pub fn and(x: &Tensor, y: &Tensor) -> Tensor {
    bind1(&BinaryOp::And.prim(), &[x.clone(), y.clone()])
}

/// Logical/bitwise or.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![6u32], &[1]);
/// assert_eq!(ferrax::lax::or(&a, &Tensor::scalar(1u32)).to_vec::<u32>(), vec![7]);
/// ```
#[track_caller]
pub fn or(x: &Tensor, y: &Tensor) -> Tensor {
    bind1(&BinaryOp::Or.prim(), &[x.clone(), y.clone()])
}

/// Logical/bitwise exclusive or.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![6i32], &[1]);
/// assert_eq!(ferrax::lax::xor(&a, &Tensor::scalar(3i32)).to_vec::<i32>(), vec![5]);
/// ```
#[track_caller]
pub fn xor(x: &Tensor, y: &Tensor) -> Tensor {
    bind1(&BinaryOp::Xor.prim(), &[x.clone(), y.clone()])
}

impl PrimRules for BinaryOp {
    fn name(&self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "add",
            Sub => "sub",
            Mul => "mul",
            Div => "div",
            Rem => "rem",
            Pow => "pow",
            Max => "max",
            Min => "min",
            Atan2 => "atan2",
            Nextafter => "nextafter",
            Polygamma => "polygamma",
            Eq => "eq",
            Ne => "ne",
            Lt => "lt",
            Le => "le",
            Gt => "gt",
            Ge => "ge",
            And => "and",
            Or => "or",
            Xor => "xor",
            AddAny => "add_any",
        }
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        let (a, b) = expect_two(inputs)?;
        let pow_int_exponent =
            *self == BinaryOp::Pow && a.dtype.is_float() && b.dtype == DType::I32;
        if a.dtype != b.dtype && !pow_int_exponent {
            return Err(format!(
                "dtypes differ ({} vs {}); convert one first",
                a.dtype, b.dtype
            ));
        }
        if !self.dtype_ok(a.dtype) {
            return Err(format!("dtype {} is not supported", a.dtype));
        }
        let shape = broadcast_shapes(&a.shape, &b.shape)?;
        let dtype = if self.is_comparison() {
            DType::Bool
        } else {
            a.dtype
        };
        Ok(smallvec![Aval { shape, dtype }])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        smallvec![eval_binary(*self, inputs[0], inputs[1], &out[0].shape)]
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _axis: &BatchAxis) -> BatchResult {
        batch_elementwise(&self.prim(), args, dims)
    }

    /// Fast path: concrete operands of one dtype and one shape need no shape rule.
    fn eval_eager(&self, inputs: &[Tensor]) -> Option<Outputs> {
        let [x, y] = inputs else { return None };
        let (a, b) = (x.try_array()?, y.try_array()?);
        if a.dtype() != b.dtype() || !self.dtype_ok(a.dtype()) || a.shape() != b.shape() {
            return None;
        }
        Some(smallvec![Tensor::from_array(eval_binary(
            *self,
            a,
            b,
            a.shape()
        ))])
    }

    /// JAX's rules (`jax/_src/lax/lax.py`, `special.py` for polygamma), op for op, so traced
    /// derivatives print the same equations: one partial per operand (stretched to the output
    /// shape where the operand was broadcast), summed with `add_any`; `add`/`sub` of two
    /// tangents use `add`/`sub` as JAX's `_add_jvp`/`_sub_jvp` do.
    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        use BinaryOp::*;
        let (x, y) = (&primals[0], &primals[1]);
        let ans = bind1(&self.prim(), primals);
        let out_shape = ans.shape().to_vec();
        let stretch = |t: Option<Tensor>| t.map(|t| broadcast_to_shape(&t, &out_shape));
        let c = |v: f64| Tensor::full(&[], v, x.dtype());
        let (gx, gy) = (&tangents[0], &tangents[1]);
        match (self, gx, gy) {
            (Add, Some(a), Some(b)) => return jvp_out(ans, Some(lax::add(a, b))),
            (Sub, Some(a), Some(b)) => return jvp_out(ans, Some(lax::sub(a, b))),
            _ => {}
        }
        let (tx, ty): (Option<Tensor>, Option<Tensor>) = match self {
            Eq | Ne | Lt | Le | Gt | Ge | And | Or | Xor | Nextafter => (None, None),
            Add | AddAny => (gx.clone(), gy.clone()),
            Sub => (gx.clone(), gy.as_ref().map(lax::neg)),
            Mul => (
                gx.as_ref().map(|g| lax::mul(g, y)),
                gy.as_ref().map(|g| lax::mul(x, g)),
            ),
            Div => (
                gx.as_ref().map(|g| lax::div(g, y)),
                gy.as_ref()
                    .map(|g| lax::mul(&lax::mul(&lax::neg(g), x), &lax::integer_pow(y, -2))),
            ),
            Rem => (
                gx.clone(),
                gy.as_ref().map(|g| {
                    let ng = lax::neg(g);
                    let trunc = lax::mul(
                        &lax::sign(&lax::div(x, y)),
                        &lax::floor(&lax::abs(&lax::div(x, y))),
                    );
                    lax::mul(&ng, &trunc)
                }),
            ),
            Max | Min => (
                gx.as_ref().map(|g| lax::mul(g, &balanced_eq(x, &ans, y))),
                gy.as_ref().map(|g| lax::mul(g, &balanced_eq(y, &ans, x))),
            ),
            Pow => (
                gx.as_ref().map(|g| lax::mul(g, &pow_jac_lhs(x, y))),
                gy.as_ref()
                    .map(|g| lax::mul(g, &lax::mul(&lax::log(&replace_zero(x)), &ans))),
            ),
            Atan2 => (
                gx.as_ref().map(|g| {
                    lax::mul(g, &lax::div(y, &lax::add(&lax::square(x), &lax::square(y))))
                }),
                gy.as_ref().map(|g| {
                    lax::mul(
                        g,
                        &lax::div(&lax::neg(x), &lax::add(&lax::square(x), &lax::square(y))),
                    )
                }),
            ),
            Polygamma => {
                assert!(
                    gx.is_none(),
                    "polygamma: differentiation with respect to the order m is not supported"
                );
                (
                    None,
                    gy.as_ref()
                        .map(|g| lax::mul(g, &lax::polygamma(&lax::add(x, &c(1.0)), y))),
                )
            }
        };
        let t = match (stretch(tx), stretch(ty)) {
            (Some(a), Some(b)) => Some(lax::add_any(&a, &b)),
            (a, None) => a,
            (None, b) => b,
        };
        jvp_out(ans, t)
    }

    /// Linear cases: `add`/`sub`/`add_any` in both operands, `mul` in one, `div` in the
    /// numerator. Cotangents are summed back over broadcast dims.
    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        use BinaryOp::*;
        let Some(ct) = &cts[0] else {
            return vec![None, None];
        };
        let (ax, ay) = (args[0].aval(), args[1].aval());
        let (lx, ly) = (args[0].is_linear(), args[1].is_linear());
        let (cx, cy) = match self {
            Add | AddAny => (lx.then(|| ct.clone()), ly.then(|| ct.clone())),
            Sub => (lx.then(|| ct.clone()), ly.then(|| lax::neg(ct))),
            Mul => {
                assert!(
                    !(lx && ly),
                    "mul: transpose of a product of two linear values"
                );
                (
                    lx.then(|| lax::mul(ct, args[1].known())),
                    ly.then(|| lax::mul(args[0].known(), ct)),
                )
            }
            Div => {
                assert!(!ly, "div: not linear in the denominator");
                (lx.then(|| lax::div(ct, args[1].known())), None)
            }
            _ => panic!(
                "{}: this primitive is not linear, so it has no transpose rule",
                self.name()
            ),
        };
        vec![
            cx.map(|c| unbroadcast(&c, &ax)),
            cy.map(|c| unbroadcast(&c, &ay)),
        ]
    }
}

/// Applies `f` elementwise with size-1/rank-0 stretching (see
/// [`crate::kernels::elementwise::zip_broadcast`]); the result is row-major.
pub fn zip_map<A: Copy, B: Copy, O>(
    a: &ArrayD<A>,
    b: &ArrayD<B>,
    out_shape: &[usize],
    f: impl Fn(A, B) -> O,
) -> ArrayD<O> {
    let (xs, ys) = (
        a.as_slice().expect("row-major"),
        b.as_slice().expect("row-major"),
    );
    let data =
        crate::kernels::elementwise::zip_broadcast(xs, a.shape(), ys, b.shape(), out_shape, f);
    if a.shape() == out_shape {
        // Reuse the operand's dims (cheaper than rebuilding them from a slice).
        return ArrayD::from_shape_vec(a.raw_dim(), data).expect("same size");
    }
    crate::tensor::array_from_vec(out_shape, data)
}

/// A float binary op over arrays with stretching; the op is chosen outside the loop
/// ([`with_float_op`]), so the common ones vectorize.
struct ZipArrays<'a, F> {
    x: &'a ArrayD<F>,
    y: &'a ArrayD<F>,
    shape: &'a [usize],
}

impl<F: Copy> FloatZip<F> for ZipArrays<'_, F> {
    type Out = ArrayD<F>;
    #[inline(always)]
    fn zip(self, f: impl Fn(F, F) -> F) -> ArrayD<F> {
        zip_map(self.x, self.y, self.shape, f)
    }
}

/// A comparison of two elements of any dtype (lexicographic for complex numbers).
#[inline(always)]
fn compare_elements<T: crate::ops::Element>(op: BinaryOp, p: T, q: T) -> bool {
    use crate::ops::Element as E;
    match op {
        BinaryOp::Eq => p == q,
        BinaryOp::Ne => p != q,
        BinaryOp::Lt => E::xla_lt(p, q),
        BinaryOp::Le => E::xla_le(p, q),
        BinaryOp::Gt => E::xla_lt(q, p),
        BinaryOp::Ge => E::xla_le(q, p),
        _ => unreachable!("not a comparison"),
    }
}

/// Evaluates a binary op on concrete arrays.
pub fn eval_binary(op: BinaryOp, a: &ArrayData, b: &ArrayData, out_shape: &[usize]) -> ArrayData {
    use ArrayData as A;
    let (da, db) = (a.dtype(), b.dtype());
    if !op.is_comparison() && (da.widened() != da || db.widened() != db) {
        // i8/i16/u8/u16 wrap and bf16/f16 round exactly as when computed in the wide type and
        // narrowed once (XLA computes bf16/f16 in f32 on CPU).
        let r = eval_binary(
            op,
            &a.convert(da.widened()),
            &b.convert(db.widened()),
            out_shape,
        );
        return r.convert(da);
    }
    if op.is_comparison() {
        if da.widened() != da {
            // Widening is exact, so the comparison is the same in the wide type.
            return eval_binary(
                op,
                &a.convert(da.widened()),
                &b.convert(db.widened()),
                out_shape,
            );
        }
        return crate::dispatch_wide_array!(a, x, T => {
            let y = T::view(b).expect("same dtype");
            A::Bool(zip_map(x, y, out_shape, |p: T, q: T| compare_elements(op, p, q)))
        });
    }
    match (a, b) {
        (A::F32(x), A::F32(y)) => A::F32(with_float_op(
            op,
            ZipArrays {
                x,
                y,
                shape: out_shape,
            },
        )),
        (A::F64(x), A::F64(y)) => A::F64(with_float_op(
            op,
            ZipArrays {
                x,
                y,
                shape: out_shape,
            },
        )),
        (A::F32(x), A::I32(y)) => A::F32(zip_map(x, y, out_shape, |p, q| p.powi(q))),
        (A::F64(x), A::I32(y)) => A::F64(zip_map(x, y, out_shape, |p, q| p.powi(q))),
        (A::I32(x), A::I32(y)) => A::I32(zip_map(x, y, out_shape, |p, q| int_op_i32(op, p, q))),
        (A::U32(x), A::U32(y)) => A::U32(zip_map(x, y, out_shape, |p, q| int_op_u32(op, p, q))),
        (A::I64(x), A::I64(y)) => A::I64(zip_map(x, y, out_shape, |p, q| int_op_i64(op, p, q))),
        (A::U64(x), A::U64(y)) => A::U64(zip_map(x, y, out_shape, |p, q| int_op_u64(op, p, q))),
        (A::C64(x), A::C64(y)) => A::C64(zip_map(x, y, out_shape, |p, q| {
            crate::ops::complex::complex_binary(op, p, q)
        })),
        (A::C128(x), A::C128(y)) => A::C128(zip_map(x, y, out_shape, |p, q| {
            crate::ops::complex::complex_binary(op, p, q)
        })),
        (A::Bool(x), A::Bool(y)) => A::Bool(zip_map(x, y, out_shape, |p, q| match op {
            BinaryOp::And => p & q,
            BinaryOp::Or => p | q,
            BinaryOp::Xor => p ^ q,
            _ => unreachable!("checked by abstract_eval"),
        })),
        _ => unreachable!("dtypes checked by abstract_eval"),
    }
}

/// The integer binary ops for one integer type, as XLA computes them: wrapping arithmetic;
/// division by zero gives all ones bits (`-1`, `u32::MAX`) and remainder by zero the dividend.
macro_rules! int_binary_op {
    ($name:ident, $t:ty) => {
        fn $name(op: BinaryOp, p: $t, q: $t) -> $t {
            use BinaryOp::*;
            match op {
                Add | AddAny => p.wrapping_add(q),
                Sub => p.wrapping_sub(q),
                Mul => p.wrapping_mul(q),
                Div => {
                    if q == 0 {
                        !0
                    } else {
                        p.wrapping_div(q)
                    }
                }
                Rem => {
                    if q == 0 {
                        p
                    } else {
                        p.wrapping_rem(q)
                    }
                }
                Max => p.max(q),
                Min => p.min(q),
                And => p & q,
                Or => p | q,
                Xor => p ^ q,
                _ => unreachable!("checked by abstract_eval"),
            }
        }
    };
}
int_binary_op!(int_op_i32, i32);
int_binary_op!(int_op_u32, u32);
int_binary_op!(int_op_i64, i64);
int_binary_op!(int_op_u64, u64);

/// `1` where `x == z` (halved where `y == z` too), else `0`: how `max`/`min` share the
/// derivative between tied operands (JAX's `_balanced_eq`).
fn balanced_eq(x: &Tensor, z: &Tensor, y: &Tensor) -> Tensor {
    let num = select(&lax::eq(x, z), &full_like(z, 1.0), &full_like(z, 0.0));
    let den = select(&lax::eq(y, z), &full_like(z, 2.0), &full_like(z, 1.0));
    lax::div(&num, &den)
}

/// JAX's `select(pred, on_true, on_false)`.
fn select(pred: &Tensor, on_true: &Tensor, on_false: &Tensor) -> Tensor {
    lax::select_n(pred, &[on_false.clone(), on_true.clone()])
}

/// JAX's `full_like(t, v)`: a literal for rank 0, else `broadcast_in_dim`.
fn full_like(t: &Tensor, v: f64) -> Tensor {
    broadcast_to_shape(&Tensor::full(&[], v, t.dtype()), t.shape())
}

/// JAX's `_replace_zero`: ones where `x == 0`.
fn replace_zero(x: &Tensor) -> Tensor {
    select(
        &lax::eq(x, &Tensor::full(&[], 0.0, x.dtype())),
        &full_like(x, 1.0),
        x,
    )
}

/// ∂(x^y)/∂x (JAX's `_pow_jvp_lhs`): `y x^(y-1)`; for an integer `y`, operands stretched to
/// one shape and 0 where `y == 0` (so `x^0` has derivative 0 even at `x = 0`).
fn pow_jac_lhs(x: &Tensor, y: &Tensor) -> Tensor {
    if y.dtype() == x.dtype() {
        return lax::mul(y, &lax::pow(x, &lax::sub(y, &full_like(y, 1.0))));
    }
    let y = lax::convert_element_type(y, x.dtype());
    let (x, y) = if x.shape() != y.shape() {
        let shape = broadcast_shapes(x.shape(), y.shape())
            .expect("checked by abstract_eval")
            .to_vec();
        (
            broadcast_to_shape(x, &shape),
            broadcast_to_shape(&y, &shape),
        )
    } else {
        (x.clone(), y)
    };
    let zero_y = lax::eq(&y, &Tensor::full(&[], 0.0, y.dtype()));
    let zeros = full_like(&y, 0.0);
    let jac = lax::mul(
        &replace_zero(&y),
        &lax::pow(&x, &lax::sub(&y, &full_like(&y, 1.0))),
    );
    select(&zero_y, &zeros, &jac)
}
