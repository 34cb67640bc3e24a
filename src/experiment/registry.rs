//! The known experiments: id → runner and plotter.

use super::spec::{Scale, SpecFile};
use super::{seed002, CellStore, Figure, Table};
use crate::error::{Error, Result};

/// What a runner hands back to [`super::run`].
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// Result tables (CSV).
    pub tables: Vec<Table>,
    /// Every seed used.
    pub seeds: Vec<u64>,
    /// The typed parameters of the scale that ran (recorded in meta.json).
    pub params: serde_json::Value,
    /// The backend, in words.
    pub backend: String,
    /// Requirements the results missed, one line each (the run writes everything, then fails).
    pub unmet: Vec<String>,
}

/// Runs one scale of a spec, storing cells in the given store and logging one line per cell.
pub type Runner = fn(&SpecFile, Scale, &mut dyn CellStore, &mut dyn FnMut(&str)) -> Result<RunOutput>;
/// Draws the figures from the tables.
pub type Plotter = fn(&[Table]) -> Result<Vec<Figure>>;

/// A registered experiment.
#[derive(Debug, Clone, Copy)]
pub struct Experiment {
    /// The id (= spec file stem).
    pub id: &'static str,
    /// One line on what it reproduces.
    pub about: &'static str,
    /// The table suffixes it writes (and `plot` reads back).
    pub tables: &'static [&'static str],
    /// Runner.
    pub run: Runner,
    /// Plotter.
    pub plot: Plotter,
}

/// Every experiment, by id.
pub const REGISTRY: &[Experiment] = &[Experiment {
    id: "seed002_toy",
    about: "seed 002 Figs 2–6: gradient heat maps and accuracy vs ℓ∞ ε of 11 regularised MLPs on x = y·e_j",
    tables: &["", "_gradients", "_accuracy"],
    run: run_seed002,
    plot: seed002::plot,
}];

/// The experiment `id`, or an error listing the known ids.
pub fn find(id: &str) -> Result<&'static Experiment> {
    REGISTRY.iter().find(|e| e.id == id).ok_or_else(|| {
        Error::param("id", format!("unknown experiment `{id}`; known: {}", REGISTRY.iter().map(|e| e.id).collect::<Vec<_>>().join(", ")))
    })
}

fn run_seed002(spec: &SpecFile, scale: Scale, cells: &mut dyn CellStore, log: &mut dyn FnMut(&str)) -> Result<RunOutput> {
    let keys = spec.scale(scale)?;
    let toy = seed002::ToySpec::from_keys(&keys)?;
    let device = Default::default();
    let (tables, unmet) = seed002::run::<crate::train::CpuAutodiff>(&toy, cells, log, &device)?;
    Ok(RunOutput {
        tables,
        seeds: toy.seeds.clone(),
        params: serde_json::to_value(&toy).map_err(|e| Error::Shape(format!("spec: {e}")))?,
        backend: "ndarray-cpu".into(),
        unmet,
    })
}
