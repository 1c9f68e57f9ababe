//! The lax-style methods of [`Tensor`]: unary `-`, the elementwise functions (`x.sin()`),
//! `powi`, `not` and `cast`, each a thin call into `crate::lax` (see `numpy/methods.rs` for
//! the operators and the numpy-style methods).

use crate::lax;
use crate::tensor::{DType, Tensor};
use std::ops::Neg;

impl Neg for Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        lax::neg(&self)
    }
}

impl Neg for &Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        lax::neg(self)
    }
}

macro_rules! unary_methods {
    ($($name:ident),* $(,)?) => {
        impl Tensor {$(
            #[doc = concat!("Elementwise `", stringify!($name), "` (see [`lax::", stringify!($name), "`]).")]
            #[track_caller]
            pub fn $name(&self) -> Tensor {
                lax::$name(self)
            }
        )*}
    };
}
unary_methods!(
    sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, tanh, exp, exp2, log, log1p,
    expm1, sqrt, rsqrt, cbrt, abs, sign, floor, ceil, square, erf, erf_inv, lgamma, digamma,
    is_finite, logistic,
);

impl Tensor {
    /// `self ** n` for an integer constant (`integer_pow`).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::scalar(2.0f32).powi(3).item::<f32>(), 8.0);
    /// ```
    #[track_caller]
    pub fn powi(&self, n: i32) -> Tensor {
        lax::integer_pow(self, n)
    }

    /// Logical not (bool) / bitwise not (integers).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::scalar(true).not().item::<bool>(), false);
    /// ```
    #[track_caller]
    #[allow(clippy::should_implement_trait)]
    pub fn not(&self) -> Tensor {
        lax::not(self)
    }

    /// Converts to `dtype`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::scalar(2.7f32).cast(DType::I32).item::<i32>(), 2);
    /// ```
    #[track_caller]
    pub fn cast(&self, dtype: DType) -> Tensor {
        lax::convert_element_type(self, dtype)
    }
}
