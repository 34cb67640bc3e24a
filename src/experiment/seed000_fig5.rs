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
use super::{cell_num, find_table, CellStore, Figure, Table};
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

/// Trains the three models (or loads them) and returns the summary `""` and `_gradients` tables,
/// and an unmet line per model that does not classify every support point correctly (the paper:
/// "all models obtain 100% test accuracy").
pub fn run(spec: &Fig5Spec, cells: &mut dyn CellStore, log: &mut dyn FnMut(&str)) -> Result<(Vec<Table>, Vec<String>)> {
    let d = spec.d;
    let pts = support_points(d);
    let x: Vec<f64> = pts.iter().flat_map(|(x, _, _)| x.iter().copied().collect::<Vec<_>>()).collect();
    let y: Vec<f64> = pts.iter().map(|p| p.1).collect();
    let js: Vec<usize> = pts.iter().map(|p| p.2).collect();
    let batch = Batch::new(&x, &y, d)?;
    let key = format!("seed{}", spec.seed);
    let hash = crate::data::md5_hex(serde_json::json!({ "spec": spec }).to_string().as_bytes());
    let cell: CellResult = match cells.load(&key, &hash)? {
        Some(v) => {
            log(&format!("{key}: stored"));
            serde_json::from_value(v).map_err(|e| Error::Format { path: key.clone().into(), reason: format!("cell result: {e}") })?
        }
        None => {
            let mut models = Vec::new();
            for (name, model, _) in train_zoo(&spec.zoo, &batch, spec.seed, log)? {
                let (f, g) = model.logits_and_grads(&x, d)?;
                let acc = f.iter().zip(&y).filter(|(f, y)| **f * **y > 0.0).count() as f64 / y.len() as f64;
                models.push((name, g, acc));
            }
            let c = CellResult { models };
            cells.save(&key, &hash, &serde_json::to_value(&c).map_err(|e| Error::Shape(format!("cell result: {e}")))?)?;
            c
        }
    };
    let header = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut summary = Table { suffix: String::new(), header: header(&SUMMARY_HEADER), rows: Vec::new() };
    let mut grads = Table { suffix: "_gradients".into(), header: header(&GRADIENT_HEADER), rows: Vec::new() };
    let mut unmet = Vec::new();
    for (name, g, acc) in &cell.models {
        let (s, t, n) = shares(g, d, &js);
        summary.rows.push(vec![name.clone(), acc.to_string(), format!("{s:.4}"), format!("{t:.4}"), format!("{n:.4}")]);
        log(&format!("{name}: accuracy {acc}, signal share {s:.3}, task leak {t:.3}, noise {n:.3}"));
        if *acc < 1.0 {
            unmet.push(format!("{name}: accuracy {acc} on the support points < 1"));
        }
        for (i, (xi, yi, j)) in pts.iter().enumerate() {
            for k in 0..d {
                grads.rows.push(vec![name.clone(), i.to_string(), yi.to_string(), j.to_string(), k.to_string(), xi[k].to_string(), g[i * d + k].to_string()]);
            }
        }
    }
    Ok((vec![summary, grads], unmet))
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
