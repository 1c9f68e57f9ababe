//! Running an exported model in tract and comparing its outputs with ferrax's.

use ferrax::prelude::*;
use tract_onnx::prelude::{Framework, InferenceModelExt, IntoTValue, TValue};

/// A unique path in the temp directory for a test's model.
pub fn model_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("ferrax_export_{}_{name}.onnx", std::process::id()))
}

fn to_tract(t: &Tensor) -> TValue {
    let shape = t.shape().to_vec();
    let nd = |shape: Vec<usize>| tract_onnx::prelude::tract_ndarray::IxDyn(&shape).to_owned();
    let tt: tract_onnx::prelude::Tensor = match t.dtype() {
        DType::F32 => {
            tract_onnx::prelude::tract_ndarray::ArrayD::from_shape_vec(nd(shape), t.to_vec::<f32>())
                .unwrap()
                .into()
        }
        DType::I32 => {
            tract_onnx::prelude::tract_ndarray::ArrayD::from_shape_vec(nd(shape), t.to_vec::<i32>())
                .unwrap()
                .into()
        }
        d => panic!("test runtime: no conversion for {d:?}"),
    };
    tt.into_tvalue()
}

/// Runs the ONNX model at `path` in tract on `inputs`; returns the outputs as f32 vectors
/// with shapes. With `symbolic`, tract plans the model once with its own input types (a
/// symbolic batch stays a symbol, bound when it runs); otherwise the inputs' shapes are set
/// as the input types first.
pub fn run_tract(
    path: &std::path::Path,
    inputs: &[Tensor],
    symbolic: bool,
) -> Vec<(Vec<usize>, Vec<f32>)> {
    let mut model = tract_onnx::onnx()
        .model_for_path(path)
        .expect("tract loads the model");
    for (i, x) in inputs.iter().enumerate().filter(|_| !symbolic) {
        let fact = match x.dtype() {
            DType::F32 => {
                tract_onnx::prelude::InferenceFact::dt_shape(f32::datum_type(), x.shape().to_vec())
            }
            DType::I32 => {
                tract_onnx::prelude::InferenceFact::dt_shape(i32::datum_type(), x.shape().to_vec())
            }
            d => panic!("{d:?}"),
        };
        model.set_input_fact(i, fact).unwrap();
    }
    let plan = model
        .into_optimized()
        .expect("tract optimizes the model")
        .into_runnable()
        .expect("tract plans the model");
    let outs = plan
        .run(inputs.iter().map(to_tract).collect())
        .expect("tract runs the model");
    outs.iter()
        .map(|o| {
            let o = o.cast_to::<f32>().unwrap();
            (o.shape().to_vec(), o.as_slice::<f32>().unwrap().to_vec())
        })
        .collect()
}

use tract_onnx::prelude::Datum;

/// Asserts that `got` (tract's) matches `want` (ferrax's) within 1e-5 relative
/// (`|g - w| <= 1e-5 * max(|w|, 1)`).
pub fn assert_close(what: &str, got: &(Vec<usize>, Vec<f32>), want: &Tensor) {
    assert_eq!(got.0, want.shape(), "{what}: shape");
    let want = want.cast(DType::F32).to_vec::<f32>();
    let mut worst = 0f32;
    for (i, (g, w)) in got.1.iter().zip(&want).enumerate() {
        let err = (g - w).abs() / w.abs().max(1.0);
        assert!(err <= 1e-5, "{what}: element {i}: tract {g}, ferrax {w}");
        worst = worst.max(err);
    }
    eprintln!("{what}: max relative error {worst:e}");
}

/// Exports `f` at `example` to a fresh file, runs it in tract on `runs` (each a list of input
/// leaves) and compares every output with `f` evaluated by ferrax.
pub fn check<P: PyTree, O: PyTree>(
    name: &str,
    f: impl Fn(&P) -> O,
    example: &P,
    dynamic: bool,
    runs: &[P],
) {
    let path = model_path(name);
    let opts = ferrax::export::onnx::Options {
        dynamic_batch: dynamic,
        ..Default::default()
    };
    ferrax::export::onnx::save_with(&f, example, &path, opts)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    if dynamic {
        let model = tract_onnx::onnx().model_for_path(&path).unwrap();
        let fact = format!("{:?}", model.input_fact(0).unwrap());
        assert!(
            fact.contains("batch"),
            "{name}: input_0 is {fact}, not batch-symbolic"
        );
    }
    let keep = std::env::var_os("FERRAX_EXPORT_DIR").map(std::path::PathBuf::from);
    for (r, x) in runs.iter().enumerate() {
        let got = run_tract(&path, &x.leaves(), false);
        if dynamic {
            let sym = run_tract(&path, &x.leaves(), true);
            for (i, (g, w)) in sym.iter().zip(&f(x).leaves()).enumerate() {
                assert_close(&format!("{name} run {r} output {i} (symbolic batch)"), g, w);
            }
        }
        let want = f(x).leaves();
        if let Some(dir) = &keep {
            save_case(&dir.join(format!("{name}.run{r}.txt")), &x.leaves(), &want);
        }
        assert_eq!(got.len(), want.len(), "{name}: outputs");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_close(&format!("{name} run {r} output {i}"), g, w);
        }
    }
    match &keep {
        Some(dir) => std::fs::rename(&path, dir.join(format!("{name}.onnx"))).unwrap(),
        None => std::fs::remove_file(&path).unwrap(),
    }
}

/// Writes a run's inputs and ferrax's outputs as text for `tests/golden/check_onnx.py`: per
/// tensor a line `input|output <i> <dtype> <dims...>`, then a line of its values.
pub fn save_case(path: &std::path::Path, inputs: &[Tensor], outputs: &[Tensor]) {
    let mut text = String::new();
    for (kind, ts) in [("input", inputs), ("output", outputs)] {
        for (i, t) in ts.iter().enumerate() {
            let dims: Vec<String> = t.shape().iter().map(|d| d.to_string()).collect();
            text += &format!("{kind} {i} {} {}\n", t.dtype().numpy_name(), dims.join(" "));
            let vals: Vec<String> = t
                .cast(DType::F64)
                .to_vec::<f64>()
                .iter()
                .map(|v| format!("{v:e}"))
                .collect();
            text += &(vals.join(" ") + "\n");
        }
    }
    std::fs::write(path, text).unwrap();
}

/// Exports `f` at `example` (for a model tract cannot run) and, with `FERRAX_EXPORT_DIR`,
/// keeps it with ferrax's outputs for `tests/golden/check_onnx.py`.
pub fn export_only<P: PyTree, O: PyTree>(name: &str, f: impl Fn(&P) -> O, example: &P) {
    let path = model_path(name);
    ferrax::export::onnx::save(&f, example, &path).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(std::fs::metadata(&path).unwrap().len() > 0);
    match std::env::var_os("FERRAX_EXPORT_DIR").map(std::path::PathBuf::from) {
        Some(dir) => {
            save_case(
                &dir.join(format!("{name}.run0.txt")),
                &example.leaves(),
                &f(example).leaves(),
            );
            std::fs::rename(&path, dir.join(format!("{name}.onnx"))).unwrap();
        }
        None => std::fs::remove_file(&path).unwrap(),
    }
}
