//! Theorem 1 of seed 000 (App. E): the max-margin infinite-width ReLU net on 𝒟 (eq 2) and the
//! Chizat–Bach optimality conditions (6)–(7); proofs/thm1.md.
//!
//! With c = 1 − ηd/2 and N = sqrt(2(d/2 + c²)), the claimed solution of eq (4) is
//! ν* = ½δ_{θ₁} + ½δ_{θ₂}, θ₁ = (1/√2, z/N, c/N), θ₂ = (−1/√2, −z/N, c/N), where z repeats u* on
//! the first d/2 blocks and is zero on the rest. Its margin, the max-margin value, is
//! γ* = c / (2 sqrt(d/2 + c²)).
//!
//! Everything here is exact f64 arithmetic except [`best_neuron`], a multistart optimiser used
//! as the independent computation for condition (6).

use nalgebra::DVector;
use rand_distr::{Distribution, StandardNormal};

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::theory::block_data::BlockSpec;
use crate::theory::mean_field::{Measure, Neuron, PointMeasure};
use crate::theory::psi::psi;

/// c = 1 − ηd/2, the worst-case value of ⟨z, y·x⟩ over the support of 𝒟.
pub fn c_const(spec: &BlockSpec) -> f64 {
    1.0 - spec.eta() * spec.d() as f64 / 2.0
}

/// N = sqrt(2(d/2 + c²)), the normaliser in θ₁, θ₂.
pub fn n_const(spec: &BlockSpec) -> f64 {
    let c = c_const(spec);
    (2.0 * (spec.half() as f64 + c * c)).sqrt()
}

/// z: u* on each of the first d/2 blocks, zero on the last d/2.
pub fn z_vector(spec: &BlockSpec) -> DVector<f64> {
    let mut z = DVector::zeros(spec.dim());
    for j in 0..spec.half() {
        z += spec.centre(j, 1.0);
    }
    z
}

/// θ₁ (sign = +1) or θ₂ (sign = −1).
pub fn theta(spec: &BlockSpec, sign: f64) -> Neuron {
    let n = n_const(spec);
    Neuron::new(sign / 2f64.sqrt(), z_vector(spec) * (sign / n), c_const(spec) / n)
}

/// ν* = ½δ_{θ₁} + ½δ_{θ₂}.
pub fn nu_star(spec: &BlockSpec) -> Measure {
    Measure::new(vec![(0.5, theta(spec, 1.0)), (0.5, theta(spec, -1.0))]).expect("two atoms of mass 1/2 form a probability measure")
}

/// The max-margin value claimed in the proof: γ* = c / (2 sqrt(d/2 + c²)) = L(θ₁) = L(θ₂).
pub fn gamma_star(spec: &BlockSpec) -> f64 {
    let c = c_const(spec);
    c / (2.0 * (spec.half() as f64 + c * c).sqrt())
}

/// Which definition of the support points ũ_j of p* to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PStar {
    /// As printed in App. E: block j is u*, the other task-relevant blocks −ηu*.
    AsPrinted,
    /// Corrected: block j is (1 − η)u* (its noise g_j = −u* too), the others −ηu*. These are the
    /// points of least margin, as condition (7) requires, and the ones the proof's formula
    /// L(θ) = (w/d)Σψ(α_i − (ηd/2)ᾱ, b) actually describes.
    Corrected,
}

/// ũ_j for block j (0-based).
pub fn u_tilde(spec: &BlockSpec, j: usize, which: PStar) -> DVector<f64> {
    let eta = spec.eta();
    let mut x = DVector::zeros(spec.dim());
    for i in 0..spec.half() {
        let coef = if i != j {
            -eta
        } else {
            match which {
                PStar::AsPrinted => 1.0,
                PStar::Corrected => 1.0 - eta,
            }
        };
        x += spec.centre(i, coef);
    }
    x
}

/// p* = (1/d) Σ_{j ∈ [d/2], y = ±1} δ_{(y ũ_j, y)}.
pub fn p_star(spec: &BlockSpec, which: PStar) -> PointMeasure {
    let m = 1.0 / spec.d() as f64;
    let mut atoms = Vec::with_capacity(spec.d());
    for j in 0..spec.half() {
        for y in [1.0, -1.0] {
            atoms.push((m, u_tilde(spec, j, which) * y, y));
        }
    }
    PointMeasure { atoms }
}

/// The least margin of ν over the support of 𝒟, found exactly, with a point attaining it.
#[derive(Debug, Clone, PartialEq)]
pub struct SupportMin {
    /// min over supp(𝒟) of y·f(ν, x).
    pub margin: f64,
    /// A minimising input.
    pub x: DVector<f64>,
    /// Its label.
    pub y: f64,
    /// Its signal block.
    pub j: usize,
}

/// Relative tolerance for deciding that two first-layer weight vectors are collinear.
const COLLINEAR_TOL: f64 = 1e-12;

/// Exact minimum of y·f(ν, x) over the support of 𝒟 for a measure whose first-layer weights r all
/// lie on one line (as ν* does).
///
/// The support is the union over (j, y) of centre(j, y) + η·(product of unit balls). On each piece
/// t = ⟨v, x⟩ ranges over an exact interval (support function of a product of balls) and the
/// margin is a piecewise-linear function of t, so its minimum is at an end point or a breakpoint
/// −b_k/s_k. No sampling is involved.
pub fn min_margin_rank1(nu: &Measure, spec: &BlockSpec) -> Result<SupportMin> {
    if nu.dim() != spec.dim() {
        return Err(Error::Shape(format!("measure on R^{} but data in R^{}", nu.dim(), spec.dim())));
    }
    let v = nu
        .atoms()
        .iter()
        .map(|(_, th)| th.r.clone())
        .find(|r| r.norm() > 0.0)
        .unwrap_or_else(|| DVector::zeros(spec.dim()));
    let vv = v.norm_squared();
    // Each atom: w·φ(s·t + b) with t = ⟨v, x⟩.
    let mut lines = Vec::with_capacity(nu.atoms().len());
    for (k, (m, th)) in nu.atoms().iter().enumerate() {
        let s = if vv > 0.0 { th.r.dot(&v) / vv } else { 0.0 };
        let resid = (&th.r - &v * s).norm();
        if resid > COLLINEAR_TOL * (1.0 + th.r.norm()) {
            return Err(Error::param(format!("atoms[{k}].r"), "first-layer weights are not collinear; rank-1 minimisation does not apply"));
        }
        lines.push((m * th.w, s, th.b));
    }
    let eval = |t: f64, y: f64| -> f64 { y * lines.iter().map(|(mw, s, b)| mw * (s * t + b).max(0.0)).sum::<f64>() };
    let mut best: Option<SupportMin> = None;
    for j in 0..spec.half() {
        for y in [1.0, -1.0] {
            let (lo, hi) = spec.projection_interval(&v, j, y);
            let mut cands = vec![lo, hi];
            for (_, s, b) in &lines {
                if *s != 0.0 {
                    let t = -b / s;
                    if t > lo && t < hi {
                        cands.push(t);
                    }
                }
            }
            for t in cands {
                let m = eval(t, y);
                if best.as_ref().is_none_or(|bm| m < bm.margin) {
                    let x = spec.point_with_projection(&v, j, y, t);
                    best = Some(SupportMin { margin: m, x, y, j });
                }
            }
        }
    }
    best.ok_or_else(|| Error::param("spec", "data support is empty"))
}

/// The reduced neuron functional of the proof of (6): for θ = (w, r, b) with ⟨r_i, u*⟩ = α_i on
/// the task-relevant blocks, J_{p*}(θ) = (w/d) Σ_{i ∈ [d/2]} ψ(α_i − (ηd/2)ᾱ, b) (for the
/// corrected p*).
pub fn reduced_value(spec: &BlockSpec, w: f64, alpha: &[f64], b: f64) -> f64 {
    let d = spec.d() as f64;
    let abar = alpha.iter().sum::<f64>() / alpha.len() as f64;
    let shift = spec.eta() * d / 2.0 * abar;
    w / d * alpha.iter().map(|a| psi(a - shift, b)).sum::<f64>()
}

/// The α_i = ⟨r_i, u*⟩ of a first-layer weight vector, for the task-relevant blocks.
pub fn alphas(spec: &BlockSpec, r: &DVector<f64>) -> Vec<f64> {
    (0..spec.half()).map(|i| r.rows(i * spec.d_tilde(), spec.d_tilde()).dot(spec.u_star())).collect()
}

/// The neuron with r = Σ_i α_i u* on block i (zero on noise blocks).
pub fn neuron_from_alphas(spec: &BlockSpec, w: f64, alpha: &[f64], b: f64) -> Neuron {
    let mut r = DVector::zeros(spec.dim());
    for (i, a) in alpha.iter().enumerate() {
        r += spec.centre(i, *a);
    }
    Neuron::new(w, r, b)
}

/// Equal-α objective as printed in App. E: c·w·(ᾱ + min(ᾱ, b/c)).
pub fn equal_alpha_as_printed(c: f64, w: f64, abar: f64, b: f64) -> f64 {
    c * w * (abar + abar.min(b / c))
}

/// Equal-α objective, corrected: (w/d)·(d/2)·ψ(cᾱ, b) = (c·w/2)(ᾱ + min(ᾱ, b/c)) for b ≥ 0 (the
/// printed version sums over \[d\] instead of \[d/2\]).
pub fn equal_alpha_corrected(c: f64, w: f64, abar: f64, b: f64) -> f64 {
    0.5 * equal_alpha_as_printed(c, w, abar, b)
}

/// The maximiser of the equal-α objective as printed: (w, ᾱ, b) = (1/√2, 2/sqrt(d/2 + c²), c/N).
pub fn equal_alpha_maximiser_as_printed(spec: &BlockSpec) -> (f64, f64, f64) {
    let c = c_const(spec);
    (1.0 / 2f64.sqrt(), 2.0 / (spec.half() as f64 + c * c).sqrt(), c / n_const(spec))
}

/// The maximiser of the equal-α objective, corrected: ᾱ = 1/N, i.e. θ₁.
pub fn equal_alpha_maximiser(spec: &BlockSpec) -> (f64, f64, f64) {
    let c = c_const(spec);
    let n = n_const(spec);
    (1.0 / 2f64.sqrt(), 1.0 / n, c / n)
}

/// The Case II (b < 0) upper bound on J_{p*} as printed: c / (2 sqrt(d/2)).
pub fn case2_bound_as_printed(spec: &BlockSpec) -> f64 {
    c_const(spec) / (2.0 * (spec.half() as f64).sqrt())
}

/// The Case II bound that holds for every θ on the sphere with b ≤ 0, any signs of α:
/// J ≤ (|w|/d) Σ|α_i − (ηd/2)ᾱ| ≤ |w|‖r‖ (1 + ηd/2) / (2 sqrt(d/2)) ≤ (1 + ηd/2) / (4 sqrt(d/2)).
/// (Uses |ψ(a, b)| ≤ |a| for b ≤ 0, Σ|α_i − (ηd/2)ᾱ| ≤ (1 + ηd/2)Σ|α_i|, Cauchy–Schwarz and
/// |w|‖r‖ ≤ ½.) It is below γ* exactly when (1 + ηd/2)·sqrt(d/2 + c²) < 2c·sqrt(d/2), which
/// η < 1/(10d) guarantees for every even d ≥ 2.
pub fn case2_bound(spec: &BlockSpec) -> f64 {
    (1.0 + spec.eta() * spec.d() as f64 / 2.0) / (4.0 * (spec.half() as f64).sqrt())
}

/// Options of [`best_neuron`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OracleOptions {
    /// Independent random starts.
    pub starts: usize,
    /// Iterations per start.
    pub iters: usize,
    /// Restrict the search to b ≤ 0 (Case II of the proof).
    pub nonpositive_bias: bool,
}

/// Initial step angle of the projected ascent (radians): large enough to cross the sphere's
/// regions in a few steps.
const ORACLE_STEP0: f64 = 0.3;
/// Final step angle: steps decay geometrically from [`ORACLE_STEP0`] to this, so a subgradient
/// method that oscillates around a kink (the maxima of eq (6) sit on kinks b = cα) ends within
/// O(1e-7) of it, after a total path of ~iters·0.3/ln(3e6) radians, enough to reach any region.
const ORACLE_STEP_END: f64 = 1e-7;

/// Projected (sub)gradient ascent of J_p(θ) = E_p[y w φ(⟨r, x⟩ + b)] on the unit sphere of
/// (w, r, b) from one start `v0` (a flat vector, normalised here), with steps decaying
/// geometrically from `ORACLE_STEP0` to `ORACLE_STEP_END`. Returns the best value seen and its
/// neuron.
pub fn ascend_neuron(p: &PointMeasure, v0: &DVector<f64>, iters: usize, nonpositive_bias: bool) -> (f64, Neuron) {
    let n = v0.len();
    let project = |mut v: DVector<f64>| -> DVector<f64> {
        if nonpositive_bias && v[n - 1] > 0.0 {
            v[n - 1] = 0.0;
        }
        let nv = v.norm();
        if nv > 0.0 {
            v / nv
        } else {
            v
        }
    };
    let decay = (ORACLE_STEP_END / ORACLE_STEP0).powf(1.0 / iters.max(1) as f64);
    let mut step = ORACLE_STEP0;
    let mut v = project(v0.clone());
    let mut best = (f64::NEG_INFINITY, Neuron::from_vec(&v));
    for _ in 0..iters {
        let th = Neuron::from_vec(&v);
        let val = p.neuron_value(&th);
        if val > best.0 {
            best = (val, th.clone());
        }
        let g = p.neuron_grad(&th);
        let tangent = &g - &v * g.dot(&v);
        let gn = tangent.norm();
        if gn == 0.0 {
            break;
        }
        v = project(&v + tangent * (step / gn));
        step *= decay;
    }
    let th = Neuron::from_vec(&v);
    let val = p.neuron_value(&th);
    if val > best.0 {
        best = (val, th);
    }
    best
}

/// Multistart projected (sub)gradient ascent (see [`ascend_neuron`]) from `opts.starts` random
/// Gaussian directions: the "neuron oracle" of condition (6). Returns the best value found and its
/// neuron. Independent of any closed form: it sees only J_p and its subgradient.
pub fn best_neuron(p: &PointMeasure, dim: usize, opts: OracleOptions, rng: &mut Rng) -> (f64, Neuron) {
    let mut best = (f64::NEG_INFINITY, Neuron::new(0.0, DVector::zeros(dim), 0.0));
    for _ in 0..opts.starts {
        let v0 = DVector::from_fn(dim + 2, |_, _| StandardNormal.sample(rng));
        let cand = ascend_neuron(p, &v0, opts.iters, opts.nonpositive_bias);
        if cand.0 > best.0 {
            best = cand;
        }
    }
    best
}

/// Pre-activations within this relative distance of zero count as "on a kink" when polishing.
const POLISH_KINK: f64 = 1e-5;
/// At most this many kink points are enumerated (2^k activity choices); beyond, only "all active"
/// and "all inactive" are tried.
const POLISH_MAX_KINKS: usize = 10;

/// Non-negative least squares min_{λ ≥ 0} ‖A λ − b‖ (Lawson–Hanson active set).
pub fn nnls(a: &nalgebra::DMatrix<f64>, b: &DVector<f64>) -> DVector<f64> {
    let q = a.ncols();
    let tol = 1e-12 * (1.0 + a.amax() * b.amax());
    let mut lambda = DVector::zeros(q);
    let mut passive = vec![false; q];
    for _outer in 0..3 * q + 10 {
        let w = a.transpose() * (b - a * &lambda);
        let cand = (0..q).filter(|j| !passive[*j]).max_by(|i, j| w[*i].total_cmp(&w[*j]));
        let Some(t) = cand else { break };
        if w[t] <= tol {
            break;
        }
        passive[t] = true;
        for _inner in 0..3 * q + 10 {
            let idx: Vec<usize> = (0..q).filter(|j| passive[*j]).collect();
            let ap = a.select_columns(&idx);
            let sp = match ap.clone().svd(true, true).solve(b, 1e-14) {
                Ok(s) => s,
                Err(_) => return lambda,
            };
            if sp.iter().all(|v| *v > 0.0) {
                for (k, j) in idx.iter().enumerate() {
                    lambda[*j] = sp[k];
                }
                break;
            }
            let mut alpha = f64::INFINITY;
            for (k, j) in idx.iter().enumerate() {
                if sp[k] <= 0.0 {
                    alpha = alpha.min(lambda[*j] / (lambda[*j] - sp[k]));
                }
            }
            for (k, j) in idx.iter().enumerate() {
                lambda[*j] += alpha * (sp[k] - lambda[*j]);
                if lambda[*j] <= tol {
                    lambda[*j] = 0.0;
                    passive[*j] = false;
                }
            }
        }
    }
    lambda
}

/// Exact local maximisation of J_p around a neuron found by ascent. Within the closure of one
/// activation region (which points of p are active), J_p = w·⟨g_S, v⟩ over the polyhedral cone C_S
/// of v = (r, b), whose maximum on the sphere is ½‖Π_{C_S}(±g_S)‖ with the projection computed by
/// non-negative least squares (Moreau: Π_C(g) = g − Π_{C°}(g), C° generated by the constraint
/// rows). Every region whose closure contains the input (each kink point active or not) is tried.
/// Returns the best of the input and the candidates, each evaluated exactly — polishing can only
/// propose, never mis-report.
pub fn polish_neuron(p: &PointMeasure, th: &Neuron) -> (f64, Neuron) {
    let mut best = (p.neuron_value(th), th.clone());
    let n = th.r.len();
    let aug = |x: &DVector<f64>| -> DVector<f64> { DVector::from_fn(n + 1, |i, _| if i < n { x[i] } else { 1.0 }) };
    let v0 = DVector::from_fn(n + 1, |i, _| if i < n { th.r[i] } else { th.b });
    let vn = v0.norm().max(f64::MIN_POSITIVE);
    let pts: Vec<(f64, DVector<f64>)> = p.atoms.iter().map(|(m, x, y)| (m * y, aug(x))).collect();
    let mut active = Vec::new();
    let mut kinks = Vec::new();
    for (i, (_, a)) in pts.iter().enumerate() {
        let pre = a.dot(&v0);
        if pre.abs() <= POLISH_KINK * vn * a.norm() {
            kinks.push(i);
        } else if pre > 0.0 {
            active.push(i);
        }
    }
    let subsets: Vec<u64> = if kinks.len() <= POLISH_MAX_KINKS { (0..1u64 << kinks.len()).collect() } else { vec![0, u64::MAX] };
    for mask in subsets {
        let mut on = vec![false; pts.len()];
        for i in &active {
            on[*i] = true;
        }
        for (k, i) in kinks.iter().enumerate() {
            if mask >> k.min(63) & 1 == 1 {
                on[*i] = true;
            }
        }
        let mut g = DVector::zeros(n + 1);
        let mut rows = Vec::with_capacity(pts.len());
        for (i, (c, a)) in pts.iter().enumerate() {
            if on[i] {
                g += a * *c;
                rows.push(-a.clone());
            } else {
                rows.push(a.clone());
            }
        }
        let bt = nalgebra::DMatrix::from_columns(&rows);
        for sgn in [1.0, -1.0] {
            let target = &g * sgn;
            let lam = nnls(&bt, &target);
            let u = &target - &bt * lam;
            let un = u.norm();
            if un == 0.0 {
                continue;
            }
            let v = &u / (un * 2f64.sqrt());
            let cand = Neuron::new(sgn / 2f64.sqrt(), v.rows(0, n).into_owned(), v[n]);
            let val = p.neuron_value(&cand);
            if val > best.0 {
                best = (val, cand);
            }
        }
    }
    best
}
