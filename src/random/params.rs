//! Shared helpers of the parameterised samplers: constants, `select`, and JAX's rule for the
//! output shape (`shape`, or the broadcast of the parameters' shapes).

use crate::lax;
use crate::numpy;
use crate::tensor::{DType, Tensor};

/// A rank-0 constant of `dtype` (JAX's `lax._const`: rounded to `dtype`).
pub(super) fn k(v: f64, dtype: DType) -> Tensor {
    Tensor::full(&[], v, dtype)
}

/// `lax.select(pred, on_true, on_false)`.
pub(super) fn sel(pred: &Tensor, on_true: &Tensor, on_false: &Tensor) -> Tensor {
    lax::select_n(pred, &[on_false.clone(), on_true.clone()])
}

/// The sample shape: `shape` if given (every parameter must broadcast to it), else the
/// broadcast of the parameters' shapes (JAX's `_check_shape` / `broadcast_shapes`).
#[track_caller]
pub(super) fn out_shape(what: &str, shape: Option<&[usize]>, params: &[&Tensor]) -> Vec<usize> {
    let mut b: Vec<usize> = Vec::new();
    for p in params {
        b = numpy::broadcast_shapes(&b, p.shape());
    }
    match shape {
        None => b,
        Some(s) => {
            let ok = numpy::broadcast_shapes(s, &b) == s;
            assert!(
                ok,
                "random::{what}: shape {s:?} is not compatible with the parameter shapes {:?}",
                params
                    .iter()
                    .map(|p| p.shape().to_vec())
                    .collect::<Vec<_>>()
            );
            s.to_vec()
        }
    }
}

/// A parameter converted to `dtype` and broadcast to `shape`.
pub(super) fn param(x: &Tensor, shape: &[usize], dtype: DType) -> Tensor {
    let x = if x.dtype() == dtype {
        x.clone()
    } else {
        lax::convert_element_type(x, dtype)
    };
    if x.shape() == shape {
        x
    } else {
        numpy::broadcast_to(&x, shape)
    }
}

#[track_caller]
pub(super) fn check_float(dtype: DType, what: &str) {
    assert!(
        dtype.is_float(),
        "random::{what}: dtype must be f32 or f64, got {dtype}"
    );
}
