//! Threat models: the sets B_p(x, ε) ∩ [lo, hi]^D an adversary may move an input to.
//!
//! All operations act row by row on flattened batches `[N, D]`.

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use rand::Rng as _;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rng::Seed;

/// Smallest per-example norm divided by in ℓ2 steps and projections: below it a direction is
/// treated as zero (f32 resolution of squared norms of unit-scale inputs).
const L2_NORM_FLOOR: f32 = 1e-12;

/// The norm of the ball.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// max_i |δ_i| ≤ ε.
    Linf,
    /// (Σ_i δ_i²)^{1/2} ≤ ε.
    L2,
}

/// An ℓ∞ or ℓ2 ball of radius `eps` around each input, intersected with the pixel box `range`
/// when one is given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreatModel {
    /// ℓ∞ or ℓ2.
    pub norm: Norm,
    /// Radius ε ≥ 0.
    pub eps: f64,
    /// Valid input range [lo, hi], e.g. (0, 1) for pixels; `None` for unbounded features.
    pub range: Option<(f32, f32)>,
}

impl ThreatModel {
    /// A validated threat model.
    pub fn new(norm: Norm, eps: f64, range: Option<(f32, f32)>) -> Result<Self> {
        if !(eps.is_finite() && eps >= 0.0) {
            return Err(Error::InvalidParam { name: "eps".into(), reason: format!("must be finite and >= 0, got {eps}") });
        }
        if let Some((lo, hi)) = range {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(Error::InvalidParam { name: "range".into(), reason: format!("need finite lo < hi, got ({lo}, {hi})") });
            }
        }
        Ok(ThreatModel { norm, eps, range })
    }

    /// ℓ∞ ball.
    pub fn linf(eps: f64, range: Option<(f32, f32)>) -> Result<Self> {
        Self::new(Norm::Linf, eps, range)
    }

    /// ℓ2 ball.
    pub fn l2(eps: f64, range: Option<(f32, f32)>) -> Result<Self> {
        Self::new(Norm::L2, eps, range)
    }

    fn clamp_range<B: Backend>(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        match self.range {
            Some((lo, hi)) => x.clamp(lo, hi),
            None => x,
        }
    }

    /// Per-example ℓ2 norms `[N, 1]`.
    fn row_norms<B: Backend>(v: Tensor<B, 2>) -> Tensor<B, 2> {
        v.powi_scalar(2).sum_dim(1).sqrt()
    }

    /// Projects `x` onto the ball around `x0`, then onto the pixel box. For x0 inside the box
    /// the result stays inside the ball: clipping to the box moves each coordinate towards x0.
    ///
    /// # Shapes
    /// - `x0`, `x`: `[N, D]`; returns `[N, D]`
    pub fn project<B: Backend>(&self, x0: &Tensor<B, 2>, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let eps = self.eps as f32;
        let delta = x - x0.clone();
        let delta = match self.norm {
            Norm::Linf => delta.clamp(-eps, eps),
            Norm::L2 => {
                let n = Self::row_norms(delta.clone()).clamp_min(L2_NORM_FLOOR);
                // factor = min(1, ε/‖δ‖). A true division: burn-ndarray's SIMD `recip` (and
                // `powf(-1)`) is an approximate reciprocal (relative error ~5e-5, measured), which
                // would leave points outside the ball.
                let factor = (n.ones_like().mul_scalar(eps) / n).clamp_max(1.0);
                delta * factor
            }
        };
        self.clamp_range(x0.clone() + delta)
    }

    /// One ascent step of size `alpha` along the steepest direction of the norm: sgn(g) for ℓ∞,
    /// g/‖g‖₂ for ℓ2 (rows with a zero gradient do not move).
    ///
    /// # Shapes
    /// - `x`, `grad`: `[N, D]`; returns `[N, D]`
    pub fn step<B: Backend>(&self, x: Tensor<B, 2>, grad: Tensor<B, 2>, alpha: f64) -> Tensor<B, 2> {
        let dir = match self.norm {
            Norm::Linf => grad.sign(),
            Norm::L2 => {
                let n = Self::row_norms(grad.clone()).clamp_min(L2_NORM_FLOOR);
                grad / n
            }
        };
        x + dir.mul_scalar(alpha as f32)
    }

    /// A random point of the ball around each row of `x0` (uniform in the ℓ∞ cube; uniform in
    /// the ℓ2 ball: Gaussian direction, radius ε·U^{1/D}), projected onto the pixel box.
    ///
    /// # Shapes
    /// - `x0`: `[N, D]`; returns `[N, D]`
    pub fn random_init<B: Backend>(&self, x0: &Tensor<B, 2>, seed: Seed) -> Tensor<B, 2> {
        let [n, d] = x0.dims();
        let mut rng = seed.rng();
        let eps = self.eps;
        let mut v = vec![0f32; n * d];
        match self.norm {
            Norm::Linf => {
                for e in v.iter_mut() {
                    *e = ((rng.random::<f64>() * 2.0 - 1.0) * eps) as f32;
                }
            }
            Norm::L2 => {
                for row in v.chunks_mut(d) {
                    let g: Vec<f64> = (0..d).map(|_| StandardNormal.sample(&mut rng)).collect();
                    let norm = g.iter().map(|z| z * z).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
                    let r = eps * rng.random::<f64>().powf(1.0 / d as f64);
                    for (e, z) in row.iter_mut().zip(&g) {
                        *e = (z / norm * r) as f32;
                    }
                }
            }
        }
        let delta = Tensor::<B, 2>::from_data(TensorData::new(v, [n, d]), &x0.device());
        self.clamp_range(x0.clone() + delta)
    }

    /// Largest per-example distance ‖x − x0‖ in this threat model's norm (for checks).
    pub fn max_distance<B: Backend>(&self, x0: &Tensor<B, 2>, x: &Tensor<B, 2>) -> f64 {
        let delta = x.clone() - x0.clone();
        let per_row = match self.norm {
            Norm::Linf => delta.abs().max_dim(1),
            Norm::L2 => Self::row_norms(delta),
        };
        per_row.max().into_scalar_f64()
    }
}

/// Reads a one-element tensor as f64.
pub(crate) trait ScalarF64 {
    fn into_scalar_f64(self) -> f64;
}

impl<B: Backend, const D: usize> ScalarF64 for Tensor<B, D> {
    fn into_scalar_f64(self) -> f64 {
        let v: Vec<f32> = self.into_data().convert::<f32>().to_vec().unwrap_or_default();
        v.first().copied().map(f64::from).unwrap_or(f64::NAN)
    }
}
