//! `export::tflite`: the models of the export issue written as TFLite flatbuffers, run in
//! tract's TFLite front end (`tract-tflite`, a Rust TFLite runtime) and compared with
//! ferrax's eager outputs; the file's structure (names, SignatureDef, shape signatures) read
//! back with the schema bindings tract-tflite generated from TFLite's schema; the refusals.
//!
//! tract-tflite plans a model at the shapes written in the file, so a dynamic-batch model is
//! run there at the example's batch; other batch sizes are run by LiteRT in
//! `tests/golden/check_tflite.py` (with `FERRAX_EXPORT_DIR` set, every run is kept for it).

use super::models::{cnn, elementwise, mlp, uniform, AttentionBlock, SeqTransformer};
use super::runtime::{assert_close, save_case};
use ferrax::export::{self, ExportError};
use ferrax::nn::{self, Ctx, Module};
use ferrax::prelude::*;
use ferrax::random;
use tract_tflite::prelude::{Framework, IntoTValue, TValue};

fn path_for(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "ferrax_export_{}_{name}.tflite",
        std::process::id()
    ))
}

fn to_tract(t: &Tensor) -> TValue {
    use tract_tflite::prelude::tract_ndarray::{ArrayD, IxDyn};
    let shape = IxDyn(t.shape()).to_owned();
    let tt: tract_tflite::prelude::Tensor = match t.dtype() {
        DType::F32 => ArrayD::from_shape_vec(shape, t.to_vec::<f32>())
            .unwrap()
            .into(),
        DType::I32 => ArrayD::from_shape_vec(shape, t.to_vec::<i32>())
            .unwrap()
            .into(),
        d => panic!("test runtime: no conversion for {d:?}"),
    };
    tt.into_tvalue()
}

/// Runs the TFLite model at `path` in tract on `inputs`; the outputs as f32 with shapes.
fn run_tract(path: &std::path::Path, inputs: &[Tensor]) -> Vec<(Vec<usize>, Vec<f32>)> {
    let plan = tract_tflite::tflite()
        .model_for_path(path)
        .expect("tract-tflite loads the model")
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

/// What the file says about its inputs and outputs, read with tract-tflite's bindings of
/// TFLite's schema: per input and output, the tensor's name, `shape` and `shape_signature`;
/// the SignatureDef's key and its input/output names.
struct Io {
    inputs: Vec<(String, Vec<i32>, Vec<i32>)>,
    outputs: Vec<(String, Vec<i32>, Vec<i32>)>,
    signature: (String, Vec<String>, Vec<String>),
    version: u32,
}

fn read_io(bytes: &[u8]) -> Io {
    let m = tract_tflite::tflite::root_as_model(bytes).expect("a valid TFLite flatbuffer");
    assert!(tract_tflite::tflite::model_buffer_has_identifier(bytes));
    let sg = m.subgraphs().unwrap().get(0);
    let tensors = sg.tensors().unwrap();
    let info = |i: i32| {
        let t = tensors.get(i as usize);
        let shape: Vec<i32> = t.shape().unwrap().iter().collect();
        let sig = t
            .shape_signature()
            .map(|s| s.iter().collect())
            .unwrap_or_else(|| shape.clone());
        (t.name().unwrap().to_string(), shape, sig)
    };
    let sd = m.signature_defs().unwrap().get(0);
    let sig_in: Vec<String> = sd
        .inputs()
        .unwrap()
        .iter()
        .map(|t| t.name().unwrap().to_string())
        .collect();
    let sig_out: Vec<String> = sd
        .outputs()
        .unwrap()
        .iter()
        .map(|t| t.name().unwrap().to_string())
        .collect();
    Io {
        inputs: sg.inputs().unwrap().iter().map(info).collect(),
        outputs: sg.outputs().unwrap().iter().map(info).collect(),
        signature: (sd.signature_key().unwrap().to_string(), sig_in, sig_out),
        version: m.version(),
    }
}

/// Exports `f` at `example` to TFLite, checks the file's names (and, with `dynamic`, the
/// `-1` batch in the input's shape signature), runs it in tract on each run whose batch is
/// the example's and compares with `f` in ferrax. With `FERRAX_EXPORT_DIR`, keeps the model
/// and every run (at any batch) for `tests/golden/check_tflite.py`.
fn check<P: PyTree, O: PyTree>(
    name: &str,
    f: impl Fn(&P) -> O,
    example: &P,
    dynamic: bool,
    runs: &[P],
) {
    check_with(name, f, example, dynamic, runs, true)
}

/// [`check`], running the model in tract only with `in_tract` (else the file's structure is
/// checked and the runs kept for LiteRT).
fn check_with<P: PyTree, O: PyTree>(
    name: &str,
    f: impl Fn(&P) -> O,
    example: &P,
    dynamic: bool,
    runs: &[P],
    in_tract: bool,
) {
    let name = format!("tflite_{name}");
    let path = path_for(&name);
    let opts = export::tflite::Options {
        dynamic_batch: dynamic,
        ..Default::default()
    };
    export::tflite::save_with(&f, example, &path, opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    let io = read_io(&std::fs::read(&path).unwrap());
    assert_eq!(io.version, 3);
    let leaves = example.leaves();
    let n_out = f(example).leaves().len();
    assert_eq!(io.inputs.len(), leaves.len(), "{name}: inputs");
    assert_eq!(io.outputs.len(), n_out, "{name}: outputs");
    for (i, ((n, shape, sig), x)) in io.inputs.iter().zip(&leaves).enumerate() {
        assert_eq!(n, &format!("input_{i}"));
        let want: Vec<i32> = x.shape().iter().map(|&d| d as i32).collect();
        assert_eq!(shape, &want, "{name}: input_{i} shape");
        assert_eq!(sig[0] == -1, dynamic, "{name}: input_{i} signature {sig:?}");
        assert_eq!(&sig[1..], &want[1..], "{name}: input_{i} fixed dims");
    }
    for (i, (n, _, _)) in io.outputs.iter().enumerate() {
        assert_eq!(n, &format!("output_{i}"));
    }
    let (key, sin, sout) = &io.signature;
    assert_eq!(key, "serving_default");
    assert_eq!(
        sin,
        &(0..leaves.len())
            .map(|i| format!("input_{i}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        sout,
        &(0..n_out)
            .map(|i| format!("output_{i}"))
            .collect::<Vec<_>>()
    );
    let keep = std::env::var_os("FERRAX_EXPORT_DIR").map(std::path::PathBuf::from);
    let batch = |p: &P| p.leaves()[0].shape().first().copied();
    let mut ran = 0;
    for (r, x) in runs.iter().enumerate() {
        let want = f(x).leaves();
        if let Some(dir) = &keep {
            save_case(&dir.join(format!("{name}.run{r}.txt")), &x.leaves(), &want);
        }
        if batch(x) != batch(example) || !in_tract {
            continue;
        }
        let got = run_tract(&path, &x.leaves());
        assert_eq!(got.len(), want.len(), "{name}: outputs");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_close(&format!("{name} run {r} output {i}"), g, w);
        }
        ran += 1;
    }
    assert!(
        ran > 0 || !in_tract,
        "{name}: no run at the example's batch"
    );
    match &keep {
        Some(dir) => std::fs::rename(&path, dir.join(format!("{name}.tflite"))).unwrap(),
        None => std::fs::remove_file(&path).unwrap(),
    }
}

#[test]
fn tflite_digits_mlp() {
    let m = mlp();
    let f = |x: &Tensor| m.forward(x, &mut Ctx::eval());
    check(
        "mlp",
        f,
        &uniform(2, &[5, 64]),
        false,
        &[uniform(3, &[5, 64])],
    );
    let runs = [
        uniform(4, &[5, 64]),
        uniform(5, &[1, 64]),
        uniform(6, &[32, 64]),
    ];
    check("mlp_dyn", f, &uniform(2, &[5, 64]), true, &runs);
}

#[test]
fn tflite_digits_cnn() {
    let (m, state) = cnn();
    let f = |x: &Tensor| m.forward(x, &mut Ctx::eval().with_state(state.clone()));
    check(
        "cnn",
        f,
        &uniform(9, &[4, 8, 8, 1]),
        false,
        &[uniform(10, &[4, 8, 8, 1])],
    );
    // The example's batch (8) equals the image side: the spatial dims stay fixed.
    let runs = [uniform(11, &[8, 8, 8, 1]), uniform(12, &[3, 8, 8, 1])];
    check("cnn_dyn", f, &uniform(9, &[8, 8, 8, 1]), true, &runs);
}

#[test]
fn tflite_elementwise_model() {
    let ex = (uniform(12, &[3, 6]), uniform(13, &[3, 6]));
    let run = (uniform(14, &[3, 6]), uniform(15, &[3, 6]));
    check(
        "elementwise",
        elementwise,
        &ex,
        false,
        std::slice::from_ref(&run),
    );
    let runs = [run, (uniform(16, &[9, 6]), uniform(17, &[9, 6]))];
    check("elementwise_dyn", elementwise, &ex, true, &runs);
}

/// Self-attention with a residual and layer norm.
#[test]
fn tflite_attention_block_with_layer_norm() {
    let block = AttentionBlock::new();
    let f = |x: &Tensor| block.forward(x);
    check(
        "attention",
        f,
        &uniform(21, &[2, 5, 16]),
        false,
        &[uniform(22, &[2, 5, 16])],
    );
    let runs = [uniform(23, &[2, 5, 16]), uniform(24, &[3, 5, 16])];
    check("attention_dyn", f, &uniform(21, &[2, 5, 16]), true, &runs);
}

/// The sequence Transformer of `examples/sequence.rs` on integer tokens.
#[test]
fn tflite_sequence_transformer() {
    let model = SeqTransformer::new();
    let f = |x: &Tensor| model.forward(x);
    let tokens = SeqTransformer::tokens;
    // tract-tflite has no GATHER: the whole model (embedding lookup as GATHER) is exported
    // and its structure checked here, run by LiteRT (check_tflite.py); tract runs the model
    // from the embedded sequence on.
    check_with(
        "transformer",
        f,
        &tokens(31, 2),
        false,
        &[tokens(32, 2)],
        false,
    );
    let runs = [tokens(33, 2), tokens(34, 5)];
    check_with("transformer_dyn", f, &tokens(31, 2), true, &runs, false);
    let g = |h: &Tensor| model.after_embedding(h);
    let emb = |seed: i64, b: usize| model.embed.forward(&tokens(seed, b), &mut Ctx::eval());
    check("transformer_body", g, &emb(31, 2), false, &[emb(32, 2)]);
    check(
        "transformer_body_dyn",
        g,
        &emb(31, 2),
        true,
        &[emb(33, 2), emb(34, 5)],
    );
}

#[test]
fn tflite_lstm_is_refused_with_the_primitive_named() {
    let [k1, k2] = random::split_n(&random::key(40));
    let lstm = nn::Lstm::new(&k1, 6, 12);
    let head = nn::Linear::new(&k2, 12, 3);
    let f = |x: &Tensor| {
        let cx = &mut Ctx::eval();
        head.forward(&lstm.forward(x, cx), cx)
    };
    let path = path_for("lstm");
    let err = export::tflite::save(f, &uniform(41, &[2, 5, 6]), &path).unwrap_err();
    match &err {
        ExportError::Unsupported {
            primitive, detail, ..
        } => {
            assert_eq!(primitive, "scan");
            assert!(detail.contains("ONNX"), "{detail}");
        }
        e => panic!("expected Unsupported, got {e:?}"),
    }
    assert!(!path.exists());
}

#[test]
fn tflite_unsupported_primitive_is_named_and_nothing_is_written() {
    let path = path_for("unsupported");
    let x = Tensor::from_vec(vec![0.5f32, 1.5, 2.5], &[3]);
    let err = export::tflite::save(|x: &Tensor| ferrax::lax::lgamma(x) + x, &x, &path).unwrap_err();
    match &err {
        ExportError::Unsupported { primitive, .. } => assert_eq!(primitive, "lgamma"),
        e => panic!("expected Unsupported, got {e:?}"),
    }
    assert!(err.to_string().contains("`lgamma`"), "{err}");
    assert!(!path.exists());
}

#[test]
fn tflite_unwritable_path_is_an_io_error() {
    let path = std::env::temp_dir()
        .join("ferrax_no_such_dir_for_export")
        .join("m.tflite");
    let x = Tensor::ones(&[2], DType::F32);
    let err = export::tflite::save(|x: &Tensor| x * 2.0, &x, &path).unwrap_err();
    assert!(matches!(err, ExportError::Io { .. }), "{err:?}");
}
