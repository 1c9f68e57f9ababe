//! Line plots: [`super::Figure::lines`] and its series, drawn on a plotters chart.

use std::ops::Range;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use super::{Figure, PALETTE};

#[derive(Clone, Debug, Default)]
pub(super) struct Lines {
    pub(super) series: Vec<Series>,
    pub(super) log_y: bool,
}

#[derive(Clone, Debug)]
pub(super) struct Series {
    pub(super) name: String,
    pub(super) xs: Vec<f64>,
    pub(super) ys: Vec<f64>,
}

impl Lines {
    /// The points of series `s` that can be drawn (finite, and `y > 0` on a log axis).
    fn points<'a>(&self, s: &'a Series) -> impl Iterator<Item = (f64, f64)> + 'a + use<'a> {
        let log = self.log_y;
        s.xs.iter()
            .zip(&s.ys)
            .map(|(&x, &y)| (x, y))
            .filter(move |&(x, y)| x.is_finite() && y.is_finite() && (!log || y > 0.0))
    }

    /// The x and y ranges covering every drawable point, with a margin on a linear y axis.
    fn ranges(&self) -> (Range<f64>, Range<f64>) {
        let (mut x0, mut x1, mut y0, mut y1) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for s in &self.series {
            for (x, y) in self.points(s) {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
            }
        }
        if x0 > x1 {
            (x0, x1) = (0.0, 1.0);
            (y0, y1) = if self.log_y { (1.0, 10.0) } else { (0.0, 1.0) };
        }
        if x0 == x1 {
            (x0, x1) = (x0 - 0.5, x1 + 0.5);
        }
        if self.log_y {
            if y0 == y1 {
                (y0, y1) = (y0 / 2.0, y1 * 2.0);
            }
        } else if y0 == y1 {
            (y0, y1) = (y0 - 0.5, y1 + 0.5);
        } else {
            let pad = (y1 - y0) * 0.05;
            (y0, y1) = (y0 - pad, y1 + pad);
        }
        (x0..x1, y0..y1)
    }

    pub(super) fn draw(&self, fig: &Figure, size: (u32, u32), svg: &mut String) {
        let (xr, yr) = self.ranges();
        if self.log_y {
            self.draw_with(fig, size, svg, xr, yr.log_scale());
        } else {
            self.draw_with(fig, size, svg, xr, yr);
        }
    }

    fn draw_with<Y>(&self, fig: &Figure, size: (u32, u32), svg: &mut String, xr: Range<f64>, yr: Y)
    where
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let root = SVGBackend::with_string(svg, size).into_drawing_area();
        root.fill(&WHITE).expect("plot: drawing the background");
        let mut builder = ChartBuilder::on(&root);
        builder
            .margin(12)
            .x_label_area_size(if fig.x_label.is_empty() { 28 } else { 44 })
            .y_label_area_size(if fig.y_label.is_empty() { 52 } else { 68 });
        if !fig.title.is_empty() {
            builder.caption(&fig.title, ("sans-serif", 22));
        }
        let mut chart = builder
            .build_cartesian_2d(xr, yr)
            .expect("plot: building the chart");
        let mut mesh = chart.configure_mesh();
        mesh.light_line_style(TRANSPARENT)
            .bold_line_style(BLACK.mix(0.1))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16));
        if !fig.x_label.is_empty() {
            mesh.x_desc(fig.x_label.as_str());
        }
        if !fig.y_label.is_empty() {
            mesh.y_desc(fig.y_label.as_str());
        }
        mesh.draw().expect("plot: drawing the axes");
        for (i, s) in self.series.iter().enumerate() {
            let (r, g, b) = PALETTE[i % PALETTE.len()];
            let color = RGBColor(r, g, b);
            chart
                .draw_series(LineSeries::new(self.points(s), color.stroke_width(2)))
                .expect("plot: drawing a series")
                .label(s.name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 4), (x + 16, y + 4)], color.filled())
                });
        }
        if !self.series.is_empty() {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .label_font(("sans-serif", 15))
                .draw()
                .expect("plot: drawing the legend");
        }
        root.present().expect("plot: finishing the SVG");
    }
}
