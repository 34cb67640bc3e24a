//! Seed 000 §6, Fig 5: input gradients of a linear model, a standard MLP and an ℓ∞-robust MLP
//! (ε = 0.35), one hidden layer of width 10,000, trained on eq (2) with d = 10, d̃ = 1, η = 0,
//! u* = 1. Rows are the d support points (y·e_j, y); columns the d coordinates.
//!
//! The paper's reading: the linear model's gradient is the same for every input (no
//! instance-specific signal); the standard MLP's spreads equally over the five task-relevant
//! coordinates (feature leakage, Theorem 1); the robust MLP's highlights j*(x). The summary table
//! gives the shares of gradient mass (see [`super::seed000_zoo::shares`]).

use serde::{Deserialize, Serialize};

use super::seed000_zoo::{shares, train_zoo, ZooSpec};
use super::spec::Keys;
use super::claim::{self, Claim, Outcome};
use super::grid::{Assembled, CellContext, CellSpec, Experiment, Plan};
use super::spec::Scale;
use super::{cell_num, find_table, from_json, to_json, Figure, Table};
use crate::error::{Error, Result};
use crate::plot::heatmap::{heatmap_grid_bytes, HeatPanel, HeatmapGrid};
use crate::theory::adversarial_margin::support_points;
use crate::train::wide::Batch;

/// One scale of `experiments/seed000_fig5.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fig5Spec {
    /// Number of blocks d.
    pub d: usize,
    /// Seed of the MLPs' initial weights.
    pub seed: u64,
    /// The trained models.
    pub zoo: ZooSpec,
}

impl Fig5Spec {
    /// Reads and validates one scale table.
    pub fn from_keys(k: &Keys<'_>) -> Result<Self> {
        let d = k.usize_min("d", 2)?;
        if !d.is_multiple_of(2) {
            return Err(k.error("d", format!("eq (2) needs an even d, got {d}")));
        }
        let spec = Fig5Spec { d, seed: k.usize_min("seed", 0)? as u64, zoo: ZooSpec::from_keys(k)? };
        k.finish()?;
        Ok(spec)
    }
}

/// Per model: name, gradients (row-major d × d), accuracy on the support points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CellResult {
    models: Vec<(String, Vec<f64>, f64)>,
}

/// Columns of the gradient table (one row per model, point, coordinate).
pub const GRADIENT_HEADER: [&str; 7] = ["model", "point", "label", "signal_coord", "coord", "x", "grad"];
/// Columns of the summary table.
pub const SUMMARY_HEADER: [&str; 5] = ["model", "accuracy", "signal_share", "task_leak_share", "noise_share"];

/// Backend of the wide-net experiments (src/train/wide.rs).
pub fn wide_backend() -> String {
    format!("cpu f64 fused (rayon, {} threads)", rayon::current_num_threads())
}

/// The experiment: one cell (the three models trained on the same support points).
#[derive(Debug, Clone, Copy)]
pub struct Fig5;

fn support(d: usize) -> Result<(Vec<f64>, Vec<f64>, Vec<usize>, Vec<(Vec<f64>, f64, usize)>)> {
    let pts: Vec<(Vec<f64>, f64, usize)> = support_points(d).into_iter().map(|(x, y, j)| (x.iter().copied().collect(), y, j)).collect();
    let x: Vec<f64> = pts.iter().flat_map(|p| p.0.clone()).collect();
    let y: Vec<f64> = pts.iter().map(|p| p.1).collect();
    let js: Vec<usize> = pts.iter().map(|p| p.2).collect();
    Ok((x, y, js, pts))
}

impl Experiment for Fig5 {
    fn id(&self) -> &str {
        "seed000_fig5"
    }
    fn about(&self) -> &str {
        "seed 000 Fig 5: input gradients of a linear model, a standard and an ℓ∞-robust width-10,000 MLP on eq (2), d = 10"
    }
    fn builtin_spec(&self) -> &str {
        include_str!("../../experiments/seed000_fig5.toml")
    }
    fn tables(&self) -> &[&str] {
        &["", "_gradients"]
    }
    fn plan(&self, keys: &Keys<'_>, _scale: Scale) -> Result<Plan> {
        let spec = Fig5Spec::from_keys(keys)?;
        let cells = vec![CellSpec::new(format!("seed{}", spec.seed), serde_json::json!({ "spec": spec }))?];
        Ok(Plan { params: to_json(&spec)?, seeds: vec![spec.seed], backend: wide_backend(), cells })
    }
    fn compute(&self, plan: &Plan, _cell: &CellSpec, ctx: &mut CellContext<'_>) -> Result<serde_json::Value> {
        let spec: Fig5Spec = plan.params()?;
        let d = spec.d;
        let (x, y, _, _) = support(d)?;
        let batch = Batch::new(&x, &y, d)?;
        let mut models = Vec::new();
        for (name, model, _) in train_zoo(&spec.zoo, &batch, spec.seed, ctx.log)? {
            let (f, g) = model.logits_and_grads(&x, d)?;
            let acc = f.iter().zip(&y).filter(|(f, y)| **f * **y > 0.0).count() as f64 / y.len() as f64;
            models.push((name, g, acc));
        }
        to_json(&CellResult { models })
    }
    fn assemble(&self, plan: &Plan, results: &[serde_json::Value]) -> Result<Assembled> {
        let spec: Fig5Spec = plan.params()?;
        let d = spec.d;
        let (_, _, js, pts) = support(d)?;
        let cell: CellResult = from_json(&results[0])?;
        let header = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut summary = Table { suffix: String::new(), header: header(&SUMMARY_HEADER), rows: Vec::new() };
        let mut grads = Table { suffix: "_gradients".into(), header: header(&GRADIENT_HEADER), rows: Vec::new() };
        let mut unmet = Vec::new();
        for (name, g, acc) in &cell.models {
            let (s, t, n) = shares(g, d, &js);
            summary.rows.push(vec![name.clone(), acc.to_string(), format!("{s:.4}"), format!("{t:.4}"), format!("{n:.4}")]);
            if *acc < 1.0 {
                unmet.push(format!("{name}: accuracy {acc} on the support points < 1"));
            }
            for (i, (xi, yi, j)) in pts.iter().enumerate() {
                for k in 0..d {
                    grads.rows.push(vec![name.clone(), i.to_string(), yi.to_string(), j.to_string(), k.to_string(), xi[k].to_string(), g[i * d + k].to_string()]);
                }
            }
        }
        Ok(Assembled { tables: vec![summary, grads], unmet })
    }
    fn plot(&self, tables: &[Table]) -> Result<Vec<Figure>> {
        plot(tables)
    }
    fn claims(&self) -> Vec<Claim> {
        claims()
    }
}

/// The summary table's share of `model` in `column`.
fn share(tables: &[Table], model: &str, column: &str) -> Result<f64> {
    let t = claim::table(tables, "")?;
    claim::mean(&claim::values(t, column, &[("model", model)])?, &format!("model `{model}`"))
}

/// The §6 claims of Fig 5.
pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "000.fig5.all_separate",
            claim: "all models obtain 100% test accuracy on this linearly separable dataset",
            source: "seed 000 §6, Fig 5",
            rule: "accuracy = 1 on every support point, every model",
            paper: "1.0",
            check: |t| {
                let acc = claim::values(claim::table(t, "")?, "accuracy", &[])?;
                let worst = acc.iter().cloned().fold(f64::INFINITY, f64::min);
                Ok(Outcome { holds: worst == 1.0, ours: format!("min {worst}"), detail: format!("{} models", acc.len()) })
            },
        },
        Claim {
            id: "000.fig5.standard_leaks",
            claim: "standard MLPs apply equal weight on all five task-relevant coordinates (feature leakage, Theorem 1)",
            source: "seed 000 §6, Fig 5(c)",
            rule: "signal share within 0.02 of 2/d = 0.2 (Theorem 1's value)",
            paper: "2/d = 0.2",
            check: |t| {
                let s = share(t, "standard MLP", "signal_share")?;
                Ok(Outcome { holds: (s - 0.2).abs() <= 0.02, ours: format!("{s:.4}"), detail: "share of |∇ₓf| on j*(x), mean over support points".into() })
            },
        },
        Claim {
            id: "000.fig5.robust_highlights",
            claim: "the ℓ∞-robust MLP (ε = 0.35) clearly highlights the instance-specific signal coordinate j*(x)",
            source: "seed 000 §6, Fig 5(d)",
            rule: "signal share ≥ 0.5 (most of the gradient mass on j*(x)) and above the standard MLP's",
            paper: "—",
            check: |t| {
                let (r, s) = (share(t, "robust MLP", "signal_share")?, share(t, "standard MLP", "signal_share")?);
                Ok(Outcome { holds: r >= 0.5 && r > s, ours: format!("{r:.4}"), detail: format!("standard: {s:.4}") })
            },
        },
        Claim {
            id: "000.fig5.linear_input_agnostic",
            claim: "linear models suppress the noise coordinates but cannot single out j*(x): the same gradient for every input",
            source: "seed 000 §6, Fig 5(b)",
            rule: "noise share < 0.01 and signal share within 0.02 of 2/d",
            paper: "2/d = 0.2",
            check: |t| {
                let (s, n) = (share(t, "linear", "signal_share")?, share(t, "linear", "noise_share")?);
                Ok(Outcome { holds: n < 0.01 && (s - 0.2).abs() <= 0.02, ours: format!("{s:.4}"), detail: format!("noise share {n:.4}") })
            },
        },
    ]
}

/// Pixels per heat-map entry.
const CELL_PX: (u32, u32) = (26, 22);

/// Fig 5: the inputs and the three models' |∇ₓ f| normalised per row.
pub fn plot(tables: &[Table]) -> Result<Vec<Figure>> {
    let t = find_table(tables, "_gradients", &GRADIENT_HEADER)?;
    let num = |r: &[String], c: usize| cell_num(t, r, c);
    let (mut order, mut n, mut d) = (Vec::<String>::new(), 0usize, 0usize);
    for r in &t.rows {
        if !order.contains(&r[0]) {
            order.push(r[0].clone());
        }
        n = n.max(num(r, 1)? as usize + 1);
        d = d.max(num(r, 4)? as usize + 1);
    }
    if order.is_empty() {
        return Err(Error::param("tables", "the gradient table is empty"));
    }
    let mut inputs = ndarray::Array2::<f32>::zeros((n, d));
    let mut raw = vec![ndarray::Array2::<f64>::zeros((n, d)); order.len()];
    for r in &t.rows {
        let m = order.iter().position(|m| *m == r[0]).unwrap_or(0);
        let (i, k) = (num(r, 1)? as usize, num(r, 4)? as usize);
        raw[m][[i, k]] = num(r, 6)?;
        inputs[[i, k]] = num(r, 5)?.abs() as f32;
    }
    let mut panels = vec![HeatPanel { title: "(a) input |x|".into(), values: inputs }];
    for (m, g) in raw.iter().enumerate() {
        let mut v = ndarray::Array2::<f32>::zeros((n, d));
        for i in 0..n {
            let max = (0..d).fold(0f64, |a, k| a.max(g[[i, k]].abs()));
            for k in 0..d {
                v[[i, k]] = if max > 0.0 { (g[[i, k]].abs() / max) as f32 } else { 0.0 };
            }
        }
        panels.push(HeatPanel { title: format!("({}) {}", ['b', 'c', 'd', 'e', 'f'][m.min(4)], order[m]), values: v });
    }
    let grid = HeatmapGrid {
        title: format!("Seed 000 Fig 5: |∇ₓ f| / max on the {n} points of eq (2), d = {d}, η = 0"),
        x_label: "coordinate".into(),
        y_label: "instance".into(),
        colorbar_label: "|g_k| / max_k |g_k|".into(),
        panels,
        cols: 4,
    };
    let (png, svg) = heatmap_grid_bytes(&grid, CELL_PX)?;
    Ok(vec![Figure { suffix: "_gradients".into(), png, svg }])
}
