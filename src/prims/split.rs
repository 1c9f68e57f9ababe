//! `split`: an operand cut into consecutive pieces along one axis (JAX's `lax.split`, the
//! primitive behind `jnp.split`). One equation with one output per piece, where a `slice` per
//! piece would be one equation each; and its transpose is one `concatenate` of the pieces'
//! cotangents (zeros where a piece has none), where the slices' transposes are a zero-padded
//! copy per piece and the sums of those copies. A recurrent cell's gates are the case that
//! matters: four pieces of one pre-activation, every step, forward and backward.

use super::util::{batch_at, expect_arity, flat, linear_jvp, py_tuple, text, zeros};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind, Aval, Avals};
use crate::prims::lax;
use crate::tensor::{ArrayData, ArrayElement, Tensor};
use ndarray::{ArrayD, IxDyn};

/// The primitive: pieces of `sizes[i]` elements along `axis`, in order (the sizes add up to
/// the axis' length).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Split {
    /// Length of each piece along `axis`.
    pub sizes: Vec<usize>,
    /// The axis cut.
    pub axis: usize,
}

/// Cuts `x` along `axis` into consecutive pieces of `sizes[i]` elements (`lax.split`); the
/// sizes must add up to the axis' length.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec((0..6).collect::<Vec<i32>>(), &[1, 6]);
/// let parts = ferrax::lax::split(&x, &[2, 4], 1);
/// assert_eq!(parts[0].to_vec::<i32>(), vec![0, 1]);
/// assert_eq!(parts[1].to_vec::<i32>(), vec![2, 3, 4, 5]);
/// ```
#[track_caller]
pub fn split(x: &Tensor, sizes: &[usize], axis: usize) -> Vec<Tensor> {
    let prim = Prim::new(Split {
        sizes: sizes.to_vec(),
        axis,
    });
    bind(&prim, std::slice::from_ref(x)).into_iter().collect()
}

impl PrimRules for Split {
    fn name(&self) -> &'static str {
        "split"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![
            ("axis", text(self.axis.to_string())),
            ("sizes", text(py_tuple(&self.sizes))),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        expect_arity(inputs, 1)?;
        let x = &inputs[0];
        if self.axis >= x.ndim() {
            return Err(format!("axis {} is out of range for {x}", self.axis));
        }
        let total = self.sizes.iter().try_fold(0usize, |a, &s| a.checked_add(s));
        if total != Some(x.shape[self.axis]) {
            return Err(format!(
                "sizes {} do not add up to the length {} of axis {} of {x}",
                py_tuple(&self.sizes),
                x.shape[self.axis],
                self.axis
            ));
        }
        Ok(self
            .sizes
            .iter()
            .map(|&s| {
                let mut shape = x.shape.clone();
                shape[self.axis] = s;
                Aval::new(&shape, x.dtype)
            })
            .collect())
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        if let Some(r) = super::util::eval_on_base_types(inputs, out, &|i, o| self.eval(i, o)) {
            return r;
        }
        crate::dispatch_base_array!(inputs[0], a, T => {
            split_kernel(a, &self.sizes, self.axis)
                .into_iter()
                .zip(out)
                .map(|(data, aval)| {
                    T::wrap(ArrayD::from_shape_vec(IxDyn(&aval.shape), data).expect("sizes match"))
                })
                .collect()
        })
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        linear_jvp(&Prim::new(self.clone()), primals, tangents)
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        // The batch dim stays where it is; the cut axis moves past it when it lies at or
        // after it.
        let b = dims[0].unwrap_or(0);
        let x = batch_at(&args[0], dims[0], axis.size, b);
        let cut = self.axis + usize::from(self.axis >= b);
        let outs = bind(
            &Prim::new(Split {
                sizes: self.sizes.clone(),
                axis: cut,
            }),
            &[x],
        );
        let n = outs.len();
        (outs, vec![Some(b); n])
    }

    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        if !args[0].is_linear() || cts.iter().all(Option::is_none) {
            return vec![None];
        }
        let x = args[0].aval();
        let pieces: Vec<Tensor> = cts
            .iter()
            .zip(&self.sizes)
            .map(|(ct, &s)| {
                ct.clone().unwrap_or_else(|| {
                    let mut shape = x.shape.clone();
                    shape[self.axis] = s;
                    zeros(&Aval::new(&shape, x.dtype))
                })
            })
            .collect();
        vec![Some(lax::concatenate(&pieces, self.axis))]
    }
}

/// The pieces' elements, row-major: for each index of the dims before `axis`, piece `i` takes
/// the next `sizes[i] * inner` contiguous elements of the operand (`inner`: the product of
/// the dims after `axis`), so each piece is a sequence of whole-run copies.
fn split_kernel<T: Clone>(a: &ArrayD<T>, sizes: &[usize], axis: usize) -> Vec<Vec<T>> {
    let inner: usize = a.shape()[axis + 1..].iter().product();
    let outer: usize = a.shape()[..axis].iter().product();
    let src = flat(a);
    let row = a.shape()[axis] * inner;
    let mut pieces: Vec<Vec<T>> = sizes
        .iter()
        .map(|s| Vec::with_capacity(outer * s * inner))
        .collect();
    for o in 0..outer {
        let mut at = o * row;
        for (piece, &s) in pieces.iter_mut().zip(sizes) {
            piece.extend_from_slice(&src[at..at + s * inner]);
            at += s * inner;
        }
    }
    pieces
}
