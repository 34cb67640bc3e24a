//! A denoiser with Karras et al.'s (EDM, 2022) preconditioning, and the score it implies (seed 004
//! §4 "Measuring Perceptual Alignment", App. B.3).
//!
//! D(x; σ) = c_skip(σ)·x + c_out(σ)·F([c_in(σ)·x, c_noise(σ)]) with c_skip = σ_d²/(σ² + σ_d²),
//! c_out = σ·σ_d/√(σ² + σ_d²), c_in = 1/√(σ² + σ_d²), c_noise = ¼·ln σ (EDM Table 1), F an MLP
//! whose input is the scaled image with the noise level appended. Training (EDM eq 2 with its
//! weighting) minimises λ(σ)·‖D(y + n; σ) − y‖² with ln σ ~ N(P_mean, P_std²), n ~ N(0, σ²I),
//! λ = 1/c_out². The score of the noised data distribution is then
//! ∇ₓ log p(x; σ) = (D(x; σ) − x)/σ² (EDM eq 3), which seed 004 compares with models' input
//! gradients. The paper uses NVIDIA's pretrained EDM networks; this one is trained by the toolkit
//! ([`crate::train::fit`] with [`Denoiser::loss`]) and checked on a Gaussian mixture, whose noised
//! score is known in closed form (tests/seed004_parts.rs).

use burn::module::Module;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use rand_distr::{Distribution, Normal, StandardNormal};
use serde::{Deserialize, Serialize};

use super::init::Init;
use super::mlp::Mlp;
use super::{Activation, Classifier, InputShape};
use crate::error::{Error, Result};
use crate::rng::Seed;

/// A denoiser's architecture and noise distribution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DenoiserSpec {
    /// Hidden widths of F.
    pub hidden: Vec<usize>,
    /// Nonlinearity of F.
    #[serde(default = "silu_like")]
    pub activation: Activation,
    /// σ_data, the data's standard deviation (EDM: 0.5 for images in [−1, 1]).
    pub sigma_data: f64,
    /// Mean of ln σ during training (EDM: −1.2 in [−1, 1] units).
    pub p_mean: f64,
    /// Standard deviation of ln σ during training (EDM: 1.2).
    pub p_std: f64,
}

fn silu_like() -> Activation {
    Activation::Softplus
}

impl DenoiserSpec {
    /// Checks the ranges; errors name the key.
    pub fn validate(&self) -> Result<()> {
        if !(self.sigma_data.is_finite() && self.sigma_data > 0.0) {
            return Err(Error::param("sigma_data", format!("must be positive, got {}", self.sigma_data)));
        }
        if !(self.p_std.is_finite() && self.p_std > 0.0 && self.p_mean.is_finite()) {
            return Err(Error::param("p_mean/p_std", format!("need a finite mean and a positive spread, got {} and {}", self.p_mean, self.p_std)));
        }
        Ok(())
    }
}

/// D(x; σ) = c_skip·x + c_out·F([c_in·x, c_noise]).
#[derive(Module, Debug)]
pub struct Denoiser<B: Backend> {
    /// F: ℝ^{d+1} → ℝᵈ.
    pub net: Mlp<B>,
    sigma_data: f64,
    p_mean: f64,
    p_std: f64,
}

/// EDM's preconditioning coefficients (c_skip, c_out, c_in, c_noise) at noise level σ.
pub fn preconditioning(sigma: f64, sigma_data: f64) -> (f64, f64, f64, f64) {
    let s2 = sigma * sigma + sigma_data * sigma_data;
    (sigma_data * sigma_data / s2, sigma * sigma_data / s2.sqrt(), 1.0 / s2.sqrt(), sigma.ln() / 4.0)
}

impl<B: Backend> Denoiser<B> {
    /// A denoiser for inputs of dimension `dim` with seeded weights.
    pub fn new(spec: &DenoiserSpec, dim: usize, seed: Seed, device: &B::Device) -> Result<Self> {
        spec.validate()?;
        if dim == 0 {
            return Err(Error::param("dim", "input dimension is 0"));
        }
        let mut init = Init::new(seed, device);
        let net = Mlp::new(&mut init, InputShape::Flat(dim + 1), &spec.hidden, dim, spec.activation, false)?;
        Ok(Denoiser { net, sigma_data: spec.sigma_data, p_mean: spec.p_mean, p_std: spec.p_std })
    }

    /// Input dimension d.
    pub fn dim(&self) -> usize {
        self.net.num_classes()
    }

    /// D(x; σᵢ) row by row.
    ///
    /// # Shapes
    /// - `x`: `[N, d]`, `sigmas`: N noise levels; output `[N, d]`
    pub fn denoise(&self, x: Tensor<B, 2>, sigmas: &[f64]) -> Result<Tensor<B, 2>> {
        let [n, d] = x.dims();
        if sigmas.len() != n || d != self.dim() {
            return Err(Error::Shape(format!("denoiser of dimension {} got a batch {:?} with {} noise levels", self.dim(), [n, d], sigmas.len())));
        }
        if let Some(s) = sigmas.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(Error::param("sigma", format!("noise levels must be positive, got {s}")));
        }
        let device = x.device();
        let coef: Vec<(f64, f64, f64, f64)> = sigmas.iter().map(|&s| preconditioning(s, self.sigma_data)).collect();
        let col = |f: fn(&(f64, f64, f64, f64)) -> f64| -> Tensor<B, 2> { Tensor::from_data(TensorData::new(coef.iter().map(|c| f(c) as f32).collect::<Vec<_>>(), [n, 1]), &device) };
        let (skip, out, cin, noise) = (col(|c| c.0), col(|c| c.1), col(|c| c.2), col(|c| c.3));
        let f = self.net.logits(Tensor::cat(vec![x.clone() * cin, noise], 1));
        Ok(x * skip + f * out)
    }

    /// The score (D(x; σ) − x)/σ² of the noised distribution at one noise level σ.
    ///
    /// # Shapes
    /// - `x`: `[N, d]`; output `[N, d]`
    pub fn score(&self, x: Tensor<B, 2>, sigma: f64) -> Result<Tensor<B, 2>> {
        let n = x.dims()[0];
        let dx = self.denoise(x.clone(), &vec![sigma; n])?;
        Ok((dx - x).div_scalar(sigma * sigma))
    }

    /// EDM's training loss on clean rows `y`: mean over rows of λ(σ)·‖D(y + n; σ) − y‖²/d with
    /// ln σ ~ N(P_mean, P_std²) per row and n ~ N(0, σ²I), drawn from `seed`. Shape `[1]`.
    pub fn loss(&self, y: Tensor<B, 2>, seed: Seed) -> Result<Tensor<B, 1>> {
        let [n, d] = y.dims();
        let device = y.device();
        let mut rng = seed.rng();
        let ln = Normal::new(self.p_mean, self.p_std).map_err(|e| Error::param("p_std", e.to_string()))?;
        let sigmas: Vec<f64> = (0..n).map(|_| ln.sample(&mut rng).exp()).collect();
        let noise: Vec<f32> = (0..n * d).map(|i| { let z: f64 = StandardNormal.sample(&mut rng); (sigmas[i / d] * z) as f32 }).collect();
        let weights: Vec<f32> = sigmas.iter().map(|&s| (1.0 / preconditioning(s, self.sigma_data).1.powi(2)) as f32).collect();
        let noisy = y.clone() + Tensor::from_data(TensorData::new(noise, [n, d]), &device);
        let err = (self.denoise(noisy, &sigmas)? - y).powi_scalar(2).mean_dim(1);
        let w: Tensor<B, 2> = Tensor::from_data(TensorData::new(weights, [n, 1]), &device);
        Ok((err * w).mean())
    }
}
