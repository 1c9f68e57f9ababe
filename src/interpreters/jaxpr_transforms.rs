//! Transformations of closed sub-jaxprs, for higher-order primitives (control flow, calls)
//! whose rules must transform their bodies: forward mode, linearization split into a primal
//! part that also returns residuals and a tangent part that reads them (what reverse mode of
//! `cond` and `scan` needs), and transposition of the tangent part.
//!
//! All jaxprs here are closed (no constvars): captured values are leading invars.

use super::jvp::jvp_flat;
use super::linearize::{linearize_flat, LinearJaxpr};
use super::transpose::backward_pass;
use crate::core::eval_jaxpr;
use crate::core::{trace_to_jaxpr, Aval, Jaxpr};
use crate::prims::BatchAxis;
use crate::tensor::Tensor;
use std::sync::Arc;

/// `j` with its constvars turned into leading invars (JAX's `pe.convert_constvars_jaxpr`): the
/// form a call or control-flow equation runs, with the constants as its leading operands.
pub(crate) fn convert_constvars(j: &Jaxpr) -> Jaxpr {
    let mut j = j.clone();
    let mut invars = std::mem::take(&mut j.constvars);
    invars.append(&mut j.invars);
    j.invars = invars;
    j
}

/// Traces `f` at `avals` into a closure-converted jaxpr (JAX's `closure_convert`): returns it
/// and the values it captured, which must be passed as its leading operands.
pub(crate) fn closure_convert(
    avals: &[Aval],
    f: impl FnOnce(&[Tensor]) -> Vec<Tensor>,
) -> (Arc<Jaxpr>, Vec<Tensor>) {
    let closed = trace_to_jaxpr(avals, f);
    (Arc::new(convert_constvars(&closed.jaxpr)), closed.consts)
}

/// Traces `f` at `avals` into a closed jaxpr, requiring that it captures nothing (its inputs
/// are jaxprs' values, so it cannot).
fn trace_closed(avals: &[Aval], f: impl FnOnce(&[Tensor]) -> Vec<Tensor>) -> Arc<Jaxpr> {
    let (jaxpr, consts) = closure_convert(avals, f);
    assert!(
        consts.is_empty(),
        "internal error: a transformed sub-jaxpr captured {} values",
        consts.len()
    );
    jaxpr
}

/// The forward-mode version of a closed jaxpr: `(xs, ts) -> (ys, tangents of ys)`, one
/// tangent input per input (tangents of non-float inputs are ignored) and one tangent output
/// per output (explicit zeros where symbolically zero).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[2], DType::F32);
/// let body = make_jaxpr(|x: &Tensor| x.sin())(&x).jaxpr;
/// let j = ferrax::transforms::jvp_jaxpr(&body);
/// assert_eq!(j.invars.len(), 2);
/// assert_eq!(j.outvars.len(), 2);
/// ```
pub fn jvp_jaxpr(body: &Arc<Jaxpr>) -> Arc<Jaxpr> {
    let in_avals = body.in_avals();
    let n = in_avals.len();
    let mut avals = in_avals.clone();
    avals.extend(in_avals);
    let body = body.clone();
    trace_closed(&avals, move |args| {
        let (xs, ts) = args.split_at(n);
        let (ys, dys) = jvp_flat(xs, ts, |v| eval_jaxpr(&body, &[], v));
        ys.into_iter().chain(dys).collect()
    })
}

/// A jaxpr linearized: `primal` maps `xs` to `ys ++ residuals`; `tangent` maps
/// `residuals ++ float-input tangents` to output tangents and is linear in the tangents.
///
/// From `linearize_jaxpr_nz` (crate-internal), `primal` takes the values it captured before
/// `xs`, and the tangents and `in_is_float` are those of the differentiated inputs only.
#[derive(Clone, Debug)]
pub struct LinearizedJaxpr {
    pub primal: Arc<Jaxpr>,
    pub tangent: Arc<Jaxpr>,
    /// Types of the residuals (the primal part's trailing outputs, the tangent part's
    /// leading inputs).
    pub res_avals: Vec<Aval>,
    /// Which inputs are floats (have tangent inputs in `tangent`).
    pub in_is_float: Vec<bool>,
    /// Number of outputs of the original jaxpr.
    pub num_outputs: usize,
}

/// Splits a closed jaxpr into its primal part (which also returns the residuals the tangent
/// computation needs) and its linear tangent part.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[3], DType::F64);
/// let body = make_jaxpr(|x: &Tensor| x.sin())(&x).jaxpr;
/// let lin = ferrax::transforms::linearize_jaxpr(&body);
/// assert_eq!(lin.res_avals.len(), 1); // cos(x)
/// assert_eq!(lin.tangent.invars.len(), 2); // the residual, then the tangent
/// ```
pub fn linearize_jaxpr(body: &Arc<Jaxpr>) -> LinearizedJaxpr {
    let (lin, captured) = linearize_jaxpr_nz(body, &vec![true; body.invars.len()]);
    assert!(
        captured.is_empty(),
        "internal error: a transformed sub-jaxpr captured {} values",
        captured.len()
    );
    lin
}

/// Linearizes a closed jaxpr with respect to the inputs marked in `nz` (JAX's
/// `ad.linearize_jaxpr`); the other inputs are held fixed (no tangent). Returns the
/// linearization and the values its primal part captured (rare: constants made by derivative
/// rules), which are the primal part's leading operands:
///
/// - `primal`: `captured ++ xs -> ys ++ residuals` (all inputs, differentiated or not);
/// - `tangent`: `residuals ++ tangents of the differentiated float inputs -> tangents of all
///   outputs` (explicit zeros where symbolically zero), linear in the tangents;
/// - `in_is_float`: one entry per differentiated input.
pub(crate) fn linearize_jaxpr_nz(body: &Arc<Jaxpr>, nz: &[bool]) -> (LinearizedJaxpr, Vec<Tensor>) {
    let in_avals = body.in_avals();
    let mut lin_out: Option<LinearJaxpr> = None;
    let mut num_outputs = 0;
    let (primal, captured) = closure_convert(&in_avals, |xs| {
        let diff: Vec<Tensor> = xs
            .iter()
            .zip(nz)
            .filter(|&(_, &z)| z)
            .map(|(x, _)| x.clone())
            .collect();
        let (ys, lin) = linearize_flat(&diff, |ds| {
            let mut ds = ds.iter();
            let merged: Vec<Tensor> = xs
                .iter()
                .zip(nz)
                .map(|(x, &z)| {
                    if z {
                        ds.next().expect("one per differentiated input").clone()
                    } else {
                        x.clone()
                    }
                })
                .collect();
            eval_jaxpr(body, &[], &merged)
        });
        num_outputs = ys.len();
        let mut outs = ys;
        outs.extend(lin.jaxpr.consts.iter().cloned());
        lin_out = Some(lin);
        outs
    });
    let lin = lin_out.expect("body was traced");
    let res_avals: Vec<Aval> = lin.jaxpr.consts.iter().map(|c| c.aval()).collect();
    // The tangent jaxpr: its constvars (the residuals) become leading invars.
    let tangent = convert_constvars(&lin.jaxpr.jaxpr);
    let lin = LinearizedJaxpr {
        primal,
        tangent: Arc::new(tangent),
        res_avals,
        in_is_float: lin.in_is_float,
        num_outputs,
    };
    (lin, captured)
}

/// The transpose of a tangent jaxpr from [`linearize_jaxpr`]: `(residuals, output
/// cotangents) -> cotangents of its tangent inputs` (explicit zeros where unreached).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::zeros(&[3], DType::F64);
/// let body = make_jaxpr(|x: &Tensor| x * 2.0)(&x).jaxpr;
/// let lin = ferrax::transforms::linearize_jaxpr(&body);
/// let t = ferrax::transforms::transpose_jaxpr(&lin.tangent, lin.res_avals.len());
/// let ct = ferrax::internals::interp::eval_jaxpr(&t, &[], &[Tensor::ones(&[3], DType::F64)]);
/// assert_eq!(ct[0].to_vec::<f64>(), vec![2.0; 3]);
/// ```
pub fn transpose_jaxpr(tangent: &Arc<Jaxpr>, num_res: usize) -> Arc<Jaxpr> {
    let in_avals = tangent.in_avals();
    let out_avals = tangent.out_avals();
    let mut avals: Vec<Aval> = in_avals[..num_res].to_vec();
    avals.extend(out_avals);
    let lin_avals: Vec<Aval> = in_avals[num_res..].to_vec();
    let tangent = tangent.clone();
    trace_closed(&avals, move |args| {
        let (res, cts) = args.split_at(num_res);
        // Treat the residual invars as constvars of the linear map.
        let mut j = (*tangent).clone();
        j.constvars = j.invars.drain(..num_res).collect();
        let cts: Vec<Option<Tensor>> = cts.iter().cloned().map(Some).collect();
        backward_pass(&j, res, &cts)
            .into_iter()
            .zip(&lin_avals)
            .map(|(c, a)| c.unwrap_or_else(|| super::jvp::zeros_of(a)))
            .collect()
    })
}

/// `f` vectorized over `axis` on flat values batched along `in_dims` (`None`: unbatched); its
/// outputs come back batched along `out_dims` (`None` there: unbatched), or all at 0 when
/// `out_dims` is `None`.
pub(crate) fn vmap_leaves(
    xs: &[Tensor],
    in_dims: &[Option<usize>],
    out_dims: Option<&[Option<usize>]>,
    axis: &BatchAxis,
    f: impl Fn(&[Tensor]) -> Vec<Tensor>,
) -> Vec<Tensor> {
    use super::{vmap_with, AxisSpec, VmapSpec};
    let tree = |ds: &[Option<usize>]| {
        AxisSpec::Tree(
            ds.iter()
                .map(|d| d.map_or(AxisSpec::NotMapped, |d| AxisSpec::Axis(d as isize)))
                .collect(),
        )
    };
    let spec = VmapSpec {
        in_axes: tree(in_dims),
        out_axes: out_dims.map_or(AxisSpec::Axis(0), tree),
        axis_size: Some(axis.size),
        axis_name: axis.name.clone(),
    };
    vmap_with(|a: &Vec<Tensor>| f(a), spec)(&xs.to_vec())
}

/// A closed jaxpr vectorized over `axis` (JAX's `batching.batch_jaxpr`): its inputs batched
/// along `in_dims` (`None`: unbatched), its outputs along `out_dims` as in [`vmap_leaves`].
/// Returns the batched jaxpr, closure-converted, and the values it captured (its new leading
/// operands).
pub(crate) fn batch_jaxpr(
    j: &Arc<Jaxpr>,
    in_dims: &[Option<usize>],
    out_dims: Option<&[Option<usize>]>,
    axis: &BatchAxis,
) -> (Arc<Jaxpr>, Vec<Tensor>) {
    let avals: Vec<Aval> = j
        .in_avals()
        .into_iter()
        .zip(in_dims)
        .map(|(mut a, d)| {
            if let Some(d) = d {
                a.shape.insert(*d, axis.size);
            }
            a
        })
        .collect();
    closure_convert(&avals, |a| {
        vmap_leaves(a, in_dims, out_dims, axis, |xs| eval_jaxpr(j, &[], xs))
    })
}
