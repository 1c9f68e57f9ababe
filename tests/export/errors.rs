//! What export refuses, as `Err`s (never a panic, never a file): a primitive with no ONNX
//! form, a captured tracer, an unwritable path, a constant that depends on the batch.

use super::runtime::model_path;
use ferrax::export::{self, ExportError};
use ferrax::prelude::*;

#[test]
fn unsupported_primitive_is_named_and_nothing_is_written() {
    let path = model_path("unsupported");
    let x = Tensor::from_vec(vec![0.5f32, 1.5, 2.5], &[3]);
    let err = export::onnx::save(|x: &Tensor| ferrax::lax::lgamma(x) + x, &x, &path).unwrap_err();
    match &err {
        ExportError::Unsupported { primitive, .. } => assert_eq!(primitive, "lgamma"),
        e => panic!("expected Unsupported, got {e:?}"),
    }
    assert!(err.to_string().contains("`lgamma`"), "{err}");
    assert!(!path.exists());
}

#[test]
fn captured_tracer_is_an_error() {
    let path = model_path("tracer");
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    let seen = std::cell::RefCell::new(None);
    let _ = grad(|w: &Tensor| {
        // `w` is a tracer of `grad`: exporting a function that captures it must fail.
        *seen.borrow_mut() = Some(export::onnx::save(|x: &Tensor| x * w, &x, &path));
        w.sum()
    })(&x);
    let err = seen.into_inner().unwrap().unwrap_err();
    assert!(matches!(err, ExportError::NonConcrete { .. }), "{err:?}");
    assert!(err.to_string().contains("not a concrete value"), "{err}");
    assert!(!path.exists());
}

#[test]
fn unwritable_path_is_an_io_error() {
    let path = std::env::temp_dir()
        .join("ferrax_no_such_dir_for_export")
        .join("m.onnx");
    let x = Tensor::ones(&[2], DType::F32);
    let err = export::onnx::save(|x: &Tensor| x * 2.0, &x, &path).unwrap_err();
    match &err {
        ExportError::Io { path: p, .. } => assert_eq!(p, &path),
        e => panic!("expected Io, got {e:?}"),
    }
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn batch_shaped_constant_refuses_dynamic_batch() {
    let path = model_path("batch_const");
    let x = Tensor::ones(&[4, 3], DType::F32);
    // A captured (concrete) tensor shaped by the batch cannot follow another batch size.
    let opts = export::onnx::Options {
        dynamic_batch: true,
        ..Default::default()
    };
    let f = |x: &Tensor| {
        let n = x.shape()[0] * 3;
        let ramp: Vec<f64> = (0..n).map(|i| i as f64).collect();
        x + Tensor::from_f64_values(&ramp, x.shape(), DType::F32)
    };
    let err = export::onnx::save_with(f, &x, &path, opts).unwrap_err();
    assert!(matches!(err, ExportError::DynamicBatch { .. }), "{err:?}");
    assert!(!path.exists());
    // With a fixed batch the same function exports.
    export::onnx::save(f, &x, &path).unwrap();
    std::fs::remove_file(&path).unwrap();
}
