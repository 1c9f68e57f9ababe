//! `ferrax::plot` (feature `plot`): the SVG of each kind of figure, evcxr display, saving.

use ferrax::plot::{self, Figure};
use ferrax::prelude::*;

/// Every `<tag` opened is closed (`</tag>` or `/>`), in order: the SVG is well nested.
fn assert_balanced(svg: &str) {
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("unterminated tag");
        let tag = &rest[..end];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.trim()),
                "closing </{name}>"
            );
        } else if !tag.ends_with('/') {
            stack.push(tag.split_whitespace().next().unwrap().to_string());
        }
        rest = &rest[end + 1..];
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

/// The elements `<name .../>` of the SVG, as their attribute text.
fn elements<'a>(svg: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name} ");
    svg.match_indices(&open)
        .map(|(i, _)| {
            let s = &svg[i + open.len()..];
            &s[..s.find('>').unwrap()]
        })
        .collect()
}

fn attr<'a>(element: &'a str, name: &str) -> &'a str {
    let key = format!(" {name}=\"");
    let i = format!(" {element}")
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {element}"));
    let s = &element[i + key.len() - 1..];
    &s[..s.find('"').unwrap()]
}

/// The polylines drawn in a colour of the series palette (axes and ticks are black).
fn series_lines(svg: &str) -> Vec<&str> {
    let palette: Vec<String> = plot::PALETTE
        .iter()
        .map(|(r, g, b)| format!("#{r:02X}{g:02X}{b:02X}"))
        .collect();
    elements(svg, "polyline")
        .into_iter()
        .filter(|l| palette.iter().any(|c| c == attr(l, "stroke")))
        .collect()
}

/// The text of every `<text>` element.
fn texts(svg: &str) -> Vec<String> {
    svg.match_indices("<text ")
        .map(|(i, _)| {
            let s = &svg[i..];
            let start = s.find('>').unwrap() + 1;
            s[start..s.find("</text>").unwrap()].trim().to_string()
        })
        .collect()
}

#[test]
fn line_plot_has_one_polyline_per_series_and_its_labels() {
    let xs: Vec<f64> = (0..20).map(f64::from).collect();
    let ys: Vec<f64> = xs.iter().map(|x| (-x / 5.0).exp()).collect();
    let xs2 = [0.0, 5.0, 10.0];
    let ys2 = [1.0, 0.5, 0.3];
    let fig = Figure::lines("training loss")
        .x_label("step")
        .y_label("loss")
        .series("train", &xs, &ys)
        .series("test", &xs2, &ys2)
        .log_y(false)
        .size(640, 400);
    let svg = fig.to_svg();
    assert_balanced(&svg);
    assert!(svg.starts_with(r#"<svg width="640" height="400""#));
    let lines = series_lines(&svg);
    assert_eq!(lines.len(), 2, "{svg}");
    let points: Vec<usize> = lines
        .iter()
        .map(|l| attr(l, "points").split_whitespace().count())
        .collect();
    assert_eq!(points, [20, 3]);
    assert_ne!(attr(lines[0], "stroke"), attr(lines[1], "stroke"));
    let texts = texts(&svg);
    for label in ["training loss", "step", "loss", "train", "test"] {
        assert!(
            texts.iter().any(|t| t == label),
            "no <text> {label:?} in {texts:?}"
        );
    }
    assert_eq!(
        fig.to_string(),
        r#"Figure "training loss" (line plot, 2 series, 640x400)"#
    );
    // Log scale: same points, still one polyline each.
    let svg = fig.log_y(true).to_svg();
    assert_balanced(&svg);
    assert_eq!(series_lines(&svg).len(), 2);
}

#[test]
fn lines_from_counts_x_from_zero() {
    let fig = Figure::lines_from(
        "loss",
        &[("a", vec![3.0, 2.0, 1.0, 0.5]), ("b", vec![1.0; 2])],
    );
    let svg = fig.to_svg();
    let points: Vec<usize> = series_lines(&svg)
        .iter()
        .map(|l| attr(l, "points").split_whitespace().count())
        .collect();
    assert_eq!(points, [4, 2]);
}

#[test]
#[should_panic(
    expected = "plot::Figure::series: series \"train\" has xs of length 3 but ys of length 2"
)]
fn series_lengths_must_match() {
    let _ = Figure::lines("loss").series("train", &[0.0, 1.0, 2.0], &[1.0, 2.0]);
}

/// Relative luminance of `#rrggbb`.
fn luminance(color: &str) -> f64 {
    let c = |i: usize| f64::from(u8::from_str_radix(&color[1 + 2 * i..3 + 2 * i], 16).unwrap());
    0.2126 * c(0) + 0.7152 * c(1) + 0.0722 * c(2)
}

#[test]
fn heatmap_cells_are_coloured_and_annotated_by_value() {
    let values = [3i32, 10, 0, 7, 1, 5, 2, 8, 4];
    let m = Tensor::from_vec(values.to_vec(), &[3, 3]);
    let fig = plot::heatmap(&m, "confusion matrix", &["a", "b", "c"], &["x", "y", "z"])
        .x_label("predicted")
        .y_label("true");
    let svg = fig.to_svg();
    assert_balanced(&svg);
    let (w, h) = fig.get_size();
    let cells: Vec<&str> = elements(&svg, "rect")
        .into_iter()
        .filter(|r| !(attr(r, "width") == w.to_string() && attr(r, "height") == h.to_string()))
        .collect();
    assert_eq!(cells.len(), 9, "{svg}");
    let lum: Vec<f64> = cells.iter().map(|r| luminance(attr(r, "fill"))).collect();
    for i in 0..9 {
        for j in 0..9 {
            if values[i] < values[j] {
                assert!(
                    lum[i] < lum[j],
                    "cell {i} ({}) vs {j} ({}): {lum:?}",
                    values[i],
                    values[j]
                );
            }
        }
    }
    let texts = texts(&svg);
    for v in values {
        assert!(texts.contains(&v.to_string()), "no {v} in {texts:?}");
    }
    for label in ["confusion matrix", "a", "c", "x", "z", "predicted", "true"] {
        assert!(
            texts.iter().any(|t| t == label),
            "no {label:?} in {texts:?}"
        );
    }
    assert!(fig
        .to_string()
        .starts_with(r#"Figure "confusion matrix" (heatmap, 3x3, "#));
}

#[test]
fn heatmap_shows_fractions_with_decimals() {
    let m = Tensor::from_vec(vec![0.25f32, 0.5, 0.125, 1.0], &[2, 2]);
    let texts = texts(&plot::heatmap(&m, "", &[] as &[&str], &[] as &[&str]).to_svg());
    assert!(
        texts.contains(&"0.25".to_string()) && texts.contains(&"1.00".to_string()),
        "{texts:?}"
    );
}

#[test]
#[should_panic(expected = "plot::heatmap: matrix must be [R, C], got f32[4]")]
fn heatmap_needs_a_matrix() {
    let _ = plot::heatmap(&Tensor::zeros(&[4], DType::F32), "m", &["a"], &["b"]);
}

#[test]
fn image_grid_has_one_image_per_input() {
    let n = 10;
    let images = Tensor::from_vec(
        (0..n * 8 * 8).map(|i| (i % 16) as f32).collect(),
        &[n, 8, 8, 1],
    );
    let titles: Vec<String> = (0..n)
        .map(|i| format!("pred {i} / true {}", (i + 1) % 10))
        .collect();
    let fig = plot::image_grid(&images, 4, Some(&titles)).title("digits");
    let svg = fig.to_svg();
    assert_balanced(&svg);
    let cells = elements(&svg, "image");
    assert_eq!(cells.len(), n);
    assert!(cells
        .iter()
        .all(|c| attr(c, "href").starts_with("data:image/png;base64,iVBORw0KGgo")));
    let texts = texts(&svg);
    assert!(
        texts.contains(&"pred 3 / true 4".to_string()) && texts.contains(&"digits".to_string())
    );
    assert!(fig
        .to_string()
        .starts_with(r#"Figure "digits" (image grid, 10 images of 8x8 in 4 columns, "#));
    // Integer images without titles work too.
    let ints = Tensor::from_vec((0..3 * 5 * 4).collect::<Vec<i32>>(), &[3, 5, 4]);
    assert_eq!(
        elements(&plot::image_grid(&ints, 8, None).to_svg(), "image").len(),
        3
    );
}

#[test]
#[should_panic(
    expected = "plot::image_grid: images must be [N, H, W] or [N, H, W, 1] with N, H, W > 0, got f32[3, 4]"
)]
fn image_grid_rejects_a_matrix() {
    let _ = plot::image_grid(&Tensor::zeros(&[3, 4], DType::F32), 2, None);
}

#[test]
fn evcxr_output_has_plain_and_svg_blocks_in_order() {
    let fig = Figure::lines_from("loss", &[("train", vec![1.0, 0.5])]);
    let out = fig.evcxr_mime();
    let markers = [
        "EVCXR_BEGIN_CONTENT text/plain\n",
        "EVCXR_END_CONTENT\n",
        "EVCXR_BEGIN_CONTENT image/svg+xml\n<svg",
        "EVCXR_END_CONTENT\n",
    ];
    let mut at = 0;
    for m in markers {
        let i = out[at..]
            .find(m)
            .unwrap_or_else(|| panic!("no {m:?} after byte {at}"));
        at += i + m.len();
    }
    assert_eq!(at, out.len());
    assert!(out.contains(&fig.to_string()));
}

#[test]
fn save_svg_writes_to_svg_atomically() {
    let dir = std::env::temp_dir().join(format!("ferrax-plot-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fig = Figure::lines_from("loss", &[("train", vec![1.0, 0.5, 0.25])]);
    let path = dir.join("loss.svg");
    fig.save_svg(&path).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), fig.to_svg());
    let missing = dir.join("missing");
    assert!(fig.save_svg(missing.join("loss.svg")).is_err());
    assert!(!missing.exists());
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files, ["loss.svg"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Writes the three kinds of figure to `$FERRAX_PLOT_OUT` (to look at them) when set.
#[test]
fn sample_figures() {
    let Some(out) = std::env::var_os("FERRAX_PLOT_OUT") else {
        return;
    };
    let out = std::path::PathBuf::from(out);
    let xs: Vec<f64> = (0..100).map(f64::from).collect();
    let train: Vec<f64> = xs.iter().map(|x| 2.3 * (-x / 20.0).exp() + 0.05).collect();
    let test: Vec<f64> = xs.iter().map(|x| 2.3 * (-x / 25.0).exp() + 0.12).collect();
    let fig = Figure::lines("training loss")
        .x_label("step")
        .y_label("loss");
    fig.series("train", &xs, &train)
        .series("test", &xs, &test)
        .save_svg(out.join("lines.svg"))
        .unwrap();
    let images = Tensor::from_vec(
        (0..16 * 64).map(|i| ((i * 7) % 17) as f32).collect(),
        &[16, 8, 8],
    );
    let titles: Vec<String> = (0..16)
        .map(|i| format!("pred {} / true {}", i % 10, (i + 3) % 10))
        .collect();
    plot::image_grid(&images, 8, Some(&titles))
        .title("digits")
        .save_svg(out.join("images.svg"))
        .unwrap();
    let m = Tensor::from_vec(
        (0..100)
            .map(|i| if i % 11 == 0 { 28 } else { i % 3 })
            .collect::<Vec<i32>>(),
        &[10, 10],
    );
    let labels: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    plot::heatmap(&m, "confusion matrix", &labels, &labels)
        .x_label("predicted")
        .y_label("true")
        .save_svg(out.join("heatmap.svg"))
        .unwrap();
}

#[test]
#[should_panic(expected = "plot::Figure::series: figure \"m\" is a heatmap, not a line plot")]
fn series_needs_a_line_plot() {
    let m = Tensor::zeros(&[2, 2], DType::F32);
    let _ = plot::heatmap(&m, "m", &["a", "b"], &["c", "d"]).series("s", &[0.0], &[1.0]);
}

#[test]
fn log_y_leaves_out_points_it_cannot_draw() {
    let fig = Figure::lines("l").series("s", &[0.0, 1.0, 2.0, 3.0], &[1.0, 0.0, f64::NAN, 0.1]);
    let count = |svg: &str| {
        attr(series_lines(svg)[0], "points")
            .split_whitespace()
            .count()
    };
    assert_eq!(count(&fig.to_svg()), 3);
    assert_eq!(count(&fig.log_y(true).to_svg()), 2);
}
