//! A fully connected autoencoder and the tangent spaces of its decoder (seed 004 §4, App. B.5).
//!
//! Seed 004 estimates the data manifold's tangent space at x as the span of the decoder's Jacobian
//! at the code E(x): with a k-dimensional bottleneck the decoder D: ℝᵏ → ℝᵈ parametrises a
//! k-dimensional surface, and ∂D/∂z (d × k) spans its tangent space at D(E(x)) ≈ x. The paper
//! trains a VAE with k = 128 on CIFAR-10 (pythae's default architecture); here the encoder and
//! the decoder are MLPs (hidden widths mirrored) trained by [`crate::train::fit`] on the mean
//! squared reconstruction error. The decoder's default nonlinearity is SoftPlus, so that its
//! Jacobian — hence the tangent space — varies continuously with x.
//!
//! [`decoder_jacobian`] computes the d × k Jacobian by d vector–Jacobian products in one batched
//! backward pass; [`tangent_basis`] orthonormalises it by an SVD, dropping directions whose
//! singular value is negligible (as `scipy.linalg.orth`, which seed 004's code uses).

use burn::module::{AutodiffModule, Module};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use super::init::Init;
use super::mlp::Mlp;
use super::{Activation, Classifier, InputShape};
use crate::error::{Error, Result};
use crate::rng::Seed;

/// Singular values below this fraction of the largest are treated as zero by [`tangent_basis`]
/// (`scipy.linalg.orth`'s rule is max(d, k)·ε_f64·σ_max; the Jacobian here is f32, whose rounding
/// is about 1e-7 relative, so anything below 1e-5 of σ_max is noise).
pub const RANK_RTOL: f64 = 1e-5;

/// An autoencoder's architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderSpec {
    /// Hidden widths of the encoder, input side first; the decoder mirrors them.
    pub hidden: Vec<usize>,
    /// Bottleneck size k (the tangent spaces' dimension; seed 004 uses 128 on CIFAR-10).
    pub latent: usize,
    /// Nonlinearity of both halves.
    #[serde(default = "softplus")]
    pub activation: Activation,
}

fn softplus() -> Activation {
    Activation::Softplus
}

/// Encoder x ↦ z and decoder z ↦ x̂, both MLPs.
#[derive(Module, Debug)]
pub struct Autoencoder<B: Backend> {
    /// ℝᵈ → ℝᵏ.
    pub encoder: Mlp<B>,
    /// ℝᵏ → ℝᵈ.
    pub decoder: Mlp<B>,
}

impl<B: Backend> Autoencoder<B> {
    /// Builds an autoencoder for inputs of dimension `dim` with seeded weights.
    pub fn new(spec: &AutoencoderSpec, dim: usize, seed: Seed, device: &B::Device) -> Result<Self> {
        if spec.latent == 0 || spec.latent >= dim {
            return Err(Error::param("latent", format!("the bottleneck k must be in 1..{dim} (the input dimension), got {}", spec.latent)));
        }
        let mut init = Init::new(seed, device);
        let encoder = Mlp::new(&mut init, InputShape::Flat(dim), &spec.hidden, spec.latent, spec.activation, false)?;
        let mirrored: Vec<usize> = spec.hidden.iter().rev().copied().collect();
        let decoder = Mlp::new(&mut init, InputShape::Flat(spec.latent), &mirrored, dim, spec.activation, false)?;
        Ok(Autoencoder { encoder, decoder })
    }

    /// Input dimension d.
    pub fn dim(&self) -> usize {
        self.decoder.num_classes()
    }

    /// Bottleneck size k.
    pub fn latent(&self) -> usize {
        self.encoder.num_classes()
    }

    /// Codes `[N, k]` of inputs `[N, d]`.
    pub fn encode(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.encoder.logits(x)
    }

    /// Reconstructions `[N, d]` of codes `[N, k]`.
    pub fn decode(&self, z: Tensor<B, 2>) -> Tensor<B, 2> {
        self.decoder.logits(z)
    }

    /// Mean over the batch and the coordinates of (x̂ − x)², shape `[1]`.
    pub fn loss(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        let r = self.decode(self.encode(x.clone()));
        (r - x).powi_scalar(2).mean()
    }
}

/// The decoder's Jacobian ∂D/∂z at each code, row-major d × k per code, by one backward pass over
/// d copies of the code (row i of the result is the vector–Jacobian product with eᵢ).
///
/// # Shapes
/// - `z`: `[N, k]` codes; output: N matrices of d·k values (row i = ∂x̂ᵢ/∂z)
pub fn decoder_jacobian<B: AutodiffBackend>(ae: &Autoencoder<B>, z: &Tensor<B::InnerBackend, 2>) -> Result<Vec<Vec<f64>>>
where
    Autoencoder<B>: AutodiffModule<B>,
{
    let [n, k] = z.dims();
    if k != ae.latent() {
        return Err(Error::Shape(format!("codes have {k} columns, the autoencoder's bottleneck has {}", ae.latent())));
    }
    let d = ae.dim();
    let device = z.device();
    let decoder = ae.decoder.clone().no_grad();
    let eye: Tensor<B, 2> = Tensor::from_data(TensorData::new((0..d * d).map(|i| if i / d == i % d { 1.0f32 } else { 0.0 }).collect::<Vec<_>>(), [d, d]), &device);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let _graph = super::graph_lock::graph_lock();
        let zi = z.clone().slice([i..i + 1, 0..k]).repeat_dim(0, d);
        let za: Tensor<B, 2> = Tensor::from_inner(zi).require_grad();
        let x = decoder.logits(za.clone());
        let grads = (x * eye.clone()).sum().backward();
        let g = za.grad(&grads).ok_or_else(|| Error::Shape("decoder Jacobian missing: the decoder does not depend on its code".into()))?;
        out.push(crate::attribution::to_vec64(&g)?);
    }
    Ok(out)
}

/// An orthonormal basis (d × r, r ≤ k columns) of the column space of a d × k Jacobian given
/// row-major, by SVD; r counts singular values above [`RANK_RTOL`]·σ_max.
pub fn tangent_basis(jacobian: &[f64], d: usize, k: usize) -> Result<DMatrix<f64>> {
    if jacobian.len() != d * k || k == 0 {
        return Err(Error::Shape(format!("a {d} × {k} Jacobian has {} values, got {}", d * k, jacobian.len())));
    }
    let j = DMatrix::from_row_slice(d, k, jacobian);
    let svd = j.svd(true, false);
    let u = svd.u.ok_or_else(|| Error::Shape("SVD of the Jacobian returned no left singular vectors".into()))?;
    let smax = svd.singular_values.iter().cloned().fold(0.0, f64::max);
    if !(smax > 0.0 && smax.is_finite()) {
        return Err(Error::Shape(format!("the decoder Jacobian is degenerate (largest singular value {smax})")));
    }
    let keep: Vec<usize> = (0..svd.singular_values.len()).filter(|&i| svd.singular_values[i] > RANK_RTOL * smax).collect();
    Ok(u.select_columns(keep.iter()))
}
