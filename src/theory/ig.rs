//! Integrated Gradients — seed 001 §4–5, eq (13), Lemma 4.1 (eq 15), Theorem 5.1 (eq 18);
//! proofs/ig.md.
//!
//! IG_i^F(x, u) = (x_i − u_i) ∫₀¹ ∂_i F(u + α(x − u)) dα. The integral is computed by one of the
//! quadrature rules of [`Rule`], all in this one place.

use nalgebra::DVector;

use crate::error::{Error, Result};
use crate::theory::linear_adv::MarginLoss;

/// A quadrature rule on [0, 1] with m nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Left Riemann sum: nodes k/m, k = 0..m−1 (what most IG code does). Error O(1/m).
    Left,
    /// Right Riemann sum: nodes k/m, k = 1..m. Error O(1/m).
    Right,
    /// Midpoint rule: nodes (k + ½)/m. Error O(1/m²).
    Middle,
    /// Trapezoid rule on m + 1 nodes k/m. Error O(1/m²).
    Trapezoid,
    /// Gauss–Legendre with m nodes: exact for polynomials of degree 2m − 1.
    GaussLegendre,
}

impl Rule {
    /// All rules.
    pub const ALL: [Rule; 5] = [Rule::Left, Rule::Right, Rule::Middle, Rule::Trapezoid, Rule::GaussLegendre];

    /// Nodes α_k ∈ [0, 1] and weights (summing to one) for `m` ≥ 1 intervals / nodes.
    pub fn nodes(self, m: usize) -> Result<(Vec<f64>, Vec<f64>)> {
        if m == 0 {
            return Err(Error::param("steps", "a quadrature rule needs at least one step"));
        }
        let mf = m as f64;
        Ok(match self {
            Rule::Left => ((0..m).map(|k| k as f64 / mf).collect(), vec![1.0 / mf; m]),
            Rule::Right => ((1..=m).map(|k| k as f64 / mf).collect(), vec![1.0 / mf; m]),
            Rule::Middle => ((0..m).map(|k| (k as f64 + 0.5) / mf).collect(), vec![1.0 / mf; m]),
            Rule::Trapezoid => {
                let mut w = vec![1.0 / mf; m + 1];
                w[0] = 0.5 / mf;
                w[m] = 0.5 / mf;
                ((0..=m).map(|k| k as f64 / mf).collect(), w)
            }
            Rule::GaussLegendre => gauss_legendre_01(m),
        })
    }

    /// ∫₀¹ f(α) dα by this rule.
    pub fn integrate(self, m: usize, mut f: impl FnMut(f64) -> f64) -> Result<f64> {
        let (a, w) = self.nodes(m)?;
        Ok(a.iter().zip(&w).map(|(ak, wk)| wk * f(*ak)).sum())
    }
}

/// Newton iterations for each Legendre root: convergence is quadratic from the Chebyshev-like
/// initial guess, so 100 is far more than needed; the loop stops at machine precision.
const NEWTON_MAX: usize = 100;

/// Gauss–Legendre nodes and weights on [0, 1] (roots of P_m by Newton's method from the
/// cos(π(k − ¼)/(m + ½)) guesses; weights 2/((1 − t²) P_m'(t)²), halved for [0, 1]).
fn gauss_legendre_01(m: usize) -> (Vec<f64>, Vec<f64>) {
    let mut nodes = Vec::with_capacity(m);
    let mut weights = Vec::with_capacity(m);
    for k in 1..=m {
        let mut t = (std::f64::consts::PI * (k as f64 - 0.25) / (m as f64 + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..NEWTON_MAX {
            // P_m(t) and P_m'(t) by the three-term recurrence.
            let (mut p0, mut p1) = (1.0, t);
            for n in 2..=m {
                let nf = n as f64;
                let p2 = ((2.0 * nf - 1.0) * t * p1 - (nf - 1.0) * p0) / nf;
                p0 = p1;
                p1 = p2;
            }
            let pm = if m == 1 { t } else { p1 };
            let pm1 = if m == 1 { 1.0 } else { p0 };
            dp = m as f64 * (t * pm - pm1) / (t * t - 1.0);
            let dt = pm / dp;
            t -= dt;
            if dt.abs() < 1e-16 {
                break;
            }
        }
        nodes.push(0.5 * (1.0 + t));
        weights.push(1.0 / ((1.0 - t * t) * dp * dp));
    }
    (nodes, weights)
}

/// IG^F(x, u) by quadrature of the gradient `grad` along the straight path (eq 13).
///
/// # Shapes
/// `x`, `u` and `grad(z)` all have the same length d; the result has length d.
pub fn integrated_gradients(grad: impl Fn(&DVector<f64>) -> DVector<f64>, x: &DVector<f64>, u: &DVector<f64>, rule: Rule, m: usize) -> Result<DVector<f64>> {
    if x.len() != u.len() {
        return Err(Error::Shape(format!("input has {} coordinates, baseline {}", x.len(), u.len())));
    }
    let (a, w) = rule.nodes(m)?;
    let diff = x - u;
    let mut acc = DVector::zeros(x.len());
    for (ak, wk) in a.iter().zip(&w) {
        let g = grad(&(u + &diff * *ak));
        if g.len() != x.len() {
            return Err(Error::Shape(format!("gradient has {} coordinates, input {}", g.len(), x.len())));
        }
        acc += g * *wk;
    }
    Ok(acc.component_mul(&diff))
}

/// Lemma 4.1, eq (15): for F(x) = A(⟨w, x⟩), IG^F(x, u) = [F(x) − F(u)]·((x − u) ⊙ w)/⟨x − u, w⟩.
/// When ⟨x − u, w⟩ = 0 the limit is A'(⟨w, u⟩)·(x − u) ⊙ w; `a_prime` supplies A'.
pub fn ig_linear_closed_form(a: impl Fn(f64) -> f64, a_prime: impl Fn(f64) -> f64, w: &DVector<f64>, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
    let diff = x - u;
    let s = diff.dot(w);
    let hadamard = diff.component_mul(w);
    if s == 0.0 {
        hadamard * a_prime(w.dot(u))
    } else {
        hadamard * ((a(w.dot(x)) - a(w.dot(u))) / s)
    }
}

/// The left side of Theorem 5.1 at a given x' — L(x, y; w) + ‖IG^{L_y}(x, x')‖₁ — with the IG
/// computed by quadrature of the loss gradient (not by Lemma 4.1).
pub fn stable_ig_objective(g: &dyn MarginLoss, w: &DVector<f64>, x: &DVector<f64>, y: f64, x_prime: &DVector<f64>, rule: Rule, m: usize) -> Result<f64> {
    let grad = |z: &DVector<f64>| -> DVector<f64> { w * (-y * g.dg(-y * w.dot(z))) };
    let ig = integrated_gradients(grad, x, x_prime, rule, m)?;
    Ok(g.g(-y * w.dot(x)) + ig.lp_norm(1))
}
