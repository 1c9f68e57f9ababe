//! Image grids: [`image_grid`], grayscale images laid out in rows, each embedded in the SVG as
//! a PNG data URI (a few hundred bytes for an 8x8 digit, against kilobytes for a rectangle
//! per pixel).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{describe, font, png, Figure, Kind};
use crate::tensor::Tensor;

#[derive(Clone, Debug)]
pub(super) struct Images {
    pub(super) h: usize,
    pub(super) w: usize,
    pub(super) cols: usize,
    /// Each image scaled to 0..=255, row-major.
    pub(super) pixels: Vec<Vec<u8>>,
    pub(super) titles: Option<Vec<String>>,
}

const PAD: u32 = 6;
const TITLE_H: u32 = 16;
const CAPTION_H: u32 = 32;

/// A grid of grayscale images, `cols` per row: `images` is a tensor `[N, H, W]` or
/// `[N, H, W, 1]` of any dtype (converted to f64), `titles` one caption per image (such as
/// `"pred 3 / true 5"`).
///
/// Each image is min-max normalised on its own: its smallest value is black, its largest
/// white (a constant image is all black; NaN counts as the smallest). Pixels stay sharp when
/// scaled up. The figure has no title (set one with [`Figure::title`]); its default size
/// draws each image at least 64 pixels wide.
///
/// Panics naming the shape when `images` is not `[N, H, W]` or `[N, H, W, 1]` with `N`, `H`,
/// `W` positive, when `cols` is 0, or when `titles` does not hold `N` captions.
///
/// ```
/// use ferrax::prelude::*;
/// let images = Tensor::from_vec((0..4 * 8 * 8).map(|i| (i % 17) as f32).collect(), &[4, 8, 8]);
/// let titles: Vec<String> = (0..4).map(|i| format!("digit {i}")).collect();
/// let fig = ferrax::plot::image_grid(&images, 2, Some(&titles)).title("samples");
/// let svg = fig.to_svg();
/// assert_eq!(svg.matches("<image").count(), 4);
/// assert!(svg.contains("digit 3"));
/// ```
#[track_caller]
pub fn image_grid(images: &Tensor, cols: usize, titles: Option<&[String]>) -> Figure {
    let shape = images.shape();
    let ok = match shape {
        [n, h, w] | [n, h, w, 1] => *n > 0 && *h > 0 && *w > 0,
        _ => false,
    };
    assert!(
        ok,
        "plot::image_grid: images must be [N, H, W] or [N, H, W, 1] with N, H, W > 0, got {}",
        describe(images)
    );
    let (n, h, w) = (shape[0], shape[1], shape[2]);
    assert!(
        cols > 0,
        "plot::image_grid: cols must be positive, got 0 (images {})",
        describe(images)
    );
    if let Some(t) = titles {
        assert!(
            t.len() == n,
            "plot::image_grid: {} titles for {n} images (images {})",
            t.len(),
            describe(images)
        );
    }
    let values = images.to_vec::<f64>();
    let pixels = values.chunks(h * w).map(normalise).collect();
    let grid = Images {
        h,
        w,
        cols,
        pixels,
        titles: titles.map(|t| t.to_vec()),
    };
    Figure::new("", Kind::Images(grid))
}

/// One image's values mapped linearly onto 0..=255 (min to 0, max to 255).
fn normalise(values: &[f64]) -> Vec<u8> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    let span = hi - lo;
    values
        .iter()
        .map(|&v| {
            if span <= 0.0 || v.is_nan() {
                0
            } else {
                (((v - lo) / span).clamp(0.0, 1.0) * 255.0).round() as u8
            }
        })
        .collect()
}

impl Images {
    fn rows(&self) -> usize {
        self.pixels.len().div_ceil(self.cols)
    }

    fn cols_used(&self) -> usize {
        self.cols.min(self.pixels.len())
    }

    fn header(&self, titled: bool) -> u32 {
        if titled {
            CAPTION_H
        } else {
            0
        }
    }

    fn title_h(&self) -> u32 {
        if self.titles.is_some() {
            TITLE_H
        } else {
            0
        }
    }

    pub(super) fn natural_size(&self, titled: bool) -> (u32, u32) {
        let scale = 64usize.div_ceil(self.h.max(self.w)).max(1);
        // Wide enough for the longest title (about 7 pixels a character at 13 pixels).
        let longest = self
            .titles
            .iter()
            .flatten()
            .map(|t| t.chars().count())
            .max()
            .unwrap_or(0);
        let (cw, ch) = (
            (self.w * scale).max(longest * 7) as u32,
            (self.h * scale) as u32,
        );
        let (c, r) = (self.cols_used() as u32, self.rows() as u32);
        let width = PAD + c * (cw + PAD);
        let height = self.header(titled) + PAD + r * (ch + self.title_h() + PAD);
        (width.max(120), height)
    }

    pub(super) fn draw(&self, fig: &Figure, (width, height): (u32, u32), svg: &mut String) {
        let titled = !fig.title.is_empty();
        let (c, r) = (self.cols_used() as f64, self.rows() as f64);
        let top = f64::from(self.header(titled));
        let pad = f64::from(PAD);
        let title_h = f64::from(self.title_h());
        // The cell each image gets, and the scale that fits the image in it.
        let cell_w = ((f64::from(width) - pad) / c - pad).max(1.0);
        let cell_h = ((f64::from(height) - top - pad) / r - pad - title_h).max(1.0);
        let scale = (cell_w / self.w as f64).min(cell_h / self.h as f64);
        let (iw, ih) = (self.w as f64 * scale, self.h as f64 * scale);
        let mut cells = String::new();
        {
            let root = SVGBackend::with_string(svg, (width, height)).into_drawing_area();
            root.fill(&WHITE).expect("plot: drawing the background");
            if titled {
                let style = font(20.0, BLACK, Pos::new(HPos::Center, VPos::Center));
                let at = ((width / 2) as i32, (CAPTION_H / 2) as i32);
                root.draw(&Text::new(fig.title.as_str(), at, style))
                    .expect("plot: drawing the title");
            }
            for (i, pixels) in self.pixels.iter().enumerate() {
                let (col, row) = ((i % self.cols) as f64, (i / self.cols) as f64);
                let x = pad + col * (cell_w + pad) + (cell_w - iw) / 2.0;
                let y = top + pad + row * (cell_h + title_h + pad) + title_h + (cell_h - ih) / 2.0;
                if let Some(titles) = &self.titles {
                    let style = font(13.0, BLACK, Pos::new(HPos::Center, VPos::Bottom));
                    let at = ((x + iw / 2.0) as i32, (y - 2.0) as i32);
                    root.draw(&Text::new(titles[i].as_str(), at, style))
                        .expect("plot: drawing a title");
                }
                let uri = png::base64(&png::gray_png(self.w, self.h, pixels));
                cells.push_str(&format!(
                    "<image x=\"{x:.1}\" y=\"{y:.1}\" width=\"{iw:.1}\" height=\"{ih:.1}\" \
                     preserveAspectRatio=\"none\" image-rendering=\"optimizeSpeed\" \
                     style=\"image-rendering:pixelated\" \
                     href=\"data:image/png;base64,{uri}\"/>\n"
                ));
            }
            root.present().expect("plot: finishing the SVG");
        }
        let end = svg
            .rfind("</svg>")
            .expect("plot: the SVG backend wrote no </svg>");
        svg.insert_str(end, &cells);
    }
}
