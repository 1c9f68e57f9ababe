//! Reverse mode and the derived transformations: `vjp`, `grad`, `value_and_grad` (with and
//! without aux), `jacfwd`, `jacrev`, `hessian`. Reverse mode is linearize + transpose.

use super::jvp::{jvp, zeros_of};
use super::linearize::{leaves_shaped_like, linearize_flat, linearize_tree, LinearJaxpr};
use super::transpose::backward_pass;
use super::vmap::{vmap, vmap_with, VmapSpec};
use crate::tensor::Tensor;
use crate::tree::{PyTree, TreeDef};

/// Pulls output cotangents (`None` = zero) back through a linearized function to input
/// cotangents (zeros for non-float inputs and unreachable ones).
fn pull_back(lin: &LinearJaxpr, cts: &[Option<Tensor>]) -> Vec<Tensor> {
    let mut float_cts = backward_pass(&lin.jaxpr.jaxpr, &lin.jaxpr.consts, cts).into_iter();
    lin.in_avals
        .iter()
        .zip(&lin.in_is_float)
        .map(|(aval, is_float)| {
            let ct = if *is_float {
                float_cts.next().expect("one cotangent per float input")
            } else {
                None
            };
            ct.unwrap_or_else(|| zeros_of(aval))
        })
        .collect()
}

/// Runs `f` at `x` and returns its output with the pullback: the vector-Jacobian product
/// `ct ↦ ctᵀ J` (`jax.vjp`). The pullback can be called many times.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// let (y, pullback) = vjp(|x: &Tensor| x * x, &x);
/// let gx = pullback(&Tensor::ones(&[2], DType::F32));
/// assert_eq!(gx.to_vec::<f32>(), vec![2.0, 4.0]);
/// assert_eq!(y.to_vec::<f32>(), vec![1.0, 4.0]);
/// ```
#[track_caller]
pub fn vjp<P: PyTree, O: PyTree, F: FnOnce(&P) -> O>(
    f: F,
    x: &P,
) -> (O, impl Fn(&O) -> P + use<P, O, F>) {
    let (y, lin, def, out_def) = linearize_tree(f, x);
    let pullback = move |ct: &O| {
        let cts = leaves_shaped_like(ct, &out_def, "vjp: cotangent", "the output's");
        for (i, (c, a)) in cts.iter().zip(&lin.out_avals).enumerate() {
            assert!(
                c.shape() == a.shape.as_slice() && c.dtype() == a.dtype,
                "vjp: cotangent {i} has type {} but the output has type {a}",
                c.aval()
            );
        }
        let cts: Vec<Option<Tensor>> = cts.into_iter().map(Some).collect();
        P::unflatten(&def, pull_back(&lin, &cts))
    };
    (y, pullback)
}

/// Options of [`grad_with`], [`jacfwd_with`] and [`jacrev_with`] (JAX's keyword arguments
/// of `jax.grad`, `jax.jacfwd`, `jax.jacrev`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::{grad_with, GradOptions};
/// use num_complex::Complex32;
/// // d/dz z^2 = 2z for a holomorphic function of a complex input.
/// let z = Tensor::scalar(Complex32::new(1.0, 2.0));
/// let g = grad_with(|z: &Tensor| z * z, GradOptions { holomorphic: true })(&z);
/// assert_eq!(g.item::<Complex32>(), Complex32::new(2.0, 4.0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GradOptions {
    /// The function is holomorphic: complex inputs, complex output, and the derivative is
    /// the complex derivative (`holomorphic=True`). Without it a complex output is an error
    /// (take its real part), as in JAX.
    pub holomorphic: bool,
}

/// Checks that a loss is a scalar `grad` can differentiate: real (float) unless holomorphic,
/// complex if holomorphic.
#[track_caller]
fn check_scalar_loss(y: &Tensor, what: &str, opts: GradOptions) {
    assert!(
        y.ndim() == 0,
        "{what}: the function must return a scalar, got {}; use vjp or jacrev for non-scalar \
         outputs",
        y.aval()
    );
    if opts.holomorphic {
        assert!(
            y.dtype().is_complex(),
            "{what} with holomorphic=true: the function must return a complex scalar, got {}",
            y.aval()
        );
    } else {
        assert!(
            y.dtype().is_float(),
            "{what}: the function must return a real float scalar (f32[], f64[], bf16[] or f16[]), got {}; \
             for a holomorphic function pass GradOptions {{ holomorphic: true }}, else \
             differentiate its real part",
            y.aval()
        );
    }
}

/// Checks that every input leaf can be differentiated: float or complex (complex only, if
/// holomorphic); gradients of integer inputs are not defined.
#[track_caller]
fn check_float_inputs(x: &impl PyTree, what: &str, opts: GradOptions) {
    for (i, leaf) in x.leaves().iter().enumerate() {
        assert!(
            leaf.dtype().is_inexact(),
            "{what}: input leaf {i} has dtype {}; only float and complex inputs can be \
             differentiated (close over integer data instead of passing it as an argument)",
            leaf.dtype()
        );
        assert!(
            !opts.holomorphic || leaf.dtype().is_complex(),
            "{what} with holomorphic=true: input leaf {i} has dtype {}, not a complex dtype",
            leaf.dtype()
        );
    }
}

/// The value and gradient of a scalar function, with an auxiliary output carried along.
#[track_caller]
fn value_aux_and_grad<P: PyTree, A: PyTree>(
    f: impl FnOnce(&P) -> (Tensor, A),
    x: &P,
    what: &str,
) -> ((Tensor, A), P) {
    value_aux_and_grad_opts(f, x, what, GradOptions::default())
}

/// [`value_aux_and_grad`] with options.
#[track_caller]
fn value_aux_and_grad_opts<P: PyTree, A: PyTree>(
    f: impl FnOnce(&P) -> (Tensor, A),
    x: &P,
    what: &str,
    opts: GradOptions,
) -> ((Tensor, A), P) {
    check_float_inputs(x, what, opts);
    let def = x.treedef();
    let mut aux_def: Option<TreeDef> = None;
    // The aux leaves ride along as extra outputs so they come back as primal values (no
    // tracers of the differentiation escape); their cotangents are zero.
    let (mut ys, lin) = linearize_flat(&x.leaves(), |leaves| {
        let (y, a) = f(&P::unflatten(&def, leaves.to_vec()));
        aux_def = Some(a.treedef());
        let mut outs = vec![y];
        outs.extend(a.leaves());
        outs
    });
    let aux = A::unflatten(&aux_def.expect("function was called"), ys.split_off(1));
    let y = ys.pop().expect("one output");
    check_scalar_loss(&y, what, opts);
    let mut cts: Vec<Option<Tensor>> = vec![None; lin.out_avals.len()];
    cts[0] = Some(Tensor::ones(&[], y.dtype()));
    let g = P::unflatten(&def, pull_back(&lin, &cts));
    ((y, aux), g)
}

/// The gradient of a scalar function of a pytree (`jax.grad`): returns a function giving a
/// tree of the same structure as the input.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![0.0f32, 1.0], &[2]);
/// let g = grad(|x: &Tensor| (x.sin() * x).sum())(&x);
/// let expect: Vec<f32> = [0.0f32, 1.0].iter().map(|&v| v.cos() * v + v.sin()).collect();
/// assert_eq!(g.to_vec::<f32>(), expect);
/// ```
pub fn grad<P: PyTree, F: Fn(&P) -> Tensor>(f: F) -> impl Fn(&P) -> P {
    move |x: &P| value_aux_and_grad(|p: &P| (f(p), ()), x, "grad").1
}

/// [`grad`] with options (`jax.grad(f, holomorphic=True)`). The gradient of a real-valued
/// function of complex inputs needs no option and is JAX's: the cotangent pulled back through
/// plain linear transposes, which for `f(z) = |z|^2` is `2 conj(z)`.
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::{grad_with, GradOptions};
/// use num_complex::Complex64;
/// let z = Tensor::scalar(Complex64::new(1.0, 2.0));
/// let g = grad_with(|z: &Tensor| (z * z).exp(), GradOptions { holomorphic: true })(&z);
/// let w = Complex64::new(1.0, 2.0);
/// assert!((g.item::<Complex64>() - 2.0 * w * (w * w).exp()).norm() < 1e-12);
/// ```
pub fn grad_with<P: PyTree, F: Fn(&P) -> Tensor>(f: F, opts: GradOptions) -> impl Fn(&P) -> P {
    move |x: &P| value_aux_and_grad_opts(|p: &P| (f(p), ()), x, "grad", opts).1
}

/// The value and the gradient of a scalar function (`jax.value_and_grad`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::scalar(3.0f64);
/// let (v, g) = value_and_grad(|x: &Tensor| x * x)(&x);
/// assert_eq!((v.item::<f64>(), g.item::<f64>()), (9.0, 6.0));
/// ```
pub fn value_and_grad<P: PyTree, F: Fn(&P) -> Tensor>(f: F) -> impl Fn(&P) -> (Tensor, P) {
    move |x: &P| {
        let ((v, ()), g) = value_aux_and_grad(|p: &P| (f(p), ()), x, "value_and_grad");
        (v, g)
    }
}

/// The gradient of a function returning `(loss, aux)`; returns `(gradient, aux)`
/// (`jax.grad(..., has_aux=True)`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::scalar(2.0f32);
/// let (g, aux) = grad_with_aux(|x: &Tensor| (x * x, x * 10.0))(&x);
/// assert_eq!((g.item::<f32>(), aux.item::<f32>()), (4.0, 20.0));
/// ```
pub fn grad_with_aux<P: PyTree, A: PyTree, F: Fn(&P) -> (Tensor, A)>(
    f: F,
) -> impl Fn(&P) -> (P, A) {
    move |x: &P| {
        let ((_, aux), g) = value_aux_and_grad(&f, x, "grad_with_aux");
        (g, aux)
    }
}

/// `((loss, aux), gradient)` of a function returning `(loss, aux)`
/// (`jax.value_and_grad(..., has_aux=True)`).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::scalar(2.0f32);
/// let ((v, aux), g) = value_and_grad_with_aux(|x: &Tensor| (x * x, x + 1.0))(&x);
/// assert_eq!((v.item::<f32>(), aux.item::<f32>(), g.item::<f32>()), (4.0, 3.0, 4.0));
/// ```
pub fn value_and_grad_with_aux<P: PyTree, A: PyTree, F: Fn(&P) -> (Tensor, A)>(
    f: F,
) -> impl Fn(&P) -> ((Tensor, A), P) {
    move |x: &P| value_aux_and_grad(&f, x, "value_and_grad_with_aux")
}

/// The standard basis of a tensor type as one array: `[n, shape...]` with row `i` the one-hot
/// tensor of element `i` (row-major), `n` the number of elements.
fn identity_basis(shape: &[usize], dtype: crate::DType) -> Tensor {
    let n: usize = shape.iter().product();
    let mut eye = vec![0.0; n * n];
    for i in 0..n {
        eye[i * n + i] = 1.0;
    }
    let mut full = vec![n];
    full.extend_from_slice(shape);
    Tensor::from_f64_values(&eye, &full, dtype)
}

/// A Jacobian computed with flattened input (jacfwd: `[out.., n_in]`) or output (jacrev:
/// `[n_out, in..]`) axes, reshaped to `out_shape + in_shape` (row-major order agrees).
fn reshape_jacobian(jac: &Tensor, out_shape: &[usize], in_shape: &[usize]) -> Tensor {
    let mut full = out_shape.to_vec();
    full.extend_from_slice(in_shape);
    crate::prims::lax::reshape(jac, &full)
}

/// The Jacobian of a tensor function by forward mode: one `jvp` vectorized with [`vmap`]
/// over the standard basis of the input (a single traced call of `f`, as `jax.jacfwd`).
/// Shape: `out.shape + in.shape`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
/// let j = jacfwd(|x: &Tensor| x * x)(&x);
/// assert_eq!(j.to_vec::<f64>(), vec![2.0, 0.0, 0.0, 4.0]);
/// ```
///
/// [`vmap`]: crate::interpreters::vmap
pub fn jacfwd<F: Fn(&Tensor) -> Tensor>(f: F) -> impl Fn(&Tensor) -> Tensor {
    move |x: &Tensor| {
        let basis = identity_basis(x.shape(), x.dtype());
        // Columns stacked last: [out.., n_in].
        let push = vmap_with(|t: &Tensor| jvp(&f, x, t).1, VmapSpec::new().out_axes(-1));
        let cols = push(&basis);
        let out_shape = &cols.shape()[..cols.ndim() - 1];
        reshape_jacobian(&cols, out_shape, x.shape())
    }
}

/// The Jacobian of a tensor function by reverse mode: one pullback vectorized with [`vmap`]
/// over the standard basis of the output (`f` is linearized once, as `jax.jacrev`).
/// Shape: `out.shape + in.shape`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
/// let j = jacrev(|x: &Tensor| x.sum() * x)(&x);
/// assert_eq!(j.to_vec::<f64>(), vec![4.0, 1.0, 2.0, 5.0]);
/// ```
///
/// [`vmap`]: crate::interpreters::vmap
pub fn jacrev<F: Fn(&Tensor) -> Tensor>(f: F) -> impl Fn(&Tensor) -> Tensor {
    move |x: &Tensor| {
        let (y, pullback) = vjp(&f, x);
        let basis = identity_basis(y.shape(), y.dtype());
        // Rows stacked first: [n_out, in..].
        let rows = vmap(|ct: &Tensor| pullback(ct))(&basis);
        reshape_jacobian(&rows, y.shape(), x.shape())
    }
}

/// [`jacfwd`] with options: without `holomorphic` the input must be real, as in JAX (a
/// complex input needs `holomorphic: true`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::{jacfwd_with, GradOptions};
/// use num_complex::Complex64;
/// let z = Tensor::from_vec(vec![Complex64::new(0.0, 1.0)], &[1]);
/// let j = jacfwd_with(|z: &Tensor| z * z, GradOptions { holomorphic: true })(&z);
/// assert_eq!(j.to_vec::<Complex64>(), vec![Complex64::new(0.0, 2.0)]);
/// ```
#[track_caller]
pub fn jacfwd_with<F: Fn(&Tensor) -> Tensor>(
    f: F,
    opts: GradOptions,
) -> impl Fn(&Tensor) -> Tensor {
    let jac = jacfwd(f);
    move |x: &Tensor| {
        check_jacobian_dtype("jacfwd", "input", x.dtype(), opts);
        jac(x)
    }
}

/// [`jacrev`] with options: without `holomorphic` the output must be real, as in JAX (a
/// complex output needs `holomorphic: true`).
///
/// ```
/// use ferrax::prelude::*;
/// use ferrax::transforms::{jacrev_with, GradOptions};
/// use num_complex::Complex64;
/// let z = Tensor::from_vec(vec![Complex64::new(0.0, 1.0)], &[1]);
/// let j = jacrev_with(|z: &Tensor| z * z, GradOptions { holomorphic: true })(&z);
/// assert_eq!(j.to_vec::<Complex64>(), vec![Complex64::new(0.0, 2.0)]);
/// ```
#[track_caller]
pub fn jacrev_with<F: Fn(&Tensor) -> Tensor>(
    f: F,
    opts: GradOptions,
) -> impl Fn(&Tensor) -> Tensor {
    move |x: &Tensor| {
        let (y, pullback) = vjp(&f, x);
        check_jacobian_dtype("jacrev", "output", y.dtype(), opts);
        if opts.holomorphic {
            check_jacobian_dtype("jacrev", "input", x.dtype(), opts);
        }
        let basis = identity_basis(y.shape(), y.dtype());
        let rows = vmap(|ct: &Tensor| pullback(ct))(&basis);
        reshape_jacobian(&rows, y.shape(), x.shape())
    }
}

/// JAX's dtype rule of the Jacobians: real unless holomorphic, complex if holomorphic.
#[track_caller]
fn check_jacobian_dtype(what: &str, side: &str, d: crate::DType, opts: GradOptions) {
    if opts.holomorphic {
        assert!(
            d.is_complex(),
            "{what} with holomorphic=true: the {side} must be complex, got {d}"
        );
    } else {
        assert!(
            d.is_float(),
            "{what}: the {side} must be real (a float dtype), got {d}; for a holomorphic \
             function pass GradOptions {{ holomorphic: true }}"
        );
    }
}

/// The Hessian of a scalar function: `jacfwd(jacrev(f))`. Shape: `in.shape + in.shape`.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]);
/// let h = hessian(|x: &Tensor| (x * x * x).sum())(&x);
/// assert_eq!(h.to_vec::<f64>(), vec![6.0, 0.0, 0.0, 12.0]);
/// ```
pub fn hessian<F: Fn(&Tensor) -> Tensor>(f: F) -> impl Fn(&Tensor) -> Tensor {
    jacfwd(jacrev(f))
}
