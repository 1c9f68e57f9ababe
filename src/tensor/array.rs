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
    I32(ArrayD<i32>),
    U32(ArrayD<u32>),
    F32(ArrayD<f32>),
    F64(ArrayD<f64>),
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
        }
    };
}
pub(crate) use dispatch_array;

/// Runs `$body` with `$T` bound to the Rust element type of a `DType`.
macro_rules! dispatch_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::DType::Bool => {
                type $T = bool;
                $body
            }
            $crate::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::DType::U32 => {
                type $T = u32;
                $body
            }
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
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
impl_array_element!(bool => Bool, i32 => I32, u32 => U32, f32 => F32, f64 => F64);

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
        dispatch_dtype!(dtype, T => T::wrap(ArrayD::from_elem(IxDyn(shape), T::from_f64(value))))
    }

    /// The dtype tag.
    pub fn dtype(&self) -> DType {
        match self {
            ArrayData::Bool(_) => DType::Bool,
            ArrayData::I32(_) => DType::I32,
            ArrayData::U32(_) => DType::U32,
            ArrayData::F32(_) => DType::F32,
            ArrayData::F64(_) => DType::F64,
        }
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
        dispatch_array!(self, a, T => a.iter().map(|v| v.to_f64()).collect())
    }

    /// Element `i` (row-major flat index) converted to f64.
    pub fn get_f64(&self, i: usize) -> f64 {
        dispatch_array!(self, a, T => a.as_slice().expect("standard layout")[i].to_f64())
    }

    /// Converts every element to `dtype` with `convert_element_type` semantics
    /// (float→int truncates toward zero and saturates, NaN→0; anything→bool is `!= 0`).
    pub fn convert(&self, dtype: DType) -> ArrayData {
        if self.dtype() == dtype {
            return self.clone();
        }
        // Integer to integer conversions wrap (two's complement), as numpy and XLA do.
        match (self, dtype) {
            (ArrayData::I32(a), DType::U32) => return ArrayData::U32(a.mapv(|v| v as u32)),
            (ArrayData::U32(a), DType::I32) => return ArrayData::I32(a.mapv(|v| v as i32)),
            _ => {}
        }
        dispatch_array!(self, a, S => {
            dispatch_dtype!(dtype, T => T::wrap(a.mapv(convert_scalar::<S, T>)))
        })
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
pub fn convert_scalar<S: Element, T: Element>(v: S) -> T {
    T::from_f64(v.to_f64())
}
