//! Exact per-sample input gradients.
//!
//! Examples in a batch do not interact in evaluation mode, so the gradient of the *sum* over the
//! batch of a per-example scalar is, row by row, each example's own input gradient. Parameters are
//! detached first (`no_grad`), so the backward pass computes no parameter gradients: only the chain
//! to the input.

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{Int, Tensor};

use super::{check_input, Classifier};
use crate::error::{Error, Result};

/// Which scalar of each example is differentiated.
#[derive(Debug, Clone)]
pub enum GradTarget<B: burn::tensor::backend::Backend> {
    /// The logit of the given class of each example, `[N]` class indices.
    Logit(Tensor<B, 1, Int>),
    /// Cross-entropy loss with the given labels `[N]`.
    Loss(Tensor<B, 1, Int>),
    /// Logit of class `y` minus the largest other logit (the multi-class margin).
    Margin(Tensor<B, 1, Int>),
    /// logsumexp of the logits (seed 003's marginal density, up to the normaliser).
    LogSumExp,
}

/// Per-example cross-entropy `[N]` of logits `[N, K]` and labels `[N]`.
pub fn cross_entropy<B: burn::tensor::backend::Backend>(logits: Tensor<B, 2>, y: Tensor<B, 1, Int>) -> Tensor<B, 1> {
    let n = logits.dims()[0];
    let logp = burn::tensor::activation::log_softmax(logits, 1);
    logp.gather(1, y.reshape([n, 1])).reshape([n]).neg()
}

/// The per-example scalar of `target` `[N]` from logits `[N, K]`.
pub fn target_value<B: burn::tensor::backend::Backend>(logits: Tensor<B, 2>, target: &GradTarget<B>) -> Tensor<B, 1> {
    let [n, k] = logits.dims();
    match target {
        GradTarget::Logit(y) => logits.gather(1, y.clone().reshape([n, 1])).reshape([n]),
        GradTarget::Loss(y) => cross_entropy(logits, y.clone()),
        GradTarget::Margin(y) => {
            let idx = y.clone().reshape([n, 1]);
            let own = logits.clone().gather(1, idx.clone());
            // Push the own class far down to take the max over the others.
            let mask = burn::tensor::Tensor::<B, 2, Int>::zeros([n, k], &logits.device())
                .scatter(1, idx, burn::tensor::Tensor::ones([n, 1], &logits.device()), burn::tensor::IndexingUpdateOp::Add)
                .bool();
            let others = logits.mask_fill(mask, f32::NEG_INFINITY).max_dim(1);
            (own - others).reshape([n])
        }
        GradTarget::LogSumExp => {
            let m = logits.clone().detach().max_dim(1);
            (logits - m.clone()).exp().sum_dim(1).log().add(m).reshape([n])
        }
    }
}

/// Input gradients `[N, D]` of each example's `target` scalar, in evaluation mode, together with
/// the scalars `[N]`.
///
/// # Shapes
/// - `x`: `[N, D]` on the inner (non-autodiff) backend
/// - returns `([N, D], [N])`
pub fn input_gradient<B, M>(
    model: &M,
    x: Tensor<B::InnerBackend, 2>,
    target: &GradTarget<B::InnerBackend>,
) -> Result<(Tensor<B::InnerBackend, 2>, Tensor<B::InnerBackend, 1>)>
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    let _graph = super::graph_lock::graph_lock();
    let frozen = model.clone().no_grad();
    let xa: Tensor<B, 2> = Tensor::from_inner(x).require_grad();
    check_input(&frozen, &xa)?;
    let target_ad = match target {
        GradTarget::Logit(y) => GradTarget::Logit(Tensor::from_inner(y.clone())),
        GradTarget::Loss(y) => GradTarget::Loss(Tensor::from_inner(y.clone())),
        GradTarget::Margin(y) => GradTarget::Margin(Tensor::from_inner(y.clone())),
        GradTarget::LogSumExp => GradTarget::LogSumExp,
    };
    let values = target_value(frozen.logits(xa.clone()), &target_ad);
    let grads = values.clone().sum().backward();
    let g = xa.grad(&grads).ok_or_else(|| Error::Shape("input gradient missing: the model does not depend on its input".into()))?;
    Ok((g, values.inner()))
}
