//! Lemma 1 and Conjecture 1 of seed 000 (App. F): ℓ∞-adversarial margins of axis-aligned
//! infinite-width nets on 𝒟 with d̃ = 1, η = 0, u* = 1; proofs/conjecture1.md.
//!
//! The data are the d points y·e_j, j ∈ [d/2], y = ±1. The conjectured adversarial max-margin
//! solution (eq 9) is ν~ = (1/d) Σ_{i ∈ [d/2]} δ_{θ_i} + δ_{θ'_i} with
//! θ_i = (1/√2, (3/√20)e_i, −1/√20), θ'_i = (−1/√2, −(3/√20)e_i, −1/√20).
//!
//! More generally [`axis_aligned`] builds ν_{a,b} with θ_i = (1/√2, a e_i, −b), θ'_i =
//! (−1/√2, −a e_i, −b), a² + b² = ½, so that ν~ = ν_{3/√20, 1/√20}.

use nalgebra::DVector;

use crate::error::{Error, Result};
use crate::theory::mean_field::{Measure, Neuron};
use crate::theory::scan::maximise_1d;

/// Tolerance on a² + b² = ½ for user-given (a, b).
const SPHERE_TOL: f64 = 1e-9;

/// ν_{a,b} on ℝ^d (requires d even, a² + b² = ½ so that every atom is on the unit sphere).
pub fn axis_aligned(d: usize, a: f64, b: f64) -> Result<Measure> {
    if d < 2 || !d.is_multiple_of(2) {
        return Err(Error::param("d", format!("must be even and >= 2, got {d}")));
    }
    if (a * a + b * b - 0.5).abs() > SPHERE_TOL {
        return Err(Error::param("a, b", format!("need a^2 + b^2 = 1/2 for unit neurons, got {}", a * a + b * b)));
    }
    let w = 1.0 / 2f64.sqrt();
    let mass = 1.0 / d as f64;
    let mut atoms = Vec::with_capacity(d);
    for i in 0..d / 2 {
        let e = DVector::from_fn(d, |k, _| if k == i { 1.0 } else { 0.0 });
        atoms.push((mass, Neuron::new(w, &e * a, -b)));
        atoms.push((mass, Neuron::new(-w, &e * (-a), -b)));
    }
    Measure::new(atoms)
}

/// ν_{a,b} with the unit-sphere constraint parametrised by an angle: a = cos(t)/√2, b = sin(t)/√2.
pub fn axis_aligned_angle(d: usize, t: f64) -> Result<Measure> {
    axis_aligned(d, t.cos() / 2f64.sqrt(), t.sin() / 2f64.sqrt())
}

/// ν~ of eq (9).
pub fn nu_tilde(d: usize) -> Result<Measure> {
    axis_aligned(d, 3.0 / 20f64.sqrt(), 1.0 / 20f64.sqrt())
}

/// The d data points (y e_j, y), j ∈ [d/2] (0-based j), of 𝒟 with d̃ = 1, η = 0, u* = 1.
pub fn support_points(d: usize) -> Vec<(DVector<f64>, f64, usize)> {
    let mut pts = Vec::with_capacity(d);
    for j in 0..d / 2 {
        for y in [1.0, -1.0] {
            pts.push((DVector::from_fn(d, |k, _| if k == j { y } else { 0.0 }), y, j));
        }
    }
    pts
}

/// Closed form of the ℓ∞-adversarial margin of ν~ at radius ε ∈ [0, 2/3):
/// (1 / (d·√2·√20)) · [(2 − 3ε) − (d/2 − 1)·max(0, 3ε − 1)].
///
/// Derivation: f(ν~, x) = (1/(d√40)) Σ_{i ∈ [d/2]} h(x_i), h(t) = φ(3t − 1) − φ(−3t − 1), h
/// non-decreasing; the worst perturbation of y e_j lowers the signal coordinate to 1 − ε and
/// pushes each other task-relevant coordinate to −yε. It is positive iff ε < (d + 2)/(3d).
pub fn nu_tilde_margin_closed_form(d: usize, eps: f64) -> f64 {
    let k = 1.0 / (d as f64 * 2f64.sqrt() * 20f64.sqrt());
    k * ((2.0 - 3.0 * eps) - (d as f64 / 2.0 - 1.0) * (3.0 * eps - 1.0).max(0.0))
}

/// The radius (d + 2)/(3d) from which ν~'s ℓ∞-adversarial margin is ≤ 0.
pub fn nu_tilde_breakdown_radius(d: usize) -> f64 {
    (d as f64 + 2.0) / (3.0 * d as f64)
}

/// Exact ℓ∞-adversarial margin min_{‖δ‖∞ ≤ ε} y·f(ν, x + δ) for a measure whose neurons each read
/// at most one coordinate (r has at most one non-zero entry), with a minimising point.
///
/// Such an f is a sum of one-dimensional piecewise-linear functions, one per coordinate, so the
/// minimum is the sum of per-coordinate minima, each attained at an end of [x_i − ε, x_i + ε] or
/// at a breakpoint −b/r_i inside it.
pub fn linf_margin_axis_aligned(nu: &Measure, x: &DVector<f64>, y: f64, eps: f64) -> Result<(f64, DVector<f64>)> {
    let cands = candidates(nu, x, eps)?;
    let mut xmin = x.clone();
    let mut total = 0.0;
    // Constant part: neurons with r = 0.
    for (m, th) in nu.atoms() {
        if th.r.iter().all(|v| *v == 0.0) {
            total += y * m * th.output(x);
        }
    }
    for (i, cs) in cands.iter().enumerate() {
        let part = |t: f64| -> f64 {
            nu.atoms()
                .iter()
                .filter(|(_, th)| th.r[i] != 0.0)
                .map(|(m, th)| y * m * th.w * (th.r[i] * t + th.b).max(0.0))
                .sum::<f64>()
        };
        let (tbest, vbest) = cs.iter().map(|t| (*t, part(*t))).fold((x[i], f64::INFINITY), |acc, c| if c.1 < acc.1 { c } else { acc });
        xmin[i] = tbest;
        total += vbest;
    }
    Ok((total, xmin))
}

/// Per-coordinate candidate minimisers: the ends of [x_i − ε, x_i + ε] and every breakpoint of a
/// neuron reading coordinate i inside it. Errors if a neuron reads two or more coordinates.
pub fn candidates(nu: &Measure, x: &DVector<f64>, eps: f64) -> Result<Vec<Vec<f64>>> {
    if !(eps.is_finite() && eps >= 0.0) {
        return Err(Error::param("eps", format!("radius must be finite and >= 0, got {eps}")));
    }
    if x.len() != nu.dim() {
        return Err(Error::Shape(format!("input of length {} for a measure on R^{}", x.len(), nu.dim())));
    }
    let d = x.len();
    let mut cands: Vec<Vec<f64>> = (0..d).map(|i| vec![x[i] - eps, x[i] + eps]).collect();
    for (k, (_, th)) in nu.atoms().iter().enumerate() {
        let nz: Vec<usize> = (0..d).filter(|i| th.r[*i] != 0.0).collect();
        if nz.len() > 1 {
            return Err(Error::param(format!("atoms[{k}].r"), "neuron reads more than one coordinate; not axis-aligned"));
        }
        if let Some(&i) = nz.first() {
            let t = -th.b / th.r[i];
            if t > x[i] - eps && t < x[i] + eps {
                cands[i].push(t);
            }
        }
    }
    Ok(cands)
}

/// Brute-force ℓ∞-adversarial margin: y·f evaluated at every point of the product grid of
/// per-coordinate candidates (the vertices of the box cut by the neurons' axis-parallel
/// hyperplanes, where a piecewise-linear function attains its minimum). Uses only evaluations of
/// f, not the separable decomposition. Exponential in d: for small d only.
pub fn linf_margin_enumerate(nu: &Measure, x: &DVector<f64>, y: f64, eps: f64) -> Result<f64> {
    let cands = candidates(nu, x, eps)?;
    let d = x.len();
    let mut idx = vec![0usize; d];
    let mut best = f64::INFINITY;
    let mut p = x.clone();
    loop {
        for i in 0..d {
            p[i] = cands[i][idx[i]];
        }
        best = best.min(nu.margin(&p, y));
        // Odometer increment.
        let mut k = 0;
        loop {
            if k == d {
                return Ok(best);
            }
            idx[k] += 1;
            if idx[k] < cands[k].len() {
                break;
            }
            idx[k] = 0;
            k += 1;
        }
    }
}

/// Worst-case ℓ∞ margin of an axis-aligned measure over all d data points.
pub fn dataset_linf_margin(nu: &Measure, d: usize, eps: f64) -> Result<f64> {
    let mut m = f64::INFINITY;
    for (x, y, _) in support_points(d) {
        m = m.min(linf_margin_axis_aligned(nu, &x, y, eps)?.0);
    }
    Ok(m)
}

/// Number of angles in the coarse scan of [`best_axis_aligned`]: the margin is piecewise smooth
/// in the angle with O(1) pieces, so 720 points (half-degree) bracket the maximum.
const ANGLE_GRID: usize = 720;

/// The best ν_{a,b} (over the whole circle a² + b² = ½) for the ℓ∞-adversarial margin at ε:
/// a half-degree scan of the angle followed by golden-section refinement. Returns (margin, a, b).
pub fn best_axis_aligned(d: usize, eps: f64) -> Result<(f64, f64, f64)> {
    let eval = |t: f64| -> Result<f64> { dataset_linf_margin(&axis_aligned_angle(d, t)?, d, eps) };
    let (v, t) = maximise_1d(eval, 0.0, 2.0 * std::f64::consts::PI, ANGLE_GRID)?;
    Ok((v, t.cos() / 2f64.sqrt(), t.sin() / 2f64.sqrt()))
}
