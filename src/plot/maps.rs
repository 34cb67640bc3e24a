//! Grids of inputs and attribution maps (seed 000 Fig 1 and Fig 14, seed 001 Fig J.6): one row per
//! example, the input first, then one map per method or model, each map on its own symmetric
//! scale (blue negative, white zero, red positive; ±max|a| of that map), so that maps of methods
//! with different units sit side by side. PNG only: an SVG would hold one rectangle per pixel.

use ndarray::{Array2, Array3};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::curves::{register_fonts, render_png};
use crate::error::{Error, Result};

/// One cell of the grid.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// An input image `[C, H, W]` with values in [0, 1] (grey for one channel, RGB for three).
    Image(Array3<f32>),
    /// A signed map `[H, W]`, drawn on its own symmetric scale.
    Map(Array2<f32>),
}

/// One row: a label (left) and its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct MapRow {
    /// Row label (e.g. "y=1 ŷ=1").
    pub label: String,
    /// Cells, one per column.
    pub cells: Vec<Cell>,
    /// A caption under each cell (e.g. the map's Gini index), or empty for none.
    pub captions: Vec<String>,
}

/// A grid of inputs and maps.
#[derive(Debug, Clone, PartialEq)]
pub struct MapGrid {
    /// Figure title.
    pub title: String,
    /// Column titles.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<MapRow>,
    /// Screen pixels per image pixel.
    pub scale: u32,
}

const TITLE: u32 = 34;
const HEADER: u32 = 52;
const LABEL_W: u32 = 90;
const GAP: u32 = 6;
/// Height of the caption line under each cell, when a grid has captions.
const CAPTION_H: u32 = 16;

fn caption_h(grid: &MapGrid) -> u32 {
    if grid.rows.iter().any(|r| !r.captions.is_empty()) {
        CAPTION_H
    } else {
        0
    }
}

/// Height of one line of a column title.
const HEADER_LINE: i32 = 15;
/// Width of a character of the 12-pixel column titles, for line breaking.
const HEADER_CHAR: u32 = 7;

/// A column title broken into lines no wider than `width` pixels, at underscores or spaces.
fn header_lines(name: &str, width: u32) -> Vec<String> {
    let max = (width / HEADER_CHAR).max(4) as usize;
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in name.split_inclusive(['_', ' ']) {
        if !cur.is_empty() && cur.chars().count() + word.chars().count() > max {
            lines.push(std::mem::take(&mut cur));
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Blue–white–red for v ∈ [−1, 1] (clamped; NaN white).
pub fn diverging(v: f32) -> RGBColor {
    let v = if v.is_nan() { 0.0 } else { v.clamp(-1.0, 1.0) };
    let t = v.abs();
    let fade = |c: u8| (255.0 - t * (255.0 - f32::from(c))).round() as u8;
    if v >= 0.0 {
        RGBColor(fade(178), fade(24), fade(43))
    } else {
        RGBColor(fade(33), fade(102), fade(172))
    }
}

fn cell_dims(c: &Cell) -> (usize, usize) {
    match c {
        Cell::Image(a) => (a.dim().1, a.dim().2),
        Cell::Map(m) => m.dim(),
    }
}

/// The grid as PNG bytes.
pub fn map_grid_png(grid: &MapGrid) -> Result<Vec<u8>> {
    let first = grid.rows.first().and_then(|r| r.cells.first()).ok_or_else(|| Error::param("grid", "nothing to draw"))?;
    let (h, w) = cell_dims(first);
    let ncols = grid.columns.len();
    for (i, r) in grid.rows.iter().enumerate() {
        if r.cells.len() != ncols {
            return Err(Error::Shape(format!("row {i} has {} cells for {ncols} columns", r.cells.len())));
        }
        if !r.captions.is_empty() && r.captions.len() != ncols {
            return Err(Error::Shape(format!("row {i} has {} captions for {ncols} columns", r.captions.len())));
        }
        if let Some(c) = r.cells.iter().find(|c| cell_dims(c) != (h, w)) {
            return Err(Error::Shape(format!("row {i}: a cell of {:?} among cells of {:?}", cell_dims(c), (h, w))));
        }
    }
    if grid.scale == 0 || h == 0 || w == 0 {
        return Err(Error::param("grid", "scale and cell size must be >= 1"));
    }
    let (cw, ch) = (w as u32 * grid.scale, h as u32 * grid.scale);
    let size = (LABEL_W + ncols as u32 * (cw + GAP) + GAP, TITLE + HEADER + grid.rows.len() as u32 * (ch + caption_h(grid) + GAP) + GAP);
    render_png(size, |root| draw(root, grid, (cw, ch)))
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, grid: &MapGrid, (cw, ch): (u32, u32)) -> std::result::Result<(), String> {
    register_fonts();
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (width, _) = root.dim_in_pixel();
    let centre = |size| ("sans-serif", size).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Center));
    root.draw(&Text::new(grid.title.clone(), ((width / 2) as i32, (TITLE / 2) as i32), centre(18))).map_err(e)?;
    for (j, name) in grid.columns.iter().enumerate() {
        let x = (LABEL_W + GAP + j as u32 * (cw + GAP) + cw / 2) as i32;
        let lines = header_lines(name, cw);
        for (k, line) in lines.iter().enumerate() {
            let y = (TITLE + HEADER / 2) as i32 + (2 * k as i32 - (lines.len() as i32 - 1)) * HEADER_LINE / 2;
            root.draw(&Text::new(line.clone(), (x, y), centre(12))).map_err(e)?;
        }
    }
    let s = (cw / cell_dims(&grid.rows[0].cells[0]).1 as u32) as i32;
    for (i, row) in grid.rows.iter().enumerate() {
        let y0 = (TITLE + HEADER + i as u32 * (ch + caption_h(grid) + GAP)) as i32;
        root.draw(&Text::new(row.label.clone(), ((LABEL_W / 2) as i32, y0 + (ch / 2) as i32), centre(12))).map_err(e)?;
        for (j, cell) in row.cells.iter().enumerate() {
            let x0 = (LABEL_W + GAP + j as u32 * (cw + GAP)) as i32;
            if let Some(c) = row.captions.get(j) {
                root.draw(&Text::new(c.clone(), (x0 + (cw / 2) as i32, y0 + ch as i32 + (CAPTION_H / 2) as i32), centre(12))).map_err(e)?;
            }
            let px = |r: usize, c: usize, colour: RGBColor| Rectangle::new([(x0 + c as i32 * s, y0 + r as i32 * s), (x0 + (c as i32 + 1) * s, y0 + (r as i32 + 1) * s)], colour.filled());
            match cell {
                Cell::Image(a) => {
                    let (c, h, w) = a.dim();
                    for r in 0..h {
                        for q in 0..w {
                            let level = |k: usize| (a[[k.min(c - 1), r, q]].clamp(0.0, 1.0) * 255.0).round() as u8;
                            let colour = if c >= 3 { RGBColor(level(0), level(1), level(2)) } else { RGBColor(level(0), level(0), level(0)) };
                            root.draw(&px(r, q, colour)).map_err(e)?;
                        }
                    }
                }
                Cell::Map(m) => {
                    let top = m.iter().fold(0f32, |t, v| t.max(v.abs()));
                    let top = if top > 0.0 { top } else { 1.0 };
                    for ((r, q), &v) in m.indexed_iter() {
                        root.draw(&px(r, q, diverging(v / top))).map_err(e)?;
                    }
                }
            }
        }
    }
    Ok(())
}
