//! `dot_general`: contraction with batch dimensions (XLA's DotGeneral).

use super::conv::as_dtype;
use super::util::{check_axes, expect_arity, py_list, text};
use super::{ArrayOutputs, Param, PrimRules};
use crate::core::{Aval, Avals, Shape};
use crate::kernels::matmul;
use crate::tensor::{ArrayData, DType};
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
        if lhs.dtype != rhs.dtype {
            return Err(format!(
                "operands must have the same dtype, got {} and {}",
                lhs.dtype, rhs.dtype
            ));
        }
        if lhs.dtype == DType::Bool {
            return Err("operands must be numeric, got bool".into());
        }
        if self.preferred_element_type == Some(DType::Bool) {
            return Err("preferred_element_type must be numeric, got bool".into());
        }
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
        expect_arity(inputs, 2)?;
        Ok(smallvec![self.shape_rule(&inputs[0], &inputs[1])?])
    }

    fn eval(&self, inputs: &[&ArrayData], out: &[Aval]) -> ArrayOutputs {
        // With a preferred element type the product runs in the output dtype.
        let dtype = out[0].dtype;
        let (lhs, rhs) = (as_dtype(inputs[0], dtype), as_dtype(inputs[1], dtype));
        let (lc, rc, lb, rb) = (
            &self.lhs_contracting,
            &self.rhs_contracting,
            &self.lhs_batch,
            &self.rhs_batch,
        );
        let result = match (&*lhs, &*rhs) {
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
}
