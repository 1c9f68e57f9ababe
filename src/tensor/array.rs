//! Concrete storage: a dtype-tagged, always row-major (standard layout) `ndarray::ArrayD`.
//! Kernels rely on the layout invariant to work on flat slices.

use super::dtype::{DType, Element};
use crate::core::Shape;
use ndarray::{ArrayD, IxDyn};

/// A concrete n-d array of one of ferrax's dtypes, in standard (C-contiguous) layout.
///
/// ```
/// use ferrax::tensor::ArrayData;
/// let a = ArrayData::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// assert_eq!(a.shape(), &[3]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum ArrayData {
    Bool(ArrayD<bool>),
    I8(ArrayD<i8>),
    I16(ArrayD<i16>),
    I32(ArrayD<i32>),
    I64(ArrayD<i64>),
    U8(ArrayD<u8>),
    U16(ArrayD<u16>),
    U32(ArrayD<u32>),
    U64(ArrayD<u64>),
    BF16(ArrayD<half::bf16>),
    F16(ArrayD<half::f16>),
    F32(ArrayD<f32>),
    F64(ArrayD<f64>),
    C64(ArrayD<num_complex::Complex32>),
    C128(ArrayD<num_complex::Complex64>),
}

/// Runs `$body` with `$a` bound to the typed `ArrayD<T>` inside an `ArrayData`, and `T` as the
/// element type alias `$T`. Used by kernels that are generic over every dtype.
macro_rules! dispatch_array {
    ($arr:expr, $a:ident, $T:ident => $body:expr) => {
        match $arr {
            $crate::tensor::ArrayData::Bool($a) => {
                #[allow(dead_code)]
                type $T = bool;
                $body
            }
            $crate::tensor::ArrayData::I8($a) => {
                #[allow(dead_code)]
                type $T = i8;
                $body
            }
            $crate::tensor::ArrayData::I16($a) => {
                #[allow(dead_code)]
                type $T = i16;
                $body
            }
            $crate::tensor::ArrayData::I32($a) => {
                #[allow(dead_code)]
                type $T = i32;
                $body
            }
            $crate::tensor::ArrayData::I64($a) => {
                #[allow(dead_code)]
                type $T = i64;
                $body
            }
            $crate::tensor::ArrayData::U8($a) => {
                #[allow(dead_code)]
                type $T = u8;
                $body
            }
            $crate::tensor::ArrayData::U16($a) => {
                #[allow(dead_code)]
                type $T = u16;
                $body
            }
            $crate::tensor::ArrayData::U32($a) => {
                #[allow(dead_code)]
                type $T = u32;
                $body
            }
            $crate::tensor::ArrayData::U64($a) => {
                #[allow(dead_code)]
                type $T = u64;
                $body
            }
            $crate::tensor::ArrayData::BF16($a) => {
                #[allow(dead_code)]
                type $T = ::half::bf16;
                $body
            }
            $crate::tensor::ArrayData::F16($a) => {
                #[allow(dead_code)]
                type $T = ::half::f16;
                $body
            }
            $crate::tensor::ArrayData::F32($a) => {
                #[allow(dead_code)]
                type $T = f32;
                $body
            }
            $crate::tensor::ArrayData::F64($a) => {
                #[allow(dead_code)]
                type $T = f64;
                $body
            }
            $crate::tensor::ArrayData::C64($a) => {
                #[allow(dead_code)]
                type $T = ::num_complex::Complex32;
                $body
            }
            $crate::tensor::ArrayData::C128($a) => {
                #[allow(dead_code)]
                type $T = ::num_complex::Complex64;
                $body
            }
        }
    };
}
pub(crate) use dispatch_array;

/// [`dispatch_array!`] over the five base dtypes (bool, i32, u32, f32, f64), for pure
/// data-movement kernels: the other dtypes move as these (narrow ones widened, i64/u64 as
/// f64 bit patterns, complex numbers as their two parts; see `prims::util::eval_on_base_types`),
/// so a data-movement kernel is instantiated five times, not fifteen.
macro_rules! dispatch_base_array {
    ($arr:expr, $a:ident, $T:ident => $body:expr) => {
        match $arr {
            $crate::tensor::ArrayData::Bool($a) => {
                #[allow(dead_code)]
                type $T = bool;
                $body
            }
            $crate::tensor::ArrayData::I32($a) => {
                #[allow(dead_code)]
                type $T = i32;
                $body
            }
            $crate::tensor::ArrayData::U32($a) => {
                #[allow(dead_code)]
                type $T = u32;
                $body
            }
            $crate::tensor::ArrayData::F32($a) => {
                #[allow(dead_code)]
                type $T = f32;
                $body
            }
            $crate::tensor::ArrayData::F64($a) => {
                #[allow(dead_code)]
                type $T = f64;
                $body
            }
            other => unreachable!(
                "{} arrays move as a base dtype (see eval_on_base_types)",
                other.dtype()
            ),
        }
    };
}
pub(crate) use dispatch_base_array;

/// [`dispatch_array!`] over the dtypes that have their own arithmetic kernels: every dtype
/// but the narrow ones (i8, i16, u8, u16, bf16, f16), which a caller converts to
/// [`DType::widened`] first. Saves instantiating a generic arithmetic kernel six more times
/// (the compile-time budget); a narrow array reaching it is a bug in the caller.
macro_rules! dispatch_wide_array {
    ($arr:expr, $a:ident, $T:ident => $body:expr) => {
        match $arr {
            $crate::tensor::ArrayData::Bool($a) => {
                #[allow(dead_code)]
                type $T = bool;
                $body
            }
            $crate::tensor::ArrayData::I32($a) => {
                #[allow(dead_code)]
                type $T = i32;
                $body
            }
            $crate::tensor::ArrayData::I64($a) => {
                #[allow(dead_code)]
                type $T = i64;
                $body
            }
            $crate::tensor::ArrayData::U32($a) => {
                #[allow(dead_code)]
                type $T = u32;
                $body
            }
            $crate::tensor::ArrayData::U64($a) => {
                #[allow(dead_code)]
                type $T = u64;
                $body
            }
            $crate::tensor::ArrayData::F32($a) => {
                #[allow(dead_code)]
                type $T = f32;
                $body
            }
            $crate::tensor::ArrayData::F64($a) => {
                #[allow(dead_code)]
                type $T = f64;
                $body
            }
            $crate::tensor::ArrayData::C64($a) => {
                #[allow(dead_code)]
                type $T = ::num_complex::Complex32;
                $body
            }
            $crate::tensor::ArrayData::C128($a) => {
                #[allow(dead_code)]
                type $T = ::num_complex::Complex64;
                $body
            }
            other => unreachable!(
                "{} arrays are computed as {} (convert with DType::widened first)",
                other.dtype(),
                other.dtype().widened()
            ),
        }
    };
}
pub(crate) use dispatch_wide_array;

/// Runs `$body` with `$T` bound to the Rust element type of a `DType`.
macro_rules! dispatch_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::DType::Bool => {
                #[allow(dead_code)]
                type $T = bool;
                $body
            }
            $crate::DType::I8 => {
                #[allow(dead_code)]
                type $T = i8;
                $body
            }
            $crate::DType::I16 => {
                #[allow(dead_code)]
                type $T = i16;
                $body
            }
            $crate::DType::I32 => {
                #[allow(dead_code)]
                type $T = i32;
                $body
            }
            $crate::DType::I64 => {
                #[allow(dead_code)]
                type $T = i64;
                $body
            }
            $crate::DType::U8 => {
                #[allow(dead_code)]
                type $T = u8;
                $body
            }
            $crate::DType::U16 => {
                #[allow(dead_code)]
                type $T = u16;
                $body
            }
            $crate::DType::U32 => {
                #[allow(dead_code)]
                type $T = u32;
                $body
            }
            $crate::DType::U64 => {
                #[allow(dead_code)]
                type $T = u64;
                $body
            }
            $crate::DType::BF16 => {
                #[allow(dead_code)]
                type $T = ::half::bf16;
                $body
            }
            $crate::DType::F16 => {
                #[allow(dead_code)]
                type $T = ::half::f16;
                $body
            }
            $crate::DType::F32 => {
                #[allow(dead_code)]
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                #[allow(dead_code)]
                type $T = f64;
                $body
            }
            $crate::DType::C64 => {
                #[allow(dead_code)]
                type $T = ::num_complex::Complex32;
                $body
            }
            $crate::DType::C128 => {
                #[allow(dead_code)]
                type $T = ::num_complex::Complex64;
                $body
            }
        }
    };
}
pub(crate) use dispatch_dtype;

/// Typed access to the `ArrayD<T>` inside an `ArrayData`. Every array element type can
/// live in the buffer pool (`kernels::pool`), so kernels generic over them can take from it.
pub trait ArrayElement: Element + super::pool_shelves::Poolable {
    /// Wraps a typed array.
    fn wrap(a: ArrayD<Self>) -> ArrayData;
    /// Borrows the typed array if the dtype matches.
    fn view(a: &ArrayData) -> Option<&ArrayD<Self>>;
    /// Takes the typed array if the dtype matches.
    fn unwrap(a: ArrayData) -> Option<ArrayD<Self>>;
}

macro_rules! impl_array_element {
    ($($t:ty => $v:ident),*) => {$(
        impl ArrayElement for $t {
            fn wrap(a: ArrayD<Self>) -> ArrayData { ArrayData::$v(a) }
            fn view(a: &ArrayData) -> Option<&ArrayD<Self>> {
                match a { ArrayData::$v(x) => Some(x), _ => None }
            }
            fn unwrap(a: ArrayData) -> Option<ArrayD<Self>> {
                match a { ArrayData::$v(x) => Some(x), _ => None }
            }
        }
    )*};
}
impl_array_element!(bool => Bool, i8 => I8, i16 => I16, i32 => I32, i64 => I64, u8 => U8, u16 => U16, u32 => U32, u64 => U64, half::bf16 => BF16, half::f16 => F16, f32 => F32, f64 => F64, num_complex::Complex32 => C64, num_complex::Complex64 => C128);

impl ArrayData {
    /// Builds an array from row-major data. Panics if `data.len()` is not the product of
    /// `shape`.
    ///
    /// ```
    /// let a = ferrax::tensor::ArrayData::from_vec(vec![1i32, 2, 3, 4], &[2, 2]);
    /// assert_eq!(a.len(), 4);
    /// ```
    #[track_caller]
    pub fn from_vec<T: ArrayElement>(data: Vec<T>, shape: &[usize]) -> ArrayData {
        let n: usize = shape.iter().product();
        assert!(
            data.len() == n,
            "from_vec: {} elements do not fill shape {:?} ({} elements)",
            data.len(),
            shape,
            n
        );
        T::wrap(ArrayD::from_shape_vec(IxDyn(shape), data).expect("length checked above"))
    }

    /// Wraps an ndarray, copying it into standard layout if it is not already.
    ///
    /// ```
    /// let a = ndarray::arr2(&[[1.0f32, 2.0], [3.0, 4.0]]).into_dyn();
    /// let t = ferrax::tensor::ArrayData::from_ndarray(a.t().to_owned());
    /// assert_eq!(t.to_f64_vec(), vec![1.0, 3.0, 2.0, 4.0]);
    /// ```
    pub fn from_ndarray<T: ArrayElement>(a: ArrayD<T>) -> ArrayData {
        if a.is_standard_layout() {
            T::wrap(a)
        } else {
            T::wrap(a.as_standard_layout().into_owned())
        }
    }

    /// A zero-dimensional array holding `v`.
    ///
    /// ```
    /// assert_eq!(ferrax::tensor::ArrayData::scalar(3.0f32).shape(), &[] as &[usize]);
    /// ```
    pub fn scalar<T: ArrayElement>(v: T) -> ArrayData {
        T::wrap(ArrayD::from_elem(IxDyn(&[]), v))
    }

    /// An array of `shape` filled with `value` converted to `dtype`.
    ///
    /// ```
    /// let a = ferrax::tensor::ArrayData::full(&[2], 1.5, ferrax::DType::F64);
    /// assert_eq!(a.to_f64_vec(), vec![1.5, 1.5]);
    /// ```
    pub fn full(shape: &[usize], value: f64, dtype: DType) -> ArrayData {
        // One element converted, then repeated: a fill loop per dtype is all this costs.
        let v = ArrayData::scalar(value).convert(dtype);
        dispatch_array!(v, a, T => {
            let x = *a.iter().next().expect("one element");
            T::wrap(ArrayD::from_elem(IxDyn(shape), x))
        })
    }

    /// The dtype tag.
    pub fn dtype(&self) -> DType {
        dispatch_array!(self, _a, T => <T as Element>::DTYPE)
    }

    /// The dimensions.
    pub fn shape(&self) -> &[usize] {
        dispatch_array!(self, a, T => a.shape())
    }

    /// The dimensions as a `Shape`.
    pub fn shape_vec(&self) -> Shape {
        Shape::from_slice(self.shape())
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        dispatch_array!(self, a, T => a.len())
    }

    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All elements, row-major, converted to f64 (for tests and printing).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        // Through the one shared conversion (complex numbers: the real part).
        match self.convert(DType::F64) {
            ArrayData::F64(a) => a.into_raw_vec_and_offset().0,
            _ => unreachable!("converted to f64"),
        }
    }

    /// Element `i` (row-major flat index) converted to f64.
    pub fn get_f64(&self, i: usize) -> f64 {
        <f64 as Element>::from_wide(self.get_wide(i))
    }

    /// Converts every element to `dtype` with `lax.convert_element_type`'s semantics on CPU
    /// (integers wrap, float→int truncates and saturates with NaN→0, complex→real keeps the
    /// real part, anything→bool is `!= 0`; see [`Element::from_wide`]). Elements pass through
    /// [`Wide`](super::Wide) in chunks, so each dtype has one conversion loop in and one out
    /// rather than one per pair.
    ///
    /// ```
    /// use ferrax::{tensor::ArrayData, DType};
    /// let a = ArrayData::from_vec(vec![-1.5f32, 300.0, f32::NAN], &[3]);
    /// assert_eq!(a.convert(DType::U8).to_f64_vec(), vec![0.0, 255.0, 0.0]);
    /// ```
    pub fn convert(&self, dtype: DType) -> ArrayData {
        if self.dtype() == dtype {
            return self.clone();
        }
        if let Some(direct) = self.convert_direct(dtype) {
            return direct;
        }
        const CHUNK: usize = 256;
        let n = self.len();
        let mut buf = [super::Wide::Int(0); CHUNK];
        dispatch_dtype!(dtype, T => {
            let mut out: Vec<T> = Vec::with_capacity(n);
            let mut start = 0;
            while start < n {
                let len = CHUNK.min(n - start);
                self.wide_chunk(start, &mut buf[..len]);
                out.extend(buf[..len].iter().map(|&w| T::from_wide(w)));
                start += len;
            }
            T::wrap(array_from_vec(self.shape(), out))
        })
    }

    /// The conversions training code runs every step (f32 <-> f64, i32 and bool to a float:
    /// masks, iotas, labels) as one direct loop each, where `as` has exactly
    /// `convert_element_type`'s meaning; `None` sends the rest through [`Wide`](super::Wide)
    /// (whose integer path goes through i128, several times slower).
    fn convert_direct(&self, dtype: DType) -> Option<ArrayData> {
        fn map<S: Copy, T>(a: &ArrayD<S>, f: impl Fn(S) -> T) -> Option<ArrayD<T>> {
            let src = a.as_slice()?;
            Some(array_from_vec(
                a.shape(),
                src.iter().map(|&v| f(v)).collect(),
            ))
        }
        Some(match (self, dtype) {
            (ArrayData::F32(a), DType::F64) => ArrayData::F64(map(a, |v| v as f64)?),
            (ArrayData::F64(a), DType::F32) => ArrayData::F32(map(a, |v| v as f32)?),
            (ArrayData::I32(a), DType::F32) => ArrayData::F32(map(a, |v| v as f32)?),
            (ArrayData::I32(a), DType::F64) => ArrayData::F64(map(a, |v| v as f64)?),
            (ArrayData::Bool(a), DType::F32) => ArrayData::F32(map(a, |v| v as u8 as f32)?),
            (ArrayData::Bool(a), DType::F64) => ArrayData::F64(map(a, |v| v as u8 as f64)?),
            _ => return None,
        })
    }

    /// Elements `start..start + out.len()` (row-major) as [`Wide`](super::Wide) values.
    fn wide_chunk(&self, start: usize, out: &mut [super::Wide]) {
        dispatch_array!(self, a, T => {
            let src = &a.as_slice().expect("standard layout")[start..start + out.len()];
            for (o, &v) in out.iter_mut().zip(src) {
                *o = v.to_wide();
            }
        })
    }

    /// An array of `dtype` from [`Wide`](super::Wide) values, each converted with
    /// [`Element::from_wide`] (integers wrap to the dtype's width): how kernels that compute
    /// on any integer width through `i128` (bit counts, shifts) build their output.
    ///
    /// ```
    /// use ferrax::{tensor::{ArrayData, Wide}, DType};
    /// let a = ArrayData::from_wide(&[Wide::Int(256), Wide::Int(-1)], &[2], DType::U8);
    /// assert_eq!(a.to_f64_vec(), vec![0.0, 255.0]);
    /// ```
    pub fn from_wide(values: &[super::Wide], shape: &[usize], dtype: DType) -> ArrayData {
        dispatch_dtype!(dtype, T => T::wrap(array_from_vec(
            shape,
            values.iter().map(|&w| T::from_wide(w)).collect(),
        )))
    }

    /// All elements as [`Wide`](super::Wide) values (row-major).
    ///
    /// ```
    /// use ferrax::tensor::{ArrayData, Wide};
    /// assert_eq!(ArrayData::from_vec(vec![-1i8], &[1]).to_wide_vec(), vec![Wide::Int(-1)]);
    /// ```
    pub fn to_wide_vec(&self) -> Vec<super::Wide> {
        let mut out = vec![super::Wide::Int(0); self.len()];
        self.wide_chunk(0, &mut out);
        out
    }

    /// The bit patterns of an i64/u64 array as f64 values (the same 8 bytes), and back with
    /// [`ArrayData::f64_bits_as`]: how data-movement kernels move 64-bit integers with the
    /// f64 kernel. Copies of f64 values keep their bits (no arithmetic touches them).
    pub(crate) fn to_f64_bits(&self) -> Option<ArrayData> {
        match self {
            ArrayData::I64(a) => Some(ArrayData::F64(a.mapv(|v| f64::from_bits(v as u64)))),
            ArrayData::U64(a) => Some(ArrayData::F64(a.mapv(f64::from_bits))),
            _ => None,
        }
    }

    /// The inverse of [`ArrayData::to_f64_bits`] for an f64 array: as `dtype` (I64 or U64).
    pub(crate) fn f64_bits_as(&self, dtype: DType) -> ArrayData {
        match (self, dtype) {
            (ArrayData::F64(a), DType::I64) => ArrayData::I64(a.mapv(|v| v.to_bits() as i64)),
            (ArrayData::F64(a), DType::U64) => ArrayData::U64(a.mapv(f64::to_bits)),
            (a, d) => unreachable!("f64_bits_as: {} as {d}", a.dtype()),
        }
    }

    /// A complex array's real and imaginary parts (f32 for c64, f64 for c128).
    pub(crate) fn complex_parts(&self) -> Option<(ArrayData, ArrayData)> {
        match self {
            ArrayData::C64(a) => Some((
                ArrayData::F32(a.mapv(|z| z.re)),
                ArrayData::F32(a.mapv(|z| z.im)),
            )),
            ArrayData::C128(a) => Some((
                ArrayData::F64(a.mapv(|z| z.re)),
                ArrayData::F64(a.mapv(|z| z.im)),
            )),
            _ => None,
        }
    }

    /// A complex array from its real and imaginary parts (two f32 or two f64 arrays of one
    /// shape, row-major).
    pub(crate) fn from_complex_parts(re: &ArrayData, im: &ArrayData) -> ArrayData {
        fn join<F: Copy>(re: &ArrayD<F>, im: &ArrayD<F>) -> ArrayD<num_complex::Complex<F>> {
            let data = re
                .iter()
                .zip(im.iter())
                .map(|(&r, &i)| num_complex::Complex::new(r, i));
            array_from_vec(re.shape(), data.collect())
        }
        match (re, im) {
            (ArrayData::F32(r), ArrayData::F32(i)) => ArrayData::C64(join(r, i)),
            (ArrayData::F64(r), ArrayData::F64(i)) => ArrayData::C128(join(r, i)),
            (r, i) => unreachable!("from_complex_parts: {} and {}", r.dtype(), i.dtype()),
        }
    }

    /// Element `i` (row-major flat index) as a [`Wide`](super::Wide) value, losslessly.
    ///
    /// ```
    /// use ferrax::tensor::{ArrayData, Wide};
    /// assert_eq!(ArrayData::from_vec(vec![u64::MAX], &[1]).get_wide(0), Wide::Int(u64::MAX as i128));
    /// ```
    pub fn get_wide(&self, i: usize) -> super::Wide {
        let mut w = [super::Wide::Int(0)];
        self.wide_chunk(i, &mut w);
        w[0]
    }
}

/// A row-major `ArrayD` from data whose length is the product of `shape` (checked in debug
/// builds; kernels build outputs of exactly the shape their shape rule computed).
pub fn array_from_vec<T>(shape: &[usize], data: Vec<T>) -> ArrayD<T> {
    debug_assert_eq!(
        data.len(),
        shape.iter().product::<usize>(),
        "array_from_vec: length"
    );
    // SAFETY-free: `from_shape_vec` only fails on a length mismatch, excluded above.
    ArrayD::from_shape_vec(IxDyn(shape), data).expect("length matches shape")
}

/// One element converted between dtypes with `convert_element_type` semantics.
///
/// ```
/// assert_eq!(ferrax::tensor::convert_scalar::<f32, i8>(-200.0), -128);
/// ```
pub fn convert_scalar<S: Element, T: Element>(v: S) -> T {
    T::from_wide(v.to_wide())
}
