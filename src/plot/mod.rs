//! Figures for notebooks and programs (cargo feature `plot`): line plots of series, image
//! grids from a tensor of images, heatmaps (confusion matrices), drawn with
//! [plotters](https://docs.rs/plotters)' SVG backend.
//!
//! A [`Figure`] is owned data (no lifetimes): build it, then [`Figure::to_svg`] it,
//! [`Figure::save_svg`] it, or show it in an evcxr Jupyter notebook with
//! [`Figure::evcxr_display`] (rich display needs no evcxr dependency: the kernel reads the
//! `EVCXR_BEGIN_CONTENT` blocks the method prints).
//!
//! Text is written as SVG `<text>` elements rendered by the viewer, so no font files or font
//! crates are needed; text extents for the layout are estimated. Colours: series take the
//! fixed qualitative palette [`PALETTE`] in order, heatmaps the sequential viridis colormap,
//! images grayscale.
//!
//! ```
//! use ferrax::plot::Figure;
//! let steps: Vec<f64> = (0..50).map(|i| i as f64).collect();
//! let loss: Vec<f64> = steps.iter().map(|s| 2.0 * (-s / 10.0).exp() + 0.1).collect();
//! let fig = Figure::lines("training loss")
//!     .x_label("step")
//!     .y_label("loss")
//!     .series("train", &steps, &loss)
//!     .size(640, 400);
//! assert!(fig.to_svg().starts_with("<svg"));
//! assert_eq!(fig.to_string(), r#"Figure "training loss" (line plot, 1 series, 640x400)"#);
//! ```
//!
//! Bad input (mismatched lengths, wrong tensor ranks) panics naming the function and the
//! shapes; only file writing returns an error.

mod heatmap;
mod images;
mod lines;
mod png;

use std::fmt;
use std::io::Write;
use std::path::Path;

pub use heatmap::heatmap;
pub use images::image_grid;

/// The qualitative palette of line series, in the order series are added (the ten colours of
/// matplotlib's `tab10`); the eleventh series starts over.
///
/// ```
/// assert_eq!(ferrax::plot::PALETTE[0], (0x1f, 0x77, 0xb4));
/// ```
pub const PALETTE: [(u8, u8, u8); 10] = [
    (0x1f, 0x77, 0xb4),
    (0xff, 0x7f, 0x0e),
    (0x2c, 0xa0, 0x2c),
    (0xd6, 0x27, 0x28),
    (0x94, 0x67, 0xbd),
    (0x8c, 0x56, 0x4b),
    (0xe3, 0x77, 0xc2),
    (0x7f, 0x7f, 0x7f),
    (0xbc, 0xbd, 0x22),
    (0x17, 0xbe, 0xcf),
];

/// A figure: a line plot ([`Figure::lines`]), an image grid ([`image_grid`]) or a heatmap
/// ([`heatmap`]), with a title and a size in pixels. Builder methods take and return it by
/// value.
///
/// ```
/// use ferrax::plot::Figure;
/// let fig = Figure::lines_from("loss", &[("train", vec![3.0, 2.0, 1.5])]);
/// let svg = fig.to_svg();
/// assert!(svg.contains("<polyline"));
/// ```
#[derive(Clone, Debug)]
pub struct Figure {
    title: String,
    size: Option<(u32, u32)>,
    x_label: String,
    y_label: String,
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Lines(lines::Lines),
    Images(images::Images),
    Heatmap(heatmap::Heatmap),
}

impl Figure {
    fn new(title: &str, kind: Kind) -> Figure {
        Figure {
            title: title.to_string(),
            size: None,
            x_label: String::new(),
            y_label: String::new(),
            kind,
        }
    }

    /// An empty line plot titled `title`; add curves with [`Figure::series`].
    /// Its default size is 640x400.
    ///
    /// ```
    /// let fig = ferrax::plot::Figure::lines("accuracy").series("test", &[1.0, 2.0], &[0.8, 0.9]);
    /// assert!(fig.to_svg().contains("accuracy"));
    /// ```
    pub fn lines(title: &str) -> Figure {
        Figure::new(title, Kind::Lines(lines::Lines::default()))
    }

    /// A line plot with one series per `(name, ys)` pair, each drawn against x = 0, 1, ...
    ///
    /// ```
    /// use ferrax::plot::Figure;
    /// let fig = Figure::lines_from("loss", &[("train", vec![1.0, 0.5]), ("test", vec![1.2, 0.7])]);
    /// let svg = fig.to_svg();
    /// assert!(svg.contains(r##"stroke="#1F77B4""##) && svg.contains(r##"stroke="#FF7F0E""##));
    /// ```
    pub fn lines_from<S: AsRef<str>>(title: &str, series: &[(S, Vec<f64>)]) -> Figure {
        series.iter().fold(Figure::lines(title), |fig, (name, ys)| {
            let xs: Vec<f64> = (0..ys.len()).map(|i| i as f64).collect();
            fig.series(name.as_ref(), &xs, ys)
        })
    }

    /// Adds the curve through the points `(xs[i], ys[i])`, named `name` in the legend and
    /// coloured by the next colour of [`PALETTE`]. Non-finite points (and, with
    /// [`Figure::log_y`], points with `y <= 0`) are left out. Panics if the lengths differ
    /// or the figure is not a line plot.
    ///
    /// ```
    /// let fig = ferrax::plot::Figure::lines("f").series("x^2", &[0.0, 1.0, 2.0], &[0.0, 1.0, 4.0]);
    /// assert!(fig.to_svg().contains("x^2"));
    /// ```
    #[track_caller]
    pub fn series(mut self, name: &str, xs: &[f64], ys: &[f64]) -> Figure {
        assert!(
            xs.len() == ys.len(),
            "plot::Figure::series: series {name:?} has xs of length {} but ys of length {}",
            xs.len(),
            ys.len()
        );
        self.lines_mut("series").series.push(lines::Series {
            name: name.to_string(),
            xs: xs.to_vec(),
            ys: ys.to_vec(),
        });
        self
    }

    /// A logarithmic y axis (`true`) or a linear one (`false`, the default) for a line plot.
    /// Panics if the figure is not a line plot.
    ///
    /// ```
    /// let fig = ferrax::plot::Figure::lines("loss").series("l", &[0.0, 1.0], &[1.0, 0.01]).log_y(true);
    /// assert!(fig.to_svg().contains("<polyline"));
    /// ```
    #[track_caller]
    pub fn log_y(mut self, log: bool) -> Figure {
        self.lines_mut("log_y").log_y = log;
        self
    }

    /// The label of the x axis (line plots and heatmaps; image grids have no axes).
    ///
    /// ```
    /// let fig = ferrax::plot::Figure::lines("loss").x_label("step");
    /// assert!(fig.to_svg().contains(">\nstep\n</text>"));
    /// ```
    pub fn x_label(mut self, label: &str) -> Figure {
        self.x_label = label.to_string();
        self
    }

    /// The label of the y axis (line plots and heatmaps; image grids have no axes).
    ///
    /// ```
    /// let fig = ferrax::plot::Figure::lines("loss").y_label("loss");
    /// assert!(fig.to_svg().contains(">\nloss\n</text>"));
    /// ```
    pub fn y_label(mut self, label: &str) -> Figure {
        self.y_label = label.to_string();
        self
    }

    /// Replaces the title (drawn above the figure; an empty title draws none).
    ///
    /// ```
    /// let fig = ferrax::plot::Figure::lines("a").title("b");
    /// assert_eq!(fig.get_title(), "b");
    /// ```
    pub fn title(mut self, title: &str) -> Figure {
        self.title = title.to_string();
        self
    }

    /// The title.
    ///
    /// ```
    /// assert_eq!(ferrax::plot::Figure::lines("loss").get_title(), "loss");
    /// ```
    pub fn get_title(&self) -> &str {
        &self.title
    }

    /// The size in pixels, `width` x `height`; without it each kind of figure picks one that
    /// fits its content (640x400 for line plots). Panics on a zero size.
    ///
    /// ```
    /// let fig = ferrax::plot::Figure::lines("loss").size(320, 200);
    /// assert_eq!(fig.get_size(), (320, 200));
    /// assert!(fig.to_svg().starts_with(r#"<svg width="320" height="200""#));
    /// ```
    #[track_caller]
    pub fn size(mut self, width: u32, height: u32) -> Figure {
        assert!(
            width > 0 && height > 0,
            "plot::Figure::size: the size must be positive, got {width}x{height}"
        );
        self.size = Some((width, height));
        self
    }

    /// The size in pixels the figure is drawn at (see [`Figure::size`]).
    ///
    /// ```
    /// assert_eq!(ferrax::plot::Figure::lines("loss").get_size(), (640, 400));
    /// ```
    pub fn get_size(&self) -> (u32, u32) {
        self.size.unwrap_or_else(|| match &self.kind {
            Kind::Lines(_) => (640, 400),
            Kind::Images(im) => im.natural_size(!self.title.is_empty()),
            Kind::Heatmap(hm) => hm.natural_size(self),
        })
    }

    /// The figure as an SVG document (text, starting with `<svg`).
    ///
    /// ```
    /// let svg = ferrax::plot::Figure::lines("loss").to_svg();
    /// assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    /// ```
    pub fn to_svg(&self) -> String {
        let size = self.get_size();
        let mut svg = String::new();
        match &self.kind {
            Kind::Lines(l) => l.draw(self, size, &mut svg),
            Kind::Images(im) => im.draw(self, size, &mut svg),
            Kind::Heatmap(hm) => hm.draw(self, size, &mut svg),
        }
        svg
    }

    /// Writes [`Figure::to_svg`] to `path` atomically: into a temporary file in the same
    /// directory, then renamed over `path`, so no reader sees a half-written file and a
    /// failure leaves nothing behind.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("ferrax-plot-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let fig = ferrax::plot::Figure::lines("loss");
    /// fig.save_svg(dir.join("loss.svg")).unwrap();
    /// assert_eq!(std::fs::read_to_string(dir.join("loss.svg")).unwrap(), fig.to_svg());
    /// assert!(fig.save_svg(dir.join("missing/loss.svg")).is_err());
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn save_svg(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        let path = path.as_ref();
        let name = path.file_name().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("plot::Figure::save_svg: {} names no file", path.display()),
            )
        })?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(
            ".{}.{}-{n}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        let result = (|| {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            file.write_all(self.to_svg().as_bytes())?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// What [`Figure::evcxr_display`] prints: a `text/plain` block with the one-line summary
    /// (the [`Display`](fmt::Display) form) and an `image/svg+xml` block with the SVG, each
    /// between `EVCXR_BEGIN_CONTENT <mime>` and `EVCXR_END_CONTENT` lines.
    ///
    /// ```
    /// let out = ferrax::plot::Figure::lines("loss").evcxr_mime();
    /// assert!(out.starts_with("EVCXR_BEGIN_CONTENT text/plain\nFigure \"loss\""));
    /// assert!(out.contains("EVCXR_BEGIN_CONTENT image/svg+xml\n<svg"));
    /// ```
    pub fn evcxr_mime(&self) -> String {
        let mut svg = self.to_svg();
        if svg.ends_with('\n') {
            svg.pop();
        }
        format!(
            "EVCXR_BEGIN_CONTENT text/plain\n{self}\nEVCXR_END_CONTENT\n\
             EVCXR_BEGIN_CONTENT image/svg+xml\n{svg}\nEVCXR_END_CONTENT\n"
        )
    }

    /// Shows the figure in an evcxr Jupyter notebook (prints [`Figure::evcxr_mime`] to
    /// stdout; the kernel calls it for the value of a cell).
    ///
    /// ```
    /// ferrax::plot::Figure::lines("loss").evcxr_display();
    /// ```
    pub fn evcxr_display(&self) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(self.evcxr_mime().as_bytes());
        let _ = out.flush();
    }

    #[track_caller]
    fn lines_mut(&mut self, method: &str) -> &mut lines::Lines {
        let (title, kind) = (&self.title, self.kind.name());
        match &mut self.kind {
            Kind::Lines(l) => l,
            _ => panic!("plot::Figure::{method}: figure {title:?} is {kind}, not a line plot"),
        }
    }
}

impl Kind {
    fn name(&self) -> &'static str {
        match self {
            Kind::Lines(_) => "a line plot",
            Kind::Images(_) => "an image grid",
            Kind::Heatmap(_) => "a heatmap",
        }
    }
}

/// The one-line summary, e.g. `Figure "loss" (line plot, 2 series, 640x400)`.
impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (w, h) = self.get_size();
        write!(f, "Figure {:?} (", self.title)?;
        match &self.kind {
            Kind::Lines(l) => write!(f, "line plot, {} series", l.series.len())?,
            Kind::Images(im) => write!(
                f,
                "image grid, {} images of {}x{} in {} columns",
                im.pixels.len(),
                im.h,
                im.w,
                im.cols
            )?,
            Kind::Heatmap(hm) => write!(f, "heatmap, {}x{}", hm.rows, hm.cols)?,
        }
        write!(f, ", {w}x{h})")
    }
}

/// `f32[3, 4]`: how errors name a tensor argument.
fn describe(t: &crate::tensor::Tensor) -> String {
    format!("{}{:?}", t.dtype(), t.shape())
}

/// The plotters text style of `size` pixels in `color`, anchored at `pos`.
fn font(
    size: f64,
    color: plotters::style::RGBColor,
    pos: plotters::style::text_anchor::Pos,
) -> plotters::style::TextStyle<'static> {
    use plotters::style::IntoFont;
    ("sans-serif", size).into_font().color(&color).pos(pos)
}
