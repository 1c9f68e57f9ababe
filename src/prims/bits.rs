//! Bit-level primitives: shifts (`shift_left`, `shift_right_logical`,
//! `shift_right_arithmetic`), `bitcast_convert_type`, and `threefry2x32` (the counter-based
//! hash behind `ferrax::random`).
//!
//! Semantics follow XLA: a shift amount is read as unsigned and an amount of 32 or more
//! gives 0 (`shift_left`, `shift_right_logical`) or the sign fill (`shift_right_arithmetic`);
//! `bitcast_convert_type` reinterprets the bits (same width keeps the shape; `u32[..., 2]`/
//! `i32[..., 2]` ↔ `f64[...]` drops/adds a last dimension of size 2, element 0 holding the
//! low word, as XLA does on little-endian hosts); `threefry2x32(k0, k1, x0, x1)` is
//! Threefry-2x32 with 20 rounds (Salmon et al. 2011, as in `jax._src.random.threefry2x32`),
//! elementwise over operands that broadcast like binary ops (equal ranks with size-1
//! stretching, or rank 0), with two outputs. None of them is differentiable: their JVPs
//! are symbolic zeros. All batch elementwise.

use super::binary::{broadcast_shapes, zip_map};
use super::util::{batch_elementwise, expect_arity, expect_two, text};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, Param, Prim, PrimRules};
use crate::core::{bind, bind1, Aval, Avals, Outputs, Shape};
use crate::kernels::parallel::{chunk_len, should_parallelize, threefry_ns};
use crate::tensor::{ArrayData, DType, Tensor, Wide};
use ndarray::{ArrayD, IxDyn};
use smallvec::smallvec;

/// A bit-level primitive.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BitsOp {
    /// `x << y` (0 when `y >= 32`).
    ShiftLeft,
    /// `x >> y` filling with zeros (0 when `y >= 32`).
    ShiftRightLogical,
    /// `x >> y` filling with the sign bit (the sign fill when `y >= 32`).
    ShiftRightArithmetic,
    /// Reinterprets the bits as `new_dtype`.
    BitcastConvertType(DType),
    /// The Threefry-2x32 block cipher: `(k0, k1, x0, x1) -> (y0, y1)`, all `u32`.
    Threefry2x32,
    /// The number of set bits of each element.
    PopulationCount,
    /// The number of leading zero bits of each element (32 for zero).
    Clz,
}

impl BitsOp {
    fn is_shift(&self) -> bool {
        matches!(
            self,
            BitsOp::ShiftLeft | BitsOp::ShiftRightLogical | BitsOp::ShiftRightArithmetic
        )
    }
}

fn bitcast_shape(from: &Aval, to: DType) -> Result<Shape, String> {
    use DType::*;
    let (a, b) = (from.dtype.size_of(), to.size_of());
    if from.dtype == Bool || to == Bool {
        return Err(format!("cannot bitcast between {} and {}", from.dtype, to));
    }
    if a == b {
        return Ok(from.shape.clone());
    }
    if a == 4 && b == 8 {
        if from.shape.last() != Some(&2) {
            return Err(format!(
                "bitcast from {} to {} needs a last dimension of size 2, got shape {:?}",
                from.dtype, to, from.shape
            ));
        }
        let mut s = from.shape.clone();
        s.pop();
        return Ok(s);
    }
    if a == 8 && b == 4 {
        let mut s = from.shape.clone();
        s.push(2);
        return Ok(s);
    }
    Err(format!("cannot bitcast between {} and {}", from.dtype, to))
}

// ---- lax functions (`ferrax::lax`, re-exported through `prims::lax`) ----

/// `x << y` elementwise (`lax.shift_left`, u32 or i32; 0 where `y >= 32`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1u32, 3], &[2]);
/// let y = ferrax::lax::shift_left(&x, &Tensor::scalar(4u32));
/// assert_eq!(y.to_vec::<u32>(), vec![16, 48]);
/// ```
#[track_caller]
pub fn shift_left(x: &Tensor, y: &Tensor) -> Tensor {
    bind1(&Prim::new(BitsOp::ShiftLeft), &[x.clone(), y.clone()])
}

/// `x >> y` filling with zeros (`lax.shift_right_logical`; 0 where `y >= 32`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-16i32], &[1]);
/// let y = ferrax::lax::shift_right_logical(&x, &Tensor::scalar(28i32));
/// assert_eq!(y.to_vec::<i32>(), vec![15]);
/// ```
#[track_caller]
pub fn shift_right_logical(x: &Tensor, y: &Tensor) -> Tensor {
    bind1(
        &Prim::new(BitsOp::ShiftRightLogical),
        &[x.clone(), y.clone()],
    )
}

/// `x >> y` filling with the sign bit (`lax.shift_right_arithmetic`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![-16i32], &[1]);
/// let y = ferrax::lax::shift_right_arithmetic(&x, &Tensor::scalar(2i32));
/// assert_eq!(y.to_vec::<i32>(), vec![-4]);
/// ```
#[track_caller]
pub fn shift_right_arithmetic(x: &Tensor, y: &Tensor) -> Tensor {
    bind1(
        &Prim::new(BitsOp::ShiftRightArithmetic),
        &[x.clone(), y.clone()],
    )
}

/// Reinterprets the bits of `x` as `new_dtype` (`lax.bitcast_convert_type`): same width keeps
/// the shape (u32/i32/f32); `u32[..., 2]` (low word first) ↔ `f64[...]` changes width.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0x3f800000u32], &[1]);
/// let f = ferrax::lax::bitcast_convert_type(&x, DType::F32);
/// assert_eq!(f.to_vec::<f32>(), vec![1.0]);
/// let w = ferrax::lax::bitcast_convert_type(&Tensor::from_vec(vec![1.0f64], &[1]), DType::U32);
/// assert_eq!(w.shape(), &[1, 2]);
/// assert_eq!(w.to_vec::<u32>(), vec![0, 0x3ff00000]);
/// ```
#[track_caller]
pub fn bitcast_convert_type(x: &Tensor, new_dtype: DType) -> Tensor {
    bind1(
        &Prim::new(BitsOp::BitcastConvertType(new_dtype)),
        std::slice::from_ref(x),
    )
}

/// The Threefry-2x32 hash of counters `(x0, x1)` under key `(k0, k1)`, elementwise over u32
/// operands that broadcast like binary ops; returns `(y0, y1)`.
///
/// ```
/// use ferrax::prelude::*;
/// let z = Tensor::scalar(0u32);
/// let (y0, y1) = ferrax::lax::threefry2x32(&z, &z, &z, &z);
/// assert_eq!((y0.item::<u32>(), y1.item::<u32>()), (0x6b200159, 0x99ba4efe));
/// ```
#[track_caller]
pub fn threefry2x32(k0: &Tensor, k1: &Tensor, x0: &Tensor, x1: &Tensor) -> (Tensor, Tensor) {
    let out = bind(
        &Prim::new(BitsOp::Threefry2x32),
        &[k0.clone(), k1.clone(), x0.clone(), x1.clone()],
    );
    (out[0].clone(), out[1].clone())
}

/// The number of set bits of each element (`lax.population_count`, u32 or i32; an i32 counts
/// its two's-complement bits).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0u32, 7, u32::MAX], &[3]);
/// assert_eq!(ferrax::lax::population_count(&x).to_vec::<u32>(), vec![0, 3, 32]);
/// ```
#[track_caller]
pub fn population_count(x: &Tensor) -> Tensor {
    bind1(&Prim::new(BitsOp::PopulationCount), std::slice::from_ref(x))
}

/// The number of leading zero bits of each element (`lax.clz`, u32 or i32; 32 for zero, 0 for
/// a negative i32).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0i32, 1, -1, 1 << 20], &[4]);
/// assert_eq!(ferrax::lax::clz(&x).to_vec::<i32>(), vec![32, 31, 0, 11]);
/// ```
#[track_caller]
pub fn clz(x: &Tensor) -> Tensor {
    bind1(&Prim::new(BitsOp::Clz), std::slice::from_ref(x))
}

impl PrimRules for BitsOp {
    fn name(&self) -> &'static str {
        match self {
            BitsOp::ShiftLeft => "shift_left",
            BitsOp::ShiftRightLogical => "shift_right_logical",
            BitsOp::ShiftRightArithmetic => "shift_right_arithmetic",
            BitsOp::BitcastConvertType(_) => "bitcast_convert_type",
            BitsOp::Threefry2x32 => "threefry2x32",
            BitsOp::PopulationCount => "population_count",
            BitsOp::Clz => "clz",
        }
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        match self {
            BitsOp::BitcastConvertType(d) => vec![("new_dtype", text(d.numpy_name()))],
            _ => Vec::new(),
        }
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        match self {
            BitsOp::ShiftLeft | BitsOp::ShiftRightLogical | BitsOp::ShiftRightArithmetic => {
                let (a, b) = expect_two(inputs)?;
                if a.dtype != b.dtype {
                    return Err(format!(
                        "dtypes differ ({} vs {}); convert one first",
                        a.dtype, b.dtype
                    ));
                }
                if !a.dtype.is_int() {
                    return Err(format!("dtype {} is not supported (u32, i32)", a.dtype));
                }
                let shape = broadcast_shapes(&a.shape, &b.shape)?;
                Ok(smallvec![Aval {
                    shape,
                    dtype: a.dtype
                }])
            }
            BitsOp::PopulationCount | BitsOp::Clz => {
                expect_arity(inputs, 1)?;
                if !inputs[0].dtype.is_int() {
                    return Err(format!(
                        "dtype {} is not supported (an integer type)",
                        inputs[0].dtype
                    ));
                }
                Ok(smallvec![inputs[0].clone()])
            }
            BitsOp::BitcastConvertType(d) => {
                expect_arity(inputs, 1)?;
                let shape = bitcast_shape(&inputs[0], *d)?;
                Ok(smallvec![Aval { shape, dtype: *d }])
            }
            BitsOp::Threefry2x32 => {
                expect_arity(inputs, 4)?;
                if let Some(a) = inputs.iter().find(|a| a.dtype != DType::U32) {
                    return Err(format!("operands must be u32, got {}", a.dtype));
                }
                let mut shape = inputs[0].shape.clone();
                for a in &inputs[1..] {
                    shape = broadcast_shapes(&shape, &a.shape)?;
                }
                let out = Aval {
                    shape,
                    dtype: DType::U32,
                };
                Ok(smallvec![out.clone(), out])
            }
        }
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        match self {
            BitsOp::BitcastConvertType(d) => smallvec![bitcast(inputs[0], *d, &out[0].shape)],
            BitsOp::PopulationCount | BitsOp::Clz
                if !matches!(inputs[0].dtype(), DType::I32 | DType::U32) =>
            {
                smallvec![any_width_bits(self, inputs[0], None, &out[0].shape)]
            }
            BitsOp::PopulationCount | BitsOp::Clz => {
                let count = |w: u32| match self {
                    BitsOp::PopulationCount => w.count_ones(),
                    _ => w.leading_zeros(),
                };
                smallvec![match inputs[0] {
                    ArrayData::U32(x) => ArrayData::U32(x.mapv(count)),
                    ArrayData::I32(x) => ArrayData::I32(x.mapv(|v| count(v as u32) as i32)),
                    _ => unreachable!("checked by abstract_eval"),
                }]
            }
            BitsOp::Threefry2x32 => {
                let ops: Vec<&ArrayD<u32>> = inputs
                    .iter()
                    .map(|a| match a {
                        ArrayData::U32(x) => x,
                        _ => unreachable!("checked by abstract_eval"),
                    })
                    .collect();
                let (y0, y1) = threefry_arrays(ops[0], ops[1], ops[2], ops[3], &out[0].shape);
                smallvec![ArrayData::U32(y0), ArrayData::U32(y1)]
            }
            _ if !matches!(inputs[0].dtype(), DType::I32 | DType::U32) => {
                smallvec![any_width_bits(
                    self,
                    inputs[0],
                    Some(inputs[1]),
                    &out[0].shape
                )]
            }
            _ => smallvec![eval_shift(self, inputs[0], inputs[1], &out[0].shape)],
        }
    }

    fn eval_eager(&self, inputs: &[Tensor]) -> Option<Outputs> {
        // Fast path for same-shape shifts (no shape rule needed).
        if !self.is_shift() {
            return None;
        }
        let [x, y] = inputs else { return None };
        let (a, b) = (x.try_array()?, y.try_array()?);
        if a.dtype() != b.dtype() || !a.dtype().is_int() || a.shape() != b.shape() {
            return None;
        }
        Some(smallvec![Tensor::from_array(eval_shift(
            self,
            a,
            b,
            a.shape()
        ))])
    }

    /// Bits carry no derivative: every output tangent is a symbolic zero.
    fn jvp(&self, primals: &[Tensor], _tangents: &[Option<Tensor>]) -> JvpResult {
        let outs = bind(&Prim::new(self.clone()), primals);
        let n = outs.len();
        (outs, vec![None; n])
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _axis: &BatchAxis) -> BatchResult {
        match self {
            // One operand: the batch dim stays put, unless a width change adds/drops the
            // last dim, which is never the batch dim once it is moved to the front.
            BitsOp::BitcastConvertType(_) => {
                let d = dims[0].expect("at least one operand is batched");
                let x = super::util::move_batch_dim(&args[0], d, 0);
                (bind(&Prim::new(self.clone()), &[x]), vec![Some(0)])
            }
            _ => batch_elementwise(&Prim::new(self.clone()), args, dims),
        }
    }
}

fn eval_shift(op: &BitsOp, a: &ArrayData, b: &ArrayData, shape: &[usize]) -> ArrayData {
    match (a, b) {
        (ArrayData::U32(x), ArrayData::U32(y)) => {
            ArrayData::U32(zip_map(x, y, shape, |p, q| shift_u32(op, p, q)))
        }
        (ArrayData::I32(x), ArrayData::I32(y)) => {
            ArrayData::I32(zip_map(x, y, shape, |p, q| shift_i32(op, p, q)))
        }
        _ => any_width_bits(op, a, Some(b), shape),
    }
}

/// A bit count or shift on integers of any width (the ones without a 32-bit kernel): each
/// element's bit pattern in a `u64`, masked to the dtype's width, so a logical right shift of
/// an i8 acts on its 8 bits and a shift by the width or more gives 0 (or the sign, for an
/// arithmetic shift), as XLA's.
fn any_width_bits(op: &BitsOp, x: &ArrayData, y: Option<&ArrayData>, shape: &[usize]) -> ArrayData {
    let dtype = x.dtype();
    let w = dtype.bits();
    let mask = if w == 64 { u64::MAX } else { (1u64 << w) - 1 };
    let int = |v: Wide| match v {
        Wide::Int(i) => i,
        other => unreachable!("an integer operand, not {other:?}"),
    };
    let xs = x.to_wide_vec();
    let ys = y.map(|y| y.to_wide_vec());
    // A rank-0 operand stands for every element (lax's scalar broadcast).
    let at = |v: &[Wide], k: usize| v[if v.len() == 1 { 0 } else { k }];
    let n: usize = shape.iter().product();
    let out: Vec<Wide> = (0..n)
        .map(|k| {
            let v = int(at(&xs, k));
            let bits = (v as u64) & mask;
            let r: i128 = match op {
                BitsOp::PopulationCount => bits.count_ones() as i128,
                BitsOp::Clz => (bits.leading_zeros() - (64 - w)) as i128,
                _ => {
                    let s = int(at(ys.as_ref().expect("a shift has two operands"), k));
                    let in_range = (0..w as i128).contains(&s);
                    match op {
                        BitsOp::ShiftLeft if in_range => ((bits << s) & mask) as i128,
                        BitsOp::ShiftRightLogical if in_range => (bits >> s) as i128,
                        BitsOp::ShiftLeft | BitsOp::ShiftRightLogical => 0,
                        // The pattern sign-extended (the top bit is the sign, for unsigned
                        // dtypes too, as XLA's), shifted at most width - 1 places.
                        _ => {
                            let signed = ((bits << (64 - w)) as i64 >> (64 - w)) as i128;
                            signed >> if in_range { s } else { w as i128 - 1 }
                        }
                    }
                }
            };
            Wide::Int(r)
        })
        .collect();
    ArrayData::from_wide(&out, shape, dtype)
}

#[inline]
fn shift_u32(op: &BitsOp, p: u32, q: u32) -> u32 {
    match op {
        BitsOp::ShiftLeft => p.checked_shl(q).unwrap_or(0),
        BitsOp::ShiftRightLogical => p.checked_shr(q).unwrap_or(0),
        BitsOp::ShiftRightArithmetic => ((p as i32) >> q.min(31)) as u32,
        _ => unreachable!("a shift"),
    }
}

#[inline]
fn shift_i32(op: &BitsOp, p: i32, q: i32) -> i32 {
    let q = q as u32;
    match op {
        BitsOp::ShiftLeft => p.checked_shl(q).unwrap_or(0),
        BitsOp::ShiftRightLogical => (p as u32).checked_shr(q).unwrap_or(0) as i32,
        BitsOp::ShiftRightArithmetic => p >> q.min(31),
        _ => unreachable!("a shift"),
    }
}

/// Reinterprets the bits of `x` as `to` (shape already checked by `bitcast_shape`).
pub fn bitcast(x: &ArrayData, to: DType, out_shape: &[usize]) -> ArrayData {
    fn words(x: &ArrayData) -> Vec<u32> {
        match x {
            ArrayData::U32(a) => a.iter().copied().collect(),
            ArrayData::I32(a) => a.iter().map(|&v| v as u32).collect(),
            ArrayData::F32(a) => a.iter().map(|v| v.to_bits()).collect(),
            ArrayData::F64(a) => a
                .iter()
                .flat_map(|v| {
                    let b = v.to_bits();
                    [b as u32, (b >> 32) as u32]
                })
                .collect(),
            other => panic!(
                "bitcast_convert_type: {} operands are not supported",
                other.dtype()
            ),
        }
    }
    let w = words(x);
    let sh = IxDyn(out_shape);
    let arr = |v| ArrayD::from_shape_vec(sh.clone(), v).expect("bitcast: element count");
    match to {
        DType::U32 => ArrayData::U32(arr(w)),
        DType::I32 => ArrayData::I32(
            ArrayD::from_shape_vec(sh.clone(), w.into_iter().map(|v| v as i32).collect())
                .expect("bitcast: element count"),
        ),
        DType::F32 => ArrayData::F32(
            ArrayD::from_shape_vec(sh.clone(), w.into_iter().map(f32::from_bits).collect())
                .expect("bitcast: element count"),
        ),
        DType::F64 => ArrayData::F64(
            ArrayD::from_shape_vec(
                sh.clone(),
                w.chunks_exact(2)
                    .map(|c| f64::from_bits(c[0] as u64 | (c[1] as u64) << 32))
                    .collect(),
            )
            .expect("bitcast: element count"),
        ),
        other => panic!("bitcast_convert_type: {other} results are not supported"),
    }
}

// ---- Threefry-2x32 ------------------------------------------------------------------------

const ROT: [[u32; 4]; 2] = [[13, 15, 26, 6], [17, 29, 16, 24]];

/// Threefry-2x32 (20 rounds) of one counter pair `(x0, x1)` under key `(k0, k1)`; the
/// scalar reference of the `threefry2x32` primitive.
///
/// ```
/// use ferrax::internals::prims::bits::threefry2x32_scalar;
/// assert_eq!(threefry2x32_scalar([0, 0], [0, 0]), [0x6b200159, 0x99ba4efe]);
/// ```
#[inline(always)]
pub fn threefry2x32_scalar(key: [u32; 2], x: [u32; 2]) -> [u32; 2] {
    let ks = [key[0], key[1], key[0] ^ key[1] ^ 0x1BD1_1BDA];
    let (mut x0, mut x1) = (x[0].wrapping_add(ks[0]), x[1].wrapping_add(ks[1]));
    macro_rules! rounds {
        ($r:expr) => {
            for r in $r {
                x0 = x0.wrapping_add(x1);
                x1 = x1.rotate_left(r);
                x1 ^= x0;
            }
        };
    }
    for i in 0..5u32 {
        rounds!(ROT[(i % 2) as usize]);
        x0 = x0.wrapping_add(ks[((i + 1) % 3) as usize]);
        x1 = x1
            .wrapping_add(ks[((i + 2) % 3) as usize])
            .wrapping_add(i + 1);
    }
    [x0, x1]
}

/// Threefry-2x32 of `L` counter pairs under one key, lane by lane (the loops vectorize:
/// with AVX-512 one round is three instructions for 16 lanes).
///
/// ```
/// let (y0, y1) = ferrax::internals::prims::bits::threefry_block([0, 0], [0u32; 4], [0, 1, 2, 3]);
/// assert_eq!((y0[0], y1[0]), (0x6b200159, 0x99ba4efe));
/// assert_eq!([y0[1], y1[1]], ferrax::internals::prims::bits::threefry2x32_scalar([0, 0], [0, 1]));
/// ```
#[inline(always)]
pub fn threefry_block<const L: usize>(
    key: [u32; 2],
    hi: [u32; L],
    lo: [u32; L],
) -> ([u32; L], [u32; L]) {
    let ks = [key[0], key[1], key[0] ^ key[1] ^ 0x1BD1_1BDA];
    let mut x0 = hi;
    let mut x1 = lo;
    for l in 0..L {
        x0[l] = x0[l].wrapping_add(ks[0]);
        x1[l] = x1[l].wrapping_add(ks[1]);
    }
    for i in 0..5u32 {
        for &r in &ROT[(i % 2) as usize] {
            for l in 0..L {
                x0[l] = x0[l].wrapping_add(x1[l]);
                x1[l] = x1[l].rotate_left(r) ^ x0[l];
            }
        }
        let a = ks[((i + 1) % 3) as usize];
        let b = ks[((i + 2) % 3) as usize].wrapping_add(i + 1);
        for l in 0..L {
            x0[l] = x0[l].wrapping_add(a);
            x1[l] = x1[l].wrapping_add(b);
        }
    }
    (x0, x1)
}

const LANES: usize = 16;

/// Threefry of counters `(hi[i], lo[i])` (`hi` a scalar or a slice) under one key.
#[inline(always)]
fn keyed_serial(
    key: [u32; 2],
    hi: Option<&[u32]>,
    hi0: u32,
    lo: &[u32],
    o0: &mut [u32],
    o1: &mut [u32],
) {
    let n = lo.len();
    let mut i = 0;
    while i < n {
        let m = (n - i).min(LANES);
        let (mut h, mut l) = ([hi0; LANES], [0u32; LANES]);
        l[..m].copy_from_slice(&lo[i..i + m]);
        if let Some(hs) = hi {
            h[..m].copy_from_slice(&hs[i..i + m]);
        }
        let (y0, y1) = threefry_block(key, h, l);
        o0[i..i + m].copy_from_slice(&y0[..m]);
        o1[i..i + m].copy_from_slice(&y1[..m]);
        i += m;
    }
}

/// [`keyed_serial`] compiled with the target features `$features` (so `threefry_block`'s
/// lanes vectorize with them), one copy per instruction set the dispatcher below picks.
macro_rules! keyed_with_features {
    ($name:ident, $features:literal, $cpu:literal) => {
        #[doc = concat!("# Safety\nThe CPU must support ", $cpu, " (detected by the dispatcher below).")]
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        unsafe fn $name(
            key: [u32; 2],
            hi: Option<&[u32]>,
            hi0: u32,
            lo: &[u32],
            o0: &mut [u32],
            o1: &mut [u32],
        ) {
            keyed_serial(key, hi, hi0, lo, o0, o1)
        }
    };
}
keyed_with_features!(
    keyed_avx512,
    "avx512f,avx512vl,avx2",
    "AVX-512F, AVX-512VL and AVX2"
);
keyed_with_features!(keyed_avx2, "avx2", "AVX2");

/// [`keyed_serial`] with the widest vector instructions this CPU has.
fn keyed(key: [u32; 2], hi: Option<&[u32]>, hi0: u32, lo: &[u32], o0: &mut [u32], o1: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx2")
        {
            // SAFETY: all three features the callee enables were detected at run time on
            // this CPU; the body is safe slice code.
            return unsafe { keyed_avx512(key, hi, hi0, lo, o0, o1) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2, the one feature the callee enables, was detected at run time.
            return unsafe { keyed_avx2(key, hi, hi0, lo, o0, o1) };
        }
    }
    keyed_serial(key, hi, hi0, lo, o0, o1)
}

/// An operand of the threefry kernel: a broadcast scalar or a full-size slice.
enum Src<'a> {
    Scalar(u32),
    Slice(&'a [u32]),
    Owned(Vec<u32>),
}

impl Src<'_> {
    fn new<'a>(a: &'a ArrayD<u32>, shape: &[usize]) -> Src<'a> {
        if a.len() == 1 {
            return Src::Scalar(*a.iter().next().expect("one element"));
        }
        if a.shape() == shape {
            return Src::Slice(a.as_slice().expect("row-major"));
        }
        let b = a.broadcast(IxDyn(shape)).expect("checked by abstract_eval");
        Src::Owned(b.iter().copied().collect())
    }
    #[inline(always)]
    fn get(&self, i: usize) -> u32 {
        match self {
            Src::Scalar(v) => *v,
            Src::Slice(s) => s[i],
            Src::Owned(v) => v[i],
        }
    }
}

/// The threefry kernel over broadcast operands.
fn threefry_arrays(
    k0: &ArrayD<u32>,
    k1: &ArrayD<u32>,
    x0: &ArrayD<u32>,
    x1: &ArrayD<u32>,
    shape: &[usize],
) -> (ArrayD<u32>, ArrayD<u32>) {
    let n: usize = shape.iter().product();
    let srcs = [
        Src::new(k0, shape),
        Src::new(k1, shape),
        Src::new(x0, shape),
        Src::new(x1, shape),
    ];
    let mut y0 = vec![0u32; n];
    let mut y1 = vec![0u32; n];
    let fill = |start: usize, o0: &mut [u32], o1: &mut [u32]| {
        // Common case (keys scalars, x slices): vectorized blocks.
        if let (Src::Scalar(a), Src::Scalar(b)) = (&srcs[0], &srcs[1]) {
            let key = [*a, *b];
            let end = start + o0.len();
            match (&srcs[2], &srcs[3]) {
                (Src::Scalar(c), Src::Slice(d)) => {
                    return keyed(key, None, *c, &d[start..end], o0, o1);
                }
                (Src::Slice(c), Src::Slice(d)) => {
                    return keyed(key, Some(&c[start..end]), 0, &d[start..end], o0, o1);
                }
                _ => {}
            }
        }
        for (j, (p, q)) in o0.iter_mut().zip(o1.iter_mut()).enumerate() {
            let i = start + j;
            [*p, *q] = threefry2x32_scalar(
                [srcs[0].get(i), srcs[1].get(i)],
                [srcs[2].get(i), srcs[3].get(i)],
            );
        }
    };
    if should_parallelize(threefry_ns(n)) {
        use rayon::prelude::*;
        let chunk = chunk_len(n, 4096);
        y0.par_chunks_mut(chunk)
            .zip(y1.par_chunks_mut(chunk))
            .enumerate()
            .for_each(|(c, (o0, o1))| fill(c * chunk, o0, o1));
    } else {
        fill(0, &mut y0, &mut y1);
    }
    let sh = IxDyn(shape);
    (
        ArrayD::from_shape_vec(sh.clone(), y0).expect("size"),
        ArrayD::from_shape_vec(sh, y1).expect("size"),
    )
}

/// Threefry over `n` counters `(0, start + i)` under one key, written into `out0`/`out1`: the
/// kernel of fused random sampling paths (`ferrax::random`'s eager fast paths and the
/// `rand_core` bridge).
///
/// ```
/// let (mut a, mut b) = ([0u32; 2], [0u32; 2]);
/// ferrax::internals::prims::bits::threefry_counters([0, 0], 0, &mut a, &mut b);
/// assert_eq!((a[0], b[0]), (0x6b200159, 0x99ba4efe));
/// ```
pub fn threefry_counters(key: [u32; 2], start: u64, out0: &mut [u32], out1: &mut [u32]) {
    for (i, (p, q)) in out0.iter_mut().zip(out1.iter_mut()).enumerate() {
        let c = start + i as u64;
        [*p, *q] = threefry2x32_scalar(key, [(c >> 32) as u32, c as u32]);
    }
}
