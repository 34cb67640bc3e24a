//! Theorem E.1 of seed 001 (App. E): ℓ∞-adversarial training of k one-vs-all linear classifiers;
//! proofs/multiclass_adv.md.
//!
//! Class c ∈ \[k\] has one-vs-all labels y_s = +1 if s = c, else −1. The total loss is
//! L_T(x, y; W) = Σ_s g(−y_s⟨w_s, x⟩), and the ℓ∞(ε) adversary picks ONE perturbation δ* for the
//! sum — unlike Theorem 3.1, where δ* = −y sgn(w) ε is explicit.

use nalgebra::{DMatrix, DVector};

use crate::error::Result;
use crate::theory::linear_adv::{max_over_box_vertices, MarginLoss};

/// A finite-support k-class distribution: class priors and, per class, a finite law of x.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiClassDist {
    /// P(class = c).
    pub priors: Vec<f64>,
    /// Per class: (probability, x) atoms.
    pub cond: Vec<Vec<(f64, DVector<f64>)>>,
}

/// The one-vs-all label vector of class `c` among `k`.
pub fn labels(c: usize, k: usize) -> DVector<f64> {
    DVector::from_fn(k, |s, _| if s == c { 1.0 } else { -1.0 })
}

/// L_T(x, y; W) = Σ_s g(−y_s⟨w_s, x⟩), W with one row per class.
pub fn total_loss(g: &dyn MarginLoss, w: &DMatrix<f64>, x: &DVector<f64>, y: &DVector<f64>) -> f64 {
    let z = w * x;
    (0..w.nrows()).map(|s| g.g(-y[s] * z[s])).sum()
}

/// The worst ℓ∞(ε) perturbation of the summed loss, by enumeration of the box's vertices (a sum of
/// convex functions of linear forms of δ is convex in δ, so its maximum is at a vertex). Ties go to
/// the first vertex in enumeration order.
pub fn worst_delta(g: &dyn MarginLoss, w: &DMatrix<f64>, x: &DVector<f64>, y: &DVector<f64>, eps: f64) -> Result<DVector<f64>> {
    let d = x.len();
    let best = max_over_box_vertices(d, eps, |delta| total_loss(g, w, &(x + delta), y))?;
    let mut delta = best.1;
    for j in 0..d {
        if w.column(j).iter().all(|v| *v == 0.0) {
            delta[j] = 0.0;
        }
    }
    Ok(delta)
}

impl MultiClassDist {
    /// Every atom (probability, class, x).
    pub fn atoms(&self) -> Vec<(f64, usize, DVector<f64>)> {
        let mut out = Vec::new();
        for (c, law) in self.cond.iter().enumerate() {
            for (p, x) in law {
                out.push((self.priors[c] * p, c, x.clone()));
            }
        }
        out
    }

    /// Number of classes.
    pub fn k(&self) -> usize {
        self.priors.len()
    }

    /// a_ij of FEAT-EXP computed as E(y_i x_j) (eq 4 analogue).
    pub fn strengths(&self) -> DMatrix<f64> {
        let k = self.k();
        let d = self.cond[0][0].1.len();
        let mut a = DMatrix::zeros(k, d);
        for (p, c, x) in self.atoms() {
            let y = labels(c, k);
            for i in 0..k {
                for j in 0..d {
                    a[(i, j)] += p * y[i] * x[j];
                }
            }
        }
        a
    }

    /// Largest violation of FEAT-EXP, |E(x_j | y_i = 1) + E(x_j | y_i = −1)| over i, j.
    pub fn feat_exp_violation(&self) -> f64 {
        let k = self.k();
        let d = self.cond[0][0].1.len();
        let mut worst: f64 = 0.0;
        for i in 0..k {
            let (mut pos, mut neg, mut ppos, mut pneg) = (DVector::zeros(d), DVector::zeros(d), 0.0, 0.0);
            for (p, c, x) in self.atoms() {
                if c == i {
                    pos += &x * p;
                    ppos += p;
                } else {
                    neg += &x * p;
                    pneg += p;
                }
            }
            worst = worst.max((pos / ppos + neg / pneg).amax());
        }
        worst
    }
}

/// The expected SGD update of w_ij with δ* frozen at the current W: −∂/∂w_ij E[L_T(x + δ*, y; W')]
/// at W' = W, by a central difference of step `h` (independent of any closed form of the gradient).
pub fn expected_update(g: &dyn MarginLoss, dist: &MultiClassDist, w: &DMatrix<f64>, eps: f64, i: usize, j: usize, h: f64) -> Result<f64> {
    let k = dist.k();
    let mut frozen = Vec::new();
    for (p, c, x) in dist.atoms() {
        let y = labels(c, k);
        let d = worst_delta(g, w, &x, &y, eps)?;
        frozen.push((p, x + d, y));
    }
    let risk = |wm: &DMatrix<f64>| -> f64 { frozen.iter().map(|(p, x, y)| p * total_loss(g, wm, x, y)).sum() };
    let mut up = w.clone();
    up[(i, j)] += h;
    let mut dn = w.clone();
    dn[(i, j)] -= h;
    Ok(-(risk(&up) - risk(&dn)) / (2.0 * h))
}

/// ḡ'_i = E[g'(−y_i⟨w_i, x + δ*⟩)] (eq E.51).
pub fn g_bar_prime(g: &dyn MarginLoss, dist: &MultiClassDist, w: &DMatrix<f64>, eps: f64, i: usize) -> Result<f64> {
    let k = dist.k();
    let mut acc = 0.0;
    for (p, c, x) in dist.atoms() {
        let y = labels(c, k);
        let d = worst_delta(g, w, &x, &y, eps)?;
        acc += p * g.dg(-y[i] * w.row(i).transpose().dot(&(x + d)));
    }
    Ok(acc)
}

/// The k×k matrix M(π) with (M m)_i = E(x | y_i = 1) + E(x | y_i = −1) for a feature whose class
/// means are m: FEAT-EXP for all k one-vs-all classifiers is M m = 0.
pub fn feat_exp_matrix(priors: &[f64]) -> DMatrix<f64> {
    let k = priors.len();
    DMatrix::from_fn(k, k, |i, s| {
        let neg = priors[s] / (1.0 - priors[i]);
        if s == i {
            1.0
        } else {
            neg
        }
    })
}
