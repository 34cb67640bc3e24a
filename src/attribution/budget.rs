//! How many model evaluations run at once: the memory budget.
//!
//! Integrated Gradients with n steps on a batch of N examples, SmoothGrad with n samples and
//! GradientSHAP all differentiate n·N inputs. Captum batches them all at once unless the user
//! sets `internal_batch_size` (out-of-memory reports: captum#245, #538, #1350). Here every method
//! streams its inputs in chunks of at most [`Budget::rows`] rows, estimated from the model's
//! operations, so peak memory is bounded by the budget whatever n and N are — and, because each
//! example's gradient is computed alone in its row and accumulated in a fixed order, the chunk
//! size never changes a result (tests/attribution.rs checks bit-for-bit equality).

use burn::nn::PaddingConfig2d;
use burn::tensor::backend::Backend;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::program::Op;
use crate::model::Classifier;

/// Bytes per f32.
const F32_BYTES: u64 = 4;
/// Copies of each activation alive during one backward pass: the forward value kept for the
/// backward step, the value passed on, and its gradient.
const ACTIVATION_COPIES: u64 = 3;
/// Copies of each convolution's patch matrix (the unrolled input of model/conv.rs): the forward
/// matrix kept for the weight-gradient-free backward, and its gradient.
const PATCH_COPIES: u64 = 2;
/// The default budget: 1 GiB, a tenth of a small laptop's memory and far below any GPU's.
pub const DEFAULT_BUDGET_BYTES: u64 = 1 << 30;

/// A memory budget for one batch of gradient evaluations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// Bytes.
    pub bytes: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { bytes: DEFAULT_BUDGET_BYTES }
    }
}

impl Budget {
    /// A budget of `mib` MiB (at least 1).
    pub fn mib(mib: u64) -> Result<Self> {
        if mib == 0 {
            return Err(Error::param("memory", "the memory budget must be at least 1 MiB"));
        }
        Ok(Budget { bytes: mib << 20 })
    }

    /// Rows of `model`'s inputs staged at once: what fits the budget, rounded down to a whole
    /// number of evaluation blocks ([`super::gradient::row_block`]), and at least one block (a
    /// budget below one block is raised to it).
    pub fn rows<B: Backend, M: Classifier<B>>(&self, model: &M) -> usize {
        let block = super::gradient::row_block(model);
        let per_row = bytes_per_row(model).max(1);
        let fit = (self.bytes / per_row) as usize;
        (fit / block).max(1) * block
    }

    /// Rows of plain `[*, d]` arrays (noise, baselines) that fit the budget, rounded down to a
    /// multiple of `block` (at least one block).
    pub fn array_rows(&self, d: usize, block: usize) -> usize {
        let block = block.max(1);
        (((self.bytes / (F32_BYTES * d.max(1) as u64)) as usize) / block).max(1) * block
    }
}

/// Estimated bytes that one input row takes during a forward and backward pass of `model`.
pub fn bytes_per_row<B: Backend, M: Classifier<B>>(model: &M) -> u64 {
    let d = model.input_shape().dim() as u64;
    let (acts, patches) = match model.program() {
        Some(ops) => {
            let mut acc = (0u64, 0u64);
            walk(&ops, [d as usize, 1, 1], &mut acc);
            acc
        }
        // No description: assume activations ten times the input.
        None => (10 * d, 0),
    };
    F32_BYTES * (ACTIVATION_COPIES * (d + acts) + PATCH_COPIES * patches)
}

/// Adds the elements of every operation's output (and of convolutions' patch matrices) to
/// `acc`; returns the output shape `[C, H, W]` (flat values as `[D, 1, 1]`).
fn walk<B: Backend>(ops: &[Op<'_, B>], mut shape: [usize; 3], acc: &mut (u64, u64)) -> [usize; 3] {
    for op in ops {
        let [c, h, w] = shape;
        shape = match op {
            Op::Image(s) => *s,
            Op::Flatten => [c * h * w, 1, 1],
            Op::Dense { layer, .. } => [layer.weight.dims()[1], 1, 1],
            Op::Conv { layer, .. } => {
                let [o, ci, kh, kw] = layer.weight.dims();
                let (t, l, b, r) = match layer.padding {
                    PaddingConfig2d::Explicit(t, l, b, r) => (t, l, b, r),
                    PaddingConfig2d::Valid => (0, 0, 0, 0),
                    PaddingConfig2d::Same => (kh / 2, kw / 2, kh / 2, kw / 2),
                };
                let oh = (h + t + b).saturating_sub(kh) / layer.stride[0] + 1;
                let ow = (w + l + r).saturating_sub(kw) / layer.stride[1] + 1;
                acc.1 += (ci * kh * kw * oh * ow) as u64;
                [o, oh, ow]
            }
            Op::BatchNorm { .. } | Op::Act { .. } => shape,
            Op::MaxPool { kernel, stride, padding, .. } => {
                [c, (h + 2 * padding[0]).saturating_sub(kernel[0]) / stride[0] + 1, (w + 2 * padding[1]).saturating_sub(kernel[1]) / stride[1] + 1]
            }
            Op::GlobalAvgPool => [c, 1, 1],
            Op::Residual { body, shortcut, .. } => {
                let out = walk(body, shape, acc);
                walk(shortcut, shape, acc);
                out
            }
        };
        acc.0 += (shape[0] * shape[1] * shape[2]) as u64;
    }
    shape
}
