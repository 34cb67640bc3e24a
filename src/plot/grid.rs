//! A grid of grey-scale images, as in seed 000 Fig 1(a) and Fig 14 (first row).

use std::path::Path;

use ndarray::Array2;
use plotters::prelude::*;

use crate::error::{Error, Result};

/// Layout of an image grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridStyle {
    /// Images per row.
    pub cols: usize,
    /// Screen pixels per image pixel.
    pub scale: u32,
    /// Gap between images, in screen pixels.
    pub gap: u32,
    /// Grey level of the background and gaps (0 black … 255 white).
    pub background: u8,
}

impl Default for GridStyle {
    /// 8 per row, 4× magnification, 6-pixel light-grey gaps.
    fn default() -> Self {
        GridStyle { cols: 8, scale: 4, gap: 6, background: 200 }
    }
}

fn draw_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) }
}

/// Draws `images` (values in [0, 1], 0 black, clamped) row by row into a PNG at `path`. All
/// images must have the same shape.
///
/// # Shapes
/// Each image: H×W.
pub fn image_grid_png(path: &Path, images: &[Array2<f32>], style: GridStyle) -> Result<()> {
    let Some(first) = images.first() else {
        return Err(Error::param("images", "nothing to draw"));
    };
    let (h, w) = first.dim();
    if let Some(bad) = images.iter().find(|im| im.dim() != (h, w)) {
        return Err(Error::Shape(format!("grid images must share one shape: {:?} vs {:?}", bad.dim(), (h, w))));
    }
    if style.cols == 0 || style.scale == 0 {
        return Err(Error::param("style", "cols and scale must be >= 1"));
    }
    let cols = style.cols.min(images.len());
    let rows = images.len().div_ceil(cols);
    let (s, g) = (style.scale, style.gap);
    let cell_w = w as u32 * s;
    let cell_h = h as u32 * s;
    let width = cols as u32 * (cell_w + g) + g;
    let height = rows as u32 * (cell_h + g) + g;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| Error::Io { path: parent.to_path_buf(), source })?;
    }
    let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
    let bg = style.background;
    root.fill(&RGBColor(bg, bg, bg)).map_err(|e| draw_err(path, e))?;
    for (k, im) in images.iter().enumerate() {
        let x0 = g + (k % cols) as u32 * (cell_w + g);
        let y0 = g + (k / cols) as u32 * (cell_h + g);
        for ((r, c), &v) in im.indexed_iter() {
            let level = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            let (x, y) = ((x0 + c as u32 * s) as i32, (y0 + r as u32 * s) as i32);
            root.draw(&Rectangle::new([(x, y), (x + s as i32, y + s as i32)], RGBColor(level, level, level).filled()))
                .map_err(|e| draw_err(path, e))?;
        }
    }
    root.present().map_err(|e| draw_err(path, e))?;
    Ok(())
}
