//! The Bayes-optimal classifier of the simplified BlockMNIST data (seed 000 eq 2, d̃ = 1, u* = 1)
//! and its input gradient — the reference of the feature-leakage table; proofs/leakage.md.
//!
//! Under eq (2) every coordinate is independent given (y, j*): block j* is uniform on
//! [y − η, y + η], every other block uniform on [−η, η]. For η < ½ the two classes have disjoint
//! supports, so the exact posterior is 0 or 1 and its log-odds is piecewise constant: its input
//! gradient is zero almost everywhere and says nothing. The usual remedy (seed 004 §4: gradients of
//! the Bayes-optimal classifier of a noise-smoothed density) is to add isotropic Gaussian noise
//! N(0, σ²I) to x. Then each coordinate density is q(t − μ) with
//!
//!   q(t) = [Φ((t + η)/σ) − Φ((t − η)/σ)] / (2η)   (η > 0),   q(t) = N(t; 0, σ²)   (η = 0),
//!
//! and, the factors Π_i q(x_i) of the blocks that carry no signal cancelling between the classes,
//!
//!   log-odds(x) = log Σ_{j ∈ [d/2]} q(x_j − 1)/q(x_j) − log Σ_{j ∈ [d/2]} q(x_j + 1)/q(x_j).
//!
//! It depends on the task-relevant coordinates only: the Bayes-optimal gradient never leaks onto
//! noise blocks. Its leakage onto other task blocks is what the table measures.

use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use crate::error::{Error, Result};

/// Smallest σ accepted: coordinates lie within 1 + η + ε ≤ 2.5 of a class centre, so the standard
/// normal tails evaluated reach (2.5 + η)/σ ≤ 27 at σ = 0.1, where Φ(−27) ≈ 1e-160 is still a
/// normal f64; much smaller σ underflows to 0/0.
pub const SIGMA_MIN: f64 = 0.1;

/// The σ-smoothed Bayes-optimal classifier of eq (2) with d blocks (d̃ = 1) and noise η.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SmoothedBayes {
    d: usize,
    eta: f64,
    sigma: f64,
}

impl SmoothedBayes {
    /// Validates d even ≥ 2, 0 ≤ η < ½ and σ ≥ [`SIGMA_MIN`].
    pub fn new(d: usize, eta: f64, sigma: f64) -> Result<Self> {
        if d < 2 || !d.is_multiple_of(2) {
            return Err(Error::param("d", format!("must be even and >= 2, got {d}")));
        }
        if !(eta.is_finite() && (0.0..0.5).contains(&eta)) {
            return Err(Error::param("eta", format!("must be in [0, 0.5), got {eta}")));
        }
        if !(sigma.is_finite() && sigma >= SIGMA_MIN) {
            return Err(Error::param("sigma", format!("must be >= {SIGMA_MIN}, got {sigma}")));
        }
        Ok(Self { d, eta, sigma })
    }

    /// (log q(t), d/dt log q(t)).
    fn log_q(&self, t: f64) -> (f64, f64) {
        let s = self.sigma;
        if self.eta == 0.0 {
            return (-0.5 * (t / s).powi(2) - (s * (2.0 * std::f64::consts::PI).sqrt()).ln(), -t / (s * s));
        }
        let n = Normal::standard();
        let (a, b) = ((t - self.eta) / s, (t + self.eta) / s);
        // Φ(b) − Φ(a) from the tail on the side where both are small, to keep its digits.
        let mass = if a > 0.0 { n.sf(a) - n.sf(b) } else { n.cdf(b) - n.cdf(a) };
        let log_q = mass.ln() - (2.0 * self.eta).ln();
        let dlog = (n.pdf(b) - n.pdf(a)) / (s * mass);
        (log_q, dlog)
    }

    /// The log-odds log p(y = +1 | x) − log p(y = −1 | x) of the smoothed distribution and its
    /// gradient in x (zero on the noise blocks).
    pub fn log_odds_and_grad(&self, x: &[f64]) -> Result<(f64, Vec<f64>)> {
        if x.len() != self.d {
            return Err(Error::Shape(format!("input of dimension {}, expected {}", x.len(), self.d)));
        }
        let h = self.d / 2;
        let mut u = Vec::with_capacity(h);
        let mut v = Vec::with_capacity(h);
        for &t in &x[..h] {
            let (l0, g0) = self.log_q(t);
            let (lp, gp) = self.log_q(t - 1.0);
            let (lm, gm) = self.log_q(t + 1.0);
            u.push((lp - l0, gp - g0));
            v.push((lm - l0, gm - g0));
        }
        let lse = |w: &[(f64, f64)]| -> (f64, Vec<f64>) {
            let m = w.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = w.iter().map(|p| (p.0 - m).exp()).sum();
            (m + z.ln(), w.iter().map(|p| (p.0 - m).exp() / z).collect())
        };
        let (lu, pu) = lse(&u);
        let (lv, pv) = lse(&v);
        let mut g = vec![0.0; self.d];
        for j in 0..h {
            g[j] = pu[j] * u[j].1 - pv[j] * v[j].1;
        }
        let lo = lu - lv;
        if !lo.is_finite() || g.iter().any(|v| !v.is_finite()) {
            return Err(Error::param("x", format!("log-odds not finite at this input (σ = {} too small for it?)", self.sigma)));
        }
        Ok((lo, g))
    }
}
