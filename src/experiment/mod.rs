//! The experiment layer: one id = one spec = one figure or table, with the paper claims it tests.
//!
//! * [`spec`] — TOML → typed, validated values; errors name the file and key.
//! * [`grid`] — the [`Experiment`] trait: a spec expands to a [`Plan`] of independent cells with
//!   stable ids; shards.
//! * [`claim`] — claims with their statistical rules and verdicts (holds / fails / not run).
//! * [`registry`] — id → experiment; built-in specs compiled into the binary.
//! * [`mod@run`] — all file I/O: cells (resume, atomic writes), `run`, `merge`, `status`, `plot`,
//!   meta.json and claims.json.
//! * [`reproduce`] — every experiment after the theory checks, and the gallery `figures/README.md`.
//! * [`slurm`] — sbatch scripts for job arrays over the shards and the merge.
//! * [`seed000_fig5`], [`seed000_leakage`] — seed 000 Fig 5 and the feature-leakage table (§6).
//! * [`seed000_maxmargin`] — certified ℓ∞ max-margin values over (d, ε) (eq 4, eq 8).
//! * [`seed000_diffroar`] — seed 000 Fig 3 (DiffROAR with retraining) and its App. C companions.
//! * [`seed000_blockmnist`] — seed 000 §5, App. B, D: feature leakage on BlockMNIST and its variants.
//! * [`seed000_fig31`] — seed 000 Fig 31 (wide ℓ∞-adversarial training, neuron structure).
//! * [`seed001_images`] — seed 001 Table 1 (MNIST, Fashion-MNIST, CIFAR-10), Figs 2–3, J.6–J.10.
//! * [`seed001_tabular`] — seed 001 Table 1 (Mushroom, Spambase), Fig 3 tabular panels, Figs J.4/J.5.
//! * [`seed002`] — seed 002's toy experiment (Figs 2–6).
//! * [`seed003_leakage`] — seed 003 Table 1, Figs 4, 7, 11, Table 3: M_leakage on BlockMNIST.
//! * [`seed003_robustness`] — seed 003 Tables 4/5, Fig 8, Table 6 analogues (Fashion-MNIST, MNIST).
//! * [`seed004_distractor`] — seed 004 Fig 4 / Fig 12: noise on the signal vs the letter-A distractor.
//! * [`seed004_manifold`] — seed 004 Fig 2 (+ Figs 5, 6): on/off-manifold robustness and gradient–score
//!   alignment against robust-training strength; ρ₁ vs ρ₂ on trained models.
//!
//! Experiments do no file I/O: they plan cells, compute one cell, assemble [`Table`]s from the
//! cells' results and draw [`Figure`]s from tables.

pub mod backend;
pub mod claim;
pub mod grid;
pub mod registry;
pub mod reproduce;
pub mod run;
pub mod seed000_blockmnist;
pub mod seed000_diffroar;
pub mod seed000_fig31;
pub mod seed000_fig5;
pub mod seed000_leakage;
pub mod seed000_maxmargin;
pub mod seed000_zoo;
pub mod seed001_images;
pub mod seed001_tabular;
pub mod seed002;
pub mod seed003_leakage;
pub mod seed003_robustness;
pub mod seed004_distractor;
pub mod seed004_manifold;
pub mod slurm;
pub mod spec;

pub use claim::{Claim, ClaimRow, Outcome, Verdict};
pub use grid::{Assembled, CellContext, CellSpec, Experiment, Plan, Shard};
pub use registry::Registry;
pub use run::{merge, plot, read_table, run, status, RunArgs, RunReport, StatusReport};
pub use spec::{Keys, Scale, SpecFile};

use crate::error::Result;

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

/// A value as JSON (cell results and plan parameters).
pub fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| crate::error::Error::Shape(format!("to JSON: {e}")))
}

/// Each cell's parameters (its `params[key]`, or all of `params` for an empty key) beside its
/// result, both read back from JSON.
pub fn cell_results<P: serde::de::DeserializeOwned, R: serde::de::DeserializeOwned>(plan: &grid::Plan, results: &[serde_json::Value], key: &str) -> Result<Vec<(P, R)>> {
    plan.cells.iter().zip(results).map(|(c, r)| Ok((from_json(if key.is_empty() { &c.params } else { &c.params[key] })?, from_json(r)?))).collect()
}

/// The mean and the sample standard deviation (0 for a single value) of `v`.
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let sd = if v.len() > 1 { (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() } else { 0.0 };
    (m, sd)
}

/// Values built once per key and shared by the cells of one run (a loaded data set), behind a
/// lock held while a value is built, so concurrent cells never build the same one twice.
pub struct Shared<T> {
    map: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<T>>>,
}

impl<T> Default for Shared<T> {
    fn default() -> Self {
        Shared { map: std::sync::Mutex::new(std::collections::HashMap::new()) }
    }
}

impl<T> Shared<T> {
    /// The value of `key`, built by `make` the first time.
    pub fn get_or(&self, key: String, make: impl FnOnce() -> Result<T>) -> Result<std::sync::Arc<T>> {
        let mut map = self.map.lock().map_err(|_| crate::error::Error::Shape("shared-value cache poisoned".into()))?;
        if let Some(v) = map.get(&key) {
            return Ok(v.clone());
        }
        let v = std::sync::Arc::new(make()?);
        map.insert(key, v.clone());
        Ok(v)
    }
}

/// The first `limit` images of `ds` (0 = all), flattened `[N, D]`, with their labels.
///
/// # Shapes
/// - returns `[N, C·H·W]` (N = `limit`, capped at `ds.len()`; 0 = all) and N labels
pub fn first_rows(ds: &crate::data::ImageDataset, limit: usize) -> (ndarray::Array2<f32>, Vec<usize>) {
    let n = if limit == 0 { ds.len() } else { limit.min(ds.len()) };
    (ds.flattened().slice(ndarray::s![..n, ..]).to_owned(), ds.labels[..n].to_vec())
}

/// A map's values for a CSV cell: space-separated, 5 significant digits.
pub fn fmt_map(v: &[f32]) -> String {
    v.iter().map(|x| format!("{x:.4e}")).collect::<Vec<_>>().join(" ")
}

/// A value from JSON (cell results read back).
pub fn from_json<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<T> {
    serde_json::from_value(v.clone()).map_err(|e| crate::error::Error::Shape(format!("cell result: {e}")))
}
