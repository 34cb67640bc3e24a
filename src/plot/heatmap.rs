//! Grids of heat maps with one shared colour scale (seed 002 Figs 2–5: one panel per model, rows =
//! test points, columns = features), drawn as PNG bytes and SVG text.

use ndarray::Array2;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::curves::{register_fonts, render};
use crate::error::{Error, Result};

/// One panel: a title and values in [0, 1] (clamped), rows drawn top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatPanel {
    /// Panel title.
    pub title: String,
    /// `[rows, cols]` values.
    pub values: Array2<f32>,
}

/// A grid of panels sharing one colour scale [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapGrid {
    /// Figure title.
    pub title: String,
    /// Label of the columns (under each panel).
    pub x_label: String,
    /// Label of the rows (left of the first panel of each row).
    pub y_label: String,
    /// Label of the colour bar.
    pub colorbar_label: String,
    /// Panels, row by row.
    pub panels: Vec<HeatPanel>,
    /// Panels per row.
    pub cols: usize,
}

/// Viridis (matplotlib's default colour map, perceptually uniform and readable in grey scale) at
/// nine evenly spaced anchors; colours in between are interpolated linearly.
const VIRIDIS: [(u8, u8, u8); 9] = [(68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141), (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37)];

/// The colour of `v` ∈ [0, 1] (clamped; NaN as 0).
pub fn viridis(v: f32) -> RGBColor {
    let t = if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) } * (VIRIDIS.len() - 1) as f32;
    let i = (t.floor() as usize).min(VIRIDIS.len() - 2);
    let f = t - i as f32;
    let mix = |a: u8, b: u8| (f32::from(a) + f * (f32::from(b) - f32::from(a))).round() as u8;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Pixels around each panel's cells: y tick labels (+ axis label on the first column), caption,
/// x tick labels + axis label.
const Y_AREA: u32 = 52;
const CAPTION: u32 = 26;
const X_AREA: u32 = 40;
const MARGIN: u32 = 6;
/// Figure title band and colour bar column.
const TITLE_BAND: u32 = 40;
const COLORBAR_W: u32 = 120;
/// Steps of the colour bar.
const COLORBAR_STEPS: usize = 100;

/// The grid as PNG bytes and SVG text; every entry is `cell` = (width, height) pixels.
pub fn heatmap_grid_bytes(grid: &HeatmapGrid, cell: (u32, u32)) -> Result<(Vec<u8>, String)> {
    let Some(first) = grid.panels.first() else {
        return Err(Error::param("panels", "nothing to draw"));
    };
    let (rows, cols) = first.values.dim();
    if rows == 0 || cols == 0 {
        return Err(Error::param("panels", "panels are empty"));
    }
    if let Some(bad) = grid.panels.iter().find(|p| p.values.dim() != (rows, cols)) {
        return Err(Error::Shape(format!("heat-map panels must share one shape: `{}` is {:?}, the first {:?}", bad.title, bad.values.dim(), (rows, cols))));
    }
    if grid.cols == 0 || cell.0 == 0 || cell.1 == 0 {
        return Err(Error::param("grid", "cols and cell size must be >= 1"));
    }
    let gcols = grid.cols.min(grid.panels.len());
    let grows = grid.panels.len().div_ceil(gcols);
    let panel_w = Y_AREA + cols as u32 * cell.0 + 2 * MARGIN;
    let panel_h = CAPTION + rows as u32 * cell.1 + X_AREA + 2 * MARGIN;
    let size = (gcols as u32 * panel_w + COLORBAR_W, TITLE_BAND + grows as u32 * panel_h);
    render(size, |root| draw(root, grid, gcols, (panel_w, panel_h)), |root| draw(root, grid, gcols, (panel_w, panel_h)))
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, grid: &HeatmapGrid, gcols: usize, panel: (u32, u32)) -> std::result::Result<(), String> {
    register_fonts();
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (w, _) = root.dim_in_pixel();
    let (top, body) = root.split_vertically(TITLE_BAND);
    top.draw(&Text::new(grid.title.clone(), ((w / 2) as i32, 10), ("sans-serif", 20).into_font().color(&BLACK).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Center,
        plotters::style::text_anchor::VPos::Top,
    ))))
    .map_err(e)?;
    let (panels_area, bar_area) = body.split_horizontally(gcols as u32 * panel.0);
    for (k, p) in grid.panels.iter().enumerate() {
        let (r, c) = (k / gcols, k % gcols);
        let x0 = c as i32 * panel.0 as i32;
        let y0 = r as i32 * panel.1 as i32;
        let area = panels_area.clone().shrink((x0, y0), panel);
        draw_panel(&area, p, grid, c == 0).map_err(e)?;
    }
    draw_colorbar(&bar_area.shrink((0, 0), (COLORBAR_W, panel.1)), &grid.colorbar_label).map_err(e)?;
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &HeatPanel, grid: &HeatmapGrid, first_col: bool) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (rows, cols) = p.values.dim();
    let (rows_i, cols_i) = (rows as i32, cols as i32);
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, ("sans-serif", 14))
        .margin(MARGIN)
        .x_label_area_size(X_AREA)
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d((0..cols_i).into_segmented(), (0..rows_i).into_segmented())?;
    // Row n is drawn at y = rows − 1 − n so that the first test point is on top.
    let row_label = move |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(y) if (0..rows_i).contains(y) => (rows_i - 1 - y).to_string(),
        _ => String::new(),
    };
    let col_label = move |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(x) if (0..cols_i).contains(x) => x.to_string(),
        _ => String::new(),
    };
    let mut mesh = chart.configure_mesh();
    mesh.disable_mesh()
        .x_labels(cols)
        .y_labels(rows.div_ceil(5).max(2))
        .x_label_formatter(&col_label)
        .y_label_formatter(&row_label)
        .x_desc(&grid.x_label)
        .label_style(("sans-serif", 11))
        .axis_desc_style(("sans-serif", 13));
    if first_col {
        mesh.y_desc(&grid.y_label);
    }
    mesh.draw()?;
    chart.draw_series(p.values.indexed_iter().map(|((n, k), &v)| {
        let (x, y) = (k as i32, rows_i - 1 - n as i32);
        Rectangle::new([(SegmentValue::Exact(x), SegmentValue::Exact(y)), (SegmentValue::Exact(x + 1), SegmentValue::Exact(y + 1))], viridis(v).filled())
    }))?;
    Ok(())
}

fn draw_colorbar<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, label: &str) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let mut chart = ChartBuilder::on(area)
        .margin_top(CAPTION + MARGIN)
        .margin_bottom(X_AREA + MARGIN)
        .margin_right(MARGIN)
        .y_label_area_size(0)
        .right_y_label_area_size(70)
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)?
        .set_secondary_coord(0f64..1f64, 0f64..1f64);
    let step = 1.0 / COLORBAR_STEPS as f64;
    chart.draw_series((0..COLORBAR_STEPS).map(|i| {
        let lo = i as f64 * step;
        Rectangle::new([(0.0, lo), (1.0, lo + step)], viridis((lo + step / 2.0) as f32).filled())
    }))?;
    chart
        .configure_secondary_axes()
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v:.1}"))
        .y_desc(label)
        .label_style(("sans-serif", 11))
        .axis_desc_style(("sans-serif", 13))
        .draw()?;
    Ok(())
}
