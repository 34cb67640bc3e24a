//! Batch normalisation over the channels of `[N, C, H, W]` activations, with the train/eval switch
//! as an argument.
//!
//! burn's own `BatchNorm` trains (uses batch statistics and updates its running averages) whenever
//! the backend records gradients. Attacks and input-gradient attributions differentiate through the
//! model on an autodiff backend, so with burn's module every PGD step would overwrite the running
//! statistics with those of adversarial batches. Here the [`Mode`] decides: evaluation never
//! touches the running statistics, whatever the backend.
//!
//! Constants follow PyTorch's `nn.BatchNorm2d` defaults (momentum 0.1, eps 1e-5), and so does the
//! update of the running variance, which uses the *unbiased* batch variance while the batch itself
//! is normalised with the biased one (burn's module uses the biased variance for both). Running
//! statistics therefore match a PyTorch model trained on the same batches, and state dicts carry
//! over unchanged.

use burn::module::{Module, Param, RunningState};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

use super::kernels::norm_fused;
use super::Mode;

/// PyTorch's default `momentum` of `nn.BatchNorm2d`: running ← (1 − m)·running + m·batch.
pub const BN_MOMENTUM: f64 = 0.1;
/// PyTorch's default `eps` of `nn.BatchNorm2d`, added to the variance before the square root.
pub const BN_EPS: f64 = 1e-5;

/// Batch normalisation of 2-d feature maps with learnable scale γ and shift β.
///
/// Train: `y = γ (x − μ_B)/√(σ²_B + eps) + β` with the per-channel batch mean μ_B and biased
/// variance σ²_B over `N·H·W` values, then `running_mean ← (1 − m) running_mean + m μ_B` and
/// `running_var ← (1 − m) running_var + m σ²_B · n/(n − 1)` (n = N·H·W).
/// Eval: the same affine map with the running statistics; nothing is updated, and each example's
/// output depends on that example only.
#[derive(Module, Debug)]
pub struct BatchNorm2d<B: Backend> {
    /// Scale γ `[C]` (PyTorch's `weight`).
    pub gamma: Param<Tensor<B, 1>>,
    /// Shift β `[C]` (PyTorch's `bias`).
    pub beta: Param<Tensor<B, 1>>,
    /// Running mean `[C]`.
    pub running_mean: RunningState<Tensor<B, 1>>,
    /// Running (unbiased) variance `[C]`.
    pub running_var: RunningState<Tensor<B, 1>>,
    momentum: f64,
    eps: f64,
}

impl<B: Backend> BatchNorm2d<B> {
    /// A fresh layer over `channels` channels: γ = 1, β = 0, running mean 0 and variance 1
    /// (PyTorch's initial state), momentum [`BN_MOMENTUM`], eps [`BN_EPS`].
    pub fn new(channels: usize, device: &B::Device) -> Self {
        BatchNorm2d {
            gamma: Param::from_tensor(Tensor::ones([channels], device)),
            beta: Param::from_tensor(Tensor::zeros([channels], device)),
            running_mean: RunningState::new(Tensor::zeros([channels], device)),
            running_var: RunningState::new(Tensor::ones([channels], device)),
            momentum: BN_MOMENTUM,
            eps: BN_EPS,
        }
    }

    /// Number of channels C.
    pub fn channels(&self) -> usize {
        self.gamma.dims()[0]
    }

    /// Momentum of the running averages.
    pub fn momentum(&self) -> f64 {
        self.momentum
    }

    /// The constant added to the variance.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    /// The current running mean and running variance, each `[C]`, including any update made by a
    /// training pass on this thread.
    pub fn running_stats(&self) -> (Tensor<B, 1>, Tensor<B, 1>) {
        (self.running_mean.value_sync(), self.running_var.value_sync())
    }

    /// A layer with the given state (used when loading trained weights), momentum [`BN_MOMENTUM`]
    /// and eps [`BN_EPS`].
    ///
    /// # Shapes
    /// - `gamma`, `beta`, `running_mean`, `running_var`: `[C]`
    pub fn from_tensors(gamma: Tensor<B, 1>, beta: Tensor<B, 1>, running_mean: Tensor<B, 1>, running_var: Tensor<B, 1>) -> Self {
        BatchNorm2d {
            gamma: Param::from_tensor(gamma),
            beta: Param::from_tensor(beta),
            running_mean: RunningState::new(running_mean),
            running_var: RunningState::new(running_var),
            momentum: BN_MOMENTUM,
            eps: BN_EPS,
        }
    }

    /// Normalises `x` in the given mode; in [`Mode::Train`] also updates the running statistics.
    /// On burn-ndarray this is the fused pass of [`super::kernels::norm_fused`] (batch statistics
    /// accumulated in f64), elsewhere [`Self::forward_by_ops`].
    ///
    /// # Shapes
    /// - `x`: `[N, C, H, W]`
    /// - output: `[N, C, H, W]`
    ///
    /// # Panics
    /// In [`Mode::Train`] when a channel has a single value (N·H·W = 1): its unbiased variance is
    /// undefined. PyTorch raises the same error; training loops use batches of at least two.
    pub fn forward(&self, x: Tensor<B, 4>, mode: Mode) -> Tensor<B, 4> {
        if norm_fused::supported::<B>() {
            let [n, c, h, w] = x.dims();
            let running = match mode {
                Mode::Eval => Some(self.running_stats()),
                Mode::Train => {
                    assert_train_count([n, c, h, w]);
                    None
                }
            };
            if let Some((y, batch)) = norm_fused::batch_norm(x.clone(), self.gamma.val(), self.beta.val(), running, self.eps) {
                if let Some(stats) = batch {
                    self.update_running(stats, n * h * w);
                }
                return y;
            }
        }
        self.forward_by_ops(x, mode)
    }

    /// Moves the running statistics towards a training batch's (`stats`, over `count` values per
    /// channel), as PyTorch does: the unbiased variance enters the running variance.
    fn update_running(&self, stats: norm_fused::BatchStats, count: usize) {
        let (rm, rv) = self.running_stats();
        let (device, dtype) = (rm.device(), rm.dtype());
        let c = stats.mean.len();
        let to_tensor = |v: Vec<f64>| Tensor::<B, 1>::from_data(TensorData::new(v, [c]), (&device, dtype));
        let unbiased: Vec<f64> = stats.var.iter().map(|v| v * count as f64 / (count - 1) as f64).collect();
        let m = self.momentum;
        self.running_mean.update(rm.mul_scalar(1.0 - m).add(to_tensor(stats.mean).mul_scalar(m)).detach());
        self.running_var.update(rv.mul_scalar(1.0 - m).add(to_tensor(unbiased).mul_scalar(m)).detach());
    }

    /// [`Self::forward`] built from tensor operations, on any backend (module documentation of
    /// [`super::kernels::norm_fused`]); tests compare the two.
    ///
    /// # Panics
    /// As [`Self::forward`].
    pub fn forward_by_ops(&self, x: Tensor<B, 4>, mode: Mode) -> Tensor<B, 4> {
        let [n, c, h, w] = x.dims();
        let device = x.device();
        // Every operation on the activations is on the free view [N·C, H·W] against a per-row
        // column [N·C, 1] (the channel's value repeated for each example): two-dimensional
        // broadcasts, which the CPU backends run row by row, where a [1, C, 1, 1] broadcast over a
        // 4-d tensor walks it element by element (≈ 3× slower on burn-flex).
        let rows = x.reshape([n * c, h * w]);
        let per_row = |v: Tensor<B, 1>| v.reshape([1, c]).repeat_dim(0, n).reshape([n * c, 1]);
        let (centered, var) = match mode {
            Mode::Eval => {
                let (m, v) = self.running_stats();
                (rows - per_row(m.to_device(&device)), v.to_device(&device))
            }
            Mode::Train => {
                let count = n * h * w;
                assert_train_count([n, c, h, w]);
                // Per-channel statistics over N, H, W: row sums, then a sum over the examples,
                // times 1/count. Not `div_scalar(count)`: burn-autodiff 0.21.0's backward of
                // `div_scalar` multiplies by a reciprocal computed in f32, which puts a relative
                // error of up to 6e-8 into f64 gradients (tests/norm_fused_f64.rs).
                let channel_mean = |t: Tensor<B, 2>| t.sum_dim(1).reshape([n, c]).sum_dim(0).reshape([c]).mul_scalar(1.0 / count as f64);
                let mean = channel_mean(rows.clone());
                let centered = rows - per_row(mean.clone());
                let var = channel_mean(centered.clone().square()); // biased
                let unbiased = var.clone().detach().mul_scalar(count as f64 / (count - 1) as f64);
                let (rm, rv) = self.running_stats();
                let m = self.momentum;
                let new_mean = rm.mul_scalar(1.0 - m).add(mean.detach().mul_scalar(m));
                let new_var = rv.mul_scalar(1.0 - m).add(unbiased.mul_scalar(m));
                self.running_mean.update(new_mean.detach());
                self.running_var.update(new_var.detach());
                (centered, var)
            }
        };
        // γ/√(σ² + eps) per channel. A division, not `recip()`: burn-ndarray's SIMD `recip` is the
        // hardware approximation (relative error up to 4e-5, and lane-dependent, so not even
        // reproducible between calls).
        let scale = self.gamma.val().div(var.add_scalar(self.eps).sqrt());
        (centered * per_row(scale) + per_row(self.beta.val())).reshape([n, c, h, w])
    }
}

/// Refuses a training pass with a single value per channel (module documentation).
fn assert_train_count(dims: [usize; 4]) {
    let [n, _, h, w] = dims;
    assert!(n * h * w > 1, "batch norm in train mode needs more than one value per channel, got input {dims:?}");
}
