//! Adam on an unsupervised loss: the training loop of the autoencoder and the denoiser (seed 004's
//! tangent spaces and score model), which have no labels and are not classifiers.
//!
//! Each epoch visits the rows of `x` in a seeded random order in batches; the loss closure gets the
//! model, the batch and a per-step seed (for the denoiser's noise) and returns the batch's mean
//! loss. Same seed ⇒ same weights on the CPU.

use burn::module::AutodiffModule;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;
use ndarray::ArrayView2;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rng::Seed;

/// Stream of the epoch shuffles below the fit's seed.
const STREAM_SHUFFLE: u64 = 1;
/// Stream of the per-step seeds handed to the loss.
const STREAM_STEP: u64 = 2;

/// How long and how fast to fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitConfig {
    /// Passes over the data.
    pub epochs: usize,
    /// Rows per step.
    pub batch: usize,
    /// Adam's learning rate (β = (0.9, 0.999), ε = 1e-5: burn's defaults).
    pub lr: f64,
}

impl FitConfig {
    /// Checks the ranges; errors name the field under `what`.
    pub fn validate(&self, what: &str) -> Result<()> {
        if self.epochs == 0 || self.batch == 0 {
            return Err(Error::param(format!("{what}.epochs/batch"), "epochs and batch must be at least 1"));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::param(format!("{what}.lr"), format!("must be a positive number, got {}", self.lr)));
        }
        Ok(())
    }
}

/// Fits `model` to the rows of `x` (`[N, D]`) by Adam on `loss(model, batch, step_seed)`, a scalar
/// tensor of shape `[1]`. Returns the model and the mean loss of each epoch. A non-finite loss is
/// [`Error::Diverged`].
///
/// # Shapes
/// - `x`: `[N, D]`; each batch handed to `loss`: `[B, D]` with B ≤ `cfg.batch`
pub fn fit<B, M, L>(mut model: M, x: ArrayView2<'_, f32>, cfg: &FitConfig, seed: Seed, loss: L, device: &B::Device, mut log: impl FnMut(&str)) -> Result<(M, Vec<f64>)>
where
    B: AutodiffBackend,
    M: AutodiffModule<B>,
    L: Fn(&M, Tensor<B, 2>, Seed) -> Result<Tensor<B, 1>>,
{
    cfg.validate("fit")?;
    let (n, d) = x.dim();
    if n == 0 {
        return Err(Error::param("x", "no rows to fit"));
    }
    let mut optim = AdamConfig::new().init::<B, M>();
    let mut history = Vec::with_capacity(cfg.epochs);
    let mut step = 0usize;
    for epoch in 0..cfg.epochs {
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut seed.derive(STREAM_SHUFFLE).derive(epoch as u64).rng());
        let (mut total, mut rows) = (0.0f64, 0usize);
        for chunk in order.chunks(cfg.batch) {
            let mut buf = Vec::with_capacity(chunk.len() * d);
            for &i in chunk {
                buf.extend(x.row(i).iter().copied());
            }
            let xb: Tensor<B, 2> = Tensor::from_data(burn::tensor::TensorData::new(buf, [chunk.len(), d]), device);
            let _graph = crate::model::graph_lock::graph_lock();
            let l = loss(&model, xb, seed.derive(STREAM_STEP).derive(step as u64))?;
            let v = crate::attribution::to_vec64(&l)?[0];
            if !v.is_finite() {
                return Err(Error::Diverged { step, reason: format!("loss is {v} in epoch {}", epoch + 1) });
            }
            let grads = GradientsParams::from_grads(l.backward(), &model);
            model = optim.step(cfg.lr, model, grads);
            total += v * chunk.len() as f64;
            rows += chunk.len();
            step += 1;
        }
        let mean = total / rows as f64;
        log(&format!("    epoch {}/{}: loss {mean:.6}", epoch + 1, cfg.epochs));
        history.push(mean);
    }
    Ok((model, history))
}
