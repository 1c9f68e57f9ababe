//! Export to TensorFlow Lite: a traced function as a `.tflite` flatbuffer (schema version 3)
//! that LiteRT (the TFLite interpreter) or any other TFLite runtime runs.
//!
//! The trace, the optimizing passes, the dynamic batch and the atomic write are those of
//! [`crate::export`] (shared with ONNX). The model has one subgraph; the argument's leaves
//! are its input tensors `input_0`, `input_1`, ... (in flatten order), the result's leaves
//! its outputs `output_0`, ..., and a SignatureDef `serving_default` maps the same names.
//! Captured tensors become constant buffers; weights are laid out at export as TFLite wants
//! them (convolution filters OHWI, dense weights `[out, in]` for FULLY_CONNECTED). With
//! `dynamic_batch: true`, batch-derived dims are `-1` in each tensor's `shape_signature`
//! (and written with the example's batch in `shape`), and shapes that follow the batch are
//! computed in the model from `SHAPE(input_0)`.
//!
//! A primitive with no TFLite builtin form is an [`ExportError::Unsupported`] naming it, and
//! nothing is written. Control flow (`cond`, `scan`, `while`: an LSTM) is refused: export
//! such a model to ONNX.
//!
//! ```
//! use ferrax::prelude::*;
//! use ferrax::export;
//! let w = Tensor::from_vec(vec![0.5f32, -1.0, 2.0, 0.25, 1.5, -0.5], &[3, 2]);
//! let x = Tensor::ones(&[4, 3], DType::F32);
//! let path = std::env::temp_dir().join("ferrax_tflite_doc.tflite");
//! export::tflite::save_with(|x: &Tensor| ferrax::nn::relu(&x.matmul(&w)), &x, &path,
//!     export::tflite::Options { dynamic_batch: true, ..Default::default() }).unwrap();
//! assert_eq!(&std::fs::read(&path).unwrap()[4..8], b"TFL3");
//! # std::fs::remove_file(&path).unwrap();
//! ```

mod graph;
mod lower;
mod schema;

use super::{trace, write_atomic, Dim, ExportError};
use crate::tree::PyTree;
use std::collections::HashMap;
use std::path::Path;

pub use schema::SCHEMA_VERSION;

/// How [`save_with`] writes the model: the options of ONNX export, shared
/// (`doc_string` becomes the model's `description`).
///
/// ```
/// let o = ferrax::export::tflite::Options { dynamic_batch: true, ..Default::default() };
/// assert!(o.dynamic_batch);
/// ```
pub type Options = super::onnx::Options;

/// Traces `f` on `example` and writes it to `path` as a TFLite model with the example's
/// shapes.
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::from_vec(vec![1.0f32, -2.0, 3.0], &[3]);
/// let path = std::env::temp_dir().join("ferrax_tflite_save_doc.tflite");
/// ferrax::export::tflite::save(|x: &Tensor| x.abs().maximum(&x.tanh()), &x, &path).unwrap();
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn save<P: PyTree, O: PyTree>(
    f: impl Fn(&P) -> O,
    example: &P,
    path: impl AsRef<Path>,
) -> Result<(), ExportError> {
    save_with(f, example, path, Options::default())
}

/// [`save`] with [`Options`] (a dynamic batch, a description).
///
/// ```
/// use ferrax::prelude::*;
/// let x = Tensor::ones(&[2, 5], DType::F32);
/// let path = std::env::temp_dir().join("ferrax_tflite_save_with_doc.tflite");
/// let opts = ferrax::export::tflite::Options { dynamic_batch: true, ..Default::default() };
/// ferrax::export::tflite::save_with(|x: &Tensor| x.sum_axes(&[1]), &x, &path, opts).unwrap();
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn save_with<P: PyTree, O: PyTree>(
    f: impl Fn(&P) -> O,
    example: &P,
    path: impl AsRef<Path>,
    options: Options,
) -> Result<(), ExportError> {
    let example_batch = example
        .leaves()
        .first()
        .and_then(|t| t.shape().first().copied())
        .unwrap_or(1);
    let traced = trace(f, example, options.dynamic_batch)?;
    let bytes = to_bytes(&traced, example_batch, &options)?;
    write_atomic(path.as_ref(), &bytes)
}

/// The model of a traced function, encoded.
fn to_bytes(
    traced: &super::Traced,
    example_batch: usize,
    options: &Options,
) -> Result<Vec<u8>, ExportError> {
    let j = &traced.jaxpr.jaxpr;
    let dims = traced.dims.as_ref();
    let dims_of = |v| match dims {
        Some(d) => d.of(j, v),
        None => j.aval(v).shape.iter().map(|&n| Dim::Fixed(n)).collect(),
    };
    let mut lw = lower::Lower {
        g: graph::Graph::new(example_batch),
        dims,
        consts: HashMap::new(),
    };
    for (i, &v) in j.invars.iter().enumerate() {
        let t =
            lw.g.tensor(Some(format!("input_{i}")), j.aval(v).dtype, &dims_of(v))?;
        lw.g.inputs.push(t);
    }
    let mut consts = Vec::new();
    for c in &traced.jaxpr.consts {
        consts.push(lw.constant(c)?);
    }
    let inputs = lw.g.inputs.clone();
    let outs = lw.jaxpr(j, &consts, &inputs)?;
    for (i, &t) in outs.iter().enumerate() {
        // An output that is an input, a constant or another output gets a tensor of its own.
        let shared = lw.g.inputs.contains(&t) || lw.g.is_const(t) || lw.g.outputs.contains(&t);
        let t = if shared {
            let d = lw.g.dims(t);
            let s = lw.g.shape_tensor(&d)?;
            let dt = lw.g.dtype(t);
            lw.g.op(schema::op::RESHAPE, &[t, s], dt, &d, None)?
        } else {
            t
        };
        lw.g.tensors[t as usize].name = format!("output_{i}");
        lw.g.outputs.push(t);
    }
    lw.g.prune();
    Ok(schema::serialize(&lw.g, &options.doc_string))
}
