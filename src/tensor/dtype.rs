//! Element types: the `DType` tag, the `Element` trait that ties a Rust type to its tag, and
//! numpy's type-promotion rules for the user-facing layer.

use std::fmt;

/// The element type of a tensor: JAX's dtypes (booleans, signed and unsigned integers of 8 to
/// 64 bits, bfloat16, float16, float32, float64, complex64, complex128). `F32` is the default
/// float, `I32` the default integer and `C64` the default complex (as in JAX with 64-bit mode
/// off); the 64-bit types are there when asked for explicitly.
///
/// ```
/// use ferrax::prelude::*;
/// assert_eq!(Tensor::from_vec(vec![1i32, 2], &[2]).dtype(), DType::I32);
/// assert_eq!(Tensor::from_vec(vec![1i8, 2], &[2]).dtype(), DType::I8);
/// assert_eq!(DType::F32.to_string(), "f32");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    BF16,
    F16,
    F32,
    F64,
    C64,
    C128,
}

/// A node of JAX's type-promotion lattice (`jax/_src/dtypes.py`): the 15 dtypes and the three
/// weak kinds of Python scalars (`i*`, `f*`, `c*`), as indices into `LATTICE_UP`.
const WEAK_INT: usize = 15;
const WEAK_FLOAT: usize = 16;
const WEAK_COMPLEX: usize = 17;

/// The direct successors of each lattice node, as a bit set over the node indices (the order
/// of `DType::ALL`, then `i*`, `f*`, `c*`). From JAX's `_type_promotion_lattice`:
/// `b1 -> i*`, `i* -> u8, i8`, `u8 -> i16, u16`, ..., `u64 -> f*`, `i64 -> f*`,
/// `f* -> bf16, f16, c*`, `bf16 -> f32`, `f16 -> f32`, `f32 -> f64, c64`, `f64 -> c128`,
/// `c* -> c64`, `c64 -> c128`.
const LATTICE_UP: [u32; 18] = {
    const fn b(i: usize) -> u32 {
        1 << i
    }
    use DType::*;
    [
        b(WEAK_INT),                                          // bool
        b(I16 as usize),                                      // i8
        b(I32 as usize),                                      // i16
        b(I64 as usize),                                      // i32
        b(WEAK_FLOAT),                                        // i64
        b(I16 as usize) | b(U16 as usize),                    // u8
        b(I32 as usize) | b(U32 as usize),                    // u16
        b(I64 as usize) | b(U64 as usize),                    // u32
        b(WEAK_FLOAT),                                        // u64
        b(F32 as usize),                                      // bf16
        b(F32 as usize),                                      // f16
        b(F64 as usize) | b(C64 as usize),                    // f32
        b(C128 as usize),                                     // f64
        b(C128 as usize),                                     // c64
        0,                                                    // c128
        b(U8 as usize) | b(I8 as usize),                      // i*
        b(BF16 as usize) | b(F16 as usize) | b(WEAK_COMPLEX), // f*
        b(C64 as usize),                                      // c*
    ]
};

/// Every node at or above `node` in the lattice (its upper bounds, itself included).
fn upper_bounds(node: usize) -> u32 {
    let mut set = 1u32 << node;
    loop {
        let mut next = set;
        for (i, &up) in LATTICE_UP.iter().enumerate() {
            if set & (1 << i) != 0 {
                next |= up;
            }
        }
        if next == set {
            return set;
        }
        set = next;
    }
}

/// The least upper bound of two lattice nodes: the node whose upper bounds are exactly the
/// common upper bounds of both (the lattice guarantees there is one).
fn join(a: usize, b: usize) -> usize {
    let common = upper_bounds(a) & upper_bounds(b);
    (0..LATTICE_UP.len())
        .find(|&n| common & (1 << n) != 0 && upper_bounds(n) == common)
        .expect("JAX's promotion lattice has a least upper bound for every pair")
}

impl DType {
    /// All dtypes, in the order of JAX's promotion lattice listing.
    pub const ALL: [DType; 15] = [
        DType::Bool,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::U8,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::BF16,
        DType::F16,
        DType::F32,
        DType::F64,
        DType::C64,
        DType::C128,
    ];

    /// JAX's short name as printed in jaxpr types: `f32`, `i8`, `bf16`, `c64`, `bool`, ...
    ///
    /// ```
    /// assert_eq!(ferrax::DType::U32.short_name(), "u32");
    /// assert_eq!(ferrax::DType::BF16.short_name(), "bf16");
    /// ```
    pub fn short_name(self) -> &'static str {
        use DType::*;
        match self {
            Bool => "bool",
            I8 => "i8",
            I16 => "i16",
            I32 => "i32",
            I64 => "i64",
            U8 => "u8",
            U16 => "u16",
            U32 => "u32",
            U64 => "u64",
            BF16 => "bf16",
            F16 => "f16",
            F32 => "f32",
            F64 => "f64",
            C64 => "c64",
            C128 => "c128",
        }
    }

    /// numpy's name as printed in primitive params: `float32`, `int8`, `bfloat16`, ...
    ///
    /// ```
    /// assert_eq!(ferrax::DType::F64.numpy_name(), "float64");
    /// assert_eq!(ferrax::DType::C64.numpy_name(), "complex64");
    /// ```
    pub fn numpy_name(self) -> &'static str {
        use DType::*;
        match self {
            Bool => "bool",
            I8 => "int8",
            I16 => "int16",
            I32 => "int32",
            I64 => "int64",
            U8 => "uint8",
            U16 => "uint16",
            U32 => "uint32",
            U64 => "uint64",
            BF16 => "bfloat16",
            F16 => "float16",
            F32 => "float32",
            F64 => "float64",
            C64 => "complex64",
            C128 => "complex128",
        }
    }

    /// The dtype with JAX's short name (`"i8"`, `"bf16"`, ...) or numpy's name (`"int8"`,
    /// `"bfloat16"`, ...): what reading a dtype back from text needs.
    ///
    /// ```
    /// use ferrax::DType;
    /// assert_eq!(DType::from_name("c128"), Some(DType::C128));
    /// assert_eq!(DType::from_name("uint16"), Some(DType::U16));
    /// assert_eq!(DType::from_name("int4"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<DType> {
        DType::ALL
            .into_iter()
            .find(|d| d.short_name() == name || d.numpy_name() == name)
    }

    /// True for the real floating types `BF16`, `F16`, `F32` and `F64`.
    ///
    /// ```
    /// assert!(ferrax::DType::F32.is_float() && !ferrax::DType::I32.is_float());
    /// assert!(ferrax::DType::BF16.is_float() && !ferrax::DType::C64.is_float());
    /// ```
    pub fn is_float(self) -> bool {
        matches!(self, DType::BF16 | DType::F16 | DType::F32 | DType::F64)
    }

    /// True for the integer types, signed and unsigned (not `Bool`).
    ///
    /// ```
    /// assert!(ferrax::DType::U32.is_int() && ferrax::DType::I8.is_int());
    /// assert!(!ferrax::DType::Bool.is_int());
    /// ```
    pub fn is_int(self) -> bool {
        self.is_signed_int() || self.is_unsigned()
    }

    /// True for the signed integer types `I8` to `I64`.
    ///
    /// ```
    /// assert!(ferrax::DType::I64.is_signed_int() && !ferrax::DType::U8.is_signed_int());
    /// ```
    pub fn is_signed_int(self) -> bool {
        matches!(self, DType::I8 | DType::I16 | DType::I32 | DType::I64)
    }

    /// True for the unsigned integer types `U8` to `U64`.
    ///
    /// ```
    /// assert!(ferrax::DType::U8.is_unsigned() && !ferrax::DType::I8.is_unsigned());
    /// ```
    pub fn is_unsigned(self) -> bool {
        matches!(self, DType::U8 | DType::U16 | DType::U32 | DType::U64)
    }

    /// True for `C64` and `C128`.
    ///
    /// ```
    /// assert!(ferrax::DType::C64.is_complex() && !ferrax::DType::F64.is_complex());
    /// ```
    pub fn is_complex(self) -> bool {
        matches!(self, DType::C64 | DType::C128)
    }

    /// True for floats and complex numbers (numpy's `inexact`): the dtypes that have
    /// derivatives.
    ///
    /// ```
    /// assert!(ferrax::DType::C64.is_inexact() && ferrax::DType::F16.is_inexact());
    /// assert!(!ferrax::DType::I64.is_inexact());
    /// ```
    pub fn is_inexact(self) -> bool {
        self.is_float() || self.is_complex()
    }

    /// Size of one element in bytes.
    ///
    /// ```
    /// assert_eq!(ferrax::DType::F64.size_of(), 8);
    /// assert_eq!(ferrax::DType::C128.size_of(), 16);
    /// ```
    pub fn size_of(self) -> usize {
        use DType::*;
        match self {
            Bool | I8 | U8 => 1,
            I16 | U16 | BF16 | F16 => 2,
            I32 | U32 | F32 => 4,
            I64 | U64 | F64 | C64 => 8,
            C128 => 16,
        }
    }

    /// The dtype whose arithmetic gives this one's results exactly once narrowed back (with
    /// `convert_element_type`'s wrapping): i8/i16 compute in i32, u8/u16 in u32, bf16/f16 in
    /// f32 (XLA on CPU also computes them in f32 and rounds once per op); every other dtype
    /// is its own. Kernels exist for the wide types only, which keeps the compile time down.
    ///
    /// ```
    /// assert_eq!(ferrax::DType::I8.widened(), ferrax::DType::I32);
    /// assert_eq!(ferrax::DType::BF16.widened(), ferrax::DType::F32);
    /// assert_eq!(ferrax::DType::I64.widened(), ferrax::DType::I64);
    /// ```
    pub fn widened(self) -> DType {
        use DType::*;
        match self {
            I8 | I16 => I32,
            U8 | U16 => U32,
            BF16 | F16 => F32,
            d => d,
        }
    }

    /// Width in bits of one element (8 for bool, as stored).
    ///
    /// ```
    /// assert_eq!(ferrax::DType::I16.bits(), 16);
    /// ```
    pub fn bits(self) -> u32 {
        8 * self.size_of() as u32
    }

    /// The real dtype of the same precision: `C64 -> F32`, `C128 -> F64`, itself otherwise
    /// (the output dtype of `abs`, `real` and `imag` of a complex array).
    ///
    /// ```
    /// assert_eq!(ferrax::DType::C64.real_dtype(), ferrax::DType::F32);
    /// ```
    pub fn real_dtype(self) -> DType {
        match self {
            DType::C64 => DType::F32,
            DType::C128 => DType::F64,
            d => d,
        }
    }

    /// The complex dtype holding this real precision: `F64 -> C128`, `C128 -> C128`,
    /// everything else `C64` (as `jnp.complex` types do with 32-bit defaults).
    ///
    /// ```
    /// assert_eq!(ferrax::DType::F64.complex_dtype(), ferrax::DType::C128);
    /// assert_eq!(ferrax::DType::F16.complex_dtype(), ferrax::DType::C64);
    /// ```
    pub fn complex_dtype(self) -> DType {
        match self {
            DType::F64 | DType::C128 => DType::C128,
            _ => DType::C64,
        }
    }

    /// JAX's `jnp.promote_types` with `jax_enable_x64=True` (ferrax has the 64-bit types when
    /// they are asked for): the least upper bound in JAX's promotion lattice, so i8 with u8 is
    /// i16, i32 with u32 is i64, bf16 with f16 is f32, f32 with c64 is c64, f64 with c64 is
    /// c128, and a u64 with a signed integer is f64 (the lattice joins them at the weak float,
    /// which x64 JAX makes float64). Every pair is checked against JAX in
    /// `tests/prims/dtypes.rs`.
    ///
    /// ```
    /// use ferrax::DType;
    /// assert_eq!(DType::promote(DType::F32, DType::F64), DType::F64);
    /// assert_eq!(DType::promote(DType::I32, DType::F32), DType::F32);
    /// assert_eq!(DType::promote(DType::Bool, DType::U32), DType::U32);
    /// assert_eq!(DType::promote(DType::I32, DType::U32), DType::I64);
    /// assert_eq!(DType::promote(DType::BF16, DType::F16), DType::F32);
    /// assert_eq!(DType::promote(DType::U64, DType::I8), DType::F64);
    /// ```
    pub fn promote(a: DType, b: DType) -> DType {
        if a == b {
            return a;
        }
        match join(a as usize, b as usize) {
            WEAK_FLOAT => DType::F64,
            n => DType::ALL[n],
        }
    }

    /// The dtype a Rust scalar of `kind` takes when combined with a tensor of dtype `self`
    /// (JAX's weak typing, `jnp.result_type(x, 1.0)`): the lattice join of the tensor's dtype
    /// with the scalar's weak kind, so the tensor wins unless the scalar's kind is "higher"
    /// (`u8` with an int stays `u8`, `bf16` with a float stays `bf16`). A join that is still
    /// weak (an int or bool tensor with a float scalar) takes the 32-bit default (`f32`, `c64`),
    /// as `jnp.asarray(1.0)` is f32: ferrax's defaults are JAX's with x64 off.
    ///
    /// ```
    /// use ferrax::{DType, tensor::ScalarKind};
    /// assert_eq!(DType::F64.weak_result(ScalarKind::Float), DType::F64);
    /// assert_eq!(DType::I32.weak_result(ScalarKind::Float), DType::F32);
    /// assert_eq!(DType::U32.weak_result(ScalarKind::Int), DType::U32);
    /// assert_eq!(DType::F64.weak_result(ScalarKind::Complex), DType::C128);
    /// ```
    pub fn weak_result(self, kind: ScalarKind) -> DType {
        weak_default(join(self as usize, kind.lattice_node()))
    }
}

/// The dtype a lattice node takes: itself for a dtype, the 32-bit default for a weak kind.
fn weak_default(node: usize) -> DType {
    match node {
        WEAK_INT => DType::I32,
        WEAK_FLOAT => DType::F32,
        WEAK_COMPLEX => DType::C64,
        n => DType::ALL[n],
    }
}

impl ScalarKind {
    /// The lattice node of a Python-style weak scalar of this kind (a bool is not weak: it
    /// is the `bool` dtype itself, as in JAX).
    fn lattice_node(self) -> usize {
        match self {
            ScalarKind::Bool => DType::Bool as usize,
            ScalarKind::Int => WEAK_INT,
            ScalarKind::Float => WEAK_FLOAT,
            ScalarKind::Complex => WEAK_COMPLEX,
        }
    }

    /// The dtype of two weak scalars combined (`jnp.result_type(1, 2.0)`): their join with the
    /// 32-bit defaults, so an int with a float is `f32`, anything with a complex is `c64`.
    ///
    /// ```
    /// use ferrax::{DType, tensor::ScalarKind};
    /// assert_eq!(ScalarKind::Int.result_with(ScalarKind::Float), DType::F32);
    /// assert_eq!(ScalarKind::Bool.result_with(ScalarKind::Bool), DType::Bool);
    /// ```
    pub fn result_with(self, other: ScalarKind) -> DType {
        weak_default(join(self.lattice_node(), other.lattice_node()))
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

/// What kind of Rust scalar was written next to a tensor (`x * 2.0`, `x + 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarKind {
    Bool,
    Int,
    Float,
    Complex,
}

/// A Rust scalar usable as an operand beside a tensor. One generic impl per operator means an
/// unsuffixed literal (`x * 2.0`) infers without annotations.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
/// assert_eq!((x * 2.0).to_vec::<f64>(), vec![2.0, 4.0]); // the scalar takes x's dtype
/// ```
pub trait Scalar: Copy + Send + Sync + 'static {
    /// The scalar's kind, for weak-type promotion.
    fn kind(self) -> ScalarKind;
    /// The value as f64 (exact for every supported type except large i64/u64).
    fn as_f64(self) -> f64;
}

macro_rules! impl_scalar {
    ($($t:ty => $kind:ident),*) => {$(
        impl Scalar for $t {
            fn kind(self) -> ScalarKind { ScalarKind::$kind }
            fn as_f64(self) -> f64 { self as f64 }
        }
    )*};
}
impl_scalar!(f32 => Float, f64 => Float, i8 => Int, i16 => Int, i32 => Int, i64 => Int,
             u8 => Int, u16 => Int, u32 => Int, u64 => Int, usize => Int, isize => Int);

macro_rules! impl_half_scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            fn kind(self) -> ScalarKind { ScalarKind::Float }
            fn as_f64(self) -> f64 { self.to_f64() }
        }
    )*};
}
impl_half_scalar!(half::bf16, half::f16);

impl Scalar for bool {
    fn kind(self) -> ScalarKind {
        ScalarKind::Bool
    }
    fn as_f64(self) -> f64 {
        if self {
            1.0
        } else {
            0.0
        }
    }
}

/// One element of any dtype, held losslessly: what conversions between dtypes pass through
/// (so each dtype needs one conversion to and one from `Wide`, not one per pair). Integers
/// and bools as `i128` (exact for every integer type), real floats as `f64` (exact for
/// bf16/f16/f32), complex numbers as two `f64`s.
///
/// ```
/// use ferrax::tensor::{Element, Wide};
/// assert_eq!(Element::to_wide(-3i8), Wide::Int(-3));
/// assert_eq!(<u8 as Element>::from_wide(Wide::Int(-1)), 255); // wraps, as XLA
/// assert_eq!(<i8 as Element>::from_wide(Wide::Float(300.5)), 127); // saturates, as JAX on CPU
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Wide {
    /// A bool (0 or 1) or an integer.
    Int(i128),
    /// A real float.
    Float(f64),
    /// A complex number's real and imaginary parts.
    Complex(f64, f64),
}

/// A Rust type that is the element type of some `DType`.
///
/// ```
/// use ferrax::{DType, tensor::Element};
/// assert_eq!(<f32 as Element>::DTYPE, DType::F32);
/// assert_eq!(<half::bf16 as Element>::DTYPE, DType::BF16);
/// ```
pub trait Element: Copy + Send + Sync + 'static + fmt::Debug + PartialEq + Default {
    /// The dtype tag of this Rust type.
    const DTYPE: DType;
    /// Converts from f64 with `convert_element_type` semantics (float→int saturates toward
    /// zero, NaN→0; to complex the imaginary part is zero).
    fn from_f64(v: f64) -> Self;
    /// Converts to f64 (the real part of a complex number; rounded for large i64/u64).
    fn to_f64(self) -> f64;
    /// The value, losslessly.
    fn to_wide(self) -> Wide;
    /// Converts with `lax.convert_element_type`'s semantics on CPU: integers wrap to the
    /// target width, floats to integers truncate and saturate (NaN→0), complex to real (bool
    /// included) keeps the real part, anything to bool is `!= 0`, floats round to nearest even.
    fn from_wide(v: Wide) -> Self;
}

macro_rules! impl_int_element {
    ($($t:ty => $d:ident),*) => {$(
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            fn from_f64(v: f64) -> Self { v as $t }
            fn to_f64(self) -> f64 { self as f64 }
            fn to_wide(self) -> Wide { Wide::Int(self as i128) }
            fn from_wide(v: Wide) -> Self {
                match v {
                    Wide::Int(i) => i as $t,
                    Wide::Float(f) | Wide::Complex(f, _) => f as $t,
                }
            }
        }
    )*};
}
impl_int_element!(i8 => I8, i16 => I16, i32 => I32, i64 => I64, u8 => U8, u16 => U16,
                  u32 => U32, u64 => U64);

macro_rules! impl_float_element {
    ($($t:ty => $d:ident),*) => {$(
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            fn from_f64(v: f64) -> Self { v as $t }
            fn to_f64(self) -> f64 { self as f64 }
            fn to_wide(self) -> Wide { Wide::Float(self as f64) }
            fn from_wide(v: Wide) -> Self {
                match v {
                    Wide::Int(i) => i as $t,
                    Wide::Float(f) | Wide::Complex(f, _) => f as $t,
                }
            }
        }
    )*};
}
impl_float_element!(f32 => F32, f64 => F64);

macro_rules! impl_half_element {
    ($($t:ty => $d:ident),*) => {$(
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            fn from_f64(v: f64) -> Self { <$t>::from_f64(v) }
            fn to_f64(self) -> f64 { <$t>::to_f64(self) }
            fn to_wide(self) -> Wide { Wide::Float(<$t>::to_f64(self)) }
            fn from_wide(v: Wide) -> Self {
                match v {
                    // XLA converts integers to a narrow float through f32.
                    Wide::Int(i) => <$t>::from_f32(i as f32),
                    Wide::Float(f) | Wide::Complex(f, _) => <$t>::from_f64(f),
                }
            }
        }
    )*};
}
impl_half_element!(half::bf16 => BF16, half::f16 => F16);

macro_rules! impl_complex_element {
    ($($t:ty => $d:ident, $f:ty),*) => {$(
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            fn from_f64(v: f64) -> Self { <$t>::new(v as $f, 0.0) }
            fn to_f64(self) -> f64 { self.re as f64 }
            fn to_wide(self) -> Wide { Wide::Complex(self.re as f64, self.im as f64) }
            fn from_wide(v: Wide) -> Self {
                match v {
                    Wide::Int(i) => <$t>::new(i as $f, 0.0),
                    Wide::Float(f) => <$t>::new(f as $f, 0.0),
                    Wide::Complex(re, im) => <$t>::new(re as $f, im as $f),
                }
            }
        }
    )*};
}
impl_complex_element!(num_complex::Complex32 => C64, f32, num_complex::Complex64 => C128, f64);

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    fn to_f64(self) -> f64 {
        if self {
            1.0
        } else {
            0.0
        }
    }
    fn to_wide(self) -> Wide {
        Wide::Int(self as i128)
    }
    fn from_wide(v: Wide) -> Self {
        match v {
            Wide::Int(i) => i != 0,
            Wide::Float(f) => f != 0.0,
            // JAX converts a complex number to a real type through its real part.
            Wide::Complex(re, _) => re != 0.0,
        }
    }
}
