//! The functions of `jax.nn` (activations, softmax-family reductions, `one_hot`,
//! `standardize`, `dot_product_attention`), each a composition of public ops as JAX's are,
//! with JAX's custom derivatives where it defines one. `Tensor`'s `relu`, `sigmoid`,
//! `softmax` and `log_softmax` methods live here too.

mod dot_product;
mod pointwise;
mod softmax;

pub use dot_product::*;
pub use pointwise::*;
pub use softmax::*;

use crate::tensor::Tensor;

impl Tensor {
    /// `max(x, 0)`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::from_vec(vec![-1.0f32, 2.0], &[2]).relu().to_vec::<f32>(), vec![0.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn relu(&self) -> Tensor {
        relu(self)
    }

    /// The logistic sigmoid.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// assert_eq!(Tensor::scalar(0.0f32).sigmoid().item::<f32>(), 0.5);
    /// ```
    #[track_caller]
    pub fn sigmoid(&self) -> Tensor {
        sigmoid(self)
    }

    /// Softmax along `axis`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let p = Tensor::from_vec(vec![1.0f32, 1.0], &[2]).softmax(-1);
    /// assert_eq!(p.to_vec::<f32>(), vec![0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn softmax(&self, axis: isize) -> Tensor {
        softmax(self, axis)
    }

    /// Log-softmax along `axis`.
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let p = Tensor::from_vec(vec![0.0f32, 0.0], &[2]).log_softmax(-1);
    /// assert!((p.to_vec::<f32>()[0] + std::f32::consts::LN_2).abs() < 1e-6);
    /// ```
    #[track_caller]
    pub fn log_softmax(&self, axis: isize) -> Tensor {
        log_softmax(self, axis)
    }
}
