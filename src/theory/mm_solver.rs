//! A certified solver for the max-margin game of infinite-width one-hidden-layer ReLU nets on a
//! finite data set, standard (seed 000 eq 4) and ℓ∞-adversarial (eq 8); proofs/mm_solver.md.
//!
//! The problem max_{ν ∈ P(𝕊)} min_{(x,y) ∈ B(𝒟, ε)} y f(ν, x) is the value of a zero-sum game
//! between a measure ν over unit neurons θ and a distribution p over (perturbed) data points, with
//! payoff y·w φ(⟨r, x⟩ + b). Double oracle:
//!
//! 1. restricted game on finite neuron and point sets → LP master, solved as primal (ν) and dual (p);
//! 2. adversary oracle: the exact worst point of each ε-ball against ν (a MILP for ℓ∞: the margin
//!    is piecewise linear in x) → a **lower bound** (ν is feasible and its exact worst margin is
//!    known);
//! 3. neuron oracle: the best unit neuron against p (multistart ascent seeded with the current
//!    columns) → an **upper bound** max_θ E_p[...] ≥ value, as p lives on points of the balls.
//!
//! The upper bound is as good as the neuron oracle is global: it is certified when the oracle finds
//! the global maximum, which the checks test on problems with known answers (Theorem 1).

use microlp::{ComparisonOp, OptimizationDirection, Problem, SolutionStatus, SolveOutcome};
use nalgebra::DVector;
use rand_distr::{Distribution, StandardNormal};

use crate::error::{Error, Result};
use crate::rng::Seed;
use crate::theory::max_margin::{ascend_neuron, polish_neuron, OracleOptions};
use crate::theory::mean_field::{Measure, Neuron, PointMeasure};

/// The perturbation set around each data point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ball {
    /// No perturbation: the standard max-margin problem (4).
    None,
    /// ℓ∞ ball of the given radius: the adversarial problem (8) with p = ∞.
    Linf(f64),
}

/// A finite labelled data set and its perturbation set.
#[derive(Debug, Clone, PartialEq)]
pub struct Game {
    /// (x, y) with y = ±1.
    pub points: Vec<(DVector<f64>, f64)>,
    /// Perturbation set around each point.
    pub ball: Ball,
}

/// Options of [`solve`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolverOptions {
    /// Most double-oracle rounds.
    pub max_rounds: usize,
    /// Stop when upper − lower ≤ this.
    pub gap_tol: f64,
    /// Neuron oracle budget (random starts added to the warm starts from the current columns).
    pub oracle: OracleOptions,
    /// Random initial neurons.
    pub initial_neurons: usize,
    /// Seed of every random choice.
    pub seed: Seed,
}

/// One round's bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Round {
    /// Value of the restricted LP.
    pub lp_value: f64,
    /// Exact worst-case margin of the current ν.
    pub lower: f64,
    /// Best neuron value against the current p.
    pub upper: f64,
    /// Columns (neurons) and rows (points) of the restricted game.
    pub neurons: usize,
    /// Rows.
    pub points: usize,
}

/// The solver's certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct Certificate {
    /// Best lower bound: exact worst-case margin of `nu`.
    pub lower: f64,
    /// Best upper bound: value of `best_response` against `p`.
    pub upper: f64,
    /// The feasible measure achieving `lower`.
    pub nu: Measure,
    /// The point distribution (on points inside the balls) achieving `upper`.
    pub p: PointMeasure,
    /// The best neuron against `p`.
    pub best_response: Neuron,
    /// Bounds per round.
    pub history: Vec<Round>,
}

impl Certificate {
    /// upper − lower.
    pub fn gap(&self) -> f64 {
        self.upper - self.lower
    }
}

fn lp_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Diverged { step: 0, reason: format!("{what}: {e}") }
}

/// Neuron entries below this (relative to the neuron's largest) are set to zero before a neuron
/// joins the restricted game: ascent leaves values like 1e-40 that would make the adversary's MILP
/// badly scaled, and a neuron is ours to choose, so snapping (then renormalising) keeps it feasible.
const SNAP: f64 = 1e-10;

/// `th` with negligible entries zeroed and renormalised to the unit sphere.
pub fn snap(th: &Neuron) -> Neuron {
    let v = th.to_vec();
    let big = v.amax();
    let v = v.map(|x| if x.abs() < SNAP * big { 0.0 } else { x });
    let n = v.norm();
    Neuron::from_vec(&(v / n))
}

/// Payoff entries below this in magnitude are zeroed in the restricted LP: the simplex needs
/// coefficients within ~1e6 of each other per row, and a 1e-13 payoff changes the LP value by at
/// most 1e-13. The certificate does not depend on the LP: both bounds are re-evaluated exactly.
const PAYOFF_FLOOR: f64 = 1e-13;

/// Masses below this are dropped from the LP's mixed strategies (simplex output noise).
const MASS_FLOOR: f64 = 1e-12;

/// Solves the restricted game with payoff matrix a\[i\]\[k\] (point i, neuron k): returns
/// (value, ν over columns, p over rows).
pub fn solve_matrix_game(a: &[Vec<f64>]) -> Result<(f64, Vec<f64>, Vec<f64>)> {
    let m = a.len();
    let n = a.first().map_or(0, |r| r.len());
    if m == 0 || n == 0 {
        return Err(Error::param("payoff", "empty matrix game"));
    }
    // Primal: max t s.t. Σ_k a_ik ν_k ≥ t, Σ ν = 1, ν ≥ 0.
    let mut pr = Problem::new(OptimizationDirection::Maximize);
    let nu: Vec<_> = (0..n).map(|_| pr.add_var(0.0, (0.0, 1.0))).collect();
    let t = pr.add_var(1.0, (f64::NEG_INFINITY, f64::INFINITY));
    for row in a {
        let mut e: Vec<_> = nu.iter().zip(row).map(|(v, c)| (*v, *c)).collect();
        e.push((t, -1.0));
        pr.add_constraint(e, ComparisonOp::Ge, 0.0);
    }
    pr.add_constraint(nu.iter().map(|v| (*v, 1.0)).collect::<Vec<_>>(), ComparisonOp::Eq, 1.0);
    let sol = match pr.solve().map_err(|e| lp_error("primal LP", e))? {
        SolveOutcome::Solution(s) => s,
        SolveOutcome::Interrupted(_) => return Err(lp_error("primal LP", "interrupted")),
    };
    let value = sol.objective();
    let nu_w: Vec<f64> = nu.iter().map(|v| sol.var_value(*v).max(0.0)).collect();
    // Dual: min s s.t. Σ_i a_ik p_i ≤ s, Σ p = 1, p ≥ 0.
    let mut du = Problem::new(OptimizationDirection::Minimize);
    let p: Vec<_> = (0..m).map(|_| du.add_var(0.0, (0.0, 1.0))).collect();
    let s = du.add_var(1.0, (f64::NEG_INFINITY, f64::INFINITY));
    for k in 0..n {
        let mut e: Vec<_> = p.iter().enumerate().map(|(i, v)| (*v, a[i][k])).collect();
        e.push((s, -1.0));
        du.add_constraint(e, ComparisonOp::Le, 0.0);
    }
    du.add_constraint(p.iter().map(|v| (*v, 1.0)).collect::<Vec<_>>(), ComparisonOp::Eq, 1.0);
    let dsol = match du.solve().map_err(|e| lp_error("dual LP", e))? {
        SolveOutcome::Solution(s) => s,
        SolveOutcome::Interrupted(_) => return Err(lp_error("dual LP", "interrupted")),
    };
    let p_w: Vec<f64> = p.iter().map(|v| dsol.var_value(*v).max(0.0)).collect();
    let norm = |w: Vec<f64>| -> Vec<f64> {
        let w: Vec<f64> = w.into_iter().map(|x| if x < MASS_FLOOR { 0.0 } else { x }).collect();
        let s: f64 = w.iter().sum();
        w.into_iter().map(|x| x / s).collect()
    };
    Ok((value, norm(nu_w), norm(p_w)))
}

/// Exact min over the ℓ∞ ball of radius `eps` around `x` of y·f(ν, x'), by a mixed-integer LP:
/// each neuron's pre-activation is bounded over the box by interval arithmetic; neurons whose
/// weighted output enters with a negative coefficient get a binary activation variable (big-M with
/// those exact bounds), the others are exact in the LP relaxation. Returns (minimum, minimiser).
pub fn linf_worst_point(nu: &Measure, x: &DVector<f64>, y: f64, eps: f64) -> Result<(f64, DVector<f64>)> {
    let d = x.len();
    let mut pr = Problem::new(OptimizationDirection::Minimize);
    let xs: Vec<_> = (0..d).map(|j| pr.add_var(0.0, (x[j] - eps, x[j] + eps))).collect();
    for (m, th) in nu.atoms() {
        let c = y * m * th.w;
        if c == 0.0 {
            continue;
        }
        let centre = th.r.dot(x) + th.b;
        let spread = eps * th.r.lp_norm(1);
        let (lo, hi) = (centre - spread, centre + spread);
        if hi <= 0.0 {
            continue; // never active on the box
        }
        let h = pr.add_var(c, (0.0, hi));
        let mut pre: Vec<_> = xs.iter().enumerate().filter(|(j, _)| th.r[*j] != 0.0).map(|(j, v)| (*v, th.r[j])).collect();
        if lo >= 0.0 {
            // Always active: h = pre.
            pre.push((h, -1.0));
            pr.add_constraint(pre, ComparisonOp::Eq, -th.b);
            continue;
        }
        // h ≥ pre (and h ≥ 0 from its bounds).
        let mut ge = pre.clone();
        ge.push((h, -1.0));
        pr.add_constraint(ge, ComparisonOp::Le, -th.b);
        if c < 0.0 {
            // The objective wants h large: cap it at φ(pre) with a binary z.
            let z = pr.add_binary_var(0.0);
            // h ≤ pre − lo·(1 − z)  ⇔  h − pre − lo·z ≤ b − lo
            let mut le = pre.iter().map(|(v, a)| (*v, -a)).collect::<Vec<_>>();
            le.push((h, 1.0));
            le.push((z, -lo));
            pr.add_constraint(le, ComparisonOp::Le, th.b - lo);
            // h ≤ hi·z
            pr.add_constraint(vec![(h, 1.0), (z, -hi)], ComparisonOp::Le, 0.0);
        }
    }
    let sol = match pr.solve().map_err(|e| lp_error("adversary MILP", e))? {
        SolveOutcome::Solution(s) => s,
        SolveOutcome::Interrupted(_) => return Err(lp_error("adversary MILP", "interrupted")),
    };
    // Only a proven optimum certifies a lower bound.
    if sol.status() != SolutionStatus::Optimal {
        return Err(lp_error("adversary MILP", "branch and bound ended without a proof of optimality"));
    }
    let xmin = DVector::from_fn(d, |j, _| sol.var_value(xs[j]).clamp(x[j] - eps, x[j] + eps));
    // The MILP objective is the certified minimum up to the solver's tolerance; report the smaller
    // of it and the exact margin at the returned point, so a lower bound built on it stays valid.
    Ok((sol.objective().min(nu.margin(&xmin, y)), xmin))
}

/// The worst point of one data point's perturbation set against ν, exactly.
pub fn worst_point(nu: &Measure, x: &DVector<f64>, y: f64, ball: Ball) -> Result<(f64, DVector<f64>)> {
    match ball {
        Ball::None => Ok((nu.margin(x, y), x.clone())),
        Ball::Linf(eps) => linf_worst_point(nu, x, y, eps),
    }
}

/// Double-oracle solution of the max-margin game with a certificate.
pub fn solve(game: &Game, opts: SolverOptions) -> Result<Certificate> {
    let dim = game.points.first().map(|p| p.0.len()).ok_or_else(|| Error::param("points", "empty data set"))?;
    let mut rng = opts.seed.rng();
    let mut neurons: Vec<Neuron> = (0..opts.initial_neurons.max(1))
        .map(|_| {
            let v: DVector<f64> = DVector::from_fn(dim + 2, |_, _| StandardNormal.sample(&mut rng));
            snap(&Neuron::from_vec(&(&v / v.norm())))
        })
        .collect();
    let mut rows: Vec<(DVector<f64>, f64)> = game.points.clone();
    let mut best: Option<Certificate> = None;
    let mut history = Vec::new();
    for _round in 0..opts.max_rounds {
        let a: Vec<Vec<f64>> = rows
            .iter()
            .map(|(x, y)| {
                neurons
                    .iter()
                    .map(|th| {
                        let v = y * th.output(x);
                        if v.abs() < PAYOFF_FLOOR {
                            0.0
                        } else {
                            v
                        }
                    })
                    .collect()
            })
            .collect();
        let (lp_value, nu_w, p_w) = solve_matrix_game(&a)?;
        let nu = Measure::new(nu_w.iter().zip(&neurons).filter(|(w, _)| **w > 0.0).map(|(w, th)| (*w, th.clone())).collect())?;
        let p = PointMeasure { atoms: p_w.iter().zip(&rows).filter(|(w, _)| **w > 0.0).map(|(w, (x, y))| (*w, x.clone(), *y)).collect() };
        // Adversary oracle: exact worst point of every ball.
        let mut lower = f64::INFINITY;
        let mut new_rows = Vec::new();
        for (x, y) in &game.points {
            let (m, xw) = worst_point(&nu, x, *y, game.ball)?;
            lower = lower.min(m);
            if m < lp_value - opts.gap_tol * 0.5 {
                new_rows.push((xw, *y));
            }
        }
        // Neuron oracle: warm starts from the support of ν, plus random starts.
        let mut up = (f64::NEG_INFINITY, neurons[0].clone());
        let warm: Vec<DVector<f64>> = nu.atoms().iter().map(|(_, th)| th.to_vec()).collect();
        for v0 in warm.into_iter().chain((0..opts.oracle.starts).map(|_| DVector::from_fn(dim + 2, |_, _| StandardNormal.sample(&mut rng)))) {
            let cand = ascend_neuron(&p, &v0, opts.oracle.iters, false);
            let cand = polish_neuron(&p, &cand.1);
            if cand.0 > up.0 {
                up = cand;
            }
        }
        history.push(Round { lp_value, lower, upper: up.0, neurons: neurons.len(), points: rows.len() });
        let improved_lower = best.as_ref().is_none_or(|b| lower > b.lower);
        let improved_upper = best.as_ref().is_none_or(|b| up.0 < b.upper);
        let mut cert = best.take().unwrap_or(Certificate { lower, upper: up.0, nu: nu.clone(), p: p.clone(), best_response: up.1.clone(), history: Vec::new() });
        if improved_lower {
            cert.lower = lower;
            cert.nu = nu.clone();
        }
        if improved_upper {
            cert.upper = up.0;
            cert.p = p.clone();
            cert.best_response = up.1.clone();
        }
        let done = cert.gap() <= opts.gap_tol;
        best = Some(cert);
        if done {
            break;
        }
        let mut grew = false;
        if up.0 > lp_value + opts.gap_tol * 0.5 {
            neurons.push(snap(&up.1));
            grew = true;
        }
        if !new_rows.is_empty() {
            rows.extend(new_rows);
            grew = true;
        }
        if !grew {
            break;
        }
    }
    let mut cert = best.ok_or_else(|| Error::param("max_rounds", "must be at least 1"))?;
    cert.history = history;
    Ok(cert)
}
