//! Guided Backprop (Springenberg et al. 2015): the gradient with every ReLU's backward step
//! replaced by `g⁺·1[x > 0]` — only positive gradients pass, where the input was positive
//! (Captum's `GuidedBackprop`). Defined for ReLU networks; a SoftPlus layer is an error.

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::Tensor;

use super::gradient::{blocks, padded, row_block};
use super::propagate::{propagate, Rules};
use super::{check_batch, Attribution, Attributions, Budget, Scalar};
use crate::error::Result;
use crate::model::Classifier;

/// Guided Backprop from a logit (or the sum of logits).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GuidedBackprop {
    /// Memory budget of one batch.
    pub budget: Budget,
}

impl<B, M> Attribution<B, M> for GuidedBackprop
where
    B: AutodiffBackend,
    M: Classifier<B> + AutodiffModule<B>,
{
    fn name(&self) -> String {
        "guided_backprop".into()
    }

    fn params(&self) -> serde_json::Value {
        serde_json::json!({ "memory_bytes": self.budget.bytes })
    }

    fn attribute(&self, model: &M, x: Tensor<B::InnerBackend, 2>, target: &Scalar) -> Result<Attributions<B::InnerBackend>> {
        let [n, _] = check_batch(&x, target)?;
        let r = row_block(model);
        let mut parts = Vec::with_capacity(n.div_ceil(r));
        for (start, end) in blocks(n, r) {
            let (xb, idx) = padded(&x, start, end, r);
            let p = propagate::<B, M>(model, xb, None, &target.rows(idx), Rules::Guided)?;
            parts.push(p.input_map.slice([0..end - start]));
        }
        Ok(Attributions { values: Tensor::cat(parts, 0), gap: None })
    }
}
