//! Seed 001 §6.3 on tabular data: Table 1's Mushroom and Spambase rows (dG^a, dG^l, AcDrop),
//! the tabular panels of Fig 3 (natural accuracy against mean Gini over an ε sweep and a λ
//! sweep), pointwise dG box plots in the manner of Fig 2, and the aggregate feature impact of
//! App. H / J.2–J.3 (Figs J.4, J.5).
//!
//! Models are logistic regressions: a linear model with two softmax outputs, whose class-1
//! probability σ((w₁ − w₀)·x + b₁ − b₀) is a logistic regression in w = w₁ − w₀.
//! * n-model: cross-entropy.
//! * a-model: cross-entropy at the closed-form ℓ∞ worst case δ* = −y·sgn(w)·ε (eq 7–8). One FGSM
//!   step of size ε with no random start and no box is exactly that point for this model: the
//!   input gradient of the cross-entropy is (1 − p_y)(w_{1−y} − w_y), whose sign is −sgn(w_y − w_{1−y}).
//! * l-model: cross-entropy + λ‖W‖₁ on the weights (not the biases, as in seed 001's code); the
//!   minimum of ‖w₀‖₁ + ‖w₁‖₁ over the pairs with the same w₁ − w₀ is ‖w₁ − w₀‖₁, so the penalty is
//!   the logistic one at the optimum.
//!
//! Attributions: Integrated Gradients of P(label = 1) (App. J.1: "the final predicted
//! probability") from the all-zero baseline, Gauss–Legendre quadrature; the completeness gap is
//! recorded. Gini (eq I.67) of |IG(x)| per test example; an all-zero attribution (no mass) is
//! skipped and counted. dG of eqs (19)–(22) pairs the n-model with the a- or l-model trained on the
//! same split (same seed).

use burn::module::AutodiffModule;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::claim::{self, Claim, Outcome};
use super::grid::{Assembled, CellContext, CellSpec, Experiment, Plan};
use super::spec::{Keys, Scale};
use super::{cell_num, find_table, from_json, to_json, Figure, Table};
use crate::attribution::method::{BaselineSpec, Context as MethodContext};
use crate::attribution::{Class, IgRule, Method, Target};
use crate::data::store;
use crate::data::tabular::{self, SplitOptions, TableSplit};
use crate::error::{Error, Result};
use crate::metric::diff_roar::mean_ci95;
use crate::model::{self, Classifier, InputShape, ModelSpec};
use crate::plot::boxplot::{box_plot_bytes, BoxPlot, BoxStats};
use crate::plot::curves::{line_plot_bytes, Legend, LinePlot, Mark, Series};
use crate::rng::Seed;
use crate::theory::gini::gini_abs;
use crate::train::{self, Attack, Examples, Norm, Objective, OptimizerSpec, Penalty, RunOptions, Schedule, ThreatModel, TrainConfig};

/// The data-set variants a spec can name: Mushroom one-hot (117 columns), Spambase standardised
/// with the training split's mean and standard deviation (seed 001's code), and Spambase on its
/// raw scale (features up to 15 841), to show what scaling does to ε = 0.1.
pub const DATASETS: [&str; 3] = ["mushroom", "spambase", "spambase-raw"];

/// Table 1's tabular rows: (data set, model, dG, AcDrop in percentage points).
pub const PAPER_TABLE1: [(&str, &str, f64, f64); 4] = [("mushroom", "a", 0.06, 2.5), ("mushroom", "l", 0.06, 2.6), ("spambase", "a", 0.17, 0.9), ("spambase", "l", 0.15, 0.1)];

/// One scale of `experiments/seed001_tabular.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TabularSpec {
    /// Data-set variants (see [`DATASETS`]).
    pub datasets: Vec<String>,
    /// Training fraction of the split.
    pub train_fraction: f64,
    /// Epochs, batch size, Adam learning rate.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Table 1's ε of the a-model.
    pub eps: f64,
    /// Table 1's λ of the l-model.
    pub lambda: f64,
    /// Fig 3's ε sweep.
    pub eps_sweep: Vec<f64>,
    /// Fig 3's λ sweep.
    pub lambda_sweep: Vec<f64>,
    /// Gauss–Legendre nodes of Integrated Gradients.
    pub ig_steps: usize,
    /// Seeds (split and initial weights).
    pub seeds: Vec<u64>,
}

impl TabularSpec {
    /// Reads and validates one scale table.
    pub fn from_keys(k: &Keys<'_>) -> Result<Self> {
        let datasets = k.strings("datasets")?;
        if datasets.is_empty() {
            return Err(k.error("datasets", "name at least one data set"));
        }
        for (i, d) in datasets.iter().enumerate() {
            if !DATASETS.contains(&d.as_str()) {
                return Err(k.error(&format!("datasets[{i}]"), format!("`{d}` is not one of: {}", DATASETS.join(", "))));
            }
        }
        let spec = TabularSpec {
            datasets,
            train_fraction: k.f64_in("train_fraction", 0.05, 0.95)?,
            epochs: k.usize_min("epochs", 1)?,
            batch: k.usize_min("batch", 1)?,
            lr: k.f64_in("lr", 1e-8, 10.0)?,
            eps: k.f64_in("eps", 1e-6, 100.0)?,
            lambda: k.f64_in("lambda", 1e-9, 100.0)?,
            eps_sweep: k.f64_grid("eps_sweep", 1e-6, 100.0)?,
            lambda_sweep: k.f64_grid("lambda_sweep", 1e-9, 100.0)?,
            ig_steps: k.usize_min("ig_steps", 2)?,
            seeds: k.seeds("seeds")?,
        };
        k.finish()?;
        Ok(spec)
    }

    fn settings(&self, sweep: &[f64], table1: f64) -> Vec<f64> {
        let mut v = sweep.to_vec();
        if !v.iter().any(|x| (x - table1).abs() <= f64::EPSILON * table1.abs()) {
            v.push(table1);
        }
        v.sort_by(f64::total_cmp);
        v
    }
}

/// What one cell trains: a data set, a model kind (`n`, `a`, `l`) with its ε or λ, a seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CellParams {
    dataset: String,
    kind: String,
    value: f64,
    seed: u64,
    /// Everything else a cell's result depends on (part of its id).
    recipe: Recipe,
}

/// The spec's settings every cell uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Recipe {
    train_fraction: f64,
    epochs: usize,
    batch: usize,
    lr: f64,
    ig_steps: usize,
}

/// One trained model's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CellResult {
    /// Natural test accuracy.
    accuracy: f64,
    /// Gini of |IG| per test example, in test order (`None`: all-zero attribution).
    gini: Vec<Option<f64>>,
    /// Feature impact per original feature (one-hot columns summed per attribute), App. H.
    impact: Vec<f64>,
    /// Original feature names.
    features: Vec<String>,
    /// Largest |completeness gap| of IG over the test set.
    ig_gap_max: f64,
    /// Test examples, training examples, input columns.
    sizes: [usize; 3],
}

/// Columns of the main table (Table 1's rows).
pub const TABLE1_HEADER: [&str; 15] =
    ["dataset", "model", "setting", "seeds", "acc_n", "acc_model", "acdrop_pp", "gini_n", "gini_model", "dG", "dG_ci95", "paper_dG", "paper_acdrop_pp", "ig_gap_max", "skipped_zero_maps"];
/// Columns of the sweep table (Fig 3).
pub const SWEEP_HEADER: [&str; 7] = ["dataset", "model", "value", "accuracy", "gini", "gini_ci95", "seeds"];
/// Columns of the pointwise table (Fig 2's boxes).
pub const POINTWISE_HEADER: [&str; 10] = ["dataset", "model", "setting", "examples", "low", "q1", "median", "q3", "high", "mean"];
/// Columns of the feature-impact table (Figs J.4, J.5).
pub const IMPACT_HEADER: [&str; 5] = ["dataset", "feature", "rank_natural", "impact_natural", "impact_adversarial"];

/// The experiment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tabular;

fn model_label(kind: &str, value: f64) -> String {
    match kind {
        "a" => format!("a (ε = {value})"),
        "l" => format!("l (λ = {value})"),
        _ => "n".into(),
    }
}

/// The split of `dataset` for `seed`, and for each column the index of its original feature.
fn load(dataset: &str, seed: u64, train_fraction: f64) -> Result<(TableSplit, Vec<String>, Vec<usize>)> {
    let dir = store::resolve_data_dir(None).join("uci");
    let table = match dataset {
        "mushroom" => tabular::load_mushroom(&dir)?,
        _ => tabular::load_spambase(&dir)?,
    };
    let opts = SplitOptions { train_fraction, seed: Seed(seed), feat_trans: false };
    let mut split = tabular::split(&table, opts)?;
    if dataset == "spambase" {
        tabular::standardize(&mut split);
    }
    // One-hot columns are named `attribute=value`; numeric columns are their own feature.
    let mut features: Vec<String> = Vec::new();
    let mut group = Vec::with_capacity(split.feature_names.len());
    for name in &split.feature_names {
        let f = name.split_once('=').map_or(name.as_str(), |(a, _)| a).to_string();
        let k = match features.iter().position(|x| *x == f) {
            Some(k) => k,
            None => {
                features.push(f);
                features.len() - 1
            }
        };
        group.push(k);
    }
    Ok((split, features, group))
}

fn objective(kind: &str, value: f64) -> Result<Objective> {
    Ok(match kind {
        "n" => Objective::Standard,
        "a" => Objective::Adversarial { threat: ThreatModel::new(Norm::Linf, value, None)?, attack: Attack::Fgsm { random_start: false, step_size: None } },
        "l" => Objective::Penalized { base: Box::new(Objective::Standard), penalties: vec![Penalty::weight_l1(value)] },
        other => return Err(Error::param("kind", format!("`{other}`: expected n, a or l"))),
    })
}

/// Trains one model of `p` and measures it.
fn run_cell(p: &CellParams) -> Result<CellResult> {
    let spec = &p.recipe;
    type B = train::CpuAutodiff;
    let device = Default::default();
    let (split, features, group) = load(&p.dataset, p.seed, spec.train_fraction)?;
    let d = split.train.dim();
    let cfg = TrainConfig {
        epochs: spec.epochs,
        batch_size: spec.batch,
        optimizer: OptimizerSpec::Adam { lr: spec.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 },
        schedule: Schedule::Constant,
        stop_below_loss: None,
        augment: train::Augment::None,
        seed: Seed(p.seed).derive(1),
        divergence_loss: train::trainer::DEFAULT_DIVERGENCE_LOSS,
    };
    let net = model::build::<B>(&ModelSpec::Linear, InputShape::Flat(d), 2, Seed(p.seed).derive(2), &device)?;
    let tr = Examples::new(split.train.x.view(), &split.train.labels, None)?;
    let out = train::train::<B, _>(net, &tr, None, &cfg, &objective(&p.kind, p.value)?, RunOptions::default(), &device)?;
    let model = out.model;
    let n = split.test.len();
    let x: Tensor<<B as burn::tensor::backend::AutodiffBackend>::InnerBackend, 2> = crate::attribution::from_vec(split.test.x.iter().copied().collect(), [n, d], &device);
    let pred: Vec<i64> = model.valid().logits(x.clone()).argmax(1).into_data().convert::<i64>().to_vec().map_err(|e| Error::Shape(format!("predictions: {e:?}")))?;
    let accuracy = pred.iter().zip(&split.test.labels).filter(|(a, b)| **a as usize == **b).count() as f64 / n as f64;
    let method = Method::IntegratedGradients { rule: IgRule::GaussLegendre, steps: spec.ig_steps, baseline: BaselineSpec::Zero };
    let attr = method.build::<B, model::Net<B>>(&MethodContext::default())?;
    let (a, _) = crate::attribution::attribute(attr.as_ref(), &model, x, Target::Probability(Class::Given(1)), None)?;
    let ig_gap_max = a.gap.as_deref().unwrap_or(&[]).iter().fold(0.0f64, |m, g| m.max(g.abs()));
    let rows = crate::attribution::rows_of(&a.values)?;
    let gini = rows.iter().map(|r| gini_abs(r).ok()).collect();
    let mut impact = vec![0.0; features.len()];
    for r in &rows {
        for (j, v) in r.iter().enumerate() {
            impact[group[j]] += v.abs() / n as f64;
        }
    }
    Ok(CellResult { accuracy, gini, impact, features, ig_gap_max, sizes: [n, split.train.len(), d] })
}

impl Experiment for Tabular {
    fn id(&self) -> &str {
        "seed001_tabular"
    }
    fn about(&self) -> &str {
        "seed 001 Table 1 (Mushroom, Spambase), Fig 3 tabular panels, Figs J.4/J.5: IG sparseness of adversarially vs ℓ1-trained logistic regressions"
    }
    fn builtin_spec(&self) -> &str {
        include_str!("../../experiments/seed001_tabular.toml")
    }
    fn tables(&self) -> &[&str] {
        &["", "_sweep", "_pointwise", "_impact"]
    }
    fn needs_data(&self) -> &[&str] {
        &["mushroom", "spambase"]
    }
    fn plan(&self, keys: &Keys<'_>, _scale: Scale) -> Result<Plan> {
        let spec = TabularSpec::from_keys(keys)?;
        let mut cells = Vec::new();
        for ds in &spec.datasets {
            for &seed in &spec.seeds {
                let mut push = |kind: &str, value: f64| -> Result<()> {
                    let recipe = Recipe { train_fraction: spec.train_fraction, epochs: spec.epochs, batch: spec.batch, lr: spec.lr, ig_steps: spec.ig_steps };
                    let p = CellParams { dataset: ds.clone(), kind: kind.into(), value, seed, recipe };
                    cells.push(CellSpec::new(format!("{ds}-{kind}{value}-seed{seed}"), &p)?);
                    Ok(())
                };
                push("n", 0.0)?;
                for e in spec.settings(&spec.eps_sweep, spec.eps) {
                    push("a", e)?;
                }
                for l in spec.settings(&spec.lambda_sweep, spec.lambda) {
                    push("l", l)?;
                }
            }
        }
        Ok(Plan { params: to_json(&spec)?, seeds: spec.seeds.clone(), backend: train::CPU_BACKEND.into(), cells })
    }
    fn compute(&self, _plan: &Plan, cell: &CellSpec, ctx: &mut CellContext<'_>) -> Result<serde_json::Value> {
        let p: CellParams = from_json(&cell.params)?;
        let r = run_cell(&p)?;
        (ctx.log)(&format!("  {}: accuracy {:.4}, mean Gini {:.4}", cell.key, r.accuracy, mean_gini(&r.gini).0));
        to_json(&r)
    }
    fn assemble(&self, plan: &Plan, results: &[serde_json::Value]) -> Result<Assembled> {
        let spec: TabularSpec = plan.params()?;
        let cells: Vec<(CellParams, CellResult)> = super::cell_results(plan, results, "")?;
        assemble(&spec, &cells)
    }
    fn plot(&self, tables: &[Table]) -> Result<Vec<Figure>> {
        plot(tables)
    }
    fn claims(&self) -> Vec<Claim> {
        claims()
    }
}

/// Mean Gini over the examples that have one, and how many were skipped.
pub(crate) fn mean_gini(g: &[Option<f64>]) -> (f64, usize) {
    let v: Vec<f64> = g.iter().flatten().copied().collect();
    (v.iter().sum::<f64>() / v.len().max(1) as f64, g.len() - v.len())
}

/// Column names as owned strings.
pub(crate) fn h(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn assemble(spec: &TabularSpec, cells: &[(CellParams, CellResult)]) -> Result<Assembled> {
    let find = |ds: &str, kind: &str, value: f64, seed: u64| cells.iter().find(|(p, _)| p.dataset == ds && p.kind == kind && p.value == value && p.seed == seed).map(|(_, r)| r);
    let missing = |what: String| Error::Shape(format!("seed001_tabular: no cell for {what}"));
    let mut t1 = Table { suffix: String::new(), header: h(&TABLE1_HEADER), rows: Vec::new() };
    let mut sweep = Table { suffix: "_sweep".into(), header: h(&SWEEP_HEADER), rows: Vec::new() };
    let mut pointwise = Table { suffix: "_pointwise".into(), header: h(&POINTWISE_HEADER), rows: Vec::new() };
    let mut impact = Table { suffix: "_impact".into(), header: h(&IMPACT_HEADER), rows: Vec::new() };
    let seeds = spec.seeds.len().to_string();
    for ds in &spec.datasets {
        // Fig 3: every model, mean over seeds.
        let mut models: Vec<(&str, f64)> = vec![("n", 0.0)];
        models.extend(spec.settings(&spec.eps_sweep, spec.eps).into_iter().map(|e| ("a", e)));
        models.extend(spec.settings(&spec.lambda_sweep, spec.lambda).into_iter().map(|l| ("l", l)));
        for &(kind, value) in &models {
            let rs: Vec<&CellResult> = spec.seeds.iter().map(|&s| find(ds, kind, value, s).ok_or_else(|| missing(format!("{ds} {kind} {value} seed {s}")))).collect::<Result<_>>()?;
            let acc = rs.iter().map(|r| r.accuracy).sum::<f64>() / rs.len() as f64;
            let (g, ci) = mean_ci95(&rs.iter().map(|r| mean_gini(&r.gini).0).collect::<Vec<_>>());
            sweep.rows.push(vec![ds.clone(), kind.into(), value.to_string(), format!("{acc:.5}"), format!("{g:.5}"), format!("{ci:.5}"), seeds.clone()]);
        }
        // Table 1 and Fig 2: the a- and l-model of Table 1 against the n-model of the same seed.
        let mut pooled_n: Vec<f64> = Vec::new();
        for (kind, value) in [("a", spec.eps), ("l", spec.lambda)] {
            let (mut dgs, mut acc_n, mut acc_m, mut g_n, mut g_m, mut gap, mut skipped) = (Vec::new(), 0.0, 0.0, 0.0, 0.0, 0.0f64, 0usize);
            let mut pointwise_dg = Vec::new();
            for &s in &spec.seeds {
                let n = find(ds, "n", 0.0, s).ok_or_else(|| missing(format!("{ds} n seed {s}")))?;
                let m = find(ds, kind, value, s).ok_or_else(|| missing(format!("{ds} {kind} {value} seed {s}")))?;
                let (gn, sn) = mean_gini(&n.gini);
                let (gm, sm) = mean_gini(&m.gini);
                dgs.push(gm - gn);
                acc_n += n.accuracy;
                acc_m += m.accuracy;
                g_n += gn;
                g_m += gm;
                gap = gap.max(n.ig_gap_max).max(m.ig_gap_max);
                skipped += sn + sm;
                pointwise_dg.extend(n.gini.iter().zip(&m.gini).filter_map(|(a, b)| Some((*b)? - (*a)?)));
                if kind == "a" {
                    pooled_n.extend(n.gini.iter().flatten());
                }
            }
            let k = spec.seeds.len() as f64;
            let (dg, ci) = mean_ci95(&dgs);
            let paper = PAPER_TABLE1.iter().find(|(d, m, _, _)| *d == ds && *m == kind);
            let (pdg, pdrop) = paper.map_or(("—".to_string(), "—".to_string()), |p| (p.2.to_string(), p.3.to_string()));
            let setting = if kind == "a" { format!("eps={value}") } else { format!("lambda={value}") };
            t1.rows.push(vec![
                ds.clone(),
                kind.into(),
                setting.clone(),
                seeds.clone(),
                format!("{:.5}", acc_n / k),
                format!("{:.5}", acc_m / k),
                format!("{:.3}", 100.0 * (acc_n - acc_m) / k),
                format!("{:.5}", g_n / k),
                format!("{:.5}", g_m / k),
                format!("{dg:.5}"),
                format!("{ci:.5}"),
                pdg,
                pdrop,
                format!("{gap:.3e}"),
                skipped.to_string(),
            ]);
            let b = BoxStats::of(format!("{ds} {}", model_label(kind, value)), &pointwise_dg)?;
            pointwise.rows.push(vec![
                ds.clone(),
                kind.into(),
                setting,
                pointwise_dg.len().to_string(),
                format!("{:.5}", b.low),
                format!("{:.5}", b.q1),
                format!("{:.5}", b.median),
                format!("{:.5}", b.q3),
                format!("{:.5}", b.high),
                format!("{:.5}", b.mean),
            ]);
        }
        // Figs J.4/J.5: feature impact of the natural and the Table-1 adversarial model, mean over
        // seeds, sorted by the natural model's.
        let mean_impact = |kind: &str, value: f64| -> Result<(Vec<String>, Vec<f64>)> {
            let mut acc: Vec<f64> = Vec::new();
            let mut names = Vec::new();
            for &s in &spec.seeds {
                let r = find(ds, kind, value, s).ok_or_else(|| missing(format!("{ds} {kind} seed {s}")))?;
                if acc.is_empty() {
                    acc = vec![0.0; r.impact.len()];
                    names.clone_from(&r.features);
                }
                for (a, v) in acc.iter_mut().zip(&r.impact) {
                    *a += v / spec.seeds.len() as f64;
                }
            }
            Ok((names, acc))
        };
        let (names, nat) = mean_impact("n", 0.0)?;
        let (_, adv) = mean_impact("a", spec.eps)?;
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by(|&i, &j| nat[j].total_cmp(&nat[i]).then(i.cmp(&j)));
        for (rank, &i) in order.iter().enumerate() {
            impact.rows.push(vec![ds.clone(), names[i].clone(), (rank + 1).to_string(), format!("{:.6e}", nat[i]), format!("{:.6e}", adv[i])]);
        }
    }
    Ok(Assembled { tables: vec![t1, sweep, pointwise, impact], unmet: Vec::new() })
}

/// Figure size of the line plots and box plots.
const SIZE: (u32, u32) = (900, 600);

/// Fig 2 (box plots), Fig 3 (one panel per data set), Figs J.4/J.5 (one per data set).
pub fn plot(tables: &[Table]) -> Result<Vec<Figure>> {
    let mut figs = Vec::new();
    let pw = find_table(tables, "_pointwise", &POINTWISE_HEADER)?;
    let mut boxes = Vec::new();
    for r in &pw.rows {
        let n = |c: usize| cell_num(pw, r, c);
        let label = format!("{} {}", r[0], if r[1] == "a" { format!("a, {}", r[2].replace("eps", "ε")) } else { format!("l, {}", r[2].replace("lambda", "λ")) });
        boxes.push(BoxStats { label, low: n(4)?, q1: n(5)?, median: n(6)?, q3: n(7)?, high: n(8)?, mean: n(9)? });
    }
    if !boxes.is_empty() {
        let (png, svg) = box_plot_bytes(
            &BoxPlot { title: "Seed 001 Fig 2 (tabular): pointwise dG = G(|IG(x)|) − G_n(|IG(x)|) over test examples".into(), y_label: "pointwise dG".into(), boxes, reference: Some(0.0) },
            SIZE,
        )?;
        figs.push(Figure { suffix: "_fig2".into(), png, svg });
    }
    let sw = find_table(tables, "_sweep", &SWEEP_HEADER)?;
    let mut datasets: Vec<String> = Vec::new();
    for r in &sw.rows {
        if !datasets.contains(&r[0]) {
            datasets.push(r[0].clone());
        }
    }
    for ds in &datasets {
        let pts = |kind: &str| -> Result<Vec<(f64, f64)>> {
            sw.rows.iter().filter(|r| r[0] == *ds && (r[1] == kind || r[1] == "n")).map(|r| Ok((cell_num(sw, r, 3)?, cell_num(sw, r, 4)?))).collect()
        };
        let natural: Vec<(f64, f64)> = sw.rows.iter().filter(|r| r[0] == *ds && r[1] == "n").map(|r| Ok((cell_num(sw, r, 3)?, cell_num(sw, r, 4)?))).collect::<Result<_>>()?;
        let plot = LinePlot {
            title: format!("Seed 001 Fig 3: {ds}, accuracy vs mean Gini of |IG| (ε and λ sweeps)"),
            x_label: "natural test accuracy".into(),
            y_label: "mean Gini index".into(),
            series: vec![
                Series { name: "A[IG]: adversarial, ε sweep".into(), points: pts("a")?, mark: Mark::LineMarked },
                Series { name: "L[IG]: ℓ1, λ sweep".into(), points: pts("l")?, mark: Mark::LineMarked },
                Series { name: "natural".into(), points: natural, mark: Mark::Points },
            ],
            bands: Vec::new(),
        };
        let (png, svg) = line_plot_bytes(&plot, SIZE, Legend::LowerLeft)?;
        figs.push(Figure { suffix: format!("_fig3_{}", ds.replace('-', "_")), png, svg });
    }
    let im = find_table(tables, "_impact", &IMPACT_HEADER)?;
    for ds in &datasets {
        let rows: Vec<&Vec<String>> = im.rows.iter().filter(|r| r[0] == *ds).collect();
        let max = rows.iter().map(|r| Ok(cell_num(im, r, 3)?.max(cell_num(im, r, 4)?))).collect::<Result<Vec<f64>>>()?.into_iter().fold(0.0, f64::max);
        if rows.is_empty() || max <= 0.0 {
            continue;
        }
        let series = |c: usize| -> Result<Vec<(f64, f64)>> { rows.iter().map(|r| Ok((cell_num(im, r, 2)?, cell_num(im, r, c)? / max))).collect() };
        let plot = LinePlot {
            title: format!("Seed 001 Fig J.{}: {ds}, feature impact (mean |IG| per feature), sorted by the natural model", if ds == "mushroom" { 4 } else { 5 }),
            x_label: "feature rank (natural model)".into(),
            y_label: "impact / largest impact".into(),
            series: vec![Series { name: "natural".into(), points: series(3)?, mark: Mark::LineMarked }, Series { name: "adversarial (Table 1 ε)".into(), points: series(4)?, mark: Mark::LineMarked }],
            bands: Vec::new(),
        };
        let (png, svg) = line_plot_bytes(&plot, SIZE, Legend::UpperRight)?;
        figs.push(Figure { suffix: format!("_impact_{}", ds.replace('-', "_")), png, svg });
    }
    Ok(figs)
}

fn t1(t: &[Table], ds: &str, model: &str, col: &str) -> Result<f64> {
    claim::mean(&claim::values(claim::table(t, "")?, col, &[("dataset", ds), ("model", model)])?, &format!("{ds} {model}"))
}

/// Tolerances of the "within the paper's numbers" claims: dG within 0.03 (half Table 1's Mushroom
/// value: a looser bound would accept a dG of zero) and AcDrop within 2 percentage points.
const DG_TOLERANCE: f64 = 0.03;
const ACDROP_TOLERANCE_PP: f64 = 2.0;

fn table1_row(t: &[Table], ds: &str, model: &str) -> Result<Outcome> {
    let (dg, drop) = (t1(t, ds, model, "dG")?, t1(t, ds, model, "acdrop_pp")?);
    let &(_, _, pdg, pdrop) = PAPER_TABLE1.iter().find(|(d, m, _, _)| *d == ds && *m == model).ok_or_else(|| Error::param("row", format!("no paper row {ds} {model}")))?;
    Ok(Outcome {
        holds: (dg - pdg).abs() <= DG_TOLERANCE && (drop - pdrop).abs() <= ACDROP_TOLERANCE_PP,
        ours: format!("dG {dg:.3}, AcDrop {drop:.2} pp"),
        detail: format!("paper dG {pdg}, AcDrop {pdrop} pp; tolerance ±{DG_TOLERANCE} and ±{ACDROP_TOLERANCE_PP} pp"),
    })
}

/// Features whose impact is at least `threshold` of the largest impact of either model.
fn count_above(t: &[Table], ds: &str, col: usize, threshold: f64) -> Result<(usize, usize)> {
    let im = claim::table(t, "_impact")?;
    let rows: Vec<&Vec<String>> = im.rows.iter().filter(|r| r[0] == ds).collect();
    if rows.is_empty() {
        return Err(Error::param("dataset", format!("no impact rows for {ds}")));
    }
    let max = rows.iter().map(|r| Ok(cell_num(im, r, 3)?.max(cell_num(im, r, 4)?))).collect::<Result<Vec<f64>>>()?.into_iter().fold(0.0, f64::max);
    let above = rows.iter().map(|r| cell_num(im, r, col)).collect::<Result<Vec<f64>>>()?.into_iter().filter(|&v| v >= threshold * max).count();
    Ok((above, rows.len()))
}

/// App. J.3's threshold: features with impact ≥ 5 % of the largest are shown.
const IMPACT_THRESHOLD: f64 = 0.05;

fn fewer_features(t: &[Table], ds: &str) -> Result<Outcome> {
    let (n, total) = count_above(t, ds, 3, IMPACT_THRESHOLD)?;
    let (a, _) = count_above(t, ds, 4, IMPACT_THRESHOLD)?;
    Ok(Outcome { holds: a < n, ours: format!("{a} vs {n} of {total}"), detail: "features with impact ≥ 5 % of the largest: adversarial vs natural".into() })
}

/// Seed 001's tabular claims.
pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "001.table1.tabular_a_equals_l",
            claim: "on tabular data adversarial training and ℓ1 regularization give about the same sparseness improvement",
            source: "seed 001 §6.3, Table 1 (Mushroom, Spambase)",
            rule: "|dG^a − dG^l| ≤ 0.03 on Mushroom and on standardised Spambase (paper: 0.00 and 0.02)",
            paper: "Mushroom 0.06 vs 0.06; Spambase 0.17 vs 0.15",
            check: |t| {
                let mut worst = 0.0f64;
                let mut ours = Vec::new();
                for ds in ["mushroom", "spambase"] {
                    let (a, l) = (t1(t, ds, "a", "dG")?, t1(t, ds, "l", "dG")?);
                    worst = worst.max((a - l).abs());
                    ours.push(format!("{ds} {a:.3} vs {l:.3}"));
                }
                Ok(Outcome { holds: worst <= DG_TOLERANCE, ours: ours.join("; "), detail: format!("largest |dG^a − dG^l| = {worst:.3}") })
            },
        },
        Claim {
            id: "001.table1.tabular_sparser",
            claim: "both adversarial training (ε = 0.1) and ℓ1 (λ = 0.02) make IG attributions sparser than natural training on tabular data",
            source: "seed 001 §6.3, Table 1",
            rule: "dG − 95 % CI half-width (Student t over seeds) > 0 for a and l on Mushroom and standardised Spambase",
            paper: "dG 0.06, 0.06, 0.17, 0.15",
            check: |t| {
                let tab = claim::table(t, "")?;
                let mut lows = Vec::new();
                for ds in ["mushroom", "spambase"] {
                    for m in ["a", "l"] {
                        let dg = claim::mean(&claim::values(tab, "dG", &[("dataset", ds), ("model", m)])?, &format!("{ds} {m}"))?;
                        let ci = claim::mean(&claim::values(tab, "dG_ci95", &[("dataset", ds), ("model", m)])?, &format!("{ds} {m}"))?;
                        lows.push((format!("{ds} {m}"), dg - ci));
                    }
                }
                let worst = lows.iter().map(|l| l.1).fold(f64::INFINITY, f64::min);
                Ok(Outcome { holds: worst > 0.0, ours: lows.iter().map(|(k, v)| format!("{k} {v:.3}")).collect::<Vec<_>>().join("; "), detail: "lower ends of the 95 % intervals".into() })
            },
        },
        Claim { id: "001.table1.mushroom_a", claim: "Mushroom, adversarial ε = 0.1: dG^a = 0.06 at an accuracy drop of 2.5 %", source: "seed 001 Table 1", rule: "|dG − 0.06| ≤ 0.03 and |AcDrop − 2.5| ≤ 2 pp", paper: "dG 0.06, AcDrop 2.5 %", check: |t| table1_row(t, "mushroom", "a") },
        Claim { id: "001.table1.mushroom_l", claim: "Mushroom, ℓ1 λ = 0.02: dG^l = 0.06 at an accuracy drop of 2.6 %", source: "seed 001 Table 1", rule: "|dG − 0.06| ≤ 0.03 and |AcDrop − 2.6| ≤ 2 pp", paper: "dG 0.06, AcDrop 2.6 %", check: |t| table1_row(t, "mushroom", "l") },
        Claim { id: "001.table1.spambase_a", claim: "Spambase, adversarial ε = 0.1: dG^a = 0.17 at an accuracy drop of 0.9 %", source: "seed 001 Table 1", rule: "|dG − 0.17| ≤ 0.03 and |AcDrop − 0.9| ≤ 2 pp (standardised features)", paper: "dG 0.17, AcDrop 0.9 %", check: |t| table1_row(t, "spambase", "a") },
        Claim { id: "001.table1.spambase_l", claim: "Spambase, ℓ1 λ = 0.02: dG^l = 0.15 at an accuracy drop of 0.1 %", source: "seed 001 Table 1", rule: "|dG − 0.15| ≤ 0.03 and |AcDrop − 0.1| ≤ 2 pp (standardised features)", paper: "dG 0.15, AcDrop 0.1 %", check: |t| table1_row(t, "spambase", "l") },
        Claim {
            id: "001.appj.fewer_features_mushroom",
            claim: "adversarial training leaves significantly fewer Mushroom features with non-negligible impact",
            source: "seed 001 App. J.2, Fig J.4",
            rule: "count of features with impact ≥ 5 % of the largest (either model): adversarial < natural",
            paper: "— (qualitative)",
            check: |t| fewer_features(t, "mushroom"),
        },
        Claim {
            id: "001.appj.fewer_features_spambase",
            claim: "adversarial training leaves significantly fewer Spambase features with non-negligible impact",
            source: "seed 001 App. J.3, Fig J.5",
            rule: "count of features with impact ≥ 5 % of the largest (either model): adversarial < natural",
            paper: "— (qualitative)",
            check: |t| fewer_features(t, "spambase"),
        },
    ]
}
