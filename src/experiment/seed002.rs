//! Seed 002 (Bötte & Pfeiffer), §III: eleven weight- and gradient-regularised one-hidden-layer ReLU
//! MLPs on the toy set x = y·e_j; heat maps of their normalised input gradients on the first test
//! points (Figs 2–5) and their test accuracy against the ℓ∞ radius of a PGD attack (Fig 6).
//!
//! One cell = one (model, seed): train, check clean test accuracy, take input gradients, attack at
//! every ε. Cells are stored through [`mod@super::run`] (resume); this module does no file I/O and
//! returns result tables, which [`mod@super::run`] writes and [`plot`] draws.
//!
//! **Which gradient.** The paper plots "the size of the normalized gradients". We take, per test
//! point n, g_n = ∇ₓ (f_y(x_n) − f_{1−y}(x_n)) (the margin of the true class; for two classes
//! the loss gradient is this vector times a positive scalar, so after the per-point normalisation
//! both give the same picture) and plot |g_{n,k}| / max_k |g_{n,k}| ∈ [0, 1]: row n of a panel
//! is point n, column k is feature k.

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::claim::{self, Claim, Outcome};
use super::grid::{Assembled, CellContext, CellSpec, Experiment, Plan};
use super::spec::{Keys, Scale};
use super::{from_json, to_json, Figure, Table};
use crate::data::TableDataset;
use crate::data::block_mnist::{toy_set, ToySignal};
use crate::error::{Error, Result};
use crate::metric::robustness::robust_accuracy;
use crate::attribution::{input_gradient, GradTarget};
use crate::model::{self, Classifier, InputShape, ModelSpec};
use crate::plot::curves::{line_plot_bytes, Legend, LinePlot, Mark, Series};
use crate::plot::heatmap::{heatmap_grid_bytes, HeatPanel, HeatmapGrid};
use crate::rng::Seed;
use crate::train::{self, Attack, Examples, Objective, OptimizerSpec, PNorm, Penalty, Pgd, RunOptions, Schedule, ThreatModel, TrainConfig};

/// Stream offsets below `data_seed`: the training and the test set are independent draws.
const STREAM_TRAIN: u64 = 0;
const STREAM_TEST: u64 = 1;
/// Stream offset below a model's seed for the attack's random starts.
const STREAM_ATTACK: u64 = 7;
/// Largest ℓ∞ radius accepted in `eps`: inputs are ±e_j, so at ε = 1 the signal coordinate can be
/// zeroed and no classifier is better than chance; larger radii add nothing.
const EPS_MAX: f64 = 1.0;
/// Batch of the robustness evaluation (the whole toy test set fits many times over).
const ATTACK_BATCH: usize = 1000;

/// The strengths λ of the six penalty kinds (the paper gives none).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Lambdas {
    /// λ of λΣ|w|.
    pub weight_l1: f64,
    /// λ of λΣw².
    pub weight_l2: f64,
    /// λ of λ·max|w|.
    pub weight_linf: f64,
    /// λ of λ·mean‖∇ₓℓ‖₁.
    pub grad_l1: f64,
    /// λ of λ·mean‖∇ₓℓ‖₂².
    pub grad_l2: f64,
    /// λ of λ·mean‖∇ₓℓ‖∞.
    pub grad_linf: f64,
}

/// One scale of `experiments/seed002_toy.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToySpec {
    /// Input dimension d (number of coordinates / blocks).
    pub d: usize,
    /// Which coordinates may carry the signal.
    pub signal: String,
    /// Training examples.
    pub train_size: usize,
    /// Test examples (accuracy and attacks on all of them).
    pub test_size: usize,
    /// Test points shown in the heat maps (the first ones).
    pub heatmap_points: usize,
    /// Seed of the training and test sets.
    pub data_seed: u64,
    /// Hidden width of the one-hidden-layer ReLU MLP.
    pub width: usize,
    /// Epochs.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// SGD learning rate at epoch 0.
    pub lr: f64,
    /// SGD momentum.
    pub momentum: f64,
    /// The rate is multiplied by this every `lr_every` epochs…
    pub lr_factor: f64,
    /// …epochs…
    pub lr_every: usize,
    /// …down to this floor.
    pub lr_min: f64,
    /// Penalty strengths.
    pub lambda: Lambdas,
    /// One trained model per seed and objective.
    pub seeds: Vec<u64>,
    /// ℓ∞ radii of Fig 6.
    pub eps: Vec<f64>,
    /// PGD steps per restart.
    pub pgd_steps: usize,
    /// PGD restarts (the first from a random point too).
    pub pgd_restarts: usize,
    /// PGD step size as a multiple of ε / steps (Madry et al.: 2.5).
    pub pgd_step_factor: f64,
    /// Clean test accuracy every model must reach (the paper: 1.0).
    pub required_accuracy: f64,
}

impl ToySpec {
    /// Reads and validates one scale table.
    pub fn from_keys(k: &Keys<'_>) -> Result<Self> {
        let lam = k.table("lambda")?;
        let l = |key: &str| lam.f64_in(key, 0.0, f64::MAX);
        let lambda = Lambdas { weight_l1: l("weight_l1")?, weight_l2: l("weight_l2")?, weight_linf: l("weight_linf")?, grad_l1: l("grad_l1")?, grad_l2: l("grad_l2")?, grad_linf: l("grad_linf")? };
        lam.finish()?;
        let d = k.usize_min("d", 2)?;
        if !d.is_multiple_of(2) {
            return Err(k.error("d", format!("the toy set needs an even d, got {d}")));
        }
        let test_size = k.usize_min("test_size", 1)?;
        let heatmap_points = k.usize_min("heatmap_points", 1)?;
        if heatmap_points > test_size {
            return Err(k.error("heatmap_points", format!("{heatmap_points} exceeds test_size = {test_size}")));
        }
        let spec = ToySpec {
            d,
            signal: k.choice("signal", &["all", "first_half"])?,
            train_size: k.usize_min("train_size", 1)?,
            test_size,
            heatmap_points,
            data_seed: k.usize_min("data_seed", 0)? as u64,
            width: k.usize_min("width", 1)?,
            epochs: k.usize_min("epochs", 1)?,
            batch_size: k.usize_min("batch_size", 1)?,
            lr: k.f64_in("lr", f64::MIN_POSITIVE, f64::MAX)?,
            momentum: k.f64_in("momentum", 0.0, 1.0)?,
            lr_factor: k.f64_in("lr_factor", f64::MIN_POSITIVE, 1.0)?,
            lr_every: k.usize_min("lr_every", 1)?,
            lr_min: k.f64_in("lr_min", 0.0, f64::MAX)?,
            lambda,
            seeds: k.seeds("seeds")?,
            eps: k.f64_grid("eps", 0.0, EPS_MAX)?,
            pgd_steps: k.usize_min("pgd_steps", 1)?,
            pgd_restarts: k.usize_min("pgd_restarts", 1)?,
            pgd_step_factor: k.f64_in("pgd_step_factor", f64::MIN_POSITIVE, f64::MAX)?,
            required_accuracy: k.f64_in("required_accuracy", 0.0, 1.0)?,
        };
        k.finish()?;
        Ok(spec)
    }

    fn toy_signal(&self) -> ToySignal {
        if self.signal == "first_half" {
            ToySignal::FirstHalf
        } else {
            ToySignal::All
        }
    }

    /// The training configuration of a model with seed `seed` (seed 002 §III.C: SGD, lr 0.1,
    /// ×0.75 every 50 epochs down to 0.001; batch and momentum are not given).
    pub fn train_config(&self, seed: u64) -> TrainConfig {
        TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            optimizer: OptimizerSpec::Sgd { lr: self.lr, momentum: self.momentum, weight_decay: 0.0, nesterov: false },
            schedule: Schedule::StepFloor { every: self.lr_every, factor: self.lr_factor, floor: self.lr_min },
            stop_below_loss: None,
            augment: train::Augment::None,
            seed: Seed(seed),
            divergence_loss: train::trainer::DEFAULT_DIVERGENCE_LOSS,
        }
    }

    /// The eleven (name, objective) pairs of [`Objective::seed002`], each penalty at its λ.
    pub fn models(&self) -> Vec<(String, Objective)> {
        let l = &self.lambda;
        let set = |p: &Penalty| -> Penalty {
            let lambda = match p {
                Penalty::Weight { p, .. } if *p == PNorm::L1 => l.weight_l1,
                Penalty::Weight { p, .. } if *p == PNorm::L2 => l.weight_l2,
                Penalty::Weight { .. } => l.weight_linf,
                Penalty::InputGrad { p, .. } if *p == PNorm::L1 => l.grad_l1,
                Penalty::InputGrad { p, .. } if *p == PNorm::L2 => l.grad_l2,
                Penalty::InputGrad { .. } => l.grad_linf,
                other => other.lambda(),
            };
            p.clone().with_lambda(lambda)
        };
        Objective::seed002(1.0, 1.0)
            .into_iter()
            .map(|(name, o)| match o {
                Objective::Penalized { base, penalties } => (name, Objective::Penalized { base, penalties: penalties.iter().map(set).collect() }),
                o => (name, o),
            })
            .collect()
    }

    fn attack(&self, eps: f64) -> Attack {
        Attack::Pgd(Pgd { steps: self.pgd_steps, step_size: self.pgd_step_factor * eps / self.pgd_steps as f64, restarts: self.pgd_restarts, random_start: true })
    }
}

/// What one trained model yields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellResult {
    /// Model name (`standard`, `weight-l2`, …).
    pub model: String,
    /// Its seed.
    pub seed: u64,
    /// Clean test accuracy.
    pub clean_accuracy: f64,
    /// Mean training loss (objective) of the last epoch.
    pub final_train_loss: f64,
    /// mean over all test points of |g_{n,j_n}| / Σ_k |g_{n,k}|: the share of gradient mass on
    /// the signal coordinate (1/d for a gradient spread evenly, 1 for a perfect highlight).
    pub signal_share: f64,
    /// Input gradients g (signed, unnormalised) of the first `heatmap_points` test points, row-major
    /// `[heatmap_points × d]`.
    pub gradients: Vec<f32>,
    /// (ε, test accuracy under ℓ∞ PGD) for every ε of the spec.
    pub accuracy: Vec<(f64, f64)>,
}

/// The experiment: one cell per (seed, model).
#[derive(Debug, Clone, Copy)]
pub struct Toy;

fn toy_data(spec: &ToySpec) -> Result<(TableDataset, TableDataset)> {
    let signal = spec.toy_signal();
    let train = toy_set(spec.d, spec.train_size, signal, Seed(spec.data_seed).derive(STREAM_TRAIN))?;
    let test = toy_set(spec.d, spec.test_size, signal, Seed(spec.data_seed).derive(STREAM_TEST))?;
    Ok((train, test))
}

impl Experiment for Toy {
    fn id(&self) -> &str {
        "seed002_toy"
    }
    fn about(&self) -> &str {
        "seed 002 Figs 2–6: gradient heat maps and accuracy vs ℓ∞ ε of 11 regularised MLPs on x = y·e_j"
    }
    fn builtin_spec(&self) -> &str {
        include_str!("../../experiments/seed002_toy.toml")
    }
    fn tables(&self) -> &[&str] {
        &["", "_gradients", "_accuracy"]
    }
    fn plan(&self, keys: &Keys<'_>, _scale: Scale) -> Result<Plan> {
        let spec = ToySpec::from_keys(keys)?;
        let arch = ModelSpec::one_hidden(spec.width);
        let mut cells = Vec::new();
        for &seed in &spec.seeds {
            for (name, objective) in spec.models() {
                let cfg = spec.train_config(seed);
                cells.push(CellSpec::new(format!("{name}-seed{seed}"), serde_json::json!({ "spec": spec, "name": name, "objective": objective, "config": cfg, "model": arch, "seed": seed }))?);
            }
        }
        Ok(Plan { params: to_json(&spec)?, seeds: spec.seeds.clone(), backend: train::CPU_BACKEND.into(), cells })
    }
    fn compute(&self, plan: &Plan, cell: &CellSpec, ctx: &mut CellContext<'_>) -> Result<serde_json::Value> {
        let spec: ToySpec = plan.params()?;
        let (name, objective, seed): (String, Objective, u64) = (from_json(&cell.params["name"])?, from_json(&cell.params["objective"])?, from_json(&cell.params["seed"])?);
        let r = compute_cell::<train::CpuAutodiff>(&spec, &name, &objective, seed, &ctx.scratch, &Default::default())?;
        (ctx.log)(&format!("  {}: clean accuracy {:.4}, signal share {:.3}, final loss {:.2e}", cell.key, r.clean_accuracy, r.signal_share, r.final_train_loss));
        to_json(&r)
    }
    fn assemble(&self, plan: &Plan, results: &[serde_json::Value]) -> Result<Assembled> {
        let spec: ToySpec = plan.params()?;
        let results: Vec<CellResult> = results.iter().map(from_json).collect::<Result<_>>()?;
        let (_, test) = toy_data(&spec)?;
        let tables = tables(&spec, &test.x, &test.labels, &results);
        let unmet = results
            .iter()
            .filter(|r| r.clean_accuracy < spec.required_accuracy)
            .map(|r| format!("{} seed {}: clean test accuracy {:.4} < {}", r.model, r.seed, r.clean_accuracy, spec.required_accuracy))
            .collect();
        Ok(Assembled { tables, unmet })
    }
    fn plot(&self, tables: &[Table]) -> Result<Vec<Figure>> {
        plot(tables)
    }
    fn claims(&self) -> Vec<Claim> {
        claims()
    }
}

/// Trains one model on backend `B` (checkpointing into `scratch`, so a killed cell resumes), and
/// measures its clean accuracy, input gradients and robustness.
pub fn compute_cell<B>(spec: &ToySpec, name: &str, objective: &Objective, seed: u64, scratch: &std::path::Path, device: &B::Device) -> Result<CellResult>
where
    B: AutodiffBackend,
    model::Net<B>: AutodiffModule<B>,
    <model::Net<B> as AutodiffModule<B>>::InnerModule: Classifier<B::InnerBackend>,
{
    let d = spec.d;
    let (train_ds, test_ds) = toy_data(spec)?;
    let tr = Examples::new(train_ds.x.view(), &train_ds.labels, None)?;
    let te = Examples::new(test_ds.x.view(), &test_ds.labels, None)?;
    let j_of = |n: usize| (0..d).find(|&k| test_ds.x[[n, k]] != 0.0).unwrap_or(0);
    let cfg = spec.train_config(seed);
    let arch = ModelSpec::one_hidden(spec.width);
    let net = model::build::<B>(&arch, InputShape::Flat(d), 2, Seed(seed), device)?;
    let mut store = train::DirStore::new(scratch);
    let out = train::train::<B, _>(net, &tr, None, &cfg, objective, RunOptions { checkpoint: Some(&mut store), ..RunOptions::default() }, device)?;
    let final_train_loss = out.history.last().map(|r| r.train_loss).unwrap_or(f64::NAN);
    let (_, clean) = train::evaluate(&out.model.valid(), &te, ATTACK_BATCH, device)?;
    // Gradients of the margin of the true class at every test point.
    let n = te.len();
    let xs: Vec<f32> = test_ds.x.iter().copied().collect();
    let x = Tensor::<B::InnerBackend, 2>::from_data(TensorData::new(xs, [n, d]), device);
    let y = Tensor::<B::InnerBackend, 1, Int>::from_data(TensorData::new(test_ds.labels.iter().map(|&v| v as i64).collect::<Vec<_>>(), [n]), device);
    let (g, _) = input_gradient::<B, _>(&out.model, x, &GradTarget::Margin(y))?;
    let g: Vec<f32> = g.into_data().convert::<f32>().to_vec().map_err(|e| Error::Shape(format!("gradient data: {e:?}")))?;
    let signal_share = (0..n)
        .map(|i| {
            let row: Vec<f64> = g[i * d..(i + 1) * d].iter().map(|&v| f64::from(v)).collect();
            crate::metric::mask::mass_share(&row, [j_of(i)]).unwrap_or(0.0)
        })
        .sum::<f64>()
        / n as f64;
    let mut accuracy = Vec::with_capacity(spec.eps.len());
    for &eps in &spec.eps {
        let threat = ThreatModel::linf(eps, None)?;
        let (_, rob) = robust_accuracy::<B, _>(&out.model, test_ds.x.view(), &test_ds.labels, &threat, &spec.attack(eps), ATTACK_BATCH, Seed(seed).derive(STREAM_ATTACK), device)?;
        accuracy.push((eps, rob));
    }
    Ok(CellResult { model: name.to_string(), seed, clean_accuracy: clean, final_train_loss, signal_share, gradients: g[..spec.heatmap_points * d].to_vec(), accuracy })
}

/// Mean over seeds of the summary's `column` for `model`.
fn summary_mean(t: &[Table], model: &str, column: &str) -> Result<f64> {
    let tab = claim::table(t, "")?;
    claim::mean(&claim::values(tab, column, &[("model", model)])?, &format!("model `{model}`"))
}

/// Mean over seeds of the accuracy of `model` at the largest ε of the grid.
fn accuracy_at_largest_eps(t: &[Table], model: &str) -> Result<(f64, f64)> {
    let tab = claim::table(t, "_accuracy")?;
    let eps = claim::values(tab, "eps", &[("model", model)])?;
    let top = eps.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let (ec, ac, mc) = (claim::column(tab, "eps")?, claim::column(tab, "accuracy")?, claim::column(tab, "model")?);
    let acc: Vec<f64> = tab.rows.iter().filter(|r| r[mc] == model && r[ec].parse::<f64>().ok() == Some(top)).filter_map(|r| r[ac].parse().ok()).collect();
    Ok((top, claim::mean(&acc, &format!("`{model}` at ε = {top}"))?))
}

/// Seed 002's claims (§III.C, Figs 2–6); proofs/seed002_toy.md.
pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "002.sec3.all_accurate",
            claim: "all eleven models reach 100 % test accuracy",
            source: "seed 002 §III.C",
            rule: "clean test accuracy = 1 for every model and seed",
            paper: "1.0",
            check: |t| {
                let acc = claim::values(claim::table(t, "")?, "clean_accuracy", &[])?;
                let worst = acc.iter().cloned().fold(f64::INFINITY, f64::min);
                Ok(Outcome { holds: worst == 1.0, ours: format!("min {worst}"), detail: format!("{} models", acc.len()) })
            },
        },
        Claim {
            id: "002.fig2.standard_not_interpretable",
            claim: "the standard model's normalised input gradients do not single out the coordinate j that carries the label",
            source: "seed 002 Fig 2",
            rule: "signal share of the standard model < 2/d (an even spread is 1/d)",
            paper: "qualitative",
            check: |t| {
                let s = summary_mean(t, "standard", "signal_share")?;
                let d = claim::values(claim::table(t, "_gradients")?, "feature", &[])?.iter().cloned().fold(0.0, f64::max) + 1.0;
                Ok(Outcome { holds: s < 2.0 / d, ours: format!("{s:.3}"), detail: format!("2/d = {:.3}", 2.0 / d) })
            },
        },
        Claim {
            id: "002.fig4.l2_weight_highlights",
            claim: "the ℓ2 weight penalty gives the best visual result: only the signal coordinates stand out",
            source: "seed 002 Fig 4",
            rule: "signal share of weight-l2 ≥ 0.5 and above every other model's",
            paper: "qualitative",
            check: |t| {
                let tab = claim::table(t, "")?;
                let l2 = summary_mean(t, "weight-l2", "signal_share")?;
                let mc = claim::column(tab, "model")?;
                let others: Vec<f64> = tab.rows.iter().filter(|r| r[mc] != "weight-l2").map(|r| summary_mean(t, &r[mc], "signal_share")).collect::<Result<_>>()?;
                let best_other = others.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                Ok(Outcome {
                    holds: l2 >= 0.5 && l2 > best_other,
                    ours: format!("{l2:.3}"),
                    detail: format!("best other model {best_other:.3}; at the quick scale every model spreads its gradient like sign(Σ x_k) (proofs/seed002_toy.md)"),
                })
            },
        },
        Claim {
            id: "002.fig6.least_robust_plateau",
            claim: "the least robust models (standard, ℓ2 gradient, ℓ∞ weight) sit at 50 % accuracy for large ε, ℓ2 weight is the most robust",
            source: "seed 002 Fig 6",
            rule: "accuracy of the standard model at the largest ε within 0.1 of 0.5, and weight-l2's above it",
            paper: "0.5",
            check: |t| {
                let (eps, std) = accuracy_at_largest_eps(t, "standard")?;
                let (_, l2) = accuracy_at_largest_eps(t, "weight-l2")?;
                Ok(Outcome {
                    holds: (std - 0.5).abs() <= 0.1 && l2 > std,
                    ours: format!("{std:.3} at ε = {eps}"),
                    detail: format!("weight-l2 {l2:.3}; every model behaves like sign(Σ x_k), whose robust accuracy collapses to 0 just above ε = 1/d"),
                })
            },
        },
    ]
}

/// Header of the summary table.
pub const SUMMARY_HEADER: [&str; 5] = ["model", "seed", "clean_accuracy", "signal_share", "final_train_loss"];
/// Header of the heat-map table: one row per (model, seed, point, feature).
pub const GRADIENT_HEADER: [&str; 9] = ["model", "seed", "point", "label", "signal_coord", "feature", "x", "grad", "grad_normalized"];
/// Header of the accuracy table.
pub const ACCURACY_HEADER: [&str; 4] = ["model", "seed", "eps", "accuracy"];

fn tables(spec: &ToySpec, x: &ndarray::Array2<f32>, labels: &[usize], results: &[CellResult]) -> Vec<Table> {
    let d = spec.d;
    let header = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut summary = Table { suffix: String::new(), header: header(&SUMMARY_HEADER), rows: Vec::new() };
    let mut grads = Table { suffix: "_gradients".into(), header: header(&GRADIENT_HEADER), rows: Vec::new() };
    let mut acc = Table { suffix: "_accuracy".into(), header: header(&ACCURACY_HEADER), rows: Vec::new() };
    for r in results {
        summary.rows.push(vec![r.model.clone(), r.seed.to_string(), r.clean_accuracy.to_string(), r.signal_share.to_string(), r.final_train_loss.to_string()]);
        for n in 0..spec.heatmap_points {
            let row = &r.gradients[n * d..(n + 1) * d];
            let max = row.iter().fold(0f32, |m, v| m.max(v.abs()));
            let j = (0..d).find(|&k| x[[n, k]] != 0.0).unwrap_or(0);
            for (k, g) in row.iter().enumerate() {
                let norm = if max > 0.0 { g.abs() / max } else { 0.0 };
                grads.rows.push(vec![r.model.clone(), r.seed.to_string(), n.to_string(), labels[n].to_string(), j.to_string(), k.to_string(), x[[n, k]].to_string(), g.to_string(), norm.to_string()]);
            }
        }
        for (eps, a) in &r.accuracy {
            acc.rows.push(vec![r.model.clone(), r.seed.to_string(), eps.to_string(), a.to_string()]);
        }
    }
    vec![summary, grads, acc]
}

/// Pixels (width, height) of one heat-map entry (columns are features, rows test points): wide
/// enough for the feature tick labels, short enough that 40 points fit a screen.
const CELL_PX: (u32, u32) = (16, 11);
/// Accuracy plot size (width, height) in pixels.
const ACCURACY_SIZE: (u32, u32) = (900, 600);

/// Draws the figures from the tables [`super::Experiment::assemble`] returned (or that were read back from CSV): the
/// gradient heat maps (first seed of each model, plus the inputs |x| as the paper's Fig 1) and
/// the accuracy-vs-ε curves (mean over seeds).
pub fn plot(tables: &[Table]) -> Result<Vec<Figure>> {
    let find = |suffix: &str, header: &[&str]| -> Result<&Table> {
        let t = tables.iter().find(|t| t.suffix == suffix).ok_or_else(|| Error::param("tables", format!("no table `{suffix}`")))?;
        if t.header.iter().map(String::as_str).ne(header.iter().copied()) {
            return Err(Error::Shape(format!("table `{suffix}` has columns {:?}, expected {:?}", t.header, header)));
        }
        Ok(t)
    };
    let grads = find("_gradients", &GRADIENT_HEADER)?;
    let acc = find("_accuracy", &ACCURACY_HEADER)?;
    let num = |t: &Table, r: &[String], c: usize| -> Result<f64> {
        r.get(c).and_then(|s| s.parse::<f64>().ok()).ok_or_else(|| Error::Shape(format!("table `{}`: column `{}` of row {r:?} is not a number", t.suffix, t.header[c])))
    };
    // Heat maps: models in table order, first seed of each.
    let mut order: Vec<String> = Vec::new();
    let mut first_seed: Vec<String> = Vec::new();
    let (mut npts, mut d) = (0usize, 0usize);
    for r in &grads.rows {
        if r.len() != GRADIENT_HEADER.len() {
            return Err(Error::Shape(format!("table `_gradients`: row {r:?} has {} fields", r.len())));
        }
        if !order.contains(&r[0]) {
            order.push(r[0].clone());
            first_seed.push(r[1].clone());
        }
        npts = npts.max(num(grads, r, 2)? as usize + 1);
        d = d.max(num(grads, r, 5)? as usize + 1);
    }
    if order.is_empty() {
        return Err(Error::param("tables", "the gradient table is empty"));
    }
    let mut inputs = ndarray::Array2::<f32>::zeros((npts, d));
    let mut panels: Vec<HeatPanel> = order.iter().map(|m| HeatPanel { title: m.clone(), values: ndarray::Array2::zeros((npts, d)) }).collect();
    for r in &grads.rows {
        let Some(m) = order.iter().position(|m| *m == r[0]) else { continue };
        if r[1] != first_seed[m] {
            continue;
        }
        let (n, k) = (num(grads, r, 2)? as usize, num(grads, r, 5)? as usize);
        panels[m].values[[n, k]] = num(grads, r, 8)? as f32;
        inputs[[n, k]] = num(grads, r, 6)?.abs() as f32;
    }
    panels.insert(0, HeatPanel { title: "input |x| (Fig 1)".into(), values: inputs });
    let grid = HeatmapGrid {
        title: format!("Seed 002 Figs 1–5: normalised |∇ₓ margin| on the first {npts} test points (d = {d})"),
        x_label: "feature k".into(),
        y_label: "test point".into(),
        colorbar_label: "|g_k| / max_k |g_k|".into(),
        panels,
        cols: 6,
    };
    let (png, svg) = heatmap_grid_bytes(&grid, CELL_PX)?;
    let mut figures = vec![Figure { suffix: "_gradients".into(), png, svg }];
    // Accuracy curves, mean over seeds.
    // Per model: (ε, summed accuracy, number of seeds).
    type Sums = Vec<(f64, f64, usize)>;
    let mut series: Vec<(String, Sums)> = Vec::new();
    for r in &acc.rows {
        if r.len() != ACCURACY_HEADER.len() {
            return Err(Error::Shape(format!("table `_accuracy`: row {r:?} has {} fields", r.len())));
        }
        let (eps, a) = (num(acc, r, 2)?, num(acc, r, 3)?);
        let pos = match series.iter().position(|s| s.0 == r[0]) {
            Some(p) => p,
            None => {
                series.push((r[0].clone(), Vec::new()));
                series.len() - 1
            }
        };
        let pts = &mut series[pos].1;
        match pts.iter_mut().find(|p| p.0 == eps) {
            Some(p) => {
                p.1 += a;
                p.2 += 1;
            }
            None => pts.push((eps, a, 1)),
        }
    }
    let plot = LinePlot { bands: Vec::new(),
        title: "Seed 002 Fig 6: test accuracy under ℓ∞ PGD".into(),
        x_label: "ℓ∞ radius ε".into(),
        y_label: "test accuracy".into(),
        series: series
            .into_iter()
            .map(|(name, pts)| Series { name, points: pts.into_iter().map(|(e, a, c)| (e, a / c as f64)).collect(), mark: Mark::LineMarked })
            .collect(),
    };
    let (png, svg) = line_plot_bytes(&plot, ACCURACY_SIZE, Legend::LowerLeft)?;
    figures.push(Figure { suffix: "_accuracy".into(), png, svg });
    Ok(figures)
}
