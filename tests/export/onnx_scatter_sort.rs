//! Scatter (`x.at[idx].set/add/...`), sort, argsort, lexsort and top_k exported to ONNX and
//! run in tract against ferrax's eager outputs; the reduction form of scatter-add, which tract
//! 0.22 does not implement (it ignores ScatterND's `reduction`), checked by its structure
//! here and by onnxruntime through `tests/golden/check_onnx.py`; and the user's line in the
//! error for an unsupported primitive.
//!
//! Sort inputs have no ties in the sort keys unless the test is about ties (ONNX's TopK and
//! JAX both keep equal keys in index order) and no NaNs (JAX sorts NaNs last; ONNX leaves
//! their place unspecified).

use super::runtime::{check, export_only, model_path};
use ferrax::export::{self, ExportError};
use ferrax::lax;
use ferrax::numpy::{self as jnp, AtOptions};
use ferrax::prelude::*;
use ferrax::{idx, random};
use tract_onnx::prelude::Framework;

fn uniform(seed: i64, shape: &[usize]) -> Tensor {
    random::uniform(&random::key(seed), shape) * 2.0 - 1.0
}

/// The (op type, attributes as `name=value`) of every node of the ONNX model at `path`.
fn nodes(path: &std::path::Path) -> Vec<(String, Vec<String>)> {
    let model = tract_onnx::onnx().proto_model_for_path(path).unwrap();
    model
        .graph
        .unwrap()
        .node
        .iter()
        .map(|n| {
            let attrs = n
                .attribute
                .iter()
                .map(|a| match a.s.is_empty() {
                    true => format!("{}={}", a.name, a.i),
                    false => format!("{}={}", a.name, String::from_utf8_lossy(&a.s)),
                })
                .collect();
            (n.op_type.clone(), attrs)
        })
        .collect()
}

#[test]
fn scatter_set_rows_with_constant_indices() {
    let rows = Tensor::from_vec(vec![3, 0], &[2]);
    let vals = uniform(7, &[2, 4]);
    let f = |x: &Tensor| x.at(idx![&rows]).set(&vals) * 2.0;
    check(
        "scatter_set",
        f,
        &uniform(1, &[5, 4]),
        false,
        &[uniform(2, &[5, 4])],
    );
    // The constant in-range indices need no out-of-bounds guard: no Pad.
    let path = model_path("scatter_set_nodes");
    export::onnx::save(f, &uniform(1, &[5, 4]), &path).unwrap();
    let ops: Vec<String> = nodes(&path).into_iter().map(|n| n.0).collect();
    std::fs::remove_file(&path).unwrap();
    assert!(ops.contains(&"ScatterND".to_string()), "{ops:?}");
    assert!(!ops.contains(&"Pad".to_string()), "{ops:?}");
}

#[test]
fn scatter_set_along_a_later_axis_with_a_dynamic_batch() {
    // x[:, i] = v: the indexed dim is not the leading one (transposed around ScatterND).
    let cols = Tensor::from_vec(vec![2, 0, 5], &[3]);
    let f = |x: &Tensor| {
        let v = x.index(idx![.., 1..4]) * 10.0;
        x.at(idx![.., &cols]).set(&v)
    };
    check(
        "scatter_cols",
        f,
        &uniform(3, &[2, 6]),
        false,
        &[uniform(4, &[2, 6])],
    );
    check(
        "scatter_cols_dyn",
        f,
        &uniform(3, &[2, 6]),
        true,
        &[uniform(5, &[7, 6])],
    );
}

#[test]
fn scatter_with_traced_indices_drops_out_of_bounds_updates() {
    // Indices are a model input: -2 is normalized to 3 by `.at[]` (as JAX's), 9 is out of
    // bounds and dropped (JAX's default mode), through the padded-operand guard.
    let f = |(x, i): &(Tensor, Tensor)| {
        let v = Tensor::from_vec(vec![10.0f32, 20.0, 30.0], &[3, 1])
            * Tensor::ones(&[3, 2], DType::F32);
        x.at(idx![i]).set(&v)
    };
    let i = Tensor::from_vec(vec![1, 9, -2], &[3]);
    let j = Tensor::from_vec(vec![4, 0, -9], &[3]);
    let want = f(&(Tensor::zeros(&[5, 2], DType::F32), i.clone()));
    assert_eq!(
        want.to_vec::<f32>(),
        vec![0.0, 0.0, 10.0, 10.0, 0.0, 0.0, 30.0, 30.0, 0.0, 0.0]
    );
    check(
        "scatter_drop",
        f,
        &(uniform(1, &[5, 2]), i.clone()),
        false,
        &[(uniform(2, &[5, 2]), i), (uniform(3, &[5, 2]), j)],
    );
}

#[test]
fn scatter_add_with_unique_indices_runs_in_tract() {
    // `x.at[1].add(v)` (a static index: unique) and `.at[i].add(v, unique_indices)`: written
    // as GatherND + Add + ScatterND, with no reduction attribute.
    let f = |(x, i): &(Tensor, Tensor)| {
        let a = x
            .at(idx![1])
            .add(Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]));
        let unique = AtOptions {
            unique_indices: true,
            ..Default::default()
        };
        let b = a.at(idx![i]).add_with(&(x.index(idx![0..2]) * 3.0), unique);
        b.at(idx![i]).subtract_with(x.index(idx![2..4]), unique)
    };
    let i = Tensor::from_vec(vec![3, 7], &[2]); // 7 is out of bounds: dropped
    let j = Tensor::from_vec(vec![0, 2], &[2]);
    check(
        "scatter_add_unique",
        f,
        &(uniform(1, &[4, 3]), i.clone()),
        false,
        &[(uniform(2, &[4, 3]), i), (uniform(3, &[4, 3]), j)],
    );
}

#[test]
fn scatter_add_with_repeated_indices_uses_the_add_reduction() {
    // Repeated indices accumulate: ScatterND with reduction="add" (opset 16+). tract 0.22
    // ignores the reduction, so the values are checked by onnxruntime
    // (`tests/golden/check_onnx.py`); here, the structure and ferrax's own values.
    let rows = Tensor::from_vec(vec![2, 0, 2, 2], &[4]);
    let f = |x: &Tensor| {
        let v = x.index(idx![0..4]);
        x.at(idx![&rows]).add(&v)
    };
    let x = uniform(1, &[5, 3]);
    let y = f(&x).to_vec::<f32>();
    let xs = x.to_vec::<f32>();
    for c in 0..3 {
        let want = xs[6 + c] + xs[c] + xs[6 + c] + xs[9 + c];
        assert!(
            (y[6 + c] - want).abs() < 1e-6,
            "row 2 col {c}: {} vs {want}",
            y[6 + c]
        );
    }
    export_only("scatter_add_repeated", f, &x);
    let path = model_path("scatter_add_repeated_nodes");
    export::onnx::save(f, &x, &path).unwrap();
    let ns = nodes(&path);
    std::fs::remove_file(&path).unwrap();
    assert!(
        ns.iter()
            .any(|(op, attrs)| op == "ScatterND" && attrs.contains(&"reduction=add".to_string())),
        "{ns:?}"
    );
}

#[test]
fn scatter_min_with_repeated_indices_is_unsupported() {
    let rows = Tensor::from_vec(vec![1, 1], &[2]);
    let x = uniform(1, &[3, 2]);
    let path = model_path("scatter_min");
    let err =
        export::onnx::save(|x: &Tensor| x.at(idx![&rows]).min(0.0f32), &x, &path).unwrap_err();
    match &err {
        ExportError::Unsupported { primitive, .. } => assert_eq!(primitive, "scatter-min"),
        e => panic!("expected Unsupported, got {e:?}"),
    }
    assert!(err.to_string().contains("opset 18"), "{err}");
    assert!(!path.exists());
}

#[test]
fn sort_and_argsort_along_each_axis() {
    let f = |x: &Tensor| {
        let s = jnp::sort(x, Some(-1));
        let a = jnp::argsort(x, Some(1)).cast(DType::F32);
        let s0 = jnp::sort(x, Some(0));
        (s, a, s0)
    };
    check(
        "sort",
        f,
        &uniform(1, &[4, 6]),
        false,
        &[uniform(2, &[4, 6])],
    );
    // With a dynamic batch, the sort along axis 0 sorts a batch-long axis (k from the shape).
    check(
        "sort_dyn",
        f,
        &uniform(1, &[4, 6]),
        true,
        &[uniform(3, &[9, 6])],
    );
}

#[test]
fn multi_operand_sort_with_several_keys_is_lexicographic_and_stable() {
    // lexsort by (major, minor) with ties in the major key (TopK and JAX both keep equal
    // keys in index order, so ties are well-defined here), and lax.sort carrying a value.
    let f = |(major, minor): &(Tensor, Tensor)| {
        let order = jnp::lexsort(&[minor.clone(), major.clone()], -1);
        let vals = minor.cast(DType::F32) * 0.5;
        let sorted = lax::sort(&[major.clone(), vals], 1, true, 1);
        (order, sorted[0].clone(), sorted[1].clone())
    };
    let major = Tensor::from_vec(vec![2, 1, 2, 0, 1, 2, 0, 0, 1, 1, 0, 1], &[2, 6]);
    let minor = Tensor::from_vec(vec![5, 3, 1, 4, 0, 2, 1, 2, 0, 3, 5, 4], &[2, 6]);
    let want = f(&(major.clone(), minor.clone()));
    assert_eq!(
        want.0.to_vec::<i32>(),
        vec![3, 4, 1, 2, 5, 0, 0, 1, 4, 2, 3, 5]
    );
    let major2 = Tensor::from_vec(vec![0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0], &[2, 6]);
    let minor2 = Tensor::from_vec(vec![6, 2, 9, 1, 3, 0, 7, 5, 6, 4, 8, 2], &[2, 6]);
    check(
        "lexsort",
        f,
        &(major.clone(), minor.clone()),
        false,
        &[(major, minor), (major2, minor2)],
    );
}

#[test]
fn top_k_values_and_indices() {
    let f = |x: &Tensor| {
        let (v, i) = lax::top_k(x, 3);
        (v, i.cast(DType::F32))
    };
    check(
        "top_k_sorted",
        f,
        &uniform(1, &[3, 7]),
        false,
        &[uniform(2, &[3, 7])],
    );
    check(
        "top_k_sorted_dyn",
        f,
        &uniform(1, &[3, 7]),
        true,
        &[uniform(3, &[6, 7])],
    );
}

#[test]
fn unsupported_primitive_names_the_users_line() {
    let x = Tensor::from_vec(vec![0.5f32, 1.5, 2.5], &[3]);
    let path = model_path("unsupported_line");
    let line = line!() + 1;
    let f = |x: &Tensor| x * 2.0 + ferrax::lax::lgamma(x);
    for (format, err) in [
        ("onnx", export::onnx::save(f, &x, &path).unwrap_err()),
        ("tflite", export::tflite::save(f, &x, &path).unwrap_err()),
    ] {
        match &err {
            ExportError::Unsupported {
                primitive,
                location,
                ..
            } => {
                assert_eq!(primitive, "lgamma", "{format}");
                let l = location.unwrap_or_else(|| panic!("{format}: no location in {err}"));
                assert_eq!((l.file(), l.line()), (file!(), line), "{format}");
            }
            e => panic!("{format}: expected Unsupported, got {e:?}"),
        }
        let at = format!("{}:{line}:", file!());
        assert!(err.to_string().contains(&at), "{format}: {err} lacks {at}");
        assert!(!path.exists());
    }
    // Through `jit` (its body is inlined before lowering) the line is still the user's.
    let line = line!() + 1;
    let g = jit(|x: &Tensor| ferrax::lax::digamma(&x.exp()) * 3.0);
    let err = export::onnx::save(|x: &Tensor| g(x), &x, &path).unwrap_err();
    let at = format!("{}:{line}:", file!());
    assert!(err.to_string().contains(&at), "{err} lacks {at}");
}
