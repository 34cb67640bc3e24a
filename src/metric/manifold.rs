//! On- and off-manifold noise and the two measures of Theorem 1 (seed 004 §3.1, Def 1–2, §4).
//!
//! Given an orthonormal basis Q (d × k) of the tangent space at x, P = QQᵀ projects onto it and
//! P⊥ = I − P onto its complement.
//!
//! * [`on_off_directions`]: a standard Gaussian u split into P u and P⊥ u, **each rescaled to unit
//!   ℓ2 norm** — seed 004 measures "the output change in response to an input perturbation of a
//!   fixed size", and without rescaling the off-manifold part would carry √((d − k)/k) times the
//!   on-manifold part's norm (seed 004's code rescales both the same way). The experiment
//!   multiplies by the radius ε.
//! * [`softmax_l1`]: ‖softmax f(x) − softmax f(x + εu)‖₁, the output change of Fig 2 (top).
//! * [`rho1`]: Def 1's ratio E(f(x + P⊥u) − f(x))² / E(f(x + u) − f(x))² estimated from draws;
//!   [`rho2`]: Def 2's ‖∇f − P∇f‖² / ‖∇f‖². Theorem 1: as σ → 0, ρ₁ → ρ₂.
//! * [`masked_noise`]: Gaussian noise on the coordinates of a mask only (Fig 4: noise on the
//!   signal or on the distractor).
//!
//! Plain f64 arithmetic; models are evaluated by the caller.

use nalgebra::{DMatrix, DVector};
use rand_distr::{Distribution, Normal, StandardNormal};

use crate::error::{Error, Result};
use crate::rng::Seed;

/// (P u, P⊥ u) for an orthonormal basis Q (d × k) of the tangent space.
///
/// # Shapes
/// - `basis`: `[d, k]`; `u`: d values; returns two vectors of d
pub fn project(basis: &DMatrix<f64>, u: &[f64]) -> Result<(Vec<f64>, Vec<f64>)> {
    if basis.nrows() != u.len() {
        return Err(Error::Shape(format!("tangent basis has {} rows, the vector {} entries", basis.nrows(), u.len())));
    }
    let v = DVector::from_column_slice(u);
    let on = basis * (basis.transpose() * &v);
    let off = &v - &on;
    Ok((on.iter().copied().collect(), off.iter().copied().collect()))
}

fn unit(v: Vec<f64>, what: &str) -> Result<Vec<f64>> {
    let n = v.iter().map(|a| a * a).sum::<f64>().sqrt();
    if !(n > 0.0 && n.is_finite()) {
        return Err(Error::Shape(format!("the {what} part of the noise has norm {n}; cannot rescale it")));
    }
    Ok(v.into_iter().map(|a| a / n).collect())
}

/// One Gaussian draw u ~ N(0, I_d) from `seed`, split into unit-norm on- and off-manifold
/// directions (P u/‖P u‖, P⊥u/‖P⊥u‖).
///
/// # Shapes
/// - `basis`: `[d, k]`; returns two vectors of d
pub fn on_off_directions(basis: &DMatrix<f64>, seed: Seed) -> Result<(Vec<f64>, Vec<f64>)> {
    let mut rng = seed.rng();
    let u: Vec<f64> = (0..basis.nrows()).map(|_| StandardNormal.sample(&mut rng)).collect();
    let (on, off) = project(basis, &u)?;
    Ok((unit(on, "on-manifold")?, unit(off, "off-manifold")?))
}

/// Softmax of one row of logits (max subtracted).
pub fn softmax(logits: &[f64]) -> Vec<f64> {
    let m = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = logits.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|v| v / s).collect()
}

/// ‖softmax(a) − softmax(b)‖₁ for two rows of logits (in [0, 2]).
pub fn softmax_l1(a: &[f64], b: &[f64]) -> f64 {
    softmax(a).iter().zip(softmax(b)).map(|(p, q)| (p - q).abs()).sum()
}

/// Def 1's ρ₁ from S draws: `f0` = f(x), `full[s]` = f(x + u_s), `off[s]` = f(x + P⊥u_s) with the
/// same u_s (common draws keep the ratio's Monte-Carlo error small). Returns
/// Σ(off − f0)² / Σ(full − f0)².
pub fn rho1(f0: f64, full: &[f64], off: &[f64]) -> Result<f64> {
    if full.len() != off.len() || full.is_empty() {
        return Err(Error::Shape(format!("ρ₁ needs as many off-manifold as full draws (got {} and {})", off.len(), full.len())));
    }
    let den: f64 = full.iter().map(|v| (v - f0).powi(2)).sum();
    let num: f64 = off.iter().map(|v| (v - f0).powi(2)).sum();
    if den <= 0.0 {
        return Err(Error::Shape("ρ₁: the function did not change under any draw".into()));
    }
    Ok(num / den)
}

/// Def 2's ρ₂ = ‖g − P g‖² / ‖g‖² for a gradient g.
///
/// # Shapes
/// - `basis`: `[d, k]`; `g`: d values
pub fn rho2(basis: &DMatrix<f64>, g: &[f64]) -> Result<f64> {
    let (_, off) = project(basis, g)?;
    let den: f64 = g.iter().map(|v| v * v).sum();
    if den <= 0.0 {
        return Err(Error::Shape("ρ₂: the gradient is zero".into()));
    }
    Ok(off.iter().map(|v| v * v).sum::<f64>() / den)
}

/// σ·z on the coordinates where `mask` is true, 0 elsewhere, z ~ N(0, I) from `seed`.
///
/// # Shapes
/// - `mask`: one example, D flags; returns D values
pub fn masked_noise(mask: &[bool], sigma: f64, seed: Seed) -> Result<Vec<f64>> {
    if !(sigma.is_finite() && sigma >= 0.0) {
        return Err(Error::param("sigma", format!("noise level must be ≥ 0, got {sigma}")));
    }
    let normal = Normal::new(0.0, sigma).map_err(|e| Error::param("sigma", e.to_string()))?;
    let mut rng = seed.rng();
    Ok(mask.iter().map(|&m| { let z = normal.sample(&mut rng); if m { z } else { 0.0 } }).collect())
}
