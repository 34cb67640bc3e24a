//! Seed 004 Fig 4 / Fig 12: relative noise robustness on MNIST with the letter-A distractor
//! (App. B.8). Gaussian noise N(0, σ²) is added to the signal block only or to the distractor
//! block only (no clipping, as seed 004's code); the output change
//! ‖softmax f(x) − softmax f(x + noise)‖₁ is averaged over test images for each, and their ratio
//! (signal / distractor) is the relative noise robustness: above 1, the model is more robust to
//! noise on the distractor. A standard and ℓ2-PGD-robust CNNs are compared; Fig 12's panels show
//! noised images and the models' input gradients (of the predicted logit).
//!
//! One cell per (model, seed).

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Int, Tensor, TensorData};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::backend::{self, OnBackend};
use super::claim::{self, Claim, Outcome};
use super::grid::{Assembled, CellContext, CellSpec, Experiment, Plan};
use super::seed001_tabular::h;
use super::seed003_leakage::Training;
use super::spec::{Keys, Scale};
use super::{cell_num, find_table, from_json, to_json, Figure, Table};
use crate::attribution::{from_vec, input_gradient, to_vec64, GradTarget};
use super::seed003_leakage::{load, Data};
use crate::data::block_mnist::{self, NullKind};
use crate::data::Normalization;
use crate::error::{Error, Result};
use crate::metric::manifold::{masked_noise, softmax_l1};
use crate::model::{self, Activation, Classifier, InputShape, ModelSpec, Net, ResNetDepth, Stem};
use crate::plot::curves::{line_plot_bytes, Band, Legend, LinePlot, Mark, Series};
use crate::plot::maps::{map_grid_png, Cell as MapCell, MapGrid, MapRow};
use crate::rng::Seed;
use crate::train::{self, Attack, Augment, Examples, Norm, Objective, Pgd, RunOptions, ThreatModel};

/// Madry et al.'s PGD step, as B.2: α = 2.5ε / steps.
const STEP_FACTOR: f64 = 2.5;
const EVAL_BATCH: usize = 250;
const RESULT_FORMAT: u32 = 1;
/// The image: signal and distractor blocks stacked, 1 × 56 × 28.
const IMAGE: [usize; 3] = [1, 2 * block_mnist::SIDE, block_mnist::SIDE];

/// One scale of `experiments/seed004_distractor.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistractorSpec {
    /// `cnn` (small CNN, quick) or `resnet18` (the paper's).
    pub arch: String,
    /// Channels of the small CNN.
    pub cnn_channels: Vec<usize>,
    /// Training of every model.
    pub training: Training,
    /// ℓ2 PGD radii of the robust model, one drawn at random for each training step (B.2: {1, 4, 8}).
    pub robust_eps: Vec<f64>,
    /// PGD steps in training (B.2: 10).
    pub pgd_steps: usize,
    /// Noise levels σ.
    pub sigmas: Vec<f64>,
    /// Test images for accuracy (0 = all).
    pub test_limit: usize,
    /// Test images noised.
    pub eval_examples: usize,
    /// Images in the Fig 12 panels.
    pub maps: usize,
    /// The σ of the noised images shown.
    pub show_sigma: f64,
    /// Seeds.
    pub seeds: Vec<u64>,
}

impl DistractorSpec {
    /// Reads and validates one scale table.
    pub fn from_keys(k: &Keys<'_>) -> Result<Self> {
        let spec = DistractorSpec {
            arch: k.choice("arch", &["cnn", "resnet18"])?,
            cnn_channels: k.usize_list("cnn_channels", 1)?,
            training: Training::from_keys(&k.table("training")?)?,
            robust_eps: k.f64_grid("robust_eps", 1e-6, 1e3)?,
            pgd_steps: k.usize_min("pgd_steps", 1)?,
            sigmas: k.f64_grid("sigmas", 1e-9, 100.0)?,
            test_limit: k.usize_min("test_limit", 0)?,
            eval_examples: k.usize_min("eval_examples", 2)?,
            maps: k.usize_min("maps", 0)?,
            show_sigma: k.f64_in("show_sigma", 1e-9, 100.0)?,
            seeds: k.seeds("seeds")?,
        };
        k.finish()?;
        Ok(spec)
    }

    fn model_spec(&self) -> ModelSpec {
        match self.arch.as_str() {
            "resnet18" => ModelSpec::ResNet { depth: ResNetDepth::R18, stem: Stem::Cifar, activation: Activation::Relu },
            _ => ModelSpec::SmallCnn { channels: self.cnn_channels.clone(), batch_norm: false, activation: Activation::Relu },
        }
    }

    fn objective(&self, robust: bool) -> Result<Objective> {
        if !robust {
            return Ok(Objective::Standard);
        }
        let choices = self
            .robust_eps
            .iter()
            .map(|&eps| Ok((ThreatModel::new(Norm::L2, eps, Some(Normalization::default().range))?, Attack::Pgd(Pgd { steps: self.pgd_steps, step_size: STEP_FACTOR * eps / self.pgd_steps as f64, restarts: 1, random_start: true }))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Objective::AdversarialMix { choices })
    }

    fn model_name(&self, robust: bool) -> String {
        if robust {
            format!("pgd-l2 eps {}", self.robust_eps.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("|"))
        } else {
            "standard".into()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CellParams {
    /// ℓ2 PGD training (else standard).
    robust: bool,
    seed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
struct CellResult {
    accuracy: f64,
    /// (σ, mean change with noise on the signal, on the distractor).
    change: Vec<(f64, f64, f64)>,
    /// First `maps` images, their signal- and distractor-noised copies at `show_sigma` (first
    /// seed's standard cell only), and this model's gradient maps.
    images: Vec<Vec<f32>>,
    signal_noised: Vec<Vec<f32>>,
    distractor_noised: Vec<Vec<f32>>,
    maps: Vec<Vec<f32>>,
}

/// The experiment.
#[derive(Default)]
pub struct Distractor {
    data: super::Shared<Data>,
}

struct Job<'c, 'l> {
    spec: DistractorSpec,
    p: CellParams,
    data: std::sync::Arc<Data>,
    ctx: &'c mut CellContext<'l>,
    show: bool,
}

impl OnBackend for Job<'_, '_> {
    type Output = serde_json::Value;
    fn run<B: AutodiffBackend>(self, device: &B::Device) -> Result<serde_json::Value>
    where
        Net<B>: AutodiffModule<B>,
        <Net<B> as AutodiffModule<B>>::InnerModule: Classifier<B::InnerBackend>,
    {
        let Job { spec, p, data, ctx, show } = self;
        let [c, hh, w] = IMAGE;
        let shape = InputShape::Image { c, h: hh, w };
        let d = c * hh * w;
        let tr = Examples::new(data.train_x.view(), &data.train_y, Some(IMAGE))?;
        let net = model::build::<B>(&spec.model_spec(), shape, block_mnist::classes::ALL.len(), Seed(p.seed).derive(1), device)?;
        let objective = spec.objective(p.robust)?;
        (ctx.log)(&format!("  training {} seed {} ({}, {} epochs on {} images)", spec.model_name(p.robust), p.seed, objective.name(), spec.training.epochs, tr.len()));
        let mut store = train::DirStore::new(ctx.scratch.join("checkpoint"));
        let out = train::train::<B, _>(net, &tr, None, &spec.training.config(Seed(p.seed).derive(2), Augment::None), &objective, RunOptions { checkpoint: Some(&mut store), progress: true, ..RunOptions::default() }, device)?;
        let model = out.model;
        let inner = model.valid();
        let n_test = if spec.test_limit == 0 { data.test_y.len() } else { spec.test_limit.min(data.test_y.len()) };
        let te = Examples::new(data.test_x.slice(ndarray::s![..n_test, ..]), &data.test_y[..n_test], Some(IMAGE))?;
        let (_, accuracy) = train::evaluate(&inner, &te, EVAL_BATCH, device)?;
        let n = data.null.len();
        let x: Vec<f32> = data.test_x.slice(ndarray::s![..n, ..]).iter().copied().collect();
        let logits = |rows: &[f32]| -> Result<Vec<f64>> {
            let mut v = Vec::new();
            for start in (0..n).step_by(EVAL_BATCH) {
                let end = (start + EVAL_BATCH).min(n);
                let t: Tensor<B::InnerBackend, 2> = from_vec(rows[start * d..end * d].to_vec(), [end - start, d], device);
                v.extend(to_vec64(&inner.logits(t))?);
            }
            Ok(v)
        };
        let k = inner.num_classes();
        let l0 = logits(&x)?;
        let mut result = CellResult { accuracy, ..CellResult::default() };
        // The same noise draws for every model (seeded by σ and image only).
        let noised = |si: usize, sigma: f64, on_signal: bool| -> Result<Vec<f32>> {
            let mut rows = Vec::with_capacity(n * d);
            for i in 0..n {
                // The null mask is true on the distractor block.
                let mask: Vec<bool> = data.null[i].iter().map(|&is_null| is_null != on_signal).collect();
                let z = masked_noise(&mask, sigma, Seed(0x0004_0b08).derive(si as u64).derive(u64::from(on_signal)).derive(i as u64))?;
                rows.extend(x[i * d..(i + 1) * d].iter().zip(&z).map(|(a, b)| (f64::from(*a) + b) as f32));
            }
            Ok(rows)
        };
        for (si, &sigma) in spec.sigmas.iter().enumerate() {
            let change = |rows: &[f32]| -> Result<f64> {
                let l = logits(rows)?;
                Ok((0..n).map(|i| softmax_l1(&l0[i * k..(i + 1) * k], &l[i * k..(i + 1) * k])).sum::<f64>() / n as f64)
            };
            let (s, dd) = (change(&noised(si, sigma, true)?)?, change(&noised(si, sigma, false)?)?);
            result.change.push((sigma, s, dd));
        }
        let m = spec.maps.min(n);
        if m > 0 {
            let pred: Vec<i64> = l0.chunks(k).take(m).map(|r| r.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(j, _)| j as i64)).collect();
            let labels = Tensor::<B::InnerBackend, 1, Int>::from_data(TensorData::new(pred, [m]), device);
            let (g, _) = input_gradient::<B, _>(&model, from_vec(x[..m * d].to_vec(), [m, d], device), &GradTarget::Logit(labels))?;
            let g = to_vec64(&g)?;
            result.maps = (0..m).map(|i| g[i * d..(i + 1) * d].iter().map(|v| *v as f32).collect()).collect();
            if show {
                let si = spec.sigmas.len();
                let (sn, dn) = (noised(si, spec.show_sigma, true)?, noised(si, spec.show_sigma, false)?);
                for i in 0..m {
                    result.images.push(x[i * d..(i + 1) * d].to_vec());
                    result.signal_noised.push(sn[i * d..(i + 1) * d].to_vec());
                    result.distractor_noised.push(dn[i * d..(i + 1) * d].to_vec());
                }
            }
        }
        (ctx.log)(&format!("  {} seed {}: accuracy {accuracy:.4}, signal/distractor change {:?}", spec.model_name(p.robust), p.seed, result.change.iter().map(|c| (c.0, (c.1 / c.2.max(crate::prec::NORM_FLOOR) * 100.0).round() / 100.0)).collect::<Vec<_>>()));
        to_json(&result)
    }
}

/// Columns of the main table: model (`standard`, `pgd-l2 eps 1|4|8`), σ, seeds, mean changes with their
/// sds, the ratio signal/distractor (of the seed means) with the sd of the per-seed ratios.
pub const TABLE_HEADER: [&str; 9] = ["model", "sigma", "seeds", "signal_change", "signal_change_sd", "distractor_change", "distractor_change_sd", "ratio", "ratio_sd"];
/// Columns of the accuracy table.
pub const ACC_HEADER: [&str; 3] = ["model", "accuracy", "accuracy_sd"];
/// Columns of the Fig 12 panels table.
pub const MAPS_HEADER: [&str; 3] = ["what", "index", "values"];

impl Experiment for Distractor {
    fn id(&self) -> &str {
        "seed004_distractor"
    }
    fn about(&self) -> &str {
        "seed 004 Fig 4 / Fig 12: output change under noise on the signal vs on the letter-A distractor (MNIST), standard vs ℓ2-PGD CNNs"
    }
    fn builtin_spec(&self) -> &str {
        include_str!("../../experiments/seed004_distractor.toml")
    }
    fn tables(&self) -> &[&str] {
        &["", "_accuracy", "_maps"]
    }
    fn needs_data(&self) -> &[&str] {
        &["mnist"]
    }
    fn gpu(&self) -> bool {
        true
    }
    fn plan(&self, keys: &Keys<'_>, _scale: Scale) -> Result<Plan> {
        let spec = DistractorSpec::from_keys(keys)?;
        let mut cells = Vec::new();
        for &seed in &spec.seeds {
            for robust in [false, true] {
                let p = CellParams { robust, seed };
                cells.push(CellSpec::new(format!("{}-seed{seed}", if robust { "pgd-l2" } else { "standard" }), serde_json::json!({ "cell": p, "spec": spec, "result_format": RESULT_FORMAT }))?);
            }
        }
        Ok(Plan { params: to_json(&spec)?, seeds: spec.seeds.clone(), backend: train::CPU_BACKEND.into(), cells })
    }
    fn compute(&self, plan: &Plan, cell: &CellSpec, ctx: &mut CellContext<'_>) -> Result<serde_json::Value> {
        let spec: DistractorSpec = plan.params()?;
        let p: CellParams = from_json(&cell.params["cell"])?;
        let key = format!("{}/{}/{}", spec.training.limit, spec.test_limit, spec.eval_examples);
        let data = self.data.get_or(key, || load(NullKind::LetterA, spec.training.limit, spec.test_limit, spec.eval_examples))?;
        let show = !p.robust && p.seed == spec.seeds[0];
        let device = ctx.device.clone();
        backend::dispatch(&device, Job { spec, p, data, ctx, show })
    }
    fn assemble(&self, plan: &Plan, results: &[serde_json::Value]) -> Result<Assembled> {
        let spec: DistractorSpec = plan.params()?;
        let cells: Vec<(CellParams, CellResult)> = super::cell_results(plan, results, "cell")?;
        assemble(&spec, &cells)
    }
    fn plot(&self, tables: &[Table]) -> Result<Vec<Figure>> {
        plot(tables)
    }
    fn claims(&self) -> Vec<Claim> {
        claims()
    }
}


fn assemble(spec: &DistractorSpec, cells: &[(CellParams, CellResult)]) -> Result<Assembled> {
    let f5 = |v: f64| format!("{v:.5}");
    let mut t = Table { suffix: String::new(), header: h(&TABLE_HEADER), rows: Vec::new() };
    let mut acc = Table { suffix: "_accuracy".into(), header: h(&ACC_HEADER), rows: Vec::new() };
    let mut maps = Table { suffix: "_maps".into(), header: h(&MAPS_HEADER), rows: Vec::new() };
    for robust in [false, true] {
        let rs: Vec<&CellResult> = cells.iter().filter(|(p, _)| p.robust == robust).map(|(_, r)| r).collect();
        if rs.len() != spec.seeds.len() {
            return Err(Error::Shape(format!("seed004_distractor: {} of {} cells of the {} model", rs.len(), spec.seeds.len(), spec.model_name(robust))));
        }
        let (a, asd) = super::mean_sd(&rs.iter().map(|r| r.accuracy).collect::<Vec<_>>());
        acc.rows.push(vec![spec.model_name(robust), f5(a), f5(asd)]);
        for (si, &sigma) in spec.sigmas.iter().enumerate() {
            let (s, ssd) = super::mean_sd(&rs.iter().map(|r| r.change[si].1).collect::<Vec<_>>());
            let (dd, dsd) = super::mean_sd(&rs.iter().map(|r| r.change[si].2).collect::<Vec<_>>());
            let (_, rsd) = super::mean_sd(&rs.iter().map(|r| r.change[si].1 / r.change[si].2.max(crate::prec::NORM_FLOOR)).collect::<Vec<_>>());
            t.rows.push(vec![spec.model_name(robust), sigma.to_string(), rs.len().to_string(), f5(s), f5(ssd), f5(dd), f5(dsd), f5(s / dd.max(crate::prec::NORM_FLOOR)), f5(rsd)]);
        }
    }
    let first = spec.seeds[0];
    if let Some((_, r)) = cells.iter().find(|(p, _)| !p.robust && p.seed == first) {
        for (i, img) in r.images.iter().enumerate() {
            maps.rows.push(vec!["input".into(), i.to_string(), super::fmt_map(img)]);
            maps.rows.push(vec![format!("signal noise σ={}", spec.show_sigma), i.to_string(), super::fmt_map(&r.signal_noised[i])]);
            maps.rows.push(vec![format!("distractor noise σ={}", spec.show_sigma), i.to_string(), super::fmt_map(&r.distractor_noised[i])]);
        }
    }
    for (p, r) in cells.iter().filter(|(p, _)| p.seed == first) {
        for (i, m) in r.maps.iter().enumerate() {
            maps.rows.push(vec![format!("gradient {}", spec.model_name(p.robust)), i.to_string(), super::fmt_map(m)]);
        }
    }
    Ok(Assembled { tables: vec![t, acc, maps], unmet: Vec::new() })
}

const SIZE: (u32, u32) = (900, 600);

/// A curve's points and its ± sd band.
type Curve = (Vec<(f64, f64)>, Vec<(f64, f64, f64)>);
const MAP_SCALE: u32 = 4;

/// Fig 4: the ratio against log₁₀ σ per model, and the two changes per model; Fig 12's panels.
pub fn plot(tables: &[Table]) -> Result<Vec<Figure>> {
    let mut figs = Vec::new();
    let t = find_table(tables, "", &TABLE_HEADER)?;
    let mut models: Vec<String> = Vec::new();
    for r in &t.rows {
        if !models.contains(&r[0]) {
            models.push(r[0].clone());
        }
    }
    let curve = |m: &str, col: &str| -> Result<Curve> {
        let (sc, c, sd) = (claim::column(t, "sigma")?, claim::column(t, col)?, claim::column(t, &format!("{col}_sd"))?);
        let rows: Vec<&Vec<String>> = t.rows.iter().filter(|r| r[0] == m).collect();
        let pts = rows.iter().map(|r| Ok((cell_num(t, r, sc)?.log10(), cell_num(t, r, c)?))).collect::<Result<Vec<_>>>()?;
        let band = rows.iter().map(|r| { let (x, y, s) = (cell_num(t, r, sc)?.log10(), cell_num(t, r, c)?, cell_num(t, r, sd)?); Ok((x, y - s, y + s)) }).collect::<Result<Vec<_>>>()?;
        Ok((pts, band))
    };
    let (mut series, mut bands) = (Vec::new(), Vec::new());
    for m in &models {
        let (pts, band) = curve(m, "ratio")?;
        bands.push(Band { series: series.len(), points: band });
        series.push(Series { name: m.clone(), points: pts, mark: Mark::LineMarked });
    }
    let (png, svg) = line_plot_bytes(&LinePlot { title: "Seed 004 Fig 4: relative noise robustness (signal / distractor change)".into(), x_label: "log10 noise σ".into(), y_label: "change(noise on signal) / change(noise on distractor)".into(), series, bands }, SIZE, Legend::UpperRight)?;
    figs.push(Figure { suffix: "_fig4_ratio".into(), png, svg });
    let (mut series, mut bands) = (Vec::new(), Vec::new());
    for m in &models {
        for (col, what) in [("signal_change", "signal noise"), ("distractor_change", "distractor noise")] {
            let (pts, band) = curve(m, col)?;
            bands.push(Band { series: series.len(), points: band });
            series.push(Series { name: format!("{m}, {what}"), points: pts, mark: Mark::LineMarked });
        }
    }
    let (png, svg) = line_plot_bytes(&LinePlot { title: "Seed 004 Fig 4: output change under noise on the signal or the distractor".into(), x_label: "log10 noise σ".into(), y_label: "‖softmax f(x) − softmax f(x + noise)‖₁".into(), series, bands }, SIZE, Legend::LowerRight)?;
    figs.push(Figure { suffix: "_fig4_change".into(), png, svg });
    let mt = find_table(tables, "_maps", &MAPS_HEADER)?;
    let [c, hh, w] = IMAGE;
    let parse = |r: &[String]| -> Result<Vec<f32>> { r[2].split(' ').map(|s| s.parse::<f32>().map_err(|_| Error::Shape(format!("maps table: `{s}` is not a number")))).collect() };
    let mut kinds: Vec<String> = Vec::new();
    for r in &mt.rows {
        if !kinds.contains(&r[0]) {
            kinds.push(r[0].clone());
        }
    }
    let mut rows = Vec::new();
    for i in mt.rows.iter().filter(|r| r[0] == "input").map(|r| r[1].clone()) {
        let mut cells = Vec::new();
        for kind in &kinds {
            let Some(r) = mt.rows.iter().find(|r| r[0] == *kind && r[1] == i) else { continue };
            let v = parse(r)?;
            cells.push(if kind.starts_with("gradient") {
                MapCell::Map(Array2::from_shape_vec((hh, w), v).map_err(|e| Error::Shape(e.to_string()))?)
            } else {
                MapCell::Image(ndarray::Array3::from_shape_vec((c, hh, w), v.into_iter().map(|x| x.clamp(0.0, 1.0)).collect()).map_err(|e| Error::Shape(e.to_string()))?)
            });
        }
        if cells.len() == kinds.len() {
            rows.push(MapRow { label: format!("#{i}"), cells, captions: Vec::new() });
        }
    }
    if !rows.is_empty() {
        let png = map_grid_png(&MapGrid { title: "Seed 004 Fig 12: noised inputs and input gradients".into(), columns: kinds.clone(), rows, scale: MAP_SCALE })?;
        figs.push(Figure { suffix: "_fig12".into(), png, svg: String::new() });
    }
    Ok(figs)
}

/// Claim 2: "much more so" — a robust model's ratio must exceed the standard model's by this factor
/// at the middle noise level.
const MUCH_MORE: f64 = 2.0;

/// Seed 004 §4.3's claims on Fig 4.
pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "004.fig4.standard_more_robust_to_distractor",
            claim: "the standard model is already more robust to noise on the distractor than to noise on the signal",
            source: "seed 004 §4.3, Fig 4",
            rule: "standard model: at every σ, ratio (signal change / distractor change) − sd > 1 (sd of per-seed ratios)",
            paper: "ratio > 1 for the standard ResNet18 (curve)",
            check: |t| {
                let tt = claim::table(t, "")?;
                let (r, sd) = (claim::values(tt, "ratio", &[("model", "standard")])?, claim::values(tt, "ratio_sd", &[("model", "standard")])?);
                let ok = !r.is_empty() && r.iter().zip(&sd).all(|(a, s)| a - s > 1.0);
                Ok(Outcome { holds: ok, ours: format!("ratios {r:.2?}"), detail: "per σ, increasing".into() })
            },
        },
        Claim {
            id: "004.fig4.robust_much_more",
            claim: "the adversarially robust model is much more robust to distractor noise, relative to signal noise, than the standard model",
            source: "seed 004 §4.3, Fig 4",
            rule: "every robust model: at every σ its ratio − sd > the standard's ratio + sd, and at the middle σ its ratio ≥ 2 × the standard's",
            paper: "robust curve far above the standard curve",
            check: |t| {
                let tt = claim::table(t, "")?;
                let (st, st_sd) = (claim::values(tt, "ratio", &[("model", "standard")])?, claim::values(tt, "ratio_sd", &[("model", "standard")])?);
                let models: Vec<String> = tt.rows.iter().map(|r| r[0].clone()).filter(|m| m != "standard").fold(Vec::new(), |mut v, m| { if !v.contains(&m) { v.push(m); } v });
                let mut ok = !models.is_empty() && !st.is_empty();
                let mut parts = Vec::new();
                for m in &models {
                    let (r, sd) = (claim::values(tt, "ratio", &[("model", m)])?, claim::values(tt, "ratio_sd", &[("model", m)])?);
                    let beyond = (0..r.len().min(st.len())).all(|i| r[i] - sd[i] > st[i] + st_sd[i]);
                    let mid = st.len() / 2;
                    let factor = r.get(mid).copied().unwrap_or(f64::NAN) / st.get(mid).copied().unwrap_or(f64::NAN);
                    ok &= beyond && factor >= MUCH_MORE;
                    parts.push(format!("{m}: ×{factor:.2} at the middle σ{}", if beyond { "" } else { ", not above at every σ" }));
                }
                Ok(Outcome { holds: ok, ours: parts.join("; "), detail: String::new() })
            },
        },
    ]
}
