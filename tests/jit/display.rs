//! What a notebook shows: the evcxr mime blocks of tensors and jaxprs, as exact text, and
//! `Function`, the nameable form of a transformed function that notebook cells store.

use ferrax::prelude::*;

/// The `(mime, body)` blocks of evcxr output, parsed back (and checked to be well formed).
fn blocks(out: &str) -> Vec<(String, String)> {
    let mut res = Vec::new();
    let mut rest = out;
    while !rest.is_empty() {
        let head = rest
            .strip_prefix("EVCXR_BEGIN_CONTENT ")
            .unwrap_or_else(|| panic!("expected a block start in {rest:?}"));
        let (mime, body) = head.split_once('\n').expect("a mime line");
        let end = body.find("\nEVCXR_END_CONTENT\n").expect("a block end");
        res.push((mime.to_string(), body[..end].to_string()));
        rest = &body[end + "\nEVCXR_END_CONTENT\n".len()..];
    }
    res
}

#[test]
fn a_small_matrix_shows_as_text_and_an_html_table() {
    let m = Tensor::from_vec(vec![1.5f32, -2.0, 0.25, 4.0, 5.0, 6.0], &[2, 3]);
    let b = blocks(&m.evcxr_mime());
    assert_eq!(b.len(), 2);
    assert_eq!(b[0].0, "text/plain");
    assert_eq!(
        b[0].1,
        "f32[2,3]\n[[ 1.5  -2.    0.25]\n [ 4.    5.    6.  ]]"
    );
    assert_eq!(b[1].0, "text/html");
    assert_eq!(
        b[1].1,
        "<table style=\"font-family:monospace;border-collapse:collapse\">\
         <caption style=\"text-align:left\">f32[2,3]</caption>\
         <tr><td>1.5</td><td>-2.</td><td>0.25</td></tr>\
         <tr><td>4.</td><td>5.</td><td>6.</td></tr></table>"
    );
}

#[test]
fn scalars_large_and_high_rank_tensors_show_as_text_only() {
    let s = blocks(&Tensor::scalar(true).evcxr_mime());
    assert_eq!(s, vec![("text/plain".into(), "bool[]\nTrue".into())]);
    let big = Tensor::zeros(&[401], DType::F32);
    let b = blocks(&big.evcxr_mime());
    assert_eq!(b.len(), 1);
    assert!(b[0].1.starts_with("f32[401]\n[0. 0."));
    let cube = Tensor::ones(&[2, 2, 2], DType::I32);
    let b = blocks(&cube.evcxr_mime());
    assert_eq!(
        b,
        vec![(
            "text/plain".into(),
            "i32[2,2,2]\n[[[1 1]\n  [1 1]]\n\n [[1 1]\n  [1 1]]]".into()
        )]
    );
    // A value inside a transformation has no data to show: its type only.
    let shown = std::sync::Mutex::new(String::new());
    let _ = grad(|x: &Tensor| {
        *shown.lock().unwrap() = x.evcxr_mime();
        x.sum()
    })(&Tensor::ones(&[3], DType::F32));
    assert_eq!(
        blocks(&shown.lock().unwrap()),
        vec![("text/plain".into(), "f32[3]\nTraced<f32[3]>".into())]
    );
}

#[test]
fn a_jaxpr_shows_as_its_text_and_highlighted_html() {
    let j = make_jaxpr(|x: &Tensor| (x.sin() * 2.0).sum())(&Tensor::ones(&[3], DType::F32));
    let b = blocks(&j.evcxr_mime());
    assert_eq!(b.len(), 2);
    assert_eq!(
        (b[0].0.as_str(), b[1].0.as_str()),
        ("text/plain", "text/html")
    );
    assert_eq!(b[0].1, j.to_string());
    let html = &b[1].1;
    let kw = |w: &str| {
        format!(r#"<span class="jx-kw" style="color:#7c3aed;font-weight:bold">{w}</span>"#)
    };
    for w in ["lambda", "let", "in"] {
        assert!(html.contains(&kw(w)), "keyword {w} in {html}");
    }
    let prim = |w: &str| {
        format!(r#"<span class="jx-prim" style="color:#0b6bcb;font-weight:bold">{w}</span>"#)
    };
    for p in ["sin", "mul", "reduce_sum"] {
        assert!(html.contains(&prim(p)), "primitive {p} in {html}");
    }
    assert!(html.contains(r#"<span class="jx-ty" style="color:#15803d">f32[3]</span>"#));
    assert!(html.contains(r#"<span class="jx-params" style="color:#6b7280">[axes=(0,)]</span>"#));
    assert!(html.contains(r#"<span class="jx-lit" style="color:#b45309">2.0</span>"#));
    // The HTML says the same as the text once the tags are gone.
    let mut plain = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => plain.push(c),
            _ => {}
        }
    }
    assert_eq!(
        plain
            .replace("&gt;", ">")
            .replace("&lt;", "<")
            .replace("&amp;", "&"),
        j.to_string()
    );
}

#[test]
fn a_function_stores_a_jitted_function_and_keeps_its_cache() {
    let traces = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t = traces.clone();
    let f: Function<Tensor, Tensor> = jit(move |x: &Tensor| {
        t.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        (x * x).sum()
    })
    .into();
    let stored = vec![f.clone(), f];
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    for g in &stored {
        assert_eq!(g.call(&x).item::<f32>(), 14.0);
    }
    assert_eq!(traces.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Transformed again through as_fn: the gradient of the jitted function.
    let df = grad(stored[0].as_fn());
    assert_eq!(df(&x).to_vec::<f32>(), vec![2.0, 4.0, 6.0]);
    assert!(format!("{:?}", stored[0]).starts_with("Function<"));
}
