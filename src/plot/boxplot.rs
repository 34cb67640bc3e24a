//! Box plots of precomputed five-number summaries (seed 001 Fig 2: pointwise sparseness
//! improvements over test examples). The statistics are computed by the caller from the data
//! ([`BoxStats::of`]); this module only draws.

use plotters::prelude::*;

use super::curves::{register_fonts, render};
use crate::error::{Error, Result};

/// One box: Tukey's convention — the box spans the quartiles, the line is the median, the
/// whiskers reach the most extreme values within 1.5 IQR of the box; the black triangle is the mean.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxStats {
    /// Label under the box.
    pub label: String,
    /// Lower whisker.
    pub low: f64,
    /// First quartile.
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
    /// Upper whisker.
    pub high: f64,
    /// Mean.
    pub mean: f64,
}

/// Tukey's whisker reach, in interquartile ranges.
pub const WHISKER_IQR: f64 = 1.5;

/// The `p`-quantile of sorted values by linear interpolation between order statistics (numpy's
/// default, "linear").
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = p.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

impl BoxStats {
    /// The summary of `values` (finite values only; an error when none is).
    pub fn of(label: impl Into<String>, values: &[f64]) -> Result<Self> {
        let label = label.into();
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return Err(Error::param("values", format!("box `{label}`: no finite values")));
        }
        v.sort_by(f64::total_cmp);
        let (q1, median, q3) = (quantile_sorted(&v, 0.25), quantile_sorted(&v, 0.5), quantile_sorted(&v, 0.75));
        let reach = WHISKER_IQR * (q3 - q1);
        let low = v.iter().copied().find(|&x| x >= q1 - reach).unwrap_or(q1);
        let high = v.iter().rev().copied().find(|&x| x <= q3 + reach).unwrap_or(q3);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        Ok(BoxStats { label, low, q1, median, q3, high, mean })
    }
}

/// A box plot.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxPlot {
    /// Title.
    pub title: String,
    /// y-axis label.
    pub y_label: String,
    /// Boxes, left to right.
    pub boxes: Vec<BoxStats>,
    /// A horizontal reference line (e.g. 0), if any.
    pub reference: Option<f64>,
}

/// The plot as PNG bytes and SVG text of `size` pixels.
pub fn box_plot_bytes(plot: &BoxPlot, size: (u32, u32)) -> Result<(Vec<u8>, String)> {
    if plot.boxes.is_empty() {
        return Err(Error::param("boxes", "a box plot needs at least one box"));
    }
    render(size, |root| draw(root, plot), |root| draw(root, plot))
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, plotters::coord::Shift>, plot: &BoxPlot) -> std::result::Result<(), String> {
    register_fonts();
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let lo = plot.boxes.iter().map(|b| b.low.min(b.mean)).chain(plot.reference).fold(f64::INFINITY, f64::min);
    let hi = plot.boxes.iter().map(|b| b.high.max(b.mean)).chain(plot.reference).fold(f64::NEG_INFINITY, f64::max);
    let pad = 0.06 * (hi - lo).max(1e-9);
    let n = plot.boxes.len();
    root.fill(&WHITE).map_err(e)?;
    let mut chart = ChartBuilder::on(root)
        .caption(&plot.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(70)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), (lo - pad)..(hi + pad))
        .map_err(e)?;
    let labels: Vec<String> = plot.boxes.iter().map(|b| b.label.clone()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| {
            let k = x.round();
            if (x - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < labels.len() {
                labels[k as usize].clone()
            } else {
                String::new()
            }
        })
        .y_desc(&plot.y_label)
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(e)?;
    if let Some(r) = plot.reference {
        chart.draw_series(LineSeries::new([(-0.5, r), (n as f64 - 0.5, r)], BLACK.mix(0.5).stroke_width(1))).map_err(e)?;
    }
    let blue = RGBColor(31, 119, 180);
    for (i, b) in plot.boxes.iter().enumerate() {
        let x = i as f64;
        let w = 0.3;
        chart.draw_series(std::iter::once(Rectangle::new([(x - w, b.q1), (x + w, b.q3)], blue.mix(0.25).filled()))).map_err(e)?;
        chart.draw_series(std::iter::once(Rectangle::new([(x - w, b.q1), (x + w, b.q3)], blue.stroke_width(2)))).map_err(e)?;
        chart.draw_series(std::iter::once(PathElement::new(vec![(x - w, b.median), (x + w, b.median)], RED.stroke_width(2)))).map_err(e)?;
        for (from, to) in [(b.q1, b.low), (b.q3, b.high)] {
            chart.draw_series(std::iter::once(PathElement::new(vec![(x, from), (x, to)], BLACK.stroke_width(1)))).map_err(e)?;
            chart.draw_series(std::iter::once(PathElement::new(vec![(x - w / 2.0, to), (x + w / 2.0, to)], BLACK.stroke_width(1)))).map_err(e)?;
        }
        chart.draw_series(std::iter::once(TriangleMarker::new((x, b.mean), 5, BLACK.filled()))).map_err(e)?;
    }
    Ok(())
}
