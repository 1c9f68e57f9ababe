//! The `Tensor` handle: a cheap-to-clone reference to either concrete data or a tracer owned by
//! a trace. Construction, conversion and printing live here; math lives in `ops` (methods and
//! operators) on top of `crate::numpy` and `crate::lax`.

mod array;
mod display;
mod dtype;
pub(crate) mod pool_shelves;

pub use array::{array_from_vec, convert_scalar, ArrayData, ArrayElement};
pub(crate) use array::{dispatch_array, dispatch_base_array, dispatch_dtype, dispatch_wide_array};
pub(crate) use display::python_repr as python_float_repr;
pub(crate) use display::python_repr_narrow as python_narrow_repr;
pub use display::{evcxr_blocks, html_escape};
pub use dtype::{DType, Element, Scalar, ScalarKind, Wide};

use crate::core::{Aval, Tracer};
use ndarray::ArrayD;
use std::sync::Arc;

/// An n-dimensional array, or a stand-in for one while a function is being transformed.
///
/// Cloning is cheap (a reference count). Concrete tensors share immutable, row-major
/// `ndarray` storage; traced tensors carry only their trace's id and their shape and dtype.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
/// let y = (x.sin() * &x + 1.0).sum();
/// assert!((y.item::<f32>() - (1.0f32.sin() + 2.0 * 2.0f32.sin() + 3.0 * 3.0f32.sin() + 3.0)).abs() < 1e-5);
/// ```
#[derive(Clone)]
pub struct Tensor {
    pub(crate) repr: Repr,
}

#[derive(Clone)]
pub(crate) enum Repr {
    Concrete(Arc<ArrayData>),
    Traced(Arc<Tracer>),
}

impl Tensor {
    /// Wraps concrete data.
    pub(crate) fn from_array(a: ArrayData) -> Tensor {
        Tensor {
            repr: Repr::Concrete(Arc::new(a)),
        }
    }

    /// Wraps a tracer.
    pub(crate) fn from_tracer(t: Tracer) -> Tensor {
        Tensor {
            repr: Repr::Traced(Arc::new(t)),
        }
    }

    /// A tensor from row-major data and a shape. Panics if the length does not match.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1u32, 2, 3, 4, 5, 6], &[2, 3]);
    /// assert_eq!(x.shape(), &[2, 3]);
    /// assert_eq!(x.dtype(), DType::U32);
    /// ```
    #[track_caller]
    pub fn from_vec<T: ArrayElement>(data: Vec<T>, shape: &[usize]) -> Tensor {
        Tensor::from_array(ArrayData::from_vec(data, shape))
    }

    /// A zero-dimensional tensor.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let s = Tensor::scalar(2.0f32);
    /// assert_eq!(s.shape(), &[] as &[usize]);
    /// assert_eq!(s.item::<f32>(), 2.0);
    /// ```
    pub fn scalar<T: ArrayElement>(v: T) -> Tensor {
        Tensor::from_array(ArrayData::scalar(v))
    }

    /// A tensor of zeros.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::zeros(&[2, 3], DType::F32).to_vec::<f32>(), vec![0.0; 6]);
    /// ```
    pub fn zeros(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full(shape, 0.0, dtype)
    }

    /// A tensor of ones.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::ones(&[2], DType::I32).to_vec::<i32>(), vec![1, 1]);
    /// ```
    pub fn ones(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full(shape, 1.0, dtype)
    }

    /// A tensor filled with `value` (converted to `dtype`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::full(&[2], 7.5, DType::F64).to_vec::<f64>(), vec![7.5, 7.5]);
    /// ```
    pub fn full(shape: &[usize], value: impl Scalar, dtype: DType) -> Tensor {
        Tensor::from_array(ArrayData::full(shape, value.as_f64(), dtype))
    }

    /// `[start, start + step, ...)` up to `stop` (exclusive), like `np.arange`. Panics if
    /// `step` is zero.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::arange(0.0, 5.0, 2.0, DType::F32).to_vec::<f32>(), vec![0.0, 2.0, 4.0]);
    /// assert_eq!(Tensor::arange(3, 0, -1, DType::I32).to_vec::<i32>(), vec![3, 2, 1]);
    /// ```
    #[track_caller]
    pub fn arange(
        start: impl Scalar,
        stop: impl Scalar,
        step: impl Scalar,
        dtype: DType,
    ) -> Tensor {
        let (start, stop, step) = (start.as_f64(), stop.as_f64(), step.as_f64());
        assert!(step != 0.0, "arange: step must not be zero");
        let n = ((stop - start) / step).ceil().max(0.0) as usize;
        let values: Vec<f64> = (0..n).map(|i| start + i as f64 * step).collect();
        Tensor::from_f64_values(&values, &[n], dtype)
    }

    /// `num` evenly spaced values over `[start, stop]` (both ends included), like
    /// `np.linspace`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::linspace(0.0, 1.0, 5, DType::F32).to_vec::<f32>(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    /// ```
    pub fn linspace(start: f64, stop: f64, num: usize, dtype: DType) -> Tensor {
        let step = if num > 1 {
            (stop - start) / (num - 1) as f64
        } else {
            0.0
        };
        let values: Vec<f64> = (0..num)
            .map(|i| {
                if i + 1 == num && num > 1 {
                    stop
                } else {
                    start + i as f64 * step
                }
            })
            .collect();
        Tensor::from_f64_values(&values, &[num], dtype)
    }

    /// The `n × n` identity matrix.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::eye(2, DType::F32).to_vec::<f32>(), vec![1.0, 0.0, 0.0, 1.0]);
    /// ```
    pub fn eye(n: usize, dtype: DType) -> Tensor {
        let values: Vec<f64> = (0..n * n)
            .map(|i| if i / n == i % n { 1.0 } else { 0.0 })
            .collect();
        Tensor::from_f64_values(&values, &[n, n], dtype)
    }

    /// Builds a tensor of `dtype` from f64 values (converted element by element).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let t = Tensor::from_f64_values(&[1.0, 2.0], &[2], DType::I32);
    /// assert_eq!(t.to_vec::<i32>(), vec![1, 2]);
    /// ```
    #[track_caller]
    pub fn from_f64_values(values: &[f64], shape: &[usize], dtype: DType) -> Tensor {
        let arr = ArrayData::from_vec(values.to_vec(), shape).convert(dtype);
        Tensor::from_array(arr)
    }

    /// The abstract value (shape and dtype).
    pub fn aval(&self) -> Aval {
        match &self.repr {
            Repr::Concrete(a) => Aval::new(a.shape(), a.dtype()),
            Repr::Traced(t) => t.aval.clone(),
        }
    }

    /// The dimensions.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::zeros(&[4, 5], DType::F32).shape(), &[4, 5]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        match &self.repr {
            Repr::Concrete(a) => a.shape(),
            Repr::Traced(t) => &t.aval.shape,
        }
    }

    /// The element type.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::scalar(true).dtype(), DType::Bool);
    /// ```
    pub fn dtype(&self) -> DType {
        match &self.repr {
            Repr::Concrete(a) => a.dtype(),
            Repr::Traced(t) => t.aval.dtype,
        }
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// Number of elements.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::zeros(&[4, 5], DType::F32).size(), 20);
    /// ```
    pub fn size(&self) -> usize {
        self.shape().iter().product()
    }

    /// True when the tensor holds data (not a tracer).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert!(Tensor::scalar(1.0f32).is_concrete());
    /// ```
    pub fn is_concrete(&self) -> bool {
        matches!(self.repr, Repr::Concrete(_))
    }

    /// The concrete data; panics with advice if this is a tracer (an escaped-tracer error if
    /// no transformation active on this thread owns it).
    #[track_caller]
    pub fn array(&self) -> &ArrayData {
        match &self.repr {
            Repr::Concrete(a) => a,
            Repr::Traced(t) => crate::core::concrete_value_error(t),
        }
    }

    /// The concrete data if this is not a tracer.
    pub fn try_array(&self) -> Option<&ArrayData> {
        match &self.repr {
            Repr::Concrete(a) => Some(a),
            Repr::Traced(_) => None,
        }
    }

    /// The concrete data, mutably, if this handle is its only owner (so writing to it cannot
    /// be observed elsewhere): what lets the jit interpreter reuse a dead operand's buffer.
    pub(crate) fn unique_array_mut(&mut self) -> Option<&mut ArrayData> {
        match &mut self.repr {
            Repr::Concrete(a) => Arc::get_mut(a),
            Repr::Traced(_) => None,
        }
    }

    /// The concrete data by value if this handle is its only owner: what lets the jit
    /// interpreter give a dead value's buffer back to the buffer pool.
    pub(crate) fn into_unique_array(self) -> Option<ArrayData> {
        match self.repr {
            Repr::Concrete(a) => Arc::try_unwrap(a).ok(),
            Repr::Traced(_) => None,
        }
    }

    /// The tracer if this is traced.
    pub(crate) fn tracer(&self) -> Option<&Tracer> {
        match &self.repr {
            Repr::Concrete(_) => None,
            Repr::Traced(t) => Some(t),
        }
    }

    /// All elements in row-major order, converted to `T`
    /// (`as`-cast semantics). Panics inside a transformation, where values are not known, and
    /// for a tracer that escaped its transformation (it ended, or runs on another thread).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let x = Tensor::from_vec(vec![1.5f32, -2.0], &[2]);
    /// assert_eq!(x.to_vec::<f32>(), vec![1.5, -2.0]);
    /// assert_eq!(x.to_vec::<f64>(), vec![1.5, -2.0]);
    /// ```
    #[track_caller]
    pub fn to_vec<T: ArrayElement>(&self) -> Vec<T> {
        let a = self.array();
        match T::view(a) {
            Some(x) => x.iter().copied().collect(),
            // One shared conversion loop per dtype pair direction, not one per `T` and source.
            None => {
                T::unwrap(a.convert(T::DTYPE))
                    .expect("converted to T's dtype")
                    .into_raw_vec_and_offset()
                    .0
            }
        }
    }

    /// The single element of a one-element tensor, converted to `T`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::from_vec(vec![3i32], &[1]).item::<i32>(), 3);
    /// ```
    #[track_caller]
    pub fn item<T: ArrayElement>(&self) -> T {
        let a = self.array();
        assert!(
            a.len() == 1,
            "item: tensor of shape {:?} has {} elements, not 1",
            a.shape(),
            a.len()
        );
        self.to_vec::<T>()[0]
    }

    /// A copy as an `ndarray::ArrayD<T>` (converting the dtype if needed).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).to_ndarray::<f32>();
    /// assert_eq!(a, ndarray::arr1(&[1.0f32, 2.0]).into_dyn());
    /// ```
    #[track_caller]
    pub fn to_ndarray<T: ArrayElement>(&self) -> ArrayD<T> {
        let data = self.to_vec::<T>();
        ArrayD::from_shape_vec(self.shape(), data).expect("shape matches data")
    }

    /// Wraps an `ndarray` (any layout; copied into row-major order if needed).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let t = Tensor::from_ndarray(ndarray::arr2(&[[1i32, 2], [3, 4]]).into_dyn());
    /// assert_eq!(t.shape(), &[2, 2]);
    /// ```
    pub fn from_ndarray<T: ArrayElement>(a: ArrayD<T>) -> Tensor {
        Tensor::from_array(ArrayData::from_ndarray(a))
    }
}

/// Wraps concrete storage of any dtype (for code that builds arrays dtype-generically, e.g.
/// with [`ArrayData::from_wide`]).
///
/// ```
/// use ferrax::{prelude::*, tensor::{ArrayData, Wide}};
/// let t = Tensor::from(ArrayData::from_wide(&[Wide::Int(-1)], &[1], DType::I16));
/// assert_eq!(t.to_vec::<i16>(), vec![-1]);
/// ```
impl From<ArrayData> for Tensor {
    fn from(a: ArrayData) -> Tensor {
        Tensor::from_array(a)
    }
}

impl<T: ArrayElement> From<ArrayD<T>> for Tensor {
    fn from(a: ArrayD<T>) -> Tensor {
        Tensor::from_ndarray(a)
    }
}

impl<T: ArrayElement> From<&Tensor> for ArrayD<T> {
    #[track_caller]
    fn from(t: &Tensor) -> ArrayD<T> {
        t.to_ndarray()
    }
}
