//! Seed 000 App. F, Fig 31: ℓ∞-adversarial training of a width-50,000 one-hidden-layer ReLU net
//! (both layers, mean-field scaling) on the eq (2) data with d = 10, d̃ = 1, η = 0 — (a) the
//! largest-magnitude coordinate of each normalised first-layer weight against its second-layer
//! weight, (b) the histogram of first-layer biases — with standard training beside it, and the
//! normalised margin during training against the theory's values.
//!
//! The data are the d support points (y·e_j, y) of 𝒟, each once: full-batch gradient descent on
//! them is gradient descent on the population loss. One cell = one (objective, seed).
//!
//! What the paper reads from the figure (App. F): neurons whose first-layer weight is aligned with
//! a basis vector carry large second-layer weights, and the biases are predominantly negative —
//! two consequences of Conjecture 1's ν~. Both are measured here as numbers (summary table), by
//! count and by the mass ‖θ_k‖² with which a neuron enters the measure the net represents.

use serde::{Deserialize, Serialize};

use super::spec::Keys;
use super::claim::{self, Claim, Outcome};
use super::grid::{Assembled, CellContext, CellSpec, Experiment, Plan};
use super::spec::Scale;
use super::{cell_num as num, find_table as find, from_json, to_json, Figure, Table};
use crate::error::{Error, Result};
use crate::plot::curves::{line_plot_bytes, Legend, LinePlot, Mark, Series};
use crate::rng::Seed;
use crate::theory::adversarial_margin::{best_axis_aligned, nu_tilde_margin_closed_form, support_points};
use crate::theory::block_data::BlockSpec;
use crate::theory::max_margin::gamma_star;
use crate::train::wide::{train_wide, Batch, LinfAdversary, WideNet, WideRecord, WideTrainConfig};

/// Stream below a cell's seed for the initial weights.
const STREAM_INIT: u64 = 0;
/// A normalised first-layer weight counts as axis-aligned when its largest coordinate has
/// magnitude above this (cos of the angle to the nearest basis vector; 0.9 ≈ 26°).
const ALIGNED: f64 = 0.9;

/// One scale of `experiments/seed000_fig31.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fig31Spec {
    /// Number of blocks d (d̃ = 1, η = 0).
    pub d: usize,
    /// Hidden width m.
    pub width: usize,
    /// ℓ∞ radius of adversarial training.
    pub eps: f64,
    /// Full-batch gradient steps.
    pub steps: usize,
    /// Learning rate in mean-field time.
    pub lr: f64,
    /// Initial E‖θ_k‖.
    pub init_scale: f64,
    /// PGD steps of the training attack.
    pub pgd_steps: usize,
    /// PGD step size as a fraction of ε.
    pub pgd_step_fraction: f64,
    /// Record margins every this many steps.
    pub record_every: usize,
    /// Neurons kept for the scatter plot (every ⌈m / n⌉-th one).
    pub scatter_neurons: usize,
    /// Bins of the bias histogram.
    pub bias_bins: usize,
    /// One run per seed and objective.
    pub seeds: Vec<u64>,
}

impl Fig31Spec {
    /// Reads and validates one scale table.
    pub fn from_keys(k: &Keys<'_>) -> Result<Self> {
        let d = k.usize_min("d", 2)?;
        if !d.is_multiple_of(2) {
            return Err(k.error("d", format!("eq (2) needs an even d, got {d}")));
        }
        let spec = Fig31Spec {
            d,
            width: k.usize_min("width", 1)?,
            // Inputs are ±e_j: at ε ≥ ½ the two classes' balls touch and no margin is positive.
            eps: k.f64_in("eps", 0.0, 0.5)?,
            steps: k.usize_min("steps", 1)?,
            lr: k.f64_in("lr", f64::MIN_POSITIVE, f64::MAX)?,
            init_scale: k.f64_in("init_scale", f64::MIN_POSITIVE, f64::MAX)?,
            pgd_steps: k.usize_min("pgd_steps", 1)?,
            pgd_step_fraction: k.f64_in("pgd_step_fraction", f64::MIN_POSITIVE, 1.0)?,
            record_every: k.usize_min("record_every", 1)?,
            scatter_neurons: k.usize_min("scatter_neurons", 1)?,
            bias_bins: k.usize_min("bias_bins", 2)?,
            seeds: k.seeds("seeds")?,
        };
        k.finish()?;
        Ok(spec)
    }

    fn adversary(&self) -> LinfAdversary {
        LinfAdversary { eps: self.eps, steps: self.pgd_steps, step_fraction: self.pgd_step_fraction }
    }
}

/// Per-neuron quantities of Fig 31.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NeuronStats {
    /// The coordinate of largest magnitude of r_k / ‖r_k‖ (signed).
    pub max_coord: f64,
    /// Index of that coordinate.
    pub argmax: usize,
    /// Second-layer weight a_k.
    pub a: f64,
    /// Bias b_k.
    pub b: f64,
    /// ‖θ_k‖² — the neuron's (unnormalised) mass in the measure the net represents.
    pub mass: f64,
}

/// The statistics of every neuron of `net`.
pub fn neuron_stats(net: &WideNet) -> Vec<NeuronStats> {
    (0..net.width())
        .map(|k| {
            let r = net.r_of(k);
            let nr = r.iter().map(|v| v * v).sum::<f64>().sqrt();
            let (argmax, max) = r.iter().enumerate().fold((0, 0.0f64), |(j, m), (i, v)| if v.abs() > m.abs() { (i, *v) } else { (j, m) });
            let max_coord = if nr > 0.0 { max / nr } else { 0.0 };
            NeuronStats { max_coord, argmax, a: net.a()[k], b: net.b()[k], mass: net.a()[k] * net.a()[k] + nr * nr + net.b()[k] * net.b()[k] }
        })
        .collect()
}

/// Summary numbers of one trained net (the claims of App. F, measured).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Shape {
    /// Fraction of neurons with b_k < 0.
    pub negative_bias_count: f64,
    /// Fraction of the mass Σ‖θ_k‖² on neurons with b_k < 0.
    pub negative_bias_mass: f64,
    /// Fraction of the mass on axis-aligned neurons (|max coordinate| > `ALIGNED`).
    pub aligned_mass: f64,
    /// Mean |a_k| of axis-aligned neurons divided by mean |a_k| of the others (Fig 31(a)'s claim:
    /// > 1). NaN when one group is empty.
    pub aligned_weight_ratio: f64,
    /// Pearson correlation of |max coordinate| and |a_k| over all neurons.
    pub alignment_weight_corr: f64,
}

/// Measures [`Shape`] from neuron statistics.
pub fn shape(stats: &[NeuronStats]) -> Shape {
    let n = stats.len().max(1) as f64;
    let total: f64 = stats.iter().map(|s| s.mass).sum();
    let neg_mass: f64 = stats.iter().filter(|s| s.b < 0.0).map(|s| s.mass).sum();
    let aligned: Vec<&NeuronStats> = stats.iter().filter(|s| s.max_coord.abs() > ALIGNED).collect();
    let others: Vec<&NeuronStats> = stats.iter().filter(|s| s.max_coord.abs() <= ALIGNED).collect();
    let mean_abs_a = |v: &[&NeuronStats]| if v.is_empty() { f64::NAN } else { v.iter().map(|s| s.a.abs()).sum::<f64>() / v.len() as f64 };
    let xs: Vec<f64> = stats.iter().map(|s| s.max_coord.abs()).collect();
    let ys: Vec<f64> = stats.iter().map(|s| s.a.abs()).collect();
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let cov: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let vx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let vy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
    Shape {
        negative_bias_count: stats.iter().filter(|s| s.b < 0.0).count() as f64 / n,
        negative_bias_mass: if total > 0.0 { neg_mass / total } else { f64::NAN },
        aligned_mass: if total > 0.0 { aligned.iter().map(|s| s.mass).sum::<f64>() / total } else { f64::NAN },
        aligned_weight_ratio: mean_abs_a(&aligned) / mean_abs_a(&others),
        alignment_weight_corr: cov / (vx * vy).sqrt(),
    }
}

/// What one trained net yields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellResult {
    /// `adversarial` or `standard`.
    pub objective: String,
    /// Seed of the initial weights.
    pub seed: u64,
    /// Margins during training.
    pub history: Vec<WideRecord>,
    /// Every ⌈m / scatter_neurons⌉-th neuron.
    pub scatter: Vec<NeuronStats>,
    /// Bias histogram over all neurons: (left edge, right edge, count, mass).
    pub bias_hist: Vec<(f64, f64, usize, f64)>,
    /// Summary of the trained net's shape.
    pub shape: Shape,
    /// Fraction of the support points whose input gradient ∇ₓf has its largest entry at j*(x)
    /// (Lemma 1 holds on ν~: its gradient is c·e_{j*}).
    pub grad_argmax_signal: f64,
    /// Mean over the support points of |g_{j*}| / Σ_k |g_k|.
    pub grad_signal_share: f64,
    /// Seconds of training.
    pub train_seconds: f64,
}

fn histogram(stats: &[NeuronStats], bins: usize) -> Vec<(f64, f64, usize, f64)> {
    let (lo, hi) = stats.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), s| (l.min(s.b), h.max(s.b)));
    let (lo, hi) = if lo < hi { (lo, hi) } else { (lo - 0.5, lo + 0.5) };
    let w = (hi - lo) / bins as f64;
    let mut out: Vec<(f64, f64, usize, f64)> = (0..bins).map(|i| (lo + i as f64 * w, lo + (i + 1) as f64 * w, 0, 0.0)).collect();
    for s in stats {
        let i = (((s.b - lo) / w) as usize).min(bins - 1);
        out[i].2 += 1;
        out[i].3 += s.mass;
    }
    out
}

/// The experiment: one cell per (seed, objective).
#[derive(Debug, Clone, Copy)]
pub struct Fig31;

impl Experiment for Fig31 {
    fn id(&self) -> &str {
        "seed000_fig31"
    }
    fn about(&self) -> &str {
        "seed 000 Fig 31: width-50,000 ℓ∞-adversarial training on eq (2), d = 10 — neuron alignment vs weight, bias histogram, margins"
    }
    fn builtin_spec(&self) -> &str {
        include_str!("../../experiments/seed000_fig31.toml")
    }
    fn tables(&self) -> &[&str] {
        &["", "_history", "_neurons", "_bias"]
    }
    fn plan(&self, keys: &Keys<'_>, _scale: Scale) -> Result<Plan> {
        let spec = Fig31Spec::from_keys(keys)?;
        let mut cells = Vec::new();
        for &seed in &spec.seeds {
            for objective in ["adversarial", "standard"] {
                cells.push(CellSpec::new(format!("{objective}-seed{seed}"), serde_json::json!({ "spec": spec, "objective": objective, "seed": seed }))?);
            }
        }
        Ok(Plan { params: to_json(&spec)?, seeds: spec.seeds.clone(), backend: super::seed000_fig5::wide_backend(), cells })
    }
    fn compute(&self, plan: &Plan, cell: &CellSpec, ctx: &mut CellContext<'_>) -> Result<serde_json::Value> {
        let spec: Fig31Spec = plan.params()?;
        let (objective, seed): (String, u64) = (from_json(&cell.params["objective"])?, from_json(&cell.params["seed"])?);
        let d = spec.d;
        let pts = support_points(d);
        let x: Vec<f64> = pts.iter().flat_map(|(x, _, _)| x.iter().copied().collect::<Vec<_>>()).collect();
        let y: Vec<f64> = pts.iter().map(|(_, y, _)| *y).collect();
        let batch = Batch::new(&x, &y, d)?;
        let key = &cell.key;
        let adversary = (objective == "adversarial").then(|| spec.adversary());
        let cfg = WideTrainConfig { steps: spec.steps, lr: spec.lr, adversary, record_every: spec.record_every };
        let mut net = WideNet::init(d, spec.width, spec.init_scale, Seed(seed).derive(STREAM_INIT))?;
        let t0 = std::time::Instant::now();
        let tenth = (spec.steps / 10).max(1);
        let log = &mut *ctx.log;
        let history = train_wide(&mut net, &batch, &cfg, &mut |s| {
            if s % tenth == 0 {
                log(&format!("  {key}: step {s}/{} ({:.0}s)", spec.steps, t0.elapsed().as_secs_f64()));
            }
        })?;
        let train_seconds = t0.elapsed().as_secs_f64();
        let stats = neuron_stats(&net);
        let every = spec.width.div_ceil(spec.scatter_neurons);
        let (_, g) = net.logits_and_input_grads(&x)?;
        let (mut argmax_hits, mut share) = (0usize, 0.0);
        for (i, (_, _, j)) in pts.iter().enumerate() {
            let row = &g[i * d..(i + 1) * d];
            let best = (0..d).fold(0, |b, k| if row[k].abs() > row[b].abs() { k } else { b });
            argmax_hits += usize::from(best == *j);
            let tot: f64 = row.iter().map(|v| v.abs()).sum();
            share += if tot > 0.0 { row[*j].abs() / tot } else { 0.0 };
        }
        let r = CellResult {
            objective,
            seed,
            shape: shape(&stats),
            scatter: stats.iter().step_by(every).copied().collect(),
            bias_hist: histogram(&stats, spec.bias_bins),
            history,
            grad_argmax_signal: argmax_hits as f64 / pts.len() as f64,
            grad_signal_share: share / pts.len() as f64,
            train_seconds,
        };
        let last = r.history.last().copied();
        log(&format!(
            "  {key}: {train_seconds:.1}s, margin {:.5}, attacked margin {:.5}, negative-bias mass {:.3}, aligned mass {:.3}",
            last.map_or(f64::NAN, |l| l.margin),
            last.map_or(f64::NAN, |l| l.adv_margin),
            r.shape.negative_bias_mass,
            r.shape.aligned_mass
        ));
        to_json(&r)
    }
    fn assemble(&self, plan: &Plan, results: &[serde_json::Value]) -> Result<Assembled> {
        let spec: Fig31Spec = plan.params()?;
        let results: Vec<CellResult> = results.iter().map(from_json).collect::<Result<_>>()?;
        let refs = References::new(&spec)?;
        let unmet = results
            .iter()
            .filter(|r| r.objective == "adversarial" && r.history.last().is_none_or(|l| l.adv_margin <= 0.0))
            .map(|r| format!("adversarial seed {}: attacked training margin is not positive after {} steps", r.seed, spec.steps))
            .collect();
        Ok(Assembled { tables: tables(&results, &refs), unmet })
    }
    fn plot(&self, tables: &[Table]) -> Result<Vec<Figure>> {
        plot(tables)
    }
    fn claims(&self) -> Vec<Claim> {
        claims()
    }
}

/// Column `name` of the summary row of `objective` (first seed).
fn summary(t: &[Table], objective: &str, name: &str) -> Result<f64> {
    let tab = claim::table(t, "")?;
    claim::mean(&claim::values(tab, name, &[("objective", objective)])?, &format!("`{objective}`"))
}

/// The App. F claims of Fig 31.
pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "000.fig31a.axis_aligned_large_weights",
            claim: "adversarially trained neurons with large second-layer weights have axis-aligned first-layer weights",
            source: "seed 000 App. F, Fig 31(a)",
            rule: "mass on axis-aligned neurons (largest |coordinate| of r/‖r‖ > 0.9) ≥ 0.9 for adversarial training, ≤ 0.1 for standard",
            paper: "qualitative",
            check: |t| {
                let (a, s) = (summary(t, "adversarial", "aligned_mass")?, summary(t, "standard", "aligned_mass")?);
                Ok(Outcome { holds: a >= 0.9 && s <= 0.1, ours: format!("{a:.3}"), detail: format!("standard: {s:.4}") })
            },
        },
        Claim {
            id: "000.fig31b.negative_biases",
            claim: "the biases of adversarially trained neurons are predominantly negative",
            source: "seed 000 App. F, Fig 31(b)",
            rule: "mass Σ‖θ_k‖² on neurons with b_k < 0 ≥ 0.5 (adversarial) and above the standard net's",
            paper: "qualitative",
            check: |t| {
                let (a, s) = (summary(t, "adversarial", "negative_bias_mass")?, summary(t, "standard", "negative_bias_mass")?);
                Ok(Outcome { holds: a >= 0.5 && a > s, ours: format!("{a:.3}"), detail: format!("standard: {s:.4}") })
            },
        },
    ]
}

/// The theory's margins for the same data: Theorem 1's γ* (the standard max-margin value), the
/// best axis-aligned measure ν_{a,b} at ε (a lower bound on the ℓ∞ max-margin value) and
/// Conjecture 1's ν~ at ε (proofs/conjecture1.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct References {
    /// γ* of Theorem 1 (η = 0).
    pub gamma_star: f64,
    /// Largest ℓ∞ margin at ε over the axis-aligned family.
    pub best_axis_aligned: f64,
    /// ℓ∞ margin of ν~ at ε.
    pub nu_tilde: f64,
}

impl References {
    /// Computes the references for `spec`'s d and ε.
    pub fn new(spec: &Fig31Spec) -> Result<Self> {
        Ok(References {
            gamma_star: gamma_star(&BlockSpec::scalar(spec.d, 0.0)?),
            best_axis_aligned: best_axis_aligned(spec.d, spec.eps)?.0,
            nu_tilde: nu_tilde_margin_closed_form(spec.d, spec.eps),
        })
    }
}

/// Summary table columns.
pub const SUMMARY_HEADER: [&str; 15] = [
    "objective",
    "seed",
    "steps",
    "margin",
    "attacked_margin",
    "negative_bias_count",
    "negative_bias_mass",
    "aligned_mass",
    "aligned_weight_ratio",
    "alignment_weight_corr",
    "grad_argmax_signal",
    "grad_signal_share",
    "gamma_star",
    "best_axis_aligned_eps",
    "nu_tilde_eps",
];
/// History table columns.
pub const HISTORY_HEADER: [&str; 6] = ["objective", "seed", "step", "loss", "margin", "attacked_margin"];
/// Neuron table columns.
pub const NEURON_HEADER: [&str; 7] = ["objective", "seed", "max_coord", "argmax", "a", "b", "mass"];
/// Bias histogram columns.
pub const BIAS_HEADER: [&str; 6] = ["objective", "seed", "left", "right", "count", "mass"];

fn tables(results: &[CellResult], refs: &References) -> Vec<Table> {
    let header = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut summary = Table { suffix: String::new(), header: header(&SUMMARY_HEADER), rows: Vec::new() };
    let mut hist = Table { suffix: "_history".into(), header: header(&HISTORY_HEADER), rows: Vec::new() };
    let mut neurons = Table { suffix: "_neurons".into(), header: header(&NEURON_HEADER), rows: Vec::new() };
    let mut bias = Table { suffix: "_bias".into(), header: header(&BIAS_HEADER), rows: Vec::new() };
    for r in results {
        let (o, s) = (r.objective.clone(), r.seed.to_string());
        let last = r.history.last().copied().unwrap_or(WideRecord { step: 0, loss: f64::NAN, margin: f64::NAN, adv_margin: f64::NAN });
        let sh = r.shape;
        summary.rows.push(vec![
            o.clone(),
            s.clone(),
            last.step.to_string(),
            last.margin.to_string(),
            last.adv_margin.to_string(),
            sh.negative_bias_count.to_string(),
            sh.negative_bias_mass.to_string(),
            sh.aligned_mass.to_string(),
            sh.aligned_weight_ratio.to_string(),
            sh.alignment_weight_corr.to_string(),
            r.grad_argmax_signal.to_string(),
            r.grad_signal_share.to_string(),
            refs.gamma_star.to_string(),
            refs.best_axis_aligned.to_string(),
            refs.nu_tilde.to_string(),
        ]);
        for h in &r.history {
            hist.rows.push(vec![o.clone(), s.clone(), h.step.to_string(), h.loss.to_string(), h.margin.to_string(), h.adv_margin.to_string()]);
        }
        for n in &r.scatter {
            neurons.rows.push(vec![o.clone(), s.clone(), format!("{:.5}", n.max_coord), n.argmax.to_string(), format!("{:.5e}", n.a), format!("{:.5e}", n.b), format!("{:.5e}", n.mass)]);
        }
        for (l, rt, c, m) in &r.bias_hist {
            bias.rows.push(vec![o.clone(), s.clone(), l.to_string(), rt.to_string(), c.to_string(), m.to_string()]);
        }
    }
    vec![summary, hist, neurons, bias]
}

/// Plot sizes (width, height) in pixels.
const PLOT_SIZE: (u32, u32) = (900, 600);

/// Draws Fig 31(a) (`_a`), Fig 31(b) (`_b`) and the margins during training (`_margin`) for the
/// first seed.
pub fn plot(tables: &[Table]) -> Result<Vec<Figure>> {
    let summary = find(tables, "", &SUMMARY_HEADER)?;
    let hist = find(tables, "_history", &HISTORY_HEADER)?;
    let neurons = find(tables, "_neurons", &NEURON_HEADER)?;
    let bias = find(tables, "_bias", &BIAS_HEADER)?;
    let seed = summary.rows.first().map(|r| r[1].clone()).ok_or_else(|| Error::param("tables", "the summary table is empty"))?;
    let mut figures = Vec::new();
    // (a) scatter.
    let mut series = Vec::new();
    for obj in ["adversarial", "standard"] {
        let mut pts = Vec::new();
        for r in neurons.rows.iter().filter(|r| r[0] == obj && r[1] == seed) {
            pts.push((num(neurons, r, 2)?, num(neurons, r, 4)?));
        }
        if !pts.is_empty() {
            series.push(Series { name: format!("{obj} training"), points: pts, mark: Mark::Points });
        }
    }
    let plot = LinePlot { bands: Vec::new(),
        title: "Fig 31(a): largest coordinate of r_k/‖r_k‖ vs second-layer weight a_k".into(),
        x_label: "largest-magnitude coordinate of the normalised first-layer weight".into(),
        y_label: "second-layer weight a_k".into(),
        series,
    };
    let (png, svg) = line_plot_bytes(&plot, PLOT_SIZE, Legend::UpperRight)?;
    figures.push(Figure { suffix: "_a".into(), png, svg });
    // (b) bias histogram as step outlines, as fractions of the neurons.
    let mut series = Vec::new();
    for obj in ["adversarial", "standard"] {
        let rows: Vec<&Vec<String>> = bias.rows.iter().filter(|r| r[0] == obj && r[1] == seed).collect();
        let total: f64 = rows.iter().map(|r| num(bias, r, 4)).sum::<Result<f64>>()?;
        let mut pts = Vec::new();
        for r in &rows {
            let (l, rt, c) = (num(bias, r, 2)?, num(bias, r, 3)?, num(bias, r, 4)? / total.max(1.0));
            pts.push((l, c));
            pts.push((rt, c));
        }
        if !pts.is_empty() {
            series.push(Series { name: format!("{obj} training"), points: pts, mark: Mark::Line });
        }
    }
    let plot = LinePlot { bands: Vec::new(), title: "Fig 31(b): first-layer biases b_k".into(), x_label: "bias b_k".into(), y_label: "fraction of neurons".into(), series };
    let (png, svg) = line_plot_bytes(&plot, PLOT_SIZE, Legend::UpperRight)?;
    figures.push(Figure { suffix: "_b".into(), png, svg });
    // Margins during training, each divided by its theory reference: the standard margin by γ*
    // (the max-margin value, Theorem 1), the attacked margin by the best axis-aligned measure's
    // exact ℓ∞ margin at ε (a lower bound on the ℓ∞ max-margin value). ν~'s margin on the same scale.
    let first = &summary.rows[0];
    let (gamma, axis, tilde) = (num(summary, first, 12)?, num(summary, first, 13)?, num(summary, first, 14)?);
    let mut series = Vec::new();
    let mut max_step: f64 = 1.0;
    for (obj, col, reference, name) in [
        ("standard", 4, gamma, format!("standard: clean margin / γ* ({gamma:.4})")),
        ("adversarial", 5, axis, format!("adversarial: PGD-16 margin / best axis-aligned ({axis:.4})")),
    ] {
        let mut pts = Vec::new();
        for r in hist.rows.iter().filter(|r| r[0] == obj && r[1] == seed) {
            let s = num(hist, r, 2)?;
            max_step = max_step.max(s);
            pts.push((s, num(hist, r, col)? / reference));
        }
        if !pts.is_empty() {
            series.push(Series { name, points: pts, mark: Mark::Line });
        }
    }
    // Reference lines first, so the curves are drawn over them.
    series.insert(0, Series { name: format!("ν~ of Conjecture 1 at ε / best axis-aligned ({:.3})", tilde / axis), points: vec![(0.0, tilde / axis), (max_step, tilde / axis)], mark: Mark::Line });
    series.insert(0, Series { name: "reference = 1".into(), points: vec![(0.0, 1.0), (max_step, 1.0)], mark: Mark::Line });
    let plot = LinePlot { bands: Vec::new(), title: "Normalised margin (min y·f / mean ‖θ_k‖²) relative to the theory during training".into(), x_label: "gradient step".into(), y_label: "margin / reference".into(), series };
    let (png, svg) = line_plot_bytes(&plot, PLOT_SIZE, Legend::LowerRight)?;
    figures.push(Figure { suffix: "_margin".into(), png, svg });
    Ok(figures)
}
