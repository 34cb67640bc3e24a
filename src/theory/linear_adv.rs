//! ℓ∞-adversarial training of 1-layer models — seed 001 (Chalasani et al. 2020), §2–3 and
//! App. B–D: losses g of Assumptions LOSS-INC / LOSS-CVX, Lemma 2 (δ* and eq 8), Lemma 3 (eq 9),
//! FEAT-TRANS (App. B.2) and Theorem 3.1 (eq 11–12); proofs/linear_adv.md.
//!
//! A 1-layer model with weights w has loss L(x, y; w) = g(−y⟨w, x⟩) with g non-decreasing
//! (LOSS-INC) and convex (LOSS-CVX).

use nalgebra::DVector;

use crate::error::{Error, Result};

/// A margin loss g of Assumption LOSS-INC: L(x, y; w) = g(−y⟨w, x⟩). Implement this trait to add a
/// loss; the checks take any implementation.
pub trait MarginLoss {
    /// Short name.
    fn name(&self) -> &str;
    /// g(z).
    fn g(&self, z: f64) -> f64;
    /// g'(z) (a right derivative where g has a kink).
    fn dg(&self, z: f64) -> f64;
    /// Whether g is differentiable everywhere (hinge is not).
    fn smooth(&self) -> bool {
        true
    }
}

/// The losses of seed 001 App. B.1 and two more common ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdLoss {
    /// Logistic NLL: g(z) = ln(1 + eᶻ).
    Logistic,
    /// Hinge: g(z) = (1 + z)⁺.
    Hinge,
    /// Squared hinge: g(z) = ((1 + z)⁺)².
    SquaredHinge,
    /// Exponential: g(z) = eᶻ.
    Exponential,
    /// Softplus hinge: g(z) = ln(1 + e^{1+z}).
    SoftplusHinge,
}

impl StdLoss {
    /// All of them.
    pub const ALL: [StdLoss; 5] = [StdLoss::Logistic, StdLoss::Hinge, StdLoss::SquaredHinge, StdLoss::Exponential, StdLoss::SoftplusHinge];
}

fn softplus(t: f64) -> f64 {
    crate::theory::mean_field::softplus(t)
}
fn sigmoid(t: f64) -> f64 {
    crate::theory::mean_field::sigmoid(t)
}

impl MarginLoss for StdLoss {
    fn name(&self) -> &str {
        match self {
            StdLoss::Logistic => "logistic",
            StdLoss::Hinge => "hinge",
            StdLoss::SquaredHinge => "squared-hinge",
            StdLoss::Exponential => "exponential",
            StdLoss::SoftplusHinge => "softplus-hinge",
        }
    }
    fn g(&self, z: f64) -> f64 {
        match self {
            StdLoss::Logistic => softplus(z),
            StdLoss::Hinge => (1.0 + z).max(0.0),
            StdLoss::SquaredHinge => (1.0 + z).max(0.0).powi(2),
            StdLoss::Exponential => z.exp(),
            StdLoss::SoftplusHinge => softplus(1.0 + z),
        }
    }
    fn dg(&self, z: f64) -> f64 {
        match self {
            StdLoss::Logistic => sigmoid(z),
            StdLoss::Hinge => {
                if 1.0 + z >= 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            StdLoss::SquaredHinge => 2.0 * (1.0 + z).max(0.0),
            StdLoss::Exponential => z.exp(),
            StdLoss::SoftplusHinge => sigmoid(1.0 + z),
        }
    }
    fn smooth(&self) -> bool {
        !matches!(self, StdLoss::Hinge)
    }
}

/// The loss L(x, y; w) = g(−y⟨w, x⟩).
pub fn loss(g: &dyn MarginLoss, w: &DVector<f64>, x: &DVector<f64>, y: f64) -> f64 {
    g.g(-y * w.dot(x))
}

/// sgn with sgn(0) = 0.
pub fn sgn(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// Lemma 2, eq (7): δ* = −y·sgn(w)·ε (coordinates with w_i = 0 are left unperturbed; any value
/// in [−ε, ε] is then equally worst-case).
pub fn delta_star(w: &DVector<f64>, y: f64, eps: f64) -> DVector<f64> {
    w.map(|wi| -y * sgn(wi) * eps)
}

/// Lemma 2, eq (8): the ℓ∞(ε)-adversarial loss g(ε‖w‖₁ − y⟨w, x⟩).
pub fn adv_loss(g: &dyn MarginLoss, w: &DVector<f64>, x: &DVector<f64>, y: f64, eps: f64) -> f64 {
    g.g(eps * w.lp_norm(1) - y * w.dot(x))
}

/// Lemma 3, eq (9): ∂L(x + δ*, y; w)/∂w_i = −g'(ε‖w‖₁ − y⟨w, x⟩)(y x_i − sgn(w_i) ε).
pub fn adv_loss_grad(g: &dyn MarginLoss, w: &DVector<f64>, x: &DVector<f64>, y: f64, eps: f64) -> DVector<f64> {
    let gp = g.dg(eps * w.lp_norm(1) - y * w.dot(x));
    DVector::from_fn(w.len(), |i, _| -gp * (y * x[i] - sgn(w[i]) * eps))
}

/// Largest dimension for exhaustive vertex enumeration (2^d vertices).
pub const MAX_ENUM_DIM: usize = 20;

/// max over the 2^d vertices δ ∈ {−ε, ε}^d of `f(δ)`, with a maximising vertex (the first in
/// enumeration order on ties). Exact for functions convex in δ, whose maximum over the box is at a
/// vertex. Errors beyond [`MAX_ENUM_DIM`].
pub fn max_over_box_vertices(d: usize, eps: f64, mut f: impl FnMut(&DVector<f64>) -> f64) -> Result<(f64, DVector<f64>)> {
    if d > MAX_ENUM_DIM {
        return Err(Error::param("d", format!("vertex enumeration needs d <= {MAX_ENUM_DIM}, got {d}")));
    }
    let mut best = (f64::NEG_INFINITY, DVector::zeros(d));
    for mask in 0u32..(1u32 << d) {
        let delta = DVector::from_fn(d, |i, _| if mask >> i & 1 == 1 { eps } else { -eps });
        let v = f(&delta);
        if v > best.0 {
            best = (v, delta);
        }
    }
    Ok(best)
}

/// The exact maximum of L(x + δ, y; w) over the ℓ∞ ball by enumerating its 2^d vertices: the loss
/// is a non-decreasing function of the linear form −y⟨w, δ⟩, so its maximum over the box is at a
/// vertex. Independent of eq (7)–(8). Returns (max, a maximising δ).
pub fn adv_loss_enumerate(g: &dyn MarginLoss, w: &DVector<f64>, x: &DVector<f64>, y: f64, eps: f64) -> Result<(f64, DVector<f64>)> {
    max_over_box_vertices(w.len(), eps, |delta| loss(g, w, &(x + delta), y))
}

/// Projected gradient ascent of δ ↦ L(x + δ, y; w) over the ℓ∞ ball from a given start, for
/// dimensions too large to enumerate: `steps` steps of size `step` along the gradient
/// (−y g'(·) w), each followed by clipping to [−ε, ε]. Returns the final loss.
pub fn adv_loss_ascent(g: &dyn MarginLoss, w: &DVector<f64>, x: &DVector<f64>, y: f64, eps: f64, start: &DVector<f64>, steps: usize, step: f64) -> f64 {
    let mut delta = start.map(|v| v.clamp(-eps, eps));
    for _ in 0..steps {
        let gp = g.dg(-y * w.dot(&(x + &delta)));
        delta = (&delta + w * (-y * gp * step)).map(|v| v.clamp(-eps, eps));
    }
    loss(g, w, &(x + &delta), y)
}

// ------------------------------------------------------------------ Theorem 3.1

/// A finite-support binary distribution in which a feature subset S is conditionally independent
/// of the rest given y: P(y = 1) = `p_pos`; given y, the S-part and the rest are drawn
/// independently from finite lists of (probability, values).
#[derive(Debug, Clone, PartialEq)]
pub struct SplitDistribution {
    /// P(y = +1).
    pub p_pos: f64,
    /// Number of features in S (they come first).
    pub s_dim: usize,
    /// For y = +1 and y = −1: the finite law of x_S as (probability, values).
    pub s_part: [Vec<(f64, Vec<f64>)>; 2],
    /// For y = +1 and y = −1: the finite law of x_{rest}.
    pub rest_part: [Vec<(f64, Vec<f64>)>; 2],
}

fn label_index(y: f64) -> usize {
    usize::from(y < 0.0)
}

impl SplitDistribution {
    /// Dimension d.
    pub fn dim(&self) -> usize {
        self.s_dim + self.rest_part[0].first().map_or(0, |(_, v)| v.len())
    }

    /// Every atom (probability, x, y) of the joint law.
    pub fn atoms(&self) -> Vec<(f64, DVector<f64>, f64)> {
        let mut out = Vec::new();
        for y in [1.0, -1.0] {
            let py = if y > 0.0 { self.p_pos } else { 1.0 - self.p_pos };
            let k = label_index(y);
            for (ps, xs) in &self.s_part[k] {
                for (pr, xr) in &self.rest_part[k] {
                    let x: Vec<f64> = xs.iter().chain(xr.iter()).cloned().collect();
                    out.push((py * ps * pr, DVector::from_vec(x), y));
                }
            }
        }
        out
    }

    /// E[f(x, y)] by exact enumeration.
    pub fn expect(&self, f: impl Fn(&DVector<f64>, f64) -> f64) -> f64 {
        self.atoms().iter().map(|(p, x, y)| p * f(x, *y)).sum()
    }

    /// E[x | y] for y = ±1.
    pub fn conditional_mean(&self, y: f64) -> DVector<f64> {
        let k = label_index(y);
        let mut m: Vec<f64> = vec![0.0; self.dim()];
        for (p, xs) in &self.s_part[k] {
            for (i, v) in xs.iter().enumerate() {
                m[i] += p * v;
            }
        }
        for (p, xr) in &self.rest_part[k] {
            for (i, v) in xr.iter().enumerate() {
                m[self.s_dim + i] += p * v;
            }
        }
        DVector::from_vec(m)
    }

    /// FEAT-TRANS (seed 001 §2, App. B.2): subtract [E(x|y=1) + E(x|y=−1)]/2 from every feature.
    pub fn feat_trans(&self) -> Self {
        let c = (self.conditional_mean(1.0) + self.conditional_mean(-1.0)) * 0.5;
        let shift = |v: &Vec<(f64, Vec<f64>)>, off: usize| -> Vec<(f64, Vec<f64>)> {
            v.iter().map(|(p, xs)| (*p, xs.iter().enumerate().map(|(i, x)| x - c[off + i]).collect())).collect()
        };
        Self {
            p_pos: self.p_pos,
            s_dim: self.s_dim,
            s_part: [shift(&self.s_part[0], 0), shift(&self.s_part[1], 0)],
            rest_part: [shift(&self.rest_part[0], self.s_dim), shift(&self.rest_part[1], self.s_dim)],
        }
    }

    /// Directed strengths a_i = E(y x_i) (eq 4).
    pub fn strengths(&self) -> DVector<f64> {
        let d = self.dim();
        let mut a = DVector::zeros(d);
        for (p, x, y) in self.atoms() {
            a += x * (p * y);
        }
        a
    }
}

/// ḡ' = E[g'(ε‖w‖₁ − y⟨w, x⟩)] (eq 10), exactly.
pub fn g_bar_prime(g: &dyn MarginLoss, dist: &SplitDistribution, w: &DVector<f64>, eps: f64) -> f64 {
    dist.expect(|x, y| g.dg(eps * w.lp_norm(1) - y * w.dot(x)))
}

/// Expected SGD update Δ̄ = −E[∇_w L(x + δ*, y; w)] using Lemma 3's formula (eq 9).
pub fn expected_update(g: &dyn MarginLoss, dist: &SplitDistribution, w: &DVector<f64>, eps: f64) -> DVector<f64> {
    let mut acc = DVector::zeros(w.len());
    for (p, x, y) in dist.atoms() {
        acc -= adv_loss_grad(g, w, &x, y, eps) * p;
    }
    acc
}

/// w-weighted average q_S^w = Σ_{i∈S} w_i q_i / Σ_{i∈S} |w_i| (Definition WTD-AV, eq 6) over the
/// first `s_dim` coordinates.
pub fn weighted_average(q: &DVector<f64>, w: &DVector<f64>, s_dim: usize) -> Result<f64> {
    let den: f64 = (0..s_dim).map(|i| w[i].abs()).sum();
    if den == 0.0 {
        return Err(Error::param("w", "w-weighted average needs w_i != 0 for some i in S"));
    }
    Ok((0..s_dim).map(|i| w[i] * q[i]).sum::<f64>() / den)
}
