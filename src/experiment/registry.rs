//! The known experiments: id → runner and plotter.

use super::spec::{Scale, SpecFile};
use super::{seed000_fig31, seed000_fig5, seed000_leakage, seed000_maxmargin, seed002, CellStore, Figure, Table};
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
pub const REGISTRY: &[Experiment] = &[
    Experiment {
        id: "seed000_fig5",
        about: "seed 000 Fig 5: input gradients of a linear model, a standard and an ℓ∞-robust width-10,000 MLP on eq (2), d = 10",
        tables: &["", "_gradients"],
        run: run_seed000_fig5,
        plot: seed000_fig5::plot,
    },
    Experiment {
        id: "seed000_leakage",
        about: "seed 000 §6: feature-leakage shares of linear, standard, robust, max-margin, ν~ and Bayes-optimal classifiers, η = 0 and η > 0",
        tables: &[""],
        run: run_seed000_leakage,
        plot: seed000_leakage::plot,
    },
    Experiment {
        id: "seed000_fig31",
        about: "seed 000 Fig 31: width-50,000 ℓ∞-adversarial training on eq (2), d = 10 — neuron alignment vs weight, bias histogram, margins",
        tables: &["", "_history", "_neurons", "_bias"],
        run: run_seed000_fig31,
        plot: seed000_fig31::plot,
    },
    Experiment {
        id: "seed000_maxmargin",
        about: "seed 000 eq (4)/(8): certified ℓ∞ max-margin values on eq (2) over (d, ε), solution structure, ν~ and axis-aligned margins",
        tables: &[""],
        run: run_seed000_maxmargin,
        plot: seed000_maxmargin::plot,
    },
    Experiment {
        id: "seed002_toy",
        about: "seed 002 Figs 2–6: gradient heat maps and accuracy vs ℓ∞ ε of 11 regularised MLPs on x = y·e_j",
        tables: &["", "_gradients", "_accuracy"],
        run: run_seed002,
        plot: seed002::plot,
    },
];

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
    let backend = crate::train::CPU_BACKEND;
    let (tables, unmet) = seed002::run::<crate::train::CpuAutodiff>(&toy, cells, log, backend, &device)?;
    Ok(RunOutput {
        tables,
        seeds: toy.seeds.clone(),
        params: serde_json::to_value(&toy).map_err(|e| Error::Shape(format!("spec: {e}")))?,
        backend: backend.into(),
        unmet,
    })
}

/// Backend of the wide-net experiments (src/train/wide.rs).
fn wide_backend() -> String {
    format!("cpu f64 fused (rayon, {} threads)", rayon::current_num_threads())
}

fn run_seed000_fig31(spec: &SpecFile, scale: Scale, cells: &mut dyn CellStore, log: &mut dyn FnMut(&str)) -> Result<RunOutput> {
    let keys = spec.scale(scale)?;
    let s = seed000_fig31::Fig31Spec::from_keys(&keys)?;
    let (tables, unmet) = seed000_fig31::run(&s, cells, log)?;
    Ok(RunOutput { tables, seeds: s.seeds.clone(), params: serde_json::to_value(&s).map_err(|e| Error::Shape(format!("spec: {e}")))?, backend: wide_backend(), unmet })
}

fn run_seed000_fig5(spec: &SpecFile, scale: Scale, cells: &mut dyn CellStore, log: &mut dyn FnMut(&str)) -> Result<RunOutput> {
    let keys = spec.scale(scale)?;
    let s = seed000_fig5::Fig5Spec::from_keys(&keys)?;
    let (tables, unmet) = seed000_fig5::run(&s, cells, log)?;
    Ok(RunOutput { tables, seeds: vec![s.seed], params: serde_json::to_value(&s).map_err(|e| Error::Shape(format!("spec: {e}")))?, backend: wide_backend(), unmet })
}

fn run_seed000_leakage(spec: &SpecFile, scale: Scale, cells: &mut dyn CellStore, log: &mut dyn FnMut(&str)) -> Result<RunOutput> {
    let keys = spec.scale(scale)?;
    let s = seed000_leakage::LeakageSpec::from_keys(&keys)?;
    let tables = seed000_leakage::run(&s, cells, log)?;
    let mut seeds = s.seeds.clone();
    seeds.push(s.data_seed);
    Ok(RunOutput { tables, seeds, params: serde_json::to_value(&s).map_err(|e| Error::Shape(format!("spec: {e}")))?, backend: wide_backend(), unmet: Vec::new() })
}

fn run_seed000_maxmargin(spec: &SpecFile, scale: Scale, cells: &mut dyn CellStore, log: &mut dyn FnMut(&str)) -> Result<RunOutput> {
    let keys = spec.scale(scale)?;
    let s = seed000_maxmargin::MaxMarginSpec::from_keys(&keys)?;
    let tables = seed000_maxmargin::run(&s, cells, log)?;
    Ok(RunOutput { tables, seeds: vec![s.seed], params: serde_json::to_value(&s).map_err(|e| Error::Shape(format!("spec: {e}")))?, backend: "cpu f64 (theory: LP/MILP via microlp)".into(), unmet: Vec::new() })
}
