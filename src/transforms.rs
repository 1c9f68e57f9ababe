//! Function transformations.
//!
//! # NaN-safe gradients: the double-`where` pattern
//!
//! `where(c, f(x), y)` differentiates *both* branches and multiplies the unused one's
//! derivative by zero; if that derivative is infinite (`sqrt` at 0, `log` at 0) the product is
//! NaN (jax #1052, #5798). Make the unused branch's *input* safe with an inner `where`:
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::numpy::where_;
//! let x = Tensor::from_vec(vec![0.0f64, 4.0], &[2]);
//! let naive = |x: &Tensor| where_(&x.gt(0.0), x.sqrt(), 0.0).sum();
//! assert!(grad(naive)(&x).to_vec::<f64>()[0].is_nan());
//! let safe = |x: &Tensor| {
//!     let pos = x.gt(0.0);
//!     let safe_x = where_(&pos, x, 1.0); // the sqrt never sees 0
//!     where_(&pos, safe_x.sqrt(), 0.0).sum()
//! };
//! assert_eq!(grad(safe)(&x).to_vec::<f64>(), vec![0.0, 0.25]);
//! ```
//!
//! The library's own `relu`, `sigmoid`, `softmax`, `log_softmax` and `logsumexp` are written
//! so their gradients stay finite at 0, at ±1e30 logits and with `-inf` masked entries.
//! Each works by running the user's function under a trace:
//! `jvp` (forward mode), `linearize` (forward mode with the primal computed once),
//! `vjp`/`grad` (linearize, then transpose the linear jaxpr), and the Jacobian helpers;
//! `vmap` batches, `jit` traces once per signature and runs a compiled program.
//!
//! This module is the public face: the interpreters live in `interpreters/`, `jit` and the
//! custom-derivative rules with the higher-order primitives in `control_flow/`.

pub use crate::control_flow::{
    checkpoint, compile_log_message, custom_jvp, custom_vjp, jit, jit_jaxpr, jit_with,
    linear_transpose, remat, stop_gradient, JitOptions, Jitted, Signature,
};
pub use crate::interpreters::{
    backward_pass, grad, grad_with, grad_with_aux, hessian, jacfwd, jacfwd_with, jacrev,
    jacrev_with, jvp, jvp_jaxpr, linearize, linearize_jaxpr, transpose_jaxpr, value_and_grad,
    value_and_grad_with_aux, vjp, vmap, vmap_with, AxisSpec, GradOptions, LinearJaxpr,
    LinearizedJaxpr, VmapSpec,
};

pub use crate::core::{eval_shape, OutputShapes};
pub use crate::prims::callback::{pure_callback, VmapMethod};
pub use function::Function;

mod function {
    use std::fmt;
    use std::sync::Arc;

    /// A transformed function as a value with a name: `jit(f)`, `grad(f)`, `vmap(f)` and
    /// friends return closures of unnameable types, which a struct field, a notebook cell
    /// (evcxr persists only variables whose type it can write) or a `Vec` of steps cannot
    /// hold. Every such closure converts into a `Function` (an `Arc`'d `Fn(&P) -> O`:
    /// cheap to clone, `Send + Sync`), called with [`call`](Function::call).
    ///
    /// ```
    /// use ferrax::prelude::*;
    /// let fast: Function<Tensor, Tensor> = jit(|x: &Tensor| (x.sin() * 2.0).sum()).into();
    /// let slope: Function<Tensor, Tensor> = grad(|x: &Tensor| (x * x).sum()).into();
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// assert!((fast.call(&x).item::<f32>() - 2.0 * (1.0f32.sin() + 2.0f32.sin())).abs() < 1e-6);
    /// assert_eq!(slope.call(&x).to_vec::<f32>(), vec![2.0, 4.0]);
    /// // Stored beside other state, and transformed again (as_fn gives back a plain closure).
    /// struct Steps { update: Function<Tensor, Tensor> }
    /// let s = Steps { update: slope.clone() };
    /// let per_row = vmap(s.update.as_fn());
    /// assert_eq!(per_row(&Tensor::ones(&[3, 2], DType::F32)).shape(), &[3, 2]);
    /// ```
    pub struct Function<P, O>(Arc<dyn Fn(&P) -> O + Send + Sync>);

    impl<P, O> Function<P, O> {
        /// Wraps any `Fn(&P) -> O` (a transformation's result or a plain closure).
        ///
        /// ```
        /// use ferrax::prelude::*;
        /// let double = Function::new(|x: &Tensor| x * 2.0);
        /// assert_eq!(double.call(&Tensor::scalar(1.5f32)).item::<f32>(), 3.0);
        /// ```
        pub fn new(f: impl Fn(&P) -> O + Send + Sync + 'static) -> Function<P, O> {
            Function(Arc::new(f))
        }

        /// Applies the function.
        ///
        /// ```
        /// use ferrax::prelude::*;
        /// let f: Function<Tensor, Tensor> = jit(|x: &Tensor| x + 1.0).into();
        /// assert_eq!(f.call(&Tensor::scalar(1.0f32)).item::<f32>(), 2.0);
        /// ```
        pub fn call(&self, x: &P) -> O {
            (self.0)(x)
        }

        /// A plain closure calling this function, to hand to another transformation
        /// (`grad(f.as_fn())`, `vmap(f.as_fn())`) or to code that takes `impl Fn`.
        ///
        /// ```
        /// use ferrax::prelude::*;
        /// let f = Function::new(|x: &Tensor| (x * x).sum());
        /// let df = grad(f.as_fn());
        /// assert_eq!(df(&Tensor::scalar(3.0f32)).item::<f32>(), 6.0);
        /// ```
        pub fn as_fn(&self) -> impl Fn(&P) -> O + Send + Sync + 'static + use<P, O>
        where
            P: 'static,
            O: 'static,
        {
            let f = self.0.clone();
            move |x: &P| f(x)
        }
    }

    impl<P, O, F: Fn(&P) -> O + Send + Sync + 'static> From<F> for Function<P, O> {
        fn from(f: F) -> Function<P, O> {
            Function::new(f)
        }
    }

    impl<P, O> Clone for Function<P, O> {
        fn clone(&self) -> Self {
            Function(self.0.clone())
        }
    }

    impl<P, O> fmt::Debug for Function<P, O> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(
                f,
                "Function<{}, {}>",
                std::any::type_name::<P>(),
                std::any::type_name::<O>()
            )
        }
    }
}
