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
    /// Line with a marker at each point, the marker's shape cycling with the series index.
    LineMarked,
    /// A thin line with small open circles in the colour of the series at the given index (a
    /// companion curve of that series: seed 000 Fig 7's bottom-k next to its top-k).
    CompanionOf(usize),
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
    /// Shaded bands (confidence intervals), each in the colour of its series.
    pub bands: Vec<Band>,
}

/// A shaded band (x, lower, upper) around series number `series`.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Index of the series in [`LinePlot::series`] whose colour the band takes.
    pub series: usize,
    /// Rows (x, lower, upper), in increasing x.
    pub points: Vec<(f64, f64, f64)>,
}

/// Series colours: the ten "tab10" colours, then black and olive, so that up to twelve series
/// (seed 002 has eleven models) get distinct colours.
const PALETTE: [RGBColor; 12] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(0, 0, 0),
    RGBColor(85, 107, 47),
];

fn draw_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) }
}

/// Where the legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Legend {
    /// Inside, upper right.
    UpperRight,
    /// Inside, lower left.
    LowerLeft,
    /// Inside, lower right.
    LowerRight,
}

/// Draws the plot as a PNG of `size` pixels at `path`.
pub fn line_plot_png(path: &Path, plot: &LinePlot, size: (u32, u32)) -> Result<()> {
    let root = BitMapBackend::new(path, size).into_drawing_area();
    draw_line_plot(&root, plot, Legend::UpperRight).map_err(|e| draw_err(path, e))?;
    root.present().map_err(|e| draw_err(path, e))?;
    Ok(())
}

/// The plot as PNG bytes and SVG text of `size` pixels (no file I/O).
pub fn line_plot_bytes(plot: &LinePlot, size: (u32, u32), legend: Legend) -> Result<(Vec<u8>, String)> {
    render(size, |root| draw_line_plot(root, plot, legend), |root| draw_line_plot(root, plot, legend))
}

/// Renders one drawing twice, into an RGB bitmap (encoded as PNG) and into SVG text.
/// Draws with `bitmap` into a PNG of `size` (figures whose SVG would hold one rectangle per
/// pixel, such as image grids, are written as PNG only).
pub(crate) fn render_png(size: (u32, u32), bitmap: impl FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> std::result::Result<(), String>) -> Result<Vec<u8>> {
    let bad = |e: String| Error::param("figure", e);
    let (w, h) = size;
    let mut buf = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
        bitmap(&root).map_err(bad)?;
        root.present().map_err(|e| bad(e.to_string()))?;
    }
    let img = image::RgbImage::from_raw(w, h, buf).ok_or_else(|| Error::Shape("bitmap buffer does not match the figure size".into()))?;
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).map_err(|e| bad(e.to_string()))?;
    Ok(png)
}

pub(crate) fn render(
    size: (u32, u32),
    bitmap: impl FnOnce(&DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> std::result::Result<(), String>,
    svg: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> std::result::Result<(), String>,
) -> Result<(Vec<u8>, String)> {
    let bad = |e: String| Error::param("figure", e);
    let png = render_png(size, bitmap)?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        svg(&root).map_err(bad)?;
        root.present().map_err(|e| bad(e.to_string()))?;
    }
    Ok((png, text))
}

/// Draws `plot` on `root` (any plotters backend).
pub fn draw_line_plot<DB: DrawingBackend>(root: &DrawingArea<DB, plotters::coord::Shift>, plot: &LinePlot, legend: Legend) -> std::result::Result<(), String> {
    register_fonts();
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let band_pts = plot.bands.iter().flat_map(|b| b.points.iter().flat_map(|&(x, lo, hi)| [(x, lo), (x, hi)]));
    let pts: Vec<(f64, f64)> = plot.series.iter().flat_map(|s| s.points.iter().cloned()).chain(band_pts).filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
    if pts.is_empty() {
        return Err("series: nothing to plot".into());
    }
    let (x0, x1) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| (a.0.min(p.0), a.1.max(p.0)));
    let (y0, y1) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |a, p| (a.0.min(p.1), a.1.max(p.1)));
    let pad = 0.05 * (y1 - y0).max(1e-12);
    root.fill(&WHITE).map_err(e)?;
    let mut chart = ChartBuilder::on(root)
        .caption(&plot.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
        .map_err(e)?;
    chart.configure_mesh().x_desc(&plot.x_label).y_desc(&plot.y_label).label_style(("sans-serif", 13)).draw().map_err(e)?;
    for b in &plot.bands {
        let c = PALETTE[b.series % PALETTE.len()];
        let mut poly: Vec<(f64, f64)> = b.points.iter().filter(|p| p.0.is_finite() && p.1.is_finite()).map(|&(x, lo, _)| (x, lo)).collect();
        poly.extend(b.points.iter().rev().filter(|p| p.0.is_finite() && p.2.is_finite()).map(|&(x, _, hi)| (x, hi)));
        if poly.len() >= 3 {
            chart.draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled()))).map_err(e)?;
        }
    }
    for (k, s) in plot.series.iter().enumerate() {
        let c = PALETTE[if let Mark::CompanionOf(j) = s.mark { j } else { k } % PALETTE.len()];
        let data: Vec<(f64, f64)> = s.points.iter().cloned().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
        match s.mark {
            Mark::Line => chart.draw_series(LineSeries::new(data, c.stroke_width(2))).map_err(e)?,
            Mark::Dots => chart.draw_series(data.into_iter().map(|p| Circle::new(p, 2, c.filled()))).map_err(e)?,
            Mark::Points => chart.draw_series(data.into_iter().map(|p| Cross::new(p, 6, c.stroke_width(2)))).map_err(e)?,
            Mark::CompanionOf(_) => {
                chart.draw_series(data.iter().map(|&p| Circle::new(p, 3, c.stroke_width(1)))).map_err(e)?;
                chart.draw_series(LineSeries::new(data, c.stroke_width(1))).map_err(e)?
            }
            Mark::LineMarked => {
                // Markers whose shape cycles with the series (circle, triangle, cross, square), so
                // that overlapping curves stay distinguishable; the line carries the label.
                match k % 4 {
                    0 => {
                        chart.draw_series(data.iter().map(|&p| Circle::new(p, 4, c.filled()))).map_err(e)?;
                    }
                    1 => {
                        chart.draw_series(data.iter().map(|&p| TriangleMarker::new(p, 5, c.filled()))).map_err(e)?;
                    }
                    2 => {
                        chart.draw_series(data.iter().map(|&p| Cross::new(p, 5, c.stroke_width(2)))).map_err(e)?;
                    }
                    _ => {
                        chart.draw_series(data.iter().map(|&p| EmptyElement::at(p) + Rectangle::new([(-4, -4), (4, 4)], c.filled()))).map_err(e)?;
                    }
                }
                chart.draw_series(LineSeries::new(data, c.stroke_width(2))).map_err(e)?
            }
        }
        .label(s.name.clone())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(match legend {
            Legend::UpperRight => SeriesLabelPosition::UpperRight,
            Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
            Legend::LowerRight => SeriesLabelPosition::LowerRight,
        })
        .draw()
        .map_err(e)?;
    Ok(())
}

