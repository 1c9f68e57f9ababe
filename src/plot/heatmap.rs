//! Heatmaps: [`heatmap`], a matrix as coloured, annotated cells (a confusion matrix).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{describe, font, Figure, Kind};
use crate::tensor::Tensor;

#[derive(Clone, Debug)]
pub(super) struct Heatmap {
    pub(super) rows: usize,
    pub(super) cols: usize,
    values: Vec<f64>,
    row_labels: Vec<String>,
    col_labels: Vec<String>,
    /// Every value is a whole number: annotate without decimals.
    integral: bool,
}

/// Viridis at 0, 0.1, ..., 1: dark purple to yellow, lightness rising with the value.
const VIRIDIS: [(u8, u8, u8); 11] = [
    (0x44, 0x01, 0x54),
    (0x48, 0x24, 0x75),
    (0x41, 0x44, 0x87),
    (0x35, 0x5f, 0x8d),
    (0x2a, 0x78, 0x8e),
    (0x21, 0x91, 0x8c),
    (0x22, 0xa8, 0x84),
    (0x44, 0xbf, 0x70),
    (0x7a, 0xd1, 0x51),
    (0xbd, 0xdf, 0x26),
    (0xfd, 0xe7, 0x25),
];

const CELL: u32 = 48;
const CAPTION_H: u32 = 36;

/// A heatmap of `matrix` (a tensor `[R, C]` of any dtype): one cell per entry, coloured by
/// its value on the viridis colormap (the smallest value dark purple, the largest yellow) and
/// annotated with the value (whole numbers without decimals, others with two). `row_labels`
/// name the rows (down the left side) and `col_labels` the columns (below the grid); an empty
/// slice labels them 0, 1, ... Set axis titles with [`Figure::x_label`] and
/// [`Figure::y_label`] (for a confusion matrix: "predicted", "true").
///
/// Panics naming the shape when `matrix` is not `[R, C]` or a label list has the wrong
/// length.
///
/// ```
/// use ferrax::prelude::*;
/// let confusion = Tensor::from_vec(vec![5i32, 1, 0, 7], &[2, 2]);
/// let fig = ferrax::plot::heatmap(&confusion, "confusion matrix", &["cat", "dog"], &["cat", "dog"])
///     .x_label("predicted")
///     .y_label("true");
/// let svg = fig.to_svg();
/// assert!(svg.contains(">\n7\n</text>") && svg.contains("dog"));
/// ```
#[track_caller]
pub fn heatmap<R: AsRef<str>, C: AsRef<str>>(
    matrix: &Tensor,
    title: &str,
    row_labels: &[R],
    col_labels: &[C],
) -> Figure {
    let &[rows, cols] = matrix.shape() else {
        panic!(
            "plot::heatmap: matrix must be [R, C], got {}",
            describe(matrix)
        )
    };
    let labels = |given: Vec<String>, n: usize, what: &str| {
        if given.is_empty() {
            return (0..n).map(|i| i.to_string()).collect();
        }
        assert!(
            given.len() == n,
            "plot::heatmap: {} {what} labels for matrix {}",
            given.len(),
            describe(matrix)
        );
        given
    };
    let row_labels = labels(
        row_labels.iter().map(|s| s.as_ref().to_string()).collect(),
        rows,
        "row",
    );
    let col_labels = labels(
        col_labels.iter().map(|s| s.as_ref().to_string()).collect(),
        cols,
        "column",
    );
    let values = matrix.to_vec::<f64>();
    let integral = values.iter().all(|v| v.fract() == 0.0);
    let hm = Heatmap {
        rows,
        cols,
        values,
        row_labels,
        col_labels,
        integral,
    };
    Figure::new(title, Kind::Heatmap(hm))
}

/// The viridis colour at `t` in 0..=1 (linear between the stops).
fn viridis(t: f64) -> RGBColor {
    let x = t.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f64;
    let i = (x.floor() as usize).min(VIRIDIS.len() - 2);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

impl Heatmap {
    fn format(&self, v: f64) -> String {
        if self.integral {
            format!("{v:.0}")
        } else if v != 0.0 && v.abs() < 0.01 {
            format!("{v:.1e}")
        } else {
            format!("{v:.2}")
        }
    }

    /// The margins: (left, top, right, bottom) around the grid of cells.
    fn margins(&self, fig: &Figure) -> (u32, u32, u32, u32) {
        let longest = self
            .row_labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(0) as u32;
        let left = 12 + longest * 8 + if fig.y_label.is_empty() { 0 } else { 24 };
        let top = if fig.title.is_empty() { 12 } else { CAPTION_H };
        let bottom = 28 + if fig.x_label.is_empty() { 0 } else { 24 };
        (left, top, 16, bottom)
    }

    pub(super) fn natural_size(&self, fig: &Figure) -> (u32, u32) {
        let (l, t, r, b) = self.margins(fig);
        let width = l + self.cols as u32 * CELL + r;
        let height = t + self.rows as u32 * CELL + b;
        (width.max(160), height)
    }

    pub(super) fn draw(&self, fig: &Figure, (width, height): (u32, u32), svg: &mut String) {
        let (l, t, r, b) = self.margins(fig);
        let cell_w = (f64::from(width) - f64::from(l + r)).max(1.0) / self.cols.max(1) as f64;
        let cell_h = (f64::from(height) - f64::from(t + b)).max(1.0) / self.rows.max(1) as f64;
        let (l, t) = (f64::from(l), f64::from(t));
        let finite = self.values.iter().copied().filter(|v| v.is_finite());
        let lo = finite.clone().fold(f64::INFINITY, f64::min);
        let hi = finite.fold(f64::NEG_INFINITY, f64::max);
        let root = SVGBackend::with_string(svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).expect("plot: drawing the background");
        let text = |s: &str, at: (f64, f64), size: f64, color: RGBColor, pos: Pos| {
            let style = font(size, color, pos);
            root.draw(&Text::new(
                s,
                (at.0.round() as i32, at.1.round() as i32),
                style,
            ))
            .expect("plot: drawing text");
        };
        let center = Pos::new(HPos::Center, VPos::Center);
        if !fig.title.is_empty() {
            text(
                &fig.title,
                (f64::from(width) / 2.0, f64::from(CAPTION_H) / 2.0),
                20.0,
                BLACK,
                center,
            );
        }
        let font_size = (cell_h.min(cell_w) * 0.35).clamp(8.0, 16.0);
        for (k, &v) in self.values.iter().enumerate() {
            let (i, j) = ((k / self.cols) as f64, (k % self.cols) as f64);
            let (x0, y0) = (l + j * cell_w, t + i * cell_h);
            let u = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
            let color = if v.is_finite() {
                viridis(u)
            } else {
                RGBColor(0xcc, 0xcc, 0xcc)
            };
            let corners = [
                (x0.round() as i32, y0.round() as i32),
                ((x0 + cell_w).round() as i32, (y0 + cell_h).round() as i32),
            ];
            root.draw(&Rectangle::new(corners, color.filled()))
                .expect("plot: drawing a cell");
            let ink = if u < 0.6 || !v.is_finite() {
                WHITE
            } else {
                BLACK
            };
            let at = (x0 + cell_w / 2.0, y0 + cell_h / 2.0);
            text(&self.format(v), at, font_size, ink, center);
        }
        let right = Pos::new(HPos::Right, VPos::Center);
        for (i, label) in self.row_labels.iter().enumerate() {
            text(
                label,
                (l - 6.0, t + (i as f64 + 0.5) * cell_h),
                14.0,
                BLACK,
                right,
            );
        }
        let below = Pos::new(HPos::Center, VPos::Top);
        let grid_bottom = t + self.rows as f64 * cell_h;
        for (j, label) in self.col_labels.iter().enumerate() {
            text(
                label,
                (l + (j as f64 + 0.5) * cell_w, grid_bottom + 6.0),
                14.0,
                BLACK,
                below,
            );
        }
        if !fig.x_label.is_empty() {
            let at = (
                l + self.cols as f64 * cell_w / 2.0,
                f64::from(height) - 14.0,
            );
            text(&fig.x_label, at, 15.0, BLACK, center);
        }
        if !fig.y_label.is_empty() {
            let style = font(15.0, BLACK, center).transform(FontTransform::Rotate270);
            let at = (14, (t + self.rows as f64 * cell_h / 2.0) as i32);
            root.draw(&Text::new(fig.y_label.as_str(), at, style))
                .expect("plot: drawing text");
        }
        root.present().expect("plot: finishing the SVG");
    }
}
