//! The `fused` primitive the fusion pass emits: a group of elementwise equations run as one
//! step (the jit interpreter compiles its body into one chunked kernel,
//! `interp::fused::FusedKernel`). It evaluates exactly like its body; fused jaxprs are for
//! evaluation, but should one be transformed, its JVP and batching rules run the body under
//! the transformation (inlining it).

use crate::core::{
    eval_jaxpr, eval_with_tensors, ArrayOutputs, Aval, Avals, BatchAxis, BatchResult, Jaxpr,
    JvpResult, Outputs, Param, Prim, PrimRules, SubJaxpr,
};
use crate::interpreters::{jvp_inlined, vmap_leaves};
use crate::tensor::{ArrayData, Tensor};
use std::sync::Arc;

/// A fused elementwise group: its body (closed, no constvars) applied to the operands.
///
/// ```
/// use ferrax::internals::passes::{fuse, FusedOp};
/// use ferrax::prelude::*;
/// let j = make_jaxpr(|x: &Tensor| (x * 2.0).sin())(&Tensor::zeros(&[4], DType::F32));
/// let f = fuse(&j.jaxpr);
/// assert!(f.eqns[0].prim.downcast::<FusedOp>().is_some());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FusedOp {
    pub jaxpr: SubJaxpr,
}

impl FusedOp {
    fn run(&self, inputs: &[Tensor]) -> Vec<Tensor> {
        eval_jaxpr(&self.jaxpr.0, &[], inputs)
    }
}

impl PrimRules for FusedOp {
    fn name(&self) -> &'static str {
        "fused"
    }

    fn params(&self) -> Vec<(&'static str, Param)> {
        vec![("jaxpr", Param::Jaxpr(self.jaxpr.0.clone()))]
    }

    fn abstract_eval(&self, inputs: &[Aval]) -> Result<Avals, String> {
        self.jaxpr.0.expect_inputs("the fused body", inputs)?;
        Ok(self.jaxpr.0.out_avals().into_iter().collect())
    }

    fn eval(&self, inputs: &[&ArrayData], _out: &[Aval]) -> ArrayOutputs {
        eval_with_tensors(inputs, |ts| Outputs::from_vec(self.run(ts)))
    }

    fn jvp(&self, primals: &[Tensor], tangents: &[Option<Tensor>]) -> JvpResult {
        jvp_inlined(primals, tangents, |xs| self.run(xs))
    }

    fn batch(&self, args: &[Tensor], dims: &[Option<usize>], axis: &BatchAxis) -> BatchResult {
        let outs = vmap_leaves(args, dims, None, axis, |xs| self.run(xs));
        let n = outs.len();
        (Outputs::from_vec(outs), vec![Some(0); n])
    }

    fn sub_jaxprs(&self) -> Vec<&Arc<Jaxpr>> {
        vec![&self.jaxpr.0]
    }

    fn replace_sub_jaxprs(&self, new: Vec<Arc<Jaxpr>>) -> Prim {
        let [j]: [Arc<Jaxpr>; 1] = new.try_into().expect("fused: one sub-jaxpr");
        Prim::new(FusedOp { jaxpr: SubJaxpr(j) })
    }

    /// A fused body is already the fusion pass's output.
    fn optimizable_sub_jaxprs(&self) -> bool {
        false
    }
}
