//! Figures (plotters, pure-Rust bitmap backend). Plot code draws what it is given; it never trains
//! or reads data sets.
//!
//! * [`grid`] — grids of grey-scale images (e.g. the BlockMNIST samples of seed 000 Fig 1a).
//! * [`boxplot`] — box plots of five-number summaries (seed 001 Fig 2).
//! * [`curves`] — line plots of result rows with axis labels (bundled DejaVu Sans font).
//! * [`heatmap`] — grids of heat maps with one colour bar (seed 002 Figs 2–5).
//! * [`maps`] — inputs beside their attribution maps (seed 000 Fig 1, Fig 14).

pub mod boxplot;
pub mod curves;
pub mod grid;
pub mod heatmap;
pub mod maps;
