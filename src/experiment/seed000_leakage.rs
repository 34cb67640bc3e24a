//! Feature leakage on the simplified BlockMNIST data (seed 000 §6, eq 2, d̃ = 1): how the input
//! gradient's mass splits between the instance's signal block j*(x), the other task-relevant
//! blocks, and the noise blocks — for a linear model, a standard and an ℓ∞-robust wide MLP
//! (trained here), Theorem 1's max-margin ν*, Conjecture 1's ν~, and the Bayes-optimal classifier
//! of the σ-smoothed data — at η = 0 and η > 0. proofs/leakage.md reads the table.
//!
//! Shares, per test point, of Σ_k |g_k| (g = ∇ₓ of the logit; the loss gradient is the same vector
//! times a scalar): `signal` = |g_{j*}|, `task_leak` = Σ_{k ∈ [d/2], k ≠ j*} |g_k|, `noise` =
//! Σ_{k > d/2} |g_k|; averaged over the test points. Theorem 1 predicts signal = 2/d, task_leak =
//! 1 − 2/d, noise = 0 for ν* (and for the standard MLP if GD reaches it); Lemma 1 predicts signal
//! = 1 for ν~.

use serde::{Deserialize, Serialize};

use super::seed000_zoo::{shares, train_zoo, Model, ZooSpec};
use super::spec::Keys;
use super::claim::{self, Claim, Outcome};
use super::grid::{Assembled, CellContext, CellSpec, Experiment, Plan};
use super::spec::Scale;
use super::{from_json, to_json, Table};
use crate::error::{Error, Result};
use crate::rng::Seed;
use crate::theory::adversarial_margin::{nu_tilde, support_points};
use crate::theory::block_bayes::SmoothedBayes;
use crate::theory::block_data::BlockSpec;
use crate::theory::max_margin::nu_star;
use crate::train::wide::Batch;

/// Streams below `data_seed` / a model's seed.
const STREAM_TRAIN: u64 = 0;
const STREAM_TEST: u64 = 1;

/// One scale of `experiments/seed000_leakage.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeakageSpec {
    /// Number of blocks.
    pub d: usize,
    /// Noise levels η (η = 0 uses the d support points as training and test set).
    pub etas: Vec<f64>,
    /// Training points drawn for η > 0.
    pub train_size: usize,
    /// Test points drawn for η > 0.
    pub test_size: usize,
    /// Seed of the data draws.
    pub data_seed: u64,
    /// σ of the smoothed Bayes-optimal classifier.
    pub bayes_sigma: f64,
    /// Seeds of the trained models.
    pub seeds: Vec<u64>,
    /// The trained models.
    pub zoo: ZooSpec,
}

impl LeakageSpec {
    /// Reads and validates one scale table.
    pub fn from_keys(k: &Keys<'_>) -> Result<Self> {
        let d = k.usize_min("d", 2)?;
        if !d.is_multiple_of(2) {
            return Err(k.error("d", format!("eq (2) needs an even d, got {d}")));
        }
        let spec = LeakageSpec {
            d,
            // η < ½ keeps the classes apart (the Bayes reference needs it).
            etas: k.f64_grid("etas", 0.0, 0.49)?,
            train_size: k.usize_min("train_size", 1)?,
            test_size: k.usize_min("test_size", 1)?,
            data_seed: k.usize_min("data_seed", 0)? as u64,
            bayes_sigma: k.f64_in("bayes_sigma", crate::theory::block_bayes::SIGMA_MIN, 10.0)?,
            seeds: k.seeds("seeds")?,
            zoo: ZooSpec::from_keys(k)?,
        };
        k.finish()?;
        Ok(spec)
    }
}

/// One row of the leakage table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// η.
    pub eta: f64,
    /// Model name.
    pub model: String,
    /// Seed (0 for the theory's models).
    pub seed: u64,
    /// Accuracy on the test points.
    pub accuracy: f64,
    /// Mean share of |g| on j*(x).
    pub signal: f64,
    /// Mean share on the other task-relevant blocks.
    pub task_leak: f64,
    /// Mean share on the noise blocks.
    pub noise: f64,
}

/// A data set of eq (2): inputs row-major, labels ±1, signal blocks.
fn data(d: usize, eta: f64, n: usize, seed: Seed) -> Result<(Vec<f64>, Vec<f64>, Vec<usize>)> {
    if eta == 0.0 {
        let pts = support_points(d);
        return Ok((pts.iter().flat_map(|(x, _, _)| x.iter().copied().collect::<Vec<_>>()).collect(), pts.iter().map(|p| p.1).collect(), pts.iter().map(|p| p.2).collect()));
    }
    let spec = BlockSpec::scalar(d, eta)?;
    let s = spec.sample_n(n, &mut seed.rng());
    Ok((s.iter().flat_map(|p| p.x.iter().copied().collect::<Vec<_>>()).collect(), s.iter().map(|p| p.y).collect(), s.iter().map(|p| p.j_star).collect()))
}

/// A test set of eq (2) at noise η.
struct TestSet {
    eta: f64,
    d: usize,
    x: Vec<f64>,
    y: Vec<f64>,
    j_star: Vec<usize>,
}

impl TestSet {
    /// Accuracy and leakage shares of `model` on this set.
    fn evaluate(&self, name: &str, seed: u64, model: &Model) -> Result<Row> {
        let (f, g) = model.logits_and_grads(&self.x, self.d)?;
        let accuracy = f.iter().zip(&self.y).filter(|(f, y)| **f * **y > 0.0).count() as f64 / self.y.len().max(1) as f64;
        let (signal, task_leak, noise) = shares(&g, self.d, &self.j_star);
        Ok(Row { eta: self.eta, model: name.into(), seed, accuracy, signal, task_leak, noise })
    }
}

/// The test set at noise `eta`.
fn test_set(spec: &LeakageSpec, eta: f64) -> Result<TestSet> {
    let (x, y, j_star) = data(spec.d, eta, spec.test_size, Seed(spec.data_seed).derive(STREAM_TEST))?;
    Ok(TestSet { eta, d: spec.d, x, y, j_star })
}

/// The experiment: one cell per (η, seed) trains the linear model and both MLPs; the theory's
/// classifiers are evaluated when the table is assembled.
#[derive(Debug, Clone, Copy)]
pub struct Leakage;

impl Experiment for Leakage {
    fn id(&self) -> &str {
        "seed000_leakage"
    }
    fn about(&self) -> &str {
        "seed 000 §6: feature-leakage shares of linear, standard, robust, max-margin, ν~ and Bayes-optimal classifiers, η = 0 and η > 0"
    }
    fn builtin_spec(&self) -> &str {
        include_str!("../../experiments/seed000_leakage.toml")
    }
    fn tables(&self) -> &[&str] {
        &[""]
    }
    fn plan(&self, keys: &Keys<'_>, _scale: Scale) -> Result<Plan> {
        let spec = LeakageSpec::from_keys(keys)?;
        let mut cells = Vec::new();
        for &eta in &spec.etas {
            for &seed in &spec.seeds {
                cells.push(CellSpec::new(format!("eta{eta}-seed{seed}"), serde_json::json!({ "spec": spec, "eta": eta, "seed": seed }))?);
            }
        }
        let mut seeds = spec.seeds.clone();
        seeds.push(spec.data_seed);
        Ok(Plan { params: to_json(&spec)?, seeds, backend: super::seed000_fig5::wide_backend(), cells })
    }
    fn compute(&self, plan: &Plan, cell: &CellSpec, ctx: &mut CellContext<'_>) -> Result<serde_json::Value> {
        let spec: LeakageSpec = plan.params()?;
        let (eta, seed): (f64, u64) = (from_json(&cell.params["eta"])?, from_json(&cell.params["seed"])?);
        let (xtr, ytr, _) = data(spec.d, eta, spec.train_size, Seed(spec.data_seed).derive(STREAM_TRAIN))?;
        let test = test_set(&spec, eta)?;
        let batch = Batch::new(&xtr, &ytr, spec.d)?;
        let mut rows = Vec::new();
        for (name, model, _) in train_zoo(&spec.zoo, &batch, seed, ctx.log)? {
            rows.push(test.evaluate(&name, seed, &model)?);
        }
        to_json(&rows)
    }
    fn assemble(&self, plan: &Plan, results: &[serde_json::Value]) -> Result<Assembled> {
        let spec: LeakageSpec = plan.params()?;
        let d = spec.d;
        let mut rows = Vec::new();
        let mut cell = results.iter();
        for &eta in &spec.etas {
            let test = test_set(&spec, eta)?;
            for _ in &spec.seeds {
                let r: Vec<Row> = from_json(cell.next().ok_or_else(|| Error::Shape("fewer cell results than cells".into()))?)?;
                rows.extend(r);
            }
            // The theory's classifiers (no training). Theorem 1's ν* is built for this η; it is the
            // max-margin solution only for η < 1/(10d).
            let block = BlockSpec::scalar(d, eta)?;
            let theory = [
                ("max-margin ν* (Thm 1)", Model::Measure(nu_star(&block))),
                ("ν~ (Conjecture 1)", Model::Measure(nu_tilde(d)?)),
                ("Bayes-optimal (σ-smoothed)", Model::Bayes(SmoothedBayes::new(d, eta, spec.bayes_sigma)?)),
            ];
            for (name, m) in &theory {
                rows.push(test.evaluate(name, 0, m)?);
            }
        }
        let header = LEAKAGE_HEADER.iter().map(|s| s.to_string()).collect();
        let table = Table {
            suffix: String::new(),
            header,
            rows: rows
                .iter()
                .map(|r| vec![r.eta.to_string(), r.model.clone(), r.seed.to_string(), r.accuracy.to_string(), format!("{:.4}", r.signal), format!("{:.4}", r.task_leak), format!("{:.4}", r.noise)])
                .collect(),
        };
        Ok(Assembled { tables: vec![table], unmet: Vec::new() })
    }
    fn plot(&self, tables: &[Table]) -> Result<Vec<super::Figure>> {
        plot(tables)
    }
    fn claims(&self) -> Vec<Claim> {
        claims()
    }
}

/// Mean signal share of `model` at noise `eta` (over seeds).
fn signal(t: &[Table], model: &str, eta: &str) -> Result<f64> {
    let tab = claim::table(t, "")?;
    claim::mean(&claim::values(tab, "signal_share", &[("model", model), ("eta", eta)])?, &format!("`{model}` at η = {eta}"))
}

/// The §6 claims of the leakage table.
pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "000.sec6.standard_mlp_leaks",
            claim: "standard MLPs trained on eq (2) exhibit feature leakage: their gradient's share on j*(x) is Theorem 1's 2/d, not 1",
            source: "seed 000 §6, Theorem 1",
            rule: "signal share of the standard MLP at η = 0 within 0.02 of 2/d = 0.2",
            paper: "2/d = 0.2",
            check: |t| {
                let s = signal(t, "standard MLP", "0")?;
                Ok(Outcome { holds: (s - 0.2).abs() <= 0.02, ours: format!("{s:.4}"), detail: "mean over seeds and support points".into() })
            },
        },
        Claim {
            id: "000.sec6.robust_mlp_suppresses",
            claim: "adversarially robust MLPs suppress feature leakage and highlight j*(x)",
            source: "seed 000 §6",
            rule: "signal share of the robust MLP ≥ 0.5 at every η of the table",
            paper: "—",
            check: |t| {
                let tab = claim::table(t, "")?;
                let v = claim::values(tab, "signal_share", &[("model", "robust MLP")])?;
                let worst = v.iter().cloned().fold(f64::INFINITY, f64::min);
                if v.is_empty() {
                    return Err(Error::Shape("no robust MLP rows".into()));
                }
                Ok(Outcome { holds: worst >= 0.5, ours: format!("min {worst:.4}"), detail: format!("{} rows", v.len()) })
            },
        },
    ]
}

/// Columns of the leakage table.
pub const LEAKAGE_HEADER: [&str; 7] = ["eta", "model", "seed", "accuracy", "signal_share", "task_leak_share", "noise_share"];

/// Draws the signal share of every model against η (the table is the full result).
pub fn plot(tables: &[Table]) -> Result<Vec<super::Figure>> {
    use crate::plot::curves::{line_plot_bytes, Legend, LinePlot, Mark, Series};
    let t = super::find_table(tables, "", &LEAKAGE_HEADER)?;
    let num = |r: &[String], c: usize| super::cell_num(t, r, c);
    let mut series: Vec<Series> = Vec::new();
    for r in &t.rows {
        if r.len() != LEAKAGE_HEADER.len() {
            return Err(Error::Shape(format!("leakage table: row {r:?} has {} fields", r.len())));
        }
        let (eta, s) = (num(r, 0)?, num(r, 4)?);
        match series.iter_mut().find(|x| x.name == r[1]) {
            Some(x) => x.points.push((eta, s)),
            None => series.push(Series { name: r[1].clone(), points: vec![(eta, s)], mark: Mark::LineMarked }),
        }
    }
    let plot = LinePlot { bands: Vec::new(),
        title: "Share of |∇ₓ f| on the instance's signal block j*(x) (1 = no leakage)".into(),
        x_label: "noise level η".into(),
        y_label: "signal share".into(),
        series,
    };
    let (png, svg) = line_plot_bytes(&plot, (900, 600), Legend::LowerRight)?;
    Ok(vec![super::Figure { suffix: String::new(), png, svg }])
}
