//! `ferrax::export`: models exported to ONNX, run in tract (a Rust ONNX runtime) and
//! compared with ferrax's eager outputs; dynamic batch; the error cases.

mod errors;
mod models;
mod onnx_scatter_sort;
mod ops;
mod runtime;
mod tflite;
