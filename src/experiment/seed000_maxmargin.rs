//! Seed 000 eq (4)/(8) on the d support points of eq (2) (d̃ = 1, η = 0): the certified ℓ∞
//! max-margin value over a grid of (d, ε), the structure of the solver's feasible measure, and the
//! margins of Conjecture 1's ν~, of the best axis-aligned measure and of Theorem 1's ν* built for
//! η = ε — the table of proofs/mm_solver.md and proofs/conjecture1.md.
//!
//! One cell = one (d, ε): a double-oracle solve ([`crate::theory::mm_solver::solve`]) with a round
//! budget. Its lower bound is the exact worst-case margin of a feasible ν (certified); its upper
//! bound is the best neuron's value against a distribution over points of the balls (certified when
//! the neuron oracle is global). Cells are stored as they finish, so a long grid resumes.

use nalgebra::DVector;
use serde::{Deserialize, Serialize};

use super::spec::Keys;
use super::claim::{self, Claim, Outcome};
use super::grid::{Assembled, CellContext, CellSpec, Experiment, Plan};
use super::spec::Scale;
use super::{from_json, to_json, Figure, Table};
use crate::error::{Error, Result};
use crate::plot::curves::{line_plot_bytes, Legend, LinePlot, Mark, Series};
use crate::rng::Seed;
use crate::theory::adversarial_margin::{best_axis_aligned, nu_tilde_margin_closed_form, support_points};
use crate::theory::block_data::BlockSpec;
use crate::theory::max_margin::{gamma_star, OracleOptions};
use crate::theory::mean_field::Measure;
use crate::theory::mm_solver::{solve, Ball, Game, SolverOptions};

/// Margins closer than this are "equal" when deciding whether ν~ is refuted: the lower bound is an
/// exact MILP value in f64 (rounding ~1e-15 on O(0.01) margins); 1e-9 leaves a wide berth.
const REFUTE_TOL: f64 = 1e-9;

/// One scale of `experiments/seed000_maxmargin.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaxMarginSpec {
    /// Numbers of blocks d.
    pub ds: Vec<usize>,
    /// ℓ∞ radii.
    pub eps: Vec<f64>,
    /// Double-oracle round budget per cell.
    pub max_rounds: usize,
    /// Stop a cell when upper − lower ≤ this.
    pub gap_tol: f64,
    /// Random starts of the neuron oracle.
    pub oracle_starts: usize,
    /// Ascent iterations per start.
    pub oracle_iters: usize,
    /// Seed of the solver's random choices.
    pub seed: u64,
}

impl MaxMarginSpec {
    /// Reads and validates one scale table.
    pub fn from_keys(k: &Keys<'_>) -> Result<Self> {
        let ds = k.f64_grid("ds", 2.0, 64.0)?;
        let mut out = Vec::with_capacity(ds.len());
        for (i, d) in ds.iter().enumerate() {
            if d.fract() != 0.0 || !(*d as usize).is_multiple_of(2) {
                return Err(k.error(&format!("ds[{i}]"), format!("must be an even integer, got {d}")));
            }
            out.push(*d as usize);
        }
        let spec = MaxMarginSpec {
            ds: out,
            // At ε ≥ ½ the balls of the two classes touch: every margin is ≤ 0.
            eps: k.f64_grid("eps", 0.0, 0.499_999)?,
            max_rounds: k.usize_min("max_rounds", 1)?,
            gap_tol: k.f64_in("gap_tol", 0.0, 1.0)?,
            oracle_starts: k.usize_min("oracle_starts", 1)?,
            oracle_iters: k.usize_min("oracle_iters", 1)?,
            seed: k.usize_min("seed", 0)? as u64,
        };
        k.finish()?;
        Ok(spec)
    }
}

/// The structure of a measure on the d support points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Structure {
    /// Atoms with mass ≥ 1 % of the largest.
    pub heavy_atoms: usize,
    /// Mass-weighted mean of max_j |r_j| / ‖r‖ (1 = every neuron reads one coordinate).
    pub alignment: f64,
    /// Mass on atoms with b < 0.
    pub negative_bias_mass: f64,
    /// Mass-weighted share of ‖r‖₁ on the noise coordinates j > d/2 (0 for Theorem 1's ν* and ν~).
    pub noise_weight: f64,
    /// Mean over the support points of |∂f/∂x_{j*}| / Σ_k |∂f/∂x_k| (Lemma 1: 1; Theorem 1: 2/d).
    pub signal_share: f64,
}

/// Reads [`Structure`] off `nu`.
pub fn structure(nu: &Measure, d: usize) -> Structure {
    let max_mass = nu.atoms().iter().map(|(m, _)| *m).fold(0.0, f64::max);
    let (mut align, mut neg, mut noise, mut total) = (0.0, 0.0, 0.0, 0.0);
    for (m, th) in nu.atoms() {
        total += m;
        let nr = th.r.norm();
        if nr > 0.0 {
            align += m * th.r.iter().fold(0.0f64, |a, v| a.max(v.abs())) / nr;
        }
        if th.b < 0.0 {
            neg += m;
        }
        let l1: f64 = th.r.iter().map(|v| v.abs()).sum();
        if l1 > 0.0 {
            noise += m * th.r.iter().skip(d / 2).map(|v| v.abs()).sum::<f64>() / l1;
        }
    }
    let pts = support_points(d);
    let share = pts
        .iter()
        .map(|(x, _, j)| {
            let g: DVector<f64> = nu.grad_f(x);
            let s: f64 = g.iter().map(|v| v.abs()).sum();
            if s > 0.0 {
                g[*j].abs() / s
            } else {
                0.0
            }
        })
        .sum::<f64>()
        / pts.len() as f64;
    Structure {
        heavy_atoms: nu.atoms().iter().filter(|(m, _)| *m >= 0.01 * max_mass).count(),
        alignment: align / total,
        negative_bias_mass: neg / total,
        noise_weight: noise / total,
        signal_share: share,
    }
}

/// One cell's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellResult {
    /// d.
    pub d: usize,
    /// ε.
    pub eps: f64,
    /// Certified lower bound (exact worst-case margin of the feasible ν).
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Rounds used.
    pub rounds: usize,
    /// Structure of the feasible ν.
    pub structure: Structure,
    /// Exact ℓ∞ margin of ν~ at ε.
    pub nu_tilde: f64,
    /// Best axis-aligned measure's exact ℓ∞ margin at ε.
    pub best_axis_aligned: f64,
    /// γ*(η = ε) = c/(2√(d/2 + c²)), c = 1 − εd/2, when c > 0 (Theorem 1's structure at η = ε).
    pub thm1_eta_eps: Option<f64>,
}

/// The experiment: one cell per (d, ε), each a certified solve of the ℓ∞ max-margin game.
#[derive(Debug, Clone, Copy)]
pub struct MaxMargin;

impl Experiment for MaxMargin {
    fn id(&self) -> &str {
        "seed000_maxmargin"
    }
    fn about(&self) -> &str {
        "seed 000 eq (4)/(8): certified ℓ∞ max-margin values on eq (2) over (d, ε), solution structure, ν~ and axis-aligned margins"
    }
    fn builtin_spec(&self) -> &str {
        include_str!("../../experiments/seed000_maxmargin.toml")
    }
    fn tables(&self) -> &[&str] {
        &[""]
    }
    fn plan(&self, keys: &Keys<'_>, _scale: Scale) -> Result<Plan> {
        let spec = MaxMarginSpec::from_keys(keys)?;
        let mut cells = Vec::new();
        for &d in &spec.ds {
            for &eps in &spec.eps {
                cells.push(CellSpec::new(format!("d{d}-eps{eps}"), serde_json::json!({ "spec": spec, "d": d, "eps": eps }))?);
            }
        }
        Ok(Plan { params: to_json(&spec)?, seeds: vec![spec.seed], backend: "cpu f64 (theory: LP/MILP via microlp)".into(), cells })
    }
    fn compute(&self, plan: &Plan, cell: &CellSpec, ctx: &mut CellContext<'_>) -> Result<serde_json::Value> {
        let spec: MaxMarginSpec = plan.params()?;
        let (d, eps): (usize, f64) = (from_json(&cell.params["d"])?, from_json(&cell.params["eps"])?);
        let t0 = std::time::Instant::now();
        let points = support_points(d).into_iter().map(|(x, y, _)| (x, y)).collect();
        let ball = if eps > 0.0 { Ball::Linf(eps) } else { Ball::None };
        let opts = SolverOptions {
            max_rounds: spec.max_rounds,
            gap_tol: spec.gap_tol,
            oracle: OracleOptions { starts: spec.oracle_starts, iters: spec.oracle_iters, nonpositive_bias: false },
            initial_neurons: 8,
            seed: Seed(spec.seed),
        };
        let cert = solve(&Game { points, ball }, opts)?;
        let c = 1.0 - eps * d as f64 / 2.0;
        let r = CellResult {
            d,
            eps,
            lower: cert.lower,
            upper: cert.upper,
            rounds: cert.history.len(),
            structure: structure(&cert.nu, d),
            nu_tilde: nu_tilde_margin_closed_form(d, eps),
            best_axis_aligned: best_axis_aligned(d, eps)?.0,
            thm1_eta_eps: if c > 0.0 { Some(gamma_star(&BlockSpec::scalar(d, eps)?)) } else { None },
        };
        (ctx.log)(&format!(
            "  {}: [{:.6}, {:.6}] after {} rounds, {:.0}s; ν~ {:.6}, axis-aligned {:.6}, signal share {:.3}",
            cell.key,
            r.lower,
            r.upper,
            r.rounds,
            t0.elapsed().as_secs_f64(),
            r.nu_tilde,
            r.best_axis_aligned,
            r.structure.signal_share
        ));
        to_json(&r)
    }
    fn assemble(&self, _plan: &Plan, results: &[serde_json::Value]) -> Result<Assembled> {
        let results: Vec<CellResult> = results.iter().map(from_json).collect::<Result<_>>()?;
        let header = TABLE_HEADER.iter().map(|s| s.to_string()).collect();
        let rows = results
            .iter()
            .map(|r| {
                let s = r.structure;
                vec![
                    r.d.to_string(),
                    r.eps.to_string(),
                    r.lower.to_string(),
                    r.upper.to_string(),
                    (r.upper - r.lower).to_string(),
                    r.rounds.to_string(),
                    r.nu_tilde.to_string(),
                    r.best_axis_aligned.to_string(),
                    r.thm1_eta_eps.map_or_else(|| "nan".into(), |v| v.to_string()),
                    (r.lower > r.nu_tilde + REFUTE_TOL).to_string(),
                    s.heavy_atoms.to_string(),
                    format!("{:.4}", s.alignment),
                    format!("{:.4}", s.negative_bias_mass),
                    format!("{:.4}", s.noise_weight),
                    format!("{:.4}", s.signal_share),
                ]
            })
            .collect();
        Ok(Assembled { tables: vec![Table { suffix: String::new(), header, rows }], unmet: Vec::new() })
    }
    fn plot(&self, tables: &[Table]) -> Result<Vec<Figure>> {
        plot(tables)
    }
    fn claims(&self) -> Vec<Claim> {
        claims()
    }
}

/// The claims the certified solves test (seed 000 Theorem 1, Conjecture 1, Lemma 1).
pub fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "000.thm1.value_at_eps0",
            claim: "without attack the max-margin value is Theorem 1's γ* (the certified bracket contains it)",
            source: "seed 000 Theorem 1, eq (4)",
            rule: "lower ≤ γ*(η = ε) ≤ upper + 1e-9 wherever ε = 0 is in the grid",
            paper: "γ* = c/(2√(d/2 + c²))",
            check: |t| {
                let tab = claim::table(t, "")?;
                let (lo, up, th) = (claim::values(tab, "lower", &[("eps", "0")])?, claim::values(tab, "upper", &[("eps", "0")])?, claim::values(tab, "thm1_eta_eps", &[("eps", "0")])?);
                if lo.is_empty() {
                    return Err(Error::Shape("no ε = 0 rows in the grid".into()));
                }
                let ok = lo.iter().zip(&up).zip(&th).all(|((l, u), g)| *l <= *g + 1e-9 && *g <= *u + 1e-9);
                Ok(Outcome { holds: ok, ours: format!("{} brackets", lo.len()), detail: "certified brackets against the closed form".into() })
            },
        },
        Claim {
            id: "000.conj1.nu_tilde_max_margin",
            claim: "Conjecture 1: ν~ (axis-aligned neurons with negative biases) is the ℓ∞ max-margin solution",
            source: "seed 000 App. F, Conjecture 1",
            rule: "refuted where the certified lower bound exceeds ν~'s exact margin by more than the solver's tolerance; holds if no (d, ε) refutes it",
            paper: "conjectured",
            check: |t| {
                let tab = claim::table(t, "")?;
                let col = claim::column(tab, "nu_tilde_refuted")?;
                let refuted = tab.rows.iter().filter(|r| r[col] == "true").count();
                Ok(Outcome { holds: refuted == 0, ours: format!("refuted at {refuted}/{} (d, ε)", tab.rows.len()), detail: "proofs/mm_solver.md".into() })
            },
        },
    ]
}

/// Columns of the table.
pub const TABLE_HEADER: [&str; 15] = [
    "d",
    "eps",
    "lower",
    "upper",
    "gap",
    "rounds",
    "nu_tilde",
    "best_axis_aligned",
    "thm1_eta_eps",
    "nu_tilde_refuted",
    "heavy_atoms",
    "alignment",
    "negative_bias_mass",
    "noise_weight",
    "signal_share",
];

/// One figure per d: the certified bracket against ε, with ν~, the best axis-aligned measure and
/// Theorem 1's value at η = ε.
pub fn plot(tables: &[Table]) -> Result<Vec<Figure>> {
    let t = super::find_table(tables, "", &TABLE_HEADER)?;
    let num = |r: &[String], c: usize| super::cell_num(t, r, c);
    let mut ds: Vec<String> = Vec::new();
    for r in &t.rows {
        if !ds.contains(&r[0]) {
            ds.push(r[0].clone());
        }
    }
    let mut figures = Vec::new();
    for d in ds {
        let rows: Vec<&Vec<String>> = t.rows.iter().filter(|r| r[0] == d).collect();
        let col = |c: usize| -> Result<Vec<(f64, f64)>> { rows.iter().map(|r| Ok((num(r, 1)?, num(r, c)?))).filter(|p: &Result<(f64, f64)>| p.as_ref().map_or(true, |(_, v)| v.is_finite())).collect() };
        let series = vec![
            Series { name: "certified lower bound (feasible ν)".into(), points: col(2)?, mark: Mark::LineMarked },
            Series { name: "upper bound (best neuron vs p)".into(), points: col(3)?, mark: Mark::LineMarked },
            Series { name: "ν~ (Conjecture 1)".into(), points: col(6)?, mark: Mark::LineMarked },
            Series { name: "best axis-aligned ν_{a,b}".into(), points: col(7)?, mark: Mark::LineMarked },
            Series { name: "Theorem 1's ν* built for η = ε".into(), points: col(8)?, mark: Mark::LineMarked },
        ];
        let plot = LinePlot { bands: Vec::new(), title: format!("ℓ∞ max-margin value on eq (2), d = {d}: solver bracket and candidates"), x_label: "ℓ∞ radius ε".into(), y_label: "worst-case margin".into(), series };
        let (png, svg) = line_plot_bytes(&plot, (900, 600), Legend::UpperRight)?;
        figures.push(Figure { suffix: format!("_d{d}"), png, svg });
    }
    Ok(figures)
}
