//! The experiment layer: one id = one spec = one figure or table.
//!
//! * [`spec`] — `experiments/<id>.toml` → typed, validated values; errors name the file and key.
//! * [`registry`] — id → runner and plotter.
//! * [`run`] — all file I/O: reads the spec, stores cells (resume), writes CSVs, figures and
//!   `meta.json` atomically; `plot` redraws from the CSVs.
//! * [`seed000_fig5`], [`seed000_leakage`] — seed 000 Fig 5 and the feature-leakage table (§6).
//! * [`seed000_maxmargin`] — certified ℓ∞ max-margin values over (d, ε) (eq 4, eq 8).
//! * [`seed000_fig31`] — seed 000 Fig 31 (wide ℓ∞-adversarial training, neuron structure).
//! * [`seed002`] — seed 002's toy experiment (Figs 2–6).
//!
//! Runners do no file I/O: they get a [`CellStore`] for per-cell results and return [`Table`]s;
//! plotters turn tables into [`Figure`] bytes.

pub mod registry;
pub mod run;
pub mod seed000_fig31;
pub mod seed000_fig5;
pub mod seed000_leakage;
pub mod seed000_maxmargin;
pub mod seed000_zoo;
pub mod seed002;
pub mod spec;

pub use registry::{find, Experiment, RunOutput, REGISTRY};
pub use run::{plot, run, RunArgs, RunReport};
pub use spec::{Scale, SpecFile};

use crate::error::Result;

/// Where a runner keeps the result of each finished cell, so that a rerun skips it.
pub trait CellStore {
    /// The stored result of cell `key`, if one was stored with the same `hash` (the hash of
    /// everything the cell's result depends on; a different hash means a stale result).
    fn load(&mut self, key: &str, hash: &str) -> Result<Option<serde_json::Value>>;
    /// Stores the result of cell `key` (atomically: a crash leaves the old state or the new one).
    fn save(&mut self, key: &str, hash: &str, value: &serde_json::Value) -> Result<()>;
}

/// Cells kept in memory (tests, and runs that need no resume).
#[derive(Debug, Default)]
pub struct MemoryCells {
    cells: std::collections::BTreeMap<String, (String, serde_json::Value)>,
}

impl CellStore for MemoryCells {
    fn load(&mut self, key: &str, hash: &str) -> Result<Option<serde_json::Value>> {
        Ok(self.cells.get(key).filter(|(h, _)| h == hash).map(|(_, v)| v.clone()))
    }
    fn save(&mut self, key: &str, hash: &str, value: &serde_json::Value) -> Result<()> {
        self.cells.insert(key.to_string(), (hash.to_string(), value.clone()));
        Ok(())
    }
}

/// One result table: written as `<id><suffix>.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// File-name suffix after the id (`""` for the main table `<id>.csv`).
    pub suffix: String,
    /// Column names.
    pub header: Vec<String>,
    /// Rows, one string per column.
    pub rows: Vec<Vec<String>>,
}

/// One figure: written as `<id><suffix>.png` and `.svg`.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// File-name suffix after the id.
    pub suffix: String,
    /// PNG bytes.
    pub png: Vec<u8>,
    /// SVG text.
    pub svg: String,
}

/// The table with `suffix` among `tables`, checked to have exactly the columns `header`.
pub fn find_table<'t>(tables: &'t [Table], suffix: &str, header: &[&str]) -> Result<&'t Table> {
    let t = tables.iter().find(|t| t.suffix == suffix).ok_or_else(|| crate::error::Error::param("tables", format!("no table `{suffix}`")))?;
    if t.header.iter().map(String::as_str).ne(header.iter().copied()) {
        return Err(crate::error::Error::Shape(format!("table `{suffix}` has columns {:?}, expected {:?}", t.header, header)));
    }
    Ok(t)
}

/// Column `c` of row `r` of table `t` as a number, or an error naming the table, column and row.
pub fn cell_num(t: &Table, r: &[String], c: usize) -> Result<f64> {
    r.get(c).and_then(|s| s.parse::<f64>().ok()).ok_or_else(|| crate::error::Error::Shape(format!("table `{}`: column `{}` of row {r:?} is not a number", t.suffix, t.header.get(c).map_or("?", String::as_str))))
}
