//! Line plots of result rows (x, y per named series), with axis labels, drawn with the bundled
//! DejaVu Sans font so that a fresh machine needs no system fonts.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};

/// The bundled font (DejaVu Sans, licence in assets/fonts/DejaVuSans-LICENSE.txt).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Registers the bundled font as "sans-serif" (once per process).
pub fn register_fonts() {
    REGISTER.call_once(|| {
        // The bytes are a valid TrueType file shipped with the crate; a failure here would leave
        // plotters without a font, which the draw call then reports as an error.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Connected line.
    Line,
    /// Dashed-looking sparse dots along the line.
    Dots,
    /// Separate points (crosses).
    Points,
}

/// One named series of (x, y) rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// Rows.
    pub points: Vec<(f64, f64)>,
    /// How to draw it.
    pub mark: Mark,
}

/// A line plot.
#[derive(Debug, Clone, PartialEq)]
pub struct LinePlot {
    /// Title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Series.
    pub series: Vec<Series>,
}

const PALETTE: [RGBColor; 6] = [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44), RGBColor(148, 103, 189), RGBColor(255, 127, 14), RGBColor(23, 190, 207)];

fn draw_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) }
}

/// Draws the plot as a PNG of `size` pixels at `path`.
pub fn line_plot_png(path: &Path, plot: &LinePlot, size: (u32, u32)) -> Result<()> {
    register_fonts();
    let pts: Vec<(f64, f64)> = plot.series.iter().flat_map(|s| s.points.iter().cloned()).filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
    if pts.is_empty() {
        return Err(Error::param("series", "nothing to plot"));
    }
    let (x0, x1) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| (a.0.min(p.0), a.1.max(p.0)));
    let (y0, y1) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| (a.0.min(p.1), a.1.max(p.1)));
    let pad = 0.05 * (y1 - y0).max(1e-12);
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| draw_err(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(&plot.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
        .map_err(|e| draw_err(path, e))?;
    chart
        .configure_mesh()
        .x_desc(&plot.x_label)
        .y_desc(&plot.y_label)
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(|e| draw_err(path, e))?;
    for (k, s) in plot.series.iter().enumerate() {
        let c = PALETTE[k % PALETTE.len()];
        let data: Vec<(f64, f64)> = s.points.iter().cloned().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
        match s.mark {
            Mark::Line => {
                chart.draw_series(LineSeries::new(data, c.stroke_width(2))).map_err(|e| draw_err(path, e))?
            }
            Mark::Dots => chart.draw_series(data.into_iter().map(|p| Circle::new(p, 2, c.filled()))).map_err(|e| draw_err(path, e))?,
            Mark::Points => chart.draw_series(data.into_iter().map(|p| Cross::new(p, 6, c.stroke_width(2)))).map_err(|e| draw_err(path, e))?,
        }
        .label(s.name.clone())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| draw_err(path, e))?;
    root.present().map_err(|e| draw_err(path, e))?;
    Ok(())
}
