//! `dot_general`: contraction with batch dimensions (XLA's DotGeneral).

//!
//! Derivatives follow JAX (`jax/_src/lax/lax.py`): the primitive is bilinear, so its JVP is
//! `dot(t_lhs, rhs) + dot(lhs, t_rhs)` (summed with `add_any`), and its transpose in either
//! operand is another `dot_general` of the cotangent with the other operand, followed by a
//! `transpose` that puts the operand's dims back in order (`_dot_general_transpose_lhs/rhs`).

use super::conv::operands_in_out_dtype;
use super::util::{check_axes, check_numeric_pair, expect_two, py_list, sh, text};
use super::{ArrayOutputs, BatchAxis, BatchResult, JvpResult, LinearArg, Param, Prim, PrimRules};
use crate::core::{bind1, Aval, Avals, Outputs, Shape};
use crate::kernels::matmul;
use crate::prims::lax;
use crate::tensor::{ArrayData, DType, Tensor};
use ndarray::ArrayD;
use smallvec::smallvec;

/// `dot_general[dimension_numbers=((lhs_contracting, rhs_contracting), (lhs_batch,
/// rhs_batch))]`. Output dims: batch, then lhs free, then rhs free (in order).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DotGeneral {
    /// lhs dims summed over, paired in order with `rhs_contracting`.
    pub lhs_contracting: Shape,
    /// rhs dims summed over.
    pub rhs_contracting: Shape,
    /// lhs batch dims, paired in order with `rhs_batch`; they lead the output.
    pub lhs_batch: Shape,
    /// rhs batch dims.
    pub rhs_batch: Shape,
    /// Output dtype, if not the operands'.
    pub preferred_element_type: Option<DType>,
}

impl DotGeneral {
    /// The output aval for operands `lhs` and `rhs`, or what is wrong with them.
    fn shape_rule(&self, lhs: &Aval, rhs: &Aval) -> Result<Aval, String> {
        check_numeric_pair(
            "operands",
            lhs.dtype,
            rhs.dtype,
            self.preferred_element_type,
        )?;
        let (lc, rc, lb, rb) = (
            &self.lhs_contracting,
            &self.rhs_contracting,
            &self.lhs_batch,
            &self.rhs_batch,
        );
        if lc.len() != rc.len() {
            return Err(format!(
                "lhs and rhs need equal numbers of contracting dimensions, got lhs_contracting {:?} and \
                 rhs_contracting {:?}",
                lc.as_slice(),
                rc.as_slice()
            ));
        }
        if lb.len() != rb.len() {
            return Err(format!(
                "lhs and rhs need equal numbers of batch dimensions, got lhs_batch {:?} and rhs_batch {:?}",
                lb.as_slice(),
                rb.as_slice()
            ));
        }
        for (side, aval, c, b) in [("lhs", lhs, lc, lb), ("rhs", rhs, rc, rb)] {
            check_axes(c, aval.ndim(), &format!("{side} contracting dimension"))?;
            check_axes(b, aval.ndim(), &format!("{side} batch dimension"))?;
            if let Some(d) = c.iter().find(|d| b.contains(d)) {
                return Err(format!(
                    "{side} dimension {d} is both a batch and a contracting dimension ({side}_batch {:?}, \
                     {side}_contracting {:?})",
                    b.as_slice(),
                    c.as_slice()
                ));
            }
        }
        for (what, l, r) in [("contracting", lc, rc), ("batch", lb, rb)] {
            for (&i, &j) in l.iter().zip(r.iter()) {
                if lhs.shape[i] != rhs.shape[j] {
                    return Err(format!(
                        "{what} dimensions must have equal sizes, but lhs dimension {i} has size {} and rhs \
                         dimension {j} has size {}",
                        lhs.shape[i], rhs.shape[j]
                    ));
                }
            }
        }
        let mut shape: Shape = lb.iter().map(|&d| lhs.shape[d]).collect();
        shape.extend(
            (0..lhs.ndim())
                .filter(|d| !lc.contains(d) && !lb.contains(d))
                .map(|d| lhs.shape[d]),
        );
        shape.extend(
            (0..rhs.ndim())
                .filter(|d| !rc.contains(d) && !rb.contains(d))
                .map(|d| rhs.shape[d]),
        );
        Ok(Aval {
            shape,
            dtype: self.preferred_element_type.unwrap_or(lhs.dtype),
        })
    }
}

// ---- lax functions (`ferrax::lax`, re-exported through `prims::lax`) ----

/// Dimension numbers of `dot_general`: `((lhs_contracting, rhs_contracting), (lhs_batch,
/// rhs_batch))`, as in JAX.
pub type DotDimensionNumbers<'a> = ((&'a [usize], &'a [usize]), (&'a [usize], &'a [usize]));

/// General contraction; output dims are batch, lhs free, rhs free.
///
/// ```
/// use ferrax::prelude::*;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
/// let v = Tensor::from_vec(vec![1.0f32, 1.0], &[2]);
/// let y = ferrax::lax::dot_general(&a, &v, ((&[1], &[0]), (&[], &[])), None);
/// assert_eq!(y.to_vec::<f32>(), vec![3.0, 7.0]);
/// ```
#[track_caller]
pub fn dot_general(
    lhs: &Tensor,
    rhs: &Tensor,
    dimension_numbers: DotDimensionNumbers<'_>,
    preferred_element_type: Option<DType>,
) -> Tensor {
    let ((lc, rc), (lb, rb)) = dimension_numbers;
    let prim = Prim::new(DotGeneral {
        lhs_contracting: sh(lc),
        rhs_contracting: sh(rc),
        lhs_batch: sh(lb),
        rhs_batch: sh(rb),
        preferred_element_type,
    });
    bind1(&prim, &[lhs.clone(), rhs.clone()])
}

/// A complex `dot_general` from four real ones on the parts (gemm's f32/f64 kernels; ferrax
/// does not build gemm's complex kernels): `(ar + i ai)(br + i bi) = (ar br - ai bi) +
/// i (ar bi + ai br)`.
fn complex_dot<F: crate::ops::FloatElement>(
    a: &ArrayD<num_complex::Complex<F>>,
    b: &ArrayD<num_complex::Complex<F>>,
    dot: impl Fn(&ArrayD<F>, &ArrayD<F>) -> ArrayD<F>,
) -> ArrayD<num_complex::Complex<F>> {
    let (ar, ai) = (a.mapv(|z| z.re), a.mapv(|z| z.im));
    let (br, bi) = (b.mapv(|z| z.re), b.mapv(|z| z.im));
    let re = dot(&ar, &br) - dot(&ai, &bi);
    let im = dot(&ar, &bi) + dot(&ai, &br);
    ndarray::Zip::from(&re)
        .and(&im)
        .map_collect(|&r, &i| num_complex::Complex::new(r, i))
        .as_standard_layout()
        .into_owned()
}

impl PrimRules for DotGeneral {
    fn name(&self) -> &'static str {
        "dot_general"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        let dn = format!(
            "(({}, {}), ({}, {}))",
            py_list(&self.lhs_contracting),
            py_list(&self.rhs_contracting),
            py_list(&self.lhs_batch),
            py_list(&self.rhs_batch)
        );
        let pet = self
            .preferred_element_type
            .map_or("None", |d| d.numpy_name());
        vec![
            ("dimension_numbers", text(dn)),
            ("preferred_element_type", text(pet)),
        ]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        let (lhs, rhs) = expect_two(inputs)?;
        Ok(smallvec![self.shape_rule(lhs, rhs)?])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        let (lhs, rhs) = operands_in_out_dtype(inputs, out);
        let (lc, rc, lb, rb) = (
            &self.lhs_contracting,
            &self.rhs_contracting,
            &self.lhs_batch,
            &self.rhs_batch,
        );
        let d = lhs.dtype();
        if d.widened() != d {
            // bf16/f16 accumulate in f32 and round the output once (XLA on CPU); i8/i16/u8/u16
            // wrap as in the wide type.
            let (a, b) = (lhs.convert(d.widened()), rhs.convert(d.widened()));
            let wide_out = [Aval::new(&out[0].shape, d.widened())];
            return smallvec![self.eval(&[&a, &b], &wide_out)[0].convert(d)];
        }
        let result = match (&*lhs, &*rhs) {
            (ArrayData::C64(a), ArrayData::C64(b)) => ArrayData::C64(complex_dot(a, b, |x, y| {
                matmul::dot_general(x, y, lc, rc, lb, rb)
            })),
            (ArrayData::C128(a), ArrayData::C128(b)) => {
                ArrayData::C128(complex_dot(a, b, |x, y| {
                    matmul::dot_general(x, y, lc, rc, lb, rb)
                }))
            }
            (ArrayData::I64(a), ArrayData::I64(b)) => {
                ArrayData::I64(matmul::dot_general(a, b, lc, rc, lb, rb))
            }
            (ArrayData::U64(a), ArrayData::U64(b)) => {
                ArrayData::U64(matmul::dot_general(a, b, lc, rc, lb, rb))
            }
            (ArrayData::F32(a), ArrayData::F32(b)) => {
                ArrayData::F32(matmul::dot_general(a, b, lc, rc, lb, rb))
            }
            (ArrayData::F64(a), ArrayData::F64(b)) => {
                ArrayData::F64(matmul::dot_general(a, b, lc, rc, lb, rb))
            }
            (ArrayData::I32(a), ArrayData::I32(b)) => {
                ArrayData::I32(matmul::dot_general(a, b, lc, rc, lb, rb))
            }
            (ArrayData::U32(a), ArrayData::U32(b)) => {
                ArrayData::U32(matmul::dot_general(a, b, lc, rc, lb, rb))
            }
            _ => unreachable!("abstract_eval checked the dtypes"),
        };
        smallvec![result]
    }

    /// Bilinear: `dot(t_lhs, rhs) + dot(lhs, t_rhs)`, the two terms summed with `add_any`
    /// (JAX's `defbilinear`).
    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        super::util::bilinear_jvp(&Prim::new(self.clone()), primals, tangents)
    }

    /// JAX's `_dot_general_batch_rule`: no transposes, one `dot_general`. A batch dim on
    /// both operands becomes a new leading dot batch dim; on one operand only it becomes a
    /// free dim of that operand, and the output's batch dim is where that free dim lands.
    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], _axis: &BatchAxis) -> BatchResult {
        let (lhs, rhs) = (&args[0], &args[1]);
        let (dn, out_dim) = self.batch_dim_nums((lhs.ndim(), rhs.ndim()), (dims[0], dims[1]));
        let out = bind1(&Prim::new(dn), &[lhs.clone(), rhs.clone()]);
        (Outputs::from_iter([out]), vec![Some(out_dim)])
    }

    /// Linear in each operand separately (JAX's `_dot_general_transpose_lhs/rhs`).
    fn transpose(&self, cts: &[Option<Tensor>], args: &[LinearArg]) -> Vec<Option<Tensor>> {
        let dims = (
            &self.lhs_contracting[..],
            &self.rhs_contracting[..],
            &self.lhs_batch[..],
            &self.rhs_batch[..],
        );
        let pet = self.preferred_element_type;
        super::util::bilinear_transpose(
            "dot_general",
            cts,
            args,
            |g, x_aval, y| Some(transpose_lhs(g, x_aval, y, dims, pet, false)),
            |g, x, y_aval| {
                let (xc, yc, xb, yb) = dims;
                let swapped = (yc, xc, yb, xb);
                Some(transpose_lhs(g, y_aval, x, swapped, pet, true))
            },
        )
    }
}

/// `dims` renumbered for an operand that gained a dim at `b` (JAX's `bump_dims`).
fn bump_dims(dims: &[usize], b: usize) -> Shape {
    dims.iter().map(|&d| d + (d >= b) as usize).collect()
}

impl DotGeneral {
    /// JAX's `_dot_general_batch_dim_nums`: the dimension numbers of the batched
    /// `dot_general` on operands of ranks `ndims` (batch dims included) batched at
    /// `(lbd, rbd)`, and where the output's batch dim ends up.
    fn batch_dim_nums(
        &self,
        (lhs_ndim, rhs_ndim): (usize, usize),
        (lbd, rbd): (Option<usize>, Option<usize>),
    ) -> (DotGeneral, usize) {
        let mut dn = self.clone();
        let out_dim = match (lbd, rbd) {
            (Some(l), Some(r)) => {
                // The vmapped dims become an extra dot batch dim, put first.
                dn.lhs_batch = std::iter::once(l)
                    .chain(bump_dims(&self.lhs_batch, l))
                    .collect();
                dn.rhs_batch = std::iter::once(r)
                    .chain(bump_dims(&self.rhs_batch, r))
                    .collect();
                dn.lhs_contracting = bump_dims(&self.lhs_contracting, l);
                dn.rhs_contracting = bump_dims(&self.rhs_contracting, r);
                0
            }
            (Some(l), None) => {
                // An extra free dim of the lhs: the output has the batch dims, then the
                // lhs free dims in order.
                dn.lhs_batch = bump_dims(&self.lhs_batch, l);
                dn.lhs_contracting = bump_dims(&self.lhs_contracting, l);
                let before = free_before(l, lhs_ndim, &dn.lhs_contracting, &dn.lhs_batch);
                self.lhs_batch.len() + before
            }
            (None, Some(r)) => {
                // An extra free dim of the rhs: after the batch dims and all lhs free dims.
                dn.rhs_batch = bump_dims(&self.rhs_batch, r);
                dn.rhs_contracting = bump_dims(&self.rhs_contracting, r);
                let before = free_before(r, rhs_ndim, &dn.rhs_contracting, &dn.rhs_batch);
                lhs_ndim - self.lhs_contracting.len() + before
            }
            (None, None) => unreachable!("batching rule called with no batched operand"),
        };
        (dn, out_dim)
    }
}

/// Contracting and batch dims of the operand being transposed (`x`) and the other one (`y`):
/// `(x_contract, y_contract, x_batch, y_batch)`.
type Dims<'a> = (&'a [usize], &'a [usize], &'a [usize], &'a [usize]);

/// Dims of `0..ndim` that are neither contracting nor batch, in order.
fn remaining(ndim: usize, contract: &[usize], batch: &[usize]) -> Vec<usize> {
    (0..ndim)
        .filter(|d| !contract.contains(d) && !batch.contains(d))
        .collect()
}

/// How many of an operand's free dims (see [`remaining`]) come before its dim `d`.
fn free_before(d: usize, ndim: usize, contract: &[usize], batch: &[usize]) -> usize {
    remaining(ndim, contract, batch)
        .iter()
        .filter(|&&f| f < d)
        .count()
}

/// The indices that sort `xs` (stable), as numpy's `argsort`.
fn argsort(xs: &[usize]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..xs.len()).collect();
    idx.sort_by_key(|&i| xs[i]);
    idx
}

/// JAX's `_dot_general_transpose_lhs`: the cotangent of operand `x` (of type `x_aval`) of a
/// `dot_general` whose other operand is `y`, given the output cotangent `g`. `swap_ans` says
/// `x` was the rhs (its free dims come after `y`'s in the output).
fn transpose_lhs(
    g: &Tensor,
    x_aval: &Aval,
    y: &Tensor,
    (x_contract, y_contract, x_batch, y_batch): Dims<'_>,
    preferred_element_type: Option<DType>,
    swap_ans: bool,
) -> Tensor {
    let x_kept = remaining(x_aval.ndim(), x_contract, x_batch);
    let y_kept = remaining(y.ndim(), y_contract, y_batch);
    let nb = x_batch.len();
    let ans_batch: Vec<usize> = (0..nb).collect();
    let ans_y: Vec<usize> = if swap_ans {
        (nb..nb + y_kept.len()).collect()
    } else {
        let start = nb + x_kept.len();
        (start..start + y_kept.len()).collect()
    };
    // The product runs in the cotangent's dtype (`g` has the preferred element type).
    let y = if y.dtype() != g.dtype() {
        lax::convert_element_type(y, g.dtype())
    } else {
        y.clone()
    };
    let out = lax::dot_general(
        g,
        &y,
        ((&ans_y, &y_kept), (&ans_batch, y_batch)),
        preferred_element_type,
    );
    let x_contract_sorted_by_y: Vec<usize> =
        argsort(y_contract).iter().map(|&i| x_contract[i]).collect();
    let mut unsorted_axes: Vec<usize> = x_batch.to_vec();
    unsorted_axes.extend(&x_kept);
    unsorted_axes.extend(&x_contract_sorted_by_y);
    let out_axes = argsort(&unsorted_axes);
    let x_bar = if out_axes.iter().enumerate().all(|(i, &a)| i == a) {
        out
    } else {
        lax::transpose(&out, &out_axes)
    };
    if x_bar.dtype() != x_aval.dtype {
        lax::convert_element_type(&x_bar, x_aval.dtype)
    } else {
        x_bar
    }
}
