//! Simplified BlockMNIST 𝒟 — seed 000 §6, eq (2); proofs/block_data.md.
//!
//! An input has d blocks of dimension d̃. With y = ±1 equally likely and j* uniform on the first
//! d/2 blocks, block j* is y·u* + η·g_{j*} and every other block i is η·g_i, each g_i uniform in
//! the unit ball of ℝ^d̃. The first d/2 blocks are task-relevant, the last d/2 are noise.

use nalgebra::DVector;
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};

use crate::error::{Error, Result};
use crate::rng::Rng;

/// Parameters of 𝒟 (eq 2), validated on construction.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockSpec {
    d: usize,
    d_tilde: usize,
    u_star: DVector<f64>,
    eta: f64,
}

/// One draw (x, y) from 𝒟 together with its signal block j*(x) (0-based).
#[derive(Debug, Clone, PartialEq)]
pub struct BlockSample {
    /// The input, d·d̃ coordinates, block i at `i*d̃ .. (i+1)*d̃`.
    pub x: DVector<f64>,
    /// The label ±1.
    pub y: f64,
    /// The signal block j*(x), in 0..d/2.
    pub j_star: usize,
}

/// Tolerance on ‖u*‖ = 1 when validating a user-given u*: a vector normalised in f64 has norm
/// within a few ulp of one.
const UNIT_NORM_TOL: f64 = 1e-9;

impl BlockSpec {
    /// Validates d even and ≥ 2, d̃ ≥ 1, ‖u*‖ = 1 with u* ∈ ℝ^d̃, and 0 ≤ η finite.
    pub fn new(d: usize, u_star: DVector<f64>, eta: f64) -> Result<Self> {
        if d < 2 || d % 2 != 0 {
            return Err(Error::param("d", format!("number of blocks must be even and >= 2, got {d}")));
        }
        let d_tilde = u_star.len();
        if d_tilde == 0 {
            return Err(Error::param("u_star", "block dimension d~ must be >= 1"));
        }
        if u_star.iter().any(|v| !v.is_finite()) || (u_star.norm() - 1.0).abs() > UNIT_NORM_TOL {
            return Err(Error::param("u_star", format!("must be a unit vector, has norm {}", u_star.norm())));
        }
        if !(eta.is_finite() && eta >= 0.0) {
            return Err(Error::param("eta", format!("noise level must be finite and >= 0, got {eta}")));
        }
        Ok(Self { d, d_tilde, u_star, eta })
    }

    /// The scalar case of Fig 5 and Conjecture 1: d̃ = 1, u* = 1.
    pub fn scalar(d: usize, eta: f64) -> Result<Self> {
        Self::new(d, DVector::from_element(1, 1.0), eta)
    }

    /// Number of blocks d.
    pub fn d(&self) -> usize {
        self.d
    }
    /// Block dimension d̃.
    pub fn d_tilde(&self) -> usize {
        self.d_tilde
    }
    /// The signal direction u*.
    pub fn u_star(&self) -> &DVector<f64> {
        &self.u_star
    }
    /// Noise level η.
    pub fn eta(&self) -> f64 {
        self.eta
    }
    /// Input dimension d·d̃.
    pub fn dim(&self) -> usize {
        self.d * self.d_tilde
    }
    /// Number of task-relevant blocks d/2.
    pub fn half(&self) -> usize {
        self.d / 2
    }

    /// Coordinates of block i.
    pub fn block_range(&self, i: usize) -> std::ops::Range<usize> {
        i * self.d_tilde..(i + 1) * self.d_tilde
    }

    /// Euclidean norm of each of the d blocks of a vector of dimension d·d̃.
    pub fn block_norms(&self, v: &DVector<f64>) -> Vec<f64> {
        (0..self.d).map(|i| v.rows(i * self.d_tilde, self.d_tilde).norm()).collect()
    }

    /// The noiseless centre of the support piece (j, y): y·u* in block j, zero elsewhere.
    pub fn centre(&self, j: usize, y: f64) -> DVector<f64> {
        let mut x = DVector::zeros(self.dim());
        for (k, c) in self.block_range(j).enumerate() {
            x[c] = y * self.u_star[k];
        }
        x
    }

    /// One exact draw from 𝒟.
    pub fn sample(&self, rng: &mut Rng) -> BlockSample {
        let y = if rng.random::<bool>() { 1.0 } else { -1.0 };
        let j_star = rng.random_range(0..self.half());
        let mut x = self.centre(j_star, y);
        for i in 0..self.d {
            let g = uniform_in_ball(self.d_tilde, rng);
            for (k, c) in self.block_range(i).enumerate() {
                x[c] += self.eta * g[k];
            }
        }
        BlockSample { x, y, j_star }
    }

    /// `n` draws.
    pub fn sample_n(&self, n: usize, rng: &mut Rng) -> Vec<BlockSample> {
        (0..n).map(|_| self.sample(rng)).collect()
    }

    /// Range of ⟨v, x⟩ over the support piece (j, y) = {centre(j, y) + η(g_1, …, g_d) : ‖g_i‖ ≤ 1}:
    /// exactly ⟨v, centre⟩ ∓ η·Σ_i ‖v_i‖ (the support function of a product of balls).
    pub fn projection_interval(&self, v: &DVector<f64>, j: usize, y: f64) -> (f64, f64) {
        let c = v.dot(&self.centre(j, y));
        let spread: f64 = self.block_norms(v).iter().sum::<f64>() * self.eta;
        (c - spread, c + spread)
    }

    /// The point of the support piece (j, y) where ⟨v, x⟩ takes the value `t` of
    /// [`projection_interval`](Self::projection_interval): each g_i = s·v_i/‖v_i‖ with the common
    /// s ∈ [−1, 1] that reaches t (blocks where v_i = 0 get g_i = 0).
    pub fn point_with_projection(&self, v: &DVector<f64>, j: usize, y: f64, t: f64) -> DVector<f64> {
        let (lo, hi) = self.projection_interval(v, j, y);
        let mid = 0.5 * (lo + hi);
        let half = 0.5 * (hi - lo);
        let s = if half > 0.0 { ((t - mid) / half).clamp(-1.0, 1.0) } else { 0.0 };
        let mut x = self.centre(j, y);
        for i in 0..self.d {
            let r = self.block_range(i);
            let vi = v.rows(r.start, self.d_tilde);
            let n = vi.norm();
            if n > 0.0 {
                for (k, c) in r.enumerate() {
                    x[c] += self.eta * s * vi[k] / n;
                }
            }
        }
        x
    }
}

/// A point uniform in the unit ball of ℝ^k: a Gaussian direction and radius U^{1/k}.
pub fn uniform_in_ball(k: usize, rng: &mut Rng) -> DVector<f64> {
    loop {
        let g = DVector::from_fn(k, |_, _| StandardNormal.sample(rng));
        let n: f64 = g.norm();
        if n > 0.0 {
            let u: f64 = rng.random();
            return g * (u.powf(1.0 / k as f64) / n);
        }
    }
}
