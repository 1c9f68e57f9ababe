//! Export to ONNX (opset 17): a traced function as a `.onnx` model file that onnxruntime,
//! tract or any other ONNX runtime runs.
//!
//! The argument's leaves are the graph inputs `input_0`, `input_1`, ... (in flatten order),
//! the result's leaves the outputs `output_0`, ...; captured tensors become initializers.
//! Each primitive lowers to the ONNX operators that compute it (`lower*.rs`); one with no
//! ONNX form is an [`ExportError::Unsupported`] naming it and the user's line that applied it
//! (when the trace knows it), and nothing is written.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::export;
//! let w = Tensor::from_vec(vec![0.5f32, -1.0, 2.0, 0.25, 1.5, -0.5], &[3, 2]);
//! let x = Tensor::ones(&[4, 3], DType::F32);
//! let path = std::env::temp_dir().join("ferrax_onnx_doc.onnx");
//! export::onnx::save_with(|x: &Tensor| ferrax::nn::relu(&x.matmul(&w)), &x, &path,
//!     export::onnx::Options { dynamic_batch: true, ..Default::default() }).unwrap();
//! # std::fs::remove_file(&path).unwrap();
//! ```

mod builder;
mod lower;
mod lower_control;
mod lower_index;
mod lower_nn;
mod lower_shape;
#[allow(clippy::all, missing_docs, rustdoc::all)]
#[rustfmt::skip]
#[path = "proto/onnx.rs"]
mod proto;

use super::{trace, write_atomic, Dim, ExportError};
use crate::tree::PyTree;
use builder::{value_info, Emitter};
use prost::Message;
use std::path::Path;

/// The ONNX operator set the exported models use.
pub const OPSET: i64 = 17;

/// How [`save_with`] writes the model.
///
/// ```
/// let o = ferrax::export::onnx::Options { dynamic_batch: true, ..Default::default() };
/// assert!(o.dynamic_batch);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Makes the leading dim of every input symbolic (`batch`), so the model runs at any
    /// batch size; dims that derive from it (found by tracing) follow it.
    pub dynamic_batch: bool,
    /// A description stored in the model (`ModelProto.doc_string`), shown by model viewers.
    pub doc_string: String,
}

/// Traces `f` on `example` and writes it to `path` as an ONNX model with the example's shapes.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, -2.0, 3.0], &[3]);
/// let path = std::env::temp_dir().join("ferrax_onnx_save_doc.onnx");
/// ferrax::export::onnx::save(|x: &Tensor| x.abs().maximum(&x.sin()), &x, &path).unwrap();
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn save<P: PyTree, O: PyTree>(
    f: impl Fn(&P) -> O,
    example: &P,
    path: impl AsRef<Path>,
) -> Result<(), ExportError> {
    save_with(f, example, path, Options::default())
}

/// [`save`] with [`Options`] (a dynamic batch).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::ones(&[2, 5], DType::F32);
/// let path = std::env::temp_dir().join("ferrax_onnx_save_with_doc.onnx");
/// let opts = ferrax::export::onnx::Options { dynamic_batch: true, ..Default::default() };
/// ferrax::export::onnx::save_with(|x: &Tensor| x.sum_axes(&[1]), &x, &path, opts).unwrap();
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn save_with<P: PyTree, O: PyTree>(
    f: impl Fn(&P) -> O,
    example: &P,
    path: impl AsRef<Path>,
    options: Options,
) -> Result<(), ExportError> {
    let traced = trace(f, example, options.dynamic_batch)?;
    let bytes = to_bytes(&traced, &options)?;
    write_atomic(path.as_ref(), &bytes)
}

/// Adds the names every node reads (in subgraphs too) to `used`.
fn mark_used<'a>(nodes: &'a [proto::NodeProto], used: &mut std::collections::HashSet<&'a str>) {
    for n in nodes {
        used.extend(n.input.iter().map(|s| s.as_str()));
        for a in &n.attribute {
            if let Some(g) = &a.g {
                mark_used(&g.node, used);
            }
        }
    }
}

/// The model of a traced function, encoded.
fn to_bytes(traced: &super::Traced, options: &Options) -> Result<Vec<u8>, ExportError> {
    let j = &traced.jaxpr.jaxpr;
    let dims = traced.dims.as_ref();
    let dims_of = |v| match dims {
        Some(d) => d.of(j, v),
        None => j.aval(v).shape.iter().map(|&n| Dim::Fixed(n)).collect(),
    };
    let mut em = Emitter::new();
    let mut inputs = Vec::new();
    let mut in_names = Vec::new();
    for (i, &v) in j.invars.iter().enumerate() {
        let name = format!("input_{i}");
        inputs.push(value_info(&name, j.aval(v).dtype, &dims_of(v))?);
        in_names.push(name);
    }
    if dims.is_some() {
        let s = em.node("Shape", &["input_0"], vec![builder::attr_i("end", 1)]);
        em.batch = Some(s);
    }
    let mut const_names = Vec::new();
    for c in &traced.jaxpr.consts {
        const_names.push(em.constant(c)?);
    }
    let consts = const_names
        .iter()
        .cloned()
        .zip(traced.jaxpr.consts.iter().cloned())
        .collect();
    let cx = lower::Cx { dims, consts };
    let outs = lower::lower_jaxpr(&mut em, &cx, j, &const_names, &in_names)?;
    let mut outputs = Vec::new();
    for (i, (name, atom)) in outs.iter().zip(&j.outvars).enumerate() {
        let out = format!("output_{i}");
        em.node_named("Identity", &[name], vec![], vec![out.clone()]);
        let odims = match atom {
            crate::core::Atom::Var(v) => dims_of(*v),
            crate::core::Atom::Lit(t) => t.shape().iter().map(|&n| Dim::Fixed(n)).collect(),
        };
        outputs.push(value_info(&out, j.atom_aval(atom).dtype, &odims)?);
    }
    let nodes = std::mem::take(&mut em.nodes);
    // Constants replaced at export (weights transposed for Conv) are dropped.
    let mut used = std::collections::HashSet::new();
    mark_used(&nodes, &mut used);
    let mut initializer = em.take_initializers();
    initializer.retain(|t| used.contains(t.name.as_str()));
    let graph = proto::GraphProto {
        node: nodes,
        name: "ferrax".into(),
        initializer,
        input: inputs,
        output: outputs,
        ..Default::default()
    };
    let model = proto::ModelProto {
        ir_version: 8,
        opset_import: vec![proto::OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
        }],
        producer_name: "ferrax".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        graph: Some(graph),
        doc_string: options.doc_string.clone(),
        ..Default::default()
    };
    Ok(model.encode_to_vec())
}
